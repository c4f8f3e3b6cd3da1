// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Socket addresses of either family.
 */

#include <linux/bpf-cgroup.h>
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

/**
 * quic_addr_same_host - do two addresses name the same host?
 * @a: one address
 * @b: the other
 *
 * Ports are not compared, nor IPv6 scope IDs: the receive path sets the
 * latter for link-local senders, a user's connect() may not have.
 * Addresses of QUIC sockets are AF_INET for IPv4-mapped ones.
 *
 * Return: true if same family and IP address.
 */
bool quic_addr_same_host(const union quic_addr *a, const union quic_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	return ipv6_addr_equal(&a->v6.sin6_addr, &b->v6.sin6_addr);
}

/**
 * quic_addr_same - are two addresses the same address and port?
 * @a: one address
 * @b: the other
 *
 * Return: true if so, as quic_addr_same_host() compares hosts.
 */
bool quic_addr_same(const union quic_addr *a, const union quic_addr *b)
{
	if (!quic_addr_same_host(a, b))
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->v4.sin_port == b->v4.sin_port;
	return a->v6.sin6_port == b->v6.sin6_port;
}

/**
 * quic_addr_from_user - a local or peer address of @sk's family
 * @sk: the socket
 * @uaddr: the address the user gave (in kernel memory)
 * @len: its length
 * @addr: returns it; IPv4-mapped IPv6 addresses become IPv4 ones, they
 *	travel over IPv4
 *
 * Return: 0, -EINVAL for a short address, -EAFNOSUPPORT for another family.
 */
int quic_addr_from_user(const struct sock *sk, const struct sockaddr_unsized *uaddr,
			int len, union quic_addr *addr)
{
	const struct sockaddr *sa = (const struct sockaddr *)uaddr;

	memset(addr, 0, sizeof(*addr));
	if (len < (int)sizeof(sa->sa_family))
		return -EINVAL;
	if (sa->sa_family != sk->sk_family)
		return -EAFNOSUPPORT;

	if (sa->sa_family == AF_INET) {
		if (len < (int)sizeof(struct sockaddr_in))
			return -EINVAL;
		memcpy(&addr->v4, sa, sizeof(addr->v4));
		return 0;
	}

	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	memcpy(&addr->v6, sa, min_t(int, len, sizeof(addr->v6)));
	if (ipv6_addr_v4mapped(&addr->v6.sin6_addr)) {
		__be32 v4 = addr->v6.sin6_addr.s6_addr32[3];
		__be16 port = addr->v6.sin6_port;

		memset(addr, 0, sizeof(*addr));
		addr->v4.sin_family = AF_INET;
		addr->v4.sin_port = port;
		addr->v4.sin_addr.s_addr = v4;
	}
	return 0;
}

/**
 * quic_addr_check_local - may @sk send from @addr?
 * @sk: the socket
 * @addr: a local address of its family; a link-local IPv6 one must name
 *	its interface, other ones lose their scope ID
 *
 * Return: 0, or -EADDRNOTAVAIL, -EINVAL, -ENODEV as bind() returns them.
 */
int quic_addr_check_local(struct sock *sk, union quic_addr *addr)
{
	struct net *net = sock_net(sk);
	__be32 v4;

	if (addr->sa.sa_family == AF_INET) {
		v4 = addr->v4.sin_addr.s_addr;
		if (ipv4_is_multicast(v4) || ipv4_is_lbcast(v4))
			return -EADDRNOTAVAIL;
		if (!inet_addr_valid_or_nonlocal(net, inet_sk(sk), v4,
						 inet_addr_type(net, v4)))
			return -EADDRNOTAVAIL;
		return 0;
	}

#if IS_ENABLED(CONFIG_IPV6)
	{
		const struct in6_addr *a = &addr->v6.sin6_addr;
		int type = ipv6_addr_type(a);
		struct net_device *dev = NULL;
		bool ok;

		if (type == IPV6_ADDR_ANY)
			return 0;
		if (type & IPV6_ADDR_MULTICAST)
			return -EADDRNOTAVAIL;
		if (type & IPV6_ADDR_LINKLOCAL) {
			if (!addr->v6.sin6_scope_id)
				return -EINVAL;
		} else {
			addr->v6.sin6_scope_id = 0;
		}
		rcu_read_lock();
		if (addr->v6.sin6_scope_id) {
			dev = dev_get_by_index_rcu(net, addr->v6.sin6_scope_id);
			if (!dev) {
				rcu_read_unlock();
				return -ENODEV;
			}
		}
		ok = ipv6_can_nonlocal_bind(net, inet_sk(sk)) ||
		     ipv6_chk_addr(net, a, dev, 0);
		rcu_read_unlock();
		return ok ? 0 : -EADDRNOTAVAIL;
	}
#else
	return -EAFNOSUPPORT;
#endif
}

/**
 * quic_addr_bind_hook - run the cgroup's bind programs on a local address
 * @sk: the socket, locked
 * @uaddr: the address the user gave, in kernel memory, already checked by
 *	quic_addr_from_user(); a program may rewrite it
 * @len: its length
 * @no_cap: returns whether a program lifted the CAP_NET_BIND_SERVICE check
 *
 * inet_bind() leaves this to a protocol with a bind() of its own; the
 * migration option binds too.
 *
 * Return: 0, or the error of a program that refused.
 */
int quic_addr_bind_hook(struct sock *sk, struct sockaddr_unsized *uaddr, int *len,
			bool *no_cap)
{
	*no_cap = false;
#ifdef CONFIG_CGROUP_BPF
	{
		enum cgroup_bpf_attach_type t = sk->sk_family == AF_INET ?
						CGROUP_INET4_BIND : CGROUP_INET6_BIND;
		u32 flags = 0;
		int err;

		if (!cgroup_bpf_enabled(t))
			return 0;
		err = __cgroup_bpf_run_filter_sock_addr(sk, uaddr, len, t, NULL, &flags);
		*no_cap = flags & BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE;
		return err;
	}
#endif
	return 0;
}

/**
 * quic_addr_check_port - may @sk bind the port of @addr?
 * @sk: the socket
 * @addr: a local address
 * @no_cap: a cgroup bind program lifted the capability check
 *
 * Return: 0, or -EACCES for a privileged port without CAP_NET_BIND_SERVICE.
 */
int quic_addr_check_port(struct sock *sk, const union quic_addr *addr, bool no_cap)
{
	__be16 port = addr->v4.sin_port;	/* same offset in v4 and v6 */

	if (!port || no_cap || !inet_port_requires_bind_service(sock_net(sk), ntohs(port)) ||
	    ns_capable(sock_net(sk)->user_ns, CAP_NET_BIND_SERVICE))
		return 0;
	return -EACCES;
}
