/* learn_obs.c — from a --learn run's audit records to the profile it needed (see
 * learn_obs.h). Pure. Records of the resolver's child are relayed as that child wrote them,
 * and the child parses what the job sends: every field is checked as untrusted, and a name or
 * address goes into the profile only in the form the profile loader accepts. */
#define _GNU_SOURCE
#include "learn_obs.h"
#include "dnsmsg.h"
#include "policy_spec.h"
#include "json.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Never allowed by a learned profile, whatever the run needed: a human decides. */
static const struct {
	const char *prefix, *what;
} dangerous[] = {
    {"unshare", "namespaces"},
    {"setns", "namespaces"},
    {"mount", "mount"},
    {"umount", "mount"},
    {"pivot_root", "mount"},
    {"chroot", "mount"},
    {"fs", "mount"},
    {"move_mount", "mount"},
    {"open_tree", "mount"},
    {"bpf", "bpf"},
    {"keyctl", "keyring"},
    {"add_key", "keyring"},
    {"request_key", "keyring"},
    {"io_uring", "io_uring"},
    {"ptrace", "debugging"},
    {"process_vm", "debugging"},
    {"pidfd_getfd", "debugging"},
    {"kcmp", "debugging"},
    {"perf_event", "perf"},
    {"userfaultfd", "userfaultfd"},
    {"kexec", "kernel"},
    {"init_module", "kernel"},
    {"finit_module", "kernel"},
    {"delete_module", "kernel"},
    {"modify_ldt", "kernel"},
};

static const char *danger_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(dangerous); i++)
		if (strncmp(name, dangerous[i].prefix, strlen(dangerous[i].prefix)) == 0)
			return dangerous[i].what;
	return "privileged";
}

static bool in_group(const char *group, const char *name)
{
	for (const char *const *g = cis_seccomp_group(group); g && *g; g++)
		if (strcmp(*g, name) == 0)
			return true;
	return false;
}

static bool syscall_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

bool learn_syscall_grantable(const struct cis_seccomp *s, const char *name)
{
	if (!name || !syscall_name_ok(name) || !cis_seccomp_name_valid(name))
		return false;
	if (in_group("@privileged", name) || in_group("@debug", name) ||
	    strcmp(danger_of(name), "privileged") != 0)
		return false;
	return !strv_contains(&s->allow, name) && !strv_contains(&s->deny, name);
}

/* A host name as the profile loader takes it (dnsmsg_name_normalize: labels of 1-63
 * letters, digits and hyphens), already normal, and not all digits and dots (an address). */
static bool host_name_ok(const char *s)
{
	char norm[256];

	if (dnsmsg_name_normalize(s, norm, sizeof(norm)) || strcmp(norm, s) != 0 || s[0] == '*')
		return false;
	return strspn(s, "0123456789.") != strlen(s);
}

/* An address as text, canonical (inet_ntop of inet_pton); false if none, or loopback. */
static bool canon_addr(const char *in, char out[48])
{
	unsigned char raw[16];
	int fam = strchr(in, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, in, raw) != 1 || !inet_ntop(fam, raw, out, 48))
		return false;
	if (fam == AF_INET && raw[0] == 127)
		return false;
	return !(fam == AF_INET6 && memcmp(raw, &in6addr_loopback, 16) == 0);
}

static const char *str(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return json_is_string(v) ? v->valuestring : NULL;
}

static bool on_syscall(struct learn_obs *o, const struct json *ev)
{
	const char *kind = str(ev, "kind"), *name = str(ev, "syscall");

	if (!kind || strcmp(kind, "syscall") != 0 || !name || !syscall_name_ok(name))
		return false;
	if (!strv_contains(&o->syscalls, name) && o->syscalls.n < LEARN_MAX_SYSCALLS)
		strv_push(&o->syscalls, name);
	return true;
}

/* "198.51.100.10:80", "[2001:db8::1]:443", or an address alone (not TCP or UDP). */
static bool parse_dest(const char *d, struct learn_flow *f)
{
	char host[64];
	const char *colon = strrchr(d, ':');
	size_t n;
	char *end;

	if (d[0] == '[') {
		const char *close = strchr(d, ']');

		if (!close || close[1] != ':' || (n = (size_t)(close - d - 1)) >= sizeof(host))
			return false;
		memcpy(host, d + 1, n);
		colon = close + 1;
	} else if (colon && strchr(d, ':') == colon) { /* IPv4:PORT */
		if ((n = (size_t)(colon - d)) >= sizeof(host))
			return false;
		memcpy(host, d, n);
	} else {
		n = strlen(d);
		if (n >= sizeof(host))
			return false;
		memcpy(host, d, n);
		colon = NULL;
	}
	host[n] = '\0';
	f->port = 0;
	if (colon) {
		long port = strtol(colon + 1, &end, 10);

		if (end == colon + 1 || *end || port < 1 || port > 65535)
			return false;
		f->port = (unsigned)port;
	}
	return canon_addr(host, f->addr);
}

