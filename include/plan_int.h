/* plan_int.h — inside the plan module only: the steps of plan_build (plan.c) that live in files
 * of their own. Nothing outside plan*.c includes it. */
#ifndef CIS_PLAN_INT_H
#define CIS_PLAN_INT_H

#include "plan.h"

struct cli;
struct profile;

/* The network plan: mode, allow entries and names, denied ranges, upstreams, helper. 0 or
 * -errno with err set. */
int plan_net(struct plan *p, const struct cli *c, const struct profile *prof, struct cis_err *err);

#endif
