/* profile_sections.c — the sections of a profile file (filesystem, env, file_commands, limits,
 * audit, network, seccomp, tier and secrets), each validated and applied over what its parents
 * set (profile_int.h). Every error names the field path. */
#define _GNU_SOURCE
#include "netspec.h"
#include "profile.h"
#include "profile_int.h"
#include "seccomp.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_mount(struct profile *p, enum mount_kind kind, char *src, char *dst)
{
	p->mounts = xrealloc(p->mounts, (p->n_mounts + 1) * sizeof(*p->mounts));
	p->mounts[p->n_mounts++] = (struct mount_op){kind, src, dst, "profile", false};
}

/* "${NAME}" references: well formed, names valid. */
static const char *check_var_refs(const char *s)
{
	while ((s = strstr(s, "${"))) {
		const char *end = strchr(s, '}');
		_cleanup_free_ char *name = end ? strndup(s + 2, (size_t)(end - s - 2)) : NULL;

		char *mod = name ? strchr(name, ':') : NULL;

		if (!end)
			return "\"${\" without a closing \"}\"";
		if (mod && strcmp(mod, ":dir") != 0)
			return "the only modifier inside ${...} is :dir";
		if (mod)
			*mod = '\0';
		if (!name || !env_name_valid(name, false))
			return "not a variable name inside ${...}";
		s = end + 1;
	}
	return NULL;
}

static int apply_mount_list(const struct ctx *c, const struct json *fs, const char *key,
                            enum mount_kind kind, struct profile *p)
{
	const struct json *arr = json_get(fs, key);
	const struct json *it;
	int i = 0;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return pf_fail(c, key, "filesystem.%s must be an array of strings", key);
	json_for_each(it, arr)
	{
		char field[64];
		char *src = NULL, *dst = NULL;
		const char *why;

		snprintf(field, sizeof(field), "filesystem.%s[%d]", key, i++);
		if (!json_is_string(it))
			return pf_fail(c, field, "must be a string");
		if (strstr(it->valuestring, "${")) {
			/* Expanded from the caller's environment when the plan is built. */
			if ((why = check_var_refs(it->valuestring)))
				return pf_fail(c, field, "\"%s\": %s", it->valuestring, why);
			add_mount(p, kind, NULL, xstrdup(it->valuestring));
			p->mounts[p->n_mounts - 1].deferred = true;
			continue;
		}
		if (kind == MNT_RO_BIND || kind == MNT_BIND) {
			why = parse_bind_spec(it->valuestring, &src, &dst);
			if (why)
				return pf_fail(c, field, "\"%s\": %s", it->valuestring, why);
		} else {
			if (!path_is_clean_absolute(it->valuestring) ||
			    strcmp(it->valuestring, "/") == 0)
				return pf_fail(c, field,
				               "\"%s\": must be a clean absolute path, not /",
				               it->valuestring);
			dst = xstrdup(it->valuestring);
		}
		add_mount(p, kind, src, dst);
	}
	return 0;
}

static int apply_workspace(const struct ctx *c, const struct json *ws, struct profile *p)
{
	static const char *const keys[] = {"mode", "size", "registration", NULL};
	const char *mode = NULL, *reg = NULL;
	int r = pf_check_keys(c, ws, "filesystem.workspace", keys);

	if (r < 0 || (r = pf_get_string(c, ws, "registration", "filesystem.workspace.registration",
	                                &reg)) < 0)
		return r;
	if (reg && strcmp(reg, "hide") != 0 && strcmp(reg, "show") != 0)
		return pf_fail(c, "filesystem.workspace.registration",
		               "\"%s\": must be hide or show", reg);
	if (reg)
		p->ws_registration = strcmp(reg, "show") == 0;
	r = pf_get_string(c, ws, "mode", "filesystem.workspace.mode", &mode);
	if (r < 0)
		return r;
	if (r > 0) {
		if (ws_mode_parse(mode, &p->ws_mode) < 0)
			return pf_fail(c, "filesystem.workspace.mode",
			               "\"%s\": must be overlay, tmpfs or bind", mode);
		p->has_ws_mode = true;
	}
	r = pf_get_size(c, ws, "size", "filesystem.workspace.size", &p->ws_size);
	return r < 0 ? r : 0;
}

