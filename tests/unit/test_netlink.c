/* netlink.c, our libmnl API: attributes built and parsed back, validation per type, malformed
 * input (what a kernel reply or an NFLOG record carrying a job's packet could hold), batches,
 * the callback loop on crafted buffers, and a real kernel: an nftables batch built by libnftnl
 * on our functions, sent in a fresh network namespace (as root and rootless), acked and dumped
 * back through mnl_cb_run. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

/* A message buffer, aligned for nlmsghdr, filled with 0xaa so that unzeroed padding shows. */
union msgbuf {
	struct nlmsghdr h;
	char b[4096];
};

static struct nlmsghdr *fresh(union msgbuf *m)
{
	memset(m, 0xaa, sizeof(*m));
	return mnl_nlmsg_put_header(m->b);
}

/* --- attributes */

struct seen {
	const struct nlattr *a[16];
	int n;
	int stop_at; /* index whose callback returns stop_ret (-1: never) */
	int stop_ret;
};

static int collect(const struct nlattr *a, void *data)
{
	struct seen *s = data;

	if (s->n < 16)
		s->a[s->n] = a;
	if (s->n++ == s->stop_at)
		return s->stop_ret;
	return MNL_CB_OK;
}

Test(netlink, put_parse_round_trip)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	struct seen s = {.stop_at = -1};
	struct nfgenmsg *g;

	cr_assert_eq(h->nlmsg_len, 16);
	cr_assert_eq(h->nlmsg_type, 0);
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	cr_assert_eq((char *)g, m.b + 16);
	cr_assert_eq(g->nfgen_family, 0);
	cr_assert_eq(h->nlmsg_len, 20);
	cr_assert_eq(mnl_nlmsg_get_payload(h), (void *)g);
	mnl_attr_put_u8(h, 1, 0x12);
	mnl_attr_put_u16(h, 2, 0x3456);
	mnl_attr_put_u32(h, 3, 0x789abcde);
	mnl_attr_put_u64(h, 4, 0x0123456789abcdefULL);
	mnl_attr_put_str(h, 5, "eth0");
	mnl_attr_put_strz(h, 6, "lo");
	cr_assert_eq(h->nlmsg_len, 20 + 8 + 8 + 8 + 12 + 8 + 8);
	cr_assert_eq(mnl_attr_parse(h, sizeof(*g), collect, &s), MNL_CB_OK);
	cr_assert_eq(s.n, 6);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(mnl_attr_get_type(s.a[i]), i + 1);
	cr_assert_eq(mnl_attr_get_u8(s.a[0]), 0x12);
	cr_assert_eq(mnl_attr_get_u16(s.a[1]), 0x3456);
	cr_assert_eq(mnl_attr_get_u32(s.a[2]), 0x789abcde);
	cr_assert_eq(mnl_attr_get_u64(s.a[3]), 0x0123456789abcdefULL);
	cr_assert_eq(mnl_attr_get_payload_len(s.a[4]), 4);
	cr_assert_eq(memcmp(mnl_attr_get_str(s.a[4]), "eth0", 4), 0);
	cr_assert_eq(mnl_attr_get_payload_len(s.a[5]), 3);
	cr_assert_str_eq(mnl_attr_get_str(s.a[5]), "lo");
	cr_assert_eq(mnl_attr_validate(s.a[5], MNL_TYPE_NUL_STRING), 0);
}

/* A 5-byte payload: nla_len 9, the message grows by 12 and the 3 padding bytes are zero. */
Test(netlink, put_pads_with_zeros)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	const struct nlattr *a = (const struct nlattr *)(m.b + 16);

	mnl_attr_put(h, 7, 5, "abcde");
	cr_assert_eq(a->nla_len, 9);
	cr_assert_eq(a->nla_type, 7);
	cr_assert_eq(h->nlmsg_len, 16 + 12);
	cr_assert_eq(memcmp(m.b + 20, "abcde\0\0\0", 8), 0);
	cr_assert_eq((unsigned char)m.b[28], 0xaa, "wrote past the padding");
	mnl_attr_put(h, 8, 0, NULL);
	cr_assert_eq(h->nlmsg_len, 16 + 12 + 4);
	cr_assert_eq(mnl_attr_validate((const struct nlattr *)(m.b + 28), MNL_TYPE_FLAG), 0);
	/* The extra header is padded too. */
	h = fresh(&m);
	cr_assert_eq(h->nlmsg_len, 16);
	mnl_nlmsg_put_extra_header(h, 5);
	cr_assert_eq(h->nlmsg_len, 24);
	cr_assert_eq(memcmp(m.b + 16, "\0\0\0\0\0\0\0\0", 8), 0);
}

