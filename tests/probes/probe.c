/* probe — runs inside the sandbox for the integration tests and prints one word per question,
 * so that the tests observe effects, not shell error messages. Static: depends on nothing.
 *   probe write PATH          OK or the errno name of creating PATH
 *   probe read PATH           the first line of PATH, or the errno name
 *   probe fill PATH BYTES     OK or the errno name once BYTES could not all be written
 *   probe connect PATH        OK or the errno name of connecting a unix socket at PATH
 *   probe fds                 the open fds, space separated (0 1 2 expected)
 *   probe pids                the pids visible in /proc, space separated
 *   probe tty                 OK or the errno name of opening /dev/tty
 *   probe ls DIR              the sorted entries of DIR, space separated
 *   probe denied              NAME=ERRNO for each syscall the default policy must refuse
 *   probe int80               unshare through the i386 ABI (the filter must kill us)
 *   probe x32                 getpid through the x32 ABI (likewise)
 *   probe tiocsti             TIOCSTI | 1 << 32 on stdin: OK or the errno name
 *   probe keyctl-bpf          one keyctl and one bpf call, errno names
 *   probe call NAME...        each syscall (memfd_secret: grantable; unshare: never granted),
 *                             harmless arguments: NAME=OK or NAME=ERRNO
 *   probe forkbomb N          fork up to N children that sleep; "COUNT ERRNO" (bounded: N)
 *   probe hog BYTES           allocate and touch BYTES: OK or the errno name
 *   probe nofile N            open /dev/null up to N times: "COUNT ERRNO"
 *   probe tcp ADDR PORT       connect (2 s at most) and read a line: "OK line" or the errno name
 *   probe serve PORT...       (test world) answer every TCP connection on each port with
 *                             "hello ADDR:PORT" and close; runs until killed
 *   probe blast PORT MIB      (bench) send MIB mebibytes to every TCP client of PORT, forever
 *   probe sink ADDR PORT      (bench) read to EOF; print "MIB Mbit/s" */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

