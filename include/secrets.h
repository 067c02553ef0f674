/* secrets.h — secrets as files, only to the tier that may have them (issue #14, part 2).
 *
 * `--secret NAME=@FILE` (and a profile's `secrets` list) shows FILE's content read-only at
 * /run/secrets/NAME (0400, owned by the job), never in the environment unless `--secret-env
 * NAME`. The launcher reads each file in plan_build (so that a root-only file works in root
 * mode, where the sandbox is another account); the plan keeps the bytes, and nothing that prints
 * a plan or an audit event ever prints them. A run of the untrusted tier refuses every secret. */
#ifndef CIS_SECRETS_H
#define CIS_SECRETS_H

#include "origin.h"
#include "spec.h"

#include <stdbool.h>
#include <stddef.h>

struct cli;
struct profile;
struct cis_err;
struct step_err;
struct strv;

#define SECRETS_DIR "/run/secrets"
#define SECRETS_MAX (1u << 20) /* bytes, one secret */

struct secret {
	char *name;
	char *file; /* as given */
	char *data; /* the content; never printed */
	size_t len;
	bool env;           /* --secret-env NAME: also in the job's environment */
	const char *origin; /* "--secret" or "profile" */
};

struct secrets_plan {
	struct secret *v;
	size_t n;
	int tier; /* SECRETS_TIER_* of the run */
};

/* plan_build: the run's tier (a fork's code, o, is untrusted whatever the profile says), the
 * secrets read, --secret-env applied to env. Every input error (untrusted tier, unreadable
 * file, duplicate, unknown --secret-env name) here: -errno with err set. */
int secrets_plan_build(struct secrets_plan *sp, const struct ci_origin *o, const struct cli *c,
                       const struct profile *prof, struct strv *env, struct cis_err *err);
void secrets_plan_free(struct secrets_plan *s);
/* Is NAME a secret passed in the environment (so that printers hide its value)? */
bool secrets_is_env(const struct secrets_plan *sp, const char *name);

#endif
