/* userns.h — identity: the uid/gid maps the launcher writes for the sandbox child, and the
 * diagnosis when the kernel refuses unprivileged user namespaces. */
#ifndef CIS_USERNS_H
#define CIS_USERNS_H

#include "plan.h"

/* Launcher, right after clone: map CIS_JOB_UID/GID to plan->host_uid/gid. 0 or -errno; *what
 * names the file that failed. */
int userns_write_maps(const struct plan *p, pid_t child, const char **what);
/* Child, after the maps exist: become the job's ids (keeping the userns capabilities needed for
 * setup) and drop supplementary groups where the kernel allows it. 0 or -errno. */
int userns_enter_identity(const struct plan *p);
/* Launcher, as root, before clone: a detached clone of host dir `src` whose owner appears as the
 * job (an idmapped mount), so that a root-owned checkout or --bind source is writable by the
 * unprivileged job without ever mapping host root into the sandbox. Used for the workspace and
 * read-write binds. -errno if the filesystem cannot idmap. */
int userns_idmapped_clone(const struct plan *p, const char *src, bool rdonly, int *out);
/* A sentence explaining why user namespaces are unavailable and how to enable them. */
const char *userns_diagnose(int err, char *buf, size_t len);

#endif
