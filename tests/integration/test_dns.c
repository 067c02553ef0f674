/* Egress by name: the sandbox's resolver forwards only allowed names to the world's DNS server
 * (dnsmasq in a namespace the test made, see world_up), and what it answers is what the job
 * may reach, for as long as the record lives. Never the host's resolver: the harness passes
 * --dns-upstream WORLD_DNS to every run in a world. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P "/probes/probe"
/* A black-hole DNS server some test started: gone with the test, whatever ends it. */
static pid_t hole_pid;

static void dns_fini(void)
{
	if (hole_pid > 0)
		kill(hole_pid, SIGKILL);
	world_cleanup();
}

TestSuite(dns, .fini = dns_fini);

static int count_lines(const char *text, const char *line)
{
	int n = 0;
	size_t l = strlen(line);

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		n += strncmp(p, line, l) == 0 && (p[l] == '\n' || !p[l]);
	return n;
}

/* The acceptance script of the issue: lookup and fetch by name, an unlisted name does not
 * resolve, its address is refused, and no other DNS server is reachable. */
DUAL_TEST(dns, allowed_name_only, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(
	    m, &r, ws, ARGS("--allow", "pkg.allowed.test:80"),
	    "cat /etc/resolv.conf; getent hosts pkg.allowed.test; " FETCH
	    "pkg.allowed.test 80; getent hosts evil.test || echo not found; " P
	    " tcp 203.0.113.7 80; " P " tcp 198.51.100.10 8443; "
	    "dig +short +time=1 +tries=1 @203.0.113.7 evil.test >/dev/null || echo dig failed; "
	    "dig +short +tcp pkg.allowed.test; dig +short +notcp pkg.allowed.test; "
	    "dig +short TXT pkg.allowed.test; "
	    "dig TXT evil.test | grep -o 'status: [A-Z]*'");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "nameserver 127.0.0.53\noptions edns0 timeout:2 attempts:1\n"
	                        "198.51.100.10   pkg.allowed.test\n"
	                        "hello 198.51.100.10:80\n"
	                        "not found\nECONNREFUSED\nECONNREFUSED\ndig failed\n"
	                        "198.51.100.10\n198.51.100.10\n"
	                        "\"v=test\"\nstatus: NXDOMAIN\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* "*.allowed.test" matches names below it, never the apex; matching ignores case and a
 * trailing dot. */
DUAL_TEST(dns, wildcard_not_apex, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("--allow", "*.Allowed.TEST.:80"),
	            "getent hosts A.B.allowed.test; " FETCH "a.b.allowed.test. 80; "
	            "getent hosts allowed.test || echo apex not found");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "198.51.100.10   A.B.allowed.test\nhello 198.51.100.10:80\n"
	                        "apex not found\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* A CNAME to an allowed target works; an allowed name that points at the metadata endpoint
 * (DNS rebinding) resolves, and the address stays refused. */
DUAL_TEST(dns, cname_and_rebinding, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws,
	            ARGS("--allow", "cdn.allowed.test:80", "--allow", "meta.allowed.test:80"),
	            "getent hosts cdn.allowed.test; " FETCH "cdn.allowed.test 80; "
	            "getent hosts meta.allowed.test; " P " tcp 169.254.169.254 80");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "198.51.100.10   pkg.allowed.test cdn.allowed.test\n"
	                        "hello 198.51.100.10:80\n"
	                        "169.254.169.254 meta.allowed.test\nEHOSTUNREACH\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* An address is allowed for its record's TTL (here 2 s, with dns_min_ttl lowered to 1), then
 * refused again. */
DUAL_TEST(dns, ttl_expiry, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), prof[512];
	struct result r;

	world_up(&wd);
	snprintf(prof, sizeof(prof), "%s/short.json", ws);
	write_text(prof, "{\"extends\": \"untrusted\", \"network\": {\"mode\": \"allowlist\", "
	                 "\"dns_min_ttl\": 1}}");
	run_sh_with(m, &r, ws, ARGS("-p", prof, "--allow", "short.allowed.test:80"),
	            P " tcp 198.51.100.10 80; " FETCH "short.allowed.test 80; " P
	              " tcp 198.51.100.10 80; sleep 4; " P " tcp 198.51.100.10 80");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ECONNREFUSED\nhello 198.51.100.10:80\nOK hello 198.51.100.10:80\n"
	                        "ECONNREFUSED\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* 120 addresses: the UDP answer is truncated, the client retries over TCP, and every address
 * arrives (and is allowed). */
DUAL_TEST(dns, large_answer_over_tcp, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("--allow", "big.allowed.test:80"),
	            "getent ahostsv4 big.allowed.test | awk '{print $1}' | sort -u | wc -l; "
	            "dig +tcp +short big.allowed.test | wc -l; "
	            "dig +notcp +noignore +short big.allowed.test | wc -l; " P
	            " tcp 198.51.100.10 80");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "120\n120\n120\nOK hello 198.51.100.10:80\n");
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* Denied names are in the --verbose summary and in the audit log, once per name and type. */
DUAL_TEST(dns, denied_names_reported, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), log[512], *text;
	struct result r;

	world_up(&wd);
	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	run_sh_with(m, &r, ws, ARGS("-v", "--audit-log", log, "--allow", "pkg.allowed.test:80"),
	            "getent ahostsv4 evil.test; getent ahostsv4 evil.test; "
	            "getent ahostsv4 pkg.allowed.test >/dev/null");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "names not allowed: evil.test A (2x)"), "%s", r.err);
	text = read_text(log);
	cr_assert(strstr(text, "\"event\":\"dns.deny\""), "%s", text);
	cr_assert(strstr(text, "\"name\":\"evil.test\",\"type\":\"A\""), "%s", text);
	cr_assert(strstr(text, "\"event\":\"dns.answer\"") &&
	              strstr(text, "\"name\":\"pkg.allowed.test\",\"type\":\"A\",\"addresses\":"
	                           "[\"198.51.100.10\"]"),
	          "%s", text);
	cr_assert_null(strstr(strstr(text, "dns.deny") + 1, "dns.deny"), "one event per name");
	free(text);
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* Audit mode resolves everything, and the suggested allowlist names the host, not its
 * address. */
