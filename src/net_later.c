/* net_later.c — the default mode's network namespace, made beside init's work (see net.h,
 * net_ns_later): a vfork-like child of the launcher joins init's user namespace, unshares a
 * network namespace there (init's to own) and brings lo up; init joins it before the job. */
#define _GNU_SOURCE
#include "net.h"
#include "net_int.h"
#include "vmspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct beside {
	int userns;
	int netfd;        /* out: opened in the child, in the fd table it shares with us */
	int err;          /* out: errno of the step that failed, 0 if none */
	const char *what; /* out: that step */
};

/* The child: it shares our memory and fds (CLONE_VM | CLONE_FILES) until its _exit and we sleep
 * until then (CLONE_VFORK), so it writes only *b and opens only the one fd we keep. No CLONE_FS:
 * setns into a user namespace refuses a shared fs. */
static int beside_child(void *arg)
{
	struct beside *b = arg;
	int r;

	b->what = "join the sandbox's user namespace";
	if (setns(b->userns, CLONE_NEWUSER) < 0)
		goto fail;
	b->what = "unshare a network namespace";
	if (unshare(CLONE_NEWNET) < 0)
		goto fail;
	b->what = "lo up";
	if ((r = net_lo_up()) < 0) {
		b->err = -r;
		_exit(1);
	}
	b->what = "open it";
	if ((b->netfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		goto fail;
	b->err = 0;
	_exit(0);
fail:
	b->err = errno;
	_exit(1);
}

int net_ns_beside(int userns, int *netfd, char *why, size_t len)
{
	struct beside b = {.userns = userns, .netfd = -1, .err = EINVAL, .what = "start"};
	pid_t pid;
	int st;

	*netfd = -1;
	if (userns < 0) {
		snprintf(why, len, "the sandbox's user namespace: not open");
		return -EINVAL;
	}
	pid = vmspawn_flags(beside_child, &b, 16384, CLONE_FILES);
	if (pid < 0) {
		snprintf(why, len, "start its maker: %s", strerror(errno));
		return -errno;
	}
	(void)waitpid(pid, &st, 0);
	if (b.err) {
		if (b.netfd >= 0)
			close(b.netfd);
		snprintf(why, len, "%s: %s", b.what, strerror(b.err));
		return -b.err;
	}
	*netfd = b.netfd;
	return 0;
}

int net_ns_join(int netfd, struct step_err *e)
{
	struct stat born, given;

	/* The launcher hands over a new namespace; the one we were born in is the host's. */
	if (netfd < 0 || fstat(netfd, &given) < 0 || stat("/proc/self/ns/net", &born) < 0)
		return step_fail(e, netfd < 0 ? -EBADF : -errno, "the sandbox's network namespace");
	if (given.st_ino == born.st_ino && given.st_dev == born.st_dev)
		return step_fail(e, -EINVAL, "the network namespace handed over is the host's");
	if (setns(netfd, CLONE_NEWNET) < 0)
		return step_fail(e, -errno, "join the sandbox's network namespace");
	return 0;
}
