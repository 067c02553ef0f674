/* mount.c — runs in the sandbox child (PID 1 of the new namespaces, in its own mount namespace,
 * holding capabilities only in its own user namespace), before the job exists.
 *
 * Everything is done with the new mount API on file descriptors: sources are cloned with
 * open_tree() before anything is covered, flags are set on whole trees with mount_setattr()
 * (one call makes every submount of /usr read-only), and every mountpoint inside the new root is
 * reached by a walk that refuses symlinks, because workspace contents are attacker-controlled. */
#define _GNU_SOURCE
#include "mount.h"
#include "copyup.h"
#include "hide.h"
#include "private.h"
#include "secrets.h"
#include "timing.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where the new root is attached while it is built: any existing directory of the host will do,
 * it is only a mountpoint in our private namespace. All sources are cloned before this is
 * covered, so a workspace under /tmp is not hidden by it. */
#define STAGING  "/tmp"
#define META_DIR ".cisandbox"

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

/* Read-only where the kernel holds secrets or global knobs: write-protected even though the job
 * holds no capability, so that a future kernel bug in a sysctl handler is not reachable. */
static const char *const proc_ro[] = {"sys", "sysrq-trigger", "irq", "bus", "kcore", "fs"};

/* Mount fds for the plan's bind sources, cloned before the staging dir is covered. */
struct sources {
	int *fds; /* parallel to plan->mounts; -1 where not a bind */
	int ws;
	int dev[ARRAY_SIZE(dev_nodes)];
};

static int setattr(int fd, uint64_t set, bool recursive)
{
	struct mount_attr a = {.attr_set = set, .propagation = MS_PRIVATE};

	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) <
	    0)
		return -errno;
	return 0;
}

/* Clone a host tree (recursively) as a detached mount with the given flags. */
static int clone_tree(const char *src, uint64_t attrs, int *out)
{
	_cleanup_close_ int fd =
	    open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int r;

	if (fd < 0)
		return -errno;
	if ((r = setattr(fd, attrs, true)) < 0)
		return r;
	*out = TAKE_FD(fd);
	return 0;
}

/* A new filesystem instance as a detached mount. opts: NULL-terminated key, value pairs; a NULL
 * value sets a flag. */
static int new_fs(const char *type, const char *const *opts, uint64_t attrs, int *out)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return -errno;
	for (; opts && opts[0]; opts += 2) {
		int r = opts[1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
		                : fsconfig(fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0);
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (m < 0)
		return -errno;
	*out = m;
	return 0;
}

static int new_tmpfs(uint64_t size, const char *mode, uint64_t attrs, int *out)
{
	char sz[32];
	const char *opts[] = {"size", sz, "mode", mode, NULL};

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	return new_fs("tmpfs", opts, attrs | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, out);
}

/* Open `path` (absolute, clean) beneath root without following any symlink. With create, missing
 * components are made: directories, and the last one as `last_type` (S_IFDIR or S_IFREG). One
 * component at a time: the fallback where openat2 is refused (walk, below). */
static int walk_each(int root, const char *path, bool create, mode_t last_type, int *out)
{
	_cleanup_close_ int dir = fcntl(root, F_DUPFD_CLOEXEC, 3);
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;

	if (dir < 0)
		return -errno;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';
		int fd = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (fd < 0 && errno == ENOENT && create) {
			int r = last && last_type == S_IFREG ? mknodat(dir, c, S_IFREG | 0644, 0)
			                                     : mkdirat(dir, c, 0755);
			if (r < 0 && errno != EEXIST)
				return -errno;
			fd = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode) || (!last && !S_ISDIR(st.st_mode))) {
			int r = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;

			close(fd);
			return r;
		}
		close(dir);
		dir = fd;
	}
	*out = TAKE_FD(dir);
	return 0;
}

static int walk(int root, const char *path, bool create, mode_t last_type, int *out);