Test(netlink, nest_round_trip)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	struct seen outer = {.stop_at = -1}, inner = {.stop_at = -1};
	struct nlattr *n = mnl_attr_nest_start(h, 3), *empty;

	mnl_attr_put_u32(h, 1, 42);
	mnl_attr_put_str(h, 2, "x");
	mnl_attr_nest_end(h, n);
	empty = mnl_attr_nest_start(h, 4);
	mnl_attr_nest_end(h, empty);
	cr_assert_eq(n->nla_len, 4 + 8 + 8);
	cr_assert_eq(n->nla_type, NLA_F_NESTED | 3);
	cr_assert_eq(empty->nla_len, 4);
	cr_assert_eq(h->nlmsg_len, 16 + 20 + 4);
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &outer), MNL_CB_OK);
	cr_assert_eq(outer.n, 2);
	cr_assert_eq(mnl_attr_get_type(outer.a[0]), 3, "NLA_F_NESTED is masked off");
	cr_assert_eq(mnl_attr_validate(outer.a[0], MNL_TYPE_NESTED), 0);
	cr_assert_eq(mnl_attr_validate(outer.a[1], MNL_TYPE_NESTED), 0, "empty nest is valid");
	cr_assert_eq(mnl_attr_parse_nested(outer.a[0], collect, &inner), MNL_CB_OK);
	cr_assert_eq(inner.n, 2);
	cr_assert_eq(mnl_attr_get_u32(inner.a[0]), 42);
	cr_assert_eq(mnl_attr_get_type(inner.a[1]), 2);
	inner.n = 0;
	cr_assert_eq(mnl_attr_parse_nested(outer.a[1], collect, &inner), MNL_CB_OK);
	cr_assert_eq(inner.n, 0);
}

/* A payload of len bytes in an attribute of its own, for validate. */
static const struct nlattr *attr_of(union msgbuf *m, const void *p, size_t len)
{
	struct nlmsghdr *h = fresh(m);

	mnl_attr_put(h, 1, len, p);
	return (const struct nlattr *)(m->b + 16);
}

static void expect_invalid(const struct nlattr *a, enum mnl_attr_data_type t, int e)
{
	errno = 0;
	cr_assert_eq(mnl_attr_validate(a, t), -1, "type %d accepted", t);
	cr_assert_eq(errno, e, "type %d: errno %d, not %d", t, errno, e);
}

