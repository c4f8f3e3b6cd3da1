// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for RTT estimation and congestion control: the RTT
 * estimator, PTO and loss delay of RFC 9002, NewReno slow start,
 * congestion avoidance, recovery and persistent congestion, CUBIC (RFC
 * 9438) and HyStart++ (RFC 9406).  Expected values are worked out by hand
 * in the comments.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/array_size.h>
#include <linux/limits.h>
#include <linux/math64.h>

#include "cong.h"

#define MSS	1200

/* Send @n full-sized packets from *@pn on, 10 us apart from *@now, and have
 * each acknowledged in an ACK of its own exactly @rtt after it was sent.
 * Only the first @acked of them are acknowledged; *@pn and *@now move past
 * the round.
 */
static void quic_test_round_part(struct quic_cong *c, const struct quic_rtt *r, u64 *pn,
				 u64 *now, u32 rtt, int n, int acked)
{
	int i;

	for (i = 0; i < n; i++)
		quic_cong_on_sent(c, *pn + i, MSS, *now + i * 10);
	for (i = 0; i < acked; i++)
		quic_cong_on_ack(c, *pn + i, MSS, *now + i * 10, *now + i * 10 + rtt, r, 0);
	*pn += n;
	*now += n * 10 + rtt + 1000;
}

static void quic_test_round(struct quic_cong *c, const struct quic_rtt *r, u64 *pn, u64 *now,
			    u32 rtt, int n)
{
	quic_test_round_part(c, r, pn, now, rtt, n, n);
}

static void quic_rtt_first_sample_test(struct kunit *test)
{
	struct quic_rtt r;

	/* Before any sample: kInitialRtt 333 ms, rttvar 166.5 ms */
	quic_rtt_init(&r, 0, 25000);
	KUNIT_EXPECT_EQ(test, r.smoothed, 333000);
	KUNIT_EXPECT_EQ(test, r.var, 166500);
	KUNIT_EXPECT_FALSE(test, r.has_sample);
	/* 333000 + 4 * 166500 = 999000, + 25000 for the app space */
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, false), 999000);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, true), 1024000);
	/* 9/8 * 333000 = 374625 */
	KUNIT_EXPECT_EQ(test, quic_rtt_loss_delay(&r), 374625);
	/* (999000 + 25000) * 3 */
	KUNIT_EXPECT_EQ(test, quic_rtt_persistent_duration(&r), 3072000);

	/* The first sample replaces everything; its ACK delay is ignored. */
	quic_rtt_update(&r, 100000, 20000, true);
	KUNIT_EXPECT_TRUE(test, r.has_sample);
	KUNIT_EXPECT_EQ(test, r.latest, 100000);
	KUNIT_EXPECT_EQ(test, r.min, 100000);
	KUNIT_EXPECT_EQ(test, r.smoothed, 100000);
	KUNIT_EXPECT_EQ(test, r.var, 50000);
	/* 100000 + 200000, + 25000 */
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, false), 300000);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, true), 325000);
	KUNIT_EXPECT_EQ(test, quic_rtt_loss_delay(&r), 112500);
	KUNIT_EXPECT_EQ(test, quic_rtt_persistent_duration(&r), 975000);

	/* An explicit initial RTT */
	quic_rtt_init(&r, 50000, 0);
	KUNIT_EXPECT_EQ(test, r.smoothed, 50000);
	KUNIT_EXPECT_EQ(test, r.var, 25000);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, true), 150000);
}

