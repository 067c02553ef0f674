/* Lifecycle: exit statuses, timeout, signal forwarding, the kill grace after a cancel, and that
 * nothing of a run survives it, even when the launcher is SIGKILLed or the job daemonizes. */
#include "harness.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
 * and the run ends with the job's own status. (A sleep forked just as the TERM comes can miss
 * it, and then holds the run for the kill grace: it starts before "ready", and the grace is
 * short.) */
DUAL_TEST(lifecycle, sigterm_reaches_job, .timeout = 60)
{
	char *ws = tmpdir_for(m), *out;
	int fd, st;
	pid_t pid = cis_spawn(m, NULL,
	                      ARGS("run", "-w", ws, "--kill-grace", "1s", "--", "sh", "-c",
	                           "trap 'echo trapped; exit 42' TERM; sleep 60 & "
	                           "echo ready; wait"),
	                      &fd);
	char buf[16] = "";

	cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "ready\n", 6) == 0);
	kill(-pid, SIGTERM);
	out = slurp(fd);
	st = wait_status(pid);
	cr_assert_eq(st, 42, "status %d, output %s", st, out);
	cr_assert_str_eq(out, "trapped\n");
	free(out);
	close(fd);
	dir_done(ws);
}

/* SIGTERM to the launcher alone (not its group) is forwarded too (the grace: as above). */
DUAL_TEST(lifecycle, sigterm_to_launcher_only, .timeout = 60)
{
	char *ws = tmpdir_for(m), *out, buf[16] = "";
	int fd, st;
	pid_t pid = cis_spawn(m, NULL,
	                      ARGS("run", "-w", ws, "--kill-grace", "1s", "--", "sh", "-c",
	                           "trap 'echo trapped; exit 43' TERM; sleep 60 & "
	                           "echo ready; wait"),
	                      &fd);

	cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "ready\n", 6) == 0);
	kill(pid, SIGTERM);
	out = slurp(fd);
	st = wait_status(pid);
	cr_assert_eq(st, 43, "status %d, output %s", st, out);
	cr_assert_str_eq(out, "trapped\n");
	free(out);
	close(fd);
	dir_done(ws);
}

/* The job.exit events of an audit log, parsed: at most max, returns how many. */
static size_t job_exits(const char *path, cJSON **out, size_t max)
{
	char *text = read_text(path), *save = NULL;
	size_t n = 0;

	cr_assert(text, "no audit log at %s", path);
	for (char *l = strtok_r(text, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);
		cJSON *ev = cJSON_GetObjectItem(o, "event");

		if (cJSON_IsString(ev) && strcmp(ev->valuestring, "job.exit") == 0)
			out[n++] = o;
		else
			cJSON_Delete(o);
	}
	free(text);
	return n;
}

/* "sleep ARG", for the host process checks (a static buffer: one at a time). */
static const char *cat_sleep(const char *arg)
{
	static char s[64];

	snprintf(s, sizeof(s), "sleep %s", arg);
	return s;
}

/* Cancelled in the shape of a GitLab script (the user's commands in the subshell of `: | ...`),
 * the outer shell dies of the TERM at once; the subshell's trap must still run and be logged.
 * That was a race, lost one run in four to ten: 50 runs, all with the trap's line. (The grace
 * is short: a sleep forked just as the TERM comes can miss it and would hold its run.) */
#define SUBSHELL_TRAP ": | ( trap 'echo TRAP-RAN; exit 0' TERM; echo READY; sleep %s & wait $! )"

DUAL_TEST(lifecycle, cancel_keeps_subshell_trap, .timeout = 120)
{
	char *ws = tmpdir_for(m), log[512], script[128], sleep[32];
	cJSON *exits[64];
	size_t n;

	/* Root and rootless run side by side: each looks for its own sleep. */
	snprintf(sleep, sizeof(sleep), "3600.41%d", m);
	snprintf(script, sizeof(script), SUBSHELL_TRAP, sleep);
	snprintf(log, sizeof(log), "%s/cancel.jsonl", ws);
	for (int i = 0; i < 50; i++) {
		char buf[8] = "", *out;
		int fd, st;
		pid_t pid = cis_spawn(m, NULL,
		                      ARGS("run", "--audit-log", log, "--kill-grace", "2s", "-w",
		                           ws, "--", "bash", "-c", script),
		                      &fd);

		cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0,
		          "run %d: %s", i, buf);
		kill(pid, SIGTERM);
		out = slurp(fd);
		st = wait_status(pid);
		/* The status stays the main process's: it died of the TERM. */
		cr_assert_eq(st, 128 + SIGTERM, "run %d: status %d, output %s", i, st, out);
		cr_assert_str_eq(out, "TRAP-RAN\n", "run %d: the subshell's trap was cut off", i);
		free(out);
		close(fd);
	}
	cr_assert(host_process_gone(cat_sleep(sleep), 1000), "a job process outlived its run");
	n = job_exits(log, exits, 64);
	cr_assert_eq(n, 50);
	for (size_t i = 0; i < n; i++) {
		cJSON *grace = cJSON_GetObjectItem(exits[i], "grace_ms");

		cr_assert(cJSON_IsNumber(grace) && grace->valuedouble < 3000, "run %zu", i);
		cr_assert(cJSON_IsBool(cJSON_GetObjectItem(exits[i], "killed")), "run %zu", i);
		cJSON_Delete(exits[i]);
	}
	dir_done(ws);
}

