/* supervise.c — the launcher (host side): prepares the run (channels, cgroup, idmapped sources,
 * seccomp program), clones the sandbox init (ns.c), writes its id maps, then watches it until it
 * exits: signals, timeout, seccomp notifications, the exit status, teardown and audit. */
#define _GNU_SOURCE
#include "supervise.h"
#include "supervise_int.h"
#include "private.h"
#include "audit.h"
#include "guard.h"
#include "learn_obs.h"
#include "netwatch.h"
#include "cis_limits.h"
#include "mount.h"
#include "net.h"
#include "nshold.h"
#include "seccomp.h"
#include "timing.h"
#include "userns.h"
#include "json.h"

#include <seccomp.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- launcher ---- */

/* The resolver's child could not start: the job's lookups fail (closed), and it is said. */
static void netwatch_up(struct outcome *o, int r)
{
	struct json *f;

	if (r >= 0)
		return;
	fprintf(stderr,
	        "cisandbox: warning: the sandbox's resolver: %s: the job's name lookups "
	        "fail\n",
	        strerror(-r));
	f = json_new_object();
	json_add_string(f, "error", strerror(-r));
	audit_event(o->audit, "resolver.died", f);
}

/* One message; an attached fd (the job's seccomp listener) is kept. */
static void read_msg(int fd, struct outcome *o, bool *eof)
{
	char ctl[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
	struct msg m;
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	/* ECONNRESET: init exited with data of ours unread; what it sent is still queued after
	 * the error, which the kernel reports first (once). */
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != ECONNRESET)) {
		*eof = true;
		return;
	}
	if (n != sizeof(m))
		return;
	if (m.type == MSG_LISTENER && c && c->cmsg_type == SCM_RIGHTS && o->listener < 0) {
		memcpy(&o->listener, CMSG_DATA(c), sizeof(int));
		o->listener_seen = true;
	} else if (m.type == MSG_NFLOG && c && c->cmsg_type == SCM_RIGHTS) {
		int log;

		memcpy(&log, CMSG_DATA(c), sizeof(int));
		netwatch_up(o, netwatch_flow_log(&o->nw, o->p, o->audit, log));
	} else if (m.type == MSG_DNS && c && c->cmsg_type == SCM_RIGHTS && !o->nw.pid &&
	           c->cmsg_len >= CMSG_LEN(2 * sizeof(int))) {
		int fds[MSG_MAX_FDS] = {-1, -1, -1};

		memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
		netwatch_up(o, netwatch_start(&o->nw, o->p, o->audit, fds[0], fds[1], fds[2], -1));
		timing_stamp(T_NETWATCH);
	} else if (m.type == MSG_STATUS) {
		timing_stamp(T_JOB_STATUS);
		o->have_status = true;
		o->job_status = m.status;
		/* The job is over: let the network helper go now, so that its exit (the tap
		 * device's teardown waits for an RCU grace period) overlaps init's. After a
		 * cancel the other processes still have their grace, and their network. */
		if (o->helper && !o->cancelled)
			closep(&o->helper->exit_w);
	} else if (m.type == MSG_GRACE) {
		o->graced = true;
		o->grace_killed = m.status;
	} else if (m.type != MSG_LISTENER && m.type != MSG_NFLOG && m.type != MSG_DNS &&
	           !o->have_error) {
		o->error = m;
		o->have_error = true;
	}
}

/* Returns true the first time this syscall is denied. */
static bool record_denial(struct outcome *o, int nr, pid_t pid)
{
	size_t i;

	o->denied_total++;
	for (i = 0; i < o->n_denials && o->denials[i].nr != nr; i++)
		;
	if (i == o->n_denials && i < MAX_DENIALS)
		o->denials[o->n_denials++] = (struct denial){nr, 0, pid};
	if (i < o->n_denials)
		o->denials[i].count++;
	return i < o->n_denials && o->denials[i].count == 1;
}

