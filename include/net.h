/* net.h — the sandbox's network namespace (child, before the job starts). */
#ifndef CIS_NET_H
#define CIS_NET_H

#include "plan.h"

/* Mode none: bring up lo; nothing else exists in the namespace. 0 or -errno. */
int net_setup(const struct plan *p);

#endif
