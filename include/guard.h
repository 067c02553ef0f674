/* guard.h — the supervising launcher's own seccomp filter (guard.c), installed once every
 * process it starts has been started: from then on it polls, reads, writes, signals, reaps and
 * tears down, and nothing else. */
#ifndef CIS_GUARD_H
#define CIS_GUARD_H

#include "seccomp.h"

/* Its lists (compiled at build time, tests/gen_seccomp.c). */
extern const struct cis_seccomp_lists guard_lists;
/* Install it (no_new_privs first). 0 or -errno. */
int guard_install(void);

#endif
