/* plan.c — argv + profile to the immutable plan (launcher only, before any namespace). Every
 * input error is found here: a bad flag, field or missing path never gets as far as a clone. */
#define _GNU_SOURCE
#include "plan.h"
#include "cli.h"
#include "profile.h"
#include "netspec.h"
#include "plan_int.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
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
	struct account acct;
	const char *homes[2] = {getenv("HOME"),
	                        account_of(p->caller_uid, &acct) ? acct.home : NULL};

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
	struct account acct;
	const char *homes[2] = {getenv("HOME"), account_of(geteuid(), &acct) ? acct.home : NULL};
	char *slash;

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

/* Is this process in the initial user namespace (uid_map "0 0 4294967295")? uid 0 in a
 * container's user namespace is not host root: there cisandbox behaves as rootless. */
static bool in_initial_userns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long a = 1, b = 1, n = 0;
	bool initial;

	if (!f)
		return false;
	initial =
	    fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295ul;
	fclose(f);
	return initial;
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

/* Who runs it, what, and how it is told. */
static void plan_identity(struct plan *p, const struct cli *c, const struct profile *prof)
{
	p->profile_name = xstrdup(prof->name);
	p->profile_source = xstrdup(prof->source ? prof->source : prof->name);
	for (int i = 0; i < c->n_args; i++)
		strv_push(&p->argv, c->args[i]);
	p->caller_uid = geteuid();
	p->caller_gid = getegid();
	p->as_root = p->caller_uid == 0 && in_initial_userns();
	p->host_uid = p->as_root ? CIS_ROOT_MODE_HOST_ID : p->caller_uid;
	p->host_gid = p->as_root ? CIS_ROOT_MODE_HOST_ID : p->caller_gid;
	p->verbose = c->verbose;
	p->dry_run = c->dry_run;
}

/* After the system dirs: how the entries only the caller may read are kept out of view, and
 * filesystem.private "require" where they cannot be. */
static int plan_private(struct plan *p, const struct profile *prof, struct cis_err *err)
{
	private_plan_build(&p->priv, p->caller_uid, p->caller_gid, p->as_root, p->mounts,
	                   p->n_system);
	p->private_quiet = prof->private_mode == PRIV_BEST_EFFORT;
	if (prof->private_mode == PRIV_REQUIRE && (p->priv.reason || p->priv.plain_dirs))
		return cis_err_set(
		    err,
		    "filesystem.private require: entries of the system dirs that only the caller "
		    "or its groups may read cannot be hidden here (%s); see cisandbox(1), PRIVATE "
		    "FILES",
		    p->priv.reason ? p->priv.reason
		                   : "mounts below a system dir: they are shown unfiltered");
	return 0;
}

/* The policy part (policy_plan.h) and --learn: last, when everything else is known. */
static void plan_policy(struct plan *p, const struct cli *c, const struct profile *prof)
{
	p->learn = c->learn != NULL;
	policy_plan_build(&p->policy, c, prof, p->secrets.tier);
	policy_plan_sockets(&p->policy, p->mounts + p->n_system, p->n_mounts - p->n_system,
	                    p->ws_mode == WS_BIND ? p->workspace : NULL);
}

int plan_build(struct plan *p, const struct cli *c, const struct profile *prof, struct cis_err *err)
{
	int r;

	*p = (struct plan){0};
	plan_identity(p, c, prof);
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
	if ((r = plan_private(p, prof, err)) < 0)
		goto fail;
	plan_builtin_masks(p);
	if ((r = plan_workdir(p, c, prof, err)) < 0)
		goto fail;
	if ((r = plan_user_mounts(p, prof->mounts, prof->n_mounts, err)) < 0 ||
	    (r = plan_user_mounts(p, c->mounts, c->n_mounts, err)) < 0)
		goto fail;
	plan_env(p, c, prof);
	origin_detect(&p->origin);
	if ((r = secrets_plan_build(&p->secrets, &p->origin, c, prof, &p->env, err)) < 0)
		goto fail;
	plan_tokens(p, prof);
	if ((r = plan_police(p, prof, err)) < 0 || (r = plan_seccomp(p, prof, err)) < 0 ||
	    (r = plan_net(p, c, prof, err)) < 0)
		goto fail;
	p->kept_groups = p->as_root || p->priv.kernel ? 0 : count_extra_groups();
	plan_policy(p, c, prof);
	return 0;
fail:
	plan_free(p);
	return r;
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
