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
 *
 * A server may offer a preferred address (section 9.6, the same option
 * before the handshake).  Once the handshake is confirmed, the client
 * validates the path to it and then sends there; the server, on the
 * client's first non-probing packet to that address, validates the path
 * from it and then sends from there.  Until each has validated, both keep
 * using the path of the handshake.
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
#include "space.h"

/**
 * quic_path_rcv_allowed - may a datagram from @from to @to be processed?
 * @sk: the connection, locked
 * @from: the datagram's source address
 * @to: its destination address
 *
 * The connection was found by connection ID, on whichever tunnel socket
 * of the namespace: the datagram must have come to our address (or to
 * the one a move of ours left, or to a server's preferred address once
 * the handshake is confirmed), in our family.  From the peer's address;
 * from another one only to a server whose handshake is confirmed, or
 * to a client from the preferred address it validates or the server's
 * first address, once it moved to the preferred one.
 *
 * Return: true if so, else the datagram is dropped and counted.
 */
bool quic_path_rcv_allowed(struct sock *sk, const union quic_addr *from,
			   const union quic_addr *to)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	if (!quic_addr_same(to, &qs->local_addr) &&
	    !(p->prev_udp && quic_addr_same(to, &p->prev_local)) &&
	    !(p->pref_udp && qs->confirmed && quic_addr_same(to, &p->pref_local)))
		goto drop;
	if (quic_addr_same(from, &qs->peer_addr) ||
	    (qs->is_server && qs->confirmed) ||
	    (!qs->is_server && p->pref && quic_addr_same(from, &p->pref_local)) ||
	    (!qs->is_server && p->pref_moved && quic_addr_same(from, &p->prev)))
		return true;
drop:
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_UNKNOWN);
	return false;
}

/* The route changed: the dst cache held the old one, the MTU may differ. */
static void quic_path_route_reset(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->dst_cache_ready)
		dst_cache_reset(&qs->dst_cache);
	quic_conn_set_mss(sk);
}

/* Where packets go from now on. */
static void quic_path_set_peer(struct sock *sk, const union quic_addr *a)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->peer_addr = *a;
	quic_conn_set_peer_inet(sk, a);
	quic_path_route_reset(sk);
}

/* Send from the other local address: the new one, or back to the old. */
static void quic_path_swap_local(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	swap(qs->udp, p->prev_udp);
	swap(qs->local_addr, p->prev_local);
	quic_conn_set_local_inet(sk, &qs->local_addr);
	quic_path_route_reset(sk);
}

/* A new path's congestion control and RTT start afresh (section 9.4),
 * and its ECN is tested afresh (section 13.4.2).
 */
static void quic_path_reset_cc(struct quic_sock *qs)
{
	quic_rtt_init(&qs->rtt, qs->config.initial_smoothed_rtt, qs->rtt.max_ack_delay);
	quic_cong_init(&qs->cong, qs->config.congestion_control_algo, qs->mss);
	quic_ecn_new_path(&qs->ecn, qs->space[QUIC_SPACE_APP].next_pn);
}

static void quic_path_stop(struct sock *sk)
{
	struct quic_path *p = &quic_sk(sk)->path;

	p->validating = false;
	sk_stop_timer(sk, &p->timer);
}

/* The peer's connection ID for the path of the preferred address: the
 * next one after the one in use, if the peer gave one to spare, so that
 * no ID goes on two paths (section 9.5); it becomes the one in use when
 * the connection moves there.  NULL: the one in use.
 */
static const struct quic_cid *quic_path_pref_dcid(struct quic_sock *qs)
{
	struct quic_cid_entry *e = quic_cid_active(&qs->dcids);

	if (!e || list_is_last(&e->list, &qs->dcids.list))
		return NULL;
	return &list_next_entry(e, list)->cid;
}

/* Our own move takes a PING along: the peer moves on a non-probing
 * packet only (section 9.2), and the user may have nothing to send.  The
 * path of a preferred address is only probed until validated.
 */
static void quic_path_challenge(struct sock *sk, const union quic_addr *to,
				const struct quic_udp_sock *via, u8 data[QUIC_PATH_DATA_LEN])
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	get_random_bytes(data, QUIC_PATH_DATA_LEN);
	if (!quic_output_path_frame(sk, to, via, p->pref ? quic_path_pref_dcid(qs) : NULL,
				    QUIC_FRAME_PATH_CHALLENGE, data, 1, p->local && !p->pref,
				    U32_MAX))
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_CHALLENGE);
}

