/* timing.c — the launch's phase breakdown (see timing.h). Stamps are written by whichever process
 * of the run reaches a phase, into a page every one of them shares; the launcher prints them at
 * its end. Nothing here fails loudly: without the page (mmap refused), timing is simply off. */
#define _GNU_SOURCE
#include "timing.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum proc { P_LAUNCHER, P_INIT, P_JOB, P_NETWATCH };

static const char *const proc_names[] = {"launcher", "init", "job", "netwatch"};
/* Where a process's first phase is counted from: its parent's last stamp. */
static const enum proc parent_of[] = {P_LAUNCHER, P_LAUNCHER, P_INIT, P_LAUNCHER};

static const struct {
	const char *name;
	enum proc proc;
} phases[T_N_PHASES] = {
    [T_MAIN] = {"main", P_LAUNCHER},
    [T_CLI] = {"argv", P_LAUNCHER},
    [T_PROFILE] = {"profile", P_LAUNCHER},
    [T_PLAN] = {"plan", P_LAUNCHER},
    [T_CHANNELS] = {"channels", P_LAUNCHER},
    [T_CGROUP] = {"cgroup", P_LAUNCHER},
    [T_IDMAP] = {"idmapped-sources", P_LAUNCHER},
    [T_SECCOMP_COMPILE] = {"seccomp-program", P_LAUNCHER},
    [T_AUDIT_CREATE] = {"audit-create", P_LAUNCHER},
    [T_NETNS] = {"netns-setup", P_LAUNCHER},
    [T_CLONE] = {"clone", P_LAUNCHER},
    [T_MAPS] = {"id-maps", P_LAUNCHER},
    [T_HELPER_SPAWN] = {"helper-spawn", P_LAUNCHER},
    [T_GO] = {"go", P_LAUNCHER},
    [T_NETNS_PARALLEL] = {"netns-parallel", P_LAUNCHER},
    [T_HELPER_READY] = {"helper-ready", P_LAUNCHER},
    [T_AUDIT_START] = {"audit-start", P_LAUNCHER},
    [T_GUARD] = {"guard-filter", P_LAUNCHER},
    [T_NETWATCH] = {"netwatch-fork", P_LAUNCHER},
    [T_JOB_STATUS] = {"wait-job-status", P_LAUNCHER},
    [T_INIT_REAPED] = {"teardown-reap-init", P_LAUNCHER},
    [T_FINISH] = {"finish", P_LAUNCHER},
    [T_END] = {"end", P_LAUNCHER},
    [T_I_START] = {"init-start", P_INIT},
    [T_I_MAPS] = {"wait-maps", P_INIT},
    [T_I_SESSION] = {"fds-session", P_INIT},
    [T_I_IDENTITY] = {"identity", P_INIT},
    [T_M_SOURCES] = {"mount-sources", P_INIT},
    [T_M_ROOT] = {"mount-root", P_INIT},
    [T_M_META] = {"mount-meta", P_INIT},
    [T_M_HIDE] = {"mount-hide", P_INIT},
    [T_M_SYSTEM] = {"mount-system", P_INIT},
    [T_M_DEV] = {"mount-dev", P_INIT},
    [T_M_TMP_HOME] = {"mount-tmp-home", P_INIT},
    [T_M_WORKSPACE] = {"mount-workspace", P_INIT},
    [T_M_PROC] = {"mount-proc", P_INIT},
    [T_M_ETC] = {"mount-etc", P_INIT},
    [T_M_SECRETS] = {"mount-secrets", P_INIT},
    [T_M_EXTRA] = {"mount-extra", P_INIT},
    [T_I_PIVOT] = {"pivot", P_INIT},
    [T_I_NETWORK] = {"network", P_INIT},
    [T_I_HELPER_WAIT] = {"wait-helper", P_INIT},
    [T_I_FORK] = {"fork-job", P_INIT},
    [T_I_CAPS] = {"init-caps", P_INIT},
    [T_I_JOB_REAPED] = {"wait-job", P_INIT},
    [T_I_EXIT] = {"init-exit", P_INIT},
    [T_J_START] = {"job-start", P_JOB},
    [T_J_SETUP] = {"job-setup", P_JOB},
    [T_J_CAPS] = {"job-caps", P_JOB},
    [T_J_SECCOMP] = {"seccomp-load", P_JOB},
    [T_J_LISTENER] = {"listener-handoff", P_JOB},
    [T_J_EXEC] = {"exec", P_JOB},
    [T_N_START] = {"netwatch-start", P_NETWATCH},
    [T_N_CONFINED] = {"netwatch-confined", P_NETWATCH},
};

