/* seccomp.c — the syscall allowlist. Policy resolution and compilation run in the launcher
 * (compiled once, before clone); only cis_seccomp_load runs in the job, as its last step.
 *
 * Anything not allowed gets the profile's errno, through seccomp user notification when
 * log_denied is set, so that the supervisor learns and reports each denial; allowed syscalls
 * never leave the kernel. Syscalls whose danger is in an argument are allowed only for safe
 * values, compared on the low 32 bits the kernel actually uses. Foreign ABIs (i386 int $0x80,
 * x32) kill the process: a filter written for one ABI says nothing about another's numbers. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define END NULL

/* Named groups (systemd's @group idea, contents after the Docker/Podman default policy). */
static const char *const g_default[] = {"arch_prctl",
                                        "brk",
                                        "exit",
                                        "exit_group",
                                        "futex",
                                        "futex_waitv",
                                        "getpid",
                                        "gettid",
                                        "getrandom",
                                        "restart_syscall",
                                        "rseq",
                                        "rt_sigreturn",
                                        "sched_yield",
                                        "set_robust_list",
                                        "get_robust_list",
                                        "set_tid_address",
                                        "set_thread_area",
                                        "get_thread_area",
                                        "uname",
                                        "getuid",
                                        "geteuid",
                                        "getgid",
                                        "getegid",
                                        "getresuid",
                                        "getresgid",
                                        "getgroups",
                                        "getppid",
                                        "getpgrp",
                                        "getpgid",
                                        "getsid",
                                        "getcpu",
                                        "sysinfo",
                                        "getrlimit",
                                        "prlimit64",
                                        "setrlimit",
                                        "getrusage",
                                        "times",
                                        "umask",
                                        "membarrier",
                                        "capget",
                                        "capset",
                                        "prctl",
                                        "seccomp",
                                        "personality",
                                        END};
static const char *const g_basic_io[] = {
    "read",    "write",   "readv",    "writev",          "pread64", "pwrite64",    "preadv",
    "pwritev", "preadv2", "pwritev2", "lseek",           "close",   "close_range", "dup",
    "dup2",    "dup3",    "fcntl",    "ioctl",           "pipe",    "pipe2",       "sendfile",
    "splice",  "tee",     "vmsplice", "copy_file_range", END};
static const char *const g_file_system[] = {"open",
                                            "openat",
                                            "openat2",
                                            "creat",
                                            "stat",
                                            "fstat",
                                            "lstat",
                                            "newfstatat",
                                            "statx",
                                            "statfs",
                                            "fstatfs",
                                            "access",
                                            "faccessat",
                                            "faccessat2",
                                            "chdir",
                                            "fchdir",
                                            "getcwd",
                                            "mkdir",
                                            "mkdirat",
                                            "rmdir",
                                            "rename",
                                            "renameat",
                                            "renameat2",
                                            "link",
                                            "linkat",
                                            "unlink",
                                            "unlinkat",
                                            "symlink",
                                            "symlinkat",
                                            "readlink",
                                            "readlinkat",
                                            "chmod",
                                            "fchmod",
                                            "fchmodat",
                                            "fchmodat2",
                                            "chown",
                                            "fchown",
                                            "lchown",
                                            "fchownat",
                                            "truncate",
                                            "ftruncate",
                                            "fallocate",
                                            "utime",
                                            "utimes",
                                            "utimensat",
                                            "futimesat",
                                            "getdents",
                                            "getdents64",
                                            "mknod",
                                            "mknodat",
                                            "fsync",
                                            "fdatasync",
                                            "sync",
                                            "syncfs",
                                            "sync_file_range",
                                            "flock",
                                            "fadvise64",
                                            "readahead",
                                            "memfd_create",
                                            "getxattr",
                                            "lgetxattr",
                                            "fgetxattr",
                                            "listxattr",
                                            "llistxattr",
                                            "flistxattr",
                                            "setxattr",
                                            "lsetxattr",
                                            "fsetxattr",
                                            "removexattr",
                                            "lremovexattr",
                                            "fremovexattr",
                                            "inotify_init",
                                            "inotify_init1",
                                            "inotify_add_watch",
                                            "inotify_rm_watch",
                                            "name_to_handle_at",
                                            "landlock_create_ruleset",
                                            "landlock_add_rule",
                                            "landlock_restrict_self",
                                            "cachestat",
                                            END};
