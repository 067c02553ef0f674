/* filecmd.h — the runners' file commands (GITHUB_ENV, GITHUB_PATH, and Forgejo's copies of
 * them): what one step hands to the steps after it. A sandboxed step writes them; the runner
 * reads them and applies them to later steps, some of which may run outside any sandbox. So the
 * launcher reads each file after the step exactly as the runner will, and cuts out what would
 * make a later step run code the sandboxed one chose (LD_PRELOAD, BASH_ENV, NODE_OPTIONS, a
 * job-writable PATH entry, ...). Pure: the caller does the file I/O (filecmd_io.c). */
#ifndef CIS_FILECMD_H
#define CIS_FILECMD_H

#include "util.h"

/* Why `name` must not reach a later step through an env file, or NULL when it may. Names are
 * compared case-insensitively: some tools read lower-case variants (npm_config_*, http_proxy). */
const char *filecmd_env_danger(const char *name);

/* Whose parser reads the env file: actions/runner (FileCommandManager.cs, SetEnvFileCommand:
 * LF-separated lines, a UTF-8 byte-order mark skipped, blank lines skipped) or act, Forgejo's
 * runner (parse_env_file.go: lines without a trailing CR, a blank line an error, a line over
 * 64 KiB silently the end). Each reads NAME=VALUE or NAME<<DELIM ... DELIM, by which of = and
 * << comes first. A parse that differs from the runner's is a way around the filter. */
enum filecmd_dialect { FILECMD_GITHUB, FILECMD_ACT };

/* An env file as that runner parses it.
 * Returns the text with every dangerous entry removed (malloc'd, *out_len set) and pushes one
 * "NAME: reason" line per removal onto `drops`. From the first line the runner would reject
 * on, the rest is kept as written: the runner stops there and applies none of it. A file the
 * runner would decode as UTF-16 or UTF-32 (its byte-order mark) is emptied. */
char *filecmd_filter_env(const char *text, size_t len, enum filecmd_dialect dialect,
                         size_t *out_len, struct strv *drops);

/* A path file (GITHUB_PATH: one directory a line, prepended to later steps' PATH; the runner
 * splits lines on LF, CR or CRLF). Kept: absolute directories with no "." or ".." component
 * for which writable(dir, ctx) is false. Removed lines are pushed onto `drops` as
 * "DIR: reason". */
char *filecmd_filter_path(const char *text, size_t len, size_t *out_len,
                          bool (*writable)(const char *dir, void *ctx), void *ctx,
                          struct strv *drops);

#endif
