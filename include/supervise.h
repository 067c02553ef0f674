/* supervise.h — the process model. The launcher clones the sandbox init (PID 1 of new user,
 * mount, PID, UTS, IPC, cgroup and network namespaces), writes its id maps, and supervises it:
 * signals, timeout, exit status. The init builds the sandbox, forks the job, reaps, and on the
 * job's exit kills everything left. */
#ifndef CIS_SUPERVISE_H
#define CIS_SUPERVISE_H

#include "plan.h"

struct audit;

/* Run the plan's job; returns the launcher's exit status (see cisandbox(1)). Events go to the
 * audit log when it is open. */
int supervise_run(const struct plan *p, const struct audit *audit);

#endif
