/* runner.h — replays of what CI runners do when they start a job step, for the CI integration
 * tests: how they build the command line (template expansion and argument splitting), the
 * environment, the working directory and stdin they give it, the process group they start it
 * in, how they cancel it, and that they wait for stdout/stderr to close. No CI server is
 * reachable here; these follow the runners' documented behaviour (see test_ci.c). */
#ifndef CIS_RUNNER_H
#define CIS_RUNNER_H

#include "harness.h"

/* CANCEL_HOOK: GitHub's runner cancelling a hook process (ProcessInvoker: SIGINT to the pid
 * alone, SIGTERM 7.5 s later, SIGKILL of the pid 2.5 s after that); CANCEL_KILL_PID: the
 * runner's last resort at once, SIGKILL of the pid alone. */
enum cancel {
	NO_CANCEL,
	CANCEL_GITLAB,
	CANCEL_GITHUB,
	CANCEL_FORGEJO,
	CANCEL_HOOK,
	CANCEL_KILL_PID
};

struct step {
	const char *const *argv; /* argv[0] resolved on PATH when it has no '/' */
	const char *const *env;  /* NAME=VALUE, in the runner's order */
	const char *cwd;
	enum mode as;      /* ROOT, or the runner's service account (nobody) */
	bool pty;          /* stdin a pseudo-terminal in its own session (Forgejo) */
	const char *netns; /* run in this test-made network namespace (or NULL) */
	enum cancel cancel;
	const char *cancel_after; /* cancel once this text appears in the output */
	pid_t *launcher_children; /* filled before cancelling: the launcher's child pids */
	const char *stdin_text;   /* written to a pipe on stdin, then closed (else /dev/null) */
};

struct step_result {
	int status;  /* as a shell reports it: 128+N for signal N */
	char *out;   /* stdout and stderr, interleaved as a runner logs them */
	bool eof;    /* stdout/stderr closed (else the runner would still be waiting) */
	bool killed; /* the replay had to escalate (GitHub: to its SIGTERM; others: SIGKILL) */
	pid_t pid;   /* the step's process (its group leader) */
};

void step_run(const struct step *s, struct step_result *r);
/* The runner's reading of a NAME=VALUE file command (GITHUB_OUTPUT, GITHUB_STATE): the value,
 * or NULL. */
char *runner_file_value(const char *file, const char *name);
void step_result_free(struct step_result *r);

/* Split like .NET on Linux (MSVCRT rules: double quotes only, backslashes before quotes). */
int split_msvcrt(const char *line, char **argv, int max);
/* Split like a POSIX shell's words (act's shellquote): '...', "...", backslash escapes. */
int split_posix(const char *line, char **argv, int max);

#endif
