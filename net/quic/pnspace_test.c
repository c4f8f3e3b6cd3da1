// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for received packet number tracking and ACK frames: the
 * ranges reported always match what was received, duplicates are caught,
 * and the memory stays bounded whatever the peer does.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/bitmap.h>

#include "frame.h"
#include "pnspace.h"

#define QUIC_TEST_PNS	512

/* Every packet number the ACK frame of @s reports is set in @seen and
 * every one set in @seen at or above the floor is reported.
 */
static void quic_test_check_ack(struct kunit *test, const struct quic_pnspace *s,
				const unsigned long *seen)
{
	u64 smallest, largest, pn, acked = 0, expect = 0;
	struct quic_frame f;
	const u8 *p;
	u32 len, err;
	u8 buf[1024];
	int n;

	n = quic_pnspace_ack_encode(s, 7, NULL, buf, sizeof(buf));
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_ASSERT_EQ(test, quic_frame_decode(buf, n, &f, &err), n);
	KUNIT_ASSERT_EQ(test, f.type, QUIC_FRAME_ACK);
	KUNIT_EXPECT_EQ(test, f.ack.delay, 7);
	KUNIT_EXPECT_EQ(test, f.ack.range_count + 1, s->nr);

	largest = f.ack.largest;
	smallest = largest - f.ack.first_range;
	p = f.ack.ranges;
	len = f.ack.ranges_len;
	do {
		KUNIT_ASSERT_LT(test, largest, QUIC_TEST_PNS);
		for (pn = smallest; pn <= largest; pn++) {
			KUNIT_EXPECT_TRUE_MSG(test, test_bit(pn, seen), "pn %llu", pn);
			acked++;
		}
	} while (quic_ack_range_next(&p, &len, &smallest, &largest));

	for (pn = s->floor; pn < QUIC_TEST_PNS; pn++)
		expect += test_bit(pn, seen);
	KUNIT_EXPECT_EQ(test, acked, expect);
}

static void quic_pnspace_in_order_test(struct kunit *test)
{
	DECLARE_BITMAP(seen, QUIC_TEST_PNS) = {};
	struct quic_pnspace s = {};
	u8 small[4];
	u64 pn;

	KUNIT_EXPECT_EQ(test, quic_pnspace_ack_encode(&s, 0, NULL, NULL, 0), -ENODATA);
	for (pn = 0; pn < 10; pn++) {
		KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, pn), 0);
		__set_bit(pn, seen);
	}
	KUNIT_EXPECT_EQ(test, s.nr, 1);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 5), -EEXIST);

	/* 12 then 11 closes the gap; 20 opens a new range. */
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 12), 0);
	KUNIT_EXPECT_EQ(test, s.nr, 2);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 11), 0);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 10), 0);
	KUNIT_EXPECT_EQ(test, s.nr, 1);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 20), 0);
	KUNIT_EXPECT_EQ(test, s.nr, 2);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 12), -EEXIST);
	for (pn = 10; pn <= 12; pn++)
		__set_bit(pn, seen);
	__set_bit(20, seen);
	quic_test_check_ack(test, &s, seen);
	KUNIT_EXPECT_EQ(test, quic_pnspace_ack_encode(&s, 0, NULL, small, sizeof(small)), -ENOSPC);
}

/* Reordered and duplicated arrivals, from a fixed pseudo-random walk. */
static void quic_pnspace_reorder_test(struct kunit *test)
{
	DECLARE_BITMAP(seen, QUIC_TEST_PNS) = {};
	struct quic_pnspace s = {};
	u32 x = 12345, i, pn;
	int ret;

	for (i = 0; i < 600; i++) {
		x = x * 1103515245 + 12345;
		pn = i / 2 + (x >> 16) % 24;	/* around i/2, often repeated */
		if (pn >= QUIC_TEST_PNS)
			continue;
		ret = quic_pnspace_mark(&s, pn);
		if (pn < s.floor) {
			KUNIT_EXPECT_EQ(test, ret, -EEXIST);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, test_bit(pn, seen) ? -EEXIST : 0, "pn %u", pn);
		__set_bit(pn, seen);
		KUNIT_ASSERT_LE(test, s.nr, QUIC_PN_MAX_RANGES);
	}
	quic_test_check_ack(test, &s, seen);
}

/* A peer that skips every other packet number cannot grow our state. */
static void quic_pnspace_bounded_test(struct kunit *test)
{
	DECLARE_BITMAP(seen, QUIC_TEST_PNS) = {};
	struct quic_pnspace s = {};
	u64 pn;

	for (pn = 0; pn <= 200; pn += 2) {
		KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, pn), 0);
		__set_bit(pn, seen);
	}
	KUNIT_EXPECT_EQ(test, s.nr, QUIC_PN_MAX_RANGES);
	KUNIT_EXPECT_GT(test, s.floor, 0);
	/* Forgotten: taken as a duplicate rather than processed twice. */
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, quic_pnspace_mark(&s, 1), -EEXIST);
	quic_test_check_ack(test, &s, seen);
}

static struct kunit_case quic_pnspace_test_cases[] = {
	KUNIT_CASE(quic_pnspace_in_order_test),
	KUNIT_CASE(quic_pnspace_reorder_test),
	KUNIT_CASE(quic_pnspace_bounded_test),
	{}
};

static struct kunit_suite quic_pnspace_test_suite = {
	.name = "quic_pnspace",
	.test_cases = quic_pnspace_test_cases,
};

kunit_test_suite(quic_pnspace_test_suite);
