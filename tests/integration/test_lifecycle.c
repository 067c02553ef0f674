/* Lifecycle: exit statuses, timeout, signal forwarding, and that nothing of a run survives it,
 * even when the launcher is SIGKILLed or the job daemonizes. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_status(enum mode m, const char *const *args)
{
	struct result r;
	int st;

	cis_run(m, &r, NULL, args);
	st = r.status;
	result_free(&r);
	return st;
}

DUAL_TEST(lifecycle, exit_statuses, .timeout = 90)
{
	char *ws = tmpdir_for(m), bad[512], file[512];

	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "true")), 0);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "sh", "-c", "exit 3")), 3);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "sh", "-c", "kill -9 $$")), 137);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "/no/such/command")), 127);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "no-such-command-in-path")), 127);
	/* A directory cannot be executed: EACCES, 126 as in env(1). */
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--", "/usr")), 126);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--no-such-flag", "--", "true")), 125);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "-p", "no-such-profile", "--", "true")),
	             125);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "--bind", "/no/such/src", "--", "true")),
	             125);
	snprintf(bad, sizeof(bad), "%s/bad.json", ws);
	write_text(bad, "{\"filesystem\": {\"tmp_size\": \"lots\"}}");
	snprintf(file, sizeof(file), "%s", bad);
	cr_assert_eq(run_status(m, ARGS("run", "-w", ws, "-p", file, "--", "true")), 125);
	dir_done(ws);
}

DUAL_TEST(lifecycle, timeout_is_124, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	/* The job ignores SIGTERM: the grace period ends in SIGKILL. */
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--timeout", "500ms", "--kill-grace", "300ms", "--", "sh",
	             "-c", "trap '' TERM; echo started; sleep 60"));
	cr_assert_eq(r.status, 124, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.out, "started\n");
	cr_assert(strstr(r.err, "timed out"), "%s", r.err);
	result_free(&r);
	/* A job that honours SIGTERM runs its trap. */
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--timeout", "500ms", "--", "sh", "-c",
	             "trap 'echo cleanup; exit 1' TERM; sleep 60 & wait"));
	cr_assert_eq(r.status, 124);
	cr_assert_str_eq(r.out, "cleanup\n");
	result_free(&r);
	dir_done(ws);
}

/* A runner cancels by signalling the launcher's whole process group: the job's trap runs once
 * and the run ends with the job's own status. */
DUAL_TEST(lifecycle, sigterm_reaches_job, .timeout = 60)
{
	char *ws = tmpdir_for(m), *out;
	int fd, st;
	pid_t pid = cis_spawn(m, NULL,
	                      ARGS("run", "-w", ws, "--", "sh", "-c",
	                           "trap 'echo trapped; exit 42' TERM; echo ready; "
	                           "sleep 60 & wait"),
	                      &fd);
	char buf[16] = "";

	cr_assert(read(fd, buf, 6) == 6 && strncmp(buf, "ready\n", 6) == 0);
	kill(-pid, SIGTERM);
	out = slurp(fd);
	st = wait_status(pid);
	cr_assert_eq(st, 42, "status %d, output %s", st, out);
	cr_assert_str_eq(out, "trapped\n");
	free(out);
	close(fd);
	dir_done(ws);
}

/* SIGTERM to the launcher alone (not its group) is forwarded too. */
DUAL_TEST(lifecycle, sigterm_to_launcher_only, .timeout = 60)
{
	char *ws = tmpdir_for(m), *out, buf[16] = "";
	int fd, st;
	pid_t pid = cis_spawn(m, NULL,
	                      ARGS("run", "-w", ws, "--", "sh", "-c",
	                           "trap 'echo trapped; exit 43' TERM; echo ready; "
	                           "sleep 60 & wait"),
	                      &fd);

	cr_assert(read(fd, buf, 6) == 6 && strncmp(buf, "ready\n", 6) == 0);
	kill(pid, SIGTERM);
	out = slurp(fd);
	st = wait_status(pid);
	cr_assert_eq(st, 43, "status %d, output %s", st, out);
	cr_assert_str_eq(out, "trapped\n");
	free(out);
	close(fd);
	dir_done(ws);
}

/* Daemons the job double-forks (new session, reparented) do not outlive the run. */
DUAL_TEST(lifecycle, daemons_do_not_survive, .timeout = 60)
{
	char *ws = tmpdir_for(m), marker[16], script[300];
	struct result r;

	snprintf(marker, sizeof(marker), "%d%s", 40000 + getpid() % 20000, m ? "1" : "0");
	snprintf(script, sizeof(script),
	         "setsid sh -c 'sleep %s & sleep %s &' </dev/null >/dev/null 2>&1; "
	         "(sleep %s &); echo spawned",
	         marker, marker, marker);
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--", "sh", "-c", script));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "spawned\n");
	{
		char needle[80];

		snprintf(needle, sizeof(needle), "sleep %s", marker);
		cr_assert(!host_process_exists(needle), "a daemon outlived the run");
	}
	result_free(&r);
	dir_done(ws);
}