/* Answer one denied syscall with the profile's errno and remember it. Called only when poll
 * said a notification is pending, so the receive does not block: a job cannot stall us. */
static void on_notification(const struct plan *p, struct outcome *o)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	if (seccomp_notify_receive(o->listener, req) == 0) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, req->data.nr);
		/* --learn: a call the learned profile may grant runs as if granted, so that the
		 * run goes on as it will under that profile; the kernel makes the call itself
		 * (we look at no argument, so there is nothing to race). */
		bool let = p->learn && learn_syscall_grantable(&p->seccomp, name);

		resp->id = req->id;
		resp->error = let ? 0 : -p->seccomp.err;
		resp->val = 0;
		resp->flags = let ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
		/* ENOENT: the caller died meanwhile; nothing to answer. */
		(void)seccomp_notify_respond(o->listener, resp);
		/* Each denial is an audit event, up to a bound (the first of each syscall
		 * always): a job looping on a denied call must not fill the disk. The count is
		 * always in sandbox.destroy. */
		if (record_denial(o, req->data.nr, (pid_t)req->pid) ||
		    o->denied_total <= MAX_AUDITED_DENIALS)
			audit_policy_deny(o->audit, "syscall", name ? name : "?", (int)req->pid,
			                  let ? 0 : p->seccomp.err);
		free(name);
	}
	seccomp_notify_free(req, resp);
}

static void arm(int tfd, uint64_t ms)
{
	struct itimerspec it = {.it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};

	timerfd_settime(tfd, 0, &it, NULL);
}

/* The kill grace starts at the first TERM, INT or HUP the job gets; init counts it too. */
static void cancel_begins(struct outcome *o, int sig)
{
	if (o->cancelled || !signal_cancels(sig))
		return;
	o->cancelled = true;
	clock_gettime(CLOCK_MONOTONIC, &o->cancel_at);
}

/* Timeout: SIGTERM to the job, then SIGKILL to the whole sandbox after the grace period. */
static void on_timer(const struct plan *p, pid_t init, int tfd, int *phase, struct outcome *o)
{
	uint64_t ticks;

	if (read(tfd, &ticks, sizeof(ticks)) <= 0)
		return;
	o->timed_out = !o->stopped; /* else this is the grace of a stop_job */
	if (p->verbose)
		fprintf(stderr, "cisandbox: timeout: %s\n",
		        *phase == 0 ? "sending SIGTERM" : "sending SIGKILL");
	kill(init, *phase == 0 ? SIGTERM : SIGKILL);
	if (*phase == 0)
		cancel_begins(o, SIGTERM);
	else
		o->sigkilled = true;
	if ((*phase)++ == 0)
		arm(tfd, p->kill_grace_ms ? p->kill_grace_ms : 1);
}

/* The launcher cannot keep a promise of the run (the audit log it must keep, the network it
 * must give): end the job as a timeout does, SIGTERM, the kill grace, SIGKILL. Exit status 125
 * (a launcher failure, not the job's), reason `why` in job.exit. */
static void stop_job(const struct plan *p, pid_t init, int tfd, int *phase, struct outcome *o,
                     const char *why)
{
	if (o->stopped || o->timed_out || o->cancelled || o->have_status)
		return; /* ending already */
	o->stopped = why;
	fprintf(stderr, "cisandbox: stopping the job (%s)\n", why);
	kill(init, SIGTERM);
	cancel_begins(o, SIGTERM);
	*phase = 1;
	arm(tfd, p->kill_grace_ms ? p->kill_grace_ms : 1);
}

/* A network helper that dies mid-run takes the job's network with it: loud, and (with
 * network.helper_required, the default) the end of the job. */
