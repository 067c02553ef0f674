/* policy_plan.h — the plan's policy part (launcher, in plan_build, before any namespace): the
 * decision programs (the profile's policy.exec, then each --policy-exec: a command line adds a
 * decision point, never removes one), their time limit, the built-in rules, the run's labels,
 * and which bind sources are host daemon sockets (looked at now, so that the input builder,
 * policy_input.c, stays pure). Its own structure: it knows no plan. */
#ifndef CIS_POLICY_PLAN_H
#define CIS_POLICY_PLAN_H

#include "policy_spec.h"
#include "spec.h"

struct cli;
struct profile;

/* The CI systems' own variables that name a runner's labels (GitLab: its tags), and ours,
 * which the operator sets in the runner's environment. */
#define POLICY_LABELS_VAR "CISANDBOX_RUNNER_LABELS"

struct policy_prog {
	char *cmd;          /* run with /bin/sh -c */
	const char *origin; /* "policy.exec" or "--policy-exec" */
};

struct policy_plan {
	struct policy_prog *progs;
	size_t n_progs;
	uint64_t timeout_ms; /* for each program */
	struct policy_rules rules;
	struct strv labels;  /* profile:NAME, tier:TIER, policy.labels, then the runner's */
	struct strv sockets; /* bind sources that are, or directly hold, sockets (real paths) */
	bool print_input;    /* --policy-input: print the input and exit */
};

/* plan_build: the decision programs, their time limit, the rules, and the labels of a run of
 * that tier (SECRETS_TIER_*). Never fails: the profile and the flags were checked. */
void policy_plan_build(struct policy_plan *pp, const struct cli *c, const struct profile *prof,
                       int tier);
/* plan_build, once the mounts are resolved (real paths): which of the bind sources, and the
 * workspace when it is bound (else NULL), are host sockets. */
void policy_plan_sockets(struct policy_plan *pp, const struct mount_op *m, size_t n,
                         const char *bound_workspace);
void policy_plan_free(struct policy_plan *pp);
/* Is the real path one of the plan's host sockets? */
bool policy_plan_is_socket(const struct policy_plan *pp, const char *path);

#endif
