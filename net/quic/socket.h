/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The QUIC socket.
 */

#ifndef __NET_QUIC_SOCKET_H
#define __NET_QUIC_SOCKET_H

#include <linux/sched/signal.h>
#include <net/inet_sock.h>
#include <net/dst_cache.h>
#include <net/ipv6.h>
#include <uapi/linux/quic.h>

#include "addr.h"
#include "cid.h"
#include "cong.h"
#include "crypto.h"
#include "ecn.h"
#include "param.h"
#include "path.h"
#include "pmtu.h"
#include "space.h"
#include "stream.h"

static_assert(QUIC_ECN_SPACES == QUIC_SPACE_MAX && QUIC_ECN_APP == QUIC_SPACE_APP);

struct quic_udp_sock;

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

static inline void quic_data_free(struct quic_data *d)
{
	kfree_sensitive(d->data);
	d->data = NULL;
	d->len = 0;
}

/**
 * struct quic_pkt_cb - skb->cb of a received datagram being processed
 * @offset: where the next coalesced packet starts
 * @time: arrival time, in microseconds
 * @counted: its size was counted for the anti-amplification limit
 * @ecn: the ECN field of its IP header
 */
struct quic_pkt_cb {
	u32	offset;
	u64	time;
	bool	counted;
	u8	ecn;
};

#define QUIC_PKT_CB(skb)	((struct quic_pkt_cb *)&((skb)->cb[0]))

/* Bits of &quic_sock.deferred: timer work that found the socket owned by
 * user context, done by release_sock() through &proto.release_cb; each
 * holds a reference on the socket.  QUIC_DEFER_FLUSH, set by the owner,
 * holds none: a layer below the transmit path queued a frame to go out
 * when the owner releases the socket (or sleeps).  Nor does
 * QUIC_DEFER_ICMP: an ICMP error the receive path left in sk_err_soft.
 */
enum {
	QUIC_DEFER_LOSS,
	QUIC_DEFER_ACK,
	QUIC_DEFER_IDLE,
	QUIC_DEFER_PACE,
	QUIC_DEFER_FLUSH,
	QUIC_DEFER_ICMP,
	QUIC_DEFER_PATH,
};

/* Bits of &quic_sock.work_todo: what the receive path leaves to the
 * connection's work item, as it may sleep.
 */
enum {
	QUIC_WORK_KEYS,		/* prepare the next 1-RTT keys */
	QUIC_WORK_RETRY,	/* new Initial keys after a Retry */
	QUIC_WORK_VERSION,	/* new Initial keys after Version Negotiation */
	QUIC_WORK_FREE,		/* the closing or draining period of a
				 * socket the user closed is over
				 */
	QUIC_WORK_DISCARD,	/* free the keys no packet may use */
	QUIC_WORK_AEAD_LIMIT,	/* close: the 1-RTT keys reached their limit */
};

/* At most this many ack-eliciting packets per ACK, whatever a peer asks:
 * with more, gaps could outnumber the received ranges an ACK reports.
 */
#define QUIC_ACK_EVERY_MAX	16

/**
 * struct quic_ack_freq - how often ACKs go (draft-ietf-quic-ack-frequency)
 * @rx_seq: the lowest Sequence Number of the peer's ACK_FREQUENCY we take
 * @max_delay: how long we may delay an ACK (microseconds), as the peer
 *	asked; 0: our max_ack_delay
 * @ack_every: ack-eliciting packets that make an ACK due, as the peer
 *	asked (its Ack-Eliciting Threshold + 1); 0: 2 (RFC 9000 13.2.2)
 * @reorder_off: the peer asked for no immediate ACK of reordered packets
 * @tx_every: what we last asked of the peer as @ack_every, 0 never
 * @tx_seq: the Sequence Number of our next ACK_FREQUENCY
 * @tx_delay: the Requested Max Ack Delay we last asked for
 * @tx_time: when we asked (quic_now())
 *
 * Locking: under the connection's socket lock.
 */
struct quic_ack_freq {
	u64	rx_seq;
	u32	max_delay;
	u8	ack_every;
	bool	reorder_off;
	u8	tx_every;
	u32	tx_seq;
	u32	tx_delay;
	u64	tx_time;
};

