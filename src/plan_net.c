/* plan_net.c — the network part of plan_build (plan_int.h): allow entries by address and by
 * name, the always-denied ranges and the host's own addresses, the resolver's upstreams, the
 * helper. Launcher only, before any namespace; every input error is found here. */
#define _GNU_SOURCE
#include "cli.h"
#include "netspec.h"
#include "plan.h"
#include "plan_int.h"
#include "profile.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refused in every network mode unless network.allow_private opens a part of them: cloud
 * metadata (169.254.169.254 in link-local, 100.100.100.200 in CGNAT, fd00:ec2::254 in ULA),
 * link-local, RFC 1918, CGNAT, ULA, loopback, multicast and reserved ranges. */
static const char *const always_denied[] = {
    "0.0.0.0/8",     "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4",   "240.0.0.0/4", "::/128",
    "::1/128",       "::ffff:0:0/96",  "fc00::/7",      "fe80::/10",   "ff00::/8"};

static void push_entry(struct net_allow **v, size_t *n, const struct net_allow *a)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *a;
}

/* Entries already validated by cli/profile; a failure here is a bug, reported all the same. */
static int push_specs(struct net_allow **v, size_t *n, const struct strv *specs, const char *origin,
                      struct cis_err *err)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct net_allow a;
		const char *why = net_parse_allow(specs->v[i], &a);

		if (why)
			return cis_err_set(err, "%s %s: %s", origin, specs->v[i], why);
		push_entry(v, n, &a);
	}
	return 0;
}

/* The (protocol, ports) of a name entry: an existing class, or a new one. */
static int port_class(struct net_plan *net, const struct net_name *nm, struct cis_err *err)
{
	size_t k = 0;

	while (k < net->n_classes &&
	       (net->classes[k].proto != nm->proto || net->classes[k].lo != nm->port_lo ||
	        net->classes[k].hi != nm->port_hi))
		k++;
	if (k == NET_MAX_CLASSES)
		return cis_err_set(err, "allowed names: more than %d different port sets",
		                   NET_MAX_CLASSES);
	if (k == net->n_classes)
		net->classes[net->n_classes++] =
		    (struct net_ports){nm->port_lo, nm->port_hi, nm->proto};
	return (int)k;
}

/* Allow entries: addresses to net->allow, names to net->names. */
static int push_dests(struct net_plan *net, const struct strv *specs, const char *origin,
                      struct cis_err *err)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct net_name nm;
		struct strv one = {&specs->v[i], 1};
		const char *why;
		int k;

		if (!net_spec_is_name(specs->v[i])) {
			if ((k = push_specs(&net->allow, &net->n_allow, &one, origin, err)) < 0)
				return k;
			continue;
		}
		if ((why = net_parse_name(specs->v[i], &nm)))
			return cis_err_set(err, "%s %s: %s", origin, specs->v[i], why);
		if ((k = port_class(net, &nm, err)) < 0)
			return k;
		nm.port_class = (unsigned char)k;
		net->names = xrealloc(net->names, (net->n_names + 1) * sizeof(*net->names));
		net->names[net->n_names++] = nm;
	}
	return 0;
}

/* The resolver forwards to --dns-upstream, else network.dns_upstream, else the host's own
 * servers from /etc/resolv.conf (the launcher runs on the host, so a local stub works). */
static void plan_upstream(struct net_plan *net, const struct cli *c, const struct profile *prof)
{
	const struct strv *given = c->dns_upstream.n ? &c->dns_upstream : &prof->dns_upstream;
	FILE *f = given->n ? NULL : fopen("/etc/resolv.conf", "re");
	char line[512], addr[256];

	for (size_t i = 0; i < given->n && net->n_upstream < NET_MAX_UPSTREAMS; i++)
		if (!net_parse_upstream(given->v[i], &net->upstream[net->n_upstream]))
			net->n_upstream++;
	while (f && fgets(line, sizeof(line), f) && net->n_upstream < NET_MAX_UPSTREAMS)
		if (sscanf(line, " nameserver %255s", addr) == 1 && !strchr(addr, '%') &&
		    !net_parse_upstream(addr, &net->upstream[net->n_upstream]))
			net->n_upstream++;
	if (f)
		fclose(f);
}

