/* net.c — the sandbox's network namespace: lo, the ruleset, the resolver's sockets, the flow log
 * (net_setup); the namespace the launcher makes when launched by root (net_ns_make); flow
 * records. The helper that connects it is net_helper.c. */
#define _GNU_SOURCE
#include "net.h"
#include "net_int.h"
#include "netspec.h"
#include "nft.h"
#include "dnsmsg.h"
#include "caps.h"
#include "vmspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdnoreturn.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int net_lo_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

#define NFLOG_GROUP 7

/* An NFLOG socket bound to our group in the current network namespace, copying the first 64
 * bytes of each packet (enough for the IP and transport headers). */
static int nflog_open(int *out)
{
	char buf[256];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct nlmsghdr *h;
	struct nfgenmsg *g;
	struct nfulnl_msg_config_cmd cmd = {NFULNL_CFG_CMD_BIND};
	struct nfulnl_msg_config_mode mode = {.copy_range = htonl(64),
	                                      .copy_mode = NFULNL_COPY_PACKET};
	int r = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	const uint32_t qthresh = htonl(1);

	/* Bind, copy mode, and a queue threshold of 1: nfnetlink_log otherwise batches up to 100
	 * messages or a second, and a short job's flows would die with its namespace unsent. */
	for (int step = 0; r == 0 && step < 3; step++) {
		h = mnl_nlmsg_put_header(buf);
		h->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
		h->nlmsg_flags = NLM_F_REQUEST;
		g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
		g->nfgen_family = AF_UNSPEC;
		g->version = NFNETLINK_V0;
		g->res_id = htons(NFLOG_GROUP);
		if (step == 0)
			mnl_attr_put(h, NFULA_CFG_CMD, sizeof(cmd), &cmd);
		else if (step == 1)
			mnl_attr_put(h, NFULA_CFG_MODE, sizeof(mode), &mode);
		else
			mnl_attr_put(h, NFULA_CFG_QTHRESH, sizeof(qthresh), &qthresh);
		if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
			r = -errno;
	}
	if (r < 0) {
		if (nl)
			mnl_socket_close(nl);
		return r;
	}
	/* The launcher keeps the fd; the libmnl wrapper (ours alone) can go. */
	*out = fcntl(mnl_socket_get_fd(nl), F_DUPFD_CLOEXEC, 3);
	mnl_socket_close(nl);
	return *out < 0 ? -errno : 0;
}

/* The resolver's sockets at NET_RESOLVER:53, UDP and TCP, and (when names are allowed) a
 * netfilter socket through which the launcher adds their addresses: all opened here, with our
 * capabilities over this namespace, and handed to the launcher. Port 53 is below
 * ip_unprivileged_port_start, so the job cannot take it; it holds no capability to. */
static int dns_sockets(const struct plan *p, int fds[3])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	int one = 1;

	inet_pton(AF_INET, NET_RESOLVER, &sa.sin_addr);
	fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fds[0] < 0 || fds[1] < 0 ||
	    setsockopt(fds[1], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fds[0], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    bind(fds[1], (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fds[1], 128) < 0)
		return -errno;
	if (p->net.mode == NET_ALLOWLIST && p->net.n_classes) {
		struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
		struct timeval tv = {2, 0};

		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			int r = -errno;

			if (nl)
				mnl_socket_close(nl);
			return r;
		}
		/* A kernel that never answers must not hang the launcher's loop. */
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fds[2] = fcntl(mnl_socket_get_fd(nl), F_DUPFD_CLOEXEC, 3);
		mnl_socket_close(nl);
		if (fds[2] < 0)
			return -errno;
	}
	return 0;
}

