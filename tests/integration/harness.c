/* harness.c — see harness.h. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

/* The binaries are copied to a world-readable place so that nobody can run them wherever the
 * checkout lives (CI may clone under a 0700 home). */
static char it_dir[] = "/tmp/cis-it-XXXXXX";

static void copy_file(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out;
	char buf[65536];
	size_t n;

	if (!in) {
		fprintf(stderr, "harness: cannot read %s (run via make integration)\n", src);
		exit(2);
	}
	out = fopen(dst, "wb");
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	chmod(dst, 0755);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	const char *bin = getenv("CISANDBOX"), *probes = getenv("CIS_PROBES");
	char dst[256], src[512];

	(void)set;
	if (!bin || !probes) {
		fprintf(stderr, "harness: set CISANDBOX and CIS_PROBES (make integration does)\n");
		exit(2);
	}
	if (!mkdtemp(it_dir) || chmod(it_dir, 0755) < 0)
		exit(2);
	snprintf(dst, sizeof(dst), "%s/cisandbox", it_dir);
	copy_file(bin, dst);
	snprintf(dst, sizeof(dst), "%s/probes", it_dir);
	mkdir(dst, 0755);
	snprintf(src, sizeof(src), "%s/probe", probes);
	snprintf(dst, sizeof(dst), "%s/probes/probe", it_dir);
	copy_file(src, dst);
	setenv("CIS_IT_DIR", it_dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	rm_rf(it_dir);
}

const char *probe_dir(void)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/probes", getenv("CIS_IT_DIR"));
	return buf;
}

const char *probes_bind(void)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "%s/probes:/probes", getenv("CIS_IT_DIR"));
	return buf;
}

const char *cis_netns;

static bool has_arg(const char *const *args, const char *want)
{
	for (; *args; args++)
		if (strcmp(*args, want) == 0)
			return true;
	return false;
}

static void exec_cis(enum mode m, const char *const *env, const char *const *args)
{
	char bin[256], netns[96];
	const char *argv[64];
	char *envp[64];
	int a = 0, e = 0;

	snprintf(bin, sizeof(bin), "%s/cisandbox", getenv("CIS_IT_DIR"));
	if (cis_netns) {
		snprintf(netns, sizeof(netns), "--net=/run/netns/%s", cis_netns);
		argv[a++] = "/usr/bin/nsenter";
		argv[a++] = netns;
	}
	if (m == ROOTLESS) {
		argv[a++] = "/usr/bin/setpriv";
		argv[a++] = "--reuid=65534";
		argv[a++] = "--regid=65534";
		argv[a++] = "--clear-groups";
		argv[a++] = "--inh-caps=-all";
	}
	argv[a++] = bin;
	/* In a test world the resolver's upstream is the world's own DNS server, never the
	 * host's: rule 4 of the brief. */
	if (cis_netns && args && args[0] && strcmp(args[0], "run") == 0 &&
	    !has_arg(args, "--dns-upstream")) {
		argv[a++] = *args++;
		argv[a++] = "--dns-upstream";
		argv[a++] = WORLD_DNS;
	}
	for (; args && *args && a < 63; args++)
		argv[a++] = *args;
	argv[a] = NULL;
	/* The test's own entries first: getenv() takes the first of a name. */
	for (; env && *env && e < 60; env++)
		envp[e++] = (char *)*env;
	envp[e++] = "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[e++] = "LANG=C.UTF-8";
	envp[e] = NULL;
	/* The tests' cwd may not be reachable for nobody; the workspace is always given. */
	if (chdir("/tmp") < 0)
		_exit(120);
	execve(argv[0], (char **)argv, envp);
	_exit(121);
}

/* What a test made and has not cleaned up: a failed assertion ends its body, so its own cleanup
 * never runs (a sandbox polling for a file it waits for would spin on). At the test process's
 * exit (Criterion runs atexit handlers after a failure too) each launcher cis_spawn started and
 * nobody reaped is killed with its process group (it leads one; its sandbox dies with it:
 * PDEATHSIG, the PID namespace, the holder's pipe), and each tmpdir_for directory not yet
 * dir_done is removed (a copy of its name: some tests free their own; removing one already gone
 * is a no-op). */
#define MAX_LEFT 64
static pid_t left_pids[MAX_LEFT];
static char *left_dirs[MAX_LEFT];

