/* nft.c programs the egress ruleset over netlink; nft(8) (an observer only) reads it back in a
 * private network namespace, as root and as an unprivileged user in its own user namespace. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netspec.h"
#include "nft.h"
#include "util.h"

static struct net_allow entry(const char *spec)
{
	struct net_allow a;

	cr_assert_null(net_parse_allow(spec, &a), "%s", spec);
	return a;
}

/* In a child: new netns (and userns when rootless), apply, print `nft list ruleset`. */
static char *apply_and_list(bool rootless, const struct nft_policy *p)
{
	int out[2], st;
	pid_t pid;
	char *text;

	cr_assert(pipe(out) == 0);
	pid = fork();
	if (pid == 0) {
		char err[256] = "";
		int r;

		dup2(out[1], 1);
		dup2(out[1], 2);
		if (rootless) {
			/* Changing uid clears "dumpable", which makes /proc/self root's. */
			if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ||
			    prctl(PR_SET_DUMPABLE, 1) || unshare(CLONE_NEWUSER | CLONE_NEWNET) ||
			    write_file("/proc/self/uid_map", "0 65534 1"))
				_exit(90);
		} else if (unshare(CLONE_NEWNET)) {
			_exit(91);
		}
		if ((r = nft_apply(p, err, sizeof(err))) < 0) {
			printf("nft_apply: %s: %s\n", err, strerror(-r));
			_exit(92);
		}
		fflush(stdout);
		execl("/usr/sbin/nft", "nft", "list", "ruleset", (char *)NULL);
		_exit(93);
	}
	close(out[1]);
	text = slurp_fd(out[0]);
	close(out[0]);
	cr_assert(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	          "child status 0x%x: %s", st, text);
	return text;
}

static void check(bool rootless)
{
	struct net_allow deny[] = {entry("169.254.0.0/16"), entry("10.0.0.0/8"), entry("fc00::/7")};
	struct net_allow allow[] = {entry("198.51.100.10:80"), entry("0.0.0.0/0:443"),
	                            entry("[2001:db8::1]:443/udp"),
	                            entry("203.0.113.0/24:8000-8100/udp")};
	struct net_allow priv[] = {entry("169.254.169.254:80")};
	struct nft_policy p = {deny, 3, allow, 4, priv, 1, NULL, 0, true, 0};
	char *text = apply_and_list(rootless, &p), *want;

	if (getenv("CIS_UPDATE_GOLDEN"))
		write_text_file("tests/golden/nft-allowlist.txt", text);
	want = read_text_file("tests/golden/nft-allowlist.txt");
	cr_assert(want, "missing tests/golden/nft-allowlist.txt");
	cr_assert_str_eq(text, want);
	free(text);
	free(want);
}

Test(nft, allowlist_ruleset_root)
{
	check(false);
}

Test(nft, allowlist_ruleset_rootless)
{
	check(true);
}

/* The largest allowlist a plan may hold loads in one batch, also rootless (send buffer capped
 * by net.core.wmem_max, elements split so that no netlink nest overflows). */
static void check_large(bool rootless)
{
	static struct net_allow allow[NET_MAX_ENTRIES];
	struct nft_policy p = {NULL, 0, allow, NET_MAX_ENTRIES, NULL, 0, NULL, 0, true, 0};
	char spec[64], *text;
	size_t lines = 0;

	for (int i = 0; i < NET_MAX_ENTRIES; i++) {
		snprintf(spec, sizeof(spec), "198.%d.%d.%d:443", 18 + i / 65536, (i / 256) % 256,
		         i % 256);
		allow[i] = entry(spec);
	}
	text = apply_and_list(rootless, &p);
	for (char *c = strstr(text, "elements"); c && *c && *c != '}'; c++)
		lines += *c == ',';
	cr_assert_eq(lines, NET_MAX_ENTRIES - 1, "%zu elements listed", lines + 1);
	free(text);
}

Test(nft, largest_allowlist_root)
{
	check_large(false);
}

Test(nft, largest_allowlist_rootless)
{
	check_large(true);
}