static int result(int ok)
{
	if (ok)
		puts("OK");
	else
		puts(strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* skip_own_fd: when listing /proc/self/fd, leave out the fd of the listing itself. */
static int list(const char *dir, int numeric_only, int skip_own_fd)
{
	DIR *d = opendir(dir);
	char *names[4096];
	size_t n = 0;
	struct dirent *e;

	if (!d)
		return result(0);
	while ((e = readdir(d)) && n < 4096) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (numeric_only && (e->d_name[0] < '0' || e->d_name[0] > '9'))
			continue;
		if (skip_own_fd && atoi(e->d_name) == dirfd(d))
			continue;
		names[n++] = strdup(e->d_name);
	}
	qsort(names, n, sizeof(char *), cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", names[i]);
	putchar('\n');
	closedir(d);
	return 0;
}

static int do_fill(const char *path, long long bytes)
{
	static char buf[65536];

	/* Past RLIMIT_FSIZE the kernel sends SIGXFSZ; ignored, the write fails with EFBIG. */
	signal(SIGXFSZ, SIG_IGN);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return result(0);
	while (bytes > 0) {
		ssize_t w =
		    write(fd, buf, bytes < (long long)sizeof(buf) ? (size_t)bytes : sizeof(buf));

		if (w <= 0)
			return result(0);
		bytes -= w;
	}
	return result(fsync(fd) == 0 && close(fd) == 0);
}

static int do_read(const char *path)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return result(0);
	if (!fgets(line, sizeof(line), f))
		strcpy(line, "(empty)\n");
	fputs(line, stdout);
	if (!strchr(line, '\n'))
		putchar('\n');
	fclose(f);
	return 0;
}

static int do_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return result(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
}

static const char *err_name(long r)
{
	return r >= 0 ? "OK" : strerrorname_np(errno) ? strerrorname_np(errno) : "E?";
}

/* Each call is one the untrusted policy refuses; arguments are harmless if it did not. */
static int do_denied(void)
{
	struct {
		const char *name;
		long nr, a, b, c;
	} calls[] = {
	    {"unshare", SYS_unshare, CLONE_NEWUSER, 0, 0},
	    {"setns", SYS_setns, 0, 0, 0},
	    {"mount", SYS_mount, (long)"none", (long)"/tmp", (long)"tmpfs"},
	    {"umount2", SYS_umount2, (long)"/tmp", 0, 0},
	    {"pivot_root", SYS_pivot_root, (long)"/", (long)"/", 0},
	    {"chroot", SYS_chroot, (long)"/", 0, 0},
	    {"fsopen", SYS_fsopen, (long)"tmpfs", 0, 0},
	    {"open_tree", SYS_open_tree, -100, (long)"/", 0},
	    {"move_mount", SYS_move_mount, -1, (long)"", -1},
	    {"mount_setattr", SYS_mount_setattr, -1, (long)"", 0},
	    {"kexec_load", SYS_kexec_load, 0, 0, 0},
	    {"init_module", SYS_init_module, 0, 0, (long)""},
	    {"finit_module", SYS_finit_module, -1, (long)"", 0},
	    {"delete_module", SYS_delete_module, (long)"x", 0, 0},
	    {"reboot", SYS_reboot, 0, 0, 0},
	    {"swapon", SYS_swapon, (long)"/x", 0, 0},
	    {"acct", SYS_acct, 0, 0, 0},
	    {"iopl", SYS_iopl, 0, 0, 0},
	    {"ioperm", SYS_ioperm, 0, 0, 0},
	    {"settimeofday", SYS_settimeofday, 0, 0, 0},
	    {"clock_settime", SYS_clock_settime, 0, 0, 0},
	    {"syslog", SYS_syslog, 3, 0, 0},
	    {"bpf", SYS_bpf, 0, 0, 0},
	    {"perf_event_open", SYS_perf_event_open, 0, 0, -1},
	    {"userfaultfd", SYS_userfaultfd, 0, 0, 0},
	    {"keyctl", SYS_keyctl, 0, 0, 0},
	    {"add_key", SYS_add_key, (long)"user", (long)"x", 0},
	    {"request_key", SYS_request_key, (long)"user", (long)"x", 0},
	    {"io_uring_setup", SYS_io_uring_setup, 1, 0, 0},
	    {"open_by_handle_at", SYS_open_by_handle_at, -1, 0, 0},
	    {"personality", SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */, 0, 0},
	    {"clone3", SYS_clone3, 0, 0, 0},
	    {"clone(CLONE_NEWNET)", SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0},
	    {"socket(AF_PACKET)", SYS_socket, AF_PACKET, SOCK_RAW, 0},
	    {"socket(AF_KEY)", SYS_socket, AF_KEY, SOCK_RAW, 2},
	    {"socket(AF_VSOCK)", SYS_socket, AF_VSOCK, SOCK_STREAM, 0},
	    {"socket(AF_PACKET|1<<32)", SYS_socket, (long)(AF_PACKET | (1ul << 32)), SOCK_RAW, 0},
	    {"socket(MPTCP)", SYS_socket, AF_INET, SOCK_STREAM, 262},
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		long r = syscall(calls[i].nr, calls[i].a, calls[i].b, calls[i].c, 0, 0, 0);

		printf("%s=%s\n", calls[i].name, err_name(r));
		if (r == 0 && calls[i].nr == SYS_clone)
			_exit(0); /* the child of a clone that should not have happened */
	}
	return 0;
}

/* i386 ABI from a 64-bit process: unshare(CLONE_NEWUSER) is 310 there. */
static int do_int80(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(310), "b"(CLONE_NEWUSER) : "memory");
	printf("survived int80: %ld\n", r);
	return 0;
}

static int do_x32(void)
{
	long r = syscall(0x40000000 | SYS_getpid);

	printf("survived x32: %ld\n", r);
	return 0;
}

