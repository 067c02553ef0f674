/* libFuzzer target for --learn's reading of its run's audit records (make fuzz): some are
 * relayed from the resolver's child, which parses what the job sends. Each line of the input
 * is a record of sandbox "0...0"; the learned profile built from them must load back as a
 * profile (no name or address the loader refuses, no privileged syscall allowed). */
#include "learn_obs.h"
#include "profile.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ID[] = "00000000000000000000000000000000";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct learn_obs o = {0};
	struct cis_seccomp sc = {0};
	struct strv parent = {0};
	struct learn_parent pa = {"untrusted", "untrusted", true, NET_NONE, &parent, "fuzz"};
	struct profile back;
	struct cis_err err = {{0}};
	const char *p = (const char *)data, *end = p + size;
	char *text;
	struct json *prof;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		learn_obs_line(&o, ID, p, len);
		p += len + 1;
	}
	strv_push(&sc.allow, "read");
	prof = learn_profile_build(&o, &pa, &sc);
	text = json_print(prof);
	json_free(prof);
	if (!text || profile_load_text(text, "learned.json", &back, &err) < 0)
		abort();
	for (size_t i = 0; i < back.sc_allow.n; i++)
		if (!strcmp(back.sc_allow.v[i], "unshare") ||
		    !strcmp(back.sc_allow.v[i], "mount") || !strcmp(back.sc_allow.v[i], "bpf") ||
		    !strcmp(back.sc_allow.v[i], "ptrace"))
			abort();
	profile_free(&back);
	free(text);
	learn_obs_free(&o);
	cis_seccomp_free(&sc);
	return 0;
}
