/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The connection timers' handlers.
 */

#ifndef __NET_QUIC_TIMER_H
#define __NET_QUIC_TIMER_H

struct sock;

/* Early resends of handshake data per connection (RFC 9002 6.2.3) */
#define QUIC_HS_RESENDS_MAX	3

void quic_timer_hs_resend(struct sock *sk);
void quic_timers_init(struct sock *sk);
void quic_release_cb(struct sock *sk);

#endif /* __NET_QUIC_TIMER_H */
