/* Unit tests: file commands read as actions/runner reads them (FileCommandManager.cs), and cut
 * down to what cannot run code in a later step. */
#include <criterion/criterion.h>
#include <string.h>

#include "filecmd.h"

/* Filter text as `dialect` reads it and compare with want. */
static void expect_dialect(enum filecmd_dialect dialect, const char *text, size_t len,
                           const char *want, struct strv *drops)
{
	size_t out_len;
	char *out = filecmd_filter_env(text, len, dialect, &out_len, drops);

	cr_assert_eq(strlen(out), out_len);
	cr_assert_str_eq(out, want);
	free(out);
}

static void expect_env(const char *text, size_t len, const char *want, struct strv *drops)
{
	expect_dialect(FILECMD_GITHUB, text, len, want, drops);
}

Test(filecmd, env_keeps_plain_entries_and_heredocs)
{
	struct strv d = {0};
	const char in[] = "FOO=bar\nEMPTY=\n\nMULTI<<EOF\na=b\nLD_PRELOAD=x\nEOF\nX=1=2\n";

	/* Blank lines are nothing to the runner, and go. */
	expect_env(in, strlen(in), "FOO=bar\nEMPTY=\nMULTI<<EOF\na=b\nLD_PRELOAD=x\nEOF\nX=1=2\n",
	           &d);
	cr_assert_eq(d.n, 0);
	strv_free(&d);
}

Test(filecmd, env_drops_dangerous_names)
{
	struct strv d = {0};
	const char in[] = "A=1\nLD_PRELOAD=/w/evil.so\nbash_env=/w/x\nB=2\n"
	                  "NODE_OPTIONS<<EOF\n--require /w/x\nEOF\nC=3\nhttps_proxy=http://e\n"
	                  "GIT_CONFIG_COUNT=1\nPATH=/w/bin\nHOME=/w\nJAVA_TOOL_OPTIONS=-x\n";

	expect_env(in, strlen(in), "A=1\nB=2\nC=3\n", &d);
	cr_assert_eq(d.n, 8, "%zu removals", d.n);
	cr_assert_str_eq(d.v[0], "LD_PRELOAD: the dynamic loader loads code it names");
	cr_assert(strncmp(d.v[1], "bash_env: ", 10) == 0, "%s", d.v[1]);
	cr_assert(strncmp(d.v[2], "NODE_OPTIONS: ", 14) == 0, "%s", d.v[2]);
	strv_free(&d);
}

/* The runner decides = against << by which comes first, as we must. */
Test(filecmd, env_equals_or_heredoc_first)
{
	struct strv d = {0};
	const char a[] = "LD_PRELOAD<<E=X\n/evil.so\nE=X\nOK=1\n";
	const char b[] = "SAFE=a<<b\nOK=1\n";

	expect_env(a, strlen(a), "OK=1\n", &d);
	cr_assert_eq(d.n, 1);
	expect_env(b, strlen(b), b, &d);
	strv_free(&d);
}

/* From the first line the runner rejects, it applies nothing: that rest may stay. */
Test(filecmd, env_rest_after_a_rejected_line_is_kept)
{
	struct strv d = {0};
	const char in[] = "A=1\nnot a command\nLD_PRELOAD=/x\n";
	const char open[] = "A=1\nLD_PRELOAD<<NEVER\n/x\n";

	expect_env(in, strlen(in), in, &d);
	expect_env(open, strlen(open), open, &d);
	cr_assert_eq(d.n, 0);
	strv_free(&d);
}

/* A UTF-8 byte-order mark is skipped by the runner's decoder, so it hides nothing; a UTF-16
 * one changes the decoding, so the file goes. NUL and odd bytes in a name: dropped. */
Test(filecmd, env_boms_and_odd_names)
{
	struct strv d = {0};
	const char bom8[] = "\xef\xbb\xbfLD_PRELOAD=/x\nA=1\n";
	const char bom16[] = "\xff\xfeL\0D\0_\0P\0=\0";
	const char nul[] = "LD_PRELOAD\0X=/x\nA=1\n";
	const char sp[] = " LD_PRELOAD=/x\nA=1\n";

	expect_env(bom8, strlen(bom8), "A=1\n", &d);
	expect_env(bom16, sizeof(bom16) - 1, "", &d);
	expect_env(nul, sizeof(nul) - 1, "A=1\n", &d);
	expect_env(sp, strlen(sp), "A=1\n", &d);
	cr_assert_eq(d.n, 4);
	strv_free(&d);
}

static bool under_w(const char *dir, void *ctx)
{
	(void)ctx;
	return strncmp(dir, "/w", 2) == 0 && (dir[2] == '/' || dir[2] == '\0');
}

