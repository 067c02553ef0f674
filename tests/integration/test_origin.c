/* The tier follows the code's origin, not the profile: a fork's pull request (GitHub's and
 * Forgejo's event file, GitLab's merge-request project ids, as the custom executor passes them
 * in CUSTOM_ENV_*) runs untrusted, gets no secret and no identity token, and the audit's ci
 * object says who ran what from where; a trusted run gets an identity token only within the
 * profile's token_ttl. Root and rootless. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(origin);

static void put(enum mode m, const char *path, const char *text)
{
	write_text(path, text);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

struct pr {
	char *dir, *profile, *secret, *audit;
	const char *env[16];
};

/* A GitHub-style run of a pull request from head into acme/app (system: GITHUB_ACTIONS or
 * FORGEJO_ACTIONS), with an OIDC request in the environment that a trusted profile grants. */
static void pr_setup(struct pr *p, enum mode m, const char *system, const char *head)
{
	char *event;
	int n = 0;

	p->dir = tmpdir_for(m);
	event = cat(p->dir, "/event.json");
	put(m, event,
	    cat(cat("{\"pull_request\": {\"head\": {\"repo\": {\"full_name\": \"", head),
	        "\"}}, \"base\": {\"repo\": {\"full_name\": \"acme/app\"}}}}"));
	p->profile = cat(p->dir, "/trusted-oidc.json");
	put(m, p->profile,
	    "{\"extends\": \"trusted\", \"token_ttl\": \"1h\", \"limits\": {\"timeout\": \"30m\"}, "
	    "\"env\": {\"pass\": [\"ACTIONS_ID_TOKEN_REQUEST_TOKEN\"]}}");
	p->secret = cat(p->dir, "/deploy-key");
	put(m, p->secret, "deploy-SECRET\n");
	p->audit = cat(p->dir, "/audit.jsonl");
	p->env[n++] = cat(system, "=true");
	p->env[n++] = "GITHUB_EVENT_NAME=pull_request";
	p->env[n++] = cat("GITHUB_EVENT_PATH=", event);
	p->env[n++] = "GITHUB_REPOSITORY=acme/app";
	p->env[n++] = "GITHUB_REF=refs/pull/7/merge";
	p->env[n++] = "GITHUB_RUN_ID=991";
	p->env[n++] = "GITHUB_JOB=build";
	p->env[n++] = "GITHUB_ACTOR=mallory";
	p->env[n++] = "ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-SECRET";
	p->env[n] = NULL;
}

DUAL_TEST(origin, fork_pull_request_is_untrusted, .timeout = 30)
{
	struct pr p;
	struct result r;
	char *log;

	pr_setup(&p, m, "GITHUB_ACTIONS", "mallory/app");
	cis_run(m, &r, p.env,
	        ARGS("run", "--profile", p.profile, "-w", p.dir, "--secret", cat("KEY=@", p.secret),
	             "--", "true"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "--secret KEY: refused: this run is a fork's code (pull request "
	                        "from mallory/app into acme/app)"),
	          "%s", r.err);
	result_free(&r);
	cis_run(m, &r, p.env,
	        ARGS("run", "--profile", p.profile, "-w", p.dir, "--audit-log", p.audit, "--", "sh",
	             "-c", "env | grep -c SECRET || true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n", "an identity token reached a fork's run");
	log = read_text(p.audit);
	cr_assert(
	    strstr(log, "\"fork\":true") && strstr(log, "\"tier\":\"untrusted\"") &&
	        strstr(log, "\"withheld\":[\"ACTIONS_ID_TOKEN_REQUEST_TOKEN: a fork's code\"]"),
	    "%s", log);
	cr_assert_not(strstr(log, "oidc-SECRET"), "a token's value in the audit log");
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("report", p.audit));
	cr_assert(strstr(r.out, "ci: github acme/app refs/pull/7/merge (pull_request, run 991, "
	                        "job build, by mallory); a fork: pull request from mallory/app "
	                        "into acme/app; tier untrusted"),
	          "%s", r.out);
	result_free(&r);
	rm_rf(p.dir);
}

/* The same repository's pull request: the profile's tier holds; the secret arrives as a file,
 * the identity token within token_ttl, and not beyond it. */
