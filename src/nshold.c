/* nshold.c — the holder of the sandbox's mount namespace (see nshold.h). */
#define _GNU_SOURCE
#include "nshold.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

void proc_title(const char *name, const char *title)
{
	char buf[1024], *at;
	unsigned long start = 0, end = 0;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	prctl(PR_SET_NAME, name);
	/* arg_start and arg_end are fields 48 and 49; the name (field 2) may hold spaces. */
	at = strrchr(buf, ')');
	for (int field = 2; at && field < 48; field++)
		at = strchr(at + 1, ' ');
	if (!at || sscanf(at, " %lu %lu", &start, &end) != 2 || end <= start)
		return;
	memset((char *)start, 0, end - start);
	snprintf((char *)start, end - start, "%s %s", name, title);
}

/* Its own session (a runner's group signal for the step must not leave the namespace held
 * either way: a kill just drops the reference sooner), nothing open but the namespace and the
 * pipe, not the runner's stdout or stderr (its log must end when the launcher does). */
static _Noreturn void holder_main(int nsfd, int release_r)
{
	/* Above the standard fds, whatever the launcher was given (with stdin closed, fd 0). */
	int ns = fcntl(nsfd, F_DUPFD_CLOEXEC, 3), rel = fcntl(release_r, F_DUPFD_CLOEXEC, 3);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), lo = ns < rel ? ns : rel,
	    hi = ns < rel ? rel : ns;
	char c;

	sigset_t none;

	if (ns < 0 || rel < 0)
		_exit(1); /* the namespace goes with init, as without a holder */
	/* Not the launcher's mask (its signals wait for its signalfd): a TERM ends us, which only
	 * lets the namespace go with init, as without a holder. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	proc_title("cis-nshold", "(the sandbox's mounts, until its launcher returns)");
	for (int fd = 0; fd < 3; fd++)
		(void)dup2(null, fd);
	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
	while (read(rel, &c, 1) < 0 && errno == EINTR)
		;
	close(ns); /* the unmounting happens here, in our time */
	_exit(0);
}

void nshold_start(struct nshold *h, int nsfd)
{
	int p[2];
	pid_t pid;

	*h = (struct nshold){.release_w = -1};
	if (nsfd < 0)
		return;
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(nsfd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		holder_main(nsfd, p[0]);
	}
	close(p[0]);
	close(nsfd);
	if (pid < 0) {
		close(p[1]);
		return;
	}
	h->release_w = p[1];
}

void nshold_release_at_exit(struct nshold *h)
{
	h->release_w = -1; /* kept open on purpose until we exit or exec */
}

void nshold_release(struct nshold *h)
{
	closep(&h->release_w);
}
