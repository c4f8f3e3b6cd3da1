// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests: reading the ALPN list out of a ClientHello sent in pieces,
 * and matching it against listeners' ALPN lists.
 */

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "hello.h"

/* A ClientHello with a session ID, one suite, and the extensions
 * supported_versions, ALPN (if @alpn) and an empty key_share; @alpn is
 * the ProtocolNameList contents.  Returns its length.
 */
static u32 quic_test_hello(u8 *p, const u8 *alpn, u32 alpn_len)
{
	static const u8 versions[] = { 0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04 };
	static const u8 key_share[] = { 0x00, 0x33, 0x00, 0x02, 0x00, 0x00 };
	u8 *start = p, *ext;

	*p++ = 1;			/* client_hello */
	p += 3;				/* length, below */
	*p++ = 3;
	*p++ = 3;			/* legacy_version */
	memset(p, 0xaa, 32);		/* random */
	p += 32;
	*p++ = 32;			/* legacy_session_id */
	memset(p, 0xbb, 32);
	p += 32;
	put_unaligned_be16(2, p);	/* cipher_suites */
	put_unaligned_be16(0x1301, p + 2);
	p += 4;
	*p++ = 1;			/* compression_methods: null */
	*p++ = 0;
	ext = p;
	p += 2;
	memcpy(p, versions, sizeof(versions));
	p += sizeof(versions);
	if (alpn) {
		put_unaligned_be16(16, p);
		put_unaligned_be16(alpn_len + 2, p + 2);
		put_unaligned_be16(alpn_len, p + 4);
		memcpy(p + 6, alpn, alpn_len);
		p += 6 + alpn_len;
	}
	memcpy(p, key_share, sizeof(key_share));
	p += sizeof(key_share);
	put_unaligned_be16(p - ext - 2, ext);
	put_unaligned_be24(p - start - 4, start + 1);
	return p - start;
}

/* The same, grown to @total bytes by a padding extension (RFC 7685). */
static u32 quic_test_hello_pad(u8 *p, u32 total)
{
	u32 n = quic_test_hello(p, "\x02h3", 3);
	const u32 ext = 4 + 2 + 32 + 1 + 32 + 4 + 2;	/* extensions' length */

	put_unaligned_be16(21, p + n);
	put_unaligned_be16(total - n - 4, p + n + 2);
	memset(p + n + 4, 0, total - n - 4);
	put_unaligned_be16(total - ext - 2, p + ext);
	put_unaligned_be24(total - 4, p + 1);
	return total;
}

static const u8 quic_test_alpn[] = "\x02h3\x03smb";
#define QUIC_TEST_ALPN_LEN	(sizeof(quic_test_alpn) - 1)

static void quic_hello_parse_test(struct kunit *test)
{
	u8 *msg = kunit_kzalloc(test, 512, GFP_KERNEL);
	const u8 *list;
	u32 len, n;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	n = quic_test_hello(msg, quic_test_alpn, QUIC_TEST_ALPN_LEN);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), 0);
	KUNIT_EXPECT_EQ(test, len, QUIC_TEST_ALPN_LEN);
	KUNIT_EXPECT_MEMEQ(test, list, quic_test_alpn, QUIC_TEST_ALPN_LEN);

	n = quic_test_hello(msg, NULL, 0);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -ENOENT);

	/* No extensions at all: TLS 1.2 style, but well formed. */
	n = 4 + 2 + 32 + 1 + 2 + 2 + 2;
	memset(msg, 0, n);
	msg[0] = 1;
	put_unaligned_be24(n - 4, msg + 1);
	msg[4 + 2 + 32 + 1 + 1] = 2;
	msg[4 + 2 + 32 + 1 + 4] = 1;
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -ENOENT);

	/* Not a ClientHello, and a length that disagrees with the header. */
	n = quic_test_hello(msg, quic_test_alpn, QUIC_TEST_ALPN_LEN);
	msg[0] = 2;
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -EINVAL);
	msg[0] = 1;
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n - 1, &list, &len), -EINVAL);
}