static void check_helper(const struct plan *p, pid_t init, int tfd, int *phase, struct outcome *o)
{
	int st = 0;
	struct json *f;

	if (!o->helper || !net_helper_died(o->helper, &st))
		return;
	fprintf(stderr,
	        "cisandbox: warning: the network helper %s died (%s %d): the job has no "
	        "network%s\n",
	        p->net.helper, WIFSIGNALED(st) ? "signal" : "status",
	        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
	        p->net.helper_required ? "" : "; going on (network.helper_required: false)");
	f = json_new_object();
	json_add_string(f, "helper", p->net.helper);
	if (WIFSIGNALED(st))
		json_add_string(f, "signal", sigabbrev_np(WTERMSIG(st)) ?: "?");
	else
		json_add_number(f, "exit_code", WEXITSTATUS(st));
	json_add_bool(f, "job_stopped", p->net.helper_required && !o->cancelled);
	audit_event(o->audit, "network.helper_exit", f);
	if (p->net.helper_required)
		stop_job(p, init, tfd, phase, o, "helper-died");
}

/* A signal to the launcher: forward it, or reap init. Returns true once init is reaped. */
static bool on_signal(const struct plan *p, pid_t init, int sfd, struct outcome *o)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo != SIGCHLD) {
		if (p->verbose)
			fprintf(stderr, "cisandbox: forwarding %s to the job\n",
			        sigabbrev_np((int)si.ssi_signo));
		cancel_begins(o, (int)si.ssi_signo);
		kill(init, (int)si.ssi_signo);
		return false;
	}
	return waitpid(init, &o->init_status, WNOHANG) == init;
}

/* The launcher's own filter, once the last process it starts (the resolver's child, which
 * init's sockets start rootless) exists: it forks nothing after that. */
static void guard(const struct plan *p, struct outcome *o)
{
	int r;

	if (o->guarded || (p->net.mode != NET_NONE && !o->nw.pid))
		return;
	o->guarded = true;
	if ((r = guard_install()) < 0)
		fprintf(stderr, "cisandbox: warning: the launcher's own seccomp filter: %s\n",
		        strerror(-r));
	timing_stamp(T_GUARD);
}

/* Does anything init may still send need us before init's exit? Without a network, once the
 * job's listener is here, what is left (its status, the grace's end, an error) is read after
 * init is reaped, all of it still queued: one wake-up fewer at the end of every run. A helper
 * (released early at the status) and a required audit log (which stops a running job) need
 * the status when it comes. */
static bool msgs_needed(const struct plan *p, const struct outcome *o)
{
	return p->net.mode != NET_NONE || p->audit_required || !o->listener_seen;
}

/* Watch init until it exits: forward signals, enforce the timeout, collect messages, answer
 * seccomp notifications. */
