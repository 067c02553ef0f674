/* cli.c — argv to struct cli (launcher only). Option parsing stops at the first non-option so
 * that the job's own flags are never ours. */
#define _GNU_SOURCE
#include "cli.h"
#include "netspec.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_WS_MODE = 256,
	OPT_WS_SIZE,
	OPT_RO_BIND,
	OPT_BIND,
	OPT_TMPFS,
	OPT_MASK,
	OPT_TIMEOUT,
	OPT_KILL_GRACE,
	OPT_DRY_RUN,
	OPT_MEMORY,
	OPT_PIDS,
	OPT_CPUS,
	OPT_NOFILE,
	OPT_FSIZE,
	OPT_AUDIT_LOG,
	OPT_NET,
	OPT_ALLOW,
	OPT_DNS_UPSTREAM,
	OPT_CHDIR,
	OPT_SECRET,
	OPT_SECRET_ENV,
	OPT_POLICY_EXEC,
	OPT_POLICY_INPUT,
	OPT_LEARN,
};

static const struct option run_opts[] = {
    {"profile", required_argument, NULL, 'p'},
    {"workspace", required_argument, NULL, 'w'},
    {"workspace-mode", required_argument, NULL, OPT_WS_MODE},
    {"workspace-size", required_argument, NULL, OPT_WS_SIZE},
    {"ro-bind", required_argument, NULL, OPT_RO_BIND},
    {"bind", required_argument, NULL, OPT_BIND},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"mask", required_argument, NULL, OPT_MASK},
    {"env", required_argument, NULL, 'e'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"pids", required_argument, NULL, OPT_PIDS},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"nofile", required_argument, NULL, OPT_NOFILE},
    {"fsize", required_argument, NULL, OPT_FSIZE},
    {"audit-log", required_argument, NULL, OPT_AUDIT_LOG},
    {"net", required_argument, NULL, OPT_NET},
    {"allow", required_argument, NULL, OPT_ALLOW},
    {"dns-upstream", required_argument, NULL, OPT_DNS_UPSTREAM},
    {"chdir", required_argument, NULL, OPT_CHDIR},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"secret-env", required_argument, NULL, OPT_SECRET_ENV},
    {"policy-exec", required_argument, NULL, OPT_POLICY_EXEC},
    {"policy-input", no_argument, NULL, OPT_POLICY_INPUT},
    {"learn", required_argument, NULL, OPT_LEARN},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void cli_usage(FILE *out)
{
	fputs("Usage: cisandbox run [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run one CI job step in a throw-away sandbox.\n\n"
	      "  -p, --profile NAME|PATH    profile (default: untrusted)\n"
	      "  -w, --workspace DIR        host directory shown at /workspace (default: .)\n"
	      "      --workspace-mode MODE  overlay (default) | tmpfs | bind\n"
	      "      --workspace-size SIZE  size cap of the workspace tmpfs/overlay (e.g. 2G)\n"
	      "      --ro-bind SRC[:DST]    show host SRC read-only at DST (repeatable)\n"
	      "      --bind SRC[:DST]       show host SRC read-write at DST (repeatable)\n"
	      "      --tmpfs DST            empty tmpfs at DST (repeatable)\n"
	      "      --mask PATH            hide PATH (repeatable)\n"
	      "  -e, --env NAME[=VALUE]     pass NAME from the caller, or set it (repeatable)\n"
	      "      --timeout DURATION     job time limit (e.g. 90s, 30m); exit 124 when hit\n"
	      "      --kill-grace DURATION  SIGTERM to SIGKILL delay on timeout (default 10s)\n"
	      "      --memory SIZE|N%       memory limit (cgroup; a size else RLIMIT_DATA)\n"
	      "      --pids N               process limit (cgroup; else RLIMIT_NPROC)\n"
	      "      --cpus N               CPU limit, e.g. 1.5 (cgroup only)\n"
	      "      --nofile N             open files limit\n"
	      "      --fsize SIZE           largest file the job may write\n"
	      "      --audit-log PATH|fd:N|journal  append JSON Lines events, or send them to\n"
	      "                             the systemd journal (see cisandbox(1))\n"
	      "      --secret NAME=@FILE    FILE at /run/secrets/NAME, 0400 (trusted tier only;\n"
	      "                             repeatable); --secret-env NAME: also in the env\n"
	      "      --net MODE             none (loopback only) | allowlist | open | audit\n"
	      "      --allow DEST           allow egress to IP[/LEN][:PORT[-PORT]][/tcp|/udp]\n"
	      "                             ([IPv6]:PORT), or to NAME / *.DOMAIN with the same\n"
	      "                             suffixes; implies --net allowlist (repeatable)\n"
	      "      --dns-upstream IP[:PORT]  DNS server the sandbox's resolver forwards to\n"
	      "                             (default: the host's resolv.conf; repeatable)\n"
	      "      --chdir DIR            the job's working directory inside (default: the\n"
	      "                             profile's filesystem.workdir, else /workspace)\n"
	      "      --dry-run              print the resolved plan as JSON and exit\n"
	      "      --policy-exec CMD      ask decision program CMD (sh -c; e.g. OPA) first,\n"
	      "                             before any setup; a deny is exit 125 (repeatable)\n"
	      "      --policy-input         print the policy input (schema v1) and exit\n"
	      "      --learn OUT.json       audit mode: write a profile extending this one with\n"
	      "                             what the run needed (egress, syscalls)\n"
	      "  -v, --verbose              say what is being set up and why\n\n"
	      "       cisandbox profile check FILE...\n"
	      "       cisandbox profile show NAME|PATH\n"
	      "       cisandbox profile score FILE|NAME [--threshold N] [--json]\n"
	      "       cisandbox report [--format text|github] FILE\n"
	      "       cisandbox doctor [--json] [--profile NAME|PATH]\n"
	      "       cisandbox version | --help\n\n"
	      "Exit status: the job's own; 128+N if it died of signal N; 124 timeout;\n"
	      "125 launcher error; 126 command not executable; 127 command not found.\n",
	      out);
}

