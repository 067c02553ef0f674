/* Unit tests: the DNS wire-format parser the resolver trusts nothing to. Messages are built here
 * byte by byte, the hostile ones included. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "dnsmsg.h"

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void u8(struct buf *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}
static void u16(struct buf *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v & 0xff);
}
static void u32(struct buf *m, unsigned v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}
/* "a.b.c" as labels, root-terminated. */
static void name(struct buf *m, const char *s)
{
	while (*s) {
		size_t l = strcspn(s, ".");

		u8(m, (unsigned)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l + (s[l] == '.');
	}
	u8(m, 0);
}
static void header(struct buf *m, unsigned id, unsigned flags, unsigned qd, unsigned an)
{
	m->n = 0;
	u16(m, id);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
}
static void question(struct buf *m, const char *n, unsigned type)
{
	name(m, n);
	u16(m, type);
	u16(m, DNS_C_IN);
}
static void rr_a(struct buf *m, const char *owner, const char *addr, unsigned ttl)
{
	name(m, owner);
	u16(m, DNS_T_A);
	u16(m, DNS_C_IN);
	u32(m, ttl);
	u16(m, 4);
	inet_pton(AF_INET, addr, m->b + m->n);
	m->n += 4;
}
static void rr_cname(struct buf *m, const char *owner, const char *target, unsigned ttl)
{
	size_t at;

	name(m, owner);
	u16(m, DNS_T_CNAME);
	u16(m, DNS_C_IN);
	u32(m, ttl);
	at = m->n;
	u16(m, 0);
	name(m, target);
	m->b[at] = (uint8_t)((m->n - at - 2) >> 8);
	m->b[at + 1] = (uint8_t)(m->n - at - 2);
}

static struct dns_question query_of(const char *n, unsigned type)
{
	struct buf m;
	struct dns_question q;
	const char *why = NULL;

	header(&m, 0x1234, 0x0100, 1, 0);
	question(&m, n, type);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), 0, "%s: %s", n, why);
	return q;
}

Test(dnsmsg, query_is_lowercased_and_plain)
{
	struct dns_question q = query_of("PKG.Allowed.TEST", DNS_T_A);

	cr_assert_str_eq(q.name, "pkg.allowed.test");
	cr_assert(q.plain);
	cr_assert_eq(q.type, DNS_T_A);
	q = query_of("we.ird", DNS_T_A);
	cr_assert(q.plain);
}

Test(dnsmsg, odd_bytes_are_escaped_and_never_plain)
{
	struct buf m;
	struct dns_question q;
	const char *why;

	header(&m, 1, 0x0100, 1, 0);
	u8(&m, 5);
	memcpy(m.b + m.n, "a.b\n*", 5);
	m.n += 5;
	name(&m, "allowed.test");
	u16(&m, DNS_T_A);
	u16(&m, DNS_C_IN);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), 0);
	cr_assert_str_eq(q.name, "a\\046b\\010\\042.allowed.test");
	cr_assert_not(q.plain);
	cr_assert_not(dnsmsg_name_match("*.allowed.test", q.name) && q.plain);
}

Test(dnsmsg, bad_queries)
{
	struct buf m;
	struct dns_question q;
	const char *why;

	header(&m, 1, 0x8100, 1, 0); /* a response */
	question(&m, "a.test", DNS_T_A);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	header(&m, 1, 0x0100, 2, 0); /* two questions */
	question(&m, "a.test", DNS_T_A);
	question(&m, "b.test", DNS_T_A);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	header(&m, 1, 0x0100, 1, 0); /* a pointer to itself */
	u16(&m, 0xc000 | 12);
	u32(&m, 0x00010001);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	header(&m, 1, 0x0100, 1, 0); /* a forward pointer */
	u16(&m, 0xc000 | 16);
	u32(&m, 0x00010001);
	name(&m, "x.test");
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	header(&m, 1, 0x0100, 1, 0); /* a label running past the end */
	u8(&m, 40);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	header(&m, 1, 0x0100, 1, 0); /* a name over 255 bytes */
	for (int i = 0; i < 5; i++) {
		u8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	u8(&m, 0);
	u32(&m, 0x00010001);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), -1);
	cr_assert_eq(dnsmsg_parse_query(m.b, 5, &q, &why), -1);
}

