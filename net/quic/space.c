// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The packet number spaces' send side: frames waiting to be sent, each
 * charged to the socket's send buffer, and the records of the packets
 * in flight.  The transmit path (output.c) fills packets from them;
 * loss recovery (recovery.c) frees or requeues them.
 */

#include <linux/slab.h>
#include <net/sock.h>

#include "rcvq.h"
#include "socket.h"
#include "space.h"

static struct kmem_cache *quic_sent_cache;

/**
 * quic_level_space - the packet number space of an encryption level
 * @level: &enum quic_crypto_level
 *
 * Return: &enum quic_space_id
 */
u8 quic_level_space(u8 level)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
		return QUIC_SPACE_INITIAL;
	case QUIC_CRYPTO_HANDSHAKE:
		return QUIC_SPACE_HANDSHAKE;
	}
	return QUIC_SPACE_APP;
}

/**
 * quic_space_level - the encryption level a space's packets use
 * @space: &enum quic_space_id
 * @early: 0-RTT rather than 1-RTT for the application space
 *
 * Return: &enum quic_crypto_level
 */
u8 quic_space_level(u8 space, bool early)
{
	switch (space) {
	case QUIC_SPACE_INITIAL:
		return QUIC_CRYPTO_INITIAL;
	case QUIC_SPACE_HANDSHAKE:
		return QUIC_CRYPTO_HANDSHAKE;
	}
	return early ? QUIC_CRYPTO_EARLY : QUIC_CRYPTO_APP;
}

/**
 * quic_space_init - an empty packet number space
 * @s: the space
 */
void quic_space_init(struct quic_space *s)
{
	memset(s, 0, sizeof(*s));
	INIT_LIST_HEAD(&s->sendq);
	INIT_LIST_HEAD(&s->sent);
	skb_queue_head_init(&s->pending);
	s->crypto.reasm = RB_ROOT;
	s->largest_acked = -1;
	s->largest_recv = -1;
}

/**
 * quic_frame_alloc - a frame buffer charged to the socket's send buffer
 * @sk: the socket, locked
 * @len: room for the encoded frame
 * @gfp: allocation flags
 *
 * The memory is scheduled against the protocol's limits (&proto.sysctl_mem)
 * and the socket's memory cgroup, and counted in sk_wmem_queued until
 * quic_frame_free().
 *
 * Return: the frame, or NULL.
 */
struct quic_frame_out *quic_frame_alloc(struct sock *sk, u32 len, gfp_t gfp)
{
	struct quic_frame_out *f;
	size_t size;

	size = kmalloc_size_roundup(struct_size(f, data, len));
	if (!sk_wmem_schedule(sk, size))
		return NULL;
	/* Charged to the socket's memory cgroup by sk_mem_charge() */
	f = kmalloc(size, gfp | __GFP_NOWARN);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->stream_id = -1;
	f->truesize = size;
	sk_wmem_queued_add(sk, size);
	sk_mem_charge(sk, size);
	return f;
}

/**
 * quic_frame_free - free a frame and uncharge it from the send buffer
 * @sk: the socket, locked
 * @f: the frame, unlinked
 */
void quic_frame_free(struct sock *sk, struct quic_frame_out *f)
{
	sk_wmem_queued_add(sk, -(int)f->truesize);
	sk_mem_uncharge(sk, f->truesize);
	kfree(f);
}

/**
 * quic_frame_queue_out - queue an encoded frame for sending
 * @sk: the socket
 * @level: encryption level it must go in
 * @f: the frame
 */
void quic_frame_queue_out(struct sock *sk, u8 level, struct quic_frame_out *f)
{
	struct quic_space *s = &quic_sk(sk)->space[quic_level_space(level)];

	quic_sock_assert_locked(sk);
	list_add_tail(&f->list, &s->sendq);
}

static struct quic_frame_out *quic_frame_build(struct sock *sk, const struct quic_frame *fr)
{
	u32 room = 64 + fr->bytes.len;	/* fixed fields fit in 64 bytes */
	struct quic_frame_out *f;
	int len;

	f = quic_frame_alloc(sk, room, gfp_any());
	if (!f)
		return NULL;
	len = quic_frame_encode(f->data, room, fr);
	if (WARN_ON_ONCE(len < 0)) {
		quic_frame_free(sk, f);
		return NULL;
	}
	f->len = len;
	f->type = fr->type;
	return f;
}

/**
 * quic_frame_queue - encode a control frame and queue it
 * @sk: the socket, locked
 * @level: encryption level
 * @fr: the frame
 *
 * Return: 0 or -ENOMEM.
 */
