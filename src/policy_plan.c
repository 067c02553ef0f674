/* policy_plan.c — the policy part of the plan (launcher, in plan_build, before any namespace):
 * see policy_plan.h. The only side effects are reads: the environment (runner labels) and
 * stat/readdir of bind sources (host sockets). */
#define _GNU_SOURCE
#include "policy_plan.h"
#include "cli.h"
#include "profile.h"
#include "secrets.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SCAN 4096 /* entries of a bound directory looked at for a socket */

static void add_label(struct strv *labels, const char *l)
{
	if (policy_label_valid(l) && !strv_contains(labels, l))
		strv_push(labels, l);
}

/* "a, b c" or GitLab's JSON-ish ["a", "b"]: one label per word. */
static void add_label_list(struct strv *labels, const char *text)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;

	for (char *w = strtok_r(copy, " ,[]\"\t\n", &save); w;
	     w = strtok_r(NULL, " ,[]\"\t\n", &save))
		add_label(labels, w);
}

/* $NAME, else GitLab's custom executor's CUSTOM_ENV_NAME (as origin.c reads them). */
static const char *ci_var(const char *name)
{
	_cleanup_free_ char *custom = xasprintf("CUSTOM_ENV_%s", name);
	const char *v = getenv(name);

	return v && *v ? v : getenv(custom);
}

static void plan_labels(struct policy_plan *pp, const struct profile *prof, int tier_id)
{
	const char *tier = secrets_tier_name(tier_id), *v;

	strv_push_take(&pp->labels, xasprintf("profile:%s", prof->name));
	strv_push_take(&pp->labels, xasprintf("tier:%s", tier ? tier : "untrusted"));
	for (size_t i = 0; i < prof->policy.labels.n; i++)
		add_label(&pp->labels, prof->policy.labels.v[i]);
	if ((v = getenv(POLICY_LABELS_VAR)))
		add_label_list(&pp->labels, v);
	if ((v = ci_var("CI_RUNNER_TAGS")))
		add_label_list(&pp->labels, v);
}

/* A socket, a directory directly holding one, or the host's runtime directory (daemons put
 * their sockets there, and come and go). */
static bool holds_socket(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	bool yes = false;
	int n = 0;

	if (path_has_prefix(path, "/run") || path_has_prefix(path, "/var/run"))
		return true;
	if (stat(path, &st) < 0)
		return false;
	if (S_ISSOCK(st.st_mode))
		return true;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return false;
	while (!yes && n++ < MAX_SCAN && (e = readdir(d)))
		yes = e->d_type == DT_SOCK;
	closedir(d);
	return yes;
}

static void add_prog(struct policy_plan *pp, const char *cmd, const char *origin)
{
	pp->progs = xrealloc(pp->progs, (pp->n_progs + 1) * sizeof(*pp->progs));
	pp->progs[pp->n_progs++] = (struct policy_prog){xstrdup(cmd), origin};
}

void policy_plan_build(struct policy_plan *pp, const struct cli *c, const struct profile *prof,
                       int tier)
{
	pp->print_input = c->policy_input;
	pp->timeout_ms =
	    prof->policy.timeout_ms ? prof->policy.timeout_ms : POLICY_DEFAULT_TIMEOUT_MS;
	if (prof->policy.exec)
		add_prog(pp, prof->policy.exec, "policy.exec");
	for (size_t i = 0; i < c->policy_exec.n; i++)
		add_prog(pp, c->policy_exec.v[i], "--policy-exec");
	policy_rules_copy(&pp->rules, &prof->policy.rules);
	plan_labels(pp, prof, tier);
}

void policy_plan_sockets(struct policy_plan *pp, const struct mount_op *m, size_t n,
                         const char *bound_workspace)
{
	if (bound_workspace && holds_socket(bound_workspace))
		strv_push(&pp->sockets, bound_workspace);
	for (size_t i = 0; i < n; i++)
		if ((m[i].kind == MNT_BIND || m[i].kind == MNT_RO_BIND) && m[i].src &&
		    !strv_contains(&pp->sockets, m[i].src) && holds_socket(m[i].src))
			strv_push(&pp->sockets, m[i].src);
}

bool policy_plan_is_socket(const struct policy_plan *pp, const char *path)
{
	return path && strv_contains(&pp->sockets, path);
}

void policy_plan_free(struct policy_plan *pp)
{
	for (size_t i = 0; i < pp->n_progs; i++)
		free(pp->progs[i].cmd);
	free(pp->progs);
	policy_rules_free(&pp->rules);
	strv_free(&pp->labels);
	strv_free(&pp->sockets);
	*pp = (struct policy_plan){0};
}
