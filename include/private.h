/* private.h — nothing private of the host in view (issue #14, part 1).
 *
 * The system dirs (/usr, /etc, /opt, ...) are shown so that an entry "other" cannot read is not
 * readable in the sandbox either, whoever owns it. As root the job is already "other" to every
 * host file (uid 2147418112, no groups): the kernel does the check. Rootless, the job is the
 * caller's uid and keeps its gid (and, without a subordinate gid range, its supplementary
 * groups), so its own 0600 files and its groups' 0640 files would be readable. Where the caller
 * has subordinate ids (/etc/subuid, /etc/subgid, and newuidmap/newgidmap of the uidmap package),
 * the sandbox's user namespace also maps inside id 0 to the first subordinate uid/gid, and each
 * system dir is shown through a read-only overlay created with those ids as its filesystem
 * credentials (no groups, no DAC capability): overlayfs checks every access twice, with the
 * job's credentials and with its mounter's, so an entry the subordinate id cannot read (it is
 * "other" to every host file) is EACCES for the job too. No walk: the cost does not depend on
 * the size of the trees. Plan side here (launcher, before any namespace); init side in hide.c. */
#ifndef CIS_PRIVATE_H
#define CIS_PRIVATE_H

#include "spec.h"

#include <stdbool.h>
#include <sys/types.h>

/* Fixed paths: a PATH lookup would run what the caller's environment chose. */
#define PRIVATE_NEWUIDMAP "/usr/bin/newuidmap"
#define PRIVATE_NEWGIDMAP "/usr/bin/newgidmap"

/* A uid's passwd entry, as much of it as we use. */
struct account {
	char name[64];
	char home[4096];
	gid_t gid;
};
/* /etc/passwd first (what NSS's "files" source reads, and all a runner's service account needs),
 * else `getent passwd UID` (libc-bin's, by absolute path) for an account only another source
 * knows (LDAP, SSSD): the binary is static and loads no NSS module itself. False if neither
 * knows the uid. */
bool account_of(uid_t uid, struct account *a);

struct private_plan {
	bool kernel;      /* rootless with subordinate ids: the filtering overlays are used */
	uid_t sub_uid;    /* host uid of inside uid 0 (the overlays' mounter) */
	gid_t sub_gid;    /* host gid of inside gid 0 */
	unsigned plain;   /* bit i: system dir mounts[i] has mounts below it, shown unfiltered */
	char *reason;     /* rootless without the kernel check: why (for the warning) */
	char *plain_dirs; /* the system dirs shown unfiltered, space separated, or NULL */
};

/* Why the kernel cannot be made to hide uid/gid's private entries on the host below ROOT ("" for
 * this one): a malloc'd reason, or NULL with the first subordinate uid and gid in *su, *sg. */
char *private_why_not(const char *root, uid_t uid, gid_t gid, unsigned long *su, unsigned long *sg);
/* Decide how private entries are kept out of view for a caller uid/gid (as_root: launched by
 * root), given the plan's system dirs sys[0..n_sys). Never fails: what is missing is reported
 * once by the launcher (private_warn). */
void private_plan_build(struct private_plan *pp, uid_t uid, gid_t gid, bool as_root,
                        const struct mount_op *sys, size_t n_sys);
void private_plan_free(struct private_plan *pp);
/* Launcher: the warning line(s), once per run, where the rule cannot be kept (quiet: the
 * profile set filesystem.private "best-effort" and the run is not --verbose). */
void private_warn(const struct private_plan *pp, bool quiet);
/* Launcher, rootless with subordinate ids: write the child's maps with newuidmap/newgidmap
 * (inside 1000 = the caller, inside 0 = the subordinate ids). 0 or -errno; *what names the
 * helper that failed. */
int private_write_maps(const struct private_plan *pp, uid_t host_uid, gid_t host_gid, pid_t child,
                       const char **what);

/* Launcher, as root: is m (not one of the system dirs) a --ro-bind or profile ro_bind naming an
 * entry "other" cannot read? Named, it is shown: through an idmapped mount owned by the job. */
bool private_named_idmap(const struct mount_op *m, bool as_root, bool system);

#endif
