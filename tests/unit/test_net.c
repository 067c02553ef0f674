/* Unit tests: egress allowlist entries (the parser every profile and --allow goes through). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "net.h"
#include "netspec.h"

static struct net_allow ok(const char *spec)
{
	struct net_allow a;
	const char *why = net_parse_allow(spec, &a);

	cr_assert_null(why, "%s: %s", spec, why);
	return a;
}

static void bad(const char *spec, const char *reason)
{
	struct net_allow a;
	const char *why = net_parse_allow(spec, &a);

	cr_assert_not_null(why, "%s was accepted", spec);
	cr_assert(strstr(why, reason), "%s: \"%s\" lacks \"%s\"", spec, why, reason);
}

Test(net, forms)
{
	struct net_allow a = ok("198.51.100.10");
	unsigned char v4[4];

	inet_pton(AF_INET, "198.51.100.10", v4);
	cr_assert_eq(a.family, AF_INET);
	cr_assert(memcmp(a.addr, v4, 4) == 0);
	cr_assert_eq(a.prefix, 32);
	cr_assert(a.port_lo == 0 && a.port_hi == 65535 && a.proto == IPPROTO_TCP);
	a = ok("198.51.100.10:80");
	cr_assert(a.port_lo == 80 && a.port_hi == 80);
	a = ok("198.51.100.10:8000-8100/udp");
	cr_assert(a.port_lo == 8000 && a.port_hi == 8100 && a.proto == IPPROTO_UDP);
	a = ok("10.0.0.0/8");
	cr_assert(a.prefix == 8 && a.port_hi == 65535);
	a = ok("0.0.0.0/0:443");
	cr_assert(a.prefix == 0 && a.port_lo == 443);
	a = ok("[2001:db8::1]:443");
	cr_assert(a.family == AF_INET6 && a.prefix == 128 && a.port_lo == 443);
	a = ok("2001:db8::/32");
	cr_assert(a.family == AF_INET6 && a.prefix == 32);
	a = ok("[2001:db8::/32]:53/udp");
	cr_assert(a.prefix == 32 && a.port_lo == 53 && a.proto == IPPROTO_UDP);
	a = ok("fe80::1");
	cr_assert(a.family == AF_INET6 && a.port_lo == 0);
}

Test(net, rejects_with_reasons)
{
	bad("", "empty");
	bad("example.com:443", "not an IPv4 or IPv6 address");
	bad("1.2.3.4:0", "port 0");
	bad("1.2.3.4:65536", "above 65535");
	bad("1.2.3.4:http", "not a number");
	bad("1.2.3.4:90-80", "backwards");
	bad("1.2.3.4/33", "too long");
	bad("1.2.3.4/24", "bits set beyond");
	bad("1.2.3.0/x", "prefix length is not a number");
	bad("[2001:db8::1", "missing ]");
	bad("[2001:db8::1]443", "expected :PORT");
	bad("1.2.3.4:", "empty port");
	bad("1.2.3.4/sctp", "prefix length is not a number");
}

Test(net, covers)
{
	struct net_allow all = ok("0.0.0.0/0"), ten = ok("10.0.0.0/8"), host = ok("10.1.2.3");
	struct net_allow v6 = ok("fc00::/7");

	cr_assert(net_allow_covers(&all, &ten));
	cr_assert(net_allow_covers(&ten, &host));
	cr_assert_not(net_allow_covers(&host, &ten));
	cr_assert_not(net_allow_covers(&ten, &v6));
}

/* UDP on every port formats with its "/udp": without it the text (plan, audit log) reads back as
 * TCP. Found by tests/fuzz/fuzz_allow.c. */
Test(net, udp_every_port_formats_back)
{
	struct net_allow a = ok("198.51.100.0/24/udp");
	struct net_name n;
	char buf[300];

	cr_assert_eq(a.proto, IPPROTO_UDP);
	net_format_allow(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "198.51.100.0/24/udp");
	a = ok("10.0.0.0/8");
	net_format_allow(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.0.0/8");
	cr_assert_null(net_parse_name("pkg.example.org/udp", &n));
	net_format_name(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pkg.example.org/udp");
	cr_assert_null(net_parse_name("pkg.example.org", &n));
	net_format_name(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pkg.example.org");
}

/* A netlink length of 2^31 or more passes libmnl's signed check; the flow parser refuses it
 * instead of reading past the buffer. Found by tests/fuzz/fuzz_nflog.c. */
Test(net, nflog_huge_length_refused)
{
	static struct plan p;
	static struct net_flows f;
	uint32_t buf[8] = {0xfffffffdu, 0x0400, 0, 0, 0, 0, 0, 0};
	size_t fresh[4];

	cr_assert_eq(net_flows_parse(&p, buf, sizeof(buf), &f, fresh, 4), 0);
	cr_assert_eq(f.n, 0);
}
