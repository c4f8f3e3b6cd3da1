/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Frames (RFC 9000 section 19, RFC 9221 section 4): decoding with the
 * checks every frame needs, and encoding.
 */

#ifndef __NET_QUIC_FRAME_H
#define __NET_QUIC_FRAME_H

#include <linux/bits.h>
#include <linux/types.h>

enum quic_frame_type {
	QUIC_FRAME_PADDING		= 0x00,
	QUIC_FRAME_PING			= 0x01,
	QUIC_FRAME_ACK			= 0x02,
	QUIC_FRAME_ACK_ECN		= 0x03,
	QUIC_FRAME_RESET_STREAM		= 0x04,
	QUIC_FRAME_STOP_SENDING		= 0x05,
	QUIC_FRAME_CRYPTO		= 0x06,
	QUIC_FRAME_NEW_TOKEN		= 0x07,
	QUIC_FRAME_STREAM		= 0x08,	/* to 0x0f: OFF 0x04, LEN 0x02, FIN 0x01 */
	QUIC_FRAME_STREAM_LAST		= 0x0f,
	QUIC_FRAME_MAX_DATA		= 0x10,
	QUIC_FRAME_MAX_STREAM_DATA	= 0x11,
	QUIC_FRAME_MAX_STREAMS_BIDI	= 0x12,
	QUIC_FRAME_MAX_STREAMS_UNI	= 0x13,
	QUIC_FRAME_DATA_BLOCKED		= 0x14,
	QUIC_FRAME_STREAM_DATA_BLOCKED	= 0x15,
	QUIC_FRAME_STREAMS_BLOCKED_BIDI	= 0x16,
	QUIC_FRAME_STREAMS_BLOCKED_UNI	= 0x17,
	QUIC_FRAME_NEW_CONNECTION_ID	= 0x18,
	QUIC_FRAME_RETIRE_CONNECTION_ID	= 0x19,
	QUIC_FRAME_PATH_CHALLENGE	= 0x1a,
	QUIC_FRAME_PATH_RESPONSE	= 0x1b,
	QUIC_FRAME_CONNECTION_CLOSE	= 0x1c,
	QUIC_FRAME_CONNECTION_CLOSE_APP	= 0x1d,
	QUIC_FRAME_HANDSHAKE_DONE	= 0x1e,
	QUIC_FRAME_IMMEDIATE_ACK	= 0x1f,	/* the ACK frequency draft */
	QUIC_FRAME_DATAGRAM		= 0x30,	/* RFC 9221: no length */
	QUIC_FRAME_DATAGRAM_LEN		= 0x31,
	QUIC_FRAME_ACK_FREQUENCY	= 0xaf,	/* the ACK frequency draft */
};

#define QUIC_STREAM_BIT_OFF	0x04
#define QUIC_STREAM_BIT_LEN	0x02
#define QUIC_STREAM_BIT_FIN	0x01

#define QUIC_CONN_ID_MAX_LEN	20
#define QUIC_RESET_TOKEN_LEN	16
#define QUIC_PATH_DATA_LEN	8
#define QUIC_FRAME_ECN_COUNTS	3	/* ECT(0), ECT(1), ECN-CE of ACK_ECN */
#define QUIC_MAX_STREAMS_LIMIT	BIT_ULL(60)

/**
 * struct quic_frame - a decoded frame; pointers point into the packet
 * @type: frame type as on the wire (flag bits included)
 * @ack: ACK and ACK_ECN
 * @ack.largest: Largest Acknowledged
 * @ack.delay: ACK Delay, still scaled by the peer's ack_delay_exponent
 * @ack.first_range: First ACK Range
 * @ack.range_count: number of (Gap, ACK Range Length) pairs at @ack.ranges
 * @ack.ranges: the encoded pairs, already checked; walk them with
 *	quic_ack_range_next()
 * @ack.ranges_len: their encoded length
 * @ack.ecn: ECT(0), ECT(1), ECN-CE counts of ACK_ECN
 * @stream: STREAM, CRYPTO (@stream.id 0), RESET_STREAM (@stream.len is the
 *	final size, @stream.error the code), STOP_SENDING, MAX_STREAM_DATA and
 *	STREAM_DATA_BLOCKED (@stream.offset is the limit)
 * @stream.id: stream ID
 * @stream.offset: offset of the data, or the limit
 * @stream.len: data length, or the final size
 * @stream.error: application error code
 * @stream.data: the data
 * @stream.fin: FIN bit of STREAM
 * @value: MAX_DATA, MAX_STREAMS_*, DATA_BLOCKED, STREAMS_BLOCKED_*,
 *	RETIRE_CONNECTION_ID: the single integer field
 * @bytes: NEW_TOKEN and DATAGRAM payload, CONNECTION_CLOSE reason phrase
 * @bytes.data: start
 * @bytes.len: length
 * @new_cid: NEW_CONNECTION_ID
 * @new_cid.seq: Sequence Number
 * @new_cid.retire_prior_to: Retire Prior To
 * @new_cid.len: Length of the connection ID
 * @new_cid.id: the connection ID
 * @new_cid.token: the Stateless Reset Token
 * @path_data: PATH_CHALLENGE and PATH_RESPONSE data
 * @close: CONNECTION_CLOSE (reason phrase in @bytes)
 * @close.error: error code
 * @close.frame_type: frame type that caused a transport error
 * @ack_freq: ACK_FREQUENCY
 * @ack_freq.seq: Sequence Number
 * @ack_freq.threshold: Ack-Eliciting Threshold
 * @ack_freq.max_delay: Requested Max Ack Delay, microseconds
 * @ack_freq.reorder: Reordering Threshold
 */
struct quic_frame {
	u64 type;
	union {
		struct {
			u64		largest;
			u64		delay;
			u64		first_range;
			u64		range_count;
			const u8	*ranges;
			u32		ranges_len;
			u64		ecn[QUIC_FRAME_ECN_COUNTS];
		} ack;
		struct {
			u64		id;
			u64		offset;
			u64		len;
			u64		error;
			const u8	*data;
			bool		fin;
		} stream;
		struct {
			u64		seq;
			u64		retire_prior_to;
			u8		len;
			const u8	*id;
			const u8	*token;
		} new_cid;
		u8			path_data[QUIC_PATH_DATA_LEN];
		struct {
			u64		error;
			u64		frame_type;
		} close;
		struct {
			u64		seq;
			u64		threshold;
			u64		max_delay;
			u64		reorder;
		} ack_freq;
		u64			value;
	};
	struct {
		const u8	*data;
		u64		len;
	} bytes;
};

int quic_frame_decode(const u8 *p, u32 len, struct quic_frame *f, u32 *errcode);
int quic_frame_encode(u8 *p, u32 len, const struct quic_frame *f);
bool quic_frame_allowed(u64 type, u8 level);
bool quic_frame_ack_eliciting(u64 type);
bool quic_ack_range_next(const u8 **p, u32 *len, u64 *smallest, u64 *largest);

#endif /* __NET_QUIC_FRAME_H */
