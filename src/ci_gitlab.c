/* ci_gitlab.c — GitLab Runner's custom executor: `cisandbox gitlab config|prepare|run|cleanup`.
 *
 * The runner calls each stage with cwd in its per-attempt TMPDIR, stdin /dev/null, in its own
 * process group, with CUSTOM_ENV_<VAR> for every job variable, BUILD_FAILURE_EXIT_CODE,
 * SYSTEM_FAILURE_EXIT_CODE, BUILD_EXIT_CODE_FILE and JOB_RESPONSE_FILE (the job JSON, with the
 * job token). Every value is treated as hostile: ids must be digits, the server host must parse
 * as an allow entry.
 *
 * Per job there is one host directory, BASE/runner-R-project-P-concurrent-C-job-J, with
 * builds/ (shown at /builds, the builds_dir `config` announces), cache/ (at /cache) and step/
 * (at /.cisandbox: this stage's script alone, copied). `run` runs each stage in a fresh sandbox
 * of the `gitlab` profile, which sees nothing else of the runner: not TMPDIR, not the job JSON,
 * not the other stages' scripts, not the runner's environment (the script exports the job's
 * variables itself). */
#define _GNU_SOURCE
#include "ci.h"
#include "cli.h"
#include "netspec.h"
#include "run.h"
#include "util.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILDS_DIR "/builds"
#define CACHE_DIR  "/cache"
#define STEP_DIR   "/.cisandbox"
#define MAX_SCRIPT (64u << 20)

struct gl {
	const char *base;    /* --dir, $CISANDBOX_GITLAB_DIR, or a default per user */
	const char *profile; /* --profile (run), default "gitlab" */
	char *job;           /* BASE/runner-...-job-J */
	int build_failure, system_failure;
};

static int env_code(const char *name, int dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n < 0 || n > 255 ? dflt : (int)n;
}

