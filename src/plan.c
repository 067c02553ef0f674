/* plan.c — argv + profile to the immutable plan (launcher only, before any namespace). Every
 * input error is found here: a bad flag, field or missing path never gets as far as a clone. */
#define _GNU_SOURCE
#include "plan.h"
#include "cli.h"
#include "profile.h"
#include "net.h"
#include "userns.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#define DEFAULT_WS_SIZE    (2ull << 30)
#define DEFAULT_TMP_SIZE   (1ull << 30)
#define DEFAULT_KILL_GRACE 10000
#define DEFAULT_PATH       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

/* Host directories the job needs to run programs: bound read-only, everything else is absent. */
static const char *const system_dirs[] = {"/usr",   "/bin",    "/sbin", "/lib", "/lib32",
                                          "/lib64", "/libx32", "/etc",  "/opt"};

/* Host files no job needs and every attacker wants (they are 0640/0600 anyway; hide them so
 * that a mis-set mode on the host does not matter). */
static const char *const builtin_masks[] = {"/etc/shadow",
                                            "/etc/gshadow",
                                            "/etc/shadow-",
                                            "/etc/gshadow-",
                                            "/etc/sudoers",
                                            "/etc/sudoers.d",
                                            "/etc/ssh/ssh_host_rsa_key",
                                            "/etc/ssh/ssh_host_ecdsa_key",
                                            "/etc/ssh/ssh_host_ed25519_key"};

/* Credentials kept in a home directory: hidden when the workspace contains that home. */
static const char *const home_secrets[] = {".ssh",
                                           ".gnupg",
                                           ".aws",
                                           ".azure",
                                           ".config/gcloud",
                                           ".docker",
                                           ".kube",
                                           ".netrc",
                                           ".git-credentials",
                                           ".npmrc",
                                           ".pypirc",
                                           ".cargo/credentials",
                                           ".cargo/credentials.toml",
                                           ".config/gh",
                                           ".config/hub",
                                           ".local/share/containers",
                                           ".config/containers/auth.json"};

/* Runner registration secrets (GitHub runner, Forgejo/Gitea act_runner): hidden wherever a
 * runner directory is visible — in the workspace, one level below it, or under /opt. */
static const char *const runner_secrets[] = {".runner", ".credentials", ".credentials_rsaparams"};

/* Tokens a CI system puts in the environment: never passed by a glob, only by exact name. */
static const char *const token_vars[] = {"GITHUB_TOKEN",
                                         "ACTIONS_RUNTIME_TOKEN",
                                         "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                                         "ACTIONS_ID_TOKEN_REQUEST_URL",
                                         "ACTIONS_RUNTIME_URL",
                                         "ACTIONS_CACHE_URL",
                                         "ACTIONS_RESULTS_URL",
                                         "CI_JOB_TOKEN",
                                         "CI_JOB_JWT",
                                         "CI_JOB_JWT_V1",
                                         "CI_JOB_JWT_V2",
                                         "CI_BUILD_TOKEN",
                                         "CI_REGISTRY_PASSWORD",
                                         "CI_DEPLOY_PASSWORD",
                                         "CI_REPOSITORY_URL",
                                         "CI_DEPENDENCY_PROXY_PASSWORD",
                                         "FORGEJO_TOKEN",
                                         "GITEA_TOKEN",
                                         "GITLAB_TOKEN",
                                         "RUNNER_TOKEN",
                                         "ACTIONS_RUNNER_INPUT_JITCONFIG"};

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

static void push_op(struct plan *p, enum mount_kind kind, const char *src, const char *dst,
                    const char *origin)
{
	p->mounts = xrealloc(p->mounts, (p->n_mounts + 1) * sizeof(*p->mounts));
	p->mounts[p->n_mounts++] =
	    (struct mount_op){kind, src ? xstrdup(src) : NULL, xstrdup(dst), origin, false};
}

