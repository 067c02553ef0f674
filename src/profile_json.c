/* profile_json.c — `cisandbox profile show`: a loaded profile, its chain flattened, printed as
 * a profile file that loads back to the same profile (profile.h). */
#define _GNU_SOURCE
#include "profile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void add_mount_array(cJSON *fs, const struct profile *p, enum mount_kind kind,
                            const char *key)
{
	cJSON *arr = NULL;

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];
		_cleanup_free_ char *spec = NULL;

		if (m->kind != kind)
			continue;
		if (!arr)
			arr = cJSON_AddArrayToObject(fs, key);
		spec = m->src && strcmp(m->src, m->dst) != 0 ? xasprintf("%s:%s", m->src, m->dst)
		                                             : xstrdup(m->dst);
		cJSON_AddItemToArray(arr, cJSON_CreateString(spec));
	}
}

static void json_audit(cJSON *root, const struct profile *p)
{
	cJSON *a;

	if (!p->audit_log && !p->audit_required)
		return;
	a = cJSON_AddObjectToObject(root, "audit");
	if (p->audit_log)
		cJSON_AddStringToObject(a, "log", p->audit_log);
	if (p->audit_required)
		cJSON_AddBoolToObject(a, "required", true);
}

/* tier, token_ttl and the secrets' specs (NAME=@FILE: a path, never a value), when set. */
static void json_trust(cJSON *root, const struct profile *p)
{
	char buf[32];

	if (p->tier)
		cJSON_AddStringToObject(root, "tier", secrets_tier_name(p->tier));
	if (p->token_ttl_ms)
		cJSON_AddStringToObject(root, "token_ttl", format_duration(p->token_ttl_ms, buf));
	if (p->secrets.n)
		json_add_strv(root, "secrets", &p->secrets);
}

static void json_filesystem(cJSON *root, const struct profile *p)
{
	cJSON *fs = cJSON_AddObjectToObject(root, "filesystem");
	cJSON *ws = cJSON_AddObjectToObject(fs, "workspace");
	char buf[32];

	if (p->has_ws_mode)
		cJSON_AddStringToObject(ws, "mode", ws_mode_name(p->ws_mode));
	if (p->ws_size)
		cJSON_AddStringToObject(ws, "size", format_size(p->ws_size, buf));
	if (p->ws_registration >= 0)
		cJSON_AddStringToObject(ws, "registration", p->ws_registration ? "show" : "hide");
	if (p->tmp_size)
		cJSON_AddStringToObject(fs, "tmp_size", format_size(p->tmp_size, buf));
	if (p->private_mode != PRIV_UNSET)
		cJSON_AddStringToObject(
		    fs, "private", p->private_mode == PRIV_REQUIRE ? "require" : "best-effort");
	add_mount_array(fs, p, MNT_RO_BIND, "ro_bind");
	add_mount_array(fs, p, MNT_BIND, "bind");
	add_mount_array(fs, p, MNT_TMPFS, "tmpfs");
	add_mount_array(fs, p, MNT_MASK, "mask");
}

/* env, and file_commands when set. */
static void json_env(cJSON *root, const struct profile *p)
{
	cJSON *env = cJSON_AddObjectToObject(root, "env"), *set;

	json_add_strv(env, "pass", &p->env_pass);
	if (p->env_drop.n)
		json_add_strv(env, "drop", &p->env_drop);
	set = cJSON_AddObjectToObject(env, "set");
	for (size_t i = 0; i < p->env_set.n; i++) {
		const char *eq = strchr(p->env_set.v[i], '=');
		_cleanup_free_ char *k = strndup(p->env_set.v[i], (size_t)(eq - p->env_set.v[i]));

		cJSON_AddStringToObject(set, k, eq + 1);
	}
	if (p->fc_env.n || p->fc_path.n) {
		cJSON *fc = cJSON_AddObjectToObject(root, "file_commands");

		cJSON_AddStringToObject(fc, "parser", p->fc_act ? "act" : "github");
		json_add_strv(fc, "env", &p->fc_env);
		json_add_strv(fc, "path", &p->fc_path);
	}
}

static void json_network(cJSON *root, const struct profile *p)
{
	cJSON *net = cJSON_AddObjectToObject(root, "network");

	cJSON_AddStringToObject(net, "mode", net_mode_name(p->net_mode));
	if (p->helper_required)
		cJSON_AddBoolToObject(net, "helper_required", p->helper_required > 0);
	if (p->net_allow.n)
		json_add_strv(net, "allow", &p->net_allow);
	if (p->net_private.n)
		json_add_strv(net, "allow_private", &p->net_private);
	if (p->dns_upstream.n)
		json_add_strv(net, "dns_upstream", &p->dns_upstream);
	if (p->dns_min_ttl)
		cJSON_AddNumberToObject(net, "dns_min_ttl", p->dns_min_ttl);
	if (p->dns_max_ttl)
		cJSON_AddNumberToObject(net, "dns_max_ttl", p->dns_max_ttl);
}

int profile_print_json(const struct profile *p, FILE *out)
{
	cJSON *root = cJSON_CreateObject(), *lim, *sc;
	char buf[32];

	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "name", p->name);
	if (p->description)
		cJSON_AddStringToObject(root, "description", p->description);
	json_filesystem(root, p);
	json_env(root, p);
	lim = cJSON_AddObjectToObject(root, "limits");
	if (p->has_timeout)
		cJSON_AddStringToObject(lim, "timeout", format_duration(p->timeout_ms, buf));
	if (p->has_kill_grace)
		cJSON_AddStringToObject(lim, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(lim, &p->limits);
	json_audit(root, p);
	json_network(root, p);
	sc = cJSON_AddObjectToObject(root, "seccomp");
	json_add_strv(sc, "allow", &p->sc_allow);
	json_add_strv(sc, "deny", &p->sc_deny);
	if (p->has_sc_errno)
		cJSON_AddStringToObject(sc, "errno", strerrorname_np(p->sc_errno));
	if (p->has_sc_log)
		cJSON_AddBoolToObject(sc, "log_denied", p->sc_log_denied);
	json_trust(root, p);
	policy_spec_json(root, &p->policy);
	return json_emit(root, out);
}
