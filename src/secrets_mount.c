/* secrets_mount.c — init side of secrets as files (secrets.h): while the new root is built, a
 * small read-only tmpfs at /run/secrets holding each secret as a 0400 file of the job's uid. */
#define _GNU_SOURCE
#include "mount.h"
#include "secrets.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int write_secrets(const struct secrets_plan *sp, int dir, struct step_err *e)
{
	for (size_t i = 0; i < sp->n; i++) {
		const struct secret *s = &sp->v[i];
		_cleanup_close_ int fd = openat(
		    dir, s->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);

		if (fd < 0 || write_all(fd, s->data, s->len) < 0 ||
		    fchown(fd, CIS_JOB_UID, CIS_JOB_GID) < 0 || fchmod(fd, 0400) < 0)
			return step_fail(e, -errno, SECRETS_DIR "/%s", s->name);
	}
	return 0;
}

int secrets_mount(const struct secrets_plan *sp, int root, struct step_err *e)
{
	_cleanup_close_ int fs = -1, m = -1, run = -1, target = -1;
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY, .propagation = MS_PRIVATE};
	int r;

	if (!sp->n)
		return 0;
	if ((fs = fsopen("tmpfs", FSOPEN_CLOEXEC)) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "2m", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0500", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC,
	                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		return step_fail(e, -errno, "tmpfs " SECRETS_DIR);
	if ((r = write_secrets(sp, m, e)) < 0)
		return r;
	if (fchownat(m, "", CIS_JOB_UID, CIS_JOB_GID, AT_EMPTY_PATH) < 0 ||
	    mount_setattr(m, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return step_fail(e, -errno, "read-only " SECRETS_DIR);
	/* /run is absent from the sandbox otherwise: made on the new root's tmpfs. */
	if ((mkdirat(root, "run", 0755) < 0 && errno != EEXIST) ||
	    (run = openat(root, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (mkdirat(run, "secrets", 0500) < 0 && errno != EEXIST) ||
	    (target = openat(run, "secrets", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return step_fail(e, -errno, "attach " SECRETS_DIR);
	return 0;
}
