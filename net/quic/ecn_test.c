// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for ECN validation (RFC 9000 section 13.4.2): a path that
 * carries the marks is validated, one that clears, rewrites or drops
 * them or a peer that does not report them fails it, and CE reports are
 * congestion events.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <net/inet_ecn.h>

#include "ecn.h"

#define APP	2	/* the application data space */

/* Send @n recorded packets in @space as quic_ecn_codepoint() says. */
static u64 quic_test_send(struct quic_ecn *e, u8 space, int n, u8 *how)
{
	u64 marked = 0;
	int i;

	for (i = 0; i < n; i++) {
		how[i] = quic_ecn_sent(e, space, quic_ecn_codepoint(e, true), true);
		marked += how[i] != QUIC_ECN_SENT_NONE;
	}
	return marked;
}

static void quic_ecn_validated_test(struct kunit *test)
{
	u64 counts[QUIC_ECN_COUNTS] = {};
	struct quic_ecn e;
	u8 how[32];
	u64 marked;

	quic_ecn_init(&e, true);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_ECT_0);
	/* ACK-only packets are not marked before validation... */
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, false), INET_ECN_NOT_ECT);
	/* The first ten are marked, then none until the counts come. */
	marked = quic_test_send(&e, APP, 12, how);
	KUNIT_EXPECT_EQ(test, marked, QUIC_ECN_TEST_PKTS);
	KUNIT_EXPECT_EQ(test, how[0], QUIC_ECN_SENT_TEST);
	KUNIT_EXPECT_EQ(test, how[11], QUIC_ECN_SENT_NONE);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_UNKNOWN);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_NOT_ECT);
	/* An ACK of four marked packets, one of them CE on the way. */
	counts[QUIC_ECN_ECT0] = 3;
	counts[QUIC_ECN_CE] = 1;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 4),
			QUIC_ECN_EV_VALIDATED | QUIC_ECN_EV_CE);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_CAPABLE);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_ECT_0);
	/* ... and are after. */
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, false), INET_ECN_ECT_0);
	KUNIT_EXPECT_EQ(test, quic_ecn_sent(&e, APP, INET_ECN_ECT_0, true),
			QUIC_ECN_SENT_MARKED);
	/* The same counts again: nothing new; more ECT(0): no event. */
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 0), 0);
	counts[QUIC_ECN_ECT0] = 9;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 6), 0);
	counts[QUIC_ECN_CE] = 2;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 1), QUIC_ECN_EV_CE);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_CAPABLE);
	/* Spaces are counted apart: 11 marked in this one only. */
	KUNIT_EXPECT_EQ(test, e.sent[APP], 11);
	KUNIT_EXPECT_EQ(test, e.sent[0], 0);
}

static void quic_ecn_bleached_test(struct kunit *test)
{
	u64 counts[QUIC_ECN_COUNTS] = {};
	struct quic_ecn e;
	u8 how[16];

	/* Marks cleared on the way: the peer reports nothing, plain ACKs. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, NULL, 2), QUIC_ECN_EV_FAILED);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_FAILED);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_NOT_ECT);
	KUNIT_EXPECT_EQ(test, quic_ecn_sent(&e, APP, quic_ecn_codepoint(&e, true), true),
			QUIC_ECN_SENT_NONE);

	/* Or an ACK_ECN whose counts grew less than the marked packets. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	counts[QUIC_ECN_ECT0] = 2;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 3), QUIC_ECN_EV_FAILED);

	/* Rewritten to ECT(1), which we never send. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	counts[QUIC_ECN_ECT0] = 0;
	counts[QUIC_ECN_ECT1] = 3;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 3), QUIC_ECN_EV_FAILED);

	/* More marks reported than packets marked. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 4, how);
	counts[QUIC_ECN_ECT1] = 0;
	counts[QUIC_ECN_ECT0] = 3;
	counts[QUIC_ECN_CE] = 2;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 3), QUIC_ECN_EV_FAILED);

	/* A count that went down. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	counts[QUIC_ECN_ECT0] = 5;
	counts[QUIC_ECN_CE] = 0;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 5), QUIC_ECN_EV_VALIDATED);
	counts[QUIC_ECN_ECT0] = 4;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 0), QUIC_ECN_EV_FAILED);
	/* Failed stays failed, whatever comes next. */
	counts[QUIC_ECN_ECT0] = 10;
	KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 5), 0);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_FAILED);
}

