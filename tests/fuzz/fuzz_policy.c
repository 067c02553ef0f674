/* libFuzzer target for a decision program's answer (make fuzz): hostile input, maybe from
 * the network (an OPA server through curl). Each input is parsed by policy_answer_parse and,
 * as JSON, judged by the built-in rules as if it were an input. The invariants: an answer is
 * either a decision or a reason why not, never both; a refusal to parse leaves no reasons; at
 * most POLICY_MAX_REASONS reasons, each printable and bounded; a deny of the rules has one. */
#include "policy_eval.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reasons(const struct strv *r)
{
	if (r->n > POLICY_MAX_REASONS)
		abort();
	for (size_t i = 0; i < r->n; i++) {
		if (strlen(r->v[i]) > 512)
			abort();
		for (const char *c = r->v[i]; *c; c++)
			if ((unsigned char)*c < ' ')
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_answer a;
	struct policy_rules rules = {
	    .deny_privileged = 1, .deny_host_sockets = 1, .max_token_ttl_ms = 3600000};
	struct strv reasons = {0};
	const char *why = policy_answer_parse((const char *)data, size, &a);
	struct json *input;

	if (why && (a.allow || a.reasons.n))
		abort();
	check_reasons(&a.reasons);
	policy_answer_free(&a);
	input = json_parse_len((const char *)data, size);
	strv_push(&rules.require_labels, "ephemeral");
	if (!policy_rules_eval(&rules, input, &reasons) && reasons.n == 0)
		abort();
	check_reasons(&reasons);
	strv_free(&reasons);
	policy_rules_free(&rules);
	json_free(input);
	return 0;
}
