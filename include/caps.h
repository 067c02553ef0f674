/* caps.h — privilege drop (libcap-ng): run in the job process just before exec, and in the
 * sandbox init once setup is done. */
#ifndef CIS_CAPS_H
#define CIS_CAPS_H

/* Lock securebits, empty every capability set (bounding, ambient, inheritable, permitted,
 * effective) and set no_new_privs. 0 or -errno; *what names the part that failed. */
int caps_drop_all(const char **what);

#endif