static void add_mount(struct cli *c, enum mount_kind kind, char *src, char *dst, const char *origin)
{
	c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
	c->mounts[c->n_mounts++] = (struct mount_op){kind, src, dst, origin, false};
}

static int opt_mount(struct cli *c, int opt, const char *arg, struct cis_err *err)
{
	static const char *const names[] = {[MNT_RO_BIND] = "--ro-bind",
	                                    [MNT_BIND] = "--bind",
	                                    [MNT_TMPFS] = "--tmpfs",
	                                    [MNT_MASK] = "--mask"};
	enum mount_kind kind = opt == OPT_RO_BIND ? MNT_RO_BIND
	                       : opt == OPT_BIND  ? MNT_BIND
	                       : opt == OPT_TMPFS ? MNT_TMPFS
	                                          : MNT_MASK;
	char *src = NULL, *dst = NULL;
	const char *why;

	if (kind == MNT_RO_BIND || kind == MNT_BIND) {
		why = parse_bind_spec(arg, &src, &dst);
		if (why)
			return cis_err_set(err, "%s %s: %s", names[kind], arg, why);
	} else {
		if (!path_is_clean_absolute(arg) || strcmp(arg, "/") == 0)
			return cis_err_set(err, "%s %s: must be a clean absolute path, not /",
			                   names[kind], arg);
		dst = xstrdup(arg);
	}
	add_mount(c, kind, src, dst, names[kind]);
	return 0;
}

/* Sizes, durations and limits; 1 when opt is none of them. */
static int opt_limit(struct cli *c, int opt, const char *arg, struct cis_err *err)
{
	switch (opt) {
	case OPT_WS_SIZE:
		if (parse_size(arg, &c->ws_size) < 0)
			return cis_err_set(err, "--workspace-size %s: not a size (e.g. 512M, 4G)",
			                   arg);
		return 0;
	case OPT_TIMEOUT:
		c->has_timeout = true;
		if (parse_duration(arg, &c->timeout_ms) < 0)
			return cis_err_set(err, "--timeout %s: not a duration (e.g. 90s, 30m)",
			                   arg);
		return 0;
	case OPT_KILL_GRACE:
		c->has_kill_grace = true;
		if (parse_duration(arg, &c->kill_grace_ms) < 0)
			return cis_err_set(err, "--kill-grace %s: not a duration (e.g. 10s)", arg);
		return 0;
	case OPT_MEMORY:
	case OPT_FSIZE:
		if (opt == OPT_MEMORY
		        ? parse_memory(arg, &c->limits.memory, &c->limits.memory_pct) < 0
		        : parse_size(arg, &c->limits.fsize) < 0)
			return cis_err_set(err, "--%s %s: not a size (e.g. 512M, 4G%s)",
			                   opt == OPT_MEMORY ? "memory" : "fsize", arg,
			                   opt == OPT_MEMORY ? ", or 50%" : "");
		return 0;
	case OPT_PIDS:
	case OPT_NOFILE:
		if (parse_count(arg, opt == OPT_PIDS ? &c->limits.pids : &c->limits.nofile) < 0)
			return cis_err_set(err, "--%s %s: not a positive number",
			                   opt == OPT_PIDS ? "pids" : "nofile", arg);
		return 0;
	case OPT_CPUS:
		if (parse_cpus(arg, &c->limits.cpus_milli) < 0)
			return cis_err_set(err, "--cpus %s: not a CPU count (e.g. 2, 1.5)", arg);
		return 0;
	default:
		return 1;
	}
}

