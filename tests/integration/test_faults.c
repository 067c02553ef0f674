/* Faults are loud: an audit log that cannot be written (a full disk, a reader gone), and a
 * network helper that dies mid-run, each warned about on stderr and, where the profile requires
 * the log or the helper, the end of the run with its own reason (exit 125). Observed from
 * outside: exit status, stderr, the job's own marks in a bound workspace, the audit log. */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define P "/probes/probe"

TestSuite(faults, .fini = world_cleanup);

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A profile in ws extending untrusted, with extra JSON members (e.g. "audit": {...}). */
static char *profile_in(const char *ws, const char *members)
{
	char *path = malloc(strlen(ws) + 32), text[512];

	sprintf(path, "%s/p.json", ws);
	snprintf(text, sizeof(text), "{\"version\": 1, \"extends\": \"untrusted\", %s}", members);
	write_text(path, text);
	return path;
}

/* /dev/full takes the open and fails every write (ENOSPC): without audit.required the job runs
 * and the loss is a warning at once, not silence. */
DUAL_TEST(faults, audit_full_disk_warns, .timeout = 30)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL,
	        ARGS("run", "--audit-log", "/dev/full", "-w", ws, "--", "sh", "-c", "echo ran"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ran\n");
	cr_assert(strstr(r.err, "cisandbox: warning: audit log: cannot write a record (No space "
	                        "left on device)"),
	          "%s", r.err);
	cr_assert(strstr(r.err, "record(s) lost") || strstr(r.err, "records lost ("), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* With audit.required the first record is a probe: exit 125 before the job exists (it would
 * have left a mark in the bound workspace). A profile requiring a log without naming one is an
 * input error. */
DUAL_TEST(faults, audit_required_full_disk_refused, .timeout = 30)
{
	char *ws = tmpdir_for(m), *prof = profile_in(ws, "\"audit\": {\"required\": true}");
	char mark[300];
	struct result r;

	snprintf(mark, sizeof(mark), "%s/ran", ws);
	cis_run(m, &r, NULL,
	        ARGS("run", "-p", prof, "--audit-log", "/dev/full", "-w", ws, "--workspace-mode",
	             "bind", "--", "touch", "/workspace/ran"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "audit log (audit.required): No space left on device"), "%s",
	          r.err);
	cr_assert(access(mark, F_OK) != 0, "the job ran");
	result_free(&r);

	cis_run(m, &r, NULL, ARGS("run", "-p", prof, "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "audit.required: the profile requires an audit log"), "%s", r.err);
	result_free(&r);
	free(prof);
	dir_done(ws);
}

/* The log becomes unwritable mid-run (fd:N is a pipe whose reader goes away after the first
 * records): the next record fails with EPIPE, which must not kill the launcher; with
 * audit.required the job is stopped (reason audit-failed, exit 125) long before its own end,
 * without it the job runs on and the loss is counted. */
static void audit_pipe_breaks(enum mode m, bool required)
{
	char *ws = tmpdir_for(m),
	     *prof = profile_in(ws, required ? "\"audit\": {\"required\": true}" : "\"env\": {}");
	char spec[16], line[256], *out;
	int p[2], fd;
	FILE *rd;
	pid_t pid;
	double t0 = now_s();

	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	/* Only the write end reaches the launcher; the test holds the only reader. */
	fd = fcntl(p[1], F_DUPFD, 20);
	close(p[1]);
	snprintf(spec, sizeof(spec), "fd:%d", fd);
	pid = cis_spawn(m, NULL,
	                ARGS("run", "-p", prof, "--audit-log", spec, "-w", ws, "--ro-bind",
	                     probes_bind(), "--", "sh", "-c",
	                     "sleep 1; " P " keyctl-bpf; sleep 20; echo finished"),
	                &fd);
	close(atoi(spec + 3));
	rd = fdopen(p[0], "r");
	cr_assert(fgets(line, sizeof(line), rd) && strstr(line, "sandbox.create"), "%s", line);
	fclose(rd); /* the reader is gone: the job's denied calls are records that fail */
	out = slurp(fd);
	close(fd);
	if (required) {
		cr_assert_eq(wait_status(pid), 125, "%s", out);
		cr_assert(now_s() - t0 < 15, "not stopped: %.1f s", now_s() - t0);
		cr_assert(strstr(out, "cannot write a record (Broken pipe)"), "%s", out);
		cr_assert(strstr(out, "stopping the job (audit-failed)"), "%s", out);
		cr_assert(strstr(out, "the audit log cannot be written (audit.required)"), "%s",
		          out);
		cr_assert(!strstr(out, "finished"), "%s", out);
	} else {
		cr_assert_eq(wait_status(pid), 0, "%s", out);
		cr_assert(strstr(out, "cannot write a record (Broken pipe)"), "%s", out);
		cr_assert(strstr(out, "finished"), "%s", out);
		cr_assert(strstr(out, "records lost (Broken pipe)"), "%s", out);
	}
	free(out);
	free(prof);
	dir_done(ws);
}

DUAL_TEST(faults, audit_required_pipe_breaks_mid_run, .timeout = 60)
{
	audit_pipe_breaks(m, true);
}

DUAL_TEST(faults, audit_pipe_breaks_counted, .timeout = 60)
{
	audit_pipe_breaks(m, false);
}

/* The network helper killed mid-run: a warning and a network.helper_exit record; by default
 * (network.helper_required) the job is stopped, reason helper-died, exit 125; with
 * helper_required false it runs to its end. */
static void helper_killed(enum mode m, bool required)
{
	struct world wd;
	char *ws = tmpdir_for(m), log[300], *text, *out;
	char *prof =
	    profile_in(ws, required ? "\"env\": {}" : "\"network\": {\"helper_required\": false}");
	pid_t pid, helper = 0;
	int fd, status;
	double t0;

	world_up(&wd);
	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	pid = cis_spawn(m, NULL,
	                ARGS("run", "-p", prof, "--audit-log", log, "-w", ws, "--allow",
	                     "198.51.100.10:80", "--", "sh", "-c", "sleep 4; echo finished"),
	                &fd);
	for (int i = 0; i < 100 && !(helper = child_named(pid, "slirp4netns")); i++)
		usleep(50000);
	cr_assert(helper > 0, "no slirp4netns under the launcher");
	usleep(300000);
	t0 = now_s();
	kill(helper, SIGKILL);
	out = slurp(fd);
	close(fd);
	status = wait_status(pid);
	cr_assert(strstr(out, "cisandbox: warning: the network helper"), "%s", out);
	cr_assert(strstr(out, "died (signal 9): the job has no network"), "%s", out);
	text = read_text(log);
	cr_assert(strstr(text, "\"event\":\"network.helper_exit\"") &&
	              strstr(text, "\"signal\":\"KILL\""),
	          "%s", text);
	if (required) {
		cr_assert_eq(status, 125, "%s", out);
		cr_assert(now_s() - t0 < 3, "not stopped at once: %.1f s", now_s() - t0);
		cr_assert(!strstr(out, "finished"), "%s", out);
		cr_assert(strstr(out, "the job was stopped: the network helper died"), "%s", out);
		cr_assert(strstr(text, "\"reason\":\"helper-died\",\"status\":125"), "%s", text);
	} else {
		cr_assert_eq(status, 0, "%s", out);
		cr_assert(strstr(out, "finished"), "%s", out);
		cr_assert(strstr(text, "\"reason\":\"exit\""), "%s", text);
	}
	free(text);
	free(out);
	free(prof);
	world_down(&wd);
	dir_done(ws);
}

DUAL_TEST(faults, helper_killed_stops_job, .timeout = 60)
{
	helper_killed(m, true);
}

DUAL_TEST(faults, helper_killed_not_required, .timeout = 60)
{
	helper_killed(m, false);
}
