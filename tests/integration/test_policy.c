/* Policy as code (issue 15), root and rootless: the decision point decides before any part of
 * the sandbox exists and fails closed; the blueprint's three rules, built in and through a
 * decision program of the tests' own (tests/policy/decide.py: OPA is not packaged for Debian);
 * golden --policy-input files of every shipped profile; learn -> enforce in a test world; the
 * profile score's order and threshold. */
#define _GNU_SOURCE
#include "harness.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define P "/probes/probe"

TestSuite(policy, .fini = world_cleanup);

static char *cat3(const char *a, const char *b, const char *c)
{
	char *s;

	cr_assert(asprintf(&s, "%s%s%s", a, b, c) > 0);
	return s;
}

/* The decision program, copied where the launcher's user can read it; the --policy-exec
 * command line for one of its modes. */
static char *decider(const char *ws, const char *mode)
{
	char *src = cat3(getenv("CIS_TESTS"), "/policy/decide.py", "");
	char *dst = cat3(ws, "/decide.py", ""), *text = read_text(src), *cmd;

	cr_assert(text, "%s", src);
	write_text(dst, text);
	chmod(dst, 0644);
	cr_assert(asprintf(&cmd, "python3 %s %s", dst, mode) > 0);
	free(src);
	free(dst);
	free(text);
	return cmd;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *in_ws(const char *ws, const char *name)
{
	return cat3(ws, "/", name);
}

/* A deny: exit 125 naming the decider and its reason, decided while the launcher had no
 * child but the decision program (no sandbox init, so no namespace and no cgroup), the job
 * never ran, and the audit log has the decision and the setup error but no sandbox. */
DUAL_TEST(policy, exec_deny_before_any_sandbox, .timeout = 60)
{
	char *ws = tmpdir_for(m), *rec = in_ws(ws, "seen.txt"), *log = in_ws(ws, "audit.jsonl");
	char *mode = cat3("record ", rec, ""), *cmd = decider(ws, mode), *text;
	struct result r;

	run_sh_with(m, &r, ws, ARGS("--policy-exec", cmd, "--audit-log", log, "--bind", ws),
	            "echo ran > ran.txt; echo job ran");
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "--policy-exec 'python3 ") && strstr(r.err, "the run is denied: "
	                                                                    "recorded"),
	          "%s", r.err);
	cr_assert_str_eq(r.out, "");
	text = read_text(rec);
	cr_assert(text && strstr(text, "launcher=yes children=1 profile=untrusted"), "%s", text);
	free(text);
	text = in_ws(ws, "ran.txt");
	cr_assert(access(text, F_OK) != 0, "the job ran");
	free(text);
	text = read_text(log);
	cr_assert(strstr(text, "\"event\":\"policy.decision\"") &&
	              strstr(text, "\"allow\":false,\"reasons\":[\"recorded\"]"),
	          "%s", text);
	cr_assert(strstr(text, "\"reason\":\"setup-error\""), "%s", text);
	cr_assert_null(strstr(text, "sandbox.create"), "%s", text);
	free(text);
	result_free(&r);
	free(rec), free(log), free(mode), free(cmd);
	dir_done(ws);
}

/* An allow: the job runs, and the decision is on record before the sandbox. */
DUAL_TEST(policy, exec_allow_runs_the_job, .timeout = 60)
{
	char *ws = tmpdir_for(m), *log = in_ws(ws, "audit.jsonl"), *cmd = decider(ws, "allow");
	char *text;
	struct result r;

	run_sh_with(m, &r, ws, ARGS("--policy-exec", cmd, "--audit-log", log), "echo job ran");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "job ran\n");
	text = read_text(log);
	cr_assert(strstr(text, "\"decider\":\"--policy-exec\"") && strstr(text, "\"allow\":true"),
	          "%s", text);
	cr_assert(strstr(text, "policy.decision") < strstr(text, "sandbox.create"), "%s", text);
	free(text);
	result_free(&r);
	free(log), free(cmd);
	dir_done(ws);
}

