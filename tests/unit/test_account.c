/* Unit tests: account_of (private.h) reads /etc/passwd, and asks `getent passwd UID` only for a
 * uid that file does not know (an NSS-only account: the binary is static and loads no NSS
 * module). The fallback is checked in a private mount namespace where /etc/passwd is empty and
 * /usr/bin/getent is a script of ours (root only: it needs to mount). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "private.h"

Test(account, from_etc_passwd)
{
	struct account a;

	cr_assert(account_of(0, &a));
	cr_assert_str_eq(a.name, "root");
	cr_assert_str_eq(a.home, "/root");
	cr_assert_eq(a.gid, 0);
	cr_assert(account_of(65534, &a));
	cr_assert_str_eq(a.name, "nobody");
	cr_assert_not(account_of(4000000000u, &a), "a uid nothing knows");
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	cr_assert(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* In a child (the mounts must not outlive it): 0 if the fallback found the LDAP-like entry. */
static int child_getent(const char *dir)
{
	char passwd[256], getent[256];
	struct account a;

	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(getent, sizeof(getent), "%s/getent", dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0 ||
	    mount(getent, "/usr/bin/getent", NULL, MS_BIND, NULL) < 0)
		return 2;
	if (!account_of(70001, &a))
		return 3;
	if (strcmp(a.name, "ldapci") || strcmp(a.home, "/srv/ci home") || a.gid != 70002)
		return 4;
	return account_of(70003, &a) ? 5 : 0; /* getent says nothing: not found */
}

Test(account, nss_only_account_through_getent)
{
	char dir[] = "/tmp/cis-unit-account-XXXXXX", path[256];
	int st;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root (a private mount namespace)");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/passwd", dir);
	put(path, "", 0644);
	snprintf(path, sizeof(path), "%s/getent", dir);
	/* As getent prints an entry: an empty gecos, a home with a space. Only for 70001. */
	put(path,
	    "#!/bin/sh\n[ \"$1 $2\" = \"passwd 70001\" ] || exit 2\n"
	    "echo 'ldapci:*:70001:70002::/srv/ci home:/bin/sh'\n",
	    0755);
	pid = fork();
	if (pid == 0)
		_exit(child_getent(dir));
	cr_assert(waitpid(pid, &st, 0) == pid);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	cr_assert_eq(system(path), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", WEXITSTATUS(st));
}
