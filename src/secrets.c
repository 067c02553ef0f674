/* secrets.c — the plan side of secrets.h, in the launcher (plan_build); secrets_mount.c is
 * the init side, while the new root is built, before the job exists. */
#define _GNU_SOURCE
#include "secrets.h"
#include "cli.h"
#include "profile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int refuse_untrusted(const struct ci_origin *o, const char *profile,
                            const struct secrets_plan *sp, struct cis_err *err)
{
	if (o->fork)
		return cis_err_set(err,
		                   "%s %s: refused: this run is a fork's code (%s), so its tier is "
		                   "untrusted whatever profile %s says; secrets go only to a "
		                   "trusted-tier run",
		                   sp->v[0].origin, sp->v[0].name, o->why, profile),
		       -EPERM;
	return cis_err_set(err,
	                   "%s %s: refused: the run's tier is untrusted (profile %s); secrets go "
	                   "only to a trusted-tier run",
	                   sp->v[0].origin, sp->v[0].name, profile),
	       -EPERM;
}

static int apply_env(struct secrets_plan *sp, const struct cli *c, struct strv *env,
                     struct cis_err *err)
{
	for (size_t i = 0; i < c->secret_env.n; i++) {
		struct secret *s = NULL;
		size_t len;

		for (size_t j = 0; j < sp->n; j++)
			if (strcmp(sp->v[j].name, c->secret_env.v[i]) == 0)
				s = &sp->v[j];
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
		strv_push_take(env, xasprintf("%s=%.*s", s->name, (int)len, s->data));
	}
	return 0;
}

int secrets_plan_build(struct secrets_plan *sp, const struct ci_origin *o, const struct cli *c,
                       const struct profile *prof, struct strv *env, struct cis_err *err)
{
	int r;

	/* The code's origin, not the workflow's say-so: a fork's code is untrusted. */
	sp->tier = o->fork      ? SECRETS_TIER_UNTRUSTED
	           : prof->tier ? prof->tier
	                        : SECRETS_TIER_UNTRUSTED;
	for (size_t i = 0; i < prof->secrets.n; i++)
		if ((r = add_secret(sp, prof->secrets.v[i], "profile", err)) < 0)
			return r;
	for (size_t i = 0; i < c->secrets.n; i++)
		if ((r = add_secret(sp, c->secrets.v[i], "--secret", err)) < 0)
			return r;
	if (sp->n && sp->tier != SECRETS_TIER_TRUSTED)
		return refuse_untrusted(o, prof->name, sp, err);
	for (size_t i = 0; i < sp->n; i++)
		if ((r = read_secret(&sp->v[i], err)) < 0)
			return r;
	return apply_env(sp, c, env, err);
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

bool secrets_is_env(const struct secrets_plan *sp, const char *name)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->v[i].env && strcmp(sp->v[i].name, name) == 0)
			return true;
	return false;
}
