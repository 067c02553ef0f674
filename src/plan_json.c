/* plan_json.c — the plan as JSON, for --dry-run and the audit's plan hash (plan.h): every
 * decision the plan made, never a secret's bytes. */
#define _GNU_SOURCE
#include "plan.h"
#include "netspec.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {[MNT_RO_BIND] = "ro-bind",
                                         [MNT_BIND] = "bind",
                                         [MNT_TMPFS] = "tmpfs",
                                         [MNT_MASK] = "mask",
                                         [MNT_SYMLINK] = "symlink"};

static void json_mounts(struct json *root, const struct plan *p)
{
	struct json *arr = json_add_array(root, "mounts");

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];
		struct json *o = json_new_object();

		json_add_string(o, "op", kind_names[m->kind]);
		if (m->src)
			json_add_string(o, "src", m->src);
		json_add_string(o, "dst", m->dst);
		json_add_string(o, "origin", m->origin);
		json_append(arr, o);
	}
}

/* Values set by the profile or flags are shown; values taken from the caller's environment are
 * not, so that a dry run pasted into a CI log leaks nothing. */
static void json_env(struct json *root, const struct plan *p)
{
	struct json *env = json_add_object(root, "env");

	for (size_t i = 0; i < p->env.n; i++) {
		const char *e = p->env.v[i];
		size_t n = strcspn(e, "=");
		_cleanup_free_ char *name = strndup(e, n);
		const char *caller = getenv(name);
		bool from_caller =
		    caller && strcmp(caller, e + n + 1) == 0 && strcmp(name, "PATH") != 0;

		json_add_string(env, name,
		                secrets_is_env(&p->secrets, name) ? "(secret)"
		                : from_caller                     ? "(from caller)"
		                                                  : e + n + 1);
	}
}

static void json_entries(struct json *o, const char *key, const struct net_allow *v, size_t n)
{
	struct json *arr = json_add_array(o, key);

	for (size_t i = 0; i < n; i++) {
		char buf[96];

		net_format_allow(&v[i], buf, sizeof(buf));
		json_append(arr, json_new_string(buf));
	}
}

static void json_dns(struct json *o, const struct net_plan *net)
{
	struct json *dns = json_add_object(o, "dns"), *up;

	json_add_string(dns, "resolver", NET_RESOLVER ":53");
	json_add_string(dns, "unlisted_names",
	                net->mode == NET_ALLOWLIST ? "NXDOMAIN" : "forwarded");
	up = json_add_array(dns, "upstream");
	for (size_t i = 0; i < net->n_upstream; i++) {
		char buf[64];

		net_format_upstream(&net->upstream[i], buf, sizeof(buf));
		json_append(up, json_new_string(buf));
	}
	json_add_number(dns, "min_ttl", net->dns_min_ttl);
	json_add_number(dns, "max_ttl", net->dns_max_ttl);
}

static void json_network(struct json *root, const struct plan *p)
{
	struct json *o = json_add_object(root, "network");

	json_add_string(o, "mode", net_mode_name(p->net.mode));
	if (p->net.mode == NET_NONE)
		return;
	json_add_string(o, "helper", p->net.helper);
	json_add_string(o, "backend", p->net.pasta ? "pasta" : "slirp4netns");
	json_add_bool(o, "helper_required", p->net.helper_required);
	if (p->net.mode == NET_ALLOWLIST)
		json_entries(o, "allow", p->net.allow, p->net.n_allow);
	if (p->net.mode == NET_ALLOWLIST) {
		struct json *arr = json_add_array(o, "allow_names");

		for (size_t i = 0; i < p->net.n_names; i++) {
			char buf[300];

			net_format_name(&p->net.names[i], buf, sizeof(buf));
			json_append(arr, json_new_string(buf));
		}
	}
	json_entries(o, "allow_private", p->net.private_ok, p->net.n_private);
	json_entries(o, "deny", p->net.deny, p->net.n_deny);
	json_dns(o, &p->net);
}

static void json_seccomp(struct json *root, const struct plan *p)
{
	struct json *o = json_add_object(root, "seccomp"), *args;
	const struct cis_seccomp *s = &p->seccomp;

	json_add_string(o, "denied", strerrorname_np(s->err));
	json_add_bool(o, "log_denied", s->log_denied);
	json_add_string(o, "foreign_abi", "kill");
	json_add_string(o, "clone3", "ENOSYS");
	args = json_add_object(o, "argument_filters");
	json_add_string(args, "ioctl", "not TIOCSTI, TIOCLINUX (low 32 bits)");
	json_add_string(args, "socket",
	                "AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; "
	                "protocol < 256");
	json_add_string(args, "socketpair", "AF_UNIX");
	json_add_string(args, "clone", "no namespace flags");
	json_add_string(args, "personality", "default persona or query");
	json_add_strv(o, "allow", &s->allow);
	json_add_strv(o, "deny", &s->deny);
}

