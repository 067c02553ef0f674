/* Unit tests: json.c and json_parse.c against libcjson 1.7.15, the behaviour they follow (this
 * binary alone links both: ours are json_*, cJSON's cJSON_*). Each text is parsed by both; they
 * must agree on accept or reject and, when both accept, print the same bytes formatted and
 * unformatted. The deliberate differences (json.h) are pinned one by one. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Both parse len bytes of text (a copy of exactly len bytes: ASan sees any read past it). */
static bool same_as_cjson_len(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct json *ours;
	cJSON *theirs;
	bool accepted;

	memcpy(copy, text, len);
	ours = json_parse_len(copy, len);
	theirs = cJSON_ParseWithLength(copy, len);
	cr_assert_eq(ours != NULL, theirs != NULL, "accept/reject differ (ours %d) on %.*s", !!ours,
	             (int)len, text);
	accepted = ours != NULL;
	if (ours) {
		char *a = json_print(ours), *b = cJSON_Print(theirs);
		char *c = json_print_compact(ours), *d = cJSON_PrintUnformatted(theirs);

		cr_assert_str_eq(a, b, "formatted print differs on %.*s", (int)len, text);
		cr_assert_str_eq(c, d, "unformatted print differs on %.*s", (int)len, text);
		free(a), free(b), free(c), free(d);
	}
	json_free(ours);
	cJSON_Delete(theirs);
	free(copy);
	return accepted;
}

/* The same text NUL-terminated (json_parse, cJSON_Parse) and length-bounded. */
static bool same_as_cjson(const char *text)
{
	struct json *ours = json_parse(text);
	cJSON *theirs = cJSON_Parse(text);

	cr_assert_eq(ours != NULL, theirs != NULL, "accept/reject differ (ours %d) on %s", !!ours,
	             text);
	if (ours) {
		char *a = json_print(ours), *b = cJSON_Print(theirs);

		cr_assert_str_eq(a, b, "formatted print differs on %s", text);
		free(a), free(b);
	}
	json_free(ours);
	cJSON_Delete(theirs);
	return same_as_cjson_len(text, strlen(text));
}

static char *print_of(const char *text, bool fmt)
{
	struct json *j = json_parse(text);
	char *s;

	cr_assert(j, "rejected: %s", text);
	s = fmt ? json_print(j) : json_print_compact(j);
	json_free(j);
	return s;
}

static void corpus_file(const char *path)
{
	_cleanup_free_ char *text = NULL;
	FILE *f = fopen(path, "r");
	size_t len = 0;

	cr_assert(f, "%s", path);
	text = calloc(1, 1 << 20);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	cr_assert_gt(len, 0, "%s", path);
	if (strstr(path, ".jsonl")) {
		int ok = 0;

		/* Audit logs as the report reads them: a line that is not JSON included. */
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			ok += same_as_cjson(line);
		cr_assert_gt(ok, 5, "%s", path);
		return;
	}
	cr_assert(same_as_cjson(text), "%s: rejected", path);
}

static int corpus_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert(d, "%s (run from the tree's top)", dir);
	while ((e = readdir(d))) {
		char path[512];

		if (!strstr(e->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		corpus_file(path);
		n++;
	}
	closedir(d);
	return n;
}

Test(json, corpus_golden_and_profiles)
{
	cr_assert_gt(corpus_dir("tests/golden"), 5);
	cr_assert_gt(corpus_dir("profiles"), 5);
}

Test(json, numbers)
{
	static const char *const nums[] = {
	    "0",
	    "-0",
	    "1",
	    "-1",
	    "2147483647",
	    "2147483648",
	    "-2147483648",
	    "-2147483649",
	    "1e300",
	    "1e-300",
	    "0.1",
	    "1.5",
	    "123456789012345678",
	    "3.14159265358979",
	    "1e400",
	    "-1e400",
	    "5e-324",
	    "1.7976931348623157e308",
	    "0.30000000000000004",
	    "100",
	    "1E2",
	    "1e+2",
	    "01",
	    "1.",
	    "-.5",
	    "1e5e5",
	    "9007199254740993",
	    "-",
	    "--1",
	    "+1",
	    ".5",
	    "1e",
	};
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		char text[64];

		same_as_cjson(nums[i]);
		snprintf(text, sizeof(text), "[%s]", nums[i]);
		same_as_cjson(text);
	}
	/* Longer than cJSON's old 63-byte buffer: Debian's has no limit (CVE-2023-26819). */
	char long_num[128];

	memset(long_num, '1', 100);
	strcpy(long_num + 100, ".5e-3");
	cr_assert(same_as_cjson(long_num));
	strcpy(long_num + 72, "[");
	cr_assert(same_as_cjson(long_num), "trailing garbage after a long number");
	/* Pinned too, independently of libcjson. */
	cr_assert_str_eq(s = print_of("[-0,2147483648,1e300,123456789012345678,0.1,1e400]", false),
	                 "[-0,2147483648,1e+300,1.2345678901234568e+17,0.1,null]");
	free(s);
	cr_assert_str_eq(s = print_of("[3.14159265358979,-2147483649,1e-300]", false),
	                 "[3.14159265358979,-2147483649,1e-300]");
	free(s);
}

