/* net.h — the sandbox's network namespace (child, before the job starts). */
#ifndef CIS_NET_H
#define CIS_NET_H

#include "plan.h"

#include <stdbool.h>
#include <sys/types.h>

/* In the sandbox init: bring up lo; with egress, install the nftables policy (the helper has
 * configured tap0 by then). 0 or -errno, e->detail set. */
int net_setup(const struct plan *p, struct step_err *e);

/* Launcher side: the rootless connectivity helper (slirp4netns) attached to the sandbox's
 * network namespace. It dies with the launcher (PDEATHSIG, --exit-fd); no port is forwarded into
 * the sandbox, host loopback and the helper's own DNS are off. */
struct net_helper {
	pid_t pid;   /* 0: none */
	int exit_w;  /* closing it tells slirp4netns to exit */
	int ready_r; /* slirp4netns writes "1" here once tap0 is configured */
};

/* Start the helper on init's namespaces. 0 or -errno with why set. */
int net_helper_start(const struct plan *p, pid_t init, struct net_helper *h, char *why, size_t len);
/* Wait (bounded) until tap0 is configured. 0 or -errno with why set. */
int net_helper_ready(const struct plan *p, struct net_helper *h, char *why, size_t len);
/* Stop it and reap it; true when it is gone. */
bool net_helper_stop(struct net_helper *h);

/* Parse spec; NULL on success, else the reason (static text). Pure: no system calls. */
const char *net_parse_allow(const char *spec, struct net_allow *out);
/* Back to text: "198.51.100.0/24:80-81/tcp", "[2001:db8::1]:443/udp", "10.0.0.0/8". */
void net_format_allow(const struct net_allow *a, char *buf, size_t len);
/* Does the entry cover the whole address range range (same family, prefix at most range's)? */
bool net_allow_covers(const struct net_allow *entry, const struct net_allow *range);

#endif