DUAL_TEST(dns, audit_mode_suggests_names, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m);
	struct result r;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("-v", "--net", "audit"),
	            FETCH "pkg.allowed.test 80; " FETCH "evil.test 80; " P
	                  " tcp 198.51.100.10 8443");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "hello 198.51.100.10:80\nhello 203.0.113.7:80\n"
	                        "OK hello 198.51.100.10:8443\n");
	cr_assert(strstr(r.err, "dns: pkg.allowed.test A -> 198.51.100.10"), "%s", r.err);
	cr_assert(strstr(r.err, "suggested allowlist: --allow pkg.allowed.test:80 --allow "
	                        "evil.test:80 --allow pkg.allowed.test:8443"),
	          "%s", r.err);
	result_free(&r);
	world_down(&wd);
	dir_done(ws);
}

/* A first upstream that never answers costs each query one try; 40 parallel lookups still all
 * succeed within glibc's own retry budget, so none waited behind another. */
DUAL_TEST(dns, parallel_lookups_slow_upstream, .timeout = 90)
{
	struct world wd;
	char *ws = tmpdir_for(m), cmd[512];
	struct result r;
	FILE *hole;

	world_up(&wd);
	snprintf(cmd, sizeof(cmd),
	         "ip -n %s addr add 203.0.113.53/32 dev lo && exec ip netns exec %s python3 -c "
	         "'import os,socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
	         "s.bind((\"203.0.113.53\",53))\nprint(os.getpid(),flush=True)\n"
	         "while True: s.recv(512)'",
	         wd.s, wd.s);
	hole = popen(cmd, "r");
	cr_assert(hole && fgets(cmd, sizeof(cmd), hole), "black-hole DNS server did not start");
	hole_pid = atoi(cmd);
	run_sh_with(
	    m, &r, ws,
	    ARGS("--dns-upstream", "203.0.113.53", "--dns-upstream", WORLD_DNS, "--allow",
	         "pkg.allowed.test:80"),
	    "for i in $(seq 40); do (getent ahostsv4 pkg.allowed.test >/dev/null && echo ok) "
	    "& done; wait");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "ok"), 40, "%s", r.out);
	result_free(&r);
	kill(hole_pid, SIGKILL);
	hole_pid = 0;
	pclose(hole);
	world_down(&wd);
	dir_done(ws);
}

