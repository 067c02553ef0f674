/* caps.c — capabilities, straight through capset(2) and prctl(2): dropped for good in the job
 * process before exec and in the sandbox init after setup; narrowed in the helpers that start
 * the network (net.c) and the resolver's child (netwatch.c). No library: libcap-ng read
 * /proc/self/status three times per drop (and /proc/sys/kernel/cap_last_cap in a constructor
 * at every launch), ~0.15 ms per process on the way to the job. */
#define _GNU_SOURCE
#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int caps_drop_bounding(void)
{
	/* Past the kernel's last capability PR_CAPBSET_DROP says EINVAL: no table to go stale. */
	for (unsigned long cap = 0;; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return errno == EINVAL && cap > 0 ? 0 : -errno;
}

/* Effective and permitted: `keep` (a bit mask of capabilities 0..63); inheritable: none. */
static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
	    {.effective = (uint32_t)keep, .permitted = (uint32_t)keep},
	    {.effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32)}};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int caps_keep_only(int cap)
{
	return set_caps(1ull << cap);
}

static int drop(bool bounding, const char **what)
{
	/* Securebits first: setting them needs CAP_SETPCAP, which the drop below removes. Locked
	 * NOROOT and NO_SETUID_FIXUP mean uid 0 (or a setuid binary) gains nothing on exec. */
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                           SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                           SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	int r;

	*what = "securebits";
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;
	/* The bounding set before the rest: dropping from it takes CAP_SETPCAP. */
	*what = "capabilities";
	if ((bounding && (r = caps_drop_bounding()) < 0) || (r = set_caps(0)) < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	*what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int caps_drop_all(const char **what)
{
	return drop(true, what);
}

int caps_drop_rest(const char **what)
{
	return drop(false, what);
}
