/* secrets.c — see secrets.h. The plan side runs in the launcher (plan_build); secrets_mount in
 * the sandbox init while it builds the new root, before the job exists. */
#define _GNU_SOURCE
#include "secrets.h"
#include "cli.h"
#include "plan.h"
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

const char *secrets_spec_check(const char *spec)
{
	size_t n = strcspn(spec, "=");

	if (n == 0 || n > 64)
		return "NAME must be 1 to 64 characters (NAME=@FILE)";
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            spec[i]))
			return "NAME: letters, digits, _ . - only (NAME=@FILE)";
		else if (i == 0 && spec[i] == '.')
			return "NAME must not start with a dot";
	if (spec[n] != '=' || spec[n + 1] != '@' || !spec[n + 2])
		return "must be NAME=@FILE (the value only from a file)";
	return NULL;
}

int secrets_tier_parse(const char *s)
{
	return strcmp(s, "trusted") == 0     ? SECRETS_TIER_TRUSTED
	       : strcmp(s, "untrusted") == 0 ? SECRETS_TIER_UNTRUSTED
	                                     : SECRETS_TIER_UNSET;
}

const char *secrets_tier_name(int tier)
{
	return tier == SECRETS_TIER_TRUSTED ? "trusted" : "untrusted";
}

static int read_secret(struct secret *s, struct cis_err *err)
{
	_cleanup_close_ int fd = open(s->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return cis_err_set(err, "%s %s=@%s: %s", s->origin, s->name, s->file,
		                   strerror(errno)),
		       -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SECRETS_MAX)
		return cis_err_set(err, "%s %s=@%s: not a regular file of at most 1M", s->origin,
		                   s->name, s->file),
		       -EINVAL;
	s->data = xcalloc(1, (size_t)st.st_size + 1);
	n = read(fd, s->data, (size_t)st.st_size);
	if (n < 0)
		return cis_err_set(err, "%s %s=@%s: %s", s->origin, s->name, s->file,
		                   strerror(errno)),
		       -EIO;
	s->len = (size_t)n;
	return 0;
}

static int add_secret(struct secrets_plan *sp, const char *spec, const char *origin,
                      struct cis_err *err)
{
	size_t n = strcspn(spec, "=");
	struct secret s = {
	    .name = strndup(spec, n), .file = xstrdup(spec + n + 2), .origin = origin};

	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->v[i].name, s.name) == 0 && strcmp(origin, "profile") != 0 &&
		    strcmp(sp->v[i].origin, "profile") == 0) {
			/* The command line overrides a profile's secret of the same name. */
			free(sp->v[i].name);
			free(sp->v[i].file);
			free(sp->v[i].data);
			sp->v[i] = sp->v[--sp->n];
			break;
		} else if (strcmp(sp->v[i].name, s.name) == 0) {
			cis_err_set(err, "%s %s: secret named twice", origin, s.name);
			free(s.name);
			free(s.file);
			return -EINVAL;
		}
	sp->v = xrealloc(sp->v, (sp->n + 1) * sizeof(*sp->v));
	sp->v[sp->n++] = s;
	return 0;
}

static int refuse_untrusted(const struct plan *p, const struct secrets_plan *sp,
                            struct cis_err *err)
{
	if (p->origin.fork)
		return cis_err_set(err,
		                   "%s %s: refused: this run is a fork's code (%s), so its tier is "
		                   "untrusted whatever profile %s says; secrets go only to a "
		                   "trusted-tier run",
		                   sp->v[0].origin, sp->v[0].name, p->origin.why, p->profile_name),
		       -EPERM;
	return cis_err_set(err,
	                   "%s %s: refused: the run's tier is untrusted (profile %s); secrets go "
	                   "only to a trusted-tier run",
	                   sp->v[0].origin, sp->v[0].name, p->profile_name),
	       -EPERM;
}

