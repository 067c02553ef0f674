/* policy_input.c — the plan as a decision point's input, schema v1 (see policy_input.h).
 * Pure: nothing here looks at the host; what the plan learned of it (which bind sources are
 * sockets, the runner's labels) was looked at in plan_build. Every array is in the plan's
 * order, and nothing host-specific is added that the plan does not hold, so that the output
 * of a profile is the same on every run (golden files). */
#define _GNU_SOURCE
#include "policy_input.h"
#include "json.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Shown read-write, these (or a directory holding one) give the job the host: its code, its
 * configuration, its daemons' state. */
static const char *const system_roots[] = {"/",     "/boot",  "/bin",   "/etc",    "/home",
                                           "/lib",  "/lib32", "/lib64", "/libx32", "/opt",
                                           "/root", "/run",   "/sbin",  "/usr",    "/var"};
/* Below these, any writable path is host code or configuration. */
static const char *const system_trees[] = {"/boot",  "/bin",    "/etc",  "/lib", "/lib32",
                                           "/lib64", "/libx32", "/sbin", "/usr"};
/* Shown at all, these are the host's kernel interfaces and devices. */
static const char *const kernel_trees[] = {"/proc", "/sys", "/dev"};

static bool writable_system(const char *host)
{
	for (size_t i = 0; i < ARRAY_SIZE(system_roots); i++)
		if (path_has_prefix(system_roots[i], host))
			return true; /* host is that directory or holds it */
	for (size_t i = 0; i < ARRAY_SIZE(system_trees); i++)
		if (path_has_prefix(host, system_trees[i]))
			return true;
	return false;
}

static bool kernel_tree(const char *host)
{
	for (size_t i = 0; i < ARRAY_SIZE(kernel_trees); i++)
		if (path_has_prefix(host, kernel_trees[i]))
			return true;
	return false;
}

/* One shown host path: the workspace, a system dir, a profile's or a flag's bind. */
struct shown {
	const char *host, *path, *mode, *origin;
};

/* The host paths the job sees, in the order the sandbox shows them (*out: malloc'd). Returns
 * how many. */
static size_t list_shown(const struct plan *p, struct shown **vp)
{
	struct shown *out = *vp = xcalloc(p->n_mounts + 1, sizeof(*out));
	size_t n = 0;

	if (p->workspace && p->ws_mode != WS_TMPFS)
		out[n++] = (struct shown){p->workspace, "/workspace",
		                          p->ws_mode == WS_BIND ? "rw" : "overlay", "workspace"};
	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];

		if ((m->kind != MNT_RO_BIND && m->kind != MNT_BIND) || !m->src)
			continue;
		out[n++] =
		    (struct shown){m->src, m->dst, m->kind == MNT_BIND ? "rw" : "ro", m->origin};
	}
	return n;
}

static void privileged_syscalls(const struct plan *p, struct strv *why)
{
	const char *const *priv = cis_seccomp_group("@privileged");
	_cleanup_free_ char *names = NULL;

	for (; priv && *priv; priv++) {
		char *next;

		if (!strv_contains(&p->seccomp.allow, *priv))
			continue;
		next = xasprintf("%s%s%s", names ? names : "", names ? " " : "", *priv);
		free(names);
		names = next;
	}
	if (names)
		strv_push_take(why, xasprintf("seccomp allows %s", names));
}

void policy_input_privileged(const struct plan *p, struct strv *why)
{
	_cleanup_free_ struct shown *v = NULL;
	size_t n = list_shown(p, &v);

	for (size_t i = 0; i < n; i++) {
		if (policy_plan_is_socket(&p->policy, v[i].host))
			strv_push_take(why, xasprintf("host socket %s shown at %s (%s)", v[i].host,
			                              v[i].path, v[i].origin));
		else if (strcmp(v[i].mode, "rw") == 0 && writable_system(v[i].host))
			strv_push_take(why,
			               xasprintf("host system directory %s writable at %s (%s)",
			                         v[i].host, v[i].path, v[i].origin));
		else if (kernel_tree(v[i].host))
			strv_push_take(why, xasprintf("host %s shown at %s (%s)", v[i].host,
			                              v[i].path, v[i].origin));
	}
	privileged_syscalls(p, why);
}

static void add_strv(struct json *o, const char *key, const struct strv *s)
{
	json_add(o, key, policy_json_strv(s));
}

static void add_opt_str(struct json *o, const char *key, const char *v)
{
	if (v)
		json_add_string(o, key, v);
	else
		json_add_null(o, key);
}

static void json_mounts(struct json *job, const struct plan *p)
{
	_cleanup_free_ struct shown *v = NULL;
	size_t n = list_shown(p, &v);
	struct json *arr = json_add_array(job, "mounts");

	for (size_t i = 0; i < n; i++) {
		struct json *o = json_new_object();

		json_add_string(o, "host", v[i].host);
		json_add_string(o, "path", v[i].path);
		json_add_string(o, "mode", v[i].mode);
		json_add_string(o, "origin", v[i].origin);
		json_add_bool(o, "socket", policy_plan_is_socket(&p->policy, v[i].host));
		json_append(arr, o);
	}
}

