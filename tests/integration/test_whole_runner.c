/* Whole-runner modes: the boundary for GitHub's and Forgejo's runners where no per-step hook
 * exists or is wanted. A stand-in runner (a script doing what the real one does, from its
 * source) runs inside `cisandbox run`, as root and as the runner's service account, in a
 * test-made network world with a stand-in Forgejo API (python3 in the world's server
 * namespace, at allowed.test:8080):
 *   forgejo-runner register / one-job (Forgejo runner v12 internal/app/cmd/{register,job}.go):
 *     register pings and registers over /api/actions (Connect paths) and writes .runner
 *     ({id, uuid, name, token, address, labels}); one-job reads .runner, fetches one task
 *     with x-runner-uuid / x-runner-token, runs its step as act does in host mode
 *     ($HOME/.cache/act/<16 hex>/{hostexecutor,tmp,act/workflow}, bash on workflow/0.sh),
 *     and exits;
 *   GitHub's run.sh --jitconfig (Runner.Listener): the base64 JSON {file: base64 content}
 *     written into the runner's directory (.runner, .credentials, .credentials_rsaparams),
 *     then _diag and _work used. */
#define _GNU_SOURCE
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(whole, .fini = world_cleanup);

/* What an earlier test that failed (and so skipped api_down) left in /etc/netns. */
static void sweep_etc_netns(void)
{
	DIR *d = opendir("/etc/netns");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int pid;

		if (sscanf(e->d_name, "cisw%d", &pid) == 1 && kill(pid, 0) != 0)
			rm_rf(cat("/etc/netns/", e->d_name));
	}
	if (d)
		closedir(d);
}

