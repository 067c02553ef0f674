/* run.c — one sandboxed run from a parsed command line: open the audit log, load the profile,
 * build the plan, then print it (--dry-run) or run it. Input errors are printed here, once. */
#define _GNU_SOURCE
#include "run.h"
#include "audit.h"
#include "learn.h"
#include "plan.h"
#include "policy.h"
#include "profile.h"
#include "supervise.h"
#include "timing.h"
#include "json.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static int fail(const struct cis_err *err)
{
	fprintf(stderr, "cisandbox: %s\n", err->msg);
	return CIS_EXIT_LAUNCHER;
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

/* After the job, every process of it gone: what it left in the runner's file commands for
 * later steps, cut down (police.h). A file that cannot be read is emptied and fails the run:
 * the runner would otherwise apply it unread. */
static int police_after(const struct plan *p, const struct audit *a)
{
	struct strv drops = {0};
	int status = 0;

	for (size_t i = 0; i < p->n_police; i++) {
		const struct police_file *f = &p->police[i];
		int r = police_file(f, &p->writable, &drops);

		if (r < 0) {
			fprintf(stderr, "cisandbox: %s: %s/%s: %s\n", f->var, f->root, f->rel,
			        strerror(-r));
			status = CIS_EXIT_LAUNCHER;
		}
	}
	for (size_t i = 0; i < drops.n; i++) {
		struct json *o = json_new_object();

		fprintf(stderr, "cisandbox: removed from a file command: %s\n", drops.v[i]);
		json_add_string(o, "removed", drops.v[i]);
		audit_event(a, "filecmd.drop", o);
	}
	strv_free(&drops);
	return status;
}

/* The decision, then the plan printed or the job run (policy.h: a deny is an input error). */
static int decide_and_run(const struct plan *p, const struct audit *a, struct learn *l,
                          bool *launcher_failed)
{
	struct cis_err err = {{0}};
	int status;

	if (p->policy.print_input) {
		status = policy_print_input(p, stdout) < 0 ? CIS_EXIT_LAUNCHER : 0;
		*launcher_failed = status != 0;
		return status;
	}
	if (policy_decide(p, a, &err) < 0)
		return run_failed(a, &err);
	if (p->dry_run) {
		status = plan_print_json(p, stdout) < 0 ? CIS_EXIT_LAUNCHER : 0;
		*launcher_failed = status != 0;
		return status;
	}
	status = supervise_run(p, a, launcher_failed);
	if (police_after(p, a) != 0) {
		status = CIS_EXIT_LAUNCHER;
		*launcher_failed = true;
	}
	/* A job that failed still needed what it used; a sandbox that never started did not. */
	if (!*launcher_failed && learn_finish(l, p, a, &err) < 0) {
		status = fail(&err);
		*launcher_failed = true;
	}
	return status;
}

int run_command(const struct cli *c, bool *launcher_failed)
{
	struct profile prof;
	struct plan plan;
	struct audit audit;
	struct learn learn = {.tap = -1};
	struct cis_err err = {{0}};
	struct cli lc = *c; /* --learn runs it in audit mode */
	int status;

	*launcher_failed = true;
	/* A reader that went away (the runner closed its log pipe, an audit pipe's reader died)
	 * must not kill the launcher, and with it the sandbox, at its next warning or record:
	 * writes fail with EPIPE instead. Every child we exec gets SIG_DFL back (job_signals, the
	 * helper's and the decision program's setup). */
	signal(SIGPIPE, SIG_IGN);
	audit_init(&audit);
	/* Opened first: a bad profile or flag is worth a record too. */
	if (c->audit_log && audit_open(&audit, c->audit_log, &err) < 0)
		return fail(&err);
	if (profile_load(c->profile, &prof, &err) < 0 ||
	    (status = learn_prepare(&learn, c, &lc, &prof, &err)) < 0) {
		status = run_failed(&audit, &err);
		profile_free(&prof);
		audit_close(&audit);
		return status;
	}
	timing_stamp(T_PROFILE);
	status = plan_build(&plan, &lc, &prof, &err);
	profile_free(&prof);
	timing_stamp(T_PLAN);
	if (status == 0 && audit.fd < 0 && plan.audit_log && !plan.dry_run)
		status = audit_open(&audit, plan.audit_log, &err);
	if (status == 0)
		status = learn_attach(&learn, &audit, &err);
	if (status < 0) {
		status = run_failed(&audit, &err);
		plan_free(&plan);
		learn_free(&learn);
		audit_close(&audit);
		return status;
	}
	status = decide_and_run(&plan, &audit, &learn, launcher_failed);
	plan_free(&plan);
	learn_free(&learn);
	audit_close(&audit);
	return status;
}
