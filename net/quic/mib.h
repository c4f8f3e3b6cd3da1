/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Per network namespace counters of events that a connection's owner
 * cannot see, shown in /proc/net/quic.
 */

#ifndef __NET_QUIC_MIB_H
#define __NET_QUIC_MIB_H

#include <linux/ratelimit.h>
#include <net/netns/generic.h>
#include <net/snmp.h>

/**
 * enum quic_mib_field - what is counted
 * @QUIC_MIB_RETRY_SENT: Retry packets a listener sent
 * @QUIC_MIB_RETRY_RCVD: Retry packets a client took
 * @QUIC_MIB_TOKEN_INVALID: Initial packets with a token that was not ours,
 *	expired or for another address
 * @QUIC_MIB_VN_SENT: Version Negotiation packets sent
 * @QUIC_MIB_RESET_SENT: Stateless Resets sent
 * @QUIC_MIB_RESET_RCVD: connections ended by a Stateless Reset
 * @QUIC_MIB_0RTT_SENT: 0-RTT packets sent
 * @QUIC_MIB_0RTT_RCVD: 0-RTT packets received and decrypted
 * @QUIC_MIB_UNDECRYPTABLE: packets dropped because they did not decrypt
 * @QUIC_MIB_PACING_WAIT: times a sender stopped until the pacing timer
 * @QUIC_MIB_GSO_SENT: trains of 1-RTT packets sent as one GSO skb
 * @QUIC_MIB_GSO_SEGS: packets sent in those trains
 * @QUIC_MIB_RETRY_LOAD: Retry packets a listener sent because its port had
 *	net.quic.retry_threshold handshakes in progress (also in RETRY_SENT)
 * @QUIC_MIB_ALPN_REFUSED: new connections refused because no listener
 *	sharing their port takes any ALPN they offered (their datagrams are
 *	not counted as dropped)
 * @QUIC_MIB_ALPN_DROPPED: datagrams of new connections that the ALPN
 *	dispatcher dropped: no room, not decryptable, a malformed or
 *	oversized ClientHello, or one that never completed; not those it
 *	held when the port's last listener closed
 * @QUIC_MIB_HS_RESEND: handshake data resent before the probe timeout
 *	because the peer showed it had missed ours (RFC 9002 section 6.2.3)
 * @QUIC_MIB_ACCEPT_DROPPED: datagrams accept() took from a listener's queue
 *	and could not make a connection of (a retransmission whose connection
 *	exists already, a malformed Initial)
 * @QUIC_MIB_ICMP_ABORT: client handshakes an ICMP error ended (port, host
 *	or network unreachable, quoting the connection's IDs)
 * @QUIC_MIB_PATH_CHALLENGE: PATH_CHALLENGE frames sent
 * @QUIC_MIB_PATH_MIGRATED: new peer addresses validated and kept: the
 *	peer migrated or its NAT rebound
 * @QUIC_MIB_PATH_LOCAL: moves to a new local address of ours validated
 *	(QUIC_SOCKOPT_CONNECTION_MIGRATION)
 * @QUIC_MIB_PATH_FAILED: new paths that failed validation; the connection
 *	went back to the last validated one
 * @QUIC_MIB_PATH_REVERTED: connections that went back to the last
 *	validated peer address before the new one was validated (a packet
 *	from the old address was newer)
 * @QUIC_MIB_PATH_UNKNOWN: datagrams dropped because they came from an
 *	address the connection does not take them from (a client's server,
 *	a handshake's peer)
 * @QUIC_MIB_PATH_PREFERRED: moves to a server's preferred address once its
 *	path was validated: by a client to it, by a server from it
 * @QUIC_MIB_PMTU_LOWERED: datagram sizes lowered to a smaller path MTU
 *	the IP layer learnt from an ICMP Packet Too Big
 * @QUIC_MIB_PMTU_PROBES: path MTU probes sent (RFC 8899)
 * @QUIC_MIB_PMTU_RAISED: datagram sizes raised by an acknowledged probe
 * @QUIC_MIB_PMTU_BLACK_HOLE: raised datagram sizes taken back after probe
 *	timeouts in a row: the path narrowed without a Packet Too Big
 * @QUIC_MIB_ECN_VALIDATED: paths on which the peer's ACK_ECN counts showed
 *	that our ECT(0) marks arrive: every packet is marked from then on
 * @QUIC_MIB_ECN_FAILED: paths on which ECN validation failed (marks
 *	cleared, rewritten, not reported, or marked packets all lost): no
 *	packet is marked from then on
 * @QUIC_MIB_ECN_ECT_RCVD: packets received marked ECT(0) or ECT(1)
 * @QUIC_MIB_ECN_CE_RCVD: packets received with the CE codepoint
 * @QUIC_MIB_ECN_CONGESTION: window reductions for a rise of the peer's CE
 *	count (a congestion event, as a loss is: one per round trip at most)
 * @QUIC_MIB_ACK_FREQ_SENT: ACK_FREQUENCY frames queued for a peer that
 *	takes them: how often it should acknowledge
 * @QUIC_MIB_ACK_FREQ_RCVD: ACK_FREQUENCY frames received and applied
 * @QUIC_MIB_MAX: number of counters
 */