/* A program that never answers: refused when policy.timeout is up, and gone with its group. */
DUAL_TEST(policy, exec_timeout_fails_closed, .timeout = 60)
{
	char *ws = tmpdir_for(m), *prof = in_ws(ws, "slow.json"), marker[64], *cmd;
	struct result r;

	snprintf(marker, sizeof(marker), "sleep polt%d%d", getpid(), m);
	cmd = decider(ws, marker);
	write_text(prof, "{\"extends\": \"untrusted\", \"policy\": {\"timeout\": \"1s\"}}");
	run_sh_with(m, &r, ws, ARGS("-p", prof, "--policy-exec", cmd), "echo job ran");
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "no decision (timed out after 1s): the run is refused"), "%s",
	          r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert(host_process_gone(marker + 6, 2000), "the decision program is still there");
	result_free(&r);
	free(prof), free(cmd);
	dir_done(ws);
}

/* Garbage, an undefined decision, a crash and a failure are no decision: refused. */
DUAL_TEST(policy, exec_no_answer_fails_closed, .timeout = 60)
{
	static const char *const modes[][2] = {
	    {"garbage", "its answer: not JSON"},
	    {"undefined", "no \"result\" (an undefined decision)"},
	    {"crash", "killed by signal SEGV"},
	    {"fail", "exited with status 3"},
	};
	char *ws = tmpdir_for(m);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		/* exec: a shell in between would turn the signal into status 139. */
		char *prog = decider(ws, modes[i][0]), *cmd = cat3("exec ", prog, "");
		struct result r;

		run_sh_with(m, &r, ws, ARGS("--policy-exec", cmd), "echo job ran");
		cr_assert_eq(r.status, 125, "%s: %s", modes[i][0], r.err);
		cr_assert(strstr(r.err, modes[i][1]) && strstr(r.err, "the run is refused"),
		          "%s: %s", modes[i][0], r.err);
		cr_assert_str_eq(r.out, "");
		result_free(&r);
		free(prog);
		free(cmd);
	}
	dir_done(ws);
}

/* The blueprint's plans: the default profile on an ephemeral runner, a privileged job, a
 * docker.sock mount, a runner without the label, a token for a 2 h job, and for a 30 min one. */
struct bp_case {
	const char *name, *profile, *flag, *flag_arg;
	bool labelled, token;
	int status;
	const char *builtin_says, *program_says;
};

static const char RULES[] = "\"policy\": {\"rules\": {\"deny_privileged\": true, "
                            "\"deny_host_sockets\": true, \"require_labels\": [\"ephemeral\"], "
                            "\"max_token_ttl\": \"60m\"}}";

static const struct bp_case cases[] = {
    {"default", "\"extends\": \"untrusted\"", NULL, NULL, true, false, 0, NULL, NULL},
    {"privileged", "\"extends\": \"untrusted\", \"seccomp\": {\"allow\": [\"mount\"]}", NULL, NULL,
     true, false, 125, "deny_privileged: seccomp allows mount",
     "privileged job: seccomp allows mount"},
    {"docker.sock", "\"extends\": \"untrusted\"", "--ro-bind", "SOCK", true, false, 125,
     "deny_host_sockets: host socket ", "host socket "},
    {"unlabelled", "\"extends\": \"untrusted\"", NULL, NULL, false, false, 125,
     "require_labels: the run has no label \"ephemeral\"", "not labelled ephemeral"},
    {"token 2h",
     "\"extends\": \"trusted\", \"env\": {\"pass\": [\"GITHUB_TOKEN\"]}, "
     "\"limits\": {\"timeout\": \"2h\"}",
     NULL, NULL, true, true, 125,
     "max_token_ttl: tokens (GITHUB_TOKEN) reach a job of up to 120 "
     "minutes",
     "job token TTL 120 minutes is above 60"},
    {"token 30m",
     "\"extends\": \"trusted\", \"env\": {\"pass\": [\"GITHUB_TOKEN\"]}, "
     "\"limits\": {\"timeout\": \"2h\"}",
     "--timeout", "30m", true, true, 0, NULL, NULL},
};

