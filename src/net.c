/* net.c — network namespace setup in the sandbox child: lo up (mode none). */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int lo_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

int net_setup(const struct plan *p)
{
	(void)p->net_mode; /* only NET_NONE exists in this version */
	return lo_up();
}

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
	if (n > 4 && (strcmp(buf + n - 4, "/tcp") == 0 || strcmp(buf + n - 4, "/udp") == 0)) {
		a.proto = buf[n - 3] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		buf[n - 4] = '\0';
	}
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