int net_setup(const struct plan *p, int *nflog, int dns[3], struct step_err *e)
{
	const struct net_plan *n = &p->net;
	struct nft_policy pol = {n->deny,
	                         n->n_deny,
	                         n->allow,
	                         n->n_allow,
	                         n->private_ok,
	                         n->n_private,
	                         n->classes,
	                         n->n_classes,
	                         n->mode == NET_ALLOWLIST,
	                         n->mode == NET_AUDIT ? NFLOG_GROUP : 0};
	char why[160] = "";
	int r;

	*nflog = -1;
	dns[0] = dns[1] = dns[2] = -1;
	if ((r = net_lo_up()) < 0)
		return step_fail(e, r, "lo up");
	if (n->mode == NET_NONE)
		return 0;
	if ((r = dns_sockets(p, dns)) < 0)
		return step_fail(e, r, "resolver sockets at %s:53", NET_RESOLVER);
	/* Bound before the rules exist, so that no flow of the job can pass unrecorded. */
	if (n->mode == NET_AUDIT && (r = nflog_open(nflog)) < 0)
		return step_fail(e, r, "NFLOG socket for audit mode");
	/* Before the job exists: there is no moment at which it could send unfiltered. */
	if ((r = nft_apply(&pol, why, sizeof(why))) < 0)
		return step_fail(e, r, "nftables: %s", why);
	return 0;
}

void net_ns_close(struct net_ns *ns)
{
	closep(&ns->userns);
	closep(&ns->netns);
}

/* Opened while init is still dumpable: once it runs it is not, and its /proc/PID/ns links are
 * out of an unprivileged helper's reach. */
int net_ns_of(pid_t init, struct net_ns *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/user", init);
	ns->userns = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", init);
	ns->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->userns < 0 || ns->netns < 0) {
		int r = -errno;

		net_ns_close(ns);
		return r;
	}
	return 0;
}

/* In a child: become CIS_ROOT_MODE_HELPER_ID (keeping CAP_SYS_ADMIN, so that this works where
 * unprivileged user namespaces are disabled) and unshare a user and a network namespace, which
 * that uid then owns. */
static noreturn void ns_maker(int ready, int hold)
{
	const uid_t id = CIS_ROOT_MODE_HELPER_ID;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 || prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    setresuid(id, id, id) < 0)
		_exit(1);
	(void)caps_keep_only(CAP_SYS_ADMIN); /* without it, unshare may still be allowed */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		_exit(2);
	if (write(ready, "1", 1) != 1)
		_exit(3);
	/* Held until the launcher has its references. */
	(void)!read(hold, &c, 1);
	_exit(0);
}

int net_ns_make(struct net_ns *ns, char *why, size_t len)
{
	int ready[2] = {-1, -1}, hold[2] = {-1, -1}, r = 0, st;
	char path[64], map[64], c;
	pid_t pid;

	*ns = (struct net_ns){-1, -1};
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		r = -errno;
		snprintf(why, len, "pipe/fork");
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		ns_maker(ready[1], hold[0]);
	}
	closep(&ready[1]);
	closep(&hold[0]);
	if (read(ready[0], &c, 1) != 1) {
		r = -EPERM;
		snprintf(why, len, "cannot make the network namespace as uid %u",
		         CIS_ROOT_MODE_HELPER_ID);
	} else if ((r = net_ns_of(pid, ns)) < 0) {
		snprintf(why, len, "namespaces of the network namespace maker");
	} else {
		/* Its root is the helper's uid: nothing else of the host maps in. */
		snprintf(map, sizeof(map), "0 %u 1\n", CIS_ROOT_MODE_HELPER_ID);
		for (int i = 0; i < 2 && r == 0; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pid, i ? "gid_map" : "uid_map");
			if ((r = write_file(path, map)) < 0)
				snprintf(why, len, "%s of the network namespace: %s", path + 6,
				         strerror(-r));
		}
	}
	closep(&hold[1]);
	waitpid(pid, &st, 0);
	if (r < 0)
		net_ns_close(ns);
out:
	closep(&ready[0]);
	closep(&ready[1]);
	closep(&hold[0]);
	closep(&hold[1]);
	return r;
}

