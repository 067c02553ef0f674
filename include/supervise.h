/* supervise.h — the process model. The launcher clones the sandbox init (PID 1 of new user,
 * mount, PID, UTS, IPC, cgroup and network namespaces), writes its id maps, and supervises it:
 * signals, timeout, exit status. The init builds the sandbox, forks the job, reaps, and on the
 * job's exit kills everything left; after a forwarded TERM, INT or HUP (a cancel, the timeout)
 * it first gives every process of the job the kill grace. */
#ifndef CIS_SUPERVISE_H
#define CIS_SUPERVISE_H

#include "cis_limits.h"
#include "mount.h"
#include "plan.h"

#include <linux/filter.h>
#include <signal.h>

enum msg_type {
	MSG_SETUP_ERROR = 1,
	MSG_EXEC_ERROR,
	MSG_STATUS,
	MSG_LISTENER,
	MSG_NFLOG,
	MSG_DNS,   /* the resolver's sockets: UDP, TCP[, netfilter]; status says how many */
	MSG_GRACE, /* after a cancel, the job's processes are all gone; status: how many were
	            * still there at the end of the kill grace and had to be killed */
};
#define MSG_MAX_FDS 3

/* One message from the sandbox to the launcher; smaller than PIPE_BUF, so each write is atomic
 * even when init and job both write. */
struct msg {
	int type;
	int err;    /* errno, for errors */
	int status; /* wait status of the job, for MSG_STATUS; a count for MSG_GRACE */
	char step[32];
	char detail[384];
};

/* What the sandbox side inherits from the launcher (a copy, through clone). */
struct launch {
	const struct plan *p;
	struct sock_fprog prog; /* the compiled seccomp filter */
	struct cgroup cg;
	struct mount_fds pre;
	int msgfd;  /* sandbox end of the message socket */
	int syncfd; /* read end of the sync pipe */
};

/* The signals the launcher blocks and init reads from a signalfd: the forwarded ones
 * (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) and SIGCHLD. */
void signal_set(sigset_t *set);
/* Is sig one a runner cancels with (SIGTERM, SIGINT, SIGHUP; our timeout sends SIGTERM)? From
 * the first one forwarded on, every process of the job gets the kill grace. */
bool signal_cancels(int sig);

/* Sandbox side (ns.c): the init, PID 1 of the new namespaces. Builds the sandbox, runs the job,
 * reports its status and exits; never returns. */
_Noreturn void ns_init_main(struct launch *l);

struct audit;

/* Run the plan's job; returns the launcher's exit status (see cisandbox(1)). Events go to the
 * audit log when it is open. *launcher_failed: the status is ours (the sandbox could not be
 * set up), not the job's (CI integrations report the two differently). */
int supervise_run(const struct plan *p, const struct audit *audit, bool *launcher_failed);

#endif
