// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for packet headers: the sample packets of RFC 9001 and
 * RFC 9369, coalesced packets, Version Negotiation, unknown versions and
 * headers that must be dropped.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <uapi/linux/quic.h>

#include "packet.h"

static const u8 quic_test_odcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
static const u8 quic_test_scid[] = { 0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5 };

/* A datagram of @len bytes starting with @head; the rest is zero. */
static u8 *quic_test_datagram(struct kunit *test, const void *head, u32 hlen, u32 len)
{
	u8 *p = kunit_kzalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, head, hlen);
	return p;
}

/* RFC 9001 A.2: the client Initial, protected or not, is 1200 bytes. */
static void quic_packet_client_initial_test(struct kunit *test)
{
	static const u8 hdr[] = { 0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0,
				  0x3e, 0x51, 0x57, 0x08, 0x00, 0x00, 0x44, 0x9e };
	struct quic_packet_info info;
	u8 *p = quic_test_datagram(test, hdr, sizeof(hdr), 1200);

	KUNIT_ASSERT_EQ(test, quic_packet_parse(p, 1200, 8, false, &info), 0);
	KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_INITIAL);
	KUNIT_EXPECT_EQ(test, info.version, QUIC_VERSION_V1);
	KUNIT_EXPECT_EQ(test, info.dcid_len, 8);
	KUNIT_EXPECT_MEMEQ(test, info.dcid, quic_test_odcid, 8);
	KUNIT_EXPECT_EQ(test, info.scid_len, 0);
	KUNIT_EXPECT_EQ(test, info.token_len, 0);
	KUNIT_EXPECT_EQ(test, info.pn_off, 18);
	KUNIT_EXPECT_EQ(test, info.len, 1200);
	/* Header protection does not touch the type bits. */
	p[0] = 0xc0;
	KUNIT_ASSERT_EQ(test, quic_packet_parse(p, 1200, 8, false, &info), 0);
	KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_INITIAL);
	/* One byte short of what Length says: dropped. */
	KUNIT_EXPECT_EQ(test, quic_packet_parse(p, 1199, 8, false, &info), -EINVAL);
}

/* RFC 9001 A.3 and RFC 9369 A.3 server Initials, then a 1-RTT packet
 * coalesced behind them.
 */
static void quic_packet_coalesced_test(struct kunit *test)
{
	static const u8 v1[] = { 0xc1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5,
				 0x50, 0x2a, 0x42, 0x62, 0xb5, 0x00, 0x40, 0x75 };
	static const u8 v2[] = { 0xd1, 0x6b, 0x33, 0x43, 0xcf, 0x00, 0x08, 0xf0, 0x67, 0xa5,
				 0x50, 0x2a, 0x42, 0x62, 0xb5, 0x00, 0x40, 0x75 };
	const u8 *heads[] = { v1, v2 };
	struct quic_packet_info info;
	u8 *p;
	int i;

	for (i = 0; i < 2; i++) {
		p = quic_test_datagram(test, heads[i], sizeof(v1), 135 + 40);
		p[135] = 0x41;			/* short header, then an 8-byte DCID */
		memcpy(p + 136, quic_test_scid, 8);
		KUNIT_ASSERT_EQ(test, quic_packet_parse(p, 175, 8, false, &info), 0);
		KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_INITIAL);
		KUNIT_EXPECT_EQ(test, info.dcid_len, 0);
		KUNIT_EXPECT_EQ(test, info.scid_len, 8);
		KUNIT_EXPECT_MEMEQ(test, info.scid, quic_test_scid, 8);
		KUNIT_EXPECT_EQ(test, info.pn_off, 18);
		KUNIT_EXPECT_EQ(test, info.len, 135);

		KUNIT_ASSERT_EQ(test, quic_packet_parse(p + 135, 40, 8, false, &info), 0);
		KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_SHORT);
		KUNIT_EXPECT_MEMEQ(test, info.dcid, quic_test_scid, 8);
		KUNIT_EXPECT_EQ(test, info.pn_off, 9);
		KUNIT_EXPECT_EQ(test, info.len, 40);
	}
}

