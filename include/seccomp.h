/* seccomp.h — the syscall filter (libseccomp). Groups of syscalls are one table of named sets;
 * the filter is compiled to BPF once in the launcher and loaded last in the job, just before
 * execve. File stem "seccomp" would clash with libseccomp's prefix: exports use cis_seccomp_. */
#ifndef CIS_SECCOMP_H
#define CIS_SECCOMP_H

#include "util.h"

#include <linux/filter.h>

/* For the launcher's own filters (guard.c, netwatch.c): what any C process needs to allocate,
 * wait, read the clock, take signals and exit. */
#define SECCOMP_RUNTIME                                                                            \
	"clock_gettime", "gettimeofday", "getrandom", "brk", "mmap", "munmap", "mremap",           \
	    "madvise", "futex", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask", "getpid",  \
	    "gettid", "restart_syscall", "clock_nanosleep", "nanosleep"

/* The policy, resolved from the profile (plan.c owns one). */
struct cis_seccomp {
	struct strv allow;  /* syscall names, groups expanded, deny removed; sorted */
	struct strv deny;   /* names explicitly denied by the profile */
	int err;            /* errno for denied calls */
	bool log_denied;    /* report each denial to the supervisor (user notification) */
	bool allow_builtin; /* allow's names are the built-in list's (not ours to free) */
};

/* Expand a profile's allow/deny lists (names and @groups) into p. field names the profile field
 * for errors ("seccomp.allow"). 0 or -EINVAL with err set. */
int cis_seccomp_resolve(struct cis_seccomp *p, const struct strv *allow, const struct strv *deny,
                        const char *field, struct cis_err *err);
/* Is `name` a group or a syscall libseccomp knows? */
bool cis_seccomp_name_valid(const char *name);
/* errno name (EPERM, EACCES, ENOSYS) to number; -EINVAL if not accepted. */
int cis_seccomp_errno(const char *name);
void cis_seccomp_free(struct cis_seccomp *p);
/* The groups, for documentation and --dry-run: NULL-terminated name list of a group. */
const char *const *cis_seccomp_group(const char *name);

/* A hash of the resolved policy (allowed names, errno, log_denied): equal policies, equal
 * programs. */
uint64_t cis_seccomp_hash(const struct cis_seccomp *p);
/* Launcher: the BPF program for the policy (owned by out): the one compiled at build time when
 * the policy is the default one, else compiled now. 0 or -errno. */
int cis_seccomp_compile(const struct cis_seccomp *p, struct sock_fprog *out);
/* Compile with libseccomp, always (the build-time generator uses this). */
int cis_seccomp_compile_now(const struct cis_seccomp *p, struct sock_fprog *out);

/* Programs compiled at build time (build/seccomp_builtin.c, made by tests/gen_seccomp.c). */
struct cis_seccomp_builtin {
	uint64_t hash;
	unsigned short len;
	const struct sock_filter *filter;
};
extern const struct cis_seccomp_builtin cis_seccomp_builtins[];
extern const size_t cis_seccomp_n_builtins;
/* The default allow list ("@container" expanded, sorted, unique), as cis_seccomp_resolve makes
 * it: resolving the default then costs no sort (n is 0 in the generator itself). */
extern const char *const cis_seccomp_container_sorted[];
extern const size_t cis_seccomp_n_container_sorted;
/* ... and the filters of our own processes (struct cis_seccomp_lists), keyed apart. */
extern const struct cis_seccomp_builtin cis_seccomp_list_builtins[];
extern const size_t cis_seccomp_n_list_builtins;
/* Job, last step before exec: load the program; with log_denied, *listener is the user
 * notification fd to hand to the supervisor. 0 or -errno. */
int cis_seccomp_load(const struct sock_fprog *prog, bool listen, int *listener);
/* The filter of one of our own processes (the launcher, the resolver's child): `dflt` for what
 * no list names, allow[] allowed, kill[] (may be NULL) killing the process. Names unknown on
 * this architecture are skipped. */
struct cis_seccomp_lists {
	uint32_t dflt;
	const char *const *allow;
	size_t n_allow;
	const char *const *kill;
	size_t n_kill;
};
uint64_t cis_seccomp_lists_hash(const struct cis_seccomp_lists *l);
/* Compile with libseccomp, always (the build-time generator uses this). 0 or -errno. */
int cis_seccomp_lists_compile(const struct cis_seccomp_lists *l, struct sock_fprog *out);
/* Set no_new_privs and load the filter now: the one compiled at build time when the lists are
 * those it was compiled from, else compiled now. 0 or -errno. */
int cis_seccomp_load_lists(const struct cis_seccomp_lists *l);

#endif
