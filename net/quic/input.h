/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The receive path.
 */

#ifndef __NET_QUIC_INPUT_H
#define __NET_QUIC_INPUT_H

#include <linux/types.h>

struct quic_cid;
struct sk_buff;
struct sock;

int quic_udp_rcv(struct sock *usk, struct sk_buff *skb);
void quic_udp_err(struct sock *usk, struct sk_buff *skb, int err, __be16 port,
		  u32 info, u8 *payload);
int quic_packet_rcv(struct sock *sk, struct sk_buff *skb);
void quic_packets_replay(struct sock *sk, u8 level);
void quic_packet_rcv_first(struct sock *sk, struct sock *lsk, struct sk_buff *skb,
			   const struct quic_cid *odcid);

#endif /* __NET_QUIC_INPUT_H */
