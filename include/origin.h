/* origin.h — where the code of a run comes from, and who runs it, from the CI system's own
 * variables (launcher only, in plan_build): GitHub and Forgejo name the event and write its
 * payload to GITHUB_EVENT_PATH (a pull request's head and base repositories), GitLab names the
 * merge request's source and target projects. A run of a fork's code is forced to the
 * untrusted tier whatever profile was asked for, and short-lived identity tokens (OIDC
 * requests) never reach it; a trusted run gets them only when its profile grants them and its
 * time limit is within the profile's token_ttl. The result is the audit's `ci` object. */
#ifndef CIS_ORIGIN_H
#define CIS_ORIGIN_H

#include "util.h"

struct ci_origin {
	const char *system; /* "github", "forgejo", "gitlab", or NULL: not a CI run we know */
	char *server, *repository, *ref, *event, *run_id, *job_id, *actor;
	bool fork;            /* the code comes from another repository or project */
	char *why;            /* why it is taken for a fork, or a note (pull_request_target) */
	struct strv passed;   /* token variables that reach the job (names only) */
	struct strv withheld; /* "NAME: why" */
};

/* Read the environment (and the GitHub/Forgejo event file). Never fails: what cannot be read
 * is left NULL; an event file that says "pull request" but cannot be read counts as a fork. */
void origin_detect(struct ci_origin *o);
/* A pull_request* event's payload (pure; fuzzed): a fork when its head repository is not its
 * base, or it names neither; *why (malloc'd) says so, or notes pull_request_target. */
bool origin_pull_request_fork(const char *event_json, const char *event, char **why);
/* Is NAME a short-lived identity token request (OIDC)? */
bool origin_is_identity_token(const char *name);
void origin_free(struct ci_origin *o);

#endif
