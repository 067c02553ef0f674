/* guard.c — the launcher under a seccomp filter of what supervision needs (see guard.h). It
 * runs as the caller (host root when launched by root) beside a job it does not trust, reading
 * what that job sends (messages, seccomp notifications; DNS and flows go to netwatch.c): if a
 * bug there were ever exploited, what it could call is this list. An unlisted call fails with
 * EPERM; the ones that would hand an exploit the host (exec, ptrace, mounts, namespaces, module
 * and kernel loading, bpf, keyrings, io_uring) kill the launcher outright, which takes the
 * sandbox with it. */
#define _GNU_SOURCE
#include "guard.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>

/* Supervision: the poll loop, messages and notifications, signals and reaping, the timeout,
 * memory, the teardown of the cgroup and the file commands, the audit log and the journal. */
static const char *const allowed[] = {
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "close",
    "openat",
    "newfstatat",
    "fstat",
    "statx",
    "lseek",
    "fcntl",
    "ioctl",
    "poll",
    "ppoll",
    "recvmsg",
    "sendmsg",
    "recvfrom",
    "sendto",
    "socket",
    "connect",
    "getsockopt",
    "setsockopt",
    "shutdown",
    "wait4",
    "waitid",
    "kill",
    "tgkill",
    "pidfd_send_signal",
    "timerfd_settime",
    "timerfd_gettime",
    "clock_gettime",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "getrandom",
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "madvise",
    "mprotect",
    "futex",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigprocmask",
    "rt_sigaction",
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getdents64",
    "unlinkat",
    "rmdir",
    "mkdirat",
    "readlink",
    "readlinkat",
    "ftruncate",
    "flock",
    "memfd_create",
    "fallocate",
    "seccomp",
    "restart_syscall",
    "sched_yield",
    "dup",
    "dup2",
    "dup3",
    "pipe2",
    "getcwd",
    "fstatfs",
    "statfs",
    "faccessat",
    "faccessat2",
    "access",
    "uname",
    "sysinfo",
    "fchmod",
    "fchmodat",
    "umask",
    "close_range",
    "prlimit64",
    "getrlimit",
    "sigaltstack",
    "arch_prctl",
    "set_robust_list",
};

/* What an exploited launcher would want first. */
static const char *const fatal[] = {
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "mount_setattr",
    "unshare",
    "setns",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "bpf",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "perf_event_open",
    "open_by_handle_at",
    "userfaultfd",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setgroups",
    "capset",
    "chroot",
    "personality",
};

static int add_all(scmp_filter_ctx ctx, const char *const *names, size_t n, uint32_t action)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, action, nr, 0)) < 0)
			return r;
	}
	return 0;
}

int guard_install(void)
{
	scmp_filter_ctx ctx;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (!(ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))))
		return -ENOMEM;
	r = add_all(ctx, allowed, ARRAY_SIZE(allowed), SCMP_ACT_ALLOW);
	if (r == 0)
		r = add_all(ctx, fatal, ARRAY_SIZE(fatal), SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