static void quic_rtt_ewma_test(struct kunit *test)
{
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 100000, 0, false);

	/* Not confirmed: the 30 ms delay is not capped at max_ack_delay.
	 * 140000 >= 100000 + 30000, adjusted 110000:
	 * var = (3 * 50000 + |100000 - 110000|) / 4 = 40000
	 * smoothed = (7 * 100000 + 110000) / 8 = 101250
	 */
	quic_rtt_update(&r, 140000, 30000, false);
	KUNIT_EXPECT_EQ(test, r.latest, 140000);
	KUNIT_EXPECT_EQ(test, r.min, 100000);
	KUNIT_EXPECT_EQ(test, r.var, 40000);
	KUNIT_EXPECT_EQ(test, r.smoothed, 101250);

	/* Confirmed: capped at 25 ms, adjusted 115000:
	 * var = (120000 + 13750) / 4 = 33437 (.5)
	 * smoothed = (708750 + 115000) / 8 = 102968 (.75)
	 */
	quic_rtt_update(&r, 140000, 30000, true);
	KUNIT_EXPECT_EQ(test, r.var, 33437);
	KUNIT_EXPECT_EQ(test, r.smoothed, 102968);

	/* 105000 < min 100000 + delay 10000: the delay is not subtracted.
	 * var = (100311 + |102968 - 105000|) / 4 = 25585 (.75)
	 * smoothed = (720776 + 105000) / 8 = 103222
	 */
	quic_rtt_update(&r, 105000, 10000, true);
	KUNIT_EXPECT_EQ(test, r.min, 100000);
	KUNIT_EXPECT_EQ(test, r.var, 25585);
	KUNIT_EXPECT_EQ(test, r.smoothed, 103222);

	/* A new minimum: 90000 < 90000 + 5000, not adjusted either.
	 * var = (76755 + 13222) / 4 = 22494 (.25)
	 * smoothed = (722554 + 90000) / 8 = 101569 (.25)
	 */
	quic_rtt_update(&r, 90000, 5000, true);
	KUNIT_EXPECT_EQ(test, r.min, 90000);
	KUNIT_EXPECT_EQ(test, r.latest, 90000);
	KUNIT_EXPECT_EQ(test, r.var, 22494);
	KUNIT_EXPECT_EQ(test, r.smoothed, 101569);

	/* 101569 + 4 * 22494 = 191545; + 25000 = 216545 */
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, false), 191545);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, true), 216545);
	/* 9 * 101569 / 8 = 114265 (.125) */
	KUNIT_EXPECT_EQ(test, quic_rtt_loss_delay(&r), 114265);
	/* 216545 * 3 */
	KUNIT_EXPECT_EQ(test, quic_rtt_persistent_duration(&r), 649635);

	/* A delay exactly down to min_rtt is subtracted: 120000 - 30000 with
	 * confirmed = false.  var = (67482 + 11569) / 4 = 19762 (.75),
	 * smoothed = (710983 + 90000) / 8 = 100122 (.875)
	 */
	quic_rtt_update(&r, 120000, 30000, false);
	KUNIT_EXPECT_EQ(test, r.var, 19762);
	KUNIT_EXPECT_EQ(test, r.smoothed, 100122);
}

static void quic_rtt_granularity_test(struct kunit *test)
{
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 400, 0, true);
	/* 4 * rttvar = 800 < kGranularity: 400 + 1000 */
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, false), 1400);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, true), 26400);
	/* 9/8 * 400 = 450 < kGranularity */
	KUNIT_EXPECT_EQ(test, quic_rtt_loss_delay(&r), 1000);
	KUNIT_EXPECT_EQ(test, quic_rtt_persistent_duration(&r), 79200);

	/* latest 2000 above smoothed: var = (600 + 1600) / 4 = 550,
	 * smoothed = (2800 + 2000) / 8 = 600; the loss delay follows latest:
	 * 9/8 * 2000 = 2250.  PTO 600 + 2200.
	 */
	quic_rtt_update(&r, 2000, 0, true);
	KUNIT_EXPECT_EQ(test, r.var, 550);
	KUNIT_EXPECT_EQ(test, r.smoothed, 600);
	KUNIT_EXPECT_EQ(test, quic_rtt_loss_delay(&r), 2250);
	KUNIT_EXPECT_EQ(test, quic_rtt_pto(&r, false), 2800);
}

static void quic_cong_init_test(struct kunit *test)
{
	struct quic_cong c;

	/* min(10 * mss, max(2 * mss, 14720)) */
	quic_cong_init(&c, QUIC_CONG_RENO, 1200);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, U64_MAX);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 0);
	KUNIT_EXPECT_TRUE(test, c.hystart);
	KUNIT_EXPECT_TRUE(test, quic_cong_in_slow_start(&c));
	quic_cong_init(&c, QUIC_CONG_CUBIC, 1500);
	KUNIT_EXPECT_EQ(test, c.algo, QUIC_CONG_CUBIC);
	KUNIT_EXPECT_EQ(test, c.window, 14720);
	quic_cong_init(&c, QUIC_CONG_RENO, 9000);
	KUNIT_EXPECT_EQ(test, c.window, 18000);
	/* Below the QUIC minimum of 1200 */
	quic_cong_init(&c, QUIC_CONG_RENO, 500);
	KUNIT_EXPECT_EQ(test, c.mss, 1200);
	KUNIT_EXPECT_EQ(test, c.window, 12000);

	/* An untouched initial window follows the datagram size... */
	quic_cong_set_mss(&c, 1452);
	KUNIT_EXPECT_EQ(test, c.window, 14520);
	quic_cong_set_mss(&c, 1200);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	/* ...a grown one does not, but stays at least 2 * mss. */
	c.window = 30000;
	quic_cong_set_mss(&c, 1500);
	KUNIT_EXPECT_EQ(test, c.window, 30000);
	c.window = 13000;
	quic_cong_set_mss(&c, 9000);
	KUNIT_EXPECT_EQ(test, c.window, 18000);
}