/* One case as a dry run (the policy decides there too): its profile, labels, token, flag. */
static void bp_run(enum mode m, bool builtin, const struct bp_case *c, const char *ws,
                   const char *prof, const char *cmd, const char *sock_spec)
{
	const char *env[3] = {NULL, NULL, NULL}, *argv[16];
	const char *says = builtin ? c->builtin_says : c->program_says;
	char *text = cat3("{", c->profile, builtin ? ", " : "}");
	char *full = builtin ? cat3(text, RULES, "}") : strdup(text);
	struct result r;
	int e = 0, a = 0;

	write_text(prof, full);
	if (c->labelled)
		env[e++] = "CISANDBOX_RUNNER_LABELS=self-hosted,ephemeral";
	if (c->token)
		env[e++] = "GITHUB_TOKEN=ghs_test";
	argv[a++] = "run", argv[a++] = "-p", argv[a++] = prof, argv[a++] = "-w";
	argv[a++] = ws, argv[a++] = "--dry-run";
	if (!builtin)
		argv[a++] = "--policy-exec", argv[a++] = cmd;
	if (c->flag)
		argv[a++] = c->flag,
		argv[a++] = strcmp(c->flag_arg, "SOCK") ? c->flag_arg : sock_spec;
	argv[a++] = "--", argv[a++] = "true", argv[a] = NULL;
	cis_run(m, &r, env, argv);
	cr_assert_eq(r.status, c->status, "%s (%s): %s", c->name,
	             builtin ? "policy.rules" : "decision program", r.err);
	if (says)
		cr_assert(strstr(r.err, says), "%s: %s", c->name, r.err);
	result_free(&r);
	free(text);
	free(full);
}

static void blueprint(enum mode m, bool builtin)
{
	/* The socket below the workspace: a bound workspace (trusted) holding one counts too. */
	char *ws = tmpdir_for(m), *dir = in_ws(ws, "run"), *sock = in_ws(ws, "run/docker.sock");
	char *prof = in_ws(ws, "bp.json"), *cmd = decider(ws, "blueprint");
	char *spec = cat3(sock, ":/var/run/docker.sock", "");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	cr_assert(mkdir(dir, 0755) == 0);
	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bp_run(m, builtin, &cases[i], ws, prof, cmd, spec);
	close(fd);
	free(dir), free(sock), free(prof), free(cmd), free(spec);
	dir_done(ws);
}

DUAL_TEST(policy, blueprint_rules_builtin, .timeout = 60)
{
	blueprint(m, true);
}

DUAL_TEST(policy, blueprint_rules_decision_program, .timeout = 60)
{
	blueprint(m, false);
}

/* Replace every occurrence of from in text by to (the workspace differs root/rootless). */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t n = 0, lf = strlen(from), lt = strlen(to);
	char *out, *w;

	for (const char *p = text; (p = strstr(p, from)); p += lf)
		n++;
	out = w = malloc(strlen(text) + n * lt + 1);
	for (const char *p = text, *q; (q = strstr(p, from)) || *p; p = q + lf) {
		if (!q) {
			strcpy(w, p);
			return out;
		}
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		memcpy(w, to, lt);
		w += lt;
	}
	*w = '\0';
	return out;
}

/* --policy-input of every shipped profile, a fixed command and environment; the workspace
 * path is written /WS. One golden file for both modes: the input does not depend on it. */
