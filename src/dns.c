/* dns.c — the sandbox's filtering resolver, in the launcher.
 *
 * A query from the job (UDP or TCP on NET_RESOLVER:53 in the sandbox's namespace) is parsed
 * (dnsmsg.c), checked against the plan's names and either answered at once (NXDOMAIN for a name
 * not allowed: the job's lookup fails fast with "not found", and glibc has no search domain here
 * to try next) or forwarded upstream with a fresh random id, UDP for UDP and TCP for TCP, each
 * query on its own socket (so a random source port too). The answer must match id and question;
 * a mismatch on UDP is ignored (a spoof or a late answer), the query keeps waiting. The A/AAAA
 * addresses of an allowed name go into nftables first, then the answer goes to the job, so its
 * first connect succeeds. A slow upstream holds only its own query: nothing here blocks except
 * the netlink round trip to the kernel, which is local and bounded. */
#define _GNU_SOURCE
#include "dns.h"
#include "dns_int.h"
#include "audit.h"
#include "dnsmsg.h"
#include "netspec.h"
#include "nft.h"
#include "util.h"
#include "json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t random_id(void)
{
	uint16_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint16_t)(dns_now_ms() * 2654435761u >> 7);
	return v;
}

static void conn_close(struct dns_resolver *r, int i)
{
	struct conn *c = &r->c[i];

	closep(&c->fd);
	free(c->in);
	free(c->out);
	*c = (struct conn){.fd = -1};
}

static void conn_queue(struct dns_resolver *r, int i, const uint8_t *m, size_t len)
{
	struct conn *c = &r->c[i];

	/* A client that reads nothing cannot make us hold more than a few answers. */
	if (c->out_len - c->out_off + len + 2 > 8 * 65537u) {
		conn_close(r, i);
		return;
	}
	c->out = xrealloc(c->out, c->out_len + len + 2);
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, m, len);
	c->out_len += len + 2;
}

