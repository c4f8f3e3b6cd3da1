// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Streams and flow control.  Data received in order goes straight to the
 * socket's receive queue, tagged with its stream; data beyond a gap waits
 * in the stream's reassembly queue.  Credit (MAX_DATA, MAX_STREAM_DATA,
 * MAX_STREAMS) is given back as the user reads.
 */

#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "rcvq.h"
#include "socket.h"
#include "stream.h"
#include "wire.h"

/* Bounds of the stream hash: the peer may have up to its two limits of
 * streams open at once, and we open what its limits allow.
 */
#define QUIC_STREAM_HASH_MIN_BITS	4
#define QUIC_STREAM_HASH_MAX_BITS	13

static u32 quic_stream_hash(const struct quic_stream_table *t, s64 id)
{
	return hash_64((u64)id, t->hash_bits);
}

void quic_streams_init(struct quic_stream_table *t, bool is_server)
{
	memset(t, 0, sizeof(*t));
	INIT_LIST_HEAD(&t->all);
	t->is_server = is_server;
	t->last_id = -1;
}

/* The ring must span every stream the peer may hold open at once: all
 * implicit ones are open, and MAX_STREAMS gives one back per stream
 * closed (RFC 9000 section 4.6), so that is the initial limit.
 */
static int quic_streams_implicit_init(struct quic_stream_limits *l, u64 limit)
{
	u32 bits = roundup_pow_of_two(max_t(u64, limit, BITS_PER_LONG));
	unsigned long *ring;

	/* Limits set for 0-RTT are set again from the handshake */
	if (l->implicit && (bits - 1 <= l->implicit_mask || l->opened))
		return 0;
	ring = bitmap_zalloc(bits, GFP_KERNEL_ACCOUNT);
	if (!ring)
		return -ENOMEM;
	bitmap_free(l->implicit);
	l->implicit = ring;
	l->implicit_mask = bits - 1;
	return 0;
}

/* The hash starts small, as most connections have a few streams, and
 * grows with them (quic_streams_hash_grow()) up to what the limits we
 * give the peer can open at once.
 */
static int quic_streams_hash_init(struct quic_stream_table *t, u64 peer_streams)
{
	u32 bits = QUIC_STREAM_HASH_MIN_BITS, i;

	t->hash_max_bits = clamp_t(u32, order_base_2(peer_streams / 2 + 1),
				   QUIC_STREAM_HASH_MIN_BITS, QUIC_STREAM_HASH_MAX_BITS);
	if (t->hash)
		return 0;
	t->hash = kvmalloc_array(1U << bits, sizeof(*t->hash), GFP_KERNEL_ACCOUNT);
	if (!t->hash)
		return -ENOMEM;
	for (i = 0; i < (1U << bits); i++)
		INIT_HLIST_HEAD(&t->hash[i]);
	t->hash_bits = bits;
	return 0;
}

/* Double the buckets once the streams outnumber them.  In softirq too
 * (streams the peer opens): a failed allocation keeps the table as it
 * is, and lookups walk longer chains.
 */
