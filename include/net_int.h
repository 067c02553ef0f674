/* net_int.h — inside the net module (net.c, net_later.c). */
#ifndef CIS_NET_INT_H
#define CIS_NET_INT_H

/* Bring lo up in the current network namespace. 0 or -errno. */
int net_lo_up(void);

#endif