static const char *proto_name(unsigned char proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void add_ports(struct json *o, unsigned lo, unsigned hi, unsigned char proto)
{
	json_add_number(o, "port_min", lo);
	json_add_number(o, "port_max", hi);
	json_add_string(o, "proto", proto_name(proto));
}

static void json_addresses(struct json *net, const char *key, const struct net_allow *v, size_t n)
{
	struct json *arr = json_add_array(net, key);

	for (size_t i = 0; i < n; i++) {
		char addr[INET6_ADDRSTRLEN] = "?";
		struct json *o = json_new_object();

		inet_ntop(v[i].family, v[i].addr, addr, sizeof(addr));
		json_add_string(o, "address", addr);
		json_add_number(o, "prefix", v[i].prefix);
		add_ports(o, v[i].port_lo, v[i].port_hi, v[i].proto);
		json_append(arr, o);
	}
}

static void json_network(struct json *job, const struct plan *p)
{
	struct json *net = json_add_object(job, "network"), *names;
	bool list = p->net.mode == NET_ALLOWLIST;

	json_add_string(net, "mode", net_mode_name(p->net.mode));
	/* Which destinations the job may reach: none, a list, or any outside the denied set. */
	json_add_bool(net, "egress", p->net.mode != NET_NONE);
	json_addresses(net, "allow", p->net.allow, list ? p->net.n_allow : 0);
	names = json_add_array(net, "names");
	for (size_t i = 0; list && i < p->net.n_names; i++) {
		const struct net_name *nm = &p->net.names[i];
		struct json *o = json_new_object();

		json_add_string(o, "name", nm->pattern);
		json_add_bool(o, "wildcard", strncmp(nm->pattern, "*.", 2) == 0);
		add_ports(o, nm->port_lo, nm->port_hi, nm->proto);
		json_append(names, o);
	}
	json_addresses(net, "allow_private", p->net.private_ok, p->net.n_private);
}

/* Who runs what from where (the audit's ci object, names of tokens only). */
static void json_ci(struct json *job, const struct plan *p)
{
	const struct ci_origin *c = &p->origin;
	struct json *o = json_add_object(job, "ci"), *t;

	add_opt_str(o, "system", c->system);
	add_opt_str(o, "server", c->server);
	add_opt_str(o, "repository", c->repository);
	add_opt_str(o, "ref", c->ref);
	add_opt_str(o, "event", c->event);
	add_opt_str(o, "run_id", c->run_id);
	add_opt_str(o, "job_id", c->job_id);
	add_opt_str(o, "actor", c->actor);
	json_add_bool(o, "fork", c->fork);
	add_opt_str(o, "origin", c->why);
	t = json_add_object(o, "tokens");
	add_strv(t, "passed", &c->passed);
	add_strv(t, "withheld", &c->withheld);
}

/* How long a token the job holds can be used from inside: no token, 0; else the job's time
 * limit, rounded up; no time limit, the key is absent (a rule "<= 60" is then undefined:
 * it fails, as OPA's would). */
static void json_tokens(struct json *job, const struct plan *p)
{
	add_strv(job, "tokens", &p->origin.passed);
	if (!p->origin.passed.n)
		json_add_number(job, "token_ttl_minutes", 0);
	else if (p->timeout_ms)
		json_add_number(job, "token_ttl_minutes",
		                (double)((p->timeout_ms + 59999) / 60000));
	if (p->timeout_ms)
		json_add_number(job, "timeout_minutes", (double)((p->timeout_ms + 59999) / 60000));
}

static void json_secrets(struct json *job, const struct plan *p)
{
	struct json *arr = json_add_array(job, "secrets");

	for (size_t i = 0; i < p->secrets.n; i++)
		json_append(arr, json_new_string(p->secrets.v[i].name));
}

static void json_seccomp(struct json *job, const struct plan *p)
{
	struct json *o = json_add_object(job, "seccomp");
	const char *const *priv = cis_seccomp_group("@privileged");
	struct json *arr = json_add_array(o, "allowed_privileged");

	for (; priv && *priv; priv++)
		if (strv_contains(&p->seccomp.allow, *priv))
			json_append(arr, json_new_string(*priv));
	json_add_bool(o, "log_denied", p->seccomp.log_denied);
}

struct json *policy_input_build(const struct plan *p)
{
	struct json *root = json_new_object(), *job;
	const char *tier = secrets_tier_name(p->secrets.tier);
	struct strv why = {0};

	json_add_number(root, "version", POLICY_INPUT_VERSION);
	job = json_add_object(root, "job");
	json_add_string(job, "profile", p->profile_name);
	json_add_string(job, "profile_source", p->profile_source);
	json_add_string(job, "tier", tier ? tier : "untrusted");
	add_strv(job, "command", &p->argv);
	policy_input_privileged(p, &why);
	json_add_bool(job, "privileged", why.n > 0);
	add_strv(job, "privileged_why", &why);
	strv_free(&why);
	/* The job holds none, whatever the profile: every set is emptied before exec. */
	json_add_array(job, "capabilities");
	json_mounts(job, p);
	add_strv(job, "labels", &p->policy.labels);
	json_tokens(job, p);
	json_network(job, p);
	json_secrets(job, p);
	json_seccomp(job, p);
	json_ci(job, p);
	return root;
}
