/* supervise_report.c — the launcher's words about a run on stderr (supervise.c decides, this
 * says): the setup before it starts, the denied syscalls and the outcome once it has ended. */
#define _GNU_SOURCE
#include "supervise_int.h"
#include "private.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void verbose_start(const struct plan *p)
{
	char limit[32], grace[32];

	fprintf(stderr,
	        "cisandbox: profile %s (%s); workspace %s, %s%s; job uid %u -> host uid %u%s\n",
	        p->profile_name, p->profile_source, p->workspace ? p->workspace : "(none)",
	        ws_mode_name(p->ws_mode), p->as_root && p->workspace ? ", idmapped" : "",
	        CIS_JOB_UID, p->host_uid, p->as_root ? " (launched as root)" : " (rootless)");
	if (p->timeout_ms)
		fprintf(stderr, "cisandbox: time limit %s (then SIGTERM, and SIGKILL %s later)\n",
		        format_duration(p->timeout_ms, limit),
		        format_duration(p->kill_grace_ms, grace));
}

void supervise_start_notes(const struct plan *p)
{
	if (p->verbose)
		verbose_start(p);
	if (p->kept_groups)
		fprintf(stderr,
		        "cisandbox: warning: %d supplementary groups stay with the job: "
		        "rootless, the kernel does not allow dropping them; run the runner "
		        "account without extra groups, or cisandbox as root\n",
		        p->kept_groups);
	private_warn(&p->priv, p->private_quiet && !p->verbose);
}

void supervise_report_denials(const struct outcome *o)
{
	fprintf(stderr, "cisandbox: seccomp denied %lu call%s:", o->denied_total,
	        o->denied_total == 1 ? "" : "s");
	for (size_t i = 0; i < o->n_denials; i++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, o->denials[i].nr);

		fprintf(stderr, "%s %s (%ux, first by pid %d)", i ? "," : "", name ? name : "?",
		        o->denials[i].count, o->denials[i].pid);
		free(name);
	}
	fputc('\n', stderr);
}

int supervise_report(const struct plan *p, const struct outcome *o)
{
	const struct msg *m = &o->error;

	if (o->have_error && m->type == MSG_EXEC_ERROR) {
		fprintf(stderr, "cisandbox: %s: %s\n", m->detail, strerror(m->err));
		return m->err == ENOENT ? CIS_EXIT_NOTFOUND : CIS_EXIT_CANNOT;
	}
	if (o->have_error) {
		fprintf(stderr, "cisandbox: %s%s%s: %s\n", m->step, m->detail[0] ? ": " : "",
		        m->detail, strerror(m->err));
		/* The kernel refuses a new procfs while parts of the visible one are covered. */
		if (m->err == EPERM && strcmp(m->detail, "proc /proc") == 0)
			fprintf(stderr,
			        "cisandbox: this /proc has masked paths (a container "
			        "runtime's default); a Kubernetes runner pod needs "
			        "securityContext.procMount: Unmasked; see 'cisandbox doctor'\n");
		return CIS_EXIT_LAUNCHER;
	}
	if (o->stopped) {
		fprintf(stderr, "cisandbox: the job was stopped: %s\n",
		        strcmp(o->stopped, "helper-died") == 0
		            ? "the network helper died (network.helper_required)"
		            : "the audit log cannot be written (audit.required)");
		return CIS_EXIT_LAUNCHER;
	}
	if (o->timed_out) {
		char buf[32];

		fprintf(stderr, "cisandbox: job timed out after %s\n",
		        format_duration(p->timeout_ms, buf));
		return CIS_EXIT_TIMEOUT;
	}
	if (!o->have_status) {
		fprintf(stderr, "cisandbox: sandbox init ended unexpectedly (status 0x%x)\n",
		        o->init_status);
		return CIS_EXIT_LAUNCHER;
	}
	if (WIFSIGNALED(o->job_status))
		return 128 + WTERMSIG(o->job_status);
	return WEXITSTATUS(o->job_status);
}
