/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Listening sockets: the first datagrams of connections not accepted
 * yet, and which of the listeners sharing a port a new connection goes
 * to.
 */

#ifndef __NET_QUIC_LISTEN_H
#define __NET_QUIC_LISTEN_H

struct quic_cid;
struct quic_udp_sock;
struct sk_buff;
struct sock;

int quic_listener_add(struct sock *lsk);
void quic_listener_del(struct sock *lsk);
void quic_listener_close(struct sock *lsk);
struct sk_buff *quic_listener_next(struct sock *lsk);
void quic_listener_take(struct sock *lsk, struct sock *sk, const struct quic_cid *dcid);
void quic_listener_rcv(struct sock *usk, struct quic_udp_sock *us, struct sk_buff *skb);
void quic_listener_hs_begin(struct sock *sk);
void quic_listener_hs_end(struct sock *sk);

#endif /* __NET_QUIC_LISTEN_H */
