/* profile.c — load, validate and flatten JSON profiles (launcher only, before any namespace).
 * Every error names the file and the field path: "profile FILE: filesystem.bind[1]: reason". */
#define _GNU_SOURCE
#include "profile.h"
#include "profile_int.h"
#include "netspec.h"
#include "seccomp.h"
#include "json.h"

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

int pf_fail(const struct ctx *c, const char *field, const char *fmt, ...)
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

/* A regular file's text. Opened non-blocking: a FIFO (or a device) named as a profile or as
 * an `extends` target must be refused, not wait for a writer. -EINVAL: not a regular file. */
static int read_text(const char *path, char **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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

static const char *why_unreadable(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(-r);
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
			return cis_err_set(err, "profile %s: %s", ref, why_unreadable(r));
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
			return cis_err_set(err, "profile %s: %s", path, why_unreadable(r));
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
int pf_check_keys(const struct ctx *c, const struct json *obj, const char *path,
                  const char *const *allowed)
{
	const struct json *it;

	if (!json_is_object(obj))
		return pf_fail(c, path, "must be an object");
	json_for_each(it, obj)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			ok = ok || strcmp(*a, it->string) == 0;
		if (!ok)
			return pf_fail(c, path[0] ? path : "(top level)", "unknown key \"%s\"",
			               it->string);
	}
	return 0;
}

int pf_get_string(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                  const char **out)
{
	const struct json *v = json_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || !v->valuestring)
		return pf_fail(c, path, "must be a string");
	*out = v->valuestring;
	return 1;
}

int pf_get_size(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                uint64_t *out)
{
	const char *s = NULL;
	int r = pf_get_string(c, obj, key, path, &s);

	if (r <= 0)
		return r;
	if (parse_size(s, out) < 0)
		return pf_fail(c, path, "\"%s\" is not a size (e.g. 512M, 4G)", s);
	return 1;
}

int pf_get_duration(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                    uint64_t *out)
{
	const char *s = NULL;
	int r = pf_get_string(c, obj, key, path, &s);

	if (r <= 0)
		return r;
	if (parse_duration(s, out) < 0)
		return pf_fail(c, path, "\"%s\" is not a duration (e.g. 90s, 30m, 2h)", s);
	return 1;
}

static int check_reserved(const struct ctx *c, const struct json *root, const char *key)
{
	const struct json *v = json_get(root, key);

	if (v && (!json_is_object(v) || v->child))
		return pf_fail(c, key, "reserved section: this version accepts only {}");
	return 0;
}

static int load_chain(const char *ref, int depth, const char **chain, struct profile *out,
                      struct cis_err *err);

static int apply_extends(const struct ctx *c, const struct json *root, int depth,
                         const char **chain, struct profile *out)
{
	const char *parent = NULL;
	int r = pf_get_string(c, root, "extends", "extends", &parent);

	if (r <= 0)
		return r;
	for (int i = 0; i <= depth; i++)
		if (strcmp(chain[i], parent) == 0)
			return pf_fail(c, "extends", "cycle: \"%s\" extends itself", parent);
	if (depth + 1 >= MAX_EXTENDS_DEPTH)
		return pf_fail(c, "extends", "chain deeper than %d", MAX_EXTENDS_DEPTH);
	return load_chain(parent, depth + 1, chain, out, c->err);
}

static int apply_root(const struct ctx *c, const struct json *root, int depth, const char **chain,
                      struct profile *out)
{
	static const char *const keys[] = {
	    "version", "name",    "description", "extends",      "filesystem", "env",
	    "limits",  "network", "seccomp",     "capabilities", "audit",      "file_commands",
	    "secrets", "tier",    "token_ttl",   "policy",       NULL};
	const struct json *v;
	const char *s = NULL;
	int r = pf_check_keys(c, root, "", keys);

	if (r < 0)
		return r;
	v = json_get(root, "version");
	if (v && (!json_is_number(v) || v->valuedouble != 1))
		return pf_fail(c, "version", "must be 1");
	if ((r = apply_extends(c, root, depth, chain, out)) < 0)
		return r;
	if ((r = pf_get_string(c, root, "name", "name", &s)) < 0)
		return r;
	if (r > 0) {
		if (!name_is_plain(s))
			return pf_fail(c, "name", "\"%s\": letters, digits, - _ . only", s);
		free(out->name);
		out->name = xstrdup(s);
	}
	if ((r = pf_get_string(c, root, "description", "description", &s)) < 0)
		return r;
	if (r > 0) {
		free(out->description);
		out->description = xstrdup(s);
	}
	if ((v = json_get(root, "filesystem")) && (r = profile_apply_filesystem(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "env")) && (r = profile_apply_env(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "file_commands")) &&
	    (r = profile_apply_file_commands(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "limits")) && (r = profile_apply_limits(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "audit")) && (r = profile_apply_audit(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "network")) && (r = profile_apply_network(c, v, out)) < 0)
		return r;
	if ((v = json_get(root, "seccomp")) && (r = profile_apply_seccomp(c, v, out)) < 0)
		return r;
	if ((r = check_reserved(c, root, "capabilities")) < 0)
		return r;
	if ((v = json_get(root, "policy")) &&
	    (r = policy_spec_parse(v, c->file, &out->policy, c->err)) < 0)
		return r;
	return profile_apply_secrets(c, root, out);
}

/* Parse text (from source) and apply it, its parents first, over the accumulated result. */
static int load_text(const char *text, char **source, int depth, const char **chain,
                     struct profile *out, struct cis_err *err)
{
	struct json *root;
	struct ctx c = {.err = err, .file = *source};
	const char *at = NULL;
	int r;

	root = json_parse_opts(text, strlen(text), &at, true);
	if (!root) {
		int line = 1;

		for (const char *q = text; at && q < at; q++)
			line += *q == '\n';
		return cis_err_set(err, "profile %s: line %d: invalid JSON", *source, line);
	}
	r = apply_root(&c, root, depth, chain, out);
	json_free(root);
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