static bool on_flow(struct learn_obs *o, const struct json *ev)
{
	const char *proto = str(ev, "proto"), *dest = str(ev, "destination");
	struct learn_flow f = {0};

	if (!proto || !dest || !parse_dest(dest, &f))
		return false;
	f.udp = strcmp(proto, "udp") == 0;
	if (strcmp(proto, "tcp") != 0 && !f.udp)
		f.port = 0;
	f.denied = json_is_true(json_get(ev, "denied"));
	for (size_t i = 0; i < o->n_flows; i++)
		if (strcmp(o->flows[i].addr, f.addr) == 0 && o->flows[i].port == f.port &&
		    o->flows[i].udp == f.udp)
			return true;
	if (o->n_flows == LEARN_MAX_FLOWS)
		return true;
	o->flows = xrealloc(o->flows, (o->n_flows + 1) * sizeof(*o->flows));
	o->flows[o->n_flows++] = f;
	return true;
}

static struct learn_name *name_slot(struct learn_obs *o, const char *name)
{
	for (size_t i = 0; i < o->n_names; i++)
		if (strcmp(o->names[i].name, name) == 0)
			return &o->names[i];
	if (o->n_names == LEARN_MAX_NAMES)
		return NULL;
	o->names = xrealloc(o->names, (o->n_names + 1) * sizeof(*o->names));
	o->names[o->n_names] = (struct learn_name){0};
	snprintf(o->names[o->n_names].name, sizeof(o->names[0].name), "%s", name);
	return &o->names[o->n_names++];
}

static bool on_answer(struct learn_obs *o, const struct json *ev)
{
	const char *name = str(ev, "name");
	const struct json *it;
	struct learn_name *nm;

	if (!name || !host_name_ok(name) || !(nm = name_slot(o, name)))
		return name != NULL;
	json_for_each(it, json_get(ev, "addresses"))
	{
		char a[48];
		bool have = false;

		if (!json_is_string(it) || !canon_addr(it->valuestring, a))
			continue;
		for (size_t i = 0; i < nm->n_addrs && !have; i++)
			have = strcmp(nm->addrs[i], a) == 0;
		if (!have && nm->n_addrs < LEARN_NAME_ADDRS)
			strcpy(nm->addrs[nm->n_addrs++], a);
	}
	return true;
}

void learn_obs_line(struct learn_obs *o, const char *id, const char *line, size_t len)
{
	struct json *ev = json_parse_len(line, len);
	const struct json *v = json_get(ev, "v");
	const char *event = str(ev, "event"), *sandbox = str(ev, "sandbox");
	bool used = false;

	o->lines++;
	if (json_is_number(v) && v->valuedouble == 1 && event && sandbox &&
	    strcmp(sandbox, id) == 0) {
		if (strcmp(event, "policy.deny") == 0)
			used = on_syscall(o, ev);
		else if (strcmp(event, "egress.flow") == 0)
			used = on_flow(o, ev);
		else if (strcmp(event, "dns.answer") == 0)
			used = on_answer(o, ev);
		else
			used = true; /* one of ours, nothing to learn from */
	}
	o->ignored += !used;
	json_free(ev);
}

void learn_obs_free(struct learn_obs *o)
{
	free(o->flows);
	free(o->names);
	strv_free(&o->syscalls);
	*o = (struct learn_obs){0};
}

/* ---- the learned profile ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void push_unique(struct strv *s, char *entry)
{
	if (strv_contains(s, entry))
		free(entry);
	else
		strv_push_take(s, entry);
}

static char *addr_port(const struct learn_flow *f)
{
	bool v6 = strchr(f->addr, ':') != NULL;

	return xasprintf("%s%s%s:%u%s", v6 ? "[" : "", f->addr, v6 ? "]" : "", f->port,
	                 f->udp ? "/udp" : "");
}

static bool name_has(const struct learn_name *nm, const char *addr)
{
	for (size_t i = 0; i < nm->n_addrs; i++)
		if (strcmp(nm->addrs[i], addr) == 0)
			return true;
	return false;
}

/* What the profile gets and what it says. */
struct learned {
	struct strv allow;     /* network.allow entries */
	struct strv sys_allow; /* seccomp.allow additions */
	struct strv never;     /* "unshare (namespaces)" */
	struct strv refused;   /* flows into the always-denied set */
	struct strv other;     /* neither TCP nor UDP */
	struct strv unused;    /* names resolved and never contacted */
};

/* By name where the resolver handed the address out (every such name: addresses are shared
 * and rotate, names stay), else by address; each with its port. */