static void quic_streams_hash_grow(struct sock *sk, struct quic_stream_table *t, gfp_t gfp)
{
	u32 bits = t->hash_bits + 1, i;
	struct mem_cgroup *old_memcg;
	struct hlist_head *hash;
	struct quic_stream *st;

	if (t->count <= (1U << t->hash_bits) || t->hash_bits >= t->hash_max_bits)
		return;
	/* Charged to the socket's memory cgroup in softirq too. */
	old_memcg = set_active_memcg(mem_cgroup_from_sk(sk));
	hash = kvmalloc_array(1U << bits, sizeof(*hash), gfp | __GFP_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(old_memcg);
	if (!hash)
		return;
	for (i = 0; i < (1U << bits); i++)
		INIT_HLIST_HEAD(&hash[i]);
	list_for_each_entry(st, &t->all, list)
		hlist_add_head(&st->node, &hash[hash_64((u64)st->id, bits)]);
	kvfree(t->hash);
	t->hash = hash;
	t->hash_bits = bits;
}

/**
 * quic_streams_set_limits - take the limits from both sides' parameters
 * @sk: the connection, once the peer's transport parameters are known
 *
 * Our own limits (16 bits in the ABI) size the hash and the rings of
 * implicit streams.  Called again with the handshake's parameters after
 * a 0-RTT start: a ring only grows while no peer stream is open yet.
 *
 * Return: 0 or -ENOMEM.
 */
int quic_streams_set_limits(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream_table *t = &qs->streams;
	int err;

	err = quic_streams_hash_init(t, qs->local.max_streams_bidi +
					qs->local.max_streams_uni);
	if (!err)
		err = quic_streams_implicit_init(&t->remote_bidi, qs->local.max_streams_bidi);
	if (!err)
		err = quic_streams_implicit_init(&t->remote_uni, qs->local.max_streams_uni);
	if (err)
		return err;
	t->local_bidi.max = qs->peer.max_streams_bidi;
	t->local_uni.max = qs->peer.max_streams_uni;
	t->remote_bidi.max = qs->local.max_streams_bidi;
	t->remote_bidi.announced = t->remote_bidi.max;
	t->remote_uni.max = qs->local.max_streams_uni;
	t->remote_uni.announced = t->remote_uni.max;
	t->send_max = qs->peer.max_data;
	t->recv_max = qs->local.max_data;
	t->recv_window = qs->local.max_data;
	return 0;
}

struct quic_stream *quic_stream_find(struct quic_stream_table *t, s64 id)
{
	struct quic_stream *st;

	if (!t->hash)
		return NULL;
	hlist_for_each_entry(st, &t->hash[quic_stream_hash(t, id)], node)
		if (st->id == id)
			return st;
	return NULL;
}

/* RFC 9000 section 4.1: each side's initial limits, by who opened the
 * stream and its direction.
 */
static void quic_stream_limits_init(struct quic_sock *qs, struct quic_stream *st)
{
	bool local = quic_stream_is_local(&qs->streams, st->id);

	if (quic_stream_is_uni(st->id)) {
		st->send_max = local ? qs->peer.max_stream_data_uni : 0;
		st->recv_max = local ? 0 : qs->local.max_stream_data_uni;
	} else if (local) {
		st->send_max = qs->peer.max_stream_data_bidi_remote;
		st->recv_max = qs->local.max_stream_data_bidi_local;
	} else {
		st->send_max = qs->peer.max_stream_data_bidi_local;
		st->recv_max = qs->local.max_stream_data_bidi_remote;
	}
	st->recv_window = st->recv_max;
}

/* What a stream costs the socket: streams the peer opens are made in
 * softirq, for ours the user waits; both count in the protocol's memory.
 */
#define QUIC_STREAM_TRUESIZE	kmalloc_size_roundup(sizeof(struct quic_stream))

static struct quic_stream *quic_stream_create(struct sock *sk, s64 id, gfp_t gfp)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream_table *t = &qs->streams;
	bool local = quic_stream_is_local(t, id);
	struct quic_stream *st;

	if (!t->hash ||
	    !__sk_mem_schedule(sk, QUIC_STREAM_TRUESIZE, local ? SK_MEM_SEND : SK_MEM_RECV))
		return NULL;
	st = kzalloc_obj(*st, gfp);
	if (!st)
		return NULL;
	sk_mem_charge(sk, QUIC_STREAM_TRUESIZE);
	st->id = id;
	st->final_size = U64_MAX;
	st->recv_state = QUIC_STREAM_RECV_STATE_RECV;
	st->reasm = RB_ROOT;
	quic_stream_limits_init(qs, st);
	if (local && quic_stream_is_uni(id))
		st->recv_state = QUIC_STREAM_RECV_STATE_READ;	/* never receives */
	if (!local && quic_stream_is_uni(id))
		st->send_state = QUIC_STREAM_SEND_STATE_RECVD;	/* never sends */
	hlist_add_head(&st->node, &t->hash[quic_stream_hash(t, id)]);
	list_add_tail(&st->list, &t->all);
	t->count++;
	quic_streams_hash_grow(sk, t, gfp);
	return st;
}

static void quic_stream_free(struct sock *sk, struct quic_stream *st)
{
	quic_sk(sk)->streams.count--;
	hlist_del(&st->node);
	list_del(&st->list);
	quic_reasm_purge(&st->reasm);
	kfree(st);
	sk_mem_uncharge(sk, QUIC_STREAM_TRUESIZE);
}

void quic_streams_free(struct sock *sk)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream *st, *tmp;

	list_for_each_entry_safe(st, tmp, &t->all, list)
		quic_stream_free(sk, st);
	kvfree(t->hash);
	t->hash = NULL;
	bitmap_free(t->remote_bidi.implicit);
	t->remote_bidi.implicit = NULL;
	bitmap_free(t->remote_uni.implicit);
	t->remote_uni.implicit = NULL;
}

static struct quic_stream_limits *quic_stream_limits(struct quic_stream_table *t, s64 id)
{
	bool uni = quic_stream_is_uni(id);

	if (quic_stream_is_local(t, id))
		return uni ? &t->local_uni : &t->local_bidi;
	return uni ? &t->remote_uni : &t->remote_bidi;
}

static bool quic_stream_implicit_test(const struct quic_stream_limits *l, u64 n)
{
	return n >= l->implicit_base && n < l->opened &&
	       test_bit(n & l->implicit_mask, l->implicit);
}

