/* origin.c — the run's origin from the CI environment (see origin.h). The variables are the
 * runner's: on GitHub's container hook the hook's own environment (GITHUB_* with host paths),
 * in a shell: step the step's, on GitLab's custom executor CUSTOM_ENV_*. */
#define _GNU_SOURCE
#include "origin.h"
#include "json.h"

#include <string.h>

static const char *const identity_tokens[] = {"ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                                              "ACTIONS_ID_TOKEN_REQUEST_URL",
                                              "CI_JOB_JWT",
                                              "CI_JOB_JWT_V1",
                                              "CI_JOB_JWT_V2",
                                              "GITLAB_OIDC_TOKEN"};

bool origin_is_identity_token(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(identity_tokens); i++)
		if (strcmp(name, identity_tokens[i]) == 0)
			return true;
	return false;
}

/* $NAME, or GitLab's custom executor's CUSTOM_ENV_NAME; NULL if unset or empty. */
static char *var(const char *name)
{
	_cleanup_free_ char *custom = xasprintf("CUSTOM_ENV_%s", name);
	const char *v = getenv(name);

	if (!v || !*v)
		v = getenv(custom);
	return v && *v ? xstrdup(v) : NULL;
}

static const char *repo_of(const struct json *pr, const char *side)
{
	const struct json *repo = json_get(json_get(pr, side), "repo");
	const struct json *name = json_get(repo, "full_name");

	return json_is_string(name) ? name->valuestring : NULL;
}

bool origin_pull_request_fork(const char *event_json, const char *event, char **why)
{
	struct json *ev = event_json ? json_parse(event_json) : NULL;
	const struct json *pr = json_get(ev, "pull_request");
	const char *head = repo_of(pr, "head"), *base = repo_of(pr, "base");
	bool fork = true;

	*why = NULL;
	if (!head || !base)
		*why = xstrdup("a pull request whose event file names no head and base "
		               "repositories: taken for a fork");
	else if (strcmp(head, base) != 0)
		*why = xasprintf("pull request from %s into %s", head, base);
	else
		fork = false;
	if (event && strcmp(event, "pull_request_target") == 0) {
		char *note = xasprintf("%s%spull_request_target: the base's workflow, with the "
		                       "base's tokens; fork code only if it checks it out",
		                       *why ? *why : "", *why ? "; " : "");

		free(*why);
		*why = note;
	}
	json_free(ev);
	return fork;
}

/* A pull request's event payload: head repository against base repository. */
static void pull_request(struct ci_origin *o)
{
	const char *path = getenv("GITHUB_EVENT_PATH");
	_cleanup_free_ char *text = path ? read_text_file(path) : NULL;

	o->fork = origin_pull_request_fork(text, o->event, &o->why);
}

static void github_like(struct ci_origin *o, const char *system)
{
	o->system = system;
	o->server = var("GITHUB_SERVER_URL");
	o->repository = var("GITHUB_REPOSITORY");
	o->ref = var("GITHUB_REF");
	o->event = var("GITHUB_EVENT_NAME");
	o->run_id = var("GITHUB_RUN_ID");
	o->job_id = var("GITHUB_JOB");
	o->actor = var("GITHUB_ACTOR");
	if (o->event && strncmp(o->event, "pull_request", 12) == 0)
		pull_request(o);
}

static void gitlab(struct ci_origin *o)
{
	_cleanup_free_ char *source = var("CI_MERGE_REQUEST_SOURCE_PROJECT_ID");
	_cleanup_free_ char *project = var("CI_PROJECT_ID");

	o->system = "gitlab";
	o->server = var("CI_SERVER_URL");
	o->repository = var("CI_PROJECT_PATH");
	o->ref = var("CI_COMMIT_REF_NAME");
	o->event = var("CI_PIPELINE_SOURCE");
	o->run_id = var("CI_PIPELINE_ID");
	o->job_id = var("CI_JOB_ID");
	o->actor = var("GITLAB_USER_LOGIN");
	if (source && (!project || strcmp(source, project) != 0)) {
		o->fork = true;
		o->why = xasprintf("merge request from project %s into %s", source,
		                   project ? project : "(unknown)");
	}
}

void origin_detect(struct ci_origin *o)
{
	_cleanup_free_ char *gh = var("GITHUB_ACTIONS"), *fj = var("FORGEJO_ACTIONS");
	_cleanup_free_ char *gt = var("GITEA_ACTIONS"), *gl = var("GITLAB_CI");
	_cleanup_free_ char *job = var("CI_JOB_ID");

	*o = (struct ci_origin){0};
	if (fj || gt)
		github_like(o, "forgejo");
	else if (gh)
		github_like(o, "github");
	else if (gl || job)
		gitlab(o);
}

void origin_free(struct ci_origin *o)
{
	free(o->server);
	free(o->repository);
	free(o->ref);
	free(o->event);
	free(o->run_id);
	free(o->job_id);
	free(o->actor);
	free(o->why);
	strv_free(&o->passed);
	strv_free(&o->withheld);
	*o = (struct ci_origin){0};
}
