/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Loss detection (RFC 9002) and the arming of the connection timers.
 */

#ifndef __NET_QUIC_RECOVERY_H
#define __NET_QUIC_RECOVERY_H

#include <linux/types.h>

struct sock;
struct quic_frame;

/* What the loss detection timer asks for: quic_recovery_timeout() */
enum quic_timeout {
	QUIC_TIMEOUT_NONE,
	QUIC_TIMEOUT_LOST,
	QUIC_TIMEOUT_PROBE,
};

int quic_recovery_on_ack(struct sock *sk, u8 space, const struct quic_frame *f,
			 u64 now, u32 *errcode);
void quic_recovery_restart(struct sock *sk, u8 space);
void quic_space_discard(struct sock *sk, u8 space);
bool quic_recovery_probe_copy(struct sock *sk, u8 space);
enum quic_timeout quic_recovery_timeout(struct sock *sk, u8 *space);
void quic_timers_update(struct sock *sk, u64 now);
void quic_timers_stop(struct sock *sk);
void quic_ack_timer_arm(struct sock *sk, u64 now);
void quic_idle_timer_arm(struct sock *sk, u64 now);
void quic_pace_timer_arm(struct sock *sk, u64 when_ns);
void quic_timer_set(struct sock *sk, struct timer_list *t, u64 when_us, u64 now_us);

#endif /* __NET_QUIC_RECOVERY_H */
