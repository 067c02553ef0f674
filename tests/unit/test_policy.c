/* Unit tests: the policy section of a profile, the decision program's answer (hostile input),
 * the built-in rules on an input, learning from audit records, and the profile score. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "learn_obs.h"
#include "policy_eval.h"
#include "profile.h"
#include "score.h"
#include "json.h"

static bool answer(const char *text, bool *allow, size_t *n_reasons, const char **why)
{
	struct policy_answer a;

	*why = policy_answer_parse(text, strlen(text), &a);
	*allow = a.allow;
	*n_reasons = a.reasons.n;
	policy_answer_free(&a);
	return *why == NULL;
}

Test(policy_answer, shapes)
{
	bool allow;
	size_t n;
	const char *why;

	cr_assert(answer("{\"result\": true}", &allow, &n, &why) && allow && n == 0);
	cr_assert(answer("{\"result\": false, \"reasons\": [\"a\", \"b\"]}\n", &allow, &n, &why) &&
	          !allow && n == 2);
	cr_assert(answer("{\"result\": {\"allow\": true, \"deny\": []}}", &allow, &n, &why) &&
	          allow);
	/* OPA: allow true with a deny entry still denies. */
	cr_assert(answer("{\"result\": {\"allow\": true, \"deny\": [\"x\"]}, \"decision_id\": 1}",
	                 &allow, &n, &why) &&
	          !allow && n == 1);
}

Test(policy_answer, garbage_is_no_decision)
{
	static const char *const bad[] = {"",
	                                  "not json",
	                                  "[]",
	                                  "{}",
	                                  "{\"result\": 1}",
	                                  "{\"result\": \"true\"}",
	                                  "{\"result\": {}}",
	                                  "{\"result\": {\"allow\": 1}}",
	                                  "{\"result\": {\"allow\": true, \"deny\": \"x\"}}",
	                                  "{\"result\": false, \"reasons\": [1]}",
	                                  "{\"result\": true} {\"result\": false}",
	                                  "{\"result\": true}x"};
	bool allow;
	size_t n;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!answer(bad[i], &allow, &n, &why), "%s", bad[i]);
		cr_assert(!allow && why, "%s", bad[i]);
	}
	cr_assert_not_null(
	    policy_answer_parse("{\"result\":\0true}", 16, &(struct policy_answer){0}));
}

Test(policy_answer, reasons_bounded_and_printable)
{
	struct policy_answer a;
	char text[8192] = "{\"result\": false, \"reasons\": [";

	for (int i = 0; i < 40; i++)
		strcat(text, i ? ",\"r\\u0001\"" : "\"r\\u0001\"");
	strcat(text, "]}");
	cr_assert_null(policy_answer_parse(text, strlen(text), &a));
	cr_assert_eq(a.reasons.n, POLICY_MAX_REASONS);
	cr_assert_str_eq(a.reasons.v[0], "r?");
	policy_answer_free(&a);
}

static struct json *input(const char *job)
{
	char *text;
	struct json *o;

	cr_assert(asprintf(&text, "{\"version\": 1, \"job\": %s}", job) > 0);
	o = json_parse(text);
	free(text);
	cr_assert(o);
	return o;
}

Test(policy_rules, blueprint)
{
	struct policy_rules r = {
	    .deny_privileged = 1, .deny_host_sockets = 1, .max_token_ttl_ms = 3600000};
	struct strv reasons = {0};
	struct json *ok =
	    input("{\"privileged\": false, \"mounts\": [], \"labels\": [\"ephemeral\"], "
	          "\"tokens\": [\"GITHUB_TOKEN\"], \"token_ttl_minutes\": 60}");
	struct json *bad =
	    input("{\"privileged\": true, \"privileged_why\": [\"seccomp allows mount\"], "
	          "\"mounts\": [{\"host\": \"/run/docker.sock\", \"path\": \"/d\", "
	          "\"socket\": true}], \"labels\": [], \"tokens\": [\"T\"]}");

	strv_push(&r.require_labels, "ephemeral");
	cr_assert(policy_rules_eval(&r, ok, &reasons) && reasons.n == 0);
	cr_assert(!policy_rules_eval(&r, bad, &reasons));
	cr_assert_eq(reasons.n, 4);
	cr_assert_str_eq(reasons.v[0], "deny_privileged: seccomp allows mount");
	cr_assert(strstr(reasons.v[1], "deny_host_sockets: host socket /run/docker.sock"));
	cr_assert(strstr(reasons.v[2], "require_labels: the run has no label \"ephemeral\""));
	cr_assert(strstr(reasons.v[3], "without a time limit"), "%s", reasons.v[3]);
	strv_free(&reasons);
	policy_rules_free(&r);
	json_free(ok);
	json_free(bad);
}

