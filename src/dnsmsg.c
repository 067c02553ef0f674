/* dnsmsg.c — DNS wire format, hostile input. Names are decoded to lower-case text; a byte other
 * than a letter, digit, '-' or '_' is written as \DDD and marks the name as not plain, so that it
 * can never match an allow pattern. Compression pointers must point backwards, which rules out
 * loops; a name's wire length is capped at 255 as RFC 1035 says. */
#define _GNU_SOURCE
#include "dnsmsg.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_CHAIN 16   /* CNAME hops followed */
#define MAX_RRS   1024 /* answer records looked at */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool plain_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Append one label byte to text (escaped if need be). */
static bool put_byte(char *text, size_t *out, uint8_t c, bool *plain)
{
	static const char digits[] = "0123456789";

	if (plain_byte(c)) {
		if (*out + 1 >= DNS_NAME_TEXT)
			return false;
		text[(*out)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		return true;
	}
	*plain = false;
	if (*out + 4 >= DNS_NAME_TEXT)
		return false;
	text[(*out)++] = '\\';
	text[(*out)++] = digits[c / 100];
	text[(*out)++] = digits[c / 10 % 10];
	text[(*out)++] = digits[c % 10];
	return true;
}

/* The name at *off, into text (DNS_NAME_TEXT bytes). *off moves past the name where it sits
 * (pointers are followed for the text only). 0 or -1. */
static int read_name(const uint8_t *m, size_t len, size_t *off, char *text, bool *plain)
{
	size_t pos = *off, out = 0, wire = 1;
	bool jumped = false;

	*plain = true;
	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -1;
			target = (size_t)(l & 0x3f) << 8 | m[pos + 1];
			if (target >= pos)
				return -1; /* forward or self: a loop, or not how compression works
				            */
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -1; /* extended label types: obsolete */
		if (l == 0)
			break;
		if (pos + 1 + l > len || (wire += 1u + l) > 255)
			return -1;
		if (out && out + 1 >= DNS_NAME_TEXT)
			return -1;
		if (out)
			text[out++] = '.';
		for (size_t i = 0; i < l; i++)
			if (!put_byte(text, &out, m[pos + 1 + i], plain))
				return -1;
		pos += 1u + l;
	}
	if (!jumped)
		*off = pos + 1;
	text[out] = '\0';
	return 0;
}

static int read_question(const uint8_t *m, size_t len, struct dns_question *q)
{
	size_t off = DNS_HDR;

	if (read_name(m, len, &off, q->name, &q->plain) < 0 || off + 4 > len)
		return -1;
	q->type = get16(m + off);
	q->qclass = get16(m + off + 2);
	q->end = off + 4;
	return 0;
}

int dnsmsg_parse_query(const uint8_t *m, size_t len, struct dns_question *q, const char **why)
{
	uint16_t flags;

	if (len < DNS_HDR || len > 65535)
		return *why = "message size", -1;
	flags = get16(m + 2);
	if (flags & 0x8000)
		return *why = "a response, not a query", -1;
	if ((flags >> 11 & 0xf) != 0)
		return *why = "opcode is not QUERY", -1;
	if (get16(m + 4) != 1)
		return *why = "question count is not 1", -1;
	if (get16(m + 6) || get16(m + 8) || get16(m + 10) > 2)
		return *why = "records in a query", -1;
	if (read_question(m, len, q) < 0)
		return *why = "malformed question", -1;
	return 0;
}

