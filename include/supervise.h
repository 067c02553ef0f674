/* supervise.h — the process model. The launcher clones the sandbox init (PID 1 of new user,
 * mount, PID, UTS, IPC, cgroup and network namespaces), writes its id maps, and supervises it:
 * signals, timeout, exit status. The init builds the sandbox, forks the job, reaps, and on the
 * job's exit kills everything left; after a forwarded TERM, INT or HUP (a cancel, the timeout)
 * it first gives every process of the job the kill grace. */
#ifndef CIS_SUPERVISE_H
#define CIS_SUPERVISE_H

#include "ns.h"
#include "plan.h"

#include <stdbool.h>

struct audit;

/* Run the plan's job; returns the launcher's exit status (see cisandbox(1)). Events go to the
 * audit log when it is open. *launcher_failed: the status is ours (the sandbox could not be
 * set up), not the job's (CI integrations report the two differently). */
int supervise_run(const struct plan *p, const struct audit *audit, bool *launcher_failed);

#endif
