/* caps.c — drop every capability for good (job process before exec; init after setup). */
#define _GNU_SOURCE
#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

int caps_drop_all(const char **what)
{
	/* Securebits first: setting them needs CAP_SETPCAP, which the drop below removes. Locked
	 * NOROOT and NO_SETUID_FIXUP mean uid 0 (or a setuid binary) gains nothing on exec. */
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                           SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                           SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	*what = "securebits";
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;
	*what = "capabilities";
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	/* libcap-ng 0.8 does not clear ambient in SELECT_ALL on every version: be explicit. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	*what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
