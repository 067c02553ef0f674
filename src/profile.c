/* profile.c — load, validate and flatten JSON profiles (launcher only, before any namespace).
 * Every error names the file and the field path: "profile FILE: filesystem.bind[1]: reason". */
#define _GNU_SOURCE
#include "profile.h"
#include "secrets.h"
#include "net.h"
#include "seccomp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PROFILE_BYTES (1u << 20)
#define MAX_EXTENDS_DEPTH 8

extern const char cis_builtin_untrusted[];
extern const char cis_builtin_trusted[];
extern const char cis_builtin_gitlab[];
extern const char cis_builtin_github[];
extern const char cis_builtin_forgejo[];
extern const char cis_builtin_runner[];
extern const char cis_builtin_github_hook[];
extern const char cis_builtin_forgejo_runner[];

static const struct {
	const char *name;
	const char *text;
} builtins[] = {
    {"untrusted", cis_builtin_untrusted},     {"trusted", cis_builtin_trusted},
    {"gitlab", cis_builtin_gitlab},           {"github", cis_builtin_github},
    {"forgejo", cis_builtin_forgejo},         {"runner", cis_builtin_runner},
    {"github-hook", cis_builtin_github_hook}, {"forgejo-runner", cis_builtin_forgejo_runner},
};

/* Where one profile file is being read from, for error messages. */
struct ctx {
	const char *file;
	struct cis_err *err;
};

static int fail(const struct ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const struct ctx *c, const char *field, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return cis_err_set(c->err, "profile %s: %s: %s", c->file, field, reason);
}

size_t profile_search_dirs(const char **dirs, size_t max)
{
	static char env_copy[4096];
	const char *env = getenv("CISANDBOX_PROFILE_PATH");
	size_t n = 0;

	if (env && *env && strlen(env) < sizeof(env_copy)) {
		strcpy(env_copy, env);
		for (char *save = NULL, *d = strtok_r(env_copy, ":", &save); d && n < max;
		     d = strtok_r(NULL, ":", &save))
			dirs[n++] = d;
	}
	if (n < max)
		dirs[n++] = "/etc/cisandbox/profiles";
	if (n < max)
		dirs[n++] = CIS_DATADIR "/profiles";
	return n;
}

static bool name_is_plain(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int read_text(const char *path, char **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > MAX_PROFILE_BYTES)
		return -EFBIG;
	buf = xmalloc((size_t)st.st_size + 1);
	r = read(fd, buf, (size_t)st.st_size);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	*out = TAKE_PTR(buf);
	return 0;
}

/* Resolve a name or path to its text and a source label. */
static int find_profile(const char *ref, char **text, char **source, struct cis_err *err)
{
	const char *dirs[16];
	size_t n;
	int r;

	if (strchr(ref, '/') || (strlen(ref) > 5 && strcmp(ref + strlen(ref) - 5, ".json") == 0)) {
		r = read_text(ref, text);
		if (r < 0)
			return cis_err_set(err, "profile %s: %s", ref, strerror(-r));
		*source = xstrdup(ref);
		return 0;
	}
	if (!name_is_plain(ref))
		return cis_err_set(err, "profile %s: not a valid profile name", ref);
	n = profile_search_dirs(dirs, ARRAY_SIZE(dirs));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s.json", dirs[i], ref);

		r = read_text(path, text);
		if (r == 0) {
			*source = TAKE_PTR(path);
			return 0;
		}
		if (r != -ENOENT && r != -ENOTDIR)
			return cis_err_set(err, "profile %s: %s", path, strerror(-r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		if (strcmp(builtins[i].name, ref) == 0) {
			*text = xstrdup(builtins[i].text);
			*source = xasprintf("builtin:%s", ref);
			return 0;
		}
	}
	return cis_err_set(err,
	                   "profile %s: not found (searched $CISANDBOX_PROFILE_PATH, "
	                   "/etc/cisandbox/profiles, %s/profiles and the built-ins)",
	                   ref, CIS_DATADIR);
}

/* Unknown keys are errors: a typo must never silently weaken a policy. */
static int check_keys(const struct ctx *c, const cJSON *obj, const char *path,
                      const char *const *allowed)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return fail(c, path, "must be an object");
	cJSON_ArrayForEach(it, obj)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			ok = ok || strcmp(*a, it->string) == 0;
		if (!ok)
			return fail(c, path[0] ? path : "(top level)", "unknown key \"%s\"",
			            it->string);
	}
	return 0;
}