#define MAX_STAMPS 250

struct stamp {
	uint32_t phase;
	int64_t ns;
};

/* One page: a count bumped atomically, then the stamps. */
struct page {
	uint32_t n;
	struct stamp s[MAX_STAMPS];
};

static struct page *page;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void timing_init(void)
{
	const char *v = getenv("CISANDBOX_TIMING");
	void *m;

	if (!v || strcmp(v, "1") != 0)
		return;
	m = mmap(NULL, sizeof(struct page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	         0);
	if (m != MAP_FAILED)
		page = m;
}

bool timing_enabled(void)
{
	return page != NULL;
}

void timing_stamp(enum timing_phase ph)
{
	uint32_t i;

	if (!page)
		return;
	i = __atomic_fetch_add(&page->n, 1, __ATOMIC_RELAXED);
	if (i < MAX_STAMPS) {
		page->s[i].phase = (uint32_t)ph;
		__atomic_store_n(&page->s[i].ns, now_ns(), __ATOMIC_RELEASE);
	}
}

void timing_detach(void)
{
	if (page)
		munmap(page, sizeof(struct page));
	page = NULL;
}

static int by_time(const void *a, const void *b)
{
	const struct stamp *x = a, *y = b;

	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* The start of stamp i's phase: the previous stamp of its process, else its parent's last. */
static int64_t phase_start(const struct stamp *s, size_t i)
{
	enum proc p = phases[s[i].phase].proc;

	for (size_t j = i; j-- > 0;)
		if (phases[s[j].phase].proc == p)
			return s[j].ns;
	for (size_t j = i; j-- > 0;)
		if (phases[s[j].phase].proc == parent_of[p])
			return s[j].ns;
	return s[i].ns;
}

/* "12.345": ms with three decimals, in integers (printf's floating point would cost the launcher's
 * exit ~0.1 ms for fifty lines). */
static const char *ms(int64_t ns, char *buf, size_t len)
{
	int64_t us = (ns < 0 ? 0 : ns) / 1000;

	snprintf(buf, len, "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
	return buf;
}

/* Into one buffer, written at once: the reader (make bench) is a pipe. */
static void print_all(const struct stamp *s, size_t n, uint32_t total)
{
	static char buf[MAX_STAMPS * 112 + 128];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(buf); i++) {
		char took[32], at[32];

		len += (size_t)snprintf(
		    buf + len, sizeof(buf) - len,
		    "cisandbox: timing: %-8s %-20s +%7s ms at %8s ms (mono %lld)\n",
		    proc_names[phases[s[i].phase].proc], phases[s[i].phase].name,
		    ms(s[i].ns - phase_start(s, i), took, sizeof(took)),
		    ms(s[i].ns - s[0].ns, at, sizeof(at)), (long long)s[i].ns);
	}
	if (total > MAX_STAMPS && len < sizeof(buf))
		len +=
		    (size_t)snprintf(buf + len, sizeof(buf) - len,
		                     "cisandbox: timing: %u stamps not recorded (more than %d)\n",
		                     total - MAX_STAMPS, MAX_STAMPS);
	(void)write_all(STDERR_FILENO, buf, len < sizeof(buf) ? len : sizeof(buf));
}

void timing_report(void)
{
	struct stamp s[MAX_STAMPS];
	size_t n = 0;
	uint32_t total;

	if (!page)
		return;
	total = __atomic_load_n(&page->n, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < total && i < MAX_STAMPS; i++) {
		struct stamp x = {page->s[i].phase,
		                  __atomic_load_n(&page->s[i].ns, __ATOMIC_ACQUIRE)};

		/* Written by processes of the sandbox: only what names a known phase counts. */
		if (x.phase < T_N_PHASES && phases[x.phase].name && x.ns > 0)
			s[n++] = x;
	}
	qsort(s, n, sizeof(s[0]), by_time);
	print_all(s, n, total);
}
