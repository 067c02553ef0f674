/* Filesystem: read-only system dirs, writable workspace and /tmp, overlay/bind/tmpfs modes,
 * size caps, masks, and that nothing is left on the host. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define P "/probes/probe"

DUAL_TEST(fs, system_dirs_read_only, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws,
	       P " write /usr/x; " P " write /etc/x; " P " write /x; " P " write /bin/x; "
	         "awk '$5==\"/proc/sys\" {print $6}' /proc/self/mountinfo | cut -d, -f1");
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_eq(r.out, "EROFS\nEROFS\nEROFS\nEROFS\nro\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(fs, workspace_and_tmp_writable, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws,
	       P " write /workspace/new; " P " write /tmp/new; " P " write $HOME/new; "
	         "test \"$(pwd)\" = /workspace && echo cwd-ok");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "OK\nOK\nOK\ncwd-ok\n");
	result_free(&r);
	dir_done(ws);
}

/* Overlay (the default): the job changes, adds and deletes; the host directory is unchanged
 * byte for byte. */
DUAL_TEST(fs, overlay_leaves_host_unchanged, .timeout = 60)
{
	char *ws = tmpdir_for(m), path[512], sub[512];
	char *before, *after;
	struct result r;

	snprintf(path, sizeof(path), "%s/keep.txt", ws);
	write_text(path, "original\n");
	snprintf(sub, sizeof(sub), "%s/dir", ws);
	mkdir(sub, 0755);
	if (m == ROOTLESS) {
		cr_assert(chown(path, 65534, 65534) == 0 && chown(sub, 65534, 65534) == 0);
	}
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--", "sh", "-c",
	             "echo changed >> keep.txt && cat keep.txt && echo new > dir/new && "
	             "rm -rf dir && mkdir build && echo ok"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "original\nchanged\nok\n");
	before = strdup("original\n");
	after = read_text(path);
	cr_assert_str_eq(after, before);
	snprintf(path, sizeof(path), "%s/dir/new", ws);
	cr_assert(access(path, F_OK) != 0, "overlay write reached the host");
	cr_assert(access(sub, F_OK) == 0, "overlay delete reached the host");
	snprintf(path, sizeof(path), "%s/build", ws);
	cr_assert(access(path, F_OK) != 0);
	free(before);
	free(after);
	result_free(&r);
	dir_done(ws);
}

/* Entries of an overlay workspace owned by someone the sandbox cannot map (uid 12345: neither
 * the caller rootless nor the checkout's owner as root) are writable like the rest, where
 * overlayfs's own copy-up would fail with EOVERFLOW; the host copies stay as they were. One
 * that cannot be copied (not readable) is named in a warning with the fix. */
DUAL_TEST(fs, overlay_foreign_owned_writable, .timeout = 60)
{
	char *ws = tmpdir_for(m), path[512], *text;
	struct result r;

	snprintf(path, sizeof(path), "%s/foreign", ws);
	write_text(path, "host\n");
	cr_assert(chmod(path, 0666) == 0 && chown(path, 12345, 12345) == 0);
	snprintf(path, sizeof(path), "%s/dir", ws);
	cr_assert(mkdir(path, 0777) == 0 && chmod(path, 0777) == 0 &&
	          chown(path, 12345, 12345) == 0);
	snprintf(path, sizeof(path), "%s/dir/deep", ws);
	write_text(path, "deep\n");
	cr_assert(chmod(path, 0644) == 0 && chown(path, 12345, 12345) == 0);
	snprintf(path, sizeof(path), "%s/secret", ws);
	write_text(path, "secret\n");
	cr_assert(chmod(path, 0622) == 0 && chown(path, 12345, 12345) == 0);
	run_sh(m, &r, ws,
	       "cd /workspace && echo job >> foreign && cat foreign && touch dir/new && "
	       "cat dir/deep && stat -c %a foreign && echo x >> secret || echo secret refused");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "host\njob\ndeep\n666\nsecret refused\n");
	cr_assert(strstr(r.err, "could not be copied into the overlay, e.g. secret (Permission "
	                        "denied)") &&
	              strstr(r.err, "use --workspace-mode bind"),
	          "%s", r.err);
	cr_assert(!strstr(r.err, "foreign:") && !strstr(r.err, "dir/new"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/foreign", ws);
	text = read_text(path);
	cr_assert_str_eq(text, "host\n");
	free(text);
	snprintf(path, sizeof(path), "%s/dir/new", ws);
	cr_assert(access(path, F_OK) != 0);
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(fs, bind_mode_writes_through, .timeout = 60)
{
	char *ws = tmpdir_for(m), path[512], *text;
	struct result r;

	snprintf(path, sizeof(path), "%s/out.txt", ws);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--workspace-mode", "bind", "--", "sh", "-c",
	             "echo from-job > out.txt"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	text = read_text(path);
	cr_assert(text && strcmp(text, "from-job\n") == 0);
	free(text);
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(fs, tmpfs_mode_is_empty, .timeout = 60)
{
	char *ws = tmpdir_for(m), path[512];
	struct result r;

	snprintf(path, sizeof(path), "%s/visible", ws);
	write_text(path, "x");
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--workspace-mode", "tmpfs", "--ro-bind", probes_bind(), "--",
	             P, "ls", "/workspace"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "\n");
	result_free(&r);
	dir_done(ws);
}

/* The size cap holds in every mode that writes to memory: filling stops with ENOSPC. */
DUAL_TEST(fs, size_cap_enforced, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--workspace-size", "1M", "--ro-bind", probes_bind(), "--",
	             "sh", "-c",
	             P " fill /workspace/big 2097152; " P " fill /workspace/small 1000; "
	               "rm -f /workspace/big /workspace/small; " P " fill /workspace/small 1000"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "ENOSPC\nENOSPC\nOK\n");
	result_free(&r);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--workspace-mode", "tmpfs", "--workspace-size", "1M",
	             "--ro-bind", probes_bind(), "--", P, "fill", "/workspace/big", "2097152"));
	cr_assert_str_eq(r.out, "ENOSPC\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(fs, extra_mounts, .timeout = 60)
{
	char *ws = tmpdir_for(m), *data = tmpdir_for(m), *rw = tmpdir_for(m), path[512], *text;
	char robind[600], rwbind[600];
	struct result r;

	snprintf(path, sizeof(path), "%s/hello", data);
	write_text(path, "ro-data\n");
	snprintf(robind, sizeof(robind), "%s:/data", data);
	snprintf(rwbind, sizeof(rwbind), "%s:/cache", rw);
	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--ro-bind", probes_bind(), "--ro-bind", robind, "--bind",
	             rwbind, "--tmpfs", "/scratch", "--mask", "/etc/hostname", "--", "sh", "-c",
	             "cat /data/hello; " P " write /data/x; echo c > /cache/c; " P
	             " write /scratch/s; " P " read /etc/hostname"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "ro-data\nEROFS\nOK\n(empty)\n");
	snprintf(path, sizeof(path), "%s/c", rw);
	text = read_text(path);
	cr_assert(text && strcmp(text, "c\n") == 0);
	free(text);
	result_free(&r);
	rm_rf(ws);
	rm_rf(data);
	rm_rf(rw);
	free(ws);
	free(data);
	free(rw);
}

