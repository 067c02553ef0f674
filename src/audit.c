/* audit.c — append audit events (launcher only). */
#define _GNU_SOURCE
#include "audit.h"
#include "cis_limits.h"
#include "journal.h"
#include "net.h"
#include "plan.h"
#include "secrets.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

void audit_init(struct audit *a)
{
	unsigned char raw[16] = {0};

	a->fd = -1;
	a->tap = -1;
	a->journal = false;
	a->faults = xcalloc(1, sizeof(*a->faults));
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		struct timespec t;

		/* Not for secrecy, only to tell runs apart. */
		clock_gettime(CLOCK_REALTIME, &t);
		memcpy(raw, &t, sizeof(t) < sizeof(raw) ? sizeof(t) : sizeof(raw));
		raw[15] ^= (unsigned char)getpid();
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(a->id + 2 * i, 3, "%02x", raw[i]);
}

int audit_open(struct audit *a, const char *spec, struct cis_err *err)
{
	if (strcmp(spec, "journal") == 0) {
		a->journal = true;
		return journal_open("--audit-log", &a->fd, err);
	}
	if (strncmp(spec, "fd:", 3) == 0) {
		char *end;
		long fd = strtol(spec + 3, &end, 10);

		if (end == spec + 3 || *end || fd < 0 || fd > 1 << 20 ||
		    fcntl((int)fd, F_GETFL) < 0)
			return cis_err_set(err, "--audit-log %s: not an open file descriptor",
			                   spec);
		/* Ours from now on: it must not reach the job. */
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
			return cis_err_set(err, "--audit-log %s: %s", spec, strerror(errno));
		a->fd = (int)fd;
		return 0;
	}
	a->fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (a->fd < 0)
		return cis_err_set(err, "--audit-log %s: %s", spec, strerror(errno));
	return 0;
}

static void rfc3339_now(char *buf, size_t len)
{
	struct timespec t;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t.tv_nsec / 1000);
}

/* A record written (e == 0) or lost (errno e): a loss is counted and loud at once, once per
 * run of failures, whatever the sink. */
static void record_kept(const struct audit *a, int e)
{
	struct audit_faults *f = a->faults;

	if (!f)
		return;
	if (e == 0) {
		f->failing = false;
		return;
	}
	f->lost++;
	f->err = e;
	if (!f->failing)
		fprintf(stderr,
		        "cisandbox: warning: audit log: cannot write a record (%s); %lu "
		        "record%s lost so far\n",
		        strerror(e), f->lost, f->lost == 1 ? "" : "s");
	f->failing = true;
}

/* One write: with O_APPEND the kernel places it whole at the end of the file. A pipe whose
 * reader is gone is EPIPE, not SIGPIPE (run_command ignores it). */
static void audit_write(const struct audit *a, const char *text, size_t len)
{
	ssize_t n = write(a->fd, text, len);

	/* A short write: the file is full. */
	record_kept(a, n == (ssize_t)len ? 0 : n < 0 ? errno : ENOSPC);
}

/* One journal entry per event: a readable MESSAGE, the fields a fleet filters on, the line. */
static void to_journal(const struct audit *a, const char *event, const char *json)
{
	bool warn = strcmp(event, "policy.deny") == 0 || strcmp(event, "dns.deny") == 0 ||
	            strcmp(event, "filecmd.drop") == 0 || strstr(json, "\"setup-error\"") ||
	            (strcmp(event, "policy.decision") == 0 && strstr(json, "\"allow\":false"));
	_cleanup_free_ char *msg = xasprintf("cisandbox %s (sandbox %s)", event, a->id);
	const struct journal_field f[] = {
	    {"MESSAGE", msg},
	    {"PRIORITY", warn ? "4" : "6"},
	    {"SYSLOG_IDENTIFIER", "cisandbox"},
	    {"CISANDBOX_EVENT", event},
	    {"CISANDBOX_SANDBOX", a->id},
	    {"CISANDBOX_JSON", json},
	};

	int r = journal_send(a->fd, f, ARRAY_SIZE(f));

	/* journald gone or refusing (its socket closed, a full queue): counted as for a file. */
	record_kept(a, r < 0 ? -r : 0);
}

/* The --learn copy: every record, whole lines, whatever the log is. */
static void to_tap(const struct audit *a, const char *line, size_t len, bool add_newline)
{
	if (a->tap >= 0 && len)
		(void)!writev(
		    a->tap, (struct iovec[]){{(void *)line, len}, {(void *)"\n", add_newline}}, 2);
}

