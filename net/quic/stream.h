/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Streams (RFC 9000 sections 2 and 3) and flow control (section 4).
 */

#ifndef __NET_QUIC_STREAM_H
#define __NET_QUIC_STREAM_H

#include <linux/skbuff.h>
#include <linux/types.h>

/**
 * struct quic_stream - one stream
 * @node: in the stream table's hash
 * @list: in the stream table's list of all streams
 * @id: stream ID
 * @send_off: offset of the next byte queued for sending
 * @send_max: the peer's limit for this stream (MAX_STREAM_DATA)
 * @send_acked: bytes acknowledged by the peer
 * @send_state: QUIC_STREAM_SEND_STATE_*
 * @fin_sent: FIN queued
 * @fin_acked: FIN acknowledged
 * @stop_sent: we asked the peer to stop sending (STOP_SENDING queued)
 * @recv_off: offset of the next byte to deliver in order
 * @recv_highest: highest offset received, for flow control
 * @recv_max: our limit for the peer (MAX_STREAM_DATA we announced)
 * @recv_read: bytes the user has read
 * @recv_window: window kept ahead of @recv_read
 * @final_size: final size once known, or U64_MAX
 * @recv_state: QUIC_STREAM_RECV_STATE_*
 * @reasm: data received beyond @recv_off, by offset
 *
 * Locking: under the connection's socket lock.
 */
struct quic_stream {
	struct hlist_node	node;
	struct list_head	list;
	s64			id;
	u64			send_off;
	u64			send_max;
	u64			send_acked;
	u8			send_state;
	bool			fin_sent;
	bool			fin_acked;
	bool			stop_sent;
	u64			recv_off;
	u64			recv_highest;
	u64			recv_max;
	u64			recv_read;
	u64			recv_window;
	u64			final_size;
	u8			recv_state;
	struct rb_root		reasm;
};

/**
 * struct quic_stream_limits - stream counts of one direction type
 * @opened: streams of this type opened so far (the next one's number)
 * @max: how many may be opened (MAX_STREAMS)
 * @announced: for peer-initiated types, the MAX_STREAMS value we sent
 * @blocked: for our types, a STREAMS_BLOCKED frame reported @max already
 * @implicit: for the peer's types, a ring of bits over stream numbers
 *	@implicit_base and up: set for a stream the peer opened only by
 *	opening a higher one, which has no state yet
 * @implicit_base: no stream below this number is implicit
 * @implicit_mask: ring size minus one (a power of two, at least the
 *	number of streams we let the peer have open at once)
 *
 * A frame for a high stream number opens all lower ones of its type
 * (RFC 9000 section 3.2); their state is only made when a frame or a
 * socket call names them, so that one frame costs one stream.
 */
struct quic_stream_limits {
	u64		opened;
	u64		max;
	u64		announced;
	bool		blocked;
	unsigned long	*implicit;
	u64		implicit_base;
	u32		implicit_mask;
};

/**
 * struct quic_stream_table - the streams and flow control of a connection
 * @hash: streams by ID; grows with them
 * @hash_bits: log2 of the number of buckets
 * @hash_max_bits: the most @hash_bits may grow to, from the stream limits
 *	we give the peer
 * @count: streams in @hash
 * @all: every stream
 * @local_bidi: our bidirectional streams
 * @local_uni: our unidirectional streams
 * @remote_bidi: the peer's bidirectional streams
 * @remote_uni: the peer's unidirectional streams
 * @last_id: stream that data without a stream cmsg goes to, or -1
 * @send_max: the peer's connection limit (MAX_DATA)
 * @send_total: new stream bytes queued, counted against @send_max
 * @recv_max: our connection limit for the peer
 * @recv_total: sum of the highest offsets received on all streams
 * @recv_read: bytes the user has read
 * @recv_window: connection window we keep ahead of @recv_read
 * @is_server: stream ID parity of our own streams
 *
 * Locking: under the connection's socket lock.
 */
struct quic_stream_table {
	struct hlist_head		*hash;
	u32				hash_bits;
	u32				hash_max_bits;
	u32				count;
	struct list_head		all;
	struct quic_stream_limits	local_bidi;
	struct quic_stream_limits	local_uni;
	struct quic_stream_limits	remote_bidi;
	struct quic_stream_limits	remote_uni;
	s64				last_id;
	u64				send_max;
	u64				send_total;
	u64				recv_max;
	u64				recv_total;
	u64				recv_read;
	u64				recv_window;
	bool				is_server;
};

#define QUIC_STREAM_SERVER	0x1
#define QUIC_STREAM_UNI		0x2

static inline bool quic_stream_is_local(const struct quic_stream_table *t, s64 id)
{
	return (id & QUIC_STREAM_SERVER) == t->is_server;
}

static inline bool quic_stream_is_uni(s64 id)
{
	return id & QUIC_STREAM_UNI;
}

/* Stream IDs are varints (RFC 9000 section 2.1): user space hands us an
 * s64, so every ID that enters from a socket call is checked with this.
 */
static inline bool quic_stream_id_valid(s64 id)
{
	return id >= 0 && id <= (s64)((1ULL << 62) - 1);
}

struct sock;
struct quic_frame;
struct quic_params;

void quic_streams_init(struct quic_stream_table *t, bool is_server);
int quic_streams_set_limits(struct sock *sk);
void quic_streams_free(struct sock *sk);
struct quic_stream *quic_stream_find(struct quic_stream_table *t, s64 id);
int quic_stream_open(struct sock *sk, s64 *id, u32 flags, bool nonblock);
int quic_stream_send_get(struct sock *sk, s64 id, u32 flags, bool nonblock,
			 struct quic_stream **sp);
u64 quic_stream_send_room(struct sock *sk, struct quic_stream *st);
int quic_stream_rcv_data(struct sock *sk, const struct quic_frame *f, u32 *errcode);
int quic_stream_rcv_reset(struct sock *sk, const struct quic_frame *f, u32 *errcode);
int quic_stream_rcv_stop(struct sock *sk, const struct quic_frame *f, u32 *errcode);
int quic_stream_rcv_blocked(struct sock *sk, const struct quic_frame *f, u32 *errcode);
int quic_stream_rcv_max_data(struct sock *sk, const struct quic_frame *f, u32 *errcode);
void quic_stream_drop_unsent(struct sock *sk, s64 id);
int quic_stream_rcv_max_streams(struct sock *sk, const struct quic_frame *f, u32 *errcode);
void quic_stream_acked(struct sock *sk, s64 id, u8 type, u32 len, bool fin);
bool quic_streams_send_pending(struct quic_stream_table *t);
void quic_stream_read(struct sock *sk, s64 id, u32 len, bool fin);
int quic_stream_reset(struct sock *sk, s64 id, u64 errcode);
int quic_stream_stop_sending(struct sock *sk, s64 id, u64 errcode);

#endif /* __NET_QUIC_STREAM_H */
