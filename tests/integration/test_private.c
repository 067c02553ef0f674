/* Nothing private of the host in view (issue #14, part 1): in /etc, /opt/x/ and /usr/local/etc/,
 * a 0600 file of the caller, a 0640 file of one of its (supplementary) groups and a 0700
 * directory of the caller are unreadable in the sandbox; world-readable files stay readable; a
 * --ro-bind naming such a file shows it. Root (the job is another account) and rootless with
 * subordinate ids, as the service account `daemon` with an /etc/subuid and /etc/subgid entry
 * that this file adds for the run (nobody's stay untouched: the other suites' rootless runs keep
 * their behaviour). Rootless without subordinate ids (nobody), the launcher says what is
 * missing. Every file is named after the test's pid and removed by the test's .fini. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUB_LINE    "daemon:1879048192:65536"
#define DAEMON      1
#define PRIV_GROUP  2147418200u
#define PRIV_GROUPS "2147418200"

/* Once for the whole run, in the runner process: the entry exists while any test runs. Two
 * suites may run at once on one host (two checkouts): each holds it under its pid in HOLDERS,
 * and the last live holder takes it away, all under one lock. */
#define HOLDERS "/run/cis-test-subid.d"
#define LOCKED  "exec 9>>/run/cis-test-subid.lock && flock 9 && mkdir -p " HOLDERS " && "
static void subid_hold(bool hold)
{
	char cmd[1024];

	if (hold)
		snprintf(cmd, sizeof(cmd),
		         LOCKED "touch " HOLDERS "/%d && for f in /etc/subuid /etc/subgid; do "
		                "grep -qx '" SUB_LINE "' $f 2>/dev/null || echo '" SUB_LINE
		                "' >> $f; done",
		         (int)getpid());
	else
		snprintf(cmd, sizeof(cmd),
		         LOCKED
		         "rm -f " HOLDERS "/%d && for p in " HOLDERS "/*; do [ ! -e \"$p\" ] || "
		         "[ -d /proc/${p##*/} ] || rm -f \"$p\"; done && "
		         "if [ -z \"$(ls " HOLDERS ")\" ]; then for f in /etc/subuid /etc/subgid; "
		         "do [ ! -e $f ] || sed -i '/^" SUB_LINE "$/d' $f; done; fi",
		         (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "test_private: cannot %s the subordinate ids of daemon\n",
		        hold ? "add" : "remove");
}
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	subid_hold(true);
}
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	subid_hold(false);
}

static void cleanup(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "rm -rf /etc/cis-priv-%d-* /opt/cis-priv-%d /usr/local/etc/cis-priv-%d "
	         "/tmp/cis-priv-ws-%d",
	         getpid(), getpid(), getpid(), getpid());
	(void)system(cmd);
}

TestSuite(private, .fini = cleanup);

static void put(const char *path, const char *text, uid_t uid, gid_t gid, mode_t mode)
{
	write_text(path, text);
	cr_assert(chown(path, uid, gid) == 0 && chmod(path, mode) == 0, "%s", path);
}

/* The three files in dir (own, grp, pub), shown inside as dir itself. */
static void plant(const char *dir, uid_t caller, gid_t caller_gid)
{
	char p[256];

	snprintf(p, sizeof(p), "%s-own", dir);
	put(p, "own\n", caller, caller_gid, 0600);
	snprintf(p, sizeof(p), "%s-grp", dir);
	put(p, "grp\n", 0, PRIV_GROUP, 0640);
	snprintf(p, sizeof(p), "%s-pub", dir);
	put(p, "pub\n", caller, caller_gid, 0644);
}

static void plant_all(uid_t caller, gid_t caller_gid)
{
	char d[256];
	int pid = getpid();

	snprintf(d, sizeof(d), "/etc/cis-priv-%d-f", pid);
	plant(d, caller, caller_gid);
	snprintf(d, sizeof(d), "/opt/cis-priv-%d", pid);
	cr_assert(mkdir(d, 0755) == 0);
	snprintf(d, sizeof(d), "/opt/cis-priv-%d/f", pid);
	plant(d, caller, caller_gid);
	snprintf(d, sizeof(d), "/opt/cis-priv-%d/privdir", pid);
	cr_assert(mkdir(d, 0700) == 0 && chown(d, caller, caller_gid) == 0);
	snprintf(d, sizeof(d), "/opt/cis-priv-%d/privdir/inside", pid);
	put(d, "inside\n", caller, caller_gid, 0644);
	cr_assert(system("mkdir -p /usr/local/etc") == 0);
	snprintf(d, sizeof(d), "/usr/local/etc/cis-priv-%d", pid);
	cr_assert(mkdir(d, 0755) == 0);
	snprintf(d, sizeof(d), "/usr/local/etc/cis-priv-%d/f", pid);
	plant(d, caller, caller_gid);
}

