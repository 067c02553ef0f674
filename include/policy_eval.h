/* policy_eval.h — judging a decision point's input (pure): the blueprint's rules built in
 * (policy.rules), and the answer of an external decision program, which is hostile input
 * (fuzzed: tests/fuzz/fuzz_policy.c). Launcher only, before any namespace exists. */
#ifndef CIS_POLICY_EVAL_H
#define CIS_POLICY_EVAL_H

#include "policy_spec.h"

struct json;

#define POLICY_ANSWER_MAX  65536 /* bytes of a decision program's answer */
#define POLICY_MAX_REASONS 32    /* reasons kept of one decision */

struct policy_answer {
	bool allow;
	struct strv reasons; /* printable, each at most 512 bytes */
};

/* The built-in rules over an input of policy_input_build: true to allow; a deny pushes one
 * reason per broken rule ("deny_privileged: ..."). */
bool policy_rules_eval(const struct policy_rules *r, const struct json *input,
                       struct strv *reasons);
/* A decision program's stdout: {"result": true|false, "reasons": [...]} or OPA's
 * {"result": {"allow": true|false, "deny": [...]}} (allowed only with no deny). NULL with *out
 * set, or why it is not an answer (then *out is empty). */
const char *policy_answer_parse(const char *text, size_t len, struct policy_answer *out);
void policy_answer_free(struct policy_answer *a);

#endif
