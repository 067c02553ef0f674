/* nft.c — build the egress ruleset with libnftnl and send it as one batch over libmnl. Runs in
 * the sandbox init, in the sandbox's network namespace, before the job exists.
 *
 *   table inet cisandbox
 *     set allow4 { ipv4_addr . inet_proto . inet_service; interval, concat }   (and allow6)
 *     chain output (hook output, policy drop in allowlist mode, accept otherwise)
 *       oif lo accept; ct state established,related accept;
 *       ip/ip6 daddr in each denied range: reject (evaluated first: a broad allow never opens
 *       them); ip/ip6 daddr . l4proto . th dport @allow4/6 accept;
 *       for each port set K of the names: ip daddr @dns4_K l4proto P th dport LO-HI accept
 *       (and dns6_K); those sets have timeouts and are filled at run time by the resolver;
 *       allowlist: tcp → reset, anything else → icmpx admin-prohibited (fail fast, not hang)
 *     chain input (hook input, policy drop): iif lo accept; ct state established,related accept
 *
 * The expressions are those nft(8) generates for the same ruleset (nft --debug=netlink). */
#define _GNU_SOURCE
#include "nft.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TABLE "cisandbox"

struct batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	char buf[];
};

static struct nlmsghdr *msg(struct batch *bt, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
	                                             NFPROTO_INET, flags | NLM_F_ACK, bt->seq++);

	return nlh;
}

static void next(struct batch *bt)
{
	mnl_nlmsg_batch_next(bt->b);
}

static struct nftnl_expr *ex(const char *name)
{
	return nftnl_expr_alloc(name);
}

