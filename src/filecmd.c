/* filecmd.c — file commands read as the runner reads them, and cut down (see filecmd.h). Pure:
 * strings in, strings out. Runs in the launcher after the job, or in the GitHub hook. */
#define _GNU_SOURCE
#include "filecmd.h"

#include <fnmatch.h>
#include <string.h>

/* Variables that make a later program load code, read configuration, or trust a server that
 * the step chose. The list cannot be complete (any program may read any variable), which is
 * why a shell: template is not a boundary against the workflow's author: see README. */
static const struct {
	const char *pattern;
	const char *why;
} env_deny[] = {
    {"LD_*", "the dynamic loader loads code it names"},
    /* glibc's own list of variables it ignores in setuid programs (UNSECURE_ENVVARS). */
    {"GCONV_PATH", "glibc loads modules from it"},
    {"GETCONF_DIR", "glibc reads programs from it"},
    {"GLIBC_TUNABLES", "glibc ignores it in setuid programs"},
    {"HOSTALIASES", "glibc ignores it in setuid programs"},
    {"LOCALDOMAIN", "glibc ignores it in setuid programs"},
    {"LOCPATH", "glibc ignores it in setuid programs"},
    {"MALLOC_*", "glibc ignores it in setuid programs"},
    {"NIS_PATH", "glibc ignores it in setuid programs"},
    {"NLSPATH", "glibc ignores it in setuid programs"},
    {"RESOLV_HOST_CONF", "glibc ignores it in setuid programs"},
    {"RES_OPTIONS", "glibc ignores it in setuid programs"},
    {"TMPDIR", "glibc ignores it in setuid programs"},
    {"TZDIR", "glibc ignores it in setuid programs"},
    /* Shells. */
    {"BASH_ENV", "bash runs the file it names"},
    {"ENV", "sh runs the file it names"},
    {"BASH_FUNC_*", "an exported bash function"},
    {"SHELLOPTS", "changes how every later shell runs"},
    {"BASHOPTS", "changes how every later shell runs"},
    {"PS4", "expanded (and run) by a shell with xtrace"},
    {"PROMPT_COMMAND", "a shell runs it"},
    {"IFS", "changes how every later shell splits words"},
    {"GLOBIGNORE", "changes how every later shell expands globs"},
    {"ZDOTDIR", "zsh runs the files in it"},
    {"SHELL", "programs run it as the shell"},
    {"CONFIG_SHELL", "configure scripts run it"},
    /* Search paths and homes: where programs find code and configuration. */
    {"*PATH", "a search path for programs, modules or configuration"},
    {"HOME", "where every program reads its configuration"},
    {"*HOME", "a tool's home: its configuration and programs"},
    {"XDG_*", "where programs read their configuration"},
    {"*CONFIG*", "a tool's configuration (KUBECONFIG, GIT_CONFIG_*, ...)"},
    {"*_CONF", "names a configuration file (OPENSSL_CONF loads engines)"},
    {"WGETRC", "names a configuration file"},
    {"PHPRC", "names a configuration file"},
    {"INPUTRC", "names a configuration file"},
    {"VIMINIT", "vim runs it"},
    {"EXINIT", "vi runs it"},
    {"NPM_CONFIG_*", "npm configuration (script-shell, ...)"},
    {"YARN_*", "yarn configuration"},
    {"GIT_*", "git configuration (hooks, fsmonitor, ssh command, ...)"},
    {"SSH_*", "ssh configuration and agent"},
    {"*ASKPASS*", "a program run to ask for a password"},
    {"*_COMMAND", "a command a program runs"},
    {"EDITOR", "a program others run"},
    {"VISUAL", "a program others run"},
    {"PAGER", "a program others run"},
    {"*_PAGER", "a program others run"},
    /* Interpreters and toolchains: options that load code. */
    {"*_OPTIONS", "options that can load code (NODE_OPTIONS, JAVA_TOOL_OPTIONS, ...)"},
    {"*_OPTS", "options that can load code (JAVA_OPTS, MAVEN_OPTS, ...)"},
    {"*FLAGS", "options that can load code (CFLAGS -fplugin, GOFLAGS -toolexec, ...)"},
    {"NODE_TLS_REJECT_UNAUTHORIZED", "turns TLS verification off"},
    {"NODE_REPL_EXTERNAL_MODULE", "node loads the module it names"},
    {"NODE_ICU_DATA", "node loads data from it"},
    {"PYTHONSTARTUP", "python runs the file it names"},
    {"PYTHONHOME", "python loads its library from it"},
    {"PYTHONUSERBASE", "python loads modules from it"},
    {"PYTHONINSPECT", "python reads code from stdin after the script"},
    {"PYTHONBREAKPOINT", "python imports what it names"},
    {"PYTHONWARNINGS", "python imports the categories it names"},
    {"PYTHONHTTPSVERIFY", "turns TLS verification off"},
    {"PYTHONEXECUTABLE", "python runs it"},
    {"PERL5*", "perl loads code it names"},
    {"PERLLIB", "perl loads code from it"},
    {"PERL_*", "perl toolchain configuration"},
    {"RUBYOPT", "ruby loads code it names"},
    {"RUBYLIB", "ruby loads code from it"},
    {"GEM_*", "ruby loads gems from it"},
    {"BUNDLE_*", "bundler configuration"},
    {"CLASSPATH", "java loads classes from it"},
    {"DOTNET_*", ".NET loads code it names (DOTNET_STARTUP_HOOKS, ...)"},
    {"CORECLR_*", ".NET loads a profiler it names"},
    {"COR_*", ".NET loads a profiler it names"},
    {"COMPLUS_*", ".NET runtime configuration"},
    {"PHP_INI_SCAN_DIR", "php reads configuration from it"},
    {"LUA_*", "lua runs or loads code it names"},
    {"TCLLIBPATH", "tcl loads code from it"},
    {"R_*", "R runs profile files it names"},
    {"ERL_*", "erlang loads code it names"},
    {"GOROOT", "the go toolchain"},
    {"GOTOOLCHAIN", "the go toolchain"},
    {"GOPROXY", "where go fetches modules"},
    {"GONOPROXY", "where go fetches modules"},
    {"GOPRIVATE", "where go fetches modules"},
    {"GOINSECURE", "where go fetches modules"},
    {"GOSUMDB", "go's module checksums"},
    {"GONOSUMDB", "go's module checksums"},
    {"GONOSUMCHECK", "go's module checksums"},
    {"GOENV", "names a configuration file"},
    {"GOCACHE", "a build cache later builds trust"},
    {"GOMODCACHE", "a module cache later builds trust"},
    {"GOBIN", "where go installs programs"},
    {"GOTMPDIR", "where go builds programs"},
    {"CARGO*", "cargo configuration (wrappers, registries, home)"},
    {"RUST*", "rustc and its wrappers"},
    {"CC", "the C compiler later builds run"},
    {"CXX", "the C++ compiler later builds run"},
    {"CPP", "the preprocessor later builds run"},
    {"LD", "the linker later builds run"},
    {"AR", "the archiver later builds run"},
    {"AS", "the assembler later builds run"},
    {"FC", "the Fortran compiler later builds run"},
    {"MAKE", "the make later builds run"},
    {"DOCKER_*", "where docker sends images and credentials"},
    /* Trust: a proxy with a CA of the step's choice reads every later step's tokens. */
    {"*_PROXY", "a proxy for later steps' traffic"},
    {"SSL_*", "the certificates later steps trust"},
    {"*CA_BUNDLE*", "the certificates later steps trust"},
    {"*CA_CERT*", "the certificates later steps trust"},
    {"*CAINFO*", "the certificates later steps trust"},
    /* The runner's own channels. */
    {"ACTIONS_*", "the runner's settings (ACTIONS_ALLOW_UNSECURE_COMMANDS, ...)"},
    {"GITHUB_*", "the runner's own variables"},
    {"RUNNER_*", "the runner's own variables (RUNNER_TEMP, RUNNER_TOOL_CACHE, ...)"},
    {"FORGEJO_*", "the runner's own variables"},
    {"GITEA_*", "the runner's own variables"},
    {"CISANDBOX_*", "cisandbox's own settings"},
};

