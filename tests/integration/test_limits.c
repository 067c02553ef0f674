/* Limits, teardown proof and the audit trail: fork bomb, memory hog, file size, open files,
 * cgroup removal, audit events of each kind of ending, concurrent appends, report output. */
#include "harness.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define P "/probes/probe"

static void run_probe(enum mode m, struct result *r, const char *ws, const char *flag,
                      const char *value, const char *cmd, const char *arg, const char *arg2)
{
	cis_run(m, r, NULL,
	        ARGS("run", "-v", "-w", ws, flag, value, "--ro-bind", probes_bind(), "--", P, cmd,
	             arg, arg2));
}

/* A fork bomb stops at the limit (EAGAIN); the host never sees more than that. */
DUAL_TEST(limits, fork_bomb_contained, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;
	long count = 0;
	char err[32] = "";

	run_probe(m, &r, ws, "--pids", "32", "forkbomb", "10000", "");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%ld %31s", &count, err), 2, "%s", r.out);
	cr_assert(count > 0 && count < 32, "forked %ld", count);
	cr_assert_str_eq(err, "EAGAIN");
	result_free(&r);
	dir_done(ws);
}

static bool cgroup_memory_available(enum mode m, const char *ws)
{
	struct result r;
	bool yes;

	cis_run(m, &r, NULL, ARGS("run", "-v", "-w", ws, "--memory", "64M", "--", "true"));
	yes = strstr(r.err, "memory by cgroup") != NULL;
	result_free(&r);
	return yes;
}

