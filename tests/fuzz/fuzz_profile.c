/* libFuzzer target for the profile loader and the plan builder (make fuzz): a profile is JSON a
 * repository may carry. Each input is loaded as a profile (its "extends" resolved as usual:
 * the built-in profiles are embedded); one that loads is printed (`profile show`) and built
 * into a plan for a fixed command line (--dry-run's path, no namespace is made), which is
 * printed too. Beyond "no crash, no leak": a profile that loads must print as valid JSON, and
 * an error must say something. */
#include "cli.h"
#include "plan.h"
#include "profile.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const char *text)
{
	struct json *j = json_parse(text);

	if (!j)
		abort();
	json_free(j);
}

static void print_checked(const void *obj, bool is_plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return;
	if (is_plan)
		(void)plan_print_json(obj, m);
	else
		(void)profile_print_json(obj, m);
	fclose(m);
	check_json(text);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *args[] = {"make", "test"};
	struct cli c = {
	    .cmd = CMD_RUN, .workspace = "/tmp", .args = args, .n_args = 2, .dry_run = true};
	struct profile prof;
	struct cis_err err = {{0}};
	struct plan p;

	memcpy(text, data, size);
	text[size] = '\0';
	if (profile_load_text(text, "fuzz.json", &prof, &err) < 0) {
		if (!err.msg[0])
			abort();
		free(text);
		return 0;
	}
	print_checked(&prof, false);
	if (plan_build(&p, &c, &prof, &err) == 0) {
		print_checked(&p, true);
		plan_free(&p);
	} else if (!err.msg[0]) {
		abort();
	}
	profile_free(&prof);
	free(text);
	return 0;
}
