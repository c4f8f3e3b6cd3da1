// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The path to the peer.  A connection is found by its connection ID, not
 * by its addresses, so a client whose NAT gives it a new port, or which
 * moves to another network, keeps its connection: the server sees
 * packets of it come from a new address.  RFC 9000 section 9.3: the
 * newest non-probing packet from a new address moves the connection
 * there, and the new address is validated with PATH_CHALLENGE frames
 * (section 8.2); until then no more than three times what came from it
 * goes to it.  If validation fails, or a newer packet comes from the old
 * address, the connection goes back to the old address, so that a copy
 * of a packet sent from a spoofed address moves it for a few round trips
 * at most (sections 9.3.2 and 9.3.3).  A client only takes packets from
 * its server's address (section 9), and nobody migrates during the
 * handshake.
 *
 * A client may also move to a new local address itself (section 9.2,
 * QUIC_SOCKOPT_CONNECTION_MIGRATION): it sends from there at once, with
 * a connection ID not used before (section 9.5), validates the server's
 * address on the new path and goes back to the old local address if that
 * fails.
 */

#include <crypto/utils.h>
#include <linux/random.h>
#include <net/dst_cache.h>
#include <net/sock.h>

#include "conn.h"
#include "mib.h"
#include "output.h"
#include "path.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"

/**
 * quic_path_rcv_allowed - may a datagram from @from be processed?
 * @sk: the connection, locked
 * @from: the datagram's source address
 *
 * Return: true from the peer's address; from another one only to a
 * server whose handshake is confirmed.
 */
bool quic_path_rcv_allowed(struct sock *sk, const union quic_addr *from)
{
	struct quic_sock *qs = quic_sk(sk);

	if (quic_addr_same(from, &qs->peer_addr) ||
	    (qs->is_server && qs->confirmed))
		return true;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_UNKNOWN);
	return false;
}

static void quic_path_route_reset(struct quic_sock *qs)
{
	if (qs->dst_cache_ready)
		dst_cache_reset(&qs->dst_cache);
}

/* Where packets go from now on; the dst cache held the old route. */
static void quic_path_set_peer(struct sock *sk, const union quic_addr *a)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->peer_addr = *a;
	quic_conn_set_peer_inet(sk, a);
	quic_path_route_reset(qs);
}

/* Send from the other local address: the new one, or back to the old. */
static void quic_path_swap_local(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	swap(qs->udp, p->prev_udp);
	swap(qs->local_addr, p->prev_local);
	quic_conn_set_local_inet(sk, &qs->local_addr);
	quic_path_route_reset(qs);
}

/* A new path's congestion control and RTT start afresh (section 9.4). */
static void quic_path_reset_cc(struct quic_sock *qs)
{
	quic_rtt_init(&qs->rtt, qs->config.initial_smoothed_rtt, qs->rtt.max_ack_delay);
	quic_cong_init(&qs->cong, qs->config.congestion_control_algo, qs->mss);
}

/**
 * quic_path_stop - end a validation in progress
 * @sk: the connection, locked
 */
void quic_path_stop(struct sock *sk)
{
	struct quic_path *p = &quic_sk(sk)->path;

	p->validating = false;
	sk_stop_timer(sk, &p->timer);
}

/* Our own move takes a PING along: the peer moves on a non-probing
 * packet only (section 9.2), and the user may have nothing to send.
 */
static void quic_path_challenge(struct sock *sk, const union quic_addr *to, u8 *data)
{
	struct quic_path *p = &quic_sk(sk)->path;

	get_random_bytes(data, QUIC_PATH_DATA_LEN);
	if (!quic_output_path_frame(sk, to, QUIC_FRAME_PATH_CHALLENGE, data, p->local,
				    U32_MAX))
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_CHALLENGE);
}

/* The next challenge to the new address, new data each time.  They go
 * at 0, 1/8, 3/8 and 7/8 of the validation's time, backing off as
 * probes do, and no faster than a new connection's Initials would
 * (section 8.2.1): the last one still has 1/8 of it for its answer.
 */
