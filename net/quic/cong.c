// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Round-trip time estimation and congestion control.  The RTT estimator,
 * probe timeout and loss delay follow RFC 9002 sections 5, 6.1.2 and 6.2;
 * the window follows NewReno (RFC 9002 section 7) or CUBIC (RFC 9438), and
 * the initial slow start of either uses HyStart++ (RFC 9406).
 *
 * All arithmetic is integer: times in microseconds, windows in bytes.
 * The CUBIC function is evaluated with its time offset in milliseconds,
 * where C = 0.4 segments/s^3 becomes C * mss bytes/ms^3 = mss / 2.5e9.
 */

#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <uapi/linux/quic.h>
#include <kunit/visibility.h>

#include "cong.h"

static_assert(QUIC_CONG_RENO == QUIC_CONG_ALG_RENO);
static_assert(QUIC_CONG_CUBIC == QUIC_CONG_ALG_CUBIC);

#define QUIC_CONG_MIN_MSS	1200		/* RFC 9000 section 14 */
#define QUIC_CONG_MAX_MSS	U16_MAX
#define QUIC_PERSISTENT_THRESH	3		/* kPersistentCongestionThreshold */

/* CUBIC constants (RFC 9438 section 4.1.1): beta = 0.7, C = 0.4.  Fast
 * convergence lowers W_max to (1 + beta) / 2 = 0.85 of the window, and the
 * Reno-friendly alpha is 3 * (1 - beta) / (1 + beta) = 9/17.
 */
#define QUIC_CUBIC_BETA_NUM	7
#define QUIC_CUBIC_BETA_DEN	10
#define QUIC_CUBIC_FC_NUM	17
#define QUIC_CUBIC_FC_DEN	20
#define QUIC_CUBIC_ALPHA_NUM	9
#define QUIC_CUBIC_ALPHA_DEN	17
#define QUIC_CUBIC_MS3_PER_SEG	2500000000U	/* 1 / C in ms^3 per segment */
#define QUIC_CUBIC_MAX_MS	2000000		/* keeps the cube within 64 bits */

/* HyStart++ constants (RFC 9406 section 4.3), times in microseconds */
#define QUIC_HS_MIN_RTT_THRESH	4000
#define QUIC_HS_MAX_RTT_THRESH	16000
#define QUIC_HS_MIN_RTT_DIVISOR	8
#define QUIC_HS_N_RTT_SAMPLE	8
#define QUIC_HS_CSS_GROWTH_DIV	4
#define QUIC_HS_CSS_ROUNDS	5

/**
 * quic_rtt_init - reset an RTT estimator (RFC 9002 section 5.3)
 * @r: the estimator
 * @initial_rtt_us: initial RTT, 0 for kInitialRtt (333 ms)
 * @max_ack_delay_us: the peer's max_ack_delay
 */
void quic_rtt_init(struct quic_rtt *r, u32 initial_rtt_us, u32 max_ack_delay_us)
{
	if (!initial_rtt_us)
		initial_rtt_us = QUIC_INITIAL_RTT_US;
	r->latest = 0;
	r->min = 0;
	r->smoothed = initial_rtt_us;
	r->var = initial_rtt_us / 2;
	r->max_ack_delay = max_ack_delay_us;
	r->has_sample = false;
}
EXPORT_SYMBOL_IF_KUNIT(quic_rtt_init);

/**
 * quic_rtt_update - take an RTT sample (RFC 9002 section 5.3)
 * @r: the estimator
 * @latest_us: time from sending the largest newly acknowledged packet to
 *	receiving its acknowledgment
 * @ack_delay_us: acknowledgment delay the peer reported, already scaled by
 *	its ack_delay_exponent (0 for the Initial and Handshake spaces)
 * @confirmed: the handshake is confirmed: @ack_delay_us is capped at the
 *	peer's max_ack_delay
 */
void quic_rtt_update(struct quic_rtt *r, u32 latest_us, u32 ack_delay_us, bool confirmed)
{
	u32 adjusted = latest_us, dev;

	r->latest = latest_us;
	if (!r->has_sample) {		/* the first sample resets the history */
		r->has_sample = true;
		r->min = latest_us;
		r->smoothed = latest_us;
		r->var = latest_us / 2;
		return;
	}
	r->min = min(r->min, latest_us);	/* section 5.2: not adjusted */
	if (confirmed)
		ack_delay_us = min(ack_delay_us, r->max_ack_delay);
	/* Never subtract the delay below min_rtt. */
	if ((u64)latest_us >= (u64)r->min + ack_delay_us)
		adjusted = latest_us - ack_delay_us;
	dev = r->smoothed > adjusted ? r->smoothed - adjusted : adjusted - r->smoothed;
	r->var = div_u64(3ULL * r->var + dev, 4);
	r->smoothed = div_u64(7ULL * r->smoothed + adjusted, 8);
}
EXPORT_SYMBOL_IF_KUNIT(quic_rtt_update);

