/* Egress: the job reaches exactly what is allowed, never metadata, private ranges or the host,
 * and nothing of the run (helper, rules) is left on the host. Every packet stays in namespaces
 * the test made (see world_up in harness.c). */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P "/probes/probe"

TestSuite(egress, .fini = world_cleanup);

static char *host_ruleset(const struct world *wd)
{
	char cmd[128];
	FILE *f;
	char *text;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s nft list ruleset", wd->w);
	f = popen(cmd, "r");
	text = slurp(fileno(f));
	pclose(f);
	return text;
}

DUAL_TEST(egress, allowlist_exact, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), *before, *after;
	struct result r;

	world_up(&wd);
	before = host_ruleset(&wd);
	run_sh_with(
	    m, &r, ws, ARGS("--allow", "198.51.100.10:80"),
	    P " tcp 198.51.100.10 80; " P " tcp 198.51.100.10 8443; " P
	      " tcp 203.0.113.7 80; cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' | sort");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Refused at once (reset), not dropped into a 2 s timeout. */
	cr_assert_str_eq(r.out,
	                 "OK hello 198.51.100.10:80\nECONNREFUSED\nECONNREFUSED\nlo\ntap0\n");
	after = host_ruleset(&wd);
	cr_assert_str_eq(after, before, "the host's ruleset changed");
	free(before);
	free(after);
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* Metadata and internal services stay refused under the broadest allow, and open only for an
 * explicit allow_private entry. The host (its loopback, its address, slirp's gateway) never. */
DUAL_TEST(egress, private_and_host_denied, .timeout = 60)
{
	const char *script =
	    P " tcp 169.254.169.254 80; " P " tcp 10.1.2.3 80; " P " tcp 127.0.0.1 9999; " P
	      " tcp 10.0.2.2 9999; " P " tcp 192.0.2.1 9999; " P " tcp 203.0.113.7 80";
	struct world wd;
	char *ws = tmpdir_for(m), prof[512];
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("--allow", "0.0.0.0/0"), script);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "EHOSTUNREACH\nEHOSTUNREACH\nECONNREFUSED\nEHOSTUNREACH\n"
	                        "EHOSTUNREACH\nOK hello 203.0.113.7:80\n");
	result_free(&r);
	run_sh_with(m, &r, ws, ARGS("--net", "open"), script);
	cr_assert_str_eq(r.out, "EHOSTUNREACH\nEHOSTUNREACH\nECONNREFUSED\nEHOSTUNREACH\n"
	                        "EHOSTUNREACH\nOK hello 203.0.113.7:80\n");
	result_free(&r);
	snprintf(prof, sizeof(prof), "%s/meta.json", ws);
	write_text(prof, "{\"extends\": \"untrusted\", \"network\": {\"mode\": \"allowlist\", "
	                 "\"allow_private\": [\"169.254.169.254:80\"]}}");
	run_sh_with(m, &r, ws, ARGS("-p", prof),
	            P " tcp 169.254.169.254 80; " P " tcp 10.1.2.3 80");
	cr_assert_str_eq(r.out, "OK hello 169.254.169.254:80\nEHOSTUNREACH\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* The job can neither read nor change its rules (no CAP_NET_ADMIN in its namespace). */
DUAL_TEST(egress, ruleset_out_of_reach, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("--allow", "198.51.100.10:80"),
	            "nft list ruleset >/dev/null 2>&1 && echo read; "
	            "nft flush ruleset >/dev/null 2>&1 && echo flushed; " P " tcp 203.0.113.7 80");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ECONNREFUSED\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* The helper dies with the launcher, also on SIGKILL. */
DUAL_TEST(egress, helper_gone_after_sigkill, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), buf[8] = "", marker[32], needle[64];
	int fd;
	pid_t pid, helper, init;
	char netns[64], *before, *after;

	world_up(&wd);
	before = host_ruleset(&wd);
	snprintf(marker, sizeof(marker), "%d%d", 60000 + getpid() % 9999, m);
	snprintf(needle, sizeof(needle), "sleep %s", marker);
	{
		char script[128];

		snprintf(script, sizeof(script), "echo ready; sleep %s", marker);
		pid = cis_spawn(
		    m, NULL,
		    ARGS("run", "-w", ws, "--allow", "198.51.100.10:80", "--", "sh", "-c", script),
		    &fd);
	}
	cr_assert(read_job(fd, buf, 6) == 6);
	helper = child_named(pid, "slirp4netns");
	cr_assert(helper > 0, "no slirp4netns under launcher %d", pid);
	/* The helper parses the job's packets: never host root. Rootless it is the caller; as
	 * root, its own unprivileged uid (neither root nor the job's). */
	{
		char path[64], *status, want[64];

		snprintf(path, sizeof(path), "/proc/%d/status", helper);
		status = read_text(path);
		snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t%u\t%u\n",
		         m == ROOT ? 2147418113u : 65534u, m == ROOT ? 2147418113u : 65534u,
		         m == ROOT ? 2147418113u : 65534u, m == ROOT ? 2147418113u : 65534u);
		cr_assert(status && strstr(status, want), "helper credentials: %s", status);
		cr_assert(strstr(status, "\nCapEff:\t0000000000000000\n"), "%s", status);
		free(status);
	}
	init = child_named(pid, "cisandbox");
	cr_assert(init > 0, "no sandbox init under launcher %d", pid);
	netns_of(init, netns, sizeof(netns));
	cr_assert(netns[0] && netns_in_use(netns));
	kill(pid, SIGKILL);
	wait_status(pid);
	cr_assert(host_process_gone(needle, 1000));
	/* No process left in the sandbox's network namespace (so it is gone, with its ruleset),
	 * and the launcher's own ruleset untouched. */
	for (int i = 0; i < 100 && netns_in_use(netns); i++)
		usleep(10000);
	cr_assert_not(netns_in_use(netns), "%s outlived the launcher", netns);
	after = host_ruleset(&wd);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	for (int i = 0; i < 100 && pid_alive(helper); i++)
		usleep(10000);
	cr_assert_not(pid_alive(helper), "slirp4netns %d outlived the launcher", helper);
	close(fd);
	world_down(&wd);
	dir_done(ws);
}

