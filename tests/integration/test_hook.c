/* GitHub Actions container hooks (cisandbox github hook through build/container-hook.js),
 * driven by a replay of actions/runner's side of the protocol, as root and as the runner's
 * unprivileged service account, in a test-made network world. What the replay does, and where
 * actions/runner does it (Runner.Worker, read at 258d6c8):
 * - runs the hook as <runner>/externals/node20/bin/node <hook> (HostContext.cs:812-835), cwd
 *   the host GITHUB_WORKSPACE, env = the runner's own (.env included) + the step's GITHUB_* and
 *   RUNNER_* with host paths + PATH with the job's GITHUB_PATH entries, newest first, in front
 *   (ScriptHandler.cs:288-319, Handler.cs:205-233); no workflow env:, no GITHUB_ENV values;
 * - writes one line of JSON {command, responseFile, args, state} and closes stdin
 *   (ProcessInvoker.cs:531-557), after creating responseFile empty under
 *   _work/_temp/_runner_hook_responses (ContainerHookManager.cs:166, 181); parses it after a
 *   zero exit and keeps a non-null "state" for later calls (:211-232);
 * - before each step makes the seven empty file-command files of one GUID in
 *   _temp/_runner_file_commands and reads them on the host afterwards (FileCommandManager.cs);
 * - run: steps as `sh -e /__w/_temp/<guid>.sh` (the container default) or bash with its flags,
 *   the script written to _work/_temp on the host; JavaScript actions as
 *   /__e/node20/bin/node /__w/_actions/<owner>/<repo>/<ref>/<main> with INPUT_* and the
 *   runtime, cache, results and OIDC variables (NodeScriptActionHandler.cs:54-84); the step's
 *   environment in container paths (StepHost.cs:222, 326-332);
 * - cancel: SIGINT to the hook's pid, SIGTERM 7.5 s later, SIGKILL 2.5 s after that, the pid
 *   alone (ProcessInvoker.cs:443-465, 829-870). */
#define _GNU_SOURCE
#include "runner.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(hook, .fini = world_cleanup);

#define NOBODY 65534

