/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Frames waiting to be sent, packets in flight, and the packet number
 * spaces that hold them.
 */

#ifndef __NET_QUIC_SPACE_H
#define __NET_QUIC_SPACE_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#include "frame.h"
#include "pnspace.h"

/**
 * enum quic_space_id - packet number spaces (RFC 9000 section 12.3)
 * @QUIC_SPACE_INITIAL: Initial packets
 * @QUIC_SPACE_HANDSHAKE: Handshake packets
 * @QUIC_SPACE_APP: 0-RTT and 1-RTT packets
 * @QUIC_SPACE_MAX: number of spaces
 */
enum quic_space_id {
	QUIC_SPACE_INITIAL,
	QUIC_SPACE_HANDSHAKE,
	QUIC_SPACE_APP,
	QUIC_SPACE_MAX,
};

/**
 * struct quic_frame_out - one encoded frame, kept until acknowledged
 * @list: entry in a space's send queue, or in a sent packet's frame list
 * @stream_id: stream of a STREAM or RESET_STREAM frame
 * @offset: stream offset of STREAM data
 * @data_len: bytes of STREAM or CRYPTO data
 * @len: encoded length at @data
 * @type: frame type, without STREAM flag bits
 * @fin: a STREAM frame carrying FIN
 * @dup: a copy sent by a probe; its original is the one accounted
 * @truesize: memory charged to the socket's send buffer
 * @data: the encoded frame
 *
 * A lost frame is sent again as it is: STREAM and CRYPTO frames keep
 * their offsets, and the other retransmittable frames are idempotent.
 */
struct quic_frame_out {
	struct list_head	list;
	s64			stream_id;
	u64			offset;
	u32			data_len;
	u16			len;
	u8			type;
	bool			fin;
	bool			dup;
	u32			truesize;
	u8			data[];
};

/**
 * struct quic_sent_pkt - a packet waiting for its acknowledgment
 * @list: entry in its space's sent list, in packet number order
 * @frames: the retransmittable frames it carried
 * @pn: packet number
 * @sent_time: when, in microseconds
 * @size: bytes on the wire, counted in bytes_in_flight when @in_flight
 * @ack_eliciting: carried a frame other than ACK, PADDING, CONNECTION_CLOSE
 * @in_flight: counted for congestion control (RFC 9002 section 2)
 * @ecn: how it was marked: QUIC_ECN_SENT_* (ecn.h)
 */
struct quic_sent_pkt {
	struct list_head	list;
	struct list_head	frames;
	u64			pn;
	u64			sent_time;
	u32			size;
	bool			ack_eliciting;
	bool			in_flight;
	u8			ecn;
};

/**
 * struct quic_crypto_stream - CRYPTO frame offsets of one space
 * @send_off: next offset to send
 * @recv_off: next offset to deliver to user space
 * @reasm: data received beyond @recv_off, by offset
 * @reasm_mem: truesize of the skbs in @reasm, bounded
 */
struct quic_crypto_stream {
	u64			send_off;
	u64			recv_off;
	struct rb_root		reasm;
	u32			reasm_mem;
};

#define QUIC_PENDING_MAX	8	/* packets a space keeps waiting for keys */

/**
 * struct quic_space - one packet number space
 * @recv: packet numbers received
 * @crypto: its CRYPTO stream
 * @sendq: frames not sent yet, or lost and to be sent again
 * @sent: packets in flight, lowest packet number first
 * @next_pn: number of the next packet sent
 * @largest_acked: largest packet number the peer acknowledged, or -1
 * @largest_recv: largest packet number received, or -1
 * @largest_recv_time: when it arrived, in microseconds, for ACK Delay
 * @loss_time: when the earliest packet becomes lost by time threshold,
 *	0 if none (RFC 9002 section 6.1.2)
 * @last_ack_eliciting: when the last ack-eliciting packet was sent
 * @ack_eliciting_in_flight: ack-eliciting packets not yet acknowledged
 * @ack_pending: ack-eliciting packets received since our last ACK
 * @ack_immediate: send an ACK without delay
 * @keys_discarded: keys dropped: nothing is sent or accepted any more
 * @pending: packets that arrived before their keys, replayed once keys
 *	are installed (RFC 9001 section 5.7); at most %QUIC_PENDING_MAX
 *
 * Locking: under the connection's socket lock.
 */
struct quic_space {
	struct quic_pnspace		recv;
	struct quic_crypto_stream	crypto;
	struct list_head		sendq;
	struct list_head		sent;
	u64				next_pn;
	s64				largest_acked;
	s64				largest_recv;
	u64				largest_recv_time;
	u64				loss_time;
	u64				last_ack_eliciting;
	u32				ack_eliciting_in_flight;
	u16				ack_pending;
	bool				ack_immediate;
	bool				keys_discarded;
	struct sk_buff_head		pending;
};

struct sock;

u8 quic_space_level(u8 space, bool early);
u8 quic_level_space(u8 level);
void quic_space_init(struct quic_space *s);
void quic_space_purge(struct sock *sk, struct quic_space *s);

struct quic_frame_out *quic_frame_alloc(struct sock *sk, u32 len, gfp_t gfp);
void quic_frame_free(struct sock *sk, struct quic_frame_out *f);
int quic_frame_queue(struct sock *sk, u8 level, const struct quic_frame *fr);
int quic_frame_queue_first(struct sock *sk, u8 level, const struct quic_frame *fr);
int quic_frame_queue_reply(struct sock *sk, u8 level, const struct quic_frame *fr);
bool quic_frame_reply_room(const struct sock *sk);
void quic_frame_queue_out(struct sock *sk, u8 level, struct quic_frame_out *f);

struct quic_sent_pkt *quic_sent_new(u64 pn);
void quic_sent_free(struct quic_sent_pkt *p);
int quic_space_cache_init(void);
void quic_space_cache_exit(void);

#endif /* __NET_QUIC_SPACE_H */