static void plan_system_dirs(struct plan *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++) {
		char target[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (lstat(system_dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(system_dirs[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			push_op(p, MNT_SYMLINK, target, system_dirs[i], "builtin");
		} else if (S_ISDIR(st.st_mode)) {
			push_op(p, MNT_RO_BIND, system_dirs[i], system_dirs[i], "builtin");
		}
	}
}

/* Mask `name` under host dir `dir` if it exists there; `shown` is where dir appears inside. */
static void mask_if_present(struct plan *p, const char *dir, const char *shown, const char *name)
{
	_cleanup_free_ char *host = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *dst = xasprintf("%s/%s", shown, name);
	struct stat st;

	if (lstat(host, &st) == 0)
		push_op(p, MNT_MASK, NULL, dst, "builtin");
}

/* Runner secrets in dir itself or one level below it. */
static void mask_runner_dirs(struct plan *p, const char *dir, const char *shown)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	for (size_t i = 0; i < ARRAY_SIZE(runner_secrets); i++)
		mask_if_present(p, dir, shown, runner_secrets[i]);
	if (!d)
		return;
	while ((e = readdir(d))) {
		_cleanup_free_ char *sub = NULL, *subshown = NULL;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		subshown = xasprintf("%s/%s", shown, e->d_name);
		for (size_t i = 0; i < ARRAY_SIZE(runner_secrets); i++)
			mask_if_present(p, sub, subshown, runner_secrets[i]);
	}
	closedir(d);
}

static void plan_builtin_masks(struct plan *p)
{
	const char *home = getenv("HOME");
	const struct passwd *pw = getpwuid(p->caller_uid);
	const char *homes[2] = {home, pw ? pw->pw_dir : NULL};

	for (size_t i = 0; i < ARRAY_SIZE(builtin_masks); i++)
		push_op(p, MNT_MASK, NULL, builtin_masks[i], "builtin");
	mask_runner_dirs(p, "/opt", "/opt");
	if (!p->workspace)
		return;
	/* A whole runner in the sandbox reads its own registration (forgejo-runner one-job). */
	if (!p->show_registration)
		mask_runner_dirs(p, p->workspace, "/workspace");
	for (size_t h = 0; h < ARRAY_SIZE(homes); h++) {
		char real[PATH_MAX];
		_cleanup_free_ char *shown = NULL;

		if (!homes[h] || !realpath(homes[h], real) || !path_has_prefix(real, p->workspace))
			continue;
		shown = xasprintf("/workspace%s", real + strlen(p->workspace));
		for (size_t i = 0; i < ARRAY_SIZE(home_secrets); i++)
			mask_if_present(p, real, shown, home_secrets[i]);
	}
}

static int plan_workspace(struct plan *p, const struct cli *c, const struct profile *prof,
                          struct cis_err *err)
{
	const char *ws = c->workspace ? c->workspace : ".";
	const char *flag = c->workspace ? "--workspace" : "workspace (current directory)";
	char real[PATH_MAX];
	struct stat st;

	p->ws_mode = c->has_ws_mode ? c->ws_mode : prof->has_ws_mode ? prof->ws_mode : WS_OVERLAY;
	p->ws_size = c->ws_size ? c->ws_size : prof->ws_size ? prof->ws_size : DEFAULT_WS_SIZE;
	p->tmp_size = prof->tmp_size ? prof->tmp_size : DEFAULT_TMP_SIZE;
	if (p->ws_mode == WS_TMPFS)
		return 0;
	if (!realpath(ws, real))
		return cis_err_set(err, "%s %s: %s", flag, ws, strerror(errno));
	if (stat(real, &st) < 0)
		return cis_err_set(err, "%s %s: %s", flag, ws, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cis_err_set(err, "%s %s: not a directory", flag, ws);
	/* Showing the host's / (or a system dir) read-write would undo the whole sandbox. */
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
		if (strcmp(real, "/") == 0 || path_has_prefix(system_dirs[i], real))
			return cis_err_set(err, "%s %s: refusing a workspace that contains %s",
			                   flag, ws, system_dirs[i]);
	p->workspace = xstrdup(real);
	return 0;
}

/* ${NAME:dir}: the directory holding the file $NAME names (act's file commands lie beside the
 * step's script). Never one that holds the caller's home or a system directory: a runner laid
 * out otherwise must not get its home shown read-write. */
static const char *dir_of(const char *val, char *out, size_t len)
{
	const char *homes[2] = {getenv("HOME"), NULL};
	const struct passwd *pw = getpwuid(geteuid());
	char *slash;

	homes[1] = pw ? pw->pw_dir : NULL;
	if (!path_is_clean_absolute(val) || strlen(val) >= len)
		return "not a clean absolute path";
	strcpy(out, val);
	if (!(slash = strrchr(out, '/')) || slash == out)
		return "in /";
	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(homes); i++) {
		char real[PATH_MAX];

		if (homes[i] && realpath(homes[i], real) && path_has_prefix(real, out))
			return "a directory that holds the caller's home";
	}
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
		if (path_has_prefix(system_dirs[i], out) || path_has_prefix(out, system_dirs[i]))
			return "a system directory";
	return NULL;
}

/* "${NAME}" (or "${NAME:dir}") replaced by the caller's NAME (or its directory), which must be
 * set and not empty; NULL with err set otherwise. */
static char *expand_vars(const char *in, const char *what, struct cis_err *err)
{
	char *out = xstrdup("");
	const char *s = in;

	for (const char *ref; (ref = strstr(s, "${"));) {
		const char *end = strchr(ref, '}');
		_cleanup_free_ char *name = strndup(ref + 2, (size_t)(end - ref - 2));
		char *mod = strchr(name, ':'), dir[PATH_MAX];
		const char *val, *why = NULL;
		char *next;

		if (mod)
			*mod = '\0';
		val = getenv(name);
		if (!val || !*val || strchr(val, ':'))
			why = !val || !*val ? "not set" : "a path with ':'";
		else if (mod && (why = dir_of(val, dir, sizeof(dir))) == NULL)
			val = dir;
		if (why) {
			cis_err_set(err, "%s \"%s\": ${%s%s} is %s", what, in, name,
			            mod ? ":dir" : "", why);
			free(out);
			return NULL;
		}
		next = xasprintf("%s%.*s%s", out, (int)(ref - s), s, val);
		free(out);
		out = next;
		s = end + 1;
	}
	{
		char *next = xasprintf("%s%s", out, s);

		free(out);
		return next;
	}
}

/* A profile entry written with ${VAR}: expanded, then checked as if written out. */
static int expand_mount(const struct mount_op *m, struct mount_op *out, struct cis_err *err)
{
	_cleanup_free_ char *spec = expand_vars(m->dst, "profile filesystem entry", err);
	const char *why = NULL;

	*out = (struct mount_op){m->kind, NULL, NULL, m->origin, false};
	if (!spec)
		return -EINVAL;
	if (m->kind == MNT_RO_BIND || m->kind == MNT_BIND)
		why = parse_bind_spec(spec, &out->src, &out->dst);
	else if (!path_is_clean_absolute(spec) || strcmp(spec, "/") == 0)
		why = "must be a clean absolute path, not /";
	else
		out->dst = xstrdup(spec);
	if (why)
		return cis_err_set(err, "profile filesystem entry \"%s\" (%s): %s", m->dst, spec,
		                   why);
	return 0;
}

/* Where the job starts: /workspace, a path (or ${VAR}), or "caller": the launcher's own working
 * directory, which a profile binds at the same path (CI runners start steps in the checkout). */
static int plan_workdir(struct plan *p, const struct cli *c, const struct profile *prof,
                        struct cis_err *err)
{
	char cwd[PATH_MAX];

	if (c->chdir) {
		p->workdir = xstrdup(c->chdir);
		return 0;
	}
	if (!prof->workdir) {
		p->workdir = xstrdup("/workspace");
		return 0;
	}
	if (strcmp(prof->workdir, "caller") == 0) {
		if (!getcwd(cwd, sizeof(cwd)))
			return cis_err_set(err, "filesystem.workdir caller: %s", strerror(errno));
		p->workdir = xstrdup(cwd);
		return 0;
	}
	p->workdir = expand_vars(prof->workdir, "filesystem.workdir", err);
	if (p->workdir && !path_is_clean_absolute(p->workdir))
		return cis_err_set(err, "filesystem.workdir \"%s\": not a clean absolute path",
		                   p->workdir);
	return p->workdir ? 0 : -EINVAL;
}

/* Operations from the profile, then the command line: bind sources must exist now, so that a
 * typo is a launcher error (125) and not a half-built sandbox. */
static int plan_user_mounts(struct plan *p, const struct mount_op *ops, size_t n,
                            struct cis_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct mount_op expanded = {0};
		const struct mount_op *m = &ops[i];
		char real[PATH_MAX];
		int r;

		if (m->deferred) {
			if ((r = expand_mount(m, &expanded, err)) < 0)
				return r;
			r = plan_user_mounts(p, &expanded, 1, err);
			free(expanded.src);
			free(expanded.dst);
			if (r < 0)
				return r;
			continue;
		}

		if (path_has_prefix(m->dst, "/proc") || path_has_prefix(m->dst, "/dev"))
			return cis_err_set(err, "%s %s: /proc and /dev are managed by cisandbox",
			                   m->origin, m->dst);
		if (m->kind != MNT_RO_BIND && m->kind != MNT_BIND) {
			push_op(p, m->kind, NULL, m->dst, m->origin);
			continue;
		}
		if (!realpath(m->src, real))
			return cis_err_set(err, "%s %s: %s", m->origin, m->src, strerror(errno));
		push_op(p, m->kind, real, m->dst, m->origin);
	}
	return 0;
}

static bool is_token_var(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(token_vars); i++)
		if (strcmp(token_vars[i], name) == 0)
			return true;
	return fnmatch("*_TOKEN", name, 0) == 0 || fnmatch("*PASSWORD*", name, 0) == 0 ||
	       fnmatch("*SECRET*", name, 0) == 0;
}

