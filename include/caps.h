/* caps.h — capabilities through capset(2) and prctl(2): the full drop, run in the job process
 * just before exec and in the sandbox init once setup is done, and the narrower steps of the
 * helpers the launcher starts. */
#ifndef CIS_CAPS_H
#define CIS_CAPS_H

#include <stdint.h>

/* Lock securebits, empty every capability set (bounding, ambient, inheritable, permitted,
 * effective) and set no_new_privs. 0 or -errno; *what names the part that failed. */
int caps_drop_all(const char **what);
/* The same for a process whose bounding set is empty already (the sandbox init empties its own
 * before it forks the job, which inherits it: one pass of PR_CAPBSET_DROP instead of two). */
int caps_drop_rest(const char **what);
/* Empty the bounding set (needs CAP_SETPCAP). 0 or -errno. */
int caps_drop_bounding(void);
/* Keep only capability `cap` (effective and permitted); none inheritable. 0 or -errno. */
int caps_keep_only(int cap);

#endif