/* After a cancel, the audit log's job.exit says how long the grace lasted and whether anything
 * had to be killed. A job that ends on the TERM needs no kill; a subshell that ignores the TERM
 * outlives the main process only until the grace is over: then it is killed, nothing is left. */
DUAL_TEST(lifecycle, cancel_grace_ends_in_kill, .timeout = 60)
{
	char *ws = tmpdir_for(m), log[512], buf[8] = "", *out, script[128], sleep[32];
	struct timespec t0, t1;
	cJSON *exits[2];
	double ms;
	int fd, st;
	pid_t pid;

	snprintf(sleep, sizeof(sleep), "3600.42%d", m);
	snprintf(script, sizeof(script),
	         ": | ( trap '' TERM; echo READY; sleep %s; echo NOT-REACHED )", sleep);
	snprintf(log, sizeof(log), "%s/grace.jsonl", ws);
	/* No child, so nothing can miss the TERM. */
	pid = cis_spawn(m, NULL,
	                ARGS("run", "--audit-log", log, "-w", ws, "--", "bash", "-c",
	                     "trap 'exit 3' TERM; echo READY; while :; do :; done"),
	                &fd);
	cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0, "%s", buf);
	kill(pid, SIGTERM);
	free(slurp(fd));
	cr_assert_eq(wait_status(pid), 3);
	close(fd);
	pid = cis_spawn(m, NULL,
	                ARGS("run", "--audit-log", log, "--kill-grace", "400ms", "-w", ws, "--",
	                     "bash", "-c", script),
	                &fd);
	cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0, "%s", buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGTERM);
	out = slurp(fd); /* EOF: the last process of the job is gone */
	st = wait_status(pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	cr_assert_eq(st, 128 + SIGTERM, "status %d, output %s", st, out);
	cr_assert_str_eq(out, "");
	cr_assert(ms >= 380 && ms < 5000, "the run ended %.0f ms after the TERM", ms);
	cr_assert_not(host_process_exists(cat_sleep(sleep)), "the TERM-ignoring subshell survived");
	cr_assert_eq(job_exits(log, exits, 2), 2);
	cr_assert(cJSON_GetObjectItem(exits[0], "grace_ms")->valuedouble < 1000);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(exits[0], "killed")));
	cr_assert(cJSON_GetObjectItem(exits[1], "grace_ms")->valuedouble >= 380);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(exits[1], "killed")));
	cJSON_Delete(exits[0]);
	cJSON_Delete(exits[1]);
	free(out);
	close(fd);
	dir_done(ws);
}

/* job.exit's cpu_ms is the CPU time of the sandbox (init and everything it reaped): a job that
 * spins for a while reports it. (It was always 0: the launcher's own seccomp filter refused
 * the getrusage it is read with.) */
