/* main.c — the launcher's narrowing script: parse argv, load the profile, build the plan, then
 * either print it or run it. The only place that prints an input error and exits. */
#define _GNU_SOURCE
#include "cli.h"
#include "plan.h"
#include "profile.h"
#include "supervise.h"

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

static int cmd_run(const struct cli *c)
{
	struct profile prof;
	struct plan plan;
	struct cis_err err = {{0}};
	int status;

	if (profile_load(c->profile, &prof, &err) < 0)
		return fail(&err);
	if (plan_build(&plan, c, &prof, &err) < 0) {
		profile_free(&prof);
		return fail(&err);
	}
	profile_free(&prof);
	if (plan.dry_run)
		status = plan_print_json(&plan, stdout) < 0 ? CIS_EXIT_LAUNCHER : 0;
	else
		status = supervise_run(&plan);
	plan_free(&plan);
	return status;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct cis_err err = {{0}};
	int status;

	if (cli_parse(argc, argv, &c, &err) < 0) {
		cli_free(&c);
		return fail(&err);
	}
	switch (c.cmd) {
	case CMD_HELP:
		cli_usage(stdout);
		status = 0;
		break;
	case CMD_VERSION:
		printf("cisandbox %s\n", CIS_VERSION);
		status = 0;
		break;
	case CMD_PROFILE_CHECK:
		status = cmd_profile_check(&c);
		break;
	case CMD_PROFILE_SHOW:
		status = cmd_profile_show(&c);
		break;
	default:
		status = cmd_run(&c);
	}
	cli_free(&c);
	return status;
}
