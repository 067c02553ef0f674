/* policy_eval.c — the built-in rules and the decision program's answer (see policy_eval.h).
 * Pure. The answer comes from another program, maybe over the network: only a JSON object of
 * the two documented shapes allows; anything else is a reason to refuse the run. */
#define _GNU_SOURCE
#include "policy_eval.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define REASON_MAX 512

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
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

static char *join(const cJSON *arr)
{
	char *out = xstrdup("");
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		char *next;

		if (!cJSON_IsString(it))
			continue;
		next = xasprintf("%s%s%s", out, *out ? ", " : "", it->valuestring);
		free(out);
		out = next;
	}
	return out;
}

static bool has_string(const cJSON *arr, const char *want)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
			return true;
	}
	return false;
}

static void rule_privileged(const cJSON *job, struct strv *reasons)
{
	const cJSON *it;

	if (!cJSON_IsTrue(get(job, "privileged")))
		return;
	cJSON_ArrayForEach(it, get(job, "privileged_why"))
	{
		_cleanup_free_ char *r = xasprintf(
		    "deny_privileged: %s", cJSON_IsString(it) ? it->valuestring : "privileged");
		push_reason(reasons, r);
	}
}

static void rule_sockets(const cJSON *job, struct strv *reasons)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, get(job, "mounts"))
	{
		const cJSON *host = get(m, "host"), *path = get(m, "path");
		_cleanup_free_ char *r = NULL;

		if (!cJSON_IsTrue(get(m, "socket")))
			continue;
		r = xasprintf("deny_host_sockets: host socket %s shown at %s",
		              cJSON_IsString(host) ? host->valuestring : "?",
		              cJSON_IsString(path) ? path->valuestring : "?");
		push_reason(reasons, r);
	}
}

static void rule_labels(const struct strv *want, const cJSON *job, struct strv *reasons)
{
	const cJSON *labels = get(job, "labels");
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

static void rule_token_ttl(uint64_t max_ms, const cJSON *job, struct strv *reasons)
{
	const cJSON *tokens = get(job, "tokens"), *ttl = get(job, "token_ttl_minutes");
	_cleanup_free_ char *names = join(tokens), *r = NULL;
	char buf[32];

	if (!*names)
		return;
	if (!cJSON_IsNumber(ttl))
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

bool policy_rules_eval(const struct policy_rules *r, const cJSON *input, struct strv *reasons)
{
	const cJSON *job = get(input, "job");
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
static bool take_reasons(const cJSON *arr, struct strv *out)
{
	const cJSON *it;

	if (!arr)
		return true;
	if (!cJSON_IsArray(arr))
		return false;
	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsString(it))
			return false;
		push_reason(out, it->valuestring);
	}
	return true;
}

static const char *parse_result(const cJSON *root, struct policy_answer *out)
{
	const cJSON *res = get(root, "result"), *allow, *deny;

	if (cJSON_IsBool(res)) {
		out->allow = cJSON_IsTrue(res);
		return take_reasons(get(root, "reasons"), &out->reasons)
		           ? NULL
		           : "\"reasons\" is not an array of strings";
	}
	if (!cJSON_IsObject(res))
		return res ? "\"result\" is neither true, false nor an object"
		           : "no \"result\" (an undefined decision)";
	allow = get(res, "allow");
	if (!cJSON_IsBool(allow))
		return "\"result.allow\" is not true or false";
	deny = get(res, "deny");
	if (!take_reasons(deny, &out->reasons) || !take_reasons(get(res, "reasons"), &out->reasons))
		return "\"result.deny\" is not an array of strings";
	out->allow = cJSON_IsTrue(allow) && cJSON_GetArraySize(deny) == 0;
	return NULL;
}

const char *policy_answer_parse(const char *text, size_t len, struct policy_answer *out)
{
	const char *end = NULL, *why;
	cJSON *root;

	*out = (struct policy_answer){0};
	if (len > POLICY_ANSWER_MAX)
		return "longer than 64 KiB";
	if (memchr(text, '\0', len))
		return "not JSON (a NUL byte)";
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root)
		return "not JSON";
	while (end && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (end != text + len)
		why = "more than one JSON value";
	else if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else
		why = parse_result(root, out);
	cJSON_Delete(root);
	if (why)
		policy_answer_free(out);
	return why;
}

void policy_answer_free(struct policy_answer *a)
{
	strv_free(&a->reasons);
	*a = (struct policy_answer){0};
}