/* Set NAME=VALUE, replacing an earlier NAME: later sources override earlier ones. */
static void env_put(struct strv *env, char *entry)
{
	size_t n = strcspn(entry, "=");

	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], entry, n) == 0 && env->v[i][n] == '=') {
			free(env->v[i]);
			env->v[i] = entry;
			return;
		}
	}
	strv_push_take(env, entry);
}

static bool name_matches(const char *name, const char *pattern)
{
	size_t n = strlen(pattern);

	return n && pattern[n - 1] == '*' ? strncmp(name, pattern, n - 1) == 0
	                                  : strcmp(name, pattern) == 0;
}

static bool dropped(const struct strv *drop, const char *name)
{
	for (size_t i = 0; drop && i < drop->n; i++)
		if (name_matches(name, drop->v[i]))
			return true;
	return false;
}

/* Where passed variables come from: the caller's environment, or the step's own one that a
 * CI driver hands over (cli.job_env), whose tokens the CI system meant for the step. */
struct env_src {
	char *const *env;
	bool tokens_by_glob;
};

static const char *src_get(const struct env_src *src, const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = src->env; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Pass variables of src matching `pattern` (exact, or PREFIX* glob excluding tokens and the
 * profile's env.drop). */
static void env_pass(struct strv *env, const struct env_src *src, const char *pattern,
                     const struct strv *drop)
{
	size_t n = strlen(pattern);
	bool glob = n > 0 && pattern[n - 1] == '*';

	for (char *const *e = src->env; *e; e++) {
		size_t len = strcspn(*e, "=");
		_cleanup_free_ char *name = strndup(*e, len);

		if (!name || !(*e)[len])
			continue;
		if (glob ? strncmp(name, pattern, n - 1) != 0 ||
		               (is_token_var(name) && !src->tokens_by_glob) || dropped(drop, name)
		         : strcmp(name, pattern) != 0)
			continue;
		env_put(env, xstrdup(*e));
	}
}

static void plan_env(struct plan *p, const struct cli *c, const struct profile *prof)
{
	static const char *const defaults[] = {"TERM", "LANG", "LC_*", "TZ", "CI"};
	const struct env_src src = {c->job_env ? c->job_env : environ, c->job_env != NULL};
	const char *path = src_get(&src, "PATH");

	env_put(&p->env, xasprintf("PATH=%s", path && *path ? path : DEFAULT_PATH));
	env_put(&p->env, xstrdup("HOME=" CIS_JOB_HOME));
	env_put(&p->env, xstrdup("USER=" CIS_JOB_USER));
	env_put(&p->env, xstrdup("LOGNAME=" CIS_JOB_USER));
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		env_pass(&p->env, &src, defaults[i], NULL);
	for (size_t i = 0; i < prof->env_pass.n; i++)
		env_pass(&p->env, &src, prof->env_pass.v[i], &prof->env_drop);
	for (size_t i = 0; i < prof->env_set.n; i++)
		env_put(&p->env, xstrdup(prof->env_set.v[i]));
	for (size_t i = 0; i < c->env.n; i++) {
		if (strchr(c->env.v[i], '='))
			env_put(&p->env, xstrdup(c->env.v[i]));
		else
			env_pass(&p->env, &src, c->env.v[i], NULL);
	}
}

static bool police_known(const struct plan *p, const struct police_file *f)
{
	for (size_t i = 0; i < p->n_police; i++)
		if (strcmp(p->police[i].root, f->root) == 0 &&
		    strcmp(p->police[i].rel, f->rel) == 0)
			return true;
	return false;
}

/* The file commands named by the profile's file_commands variables (set by the runner in the
 * caller's environment) that lie where the job can write. */
static int plan_police(struct plan *p, const struct profile *prof, struct cis_err *err)
{
	for (size_t i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].kind == MNT_BIND)
			strv_push(&p->writable, p->mounts[i].src);
	if (p->workspace && p->ws_mode == WS_BIND)
		strv_push(&p->writable, p->workspace);
	for (int k = 0; k < 2; k++) {
		const struct strv *vars = k ? &prof->fc_path : &prof->fc_env;

		for (size_t i = 0; i < vars->n; i++) {
			const char *path = getenv(vars->v[i]);
			struct police_file f;
			int r;

			if (!path || !*path)
				continue;
			r = police_locate(vars->v[i], k ? POLICE_PATH : POLICE_ENV,
			                  prof->fc_act ? FILECMD_ACT : FILECMD_GITHUB, path,
			                  &p->writable, &f);
			if (r < 0)
				return cis_err_set(
				    err, "file_commands.%s: %s=%s: not a clean absolute path",
				    k ? "path" : "env", vars->v[i], path);
			if (r == 0 || police_known(p, &f)) {
				police_file_free(&f);
				continue;
			}
			p->police = xrealloc(p->police, (p->n_police + 1) * sizeof(*p->police));
			p->police[p->n_police++] = f;
		}
	}
	return 0;
}

/* Why an identity token may not reach this run, or NULL. */
static const char *token_withheld(const struct plan *p, const struct profile *prof)
{
	if (p->origin.fork)
		return "a fork's code";
	if (p->secrets.tier != SECRETS_TIER_TRUSTED)
		return "the run's tier is untrusted";
	if (!prof->token_ttl_ms)
		return "the profile sets no token_ttl";
	if (!p->timeout_ms || p->timeout_ms > prof->token_ttl_ms)
		return "the job's time limit is longer than the profile's token_ttl";
	return NULL;
}

/* Tokens in the job's environment, by name: identity tokens (OIDC requests) only where
 * token_withheld allows; every one recorded for the audit (names, never values). */
static void plan_tokens(struct plan *p, const struct profile *prof)
{
	const char *why = token_withheld(p, prof);
	size_t out = 0;

	for (size_t i = 0; i < p->env.n; i++) {
		char *e = p->env.v[i];
		_cleanup_free_ char *name = strndup(e, strcspn(e, "="));

		if (origin_is_identity_token(name) && why) {
			strv_push_take(&p->origin.withheld, xasprintf("%s: %s", name, why));
			free(e);
			continue;
		}
		if (is_token_var(name) || origin_is_identity_token(name))
			strv_push(&p->origin.passed, name);
		p->env.v[out++] = e;
	}
	p->env.n = out;
	if (p->env.v)
		p->env.v[out] = NULL;
}

/* Command line over profile; each limit on its own. */
static void plan_limits(struct limits *out, const struct limits *cli, const struct limits *prof)
{
	bool given = cli->memory || cli->memory_pct;

	out->memory = given ? cli->memory : prof->memory;
	out->memory_pct = given ? cli->memory_pct : prof->memory_pct;
	if (out->memory_pct) {
		struct sysinfo si;

		out->memory = sysinfo(&si) == 0
		                  ? (uint64_t)si.totalram * si.mem_unit / 100 * out->memory_pct
		                  : 0;
		if (!out->memory)
			out->memory_pct = 0; /* no RAM size: no limit */
	}
	out->pids = cli->pids ? cli->pids : prof->pids;
	out->cpus_milli = cli->cpus_milli ? cli->cpus_milli : prof->cpus_milli;
	out->nofile = cli->nofile ? cli->nofile : prof->nofile;
	out->fsize = cli->fsize ? cli->fsize : prof->fsize;
	out->require_cgroup = prof->require_cgroup > 0;
}

/* Refused in every network mode unless network.allow_private opens a part of them: cloud
 * metadata (169.254.169.254 in link-local, 100.100.100.200 in CGNAT, fd00:ec2::254 in ULA),
 * link-local, RFC 1918, CGNAT, ULA, loopback, multicast and reserved ranges. */
static const char *const always_denied[] = {
    "0.0.0.0/8",     "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4",   "240.0.0.0/4", "::/128",
    "::1/128",       "::ffff:0:0/96",  "fc00::/7",      "fe80::/10",   "ff00::/8"};

static void push_entry(struct net_allow **v, size_t *n, const struct net_allow *a)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *a;
}

