/* mount.h — the sandbox's filesystem, built by the child in its own mount namespace. */
#ifndef CIS_MOUNT_H
#define CIS_MOUNT_H

#include "plan.h"

/* Assemble the new root on a tmpfs (system dirs read-only, /dev, /tmp, /home, /workspace,
 * /proc, masks, the plan's operations) and leave it attached, not yet entered. *rootfd is the
 * new root. ws_fd, when >= 0, is the workspace already cloned by the launcher (idmapped, as root);
 * it is consumed. 0 or -errno with e->detail set. */
int mount_build_root(const struct plan *p, int ws_fd, int *rootfd, struct step_err *e);
/* Enter the new root with pivot_root, detach the old one, make / read-only. */
int mount_pivot(int rootfd, struct step_err *e);

#endif
