/* vmspawn.h — start a process as posix_spawn does: clone(CLONE_VM | CLONE_VFORK) on a stack of its
 * own, the caller asleep until the child has exec'd or exited. For a child that only sets
 * itself up and execs (the job, the network helper) or does one thing and exits (the helper's
 * tap): no copy of the caller's address space to make, nor to tear down at its exec or exit.
 *
 * The child shares the caller's memory until then: it must not allocate (the heap is the
 * caller's), and what it writes the caller must not rely on. Everything else is its own: no
 * CLONE_FS, CLONE_FILES or CLONE_SIGHAND, so its working directory, fds and signal dispositions
 * are copies; credentials, namespaces, rlimits and seccomp filters are per process. */
#ifndef CIS_VMSPAWN_H
#define CIS_VMSPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Run fn(arg) in the child, with `stack` bytes of stack (rounded up to pages); fn must exec or
 * _exit. Returns the child's pid (SIGCHLD at its exit), or -1 with errno set. */
pid_t vmspawn(int (*fn)(void *), void *arg, size_t stack);
/* The same with more clone flags (CLONE_FILES: an fd the child opens is the caller's). */
pid_t vmspawn_flags(int (*fn)(void *), void *arg, size_t stack, int flags);

#endif