static int do_forkbomb(long n)
{
	static pid_t kids[100000];
	long count = 0;
	const char *err = "none";

	for (; count < n && count < 100000; count++) {
		pid_t p = fork();

		if (p == 0) {
			sleep(30);
			_exit(0);
		}
		if (p < 0) {
			err = strerrorname_np(errno);
			break;
		}
		kids[count] = p;
	}
	printf("%ld %s\n", count, err);
	/* The bounded bomb defuses itself. */
	for (long i = 0; i < count; i++)
		kill(kids[i], SIGKILL);
	return 0;
}

static int do_hog(long long bytes)
{
	char *p = malloc((size_t)bytes);

	if (!p)
		return result(0);
	for (long long i = 0; i < bytes; i += 4096)
		p[i] = 1;
	return result(1);
}

static int do_nofile(long n)
{
	long count = 0;
	const char *err = "none";

	for (; count < n; count++)
		if (open("/dev/null", O_RDONLY) < 0) {
			err = strerrorname_np(errno);
			break;
		}
	printf("%ld %s\n", count, err);
	return 0;
}

/* COUNT A queries for NAME to SERVER:53 over UDP, one after the other (each answered before
 * the next, its id checked): "dns COUNT answers in MS ms" (bench). */
static int do_dnsbench(const char *server, const char *name, long count)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	unsigned char q[300], a[4096];
	struct timespec t0, t1;
	size_t len = 12, l;
	long ok = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, server, &sa.sin_addr);
	memset(q, 0, 12);
	q[2] = 1; /* RD */
	q[5] = 1; /* one question */
	for (const char *p = name; *p && len < 260; p += l + (p[l] == '.')) {
		l = strcspn(p, ".");
		q[len++] = (unsigned char)l;
		memcpy(q + len, p, l);
		len += l;
	}
	memcpy(q + len, "\0\0\1\0\1", 5); /* root, type A, class IN */
	len += 5;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return result(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		struct pollfd pf = {fd, POLLIN, 0};
		ssize_t n;

		q[0] = (unsigned char)(i >> 8);
		q[1] = (unsigned char)i;
		if (send(fd, q, len, 0) < 0 || poll(&pf, 1, 2000) <= 0)
			continue;
		n = recv(fd, a, sizeof(a), 0);
		ok += n >= 12 && a[0] == q[0] && a[1] == q[1] && (a[3] & 0xf) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("dns %ld answers in %.1f ms\n", ok,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return ok == count ? 0 : 1;
}

static int do_tcp(const char *addr, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	char line[128] = "";
	int fd, err = 0;
	socklen_t elen = sizeof(err);
	struct pollfd pf;
	ssize_t n;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return result(0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		return result(0);
	pf = (struct pollfd){fd, POLLOUT, 0};
	if (poll(&pf, 1, 2000) == 0) {
		puts("ETIMEDOUT");
		return 0;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		errno = err;
		return result(0);
	}
	pf = (struct pollfd){fd, POLLIN, 0};
	poll(&pf, 1, 2000);
	n = read(fd, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("OK %s\n", line);
	return 0;
}

static int do_serve(int argc, char **argv)
{
	struct pollfd pf[16];
	int n = 0;

	for (int i = 2; i < argc && n < 16; i++) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
		                         .sin6_port = htons((uint16_t)atoi(argv[i]))};
		int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0)
			return result(0);
		pf[n++] = (struct pollfd){fd, POLLIN, 0};
	}
	puts("serving");
	fflush(stdout);
	for (;;) {
		if (poll(pf, (nfds_t)n, -1) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			struct sockaddr_in6 local;
			socklen_t l = sizeof(local);
			char ip[INET6_ADDRSTRLEN], msg[160];
			int c;

			if (!(pf[i].revents & POLLIN) || (c = accept(pf[i].fd, NULL, NULL)) < 0)
				continue;
			getsockname(c, (struct sockaddr *)&local, &l);
			inet_ntop(AF_INET6, &local.sin6_addr, ip, sizeof(ip));
			snprintf(msg, sizeof(msg), "hello %s:%d\n",
			         strncmp(ip, "::ffff:", 7) == 0 ? ip + 7 : ip,
			         ntohs(local.sin6_port));
			(void)!write(c, msg, strlen(msg));
			close(c);
		}
	}
}