static const char *const g_io_event[] = {
    "epoll_create",   "epoll_create1",   "epoll_ctl",       "epoll_ctl_old",
    "epoll_wait",     "epoll_wait_old",  "epoll_pwait",     "epoll_pwait2",
    "poll",           "ppoll",           "select",          "pselect6",
    "eventfd",        "eventfd2",        "signalfd",        "signalfd4",
    "timerfd_create", "timerfd_settime", "timerfd_gettime", END};
static const char *const g_ipc[] = {
    "shmget",          "shmat",      "shmdt",         "shmctl",    "semget",
    "semop",           "semtimedop", "semctl",        "msgget",    "msgsnd",
    "msgrcv",          "msgctl",     "mq_open",       "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify",  "mq_getsetattr", END};
static const char *const g_memory[] = {"mmap",
                                       "munmap",
                                       "mprotect",
                                       "mremap",
                                       "madvise",
                                       "msync",
                                       "mincore",
                                       "mlock",
                                       "mlock2",
                                       "munlock",
                                       "mlockall",
                                       "munlockall",
                                       "remap_file_pages",
                                       "get_mempolicy",
                                       "set_mempolicy",
                                       "set_mempolicy_home_node",
                                       "mbind",
                                       "pkey_alloc",
                                       "pkey_free",
                                       "pkey_mprotect",
                                       "process_mrelease",
                                       END};
static const char *const g_network_io[] = {
    "socket",      "socketpair",  "bind",       "listen",     "accept",  "accept4", "connect",
    "getsockname", "getpeername", "sendto",     "recvfrom",   "sendmsg", "recvmsg", "sendmmsg",
    "recvmmsg",    "shutdown",    "setsockopt", "getsockopt", END};
static const char *const g_process[] = {"clone",
                                        "clone3",
                                        "fork",
                                        "vfork",
                                        "execve",
                                        "execveat",
                                        "wait4",
                                        "waitid",
                                        "kill",
                                        "tkill",
                                        "tgkill",
                                        "setpgid",
                                        "setsid",
                                        "getpriority",
                                        "setpriority",
                                        "sched_getparam",
                                        "sched_setparam",
                                        "sched_getscheduler",
                                        "sched_setscheduler",
                                        "sched_get_priority_max",
                                        "sched_get_priority_min",
                                        "sched_rr_get_interval",
                                        "sched_getaffinity",
                                        "sched_setaffinity",
                                        "sched_getattr",
                                        "sched_setattr",
                                        "ioprio_get",
                                        "ioprio_set",
                                        "setuid",
                                        "setgid",
                                        "setreuid",
                                        "setregid",
                                        "setresuid",
                                        "setresgid",
                                        "setfsuid",
                                        "setfsgid",
                                        "setgroups",
                                        "pidfd_open",
                                        "pidfd_send_signal",
                                        "process_madvise",
                                        END};
static const char *const g_signal[] = {"rt_sigaction",
                                       "rt_sigprocmask",
                                       "rt_sigpending",
                                       "rt_sigsuspend",
                                       "rt_sigtimedwait",
                                       "rt_sigqueueinfo",
                                       "rt_tgsigqueueinfo",
                                       "sigaltstack",
                                       "pause",
                                       "alarm",
                                       END};
static const char *const g_timer[] = {"nanosleep",     "clock_nanosleep",
                                      "clock_gettime", "clock_getres",
                                      "gettimeofday",  "time",
                                      "getitimer",     "setitimer",
                                      "timer_create",  "timer_settime",
                                      "timer_gettime", "timer_getoverrun",
                                      "timer_delete",  END};
static const char *const g_aio[] = {"io_setup",     "io_destroy",    "io_submit", "io_cancel",
                                    "io_getevents", "io_pgetevents", END};
