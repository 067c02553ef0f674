/* netwatch.h — the sandbox's resolver and flow-log reader, apart from the launcher: they
 * parse what the job sends (DNS queries, upstream answers, NFLOG records), so they run in a
 * child of the launcher that holds no host privilege (netwatch.c): its own identity (root
 * mode: an unprivileged uid of its own; rootless: the caller's, in a user namespace of its
 * own), an empty mount namespace, no capability, no_new_privs and a seccomp allowlist, and
 * only its sockets and one channel to the launcher, which carries fds down and audit lines
 * up. If it dies, the sandbox's resolver sockets close with it: name resolution fails closed,
 * and the launcher says so. */
#ifndef CIS_NETWATCH_H
#define CIS_NETWATCH_H

#include "plan.h"

#include <poll.h>

struct audit;

struct mnl_socket;
struct netwatch {
	pid_t pid;             /* 0: not started */
	int chan;              /* the launcher's end: fds down, audit lines up; -1 once closed */
	int rpc;               /* the child's requests to allow addresses, and our answers */
	struct mnl_socket *nl; /* the sandbox's nftables socket, which only we use */
	bool gone;             /* the child has exited (or could not start) */
	size_t n;              /* bytes of an incomplete audit line in buf */
	char buf[8192];
};

/* The child's syscall lists (compiled at build time, tests/gen_seccomp.c). */
extern const struct cis_seccomp_lists netwatch_lists;

/* Start the child with the resolver's sockets (udp, tcp, nft; -1 where absent) and the flow
 * log (-1 unless audit mode); the launcher's copies are closed. 0 or -errno. */
int netwatch_start(struct netwatch *w, const struct plan *p, const struct audit *a, int udp,
                   int tcp, int nft, int nflog);
/* Hand the child a flow log that arrived later (rootless: init sends it after the helper is
 * up); starts the child if it was not. 0 or -errno. */
int netwatch_flow_log(struct netwatch *w, const struct plan *p, const struct audit *a, int nflog);
/* The two pollfds to watch (fd -1 when there is nothing): returns 2. */
size_t netwatch_poll_fill(const struct netwatch *w, struct pollfd *pf);
/* After poll: answer the child's requests, relay its audit lines; a child that died early is
 * reported. */
void netwatch_poll_done(struct netwatch *w, const struct pollfd *pf, const struct plan *p,
                        const struct audit *a);
/* The job is over: the child finishes (its reports go to stderr) and is reaped. */
void netwatch_stop(struct netwatch *w, const struct plan *p, const struct audit *a);

#endif
