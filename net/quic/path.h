/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The path to the peer: its validation (RFC 9000 section 8.2) and the
 * move to a new peer address when the peer migrates or a NAT rebinds its
 * port (section 9.3).
 */

#ifndef __NET_QUIC_PATH_H
#define __NET_QUIC_PATH_H

#include <linux/timer.h>

#include "addr.h"
#include "frame.h"

/* PATH_CHALLENGE frames sent on one path before validation is abandoned;
 * each carries new data and a response to any of them validates it.
 */
#define QUIC_PATH_CHALLENGES	4

struct quic_udp_sock;

/**
 * struct quic_path - validation of a new path, after the peer's address
 *	changed or after we moved to a new local address
 * @timer: sends the next PATH_CHALLENGE, or abandons the validation
 * @prev: the last validated peer address, where packets go back to if
 *	the new one fails validation (RFC 9000 section 9.3.2)
 * @prev_udp: after our own move, the tunnel socket of the local address
 *	we left, referenced: packets in flight to it still arrive, and we go
 *	back to it if the new path fails.  The socket layer drops the
 *	reference at the next move or at close.
 * @prev_local: that local address
 * @data: the data of the challenges sent to the new address
 * @prev_data: the data of the challenge sent to @prev (section 9.3.3)
 * @amp_recv: bytes received from the new address while it is unvalidated
 * @amp_sent: bytes sent to it meanwhile: at most three times @amp_recv
 * @expires: when the validation is abandoned (quic_now())
 * @interval: time to the second challenge; the next ones double it
 * @sent: challenges sent to the new address
 * @validating: the current path awaits a PATH_RESPONSE
 * @local: it is ours: we moved to a new local address (section 9.2)
 * @port_only: only the port changed: congestion state and RTT stay
 *	(section 9.4)
 *
 * Locking: under the connection's socket lock.
 */
struct quic_path {
	struct timer_list	timer;
	union quic_addr		prev;
	struct quic_udp_sock	*prev_udp;
	union quic_addr		prev_local;
	u8			data[QUIC_PATH_CHALLENGES][QUIC_PATH_DATA_LEN];
	u8			prev_data[QUIC_PATH_DATA_LEN];
	u64			amp_recv;
	u64			amp_sent;
	u64			expires;
	u64			interval;
	u8			sent;
	bool			validating;
	bool			local;
	bool			port_only;
};

struct sock;

bool quic_path_rcv_allowed(struct sock *sk, const union quic_addr *from);
void quic_path_rcv_datagram(struct sock *sk, u32 len);
void quic_path_rcv_moved(struct sock *sk, const union quic_addr *from, u32 len);
void quic_path_challenge_rcv(struct sock *sk, const union quic_addr *from, const u8 *data,
			     u32 dgram_len);
void quic_path_response_rcv(struct sock *sk, const u8 *data);
void quic_path_timeout(struct sock *sk);
int quic_path_may_migrate(struct sock *sk);
struct quic_udp_sock *quic_path_migrate(struct sock *sk, struct quic_udp_sock *us,
					const union quic_addr *local);
void quic_path_stop(struct sock *sk);

#endif /* __NET_QUIC_PATH_H */
