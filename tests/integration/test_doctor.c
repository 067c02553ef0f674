/* `cisandbox doctor`: each kind of host described by a fake root (CISANDBOX_DOCTOR_ROOT: files
 * under it, live probes' results in ROOT/probe/NAME), then the real host, where the memory and
 * pids controllers are on cgroup v1. Status, fix and exit status are checked; --json against
 * golden files. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY 65534

static void put(const char *root, const char *rel, const char *text)
{
	char path[512], cmd[700];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	write_text(path, text);
}

static void drop(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(unlink(path), 0, "%s", path);
}

#define CG "sys/fs/cgroup/system.slice/runner.service"

/* A healthy Debian 12 host: every check ok. The runner's cgroup is delegated to the caller. */
static char *fake_host(enum mode m)
{
	char *root = tmpdir_for(m), path[512];

	put(root, "proc/sys/kernel/unprivileged_userns_clone", "1\n");
	put(root, "proc/sys/user/max_user_namespaces", "15000\n");
	put(root, "proc/sys/dev/tty/legacy_tiocsti", "0\n");
	put(root, "proc/sys/kernel/yama/ptrace_scope", "1\n");
	put(root, "proc/self/mountinfo",
	    "22 1 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
	    "cgroup2 rw,nsdelegate\n"
	    "45 22 0:40 / /proc/sys/fs/binfmt_misc rw,relatime shared:25 - binfmt_misc "
	    "binfmt_misc rw\n");
	put(root, "proc/self/cgroup", "0::/system.slice/runner.service\n");
	put(root, "proc/self/status", "Name:\tcisandbox\nSeccomp:\t0\nSeccomp_filters:\t0\n");
	put(root, CG "/cgroup.controllers", "cpu memory pids\n");
	put(root, CG "/cgroup.kill", "");
	put(root, "dev/net/tun", "");
	snprintf(path, sizeof(path), "%s/dev/net/tun", root);
	chmod(path, 0666);
	if (m == ROOTLESS) {
		snprintf(path, sizeof(path), "chown -R %d:%d %s/%s", NOBODY, NOBODY, root, CG);
		cr_assert_eq(system(path), 0);
	}
	put(root, "probe/kernel", "6.1.0-13-amd64\n");
	put(root, "probe/userns", "ok\n");
	put(root, "probe/overlay", "ok\n");
	put(root, "probe/proc", "ok\n");
	put(root, "probe/nft", "ok\n");
	put(root, "probe/idmap", "ok\n");
	put(root, "probe/landlock", "3\n");
	put(root, "probe/seccomp_notif", "ok\n");
	put(root, "probe/slirp4netns", "slirp4netns version 1.2.0\n");
	put(root, "probe/pasta", "pasta 2023_03_29.b10b983\n");
	/* The uidmap package and the service account's subordinate ids (private files). */
	put(root, "usr/bin/newuidmap", "");
	put(root, "usr/bin/newgidmap", "");
	snprintf(path, sizeof(path), "chmod 4755 %s/usr/bin/newuidmap %s/usr/bin/newgidmap", root,
	         root);
	cr_assert_eq(system(path), 0);
	put(root, "etc/subuid", "nobody:100000:65536\n");
	put(root, "etc/subgid", "nobody:100000:65536\n");
	return root;
}

static void doctor(enum mode m, struct result *r, const char *root, const char *const *args)
{
	char env[600];

	snprintf(env, sizeof(env), "CISANDBOX_DOCTOR_ROOT=%s", root);
	cis_run(m, r, ARGS(env), args);
}

/* "STATUS ID ... DETAIL" on one line of the text output. */
static void assert_line(const char *out, const char *status, const char *id, const char *detail)
{
	char want[128];
	const char *at;

	snprintf(want, sizeof(want), "%-5s %-18s ", status, id);
	at = strstr(out, want);
	cr_assert(at, "no \"%s\" line in:\n%s", want, out);
	cr_assert(!detail || (strstr(at, detail) &&
	                      strstr(at, detail) < strchr(at, '\n') + strlen(detail) + 80),
	          "%s: want \"%s\" in:\n%s", id, detail, out);
}

static void assert_fix(const char *out, const char *id, const char *fix)
{
	char want[64];
	const char *at, *f;

	snprintf(want, sizeof(want), " %-18s ", id);
	at = strstr(out, want);
	cr_assert(at, "no %s in:\n%s", id, out);
	f = strstr(at, "\n      fix: ");
	cr_assert(f && f == strchr(at, '\n'), "%s has no fix:\n%s", id, out);
	cr_assert(strstr(f, fix) && strstr(f, fix) < strchr(f + 1, '\n'),
	          "%s: want fix \"%s\":\n%s", id, fix, out);
}