/* The next challenge on the new path, new data each time, a third of
 * the validation's time apart: no more often than a probe timeout, as
 * section 9.4 asks of probes on a new path.
 */
static void quic_path_probe(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	const union quic_addr *to = &qs->peer_addr;
	struct quic_path *p = &qs->path;
	struct quic_udp_sock *via = NULL;
	u64 when = p->expires, now = quic_now();

	if (p->pref && qs->is_server)
		via = p->pref_udp;	/* from the preferred address */
	else if (p->pref)
		to = &p->pref_local;	/* to the server's preferred address */
	if (p->sent < QUIC_PATH_CHALLENGES) {
		quic_path_challenge(sk, to, via, p->data[p->sent]);
		p->sent++;
		when = min(now + p->interval, p->expires);
	}
	quic_timer_set(sk, &p->timer, when, now);
}

/* Section 8.2.4: three times the larger of the current PTO and the PTO
 * of a new path (from the initial RTT).
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
	p->interval = quic_path_timeout_us(qs) / QUIC_PATH_CHALLENGES;
	p->expires = quic_now() + QUIC_PATH_CHALLENGES * p->interval;
	quic_path_probe(sk);
}

/* Section 9.3: packets go to @from from now on, within the
 * anti-amplification limit until it is validated.  The old address is
 * challenged too (section 9.3.3): whatever it answers carries a PING, a
 * non-probing packet that moves the connection back if the move was an
 * attacker's copy.
 */
static void quic_path_peer_moved(struct sock *sk, const union quic_addr *from, u32 len,
				 bool new_id)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	u8 data[QUIC_PATH_DATA_LEN];

	if (p->pref) {	/* the preferred address waits: this move first */
		quic_path_stop(sk);
		p->pref = false;
	}
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
	quic_path_challenge(sk, &p->prev, NULL, data);
	/* Section 9.5: a peer that moved on purpose (to a new connection
	 * ID) gets a new one of its own on the new path, if it gave one to
	 * spare; a NAT rebinding keeps the ID.
	 */
	if (new_id)
		quic_conn_next_dcid(sk);
	quic_path_start(sk, false);
}

/* Section 9.6: validate the path of the preferred address before any
 * non-probing packet goes on it, with a connection ID of its own.
 */
static void quic_path_pref_start(struct sock *sk)
{
	struct quic_path *p = &quic_sk(sk)->path;

	p->pref = true;
	quic_path_start(sk, false);
}

/**
 * quic_path_rcv_newest - the newest non-probing 1-RTT packet arrived
 * @sk: the connection, locked
 * @from: its datagram's source address
 * @to: the address it came to
 * @dcid: the connection ID it was sent to
 * @len: the datagram's length
 *
 * From a new address, it moves the connection there (RFC 9000 section
 * 9.3); only a server gets here from a new address, as a client takes
 * datagrams from its server's address only.  To a server's preferred
 * address, it starts the validation of the path from there (section
 * 9.6.2), once nothing else is being validated.
 */