static int apply_env(struct plan *p, const struct cli *c, struct cis_err *err)
{
	for (size_t i = 0; i < c->secret_env.n; i++) {
		struct secret *s = NULL;
		size_t len;

		for (size_t j = 0; j < p->secrets.n; j++)
			if (strcmp(p->secrets.v[j].name, c->secret_env.v[i]) == 0)
				s = &p->secrets.v[j];
		if (!s)
			return cis_err_set(err,
			                   "--secret-env %s: no --secret or profile secret of "
			                   "that name",
			                   c->secret_env.v[i]),
			       -EINVAL;
		if (memchr(s->data, '\0', s->len))
			return cis_err_set(err, "--secret-env %s: the file holds a NUL byte",
			                   s->name),
			       -EINVAL;
		len = s->len && s->data[s->len - 1] == '\n' ? s->len - 1 : s->len;
		s->env = true;
		strv_push_take(&p->env, xasprintf("%s=%.*s", s->name, (int)len, s->data));
	}
	return 0;
}

int secrets_plan_build(struct plan *p, const struct cli *c, const struct profile *prof,
                       struct cis_err *err)
{
	struct secrets_plan *sp = &p->secrets;
	int r;

	/* The code's origin, not the workflow's say-so: a fork's code is untrusted. */
	sp->tier = p->origin.fork ? SECRETS_TIER_UNTRUSTED
	           : prof->tier   ? prof->tier
	                          : SECRETS_TIER_UNTRUSTED;
	for (size_t i = 0; i < prof->secrets.n; i++)
		if ((r = add_secret(sp, prof->secrets.v[i], "profile", err)) < 0)
			return r;
	for (size_t i = 0; i < c->secrets.n; i++)
		if ((r = add_secret(sp, c->secrets.v[i], "--secret", err)) < 0)
			return r;
	if (sp->n && sp->tier != SECRETS_TIER_TRUSTED)
		return refuse_untrusted(p, sp, err);
	for (size_t i = 0; i < sp->n; i++)
		if ((r = read_secret(&sp->v[i], err)) < 0)
			return r;
	return apply_env(p, c, err);
}

void secrets_plan_free(struct secrets_plan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].file);
		if (s->v[i].data)
			explicit_bzero(s->v[i].data, s->v[i].len);
		free(s->v[i].data);
	}
	free(s->v);
	*s = (struct secrets_plan){0};
}

bool secrets_is_env(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->secrets.n; i++)
		if (p->secrets.v[i].env && strcmp(p->secrets.v[i].name, name) == 0)
			return true;
	return false;
}

static int write_secrets(const struct plan *p, int dir, struct step_err *e)
{
	for (size_t i = 0; i < p->secrets.n; i++) {
		const struct secret *s = &p->secrets.v[i];
		_cleanup_close_ int fd = openat(
		    dir, s->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);

		if (fd < 0 || write_all(fd, s->data, s->len) < 0 ||
		    fchown(fd, CIS_JOB_UID, CIS_JOB_GID) < 0 || fchmod(fd, 0400) < 0)
			return step_fail(e, -errno, SECRETS_DIR "/%s", s->name);
	}
	return 0;
}

int secrets_mount(const struct plan *p, int root, struct step_err *e)
{
	_cleanup_close_ int fs = -1, m = -1, run = -1, target = -1;
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY, .propagation = MS_PRIVATE};
	int r;

	if (!p->secrets.n)
		return 0;
	if ((fs = fsopen("tmpfs", FSOPEN_CLOEXEC)) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "2m", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0500", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC,
	                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		return step_fail(e, -errno, "tmpfs " SECRETS_DIR);
	if ((r = write_secrets(p, m, e)) < 0)
		return r;
	if (fchownat(m, "", CIS_JOB_UID, CIS_JOB_GID, AT_EMPTY_PATH) < 0 ||
	    mount_setattr(m, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return step_fail(e, -errno, "read-only " SECRETS_DIR);
	/* /run is absent from the sandbox otherwise: made on the new root's tmpfs. */
	if ((mkdirat(root, "run", 0755) < 0 && errno != EEXIST) ||
	    (run = openat(root, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (mkdirat(run, "secrets", 0500) < 0 && errno != EEXIST) ||
	    (target = openat(run, "secrets", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return step_fail(e, -errno, "attach " SECRETS_DIR);
	return 0;
}