/* Run the probe script as the given account (setpriv prefix) with one supplementary group;
 * stdout and stderr together. */
static int run_as(const char *who, const char *extra, const char *script, char *out, size_t len)
{
	char ws[64], cmd[4096];
	FILE *f;
	size_t n;

	snprintf(ws, sizeof(ws), "/tmp/cis-priv-ws-%d", getpid());
	mkdir(ws, 0755);
	if (strstr(who, "daemon"))
		cr_assert(chown(ws, DAEMON, DAEMON) == 0);
	else if (strstr(who, "65534"))
		cr_assert(chown(ws, 65534, 65534) == 0);
	snprintf(cmd, sizeof(cmd),
	         "cd /tmp && setpriv %s --groups=" PRIV_GROUPS " %s/cisandbox run -w %s %s -- "
	         "sh -c '%s' 2>&1",
	         who, getenv("CIS_IT_DIR"), ws, extra, script);
	f = popen(cmd, "r");
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	return WEXITSTATUS(pclose(f));
}

/* For each path: "readable" or "denied". */
#define CHECK_SCRIPT                                                                               \
	"for f in /etc/cis-priv-$P-f /opt/cis-priv-$P/f /usr/local/etc/cis-priv-$P/f; do "         \
	"for k in own grp pub; do cat $f-$k >/dev/null 2>&1 && echo $k:readable || "               \
	"echo $k:denied; done; done; ls /opt/cis-priv-$P/privdir >/dev/null 2>&1 && "              \
	"echo dir:readable || echo dir:denied; id -G"

static const char expect_hidden[] = "own:denied\ngrp:denied\npub:readable\n"
                                    "own:denied\ngrp:denied\npub:readable\n"
                                    "own:denied\ngrp:denied\npub:readable\n"
                                    "dir:denied\n1000\n";

static void check_hidden(const char *who, uid_t caller, gid_t gid)
{
	char script[1024], out[8192];

	plant_all(caller, gid);
	snprintf(script, sizeof(script), "P=%d; %s", getpid(), CHECK_SCRIPT);
	cr_assert_eq(run_as(who, "", script, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, expect_hidden);
}

Test(private, hidden_root, .timeout = 60)
{
	check_hidden("", 0, 0);
}

Test(private, hidden_rootless_subids, .timeout = 60)
{
	check_hidden("--reuid=daemon --regid=daemon", DAEMON, DAEMON);
}

/* A --ro-bind that names a private file shows it: the operator asked for it. As root through an
 * idmapped mount (the job is another account); rootless the job is the caller's uid, but holds
 * no supplementary group once they are dropped, so a file only a supplementary group may read
 * stays unreadable there (documented). */
static void check_named(const char *who, uid_t caller, gid_t gid, const char *files,
                        const char *expect)
{
	char extra[256], script[256], out[8192];

	plant_all(caller, gid);
	snprintf(extra, sizeof(extra),
	         "--ro-bind /etc/cis-priv-%d-f-own:/named-own "
	         "--ro-bind /opt/cis-priv-%d/f-grp:/named-grp",
	         getpid(), getpid());
	snprintf(script, sizeof(script), "cat %s", files);
	cr_assert_eq(run_as(who, extra, script, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, expect);
}

Test(private, named_root, .timeout = 60)
{
	check_named("", 0, 0, "/named-own /named-grp", "own\ngrp\n");
}

Test(private, named_rootless_subids, .timeout = 60)
{
	check_named("--reuid=daemon --regid=daemon", DAEMON, DAEMON, "/named-own", "own\n");
}

/* Without subordinate ids the kernel cannot be made to check: the launcher says so, once, and
 * names what is missing (the files stay readable: the documented limit). */
Test(private, rootless_without_subids_warns, .timeout = 60)
{
	char script[1024], out[8192];

	plant_all(65534, 65534);
	snprintf(script, sizeof(script), "P=%d; cat /etc/cis-priv-$P-f-own", getpid());
	cr_assert_eq(run_as("--reuid=65534 --regid=65534", "", script, out, sizeof(out)), 0, "%s",
	             out);
	cr_assert(strstr(out, "warning: rootless without subordinate ids (no /etc/subuid and "
	                      "/etc/subgid entry for nobody)"),
	          "%s", out);
	cr_assert(strstr(out, "own\n") &&
	              strstr(strstr(out, "subordinate ids") + 1, "subordinate ids") == NULL,
	          "%s", out);
}
