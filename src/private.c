/* private.c — launcher side of "nothing private of the host in view" (see private.h): decide,
 * before any namespace exists, whether the kernel can keep the caller's private entries out of
 * the system dirs (subordinate ids), and write the maps that make it so. */
#define _GNU_SOURCE
#include "private.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* "name:x:uid:gid:gecos:home:shell" for uid into *a. */
static bool pw_line(char *line, uid_t uid, struct account *a)
{
	char *f[7], *end;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	/* strsep, not strtok: empty fields (gecos) must count. */
	for (char *at = line; at && n < 7; n++)
		f[n] = strsep(&at, ":");
	if (n < 6 || strtoul(f[2], &end, 10) != uid || *end || !f[2][0] ||
	    strlen(f[0]) >= sizeof(a->name) || strlen(f[5]) >= sizeof(a->home))
		return false;
	snprintf(a->name, sizeof(a->name), "%s", f[0]);
	snprintf(a->home, sizeof(a->home), "%s", f[5]);
	a->gid = (gid_t)strtoul(f[3], NULL, 10);
	return true;
}

static bool account_getent(uid_t uid, struct account *a)
{
	char num[16], line[8192];
	char *const argv[] = {"getent", "passwd", num, NULL}, *const envp[] = {NULL};
	posix_spawn_file_actions_t fa;
	int p[2], st;
	pid_t pid;
	bool ok = false;
	FILE *f;

	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	if (pipe2(p, O_CLOEXEC) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	if (posix_spawn(&pid, "/usr/bin/getent", &fa, NULL, argv, envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if ((f = fdopen(p[0], "re"))) {
		ok = fgets(line, sizeof(line), f) && pw_line(line, uid, a);
		fclose(f);
	} else {
		close(p[0]);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	return ok;
}

bool account_of(uid_t uid, struct account *a)
{
	/* The last answer, kept: a plan asks for the caller up to three times, and an account only
	 * getent knows (or none: a container's arbitrary uid) must not cost an exec each time. */
	static struct account last;
	static uid_t last_uid;
	static int last_found = -1;
	FILE *f;
	char line[8192];
	bool found = false;

	if (last_found >= 0 && last_uid == uid) {
		*a = last;
		return last_found;
	}
	f = fopen("/etc/passwd", "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = pw_line(line, uid, a);
	if (f)
		fclose(f);
	found = found || account_getent(uid, a);
	last_uid = uid, last_found = found;
	if (found)
		last = *a;
	return found;
}

/* The first range of NAME (or of its numeric id) in /etc/subuid or /etc/subgid. */
static bool find_subid(const char *file, const char *name, unsigned long id, unsigned long *start)
{
	FILE *f = fopen(file, "re");
	char line[512], num[32];
	bool found = false;

	if (!f)
		return false;
	snprintf(num, sizeof(num), "%lu", id);
	while (!found && fgets(line, sizeof(line), f)) {
		char *who = strtok(line, ":\n"), *first = strtok(NULL, ":\n"),
		     *count = strtok(NULL, ":\n");

		if (!who || !first || !count || strtoul(count, NULL, 10) < 1)
			continue;
		if (strcmp(who, name) == 0 || strcmp(who, num) == 0) {
			*start = strtoul(first, NULL, 10);
			found = *start > 0;
		}
	}
	fclose(f);
	return found;
}

/* A helper we may run: a root-owned setuid regular file (below ROOT, "" for the host). */
static bool helper_ok(const char *root, const char *path)
{
	_cleanup_free_ char *at = xasprintf("%s%s", root, path);
	struct stat st;

	return stat(at, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	       (st.st_mode & S_ISUID);
}

char *private_why_not(const char *root, uid_t uid, gid_t gid, unsigned long *su, unsigned long *sg)
{
	struct account acct, *pw = &acct;
	_cleanup_free_ char *subuid = xasprintf("%s/etc/subuid", root);
	_cleanup_free_ char *subgid = xasprintf("%s/etc/subgid", root);

	if (!account_of(uid, &acct))
		return xasprintf("uid %u has no passwd entry", uid);
	if (!helper_ok(root, PRIVATE_NEWUIDMAP) || !helper_ok(root, PRIVATE_NEWGIDMAP))
		return xstrdup("no setuid " PRIVATE_NEWUIDMAP " and " PRIVATE_NEWGIDMAP
		               " (package uidmap)");
	if (!find_subid(subuid, pw->name, uid, su) || !find_subid(subgid, pw->name, uid, sg))
		return xasprintf("no /etc/subuid and /etc/subgid entry for %s", pw->name);
	if (pw->gid != gid)
		return xasprintf("gid %u is not the primary group of %s (newgidmap maps only that "
		                 "one)",
		                 gid, pw->name);
	return NULL;
}

/* Mount points strictly below a system dir hide what overlayfs would show, and the kernel
 * refuses to overlay a tree with (locked) mounts below it: such a dir is shown unfiltered. */
static void find_submounts(struct private_plan *pp, const struct mount_op *sys, size_t n_sys)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		for (size_t i = 0; i < n_sys && i < 32; i++) {
			const struct mount_op *m = &sys[i];

			if (m->kind == MNT_RO_BIND && strcmp(mp, m->src) != 0 &&
			    path_has_prefix(mp, m->src))
				pp->plain |= 1u << i;
		}
	}
	fclose(f);
	for (size_t i = 0; i < n_sys && i < 32; i++) {
		char *old = pp->plain_dirs;

		if (!(pp->plain & (1u << i)))
			continue;
		pp->plain_dirs = old ? xasprintf("%s %s", old, sys[i].src) : xstrdup(sys[i].src);
		free(old);
	}
}

void private_plan_build(struct private_plan *pp, uid_t uid, gid_t gid, bool as_root,
                        const struct mount_op *sys, size_t n_sys)
{
	unsigned long su = 0, sg = 0;

	*pp = (struct private_plan){0};
	if (as_root)
		return; /* the job is "other" to every host file already */
	pp->reason = private_why_not("", uid, gid, &su, &sg);
	if (pp->reason)
		return;
	pp->kernel = true;
	pp->sub_uid = (uid_t)su;
	pp->sub_gid = (gid_t)sg;
	find_submounts(pp, sys, n_sys);
}

void private_plan_free(struct private_plan *pp)
{
	free(pp->reason);
	free(pp->plain_dirs);
	*pp = (struct private_plan){0};
}

void private_warn(const struct private_plan *pp, bool quiet)
{
	/* A promise the host cannot keep is said on every run, unless the profile says the
	 * operator knows (filesystem.private "best-effort"; the audit records it either way). */
	if (pp->reason && !quiet)
		fprintf(stderr,
		        "cisandbox: warning: rootless without subordinate ids (%s): entries of the "
		        "system dirs that only the caller or its groups may read stay readable by "
		        "the job; see cisandbox(1), PRIVATE FILES\n",
		        pp->reason);
	if (pp->plain_dirs)
		fprintf(
		    stderr,
		    "cisandbox: warning: %s: mounts below it, shown unfiltered (entries only the "
		    "caller or its groups may read stay readable)\n",
		    pp->plain_dirs);
}

/* Start helper PID INSIDE OUTSIDE 1 0 SUB 1, with an empty environment and /dev/null as stdin
 * and stdout, through posix_spawn: vfork-like, no copy of the launcher's address space. */
static int spawn_map_helper(const char *helper, pid_t child, unsigned long own, unsigned long sub,
                            pid_t *out)
{
	char pid[16], o[16], s[16], inside[16];
	char *const argv[] = {(char *)helper, pid, inside, o, "1", "0", s, "1", NULL};
	char *const envp[] = {NULL};
	posix_spawn_file_actions_t fa;
	int r;

	snprintf(pid, sizeof(pid), "%d", child);
	snprintf(inside, sizeof(inside), "%u", CIS_JOB_UID);
	snprintf(o, sizeof(o), "%lu", own);
	snprintf(s, sizeof(s), "%lu", sub);
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return -r;
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, 0, 1);
	if (r == 0)
		r = posix_spawn(out, helper, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static int map_helper_status(pid_t h)
{
	int status;

	if (waitpid(h, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/* Both at once: they write different files of the same child (its uid_map, its gid_map). */
int private_write_maps(const struct private_plan *pp, uid_t host_uid, gid_t host_gid, pid_t child,
                       const char **what)
{
	pid_t u = -1, g = -1;
	int ru, rg;

	ru = spawn_map_helper(PRIVATE_NEWUIDMAP, child, host_uid, pp->sub_uid, &u);
	rg = spawn_map_helper(PRIVATE_NEWGIDMAP, child, host_gid, pp->sub_gid, &g);
	if (ru == 0)
		ru = map_helper_status(u);
	if (rg == 0)
		rg = map_helper_status(g);
	*what = ru < 0 ? PRIVATE_NEWUIDMAP : PRIVATE_NEWGIDMAP;
	return ru < 0 ? ru : rg;
}

bool private_named_idmap(const struct mount_op *m, bool as_root, bool system)
{
	struct stat st;

	if (!as_root || system || m->kind != MNT_RO_BIND || stat(m->src, &st) < 0)
		return false;
	return !(st.st_mode & S_IROTH) || (S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH));
}
