/* netwatch.c — the resolver and the flow-log reader in an unprivileged child of the launcher
 * (see netwatch.h). The launcher forks it once the resolver's sockets exist; the child
 * confines itself before it reads a byte the job sent:
 *   1. only its fds: the resolver's UDP and TCP sockets (in the sandbox's network namespace),
 *      the flow log, two channels to the launcher, stderr. The nftables socket stays with
 *      the launcher: programming it takes CAP_NET_ADMIN over the sandbox's namespace at each
 *      send, so the child asks (a fixed-size request of addresses, checked there) and waits
 *      for the answer before it answers the job;
 *   2. an empty mount namespace (a tmpfs as root, pivoted into): no host path to open;
 *   3. its identity: root mode CIS_ROOT_MODE_NETWATCH_ID (not root, not the job's, not the
 *      network helper's); rootless the caller's uid, in a user namespace of its own;
 *   4. no capability, no_new_privs, then a seccomp allowlist of what it does (last).
 * Upstream DNS sockets it makes itself, in the launcher's network namespace. */
#define _GNU_SOURCE
#include "netwatch.h"
#include "audit.h"
#include "caps.h"
#include "dns.h"
#include "dnsmsg.h"
#include "net.h"
#include "seccomp.h"
#include "timing.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libmnl/libmnl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fixed fd numbers in the child. */
enum { FD_CHAN = 3, FD_RPC, FD_UDP, FD_TCP, FD_NFLOG, N_FDS = 5 };

/* One request on the RPC channel (SOCK_SEQPACKET: a message each) and its answer. */
#define RPC_MAX (DNS_MAX_ADDRS * NET_MAX_CLASSES)
struct rpc_req {
	uint32_t n;
	struct nft_dns_elem v[RPC_MAX];
};
struct rpc_ans {
	int32_t r;
	char err[128];
};

/* What the child may call: its poll loop, sockets, netlink sends, memory, time, exit. */
static const char *const allowed[] = {
    SECCOMP_RUNTIME, "poll",       "ppoll",      "read",        "write",   "readv",
    "writev",        "recvfrom",   "recvmsg",    "sendto",      "sendmsg", "socket",
    "connect",       "setsockopt", "getsockopt", "getsockname", "accept4", "close",
    "fcntl",         "shutdown",   "fstat",      "newfstatat",  "lseek",   "ioctl",
};

const struct cis_seccomp_lists netwatch_lists = {SCMP_ACT_KILL_PROCESS, allowed,
                                                 ARRAY_SIZE(allowed), NULL, 0};

static int confine_filter(void)
{
	return cis_seccomp_load_lists(&netwatch_lists);
}

/* An empty tmpfs as /, nothing of the host's tree reachable. */
static int empty_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("netwatch", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "size=4k,mode=0555") < 0 ||
	    chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* Rootless: a user namespace of its own, the caller's uid as its 0, so that it may make its
 * own mount namespace; the capabilities that come with it are dropped below. */
