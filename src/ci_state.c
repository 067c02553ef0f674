/* ci_state.c — where the CI drivers keep per-job state on the host (launcher only): a base
 * directory per driver, private to the runner's account. */
#define _GNU_SOURCE
#include "ci.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ci_state_base(const char *env_var, const char *driver)
{
	static char buf[PATH_MAX];
	const char *env = getenv(env_var), *home = getenv("HOME");
	const char *state = getenv("XDG_STATE_HOME");

	if (env && *env)
		return env; /* the caller checks that it is a clean absolute path */
	if (geteuid() == 0)
		snprintf(buf, sizeof(buf), "/var/lib/cisandbox/%s", driver);
	else if (state && state[0] == '/')
		snprintf(buf, sizeof(buf), "%s/cisandbox/%s", state, driver);
	else
		snprintf(buf, sizeof(buf), "%s/.local/state/cisandbox/%s",
		         home && home[0] == '/' ? home : "/tmp", driver);
	return buf;
}

int ci_make_private_dir(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	/* mkdir -p; the last one 0700: other accounts have no business in a job's state. */
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -errno : 0;
}