Test(dnsmsg, cname_chain_and_ttl)
{
	struct dns_question q = query_of("cdn.allowed.test", DNS_T_A);
	static struct dns_answer a;
	struct buf m;
	const char *why = NULL;
	char txt[INET_ADDRSTRLEN];

	header(&m, 0x4242, 0x8180, 1, 4);
	question(&m, "cdn.allowed.test", DNS_T_A);
	rr_a(&m, "evil.test", "203.0.113.7", 600); /* not on the chain: ignored */
	rr_a(&m, "PKG.allowed.test", "198.51.100.10", 300);
	rr_cname(&m, "cdn.allowed.test", "edge.allowed.test", 40);
	rr_cname(&m, "edge.allowed.test", "pkg.allowed.test", 900);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 0x4242, &q, &a, &why), 0, "%s", why);
	cr_assert_eq(a.rcode, 0);
	cr_assert_eq(a.n, 1);
	inet_ntop(AF_INET, a.a[0].addr, txt, sizeof(txt));
	cr_assert_str_eq(txt, "198.51.100.10");
	cr_assert_eq(a.a[0].ttl, 40, "the CNAME's shorter TTL bounds the address");
}

Test(dnsmsg, response_must_match)
{
	struct dns_question q = query_of("pkg.allowed.test", DNS_T_A);
	static struct dns_answer a;
	struct buf m;
	const char *why;

	header(&m, 7, 0x8180, 1, 1);
	question(&m, "pkg.allowed.test", DNS_T_A);
	rr_a(&m, "pkg.allowed.test", "198.51.100.10", 60);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 8, &q, &a, &why), -1, "wrong id");
	q = query_of("other.allowed.test", DNS_T_A);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 7, &q, &a, &why), -1, "other question");
	q = query_of("pkg.allowed.test", DNS_T_AAAA);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 7, &q, &a, &why), -1, "other type");
	q = query_of("pkg.allowed.test", DNS_T_A);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n - 1, 7, &q, &a, &why), -1, "cut short");
	cr_assert_eq(a.n, 0);
	m.b[2] &= 0x7f; /* not a response */
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 7, &q, &a, &why), -1);
}

Test(dnsmsg, other_types_add_nothing)
{
	struct dns_question q = query_of("pkg.allowed.test", 16 /* TXT */);
	static struct dns_answer a;
	struct buf m;
	const char *why;

	header(&m, 7, 0x8180, 1, 1);
	question(&m, "pkg.allowed.test", 16);
	rr_a(&m, "pkg.allowed.test", "198.51.100.10", 60);
	cr_assert_eq(dnsmsg_parse_response(m.b, m.n, 7, &q, &a, &why), 0);
	cr_assert_eq(a.n, 0);
}

Test(dnsmsg, reply_keeps_question)
{
	struct buf m;
	struct dns_question q;
	uint8_t out[512];
	const char *why;
	size_t n;

	header(&m, 0xbeef, 0x0100, 1, 0);
	question(&m, "evil.test", DNS_T_A);
	cr_assert_eq(dnsmsg_parse_query(m.b, m.n, &q, &why), 0);
	n = dnsmsg_reply(m.b, m.n, q.end, DNS_R_NXDOMAIN, out, sizeof(out));
	cr_assert_eq(n, q.end);
	cr_assert_eq(dnsmsg_id(out), 0xbeef);
	cr_assert_eq(out[2] & 0x81, 0x81, "QR and RD");
	cr_assert_eq(out[3] & 0xf, DNS_R_NXDOMAIN);
	cr_assert_eq(dnsmsg_reply(m.b, m.n, q.end, 3, out, 8), 0);
}

Test(dnsmsg, patterns)
{
	cr_assert(dnsmsg_name_match("*.allowed.test", "a.b.allowed.test"));
	cr_assert(dnsmsg_name_match("*.allowed.test", "a.allowed.test"));
	cr_assert_not(dnsmsg_name_match("*.allowed.test", "allowed.test"));
	cr_assert_not(dnsmsg_name_match("*.allowed.test", "xallowed.test"));
	cr_assert(dnsmsg_name_match("pkg.allowed.test", "pkg.allowed.test"));
	cr_assert_not(dnsmsg_name_match("pkg.allowed.test", "a.pkg.allowed.test"));
}

Test(dnsmsg, normalize)
{
	char out[256];

	cr_assert_null(dnsmsg_name_normalize("GitHub.com.", out, sizeof(out)));
	cr_assert_str_eq(out, "github.com");
	cr_assert_null(dnsmsg_name_normalize("*.NPMjs.org", out, sizeof(out)));
	cr_assert_str_eq(out, "*.npmjs.org");
	cr_assert_not_null(dnsmsg_name_normalize("a..b", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("*foo.com", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("a.*.com", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("-a.com", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("a-.com", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("*", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("exa mple.com", out, sizeof(out)));
	cr_assert_not_null(dnsmsg_name_normalize("", out, sizeof(out)));
}
