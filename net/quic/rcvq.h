/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * What a QUIC socket holds for its reader.
 */

#ifndef __NET_QUIC_RCVQ_H
#define __NET_QUIC_RCVQ_H

#include <linux/rbtree.h>
#include <linux/skbuff.h>

/**
 * enum quic_rcv_kind - what an skb on the receive queue holds
 * @QUIC_RCV_STREAM: stream data
 * @QUIC_RCV_HANDSHAKE: TLS handshake data of one encryption level
 * @QUIC_RCV_DATAGRAM: an unreliable datagram (RFC 9221)
 * @QUIC_RCV_EVENT: an event: type byte, then its structure
 */
enum quic_rcv_kind {
	QUIC_RCV_STREAM,
	QUIC_RCV_HANDSHAKE,
	QUIC_RCV_DATAGRAM,
	QUIC_RCV_EVENT,
};

/**
 * struct quic_rcv_cb - skb->cb of what waits on the receive queue, and of
 *	stream data waiting for reassembly
 * @stream_id: the stream of stream data
 * @offset: stream offset of the first byte
 * @read: bytes already copied to the user
 * @kind: &enum quic_rcv_kind
 * @level: encryption level of handshake data
 * @fin: the last data of the stream
 */
struct quic_rcv_cb {
	s64	stream_id;
	u64	offset;
	u32	read;
	u8	kind;
	u8	level;
	bool	fin;
};

#define QUIC_RCV_CB(skb)	((struct quic_rcv_cb *)&((skb)->cb[0]))

struct sock;

int quic_rcv_charge(struct sock *sk, struct sk_buff *skb);
int quic_rcv_enqueue(struct sock *sk, struct sk_buff *skb);
bool quic_reasm_holds(struct rb_root *q, u64 off, u64 end);
void quic_reasm_purge(struct rb_root *q);
bool quic_reasm_insert(struct rb_root *q, struct sk_buff *skb);
struct sk_buff *quic_reasm_next(struct rb_root *q, u64 off);
int quic_event_deliver(struct sock *sk, u8 type, const void *data, u32 len);

#endif /* __NET_QUIC_RCVQ_H */