static bool plain_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

const char *filecmd_env_danger(const char *name)
{
	/* A name a shell cannot see may still reach a program's environment (and NUL or a
	 * byte a decoder rewrites may turn it into another name on the way). */
	if (!plain_name(name))
		return "not a plain variable name (letters, digits, _)";
	for (size_t i = 0; i < ARRAY_SIZE(env_deny); i++)
		if (fnmatch(env_deny[i].pattern, name, FNM_CASEFOLD) == 0)
			return env_deny[i].why;
	return NULL;
}

/* Output buffer. */
struct buf {
	char *p;
	size_t n;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	b->p = xrealloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* How a runner reads an env file (see filecmd.h). */
struct dialect {
	bool skip_bom;       /* a leading UTF-8 byte-order mark is not part of the text */
	bool strip_cr;       /* a trailing CR is not part of a line */
	bool blank_is_error; /* an empty line outside a heredoc stops the parse */
	size_t max_line;     /* a longer line silently ends the parse (0: none) */
};
static const struct dialect dialects[] = {
    /* actions/runner SetEnvFileCommand: File.ReadAllText, then LF lines. */
    [FILECMD_GITHUB] = {true, false, false, 0},
    /* act (Forgejo's fork) parse_env_file.go: a bufio.Scanner of lines, default 64 KiB. */
    [FILECMD_ACT] = {false, true, true, 64 * 1024},
};

/* One line from text[*at..len): returns its start, sets *line_len (without the LF, and
 * without a trailing CR where the dialect strips it) and moves *at past the LF. NULL at the
 * end. */
static const char *next_line(const struct dialect *d, const char *text, size_t len, size_t *at,
                             size_t *line_len)
{
	const char *start = text + *at, *lf;
	size_t n;

	if (*at >= len)
		return NULL;
	lf = memchr(start, '\n', len - *at);
	n = lf ? (size_t)(lf - start) : len - *at;
	*at += n + (lf ? 1 : 0);
	if (d->strip_cr && n && start[n - 1] == '\r')
		n--;
	*line_len = n;
	return start;
}

static const char *find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
}

