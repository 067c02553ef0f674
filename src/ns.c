/* ns.c — the sandbox side: init (PID 1 of the new user, mount, PID, UTS, IPC, cgroup and network
 * namespaces, cloned by the launcher in supervise.c; without a network, the network namespace
 * comes from the launcher at the network step, see net_ns_later) and the job it starts.
 *
 * In this fixed order (each step reports {step, errno, detail} to the launcher and exits 125 on
 * failure):
 *   init:  wait for id maps → non-dumpable → own session → job identity → build root (/ private,
 *          new root on tmpfs, /proc while the host's is still visible) → pivot_root + detach old
 *          root + read-only / → hostname → network (no network: join the namespace the
 *          launcher made, never the host's; else lo, and with egress: nftables ruleset, the
 *          resolver's sockets to the launcher, wait for the helper's tap0) → empty the bounding
 *          set (the job inherits it) → start the job (vfork-like) → drop own capabilities →
 *          reap, until the job's main process exits (after a forwarded TERM, INT or HUP: until
 *          every process is gone or the kill grace is over)
 *   job:   default signals → new session → working directory (/workspace, or the profile's)
 *          → rlimits → close fds → capabilities + no_new_privs → seccomp (last) → execve */
#define _GNU_SOURCE
#include "ns.h"
#include "caps.h"
#include "net.h"
#include "seccomp.h"
#include "timing.h"
#include "userns.h"
#include "vmspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Signals a CI runner uses to cancel or talk to a job: forwarded launcher → init → job. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

/* SIGQUIT and SIGUSR1/2 only pass through: they talk to the job, they do not end it. */
bool signal_cancels(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

static void send_msg(int fd, int type, int err, int status, const char *step, const char *detail)
{
	struct msg m = {.type = type, .err = err, .status = status};

	snprintf(m.step, sizeof(m.step), "%s", step ? step : "");
	snprintf(m.detail, sizeof(m.detail), "%s", detail ? detail : "");
	(void)write_all(fd, &m, sizeof(m));
}

/* Pass fds (n of them, at most MSG_MAX_FDS, none -1) to the launcher over the message socket. */
static int send_fds(int sock, int type, const int *fds, size_t n)
{
	struct msg m = {.type = type, .status = (int)n};
	char ctl[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)] = {0};
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl,
	                    .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ns_send_fd(int sock, int type, int fd)
{
	return send_fds(sock, type, &fd, 1);
}

/* The launcher's MSG_NETNS on the hand-over socket: the fd it carries, or -1. Blocking: it
 * comes while we build the filesystem, or the launcher kills us. */
static int recv_netns(int sock)
{
	char ctl[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
	struct msg m;
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	c = n == (ssize_t)sizeof(m) ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd >= 0 && m.type != MSG_NETNS)
		closep(&fd);
	return fd;
}

/* Default mode: join the network namespace the launcher made beside us (lo is up in it). */
static int join_netns(int handfd, struct step_err *e)
{
	_cleanup_close_ int fd = recv_netns(handfd);

	return net_ns_join(fd, e);
}

/* ---- job process (forked by init; becomes the user's command) ---- */

static int job_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

static int job_workdir(const struct plan *p, struct step_err *e)
{
	char cwd[PATH_MAX];

	if (chdir(p->workdir) < 0)
		return step_fail(e, -errno, "working directory %s (not visible in the sandbox?)",
		                 p->workdir);
	/* A path outside the new root would read "(unreachable)/..." here; a symlink on the way
	 * would land elsewhere. */
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, p->workdir) != 0)
		return step_fail(e, -EXDEV, "working directory %s is not where it seems",
		                 p->workdir);
	return 0;
}

