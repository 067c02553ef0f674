/* run.h — `cisandbox run` from a parsed command line (also what the CI integrations call). */
#ifndef CIS_RUN_H
#define CIS_RUN_H

#include "cli.h"

#include <stdbool.h>

/* The launcher's exit status; *launcher_failed: it is ours (bad input, setup failure), not
 * the job's. */
int run_command(const struct cli *c, bool *launcher_failed);

#endif