/* Every shorter message, its header saying so, in a buffer of exactly
 * that size: never a read past it (KASAN), never an ALPN list.
 */
static void quic_hello_truncated_test(struct kunit *test)
{
	u8 *full = kunit_kzalloc(test, 512, GFP_KERNEL), *msg;
	const u8 *list;
	u32 len, n, cut;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, full);
	n = quic_test_hello(full, quic_test_alpn, QUIC_TEST_ALPN_LEN);
	for (cut = 0; cut < n; cut++) {
		msg = kmemdup(full, cut, GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, !cut || msg);
		if (cut >= 4)
			put_unaligned_be24(cut - 4, msg + 1);
		err = quic_hello_parse_alpn(msg, cut, &list, &len);
		KUNIT_EXPECT_TRUE_MSG(test, err == -EINVAL || err == -ENOENT,
				      "cut at %u: %d", cut, err);
		kfree(msg);
	}
}

static void quic_hello_bad_alpn_test(struct kunit *test)
{
	u8 *msg = kunit_kzalloc(test, 512, GFP_KERNEL);
	const u8 *list;
	u32 len, n;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	/* an empty name (RFC 7301 section 3.1) */
	n = quic_test_hello(msg, "\x02h3\x00", 4);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -EINVAL);
	/* a name running past the list */
	n = quic_test_hello(msg, "\x02h3\x05smb", 6);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -EINVAL);
	/* an empty list */
	n = quic_test_hello(msg, "", 0);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -EINVAL);
	/* a session ID longer than TLS allows */
	n = quic_test_hello(msg, quic_test_alpn, QUIC_TEST_ALPN_LEN);
	msg[4 + 2 + 32] = 33;
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, n, &list, &len), -EINVAL);
}

/* Pieces in reverse order, overlapping: complete only with the last. */
static void quic_hello_pieces_test(struct kunit *test)
{
	u8 *msg = kunit_kzalloc(test, 512, GFP_KERNEL);
	struct quic_hello h = {};
	const u8 *list;
	u32 len, n, off;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	h.buf = kunit_kzalloc(test, QUIC_HELLO_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h.buf);
	n = quic_test_hello(msg, quic_test_alpn, QUIC_TEST_ALPN_LEN);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), -EAGAIN);
	for (off = n - n % 10; off > 0; off -= 10) {
		KUNIT_ASSERT_EQ(test, quic_hello_add(&h, off, msg + off,
						     min(n - off, 15U)), 0);
		KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), -EAGAIN);
	}
	KUNIT_EXPECT_EQ(test, h.nr_ranges, 1);
	KUNIT_ASSERT_EQ(test, quic_hello_add(&h, 0, msg, 10), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), 0);
	KUNIT_EXPECT_EQ(test, len, QUIC_TEST_ALPN_LEN);
	KUNIT_EXPECT_MEMEQ(test, list, quic_test_alpn, QUIC_TEST_ALPN_LEN);
}

static void quic_hello_limits_test(struct kunit *test)
{
	struct quic_hello h = {};
	const u8 *list;
	u8 data[4] = {};
	u32 len, i;

	h.buf = kunit_kzalloc(test, QUIC_HELLO_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h.buf);
	/* Scattered pieces: as many as are tracked, then no more. */
	for (i = 0; i < QUIC_HELLO_RANGES; i++)
		KUNIT_EXPECT_EQ(test, quic_hello_add(&h, 10 + 10 * i, data, 1), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, 500, data, 1), -ENOSPC);
	/* ... but one that joins two of them still fits. */
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, 11, data, 9), 0);
	KUNIT_EXPECT_EQ(test, h.nr_ranges, QUIC_HELLO_RANGES - 1);
	/* Far offsets are ignored, not written. */
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, QUIC_HELLO_MAX, data, 4), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, (1ULL << 62) - 1, data, 4), 0);
	KUNIT_EXPECT_EQ(test, h.nr_ranges, QUIC_HELLO_RANGES - 1);

	/* A piece across the end is cut there. */
	memset(&h.ranges, 0, sizeof(h.ranges));
	h.nr_ranges = 0;
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, QUIC_HELLO_MAX - 2, data, 4), 0);
	KUNIT_EXPECT_EQ(test, h.nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, h.ranges[0].start, QUIC_HELLO_MAX - 2);
	KUNIT_EXPECT_EQ(test, h.ranges[0].end, QUIC_HELLO_MAX);

	/* A header announcing more than is read: never routed. */
	memset(&h.ranges, 0, sizeof(h.ranges));
	h.nr_ranges = 0;
	data[0] = 1;
	put_unaligned_be24(QUIC_HELLO_MAX, data + 1);
	KUNIT_EXPECT_EQ(test, quic_hello_add(&h, 0, data, 4), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), -EMSGSIZE);
}

