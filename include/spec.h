/* spec.h — the plan's value types (identity, modes, mount operations, network entries, limits)
 * and their names: pure, below everything that builds or reads a plan (cli, profile, plan, the
 * setup steps), so that none of them has to include the plan to speak of its parts. */
#ifndef CIS_SPEC_H
#define CIS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The job's identity inside the sandbox: a plain, non-root user. Not 0, so that tools behave as
 * they do for a normal CI user and nothing relies on root-only paths; not the caller's uid, so
 * that every run looks the same whoever launches it. */
#define CIS_JOB_UID  1000
#define CIS_JOB_GID  1000
#define CIS_JOB_USER "ci"
#define CIS_JOB_HOME "/home/ci"
/* As root, the job maps to this unprivileged host uid/gid, never to host root: far above the
 * ranges adduser hands out (1000..59999) and the /etc/subuid ranges it allocates from 100000. */
#define CIS_ROOT_MODE_HOST_ID 2147418112u
/* Launched by root with egress, the network helper runs as this host uid (not root, and not the
 * job's uid, so that neither can ptrace the other). */
#define CIS_ROOT_MODE_HELPER_ID 2147418113u
/* Launched by root with egress or DNS, the resolver and flow-log reader run as this host uid
 * (netwatch.c): neither root, nor the job's, nor the helper's. */
#define CIS_ROOT_MODE_NETWATCH_ID 2147418114u
#define CIS_HOSTNAME              "cisandbox"

enum ws_mode { WS_OVERLAY, WS_TMPFS, WS_BIND };
enum net_mode { NET_NONE, NET_ALLOWLIST, NET_OPEN, NET_AUDIT };

/* One egress destination: CIDR, IP, IP:PORT, IP:PORT-PORT, [IPv6]:PORT, [IPv6]:PORT-PORT, each
 * optionally followed by /tcp or /udp (default tcp). Without a port, every port. */
struct net_allow {
	int family;                      /* AF_INET or AF_INET6 */
	unsigned char addr[16];          /* network byte order, host bits clear */
	unsigned char prefix;            /* 0..32 or 0..128 */
	unsigned short port_lo, port_hi; /* host order; 0-65535 for every port */
	unsigned char proto;             /* IPPROTO_TCP or IPPROTO_UDP */
};

/* Allow entries a plan may hold: the ruleset must fit one netlink send (see nft.c). */
#define NET_MAX_ENTRIES 4096

/* An allow entry by host name: NAME or *.DOMAIN, then [:PORT[-PORT]][/tcp|/udp] as above. The
 * addresses come from the sandbox's resolver at run time (dns.c). */
struct net_name {
	char pattern[256];               /* lower case, no trailing dot; "*.x" for below x */
	unsigned short port_lo, port_hi; /* host order; 0-65535 for every port */
	unsigned char proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	unsigned char port_class;        /* index into net_plan.classes */
};
/* The distinct (protocol, ports) of the name entries: one nftables set pair each. */
struct net_ports {
	unsigned short lo, hi;
	unsigned char proto;
};
#define NET_MAX_CLASSES 16
/* A DNS server the resolver forwards to (the host's, or network.dns_upstream). */
struct net_upstream {
	int family;
	unsigned char addr[16];
	unsigned short port;
};
#define NET_MAX_UPSTREAMS 4
/* The sandbox's resolver: an address on the sandbox's loopback, served by the launcher. */
#define NET_RESOLVER "127.0.0.53"
/* The job's resolver options: it answers SERVFAIL after 1.8 s (QUERY_MS in dns.c; glibc ignores
 * a SERVFAIL until its timeout), so the client waits 2 s, once, and never multiplies our
 * retries: a dead upstream costs a lookup 2 s. */
#define NET_RESOLVER_OPTIONS "edns0 timeout:2 attempts:1"

struct net_plan {
	enum net_mode mode;
	struct net_allow *allow; /* allowlist (mode allowlist) */
	size_t n_allow;
	struct net_allow *private_ok; /* network.allow_private: holes in the deny set */
	size_t n_private;
	struct net_allow *deny; /* always refused: metadata, private ranges, the host's addresses */
	size_t n_deny;
	char *helper;           /* path of the helper: slirp4netns or pasta */
	bool pasta;             /* the helper is pasta (else slirp4netns) */
	bool helper_required;   /* the helper dying mid-run ends the job (reason helper-died) */
	char *nameservers;      /* resolv.conf for the sandbox: our resolver alone */
	struct net_name *names; /* allow entries by name (mode allowlist) */
	size_t n_names;
	struct net_ports classes[NET_MAX_CLASSES];
	size_t n_classes;
	struct net_upstream upstream[NET_MAX_UPSTREAMS]; /* in order of preference */
	size_t n_upstream;
	unsigned dns_min_ttl, dns_max_ttl; /* seconds a resolved address stays allowed */
};

enum mount_kind {
	MNT_RO_BIND, /* host src shown read-only at dst */
	MNT_BIND,    /* host src shown read-write at dst */
	MNT_TMPFS,   /* empty tmpfs at dst */
	MNT_MASK,    /* dst hidden: empty file or empty read-only tmpfs, when it exists */
	MNT_SYMLINK, /* dst is a symlink to src (merged-/usr hosts: /bin -> usr/bin) */
};

/* Resource limits (issue "limits"): 0 means not set / unlimited. */
struct limits {
	uint64_t memory;     /* bytes: cgroup memory.max (swap 0), else RLIMIT_DATA */
	unsigned memory_pct; /* 1-100: memory is that share of the host's RAM (plan_build), enforced
	                      * by a cgroup only: never RLIMIT_DATA, which breaks sanitizers */
	uint64_t pids;       /* cgroup pids.max, else RLIMIT_NPROC (counted per user namespace) */
	uint64_t cpus_milli; /* 1500 = 1.5 CPUs: cgroup cpu.max; not enforceable without a cgroup */
	uint64_t nofile;     /* RLIMIT_NOFILE */
	uint64_t fsize;      /* bytes: RLIMIT_FSIZE */
	int require_cgroup;  /* -1 unset; 1: no usable cgroup v2 is a launcher error */
};

struct mount_op {
	enum mount_kind kind;
	char *src;          /* host path (binds only) */
	char *dst;          /* sandbox path */
	const char *origin; /* "--bind", "profile", "builtin" ...: named in errors */
	bool deferred;      /* profile entry with ${VAR}: dst holds it as written until the plan */
};

/* The run's tier (secrets.h): which secrets it may have. */
#define SECRETS_TIER_UNSET     0
#define SECRETS_TIER_UNTRUSTED 1
#define SECRETS_TIER_TRUSTED   2
/* Parse "trusted" | "untrusted"; SECRETS_TIER_UNSET if neither. */
int secrets_tier_parse(const char *s);
const char *secrets_tier_name(int tier);
/* NULL if spec is NAME=@FILE with a plain NAME, else why not. */
const char *secrets_spec_check(const char *spec);

/* Add the set limits to a "limits" JSON object (profile show, dry-run, audit). */
struct json;
void json_limits(struct json *lim, const struct limits *l);

/* Free the strings of n mount operations and the array itself. */
void mount_ops_free(struct mount_op *ops, size_t n);

const char *ws_mode_name(enum ws_mode m);
const char *net_mode_name(enum net_mode m);
int net_mode_parse(const char *s, enum net_mode *out);
int ws_mode_parse(const char *s, enum ws_mode *out);

#endif
