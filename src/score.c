/* score.c — a profile's exposure, 0-10 (see score.h). The weights follow what each setting
 * hands an attacker who runs code in the job: the host itself (writable system dirs, sockets,
 * privileged syscalls) weighs most, then what leaves the sandbox (writes, network, tokens and
 * secrets), then what only hides the job's doings (no time limit, no audit, no policy). */
#define _GNU_SOURCE
#include "score.h"
#include "seccomp.h"
#include "json.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct score_item *add(struct score *s, const char *id, double weight, double badness,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct score_item *add(struct score *s, const char *id, double weight, double badness,
                              const char *fmt, ...)
{
	struct score_item *it = &s->v[s->n++];
	va_list ap;

	*it = (struct score_item){id, weight, badness, ""};
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	return it;
}

static size_t count_kind(const struct profile *p, enum mount_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_mounts; i++)
		n += p->mounts[i].kind == kind;
	return n;
}

/* A bind source as written (or ${VAR}: unknown until run time) that gives the host away. */
static bool host_critical(const struct mount_op *m)
{
	static const char *const roots[] = {"/",    "/boot", "/bin", "/etc",  "/lib", "/lib64",
	                                    "/opt", "/root", "/run", "/sbin", "/usr", "/var"};
	static const char *const trees[] = {"/boot", "/bin",  "/etc", "/lib", "/lib64", "/sbin",
	                                    "/usr",  "/proc", "/sys", "/dev", "/run",   "/var/run"};
	const char *src = m->src ? m->src : m->dst; /* deferred entries hold the spec in dst */
	const char *base = strrchr(src, '/');

	if (base && strstr(base, ".sock"))
		return true;
	if (m->deferred)
		return false;
	for (size_t i = 0; m->kind == MNT_BIND && i < ARRAY_SIZE(roots); i++)
		if (path_has_prefix(roots[i], src))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++)
		if (path_has_prefix(src, trees[i]) &&
		    (m->kind == MNT_BIND || i >= ARRAY_SIZE(trees) - 5))
			return true;
	return false;
}

static void check_filesystem(const struct profile *p, struct score *s)
{
	enum ws_mode ws = p->has_ws_mode ? p->ws_mode : WS_OVERLAY;
	size_t rw = count_kind(p, MNT_BIND), ro = count_kind(p, MNT_RO_BIND), crit = 0;

	for (size_t i = 0; i < p->n_mounts; i++)
		crit += (p->mounts[i].kind == MNT_BIND || p->mounts[i].kind == MNT_RO_BIND) &&
		        host_critical(&p->mounts[i]);
	if (crit)
		add(s, "filesystem.host", 3, 1,
		    "%zu bind(s) of a host system dir, kernel interface or daemon socket", crit);
	else
		add(s, "filesystem.host", 3, 0,
		    "no host system dir writable, no kernel interface or socket shown");
	add(s, "workspace", 2,
	    ws == WS_BIND      ? 1
	    : ws == WS_OVERLAY ? 0.1
	                       : 0,
	    "%s",
	    ws == WS_BIND      ? "bound read-write: the job's writes reach the host"
	    : ws == WS_OVERLAY ? "overlay: the host's files readable, writes discarded"
	                       : "tmpfs: nothing of the host");
	add(s, "filesystem.bind", 2, rw ? (rw > 2 ? 1 : 0.5 * (double)rw) : 0,
	    "%zu host path(s) writable", rw);
	add(s, "filesystem.ro_bind", 0.5, ro ? 1 : 0, "%zu more host path(s) readable", ro);
	add(s, "filesystem.registration", 1, p->ws_registration == 1,
	    p->ws_registration == 1 ? "a runner's registration in the workspace is readable"
	                            : "a runner's registration files are hidden");
	add(s, "filesystem.private", 0.5, p->private_mode != PRIV_REQUIRE,
	    p->private_mode == PRIV_REQUIRE ? "private host files hidden, or no run"
	                                    : "best effort: rootless without subordinate ids, "
	                                      "the caller's private files in the system dirs "
	                                      "are readable");
}

/* The prefix of an address entry ("10.0.0.0/8:443"), or 128 for a host or a name. */
static int entry_prefix(const char *e)
{
	const char *sl = strchr(e, '/');

	return sl && sl[1] >= '0' && sl[1] <= '9' ? atoi(sl + 1) : 128;
}