/* Entries already validated by cli/profile; a failure here is a bug, reported all the same. */
static int push_specs(struct net_allow **v, size_t *n, const struct strv *specs, const char *origin,
                      struct cis_err *err)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct net_allow a;
		const char *why = net_parse_allow(specs->v[i], &a);

		if (why)
			return cis_err_set(err, "%s %s: %s", origin, specs->v[i], why);
		push_entry(v, n, &a);
	}
	return 0;
}

/* The (protocol, ports) of a name entry: an existing class, or a new one. */
static int port_class(struct net_plan *net, const struct net_name *nm, struct cis_err *err)
{
	size_t k = 0;

	while (k < net->n_classes &&
	       (net->classes[k].proto != nm->proto || net->classes[k].lo != nm->port_lo ||
	        net->classes[k].hi != nm->port_hi))
		k++;
	if (k == NET_MAX_CLASSES)
		return cis_err_set(err, "allowed names: more than %d different port sets",
		                   NET_MAX_CLASSES);
	if (k == net->n_classes)
		net->classes[net->n_classes++] =
		    (struct net_ports){nm->port_lo, nm->port_hi, nm->proto};
	return (int)k;
}

/* Allow entries: addresses to net->allow, names to net->names. */
static int push_dests(struct net_plan *net, const struct strv *specs, const char *origin,
                      struct cis_err *err)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct net_name nm;
		struct strv one = {&specs->v[i], 1};
		const char *why;
		int k;

		if (!net_spec_is_name(specs->v[i])) {
			if ((k = push_specs(&net->allow, &net->n_allow, &one, origin, err)) < 0)
				return k;
			continue;
		}
		if ((why = net_parse_name(specs->v[i], &nm)))
			return cis_err_set(err, "%s %s: %s", origin, specs->v[i], why);
		if ((k = port_class(net, &nm, err)) < 0)
			return k;
		nm.port_class = (unsigned char)k;
		net->names = xrealloc(net->names, (net->n_names + 1) * sizeof(*net->names));
		net->names[net->n_names++] = nm;
	}
	return 0;
}