/* Secrets, variables and egress entries, checked for form; 1 when opt is none of them. */
static int opt_entry(struct cli *c, int opt, const char *arg, struct cis_err *err)
{
	switch (opt) {
	case OPT_SECRET: {
		const char *why = secrets_spec_check(arg);

		if (why)
			return cis_err_set(err, "--secret %s: %s", arg, why);
		strv_push(&c->secrets, arg);
		return 0;
	}
	case OPT_SECRET_ENV:
		if (!env_name_valid(arg, false))
			return cis_err_set(err, "--secret-env %s: not a valid variable name", arg);
		strv_push(&c->secret_env, arg);
		return 0;
	case OPT_ALLOW: {
		const char *why = net_check_dest(arg);

		if (why)
			return cis_err_set(err, "--allow %s: %s", arg, why);
		strv_push(&c->allow, arg);
		return 0;
	}
	case OPT_DNS_UPSTREAM: {
		struct net_upstream u;
		const char *why = net_parse_upstream(arg, &u);

		if (why)
			return cis_err_set(err, "--dns-upstream %s: %s", arg, why);
		strv_push(&c->dns_upstream, arg);
		return 0;
	}
	case 'e': {
		_cleanup_free_ char *name = strndup(arg, strcspn(arg, "="));

		if (!name || !env_name_valid(name, false))
			return cis_err_set(err, "--env %s: not a valid variable name", arg);
		strv_push(&c->env, arg);
		return 0;
	}
	default:
		return 1;
	}
}

static int opt_value(struct cli *c, int opt, const char *arg, struct cis_err *err)
{
	int r;

	if ((r = opt_limit(c, opt, arg, err)) != 1 || (r = opt_entry(c, opt, arg, err)) != 1)
		return r;
	switch (opt) {
	case OPT_WS_MODE:
		if (ws_mode_parse(arg, &c->ws_mode) < 0)
			return cis_err_set(
			    err, "--workspace-mode %s: must be overlay, tmpfs or bind", arg);
		c->has_ws_mode = true;
		return 0;
	case OPT_AUDIT_LOG:
		c->audit_log = arg;
		return 0;
	case OPT_CHDIR:
		if (!path_is_clean_absolute(arg))
			return cis_err_set(err, "--chdir %s: must be a clean absolute path", arg);
		c->chdir = arg;
		return 0;
	case OPT_NET:
		if (net_mode_parse(arg, &c->net_mode) < 0)
			return cis_err_set(err, "--net %s: must be none, allowlist, open or audit",
			                   arg);
		c->has_net_mode = true;
		return 0;
	default:
		return opt_mount(c, opt, arg, err);
	}
}

static int bad_option(char **argv, struct cis_err *err)
{
	const char *arg = argv[optind - 1];

	if (optopt && optopt < 256)
		return cis_err_set(err, "-%c: %s", optopt,
		                   strchr("pwe", optopt) ? "missing value" : "unknown option");
	return cis_err_set(err, "%s: unknown option or missing value (see --help)", arg);
}