static void left_cleanup(void)
{
	for (size_t i = 0; i < MAX_LEFT; i++) {
		/* Only a child still running (not reaped: its pid is still its group's). */
		if (left_pids[i] > 0 && waitpid(left_pids[i], NULL, WNOHANG) == 0) {
			kill(-left_pids[i], SIGKILL);
			waitpid(left_pids[i], NULL, 0);
		}
	}
	for (size_t i = 0; i < MAX_LEFT; i++)
		if (left_dirs[i])
			rm_rf(left_dirs[i]);
}

static void left_track(pid_t pid, const char *dir)
{
	static bool registered;

	if (!registered)
		registered = atexit(left_cleanup) == 0;
	for (size_t i = 0; i < MAX_LEFT; i++)
		if (pid ? !left_pids[i] : !left_dirs[i]) {
			if (pid)
				left_pids[i] = pid;
			else
				left_dirs[i] = strdup(dir);
			return;
		}
}

static void left_done(pid_t pid, const char *dir)
{
	for (size_t i = 0; i < MAX_LEFT; i++) {
		if (pid && left_pids[i] == pid)
			left_pids[i] = 0;
		if (dir && left_dirs[i] && strcmp(left_dirs[i], dir) == 0) {
			free(left_dirs[i]);
			left_dirs[i] = NULL;
		}
	}
}

pid_t cis_spawn(enum mode m, const char *const *env, const char *const *args, int *out_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		exec_cis(m, env, args);
	}
	close(p[1]);
	*out_fd = p[0];
	if (pid > 0)
		left_track(pid, NULL);
	return pid;
}

char *cat(const char *a, const char *b)
{
	char *s;

	cr_assert(asprintf(&s, "%s%s", a, b) > 0);
	return s;
}

char *unwarned(char *s)
{
	char *at;

	while ((at = strstr(s, HOST_WARNING)) && (at == s || at[-1] == '\n')) {
		char *end = strchr(at, '\n');

		memmove(at, end ? end + 1 : at + strlen(at), strlen(end ? end + 1 : "") + 1);
	}
	return s;
}

static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n && ((r = read(fd, buf + got, n - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	return (ssize_t)got;
}

ssize_t read_job(int fd, char *buf, size_t n)
{
	ssize_t r = read_full(fd, buf, n);
	char c;

	if (r <= 0 || strncmp(buf, HOST_WARNING, (size_t)r < n ? (size_t)r : n) != 0)
		return r;
	while (read(fd, &c, 1) == 1 && c != '\n')
		;
	return read_full(fd, buf, n);
}

char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	left_done(pid, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void cis_run(enum mode m, struct result *r, const char *const *env, const char *const *args)
{
	int out[2], err[2];
	pid_t pid;
	struct pollfd pf[2];
	char *bufs[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};

	cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		exec_cis(m, env, args);
	}
	close(out[1]);
	close(err[1]);
	pf[0] = (struct pollfd){out[0], POLLIN, 0};
	pf[1] = (struct pollfd){err[0], POLLIN, 0};
	/* Like a runner: read both pipes until both close. */
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char chunk[4096];
			ssize_t n;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			n = read(pf[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				continue;
			}
			bufs[i] = realloc(bufs[i], lens[i] + (size_t)n + 1);
			memcpy(bufs[i] + lens[i], chunk, (size_t)n);
			lens[i] += (size_t)n;
		}
	}
	r->out = bufs[0] ? bufs[0] : strdup("");
	r->err = bufs[1] ? bufs[1] : strdup("");
	r->out[lens[0]] = '\0';
	r->err[lens[1]] = '\0';
	r->status = wait_status(pid);
}

void run_sh(enum mode m, struct result *r, const char *ws, const char *script)
{
	cis_run(m, r, NULL,
	        ARGS("run", "-w", ws, "--ro-bind", probes_bind(), "--", "sh", "-c", script));
}

void dir_done(char *dir)
{
	left_done(0, dir);
	rm_rf(dir);
	free(dir);
}

void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

char *tmpdir_for(enum mode m)
{
	char *d = strdup("/tmp/cis-test-XXXXXX");

	cr_assert(mkdtemp(d));
	left_track(0, d);
	chmod(d, 0755);
	if (m == ROOTLESS)
		cr_assert(chown(d, NOBODY, NOBODY) == 0);
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	if (fd < 0)
		return NULL;
	s = slurp(fd);
	close(fd);
	return s;
}

bool host_process_exists(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)) && !found) {
		char path[300], *cmd, *stat;
		int fd;
		ssize_t n;
		char buf[4096];

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		stat = read_text(path);
		/* Zombies hold nothing: they are gone for our purposes. */
		if (!stat || strstr(stat, ") Z ")) {
			free(stat);
			continue;
		}
		free(stat);
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		cmd = buf;
		found = strstr(cmd, needle) != NULL;
	}
	if (d)
		closedir(d);
	return found;
}

