/* dnsmsg.h — DNS wire format (RFC 1035): parse a query, check and read an answer, build error
 * replies. Pure functions over byte buffers; every byte is hostile (bounds, compression loops,
 * counts). The fuzz target (tests/fuzz/fuzz_dns.c) drives these. */
#ifndef CIS_DNSMSG_H
#define CIS_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR       12
#define DNS_NAME_TEXT 1024 /* a 255-byte name with every byte escaped as \DDD fits */
#define DNS_MAX_ADDRS 128  /* addresses taken from one answer */

enum { DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_AAAA = 28, DNS_C_IN = 1 };
enum { DNS_R_OK = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3, DNS_R_REFUSED = 5 };

struct dns_question {
	char name[DNS_NAME_TEXT]; /* lower case, no trailing dot; "" for the root */
	bool plain;               /* only letters, digits, '-', '_': may match an allow pattern */
	uint16_t type, qclass;
	size_t end; /* offset just past the question in its message */
};

/* A standard query with exactly one question. 0, or -1 with *why set. */
int dnsmsg_parse_query(const uint8_t *m, size_t len, struct dns_question *q, const char **why);

struct dns_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl; /* the smallest TTL on the way from the question's name (CNAMEs included) */
};
struct dns_answer {
	int rcode;
	bool truncated;
	size_t n;
	struct dns_addr a[DNS_MAX_ADDRS];
};

/* Check that m answers q under transaction id (QR set, same question, sane counts) and collect
 * the A/AAAA records of the question's name, following CNAME chains inside the answer section.
 * 0, or -1 with *why set: the message must not be used. */
int dnsmsg_parse_response(const uint8_t *m, size_t len, uint16_t id, const struct dns_question *q,
                          struct dns_answer *out, const char **why);

/* A reply to query (its header and question) with rcode; returns its length, 0 if out is too
 * small or the query too short. */
size_t dnsmsg_reply(const uint8_t *query, size_t qlen, size_t qend, int rcode, uint8_t *out,
                    size_t outlen);

/* An allow pattern: "name.example" or "*.example", already lower case without trailing dot. Does
 * name (from a question) match? "*.x" matches any name below x, never x itself. */
bool dnsmsg_name_match(const char *pattern, const char *name);

/* Normalise a host name written by an operator ("GitHub.com." -> "github.com", "*.npmjs.org"
 * kept); NULL, or the reason it is not a valid name. */
const char *dnsmsg_name_normalize(const char *in, char *out, size_t outlen);

static inline uint16_t dnsmsg_id(const uint8_t *m)
{
	return (uint16_t)(m[0] << 8 | m[1]);
}
static inline void dnsmsg_set_id(uint8_t *m, uint16_t id)
{
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
}

#endif