void audit_relay(const struct audit *a, const char *line, size_t len)
{
	_cleanup_free_ char *text = NULL;
	struct json *o, *ev;

	if (a->fd < 0)
		return;
	to_tap(a, line, len, len && line[len - 1] != '\n');
	if (!a->journal) {
		audit_write(a, line, len);
		return;
	}
	/* The journal takes fields: the event's name from the line itself. */
	text = strndup(line, len && line[len - 1] == '\n' ? len - 1 : len);
	o = text ? json_parse(text) : NULL;
	ev = json_get(o, "event");
	if (json_is_string(ev))
		to_journal(a, ev->valuestring, text);
	json_free(o);
}

void audit_event(const struct audit *a, const char *event, struct json *fields)
{
	struct json *o;
	char ts[128], *text;
	size_t n;

	if (a->fd < 0) {
		json_free(fields);
		return;
	}
	o = json_new_object();
	rfc3339_now(ts, sizeof(ts));
	json_add_number(o, "v", 1);
	json_add_string(o, "ts", ts);
	json_add_string(o, "event", event);
	json_add_string(o, "sandbox", a->id);
	for (struct json *f = fields ? fields->child : NULL; f;) {
		struct json *next = f->next;

		json_add(o, f->string, json_detach(fields, f));
		f = next;
	}
	json_free(fields);
	text = json_print_compact(o);
	json_free(o);
	if (!text)
		return;
	to_tap(a, text, strlen(text), true);
	if (a->journal) {
		to_journal(a, event, text);
		free(text);
		return;
	}
	n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n] = '\n';
	audit_write(a, text, n + 1);
	free(text);
}

unsigned long audit_lost(const struct audit *a, int *err)
{
	if (err)
		*err = a->faults ? a->faults->err : 0;
	return a->fd >= 0 && a->faults ? a->faults->lost : 0;
}

void audit_close(struct audit *a)
{
	closep(&a->fd);
	closep(&a->tap);
	free(a->faults);
	a->faults = NULL;
}

/* CI metadata worth keeping with the run: who, what, which attempt. Never tokens. */
static void add_str(struct json *o, const char *key, const char *v)
{
	if (v)
		json_add_string(o, key, v);
}

/* Who runs what, from where, with which tokens (names, never values). */
static void json_ci(struct json *o, const struct plan *p)
{
	const struct ci_origin *c = &p->origin;
	struct json *t;

	add_str(o, "system", c->system);
	add_str(o, "server", c->server);
	add_str(o, "repository", c->repository);
	add_str(o, "ref", c->ref);
	add_str(o, "event", c->event);
	add_str(o, "run_id", c->run_id);
	add_str(o, "job_id", c->job_id);
	add_str(o, "actor", c->actor);
	json_add_bool(o, "fork", c->fork);
	add_str(o, "origin", c->why);
	add_str(o, "tier", secrets_tier_name(p->secrets.tier));
	t = json_add_object(o, "tokens");
	json_add_strv(t, "passed", &c->passed);
	json_add_strv(t, "withheld", &c->withheld);
	if (p->timeout_ms)
		json_add_number(t, "ttl_s", (double)(p->timeout_ms / 1000));
}