struct runner {
	enum mode m;
	char *root, *work, *temp, *ws, *ext, *node, *hook, *marker, *profile;
	cJSON *state; /* the hook's state, as the runner keeps it */
	struct {      /* GITHUB_PATH entries in the order added */
		char *v[16];
		int n;
	} path;
	char *env_file, *out_file, *path_file, *summary, *state_file;
	int calls, steps;
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	cr_assert(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

static void own(const struct runner *g, const char *path)
{
	if (g->m == ROOTLESS)
		cr_assert(chown(path, NOBODY, NOBODY) == 0, "%s", path);
}

static void mkdir_own(const struct runner *g, const char *path)
{
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "%s", path);
	own(g, path);
}

static void file_own(const struct runner *g, const char *path, const char *text, mode_t mode)
{
	write_text(path, text);
	chmod(path, mode);
	own(g, path);
}

/* The runner's node: a hard link (or copy) of the host's, so that its path is the runner's. */
static void install_node(const char *dst)
{
	if (link("/usr/bin/node", dst) == 0)
		return;
	cr_assert(system(fmt("cp /usr/bin/node '%s'", dst)) == 0, "no node to copy");
}

static const char js_action[] =
    "const fs = require('fs');\n"
    "const has = (n) => (process.env[n] ? n : '-');\n"
    "console.log('js action in ' + process.cwd() + ' with node ' + process.execPath);\n"
    "console.log('input ' + process.env.INPUT_TOKEN + ' ' + [has('ACTIONS_RUNTIME_TOKEN'),\n"
    "  has('ACTIONS_CACHE_URL'), has('ACTIONS_RESULTS_URL'),\n"
    "  has('ACTIONS_ID_TOKEN_REQUEST_URL')].join(' '));\n"
    "fs.appendFileSync(process.env.GITHUB_OUTPUT, 'greeting=hello from js\\n');\n"
    "fs.appendFileSync(process.env.GITHUB_STATE, 'started=yes\\n');\n"
    "console.log('FROM_STEP_ONE=' + process.env.FROM_STEP_ONE);\n";

static const char js_post[] = "console.log('post step, state ' + process.env.STATE_started);\n";

static void runner_setup(struct runner *g, enum mode m)
{
	char *acts;

	*g = (struct runner){.m = m, .state = cJSON_CreateNull()};
	g->root = tmpdir_for(m);
	file_own(g, fmt("%s/.runner", g->root), "{\"agentName\": \"r1\"}", 0600);
	file_own(g, fmt("%s/.credentials", g->root), "{\"secret\": \"runner-cred-SECRET\"}", 0600);
	file_own(g, fmt("%s/.env", g->root), "RUNNER_SERVICE_SECRET=hunter2\n", 0600);
	/* externals/ as the runner ships it: root's, read-only to the job. */
	g->ext = fmt("%s/externals", g->root);
	cr_assert(mkdir(g->ext, 0755) == 0 && mkdir(fmt("%s/node20", g->ext), 0755) == 0 &&
	          mkdir(fmt("%s/node20/bin", g->ext), 0755) == 0);
	g->node = fmt("%s/node20/bin/node", g->ext);
	install_node(g->node);
	g->work = fmt("%s/_work", g->root);
	mkdir_own(g, g->work);
	mkdir_own(g, fmt("%s/repo", g->work));
	g->ws = fmt("%s/repo/repo", g->work);
	mkdir_own(g, g->ws);
	g->temp = fmt("%s/_temp", g->work);
	mkdir_own(g, g->temp);
	mkdir_own(g, fmt("%s/_runner_file_commands", g->temp));
	mkdir_own(g, fmt("%s/_github_home", g->temp));
	mkdir_own(g, fmt("%s/_github_workflow", g->temp));
	file_own(g, fmt("%s/_github_workflow/event.json", g->temp), "{\"action\": \"opened\"}",
	         0644);
	mkdir_own(g, fmt("%s/_tool", g->work));
	/* Actions, downloaded by the runner before the job. */
	acts = fmt("%s/_actions", g->work);
	mkdir_own(g, acts);
	mkdir_own(g, fmt("%s/o", acts));
	mkdir_own(g, fmt("%s/o/js", acts));
	mkdir_own(g, fmt("%s/o/js/v1", acts));
	file_own(g, fmt("%s/o/js/v1/index.js", acts), js_action, 0644);
	file_own(g, fmt("%s/o/js/v1/post.js", acts), js_post, 0644);
	mkdir_own(g, fmt("%s/o/comp", acts));
	mkdir_own(g, fmt("%s/o/comp/v1", acts));
	file_own(g, fmt("%s/o/comp/v1/helper.sh", acts), "echo composite helper ran\n", 0644);
	g->hook = fmt("%s/container-hook.js", dirname(strdup(getenv("CISANDBOX"))));
	/* Where a fake bash/node that ran on the host would leave its mark. */
	g->marker = fmt("%s/PWNED", g->root);
}

static void runner_done(struct runner *g)
{
	cJSON_Delete(g->state);
	rm_rf(g->root);
}

/* The seven empty file-command files of the next step (FileCommandManager.InitializeFiles). */
static void new_file_commands(struct runner *g)
{
	static const char *const pfx[] = {"set_env_",       "add_path_",     "set_output_",
	                                  "save_state_",    "step_summary_", "artifacts_",
	                                  "artifacts_list_"};
	char *files[7];

	g->steps++;
	for (size_t i = 0; i < 7; i++) {
		files[i] = fmt("%s/_runner_file_commands/%s%d-guid", g->temp, pfx[i], g->steps);
		file_own(g, files[i], "", 0644);
	}
	g->env_file = files[0], g->path_file = files[1], g->out_file = files[2];
	g->state_file = files[3], g->summary = files[4];
}

/* A host path as the step sees it (ContainerInfo.TranslateToContainerPath). */
static char *container_path(const struct runner *g, const char *host)
{
	if (strncmp(host, g->temp, strlen(g->temp)) == 0 && strstr(host, "/_github_home"))
		return fmt("/github/home%s", host + strlen(g->temp) + strlen("/_github_home"));
	return fmt("/__w%s", host + strlen(g->work));
}

/* The runner's environment for the hook process. */
static void hook_env(const struct runner *g, const char **env, const char *extra)
{
	char *path = fmt("/usr/local/bin:/usr/bin:/bin");
	int n = 0;

	for (int i = 0; i < g->path.n; i++) /* newest first, in front of the host's PATH */
		path = fmt("%s:%s", g->path.v[i], path);
	env[n++] = fmt("PATH=%s", path);
	env[n++] = "LANG=C.UTF-8";
	env[n++] = "RUNNER_SERVICE_SECRET=hunter2"; /* from .env */
	env[n++] = "GITHUB_ACTIONS=true";
	env[n++] = "CI=true";
	env[n++] = fmt("GITHUB_WORKSPACE=%s", g->ws);
	env[n++] = fmt("RUNNER_WORKSPACE=%s/repo", g->work);
	env[n++] = fmt("RUNNER_TEMP=%s", g->temp);
	env[n++] = fmt("RUNNER_TOOL_CACHE=%s/_tool", g->work);
	env[n++] = fmt("GITHUB_ENV=%s", g->env_file ? g->env_file : "");
	env[n++] = fmt("HOME=%s", g->root);
	/* As root the default is /var/lib/cisandbox/github; the test keeps to its own tree. */
	if (g->m == ROOT)
		env[n++] = fmt("CISANDBOX_GITHUB_DIR=%s/hookstate", g->root);
	if (g->profile)
		env[n++] = fmt("CISANDBOX_PROFILE=%s", g->profile);
	if (extra)
		env[n++] = extra;
	env[n] = NULL;
}

/* One hook call; the response is parsed as the runner does and its state kept. */
static cJSON *hook_call(struct runner *g, const char *command, cJSON *args, struct step_result *r,
                        enum cancel cancel, pid_t *kids)
{
	const char *argv[] = {g->node, g->hook, NULL}, *env[24];
	char *dir = fmt("%s/_runner_hook_responses", g->temp);
	char *resp = fmt("%s/%d.json", dir, ++g->calls), *line, *text;
	cJSON *in = cJSON_CreateObject(), *out = NULL, *st;

