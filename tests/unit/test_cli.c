/* Unit tests: the command line. Every error names the flag. */
#include <criterion/criterion.h>
#include <string.h>

#include "cli.h"

static const char *parse_err(int argc, char **argv)
{
	static struct cis_err err;
	struct cli c;
	int r;

	memset(&err, 0, sizeof(err));
	r = cli_parse(argc, argv, &c, &err);
	cli_free(&c);
	return r == 0 ? NULL : err.msg;
}

#define ARGV(...) ((char *[]){"cisandbox", __VA_ARGS__, NULL})
#define N(...)    ((int)(sizeof((char *[]){"cisandbox", __VA_ARGS__}) / sizeof(char *)))
#define ERR(...)  parse_err(N(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(cli, run_parses)
{
	struct cli c;
	struct cis_err err = {{0}};
	char **argv = ARGV("run", "-p", "trusted", "--workspace-mode", "tmpfs", "--ro-bind",
	                   "/a:/b", "--mask", "/etc/x", "-v", "make", "-j2", "--silent");
	int argc = 0;

	while (argv[argc])
		argc++;
	cr_assert_eq(cli_parse(argc, argv, &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(c.profile, "trusted");
	cr_assert_eq(c.ws_mode, WS_TMPFS);
	cr_assert_eq(c.n_mounts, 2);
	cr_assert_str_eq(c.mounts[0].src, "/a");
	cr_assert_str_eq(c.mounts[0].dst, "/b");
	cr_assert_eq(c.mounts[1].kind, MNT_MASK);
	cr_assert(c.verbose);
	/* The job's own flags are not ours. */
	cr_assert_eq(c.n_args, 3);
	cr_assert_str_eq(c.args[2], "--silent");
	cli_free(&c);
}

Test(cli, errors_name_the_flag)
{
	cr_assert(strstr(ERR("run", "--timeout", "soon", "--", "x"), "--timeout soon"));
	cr_assert(strstr(ERR("run", "--workspace-size", "0", "--", "x"), "--workspace-size 0"));
	cr_assert(strstr(ERR("run", "--workspace-mode", "rw", "--", "x"), "--workspace-mode rw"));
	cr_assert(strstr(ERR("run", "--bind", "rel", "--", "x"), "--bind rel"));
	cr_assert(strstr(ERR("run", "--tmpfs", "/", "--", "x"), "--tmpfs /"));
	cr_assert(strstr(ERR("run", "-e", "A-B=1", "--", "x"), "--env A-B=1"));
	cr_assert(strstr(ERR("run", "--frobnicate", "--", "x"), "--frobnicate"));
	cr_assert(strstr(ERR("run", "-p"), "-p: missing value"));
	cr_assert(strstr(ERR("run"), "missing COMMAND"));
	cr_assert(strstr(ERR("rnu"), "rnu: unknown command"));
	cr_assert(strstr(ERR("profile", "lint", "x"), "unknown subcommand"));
	cr_assert_null(ERR("version"));
	cr_assert_null(ERR("run", "--dry-run"));
}