/* The resolver forwards to --dns-upstream, else network.dns_upstream, else the host's own
 * servers from /etc/resolv.conf (the launcher runs on the host, so a local stub works). */
static void plan_upstream(struct net_plan *net, const struct cli *c, const struct profile *prof)
{
	const struct strv *given = c->dns_upstream.n ? &c->dns_upstream : &prof->dns_upstream;
	FILE *f = given->n ? NULL : fopen("/etc/resolv.conf", "re");
	char line[512], addr[256];

	for (size_t i = 0; i < given->n && net->n_upstream < NET_MAX_UPSTREAMS; i++)
		if (!net_parse_upstream(given->v[i], &net->upstream[net->n_upstream]))
			net->n_upstream++;
	while (f && fgets(line, sizeof(line), f) && net->n_upstream < NET_MAX_UPSTREAMS)
		if (sscanf(line, " nameserver %255s", addr) == 1 && !strchr(addr, '%') &&
		    !net_parse_upstream(addr, &net->upstream[net->n_upstream]))
			net->n_upstream++;
	if (f)
		fclose(f);
}

/* The host's own addresses: the runner host must not be reachable through the helper. */
static void deny_host_addresses(struct net_plan *net)
{
	struct ifaddrs *ifs = NULL;

	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct net_allow a = {.port_hi = 65535, .proto = IPPROTO_TCP};

		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		a.family = i->ifa_addr->sa_family;
		if (a.family == AF_INET) {
			memcpy(a.addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			a.prefix = 32;
		} else {
			memcpy(a.addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			a.prefix = 128;
		}
		push_entry(&net->deny, &net->n_deny, &a);
	}
	freeifaddrs(ifs);
}

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", d, name);

		if (d[0] == '/' && access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* auto: slirp4netns (measured faster and steadier here than Debian 12's pasta), else pasta. */
static int plan_helper(struct net_plan *net, const char *backend, struct cis_err *err)
{
	bool want_pasta = strcmp(backend, "pasta") == 0;

	if (!want_pasta)
		net->helper = find_in_path("slirp4netns");
	if (!net->helper && strcmp(backend, "slirp4netns") != 0) {
		net->helper = find_in_path("pasta");
		net->pasta = net->helper != NULL;
	}
	if (!net->helper)
		return cis_err_set(err,
		                   "network mode %s: %s not found in PATH; install the %s "
		                   "package",
		                   net_mode_name(net->mode), want_pasta ? "pasta" : "slirp4netns",
		                   want_pasta ? "passt" : "slirp4netns");
	return 0;
}

static int plan_net(struct plan *p, const struct cli *c, const struct profile *prof,
                    struct cis_err *err)
{
	struct net_plan *net = &p->net;
	int r;

	net->mode = c->has_net_mode      ? c->net_mode
	            : c->allow.n         ? NET_ALLOWLIST
	            : prof->has_net_mode ? prof->net_mode
	                                 : NET_NONE;
	if (net->mode == NET_NONE && (c->allow.n || prof->net_allow.n))
		return cis_err_set(err, "%s: allowed destinations need network mode allowlist",
		                   c->allow.n ? "--allow" : "network.allow");
	if (net->mode == NET_NONE)
		return 0;
	if ((r = push_dests(net, &prof->net_allow, "network.allow", err)) < 0 ||
	    (r = push_dests(net, &c->allow, "--allow", err)) < 0 ||
	    (r = push_specs(&net->private_ok, &net->n_private, &prof->net_private,
	                    "network.allow_private", err)) < 0)
		return r;
	if (net->n_allow + net->n_private + net->n_names > NET_MAX_ENTRIES)
		return cis_err_set(err, "network.allow and --allow: %zu entries, at most %d",
		                   net->n_allow + net->n_private + net->n_names, NET_MAX_ENTRIES);
	net->dns_min_ttl = prof->dns_min_ttl ? (unsigned)prof->dns_min_ttl : 30;
	net->dns_max_ttl = prof->dns_max_ttl ? (unsigned)prof->dns_max_ttl : 86400;
	if (net->dns_min_ttl > net->dns_max_ttl)
		return cis_err_set(err, "network.dns_min_ttl %u is above network.dns_max_ttl %u",
		                   net->dns_min_ttl, net->dns_max_ttl);
	for (size_t i = 0; i < ARRAY_SIZE(always_denied); i++) {
		struct net_allow a;

		net_parse_allow(always_denied[i], &a);
		push_entry(&net->deny, &net->n_deny, &a);
	}
	/* allow_private opens part of the denied set, nothing else: anything outside it belongs
	 * in network.allow. */
	for (size_t i = 0; i < net->n_private; i++) {
		bool inside = false;

		for (size_t d = 0; d < net->n_deny && !inside; d++)
			inside = net_allow_covers(&net->deny[d], &net->private_ok[i]);
		if (!inside)
			return cis_err_set(
			    err,
			    "network.allow_private[%zu]: %s is not in an always-denied "
			    "range; use network.allow",
			    i, prof->net_private.v[i]);
	}
	deny_host_addresses(net);
	/* The job's only resolver is ours; the host's servers are its upstream. */
	net->nameservers =
	    xstrdup("nameserver " NET_RESOLVER "\noptions " NET_RESOLVER_OPTIONS "\n");
	plan_upstream(net, c, prof);
	net->helper_required = prof->helper_required >= 0;
	return plan_helper(net, prof->net_backend ? prof->net_backend : "auto", err);
}

/* Supplementary groups other than our own gid. */
static int count_extra_groups(void)
{
	gid_t g[256];
	int n = getgroups(ARRAY_SIZE(g), g), extra = 0;

	for (int i = 0; i < n; i++)
		extra += g[i] != getegid();
	return extra;
}

/* No profile in the chain says what to allow: the built-in default (every group but
 * @privileged), errno EPERM, denials reported. */
static int plan_seccomp(struct plan *p, const struct profile *prof, struct cis_err *err)
{
	struct strv dflt = {0};
	int r;

	p->seccomp.err = prof->has_sc_errno ? prof->sc_errno : EPERM;
	p->seccomp.log_denied = prof->has_sc_log ? prof->sc_log_denied : true;
	if (!prof->sc_allow.n)
		strv_push(&dflt, "@container");
	r = cis_seccomp_resolve(&p->seccomp, prof->sc_allow.n ? &prof->sc_allow : &dflt,
	                        &prof->sc_deny, "seccomp.allow", err);
	strv_free(&dflt);
	return r;
}

int plan_build(struct plan *p, const struct cli *c, const struct profile *prof, struct cis_err *err)
{
	int r;

	*p = (struct plan){0};
	p->profile_name = xstrdup(prof->name);
	p->profile_source = xstrdup(prof->source ? prof->source : prof->name);
	for (int i = 0; i < c->n_args; i++)
		strv_push(&p->argv, c->args[i]);
	p->caller_uid = geteuid();
	p->caller_gid = getegid();
	p->as_root = p->caller_uid == 0 && userns_is_initial();
	p->host_uid = p->as_root ? CIS_ROOT_MODE_HOST_ID : p->caller_uid;
	p->host_gid = p->as_root ? CIS_ROOT_MODE_HOST_ID : p->caller_gid;
	p->verbose = c->verbose;
	p->dry_run = c->dry_run;

	p->timeout_ms = c->has_timeout ? c->timeout_ms : prof->timeout_ms;
	p->kill_grace_ms = c->has_kill_grace      ? c->kill_grace_ms
	                   : prof->has_kill_grace ? prof->kill_grace_ms
	                                          : DEFAULT_KILL_GRACE;
	plan_limits(&p->limits, &c->limits, &prof->limits);
	p->audit_log = c->audit_log      ? xstrdup(c->audit_log)
	               : prof->audit_log ? xstrdup(prof->audit_log)
	                                 : NULL;
	p->audit_required = prof->audit_required;
	if (p->audit_required && !p->audit_log) {
		r = cis_err_set(err, "audit.required: the profile requires an audit log: set "
		                     "audit.log or --audit-log");
		goto fail;
	}
	if ((r = plan_workspace(p, c, prof, err)) < 0)
		goto fail;
	p->show_registration = prof->ws_registration == 1;
	plan_system_dirs(p);
	p->n_system = p->n_mounts;
	private_plan_build(p);
	if (prof->private_required && (p->priv.reason || p->priv.plain_dirs)) {
		r = cis_err_set(err,
		                "filesystem.private require: entries of the system dirs that only "
		                "the caller or its groups may read cannot be hidden here (%s); see "
		                "cisandbox(1), PRIVATE FILES",
		                p->priv.reason
		                    ? p->priv.reason
		                    : "mounts below a system dir: they are shown unfiltered");
		goto fail;
	}
	plan_builtin_masks(p);
	if ((r = plan_workdir(p, c, prof, err)) < 0)
		goto fail;
	if ((r = plan_user_mounts(p, prof->mounts, prof->n_mounts, err)) < 0 ||
	    (r = plan_user_mounts(p, c->mounts, c->n_mounts, err)) < 0)
		goto fail;
	plan_env(p, c, prof);
	origin_detect(&p->origin);
	if ((r = secrets_plan_build(p, c, prof, err)) < 0)
		goto fail;
	plan_tokens(p, prof);
	if ((r = plan_police(p, prof, err)) < 0 || (r = plan_seccomp(p, prof, err)) < 0 ||
	    (r = plan_net(p, c, prof, err)) < 0)
		goto fail;
	p->kept_groups = p->as_root || p->priv.kernel ? 0 : count_extra_groups();
	p->learn = c->learn != NULL;
	if ((r = policy_plan_build(p, c, prof, err)) < 0)
		goto fail;
	return 0;
fail:
	plan_free(p);
	return r;
}

void mount_ops_free(struct mount_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ops[i].src);
		free(ops[i].dst);
	}
	free(ops);
}

void plan_free(struct plan *p)
{
	mount_ops_free(p->mounts, p->n_mounts);
	private_plan_free(&p->priv);
	secrets_plan_free(&p->secrets);
	policy_plan_free(&p->policy);
	origin_free(&p->origin);
	free(p->profile_name);
	free(p->profile_source);
	free(p->workspace);
	free(p->audit_log);
	free(p->workdir);
	strv_free(&p->argv);
	strv_free(&p->env);
	strv_free(&p->writable);
	for (size_t i = 0; i < p->n_police; i++)
		police_file_free(&p->police[i]);
	free(p->police);
	cis_seccomp_free(&p->seccomp);
	free(p->net.allow);
	free(p->net.private_ok);
	free(p->net.deny);
	free(p->net.helper);
	free(p->net.nameservers);
	free(p->net.names);
	*p = (struct plan){0};
}

static const char *const kind_names[] = {[MNT_RO_BIND] = "ro-bind",
                                         [MNT_BIND] = "bind",
                                         [MNT_TMPFS] = "tmpfs",
                                         [MNT_MASK] = "mask",
                                         [MNT_SYMLINK] = "symlink"};

static void json_mounts(cJSON *root, const struct plan *p)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "mounts");

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "op", kind_names[m->kind]);
		if (m->src)
			cJSON_AddStringToObject(o, "src", m->src);
		cJSON_AddStringToObject(o, "dst", m->dst);
		cJSON_AddStringToObject(o, "origin", m->origin);
		cJSON_AddItemToArray(arr, o);
	}
}