Test(netlink, validate_by_type)
{
	static const enum mnl_attr_data_type fixed[] = {MNL_TYPE_U8, MNL_TYPE_U16, MNL_TYPE_U32,
	                                                MNL_TYPE_U64, MNL_TYPE_MSECS};
	static const size_t sizes[] = {1, 2, 4, 8, 8};
	const char zeros[16] = {0};
	union msgbuf m;

	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(mnl_attr_validate(attr_of(&m, zeros, sizes[i]), fixed[i]), 0);
		expect_invalid(attr_of(&m, zeros, sizes[i] - 1), fixed[i], ERANGE);
		expect_invalid(attr_of(&m, zeros, sizes[i] + 1), fixed[i], ERANGE);
	}
	expect_invalid(attr_of(&m, zeros, 1), MNL_TYPE_FLAG, ERANGE);
	expect_invalid(attr_of(&m, zeros, 0), MNL_TYPE_STRING, ERANGE);
	cr_assert_eq(mnl_attr_validate(attr_of(&m, "ab", 2), MNL_TYPE_STRING), 0);
	expect_invalid(attr_of(&m, zeros, 0), MNL_TYPE_NUL_STRING, ERANGE);
	expect_invalid(attr_of(&m, "ab", 2), MNL_TYPE_NUL_STRING, EINVAL);
	cr_assert_eq(mnl_attr_validate(attr_of(&m, "ab", 3), MNL_TYPE_NUL_STRING), 0);
	expect_invalid(attr_of(&m, zeros, 3), MNL_TYPE_NESTED, ERANGE);
	cr_assert_eq(mnl_attr_validate(attr_of(&m, zeros, 4), MNL_TYPE_NESTED), 0);
	cr_assert_eq(mnl_attr_validate(attr_of(&m, zeros, 7), MNL_TYPE_BINARY), 0);
	cr_assert_eq(mnl_attr_validate(attr_of(&m, zeros, 0), MNL_TYPE_UNSPEC), 0);
	expect_invalid(attr_of(&m, zeros, 4), MNL_TYPE_MAX, EINVAL);
	/* An attribute shorter than its own header is no attribute. */
	((struct nlattr *)(m.b + 16))->nla_len = 2;
	expect_invalid((const struct nlattr *)(m.b + 16), MNL_TYPE_STRING, ERANGE);
	expect_invalid((const struct nlattr *)(m.b + 16), MNL_TYPE_BINARY, ERANGE);
	cr_assert_eq(mnl_attr_get_payload_len((const struct nlattr *)(m.b + 16)), 0);
}

Test(netlink, type_valid)
{
	union msgbuf m;
	const struct nlattr *a = attr_of(&m, "", 0);

	((struct nlattr *)a)->nla_type = NLA_F_NET_BYTEORDER | 5;
	cr_assert_eq(mnl_attr_type_valid(a, 5), 1);
	errno = 0;
	cr_assert_eq(mnl_attr_type_valid(a, 4), -1);
	cr_assert_eq(errno, EOPNOTSUPP);
}

/* Getters never read past the attribute: a 2-byte payload read as u32/u64 is its 2 bytes. */
Test(netlink, getters_bounded)
{
	union msgbuf m;
	const struct nlattr *a = attr_of(&m, "\x01\x02", 2);

	m.b[22] = 0x55; /* what follows the payload */
	m.b[23] = 0x55;
	cr_assert_eq(mnl_attr_get_u32(a), 0x0201);
	cr_assert_eq(mnl_attr_get_u64(a), 0x0201);
	cr_assert_eq(mnl_attr_get_u16(a), 0x0201);
}

/* Three attributes then the one under test; a malformed one ends the walk, silently. */
static int walk_with(uint16_t bad_len, uint32_t msg_len)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	struct seen s = {.stop_at = -1};
	struct nlattr *a;

	mnl_attr_put_u32(h, 1, 1);
	mnl_attr_put_u32(h, 2, 2);
	mnl_attr_put_u32(h, 3, 3);
	a = (struct nlattr *)(m.b + h->nlmsg_len);
	a->nla_type = 4;
	a->nla_len = bad_len;
	h->nlmsg_len += 8;
	if (msg_len)
		h->nlmsg_len = msg_len;
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &s), MNL_CB_OK);
	return s.n;
}

Test(netlink, malformed_attributes)
{
	cr_assert_eq(walk_with(8, 0), 4, "a good fourth attribute is seen");
	cr_assert_eq(walk_with(0, 0), 3, "zero length");
	cr_assert_eq(walk_with(3, 0), 3, "shorter than its header");
	cr_assert_eq(walk_with(9, 0), 3, "past the message");
	cr_assert_eq(walk_with(0xffff, 0), 3, "over-long");
	/* nlmsg_len 16+24+6: the fourth claims 8, of which 2 lie in the unaligned tail that was
	 * never received. libmnl reads up to the aligned length; we stop at nlmsg_len. */
	cr_assert_eq(walk_with(8, 16 + 24 + 6), 3, "into the padding past nlmsg_len");
	/* A message that ends inside an attribute header. */
	cr_assert_eq(walk_with(8, 16 + 24 + 2), 3, "header cut");
	/* An offset past the message: nothing. */
	{
		union msgbuf m;
		struct nlmsghdr *h = fresh(&m);
		struct seen s = {.stop_at = -1};

		mnl_attr_put_u32(h, 1, 1);
		cr_assert_eq(mnl_attr_parse(h, 64, collect, &s), MNL_CB_OK);
		cr_assert_eq(s.n, 0);
	}
}

