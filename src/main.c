/* main.c — the launcher's narrowing script: parse argv, load the profile, build the plan, then
 * either print it or run it. The only place that prints an input error and exits. */
#define _GNU_SOURCE
#include "audit.h"
#include "cli.h"
#include "plan.h"
#include "profile.h"
#include "report.h"
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

/* An input error before any sandbox exists: still one audit event, so that a log shows every
 * attempted run. */
static int run_failed(const struct audit *a, const struct cis_err *err)
{
	struct job_end e = {.reason = "setup-error",
	                    .status = CIS_EXIT_LAUNCHER,
	                    .exit_code = -1,
	                    .error = err->msg};

	audit_job_exit(a, &e);
	return fail(err);
}

static int cmd_run(const struct cli *c)
{
	struct profile prof;
	struct plan plan;
	struct audit audit;
	struct cis_err err = {{0}};
	int status;

	audit_init(&audit);
	/* Opened first: a bad profile or flag is worth a record too. */
	if (c->audit_log && audit_open(&audit, c->audit_log, &err) < 0)
		return fail(&err);
	if (profile_load(c->profile, &prof, &err) < 0) {
		status = run_failed(&audit, &err);
		audit_close(&audit);
		return status;
	}
	status = plan_build(&plan, c, &prof, &err);
	profile_free(&prof);
	if (status == 0 && audit.fd < 0 && plan.audit_log && !plan.dry_run)
		status = audit_open(&audit, plan.audit_log, &err);
	if (status < 0) {
		status = run_failed(&audit, &err);
		plan_free(&plan);
		audit_close(&audit);
		return status;
	}
	if (plan.dry_run)
		status = plan_print_json(&plan, stdout) < 0 ? CIS_EXIT_LAUNCHER : 0;
	else
		status = supervise_run(&plan, &audit);
	plan_free(&plan);
	audit_close(&audit);
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
	case CMD_REPORT:
		status = report_main(c.args[0], c.format);
		break;
	default:
		status = cmd_run(&c);
	}
	cli_free(&c);
	return status;
}