static int get_string(const struct ctx *c, const cJSON *obj, const char *key, const char *path,
                      const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring)
		return fail(c, path, "must be a string");
	*out = v->valuestring;
	return 1;
}

static int get_size(const struct ctx *c, const cJSON *obj, const char *key, const char *path,
                    uint64_t *out)
{
	const char *s = NULL;
	int r = get_string(c, obj, key, path, &s);

	if (r <= 0)
		return r;
	if (parse_size(s, out) < 0)
		return fail(c, path, "\"%s\" is not a size (e.g. 512M, 4G)", s);
	return 1;
}

static int get_duration(const struct ctx *c, const cJSON *obj, const char *key, const char *path,
                        uint64_t *out)
{
	const char *s = NULL;
	int r = get_string(c, obj, key, path, &s);

	if (r <= 0)
		return r;
	if (parse_duration(s, out) < 0)
		return fail(c, path, "\"%s\" is not a duration (e.g. 90s, 30m, 2h)", s);
	return 1;
}

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

static int apply_mount_list(const struct ctx *c, const cJSON *fs, const char *key,
                            enum mount_kind kind, struct profile *p)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(fs, key);
	const cJSON *it;
	int i = 0;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return fail(c, key, "filesystem.%s must be an array of strings", key);
	cJSON_ArrayForEach(it, arr)
	{
		char field[64];
		char *src = NULL, *dst = NULL;
		const char *why;

		snprintf(field, sizeof(field), "filesystem.%s[%d]", key, i++);
		if (!cJSON_IsString(it))
			return fail(c, field, "must be a string");
		if (strstr(it->valuestring, "${")) {
			/* Expanded from the caller's environment when the plan is built. */
			if ((why = check_var_refs(it->valuestring)))
				return fail(c, field, "\"%s\": %s", it->valuestring, why);
			add_mount(p, kind, NULL, xstrdup(it->valuestring));
			p->mounts[p->n_mounts - 1].deferred = true;
			continue;
		}
		if (kind == MNT_RO_BIND || kind == MNT_BIND) {
			why = parse_bind_spec(it->valuestring, &src, &dst);
			if (why)
				return fail(c, field, "\"%s\": %s", it->valuestring, why);
		} else {
			if (!path_is_clean_absolute(it->valuestring) ||
			    strcmp(it->valuestring, "/") == 0)
				return fail(c, field,
				            "\"%s\": must be a clean absolute path, not /",
				            it->valuestring);
			dst = xstrdup(it->valuestring);
		}
		add_mount(p, kind, src, dst);
	}
	return 0;
}

static int apply_workspace(const struct ctx *c, const cJSON *ws, struct profile *p)
{
	static const char *const keys[] = {"mode", "size", "registration", NULL};
	const char *mode = NULL, *reg = NULL;
	int r = check_keys(c, ws, "filesystem.workspace", keys);

	if (r < 0 ||
	    (r = get_string(c, ws, "registration", "filesystem.workspace.registration", &reg)) < 0)
		return r;
	if (reg && strcmp(reg, "hide") != 0 && strcmp(reg, "show") != 0)
		return fail(c, "filesystem.workspace.registration", "\"%s\": must be hide or show",
		            reg);
	if (reg)
		p->ws_registration = strcmp(reg, "show") == 0;
	r = get_string(c, ws, "mode", "filesystem.workspace.mode", &mode);
	if (r < 0)
		return r;
	if (r > 0) {
		if (ws_mode_parse(mode, &p->ws_mode) < 0)
			return fail(c, "filesystem.workspace.mode",
			            "\"%s\": must be overlay, tmpfs or bind", mode);
		p->has_ws_mode = true;
	}
	r = get_size(c, ws, "size", "filesystem.workspace.size", &p->ws_size);
	return r < 0 ? r : 0;
}