static void add_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = ex("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
                        uint32_t dreg)
{
	struct nftnl_expr *e = ex("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void add_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const unsigned char zero[16];
	struct nftnl_expr *e = ex("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	nftnl_rule_add_expr(r, e);
}

static void add_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = ex("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
}

static void add_reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = ex("reject");

	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	nftnl_rule_add_expr(r, e);
}

static struct nftnl_rule *rule(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static void emit_rule(struct batch *bt, struct nftnl_rule *r)
{
	nftnl_rule_nlmsg_build_payload(msg(bt, NFT_MSG_NEWRULE, NLM_F_APPEND | NLM_F_CREATE), r);
	nftnl_rule_free(r);
	next(bt);
}

/* oif/iif lo accept; ct state established,related accept. */
static void emit_base_rules(struct batch *bt, const char *chain, uint32_t lo_key)
{
	const uint32_t one = 1, zero = 0,
	               state = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	struct nftnl_rule *r = rule(chain);
	struct nftnl_expr *e;

	add_meta(r, lo_key, NFT_REG_1);
	add_cmp(r, NFT_CMP_EQ, &one, sizeof(one)); /* lo is ifindex 1 in every namespace */
	add_verdict(r, NF_ACCEPT);
	emit_rule(bt, r);
	r = rule(chain);
	e = ex("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	add_bitwise(r, &state, sizeof(state));
	add_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
	add_verdict(r, NF_ACCEPT);
	emit_rule(bt, r);
}

static void add_family(struct nftnl_rule *r, int family)
{
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	add_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	add_cmp(r, NFT_CMP_EQ, &nfproto, sizeof(nfproto));
}

/* ip daddr RANGE reject with icmpx admin-prohibited */
static void emit_deny(struct batch *bt, const struct net_allow *d)
{
	unsigned len = d->family == AF_INET ? 4 : 16, off = d->family == AF_INET ? 16 : 24;
	unsigned char mask[16] = {0};
	struct nftnl_rule *r = rule("output");

	for (unsigned b = 0; b < d->prefix; b++)
		mask[b / 8] |= (unsigned char)(0x80 >> (b % 8));
	add_family(r, d->family);
	add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len, NFT_REG_1);
	add_bitwise(r, mask, len);
	add_cmp(r, NFT_CMP_EQ, d->addr, len);
	add_reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	emit_rule(bt, r);
}

struct family_layout {
	int family;
	unsigned addr_len, daddr_off, key_len;
	uint32_t proto_reg, port_reg;
};

static const struct family_layout layouts[] = {
    {AF_INET, 4, 16, 12, NFT_REG32_01, NFT_REG32_02},
    {AF_INET6, 16, 24, 24, NFT_REG32_04, NFT_REG32_05},
};

/* A set of destinations: "allow4", "private6", ... */
struct dest_set {
	const char *name;
	uint32_t id;
	const struct net_allow *v;
	size_t n;
};

/* Key: address . protocol . port, each field padded to 4 bytes (the set's concat layout). */
static void make_key(const struct family_layout *f, const struct net_allow *a, bool end,
                     unsigned char *key)
{
	uint16_t port = htons(end ? a->port_hi : a->port_lo);

	memset(key, 0, f->key_len);
	memcpy(key, a->addr, f->addr_len);
	if (end)
		for (unsigned b = a->prefix; b < f->addr_len * 8; b++)
			key[b / 8] |= (unsigned char)(0x80 >> (b % 8));
	key[f->addr_len] = a->proto;
	memcpy(key + f->addr_len + 4, &port, sizeof(port));
}

static struct nftnl_set *set_alloc(const struct dest_set *d)
{
	struct nftnl_set *s = nftnl_set_alloc();

	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, d->id);
	return s;
}

/* Elements go in messages of at most this many: a message's element list is a netlink nest,
 * whose length is 16 bits. */
#define ELEMS_PER_MSG 256

static void emit_set(struct batch *bt, const struct family_layout *f, const struct dest_set *d)
{
	const uint8_t fields[] = {(uint8_t)f->addr_len, 1, 2, 0};
	struct nftnl_set *s = set_alloc(d);
	size_t in_msg = 0;

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, f->key_len);
	/* ipv4_addr/ipv6_addr . inet_proto . inet_service, as nft(8) encodes the type. */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
	                  (((f->family == AF_INET ? 7u : 8u) << 6 | 12u) << 6) | 13u);
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
	nftnl_set_nlmsg_build_payload(msg(bt, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	nftnl_set_free(s);
	next(bt);
	s = set_alloc(d);
	for (size_t i = 0; i < d->n; i++) {
		struct nftnl_set_elem *e;
		unsigned char key[24], kend[24];

		if (d->v[i].family != f->family)
			continue;
		make_key(f, &d->v[i], false, key);
		make_key(f, &d->v[i], true, kend);
		e = nftnl_set_elem_alloc();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, f->key_len);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, kend, f->key_len);
		nftnl_set_elem_add(s, e);
		if (++in_msg == ELEMS_PER_MSG) {
			nftnl_set_elems_nlmsg_build_payload(
			    msg(bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE), s);
			next(bt);
			nftnl_set_free(s);
			s = set_alloc(d);
			in_msg = 0;
		}
	}
	if (in_msg) {
		nftnl_set_elems_nlmsg_build_payload(msg(bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE), s);
		next(bt);
	}
	nftnl_set_free(s);
}

/* dns4_K / dns6_K: addresses with a timeout each, added by the resolver (nft_dns_add). */
static void dns_set_name(char *buf, size_t len, int family, unsigned k)
{
	snprintf(buf, len, "dns%d_%u", family == AF_INET ? 4 : 6, k);
}

static uint32_t dns_set_id(int family, unsigned k)
{
	return 16 + 2 * k + (family == AF_INET6);
}

static void emit_dns_set(struct batch *bt, const struct family_layout *f, unsigned k)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char name[16];

	dns_set_name(name, sizeof(name), f->family, k);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, dns_set_id(f->family, k));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, f->addr_len);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, f->family == AF_INET ? 7u : 8u);
	nftnl_set_nlmsg_build_payload(msg(bt, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	nftnl_set_free(s);
	next(bt);
}

/* meta nfproto F ip daddr @dnsF_K meta l4proto P th dport LO-HI accept */
static void emit_dns_rule(struct batch *bt, const struct family_layout *f, unsigned k,
                          const struct net_ports *pc)
{
	struct nftnl_rule *r = rule("output");
	struct nftnl_expr *e = ex("lookup");
	uint16_t lo = htons(pc->lo), hi = htons(pc->hi);
	char name[16];

	dns_set_name(name, sizeof(name), f->family, k);
	add_family(r, f->family);
	add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, dns_set_id(f->family, k));
	nftnl_rule_add_expr(r, e);
	add_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	add_cmp(r, NFT_CMP_EQ, &pc->proto, sizeof(pc->proto));
	if (pc->lo != 0 || pc->hi != 65535) {
		/* Big-endian bytes compare in port order. */
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
		add_cmp(r, NFT_CMP_GTE, &lo, sizeof(lo));
		add_cmp(r, NFT_CMP_LTE, &hi, sizeof(hi));
	}
	add_verdict(r, NF_ACCEPT);
	emit_rule(bt, r);
}

