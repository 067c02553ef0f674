/* learn_obs.h — what a --learn run needed, read from its own audit records (pure; fuzzed:
 * tests/fuzz/fuzz_learn.c, as the resolver's child relays some of those lines), and the
 * profile that holds exactly that: egress by name with ports and by address, the denied
 * syscalls that are safe to grant. What must never be granted automatically (namespaces,
 * mount, bpf, keyrings, io_uring, ptrace, ...) goes into the profile's description for a
 * human, never into what it allows. */
#ifndef CIS_LEARN_OBS_H
#define CIS_LEARN_OBS_H

#include "seccomp.h"
#include "spec.h"

struct json;

#define LEARN_MAX_FLOWS    1024
#define LEARN_MAX_NAMES    1024
#define LEARN_MAX_SYSCALLS 512
#define LEARN_NAME_ADDRS   64

struct learn_flow {
	char addr[48]; /* as inet_ntop writes it */
	unsigned port; /* 0: not TCP or UDP */
	bool udp;
	bool denied; /* in the always-denied set: refused whatever the profile says */
};

struct learn_name {
	char name[256];
	char addrs[LEARN_NAME_ADDRS][48];
	size_t n_addrs;
};

struct learn_obs {
	struct learn_flow *flows;
	size_t n_flows;
	struct learn_name *names;
	size_t n_names;
	struct strv syscalls; /* denied, once each, in order of first denial */
	unsigned long lines, ignored;
};

/* What the learned profile extends and adds to. */
struct learn_parent {
	const char *extends;      /* the profile used: its name, or its file's real path */
	const char *name;         /* its name (the learned one is NAME-learned) */
	bool has_seccomp_allow;   /* the chain lists seccomp.allow (else the default applies) */
	enum net_mode mode;       /* the chain's network mode */
	const struct strv *allow; /* the chain's network.allow, as written */
	const char *command;      /* the job's command, for the description */
};

/* One audit line (a JSON object, maybe with its newline) of the sandbox `id`; anything else
 * is counted and ignored. */
void learn_obs_line(struct learn_obs *o, const char *id, const char *line, size_t len);
void learn_obs_free(struct learn_obs *o);
/* May a learned profile allow this denied syscall? Not if it is privileged or a debugger's,
 * unknown, denied by name in the profile, or already allowed (then its arguments were
 * refused). */
bool learn_syscall_grantable(const struct cis_seccomp *s, const char *name);
/* The learned profile (schema v1), owned by the caller. */
struct json *learn_profile_build(const struct learn_obs *o, const struct learn_parent *pa,
                                 const struct cis_seccomp *s);

#endif
