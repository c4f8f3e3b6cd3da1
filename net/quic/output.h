/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The transmit path.
 */

#ifndef __NET_QUIC_OUTPUT_H
#define __NET_QUIC_OUTPUT_H

#include <linux/ipv6.h>
#include <linux/types.h>
#include <linux/udp.h>

#include "frame.h"

/* Room in front of a QUIC packet for the UDP, IP and link headers. */
#define QUIC_HEADROOM		(LL_MAX_HEADER + sizeof(struct ipv6hdr) + \
				 sizeof(struct udphdr))

struct quic_cid;
struct quic_udp_sock;
struct sock;
union quic_addr;

int quic_output_flush(struct sock *sk);
u32 quic_route_max_payload(struct sock *sk, u32 mtu_cap);
int quic_route_saddr(struct sock *sk, union quic_addr *saddr);
int quic_output_probe(struct sock *sk, u8 space);
void quic_xmit_stateless(struct sock *usk, struct sk_buff *skb,
			 const union quic_addr *local, const union quic_addr *peer);
int quic_output_path_frame(struct sock *sk, const union quic_addr *to,
			   const struct quic_udp_sock *via, const struct quic_cid *dcid,
			   u8 type, const u8 *data, u8 n, bool ping, u32 limit);
int quic_output_close(struct sock *sk, u8 level, u64 error, u64 frame_type,
		      bool app, const char *phrase);

#endif /* __NET_QUIC_OUTPUT_H */