int profile_apply_filesystem(const struct ctx *c, const struct json *fs, struct profile *p)
{
	static const char *const keys[] = {"workspace", "tmp_size", "ro_bind", "bind", "tmpfs",
	                                   "mask",      "workdir",  "private", NULL};
	const char *workdir = NULL, *priv = NULL;
	const struct json *ws;
	int r = pf_check_keys(c, fs, "filesystem", keys);

	if (r < 0 || (r = pf_get_string(c, fs, "private", "filesystem.private", &priv)) < 0)
		return r;
	if (priv && strcmp(priv, "require") != 0 && strcmp(priv, "best-effort") != 0)
		return pf_fail(c, "filesystem.private", "\"%s\": must be require or best-effort",
		               priv);
	if (priv)
		p->private_mode = strcmp(priv, "require") == 0 ? PRIV_REQUIRE : PRIV_BEST_EFFORT;
	ws = json_get(fs, "workspace");
	if (ws && (r = apply_workspace(c, ws, p)) < 0)
		return r;
	if ((r = pf_get_size(c, fs, "tmp_size", "filesystem.tmp_size", &p->tmp_size)) < 0 ||
	    (r = pf_get_string(c, fs, "workdir", "filesystem.workdir", &workdir)) < 0)
		return r;
	if (workdir && strcmp(workdir, "caller") != 0 && !path_is_clean_absolute(workdir) &&
	    (strncmp(workdir, "${", 2) != 0 || check_var_refs(workdir)))
		return pf_fail(c, "filesystem.workdir",
		               "\"%s\": must be \"caller\", an absolute path or ${VAR}", workdir);
	if (workdir) {
		free(p->workdir);
		p->workdir = xstrdup(workdir);
	}
	if ((r = apply_mount_list(c, fs, "ro_bind", MNT_RO_BIND, p)) < 0 ||
	    (r = apply_mount_list(c, fs, "bind", MNT_BIND, p)) < 0 ||
	    (r = apply_mount_list(c, fs, "tmpfs", MNT_TMPFS, p)) < 0 ||
	    (r = apply_mount_list(c, fs, "mask", MNT_MASK, p)) < 0)
		return r;
	return 0;
}

/* env.pass / env.drop (a trailing * for a prefix), file_commands.env / .path: variable names. */
static int apply_var_names(const struct ctx *c, const struct json *obj, const char *section,
                           const char *key, bool glob, struct strv *out)
{
	const struct json *arr = json_get(obj, key), *it;
	char field[64];
	int i = 0;

	snprintf(field, sizeof(field), "%s.%s", section, key);
	if (arr && !json_is_array(arr))
		return pf_fail(c, field, "must be an array of variable names");
	json_for_each(it, arr)
	{
		snprintf(field, sizeof(field), "%s.%s[%d]", section, key, i++);
		if (!json_is_string(it) || !env_name_valid(it->valuestring, glob))
			return pf_fail(c, field,
			               glob ? "must be a variable name (a trailing * "
			                      "matches a prefix)"
			                    : "must be a variable name");
		strv_push(out, it->valuestring);
	}
	return 0;
}

int profile_apply_env(const struct ctx *c, const struct json *env, struct profile *p)
{
	static const char *const keys[] = {"pass", "set", "drop", NULL};
	const struct json *set = json_get(env, "set");
	const struct json *it;
	int r = pf_check_keys(c, env, "env", keys);

	if (r < 0)
		return r;
	if ((r = apply_var_names(c, env, "env", "pass", true, &p->env_pass)) < 0 ||
	    (r = apply_var_names(c, env, "env", "drop", true, &p->env_drop)) < 0)
		return r;
	if (set && !json_is_object(set))
		return pf_fail(c, "env.set", "must be an object of NAME: \"value\"");
	json_for_each(it, set)
	{
		char field[300];

		snprintf(field, sizeof(field), "env.set.%s", it->string);
		if (!env_name_valid(it->string, false))
			return pf_fail(c, field, "not a valid variable name");
		if (!json_is_string(it))
			return pf_fail(c, field, "must be a string");
		strv_push_take(&p->env_set, xasprintf("%s=%s", it->string, it->valuestring));
	}
	return 0;
}

/* file_commands: the variables naming the runner's file commands that a step may write and a
 * later step, maybe outside any sandbox, reads (see filecmd.h). */