/* Move the base past streams that are not implicit: each number is
 * passed once in the life of the connection.
 */
static void quic_stream_implicit_advance(struct quic_stream_limits *l)
{
	while (l->implicit_base < l->opened &&
	       !test_bit(l->implicit_base & l->implicit_mask, l->implicit))
		l->implicit_base++;
}

/* Give an implicit stream its state. */
static struct quic_stream *quic_stream_materialize(struct sock *sk,
						   struct quic_stream_limits *l,
						   s64 id, gfp_t gfp)
{
	u64 n = (u64)id >> 2;
	struct quic_stream *st;

	st = quic_stream_create(sk, id, gfp);
	if (!st)
		return NULL;
	clear_bit(n & l->implicit_mask, l->implicit);
	quic_stream_implicit_advance(l);
	return st;
}

/* The peer opened stream @id, and with it every lower one of its type
 * not opened yet (RFC 9000 section 3.2): those are only marked.  The
 * ring covers the numbers from the lowest implicit stream up; a peer
 * that leaves an old stream untouched while it opens and closes others
 * may outrun it, and then the oldest implicit streams get their state.
 */
static struct quic_stream *quic_stream_peer_open(struct sock *sk,
						 struct quic_stream_limits *l,
						 s64 id, gfp_t gfp)
{
	u64 n = (u64)id >> 2, i;
	struct quic_stream *st;

	if (n - l->opened > l->implicit_mask)	/* beyond what we allowed */
		return NULL;
	while (l->implicit_base < l->opened && n - l->implicit_base > l->implicit_mask) {
		if (!quic_stream_materialize(sk, l, (l->implicit_base << 2) | (id & 3), gfp))
			return NULL;
	}
	st = quic_stream_create(sk, id, gfp);
	if (!st)
		return NULL;
	for (i = l->opened; i < n; i++)
		set_bit(i & l->implicit_mask, l->implicit);
	l->opened = n + 1;
	quic_stream_implicit_advance(l);
	return st;
}

/**
 * quic_stream_get - the state of a stream a socket call names
 * @sk: the connection, locked
 * @id: a valid stream ID
 *
 * Return: the stream, or NULL for one that is not open, or closed.  A
 * stream the peer opened implicitly gets its state here.
 */
static struct quic_stream *quic_stream_get(struct sock *sk, s64 id)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream *st = quic_stream_find(t, id);
	struct quic_stream_limits *l;

	if (st || quic_stream_is_local(t, id))
		return st;
	l = quic_stream_limits(t, id);
	if (!quic_stream_implicit_test(l, (u64)id >> 2))
		return NULL;
	return quic_stream_materialize(sk, l, id, GFP_KERNEL);
}

/* A finished stream goes away; a peer's stream gives back its credit
 * (RFC 9000 section 4.6).
 */
static void quic_stream_maybe_free(struct sock *sk, struct quic_stream *st)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream_limits *l;
	struct quic_frame fr = {};

	if (st->recv_state != QUIC_STREAM_RECV_STATE_READ &&
	    st->recv_state != QUIC_STREAM_RECV_STATE_RESET_READ &&
	    st->recv_state != QUIC_STREAM_RECV_STATE_RESET_RECVD)
		return;
	if (st->send_state != QUIC_STREAM_SEND_STATE_RECVD &&
	    st->send_state != QUIC_STREAM_SEND_STATE_RESET_RECVD)
		return;
	if (t->last_id == st->id)
		t->last_id = -1;
	if (!quic_stream_is_local(t, st->id)) {
		l = quic_stream_limits(t, st->id);
		l->max++;
		/* Announce in batches of an eighth of what was announced. */
		if (l->max - l->announced >= max_t(u64, 1, l->announced / 8)) {
			fr.type = quic_stream_is_uni(st->id) ? QUIC_FRAME_MAX_STREAMS_UNI
							     : QUIC_FRAME_MAX_STREAMS_BIDI;
			fr.value = l->max;
			if (!quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr))
				l->announced = l->max;
		}
	}
	quic_stream_free(sk, st);
}