/* ip daddr . meta l4proto . th dport @SET accept */
static void emit_lookup_rule(struct batch *bt, const struct family_layout *f,
                             const struct dest_set *d)
{
	struct nftnl_rule *r = rule("output");
	struct nftnl_expr *e;

	add_family(r, f->family);
	add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len, NFT_REG_1);
	add_meta(r, NFT_META_L4PROTO, f->proto_reg);
	add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, f->port_reg);
	e = ex("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, d->name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, d->id);
	nftnl_rule_add_expr(r, e);
	add_verdict(r, NF_ACCEPT);
	emit_rule(bt, r);
}

static void emit_chain(struct batch *bt, const char *name, uint32_t hook, int policy)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, (uint32_t)policy);
	nftnl_chain_nlmsg_build_payload(msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	next(bt);
}

/* ct state new log group N: every new outbound flow, refused ones too, reaches the launcher. */
static void emit_log_new(struct batch *bt, int group)
{
	const uint32_t zero = 0, state = NF_CT_STATE_BIT(IP_CT_NEW);
	struct nftnl_rule *r = rule("output");
	struct nftnl_expr *e = ex("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	add_bitwise(r, &state, sizeof(state));
	add_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
	e = ex("log");
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, (uint16_t)group);
	nftnl_rule_add_expr(r, e);
	emit_rule(bt, r);
}

static void build(struct batch *bt, const struct nft_policy *p)
{
	const struct dest_set allow[] = {{"allow4", 1, p->allow, p->n_allow},
	                                 {"allow6", 2, p->allow, p->n_allow}};
	const struct dest_set priv[] = {{"private4", 3, p->private_ok, p->n_private},
	                                {"private6", 4, p->private_ok, p->n_private}};
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_rule *r;
	const uint8_t tcp = IPPROTO_TCP;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_nlmsg_build_payload(msg(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE), t);
	nftnl_table_free(t);
	next(bt);
	emit_chain(bt, "output", NF_INET_LOCAL_OUT, p->allowlist ? NF_DROP : NF_ACCEPT);
	emit_chain(bt, "input", NF_INET_LOCAL_IN, NF_DROP);
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (p->n_private)
			emit_set(bt, &layouts[i], &priv[i]);
		if (p->allowlist)
			emit_set(bt, &layouts[i], &allow[i]);
		for (unsigned k = 0; p->allowlist && k < p->n_classes; k++)
			emit_dns_set(bt, &layouts[i], k);
	}
	emit_base_rules(bt, "output", NFT_META_OIF);
	emit_base_rules(bt, "input", NFT_META_IIF);
	if (p->log_group > 0)
		emit_log_new(bt, p->log_group);
	/* The profile's explicit holes come first, then every denied range, then the allowlist:
	 * a broad allow (0.0.0.0/0:443) never opens metadata or private ranges. */
	for (size_t i = 0; p->n_private && i < ARRAY_SIZE(layouts); i++)
		emit_lookup_rule(bt, &layouts[i], &priv[i]);
	for (size_t i = 0; i < p->n_deny; i++)
		emit_deny(bt, &p->deny[i]);
	if (!p->allowlist)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		emit_lookup_rule(bt, &layouts[i], &allow[i]);
		for (unsigned k = 0; k < p->n_classes; k++)
			emit_dns_rule(bt, &layouts[i], k, &p->classes[k]);
	}
	/* Refuse loudly: a reset or an ICMP error fails the job's connect at once. */
	r = rule("output");
	add_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	add_cmp(r, NFT_CMP_EQ, &tcp, sizeof(tcp));
	add_reject(r, NFT_REJECT_TCP_RST, 0);
	emit_rule(bt, r);
	r = rule("output");
	add_reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	emit_rule(bt, r);
}