/* One logged packet: the destination of a new flow. */
static void flow_seen(const struct plan *p, const unsigned char *pkt, size_t len,
                      struct net_flows *f, size_t *fresh, size_t *n_fresh, size_t max)
{
	struct net_flow fl = {0};
	struct net_allow as_entry = {0};
	size_t hl;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		fl.family = AF_INET;
		memcpy(fl.addr, pkt + 16, 4);
		fl.proto = pkt[9];
		hl = (size_t)(pkt[0] & 0xf) * 4;
	} else if (len >= 40 && pkt[0] >> 4 == 6) {
		fl.family = AF_INET6;
		memcpy(fl.addr, pkt + 24, 16);
		fl.proto = pkt[6]; /* extension headers are not followed: the port stays 0 */
		hl = 40;
	} else {
		return;
	}
	if ((fl.proto == IPPROTO_TCP || fl.proto == IPPROTO_UDP) && len >= hl + 4)
		fl.port = (unsigned short)(pkt[hl + 2] << 8 | pkt[hl + 3]);
	f->total++;
	for (size_t i = 0; i < f->n; i++) {
		struct net_flow *o = &f->v[i];

		if (o->family == fl.family && o->proto == fl.proto && o->port == fl.port &&
		    memcmp(o->addr, fl.addr, 16) == 0) {
			o->count++;
			return;
		}
	}
	if (f->n == NET_MAX_FLOWS)
		return;
	as_entry.family = fl.family;
	memcpy(as_entry.addr, fl.addr, 16);
	as_entry.prefix = fl.family == AF_INET ? 32 : 128;
	for (size_t d = 0; d < p->net.n_deny && !fl.denied; d++)
		fl.denied = net_allow_covers(&p->net.deny[d], &as_entry);
	fl.count = 1;
	f->v[f->n] = fl;
	if (*n_fresh < max)
		fresh[(*n_fresh)++] = f->n;
	f->n++;
}

static int nflog_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= NFULA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

size_t net_flows_parse(const struct plan *p, const void *buf, size_t n, struct net_flows *f,
                       size_t *fresh, size_t max)
{
	size_t n_fresh = 0;
	int len = n > 1 << 20 ? 1 << 20 : (int)n;

	/* Unsigned too: mnl_nlmsg_ok passes a length >= 2^31 (tests/fuzz/fuzz_nflog.c). */
	for (const struct nlmsghdr *h = buf; mnl_nlmsg_ok(h, len) && h->nlmsg_len <= (unsigned)len;
	     h = mnl_nlmsg_next(h, &len)) {
		const struct nlattr *tb[NFULA_MAX + 1] = {0};

		if ((h->nlmsg_type & 0xff) != NFULNL_MSG_PACKET ||
		    mnl_attr_parse(h, sizeof(struct nfgenmsg), nflog_attr, tb) < 0 ||
		    !tb[NFULA_PAYLOAD])
			continue;
		flow_seen(p, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
		          mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), f, fresh, &n_fresh, max);
	}
	return n_fresh;
}

size_t net_flows_read(const struct plan *p, int nflog, struct net_flows *f, size_t *fresh,
                      size_t max)
{
	char buf[16384] __attribute__((aligned(4)));
	size_t n_fresh = 0;
	ssize_t n;

	while ((n = recv(nflog, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		n_fresh += net_flows_parse(p, buf, (size_t)n, f, fresh + n_fresh, max - n_fresh);
	return n_fresh;
}

void net_flow_format(const struct net_flow *fl, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	const char *proto = fl->proto == IPPROTO_TCP                                   ? "tcp"
	                    : fl->proto == IPPROTO_UDP                                 ? "udp"
	                    : fl->proto == IPPROTO_ICMP || fl->proto == IPPROTO_ICMPV6 ? "icmp"
	                                                                               : "ip";

	inet_ntop(fl->family, fl->addr, addr, sizeof(addr));
	if (fl->port)
		snprintf(buf, len, "%s %s%s%s:%u", proto, fl->family == AF_INET6 ? "[" : "", addr,
		         fl->family == AF_INET6 ? "]" : "", fl->port);
	else
		snprintf(buf, len, "%s %s", proto, addr);
}
