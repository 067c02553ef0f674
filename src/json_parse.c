/* json_parse.c — JSON text into a struct json tree; hostile input (profiles a repository
 * carries, decision programs' answers, CI event files, audit lines). Pure. Accepts what cJSON
 * 1.7.15 accepts but for the three points json.h lists. Reads nothing past len, does not
 * recurse (open containers are kept in a fixed array of JSON_MAX_DEPTH), and sizes every
 * allocation from the input's length, which cannot overflow. */
#define _GNU_SOURCE
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const unsigned char *s;
	size_t len, pos;
};

/* cJSON counts every byte up to the space as white space, NUL and control bytes included. */
static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && p->s[p->pos] <= ' ')
		p->pos++;
}

static bool at(const struct parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == (unsigned char)c;
}

static bool hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \uXXXX escape at s (a pair of them for a surrogate pair), before end; its length, 0 if
 * invalid. U+0000 is refused: a C string would end there and hide the rest. */
static size_t unicode_escape(const unsigned char *s, const unsigned char *end, unsigned char **o)
{
	unsigned hi, lo;

	if (end - s < 6 || !hex4(s + 2, &hi) || hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return 0;
	if (hi < 0xd800 || hi > 0xdbff) {
		*o += put_utf8(*o, hi);
		return 6;
	}
	if (end - s < 12 || s[6] != '\\' || s[7] != 'u' || !hex4(s + 8, &lo) || lo < 0xdc00 ||
	    lo > 0xdfff)
		return 0;
	*o += put_utf8(*o, 0x10000 + ((hi & 0x3ff) << 10 | (lo & 0x3ff)));
	return 12;
}

/* Decode s..end (the string's body) into o; 0 or the offset of the bad escape + 1. */
static size_t unescape(const unsigned char *s, const unsigned char *end, unsigned char *o)
{
	static const char from[] = "bfnrt\"\\/", to[] = "\b\f\n\r\t\"\\/";
	const unsigned char *start = s;

	while (s < end) {
		const char *e;
		size_t n;

		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s[1] == 'u') {
			if (!(n = unicode_escape(s, end, &o)))
				return (size_t)(s - start) + 1;
			s += n;
			continue;
		}
		if (!s[1] || !(e = strchr(from, s[1])))
			return (size_t)(s - start) + 1;
		*o++ = (unsigned char)to[e - from];
		s += 2;
	}
	*o = '\0';
	return 0;
}

/* A string at p->pos (a '"'); malloc'd text, NULL if invalid (p->pos then at the fault). */
static char *parse_string(struct parser *p)
{
	size_t q = p->pos + 1, bad;
	unsigned char *out;

	/* The closing quote first: an escape's second byte is skipped, '\\' last is an error. */
	while (q < p->len && p->s[q] != '"') {
		if (p->s[q] == '\\' && ++q >= p->len)
			break;
		q++;
	}
	if (q >= p->len) {
		p->pos++;
		return NULL;
	}
	/* The decoded text is never longer than the escaped one. */
	out = malloc(q - p->pos);
	if (!out)
		return NULL;
	bad = unescape(p->s + p->pos + 1, p->s + q, out);
	if (bad) {
		free(out);
		p->pos += bad;
		return NULL;
	}
	p->pos = q + 1;
	return (char *)out;
}

/* As Debian's cJSON (CVE-2023-26819's fix: any length): strtod over a copy of the run of bytes
 * a number can hold; the copy is needed because the text need not end with a NUL. */
