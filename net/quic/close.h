/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The end of a connection.
 */

#ifndef __NET_QUIC_CLOSE_H
#define __NET_QUIC_CLOSE_H

#include <linux/types.h>

struct sock;

void quic_conn_closed(struct sock *sk, int err);
void quic_conn_error(struct sock *sk, u32 errcode, u64 frame_type);
void quic_conn_close(struct sock *sk);
void quic_conn_closing_rcv(struct sock *sk);
void quic_conn_icmp_err(struct sock *sk, int err);
bool quic_conn_linger(struct sock *sk);
bool quic_conn_flush(struct sock *sk);
void quic_conn_flush_check(struct sock *sk);
void quic_conn_linger_end(struct sock *sk);

#endif /* __NET_QUIC_CLOSE_H */
