/* json.c — the JSON value tree: building, looking up, freeing, printing (json_parse.c parses).
 * Pure; runs in whichever process builds a document. The printer's layout and number and string
 * formats are cJSON 1.7.15's (json.h): golden files and audit consumers compare bytes. */
#define _GNU_SOURCE
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json *new_value(enum json_type type)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = type;
	return j;
}

void json_free(struct json *j)
{
	struct json *c, *next;

	if (!j)
		return;
	for (c = j->child; c; c = next) {
		next = c->next;
		json_free(c);
	}
	free(j->valuestring);
	free(j->string);
	free(j);
}

struct json *json_new_object(void)
{
	return new_value(JSON_OBJECT);
}

struct json *json_new_array(void)
{
	return new_value(JSON_ARRAY);
}

struct json *json_new_null(void)
{
	return new_value(JSON_NULL);
}

struct json *json_new_bool(bool b)
{
	return new_value(b ? JSON_TRUE : JSON_FALSE);
}

struct json *json_new_number(double d)
{
	struct json *j = new_value(JSON_NUMBER);

	if (j)
		j->valuedouble = d;
	return j;
}

struct json *json_new_string(const char *s)
{
	struct json *j;

	if (!s)
		return NULL;
	j = new_value(JSON_STRING);
	if (j && !(j->valuestring = strdup(s))) {
		free(j);
		return NULL;
	}
	return j;
}

/* No array at all for an empty strv (v NULL), as cJSON: json_add_strv then adds no key. */
struct json *json_new_string_array(const char *const *v, size_t n)
{
	struct json *a = v ? json_new_array() : NULL;

	for (size_t i = 0; a && i < n; i++) {
		struct json *s = json_new_string(v[i]);

		if (!s) {
			json_free(a);
			return NULL;
		}
		json_append(a, s);
	}
	return a;
}

bool json_append(struct json *array, struct json *item)
{
	if (!array || !item || array == item)
		return false;
	item->next = NULL;
	if (!array->child) {
		array->child = item;
		item->prev = item;
		return true;
	}
	/* The first member's prev is the last member. */
	item->prev = array->child->prev;
	item->prev->next = item;
	array->child->prev = item;
	return true;
}

bool json_add(struct json *object, const char *key, struct json *item)
{
	char *copy;

	if (!object || !key || !item || object == item)
		return false;
	/* Copied before the old key goes: key may be item->string itself. */
	copy = strdup(key);
	if (!copy)
		return false;
	free(item->string);
	item->string = copy;
	return json_append(object, item);
}

/* Add a new member, or free it if it cannot be added. */
static struct json *add_new(struct json *object, const char *key, struct json *item)
{
	if (!item)
		return NULL;
	if (!json_add(object, key, item)) {
		json_free(item);
		return NULL;
	}
	return item;
}

struct json *json_add_string(struct json *object, const char *key, const char *s)
{
	return object && key ? add_new(object, key, json_new_string(s)) : NULL;
}

struct json *json_add_number(struct json *object, const char *key, double d)
{
	return object && key ? add_new(object, key, json_new_number(d)) : NULL;
}

struct json *json_add_bool(struct json *object, const char *key, bool b)
{
	return object && key ? add_new(object, key, json_new_bool(b)) : NULL;
}

struct json *json_add_null(struct json *object, const char *key)
{
	return object && key ? add_new(object, key, json_new_null()) : NULL;
}

struct json *json_add_object(struct json *object, const char *key)
{
	return object && key ? add_new(object, key, json_new_object()) : NULL;
}

struct json *json_add_array(struct json *object, const char *key)
{
	return object && key ? add_new(object, key, json_new_array()) : NULL;
}

struct json *json_detach(struct json *parent, struct json *item)
{
	if (!parent || !item)
		return NULL;
	if (item == parent->child)
		parent->child = item->next;
	else
		item->prev->next = item->next;
	if (item->next)
		item->next->prev = item->prev;
	else if (parent->child)
		parent->child->prev = item->prev; /* it was the last: the new last one */
	item->next = item->prev = NULL;
	return item;
}