/* Start a DNS server in the world's S namespace at 203.0.113.53 that reads and never answers
 * (answer = 0), or answers every query with garbage (answer = 1). */
static FILE *bad_upstream(const struct world *wd, int answer)
{
	char cmd[768];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	         "ip -n %s addr add 203.0.113.53/32 dev lo 2>/dev/null; exec ip netns exec %s "
	         "python3 -c 'import os,socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
	         "s.bind((\"203.0.113.53\",53))\nprint(os.getpid(),flush=True)\n"
	         "while True:\n d,a=s.recvfrom(512)\n if %d: s.sendto(d[:2]+b\"garbage\",a)'",
	         wd->s, wd->s, answer);
	f = popen(cmd, "r");
	cr_assert(f && fgets(cmd, sizeof(cmd), f), "bad DNS server did not start");
	hole_pid = atoi(cmd);
	return f;
}

/* The only upstream is dead: the resolver answers SERVFAIL after its bounded timeout, the job's
 * resolv.conf does not retry on top of it, so `getent hosts` (an AAAA and an A lookup, one
 * after the other) fails in under 5 s, not 20; the audit log names the upstream. */
DUAL_TEST(dns, dead_upstream_fails_fast, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), *log;
	char logpath[300];
	struct result r;
	FILE *hole;
	int ms;

	world_up(&wd);
	hole = bad_upstream(&wd, 0);
	snprintf(logpath, sizeof(logpath), "%s/audit.log", ws);
	run_sh_with(m, &r, ws,
	            ARGS("--dns-upstream", "203.0.113.53", "--allow", "pkg.allowed.test:80",
	                 "--audit-log", logpath),
	            "s=$(date +%s%N); getent hosts pkg.allowed.test || echo failed; "
	            "echo $(( ($(date +%s%N) - s) / 1000000 ))");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "failed\n", 7) == 0, "%s", r.out);
	ms = atoi(r.out + 7);
	log = read_text(logpath);
	cr_assert(ms > 1000 && ms < 5000, "getent took %d ms: %s", ms, log);
	cr_assert(strstr(log, "\"event\":\"dns.upstream\"") &&
	              strstr(log, "\"upstream\":\"203.0.113.53:53\",\"problem\":\"timeout\""),
	          "%s", log);
	free(log);
	result_free(&r);
	kill(hole_pid, SIGKILL);
	hole_pid = 0;
	pclose(hole);
	world_down(&wd);
	dir_done(ws);
}

/* An upstream that answers garbage: SERVFAIL for the job (no answer checks out), and an audit
 * event that says what was wrong with it. */
DUAL_TEST(dns, garbage_upstream_audited, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), *log;
	char logpath[300];
	struct result r;
	FILE *bad;

	world_up(&wd);
	bad = bad_upstream(&wd, 1);
	snprintf(logpath, sizeof(logpath), "%s/audit.log", ws);
	run_sh_with(m, &r, ws,
	            ARGS("--dns-upstream", "203.0.113.53", "--allow", "pkg.allowed.test:80",
	                 "--audit-log", logpath),
	            "getent ahostsv4 pkg.allowed.test || echo failed");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "failed\n");
	log = read_text(logpath);
	cr_assert(strstr(log, "\"event\":\"dns.upstream\"") &&
	              strstr(log, "\"upstream\":\"203.0.113.53:53\""),
	          "%s", log);
	cr_assert(strstr(log, "\"problem\":\"message size\""), "%s", log);
	free(log);
	result_free(&r);
	kill(hole_pid, SIGKILL);
	hole_pid = 0;
	pclose(bad);
	world_down(&wd);
	dir_done(ws);
}