static int job_setup(const struct launch *l, const char **step, struct step_err *e)
{
	const struct plan *p = l->p;
	const char *what = NULL;
	int r, listener = -1;

	*step = "signals";
	if ((r = job_signals()) < 0)
		return r;
	/* Its own session: no controlling terminal of the caller (TIOCSTI, CVE-2017-5226), and a
	 * process group init can signal as a whole. */
	*step = "session";
	if (setsid() < 0)
		return -errno;
	*step = "workdir";
	if ((r = job_workdir(l->p, e)) < 0)
		return r;
	*step = "rlimits";
	if ((r = limits_apply_rlimits(p, &l->cg, &what)) < 0)
		return step_fail(e, r, "%s", what);
	/* Only 0, 1, 2 reach the job: every other fd (the caller's, ours) closes at exec. */
	*step = "close fds";
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	timing_stamp(T_J_SETUP);
	/* The bounding set is init's, emptied before it forked us. */
	*step = "capabilities";
	if ((r = caps_drop_rest(&what)) < 0)
		return step_fail(e, r, "%s", what);
	timing_stamp(T_J_CAPS);
	/* Last: from here on only the filter's syscalls work (sendmsg, close and execve among
	 * them). */
	*step = "seccomp";
	if ((r = cis_seccomp_load(&l->prog, p->seccomp.log_denied, &listener)) < 0)
		return r;
	timing_stamp(T_J_SECCOMP);
	if (listener >= 0) {
		/* No wait for the launcher to hold it: the socket is init's too, exec does not
		 * release it, and a denied call made meanwhile waits in the kernel until the
		 * launcher reads the listener. (An ack cost two context switches per launch,
		 * 0.18 ms measured, and no unix-socket garbage collection shows without it.) */
		r = ns_send_fd(l->msgfd, MSG_LISTENER, listener);
		close(listener);
		if (r < 0)
			return step_fail(e, r, "hand the notification fd to the supervisor");
		timing_stamp(T_J_LISTENER);
	}
	return 0;
}

static noreturn void job_main(const struct launch *l)
{
	const struct plan *p = l->p;
	struct step_err e = {0};
	const char *step = NULL;
	int msgfd = l->msgfd;
	int r = job_setup(l, &step, &e);

	if (r < 0) {
		send_msg(msgfd, MSG_SETUP_ERROR, -r, 0, step, e.detail);
		_exit(CIS_EXIT_LAUNCHER);
	}
	/* execvp searches the PATH of environ: the job's, not the launcher's. */
	environ = p->env.v;
	timing_stamp(T_J_EXEC);
	execvp(p->argv.v[0], p->argv.v);
	r = errno;
	send_msg(msgfd, MSG_EXEC_ERROR, r, 0, "exec", p->argv.v[0]);
	_exit(r == ENOENT ? CIS_EXIT_NOTFOUND : CIS_EXIT_CANNOT);
}

struct job_start {
	const struct launch *l;
	int sfd;
};

static int job_entry(void *arg)
{
	const struct job_start *js = arg;

	timing_stamp(T_J_START);
	close(js->sfd);
	job_main(js->l);
}

/* The job only sets itself up and execs: started vfork-like (vmspawn.h), it copies nothing of
 * init's address space (a fork's page tables and copy-on-write faults, then their teardown at
 * exec: ~0.24 ms measured); init sleeps until it has exec'd. Nothing on its way allocates. */
static pid_t spawn_job(const struct launch *l, int sfd)
{
	struct job_start js = {l, sfd};

	/* execvp builds its candidate names on the stack, and a script's new argv (argc + 2). */
	return vmspawn(job_entry, &js, (1 << 20) + (l->p->argv.n + 3) * sizeof(char *));
}

/* ---- sandbox init (PID 1 inside) ---- */

/* Close every fd but those in keep (sorted ascending): the caller's fds must not be held open by
 * the sandbox, e.g. a runner waiting for EOF on a pipe it gave the launcher. */