/* A ClientHello of exactly QUIC_HELLO_MAX bytes is read whole. */
static void quic_hello_max_test(struct kunit *test)
{
	struct quic_hello h = {};
	const u8 *list;
	u8 *msg;
	u32 len;

	msg = kunit_kzalloc(test, QUIC_HELLO_MAX, GFP_KERNEL);
	h.buf = kunit_kzalloc(test, QUIC_HELLO_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_ASSERT_NOT_NULL(test, h.buf);
	quic_test_hello_pad(msg, QUIC_HELLO_MAX);
	KUNIT_EXPECT_EQ(test, quic_hello_parse_alpn(msg, QUIC_HELLO_MAX, &list, &len), 0);
	KUNIT_ASSERT_EQ(test, quic_hello_add(&h, 0, msg, QUIC_HELLO_MAX - 1), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), -EAGAIN);
	KUNIT_ASSERT_EQ(test, quic_hello_add(&h, QUIC_HELLO_MAX - 1, msg + QUIC_HELLO_MAX - 1,
					     1), 0);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
	KUNIT_EXPECT_MEMEQ(test, list, "\x02h3", 3);
	/* one byte more in the header and it is not routed */
	put_unaligned_be24(QUIC_HELLO_MAX - 3, h.buf + 1);
	KUNIT_EXPECT_EQ(test, quic_hello_alpn(&h, &list, &len), -EMSGSIZE);
}

static void quic_alpn_match_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, quic_alpn_has("h3,smb", 6, "smb", 3));
	KUNIT_EXPECT_TRUE(test, quic_alpn_has("h3,smb", 6, "h3", 2));
	KUNIT_EXPECT_FALSE(test, quic_alpn_has("h3,smb", 6, "sm", 2));
	KUNIT_EXPECT_FALSE(test, quic_alpn_has("h3,smb", 6, "h3,smb", 6));
	KUNIT_EXPECT_FALSE(test, quic_alpn_has("", 0, "h3", 2));
	KUNIT_EXPECT_TRUE(test, quic_alpn_overlap("a,h3", 4, "smb,h3", 6));
	KUNIT_EXPECT_FALSE(test, quic_alpn_overlap("a,h3", 4, "smb,h", 5));
	KUNIT_EXPECT_FALSE(test, quic_alpn_overlap("a", 1, "", 0));
	KUNIT_EXPECT_TRUE(test, quic_alpn_overlap("", 0, "", 0));
}

static struct kunit_case quic_hello_test_cases[] = {
	KUNIT_CASE(quic_hello_parse_test),
	KUNIT_CASE(quic_hello_truncated_test),
	KUNIT_CASE(quic_hello_bad_alpn_test),
	KUNIT_CASE(quic_hello_pieces_test),
	KUNIT_CASE(quic_hello_limits_test),
	KUNIT_CASE(quic_hello_max_test),
	KUNIT_CASE(quic_alpn_match_test),
	{}
};

static struct kunit_suite quic_hello_test_suite = {
	.name = "quic_hello",
	.test_cases = quic_hello_test_cases,
};

kunit_test_suite(quic_hello_test_suite);