enum quic_mib_field {
	QUIC_MIB_RETRY_SENT,
	QUIC_MIB_RETRY_RCVD,
	QUIC_MIB_TOKEN_INVALID,
	QUIC_MIB_VN_SENT,
	QUIC_MIB_RESET_SENT,
	QUIC_MIB_RESET_RCVD,
	QUIC_MIB_0RTT_SENT,
	QUIC_MIB_0RTT_RCVD,
	QUIC_MIB_UNDECRYPTABLE,
	QUIC_MIB_PACING_WAIT,
	QUIC_MIB_GSO_SENT,
	QUIC_MIB_GSO_SEGS,
	QUIC_MIB_RETRY_LOAD,
	QUIC_MIB_ALPN_REFUSED,
	QUIC_MIB_ALPN_DROPPED,
	QUIC_MIB_HS_RESEND,
	QUIC_MIB_ACCEPT_DROPPED,
	QUIC_MIB_ICMP_ABORT,
	QUIC_MIB_PATH_CHALLENGE,
	QUIC_MIB_PATH_MIGRATED,
	QUIC_MIB_PATH_LOCAL,
	QUIC_MIB_PATH_FAILED,
	QUIC_MIB_PATH_REVERTED,
	QUIC_MIB_PATH_UNKNOWN,
	QUIC_MIB_PATH_PREFERRED,
	QUIC_MIB_PMTU_LOWERED,
	QUIC_MIB_PMTU_PROBES,
	QUIC_MIB_PMTU_RAISED,
	QUIC_MIB_PMTU_BLACK_HOLE,
	QUIC_MIB_ECN_VALIDATED,
	QUIC_MIB_ECN_FAILED,
	QUIC_MIB_ECN_ECT_RCVD,
	QUIC_MIB_ECN_CE_RCVD,
	QUIC_MIB_ECN_CONGESTION,
	QUIC_MIB_ACK_FREQ_SENT,
	QUIC_MIB_ACK_FREQ_RCVD,
	QUIC_MIB_MAX,
};

/**
 * struct quic_mib - the counters, per CPU
 * @mibs: one per &enum quic_mib_field
 */
struct quic_mib {
	unsigned long	mibs[QUIC_MIB_MAX];
};

#define QUIC_RESET_KEY_LEN	32
#define QUIC_RETRY_THRESHOLD	128	/* net.quic.retry_threshold default */

/**
 * struct quic_net - QUIC's per network namespace data
 * @stat: the counters
 * @socks: every QUIC socket of the namespace, for /proc/net/quic/socks
 * @socks_lock: guards @socks, and the ALPN of the sockets on it against
 *	change, for /proc/net/quic/socks
 * @reset_key: key of the Stateless Reset Tokens of the IDs issued here;
 *	connection IDs are looked up per namespace, so are their tokens
 * @stateless_rs: rate of the Stateless Resets and Version Negotiation
 *	packets sent from here: they answer packets anyone can forge
 * @retry_threshold: net.quic.retry_threshold: handshakes in progress on
 *	a port (accepted, or waiting for accept()) from which its listeners
 *	answer new clients with Retry, as TCP sends SYN cookies; 0 never
 * @ecn: net.quic.ecn: new connections mark their packets ECT(0) and
 *	validate ECN (RFC 9000 section 13.4); 0: they only report the marks
 *	they receive
 * @sysctl: the namespace's net.quic table
 *
 * Set up with the namespace, read-only afterwards but for the rate state,
 * which has its own lock, and the sysctl (READ_ONCE()).
 */
struct quic_net {
	DEFINE_SNMP_STAT(struct quic_mib, stat);
	struct list_head	socks;
	spinlock_t		socks_lock;	/* see @socks_lock */
	int			retry_threshold;
	int			ecn;
	struct ctl_table_header	*sysctl;
	u8			reset_key[QUIC_RESET_KEY_LEN];
	struct ratelimit_state	stateless_rs;
};

extern unsigned int quic_net_id;

struct seq_file;

int quic_mib_seq_show(struct seq_file *seq, void *v);

static inline struct quic_net *quic_net(const struct net *net)
{
	return net_generic(net, quic_net_id);
}

#define QUIC_INC_STATS(net, field)	SNMP_INC_STATS(quic_net(net)->stat, field)
#define QUIC_ADD_STATS(net, field, n)	SNMP_ADD_STATS(quic_net(net)->stat, field, n)

int quic_mib_init(void);
void quic_mib_exit(void);

#endif /* __NET_QUIC_MIB_H */