/* Wait until the peer's MAX_STREAMS lets stream number @n open. */
static int quic_stream_wait_open(struct sock *sk, struct quic_stream_limits *l, u64 n,
				 long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (n >= l->max) {
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (sk->sk_err || quic_sk(sk)->closing) {
			err = -EPIPE;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, n < l->max || sk->sk_err ||
			      quic_sk(sk)->closing, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* RFC 9000 section 4.6: tell the peer once per limit value that it holds
 * us back; a blocked sender that retries must not queue a frame each time.
 * The frame goes out when the caller releases the socket, or sleeps.
 */
static void quic_stream_blocked(struct sock *sk, struct quic_stream_limits *l, bool uni)
{
	struct quic_frame fr = {};

	if (l->blocked)
		return;
	fr.type = uni ? QUIC_FRAME_STREAMS_BLOCKED_UNI : QUIC_FRAME_STREAMS_BLOCKED_BIDI;
	fr.value = l->max;
	if (quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr))
		return;
	l->blocked = true;
	set_bit(QUIC_DEFER_FLUSH, &quic_sk(sk)->deferred);
}

/**
 * quic_stream_open - open one of our streams
 * @sk: the connection, locked
 * @id: in: a stream ID, or -1 for the next one of the type @flags say;
 *	out: the stream opened
 * @flags: MSG_QUIC_STREAM_UNI, MSG_QUIC_STREAM_DONTWAIT
 * @nonblock: do not wait for MAX_STREAMS
 *
 * Return: 0, -EAGAIN when the peer's limit is reached and waiting is not
 * allowed, -EINVAL for an ID that is not ours or already used.
 */
int quic_stream_open(struct sock *sk, s64 *id, u32 flags, bool nonblock)
{
	long timeo = (nonblock || (flags & MSG_QUIC_STREAM_DONTWAIT)) ? 0 :
		     sock_sndtimeo(sk, false);
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream_limits *l;
	bool next = *id == -1;
	u8 type;
	u64 n;
	int err;

	quic_sock_assert_locked(sk);
	if (!next && (!quic_stream_id_valid(*id) || !quic_stream_is_local(t, *id)))
		return -EINVAL;
	type = next ? (flags & MSG_QUIC_STREAM_UNI ? QUIC_STREAM_UNI : 0) | t->is_server
		    : *id & 3;
	l = quic_stream_limits(t, type);
	/* The wait releases the socket lock: another caller may open
	 * streams meanwhile, so the number is taken, or checked, again.
	 */
	for (;;) {
		n = next ? l->opened : (u64)*id >> 2;
		if (n < l->opened)
			return -EINVAL;		/* opened before */
		if (n < l->max)
			break;
		quic_stream_blocked(sk, l, type & QUIC_STREAM_UNI);
		err = quic_stream_wait_open(sk, l, n, &timeo);
		if (err)
			return err;
	}
	if (!quic_stream_create(sk, (n << 2) | type, GFP_KERNEL))
		return -ENOMEM;
	*id = (n << 2) | type;
	l->opened = n + 1;
	t->last_id = *id;
	return 0;
}

/**
 * quic_stream_send_get - the stream sendmsg() writes to
 * @sk: the connection, locked
 * @id: stream ID; one of ours not opened yet is opened
 * @flags: MSG_QUIC_STREAM_* flags, for the open
 * @nonblock: do not wait for MAX_STREAMS
 * @sp: the stream
 *
 * Return: 0, -EINVAL for a stream we cannot send on, or an error of
 * quic_stream_open().
 */
int quic_stream_send_get(struct sock *sk, s64 id, u32 flags, bool nonblock,
			 struct quic_stream **sp)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream *st;
	int err;

	quic_sock_assert_locked(sk);
	if (!quic_stream_id_valid(id))
		return -EINVAL;
	st = quic_stream_get(sk, id);
	if (!st) {
		/* The draft's rule: a stream of ours is opened by
		 * MSG_QUIC_STREAM_NEW or QUIC_SOCKOPT_STREAM_OPEN, never by
		 * data alone.
		 */
		if (!quic_stream_is_local(t, id) || !(flags & MSG_QUIC_STREAM_NEW) ||
		    (u64)id >> 2 < quic_stream_limits(t, id)->opened)
			return -EINVAL;	/* not opened, or closed */
		err = quic_stream_open(sk, &id, flags, nonblock);
		if (err)
			return err;
		st = quic_stream_find(t, id);
	}
	if (st->send_state >= QUIC_STREAM_SEND_STATE_SENT)
		return -EINVAL;		/* FIN sent, reset, or receive only */
	*sp = st;
	return 0;
}

/**
 * quic_stream_send_room - bytes flow control lets us queue on a stream
 * @sk: the connection
 * @st: the stream
 *
 * Return: the smaller of the stream's and the connection's credit.
 */
u64 quic_stream_send_room(struct sock *sk, struct quic_stream *st)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	u64 room = st->send_max > st->send_off ? st->send_max - st->send_off : 0;

	return min(room, t->send_max > t->send_total ? t->send_max - t->send_total : 0);
}

/* Find the stream a received frame is for; a peer's stream is opened by
 * its first frame, along with the lower ones of its type (RFC 9000 3.2).
 * *stp is NULL for a stream that is already closed.
 */