Test(policy_spec, parse_print_and_extend)
{
	struct profile p;
	struct cis_err err = {{0}};
	char *text = NULL;
	size_t len;
	FILE *m = open_memstream(&text, &len);

	cr_assert_eq(
	    profile_load_text("{\"extends\": \"untrusted\", \"policy\": {\"exec\": \"opa\", "
	                      "\"timeout\": \"3s\", \"labels\": [\"ephemeral\"], "
	                      "\"rules\": {\"deny_privileged\": true, "
	                      "\"max_token_ttl\": \"1h\"}}}",
	                      "t.json", &p, &err),
	    0, "%s", err.msg);
	cr_assert_str_eq(p.policy.exec, "opa");
	cr_assert_eq(p.policy.timeout_ms, 3000);
	cr_assert_eq(p.policy.rules.max_token_ttl_ms, 3600000);
	profile_print_json(&p, m);
	fclose(m);
	cr_assert(strstr(text, "\"rules\":\t{\n\t\t\t\"deny_privileged\":\ttrue"), "%s", text);
	free(text);
	profile_free(&p);
	cr_assert_lt(profile_load_text("{\"policy\": {\"rules\": {\"deny_privileged\": 1}}}",
	                               "b.json", &p, &err),
	             0);
	cr_assert_str_eq(err.msg, "profile b.json: policy.rules.deny_privileged: must be true or "
	                          "false");
}

static const char ID[] = "0123456789abcdef0123456789abcdef";

/* One record of sandbox `id` with these fields. */
static void line_of(struct learn_obs *o, const char *id, const char *fields)
{
	char *text;

	cr_assert(asprintf(&text, "{\"v\":1,\"sandbox\":\"%s\",%s}", id, fields) > 0);
	learn_obs_line(o, ID, text, strlen(text));
	free(text);
}

Test(learn, profile_from_records)
{
	struct learn_obs o = {0};
	struct cis_seccomp sc = {0};
	struct strv parent = {0};
	struct learn_parent pa = {"untrusted", "untrusted", true, NET_NONE, &parent, "make"};
	struct json *prof;
	char *text;

	line_of(&o, ID,
	        "\"event\":\"dns.answer\",\"name\":\"pkg.example.org\",\"type\":\"A\","
	        "\"addresses\":[\"198.51.100.10\"]");
	line_of(&o, ID,
	        "\"event\":\"egress.flow\",\"proto\":\"tcp\",\"destination\":\"198.51.100.10:443\","
	        "\"denied\":false");
	line_of(&o, ID,
	        "\"event\":\"egress.flow\",\"proto\":\"udp\",\"destination\":\"[2001:db8::1]:53\","
	        "\"denied\":false");
	line_of(
	    &o, ID,
	    "\"event\":\"egress.flow\",\"proto\":\"tcp\",\"destination\":\"169.254.169.254:80\","
	    "\"denied\":true");
	line_of(&o, ID,
	        "\"event\":\"policy.deny\",\"kind\":\"syscall\",\"syscall\":\"memfd_secret\"");
	line_of(&o, ID, "\"event\":\"policy.deny\",\"kind\":\"syscall\",\"syscall\":\"bpf\"");
	line_of(&o, "other", "\"event\":\"policy.deny\",\"kind\":\"syscall\",\"syscall\":\"x\"");
	learn_obs_line(&o, ID, "garbage", 7);
	cr_assert_eq(o.ignored, 2);
	strv_push(&sc.allow, "read");
	prof = learn_profile_build(&o, &pa, &sc);
	text = json_print_compact(prof);
	cr_assert(strstr(text, "\"allow\":[\"[2001:db8::1]:53/udp\",\"pkg.example.org:443\"]"),
	          "%s", text);
	cr_assert(strstr(text, "\"seccomp\":{\"allow\":[\"memfd_secret\"]}"), "%s", text);
	cr_assert(strstr(text, "bpf (bpf)") && strstr(text, "169.254.169.254:80"), "%s", text);
	free(text);
	json_free(prof);
	learn_obs_free(&o);
	cis_seccomp_free(&sc);
}

Test(learn, grantable)
{
	struct cis_seccomp sc = {0};

	strv_push(&sc.allow, "clone");
	strv_push(&sc.deny, "sync");
	cr_assert(learn_syscall_grantable(&sc, "memfd_secret"));
	cr_assert(!learn_syscall_grantable(&sc, "unshare"));
	cr_assert(!learn_syscall_grantable(&sc, "ptrace"));
	cr_assert(!learn_syscall_grantable(&sc, "io_uring_setup"));
	cr_assert(!learn_syscall_grantable(&sc, "clone"), "refused for its arguments");
	cr_assert(!learn_syscall_grantable(&sc, "sync"), "denied by name");
	cr_assert(!learn_syscall_grantable(&sc, "?"));
	cr_assert(!learn_syscall_grantable(&sc, NULL));
	cis_seccomp_free(&sc);
}

static double score_text(const char *text)
{
	struct profile p;
	struct cis_err err = {{0}};
	struct score s;

	cr_assert_eq(profile_load_text(text, "s.json", &p, &err), 0, "%s", err.msg);
	score_profile(&p, &s);
	profile_free(&p);
	cr_assert(s.total >= 0 && s.total <= 10);
	return s.total;
}

Test(score, worse_settings_score_higher)
{
	double base = score_text("{\"extends\": \"untrusted\"}");

	cr_assert_lt(base, score_text("{\"extends\": \"untrusted\", \"network\": {\"mode\": "
	                              "\"open\"}}"));
	cr_assert_lt(base, score_text("{\"extends\": \"untrusted\", \"filesystem\": {\"bind\": "
	                              "[\"/etc\"]}}"));
	cr_assert_gt(base, score_text("{\"extends\": \"untrusted\", \"audit\": {\"log\": \"/x\", "
	                              "\"required\": true}, \"policy\": {\"rules\": "
	                              "{\"deny_privileged\": true}}}"));
}
