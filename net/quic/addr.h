/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Socket addresses of either family.
 */

#ifndef __NET_QUIC_ADDR_H
#define __NET_QUIC_ADDR_H

#include <linux/in.h>
#include <linux/in6.h>

struct sk_buff;
struct sock;
struct sockaddr_unsized;

/**
 * union quic_addr - an IPv4 or IPv6 socket address
 * @sa: generic view, for the family
 * @v4: AF_INET address
 * @v6: AF_INET6 address
 */
union quic_addr {
	struct sockaddr		sa;
	struct sockaddr_in	v4;
	struct sockaddr_in6	v6;
};

void quic_addr_from_skb(const struct sk_buff *skb, union quic_addr *src,
			union quic_addr *dst);
bool quic_addr_same_host(const union quic_addr *a, const union quic_addr *b);
bool quic_addr_same(const union quic_addr *a, const union quic_addr *b);
int quic_addr_from_user(const struct sock *sk, const struct sockaddr_unsized *uaddr,
			int len, union quic_addr *addr);
int quic_addr_check_local(struct sock *sk, union quic_addr *addr);
int quic_addr_bind_hook(struct sock *sk, struct sockaddr_unsized *uaddr, int *len,
			bool *no_cap);
int quic_addr_check_port(struct sock *sk, const union quic_addr *addr, bool no_cap);

#endif /* __NET_QUIC_ADDR_H */