/* SIGKILL of the launcher mid-job: within a second no sandbox process remains. */
DUAL_TEST(lifecycle, launcher_sigkill_kills_sandbox, .timeout = 60)
{
	char *ws = tmpdir_for(m), marker[16], needle[80], script[200], buf[8] = "";
	int fd;
	pid_t pid;

	snprintf(marker, sizeof(marker), "%d%s", 20000 + getpid() % 20000, m ? "3" : "2");
	snprintf(needle, sizeof(needle), "sleep %s", marker);
	snprintf(script, sizeof(script), "sleep %s & setsid sleep %s & echo ready; wait", marker,
	         marker);
	pid = cis_spawn(m, NULL, ARGS("run", "-w", ws, "--", "sh", "-c", script), &fd);
	cr_assert(read(fd, buf, 6) == 6);
	cr_assert(host_process_exists(needle));
	kill(pid, SIGKILL);
	wait_status(pid);
	/* The needle is also in the command line of the init and the job's shell. */
	cr_assert(host_process_gone(needle, 1000), "sandbox processes survived the launcher");
	close(fd);
	dir_done(ws);
}

/* A runner that SIGKILLs the whole process group (Forgejo's cancel) leaves nothing either. */
DUAL_TEST(lifecycle, group_sigkill_kills_sandbox, .timeout = 60)
{
	char *ws = tmpdir_for(m), marker[16], needle[80], script[200], buf[8] = "";
	int fd;
	pid_t pid;

	snprintf(marker, sizeof(marker), "%d%s", 20000 + getpid() % 20000, m ? "5" : "4");
	snprintf(needle, sizeof(needle), "sleep %s", marker);
	snprintf(script, sizeof(script), "sleep %s & echo ready; wait", marker);
	pid = cis_spawn(m, NULL, ARGS("run", "-w", ws, "--", "sh", "-c", script), &fd);
	cr_assert(read(fd, buf, 6) == 6);
	kill(-pid, SIGKILL);
	wait_status(pid);
	cr_assert(host_process_gone(needle, 1000));
	close(fd);
	dir_done(ws);
}

/* A SIGKILLed launcher cannot remove its cgroup; the next run removes it once it is unlocked,
 * empty and older than 10 s. Root only (a rootless launcher has no cgroup here). */
Test(lifecycle, orphaned_cgroup_swept, .timeout = 90)
{
	char *ws = tmpdir_for(ROOT), line[512] = "", cmd[512];
	struct result r;
	FILE *f, *out;
	int fd;
	pid_t pid;

	cis_run(ROOT, &r, NULL, ARGS("run", "-v", "-w", ws, "--", "true"));
	if (!strstr(r.err, "limits: cgroup ")) {
		result_free(&r);
		dir_done(ws);
		cr_skip_test("no writable cgroup v2 hierarchy here");
	}
	result_free(&r);
	pid = cis_spawn(ROOT, NULL,
	                ARGS("run", "-v", "-w", ws, "--", "sh", "-c", "echo ready; sleep 60"), &fd);
	/* stderr (the -v lines) shares the pipe: wait for the job's own line. */
	out = fdopen(fd, "r");
	while (fgets(line, sizeof(line), out) && strcmp(line, "ready\n") != 0)
		;
	cr_assert_str_eq(line, "ready\n");
	/* This run's own cgroup (others may come and go: tests run in parallel), from its init's
	 * /proc/PID/cgroup, under the v2 mount of a unified or a hybrid host. */
	snprintf(cmd, sizeof(cmd),
	         "p=$(sed -n 's/^0:://p' /proc/%d/cgroup); for m in /sys/fs/cgroup/unified "
	         "/sys/fs/cgroup; do [ -d \"$m$p\" ] && echo \"$m$p\" && break; done",
	         child_named(pid, "cisandbox"));
	f = popen(cmd, "r");
	cr_assert(f && fgets(line, sizeof(line), f), "no cgroup found for the run");
	pclose(f);
	line[strcspn(line, "\n")] = '\0';
	kill(pid, SIGKILL);
	wait_status(pid);
	fclose(out);
	cr_assert(strstr(line, "/cisandbox-"), "%s", line);
	cr_assert(access(line, F_OK) == 0, "the killed run left no cgroup to sweep");
	sleep(11);
	cis_run(ROOT, &r, NULL, ARGS("run", "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 0);
	cr_assert(access(line, F_OK) != 0, "%s was not swept", line);
	result_free(&r);
	dir_done(ws);
}