Test(filecmd, path_keeps_only_clean_dirs_the_job_cannot_write)
{
	struct strv d = {0};
	const char in[] = "/usr/local/bin\r\n/w/bin\rbin\n/opt/x/../../w\n/opt/tool/bin/\n"
	                  "/ok\0/w\n\n/wx/bin";
	size_t n;
	char *out = filecmd_filter_path(in, sizeof(in) - 1, &n, under_w, NULL, &d);

	cr_assert_str_eq(out, "/usr/local/bin\n/opt/tool/bin/\n/wx/bin\n");
	cr_assert_eq(d.n, 4, "%zu removals", d.n);
	cr_assert_str_eq(d.v[0], "/w/bin: the job could write there");
	cr_assert_str_eq(d.v[1], "bin: not a clean absolute path");
	free(out);
	strv_free(&d);
}

Test(filecmd, danger_table)
{
	cr_assert_null(filecmd_env_danger("NODE_ENV"));
	cr_assert_null(filecmd_env_danger("VERSION"));
	cr_assert_null(filecmd_env_danger("PYTHONUNBUFFERED"));
	cr_assert_not_null(filecmd_env_danger("PYTHONSTARTUP"));
	cr_assert_not_null(filecmd_env_danger("npm_config_script_shell"));
	cr_assert_not_null(filecmd_env_danger("ACTIONS_ALLOW_UNSECURE_COMMANDS"));
	cr_assert_not_null(filecmd_env_danger("BASH_FUNC_ls%%"));
	cr_assert_not_null(filecmd_env_danger("CFLAGS"));
	cr_assert_not_null(filecmd_env_danger("KUBECONFIG"));
	cr_assert_not_null(filecmd_env_danger("SSL_CERT_FILE"));
}

/* GitHub's runner decodes UTF-8 before it compares a heredoc's delimiter: "E\xff" and "E\xfe"
 * both become "E\ufffd", so such a delimiter could end where our byte compare does not. */
Test(filecmd, env_non_ascii_delimiter_ends_the_file)
{
	struct strv d = {0};
	const char in[] = "A=1\nX<<E\xff\nE\xfe\nLD_PRELOAD=/evil\nE\xff\nB=2\n";

	expect_env(in, strlen(in), "A=1\n", &d);
	cr_assert_eq(d.n, 1);
	strv_free(&d);
}

/* act strips a trailing CR from every line: "X<<EOF\r" ends at "EOF", and what GitHub's runner
 * would read as the heredoc's value is a variable of its own to act. */
Test(filecmd, act_reads_lines_without_cr)
{
	struct strv d = {0};
	const char in[] = "X<<EOF\r\nEOF\nLD_PRELOAD=/evil\nEOF\r\nB=2\r\n";

	expect_dialect(FILECMD_GITHUB, in, strlen(in),
	               "X<<EOF\r\nEOF\nLD_PRELOAD=/evil\nEOF\r\nB=2\r\n", &d);
	cr_assert_eq(d.n, 0);
	/* ... and at the lone "EOF" act stops with an error: that rest stays as written. */
	expect_dialect(FILECMD_ACT, in, strlen(in), "X<<EOF\r\nEOF\nEOF\r\nB=2\r\n", &d);
	cr_assert_eq(d.n, 1);
	cr_assert(strncmp(d.v[0], "LD_PRELOAD: ", 12) == 0, "%s", d.v[0]);
	strv_free(&d);
}

/* act stops at a blank line (an error) and, silently, at a line over 64 KiB; nektos skips a
 * UTF-8 BOM but Forgejo does not, so there it is part of the first name. */
Test(filecmd, act_stops_where_act_stops)
{
	struct strv d = {0};
	const char blank[] = "A=1\n\nLD_PRELOAD=/x\n";
	const char bom[] = "\xef\xbb\xbfLD_PRELOAD=/x\nA=1\n";
	size_t n = 70 * 1024;
	char *longl = malloc(n + 32);

	expect_dialect(FILECMD_ACT, blank, strlen(blank), blank, &d);
	expect_dialect(FILECMD_ACT, bom, strlen(bom), "A=1\n", &d);
	memset(longl, 'a', n);
	memcpy(longl, "A=", 2);
	strcpy(longl + n, "\nLD_PRELOAD=/x\n");
	expect_dialect(FILECMD_ACT, longl, strlen(longl), longl, &d);
	cr_assert_eq(d.n, 1, "%zu", d.n); /* the BOM-prefixed name */
	free(longl);
	strv_free(&d);
}

/* Found by the fuzzer: when all before it is removed, a rejected line kept as written would
 * begin the file, and a byte-order mark there changes how the runner decodes everything. */
Test(filecmd, env_kept_rest_never_begins_with_a_bom)
{
	struct strv d = {0};
	const char in[] = "LD_PRELOAD=/x\n\xfe\xff\x0bJUNK\n";
	const char in8[] = "LD_PRELOAD=/x\n\xef\xbb\xbfJUNK\nA=1\n";

	expect_env(in, sizeof(in) - 1, "", &d);
	expect_dialect(FILECMD_ACT, in8, sizeof(in8) - 1, "", &d);
	cr_assert_eq(d.n, 4, "%zu", d.n);
	strv_free(&d);
}