void quic_path_rcv_newest(struct sock *sk, const union quic_addr *from,
			  const union quic_addr *to, const struct quic_cid *dcid, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	bool new_id;

	quic_sock_assert_locked(sk);
	if (qs->closing)
		return;
	new_id = p->rx_dcid.len && (p->rx_dcid.len != dcid->len ||
				    memcmp(p->rx_dcid.data, dcid->data, dcid->len));
	p->rx_dcid = *dcid;
	if (!qs->is_server)
		return;
	if (!quic_addr_same(from, &qs->peer_addr))
		quic_path_peer_moved(sk, from, len, new_id);
	if (p->pref_udp && !p->prev_udp && !p->validating && !p->pref_tried &&
	    quic_addr_same(to, &p->pref_local) && !quic_addr_same(to, &qs->local_addr))
		quic_path_pref_start(sk);
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
 * quic_path_challenge_rcv - answer the PATH_CHALLENGE frames of a datagram
 * @sk: the connection, locked
 * @from: the address the datagram came from
 * @to: the address it came to: ours, the one a move of ours left, or a
 *	server's preferred address
 * @data: the challenges' data, %QUIC_PATH_DATA_LEN bytes each, back to back
 * @n: how many
 * @dgram_len: the datagram's length
 *
 * RFC 9000 section 8.2.2: a PATH_RESPONSE for each, at once, on the path
 * the challenge came on, in one datagram.  Called once the datagram is
 * processed, so that one that moved the connection is answered on the
 * new path, within its anti-amplification budget; to another address
 * (a probe) no more than three times @dgram_len goes.  On the path in
 * use a PING goes along (section 9.3.3); with the congestion window
 * full the datagram is no larger than the one that came.  Challenges
 * that came to the local address a move of ours left are not answered:
 * from there, only with the connection ID the new address uses, which
 * would link the two (section 9.5); the peer sends them to detect a
 * spoofed move, which ours was not.  Those that come to a server's
 * preferred address are answered from there.
 */
void quic_path_challenge_rcv(struct sock *sk, const union quic_addr *from,
			     const union quic_addr *to, const u8 *data, u8 n, u32 dgram_len)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 limit = QUIC_AMPLIFICATION * dgram_len;
	const struct quic_cid *dcid = NULL;
	struct quic_path *p = &qs->path;
	struct quic_udp_sock *via = NULL;
	bool active;

	quic_sock_assert_locked(sk);
	if (!quic_addr_same(to, &qs->local_addr)) {
		/* a client probing our preferred address: from there */
		if (!p->pref_udp || !quic_addr_same(to, &p->pref_local))
			return;
		via = p->pref_udp;
		dcid = quic_path_pref_dcid(qs);
	}
	active = !via && quic_addr_same(from, &qs->peer_addr);
	if (active)	/* a small challenge may come with a shorter header */
		limit = qs->bytes_in_flight + QUIC_MIN_DATAGRAM <= qs->cong.window ?
			U32_MAX : max_t(u32, dgram_len, QUIC_AMP_MIN_PACKET);
	quic_output_path_frame(sk, from, via, dcid, QUIC_FRAME_PATH_RESPONSE, data, n, active,
			       limit);
}

/* The path of the preferred address works (section 9.6): a client sends
 * to it from now on, at once (a PING, so that the server sees a
 * non-probing packet there even if the user sends nothing), and still
 * takes what the server sends from its first address until it follows;
 * a server sends from it, and its old tunnel socket stays until close,
 * for packets still on the way to it.  Both use the connection ID the
 * probes used (section 9.5).  The user's event says 1 for the server
 * (its own address), 0 for the client.
 */
static void quic_path_pref_validated(struct sock *sk)
{
	struct quic_frame ping = { .type = QUIC_FRAME_PING };
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	u8 local = qs->is_server;
	bool same_host;

	quic_path_stop(sk);
	p->pref = false;
	quic_conn_next_dcid(sk);
	if (qs->is_server) {
		same_host = quic_addr_same_host(&p->pref_local, &qs->local_addr);
		p->prev_udp = p->pref_udp;	/* a server has no other move */
		p->prev_local = p->pref_local;
		p->pref_udp = NULL;
		quic_path_swap_local(sk);
	} else {
		same_host = quic_addr_same_host(&p->pref_local, &qs->peer_addr);
		p->prev = qs->peer_addr;
		p->pref_moved = true;
		quic_path_set_peer(sk, &p->pref_local);
	}
	if (!same_host)
		quic_path_reset_cc(qs);
	if (!qs->is_server)
		quic_frame_queue(sk, QUIC_CRYPTO_APP, &ping);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_PREFERRED);
	quic_event_deliver(sk, QUIC_EVENT_CONNECTION_MIGRATION, &local, sizeof(local));
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

	if (p->pref) {
		quic_path_pref_validated(sk);
		return;
	}
	quic_path_stop(sk);
	if (local) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_LOCAL);
	} else {
		if (!p->port_only)
			quic_path_reset_cc(qs);
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATH_MIGRATED);
	}
	quic_event_deliver(sk, QUIC_EVENT_CONNECTION_MIGRATION, &local, sizeof(local));
	/* Section 9.3: a token for the new address, within the bound of
	 * what a peer's packets may make us queue.
	 */
	if (qs->is_server && quic_frame_reply_room(sk))
		quic_conn_queue_token(sk);
}

/**
 * quic_path_response_rcv - a PATH_RESPONSE arrived
 * @sk: the connection, locked
 * @data: its data
 *
 * On whatever path it came, it validates the path the matching
 * challenge went on (RFC 9000 section 8.2.3).
 */
