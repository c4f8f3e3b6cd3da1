// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for the path MTU search (RFC 8899): it finds what a path
 * carries with few probes, stops near it, starts again an interval
 * later, follows a lowered route MTU, goes back down on a path that
 * narrowed silently, and probes nothing when off.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>

#include "pmtu.h"

#define SEC	1000000ULL	/* quic_now() is in microseconds */

/* Run a search over a path that delivers datagrams of up to @path bytes,
 * the route allowing @max; returns the probes sent.
 */
static int quic_test_search(struct kunit *test, struct quic_pmtu *p, u32 max, u32 path,
			    u64 now)
{
	u64 pn = 100;
	int probes = 0;
	u32 size;

	while ((size = quic_pmtu_probe_size(p, max, now)) != 0) {
		KUNIT_ASSERT_LT(test, probes, 64);	/* it ends */
		KUNIT_EXPECT_LE(test, size, max);
		KUNIT_EXPECT_GT(test, size, p->lo);
		quic_pmtu_probe_sent(p, pn);
		/* one in flight at a time */
		KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(p, max, now), 0);
		KUNIT_EXPECT_TRUE(test, quic_pmtu_is_probe(p, pn));
		KUNIT_EXPECT_FALSE(test, quic_pmtu_is_probe(p, pn - 1));
		if (size <= path) {
			KUNIT_EXPECT_EQ(test, quic_pmtu_acked(p, pn - 1), 0);
			KUNIT_EXPECT_EQ(test, quic_pmtu_acked(p, pn), size);
		} else {
			KUNIT_EXPECT_FALSE(test, quic_pmtu_lost(p, pn - 1));
			KUNIT_EXPECT_TRUE(test, quic_pmtu_lost(p, pn));
			KUNIT_EXPECT_FALSE(test, quic_pmtu_lost(p, pn));	/* once */
		}
		pn += 10;
		probes++;
		now += 1000;
	}
	return probes;
}

/* A path as wide as its route: one probe at the route's size. */
static void quic_pmtu_route_wide_test(struct kunit *test)
{
	struct quic_pmtu p;

	quic_pmtu_init(&p, 600 * SEC, 1472);
	KUNIT_EXPECT_EQ(test, quic_test_search(test, &p, 8972, 8972, 1), 1);
	KUNIT_EXPECT_EQ(test, p.lo, 8972);
	KUNIT_EXPECT_FALSE(test, p.searching);
	KUNIT_EXPECT_EQ(test, p.next, 1 + 1000 + 600 * SEC);
}

/* A narrower link behind the route, and no Packet Too Big: the search
 * ends within QUIC_PMTU_STEP below it, each failed size lost
 * QUIC_PMTU_MAX_PROBES times, and never above what passes.
 */
static void quic_pmtu_black_hole_test(struct kunit *test)
{
	static const u32 paths[] = { 1472, 1500, 4000, 8000, 8971 };
	struct quic_pmtu p;
	int i, probes;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		quic_pmtu_init(&p, 600 * SEC, 1452);
		probes = quic_test_search(test, &p, 8972, paths[i], 1);
		KUNIT_EXPECT_LE(test, p.lo, paths[i]);
		KUNIT_EXPECT_GT(test, p.lo + QUIC_PMTU_STEP, paths[i]);
		/* 3 at the top, then a halving per size: 3 each if lost */
		KUNIT_EXPECT_LE(test, probes, 3 + 3 * 10);
		KUNIT_EXPECT_FALSE(test, p.searching);
	}
}

/* A search starts again an interval after the last one ended, up to the
 * route's size of then; without an interval nothing is probed.
 */
