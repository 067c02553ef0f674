/* dns_int.h — inside the resolver only (dns.c, dns_record.c): its state and limits. */
#ifndef CIS_DNS_INT_H
#define CIS_DNS_INT_H

#include "dns.h"
#include "dnsmsg.h"
#include "plan.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_QUERIES  256 /* in flight; beyond, SERVFAIL at once */
#define MAX_CONNS    64  /* TCP clients */
#define CONN_QUERIES 16  /* in flight per TCP client */
/* A dead upstream costs a lookup about 2 s: SERVFAIL after QUERY_MS, and the job's resolv.conf
 * gives its client a 2 s timeout and one attempt (NET_RESOLVER_OPTIONS in plan.h: glibc waits
 * out its timeout even after a SERVFAIL), so the job's retries never multiply ours. */
#define TRY_MS              1000 /* an upstream's turn for a UDP query (then the next, or again) */
#define QUERY_MS            1800 /* a query's whole life: SERVFAIL after it */
#define MAX_UPSTREAM_EVENTS 16   /* dns.upstream audit events per run (timeouts, bad answers) */
#define IDLE_MS             10000
#define MAX_SEEN            256 /* distinct names remembered for the summary */
#define SEEN_ADDRS          8
#define MAX_ELEMS           NET_MAX_ENTRIES
#define UDP_ANSWER          65535

enum qstate { Q_FREE, Q_UDP, Q_CONNECT, Q_SEND, Q_RECV };

struct query {
	enum qstate st;
	int conn;          /* TCP client index, -1 for UDP */
	unsigned conn_gen; /* the client's generation when asked: it may be gone and reused */
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint16_t client_id, up_id;
	struct dns_question q;
	uint16_t classes; /* port classes of the allow entries that match (allowlist mode) */
	uint8_t *msg;     /* as sent upstream; for TCP with its 2-byte length in front */
	size_t len, io;
	uint8_t *resp; /* TCP: the answer being read, 2-byte length first */
	size_t resp_len;
	size_t up; /* upstream index */
	int fd;
	uint64_t deadline, try_deadline;
};

struct conn {
	int fd;
	unsigned gen;
	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off;
	unsigned inflight;
	bool eof;
	uint64_t idle;
};

struct elem {
	unsigned char port_class;
	int family;
	unsigned char addr[16];
	uint64_t expiry;
};

struct seen {
	char name[256];
	uint16_t type;
	bool denied;
	unsigned count;
	size_t n_addrs;
	struct dns_addr addrs[SEEN_ADDRS];
};

/* What dns_poll_fill put where. */
enum slot_kind { S_UDP, S_TCP, S_CONN, S_QUERY };
struct slot {
	enum slot_kind kind;
	int index;
};

struct dns_resolver {
	const struct plan *p;
	const struct audit *audit;
	int udp, tcp;
	dns_allow_fn *allow;
	void *allow_ctx;
	struct query q[MAX_QUERIES];
	struct conn c[MAX_CONNS];
	unsigned conn_gen;
	struct elem *elems;
	size_t n_elems;
	struct seen seen[MAX_SEEN];
	size_t n_seen;
	unsigned long denied_total, failed_total, upstream_events;
	struct slot slots[1 + 1 + MAX_CONNS + MAX_QUERIES];
	uint8_t buf[UDP_ANSWER];
};

static inline uint64_t dns_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* dns_record.c: a refused name; an allowed name's answer; a slow or garbage upstream (audit,
 * bounded); the answer's addresses into nftables before the job sees them (0 or -errno). */
void dns_record_denied(struct dns_resolver *r, const struct dns_question *q);
void dns_record_answer(struct dns_resolver *r, const struct dns_question *q,
                       const struct dns_answer *ans);
void dns_audit_upstream(struct dns_resolver *r, const struct query *qr, const char *problem);
int dns_allow_addresses(struct dns_resolver *r, const struct query *qr,
                        const struct dns_answer *ans);

#endif