static void check_network(const struct profile *p, struct score *s)
{
	enum net_mode mode = p->has_net_mode ? p->net_mode : NET_NONE;
	size_t wild = 0, broad = 0;
	double b;

	for (size_t i = 0; i < p->net_allow.n; i++) {
		wild += p->net_allow.v[i][0] == '*';
		broad += entry_prefix(p->net_allow.v[i]) <= 8;
	}
	b = mode == NET_NONE ? 0 : mode != NET_ALLOWLIST || broad ? 1 : wild ? 0.5 : 0.3;
	add(s, "network", 3, b, "%s%s, %zu allowed destination(s), %zu wildcard name(s)",
	    net_mode_name(mode), mode == NET_NONE ? " (loopback only)" : "", p->net_allow.n, wild);
	add(s, "network.allow_private", 2, p->net_private.n ? 1 : 0,
	    "%zu hole(s) in the always-denied ranges (metadata, private networks)",
	    p->net_private.n);
}

static bool is_token_name(const char *n)
{
	return fnmatch("*_TOKEN", n, 0) == 0 || fnmatch("*SECRET*", n, 0) == 0 ||
	       fnmatch("*PASSWORD*", n, 0) == 0 || fnmatch("*JWT*", n, 0) == 0 ||
	       fnmatch("*JITCONFIG*", n, 0) == 0 || fnmatch("ACTIONS_*", n, 0) == 0;
}

static void check_env(const struct profile *p, struct score *s)
{
	size_t globs = 0, tokens = 0;
	bool all = false;

	for (size_t i = 0; i < p->env_pass.n; i++) {
		const char *e = p->env_pass.v[i];

		all = all || strcmp(e, "*") == 0;
		globs += e[strlen(e) - 1] == '*';
		tokens += is_token_name(e);
	}
	add(s, "env.pass", 2,
	    all             ? 1
	    : globs         ? 0.5
	    : p->env_pass.n ? 0.2
	                    : 0,
	    all ? "the caller's whole environment (tokens only by exact name)"
	        : "%zu name(s) or prefix(es) passed",
	    p->env_pass.n);
	add(s, "env.tokens", 2, tokens ? 1 : 0, "%zu token(s) passed by name", tokens);
}

static void check_trust(const struct profile *p, struct score *s)
{
	char buf[32];
	bool trusted = p->tier == SECRETS_TIER_TRUSTED;

	add(s, "tier", 2, trusted,
	    trusted ? "trusted: secrets may reach the job"
	            : "untrusted: no secret, no identity token");
	add(s, "secrets", 1, p->secrets.n ? 1 : 0, "%zu secret(s) listed", p->secrets.n);
	add(s, "token_ttl", 1.5,
	    !p->token_ttl_ms                      ? 0
	    : p->token_ttl_ms > 60 * 60 * 1000ull ? 1
	                                          : 0.5,
	    p->token_ttl_ms ? "identity tokens for jobs of up to %s" : "no identity token%s",
	    p->token_ttl_ms ? format_duration(p->token_ttl_ms, buf) : "");
}

static void check_seccomp(const struct profile *p, struct score *s)
{
	const char *const *priv = cis_seccomp_group("@privileged");
	size_t n = 0;

	for (; priv && *priv; priv++)
		n += strv_contains(&p->sc_allow, *priv);
	add(s, "seccomp.privileged", 3, n ? 1 : 0,
	    "%zu privileged syscall(s) allowed (mount, namespaces, bpf, ...)", n);
	add(s, "seccomp.log_denied", 0.5, p->has_sc_log && !p->sc_log_denied,
	    p->has_sc_log && !p->sc_log_denied ? "denials are not reported"
	                                       : "each denial reported");
}

static void check_limits(const struct profile *p, struct score *s)
{
	char buf[32];
	const struct limits *l = &p->limits;

	add(s, "limits.timeout", 1,
	    !p->has_timeout || !p->timeout_ms    ? 1
	    : p->timeout_ms > 6 * 3600 * 1000ull ? 0.5
	                                         : 0,
	    "time limit %s",
	    p->has_timeout && p->timeout_ms ? format_duration(p->timeout_ms, buf) : "none");
	add(s, "limits.memory", 0.5, !l->memory && !l->memory_pct, "%s",
	    l->memory || l->memory_pct ? "memory limited" : "no memory limit");
	add(s, "limits.pids", 0.5, !l->pids, "%s", l->pids ? "processes limited" : "no pids limit");
}

static void check_oversight(const struct profile *p, struct score *s)
{
	bool policy = p->policy.exec || policy_rules_any(&p->policy.rules);

	add(s, "audit", 0.5,
	    !p->audit_log        ? 1
	    : !p->audit_required ? 0.3
	                         : 0,
	    "%s",
	    !p->audit_log        ? "no audit log in the profile"
	    : !p->audit_required ? "audit log, not required"
	                         : "audit log required");
	add(s, "policy", 0.5, !policy, "%s",
	    policy ? "a decision point or built-in rules" : "no policy.exec, no policy.rules");
}