static void quic_ecn_blackhole_test(struct kunit *test)
{
	struct quic_ecn e;
	u8 how[16];
	int i;

	/* Marked packets dropped: once testing is over and all are lost. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_FALSE(test, quic_ecn_lost(&e, how[i]));
	KUNIT_EXPECT_TRUE(test, quic_ecn_lost(&e, how[9]));
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_FAILED);

	/* A probe timeout ends testing early: the probes go unmarked.  Not
	 * one before the first test packet.
	 */
	quic_ecn_init(&e, true);
	quic_ecn_on_pto(&e);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_TESTING);
	quic_test_send(&e, APP, 2, how);
	KUNIT_EXPECT_FALSE(test, quic_ecn_lost(&e, how[0]));
	quic_ecn_on_pto(&e);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_NOT_ECT);
	KUNIT_EXPECT_EQ(test, quic_ecn_sent(&e, APP, quic_ecn_codepoint(&e, true), true),
			QUIC_ECN_SENT_NONE);
	KUNIT_EXPECT_TRUE(test, quic_ecn_lost(&e, how[1]));

	/* Some lost, some acknowledged with their marks: validated. */
	quic_ecn_init(&e, true);
	quic_test_send(&e, APP, 10, how);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_FALSE(test, quic_ecn_lost(&e, how[i]));
	{
		u64 counts[QUIC_ECN_COUNTS] = { 5, 0, 0 };

		KUNIT_EXPECT_EQ(test, quic_ecn_on_ack(&e, APP, counts, 5),
				QUIC_ECN_EV_VALIDATED);
	}
	/* Packets of a validated path lost are ordinary losses. */
	KUNIT_EXPECT_FALSE(test, quic_ecn_lost(&e, QUIC_ECN_SENT_MARKED));
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_CAPABLE);

	/* A new path tests again, unless ECN is off; what the packets
	 * sent before it became tells nothing of it.
	 */
	quic_ecn_new_path(&e, 100);
	KUNIT_EXPECT_EQ(test, e.state, QUIC_ECN_TESTING);
	KUNIT_EXPECT_EQ(test, quic_ecn_of(&e, APP, 99, QUIC_ECN_SENT_MARKED),
			QUIC_ECN_SENT_NONE);
	KUNIT_EXPECT_EQ(test, quic_ecn_of(&e, APP, 100, QUIC_ECN_SENT_TEST),
			QUIC_ECN_SENT_TEST);
	KUNIT_EXPECT_EQ(test, quic_ecn_of(&e, 1, 5, QUIC_ECN_SENT_TEST), QUIC_ECN_SENT_TEST);
	KUNIT_EXPECT_FALSE(test, quic_ecn_lost(&e, quic_ecn_of(&e, APP, 99, QUIC_ECN_SENT_TEST)));
	KUNIT_EXPECT_EQ(test, e.test_lost, 0);
	quic_ecn_init(&e, false);
	quic_ecn_new_path(&e, 0);
	KUNIT_EXPECT_EQ(test, quic_ecn_codepoint(&e, true), INET_ECN_NOT_ECT);
}

static void quic_ecn_rcvd_test(struct kunit *test)
{
	struct quic_ecn e;
	const u64 *c;

	quic_ecn_init(&e, false);	/* reporting goes on with marking off */
	KUNIT_EXPECT_FALSE(test, quic_ecn_rcvd(&e, APP, INET_ECN_NOT_ECT));
	KUNIT_EXPECT_NULL(test, quic_ecn_counts(&e, APP));
	KUNIT_EXPECT_FALSE(test, quic_ecn_rcvd(&e, APP, INET_ECN_ECT_0));
	KUNIT_EXPECT_FALSE(test, quic_ecn_rcvd(&e, APP, INET_ECN_ECT_0));
	KUNIT_EXPECT_FALSE(test, quic_ecn_rcvd(&e, APP, INET_ECN_ECT_1));
	KUNIT_EXPECT_TRUE(test, quic_ecn_rcvd(&e, APP, INET_ECN_CE));
	c = quic_ecn_counts(&e, APP);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c[QUIC_ECN_ECT0], 2);
	KUNIT_EXPECT_EQ(test, c[QUIC_ECN_ECT1], 1);
	KUNIT_EXPECT_EQ(test, c[QUIC_ECN_CE], 1);
	KUNIT_EXPECT_NULL(test, quic_ecn_counts(&e, 1));
}

static struct kunit_case quic_ecn_test_cases[] = {
	KUNIT_CASE(quic_ecn_validated_test),
	KUNIT_CASE(quic_ecn_bleached_test),
	KUNIT_CASE(quic_ecn_blackhole_test),
	KUNIT_CASE(quic_ecn_rcvd_test),
	{}
};

static struct kunit_suite quic_ecn_test_suite = {
	.name = "quic_ecn",
	.test_cases = quic_ecn_test_cases,
};

kunit_test_suite(quic_ecn_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
