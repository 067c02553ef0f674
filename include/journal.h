/* journal.h — the systemd journal's native protocol (launcher only): one datagram per entry to
 * /run/systemd/journal/socket, fields as KEY=VALUE lines, or KEY\n<le64 length><bytes>\n for a
 * value with a newline in it; an entry too big for a datagram goes in a sealed memfd passed with
 * SCM_RIGHTS, as sd_journal_send does. */
#ifndef CIS_JOURNAL_H
#define CIS_JOURNAL_H

#include "util.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct journal_field {
	const char *key;
	const char *value;
};

/* A datagram socket connected to the journal. 0 or -errno with err set (naming flag). */
int journal_open(const char *flag, int *out, struct cis_err *err);
/* Send one entry. 0 or -errno; the caller decides whether a lost entry matters. */
int journal_send(int fd, const struct journal_field *f, size_t n);

#endif
