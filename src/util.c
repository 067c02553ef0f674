/* util.c — pure helpers (see util.h). Used by the launcher before any namespace exists and by
 * the sandbox child; nothing here logs. */
#define _GNU_SOURCE
#include "util.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cis_err_set(struct cis_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int step_fail(struct step_err *e, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return r;
}

/* Allocation failure in the launcher is not recoverable and not worth threading through every
 * caller: abort with the launcher's status. */
static void *oom_check(void *p)
{
	if (!p) {
		fputs("cisandbox: out of memory\n", stderr);
		_exit(CIS_EXIT_LAUNCHER);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return oom_check(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t sz)
{
	return oom_check(calloc(n ? n : 1, sz ? sz : 1));
}

void *xrealloc(void *p, size_t n)
{
	return oom_check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return oom_check(strdup(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return oom_check(r < 0 ? NULL : s);
}

/* The array doubles when n + 1 reaches a power of two (room for n + 1 entries and the NULL):
 * a long list costs log n reallocations, not n. Shrinking n (filters in place) keeps room. */
void strv_push_take(struct strv *s, char *str)
{
	if (!s->v || ((s->n + 1) & s->n) == 0)
		s->v = xrealloc(s->v, 2 * (s->n + 1) * sizeof(char *));
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_push(struct strv *s, const char *str)
{
	strv_push_take(s, xstrdup(str));
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Parse the leading unsigned decimal of s; *end points past it. No sign, no blanks. */
static int parse_u64_prefix(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	*end = p;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* A number and one of n units (case-insensitive if nocase), scaled without overflow. */
static int parse_scaled(const char *s, const struct unit *units, size_t n, bool nocase,
                        uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r = parse_u64_prefix(s, &v, &end);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((nocase ? strcasecmp(end, units[i].suffix) : strcmp(end, units[i].suffix)) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*out = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {{"", 1},
	                                    {"K", 1ull << 10},
	                                    {"KB", 1ull << 10},
	                                    {"KiB", 1ull << 10},
	                                    {"M", 1ull << 20},
	                                    {"MB", 1ull << 20},
	                                    {"MiB", 1ull << 20},
	                                    {"G", 1ull << 30},
	                                    {"GB", 1ull << 30},
	                                    {"GiB", 1ull << 30},
	                                    {"T", 1ull << 40},
	                                    {"TiB", 1ull << 40}};
	uint64_t v;
	int r = parse_scaled(s, units, ARRAY_SIZE(units), true, &v);

	if (r < 0)
		return r;
	if (v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_memory(const char *s, uint64_t *bytes, unsigned *pct)
{
	const char *end;
	uint64_t v;
	int r;

	if (!strchr(s, '%')) {
		if ((r = parse_size(s, &v)) < 0)
			return r;
		*bytes = v;
		*pct = 0;
		return 0;
	}
	if ((r = parse_u64_prefix(s, &v, &end)) < 0)
		return r;
	if (strcmp(end, "%") != 0 || v < 1 || v > 100)
		return -EINVAL;
	*bytes = 0;
	*pct = (unsigned)v;
	return 0;
}

int parse_duration(const char *s, uint64_t *out_ms)
{
	static const struct unit units[] = {
	    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};

	return parse_scaled(s, units, ARRAY_SIZE(units), false, out_ms);
}

int parse_count(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r = parse_u64_prefix(s, &v, &end);

	if (r < 0)
		return r;
	if (*end || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_cpus(const char *s, uint64_t *milli)
{
	const char *end;
	uint64_t whole, frac = 0, scale = 100;
	int r = parse_u64_prefix(s, &whole, &end);

	if (r < 0)
		return r;
	if (*end == '.') {
		if (!end[1])
			return -EINVAL;
		for (end++; *end >= '0' && *end <= '9' && scale; end++, scale /= 10)
			frac += (uint64_t)(*end - '0') * scale;
	}
	if (*end || whole > 1000000 || (whole == 0 && frac == 0))
		return -EINVAL;
	*milli = whole * 1000 + frac;
	return 0;
}

bool path_is_clean_absolute(const char *p)
{
	if (p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	for (const char *c = p; *c;) {
		const char *n = strchr(c + 1, '/');
		size_t len = n ? (size_t)(n - c - 1) : strlen(c + 1);

		if (len == 0 || (len == 1 && c[1] == '.') ||
		    (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		if (!n)
			break;
		c = n;
	}
	return true;
}

bool path_has_prefix(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return write_all(fd, s, strlen(s));
}

const char *parse_bind_spec(const char *spec, char **src, char **dst)
{
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *s = colon ? strndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	_cleanup_free_ char *d = xstrdup(colon ? colon + 1 : spec);

	if (!s)
		return "out of memory";
	if (!path_is_clean_absolute(s))
		return "source must be a clean absolute path";
	if (!path_is_clean_absolute(d))
		return "destination must be a clean absolute path";
	if (strcmp(d, "/") == 0)
		return "destination cannot be /";
	*src = TAKE_PTR(s);
	*dst = TAKE_PTR(d);
	return NULL;
}

bool env_name_valid(const char *name, bool allow_glob)
{
	size_t n = strlen(name);

	if (allow_glob && strcmp(name, "*") == 0)
		return true; /* every variable (tokens still only by exact name) */
	if (allow_glob && n > 1 && name[n - 1] == '*')
		n--;
	if (n == 0 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

const char *format_size(uint64_t bytes, char *buf)
{
	static const char units[] = "TGMK";
	static const unsigned shifts[] = {40, 30, 20, 10};

	for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
		if (bytes && (bytes & ((1ull << shifts[i]) - 1)) == 0) {
			snprintf(buf, 32, "%" PRIu64 "%c", bytes >> shifts[i], units[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%" PRIu64, bytes);
	return buf;
}

const char *format_duration(uint64_t ms, char *buf)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, 32, "%" PRIu64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, 32, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, 32, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, 32, "%" PRIu64 "ms", ms);
	return buf;
}

int json_emit(struct json *root, FILE *out)
{
	char *text = json_print(root);

	json_free(root);
	if (!text)
		return -ENOMEM;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

void json_add_strv(struct json *o, const char *key, const struct strv *v)
{
	json_add(o, key, json_new_string_array((const char *const *)v->v, v->n));
}

char *slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

char *read_text_file(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : slurp_fd(fd);
}

int write_text_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : write_all(fd, text, strlen(text));
}

static int first_err(int r, int e)
{
	return r ? r : e;
}

int rm_tree_at(int dirfd, const char *name)
{
	struct stat st, top;
	int r = 0, sub;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (fstat(dirfd, &top) < 0)
		return -errno;
	if (st.st_dev != top.st_dev)
		return -EXDEV; /* a mount point: not ours to empty */
	if (st.st_uid == geteuid() && (st.st_mode & 0700) != 0700 &&
	    fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
		r = -errno;
	sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return first_err(r, -errno);
	r = first_err(r, rm_contents(sub));
	close(sub);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = first_err(r, -errno);
	return r;
}

int rm_contents(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), r = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			r = first_err(r, rm_tree_at(dirfd, e->d_name));
	closedir(d);
	return r;
}
