/* policy_eval.c — the built-in rules and the decision program's answer (see policy_eval.h).
 * Pure. The answer comes from another program, maybe over the network: only a JSON object of
 * the two documented shapes allows; anything else is a reason to refuse the run. */
#define _GNU_SOURCE
#include "policy_eval.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

#define REASON_MAX 512

static const struct json *get(const struct json *o, const char *key)
{
	return json_get(o, key);
}

/* Reasons end up on stderr and in the audit log: printable, bounded. */
static void push_reason(struct strv *reasons, const char *s)
{
	size_t n = strnlen(s, REASON_MAX);
	char *r;

	if (reasons->n >= POLICY_MAX_REASONS)
		return;
	r = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		r[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	r[n] = '\0';
	strv_push_take(reasons, r);
}

static char *join(const struct json *arr)
{
	char *out = xstrdup("");
	const struct json *it;

	json_for_each(it, arr)
	{
		char *next;

		if (!json_is_string(it))
			continue;
		next = xasprintf("%s%s%s", out, *out ? ", " : "", it->valuestring);
		free(out);
		out = next;
	}
	return out;
}

static bool has_string(const struct json *arr, const char *want)
{
	const struct json *it;

	json_for_each(it, arr)
	{
		if (json_is_string(it) && strcmp(it->valuestring, want) == 0)
			return true;
	}
	return false;
}

static void rule_privileged(const struct json *job, struct strv *reasons)
{
	const struct json *it;

	if (!json_is_true(get(job, "privileged")))
		return;
	json_for_each(it, get(job, "privileged_why"))
	{
		_cleanup_free_ char *r = xasprintf(
		    "deny_privileged: %s", json_is_string(it) ? it->valuestring : "privileged");
		push_reason(reasons, r);
	}
}

static void rule_sockets(const struct json *job, struct strv *reasons)
{
	const struct json *m;

	json_for_each(m, get(job, "mounts"))
	{
		const struct json *host = get(m, "host"), *path = get(m, "path");
		_cleanup_free_ char *r = NULL;

		if (!json_is_true(get(m, "socket")))
			continue;
		r = xasprintf("deny_host_sockets: host socket %s shown at %s",
		              json_is_string(host) ? host->valuestring : "?",
		              json_is_string(path) ? path->valuestring : "?");
		push_reason(reasons, r);
	}
}

static void rule_labels(const struct strv *want, const struct json *job, struct strv *reasons)
{
	const struct json *labels = get(job, "labels");
	_cleanup_free_ char *have = join(labels);

	for (size_t i = 0; i < want->n; i++) {
		_cleanup_free_ char *r = NULL;

		if (has_string(labels, want->v[i]))
			continue;
		r = xasprintf("require_labels: the run has no label \"%s\" (its labels: %s)",
		              want->v[i], *have ? have : "none");
		push_reason(reasons, r);
	}
}

static void rule_token_ttl(uint64_t max_ms, const struct json *job, struct strv *reasons)
{
	const struct json *tokens = get(job, "tokens"), *ttl = get(job, "token_ttl_minutes");
	_cleanup_free_ char *names = join(tokens), *r = NULL;
	char buf[32];

	if (!*names)
		return;
	if (!json_is_number(ttl))
		r = xasprintf("max_token_ttl: tokens (%s) reach a job without a time limit "
		              "(at most %s)",
		              names, format_duration(max_ms, buf));
	else if (ttl->valuedouble * 60000 > (double)max_ms)
		r = xasprintf("max_token_ttl: tokens (%s) reach a job of up to %.0f minutes (at "
		              "most %s)",
		              names, ttl->valuedouble, format_duration(max_ms, buf));
	if (r)
		push_reason(reasons, r);
}

bool policy_rules_eval(const struct policy_rules *r, const struct json *input, struct strv *reasons)
{
	const struct json *job = get(input, "job");
	size_t before = reasons->n;

	if (r->deny_privileged > 0)
		rule_privileged(job, reasons);
	if (r->deny_host_sockets > 0)
		rule_sockets(job, reasons);
	rule_labels(&r->require_labels, job, reasons);
	if (r->max_token_ttl_ms)
		rule_token_ttl(r->max_token_ttl_ms, job, reasons);
	return reasons->n == before;
}

/* An array of strings (absent: none); false for anything else. */
static bool take_reasons(const struct json *arr, struct strv *out)
{
	const struct json *it;

	if (!arr)
		return true;
	if (!json_is_array(arr))
		return false;
	json_for_each(it, arr)
	{
		if (!json_is_string(it))
			return false;
		push_reason(out, it->valuestring);
	}
	return true;
}

static const char *parse_result(const struct json *root, struct policy_answer *out)
{
	const struct json *res = get(root, "result"), *allow, *deny;

	if (json_is_bool(res)) {
		out->allow = json_is_true(res);
		return take_reasons(get(root, "reasons"), &out->reasons)
		           ? NULL
		           : "\"reasons\" is not an array of strings";
	}
	if (!json_is_object(res))
		return res ? "\"result\" is neither true, false nor an object"
		           : "no \"result\" (an undefined decision)";
	allow = get(res, "allow");
	if (!json_is_bool(allow))
		return "\"result.allow\" is not true or false";
	deny = get(res, "deny");
	if (!take_reasons(deny, &out->reasons) || !take_reasons(get(res, "reasons"), &out->reasons))
		return "\"result.deny\" is not an array of strings";
	out->allow = json_is_true(allow) && json_size(deny) == 0;
	return NULL;
}

const char *policy_answer_parse(const char *text, size_t len, struct policy_answer *out)
{
	const char *end = NULL, *why;
	struct json *root;

	*out = (struct policy_answer){0};
	if (len > POLICY_ANSWER_MAX)
		return "longer than 64 KiB";
	if (memchr(text, '\0', len))
		return "not JSON (a NUL byte)";
	root = json_parse_opts(text, len, &end, false);
	if (!root)
		return "not JSON";
	while (end && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (end != text + len)
		why = "more than one JSON value";
	else if (!json_is_object(root))
		why = "not a JSON object";
	else
		why = parse_result(root, out);
	json_free(root);
	if (why)
		policy_answer_free(out);
	return why;
}

void policy_answer_free(struct policy_answer *a)
{
	strv_free(&a->reasons);
	*a = (struct policy_answer){0};
}