/* RFC 9001 A.4 and RFC 9369 A.4: the token is "token". */
static void quic_packet_retry_test(struct kunit *test)
{
	static const u8 v1[] = {
		0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
		0x42, 0x62, 0xb5, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x04, 0xa2, 0x65, 0xba,
		0x2e, 0xff, 0x4d, 0x82, 0x90, 0x58, 0xfb, 0x3f, 0x0f, 0x24, 0x96, 0xba,
	};
	static const u8 v2[] = {
		0xcf, 0x6b, 0x33, 0x43, 0xcf, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
		0x42, 0x62, 0xb5, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0xc8, 0x64, 0x6c, 0xe8,
		0xbf, 0xe3, 0x39, 0x52, 0xd9, 0x55, 0x54, 0x36, 0x65, 0xdc, 0xc7, 0xb6,
	};
	const u8 *pkts[] = { v1, v2 };
	struct quic_packet_info info;
	int i;

	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, quic_packet_parse(pkts[i], sizeof(v1), 8, false,
							&info), 0);
		KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_RETRY);
		KUNIT_EXPECT_EQ(test, info.scid_len, 8);
		KUNIT_EXPECT_EQ(test, info.token_len, 5);
		KUNIT_EXPECT_MEMEQ(test, info.token, "token", 5);
		KUNIT_EXPECT_EQ(test, info.len, sizeof(v1));
		/* Without room for the integrity tag it is dropped. */
		KUNIT_EXPECT_EQ(test, quic_packet_parse(pkts[i], 22, 8, false, &info), -EINVAL);
	}
}

static void quic_packet_versions_test(struct kunit *test)
{
	static const u8 vn[] = { 0x80, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04,
				 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x01,
				 0x6b, 0x33, 0x43, 0xcf };
	struct quic_packet_info info;
	u8 *p;

	KUNIT_ASSERT_EQ(test, quic_packet_parse(vn, sizeof(vn), 8, false, &info), 0);
	KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_VERSION_NEGOTIATION);
	KUNIT_EXPECT_EQ(test, info.dcid_len, 4);
	KUNIT_EXPECT_EQ(test, info.scid_len, 4);
	KUNIT_EXPECT_EQ(test, info.len, sizeof(vn));

	/* Another version may use a 30-byte connection ID (RFC 8999). */
	p = quic_test_datagram(test, "\xc0\x0a\x0a\x0a\x0a\x1e", 6, 1200);
	KUNIT_ASSERT_EQ(test, quic_packet_parse(p, 1200, 8, false, &info), 0);
	KUNIT_EXPECT_EQ(test, info.type, QUIC_PACKET_UNKNOWN_VERSION);
	KUNIT_EXPECT_EQ(test, info.version, 0x0a0a0a0a);
	KUNIT_EXPECT_EQ(test, info.dcid_len, 30);
	/* In QUIC v1 that is not a connection ID. */
	memcpy(p + 1, "\x00\x00\x00\x01", 4);
	KUNIT_EXPECT_EQ(test, quic_packet_parse(p, 1200, 8, false, &info), -EINVAL);

	KUNIT_EXPECT_EQ(test, quic_packet_long_type_bits(QUIC_VERSION_V1,
							 QUIC_PACKET_RETRY), 3);
	KUNIT_EXPECT_EQ(test, quic_packet_long_type_bits(QUIC_VERSION_V2,
							 QUIC_PACKET_INITIAL), 1);
	KUNIT_EXPECT_EQ(test, quic_packet_long_type_bits(QUIC_VERSION_V2,
							 QUIC_PACKET_RETRY), 0);
}

static void quic_packet_drop_test(struct kunit *test)
{
	static const struct {
		const char *name;
		const u8 *in;
		u32 len;
	} cases[] = {
		{ "empty", "", 0 },
		{ "long header cut", "\xc0\x00\x00\x00\x01\x00", 6 },
		{ "dcid past the end", "\xc0\x00\x00\x00\x01\x08\x01\x02", 8 },
		{ "token past the end", "\xc0\x00\x00\x00\x01\x00\x00\x05\x01\x02", 10 },
		{ "length past the end", "\xe0\x00\x00\x00\x01\x00\x00\x05\x01\x02", 10 },
		{ "short header cut in dcid", "\x40\x01\x02\x03", 4 },
		{ "fixed bit clear, long", "\x80\x00\x00\x00\x01\x00\x00\x00\x01\x00", 10 },
		{ "fixed bit clear, short", "\x01\x01\x02\x03\x04\x05\x06\x07\x08\x00", 10 },
	};
	struct quic_packet_info info;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, quic_packet_parse(cases[i].in, cases[i].len, 8,
							    false, &info),
				    -EINVAL, "%s", cases[i].name);

	/* With grease_quic_bit announced, a clear fixed bit is fine. */
	KUNIT_EXPECT_EQ(test, quic_packet_parse(cases[6].in, cases[6].len, 8, true, &info), 0);
	KUNIT_EXPECT_EQ(test, quic_packet_parse(cases[7].in, cases[7].len, 8, true, &info), 0);
}

static struct kunit_case quic_packet_test_cases[] = {
	KUNIT_CASE(quic_packet_client_initial_test),
	KUNIT_CASE(quic_packet_coalesced_test),
	KUNIT_CASE(quic_packet_retry_test),
	KUNIT_CASE(quic_packet_versions_test),
	KUNIT_CASE(quic_packet_drop_test),
	{}
};

static struct kunit_suite quic_packet_test_suite = {
	.name = "quic_packet",
	.test_cases = quic_packet_test_cases,
};

kunit_test_suite(quic_packet_test_suite);
