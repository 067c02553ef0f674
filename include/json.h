/* json.h — a JSON value tree, its parser and its printer (pure: memory only). Runs in every
 * process that reads profiles, decision programs' answers, CI event files or audit lines, and in
 * the launcher that writes audit lines, reports and plans.
 *
 * The behaviour follows cJSON 1.7.15 as Debian 12 ships it (1.7.15-1+deb12u4: numbers of any
 * length since the CVE-2023-26819 fix), the library this replaces, so that every output stays
 * byte-identical: json_print is cJSON_Print's layout (tabs, "key":<TAB>, arrays inline), numbers
 * are "%1.15g" unless that does not read back, then "%1.17g" (NaN and infinities print as null),
 * control characters are escaped as \uXXXX in lower-case hex. The parser differs on purpose in
 * three points, each where cJSON is lenient or off by one (tests/unit/test_json.c pins them):
 *   - a \u escape whose four characters are not all hex digits is rejected (cJSON reads it as
 *     U+0000 and cuts the string there);
 *   - \u0000 is rejected (cJSON cuts the string there: "a\u0000b" would read as "a");
 *   - a UTF-8 byte order mark is skipped whatever follows (cJSON skips it only when the buffer
 *     holds at least two more bytes).
 * Otherwise it accepts what cJSON accepts, including its leniencies: any byte up to 0x20 counts
 * as white space, numbers are what strtod reads from the run of [0-9+-.eE] (so "01", "1." and
 * "-.5" parse), raw control bytes and invalid UTF-8 pass inside strings, and json_parse ignores
 * what follows the first value. Nesting deeper than JSON_MAX_DEPTH arrays and objects is
 * rejected; the parser does not recurse, so the limit bounds memory, not the stack. */
#ifndef CIS_JSON_H
#define CIS_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* cJSON's own limit: a document it accepted, we accept. */
#define JSON_MAX_DEPTH 1000

enum json_type {
	JSON_INVALID,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NULL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* A value. Arrays and objects hold their members as a list from child; the first member's prev
 * points at the last one (appending is O(1)), the last one's next is NULL. */
struct json {
	struct json *next, *prev;
	struct json *child;
	enum json_type type;
	char *valuestring;  /* JSON_STRING: the decoded text, NUL-terminated */
	double valuedouble; /* JSON_NUMBER */
	char *string;       /* the member's key, in an object */
};

/* Parse a NUL-terminated text; what follows the first value is ignored. NULL if invalid. */
struct json *json_parse(const char *text);
/* Parse len bytes (a NUL among them is white space outside a string); never reads past len. */
struct json *json_parse_len(const char *text, size_t len);
/* As json_parse_len; with require_end, only white space may follow the value. *end (if not NULL)
 * is set to just after the value, or on failure to where the parser stopped. */
struct json *json_parse_opts(const char *text, size_t len, const char **end, bool require_end);

/* The text of a value, malloc'd; NULL if out of memory. json_print is cJSON_Print's layout,
 * json_print_compact cJSON_PrintUnformatted's. */
char *json_print(const struct json *j);
char *json_print_compact(const struct json *j);

/* Free a value and everything in it (not its siblings). NULL is fine. */
void json_free(struct json *j);

/* New values; NULL if out of memory (json_new_string also when s is NULL, and
 * json_new_string_array when v or any of the strings is). */
struct json *json_new_object(void);
struct json *json_new_array(void);
struct json *json_new_string(const char *s);
struct json *json_new_number(double d);
struct json *json_new_bool(bool b);
struct json *json_new_null(void);
struct json *json_new_string_array(const char *const *v, size_t n);

/* Append item to an array or object (json_add copies key over the item's old key). False, with
 * item left to the caller, when any argument is NULL or out of memory. */
bool json_append(struct json *array, struct json *item);
bool json_add(struct json *object, const char *key, struct json *item);
/* Create and add a member; the new member, or NULL (nothing added) if object, key or the value
 * string is NULL or out of memory. */
struct json *json_add_string(struct json *object, const char *key, const char *s);
struct json *json_add_number(struct json *object, const char *key, double d);
struct json *json_add_bool(struct json *object, const char *key, bool b);
struct json *json_add_null(struct json *object, const char *key);
struct json *json_add_object(struct json *object, const char *key);
struct json *json_add_array(struct json *object, const char *key);
/* Unlink item from parent's members and return it (NULL if either is NULL). */
struct json *json_detach(struct json *parent, struct json *item);

/* The first member named key (case-sensitive; the first of duplicates), or NULL. */
struct json *json_get(const struct json *object, const char *key);
/* The number of members of an array or object; 0 for NULL. */
int json_size(const struct json *array);

#define json_for_each(el, array)                                                                   \
	for ((el) = (array) ? (array)->child : NULL; (el); (el) = (el)->next)

/* Type tests; all false for NULL. */
static inline bool json_is_type(const struct json *j, enum json_type t)
{
	return j && j->type == t;
}
static inline bool json_is_true(const struct json *j)
{
	return json_is_type(j, JSON_TRUE);
}
static inline bool json_is_bool(const struct json *j)
{
	return json_is_type(j, JSON_TRUE) || json_is_type(j, JSON_FALSE);
}
static inline bool json_is_number(const struct json *j)
{
	return json_is_type(j, JSON_NUMBER);
}
static inline bool json_is_string(const struct json *j)
{
	return json_is_type(j, JSON_STRING);
}
static inline bool json_is_array(const struct json *j)
{
	return json_is_type(j, JSON_ARRAY);
}
static inline bool json_is_object(const struct json *j)
{
	return json_is_type(j, JSON_OBJECT);
}

#endif