/* A launcher-side failure: the runner marks the job as a system failure (retriable). */
__attribute__((format(printf, 2, 3))) static int system_failure(const struct gl *g, const char *fmt,
                                                                ...)
{
	va_list ap;

	fprintf(stderr, "cisandbox gitlab: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return g->system_failure;
}

/* CUSTOM_ENV_<name>: digits only, or NULL. */
static const char *job_id(const char *name)
{
	char var[64];
	const char *v;

	snprintf(var, sizeof(var), "CUSTOM_ENV_%s", name);
	v = getenv(var);
	if (!v || !*v || strlen(v) > 20 || strspn(v, "0123456789") != strlen(v))
		return NULL;
	return v;
}

static int job_dir(struct gl *g)
{
	static const char *const ids[] = {"CI_RUNNER_ID", "CI_PROJECT_ID",
	                                  "CI_CONCURRENT_PROJECT_ID", "CI_JOB_ID"};
	const char *v[4];

	for (size_t i = 0; i < 4; i++)
		if (!(v[i] = job_id(ids[i])))
			return system_failure(g, "CUSTOM_ENV_%s: missing or not a number", ids[i]);
	g->job = xasprintf("%s/runner-%s-project-%s-concurrent-%s-job-%s", g->base, v[0], v[1],
	                   v[2], v[3]);
	return 0;
}

/* Remove BASE/NAME wholly (never through a symlink). Absent is fine: cleanup may run twice. */
static int remove_job(const struct gl *g)
{
	_cleanup_close_ int base = open(g->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (base < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_tree_at(base, strrchr(g->job, '/') + 1);
}

static int cmd_config(void)
{
	struct json *o = json_new_object(), *drv;

	json_add_string(o, "builds_dir", BUILDS_DIR);
	json_add_string(o, "cache_dir", CACHE_DIR);
	json_add_bool(o, "builds_dir_is_shared", false);
	json_add_string(o, "hostname", "cisandbox");
	drv = json_add_object(o, "driver");
	json_add_string(drv, "name", "cisandbox");
	json_add_string(drv, "version", CIS_VERSION);
	json_add_object(o, "job_env");
	return json_emit(o, stdout) < 0 ? 1 : 0;
}

/* A fresh per-job directory: whatever a previous attempt of this job left goes first. */
static int cmd_prepare(struct gl *g)
{
	static const char *const subdirs[] = {"builds", "cache", "step"};
	int r;

	if ((r = ci_make_private_dir(g->base)) < 0)
		return system_failure(g, "%s: %s", g->base, strerror(-r));
	if ((r = remove_job(g)) < 0)
		return system_failure(g, "removing the leftover %s: %s", g->job, strerror(-r));
	if (mkdir(g->job, 0700) < 0)
		return system_failure(g, "%s: %s", g->job, strerror(errno));
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", g->job, subdirs[i]);

		if (mkdir(d, 0700) < 0)
			return system_failure(g, "%s: %s", d, strerror(errno));
	}
	printf("cisandbox: fresh job directory %s (builds at " BUILDS_DIR ")\n", g->job);
	return 0;
}

static int cmd_cleanup(struct gl *g)
{
	int r = remove_job(g);

	if (r < 0)
		fprintf(stderr, "cisandbox gitlab: removing %s: %s\n", g->job, strerror(-r));
	return 0; /* the runner only logs cleanup failures */
}

/* This stage's script, copied into a fresh step/ directory: the sandbox sees it alone. */
static int stage_script(const struct gl *g, const char *script, char **copy)
{
	_cleanup_close_ int in = open(script, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1;
	_cleanup_free_ char *step = xasprintf("%s/step", g->job);
	_cleanup_close_ int jobfd = open(g->job, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	int r;

	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_SCRIPT)
		return -EINVAL;
	if (jobfd < 0)
		return -errno;
	if ((r = rm_tree_at(jobfd, "step")) < 0)
		return r;
	if (mkdir(step, 0700) < 0)
		return -errno;
	*copy = xasprintf("%s/script", step);
	out = open(*copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || !(text = slurp_fd(in)))
		return -errno;
	return write_all(out, text, strlen(text));
}

/* The GitLab server, for get_sources and artifacts: its host and port as an allow entry. */
static char *server_allow(void)
{
	const char *host = getenv("CUSTOM_ENV_CI_SERVER_HOST");
	const char *port = getenv("CUSTOM_ENV_CI_SERVER_PORT");
	const char *proto = getenv("CUSTOM_ENV_CI_SERVER_PROTOCOL");
	char *spec;

	if (!host || !*host || strchr(host, ':') || strchr(host, '/'))
		return NULL;
	if (!port || !*port || strspn(port, "0123456789") != strlen(port))
		port = proto && strcmp(proto, "http") == 0 ? "80" : "443";
	spec = xasprintf("%s:%s", host, port);
	if (net_check_dest(spec)) {
		free(spec);
		return NULL;
	}
	return spec;
}

static int cmd_run(struct gl *g, const char *script, const char *stage)
{
	_cleanup_free_ char *copy = NULL, *builds = NULL, *cache = NULL, *step = NULL;
	_cleanup_free_ char *bind_b = NULL, *bind_c = NULL, *bind_s = NULL, *allow = NULL;
	const char *argv[32];
	struct cli c;
	struct cis_err err = {{0}};
	bool launcher_failed = true;
	int argc = 0, status, r;

	if ((r = stage_script(g, script, &copy)) < 0)
		return system_failure(g, "stage %s: cannot take its script: %s", stage,
		                      strerror(-r));
	builds = xasprintf("%s/builds", g->job);
	cache = xasprintf("%s/cache", g->job);
	step = xasprintf("%s/step", g->job);
	bind_b = xasprintf("%s:" BUILDS_DIR, builds);
	bind_c = xasprintf("%s:" CACHE_DIR, cache);
	bind_s = xasprintf("%s:" STEP_DIR, step);
	allow = server_allow();
	argv[argc++] = "cisandbox";
	argv[argc++] = "run";
	argv[argc++] = "--profile";
	argv[argc++] = g->profile;
	argv[argc++] = "--workspace-mode";
	argv[argc++] = "tmpfs";
	argv[argc++] = "--bind";
	argv[argc++] = bind_b;
	argv[argc++] = "--bind";
	argv[argc++] = bind_c;
	argv[argc++] = "--bind";
	argv[argc++] = bind_s;
	if (allow) {
		argv[argc++] = "--allow";
		argv[argc++] = allow;
	}
	argv[argc++] = "--";
	argv[argc++] = "bash";
	argv[argc++] = STEP_DIR "/script";
	argv[argc] = NULL;
	if (cli_parse(argc, (char **)argv, &c, &err) < 0) {
		cli_free(&c);
		return system_failure(g, "stage %s: %s", stage, err.msg);
	}
	status = run_command(&c, &launcher_failed);
	cli_free(&c);
	if (launcher_failed)
		return system_failure(g, "stage %s: the sandbox could not run it (exit status %d)",
		                      stage, status);
	if (status == 0)
		return 0;
	/* The job's own status goes to the runner through the exit-code file, so that
	 * allow_failure: exit_codes works; our exit says "build failure". */
	{
		const char *file = getenv("BUILD_EXIT_CODE_FILE");
		char num[16];

		snprintf(num, sizeof(num), "%d", status);
		if (file && *file && write_text_file(file, num) < 0)
			fprintf(stderr, "cisandbox gitlab: %s: %s\n", file, strerror(errno));
	}
	return g->build_failure;
}

static void usage(void)
{
	fputs("Usage: cisandbox gitlab config\n"
	      "       cisandbox gitlab prepare [--dir DIR]\n"
	      "       cisandbox gitlab run [--dir DIR] [--profile NAME] SCRIPT STAGE\n"
	      "       cisandbox gitlab cleanup [--dir DIR]\n"
	      "GitLab Runner custom executor stages (config_exec, prepare_exec, run_exec,\n"
	      "cleanup_exec); DIR holds one directory per job (default: $CISANDBOX_GITLAB_DIR,\n"
	      "else /var/lib/cisandbox/gitlab as root, ~/.local/state/cisandbox/gitlab).\n",
	      stderr);
}

int gitlab_main(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
	                                     {"profile", required_argument, NULL, 'p'},
	                                     {NULL, 0, NULL, 0}};
	struct gl g = {.profile = "gitlab",
	               .build_failure = env_code("BUILD_FAILURE_EXIT_CODE", 1),
	               .system_failure = env_code("SYSTEM_FAILURE_EXIT_CODE", 125)};
	const char *cmd = argc > 1 ? argv[1] : "";
	int opt, r;

	g.base = ci_state_base("CISANDBOX_GITLAB_DIR", "gitlab");
	/* Options after the stage name: parse argv + 1 from its start (optind 0 resets getopt
	 * fully, which cli_parse relies on too). */
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "+d:p:", opts, NULL)) != -1) {
		if (opt == 'd' && optarg[0] == '/')
			g.base = optarg;
		else if (opt == 'p')
			g.profile = optarg;
		else
			return usage(), system_failure(&g, "%s: bad option", cmd);
	}
	if (strcmp(cmd, "config") == 0)
		return cmd_config();
	if (strcmp(cmd, "prepare") != 0 && strcmp(cmd, "run") != 0 && strcmp(cmd, "cleanup") != 0)
		return usage(), system_failure(&g, "unknown stage \"%s\"", cmd);
	if (!path_is_clean_absolute(g.base))
		return system_failure(
		    &g, "%s: the job directory base must be a clean absolute path", g.base);
	if ((r = job_dir(&g)) != 0)
		return r;
	if (strcmp(cmd, "prepare") == 0)
		r = cmd_prepare(&g);
	else if (strcmp(cmd, "cleanup") == 0)
		r = cmd_cleanup(&g);
	else if (argc - 1 - optind != 2)
		r = (usage(), system_failure(&g, "run needs SCRIPT and STAGE"));
	else
		r = cmd_run(&g, argv[1 + optind], argv[2 + optind]);
	free(g.job);
	return r;
}