	mkdir_own(g, dir);
	file_own(g, resp, "", 0644);
	cJSON_AddStringToObject(in, "command", command);
	cJSON_AddStringToObject(in, "responseFile", resp);
	cJSON_AddItemToObject(in, "args", args);
	cJSON_AddItemToObject(in, "state", cJSON_Duplicate(g->state, true));
	line = cJSON_PrintUnformatted(in);
	hook_env(g, env, NULL);
	step_run(&(struct step){.argv = argv,
	                        .env = env,
	                        .cwd = g->ws,
	                        .as = g->m,
	                        .netns = cis_netns,
	                        .cancel = cancel,
	                        .cancel_after = "started",
	                        .launcher_children = kids,
	                        .stdin_text = fmt("%s\n", line)},
	         r);
	cr_assert(r->eof, "stdout/stderr still open after the hook: %s", r->out);
	text = read_text(resp);
	if (r->status == 0) {
		out = cJSON_Parse(text ? text : "");
		cr_assert(cJSON_IsObject(out), "%s: response %s is not a JSON object: %s", command,
		          resp, text ? text : "(none)");
		st = cJSON_GetObjectItemCaseSensitive(out, "state");
		if (st && !cJSON_IsNull(st)) {
			cJSON_Delete(g->state);
			g->state = cJSON_Duplicate(st, true);
		}
	}
	unlink(resp);
	cJSON_Delete(in);
	return out;
}

static cJSON *env_obj(const struct runner *g, const char *const *extra)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "GITHUB_WORKSPACE", "/__w/repo/repo");
	cJSON_AddStringToObject(e, "RUNNER_TEMP", "/__w/_temp");
	cJSON_AddStringToObject(e, "RUNNER_TOOL_CACHE", "/__w/_tool");
	cJSON_AddStringToObject(e, "GITHUB_EVENT_PATH", "/github/workflow/event.json");
	cJSON_AddStringToObject(e, "GITHUB_ENV", container_path(g, g->env_file));
	cJSON_AddStringToObject(e, "GITHUB_PATH", container_path(g, g->path_file));
	cJSON_AddStringToObject(e, "GITHUB_OUTPUT", container_path(g, g->out_file));
	cJSON_AddStringToObject(e, "GITHUB_STATE", container_path(g, g->state_file));
	cJSON_AddStringToObject(e, "GITHUB_STEP_SUMMARY", container_path(g, g->summary));
	for (; extra && *extra; extra++) {
		const char *eq = strchr(*extra, '=');

		cJSON_AddStringToObject(e, strndup(*extra, (size_t)(eq - *extra)), eq + 1);
	}
	return e;
}

