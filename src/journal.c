/* journal.c — entries to the systemd journal over its native socket (launcher only; see
 * journal.h). No libsystemd: the protocol is a few lines, and the launcher links nothing it
 * does not need. */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

int journal_open(const char *flag, int *out, struct cis_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cis_err_set(err, "%s journal: %s: %s (is systemd-journald running?)", flag,
		                   JOURNAL_SOCKET, strerror(errno));
	*out = TAKE_FD(fd);
	return 0;
}

/* KEY=VALUE\n, or KEY\n + 64-bit little-endian length + VALUE + \n when VALUE has a newline. */
static void put_field(FILE *m, const struct journal_field *f)
{
	size_t len = strlen(f->value);

	if (!strchr(f->value, '\n')) {
		fprintf(m, "%s=%s\n", f->key, f->value);
		return;
	}
	fprintf(m, "%s\n", f->key);
	for (int i = 0; i < 8; i++)
		fputc((int)((uint64_t)len >> (8 * i) & 0xff), m);
	fwrite(f->value, 1, len, m);
	fputc('\n', m);
}

/* Too big for one datagram: the entry in a sealed memfd, its descriptor sent instead. */
static int send_memfd(int fd, const char *buf, size_t len)
{
	_cleanup_close_ int mfd =
	    memfd_create("cisandbox-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct msghdr mh = {.msg_control = control, .msg_controllen = sizeof(control)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (mfd < 0 || write_all(mfd, buf, len) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int journal_send(int fd, const struct journal_field *f, size_t n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int r = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		put_field(m, &f[i]);
	if (fclose(m) != 0)
		return -ENOMEM;
	if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
		r = errno == EMSGSIZE || errno == ENOBUFS ? send_memfd(fd, buf, len) : -errno;
	return r;
}
