/* police.c — a step's file commands on the host, rewritten after the step (see police.h).
 * Launcher only, after every process of the job is gone: nothing races us but other jobs of
 * the same account, which are outside what one run can defend. */
#define _GNU_SOURCE
#include "police.h"
#include "filecmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger than any real file command; past it the file is emptied rather than half-read. */
#define MAX_FILE (64u << 20)

/* `path` resolved as far as it exists, the rest appended: where the runner will look. */
static char *resolve_prefix(const char *path)
{
	_cleanup_free_ char *head = xstrdup(path);
	char real[PATH_MAX];

	for (;;) {
		char *slash;

		if (realpath(head, real))
			return xasprintf("%s%s", strcmp(real, "/") == 0 ? "" : real,
			                 path + strlen(head));
		if (!(slash = strrchr(head, '/')) || slash == head)
			return xstrdup(path);
		*slash = '\0';
	}
}

static const char *root_of(const char *path, const struct strv *writable)
{
	for (size_t i = 0; i < writable->n; i++)
		if (path_has_prefix(path, writable->v[i]))
			return writable->v[i];
	return NULL;
}

bool police_writable(const char *dir, const struct strv *writable)
{
	_cleanup_free_ char *d = xstrdup(dir), *real = NULL;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	/* As written (a symlink below a writable root can be pointed elsewhere later), and as
	 * resolved now (a host symlink into a writable root). */
	if (root_of(d, writable))
		return true;
	real = resolve_prefix(d);
	return root_of(real, writable) != NULL;
}

int police_locate(const char *var, enum police_kind kind, enum filecmd_dialect dialect,
                  const char *path, const struct strv *writable, struct police_file *f)
{
	_cleanup_free_ char *real = NULL;
	const char *root;

	*f = (struct police_file){0};
	if (!path_is_clean_absolute(path))
		return -EINVAL;
	real = resolve_prefix(path);
	if (!(root = root_of(real, writable)) || strcmp(root, real) == 0)
		return 0;
	*f = (struct police_file){kind, dialect, xstrdup(var), xstrdup(root),
	                          xstrdup(real + strlen(root) + (strcmp(root, "/") != 0))};
	return 1;
}

void police_file_free(struct police_file *f)
{
	free(f->var);
	free(f->root);
	free(f->rel);
	*f = (struct police_file){0};
}

/* Remove what the job put where the runner expects a directory or a file. */
static void take_away(int dir, const char *name, const struct stat *st, const char *what,
                      const struct police_file *f, struct strv *drops)
{
	int r = S_ISDIR(st->st_mode) ? rm_tree_at(dir, name)
	                             : (unlinkat(dir, name, 0) < 0 ? -errno : 0);

	strv_push_take(drops, xasprintf("%s: %s/%s: %s: %s", f->var, f->root, f->rel, what,
	                                r < 0 ? strerror(-r) : "removed"));
}

/* Open the directory that holds f, never through a symlink below the root. -ENOENT when the
 * runner will find nothing there either. */
static int open_parent(const struct police_file *f, struct strv *drops, int *out)
{
	_cleanup_free_ char *rel = xstrdup(f->rel);
	_cleanup_close_ int dir = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL, *c = strtok_r(rel, "/", &save);

	if (dir < 0)
		return -errno;
	for (char *next; c && (next = strtok_r(NULL, "/", &save)); c = next) {
		int fd = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			return -ENOENT;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			if (S_ISLNK(st.st_mode))
				take_away(dir, c, &st, "a symlink in the path", f, drops);
			return -ENOENT;
		}
		close(dir);
		dir = fd;
	}
	*out = TAKE_FD(dir);
	return 0;
}

static int read_bounded(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);

	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap = cap * 2 > MAX_FILE + 1 ? MAX_FILE + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -errno;
		}
		if (r == 0 || (n += (size_t)r) > MAX_FILE)
			break;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int rewrite(int fd, const char *text, size_t len)
{
	if (ftruncate(fd, 0) < 0)
		return -errno;
	for (size_t done = 0; done < len;) {
		ssize_t w = pwrite(fd, text + done, len - done, (off_t)done);

		if (w < 0 && errno != EINTR)
			return -errno;
		done += w > 0 ? (size_t)w : 0;
	}
	return 0;
}

static bool writable_cb(const char *dir, void *ctx)
{
	return police_writable(dir, ctx);
}

int police_file(const struct police_file *f, const struct strv *writable, struct strv *drops)
{
	_cleanup_close_ int dir = -1, fd = -1;
	_cleanup_free_ char *text = NULL, *out = NULL;
	const char *name = strrchr(f->rel, '/') ? strrchr(f->rel, '/') + 1 : f->rel;
	struct strv cut = {0};
	size_t len = 0, out_len = 0;
	struct stat st;
	int r = open_parent(f, drops, &dir);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	fd = openat(dir, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			take_away(dir, name, &st, "not a regular file", f, drops);
		/* An empty file in its place: act fails a job whose path file is missing. */
		closep(&fd);
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		return 0;
	}
	if ((r = read_bounded(fd, &text, &len)) < 0 || len > MAX_FILE) {
		strv_push_take(drops, xasprintf("%s: (whole file): %s", f->var,
		                                r < 0 ? strerror(-r) : "larger than 64 MiB"));
		rewrite(fd, "", 0);
		return r;
	}
	out = f->kind == POLICE_ENV
	          ? filecmd_filter_env(text, len, f->dialect, &out_len, &cut)
	          : filecmd_filter_path(text, len, &out_len, writable_cb, (void *)writable, &cut);
	for (size_t i = 0; i < cut.n; i++)
		strv_push_take(drops, xasprintf("%s: %s", f->var, cut.v[i]));
	r = cut.n ? rewrite(fd, out, out_len) : 0;
	strv_free(&cut);
	return r;
}
