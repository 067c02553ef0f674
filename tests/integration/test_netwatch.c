/* The resolver and flow-log reader apart from the launcher (netwatch.c), observed from
 * outside while a job runs, root and rootless: the process that reads the job's DNS holds no
 * host privilege, opens no host path, and when it is killed the job's name lookups fail
 * (closed), which the launcher reports. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(netwatch, .fini = world_cleanup);

/* The child of `parent` named cis-netwatch, or 0. */
static pid_t netwatch_of(pid_t parent)
{
	return child_named(parent, "cis-netwatch");
}

static char *status_line(pid_t pid, const char *key)
{
	char path[64], *text, *at;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	text = read_text(path);
	cr_assert(text, "%s", path);
	at = strstr(text, key);
	cr_assert(at, "%s: no %s", path, key);
	at += strlen(key);
	while (*at == '\t' || *at == ' ')
		at++;
	return strndup(at, strcspn(at, "\n"));
}

/* Every open fd is a socket, a pipe or an anonymous inode: no host path. */
static void no_host_paths(pid_t pid)
{
	char dir[64];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	cr_assert((d = opendir(dir)), "%s", dir);
	while ((e = readdir(d))) {
		char link[300] = "", path[400];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (readlink(path, link, sizeof(link) - 1) < 0)
			continue;
		cr_assert(link[0] != '/', "fd %s of the resolver is the host path %s", e->d_name,
		          link);
	}
	closedir(d);
}

static bool file_has(const char *path, const char *text)
{
	char *s = read_text(path);
	bool yes = s && strstr(s, text);

	free(s);
	return yes;
}

DUAL_TEST(netwatch, confined_and_fails_closed, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), *log = cat(ws, "/out"), *audit = cat(ws, "/audit.jsonl");
	char *uid, lpath[64], root[64];
	pid_t launcher, nw = 0;
	int out, i;
	DIR *d;
	struct dirent *e;

	world_up(&wd);
	launcher = cis_spawn(
	    m, NULL,
	    ARGS("run", "-w", ws, "--workspace-mode", "bind", "--allow", "pkg.allowed.test:80",
	         "--audit-log", audit, "--", "sh", "-c",
	         "getent hosts pkg.allowed.test >/dev/null && echo first ok > out\n"
	         "while [ ! -e go ]; do sleep 0.02; done\n"
	         "getent hosts pkg.allowed.test >/dev/null || echo second failed >> out\n"),
	    &out);
	for (i = 0; i < 500 && !(file_has(log, "first ok") && (nw = netwatch_of(launcher))); i++)
		usleep(10000);
	cr_assert(nw > 0, "no cis-netwatch child of the launcher, or the first lookup failed");
	/* Its identity: root mode its own uid; rootless the caller's, in its own user
	 * namespace. No capability, no_new_privs, a seccomp filter. */
	uid = status_line(nw, "Uid:");
	if (m == ROOT) {
		cr_assert(strncmp(uid, "2147418114", 10) == 0, "resolver uid: %s", uid);
	} else {
		char a[64] = "", b[64] = "";

		cr_assert(strncmp(uid, "65534", 5) == 0, "resolver uid: %s", uid);
		snprintf(lpath, sizeof(lpath), "/proc/%d/ns/user", launcher);
		cr_assert(readlink(lpath, a, sizeof(a) - 1) > 0);
		snprintf(lpath, sizeof(lpath), "/proc/%d/ns/user", nw);
		cr_assert(readlink(lpath, b, sizeof(b) - 1) > 0);
		cr_assert_str_neq(a, b, "the resolver shares the launcher's user namespace");
	}
	cr_assert_str_eq(status_line(nw, "CapEff:"), "0000000000000000");
	cr_assert_str_eq(status_line(nw, "CapPrm:"), "0000000000000000");
	cr_assert_str_eq(status_line(nw, "NoNewPrivs:"), "1");
	cr_assert_str_eq(status_line(nw, "Seccomp:"), "2");
	no_host_paths(nw);
	/* The launcher itself is under its own filter by now. */
	cr_assert_str_eq(status_line(launcher, "Seccomp:"), "2");
	cr_assert_str_eq(status_line(launcher, "NoNewPrivs:"), "1");
	/* Its root is an empty tmpfs. */
	snprintf(root, sizeof(root), "/proc/%d/root", nw);
	cr_assert((d = opendir(root)), "%s", root);
	while ((e = readdir(d)))
		cr_assert(e->d_name[0] == '.', "%s/%s: the resolver sees the host's tree", root,
		          e->d_name);
	closedir(d);
	/* Killed: the job's next lookup fails at once, and the launcher says so. */
	kill(nw, SIGKILL);
	write_text(cat(ws, "/go"), "");
	{
		char *output = slurp(out);
		int st = wait_status(launcher);

		cr_assert_eq(st, 0, "%s", output);
		cr_assert(strstr(output, "resolver (pid") && strstr(output, "killed by signal 9"),
		          "not reported: %s", output);
	}
	cr_assert(file_has(log, "second failed"), "a lookup succeeded without the resolver");
	cr_assert(file_has(audit, "\"event\":\"resolver.died\""), "no audit event");
	world_down(&wd);
	dir_done(ws);
}