static void put(enum mode m, const char *path, const char *text, mode_t mode)
{
	write_text(path, text);
	chmod(path, mode);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

static void dir(enum mode m, const char *path)
{
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "%s", path);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The stand-in Forgejo API: Connect-style POSTs under /api/actions and the REST call that
 * removes a runner; every request is logged (method, path, runner headers). */
static const char api_py[] =
    "import http.server, json, sys\n"
    "log, task = sys.argv[1], open(sys.argv[2]).read()\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "  def reply(self, code, body):\n"
    "    b = json.dumps(body).encode()\n"
    "    self.send_response(code); self.send_header('Content-Type', 'application/json')\n"
    "    self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)\n"
    "  def note(self):\n"
    "    with open(log, 'a') as f:\n"
    "      f.write('%s %s uuid=%s token=%s auth=%s\\n' % (self.command, self.path,\n"
    "        self.headers.get('x-runner-uuid'), self.headers.get('x-runner-token'),\n"
    "        self.headers.get('Authorization')))\n"
    "  def do_POST(self):\n"
    "    self.rfile.read(int(self.headers.get('Content-Length') or 0)); self.note()\n"
    "    if self.path.endswith('/Register'):\n"
    "      self.reply(200, {'runner': {'id': 7, 'uuid': 'uuid-7', 'token': 'runner-tok-SECRET'}})\n"
    "    elif self.path.endswith('/FetchTask'):\n"
    "      self.reply(200, {'task': {'id': 1, 'script': task}})\n"
    "    else:\n"
    "      self.reply(200, {})\n"
    "  def do_DELETE(self):\n"
    "    self.note(); self.reply(204, {})\n"
    "  def log_message(self, *a):\n"
    "    pass\n"
    "http.server.HTTPServer(('198.51.100.10', 8080), H).serve_forever()\n";

/* The stand-in forgejo-runner. */
static const char runner_sh[] =
    "#!/bin/sh\n"
    "set -eu\n"
    "post() { python3 -c 'import json,sys,urllib.request as u\n"
    "r=u.Request(sys.argv[1],data=b\"{}\",headers={\"x-runner-uuid\":sys.argv[2],\n"
    "  \"x-runner-token\":sys.argv[3],\"Content-Type\":\"application/json\"})\n"
    "print(u.urlopen(r,timeout=5).read().decode())' \"$@\"; }\n"
    "field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "
    ".runner \"$1\"; }\n"
    "case $1 in\n"
    "register)\n"
    "  shift; while [ $# -gt 0 ]; do case $1 in\n"
    "    --instance) inst=$2; shift;; --token) tok=$2; shift;; --name) name=$2; shift;;\n"
    "    --labels) labels=$2; shift;; esac; shift; done\n"
    "  post \"$inst/api/actions/ping.v1.PingService/Ping\" - - >/dev/null\n"
    "  post \"$inst/api/actions/runner.v1.RunnerService/Register\" - \"$tok\" | python3 -c '\n"
    "import json,sys; r=json.load(sys.stdin)[\"runner\"]\n"
    "json.dump({\"id\":r[\"id\"],\"uuid\":r[\"uuid\"],\"name\":sys.argv[1],"
    "\"token\":r[\"token\"],\"address\":sys.argv[2],\"labels\":sys.argv[3].split(\",\")},"
    "open(\".runner\",\"w\"),indent=2)' \"$name\" \"$inst\" \"$labels\";;\n"
    "one-job)\n"
    "  addr=$(field address) uuid=$(field uuid) tok=$(field token)\n"
    "  post \"$addr/api/actions/runner.v1.RunnerService/Declare\" \"$uuid\" \"$tok\" >/dev/null\n"
    "  post \"$addr/api/actions/runner.v1.RunnerService/FetchTask\" \"$uuid\" \"$tok\" |\n"
    "    python3 -c 'import json,sys; print(json.load(sys.stdin)[\"task\"][\"script\"])' "
    ">task.sh\n"
    "  d=$HOME/.cache/act/0123456789abcdef\n"
    "  mkdir -p \"$d/hostexecutor\" \"$d/tmp\" \"$d/act/workflow\"\n"
    "  cp task.sh \"$d/act/workflow/0.sh\"\n"
    "  (cd \"$d/hostexecutor\" && GITHUB_WORKSPACE=$PWD bash --noprofile --norc -e -o pipefail "
    "\"$d/act/workflow/0.sh\")\n"
    "  rm -rf \"$d\";;\n"
    "esac\n";

struct api {
	pid_t pid;
	char *log;
	char *etc; /* /etc/netns/W: the world's resolver for `ip netns exec` on the host side */
};

static void api_up(struct api *a, const struct world *wd, const char *root, const char *task)
{
	char *py = cat(root, "/api.py"), *taskf = cat(root, "/task.txt"), path[128];

	a->log = cat(root, "/api.log");
	/* Host-side commands in W (the registration) resolve through the world's DNS server,
	 * never the host's. */
	sweep_etc_netns();
	a->etc = cat("/etc/netns/", wd->w);
	cr_assert(mkdir("/etc/netns", 0755) == 0 || errno == EEXIST);
	cr_assert(mkdir(a->etc, 0755) == 0 || errno == EEXIST);
	write_text(cat(a->etc, "/resolv.conf"), "nameserver " WORLD_DNS "\n");
	write_text(py, api_py);
	write_text(taskf, task);
	write_text(a->log, "");
	snprintf(path, sizeof(path), "/run/netns/%s", wd->s);
	a->pid = fork();
	cr_assert(a->pid >= 0);
	if (a->pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(1);
		execl("/usr/bin/python3", "python3", py, a->log, taskf, (char *)NULL);
		_exit(2);
	}
	for (int i = 0; i < 100; i++) { /* until it listens */
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
		         "ip netns exec %s python3 -c 'import socket; "
		         "socket.create_connection((\"198.51.100.10\", 8080), 1)' 2>/dev/null",
		         wd->w);
		if (system(cmd) == 0)
			return;
		usleep(50000);
	}
	cr_assert_fail("the stand-in Forgejo API did not start");
}

