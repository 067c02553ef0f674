/* libFuzzer target for netlink.c (make fuzz): what the kernel answers the launcher and the
 * init, nftables acks and dumps and NFLOG records that carry a sandboxed job's packets. Each
 * input is one receive buffer: its first 8 bytes are the seq and portid mnl_cb_run expects, the
 * rest the messages. Every data message's attributes are walked as libnftnl walks them (type
 * check, validation by a type chosen from the attribute, nested ones recursed, getters called);
 * under ASan and UBSan, no read may leave the buffer. Beyond "no crash": mnl_cb_run's verdict is
 * one of MNL_CB_*, and every attribute it passes on lies inside its message. */
#include "netlink.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const char *lo, *hi; /* the message being walked */
	unsigned depth;
	uint64_t sum; /* keeps the getters' reads */
};

static int on_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	const char *p = (const char *)a;
	enum mnl_attr_data_type t = (enum mnl_attr_data_type)(mnl_attr_get_type(a) % MNL_TYPE_MAX);

	if (p < w->lo || p + a->nla_len > w->hi)
		abort();
	if (mnl_attr_type_valid(a, 0x3fff) < 0)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, t) < 0)
		return MNL_CB_OK;
	switch (t) {
	case MNL_TYPE_U8:
		w->sum += mnl_attr_get_u8(a);
		break;
	case MNL_TYPE_U16:
		w->sum += mnl_attr_get_u16(a);
		break;
	case MNL_TYPE_U32:
		w->sum += mnl_attr_get_u32(a);
		break;
	case MNL_TYPE_U64:
	case MNL_TYPE_MSECS:
		w->sum += mnl_attr_get_u64(a);
		break;
	case MNL_TYPE_NUL_STRING:
		w->sum += strlen(mnl_attr_get_str(a));
		break;
	case MNL_TYPE_NESTED:
		if (w->depth < 8) {
			w->depth++;
			if (mnl_attr_parse_nested(a, on_attr, w) == MNL_CB_ERROR)
				return MNL_CB_ERROR;
			w->depth--;
		}
		break;
	default: {
		const unsigned char *b = mnl_attr_get_payload(a);

		for (uint16_t i = 0; i < mnl_attr_get_payload_len(a); i++)
			w->sum += b[i];
	}
	}
	/* An attribute of type 0x3ff stops the walk, as a callback may. */
	return mnl_attr_get_type(a) == 0x3ff ? MNL_CB_STOP : MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct walk w = {(const char *)nlh, (const char *)nlh + nlh->nlmsg_len, 0, 0};
	uint64_t *sum = data;
	int r;

	/* With and without the 4-byte nfgenmsg header that nfnetlink messages have. */
	r = mnl_attr_parse(nlh, 0, on_attr, &w);
	if (r != MNL_CB_ERROR)
		r = mnl_attr_parse(nlh, 4, on_attr, &w);
	*sum += w.sum;
	return r == MNL_CB_ERROR ? MNL_CB_ERROR : MNL_CB_OK;
}

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ids[2] = {0, 0};
	uint64_t sum = 0;
	size_t n = size > 8 ? size - 8 : 0;
	uint32_t *buf = malloc(n + 4); /* netlink messages are 4-byte aligned */
	int r, len = (int)n;

	memcpy(ids, data, size < 8 ? size : 8);
	if (n)
		memcpy(buf, data + 8, n);
	r = mnl_cb_run(buf, n, ids[0], ids[1], on_msg, &sum);
	if (r != MNL_CB_OK && r != MNL_CB_STOP && r != MNL_CB_ERROR)
		abort();
	/* The plain iterators, as nft.c's ack reader uses them. */
	for (const struct nlmsghdr *h = (const void *)buf; mnl_nlmsg_ok(h, len);
	     h = mnl_nlmsg_next(h, &len))
		if ((const char *)h + h->nlmsg_len > (const char *)buf + n)
			abort();
	free(buf);
	sink = sum;
	return 0;
}