bool host_process_gone(const char *needle, int ms)
{
	for (int waited = 0; waited <= ms; waited += 20) {
		if (!host_process_exists(needle))
			return true;
		usleep(20000);
	}
	return false;
}

int host_mount_count(void)
{
	char *s = read_text("/proc/self/mountinfo");
	int n = 0;

	for (char *p = s; p && *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

void golden_compare(const char *name, const char *text)
{
	const char *dir = getenv("CIS_GOLDEN");
	char path[512];
	char *want;

	cr_assert(dir, "CIS_GOLDEN is not set (make integration sets it)");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (getenv("CIS_UPDATE_GOLDEN"))
		write_text(path, text);
	want = read_text(path);
	cr_assert(want, "missing golden file %s (CIS_UPDATE_GOLDEN=1 creates it)", path);
	cr_assert_str_eq(text, want, "differs from %s", path);
	free(want);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "test world: %s", cmd);
}

/* Run the probe's server inside netns name. */
/* Run argv in network namespace name, dying with the test, stdout to /dev/null. */
static pid_t spawn_in(const char *name, const char *const *argv)
{
	char path[128];
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(1);
		dup2(null, 1);
		execv(argv[0], (char **)argv);
		_exit(2);
	}
	return pid;
}

/* The world's DNS server at WORLD_DNS: dnsmasq with fixed records and nothing else (no
 * resolv.conf, no hosts file, no upstream, no config file). */
static pid_t dns_in(const char *name)
{
	static char big[120][64];
	const char *argv[200] = {"/usr/sbin/dnsmasq",
	                         "--conf-file=/dev/null",
	                         "--keep-in-foreground",
	                         "--no-resolv",
	                         "--no-hosts",
	                         "--listen-address=" WORLD_DNS,
	                         "--bind-interfaces",
	                         "--port=53",
	                         "--user=root",
	                         "--group=root",
	                         "--pid-file=",
	                         "--local-ttl=300",
	                         "--log-facility=/dev/null",
	                         "--host-record=pkg.allowed.test,198.51.100.10",
	                         "--host-record=a.b.allowed.test,198.51.100.10",
	                         "--host-record=allowed.test,198.51.100.10",
	                         "--host-record=evil.test,203.0.113.7",
	                         "--host-record=meta.allowed.test,169.254.169.254",
	                         "--host-record=short.allowed.test,198.51.100.10,2",
	                         "--cname=cdn.allowed.test,pkg.allowed.test",
	                         "--txt-record=pkg.allowed.test,v=test"};
	int a = 0;

	while (argv[a])
		a++;
	/* 120 addresses: over 1232 bytes, so UDP answers are truncated and clients retry over
	 * TCP. */
	for (int i = 0; i < 120; i++) {
		snprintf(big[i], sizeof(big[i]), "--host-record=big.allowed.test,198.51.100.%d",
		         i + 10);
		argv[a++] = big[i];
	}
	argv[a] = NULL;
	return spawn_in(name, argv);
}

static pid_t serve_in(const char *name, const char *const *ports)
{
	char probe[300];
	const char *argv[8] = {probe, "serve"};
	int a = 2;

	snprintf(probe, sizeof(probe), "%s/probe", probe_dir());
	for (; *ports && a < 7; ports++)
		argv[a++] = *ports;
	argv[a] = NULL;
	return spawn_in(name, argv);
}

/* Namespaces of test processes that died before world_down (a timeout, a crash). */
static void sweep_worlds(void)
{
	FILE *f = popen("ip netns list 2>/dev/null", "r");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		int pid;
		char cmd[300];

		if (sscanf(line, "cis%*1[ws]%d", &pid) != 1 || kill(pid, 0) == 0)
			continue;
		line[strcspn(line, " \n")] = '\0';
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", line);
		if (system(cmd) != 0)
			continue;
	}
	if (f)
		pclose(f);
}

static struct world *current_world;

/* For the egress suite's .fini: a failed assertion skips the test's own world_down. */
void world_cleanup(void)
{
	if (current_world)
		world_down(current_world);
}

