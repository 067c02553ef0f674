/* net_helper.c — the egress helper (slirp4netns, or pasta) attached to the sandbox's network
 * namespace: its start, the wait until it is ready, its stop. */
#define _GNU_SOURCE
#include "net.h"
#include "vmspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
