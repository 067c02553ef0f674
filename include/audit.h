/* audit.h — the audit trail: JSON Lines, one object per event, schema "v": 1 (cisandbox(1),
 * AUDIT LOG). Each line is one write() to an O_APPEND file, so concurrent runs can share a log. */
#ifndef CIS_AUDIT_H
#define CIS_AUDIT_H

#include "util.h"

struct json;

/* What could not be written (mutable through a const struct audit: writing is the point). */
struct audit_faults {
	unsigned long lost; /* records not written, whole or in part */
	int err;            /* errno of the last failure */
	bool failing;       /* the last write failed: warned, no new warning until one succeeds */
};

struct audit {
	int fd;       /* -1: no audit log */
	bool journal; /* fd is the systemd journal's socket (--audit-log journal) */
	char id[33];  /* the sandbox id: 128 random bits, hex */
	int tap;      /* --learn: every record is copied here too (learn.h); -1: none */
	struct audit_faults *faults;
};

/* A fresh sandbox id, audit off. */
void audit_init(struct audit *a);
/* Open PATH (appending, created 0640), take fd:N, or connect to the journal ("journal": each
 * event an entry with MESSAGE, CISANDBOX_EVENT, CISANDBOX_SANDBOX and the line as
 * CISANDBOX_JSON). 0 or -errno with err set. */
int audit_open(struct audit *a, const char *spec, struct cis_err *err);
/* Append one event; takes ownership of fields (may be NULL). ts, v, event and sandbox are
 * added. A record that cannot be written is counted (audit_lost, and an "audit_lost" field in
 * the run's last records) and warned about on stderr when the log starts failing; whether that
 * ends the run is the caller's choice (audit.required). */
void audit_event(const struct audit *a, const char *event, struct json *fields);
/* Records lost so far (0 without a log); *err (may be NULL) gets the last errno. */
unsigned long audit_lost(const struct audit *a, int *err);
void audit_close(struct audit *a);
/* One complete line as audit_event wrote it elsewhere (the resolver's child), to this log. */
void audit_relay(const struct audit *a, const char *line, size_t len);

/* The run's events (all no-ops without a log). */
struct plan;
struct cgroup;
struct cgroup_result;
void audit_sandbox_create(const struct audit *a, const struct plan *p, const struct cgroup *cg);
void audit_job_start(const struct audit *a, const struct plan *p, int init_pid);
/* err 0: a --learn run let the call through (it is grantable, learn.h). */
void audit_policy_deny(const struct audit *a, const char *kind, const char *what, int pid, int err);
struct net_flow;
void audit_egress_flow(const struct audit *a, const struct net_flow *f);
/* reason: exit, signal, timeout, oom, setup-error. */
struct job_end {
	const char *reason;
	int status;    /* the launcher's exit status */
	int exit_code; /* -1 unless reason exit */
	int signal;    /* 0 unless killed by a signal */
	double duration_ms;
	double cpu_ms;
	uint64_t peak_bytes;
	bool graced;       /* a TERM, INT or HUP was forwarded: the job had the kill grace */
	double grace_ms;   /* from that signal until the job's last process was gone */
	bool killed;       /* processes were left at the end of the grace and killed */
	const char *error; /* setup errors */
};
void audit_job_exit(const struct audit *a, const struct job_end *e);
void audit_sandbox_destroy(const struct audit *a, const struct cgroup_result *res, bool had_cgroup,
                           unsigned long denials);

#endif