static void quic_reno_slow_start_test(struct kunit *test)
{
	u64 pn = 0, now = 1000000;
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	/* Each acknowledged byte adds one: 12000 + 10 * 1200 */
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	KUNIT_EXPECT_EQ(test, c.window, 24000);
	quic_test_round(&c, &r, &pn, &now, 50000, 20);
	KUNIT_EXPECT_EQ(test, c.window, 48000);
	/* Small packets count by their size. */
	quic_cong_on_ack(&c, pn, 100, now, now + 50000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 48100);
	KUNIT_EXPECT_TRUE(test, quic_cong_in_slow_start(&c));
}

static void quic_reno_avoidance_test(struct kunit *test)
{
	u64 t = 1000000;
	struct quic_cong c;
	struct quic_rtt r;
	int i;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	c.window = 24000;
	quic_cong_on_loss(&c, t - 1000, t);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 12000);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	KUNIT_EXPECT_TRUE(test, c.in_recovery);
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));

	/* Sent before recovery began: no growth, still in recovery */
	quic_cong_on_ack(&c, 1, MSS, t - 500, t + 100, &r, 0);
	quic_cong_on_ack(&c, 2, MSS, t, t + 100, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	KUNIT_EXPECT_TRUE(test, c.in_recovery);

	/* One mss once a whole window (12000 = 10 packets) is acknowledged */
	for (i = 0; i < 9; i++)
		quic_cong_on_ack(&c, 10 + i, MSS, t + 1, t + 200 + i, &r, 0);
	KUNIT_EXPECT_FALSE(test, c.in_recovery);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	quic_cong_on_ack(&c, 19, MSS, t + 1, t + 300, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 13200);
	/* The next mss takes 13200 bytes: 11 packets */
	for (i = 0; i < 10; i++)
		quic_cong_on_ack(&c, 20 + i, MSS, t + 1, t + 400 + i, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 13200);
	quic_cong_on_ack(&c, 30, MSS, t + 1, t + 500, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 14400);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 12000);
}

static void quic_reno_recovery_test(struct kunit *test)
{
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	c.window = 24000;
	quic_cong_on_loss(&c, 900000, 1000000);
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 1000000);

	/* Losses and CE marks of packets sent up to the start of recovery
	 * belong to the same congestion event.
	 */
	quic_cong_on_loss(&c, 999999, 1100000);
	quic_cong_on_loss(&c, 1000000, 1100000);
	KUNIT_EXPECT_FALSE(test, quic_cong_on_ecn_ce(&c, 950000, 1100000));
	KUNIT_EXPECT_EQ(test, c.window, 12000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 12000);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 1000000);

	/* A packet sent later: a new one, even with recovery still on */
	KUNIT_EXPECT_TRUE(test, c.in_recovery);
	quic_cong_on_loss(&c, 1000001, 1200000);
	KUNIT_EXPECT_EQ(test, c.window, 6000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 6000);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 1200000);

	/* ECN-CE reduces the same way. */
	KUNIT_EXPECT_TRUE(test, quic_cong_on_ecn_ce(&c, 1200001, 1300000));
	KUNIT_EXPECT_EQ(test, c.window, 3000);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 1300000);

	/* Floor of 2 * mss: half of 3000 is 1500, window 2400 */
	quic_cong_on_loss(&c, 1300001, 1400000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 1500);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
	quic_cong_on_loss(&c, 1400001, 1500000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 1200);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));
}