/* An inner attribute that claims more than its nest holds is not visited, even though the
 * message goes on after the nest. */
Test(netlink, nested_overflow)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	struct seen outer = {.stop_at = -1}, inner = {.stop_at = -1};
	struct nlattr *n = mnl_attr_nest_start(h, 1), *bad;

	mnl_attr_put_u32(h, 1, 7);
	bad = (struct nlattr *)(m.b + h->nlmsg_len);
	mnl_attr_put_u32(h, 2, 8);
	mnl_attr_nest_end(h, n);
	mnl_attr_put_u64(h, 2, 0);
	bad->nla_len = 8 + 12; /* reaches into the attribute after the nest */
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &outer), MNL_CB_OK);
	cr_assert_eq(outer.n, 2);
	cr_assert_eq(mnl_attr_parse_nested(outer.a[0], collect, &inner), MNL_CB_OK);
	cr_assert_eq(inner.n, 1, "%d inner attributes", inner.n);
}

Test(netlink, parse_callback_verdicts)
{
	union msgbuf m;
	struct nlmsghdr *h = fresh(&m);
	struct seen s = {.stop_at = 1, .stop_ret = MNL_CB_STOP};

	for (int i = 1; i <= 4; i++)
		mnl_attr_put_u8(h, (uint16_t)i, 0);
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &s), MNL_CB_STOP);
	cr_assert_eq(s.n, 2);
	s = (struct seen){.stop_at = 2, .stop_ret = MNL_CB_ERROR};
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &s), MNL_CB_ERROR);
	cr_assert_eq(s.n, 3);
	/* A callback's own positive value carries on the walk and is returned at the end. */
	s = (struct seen){.stop_at = 3, .stop_ret = 7};
	cr_assert_eq(mnl_attr_parse(h, 0, collect, &s), 7);
	cr_assert_eq(s.n, 4);
}

/* --- messages and batches */

Test(netlink, nlmsg_ok_and_next)
{
	uint32_t buf[16] = {0};
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int len = (int)sizeof(buf);

	buf[0] = 20;
	cr_assert(mnl_nlmsg_ok(h, len));
	h = mnl_nlmsg_next(h, &len);
	cr_assert_eq((char *)h, (char *)buf + 20);
	cr_assert_eq(len, 64 - 20);
	cr_assert(!mnl_nlmsg_ok(h, 15), "shorter than a header");
	h->nlmsg_len = 15;
	cr_assert(!mnl_nlmsg_ok(h, len), "length below a header");
	h->nlmsg_len = 45;
	cr_assert(!mnl_nlmsg_ok(h, len), "longer than the bytes left");
	/* 2^31 and more: libmnl's signed compare passes these. */
	h->nlmsg_len = 0x80000010u;
	cr_assert(!mnl_nlmsg_ok(h, len));
	h->nlmsg_len = 0xfffffffdu;
	cr_assert(!mnl_nlmsg_ok(h, len));
	/* An unaligned last message leaves nothing, not a negative length. */
	h->nlmsg_len = 43;
	cr_assert(mnl_nlmsg_ok(h, 43));
	len = 43;
	mnl_nlmsg_next(h, &len);
	cr_assert_eq(len, 0);
}

