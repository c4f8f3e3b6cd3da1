/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Loss detection and the connection timers (RFC 9002).
 */

#ifndef __NET_QUIC_RECOVERY_H
#define __NET_QUIC_RECOVERY_H

#include <linux/types.h>

struct sock;
struct quic_frame;

/* Early resends of handshake data per connection (RFC 9002 6.2.3) */
#define QUIC_HS_RESENDS_MAX	3

int quic_recovery_on_ack(struct sock *sk, u8 space, const struct quic_frame *f,
			 u32 *errcode);
void quic_recovery_restart(struct sock *sk, u8 space);
void quic_recovery_hs_resend(struct sock *sk);
void quic_timers_init(struct sock *sk);
void quic_timers_stop(struct sock *sk);
void quic_timers_update(struct sock *sk);
void quic_ack_timer_arm(struct sock *sk);
void quic_idle_timer_arm(struct sock *sk);
void quic_pace_timer_arm(struct sock *sk, u64 when_ns);
void quic_timer_set(struct sock *sk, struct timer_list *t, u64 when_us);
void quic_release_cb(struct sock *sk);

#endif /* __NET_QUIC_RECOVERY_H */
