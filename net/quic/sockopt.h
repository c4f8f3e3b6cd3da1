/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The SOL_QUIC socket options.
 */

#ifndef __NET_QUIC_SOCKOPT_H
#define __NET_QUIC_SOCKOPT_H

#include <linux/sockptr.h>
#include <linux/types.h>

struct quic_data;
struct sock;

int quic_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
		    unsigned int optlen);
int quic_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
		    int __user *optlen);
int quic_sock_set_alpn(struct sock *sk, const u8 *alpn, u32 len);
int quic_data_set(struct quic_data *d, sockptr_t optval, unsigned int len);

#endif /* __NET_QUIC_SOCKOPT_H */
