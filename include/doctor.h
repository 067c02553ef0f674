/* doctor.h — `cisandbox doctor`: what this host lets a sandbox enforce, and how to fix what it
 * does not. doctor_probe.c gathers the facts (files under the host's /proc, /sys, /dev, /etc and
 * a few throw-away child processes that try a namespace, a mount, a ruleset); doctor.c turns
 * them into checks and a profile's promises and prints them. Runs in the launcher's place, never
 * in a sandbox, and changes nothing on the host.
 *
 * Tests point CISANDBOX_DOCTOR_ROOT at a fake root: every file is then read below it, and every
 * live probe reads its result from ROOT/probe/NAME instead ("ok", an errno name such as "EPERM",
 * a number or a version line), so each kind of host can be described without owning one. */
#ifndef CIS_DOCTOR_H
#define CIS_DOCTOR_H

#include <stdbool.h>

struct doctor_facts {
	const char *root; /* "" for the live host */
	bool as_root;     /* the caller is uid 0 */
	char kernel[80];
	/* User namespaces: Debian's and upstream's knobs (-1: absent), and a real attempt. */
	int userns_clone;
	long max_userns;
	int userns; /* 0 or -errno */
	/* AppArmor: the userns restriction (-1: absent), and our profile. */
	int aa_restrict;
	bool aa_enabled;
	bool aa_loaded; /* "cisandbox" in the kernel's profile list */
	bool aa_file;   /* /etc/apparmor.d/cisandbox */
	/* cgroup v2: our cgroup, its controllers, whether we may create children in it. */
	bool cg2;
	char cg_dir[1024];
	char cg_ctl[256];
	bool cg_writable;
	bool cg_kill;
	char cg_v1[128]; /* memory, pids, cpu where a v1 hierarchy holds them */
	/* Egress. */
	int tun;                   /* file mode of /dev/net/tun, or -errno */
	char slirp[80], pasta[80]; /* first line of --version, "" when absent */
	int nft;                   /* 0 or -errno: an nftables table in a fresh netns */
	int tiocsti;               /* dev.tty.legacy_tiocsti, -1 absent */
	int yama;                  /* kernel.yama.ptrace_scope, -1 absent */
	int landlock;              /* ABI version, 0 none */
	int notif;                 /* 0 or -errno: seccomp user notification */
	int overlay;               /* 0 or -errno: overlayfs in a user namespace */
	int proc;                  /* 0 or -errno: a fresh procfs in a user+PID namespace */
	int idmap;                 /* 0 or -errno: an idmapped mount (root only) */
	/* Inside a container: the runtime's marks. */
	char container[32]; /* "", docker, podman, kubernetes, lxc, ... */
	char masked[256];   /* /proc paths covered by other mounts, space separated */
	bool seccomp_filtered;
};

/* Gather the facts of the live host, or of the fake root in $CISANDBOX_DOCTOR_ROOT. */
void doctor_probe(struct doctor_facts *f);

/* `cisandbox doctor [--json] [--profile NAME]` (argv[0] is "doctor"): 0 when the profile's
 * promises hold here, 1 when one does not, 125 on bad input. */
int doctor_main(int argc, char **argv);

#endif
