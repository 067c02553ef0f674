/* score.h — `cisandbox profile score FILE|NAME [--threshold N] [--json]`: a profile's exposure
 * on a 0-10 scale, after systemd-analyze security (0 = safest): each check has a weight and a
 * badness in 0..1; the score is 10 * sum(weight * badness) / sum(weight). Static: the profile
 * as written and resolved through its `extends`, not a host; so CI can gate a profile change
 * (exit 1 above the threshold). Scoring is pure; score_main prints. */
#ifndef CIS_SCORE_H
#define CIS_SCORE_H

#include "profile.h"

#define SCORE_MAX_CHECKS 32

struct score_item {
	const char *id;
	double weight;  /* what the check counts for */
	double badness; /* 0 (no exposure) .. 1 */
	char detail[256];
};

struct score {
	struct score_item v[SCORE_MAX_CHECKS];
	size_t n;
	double total; /* 0.0 .. 10.0, one decimal */
};

void score_profile(const struct profile *p, struct score *out);
/* argv[0] is "score". Exit status: 0, 1 above the threshold, 125 bad input. */
int score_main(int argc, char **argv);

#endif