static void learn_flows(const struct learn_obs *o, const struct learn_parent *pa, struct learned *l)
{
	for (size_t i = 0; i < o->n_flows; i++) {
		const struct learn_flow *f = &o->flows[i];
		bool named = false;

		if (f->denied || !f->port) {
			push_unique(f->denied ? &l->refused : &l->other,
			            f->port ? addr_port(f) : xstrdup(f->addr));
			continue;
		}
		for (size_t n = 0; n < o->n_names; n++) {
			if (!name_has(&o->names[n], f->addr))
				continue;
			named = true;
			push_unique(&l->allow, xasprintf("%s:%u%s", o->names[n].name, f->port,
			                                 f->udp ? "/udp" : ""));
		}
		if (!named)
			push_unique(&l->allow, addr_port(f));
	}
	for (size_t n = 0; n < o->n_names; n++) {
		bool used = false;

		for (size_t i = 0; i < o->n_flows && !used; i++)
			used = !o->flows[i].denied && name_has(&o->names[n], o->flows[i].addr);
		if (!used)
			push_unique(&l->unused, xstrdup(o->names[n].name));
	}
	for (size_t i = 0; pa->allow && i < l->allow.n;) {
		if (strv_contains(pa->allow, l->allow.v[i])) {
			free(l->allow.v[i]);
			memmove(&l->allow.v[i], &l->allow.v[i + 1],
			        (l->allow.n - i) * sizeof(char *));
			l->allow.n--;
		} else {
			i++;
		}
	}
}

static void learn_syscalls(const struct learn_obs *o, const struct cis_seccomp *s,
                           struct learned *l)
{
	for (size_t i = 0; i < o->syscalls.n; i++) {
		const char *name = o->syscalls.v[i];

		if (learn_syscall_grantable(s, name))
			push_unique(&l->sys_allow, xstrdup(name));
		else if (strv_contains(&s->allow, name))
			push_unique(&l->never, xasprintf("%s (refused for its arguments)", name));
		else
			push_unique(&l->never, xasprintf("%s (%s)", name, danger_of(name)));
	}
}

static void sort(struct strv *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(char *), cmp_str);
}

/* "; what: a, b" when there is any. */
static char *say_list(char *text, const char *what, const struct strv *s)
{
	char *out;

	if (!s->n)
		return text;
	out = xasprintf("%s %s:", text, what);
	for (size_t i = 0; i < s->n; i++) {
		char *next = xasprintf("%s%s %s", out, i ? "," : "", s->v[i]);

		free(out);
		out = next;
	}
	free(text);
	text = xasprintf("%s.", out);
	free(out);
	return text;
}

static char *describe(const struct learned *l, const struct learn_parent *pa)
{
	char *d = xasprintf("Learned by cisandbox run --learn from a run of `%.200s` under profile "
	                    "%s: what that run needed, added to it.",
	                    pa->command ? pa->command : "", pa->name);

	d = say_list(d, "Needed but never granted automatically (review by hand)", &l->never);
	d = say_list(d,
	             "Refused whatever the profile (always-denied ranges; network.allow_private "
	             "opens one, by hand)",
	             &l->refused);
	d = say_list(d, "Neither TCP nor UDP (not allowed)", &l->other);
	d = say_list(d, "Resolved but never contacted (not allowed: their lookups fail)",
	             &l->unused);
	{
		char *next = xasprintf("%s Not observed: host paths the job looked for outside its "
		                       "view.",
		                       d);

		free(d);
		return next;
	}
}

static void learned_free(struct learned *l)
{
	strv_free(&l->allow);
	strv_free(&l->sys_allow);
	strv_free(&l->never);
	strv_free(&l->refused);
	strv_free(&l->other);
	strv_free(&l->unused);
}

static void add_strv(struct json *o, const char *key, const struct strv *s)
{
	json_add(o, key, policy_json_strv(s));
}

static void json_network(struct json *root, const struct learned *l, const struct learn_parent *pa)
{
	struct json *net;

	if (l->allow.n) {
		net = json_add_object(root, "network");
		json_add_string(net, "mode", "allowlist");
		add_strv(net, "allow", &l->allow);
	} else if ((pa->mode == NET_OPEN || pa->mode == NET_AUDIT) &&
	           (!pa->allow || !pa->allow->n)) {
		/* It needed no egress at all. */
		net = json_add_object(root, "network");
		json_add_string(net, "mode", "none");
	}
}

struct json *learn_profile_build(const struct learn_obs *o, const struct learn_parent *pa,
                                 const struct cis_seccomp *s)
{
	struct learned l = {0};
	struct json *root = json_new_object();
	_cleanup_free_ char *desc = NULL;
	char name[65];

	learn_flows(o, pa, &l);
	learn_syscalls(o, s, &l);
	sort(&l.allow);
	sort(&l.never);
	sort(&l.refused);
	sort(&l.other);
	sort(&l.unused);
	snprintf(name, sizeof(name), "%.56s-learned", pa->name);
	desc = describe(&l, pa);
	json_add_number(root, "version", 1);
	json_add_string(root, "name", name);
	json_add_string(root, "extends", pa->extends);
	json_add_string(root, "description", desc);
	json_network(root, &l, pa);
	if (l.sys_allow.n) {
		struct json *sc = json_add_object(root, "seccomp");

		/* A chain without seccomp.allow has the default; a list of ours would replace it.
		 */
		if (!pa->has_seccomp_allow)
			strv_push(&l.sys_allow, "@container");
		sort(&l.sys_allow);
		add_strv(sc, "allow", &l.sys_allow);
	}
	learned_free(&l);
	return root;
}
