/* policy.c — the decision point (see policy.h). A decision program is the operator's (a
 * profile or the command line names it): it runs as the launcher's user, with /bin/sh -c, a
 * small fixed environment, `{"input": ...}` on stdin, its answer on stdout (at most 64 KiB)
 * and stderr passed through, in a process group of its own that is killed whole when its time
 * is up or once it has answered: nothing of it outlives the decision. */
#define _GNU_SOURCE
#include "policy.h"
#include "audit.h"
#include "policy_eval.h"
#include "policy_input.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What one decision program did. */
struct prog_run {
	char *out; /* its stdout */
	size_t len;
	int status;   /* wait status, once reaped */
	bool reaped;  /* it exited */
	bool expired; /* its time ran out first */
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static _Noreturn void prog_child(const char *cmd, int in, int out)
{
	static const char *const keep[] = {"HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"};
	const char *path = getenv("PATH");
	char *env[ARRAY_SIZE(keep) + 3];
	size_t n = 0;
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	syscall(SYS_close_range, 3u, ~0u, 0u);
	env[n++] = xasprintf("PATH=%s", path && *path ? path : DEFAULT_PATH);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (getenv(keep[i]))
			env[n++] = xasprintf("%s=%s", keep[i], getenv(keep[i]));
	env[n++] = xasprintf("CISANDBOX_POLICY_INPUT_VERSION=%d", POLICY_INPUT_VERSION);
	env[n] = NULL;
	execve("/bin/sh", (char *[]){"sh", "-c", (char *)cmd, NULL}, env);
	_exit(127);
}

static const char *say(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return why;
}

static void reap(pid_t pid, struct prog_run *r, bool block)
{
	if (!r->reaped && waitpid(pid, &r->status, block ? 0 : WNOHANG) == pid)
		r->reaped = true;
}

/* Feed stdin, collect stdout, until it has exited and closed stdout, or the deadline. */
static void prog_io(pid_t pid, int in, int out, const char *input, uint64_t deadline,
                    struct prog_run *r)
{
	size_t sent = 0, len = strlen(input), cap = POLICY_ANSWER_MAX + 2;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	r->out = xmalloc(cap);
	while (!(r->reaped && out < 0)) {
		uint64_t t = now_ms();
		struct pollfd pf[3] = {{sent < len ? in : -1, POLLOUT, 0},
		                       {out, POLLIN, 0},
		                       {r->reaped ? -1 : pidfd, POLLIN, 0}};

		if (t >= deadline) {
			r->expired = true;
			break;
		}
		/* Without a pidfd (old kernel), look for its exit every 20 ms. */
		if (poll(pf, 3, pidfd < 0 ? 20 : (int)(deadline - t)) < 0 && errno != EINTR)
			break;
		if (pf[0].revents) {
			ssize_t n = send(in, input + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

			sent = n > 0 ? sent + (size_t)n : n < 0 && errno == EAGAIN ? sent : len;
		}
		if (sent == len && in >= 0)
			closep(&in); /* EOF: the whole input is there */
		if (pf[1].revents) {
			ssize_t n = read(out, r->out + r->len, cap - 1 - r->len);

			if (n > 0)
				r->len += (size_t)n;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN) || r->len == cap - 1)
				closep(&out);
		}
		reap(pid, r, false);
	}
	r->out[r->len] = '\0';
	closep(&in);
	closep(&out);
	closep(&pidfd);
}