/* `path` does not exist: its parent (made if missing), then its last component made there. */
static int make_last(int root, const char *path, mode_t last_type, int *out)
{
	_cleanup_free_ char *parent = xstrdup(path);
	_cleanup_close_ int dir = -1;
	char *slash = strrchr(parent, '/');
	const char *last = path + (slash - parent) + 1;
	struct stat st;
	int r, fd;

	*slash = '\0';
	if ((r = walk(root, parent[0] ? parent : "/", true, S_IFDIR, &dir)) < 0)
		return r;
	r = last_type == S_IFREG ? mknodat(dir, last, S_IFREG | 0644, 0) : mkdirat(dir, last, 0755);
	if (r < 0 && errno != EEXIST)
		return -errno;
	if ((fd = openat(dir, last, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP; /* a symlink made meanwhile: refused as the walk refuses one */
	}
	*out = fd;
	return 0;
}

/* As walk_each, in one openat2 where the path exists: RESOLVE_NO_SYMLINKS refuses a symlink
 * anywhere on the way, the last component included, RESOLVE_BENEATH anything above root. A
 * missing path is made from its deepest existing parent down. (~300 fewer syscalls a launch.) */
static int walk(int root, const char *path, bool create, mode_t last_type, int *out)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	int fd = (int)syscall(SYS_openat2, root, path[1] ? path + 1 : ".", &how, sizeof(how));

	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno == ENOSYS || errno == EPERM) /* a container runtime's filter */
		return walk_each(root, path, create, last_type, out);
	if (errno != ENOENT || !create || !path[1])
		return -errno;
	return make_last(root, path, last_type, out);
}

/* Attach detached mount `m` at `dst` inside root, creating the mountpoint. */
static int attach(int root, int m, const char *dst, struct step_err *e, const char *what)
{
	_cleanup_close_ int target = -1;
	struct stat st;
	int r;

	if (fstat(m, &st) < 0)
		return step_fail(e, -errno, "%s %s", what, dst);
	r = walk(root, dst, true, S_ISDIR(st.st_mode) ? S_IFDIR : S_IFREG, &target);
	if (r < 0)
		return step_fail(e, r, "%s %s: mountpoint%s", what, dst,
		                 r == -ELOOP ? " (a symlink in the path)"
		                 : r == -EROFS
		                     ? " (does not exist in a read-only directory; use "
		                       "an existing path, or one under /, /tmp, /workspace "
		                       "or " CIS_JOB_HOME ")"
		                     : "");
	if (move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return step_fail(e, -errno, "%s %s", what, dst);
	return 0;
}

static int attach_new_tmpfs(int root, const char *dst, uint64_t size, const char *mode,
                            uint64_t attrs, struct step_err *e)
{
	_cleanup_close_ int m = -1;
	int r = new_tmpfs(size, mode, attrs, &m);

	if (r < 0)
		return step_fail(e, r, "tmpfs %s", dst);
	return attach(root, m, dst, e, "tmpfs");
}

static void sources_close(struct sources *s, size_t n)
{
	for (size_t i = 0; s->fds && i < n; i++)
		closep(&s->fds[i]);
	free(s->fds);
	closep(&s->ws);
	for (size_t i = 0; i < ARRAY_SIZE(s->dev); i++)
		closep(&s->dev[i]);
}

static int capture_sources(const struct plan *p, struct mount_fds *pre, struct sources *s,
                           struct step_err *e)
{
	const uint64_t ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	int r;

	s->ws = -1;
	for (size_t i = 0; i < ARRAY_SIZE(s->dev); i++)
		s->dev[i] = -1;
	s->fds = xcalloc(p->n_mounts, sizeof(int));
	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];

		s->fds[i] = pre->binds ? TAKE_FD(pre->binds[i]) : -1;
		if ((m->kind != MNT_RO_BIND && m->kind != MNT_BIND) || s->fds[i] >= 0)
			continue;
		/* Filtered system dirs are built by hide.c once the new root exists. */
		if (p->priv.kernel && i < p->n_system && !(i < 32 && (p->priv.plain & (1u << i))))
			continue;
		r = clone_tree(m->src, m->kind == MNT_RO_BIND ? ro : ro & ~MOUNT_ATTR_RDONLY,
		               &s->fds[i]);
		if (r < 0)
			return step_fail(e, r, "%s %s", m->kind == MNT_RO_BIND ? "ro-bind" : "bind",
			                 m->src);
	}
	s->ws = TAKE_FD(pre->ws);
	if (p->workspace && s->ws < 0) {
		r = clone_tree(p->workspace, p->ws_mode == WS_BIND ? ro & ~MOUNT_ATTR_RDONLY : ro,
		               &s->ws);
		if (r < 0)
			return step_fail(e, r, "workspace %s", p->workspace);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		_cleanup_free_ char *path = xasprintf("/dev/%s", dev_nodes[i]);

		r = clone_tree(path, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &s->dev[i]);
		if (r < 0)
			return step_fail(e, r, "bind %s", path);
	}
	return 0;
}

