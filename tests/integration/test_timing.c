/* The launch's phase breakdown (CISANDBOX_TIMING=1, timing.h), root and rootless: every phase of
 * every process of the run is stamped once, in order, and nothing is printed without it. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(timing, .fini = world_cleanup);

static const char *const launcher_phases[] = {"main",
                                              "argv",
                                              "profile",
                                              "plan",
                                              "channels",
                                              "cgroup",
                                              "idmapped-sources",
                                              "seccomp-program",
                                              "audit-create",
                                              "clone",
                                              "id-maps",
                                              "go",
                                              "netns-parallel",
                                              "audit-start",
                                              "guard-filter",
                                              "wait-job-status",
                                              "teardown-reap-init",
                                              "finish",
                                              "end",
                                              NULL};
static const char *const init_phases[] = {
    "init-start",     "wait-maps",       "fds-session", "identity",     "mount-sources",
    "mount-root",     "mount-meta",      "mount-hide",  "mount-system", "mount-dev",
    "mount-tmp-home", "mount-workspace", "mount-proc",  "mount-etc",    "mount-secrets",
    "mount-extra",    "pivot",           "network",     "fork-job",     "init-caps",
    "wait-job",       "init-exit",       NULL};
static const char *const job_phases[] = {
    "job-start", "job-setup", "job-caps", "seccomp-load", "listener-handoff", "exec", NULL};
static const char *const egress_phases[] = {"launcher helper-spawn",
                                            "launcher helper-ready",
                                            "launcher netwatch-fork",
                                            "init wait-helper",
                                            "netwatch netwatch-start",
                                            "netwatch netwatch-confined",
                                            NULL};

/* The line of "PROCESS PHASE", exactly once; returns its offset from main, in ms. */
static double stamp_at(const char *err, const char *proc_phase)
{
	char key[96];
	const char *at, *again;
	double ms = -1;

	snprintf(key, sizeof(key), "cisandbox: timing: %s ", proc_phase);
	/* The columns are padded: match the process, then the phase after its spaces. */
	for (at = err; (at = strstr(at, "cisandbox: timing: ")); at++) {
		char proc[16], phase[32];

		if (sscanf(at, "cisandbox: timing: %15s %31s + %*f ms at %lf ms", proc, phase,
		           &ms) == 3 &&
		    strncmp(proc_phase, proc, strlen(proc)) == 0 &&
		    strcmp(proc_phase + strlen(proc) + 1, phase) == 0)
			break;
	}
	cr_assert(at, "no stamp for %s:\n%s", proc_phase, err);
	for (again = at + 1; (again = strstr(again, "cisandbox: timing: ")); again++) {
		char proc[16], phase[32];

		if (sscanf(again, "cisandbox: timing: %15s %31s", proc, phase) == 2 &&
		    strncmp(proc_phase, proc, strlen(proc)) == 0 &&
		    strcmp(proc_phase + strlen(proc) + 1, phase) == 0)
			cr_assert_fail("%s stamped twice:\n%s", key, err);
	}
	return ms;
}

/* Each phase of a process comes after the one before it in the table. */
static void assert_phases(const char *err, const char *proc, const char *const *phases)
{
	double prev = -1;

	for (const char *const *ph = phases; *ph; ph++) {
		char name[64];
		double at;

		snprintf(name, sizeof(name), "%s %s", proc, *ph);
		at = stamp_at(err, name);
		cr_assert(at >= prev, "%s at %.3f ms, before the phase above it (%.3f ms):\n%s",
		          name, at, prev, err);
		prev = at;
	}
}

DUAL_TEST(timing, every_phase_once_in_order, .timeout = 30)
{
	struct result r;
	char *ws = tmpdir_for(m);

	cis_run(m, &r, ARGS("CISANDBOX_TIMING=1"),
	        ARGS("run", "-w", ws, "--", "sh", "-c", "exit 3"));
	cr_assert_eq(r.status, 3, "%s", r.err);
	assert_phases(r.err, "launcher", launcher_phases);
	assert_phases(r.err, "init", init_phases);
	assert_phases(r.err, "job", job_phases);
	/* Across processes: init starts after the clone, the job after init forked it, the
	 * launcher learns the status after the job was reaped. */
	cr_assert(stamp_at(r.err, "init network") <= stamp_at(r.err, "job job-start"));
	/* No network: its namespace is made beside init's work, before init joins it. */
	cr_assert(stamp_at(r.err, "launcher netns-parallel") <= stamp_at(r.err, "init network"));
	cr_assert(stamp_at(r.err, "job exec") <= stamp_at(r.err, "init wait-job"));
	cr_assert(stamp_at(r.err, "init wait-job") <= stamp_at(r.err, "launcher wait-job-status"));
	cr_assert(stamp_at(r.err, "init init-exit") <=
	          stamp_at(r.err, "launcher teardown-reap-init"));
	/* No egress: no helper, no resolver. */
	cr_assert(!strstr(r.err, "helper-spawn") && !strstr(r.err, "netwatch"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(timing, nothing_without_it, .timeout = 30)
{
	struct result r;
	char *ws = tmpdir_for(m);

	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.err, "timing"), "%s", r.err);
	result_free(&r);
	/* Only "1" turns it on. */
	cis_run(m, &r, ARGS("CISANDBOX_TIMING=yes"), ARGS("run", "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.err, "timing"), "%s", r.err);
	result_free(&r);
	/* A run that never starts still prints what it got to, and never a sandbox phase. */
	cis_run(m, &r, ARGS("CISANDBOX_TIMING=1"), ARGS("run", "-w", "/nonexistent", "--", "true"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	stamp_at(r.err, "launcher main");
	stamp_at(r.err, "launcher end");
	cr_assert(!strstr(r.err, "timing: init") && !strstr(r.err, "launcher clone"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* With egress: the network helper's start and readiness, init's wait for it, and the resolver's
 * child until it is confined (it lets go of the stamps' page before it reads a byte). */
DUAL_TEST(timing, egress_phases, .timeout = 60)
{
	struct world wd;
	struct result r;
	char *ws = tmpdir_for(m);

	world_up(&wd);
	cis_run(m, &r, ARGS("CISANDBOX_TIMING=1"),
	        ARGS("run", "-w", ws, "--allow", "pkg.allowed.test:80", "--", "getent", "hosts",
	             "pkg.allowed.test"));
	world_down(&wd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (const char *const *ph = egress_phases; *ph; ph++)
		stamp_at(r.err, *ph);
	cr_assert(stamp_at(r.err, "launcher helper-ready") <= stamp_at(r.err, "init wait-helper"));
	cr_assert(stamp_at(r.err, "init wait-helper") <= stamp_at(r.err, "job job-start"));
	if (m == ROOT) /* the launcher programs the sandbox's network namespace itself */
		stamp_at(r.err, "launcher netns-setup");
	/* With a network, its namespace comes with the clone (or before it, as root). */
	cr_assert(!strstr(r.err, "netns-parallel"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}