static int own_userns(uid_t uid, gid_t gid)
{
	char map[64];

	int r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -errno;
	/* The launcher is not dumpable, so /proc/self is root's: ours for the maps' writes,
	 * then not again (nothing in the job's pid namespace can name us meanwhile). */
	prctl(PR_SET_DUMPABLE, 1);
	if ((r = write_file("/proc/self/setgroups", "deny")) < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", uid);
	if ((r = write_file("/proc/self/uid_map", map)) < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", gid);
	r = write_file("/proc/self/gid_map", map);
	prctl(PR_SET_DUMPABLE, 0);
	return r;
}

static int confine(const struct plan *p, const char **step)
{
	const char *what;
	int r;

	*step = "namespaces";
	if ((r = p->as_root ? (unshare(CLONE_NEWNS) < 0 ? -errno : 0)
	                    : own_userns(p->caller_uid, p->caller_gid)) < 0)
		return r;
	*step = "empty root";
	if ((r = empty_root()) < 0)
		return r;
	if (p->as_root) {
		/* Root: the bounding set goes while we may still drop it; becoming another uid
		 * clears the rest (no keep-caps). */
		const uid_t id = CIS_ROOT_MODE_NETWATCH_ID;

		*step = "identity";
		if (caps_drop_bounding() < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(id, id, id) < 0 || setresuid(id, id, id) < 0)
			return -errno ? -errno : -EPERM;
		*step = "no_new_privs";
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
	} else if ((r = caps_drop_all(&what)) < 0) { /* in our own user namespace */
		*step = what;
		return r;
	}
	*step = "seccomp";
	return confine_filter();
}

/* Audit mode: record new destinations; each is an audit event the first time it is seen. */
static void on_flows(const struct plan *p, const struct audit *a, int nflog,
                     struct net_flows *flows)
{
	size_t fresh[NET_MAX_FLOWS];
	size_t n = net_flows_read(p, nflog, flows, fresh, NET_MAX_FLOWS);

	for (size_t i = 0; i < n; i++)
		audit_egress_flow(a, &flows->v[fresh[i]]);
}

/* Did an earlier flow already give this suggestion (several addresses of one name)? */
static bool suggested_before(const struct net_flows *fl, const struct dns_resolver *dns, size_t i,
                             const char *addr)
{
	for (size_t j = 0; j < i; j++) {
		const struct net_flow *f = &fl->v[j];
		const char *name = dns_name_of(dns, f->family, f->addr);
		char other[300];

		if (f->denied || !f->port || !name || f->proto != fl->v[i].proto)
			continue;
		snprintf(other, sizeof(other), "%s:%u", name, f->port);
		if (strcmp(other, addr) == 0)
			return true;
	}
	return false;
}

static void report_flows(const struct net_flows *fl, const struct dns_resolver *dns, FILE *out)
{
	char buf[96];

	fprintf(out, "cisandbox: egress audit: %lu new flow%s to %zu destination%s\n", fl->total,
	        fl->total == 1 ? "" : "s", fl->n, fl->n == 1 ? "" : "s");
	for (size_t i = 0; i < fl->n; i++) {
		net_flow_format(&fl->v[i], buf, sizeof(buf));
		fprintf(out, "cisandbox:   %s (%ux)%s\n", buf, fl->v[i].count,
		        fl->v[i].denied ? " - always denied" : "");
	}
	/* By name where the resolver handed the address out: addresses rotate, names stay. */
	fputs("cisandbox: suggested allowlist:", out);
	for (size_t i = 0; i < fl->n; i++) {
		const struct net_flow *f = &fl->v[i];
		const char *name = dns_name_of(dns, f->family, f->addr);
		char addr[300];

		if (f->denied || !f->port)
			continue;
		net_flow_format(f, buf, sizeof(buf));
		if (name)
			snprintf(addr, sizeof(addr), "%s:%u", name, f->port);
		else
			snprintf(addr, sizeof(addr), "%s", strchr(buf, ' ') + 1);
		if (!suggested_before(fl, dns, i, addr))
			fprintf(out, " --allow %s%s", addr, f->proto == IPPROTO_UDP ? "/udp" : "");
	}
	fputc('\n', out);
}

/* The launcher's word on the channel: 'N' with the flow log, or EOF (the job is over). */
static bool on_chan(int *nflog)
{
	char ctl[CMSG_SPACE(sizeof(int))], type = 0;
	struct iovec iov = {&type, 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(FD_CHAN, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return false;
	if (n == 1 && type == 'N' && c && c->cmsg_type == SCM_RIGHTS && *nflog < 0)
		memcpy(nflog, CMSG_DATA(c), sizeof(int));
	return true;
}

/* --verbose: the resolver's and the flows' report, in one write: the network helper writes to
 * the same stderr as it goes down, and must not land in the middle of a line. */
static void report(const struct plan *p, const struct dns_resolver *dns,
                   const struct net_flows *flows)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (!p->verbose || !(m = open_memstream(&text, &len)))
		return;
	dns_report(dns, m);
	if (p->net.mode == NET_AUDIT)
		report_flows(flows, dns, m);
	if (fclose(m) == 0 && len)
		(void)!write(STDERR_FILENO, text, len);
	free(text);
}

static void serve(const struct plan *p, const struct audit *a, struct dns_resolver *dns, int nflog)
{
	static struct net_flows flows;

	for (;;) {
		struct pollfd pf[2 + 512] = {{FD_CHAN, POLLIN, 0}, {nflog, POLLIN, 0}};
		size_t n = dns_poll_fill(dns, pf + 2, ARRAY_SIZE(pf) - 2);

		if (poll(pf, 2 + n, dns_next_timeout(dns)) < 0 && errno != EINTR)
			break;
		dns_poll_done(dns, pf + 2, n);
		if (pf[1].revents & POLLIN)
			on_flows(p, a, nflog, &flows);
		if (pf[0].revents && !on_chan(&nflog))
			break;
	}
	if (nflog >= 0)
		on_flows(p, a, nflog, &flows); /* what was logged while the job went down */
	report(p, dns, &flows);
}

/* The resolver's dns_allow_fn in the child: one request, one answer. */
static int ask_launcher(void *ctx, const struct nft_dns_elem *v, size_t n, char *err, size_t errlen)
{
	static struct rpc_req req;
	struct rpc_ans ans = {.r = -EIO};
	size_t len = offsetof(struct rpc_req, v) + n * sizeof(*v);

	(void)ctx;
	if (n > RPC_MAX)
		return snprintf(err, errlen, "too many addresses"), -E2BIG;
	req.n = (uint32_t)n;
	memcpy(req.v, v, n * sizeof(*v));
	if (send(FD_RPC, &req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    recv(FD_RPC, &ans, sizeof(ans), 0) != sizeof(ans)) {
		snprintf(err, errlen, "the launcher did not answer");
		return -EPIPE;
	}
	ans.err[sizeof(ans.err) - 1] = '\0';
	snprintf(err, errlen, "%s", ans.err);
	return ans.r;
}

static _Noreturn void child_main(const struct plan *p, const struct audit *parent)
{
	struct audit a = *parent;
	struct dns_resolver *dns = NULL;
	const char *step = "";
	int r;

	/* It goes with the launcher (its signals: see netwatch_start). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "cis-netwatch"); /* what ps shows */
	timing_stamp(T_N_START);
	if ((r = confine(p, &step)) < 0) {
		fprintf(stderr, "cisandbox: resolver: %s: %s\n", step, strerror(-r));
		_exit(1);
	}
	timing_stamp(T_N_CONFINED);
	timing_detach(); /* before the first byte the job sent: no channel back but its fds */
	/* Audit lines go up the channel; the launcher appends them to its log (or journal). */
	a.fd = parent->fd >= 0 ? FD_CHAN : -1;
	a.tap = -1; /* the launcher's --learn copy: the relayed lines go there */
	a.journal = false;
	if (fcntl(FD_UDP, F_GETFD) >= 0)
		dns = dns_start(p, &a, FD_UDP, fcntl(FD_TCP, F_GETFD) >= 0 ? FD_TCP : -1,
		                fcntl(FD_RPC, F_GETFD) >= 0 ? ask_launcher : NULL, NULL);
	serve(p, &a, dns, fcntl(FD_NFLOG, F_GETFD) >= 0 ? FD_NFLOG : -1);
	_exit(0);
}

/* In the new child: the given fds at their fixed numbers, every other one closed. */
static void place_fds(const int *fds, size_t n)
{
	int tmp[8];

	/* Out of the way first, so that no dup2 clobbers a source that is still to move. */
	for (size_t i = 0; i < n; i++)
		tmp[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 64 + (int)i) : -1;
	for (size_t i = 0; i < n; i++)
		if (tmp[i] >= 0 && dup2(tmp[i], FD_CHAN + (int)i) < 0)
			_exit(1);
	syscall(SYS_close_range, FD_CHAN + (unsigned)n, ~0u, 0);
	close(STDIN_FILENO); /* it reads nothing there and writes only to stderr */
	close(STDOUT_FILENO);
	for (size_t i = 0; i < n; i++)
		if (tmp[i] < 0)
			close(FD_CHAN + (int)i);
}

int netwatch_start(struct netwatch *w, const struct plan *p, const struct audit *a, int udp,
                   int tcp, int nft, int nflog)
{
	int sp[2] = {-1, -1}, rp[2] = {-1, -1}, fds[N_FDS];
	sigset_t all;

	if (w->pid)
		return -EALREADY;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rp) < 0) {
		int e = -errno;

		closep(&sp[0]), closep(&sp[1]);
		return e;
	}
	if (nft >= 0 && !(w->nl = mnl_socket_fdopen(nft)))
		close(nft);
	fds[0] = sp[1], fds[1] = w->nl ? rp[1] : -1, fds[2] = udp, fds[3] = tcp, fds[4] = nflog;
	fflush(NULL);
	w->pid = fork();
	if (w->pid == 0) {
		/* A cancel's signals to the runner's process group are the job's business: out of
		 * the group, and ignored before they are unblocked (they were a window in which a
		 * TERM to the group killed the resolver mid-cancel). */
		setpgid(0, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL); /* the launcher blocks them for signalfd */
		place_fds(fds, N_FDS);
		child_main(p, a);
	}
	for (size_t i = 0; i < N_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (!w->nl)
		close(rp[1]);
	w->chan = sp[0];
	w->rpc = rp[0];
	if (w->pid < 0) {
		w->pid = 0;
		closep(&w->chan);
		closep(&w->rpc);
		return -errno;
	}
	return 0;
}

/* A request from the child: checked, as anything it says could be the job's doing, then
 * programmed, then answered. */
static void on_rpc(struct netwatch *w, const struct plan *p)
{
	static struct rpc_req req;
	struct rpc_ans ans = {.r = -EINVAL, .err = "malformed request"};
	ssize_t n = recv(w->rpc, &req, sizeof(req), MSG_DONTWAIT);
	bool ok;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		closep(&w->rpc);
		return;
	}
	ok = n >= (ssize_t)offsetof(struct rpc_req, v) && req.n <= RPC_MAX &&
	     (size_t)n == offsetof(struct rpc_req, v) + req.n * sizeof(req.v[0]);
	for (uint32_t i = 0; ok && i < req.n; i++) {
		const struct nft_dns_elem *e = &req.v[i];
		unsigned char replace;

		/* A bool the child wrote: its bytes, not its value, until checked. */
		memcpy(&replace, &e->replace, 1);
		ok = replace <= 1 && e->port_class < p->net.n_classes &&
		     (e->family == AF_INET || e->family == AF_INET6) &&
		     e->timeout_ms <= (uint64_t)p->net.dns_max_ttl * 1000 + 1000;
	}
	if (ok)
		ans.r = nft_dns_add(w->nl, req.v, req.n, ans.err, sizeof(ans.err));
	(void)!send(w->rpc, &ans, sizeof(ans), MSG_NOSIGNAL);
}

int netwatch_flow_log(struct netwatch *w, const struct plan *p, const struct audit *a, int nflog)
{
	char ctl[CMSG_SPACE(sizeof(int))] = {0}, type = 'N';
	struct iovec iov = {&type, 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int r = 0;

	if (!w->pid)
		return netwatch_start(w, p, a, -1, -1, -1, nflog);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &nflog, sizeof(int));
	if (w->chan < 0 || sendmsg(w->chan, &mh, MSG_NOSIGNAL) != 1)
		r = w->chan < 0 ? -EPIPE : -errno;
	close(nflog);
	return r;
}

size_t netwatch_poll_fill(const struct netwatch *w, struct pollfd *pf)
{
	pf[0] = (struct pollfd){w->pid ? w->chan : -1, POLLIN, 0};
	pf[1] = (struct pollfd){w->pid ? w->rpc : -1, POLLIN, 0};
	return 2;
}

/* Complete lines go to the audit log, one write each, as audit_event writes them. */
static void relay(struct netwatch *w, const struct audit *a)
{
	char *nl;

	while ((nl = memchr(w->buf, '\n', w->n))) {
		size_t len = (size_t)(nl - w->buf) + 1;

		audit_relay(a, w->buf, len);
		memmove(w->buf, w->buf + len, w->n - len);
		w->n -= len;
	}
	if (w->n == sizeof(w->buf)) /* no audit line is this long: not one of ours */
		w->n = 0;
}

/* The child is gone before the job: say it once, on stderr and in the audit log. */
static void died(struct netwatch *w, const struct audit *a)
{
	int st = 0;
	struct json *o = json_new_object();

	waitpid(w->pid, &st, 0);
	w->gone = true;
	fprintf(stderr,
	        "cisandbox: warning: the sandbox's resolver (pid %d) %s %d: the job's name "
	        "lookups fail from now on\n",
	        w->pid, WIFSIGNALED(st) ? "was killed by signal" : "exited with status",
	        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	json_add_number(o, "pid", w->pid);
	json_add_number(o, WIFSIGNALED(st) ? "signal" : "status",
	                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	audit_event(a, "resolver.died", o);
}

static void on_chan_up(struct netwatch *w, const struct audit *a)
{
	ssize_t n = read(w->chan, w->buf + w->n, sizeof(w->buf) - w->n);

	if (n > 0) {
		w->n += (size_t)n;
		relay(w, a);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	closep(&w->chan);
	if (!w->gone)
		died(w, a);
}

void netwatch_poll_done(struct netwatch *w, const struct pollfd *pf, const struct plan *p,
                        const struct audit *a)
{
	if (pf[1].revents && w->rpc >= 0)
		on_rpc(w, p);
	if (pf[0].revents && w->chan >= 0)
		on_chan_up(w, a);
}

void netwatch_stop(struct netwatch *w, const struct plan *p, const struct audit *a)
{
	if (w->nl) {
		mnl_socket_close(w->nl);
		w->nl = NULL;
	}
	closep(&w->rpc);
	if (!w->pid || w->gone)
		return;
	/* EOF down the channel: the child reads the last flows, reports and exits; its last
	 * lines come up first. With nothing left for it to say (no --verbose report, no flow
	 * log), it is killed at once: what it wrote is still in the channel, and the job's end
	 * need not wait for the child's. */
	if (p->verbose || p->net.mode == NET_AUDIT)
		shutdown(w->chan, SHUT_WR);
	else
		kill(w->pid, SIGKILL);
	while (w->chan >= 0) {
		ssize_t n = read(w->chan, w->buf + w->n, sizeof(w->buf) - w->n);

		if (n > 0) {
			w->n += (size_t)n;
			relay(w, a);
		} else if (n == 0 || errno != EINTR) {
			closep(&w->chan);
		}
	}
	waitpid(w->pid, NULL, 0);
	w->gone = true;
}