struct rr {
	char owner[DNS_NAME_TEXT];
	bool plain;
	uint16_t type, rclass;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

static int read_rr(const uint8_t *m, size_t len, size_t *off, struct rr *rr)
{
	if (read_name(m, len, off, rr->owner, &rr->plain) < 0 || *off + 10 > len)
		return -1;
	rr->type = get16(m + *off);
	rr->rclass = get16(m + *off + 2);
	rr->ttl = (uint32_t)get16(m + *off + 4) << 16 | get16(m + *off + 6);
	if (rr->ttl > 0x7fffffffu)
		rr->ttl = 0; /* RFC 2181: a TTL with the top bit set is zero */
	rr->rdlen = get16(m + *off + 8);
	rr->rdata = *off + 10;
	if (rr->rdata + rr->rdlen > len)
		return -1;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* One pass over the answer section for the chain's current name: its addresses go to out, its
 * CNAME target (if any) to next. 0, or -1 on a malformed record. */
static int scan_answers(const uint8_t *m, size_t len, size_t off, unsigned count, const char *name,
                        uint32_t ttl, uint16_t qtype, struct dns_answer *out, char *next,
                        uint32_t *next_ttl)
{
	struct rr rr;

	for (unsigned i = 0; i < count; i++) {
		if (read_rr(m, len, &off, &rr) < 0)
			return -1;
		if (rr.rclass != DNS_C_IN || strcmp(rr.owner, name) != 0)
			continue;
		if (rr.type == DNS_T_CNAME && !*next) {
			size_t t = rr.rdata;
			bool plain;

			if (read_name(m, rr.rdata + rr.rdlen, &t, next, &plain) < 0 ||
			    t != rr.rdata + rr.rdlen)
				return -1;
			*next_ttl = min32(ttl, rr.ttl);
		} else if (rr.type == qtype && (qtype == DNS_T_A || qtype == DNS_T_AAAA) &&
		           rr.rdlen == (qtype == DNS_T_A ? 4 : 16) && out->n < DNS_MAX_ADDRS) {
			struct dns_addr *a = &out->a[out->n++];

			a->family = qtype == DNS_T_A ? AF_INET : AF_INET6;
			memset(a->addr, 0, sizeof(a->addr));
			memcpy(a->addr, m + rr.rdata, rr.rdlen);
			a->ttl = min32(ttl, rr.ttl);
		}
	}
	return 0;
}

int dnsmsg_parse_response(const uint8_t *m, size_t len, uint16_t id, const struct dns_question *q,
                          struct dns_answer *out, const char **why)
{
	struct dns_question got;
	char name[2][DNS_NAME_TEXT];
	uint32_t ttl = UINT32_MAX, next_ttl = 0;
	uint16_t flags;
	unsigned an;

	out->n = 0;
	if (len < DNS_HDR || len > 65535)
		return *why = "message size", -1;
	flags = get16(m + 2);
	if (dnsmsg_id(m) != id)
		return *why = "transaction id does not match", -1;
	if (!(flags & 0x8000) || (flags >> 11 & 0xf) != 0)
		return *why = "not a response to a query", -1;
	if (get16(m + 4) != 1 || read_question(m, len, &got) < 0)
		return *why = "question missing or malformed", -1;
	if (strcmp(got.name, q->name) != 0 || got.type != q->type || got.qclass != q->qclass)
		return *why = "answers another question", -1;
	out->rcode = flags & 0xf;
	out->truncated = flags & 0x0200;
	an = get16(m + 6);
	if (an > MAX_RRS)
		return *why = "too many answer records", -1;
	if (out->rcode != DNS_R_OK || out->truncated)
		return 0; /* passed on as it is; no address taken from it */
	snprintf(name[0], sizeof(name[0]), "%s", q->name);
	for (int hop = 0; hop <= MAX_CHAIN; hop++) {
		char *cur = name[hop & 1], *next = name[(hop + 1) & 1];

		next[0] = '\0';
		if (scan_answers(m, len, got.end, an, cur, ttl, q->type, out, next, &next_ttl) < 0)
			return out->n = 0, *why = "malformed answer record", -1;
		if (!next[0])
			break;
		ttl = next_ttl;
	}
	return 0;
}

size_t dnsmsg_reply(const uint8_t *query, size_t qlen, size_t qend, int rcode, uint8_t *out,
                    size_t outlen)
{
	if (qend < DNS_HDR || qend > qlen || qend > outlen)
		return 0;
	memcpy(out, query, qend);
	/* QR, the query's opcode and RD, RA; the counts: the question alone. */
	out[2] = (uint8_t)(0x80 | (query[2] & 0x79));
	out[3] = (uint8_t)(0x80 | (rcode & 0xf));
	memcpy(out + 4, "\0\1\0\0\0\0\0\0", 8);
	return qend;
}

bool dnsmsg_name_match(const char *pattern, const char *name)
{
	size_t pl, nl = strlen(name);

	if (strncmp(pattern, "*.", 2) != 0)
		return strcmp(pattern, name) == 0;
	pattern += 1; /* ".example.com" */
	pl = strlen(pattern);
	return nl > pl && strcmp(name + nl - pl, pattern) == 0;
}

const char *dnsmsg_name_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), label = 0, i = 0, o = 0;

	if (n && in[n - 1] == '.')
		n--;
	if (n == 0)
		return "empty name";
	if (n > 253 || n + 1 > outlen)
		return "name longer than 253 characters";
	if (in[0] == '*') {
		if (n < 3 || in[1] != '.')
			return "a wildcard must be \"*.\" followed by a domain";
		out[o++] = '*';
		out[o++] = '.';
		i = 2;
	}
	for (; i < n; i++) {
		char c = in[i];

		if (c == '.') {
			if (label == 0)
				return "empty label";
			if (in[i - 1] == '-')
				return "label ends with '-'";
			label = 0;
		} else if (plain_byte((uint8_t)c)) {
			if (label == 0 && c == '-')
				return "label starts with '-'";
			if (++label > 63)
				return "label longer than 63 characters";
			c = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else {
			return c == '*' ? "'*' is only allowed as the whole first label"
			                : "character not allowed in a host name";
		}
		out[o++] = c;
	}
	if (label == 0)
		return "empty label";
	if (in[n - 1] == '-')
		return "label ends with '-'";
	out[o] = '\0';
	return NULL;
}
