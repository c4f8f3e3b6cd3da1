// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for the wire formats: variable-length integers and packet
 * numbers with the examples of RFC 9000, every frame type encoded and
 * decoded back, and malformed frames with the error each must produce.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <uapi/linux/quic.h>

#include "frame.h"
#include "wire.h"

/* RFC 9000 section 16 and appendix A.1 */
static void quic_varint_test(struct kunit *test)
{
	static const struct {
		const u8 *in;
		u32 len;
		u64 value;
		bool shortest;
	} cases[] = {
		{ "\xc2\x19\x7c\x5e\xff\x14\xe8\x8c", 8, 151288809941952652ULL, true },
		{ "\x9d\x7f\x3e\x7d", 4, 494878333, true },
		{ "\x7b\xbd", 2, 15293, true },
		{ "\x25", 1, 37, true },
		{ "\x40\x25", 2, 37, false },
	};
	u8 out[8];
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const u8 *p = cases[i].in;
		u32 len = cases[i].len;
		u64 v;

		KUNIT_ASSERT_TRUE(test, quic_get_varint(&p, &len, &v));
		KUNIT_EXPECT_EQ(test, v, cases[i].value);
		KUNIT_EXPECT_EQ(test, len, 0);
		/* Cut short, it is not a number. */
		p = cases[i].in;
		len = cases[i].len - 1;
		KUNIT_EXPECT_FALSE(test, quic_get_varint(&p, &len, &v));
		if (!cases[i].shortest)
			continue;
		KUNIT_EXPECT_EQ(test, quic_put_varint(out, v) - out, cases[i].len);
		KUNIT_EXPECT_MEMEQ(test, out, cases[i].in, cases[i].len);
	}
}

/* RFC 9000 appendix A.2 and A.3 */
static void quic_packet_number_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, quic_pn_decode(0xa82f30ea, 0x9b32, 16), 0xa82f9b32);
	KUNIT_EXPECT_EQ(test, quic_pn_decode(-1, 0, 8), 0);
	KUNIT_EXPECT_EQ(test, quic_pn_decode(0xff, 0x01, 8), 0x101);	/* wraps up */
	KUNIT_EXPECT_EQ(test, quic_pn_decode(0x100, 0xff, 8), 0xff);	/* late packet */
	KUNIT_EXPECT_EQ(test, quic_pn_len(0xac5c02, 0xabe8b3), 2);
	KUNIT_EXPECT_EQ(test, quic_pn_len(0xace8fe, 0xabe8b3), 3);
	KUNIT_EXPECT_EQ(test, quic_pn_len(0, -1), 1);
	KUNIT_EXPECT_EQ(test, quic_pn_len(1ULL << 40, 0), 4);
}

#define QUIC_TEST_FRAME_MAX	128

/* @in encoded into @buf and decoded into @out.  @buf is the caller's:
 * the data pointers of @out point into it.
 */
static void quic_test_roundtrip(struct kunit *test, const struct quic_frame *in,
				struct quic_frame *out, u8 *buf)
{
	u8 scratch[QUIC_TEST_FRAME_MAX];
	u32 err = 0;
	int n;

	n = quic_frame_encode(buf, QUIC_TEST_FRAME_MAX, in);
	KUNIT_ASSERT_GT_MSG(test, n, 0, "type %llx", in->type);
	KUNIT_EXPECT_EQ_MSG(test, quic_frame_decode(buf, n, out, &err), n,
			    "type %llx", in->type);
	KUNIT_EXPECT_EQ(test, out->type, in->type);
	/* One byte less than the frame needs never fits. */
	KUNIT_EXPECT_EQ(test, quic_frame_encode(scratch, n - 1, in), -ENOSPC);
}

