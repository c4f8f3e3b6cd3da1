// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Frames (RFC 9000 section 19, RFC 9221 section 4).  Decoding checks
 * what the frame alone can tell - lengths, limits, ranges - and reports
 * the transport error to close the connection with; what needs connection
 * state (stream limits, flow control) is checked by the frame's handler.
 */

#include <linux/errno.h>
#include <linux/string.h>
#include <uapi/linux/quic.h>
#include <kunit/visibility.h>

#include "frame.h"
#include "wire.h"

static bool quic_get_bytes(const u8 **p, u32 *len, u64 n, const u8 **out)
{
	if (n > *len)
		return false;
	*out = *p;
	*p += n;
	*len -= n;
	return true;
}

/* RFC 9000 section 19.3.1: walk one (Gap, ACK Range Length) pair. */
static bool quic_ack_range_step(const u8 **p, u32 *len, u64 *smallest,
				u64 *largest)
{
	u64 gap, range;

	if (!quic_get_varint(p, len, &gap) || !quic_get_varint(p, len, &range))
		return false;
	/* The next largest is smallest - gap - 2; nothing may go negative. */
	if (*smallest < gap + 2 || *smallest - gap - 2 < range)
		return false;
	*largest = *smallest - gap - 2;
	*smallest = *largest - range;
	return true;
}

/**
 * quic_ack_range_next - the next acknowledged range of a decoded ACK frame
 * @p: cursor, starting at &quic_frame.ack.ranges
 * @len: bytes left, starting at &quic_frame.ack.ranges_len
 * @smallest: in: smallest of the previous range; out: of this one
 * @largest: out: largest of this range
 *
 * The first range is [largest - first_range, largest] of the frame itself.
 *
 * Return: false when there are no more ranges.
 */
bool quic_ack_range_next(const u8 **p, u32 *len, u64 *smallest, u64 *largest)
{
	return *len && quic_ack_range_step(p, len, smallest, largest);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ack_range_next);

static bool quic_frame_decode_ack(const u8 **p, u32 *len, struct quic_frame *f)
{
	u64 smallest, largest, i;
	const u8 *start;
	int k;

	if (!quic_get_varint(p, len, &f->ack.largest) ||
	    !quic_get_varint(p, len, &f->ack.delay) ||
	    !quic_get_varint(p, len, &f->ack.range_count) ||
	    !quic_get_varint(p, len, &f->ack.first_range) ||
	    f->ack.first_range > f->ack.largest)
		return false;

	/* Check every range now, so that users can walk them blindly.  Each
	 * pair takes at least two bytes: the loop is bounded by the packet.
	 */
	start = *p;
	smallest = f->ack.largest - f->ack.first_range;
	for (i = 0; i < f->ack.range_count; i++)
		if (!quic_ack_range_step(p, len, &smallest, &largest))
			return false;
	f->ack.ranges = start;
	f->ack.ranges_len = *p - start;

	if (f->type == QUIC_FRAME_ACK_ECN)
		for (k = 0; k < QUIC_FRAME_ECN_COUNTS; k++)
			if (!quic_get_varint(p, len, &f->ack.ecn[k]))
				return false;
	return true;
}

static bool quic_frame_decode_stream(const u8 **p, u32 *len, struct quic_frame *f)
{
	u8 bits = f->type & 0x07;

	if (!quic_get_varint(p, len, &f->stream.id))
		return false;
	if ((bits & QUIC_STREAM_BIT_OFF) &&
	    !quic_get_varint(p, len, &f->stream.offset))
		return false;
	if (bits & QUIC_STREAM_BIT_LEN) {
		if (!quic_get_varint(p, len, &f->stream.len))
			return false;
	} else {
		f->stream.len = *len;	/* to the end of the packet */
	}
	f->stream.fin = bits & QUIC_STREAM_BIT_FIN;
	/* RFC 9000 section 19.8: the end must fit in a varint. */
	if (f->stream.offset + f->stream.len > QUIC_VARINT_MAX)
		return false;
	return quic_get_bytes(p, len, f->stream.len, &f->stream.data);
}

