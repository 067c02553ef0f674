/* report.c — summarize an audit log (cisandbox report). Every byte of the log is treated as
 * untrusted input: lines that are not JSON objects of schema v1 are counted and skipped. */
#define _GNU_SOURCE
#include "report.h"
#include "util.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

#define MAX_SANDBOXES 4096
#define MAX_DENIED    32

struct sandbox {
	char id[33];
	char *profile;
	char *command;
	char *reason; /* NULL: no job.exit seen */
	char *error;
	int status;
	double duration_ms;
	struct {
		char *what;
		int count;
	} denied[MAX_DENIED];
	int n_denied;
	bool destroyed;
	bool teardown_ok;
	char *ci; /* who ran what from where (sandbox.create's ci), or NULL */
};

struct log {
	struct sandbox *s;
	size_t n;
	size_t bad_lines;
};

static const char *str(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return json_is_string(v) ? v->valuestring : NULL;
}

static double num(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return json_is_number(v) ? v->valuedouble : 0;
}

static struct sandbox *find(struct log *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->s[i].id, id) == 0)
			return &l->s[i];
	if (l->n == MAX_SANDBOXES)
		return NULL;
	l->s = xrealloc(l->s, (l->n + 1) * sizeof(*l->s));
	l->s[l->n] = (struct sandbox){0};
	snprintf(l->s[l->n].id, sizeof(l->s[l->n].id), "%s", id);
	return &l->s[l->n++];
}

/* The strings of a JSON array, joined by sep. */
static char *join(const struct json *arr, const char *sep)
{
	char *out = xstrdup("");
	const struct json *a;

	json_for_each(a, arr)
	{
		char *next;

		if (!json_is_string(a))
			continue;
		next = xasprintf("%s%s%s", out, *out ? sep : "", a->valuestring);
		free(out);
		out = next;
	}
	return out;
}

static void add_denial(struct sandbox *s, const char *what)
{
	for (int i = 0; i < s->n_denied; i++)
		if (strcmp(s->denied[i].what, what) == 0) {
			s->denied[i].count++;
			return;
		}
	if (s->n_denied < MAX_DENIED) {
		s->denied[s->n_denied].what = xstrdup(what);
		s->denied[s->n_denied++].count = 1;
	}
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

/* sandbox.create's ci object, in one line: system repository ref (event, run, job, actor);
 * the fork and why; the tier; the tokens passed and withheld. */
static char *ci_summary(const struct json *ci)
{
	const struct json *tok = json_get(ci, "tokens");
	_cleanup_free_ char *passed = join(json_get(tok, "passed"), ", ");
	_cleanup_free_ char *held = join(json_get(tok, "withheld"), ", ");
	bool fork = json_is_true(json_get(ci, "fork"));

	if (!str(ci, "system"))
		return NULL;
	return xasprintf(
	    "%s %s %s (%s, run %s, job %s, by %s); %s%s%s; tier %s; tokens passed: "
	    "%s; withheld: %s",
	    str(ci, "system"), str(ci, "repository") ? str(ci, "repository") : "?",
	    str(ci, "ref") ? str(ci, "ref") : "?", str(ci, "event") ? str(ci, "event") : "?",
	    str(ci, "run_id") ? str(ci, "run_id") : "?",
	    str(ci, "job_id") ? str(ci, "job_id") : "?", str(ci, "actor") ? str(ci, "actor") : "?",
	    fork ? "a fork" : "not a fork", str(ci, "origin") ? ": " : "",
	    str(ci, "origin") ? str(ci, "origin") : "", str(ci, "tier") ? str(ci, "tier") : "?",
	    *passed ? passed : "none", *held ? held : "none");
}

static void apply(struct sandbox *s, const char *event, const struct json *o)
{
	const struct json *prof = json_get(o, "profile");

	if (strcmp(event, "sandbox.create") == 0) {
		replace(&s->profile, str(prof, "name"));
		free(s->ci);
		s->ci = ci_summary(json_get(o, "ci"));
	} else if (strcmp(event, "job.start") == 0) {
		free(s->command);
		s->command = join(json_get(o, "argv"), " ");
	} else if (strcmp(event, "policy.deny") == 0) {
		const char *kind = str(o, "kind");
		const char *what = kind ? str(o, kind) : NULL;

		if (what)
			add_denial(s, what);
	} else if (strcmp(event, "dns.deny") == 0 && str(o, "name")) {
		_cleanup_free_ char *what = xasprintf("dns %s", str(o, "name"));

		add_denial(s, what);
	} else if (strcmp(event, "job.exit") == 0) {
		replace(&s->reason, str(o, "reason"));
		replace(&s->error, str(o, "error"));
		s->status = (int)num(o, "status");
		s->duration_ms = num(o, "duration_ms");
	} else if (strcmp(event, "sandbox.destroy") == 0) {
		s->destroyed = true;
		s->teardown_ok = json_is_true(json_get(o, "teardown_confirmed"));
	}
}

static void read_line(struct log *l, const char *line)
{
	struct json *o = json_parse(line);
	const char *id = str(o, "sandbox"), *event = str(o, "event");
	struct sandbox *s;

	if (!json_is_object(o) || num(o, "v") != 1 || !id || !event || strlen(id) != 32 ||
	    !(s = find(l, id)))
		l->bad_lines++;
	else
		apply(s, event, o);
	json_free(o);
}

static char *denied_list(const struct sandbox *s)
{
	char *out = xstrdup("");

	for (int i = 0; i < s->n_denied; i++) {
		char *next = xasprintf("%s%s%s x%d", out, i ? ", " : "", s->denied[i].what,
		                       s->denied[i].count);

		free(out);
		out = next;
	}
	return out;
}

static void print_text(const struct log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sandbox *s = &l->s[i];
		_cleanup_free_ char *denied = denied_list(s);

		printf("sandbox %s (profile %s): %s\n", s->id, s->profile ? s->profile : "?",
		       s->command ? s->command : "(no job started)");
		if (s->ci)
			printf("  ci: %s\n", s->ci);
		if (s->reason)
			printf("  ended: %s, exit status %d after %.0f ms%s%s\n", s->reason,
			       s->status, s->duration_ms, s->error ? ": " : "",
			       s->error ? s->error : "");
		else
			printf("  ended: unknown (no job.exit event; the launcher may have been "
			       "killed)\n");
		if (*denied)
			printf("  denied: %s\n", denied);
		printf("  teardown: %s\n", !s->destroyed    ? "not recorded"
		                           : s->teardown_ok ? "confirmed"
		                                            : "INCOMPLETE");
	}
	if (l->bad_lines)
		printf("%zu line(s) were not cisandbox audit events and were skipped\n",
		       l->bad_lines);
}

