// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * What the connection's timers do when they fire: loss detection and
 * probes (RFC 9002 appendix A.9), the delayed ACK, the idle timeout,
 * the pacing timer and path validation.  Timers run in softirq; with the socket owned by the
 * user their work waits for release_sock().  Also the early resend of
 * handshake data the receive path asks for (RFC 9002 section 6.2.3).
 * recovery.c decides what is lost and when timers are due; this file
 * acts on it through the transmit path and the connection.
 */

#include <linux/hrtimer.h>
#include <net/sock.h>

#include "close.h"
#include "conn.h"
#include "mib.h"
#include "output.h"
#include "path.h"
#include "recovery.h"
#include "socket.h"
#include "timer.h"

/**
 * quic_timer_hs_resend - the peer shows it missed our handshake data
 * @sk: the connection, locked, in the receive path
 *
 * RFC 9002 section 6.2.3: a server that gets the ClientHello again or a
 * PING in an Initial, or a client that gets Handshake packets before the
 * ServerHello, may resend its oldest unacknowledged CRYPTO data before
 * the probe timeout, a few times per connection.  Under heavy loss this
 * saves the PTO's backoff (1, 3, 7... seconds).  The copies are queued
 * for the flush that ends the receive path, within the anti-amplification
 * limit as any packet.  A client whose ClientHello was acknowledged has
 * nothing to copy: it tells the server with a PING in an Initial.  It is
 * the probe timeout's shortcut, so it lives with it, above the transmit
 * path it needs.
 */
void quic_timer_hs_resend(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	bool sent = false;
	u8 space;

	quic_sock_assert_locked(sk);
	if (qs->handshake_done || qs->closing || qs->hs_resends >= QUIC_HS_RESENDS_MAX)
		return;
	for (space = QUIC_SPACE_INITIAL; space < QUIC_SPACE_APP; space++)
		if (!qs->space[space].keys_discarded &&
		    quic_recovery_probe_copy(sk, space))
			sent = true;
	if (!sent && !qs->is_server)
		sent = !quic_output_probe(sk, QUIC_SPACE_INITIAL);
	/* Nothing in flight yet (a server whose TLS library is still at
	 * work): nothing lost, no resend used.
	 */
	if (!sent)
		return;
	qs->hs_resends++;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_HS_RESEND);
}

/* RFC 9002 appendix A.9 */
static void quic_on_loss_timeout(struct sock *sk)
{
	u8 space;

	if (quic_sk(sk)->closing)
		return;
	switch (quic_recovery_timeout(sk, &space)) {
	case QUIC_TIMEOUT_LOST:
		quic_output_flush(sk);
		break;
	case QUIC_TIMEOUT_PROBE:
		if (space == QUIC_SPACE_APP)	/* marks may be the cause */
			quic_ecn_on_pto(&quic_sk(sk)->ecn);
		quic_output_probe(sk, space);
		quic_output_flush(sk);
		quic_timers_update(sk, quic_now());
		break;
	case QUIC_TIMEOUT_NONE:	/* the timer is armed again */
		break;
	}
}

static void quic_on_ack_timeout(struct sock *sk)
{
	struct quic_space *s = &quic_sk(sk)->space[QUIC_SPACE_APP];

	if (!s->ack_pending)
		return;
	s->ack_immediate = true;
	quic_output_flush(sk);
}

static void quic_on_idle_timeout(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 now = quic_now(), end;

	if (qs->lingering) {
		quic_conn_linger_end(sk);
		return;
	}
	if (qs->closing || !qs->idle_timeout)
		return;
	/* RFC 9000 section 10.1: at least three PTOs; an orphan that is
	 * flushing counts from the last data the peer took.
	 */
	end = qs->flushing ? min(qs->flush_progress, qs->last_activity) : qs->last_activity;
	end += max_t(u64, qs->idle_timeout, 3ULL * quic_rtt_pto(&qs->rtt, true));
	if (end > now) {
		quic_timer_set(sk, &qs->idle_timer, end, now);
		return;
	}
	quic_conn_closed(sk, -ETIMEDOUT);	/* silently, section 10.1 */
}

/* Timers run in softirq: with the socket owned by user, the work waits
 * for release_sock(), which calls quic_release_cb().
 */
static void quic_timer_run(struct sock *sk, int bit, void (*fn)(struct sock *sk))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		fn(sk);
	else if (!test_and_set_bit(bit, &quic_sk(sk)->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);	/* taken when the timer was armed */
}

static void quic_loss_timer_fn(struct timer_list *t)
{
	struct quic_sock *qs = timer_container_of(qs, t, loss_timer);

	quic_timer_run(&qs->inet.sk, QUIC_DEFER_LOSS, quic_on_loss_timeout);
}

static void quic_ack_timer_fn(struct timer_list *t)
{
	struct quic_sock *qs = timer_container_of(qs, t, ack_timer);

	quic_timer_run(&qs->inet.sk, QUIC_DEFER_ACK, quic_on_ack_timeout);
}

static void quic_idle_timer_fn(struct timer_list *t)
{
	struct quic_sock *qs = timer_container_of(qs, t, idle_timer);

	quic_timer_run(&qs->inet.sk, QUIC_DEFER_IDLE, quic_on_idle_timeout);
}

static void quic_path_timer_fn(struct timer_list *t)
{
	struct quic_sock *qs = timer_container_of(qs, t, path.timer);

	quic_timer_run(&qs->inet.sk, QUIC_DEFER_PATH, quic_path_timeout);
}

static void quic_on_pace_timeout(struct sock *sk)
{
	quic_output_flush(sk);
}

static enum hrtimer_restart quic_pace_timer_fn(struct hrtimer *t)
{
	struct quic_sock *qs = container_of(t, struct quic_sock, pace_timer);

	quic_timer_run(&qs->inet.sk, QUIC_DEFER_PACE, quic_on_pace_timeout);
	return HRTIMER_NORESTART;
}

/**
 * quic_release_cb - work deferred while the socket was owned
 * @sk: the socket
 *
 * The timers' work, then the flush that layers below the transmit path
 * asked for (QUIC_DEFER_FLUSH).
 */
void quic_release_cb(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (test_and_clear_bit(QUIC_DEFER_LOSS, &qs->deferred)) {
		quic_on_loss_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(QUIC_DEFER_ACK, &qs->deferred)) {
		quic_on_ack_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(QUIC_DEFER_IDLE, &qs->deferred)) {
		quic_on_idle_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(QUIC_DEFER_PACE, &qs->deferred)) {
		quic_on_pace_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(QUIC_DEFER_PATH, &qs->deferred)) {
		quic_path_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(QUIC_DEFER_ICMP, &qs->deferred))
		quic_conn_icmp_err(sk, xchg(&sk->sk_err_soft, 0));
	if (test_and_clear_bit(QUIC_DEFER_FLUSH, &qs->deferred))
		quic_output_flush(sk);
}

/**
 * quic_timers_init - set up the connection's timers with their handlers
 * @sk: a new socket
 */
void quic_timers_init(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	timer_setup(&qs->loss_timer, quic_loss_timer_fn, 0);
	timer_setup(&qs->ack_timer, quic_ack_timer_fn, 0);
	timer_setup(&qs->idle_timer, quic_idle_timer_fn, 0);
	timer_setup(&qs->path.timer, quic_path_timer_fn, 0);
	hrtimer_setup(&qs->pace_timer, quic_pace_timer_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_ABS_PINNED_SOFT);
}