/* Sanitizers and debuggers need these; the PID namespace leaves only the job to trace. */
static const char *const g_debug[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", END};
/* Never in a group: allowed only when a profile names each one. */
static const char *const g_privileged[] = {"unshare",
                                           "setns",
                                           "mount",
                                           "umount",
                                           "umount2",
                                           "pivot_root",
                                           "chroot",
                                           "fsopen",
                                           "fsconfig",
                                           "fsmount",
                                           "fspick",
                                           "move_mount",
                                           "open_tree",
                                           "mount_setattr",
                                           "kexec_load",
                                           "kexec_file_load",
                                           "init_module",
                                           "finit_module",
                                           "delete_module",
                                           "reboot",
                                           "swapon",
                                           "swapoff",
                                           "acct",
                                           "iopl",
                                           "ioperm",
                                           "settimeofday",
                                           "clock_settime",
                                           "clock_adjtime",
                                           "adjtimex",
                                           "syslog",
                                           "bpf",
                                           "perf_event_open",
                                           "userfaultfd",
                                           "keyctl",
                                           "add_key",
                                           "request_key",
                                           "io_uring_setup",
                                           "io_uring_enter",
                                           "io_uring_register",
                                           "open_by_handle_at",
                                           "lookup_dcookie",
                                           "quotactl",
                                           "quotactl_fd",
                                           "vhangup",
                                           "sethostname",
                                           "setdomainname",
                                           "fanotify_init",
                                           "fanotify_mark",
                                           "migrate_pages",
                                           "move_pages",
                                           "nfsservctl",
                                           "uselib",
                                           "ustat",
                                           "sysfs",
                                           "_sysctl",
                                           "vm86",
                                           "vm86old",
                                           "create_module",
                                           "get_kernel_syms",
                                           "query_module",
                                           END};

static const struct {
	const char *name;
	const char *const *calls;
} groups[] = {
    {"@default", g_default},       {"@basic-io", g_basic_io}, {"@file-system", g_file_system},
    {"@io-event", g_io_event},     {"@ipc", g_ipc},           {"@memory", g_memory},
    {"@network-io", g_network_io}, {"@process", g_process},   {"@signal", g_signal},
    {"@timer", g_timer},           {"@aio", g_aio},           {"@debug", g_debug},
    {"@privileged", g_privileged},
};
/* @container: what ordinary CI work needs (every group but @privileged). */
#define CONTAINER_GROUPS (ARRAY_SIZE(groups) - 1)

const char *const *cis_seccomp_group(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (strcmp(groups[i].name, name) == 0)
			return groups[i].calls;
	return NULL;
}

bool cis_seccomp_name_valid(const char *name)
{
	if (name[0] == '@')
		return strcmp(name, "@container") == 0 || cis_seccomp_group(name) != NULL;
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

int cis_seccomp_errno(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} ok[] = {{"EPERM", EPERM}, {"EACCES", EACCES}, {"ENOSYS", ENOSYS}};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(ok[i].name, name) == 0)
			return ok[i].value;
	return -EINVAL;
}

static void push_group(struct strv *out, const char *const *calls)
{
	for (; *calls; calls++)
		strv_push(out, *calls);
}

/* Expand one allow entry; the field path is for the error. */
static int expand(struct strv *out, const char *name, const char *field, int i, struct cis_err *err)
{
	const char *const *calls;

	if (strcmp(name, "@container") == 0) {
		for (size_t g = 0; g < CONTAINER_GROUPS; g++)
			push_group(out, groups[g].calls);
		return 0;
	}
	if (strcmp(name, "@privileged") == 0)
		return cis_err_set(err,
		                   "%s[%d]: \"@privileged\" cannot be allowed as a group: "
		                   "name each syscall",
		                   field, i);
	if (name[0] == '@') {
		if (!(calls = cis_seccomp_group(name)))
			return cis_err_set(err, "%s[%d]: unknown group \"%s\"", field, i, name);
		push_group(out, calls);
		return 0;
	}
	if (!cis_seccomp_name_valid(name))
		return cis_err_set(err, "%s[%d]: unknown syscall \"%s\"", field, i, name);
	strv_push(out, name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates and denied names, in place. */
static void normalize(struct strv *v, const struct strv *deny)
{
	size_t w = 0;

	if (v->n == 0)
		return;
	qsort(v->v, v->n, sizeof(char *), cmp_str);
	for (size_t r = 0; r < v->n; r++) {
		if ((w > 0 && strcmp(v->v[w - 1], v->v[r]) == 0) || strv_contains(deny, v->v[r])) {
			free(v->v[r]);
			continue;
		}
		v->v[w++] = v->v[r];
	}
	v->n = w;
	v->v[w] = NULL;
}

int cis_seccomp_resolve(struct cis_seccomp *p, const struct strv *allow, const struct strv *deny,
                        const char *field, struct cis_err *err)
{
	_cleanup_free_ char *dfield = xasprintf("%.*s.deny", (int)(strlen(field) - 6), field);
	int r;

	/* The default policy, resolved at build time: no sort, no copy of its ~300 names (the
	 * array has strv's room, 2 * (n + 1), should anything push to it). */
	if (allow->n == 1 && strcmp(allow->v[0], "@container") == 0 && deny->n == 0 &&
	    cis_seccomp_n_container_sorted > 0 && !p->allow.v) {
		const size_t n = cis_seccomp_n_container_sorted;

		p->allow.v = xcalloc(2 * (n + 1), sizeof(char *));
		memcpy(p->allow.v, cis_seccomp_container_sorted, n * sizeof(char *));
		p->allow.n = n;
		p->allow_builtin = true;
		return 0;
	}
	for (size_t i = 0; i < allow->n; i++)
		if ((r = expand(&p->allow, allow->v[i], field, (int)i, err)) < 0)
			return r;
	for (size_t i = 0; i < deny->n; i++)
		if ((r = expand(&p->deny, deny->v[i], dfield, (int)i, err)) < 0)
			return r;
	normalize(&p->deny, &(struct strv){0});
	normalize(&p->allow, &p->deny);
	return 0;
}

void cis_seccomp_free(struct cis_seccomp *p)
{
	if (p->allow_builtin) {
		free(p->allow.v);
		p->allow = (struct strv){0};
		p->allow_builtin = false;
	}
	strv_free(&p->allow);
	strv_free(&p->deny);
}

#define LOW32 0xffffffffull

/* ioctl: everything but TIOCSTI and TIOCLINUX, on the low 32 bits (the kernel's cmd is an
 * unsigned int: TIOCSTI | 1 << 32 is TIOCSTI, the flatpak/snapd bypass). The allowlist cannot
 * say "all but", so it says the complement: any of the upper 28 bits differing from the pair's
 * common prefix, or that prefix with any other low nibble. */
static int allow_ioctl(scmp_filter_ctx ctx)
{
	const uint32_t a = TIOCSTI, b = TIOCLINUX, prefix = a & ~0xFu;
	int r = 0;

	_Static_assert(((TIOCSTI ^ TIOCLINUX) & ~0xFu) == 0, "TIOCSTI/TIOCLINUX share a prefix");
	for (unsigned bit = 4; bit < 32 && r == 0; bit++) {
		uint64_t m = 1ull << bit;

		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		                     SCMP_A1(SCMP_CMP_MASKED_EQ, m, ~(uint64_t)prefix & m));
	}
	for (uint32_t n = 0; n < 16 && r == 0; n++)
		if ((prefix | n) != a && (prefix | n) != b)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			                     SCMP_A1(SCMP_CMP_MASKED_EQ, LOW32, prefix | n));
	return r;
}

