/* ci_github_hook.c — GitHub Actions container hooks: `cisandbox github hook`, started by the
 * runner (through container-hook.js, ACTIONS_RUNNER_CONTAINER_HOOKS) for every step of every
 * job, whatever its workflow says: with ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER=true the runner
 * refuses a job without `container:`, and every step of one with it comes here.
 *
 * Protocol (actions/runner Runner.Worker/Container/ContainerHooks): one line of JSON on stdin,
 * {command, responseFile, args, state}; the response file exists (empty) and is parsed after a
 * zero exit; our stdout/stderr are the step's log; our exit status fails the step or not. cwd,
 * GITHUB_* and RUNNER_* are the runner's, with host paths; args are the workflow's, in
 * container paths, and hostile: the job container's image, options, volumes and ports are
 * never used, only named as ignored.
 *
 * Per job, one directory BASE/job-<hash of _work> (a runner runs one job at a time) holds the
 * job container's environment and, when the host's tool cache is empty, the job's own tool
 * cache. prepare_job makes it anew and empties the workspace; cleanup_job, which the runner
 * calls even when prepare_job failed, removes both. Each run_script_step is one `cisandbox
 * run` of the operator's profile (CISANDBOX_PROFILE in the runner's .env, else github-hook)
 * with the runner's directories bound at the paths the step's variables name:
 *   /__w/R/R          the workspace (GITHUB_WORKSPACE), read-write
 *   /__w/_temp        RUNNER_TEMP: the step's script, file commands, /github/home; read-write,
 *                     except _runner_hook_responses, which is hidden (the runner trusts it)
 *   /github/home      _temp/_github_home, read-write; /github/workflow (event.json) read-only
 *   /__w/_actions     the downloaded actions, read-only: a trojaned action must not outlive
 *                     the job
 *   /__w/_tool, /__t  the tool cache: read-only, or the job's own when the host's is empty
 *   /__e              the runner's externals (its node), read-only */
#define _GNU_SOURCE
#include "ci.h"
#include "cli.h"
#include "run.h"
#include "util.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAFE_PATH   "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HOOK_HOME   "/github/home"
#define RESPONSES   "_runner_hook_responses"
#define MAX_ARGV    4096
#define PROFILE_VAR "CISANDBOX_PROFILE"

struct hook {
	struct json *in;
	const char *command;
	const struct json *args;
	char work[PATH_MAX]; /* the runner's _work, resolved */
	char *response;      /* responseFile */
	char *job;           /* BASE/job-HASH */
	char *name;          /* job-HASH */
};

