/* cis_limits.h (the name avoids <limits.h>) — resource limits: a cgroup v2 child per run
 * where the launcher can write one (root, or a delegated subtree), rlimits for whatever it cannot
 * enforce. */
#ifndef CIS_CIS_LIMITS_H
#define CIS_CIS_LIMITS_H

#include "plan.h"

struct cgroup {
	int dirfd;   /* the run's cgroup, for clone3(CLONE_INTO_CGROUP); -1: none */
	char *path;  /* its absolute path */
	bool memory; /* limits the cgroup enforces */
	bool pids;
	bool cpu;
	char why[256]; /* why there is no cgroup, or which controllers were missing */
	pid_t janitor; /* removes the cgroup if the launcher cannot (SIGKILL); 0: none */
	int janitor_w; /* held by the launcher (and init): its EOF tells the janitor to look */
};

struct cgroup_result {
	bool oom;         /* the kernel OOM-killed something in the run */
	uint64_t peak;    /* memory.peak in bytes, 0 if unknown */
	bool removed;     /* the cgroup is gone */
	int left;         /* processes found in it before cgroup.kill */
	bool helper_left; /* the network helper did not exit (set by the launcher) */
};

/* Launcher, before clone: create the run's cgroup (named after id) and write its limits. Never
 * fails for want of a cgroup (cg->dirfd = -1, cg->why says why) unless the plan requires one.
 * 0 or -errno with err set. */
int limits_cgroup_setup(const struct plan *p, const char *id, struct cgroup *cg,
                        struct cis_err *err);
/* Launcher, after init was reaped: read OOM and peak, kill what is left, remove the cgroup. */
void limits_cgroup_teardown(struct cgroup *cg, struct cgroup_result *res);
/* One line for --verbose: what enforces each limit. */
void limits_describe(const struct plan *p, const struct cgroup *cg, char *buf, size_t len);
/* Job, before exec: RLIMIT_CORE 0, nofile, fsize, and memory/pids where the cgroup does not
 * enforce them. 0 or -errno; *what names the limit. */
int limits_apply_rlimits(const struct plan *p, const struct cgroup *cg, const char **what);

#endif
