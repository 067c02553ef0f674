/* runner.c — the runners' side of a job step, replayed (see runner.h). */
#define _GNU_SOURCE
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY_ID 65534

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* argv[0] on the PATH of the step's environment, as the runners resolve it. */
static char *resolve(const char *cmd, const char *const *env)
{
	const char *path = "/usr/bin:/bin";
	char *copy, *save = NULL;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	for (const char *const *e = env; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	copy = strdup(path);
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *full;

		if (asprintf(&full, "%s/%s", d, cmd) < 0)
			break;
		if (access(full, X_OK) == 0) {
			free(copy);
			return full;
		}
		free(full);
	}
	free(copy);
	return strdup(cmd);
}

static void child(const struct step *s, int out, const char *pts, int in)
{
	char *exe = resolve(s->argv[0], s->env);

	if (s->pty) {
		int t;

		/* Forgejo: a PTY in its own session, as the controlling terminal. */
		if (setsid() < 0 || (t = open(pts, O_RDWR)) < 0 || ioctl(t, TIOCSCTTY, 0) < 0 ||
		    dup2(t, 0) < 0)
			_exit(120);
	} else {
		int null = in >= 0 ? in : open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null < 0 || dup2(null, 0) < 0)
			_exit(120);
	}
	if (dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(120);
	if (s->netns) {
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", s->netns);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(121);
	}
	if (s->cwd && chdir(s->cwd) < 0)
		_exit(122);
	if (s->as == ROOTLESS &&
	    (setgroups(0, NULL) < 0 || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0 ||
	     setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0))
		_exit(123);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	execve(exe, (char *const *)s->argv, (char *const *)s->env);
	_exit(127);
}

/* The launcher's children (sandbox init, network helper), before a cancel takes them away. */
static void children_of(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) && n + 1 < max) {
		char path[300];
		int ppid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) == 1 && ppid == parent)
			out[n++] = atoi(e->d_name);
		fclose(f);
	}
	out[n] = 0;
	if (d)
		closedir(d);
}

static void append(struct step_result *r, size_t *len, const char *buf, size_t n)
{
	r->out = realloc(r->out, *len + n + 1);
	memcpy(r->out + *len, buf, n);
	*len += n;
	r->out[*len] = '\0';
}

/* The runners' cancel sequences, in phases over time since the cancel began. */
static void cancel_tick(const struct step *s, struct step_result *r, long since, int *phase)
{
	pid_t g = -r->pid;

	if (s->cancel == CANCEL_GITLAB) { /* SIGTERM to the group, SIGKILL after the grace */
		if (*phase == 0)
			kill(g, SIGTERM), *phase = 1;
		else if (*phase == 1 && since > 10000)
			kill(g, SIGKILL), r->killed = true, *phase = 2;
	} else if (s->cancel == CANCEL_GITHUB) {
		/* SIGINT, SIGTERM 7.5 s later, to the step's process alone (the runner's
		 * ProcessInvoker signals its pid, not a group), then a kill of the whole tree. */
		if (*phase == 0)
			kill(r->pid, SIGINT), *phase = 1;
		else if (*phase == 1 && since > 7500)
			kill(r->pid, SIGTERM), r->killed = true, *phase = 2;
		else if (*phase == 2 && since > 10000)
			kill(g, SIGKILL), *phase = 3;
	} else if (s->cancel == CANCEL_FORGEJO && *phase == 0) { /* SIGKILL, no grace */
		kill(g, SIGKILL);
		*phase = 1;
	} else if (s->cancel == CANCEL_HOOK) { /* the pid alone: SIGINT, SIGTERM, SIGKILL */
		if (*phase == 0)
			kill(r->pid, SIGINT), *phase = 1;
		else if (*phase == 1 && since > 7500)
			kill(r->pid, SIGTERM), r->killed = true, *phase = 2;
		else if (*phase == 2 && since > 10000)
			kill(r->pid, SIGKILL), *phase = 3;
	} else if (s->cancel == CANCEL_KILL_PID && *phase == 0) {
		kill(r->pid, SIGKILL);
		*phase = 1;
	}
}

