/* supervise_int.h — inside the supervise module only: what the launcher learns of a run while it
 * watches it (supervise.c), and the words it says about it (supervise_report.c). */
#ifndef CIS_SUPERVISE_INT_H
#define CIS_SUPERVISE_INT_H

#include "net.h"
#include "netwatch.h"
#include "supervise.h"

#include <time.h>

#define MAX_DENIALS         64  /* distinct syscalls remembered; the total is always counted */
#define MAX_AUDITED_DENIALS 100 /* policy.deny events per run */

struct denial {
	int nr;
	unsigned count;
	pid_t pid; /* first caller, as the launcher sees it */
};

struct outcome {
	struct msg error; /* first setup or exec error */
	bool have_error;
	bool have_status;
	int job_status;
	bool timed_out;
	bool cancelled;            /* a TERM, INT or HUP was forwarded: the kill grace began */
	struct timespec cancel_at; /* ... then */
	bool graced;               /* init gave the job its grace (MSG_GRACE) ... */
	int grace_killed;          /* ... and killed that many at its end */
	bool sigkilled;            /* the timeout's SIGKILL to init */
	const char *stopped; /* the launcher ended the job itself: helper-died, audit-failed */
	int init_status;
	int listener;       /* seccomp user notifications, once the job has sent the fd */
	bool listener_seen; /* it came (it is closed again once the job's processes are gone) */
	struct denial denials[MAX_DENIALS];
	size_t n_denials;
	unsigned long denied_total;
	const struct audit *audit;
	struct net_helper *helper;
	const struct plan *p;
	/* The resolver and flow-log reader, in their unprivileged child (netwatch.h). */
	struct netwatch nw;
	bool guarded; /* the launcher's own seccomp filter is on (guard.h) */
};

/* Before the run: the profile, the workspace and the identity (--verbose), the supplementary
 * groups that stay and the private files that stay readable (warnings). */
void supervise_start_notes(const struct plan *p);
/* The outcome on stderr, once; returns the launcher's exit status (see cisandbox(1)). */
int supervise_report(const struct plan *p, const struct outcome *o);
/* --verbose: the denied syscalls, by name, with counts and their first caller. */
void supervise_report_denials(const struct outcome *o);

#endif