static void warn_idmap(const char *src, int r)
{
	fprintf(stderr,
	        "cisandbox: warning: %s: cannot idmap (%s); files owned by root will not "
	        "be writable by the job\n",
	        src, strerror(-r));
}

void mount_prepare_idmapped(const struct plan *p, struct mount_fds *out)
{
	int r;

	out->ws = -1;
	out->binds = NULL;
	if (!p->as_root)
		return;
	if (p->workspace &&
	    (r = userns_idmapped_clone(p, p->workspace, p->ws_mode != WS_BIND, &out->ws)) < 0)
		warn_idmap(p->workspace, r);
	out->binds = xcalloc(p->n_mounts, sizeof(int));
	for (size_t i = 0; i < p->n_mounts; i++) {
		out->binds[i] = -1;
		if ((p->mounts[i].kind == MNT_BIND ||
		     private_named_idmap(&p->mounts[i], p->as_root, i < p->n_system)) &&
		    (r = userns_idmapped_clone(p, p->mounts[i].src,
		                               p->mounts[i].kind == MNT_RO_BIND, &out->binds[i])) <
		        0)
			warn_idmap(p->mounts[i].src, r);
	}
}

void mount_fds_close(struct mount_fds *f, size_t n)
{
	closep(&f->ws);
	for (size_t i = 0; f->binds && i < n; i++)
		closep(&f->binds[i]);
	free(f->binds);
	f->binds = NULL;
}

/* Attach mount `m` as `name` in `dir`, a directory of a tmpfs we just made: nothing there can be
 * a symlink (and move_mount does not follow one as its last component), so no walk. */