int quic_frame_queue(struct sock *sk, u8 level, const struct quic_frame *fr)
{
	struct quic_frame_out *f = quic_frame_build(sk, fr);

	if (!f)
		return -ENOMEM;
	quic_frame_queue_out(sk, level, f);
	return 0;
}

/**
 * quic_frame_queue_first - encode a control frame and queue it first
 * @sk: the socket, locked
 * @level: encryption level
 * @fr: the frame, for what is queued behind it (ACK_FREQUENCY)
 *
 * Return: 0 or -ENOMEM.
 */
int quic_frame_queue_first(struct sock *sk, u8 level, const struct quic_frame *fr)
{
	struct quic_space *s = &quic_sk(sk)->space[quic_level_space(level)];
	struct quic_frame_out *f = quic_frame_build(sk, fr);

	if (!f)
		return -ENOMEM;
	quic_sock_assert_locked(sk);
	list_add(&f->list, &s->sendq);
	return 0;
}

/* Frames the peer makes us send in answer to its own (PATH_RESPONSE,
 * NEW_CONNECTION_ID and RETIRE_CONNECTION_ID) may use
 * QUIC_REPLY_SLACK bytes beyond the send buffer, which user data never
 * does: a peer that withholds its ACKs cannot grow the queue further.
 */
#define QUIC_REPLY_SLACK	(64 * 1024)

/**
 * quic_frame_reply_room - may the peer make us queue more frames?
 * @sk: the socket
 *
 * Checked before a frame that asks for replies changes any state: the
 * packet that carries it is then dropped unacknowledged, and the peer
 * sends it again later.
 *
 * Return: false over the bound.
 */
bool quic_frame_reply_room(const struct sock *sk)
{
	return READ_ONCE(sk->sk_wmem_queued) <= READ_ONCE(sk->sk_sndbuf) + QUIC_REPLY_SLACK;
}

/**
 * quic_frame_queue_reply - queue a frame the peer asked for
 * @sk: the socket, locked
 * @level: encryption level
 * @fr: the frame
 *
 * Return: 0, or -ENOBUFS over the bound of quic_frame_reply_room().
 */
int quic_frame_queue_reply(struct sock *sk, u8 level, const struct quic_frame *fr)
{
	if (!quic_frame_reply_room(sk))
		return -ENOBUFS;
	return quic_frame_queue(sk, level, fr) ? -ENOBUFS : 0;
}

static void quic_frames_free(struct sock *sk, struct list_head *head)
{
	struct quic_frame_out *f, *tmp;

	list_for_each_entry_safe(f, tmp, head, list) {
		list_del(&f->list);
		quic_frame_free(sk, f);
	}
}

/**
 * quic_space_purge - drop everything a space holds
 * @sk: the socket
 * @s: the space
 *
 * In-flight packets leave bytes_in_flight (RFC 9002 section 6.4).
 */
void quic_space_purge(struct sock *sk, struct quic_space *s)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_sent_pkt *p, *tmp;

	list_for_each_entry_safe(p, tmp, &s->sent, list) {
		if (p->in_flight)
			qs->bytes_in_flight -= p->size;
		quic_frames_free(sk, &p->frames);
		list_del(&p->list);
		quic_sent_free(p);
	}
	quic_frames_free(sk, &s->sendq);
	skb_queue_purge(&s->pending);
	quic_reasm_purge(&s->crypto.reasm);
	s->crypto.reasm_mem = 0;
	s->ack_eliciting_in_flight = 0;
	s->loss_time = 0;
}

/**
 * quic_sent_new - a record for a packet about to be sent
 * @pn: its packet number
 *
 * Return: the record, or NULL.
 */
struct quic_sent_pkt *quic_sent_new(u64 pn)
{
	struct quic_sent_pkt *p;

	p = kmem_cache_zalloc(quic_sent_cache, GFP_ATOMIC);
	if (!p)
		return NULL;
	INIT_LIST_HEAD(&p->frames);
	p->pn = pn;
	return p;
}

/**
 * quic_sent_free - free a sent packet record
 * @p: the record, already unlinked; its frames are freed separately
 */
void quic_sent_free(struct quic_sent_pkt *p)
{
	kmem_cache_free(quic_sent_cache, p);
}

/**
 * quic_space_cache_init - the slab cache of sent packet records
 *
 * Return: 0 or -ENOMEM.
 */
int quic_space_cache_init(void)
{
	quic_sent_cache = KMEM_CACHE(quic_sent_pkt, SLAB_ACCOUNT);
	return quic_sent_cache ? 0 : -ENOMEM;
}

/**
 * quic_space_cache_exit - destroy the slab cache of sent packet records
 */
void quic_space_cache_exit(void)
{
	kmem_cache_destroy(quic_sent_cache);
}