DUAL_TEST(policy, input_golden_every_profile, .timeout = 60)
{
	static const char *const names[] = {"untrusted",   "trusted",       "gitlab",
	                                    "github",      "forgejo",       "runner",
	                                    "github-hook", "forgejo-runner"};
	char *ws = tmpdir_for(m), *dirs[4], *envs[4];

	dirs[0] = in_ws(ws, "work"), dirs[1] = in_ws(ws, "temp"), dirs[2] = in_ws(ws, "act");
	dirs[3] = in_ws(ws, "act/workflow");
	for (int i = 0; i < 4; i++)
		cr_assert(mkdir(dirs[i], 0755) == 0 &&
		          (m == ROOT || chown(dirs[i], 65534, 65534) == 0));
	envs[0] = cat3("GITHUB_WORKSPACE=", dirs[0], "");
	envs[1] = cat3("RUNNER_TEMP=", dirs[1], "");
	envs[2] = cat3("GITHUB_ENV=", dirs[3], "/envs.txt");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *env[] = {"TERM=xterm", "HOME=/nonexistent", envs[0], envs[1], envs[2],
		                     NULL};
		char golden[96], *norm;
		struct result r;

		cis_run(
		    m, &r, env,
		    ARGS("run", "-p", names[i], "-w", ws, "--policy-input", "--", "make", "test"));
		cr_assert_eq(r.status, 0, "%s: %s", names[i], r.err);
		norm = replace_all(r.out, ws, "/WS");
		snprintf(golden, sizeof(golden), "policy-input-%s.json", names[i]);
		golden_compare(golden, norm);
		free(norm);
		result_free(&r);
	}
	for (int i = 0; i < 4; i++)
		free(dirs[i]);
	for (int i = 0; i < 3; i++)
		free(envs[i]);
	dir_done(ws);
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool has(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return true;
	}
	return false;
}

/* The acceptance: a job that fetches two names, makes one grantable denied syscall
 * and one unshare, run with --learn; with the learned profile it runs with no refused flow
 * or lookup and the unshare as its only denial. */
DUAL_TEST(policy, learn_then_enforce, .timeout = 90)
{
	const char *script =
	    FETCH "pkg.allowed.test 80; " FETCH "evil.test 8443; " P " call memfd_secret unshare";
	const char *want = "hello 198.51.100.10:80\nhello 203.0.113.7:8443\nmemfd_secret=OK\n"
	                   "unshare=EPERM\n";
	char *ws = tmpdir_for(m), *out = in_ws(ws, "learned.json"), *log = in_ws(ws, "a.jsonl");
	struct world wd;
	struct result r;
	cJSON *prof;
	char *text;

	world_up(&wd);
	run_sh_with(m, &r, ws, ARGS("--learn", out), script);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	result_free(&r);
	text = read_text(out);
	prof = cJSON_Parse(text);
	cr_assert(prof, "%s", text);
	cr_assert_str_eq(get(prof, "extends")->valuestring, "untrusted");
	cr_assert_str_eq(get(get(prof, "network"), "mode")->valuestring, "allowlist", "%s", text);
	cr_assert_eq(cJSON_GetArraySize(get(get(prof, "network"), "allow")), 2, "%s", text);
	cr_assert(has(get(get(prof, "network"), "allow"), "pkg.allowed.test:80") &&
	              has(get(get(prof, "network"), "allow"), "evil.test:8443"),
	          "%s", text);
	cr_assert(has(get(get(prof, "seccomp"), "allow"), "memfd_secret"), "%s", text);
	cr_assert(!has(get(get(prof, "seccomp"), "allow"), "unshare"), "%s", text);
	cr_assert(strstr(get(prof, "description")->valuestring, "unshare (namespaces)"), "%s",
	          text);
	cJSON_Delete(prof);
	free(text);
	run_sh_with(m, &r, ws, ARGS("-p", out, "--audit-log", log), script);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	text = read_text(log);
	cr_assert_eq(count(text, "\"event\":\"policy.deny\""), 1, "%s", text);
	cr_assert(strstr(text, "\"kind\":\"syscall\",\"syscall\":\"unshare\""), "%s", text);
	cr_assert_null(strstr(text, "dns.deny"), "%s", text);
	free(text);
	result_free(&r);
	world_down(&wd);
	free(out), free(log);
	dir_done(ws);
}

