/* cis_limits.c — cgroup v2 (launcher, around the run) and rlimits (job, before exec).
 *
 * A cgroup is used when the launcher can create a child of its own cgroup in a cgroup v2
 * hierarchy: as root, or in a subtree systemd delegated to the user. The sandbox init is started
 * inside it (clone3 CLONE_INTO_CGROUP), so every process of the run is accounted there from its
 * first instruction, and cgroup.kill ends whatever might be left. Limits whose controller is not
 * available fall back to rlimits, which the kernel counts per user namespace for RLIMIT_NPROC.
 *
 * cgroup v2 has no automatic removal, so a SIGKILLed launcher would leave its directory: each
 * cgroup gets a janitor, a fork of the launcher that holds only the cgroup (and its lock) and
 * waits for the launcher to go; it then kills what is left, removes the directory and exits.
 * After a normal run the launcher has removed it already and the janitor exits at once. */
#define _GNU_SOURCE
#include "cis_limits.h"
#include "nshold.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JANITOR_MS 10000 /* how long a janitor waits for its cgroup to empty */

/* Where cgroup v2 is mounted: the two places systemd puts it (unified, then hybrid) found with a
 * statfs each; only elsewhere the first cgroup2 line of mountinfo, which the kernel must format
 * whole (~0.1 ms of a launch, on a host with few mounts). */
static int cgroup2_mount(char *mnt, size_t len)
{
	static const char *const usual[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	char line[4096];
	struct statfs sf;
	FILE *f;

	for (size_t i = 0; i < ARRAY_SIZE(usual); i++)
		if (statfs(usual[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(mnt, len, "%s", usual[i]);
			return 0;
		}
	mnt[0] = '\0';
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1)
			break;
		mnt[0] = '\0';
	}
	if (f)
		fclose(f);
	return mnt[0] ? 0 : -ENOENT;
}

/* The cgroup v2 mount point and our cgroup in it, as one path. */
static int own_cgroup_dir(char *out, size_t len)
{
	char line[4096], mnt[1024], rel[2048] = "";
	FILE *f;

	if (cgroup2_mount(mnt, sizeof(mnt)) < 0)
		return -ENOENT;
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0 && sscanf(line + 3, "%2047s", rel) == 1)
			break;
	if (f)
		fclose(f);
	if (!rel[0])
		return -ENOENT;
	snprintf(out, len, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	return 0;
}

static int write_at(int dir, const char *file, const char *value)
{
	_cleanup_close_ int fd = openat(dir, file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return write_all(fd, value, strlen(value));
}

static bool has_controller(int dir, const char *name)
{
	char buf[512] = "", *tok, *save = NULL;
	_cleanup_close_ int fd = openat(dir, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, name) == 0)
			return true;
	return false;
}

/* Enable a controller for our children if our cgroup has it; then write the child's limit. */
static bool limit(int parent, int child, const char *ctl, const char *file, const char *value)
{
	char plus[32];

	snprintf(plus, sizeof(plus), "+%s", ctl);
	if (!has_controller(child, ctl) && has_controller(parent, ctl))
		(void)write_at(parent, "cgroup.subtree_control", plus);
	return has_controller(child, ctl) && write_at(child, file, value) == 0;
}

static void write_limits(const struct plan *p, int parent, struct cgroup *cg)
{
	const struct limits *l = &p->limits;
	char v[64];

	if (l->memory) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
		cg->memory = limit(parent, cg->dirfd, "memory", "memory.max", v);
		/* No swap: a memory limit that spills to swap is no limit on a CI host. */
		if (cg->memory)
			(void)write_at(cg->dirfd, "memory.swap.max", "0");
	}
	if (l->pids) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids);
		cg->pids = limit(parent, cg->dirfd, "pids", "pids.max", v);
	}
	if (l->cpus_milli) {
		snprintf(v, sizeof(v), "%llu 100000", (unsigned long long)l->cpus_milli * 100);
		cg->cpu = limit(parent, cg->dirfd, "cpu", "cpu.max", v);
	}
}

static uint64_t read_key(int dir, const char *file, const char *key);

/* Remove the cgroups of runs whose launcher was killed before it could (cgroup v2 has no
 * automatic removal). A live launcher holds an flock on its cgroup; an unlocked, empty
 * cisandbox-* cgroup older than a few seconds (not one a concurrent launcher has just made and
 * not yet locked) is an orphan. */
