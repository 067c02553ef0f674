/* net.c — network namespace setup in the sandbox child: lo up (mode none). */
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdnoreturn.h>
#include <linux/if_tun.h>
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

/* tap0 is created persistent, before slirp4netns attaches to it: when the helper closes a
 * non-persistent tap, the kernel unregisters the device on the spot and waits in rcu_barrier()
 * (15-50 ms here, all of it added to every run). A persistent tap outlives that close and goes
 * with the network namespace, whose cleanup the kernel does asynchronously. Best effort: if
 * this fails, the helper creates the device itself. Runs in a child of the helper's child,
 * because joining the user namespace (fd 5, the one that owns the network namespace, fd 6)
 * cannot be undone. */
static int tap_child(void *unused)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	int fd;

	(void)unused;
	if (setns(5, CLONE_NEWUSER) < 0 || setns(6, CLONE_NEWNET) < 0)
		_exit(1);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tap0");
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		_exit(1);
	_exit(0);
}

/* vfork-like (vmspawn.h): it only joins, makes the device and exits. */
static void tap_precreate(void)
{
	pid_t pid = vmspawn(tap_child, NULL, 1 << 16);

	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* In the helper's child, before exec: die with the launcher, keep only fds 3 (exit), 4 (ready),
 * 5 (the sandbox's user namespace) and 6 (its network namespace), nothing on stdout. */
/* In the helper's child, before exec: identity, process group, signals, and fds 0-6 as the
 * helper's command line names them. False when a step fails (the child exits 126). */
static bool helper_prepare(const struct plan *p, const int fds[4])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), high[4];
	const uid_t id = CIS_ROOT_MODE_HELPER_ID;
	sigset_t none;

	/* Launched by root: the helper parses the job's packets, so it runs as an unprivileged
	 * uid that owns the user namespace of the network namespace it serves, and nothing else.
	 * (The parent-death signal goes after the uid change, which clears it.) */
	if (p->as_root &&
	    (fchown(fds[1], id, id) < 0 || /* pasta reopens it by path */
	     setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 || setresuid(id, id, id) < 0))
		return false;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return false; /* the launcher is already gone */
	/* A cancel's SIGTERM to the runner's process group must not take the job's network in
	 * its kill grace: the helper goes with the launcher (above) or when told to. */
	setpgid(0, 0);
	/* The launcher blocks the signals it reads from a signalfd; exec would keep that mask. */
	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way first: a source may itself be numbered 3..6. */
	for (int i = 0; i < 4; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, 100)) < 0)
			return false;
	for (int i = 0; i < 4; i++)
		if (dup2(high[i], 3 + i) < 0)
			return false;
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (!p->verbose && dup2(null, 2) < 0))
		return false;
	close_range(7, ~0U, 0);
	return true;
}

/* No port forwarded either way (-t/-u/-T/-U none, which also ends pasta's host loopback
 * splicing), gateway not mapped to the host, no DNS forwarder; in the foreground so that it
 * stays ours; its pid file (a pipe) says it is ready; our persistent tap0 (tap_precreate),
 * attached by name. */
static noreturn void exec_pasta(const struct plan *p)
{
	static const char *const argv[] = {"pasta",
	                                   "-f",
	                                   "-q",
	                                   "--config-net",
	                                   "--no-map-gw",
	                                   "-t",
	                                   "none",
	                                   "-u",
	                                   "none",
	                                   "-T",
	                                   "none",
	                                   "-U",
	                                   "none",
	                                   "--pid",
	                                   "/proc/self/fd/4",
	                                   "--userns",
	                                   "/proc/self/fd/5",
	                                   "--netns",
	                                   "/proc/self/fd/6",
	                                   "--ns-ifname",
	                                   "tap0",
	                                   NULL};

	execv(p->net.helper, (char **)argv);
	_exit(127);
}

/* 10.0.2.2 would otherwise be the host's loopback; the helper's DNS forwarder is off; the user
 * namespace (fd 5) is the one in which it may configure the network namespace (fd 6). */