static int apply_filesystem(const struct ctx *c, const cJSON *fs, struct profile *p)
{
	static const char *const keys[] = {"workspace", "tmp_size", "ro_bind", "bind", "tmpfs",
	                                   "mask",      "workdir",  "private", NULL};
	const char *workdir = NULL, *priv = NULL;
	const cJSON *ws;
	int r = check_keys(c, fs, "filesystem", keys);

	if (r < 0 || (r = get_string(c, fs, "private", "filesystem.private", &priv)) < 0)
		return r;
	if (priv && strcmp(priv, "require") != 0 && strcmp(priv, "best-effort") != 0)
		return fail(c, "filesystem.private", "\"%s\": must be require or best-effort",
		            priv);
	if (priv)
		p->private_required = strcmp(priv, "require") == 0;
	ws = cJSON_GetObjectItemCaseSensitive(fs, "workspace");
	if (ws && (r = apply_workspace(c, ws, p)) < 0)
		return r;
	if ((r = get_size(c, fs, "tmp_size", "filesystem.tmp_size", &p->tmp_size)) < 0 ||
	    (r = get_string(c, fs, "workdir", "filesystem.workdir", &workdir)) < 0)
		return r;
	if (workdir && strcmp(workdir, "caller") != 0 && !path_is_clean_absolute(workdir) &&
	    (strncmp(workdir, "${", 2) != 0 || check_var_refs(workdir)))
		return fail(c, "filesystem.workdir",
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
static int apply_var_names(const struct ctx *c, const cJSON *obj, const char *section,
                           const char *key, bool glob, struct strv *out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	char field[64];
	int i = 0;

	snprintf(field, sizeof(field), "%s.%s", section, key);
	if (arr && !cJSON_IsArray(arr))
		return fail(c, field, "must be an array of variable names");
	cJSON_ArrayForEach(it, arr)
	{
		snprintf(field, sizeof(field), "%s.%s[%d]", section, key, i++);
		if (!cJSON_IsString(it) || !env_name_valid(it->valuestring, glob))
			return fail(c, field,
			            glob ? "must be a variable name (a trailing * "
			                   "matches a prefix)"
			                 : "must be a variable name");
		strv_push(out, it->valuestring);
	}
	return 0;
}

static int apply_env(const struct ctx *c, const cJSON *env, struct profile *p)
{
	static const char *const keys[] = {"pass", "set", "drop", NULL};
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(env, "set");
	const cJSON *it;
	int r = check_keys(c, env, "env", keys);

	if (r < 0)
		return r;
	if ((r = apply_var_names(c, env, "env", "pass", true, &p->env_pass)) < 0 ||
	    (r = apply_var_names(c, env, "env", "drop", true, &p->env_drop)) < 0)
		return r;
	if (set && !cJSON_IsObject(set))
		return fail(c, "env.set", "must be an object of NAME: \"value\"");
	cJSON_ArrayForEach(it, set)
	{
		char field[300];

		snprintf(field, sizeof(field), "env.set.%s", it->string);
		if (!env_name_valid(it->string, false))
			return fail(c, field, "not a valid variable name");
		if (!cJSON_IsString(it))
			return fail(c, field, "must be a string");
		strv_push_take(&p->env_set, xasprintf("%s=%s", it->string, it->valuestring));
	}
	return 0;
}

/* file_commands: the variables naming the runner's file commands that a step may write and a
 * later step, maybe outside any sandbox, reads (see filecmd.h). */
static int apply_file_commands(const struct ctx *c, const cJSON *fc, struct profile *p)
{
	static const char *const keys[] = {"env", "path", "parser", NULL};
	const char *parser = NULL;
	int r = check_keys(c, fc, "file_commands", keys);

	if (r < 0 || (r = get_string(c, fc, "parser", "file_commands.parser", &parser)) < 0)
		return r;
	if (parser && strcmp(parser, "github") != 0 && strcmp(parser, "act") != 0)
		return fail(c, "file_commands.parser", "\"%s\": must be github or act", parser);
	if (parser)
		p->fc_act = strcmp(parser, "act") == 0;
	if ((r = apply_var_names(c, fc, "file_commands", "env", false, &p->fc_env)) < 0 ||
	    (r = apply_var_names(c, fc, "file_commands", "path", false, &p->fc_path)) < 0)
		return r;
	return 0;
}

/* A limit given as a string ("4G", "1.5") or, for counts, a JSON number. */
static int get_limit(const struct ctx *c, const cJSON *lim, const char *key,
                     int (*parse)(const char *, uint64_t *), const char *what, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(lim, key);
	char field[32], num[32];
	const char *s = num;

	if (!v)
		return 0;
	snprintf(field, sizeof(field), "limits.%s", key);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		snprintf(num, sizeof(num), "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		s = v->valuestring;
	else
		return fail(c, field, "must be a string or a number");
	if (parse(s, out) < 0)
		return fail(c, field, "\"%s\" is not %s", s, what);
	return 0;
}

/* "4G", or "50%" of the host's RAM; either replaces what a parent profile said. */
static int get_memory(const struct ctx *c, const cJSON *lim, struct limits *l)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(lim, "memory");
	char num[32];
	const char *s = num;

	if (!v)
		return 0;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		snprintf(num, sizeof(num), "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		s = v->valuestring;
	else
		return fail(c, "limits.memory", "must be a string or a number");
	if (parse_memory(s, &l->memory, &l->memory_pct) < 0)
		return fail(c, "limits.memory",
		            "\"%s\" is not a size (e.g. 4G) or a share of RAM "
		            "(1%%-100%%)",
		            s);
	return 0;
}

static int apply_limits(const struct ctx *c, const cJSON *lim, struct profile *p)
{
	static const char *const keys[] = {"timeout", "kill_grace",     "memory",
	                                   "pids",    "cpus",           "nofile",
	                                   "fsize",   "require_cgroup", NULL};
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(lim, "require_cgroup");
	int r = check_keys(c, lim, "limits", keys);

	if (r < 0)
		return r;
	r = get_duration(c, lim, "timeout", "limits.timeout", &p->timeout_ms);
	if (r < 0)
		return r;
	p->has_timeout = p->has_timeout || r > 0;
	r = get_duration(c, lim, "kill_grace", "limits.kill_grace", &p->kill_grace_ms);
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
	if (req && !cJSON_IsBool(req))
		return fail(c, "limits.require_cgroup", "must be true or false");
	if (req)
		p->limits.require_cgroup = cJSON_IsTrue(req);
	return 0;
}

static int apply_audit(const struct ctx *c, const cJSON *audit, struct profile *p)
{
	static const char *const keys[] = {"log", "required", NULL};
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(audit, "required");
	const char *log = NULL;
	int r = check_keys(c, audit, "audit", keys);

	if (r < 0)
		return r;
	if (req && !cJSON_IsBool(req))
		return fail(c, "audit.required", "must be true or false");
	if (req)
		p->audit_required = cJSON_IsTrue(req);
	if ((r = get_string(c, audit, "log", "audit.log", &log)) <= 0)
		return r;
	if (strncmp(log, "fd:", 3) != 0 && strcmp(log, "journal") != 0 &&
	    !path_is_clean_absolute(log))
		return fail(c, "audit.log", "\"%s\": must be an absolute path, fd:N or journal",
		            log);
	free(p->audit_log);
	p->audit_log = xstrdup(log);
	return 0;
}

/* An array of allowlist entries (or DNS servers), each checked now so that the error names
 * it. */
static int apply_entries(const struct ctx *c, const cJSON *net, const char *key, struct strv *out)
{
	bool names = strcmp(key, "allow") == 0, upstream = strcmp(key, "dns_upstream") == 0;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(net, key), *it;
	int i = 0;

	if (arr && !cJSON_IsArray(arr))
		return fail(c, key, "network.%s must be an array of destinations", key);
	cJSON_ArrayForEach(it, arr)
	{
		char field[48];
		struct net_allow a;
		struct net_upstream u;
		const char *why;

		snprintf(field, sizeof(field), "network.%s[%d]", key, i++);
		if (!cJSON_IsString(it))
			return fail(c, field, "must be a string");
		why = names      ? net_check_dest(it->valuestring)
		      : upstream ? net_parse_upstream(it->valuestring, &u)
		                 : net_parse_allow(it->valuestring, &a);
		if (why)
			return fail(c, field, "\"%s\": %s", it->valuestring, why);
		strv_push(out, it->valuestring);
	}
	return 0;
}

/* A child profile's servers replace its parent's (allow entries add up; servers do not). */
static int replace_entries(const struct ctx *c, const cJSON *net, const char *key, struct strv *out)
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
static int get_ttl(const struct ctx *c, const cJSON *net, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(net, key);
	char field[32];

	if (!v)
		return 0;
	snprintf(field, sizeof(field), "network.%s", key);
	/* The range first: casting a double beyond int's is undefined (tests/fuzz/fuzz_profile.c).
	 */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1 && v->valuedouble <= 604800) ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return fail(c, field, "must be a whole number of seconds from 1 to 604800");
	*out = (int)v->valuedouble;
	return 0;
}

static int apply_network(const struct ctx *c, const cJSON *net, struct profile *p)
{
	static const char *const keys[] = {"mode",        "allow",           "allow_private",
	                                   "backend",     "dns_upstream",    "dns_min_ttl",
	                                   "dns_max_ttl", "helper_required", NULL};
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(net, "helper_required");
	const char *mode = NULL, *backend = NULL;
	int r = check_keys(c, net, "network", keys);

	if (r < 0 || (r = get_string(c, net, "mode", "network.mode", &mode)) < 0)
		return r;
	if (req && !cJSON_IsBool(req))
		return fail(c, "network.helper_required", "must be true or false");
	if (req)
		p->helper_required = cJSON_IsTrue(req) ? 1 : -1;
	if (r > 0) {
		if (net_mode_parse(mode, &p->net_mode) < 0)
			return fail(c, "network.mode",
			            "\"%s\": must be none, allowlist, open or audit", mode);
		p->has_net_mode = true;
	}
	if ((r = apply_entries(c, net, "allow", &p->net_allow)) < 0 ||
	    (r = apply_entries(c, net, "allow_private", &p->net_private)) < 0 ||
	    (r = replace_entries(c, net, "dns_upstream", &p->dns_upstream)) < 0 ||
	    (r = get_ttl(c, net, "dns_min_ttl", &p->dns_min_ttl)) < 0 ||
	    (r = get_ttl(c, net, "dns_max_ttl", &p->dns_max_ttl)) < 0 ||
	    (r = get_string(c, net, "backend", "network.backend", &backend)) < 0)
		return r;
	if (r > 0 && strcmp(backend, "auto") != 0 && strcmp(backend, "slirp4netns") != 0 &&
	    strcmp(backend, "pasta") != 0)
		return fail(c, "network.backend", "\"%s\": must be auto, slirp4netns or pasta",
		            backend);
	if (r > 0) {
		free(p->net_backend);
		p->net_backend = xstrdup(backend);
	}
	return 0;
}

static int apply_names(const struct ctx *c, const cJSON *sc, const char *key, bool allow,
                       struct strv *out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(sc, key), *it;
	int i = 0;

	if (arr && !cJSON_IsArray(arr))
		return fail(c, allow ? "seccomp.allow" : "seccomp.deny",
		            "must be an array of syscall names and @groups");
	cJSON_ArrayForEach(it, arr)
	{
		char field[48];

		snprintf(field, sizeof(field), "seccomp.%s[%d]", key, i++);
		if (!cJSON_IsString(it))
			return fail(c, field, "must be a string");
		if (!cis_seccomp_name_valid(it->valuestring))
			return fail(c, field, "unknown %s \"%s\"",
			            it->valuestring[0] == '@' ? "group" : "syscall",
			            it->valuestring);
		if (allow && strcmp(it->valuestring, "@privileged") == 0)
			return fail(c, field,
			            "\"@privileged\" cannot be allowed as a group: name "
			            "each syscall");
		strv_push(out, it->valuestring);
	}
	return 0;
}

static int apply_seccomp(const struct ctx *c, const cJSON *sc, struct profile *p)
{
	static const char *const keys[] = {"allow", "deny", "errno", "log_denied", NULL};
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(sc, "log_denied");
	const char *e = NULL;
	int r = check_keys(c, sc, "seccomp", keys);

	if (r < 0 || (r = apply_names(c, sc, "allow", true, &p->sc_allow)) < 0 ||
	    (r = apply_names(c, sc, "deny", false, &p->sc_deny)) < 0)
		return r;
	if ((r = get_string(c, sc, "errno", "seccomp.errno", &e)) < 0)
		return r;
	if (r > 0) {
		if ((p->sc_errno = cis_seccomp_errno(e)) < 0)
			return fail(c, "seccomp.errno", "\"%s\": must be EPERM, EACCES or ENOSYS",
			            e);
		p->has_sc_errno = true;
	}
	if (log && !cJSON_IsBool(log))
		return fail(c, "seccomp.log_denied", "must be true or false");
	if (log) {
		p->has_sc_log = true;
		p->sc_log_denied = cJSON_IsTrue(log);
	}
	return 0;
}

/* Sections whose schema later versions define: accepted only empty, so that a profile written
 * for a newer cisandbox fails loudly here instead of running with less protection than meant. */
static int check_reserved(const struct ctx *c, const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	if (v && (!cJSON_IsObject(v) || v->child))
		return fail(c, key, "reserved section: this version accepts only {}");
	return 0;
}

static int load_chain(const char *ref, int depth, const char **chain, struct profile *out,
                      struct cis_err *err);

/* "tier": trusted | untrusted; "secrets": ["NAME=@FILE", ...] (secrets.h). */
static int apply_secrets(const struct ctx *c, const cJSON *root, struct profile *out)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "secrets"), *it;
	const char *tier = NULL;
	int r = get_string(c, root, "tier", "tier", &tier);

	if (r < 0)
		return r;
	if (r > 0 && !(out->tier = secrets_tier_parse(tier)))
		return fail(c, "tier", "\"%s\": must be trusted or untrusted", tier);
	if ((r = get_duration(c, root, "token_ttl", "token_ttl", &out->token_ttl_ms)) < 0)
		return r;
	if (list && !cJSON_IsArray(list))
		return fail(c, "secrets", "must be a list of \"NAME=@FILE\"");
	cJSON_ArrayForEach(it, list)
	{
		const char *why = cJSON_IsString(it) ? secrets_spec_check(it->valuestring)
		                                     : "must be a string \"NAME=@FILE\"";

		if (why)
			return fail(c, "secrets", "%s: %s",
			            cJSON_IsString(it) ? it->valuestring : "entry", why);
		strv_push(&out->secrets, it->valuestring);
	}
	return 0;
}