static cJSON *step_args(struct runner *g, const char *entry, const char *const *argv,
                        const char *const *env)
{
	cJSON *a = cJSON_CreateObject(), *args = cJSON_AddArrayToObject(a, "entryPointArgs"), *pp;

	for (; argv && *argv; argv++)
		cJSON_AddItemToArray(args, cJSON_CreateString(*argv));
	cJSON_AddStringToObject(a, "entryPoint", entry);
	cJSON_AddItemToObject(a, "environmentVariables", env_obj(g, env));
	pp = cJSON_AddArrayToObject(a, "prependPath");
	for (int i = g->path.n - 1; i >= 0; i--) /* prependPath: reversed, newest first */
		cJSON_AddItemToArray(pp, cJSON_CreateString(g->path.v[i]));
	cJSON_AddStringToObject(a, "workingDirectory", "/__w/repo/repo");
	return a;
}

/* A run: step: the script to _work/_temp/<guid>.sh, then `sh -e` (or bash) on its
 * container path. */
static void run_step(struct runner *g, const char *shell, const char *script,
                     const char *const *env, struct step_result *r, enum cancel cancel, pid_t *kids)
{
	char *host = fmt("%s/%d-script.sh", g->temp, g->steps + 1), *cpath;
	const char *sh_args[] = {"-e", NULL, NULL};
	const char *bash_args[] = {"--noprofile", "--norc", "-e", "-o", "pipefail", NULL, NULL};
	bool bash = strcmp(shell, "bash") == 0;

	new_file_commands(g);
	file_own(g, host, script, 0644);
	cpath = container_path(g, host);
	sh_args[1] = cpath;
	bash_args[5] = cpath;
	cJSON_Delete(hook_call(g, "run_script_step",
	                       step_args(g, shell, bash ? bash_args : sh_args, env), r, cancel,
	                       kids));
}

static void add_paths(struct runner *g)
{
	char *text = read_text(g->path_file), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line && g->path.n < 16;
	     line = strtok_r(NULL, "\n", &save))
		g->path.v[g->path.n++] = strdup(line);
}

static cJSON *prepare_args(bool services)
{
	cJSON *a = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(a, "container"), *v, *e;

	cJSON_AddStringToObject(c, "image", "ubuntu:22.04");
	cJSON_AddNullToObject(c, "dockerfile");
	cJSON_AddArrayToObject(c, "entryPointArgs");
	cJSON_AddNullToObject(c, "entryPoint");
	cJSON_AddStringToObject(c, "workingDirectory", "/__w/repo/repo");
	cJSON_AddStringToObject(c, "createOptions", "--privileged --network host --pid host");
	cJSON_AddNullToObject(c, "registry");
	e = cJSON_AddObjectToObject(c, "environmentVariables");
	cJSON_AddStringToObject(e, "HOME", "/github/home");
	cJSON_AddStringToObject(e, "CONTAINER_VAR", "from-container");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "portMappings"),
	                     cJSON_CreateString("80:80"));
	v = cJSON_AddArrayToObject(c, "systemMountVolumes");
	cJSON_AddItemToArray(v, cJSON_Parse("{\"sourceVolumePath\": \"/var/run/docker.sock\", "
	                                    "\"targetVolumePath\": \"/var/run/docker.sock\", "
	                                    "\"readOnly\": false}"));
	v = cJSON_AddArrayToObject(c, "userMountVolumes");
	cJSON_AddItemToArray(v, cJSON_Parse("{\"sourceVolumePath\": \"/\", \"targetVolumePath\": "
	                                    "\"/host\", \"readOnly\": false, "
	                                    "\"userProvidedValue\": \"/:/host\"}"));
	v = cJSON_AddArrayToObject(a, "services");
	if (services)
		cJSON_AddItemToArray(v, cJSON_Parse("{\"image\": \"redis\"}"));
	return a;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The operator's profile, named by CISANDBOX_PROFILE in the runner's .env: github-hook with
 * the test world's DNS server, one package registry, and the cache service granted by name. */
static void operator_profile(struct runner *g)
{
	g->profile = fmt("%s/operator.json", g->root);
	file_own(g, g->profile,
	         "{\"extends\": \"github-hook\", \"env\": {\"pass\": [\"ACTIONS_CACHE_URL\"]}, "
	         "\"network\": {\"dns_upstream\": [\"" WORLD_DNS
	         "\"], \"allow\": [\"pkg.allowed.test:80\"]}}",
	         0644);
}

/* Programs a step leaves in a directory it adds to GITHUB_PATH: each marks the runner's root
 * if it ever runs on the host (inside the sandbox the root is not there to mark). */