static noreturn void exec_slirp(const struct plan *p)
{
	static const char *const argv[] = {"slirp4netns",
	                                   "--configure",
	                                   "--mtu=65520",
	                                   "--disable-host-loopback",
	                                   "--disable-dns",
	                                   "--enable-seccomp",
	                                   "--exit-fd=3",
	                                   "--ready-fd=4",
	                                   "--userns-path=/proc/self/fd/5",
	                                   "--netns-type=path",
	                                   "/proc/self/fd/6",
	                                   "tap0",
	                                   NULL};

	execv(p->net.helper, (char **)argv);
	_exit(127);
}

static void helper_child(const struct plan *p, const int fds[4])
{
	if (!helper_prepare(p, fds))
		_exit(126);
	tap_precreate();
	if (p->net.pasta)
		exec_pasta(p);
	exec_slirp(p);
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

struct helper_start {
	const struct plan *p;
	const int *fds;
};

static int helper_entry(void *arg)
{
	const struct helper_start *hs = arg;

	helper_child(hs->p, hs->fds);
	_exit(127);
}

/* The helper's child only sets itself up and execs: vfork-like (vmspawn.h), no copy of the
 * launcher's address space to make and tear down (nor, for its tap, a second one). */
int net_helper_start(const struct plan *p, const struct net_ns *ns, struct net_helper *h, char *why,
                     size_t len)
{
	int ex[2] = {-1, -1}, ready[2] = {-1, -1}, r = 0;

	*h = (struct net_helper){.exit_w = -1, .ready_r = -1};
	if (pipe2(ex, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(why, len, "pipe");
	} else if ((h->pid = vmspawn(helper_entry,
	                             &(struct helper_start){
	                                 p, (const int[]){ex[0], ready[1], ns->userns, ns->netns}},
	                             1 << 16)) < 0) {
		r = -errno;
		h->pid = 0;
		snprintf(why, len, "fork");
	} else {
		h->exit_w = TAKE_FD(ex[1]);
		h->ready_r = TAKE_FD(ready[0]);
	}
	closep(&ex[0]);
	closep(&ex[1]);
	closep(&ready[0]);
	closep(&ready[1]);
	return r;
}

int net_helper_ready(const struct plan *p, struct net_helper *h, char *why, size_t len)
{
	char c = 0;
	int st;

	/* Bounded: a helper that never comes up must not hang the launch. */
	/* slirp4netns writes "1"; pasta writes its pid (digits) once it is set up. */
	if (poll(&(struct pollfd){h->ready_r, POLLIN, 0}, 1, 10000) > 0 &&
	    read(h->ready_r, &c, 1) == 1 && c >= '1' && c <= '9') {
		closep(&h->ready_r);
		return 0;
	}
	if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
		h->pid = 0;
		snprintf(why, len, "%s exited with status %d%s", p->net.helper,
		         WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		         access("/dev/net/tun", R_OK | W_OK)
		             ? " (cannot open /dev/net/tun: it must "
		               "be mode 0666, as Debian's udev "
		               "makes it)"
		             : "");
	} else {
		snprintf(why, len, "%s did not report ready within 10 s", p->net.helper);
	}
	net_helper_stop(h);
	return -ECHILD;
}

bool net_helper_stop(struct net_helper *h)
{
	_cleanup_close_ int pidfd = -1;
	bool gone;

	closep(&h->ready_r);
	if (h->pid <= 0)
		return true;
	pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
	closep(&h->exit_w);
	/* pasta has no exit descriptor: ask it to go. */
	kill(h->pid, SIGTERM);
	/* slirp4netns exits as soon as its exit fd closes; a pidfd wakes us the moment it does. */
	if (pidfd < 0 || poll(&(struct pollfd){pidfd, POLLIN, 0}, 1, 1000) <= 0)
		kill(h->pid, SIGKILL);
	gone = waitpid(h->pid, NULL, 0) == h->pid;
	h->pid = 0;
	return gone;
}

bool net_helper_died(struct net_helper *h, int *status)
{
	if (h->pid <= 0 || waitpid(h->pid, status, WNOHANG) != h->pid)
		return false;
	h->pid = 0;
	return h->exit_w >= 0; /* closed: it was told to go */
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
