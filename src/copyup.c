/* copyup.c — sandbox init, overlay workspace, before the overlay is mounted: copy the entries
 * that the job's user namespace cannot represent into the upper layer.
 *
 * overlayfs copies a lower file up on its first write and gives the copy the lower file's owner;
 * an owner that is not mapped in the sandbox's user namespace (a root-owned file in a rootless
 * run, any other owner than the checkout's as root) cannot be given, and the job's write fails
 * with EOVERFLOW ("Value too large for defined data type"). Copied here, as the job's own
 * files, such entries are writable like the rest of the throw-away workspace (they then belong
 * to the job inside). What cannot be copied (unreadable, the workspace tmpfs full, too many
 * entries to look at) is named in a warning with the fix. */
#define _GNU_SOURCE
#include "copyup.h"
#include "plan.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds on the start-up cost: a look at an entry costs ~4 us (10,000 entries: ~40 ms, paid
 * only by workspaces that large), a copy its bytes. */
#define COPYUP_MAX_ENTRIES 10000
#define COPYUP_MAX_BYTES   (64ull << 20)
#define COPYUP_MAX_DEPTH   64

struct walk {
	int upper; /* the upper layer's data directory */
	dev_t dev; /* the lower layer's filesystem: overlayfs does not cross mounts either */
	struct copyup_result *res;
	char path[4096]; /* relative to the workspace */
};

static bool foreign(const struct stat *st)
{
	return st->st_uid != CIS_JOB_UID || st->st_gid != CIS_JOB_GID;
}

static void failed(struct walk *w, int err)
{
	if (w->res->failed++ == 0) {
		snprintf(w->res->first, sizeof(w->res->first), "%.255s", w->path);
		w->res->err = err;
	}
}

/* The directory w->path in the upper layer with the lower's mode (not our umask's). */
static int upper_dir(struct walk *w, mode_t mode)
{
	if (mkdirat(w->upper, w->path, 0700) < 0)
		return errno == EEXIST ? 0 : -1;
	return fchmodat(w->upper, w->path, mode & 07777, 0);
}

/* mkdir -p of w->path's directory in the upper layer, each level with its lower mode. */
static int upper_parents(struct walk *w, int lower_root)
{
	char *slash = w->path;
	struct stat st;

	while ((slash = strchr(slash, '/'))) {
		*slash = '\0';
		if (fstatat(lower_root, w->path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    upper_dir(w, st.st_mode) < 0) {
			*slash = '/';
			return -errno;
		}
		*slash++ = '/';
	}
	return 0;
}

static int copy_file(struct walk *w, int lower_dir, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(lower_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC),
	                    out = -1;
	off_t off = 0;

	if (in < 0)
		return -errno;
	if ((w->res->bytes += (uint64_t)st->st_size) > COPYUP_MAX_BYTES)
		return -EFBIG;
	out = openat(w->upper, w->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return -errno;
	while (off < st->st_size)
		if (sendfile(out, in, &off, (size_t)(st->st_size - off)) <= 0) {
			int e = errno ? -errno : -EIO;

			(void)unlinkat(w->upper, w->path, 0);
			return e;
		}
	/* make sees the copy as old as the file it stands for. */
	(void)futimens(out, (const struct timespec[]){st->st_atim, st->st_mtim});
	return 0;
}

/* One foreign entry: the upper layer gets it, as the job's. */
static int copy_entry(struct walk *w, int lower_root, int lower_dir, const char *name,
                      const struct stat *st)
{
	char target[4096];
	ssize_t n;
	int r = upper_parents(w, lower_root);

	if (r < 0)
		return r;
	if (S_ISDIR(st->st_mode))
		return upper_dir(w, st->st_mode) < 0 ? -errno : 0;
	if (S_ISREG(st->st_mode))
		return copy_file(w, lower_dir, name, st);
	if (!S_ISLNK(st->st_mode))
		return 0; /* fifos, sockets, devices: nothing a job writes through */
	n = readlinkat(lower_dir, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return symlinkat(target, w->upper, w->path) < 0 ? -errno : 0;
}

static void walk_dir(struct walk *w, int lower_root, int dir, int depth)
{
	size_t len = strlen(w->path);
	DIR *d = fdopendir(dir);
	struct dirent *de;

	if (!d) {
		close(dir);
		return;
	}
	while ((de = readdir(d)) && !w->res->truncated) {
		struct stat st;
		int r, sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++w->res->entries > COPYUP_MAX_ENTRIES || depth >= COPYUP_MAX_DEPTH) {
			w->res->truncated = true;
			break;
		}
		snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "/" : "", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != w->dev)
			continue;
		if (foreign(&st)) {
			if ((r = copy_entry(w, lower_root, dirfd(d), de->d_name, &st)) < 0)
				failed(w, -r);
			else
				w->res->copied++;
		}
		if (S_ISDIR(st.st_mode) &&
		    (sub = openat(dirfd(d), de->d_name,
		                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			walk_dir(w, lower_root, sub, depth + 1);
	}
	w->path[len] = '\0';
	closedir(d);
}

void copyup_foreign(int lower, int upper, struct copyup_result *res)
{
	struct walk w = {.upper = upper, .res = res};
	struct stat st;
	int dir;

	*res = (struct copyup_result){0};
	/* lower may be an O_PATH descriptor: readdir needs one of its own. */
	dir = openat(lower, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstat(dir, &st) < 0) {
		closep(&dir);
		return;
	}
	w.dev = st.st_dev;
	/* The workspace's root itself: the overlay's root is the upper's own directory. */
	walk_dir(&w, lower, dir, 0);
}
