/* policy_spec.h — a profile's "policy" section (pure: parsed by profile.c in the launcher,
 * before any namespace): the external decision point (policy.exec, e.g. OPA), how long it may
 * take, the labels the operator declares for its runner, and the blueprint's rules built in
 * (policy.rules), evaluated on the same input as the decision point (policy_eval.h). */
#ifndef CIS_POLICY_SPEC_H
#define CIS_POLICY_SPEC_H

#include "util.h"

struct json;

#define POLICY_DEFAULT_TIMEOUT_MS 10000

struct policy_rules {
	int deny_privileged;        /* 1 on, -1 off, 0 not set in the chain */
	int deny_host_sockets;      /* likewise */
	struct strv require_labels; /* every one must be among the run's labels */
	uint64_t max_token_ttl_ms;  /* 0: not set */
};

struct policy_spec {
	char *exec;          /* policy.exec: a decision program, run with sh -c; a child replaces */
	uint64_t timeout_ms; /* policy.timeout; 0: not set */
	struct strv labels;  /* policy.labels: what the operator says of its runner ("ephemeral") */
	struct policy_rules rules;
};

/* Apply a "policy" object over out (a child's values over its parent's: scalars replace,
 * lists add). Errors name the file and the field: 0 or -EINVAL with err set. */
int policy_spec_parse(const struct json *v, const char *file, struct policy_spec *out,
                      struct cis_err *err);
/* Add the section, when anything is set, to a profile printed in schema v1 (it loads back). */
void policy_spec_json(struct json *root, const struct policy_spec *s);
void policy_spec_free(struct policy_spec *s);
/* Printable ASCII without blanks, quotes, commas or backslashes, 1-128 bytes. */
bool policy_label_valid(const char *s);
/* A JSON array of the strings, empty when there are none (json_add_strv adds none). */
struct json *policy_json_strv(const struct strv *s);
/* Does any built-in rule apply? */
bool policy_rules_any(const struct policy_rules *r);
void policy_rules_copy(struct policy_rules *dst, const struct policy_rules *src);
void policy_rules_free(struct policy_rules *r);

#endif