static int quic_stream_rcv_get(struct sock *sk, s64 id, bool sending,
			       struct quic_stream **stp, u32 *errcode)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream_limits *l = quic_stream_limits(t, id);
	u64 n = (u64)id >> 2;

	*stp = quic_stream_find(t, id);
	/* RFC 9000 section 19.8, 19.4, 19.5: direction checks */
	if (quic_stream_is_uni(id) && quic_stream_is_local(t, id) != sending) {
		*errcode = QUIC_TRANSPORT_ERROR_STREAM_STATE;
		return -EPROTO;
	}
	if (*stp)
		return 0;
	if (quic_stream_is_local(t, id)) {
		if (n >= l->opened) {
			*errcode = QUIC_TRANSPORT_ERROR_STREAM_STATE;
			return -EPROTO;
		}
		return 0;	/* closed */
	}
	if (n >= l->max) {
		*errcode = QUIC_TRANSPORT_ERROR_STREAM_LIMIT;
		return -EPROTO;
	}
	if (n >= l->opened)
		*stp = quic_stream_peer_open(sk, l, id, GFP_ATOMIC);
	else if (quic_stream_implicit_test(l, n))
		*stp = quic_stream_materialize(sk, l, id, GFP_ATOMIC);
	else
		return 0;	/* closed */
	return *stp ? 0 : -ENOMEM;
}

static int quic_stream_fc_check(struct sock *sk, struct quic_stream *st, u64 end,
				bool fin, u32 *errcode)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;

	if (end > st->recv_max) {
		*errcode = QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
		return -EPROTO;
	}
	/* RFC 9000 section 4.5 */
	if ((st->final_size != U64_MAX && (end > st->final_size ||
					   (fin && end != st->final_size))) ||
	    (fin && end < st->recv_highest)) {
		*errcode = QUIC_TRANSPORT_ERROR_FINAL_SIZE;
		return -EPROTO;
	}
	if (end > st->recv_highest) {
		if (t->recv_total + end - st->recv_highest > t->recv_max) {
			*errcode = QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
			return -EPROTO;
		}
		t->recv_total += end - st->recv_highest;
		st->recv_highest = end;
	}
	if (fin)
		st->final_size = end;
	return 0;
}