/* The file commands policed after the job (only when there are: golden plans stay as they
 * were for profiles without). */
static void json_file_commands(struct json *root, const struct plan *p)
{
	struct json *o;

	if (!p->n_police)
		return;
	o = json_add_array(root, "file_commands");
	for (size_t i = 0; i < p->n_police; i++) {
		struct json *f = json_new_object();
		_cleanup_free_ char *path = xasprintf("%s/%s", p->police[i].root, p->police[i].rel);

		json_add_string(f, "var", p->police[i].var);
		json_add_string(f, "kind", p->police[i].kind == POLICE_ENV ? "env" : "path");
		json_add_string(f, "parser",
		                p->police[i].dialect == FILECMD_ACT ? "act" : "github");
		json_add_string(f, "host", path);
		json_append(o, f);
	}
}

/* The run's tier (and why a fork's code was forced down) and its secrets' names, never bytes. */
static void json_tier(struct json *root, const struct plan *p)
{
	struct json *arr;

	json_add_string(root, "tier", secrets_tier_name(p->secrets.tier));
	if (p->origin.fork)
		json_add_string(root, "tier_forced",
		                p->origin.why ? p->origin.why : "the code is a fork's");
	if (!p->secrets.n)
		return;
	arr = json_add_array(root, "secrets");
	for (size_t i = 0; i < p->secrets.n; i++) {
		const struct secret *s = &p->secrets.v[i];
		struct json *o = json_new_object();

		json_add_string(o, "name", s->name);
		json_add_string(o, "file", s->file);
		json_add_string(o, "origin", s->origin);
		json_add_bool(o, "env", s->env);
		json_append(arr, o);
	}
}

int plan_print_json(const struct plan *p, FILE *out)
{
	struct json *root = json_new_object(), *o;
	char buf[32];

	o = json_add_object(root, "profile");
	json_add_string(o, "name", p->profile_name);
	json_add_string(o, "source", p->profile_source);
	json_tier(root, p);
	json_add_strv(root, "command", &p->argv);
	o = json_add_object(root, "identity");
	json_add_number(o, "uid", CIS_JOB_UID);
	json_add_number(o, "gid", CIS_JOB_GID);
	json_add_number(o, "host_uid", p->host_uid);
	json_add_number(o, "host_gid", p->host_gid);
	json_add_string(o, "hostname", CIS_HOSTNAME);
	o = json_add_object(root, "workspace");
	json_add_string(o, "mode", ws_mode_name(p->ws_mode));
	if (p->workspace)
		json_add_string(o, "host", p->workspace);
	json_add_string(o, "path", "/workspace");
	json_add_string(root, "workdir", p->workdir);
	if (p->ws_mode != WS_BIND)
		json_add_string(o, "size", format_size(p->ws_size, buf));
	/* As root, the workspace and --bind sources are shown through idmapped mounts. */
	if (p->workspace)
		json_add_bool(o, "idmapped", p->as_root);
	if (p->show_registration)
		json_add_string(o, "registration", "shown");
	o = json_add_object(root, "fixed");
	json_add_string(o, "/", "tmpfs, read-only after setup");
	json_add_string(o, "/tmp", format_size(p->tmp_size, buf));
	json_add_string(o, CIS_JOB_HOME, "tmpfs, same cap as /tmp");
	json_add_string(o, "/dev", "null zero full random urandom tty, devpts, shm");
	json_add_string(o, "/proc", "new procfs; sys, sysrq-trigger, kcore read-only");
	json_mounts(root, p);
	json_env(root, p);
	o = json_add_object(root, "limits");
	json_add_string(o, "timeout", p->timeout_ms ? format_duration(p->timeout_ms, buf) : "none");
	json_add_string(o, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(o, &p->limits);
	if (p->audit_log) {
		o = json_add_object(root, "audit");
		json_add_string(o, "log", p->audit_log);
		json_add_bool(o, "required", p->audit_required);
	}
	json_network(root, p);
	json_seccomp(root, p);
	json_file_commands(root, p);
	return json_emit(root, out);
}