/**
 * struct quic_sock - the QUIC socket
 * @inet: the inet socket; its source address and port are the bound ones
 * @udp: the tunnel socket the bound address maps to, or NULL when unbound
 * @listen_node: entry in the listener table while in TCP_LISTEN
 * @net_node: entry in the namespace's list of sockets (&quic_net.socks)
 * @config: local settings (QUIC_SOCKOPT_CONFIG)
 * @local: our transport parameters (QUIC_SOCKOPT_TRANSPORT_PARAM)
 * @remote: the peer's transport parameters, set for 0-RTT or learned
 * @events: bit mask of the &enum quic_event_type delivered to the user
 * @alpn: ALPN list (QUIC_SOCKOPT_ALPN)
 * @token: address validation token (QUIC_SOCKOPT_TOKEN)
 * @ticket: session ticket, or the ticket key on a listener; on a client
 *	that does not read 1-RTT handshake data, the last NewSessionTicket
 *	message the server sent (quic_ticket_collect())
 * @ticket_rx: such a client's partial 1-RTT handshake message
 * @ticket_rx_len: bytes in @ticket_rx
 * @ticket_rx_skip: bytes still to pass of a message too long to keep
 * @close: local close information, or the peer's once received
 * @reqs: on a listener, first datagrams of connections not accepted yet
 * @reqs_0rtt: on a listener, the last 0-RTT datagrams for connections not
 *	accepted yet, their Initial queued or still to come
 * @reqs_mem: truesize of what @reqs and @reqs_0rtt hold, within the
 *	listener's receive buffer
 * @reqs_ids: on a listener, how many datagrams of @reqs go to IDs of each
 *	hash bucket: a cheap first look for a retransmitted Initial
 * @reqs_open: datagrams may still be queued: cleared, under the queue
 *	lock, when the listener stops, so that the receive path cannot queue
 *	behind the purge
 * @early_rcv: 0-RTT stream data and datagrams received before the
 *	handshake completed, charged to the receive buffer already
 * @peer_addr: the peer's address
 * @local_addr: the address we send from
 * @is_server: we accepted this connection
 * @hs_counted: a server connection counted in its port's handshakes in
 *	progress (&quic_udp_sock.handshakes)
 * @handshake_done: both 1-RTT keys installed: data may flow
 * @confirmed: handshake confirmed (RFC 9001 section 4.1.2)
 * @addr_validated: the peer's address is validated: no amplification
 *	limit (RFC 9000 section 8.1)
 * @peer_params_set: the peer's transport parameters arrived
 * @peer_scid_known: a client learned the server's connection ID
 * @closing: CONNECTION_CLOSE sent or received; nothing more is sent
 *	but the CONNECTION_CLOSE itself
 * @close_sent: we sent CONNECTION_CLOSE: the closing state, which answers
 *	the peer's packets with it again; else the draining state
 * @close_app: it was an application close
 * @close_error: its error code
 * @close_frame: its frame type (transport close)
 * @close_end: end of the closing or draining period (quic_now()), 0 when
 *	the connection state may go at once (RFC 9000 section 10.2)
 * @close_rcvd: packets received in the closing state
 * @lingering: the user closed the socket during the period: it stays,
 *	orphaned, in the connection ID table until @close_end
 * @flushing: the user closed the socket with stream data unacknowledged:
 *	it stays, orphaned and open, until the peer has it all
 * @flush_progress: when the peer last acknowledged stream data of a
 *	flushing socket: its idle timeout counts from there, so a peer that
 *	keeps the path alive without taking the data cannot keep it
 * @orphan: counted among the orphans that stay after close()
 * @events_mem: truesize of the events waiting on the receive queue
 * @key_update_pending: a key update we started awaits its first ACK
 * @key_update_pn: first packet number sent with the new keys
 * @work: what the receive path leaves to process context (QUIC_WORK_*)
 * @work_todo: QUIC_WORK_* bits for @work
 * @early_ok: a client knows the server's parameters from an earlier
 *	connection: it may send stream data before the handshake (0-RTT)
 * @remote_given: the user set the peer's transport parameters
 * @params_announced: our transport parameters went into the TLS handshake
 *	(QUIC_SOCKOPT_TRANSPORT_PARAM_EXT read): they can no longer change
 * @version_negotiated: a client took a Version Negotiation packet
 * @retried: a client took a Retry, or a server sent one for this
 *	connection (its token came back)
 * @grease: we announced grease_quic_bit, the fixed bit may come clear
 * @version: QUIC version in use
 * @scids: connection IDs we issued
 * @dcids: connection IDs the peer issued
 * @ocids: on a server, the client's original Destination Connection ID,
 *	in the table until the handshake is confirmed
 * @odcid: Destination Connection ID of the client's first Initial
 * @retry_scid: Source Connection ID of the Retry, when @retried
 * @peer_scid: Source Connection ID of the peer's first packet, checked
 *	against its initial_source_connection_id
 * @crypto: keys per &enum quic_crypto_level, allocated when the first
 *	key of the level is installed and freed once no packet may use them
 *	(quic_conn_free_old_keys()); NULL otherwise.  A confirmed connection
 *	keeps only its 1-RTT keys.  The pointers change only in process
 *	context with the socket owned; readers hold the socket lock (owned,
 *	or the spinlock with the socket not owned by a user).
 * @space: packet number spaces
 * @streams: streams and flow control
 * @peer: the peer's transport parameters, decoded
 * @rtt: round-trip time estimate
 * @dst_cache: route to the peer
 * @dst_cache_ready: @dst_cache is initialized
 * @cong: congestion controller
 * @ecn: ECN marks sent, their validation, and the marks received
 * @hs_resends: handshake data resent early because the peer showed it
 *	missed ours (RFC 9002 section 6.2.3), at most QUIC_HS_RESENDS_MAX (timer.h)
 * @bytes_in_flight: sum of the sizes of in-flight packets
 * @pto_count: probe timeouts since the last ACK (RFC 9002 section 6.2)
 * @mss: largest UDP payload we send
 * @pmtu: the search for a larger one (RFC 8899)
 * @ackf: how often ACKs go, each way (the ACK frequency draft)
 * @amp_recv: bytes received before the address was validated
 * @amp_sent: bytes sent before the address was validated
 * @idle_timeout: negotiated idle timeout in microseconds, 0 for none
 * @last_activity: last packet received or first ack-eliciting sent after
 *	it, for the idle timer (RFC 9000 section 10.1)
 * @loss_timer: loss detection and probe timeout
 * @ack_timer: delayed ACK
 * @idle_timer: idle timeout
 * @path: validation of a new peer address
 * @pace_timer: sends what pacing held back (RFC 9002 section 7.7)
 * @pace_next: earliest time (ns) the pacing schedule lets the next
 *	ack-eliciting packet go
 * @deferred: QUIC_DEFER_* bits
 *
 * Locking: everything here is protected by the socket lock: lock_sock() in
 * process context, bh_lock_sock() when not owned by user in softirq (the
 * receive path and the timers; when owned they leave the work to
 * release_sock() through the backlog and @deferred).  @listen_node is
 * under the listener table's lock, @net_node under the namespace's
 * &quic_net.socks_lock, and @reqs has its own queue lock,
 * which also covers @reqs_0rtt, @reqs_mem, @reqs_ids and @reqs_open.
 */