void quic_path_response_rcv(struct sock *sk, const u8 *data)
{
	struct quic_path *p = &quic_sk(sk)->path;
	int i;

	quic_sock_assert_locked(sk);
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
 * A failed validation goes back to the last validated path (RFC 9000
 * section 9.3.2); after our own move, to the old local address and a
 * connection ID not used from the new one (section 9.5).  A preferred
 * address that failed was never used: nothing changes, and it is not
 * tried again.
 */
void quic_path_timeout(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;

	quic_sock_assert_locked(sk);
	if (!p->validating || qs->closing || !qs->udp)
		return;
	if (quic_now() < p->expires) {
		quic_path_probe(sk);
		return;
	}
	if (p->pref) {
		p->pref = false;
		p->pref_tried = true;
	} else if (p->local) {
		quic_path_swap_local(sk);
		quic_path_reset_cc(qs);
		quic_conn_next_dcid(sk);
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
 * the peer sent disable_active_migration, unless we moved to its
 * preferred address (section 18.2 allows moves from there); -EALREADY
 * while a move is being validated.
 */
int quic_path_may_migrate(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *d = quic_cid_active(&qs->dcids);

	quic_sock_assert_locked(sk);
	if (qs->is_server)
		return -EOPNOTSUPP;
	if (!qs->confirmed || qs->closing || !d)
		return -EAGAIN;
	if (qs->peer.disable_active_migration && !qs->path.pref_moved)
		return -EPERM;
	if (qs->path.validating)
		return -EALREADY;
	return d->cid.len && qs->dcids.count < 2 ? -EAGAIN : 0;
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

	quic_sock_assert_locked(sk);
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

/* A server's preferred address a client may send to: of the family the
 * connection uses, with a port, and one host (not a multicast, broadcast,
 * unspecified or IPv4-mapped address, where the probes would go to many,
 * none or the other family); loopback and link-local only if the
 * server's address is one too (RFC 9000 section 21.5.6), not our own.
 */
static bool quic_path_pref_usable(const struct quic_sock *qs, union quic_addr *a)
{
	const struct quic_params *pp = &qs->peer;
	int type, peer_type;

	memset(a, 0, sizeof(*a));
	if (qs->peer_addr.sa.sa_family == AF_INET) {
		__be32 ip = pp->pref_v4.sin_addr.s_addr;

		a->v4 = pp->pref_v4;
		if (!pp->pref_v4.sin_port || ipv4_is_zeronet(ip) || ipv4_is_multicast(ip) ||
		    ipv4_is_lbcast(ip))
			return false;
		if (ipv4_is_loopback(ip) && !ipv4_is_loopback(qs->peer_addr.v4.sin_addr.s_addr))
			return false;
	} else {
		a->v6 = pp->pref_v6;
		type = ipv6_addr_type(&a->v6.sin6_addr);
		peer_type = ipv6_addr_type(&qs->peer_addr.v6.sin6_addr);
		if (!pp->pref_v6.sin6_port || (type & (IPV6_ADDR_MULTICAST | IPV6_ADDR_MAPPED)) ||
		    type == IPV6_ADDR_ANY)
			return false;
		if ((type & IPV6_ADDR_LOOPBACK) && !(peer_type & IPV6_ADDR_LOOPBACK))
			return false;
		if (type & IPV6_ADDR_LINKLOCAL) {
			if (!(peer_type & IPV6_ADDR_LINKLOCAL))
				return false;
			a->v6.sin6_scope_id = qs->peer_addr.v6.sin6_scope_id;
		}
	}
	return !quic_addr_same(a, &qs->local_addr);
}

/**
 * quic_path_use_preferred - a client's handshake is confirmed
 * @sk: the connection, locked
 *
 * RFC 9000 section 9.6.1: if the server offered a preferred address of
 * our family, validate the path to it and move there once validated; on
 * failure the connection stays where it is.  Once per connection; not
 * if the user set disable_active_migration in the client's transport
 * parameters (a client that does not move), nor during another
 * validation.
 */
void quic_path_use_preferred(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_path *p = &qs->path;
	union quic_addr a;

	quic_sock_assert_locked(sk);
	if (qs->is_server || p->pref_tried || qs->closing || p->validating ||
	    !(qs->peer.has & QUIC_PARAM_HAS_PREFERRED_ADDR) ||
	    qs->local.disable_active_migration)
		return;
	p->pref_tried = true;
	if (!quic_path_pref_usable(qs, &a) || quic_addr_same(&a, &qs->peer_addr))
		return;
	p->pref_local = a;
	quic_path_pref_start(sk);
}