static void quic_reno_persistent_test(struct kunit *test)
{
	u64 pn = 0, now = 2000000;
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	c.window = 48000;
	quic_cong_on_loss(&c, 1500000, 1800000);
	KUNIT_EXPECT_EQ(test, c.window, 24000);
	quic_cong_on_persistent(&c);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 24000);
	KUNIT_EXPECT_EQ(test, c.recovery_start, 0);
	KUNIT_EXPECT_FALSE(test, c.in_recovery);
	KUNIT_EXPECT_TRUE(test, quic_cong_in_slow_start(&c));

	/* Recovery is over: even a packet sent before it grows the window,
	 * in slow start.
	 */
	quic_cong_on_ack(&c, 0, MSS, 1700000, 1900000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 3600);

	/* Slow start without HyStart++ now: a doubled RTT does not move it
	 * to CSS (where 8 * 1200 + 2 * 300 would make 19800):
	 * 3600 + 5 * 1200 + 10 * 1200.
	 */
	quic_test_round(&c, &r, &pn, &now, 50000, 5);
	quic_test_round(&c, &r, &pn, &now, 100000, 10);
	KUNIT_EXPECT_EQ(test, c.window, 21600);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	/* Up to ssthresh 24000 in two packets, then congestion avoidance */
	quic_test_round(&c, &r, &pn, &now, 100000, 5);
	KUNIT_EXPECT_EQ(test, c.window, 24000);
	KUNIT_EXPECT_EQ(test, c.acked, 3600);
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));

	/* Without a loss first, ssthresh is set as a loss would. */
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	quic_cong_on_persistent(&c);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 6000);
}

static void quic_pacing_test(struct kunit *test)
{
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	/* Before a sample: 1.25 * 12000 / 0.333 s = 45045 (.04) */
	KUNIT_EXPECT_EQ(test, quic_cong_pacing_rate(&c, &r), 45045);
	quic_rtt_update(&r, 100000, 0, false);
	/* 1.25 * 12000 / 0.1 s */
	KUNIT_EXPECT_EQ(test, quic_cong_pacing_rate(&c, &r), 150000);
	c.window = 2400;
	r.smoothed = 50000;
	KUNIT_EXPECT_EQ(test, quic_cong_pacing_rate(&c, &r), 60000);
	/* 0.75 bytes/s rounds down, but the rate is never 0 */
	r.smoothed = 4000000000U;
	KUNIT_EXPECT_EQ(test, quic_cong_pacing_rate(&c, &r), 1);
}

static void quic_pacing_schedule_test(struct kunit *test)
{
	u64 now = 5000000000ULL, next = 0, burst, t;
	struct quic_cong c;
	struct quic_rtt r;
	int i;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	quic_rtt_update(&r, 100000, 0, false);
	/* 150000 bytes/s: a 1200-byte packet takes 8 ms of the schedule */
	quic_pacing_sent(&c, &r, &next, now, MSS);
	KUNIT_EXPECT_EQ(test, next, now + 8000000);
	/* The burst is the initial window, 12000 bytes = 80 ms */
	burst = 80000000;
	for (i = 1; i < 11; i++) {
		KUNIT_EXPECT_EQ(test, quic_pacing_wait(&c, &r, &next, now), 0);
		quic_pacing_sent(&c, &r, &next, now, MSS);
	}
	KUNIT_EXPECT_EQ(test, next, now + 88000000);
	/* 11 packets back to back: the 12th waits for half a burst */
	KUNIT_EXPECT_EQ(test, quic_pacing_wait(&c, &r, &next, now), next - burst / 2);
	KUNIT_EXPECT_EQ(test, next, now + 88000000);
	t = next - burst;
	KUNIT_EXPECT_EQ(test, quic_pacing_wait(&c, &r, &next, t), 0);
	/* After an idle second the schedule restarts from now */
	now += 1000000000;
	quic_pacing_sent(&c, &r, &next, now, MSS);
	KUNIT_EXPECT_EQ(test, next, now + 8000000);
	/* Debt from a slower rate shrinks to a burst and a packet at the
	 * new rate: at 1.5 MB/s a burst is 8 ms and a packet 0.8 ms.
	 */
	next = now + 500000000;
	r.smoothed = 10000;
	KUNIT_EXPECT_EQ(test, quic_pacing_wait(&c, &r, &next, now), now + 4800000);
	KUNIT_EXPECT_EQ(test, next, now + 8800000);
	KUNIT_EXPECT_EQ(test, quic_pacing_wait(&c, &r, &next, now + 800000), 0);
}

static void quic_cbrt_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(0), 0);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(1), 1);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(7), 1);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(8), 2);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(26), 2);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(27), 3);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(1000), 10);
	/* 4217^3 = 74991286313 <= 75e9 < 4218^3 = 75044648232 */
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(75000000000ULL), 4217);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(1000000000000000000ULL), 1000000);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(999999999999999999ULL), 999999);
	/* 2642245^3 = 18446724184312856125 <= 2^64 - 1 < 2642246^3 */
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(U64_MAX), 2642245);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(18446724184312856125ULL), 2642245);
	KUNIT_EXPECT_EQ(test, quic_cong_cbrt(18446724184312856124ULL), 2642244);
}

