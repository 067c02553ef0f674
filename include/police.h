/* police.h — after a step, its file commands on the host, read and rewritten as filecmd.h says
 * (launcher only, once every process of the job is gone). Where each file lies is fixed in the
 * plan, before the job runs; the job may have replaced any part of the path since. */
#ifndef CIS_POLICE_H
#define CIS_POLICE_H

#include "filecmd.h"
#include "util.h"

enum police_kind { POLICE_ENV, POLICE_PATH };

/* One file command the job could write: `root` (a real, host-controlled directory the job can
 * write below) + `rel` (its path below root, as the runner named it). */
struct police_file {
	enum police_kind kind;
	enum filecmd_dialect dialect; /* whose parser will read it */
	char *var;  /* the variable that named it: GITHUB_ENV, FORGEJO_PATH, ... */
	char *root; /* a writable root of the plan */
	char *rel;  /* below root, clean, no leading '/' */
};

/* Where `path` (the runner's absolute path, resolved now) lies below one of `writable` (real
 * paths): fills f and returns 1; 0 when the job cannot write there (nothing to police). */
int police_locate(const char *var, enum police_kind kind, enum filecmd_dialect dialect,
                  const char *path, const struct strv *writable, struct police_file *f);
/* Read f as the runner will and rewrite it without what filecmd.h removes; a symlink or other
 * non-file the job put in the path is removed, so that the runner reads nothing through it.
 * Each removal is pushed onto drops. 0 or -errno (the file is then emptied if it can be). */
int police_file(const struct police_file *f, const struct strv *writable, struct strv *drops);
/* Is dir (absolute) at or below one of writable, as written or once resolved? */
bool police_writable(const char *dir, const struct strv *writable);
void police_file_free(struct police_file *f);

#endif