static bool quic_frame_decode_new_cid(const u8 **p, u32 *len, struct quic_frame *f)
{
	if (!quic_get_varint(p, len, &f->new_cid.seq) ||
	    !quic_get_varint(p, len, &f->new_cid.retire_prior_to) || !*len)
		return false;
	f->new_cid.len = **p;
	(*p)++;
	(*len)--;
	/* RFC 9000 section 19.15 */
	if (!f->new_cid.len || f->new_cid.len > QUIC_CONN_ID_MAX_LEN ||
	    f->new_cid.retire_prior_to > f->new_cid.seq)
		return false;
	return quic_get_bytes(p, len, f->new_cid.len, &f->new_cid.id) &&
	       quic_get_bytes(p, len, QUIC_RESET_TOKEN_LEN, &f->new_cid.token);
}

static bool quic_frame_decode_close(const u8 **p, u32 *len, struct quic_frame *f)
{
	if (!quic_get_varint(p, len, &f->close.error))
		return false;
	if (f->type == QUIC_FRAME_CONNECTION_CLOSE &&
	    !quic_get_varint(p, len, &f->close.frame_type))
		return false;
	return quic_get_varint(p, len, &f->bytes.len) &&
	       quic_get_bytes(p, len, f->bytes.len, &f->bytes.data);
}

/* The type's body; false for a malformed one. */
static bool quic_frame_decode_body(const u8 **p, u32 *len, struct quic_frame *f)
{
	const u8 *data;

	switch (f->type) {
	case QUIC_FRAME_PADDING:
	case QUIC_FRAME_PING:
	case QUIC_FRAME_HANDSHAKE_DONE:
	case QUIC_FRAME_IMMEDIATE_ACK:
		return true;
	case QUIC_FRAME_ACK:
	case QUIC_FRAME_ACK_ECN:
		return quic_frame_decode_ack(p, len, f);
	case QUIC_FRAME_RESET_STREAM:
		return quic_get_varint(p, len, &f->stream.id) &&
		       quic_get_varint(p, len, &f->stream.error) &&
		       quic_get_varint(p, len, &f->stream.len);
	case QUIC_FRAME_STOP_SENDING:
		return quic_get_varint(p, len, &f->stream.id) &&
		       quic_get_varint(p, len, &f->stream.error);
	case QUIC_FRAME_CRYPTO:
		/* RFC 9000 section 19.6: the end must fit in a varint. */
		return quic_get_varint(p, len, &f->stream.offset) &&
		       quic_get_varint(p, len, &f->stream.len) &&
		       f->stream.offset + f->stream.len <= QUIC_VARINT_MAX &&
		       quic_get_bytes(p, len, f->stream.len, &f->stream.data);
	case QUIC_FRAME_NEW_TOKEN:
		/* RFC 9000 section 19.7: an empty token is an encoding error. */
		return quic_get_varint(p, len, &f->bytes.len) && f->bytes.len &&
		       quic_get_bytes(p, len, f->bytes.len, &f->bytes.data);
	case QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST:
		return quic_frame_decode_stream(p, len, f);
	case QUIC_FRAME_MAX_DATA:
	case QUIC_FRAME_DATA_BLOCKED:
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
		return quic_get_varint(p, len, &f->value);
	case QUIC_FRAME_MAX_STREAM_DATA:
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		return quic_get_varint(p, len, &f->stream.id) &&
		       quic_get_varint(p, len, &f->stream.offset);
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		/* RFC 9000 sections 19.11 and 19.14: at most 2^60 streams */
		return quic_get_varint(p, len, &f->value) &&
		       f->value <= QUIC_MAX_STREAMS_LIMIT;
	case QUIC_FRAME_NEW_CONNECTION_ID:
		return quic_frame_decode_new_cid(p, len, f);
	case QUIC_FRAME_PATH_CHALLENGE:
	case QUIC_FRAME_PATH_RESPONSE:
		if (!quic_get_bytes(p, len, QUIC_PATH_DATA_LEN, &data))
			return false;
		memcpy(f->path_data, data, QUIC_PATH_DATA_LEN);
		return true;
	case QUIC_FRAME_CONNECTION_CLOSE:
	case QUIC_FRAME_CONNECTION_CLOSE_APP:
		return quic_frame_decode_close(p, len, f);
	case QUIC_FRAME_DATAGRAM:
		f->bytes.len = *len;
		return quic_get_bytes(p, len, f->bytes.len, &f->bytes.data);
	case QUIC_FRAME_DATAGRAM_LEN:
		return quic_get_varint(p, len, &f->bytes.len) &&
		       quic_get_bytes(p, len, f->bytes.len, &f->bytes.data);
	case QUIC_FRAME_ACK_FREQUENCY:
		return quic_get_varint(p, len, &f->ack_freq.seq) &&
		       quic_get_varint(p, len, &f->ack_freq.threshold) &&
		       quic_get_varint(p, len, &f->ack_freq.max_delay) &&
		       quic_get_varint(p, len, &f->ack_freq.reorder);
	}
	return false;	/* RFC 9000 section 12.4: unknown frame type */
}