static void quic_cubic_loss_test(struct kunit *test)
{
	struct quic_cong c;

	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	c.window = 120000;
	quic_cong_on_loss(&c, 900000, 1000000);
	/* beta 0.7: 84000.  K = cbrt((120000 - 84000) / 1200 / 0.4) s =
	 * cbrt(75) = 4.2172 s, to the millisecond below.
	 */
	KUNIT_EXPECT_EQ(test, c.cubic.w_max, 120000);
	KUNIT_EXPECT_EQ(test, c.cubic.cwnd_prior, 120000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 84000);
	KUNIT_EXPECT_EQ(test, c.window, 84000);
	KUNIT_EXPECT_EQ(test, c.cubic.cwnd_epoch, 84000);
	KUNIT_EXPECT_EQ(test, c.cubic.w_est, 84000);
	KUNIT_EXPECT_EQ(test, c.cubic.k, 4217000);

	/* Fast convergence: lost again at 108000, below W_max.  W_max =
	 * 0.85 * 108000 = 91800, window 75600, K = cbrt(16200 / 1200 / 0.4)
	 * = cbrt(33.75) = 3.2317 s (3231^3 = 33729575391 <= 33.75e9 <
	 * 3232^3 = 33760903168).
	 */
	c.window = 108000;
	quic_cong_on_loss(&c, 1000001, 2000000);
	KUNIT_EXPECT_EQ(test, c.cubic.w_max, 91800);
	KUNIT_EXPECT_EQ(test, c.cubic.cwnd_prior, 108000);
	KUNIT_EXPECT_EQ(test, c.window, 75600);
	KUNIT_EXPECT_EQ(test, c.cubic.k, 3231000);

	/* Above W_max: no fast convergence.  W_max 130000, window 91000,
	 * K = cbrt(39000 / 1200 / 0.4) = cbrt(81.25) = 4.3311 s.
	 */
	c.window = 130000;
	quic_cong_on_loss(&c, 2000001, 3000000);
	KUNIT_EXPECT_EQ(test, c.cubic.w_max, 130000);
	KUNIT_EXPECT_EQ(test, c.window, 91000);
	KUNIT_EXPECT_EQ(test, c.cubic.k, 4331000);

	/* Floor of 2 * mss: 0.7 * 3000 = 2100 */
	c.window = 3000;
	quic_cong_on_loss(&c, 3000001, 4000000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 2100);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
}

/* The window checked against W_cubic(t) = 120000 + 480 * (t - 4.217)^3
 * bytes (C * mss = 0.4 * 1200 = 480 bytes/s^3), worked out by hand:
 *   t = 1 s: -3.217^3 = -33.293, 120000 - 15981 = 104019
 *   t = 2 s: -2.217^3 = -10.897, 120000 - 5230 = 114770
 *   t = 3 s: -1.217^3 = -1.8025, 120000 - 865 = 119135
 *   t = 4.217 s: W_max, 120000
 *   t = 5 s: 0.783^3 = 0.4800, 120000 + 230 = 120230
 * In the concave region an ACK moves the window a 1/cwnd of the way to
 * W_cubic(t + RTT): with a full window acknowledged per RTT, it stays
 * close behind W_cubic(t).  The Reno-friendly estimate is still below:
 * 9/17 mss per RTT makes it 84000 + 50 * 635 = about 115800 at 5 s.
 */
static void quic_cubic_growth_test(struct kunit *test)
{
	static const struct {
		u64	t;
		u64	w;
	} points[] = {
		{ 1000000, 104019 },
		{ 2000000, 114770 },
		{ 3000000, 119135 },
		{ 4217000, 120000 },
		{ 5000000, 120230 },
	};
	u64 now = 10000000, epoch, pn = 0;
	struct quic_cong c;
	struct quic_rtt r;
	unsigned int i;

	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 100000, 0, false);
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	c.window = 120000;
	quic_cong_on_loss(&c, now - 50000, now);
	KUNIT_ASSERT_EQ(test, c.window, 84000);
	KUNIT_ASSERT_EQ(test, c.cubic.k, 4217000);

	/* The first ACK of a packet sent after the loss starts the epoch. */
	now += 100001;
	epoch = now;
	for (i = 0; i < ARRAY_SIZE(points); i++) {
		while (now < epoch + points[i].t) {
			quic_cong_on_ack(&c, pn++, MSS, now - 100000, now, &r, 0);
			/* a window per RTT */
			now += div64_u64(100000ULL * MSS, c.window);
		}
		KUNIT_EXPECT_EQ(test, c.cubic.epoch_start, epoch);
		KUNIT_EXPECT_LE_MSG(test, c.window, points[i].w + MSS, "t %llu", points[i].t);
		KUNIT_EXPECT_GE_MSG(test, c.window, points[i].w - MSS, "t %llu", points[i].t);
		KUNIT_EXPECT_LT(test, c.cubic.w_est, c.window);
	}
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));
}

