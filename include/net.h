/* net.h — the sandbox's network namespace (child, before the job starts). */
#ifndef CIS_NET_H
#define CIS_NET_H

#include "plan.h"

#include <stdbool.h>

/* Mode none: bring up lo; nothing else exists in the namespace. 0 or -errno. */
int net_setup(const struct plan *p);

/* One egress allowlist entry: CIDR, IP, IP:PORT, IP:PORT-PORT, [IPv6]:PORT, [IPv6]:PORT-PORT,
 * each optionally followed by /tcp or /udp (default tcp). Without a port, every port. */
struct net_allow {
	int family;                      /* AF_INET or AF_INET6 */
	unsigned char addr[16];          /* network byte order, host bits cleared */
	unsigned char prefix;            /* 0..32 or 0..128 */
	unsigned short port_lo, port_hi; /* host order; 0-65535 for every port */
	unsigned char proto;             /* IPPROTO_TCP or IPPROTO_UDP */
};

/* Parse spec; NULL on success, else the reason (static text). Pure: no system calls. */
const char *net_parse_allow(const char *spec, struct net_allow *out);
/* Does the entry cover the whole address range range (same family, prefix at most range's)? */
bool net_allow_covers(const struct net_allow *entry, const struct net_allow *range);

#endif