DUAL_TEST(origin, own_pull_request_keeps_its_tier, .timeout = 30)
{
	struct pr p;
	struct result r;

	pr_setup(&p, m, "FORGEJO_ACTIONS", "acme/app");
	cis_run(m, &r, p.env,
	        ARGS("run", "--profile", p.profile, "-w", p.dir, "--audit-log", p.audit, "--secret",
	             cat("KEY=@", p.secret), "--", "sh", "-c",
	             "cat /run/secrets/KEY; env | grep -c oidc-SECRET"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "deploy-SECRET\n1\n");
	cr_assert(strstr(read_text(p.audit), "\"system\":\"forgejo\""), "%s", read_text(p.audit));
	cr_assert(strstr(read_text(p.audit), "\"passed\":[\"ACTIONS_ID_TOKEN_REQUEST_TOKEN\"]"),
	          "%s", read_text(p.audit));
	result_free(&r);
	cis_run(m, &r, p.env,
	        ARGS("run", "--profile", p.profile, "-w", p.dir, "--timeout", "2h", "--", "sh",
	             "-c", "env | grep -c oidc-SECRET || true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n", "an identity token outlives the profile's token_ttl");
	result_free(&r);
	rm_rf(p.dir);
}

/* GitLab's custom executor: a merge request from another project. */
DUAL_TEST(origin, gitlab_merge_request_from_a_fork, .timeout = 30)
{
	char *dir = tmpdir_for(m), *secret = cat(dir, "/key"), *audit = cat(dir, "/audit.jsonl");
	const char *env[] = {"CUSTOM_ENV_GITLAB_CI=true",
	                     "CUSTOM_ENV_CI_PROJECT_ID=9",
	                     "CUSTOM_ENV_CI_MERGE_REQUEST_SOURCE_PROJECT_ID=5",
	                     "CUSTOM_ENV_CI_PROJECT_PATH=acme/app",
	                     "CUSTOM_ENV_CI_JOB_ID=4242",
	                     NULL};
	struct result r;

	put(m, secret, "x\n");
	cis_run(m, &r, env,
	        ARGS("run", "--profile", "trusted", "-w", dir, "--secret", cat("K=@", secret), "--",
	             "true"));
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "merge request from project 5 into 9"), "%s", r.err);
	result_free(&r);
	cis_run(m, &r, env,
	        ARGS("run", "--profile", "trusted", "-w", dir, "--audit-log", audit, "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(read_text(audit), "\"system\":\"gitlab\",\"repository\":\"acme/app\""),
	          "%s", read_text(audit));
	cr_assert(strstr(read_text(audit), "\"fork\":true"), "%s", read_text(audit));
	result_free(&r);
	/* --dry-run says the tier the run would get, and why it was forced down. */
	cis_run(m, &r, env,
	        ARGS("run", "--profile", "trusted", "-w", dir, "--dry-run", "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out,
	                 "\"tier\":\t\"untrusted\",\n\t\"tier_forced\":\t\"merge request from "
	                 "project 5 into 9"),
	          "%s", r.out);
	result_free(&r);
	rm_rf(dir);
}

/* filesystem.private "require": where entries only the caller may read cannot be hidden
 * (rootless without subordinate ids, as nobody here), a launcher error naming why; as root the
 * kernel keeps it. The audit says which, every run. */
DUAL_TEST(origin, private_required_or_said, .timeout = 30)
{
	char *dir = tmpdir_for(m), *prof = cat(dir, "/strict.json"), *audit = cat(dir, "/a.jsonl");
	struct result r;

	put(m, prof, "{\"extends\": \"untrusted\", \"filesystem\": {\"private\": \"require\"}}");
	cis_run(m, &r, NULL, ARGS("run", "--profile", prof, "-w", dir, "--", "true"));
	if (m == ROOT) {
		cr_assert_eq(r.status, 0, "%s", r.err);
	} else {
		cr_assert_eq(r.status, 125, "%s", r.err);
		cr_assert(strstr(r.err,
		                 "filesystem.private require: entries of the system dirs that "
		                 "only the caller or its groups may read cannot be hidden here "
		                 "(no /etc/subuid and /etc/subgid entry for nobody)"),
		          "%s", r.err);
	}
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("run", "-w", dir, "--audit-log", audit, "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(read_text(audit), m == ROOT
	                                       ? "\"private\":\"hidden (the job is another uid)\""
	                                       : "\"private\":\"NOT hidden (no /etc/subuid"),
	          "%s", read_text(audit));
	/* By default a promise not kept is said on every run, without --verbose and without
	 * kept groups (the harness clears them); "best-effort" is the operator saying they know. */
	cr_assert_eq(strstr(r.err, HOST_WARNING) != NULL, m == ROOTLESS, "%s", r.err);
	result_free(&r);
	put(m, prof,
	    "{\"extends\": \"untrusted\", \"filesystem\": {\"private\": \"best-effort\"}}");
	cis_run(m, &r, NULL,
	        ARGS("run", "--profile", prof, "-w", dir, "--audit-log", audit, "--", "true"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.err, HOST_WARNING), "%s", r.err);
	cr_assert_eq(strstr(read_text(audit), "\"private\":\"NOT hidden") != NULL, m == ROOTLESS,
	             "%s", read_text(audit));
	result_free(&r);
	rm_rf(dir);
}
