/* plan_json.c — the plan as JSON, for --dry-run and the audit's plan hash (plan.h): every
 * decision the plan made, never a secret's bytes. */
#define _GNU_SOURCE
#include "plan.h"
#include "netspec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {[MNT_RO_BIND] = "ro-bind",
                                         [MNT_BIND] = "bind",
                                         [MNT_TMPFS] = "tmpfs",
                                         [MNT_MASK] = "mask",
                                         [MNT_SYMLINK] = "symlink"};

static void json_mounts(cJSON *root, const struct plan *p)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "mounts");

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct mount_op *m = &p->mounts[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "op", kind_names[m->kind]);
		if (m->src)
			cJSON_AddStringToObject(o, "src", m->src);
		cJSON_AddStringToObject(o, "dst", m->dst);
		cJSON_AddStringToObject(o, "origin", m->origin);
		cJSON_AddItemToArray(arr, o);
	}
}

/* Values set by the profile or flags are shown; values taken from the caller's environment are
 * not, so that a dry run pasted into a CI log leaks nothing. */
static void json_env(cJSON *root, const struct plan *p)
{
	cJSON *env = cJSON_AddObjectToObject(root, "env");

	for (size_t i = 0; i < p->env.n; i++) {
		const char *e = p->env.v[i];
		size_t n = strcspn(e, "=");
		_cleanup_free_ char *name = strndup(e, n);
		const char *caller = getenv(name);
		bool from_caller =
		    caller && strcmp(caller, e + n + 1) == 0 && strcmp(name, "PATH") != 0;

		cJSON_AddStringToObject(env, name,
		                        secrets_is_env(&p->secrets, name) ? "(secret)"
		                        : from_caller                     ? "(from caller)"
		                                                          : e + n + 1);
	}
}

static void json_entries(cJSON *o, const char *key, const struct net_allow *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; i < n; i++) {
		char buf[96];

		net_format_allow(&v[i], buf, sizeof(buf));
		cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
	}
}

static void json_dns(cJSON *o, const struct net_plan *net)
{
	cJSON *dns = cJSON_AddObjectToObject(o, "dns"), *up;

	cJSON_AddStringToObject(dns, "resolver", NET_RESOLVER ":53");
	cJSON_AddStringToObject(dns, "unlisted_names",
	                        net->mode == NET_ALLOWLIST ? "NXDOMAIN" : "forwarded");
	up = cJSON_AddArrayToObject(dns, "upstream");
	for (size_t i = 0; i < net->n_upstream; i++) {
		char buf[64];

		net_format_upstream(&net->upstream[i], buf, sizeof(buf));
		cJSON_AddItemToArray(up, cJSON_CreateString(buf));
	}
	cJSON_AddNumberToObject(dns, "min_ttl", net->dns_min_ttl);
	cJSON_AddNumberToObject(dns, "max_ttl", net->dns_max_ttl);
}

static void json_network(cJSON *root, const struct plan *p)
{
	cJSON *o = cJSON_AddObjectToObject(root, "network");

	cJSON_AddStringToObject(o, "mode", net_mode_name(p->net.mode));
	if (p->net.mode == NET_NONE)
		return;
	cJSON_AddStringToObject(o, "helper", p->net.helper);
	cJSON_AddStringToObject(o, "backend", p->net.pasta ? "pasta" : "slirp4netns");
	cJSON_AddBoolToObject(o, "helper_required", p->net.helper_required);
	if (p->net.mode == NET_ALLOWLIST)
		json_entries(o, "allow", p->net.allow, p->net.n_allow);
	if (p->net.mode == NET_ALLOWLIST) {
		cJSON *arr = cJSON_AddArrayToObject(o, "allow_names");

		for (size_t i = 0; i < p->net.n_names; i++) {
			char buf[300];

			net_format_name(&p->net.names[i], buf, sizeof(buf));
			cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
		}
	}
	json_entries(o, "allow_private", p->net.private_ok, p->net.n_private);
	json_entries(o, "deny", p->net.deny, p->net.n_deny);
	json_dns(o, &p->net);
}

static void json_seccomp(cJSON *root, const struct plan *p)
{
	cJSON *o = cJSON_AddObjectToObject(root, "seccomp"), *args;
	const struct cis_seccomp *s = &p->seccomp;

	cJSON_AddStringToObject(o, "denied", strerrorname_np(s->err));
	cJSON_AddBoolToObject(o, "log_denied", s->log_denied);
	cJSON_AddStringToObject(o, "foreign_abi", "kill");
	cJSON_AddStringToObject(o, "clone3", "ENOSYS");
	args = cJSON_AddObjectToObject(o, "argument_filters");
	cJSON_AddStringToObject(args, "ioctl", "not TIOCSTI, TIOCLINUX (low 32 bits)");
	cJSON_AddStringToObject(args, "socket",
	                        "AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; "
	                        "protocol < 256");
	cJSON_AddStringToObject(args, "socketpair", "AF_UNIX");
	cJSON_AddStringToObject(args, "clone", "no namespace flags");
	cJSON_AddStringToObject(args, "personality", "default persona or query");
	json_add_strv(o, "allow", &s->allow);
	json_add_strv(o, "deny", &s->deny);
}