static bool parse_number(struct parser *p, struct json *j)
{
	char *buf, *stop;
	size_t n = 0;
	bool ok;

	while (p->pos + n < p->len && p->s[p->pos + n] &&
	       strchr("0123456789+-eE.", p->s[p->pos + n]))
		n++;
	if (!(buf = strndup((const char *)p->s + p->pos, n)))
		return false;
	j->valuedouble = strtod(buf, &stop);
	ok = stop != buf;
	p->pos += (size_t)(stop - buf);
	free(buf);
	return ok;
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

/* A scalar, or a container's opening: its node (the container still empty), or NULL. */
static struct json *parse_value(struct parser *p)
{
	struct json *j = calloc(1, sizeof(*j));
	unsigned char c = p->pos < p->len ? p->s[p->pos] : 0;
	bool ok = true;

	if (!j)
		return NULL;
	if (literal(p, "null"))
		j->type = JSON_NULL;
	else if (literal(p, "false"))
		j->type = JSON_FALSE;
	else if (literal(p, "true"))
		j->type = JSON_TRUE;
	else if (c == '"')
		ok = (j->valuestring = parse_string(p)) != NULL, j->type = JSON_STRING;
	else if (c == '-' || (c >= '0' && c <= '9'))
		ok = parse_number(p, j), j->type = JSON_NUMBER;
	else if (c == '[' || c == '{')
		j->type = c == '[' ? JSON_ARRAY : JSON_OBJECT, p->pos++;
	else
		ok = false;
	if (!ok) {
		free(j);
		return NULL;
	}
	return j;
}

/* An object member's key and its ':', at p->pos; the key or NULL. */
static char *parse_key(struct parser *p)
{
	char *key;

	if (!at(p, '"'))
		return NULL;
	if (!(key = parse_string(p)))
		return NULL;
	skip_ws(p);
	if (!at(p, ':')) {
		free(key);
		return NULL;
	}
	p->pos++;
	skip_ws(p);
	return key;
}

/* After a value inside containers: ',' (1: a value follows), or closings until the
 * outermost (0: done), or an error (-1). */
static int after_value(struct parser *p, struct json **stack, size_t *depth)
{
	while (*depth) {
		char close = stack[*depth - 1]->type == JSON_ARRAY ? ']' : '}';

		skip_ws(p);
		if (at(p, ',')) {
			p->pos++;
			return 1;
		}
		if (!at(p, close))
			return -1;
		p->pos++;
		(*depth)--;
	}
	return 0;
}

/* One value and what it holds, at p->pos (white space skipped). */
static struct json *parse_tree(struct parser *p)
{
	struct json *stack[JSON_MAX_DEPTH], *root = NULL, *v, *top;
	size_t depth = 0;
	int more = 1;

	while (more > 0) {
		char *key = NULL;

		top = depth ? stack[depth - 1] : NULL;
		skip_ws(p);
		if (top && top->type == JSON_OBJECT && !(key = parse_key(p)))
			break;
		if (!(v = parse_value(p))) {
			free(key);
			break;
		}
		v->string = key;
		if (top)
			json_append(top, v);
		else
			root = v;
		if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
			/* cJSON's limit counts empty containers too. */
			if (depth == JSON_MAX_DEPTH)
				break;
			skip_ws(p);
			if (!at(p, v->type == JSON_ARRAY ? ']' : '}')) {
				stack[depth++] = v;
				continue;
			}
			p->pos++;
		}
		more = after_value(p, stack, &depth);
	}
	if (more == 0)
		return root;
	json_free(root);
	return NULL;
}

struct json *json_parse_opts(const char *text, size_t len, const char **end, bool require_end)
{
	struct parser p = {.s = (const unsigned char *)text, .len = len};
	struct json *root;

	if (!text)
		return NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3;
	root = parse_tree(&p);
	if (root && require_end) {
		skip_ws(&p);
		if (p.pos < len) {
			json_free(root);
			root = NULL;
		}
	}
	if (end)
		*end = text + (p.pos < len ? p.pos : len);
	return root;
}

struct json *json_parse_len(const char *text, size_t len)
{
	return json_parse_opts(text, len, NULL, false);
}

struct json *json_parse(const char *text)
{
	return text ? json_parse_opts(text, strlen(text), NULL, false) : NULL;
}