static struct sk_buff *quic_stream_skb(struct sock *sk, struct quic_stream *st,
				       u64 offset, const u8 *data, u32 len)
{
	struct sk_buff *skb;

	skb = alloc_skb(len, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_put_data(skb, data, len);
	QUIC_RCV_CB(skb)->kind = QUIC_RCV_STREAM;
	QUIC_RCV_CB(skb)->stream_id = st->id;
	QUIC_RCV_CB(skb)->offset = offset;
	QUIC_RCV_CB(skb)->read = 0;
	QUIC_RCV_CB(skb)->fin = false;
	return skb;
}

/* Hand in-order data to the user, then whatever the reassembly queue now
 * continues.
 */
static int quic_stream_deliver(struct sock *sk, struct quic_stream *st,
			       struct sk_buff *skb)
{
	struct quic_rcv_cb *cb;
	u64 end;
	int err;

	do {
		cb = QUIC_RCV_CB(skb);
		end = cb->offset + skb->len;
		/* Charged before the offsets move: data refused now must be
		 * taken when the peer sends it again.
		 */
		err = quic_rcv_charge(sk, skb);
		if (err) {
			kfree_skb(skb);
			return err;
		}
		/* Old data, unless it is the FIN of an empty last piece */
		if (end <= st->recv_off &&
		    !(end == st->final_size && end == st->recv_off &&
		      st->recv_state == QUIC_STREAM_RECV_STATE_RECV)) {
			kfree_skb(skb);	/* all seen already */
		} else {
			if (cb->offset < st->recv_off) {
				__skb_pull(skb, st->recv_off - cb->offset);
				cb->offset = st->recv_off;
			}
			cb->fin = end == st->final_size;
			st->recv_off = end;
			if (cb->fin)
				st->recv_state = QUIC_STREAM_RECV_STATE_RECVD;
			quic_rcv_enqueue(sk, skb);	/* charged: cannot fail */
		}
		skb = quic_reasm_next(&st->reasm, st->recv_off);
	} while (skb);
	return 0;
}

/**
 * quic_stream_rcv_data - a STREAM frame arrived
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * Return: 0, -EPROTO with @errcode, or -ENOBUFS/-ENOMEM to drop the
 * packet without acknowledging it.
 */
int quic_stream_rcv_data(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	u64 end = f->stream.offset + f->stream.len;
	struct quic_stream *st;
	struct sk_buff *skb;
	int err, rmem;
	u64 limit;

	quic_sock_assert_locked(sk);
	err = quic_stream_rcv_get(sk, f->stream.id, false, &st, errcode);
	if (err || !st)
		return err;
	/* Data in order may wait for the reader up to the buffer plus
	 * twice the connection window the user gave the peer (pieces of a
	 * packet cost more than their bytes); data beyond a gap only up to
	 * the buffer, so tiny pieces at scattered offsets cannot pin more.
	 * Before the handshake is done, when 0-RTT data cannot be read yet,
	 * all of it stays within half the buffer: the handshake data that
	 * completes it must still fit.
	 */
	rmem = atomic_read(&sk->sk_rmem_alloc);
	limit = (u64)READ_ONCE(sk->sk_rcvbuf) + 2 * min_t(u64, t->recv_window, SZ_1G);
	if (!quic_sk(sk)->handshake_done)
		limit = READ_ONCE(sk->sk_rcvbuf) / 2;
	if (rmem > limit)
		return -ENOBUFS;
	err = quic_stream_fc_check(sk, st, end, f->stream.fin, errcode);
	if (err)
		return err;
	if (st->recv_state != QUIC_STREAM_RECV_STATE_RECV)
		return 0;	/* all received, or reset */
	if (end < st->recv_off || (end == st->recv_off && end != st->final_size))
		return 0;	/* a duplicate */
	if (f->stream.offset > st->recv_off && quic_reasm_holds(&st->reasm, f->stream.offset, end))
		return 0;	/* a repeat of what waits already */
	skb = quic_stream_skb(sk, st, f->stream.offset, f->stream.data, f->stream.len);
	if (!skb)
		return -ENOMEM;
	if (f->stream.offset <= st->recv_off)
		return quic_stream_deliver(sk, st, skb);
	err = -ENOBUFS;
	if (rmem + skb->truesize <= min_t(u64, limit, READ_ONCE(sk->sk_rcvbuf)))
		err = quic_rcv_charge(sk, skb);
	if (err || !quic_reasm_insert(&st->reasm, skb)) {
		kfree_skb(skb);
		return err;
	}
	return 0;
}

static void quic_stream_update_event(struct sock *sk, struct quic_stream *st,
				     u8 state, u64 errcode, u64 finalsz)
{
	struct quic_stream_update u = {
		.id = st->id,
		.state = state,
		.errcode = errcode,
		.finalsz = finalsz,
	};

	quic_event_deliver(sk, QUIC_EVENT_STREAM_UPDATE, &u, sizeof(u));
}

/**
 * quic_stream_rcv_reset - a RESET_STREAM frame arrived (RFC 9000 19.4)
 * @sk: the connection
 * @f: the frame; @f->stream.len is the final size
 * @errcode: transport error when the frame breaks the rules
 *
 * Return: 0 or -EPROTO with @errcode.
 */
int quic_stream_rcv_reset(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream *st;
	int err;

	quic_sock_assert_locked(sk);
	err = quic_stream_rcv_get(sk, f->stream.id, false, &st, errcode);
	if (err || !st)
		return err;
	err = quic_stream_fc_check(sk, st, f->stream.len, true, errcode);
	if (err)
		return err;
	if (st->recv_state >= QUIC_STREAM_RECV_STATE_RECVD)
		return 0;	/* everything arrived anyway, or reset before */
	st->recv_state = QUIC_STREAM_RECV_STATE_RESET_RECVD;
	quic_reasm_purge(&st->reasm);
	quic_stream_update_event(sk, st, QUIC_STREAM_RECV_STATE_RESET_RECVD,
				 f->stream.error, f->stream.len);
	quic_stream_maybe_free(sk, st);
	return 0;
}

/**
 * quic_stream_drop_unsent - forget the queued STREAM frames of a stream
 * @sk: the connection
 * @id: the stream
 */
void quic_stream_drop_unsent(struct sock *sk, s64 id)
{
	struct quic_space *s = &quic_sk(sk)->space[QUIC_SPACE_APP];
	struct quic_frame_out *f, *tmp;

	quic_sock_assert_locked(sk);
	list_for_each_entry_safe(f, tmp, &s->sendq, list) {
		if (f->stream_id != id || f->type != QUIC_FRAME_STREAM)
			continue;
		list_del(&f->list);
		quic_frame_free(sk, f);
	}
}

static int quic_stream_send_reset(struct sock *sk, struct quic_stream *st, u64 errcode)
{
	struct quic_frame fr = {};
	int err;

	if (st->send_state >= QUIC_STREAM_SEND_STATE_RECVD)
		return 0;
	fr.type = QUIC_FRAME_RESET_STREAM;
	fr.stream.id = st->id;
	fr.stream.error = errcode;
	fr.stream.len = st->send_off;
	err = quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr);
	if (err)
		return err;
	/* Mark it so its acknowledgment moves the stream to Reset Recvd. */
	list_last_entry(&quic_sk(sk)->space[QUIC_SPACE_APP].sendq,
			struct quic_frame_out, list)->stream_id = st->id;
	quic_stream_drop_unsent(sk, st->id);
	st->send_state = QUIC_STREAM_SEND_STATE_RESET_SENT;
	return 0;
}