struct quic_sock {
	struct inet_sock		inet;
	struct quic_udp_sock		*udp;
	struct hlist_node		listen_node;
	struct list_head		net_node;
	struct quic_config		config;
	struct quic_transport_param	local;
	struct quic_transport_param	remote;
	u32				events;
	struct quic_data		alpn;
	struct quic_data		token;
	struct quic_data		ticket;
	u8				*ticket_rx;
	u32				ticket_rx_len;
	u32				ticket_rx_skip;
	struct quic_connection_close	close;

	struct sk_buff_head		reqs;
	struct sk_buff_head		reqs_0rtt;
	u32				reqs_mem;
	u16				*reqs_ids;
	bool				reqs_open;
	struct sk_buff_head		early_rcv;
	union quic_addr			peer_addr;
	union quic_addr			local_addr;
	bool				is_server;
	bool				hs_counted;
	bool				handshake_done;
	bool				confirmed;
	bool				addr_validated;
	bool				peer_params_set;
	bool				peer_scid_known;
	bool				closing;
	bool				close_sent;
	bool				close_app;
	bool				lingering;
	bool				flushing;
	bool				orphan;
	u64				flush_progress;
	u32				events_mem;
	u64				close_error;
	u64				close_frame;
	u64				close_end;
	u32				close_rcvd;
	bool				key_update_pending;
	u64				key_update_pn;
	struct work_struct		work;
	unsigned long			work_todo;
	bool				retried;
	bool				early_ok;
	bool				remote_given;
	bool				params_announced;
	bool				version_negotiated;
	bool				grease;
	u32				version;
	struct quic_cid_set		scids;
	struct quic_cid_set		dcids;
	struct quic_cid_set		ocids;
	struct quic_cid			odcid;
	struct quic_cid			retry_scid;
	struct quic_cid			peer_scid;
	struct quic_crypto		*crypto[QUIC_CRYPTO_MAX];
	struct quic_space		space[QUIC_SPACE_MAX];
	struct quic_stream_table	streams;
	struct quic_params		peer;
	struct quic_rtt			rtt;
	struct quic_cong		cong;
	struct quic_ecn			ecn;
	struct dst_cache		dst_cache;
	bool				dst_cache_ready;
	u8				hs_resends;
	u64				bytes_in_flight;
	u32				pto_count;
	u32				mss;
	struct quic_pmtu		pmtu;
	struct quic_ack_freq		ackf;
	u64				amp_recv;
	u64				amp_sent;
	u64				idle_timeout;
	u64				last_activity;
	struct timer_list		loss_timer;
	struct timer_list		ack_timer;
	struct timer_list		idle_timer;
	struct quic_path		path;
	struct hrtimer			pace_timer;
	u64				pace_next;
	unsigned long			deferred;
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

/**
 * quic_sock_assert_locked - the caller holds the connection's lock
 * @sk: the connection
 *
 * The socket lock in either of its forms (see &struct quic_sock): owned in
 * process context, or its spinlock in the receive path and the timers.
 */
static inline void quic_sock_assert_locked(const struct sock *sk)
{
	lockdep_assert(lockdep_sock_is_held(sk));
}

extern struct proto quic_prot;
extern struct proto quicv6_prot;
extern const struct proto_ops quic_proto_ops;
extern const struct proto_ops quicv6_proto_ops;

/**
 * quic_tx_ready - keys of a level protect what we send
 * @qs: the connection, its socket lock held
 * @level: &enum quic_crypto_level
 *
 * Return: the level's keys are installed and not discarded.
 */
static inline bool quic_tx_ready(const struct quic_sock *qs, u8 level)
{
	return qs->crypto[level] && qs->crypto[level]->tx.ready;
}

/**
 * quic_rx_ready - keys of a level remove the peer's protection
 * @qs: the connection, its socket lock held
 * @level: &enum quic_crypto_level
 *
 * Return: the level's keys are installed and not discarded.
 */
static inline bool quic_rx_ready(const struct quic_sock *qs, u8 level)
{
	return qs->crypto[level] && qs->crypto[level]->rx.ready;
}

/**
 * quic_key_phase - the current 1-RTT key phase
 * @qs: the connection, its socket lock held
 *
 * Return: the key phase bit, 0 before the 1-RTT keys.
 */
static inline u8 quic_key_phase(const struct quic_sock *qs)
{
	return qs->crypto[QUIC_CRYPTO_APP] ? qs->crypto[QUIC_CRYPTO_APP]->key_phase : 0;
}

static inline u64 quic_now(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/**
 * quic_min_ack_delay - the min_ack_delay we announce, in microseconds
 * @qs: the connection
 *
 * A timer tick (the ACK timer is a timer_list), and no more than the
 * max_ack_delay we announce, in whole milliseconds on the wire.
 *
 * Return: the delay.
 */
static inline u32 quic_min_ack_delay(const struct quic_sock *qs)
{
	u32 max = qs->local.max_ack_delay / USEC_PER_MSEC * USEC_PER_MSEC;

	return min_t(u32, jiffies_to_usecs(1), max);
}

static inline bool quic_is_listen(const struct sock *sk)
{
	return sk->sk_state == TCP_LISTEN;
}

#define QUIC_MIN_DATAGRAM	1200	/* RFC 9000 section 14.1 */
#define QUIC_AMPLIFICATION	3	/* RFC 9000 section 8.1 */
#define QUIC_AMP_MIN_PACKET	96	/* a long header, an ACK or a PING, the tag */

static inline u32 quic_amplification_left(u64 recv, u64 sent)
{
	u64 limit = QUIC_AMPLIFICATION * recv;

	return sent < limit ? min_t(u64, limit - sent, U32_MAX - 1) : 0;
}

/**
 * quic_amplification_room - bytes that may still go to the peer's address
 * @qs: the connection
 *
 * RFC 9000 section 8.1: until a server has validated the client's
 * address, three times what it received; and the same for a new peer
 * address until its validation (section 9.3.1); not for a new local
 * address of ours: the peer's is validated already (section 9.2).
 *
 * Return: the bytes, U32_MAX when not limited.
 */
static inline u32 quic_amplification_room(const struct quic_sock *qs)
{
	u32 room = U32_MAX;

	if (qs->is_server && !qs->addr_validated)
		room = quic_amplification_left(qs->amp_recv, qs->amp_sent);
	if (qs->path.validating && !qs->path.local && !qs->path.pref)
		room = min(room, quic_amplification_left(qs->path.amp_recv, qs->path.amp_sent));
	return room;
}

/* Count @size bytes sent to the peer's current address. */
static inline void quic_amplification_sent(struct quic_sock *qs, u32 size)
{
	if (qs->is_server && !qs->addr_validated)
		qs->amp_sent += size;
	if (qs->path.validating)
		qs->path.amp_sent += size;
}

/**
 * quic_amplification_blocked - may no packet of @level go now?
 * @qs: the connection
 * @level: &enum quic_crypto_level
 *
 * An ack-eliciting Initial fills a datagram of 1200 bytes (section 14.1);
 * other packets are cut to the room left and need only a little of it.
 * Asking for a full MSS kept even a small probe from going after a first
 * flight of 2 KB sent for a ClientHello of 1200 bytes.
 *
 * Return: true if the anti-amplification limit holds them back.
 */
static inline bool quic_amplification_blocked(const struct quic_sock *qs, u8 level)
{
	return quic_amplification_room(qs) < (level == QUIC_CRYPTO_INITIAL ?
					      QUIC_MIN_DATAGRAM : QUIC_AMP_MIN_PACKET);
}

/* Room in the send buffer for more frames from the user */
static inline bool quic_wmem_ready(const struct sock *sk)
{
	return READ_ONCE(sk->sk_wmem_queued) < READ_ONCE(sk->sk_sndbuf);
}

/* Whether a blocking call stops waiting before its condition holds: no
 * time left (EAGAIN) or a signal.  Returns that errno, or 0 to wait on.
 */
static inline int quic_wait_error(long timeo)
{
	if (!timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(timeo);
	return 0;
}

/**
 * quic_work_queue - leave @what to the connection's work item
 * @sk: the connection
 * @what: a QUIC_WORK_* bit
 *
 * For the paths that cannot sleep; the work item holds a reference on
 * @sk until it ran.
 */
static inline void quic_work_queue(struct sock *sk, int what)
{
	struct quic_sock *qs = quic_sk(sk);

	set_bit(what, &qs->work_todo);
	sock_hold(sk);
	if (!schedule_work(&qs->work))
		sock_put(sk);
}

void quic_close_final(struct sock *sk);

struct seq_file;

int quic_sock_seq_show(struct seq_file *seq, void *v);
int quic_sock_init(void);
void quic_sock_exit(void);

#endif /* __NET_QUIC_SOCKET_H */