static void quic_pmtu_raise_test(struct kunit *test)
{
	struct quic_pmtu p;

	quic_pmtu_init(&p, 0, 1252);
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 8972, 1), 0);
	KUNIT_EXPECT_FALSE(test, quic_pmtu_lost(&p, 0));
	KUNIT_EXPECT_EQ(test, quic_pmtu_acked(&p, 0), 0);

	quic_pmtu_init(&p, 10 * SEC, 1252);
	KUNIT_EXPECT_EQ(test, quic_test_search(test, &p, 1452, 1452, 1), 1);
	KUNIT_EXPECT_EQ(test, p.lo, 1452);
	/* the route grew; nothing before the interval, then one probe */
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 8972, 5 * SEC), 0);
	KUNIT_EXPECT_EQ(test, quic_test_search(test, &p, 8972, 8972, 11 * SEC), 1);
	KUNIT_EXPECT_EQ(test, p.lo, 8972);
}

/* A Packet Too Big lowers the size in use and the route's: the search
 * in progress ends there; a probe in flight above it is simply lost.
 */
static void quic_pmtu_lowered_test(struct kunit *test)
{
	struct quic_pmtu p;

	quic_pmtu_init(&p, 600 * SEC, 8952);
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 8972, 1), 8972);
	quic_pmtu_probe_sent(&p, 7);
	quic_pmtu_lowered(&p, 1252);
	KUNIT_EXPECT_EQ(test, p.lo, 1252);
	KUNIT_EXPECT_TRUE(test, quic_pmtu_lost(&p, 7));
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 1252, 2), 0);
	KUNIT_EXPECT_FALSE(test, p.searching);
	KUNIT_EXPECT_EQ(test, p.lo, 1252);

	/* acknowledged after all: still not above the Packet Too Big */
	quic_pmtu_init(&p, 600 * SEC, 1452);
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 8972, 1), 8972);
	quic_pmtu_probe_sent(&p, 9);
	quic_pmtu_lowered(&p, 1252);
	KUNIT_EXPECT_EQ(test, quic_pmtu_acked(&p, 9), 0);
	KUNIT_EXPECT_EQ(test, p.lo, 1252);
}

/* A path that narrows without a Packet Too Big: back to the first size,
 * and a search below the size that stopped passing finds the new one.
 */
static void quic_pmtu_narrowed_test(struct kunit *test)
{
	struct quic_pmtu p;

	quic_pmtu_init(&p, 600 * SEC, 1472);
	KUNIT_EXPECT_EQ(test, quic_pmtu_black_hole(&p, 1472), 0);	/* never raised */
	KUNIT_EXPECT_EQ(test, quic_test_search(test, &p, 8972, 8972, 1), 1);
	KUNIT_EXPECT_EQ(test, p.lo, 8972);
	KUNIT_EXPECT_EQ(test, quic_pmtu_black_hole(&p, 8972), 1472);
	KUNIT_EXPECT_TRUE(test, p.searching);
	/* halfway first, not at the size that failed */
	KUNIT_EXPECT_EQ(test, quic_pmtu_probe_size(&p, 8972, 2 * SEC), (1472 + 8971 + 1) / 2);
	quic_test_search(test, &p, 8972, 4000, 2 * SEC);
	KUNIT_EXPECT_LE(test, p.lo, 4000);
	KUNIT_EXPECT_GT(test, p.lo + QUIC_PMTU_STEP, 4000);

	/* without probing the size is never raised: nothing to take back */
	quic_pmtu_init(&p, 0, 1472);
	KUNIT_EXPECT_EQ(test, quic_pmtu_black_hole(&p, 1472), 0);
}

static struct kunit_case quic_pmtu_test_cases[] = {
	KUNIT_CASE(quic_pmtu_route_wide_test),
	KUNIT_CASE(quic_pmtu_black_hole_test),
	KUNIT_CASE(quic_pmtu_raise_test),
	KUNIT_CASE(quic_pmtu_lowered_test),
	KUNIT_CASE(quic_pmtu_narrowed_test),
	{}
};

static struct kunit_suite quic_pmtu_test_suite = {
	.name = "quic_pmtu",
	.test_cases = quic_pmtu_test_cases,
};

kunit_test_suite(quic_pmtu_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
