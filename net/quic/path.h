/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The path to the peer: its validation (RFC 9000 section 8.2) and the
 * move to a new peer address when the peer migrates or a NAT rebinds its
 * port (section 9.3), or to a new local address of ours (section 9.2).
 */

#ifndef __NET_QUIC_PATH_H
#define __NET_QUIC_PATH_H

#include <linux/timer.h>

#include "addr.h"
#include "frame.h"
#include "param.h"

/* PATH_CHALLENGE frames sent on one path before validation is abandoned;
 * each carries new data and a response to any of them validates it.
 */
#define QUIC_PATH_CHALLENGES	3

/* PATH_CHALLENGE frames of one packet answered, in one datagram; a
 * sender should put one in a packet (RFC 9000 section 8.2.1).
 */
#define QUIC_PATH_RESPONSES	4

struct quic_udp_sock;

/**
 * struct quic_path - validation of a new path, after the peer's address
 *	changed or after we moved to a new local address
 * @timer: sends the next PATH_CHALLENGE, or abandons the validation
 * @prev: the last validated peer address, where packets go back to if
 *	the new one fails validation (RFC 9000 section 9.3.2)
 * @prev_udp: after our own move, the tunnel socket of the local address
 *	we left, referenced: packets in flight to it still arrive, a
 *	challenge that comes there is answered from there, and we go back
 *	to it if the new path fails.  The socket layer drops the reference
 *	at the next move or at close.
 * @prev_local: that local address
 * @pref_udp: a server's tunnel socket of its preferred address (section
 *	9.6), referenced, until the connection moves there; the socket
 *	layer drops the reference at close
 * @pref_local: a server's preferred address; a client's, the server's
 *	preferred address it validates
 * @rx_dcid: the connection ID of ours the peer's newest non-probing
 *	packet went to: a move with another one is on purpose (section 9.5)
 * @rx_newest: one more than the number of the newest non-probing 1-RTT
 *	packet received, 0 before the first: only it moves the connection
 *	(section 9.3)
 * @data: the data of the challenges sent on the new path
 * @amp_recv: bytes received from the peer's new address while it is
 *	unvalidated
 * @amp_sent: bytes sent to it meanwhile: at most three times @amp_recv
 * @expires: when the validation is abandoned (quic_now())
 * @interval: time between two challenges, a third of the validation's
 * @sent: challenges sent on the new path
 * @validating: the current path awaits a PATH_RESPONSE
 * @local: it is ours: we moved to a new local address (section 9.2)
 * @pref: the path validated is the one of the server's preferred address,
 *	not yet in use (section 9.6): from a client to @pref_local, from a
 *	server's @pref_udp to the client
 * @pref_tried: a client tried the preferred address already; a server's
 *	validation from it failed once
 * @pref_moved: a client moved to it: it still takes packets from the
 *	server's first address (@prev), which the server sends from until
 *	it validated the path from its preferred address (section 9.6.2)
 * @port_only: only the peer's port changed: congestion state and RTT
 *	stay (section 9.4)
 *
 * Locking: under the connection's socket lock.
 */
struct quic_path {
	struct timer_list	timer;
	union quic_addr		prev;
	struct quic_udp_sock	*prev_udp;
	union quic_addr		prev_local;
	struct quic_udp_sock	*pref_udp;
	union quic_addr		pref_local;
	struct quic_cid		rx_dcid;
	u64			rx_newest;
	u8			data[QUIC_PATH_CHALLENGES][QUIC_PATH_DATA_LEN];
	u64			amp_recv;
	u64			amp_sent;
	u64			expires;
	u64			interval;
	u8			sent;
	bool			validating;
	bool			local;
	bool			pref;
	bool			pref_tried;
	bool			pref_moved;
	bool			port_only;
};

/**
 * quic_path_newest - is packet @pn the newest non-probing one so far?
 * @p: the connection's path
 * @pn: a non-probing 1-RTT packet's number, just authenticated
 *
 * Return: true, and it is remembered as such; false for an older one.
 */
static inline bool quic_path_newest(struct quic_path *p, u64 pn)
{
	if (pn + 1 <= p->rx_newest)
		return false;
	p->rx_newest = pn + 1;
	return true;
}

struct sock;

bool quic_path_rcv_allowed(struct sock *sk, const union quic_addr *from,
			   const union quic_addr *to);
void quic_path_rcv_datagram(struct sock *sk, u32 len);
void quic_path_rcv_newest(struct sock *sk, const union quic_addr *from,
			  const union quic_addr *to, const struct quic_cid *dcid, u32 len);
void quic_path_challenge_rcv(struct sock *sk, const union quic_addr *from,
			     const union quic_addr *to, const u8 *data, u8 n, u32 dgram_len);
void quic_path_response_rcv(struct sock *sk, const u8 *data);
void quic_path_timeout(struct sock *sk);
int quic_path_may_migrate(struct sock *sk);
struct quic_udp_sock *quic_path_migrate(struct sock *sk, struct quic_udp_sock *us,
					const union quic_addr *local);
void quic_path_use_preferred(struct sock *sk);

#endif /* __NET_QUIC_PATH_H */
