// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The UDP tunnel sockets that carry QUIC packets.  QUIC demultiplexes by
 * connection ID, so every QUIC socket bound to one address and port - a
 * listener, the connections it accepted, clients - shares one UDP socket.
 */

#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp_tunnel.h>
#include <net/net_namespace.h>

#include "input.h"
#include "udp.h"

/* One entry per bound port, of every namespace; only bind() and close()
 * touch it, from process context, so a mutex suffices.  Hashed by port:
 * each client has a port of its own, and there may be many thousands.
 */
#define QUIC_UDP_HASH_BITS	8

static DEFINE_MUTEX(quic_udp_mutex);
static DEFINE_HASHTABLE(quic_udp_socks, QUIC_UDP_HASH_BITS);

static bool quic_udp_addr_same(const union quic_addr *a, const union quic_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->v4.sin_port == b->v4.sin_port &&
		       a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	return a->v6.sin6_port == b->v6.sin6_port &&
	       ipv6_addr_equal(&a->v6.sin6_addr, &b->v6.sin6_addr) &&
	       a->v6.sin6_scope_id == b->v6.sin6_scope_id;
}

static int quic_udp_sock_create(struct net *net, union quic_addr *addr,
				struct quic_udp_sock *us, struct socket **sockp)
{
	struct udp_tunnel_sock_cfg tuncfg = {};
	struct udp_port_cfg cfg = {};
	union quic_addr bound;
	struct socket *sock;
	int err;

	cfg.family = addr->sa.sa_family;
	if (cfg.family == AF_INET) {
		cfg.local_ip = addr->v4.sin_addr;
		cfg.local_udp_port = addr->v4.sin_port;
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		cfg.local_ip6 = addr->v6.sin6_addr;
		cfg.local_udp_port = addr->v6.sin6_port;
		cfg.bind_ifindex = addr->v6.sin6_scope_id;
		/* IPv4 traffic goes to the IPv4 sockets of the same port. */
		cfg.ipv6_v6only = 1;
		cfg.use_udp6_tx_checksums = 1;
		cfg.use_udp6_rx_checksums = 1;
#endif
	}
	cfg.use_udp_checksums = 1;

	err = udp_sock_create(net, &cfg, &sock);
	if (err)
		return err;

	tuncfg.encap_type = 1;
	tuncfg.encap_rcv = quic_udp_rcv;
	tuncfg.encap_err_rcv = quic_udp_err;
	tuncfg.sk_user_data = us;
	setup_udp_tunnel_sock(net, sock->sk, &tuncfg);

	/* Port 0 asked UDP for an ephemeral port: learn which. */
	err = kernel_getsockname(sock, &bound.sa);
	if (err < 0) {
		udp_tunnel_sock_release(sock->sk);
		return err;
	}
	if (addr->sa.sa_family == AF_INET)
		addr->v4.sin_port = bound.v4.sin_port;
	else
		addr->v6.sin6_port = bound.v6.sin6_port;
	*sockp = sock;
	return 0;
}

/* A port is shared by the QUIC sockets of the user that bound it first,
 * and across users only when both sides set SO_REUSEADDR, as for UDP:
 * another user cannot take over a service's port while it restarts.
 */
static bool quic_udp_may_share(const struct quic_udp_sock *us, const struct sock *sk)
{
	return uid_eq(us->uid, sk_uid(sk)) || (us->reuse && sk->sk_reuse);
}

/**
 * quic_udp_sock_get - find or create the UDP socket for a local address
 * @sk: the QUIC socket binding; its namespace, owner and SO_REUSEADDR
 * @addr: local address; a zero port is replaced by the one UDP chose
 *
 * Return: a referenced tunnel socket, or an ERR_PTR(): -EADDRINUSE when a
 * non-QUIC UDP socket, or another user's QUIC socket that does not share,
 * holds the port, -EADDRNOTAVAIL for a foreign address.
 */
struct quic_udp_sock *quic_udp_sock_get(const struct sock *sk, union quic_addr *addr)
{
	u16 port = ntohs(addr->v4.sin_port);	/* same offset in v4 and v6 */
	struct net *net = sock_net(sk);
	struct quic_udp_sock *us;
	int err;

	mutex_lock(&quic_udp_mutex);
	if (port) {
		hash_for_each_possible(quic_udp_socks, us, node, port) {
			if (!net_eq(sock_net(us->sock->sk), net) ||
			    !quic_udp_addr_same(&us->addr, addr))
				continue;
			if (!quic_udp_may_share(us, sk)) {
				us = ERR_PTR(-EADDRINUSE);
				goto out;
			}
			refcount_inc(&us->refcnt);
			goto out;
		}
	}

	us = kzalloc(sizeof(*us), GFP_KERNEL_ACCOUNT);
	if (!us) {
		us = ERR_PTR(-ENOMEM);
		goto out;
	}
	INIT_HLIST_HEAD(&us->listeners);
	err = quic_udp_sock_create(net, addr, us, &us->sock);
	if (err) {
		kfree(us);
		us = ERR_PTR(err);
		goto out;
	}
	us->addr = *addr;
	us->uid = sk_uid(sk);
	us->reuse = sk->sk_reuse;
	refcount_set(&us->refcnt, 1);
	hash_add(quic_udp_socks, &us->node, ntohs(addr->v4.sin_port));
out:
	mutex_unlock(&quic_udp_mutex);
	return us;
}

/**
 * quic_udp_sock_put - drop a reference taken by quic_udp_sock_get()
 * @us: the tunnel socket
 *
 * Closes the UDP socket with the last reference.  Process context only.
 */
void quic_udp_sock_put(struct quic_udp_sock *us)
{
	if (!refcount_dec_and_mutex_lock(&us->refcnt, &quic_udp_mutex))
		return;
	hash_del(&us->node);
	mutex_unlock(&quic_udp_mutex);
	udp_tunnel_sock_release(us->sock->sk);
	kfree_rcu(us, rcu);	/* the receive path reads it under RCU */
}

/**
 * quic_udp_seq_show - /proc/net/quic/eps: the namespace's UDP endpoints
 * @seq: the file
 * @v: unused
 *
 * One line each: local address and port, QUIC sockets using it, owner,
 * and whether a listener is on it.
 *
 * Return: 0.
 */
int quic_udp_seq_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct quic_udp_sock *us;
	char addr[64];
	int bkt;

	seq_printf(seq, "%-47s %5s %10s %s\n", "LOCAL", "USERS", "UID", "LISTENER");
	mutex_lock(&quic_udp_mutex);
	hash_for_each(quic_udp_socks, bkt, us, node) {
		if (!net_eq(sock_net(us->sock->sk), net))
			continue;
		snprintf(addr, sizeof(addr), "%pISpc", &us->addr.sa);
		seq_printf(seq, "%-47s %5u %10u %s\n", addr,
			   refcount_read(&us->refcnt),
			   from_kuid_munged(seq_user_ns(seq), us->uid),
			   hlist_empty(&us->listeners) ? "no" : "yes");
	}
	mutex_unlock(&quic_udp_mutex);
	return 0;
}
