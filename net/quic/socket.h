/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The QUIC socket.
 */

#ifndef __NET_QUIC_SOCKET_H
#define __NET_QUIC_SOCKET_H

#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <uapi/linux/quic.h>

#include "udp.h"

#define QUIC_ALPN_MAX_LEN	128	/* comma-separated list */
#define QUIC_TOKEN_MAX_LEN	256
#define QUIC_TICKET_MAX_LEN	4096
#define QUIC_TICKET_KEY_LEN	64	/* GnuTLS session ticket key */

/**
 * struct quic_data - a length-prefixed, kmalloc'ed byte string
 * @data: the bytes, or NULL
 * @len: their number
 */
struct quic_data {
	u8	*data;
	u32	len;
};

/**
 * struct quic_sock - the QUIC socket
 * @inet: the inet socket; its source address and port are the bound ones
 * @udp: the tunnel socket the bound address maps to, or NULL when unbound
 * @listen_node: entry in the listener table while in TCP_LISTEN
 * @config: local settings (QUIC_SOCKOPT_CONFIG)
 * @local: our transport parameters (QUIC_SOCKOPT_TRANSPORT_PARAM)
 * @remote: the peer's transport parameters, set for 0-RTT or learned
 * @events: bit mask of the &enum quic_event_type delivered to the user
 * @alpn: ALPN list (QUIC_SOCKOPT_ALPN)
 * @token: address validation token (QUIC_SOCKOPT_TOKEN)
 * @ticket: session ticket, or the ticket key on a listener
 * @close: local close information, or the peer's once received
 *
 * Locking: everything here is protected by the socket lock (lock_sock()),
 * except @listen_node which is under the listener table's lock.
 */
struct quic_sock {
	struct inet_sock		inet;
	struct quic_udp_sock		*udp;
	struct hlist_node		listen_node;
	struct quic_config		config;
	struct quic_transport_param	local;
	struct quic_transport_param	remote;
	u32				events;
	struct quic_data		alpn;
	struct quic_data		token;
	struct quic_data		ticket;
	struct quic_connection_close	close;
};

/**
 * struct quic6_sock - the QUIC socket for AF_INET6
 * @quic: the QUIC socket
 * @inet6: IPv6 socket state, found through &proto.ipv6_pinfo_offset
 */
struct quic6_sock {
	struct quic_sock	quic;
	struct ipv6_pinfo	inet6;
};

static inline struct quic_sock *quic_sk(const struct sock *sk)
{
	return (struct quic_sock *)sk;
}

extern struct proto quic_prot;
extern struct proto quicv6_prot;
extern const struct proto_ops quic_proto_ops;
extern const struct proto_ops quicv6_proto_ops;

int quic_sock_init(void);
void quic_sock_exit(void);

#endif /* __NET_QUIC_SOCKET_H */
