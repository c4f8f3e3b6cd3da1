/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The UDP tunnel sockets that carry QUIC packets.
 */

#ifndef __NET_QUIC_UDP_H
#define __NET_QUIC_UDP_H

#include <linux/refcount.h>
#include <linux/uidgid.h>

#include "addr.h"

struct quic_dispatch;
struct sk_buff;

/**
 * struct quic_udp_sock - a kernel UDP socket shared by the QUIC sockets
 *	bound to the same local address and port in a network namespace
 * @node: entry in the module's table (hashed by port), under quic_udp_mutex
 * @refcnt: one reference per QUIC socket bound to it
 * @sock: the UDP socket, with QUIC as its encapsulation receive handler
 * @addr: the local address; the port is the one UDP picked for port 0
 * @listeners: the listening QUIC sockets on it (RCU), by
 *	&quic_sock.listen_node
 * @dispatch: routes new connections among @listeners by ALPN while there
 *	are several (RCU)
 * @handshakes: server connections on it between accept() and the end of
 *	their handshake: the load that makes listeners ask for Retry
 * @rcu: freed after the receive path's RCU readers
 * @uid: owner: the user whose QUIC socket bound it first
 * @reuse: that socket had SO_REUSEADDR set
 *
 * Created by bind() and released with the last QUIC socket using it.  All
 * of it except @refcnt, @listeners and @dispatch is set at creation and
 * read-only afterwards; @listeners and @dispatch change under the listen
 * mutex of listen.c.
 */
struct quic_udp_sock {
	struct hlist_node	node;
	refcount_t		refcnt;
	struct socket		*sock;
	union quic_addr		addr;
	struct hlist_head	listeners;
	struct quic_dispatch __rcu *dispatch;
	atomic_t		handshakes;
	struct rcu_head		rcu;
	kuid_t			uid;
	bool			reuse;
};

struct sock;
struct seq_file;

int quic_udp_seq_show(struct seq_file *seq, void *v);
struct quic_udp_sock *quic_udp_sock_get(const struct sock *sk, union quic_addr *addr);
void quic_udp_sock_put(struct quic_udp_sock *us);

static inline void quic_udp_sock_hold(struct quic_udp_sock *us)
{
	refcount_inc(&us->refcnt);
}

#endif /* __NET_QUIC_UDP_H */
