/* doctor_probe.c — the facts `cisandbox doctor` judges (launcher's place, before any sandbox):
 * files of the host, and live attempts in throw-away children, each in namespaces of its own so
 * that nothing of the host changes. With CISANDBOX_DOCTOR_ROOT (tests), files are read below
 * that root and each live attempt's result is read from ROOT/probe/NAME. */
#define _GNU_SOURCE
#include "doctor.h"
#include "nft.h"
#include "plan.h"
#include "userns.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static char *at(const struct doctor_facts *f, const char *path)
{
	return xasprintf("%s%s", f->root, path);
}

static char *read_at(const struct doctor_facts *f, const char *path)
{
	_cleanup_free_ char *p = at(f, path);

	return read_text_file(p);
}

static long read_long(const struct doctor_facts *f, const char *path)
{
	_cleanup_free_ char *s = read_at(f, path);
	char *end;
	long v;

	if (!s)
		return -1;
	v = strtol(s, &end, 10);
	return end == s ? -1 : v;
}

static bool exists_at(const struct doctor_facts *f, const char *path)
{
	_cleanup_free_ char *p = at(f, path);

	return access(p, F_OK) == 0;
}

static void first_line(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.*s", (int)strcspn(src, "\n"), src);
}

/* A fake root's recorded result: "ok" 0, an errno name -errno, a number itself. */
static int fake_result(const struct doctor_facts *f, const char *name)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {{"EPERM", EPERM},           {"EACCES", EACCES}, {"ENOSYS", ENOSYS},
	            {"EINVAL", EINVAL},         {"ENOSPC", ENOSPC}, {"ENODEV", ENODEV},
	            {"EOPNOTSUPP", EOPNOTSUPP}, {"ENOENT", ENOENT}};
	_cleanup_free_ char *path = xasprintf("/probe/%s", name);
	_cleanup_free_ char *s = read_at(f, path);

	if (!s)
		return -ENOENT;
	s[strcspn(s, "\n")] = '\0';
	if (strcmp(s, "ok") == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(errs); i++)
		if (strcmp(s, errs[i].name) == 0)
			return -errs[i].err;
	return (int)strtol(s, NULL, 10);
}

/* Run fn in a child that dies with us; its result travels as the exit code (an errno). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(-fn() & 0xff);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
}

/* In a fresh user namespace, as its root (mapped to our own ids), with a private mount
 * namespace and a tmpfs at /tmp of its own. */
static int enter_userns(int more_flags)
{
	char line[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | more_flags) < 0)
		return -errno;
	snprintf(line, sizeof(line), "0 %u 1\n", uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", line) < 0)
		return -EPERM;
	snprintf(line, sizeof(line), "0 %u 1\n", gid);
	if (write_file("/proc/self/gid_map", line) < 0)
		return -EPERM;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=1M") < 0)
		return -errno;
	return 0;
}

static int try_userns(void)
{
	return unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
}

static int try_overlay(void)
{
	int r = enter_userns(0);

	if (r < 0)
		return r;
	if (mkdir("/tmp/l", 0755) < 0 || mkdir("/tmp/u", 0755) < 0 || mkdir("/tmp/w", 0755) < 0 ||
	    mkdir("/tmp/m", 0755) < 0)
		return -errno;
	if (mount("overlay", "/tmp/m", "overlay", 0,
	          "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w") < 0)
		return -errno;
	return 0;
}

/* The sandbox mounts a procfs for its own PID namespace; a container runtime's masks over
 * /proc (procMount: Default) make the kernel refuse it. */
static int try_proc_pid1(void)
{
	if (mkdir("/tmp/p", 0755) < 0)
		return -errno;
	return mount("proc", "/tmp/p", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? -errno
	                                                                                   : 0;
}

static int try_proc(void)
{
	int r = enter_userns(CLONE_NEWPID);

	if (r < 0)
		return r;
	return in_child(try_proc_pid1);
}

static int try_nft(void)
{
	struct nft_policy pol = {.allowlist = true};
	char why[256];
	int r = geteuid() == 0 ? (unshare(CLONE_NEWNET) < 0 ? -errno : 0)
	                       : (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? -errno : 0);

	if (r < 0)
		return r;
	return nft_apply(&pol, why, sizeof(why));
}

static int try_idmap(void)
{
	struct plan p = {.host_uid = 2147418112, .host_gid = 2147418112, .as_root = true};
	_cleanup_close_ int fd = -1;

	return userns_idmapped_clone(&p, "/tmp", true, &fd);
}

static int landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, 1U /* ..._VERSION */);

	return v < 0 ? 0 : (int)v;
}

static int seccomp_notif(void)
{
	unsigned int action = SECCOMP_RET_USER_NOTIF;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0 ? -errno : 0;
}