int profile_apply_file_commands(const struct ctx *c, const struct json *fc, struct profile *p)
{
	static const char *const keys[] = {"env", "path", "parser", NULL};
	const char *parser = NULL;
	int r = pf_check_keys(c, fc, "file_commands", keys);

	if (r < 0 || (r = pf_get_string(c, fc, "parser", "file_commands.parser", &parser)) < 0)
		return r;
	if (parser && strcmp(parser, "github") != 0 && strcmp(parser, "act") != 0)
		return pf_fail(c, "file_commands.parser", "\"%s\": must be github or act", parser);
	if (parser)
		p->fc_act = strcmp(parser, "act") == 0;
	if ((r = apply_var_names(c, fc, "file_commands", "env", false, &p->fc_env)) < 0 ||
	    (r = apply_var_names(c, fc, "file_commands", "path", false, &p->fc_path)) < 0)
		return r;
	return 0;
}

/* A limit given as a string ("4G", "1.5") or, for counts, a JSON number. */
static int get_limit(const struct ctx *c, const struct json *lim, const char *key,
                     int (*parse)(const char *, uint64_t *), const char *what, uint64_t *out)
{
	const struct json *v = json_get(lim, key);
	char field[32], num[32];
	const char *s = num;

	if (!v)
		return 0;
	snprintf(field, sizeof(field), "limits.%s", key);
	if (json_is_number(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		snprintf(num, sizeof(num), "%g", v->valuedouble);
	else if (json_is_string(v))
		s = v->valuestring;
	else
		return pf_fail(c, field, "must be a string or a number");
	if (parse(s, out) < 0)
		return pf_fail(c, field, "\"%s\" is not %s", s, what);
	return 0;
}

/* "4G", or "50%" of the host's RAM; either replaces what a parent profile said. */
static int get_memory(const struct ctx *c, const struct json *lim, struct limits *l)
{
	const struct json *v = json_get(lim, "memory");
	char num[32];
	const char *s = num;

	if (!v)
		return 0;
	if (json_is_number(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		snprintf(num, sizeof(num), "%g", v->valuedouble);
	else if (json_is_string(v))
		s = v->valuestring;
	else
		return pf_fail(c, "limits.memory", "must be a string or a number");
	if (parse_memory(s, &l->memory, &l->memory_pct) < 0)
		return pf_fail(c, "limits.memory",
		               "\"%s\" is not a size (e.g. 4G) or a share of RAM "
		               "(1%%-100%%)",
		               s);
	return 0;
}

int profile_apply_limits(const struct ctx *c, const struct json *lim, struct profile *p)
{
	static const char *const keys[] = {"timeout", "kill_grace",     "memory",
	                                   "pids",    "cpus",           "nofile",
	                                   "fsize",   "require_cgroup", NULL};
	const struct json *req = json_get(lim, "require_cgroup");
	int r = pf_check_keys(c, lim, "limits", keys);

	if (r < 0)
		return r;
	r = pf_get_duration(c, lim, "timeout", "limits.timeout", &p->timeout_ms);
	if (r < 0)
		return r;
	p->has_timeout = p->has_timeout || r > 0;
	r = pf_get_duration(c, lim, "kill_grace", "limits.kill_grace", &p->kill_grace_ms);
	if (r < 0)
		return r;
	p->has_kill_grace = p->has_kill_grace || r > 0;
	if ((r = get_memory(c, lim, &p->limits)) < 0 ||
	    (r = get_limit(c, lim, "fsize", parse_size, "a size (e.g. 16G)", &p->limits.fsize)) <
	        0 ||
	    (r = get_limit(c, lim, "pids", parse_count, "a positive count", &p->limits.pids)) < 0 ||
	    (r = get_limit(c, lim, "nofile", parse_count, "a positive count", &p->limits.nofile)) <
	        0 ||
	    (r = get_limit(c, lim, "cpus", parse_cpus, "a CPU count (e.g. 2, 1.5)",
	                   &p->limits.cpus_milli)) < 0)
		return r;
	if (req && !json_is_bool(req))
		return pf_fail(c, "limits.require_cgroup", "must be true or false");
	if (req)
		p->limits.require_cgroup = json_is_true(req);
	return 0;
}

int profile_apply_audit(const struct ctx *c, const struct json *audit, struct profile *p)
{
	static const char *const keys[] = {"log", "required", NULL};
	const struct json *req = json_get(audit, "required");
	const char *log = NULL;
	int r = pf_check_keys(c, audit, "audit", keys);

	if (r < 0)
		return r;
	if (req && !json_is_bool(req))
		return pf_fail(c, "audit.required", "must be true or false");
	if (req)
		p->audit_required = json_is_true(req);
	if ((r = pf_get_string(c, audit, "log", "audit.log", &log)) <= 0)
		return r;
	if (strncmp(log, "fd:", 3) != 0 && strcmp(log, "journal") != 0 &&
	    !path_is_clean_absolute(log))
		return pf_fail(c, "audit.log", "\"%s\": must be an absolute path, fd:N or journal",
		               log);
	free(p->audit_log);
	p->audit_log = xstrdup(log);
	return 0;
}

/* An array of allowlist entries (or DNS servers), each checked now so that the error names
 * it. */
static int apply_entries(const struct ctx *c, const struct json *net, const char *key,
                         struct strv *out)
{
	bool names = strcmp(key, "allow") == 0, upstream = strcmp(key, "dns_upstream") == 0;
	const struct json *arr = json_get(net, key), *it;
	int i = 0;

	if (arr && !json_is_array(arr))
		return pf_fail(c, key, "network.%s must be an array of destinations", key);
	json_for_each(it, arr)
	{
		char field[48];
		struct net_allow a;
		struct net_upstream u;
		const char *why;

		snprintf(field, sizeof(field), "network.%s[%d]", key, i++);
		if (!json_is_string(it))
			return pf_fail(c, field, "must be a string");
		why = names      ? net_check_dest(it->valuestring)
		      : upstream ? net_parse_upstream(it->valuestring, &u)
		                 : net_parse_allow(it->valuestring, &a);
		if (why)
			return pf_fail(c, field, "\"%s\": %s", it->valuestring, why);
		strv_push(out, it->valuestring);
	}
	return 0;
}

/* A child profile's servers replace its parent's (allow entries add up; servers do not). */
static int replace_entries(const struct ctx *c, const struct json *net, const char *key,
                           struct strv *out)
{
	struct strv mine = {0};
	int r = apply_entries(c, net, key, &mine);

	if (r < 0 || !mine.n) {
		strv_free(&mine);
		return r;
	}
	strv_free(out);
	*out = mine;
	return 0;
}

/* Seconds, a whole JSON number from 1 to a week. */
static int get_ttl(const struct ctx *c, const struct json *net, const char *key, int *out)
{
	const struct json *v = json_get(net, key);
	char field[32];

	if (!v)
		return 0;
	snprintf(field, sizeof(field), "network.%s", key);
	/* The range first: casting a double beyond int's is undefined (tests/fuzz/fuzz_profile.c).
	 */
	if (!json_is_number(v) || !(v->valuedouble >= 1 && v->valuedouble <= 604800) ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return pf_fail(c, field, "must be a whole number of seconds from 1 to 604800");
	*out = (int)v->valuedouble;
	return 0;
}

int profile_apply_network(const struct ctx *c, const struct json *net, struct profile *p)
{
	static const char *const keys[] = {"mode",        "allow",           "allow_private",
	                                   "backend",     "dns_upstream",    "dns_min_ttl",
	                                   "dns_max_ttl", "helper_required", NULL};
	const struct json *req = json_get(net, "helper_required");
	const char *mode = NULL, *backend = NULL;
	int r = pf_check_keys(c, net, "network", keys);

	if (r < 0 || (r = pf_get_string(c, net, "mode", "network.mode", &mode)) < 0)
		return r;
	if (req && !json_is_bool(req))
		return pf_fail(c, "network.helper_required", "must be true or false");
	if (req)
		p->helper_required = json_is_true(req) ? 1 : -1;
	if (r > 0) {
		if (net_mode_parse(mode, &p->net_mode) < 0)
			return pf_fail(c, "network.mode",
			               "\"%s\": must be none, allowlist, open or audit", mode);
		p->has_net_mode = true;
	}
	if ((r = apply_entries(c, net, "allow", &p->net_allow)) < 0 ||
	    (r = apply_entries(c, net, "allow_private", &p->net_private)) < 0 ||
	    (r = replace_entries(c, net, "dns_upstream", &p->dns_upstream)) < 0 ||
	    (r = get_ttl(c, net, "dns_min_ttl", &p->dns_min_ttl)) < 0 ||
	    (r = get_ttl(c, net, "dns_max_ttl", &p->dns_max_ttl)) < 0 ||
	    (r = pf_get_string(c, net, "backend", "network.backend", &backend)) < 0)
		return r;
	if (r > 0 && strcmp(backend, "auto") != 0 && strcmp(backend, "slirp4netns") != 0 &&
	    strcmp(backend, "pasta") != 0)
		return pf_fail(c, "network.backend", "\"%s\": must be auto, slirp4netns or pasta",
		               backend);
	if (r > 0) {
		free(p->net_backend);
		p->net_backend = xstrdup(backend);
	}
	return 0;
}

static int apply_names(const struct ctx *c, const struct json *sc, const char *key, bool allow,
                       struct strv *out)
{
	const struct json *arr = json_get(sc, key), *it;
	int i = 0;

	if (arr && !json_is_array(arr))
		return pf_fail(c, allow ? "seccomp.allow" : "seccomp.deny",
		               "must be an array of syscall names and @groups");
	json_for_each(it, arr)
	{
		char field[48];

		snprintf(field, sizeof(field), "seccomp.%s[%d]", key, i++);
		if (!json_is_string(it))
			return pf_fail(c, field, "must be a string");
		if (!cis_seccomp_name_valid(it->valuestring))
			return pf_fail(c, field, "unknown %s \"%s\"",
			               it->valuestring[0] == '@' ? "group" : "syscall",
			               it->valuestring);
		if (allow && strcmp(it->valuestring, "@privileged") == 0)
			return pf_fail(c, field,
			               "\"@privileged\" cannot be allowed as a group: name "
			               "each syscall");
		strv_push(out, it->valuestring);
	}
	return 0;
}

int profile_apply_seccomp(const struct ctx *c, const struct json *sc, struct profile *p)
{
	static const char *const keys[] = {"allow", "deny", "errno", "log_denied", NULL};
	const struct json *log = json_get(sc, "log_denied");
	const char *e = NULL;
	int r = pf_check_keys(c, sc, "seccomp", keys);

	if (r < 0 || (r = apply_names(c, sc, "allow", true, &p->sc_allow)) < 0 ||
	    (r = apply_names(c, sc, "deny", false, &p->sc_deny)) < 0)
		return r;
	if ((r = pf_get_string(c, sc, "errno", "seccomp.errno", &e)) < 0)
		return r;
	if (r > 0) {
		if ((p->sc_errno = cis_seccomp_errno(e)) < 0)
			return pf_fail(c, "seccomp.errno",
			               "\"%s\": must be EPERM, EACCES or ENOSYS", e);
		p->has_sc_errno = true;
	}
	if (log && !json_is_bool(log))
		return pf_fail(c, "seccomp.log_denied", "must be true or false");
	if (log) {
		p->has_sc_log = true;
		p->sc_log_denied = json_is_true(log);
	}
	return 0;
}

/* Sections whose schema later versions define: accepted only empty, so that a profile written
 * for a newer cisandbox fails loudly here instead of running with less protection than meant. */

/* "tier": trusted | untrusted; "secrets": ["NAME=@FILE", ...] (secrets.h). */
int profile_apply_secrets(const struct ctx *c, const struct json *root, struct profile *out)
{
	const struct json *list = json_get(root, "secrets"), *it;
	const char *tier = NULL;
	int r = pf_get_string(c, root, "tier", "tier", &tier);

	if (r < 0)
		return r;
	if (r > 0 && !(out->tier = secrets_tier_parse(tier)))
		return pf_fail(c, "tier", "\"%s\": must be trusted or untrusted", tier);
	if ((r = pf_get_duration(c, root, "token_ttl", "token_ttl", &out->token_ttl_ms)) < 0)
		return r;
	if (list && !json_is_array(list))
		return pf_fail(c, "secrets", "must be a list of \"NAME=@FILE\"");
	json_for_each(it, list)
	{
		const char *why = json_is_string(it) ? secrets_spec_check(it->valuestring)
		                                     : "must be a string \"NAME=@FILE\"";

		if (why)
			return pf_fail(c, "secrets", "%s: %s",
			               json_is_string(it) ? it->valuestring : "entry", why);
		strv_push(&out->secrets, it->valuestring);
	}
	return 0;
}
