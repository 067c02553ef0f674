/* netlink.c — the libmnl functions that our modules and libnftnl.a call, written for cisandbox
 * (see netlink.h): netlink messages, attributes, batches, the callback loop and the socket
 * wrapper. Runs wherever a netlink socket is used: the sandbox init (nft.c, net.c) and the
 * launcher (netwatch.c, the NFLOG reader).
 *
 * What the kernel answers is parsed here, and NFLOG records and nftables replies carry what a
 * sandboxed job's packets put in them, so every reader stays inside the length it was given.
 * Where libmnl trusts a length, we check it (each case marked "Stricter than libmnl"): a message
 * length of 2^31 or more, attributes read up to the message's length and not its padding, an
 * attribute shorter than its header, fixed-size getters on a short payload. Builders trust
 * their buffer, as libmnl's do: the caller sizes it (libnftnl and nft.c do). */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- messages */

struct nlmsghdr *mnl_nlmsg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;

	memset(nlh, 0, MNL_NLMSG_HDRLEN);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *p = (char *)nlh + nlh->nlmsg_len;
	size_t len = MNL_ALIGN(size);

	memset(p, 0, len);
	nlh->nlmsg_len += (uint32_t)len;
	return p;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN;
}

/* Stricter than libmnl: the length is compared unsigned, so a header claiming 2^31 bytes or
 * more never passes (libmnl's int cast makes it negative, hence "fits"). */
bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* Past the last message (an unaligned final length, or a call without mnl_nlmsg_ok), *len
 * becomes 0 and the pointer stops at the end of the bytes left: no wrapped int, no pointer
 * beyond the buffer. */
struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len)
{
	size_t step = MNL_ALIGN((size_t)nlh->nlmsg_len);

	if (*len < 0 || step > (size_t)*len) {
		step = *len > 0 ? (size_t)*len : 0;
		*len = 0;
	} else {
		*len -= (int)step;
	}
	return (struct nlmsghdr *)((char *)nlh + step);
}

/* --- attributes */

uint16_t mnl_attr_get_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

/* Stricter than libmnl: an attribute shorter than its header has no payload (not 65532+). */
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr)
{
	return attr->nla_len < MNL_ATTR_HDRLEN ? 0 : (uint16_t)(attr->nla_len - MNL_ATTR_HDRLEN);
}

void *mnl_attr_get_payload(const struct nlattr *attr)
{
	return (char *)attr + MNL_ATTR_HDRLEN;
}

bool mnl_attr_ok(const struct nlattr *attr, int len)
{
	return len >= (int)sizeof(struct nlattr) && attr->nla_len >= sizeof(struct nlattr) &&
	       attr->nla_len <= len;
}

struct nlattr *mnl_attr_next(const struct nlattr *attr)
{
	return (struct nlattr *)((char *)attr + MNL_ALIGN(attr->nla_len));
}

/* Fixed-size getters copy (the payload may be unaligned for the type); stricter than libmnl,
 * bytes past a short payload read as zero rather than past the attribute. */
static void get_fixed(const struct nlattr *attr, void *out, size_t size)
{
	size_t have = mnl_attr_get_payload_len(attr);

	memset(out, 0, size);
	memcpy(out, mnl_attr_get_payload(attr), have < size ? have : size);
}

uint8_t mnl_attr_get_u8(const struct nlattr *attr)
{
	uint8_t v;

	get_fixed(attr, &v, sizeof(v));
	return v;
}

uint16_t mnl_attr_get_u16(const struct nlattr *attr)
{
	uint16_t v;

	get_fixed(attr, &v, sizeof(v));
	return v;
}

uint32_t mnl_attr_get_u32(const struct nlattr *attr)
{
	uint32_t v;

	get_fixed(attr, &v, sizeof(v));
	return v;
}

uint64_t mnl_attr_get_u64(const struct nlattr *attr)
{
	uint64_t v;

	get_fixed(attr, &v, sizeof(v));
	return v;
}

/* Not necessarily NUL-terminated: MNL_TYPE_NUL_STRING validation is what guarantees it. */
const char *mnl_attr_get_str(const struct nlattr *attr)
{
	return mnl_attr_get_payload(attr);
}

int mnl_attr_type_valid(const struct nlattr *attr, uint16_t maxtype)
{
	if (mnl_attr_get_type(attr) > maxtype) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 1;
}

/* The payload size each fixed-size type must have exactly (0: any). */
static size_t type_len(enum mnl_attr_data_type type)
{
	switch (type) {
	case MNL_TYPE_U8:
		return 1;
	case MNL_TYPE_U16:
		return 2;
	case MNL_TYPE_U32:
		return 4;
	case MNL_TYPE_U64:
	case MNL_TYPE_MSECS:
		return 8;
	default:
		return 0;
	}
}

/* 0 if the payload of len bytes at p can be a value of the given variable-size type; ERANGE
 * for a wrong size, EINVAL for a NUL string without its NUL. */
