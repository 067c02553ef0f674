/* learn.h — `cisandbox run --learn OUT.json` (launcher, around one run): the run is made in
 * audit mode (egress open but for the always-denied set, every flow and answer recorded; each
 * denied syscall reported, the grantable ones let through), its audit records are copied as
 * they are written, and afterwards OUT.json gets a profile extending the one used with
 * exactly what the run needed (learn_obs.h). The learned profile is loaded back before it is
 * written: it is valid, or the run fails (exit 125). */
#ifndef CIS_LEARN_H
#define CIS_LEARN_H

#include "cli.h"
#include "plan.h"
#include "profile.h"

struct audit;

struct learn {
	char *out;     /* OUT.json */
	char *extends; /* the profile used: a name, or the real path of its file */
	char *name;    /* its name */
	bool has_sc_allow;
	enum net_mode mode;
	struct strv allow; /* the chain's network.allow */
	int tap;           /* the copy of the run's records (a memfd) */
};

/* Before plan_build: check the flags, remember what the learned profile extends, and turn
 * `lc` (a copy of the command line) and `prof` into the audit-mode run. 0 or -EINVAL. */
int learn_prepare(struct learn *l, const struct cli *c, struct cli *lc, struct profile *prof,
                  struct cis_err *err);
/* Once the audit log is open (or not): copy its records from now on. 0 or -errno. */
int learn_attach(struct learn *l, struct audit *a, struct cis_err *err);
/* After the run: write OUT.json. 0 or -errno with err set. */
int learn_finish(struct learn *l, const struct plan *p, const struct audit *a, struct cis_err *err);
void learn_free(struct learn *l);

#endif
