/* nft.h — the egress ruleset: one inet table programmed over netlink (libnftnl + libmnl) in the
 * sandbox's own network namespace, before the job starts, as one atomic batch. The job holds no
 * CAP_NET_ADMIN there and can neither read nor change it. */
#ifndef CIS_NFT_H
#define CIS_NFT_H

#include "net.h"

#include <stdbool.h>
#include <stddef.h>

struct nft_policy {
	const struct net_allow *deny; /* always refused (metadata, private ranges, host, ...) */
	size_t n_deny;
	const struct net_allow *allow; /* allowlist entries */
	size_t n_allow;
	const struct net_allow *private_ok; /* holes in the deny list (network.allow_private) */
	size_t n_private;
	bool allowlist; /* true: only allowed destinations pass; false: all but the deny list */
	int log_group;  /* > 0: every new outbound flow goes to this NFLOG group (audit mode) */
};

/* Install the policy in the current network namespace (needs CAP_NET_ADMIN there). 0 or -errno;
 * err names what the kernel refused. */
int nft_apply(const struct nft_policy *pol, char *err, size_t errlen);

#endif