void step_run(const struct step *s, struct step_result *r)
{
	int p[2], in[2] = {-1, -1}, st = 0, phase = 0, master = -1;
	long start = now_ms(), cancel_at = 0, exit_at = 0;
	bool exited = false;
	size_t len = 0;
	char *pts = NULL;

	*r = (struct step_result){.status = -1, .out = strdup("")};
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	if (s->pty) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
		pts = ptsname(master);
		if (s->as == ROOTLESS)
			cr_assert(chown(pts, NOBODY_ID, NOBODY_ID) == 0);
	}
	if (s->stdin_text)
		cr_assert(pipe2(in, O_CLOEXEC) == 0);
	r->pid = fork();
	cr_assert(r->pid >= 0);
	if (r->pid == 0)
		child(s, p[1], pts, in[0]);
	close(p[1]);
	if (s->stdin_text) {
		/* One write, then EOF, as the runner does (small enough for the pipe buffer). */
		close(in[0]);
		cr_assert(write(in[1], s->stdin_text, strlen(s->stdin_text)) ==
		          (ssize_t)strlen(s->stdin_text));
		close(in[1]);
	}
	for (;;) {
		struct pollfd pf = {p[0], POLLIN, 0};
		char buf[4096];
		ssize_t n;

		if (!exited && waitpid(r->pid, &st, WNOHANG) == r->pid)
			exited = true, exit_at = now_ms();
		if (s->cancel && !cancel_at && s->cancel_after && strstr(r->out, s->cancel_after)) {
			if (s->launcher_children)
				children_of(r->pid, s->launcher_children, 8);
			cancel_at = now_ms();
		}
		if (cancel_at && !exited)
			cancel_tick(s, r, now_ms() - cancel_at, &phase);
		/* Bounded: a runner waits for EOF, a test must not wait forever. */
		if (now_ms() - start > 60000 || (exited && now_ms() - exit_at > 20000))
			break;
		if (poll(&pf, 1, 50) <= 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n == 0) {
			r->eof = true;
			break;
		}
		if (n > 0)
			append(r, &len, buf, (size_t)n);
	}
	close(p[0]);
	if (!exited) {
		if (!r->eof)
			kill(-r->pid, SIGKILL);
		waitpid(r->pid, &st, 0);
	}
	r->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	unwarned(r->out); /* the steps' tests compare what the job printed */
	if (master >= 0)
		close(master);
}

char *runner_file_value(const char *file, const char *name)
{
	char *text = read_text(file), *line, *save = NULL;
	size_t n = strlen(name);

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, name, n) == 0 && line[n] == '=')
			return strdup(line + n + 1);
	return NULL;
}

void step_result_free(struct step_result *r)
{
	free(r->out);
	r->out = NULL;
}

int split_msvcrt(const char *s, char **argv, int max)
{
	int n = 0;

	while (*s && n < max - 1) {
		char *arg = malloc(strlen(s) + 1), *o = arg;
		bool quoted = false;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s) {
			free(arg);
			break;
		}
		while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
			size_t bs = strspn(s, "\\");

			if (bs && s[bs] == '"') {
				/* 2n backslashes and a quote: n backslashes, then the quote
				 * toggles; 2n+1: n backslashes and a literal quote. */
				for (size_t i = 0; i < bs / 2; i++)
					*o++ = '\\';
				s += bs;
				if (bs % 2) {
					*o++ = '"';
					s++;
				}
				continue;
			}
			if (bs) {
				memcpy(o, s, bs);
				o += bs;
				s += bs;
				continue;
			}
			if (*s == '"') {
				if (quoted && s[1] == '"') { /* "" inside quotes: a literal quote */
					*o++ = '"';
					s += 2;
					continue;
				}
				quoted = !quoted;
				s++;
				continue;
			}
			*o++ = *s++;
		}
		*o = '\0';
		argv[n++] = arg;
	}
	argv[n] = NULL;
	return n;
}

int split_posix(const char *s, char **argv, int max)
{
	int n = 0;

	while (*s && n < max - 1) {
		char *arg = malloc(strlen(s) + 1), *o = arg;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s) {
			free(arg);
			break;
		}
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'') {
				for (s++; *s && *s != '\'';)
					*o++ = *s++;
				s += *s == '\'';
			} else if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
						s++;
					*o++ = *s;
				}
				s += *s == '"';
			} else if (*s == '\\' && s[1]) {
				*o++ = s[1];
				s += 2;
			} else {
				*o++ = *s++;
			}
		}
		*o = '\0';
		argv[n++] = arg;
	}
	argv[n] = NULL;
	return n;
}
