/* userns.c — uid/gid maps (launcher) and the child's switch to the job identity. */
#define _GNU_SOURCE
#include "userns.h"
#include "private.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int userns_write_maps(const struct plan *p, pid_t child, const char **what)
{
	char path[64], line[64];
	int r;

	/* Rootless with subordinate ids: the setuid helpers write both maps (private.h), and
	 * setgroups stays allowed, so that the child drops the caller's supplementary groups. */
	if (p->priv.kernel)
		return private_write_maps(&p->priv, p->host_uid, p->host_gid, child, what);
	/* Rootless: setgroups must be denied before an unprivileged gid_map write is allowed. As
	 * root it stays allowed so that the child can drop the caller's supplementary groups. */
	if (!p->as_root) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", child);
		*what = "setgroups";
		if ((r = write_file(path, "deny")) < 0)
			return r;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", child);
	snprintf(line, sizeof(line), "%u %u 1\n", CIS_JOB_UID, p->host_uid);
	*what = "uid_map";
	if ((r = write_file(path, line)) < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", child);
	snprintf(line, sizeof(line), "%u %u 1\n", CIS_JOB_GID, p->host_gid);
	*what = "gid_map";
	return write_file(path, line);
}

int userns_enter_identity(const struct plan *p)
{
	/* Keep the capabilities the kernel gave us in the new userns across the uid change: the
	 * setup that follows needs them; they are dropped for good before exec. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setresgid(CIS_JOB_GID, CIS_JOB_GID, CIS_JOB_GID) < 0)
		return -errno;
	/* Root mode: the caller's supplementary groups (e.g. docker) must not follow the job; nor
	 * rootless where newgidmap left setgroups allowed (subordinate ids, private.h). */
	if ((p->as_root || p->priv.kernel) && setgroups(0, NULL) < 0)
		return -errno;
	if (setresuid(CIS_JOB_UID, CIS_JOB_UID, CIS_JOB_UID) < 0)
		return -errno;
	return 0;
}

/* A user namespace fd whose map sends the workspace owner to the job's host ids: an idmapped
 * mount shows on-disk owner W as the namespace's outside id. The helper process only holds the
 * namespace alive until its fd is open. */
static int idmap_userns(const struct plan *p, uid_t owner, gid_t group, int *out)
{
	char path[64], line[64];
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	int r = 0, fd = -1;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (;;)
			pause();
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	snprintf(line, sizeof(line), "%u %u 1\n", owner, p->host_uid);
	r = write_file(path, line);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	snprintf(line, sizeof(line), "%u %u 1\n", group, p->host_gid);
	if (r == 0)
		r = write_file(path, line);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (r == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		r = -errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (r == 0)
		*out = fd;
	return r;
}

int userns_idmapped_clone(const struct plan *p, const char *src, bool rdonly, int *out)
{
	_cleanup_close_ int ns = -1, m = -1;
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	                       .propagation = MS_PRIVATE};
	struct stat st;
	int r;

	if (rdonly)
		a.attr_set |= MOUNT_ATTR_RDONLY;
	m = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (m < 0 || fstat(m, &st) < 0)
		return -errno;
	if ((r = idmap_userns(p, st.st_uid, st.st_gid, &ns)) < 0)
		return r;
	a.userns_fd = (uint64_t)ns;
	if (mount_setattr(m, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return -errno;
	*out = TAKE_FD(m);
	return 0;
}

static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A seccomp filter on the launcher itself: a container runtime's, never ours. */
static bool under_seccomp(void)
{
	_cleanup_free_ char *st = read_text_file("/proc/self/status");

	return st && strstr(st, "\nSeccomp:\t2");
}

const char *userns_diagnose(int err, char *buf, size_t len)
{
	if ((err == EPERM || err == ENOSYS) && under_seccomp())
		snprintf(buf, len,
		         "%s: a seccomp filter on cisandbox itself refuses new namespaces (a "
		         "container runtime's default profile); a Kubernetes runner pod needs "
		         "securityContext.seccompProfile.type: Unconfined (or a Localhost profile "
		         "allowing unshare, clone and clone3 with namespace flags); see 'cisandbox "
		         "doctor'",
		         strerror(err));
	else if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		snprintf(buf, len,
		         "unprivileged user namespaces are disabled "
		         "(kernel.unprivileged_userns_clone=0); enable them with "
		         "'sysctl -w kernel.unprivileged_userns_clone=1'");
	else if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0)
		snprintf(buf, len,
		         "user namespaces are disabled (user.max_user_namespaces=0); "
		         "enable them with 'sysctl -w user.max_user_namespaces=15000'");
	else if (read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		snprintf(buf, len,
		         "AppArmor restricts unprivileged user namespaces "
		         "(kernel.apparmor_restrict_unprivileged_userns=1); allow them "
		         "with 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' "
		         "or an AppArmor profile granting 'userns' to cisandbox");
	else if (err == ENOSPC)
		snprintf(buf, len,
		         "the user namespace limit is reached "
		         "(user.max_user_namespaces or a parent namespace's limit)");
	else
		snprintf(buf, len, "%s", strerror(err));
	return buf;
}