/**
 * quic_stream_rcv_stop - a STOP_SENDING frame arrived (RFC 9000 19.5)
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * We answer with RESET_STREAM carrying the peer's error code (3.5).
 *
 * Return: 0 or -EPROTO with @errcode.
 */
int quic_stream_rcv_stop(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream *st;
	int err;

	quic_sock_assert_locked(sk);
	err = quic_stream_rcv_get(sk, f->stream.id, true, &st, errcode);
	if (err || !st)
		return err;
	if (st->send_state >= QUIC_STREAM_SEND_STATE_RECVD)
		return 0;
	if (!quic_frame_reply_room(sk))	/* one per stream, but many streams */
		return -ENOBUFS;
	err = quic_stream_send_reset(sk, st, f->stream.error);
	if (!err)
		quic_stream_update_event(sk, st, QUIC_STREAM_SEND_STATE_RESET_SENT,
					 f->stream.error, 0);
	return err;
}

/**
 * quic_stream_rcv_blocked - a STREAM_DATA_BLOCKED frame arrived (19.13)
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * Nothing to do but the checks: a stream the peer cannot send on is a
 * STREAM_STATE_ERROR.  Credit goes out as the user reads anyway.
 *
 * Return: 0 or -EPROTO with @errcode.
 */
int quic_stream_rcv_blocked(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream *st;

	quic_sock_assert_locked(sk);
	return quic_stream_rcv_get(sk, f->stream.id, false, &st, errcode);
}

/**
 * quic_stream_rcv_max_data - MAX_DATA or MAX_STREAM_DATA arrived
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * Limits only grow (RFC 9000 sections 19.9, 19.10).
 *
 * Return: 0 or -EPROTO with @errcode.
 */
int quic_stream_rcv_max_data(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream_max_data ev;
	struct quic_stream *st;
	int err;

	quic_sock_assert_locked(sk);
	if (f->type == QUIC_FRAME_MAX_DATA) {
		if (f->value > t->send_max) {
			t->send_max = f->value;
			sk->sk_write_space(sk);
		}
		return 0;
	}
	err = quic_stream_rcv_get(sk, f->stream.id, true, &st, errcode);
	if (err || !st || f->stream.offset <= st->send_max)
		return err;
	st->send_max = f->stream.offset;
	ev.id = st->id;
	ev.max_data = st->send_max;
	quic_event_deliver(sk, QUIC_EVENT_STREAM_MAX_DATA, &ev, sizeof(ev));
	sk->sk_write_space(sk);
	return 0;
}

/**
 * quic_stream_rcv_max_streams - MAX_STREAMS arrived (RFC 9000 19.11)
 * @sk: the connection
 * @f: the frame
 * @errcode: unused, the decoder checked the 2^60 limit
 *
 * Return: 0.
 */
int quic_stream_rcv_max_streams(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	bool uni = f->type == QUIC_FRAME_MAX_STREAMS_UNI;
	struct quic_stream_limits *l = uni ? &t->local_uni : &t->local_bidi;
	u64 ev;

	quic_sock_assert_locked(sk);
	if (f->value <= l->max)
		return 0;
	l->max = f->value;
	l->blocked = false;
	ev = (l->max << 2) | (uni ? QUIC_STREAM_UNI : 0) | t->is_server;
	quic_event_deliver(sk, QUIC_EVENT_STREAM_MAX_STREAM, &ev, sizeof(ev));
	sk->sk_write_space(sk);
	return 0;
}

/**
 * quic_stream_acked - the peer acknowledged a frame of a stream
 * @sk: the connection
 * @id: the stream
 * @type: QUIC_FRAME_STREAM or QUIC_FRAME_RESET_STREAM
 * @len: stream bytes it carried
 * @fin: it carried FIN
 */
