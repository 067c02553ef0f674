/* ns.h — the contract between the launcher (supervise.c) and the sandbox init (ns.c): what init
 * inherits through clone, the messages it sends back on the socket, and the signals both sides
 * treat as a cancel. */
#ifndef CIS_NS_H
#define CIS_NS_H

#include "cis_limits.h"
#include "mount.h"
#include "plan.h"

#include <linux/filter.h>
#include <signal.h>
#include <stdbool.h>

enum msg_type {
	MSG_SETUP_ERROR = 1,
	MSG_EXEC_ERROR,
	MSG_STATUS,
	MSG_LISTENER,
	MSG_NFLOG,
	MSG_DNS,   /* the resolver's sockets: UDP, TCP[, netfilter]; status says how many */
	MSG_GRACE, /* after a cancel, the job's processes are all gone; status: how many were
	            * still there at the end of the kill grace and had to be killed */
	MSG_NETNS, /* launcher to init: the sandbox's network namespace (net_ns_later) */
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
	int handfd; /* launcher to init: fds (MSG_NETNS), apart from the message socket, whose
	             * unread data would reset it at init's exit and lose init's last report */
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
/* Pass one fd over the message socket as a message of `type` (either side). 0 or -errno. */
int ns_send_fd(int sock, int type, int fd);

#endif