void score_profile(const struct profile *p, struct score *out)
{
	double sum = 0, got = 0;

	*out = (struct score){0};
	check_filesystem(p, out);
	check_network(p, out);
	check_env(p, out);
	check_trust(p, out);
	check_seccomp(p, out);
	check_limits(p, out);
	check_oversight(p, out);
	for (size_t i = 0; i < out->n; i++) {
		sum += out->v[i].weight;
		got += out->v[i].weight * out->v[i].badness;
	}
	out->total = sum > 0 ? (double)(long)(100.0 * got / sum + 0.5) / 10.0 : 0;
}

static int by_exposure(const void *a, const void *b)
{
	const struct score_item *x = a, *y = b;
	double d = y->weight * y->badness - x->weight * x->badness;

	return d > 0 ? 1 : d < 0 ? -1 : strcmp(x->id, y->id);
}

static int print_json(const struct profile *p, struct score *s, double threshold)
{
	struct json *root = json_new_object(), *arr;

	json_add_number(root, "v", 1);
	json_add_string(root, "profile", p->name);
	json_add_string(root, "source", p->source ? p->source : p->name);
	json_add_number(root, "score", s->total);
	if (threshold >= 0)
		json_add_number(root, "threshold", threshold);
	json_add_bool(root, "above_threshold", threshold >= 0 && s->total > threshold);
	arr = json_add_array(root, "exposures");
	for (size_t i = 0; i < s->n; i++) {
		struct json *o = json_new_object();

		json_add_string(o, "id", s->v[i].id);
		json_add_number(o, "weight", s->v[i].weight);
		json_add_number(o, "badness", s->v[i].badness);
		json_add_number(o, "exposure", s->v[i].weight * s->v[i].badness);
		json_add_string(o, "detail", s->v[i].detail);
		json_append(arr, o);
	}
	return json_emit(root, stdout);
}

static void print_text(const struct profile *p, const struct score *s, double threshold)
{
	printf("profile %s (%s): exposure %.1f/10 (0 = safest)\n", p->name,
	       p->source ? p->source : p->name, s->total);
	printf("  %-8s %-6s %-24s %s\n", "EXPOSURE", "WEIGHT", "CHECK", "DETAIL");
	for (size_t i = 0; i < s->n; i++)
		printf("  %-8.2f %-6.1f %-24s %s\n", s->v[i].weight * s->v[i].badness,
		       s->v[i].weight, s->v[i].id, s->v[i].detail);
	if (threshold >= 0)
		printf("%s: %.1f %s the threshold %.1f\n", p->name, s->total,
		       s->total > threshold ? "is above" : "is within", threshold);
}

/* "N" or "N.N", 0 to 10. */
static int parse_threshold(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 10))
		return -EINVAL;
	*out = v;
	return 0;
}

int score_main(int argc, char **argv)
{
	const char *ref = NULL;
	double threshold = -1;
	bool json = false;
	struct profile prof;
	struct cis_err err = {{0}};
	struct score s;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
			if (parse_threshold(argv[++i], &threshold) < 0) {
				fprintf(stderr,
				        "cisandbox: profile score --threshold %s: not a number "
				        "from 0 to 10\n",
				        argv[i]);
				return CIS_EXIT_LAUNCHER;
			}
		} else if (argv[i][0] == '-' || ref) {
			fprintf(stderr,
			        "cisandbox: profile score: %s: unexpected (usage: profile "
			        "score FILE|NAME [--threshold N] [--json])\n",
			        argv[i]);
			return CIS_EXIT_LAUNCHER;
		} else {
			ref = argv[i];
		}
	}
	if (!ref) {
		fputs("cisandbox: profile score: missing FILE or NAME\n", stderr);
		return CIS_EXIT_LAUNCHER;
	}
	if (profile_load(ref, &prof, &err) < 0) {
		fprintf(stderr, "cisandbox: %s\n", err.msg);
		return CIS_EXIT_LAUNCHER;
	}
	score_profile(&prof, &s);
	qsort(s.v, s.n, sizeof(s.v[0]), by_exposure);
	if (json)
		print_json(&prof, &s, threshold);
	else
		print_text(&prof, &s, threshold);
	profile_free(&prof);
	return threshold >= 0 && s.total > threshold ? 1 : 0;
}