void quic_stream_acked(struct sock *sk, s64 id, u8 type, u32 len, bool fin)
{
	struct quic_stream *st = quic_stream_find(&quic_sk(sk)->streams, id);

	quic_sock_assert_locked(sk);
	if (!st)
		return;
	if (type == QUIC_FRAME_RESET_STREAM) {
		st->send_state = QUIC_STREAM_SEND_STATE_RESET_RECVD;
		quic_stream_update_event(sk, st, st->send_state, 0, st->send_off);
		quic_stream_maybe_free(sk, st);
		return;
	}
	if (st->send_state == QUIC_STREAM_SEND_STATE_RESET_SENT)
		return;
	st->send_acked += len;
	st->fin_acked |= fin;
	if (len || fin)
		quic_sk(sk)->flush_progress = quic_now();
	if (st->fin_acked && st->send_acked == st->send_off) {
		st->send_state = QUIC_STREAM_SEND_STATE_RECVD;
		quic_stream_update_event(sk, st, st->send_state, 0, st->send_off);
		quic_stream_maybe_free(sk, st);
	}
}

/**
 * quic_streams_send_pending - is some stream data still unacknowledged?
 * @t: the stream table
 *
 * Return: true while a stream that was not reset has bytes or a FIN the
 * peer has not acknowledged.
 */
bool quic_streams_send_pending(struct quic_stream_table *t)
{
	struct quic_stream *st;

	list_for_each_entry(st, &t->all, list) {
		if (st->send_state == QUIC_STREAM_SEND_STATE_SENT ||
		    (st->send_state == QUIC_STREAM_SEND_STATE_SEND &&
		     st->send_acked < st->send_off))
			return true;
	}
	return false;
}

static void quic_credit(struct sock *sk, u64 read, u64 *max, u64 window,
			u8 type, s64 id)
{
	struct quic_frame fr = {};

	/* Update when half the window is used (RFC 9000 section 4.2). */
	if (*max - read >= window / 2)
		return;
	fr.type = type;
	if (type == QUIC_FRAME_MAX_DATA) {
		fr.value = read + window;
	} else {
		fr.stream.id = id;
		fr.stream.offset = read + window;
	}
	if (!quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr))
		*max = read + window;
}

/**
 * quic_stream_read - the user read stream data
 * @sk: the connection, locked
 * @id: the stream
 * @len: bytes read
 * @fin: the read reached the end of the stream
 */
void quic_stream_read(struct sock *sk, s64 id, u32 len, bool fin)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream *st;

	quic_sock_assert_locked(sk);
	t->recv_read += len;
	quic_credit(sk, t->recv_read, &t->recv_max, t->recv_window, QUIC_FRAME_MAX_DATA, 0);
	st = quic_stream_find(t, id);
	if (!st)
		return;
	st->recv_read += len;
	if (fin) {
		st->recv_state = QUIC_STREAM_RECV_STATE_READ;
		quic_stream_maybe_free(sk, st);
		return;
	}
	if (st->final_size == U64_MAX)
		quic_credit(sk, st->recv_read, &st->recv_max, st->recv_window,
			    QUIC_FRAME_MAX_STREAM_DATA, id);
}

/**
 * quic_stream_reset - QUIC_SOCKOPT_STREAM_RESET
 * @sk: the connection, locked
 * @id: the stream
 * @errcode: application error code
 *
 * Return: 0 or -EINVAL for a stream we do not send on.
 */
int quic_stream_reset(struct sock *sk, s64 id, u64 errcode)
{
	struct quic_stream *st;

	quic_sock_assert_locked(sk);
	if (!quic_stream_id_valid(id) ||
	    (!quic_stream_is_local(&quic_sk(sk)->streams, id) && quic_stream_is_uni(id)))
		return -EINVAL;		/* not one we send on */
	st = quic_stream_get(sk, id);
	if (!st)
		return -EINVAL;
	if (st->send_state >= QUIC_STREAM_SEND_STATE_RECVD)
		return -EINVAL;
	return quic_stream_send_reset(sk, st, errcode);
}

/**
 * quic_stream_stop_sending - QUIC_SOCKOPT_STREAM_STOP_SENDING
 * @sk: the connection, locked
 * @id: the stream
 * @errcode: application error code
 *
 * Return: 0 or -EINVAL for a stream we do not receive on.
 */
int quic_stream_stop_sending(struct sock *sk, s64 id, u64 errcode)
{
	struct quic_frame fr = {};
	struct quic_stream *st;
	int err;

	quic_sock_assert_locked(sk);
	if (!quic_stream_id_valid(id) ||
	    (quic_stream_is_local(&quic_sk(sk)->streams, id) && quic_stream_is_uni(id)))
		return -EINVAL;		/* not one we receive on */
	st = quic_stream_get(sk, id);
	if (!st || st->recv_state != QUIC_STREAM_RECV_STATE_RECV)
		return -EINVAL;
	if (st->stop_sent)
		return 0;	/* asked once: the frame is resent if lost */
	fr.type = QUIC_FRAME_STOP_SENDING;
	fr.stream.id = id;
	fr.stream.error = errcode;
	err = quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr);
	if (!err)
		st->stop_sent = true;
	return err;
}
