/* Isolation: host secrets, sockets, processes, fds, environment and terminal stay outside. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define P "/probes/probe"

static void mkdir_owned(enum mode m, const char *path)
{
	mkdir(path, 0700);
	if (m == ROOTLESS)
		cr_assert(chown(path, 65534, 65534) == 0);
}

/* Worst case: the workspace *is* the caller's home, with credentials planted in it. */
DUAL_TEST(isolation, home_secrets_masked, .timeout = 60)
{
	char *home = tmpdir_for(m), path[512], env_home[600];
	struct result r;

	snprintf(path, sizeof(path), "%s/.ssh", home);
	mkdir_owned(m, path);
	snprintf(path, sizeof(path), "%s/.ssh/id_ed25519", home);
	write_text(path, "PRIVATE-KEY-SECRET\n");
	snprintf(path, sizeof(path), "%s/.aws", home);
	mkdir_owned(m, path);
	snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	write_text(path, "AWS-SECRET\n");
	snprintf(path, sizeof(path), "%s/.netrc", home);
	write_text(path, "NETRC-SECRET\n");
	snprintf(env_home, sizeof(env_home), "HOME=%s", home);
	cis_run(m, &r, ARGS(env_home),
	        ARGS("run", "-w", home, "--ro-bind", probes_bind(), "--", "sh", "-c",
	             P " read /workspace/.ssh/id_ed25519; " P
	               " read /workspace/.aws/credentials; " P " read /workspace/.netrc; " P
	               " ls /workspace/.ssh; " P " ls /root"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "ENOENT\nENOENT\n(empty)\n\nENOENT\n");
	cr_assert(!strstr(r.out, "SECRET"));
	result_free(&r);
	dir_done(home);
}

/* GitHub runner layout: credentials in the runner root, above _work; and a runner root used
 * directly as the workspace. Neither reaches the job. */
DUAL_TEST(isolation, runner_credentials_unreachable, .timeout = 60)
{
	char *root = tmpdir_for(m), path[512], ws[512];
	struct result r;

	snprintf(path, sizeof(path), "%s/.credentials", root);
	write_text(path, "{\"scheme\":\"OAuth\",\"data\":\"RUNNER-SECRET\"}\n");
	snprintf(path, sizeof(path), "%s/.runner", root);
	write_text(path, "RUNNER-SECRET\n");
	snprintf(ws, sizeof(ws), "%s/_work", root);
	mkdir_owned(m, ws);
	snprintf(path, sizeof(path), "%s/_work/repo", root);
	mkdir_owned(m, path);
	snprintf(path, sizeof(path), "%s/_work/repo/.runner", root);
	write_text(path, "NESTED-RUNNER-SECRET\n");
	run_sh(m, &r, ws, P " read /workspace/repo/.runner; " P " ls /workspace/..");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(!strstr(r.out, "SECRET"), "%s", r.out);
	result_free(&r);
	run_sh(m, &r, root, P " read /workspace/.credentials; " P " read /workspace/.runner");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "(empty)\n(empty)\n");
	result_free(&r);
	dir_done(root);
}

/* A listening docker.sock on the host cannot be reached. Uses the real path only when the
 * host has none (no Docker engine on the test machine), and removes it afterwards. */
DUAL_TEST(isolation, docker_socket_unreachable, .timeout = 60)
{
	const char *sock = "/run/docker.sock";
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char *ws = tmpdir_for(m);
	struct result r;
	int fd = -1;

	if (access(sock, F_OK) != 0) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		strcpy(a.sun_path, sock);
		/* The root and rootless variants run side by side: the one that loses the race
		 * finds the other's socket there, which is as good. */
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == EADDRINUSE) {
			close(fd);
			fd = -1;
		} else {
			cr_assert(listen(fd, 4) == 0);
			chmod(sock, 0666);
		}
	}
	run_sh(m, &r, ws,
	       P " connect /var/run/docker.sock; " P " connect /run/docker.sock; " P
	         " connect /run/containerd/containerd.sock");
	if (fd >= 0) {
		close(fd);
		unlink(sock);
	}
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "ENOENT\nENOENT\nENOENT\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(isolation, only_sandbox_processes_visible, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	/* pid 1 is our init, 2 the shell, 3 the probe: nothing of the host. */
	run_sh(m, &r, ws, P " pids; ps -e --no-headers | wc -l");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "1 2 3\n4\n");
	result_free(&r);
	dir_done(ws);
}

/* fds the caller leaves open (without CLOEXEC, as a careless runner would) do not reach the
 * job; only 0, 1, 2 do. */
