/* Secrets as files, only to the tier that may have them (issue #14, part 2): a trusted-tier run
 * gets --secret NAME=@FILE as /run/secrets/NAME (0400, the job's uid, read-only) and nowhere
 * else (not its environment, not /proc/1/environ, not the audit log); --secret-env adds it to
 * the environment; an untrusted-tier run refuses it with 125 naming it; bad input names the
 * flag or field. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VALUE "v4lue-0f-the-s3cret"

static void cleanup(void)
{
	char f[64];

	snprintf(f, sizeof(f), "/tmp/cis-secret-%d", getpid());
	unlink(f);
}

TestSuite(secrets, .fini = cleanup);

static char *secret_file(enum mode m)
{
	char *f = NULL;

	cr_assert(asprintf(&f, "/tmp/cis-secret-%d", getpid()) > 0);
	write_text(f, VALUE "\n");
	cr_assert(chmod(f, 0600) == 0);
	if (m == ROOTLESS)
		cr_assert(chown(f, 65534, 65534) == 0);
	return f;
}

DUAL_TEST(secrets, file_only_trusted, .timeout = 60)
{
	char *ws = tmpdir_for(m), *f = secret_file(m), spec[128], log[128];
	const char *flags[] = {"-p", "trusted", "--secret", spec, "--audit-log", log, NULL};
	struct result r;
	char *audit;

	snprintf(spec, sizeof(spec), "tok=@%s", f);
	snprintf(log, sizeof(log), "%s/audit.jsonl", ws);
	run_sh_with(m, &r, ws, flags,
	            "stat -c '%a %u %g' /run/secrets/tok; cat /run/secrets/tok; "
	            "env | grep -c v4lue; (cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n' | "
	            "grep -c v4lue) || true; (touch /run/secrets/x) 2>/dev/null || echo ro");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "400 1000 1000\n" VALUE "\n0\n0\nro\n");
	audit = read_text(log);
	cr_assert(audit && strstr(audit, "sandbox.create") && !strstr(audit, VALUE), "%s", audit);
	free(audit);
	result_free(&r);
	unlink(f);
	free(f);
	dir_done(ws);
}

DUAL_TEST(secrets, secret_env, .timeout = 60)
{
	char *ws = tmpdir_for(m), *f = secret_file(m), spec[128];
	const char *flags[] = {"-p", "trusted", "--secret", spec, "--secret-env", "tok", NULL};
	struct result r;

	snprintf(spec, sizeof(spec), "tok=@%s", f);
	run_sh_with(m, &r, ws, flags, "echo \"$tok\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, VALUE "\n");
	result_free(&r);
	unlink(f);
	free(f);
	dir_done(ws);
}

DUAL_TEST(secrets, untrusted_refuses, .timeout = 60)
{
	char *ws = tmpdir_for(m), *f = secret_file(m), spec[128];
	const char *flags[] = {"--secret", spec, NULL};
	struct result r;

	snprintf(spec, sizeof(spec), "tok=@%s", f);
	run_sh_with(m, &r, ws, flags, "echo ran");
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "--secret tok: refused: the run's tier is untrusted"), "%s", r.err);
	result_free(&r);
	unlink(f);
	free(f);
	dir_done(ws);
}

DUAL_TEST(secrets, bad_input, .timeout = 60)
{
	char *ws = tmpdir_for(m), prof[128];
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-p", "trusted", "--secret", "tok=value", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "--secret tok=value: must be NAME=@FILE"), "%s", r.err);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("run", "-p", "trusted", "--secret-env", "nope", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "--secret-env nope: no --secret"), "%s", r.err);
	result_free(&r);
	snprintf(prof, sizeof(prof), "%s/p.json", ws);
	write_text(prof, "{\"version\": 1, \"name\": \"x\", \"tier\": \"root\"}");
	chmod(prof, 0644);
	cis_run(m, &r, NULL, ARGS("run", "-p", prof, "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "tier") && strstr(r.err, "must be trusted or untrusted"), "%s",
	          r.err);
	result_free(&r);
	dir_done(ws);
}