static void sweep_orphans(int parent)
{
	_cleanup_close_ int dfd = fcntl(parent, F_DUPFD_CLOEXEC, 3);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	dfd = -1; /* owned by d now */
	while ((e = readdir(d))) {
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (strncmp(e->d_name, "cisandbox-", 10) != 0)
			continue;
		fd = openat(parent, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) < 0 || now - st.st_ctime < 10 ||
		    flock(fd, LOCK_EX | LOCK_NB) < 0 || read_key(fd, "cgroup.events", "populated"))
			continue;
		(void)unlinkat(parent, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The janitor: its own session (a SIGKILL to the launcher's process group must not take it),
 * nothing open but the cgroup, its parent and the pipe. */
static _Noreturn void janitor_main(int parent, const char *name, int cg, int hold)
{
	int keep[3] = {parent, cg, hold}, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	unsigned lo = 3;
	char c;

	setsid();
	proc_title("cis-janitor", name);
	/* Not the runner's stdout or stderr: its log must end when the launcher does. */
	for (int fd = 0; fd < 3; fd++)
		(void)dup2(null, fd);
	qsort(keep, 3, sizeof(int), cmp_int);
	for (int i = 0; i < 3; lo = (unsigned)keep[i++] + 1)
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
	close_range(lo, ~0U, 0);
	while (read(hold, &c, 1) != 0 && errno == EINTR)
		;
	for (int i = 0; i < JANITOR_MS / 10; i++) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			break;
		(void)write_at(cg, "cgroup.kill", "1");
		poll(NULL, 0, 10);
	}
	_exit(0);
}

/* Fork the janitor; it shares our lock on the cgroup (one open file), so a sweep by another
 * launcher leaves it alone while the janitor lives. Without one, the sweep is the only way. */
static void janitor_start(int parent, const char *name, struct cgroup *cg)
{
	int hold[2];

	if (pipe2(hold, O_CLOEXEC) < 0)
		return;
	cg->janitor = fork();
	if (cg->janitor == 0) {
		close(hold[1]);
		janitor_main(parent, name, cg->dirfd, hold[0]);
	}
	close(hold[0]);
	if (cg->janitor < 0) {
		cg->janitor = 0;
		close(hold[1]);
		return;
	}
	cg->janitor_w = hold[1];
}

/* Our cgroup is gone (or will not go): let the janitor finish, and reap it if it has. */
static void janitor_stop(struct cgroup *cg, bool removed)
{
	_cleanup_close_ int pidfd = -1;

	closep(&cg->janitor_w);
	if (cg->janitor <= 0)
		return;
	/* Bounded: it exits as soon as it finds the directory gone. */
	pidfd = (int)syscall(SYS_pidfd_open, cg->janitor, 0);
	if (removed && pidfd >= 0)
		(void)poll(&(struct pollfd){pidfd, POLLIN, 0}, 1, 1000);
	(void)waitpid(cg->janitor, NULL, WNOHANG);
	cg->janitor = 0;
}

static int require(const struct plan *p, const struct cgroup *cg, struct cis_err *err)
{
	const struct limits *l = &p->limits;

	if (!p->limits.require_cgroup)
		return 0;
	if (cg->dirfd < 0)
		return cis_err_set(err, "limits.require_cgroup: no usable cgroup v2: %s", cg->why);
	if ((l->memory && !cg->memory) || (l->pids && !cg->pids) || (l->cpus_milli && !cg->cpu))
		return cis_err_set(err,
		                   "limits.require_cgroup: cgroup %s lacks the memory, pids or "
		                   "cpu controller a limit needs",
		                   cg->path);
	return 0;
}

int limits_cgroup_setup(const struct plan *p, const char *id, struct cgroup *cg,
                        struct cis_err *err)
{
	char base[3072];
	_cleanup_close_ int parent = -1;
	_cleanup_free_ char *name = xasprintf("cisandbox-%s", id);
	int r = own_cgroup_dir(base, sizeof(base));

	*cg = (struct cgroup){.dirfd = -1, .janitor_w = -1};
	if (r < 0) {
		snprintf(cg->why, sizeof(cg->why), "no cgroup v2 hierarchy is mounted");
		return require(p, cg, err);
	}
	parent = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0 || mkdirat(parent, name, 0755) < 0) {
		snprintf(cg->why, sizeof(cg->why), "cannot create a cgroup under %.180s: %s", base,
		         strerror(errno));
		return require(p, cg, err);
	}
	cg->path = xasprintf("%s/%s", base, name);
	cg->dirfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Held until we remove it: tells sweep_orphans of other launchers that we are alive. */
	if (cg->dirfd >= 0 && flock(cg->dirfd, LOCK_EX | LOCK_NB) < 0)
		closep(&cg->dirfd);
	if (cg->dirfd < 0) {
		snprintf(cg->why, sizeof(cg->why), "%.180s: %s", cg->path, strerror(errno));
		unlinkat(parent, name, AT_REMOVEDIR);
		return require(p, cg, err);
	}
	janitor_start(parent, name, cg);
	write_limits(p, parent, cg);
	sweep_orphans(parent);
	if ((r = require(p, cg, err)) < 0) {
		struct cgroup_result res;

		limits_cgroup_teardown(cg, &res);
	}
	return r;
}

static uint64_t read_key(int dir, const char *file, const char *key)
{
	char buf[1024] = "", *at;
	_cleanup_close_ int fd = openat(dir, file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (!key)
		return strtoull(buf, NULL, 10);
	for (at = buf; (at = strstr(at, key)); at += strlen(key))
		if ((at == buf || at[-1] == '\n') && at[strlen(key)] == ' ')
			return strtoull(at + strlen(key) + 1, NULL, 10);
	return 0;
}

void limits_cgroup_teardown(struct cgroup *cg, struct cgroup_result *res)
{
	*res = (struct cgroup_result){0};
	if (cg->dirfd < 0)
		return;
	res->oom = read_key(cg->dirfd, "memory.events", "oom_kill") > 0;
	res->peak = read_key(cg->dirfd, "memory.peak", NULL);
	res->left = (int)read_key(cg->dirfd, "cgroup.events", "populated");
	/* Nothing should be left once init is reaped; if anything is, it dies here. */
	if (res->left)
		(void)write_at(cg->dirfd, "cgroup.kill", "1");
	for (int i = 0; i < 1000 && read_key(cg->dirfd, "cgroup.events", "populated"); i++)
		usleep(1000);
	closep(&cg->dirfd);
	/* ENOENT: a concurrent launcher swept it between our unlock and rmdir. */
	res->removed = rmdir(cg->path) == 0 || errno == ENOENT;
	janitor_stop(cg, res->removed);
	free(cg->path);
	cg->path = NULL;
}

void limits_describe(const struct plan *p, const struct cgroup *cg, char *buf, size_t len)
{
	const struct limits *l = &p->limits;

	char mem[64] = "";

	if (l->memory_pct)
		snprintf(mem, sizeof(mem), "%u%% of RAM (%llu MiB) ", l->memory_pct,
		         (unsigned long long)(l->memory >> 20));
	snprintf(buf, len, "%s%s; memory %s%s, pids %s, cpus %s", cg->dirfd >= 0 ? "cgroup " : "",
	         cg->dirfd >= 0 ? cg->path : cg->why, mem,
	         !l->memory      ? "unlimited"
	         : cg->memory    ? "by cgroup"
	         : l->memory_pct ? "NOT enforced (no cgroup v2 memory controller; a share of RAM "
	                           "never falls back to RLIMIT_DATA)"
	                         : "by RLIMIT_DATA",
	         !l->pids   ? "unlimited"
	         : cg->pids ? "by cgroup"
	                    : "by RLIMIT_NPROC",
	         !l->cpus_milli ? "unlimited"
	         : cg->cpu      ? "by cgroup"
	                        : "NOT enforced (no cgroup)");
}

/* Set soft and hard to value, or to the inherited hard limit if that is lower: raising a hard
 * limit takes privilege in the initial user namespace, and a lower one is already stricter. */
static int set(int res, uint64_t value)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && (rlim_t)value > rl.rlim_max)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = (rlim_t)value;
	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

int limits_apply_rlimits(const struct plan *p, const struct cgroup *cg, const char **what)
{
	const struct limits *l = &p->limits;
	int r;

	/* No core dumps: they would land in the workspace with the job's memory in them. */
	if ((r = set(RLIMIT_CORE, 0)) < 0)
		return *what = "core", r;
	if (l->nofile && (r = set(RLIMIT_NOFILE, l->nofile)) < 0)
		return *what = "nofile", r;
	if (l->fsize && (r = set(RLIMIT_FSIZE, l->fsize)) < 0)
		return *what = "fsize", r;
	/* A share of RAM (untrusted's default) holds only where a cgroup enforces it: as
	 * RLIMIT_DATA it would break AddressSanitizer's shadow mapping. */
	if (l->memory && !cg->memory && !l->memory_pct && (r = set(RLIMIT_DATA, l->memory)) < 0)
		return *what = "memory (RLIMIT_DATA)", r;
	if (l->pids && !cg->pids && (r = set(RLIMIT_NPROC, l->pids)) < 0)
		return *what = "pids (RLIMIT_NPROC)", r;
	return 0;
}
