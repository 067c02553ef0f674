/* copyup.h — the overlay workspace's entries that the sandbox's user namespace cannot own, copied
 * into the upper layer before the overlay is mounted (sandbox init; see copyup.c). */
#ifndef CIS_COPYUP_H
#define CIS_COPYUP_H

#include <stdbool.h>
#include <stdint.h>

struct copyup_result {
	unsigned long entries; /* looked at */
	unsigned long copied;  /* foreign entries now in the upper layer */
	uint64_t bytes;        /* copied, or that would have been */
	unsigned long failed;  /* foreign entries that could not be copied ... */
	char first[256];       /* ... the first of them, relative to the workspace */
	int err;               /* ... and why (errno) */
	bool truncated;        /* too many entries: the rest was not looked at */
};

/* lower: the workspace (the overlay's lower layer); upper: the upper layer's data directory.
 * Never fails as a whole: what could not be copied is in res. */
void copyup_foreign(int lower, int upper, struct copyup_result *res);

#endif
