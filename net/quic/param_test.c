// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for transport parameters: every parameter encoded and
 * decoded back, defaults, and each rule that makes a peer's parameters
 * a TRANSPORT_PARAMETER_ERROR.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <uapi/linux/quic.h>

#include "param.h"

static void quic_params_roundtrip_test(struct kunit *test)
{
	struct quic_params in, out;
	u8 buf[320];
	int n;

	quic_params_init(&in);
	in.max_idle_timeout = 30000;
	in.max_udp_payload_size = 1472;
	in.max_data = 1ULL << 40;
	in.max_stream_data_bidi_local = 65536;
	in.max_stream_data_bidi_remote = 131072;
	in.max_stream_data_uni = 7;
	in.max_streams_bidi = 100;
	in.max_streams_uni = 1ULL << 60;
	in.ack_delay_exponent = 20;
	in.max_ack_delay = (1 << 14) - 1;
	in.active_connection_id_limit = 8;
	in.max_datagram_frame_size = 1200;
	in.disable_active_migration = true;
	in.grease_quic_bit = true;
	in.disable_1rtt_encryption = true;
	in.has = QUIC_PARAM_HAS_ORIGINAL_DCID | QUIC_PARAM_HAS_INITIAL_SCID |
		 QUIC_PARAM_HAS_RETRY_SCID | QUIC_PARAM_HAS_RESET_TOKEN |
		 QUIC_PARAM_HAS_PREFERRED_ADDR | QUIC_PARAM_HAS_VERSION_INFO |
		 QUIC_PARAM_HAS_MIN_ACK_DELAY;
	in.min_ack_delay = 1000;
	in.original_dcid.len = 8;
	memcpy(in.original_dcid.data, "\x83\x94\xc8\xf0\x3e\x51\x57\x08", 8);
	in.initial_scid.len = 0;	/* zero-length connection IDs are fine */
	in.retry_scid.len = QUIC_CONN_ID_MAX_LEN;
	memset(in.retry_scid.data, 0xab, QUIC_CONN_ID_MAX_LEN);
	memset(in.reset_token, 0x5c, QUIC_RESET_TOKEN_LEN);
	in.pref_v4.sin_family = AF_INET;
	in.pref_v4.sin_addr.s_addr = htonl(0xc0000201);
	in.pref_v4.sin_port = htons(4433);
	in.pref_v6.sin6_family = AF_INET6;
	in.pref_v6.sin6_addr.s6_addr[0] = 0x20;
	in.pref_v6.sin6_port = htons(4434);
	in.pref_cid.len = 4;
	memcpy(in.pref_cid.data, "\x01\x02\x03\x04", 4);
	memset(in.pref_token, 0x77, QUIC_RESET_TOKEN_LEN);
	in.chosen_version = QUIC_VERSION_V2;
	in.versions[0] = QUIC_VERSION_V2;
	in.versions[1] = QUIC_VERSION_V1;
	in.nr_versions = 2;

	n = quic_params_encode(&in, buf, sizeof(buf));
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_ASSERT_EQ(test, quic_params_decode(buf, n, true, &out), 0);
	KUNIT_EXPECT_MEMEQ(test, &out, &in, sizeof(in));
	/* A client may not send the server's parameters. */
	KUNIT_EXPECT_EQ(test, quic_params_decode(buf, n, false, &out), -EPROTO);
	KUNIT_EXPECT_EQ(test, quic_params_encode(&in, buf, n - 1), -ENOSPC);
}

static void quic_params_defaults_test(struct kunit *test)
{
	struct quic_params def, out;
	u8 buf[16];

	quic_params_init(&def);
	KUNIT_EXPECT_EQ(test, def.max_udp_payload_size, 65527);
	KUNIT_EXPECT_EQ(test, def.ack_delay_exponent, 3);
	KUNIT_EXPECT_EQ(test, def.max_ack_delay, 25);
	KUNIT_EXPECT_EQ(test, def.active_connection_id_limit, 2);
	/* Defaults need no bytes, and no bytes mean the defaults. */
	KUNIT_EXPECT_EQ(test, quic_params_encode(&def, buf, sizeof(buf)), 0);
	KUNIT_ASSERT_EQ(test, quic_params_decode(buf, 0, false, &out), 0);
	KUNIT_EXPECT_MEMEQ(test, &out, &def, sizeof(def));
	/* Unknown and reserved (31 * N + 27) parameters are skipped. */
	KUNIT_ASSERT_EQ(test, quic_params_decode("\x40\x50\x02\xaa\xbb\x1b\x00", 7,
						 false, &out), 0);
	KUNIT_EXPECT_MEMEQ(test, &out, &def, sizeof(def));
}