static int check_shape(enum mnl_attr_data_type type, const char *p, size_t len)
{
	switch (type) {
	case MNL_TYPE_FLAG:
		return len == 0 ? 0 : ERANGE;
	case MNL_TYPE_STRING:
		return len > 0 ? 0 : ERANGE;
	case MNL_TYPE_NUL_STRING:
		if (len == 0)
			return ERANGE;
		return p[len - 1] == '\0' ? 0 : EINVAL;
	case MNL_TYPE_NESTED:
		/* Empty is fine; otherwise at least one attribute header (a flag). */
		return len == 0 || len >= MNL_ATTR_HDRLEN ? 0 : ERANGE;
	default:
		return 0;
	}
}

/* -1 with errno EINVAL (unknown type) or ERANGE/EINVAL (payload does not fit the type), 0 if
 * valid. Stricter than libmnl: an attribute shorter than its own header is ERANGE. */
int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type)
{
	size_t want, len;
	int e;

	if ((unsigned int)type >= MNL_TYPE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (attr->nla_len < MNL_ATTR_HDRLEN) {
		errno = ERANGE;
		return -1;
	}
	want = type_len(type);
	len = mnl_attr_get_payload_len(attr);
	if (len < want || (want && len > want))
		e = ERANGE;
	else
		e = check_shape(type, mnl_attr_get_payload(attr), len);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

/* The callback on each well-formed attribute of the len bytes at p, in order, until one
 * returns MNL_CB_STOP or MNL_CB_ERROR (that value is returned) or a malformed one ends the
 * walk; MNL_CB_OK (or the last callback's value) otherwise. */
static int parse_run(const char *p, size_t len, mnl_attr_cb_t cb, void *data)
{
	int ret = MNL_CB_OK;
	size_t off = 0;

	if (len > INT_MAX)
		len = INT_MAX;
	while (off < len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);

		if (!mnl_attr_ok(a, (int)(len - off)))
			break;
		ret = cb(a, data);
		if (ret <= MNL_CB_STOP)
			return ret;
		off += MNL_ALIGN(a->nla_len);
	}
	return ret;
}

/* Stricter than libmnl: attributes end at nlmsg_len, not at its aligned value, which can lie
 * up to 3 bytes past what was received. */
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data)
{
	size_t start = MNL_NLMSG_HDRLEN + MNL_ALIGN((size_t)offset);

	if (nlh->nlmsg_len <= start)
		return MNL_CB_OK;
	return parse_run((const char *)nlh + start, nlh->nlmsg_len - start, cb, data);
}

int mnl_attr_parse_nested(const struct nlattr *attr, mnl_attr_cb_t cb, void *data)
{
	return parse_run(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), cb, data);
}

/* Builders: no buffer bound (libmnl's unchecked variants); padding is zeroed so that no stale
 * byte of the buffer reaches the kernel. */
void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
	uint16_t attr_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
	char *p = mnl_attr_get_payload(a);

	a->nla_type = type;
	a->nla_len = attr_len;
	if (len)
		memcpy(p, data, len);
	memset(p + len, 0, MNL_ALIGN(len) - len);
	nlh->nlmsg_len = MNL_ALIGN(nlh->nlmsg_len) + MNL_ALIGN(attr_len);
}

void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data)
{
	mnl_attr_put(nlh, type, strlen(data), data);
}

void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data)
{
	mnl_attr_put(nlh, type, strlen(data) + 1, data);
}

/* The nest's length is known at mnl_attr_nest_end; until then it covers its header only. */
struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));

	a->nla_type = NLA_F_NESTED | type;
	a->nla_len = MNL_ATTR_HDRLEN;
	nlh->nlmsg_len = MNL_ALIGN(nlh->nlmsg_len) + MNL_ATTR_HDRLEN;
	return a;
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	char *tail = (char *)nlh + MNL_ALIGN(nlh->nlmsg_len);

	start->nla_len = (uint16_t)(tail - (char *)start);
}

/* --- batches: messages built one after another in one buffer, sent in one sendto. The
 * buffer must hold limit bytes plus one message: the one that does not fit is built before
 * mnl_nlmsg_batch_next finds it too big (libmnl's contract). */

struct mnl_nlmsg_batch {
	char *buf;
	size_t limit;
	size_t len; /* bytes of complete messages; the current one starts there */
	bool overflow;
};

struct mnl_nlmsg_batch *mnl_nlmsg_batch_start(void *buf, size_t limit)
{
	struct mnl_nlmsg_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->buf = buf;
	b->limit = limit;
	return b;
}

void mnl_nlmsg_batch_stop(struct mnl_nlmsg_batch *b)
{
	free(b);
}

/* Takes in the current message; false (and nothing taken) once it would pass the limit. */
bool mnl_nlmsg_batch_next(struct mnl_nlmsg_batch *b)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->buf + b->len);

	if (nlh->nlmsg_len > b->limit - b->len) {
		b->overflow = true;
		return false;
	}
	b->len += nlh->nlmsg_len;
	return true;
}

size_t mnl_nlmsg_batch_size(struct mnl_nlmsg_batch *b)
{
	return b->len;
}

