// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Socket addresses of either family.
 */

#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>

#include "addr.h"

/**
 * quic_addr_from_skb - the addresses of a received datagram
 * @skb: the datagram, with its IP and UDP headers
 * @src: returns the sender's address and port
 * @dst: returns the address and port it was sent to
 */
void quic_addr_from_skb(const struct sk_buff *skb, union quic_addr *src,
			union quic_addr *dst)
{
	const struct udphdr *uh = udp_hdr(skb);

	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (ip_hdr(skb)->version == 4) {
		src->v4.sin_family = AF_INET;
		src->v4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		src->v4.sin_port = uh->source;
		dst->v4.sin_family = AF_INET;
		dst->v4.sin_addr.s_addr = ip_hdr(skb)->daddr;
		dst->v4.sin_port = uh->dest;
		return;
	}
	src->v6.sin6_family = AF_INET6;
	src->v6.sin6_addr = ipv6_hdr(skb)->saddr;
	src->v6.sin6_port = uh->source;
	dst->v6.sin6_family = AF_INET6;
	dst->v6.sin6_addr = ipv6_hdr(skb)->daddr;
	dst->v6.sin6_port = uh->dest;
	if (ipv6_addr_type(&src->v6.sin6_addr) & IPV6_ADDR_LINKLOCAL)
		src->v6.sin6_scope_id = inet6_iif(skb);
}