/* socket: local, IP and netlink families only (no AF_PACKET, AF_KEY, AF_VSOCK, ...), and no
 * protocol above 255 (IPPROTO_MPTCP is 262). */
static int allow_socket(scmp_filter_ctx ctx)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(families) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, (uint64_t)families[i]),
		                     SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffff00ull, 0));
	return r;
}

/* Syscalls allowed only with safe arguments; 1 if handled here. */
static int add_special(scmp_filter_ctx ctx, int nr, int *r)
{
	const uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
	                    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

	if (nr == SCMP_SYS(ioctl))
		*r = allow_ioctl(ctx);
	else if (nr == SCMP_SYS(socket))
		*r = allow_socket(ctx);
	else if (nr == SCMP_SYS(socketpair))
		*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, AF_UNIX));
	else if (nr == SCMP_SYS(clone))
		/* No new namespace: they are attack surface for a job that needs none. */
		*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, ns, 0));
	else if (nr == SCMP_SYS(personality)) {
		/* The default persona, and the query; no READ_IMPLIES_EXEC and friends. */
		*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, 0));
		if (*r == 0)
			*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			                      SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, LOW32));
	} else if (nr == SCMP_SYS(clone3))
		/* Its flags live in memory seccomp cannot read: ENOSYS makes libc use clone. */
		*r = 0;
	else
		return 0;
	return 1;
}

static int build(const struct cis_seccomp *p, scmp_filter_ctx ctx)
{
	int r;

	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		return r;
	for (size_t i = 0; i < p->allow.n; i++) {
		int nr = seccomp_syscall_resolve_name(p->allow.v[i]);

		if (nr < 0 && nr != __NR_SCMP_ERROR &&
		    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr) == NULL)
			continue; /* not a syscall of this architecture */
		if (!add_special(ctx, nr, &r))
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0 && r != -EDOM)
			return r;
	}
	/* Unless the default action already is ENOSYS (libseccomp refuses a rule equal to it). */
	if (!p->log_denied && p->err == ENOSYS)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

