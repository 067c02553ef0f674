/* nft.h — the egress ruleset: one inet table programmed over netlink (libnftnl + libmnl) in the
 * sandbox's own network namespace, before the job starts, as one atomic batch. The job holds no
 * CAP_NET_ADMIN there and can neither read nor change it. */
#ifndef CIS_NFT_H
#define CIS_NFT_H

#include "spec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_policy {
	const struct net_allow *deny; /* always refused (metadata, private ranges, host, ...) */
	size_t n_deny;
	const struct net_allow *allow; /* allowlist entries */
	size_t n_allow;
	const struct net_allow *private_ok; /* holes in the deny list (network.allow_private) */
	size_t n_private;
	const struct net_ports *classes; /* one set pair each, filled at run time by the resolver */
	size_t n_classes;
	bool allowlist; /* true: only allowed destinations pass; false: all but the deny list */
	int log_group;  /* > 0: every new outbound flow goes to this NFLOG group (audit mode) */
};

/* Install the policy in the current network namespace (needs CAP_NET_ADMIN there). 0 or -errno;
 * err names what the kernel refused. */
int nft_apply(const struct nft_policy *pol, char *err, size_t errlen);

/* An address the resolver returned for an allowed name: into set dns4_K/dns6_K (K = its port
 * class) for timeout_ms. replace: the element is there with an earlier expiry (delete it and
 * add it again, atomically; a set element's timeout cannot be refreshed in place on every
 * kernel we support). */
struct nft_dns_elem {
	unsigned char port_class;
	int family;
	unsigned char addr[16];
	uint64_t timeout_ms;
	bool replace;
};
struct mnl_socket;
/* Launcher side, on a NETLINK_NETFILTER socket opened in the sandbox's namespace by init. One
 * atomic batch; 0 or -errno with err set. */
int nft_dns_add(struct mnl_socket *nl, const struct nft_dns_elem *v, size_t n, char *err,
                size_t errlen);

#endif