static int do_blast(int port, long mib)
{
	static char buf[1 << 20];
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0)
		return result(0);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		for (long i = 0; c >= 0 && i < mib; i++)
			if (write(c, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				break;
		if (c >= 0)
			close(c);
	}
}

static int do_sink(const char *addr, int port)
{
	static char buf[1 << 20];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timespec t0, t1;
	long long total = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, addr, &a.sin_addr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return result(0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %.0f\n", total >> 20,
	       (double)total * 8 / 1e6 /
	           ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	return 0;
}

/* Calls the default policy denies: one a learned profile may grant, one it never does. */
static int do_call(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		long r = -1;

		errno = EINVAL;
		if (!strcmp(argv[i], "memfd_secret"))
			r = syscall(SYS_memfd_secret, 0);
		else if (!strcmp(argv[i], "unshare"))
			r = syscall(SYS_unshare, CLONE_NEWUSER);
		printf("%s=%s\n", argv[i], err_name(r));
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "";

	if (!strcmp(cmd, "write")) {
		int fd = open(arg, O_WRONLY | O_CREAT, 0644);

		return result(fd >= 0);
	}
	if (!strcmp(cmd, "read"))
		return do_read(arg);
	if (!strcmp(cmd, "fill") && argc > 3)
		return do_fill(arg, atoll(argv[3]));
	if (!strcmp(cmd, "connect"))
		return do_connect(arg);
	if (!strcmp(cmd, "fds"))
		return list("/proc/self/fd", 1, 1);
	if (!strcmp(cmd, "pids"))
		return list("/proc", 1, 0);
	if (!strcmp(cmd, "tty"))
		return result(open("/dev/tty", O_RDWR) >= 0);
	if (!strcmp(cmd, "denied"))
		return do_denied();
	if (!strcmp(cmd, "int80"))
		return do_int80();
	if (!strcmp(cmd, "x32"))
		return do_x32();
	if (!strcmp(cmd, "tiocsti")) {
		char c = 'x';
		long r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1ul << 32), &c);

		puts(err_name(r));
		return 0;
	}
	if (!strcmp(cmd, "call"))
		return do_call(argc, argv);
	if (!strcmp(cmd, "keyctl-bpf")) {
		long a = syscall(SYS_keyctl, 0, 0, 0), b;

		printf("keyctl=%s ", err_name(a));
		b = syscall(SYS_bpf, 0, 0, 0);
		printf("bpf=%s\n", err_name(b));
		return 0;
	}
	if (!strcmp(cmd, "forkbomb"))
		return do_forkbomb(atol(arg));
	if (!strcmp(cmd, "hog"))
		return do_hog(atoll(arg));
	if (!strcmp(cmd, "nofile"))
		return do_nofile(atol(arg));
	if (!strcmp(cmd, "dnsbench") && argc > 4)
		return do_dnsbench(arg, argv[3], atol(argv[4]));
	if (!strcmp(cmd, "tcp") && argc > 3)
		return do_tcp(arg, atoi(argv[3]));
	if (!strcmp(cmd, "blast") && argc > 3)
		return do_blast(atoi(arg), atol(argv[3]));
	if (!strcmp(cmd, "sink") && argc > 3)
		return do_sink(arg, atoi(argv[3]));
	if (!strcmp(cmd, "serve"))
		return do_serve(argc, argv);
	if (!strcmp(cmd, "ls"))
		return list(arg, 0, 0);
	fprintf(stderr, "probe: unknown command %s\n", cmd);
	return 2;
}
