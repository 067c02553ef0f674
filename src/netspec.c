/* netspec.c — the network entries of a plan, parsed and printed (netspec.h): allow entries by
 * address or by name, DNS upstreams. Pure: the command line, profiles and the audit use it. */
#define _GNU_SOURCE
#include "netspec.h"
#include "dnsmsg.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *parse_port(const char *s, unsigned short *out)
{
	unsigned long v = 0;

	if (!*s)
		return "empty port";
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return "port is not a number";
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return "port above 65535";
	}
	if (v == 0)
		return "port 0";
	*out = (unsigned short)v;
	return NULL;
}

/* A trailing /tcp or /udp, taken off buf into *proto (left as it is without one). */
static void strip_proto(char *buf, unsigned char *proto)
{
	size_t n = strlen(buf);

	if (n > 4 && (strcmp(buf + n - 4, "/tcp") == 0 || strcmp(buf + n - 4, "/udp") == 0)) {
		*proto = buf[n - 3] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		buf[n - 4] = '\0';
	}
}

/* "80" or "8000-8100" */
static const char *parse_ports(char *s, struct net_allow *a)
{
	char *dash = strchr(s, '-');
	const char *why;

	if (dash)
		*dash = '\0';
	if ((why = parse_port(s, &a->port_lo)))
		return why;
	a->port_hi = a->port_lo;
	if (dash && (why = parse_port(dash + 1, &a->port_hi)))
		return why;
	if (a->port_hi < a->port_lo)
		return "port range runs backwards";
	return NULL;
}

/* The address part, with an optional /prefix; host bits must be zero (a typo otherwise). */
static const char *parse_addr(char *s, struct net_allow *a)
{
	char *slash = strchr(s, '/');
	unsigned bits = 0, max;

	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = AF_INET6, max = 128;
	else
		return "not an IPv4 or IPv6 address";
	a->prefix = (unsigned char)max;
	if (!slash)
		return NULL;
	if (!slash[1] || strlen(slash + 1) > 3 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return "prefix length is not a number";
	bits = (unsigned)atoi(slash + 1);
	if (bits > max)
		return "prefix length too long for the address family";
	a->prefix = (unsigned char)bits;
	for (unsigned b = bits; b < max; b++)
		if (a->addr[b / 8] & (0x80 >> (b % 8)))
			return "address has bits set beyond its prefix length";
	return NULL;
}

const char *net_parse_allow(const char *spec, struct net_allow *out)
{
	char buf[128], *addr = buf, *port = NULL;
	size_t n = strlen(spec);
	struct net_allow a = {.proto = IPPROTO_TCP, .port_lo = 0, .port_hi = 65535};
	const char *why;

	if (n == 0 || n >= sizeof(buf))
		return "empty or too long";
	memcpy(buf, spec, n + 1);
	strip_proto(buf, &a.proto);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return "missing ] after an IPv6 address";
		*close = '\0';
		addr = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return "expected :PORT after ]";
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		port = strchr(buf, ':'); /* IPv4:PORT (an IPv6 address has several colons) */
		*port++ = '\0';
	}
	if ((why = parse_addr(addr, &a)))
		return why;
	if (port && (why = parse_ports(port, &a)))
		return why;
	*out = a;
	return NULL;
}

bool net_spec_is_name(const char *spec)
{
	size_t host = strcspn(spec, ":/");
	const char *c = spec;

	if (spec[0] == '[' || strchr(spec, ':') != strrchr(spec, ':'))
		return false; /* IPv6 */
	for (; c < spec + host; c++)
		if ((*c < '0' || *c > '9') && *c != '.')
			return true;
	return false;
}

/* Split "HOST[:PORTS][/tcp|/udp]" in place: the protocol is taken off, *ports set or NULL. */
static void split_proto_ports(char *buf, unsigned char *proto, char **ports)
{
	strip_proto(buf, proto);
	*ports = strchr(buf, ':');
	if (*ports)
		*(*ports)++ = '\0';
}

