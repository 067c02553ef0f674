/* vmspawn.c — processes started vfork-like (see vmspawn.h): the job (ns.c), the network helper
 * and its tap (net.c). */
#define _GNU_SOURCE
#include "vmspawn.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

pid_t vmspawn(int (*fn)(void *), void *arg, size_t stack)
{
	return vmspawn_flags(fn, arg, stack, 0);
}

pid_t vmspawn_flags(int (*fn)(void *), void *arg, size_t stack, int flags)
{
	const size_t size = (stack + 4095) & ~(size_t)4095;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;
	int err;

	if (base == MAP_FAILED)
		return -1;
	/* CLONE_VFORK: back here only once the child has exec'd or exited, so its stack can go. */
	pid = clone(fn, (char *)base + size, CLONE_VM | CLONE_VFORK | flags | SIGCHLD, arg);
	err = errno;
	munmap(base, size);
	errno = err;
	return pid;
}