static int attach_fresh(int dir, int m, const char *name, bool is_dir)
{
	if ((is_dir ? mkdirat(dir, name, 0755) : mknodat(dir, name, S_IFREG | 0644, 0)) < 0 ||
	    move_mount(m, "", dir, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int build_dev(const struct plan *p, int root, struct sources *s, struct step_err *e)
{
	static const char *const links[][2] = {{"fd", "/proc/self/fd"},
	                                       {"stdin", "/proc/self/fd/0"},
	                                       {"stdout", "/proc/self/fd/1"},
	                                       {"stderr", "/proc/self/fd/2"},
	                                       {"ptmx", "pts/ptmx"}};
	static const char *const pts_opts[] = {"newinstance", NULL,   "ptmxmode", "0666",
	                                       "mode",        "0620", NULL};
	_cleanup_close_ int dev = -1, pts = -1, shm = -1;
	int r;

	if ((r = attach_new_tmpfs(root, "/dev", 1 << 20, "0755", MOUNT_ATTR_NOEXEC, e)) < 0)
		return r;
	if ((r = walk(root, "/dev", false, 0, &dev)) < 0)
		return step_fail(e, r, "open /dev");
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		if ((r = attach_fresh(dev, s->dev[i], dev_nodes[i], false)) < 0)
			return step_fail(e, r, "bind /dev/%s", dev_nodes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return step_fail(e, -errno, "symlink /dev/%s", links[i][0]);
	r = new_fs("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &pts);
	if (r < 0 || (r = attach_fresh(dev, pts, "pts", true)) < 0)
		return step_fail(e, r, "devpts /dev/pts");
	r = new_tmpfs(p->tmp_size, "1777", MOUNT_ATTR_NOEXEC, &shm);
	if (r < 0 || (r = attach_fresh(dev, shm, "shm", true)) < 0)
		return step_fail(e, r, "tmpfs /dev/shm");
	return 0;
}

/* Foreign-owned entries that could not be made writable: the job's writes to them would fail
 * with EOVERFLOW, a message no one can decode; named here, with the fix. A warning from init:
 * the run goes on. */
static void warn_copyup(const struct plan *p, const struct copyup_result *c)
{
	if (c->failed)
		fprintf(stderr,
		        "cisandbox: warning: workspace: %lu entr%s owned by someone the sandbox "
		        "cannot map could not be copied into the overlay, e.g. %s (%s): the job "
		        "cannot write them (\"Value too large for defined data type\", EOVERFLOW, "
		        "or \"Permission denied\"); use --workspace-mode bind (writes reach the "
		        "host) or tmpfs, or chown them to the caller\n",
		        c->failed, c->failed == 1 ? "y" : "ies", c->first, strerror(c->err));
	if (c->truncated && p->verbose)
		fprintf(stderr,
		        "cisandbox: warning: workspace: more than %lu entries: only those were "
		        "checked for files the sandbox cannot own; writing such a file past them "
		        "fails with \"Value too large for defined data type\" (EOVERFLOW); use "
		        "--workspace-mode bind or tmpfs if a job must\n",
		        c->entries - 1);
}

/* The overlay from its layers' fds, none of them attached anywhere (overlayfs takes layers by fd
 * since Linux 6.13, on detached mounts since 6.15): nothing to detach afterwards, which costs
 * an RCU grace period per layer (~0.1 ms each on a busy host). */
static int overlay_from_fds(int lower, int data, int work, int *out)
{
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return -errno;
	/* userxattr: the only overlay metadata an unprivileged user namespace may write. */
	if (fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, lower) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FD, "upperdir", NULL, data) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FD, "workdir", NULL, work) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	if ((m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		return -errno;
	*out = m;
	return 0;
}

/* Older kernels: the layers are attached under META_DIR only long enough to name them to
 * overlayfs by path, which keeps private clones of its layers; then they are detached again. */
static int overlay_from_paths(int root, int lower_m, int upper_m, int *out, struct step_err *e)
{
	const char *lo = "/" META_DIR "/lower", *up = "/" META_DIR "/upper";
	_cleanup_close_ int upper = -1, lower = -1;
	char lpath[64], upath[64], wpath[64];
	int r;

	if ((r = attach(root, lower_m, lo, e, "workspace")) < 0 ||
	    (r = attach(root, upper_m, up, e, "tmpfs")) < 0)
		return r;
	if ((r = walk(root, lo, false, 0, &lower)) < 0 ||
	    (r = walk(root, up, false, 0, &upper)) < 0)
		return step_fail(e, r, "overlay layers");
	snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d", lower);
	snprintf(upath, sizeof(upath), "/proc/self/fd/%d/data", upper);
	snprintf(wpath, sizeof(wpath), "/proc/self/fd/%d/work", upper);
	{
		const char *opts[] = {"lowerdir", lpath,       "upperdir", upath, "workdir",
		                      wpath,      "userxattr", NULL,       NULL};

		r = new_fs("overlay", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, out);
	}
	if (r < 0)
		return step_fail(e, r, "overlay /workspace");
	closep(&lower);
	closep(&upper);
	if (umount2(STAGING "/" META_DIR "/lower", MNT_DETACH) < 0 ||
	    umount2(STAGING "/" META_DIR "/upper", MNT_DETACH) < 0)
		return step_fail(e, -errno, "detach overlay layers");
	return 0;
}

/* Overlay: the host workspace is the read-only lower layer, writes go to a size-capped tmpfs and
 * vanish with the sandbox. */
static int build_overlay(const struct plan *p, int root, struct sources *s, struct step_err *e)
{
	struct copyup_result cu;
	_cleanup_close_ int upper = -1, data = -1, work = -1, ovl = -1;
	int r;

	if ((r = new_tmpfs(p->ws_size, "0755", 0, &upper)) < 0)
		return step_fail(e, r, "tmpfs /" META_DIR "/upper");
	if (mkdirat(upper, "data", 0755) < 0 || mkdirat(upper, "work", 0755) < 0 ||
	    (data = openat(upper, "data", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (work = openat(upper, "work", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return step_fail(e, -errno, "overlay upper dir");
	copyup_foreign(s->ws, data, &cu);
	warn_copyup(p, &cu);
	if (overlay_from_fds(s->ws, data, work, &ovl) < 0 &&
	    (r = overlay_from_paths(root, s->ws, upper, &ovl, e)) < 0)
		return r;
	return attach(root, ovl, "/workspace", e, "overlay");
}

static int build_workspace(const struct plan *p, int root, struct sources *s, struct step_err *e)
{
	switch (p->ws_mode) {
	case WS_TMPFS:
		return attach_new_tmpfs(root, "/workspace", p->ws_size, "0755", 0, e);
	case WS_BIND:
		return attach(root, s->ws, "/workspace", e, "workspace");
	case WS_OVERLAY:
		return build_overlay(p, root, s, e);
	}
	return -EINVAL;
}

/* A fresh procfs for the new PID namespace. It must be mounted while the host's /proc is still
 * visible in this mount namespace: the kernel refuses a new procfs in a user namespace that
 * could not already see a complete one (mount_too_revealing). */
static int build_proc(int root, struct step_err *e)
{
	_cleanup_close_ int proc = -1, dir = -1;
	int r =
	    new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &proc);

	if (r < 0)
		return step_fail(e, r, "proc /proc");
	if ((r = attach(root, proc, "/proc", e, "proc")) < 0)
		return r;
	if ((r = walk(root, "/proc", false, 0, &dir)) < 0)
		return step_fail(e, r, "open /proc");
	for (size_t i = 0; i < ARRAY_SIZE(proc_ro); i++) {
		_cleanup_close_ int m =
		    open_tree(dir, proc_ro[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

		if (m < 0 && errno == ENOENT)
			continue;
		if (m < 0 ||
		    setattr(m,
		            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
		                MOUNT_ATTR_NOEXEC,
		            false) < 0 ||
		    move_mount(m, "", dir, proc_ro[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return step_fail(e, -errno, "read-only /proc/%s", proc_ro[i]);
	}
	return 0;
}

static int write_meta(int meta, const char *name, const char *content)
{
	_cleanup_close_ int fd = openat(meta, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);

	if (fd < 0)
		return -errno;
	return write_all(fd, content, strlen(content));
}

/* Files the sandbox shows instead of the host's: an empty file for masks, and passwd/group that
 * name only the job's user (no list of the host's accounts). */
static int build_meta(const struct plan *p, int root, struct step_err *e)
{
	static const char passwd[] = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	                             "ci:x:1000:1000:CI job:" CIS_JOB_HOME ":/bin/sh\n"
	                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
	static const char group[] = "root:x:0:\nci:x:1000:\nnogroup:x:65534:\n";
	_cleanup_close_ int meta = -1;
	int r;

	if ((r = walk(root, "/" META_DIR, true, S_IFDIR, &meta)) < 0)
		return step_fail(e, r, "mkdir /%s", META_DIR);
	if ((r = write_meta(meta, "empty", "")) < 0 ||
	    (r = write_meta(meta, "passwd", passwd)) < 0 ||
	    (r = write_meta(meta, "group", group)) < 0 ||
	    (p->net.mode != NET_NONE &&
	     (r = write_meta(meta, "resolv.conf", p->net.nameservers)) < 0))
		return step_fail(e, r, "write /%s", META_DIR);
	return 0;
}

/* Bind a file from META_DIR read-only over dst (which must already exist). */
static int bind_meta(int root, const char *name, const char *dst, struct step_err *e)
{
	_cleanup_free_ char *src = xasprintf(META_DIR "/%s", name);
	_cleanup_close_ int m = open_tree(root, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	_cleanup_close_ int target = -1;
	int r;

	if (m < 0 ||
	    (r = setattr(m, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false)) < 0)
		return step_fail(e, m < 0 ? -errno : r, "bind /%s", src);
	if ((r = walk(root, dst, false, 0, &target)) < 0)
		return step_fail(e, r, "mask %s", dst);
	if (move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return step_fail(e, -errno, "mask %s", dst);
	return 0;
}

/* Hide dst if it exists: an empty file over a file (or socket), an empty read-only tmpfs over a
 * directory. A path that does not exist in the sandbox has nothing to hide. */
static int apply_mask(int root, const char *dst, struct step_err *e)
{
	_cleanup_close_ int target = -1;
	struct stat st;
	int r = walk(root, dst, false, 0, &target);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return step_fail(e, r, "mask %s%s", dst,
		                 r == -ELOOP ? " (a symlink in the path)" : "");
	if (fstat(target, &st) < 0)
		return step_fail(e, -errno, "mask %s", dst);
	if (!S_ISDIR(st.st_mode))
		return bind_meta(root, "empty", dst, e);
	return attach_new_tmpfs(root, dst, 4096, "0555", MOUNT_ATTR_RDONLY, e);
}

/* With egress, the host's nameservers (reachable only if allowlisted until DNS filtering). A
 * host whose resolv.conf is a symlink (systemd-resolved's stub) keeps it: the target is not in
 * the sandbox, and mountpoints are never reached through symlinks. */
static int bind_resolv_conf(int root, struct step_err *e)
{
	_cleanup_close_ int target = -1;
	int r = walk(root, "/etc/resolv.conf", false, 0, &target);

	if (r == -ELOOP || r == -ENOENT)
		return 0;
	return r < 0 ? step_fail(e, r, "/etc/resolv.conf")
	             : bind_meta(root, "resolv.conf", "/etc/resolv.conf", e);
}

static int replay(const struct plan *p, size_t from, size_t to, int root, struct sources *s,
                  struct step_err *e)
{
	for (size_t i = from; i < to; i++) {
		const struct mount_op *m = &p->mounts[i];
		int r = 0;

		switch (m->kind) {
		case MNT_RO_BIND:
		case MNT_BIND:
			r = attach(root, s->fds[i], m->dst, e, m->origin);
			break;
		case MNT_TMPFS:
			r = attach_new_tmpfs(root, m->dst, p->tmp_size, "0755", 0, e);
			break;
		case MNT_MASK:
			r = apply_mask(root, m->dst, e);
			break;
		case MNT_SYMLINK:
			if (symlinkat(m->src, root, m->dst + 1) < 0)
				r = step_fail(e, -errno, "symlink %s", m->dst);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_home(const struct plan *p, int root, struct step_err *e)
{
	_cleanup_close_ int home = -1;
	int r = attach_new_tmpfs(root, "/home", p->tmp_size, "0755", 0, e);

	if (r < 0)
		return r;
	r = walk(root, CIS_JOB_HOME, true, S_IFDIR, &home);
	return r < 0 ? step_fail(e, r, "mkdir %s", CIS_JOB_HOME) : 0;
}

/* Each group of mounts ends with its stamp (timing.h): the breakdown names what costs. */
static int build_tree(const struct plan *p, int root, struct sources *s, struct step_err *e)
{
	int r;

	if ((r = build_meta(p, root, e)) < 0)
		return r;
	timing_stamp(T_M_META);
	if (p->priv.kernel && (r = hide_system_dirs(p, root, s->fds, e)) < 0)
		return r;
	timing_stamp(T_M_HIDE);
	if ((r = replay(p, 0, p->n_system, root, s, e)) < 0)
		return r;
	timing_stamp(T_M_SYSTEM);
	if ((r = build_dev(p, root, s, e)) < 0)
		return r;
	timing_stamp(T_M_DEV);
	if ((r = attach_new_tmpfs(root, "/tmp", p->tmp_size, "1777", 0, e)) < 0 ||
	    (r = build_home(p, root, e)) < 0)
		return r;
	timing_stamp(T_M_TMP_HOME);
	if ((r = build_workspace(p, root, s, e)) < 0)
		return r;
	timing_stamp(T_M_WORKSPACE);
	if ((r = build_proc(root, e)) < 0)
		return r;
	timing_stamp(T_M_PROC);
	if ((r = bind_meta(root, "passwd", "/etc/passwd", e)) < 0 ||
	    (r = bind_meta(root, "group", "/etc/group", e)) < 0 ||
	    (p->net.mode != NET_NONE && (r = bind_resolv_conf(root, e)) < 0))
		return r;
	timing_stamp(T_M_ETC);
	if ((r = secrets_mount(&p->secrets, root, e)) < 0)
		return r;
	timing_stamp(T_M_SECRETS);
	r = replay(p, p->n_system, p->n_mounts, root, s, e);
	timing_stamp(T_M_EXTRA);
	return r;
}

int mount_build_root(const struct plan *p, struct mount_fds *pre, int *rootfd, struct step_err *e)
{
	struct sources s = {0};
	_cleanup_close_ int root = -1;
	int r;

	/* Nothing we mount may propagate back to the host, and no host mount event may reach us. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return step_fail(e, -errno, "make / private");
	if ((r = capture_sources(p, pre, &s, e)) < 0)
		goto out;
	timing_stamp(T_M_SOURCES);
	if ((r = new_tmpfs(16 << 20, "0755", 0, &root)) < 0) {
		step_fail(e, r, "tmpfs /");
		goto out;
	}
	if (move_mount(root, "", AT_FDCWD, STAGING, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = step_fail(e, -errno, "attach new root at %s", STAGING);
		goto out;
	}
	timing_stamp(T_M_ROOT);
	r = build_tree(p, root, &s, e);
out:
	sources_close(&s, p->n_mounts);
	if (r < 0)
		return r;
	*rootfd = TAKE_FD(root);
	return 0;
}

int mount_pivot(int rootfd, struct step_err *e)
{
	/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
	 * path back to the host's tree (bubblewrap's and runc's idiom). */
	if (fchdir(rootfd) < 0)
		return step_fail(e, -errno, "chdir new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return step_fail(e, -errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return step_fail(e, -errno, "detach old root");
	if (chdir("/") < 0)
		return step_fail(e, -errno, "chdir /");
	/* Only now: everything below / is in place, nothing more is created on the root tmpfs. */
	if (setattr(rootfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false) < 0)
		return step_fail(e, -errno, "read-only /");
	return 0;
}