static void quic_path_probe(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	u64 when = p->expires;

	if (p->sent < QUIC_PATH_CHALLENGES) {
		quic_path_challenge(sk, &qs->peer_addr, p->data[p->sent]);
		p->sent++;
		if (p->sent < QUIC_PATH_CHALLENGES)
			when = quic_now() + (p->interval << (p->sent - 1));
	}
	quic_timer_set(sk, &p->timer, min(when, p->expires));
}

/* RFC 9000 section 8.2.4: three times the larger of the current PTO
 * and the PTO of a new path (from the initial RTT).
 */
static u64 quic_path_timeout_us(struct quic_sock *qs)
{
	struct quic_rtt fresh;

	quic_rtt_init(&fresh, qs->config.initial_smoothed_rtt, qs->rtt.max_ack_delay);
	return 3ULL * max(quic_rtt_pto(&qs->rtt, true), quic_rtt_pto(&fresh, true));
}

/* Start validating the current path: the first challenge goes now. */
static void quic_path_start(struct sock *sk, bool local)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	p->validating = true;
	p->local = local;
	p->sent = 0;
	p->interval = quic_path_timeout_us(qs) / 8;
	p->expires = quic_now() + 8 * p->interval;
	quic_path_probe(sk);
}

/**
 * quic_path_rcv_moved - the newest non-probing packet came from @from
 * @sk: the connection, locked; a server with its handshake confirmed
 * @from: an address that is not the peer's current one
 * @len: the datagram's length
 *
 * RFC 9000 section 9.3: packets go to @from from now on, within the
 * anti-amplification limit until it is validated.  The old address is
 * challenged too (section 9.3.3): if the move was an attacker's copy,
 * the real peer answers from there with packets that move it back.
 */
void quic_path_rcv_moved(struct sock *sk, const union quic_addr *from, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	quic_sock_assert_locked(sk);
	if (qs->closing)
		return;
	if (p->validating && quic_addr_same(from, &p->prev)) {
		/* Back to the last validated address: no validation
		 * needed (section 9.3), the other one is abandoned.
		 */
		quic_path_set_peer(sk, &p->prev);
		quic_path_stop(sk);
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_REVERTED);
		return;
	}
	if (!p->validating)
		p->prev = qs->peer_addr;
	quic_path_set_peer(sk, from);
	p->port_only = quic_addr_same_host(from, &p->prev);
	p->amp_recv = len;
	p->amp_sent = 0;
	p->local = false;
	quic_path_challenge(sk, &p->prev, p->prev_data);
	quic_path_start(sk, false);
}

/**
 * quic_path_rcv_datagram - account a datagram from the peer's address
 * @sk: the connection, locked
 * @len: its length
 *
 * While the address is being validated, it is what the anti-amplification
 * limit allows three times of.
 */
void quic_path_rcv_datagram(struct sock *sk, u32 len)
{
	struct quic_path *p = &quic_sk(sk)->path;

	if (p->validating)
		p->amp_recv += len;
}

/**
 * quic_path_challenge_rcv - answer a PATH_CHALLENGE
 * @sk: the connection, locked
 * @from: the address its datagram came from
 * @data: the challenge's data
 * @dgram_len: that datagram's length
 *
 * RFC 9000 section 8.2.2: one PATH_RESPONSE, at once, on the path the
 * challenge came on: to @from, no more than three times @dgram_len if
 * that is not the peer's current address.  On the current address a
 * PING goes with it (section 9.3.3).
 */
void quic_path_challenge_rcv(struct sock *sk, const union quic_addr *from, const u8 *data,
			     u32 dgram_len)
{
	struct quic_sock *qs = quic_sk(sk);
	bool active = quic_addr_same(from, &qs->peer_addr);

	quic_output_path_frame(sk, from, QUIC_FRAME_PATH_RESPONSE, data, active,
			       active ? U32_MAX : QUIC_AMPLIFICATION * dgram_len);
}

