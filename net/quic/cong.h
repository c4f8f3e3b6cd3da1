/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Round-trip time estimation (RFC 9002 sections 5 and 6.2) and congestion
 * control: NewReno (RFC 9002 section 7) or CUBIC (RFC 9438), both with
 * HyStart++ (RFC 9406) for the initial slow start.
 */

#ifndef __NET_QUIC_CONG_H
#define __NET_QUIC_CONG_H

#include <linux/types.h>

#define QUIC_GRANULARITY_US	1000	/* RFC 9002 kGranularity */
#define QUIC_INITIAL_RTT_US	333000	/* RFC 9002 kInitialRtt */

/**
 * struct quic_rtt - round-trip time estimate of a path (RFC 9002 section 5)
 * @latest: last RTT sample, 0 before the first
 * @min: smallest sample seen (not adjusted for ACK delay), 0 before the first
 * @smoothed: smoothed RTT, the initial RTT before the first sample
 * @var: RTT variation
 * @max_ack_delay: the peer's max_ack_delay
 * @has_sample: at least one sample was taken
 *
 * All times are in microseconds.  Locking: under the connection's socket lock.
 */
struct quic_rtt {
	u32	latest;
	u32	min;
	u32	smoothed;
	u32	var;
	u32	max_ack_delay;
	bool	has_sample;
};

void quic_rtt_init(struct quic_rtt *r, u32 initial_rtt_us, u32 max_ack_delay_us);
void quic_rtt_update(struct quic_rtt *r, u32 latest_us, u32 ack_delay_us, bool confirmed);
u32 quic_rtt_pto(const struct quic_rtt *r, bool app_space);
u32 quic_rtt_loss_delay(const struct quic_rtt *r);
u32 quic_rtt_persistent_duration(const struct quic_rtt *r);

/**
 * enum quic_cong_algo - congestion control algorithms
 * @QUIC_CONG_RENO: NewReno, RFC 9002 section 7 (%QUIC_CONG_ALG_RENO)
 * @QUIC_CONG_CUBIC: CUBIC, RFC 9438 (%QUIC_CONG_ALG_CUBIC)
 */
enum quic_cong_algo {
	QUIC_CONG_RENO,
	QUIC_CONG_CUBIC,
};

/**
 * struct quic_cubic - CUBIC state (RFC 9438 section 4), windows in bytes
 * @w_max: window before the last reduction, lowered by fast convergence;
 *	the plateau of the cubic function
 * @cwnd_prior: window just before the last reduction
 * @cwnd_epoch: window when the current congestion avoidance stage began
 * @k: microseconds the cubic function takes to climb from @cwnd_epoch to
 *	@w_max
 * @epoch_start: when the current congestion avoidance stage began (us)
 * @w_est: Reno-friendly estimate of the window (RFC 9438 section 4.3)
 * @est_acc: acknowledged bytes times 17 * alpha not yet turned into
 *	@w_est growth
 * @cwnd_acc: (target - window) * acknowledged bytes not yet turned into
 *	window growth
 * @in_epoch: a congestion avoidance stage is running: @epoch_start is set
 */
struct quic_cubic {
	u64	w_max;
	u64	cwnd_prior;
	u64	cwnd_epoch;
	u64	k;
	u64	epoch_start;
	u64	w_est;
	u64	est_acc;
	u64	cwnd_acc;
	bool	in_epoch;
};

/**
 * struct quic_hystart - HyStart++ state (RFC 9406 section 4.2)
 * @round_end: the round ends when a packet number at or above this is
 *	acknowledged
 * @last_ack: time of the last acknowledgment counted in @samples
 * @last_round_min: smallest RTT sample of the previous round (us),
 *	U32_MAX for none
 * @round_min: smallest RTT sample of this round (us), U32_MAX for none
 * @baseline: @round_min that started Conservative Slow Start (us)
 * @samples: acknowledgments that gave RTT samples this round
 * @css_rounds: rounds ended while in Conservative Slow Start
 * @in_css: in Conservative Slow Start
 */
struct quic_hystart {
	u64	round_end;
	u64	last_ack;
	u32	last_round_min;
	u32	round_min;
	u32	baseline;
	u32	samples;
	u8	css_rounds;
	bool	in_css;
};

/**
 * struct quic_cong - congestion controller of a path
 * @algo: &enum quic_cong_algo
 * @hystart: use HyStart++ in the initial slow start (default on)
 * @in_recovery: a recovery period is running: no packet sent after
 *	@recovery_start was acknowledged yet
 * @mss: maximum datagram size (bytes)
 * @window: congestion window (bytes)
 * @ssthresh: slow start threshold (bytes), U64_MAX until the first
 *	congestion event
 * @recovery_start: when the last recovery period began (us), 0 for none
 *	since the start or persistent congestion; packets sent up to then
 *	neither grow the window nor start another recovery period (RFC 9002
 *	congestion_recovery_start_time)
 * @acked: NewReno congestion avoidance: acknowledged bytes toward the
 *	next @mss of growth
 * @next_pn: one above the largest packet number sent
 * @cubic: CUBIC state
 * @hs: HyStart++ state
 *
 * Locking: under the connection's socket lock.
 */
struct quic_cong {
	u8			algo;
	bool			hystart;
	bool			in_recovery;
	u32			mss;
	u64			window;
	u64			ssthresh;
	u64			recovery_start;
	u64			acked;
	u64			next_pn;
	struct quic_cubic	cubic;
	struct quic_hystart	hs;
};

void quic_cong_init(struct quic_cong *c, u8 algo, u32 mss);
void quic_cong_set_mss(struct quic_cong *c, u32 mss);
void quic_cong_on_sent(struct quic_cong *c, u64 pn, u32 bytes, u64 now);
void quic_cong_on_ack(struct quic_cong *c, u64 pn, u32 bytes, u64 sent_time, u64 now,
		      const struct quic_rtt *r, u64 bytes_in_flight);
void quic_cong_on_loss(struct quic_cong *c, u64 sent_time, u64 now);
bool quic_cong_on_ecn_ce(struct quic_cong *c, u64 sent_time, u64 now);
void quic_cong_on_persistent(struct quic_cong *c);
bool quic_cong_in_slow_start(const struct quic_cong *c);
u64 quic_cong_pacing_rate(const struct quic_cong *c, const struct quic_rtt *r);
void quic_pacing_sent(const struct quic_cong *c, const struct quic_rtt *r, u64 *next,
		      u64 now, u32 bytes);
u64 quic_pacing_wait(const struct quic_cong *c, const struct quic_rtt *r, u64 *next, u64 now);
u32 quic_cong_cbrt(u64 x);

#endif /* __NET_QUIC_CONG_H */
