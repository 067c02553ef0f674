/* The command line as an operator meets it: profile check/show, --dry-run, clear errors, and the
 * diagnosis when user namespaces are unavailable. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

DUAL_TEST(cli, profile_check_reports_each_file, .timeout = 30)
{
	char *d = tmpdir_for(m), good[512], bad[512];
	struct result r;

	snprintf(good, sizeof(good), "%s/good.json", d);
	snprintf(bad, sizeof(bad), "%s/bad.json", d);
	write_text(good, "{\"name\": \"good\", \"extends\": \"untrusted\"}");
	write_text(bad, "{\"name\": \"bad\", \"filesystem\": {\"bind\": [\"relative:/x\"]}}");
	cis_run(m, &r, NULL, ARGS("profile", "check", good, bad));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.out, "good.json: ok (good)"), "%s", r.out);
	cr_assert(strstr(r.err, "bad.json: filesystem.bind[0]: \"relative:/x\": source must be"),
	          "%s", r.err);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("profile", "check", good));
	cr_assert_eq(r.status, 0);
	result_free(&r);
	dir_done(d);
}

DUAL_TEST(cli, profile_show_resolves_extends, .timeout = 30)
{
	struct result r;

	cis_run(m, &r, NULL, ARGS("profile", "show", "trusted"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"name\":\t\"trusted\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"mode\":\t\"bind\""));
	cr_assert(strstr(r.out, "\"timeout\":\t\"6h\""), "inherited from untrusted: %s", r.out);
	cr_assert(strstr(r.out, "/etc/gitlab-runner"));
	result_free(&r);
}

/* The plan names what is mounted, hidden and passed, and leaks no caller value. */
DUAL_TEST(cli, dry_run_prints_plan, .timeout = 30)
{
	char *ws = tmpdir_for(m), path[512];
	struct result r;

	snprintf(path, sizeof(path), "%s/.credentials", ws);
	write_text(path, "x");
	cis_run(m, &r, ARGS("TERM=secret-looking-term"),
	        ARGS("run", "-w", ws, "--dry-run", "--tmpfs", "/cache", "-e", "X=1", "--", "make",
	             "test"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"command\":\t[\"make\", \"test\"]"), "%s", r.out);
	cr_assert(strstr(r.out, "\"dst\":\t\"/workspace/.credentials\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"dst\":\t\"/cache\""));
	cr_assert(strstr(r.out, "\"X\":\t\"1\""));
	cr_assert(strstr(r.out, "\"TERM\":\t\"(from caller)\""));
	cr_assert(!strstr(r.out, "secret-looking-term"));
	cr_assert(strstr(r.out, m == ROOT ? "\"host_uid\":\t2147418112" : "\"host_uid\":\t65534"));
	result_free(&r);
	dir_done(ws);
}

/* Without user namespaces the error says which knob and how to fix it. The limit is set to 0 in
 * a user namespace of the test's own, so the host is never touched. */
DUAL_TEST(cli, userns_disabled_is_explained, .timeout = 30)
{
	char *ws = tmpdir_for(m), cmd[1024];
	FILE *f;
	char out[2048] = "";
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd),
	         "%s unshare -Ur sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && "
	         "exec %s/cisandbox run -w %s -- true' 2>&1",
	         m == ROOTLESS ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "",
	         getenv("CIS_IT_DIR"), ws);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	cr_assert_eq(WEXITSTATUS(st), 125, "%s", out);
	cr_assert(strstr(out, "user.max_user_namespaces=0") && strstr(out, "sysctl -w"), "%s", out);
	dir_done(ws);
}

DUAL_TEST(cli, help_and_version, .timeout = 30)
{
	struct result r;

	cis_run(m, &r, NULL, ARGS("--help"));
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "cisandbox run [OPTIONS] [--] COMMAND"));
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("version"));
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "cisandbox ", 10) == 0);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("run", "--workspace-size", "huge", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, "cisandbox: --workspace-size huge: not a size (e.g. 512M, 4G)\n");
	result_free(&r);
}

DUAL_TEST(cli, verbose_reports_setup_and_teardown, .timeout = 30)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-v", "-w", ws, "--timeout", "1m", "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "cisandbox: profile untrusted (builtin:untrusted)"), "%s", r.err);
	cr_assert(strstr(r.err, m == ROOT ? "(launched as root)" : "(rootless)"), "%s", r.err);
	cr_assert(strstr(r.err, "time limit 1m"), "%s", r.err);
	cr_assert(strstr(r.err, "exit status 0 after"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* Golden --dry-run plans for every shipped profile, with a fixed workspace and environment.
 * Regenerate with CIS_UPDATE_GOLDEN=1 after an intended change, and review the diff. */
static void check_golden(enum mode m, const char *profile)
{
	char ws[64], name[128];
	struct result r;

	snprintf(ws, sizeof(ws), "/tmp/cis-golden-%s-%s", profile, m == ROOT ? "root" : "rootless");
	rm_rf(ws);
	cr_assert(mkdir(ws, 0755) == 0);
	if (m == ROOTLESS)
		cr_assert(chown(ws, 65534, 65534) == 0);
	cis_run(m, &r, ARGS("TERM=xterm", "HOME=/nonexistent"),
	        ARGS("run", "-p", profile, "-w", ws, "--dry-run", "--", "make", "test"));
	rm_rf(ws);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(name, sizeof(name), "%s.%s.json", profile, m == ROOT ? "root" : "rootless");
	golden_compare(name, r.out);
	result_free(&r);
}

DUAL_TEST(cli, dry_run_golden_untrusted, .timeout = 30)
{
	check_golden(m, "untrusted");
}

DUAL_TEST(cli, dry_run_golden_trusted, .timeout = 30)
{
	check_golden(m, "trusted");
}

/* `profile show` prints schema v1: what it prints of every shipped profile loads back. */
Test(cli, profile_show_loads_back, .timeout = 60)
{
	static const char *const names[] = {"untrusted",   "trusted",       "gitlab",
	                                    "github",      "forgejo",       "runner",
	                                    "github-hook", "forgejo-runner"};
	char *dir = tmpdir_for(ROOT);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct result r;
		char path[512];

		cis_run(ROOT, &r, NULL, ARGS("profile", "show", names[i]));
		cr_assert_eq(r.status, 0, "%s: %s", names[i], r.err);
		snprintf(path, sizeof(path), "%s/%s.json", dir, names[i]);
		write_text(path, r.out);
		result_free(&r);
		cis_run(ROOT, &r, NULL, ARGS("profile", "check", path));
		cr_assert_eq(r.status, 0, "profile show %s does not load back: %s", names[i],
		             r.err);
		result_free(&r);
	}
	dir_done(dir);
}