DUAL_TEST(doctor, healthy_host_is_all_ok, .timeout = 30)
{
	char *root = fake_host(m), name[64];
	struct result r;

	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(!strstr(r.out, "warn ") && !strstr(r.out, "fail "), "%s", r.out);
	cr_assert(strstr(r.out, "result: this host keeps the profile's promises"), "%s", r.out);
	result_free(&r);
	doctor(m, &r, root, ARGS("doctor", "--json"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(name, sizeof(name), "doctor-healthy.%s.json", m == ROOT ? "root" : "rootless");
	golden_compare(name, r.out);
	result_free(&r);
	dir_done(root);
}

DUAL_TEST(doctor, userns_off_names_the_sysctl, .timeout = 30)
{
	char *root = fake_host(m);
	struct result r;

	put(root, "proc/sys/kernel/unprivileged_userns_clone", "0\n");
	put(root, "probe/userns", "EPERM\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "userns", "kernel.unprivileged_userns_clone=0");
	assert_fix(r.out, "userns", "sysctl -w kernel.unprivileged_userns_clone=1");
	assert_line(r.out, "fail", "sandbox", "no user namespace can be made");
	result_free(&r);
	/* Upstream's knob. */
	put(root, "proc/sys/kernel/unprivileged_userns_clone", "1\n");
	put(root, "proc/sys/user/max_user_namespaces", "0\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_fix(r.out, "userns", "sysctl -w user.max_user_namespaces=15000");
	result_free(&r);
	dir_done(root);
}

/* Ubuntu 24.04: kernel.apparmor_restrict_unprivileged_userns=1. */
DUAL_TEST(doctor, apparmor_restriction_points_at_our_profile, .timeout = 30)
{
	char *root = fake_host(m);
	struct result r;

	put(root, "proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
	put(root, "sys/module/apparmor/parameters/enabled", "Y\n");
	put(root, "sys/kernel/security/apparmor/profiles", "bwrap (unconfined)\n");
	put(root, "probe/userns", "EACCES\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "userns", "refused by AppArmor");
	assert_line(r.out, "fail", "apparmor", "no profile grants them to cisandbox");
	assert_fix(r.out, "apparmor", "install /etc/apparmor.d/cisandbox");
	assert_fix(r.out, "apparmor", "apparmor_parser -r /etc/apparmor.d/cisandbox");
	result_free(&r);
	/* Installed, not loaded. */
	put(root, "etc/apparmor.d/cisandbox", "profile cisandbox /usr/bin/cisandbox {}\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "apparmor", "is installed but not loaded");
	assert_fix(r.out, "apparmor", "apparmor_parser -r /etc/apparmor.d/cisandbox");
	result_free(&r);
	/* Loaded: the restriction stays, and user namespaces work for us. */
	put(root, "sys/kernel/security/apparmor/profiles",
	    "bwrap (unconfined)\ncisandbox (unconfined)\n");
	put(root, "probe/userns", "ok\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	assert_line(r.out, "ok", "apparmor", "profile cisandbox is loaded");
	assert_line(r.out, "ok", "userns", "available");
	result_free(&r);
	dir_done(root);
}

static char *limits_profile(enum mode m, const char *limits)
{
	char *dir = tmpdir_for(m), path[512], text[512];

	snprintf(path, sizeof(path), "%s/lim.json", dir);
	snprintf(text, sizeof(text),
	         "{\"version\": 1, \"name\": \"lim\", \"extends\": \"untrusted\", \"limits\": %s}",
	         limits);
	write_text(path, text);
	return dir;
}

/* memory and pids on cgroup v1 only, as on the project machine. */
DUAL_TEST(doctor, cgroup_v1_host_falls_back_to_rlimits, .timeout = 30)
{
	char *root = fake_host(m), *pd = limits_profile(m, "{\"memory\": \"1G\", \"pids\": 100}");
	char prof[512], name[64];
	struct result r;

	put(root, "proc/self/mountinfo",
	    "22 1 0:5 / /proc rw - proc proc rw\n"
	    "31 24 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	    "32 24 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n");
	put(root, "proc/self/cgroup", "5:memory:/\n4:pids:/\n3:cpu,cpuacct:/\n");
	snprintf(prof, sizeof(prof), "%s/lim.json", pd);
	doctor(m, &r, root, ARGS("doctor", "--profile", prof));
	cr_assert_eq(r.status, 0, "fallbacks keep the promise: %s%s", r.out, r.err);
	assert_line(r.out, "warn", "cgroup", "cgroup v2: not mounted");
	assert_fix(r.out, "cgroup", "systemd.unified_cgroup_hierarchy=1");
	assert_line(r.out, "warn", "limits.memory", "falls back to RLIMIT_DATA (no cgroup v2)");
	assert_line(r.out, "warn", "limits.pids", "falls back to RLIMIT_NPROC");
	result_free(&r);
	doctor(m, &r, root, ARGS("doctor", "--json", "--profile", prof));
	snprintf(name, sizeof(name), "doctor-cgroup-v1.%s.json", m == ROOT ? "root" : "rootless");
	golden_compare(name, r.out);
	result_free(&r);
	dir_done(pd);
	/* A cpu limit has no fallback; limits.require_cgroup makes the others promises too. */
	pd = limits_profile(m, "{\"cpus\": 2}");
	snprintf(prof, sizeof(prof), "%s/lim.json", pd);
	doctor(m, &r, root, ARGS("doctor", "--profile", prof));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "limits.cpus", "cpu limit: not enforceable: no cgroup v2");
	result_free(&r);
	dir_done(pd);
	pd = limits_profile(m, "{\"memory\": \"1G\", \"require_cgroup\": true}");
	snprintf(prof, sizeof(prof), "%s/lim.json", pd);
	doctor(m, &r, root, ARGS("doctor", "--profile", prof));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "limits.memory", "(limits.require_cgroup)");
	result_free(&r);
	dir_done(pd);
	dir_done(root);
}

/* cgroup v2, but the runner's cgroup is not the caller's to write, or lacks controllers. */
DUAL_TEST(doctor, undelegated_cgroup_names_delegate, .timeout = 30)
{
	char *root = fake_host(m);
	struct result r;

	put(root, CG "/cgroup.controllers", "memory\n");
	doctor(m, &r, root, ARGS("doctor"));
	assert_line(r.out, "warn", "cgroup", "missing pids cpu");
	assert_fix(r.out, "cgroup", "Delegate=memory pids cpu");
	assert_line(r.out, "warn", "limits.pids", "no cgroup v2 pids controller");
	result_free(&r);
	if (m == ROOTLESS) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "chown -R 0:0 %s/%s", root, CG);
		cr_assert_eq(system(cmd), 0);
		doctor(m, &r, root, ARGS("doctor"));
		assert_line(r.out, "warn", "cgroup", "is not delegated to this user");
		assert_fix(r.out, "cgroup", "Delegate=");
		result_free(&r);
	}
	dir_done(root);
}

DUAL_TEST(doctor, no_tun_means_no_egress, .timeout = 30)
{
	char *root = fake_host(m), *pd = tmpdir_for(m), prof[512];
	struct result r;

	drop(root, "dev/net/tun");
	snprintf(prof, sizeof(prof), "%s/net.json", pd);
	write_text(prof, "{\"version\": 1, \"name\": \"net\", \"extends\": \"untrusted\", "
	                 "\"network\": {\"mode\": \"allowlist\", \"allow\": [\"192.0.2.1:443\"]}}");
	doctor(m, &r, root, ARGS("doctor", "--profile", prof));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "warn", "tun", "/dev/net/tun: missing");
	assert_fix(r.out, "tun", "modprobe tun");
	assert_line(r.out, "fail", "egress", "not available");
	result_free(&r);
	/* The default profile has no egress: nothing it promises needs tun. */
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	result_free(&r);
	dir_done(pd);
	dir_done(root);
}

/* 5.10: no Landlock, no cgroup.kill, no legacy_tiocsti knob. */
DUAL_TEST(doctor, old_kernel, .timeout = 30)
{
	char *root = fake_host(m);
	struct result r;

	put(root, "probe/kernel", "5.10.0-26-amd64\n");
	put(root, "probe/landlock", "0\n");
	drop(root, CG "/cgroup.kill");
	drop(root, "proc/sys/dev/tty/legacy_tiocsti");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "kernel 5.10.0-26-amd64"), "%s", r.out);
	assert_line(r.out, "warn", "landlock", "not available");
	assert_fix(r.out, "landlock", "kernel >= 5.13");
	assert_line(r.out, "warn", "cgroup.kill", "absent (kernel older than 5.14)");
	assert_line(r.out, "ok", "tiocsti", "absent");
	assert_line(r.out, "ok", "teardown", "no cgroup.kill");
	result_free(&r);
	dir_done(root);
}

/* A runner pod under a runtime's defaults: /proc masked, a seccomp filter refusing unshare. */
DUAL_TEST(doctor, container_names_the_pod_settings, .timeout = 30)
{
	char *root = fake_host(m);
	struct result r;

	put(root, "proc/self/mountinfo",
	    "600 500 0:50 / / rw - overlay overlay rw\n"
	    "601 600 0:52 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
	    "602 601 0:5 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw\n"
	    "603 601 0:5 /null /proc/keys rw,nosuid - tmpfs tmpfs rw\n"
	    "604 601 0:53 / /proc/acpi ro,relatime - tmpfs tmpfs ro\n");
	put(root, "proc/self/cgroup", "0::/\n");
	put(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
	put(root, "proc/self/status", "Name:\tcisandbox\nSeccomp:\t2\nSeccomp_filters:\t1\n");
	put(root, "var/run/secrets/kubernetes.io/serviceaccount/token", "x");
	put(root, "probe/userns", "EPERM\n");
	put(root, "probe/proc", "EPERM\n");
	doctor(m, &r, root, ARGS("doctor"));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	assert_line(r.out, "fail", "userns", "by a seccomp filter");
	assert_line(r.out, "fail", "container", "inside a container (kubernetes)");
	assert_line(r.out, "fail", "container", "/proc/kcore /proc/keys /proc/acpi");
	assert_fix(r.out, "container", "securityContext.seccompProfile.type: Unconfined");
	assert_fix(r.out, "container", "securityContext.procMount: Unmasked");
	result_free(&r);
	dir_done(root);
}

DUAL_TEST(doctor, bad_input_names_the_flag, .timeout = 30)
{
	struct result r;

	cis_run(m, &r, NULL, ARGS("doctor", "--bogus"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "cisandbox: doctor --bogus: unknown option"), "%s", r.err);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("doctor", "--profile"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "doctor --profile: missing NAME"), "%s", r.err);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("doctor", "--profile", "no-such-profile"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "doctor --profile: ") && strstr(r.err, "no-such-profile"), "%s",
	          r.err);
	result_free(&r);
}

/* The real machine: memory and pids on cgroup v1, so untrusted's pids limit is an rlimit. */
DUAL_TEST(doctor, this_host_says_which_limits_fall_back, .timeout = 60)
{
	struct result r;

	cis_run(m, &r, NULL, ARGS("doctor", "--profile", "untrusted"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	assert_line(r.out, "ok", "userns", "available");
	assert_line(r.out, "warn", "limits.pids", "pids limit: falls back to RLIMIT_NPROC");
	assert_line(r.out, "ok", "sandbox", "available");
	cr_assert(strstr(r.out, m == ROOT ? "as root" : "rootless"), "%s", r.out);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("doctor", "--json"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"id\":\t\"limits.pids\""), "%s", r.out);
	result_free(&r);
}

/* ---- a container-like place of the test's making: the masks a runtime puts over /proc and a
 * default-style seccomp filter (unshare/clone with namespace flags EPERM, clone3 ENOSYS) ---- */

#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

/* BPF_STMT and BPF_JUMP, with every field named for -Wextra. */
#define STMT(c, v)                                                                                 \
	{                                                                                          \
		.code = (c), .jt = 0, .jf = 0, .k = (v)                                            \
	}
#define JUMP(c, v, t, f)                                                                           \
	{                                                                                          \
		.code = (c), .jt = (t), .jf = (f), .k = (v)                                        \
	}

static int runtime_default_filter(void)
{
	struct sock_filter f[] = {
	    STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
	    STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 1, 0),
	    JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
	    STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1),
	    STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The masks Docker and containerd put on a container's /proc (procMount: Default). */
static int mask_proc(void)
{
	static const char *const files[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list"};

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (access(files[i], F_OK) == 0 &&
		    mount("/dev/null", files[i], NULL, MS_BIND, NULL) < 0)
			return -1;
	return mount("tmpfs", "/proc/scsi", "tmpfs", MS_RDONLY, NULL) < 0 && errno != ENOENT ? -1
	                                                                                     : 0;
}

/* Run cisandbox with args in the place, as root or nobody; output (both streams) in *out. */
static int in_pod(enum mode m, bool filter, const char *const *args, char **out)
{
	int pfd[2];
	pid_t pid;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		char bin[256];
		const char *argv[16] = {bin};
		char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		                "KUBERNETES_SERVICE_HOST=10.96.0.1", NULL};
		int a = 1;

		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		if (mask_proc() < 0 || (filter && runtime_default_filter() < 0))
			_exit(99);
		if (m == ROOTLESS &&
		    (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		     setresuid(NOBODY, NOBODY, NOBODY) < 0))
			_exit(98);
		snprintf(bin, sizeof(bin), "%s/cisandbox", getenv("CIS_IT_DIR"));
		for (; *args && a < 15; args++)
			argv[a++] = *args;
		argv[a] = NULL;
		chdir("/tmp");
		execve(bin, (char **)argv, envp);
		_exit(97);
	}
	close(pfd[1]);
	*out = slurp(pfd[0]);
	close(pfd[0]);
	return wait_status(pid);
}

DUAL_TEST(doctor, pod_with_runtime_defaults, .timeout = 60)
{
	char *out;
	int st;

	st = in_pod(m, true, ARGS("doctor"), &out);
	cr_assert_eq(st, 1, "%s", out);
	assert_line(out, "fail", "userns", "by a seccomp filter");
	assert_line(out, "fail", "container", "inside a container (kubernetes); masked /proc: ");
	cr_assert(strstr(out, "/proc/keys"), "%s", out);
	assert_fix(out, "container", "securityContext.seccompProfile.type: Unconfined");
	assert_fix(out, "container", "securityContext.procMount: Unmasked");
	free(out);
	st = in_pod(m, true, ARGS("run", "--", "true"), &out);
	cr_assert_eq(st, 125, "%s", out);
	cr_assert(strstr(out, "seccompProfile") && strstr(out, "cisandbox doctor"), "%s", out);
	free(out);
}

/* seccomp unconfined, /proc still masked: namespaces work, a fresh /proc does not. */
DUAL_TEST(doctor, pod_with_masked_proc, .timeout = 60)
{
	char *out;
	int st;

	st = in_pod(m, false, ARGS("doctor"), &out);
	cr_assert_eq(st, 1, "%s", out);
	assert_line(out, "ok", "userns", "available");
	assert_line(out, "fail", "proc", "/proc is masked: ");
	assert_fix(out, "container", "securityContext.procMount: Unmasked");
	cr_assert(!strstr(out, "seccompProfile"), "%s", out);
	free(out);
	st = in_pod(m, false, ARGS("run", "--", "true"), &out);
	cr_assert_eq(st, 125, "%s", out);
	cr_assert(strstr(out, "procMount: Unmasked") && strstr(out, "cisandbox doctor"), "%s", out);
	free(out);
}

/* run never degrades silently: here (cgroup v1 cpu) a cpu limit is enforced by nothing. */
DUAL_TEST(doctor, run_warns_of_an_unenforced_cpu_limit, .timeout = 30)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--cpus", "1", "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "cisandbox: warning: cpu limit not enforced: ") &&
	              strstr(r.err, "see 'cisandbox doctor --profile untrusted'"),
	          "%s", r.err);
	result_free(&r);
	dir_done(ws);
}

