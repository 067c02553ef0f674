/* probe — runs inside the sandbox for the integration tests and prints one word per question,
 * so that the tests observe effects, not shell error messages. Static: depends on nothing.
 *   probe write PATH          OK or the errno name of creating PATH
 *   probe read PATH           the first line of PATH, or the errno name
 *   probe fill PATH BYTES     OK or the errno name once BYTES could not all be written
 *   probe connect PATH        OK or the errno name of connecting a unix socket at PATH
 *   probe fds                 the open fds, space separated (0 1 2 expected)
 *   probe pids                the pids visible in /proc, space separated
 *   probe tty                 OK or the errno name of opening /dev/tty
 *   probe ls DIR              the sorted entries of DIR, space separated */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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
	if (!strcmp(cmd, "ls"))
		return list(arg, 0, 0);
	fprintf(stderr, "probe: unknown command %s\n", cmd);
	return 2;
}