/* The first line of `NAME --version` (found in /usr/bin, /usr/local/bin, /bin), "" if none. */
static void helper_version(const struct doctor_facts *f, const char *name, char *out, size_t len)
{
	static const char *const dirs[] = {"/usr/bin", "/usr/local/bin", "/bin"};
	char path[256], buf[512];
	int pfd[2];
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !out[0]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) != 0 || pipe2(pfd, O_CLOEXEC) < 0)
			continue;
		if ((pid = fork()) == 0) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			execl(path, name, "--version", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		n = pid < 0 ? -1 : read(pfd[0], buf, sizeof(buf) - 1);
		close(pfd[0]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		buf[n > 0 ? n : 0] = '\0';
		first_line(out, len, n > 0 ? buf : "unknown version");
	}
	(void)f;
}

static void fake_version(const struct doctor_facts *f, const char *name, char *out, size_t len)
{
	_cleanup_free_ char *path = xasprintf("/probe/%s", name);
	_cleanup_free_ char *s = read_at(f, path);

	first_line(out, len, s ? s : "");
}

/* A hierarchy's root cgroup has no cgroup.kill, its children do (kernel >= 5.14): look at one. */
static bool child_has_kill(const struct doctor_facts *f)
{
	DIR *d = opendir(f->cg_dir);
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		_cleanup_free_ char *p = xasprintf("%s/%s/cgroup.kill", f->cg_dir, e->d_name);

		found = e->d_type == DT_DIR && e->d_name[0] != '.' && access(p, F_OK) == 0;
	}
	if (d)
		closedir(d);
	if (!d || found)
		return found;
	/* No child to look at: the kernel's version says (5.14 added it). */
	{
		int major = 0, minor = 0;

		return sscanf(f->kernel, "%d.%d", &major, &minor) == 2 &&
		       (major > 5 || (major == 5 && minor >= 14));
	}
}

/* Our cgroup v2 directory (the cgroup2 mount and our "0::" path), v1 holders of the limits'
 * controllers, and /proc paths a container runtime covered with mounts of its own. */
