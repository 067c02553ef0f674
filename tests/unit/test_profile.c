/* Unit tests: profile loading, strict validation, extends, and the plan built from it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "plan.h"
#include "profile.h"
#include "seccomp.h"

#include <errno.h>

static char dir[] = "/tmp/cis-unit-XXXXXX";

static void setup(void)
{
	cr_assert(mkdtemp(dir));
	setenv("CISANDBOX_PROFILE_PATH", dir, 1);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void put(const char *name, const char *json)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(json, f);
	fclose(f);
}

/* Load profile `name`; on failure return the message (static). */
static const char *load_err(const char *name)
{
	static struct cis_err err;
	struct profile p;

	memset(&err, 0, sizeof(err));
	if (profile_load(name, &p, &err) == 0) {
		profile_free(&p);
		return NULL;
	}
	return err.msg;
}

#define cr_assert_err(name, needle)                                                                \
	do {                                                                                       \
		const char *_m = load_err(name);                                                   \
		cr_assert_not_null(_m, "%s loaded", name);                                         \
		cr_assert(strstr(_m, needle), "message \"%s\" lacks \"%s\"", _m, needle);          \
	} while (0)

TestSuite(profile, .init = setup, .fini = teardown);

Test(profile, builtins_load)
{
	struct profile p;
	struct cis_err err = {{0}};

	cr_assert_eq(profile_load("untrusted", &p, &err), 0, "%s", err.msg);
	cr_assert_str_eq(p.name, "untrusted");
	cr_assert_str_eq(p.source, "builtin:untrusted");
	cr_assert(p.has_ws_mode && p.ws_mode == WS_OVERLAY);
	cr_assert(p.has_timeout && p.timeout_ms == 6 * 3600 * 1000);
	profile_free(&p);
	cr_assert_eq(profile_load("trusted", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.ws_mode, WS_BIND);
	cr_assert(p.has_timeout, "trusted inherits the timeout of untrusted");
	cr_assert(p.n_mounts > 0, "trusted inherits the masks of untrusted");
	profile_free(&p);
}

Test(profile, search_path_overrides_builtin)
{
	struct profile p;
	struct cis_err err = {{0}};

	put("untrusted", "{\"name\": \"untrusted\", \"limits\": {\"timeout\": \"5m\"}}");
	cr_assert_eq(profile_load("untrusted", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.timeout_ms, 300000);
	cr_assert(strstr(p.source, dir));
	profile_free(&p);
}

Test(profile, strict_errors_name_the_field)
{
	put("unknown_top", "{\"nmae\": \"x\"}");
	cr_assert_err("unknown_top", "unknown key \"nmae\"");
	put("unknown_nested", "{\"filesystem\": {\"workspace\": {\"mdoe\": \"bind\"}}}");
	cr_assert_err("unknown_nested", "filesystem.workspace: unknown key \"mdoe\"");
	put("wrong_type", "{\"filesystem\": {\"tmp_size\": 5}}");
	cr_assert_err("wrong_type", "filesystem.tmp_size: must be a string");
	put("bad_size", "{\"filesystem\": {\"tmp_size\": \"lots\"}}");
	cr_assert_err("bad_size", "filesystem.tmp_size: \"lots\" is not a size");
	put("bad_duration", "{\"limits\": {\"timeout\": \"soon\"}}");
	cr_assert_err("bad_duration", "limits.timeout: \"soon\" is not a duration");
	put("relative", "{\"filesystem\": {\"ro_bind\": [\"/ok\", \"rel/path\"]}}");
	cr_assert_err("relative", "filesystem.ro_bind[1]: \"rel/path\": source must be");
	put("bad_mode", "{\"filesystem\": {\"workspace\": {\"mode\": \"rw\"}}}");
	cr_assert_err("bad_mode", "filesystem.workspace.mode: \"rw\": must be");
	put("bad_env", "{\"env\": {\"pass\": [\"A-B\"]}}");
	cr_assert_err("bad_env", "env.pass[0]");
	put("bad_env_set", "{\"env\": {\"set\": {\"X\": 1}}}");
	cr_assert_err("bad_env_set", "env.set.X: must be a string");
	put("bad_net", "{\"network\": {\"mode\": \"wide-open\"}}");
	cr_assert_err("bad_net", "network.mode");
	put("reserved", "{\"capabilities\": {\"add\": [\"CAP_NET_RAW\"]}}");
	cr_assert_err("reserved", "capabilities: reserved section");
	put("bad_version", "{\"version\": 2}");
	cr_assert_err("bad_version", "version: must be 1");
	put("bad_json", "{\n\"name\": \"x\",\n}");
	cr_assert_err("bad_json", "line 3: invalid JSON");
	cr_assert_err("no_such_profile", "not found");
	cr_assert_err("../etc/passwd", "profile ../etc/passwd");
}

Test(profile, extends_merges_and_detects_cycles)
{
	struct profile p;
	struct cis_err err = {{0}};

	put("base", "{\"name\": \"base\", \"filesystem\": {\"mask\": [\"/etc/a\"], \"tmp_size\": "
	            "\"1G\"}, \"env\": {\"set\": {\"A\": \"1\", \"B\": \"1\"}}}");
	put("child", "{\"name\": \"child\", \"extends\": \"base\", \"filesystem\": {\"mask\": "
	             "[\"/etc/b\"]}, \"env\": {\"set\": {\"B\": \"2\"}}}");
	cr_assert_eq(profile_load("child", &p, &err), 0, "%s", err.msg);
	cr_assert_str_eq(p.name, "child");
	cr_assert_eq(p.n_mounts, 2);
	cr_assert_str_eq(p.mounts[0].dst, "/etc/a");
	cr_assert_str_eq(p.mounts[1].dst, "/etc/b");
	cr_assert_eq(p.tmp_size, 1ull << 30);
	profile_free(&p);
	put("loop_a", "{\"extends\": \"loop_b\"}");
	put("loop_b", "{\"extends\": \"loop_a\"}");
	cr_assert_err("loop_a", "cycle");
	put("self", "{\"extends\": \"self\"}");
	cr_assert_err("self", "cycle");
	put("bad_parent", "{\"extends\": \"bad_size\"}");
	put("bad_size", "{\"filesystem\": {\"tmp_size\": \"lots\"}}");
	cr_assert_err("bad_parent", "bad_size.json: filesystem.tmp_size");
}

/* The plan: env resolution keeps tokens out unless named; later sources override. */
Test(profile, plan_env_and_overrides)
{
	struct profile prof;
	struct plan plan;
	struct cli c;
	struct cis_err err = {{0}};
	char *argv[] = {"cisandbox", "run", "-w", dir,    "-e", "GITHUB_TOKEN", "-e", "B=3",
	                "--timeout", "7s",  "--", "true", NULL};
	bool saw_token = false, saw_other = false, saw_b3 = false;

	put("envp", "{\"env\": {\"pass\": [\"GITHUB_*\", \"CI_*\"], \"set\": {\"B\": \"2\"}}}");
	setenv("GITHUB_TOKEN", "t", 1);
	setenv("GITHUB_REPOSITORY", "o/r", 1);
	setenv("CI_JOB_TOKEN", "t2", 1);
	setenv("CI_REGISTRY_PASSWORD", "p", 1);
	cr_assert_eq(cli_parse(12, argv, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(profile_load("envp", &prof, &err), 0, "%s", err.msg);
	cr_assert_eq(plan_build(&plan, &c, &prof, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < plan.env.n; i++) {
		saw_token |= strcmp(plan.env.v[i], "GITHUB_TOKEN=t") == 0;
		saw_other |= strncmp(plan.env.v[i], "CI_JOB_TOKEN", 12) == 0 ||
		             strncmp(plan.env.v[i], "CI_REGISTRY_PASSWORD", 20) == 0;
		saw_b3 |= strcmp(plan.env.v[i], "B=3") == 0;
		cr_assert(strcmp(plan.env.v[i], "B=2") != 0);
	}
	cr_assert(saw_token, "an explicitly named token passes");
	cr_assert_not(saw_other, "a glob never passes a token");
	cr_assert(saw_b3);
	cr_assert_eq(plan.timeout_ms, 7000);
	cr_assert_str_eq(plan.workspace, dir);
	plan_free(&plan);
	profile_free(&prof);
	cli_free(&c);
}

/* Every name in every group is a syscall libseccomp knows: a typo in the table would silently
 * deny something CI needs (or fail to allow-list it), so it fails here. */
Test(seccomp, group_tables_resolve)
{
	static const char *const names[] = {"@default",   "@basic-io", "@file-system", "@io-event",
	                                    "@ipc",       "@memory",   "@network-io",  "@process",
	                                    "@signal",    "@timer",    "@aio",         "@debug",
	                                    "@privileged"};

	for (size_t g = 0; g < sizeof(names) / sizeof(names[0]); g++) {
		const char *const *calls = cis_seccomp_group(names[g]);

		cr_assert_not_null(calls, "%s", names[g]);
		for (; *calls; calls++)
			cr_assert(cis_seccomp_name_valid(*calls), "%s: %s", names[g], *calls);
	}
}

/* @container never contains what the policy must always deny. */
Test(seccomp, container_excludes_privileged)
{
	struct cis_seccomp s = {0};
	struct strv allow = {0}, deny = {0};
	struct cis_err err = {{0}};

	strv_push(&allow, "@container");
	cr_assert_eq(cis_seccomp_resolve(&s, &allow, &deny, "seccomp.allow", &err), 0, "%s",
	             err.msg);
	for (const char *const *p = cis_seccomp_group("@privileged"); *p; p++)
		cr_assert_not(strv_contains(&s.allow, *p), "%s is allowed", *p);
	cr_assert(strv_contains(&s.allow, "ptrace"));
	cr_assert(strv_contains(&s.allow, "read"));
	cis_seccomp_free(&s);
	strv_free(&allow);
}

Test(seccomp, deny_wins_and_errors_name_the_field)
{
	struct cis_seccomp s = {0};
	struct strv allow = {0}, deny = {0};
	struct cis_err err = {{0}};

	strv_push(&allow, "@timer");
	strv_push(&allow, "keyctl");
	strv_push(&deny, "nanosleep");
	cr_assert_eq(cis_seccomp_resolve(&s, &allow, &deny, "seccomp.allow", &err), 0);
	cr_assert(strv_contains(&s.allow, "keyctl"), "a privileged call named explicitly");
	cr_assert_not(strv_contains(&s.allow, "nanosleep"));
	cr_assert(strv_contains(&s.allow, "clock_gettime"));
	cis_seccomp_free(&s);
	strv_free(&allow);
	strv_free(&deny);
	strv_push(&allow, "read");
	strv_push(&allow, "no_such_call");
	cr_assert_neq(cis_seccomp_resolve(&s, &allow, &deny, "seccomp.allow", &err), 0);
	cr_assert_str_eq(err.msg, "seccomp.allow[1]: unknown syscall \"no_such_call\"");
	cis_seccomp_free(&s);
	strv_free(&allow);
	cr_assert_eq(cis_seccomp_errno("EACCES"), EACCES);
	cr_assert_eq(cis_seccomp_errno("EIO"), -EINVAL);
}

Test(profile, seccomp_section_validated)
{
	put("sc_unknown", "{\"seccomp\": {\"allow\": [\"read\", \"frobnicate\"]}}");
	cr_assert_err("sc_unknown", "seccomp.allow[1]: unknown syscall \"frobnicate\"");
	put("sc_group", "{\"seccomp\": {\"allow\": [\"@nope\"]}}");
	cr_assert_err("sc_group", "seccomp.allow[0]: unknown group \"@nope\"");
	put("sc_priv", "{\"seccomp\": {\"allow\": [\"@privileged\"]}}");
	cr_assert_err("sc_priv", "cannot be allowed as a group");
	put("sc_errno", "{\"seccomp\": {\"errno\": \"EIO\"}}");
	cr_assert_err("sc_errno", "seccomp.errno: \"EIO\": must be EPERM, EACCES or ENOSYS");
	put("sc_log", "{\"seccomp\": {\"log_denied\": \"yes\"}}");
	cr_assert_err("sc_log", "seccomp.log_denied: must be true or false");
	put("sc_key", "{\"seccomp\": {\"alow\": []}}");
	cr_assert_err("sc_key", "seccomp: unknown key \"alow\"");
	put("sc_ok", "{\"seccomp\": {\"allow\": [\"@container\", \"perf_event_open\"], "
	             "\"deny\": [\"ptrace\"], \"errno\": \"ENOSYS\", \"log_denied\": false}}");
	cr_assert_null(load_err("sc_ok"));
}

Test(profile, limits_and_audit_validated)
{
	struct profile p;
	struct cis_err err = {{0}};

	put("lim_ok", "{\"limits\": {\"memory\": \"2G\", \"pids\": 100, \"cpus\": \"1.5\", "
	              "\"nofile\": \"1024\", \"fsize\": \"1G\", \"require_cgroup\": true}, "
	              "\"audit\": {\"log\": \"/var/log/cisandbox.jsonl\"}}");
	cr_assert_eq(profile_load("lim_ok", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.limits.memory, 2ull << 30);
	cr_assert_eq(p.limits.pids, 100);
	cr_assert_eq(p.limits.cpus_milli, 1500);
	cr_assert_eq(p.limits.nofile, 1024);
	cr_assert_eq(p.limits.require_cgroup, 1);
	cr_assert_str_eq(p.audit_log, "/var/log/cisandbox.jsonl");
	profile_free(&p);
	put("lim_pids", "{\"limits\": {\"pids\": \"many\"}}");
	cr_assert_err("lim_pids", "limits.pids: \"many\" is not a positive count");
	put("lim_cpus", "{\"limits\": {\"cpus\": true}}");
	cr_assert_err("lim_cpus", "limits.cpus: must be a string or a number");
	put("lim_mem", "{\"limits\": {\"memory\": \"0\"}}");
	cr_assert_err("lim_mem", "limits.memory");
	put("lim_req", "{\"limits\": {\"require_cgroup\": 1}}");
	cr_assert_err("lim_req", "limits.require_cgroup: must be true or false");
	put("audit_rel", "{\"audit\": {\"log\": \"audit.jsonl\"}}");
	cr_assert_err("audit_rel",
	              "audit.log: \"audit.jsonl\": must be an absolute path, fd:N or journal");
	put("audit_key", "{\"audit\": {\"path\": \"/x\"}}");
	cr_assert_err("audit_key", "audit: unknown key \"path\"");
}

/* A profile from a buffer (a repository's file already read): its extends resolve as usual, its
 * errors name the source given. */
Test(profile, load_text)
{
	struct profile p;
	struct cis_err err = {{0}};

	cr_assert_eq(profile_load_text("{\"extends\": \"untrusted\", \"limits\": {\"pids\": 7}}",
	                               "repo.json", &p, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(p.source, "repo.json");
	cr_assert_eq(p.limits.pids, 7);
	cr_assert_eq(p.limits.memory_pct, 50);
	profile_free(&p);
	cr_assert_lt(profile_load_text("{\"limits\": {\"pids\": \"x\"}}", "repo.json", &p, &err),
	             0);
	cr_assert(strstr(err.msg, "repo.json") && strstr(err.msg, "limits.pids"), "%s", err.msg);
	cr_assert_lt(profile_load_text("{", "repo.json", &p, &err), 0);
	cr_assert(strstr(err.msg, "repo.json: line 1: invalid JSON"), "%s", err.msg);
}

/* A share of RAM replaces a parent's size and the other way round; audit.required and
 * network.helper_required are booleans. */
Test(profile, memory_share_and_required_flags)
{
	struct profile p;
	struct cis_err err = {{0}};

	cr_assert_eq(profile_load("untrusted", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.limits.memory_pct, 50);
	cr_assert_eq(p.limits.memory, 0);
	cr_assert_eq(p.helper_required, 0); /* unset: the plan's default, true */
	profile_free(&p);
	put("mem_size", "{\"extends\": \"untrusted\", \"limits\": {\"memory\": \"1G\"}, "
	                "\"audit\": {\"required\": true, \"log\": \"/x.jsonl\"}, "
	                "\"network\": {\"helper_required\": false}}");
	cr_assert_eq(profile_load("mem_size", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.limits.memory_pct, 0);
	cr_assert_eq(p.limits.memory, 1ull << 30);
	cr_assert(p.audit_required);
	cr_assert_eq(p.helper_required, -1);
	profile_free(&p);
	put("mem_pct", "{\"extends\": \"mem_size\", \"limits\": {\"memory\": \"25%\"}}");
	cr_assert_eq(profile_load("mem_pct", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.limits.memory_pct, 25);
	cr_assert_eq(p.limits.memory, 0);
	profile_free(&p);
	put("mem_0", "{\"limits\": {\"memory\": \"0%\"}}");
	cr_assert_err("mem_0", "limits.memory: \"0%\" is not a size (e.g. 4G) or a share of RAM");
	put("mem_101", "{\"limits\": {\"memory\": \"101%\"}}");
	cr_assert_err("mem_101", "limits.memory");
	put("mem_frac", "{\"limits\": {\"memory\": \"50.5%\"}}");
	cr_assert_err("mem_frac", "limits.memory");
	put("aud_req", "{\"audit\": {\"required\": \"yes\"}}");
	cr_assert_err("aud_req", "audit.required: must be true or false");
	put("ttl_huge", "{\"network\": {\"dns_max_ttl\": 3.6e36}}");
	cr_assert_err("ttl_huge", "network.dns_max_ttl: must be a whole number");
	put("help_req", "{\"network\": {\"helper_required\": 1}}");
	cr_assert_err("help_req", "network.helper_required: must be true or false");
}

/* A FIFO (or a device) named as a profile, or as what one extends, is refused at once: opening
 * it used to wait for a writer, so a profile could hang the launcher. */
Test(profile, fifo_refused_not_waited_for, .timeout = 10)
{
	char fifo[300], json[400];

	snprintf(fifo, sizeof(fifo), "%s/fifo.json", dir);
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	cr_assert_err(fifo, "not a regular file");
	cr_assert_err("fifo", "not a regular file");
	snprintf(json, sizeof(json), "{\"extends\": \"%s\"}", fifo);
	put("extends_fifo", json);
	cr_assert_err("extends_fifo", "not a regular file");
	cr_assert_err("/dev/null", "not a regular file");
}