const char *net_parse_name(const char *spec, struct net_name *out)
{
	char buf[300], *ports;
	struct net_name nm = {.proto = IPPROTO_TCP, .port_lo = 0, .port_hi = 65535};
	struct net_allow a = {0};
	const char *why;

	if (!*spec || strlen(spec) >= sizeof(buf))
		return "empty or too long";
	snprintf(buf, sizeof(buf), "%s", spec);
	split_proto_ports(buf, &nm.proto, &ports);
	if ((why = dnsmsg_name_normalize(buf, nm.pattern, sizeof(nm.pattern))))
		return why;
	if (ports && (why = parse_ports(ports, &a)))
		return why;
	if (ports) {
		nm.port_lo = a.port_lo;
		nm.port_hi = a.port_hi;
	}
	*out = nm;
	return NULL;
}

void net_format_name(const struct net_name *n, char *buf, size_t len)
{
	bool all = n->port_lo == 0 && n->port_hi == 65535;
	char ports[16] = "";

	if (!all && n->port_lo == n->port_hi)
		snprintf(ports, sizeof(ports), ":%u", n->port_lo);
	else if (!all)
		snprintf(ports, sizeof(ports), ":%u-%u", n->port_lo, n->port_hi);
	/* "NAME/udp" must not come back as "NAME", which is TCP (tests/fuzz/fuzz_allow.c). */
	snprintf(buf, len, "%s%s%s", n->pattern, ports,
	         n->proto == IPPROTO_UDP ? "/udp"
	         : all                   ? ""
	                                 : "/tcp");
}

const char *net_check_dest(const char *spec)
{
	struct net_allow a;
	struct net_name n;

	return net_spec_is_name(spec) ? net_parse_name(spec, &n) : net_parse_allow(spec, &a);
}

const char *net_parse_upstream(const char *spec, struct net_upstream *out)
{
	struct net_allow a;
	const char *why;

	if (strchr(spec, '/'))
		return "a DNS server is IP[:PORT], without prefix or protocol";
	if ((why = net_parse_allow(spec, &a)))
		return why;
	if (a.port_lo != a.port_hi && !(a.port_lo == 0 && a.port_hi == 65535))
		return "one port, not a range";
	*out = (struct net_upstream){.family = a.family, .port = a.port_lo ? a.port_lo : 53};
	memcpy(out->addr, a.addr, sizeof(out->addr));
	return NULL;
}

void net_format_upstream(const struct net_upstream *u, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(u->family, u->addr, addr, sizeof(addr));
	snprintf(buf, len, u->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, u->port);
}

bool net_allow_covers(const struct net_allow *e, const struct net_allow *range)
{
	if (e->family != range->family || e->prefix > range->prefix)
		return false;
	for (unsigned b = 0; b < e->prefix; b++) {
		unsigned char m = (unsigned char)(0x80 >> (b % 8));

		if ((e->addr[b / 8] & m) != (range->addr[b / 8] & m))
			return false;
	}
	return true;
}

void net_format_allow(const struct net_allow *a, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], pfx[8] = "", ports[16] = "";
	bool all_ports = a->port_lo == 0 && a->port_hi == 65535;
	bool v6 = a->family == AF_INET6;

	inet_ntop(a->family, a->addr, addr, sizeof(addr));
	if (a->prefix != (v6 ? 128 : 32))
		snprintf(pfx, sizeof(pfx), "/%u", a->prefix);
	if (!all_ports && a->port_lo == a->port_hi)
		snprintf(ports, sizeof(ports), ":%u", a->port_lo);
	else if (!all_ports)
		snprintf(ports, sizeof(ports), ":%u-%u", a->port_lo, a->port_hi);
	snprintf(buf, len, "%s%s%s%s%s%s", v6 && *ports ? "[" : "", addr, pfx,
	         v6 && *ports ? "]" : "", ports,
	         a->proto == IPPROTO_UDP ? "/udp" /* also for every port (fuzz_allow.c) */
	         : all_ports             ? ""
	                                 : "/tcp");
}
