/* teardown — measures the time from a job's exit to the launcher's return, and from the launch to
 * the job's first instruction or its first working connection.
 *   teardown job N                 (inside) leave N sleeping children, print CLOCK_MONOTONIC ns
 *                                  on stdout, exit
 *   teardown connect ADDR PORT     (inside) connect to ADDR:PORT (IPv4) until it works (5 s at
 *                                  most), print CLOCK_MONOTONIC ns on stdout, exit
 *   teardown measure CMD [ARG...]  (outside) run CMD, read that timestamp, wait for CMD; print
 *                                  the microseconds between the job's exit and CMD's return,
 *                                  and how many job processes were still alive at that moment
 *   teardown startup CMD [ARG...]  (outside) run CMD, read that timestamp; print the
 *                                  microseconds from CMD's fork to it and how many connection
 *                                  attempts failed first (0: the first one worked)
 * CLOCK_MONOTONIC is the same clock inside (no time namespace) and out. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int job(int n)
{
	for (int i = 0; i < n; i++)
		if (fork() == 0) {
			for (;;)
				pause();
		}
	printf("%lld\n", now_ns());
	fflush(stdout);
	_exit(0);
}

/* Live (non-zombie) processes running "teardown job". */
static int count_jobs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[256];
		ssize_t len;
		int fd;

		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue; /* zombies have an empty command line */
		buf[len] = '\0';
		n += strstr(buf, "teardown") && !strcmp(buf + strlen(buf) + 1, "job");
	}
	if (d)
		closedir(d);
	return n;
}

/* The first connection that works, and how many did not before it. */
static int job_connect(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	long long deadline = now_ns() + 5000000000LL;
	int failed = 0;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return 2;
	while (now_ns() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok) {
			printf("%lld %d\n", now_ns(), failed);
			return 0;
		}
		failed++;
		usleep(1000);
	}
	return 1;
}

/* CMD's stdout, its first line: "NS [N]". */
static pid_t spawn(char **cmd, char *buf, size_t len)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, len - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? pid : -1;
}

static int startup(char **cmd)
{
	char buf[64];
	long long t0 = now_ns(), t;
	int failed = 0;
	pid_t pid = spawn(cmd, buf, sizeof(buf));

	if (pid < 0 || sscanf(buf, "%lld %d", &t, &failed) < 1)
		return 1;
	waitpid(pid, NULL, 0);
	printf("%.1f %d\n", (double)(t - t0) / 1000.0, failed);
	return 0;
}

static int measure(char **cmd)
{
	char buf[64];
	pid_t pid = spawn(cmd, buf, sizeof(buf));
	long long t_exit;

	if (pid < 0)
		return 1;
	t_exit = atoll(buf);
	waitpid(pid, NULL, 0);
	printf("%.1f %d\n", (double)(now_ns() - t_exit) / 1000.0, count_jobs());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "job"))
		return job(atoi(argv[2]));
	if (argc > 3 && !strcmp(argv[1], "connect"))
		return job_connect(argv[2], atoi(argv[3]));
	if (argc > 2 && !strcmp(argv[1], "measure"))
		return measure(argv + 2);
	if (argc > 2 && !strcmp(argv[1], "startup"))
		return startup(argv + 2);
	fprintf(stderr, "usage: teardown job N | connect ADDR PORT | measure CMD... | startup "
	                "CMD...\n");
	return 2;
}