/* Values set by the profile or flags are shown; values taken from the caller's environment are
 * not, so that a dry run pasted into a CI log leaks nothing. */
static void json_env(cJSON *root, const struct plan *p)
{
	cJSON *env = cJSON_AddObjectToObject(root, "env");

	for (size_t i = 0; i < p->env.n; i++) {
		const char *e = p->env.v[i];
		size_t n = strcspn(e, "=");
		_cleanup_free_ char *name = strndup(e, n);
		const char *caller = getenv(name);
		bool from_caller =
		    caller && strcmp(caller, e + n + 1) == 0 && strcmp(name, "PATH") != 0;

		cJSON_AddStringToObject(env, name,
		                        secrets_is_env(p, name) ? "(secret)"
		                        : from_caller           ? "(from caller)"
		                                                : e + n + 1);
	}
}

static void json_entries(cJSON *o, const char *key, const struct net_allow *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; i < n; i++) {
		char buf[96];

		net_format_allow(&v[i], buf, sizeof(buf));
		cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
	}
}

static void json_dns(cJSON *o, const struct net_plan *net)
{
	cJSON *dns = cJSON_AddObjectToObject(o, "dns"), *up;

	cJSON_AddStringToObject(dns, "resolver", NET_RESOLVER ":53");
	cJSON_AddStringToObject(dns, "unlisted_names",
	                        net->mode == NET_ALLOWLIST ? "NXDOMAIN" : "forwarded");
	up = cJSON_AddArrayToObject(dns, "upstream");
	for (size_t i = 0; i < net->n_upstream; i++) {
		char buf[64];

		net_format_upstream(&net->upstream[i], buf, sizeof(buf));
		cJSON_AddItemToArray(up, cJSON_CreateString(buf));
	}
	cJSON_AddNumberToObject(dns, "min_ttl", net->dns_min_ttl);
	cJSON_AddNumberToObject(dns, "max_ttl", net->dns_max_ttl);
}

