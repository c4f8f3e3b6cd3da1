// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The end of a connection: CONNECTION_CLOSE, the closing and draining
 * periods (RFC 9000 section 10.2), and the sockets close() leaves behind
 * to deliver what was written (flush) or to answer late packets (linger).
 */

#include <net/sock.h>
#include <net/tcp_states.h>

#include "close.h"
#include "mib.h"
#include "output.h"
#include "recovery.h"
#include "socket.h"

/**
 * quic_conn_closed - the connection is over
 * @sk: the connection
 * @err: negative errno for the user, or 0 for a close by the peer
 */
void quic_conn_closed(struct sock *sk, int err)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->closing)
		return;
	WRITE_ONCE(qs->closing, true);	/* poll() and /proc read it unlocked */
	/* RFC 9000 section 10.2: after a close, sent or received, the
	 * connection IDs stay for three PTOs, so that late packets are
	 * answered with the close or absorbed, not with a Stateless Reset.
	 * An idle timeout (10.1) or a reset (10.3) leaves nothing to answer.
	 */
	if (!err || err == -ECONNABORTED)
		qs->close_end = quic_now() + 3ULL * quic_rtt_pto(&qs->rtt, true);
	if (err)
		WRITE_ONCE(sk->sk_err, -err);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	inet_sk_set_state(sk, TCP_CLOSE);
	quic_timers_stop(sk);
	sk->sk_state_change(sk);
	if (err)
		sk_error_report(sk);
	sk->sk_write_space(sk);
	if (qs->flushing) {	/* orphaned: what close() would have done */
		qs->flushing = false;
		if (!quic_conn_linger(sk))
			quic_work_queue(sk, QUIC_WORK_FREE);
	}
}

/* The highest level we can send with; the peer may not have the keys of
 * a higher one yet, so a close goes in every level we have (10.2.3).
 */
static void quic_conn_send_close(struct sock *sk, u64 error, u64 ftype, bool app,
				 const char *phrase)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->close_sent = true;
	qs->close_app = app;
	qs->close_error = error;
	qs->close_frame = ftype;
	if (qs->handshake_done) {
		quic_output_close(sk, QUIC_CRYPTO_APP, error, ftype, app, phrase);
		return;
	}
	/* Before the handshake an application close is APPLICATION_ERROR. */
	if (app) {
		error = QUIC_TRANSPORT_ERROR_APPLICATION;
		phrase = NULL;
	}
	if (!qs->space[QUIC_SPACE_HANDSHAKE].keys_discarded)
		quic_output_close(sk, QUIC_CRYPTO_HANDSHAKE, error, ftype, false, phrase);
	if (!qs->space[QUIC_SPACE_INITIAL].keys_discarded)
		quic_output_close(sk, QUIC_CRYPTO_INITIAL, error, ftype, false, phrase);
}

/**
 * quic_conn_error - close the connection for a transport error
 * @sk: the connection
 * @errcode: QUIC_TRANSPORT_ERROR_*
 * @frame_type: frame that caused it, or 0
 */
void quic_conn_error(struct sock *sk, u32 errcode, u64 frame_type)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->closing)
		return;
	quic_conn_send_close(sk, errcode, frame_type, false, NULL);
	quic_conn_closed(sk, -ECONNABORTED);
}

/**
 * quic_conn_close - close the connection from our side
 * @sk: the connection, locked
 *
 * Sends CONNECTION_CLOSE with the code and phrase the user set through
 * QUIC_SOCKOPT_CONNECTION_CLOSE.
 */
void quic_conn_close(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	bool silent;

	if (qs->closing || sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	/* What was written just before close() leaves ahead of the close,
	 * as far as the congestion window allows, without waiting for the
	 * pacing schedule.
	 */
	qs->pace_next = 0;
	quic_output_flush(sk);
	/* Keys at their AEAD limit: the close says so (RFC 9001 6.6). */
	if (test_and_clear_bit(QUIC_WORK_AEAD_LIMIT, &qs->work_todo)) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED, 0);
		return;
	}
	/* A client that sent nothing has no peer to tell: a lone close in an
	 * Initial, with no ClientHello, would look like a new connection.
	 * Nor has it late packets to answer: no closing period either.
	 */
	silent = !qs->is_server && !qs->space[QUIC_SPACE_INITIAL].next_pn;
	if (!silent)
		quic_conn_send_close(sk, qs->close.errcode, qs->close.frame, true,
				     qs->close.phrase[0] ? (const char *)qs->close.phrase : NULL);
	quic_conn_closed(sk, 0);
	if (silent)
		qs->close_end = 0;
}

