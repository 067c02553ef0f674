/* policy_plan.h — the plan's policy part (launcher, in plan_build, before any namespace): the
 * decision programs (the profile's policy.exec, then each --policy-exec: a command line adds a
 * decision point, never removes one), their time limit, the built-in rules, the run's labels,
 * and which bind sources are host daemon sockets (looked at now, so that the input builder,
 * policy_input.c, stays pure). Also the form checks of the policy flags for cli.c. */
#ifndef CIS_POLICY_PLAN_H
#define CIS_POLICY_PLAN_H

#include "policy_spec.h"

struct plan;
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

/* cli.c: --policy-exec CMD, --policy-input, --learn OUT (which: 0, 1, 2). 0 or -EINVAL. */
int policy_cli_option(struct cli *c, int which, const char *arg, struct cis_err *err);
/* plan_build, once everything else is resolved. 0 or -errno with err set. */
int policy_plan_build(struct plan *p, const struct cli *c, const struct profile *prof,
                      struct cis_err *err);
void policy_plan_free(struct policy_plan *pp);
/* Is the real path one of the plan's host sockets? */
bool policy_plan_is_socket(const struct policy_plan *pp, const char *path);

#endif
