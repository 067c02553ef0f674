/* hide.c — runs in the sandbox init, while it builds the new root (mount.c, before the system
 * dirs are attached): each system dir becomes a read-only overlay whose mounter is the
 * subordinate uid/gid (inside id 0, see private.h). overlayfs checks an access with the caller's
 * credentials on its own inode and again with the mounter's on the real one (ovl_permission);
 * the mounter is "other" to every host file and holds no DAC capability, so what "other" cannot
 * read, the job cannot read either, without a walk of the tree. */
#define _GNU_SOURCE
#include "hide.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The second, empty lower layer (overlayfs wants two lowers when there is no upper), on the new
 * root's tmpfs beside mount.c's other private files. */
#define EMPTY_LOWER ".cisandbox/empty-lower"

/* Filesystem credentials of the mounter: the subordinate ids, no DAC capability. They must be
 * in place when the superblock is created (overlayfs keeps a copy of the creator's credentials
 * and uses it for every access to the layers). Supplementary groups are already gone
 * (userns_enter_identity). */
static int mounter_on(struct __user_cap_data_struct saved[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	const __u32 dac =
	    (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER);

	if (syscall(SYS_capget, &h, saved) < 0)
		return -errno;
	setfsgid(0);
	setfsuid(0);
	if ((gid_t)setfsgid((gid_t)-1) != 0 || (uid_t)setfsuid((uid_t)-1) != 0)
		return -EPERM;
	memcpy(d, saved, sizeof(d));
	d[0].effective &= ~dac;
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Back to the job's ids (which clears the fs capabilities from the effective set), then the
 * capabilities the init had. Failing here would leave the init half-switched: abort. */
static void mounter_off(struct __user_cap_data_struct saved[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	setfsuid(CIS_JOB_UID);
	setfsgid(CIS_JOB_GID);
	if ((uid_t)setfsuid((uid_t)-1) != CIS_JOB_UID ||
	    (gid_t)setfsgid((gid_t)-1) != CIS_JOB_GID || syscall(SYS_capset, &h, saved) < 0)
		abort();
}

static int filtered_overlay(int lower, int empty, int *out)
{
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	struct __user_cap_data_struct saved[2];
	char layers[64];
	int r, m;

	if (fs < 0)
		return -errno;
	snprintf(layers, sizeof(layers), "/proc/self/fd/%d:/proc/self/fd/%d", lower, empty);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", layers, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		return -errno;
	if ((r = mounter_on(saved)) < 0) {
		mounter_off(saved);
		return r;
	}
	r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ? -errno : 0;
	mounter_off(saved);
	if (r < 0)
		return r;
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m < 0)
		return -errno;
	*out = m;
	return 0;
}

int hide_system_dirs(const struct plan *p, int root, int *fds, struct step_err *e)
{
	_cleanup_close_ int empty = -1;

	if (mkdirat(root, EMPTY_LOWER, 0555) < 0 && errno != EEXIST)
		return step_fail(e, -errno, "mkdir /%s", EMPTY_LOWER);
	empty = openat(root, EMPTY_LOWER, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (empty < 0)
		return step_fail(e, -errno, "open /%s", EMPTY_LOWER);
	for (size_t i = 0; i < p->n_system; i++) {
		const struct mount_op *m = &p->mounts[i];
		_cleanup_close_ int lower = -1;
		int r;

		if (m->kind != MNT_RO_BIND || fds[i] >= 0 ||
		    (i < 32 && (p->priv.plain & (1u << i))))
			continue;
		lower = open(m->src, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (lower < 0)
			return step_fail(e, -errno, "open %s", m->src);
		if ((r = filtered_overlay(lower, empty, &fds[i])) < 0)
			return step_fail(e, r, "filtering overlay of %s (subordinate ids)", m->src);
	}
	return 0;
}
