/* Least privilege: capabilities, no_new_privs, setuid binaries, supplementary groups, the seccomp
 * filter (each denied call, foreign ABIs, TIOCSTI, reporting), and ordinary CI tools still
 * working under it. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define P "/probes/probe"

DUAL_TEST(privileges, status_fields, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws,
	       "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "
	       "/proc/self/status | tr -d '\\t'");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "CapInh:0000000000000000\nCapPrm:0000000000000000\n"
	                        "CapEff:0000000000000000\nCapBnd:0000000000000000\n"
	                        "CapAmb:0000000000000000\nNoNewPrivs:1\nSeccomp:2\n");
	result_free(&r);
	dir_done(ws);
}

static const char denied_expect[] =
    "unshare=EPERM\nsetns=EPERM\nmount=EPERM\numount2=EPERM\npivot_root=EPERM\n"
    "chroot=EPERM\nfsopen=EPERM\nopen_tree=EPERM\nmove_mount=EPERM\nmount_setattr=EPERM\n"
    "kexec_load=EPERM\ninit_module=EPERM\nfinit_module=EPERM\ndelete_module=EPERM\n"
    "reboot=EPERM\nswapon=EPERM\nacct=EPERM\niopl=EPERM\nioperm=EPERM\n"
    "settimeofday=EPERM\nclock_settime=EPERM\nsyslog=EPERM\nbpf=EPERM\n"
    "perf_event_open=EPERM\nuserfaultfd=EPERM\nkeyctl=EPERM\nadd_key=EPERM\n"
    "request_key=EPERM\nio_uring_setup=EPERM\nopen_by_handle_at=EPERM\n"
    "personality=EPERM\nclone3=ENOSYS\nclone(CLONE_NEWNET)=EPERM\n"
    "socket(AF_PACKET)=EPERM\nsocket(AF_KEY)=EPERM\nsocket(AF_VSOCK)=EPERM\n"
    "socket(AF_PACKET|1<<32)=EPERM\nsocket(MPTCP)=EPERM\n";

DUAL_TEST(privileges, denied_syscalls, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws, P " denied");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, denied_expect);
	result_free(&r);
	/* Without log_denied the same calls fail the same way (plain SECCOMP_RET_ERRNO). */
	{
		char prof[512], spec[600];

		snprintf(prof, sizeof(prof), "%s/quiet.json", ws);
		write_text(prof,
		           "{\"extends\": \"untrusted\", \"seccomp\": {\"log_denied\": false}}");
		snprintf(spec, sizeof(spec), "%s", probes_bind());
		cis_run(m, &r, NULL,
		        ARGS("run", "-p", prof, "-w", ws, "--ro-bind", spec, "--", P, "denied"));
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_str_eq(r.out, denied_expect);
		result_free(&r);
	}
	dir_done(ws);
}

/* Another ABI cannot dodge the filter: the i386 entry and x32 numbers kill the process. */
DUAL_TEST(privileges, foreign_abi_killed, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws, P " int80; echo \"int80 $?\"; " P " x32; echo \"x32 $?\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "int80 159\nx32 159\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(privileges, tiocsti_high_bits_refused, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws, P " tiocsti");
	cr_assert_str_eq(r.out, "EPERM\n");
	result_free(&r);
	dir_done(ws);
}

/* Each denial reaches the supervisor, which names it. */
DUAL_TEST(privileges, denials_reported, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL,
	        ARGS("run", "-v", "-w", ws, "--ro-bind", probes_bind(), "--", P, "keyctl-bpf"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "keyctl=EPERM bpf=EPERM\n");
	cr_assert(strstr(r.err, "seccomp denied 2 calls: keyctl (1x, first by pid"), "%s", r.err);
	cr_assert(strstr(r.err, "bpf (1x"), "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* A setuid-root binary gives nothing: neither a copy made by root nor the host's su. */
DUAL_TEST(privileges, setuid_gives_nothing, .timeout = 60)
{
	char *ws = tmpdir_for(m), *bin = tmpdir_for(ROOT), cmd[1024], spec[600];
	struct result r;

	snprintf(cmd, sizeof(cmd), "cp /usr/bin/id %s/id && chmod 4755 %s/id", bin, bin);
	cr_assert_eq(system(cmd), 0);
	snprintf(spec, sizeof(spec), "%s:/suid", bin);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--ro-bind", spec, "--", "sh", "-c",
	             "/suid/id -u; su -c true root </dev/null >/dev/null 2>&1 || echo su-refused"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1000\nsu-refused\n");
	result_free(&r);
	dir_done(ws);
	dir_done(bin);
}

/* Root launching with extra groups (say, docker): the job keeps none. Rootless, the kernel
 * forbids dropping them, and the launcher says so. */
DUAL_TEST(privileges, supplementary_groups, .timeout = 60)
{
	char *ws = tmpdir_for(m), cmd[1024], out[4096] = "";
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd),
	         "cd /tmp && setpriv %s --groups=27,999 %s/cisandbox run -w %s -- id -G 2>&1",
	         m == ROOTLESS ? "--reuid=65534 --regid=65534" : "", getenv("CIS_IT_DIR"), ws);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	cr_assert_eq(WEXITSTATUS(pclose(f)), 0, "%s", out);
	if (m == ROOT)
		cr_assert_str_eq(out, "1000\n");
	else
		cr_assert(strstr(out, "warning: 2 supplementary groups") &&
		              strstr(out, "1000 65534\n"),
		          "%s", out);
	dir_done(ws);
}

/* Ordinary CI work runs unchanged under the default profile (tests/compat/compat.sh). */
DUAL_TEST(privileges, compatibility_suite, .timeout = 180)
{
	char *ws = tmpdir_for(m), cmd[1024];
	struct result r;

	snprintf(cmd, sizeof(cmd), "cp -r %s/compat/. %s/ && chown -R %s %s", getenv("CIS_TESTS"),
	         ws, m == ROOT ? "root" : "65534:65534", ws);
	cr_assert_eq(system(cmd), 0);
	cis_run(m, &r, NULL, ARGS("run", "-v", "-w", ws, "--", "sh", "compat.sh"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "ok make\nok git\nok python\nok tar\nok pipeline\nok node"), "%s",
	          r.out);
	cr_assert(!strstr(r.err, "seccomp denied"), "ordinary work was denied: %s", r.err);
	result_free(&r);
	dir_done(ws);
}