/* Read acks until every message of the batch is answered; the first error wins. */
static int wait_acks(struct mnl_socket *nl, uint32_t first, uint32_t last, char *err, size_t errlen)
{
	char buf[32768];
	uint32_t acked = 0;

	while (acked < last - first) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0)
			return snprintf(err, errlen, "netlink receive"), -errno;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error)
				return snprintf(err, errlen, "nftables message %u of %u",
				                h->nlmsg_seq - first + 1, last - first),
				       e->error;
			acked++;
		}
	}
	return 0;
}

int nft_apply(const struct nft_policy *p, char *err, size_t errlen)
{
	/* Room for every message: ~100 bytes an element or rule, plus the fixed part. */
	size_t size = (p->n_allow + p->n_private + p->n_deny + p->n_classes) * 2 * 100 + (64 << 10);
	struct batch *bt = xcalloc(1, sizeof(*bt) + size);
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct timeval tv = {2, 0};
	int sndbuf = (int)size;
	uint32_t first;
	int r = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "netlink socket");
		goto out;
	}
	/* A kernel that never answers must not hang the sandbox setup. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The batch goes in one send (the kernel applies a batch per message), which the send
	 * buffer bounds: raise it, up to net.core.wmem_max (the kernel doubles it; 416 KiB on a
	 * stock kernel, room for the NET_MAX_ENTRIES a plan may hold). */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	bt->seq = (uint32_t)time(NULL);
	bt->b = mnl_nlmsg_batch_start(bt->buf, size);
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	next(bt);
	first = bt->seq;
	build(bt, p);
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq);
	next(bt);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
		r = -errno;
		snprintf(err, errlen, "netlink send");
		goto out;
	}
	r = wait_acks(nl, first, bt->seq, err, errlen);
out:
	if (bt->b)
		mnl_nlmsg_batch_stop(bt->b);
	if (nl)
		mnl_socket_close(nl);
	free(bt);
	return r;
}

/* One element of a dns set, for a NEWSETELEM or DELSETELEM message. */
static void emit_dns_elem(struct batch *bt, const struct nft_dns_elem *d, bool del)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	char name[16];

	dns_set_name(name, sizeof(name), d->family, d->port_class);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, d->addr, d->family == AF_INET ? 4 : 16);
	if (!del)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, d->timeout_ms);
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(
	    msg(bt, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, del ? 0 : NLM_F_CREATE), s);
	nftnl_set_free(s);
	next(bt);
}

static int dns_batch(struct mnl_socket *nl, const struct nft_dns_elem *v, size_t n, bool replace,
                     char *err, size_t errlen)
{
	size_t size = n * 2 * 256 + 4096;
	struct batch *bt = xcalloc(1, sizeof(*bt) + size);
	uint32_t first;
	int r;

	bt->seq = (uint32_t)time(NULL);
	bt->b = mnl_nlmsg_batch_start(bt->buf, size);
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	next(bt);
	first = bt->seq;
	for (size_t i = 0; i < n; i++) {
		if (replace && v[i].replace)
			emit_dns_elem(bt, &v[i], true);
		emit_dns_elem(bt, &v[i], false);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq);
	next(bt);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
		r = -errno;
		snprintf(err, errlen, "netlink send");
	} else {
		r = wait_acks(nl, first, bt->seq, err, errlen);
	}
	mnl_nlmsg_batch_stop(bt->b);
	free(bt);
	return r;
}

int nft_dns_add(struct mnl_socket *nl, const struct nft_dns_elem *v, size_t n, char *err,
                size_t errlen)
{
	int r = dns_batch(nl, v, n, true, err, errlen);

	/* An element we meant to replace expired in the kernel meanwhile: the batch failed as a
	 * whole; adding alone is then right. */
	if (r == -ENOENT)
		r = dns_batch(nl, v, n, false, err, errlen);
	return r;
}
