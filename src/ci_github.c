/* ci_github.c — GitHub Actions runner job hooks: `cisandbox github job-started|job-completed`
 * (ACTIONS_RUNNER_HOOK_JOB_STARTED / _COMPLETED point at a script that runs this).
 *
 * A reused checkout is the classic way one job poisons the next (.git/hooks, .git/config
 * fsmonitor, a planted Makefile): job-started empties GITHUB_WORKSPACE before the job checks
 * out, job-completed empties it and RUNNER_TEMP after. Never through a symlink, never into
 * another filesystem, and never a directory that is not below the runner's _work directory. */
#define _GNU_SOURCE
#include "ci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The runner's work directory: the parent of RUNNER_WORKSPACE (_work/REPO), resolved. */
static bool work_root(char *out)
{
	const char *ws = getenv("RUNNER_WORKSPACE");
	char *slash;

	if (!ws || !realpath(ws, out) || !(slash = strrchr(out, '/')) || slash == out)
		return false;
	*slash = '\0';
	return true;
}

int github_empty(const char *var)
{
	char wreal[PATH_MAX];

	return github_empty_below(var, getenv(var), work_root(wreal) ? wreal : NULL);
}

int github_empty_below(const char *var, const char *path, const char *work)
{
	char real[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (!path || !*path)
		return 0;
	if (!realpath(path, real)) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "cisandbox github: %s=%s: %s\n", var, path, strerror(errno));
		return 1;
	}
	/* The runner's layout: _work/REPO (RUNNER_WORKSPACE), _work/REPO/REPO, _work/_temp. */
	if (!work || !path_has_prefix(real, work) || strcmp(real, work) == 0) {
		fprintf(stderr,
		        "cisandbox github: refusing to empty %s=%s: not below the runner's work "
		        "directory (the parent of RUNNER_WORKSPACE)\n",
		        var, real);
		return 1;
	}
	fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (r = rm_contents(fd)) < 0) {
		fprintf(stderr, "cisandbox github: emptying %s: %s\n", real,
		        strerror(fd < 0 ? errno : -r));
		return 1;
	}
	printf("cisandbox: emptied %s (%s)\n", real, var);
	return 0;
}

int github_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "job-started") == 0)
		return github_empty("GITHUB_WORKSPACE");
	if (strcmp(cmd, "hook") == 0)
		return github_hook_main();
	if (strcmp(cmd, "job-completed") == 0)
		return github_empty("GITHUB_WORKSPACE") | github_empty("RUNNER_TEMP");
	fputs("Usage: cisandbox github job-started|job-completed|hook\n"
	      "Runner job hooks (ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED): empty\n"
	      "GITHUB_WORKSPACE before a job, and it and RUNNER_TEMP after.\n"
	      "hook: the container hook (ACTIONS_RUNNER_CONTAINER_HOOKS=container-hook.js):\n"
	      "every step of every job in a fresh sandbox; reads the runner's JSON on stdin.\n",
	      stderr);
	return 125;
}
