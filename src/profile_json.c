/* profile_json.c — `cisandbox profile show`: a loaded profile, its chain flattened, printed as
 * a profile file that loads back to the same profile (profile.h). */
#define _GNU_SOURCE
#include "profile.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void add_mount_array(struct json *fs, const struct profile *p, enum mount_kind kind,
                            const char *key)
{
	struct json *arr = NULL;

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];
		_cleanup_free_ char *spec = NULL;

		if (m->kind != kind)
			continue;
		if (!arr)
			arr = json_add_array(fs, key);
		spec = m->src && strcmp(m->src, m->dst) != 0 ? xasprintf("%s:%s", m->src, m->dst)
		                                             : xstrdup(m->dst);
		json_append(arr, json_new_string(spec));
	}
}

static void json_audit(struct json *root, const struct profile *p)
{
	struct json *a;

	if (!p->audit_log && !p->audit_required)
		return;
	a = json_add_object(root, "audit");
	if (p->audit_log)
		json_add_string(a, "log", p->audit_log);
	if (p->audit_required)
		json_add_bool(a, "required", true);
}

/* tier, token_ttl and the secrets' specs (NAME=@FILE: a path, never a value), when set. */
static void json_trust(struct json *root, const struct profile *p)
{
	char buf[32];

	if (p->tier)
		json_add_string(root, "tier", secrets_tier_name(p->tier));
	if (p->token_ttl_ms)
		json_add_string(root, "token_ttl", format_duration(p->token_ttl_ms, buf));
	if (p->secrets.n)
		json_add_strv(root, "secrets", &p->secrets);
}

static void json_filesystem(struct json *root, const struct profile *p)
{
	struct json *fs = json_add_object(root, "filesystem");
	struct json *ws = json_add_object(fs, "workspace");
	char buf[32];

	if (p->has_ws_mode)
		json_add_string(ws, "mode", ws_mode_name(p->ws_mode));
	if (p->ws_size)
		json_add_string(ws, "size", format_size(p->ws_size, buf));
	if (p->ws_registration >= 0)
		json_add_string(ws, "registration", p->ws_registration ? "show" : "hide");
	if (p->tmp_size)
		json_add_string(fs, "tmp_size", format_size(p->tmp_size, buf));
	if (p->private_mode != PRIV_UNSET)
		json_add_string(fs, "private",
		                p->private_mode == PRIV_REQUIRE ? "require" : "best-effort");
	add_mount_array(fs, p, MNT_RO_BIND, "ro_bind");
	add_mount_array(fs, p, MNT_BIND, "bind");
	add_mount_array(fs, p, MNT_TMPFS, "tmpfs");
	add_mount_array(fs, p, MNT_MASK, "mask");
}

/* env, and file_commands when set. */
static void json_env(struct json *root, const struct profile *p)
{
	struct json *env = json_add_object(root, "env"), *set;

	json_add_strv(env, "pass", &p->env_pass);
	if (p->env_drop.n)
		json_add_strv(env, "drop", &p->env_drop);
	set = json_add_object(env, "set");
	for (size_t i = 0; i < p->env_set.n; i++) {
		const char *eq = strchr(p->env_set.v[i], '=');
		_cleanup_free_ char *k = strndup(p->env_set.v[i], (size_t)(eq - p->env_set.v[i]));

		json_add_string(set, k, eq + 1);
	}
	if (p->fc_env.n || p->fc_path.n) {
		struct json *fc = json_add_object(root, "file_commands");

		json_add_string(fc, "parser", p->fc_act ? "act" : "github");
		json_add_strv(fc, "env", &p->fc_env);
		json_add_strv(fc, "path", &p->fc_path);
	}
}

static void json_network(struct json *root, const struct profile *p)
{
	struct json *net = json_add_object(root, "network");

	json_add_string(net, "mode", net_mode_name(p->net_mode));
	if (p->helper_required)
		json_add_bool(net, "helper_required", p->helper_required > 0);
	if (p->net_allow.n)
		json_add_strv(net, "allow", &p->net_allow);
	if (p->net_private.n)
		json_add_strv(net, "allow_private", &p->net_private);
	if (p->dns_upstream.n)
		json_add_strv(net, "dns_upstream", &p->dns_upstream);
	if (p->dns_min_ttl)
		json_add_number(net, "dns_min_ttl", p->dns_min_ttl);
	if (p->dns_max_ttl)
		json_add_number(net, "dns_max_ttl", p->dns_max_ttl);
}

int profile_print_json(const struct profile *p, FILE *out)
{
	struct json *root = json_new_object(), *lim, *sc;
	char buf[32];

	json_add_number(root, "version", 1);
	json_add_string(root, "name", p->name);
	if (p->description)
		json_add_string(root, "description", p->description);
	json_filesystem(root, p);
	json_env(root, p);
	lim = json_add_object(root, "limits");
	if (p->has_timeout)
		json_add_string(lim, "timeout", format_duration(p->timeout_ms, buf));
	if (p->has_kill_grace)
		json_add_string(lim, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(lim, &p->limits);
	json_audit(root, p);
	json_network(root, p);
	sc = json_add_object(root, "seccomp");
	json_add_strv(sc, "allow", &p->sc_allow);
	json_add_strv(sc, "deny", &p->sc_deny);
	if (p->has_sc_errno)
		json_add_string(sc, "errno", strerrorname_np(p->sc_errno));
	if (p->has_sc_log)
		json_add_bool(sc, "log_denied", p->sc_log_denied);
	json_trust(root, p);
	policy_spec_json(root, &p->policy);
	return json_emit(root, out);
}