/* Byte-order marks the runner's decoder honours: UTF-8 is skipped, the others change the
 * decoding, so that our reading of the bytes would not be the runner's. */
static bool other_bom(const unsigned char *t, size_t len)
{
	return len >= 2 && ((t[0] == 0xfe && t[1] == 0xff) || (t[0] == 0xff && t[1] == 0xfe));
}

static size_t utf8_bom(const unsigned char *t, size_t len)
{
	return len >= 3 && t[0] == 0xef && t[1] == 0xbb && t[2] == 0xbf ? 3 : 0;
}

static void drop(struct strv *drops, const char *name, size_t n, const char *why)
{
	strv_push_take(drops, xasprintf("%.*s: %s", (int)(n > 200 ? 200 : n), name, why));
}

/* ASCII: a delimiter the runner's UTF-8 decoding cannot make equal to other bytes (invalid
 * sequences all decode to U+FFFD, so "E\xff" would end a heredoc at "E\xfe"). */
static bool plain_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0 || (unsigned char)s[i] > 0x7f)
			return false;
	return true;
}

/* The end of a heredoc value: the offset just past the DELIM line, or 0 if there is none. */
static size_t heredoc_end(const struct dialect *d, const char *text, size_t len, size_t at,
                          const char *delim, size_t dlen)
{
	const char *l;
	size_t ll;

	while ((l = next_line(d, text, len, &at, &ll)))
		if (ll == dlen && memcmp(l, delim, dlen) == 0)
			return at;
	return 0;
}

/* One entry at line l: its end (past its last line), or 0 where the runner stops parsing. */
static size_t entry_end(const struct dialect *d, const char *text, size_t len, size_t at,
                        const char *l, size_t ll, size_t *nlen, struct strv *drops)
{
	const char *eq = memchr(l, '=', ll), *hd = find(l, ll, "<<");
	bool heredoc = hd && (!eq || hd < eq);
	size_t dlen;

	*nlen = heredoc ? (size_t)(hd - l) : eq ? (size_t)(eq - l) : 0;
	if (*nlen == 0 || (!heredoc && !eq) || (d->max_line && ll > d->max_line))
		return 0;
	if (!heredoc)
		return at;
	dlen = ll - *nlen - 2;
	if (dlen && !plain_bytes(hd + 2, dlen)) {
		/* We cannot be sure where the runner ends it: nothing from here on passes. */
		strv_push(drops, "(rest of the file): a heredoc delimiter that is not plain ASCII");
		return (size_t)-1;
	}
	return dlen ? heredoc_end(d, text, len, at, hd + 2, dlen) : 0;
}

