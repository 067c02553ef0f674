/* version.h — what `cisandbox version` prints (version.c). */
#ifndef CIS_VERSION_H
#define CIS_VERSION_H

#include <stdio.h>

/* Version, git commit, the libraries' versions at build time and at run time. */
void version_print(FILE *out);

#endif