void world_up(struct world *wd)
{
	int id = getpid();

	sweep_worlds();
	current_world = wd;

	snprintf(wd->w, sizeof(wd->w), "cisw%d", id);
	snprintf(wd->s, sizeof(wd->s), "ciss%d", id);
	sh("ip netns add %s && ip netns add %s", wd->w, wd->s);
	sh("ip link add vw%d type veth peer name vs%d && ip link set vw%d netns %s && "
	   "ip link set vs%d netns %s",
	   id, id, id, wd->w, id, wd->s);
	sh("ip -n %s addr add 192.0.2.1/24 dev vw%d && ip -n %s link set vw%d up && "
	   "ip -n %s link set lo up && ip -n %s route add default via 192.0.2.2",
	   wd->w, id, wd->w, id, wd->w, wd->w);
	sh("ip -n %s addr add 192.0.2.2/24 dev vs%d && ip -n %s link set vs%d up && "
	   "ip -n %s link set lo up",
	   wd->s, id, wd->s, id, wd->s);
	sh("for a in 198.51.100.10 203.0.113.7 169.254.169.254 10.1.2.3 " WORLD_DNS "; do "
	   "ip -n %s addr add $a/32 dev lo || exit 1; done",
	   wd->s);
	wd->servers = serve_in(wd->s, (const char *const[]){"80", "8443", NULL});
	wd->local = serve_in(wd->w, (const char *const[]){"9999", NULL});
	wd->dns = dns_in(wd->s);
	/* Until both answer: then the world is up. */
	for (int i = 0; i < 200; i++) {
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
		         "ip netns exec %s %s/probe tcp 198.51.100.10 80 | grep -q OK && "
		         "ip netns exec %s %s/probe tcp 127.0.0.1 9999 | grep -q OK && "
		         "ip netns exec %s dig +short +time=1 +tries=1 @" WORLD_DNS
		         " pkg.allowed.test | grep -q 198.51.100.10",
		         wd->w, probe_dir(), wd->w, probe_dir(), wd->w);
		if (system(cmd) == 0)
			break;
		usleep(10000);
	}
	cis_netns = wd->w;
}

void world_down(struct world *wd)
{
	if (current_world != wd)
		return;
	current_world = NULL;
	cis_netns = NULL;
	kill(wd->servers, SIGKILL);
	kill(wd->local, SIGKILL);
	kill(wd->dns, SIGKILL);
	waitpid(wd->servers, NULL, 0);
	waitpid(wd->local, NULL, 0);
	waitpid(wd->dns, NULL, 0);
	sh("ip netns del %s; ip netns del %s", wd->w, wd->s);
}

pid_t child_named(pid_t parent, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && (e = readdir(d)) && !found) {
		char path[300], name[64];
		int ppid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fscanf(f, "%*d (%63[^)]) %*c %d", name, &ppid) == 2 && ppid == parent &&
		    strcmp(name, comm) == 0)
			found = atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

bool pid_alive(pid_t pid)
{
	char path[64], *stat;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_text(path);
	alive = stat && !strstr(stat, ") Z ");
	free(stat);
	return alive;
}

void await_gone(const char *marker, const char *ns, const pid_t *kids, int tries)
{
	for (int i = 0; i < tries; i++) {
		bool left = host_process_exists(marker) || netns_in_use(ns);

		for (int k = 0; kids[k]; k++)
			left = left || pid_alive(kids[k]);
		if (!left)
			return;
		usleep(10000);
	}
}

void netns_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	n = readlink(path, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

bool netns_in_use(const char *ns)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool used = false;

	while (d && (e = readdir(d)) && !used) {
		char other[64];

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || !pid_alive(atoi(e->d_name)))
			continue;
		netns_of(atoi(e->d_name), other, sizeof(other));
		used = strcmp(other, ns) == 0;
	}
	if (d)
		closedir(d);
	return used;
}

void run_sh_with(enum mode m, struct result *r, const char *ws, const char *const *flags,
                 const char *script)
{
	const char *argv[48] = {"run", "-w", ws, "--ro-bind", probes_bind()};
	int a = 5;

	for (; *flags && a < 40; flags++)
		argv[a++] = *flags;
	argv[a++] = "--";
	argv[a++] = "sh";
	argv[a++] = "-c";
	argv[a++] = script;
	argv[a] = NULL;
	cis_run(m, r, NULL, argv);
}
