/* hide.h — the sandbox init's half of private.h: the system dirs as filtering overlays. */
#ifndef CIS_HIDE_H
#define CIS_HIDE_H

#include "plan.h"

struct step_err;

/* Init, rootless with subordinate ids, after the new root exists (root: its fd) and before the
 * system dirs are attached: a detached read-only overlay of each system dir whose mounter
 * credentials are the subordinate ids, in fds[i] (parallel to plan->mounts; only [0, n_system)
 * are touched, and only where fds[i] is -1). 0 or -errno with e set. */
int hide_system_dirs(const struct plan *p, int root, int *fds, struct step_err *e);

#endif