/* --policy-exec CMD, --policy-input, --learn OUT (policy.h, learn.h): form only. */
static int opt_policy(struct cli *c, int opt, const char *arg, struct cis_err *err)
{
	if (opt == OPT_POLICY_INPUT) {
		c->policy_input = true;
		return 0;
	}
	if (opt == OPT_LEARN) {
		if (!arg[0])
			return cis_err_set(err, "--learn: missing OUT.json");
		c->learn = arg;
		return 0;
	}
	if (!arg[0] || strlen(arg) > 4096)
		return cis_err_set(err, "--policy-exec: must be a command line (run with sh -c), "
		                        "1 to 4096 bytes");
	strv_push(&c->policy_exec, arg);
	return 0;
}

static int parse_run(int argc, char **argv, struct cli *c, struct cis_err *err)
{
	int opt, r;

	optind = 0; /* a full reset: the CI drivers may have used getopt before */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:p:w:e:vh", run_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			c->profile = optarg;
			break;
		case 'w':
			c->workspace = optarg;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			c->cmd = CMD_HELP;
			return 0;
		case OPT_DRY_RUN:
			c->dry_run = true;
			break;
		case OPT_POLICY_EXEC:
		case OPT_POLICY_INPUT:
		case OPT_LEARN:
			if ((r = opt_policy(c, opt, optarg, err)) < 0)
				return r;
			break;
		case '?':
		case ':':
			return bad_option(argv, err);
		default:
			if ((r = opt_value(c, opt, optarg, err)) < 0)
				return r;
		}
	}
	c->args = argv + optind;
	c->n_args = argc - optind;
	if (c->n_args == 0 && !c->dry_run && !c->policy_input)
		return cis_err_set(err, "run: missing COMMAND (see --help)");
	return 0;
}

static int parse_profile_cmd(int argc, char **argv, struct cli *c, struct cis_err *err)
{
	if (argc < 2)
		return cis_err_set(
		    err, "profile: expected \"check FILE...\", \"show NAME\" or \"score FILE\"");
	if (strcmp(argv[1], "check") == 0) {
		if (argc < 3)
			return cis_err_set(err, "profile check: missing FILE");
		c->cmd = CMD_PROFILE_CHECK;
	} else if (strcmp(argv[1], "show") == 0) {
		if (argc != 3)
			return cis_err_set(err, "profile show: expected exactly one NAME or PATH");
		c->cmd = CMD_PROFILE_SHOW;
	} else {
		return cis_err_set(err, "profile %s: unknown subcommand (check, show, score)",
		                   argv[1]);
	}
	c->args = argv + 2;
	c->n_args = argc - 2;
	return 0;
}

static int parse_report(int argc, char **argv, struct cli *c, struct cis_err *err)
{
	int i = 1;

	c->cmd = CMD_REPORT;
	if (i + 1 < argc && strcmp(argv[i], "--format") == 0) {
		c->format = argv[i + 1];
		i += 2;
	} else if (i < argc && strncmp(argv[i], "--format=", 9) == 0) {
		c->format = argv[i++] + 9;
	}
	if (strcmp(c->format, "text") != 0 && strcmp(c->format, "github") != 0)
		return cis_err_set(err, "report --format %s: must be text or github", c->format);
	if (argc - i != 1)
		return cis_err_set(err, "report: expected one audit log FILE");
	c->args = argv + i;
	c->n_args = 1;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *c, struct cis_err *err)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	*c = (struct cli){.profile = "untrusted", .format = "text", .limits.require_cgroup = -1};
	if (!cmd)
		return cis_err_set(err, "missing command (run, profile, version; see --help)");
	if (strcmp(cmd, "run") == 0) {
		c->cmd = CMD_RUN;
		return parse_run(argc - 1, argv + 1, c, err);
	}
	if (strcmp(cmd, "profile") == 0)
		return parse_profile_cmd(argc - 1, argv + 1, c, err);
	if (strcmp(cmd, "report") == 0)
		return parse_report(argc - 1, argv + 1, c, err);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		c->cmd = CMD_VERSION;
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		c->cmd = CMD_HELP;
		return 0;
	}
	return cis_err_set(err, "%s: unknown command (run, profile, version; see --help)", cmd);
}

void cli_free(struct cli *c)
{
	mount_ops_free(c->mounts, c->n_mounts);
	strv_free(&c->allow);
	strv_free(&c->dns_upstream);
	strv_free(&c->env);
	strv_free(&c->secrets);
	strv_free(&c->secret_env);
	strv_free(&c->policy_exec);
}
