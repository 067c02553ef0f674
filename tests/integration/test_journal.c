/* --audit-log journal: each event reaches the journal's native socket as one entry with
 * MESSAGE, CISANDBOX_EVENT, CISANDBOX_SANDBOX and CISANDBOX_JSON. The "journal" is a datagram
 * socket the test binds at /run/systemd/journal/socket in a mount namespace of its own (a tmpfs
 * over /run), so the host's /run is never touched; the launcher inherits that namespace. */
#define _GNU_SOURCE
#include "harness.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A private /run; with listen, a journal socket in it anyone may send to. */
static int fake_journal(bool listen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket"};
	int fd, big = 4 << 20;

	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	if (!listen)
		return -1;
	cr_assert_eq(mkdir("/run/systemd", 0755), 0);
	cr_assert_eq(mkdir("/run/systemd/journal", 0755), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(chmod(sa.sun_path, 0666), 0);
	return fd;
}

/* The value of KEY in a native-protocol entry (both forms), malloc'd, or NULL. */
static char *field(const char *buf, size_t len, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < len;) {
		const char *l = buf + i, *nl = memchr(l, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - l) : len - i;
		const char *eq = memchr(l, '=', ll);

		if (eq) {
			if ((size_t)(eq - l) == klen && !memcmp(l, key, klen))
				return strndup(eq + 1, ll - klen - 1);
			i += ll + 1;
			continue;
		}
		/* KEY\n<le64><bytes>\n */
		uint64_t n = 0;

		for (int b = 0; b < 8; b++)
			n |= (uint64_t)(unsigned char)l[ll + 1 + b] << (8 * b);
		if (ll == klen && !memcmp(l, key, klen))
			return strndup(l + ll + 9, n);
		i += ll + 9 + n + 1;
	}
	return NULL;
}

DUAL_TEST(journal, events_arrive_with_their_fields, .timeout = 30)
{
	int fd = fake_journal(true), n = 0;
	char *ws = tmpdir_for(m), buf[65536], sandbox[64] = "";
	const char *want[] = {"sandbox.create", "job.start", "job.exit", "sandbox.destroy"};
	struct result r;
	ssize_t len;

	cis_run(m, &r, NULL,
	        ARGS("run", "--audit-log", "journal", "-w", ws, "--", "sh", "-c", "exit 3"));
	cr_assert_eq(r.status, 3, "%s", r.err);
	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		char *ev = field(buf, (size_t)len, "CISANDBOX_EVENT");
		char *id = field(buf, (size_t)len, "CISANDBOX_SANDBOX");
		char *msg = field(buf, (size_t)len, "MESSAGE");
		char *js = field(buf, (size_t)len, "CISANDBOX_JSON");
		cJSON *o = js ? cJSON_Parse(js) : NULL;

		cr_assert(ev && id && msg && o, "entry %d: %.*s", n, (int)len, buf);
		cr_assert(n < 4, "more events than expected: %s", ev);
		cr_assert_str_eq(ev, want[n]);
		cr_assert_eq(strlen(id), 32);
		if (!sandbox[0])
			snprintf(sandbox, sizeof(sandbox), "%s", id);
		cr_assert_str_eq(id, sandbox, "one sandbox id for the run");
		cr_assert(strstr(msg, ev) && strstr(msg, id), "MESSAGE=%s", msg);
		cr_assert_str_eq(cJSON_GetObjectItem(o, "event")->valuestring, ev);
		cr_assert_str_eq(cJSON_GetObjectItem(o, "sandbox")->valuestring, id);
		if (!strcmp(ev, "job.exit"))
			cr_assert_eq(cJSON_GetObjectItem(o, "exit_code")->valueint, 3);
		cJSON_Delete(o);
		free(ev), free(id), free(msg), free(js);
		n++;
	}
	cr_assert_eq(n, 4, "%d entries", n);
	result_free(&r);
	close(fd);
	dir_done(ws);
}

DUAL_TEST(journal, no_journal_is_a_clear_error, .timeout = 30)
{
	struct result r;

	fake_journal(false);
	cis_run(m, &r, NULL, ARGS("run", "--audit-log", "journal", "--", "true"));
	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "cisandbox: --audit-log journal: /run/systemd/journal/socket: No "
	                        "such file or directory"),
	          "%s", r.err);
	result_free(&r);
}

/* journald goes away mid-run (its socket closed): the records the launcher cannot send are
 * counted and said on stderr at once, as for a file (they were dropped without a word). */
DUAL_TEST(journal, journal_gone_mid_run_is_loud, .timeout = 30)
{
	int fd = fake_journal(true), out, st;
	char *ws = tmpdir_for(m), *go = cat(ws, "/go"), buf[8] = "", *output;
	pid_t pid = cis_spawn(m, NULL,
	                      ARGS("run", "--audit-log", "journal", "-w", ws, "--workspace-mode",
	                           "bind", "--", "sh", "-c",
	                           "echo READY; while [ ! -e /workspace/go ]; do sleep 0.02; done"),
	                      &out);

	cr_assert(read_job(out, buf, 6) == 6 && strncmp(buf, "READY\n", 6) == 0, "%s", buf);
	close(fd); /* the journal is gone: its socket refuses from now on */
	unlink("/run/systemd/journal/socket");
	write_text(go, "");
	output = slurp(out);
	st = wait_status(pid);
	close(out);
	cr_assert_eq(st, 0, "%s", output);
	cr_assert(strstr(output, "cisandbox: warning: audit log: cannot write a record") &&
	              strstr(output, "lost so far"),
	          "the lost records went unsaid: %s", output);
	free(output);
	free(go);
	dir_done(ws);
}