static char *fake_programs(const struct runner *g)
{
	return fmt(
	    "mkdir -p bin\n"
	    "for p in bash node sh cisandbox slirp4netns pasta env; do\n"
	    "  printf '#!/bin/sh\\ntouch %s 2>/dev/null\\n' > bin/$p; chmod +x bin/$p\n"
	    "done\n"
	    "printf '#!/bin/sh\\ntouch %s 2>/dev/null\\nexec /bin/bash \"$@\"\\n' > bin/bash\n"
	    "echo \"$PWD/bin\" >> \"$GITHUB_PATH\"\necho \"%s/bin\" >> \"$GITHUB_PATH\"\n",
	    g->marker, g->marker, g->ws);
}

static void check_job_ready(struct runner *g, struct step_result *r)
{
	cJSON *resp;

	file_own(g, fmt("%s/leftover-of-an-earlier-job", g->ws), "x", 0644);
	resp = hook_call(g, "prepare_job", prepare_args(false), r, NO_CANCEL, NULL);
	cr_assert_eq(r->status, 0, "prepare_job: %s", r->out);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(resp, "isAlpine")), "isAlpine");
	cr_assert(cJSON_IsString(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "context"), "container"), "id")));
	cr_assert(!cJSON_IsNull(g->state), "prepare_job returned no state");
	cr_assert(strstr(r->out, "\"ubuntu:22.04\" is not started"), "%s", r->out);
	cr_assert(strstr(r->out, "ignored: options \"--privileged --network host --pid host\", "
	                         "1 volume(s), 1 port mapping(s)"),
	          "%s", r->out);
	cr_assert(!exists(fmt("%s/leftover-of-an-earlier-job", g->ws)), "workspace not emptied");
	cJSON_Delete(resp);
	step_result_free(r);
}

static void check_first_step(struct runner *g, struct step_result *r)
{
	char *script =
	    fmt("%s"
	        "echo \"greeting=hello from step one\" >> \"$GITHUB_OUTPUT\"\n"
	        "echo FROM_STEP_ONE=yes >> \"$GITHUB_ENV\"\n"
	        "echo '### it worked' >> \"$GITHUB_STEP_SUMMARY\"\n"
	        "pwd\necho \"$CONTAINER_VAR $HOME\"\necho checkout > file.txt\n"
	        "ls /host 2>/dev/null && echo LEAK || echo no host volume\n"
	        "grep -q '^CapEff:.0*$' /proc/self/status && echo no capabilities\n"
	        "test -e /var/run/docker.sock && echo LEAK || echo no docker socket\n"
	        "[ $(ls /proc | grep -c '^[0-9]') -lt 10 ] && echo own pids\n"
	        "cat %s/.credentials %s/.runner /github/workflow/.credentials 2>/dev/null && echo "
	        "LEAK || echo runner hidden\n"
	        "ls /__w | tr '\\n' ' '; echo\n"
	        "env | grep -E 'hunter2|RUNNER_SERVICE' && echo LEAK || echo runner env hidden\n"
	        "(echo x > /__w/_temp/_runner_hook_responses/1.json) 2>/dev/null && echo LEAK || "
	        "echo responses read-only\n"
	        "(echo x >> /__w/_actions/o/js/v1/index.js) 2>/dev/null && echo LEAK || "
	        "echo actions read-only\n"
	        "echo tool > /__w/_tool/t && echo tool cache writable\n" FETCH
	        "pkg.allowed.test 80\n" FETCH "evil.test 80\n",
	        fake_programs(g), g->root, g->root);

	run_step(g, "sh", script, NULL, r, NO_CANCEL, NULL);
	cr_assert_eq(r->status, 0, "%s", r->out);
	cr_assert(strstr(r->out, "/__w/repo/repo\nfrom-container /github/home\nno host volume\n"
	                         "no capabilities\nno docker socket\nown pids\nrunner hidden\n"
	                         "_actions _temp _tool repo \nrunner env hidden\n"
	                         "responses read-only\nactions read-only\ntool cache writable\n"
	                         "hello 198.51.100.10:80\ngaierror\n"),
	          "%s", r->out);
	/* The runner reads the file commands on the host. */
	cr_assert_str_eq(runner_file_value(g->out_file, "greeting"), "hello from step one");
	cr_assert_str_eq(runner_file_value(g->env_file, "FROM_STEP_ONE"), "yes");
	cr_assert(strstr(read_text(g->summary), "### it worked"));
	add_paths(g);
	cr_assert_eq(g->path.n, 2, "GITHUB_PATH: %d entries", g->path.n);
	step_result_free(r);
}

