/* policy_input.h — the plan as a decision point's input, schema v1 (cisandbox-profile(5),
 * POLICY INPUT): the blueprint's input.job shape (privileged, mounts, labels,
 * token_ttl_minutes, network, secrets, ci). Pure: it reads only the plan, so that --policy-input
 * prints exactly what a decision program and the built-in rules judge. */
#ifndef CIS_POLICY_INPUT_H
#define CIS_POLICY_INPUT_H

#include "plan.h"

#define POLICY_INPUT_VERSION 1

struct json;

/* {"version": 1, "job": {...}}; the caller owns it. */
struct json *policy_input_build(const struct plan *p);
/* Why the plan counts as privileged (one reason each), pushed onto why; none: not privileged. */
void policy_input_privileged(const struct plan *p, struct strv *why);

#endif