DUAL_TEST(isolation, caller_fds_not_inherited, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;
	int a = open("/etc/hostname", O_RDONLY), b = open("/dev/null", O_WRONLY);

	cr_assert(a >= 3 && b >= 3);
	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--ro-bind", probes_bind(), "--", P, "fds"));
	close(a);
	close(b);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "0 1 2\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(isolation, environment_is_clean, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;
	const char *const env[] = {"GITHUB_TOKEN=ghs_SECRET",
	                           "ACTIONS_RUNTIME_TOKEN=rt_SECRET",
	                           "ACTIONS_ID_TOKEN_REQUEST_TOKEN=id_SECRET",
	                           "CI_JOB_TOKEN=glcbt_SECRET",
	                           "CI_REGISTRY_PASSWORD=SECRET",
	                           "FORGEJO_TOKEN=SECRET",
	                           "RANDOM_HOST_VAR=leak",
	                           "TERM=xterm",
	                           "CI=true",
	                           NULL};
	cis_run(m, &r, env, ARGS("run", "-w", ws, "--", "env"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(!strstr(r.out, "SECRET"), "%s", r.out);
	cr_assert(!strstr(r.out, "RANDOM_HOST_VAR"), "%s", r.out);
	cr_assert(strstr(r.out, "TERM=xterm\n") && strstr(r.out, "CI=true\n") &&
	          strstr(r.out, "HOME=/home/ci\n") && strstr(r.out, "PATH="));
	result_free(&r);
	/* Named explicitly, a token passes; -e NAME=VALUE sets. */
	cis_run(m, &r, env,
	        ARGS("run", "-w", ws, "-e", "GITHUB_TOKEN", "-e", "EXTRA=1", "--", "env"));
	cr_assert(strstr(r.out, "GITHUB_TOKEN=ghs_SECRET\n") && strstr(r.out, "EXTRA=1\n"));
	cr_assert(!strstr(r.out, "CI_JOB_TOKEN"));
	result_free(&r);
	dir_done(ws);
}

/* The job is in a new session: the caller's terminal cannot be opened (TIOCSTI injection). */
DUAL_TEST(isolation, no_controlling_terminal, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL, ARGS("run", "-w", ws, "--ro-bind", probes_bind(), "--", P, "tty"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "ENXIO\n");
	result_free(&r);
	dir_done(ws);
}

DUAL_TEST(isolation, identity_and_network, .timeout = 60)
{
	char *ws = tmpdir_for(m);
	struct result r;

	cis_run(m, &r, NULL,
	        ARGS("run", "-w", ws, "--", "sh", "-c",
	             "id -u; id -g; id -G; cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '; "
	             "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -d '\\t'"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "1000\n1000\n1000\nlo\nCapEff:0000000000000000\n"
	                        "CapBnd:0000000000000000\nNoNewPrivs:1\n");
	result_free(&r);
	dir_done(ws);
}

/* As root the job's uid maps to an unprivileged host uid, never 0. */
Test(isolation, root_mode_job_is_not_host_root, .timeout = 60)
{
	char *ws = tmpdir_for(ROOT);
	int out;
	pid_t pid = cis_spawn(ROOT, NULL, ARGS("run", "-w", ws, "--", "sleep", "31337"), &out);
	bool found = false;

	for (int i = 0; i < 100 && !found; i++) {
		char cmd[128];
		FILE *f;

		usleep(20000);
		snprintf(cmd, sizeof(cmd), "ps -o uid=,args= -C sleep");
		f = popen(cmd, "r");
		for (char line[256]; f && fgets(line, sizeof(line), f);) {
			if (strstr(line, "31337")) {
				found = true;
				cr_assert_eq(atol(line), 2147418112L, "host uid: %s", line);
			}
		}
		if (f)
			pclose(f);
	}
	cr_assert(found);
	kill(pid, SIGTERM);
	wait_status(pid);
	close(out);
	dir_done(ws);
}

/* The job's network namespace is one made for it, owned by the sandbox's user namespace (so
 * that no capability of another user namespace reaches it, and the job's own, none, is all it
 * has), with lo up; not the launcher's. (Without a network it is made beside init's setup and
 * handed over: this holds it to what CLONE_NEWNET gave.) */
DUAL_TEST(isolation, network_namespace_owned_by_sandbox, .timeout = 60)
{
	char *ws = tmpdir_for(m), script[64], buf[8] = "", ours[64], theirs[64], path[64];
	struct stat owner_st, user_st;
	pid_t pid, init = 0, job = 0;
	int fd, netfd, owner;

	snprintf(script, sizeof(script), "echo READY; exec sleep 3600.44%d", m);
	pid = cis_spawn(m, NULL, ARGS("run", "-w", ws, "--", "sh", "-c", script), &fd);
	cr_assert(read_job(fd, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0, "%s", buf);
	init = child_named(pid, "cisandbox");
	for (int i = 0; i < 200 && init && !(job = child_named(init, "sleep")); i++)
		usleep(10000);
	cr_assert(job > 0, "init %d, job %d", init, job);
	netns_of(job, theirs, sizeof(theirs));
	netns_of(getpid(), ours, sizeof(ours));
	cr_assert(theirs[0] && strcmp(theirs, ours) != 0, "the job is in the test's %s", ours);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", job);
	cr_assert((netfd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	cr_assert((owner = ioctl(netfd, NS_GET_USERNS)) >= 0, "%s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/ns/user", job);
	cr_assert(fstat(owner, &owner_st) == 0 && stat(path, &user_st) == 0);
	cr_assert(owner_st.st_ino == user_st.st_ino && owner_st.st_dev == user_st.st_dev,
	          "the job's network namespace is owned by another user namespace");
	close(owner);
	close(netfd);
	kill(pid, SIGTERM);
	free(slurp(fd));
	close(fd);
	wait_status(pid);
	dir_done(ws);
}