/* The rest of the file from a line the runner rejects, as written: it applies none of it. But
 * at the start of the file a byte-order mark changes how the runner decodes all of it. */
static void keep_rest(struct buf *out, const char *rest, size_t n, struct strv *drops)
{
	const unsigned char *r = (const unsigned char *)rest;

	if (out->n == 0 && (other_bom(r, n) || utf8_bom(r, n))) {
		strv_push(drops, "(rest of the file): it would begin with a byte-order mark");
		return;
	}
	buf_add(out, rest, n);
}

char *filecmd_filter_env(const char *text, size_t len, enum filecmd_dialect dialect,
                         size_t *out_len, struct strv *drops)
{
	const struct dialect *d = &dialects[dialect];
	struct buf out = {xstrdup(""), 0};
	size_t at = d->skip_bom ? utf8_bom((const unsigned char *)text, len) : 0, ll, nlen;
	const char *l;

	if (d->skip_bom && other_bom((const unsigned char *)text, len)) {
		strv_push(drops, "(whole file): a UTF-16/UTF-32 byte-order mark");
		*out_len = 0;
		return out.p;
	}
	for (size_t start = at; (l = next_line(d, text, len, &at, &ll)); start = at) {
		size_t end =
		    ll || d->blank_is_error ? entry_end(d, text, len, at, l, ll, &nlen, drops) : at;
		_cleanup_free_ char *name = NULL;
		const char *why;

		if (end == (size_t)-1)
			break;
		/* What the runner rejects (no name, no delimiter, no end, a line too long): it
		 * stops at this line and applies nothing from here on: the rest may stay. */
		if (end == 0) {
			keep_rest(&out, text + start, len - start, drops);
			break;
		}
		if (ll == 0)
			continue;
		name = strndup(l, nlen);
		if ((why = memchr(l, '\0', nlen) ? "not a plain variable name (a NUL byte)"
		                                 : filecmd_env_danger(name))) {
			drop(drops, l, nlen, why);
		} else {
			buf_add(&out, text + start, end - start);
		}
		at = end;
	}
	*out_len = out.n;
	return out.p;
}

/* A clean absolute path, but a trailing '/' is allowed (the runner keeps the line as is). */
static bool clean_dir(const char *s, size_t n)
{
	_cleanup_free_ char *p = strndup(s, n);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return path_is_clean_absolute(p);
}

char *filecmd_filter_path(const char *text, size_t len, size_t *out_len,
                          bool (*writable)(const char *dir, void *ctx), void *ctx,
                          struct strv *drops)
{
	struct buf out = {xstrdup(""), 0};
	size_t at = utf8_bom((const unsigned char *)text, len);

	if (other_bom((const unsigned char *)text, len)) {
		strv_push(drops, "(whole file): a UTF-16/UTF-32 byte-order mark");
		*out_len = 0;
		return out.p;
	}
	while (at < len) {
		const char *l = text + at;
		size_t e = at, ll;
		_cleanup_free_ char *dir = NULL;

		while (e < len && text[e] != '\r' && text[e] != '\n')
			e++;
		ll = e - at;
		/* CR, LF and CRLF each end a line (.NET's ReadLine). */
		if (e < len && text[e] == '\r' && e + 1 < len && text[e + 1] == '\n')
			e++;
		at = e + 1;
		if (ll == 0)
			continue;
		dir = strndup(l, ll);
		if (memchr(l, '\0', ll) || !clean_dir(l, ll))
			drop(drops, l, ll, "not a clean absolute path");
		else if (writable(dir, ctx))
			drop(drops, l, ll, "the job could write there");
		else {
			buf_add(&out, l, ll);
			buf_add(&out, "\n", 1);
		}
	}
	*out_len = out.n;
	return out.p;
}
