/* libFuzzer target for the file-command filter (make fuzz): each input is filtered as an env
 * file in both runners' dialects and as a path file. Beyond "no crash, no leak", the filter
 * must be idempotent: what it lets through, filtered again, loses nothing more. A second pass
 * that removed something would mean the first one read the file otherwise than the runner
 * reads its own output. */
#include "filecmd.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool under_w(const char *dir, void *ctx)
{
	(void)ctx;
	return strncmp(dir, "/w", 2) == 0 && (dir[2] == '/' || dir[2] == '\0');
}

static void twice(const char *text, size_t size, int kind)
{
	struct strv d1 = {0}, d2 = {0};
	size_t n1, n2;
	char *o1 = kind == 2 ? filecmd_filter_path(text, size, &n1, under_w, NULL, &d1)
	                     : filecmd_filter_env(text, size, kind, &n1, &d1);
	char *o2 = kind == 2 ? filecmd_filter_path(o1, n1, &n2, under_w, NULL, &d2)
	                     : filecmd_filter_env(o1, n1, kind, &n2, &d2);

	if (d2.n != 0 || n2 != n1 || memcmp(o1, o2, n1) != 0)
		abort();
	free(o1);
	free(o2);
	strv_free(&d1);
	strv_free(&d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	twice((const char *)data, size, FILECMD_GITHUB);
	twice((const char *)data, size, FILECMD_ACT);
	twice((const char *)data, size, 2);
	return 0;
}