/* A JavaScript action with the runner's node at /__e, its token input, and the runner's
 * runtime, cache, results and OIDC variables: withheld by github-hook, but for the cache
 * service, which the operator's profile grants by name. */
static char *check_js_action(struct runner *g, struct step_result *r)
{
	const char *args[] = {"/__w/_actions/o/js/v1/index.js", NULL};
	const char *env[] = {"INPUT_TOKEN=ghs_input_SECRET",
	                     "ACTIONS_RUNTIME_TOKEN=runtime-SECRET",
	                     "ACTIONS_RUNTIME_URL=https://pipelines.example/",
	                     "ACTIONS_CACHE_URL=https://cache.example/",
	                     "ACTIONS_RESULTS_URL=https://results.example/",
	                     "ACTIONS_ID_TOKEN_REQUEST_URL=https://oidc.example/",
	                     "ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-SECRET",
	                     "FROM_STEP_ONE=yes",
	                     NULL};
	char *state_file;

	new_file_commands(g);
	state_file = g->state_file;
	cJSON_Delete(hook_call(g, "run_script_step",
	                       step_args(g, "/__e/node20/bin/node", args, env), r, NO_CANCEL,
	                       NULL));
	cr_assert_eq(r->status, 0, "%s", r->out);
	cr_assert_str_eq(r->out, "js action in /__w/repo/repo with node /__e/node20/bin/node\n"
	                         "input ghs_input_SECRET - ACTIONS_CACHE_URL - -\n"
	                         "FROM_STEP_ONE=yes\n");
	cr_assert_str_eq(runner_file_value(g->out_file, "greeting"), "hello from js");
	step_result_free(r);
	return state_file;
}

DUAL_TEST(hook, whole_job, .timeout = 240)
{
	struct world wd;
	struct runner g;
	struct step_result r;
	const char *comp_env[] = {"GITHUB_ACTION_PATH=/__w/_actions/o/comp/v1", NULL};
	const char *post_args[] = {"/__w/_actions/o/js/v1/post.js", NULL};
	const char *post_env[2] = {NULL, NULL};
	char *state_file, *job;
	cJSON *docker;

	world_up(&wd);
	runner_setup(&g, m);
	operator_profile(&g);
	check_job_ready(&g, &r);
	/* Planted as a step could have: /github/workflow pointing at the runner's root. */
	cr_assert(rename(fmt("%s/_github_workflow", g.temp), fmt("%s/_gw", g.temp)) == 0);
	cr_assert(symlink(g.root, fmt("%s/_github_workflow", g.temp)) == 0);
	check_first_step(&g, &r);
	state_file = check_js_action(&g, &r);
	/* A composite action's run: step (shell: bash), its helper in the read-only actions. */
	run_step(&g, "bash", "bash \"$GITHUB_ACTION_PATH/helper.sh\"\ncat file.txt /__w/_tool/t\n",
	         comp_env, &r, NO_CANCEL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_str_eq(r.out, "composite helper ran\ncheckout\ntool\n");
	step_result_free(&r);
	/* The JavaScript action's post step, with the state its main step saved. */
	post_env[0] = fmt("STATE_started=%s", runner_file_value(state_file, "started"));
	new_file_commands(&g);
	cJSON_Delete(hook_call(&g, "run_script_step",
	                       step_args(&g, "/__e/node20/bin/node", post_args, post_env), &r,
	                       NO_CANCEL, NULL));
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_str_eq(r.out, "post step, state yes\n");
	step_result_free(&r);
	/* A Docker action: refused, with the reason. */
	docker = cJSON_CreateObject();
	cJSON_AddStringToObject(docker, "image", "alpine:3");
	cJSON_Delete(hook_call(&g, "run_container_step", docker, &r, NO_CANCEL, NULL));
	cr_assert_neq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "Docker container actions (alpine:3) cannot run here"), "%s",
	          r.out);
	step_result_free(&r);
	/* cleanup_job: nothing of the job is left, the runner's own files are. */
	job = fmt("%s/%s",
	          m == ROOT ? fmt("%s/hookstate", g.root)
	                    : fmt("%s/.local/state/cisandbox/github", g.root),
	          cJSON_GetObjectItem(g.state, "cisandbox")->valuestring);
	cr_assert(exists(job), "%s: no per-job directory", job);
	cJSON_Delete(hook_call(&g, "cleanup_job", cJSON_CreateObject(), &r, NO_CANCEL, NULL));
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(!exists(job), "cleanup_job left %s", job);
	cr_assert(!exists(fmt("%s/file.txt", g.ws)), "cleanup_job left the workspace");
	cr_assert(!exists(fmt("%s/_tool/t", g.work)), "a job's tool reached the host tool cache");
	cr_assert(exists(fmt("%s/.credentials", g.root)));
	cr_assert(!exists(g.marker), "a program the job put on GITHUB_PATH ran on the host");
	step_result_free(&r);
	world_down(&wd);
	runner_done(&g);
}

