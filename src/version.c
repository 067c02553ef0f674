/* version.c — `cisandbox version`: the release, the git commit it was built from and the
 * libraries it was built with (pkg-config at build time, build/build_info.h) and, for those
 * that can tell, runs with. */
#define _GNU_SOURCE
#include "version.h"
#include "build_info.h"

#include <seccomp.h>

void version_print(FILE *out)
{
	const struct scmp_version *sv = seccomp_version();

	fprintf(out, "cisandbox %s\n", CIS_VERSION);
	fprintf(out, "commit: %s\n", CIS_GIT_COMMIT[0] ? CIS_GIT_COMMIT : "unknown");
	/* Neither libmnl nor libcjson is linked: src/netlink.c is libmnl's API, for us and for
	 * libnftnl, and src/json.c our JSON. */
	fprintf(out, "built with: %s; libmnl API and JSON: our own\n", CIS_LIBS);
	/* libseccomp and libnftnl are linked statically. */
	fprintf(out, "running with: libseccomp %u.%u.%u\n", sv ? sv->major : 0, sv ? sv->minor : 0,
	        sv ? sv->micro : 0);
}
