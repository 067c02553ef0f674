/* profile.h — JSON profiles (schema v1, man/cisandbox-profile.5): found on the search path or
 * built in, validated strictly, `extends` resolved, flattened into plain structs. Nothing points
 * into the JSON tree after loading. Runs in the launcher only. */
#ifndef CIS_PROFILE_H
#define CIS_PROFILE_H

#include "policy_spec.h"
#include "spec.h"
#include "util.h"

struct profile {
	char *name;
	char *description;
	char *source; /* path, or "builtin:NAME" */
	/* 0 / false: not set by any profile in the chain. */
	bool has_ws_mode;
	enum ws_mode ws_mode;
	uint64_t ws_size;
	/* filesystem.workspace.registration: 1 "show" a runner's registration files (.runner,
	 * .credentials) in the workspace, 0 "hide" (the default), -1 not set in the chain. */
	int ws_registration;
	/* filesystem.private: where a host cannot hide entries only the caller or its groups may
	 * read (rootless without subordinate ids), the run warns (PRIV_UNSET), says nothing
	 * because the operator chose so (PRIV_BEST_EFFORT; the audit still records it), or is a
	 * launcher error (PRIV_REQUIRE). */
	enum private_mode { PRIV_UNSET, PRIV_BEST_EFFORT, PRIV_REQUIRE } private_mode;
	uint64_t tmp_size;
	char *workdir; /* filesystem.workdir: "caller", a path or ${VAR}; NULL: /workspace */
	struct mount_op *mounts; /* parent's first, in file order */
	size_t n_mounts;
	struct strv env_pass; /* names, or PREFIX* globs */
	struct strv env_set;  /* NAME=VALUE */
	struct strv env_drop; /* names or PREFIX* that a glob in env_pass never passes */
	struct strv fc_env;   /* file_commands.env: variables naming env files (GITHUB_ENV) */
	struct strv fc_path;  /* file_commands.path: variables naming path files (GITHUB_PATH) */
	bool fc_act;          /* file_commands.parser "act": Forgejo's runner reads them */
	bool has_timeout;
	uint64_t timeout_ms;
	bool has_kill_grace;
	uint64_t kill_grace_ms;
	struct limits limits; /* 0 / -1: not set in the chain */
	char *audit_log;
	bool audit_required; /* audit.required: an unwritable log is a launcher error */
	bool has_net_mode;
	enum net_mode net_mode;
	struct strv net_allow;    /* as written; validated at load */
	struct strv net_private;  /* network.allow_private */
	char *net_backend;        /* network.backend: auto, slirp4netns, pasta; NULL: auto */
	int helper_required;      /* network.helper_required: 1 true, -1 false, 0 unset (true) */
	struct strv dns_upstream; /* network.dns_upstream, validated */
	int dns_min_ttl;          /* network.dns_min_ttl; 0: not set */
	int dns_max_ttl;
	struct strv sc_allow; /* seccomp names and @groups, as written */
	struct strv sc_deny;
	bool has_sc_errno;
	int sc_errno;
	bool has_sc_log;
	bool sc_log_denied;
	struct strv secrets;   /* NAME=@FILE, checked for form; a child's add to its parent's */
	int tier;              /* SECRETS_TIER_*; 0: not set in the chain */
	uint64_t token_ttl_ms; /* token_ttl: identity tokens only to runs this short; 0: never */

	/* policy: the decision point and the built-in rules (policy_spec.h) */
	struct policy_spec policy;
};

/* Load NAME (searched) or PATH (contains '/' or ends in .json). 0 or -errno with err set. */
int profile_load(const char *name_or_path, struct profile *out, struct cis_err *err);
/* The same from text already read (e.g. a repository's file), named source in messages; its
 * "extends" are looked up as profile_load does. */
int profile_load_text(const char *text, const char *source, struct profile *out,
                      struct cis_err *err);
/* Print the resolved profile as JSON in schema v1 (for `profile show`). */
int profile_print_json(const struct profile *p, FILE *out);
void profile_free(struct profile *p);

/* The directories searched, in order (for messages and the man page). */
size_t profile_search_dirs(const char **dirs, size_t max);

#endif
