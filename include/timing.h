/* timing.h — the launch's phase breakdown: with CISANDBOX_TIMING=1 in the launcher's environment,
 * each process of a run (the launcher, the sandbox init, the job until its execve, the resolver's
 * child) stamps CLOCK_MONOTONIC at the end of each phase, and the launcher prints the stamps on
 * stderr before it exits (make bench averages them over many runs). Off, a stamp is one branch.
 *
 * The stamps go to one page shared by every process of the run (MAP_SHARED, mapped in main before
 * anything forks): the job loses it at execve, and the init that keeps it is not dumpable. The
 * launcher reads only numbers from it and checks each phase index against the table. */
#ifndef CIS_TIMING_H
#define CIS_TIMING_H

#include <stdbool.h>

/* Each phase ends where it is stamped; its cost is the time since the previous stamp of the same
 * process (for a process's first stamp, since its parent's last stamp before it). */
enum timing_phase {
	/* launcher */
	T_MAIN,
	T_CLI,
	T_PROFILE,
	T_PLAN,
	T_CHANNELS,
	T_CGROUP,
	T_IDMAP,
	T_SECCOMP_COMPILE,
	T_AUDIT_CREATE,
	T_NETNS,
	T_CLONE,
	T_MAPS,
	T_HELPER_SPAWN,
	T_GO,
	T_NETNS_PARALLEL,
	T_HELPER_READY,
	T_AUDIT_START,
	T_GUARD,
	T_NETWATCH,
	T_JOB_STATUS,
	T_INIT_REAPED,
	T_FINISH,
	T_END,
	/* sandbox init */
	T_I_START,
	T_I_MAPS,
	T_I_SESSION,
	T_I_IDENTITY,
	T_M_SOURCES,
	T_M_ROOT,
	T_M_META,
	T_M_HIDE,
	T_M_SYSTEM,
	T_M_DEV,
	T_M_TMP_HOME,
	T_M_WORKSPACE,
	T_M_PROC,
	T_M_ETC,
	T_M_SECRETS,
	T_M_EXTRA,
	T_I_PIVOT,
	T_I_NETWORK,
	T_I_HELPER_WAIT,
	T_I_FORK,
	T_I_CAPS,
	T_I_JOB_REAPED,
	T_I_EXIT,
	/* job, until execve */
	T_J_START,
	T_J_SETUP,
	T_J_CAPS,
	T_J_SECCOMP,
	T_J_LISTENER,
	T_J_EXEC,
	/* the resolver's child */
	T_N_START,
	T_N_CONFINED,
	T_N_PHASES
};

/* First thing in main: reads CISANDBOX_TIMING, maps the shared page when it is "1". */
void timing_init(void);
bool timing_enabled(void);
/* Record the end of a phase, from any process of the run. */
void timing_stamp(enum timing_phase ph);
/* A process that will read what the job sends (the resolver's child) lets go of the page first:
 * its only ways to the launcher stay its fds. */
void timing_detach(void);
/* The launcher, last: one line per stamp, in time order, on stderr:
 *   cisandbox: timing: PROCESS PHASE +PHASE_MS ms at OFFSET_MS ms (mono NS)
 * OFFSET_MS counts from main's first stamp; NS is the raw CLOCK_MONOTONIC reading. */
void timing_report(void);

#endif