DUAL_TEST(egress, bad_entries_refused, .timeout = 30)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--allow", "1.2.3.4:99999", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, "cisandbox: --allow 1.2.3.4:99999: port above 65535\n");
	result_free(&r);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--net", "none", "--allow", "1.2.3.4", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "need network mode allowlist"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* Audit mode: like open, and every destination contacted is reported, refused ones marked, with
 * a ready-to-paste allowlist; the audit log gets one egress.flow per destination. */
DUAL_TEST(egress, audit_mode_reports_flows, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), log[512], *text;
	struct result r;

	world_up(&wd);
	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	cis_run(m, &r, NULL,
	        ARGS("run", "-v", "-w", ws, "--net", "audit", "--audit-log", log, "--ro-bind",
	             probes_bind(), "--", "sh", "-c",
	             P " tcp 198.51.100.10 80; " P " tcp 198.51.100.10 80; " P
	               " tcp 203.0.113.7 8443; " P " tcp 169.254.169.254 80"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "OK hello 198.51.100.10:80\nOK hello 198.51.100.10:80\n"
	                        "OK hello 203.0.113.7:8443\nEHOSTUNREACH\n");
	cr_assert(strstr(r.err, "egress audit: 4 new flows to 3 destinations"), "%s", r.err);
	cr_assert(strstr(r.err, "tcp 198.51.100.10:80 (2x)"), "%s", r.err);
	cr_assert(strstr(r.err, "tcp 169.254.169.254:80 (1x) - always denied"), "%s", r.err);
	cr_assert(strstr(r.err, "suggested allowlist: --allow 198.51.100.10:80 --allow "
	                        "203.0.113.7:8443\n"),
	          "%s", r.err);
	text = read_text(log);
	cr_assert(text && strstr(text, "\"event\":\"egress.flow\"") &&
	              strstr(text, "\"destination\":\"203.0.113.7:8443\",\"denied\":false"),
	          "%s", text);
	free(text);
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* Without the helper the run does not start: 125, naming the package to install. */
DUAL_TEST(egress, missing_helper_named, .timeout = 30)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, ARGS("PATH=/nonexistent"),
	        ARGS("run", "-w", ws, "--allow", "198.51.100.10:80", "--", "/bin/true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "slirp4netns not found in PATH; install the slirp4netns package"),
	          "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* The same guarantees through pasta (network.backend): exact allowlist, the always-denied set,
 * the host's loopback out of reach, and the helper gone with a SIGKILLed launcher. */
DUAL_TEST(egress, pasta_backend, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), prof[512], buf[8] = "";
	struct result r;
	int fd;
	pid_t pid, helper;

	world_up(&wd);
	snprintf(prof, sizeof(prof), "%s/pasta.json", ws);
	write_text(prof, "{\"extends\": \"untrusted\", \"network\": {\"backend\": \"pasta\"}}");
	run_sh_with(m, &r, ws, ARGS("-p", prof, "--allow", "198.51.100.10:80"),
	            P " tcp 198.51.100.10 80; " P " tcp 203.0.113.7 80; " P
	              " tcp 169.254.169.254 80; " P " tcp 10.1.2.3 80; " P
	              " tcp 127.0.0.1 9999; tail -n +3 /proc/net/dev | wc -l");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* lo and tap0 (pasta attaches to our persistent tap0): count them. */
	cr_assert_str_eq(r.out, "OK hello 198.51.100.10:80\nECONNREFUSED\nEHOSTUNREACH\n"
	                        "EHOSTUNREACH\nECONNREFUSED\n2\n");
	result_free(&r);
	pid = cis_spawn(m, NULL,
	                ARGS("run", "-w", ws, "-p", prof, "--allow", "198.51.100.10:80", "--", "sh",
	                     "-c", "echo ready; sleep 60"),
	                &fd);
	cr_assert(read_job(fd, buf, 6) == 6);
	/* pasta is passt under another name; Debian runs its AVX2 build where it can. */
	helper = child_named(pid, "passt.avx2");
	if (!helper)
		helper = child_named(pid, "passt");
	kill(pid, SIGKILL);
	wait_status(pid);
	cr_assert(helper > 0, "no pasta under launcher %d", pid);
	for (int i = 0; i < 100 && pid_alive(helper); i++)
		usleep(10000);
	cr_assert_not(pid_alive(helper), "pasta %d outlived the launcher", helper);
	close(fd);
	world_down(&wd);
	dir_done(ws);
}

/* readlink of /proc/PID/fd/N or /proc/PID/ns/N into out ("" if none). */
static void link_of(pid_t pid, const char *what, char *out, size_t len)
{
	char path[96];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* The helper runs in the host's network namespace (the launcher's) and serves exactly init's:
 * launched by root it is started before the clone, on the namespace made for the sandbox, and
 * must not be started from inside it, where the launcher programs it. */
DUAL_TEST(egress, helper_outside_serving_init, .timeout = 60)
{
	char *ws = tmpdir_for(m), buf[8] = "", script[128];
	char own[64], served[64], launcher[64], init_net[64];
	int fd;
	pid_t pid, helper, init;

	snprintf(script, sizeof(script), "echo ready; sleep %d%d", 61000 + getpid() % 9999, m);
	pid = cis_spawn(
	    m, NULL, ARGS("run", "-w", ws, "--allow", "198.51.100.10:80", "--", "sh", "-c", script),
	    &fd);
	cr_assert(read_job(fd, buf, 6) == 6);
	helper = child_named(pid, "slirp4netns");
	init = child_named(pid, "cisandbox");
	cr_assert(helper > 0 && init > 0, "launcher %d: helper %d, init %d", pid, helper, init);
	link_of(helper, "ns/net", own, sizeof(own));
	link_of(helper, "fd/6", served, sizeof(served));
	link_of(pid, "ns/net", launcher, sizeof(launcher));
	link_of(init, "ns/net", init_net, sizeof(init_net));
	cr_assert(own[0] && strcmp(own, launcher) == 0, "helper in %s, launcher in %s", own,
	          launcher);
	cr_assert_str_eq(served, init_net, "the helper serves %s, init is in %s", served, init_net);
	cr_assert_str_neq(init_net, launcher);
	kill(pid, SIGTERM);
	wait_status(pid);
	close(fd);
	dir_done(ws);
}

/* Launched by root the helper's start overlaps the sandbox's: it is spawned before the clone
 * (the order of the launcher's timing stamps; no time is asserted). Rootless it can only start
 * once init exists. */
DUAL_TEST(egress, helper_spawned_before_clone_as_root, .timeout = 30)
{
	char *ws = tmpdir_for(m), *spawn, *clone;
	struct result r;

	cis_run(m, &r, ARGS("CISANDBOX_TIMING=1"),
	        ARGS("run", "-w", ws, "--allow", "198.51.100.10:80", "--", "/bin/true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	spawn = strstr(r.err, " helper-spawn ");
	clone = strstr(r.err, " clone ");
	cr_assert(spawn && clone, "%s", r.err);
	if (m == ROOT)
		cr_assert(spawn < clone, "helper spawned after the clone:\n%s", r.err);
	else
		cr_assert(spawn > clone, "%s", r.err);
	result_free(&r);
	dir_done(ws);
}