/* To the client that asked, with its own id. */
static void deliver(struct dns_resolver *r, int conn, unsigned gen, const struct sockaddr *to,
                    socklen_t tolen, uint16_t id, uint8_t *m, size_t len)
{
	dnsmsg_set_id(m, id);
	if (conn < 0) {
		(void)sendto(r->udp, m, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
		return;
	}
	if (r->c[conn].fd >= 0 && r->c[conn].gen == gen)
		conn_queue(r, conn, m, len);
}

static void reply_code(struct dns_resolver *r, int conn, unsigned gen, const struct sockaddr *to,
                       socklen_t tolen, const uint8_t *qm, size_t qlen, size_t qend, int rcode)
{
	uint8_t out[DNS_HDR + 260];
	size_t n = dnsmsg_reply(qm, qlen, qend, rcode, out, sizeof(out));

	if (n)
		deliver(r, conn, gen, to, tolen, dnsmsg_id(qm), out, n);
}

static void query_free(struct dns_resolver *r, struct query *qr)
{
	if (qr->conn >= 0 && r->c[qr->conn].gen == qr->conn_gen && r->c[qr->conn].inflight)
		r->c[qr->conn].inflight--;
	closep(&qr->fd);
	free(qr->msg);
	free(qr->resp);
	*qr = (struct query){.st = Q_FREE, .fd = -1};
}

static void query_fail(struct dns_resolver *r, struct query *qr, int rcode)
{
	uint8_t *m = qr->msg + (qr->conn >= 0 ? 2 : 0);
	size_t len = qr->len - (qr->conn >= 0 ? 2 : 0);

	r->failed_total++;
	reply_code(r, qr->conn, qr->conn_gen, (struct sockaddr *)&qr->from, qr->fromlen, m, len,
	           qr->q.end, rcode);
	query_free(r, qr);
}

/* The upstream's answer m (without TCP length) is complete: check it, allow, deliver. For UDP
 * a message that does not check out is ignored and the query waits on. */
static void on_answer(struct dns_resolver *r, struct query *qr, uint8_t *m, size_t len)
{
	static struct dns_answer ans;
	const char *why;
	enum net_mode mode = r->p->net.mode;

	if (dnsmsg_parse_response(m, len, qr->up_id, &qr->q, &ans, &why) < 0) {
		if (r->p->verbose)
			fprintf(stderr, "cisandbox: resolver: answer for %s dropped: %s\n",
			        qr->q.name, why);
		dns_audit_upstream(r, qr, why);
		if (qr->conn >= 0)
			query_fail(r, qr, DNS_R_SERVFAIL);
		return;
	}
	if (mode == NET_ALLOWLIST && ans.n && dns_allow_addresses(r, qr, &ans) < 0) {
		query_fail(r, qr, DNS_R_SERVFAIL);
		return;
	}
	if (mode != NET_OPEN && ans.rcode == DNS_R_OK && !ans.truncated)
		dns_record_answer(r, &qr->q, &ans);
	deliver(r, qr->conn, qr->conn_gen, (struct sockaddr *)&qr->from, qr->fromlen, qr->client_id,
	        m, len);
	query_free(r, qr);
}

/* ---- upstream ---- */

static socklen_t upstream_addr(const struct net_upstream *u, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (u->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(u->port);
		memcpy(&s4->sin_addr, u->addr, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(u->port);
	memcpy(&s6->sin6_addr, u->addr, 16);
	return sizeof(*s6);
}

/* (Re)send the query to upstream qr->up: a new socket, a new id. 0 or -1. */
static int upstream_send(struct dns_resolver *r, struct query *qr)
{
	const struct net_upstream *u = &r->p->net.upstream[qr->up];
	bool tcp = qr->conn >= 0;
	struct sockaddr_storage ss;
	socklen_t sl = upstream_addr(u, &ss);

	closep(&qr->fd);
	qr->up_id = random_id();
	dnsmsg_set_id(qr->msg + (tcp ? 2 : 0), qr->up_id);
	qr->io = 0;
	qr->fd =
	    socket(u->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (qr->fd < 0)
		return -1;
	if (connect(qr->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return -1;
	/* A TCP query follows a truncated answer: that upstream is alive, give it the query's life.
	 */
	qr->try_deadline = dns_now_ms() + (tcp ? QUERY_MS : TRY_MS);
	if (tcp) {
		qr->st = Q_CONNECT;
		return 0;
	}
	qr->st = Q_UDP;
	return send(qr->fd, qr->msg, qr->len, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The next upstream, or give up. */
static void upstream_next(struct dns_resolver *r, struct query *qr)
{
	while (++qr->up < r->p->net.n_upstream)
		if (upstream_send(r, qr) == 0)
			return;
	query_fail(r, qr, DNS_R_SERVFAIL);
}

static void on_upstream(struct dns_resolver *r, struct query *qr, short ev)
{
	ssize_t n;

	if (qr->st == Q_UDP) {
		n = recv(qr->fd, r->buf, sizeof(r->buf), MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			upstream_next(r, qr); /* ICMP unreachable: refused */
		else if (n > 0)
			on_answer(r, qr, r->buf, (size_t)n);
		return;
	}
	if (qr->st == Q_CONNECT) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(qr->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			upstream_next(r, qr);
			return;
		}
		qr->st = Q_SEND;
	}
	if (qr->st == Q_SEND) {
		n = send(qr->fd, qr->msg + qr->io, qr->len - qr->io, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			upstream_next(r, qr);
			return;
		}
		qr->io += n > 0 ? (size_t)n : 0;
		if (qr->io < qr->len)
			return;
		qr->st = Q_RECV;
		qr->io = 0;
		qr->resp = xrealloc(qr->resp, 2 + 65535);
		return;
	}
	/* Q_RECV: the 2-byte length, then that many bytes. */
	size_t want = qr->io < 2 ? 2 : 2 + (size_t)(qr->resp[0] << 8 | qr->resp[1]);

	n = recv(qr->fd, qr->resp + qr->io, want - qr->io, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		upstream_next(r, qr);
		return;
	}
	if (n < 0)
		return;
	qr->io += (size_t)n;
	if (qr->io == 2 && want == 2 && qr->resp[0] == 0 && qr->resp[1] < DNS_HDR) {
		upstream_next(r, qr);
		return;
	}
	if (qr->io > 2 && qr->io == 2 + (size_t)(qr->resp[0] << 8 | qr->resp[1]))
		on_answer(r, qr, qr->resp + 2, qr->io - 2);
}

/* ---- queries from the job ---- */

/* Which allow entries let this name through: a bit per port class. */
static uint16_t name_classes(const struct net_plan *net, const struct dns_question *q)
{
	uint16_t mask = 0;

	if (!q->plain || q->qclass != DNS_C_IN)
		return 0;
	for (size_t i = 0; i < net->n_names; i++)
		if (dnsmsg_name_match(net->names[i].pattern, q->name))
			mask |= (uint16_t)(1u << net->names[i].port_class);
	return mask;
}

static void on_query(struct dns_resolver *r, int conn, const struct sockaddr *from,
                     socklen_t fromlen, const uint8_t *m, size_t len)
{
	const struct net_plan *net = &r->p->net;
	unsigned gen = conn >= 0 ? r->c[conn].gen : 0;
	struct dns_question q;
	struct query *qr = NULL;
	uint16_t classes = 0;
	const char *why;

	if (dnsmsg_parse_query(m, len, &q, &why) < 0)
		return; /* nothing sane to answer */
	if (net->mode == NET_ALLOWLIST && !(classes = name_classes(net, &q))) {
		dns_record_denied(r, &q);
		reply_code(r, conn, gen, from, fromlen, m, len, q.end, DNS_R_NXDOMAIN);
		return;
	}
	for (size_t i = 0; i < MAX_QUERIES && !qr; i++)
		if (r->q[i].st == Q_FREE)
			qr = &r->q[i];
	if (!qr || !net->n_upstream || (conn >= 0 && r->c[conn].inflight >= CONN_QUERIES)) {
		r->failed_total++;
		reply_code(r, conn, gen, from, fromlen, m, len, q.end, DNS_R_SERVFAIL);
		return;
	}
	*qr = (struct query){.conn = conn,
	                     .conn_gen = gen,
	                     .fromlen = fromlen,
	                     .client_id = dnsmsg_id(m),
	                     .q = q,
	                     .classes = classes,
	                     .fd = -1,
	                     .deadline = dns_now_ms() + QUERY_MS};
	if (from)
		memcpy(&qr->from, from, fromlen);
	qr->len = len + (conn >= 0 ? 2 : 0);
	qr->msg = xmalloc(qr->len);
	if (conn >= 0) {
		qr->msg[0] = (uint8_t)(len >> 8);
		qr->msg[1] = (uint8_t)len;
		r->c[conn].inflight++;
	}
	memcpy(qr->msg + (conn >= 0 ? 2 : 0), m, len);
	qr->st = Q_UDP; /* taken */
	qr->up = 0;
	if (upstream_send(r, qr) < 0)
		upstream_next(r, qr);
}

static void on_udp(struct dns_resolver *r)
{
	/* A burst at a time, not forever: the launcher has other duties. */
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(r->udp, r->buf, 4096, MSG_DONTWAIT | MSG_TRUNC,
		                     (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (n <= 4096)
			on_query(r, -1, (struct sockaddr *)&from, fl, r->buf, (size_t)n);
	}
}

static void on_accept(struct dns_resolver *r)
{
	int fd = accept4(r->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int i = 0;

	if (fd < 0)
		return;
	while (i < MAX_CONNS && r->c[i].fd >= 0)
		i++;
	if (i == MAX_CONNS) {
		close(fd);
		return;
	}
	r->c[i] = (struct conn){.fd = fd, .gen = ++r->conn_gen, .idle = dns_now_ms() + IDLE_MS};
	r->c[i].in = xmalloc(2 + 65535);
}

static void on_conn(struct dns_resolver *r, int i, short ev)
{
	struct conn *c = &r->c[i];
	ssize_t n;

	if (ev & POLLOUT && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		         MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			conn_close(r, i);
			return;
		}
		c->out_off += n > 0 ? (size_t)n : 0;
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
		c->idle = dns_now_ms() + IDLE_MS;
	}
	if (!(ev & (POLLIN | POLLHUP | POLLERR)) || c->eof)
		return;
	n = recv(c->fd, c->in + c->in_len, 2 + 65535 - c->in_len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		c->eof = true; /* answers still owed are sent, then it closes */
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->idle = dns_now_ms() + IDLE_MS;
	while (c->fd >= 0 && c->in_len >= 2) {
		size_t len = (size_t)(c->in[0] << 8 | c->in[1]);

		if (len < DNS_HDR) {
			conn_close(r, i);
			return;
		}
		if (c->in_len < 2 + len)
			break;
		on_query(r, i, NULL, 0, c->in + 2, len);
		if (c->fd < 0)
			return;
		memmove(c->in, c->in + 2 + len, c->in_len - 2 - len);
		c->in_len -= 2 + len;
	}
}

/* ---- the poll loop's side ---- */

struct dns_resolver *dns_start(const struct plan *p, const struct audit *a, int udp, int tcp,
                               dns_allow_fn *allow, void *ctx)
{
	struct dns_resolver *r = xcalloc(1, sizeof(*r));

	r->p = p;
	r->audit = a;
	r->udp = udp;
	r->tcp = tcp;
	r->allow = allow;
	r->allow_ctx = ctx;
	for (size_t i = 0; i < MAX_QUERIES; i++)
		r->q[i] = (struct query){.st = Q_FREE, .fd = -1};
	for (size_t i = 0; i < MAX_CONNS; i++)
		r->c[i] = (struct conn){.fd = -1};
	r->elems = xcalloc(MAX_ELEMS, sizeof(*r->elems));
	return r;
}

size_t dns_poll_fill(struct dns_resolver *r, struct pollfd *pf, size_t max)
{
	size_t n = 0;

	if (!r)
		return 0;
#define ADD(fd_, ev_, kind_, idx_)                                                                 \
	do {                                                                                       \
		if (n < max && n < ARRAY_SIZE(r->slots)) {                                         \
			pf[n] = (struct pollfd){(fd_), (short)(ev_), 0};                           \
			r->slots[n++] = (struct slot){(kind_), (idx_)};                            \
		}                                                                                  \
	} while (0)
	ADD(r->udp, POLLIN, S_UDP, 0);
	ADD(r->tcp, POLLIN, S_TCP, 0);
	for (int i = 0; i < MAX_CONNS; i++)
		if (r->c[i].fd >= 0)
			ADD(r->c[i].fd,
			    (r->c[i].eof ? 0 : POLLIN) |
			        (r->c[i].out_off < r->c[i].out_len ? POLLOUT : 0),
			    S_CONN, i);
	for (int i = 0; i < MAX_QUERIES; i++)
		if (r->q[i].st != Q_FREE && r->q[i].fd >= 0)
			ADD(r->q[i].fd,
			    r->q[i].st == Q_CONNECT || r->q[i].st == Q_SEND ? POLLOUT : POLLIN,
			    S_QUERY, i);
#undef ADD
	return n;
}

/* Deadlines: a UDP try moves on to the next upstream, a query past its life fails, an idle or
 * finished TCP client is closed. */
static void expire(struct dns_resolver *r)
{
	uint64_t now = dns_now_ms();

	for (int i = 0; i < MAX_QUERIES; i++) {
		struct query *qr = &r->q[i];

		if (qr->st == Q_FREE)
			continue;
		if (now >= qr->try_deadline || now >= qr->deadline)
			dns_audit_upstream(r, qr, "timeout");
		if (now >= qr->deadline) {
			query_fail(r, qr, DNS_R_SERVFAIL);
		} else if (now >= qr->try_deadline) {
			/* UDP: after the last upstream, the first again until the deadline. */
			if (qr->conn < 0 && qr->up + 1 >= r->p->net.n_upstream)
				qr->up = SIZE_MAX;
			upstream_next(r, qr);
		}
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &r->c[i];

		if (c->fd >= 0 && !c->inflight && c->out_off == c->out_len &&
		    (c->eof || now >= c->idle))
			conn_close(r, i);
	}
}

void dns_poll_done(struct dns_resolver *r, const struct pollfd *pf, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		struct slot s = r->slots[i];

		if (!pf[i].revents)
			continue;
		if (s.kind == S_UDP)
			on_udp(r);
		else if (s.kind == S_TCP)
			on_accept(r);
		else if (s.kind == S_CONN && r->c[s.index].fd == pf[i].fd)
			on_conn(r, s.index, pf[i].revents);
		else if (s.kind == S_QUERY && r->q[s.index].st != Q_FREE &&
		         r->q[s.index].fd == pf[i].fd)
			on_upstream(r, &r->q[s.index], pf[i].revents);
	}
	expire(r);
}

int dns_next_timeout(const struct dns_resolver *r)
{
	uint64_t now = dns_now_ms(), next = UINT64_MAX;

	if (!r)
		return -1;
	for (int i = 0; i < MAX_QUERIES; i++)
		if (r->q[i].st != Q_FREE) {
			next = r->q[i].try_deadline < next ? r->q[i].try_deadline : next;
			next = r->q[i].deadline < next ? r->q[i].deadline : next;
		}
	for (int i = 0; i < MAX_CONNS; i++)
		if (r->c[i].fd >= 0)
			next = r->c[i].idle < next ? r->c[i].idle : next;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

void dns_stop(struct dns_resolver *r)
{
	if (!r)
		return;
	for (int i = 0; i < MAX_QUERIES; i++)
		if (r->q[i].st != Q_FREE)
			query_free(r, &r->q[i]);
	for (int i = 0; i < MAX_CONNS; i++)
		if (r->c[i].fd >= 0)
			conn_close(r, i);
	closep(&r->udp);
	closep(&r->tcp);
	free(r->elems);
	free(r);
}