/* Malformed names, ports and servers: exit 125 naming the flag or field and what is wrong. */
DUAL_TEST(dns, bad_entries_refused, .timeout = 30)
{
	char *ws = tmpdir_for(m), prof[512];
	struct result r;
	static const struct {
		const char *flag, *value, *says;
	} cases[] = {
	    {"--allow", "pkg..allowed.test:80", "--allow pkg..allowed.test:80: empty label"},
	    {"--allow", "*pkg.test", "a wildcard must be"},
	    {"--allow", "a.*.test", "'*' is only allowed as the whole first label"},
	    {"--allow", "-x.test:80", "label starts with '-'"},
	    {"--allow", "pkg.test:99999", "port above 65535"},
	    {"--allow", "pkg.test:80/sctp", "port is not a number"},
	    {"--dns-upstream", "dns.example", "--dns-upstream dns.example: not an IPv4"},
	    {"--dns-upstream", "198.51.100.53/24", "without prefix"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cis_run(m, &r, NULL,
		        ARGS("run", "-w", ws, cases[i].flag, cases[i].value, "--", "true"));
		cr_assert_eq(r.status, 125, "%s %s", cases[i].flag, cases[i].value);
		cr_assert(strstr(r.err, cases[i].says), "%s", r.err);
		result_free(&r);
	}
	snprintf(prof, sizeof(prof), "%s/bad.json", ws);
	write_text(prof, "{\"network\": {\"mode\": \"allowlist\", \"dns_min_ttl\": 0}}");
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "-p", prof, "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "network.dns_min_ttl: must be a whole number"), "%s", r.err);
	result_free(&r);
	write_text(prof, "{\"network\": {\"mode\": \"allowlist\", \"dns_min_ttl\": 600, "
	                 "\"dns_max_ttl\": 60}}");
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "-p", prof, "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "dns_min_ttl 600 is above network.dns_max_ttl 60"), "%s", r.err);
	result_free(&r);
	write_text(prof, "{\"network\": {\"allow\": [\"ok.test:80\", \"bad_.-x.test\"]}}");
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "-p", prof, "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "network.allow[1]"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* Without --dns-upstream the resolver forwards to the nameservers of the launcher's own
 * /etc/resolv.conf: here one the test bind-mounts in a mount namespace of its own, naming the
 * world's server, so the host's resolver is never asked. */
DUAL_TEST(dns, default_upstream_from_resolv_conf, .timeout = 60)
{
	struct world wd;
	char *ws = tmpdir_for(m), conf[512], cmd[2048], *out;
	FILE *f;

	world_up(&wd);
	snprintf(conf, sizeof(conf), "%s/resolv.conf", ws);
	write_text(conf, "# a test's own\nnameserver " WORLD_DNS "\n");
	snprintf(cmd, sizeof(cmd),
	         "ip netns exec %s unshare -m sh -c 'mount --bind %s /etc/resolv.conf && "
	         "exec %s %s/cisandbox run -w %s --allow pkg.allowed.test:80 -- "
	         "getent hosts pkg.allowed.test' 2>&1",
	         wd.w, conf,
	         m == ROOTLESS ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "",
	         getenv("CIS_IT_DIR"), ws);
	f = popen(cmd, "r");
	cr_assert(f);
	out = unwarned(slurp(fileno(f)));
	cr_assert_eq(pclose(f), 0, "%s", out);
	cr_assert_str_eq(out, "198.51.100.10   pkg.allowed.test\n");
	free(out);
	world_down(&wd);
	dir_done(ws);
}
