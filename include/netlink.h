/* netlink.h — our implementation of the part of libmnl's API that cisandbox and Debian's static
 * libnftnl.a call (src/netlink.c), so that the binary links no libmnl at all. The prototypes
 * are libmnl-dev's own header, so the compiler checks every definition against the real API;
 * the semantics are libmnl's documented ones (return values, errno, MNL_CB_* protocol), with
 * the bounds checks listed in netlink.c where libmnl trusts a length it was given. */
#ifndef CIS_NETLINK_H
#define CIS_NETLINK_H

#include <libmnl/libmnl.h>

#endif