static void quic_cubic_reno_friendly_test(struct kunit *test)
{
	u64 now = 10000000, pn = 0;
	struct quic_cong c;
	struct quic_rtt r;
	int i;

	/* A 1 ms RTT and all ACKs at the start of the epoch: W_cubic stays
	 * at about cwnd_epoch (W_cubic(0) = 120000 - 480 * 4.217^3 = 84005)
	 * and the cubic target one RTT ahead is only 84030, while W_est
	 * grows with every ACK: alpha * mss per window acknowledged, alpha =
	 * 9/17.  It reaches 85200 after 84000 * 17/9 = 158667 bytes, on the
	 * 133rd ACK; the cubic part alone could not have passed 84030.
	 */
	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 1000, 0, false);
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	c.window = 120000;
	quic_cong_on_loss(&c, now - 500, now);
	now += 1000;
	for (i = 0; i < 132; i++)
		quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
	KUNIT_EXPECT_EQ(test, c.cubic.w_est, 84000);
	KUNIT_EXPECT_GE(test, c.window, 84000);
	KUNIT_EXPECT_LE(test, c.window, 84030);
	quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
	KUNIT_EXPECT_EQ(test, c.cubic.w_est, 85200);
	KUNIT_EXPECT_EQ(test, c.window, 85200);
	/* The next mss after about 85200 * 17/9 bytes more: 134 ACKs */
	for (i = 0; i < 133; i++)
		quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 85200);
	quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 86400);
}

static void quic_cubic_alpha_test(struct kunit *test)
{
	u64 now = 10000000, pn = 0;
	struct quic_cong c;
	struct quic_rtt r;
	unsigned int i;
	int j;

	/* Lost at 12000: window 8400, cwnd_prior 12000, K = cbrt(7.5) s =
	 * 1.957 s, W_cubic(0) = 12000 - 480 * 1.957^3 = 8403.  W_est adds
	 * one mss per window * 17/9 bytes until it reaches cwnd_prior, then
	 * one per window as Reno: at 1200 * 9 = 10800 a packet against
	 * window * 17:
	 *   8400 * 17 = 142800: 14 ACKs (151200), 8400 left -> 9600
	 *   9600 * 17 = 163200: 15 more (170400), 7200 left -> 10800
	 *   10800 * 17 = 183600: 17 more (190800), 7200 left -> 12000
	 * then 1200 * 17 = 20400 a packet:
	 *   12000 * 17 = 204000: 10 more (211200) -> 13200
	 */
	static const int acks[] = { 14, 15, 17, 10 };

	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 1000, 0, false);
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	quic_cong_on_loss(&c, now - 500, now);
	KUNIT_ASSERT_EQ(test, c.window, 8400);
	KUNIT_ASSERT_EQ(test, c.cubic.k, 1957000);
	now += 1000;
	for (i = 0; i < ARRAY_SIZE(acks); i++) {
		for (j = 1; j < acks[i]; j++)
			quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
		/* The cubic part moves the window by a few bytes at most. */
		KUNIT_EXPECT_EQ(test, c.cubic.w_est, 8400 + i * MSS);
		KUNIT_EXPECT_LT(test, c.window, 8400 + i * MSS + 100);
		quic_cong_on_ack(&c, pn++, MSS, now - 999, now, &r, 0);
		KUNIT_EXPECT_EQ(test, c.cubic.w_est, 8400 + (i + 1) * MSS);
		KUNIT_EXPECT_EQ(test, c.window, 8400 + (i + 1) * MSS);
	}
}

static void quic_cubic_persistent_test(struct kunit *test)
{
	u64 now = 10000000;
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_rtt_update(&r, 100000, 0, false);
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	c.window = 120000;
	quic_cong_on_loss(&c, now - 500, now);
	quic_cong_on_persistent(&c);
	KUNIT_EXPECT_EQ(test, c.window, 2400);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 84000);
	/* Slow start back to ssthresh, then an epoch with K = 0 and W_max
	 * the window then (RFC 9438 section 4.8).
	 */
	c.window = 84000;
	quic_cong_on_ack(&c, 1, MSS, now + 1, now + 100000, &r, 0);
	KUNIT_EXPECT_TRUE(test, c.cubic.in_epoch);
	KUNIT_EXPECT_EQ(test, c.cubic.k, 0);
	KUNIT_EXPECT_EQ(test, c.cubic.w_max, 84000);
	KUNIT_EXPECT_EQ(test, c.cubic.epoch_start, now + 100000);
}