/* Messages of 32 bytes into a batch of limit 100: three fit, the fourth overflows. */
Test(netlink, batch_limit_and_overflow)
{
	static union msgbuf m;
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(m.b, 100);
	struct nlmsghdr *h;

	cr_assert_not_null(b);
	cr_assert(mnl_nlmsg_batch_is_empty(b));
	cr_assert_eq(mnl_nlmsg_batch_head(b), (void *)m.b);
	cr_assert_eq(mnl_nlmsg_batch_current(b), (void *)m.b);
	for (int i = 0; i < 3; i++) {
		h = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		mnl_attr_put(h, 1, 12, "0123456789ab");
		cr_assert_eq(h->nlmsg_len, 32);
		cr_assert(mnl_nlmsg_batch_next(b), "message %d", i);
		cr_assert(!mnl_nlmsg_batch_is_empty(b));
		cr_assert_eq(mnl_nlmsg_batch_size(b), (size_t)(i + 1) * 32);
	}
	cr_assert_eq(mnl_nlmsg_batch_current(b), (void *)(m.b + 96));
	h = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	mnl_attr_put(h, 1, 12, "0123456789ab");
	cr_assert(!mnl_nlmsg_batch_next(b), "past the limit");
	cr_assert_eq(mnl_nlmsg_batch_size(b), 96, "the overflowing message is not counted");
	cr_assert_eq(mnl_nlmsg_batch_current(b), (void *)(m.b + 96));
	mnl_nlmsg_batch_stop(b);
	/* Exactly at the limit fits. */
	b = mnl_nlmsg_batch_start(m.b, 64);
	for (int i = 0; i < 2; i++) {
		h = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		mnl_attr_put(h, 1, 12, "0123456789ab");
		cr_assert(mnl_nlmsg_batch_next(b));
	}
	cr_assert_eq(mnl_nlmsg_batch_size(b), 64);
	mnl_nlmsg_batch_stop(b);
}

/* --- mnl_cb_run on crafted buffers */

struct crafted {
	uint32_t w[256];
	size_t len;
};

static struct nlmsghdr *add(struct crafted *c, uint16_t type, uint16_t flags, uint32_t seq,
                            uint32_t pid, size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)c->w + c->len);

	memset(h, 0, 16 + MNL_ALIGN(payload));
	h->nlmsg_len = (uint32_t)(16 + payload);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = pid;
	c->len += 16 + MNL_ALIGN(payload);
	return h;
}

static struct nlmsghdr *add_error(struct crafted *c, int error, uint32_t seq)
{
	struct nlmsghdr *h = add(c, NLMSG_ERROR, 0, seq, 0, sizeof(struct nlmsgerr));
	struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

	e->error = error;
	return h;
}

struct calls {
	int n;
	uint16_t types[16];
	int ret; /* what the callback answers */
};

static int on_data(const struct nlmsghdr *h, void *data)
{
	struct calls *c = data;

	if (c->n < 16)
		c->types[c->n] = h->nlmsg_type;
	c->n++;
	return c->ret;
}

Test(netlink, cb_run_data_messages)
{
	struct crafted c = {.len = 0};
	struct calls k = {.ret = MNL_CB_OK};

	add(&c, 0x100, 0, 5, 9, 4);
	add(&c, NLMSG_NOOP, 0, 5, 9, 0);
	add(&c, 0x101, 0, 0, 0, 3); /* seq 0, pid 0: a notification, checks nothing */
	add(&c, 7, 0, 5, 9, 0);     /* reserved control type: skipped */
	add(&c, NLMSG_OVERRUN, 0, 5, 9, 0);
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(k.n, 2);
	cr_assert_eq(k.types[0], 0x100);
	cr_assert_eq(k.types[1], 0x101);
	/* The callback's STOP ends the loop with 0; ERROR with -1. */
	k = (struct calls){.ret = MNL_CB_STOP};
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_STOP);
	cr_assert_eq(k.n, 1);
	k = (struct calls){.ret = MNL_CB_ERROR};
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_ERROR);
	cr_assert_eq(k.n, 1);
	/* Without a data callback, data messages are passed over. */
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, NULL, NULL), MNL_CB_OK);
	/* An empty buffer, or less than a header: nothing to do. */
	cr_assert_eq(mnl_cb_run(c.w, 0, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(mnl_cb_run(c.w, 15, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(k.n, 1);
}

Test(netlink, cb_run_errors_and_acks)
{
	struct crafted c = {.len = 0};
	struct calls k = {.ret = MNL_CB_OK};

	add(&c, 0x100, 0, 5, 0, 0);
	add_error(&c, -EPERM, 5);
	add(&c, 0x100, 0, 5, 0, 0);
	errno = 0;
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 0, on_data, &k), MNL_CB_ERROR);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(k.n, 1, "nothing after the error");
	c.len = 0;
	add_error(&c, EEXIST, 5); /* some subsystems send it positive */
	errno = 0;
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 0, NULL, NULL), MNL_CB_ERROR);
	cr_assert_eq(errno, EEXIST);
	c.len = 0;
	add_error(&c, 0, 5); /* an ack */
	add(&c, 0x100, 0, 5, 0, 0);
	errno = EAGAIN;
	k.n = 0;
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 0, on_data, &k), MNL_CB_STOP);
	cr_assert_eq(errno, 0);
	cr_assert_eq(k.n, 0);
	/* An error message too short for struct nlmsgerr. */
	c.len = 0;
	add(&c, NLMSG_ERROR, 0, 5, 0, 4);
	errno = 0;
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 0, NULL, NULL), MNL_CB_ERROR);
	cr_assert_eq(errno, EBADMSG);
}