/* FNV-1a of the plan as --dry-run prints it: equal hashes, equal sandboxes. */
static void plan_hash(const struct plan *p, char out[17])
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	uint64_t h = 0xcbf29ce484222325ull;

	if (m) {
		plan_print_json(p, m);
		fclose(m);
	}
	for (size_t i = 0; text && i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
	free(text);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void audit_sandbox_create(const struct audit *a, const struct plan *p, const struct cgroup *cg)
{
	struct json *f, *o;
	char hash[17], map[64];

	if (a->fd < 0)
		return;
	f = json_new_object();
	plan_hash(p, hash);
	o = json_add_object(f, "profile");
	json_add_string(o, "name", p->profile_name);
	json_add_string(o, "source", p->profile_source);
	json_add_string(f, "plan_hash", hash);
	o = json_add_object(f, "plan");
	json_add_string(o, "workspace_mode", ws_mode_name(p->ws_mode));
	if (p->workspace)
		json_add_string(o, "workspace", p->workspace);
	json_add_string(o, "network", net_mode_name(p->net.mode));
	json_add_bool(o, "seccomp_log_denied", p->seccomp.log_denied);
	/* Whether the host keeps "only what others could read" (private.h), and if not why. */
	{
		_cleanup_free_ char *priv =
		    p->as_root ? xstrdup("hidden (the job is another uid)")
		    : p->priv.plain_dirs
		        ? xasprintf("partly hidden (shown unfiltered: %s)", p->priv.plain_dirs)
		    : p->priv.kernel
		        ? xstrdup("hidden (filtering overlays)")
		        : xasprintf("NOT hidden (%s)", p->priv.reason ? p->priv.reason : "unknown");

		json_add_string(o, "private", priv);
	}
	json_add_number(o, "timeout_ms", (double)p->timeout_ms);
	json_limits(json_add_object(o, "limits"), &p->limits);
	json_add_string(o, "cgroup", cg->dirfd >= 0 ? cg->path : "none");
	snprintf(map, sizeof(map), "%u %u 1", CIS_JOB_UID, p->host_uid);
	json_add_string(f, "uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1", CIS_JOB_GID, p->host_gid);
	json_add_string(f, "gid_map", map);
	json_add_bool(f, "as_root", p->as_root);
	json_ci(json_add_object(f, "ci"), p);
	json_add_string(f, "version", CIS_VERSION);
	audit_event(a, "sandbox.create", f);
}

void audit_job_start(const struct audit *a, const struct plan *p, int init_pid)
{
	struct json *f;

	if (a->fd < 0)
		return;
	f = json_new_object();
	json_add_strv(f, "argv", &p->argv);
	json_add_string(f, "cwd", p->workdir);
	json_add_number(f, "pid", init_pid);
	audit_event(a, "job.start", f);
}

void audit_policy_deny(const struct audit *a, const char *kind, const char *what, int pid, int err)
{
	struct json *f;

	if (a->fd < 0)
		return;
	f = json_new_object();
	json_add_string(f, "kind", kind);
	json_add_string(f, kind, what);
	json_add_number(f, "pid", pid);
	if (!err)
		json_add_string(f, "learn", "let through: grantable");
	else
		json_add_string(f, "errno", strerrorname_np(err) ? strerrorname_np(err) : "?");
	audit_event(a, "policy.deny", f);
}

void audit_job_exit(const struct audit *a, const struct job_end *e)
{
	struct json *f;

	if (a->fd < 0)
		return;
	f = json_new_object();
	json_add_string(f, "reason", e->reason);
	json_add_number(f, "status", e->status);
	if (e->exit_code >= 0)
		json_add_number(f, "exit_code", e->exit_code);
	if (e->signal)
		json_add_string(f, "signal",
		                sigabbrev_np(e->signal) ? sigabbrev_np(e->signal) : "?");
	json_add_number(f, "duration_ms", e->duration_ms);
	json_add_number(f, "cpu_ms", e->cpu_ms);
	if (e->peak_bytes)
		json_add_number(f, "peak_memory_bytes", (double)e->peak_bytes);
	if (e->graced) {
		json_add_number(f, "grace_ms", e->grace_ms);
		json_add_bool(f, "killed", e->killed);
	}
	if (e->error)
		json_add_string(f, "error", e->error);
	if (audit_lost(a, NULL))
		json_add_number(f, "audit_lost", (double)audit_lost(a, NULL));
	audit_event(a, "job.exit", f);
}

void audit_sandbox_destroy(const struct audit *a, const struct cgroup_result *res, bool had_cgroup,
                           unsigned long denials)
{
	struct json *f;

	if (a->fd < 0)
		return;
	f = json_new_object();
	/* The launcher reaped init, and the kernel completes that only after every process of the
	 * PID namespace is gone; with them go the mount and network namespaces and all tmpfs. */
	json_add_bool(f, "teardown_confirmed", (!had_cgroup || res->removed) && !res->helper_left);
	if (res->helper_left)
		json_add_string(f, "network_helper", "left");
	json_add_number(f, "processes_left", 0);
	json_add_string(f, "cgroup", !had_cgroup ? "none" : res->removed ? "removed" : "left");
	if (had_cgroup && res->left)
		json_add_number(f, "cgroup_killed_leftovers", res->left);
	json_add_number(f, "seccomp_denials", (double)denials);
	if (audit_lost(a, NULL))
		json_add_number(f, "audit_lost", (double)audit_lost(a, NULL));
	audit_event(a, "sandbox.destroy", f);
}

void audit_egress_flow(const struct audit *a, const struct net_flow *f)
{
	char buf[96];
	struct json *o;

	if (a->fd < 0)
		return;
	net_flow_format(f, buf, sizeof(buf));
	o = json_new_object();
	json_add_string(o, "proto", buf[0] == 't' ? "tcp" : buf[0] == 'u' ? "udp" : "other");
	json_add_string(o, "destination", strchr(buf, ' ') + 1);
	json_add_bool(o, "denied", f->denied);
	audit_event(a, "egress.flow", o);
}
