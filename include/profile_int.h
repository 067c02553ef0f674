/* profile_int.h — inside the profile module only: the reader's context and field getters
 * (profile.c) that the section appliers (profile_sections.c) share. Each getter returns 1 when
 * the key is there, 0 when it is not, or -errno with the error set naming FILE and the path. */
#ifndef CIS_PROFILE_INT_H
#define CIS_PROFILE_INT_H

#include "profile.h"

#include <stdint.h>

struct json;

/* Where one profile file is being read from, for error messages. */
struct ctx {
	const char *file;
	struct cis_err *err;
};

int pf_fail(const struct ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Unknown keys are errors: a typo must never silently weaken a policy. */
int pf_check_keys(const struct ctx *c, const struct json *obj, const char *path,
                  const char *const *allowed);
int pf_get_string(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                  const char **out);
int pf_get_size(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                uint64_t *out);
int pf_get_duration(const struct ctx *c, const struct json *obj, const char *key, const char *path,
                    uint64_t *out);

/* One section each, applied over p: 0 or -errno with the error set. */
int profile_apply_filesystem(const struct ctx *c, const struct json *fs, struct profile *p);
int profile_apply_env(const struct ctx *c, const struct json *env, struct profile *p);
int profile_apply_file_commands(const struct ctx *c, const struct json *fc, struct profile *p);
int profile_apply_limits(const struct ctx *c, const struct json *lim, struct profile *p);
int profile_apply_audit(const struct ctx *c, const struct json *audit, struct profile *p);
int profile_apply_network(const struct ctx *c, const struct json *net, struct profile *p);
int profile_apply_seccomp(const struct ctx *c, const struct json *sc, struct profile *p);
/* The top level's "tier", "token_ttl" and "secrets". */
int profile_apply_secrets(const struct ctx *c, const struct json *root, struct profile *p);

#endif
