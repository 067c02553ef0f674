/* cli.h — the command line, parsed once into a plain struct (launcher only). Values are checked
 * for form here (sizes, durations, paths) so that errors name the flag; meaning is plan_build's. */
#ifndef CIS_CLI_H
#define CIS_CLI_H

#include "spec.h"
#include "util.h"

enum cli_cmd { CMD_RUN, CMD_PROFILE_CHECK, CMD_PROFILE_SHOW, CMD_REPORT, CMD_VERSION, CMD_HELP };

struct cli {
	enum cli_cmd cmd;
	const char *profile;
	const char *workspace;
	bool has_ws_mode;
	enum ws_mode ws_mode;
	uint64_t ws_size;
	struct mount_op *mounts; /* in command-line order; they apply after the profile's */
	size_t n_mounts;
	struct strv env; /* NAME or NAME=VALUE */
	bool has_timeout;
	uint64_t timeout_ms;
	bool has_kill_grace;
	uint64_t kill_grace_ms;
	struct limits limits; /* 0: not given */
	const char *audit_log;
	bool has_net_mode;
	enum net_mode net_mode;
	struct strv allow;        /* --allow entries, validated */
	struct strv dns_upstream; /* --dns-upstream, validated */
	const char *chdir;        /* --chdir: the job's working directory inside */
	struct strv secrets;      /* --secret NAME=@FILE, checked for form (secrets.h) */
	struct strv secret_env;   /* --secret-env NAME */
	struct strv policy_exec;  /* --policy-exec CMD, in order (policy_plan.h) */
	bool policy_input;        /* --policy-input: print the decision point's input */
	const char *learn;        /* --learn OUT: write the profile the run needed (learn.h) */
	/* Set by a CI driver only: the step's own environment (NAME=VALUE, NULL-terminated), the
	 * source of every passed variable instead of the launcher's. The CI system scoped it to
	 * the step, so a glob in env.pass passes its tokens too; env.drop still applies. */
	char *const *job_env;
	bool dry_run;
	bool verbose;
	const char *format; /* report: text | github */
	char **
	    args; /* run: the command; profile check: files; profile show: one name; report: file */
	int n_args;
};

int cli_parse(int argc, char **argv, struct cli *c, struct cis_err *err);
void cli_free(struct cli *c);
void cli_usage(FILE *out);

#endif
