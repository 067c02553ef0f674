/* plan.h — the immutable plan: everything the launcher and the sandbox child will do, resolved
 * from argv and the profile in the parent before any namespace exists. Setup steps only read it. */
#ifndef CIS_PLAN_H
#define CIS_PLAN_H

#include "origin.h"
#include "police.h"
#include "policy_plan.h"
#include "private.h"
#include "secrets.h"
#include "seccomp.h"
#include "spec.h"
#include "util.h"

#include <stdio.h>
#include <sys/types.h>

struct plan {
	char *profile_name;
	char *profile_source; /* file path or "builtin:NAME" */
	struct strv argv;     /* the job's command */
	char *workspace;      /* host dir, or NULL for mode tmpfs */
	enum ws_mode ws_mode;
	uint64_t ws_size;
	uint64_t tmp_size;
	bool
	    show_registration; /* a runner's .runner/.credentials in the workspace are not hidden */
	/* Replayed in order by the child after /dev, /tmp, /home and the workspace: system dirs,
	 * built-in masks, then the profile's and the command line's operations. */
	struct mount_op *mounts;
	size_t n_mounts;
	size_t n_system; /* mounts[0..n_system) are the system dirs, replayed first */
	struct strv env; /* final NAME=VALUE list */
	uint64_t timeout_ms;
	uint64_t kill_grace_ms;
	struct limits limits;
	char *audit_log;     /* PATH or fd:N, or NULL */
	bool audit_required; /* a record that cannot be written ends the run (exit 125) */
	struct net_plan net;
	char *workdir; /* the job's working directory inside: /workspace unless the profile says */
	struct cis_seccomp seccomp;
	/* Host directories the job can write (rw bind sources, a bound workspace), and the file
	 * commands below them that the launcher reads and cuts down after the job (police.h). */
	struct strv writable;
	struct police_file *police;
	size_t n_police;
	/* Rootless: supplementary groups the kernel will not let us drop (setgroups denied). */
	int kept_groups;
	/* How entries only the caller or its groups may read are kept out of view (private.h). */
	struct private_plan priv;
	bool private_quiet; /* filesystem.private "best-effort": the operator knows; no warning */
	/* Where the code comes from and who runs it (origin.h): the audit's ci object. */
	struct ci_origin origin;
	/* The run's tier and its secrets (secrets.h): the bytes are never printed. */
	struct secrets_plan secrets;
	/* Who decides whether the run may start, and on what (policy_plan.h). */
	struct policy_plan policy;
	bool verbose;
	bool dry_run;
	bool learn; /* --learn: grantable denied syscalls are let through and recorded (learn.h) */
	/* Identity. */
	uid_t caller_uid;
	gid_t caller_gid;
	bool as_root;   /* launched by host uid 0: maps go to CIS_ROOT_MODE_HOST_ID */
	uid_t host_uid; /* host uid the job's CIS_JOB_UID maps to */
	gid_t host_gid;
};

struct cli;
struct profile;

/* Merge CLI over profile, resolve env/mounts/identity, validate; all input errors surface here.
 * Returns 0 or -errno with `err` set. */
int plan_build(struct plan *p, const struct cli *c, const struct profile *prof,
               struct cis_err *err);
/* Print the plan as JSON (for --dry-run). Returns 0 or -errno. */
int plan_print_json(const struct plan *p, FILE *out);
void plan_free(struct plan *p);

#endif