static u64 quic_rtt_pto_base(const struct quic_rtt *r)
{
	return (u64)r->smoothed + max_t(u64, 4ULL * r->var, QUIC_GRANULARITY_US);
}

/**
 * quic_rtt_pto - probe timeout period (RFC 9002 section 6.2.1)
 * @r: the estimator
 * @app_space: for the Application Data space, which adds max_ack_delay
 *
 * The caller doubles it for each backoff.
 *
 * Return: smoothed_rtt + max(4 * rttvar, kGranularity) [+ max_ack_delay],
 * in microseconds.
 */
u32 quic_rtt_pto(const struct quic_rtt *r, bool app_space)
{
	u64 pto = quic_rtt_pto_base(r);

	if (app_space)
		pto += r->max_ack_delay;
	return min_t(u64, pto, U32_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(quic_rtt_pto);

/**
 * quic_rtt_loss_delay - time threshold of loss detection (RFC 9002 6.1.2)
 * @r: the estimator
 *
 * Return: max(9/8 * max(smoothed_rtt, latest_rtt), kGranularity), in
 * microseconds.
 */
u32 quic_rtt_loss_delay(const struct quic_rtt *r)
{
	u64 delay = div_u64(9ULL * max(r->smoothed, r->latest), 8);

	return clamp_t(u64, delay, QUIC_GRANULARITY_US, U32_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(quic_rtt_loss_delay);

/**
 * quic_rtt_persistent_duration - persistent congestion duration
 * @r: the estimator
 *
 * RFC 9002 section 7.6.1: max_ack_delay counts whatever the space.
 *
 * Return: (smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay) *
 * kPersistentCongestionThreshold, in microseconds.
 */
u32 quic_rtt_persistent_duration(const struct quic_rtt *r)
{
	u64 d = (quic_rtt_pto_base(r) + r->max_ack_delay) * QUIC_PERSISTENT_THRESH;

	return min_t(u64, d, U32_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(quic_rtt_persistent_duration);

/**
 * quic_cong_cbrt - integer cube root
 * @x: the radicand
 *
 * Digit-by-digit method in base 8: for each group of three bits of @x,
 * from the top, the root so far doubles and gains a 1 bit when what is
 * left of @x holds (y + 1)^3 - y^3 = 3y(y + 1) + 1 at that group's scale.
 * The root stays below 2^22, so no step overflows.
 *
 * Return: the largest y with y^3 <= @x.
 */
u32 quic_cong_cbrt(u64 x)
{
	u64 y = 0, step;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		y <<= 1;
		/* (y + 1)^3 - y^3 for the root so far, in units of 2^s */
		step = 3 * y * (y + 1) + 1;
		if ((x >> s) >= step) {
			x -= step << s;
			y++;
		}
	}
	return y;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_cbrt);

/* RFC 9002 section 7.2 */
static u64 quic_cong_initial_window(u32 mss)
{
	return min_t(u64, 10ULL * mss, max_t(u64, 2ULL * mss, 14720));
}

static u64 quic_cong_min_window(const struct quic_cong *c)
{
	return 2ULL * c->mss;
}

static u32 quic_cong_clamp_mss(u32 mss)
{
	return clamp_t(u32, mss, QUIC_CONG_MIN_MSS, QUIC_CONG_MAX_MSS);
}

/**
 * quic_cong_init - set up a congestion controller
 * @c: the controller
 * @algo: &enum quic_cong_algo, anything else is taken as NewReno
 * @mss: maximum datagram size, clamped to 1200..65535
 *
 * The window starts at min(10 * mss, max(2 * mss, 14720)) (RFC 9002 section
 * 7.2), in slow start with HyStart++ on.
 */
void quic_cong_init(struct quic_cong *c, u8 algo, u32 mss)
{
	memset(c, 0, sizeof(*c));
	c->algo = algo == QUIC_CONG_CUBIC ? QUIC_CONG_CUBIC : QUIC_CONG_RENO;
	c->hystart = true;
	c->mss = quic_cong_clamp_mss(mss);
	c->window = quic_cong_initial_window(c->mss);
	c->ssthresh = U64_MAX;
	c->hs.last_round_min = U32_MAX;
	c->hs.round_min = U32_MAX;
	c->hs.baseline = U32_MAX;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_init);

/**
 * quic_cong_set_mss - the maximum datagram size changed
 * @c: the controller
 * @mss: new maximum datagram size, clamped to 1200..65535
 *
 * A window still at its initial value is recomputed for the new size (RFC
 * 9002 section 7.2); any window is kept at least at the new minimum.
 */
void quic_cong_set_mss(struct quic_cong *c, u32 mss)
{
	u64 initial = quic_cong_initial_window(c->mss);

	c->mss = quic_cong_clamp_mss(mss);
	if (c->ssthresh == U64_MAX && c->window == initial)
		c->window = quic_cong_initial_window(c->mss);
	c->window = max(c->window, quic_cong_min_window(c));
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_set_mss);

/**
 * quic_cong_on_sent - a packet counted in flight was sent
 * @c: the controller
 * @pn: its packet number
 * @bytes: its size
 * @now: current time (us)
 *
 * Only the packet number matters for now: it delimits HyStart++ rounds.
 */
void quic_cong_on_sent(struct quic_cong *c, u64 pn, u32 bytes, u64 now)
{
	if (pn >= c->next_pn)
		c->next_pn = pn + 1;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_on_sent);

/**
 * quic_cong_in_slow_start - is the window below the slow start threshold?
 * @c: the controller
 *
 * HyStart++'s Conservative Slow Start counts as slow start.
 *
 * Return: true in slow start.
 */
bool quic_cong_in_slow_start(const struct quic_cong *c)
{
	return c->window < c->ssthresh;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_in_slow_start);

/* W_cubic(t) of RFC 9438 section 4.2, @t in microseconds since the epoch:
 * C * (t - K)^3 + W_max, in bytes.
 */
static u64 quic_cubic_window_at(const struct quic_cong *c, u64 t)
{
	const struct quic_cubic *cb = &c->cubic;
	u64 d, cube, offs;
	u32 rem;

	d = t > cb->k ? t - cb->k : cb->k - t;
	d = min_t(u64, div_u64(d, USEC_PER_MSEC), QUIC_CUBIC_MAX_MS);
	cube = d * d * d;
	/* mss * d^3 / 2.5e9 without overflowing: split the quotient */
	offs = div_u64_rem(cube, QUIC_CUBIC_MS3_PER_SEG, &rem) * c->mss;
	offs += div_u64((u64)rem * c->mss, QUIC_CUBIC_MS3_PER_SEG);
	if (t >= cb->k)
		return cb->w_max + offs;
	return cb->w_max > offs ? cb->w_max - offs : 0;
}

/* A congestion avoidance stage starts at the current window: W_est resets
 * to it (RFC 9438 section 4.3) and K = cubic_root((W_max - cwnd_epoch) / C)
 * (section 4.2).  With W_max not above the window, as after a HyStart++
 * exit or persistent congestion (section 4.8), W_max is the window: K = 0.
 */
static void quic_cubic_epoch_reset(struct quic_cong *c)
{
	struct quic_cubic *cb = &c->cubic;
	u64 delta, x, q;
	u32 rem;

	cb->cwnd_epoch = c->window;
	cb->w_est = c->window;
	cb->est_acc = 0;
	cb->cwnd_acc = 0;
	cb->in_epoch = false;
	if (cb->w_max <= c->window) {
		cb->w_max = c->window;
		cb->k = 0;
		return;
	}
	/* K^3 in ms^3: delta / mss segments, times 2.5e9 ms^3 per segment */
	delta = cb->w_max - c->window;
	q = div_u64_rem(delta, c->mss, &rem);
	if (check_mul_overflow(q, (u64)QUIC_CUBIC_MS3_PER_SEG, &x) ||
	    check_add_overflow(x, div_u64((u64)rem * QUIC_CUBIC_MS3_PER_SEG, c->mss), &x))
		x = U64_MAX;
	cb->k = (u64)quic_cong_cbrt(x) * USEC_PER_MSEC;
}

/* RFC 9002 section 7.3.2 (NewReno: half) and RFC 9438 sections 4.6 and 4.7
 * (CUBIC: beta = 0.7, with fast convergence).
 */
static void quic_cong_reduce(struct quic_cong *c)
{
	struct quic_cubic *cb = &c->cubic;

	c->hs.in_css = false;
	c->acked = 0;
	if (c->algo != QUIC_CONG_CUBIC) {
		c->ssthresh = c->window / 2;
		c->window = max(c->ssthresh, quic_cong_min_window(c));
		return;
	}
	/* Fast convergence: a window that did not get back to the last W_max
	 * is a sign of a new flow competing; release bandwidth to it.
	 */
	if (c->window < cb->w_max)
		cb->w_max = div_u64(c->window * QUIC_CUBIC_FC_NUM, QUIC_CUBIC_FC_DEN);
	else
		cb->w_max = c->window;
	cb->cwnd_prior = c->window;
	c->ssthresh = div_u64(c->window * QUIC_CUBIC_BETA_NUM, QUIC_CUBIC_BETA_DEN);
	c->window = max(c->ssthresh, quic_cong_min_window(c));
	quic_cubic_epoch_reset(c);
}

/* Congestion avoidance, NewReno: one mss per window of acknowledged bytes
 * (RFC 9002 section 7.3.3, counted as in RFC 3465 section 2.1).
 */
static void quic_reno_on_ack(struct quic_cong *c, u32 bytes)
{
	c->acked += bytes;
	while (c->acked >= c->window) {
		c->acked -= c->window;
		c->window += c->mss;
	}
}

/* Congestion avoidance, CUBIC (RFC 9438 sections 4.2 to 4.5) */
static void quic_cubic_on_ack(struct quic_cong *c, u32 bytes, u64 now,
			      const struct quic_rtt *r)
{
	struct quic_cubic *cb = &c->cubic;
	u64 t, w, target, alpha;

	if (!cb->in_epoch) {
		quic_cubic_epoch_reset(c);
		cb->epoch_start = now;
		cb->in_epoch = true;
	}
	t = now > cb->epoch_start ? now - cb->epoch_start : 0;

	/* Section 4.3: W_est grows by alpha segments per window acknowledged,
	 * alpha = 9/17 until W_est reaches cwnd_prior, 1 (as Reno) after.
	 */
	alpha = cb->w_est >= cb->cwnd_prior ? QUIC_CUBIC_ALPHA_DEN : QUIC_CUBIC_ALPHA_NUM;
	cb->est_acc += bytes * alpha;
	while (cb->est_acc >= c->window * QUIC_CUBIC_ALPHA_DEN) {
		cb->est_acc -= c->window * QUIC_CUBIC_ALPHA_DEN;
		cb->w_est += c->mss;
	}
	w = quic_cubic_window_at(c, t);
	if (w < cb->w_est) {		/* the Reno-friendly region */
		c->window = max(c->window, cb->w_est);
		return;
	}

	/* Sections 4.4 and 4.5: aim at W_cubic one RTT ahead, bounded to
	 * [cwnd, 1.5 cwnd], growing (target - cwnd) / cwnd per segment.
	 */
	target = quic_cubic_window_at(c, t + r->smoothed);
	target = clamp(target, c->window, c->window + c->window / 2);
	cb->cwnd_acc += (target - c->window) * bytes;
	c->window += div64_u64_rem(cb->cwnd_acc, c->window, &cb->cwnd_acc);
}

static bool quic_hystart_active(const struct quic_cong *c)
{
	/* RFC 9406 section 4.3: only the initial slow start */
	return c->hystart && c->ssthresh == U64_MAX;
}

/* RFC 9406 section 4.2: a round ends when a packet sent after it began is
 * acknowledged.  Rounds ended in Conservative Slow Start are counted;
 * after CSS_ROUNDS of them congestion avoidance starts.
 */
static void quic_hystart_round(struct quic_cong *c, u64 pn)
{
	struct quic_hystart *hs = &c->hs;

	if (pn < hs->round_end)
		return;
	if (hs->in_css && ++hs->css_rounds >= QUIC_HS_CSS_ROUNDS) {
		hs->in_css = false;
		c->ssthresh = c->window;
		return;
	}
	hs->last_round_min = hs->round_min;
	hs->round_min = U32_MAX;
	hs->samples = 0;
	hs->round_end = max(c->next_pn, pn + 1);
}

/* RFC 9406 section 4.2: track the round's minimum RTT; in slow start, a
 * rise of RttThresh over the previous round's minimum moves to
 * Conservative Slow Start, and in CSS a minimum below the one that started
 * it goes back to slow start.  Each acknowledgment (packets acknowledged
 * together share @now) counts as one sample.
 */
static void quic_hystart_sample(struct quic_cong *c, u32 rtt, u64 now)
{
	struct quic_hystart *hs = &c->hs;
	u32 thresh;

	hs->round_min = min(hs->round_min, rtt);
	if (now != hs->last_ack) {
		hs->last_ack = now;
		hs->samples++;
	}
	if (hs->samples < QUIC_HS_N_RTT_SAMPLE)
		return;
	if (hs->in_css) {
		if (hs->round_min < hs->baseline) {
			hs->baseline = U32_MAX;
			hs->in_css = false;
		}
		return;
	}
	if (hs->round_min == U32_MAX || hs->last_round_min == U32_MAX)
		return;
	thresh = clamp_t(u32, hs->last_round_min / QUIC_HS_MIN_RTT_DIVISOR,
			 QUIC_HS_MIN_RTT_THRESH, QUIC_HS_MAX_RTT_THRESH);
	if ((u64)hs->round_min >= (u64)hs->last_round_min + thresh) {
		hs->baseline = hs->round_min;
		hs->css_rounds = 0;
		hs->in_css = true;
	}
}

/**
 * quic_cong_on_ack - a packet counted in flight was newly acknowledged
 * @c: the controller
 * @pn: its packet number
 * @bytes: its size
 * @sent_time: when it was sent (us)
 * @now: when the acknowledgment arrived (us), the same for all packets of
 *	one ACK frame
 * @r: the RTT estimate: CUBIC aims one smoothed RTT ahead
 * @bytes_in_flight: bytes still in flight (unused: not growing the window
 *	while application limited is the caller's job, RFC 9002 section 7.8)
 *
 * Called once per packet.  Packets sent before the current recovery period
 * began do not grow the window; the first one sent after ends the period
 * (RFC 9002 section 7.3.2).  In slow start the window grows by @bytes (a
 * quarter of it in HyStart++'s Conservative Slow Start); in congestion
 * avoidance as NewReno or CUBIC does.  HyStart++ takes @now - @sent_time as
 * its RTT sample: for the largest packet of an ACK frame, RFC 9002's
 * latest_rtt.  Rounds are delimited with the packet numbers from
 * quic_cong_on_sent().
 */
void quic_cong_on_ack(struct quic_cong *c, u64 pn, u32 bytes, u64 sent_time, u64 now,
		      const struct quic_rtt *r, u64 bytes_in_flight)
{
	bool hystart = quic_hystart_active(c);

	if (c->recovery_start && sent_time <= c->recovery_start)
		return;
	c->in_recovery = false;

	if (hystart)
		quic_hystart_round(c, pn);
	if (quic_cong_in_slow_start(c)) {
		/* RFC 9406 section 4.2: each call acknowledges one packet,
		 * at most an mss, below the L * SMSS cap.
		 */
		c->window += c->hs.in_css ? bytes / QUIC_HS_CSS_GROWTH_DIV : bytes;
		if (hystart)
			quic_hystart_sample(c, min_t(u64, now - min(now, sent_time), U32_MAX),
					    now);
		return;
	}
	if (c->algo == QUIC_CONG_CUBIC)
		quic_cubic_on_ack(c, bytes, now, r);
	else
		quic_reno_on_ack(c, bytes);
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_on_ack);

/**
 * quic_cong_on_loss - in-flight packets were declared lost
 * @c: the controller
 * @sent_time: when the last of them was sent (us)
 * @now: current time (us)
 *
 * A loss of a packet sent after the current recovery period began starts a
 * new one and reduces the window; one sent before it does nothing, so the
 * window is reduced at most once per round trip (RFC 9002 section 7.3.2).
 */
void quic_cong_on_loss(struct quic_cong *c, u64 sent_time, u64 now)
{
	if (c->recovery_start && sent_time <= c->recovery_start)
		return;
	c->recovery_start = now;
	c->in_recovery = true;
	quic_cong_reduce(c);
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_on_loss);

/**
 * quic_cong_on_ecn_ce - the peer reported more ECN-CE marks
 * @c: the controller
 * @sent_time: when the largest packet the ACK frame acknowledges was sent
 * @now: current time (us)
 *
 * The same congestion event as a loss (RFC 9002 section 7.1 and appendix
 * B.7, RFC 9438 section 4.6).
 *
 * Return: true if it reduced the window: not within a recovery period.
 */
bool quic_cong_on_ecn_ce(struct quic_cong *c, u64 sent_time, u64 now)
{
	if (c->recovery_start && sent_time <= c->recovery_start)
		return false;
	quic_cong_on_loss(c, sent_time, now);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_on_ecn_ce);

/**
 * quic_cong_on_persistent - persistent congestion was established
 * @c: the controller
 *
 * Called after quic_cong_on_loss() for the same losses.  The window drops
 * to the minimum of 2 * mss and the recovery period ends (RFC 9002 section
 * 7.6.2 and appendix B.8); slow start then runs up to the slow start
 * threshold without HyStart++.  CUBIC starts its next congestion avoidance
 * stage with K = 0 and W_max at the window then (RFC 9438 section 4.8).
 */
void quic_cong_on_persistent(struct quic_cong *c)
{
	if (c->ssthresh == U64_MAX)
		quic_cong_reduce(c);
	c->window = quic_cong_min_window(c);
	c->recovery_start = 0;
	c->in_recovery = false;
	c->acked = 0;
	c->hs.in_css = false;
	c->cubic.w_max = 0;
	c->cubic.in_epoch = false;
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_on_persistent);

/**
 * quic_cong_pacing_rate - rate to pace in-flight packets at
 * @c: the controller
 * @r: the RTT estimate; before a sample its smoothed RTT is the initial RTT
 *
 * RFC 9002 section 7.7: N * congestion_window / smoothed_rtt with N = 1.25.
 *
 * Return: bytes per second, at least 1.
 */
u64 quic_cong_pacing_rate(const struct quic_cong *c, const struct quic_rtt *r)
{
	u64 srtt = max_t(u32, r->smoothed, QUIC_GRANULARITY_US);
	u64 window = min_t(u64, c->window, U64_MAX / (5 * USEC_PER_SEC));

	return max_t(u64, div64_u64(window * 5 * USEC_PER_SEC, srtt * 4), 1);
}
EXPORT_SYMBOL_IF_KUNIT(quic_cong_pacing_rate);

/* RFC 9002 section 7.7 limits bursts to the initial window: the time it
 * takes at @rate is how far the pacing schedule may run ahead of now.
 */
static u64 quic_pacing_burst_ns(const struct quic_cong *c, u64 rate)
{
	return div64_u64(quic_cong_initial_window(c->mss) * NSEC_PER_SEC, rate);
}

/**
 * quic_pacing_sent - move the pacing schedule past a sent packet
 * @c: the controller
 * @r: the RTT estimate
 * @next: earliest time (ns) the schedule lets the next packet go; updated
 * @now: the current time in ns
 * @bytes: size of the packet
 *
 * The schedule restarts from @now after an idle period, so idle time is
 * not banked beyond the burst quic_pacing_wait() grants.
 */
void quic_pacing_sent(const struct quic_cong *c, const struct quic_rtt *r, u64 *next,
		      u64 now, u32 bytes)
{
	u64 rate = quic_cong_pacing_rate(c, r);

	*next = max(*next, now) + div64_u64((u64)bytes * NSEC_PER_SEC, rate);
}
EXPORT_SYMBOL_IF_KUNIT(quic_pacing_sent);

/**
 * quic_pacing_wait - may an ack-eliciting packet go now?
 * @c: the controller
 * @r: the RTT estimate
 * @next: the schedule kept by quic_pacing_sent(); may be pulled in
 * @now: the current time in ns
 *
 * A packet may go while the schedule is at most a burst ahead of @now.
 * Past that the sender waits until half a burst is free again, so that
 * one wakeup sends several packets.
 *
 * The schedule is never more than a burst and a packet ahead at the
 * current rate: the handshake runs at the rate of the initial RTT, and
 * that debt must not hold data back once an RTT sample raised the rate.
 *
 * Return: 0 if a packet may go, else the time (ns) to try again.
 */
u64 quic_pacing_wait(const struct quic_cong *c, const struct quic_rtt *r, u64 *next, u64 now)
{
	u64 rate = quic_cong_pacing_rate(c, r);
	u64 burst = quic_pacing_burst_ns(c, rate);

	*next = min(*next, now + burst + div64_u64((u64)c->mss * NSEC_PER_SEC, rate));
	if (*next <= now + burst)
		return 0;
	return *next - burst / 2;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pacing_wait);
