/* doctor.c — `cisandbox doctor [--json] [--profile NAME]` (launcher's place, no sandbox): one
 * line per host check, ok / warn / fail, each warn and fail with the exact fix; then which of
 * the profile's promises this host keeps, and how. The facts come from doctor_probe.c. The JSON
 * form is a stable schema ("v": 1; cisandbox(1), DOCTOR). */
#define _GNU_SOURCE
#include "cli.h"
#include "doctor.h"
#include "plan.h"
#include "private.h"
#include "profile.h"
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum status { ST_OK, ST_WARN, ST_FAIL };
static const char *const status_names[] = {"ok", "warn", "fail"};

struct item {
	const char *id;
	enum status st;
	char detail[512];
	char fix[640];
};

struct list {
	struct item v[24];
	size_t n;
};

struct report {
	const struct doctor_facts *f;
	struct list checks, promises;
};

static struct item *add(struct list *l, const char *id, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct item *add(struct list *l, const char *id, enum status st, const char *fmt, ...)
{
	struct item *it = &l->v[l->n < ARRAY_SIZE(l->v) - 1 ? l->n++ : l->n];
	va_list ap;

	*it = (struct item){.id = id, .st = st};
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	return it;
}

static void fix(struct item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fix(struct item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->fix, sizeof(it->fix), fmt, ap);
	va_end(ap);
}

static const char *err_name(int r)
{
	const char *n = strerrorname_np(-r);

	return n ? n : "error";
}

static bool in_pod(const struct doctor_facts *f)
{
	return f->container[0] != '\0';
}

/* Why no user namespace can be made, and the one fix for it. */
static void userns_check(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	struct list *l = &rep->checks;
	struct item *it;

	if (f->userns == 0 && f->max_userns > 0 && f->max_userns < 64) {
		it = add(l, "userns", ST_WARN,
		         "user namespaces: available, but only %ld "
		         "(user.max_user_namespaces)",
		         f->max_userns);
		fix(it, "sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)");
	} else if (f->userns == 0) {
		add(l, "userns", ST_OK, "unprivileged user namespaces: available%s",
		    f->userns_clone == 1 ? " (kernel.unprivileged_userns_clone=1)" : "");
	} else if (f->userns_clone == 0) {
		it = add(
		    l, "userns", ST_FAIL,
		    "unprivileged user namespaces: disabled (kernel.unprivileged_userns_clone=0)");
		fix(it, "sysctl -w kernel.unprivileged_userns_clone=1; persist it: echo "
		        "kernel.unprivileged_userns_clone=1 > /etc/sysctl.d/90-cisandbox.conf");
	} else if (f->max_userns == 0) {
		it = add(l, "userns", ST_FAIL,
		         "user namespaces: disabled (user.max_user_namespaces=0)");
		fix(it, "sysctl -w user.max_user_namespaces=15000; persist it: echo "
		        "user.max_user_namespaces=15000 > /etc/sysctl.d/90-cisandbox.conf");
	} else if (f->aa_restrict == 1 && !f->aa_loaded) {
		it = add(l, "userns", ST_FAIL, "user namespaces: refused by AppArmor (%s)",
		         err_name(f->userns));
		fix(it, "see apparmor below");
	} else if (f->seccomp_filtered) {
		it = add(l, "userns", ST_FAIL,
		         "user namespaces: refused (%s) by a seccomp filter on this process: a "
		         "container runtime's default profile",
		         err_name(f->userns));
		fix(it, "see container below");
	} else {
		add(l, "userns", ST_FAIL, "user namespaces: cannot be created: %s",
		    strerror(-f->userns));
	}
}

static void apparmor_check(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	struct item *it;

	if (f->aa_restrict != 1) {
		add(&rep->checks, "apparmor", ST_OK, "AppArmor: no user-namespace restriction%s",
		    f->aa_restrict == 0 ? " (kernel.apparmor_restrict_unprivileged_userns=0)" : "");
	} else if (f->aa_loaded) {
		add(&rep->checks, "apparmor", ST_OK,
		    "AppArmor restricts user namespaces; profile cisandbox is loaded (grants "
		    "userns)");
	} else if (f->aa_file) {
		it = add(
		    &rep->checks, "apparmor", ST_FAIL,
		    "AppArmor restricts user namespaces "
		    "(kernel.apparmor_restrict_unprivileged_userns=1); /etc/apparmor.d/cisandbox "
		    "is installed but not loaded");
		fix(it, "apparmor_parser -r /etc/apparmor.d/cisandbox");
	} else {
		it = add(&rep->checks, "apparmor", ST_FAIL,
		         "AppArmor restricts user namespaces "
		         "(kernel.apparmor_restrict_unprivileged_userns=1) and no profile grants "
		         "them to cisandbox");
		fix(it,
		    "install /etc/apparmor.d/cisandbox (the Debian package or make install), "
		    "then apparmor_parser -r /etc/apparmor.d/cisandbox; or allow every program: "
		    "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
	}
}

static bool has_ctl(const struct doctor_facts *f, const char *name)
{
	char buf[sizeof(f->cg_ctl)], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", f->cg_ctl);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (strcmp(t, name) == 0)
			return true;
	return false;
}

/* A limit the run's cgroup can enforce: cgroup v2, ours writable, the controller there. */
static bool cg_enforces(const struct doctor_facts *f, const char *ctl)
{
	return f->cg2 && f->cg_writable && has_ctl(f, ctl);
}

static const char *const delegate_fix =
    "run the runner as a systemd service with 'Delegate=memory pids cpu' in its [Service] "
    "section (systemctl edit RUNNER.service), or start it with systemd-run --user -p "
    "Delegate=yes";
static const char *const unified_fix =
    "boot with the unified hierarchy: add systemd.unified_cgroup_hierarchy=1 to "
    "GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot";

static void cgroup_check(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	char missing[64] = "";
	struct item *it;

	for (size_t i = 0; i < 3; i++) {
		const char *c = (const char *[]){"memory", "pids", "cpu"}[i];

		if (!has_ctl(f, c))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
			         "%s%s", missing[0] ? " " : "", c);
	}
	if (!f->cg2) {
		it = add(&rep->checks, "cgroup", ST_WARN,
		         "cgroup v2: not mounted; limits fall back to rlimits, --cpus cannot be "
		         "enforced");
		fix(it, "%s", unified_fix);
	} else if (missing[0] && f->cg_v1[0]) {
		it =
		    add(&rep->checks, "cgroup", ST_WARN,
		        "cgroup v2 at %s has no %s controller: %s on cgroup v1 (hybrid hierarchy); "
		        "limits fall back to rlimits",
		        f->cg_dir, missing, f->cg_v1);
		fix(it, "%s", unified_fix);
	} else if (!f->cg_writable) {
		it = add(&rep->checks, "cgroup", ST_WARN,
		         "cgroup v2: %s is not delegated to this user; limits fall back to rlimits",
		         f->cg_dir);
		fix(it, "%s", delegate_fix);
	} else if (missing[0]) {
		it = add(&rep->checks, "cgroup", ST_WARN,
		         "cgroup v2: %s delegated with controllers '%s', missing %s", f->cg_dir,
		         f->cg_ctl, missing);
		fix(it, "%s", delegate_fix);
	} else {
		add(&rep->checks, "cgroup", ST_OK, "cgroup v2: %s, controllers delegated: %s",
		    f->cg_dir, f->cg_ctl);
	}
	if (f->cg2 && !f->cg_kill) {
		it = add(&rep->checks, "cgroup.kill", ST_WARN,
		         "cgroup.kill: absent (kernel older than 5.14); leftovers die with the "
		         "sandbox's PID namespace only");
		fix(it, "a kernel >= 5.14");
	} else if (f->cg2) {
		add(&rep->checks, "cgroup.kill", ST_OK, "cgroup.kill: available");
	}
}

static void egress_checks(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	struct item *it;

	if (f->tun < 0) {
		it = add(&rep->checks, "tun", ST_WARN,
		         "/dev/net/tun: %s; no egress (--allow, --net open|audit)",
		         f->tun == -ENOENT ? "missing" : strerror(-f->tun));
		fix(it, "modprobe tun (persist: echo tun > /etc/modules-load.d/tun.conf)");
	} else if ((f->tun & 0006) != 0006 && !f->as_root) {
		it = add(&rep->checks, "tun", ST_WARN,
		         "/dev/net/tun: mode %04o; rootless egress cannot open it", f->tun);
		fix(it, "chmod 0666 /dev/net/tun (Debian's udev default; persist with a udev rule: "
		        "KERNEL==\"tun\", MODE=\"0666\")");
	} else {
		add(&rep->checks, "tun", ST_OK, "/dev/net/tun: mode %04o", f->tun);
	}
	if (!f->slirp[0] && !f->pasta[0]) {
		it = add(&rep->checks, "net-helper", ST_WARN,
		         "slirp4netns, pasta: neither installed; no egress");
		fix(it, "apt-get install slirp4netns");
	} else {
		add(&rep->checks, "net-helper", ST_OK, "slirp4netns: %s; pasta: %s",
		    f->slirp[0] ? f->slirp : "absent", f->pasta[0] ? f->pasta : "absent");
	}
	if (f->nft < 0 && f->userns < 0) {
		add(&rep->checks, "nftables", ST_WARN,
		    "nftables in a fresh network namespace: not tested (no namespace can be made)");
	} else if (f->nft < 0) {
		it = add(&rep->checks, "nftables", ST_WARN,
		         "nftables in a fresh network namespace: %s; no egress allowlist",
		         strerror(-f->nft));
		fix(it, "modprobe nf_tables (a kernel with CONFIG_NF_TABLES and NF_TABLES_INET)");
	} else {
		add(&rep->checks, "nftables", ST_OK,
		    "nftables in a fresh network namespace: works");
	}
}

static void kernel_checks(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	struct list *l = &rep->checks;
	struct item *it;

	if (f->tiocsti == 1) {
		it = add(
		    l, "tiocsti", ST_WARN,
		    "dev.tty.legacy_tiocsti=1: TIOCSTI injects input on this host (the sandbox's "
		    "seccomp filter refuses it to jobs)");
		fix(it, "sysctl -w dev.tty.legacy_tiocsti=0");
	} else {
		add(l, "tiocsti", ST_OK, "dev.tty.legacy_tiocsti: %s",
		    f->tiocsti < 0 ? "absent (kernel < 6.2; the seccomp filter refuses TIOCSTI)"
		                   : "0");
	}
	if (f->yama < 1) {
		it = add(l, "yama", ST_WARN,
		         "Yama ptrace_scope: %s (jobs are in their own PID "
		         "namespace; other host processes of one user can trace each other)",
		         f->yama < 0 ? "not in this kernel" : "0");
		fix(it, f->yama < 0 ? "a kernel with CONFIG_SECURITY_YAMA"
		                    : "sysctl -w kernel.yama.ptrace_scope=1");
	} else {
		add(l, "yama", ST_OK, "Yama ptrace_scope: %d", f->yama);
	}
	if (f->landlock > 0) {
		add(l, "landlock", ST_OK, "Landlock: ABI %d", f->landlock);
	} else {
		it = add(l, "landlock", ST_WARN,
		         "Landlock: not available (kernel < 5.13, or not in "
		         "the lsm= list)");
		fix(it, "a kernel >= 5.13 with landlock in its lsm= boot parameter");
	}
	if (f->notif < 0) {
		it = add(l, "seccomp-notify", ST_WARN,
		         "seccomp user notification: %s; denied "
		         "syscalls are refused but not reported",
		         strerror(-f->notif));
		fix(it, "a kernel >= 5.5");
	} else {
		add(l, "seccomp-notify", ST_OK, "seccomp user notification: available");
	}
}

static void mount_checks(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	struct list *l = &rep->checks;
	struct item *it;

	if (f->overlay < 0 && f->userns == 0) {
		it = add(l, "overlay", ST_WARN,
		         "overlayfs in a user namespace: %s; the overlay "
		         "workspace cannot be used",
		         strerror(-f->overlay));
		fix(it, "a kernel >= 5.11, or --workspace-mode tmpfs|bind");
	} else if (f->userns == 0) {
		add(l, "overlay", ST_OK, "overlayfs in a user namespace: works");
	}
	if (f->proc < 0 && f->userns == 0) {
		it = add(l, "proc", ST_FAIL, "a fresh /proc in a user namespace: %s%s%s",
		         strerror(-f->proc), f->masked[0] ? "; /proc is masked: " : "", f->masked);
		fix(it, f->masked[0] ? "an unmasked /proc: see container below"
		                     : "a kernel that allows procfs in a user namespace");
	} else if (f->userns == 0) {
		add(l, "proc", ST_OK, "a fresh /proc in a user namespace: works");
	}
	if (!f->as_root)
		return;
	if (f->idmap < 0) {
		it = add(l, "idmap", ST_WARN,
		         "idmapped mounts: %s; a root-owned workspace is not "
		         "writable by the job",
		         strerror(-f->idmap));
		fix(it, "a kernel >= 5.12 (tmpfs: >= 6.3) and a filesystem that supports them");
	} else {
		add(l, "idmap", ST_OK, "idmapped mounts: work");
	}
}

/* What the runner pod must allow: found missing by the probes, named as pod-spec fields. */
static void container_check(struct report *rep)
{
	const struct doctor_facts *f = rep->f;
	char need[640] = "";
	size_t n = 0;
	struct item *it;

	if (!in_pod(f)) {
		add(&rep->checks, "container", ST_OK, "not inside a container");
		return;
	}
	if (f->userns < 0 && f->seccomp_filtered)
		n += (size_t)snprintf(need + n, sizeof(need) - n,
		                      "a seccomp profile that permits user namespaces "
		                      "(securityContext.seccompProfile.type: Unconfined, or a "
		                      "Localhost profile allowing unshare, clone and clone3 with "
		                      "namespace flags)");
	if (f->masked[0] && (f->proc < 0 || f->userns < 0))
		n += (size_t)snprintf(need + n, sizeof(need) - n,
		                      "%san unmasked /proc (securityContext.procMount: Unmasked, "
		                      "with hostUsers: false)",
		                      n ? "; " : "");
	if (f->aa_enabled && f->userns < 0 && !f->seccomp_filtered)
		n += (size_t)snprintf(need + n, sizeof(need) - n,
		                      "%sAppArmor unconfined for the runner container "
		                      "(securityContext.appArmorProfile.type: Unconfined)",
		                      n ? "; " : "");
	if (!n) {
		add(&rep->checks, "container", ST_OK,
		    "inside a container (%s): it allows what "
		    "cisandbox needs",
		    f->container);
		return;
	}
	it = add(&rep->checks, "container", ST_FAIL, "inside a container (%s)%s%s", f->container,
	         f->masked[0] ? "; masked /proc: " : "", f->masked);
	fix(it, "the pod needs %s (README, Kubernetes runners)", need);
}

/* One resource limit of the profile: cgroup, rlimit fallback, or not enforceable. */
/* A share of RAM (untrusted's default) is a cgroup v2 memory limit or nothing: never an
 * rlimit, which breaks sanitizer builds. Not enforced is a warning, not a failure. */
static void memory_share_promise(struct report *rep, const struct profile *p)
{
	const struct doctor_facts *f = rep->f;
	struct item *it;

	if (cg_enforces(f, "memory")) {
		add(&rep->promises, "limits.memory", ST_OK,
		    "memory limit: %u%% of RAM, enforced by the run's cgroup v2",
		    p->limits.memory_pct);
		return;
	}
	it = add(&rep->promises, "limits.memory", ST_WARN,
	         "memory limit: %u%% of RAM: NOT enforced (no cgroup v2 memory controller for "
	         "this user; a share of RAM never falls back to RLIMIT_DATA)",
	         p->limits.memory_pct);
	fix(it, "%s", !f->cg2 || f->cg_v1[0] ? unified_fix : delegate_fix);
}

static void limit_promise(struct report *rep, const struct profile *p, const char *id,
                          const char *ctl, uint64_t value, const char *rlimit)
{
	const struct doctor_facts *f = rep->f;
	struct item *it;
	char reason[96];

	if (!f->cg2)
		snprintf(reason, sizeof(reason), "no cgroup v2");
	else if (strstr(f->cg_v1, ctl))
		snprintf(reason, sizeof(reason), "no cgroup v2 %s controller: cgroup v1 holds it",
		         ctl);
	else if (!f->cg_writable)
		snprintf(reason, sizeof(reason), "no cgroup v2 delegated to this user");
	else
		snprintf(reason, sizeof(reason), "no cgroup v2 %s controller", ctl);
	if (!value) {
		add(&rep->promises, id, ST_OK, "%s limit: none set", ctl);
	} else if (cg_enforces(f, ctl)) {
		add(&rep->promises, id, ST_OK, "%s limit: enforced by the run's cgroup v2", ctl);
	} else if (p->limits.require_cgroup > 0 || !rlimit) {
		it = add(&rep->promises, id, ST_FAIL, "%s limit: not enforceable: %s%s", ctl,
		         reason, rlimit ? " (limits.require_cgroup)" : "");
		fix(it, "%s", !f->cg2 || f->cg_v1[0] ? unified_fix : delegate_fix);
	} else {
		it = add(&rep->promises, id, ST_WARN, "%s limit: falls back to %s (%s)", ctl,
		         rlimit, reason);
		fix(it, "%s", !f->cg2 || f->cg_v1[0] ? unified_fix : delegate_fix);
	}
}

/* Entries of the system dirs only the caller or its groups may read (private.h). */
static void private_promise(struct report *rep, const struct profile *p)
{
	struct account acct, *pw = account_of(getuid(), &acct) ? &acct : NULL;
	unsigned long su = 0, sg = 0;
	_cleanup_free_ char *why = NULL;
	struct item *it;

	if (rep->f->as_root) {
		add(&rep->promises, "filesystem.private", ST_OK,
		    "private host files hidden: yes (the job is another uid, without groups)");
		return;
	}
	why = private_why_not(rep->f->root, getuid(), getgid(), &su, &sg);
	if (!why) {
		add(&rep->promises, "filesystem.private", ST_OK,
		    "private host files hidden: yes (subordinate ids %lu/%lu)", su, sg);
		return;
	}
	it = add(&rep->promises, "filesystem.private",
	         p->private_mode == PRIV_REQUIRE ? ST_FAIL : ST_WARN,
	         "private host files hidden: no (%s): the job can read what only this account "
	         "or its groups may read in /etc, /opt, /usr/local, ...",
	         why);
	fix(it,
	    "apt install uidmap; usermod --add-subuids 100000-165535 --add-subgids "
	    "100000-165535 %s (and run with its primary group), or launch as root",
	    pw ? pw->name : "ACCOUNT");
}

static void promises(struct report *rep, const struct profile *p)
{
	const struct doctor_facts *f = rep->f;
	enum net_mode net = p->has_net_mode  ? p->net_mode
	                    : p->net_allow.n ? NET_ALLOWLIST
	                                     : NET_NONE;
	bool overlay = !p->has_ws_mode || p->ws_mode == WS_OVERLAY;
	struct list *l = &rep->promises;

	add(l, "sandbox", f->userns == 0 && f->proc == 0 ? ST_OK : ST_FAIL,
	    "namespaces and a fresh /proc: %s",
	    f->userns < 0 ? "no user namespace can be made (see userns)"
	    : f->proc < 0 ? "no fresh /proc can be mounted (see proc)"
	                  : "available");
	if (overlay && f->userns == 0)
		add(l, "workspace", f->overlay == 0 ? ST_OK : ST_FAIL, "overlay workspace: %s",
		    f->overlay == 0 ? "available" : "not available (see overlay)");
	private_promise(rep, p);
	if (p->limits.memory_pct)
		memory_share_promise(rep, p);
	else
		limit_promise(rep, p, "limits.memory", "memory", p->limits.memory, "RLIMIT_DATA");
	limit_promise(rep, p, "limits.pids", "pids", p->limits.pids, "RLIMIT_NPROC");
	limit_promise(rep, p, "limits.cpus", "cpu", p->limits.cpus_milli, NULL);
	add(l, "teardown", ST_OK, "teardown: %s",
	    f->cg2 && f->cg_writable && f->cg_kill ? "PID namespace, then cgroup.kill"
	                                           : "PID namespace (no cgroup.kill here)");
	if (net != NET_NONE)
		add(l, "egress",
		    f->tun >= 0 && (f->slirp[0] || f->pasta[0]) && f->nft == 0 ? ST_OK : ST_FAIL,
		    "egress (network %s): %s", net_mode_name(net),
		    f->tun >= 0 && (f->slirp[0] || f->pasta[0]) && f->nft == 0
		        ? "available"
		        : "not available (see tun, net-helper, nftables)");
	if (!p->has_sc_log || p->sc_log_denied)
		add(l, "seccomp.log_denied", f->notif == 0 ? ST_OK : ST_WARN,
		    "denied syscalls reported: %s",
		    f->notif == 0 ? "yes" : "no (see seccomp-notify)");
	if (f->as_root && (!p->has_ws_mode || p->ws_mode != WS_TMPFS))
		add(l, "idmap", f->idmap == 0 ? ST_OK : ST_WARN,
		    "root-owned workspace writable by the job: %s",
		    f->idmap == 0 ? "yes (idmapped)" : "no (see idmap)");
}

static void print_list(const struct list *l, FILE *out)
{
	for (size_t i = 0; i < l->n; i++) {
		fprintf(out, "%-5s %-18s %s\n", status_names[l->v[i].st], l->v[i].id,
		        l->v[i].detail);
		if (l->v[i].fix[0])
			fprintf(out, "      fix: %s\n", l->v[i].fix);
	}
}

static struct json *json_list(const struct list *l)
{
	struct json *a = json_new_array();

	for (size_t i = 0; i < l->n; i++) {
		struct json *o = json_new_object();

		json_add_string(o, "id", l->v[i].id);
		json_add_string(o, "status", status_names[l->v[i].st]);
		json_add_string(o, "detail", l->v[i].detail);
		if (l->v[i].fix[0])
			json_add_string(o, "fix", l->v[i].fix);
		json_append(a, o);
	}
	return a;
}

static bool holds(const struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].st == ST_FAIL)
			return false;
	return true;
}