struct json *json_get(const struct json *object, const char *key)
{
	struct json *c;

	if (!object || !key)
		return NULL;
	for (c = object->child; c; c = c->next)
		if (c->string && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

int json_size(const struct json *array)
{
	const struct json *c;
	int n = 0;

	for (c = array ? array->child : NULL; c; c = c->next)
		n++;
	return n;
}

/* The printer writes into a growing buffer; a failed allocation sticks and the print returns
 * NULL. */
struct out {
	char *p;
	size_t len, cap;
	bool fail;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->fail)
		return;
	if (o->cap - o->len <= n) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;

		while (cap - o->len <= n)
			cap *= 2;
		if (!(p = realloc(o->p, cap))) {
			o->fail = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void put_tabs(struct out *o, size_t n)
{
	while (n--)
		put(o, "\t", 1);
}

/* Shortest of the two precisions that reads back (cJSON's test: equal within DBL_EPSILON
 * relative, not bit-exact, so that 0.1 prints as 0.1). */
static void put_number(struct out *o, double d)
{
	char buf[32];
	double back, max;
	int n;

	if (isnan(d) || isinf(d)) {
		put(o, "null", 4);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%1.15g", d);
	back = strtod(buf, NULL);
	max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
	if (!(fabs(back - d) <= max * DBL_EPSILON))
		n = snprintf(buf, sizeof(buf), "%1.17g", d);
	put(o, buf, (size_t)n);
}

/* Short escapes for the usual six, \u00XX for other bytes below 0x20; everything else raw
 * (DEL, '/', bytes of UTF-8, invalid UTF-8 too). */
static void put_string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		const char *esc = NULL;
		char u[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};

		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (*p < 0x20)
				esc = u;
		}
		if (esc)
			put(o, esc, strlen(esc));
		else
			put(o, (const char *)p, 1);
	}
	put(o, "\"", 1);
}

static void put_value(struct out *o, const struct json *j, size_t depth, bool fmt);

/* Arrays stay on one line; their depth still counts for objects inside them. */
static void put_array(struct out *o, const struct json *j, size_t depth, bool fmt)
{
	put(o, "[", 1);
	for (const struct json *c = j->child; c; c = c->next) {
		put_value(o, c, depth + 1, fmt);
		if (c->next)
			put(o, ", ", fmt ? 2 : 1);
	}
	put(o, "]", 1);
}

static void put_object(struct out *o, const struct json *j, size_t depth, bool fmt)
{
	put(o, "{\n", fmt ? 2 : 1);
	for (const struct json *c = j->child; c; c = c->next) {
		if (fmt)
			put_tabs(o, depth + 1);
		put_string(o, c->string);
		put(o, ":\t", fmt ? 2 : 1);
		put_value(o, c, depth + 1, fmt);
		if (c->next)
			put(o, ",", 1);
		if (fmt)
			put(o, "\n", 1);
	}
	if (fmt)
		put_tabs(o, depth);
	put(o, "}", 1);
}

/* Recursive: depth is bounded by the parser's limit for parsed trees, and by the code for the
 * trees we build. */
static void put_value(struct out *o, const struct json *j, size_t depth, bool fmt)
{
	switch (j->type) {
	case JSON_NULL:
		put(o, "null", 4);
		break;
	case JSON_FALSE:
		put(o, "false", 5);
		break;
	case JSON_TRUE:
		put(o, "true", 4);
		break;
	case JSON_NUMBER:
		put_number(o, j->valuedouble);
		break;
	case JSON_STRING:
		put_string(o, j->valuestring);
		break;
	case JSON_ARRAY:
		put_array(o, j, depth, fmt);
		break;
	case JSON_OBJECT:
		put_object(o, j, depth, fmt);
		break;
	default:
		o->fail = true;
	}
}

static char *print(const struct json *j, bool fmt)
{
	struct out o = {0};

	if (!j)
		return NULL;
	put_value(&o, j, 0, fmt);
	if (o.fail) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

char *json_print(const struct json *j)
{
	return print(j, true);
}

char *json_print_compact(const struct json *j)
{
	return print(j, false);
}
