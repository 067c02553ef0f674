/* libFuzzer target for json.c and json_parse.c against libcjson 1.7.15 (make fuzz): arbitrary
 * bytes, parsed length-bounded, NUL-terminated and with the end required, by both. They must
 * accept and reject alike but for json.h's documented differences (a \u escape that is not
 * four hex digits or is \u0000, which only we reject; a BOM and one byte, which only we
 * accept), end at the same place, and print the same bytes, formatted and not. */
#include "json.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Only we refused: our error must be at a \u escape cJSON reads as U+0000. */
static bool explained_reject(const char *text, size_t len, const char *end)
{
	size_t at = (size_t)(end - text);

	if (at + 6 > len || end[0] != '\\' || end[1] != 'u')
		return false;
	for (int i = 2; i < 6; i++)
		if (!is_hex(end[i]))
			return true;
	return memcmp(end + 2, "0000", 4) == 0;
}

static void same_print(const struct json *ours, const cJSON *theirs)
{
	char *a = json_print(ours), *b = cJSON_Print(theirs);
	char *c = json_print_compact(ours), *d = cJSON_PrintUnformatted(theirs);

	if (!a || !b || !c || !d || strcmp(a, b) != 0 || strcmp(c, d) != 0)
		abort();
	free(a), free(b), free(c), free(d);
}

/* ours parsed text..len ending at end, theirs at cend; bom1: a BOM and one byte (only we skip
 * that BOM). */
static void compare(const char *text, size_t len, struct json *ours, const char *end, cJSON *theirs,
                    const char *cend, bool bom1)
{
	if (ours && theirs) {
		if (end != cend)
			abort();
		same_print(ours, theirs);
	} else if (!ours && theirs) {
		if (!explained_reject(text, len, end))
			abort();
	} else if (ours && !theirs) {
		if (!bom1)
			abort();
	}
	json_free(ours);
	cJSON_Delete(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *end = NULL, *cend = NULL;
	bool bom1 = size == 4 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
	struct json *ours;
	cJSON *theirs;
	char *s;
	size_t n;

	ours = json_parse_opts(text, size, &end, false);
	theirs = cJSON_ParseWithLengthOpts(text, size, &cend, false);
	compare(text, size, ours, end, theirs, cend, bom1);

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	ours = json_parse_opts(s, n, &end, false);
	theirs = cJSON_ParseWithOpts(s, &cend, false);
	compare(s, n, ours, end, theirs, cend, false);
	/* The whole text required (profile.c); the error position is not compared: only the line
	 * it falls on is shown, and cJSON's is not always where it stopped. */
	ours = json_parse_opts(s, n, &end, true);
	theirs = cJSON_ParseWithOpts(s, &cend, true);
	compare(s, n, ours, end, theirs, cend, false);
	free(s);
	return 0;
}