static int apply_extends(const struct ctx *c, const cJSON *root, int depth, const char **chain,
                         struct profile *out)
{
	const char *parent = NULL;
	int r = get_string(c, root, "extends", "extends", &parent);

	if (r <= 0)
		return r;
	for (int i = 0; i <= depth; i++)
		if (strcmp(chain[i], parent) == 0)
			return fail(c, "extends", "cycle: \"%s\" extends itself", parent);
	if (depth + 1 >= MAX_EXTENDS_DEPTH)
		return fail(c, "extends", "chain deeper than %d", MAX_EXTENDS_DEPTH);
	return load_chain(parent, depth + 1, chain, out, c->err);
}

static int apply_root(const struct ctx *c, const cJSON *root, int depth, const char **chain,
                      struct profile *out)
{
	static const char *const keys[] = {
	    "version", "name",    "description", "extends",      "filesystem", "env",
	    "limits",  "network", "seccomp",     "capabilities", "audit",      "file_commands",
	    "secrets", "tier",    "token_ttl",   "policy",       NULL};
	const cJSON *v;
	const char *s = NULL;
	int r = check_keys(c, root, "", keys);

	if (r < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (v && (!cJSON_IsNumber(v) || v->valuedouble != 1))
		return fail(c, "version", "must be 1");
	if ((r = apply_extends(c, root, depth, chain, out)) < 0)
		return r;
	if ((r = get_string(c, root, "name", "name", &s)) < 0)
		return r;
	if (r > 0) {
		if (!name_is_plain(s))
			return fail(c, "name", "\"%s\": letters, digits, - _ . only", s);
		free(out->name);
		out->name = xstrdup(s);
	}
	if ((r = get_string(c, root, "description", "description", &s)) < 0)
		return r;
	if (r > 0) {
		free(out->description);
		out->description = xstrdup(s);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "filesystem")) &&
	    (r = apply_filesystem(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "env")) && (r = apply_env(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "file_commands")) &&
	    (r = apply_file_commands(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "limits")) &&
	    (r = apply_limits(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "audit")) &&
	    (r = apply_audit(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "network")) &&
	    (r = apply_network(c, v, out)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "seccomp")) &&
	    (r = apply_seccomp(c, v, out)) < 0)
		return r;
	if ((r = check_reserved(c, root, "capabilities")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "policy")) &&
	    (r = policy_spec_parse(v, c->file, &out->policy, c->err)) < 0)
		return r;
	return apply_secrets(c, root, out);
}