Test(netlink, cb_run_done)
{
	struct crafted c = {.len = 0};
	struct calls k = {.ret = MNL_CB_OK};

	add(&c, 0x100, NLM_F_MULTI, 5, 9, 8);
	add(&c, 0x100, NLM_F_MULTI, 5, 9, 8);
	add(&c, NLMSG_DONE, NLM_F_MULTI, 5, 9, 4);
	add(&c, 0x100, 0, 5, 9, 0);
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_STOP);
	cr_assert_eq(k.n, 2);
}

static void expect_run_error(struct crafted *c, unsigned int seq, unsigned int pid, int e)
{
	struct calls k = {.ret = MNL_CB_OK};

	errno = 0;
	cr_assert_eq(mnl_cb_run(c->w, c->len, seq, pid, on_data, &k), MNL_CB_ERROR);
	cr_assert_eq(errno, e, "errno %d, not %d", errno, e);
	cr_assert_eq(k.n, 1, "the bad message reached the callback");
}

Test(netlink, cb_run_seq_portid_intr)
{
	struct crafted c = {.len = 0};

	add(&c, 0x100, 0, 5, 9, 0);
	add(&c, 0x100, 0, 6, 9, 0);
	expect_run_error(&c, 5, 9, EPROTO);
	c.len = 0;
	add(&c, 0x100, 0, 5, 9, 0);
	add(&c, 0x100, 0, 5, 10, 0);
	expect_run_error(&c, 5, 9, ESRCH);
	/* Checked before the message's meaning: an ack from someone else is no ack. */
	c.len = 0;
	add(&c, 0x100, 0, 5, 9, 0);
	add_error(&c, 0, 5)->nlmsg_pid = 10;
	expect_run_error(&c, 5, 9, ESRCH);
	c.len = 0;
	add(&c, 0x100, NLM_F_MULTI, 5, 9, 0);
	add(&c, 0x100, NLM_F_MULTI | NLM_F_DUMP_INTR, 5, 9, 0);
	expect_run_error(&c, 5, 9, EINTR);
	/* seq and portid 0 in the call check nothing. */
	c.len = 0;
	add(&c, 0x100, 0, 5, 9, 0);
	add(&c, 0x100, 0, 6, 10, 0);
	cr_assert_eq(mnl_cb_run(c.w, c.len, 0, 0, NULL, NULL), MNL_CB_OK);
}

