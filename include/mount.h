/* mount.h — the sandbox's filesystem, built by the child in its own mount namespace. */
#ifndef CIS_MOUNT_H
#define CIS_MOUNT_H

#include "plan.h"

/* Detached trees prepared by the launcher: -1 where the child clones the source itself. */
struct mount_fds {
	int ws;
	int *binds; /* parallel to plan->mounts, or NULL */
};

/* Launcher, as root: idmapped clones of the workspace and of read-write binds. Failure to idmap
 * is reported as a warning and that source is then cloned plainly by the child. */
void mount_prepare_idmapped(const struct plan *p, struct mount_fds *out);
/* Close what is left of it (in the launcher after clone). */
void mount_fds_close(struct mount_fds *f, size_t n);

/* Assemble the new root on a tmpfs (system dirs read-only, /dev, /tmp, /home, /workspace,
 * /proc, masks, the plan's operations) and leave it attached, not yet entered. *rootfd is the
 * new root. pre holds the trees the launcher already cloned (idmapped, as root); they are
 * consumed. 0 or -errno with e->detail set. */
int mount_build_root(const struct plan *p, struct mount_fds *pre, int *rootfd, struct step_err *e);
/* Enter the new root with pivot_root, detach the old one, make / read-only. */
int mount_pivot(int rootfd, struct step_err *e);
/* Init, while the new root is built: a small read-only tmpfs at /run/secrets holding the
 * secrets' files (secrets_mount.c). 0 or -errno with e set. */
int secrets_mount(const struct secrets_plan *sp, int root, struct step_err *e);

#endif