__attribute__((format(printf, 1, 2))) static int hook_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("cisandbox github hook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The runner's own subdirectories of _work: never a repository's. */
static bool runner_dir(const char *name)
{
	static const char *const dirs[] = {"_temp", "_actions", "_tool", "_PipelineMapping",
	                                   "_update"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (strcmp(name, dirs[i]) == 0)
			return true;
	return false;
}

int github_hook_parse(const char *text, char **command, char **response, char **work)
{
	static const char *const parents[] = {NULL, RESPONSES, "_temp"};
	struct json *in = text ? json_parse(text) : NULL;
	const struct json *cmd = json_get(in, "command");
	const struct json *resp = json_get(in, "responseFile");
	char *dir;
	int r = -EINVAL;

	*command = *response = *work = NULL;
	if (!json_is_string(cmd) || !json_is_string(resp) ||
	    !path_is_clean_absolute(resp->valuestring))
		goto out;
	/* responseFile is <_work>/_temp/_runner_hook_responses/<guid>.json: that names _work. */
	dir = xstrdup(resp->valuestring);
	for (size_t i = 0; i < ARRAY_SIZE(parents); i++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir || (parents[i] && strcmp(slash + 1, parents[i]) != 0)) {
			free(dir);
			goto out;
		}
		*slash = '\0';
	}
	*command = xstrdup(cmd->valuestring);
	*response = xstrdup(resp->valuestring);
	*work = dir;
	r = 0;
out:
	json_free(in);
	return r;
}

/* Write the response, never through a symlink (the runner made the file, empty). */
static int respond(const struct hook *h, struct json *body)
{
	_cleanup_free_ char *text = json_print_compact(body);
	_cleanup_free_ char *dir = xstrdup(h->response);
	_cleanup_close_ int dfd = -1, fd = -1;
	char *slash = strrchr(dir, '/');

	json_free(body);
	*slash = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		fd = openat(dfd, slash + 1, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		            0600);
	if (!text || fd < 0 || write_all(fd, text, strlen(text)) < 0)
		return hook_fail("responseFile %s: %s", h->response, strerror(errno));
	return 0;
}

/* 64-bit FNV-1a: a stable, short name for the runner's _work. */
static char *job_name(const char *work)
{
	unsigned long long x = 0xcbf29ce484222325ull;

	for (const unsigned char *s = (const unsigned char *)work; *s; s++)
		x = (x ^ *s) * 0x100000001b3ull;
	return xasprintf("job-%016llx", x);
}

static int remove_job(const struct hook *h)
{
	_cleanup_free_ char *base = xstrdup(h->job);
	_cleanup_close_ int fd = -1;

	*strrchr(base, '/') = '\0';
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_tree_at(fd, h->name);
}

/* _work/rel if every component below _work is a directory, none a symlink (a step can plant
 * one where it can write, and a bind source is resolved), else NULL. */
static char *below_work(const struct hook *h, const char *rel)
{
	_cleanup_close_ int dir = open(h->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *copy = xstrdup(rel);
	char *save = NULL;

	if (dir < 0)
		return NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int fd;

		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			return NULL;
		fd = openat(dir, c, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		close(dir);
		dir = fd;
	}
	return xasprintf("%s/%s", h->work, rel);
}

/* The workspace: _work/R/R (R not one of the runner's own directories), the directory that
 * GITHUB_WORKSPACE names. */
static char *workspace(const struct hook *h)
{
	const char *env = getenv("GITHUB_WORKSPACE");
	_cleanup_free_ char *copy = env ? xstrdup(env) : NULL;
	char *last = copy ? strrchr(copy, '/') : NULL, *prev, real[PATH_MAX], *ws;

	if (!last || last == copy)
		return NULL;
	*last = '\0';
	if (!(prev = strrchr(copy, '/')) || runner_dir(prev + 1))
		return NULL;
	*last = '/';
	ws = below_work(h, prev + 1);
	if (ws && (!realpath(env, real) || strcmp(real, ws) != 0)) {
		free(ws);
		return NULL;
	}
	return ws;
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	while (d && empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	if (d)
		closedir(d);
	return empty;
}

/* The host's tool cache (RUNNER_TOOL_CACHE, else _work/_tool) and where the step sees it:
 * below /__w when it is below _work (the runner maps _work first), else /__t. NULL when there
 * is none or it is not a plain directory. */
static char *tool_cache(const struct hook *h, char **shown)
{
	const char *env = getenv("RUNNER_TOOL_CACHE");
	char real[PATH_MAX];

	if (!env || !*env || !realpath(env, real)) {
		*shown = xstrdup("/__w/_tool");
		return below_work(h, "_tool");
	}
	if (path_has_prefix(real, h->work) && strcmp(real, h->work) != 0) {
		*shown = xasprintf("/__w%s", real + strlen(h->work));
		return below_work(h, real + strlen(h->work) + 1);
	}
	*shown = xstrdup("/__t");
	return xstrdup(real);
}

/* The runner's externals, from the node that runs container-hook.js:
 * <externals>/<node version>/bin/node. */
static char *externals(void)
{
	const char *node = getenv("CISANDBOX_NODE");
	char real[PATH_MAX];
	char *s;

	if (!node || !realpath(node, real))
		return NULL;
	for (int i = 0; i < 3; i++)
		if ((s = strrchr(real, '/')) && s != real)
			*s = '\0';
	s = strrchr(real, '/');
	return s && strcmp(s, "/externals") == 0 ? xstrdup(real) : NULL;
}

/* What the workflow asked for and does not get, said once in the job's log. */
static void say_ignored(const struct json *ctr)
{
	const struct json *img = json_get(ctr, "image");
	const struct json *opt = json_get(ctr, "createOptions");
	const struct json *vol = json_get(ctr, "userMountVolumes");
	const struct json *ports = json_get(ctr, "portMappings");
	const char *p = getenv(PROFILE_VAR);

	printf("cisandbox: the job container%s%s%s is not started: each step runs in a fresh "
	       "cisandbox sandbox (profile %s, set by the runner)\n",
	       json_is_string(img) ? " \"" : "", json_is_string(img) ? img->valuestring : "",
	       json_is_string(img) ? "\"" : "", p && *p ? p : "github-hook");
	if ((json_is_string(opt) && *opt->valuestring) || json_size(vol) > 0 ||
	    json_size(ports) > 0)
		printf("cisandbox: ignored: options \"%s\", %d volume(s), %d port mapping(s)\n",
		       json_is_string(opt) ? opt->valuestring : "", json_size(vol),
		       json_size(ports));
}

/* The job container's environment (docker would give it to every step): kept for the
 * steps, as the workflow wrote it; it reaches only the sandbox. */
static int save_container_env(const struct hook *h, const struct json *ctr)
{
	const struct json *env = json_get(ctr, "environmentVariables");
	_cleanup_free_ char *path = xasprintf("%s/env.json", h->job);
	_cleanup_free_ char *text = json_is_object(env) ? json_print_compact(env) : NULL;
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	return write_all(fd, text ? text : "{}", strlen(text ? text : "{}"));
}

static int cmd_prepare(struct hook *h)
{
	const struct json *ctr = json_get(h->args, "container");
	const struct json *svc = json_get(h->args, "services");
	_cleanup_free_ char *shown = NULL, *tools = NULL, *own = NULL, *ws = NULL;
	struct json *out, *ctx, *c;
	int r;

	if (json_size(svc) > 0)
		return hook_fail("services: are not supported: each step runs in its own sandbox, "
		                 "and service containers would need a container engine (root on "
		                 "this host); start what the job needs inside its steps");
	if (!json_is_object(ctr))
		return hook_fail("the job has no container: the runner should have refused it "
		                 "(set ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER=true in its .env)");
	say_ignored(ctr);
	if ((r = remove_job(h)) < 0 || (r = ci_make_private_dir(h->job)) < 0)
		return hook_fail("%s: %s", h->job, strerror(-r));
	if ((r = save_container_env(h, ctr)) < 0)
		return hook_fail("%s/env.json: %s", h->job, strerror(-r));
	/* An empty host tool cache: the job gets its own, gone at cleanup_job. */
	tools = tool_cache(h, &shown);
	own = xasprintf("%s/tool", h->job);
	if ((!tools || dir_is_empty(tools)) && mkdir(own, 0700) < 0)
		return hook_fail("%s: %s", own, strerror(errno));
	if (!(ws = workspace(h)))
		return hook_fail("GITHUB_WORKSPACE=%s: not the runner's _work/REPO/REPO of %s",
		                 getenv("GITHUB_WORKSPACE"), h->work);
	if (github_empty_below("GITHUB_WORKSPACE", ws, h->work) != 0)
		return 1;
	out = json_new_object();
	json_add_string(json_add_object(out, "state"), "cisandbox", h->name);
	ctx = json_add_object(out, "context");
	c = json_add_object(ctx, "container");
	json_add_string(c, "id", h->name);
	json_add_string(c, "network", "cisandbox");
	json_add_object(c, "ports");
	json_add_array(ctx, "services");
	json_add_bool(out, "isAlpine", false);
	return respond(h, out);
}

static int cmd_cleanup(struct hook *h)
{
	_cleanup_free_ char *ws = workspace(h);
	int r = remove_job(h);

	if (r < 0)
		hook_fail("removing %s: %s", h->job, strerror(-r));
	if (ws)
		github_empty_below("GITHUB_WORKSPACE", ws, h->work);
	return 0; /* the runner only logs a failed cleanup */
}

static int cmd_container_step(const struct hook *h)
{
	const struct json *img = json_get(h->args, "image");

	return hook_fail("Docker container actions (%s) cannot run here: they need a container "
	                 "engine, which would give the job root on this host. Use a JavaScript, "
	                 "composite or run: step instead, or a runner with a container runtime",
	                 json_is_string(img) ? img->valuestring
	                                     : "an action built from a Dockerfile");
}

/* The runner joins workingDirectory without normalizing it (working-directory: ./sub). */
static char *normalize(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *out = xstrdup(""), *save = NULL;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *next;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			char *slash = strrchr(out, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		next = xasprintf("%s/%s", out, c);
		free(out);
		out = next;
	}
	if (!*out) {
		free(out);
		out = xstrdup("/");
	}
	return out;
}

struct argv {
	const char *v[MAX_ARGV + 64];
	int n;
	struct strv own; /* strings made for it */
};

static void arg(struct argv *a, const char *s)
{
	if (a->n < (int)ARRAY_SIZE(a->v) - 1)
		a->v[a->n++] = s;
}

static void arg_fmt(struct argv *a, const char *flag, char *value)
{
	strv_push_take(&a->own, value);
	arg(a, flag);
	arg(a, value);
}

/* The step's environment: HOME as docker gives it, the job container's, the step's own, and
 * PATH with the step's GITHUB_PATH entries (newest first) in front. */
static void step_env(const struct hook *h, struct strv *env)
{
	const struct json *vars = json_get(h->args, "environmentVariables");
	const struct json *pre = json_get(h->args, "prependPath"), *it;
	_cleanup_free_ char *saved_path = xasprintf("%s/env.json", h->job);
	_cleanup_free_ char *saved = read_text_file(saved_path);
	struct json *ctr = saved ? json_parse(saved) : NULL;
	const char *base = SAFE_PATH;
	char *path = xstrdup("");

	strv_push(env, "HOME=" HOOK_HOME);
	for (int pass = 0; pass < 2; pass++) {
		const struct json *from = pass ? vars : ctr;

		json_for_each(it, from)
		{
			if (!json_is_string(it) || !env_name_valid(it->string, false))
				continue;
			if (strcmp(it->string, "PATH") == 0)
				base = it->valuestring;
			else
				strv_push_take(env,
				               xasprintf("%s=%s", it->string, it->valuestring));
		}
	}
	json_for_each(it, pre)
	{
		char *next;

		if (!json_is_string(it) || !*it->valuestring)
			continue;
		next = xasprintf("%s%s:", path, it->valuestring);
		free(path);
		path = next;
	}
	strv_push_take(env, xasprintf("PATH=%s%s", path, base));
	free(path);
	json_free(ctr);
}

/* The runner's directories, at the paths the step's variables name (see the top). */
static int step_mounts(const struct hook *h, struct argv *a)
{
	_cleanup_free_ char *ws = workspace(h), *shown = NULL, *ext = externals();
	_cleanup_free_ char *tools = tool_cache(h, &shown), *own = xasprintf("%s/tool", h->job);
	char *temp = below_work(h, "_temp"), *home = below_work(h, "_temp/_github_home");
	char *wf = below_work(h, "_temp/_github_workflow"), *acts = below_work(h, "_actions");
	struct stat st;

	if (!ws || !temp) {
		free(temp), free(home), free(wf), free(acts);
		return hook_fail("GITHUB_WORKSPACE=%s: not the runner's _work/REPO/REPO of %s",
		                 getenv("GITHUB_WORKSPACE"), h->work);
	}
	arg_fmt(a, "--bind", xasprintf("%s:/__w%s", ws, ws + strlen(h->work)));
	arg_fmt(a, "--bind", xasprintf("%s:/__w/_temp", temp));
	/* Where the runner reads our responses: the job must not write one. */
	arg(a, "--mask");
	arg(a, "/__w/_temp/" RESPONSES);
	if (home)
		arg_fmt(a, "--bind", xasprintf("%s:" HOOK_HOME, home));
	if (wf)
		arg_fmt(a, "--ro-bind", xasprintf("%s:/github/workflow", wf));
	if (acts)
		arg_fmt(a, "--ro-bind", xasprintf("%s:/__w/_actions", acts));
	if (stat(own, &st) == 0 && S_ISDIR(st.st_mode))
		arg_fmt(a, "--bind", xasprintf("%s:%s", own, shown));
	else if (tools)
		arg_fmt(a, "--ro-bind", xasprintf("%s:%s", tools, shown));
	if (ext) {
		arg_fmt(a, "--ro-bind", xasprintf("%s:/__e", ext));
		/* The runner's own directory (.runner, .credentials) where a system directory
		 * would show it (/opt/actions-runner). */
		*strrchr(ext, '/') = '\0';
		if (*ext)
			arg_fmt(a, "--mask", xstrdup(ext));
	} else {
		fprintf(stderr, "cisandbox github hook: warning: CISANDBOX_NODE is not the "
		                "runner's externals/<node>/bin/node: /__e (JavaScript actions) is "
		                "not shown; run this hook through container-hook.js\n");
	}
	arg_fmt(a, "--mask", xstrdup(h->work));
	free(temp), free(home), free(wf), free(acts);
	return 0;
}

static int cmd_run_step(struct hook *h)
{
	const struct json *ep = json_get(h->args, "entryPoint");
	const struct json *epa = json_get(h->args, "entryPointArgs"), *it;
	const struct json *wd = json_get(h->args, "workingDirectory");
	const char *profile = getenv(PROFILE_VAR);
	struct argv *a;
	struct strv env = {0};
	struct cli c;
	struct cis_err err = {{0}};
	bool launcher_failed = true;
	struct stat st;
	int status = 1;

	if (stat(h->job, &st) < 0)
		return hook_fail("%s: prepare_job did not run for this job", h->job);
	if (!json_is_string(ep) || !*ep->valuestring)
		return hook_fail("run_script_step: no entryPoint");
	if (json_size(epa) > MAX_ARGV)
		return hook_fail("run_script_step: more than %d arguments", MAX_ARGV);
	a = xcalloc(1, sizeof(*a));
	arg(a, "cisandbox");
	arg(a, "run");
	arg(a, "--profile");
	arg(a, profile && *profile ? profile : "github-hook");
	arg(a, "--workspace-mode");
	arg(a, "tmpfs");
	if (json_is_string(wd) && wd->valuestring[0] == '/')
		arg_fmt(a, "--chdir", normalize(wd->valuestring));
	if (step_mounts(h, a) != 0)
		goto out;
	arg(a, "--");
	arg(a, ep->valuestring);
	json_for_each(it, epa) arg(a, json_is_string(it) ? it->valuestring : "");
	a->v[a->n] = NULL;
	step_env(h, &env);
	if (cli_parse(a->n, (char **)a->v, &c, &err) < 0) {
		status = hook_fail("%s", err.msg);
	} else {
		c.job_env = env.v;
		status = run_command(&c, &launcher_failed);
		if (launcher_failed)
			hook_fail("the sandbox could not run the step (exit status %d)", status);
	}
	cli_free(&c);
out:
	strv_free(&env);
	strv_free(&a->own);
	free(a);
	return status;
}

/* Read and check the runner's input; the per-job directory's name. */
static int hook_setup(struct hook *h)
{
	_cleanup_free_ char *text = slurp_fd(STDIN_FILENO), *work = NULL, *cmd = NULL;
	const struct json *state, *mine;
	const char *parent = getenv("CISANDBOX_HOOK_PARENT");

	/* Killed with container-hook.js (the runner's last resort on cancel): the sandbox goes
	 * with us. Too late if it is gone already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || (parent && atoi(parent) != (int)getppid()))
		return hook_fail("the hook's node process is gone");
	if (github_hook_parse(text, &cmd, &h->response, &work) < 0)
		return hook_fail("stdin: not the runner's hook JSON {command, responseFile: "
		                 "_work/_temp/" RESPONSES "/FILE, ...}");
	h->in = json_parse(text);
	h->args = json_get(h->in, "args");
	h->command = json_get(h->in, "command")->valuestring;
	if (!realpath(work, h->work))
		return hook_fail("%s: %s", work, strerror(errno));
	if (strcmp(h->work, "/") == 0)
		return hook_fail("the runner's _work cannot be /");
	h->name = job_name(h->work);
	if (!path_is_clean_absolute(ci_state_base("CISANDBOX_GITHUB_DIR", "github")))
		return hook_fail("CISANDBOX_GITHUB_DIR=%s: must be a clean absolute path",
		                 getenv("CISANDBOX_GITHUB_DIR"));
	h->job = xasprintf("%s/%s", ci_state_base("CISANDBOX_GITHUB_DIR", "github"), h->name);
	state = json_get(h->in, "state");
	mine = json_get(state, "cisandbox");
	if (json_is_string(mine) && strcmp(mine->valuestring, h->name) != 0)
		return hook_fail("state names job %s, this runner's is %s", mine->valuestring,
		                 h->name);
	return 0;
}

int github_hook_main(void)
{
	struct hook h = {0};
	int r;

	/* Nothing below runs a program by PATH lookup but the network helper; the runner's PATH
	 * holds the job's GITHUB_PATH entries. */
	setenv("PATH", SAFE_PATH, 1);
	r = hook_setup(&h);
	/* The runner parses the file after a zero exit: always a valid one ({} at least). */
	if (r == 0)
		r = respond(&h, json_new_object());
	if (r != 0)
		;
	else if (strcmp(h.command, "prepare_job") == 0)
		r = cmd_prepare(&h);
	else if (strcmp(h.command, "run_script_step") == 0)
		r = cmd_run_step(&h);
	else if (strcmp(h.command, "run_container_step") == 0)
		r = cmd_container_step(&h);
	else if (strcmp(h.command, "cleanup_job") == 0)
		r = cmd_cleanup(&h);
	else
		r = hook_fail("unknown command \"%s\"", h.command);
	json_free(h.in);
	free(h.response);
	free(h.job);
	free(h.name);
	return r;
}