static double score_of(enum mode m, const char *name)
{
	struct result r;
	cJSON *o;
	double s;

	cis_run(m, &r, NULL, ARGS("profile", "score", name, "--json"));
	cr_assert_eq(r.status, 0, "%s: %s", name, r.err);
	o = cJSON_Parse(r.out);
	cr_assert(cJSON_IsNumber(get(o, "score")), "%s", r.out);
	s = get(o, "score")->valuedouble;
	cr_assert(cJSON_GetArraySize(get(o, "exposures")) > 10, "%s", r.out);
	cJSON_Delete(o);
	result_free(&r);
	return s;
}

/* untrusted is the safest shipped profile, trusted and runner are worse; a profile that
 * allows mount is worse than the one it extends; --threshold gates (exit 1 above). */
DUAL_TEST(policy, score_orders_and_gates, .timeout = 60)
{
	static const char *const names[] = {"trusted", "gitlab",      "github",        "forgejo",
	                                    "runner",  "github-hook", "forgejo-runner"};
	double untrusted = score_of(m, "untrusted");
	char *ws = tmpdir_for(m), *prof = in_ws(ws, "mount.json");
	struct result r;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert(score_of(m, names[i]) > untrusted, "%s", names[i]);
	cr_assert(score_of(m, "runner") > untrusted + 1 && score_of(m, "trusted") > untrusted + 1);
	write_text(prof, "{\"extends\": \"untrusted\", \"seccomp\": {\"allow\": [\"mount\"]}}");
	cr_assert(score_of(m, prof) > untrusted);
	cis_run(m, &r, NULL, ARGS("profile", "score", "trusted", "--threshold", "1"));
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.out, "seccomp.privileged") &&
	              strstr(r.out, "is above the threshold 1.0"),
	          "%s", r.out);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("profile", "score", "untrusted", "--threshold", "9.5"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	result_free(&r);
	cis_run(m, &r, NULL, ARGS("profile", "score", "untrusted", "--threshold", "lots"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "--threshold lots: not a number from 0 to 10"), "%s", r.err);
	result_free(&r);
	free(prof);
	dir_done(ws);
}

/* Bad policy settings name the field or flag, exit 125, and start nothing. */
DUAL_TEST(policy, bad_settings_named, .timeout = 60)
{
	static const char *const bad[][2] = {
	    {"{\"policy\": {\"rulez\": {}}}", "policy: unknown key \"rulez\""},
	    {"{\"policy\": {\"rules\": {\"max_token_ttl\": 60}}}",
	     "policy.rules.max_token_ttl: must be a duration"},
	    {"{\"policy\": {\"labels\": [\"has space\"]}}", "policy.labels[0]: must be a label"},
	    {"{\"policy\": {\"exec\": \"\"}}", "policy.exec: must be a command line"},
	};
	char *ws = tmpdir_for(m), *prof = in_ws(ws, "bad.json"), *out = in_ws(ws, "l.json");
	struct result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(prof, bad[i][0]);
		run_sh_with(m, &r, ws, ARGS("-p", prof), "echo job ran");
		cr_assert_eq(r.status, 125, "%s", bad[i][0]);
		cr_assert(strstr(r.err, bad[i][1]), "%s: %s", bad[i][0], r.err);
		cr_assert_str_eq(r.out, "");
		result_free(&r);
	}
	run_sh_with(m, &r, ws, ARGS("--learn", out, "--dry-run"), "true");
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "--learn: needs a real run (not with --dry-run)"), "%s", r.err);
	result_free(&r);
	free(prof), free(out);
	dir_done(ws);
}
