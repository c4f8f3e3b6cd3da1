// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * What a QUIC socket holds for its reader: the receive queue of stream
 * and handshake data, datagrams and events, charged to the socket's
 * receive buffer, and the reassembly trees where data received beyond
 * a gap waits.  The receive path fills them; recvmsg() empties the
 * queue.  All under the socket lock.
 */

#include <kunit/visibility.h>
#include <net/sock.h>

#include "rcvq.h"
#include "socket.h"

/**
 * quic_rcv_charge - account an skb to the socket's receive buffer
 * @sk: the socket, locked
 * @skb: the skb, not owned yet
 *
 * Stream data is bounded by flow control and quic_stream_rcv_data().
 * Handshake data and datagrams must fit the receive buffer.  Events,
 * which cheap frames of the peer cause, have half the buffer of their
 * own: a reader slow with stream data must still get them.
 *
 * Return: 0, or -ENOBUFS over the socket's or the protocol's limits.
 */
int quic_rcv_charge(struct sock *sk, struct sk_buff *skb)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 kind = QUIC_RCV_CB(skb)->kind;

	quic_sock_assert_locked(sk);
	if (skb->sk == sk)
		return 0;
	if (kind == QUIC_RCV_EVENT) {
		if (qs->events_mem + skb->truesize > READ_ONCE(sk->sk_rcvbuf) / 2)
			return -ENOBUFS;
	} else if (kind != QUIC_RCV_STREAM &&
		   atomic_read(&sk->sk_rmem_alloc) + skb->truesize > READ_ONCE(sk->sk_rcvbuf)) {
		return -ENOBUFS;
	}
	if (!sk_rmem_schedule(sk, skb, skb->truesize))
		return -ENOBUFS;
	skb_set_owner_r(skb, sk);
	if (kind == QUIC_RCV_EVENT)
		qs->events_mem += skb->truesize;
	return 0;
}

/* Where a piece at @off goes in the tree: the link, its parent, and the
 * piece with the highest offset at or below @off, if any.
 */
static struct rb_node **quic_reasm_find(struct rb_root *q, u64 off, struct rb_node **parent,
					struct sk_buff **prev)
{
	struct rb_node **p = &q->rb_node;
	struct sk_buff *pos;

	*parent = NULL;
	*prev = NULL;
	while (*p) {
		*parent = *p;
		pos = rb_to_skb(*parent);
		if (off < QUIC_RCV_CB(pos)->offset) {
			p = &(*parent)->rb_left;
		} else {
			*prev = pos;
			p = &(*parent)->rb_right;
		}
	}
	return p;
}

/**
 * quic_reasm_holds - is data already waiting in the tree?
 * @q: the reassembly tree
 * @off: offset of the data
 * @end: offset just past it
 *
 * Asked before an skb is made for the data: a peer repeating a frame
 * costs a lookup, not an allocation and a copy.
 *
 * Return: true when the piece at or below @off holds all of it.
 */
bool quic_reasm_holds(struct rb_root *q, u64 off, u64 end)
{
	struct rb_node *parent;
	struct sk_buff *prev;

	quic_reasm_find(q, off, &parent, &prev);
	return prev && QUIC_RCV_CB(prev)->offset + prev->len >= end;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_holds);

/**
 * quic_reasm_insert - keep data received beyond a gap, by offset
 * @q: a stream's or a CRYPTO stream's reassembly tree
 * @skb: the data, with its offset in QUIC_RCV_CB()
 *
 * A tree, so that a peer sending pieces in falling order costs
 * O(log n) each.  A piece that the one before it already holds whole
 * is refused: a repeated frame is not kept twice.
 *
 * Return: true if @skb was queued, false for a duplicate the caller frees.
 */
bool quic_reasm_insert(struct rb_root *q, struct sk_buff *skb)
{
	u64 off = QUIC_RCV_CB(skb)->offset;
	struct rb_node **p, *parent;
	struct sk_buff *prev;

	p = quic_reasm_find(q, off, &parent, &prev);
	if (prev && QUIC_RCV_CB(prev)->offset + prev->len >= off + skb->len)
		return false;
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, q);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_insert);

/**
 * quic_reasm_purge - drop what waits in a reassembly tree
 * @q: the tree
 *
 * skb_rbtree_purge() would do, but it is not exported to modules.
 */
void quic_reasm_purge(struct rb_root *q)
{
	struct rb_node *p = rb_first(q);
	struct sk_buff *skb;

	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		rb_erase(&skb->rbnode, q);
		kfree_skb(skb);
	}
}

/**
 * quic_reasm_next - the queued data that the gap closing at @off frees
 * @q: the reassembly tree
 * @off: the new in-order offset
 *
 * Return: the first skb, removed, if it starts at or before @off, or NULL.
 */
struct sk_buff *quic_reasm_next(struct rb_root *q, u64 off)
{
	struct sk_buff *skb = skb_rb_first(q);

	if (!skb || QUIC_RCV_CB(skb)->offset > off)
		return NULL;
	rb_erase(&skb->rbnode, q);
	skb->next = NULL;	/* shares its memory with rbnode */
	skb->prev = NULL;
	return skb;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_next);

/**
 * quic_rcv_enqueue - queue an skb for recvmsg() and wake the reader
 * @sk: the socket
 * @skb: stream or handshake data, a datagram or an event
 *
 * Return: 0, or -ENOBUFS (@skb not consumed).
 */
int quic_rcv_enqueue(struct sock *sk, struct sk_buff *skb)
{
	int err;

	quic_sock_assert_locked(sk);
	err = quic_rcv_charge(sk, skb);
	if (err)
		return err;
	QUIC_RCV_CB(skb)->read = 0;
	/* A server gets stream data and datagrams in 0-RTT packets while
	 * user space still reads handshake data: they wait until it is done.
	 */
	if (!quic_sk(sk)->handshake_done && QUIC_RCV_CB(skb)->kind != QUIC_RCV_HANDSHAKE &&
	    QUIC_RCV_CB(skb)->kind != QUIC_RCV_EVENT) {
		__skb_queue_tail(&quic_sk(sk)->early_rcv, skb);
		return 0;
	}
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	sk->sk_data_ready(sk);
	return 0;
}

/**
 * quic_event_deliver - queue an event the user enabled
 * @sk: the socket
 * @type: &enum quic_event_type
 * @data: the event's structure
 * @len: its length
 *
 * Return: 0, also when the event is not enabled, or -ENOMEM.
 */
int quic_event_deliver(struct sock *sk, u8 type, const void *data, u32 len)
{
	struct sk_buff *skb;

	quic_sock_assert_locked(sk);
	if (!(quic_sk(sk)->events & BIT(type)))
		return 0;
	skb = alloc_skb(1 + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_put_u8(skb, type);
	skb_put_data(skb, data, len);
	QUIC_RCV_CB(skb)->kind = QUIC_RCV_EVENT;
	if (quic_rcv_enqueue(sk, skb)) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	return 0;
}
