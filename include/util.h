/* util.h — pure helpers shared by every module: cleanup attributes, the error carrier used by
 * the parsing stages, size/duration/path parsing. Nothing here has side effects on the system. */
#ifndef CIS_UTIL_H
#define CIS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CIS_EXIT_TIMEOUT  124
#define CIS_EXIT_LAUNCHER 125
#define CIS_EXIT_CANNOT   126
#define CIS_EXIT_NOTFOUND 127

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A user-facing error: one line naming the flag, field or path and the reason. Filled by the
 * parsing stages (cli, profile, plan); printed once by main. */
struct cis_err {
	char msg[1024];
};
int cis_err_set(struct cis_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a setup step in the sandbox child was doing when it failed ("bind /usr"). The step
 * returns -errno; the driver sends {step, errno, detail} to the launcher, which prints it. */
struct step_err {
	char detail[384];
};
int step_fail(struct step_err *e, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void freep(void *p)
{
	free(*(void **)p);
}
/* Close and forget: callers close early with closep(&fd) too, and the cleanup at scope exit must
 * then not close a number the kernel may have handed out again. */
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
#define _cleanup_free_  __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _t = (p);                                                            \
		(p) = NULL;                                                                        \
		_t;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _t = (fd);                                                                     \
		(fd) = -1;                                                                         \
		_t;                                                                                \
	})

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A NULL-terminated, owned vector of owned strings. */
struct strv {
	char **v;
	size_t n;
};
void strv_push(struct strv *s, const char *str);
void strv_push_take(struct strv *s, char *str);
bool strv_contains(const struct strv *s, const char *str);
void strv_free(struct strv *s);

/* "512M", "4G", "65536": bytes. 0 and overflow are errors. */
int parse_size(const char *s, uint64_t *out);
/* A size, or a share of the host's RAM: "50%" sets *pct (1-100) and *bytes 0; "4G" sets *bytes
 * and *pct 0. Outputs untouched on error. */
int parse_memory(const char *s, uint64_t *bytes, unsigned *pct);
/* "90s", "30m", "1h", "500ms", "10" (seconds): milliseconds. "0" means none. */
int parse_duration(const char *s, uint64_t *out_ms);
/* "1", "1.5", "0.25": thousandths (1500). At most 3 decimals; 0 is an error. */
int parse_cpus(const char *s, uint64_t *milli);
/* A positive decimal count. */
int parse_count(const char *s, uint64_t *out);
/* Inverse of the parsers above, shortest exact unit ("1G", "1536M", "90s"); buf >= 32 bytes. */
const char *format_size(uint64_t bytes, char *buf);
const char *format_duration(uint64_t ms, char *buf);
/* An absolute, normalized path: no "." or ".." components, no "//", no trailing "/". */
bool path_is_clean_absolute(const char *p);
/* Is `p` equal to `dir` or below it (both clean absolute)? */
bool path_has_prefix(const char *p, const char *dir);

/* Split "SRC[:DST]" (DST defaults to SRC); both must be clean absolute paths. Returns NULL and
 * sets *src and *dst (owned) on success, or a static reason. */
const char *parse_bind_spec(const char *spec, char **src, char **dst);
/* A valid environment variable name; with allow_glob, one trailing '*' is accepted. */
bool env_name_valid(const char *name, bool allow_glob);

/* Print a JSON tree (pretty) to out and free it. 0 or -ENOMEM. */
struct json;
int json_emit(struct json *root, FILE *out);
/* Add v as a string array under key. */
void json_add_strv(struct json *o, const char *key, const struct strv *v);

/* Write all of buf, retrying on EINTR/short writes. Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* Read fd (or a file) to EOF into a malloc'd string; NULL if the file cannot be opened. */
char *slurp_fd(int fd);
char *read_text_file(const char *path);
/* Create or replace a file with text. 0 or -errno. */
int write_text_file(const char *path, const char *text);
/* Write a small string to a file (for /proc files). Returns 0 or -errno. */
int write_file(const char *path, const char *s);

/* Remove everything inside directory dirfd (not the directory itself): never through a symlink,
 * never into another filesystem; read-only directories the caller owns are opened up first
 * (module caches make them). 0, or the first -errno (the rest is still tried). */
int rm_contents(int dirfd);
/* Remove name under dirfd, whatever it is (the same rules); absent is success. */
int rm_tree_at(int dirfd, const char *name);

#endif