Test(netlink, cb_run_truncated)
{
	struct crafted c = {.len = 0};
	struct calls k = {.ret = MNL_CB_OK};
	struct nlmsghdr *last;

	add(&c, 0x100, 0, 5, 9, 8);
	last = add(&c, 0x101, 0, 5, 9, 8);
	/* The second message's bytes cut short: it is not passed on (libmnl: silently). */
	cr_assert_eq(mnl_cb_run(c.w, c.len - 1, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(k.n, 1);
	k.n = 0;
	last->nlmsg_len = 0x80000000u; /* would pass a signed compare */
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(k.n, 1);
	k.n = 0;
	last->nlmsg_len = 8; /* below a header: the walk ends */
	add(&c, 0x102, 0, 5, 9, 0);
	cr_assert_eq(mnl_cb_run(c.w, c.len, 5, 9, on_data, &k), MNL_CB_OK);
	cr_assert_eq(k.n, 1);
}

/* --- the socket, against the kernel */

Test(netlink, socket_fdopen_and_errors)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t alen = sizeof(sa);
	struct mnl_socket *nl;
	int p[2];

	cr_assert(fd >= 0);
	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sa, &alen) == 0);
	nl = mnl_socket_fdopen(fd);
	cr_assert_not_null(nl);
	cr_assert_eq(mnl_socket_get_fd(nl), fd);
	cr_assert_eq(mnl_socket_get_portid(nl), sa.nl_pid);
	cr_assert_neq(sa.nl_pid, 0);
	cr_assert_eq(mnl_socket_close(nl), 0);
	cr_assert(fcntl(fd, F_GETFD) < 0 && errno == EBADF, "close closes the fd");
	cr_assert(pipe(p) == 0);
	errno = 0;
	cr_assert_null(mnl_socket_fdopen(p[0]));
	cr_assert_eq(errno, ENOTSOCK);
	close(p[0]);
	close(p[1]);
	errno = 0;
	cr_assert_null(mnl_socket_open2(NETLINK_NETFILTER, -1 & ~SOCK_CLOEXEC));
	cr_assert_eq(errno, EINVAL);
}

/* The kernel tests run in a child: unshare(CLONE_NEWUSER) refuses a multithreaded process,
 * which a Criterion worker can be. need() reports to the parent through stderr. */
#define need(c, ...)        need_(c, #c, __LINE__, " " __VA_ARGS__)
#define need_eq(a, b, ...)  need((a) == (b), __VA_ARGS__)
#define need_neq(a, b, ...) need((a) != (b), __VA_ARGS__)
static void need_(bool ok, const char *what, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void need_(bool ok, const char *what, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	fprintf(stderr, "line %d: %s: ", line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

/* fn in a child, in a fresh network namespace; fails the test with what the child said. */
static void in_child(void (*fn)(bool), bool rootless)
{
	int out[2], st;
	pid_t pid;
	char *text;

	cr_assert(pipe(out) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 2);
		close(out[0]);
		fn(rootless);
		_exit(0);
	}
	close(out[1]);
	text = slurp_fd(out[0]);
	close(out[0]);
	cr_assert(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	          "child status 0x%x: %s", st, text ? text : "");
	free(text);
}

/* A fresh network namespace: as root, or as nobody in a user namespace of its own. */
static void enter_netns(bool rootless)
{
	if (rootless) {
		/* Changing uid clears "dumpable", which makes /proc/self root's. */
		need(setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0);
		need(prctl(PR_SET_DUMPABLE, 1) == 0);
		need(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0, "%s", strerror(errno));
		need(write_file("/proc/self/uid_map", "0 65534 1") == 0);
	} else {
		need(unshare(CLONE_NEWNET) == 0, "%s", strerror(errno));
	}
}

static struct mnl_socket *nft_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct timeval tv = {2, 0};

	need(nl != NULL, "%s", strerror(errno));
	need_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0, "%s", strerror(errno));
	need_neq(mnl_socket_get_portid(nl), 0, "the kernel's port id is read back");
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return nl;
}

/* begin, NEWTABLE "cistest" (with flags), end: the table message's seq is returned. */
static size_t table_batch(char *buf, size_t size, uint32_t seq, uint16_t type, uint16_t flags)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, size);
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *h;
	size_t len;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "cistest");
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq);
	need(mnl_nlmsg_batch_next(b));
	h = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET, flags | NLM_F_ACK,
	                          seq + 1);
	nftnl_table_nlmsg_build_payload(h, t);
	need(mnl_nlmsg_batch_next(b));
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 2);
	need(mnl_nlmsg_batch_next(b));
	len = mnl_nlmsg_batch_size(b);
	nftnl_table_free(t);
	mnl_nlmsg_batch_stop(b);
	return len;
}

