/* libFuzzer target for what the CI runners hand us (make fuzz): each input is tried as the
 * GitHub container hook's stdin (github_hook_parse: the JSON and the responseFile's shape) and
 * as a GitHub/Forgejo event payload (origin_pull_request_fork, for both event names). The
 * invariants: a parsed responseFile's _work is a proper prefix of it, and a payload either is
 * a fork with a reason or names one repository as head and base. */
#include "ci.h"
#include "origin.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *cmd, *resp, *work, *why;

	memcpy(text, data, size);
	text[size] = '\0';
	if (github_hook_parse(text, &cmd, &resp, &work) == 0) {
		size_t n = strlen(work);

		if (n == 0 || strncmp(resp, work, n) != 0 || resp[n] != '/')
			abort();
		free(cmd);
		free(resp);
		free(work);
	}
	for (int i = 0; i < 2; i++) {
		bool fork = origin_pull_request_fork(
		    text, i ? "pull_request_target" : "pull_request", &why);

		if (fork && !why)
			abort();
		free(why);
	}
	free(text);
	return 0;
}