void *mnl_nlmsg_batch_head(struct mnl_nlmsg_batch *b)
{
	return b->buf;
}

void *mnl_nlmsg_batch_current(struct mnl_nlmsg_batch *b)
{
	return b->buf + b->len;
}

bool mnl_nlmsg_batch_is_empty(struct mnl_nlmsg_batch *b)
{
	return b->len == 0;
}

/* --- the callback loop */

/* An NLMSG_ERROR: an ack (error 0) ends the loop with MNL_CB_STOP and errno 0, an error with
 * MNL_CB_ERROR and errno set; subsystems send the errno with either sign. */
static int cb_error(const struct nlmsghdr *nlh)
{
	int e;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	errno = e == INT_MIN ? EPROTO : e < 0 ? -e : e;
	return e == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
}

/* One message's verdict: the checks of its origin (ESRCH), sequence (EPROTO) and an
 * interrupted dump (EINTR) first, then the data callback or the control message's meaning
 * (NLMSG_NOOP and NLMSG_OVERRUN: MNL_CB_OK; NLMSG_DONE: stop). A message nothing handles (data
 * without a callback, an unknown control type) leaves the previous verdict, as in libmnl. */
static int cb_one(const struct nlmsghdr *nlh, unsigned int seq, unsigned int portid,
                  mnl_cb_t cb_data, void *data, int prev)
{
	if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid) {
		errno = ESRCH;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_seq && seq && nlh->nlmsg_seq != seq) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
		return cb_data ? cb_data(nlh, data) : prev;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		return cb_error(nlh);
	case NLMSG_DONE:
		return MNL_CB_STOP;
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return MNL_CB_OK;
	default:
		return prev;
	}
}

/* Every complete message of buf in order, until a verdict of MNL_CB_STOP or MNL_CB_ERROR,
 * which is returned; MNL_CB_OK when the buffer ran out first. Bytes after the last complete
 * message (a truncated one) are ignored, as in libmnl. seq and portid 0 check nothing; nor
 * does a message's own 0 (the kernel's notifications). */
int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
               mnl_cb_t cb_data, void *data)
{
	const char *p = buf;
	size_t off = 0;
	int ret = MNL_CB_OK;

	while (numbytes - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);

		if (nlh->nlmsg_len < sizeof(struct nlmsghdr) || nlh->nlmsg_len > numbytes - off)
			break;
		ret = cb_one(nlh, seq, portid, cb_data, data, ret);
		if (ret <= MNL_CB_STOP)
			return ret;
		off += MNL_ALIGN((size_t)nlh->nlmsg_len);
		if (off > numbytes)
			break;
	}
	return ret;
}

/* --- the socket: a netlink fd and the address it is bound to */

struct mnl_socket {
	int fd;
	struct sockaddr_nl addr;
};

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	struct mnl_socket *nl = calloc(1, sizeof(*nl));
	int e;

	if (!nl)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
	if (nl->fd < 0) {
		e = errno;
		free(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

/* No SOCK_CLOEXEC, as libmnl: our own modules use mnl_socket_open2 with it. */
struct mnl_socket *mnl_socket_open(int bus)
{
	return mnl_socket_open2(bus, 0);
}

/* Wraps an fd the caller already has (and hands over: mnl_socket_close closes it). */
struct mnl_socket *mnl_socket_fdopen(int fd)
{
	struct sockaddr_nl addr = {0};
	socklen_t alen = sizeof(addr);
	struct mnl_socket *nl;

	if (getsockname(fd, (struct sockaddr *)&addr, &alen) < 0)
		return NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->fd = fd;
	if (addr.nl_family == AF_NETLINK)
		nl->addr = addr;
	return nl;
}

/* Binds, then reads back the port id the kernel chose for MNL_SOCKET_AUTOPID. */
int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	socklen_t alen = sizeof(nl->addr);

	nl->addr.nl_family = AF_NETLINK;
	nl->addr.nl_groups = groups;
	nl->addr.nl_pid = (uint32_t)pid;
	if (bind(nl->fd, (struct sockaddr *)&nl->addr, sizeof(nl->addr)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&nl->addr, &alen) < 0)
		return -1;
	if (alen != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	int r = close(nl->fd);
	int e = errno;

	free(nl);
	errno = e;
	return r;
}

int mnl_socket_get_fd(const struct mnl_socket *nl)
{
	return nl->fd;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return nl->addr.nl_pid;
}

/* Always to the kernel (port 0, no group). */
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz)
{
	static const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	return sendto(nl->fd, req, siz, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

/* One datagram. A message larger than buf is an error (ENOSPC), never a silently cut one
 * that a parser would take for complete; a sender address that is not a netlink one is
 * EINVAL. */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz)
{
	struct sockaddr_nl addr;
	struct iovec iov = {.iov_base = buf, .iov_len = siz};
	struct msghdr msg = {
	    .msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(nl->fd, &msg, 0);

	if (n < 0)
		return n;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(addr)) {
		errno = EINVAL;
		return -1;
	}
	return n;
}
