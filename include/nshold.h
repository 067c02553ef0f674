/* nshold.h — keep the sandbox's mount namespace for a moment past the run, in a small process
 * of ours, so that the unmounting of its whole tree (a superblock shutdown per tmpfs and an
 * expedited RCU grace period: ~0.2 ms) happens after the launcher has returned instead of in
 * init's exit, which the launcher waits for. The kernel already tears the network namespace
 * down that way (asynchronously). Nothing of the job is in the namespace by then: its processes
 * are gone with the PID namespace before waitpid(init) returns; only mounts no process can
 * reach stay, held by one fd, until the holder sees its pipe close. */
#ifndef CIS_NSHOLD_H
#define CIS_NSHOLD_H

#include <sys/types.h>

/* Nothing of ours waits for the holder (it is reparented when we exit): only its pipe is kept. */
struct nshold {
	int release_w; /* -1: none (the namespace goes with init); the holder lets go when this
	                * closes (or we die) */
};

/* Fork the holder with nsfd (a /proc/PID/ns/mnt fd, closed here either way). A failure only
 * means no holder. */
void nshold_start(struct nshold *h, int nsfd);
/* Let it go: it closes the namespace and exits on its own; not waited for. */
void nshold_release(struct nshold *h);
/* Let it go at our exit instead, when the kernel closes our end of its pipe (close-on-exec, so
 * an exec lets it go too): on the run's path that costs less than waking it now. */
void nshold_release_at_exit(struct nshold *h);
/* ps and /proc/PID/cmdline show a forked helper of ours as NAME TITLE, not as a copy of the
 * launcher's command line (which names the job): the argument area is overwritten
 * (setproctitle's way), the comm set to NAME. */
void proc_title(const char *name, const char *title);

#endif
