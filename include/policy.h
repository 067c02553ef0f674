/* policy.h — the run's decision point (launcher, in run_command: after plan_build, before any
 * namespace, cgroup or process of the sandbox exists). The built-in rules (policy.rules) and
 * then each decision program (policy.exec, --policy-exec) judge the plan's input
 * (policy_input.h); a deny, a program that times out, crashes, fails or answers garbage
 * refuses the run (fail closed). Every decision is an audit event, policy.decision. */
#ifndef CIS_POLICY_H
#define CIS_POLICY_H

#include "plan.h"

#include <stdio.h>

struct audit;

/* 0: the run may start (or nothing is configured); -EPERM (denied) or -ETIMEDOUT/-EIO (no
 * decision) with err naming the decider and the reasons. */
int policy_decide(const struct plan *p, const struct audit *a, struct cis_err *err);
/* --policy-input: the input, pretty-printed. 0 or -errno. */
int policy_print_input(const struct plan *p, FILE *out);

#endif