/* Parse text (from source) and apply it, its parents first, over the accumulated result. */
static int load_text(const char *text, char **source, int depth, const char **chain,
                     struct profile *out, struct cis_err *err)
{
	cJSON *root;
	struct ctx c = {.err = err, .file = *source};
	int r;

	root = cJSON_ParseWithOpts(text, NULL, true);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		int line = 1;

		for (const char *q = text; at && q < at; q++)
			line += *q == '\n';
		return cis_err_set(err, "profile %s: line %d: invalid JSON", *source, line);
	}
	r = apply_root(&c, root, depth, chain, out);
	cJSON_Delete(root);
	if (r < 0)
		return r;
	if (depth == 0) {
		free(out->source);
		out->source = TAKE_PTR(*source);
	}
	return 0;
}

/* Load `ref`, its parents first, applying each over the accumulated result. */
static int load_chain(const char *ref, int depth, const char **chain, struct profile *out,
                      struct cis_err *err)
{
	_cleanup_free_ char *text = NULL, *source = NULL;
	int r;

	chain[depth] = ref;
	r = find_profile(ref, &text, &source, err);
	if (r < 0)
		return r;
	return load_text(text, &source, depth, chain, out, err);
}

int profile_load_text(const char *text, const char *source, struct profile *out,
                      struct cis_err *err)
{
	const char *chain[MAX_EXTENDS_DEPTH] = {source};
	_cleanup_free_ char *src = xstrdup(source);
	int r;