/* Rounds of 10 packets; 50 ms then 57 ms: RttThresh = 50 / 8 = 6.25 ms,
 * so 57 ms >= 56.25 ms leaves slow start once 8 samples were taken.
 */
static void quic_hystart_css_test(struct kunit *test)
{
	u64 pn = 0, now = 1000000;
	struct quic_cong c;
	struct quic_rtt r;
	int i;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	KUNIT_EXPECT_EQ(test, c.window, 36000);
	KUNIT_EXPECT_EQ(test, c.hs.last_round_min, 50000);

	/* Seven samples are not enough. */
	for (i = 0; i < 10; i++)
		quic_cong_on_sent(&c, pn + i, MSS, now + i * 10);
	for (i = 0; i < 7; i++)
		quic_cong_on_ack(&c, pn + i, MSS, now + i * 10, now + i * 10 + 57000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 44400);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	/* The eighth still grows by a full packet, then moves to CSS. */
	quic_cong_on_ack(&c, pn + 7, MSS, now + 70, now + 70 + 57000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 45600);
	KUNIT_EXPECT_TRUE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.hs.baseline, 57000);
	KUNIT_EXPECT_TRUE(test, quic_cong_in_slow_start(&c));
	/* A quarter of the acknowledged bytes in CSS */
	for (i = 8; i < 10; i++)
		quic_cong_on_ack(&c, pn + i, MSS, now + i * 10, now + i * 10 + 57000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 46200);
	pn += 10;
	now += 100000;

	/* The round CSS began in and four more: 3000 bytes each */
	for (i = 0; i < 4; i++) {
		quic_test_round(&c, &r, &pn, &now, 57000, 10);
		KUNIT_EXPECT_TRUE(test, c.hs.in_css);
		KUNIT_EXPECT_EQ(test, c.hs.css_rounds, i + 1);
		KUNIT_EXPECT_EQ(test, c.window, 49200 + i * 3000);
	}
	KUNIT_EXPECT_EQ(test, c.ssthresh, U64_MAX);
	/* The end of the fifth: congestion avoidance at the window then */
	quic_test_round_part(&c, &r, &pn, &now, 57000, 10, 1);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 58200);
	KUNIT_EXPECT_EQ(test, c.window, 58200);
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));
}

/* After two rounds at @base, a round of 10 at @rtt: in CSS? */
static bool quic_test_css_after(u32 base, u32 rtt, int n)
{
	u64 pn = 0, now = 1000000;
	struct quic_cong c;
	struct quic_rtt r;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	quic_test_round(&c, &r, &pn, &now, base, 10);
	quic_test_round(&c, &r, &pn, &now, base, 10);
	quic_test_round(&c, &r, &pn, &now, rtt, n);
	return c.hs.in_css;
}

static void quic_hystart_thresh_test(struct kunit *test)
{
	/* 50 ms / 8 = 6.25 ms */
	KUNIT_EXPECT_FALSE(test, quic_test_css_after(50000, 56249, 10));
	KUNIT_EXPECT_TRUE(test, quic_test_css_after(50000, 56250, 10));
	/* 20 ms / 8 = 2.5 ms, raised to the 4 ms floor */
	KUNIT_EXPECT_FALSE(test, quic_test_css_after(20000, 23999, 10));
	KUNIT_EXPECT_TRUE(test, quic_test_css_after(20000, 24000, 10));
	/* 200 ms / 8 = 25 ms, lowered to the 16 ms ceiling */
	KUNIT_EXPECT_FALSE(test, quic_test_css_after(200000, 215999, 10));
	KUNIT_EXPECT_TRUE(test, quic_test_css_after(200000, 216000, 10));
	/* N_RTT_SAMPLE: 7 samples, however high, decide nothing */
	KUNIT_EXPECT_FALSE(test, quic_test_css_after(50000, 500000, 7));
	KUNIT_EXPECT_TRUE(test, quic_test_css_after(50000, 500000, 8));
}

