/* dns_record.c — what the resolver (dns.c) learns and tells: the names asked for and their
 * addresses, the addresses it puts into nftables (with their expiry), the audit events, the
 * end-of-run report, and the name behind an address for the flow log (dns_int.h). */
#define _GNU_SOURCE
#include "audit.h"
#include "dns.h"
#include "dns_int.h"
#include "dnsmsg.h"
#include "netspec.h"
#include "nft.h"
#include "util.h"
#include "json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *type_name(uint16_t t, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {{1, "A"},    {2, "NS"},    {5, "CNAME"},  {6, "SOA"},
	             {12, "PTR"}, {15, "MX"},   {16, "TXT"},   {28, "AAAA"},
	             {33, "SRV"}, {64, "SVCB"}, {65, "HTTPS"}, {255, "ANY"}};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", t);
	return buf;
}

/* ---- what the summary and the audit log say ---- */

static struct seen *seen_find(struct dns_resolver *r, const struct dns_question *q, bool denied,
                              bool *fresh)
{
	*fresh = false;
	for (size_t i = 0; i < r->n_seen; i++)
		if (r->seen[i].type == q->type && r->seen[i].denied == denied &&
		    strncmp(r->seen[i].name, q->name, sizeof(r->seen[i].name) - 1) == 0)
			return &r->seen[i];
	if (r->n_seen == MAX_SEEN)
		return NULL;
	*fresh = true;
	r->seen[r->n_seen] = (struct seen){.type = q->type, .denied = denied};
	snprintf(r->seen[r->n_seen].name, sizeof(r->seen[0].name), "%.255s", q->name);
	return &r->seen[r->n_seen++];
}

static void audit_name(const struct dns_resolver *r, const char *event, const struct seen *s)
{
	struct json *o, *arr;
	char tb[16];

	o = json_new_object();
	json_add_string(o, "name", s->name);
	json_add_string(o, "type", type_name(s->type, tb, sizeof(tb)));
	if (!s->denied) {
		arr = json_add_array(o, "addresses");
		for (size_t i = 0; i < s->n_addrs; i++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(s->addrs[i].family, s->addrs[i].addr, a, sizeof(a));
			json_append(arr, json_new_string(a));
		}
	}
	audit_event(r->audit, event, o);
}

void dns_record_denied(struct dns_resolver *r, const struct dns_question *q)
{
	bool fresh;
	struct seen *s = seen_find(r, q, true, &fresh);

	r->denied_total++;
	if (!s)
		return;
	s->count++;
	if (fresh)
		audit_name(r, "dns.deny", s);
}

void dns_record_answer(struct dns_resolver *r, const struct dns_question *q,
                       const struct dns_answer *ans)
{
	bool fresh;
	struct seen *s = seen_find(r, q, false, &fresh);

	if (!s)
		return;
	s->count++;
	for (size_t i = 0; i < ans->n && s->n_addrs < SEEN_ADDRS; i++) {
		bool have = false;

		for (size_t j = 0; j < s->n_addrs && !have; j++)
			have = s->addrs[j].family == ans->a[i].family &&
			       memcmp(s->addrs[j].addr, ans->a[i].addr, 16) == 0;
		if (!have)
			s->addrs[s->n_addrs++] = ans->a[i];
	}
	if (fresh)
		audit_name(r, "dns.answer", s);
}

/* A slow, dead or garbling upstream is an audit event (bounded: a dead server must not fill
 * the log with one line per query). */
void dns_audit_upstream(struct dns_resolver *r, const struct query *qr, const char *problem)
{
	char addr[64];
	struct json *o;

	if (r->upstream_events++ >= MAX_UPSTREAM_EVENTS)
		return;
	net_format_upstream(&r->p->net.upstream[qr->up], addr, sizeof(addr));
	o = json_new_object();
	json_add_string(o, "upstream", addr);
	json_add_string(o, "problem", problem);
	json_add_string(o, "name", qr->q.name);
	audit_event(r->audit, "dns.upstream", o);
}

/* ---- nftables: the addresses of allowed names ---- */

static struct elem *elem_find(struct dns_resolver *r, unsigned k, const struct dns_addr *a)
{
	for (size_t i = 0; i < r->n_elems; i++)
		if (r->elems[i].port_class == k && r->elems[i].family == a->family &&
		    memcmp(r->elems[i].addr, a->addr, 16) == 0)
			return &r->elems[i];
	return NULL;
}

/* Forget elements the kernel has expired, to make room. */
static void elems_sweep(struct dns_resolver *r, uint64_t now)
{
	size_t o = 0;

	for (size_t i = 0; i < r->n_elems; i++)
		if (r->elems[i].expiry > now)
			r->elems[o++] = r->elems[i];
	r->n_elems = o;
}