/* Without a cgroup memory controller the limit is RLIMIT_DATA: the hog's malloc fails. */
DUAL_TEST(limits, memory_hog_rlimit, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	if (cgroup_memory_available(m, ws)) {
		dir_done(ws);
		cr_skip_test("a cgroup memory controller enforces --memory here (memory_hog_oom)");
	}
	run_probe(m, &r, ws, "--memory", "64M", "hog", "268435456", "");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ENOMEM\n");
	cr_assert(strstr(r.err, "memory by RLIMIT_DATA"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* untrusted limits memory to 50% of the host's RAM where a cgroup v2 memory controller
 * enforces it; where none is delegated the limit is not turned into RLIMIT_DATA (which breaks
 * sanitizer builds): the job's data size stays unlimited and --verbose says it is not
 * enforced. */
DUAL_TEST(limits, default_memory_share, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;
	bool cg = cgroup_memory_available(m, ws);

	cis_run(m, &r, NULL,
	        ARGS("run", "-v", "-w", ws, "--", "sh", "-c",
	             "grep 'Max data size' /proc/self/limits | tr -s ' '"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "Max data size unlimited unlimited bytes \n");
	cr_assert(strstr(r.err, "; memory 50% of RAM ("), "%s", r.err);
	if (cg)
		cr_assert(strstr(r.err, " MiB) by cgroup"), "%s", r.err);
	else
		cr_assert(strstr(r.err, " MiB) NOT enforced (no cgroup v2 memory controller"), "%s",
		          r.err);
	result_free(&r);
	dir_done(ws);
}

/* With a cgroup memory controller the hog is OOM-killed: status 137, reason oom. */
DUAL_TEST(limits, memory_hog_oom, .timeout = 60)
{
	char *ws = tmpdir_for(m), *log = tmpdir_for(m), path[512], *text;
	struct result r;

	if (!cgroup_memory_available(m, ws)) {
		dir_done(ws);
		dir_done(log);
		cr_skip_test(
		    "no cgroup v2 memory controller for this user here (cgroup v2 without "
		    "memory, or no writable subtree); the RLIMIT_DATA path is tested instead");
	}
	snprintf(path, sizeof(path), "%s/audit.jsonl", log);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--memory", "64M", "--audit-log", path, "--ro-bind",
	             probes_bind(), "--", P, "hog", "1073741824"));
	cr_assert_eq(r.status, 137, "%s", r.err);
	text = read_text(path);
	cr_assert(text && strstr(text, "\"reason\":\"oom\""), "%s", text);
	free(text);
	result_free(&r);
	dir_done(ws);
	dir_done(log);
}

DUAL_TEST(limits, file_size_and_open_files, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;
	long count = 0;
	char err[32] = "";

	run_probe(m, &r, ws, "--fsize", "1M", "fill", "/workspace/big", "2097152");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "EFBIG\n");
	result_free(&r);
	run_probe(m, &r, ws, "--nofile", "64", "nofile", "1000", "");
	cr_assert_eq(sscanf(r.out, "%ld %31s", &count, err), 2, "%s", r.out);
	cr_assert(count < 64 && strcmp(err, "EMFILE") == 0, "%s", r.out);
	result_free(&r);
	/* The untrusted defaults: no core dumps, 4096 processes, 65536 files (or the caller's
	 * hard limit when that is lower: raising it would need host privilege). */
	{
		struct rlimit nofile;
		char want[128];

		cr_assert(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
		snprintf(want, sizeof(want), "0 0\n4096 4096\n%llu %llu\n",
		         nofile.rlim_max < 65536 ? (unsigned long long)nofile.rlim_max : 65536ull,
		         nofile.rlim_max < 65536 ? (unsigned long long)nofile.rlim_max : 65536ull);
		run_sh(m, &r, ws,
		       "awk '/^Max (core file size|processes|open files)/ "
		       "{print $(NF-2), $(NF-1)}' /proc/self/limits");
		cr_assert_str_eq(r.out, want);
		result_free(&r);
	}
	dir_done(ws);
}

/* As root a cgroup is made for each run and removed after it, also after SIGKILL of the
 * launcher (the next run sweeps it once it is unlocked and empty). */
Test(limits, cgroup_removed, .timeout = 60)
{
	char *ws = tmpdir_for(ROOT);
	struct result r;

	cis_run(ROOT, &r, NULL, ARGS("run", "-v", "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 0);
	if (!strstr(r.err, "limits: cgroup ")) {
		result_free(&r);
		dir_done(ws);
		cr_skip_test("no writable cgroup v2 hierarchy here");
	}
	cr_assert(strstr(r.err, "; cgroup removed"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* kill -9 of a root launcher mid-run (alone, or with its whole process group, as Forgejo
 * cancels): its cgroup directory is gone within 2 s, not left for a later run's sweep, and the
 * janitor that removed it is gone too. */
static void cgroup_gone_after_kill(bool group)
{
	char *ws = tmpdir_for(ROOT), log[300], cg[512] = "", *text = NULL, *at;
	int out, i;
	pid_t pid;
	struct stat st;

	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	pid = cis_spawn(ROOT, NULL, ARGS("run", "--audit-log", log, "-w", ws, "--", "sleep", "30"),
	                &out);
	for (i = 0; i < 200 && !(text && strstr(text, "\"job.start\"")); i++) {
		free(text);
		usleep(20000);
		text = access(log, F_OK) == 0 ? read_text(log) : NULL;
	}
	cr_assert(text && strstr(text, "\"job.start\""), "no job.start");
	at = strstr(text, "\"cgroup\":\"");
	cr_assert(at, "%s", text);
	sscanf(at + 10, "%511[^\"]", cg);
	free(text);
	if (strcmp(cg, "none") == 0) {
		kill(pid, SIGKILL);
		wait_status(pid);
		close(out);
		dir_done(ws);
		cr_skip_test("no writable cgroup v2 hierarchy here");
	}
	cr_assert(stat(cg, &st) == 0, "%s", cg);
	/* Only the janitor names the cgroup on its command line. */
	cr_assert(host_process_exists(strrchr(cg, '/') + 1), "no janitor while the job runs");
	kill(group ? -pid : pid, SIGKILL);
	wait_status(pid);
	for (i = 0; i < 200 && stat(cg, &st) == 0; i++)
		usleep(10000);
	cr_assert(stat(cg, &st) < 0, "%s still there after 2 s", cg);
	cr_assert(host_process_gone(strrchr(cg, '/') + 1, 1000), "the janitor stayed");
	close(out);
	dir_done(ws);
}

Test(limits, cgroup_gone_after_sigkill, .timeout = 60)
{
	cgroup_gone_after_kill(false);
}

Test(limits, cgroup_gone_after_sigkill_group, .timeout = 60)
{
	cgroup_gone_after_kill(true);
}

/* Parse every line of an audit log: each must be one JSON object of schema v1. */
static cJSON *parse_log(const char *path, int *lines)
{
	char *text = read_text(path), *save = NULL;
	cJSON *all = cJSON_CreateArray();

	cr_assert(text, "no audit log at %s", path);
	*lines = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);

		cr_assert(cJSON_IsObject(o), "not JSON: %s", l);
		cr_assert_eq(cJSON_GetObjectItem(o, "v")->valueint, 1);
		cr_assert(cJSON_IsString(cJSON_GetObjectItem(o, "ts")));
		cr_assert_eq(strlen(cJSON_GetObjectItem(o, "sandbox")->valuestring), 32);
		cJSON_AddItemToArray(all, o);
		(*lines)++;
	}
	free(text);
	return all;
}

static const char *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The sequence of event names, space separated. */
static void events_of(const cJSON *all, char *out, size_t len)
{
	const cJSON *o;

	out[0] = '\0';
	cJSON_ArrayForEach(o, all)
	{
		strncat(out, field(o, "event"), len - strlen(out) - 2);
		strcat(out, " ");
	}
}

DUAL_TEST(audit, timeout_denial_and_bad_profile, .timeout = 60)
{
	char *ws = tmpdir_for(m), path[512], seq[512], bad[512];
	struct result r;
	cJSON *all, *exit;
	int n;

	snprintf(path, sizeof(path), "%s/timeout.jsonl", ws);
	cis_run(m, &r,
	        ARGS("GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=acme/app", "GITHUB_RUN_ID=42"),
	        ARGS("run", "--audit-log", path, "-w", ws, "--timeout", "300ms", "--kill-grace",
	             "100ms", "--", "sleep", "30"));
	cr_assert_eq(r.status, 124);
	result_free(&r);
	all = parse_log(path, &n);
	events_of(all, seq, sizeof(seq));
	cr_assert_str_eq(seq, "sandbox.create job.start job.exit sandbox.destroy ");
	exit = cJSON_GetArrayItem(all, 2);
	cr_assert_str_eq(field(exit, "reason"), "timeout");
	cr_assert_eq(cJSON_GetObjectItem(exit, "status")->valueint, 124);
	cr_assert_str_eq(field(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "ci"), "repository"),
	                 "acme/app");
	cr_assert_str_eq(field(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "ci"), "run_id"),
	                 "42");
	cr_assert(
	    cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 3), "teardown_confirmed")));
	cJSON_Delete(all);

	snprintf(path, sizeof(path), "%s/deny.jsonl", ws);
	cis_run(m, &r, NULL,
	        ARGS("run", "--audit-log", path, "-w", ws, "--ro-bind", probes_bind(), "--", P,
	             "keyctl-bpf"));
	cr_assert_eq(r.status, 0);
	result_free(&r);
	all = parse_log(path, &n);
	events_of(all, seq, sizeof(seq));
	cr_assert_str_eq(seq, "sandbox.create job.start policy.deny policy.deny job.exit "
	                      "sandbox.destroy ");
	cr_assert_str_eq(field(cJSON_GetArrayItem(all, 2), "syscall"), "keyctl");
	cr_assert_str_eq(field(cJSON_GetArrayItem(all, 3), "syscall"), "bpf");
	cr_assert_str_eq(field(cJSON_GetArrayItem(all, 4), "reason"), "exit");
	cJSON_Delete(all);

	snprintf(path, sizeof(path), "%s/bad.jsonl", ws);
	snprintf(bad, sizeof(bad), "%s/bad-profile.json", ws);
	write_text(bad, "{\"limits\": {\"pids\": \"many\"}}");
	cis_run(m, &r, NULL, ARGS("run", "--audit-log", path, "-p", bad, "--", "true"));
	cr_assert_eq(r.status, 125);
	result_free(&r);
	all = parse_log(path, &n);
	cr_assert_eq(n, 1);
	exit = cJSON_GetArrayItem(all, 0);
	cr_assert_str_eq(field(exit, "event"), "job.exit");
	cr_assert_str_eq(field(exit, "reason"), "setup-error");
	cr_assert(strstr(field(exit, "error"), "limits.pids"), "%s", field(exit, "error"));
	cJSON_Delete(all);
	dir_done(ws);
}