/* Cancel: SIGINT to the node process alone; the step's INT trap runs (and ends its background
 * job, which a non-interactive shell started ignoring SIGINT), nothing is left. */
DUAL_TEST(hook, cancel_runs_the_trap, .timeout = 90)
{
	struct world wd;
	struct runner g;
	struct step_result r;

	world_up(&wd);
	runner_setup(&g, m);
	operator_profile(&g);
	check_job_ready(&g, &r);
	/* Root and rootless run side by side: each watches a sleep of its own. */
	const char *marker = m == ROOT ? "sleep 3600.81" : "sleep 3600.83";

	run_step(
	    &g, "sh",
	    fmt("trap 'echo TRAP-INT; kill $!; exit 3' INT\necho started\n%s &\nwait\n", marker),
	    NULL, &r, CANCEL_HOOK, NULL);
	cr_assert_not(r.killed, "the step needed more than SIGINT: %s", r.out);
	cr_assert(strstr(r.out, "TRAP-INT"), "the INT trap did not run: %s", r.out);
	cr_assert_neq(r.status, 0, "%s", r.out);
	cr_assert(host_process_gone(marker, 2000), "a job process outlived the cancel");
	step_result_free(&r);
	cJSON_Delete(hook_call(&g, "cleanup_job", cJSON_CreateObject(), &r, NO_CANCEL, NULL));
	step_result_free(&r);
	world_down(&wd);
	runner_done(&g);
}

/* The host's mounts but the /run/netns ones, which other tests' worlds come and go with. */
static int mounts_but_netns(void)
{
	char *s = read_text("/proc/self/mountinfo"), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += !strstr(line, " /run/netns");
	free(s);
	return n;
}

/* The runner's last resort, SIGKILL of the node process alone: the launcher dies with it and
 * takes the sandbox, its network namespace and helper, and its mounts along. */
DUAL_TEST(hook, sigkill_of_node_leaves_nothing, .timeout = 90)
{
	struct world wd;
	struct runner g;
	struct step_result r;
	pid_t kids[8] = {0};
	char ns[64] = "";
	const char *at, *marker = m == ROOT ? "sleep 3600.82" : "sleep 3600.84";
	int mounts;

	world_up(&wd);
	runner_setup(&g, m);
	operator_profile(&g);
	check_job_ready(&g, &r);
	mounts = mounts_but_netns();
	run_step(&g, "sh", fmt("readlink /proc/self/ns/net\necho started\n%s\n", marker), NULL, &r,
	         CANCEL_KILL_PID, kids);
	cr_assert_eq(r.status, 128 + SIGKILL, "%s", r.out);
	cr_assert(kids[0] > 0, "no launcher under the hook's node");
	at = strstr(r.out, "net:[");
	cr_assert(at, "%s", r.out);
	snprintf(ns, sizeof(ns), "%.*s", (int)strcspn(at, "\r\n"), at);
	await_gone(marker, ns, kids, 200);
	cr_assert_not(host_process_exists(marker), "a job process outlived SIGKILL");
	for (int k = 0; kids[k]; k++)
		cr_assert_not(pid_alive(kids[k]), "the launcher (pid %d) outlived SIGKILL",
		              kids[k]);
	cr_assert_not(netns_in_use(ns), "the sandbox's network namespace %s is in use", ns);
	cr_assert_eq(mounts_but_netns(), mounts, "mounts left on the host");
	step_result_free(&r);
	cJSON_Delete(hook_call(&g, "cleanup_job", cJSON_CreateObject(), &r, NO_CANCEL, NULL));
	step_result_free(&r);
	world_down(&wd);
	runner_done(&g);
}

/* What the hook refuses, each with its reason: services, a job without a container, a step
 * before prepare_job, a state that is not this runner's. */