static void quic_hystart_resume_test(struct kunit *test)
{
	u64 pn = 0, now = 1000000;
	struct quic_cong c;
	struct quic_rtt r;
	int i;

	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	KUNIT_ASSERT_TRUE(test, c.hs.in_css);
	KUNIT_ASSERT_EQ(test, c.window, 46200);

	/* 56 ms is below the 57 ms baseline: back to slow start once 8
	 * samples are in.  7 * 300 -> 48300, the eighth + 300 -> 48600.
	 */
	for (i = 0; i < 10; i++)
		quic_cong_on_sent(&c, pn + i, MSS, now + i * 10);
	for (i = 0; i < 7; i++)
		quic_cong_on_ack(&c, pn + i, MSS, now + i * 10, now + i * 10 + 56000, &r, 0);
	KUNIT_EXPECT_TRUE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.window, 48300);
	quic_cong_on_ack(&c, pn + 7, MSS, now + 70, now + 70 + 56000, &r, 0);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.hs.baseline, U32_MAX);
	KUNIT_EXPECT_EQ(test, c.window, 48600);
	/* Full growth again */
	for (i = 8; i < 10; i++)
		quic_cong_on_ack(&c, pn + i, MSS, now + i * 10, now + i * 10 + 56000, &r, 0);
	KUNIT_EXPECT_EQ(test, c.window, 51000);
	pn += 10;
	now += 100000;

	/* Compared with 56 ms now (threshold 7 ms): 60 ms is no exit. */
	quic_test_round(&c, &r, &pn, &now, 60000, 10);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.window, 63000);
	KUNIT_EXPECT_EQ(test, c.ssthresh, U64_MAX);
}

static void quic_hystart_misc_test(struct kunit *test)
{
	u64 pn = 0, now = 1000000;
	struct quic_cong c;
	struct quic_rtt r;

	/* Disabled: slow start ignores the RTT. */
	quic_rtt_init(&r, 0, 25000);
	quic_cong_init(&c, QUIC_CONG_RENO, MSS);
	c.hystart = false;
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 100000, 10);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	KUNIT_EXPECT_EQ(test, c.window, 48000);

	/* A loss in CSS ends it, as it ends slow start. */
	pn = 0;
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	KUNIT_ASSERT_TRUE(test, c.hs.in_css);
	quic_cong_on_loss(&c, now - 1000, now);
	KUNIT_EXPECT_FALSE(test, c.hs.in_css);
	/* 0.7 * 46200 */
	KUNIT_EXPECT_EQ(test, c.window, 32340);
	KUNIT_EXPECT_FALSE(test, quic_cong_in_slow_start(&c));

	/* CUBIC after CSS: the epoch starts with K = 0 at the window. */
	pn = 0;
	quic_cong_init(&c, QUIC_CONG_CUBIC, MSS);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 50000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	quic_test_round(&c, &r, &pn, &now, 57000, 10);
	quic_test_round_part(&c, &r, &pn, &now, 57000, 10, 1);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 58200);
	KUNIT_EXPECT_TRUE(test, c.cubic.in_epoch);
	KUNIT_EXPECT_EQ(test, c.cubic.k, 0);
	KUNIT_EXPECT_EQ(test, c.cubic.w_max, 58200);
	KUNIT_EXPECT_EQ(test, c.cubic.w_est, 58200);
}

static struct kunit_case quic_cong_test_cases[] = {
	KUNIT_CASE(quic_rtt_first_sample_test),
	KUNIT_CASE(quic_rtt_ewma_test),
	KUNIT_CASE(quic_rtt_granularity_test),
	KUNIT_CASE(quic_cong_init_test),
	KUNIT_CASE(quic_reno_slow_start_test),
	KUNIT_CASE(quic_reno_avoidance_test),
	KUNIT_CASE(quic_reno_recovery_test),
	KUNIT_CASE(quic_reno_persistent_test),
	KUNIT_CASE(quic_pacing_test),
	KUNIT_CASE(quic_pacing_schedule_test),
	KUNIT_CASE(quic_cbrt_test),
	KUNIT_CASE(quic_cubic_loss_test),
	KUNIT_CASE(quic_cubic_growth_test),
	KUNIT_CASE(quic_cubic_reno_friendly_test),
	KUNIT_CASE(quic_cubic_alpha_test),
	KUNIT_CASE(quic_cubic_persistent_test),
	KUNIT_CASE(quic_hystart_css_test),
	KUNIT_CASE(quic_hystart_thresh_test),
	KUNIT_CASE(quic_hystart_resume_test),
	KUNIT_CASE(quic_hystart_misc_test),
	{}
};

static struct kunit_suite quic_cong_test_suite = {
	.name = "quic_cong",
	.test_cases = quic_cong_test_cases,
};

kunit_test_suite(quic_cong_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
