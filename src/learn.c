/* learn.c — --learn around one run (see learn.h): the audit-mode settings, the copy of the
 * records, and the learned profile's file. */
#define _GNU_SOURCE
#include "learn.h"
#include "audit.h"
#include "learn_obs.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MAX_RECORDS_BYTES (64u << 20) /* of the copy read back */

static bool is_path(const char *ref)
{
	size_t n = strlen(ref);

	return strchr(ref, '/') || (n > 5 && strcmp(ref + n - 5, ".json") == 0);
}

/* OUT must be a new or regular file in an existing directory. */
static int check_out(const char *out, struct cis_err *err)
{
	_cleanup_free_ char *dir = xstrdup(out);
	char *slash = strrchr(dir, '/');
	struct stat st;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(slash ? dir : ".", &st) < 0 || !S_ISDIR(st.st_mode))
		return cis_err_set(err, "--learn %s: %s: not a directory", out, slash ? dir : ".");
	if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode))
		return cis_err_set(err, "--learn %s: exists and is not a regular file", out);
	return 0;
}

int learn_prepare(struct learn *l, const struct cli *c, struct cli *lc, struct profile *prof,
                  struct cis_err *err)
{
	char real[PATH_MAX];
	int r;

	*l = (struct learn){.tap = -1};
	if (!c->learn)
		return 0;
	if (c->dry_run || c->policy_input)
		return cis_err_set(err, "--learn: needs a real run (not with %s)",
		                   c->dry_run ? "--dry-run" : "--policy-input");
	if ((r = check_out(c->learn, err)) < 0)
		return r;
	l->out = xstrdup(c->learn);
	/* A file's extends is looked up from the caller's directory: the real path holds. */
	if (is_path(c->profile) && realpath(c->profile, real))
		l->extends = xstrdup(real);
	else
		l->extends = xstrdup(c->profile);
	l->name = xstrdup(prof->name);
	l->has_sc_allow = prof->sc_allow.n > 0;
	l->mode = c->has_net_mode ? c->net_mode : prof->has_net_mode ? prof->net_mode : NET_NONE;
	for (size_t i = 0; i < prof->net_allow.n; i++)
		strv_push(&l->allow, prof->net_allow.v[i]);
	/* Audit mode: every destination but the always-denied set, each flow and answer on
	 * record; every denied syscall reported to the launcher. */
	lc->has_net_mode = true;
	lc->net_mode = NET_AUDIT;
	prof->has_sc_log = true;
	prof->sc_log_denied = true;
	return 0;
}

int learn_attach(struct learn *l, struct audit *a, struct cis_err *err)
{
	if (!l->out)
		return 0;
	if ((l->tap = memfd_create("cisandbox-learn", MFD_CLOEXEC)) < 0)
		return cis_err_set(err, "--learn: memfd: %s", strerror(errno));
	/* No log of its own: the records are made all the same, for the copy alone. */
	if (a->fd < 0 && (a->fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return cis_err_set(err, "--learn: /dev/null: %s", strerror(errno));
	if ((a->tap = fcntl(l->tap, F_DUPFD_CLOEXEC, 3)) < 0)
		return cis_err_set(err, "--learn: %s", strerror(errno));
	return 0;
}

static void observe(struct learn_obs *o, int fd, const char *id)
{
	off_t size = lseek(fd, 0, SEEK_END);
	_cleanup_free_ char *text = NULL;
	char *line, *nl;

	if (size <= 0 || size > MAX_RECORDS_BYTES)
		return;
	text = xmalloc((size_t)size + 1);
	if (pread(fd, text, (size_t)size, 0) != size)
		return;
	text[size] = '\0';
	for (line = text; (nl = strchr(line, '\n')); line = nl + 1)
		learn_obs_line(o, id, line, (size_t)(nl - line));
}

static char *command_line(const struct plan *p)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < p->argv.n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? " " : "", p->argv.v[i]);

		free(out);
		out = next;
	}
	return out;
}

/* Loaded back from the text before it is written (the launcher may create and write files
 * here, under its own filter, guard.h; not rename them). */
static int write_checked(const char *out, struct json *prof, struct cis_err *err)
{
	_cleanup_free_ char *text = json_print(prof);
	_cleanup_close_ int fd = -1;
	struct profile back;
	int r;

	json_free(prof);
	if (!text)
		return cis_err_set(err, "--learn %s: out of memory", out);
	if ((r = profile_load_text(text, out, &back, err)) < 0)
		return r;
	profile_free(&back);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0 || (r = write_all(fd, text, strlen(text))) < 0 ||
	    (r = write_all(fd, "\n", 1)) < 0)
		return cis_err_set(err, "--learn %s: %s", out, strerror(fd < 0 ? errno : -r));
	return 0;
}

int learn_finish(struct learn *l, const struct plan *p, const struct audit *a, struct cis_err *err)
{
	struct learn_obs o = {0};
	_cleanup_free_ char *cmd = NULL;
	struct learn_parent pa = {l->extends, l->name, l->has_sc_allow, l->mode, &l->allow, NULL};
	int r;

	if (!l->out)
		return 0; /* (every run comes here: nothing to build without --learn) */
	pa.command = cmd = command_line(p);
	observe(&o, l->tap, a->id);
	r = write_checked(l->out, learn_profile_build(&o, &pa, &p->seccomp), err);
	if (r == 0 && p->verbose)
		fprintf(stderr,
		        "cisandbox: --learn: %s: %zu syscall%s denied, %zu destination%s, %zu "
		        "name%s\n",
		        l->out, o.syscalls.n, o.syscalls.n == 1 ? "" : "s", o.n_flows,
		        o.n_flows == 1 ? "" : "s", o.n_names, o.n_names == 1 ? "" : "s");
	learn_obs_free(&o);
	return r;
}

void learn_free(struct learn *l)
{
	free(l->out);
	free(l->extends);
	free(l->name);
	strv_free(&l->allow);
	closep(&l->tap);
	*l = (struct learn){.tap = -1};
}