/* Sends the batch and reads its one answer through mnl_cb_run: 0 (ack) or -errno. */
static int send_batch(struct mnl_socket *nl, uint32_t seq, uint16_t type, uint16_t flags)
{
	static char buf[8192];
	size_t len = table_batch(buf, sizeof(buf) / 2, seq, type, flags);
	ssize_t n;
	int r;

	need_eq(mnl_socket_sendto(nl, buf, len), (ssize_t)len, "%s", strerror(errno));
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	need(n > 0, "%s", strerror(errno));
	r = mnl_cb_run(buf, (size_t)n, seq + 1, mnl_socket_get_portid(nl), NULL, NULL);
	need(r == MNL_CB_STOP || r == MNL_CB_ERROR, "%d", r);
	return r == MNL_CB_STOP ? 0 : -errno;
}

static int on_table(const struct nlmsghdr *h, void *data)
{
	struct nftnl_table *t = nftnl_table_alloc();
	int *found = data;

	need_eq(nftnl_table_nlmsg_parse(h, t), 0, "%s", strerror(errno));
	if (!strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "cistest") &&
	    nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == NFPROTO_INET)
		(*found)++;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

/* Dumps the tables (a multipart answer ending in NLMSG_DONE): how many are ours. */
static int count_tables(struct mnl_socket *nl, uint32_t seq)
{
	static char buf[16384];
	struct nlmsghdr *h =
	    nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	int found = 0, r;

	need(mnl_socket_sendto(nl, h, h->nlmsg_len) > 0);
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		need(n > 0, "%s", strerror(errno));
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), on_table, &found);
	} while (r == MNL_CB_OK);
	need_eq(r, MNL_CB_STOP, "dump: %s", strerror(errno));
	return found;
}

static void kernel_round_trip(bool rootless)
{
	struct mnl_socket *nl;
	uint32_t seq = 1000;

	enter_netns(rootless);
	nl = nft_socket();
	need_eq(count_tables(nl, seq++), 0);
	need_eq(send_batch(nl, seq, NFT_MSG_NEWTABLE, NLM_F_CREATE), 0);
	need_eq(count_tables(nl, seq += 3), 1);
	need_eq(send_batch(nl, ++seq, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL), -EEXIST);
	need_eq(send_batch(nl, seq += 3, NFT_MSG_DELTABLE, 0), 0);
	need_eq(count_tables(nl, seq += 3), 0);
	need_eq(send_batch(nl, ++seq, NFT_MSG_DELTABLE, 0), -ENOENT);
	need_eq(mnl_socket_close(nl), 0);
}

Test(netlink, kernel_nftables_root)
{
	in_child(kernel_round_trip, false);
}

Test(netlink, kernel_nftables_rootless)
{
	in_child(kernel_round_trip, true);
}

/* An answer larger than the receive buffer is ENOSPC, never a cut message: the error for a
 * bogus 256-byte request echoes the request. */
static void truncated_answer(bool rootless)
{
	static union msgbuf m;
	struct mnl_socket *nl;
	struct nlmsghdr *h;
	char small[64];

	enter_netns(rootless);
	nl = nft_socket();
	h = fresh(&m);
	h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	mnl_nlmsg_put_extra_header(h, sizeof(struct nfgenmsg));
	mnl_attr_put(h, 0x7ff, 236, m.b + 1024);
	need(mnl_socket_sendto(nl, h, h->nlmsg_len) > 0);
	errno = 0;
	need_eq(mnl_socket_recvfrom(nl, small, sizeof(small)), -1);
	need_eq(errno, ENOSPC);
	mnl_socket_close(nl);
}

Test(netlink, recvfrom_truncated_is_enospc)
{
	in_child(truncated_answer, false);
}