static void close_all_but(const int *keep, size_t n)
{
	unsigned lo = 3;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/* The network step: the namespace joined or set up, the resolver's sockets handed over. */
static int init_network(const struct launch *l, int *nflog, struct step_err *e)
{
	const struct plan *p = l->p;
	int r, dns[3] = {-1, -1, -1};

	/* The ruleset names no interface but lo, so it goes in first, while the helper is still
	 * starting (the first nftables and conntrack use in a namespace costs milliseconds). */
	/* Launched by root with egress, the launcher has programmed the network namespace
	 * (net_ns_separate): here init has no capability over it, by design. */
	r = net_ns_later(p)      ? join_netns(l->handfd, e)
	    : net_ns_separate(p) ? 0
	                         : net_setup(p, nflog, dns, e);
	if (r == 0 && dns[0] >= 0 &&
	    (r = send_fds(l->msgfd, MSG_DNS, dns, dns[2] >= 0 ? 3 : 2)) < 0)
		step_fail(e, r, "hand the resolver to the supervisor");
	for (int i = 0; i < 3; i++)
		closep(&dns[i]); /* the launcher holds them now */
	return r;
}

static int init_setup(struct launch *l, const char **step, struct step_err *e)
{
	const struct plan *p = l->p;
	const int syncfd = l->syncfd, msgfd = l->msgfd;
	_cleanup_close_ int root = -1, nflog = -1;
	int r;

	*step = "identity";
	if ((r = userns_enter_identity(p)) < 0)
		return r;
	timing_stamp(T_I_IDENTITY);
	/* The kernel clears the parent-death signal on any euid/egid change: arm it again, then
	 * make sure the launcher did not die in between (its end of the sync pipe stays open
	 * for as long as it lives). */
	*step = "parent-death signal";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	{
		/* Hang-up only: data may be waiting (the launcher's "network ready"). */
		struct pollfd pf = {syncfd, 0, 0};

		if (poll(&pf, 1, 0) < 0 || (pf.revents & (POLLHUP | POLLERR)))
			return -ESRCH;
	}
	*step = "mount";
	if ((r = mount_build_root(p, &l->pre, &root, e)) < 0)
		return r;
	*step = "pivot_root";
	if ((r = mount_pivot(root, e)) < 0)
		return r;
	timing_stamp(T_I_PIVOT);
	*step = "hostname";
	if (sethostname(CIS_HOSTNAME, strlen(CIS_HOSTNAME)) < 0)
		return -errno;
	*step = "network";
	if ((r = init_network(l, &nflog, e)) < 0)
		return r;
	timing_stamp(T_I_NETWORK);
	/* With egress the helper started while we built the filesystem; the launcher says when
	 * tap0 is configured. The job starts only after that. EOF: the launcher (or the helper)
	 * failed. */
	if (p->net.mode != NET_NONE) {
		char c = 0;

		if (read(syncfd, &c, 1) != 1 || c != 'N')
			return step_fail(e, -ENETDOWN, "network helper did not come up");
		timing_stamp(T_I_HELPER_WAIT);
	}
	/* Audit mode: the launcher reads the flows; we keep no copy. */
	if (nflog >= 0 && (r = ns_send_fd(msgfd, MSG_NFLOG, nflog)) < 0)
		return step_fail(e, r, "hand the flow log to the supervisor");
	return 0;
}

static void forward(pid_t job, bool main_done, int sig)
{
	/* The job leads its own process group: signal all of it, like a terminal or a runner
	 * would; before its setsid() the group does not exist yet. Once the main process is
	 * reaped its pid may be reused: then only the group, while it has members. */
	if (kill(-job, sig) < 0 && !main_done)
		kill(job, sig);
}

/* The job's end, as init sees it. */
struct reap {
	pid_t job;
	int status;               /* the main process's wait status */
	bool main_done;           /* ... is known */
	bool gone;                /* no process but init is left */
	bool cancelled;           /* a TERM, INT or HUP was forwarded */
	struct timespec deadline; /* then: the end of the kill grace */
};

static void reap_exited(struct reap *r)
{
	int st;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0)
		if (w == r->job)
			r->main_done = true, r->status = st;
	r->gone = w < 0 && errno == ECHILD;
}