DUAL_TEST(hook, refusals, .timeout = 60)
{
	struct runner g;
	struct step_result r;
	cJSON *args;

	runner_setup(&g, m);
	cJSON_Delete(hook_call(&g, "prepare_job", prepare_args(true), &r, NO_CANCEL, NULL));
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "services: are not supported"), "%s", r.out);
	step_result_free(&r);
	args = cJSON_CreateObject();
	cJSON_AddNullToObject(args, "container");
	cJSON_AddArrayToObject(args, "services");
	cJSON_Delete(hook_call(&g, "prepare_job", args, &r, NO_CANCEL, NULL));
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER=true"), "%s", r.out);
	step_result_free(&r);
	run_step(&g, "sh", "echo LEAK\n", NULL, &r, NO_CANCEL, NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "prepare_job did not run"), "%s", r.out);
	cr_assert_not(strstr(r.out, "LEAK"), "%s", r.out);
	step_result_free(&r);
	cJSON_Delete(g.state);
	g.state = cJSON_Parse("{\"cisandbox\": \"job-0000000000000000\"}");
	run_step(&g, "sh", "echo LEAK\n", NULL, &r, NO_CANCEL, NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "state names job job-0000000000000000"), "%s", r.out);
	step_result_free(&r);
	/* cleanup_job runs even after a failed prepare_job, and succeeds. */
	cJSON_Delete(g.state);
	g.state = cJSON_CreateNull();
	cJSON_Delete(hook_call(&g, "cleanup_job", cJSON_CreateObject(), &r, NO_CANCEL, NULL));
	cr_assert_eq(r.status, 0, "%s", r.out);
	step_result_free(&r);
	runner_done(&g);
}

/* The shipped job hooks (ACTIONS_RUNNER_HOOK_JOB_STARTED / _COMPLETED) run with the runner's
 * node and the job's GITHUB_PATH in front of PATH: they still run cisandbox itself. */
DUAL_TEST(hook, job_hooks_ignore_the_jobs_path, .timeout = 60)
{
	struct runner g;
	struct step_result r;
	const char *env[24];
	char *bin;

	runner_setup(&g, m);
	bin = fmt("%s/fakebin", g.work);
	mkdir_own(&g, bin);
	for (const char *const *p = (const char *const[]){"bash", "sh", "node", "cisandbox", NULL};
	     *p; p++)
		file_own(&g, fmt("%s/%s", bin, *p), fmt("#!/bin/sh\ntouch %s\n", g.marker), 0755);
	g.path.v[g.path.n++] = bin;
	hook_env(&g, env, NULL);
	for (const char *const *h = (const char *const[]){"job-started", "job-completed", NULL}; *h;
	     h++) {
		const char *argv[] = {g.node, fmt("%s/%s.js", dirname(strdup(g.hook)), *h), NULL};

		file_own(&g, fmt("%s/build.log", g.ws), "x", 0644);
		step_run(&(struct step){.argv = argv, .env = env, .cwd = g.ws, .as = m}, &r);
		cr_assert_eq(r.status, 0, "%s: %s", *h, r.out);
		cr_assert(strstr(r.out, "cisandbox: emptied"), "%s: %s", *h, r.out);
		cr_assert(!exists(fmt("%s/build.log", g.ws)), "%s did not empty the workspace", *h);
		step_result_free(&r);
	}
	cr_assert(!exists(g.marker), "a program on the job's GITHUB_PATH ran on the host");
	runner_done(&g);
}

/* github-hook's egress is GitHub's runner endpoints, by name, whatever the workflow says. */
Test(hook, github_hook_profile_allows_githubs_endpoints)
{
	struct result r;
	cJSON *plan, *net, *names;
	char *all;

	cis_run(ROOTLESS, &r, NULL,
	        ARGS("run", "--profile", "github-hook", "--dry-run", "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	plan = cJSON_Parse(r.out);
	net = cJSON_GetObjectItem(plan, "network");
	names = cJSON_GetObjectItem(net, "allow_names");
	cr_assert_str_eq(cJSON_GetObjectItem(net, "mode")->valuestring, "allowlist");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(net, "allow")), 0,
	             "an address allowed");
	all = cJSON_PrintUnformatted(names);
	for (const char *const *n =
	         (const char *const[]){"\"github.com:443/tcp\"", "\"api.github.com:443/tcp\"",
	                               "\"*.actions.githubusercontent.com:443/tcp\"", NULL};
	     *n; n++)
		cr_assert(strstr(all, *n), "%s not allowed: %s", *n, all);
	cJSON_Delete(plan);
	result_free(&r);
}