static void quic_frame_roundtrip_test(struct kunit *test)
{
	static const u8 data[] = "0123456789abcdefghijklmnopqrstuv";
	struct quic_frame in = {}, out;
	u8 buf[QUIC_TEST_FRAME_MAX];
	int t;

	for (t = QUIC_FRAME_PADDING; t <= QUIC_FRAME_DATAGRAM_LEN; t++) {
		if (t > QUIC_FRAME_IMMEDIATE_ACK && t < QUIC_FRAME_DATAGRAM)
			continue;
		memset(&in, 0, sizeof(in));
		in.type = t;
		switch (t) {
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			in.ack.largest = 1000;
			in.ack.delay = 25;
			in.ack.first_range = 10;
			in.ack.range_count = 1;
			in.ack.ranges = (const u8 *)"\x05\x03";
			in.ack.ranges_len = 2;
			in.ack.ecn[2] = t == QUIC_FRAME_ACK_ECN ? 7 : 0;
			break;
		case QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST:
		case QUIC_FRAME_CRYPTO:
		case QUIC_FRAME_RESET_STREAM:
		case QUIC_FRAME_STOP_SENDING:
		case QUIC_FRAME_MAX_STREAM_DATA:
		case QUIC_FRAME_STREAM_DATA_BLOCKED:
			in.stream.id = t == QUIC_FRAME_CRYPTO ? 0 : 4;
			if (t >= QUIC_FRAME_STREAM && t <= QUIC_FRAME_STREAM_LAST)
				in.stream.offset = t & QUIC_STREAM_BIT_OFF ? 70000 : 0;
			else if (t != QUIC_FRAME_RESET_STREAM && t != QUIC_FRAME_STOP_SENDING)
				in.stream.offset = 70000;	/* CRYPTO offset, or a limit */
			in.stream.len = 20;
			in.stream.error = t == QUIC_FRAME_RESET_STREAM ||
					  t == QUIC_FRAME_STOP_SENDING ? 0x1234 : 0;
			if (t == QUIC_FRAME_CRYPTO || t >= QUIC_FRAME_STREAM)
				in.stream.data = t <= QUIC_FRAME_STREAM_LAST ? data : NULL;
			in.stream.fin = t >= QUIC_FRAME_STREAM && t <= QUIC_FRAME_STREAM_LAST &&
					(t & QUIC_STREAM_BIT_FIN);
			if (t == QUIC_FRAME_STOP_SENDING ||
			    t == QUIC_FRAME_MAX_STREAM_DATA ||
			    t == QUIC_FRAME_STREAM_DATA_BLOCKED)
				in.stream.len = 0;
			break;
		case QUIC_FRAME_NEW_CONNECTION_ID:
			in.new_cid.seq = 3;
			in.new_cid.retire_prior_to = 1;
			in.new_cid.len = 8;
			in.new_cid.id = data;
			in.new_cid.token = data + 8;
			break;
		case QUIC_FRAME_PATH_CHALLENGE:
		case QUIC_FRAME_PATH_RESPONSE:
			memcpy(in.path_data, data, QUIC_PATH_DATA_LEN);
			break;
		case QUIC_FRAME_CONNECTION_CLOSE:
		case QUIC_FRAME_CONNECTION_CLOSE_APP:
			in.close.error = 0x0a;
			in.close.frame_type = t == QUIC_FRAME_CONNECTION_CLOSE ? 0x08 : 0;
			in.bytes.data = data;
			in.bytes.len = 5;
			break;
		case QUIC_FRAME_NEW_TOKEN:
		case QUIC_FRAME_DATAGRAM:
		case QUIC_FRAME_DATAGRAM_LEN:
			in.bytes.data = data;
			in.bytes.len = 16;
			break;
		default:
			in.value = 1ULL << 40;
			break;
		}
		/* STREAM without the LEN bit runs to the end of the packet. */
		quic_test_roundtrip(test, &in, &out, buf);
		switch (t) {
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			KUNIT_EXPECT_EQ(test, out.ack.largest, 1000);
			KUNIT_EXPECT_EQ(test, out.ack.delay, 25);
			KUNIT_EXPECT_EQ(test, out.ack.first_range, 10);
			KUNIT_EXPECT_EQ(test, out.ack.range_count, 1);
			KUNIT_EXPECT_EQ(test, out.ack.ranges_len, 2);
			KUNIT_EXPECT_EQ(test, out.ack.ecn[2], in.ack.ecn[2]);
			break;
		case QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST:
		case QUIC_FRAME_CRYPTO:
		case QUIC_FRAME_RESET_STREAM:
		case QUIC_FRAME_STOP_SENDING:
		case QUIC_FRAME_MAX_STREAM_DATA:
		case QUIC_FRAME_STREAM_DATA_BLOCKED:
			KUNIT_EXPECT_EQ_MSG(test, out.stream.id, in.stream.id, "type %x", t);
			KUNIT_EXPECT_EQ_MSG(test, out.stream.offset, in.stream.offset,
					    "type %x", t);
			KUNIT_EXPECT_EQ_MSG(test, out.stream.len, in.stream.len, "type %x", t);
			KUNIT_EXPECT_EQ_MSG(test, out.stream.error, in.stream.error, "type %x", t);
			KUNIT_EXPECT_EQ_MSG(test, out.stream.fin, in.stream.fin, "type %x", t);
			if (in.stream.data)
				KUNIT_EXPECT_MEMEQ(test, out.stream.data, data, in.stream.len);
			break;
		case QUIC_FRAME_NEW_CONNECTION_ID:
			KUNIT_EXPECT_EQ(test, out.new_cid.seq, 3);
			KUNIT_EXPECT_EQ(test, out.new_cid.retire_prior_to, 1);
			KUNIT_EXPECT_EQ(test, out.new_cid.len, 8);
			KUNIT_EXPECT_MEMEQ(test, out.new_cid.id, data, 8);
			KUNIT_EXPECT_MEMEQ(test, out.new_cid.token, data + 8,
					   QUIC_RESET_TOKEN_LEN);
			break;
		case QUIC_FRAME_PATH_CHALLENGE:
		case QUIC_FRAME_PATH_RESPONSE:
			KUNIT_EXPECT_MEMEQ(test, out.path_data, data, QUIC_PATH_DATA_LEN);
			break;
		case QUIC_FRAME_CONNECTION_CLOSE:
		case QUIC_FRAME_CONNECTION_CLOSE_APP:
			KUNIT_EXPECT_EQ(test, out.close.error, 0x0a);
			KUNIT_EXPECT_EQ(test, out.close.frame_type, in.close.frame_type);
			KUNIT_EXPECT_EQ(test, out.bytes.len, 5);
			KUNIT_EXPECT_MEMEQ(test, out.bytes.data, data, 5);
			break;
		case QUIC_FRAME_NEW_TOKEN:
		case QUIC_FRAME_DATAGRAM:
		case QUIC_FRAME_DATAGRAM_LEN:
			KUNIT_EXPECT_EQ(test, out.bytes.len, 16);
			KUNIT_EXPECT_MEMEQ(test, out.bytes.data, data, 16);
			break;
		case QUIC_FRAME_PADDING:
		case QUIC_FRAME_PING:
		case QUIC_FRAME_HANDSHAKE_DONE:
		case QUIC_FRAME_IMMEDIATE_ACK:
			break;
		default:
			KUNIT_EXPECT_EQ_MSG(test, out.value, 1ULL << 40, "type %x", t);
			break;
		}
	}
}