/* Numbers built in code (NaN and infinities included) print as cJSON_CreateNumber's do, over a
 * spread of bit patterns. */
Test(json, built_numbers)
{
	double fixed[] = {NAN,  INFINITY, -INFINITY,  DBL_MAX, -DBL_MIN,     1.0 / 3, 0x1p53 + 2,
	                  1e21, 1e15,     123456.789, -0.0,    4294967296.0, 1e-7};
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < ARRAY_SIZE(fixed) + 20000; i++) {
		double d;

		if (i < ARRAY_SIZE(fixed)) {
			d = fixed[i];
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(&d, &x, sizeof(d));
			if (i % 2)
				d = (double)(int64_t)(x >> (i % 60)) / (double)(1 + i % 1000);
		}
		struct json *o = json_new_number(d);
		cJSON *c = cJSON_CreateNumber(d);
		char *a = json_print(o), *b = cJSON_Print(c);

		cr_assert_str_eq(a, b, "%a", d);
		free(a), free(b);
		json_free(o);
		cJSON_Delete(c);
	}
}

Test(json, string_printing_every_byte)
{
	char s[256];

	for (int i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	s[255] = '\0';
	struct json *o = json_new_object();
	cJSON *c = cJSON_CreateObject();

	json_add_string(o, s, s);
	cJSON_AddStringToObject(c, s, s);
	char *a = json_print(o), *b = cJSON_Print(c);
	char *d = json_print_compact(o), *e = cJSON_PrintUnformatted(c);

	cr_assert_str_eq(a, b);
	cr_assert_str_eq(d, e);
	cr_assert(strstr(d, "\\u0001\\u0002") && strstr(d, "\\u001f") && strstr(d, "\\b\\t\\n"),
	          "%s", d);
	cr_assert(strstr(d, "!\\\"#") && strstr(d, "[\\\\]") && strstr(d, "./0") &&
	              strstr(d, "~\x7f\x80"),
	          "%s", d);
	free(a), free(b), free(d), free(e);
	json_free(o);
	cJSON_Delete(c);
}

Test(json, strings_parsed)
{
	static const char *const texts[] = {
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "\"\\u00e9\\u00E9 \xc3\xa9\"",
	    "\"\\ud83d\\ude00\"",
	    "\"\\u007f\x7f/\"",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\\ud800x\"",
	    "\"\\ud800\\u0041\"",
	    "\"\\ud800\\udbff\"",
	    "\"\\udbff\\udfff\"",
	    "\"\\x\"",
	    "\"\\'\"",
	    "\"\\",
	    "\"abc",
	    "\"\\u12\"",
	    "\"\\u\"",
	    "{\"\\n\\u0001k\":\"\\u0002\"}",
	    "\"\xff\xfe invalid utf-8\"",
	    "\"\\uD834\\uDD1E\"",
	    "[\"a\",\"\"]",
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		same_as_cjson(texts[i]);
	/* Raw control bytes inside a string pass, as in cJSON. */
	for (int c = 1; c < 0x20; c++) {
		char text[8] = {'"', 'a', (char)c, 'b', '"', 0};

		cr_assert(same_as_cjson(text), "raw %#x", c);
	}
	struct json *j = json_parse("\"\\ud83d\\ude00\\u00e9\"");

	cr_assert_str_eq(j->valuestring, "\xf0\x9f\x98\x80\xc3\xa9");
	json_free(j);
}

/* json.h's three differences, each checked against what cJSON does. */
Test(json, deliberate_differences)
{
	static const char *const u0[] = {"\"\\u00zz\"", "\"\\u0000\"", "\"a\\u0000b\"",
	                                 "{\"k\\uzzzz\":1}", "\"\\u-123\""};

	for (size_t i = 0; i < ARRAY_SIZE(u0); i++) {
		const char *end = NULL;
		cJSON *c = cJSON_Parse(u0[i]);

		cr_assert(c, "cJSON now rejects %s", u0[i]);
		cJSON_Delete(c);
		cr_assert_null(json_parse_opts(u0[i], strlen(u0[i]), &end, false), "%s", u0[i]);
		cr_assert(end && end[0] == '\\' && end[1] == 'u', "error not at the escape: %s",
		          u0[i]);
	}
	/* A BOM and one byte: cJSON wants two more bytes after it. */
	cJSON *c = cJSON_ParseWithLength("\xef\xbb\xbf"
	                                 "7",
	                                 4);
	struct json *j = json_parse_len("\xef\xbb\xbf"
	                                "7",
	                                4);

	cr_assert_null(c);
	cr_assert(j && j->valuedouble == 7);
	json_free(j);
	same_as_cjson("\xef\xbb\xbf"
	              "42");
	same_as_cjson("\xef\xbb\xbf"
	              "[1]");
	same_as_cjson("\xef\xbb");
}

Test(json, containers)
{
	static const char *const texts[] = {
	    "{}",
	    "[]",
	    "[{}]",
	    "{\"a\":{}}",
	    "[[],[[]],{}]",
	    "[{\"a\":{}},{}]",
	    "{\"a\":[{\"b\":1,\"c\":{}},[{\"d\":[]}]],\"e\":null,\"f\":true,\"g\":false}",
	    " \t\r\n{ \"a\" : [ 1 , 2 ] }\x01",
	    "[1,]",
	    "[,1]",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{,}",
	    "{\"a\":1,}",
	    "[1 2]",
	    "{\"a\" 1}",
	    "{1:2}",
	    "[",
	    "{",
	    "]",
	    "nul",
	    "tru",
	    "falsey",
	    "[true,false,null]",
	    "",
	    "   ",
	    "[\"a\":1]",
	    "{\"a\":1 \"b\":2}",
	};
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		same_as_cjson(texts[i]);
	cr_assert_str_eq(s = print_of("[{\"a\":{}},{}]", true),
	                 "[{\n\t\t\"a\":\t{\n\t\t}\n\t}, {\n\t}]");
	free(s);
	cr_assert_str_eq(s = print_of("{}", true), "{\n}");
	free(s);
	cr_assert_str_eq(s = print_of("{\"a\":[1,{\"b\":[]}]}", true),
	                 "{\n\t\"a\":\t[1, {\n\t\t\t\"b\":\t[]\n\t\t}]\n}");
	free(s);
}

Test(json, duplicate_keys_first_wins)
{
	const char *text = "{\"a\":1,\"b\":2,\"a\":3}";
	struct json *j = json_parse(text);
	cJSON *c = cJSON_Parse(text);

	cr_assert_eq(json_get(j, "a")->valuedouble, 1);
	cr_assert_eq(json_get(j, "a")->valuedouble,
	             cJSON_GetObjectItemCaseSensitive(c, "a")->valuedouble);
	cr_assert_null(json_get(j, "A"), "case-sensitive");
	cr_assert_eq(json_size(j), 3);
	same_as_cjson(text);
	json_free(j);
	cJSON_Delete(c);
}

static char *nested(const char *open, const char *mid, const char *close, int n)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
	char *s = malloc((size_t)n * (lo + lc) + lm + 1), *p = s;

	for (int i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm), p += lm;
	for (int i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

Test(json, depth_limit)
{
	struct {
		const char *open, *mid, *close;
	} kinds[] = {
	    {"[", "1", "]"}, {"[", "", "]"}, {"{\"a\":", "{}", "}"}, {"[{\"a\":", "[]", "}]"}};

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		int per = k == 3 ? 2 : 1; /* containers per repetition */

		for (int n = JSON_MAX_DEPTH / per - 2; n <= JSON_MAX_DEPTH / per + 1; n++) {
			char *s = nested(kinds[k].open, kinds[k].mid, kinds[k].close, n);
			int depth = n * per + (kinds[k].mid[0] == '[' || kinds[k].mid[0] == '{');

			cr_assert_eq(same_as_cjson(s), depth <= JSON_MAX_DEPTH, "depth %d", depth);
			free(s);
		}
	}
	/* Far deeper: refused without recursion (cJSON refuses at 1001 too). */
	char *s = nested("[", "", "]", 200000);

	cr_assert_null(json_parse(s));
	free(s);
}

Test(json, trailing_garbage_and_end)
{
	const char *end = NULL, *cend = NULL;
	const char *t1 = "{\"a\":1} x", *t2 = "[1]  \n\t", *t3 = "{\n\"a\":\n[1,\n2 3]}";
	struct json *j;
	cJSON *c;

	same_as_cjson(t1);
	cr_assert_null(json_parse_opts(t1, strlen(t1), &end, true));
	cr_assert_null(cJSON_ParseWithOpts(t1, &cend, true));
	cr_assert_eq(end, cend, "error at %td, cJSON's at %td", end - t1, cend - t1);
	cr_assert_eq(*end, 'x');
	j = json_parse_opts(t2, strlen(t2), &end, true);
	c = cJSON_ParseWithOpts(t2, &cend, true);
	cr_assert(j && c && end == t2 + strlen(t2) && cend == end);
	json_free(j), cJSON_Delete(c);
	j = json_parse_opts(t2, strlen(t2), &end, false);
	c = cJSON_ParseWithLengthOpts(t2, strlen(t2), &cend, false);
	cr_assert(j && c && end == t2 + 3 && cend == end, "end after the value");
	json_free(j), cJSON_Delete(c);
	/* The error position profile.c turns into a line number: where cJSON's was. */
	cr_assert_null(json_parse_opts(t3, strlen(t3), &end, true));
	cr_assert_null(cJSON_ParseWithOpts(t3, &cend, true));
	cr_assert_eq(end, cend, "error at %td, cJSON's at %td", end - t3, cend - t3);
	cr_assert_eq(*end, '3');
}

Test(json, length_bounded_and_nul)
{
	cr_assert(same_as_cjson_len("[1,2]xxx", 5));
	cr_assert(!same_as_cjson_len("[1,2]", 4));
	cr_assert(same_as_cjson_len("123", 3));
	cr_assert(!same_as_cjson_len("\"abc", 4));
	cr_assert(!same_as_cjson_len("\"abc\\", 5));
	cr_assert(!same_as_cjson_len("tru", 3));
	cr_assert(same_as_cjson_len("[1,\0 2]", 7), "NUL is white space between values");
	cr_assert(same_as_cjson_len("\"a\0b\"", 5));
	cr_assert(!same_as_cjson_len("\"\\\0\"", 4));
	cr_assert(!same_as_cjson_len("", 0));

	struct json *j = json_parse_len("\"a\0b\"", 5);

	cr_assert_str_eq(j->valuestring, "a");
	json_free(j);
}

Test(json, building)
{
	struct json *o = json_new_object(), *a, *el;
	const char *v[] = {"x", "y"};
	struct strv none = {0};
	int seen = 0;
	char *s;

	cr_assert_null(json_add_string(NULL, "k", "v"));
	cr_assert_null(json_add_string(o, "k", NULL), "a NULL string adds nothing");
	cr_assert_null(json_add_string(o, NULL, "v"));
	json_add_strv(o, "none", &none);
	cr_assert_eq(json_size(o), 0, "an empty strv adds no key, as cJSON");
	a = json_add_array(o, "a");
	for (int i = 0; i < 4; i++)
		json_append(a, json_new_number(i));
	json_free(json_detach(a, a->child->next));     /* middle */
	json_free(json_detach(a, a->child->prev));     /* last */
	json_append(a, json_new_string("t"));          /* the tail followed */
	json_free(json_detach(a, a->child));           /* first */
	json_add(o, "s", json_new_string_array(v, 2)); /* key copied */
	json_add_bool(o, "b", true);
	json_add_null(o, "n");
	json_add_number(json_add_object(o, "o"), "x", 0.5);
	cr_assert_str_eq(
	    s = json_print_compact(o),
	    "{\"a\":[2,\"t\"],\"s\":[\"x\",\"y\"],\"b\":true,\"n\":null,\"o\":{\"x\":0.5}}");
	free(s);
	cr_assert_eq(json_size(a), 2);
	json_for_each(el, a) seen += el == a->child || el == a->child->prev;
	cr_assert_eq(seen, 2, "json_for_each visits the first and the last");
	json_free(json_detach(a, a->child));
	json_free(json_detach(a, a->child));
	cr_assert(!a->child && json_size(a) == 0);
	json_append(a, json_new_null());
	cr_assert(a->child->prev == a->child);
	cr_assert(json_is_true(json_get(o, "b")) && json_is_bool(json_get(o, "b")));
	cr_assert(!json_is_string(NULL) && !json_get(NULL, "a") && json_size(NULL) == 0);
	cr_assert_null(json_new_string_array((const char *[]){"a", NULL}, 2));
	json_free(o);
}
