/* guard.c — the launcher under a seccomp filter of what supervision needs (see guard.h). It
 * runs as the caller (host root when launched by root) beside a job it does not trust, reading
 * what that job sends (messages, seccomp notifications; DNS and flows go to netwatch.c): if a
 * bug there were ever exploited, what it could call is this list. An unlisted call fails with
 * EPERM; the ones that would hand an exploit the host (exec, ptrace, mounts, namespaces, module
 * and kernel loading, bpf, keyrings, io_uring) kill the launcher outright, which takes the
 * sandbox with it. */
#define _GNU_SOURCE
#include "guard.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>

/* Supervision: the poll loop, messages and notifications, signals and reaping, the timeout,
 * memory, the teardown of the cgroup and the file commands, the audit log and the journal. */
static const char *const allowed[] = {
    SECCOMP_RUNTIME,
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
    "getrusage",
    "waitid",
    "kill",
    "tgkill",
    "pidfd_send_signal",
    "timerfd_settime",
    "timerfd_gettime",
    "mprotect",
    "rt_sigaction",
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
    "rt_sigtimedwait",
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

const struct cis_seccomp_lists guard_lists = {SCMP_ACT_ERRNO(EPERM), allowed, ARRAY_SIZE(allowed),
                                              fatal, ARRAY_SIZE(fatal)};

int guard_install(void)
{
	return cis_seccomp_load_lists(&guard_lists);
}
