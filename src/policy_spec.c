/* policy_spec.c — the profile's "policy" section: parse, print, free (pure; launcher only).
 * Every error names the file and the field, as profile.c's do. */
#define _GNU_SOURCE
#include "policy_spec.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(struct cis_err *err, const char *file, const char *field, const char *why)
{
	return cis_err_set(err, "profile %s: %s: %s", file, field, why);
}

/* Printable ASCII without blanks, quotes or commas: labels are compared as written. */
bool policy_label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\'' || *s == ',' || *s == '\\')
			return false;
	return true;
}

/* A list of labels, added to out. */
static int get_labels(const struct json *obj, const char *key, const char *field, const char *file,
                      struct strv *out, struct cis_err *err)
{
	const struct json *arr = json_get(obj, key), *it;
	char at[96];
	int i = 0;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(err, file, field, "must be an array of labels");
	json_for_each(it, arr)
	{
		snprintf(at, sizeof(at), "%s[%d]", field, i++);
		if (!json_is_string(it) || !policy_label_valid(it->valuestring))
			return fail(err, file, at,
			            "must be a label (printable, no blanks, quotes or commas)");
		if (!strv_contains(out, it->valuestring))
			strv_push(out, it->valuestring);
	}
	return 0;
}

static int get_bool(const struct json *obj, const char *key, const char *field, const char *file,
                    int *out, struct cis_err *err)
{
	const struct json *v = json_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_bool(v))
		return fail(err, file, field, "must be true or false");
	*out = json_is_true(v) ? 1 : -1;
	return 0;
}

static int get_duration(const struct json *obj, const char *key, const char *field,
                        const char *file, uint64_t *out, struct cis_err *err)
{
	const struct json *v = json_get(obj, key);
	uint64_t ms;

	if (!v)
		return 0;
	if (!json_is_string(v) || parse_duration(v->valuestring, &ms) < 0 || ms == 0)
		return fail(err, file, field, "must be a duration above 0 (e.g. 10s, 60m)");
	*out = ms;
	return 0;
}

static int check_keys(const struct json *obj, const char *field, const char *file,
                      const char *const *keys, struct cis_err *err)
{
	const struct json *it;

	if (!json_is_object(obj))
		return fail(err, file, field, "must be an object");
	json_for_each(it, obj)
	{
		bool ok = false;

		for (const char *const *k = keys; *k; k++)
			ok = ok || strcmp(*k, it->string) == 0;
		if (!ok)
			return cis_err_set(err, "profile %s: %s: unknown key \"%s\"", file, field,
			                   it->string);
	}
	return 0;
}

static int parse_rules(const struct json *v, const char *file, struct policy_rules *r,
                       struct cis_err *err)
{
	static const char *const keys[] = {"deny_privileged", "deny_host_sockets", "require_labels",
	                                   "max_token_ttl", NULL};
	int e;

	if ((e = check_keys(v, "policy.rules", file, keys, err)) < 0 ||
	    (e = get_bool(v, "deny_privileged", "policy.rules.deny_privileged", file,
	                  &r->deny_privileged, err)) < 0 ||
	    (e = get_bool(v, "deny_host_sockets", "policy.rules.deny_host_sockets", file,
	                  &r->deny_host_sockets, err)) < 0 ||
	    (e = get_labels(v, "require_labels", "policy.rules.require_labels", file,
	                    &r->require_labels, err)) < 0)
		return e;
	return get_duration(v, "max_token_ttl", "policy.rules.max_token_ttl", file,
	                    &r->max_token_ttl_ms, err);
}

int policy_spec_parse(const struct json *v, const char *file, struct policy_spec *out,
                      struct cis_err *err)
{
	static const char *const keys[] = {"exec", "timeout", "labels", "rules", NULL};
	const struct json *exec = json_get(v, "exec");
	const struct json *rules = json_get(v, "rules");
	int e;

	if ((e = check_keys(v, "policy", file, keys, err)) < 0)
		return e;
	if (exec &&
	    (!json_is_string(exec) || !exec->valuestring[0] || strlen(exec->valuestring) > 4096))
		return fail(err, file, "policy.exec",
		            "must be a command line (run with sh -c), at most 4096 bytes");
	if (exec) {
		free(out->exec);
		out->exec = xstrdup(exec->valuestring);
	}
	if ((e = get_duration(v, "timeout", "policy.timeout", file, &out->timeout_ms, err)) < 0 ||
	    (e = get_labels(v, "labels", "policy.labels", file, &out->labels, err)) < 0)
		return e;
	return rules ? parse_rules(rules, file, &out->rules, err) : 0;
}

bool policy_rules_any(const struct policy_rules *r)
{
	return r->deny_privileged > 0 || r->deny_host_sockets > 0 || r->require_labels.n ||
	       r->max_token_ttl_ms;
}

struct json *policy_json_strv(const struct strv *s)
{
	struct json *arr = json_new_array();

	for (size_t i = 0; i < s->n; i++)
		json_append(arr, json_new_string(s->v[i]));
	return arr;
}

static void add_strv(struct json *o, const char *key, const struct strv *s)
{
	json_add(o, key, policy_json_strv(s));
}

void policy_spec_json(struct json *root, const struct policy_spec *s)
{
	const struct policy_rules *r = &s->rules;
	char buf[32];
	struct json *o, *ro;

	if (!s->exec && !s->timeout_ms && !s->labels.n && !r->deny_privileged &&
	    !r->deny_host_sockets && !r->require_labels.n && !r->max_token_ttl_ms)
		return;
	o = json_add_object(root, "policy");
	if (s->exec)
		json_add_string(o, "exec", s->exec);
	if (s->timeout_ms)
		json_add_string(o, "timeout", format_duration(s->timeout_ms, buf));
	if (s->labels.n)
		add_strv(o, "labels", &s->labels);
	if (!r->deny_privileged && !r->deny_host_sockets && !r->require_labels.n &&
	    !r->max_token_ttl_ms)
		return;
	ro = json_add_object(o, "rules");
	if (r->deny_privileged)
		json_add_bool(ro, "deny_privileged", r->deny_privileged > 0);
	if (r->deny_host_sockets)
		json_add_bool(ro, "deny_host_sockets", r->deny_host_sockets > 0);
	if (r->require_labels.n)
		add_strv(ro, "require_labels", &r->require_labels);
	if (r->max_token_ttl_ms)
		json_add_string(ro, "max_token_ttl", format_duration(r->max_token_ttl_ms, buf));
}

void policy_rules_copy(struct policy_rules *dst, const struct policy_rules *src)
{
	*dst = (struct policy_rules){
	    src->deny_privileged, src->deny_host_sockets, {0}, src->max_token_ttl_ms};
	for (size_t i = 0; i < src->require_labels.n; i++)
		strv_push(&dst->require_labels, src->require_labels.v[i]);
}

void policy_rules_free(struct policy_rules *r)
{
	strv_free(&r->require_labels);
	*r = (struct policy_rules){0};
}

void policy_spec_free(struct policy_spec *s)
{
	free(s->exec);
	strv_free(&s->labels);
	policy_rules_free(&s->rules);
	*s = (struct policy_spec){0};
}