/* Private host files: hidden as root (the job is another uid) or rootless with the uidmap
 * helpers and subordinate ids; without them a warning with the fix, and a profile that requires
 * it fails. */
DUAL_TEST(doctor, private_files_need_subordinate_ids, .timeout = 30)
{
	char *root = fake_host(m), *prof = cat(root, "/strict.json");
	struct result r;

	doctor(m, &r, root, ARGS("doctor"));
	assert_line(r.out, "ok", "filesystem.private",
	            m == ROOT ? "yes (the job is another uid"
	                      : "yes (subordinate ids 100000/100000)");
	result_free(&r);
	drop(root, "etc/subuid");
	write_text(prof,
	           "{\"extends\": \"untrusted\", \"filesystem\": {\"private\": \"require\"}}");
	chmod(prof, 0644);
	doctor(m, &r, root, ARGS("doctor", "--profile", prof));
	if (m == ROOT) {
		assert_line(r.out, "ok", "filesystem.private", "yes");
	} else {
		cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
		assert_line(r.out, "fail", "filesystem.private",
		            "no (no /etc/subuid and /etc/subgid entry for nobody)");
		assert_fix(r.out, "filesystem.private", "usermod --add-subuids 100000-165535");
	}
	result_free(&r);
	dir_done(root);
}