/* A mountpoint cannot be created inside a read-only host directory: a clear launcher error. */
DUAL_TEST(fs, mountpoint_in_read_only_dir, .timeout = 60)
{
	char *ws = tmpdir_for(m), *data = tmpdir_for(m), spec[600];
	struct result r;

	snprintf(spec, sizeof(spec), "%s:/usr/cisandbox-no-such-dir", data);
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--ro-bind", spec, "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "--ro-bind /usr/cisandbox-no-such-dir") &&
	              strstr(r.err, "read-only"),
	          "%s", r.err);
	result_free(&r);
	rm_rf(ws);
	rm_rf(data);
	free(ws);
	free(data);
}

/* A bind target under an attacker-planted symlink must not be followed: the run fails (125)
 * and nothing is created where the symlink points. */
DUAL_TEST(fs, symlinked_mountpoint_refused, .timeout = 60)
{
	char *ws = tmpdir_for(m), *outside = tmpdir_for(m), *src = tmpdir_for(m);
	char link[512], target[600], probe[600];
	struct result r;

	snprintf(link, sizeof(link), "%s/evil", ws);
	cr_assert(symlink(outside, link) == 0);
	if (m == ROOTLESS)
		cr_assert(lchown(link, 65534, 65534) == 0);
	snprintf(target, sizeof(target), "%s:/workspace/evil/planted", src);
	cis_run(
	    m, &r, NULL,
	    ARGS("run", "-w", ws, "--workspace-mode", "bind", "--ro-bind", target, "--", "true"));
	cr_assert_eq(r.status, 125, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "/workspace/evil/planted"), "stderr: %s", r.err);
	snprintf(probe, sizeof(probe), "%s/planted", outside);
	cr_assert(access(probe, F_OK) != 0, "mountpoint created through the symlink");
	result_free(&r);
	rm_rf(ws);
	rm_rf(outside);
	rm_rf(src);
	free(ws);
	free(outside);
	free(src);
}

DUAL_TEST(fs, dev_and_proc, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	run_sh(m, &r, ws,
	       P " ls /dev; " P " write /dev/null; " P " ls /home; hostname; "
	         "test -e /proc/sysrq-trigger && " P " write /proc/sysrq-trigger || echo absent");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	const char *expect =
	    "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero\n"
	    "OK\nci\ncisandbox\n";
	size_t n = strlen(expect);

	cr_assert(strncmp(r.out, expect, n) == 0, "%s", r.out);
	/* Kernels without magic SysRq have no such file; where it exists it is read-only. */
	cr_assert(strcmp(r.out + n, "EROFS\n") == 0 || strcmp(r.out + n, "absent\n") == 0, "%s",
	          r.out + n);
	result_free(&r);
	dir_done(ws);
}

/* Nothing of a run stays mounted in the caller's namespace. */
DUAL_TEST(fs, no_host_mounts_left, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	int before = host_mount_count();
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--", "true"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(host_mount_count(), before);
	result_free(&r);
	dir_done(ws);
}