	*out = (struct profile){.limits.require_cgroup = -1, .ws_registration = -1};
	r = load_text(text, &src, 0, chain, out, err);
	if (r < 0) {
		profile_free(out);
		return r;
	}
	if (!out->name)
		out->name = xstrdup(source);
	return 0;
}

int profile_load(const char *name_or_path, struct profile *out, struct cis_err *err)
{
	const char *chain[MAX_EXTENDS_DEPTH];
	int r;

	*out = (struct profile){.limits.require_cgroup = -1, .ws_registration = -1};
	r = load_chain(name_or_path, 0, chain, out, err);
	if (r < 0) {
		profile_free(out);
		return r;
	}
	if (!out->name)
		out->name = xstrdup(name_or_path);
	return 0;
}

void profile_free(struct profile *p)
{
	mount_ops_free(p->mounts, p->n_mounts);
	free(p->name);
	free(p->description);
	free(p->source);
	free(p->audit_log);
	strv_free(&p->env_pass);
	strv_free(&p->env_drop);
	strv_free(&p->env_set);
	strv_free(&p->fc_env);
	strv_free(&p->fc_path);
	strv_free(&p->sc_allow);
	strv_free(&p->secrets);
	strv_free(&p->sc_deny);
	strv_free(&p->net_allow);
	strv_free(&p->dns_upstream);
	strv_free(&p->net_private);
	free(p->net_backend);
	free(p->workdir);
	policy_spec_free(&p->policy);
	*p = (struct profile){0};
}

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