/**
 * quic_conn_closing_rcv - a packet arrived after the connection closed
 * @sk: the connection
 *
 * RFC 9000 section 10.2.1: in the closing state the CONNECTION_CLOSE is
 * sent again in answer, here to the 1st, 2nd, 4th, 8th... packet, so a
 * peer that keeps sending cannot make us send as much.  In the draining
 * state (10.2.2) nothing is sent.
 */
void quic_conn_closing_rcv(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	const char *phrase = NULL;

	quic_sock_assert_locked(sk);
	if (!qs->close_sent || quic_now() >= qs->close_end)
		return;
	qs->close_rcvd++;
	if (qs->close_rcvd & (qs->close_rcvd - 1))
		return;
	if (qs->close_app && qs->close.phrase[0])
		phrase = (const char *)qs->close.phrase;
	quic_conn_send_close(sk, qs->close_error, qs->close_frame, qs->close_app, phrase);
}

/**
 * quic_conn_icmp_err - an ICMP error quoted one of the connection's packets
 * @sk: the connection, locked
 * @err: the errno the IP layer made of it
 *
 * A client whose peer cannot be reached (port, host or network
 * unreachable) ends its connect() at once rather than after the
 * handshake's timeouts, with that errno.  Later errors are hints that
 * nothing acts on yet.
 */
void quic_conn_icmp_err(struct sock *sk, int err)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->is_server || sk->sk_state != TCP_SYN_RECV || qs->closing)
		return;
	if (err != ECONNREFUSED && err != EHOSTUNREACH && err != ENETUNREACH)
		return;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ICMP_ABORT);
	quic_conn_closed(sk, -err);
}

/**
 * quic_conn_linger - keep a closed socket for the rest of its period
 * @sk: the connection, locked, orphaned by close()
 *
 * Return: true when @sk stays: the idle timer ends the period and the work
 * item then calls quic_close_final().  A kernel socket does not stay: it
 * holds no reference on its namespace, which may go first.
 */
bool quic_conn_linger(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 now = quic_now();

	quic_timers_stop(sk);
	if (!qs->closing || !qs->udp || !sk->sk_net_refcnt || qs->close_end <= now)
		return false;
	qs->lingering = true;
	quic_timer_set(sk, &qs->idle_timer, qs->close_end, now);
	return true;
}

/* An orphaned connection with no idle timeout of its own gets this one,
 * so that a silent peer cannot keep it forever.
 */
#define QUIC_FLUSH_IDLE_US	(30 * USEC_PER_SEC)

/**
 * quic_conn_flush - keep a closed socket until its stream data arrived
 * @sk: the connection, locked, orphaned by close()
 *
 * close() is graceful in the socket API draft: what was written before
 * it still reaches the peer, sent and resent as usual.  The connection
 * closes when quic_conn_flush_check() finds it all acknowledged, or on
 * an idle timeout.  SO_LINGER with a zero timeout closes at once, as for
 * TCP; kernel sockets do not stay (see quic_conn_linger()).
 *
 * Return: true when @sk stays.
 */
bool quic_conn_flush(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->closing || sk->sk_state != TCP_ESTABLISHED || !qs->udp ||
	    !sk->sk_net_refcnt || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime) ||
	    !quic_streams_send_pending(&qs->streams))
		return false;
	if (!qs->idle_timeout)
		qs->idle_timeout = QUIC_FLUSH_IDLE_US;
	qs->flushing = true;
	qs->flush_progress = quic_now();
	quic_idle_timer_arm(sk, qs->flush_progress);
	return true;
}

/**
 * quic_conn_flush_check - close a flushing connection once the peer has
 *	all its stream data
 * @sk: the connection
 */
void quic_conn_flush_check(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->flushing && !quic_streams_send_pending(&qs->streams))
		quic_conn_close(sk);
}

/**
 * quic_conn_linger_end - the period of a lingering socket is over
 * @sk: the connection
 */
void quic_conn_linger_end(struct sock *sk)
{
	quic_work_queue(sk, QUIC_WORK_FREE);
}
