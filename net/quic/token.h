/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Packets sent without connection state: address validation (RFC 9000
 * section 8.1) with the tokens a server hands out in Retry packets and
 * NEW_TOKEN frames, and Stateless Resets (section 10.3).
 */

#ifndef __NET_QUIC_TOKEN_H
#define __NET_QUIC_TOKEN_H

#include "param.h"
#include "udp.h"

/* Kind of token, its first byte. */
#define QUIC_TOKEN_RETRY	0x52
#define QUIC_TOKEN_NEW		0x4e

/* type, issue time, ODCID length and value, MAC */
#define QUIC_TOKEN_MAC_LEN	16
#define QUIC_TOKEN_BUF_LEN	(1 + 4 + 1 + QUIC_CONN_ID_MAX_LEN + QUIC_TOKEN_MAC_LEN)

int quic_token_make(u8 *buf, u8 type, const union quic_addr *peer,
		    const struct quic_cid *odcid);
int quic_token_check(const u8 *token, u32 len, const union quic_addr *peer,
		     struct quic_cid *odcid);
struct quic_packet_info;
void quic_retry_send(struct sock *usk, const struct sk_buff *skb,
		     const struct quic_packet_info *info);
void quic_reset_send(struct sock *usk, const struct sk_buff *skb);
void quic_version_negotiation_send(struct sock *usk, const struct sk_buff *skb,
				   const struct quic_packet_info *info);
void quic_token_init(void);

#endif /* __NET_QUIC_TOKEN_H */