/**
 * quic_frame_decode - decode the frame at the start of a packet payload
 * @p: the frame
 * @len: bytes left in the payload
 * @f: the decoded frame; its pointers point into @p
 * @errcode: on failure, the transport error code to close with
 *
 * Return: the frame's length, or -EPROTO with @errcode set to
 * FRAME_ENCODING_ERROR (malformed, unknown type) or PROTOCOL_VIOLATION
 * (type not in its shortest encoding).
 */
int quic_frame_decode(const u8 *p, u32 len, struct quic_frame *f, u32 *errcode)
{
	const u8 *start = p;

	memset(f, 0, sizeof(*f));
	if (!quic_get_varint(&p, &len, &f->type)) {
		*errcode = QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		return -EPROTO;
	}
	/* RFC 9000 section 12.4 */
	if (p - start != quic_varint_len(f->type)) {
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	if (!quic_frame_decode_body(&p, &len, f)) {
		*errcode = QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		return -EPROTO;
	}
	return p - start;
}
EXPORT_SYMBOL_IF_KUNIT(quic_frame_decode);

/**
 * quic_frame_allowed - may a frame type appear at an encryption level?
 * @type: frame type
 * @level: &enum quic_crypto_level of the packet
 *
 * RFC 9000 section 12.4 (table 3) and 12.5; RFC 9221 section 4 for
 * DATAGRAM.  A frame where it is not allowed is a PROTOCOL_VIOLATION.
 *
 * Return: true when allowed.
 */
bool quic_frame_allowed(u64 type, u8 level)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
	case QUIC_CRYPTO_HANDSHAKE:
		return type == QUIC_FRAME_PADDING || type == QUIC_FRAME_PING ||
		       type == QUIC_FRAME_ACK || type == QUIC_FRAME_ACK_ECN ||
		       type == QUIC_FRAME_CRYPTO ||
		       type == QUIC_FRAME_CONNECTION_CLOSE;
	case QUIC_CRYPTO_EARLY:
		return type != QUIC_FRAME_ACK && type != QUIC_FRAME_ACK_ECN &&
		       type != QUIC_FRAME_CRYPTO && type != QUIC_FRAME_NEW_TOKEN &&
		       type != QUIC_FRAME_PATH_RESPONSE &&
		       type != QUIC_FRAME_HANDSHAKE_DONE &&
		       type != QUIC_FRAME_RETIRE_CONNECTION_ID &&
		       /* the ACK frequency draft, section 3: 1-RTT only */
		       type != QUIC_FRAME_ACK_FREQUENCY &&
		       type != QUIC_FRAME_IMMEDIATE_ACK;
	case QUIC_CRYPTO_APP:
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(quic_frame_allowed);

/**
 * quic_frame_ack_eliciting - does a frame make its packet ack-eliciting?
 * @type: frame type
 *
 * Return: false for ACK, PADDING and CONNECTION_CLOSE (RFC 9002 section 2).
 */
bool quic_frame_ack_eliciting(u64 type)
{
	return type != QUIC_FRAME_ACK && type != QUIC_FRAME_ACK_ECN &&
	       type != QUIC_FRAME_PADDING &&
	       type != QUIC_FRAME_CONNECTION_CLOSE &&
	       type != QUIC_FRAME_CONNECTION_CLOSE_APP;
}
EXPORT_SYMBOL_IF_KUNIT(quic_frame_ack_eliciting);

static void quic_frame_encode_body(struct quic_out *o, const struct quic_frame *f)
{
	u8 bits = f->type & 0x07, n;
	int k;

	switch (f->type) {
	case QUIC_FRAME_ACK:
	case QUIC_FRAME_ACK_ECN:
		quic_out_varint(o, f->ack.largest);
		quic_out_varint(o, f->ack.delay);
		quic_out_varint(o, f->ack.range_count);
		quic_out_varint(o, f->ack.first_range);
		quic_out_bytes(o, f->ack.ranges, f->ack.ranges_len);
		if (f->type == QUIC_FRAME_ACK_ECN)
			for (k = 0; k < QUIC_FRAME_ECN_COUNTS; k++)
				quic_out_varint(o, f->ack.ecn[k]);
		break;
	case QUIC_FRAME_RESET_STREAM:
		quic_out_varint(o, f->stream.id);
		quic_out_varint(o, f->stream.error);
		quic_out_varint(o, f->stream.len);
		break;
	case QUIC_FRAME_STOP_SENDING:
		quic_out_varint(o, f->stream.id);
		quic_out_varint(o, f->stream.error);
		break;
	case QUIC_FRAME_CRYPTO:
		quic_out_varint(o, f->stream.offset);
		quic_out_varint(o, f->stream.len);
		quic_out_bytes(o, f->stream.data, f->stream.len);
		break;
	case QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST:
		quic_out_varint(o, f->stream.id);
		if (bits & QUIC_STREAM_BIT_OFF)
			quic_out_varint(o, f->stream.offset);
		if (bits & QUIC_STREAM_BIT_LEN)
			quic_out_varint(o, f->stream.len);
		quic_out_bytes(o, f->stream.data, f->stream.len);
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		quic_out_varint(o, f->stream.id);
		quic_out_varint(o, f->stream.offset);
		break;
	case QUIC_FRAME_MAX_DATA:
	case QUIC_FRAME_DATA_BLOCKED:
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		quic_out_varint(o, f->value);
		break;
	case QUIC_FRAME_ACK_FREQUENCY:
		quic_out_varint(o, f->ack_freq.seq);
		quic_out_varint(o, f->ack_freq.threshold);
		quic_out_varint(o, f->ack_freq.max_delay);
		quic_out_varint(o, f->ack_freq.reorder);
		break;
	case QUIC_FRAME_NEW_CONNECTION_ID:
		quic_out_varint(o, f->new_cid.seq);
		quic_out_varint(o, f->new_cid.retire_prior_to);
		n = f->new_cid.len;
		quic_out_bytes(o, &n, 1);
		quic_out_bytes(o, f->new_cid.id, n);
		quic_out_bytes(o, f->new_cid.token, QUIC_RESET_TOKEN_LEN);
		break;
	case QUIC_FRAME_PATH_CHALLENGE:
	case QUIC_FRAME_PATH_RESPONSE:
		quic_out_bytes(o, f->path_data, QUIC_PATH_DATA_LEN);
		break;
	case QUIC_FRAME_CONNECTION_CLOSE:
	case QUIC_FRAME_CONNECTION_CLOSE_APP:
		quic_out_varint(o, f->close.error);
		if (f->type == QUIC_FRAME_CONNECTION_CLOSE)
			quic_out_varint(o, f->close.frame_type);
		quic_out_varint(o, f->bytes.len);
		quic_out_bytes(o, f->bytes.data, f->bytes.len);
		break;
	case QUIC_FRAME_NEW_TOKEN:
	case QUIC_FRAME_DATAGRAM_LEN:
		quic_out_varint(o, f->bytes.len);
		fallthrough;
	case QUIC_FRAME_DATAGRAM:
		quic_out_bytes(o, f->bytes.data, f->bytes.len);
		break;
	}
}

/**
 * quic_frame_encode - write a frame
 * @p: where to
 * @len: room at @p
 * @f: the frame, as quic_frame_decode() describes it
 *
 * Return: the bytes written, or -ENOSPC when the frame does not fit
 * (nothing useful is left at @p then).
 */
int quic_frame_encode(u8 *p, u32 len, const struct quic_frame *f)
{
	struct quic_out o = { .p = p, .left = len };

	quic_out_varint(&o, f->type);
	quic_frame_encode_body(&o, f);
	return o.full ? -ENOSPC : o.p - p;
}
EXPORT_SYMBOL_IF_KUNIT(quic_frame_encode);