void json_limits(cJSON *lim, const struct limits *l)
{
	char buf[32];

	if (l->memory_pct) {
		/* The share, not the bytes: the same plan on every host (golden files). */
		snprintf(buf, sizeof(buf), "%u%%", l->memory_pct); /* as written: it loads back */
		cJSON_AddStringToObject(lim, "memory", buf);
	} else if (l->memory) {
		cJSON_AddStringToObject(lim, "memory", format_size(l->memory, buf));
	}
	if (l->pids)
		cJSON_AddNumberToObject(lim, "pids", (double)l->pids);
	if (l->cpus_milli) {
		snprintf(buf, sizeof(buf), "%llu.%03llu",
		         (unsigned long long)(l->cpus_milli / 1000),
		         (unsigned long long)(l->cpus_milli % 1000));
		cJSON_AddStringToObject(lim, "cpus", buf);
	}
	if (l->nofile)
		cJSON_AddNumberToObject(lim, "nofile", (double)l->nofile);
	if (l->fsize)
		cJSON_AddStringToObject(lim, "fsize", format_size(l->fsize, buf));
	if (l->require_cgroup >= 0)
		cJSON_AddBoolToObject(lim, "require_cgroup", l->require_cgroup);
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
		cJSON_AddItemToObject(
		    root, "secrets",
		    cJSON_CreateStringArray((const char *const *)p->secrets.v, (int)p->secrets.n));
}

