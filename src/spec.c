/* spec.c — names, parsers and printers of the plan's value types (spec.h); pure. */
#define _GNU_SOURCE
#include "spec.h"
#include "util.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ws_mode_name(enum ws_mode m)
{
	return m == WS_OVERLAY ? "overlay" : m == WS_TMPFS ? "tmpfs" : "bind";
}

const char *net_mode_name(enum net_mode m)
{
	return m == NET_NONE        ? "none"
	       : m == NET_ALLOWLIST ? "allowlist"
	       : m == NET_OPEN      ? "open"
	                            : "audit";
}

int net_mode_parse(const char *s, enum net_mode *out)
{
	if (strcmp(s, "none") == 0)
		*out = NET_NONE;
	else if (strcmp(s, "allowlist") == 0)
		*out = NET_ALLOWLIST;
	else if (strcmp(s, "open") == 0)
		*out = NET_OPEN;
	else if (strcmp(s, "audit") == 0)
		*out = NET_AUDIT;
	else
		return -EINVAL;
	return 0;
}

int ws_mode_parse(const char *s, enum ws_mode *out)
{
	if (strcmp(s, "overlay") == 0)
		*out = WS_OVERLAY;
	else if (strcmp(s, "tmpfs") == 0)
		*out = WS_TMPFS;
	else if (strcmp(s, "bind") == 0)
		*out = WS_BIND;
	else
		return -EINVAL;
	return 0;
}

void mount_ops_free(struct mount_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ops[i].src);
		free(ops[i].dst);
	}
	free(ops);
}

void json_limits(struct json *lim, const struct limits *l)
{
	char buf[32];

	if (l->memory_pct) {
		/* The share, not the bytes: the same plan on every host (golden files). */
		snprintf(buf, sizeof(buf), "%u%%", l->memory_pct); /* as written: it loads back */
		json_add_string(lim, "memory", buf);
	} else if (l->memory) {
		json_add_string(lim, "memory", format_size(l->memory, buf));
	}
	if (l->pids)
		json_add_number(lim, "pids", (double)l->pids);
	if (l->cpus_milli) {
		snprintf(buf, sizeof(buf), "%llu.%03llu",
		         (unsigned long long)(l->cpus_milli / 1000),
		         (unsigned long long)(l->cpus_milli % 1000));
		json_add_string(lim, "cpus", buf);
	}
	if (l->nofile)
		json_add_number(lim, "nofile", (double)l->nofile);
	if (l->fsize)
		json_add_string(lim, "fsize", format_size(l->fsize, buf));
	if (l->require_cgroup >= 0)
		json_add_bool(lim, "require_cgroup", l->require_cgroup);
}

const char *secrets_spec_check(const char *spec)
{
	size_t n = strcspn(spec, "=");

	if (n == 0 || n > 64)
		return "NAME must be 1 to 64 characters (NAME=@FILE)";
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            spec[i]))
			return "NAME: letters, digits, _ . - only (NAME=@FILE)";
		else if (i == 0 && spec[i] == '.')
			return "NAME must not start with a dot";
	if (spec[n] != '=' || spec[n + 1] != '@' || !spec[n + 2])
		return "must be NAME=@FILE (the value only from a file)";
	return NULL;
}

int secrets_tier_parse(const char *s)
{
	return strcmp(s, "trusted") == 0     ? SECRETS_TIER_TRUSTED
	       : strcmp(s, "untrusted") == 0 ? SECRETS_TIER_UNTRUSTED
	                                     : SECRETS_TIER_UNSET;
}

const char *secrets_tier_name(int tier)
{
	return tier == SECRETS_TIER_TRUSTED ? "trusted" : "untrusted";
}