static void quic_frame_malformed_test(struct kunit *test)
{
	static const struct {
		const char *name;
		const u8 *in;
		u32 len;
		u32 err;
	} cases[] = {
		{ "empty", "", 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "long type", "\x40\x01", 2, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION },
		{ "unknown type", "\x21", 1, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "ack first range", "\x02\x05\x00\x00\x06", 5,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "ack gap underflow", "\x02\x0a\x00\x01\x02\x07\x00", 7,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "ack range underflow", "\x02\x0a\x00\x01\x02\x00\x07", 7,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "ack count", "\x02\x0a\x00\x02\x02\x01\x00", 7,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "ack ecn cut", "\x03\x0a\x00\x00\x02\x01\x01", 7,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "crypto varint cut", "\x06\x40", 2, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "crypto data cut", "\x06\x00\x05\x41", 4, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "empty token", "\x07\x00", 2, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "stream data cut", "\x0a\x04\x05\x41\x42", 5,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "stream past 2^62", "\x0e\x04\xff\xff\xff\xff\xff\xff\xff\xff\x01\x41", 12,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "max streams 2^60+1", "\x12\xd0\x00\x00\x00\x00\x00\x00\x01", 9,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "streams blocked 2^60+1", "\x17\xd0\x00\x00\x00\x00\x00\x00\x01", 9,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "new cid zero length", "\x18\x01\x00\x00ghijklmnopqrstuv", 20,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "new cid 21 bytes", "\x18\x01\x00\x15ghijklmnopqrstuvwxyzghijklmnopqrstuv",
		  40, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "new cid retire > seq", "\x18\x01\x02\x04wxyzghijklmnopqrstuv", 24,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "new cid token cut", "\x18\x01\x00\x04wxyzghij", 12,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "path challenge cut", "\x1a\x01\x02\x03\x04\x05", 6,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "close reason cut", "\x1c\x00\x00\x05\x41", 5,
		  QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
		{ "datagram length cut", "\x31\x05\x41", 3, QUIC_TRANSPORT_ERROR_FRAME_ENCODING },
	};
	struct quic_frame f;
	u32 err;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err = 0;
		KUNIT_EXPECT_EQ_MSG(test, quic_frame_decode(cases[i].in, cases[i].len, &f, &err),
				    -EPROTO, "%s", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, err, cases[i].err, "%s", cases[i].name);
	}
}