static void mounts_and_cgroups(struct doctor_facts *f)
{
	_cleanup_free_ char *mi = read_at(f, "/proc/self/mountinfo");
	_cleanup_free_ char *cg = read_at(f, "/proc/self/cgroup");
	char mnt[512] = "", rel[512] = "", point[512], type[64];
	size_t used = 0;

	for (char *l = mi, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char *sep = strstr(l, " - ");

		nl = strchr(l, '\n');
		if (!sep || sscanf(l, "%*s %*s %*s %*s %511s", point) != 1 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		if (strcmp(type, "cgroup2") == 0 && !mnt[0])
			snprintf(mnt, sizeof(mnt), "%s", point);
		/* binfmt_misc sits on an empty directory of procfs: the kernel does not mind. */
		if (strncmp(point, "/proc/", 6) == 0 && strcmp(type, "binfmt_misc") != 0 &&
		    strcmp(type, "autofs") != 0 && used + strlen(point) + 2 < sizeof(f->masked))
			used += (size_t)snprintf(f->masked + used, sizeof(f->masked) - used, "%s%s",
			                         used ? " " : "", point);
	}
	for (char *l = cg, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char name[128];

		nl = strchr(l, '\n');
		if (strncmp(l, "0::", 3) == 0)
			sscanf(l + 3, "%511s", rel);
		else if (sscanf(l, "%*d:%127[^:]:", name) == 1)
			for (char *t = strtok(name, ","); t; t = strtok(NULL, ","))
				if (!strcmp(t, "memory") || !strcmp(t, "pids") || !strcmp(t, "cpu"))
					snprintf(f->cg_v1 + strlen(f->cg_v1),
					         sizeof(f->cg_v1) - strlen(f->cg_v1), "%s%s",
					         f->cg_v1[0] ? " " : "", t);
	}
	f->cg2 = mnt[0] && rel[0];
	if (!f->cg2)
		return;
	snprintf(f->cg_dir, sizeof(f->cg_dir), "%s%s%s", f->root, mnt, strcmp(rel, "/") ? rel : "");
	{
		_cleanup_free_ char *ctl = xasprintf("%s/cgroup.controllers", f->cg_dir);
		_cleanup_free_ char *s = read_text_file(ctl);
		_cleanup_free_ char *kill = xasprintf("%s/cgroup.kill", f->cg_dir);

		first_line(f->cg_ctl, sizeof(f->cg_ctl), s ? s : "");
		f->cg_kill = access(kill, F_OK) == 0 || (!strcmp(rel, "/") && child_has_kill(f));
	}
	f->cg_writable = access(f->cg_dir, W_OK) == 0;
	/* Shown without the fake root: the operator's view. */
	memmove(f->cg_dir, f->cg_dir + strlen(f->root), strlen(f->cg_dir + strlen(f->root)) + 1);
}

/* Raw bytes (NULs kept) of a small file; *len set. */
static char *read_raw(const struct doctor_facts *f, const char *path, size_t *len)
{
	_cleanup_free_ char *p = at(f, path);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = xmalloc(65536);
	n = read(fd, buf, 65535);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

static void container_kind(struct doctor_facts *f)
{
	size_t n;
	_cleanup_free_ char *env = read_raw(f, "/proc/1/environ", &n);
	_cleanup_free_ char *cg1 = read_at(f, "/proc/1/cgroup");
	_cleanup_free_ char *st = read_at(f, "/proc/self/status");
	const char *kind = "";
	char *c = env ? memmem(env, n, "container=", 10) : NULL;

	if (getenv("KUBERNETES_SERVICE_HOST") ||
	    exists_at(f, "/var/run/secrets/kubernetes.io/serviceaccount") ||
	    (cg1 && strstr(cg1, "kubepods")))
		kind = "kubernetes";
	else if (exists_at(f, "/run/.containerenv"))
		kind = "podman";
	else if (exists_at(f, "/.dockerenv") || (cg1 && strstr(cg1, "/docker")))
		kind = "docker";
	else if (c && (c == env || c[-1] == '\0'))
		kind = c + 10;
	f->seccomp_filtered = st && strstr(st, "\nSeccomp:\t2");
	if (!kind[0] && (f->masked[0] || f->seccomp_filtered))
		kind = "unknown";
	first_line(f->container, sizeof(f->container), kind);
}

static void apparmor(struct doctor_facts *f)
{
	_cleanup_free_ char *en = read_at(f, "/sys/module/apparmor/parameters/enabled");
	_cleanup_free_ char *profiles = read_at(f, "/sys/kernel/security/apparmor/profiles");

	f->aa_restrict =
	    (int)read_long(f, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	f->aa_enabled = en && en[0] == 'Y';
	f->aa_file = exists_at(f, "/etc/apparmor.d/cisandbox");
	/* Lines are "NAME (MODE)"; ours is named cisandbox. */
	f->aa_loaded = profiles && (strncmp(profiles, "cisandbox (", 11) == 0 ||
	                            strstr(profiles, "\ncisandbox ("));
}

static void live_probes(struct doctor_facts *f)
{
	f->userns = in_child(try_userns);
	f->overlay = in_child(try_overlay);
	f->proc = in_child(try_proc);
	f->nft = in_child(try_nft);
	f->idmap = f->as_root ? in_child(try_idmap) : -EPERM;
	f->landlock = landlock_abi();
	f->notif = seccomp_notif();
	helper_version(f, "slirp4netns", f->slirp, sizeof(f->slirp));
	helper_version(f, "pasta", f->pasta, sizeof(f->pasta));
}

static void fake_probes(struct doctor_facts *f)
{
	f->userns = fake_result(f, "userns");
	f->overlay = fake_result(f, "overlay");
	f->proc = fake_result(f, "proc");
	f->nft = fake_result(f, "nft");
	f->idmap = fake_result(f, "idmap");
	f->landlock = fake_result(f, "landlock");
	f->landlock = f->landlock < 0 ? 0 : f->landlock;
	f->notif = fake_result(f, "seccomp_notif");
	fake_version(f, "slirp4netns", f->slirp, sizeof(f->slirp));
	fake_version(f, "pasta", f->pasta, sizeof(f->pasta));
}

void doctor_probe(struct doctor_facts *f)
{
	const char *root = getenv("CISANDBOX_DOCTOR_ROOT");
	_cleanup_free_ char *tun = NULL;
	struct utsname u;
	struct stat st;

	*f = (struct doctor_facts){.root = root && root[0] == '/' ? root : "",
	                           .as_root = geteuid() == 0};
	f->userns_clone = (int)read_long(f, "/proc/sys/kernel/unprivileged_userns_clone");
	f->max_userns = read_long(f, "/proc/sys/user/max_user_namespaces");
	f->tiocsti = (int)read_long(f, "/proc/sys/dev/tty/legacy_tiocsti");
	f->yama = (int)read_long(f, "/proc/sys/kernel/yama/ptrace_scope");
	if (f->root[0])
		fake_version(f, "kernel", f->kernel, sizeof(f->kernel));
	else if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	tun = at(f, "/dev/net/tun");
	f->tun = stat(tun, &st) < 0 ? -errno : (int)(st.st_mode & 07777);
	/* A fake root cannot hold a device node without privilege: a regular file stands in. */
	if (f->tun >= 0 && !f->root[0] && !S_ISCHR(st.st_mode))
		f->tun = -ENODEV;
	apparmor(f);
	mounts_and_cgroups(f);
	container_kind(f);
	if (f->root[0])
		fake_probes(f);
	else
		live_probes(f);
}