/* Run one program; NULL with r filled, or why there is no answer. */
static const char *prog_run(const struct policy_prog *pg, const char *input, uint64_t timeout_ms,
                            struct prog_run *r, char *why, size_t wlen)
{
	int in[2], out[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return say(why, wlen, "cannot start it: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		say(why, wlen, "cannot start it: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return why;
	}
	fflush(NULL);
	if ((pid = fork()) == 0)
		prog_child(pg->cmd, in[1], out[1]);
	close(in[1]);
	close(out[1]);
	if (pid < 0) {
		say(why, wlen, "cannot start it: %s", strerror(errno));
		close(in[0]);
		close(out[0]);
		return why;
	}
	prog_io(pid, in[0], out[0], input, now_ms() + timeout_ms, r);
	/* Its whole group goes: what it started must not outlive the decision. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	reap(pid, r, true);
	if (r->expired) {
		char buf[32];

		return say(why, wlen, "timed out after %s", format_duration(timeout_ms, buf));
	}
	if (WIFSIGNALED(r->status))
		return say(why, wlen, "killed by signal %s",
		           sigabbrev_np(WTERMSIG(r->status)) ?: "?");
	if (WEXITSTATUS(r->status))
		return say(why, wlen, "exited with status %d", WEXITSTATUS(r->status));
	return NULL;
}

static void audit_decision(const struct audit *a, const char *decider, const char *cmd, bool allow,
                           const struct strv *reasons, const char *error)
{
	struct json *f = json_new_object();

	json_add_string(f, "decider", decider);
	if (cmd)
		json_add_string(f, "command", cmd);
	json_add_bool(f, "allow", allow);
	json_add(f, "reasons", policy_json_strv(reasons));
	if (error)
		json_add_string(f, "error", error);
	audit_event(a, "policy.decision", f);
}

static char *joined(const struct strv *s)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < s->n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "; " : "", s->v[i]);

		free(out);
		out = next;
	}
	return out;
}

static int deny(struct cis_err *err, const char *decider, const char *cmd,
                const struct strv *reasons)
{
	_cleanup_free_ char *why = joined(reasons);

	cis_err_set(err, "%s%s%s%s: the run is denied%s%s", decider, cmd ? " '" : "",
	            cmd ? cmd : "", cmd ? "'" : "", *why ? ": " : "", *why ? why : "");
	return -EPERM;
}

/* One decision program: its answer, or no decision (fail closed). */
static int ask(const struct plan *p, const struct policy_prog *pg, const char *input,
               const struct audit *a, struct cis_err *err)
{
	struct prog_run r = {0};
	struct policy_answer ans = {0};
	char why[160];
	const char *no = prog_run(pg, input, p->policy.timeout_ms, &r, why, sizeof(why));
	int status = 0;

	if (!no && (no = policy_answer_parse(r.out, r.len, &ans)))
		no = say(why, sizeof(why), "its answer: %s", no);
	free(r.out);
	if (no) {
		audit_decision(a, pg->origin, pg->cmd, false, &ans.reasons, no);
		cis_err_set(err, "%s '%s': no decision (%s): the run is refused", pg->origin,
		            pg->cmd, no);
		return r.expired ? -ETIMEDOUT : -EIO;
	}
	audit_decision(a, pg->origin, pg->cmd, ans.allow, &ans.reasons, NULL);
	if (!ans.allow)
		status = deny(err, pg->origin, pg->cmd, &ans.reasons);
	else if (p->verbose)
		fprintf(stderr, "cisandbox: %s '%s': the run is allowed\n", pg->origin, pg->cmd);
	policy_answer_free(&ans);
	return status;
}

int policy_decide(const struct plan *p, const struct audit *a, struct cis_err *err)
{
	const struct policy_plan *pp = &p->policy;
	struct json *input, *wrap;
	char *text;
	int r = 0;

	if (!policy_rules_any(&pp->rules) && !pp->n_progs)
		return 0;
	input = policy_input_build(p);
	if (policy_rules_any(&pp->rules)) {
		struct strv reasons = {0};
		bool allow = policy_rules_eval(&pp->rules, input, &reasons);

		audit_decision(a, "policy.rules", NULL, allow, &reasons, NULL);
		if (!allow)
			r = deny(err, "policy.rules", NULL, &reasons);
		else if (p->verbose)
			fputs("cisandbox: policy.rules: the run is allowed\n", stderr);
		strv_free(&reasons);
	}
	wrap = json_new_object();
	json_add(wrap, "input", input);
	text = json_print_compact(wrap);
	json_free(wrap);
	for (size_t i = 0; r == 0 && i < pp->n_progs; i++) {
		char *line = xasprintf("%s\n", text ? text : "{}");

		r = ask(p, &pp->progs[i], line, a, err);
		free(line);
	}
	free(text);
	return r;
}

int policy_print_input(const struct plan *p, FILE *out)
{
	return json_emit(policy_input_build(p), out);
}
