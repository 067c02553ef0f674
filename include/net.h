/* net.h — the sandbox's network namespace (child, before the job starts). */
#ifndef CIS_NET_H
#define CIS_NET_H

#include "plan.h"

#include <stdbool.h>
#include <sys/types.h>

/* In the sandbox init: bring up lo; with egress, install the nftables policy and open the
 * resolver's sockets (dns: UDP, TCP, netfilter or -1), all for the launcher. In audit mode
 * *nflog is a socket receiving every new outbound flow (else -1). 0 or -errno, e->detail set. */
int net_setup(const struct plan *p, int *nflog, int dns[3], struct step_err *e);

/* Launcher, audit mode: the destinations the job contacted. */
#define NET_MAX_FLOWS 256
struct net_flow {
	int family;
	unsigned char addr[16];
	unsigned short port;
	unsigned char proto;
	unsigned count;
	bool denied; /* in the always-denied set: the ruleset refused it */
};
struct net_flows {
	struct net_flow v[NET_MAX_FLOWS];
	size_t n;
	unsigned long total;
};
/* Read what is pending on the NFLOG socket; returns the index of each new destination through
 * fresh (at most max), so the caller can report it once. */
size_t net_flows_read(const struct plan *p, int nflog, struct net_flows *f, size_t *fresh,
                      size_t max);
/* The same for one buffer of netlink messages as the kernel sends them (pure; fuzzed). */
size_t net_flows_parse(const struct plan *p, const void *buf, size_t len, struct net_flows *f,
                       size_t *fresh, size_t max);
/* "tcp 198.51.100.10:80" */
void net_flow_format(const struct net_flow *fl, char *buf, size_t len);

/* Launcher side: the rootless connectivity helper (slirp4netns) attached to the sandbox's
 * network namespace. It dies with the launcher (PDEATHSIG, --exit-fd); no port is forwarded into
 * the sandbox, host loopback and the helper's own DNS are off. */
struct net_helper {
	pid_t pid;   /* 0: none */
	int exit_w;  /* closing it tells slirp4netns to exit */
	int ready_r; /* slirp4netns writes "1" here once tap0 is configured */
};

/* The namespaces the helper attaches to: a user namespace in which it may configure the
 * network namespace. */
struct net_ns {
	int userns, netns;
};
void net_ns_close(struct net_ns *ns);
/* Rootless, the sandbox's own (init's). Launched by root with egress, a network namespace the
 * launcher makes before the sandbox, under a user namespace owned by CIS_ROOT_MODE_HELPER_ID, so
 * that the helper never runs as host root; the launcher programs it and the sandbox init is
 * cloned into it. */
static inline bool net_ns_separate(const struct plan *p)
{
	return p->as_root && p->net.mode != NET_NONE;
}
/* No network (the default): the sandbox's network namespace is made after the clone, while init
 * builds the filesystem, by a vfork-like child of the launcher that joins init's user namespace
 * (so that init owns it, as with CLONE_NEWNET) and brings lo up; init joins it before anything of
 * the job exists. Making a network namespace is most of what a clone costs (~0.5 ms): made
 * beside init's work, it is off the run's path. */
static inline bool net_ns_later(const struct plan *p)
{
	return p->net.mode == NET_NONE;
}
/* Launcher: that namespace, in the user namespace `userns` (a /proc/INIT/ns/user fd); *netfd
 * is an fd of it. 0 or -errno with why set. */
int net_ns_beside(int userns, int *netfd, char *why, size_t len);
/* Init: join it (refusing the one init was born in: the host's). 0 or -errno with e set. */
int net_ns_join(int netfd, struct step_err *e);
int net_ns_of(pid_t init, struct net_ns *ns);
int net_ns_make(struct net_ns *ns, char *why, size_t len);

/* Start the helper on those namespaces (it keeps its own copies). 0 or -errno with why set. */
int net_helper_start(const struct plan *p, const struct net_ns *ns, struct net_helper *h, char *why,
                     size_t len);
/* Wait (bounded) until tap0 is configured. 0 or -errno with why set. */
int net_helper_ready(const struct plan *p, struct net_helper *h, char *why, size_t len);
/* Stop it and reap it; true when it is gone. */
bool net_helper_stop(struct net_helper *h);
/* Has it died before we told it to go (exit_w still open)? Reaps it (h->pid 0 after) and sets
 * *status (a wait status). Never blocks. */
bool net_helper_died(struct net_helper *h, int *status);

#endif