/* 50 concurrent runs appending to one log: exactly 50 × 4 whole lines, 50 sandboxes. */
DUAL_TEST(audit, concurrent_appends, .timeout = 120)
{
	char *ws = tmpdir_for(m), path[512];
	pid_t pids[50];
	cJSON *all, *o;
	int n, creates = 0;

	snprintf(path, sizeof(path), "%s/shared.jsonl", ws);
	for (int i = 0; i < 50; i++) {
		int fd;

		pids[i] = cis_spawn(m, NULL,
		                    ARGS("run", "--audit-log", path, "-w", ws, "--", "true"), &fd);
		close(fd);
	}
	for (int i = 0; i < 50; i++)
		cr_assert_eq(wait_status(pids[i]), 0);
	all = parse_log(path, &n);
	cr_assert_eq(n, 200);
	cJSON_ArrayForEach(o, all)
	{
		creates += strcmp(field(o, "event"), "sandbox.create") == 0;
	}
	cr_assert_eq(creates, 50);
	cJSON_Delete(all);
	dir_done(ws);
}

/* cisandbox report on a committed sample log, against golden files. */
Test(audit, report_golden, .timeout = 30)
{
	const char *formats[] = {"text", "github"};
	char log[512], name[64];

	snprintf(log, sizeof(log), "%s/audit-sample.jsonl", getenv("CIS_GOLDEN"));
	for (int i = 0; i < 2; i++) {
		struct result r;

		cis_run(ROOT, &r, NULL, ARGS("report", "--format", formats[i], log));
		cr_assert_eq(r.status, 0, "%s", r.err);
		snprintf(name, sizeof(name), "report-%s.txt", formats[i]);
		golden_compare(name, r.out);
		result_free(&r);
	}
}

/* require_cgroup without a usable cgroup (rootless here): a launcher error, recorded, and no
 * sandbox or cgroup left behind. */
Test(limits, require_cgroup_refused_rootless, .timeout = 30)
{
	char *ws = tmpdir_for(ROOTLESS), prof[512], log[512], *text;
	struct result r;

	snprintf(prof, sizeof(prof), "%s/strict.json", ws);
	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	write_text(prof, "{\"extends\": \"untrusted\", \"limits\": {\"memory\": \"1G\", "
	                 "\"require_cgroup\": true}}");
	cis_run(ROOTLESS, &r, NULL,
	        ARGS("run", "-p", prof, "--audit-log", log, "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "limits.require_cgroup"), "%s", r.err);
	text = read_text(log);
	cr_assert(text && strstr(text, "\"reason\":\"setup-error\"") &&
	              strstr(text, "limits.require_cgroup"),
	          "%s", text);
	free(text);
	result_free(&r);
	dir_done(ws);
}
