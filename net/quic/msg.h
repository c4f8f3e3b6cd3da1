/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * sendmsg() and recvmsg().
 */

#ifndef __NET_QUIC_MSG_H
#define __NET_QUIC_MSG_H

#include <linux/types.h>

struct msghdr;
struct sock;

int quic_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int quic_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags);

#endif /* __NET_QUIC_MSG_H */