static void json_network(cJSON *root, const struct plan *p)
{
	cJSON *o = cJSON_AddObjectToObject(root, "network");

	cJSON_AddStringToObject(o, "mode", net_mode_name(p->net.mode));
	if (p->net.mode == NET_NONE)
		return;
	cJSON_AddStringToObject(o, "helper", p->net.helper);
	cJSON_AddStringToObject(o, "backend", p->net.pasta ? "pasta" : "slirp4netns");
	cJSON_AddBoolToObject(o, "helper_required", p->net.helper_required);
	if (p->net.mode == NET_ALLOWLIST)
		json_entries(o, "allow", p->net.allow, p->net.n_allow);
	if (p->net.mode == NET_ALLOWLIST) {
		cJSON *arr = cJSON_AddArrayToObject(o, "allow_names");

		for (size_t i = 0; i < p->net.n_names; i++) {
			char buf[300];

			net_format_name(&p->net.names[i], buf, sizeof(buf));
			cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
		}
	}
	json_entries(o, "allow_private", p->net.private_ok, p->net.n_private);
	json_entries(o, "deny", p->net.deny, p->net.n_deny);
	json_dns(o, &p->net);
}

static void json_seccomp(cJSON *root, const struct plan *p)
{
	cJSON *o = cJSON_AddObjectToObject(root, "seccomp"), *args;
	const struct cis_seccomp *s = &p->seccomp;

	cJSON_AddStringToObject(o, "denied", strerrorname_np(s->err));
	cJSON_AddBoolToObject(o, "log_denied", s->log_denied);
	cJSON_AddStringToObject(o, "foreign_abi", "kill");
	cJSON_AddStringToObject(o, "clone3", "ENOSYS");
	args = cJSON_AddObjectToObject(o, "argument_filters");
	cJSON_AddStringToObject(args, "ioctl", "not TIOCSTI, TIOCLINUX (low 32 bits)");
	cJSON_AddStringToObject(args, "socket",
	                        "AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; "
	                        "protocol < 256");
	cJSON_AddStringToObject(args, "socketpair", "AF_UNIX");
	cJSON_AddStringToObject(args, "clone", "no namespace flags");
	cJSON_AddStringToObject(args, "personality", "default persona or query");
	cJSON_AddItemToObject(
	    o, "allow", cJSON_CreateStringArray((const char *const *)s->allow.v, (int)s->allow.n));
	cJSON_AddItemToObject(
	    o, "deny", cJSON_CreateStringArray((const char *const *)s->deny.v, (int)s->deny.n));
}