static void quic_params_malformed_test(struct kunit *test)
{
	static const struct {
		const char *name;
		const u8 *in;
		u32 len;
		bool from_server;
	} cases[] = {
		{ "repeated", "\x04\x01\x05\x04\x01\x06", 6, true },
		{ "integer shorter than its length", "\x04\x02\x05\x00", 4, true },
		{ "length past the end", "\x04\x05\x01", 3, true },
		{ "id cut", "\x40", 1, true },
		{ "ack_delay_exponent 21", "\x0a\x01\x15", 3, true },
		{ "max_ack_delay 2^14", "\x0b\x04\x80\x00\x40\x00", 6, true },
		{ "max_udp_payload_size 1199", "\x03\x02\x44\xaf", 4, true },
		{ "active_connection_id_limit 1", "\x0e\x01\x01", 3, true },
		{ "max_streams_bidi 2^60+1", "\x08\x08\xd0\x00\x00\x00\x00\x00\x00\x01", 10, true },
		{ "reset token from a client", "\x02\x10ghijklmnopqrstuv", 18, false },
		{ "reset token of 15 bytes", "\x02\x0fghijklmnopqrstu", 17, true },
		{ "connection ID of 21 bytes", "\x0f\x15ghijklmnopqrstuvwxyzghijk", 23, true },
		{ "disable_active_migration with a value", "\x0c\x01\x00", 3, true },
		{ "chosen version zero", "\x11\x04\x00\x00\x00\x00", 6, true },
		{ "version list not in 4 bytes", "\x11\x06\x00\x00\x00\x01\x00\x00", 8, true },
		{ "grease_quic_bit with a value", "\x80\x00\x2a\xb2\x01\x01", 6, true },
		{ "disable_1rtt_encryption with a value", "\x80\x00\xba\xad\x01\x01", 6, true },
		{ "disable_1rtt_encryption twice", "\x80\x00\xba\xad\x00\x80\x00\xba\xad\x00",
		  10, false },
		{ "min_ack_delay above max_ack_delay",
		  "\xc0\x00\x00\x00\xff\x04\xde\x1b\x04\x80\x00\x61\xa9", 13, true },
		{ "min_ack_delay twice", "\xc0\x00\x00\x00\xff\x04\xde\x1b\x01\x01"
		  "\xc0\x00\x00\x00\xff\x04\xde\x1b\x01\x01", 20, false },
	};
	struct quic_params out;
	u8 pref[2 + 41] = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, quic_params_decode(cases[i].in, cases[i].len,
							     cases[i].from_server, &out),
				    -EPROTO, "%s", cases[i].name);

	/* The reset token itself is fine from a server. */
	KUNIT_EXPECT_EQ(test, quic_params_decode("\x02\x10ghijklmnopqrstuv", 18, true, &out),
			0);
	KUNIT_EXPECT_MEMEQ(test, out.reset_token, "ghijklmnopqrstuv", QUIC_RESET_TOKEN_LEN);
	/* min_ack_delay (microseconds) may equal max_ack_delay (25 ms). */
	KUNIT_EXPECT_EQ(test, quic_params_decode("\xc0\x00\x00\x00\xff\x04\xde\x1b"
						 "\x04\x80\x00\x61\xa8", 13, false, &out), 0);
	KUNIT_EXPECT_TRUE(test, out.has & QUIC_PARAM_HAS_MIN_ACK_DELAY);
	KUNIT_EXPECT_EQ(test, out.min_ack_delay, 25000);
	/* disable_1rtt_encryption (0xbaad) is empty, and either end's. */
	KUNIT_EXPECT_EQ(test, quic_params_decode("\x80\x00\xba\xad\x00", 5, false, &out), 0);
	KUNIT_EXPECT_TRUE(test, out.disable_1rtt_encryption);

	/* preferred_address with a zero-length connection ID (section 18.2) */
	pref[0] = 0x0d;
	pref[1] = 41;		/* addresses, ports, a zero length, the token */
	KUNIT_EXPECT_EQ(test, quic_params_decode(pref, sizeof(pref), true, &out), -EPROTO);
}

static struct kunit_case quic_param_test_cases[] = {
	KUNIT_CASE(quic_params_roundtrip_test),
	KUNIT_CASE(quic_params_defaults_test),
	KUNIT_CASE(quic_params_malformed_test),
	{}
};

static struct kunit_suite quic_param_test_suite = {
	.name = "quic_param",
	.test_cases = quic_param_test_cases,
};

kunit_test_suite(quic_param_test_suite);
