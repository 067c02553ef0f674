/* The journal's native protocol: KEY=VALUE lines, the binary length form for a value with a
 * newline, and the sealed memfd for an entry too big for one datagram. */
#define _GNU_SOURCE
#include "journal.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

Test(journal, plain_and_binary_fields)
{
	int sv[2];
	char buf[256];
	ssize_t n;
	const struct journal_field f[] = {{"MESSAGE", "hello"}, {"CISANDBOX_JSON", "a\nb"}};
	const char want[] = "MESSAGE=hello\nCISANDBOX_JSON\n\x03\0\0\0\0\0\0\0a\nb\n";

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(journal_send(sv[0], f, 2), 0);
	n = recv(sv[1], buf, sizeof(buf), 0);
	cr_assert_eq(n, (ssize_t)sizeof(want) - 1);
	cr_assert_eq(memcmp(buf, want, sizeof(want) - 1), 0);
	close(sv[0]);
	close(sv[1]);
}

Test(journal, big_entry_goes_in_a_sealed_memfd)
{
	int sv[2], fd, small = 4096;
	size_t big = 1 << 20;
	char *value = malloc(big + 1), cbuf[CMSG_SPACE(sizeof(int))], data[1];
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct journal_field f = {"CISANDBOX_JSON", value};

	memset(value, 'x', big);
	value[big] = '\0';
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	cr_assert_eq(journal_send(sv[0], &f, 1), 0);
	cr_assert_geq(recvmsg(sv[1], &mh, 0), 0);
	cr_assert(CMSG_FIRSTHDR(&mh) && CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	cr_assert_eq(lseek(fd, 0, SEEK_END), (off_t)(big + strlen("CISANDBOX_JSON=\n")));
	cr_assert(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	free(value);
}
