/* dns.h — the sandbox's resolver. It runs in an unprivileged child of the launcher
 * (netwatch.c), outside the job's reach, on sockets that init opened in the sandbox's network
 * namespace at NET_RESOLVER:53, UDP and TCP. Names the plan allows are forwarded upstream; the
 * A/AAAA addresses of the answer go into the nftables sets of the entries' ports, with the record's
 * TTL (clamped), before the answer reaches the job. Other names get NXDOMAIN (in allowlist
 * mode) and are recorded. Everything is non-blocking and driven by its owner's poll loop. */
#ifndef CIS_DNS_H
#define CIS_DNS_H

#include "nft.h"
#include "plan.h"

#include <poll.h>
#include <stdio.h>

struct audit;
struct dns_resolver;

/* How the addresses of an answer get allowed before the job sees it: nft_dns_add's shape. The
 * resolver runs apart from the launcher (netwatch.c), which holds the nftables socket and
 * does this for it. NULL: nothing to program (open or audit mode). */
typedef int dns_allow_fn(void *ctx, const struct nft_dns_elem *v, size_t n, char *err,
                         size_t errlen);
/* Takes the two sockets. */
struct dns_resolver *dns_start(const struct plan *p, const struct audit *a, int udp, int tcp,
                               dns_allow_fn *allow, void *ctx);
/* Up to max pollfds for the next poll; returns how many. */
size_t dns_poll_fill(struct dns_resolver *r, struct pollfd *pf, size_t max);
/* After poll: handle what happened on the n pollfds dns_poll_fill gave (same order). */
void dns_poll_done(struct dns_resolver *r, const struct pollfd *pf, size_t n);
/* Milliseconds until the next query deadline, -1 for none. */
int dns_next_timeout(const struct dns_resolver *r);
/* --verbose: the names denied; in audit mode, every name with its addresses. */
void dns_report(const struct dns_resolver *r, FILE *out);
/* The name an address was last returned for, or NULL (for the audit suggestion). */
const char *dns_name_of(const struct dns_resolver *r, int family, const unsigned char *addr);
void dns_stop(struct dns_resolver *r);

#endif
