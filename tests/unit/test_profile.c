/* Unit tests: profile loading, strict validation, extends, and the plan built from it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plan.h"
#include "profile.h"

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
	put("bad_net", "{\"network\": {\"mode\": \"open\"}}");
	cr_assert_err("bad_net", "network.mode");
	put("reserved", "{\"seccomp\": {\"allow\": [\"@basic-io\"]}}");
	cr_assert_err("reserved", "seccomp: reserved section");
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