/* The file commands policed after the job (only when there are: golden plans stay as they
 * were for profiles without). */
static void json_file_commands(cJSON *root, const struct plan *p)
{
	cJSON *o;

	if (!p->n_police)
		return;
	o = cJSON_AddArrayToObject(root, "file_commands");
	for (size_t i = 0; i < p->n_police; i++) {
		cJSON *f = cJSON_CreateObject();
		_cleanup_free_ char *path = xasprintf("%s/%s", p->police[i].root, p->police[i].rel);

		cJSON_AddStringToObject(f, "var", p->police[i].var);
		cJSON_AddStringToObject(f, "kind",
		                        p->police[i].kind == POLICE_ENV ? "env" : "path");
		cJSON_AddStringToObject(f, "parser",
		                        p->police[i].dialect == FILECMD_ACT ? "act" : "github");
		cJSON_AddStringToObject(f, "host", path);
		cJSON_AddItemToArray(o, f);
	}
}

int plan_print_json(const struct plan *p, FILE *out)
{
	cJSON *root = cJSON_CreateObject(), *o;
	char buf[32];

	o = cJSON_AddObjectToObject(root, "profile");
	cJSON_AddStringToObject(o, "name", p->profile_name);
	cJSON_AddStringToObject(o, "source", p->profile_source);
	cJSON_AddItemToObject(
	    root, "command",
	    cJSON_CreateStringArray((const char *const *)p->argv.v, (int)p->argv.n));
	o = cJSON_AddObjectToObject(root, "identity");
	cJSON_AddNumberToObject(o, "uid", CIS_JOB_UID);
	cJSON_AddNumberToObject(o, "gid", CIS_JOB_GID);
	cJSON_AddNumberToObject(o, "host_uid", p->host_uid);
	cJSON_AddNumberToObject(o, "host_gid", p->host_gid);
	cJSON_AddStringToObject(o, "hostname", CIS_HOSTNAME);
	o = cJSON_AddObjectToObject(root, "workspace");
	cJSON_AddStringToObject(o, "mode", ws_mode_name(p->ws_mode));
	if (p->workspace)
		cJSON_AddStringToObject(o, "host", p->workspace);
	cJSON_AddStringToObject(o, "path", "/workspace");
	cJSON_AddStringToObject(root, "workdir", p->workdir);
	if (p->ws_mode != WS_BIND)
		cJSON_AddStringToObject(o, "size", format_size(p->ws_size, buf));
	/* As root, the workspace and --bind sources are shown through idmapped mounts. */
	if (p->workspace)
		cJSON_AddBoolToObject(o, "idmapped", p->as_root);
	if (p->show_registration)
		cJSON_AddStringToObject(o, "registration", "shown");
	o = cJSON_AddObjectToObject(root, "fixed");
	cJSON_AddStringToObject(o, "/", "tmpfs, read-only after setup");
	cJSON_AddStringToObject(o, "/tmp", format_size(p->tmp_size, buf));
	cJSON_AddStringToObject(o, CIS_JOB_HOME, "tmpfs, same cap as /tmp");
	cJSON_AddStringToObject(o, "/dev", "null zero full random urandom tty, devpts, shm");
	cJSON_AddStringToObject(o, "/proc", "new procfs; sys, sysrq-trigger, kcore read-only");
	json_mounts(root, p);
	json_env(root, p);
	o = cJSON_AddObjectToObject(root, "limits");
	cJSON_AddStringToObject(o, "timeout",
	                        p->timeout_ms ? format_duration(p->timeout_ms, buf) : "none");
	cJSON_AddStringToObject(o, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(o, &p->limits);
	if (p->audit_log) {
		o = cJSON_AddObjectToObject(root, "audit");
		cJSON_AddStringToObject(o, "log", p->audit_log);
		cJSON_AddBoolToObject(o, "required", p->audit_required);
	}
	json_network(root, p);
	json_seccomp(root, p);
	json_file_commands(root, p);
	return json_emit(root, out);
}