/* The host's own addresses: the runner host must not be reachable through the helper. */
static void deny_host_addresses(struct net_plan *net)
{
	struct ifaddrs *ifs = NULL;

	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct net_allow a = {.port_hi = 65535, .proto = IPPROTO_TCP};

		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		a.family = i->ifa_addr->sa_family;
		if (a.family == AF_INET) {
			memcpy(a.addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			a.prefix = 32;
		} else {
			memcpy(a.addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			a.prefix = 128;
		}
		push_entry(&net->deny, &net->n_deny, &a);
	}
	freeifaddrs(ifs);
}

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", d, name);

		if (d[0] == '/' && access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* auto: slirp4netns (measured faster and steadier here than Debian 12's pasta), else pasta. */
static int plan_helper(struct net_plan *net, const char *backend, struct cis_err *err)
{
	bool want_pasta = strcmp(backend, "pasta") == 0;

	if (!want_pasta)
		net->helper = find_in_path("slirp4netns");
	if (!net->helper && strcmp(backend, "slirp4netns") != 0) {
		net->helper = find_in_path("pasta");
		net->pasta = net->helper != NULL;
	}
	if (!net->helper)
		return cis_err_set(err,
		                   "network mode %s: %s not found in PATH; install the %s "
		                   "package",
		                   net_mode_name(net->mode), want_pasta ? "pasta" : "slirp4netns",
		                   want_pasta ? "passt" : "slirp4netns");
	return 0;
}

int plan_net(struct plan *p, const struct cli *c, const struct profile *prof, struct cis_err *err)
{
	struct net_plan *net = &p->net;
	int r;

	net->mode = c->has_net_mode      ? c->net_mode
	            : c->allow.n         ? NET_ALLOWLIST
	            : prof->has_net_mode ? prof->net_mode
	                                 : NET_NONE;
	if (net->mode == NET_NONE && (c->allow.n || prof->net_allow.n))
		return cis_err_set(err, "%s: allowed destinations need network mode allowlist",
		                   c->allow.n ? "--allow" : "network.allow");
	if (net->mode == NET_NONE)
		return 0;
	if ((r = push_dests(net, &prof->net_allow, "network.allow", err)) < 0 ||
	    (r = push_dests(net, &c->allow, "--allow", err)) < 0 ||
	    (r = push_specs(&net->private_ok, &net->n_private, &prof->net_private,
	                    "network.allow_private", err)) < 0)
		return r;
	if (net->n_allow + net->n_private + net->n_names > NET_MAX_ENTRIES)
		return cis_err_set(err, "network.allow and --allow: %zu entries, at most %d",
		                   net->n_allow + net->n_private + net->n_names, NET_MAX_ENTRIES);
	net->dns_min_ttl = prof->dns_min_ttl ? (unsigned)prof->dns_min_ttl : 30;
	net->dns_max_ttl = prof->dns_max_ttl ? (unsigned)prof->dns_max_ttl : 86400;
	if (net->dns_min_ttl > net->dns_max_ttl)
		return cis_err_set(err, "network.dns_min_ttl %u is above network.dns_max_ttl %u",
		                   net->dns_min_ttl, net->dns_max_ttl);
	for (size_t i = 0; i < ARRAY_SIZE(always_denied); i++) {
		struct net_allow a;

		net_parse_allow(always_denied[i], &a);
		push_entry(&net->deny, &net->n_deny, &a);
	}
	/* allow_private opens part of the denied set, nothing else: anything outside it belongs
	 * in network.allow. */
	for (size_t i = 0; i < net->n_private; i++) {
		bool inside = false;

		for (size_t d = 0; d < net->n_deny && !inside; d++)
			inside = net_allow_covers(&net->deny[d], &net->private_ok[i]);
		if (!inside)
			return cis_err_set(
			    err,
			    "network.allow_private[%zu]: %s is not in an always-denied "
			    "range; use network.allow",
			    i, prof->net_private.v[i]);
	}
	deny_host_addresses(net);
	/* The job's only resolver is ours; the host's servers are its upstream. */
	net->nameservers =
	    xstrdup("nameserver " NET_RESOLVER "\noptions " NET_RESOLVER_OPTIONS "\n");
	plan_upstream(net, c, prof);
	net->helper_required = prof->helper_required >= 0;
	return plan_helper(net, prof->net_backend ? prof->net_backend : "auto", err);
}