DUAL_TEST(lifecycle, job_exit_reports_cpu_time, .timeout = 60)
{
	char *ws = tmpdir_for(m), log[512];
	struct result r;
	cJSON *exits[1], *cpu;

	snprintf(log, sizeof(log), "%s/cpu.jsonl", ws);
	cis_run(m, &r, NULL,
	        ARGS("run", "--audit-log", log, "-w", ws, "--", "sh", "-c",
	             "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(job_exits(log, exits, 1), 1);
	cpu = cJSON_GetObjectItem(exits[0], "cpu_ms");
	cr_assert(cJSON_IsNumber(cpu) && cpu->valuedouble >= 20, "cpu_ms %g",
	          cJSON_IsNumber(cpu) ? cpu->valuedouble : -1);
	cJSON_Delete(exits[0]);
	result_free(&r);
	dir_done(ws);
}

/* What /proc/PID/fd/N or /proc/PID/ns/NAME points to, in buf ("" if nothing). */
static const char *proc_link(char *buf, size_t len, pid_t pid, const char *what)
{
	char path[96];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The sandbox's mount namespace outlives init only in cis-nshold, the launcher's child that
 * holds exactly it (no stdout, no job command line in ps, nothing else open), and that goes
 * once the launcher returns, or is killed: the unmounting is not on the run's path, and is
 * never left behind. */
DUAL_TEST(lifecycle, mount_namespace_holder, .timeout = 60)
{
	char *ws = tmpdir_for(m), *go = cat(ws, "/go"), script[160], sleep[32], buf[8] = "";
	char ns[128], held[128], fdl[128], *cmd;

	/* Root and rootless run side by side: each waits on its own sleep. */
	snprintf(sleep, sizeof(sleep), "3600.43%d", m);
	snprintf(script, sizeof(script),
	         "echo READY; while [ ! -e /workspace/go ]; do sleep 0.02; done; sleep %s", sleep);
	for (int kill_it = 0; kill_it <= 1; kill_it++) {
		int fd, n_ns = 0, n_other = 0;
		pid_t hold = 0, init = 0,
		      pid = cis_spawn(m, NULL,
		                      ARGS("run", "-w", ws, "--workspace-mode", "bind", "--", "sh",
		                           "-c",
		                           kill_it ? script
		                                   : "echo READY; "
		                                     "while [ ! -e /workspace/go ]; "
		                                     "do sleep 0.02; done"),
		                      &fd);

		unlink(go);
		cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0, "%s", buf);
		for (int i = 0; i < 200 && !(hold = child_named(pid, "cis-nshold")); i++)
			usleep(10000);
		init = child_named(pid, "cisandbox");
		cr_assert(hold > 0 && init > 0, "holder %d, init %d", hold, init);
		proc_link(ns, sizeof(ns), init, "ns/mnt");
		for (int f = 0; f < 64; f++) {
			char num[16];

			snprintf(num, sizeof(num), "fd/%d", f);
			if (!proc_link(fdl, sizeof(fdl), hold, num)[0])
				continue;
			n_ns += strcmp(fdl, ns) == 0;
			n_other += strcmp(fdl, ns) != 0 && strcmp(fdl, "/dev/null") != 0 &&
			           strncmp(fdl, "pipe:", 5) != 0;
			cr_assert(f >= 3 || strcmp(fdl, "/dev/null") == 0, "fd %d: %s", f, fdl);
		}
		cr_assert_eq(n_ns, 1, "the holder does not hold the sandbox's mount namespace (%s)",
		             ns);
		cr_assert_eq(n_other, 0, "the holder holds something else");
		cr_assert_str_neq(proc_link(held, sizeof(held), hold, "ns/mnt"), ns,
		                  "the holder is not in the sandbox");
		snprintf(fdl, sizeof(fdl), "/proc/%d/cmdline", hold);
		cmd = read_text(fdl);
		cr_assert(cmd && strncmp(cmd, "cis-nshold", 10) == 0 && !strstr(cmd, "sleep"), "%s",
		          cmd);
		free(cmd);
		write_text(go, ""); /* the job goes on, or (kill_it) into its sleep */
		if (kill_it)
			kill(pid, SIGKILL);
		free(slurp(fd));
		close(fd);
		cr_assert_eq(wait_status(pid), kill_it ? 128 + SIGKILL : 0);
		for (int i = 0; i < 200 && pid_alive(hold); i++)
			usleep(10000);
		cr_assert_not(pid_alive(hold), "the holder outlived its run");
		cr_assert(host_process_gone(cat_sleep(sleep), 2000), "a job process survived");
	}
	free(go);
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
	cr_assert(read_job(fd, buf, 6) == 6);
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
	cr_assert(read_job(fd, buf, 6) == 6);
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

/* A runner that stopped reading (its log pipe closed) must not kill the launcher, and with it
 * the job, at the launcher's next line on stderr: the job's status comes back, not 141. */
DUAL_TEST(lifecycle, stderr_reader_gone, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	int fd;
	pid_t pid = cis_spawn(m, NULL, ARGS("run", "-v", "-w", ws, "--", "sleep", "0.5"), &fd);

	close(fd);
	cr_assert_eq(wait_status(pid), 0);
	dir_done(ws);
}