static void watch(const struct plan *p, pid_t init, int sfd, int msgfd, struct outcome *o)
{
	_cleanup_close_ int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	bool msg_eof = false, init_done = false;
	int phase = 0;

	if (p->timeout_ms && tfd >= 0)
		arm(tfd, p->timeout_ms);
	while (!init_done) {
		struct pollfd pf[6] = {{sfd, POLLIN, 0},
		                       {msg_eof || !msgs_needed(p, o) ? -1 : msgfd, POLLIN, 0},
		                       {tfd, POLLIN, 0},
		                       {o->listener, POLLIN, 0}};

		guard(p, o);
		netwatch_poll_fill(&o->nw, pf + 4);
		if (poll(pf, 6, -1) < 0 && errno != EINTR)
			break;
		netwatch_poll_done(&o->nw, pf + 4, p, o->audit);
		if (pf[1].revents)
			read_msg(msgfd, o, &msg_eof);
		if (pf[2].revents & POLLIN)
			on_timer(p, init, tfd, &phase, o);
		if (pf[3].revents & POLLIN)
			on_notification(p, o);
		else if (pf[3].revents)
			closep(&o->listener); /* every process under the filter is gone */
		if (pf[0].revents & POLLIN)
			init_done = on_signal(p, init, sfd, o);
		if (pf[0].revents & POLLIN)
			check_helper(p, init, tfd, &phase, o);
		if (p->audit_required && audit_lost(o->audit, NULL))
			stop_job(p, init, tfd, &phase, o, "audit-failed");
	}
	/* What init sent before its exit may still be queued (one message a round): its status
	 * comes before "init reaped", which it precedes. */
	while (!msg_eof)
		read_msg(msgfd, o, &msg_eof);
	timing_stamp(T_INIT_REAPED);
	closep(&o->listener);
	/* Its last flows and its report (--verbose) come before ours. */
	netwatch_stop(&o->nw, p, o->audit);
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static pid_t clone_sandbox(const struct cgroup *cg, bool new_net)
{
	const uint64_t ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
	                    CLONE_NEWIPC | CLONE_NEWCGROUP | (new_net ? CLONE_NEWNET : 0);
	/* With a cgroup, init starts inside it (and its cgroup namespace is rooted there): every
	 * process of the run is accounted from its first instruction. */
	struct clone_args args = {.flags = ns | (cg->dirfd >= 0 ? CLONE_INTO_CGROUP : 0),
	                          .exit_signal = SIGCHLD,
	                          .cgroup = cg->dirfd >= 0 ? (uint64_t)cg->dirfd : 0};

	/* Fork-like (no stack): the child returns here with 0. */
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	if (pid > 0)
		timing_stamp(T_CLONE);
	return pid;
}

/* The launcher's side of a run. */
struct run {
	struct launch l;
	struct outcome o;
	int sfd, msg_r, sync_w, hand_w;
	pid_t init;
	struct timespec t0;
	const struct audit *audit;
	struct net_helper helper;
	struct net_ns netns; /* where the helper attaches (see net_ns_separate) */
	int host_net;        /* the launcher's own network namespace, while it is in the other */
	int pend[4];         /* root mode: the resolver's sockets and the flow log, for netwatch */
	int mntfd;           /* init's mount namespace, until the holder takes it */
	int userfd;          /* init's user namespace, until its network namespace is made */
	struct nshold hold;  /* keeps it past init's exit (nshold.h) */
	char error[512];     /* why the run could not start */
};

/* The run cannot start: kill init if it exists, say why once, remember it for the audit log.
 * Returns the launcher's status. */
static int start_failed(struct run *r, const char *what, const char *why)
{
	if (r->init > 0) {
		kill(r->init, SIGKILL);
		waitpid(r->init, NULL, 0);
		r->init = 0;
	}
	snprintf(r->error, sizeof(r->error), "%s: %s", what, why);
	fprintf(stderr, "cisandbox: %s\n", r->error);
	return CIS_EXIT_LAUNCHER;
}

static void run_close(struct run *r)
{
	net_ns_close(&r->netns);
	closep(&r->host_net);
	closep(&r->mntfd);
	closep(&r->userfd);
	nshold_release(&r->hold);
	netwatch_stop(&r->o.nw, r->l.p, r->audit); /* a run that did not start (watch stops it) */
	for (int i = 0; i < 4; i++)
		closep(&r->pend[i]);
	closep(&r->sfd);
	closep(&r->msg_r);
	closep(&r->sync_w);
	closep(&r->hand_w);
	closep(&r->l.msgfd);
	closep(&r->l.syncfd);
	closep(&r->l.handfd);
	mount_fds_close(&r->l.pre, r->l.p->n_mounts);
	free(r->l.prog.filter);
	r->l.prog.filter = NULL;
}

static void setup_error(const struct run *r, const char *msg)
{
	struct job_end e = {.reason = "setup-error",
	                    .status = CIS_EXIT_LAUNCHER,
	                    .exit_code = -1,
	                    .duration_ms = elapsed_ms(&r->t0),
	                    .error = msg};

	audit_job_exit(r->audit, &e);
}

/* Everything before clone: channels, cgroup, idmapped sources, the seccomp program. */
static int prepare(struct run *r)
{
	const struct plan *p = r->l.p;
	struct cis_err err = {{0}};
	sigset_t mask;
	int fds[2], e;

	/* Blocked before clone so that init inherits the mask and reads them from a signalfd. */
	signal_set(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (r->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return start_failed(r, "signalfd", strerror(errno));
	/* Datagram-like (atomic messages, EOF when every sender is gone) and able to carry the
	 * job's seccomp listener fd. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return start_failed(r, "socketpair", strerror(errno));
	r->msg_r = fds[0], r->l.msgfd = fds[1];
	/* Fds for init (no network: its network namespace) go over a socket of their own. */
	if (net_ns_later(p)) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
			return start_failed(r, "socketpair", strerror(errno));
		r->hand_w = fds[0], r->l.handfd = fds[1];
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return start_failed(r, "pipe", strerror(errno));
	r->l.syncfd = fds[0], r->sync_w = fds[1];
	timing_stamp(T_CHANNELS);
	if (limits_cgroup_setup(p, r->audit->id, &r->l.cg, &err) < 0)
		return start_failed(r, "cgroup", err.msg);
	timing_stamp(T_CGROUP);
	/* As root the launcher can idmap (the child, in its own user namespace, could not): the
	 * host owner of the checkout appears as the job, host root stays unmapped. */
	mount_prepare_idmapped(p, &r->l.pre);
	timing_stamp(T_IDMAP);
	/* Compiled once here, in our memory; the job only loads it (crun's order). */
	if ((e = cis_seccomp_compile(&p->seccomp, &r->l.prog)) < 0)
		return start_failed(r, "seccomp filter", strerror(-e));
	timing_stamp(T_SECCOMP_COMPILE);
	return 0;
}

/* Clone init, map its ids, let it go. */
/* Launched by root with egress: make the network namespace (owned by the helper's uid, see
 * net_ns_make), start the helper on it (its ~3 ms start then overlaps the rest of ours, where
 * rootless it can only start once init exists), program it from here (lo, the ruleset, the
 * resolver's sockets, the flow log), and stay in it for the clone, so that init is born there. */
static int separate_netns(struct run *r, char *why, size_t len)
{
	const struct plan *p = r->l.p;
	struct step_err se = {0};
	int e, dns[3] = {-1, -1, -1};

	if ((e = net_ns_make(&r->netns, why, len)) < 0)
		return e;
	/* Started now, from the host's network namespace, so that its start overlaps ours. */
	if ((e = net_helper_start(p, &r->netns, &r->helper, why, len)) < 0)
		return e;
	timing_stamp(T_HELPER_SPAWN);
	if ((r->host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    setns(r->netns.netns, CLONE_NEWNET) < 0) {
		e = -errno;
		snprintf(why, len, "enter it: %s", strerror(-e));
		return e;
	}
	if ((e = net_setup(p, &r->pend[3], dns, &se)) < 0) {
		snprintf(why, len, "%s: %s", se.detail, strerror(-e));
		if (setns(r->host_net, CLONE_NEWNET) < 0)
			abort();
		return e;
	}
	/* The resolver's child starts once we are back in the host's network namespace: its
	 * upstream queries leave from there. */
	memcpy(r->pend, dns, sizeof(dns));
	timing_stamp(T_NETNS);
	return 0;
}

/* Root mode with egress, right after clone: the launcher leaves the network namespace it made
 * the moment init is in it, and the resolver's child takes the sockets it holds there. */
static void leave_netns(struct run *r)
{
	const struct plan *p = r->l.p;

	if (r->init != 0 && setns(r->host_net, CLONE_NEWNET) < 0) {
		fprintf(stderr, "cisandbox: cannot return to the host's network namespace: %s\n",
		        strerror(errno));
		abort(); /* nothing of ours may run in the sandbox's network */
	}
	if (r->init > 0) {
		netwatch_up(&r->o, netwatch_start(&r->o.nw, p, r->audit, r->pend[0], r->pend[1],
		                                  r->pend[2], r->pend[3]));
		timing_stamp(T_NETWATCH);
		for (int i = 0; i < 4; i++)
			r->pend[i] = -1; /* the child's, or closed */
	}
}

/* Egress: start the network helper (launched by root it started in separate_netns), wait until
 * it is set up, tell init ("N"). */
static int start_helper(struct run *r)
{
	const struct plan *p = r->l.p;
	char why[512];

	if (!net_ns_separate(p)) { /* rootless: init's namespaces exist only now */
		if (net_helper_start(p, &r->netns, &r->helper, why, sizeof(why)) < 0)
			return start_failed(r, "network helper", why);
		timing_stamp(T_HELPER_SPAWN);
	}
	net_ns_close(&r->netns); /* init holds the namespaces now, the helper its own refs */
	if (net_helper_ready(p, &r->helper, why, sizeof(why)) < 0)
		return start_failed(r, "network helper", why);
	timing_stamp(T_HELPER_READY);
	if (write(r->sync_w, "N", 1) != 1)
		return start_failed(r, "start sandbox", strerror(errno));
	return 0;
}

/* No network: make init's network namespace now, while it builds the filesystem, and hand it
 * over (net_ns_later). */
static int start_netns(struct run *r)
{
	char why[256];
	int netfd, e;

	e = net_ns_beside(r->userfd, &netfd, why, sizeof(why));
	closep(&r->userfd);
	if (e < 0)
		return start_failed(r, "network namespace", why);
	e = ns_send_fd(r->hand_w, MSG_NETNS, netfd);
	closep(&r->hand_w);
	close(netfd);
	/* EPIPE: init failed before its network step (a mount, say) and has said why; the watch
	 * reads that, which is the error to report. */
	if (e < 0 && e != -EPIPE)
		return start_failed(r, "network namespace", strerror(-e));
	timing_stamp(T_NETNS_PARALLEL);
	return 0;
}

/* /proc/PID/ns/NAME, or -1. */
static int open_ns(pid_t pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int start(struct run *r)
{
	const struct plan *p = r->l.p;
	const char *what = NULL;
	char why[512];
	int e;

	if (net_ns_separate(p) && (e = separate_netns(r, why, sizeof(why))) < 0)
		return start_failed(r, "network namespace", why);
	fflush(NULL);
	r->init = clone_sandbox(&r->l.cg, !net_ns_separate(p) && !net_ns_later(p));
	if (net_ns_separate(p))
		leave_netns(r);
	if (r->init < 0) {
		r->init = 0;
		return start_failed(r, "cannot create the sandbox namespaces",
		                    userns_diagnose(errno, why, sizeof(why)));
	}
	if (r->init == 0) {
		close(r->msg_r);
		close(r->sync_w);
		close(r->sfd); /* (and hand_w, with every fd init does not keep) */
		ns_init_main(&r->l);
	}
	closep(&r->l.msgfd);
	closep(&r->l.syncfd);
	closep(&r->l.handfd);
	mount_fds_close(&r->l.pre, p->n_mounts);
	free(r->l.prog.filter); /* the child has its copy */
	r->l.prog.filter = NULL;
	if ((e = userns_write_maps(p, r->init, &what)) < 0)
		return start_failed(r, what, strerror(-e));
	timing_stamp(T_MAPS);
	/* Non-dumpable from here on: nothing of the job may ptrace or read the launcher. (Until
	 * the maps were written the child had to stay dumpable for an unprivileged writer.) */
	prctl(PR_SET_DUMPABLE, 0);
	/* Rootless egress: the helper attaches to init's network namespace and configures tap0
	 * while init builds the filesystem and installs the ruleset; init waits for our "N"
	 * before it starts the job. Its namespaces are opened while init is still dumpable, and
	 * it starts once init goes: its start (vfork-like) keeps us until it has exec'd. */
	if (p->net.mode != NET_NONE && !net_ns_separate(p) &&
	    (e = net_ns_of(r->init, &r->netns)) < 0)
		return start_failed(r, "namespaces of the sandbox", strerror(-e));
	/* Opened while init is still dumpable, like its network namespace. */
	r->mntfd = open_ns(r->init, "mnt");
	if (net_ns_later(p))
		r->userfd = open_ns(r->init, "user");
	/* sync_w stays open until we return: init reads its EOF as "launcher gone". */
	if (write(r->sync_w, "1", 1) != 1)
		return start_failed(r, "start sandbox", strerror(errno));
	timing_stamp(T_GO);
	if (net_ns_later(p) && (e = start_netns(r)) != 0)
		return e;
	if (p->net.mode != NET_NONE && (e = start_helper(r)) != 0)
		return e;
	net_ns_close(&r->netns); /* init holds the namespaces now, the helper its own refs */
	audit_job_start(r->audit, p, r->init);
	timing_stamp(T_AUDIT_START);
	/* While init builds the tree: off the path of the run, and before the guard forbids fork.
	 */
	nshold_start(&r->hold, TAKE_FD(r->mntfd));
	return 0;
}

static struct job_end job_end(struct run *r, int status, const struct cgroup_result *cr)
{
	const struct outcome *o = &r->o;
	struct job_end e = {.status = status, .exit_code = -1, .duration_ms = elapsed_ms(&r->t0)};
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		e.cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		e.peak_bytes = (uint64_t)ru.ru_maxrss * 1024;
	}
	if (cr->peak)
		e.peak_bytes = cr->peak;
	if (o->have_error)
		e.reason = o->error.type == MSG_EXEC_ERROR ? "exit" : "setup-error";
	else if (o->stopped)
		e.reason = o->stopped;
	else if (o->timed_out)
		e.reason = "timeout";
	else if (cr->oom)
		e.reason = "oom";
	else if (o->have_status && WIFSIGNALED(o->job_status))
		e.reason = "signal";
	else
		e.reason = "exit";
	if (o->have_status && WIFSIGNALED(o->job_status))
		e.signal = WTERMSIG(o->job_status);
	else if (o->have_status)
		e.exit_code = WEXITSTATUS(o->job_status);
	/* From the cancel to the last process's end (init is reaped only after it). Not when the
	 * job had ended by itself before init saw the signal: then there was no grace. */
	e.graced = o->cancelled && (o->graced || o->sigkilled);
	e.grace_ms = e.graced ? elapsed_ms(&o->cancel_at) : 0;
	e.killed = o->graced ? o->grace_killed > 0 : e.graced; /* else: our SIGKILL ended it */
	return e;
}

/* After init is reaped: the outcome, the cgroup's teardown, the audit trail. */
static int finish(struct run *r)
{
	const struct plan *p = r->l.p;
	bool had_cgroup = r->l.cg.dirfd >= 0;
	struct cgroup_result cr;
	struct job_end e;
	int status = supervise_report(p, &r->o), err;

	limits_cgroup_teardown(&r->l.cg, &cr);
	cr.helper_left = !net_helper_stop(&r->helper);
	if (cr.oom && status == 128 + SIGKILL)
		fprintf(stderr, "cisandbox: the job ran out of memory (limit %llu bytes)\n",
		        (unsigned long long)p->limits.memory);
	e = job_end(r, status, &cr);
	if (r->o.have_error) {
		/* The same words as on stderr: step, detail, errno. */
		snprintf(r->error, sizeof(r->error), "%s%s%s: %s", r->o.error.step,
		         r->o.error.detail[0] ? ": " : "", r->o.error.detail,
		         strerror(r->o.error.err));
		e.error = r->error;
	}
	audit_job_exit(r->audit, &e);
	audit_sandbox_destroy(r->audit, &cr, had_cgroup, r->o.denied_total);
	if (audit_lost(r->audit, &err))
		fprintf(stderr, "cisandbox: warning: audit log: %lu record%s lost (%s)\n",
		        audit_lost(r->audit, NULL), audit_lost(r->audit, NULL) == 1 ? "" : "s",
		        strerror(err));
	if (p->verbose && e.graced)
		fprintf(stderr,
		        "cisandbox: kill grace: %.1f ms from the cancel to the job's last "
		        "process; %s\n",
		        e.grace_ms,
		        e.killed ? "what was left at its end was killed"
		                 : "nothing had to be killed");
	if (p->verbose && r->o.denied_total)
		supervise_report_denials(&r->o);
	if (p->verbose)
		fprintf(
		    stderr,
		    "cisandbox: %s, exit status %d after %.1f ms; init reaped, so every process "
		    "of the sandbox is gone (its mounts go with their namespace's last "
		    "reference)%s\n",
		    e.reason, status, e.duration_ms,
		    !had_cgroup  ? ""
		    : cr.removed ? "; cgroup removed"
		                 : "; cgroup NOT removed");
	return status;
}

/* Nothing of a run that could not start may stay: its cgroup goes, the audit log says why. */
static int not_started(struct run *r)
{
	struct cgroup_result cr;

	net_helper_stop(&r->helper);
	limits_cgroup_teardown(&r->l.cg, &cr);
	setup_error(r, r->error);
	run_close(r);
	return CIS_EXIT_LAUNCHER;
}

int supervise_run(const struct plan *p, const struct audit *audit, bool *launcher_failed)
{
	struct run r = {
	    .l = {.p = p, .msgfd = -1, .syncfd = -1, .handfd = -1, .pre = {.ws = -1}},
	    .o = {.listener = -1, .nw = {.chan = -1, .rpc = -1}, .audit = audit, .p = p},
	    .pend = {-1, -1, -1, -1},
	    .sfd = -1,
	    .msg_r = -1,
	    .sync_w = -1,
	    .hand_w = -1,
	    .audit = audit,
	    .helper = {.exit_w = -1, .ready_r = -1},
	    .netns = {-1, -1},
	    .host_net = -1,
	    .mntfd = -1,
	    .userfd = -1,
	    .hold = {.release_w = -1}};
	char limits[512];
	int status, e;

	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	supervise_start_notes(p);
	*launcher_failed = true;
	if ((status = prepare(&r)) != 0)
		return not_started(&r);
	/* Never silently weaker than asked: a limit nothing enforces is said, with where to look.
	 */
	if (p->limits.cpus_milli && !r.l.cg.cpu)
		fprintf(stderr,
		        "cisandbox: warning: cpu limit not enforced: %s; see 'cisandbox doctor "
		        "--profile %s'\n",
		        r.l.cg.dirfd >= 0 ? "no cgroup v2 cpu controller" : r.l.cg.why,
		        p->profile_name);
	if (p->verbose) {
		limits_describe(p, &r.l.cg, limits, sizeof(limits));
		fprintf(stderr, "cisandbox: limits: %s\n", limits);
	}
	audit_sandbox_create(audit, p, &r.l.cg);
	timing_stamp(T_AUDIT_CREATE);
	/* The first record is the probe: an audit log that must be kept and cannot be written
	 * (a full disk: open succeeds, write fails) stops the run before the job exists. */
	if (p->audit_required && audit_lost(audit, &e)) {
		start_failed(&r, "audit log (audit.required)", strerror(e));
		return not_started(&r);
	}
	if (start(&r) != 0)
		return not_started(&r);
	r.o.helper = &r.helper;
	watch(p, r.init, r.sfd, r.msg_r, &r.o);
	/* Init is reaped, every process of the sandbox gone. The holder lets its mounts go at our
	 * exit: waking it here cost the teardown ~45 µs more (measured, median of 41). */
	nshold_release_at_exit(&r.hold);
	/* The status is the job's (or its timeout's), or our own failure to set it up. */
	*launcher_failed = (r.o.have_error && r.o.error.type != MSG_EXEC_ERROR) ||
	                   (!r.o.have_status && !r.o.timed_out) || r.o.stopped;
	status = finish(&r);
	run_close(&r);
	timing_stamp(T_FINISH);
	return status;
}