/* A workflow command's message: %, CR and LF must be escaped or the runner splits the line. */
static void gh_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else
			fputc(*s, out);
	}
}

/* A Markdown table cell: no pipe or newline may end the cell early. */
static void md_cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void gh_annotation(const struct sandbox *s, const char *denied)
{
	static const struct {
		const char *reason, *title, *what;
	} bad[] = {{"timeout", "job timed out", "timed out"},
	           {"oom", "out of memory", "ran out of memory"},
	           {"setup-error", "sandbox setup failed", "could not be started"}};
	const char *cmd = s->command ? s->command : "(no job)";

	for (size_t i = 0; s->reason && i < ARRAY_SIZE(bad); i++) {
		if (strcmp(s->reason, bad[i].reason) != 0)
			continue;
		printf("::error title=cisandbox: %s::", bad[i].title);
		gh_escape(stdout, cmd);
		printf(" %s (sandbox %.8s, profile %s, exit status %d)", bad[i].what, s->id,
		       s->profile ? s->profile : "?", s->status);
		if (s->error) {
			fputs(": ", stdout);
			gh_escape(stdout, s->error);
		}
		putchar('\n');
	}
	if (*denied) {
		printf("::warning title=cisandbox: denied by policy::");
		gh_escape(stdout, cmd);
		printf(" (sandbox %.8s): ", s->id);
		gh_escape(stdout, denied);
		putchar('\n');
	}
	if (!s->reason) {
		printf("::warning title=cisandbox: no exit recorded::");
		gh_escape(stdout, cmd);
		printf(
		    " (sandbox %.8s): the launcher did not record how the job ended; it may have "
		    "been killed\n",
		    s->id);
	}
	if (s->destroyed && !s->teardown_ok)
		printf("::error title=cisandbox: teardown incomplete::sandbox %.8s left something "
		       "behind\n",
		       s->id);
}

static void print_github(const struct log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *denied = denied_list(&l->s[i]);

		gh_annotation(&l->s[i], denied);
	}
	puts("### cisandbox\n");
	puts("| sandbox | profile | command | result | duration | denied |");
	puts("|---|---|---|---|---|---|");
	for (size_t i = 0; i < l->n; i++) {
		const struct sandbox *s = &l->s[i];
		_cleanup_free_ char *denied = denied_list(s);

		printf("| `%.8s` | ", s->id);
		md_cell(stdout, s->profile ? s->profile : "?");
		fputs(" | `", stdout);
		md_cell(stdout, s->command ? s->command : "");
		if (s->reason)
			printf("` | %s (%d) | %.1f s | ", s->reason, s->status,
			       s->duration_ms / 1000.0);
		else
			fputs("` | unknown | ? | ", stdout);
		md_cell(stdout, *denied ? denied : "none");
		puts(" |");
	}
	for (size_t i = 0, first = 1; i < l->n; i++)
		if (l->s[i].ci) {
			printf("%s- `%.8s`: ", first ? "\n" : "", l->s[i].id);
			md_cell(stdout, l->s[i].ci);
			putchar('\n');
			first = 0;
		}
	if (l->bad_lines)
		printf("\n%zu line(s) of the log were not cisandbox audit events.\n", l->bad_lines);
}

static void log_free(struct log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct sandbox *s = &l->s[i];

		free(s->profile);
		free(s->command);
		free(s->reason);
		free(s->error);
		free(s->ci);
		for (int d = 0; d < s->n_denied; d++)
			free(s->denied[d].what);
	}
	free(l->s);
}

int report_main(const char *path, const char *format)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	struct log l = {0};
	char *line = NULL;
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "cisandbox: report %s: %m\n", path);
		return CIS_EXIT_LAUNCHER;
	}
	while (getline(&line, &cap, f) > 0)
		read_line(&l, line);
	free(line);
	if (f != stdin)
		fclose(f);
	if (strcmp(format, "github") == 0)
		print_github(&l);
	else
		print_text(&l);
	log_free(&l);
	return 0;
}