/* libseccomp's export, from a memfd (2.5 exports to an fd only). */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	_cleanup_close_ int fd = memfd_create("cisandbox-seccomp", MFD_CLOEXEC);
	off_t size;
	int r;

	if (fd < 0)
		return -errno;
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return r;
	if ((size = lseek(fd, 0, SEEK_END)) <= 0 || size % sizeof(struct sock_filter) != 0)
		return -EIO;
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	out->filter = xmalloc((size_t)size);
	if (pread(fd, out->filter, (size_t)size, 0) != size) {
		free(out->filter);
		return -EIO;
	}
	return 0;
}

uint64_t cis_seccomp_hash(const struct cis_seccomp *p)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < p->allow.n; i++)
		for (const char *c = p->allow.v[i];; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
			if (!*c)
				break;
		}
	h = (h ^ (uint64_t)p->err) * 0x100000001b3ull;
	return (h ^ (uint64_t)p->log_denied) * 0x100000001b3ull;
}

/* libseccomp takes ~3 ms to build the default filter: as long as a launch. The default policy's
 * programs are compiled at build time instead (same libseccomp, same machine type). */
int cis_seccomp_compile(const struct cis_seccomp *p, struct sock_fprog *out)
{
	uint64_t h = cis_seccomp_hash(p);

	for (size_t i = 0; i < cis_seccomp_n_builtins; i++) {
		const struct cis_seccomp_builtin *b = &cis_seccomp_builtins[i];

		if (b->hash != h)
			continue;
		out->len = b->len;
		out->filter = xmalloc(b->len * sizeof(struct sock_filter));
		memcpy(out->filter, b->filter, b->len * sizeof(struct sock_filter));
		return 0;
	}
	return cis_seccomp_compile_now(p, out);
}

int cis_seccomp_compile_now(const struct cis_seccomp *p, struct sock_fprog *out)
{
	scmp_filter_ctx ctx =
	    seccomp_init(p->log_denied ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO((uint32_t)p->err));
	int r;

	if (!ctx)
		return -ENOMEM;
	r = build(p, ctx);
	if (r == 0)
		r = export_prog(ctx, out);
	seccomp_release(ctx);
	return r;
}

int cis_seccomp_load(const struct sock_fprog *prog, bool listen, int *listener)
{
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                  listen ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, prog);

	if (fd < 0)
		return -errno;
	*listener = listen ? (int)fd : -1;
	return 0;
}

static int add_names(scmp_filter_ctx ctx, const char *const *names, size_t n, uint32_t action)
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

static uint64_t fnv_names(uint64_t h, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (const char *c = names[i];; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
			if (!*c)
				break;
		}
	return (h ^ 0xff) * 0x100000001b3ull; /* end of a list: {"a"},{"b"} is not {"a","b"},{} */
}

uint64_t cis_seccomp_lists_hash(const struct cis_seccomp_lists *l)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, as cis_seccomp_hash, in a table apart */

	h = (h ^ l->dflt) * 0x100000001b3ull;
	h = fnv_names(h, l->allow, l->n_allow);
	return fnv_names(h, l->kill, l->kill ? l->n_kill : 0);
}

int cis_seccomp_lists_compile(const struct cis_seccomp_lists *l, struct sock_fprog *out)
{
	scmp_filter_ctx ctx = seccomp_init(l->dflt);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* A binary tree, not a list: the kernel walks the filter for every syscall number when it
	 * builds its cache of always-allowed ones at load, and for each call after. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r == 0)
		r = add_names(ctx, l->allow, l->n_allow, SCMP_ACT_ALLOW);
	if (r == 0 && l->kill)
		r = add_names(ctx, l->kill, l->n_kill, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = export_prog(ctx, out);
	seccomp_release(ctx);
	return r;
}

/* libseccomp takes ~0.5 ms to build the launcher's own filter, on the path to the job's start
 * (the launcher and init share the CPU): the shipped lists are compiled at build time. */
int cis_seccomp_load_lists(const struct cis_seccomp_lists *l)
{
	struct sock_fprog prog = {0};
	_cleanup_free_ struct sock_filter *compiled = NULL;
	uint64_t h = cis_seccomp_lists_hash(l);
	int r;

	for (size_t i = 0; i < cis_seccomp_n_list_builtins && !prog.filter; i++)
		if (cis_seccomp_list_builtins[i].hash == h) {
			prog.len = cis_seccomp_list_builtins[i].len;
			prog.filter = (struct sock_filter *)cis_seccomp_list_builtins[i].filter;
		}
	if (!prog.filter) {
		if ((r = cis_seccomp_lists_compile(l, &prog)) < 0)
			return r;
		compiled = prog.filter;
	}
	/* As libseccomp's seccomp_load does: no_new_privs, then the filter, no flags. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