/* A runner signals the step's process group (GitLab's cancel: TERM to the group; any signal a
 * runner or a user sends to it): the launcher forwards it to the job, and the resolver is not
 * in that group, so the job's lookups keep working through its traps. (The resolver's child
 * unblocked the launcher's signals before ignoring them, and was in the group: a USR1 killed
 * it always, a TERM in a window at its start.) */
DUAL_TEST(netwatch, group_signal_spares_resolver, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), *log = cat(ws, "/out"), *go = cat(ws, "/go"), *output;
	pid_t launcher, nw = 0;
	int out, i;

	world_up(&wd);
	launcher =
	    cis_spawn(m, NULL,
	              ARGS("run", "-w", ws, "--workspace-mode", "bind", "--allow",
	                   "pkg.allowed.test:80", "--", "sh", "-c",
	                   "trap 'echo usr1 >> out' USR1\n"
	                   "getent hosts pkg.allowed.test >/dev/null && echo first ok > out\n"
	                   "while [ ! -e go ]; do sleep 0.02; done\n"
	                   "getent hosts pkg.allowed.test >/dev/null && echo second ok >> out\n"),
	              &out);
	for (i = 0; i < 500 && !(file_has(log, "first ok") && (nw = netwatch_of(launcher))); i++)
		usleep(10000);
	cr_assert(nw > 0, "no cis-netwatch child of the launcher, or the first lookup failed");
	cr_assert_eq(getpgid(launcher), launcher, "the launcher leads its process group");
	cr_assert_neq(getpgid(nw), launcher, "the resolver is in the launcher's process group");
	kill(-launcher, SIGUSR1);
	for (i = 0; i < 300 && !file_has(log, "usr1"); i++)
		usleep(10000);
	write_text(go, "");
	output = slurp(out);
	cr_assert_eq(wait_status(launcher), 0, "%s", output);
	cr_assert(file_has(log, "usr1"), "the job did not get the forwarded USR1");
	cr_assert(file_has(log, "second ok"), "the lookup after the group's signal failed: %s",
	          output);
	cr_assert_not(strstr(output, "resolver (pid"), "%s", output);
	free(output);
	free(go);
	world_down(&wd);
	dir_done(ws);
}

/* Without egress there is no resolver: the launcher's filter is on from the start. */
DUAL_TEST(netwatch, launcher_filtered_without_network, .timeout = 30)
{
	char *ws = tmpdir_for(m), *flag = cat(ws, "/ready");
	pid_t launcher;
	int out, i;

	launcher = cis_spawn(m, NULL,
	                     ARGS("run", "-w", ws, "--workspace-mode", "bind", "--", "sh", "-c",
	                          m == ROOT ? "touch ready; sleep 3600.91 & wait"
	                                    : "touch ready; sleep 3600.93 & wait"),
	                     &out);
	for (i = 0; i < 500 && access(flag, F_OK) != 0; i++)
		usleep(10000);
	cr_assert(access(flag, F_OK) == 0, "the job did not start");
	cr_assert_str_eq(status_line(launcher, "Seccomp:"), "2");
	cr_assert_eq(child_named(launcher, "cis-netwatch"), 0, "a resolver without a network");
	kill(launcher, SIGTERM);
	cr_assert_eq(wait_status(launcher), 128 + SIGTERM, "%s", slurp(out));
	cr_assert(host_process_gone(m == ROOT ? "sleep 3600.91" : "sleep 3600.93", 2000),
	          "a job process outlived the run");
	dir_done(ws);
}
