/* netspec.h — parsing and printing of the plan's network entries (pure; spec.h holds the
 * types). Each parser returns NULL on success or a static reason naming what is wrong. */
#ifndef CIS_NETSPEC_H
#define CIS_NETSPEC_H

#include "spec.h"

#include <stdbool.h>
#include <stddef.h>

/* Is the host part of an allow entry a name rather than an address? */
bool net_spec_is_name(const char *spec);
/* NAME[:PORT[-PORT]][/tcp|/udp]; NULL on success, else the reason. Pure. */
const char *net_parse_name(const char *spec, struct net_name *out);
/* "pkg.example.org:443/tcp", "*.example.org" */
void net_format_name(const struct net_name *n, char *buf, size_t len);
/* An allow entry of either kind, for validation only: NULL or the reason. */
const char *net_check_dest(const char *spec);
/* IP, IP:PORT, [IPv6]:PORT (port 53 when not given); NULL or the reason. */
const char *net_parse_upstream(const char *spec, struct net_upstream *out);
void net_format_upstream(const struct net_upstream *u, char *buf, size_t len);

/* Parse spec; NULL on success, else the reason (static text). Pure: no system calls. */
const char *net_parse_allow(const char *spec, struct net_allow *out);
/* Back to text: "198.51.100.0/24:80-81/tcp", "[2001:db8::1]:443/udp", "10.0.0.0/8". */
void net_format_allow(const struct net_allow *a, char *buf, size_t len);
/* Does the entry cover the whole address range range (same family, prefix at most range's)? */
bool net_allow_covers(const struct net_allow *entry, const struct net_allow *range);

#endif