static void quic_ack_ranges_test(struct kunit *test)
{
	/* largest 100, first range 2: [98,100]; gap 3, length 4: [89,93];
	 * gap 0, length 0: [87,87]
	 */
	static const u8 ack[] = { 0x02, 0x40, 0x64, 0x00, 0x02, 0x02, 0x03, 0x04, 0x00, 0x00 };
	static const u64 want[][2] = { { 89, 93 }, { 87, 87 } };
	u64 smallest, largest;
	struct quic_frame f;
	const u8 *p;
	u32 len, err;
	int i = 0;

	KUNIT_ASSERT_EQ(test, quic_frame_decode(ack, sizeof(ack), &f, &err), sizeof(ack));
	KUNIT_EXPECT_EQ(test, f.ack.largest, 100);
	KUNIT_EXPECT_EQ(test, f.ack.range_count, 2);
	smallest = f.ack.largest - f.ack.first_range;
	KUNIT_EXPECT_EQ(test, smallest, 98);
	p = f.ack.ranges;
	len = f.ack.ranges_len;
	while (quic_ack_range_next(&p, &len, &smallest, &largest)) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, smallest, want[i][0]);
		KUNIT_EXPECT_EQ(test, largest, want[i][1]);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));
}

/* The ACK frequency draft: ACK_FREQUENCY's four integers, 1-RTT only */
static void quic_frame_ack_frequency_test(struct kunit *test)
{
	struct quic_frame in = { .type = QUIC_FRAME_ACK_FREQUENCY }, out;
	u8 buf[QUIC_TEST_FRAME_MAX];
	u32 err = 0;
	int n;

	in.ack_freq.seq = 7;
	in.ack_freq.threshold = 9;
	in.ack_freq.max_delay = 25000;
	in.ack_freq.reorder = 3;
	quic_test_roundtrip(test, &in, &out, buf);
	KUNIT_EXPECT_EQ(test, out.ack_freq.seq, 7);
	KUNIT_EXPECT_EQ(test, out.ack_freq.threshold, 9);
	KUNIT_EXPECT_EQ(test, out.ack_freq.max_delay, 25000);
	KUNIT_EXPECT_EQ(test, out.ack_freq.reorder, 3);
	/* the type is 0xaf: two bytes; cut before the last field */
	n = quic_frame_encode(buf, sizeof(buf), &in);
	KUNIT_EXPECT_EQ(test, buf[0], 0x40);
	KUNIT_EXPECT_EQ(test, buf[1], 0xaf);
	KUNIT_EXPECT_EQ(test, quic_frame_decode(buf, n - 1, &out, &err), -EPROTO);
	KUNIT_EXPECT_EQ(test, err, QUIC_TRANSPORT_ERROR_FRAME_ENCODING);
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_ACK_FREQUENCY, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_IMMEDIATE_ACK, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_IMMEDIATE_ACK,
						    QUIC_CRYPTO_HANDSHAKE));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_ACK_FREQUENCY, QUIC_CRYPTO_APP));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_IMMEDIATE_ACK, QUIC_CRYPTO_APP));
	KUNIT_EXPECT_TRUE(test, quic_frame_ack_eliciting(QUIC_FRAME_IMMEDIATE_ACK));
}

/* RFC 9000 section 12.4 table 3 and section 12.5; RFC 9221 section 4 */
static void quic_frame_allowed_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_CRYPTO, QUIC_CRYPTO_INITIAL));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_CONNECTION_CLOSE,
						   QUIC_CRYPTO_HANDSHAKE));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_CONNECTION_CLOSE_APP,
						    QUIC_CRYPTO_HANDSHAKE));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_STREAM, QUIC_CRYPTO_INITIAL));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_CRYPTO, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_ACK, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_FALSE(test, quic_frame_allowed(QUIC_FRAME_RETIRE_CONNECTION_ID,
						    QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_STREAM + 7, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_DATAGRAM, QUIC_CRYPTO_EARLY));
	KUNIT_EXPECT_TRUE(test, quic_frame_allowed(QUIC_FRAME_HANDSHAKE_DONE, QUIC_CRYPTO_APP));
	KUNIT_EXPECT_FALSE(test, quic_frame_ack_eliciting(QUIC_FRAME_ACK));
	KUNIT_EXPECT_FALSE(test, quic_frame_ack_eliciting(QUIC_FRAME_PADDING));
	KUNIT_EXPECT_TRUE(test, quic_frame_ack_eliciting(QUIC_FRAME_PING));
}

static struct kunit_case quic_frame_test_cases[] = {
	KUNIT_CASE(quic_varint_test),
	KUNIT_CASE(quic_packet_number_test),
	KUNIT_CASE(quic_frame_roundtrip_test),
	KUNIT_CASE(quic_frame_malformed_test),
	KUNIT_CASE(quic_ack_ranges_test),
	KUNIT_CASE(quic_frame_allowed_test),
	KUNIT_CASE(quic_frame_ack_frequency_test),
	{}
};

static struct kunit_suite quic_frame_test_suite = {
	.name = "quic_frame",
	.test_cases = quic_frame_test_cases,
};

kunit_test_suite(quic_frame_test_suite);