/* Milliseconds until the deadline (0 once it has passed), as poll wants them. */
static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
	     (t->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* One signal, waiting at most timeout ms (-1: forever). -1 if the signalfd broke. */
static int next_signal(const struct plan *p, struct reap *r, int sfd, int timeout)
{
	struct pollfd pf = {sfd, POLLIN, 0};
	struct signalfd_siginfo si;
	int n = poll(&pf, 1, timeout);

	if (n == 0 || (n < 0 && errno == EINTR))
		return 0; /* the deadline, or a stray interruption */
	if (n < 0)
		return -1;
	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (si.ssi_signo == SIGCHLD) {
		reap_exited(r);
		return 0;
	}
	if (signal_cancels((int)si.ssi_signo) && !r->cancelled) {
		uint64_t ms = p->kill_grace_ms;

		r->cancelled = true;
		clock_gettime(CLOCK_MONOTONIC, &r->deadline);
		r->deadline.tv_sec += (time_t)(ms / 1000);
		r->deadline.tv_nsec += (long)(ms % 1000) * 1000000;
		if (r->deadline.tv_nsec >= 1000000000)
			r->deadline.tv_sec++, r->deadline.tv_nsec -= 1000000000;
	}
	forward(r->job, r->main_done, (int)si.ssi_signo);
	return 0;
}

/* The grace is over: SIGKILL what is left of the job and reap it. Returns how many. */
static int kill_rest(void)
{
	int n = 0, st;

	/* From PID 1, -1 is every other process of this PID namespace (all of the job's uid).
	 * A fork racing with it sees its parent's pending SIGKILL and fails. */
	if (kill(-1, SIGKILL) < 0)
		return 0;
	while (waitpid(-1, &st, 0) > 0)
		n++;
	return n;
}

/* Reap until the job's main process exits and report its status. Without a cancel, init then
 * exits, and the kernel kills and reaps everything left in the PID namespace before init's own
 * exit completes (zap_pid_ns_processes): no daemon the job started outlives the run, and the
 * launcher's waitpid(init) returns only once they are all gone. That is much faster than
 * killing and reaping them one by one from here.
 * After a cancel, the main process's exit is not the end: a shell that dies of the TERM at
 * once must not take its subshells' traps with it (GitLab runs every script as
 * `: | eval '...'`). Every process gets the grace, and only what is left at its end is
 * killed; meanwhile the job's stdout and stderr stay open, so what a trap prints is logged. */
static void init_wait(const struct plan *p, pid_t job, int sfd, int msgfd)
{
	struct reap r = {.job = job, .status = 0x7f00}; /* a broken signalfd: a failure */

	while (!r.main_done)
		if (next_signal(p, &r, sfd, -1) < 0)
			break;
	timing_stamp(T_I_JOB_REAPED);
	send_msg(msgfd, MSG_STATUS, 0, r.status, "exit", NULL);
	if (!r.main_done || !r.cancelled)
		return;
	while (!r.gone && ms_until(&r.deadline) > 0)
		if (next_signal(p, &r, sfd, ms_until(&r.deadline)) < 0)
			break;
	send_msg(msgfd, MSG_GRACE, 0, r.gone ? 0 : kill_rest(), "grace", NULL);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Keep only our pipes and the launcher's prepared mount fds; close the caller's. */
static void init_close_fds(const struct launch *l)
{
	const struct mount_fds *pre = &l->pre;
	const struct plan *p = l->p;
	int keep[3 + 64];
	size_t n = 0;

	keep[n++] = l->msgfd;
	keep[n++] = l->syncfd;
	if (l->handfd >= 0)
		keep[n++] = l->handfd;
	if (pre->ws >= 0)
		keep[n++] = pre->ws;
	for (size_t i = 0; pre->binds && i < p->n_mounts && n < ARRAY_SIZE(keep); i++)
		if (pre->binds[i] >= 0)
			keep[n++] = pre->binds[i];
	qsort(keep, n, sizeof(int), cmp_int);
	close_all_but(keep, n);
}

noreturn void ns_init_main(struct launch *l)
{
	const struct plan *p = l->p;
	int msgfd = l->msgfd, syncfd = l->syncfd;
	struct step_err e = {0};
	const char *step = "startup", *what;
	sigset_t mask;
	pid_t job = -1;
	char c;
	int r, sfd;

	/* The sandbox dies with the launcher, even on SIGKILL. If the launcher is already gone,
	 * the sync pipe reads EOF and we stop here. */
	timing_stamp(T_I_START);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(syncfd, &c, 1) != 1)
		_exit(CIS_EXIT_LAUNCHER);
	timing_stamp(T_I_MAPS);
	init_close_fds(l);
	/* Non-dumpable: the job (same uid) cannot ptrace us, read our memory (a copy of the
	 * launcher's, with the caller's environment) or open /proc/1/exe. */
	prctl(PR_SET_DUMPABLE, 0);
	/* Leave the launcher's process group: a runner's group-wide SIGTERM reaches the job once,
	 * through the launcher; PDEATHSIG still ties us to it. */
	setsid();
	signal_set(&mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	timing_stamp(T_I_SESSION);
	r = sfd < 0 ? -errno : init_setup(l, &step, &e);
	close(syncfd);
	/* Init never execs: an empty bounding set costs it nothing, and the job inherits it. */
	if (r == 0 && (step = "bounding set", r = caps_drop_bounding()) == 0 &&
	    (step = "fork job", job = spawn_job(l, sfd)) < 0)
		r = -errno;
	if (r < 0) {
		send_msg(msgfd, MSG_SETUP_ERROR, -r, 0, step, e.detail);
		_exit(CIS_EXIT_LAUNCHER);
	}
	timing_stamp(T_I_FORK);
	/* Init needs no privilege to reap and to signal processes of its own uid. */
	if ((r = caps_drop_rest(&what)) < 0) {
		kill(job, SIGKILL);
		send_msg(msgfd, MSG_SETUP_ERROR, -r, 0, "init capabilities", what);
		_exit(CIS_EXIT_LAUNCHER);
	}
	timing_stamp(T_I_CAPS);
	init_wait(p, job, sfd, msgfd);
	timing_stamp(T_I_EXIT);
	_exit(0);
}