static void api_down(struct api *a)
{
	kill(a->pid, SIGKILL);
	waitpid(a->pid, NULL, 0);
	rm_rf(a->etc);
	rmdir("/etc/netns"); /* only if empty */
}

/* The job's step, fetched as a task: it may reach the Forgejo host and nothing else, and sees
 * nothing of the host but the runner's own directory. */
static char *task_for(const char *home)
{
	char *t;

	cr_assert(asprintf(&t,
	                   "python3 -c 'import urllib.request as u; u.urlopen(u.Request("
	                   "\"http://allowed.test:8080/api/actions/ping.v1.PingService/Ping\", "
	                   "data=b\"{}\"), timeout=5); print(\"forgejo reachable\")'\n" FETCH
	                   "evil.test 80\n" FETCH "203.0.113.7 80\n"
	                   "echo planted > /workspace/planted-by-the-job\n"
	                   "cat %s/secret 2>/dev/null && echo LEAK || echo home hidden\n"
	                   "ls %s/runners 2>/dev/null && echo LEAK || echo runners hidden\n"
	                   "grep -c runner-tok-SECRET /workspace/.runner\n"
	                   "echo step ran in $PWD\n",
	                   home, home) > 0);
	return t;
}

DUAL_TEST(whole, forgejo_runner_one_job, .timeout = 120)
{
	struct world wd;
	struct api api;
	struct result r;
	char *root = tmpdir_for(m), *home = cat(root, "/home"), *rdir, *prof, *bin;

	world_up(&wd);
	dir(m, home);
	put(m, cat(home, "/secret"), "host home secret\n", 0600);
	dir(m, cat(home, "/runners"));
	rdir = cat(home, "/runners/r1");
	dir(m, rdir);
	dir(m, cat(home, "/runners/other"));
	put(m, cat(home, "/runners/other/.runner"), "{\"token\": \"other-SECRET\"}", 0600);
	bin = cat(rdir, "/forgejo-runner");
	put(m, bin, runner_sh, 0755);
	prof = cat(root, "/forgejo-runner-test.json");
	put(m, prof,
	    "{\"extends\": \"forgejo-runner\", \"network\": {\"dns_upstream\": [\"" WORLD_DNS
	    "\"], \"allow\": [\"allowed.test:8080\"]}}",
	    0644);
	api_up(&api, &wd, root, task_for(home));
	/* Registration happens outside the sandbox (forgejo-ephemeral.sh does this). */
	cr_assert(system(cat(cat(cat("cd ", rdir), " && ip netns exec "),
	                     cat(wd.w, " ./forgejo-runner register --no-interactive --instance "
	                               "http://allowed.test:8080 --token reg-SECRET --name r1 "
	                               "--labels host:host"))) == 0);
	if (m == ROOTLESS)
		cr_assert(chown(cat(rdir, "/.runner"), 65534, 65534) == 0);
	cis_run(m, &r, NULL,
	        ARGS("run", "--profile", prof, "-w", rdir, "--", "./forgejo-runner", "one-job"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(
	    r.out,
	    "forgejo reachable\ngaierror\nConnectionRefusedError\nhome hidden\nrunners hidden\n"
	    "1\nstep ran in /home/ci/.cache/act/0123456789abcdef/hostexecutor\n");
	/* The runner's working-directory writes are gone; the registration stays on the host
	 * until forgejo-ephemeral.sh removes it. */
	cr_assert(!exists(cat(rdir, "/planted-by-the-job")), "a job's write reached the host");
	cr_assert(!exists(cat(rdir, "/task.sh")), "the runner's own writes reached the host");
	cr_assert(strstr(read_text(api.log), "FetchTask uuid=uuid-7 token=runner-tok-SECRET"), "%s",
	          read_text(api.log));
	api_down(&api);
	result_free(&r);
	world_down(&wd);
	rm_rf(root);
}

/* GitHub's run.sh --jitconfig, stood in for: the JIT config (base64 JSON of base64 files) is
 * written into the runner's directory, the job runs in _work and logs to _diag. */
static const char jit_sh[] =
    "#!/bin/sh\n"
    "set -eu\n"
    "[ \"$1\" = --jitconfig ]\n"
    "printf %s \"$ACTIONS_RUNNER_INPUT_JITCONFIG\" | base64 -d | python3 -c '\n"
    "import base64, json, sys\n"
    "for name, content in json.load(sys.stdin).items():\n"
    "    open(name, \"wb\").write(base64.b64decode(content))'\n"
    "mkdir -p _diag _work/repo/repo\n"
    "echo listener started > _diag/Runner_1.log\n"
    "echo trojan >> bin/Runner.Listener\n"
    "cd _work/repo/repo\n" FETCH "allowed.test 80\n" FETCH "evil.test 80\n"
    "cat ../../../.credentials\n"
    "ls \"$HOST_HOME\" \"$OTHER_RUNNER\" 2>/dev/null && echo LEAK || echo host hidden\n"
    "echo checkout > file.txt && echo job done\n";

DUAL_TEST(whole, github_jit_runner, .timeout = 120)
{
	struct world wd;
	struct result r;
	char *root = tmpdir_for(m), *rdir = cat(root, "/actions-runner"), *prof, *jit, *envv;
	/* {".runner": "{}", ".credentials": "{\"scheme\": \"OAuthAccessToken\"}"} */
	const char *files = "{\".runner\": \"e30=\", \".credentials\": "
	                    "\"eyJzY2hlbWUiOiAiT0F1dGhBY2Nlc3NUb2tlbiJ9\"}";

	world_up(&wd);
	dir(m, rdir);
	dir(m, cat(rdir, "/bin"));
	put(m, cat(rdir, "/bin/Runner.Listener"), "the runner\n", 0755);
	put(m, cat(rdir, "/run.sh"), jit_sh, 0755);
	prof = cat(root, "/runner-test.json");
	put(m, prof,
	    "{\"extends\": \"runner\", \"network\": {\"dns_upstream\": [\"" WORLD_DNS
	    "\"], \"allow\": [\"allowed.test:80\"]}}",
	    0644);
	cr_assert(asprintf(&jit, "%s", files) > 0);
	{
		FILE *p = popen(cat(cat("printf %s '", jit), "' | base64 -w0"), "r");
		char buf[512] = "";

		cr_assert(p && fgets(buf, sizeof(buf), p));
		pclose(p);
		envv = cat("ACTIONS_RUNNER_INPUT_JITCONFIG=", buf);
	}
	dir(m, cat(root, "/home"));
	put(m, cat(root, "/home/secret"), "x", 0600);
	dir(m, cat(root, "/other-runner"));
	cis_run(m, &r,
	        (const char *const[]){envv, cat("HOST_HOME=", cat(root, "/home")),
	                              cat("OTHER_RUNNER=", cat(root, "/other-runner")), NULL},
	        ARGS("run", "--profile", prof, "-w", rdir, "--", "./run.sh", "--jitconfig"));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "hello 198.51.100.10:80\ngaierror\n"
	                        "{\"scheme\": \"OAuthAccessToken\"}host hidden\njob done\n");
	/* Everything the runner wrote is gone with the sandbox; its own files are untouched. */
	for (const char *const *f =
	         (const char *const[]){"/.runner", "/.credentials", "/_diag", "/_work", NULL};
	     *f; f++)
		cr_assert(!exists(cat(rdir, *f)), "%s reached the host", *f);
	cr_assert_str_eq(read_text(cat(rdir, "/bin/Runner.Listener")), "the runner\n");
	result_free(&r);
	world_down(&wd);
	rm_rf(root);
}

/* forgejo-ephemeral.sh against the stand-in API: a registration of its own for the job, the
 * registration token never in the sandbox, one-job sandboxed, the runner removed from the
 * server and its directory from the host. */
DUAL_TEST(whole, forgejo_ephemeral_script, .timeout = 120)
{
	struct world wd;
	struct api api;
	struct step_result r;
	char *root = tmpdir_for(m), *home = cat(root, "/home"), *bin = cat(root, "/bin"), *jobs;
	char *prof, *script, *task, *log;
	const char *env[] = {"LANG=C.UTF-8", NULL, NULL, NULL};
	const char *argv[32];
	int a = 0;

	world_up(&wd);
	dir(m, home);
	put(m, cat(home, "/secret"), "host home secret\n", 0600);
	dir(m, bin);
	put(m, cat(bin, "/forgejo-runner"), runner_sh, 0755);
	jobs = cat(root, "/jobs");
	dir(m, jobs);
	put(m, cat(root, "/registration-token"), "reg-SECRET\n", 0600);
	put(m, cat(root, "/api-token"), "api-SECRET\n", 0600);
	prof = cat(root, "/forgejo-runner-test.json");
	put(m, prof,
	    "{\"extends\": \"forgejo-runner\", \"network\": {\"dns_upstream\": [\"" WORLD_DNS
	    "\"]}}",
	    0644);
	task = cat(task_for(home), "grep -rq reg-SECRE[T] /workspace && echo LEAK || "
	                           "echo registration token hidden\n");
	api_up(&api, &wd, root, task);
	script = cat(getenv("CIS_TESTS"), "/../src/hooks/forgejo-ephemeral.sh");
	env[1] = cat("PATH=", cat(getenv("CIS_IT_DIR"), ":/usr/local/bin:/usr/bin:/bin"));
	env[2] = cat("HOME=", home);
	/* As the operator's service would: in W, where `ip netns exec` gives the host side the
	 * world's resolver; as the runner's account. */
	argv[a++] = "/usr/sbin/ip";
	argv[a++] = "netns";
	argv[a++] = "exec";
	argv[a++] = wd.w;
	if (m == ROOTLESS) {
		argv[a++] = "/usr/bin/setpriv";
		argv[a++] = "--reuid=65534";
		argv[a++] = "--regid=65534";
		argv[a++] = "--clear-groups";
	}
	for (const char *const *s =
	         (const char *const[]){
	             "/bin/sh", script, "--instance", "http://allowed.test:8080", "--token-file",
	             cat(root, "/registration-token"), "--profile", prof, "--dir", jobs, "--runner",
	             cat(bin, "/forgejo-runner"), "--api-token-file", cat(root, "/api-token"),
	             "--delete-url", "http://allowed.test:8080/api/v1/admin/actions/runners/{id}",
	             NULL};
	     *s; s++)
		argv[a++] = *s;
	argv[a] = NULL;
	step_run(&(struct step){.argv = argv, .env = env, .cwd = "/", .as = ROOT}, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "forgejo reachable\ngaierror\nConnectionRefusedError\nhome hidden\n"
	                        "runners hidden\n1\nstep ran in /home/ci/.cache/act/"),
	          "%s", r.out);
	cr_assert(strstr(r.out, "registration token hidden\n"), "%s", r.out);
	log = read_text(api.log);
	cr_assert(strstr(log, "POST /api/actions/runner.v1.RunnerService/Register uuid=- "
	                      "token=reg-SECRET"),
	          "%s", log);
	cr_assert(strstr(log, "FetchTask uuid=uuid-7 token=runner-tok-SECRET"), "%s", log);
	cr_assert(strstr(log, "DELETE /api/v1/admin/actions/runners/7 uuid=None token=None "
	                      "auth=token api-SECRET"),
	          "the runner was not removed from the server: %s", log);
	cr_assert_eq(rmdir(jobs), 0, "the job's directory is still on the host");
	api_down(&api);
	step_result_free(&r);
	world_down(&wd);
	rm_rf(root);
}