int profile_print_json(const struct profile *p, FILE *out)
{
	cJSON *root = cJSON_CreateObject(), *fs, *ws, *env, *lim, *net, *set, *sc;
	char buf[32];

	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "name", p->name);
	if (p->description)
		cJSON_AddStringToObject(root, "description", p->description);
	fs = cJSON_AddObjectToObject(root, "filesystem");
	ws = cJSON_AddObjectToObject(fs, "workspace");
	if (p->has_ws_mode)
		cJSON_AddStringToObject(ws, "mode", ws_mode_name(p->ws_mode));
	if (p->ws_size)
		cJSON_AddStringToObject(ws, "size", format_size(p->ws_size, buf));
	if (p->ws_registration >= 0)
		cJSON_AddStringToObject(ws, "registration", p->ws_registration ? "show" : "hide");
	if (p->tmp_size)
		cJSON_AddStringToObject(fs, "tmp_size", format_size(p->tmp_size, buf));
	add_mount_array(fs, p, MNT_RO_BIND, "ro_bind");
	add_mount_array(fs, p, MNT_BIND, "bind");
	add_mount_array(fs, p, MNT_TMPFS, "tmpfs");
	add_mount_array(fs, p, MNT_MASK, "mask");
	env = cJSON_AddObjectToObject(root, "env");
	cJSON_AddItemToObject(
	    env, "pass",
	    cJSON_CreateStringArray((const char *const *)p->env_pass.v, (int)p->env_pass.n));
	if (p->env_drop.n)
		cJSON_AddItemToObject(env, "drop",
		                      cJSON_CreateStringArray((const char *const *)p->env_drop.v,
		                                              (int)p->env_drop.n));
	set = cJSON_AddObjectToObject(env, "set");
	for (size_t i = 0; i < p->env_set.n; i++) {
		const char *eq = strchr(p->env_set.v[i], '=');
		_cleanup_free_ char *k = strndup(p->env_set.v[i], (size_t)(eq - p->env_set.v[i]));

		cJSON_AddStringToObject(set, k, eq + 1);
	}
	if (p->fc_env.n || p->fc_path.n) {
		cJSON *fc = cJSON_AddObjectToObject(root, "file_commands");

		cJSON_AddStringToObject(fc, "parser", p->fc_act ? "act" : "github");

		cJSON_AddItemToObject(
		    fc, "env",
		    cJSON_CreateStringArray((const char *const *)p->fc_env.v, (int)p->fc_env.n));
		cJSON_AddItemToObject(
		    fc, "path",
		    cJSON_CreateStringArray((const char *const *)p->fc_path.v, (int)p->fc_path.n));
	}
	lim = cJSON_AddObjectToObject(root, "limits");
	if (p->has_timeout)
		cJSON_AddStringToObject(lim, "timeout", format_duration(p->timeout_ms, buf));
	if (p->has_kill_grace)
		cJSON_AddStringToObject(lim, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(lim, &p->limits);
	json_audit(root, p);
	net = cJSON_AddObjectToObject(root, "network");
	cJSON_AddStringToObject(net, "mode", net_mode_name(p->net_mode));
	if (p->helper_required)
		cJSON_AddBoolToObject(net, "helper_required", p->helper_required > 0);
	if (p->net_allow.n)
		cJSON_AddItemToObject(net, "allow",
		                      cJSON_CreateStringArray((const char *const *)p->net_allow.v,
		                                              (int)p->net_allow.n));
	if (p->net_private.n)
		cJSON_AddItemToObject(net, "allow_private",
		                      cJSON_CreateStringArray((const char *const *)p->net_private.v,
		                                              (int)p->net_private.n));
	if (p->dns_upstream.n)
		cJSON_AddItemToObject(
		    net, "dns_upstream",
		    cJSON_CreateStringArray((const char *const *)p->dns_upstream.v,
		                            (int)p->dns_upstream.n));
	if (p->dns_min_ttl)
		cJSON_AddNumberToObject(net, "dns_min_ttl", p->dns_min_ttl);
	if (p->dns_max_ttl)
		cJSON_AddNumberToObject(net, "dns_max_ttl", p->dns_max_ttl);
	sc = cJSON_AddObjectToObject(root, "seccomp");
	cJSON_AddItemToObject(
	    sc, "allow",
	    cJSON_CreateStringArray((const char *const *)p->sc_allow.v, (int)p->sc_allow.n));
	cJSON_AddItemToObject(
	    sc, "deny",
	    cJSON_CreateStringArray((const char *const *)p->sc_deny.v, (int)p->sc_deny.n));
	if (p->has_sc_errno)
		cJSON_AddStringToObject(sc, "errno", strerrorname_np(p->sc_errno));
	if (p->has_sc_log)
		cJSON_AddBoolToObject(sc, "log_denied", p->sc_log_denied);
	json_trust(root, p);
	policy_spec_json(root, &p->policy);
	return json_emit(root, out);
}