/* The file commands policed after the job (only when there are: golden plans stay as they
 * were for profiles without). */
static void json_file_commands(cJSON *root, const struct plan *p)
{
	cJSON *o;

	if (!p->n_police)
		return;
	o = cJSON_AddArrayToObject(root, "file_commands");
	for (size_t i = 0; i < p->n_police; i++) {
		cJSON *f = cJSON_CreateObject();
		_cleanup_free_ char *path = xasprintf("%s/%s", p->police[i].root, p->police[i].rel);

		cJSON_AddStringToObject(f, "var", p->police[i].var);
		cJSON_AddStringToObject(f, "kind",
		                        p->police[i].kind == POLICE_ENV ? "env" : "path");
		cJSON_AddStringToObject(f, "parser",
		                        p->police[i].dialect == FILECMD_ACT ? "act" : "github");
		cJSON_AddStringToObject(f, "host", path);
		cJSON_AddItemToArray(o, f);
	}
}

/* The run's tier (and why a fork's code was forced down) and its secrets' names, never bytes. */
static void json_tier(cJSON *root, const struct plan *p)
{
	cJSON *arr;

	cJSON_AddStringToObject(root, "tier", secrets_tier_name(p->secrets.tier));
	if (p->origin.fork)
		cJSON_AddStringToObject(root, "tier_forced",
		                        p->origin.why ? p->origin.why : "the code is a fork's");
	if (!p->secrets.n)
		return;
	arr = cJSON_AddArrayToObject(root, "secrets");
	for (size_t i = 0; i < p->secrets.n; i++) {
		const struct secret *s = &p->secrets.v[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "file", s->file);
		cJSON_AddStringToObject(o, "origin", s->origin);
		cJSON_AddBoolToObject(o, "env", s->env);
		cJSON_AddItemToArray(arr, o);
	}
}

int plan_print_json(const struct plan *p, FILE *out)
{
	cJSON *root = cJSON_CreateObject(), *o;
	char buf[32];

	o = cJSON_AddObjectToObject(root, "profile");
	cJSON_AddStringToObject(o, "name", p->profile_name);
	cJSON_AddStringToObject(o, "source", p->profile_source);
	json_tier(root, p);
	json_add_strv(root, "command", &p->argv);
	o = cJSON_AddObjectToObject(root, "identity");
	cJSON_AddNumberToObject(o, "uid", CIS_JOB_UID);
	cJSON_AddNumberToObject(o, "gid", CIS_JOB_GID);
	cJSON_AddNumberToObject(o, "host_uid", p->host_uid);
	cJSON_AddNumberToObject(o, "host_gid", p->host_gid);
	cJSON_AddStringToObject(o, "hostname", CIS_HOSTNAME);
	o = cJSON_AddObjectToObject(root, "workspace");
	cJSON_AddStringToObject(o, "mode", ws_mode_name(p->ws_mode));
	if (p->workspace)
		cJSON_AddStringToObject(o, "host", p->workspace);
	cJSON_AddStringToObject(o, "path", "/workspace");
	cJSON_AddStringToObject(root, "workdir", p->workdir);
	if (p->ws_mode != WS_BIND)
		cJSON_AddStringToObject(o, "size", format_size(p->ws_size, buf));
	/* As root, the workspace and --bind sources are shown through idmapped mounts. */
	if (p->workspace)
		cJSON_AddBoolToObject(o, "idmapped", p->as_root);
	if (p->show_registration)
		cJSON_AddStringToObject(o, "registration", "shown");
	o = cJSON_AddObjectToObject(root, "fixed");
	cJSON_AddStringToObject(o, "/", "tmpfs, read-only after setup");
	cJSON_AddStringToObject(o, "/tmp", format_size(p->tmp_size, buf));
	cJSON_AddStringToObject(o, CIS_JOB_HOME, "tmpfs, same cap as /tmp");
	cJSON_AddStringToObject(o, "/dev", "null zero full random urandom tty, devpts, shm");
	cJSON_AddStringToObject(o, "/proc", "new procfs; sys, sysrq-trigger, kcore read-only");
	json_mounts(root, p);
	json_env(root, p);
	o = cJSON_AddObjectToObject(root, "limits");
	cJSON_AddStringToObject(o, "timeout",
	                        p->timeout_ms ? format_duration(p->timeout_ms, buf) : "none");
	cJSON_AddStringToObject(o, "kill_grace", format_duration(p->kill_grace_ms, buf));
	json_limits(o, &p->limits);
	if (p->audit_log) {
		o = cJSON_AddObjectToObject(root, "audit");
		cJSON_AddStringToObject(o, "log", p->audit_log);
		cJSON_AddBoolToObject(o, "required", p->audit_required);
	}
	json_network(root, p);
	json_seccomp(root, p);
	json_file_commands(root, p);
	return json_emit(root, out);
}