static int emit(const struct report *rep, const struct profile *p, bool json)
{
	bool ok = holds(&rep->checks) && holds(&rep->promises);
	struct json *o;

	if (!json) {
		printf("cisandbox doctor: kernel %s, %s\n", rep->f->kernel,
		       rep->f->as_root ? "as root" : "rootless");
		print_list(&rep->checks, stdout);
		printf("profile %s (%s):\n", p->name, p->source);
		print_list(&rep->promises, stdout);
		printf("%s\n", ok ? "result: this host keeps the profile's promises"
		                  : "result: this host does NOT keep the profile's promises");
		return ok ? 0 : 1;
	}
	o = json_new_object();
	json_add_number(o, "v", 1);
	json_add_string(o, "kernel", rep->f->kernel);
	json_add_bool(o, "as_root", rep->f->as_root);
	json_add(o, "checks", json_list(&rep->checks));
	json_add_string(o, "profile", p->name);
	json_add(o, "promises", json_list(&rep->promises));
	json_add_bool(o, "ok", ok);
	if (json_emit(o, stdout) < 0)
		return CIS_EXIT_LAUNCHER;
	return ok ? 0 : 1;
}

static int usage_error(const char *arg, const char *why)
{
	fprintf(stderr,
	        "cisandbox: doctor %s: %s (usage: cisandbox doctor [--json] "
	        "[--profile NAME|PATH])\n",
	        arg, why);
	return CIS_EXIT_LAUNCHER;
}

int doctor_main(int argc, char **argv)
{
	const char *name = "untrusted";
	struct cis_err err = {{0}};
	struct doctor_facts f;
	struct report rep = {.f = &f};
	struct profile prof;
	bool json = false;
	int status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--profile") == 0 || strcmp(argv[i], "-p") == 0) {
			if (++i == argc)
				return usage_error(argv[i - 1], "missing NAME");
			name = argv[i];
		} else if (strncmp(argv[i], "--profile=", 10) == 0)
			name = argv[i] + 10;
		else
			return usage_error(argv[i], "unknown option");
	}
	if (!name[0])
		return usage_error("--profile", "empty profile name");
	if (profile_load(name, &prof, &err) < 0) {
		fprintf(stderr, "cisandbox: doctor --profile: %s\n", err.msg);
		return CIS_EXIT_LAUNCHER;
	}
	doctor_probe(&f);
	userns_check(&rep);
	apparmor_check(&rep);
	cgroup_check(&rep);
	egress_checks(&rep);
	kernel_checks(&rep);
	mount_checks(&rep);
	container_check(&rep);
	promises(&rep, &prof);
	fflush(stdout);
	status = emit(&rep, &prof, json);
	profile_free(&prof);
	return status;
}
