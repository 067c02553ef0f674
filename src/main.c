/* main.c — the launcher's narrowing script: parse argv, load the profile, build the plan, then
 * either print it or run it. The only place that prints an input error and exits. */
#define _GNU_SOURCE
#include "ci.h"
#include "cli.h"
#include "doctor.h"
#include "profile.h"
#include "report.h"
#include "run.h"
#include "score.h"
#include "timing.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static int fail(const struct cis_err *err)
{
	fprintf(stderr, "cisandbox: %s\n", err->msg);
	return CIS_EXIT_LAUNCHER;
}

static int cmd_profile_check(const struct cli *c)
{
	int status = 0;

	for (int i = 0; i < c->n_args; i++) {
		struct profile prof;
		struct cis_err err = {{0}};
		/* A file argument is always a file, even without '/' in its name. */
		_cleanup_free_ char *path =
		    strchr(c->args[i], '/') ? xstrdup(c->args[i]) : xasprintf("./%s", c->args[i]);

		if (profile_load(path, &prof, &err) < 0) {
			fail(&err);
			status = CIS_EXIT_LAUNCHER;
			continue;
		}
		printf("%s: ok (%s)\n", c->args[i], prof.name);
		profile_free(&prof);
	}
	return status;
}

static int cmd_profile_show(const struct cli *c)
{
	struct profile prof;
	struct cis_err err = {{0}};
	int r;

	if (profile_load(c->args[0], &prof, &err) < 0)
		return fail(&err);
	r = profile_print_json(&prof, stdout);
	profile_free(&prof);
	return r < 0 ? CIS_EXIT_LAUNCHER : 0;
}

static int dispatch(int argc, char **argv)
{
	struct cli c;
	struct cis_err err = {{0}};
	bool launcher_failed;
	int status;

	if (argc > 1 && strcmp(argv[1], "gitlab") == 0)
		return gitlab_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "github") == 0)
		return github_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "doctor") == 0)
		return doctor_main(argc - 1, argv + 1);
	if (argc > 2 && strcmp(argv[1], "profile") == 0 && strcmp(argv[2], "score") == 0)
		return score_main(argc - 2, argv + 2);
	if (cli_parse(argc, argv, &c, &err) < 0) {
		cli_free(&c);
		return fail(&err);
	}
	timing_stamp(T_CLI);
	switch (c.cmd) {
	case CMD_HELP:
		cli_usage(stdout);
		status = 0;
		break;
	case CMD_VERSION:
		version_print(stdout);
		status = 0;
		break;
	case CMD_PROFILE_CHECK:
		status = cmd_profile_check(&c);
		break;
	case CMD_PROFILE_SHOW:
		status = cmd_profile_show(&c);
		break;
	case CMD_REPORT:
		status = report_main(c.args[0], c.format);
		break;
	default:
		status = run_command(&c, &launcher_failed);
	}
	cli_free(&c);
	return status;
}

int main(int argc, char **argv)
{
	int status;

	/* Before anything forks: every process of the run shares the stamps' page. */
	timing_init();
	timing_stamp(T_MAIN);
	status = dispatch(argc, argv);
	timing_stamp(T_END);
	timing_report();
	return status;
}