/* The new path works.  The peer owns its new address (section 9.4): a
 * new host means a new path, whose capacity and RTT are not the old
 * one's.  Our own move reset them when it began.
 */
static void quic_path_validated(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	u8 local = p->local;

	quic_path_stop(sk);
	if (local) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_LOCAL);
	} else {
		if (!p->port_only)
			quic_path_reset_cc(qs);
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_MIGRATED);
	}
	quic_event_deliver(sk, QUIC_EVENT_CONNECTION_MIGRATION, &local, sizeof(local));
	/* Section 9.3: a token for the new address. */
	if (qs->is_server)
		quic_conn_new_token(sk);
}

/**
 * quic_path_response_rcv - a PATH_RESPONSE arrived
 * @sk: the connection, locked
 * @data: its data
 *
 * On whatever path it came, it validates the address the matching
 * challenge went to (RFC 9000 section 8.2.3).
 */
void quic_path_response_rcv(struct sock *sk, const u8 *data)
{
	struct quic_path *p = &quic_sk(sk)->path;
	int i;

	if (!p->validating)
		return;
	for (i = 0; i < p->sent; i++) {
		if (!crypto_memneq(p->data[i], data, QUIC_PATH_DATA_LEN)) {
			quic_path_validated(sk);
			return;
		}
	}
}

/**
 * quic_path_timeout - the path timer fired: challenge again, or give up
 * @sk: the connection, locked
 *
 * A failed validation sends packets to the last validated address again
 * (RFC 9000 section 9.3.2).
 */
void quic_path_timeout(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	if (!p->validating || qs->closing)
		return;
	if (quic_now() < p->expires) {
		quic_path_probe(sk);
		return;
	}
	if (p->local) {
		quic_path_swap_local(sk);
		quic_path_reset_cc(qs);
	} else {
		quic_path_set_peer(sk, &p->prev);
	}
	p->validating = false;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_FAILED);
	quic_output_flush(sk);
}

/**
 * quic_path_may_migrate - may we move to a new local address now?
 * @sk: the connection, locked
 *
 * Return: 0; -EOPNOTSUPP on a server (servers do not migrate, section
 * 9); -EAGAIN before the handshake is confirmed (section 9) or while the
 * peer has given us no connection ID to spare (section 9.5); -EPERM if
 * the peer sent disable_active_migration; -EALREADY while a move is
 * being validated.
 */
int quic_path_may_migrate(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->is_server)
		return -EOPNOTSUPP;
	if (!qs->confirmed || qs->closing)
		return -EAGAIN;
	if (qs->peer.disable_active_migration)
		return -EPERM;
	if (qs->path.validating)
		return -EALREADY;
	return qs->dcids.count < 2 ? -EAGAIN : 0;
}

/**
 * quic_path_migrate - move to a new local address
 * @sk: the connection, locked; quic_path_may_migrate() said yes
 * @us: the tunnel socket of the address, referenced: the reference is
 *	the connection's now
 * @local: the address, with the port @us has
 *
 * RFC 9000 section 9.2: packets go from @local at once, to the peer's
 * next connection ID (section 9.5), with fresh congestion control and
 * RTT (section 9.4); the server's address is validated from there.
 *
 * Return: the tunnel socket of the move before, which the caller puts,
 * NULL, or an ERR_PTR() when no new connection ID could be taken (@us
 * is the caller's again).
 */
struct quic_udp_sock *quic_path_migrate(struct sock *sk, struct quic_udp_sock *us,
					const union quic_addr *local)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	struct quic_udp_sock *old;
	int err;

	err = quic_conn_next_dcid(sk);
	if (err)
		return ERR_PTR(err);
	old = p->prev_udp;
	p->prev_udp = us;
	p->prev_local = *local;
	quic_path_swap_local(sk);
	quic_path_reset_cc(qs);
	quic_path_start(sk, true);
	return old;
}