/* Every address of the answer, in every port class that allowed the name. 0 or -errno. */
int dns_allow_addresses(struct dns_resolver *r, const struct query *qr,
                        const struct dns_answer *ans)
{
	/* Static: one answer at a time (the resolver is single-threaded), too big for a frame. */
	static struct nft_dns_elem v[DNS_MAX_ADDRS * NET_MAX_CLASSES];
	static struct elem *keep[DNS_MAX_ADDRS * NET_MAX_CLASSES];
	const struct net_plan *net = &r->p->net;
	uint64_t now = dns_now_ms();
	size_t n = 0;
	char err[128];
	int e;

	for (size_t i = 0; i < ans->n; i++) {
		uint32_t ttl = ans->a[i].ttl;

		ttl = ttl < net->dns_min_ttl ? net->dns_min_ttl : ttl;
		ttl = ttl > net->dns_max_ttl ? net->dns_max_ttl : ttl;
		for (unsigned k = 0; k < net->n_classes && n < ARRAY_SIZE(v); k++) {
			uint64_t expiry = now + (uint64_t)ttl * 1000;
			struct elem *el;

			if (!(qr->classes & 1u << k))
				continue;
			el = elem_find(r, k, &ans->a[i]);
			if (el && el->expiry > now + 1000 && el->expiry + 1000 >= expiry)
				continue; /* allowed for at least as long already */
			if (!el && r->n_elems == MAX_ELEMS)
				elems_sweep(r, now);
			if (!el && r->n_elems == MAX_ELEMS)
				return -ENOSPC;
			if (!el) {
				el = &r->elems[r->n_elems++];
				*el = (struct elem){.port_class = (unsigned char)k,
				                    .family = ans->a[i].family};
				memcpy(el->addr, ans->a[i].addr, 16);
				el->expiry = 0;
			}
			v[n] = (struct nft_dns_elem){.port_class = (unsigned char)k,
			                             .family = ans->a[i].family,
			                             .timeout_ms = (uint64_t)ttl * 1000,
			                             .replace = el->expiry > now};
			memcpy(v[n].addr, ans->a[i].addr, 16);
			keep[n] = el;
			el->expiry = expiry; /* provisional: undone below on failure */
			n++;
		}
	}
	if (n == 0 || !r->allow)
		return 0;
	if ((e = r->allow(r->allow_ctx, v, n, err, sizeof(err))) < 0) {
		fprintf(stderr, "cisandbox: resolver: cannot allow the addresses of %s: %s: %s\n",
		        qr->q.name, err, strerror(-e));
		for (size_t i = 0; i < n; i++)
			keep[i]->expiry = 0;
		return e;
	}
	return 0;
}

/* ---- answering the job ---- */

void dns_report(const struct dns_resolver *r, FILE *out)
{
	char tb[16];
	bool any = false;

	if (!r)
		return;
	if (r->denied_total) {
		fprintf(out, "cisandbox: dns: %lu quer%s refused (NXDOMAIN), names not allowed:",
		        r->denied_total, r->denied_total == 1 ? "y" : "ies");
		for (size_t i = 0; i < r->n_seen; i++)
			if (r->seen[i].denied)
				fprintf(out, "%s %s %s (%ux)", any ? "," : "", r->seen[i].name,
				        type_name(r->seen[i].type, tb, sizeof(tb)),
				        r->seen[i].count),
				    any = true;
		fputc('\n', out);
	}
	if (r->failed_total)
		fprintf(out, "cisandbox: dns: %lu quer%s failed (SERVFAIL: upstream or limits)\n",
		        r->failed_total, r->failed_total == 1 ? "y" : "ies");
	if (r->p->net.mode != NET_AUDIT)
		return;
	for (size_t i = 0; i < r->n_seen; i++) {
		const struct seen *s = &r->seen[i];

		if (s->denied)
			continue;
		fprintf(out, "cisandbox: dns: %s %s ->", s->name,
		        type_name(s->type, tb, sizeof(tb)));
		for (size_t j = 0; j < s->n_addrs; j++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(s->addrs[j].family, s->addrs[j].addr, a, sizeof(a));
			fprintf(out, " %s", a);
		}
		fprintf(out, "%s\n", s->n_addrs ? "" : " (no address)");
	}
}

const char *dns_name_of(const struct dns_resolver *r, int family, const unsigned char *addr)
{
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; r && i < r->n_seen; i++)
		for (size_t j = 0; !r->seen[i].denied && j < r->seen[i].n_addrs; j++)
			if (r->seen[i].addrs[j].family == family &&
			    memcmp(r->seen[i].addrs[j].addr, addr, len) == 0)
				return r->seen[i].name;
	return NULL;
}
