// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The life of a connection: set up by connect() or accept(), keys and
 * transport parameters from the user space handshake, established,
 * confirmed, closed.  Also the connection ID frames.
 */

#include <crypto/utils.h>
#include <linux/slab.h>
#include <net/inet_common.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tls.h>
#include <net/transp_v6.h>

#include "close.h"
#include "conn.h"
#include "listen.h"
#include "mib.h"
#include "output.h"
#include "packet.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"
#include "token.h"
#include "udp.h"

#define QUIC_CID_ISSUE		4	/* IDs we offer, within the peer's limit */
#define QUIC_MAX_ACK_DELAY_US	25000

/* The keys of @level, allocated on first use.  Process context, the
 * socket owned: the receive path and the timers, which read
 * &quic_sock.crypto under the socket spinlock, wait on the backlog.
 */
static struct quic_crypto *quic_conn_keys_alloc(struct sock *sk, u8 level)
{
	struct quic_sock *qs = quic_sk(sk);

	sock_owned_by_me(sk);
	might_sleep();
	if (!qs->crypto[level])
		qs->crypto[level] = kzalloc_obj(*qs->crypto[level], GFP_KERNEL_ACCOUNT);
	return qs->crypto[level];
}

/* Free the keys of @level: transforms and secrets.  Process context,
 * the socket owned or no longer reachable.
 */
static void quic_conn_keys_free(struct sock *sk, u8 level)
{
	struct quic_sock *qs = quic_sk(sk);

	if (!qs->crypto[level])
		return;
	quic_crypto_free(qs->crypto[level]);
	kfree(qs->crypto[level]);
	qs->crypto[level] = NULL;
}

/* Initial keys from @dcid (RFC 9001 section 5.2), for a client's first
 * Initial, after a Retry or Version Negotiation, or for a server's
 * connection as accept() creates it.
 */
static int quic_conn_initial_keys(struct sock *sk, u32 version, const struct quic_cid *dcid,
				  bool is_server)
{
	struct quic_crypto *c = quic_conn_keys_alloc(sk, QUIC_CRYPTO_INITIAL);

	if (!c)
		return -ENOMEM;
	return quic_crypto_initial_keys(c, version, dcid->data, dcid->len, is_server);
}

/* Client side of a Retry or of Version Negotiation, in process context:
 * new Initial keys, from the server's new connection ID (RFC 9001 section
 * 5.2) or for the version picked (RFC 9368 section 2.1), then everything
 * the Initial space had in flight goes again (RFC 9002 section 6.3).
 * Returns true when the keys changed.
 */
static bool quic_conn_initial_restart(struct sock *sk, const struct quic_cid *dcid)
{
	struct quic_sock *qs = quic_sk(sk);
	int err;

	err = quic_conn_initial_keys(sk, qs->version, dcid, false);
	if (err) {
		quic_conn_closed(sk, err);
		return false;
	}
	quic_recovery_restart(sk, QUIC_SPACE_INITIAL);
	return true;
}

/**
 * quic_conn_free_old_keys - free the keys no packet may use any more
 * @sk: the connection, owned by the caller, in process context
 *
 * Those of discarded spaces (RFC 9001 sections 4.9.1 and 4.9.2) and,
 * once the handshake is done, the 0-RTT ones (4.9.3): an idle connection
 * keeps only its 1-RTT keys.  Freeing a transform may sleep, so the
 * receive path only marks keys unusable and leaves this to the work item
 * (QUIC_WORK_DISCARD), or to close().
 */
void quic_conn_free_old_keys(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 space;

	sock_owned_by_me(sk);
	might_sleep();
	for (space = QUIC_SPACE_INITIAL; space < QUIC_SPACE_APP; space++)
		if (qs->space[space].keys_discarded)
			quic_conn_keys_free(sk, quic_space_level(space, false));
	if (qs->handshake_done)
		quic_conn_keys_free(sk, QUIC_CRYPTO_EARLY);
}

/**
 * quic_conn_work_run - do what the receive path left to process context
 * @sk: the connection, owned by the caller, in process context
 *
 * Everything but QUIC_WORK_FREE: the close of a connection whose keys
 * reached their AEAD limit, the new Initial keys after a Retry or
 * Version Negotiation, the next 1-RTT keys after the peer's key update,
 * and freeing keys no longer usable.  All may sleep (AEAD setup, freeing
 * transforms).  close() calls it too, for what a cancelled work item
 * left: the connection may still be flushing and need the next keys.
 *
 * Return: true when the Initial keys changed: the caller processes the
 * Initial packets that waited for them (quic_packets_replay()) and flushes.
 */
bool quic_conn_work_run(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	bool restarted = false;

	sock_owned_by_me(sk);
	if (test_and_clear_bit(QUIC_WORK_AEAD_LIMIT, &qs->work_todo) && !qs->closing)
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED, 0);
	if (test_and_clear_bit(QUIC_WORK_RETRY, &qs->work_todo) && !qs->closing)
		restarted |= quic_conn_initial_restart(sk, &qs->retry_scid);
	if (test_and_clear_bit(QUIC_WORK_VERSION, &qs->work_todo) && !qs->closing)
		restarted |= quic_conn_initial_restart(sk, &qs->odcid);
	if (test_and_clear_bit(QUIC_WORK_KEYS, &qs->work_todo) && !qs->closing &&
	    qs->crypto[QUIC_CRYPTO_APP])
		quic_crypto_prepare_update(qs->crypto[QUIC_CRYPTO_APP]);
	if (test_and_clear_bit(QUIC_WORK_DISCARD, &qs->work_todo))
		quic_conn_free_old_keys(sk);
	return restarted;
}

/**
 * quic_conn_key_updated - the peer moved to a new key phase
 * @sk: the connection
 */
void quic_conn_key_updated(struct sock *sk)
{
	u8 phase = quic_key_phase(quic_sk(sk));

	quic_sock_assert_locked(sk);
	quic_event_deliver(sk, QUIC_EVENT_KEY_UPDATE, &phase, sizeof(phase));
	quic_work_queue(sk, QUIC_WORK_KEYS);
}

/**
 * quic_conn_retry_rcv - a client received a Retry
 * @sk: the connection, locked
 * @info: the parsed packet
 * @p: the packet
 *
 * RFC 9000 section 17.2.5.2: one Retry is taken, and only before any
 * other packet from the server; its integrity tag (RFC 9001 section 5.8)
 * must check out against the ID our first Initial went to.  From then on
 * Initial packets go to the Retry's Source Connection ID with its token.
 */
void quic_conn_retry_rcv(struct sock *sk, const struct quic_packet_info *info, const u8 *p)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto *c = qs->crypto[QUIC_CRYPTO_INITIAL];
	u32 len = info->len - QUIC_TAG_LEN;
	struct quic_cid_entry *d;
	u8 tag[QUIC_TAG_LEN];
	u8 *token;

	quic_sock_assert_locked(sk);
	if (!c || qs->is_server || qs->retried || qs->peer_scid_known ||
	    info->version != qs->version || !info->token_len ||
	    info->token_len > QUIC_TOKEN_MAX_LEN)
		return;
	if (quic_crypto_retry_tag(qs->version, qs->odcid.data, qs->odcid.len, p, len, tag) ||
	    crypto_memneq(tag, p + len, QUIC_TAG_LEN))
		return;
	d = quic_cid_active(&qs->dcids);
	token = kmemdup(info->token, info->token_len, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!token || !d) {
		kfree(token);
		return;
	}
	quic_data_free(&qs->token);
	qs->token.data = token;
	qs->token.len = info->token_len;
	memset(&qs->retry_scid, 0, sizeof(qs->retry_scid));
	qs->retry_scid.len = info->scid_len;
	memcpy(qs->retry_scid.data, info->scid, info->scid_len);
	d->cid = qs->retry_scid;
	qs->retried = true;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_RETRY_RCVD);
	/* Nothing goes out or comes in at this level until the new keys. */
	c->tx.ready = false;
	c->rx.ready = false;
	quic_work_queue(sk, QUIC_WORK_RETRY);
}

/**
 * quic_conn_version_rcv - a client received a Version Negotiation packet
 * @sk: the connection, locked
 * @info: the parsed packet
 * @p: the packet
 *
 * RFC 9000 section 6.2: before anything else came from the server, and
 * only if it echoes the ID our first Initial went to and does not list
 * the version we tried.  A client that tried a version we do not speak
 * (the user may ask for any, to see the server's list) starts again,
 * once, in the first of ours the server lists, v1 before v2 (RFC 9368
 * section 2.1); with none of ours the attempt ends.
 */
void quic_conn_version_rcv(struct sock *sk, const struct quic_packet_info *info, const u8 *p)
{
	const u8 *v = info->scid + info->scid_len, *end = p + info->len;
	static const u32 ours[] = { QUIC_VERSION_V1, QUIC_VERSION_V2 };
	struct quic_sock *qs = quic_sk(sk);
	const u8 *w;
	int i;

	quic_sock_assert_locked(sk);
	/* After a Retry the server has answered: VN no longer applies. */
	if (!qs->crypto[QUIC_CRYPTO_INITIAL] || qs->is_server || qs->peer_scid_known ||
	    qs->version_negotiated || qs->retried || v == end ||
	    (end - v) % 4 || info->scid_len != qs->odcid.len ||
	    memcmp(info->scid, qs->odcid.data, info->scid_len))
		return;
	for (w = v; w < end; w += 4)
		if (get_unaligned_be32(w) == qs->version)
			return;
	for (i = 0; i < ARRAY_SIZE(ours); i++) {
		for (w = v; w < end; w += 4) {
			if (get_unaligned_be32(w) != ours[i])
				continue;
			qs->version = ours[i];
			qs->config.version = ours[i];	/* what getsockopt() shows */
			qs->version_negotiated = true;
			/* Nothing goes out at this level until the new keys. */
			qs->crypto[QUIC_CRYPTO_INITIAL]->tx.ready = false;
			qs->crypto[QUIC_CRYPTO_INITIAL]->rx.ready = false;
			quic_work_queue(sk, QUIC_WORK_VERSION);
			return;
		}
	}
	quic_conn_closed(sk, -EPROTONOSUPPORT);
}

/**
 * quic_conn_new_token - QUIC_SOCKOPT_TOKEN on a server: issue a NEW_TOKEN
 * @sk: the connection, locked
 *
 * The token lets the client skip address validation next time (RFC 9000
 * section 8.1.3); only a server issues them, once the handshake is done.
 *
 * Return: 0, -ENOTCONN before the handshake, -EINVAL on a client.
 */
int quic_conn_new_token(struct sock *sk)
{
	int err = quic_conn_queue_token(sk);

	if (!err)
		quic_output_flush(sk);
	return err;
}

/**
 * quic_conn_queue_token - queue a NEW_TOKEN frame for the peer's address
 * @sk: a server connection, locked
 *
 * As quic_conn_new_token(), but the frame waits for the next flush.
 *
 * Return: 0, -ENOTCONN before the handshake, -EINVAL on a client, or
 * the queueing error.
 */
int quic_conn_queue_token(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 token[QUIC_TOKEN_BUF_LEN];
	struct quic_frame fr = {};

	if (!qs->handshake_done || qs->closing)
		return -ENOTCONN;
	if (!qs->is_server)
		return -EINVAL;
	fr.type = QUIC_FRAME_NEW_TOKEN;
	fr.bytes.data = token;
	fr.bytes.len = quic_token_make(token, QUIC_TOKEN_NEW, &qs->peer_addr, NULL);
	return quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr);
}

/**
 * quic_conn_key_update - QUIC_SOCKOPT_KEY_UPDATE: start a key update
 * @sk: the connection, locked
 *
 * RFC 9001 section 6: after the handshake is confirmed, and not again
 * before a packet of the new phase is acknowledged.
 *
 * Return: 0, -ENOTCONN, or -EAGAIN when an update is still in progress.
 */
int quic_conn_key_update(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto *c = qs->crypto[QUIC_CRYPTO_APP];
	int err;

	quic_sock_assert_locked(sk);
	if (!qs->handshake_done || qs->closing || !c)
		return -ENOTCONN;
	if (!qs->confirmed || qs->key_update_pending)
		return -EAGAIN;
	err = quic_crypto_prepare_update(c);
	if (!err)
		err = quic_crypto_key_update(c);
	if (err)
		return err;
	qs->key_update_pending = true;
	qs->key_update_pn = qs->space[QUIC_SPACE_APP].next_pn;
	quic_crypto_prepare_update(c);	/* for the update after this one */
	return 0;
}

/**
 * quic_conn_init - connection state of a new socket
 * @sk: the socket
 */
void quic_conn_init(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int i;

	for (i = 0; i < QUIC_SPACE_MAX; i++)
		quic_space_init(&qs->space[i]);
	quic_cid_set_init(&qs->scids);
	quic_cid_set_init(&qs->dcids);
	quic_cid_set_init(&qs->ocids);
	quic_streams_init(&qs->streams, false);
	quic_params_init(&qs->peer);
	skb_queue_head_init(&qs->reqs);
	skb_queue_head_init(&qs->reqs_0rtt);
	skb_queue_head_init(&qs->early_rcv);
}

/**
 * quic_conn_free - release what a connection holds
 * @sk: the socket, no longer reachable from the receive path
 */
void quic_conn_free(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int i;

	quic_listener_hs_end(sk);
	quic_cid_set_free(&qs->scids, true);
	quic_cid_set_free(&qs->ocids, true);
	quic_cid_set_free(&qs->dcids, false);
	for (i = 0; i < QUIC_SPACE_MAX; i++)
		quic_space_purge(sk, &qs->space[i]);
	for (i = 0; i < QUIC_CRYPTO_MAX; i++)
		quic_conn_keys_free(sk, i);
	quic_streams_free(sk);
	quic_listener_close(sk);
	skb_queue_purge(&qs->early_rcv);
	if (qs->dst_cache_ready) {
		dst_cache_destroy(&qs->dst_cache);
		qs->dst_cache_ready = false;
	}
}

/* Before path MTU discovery, no larger than an Ethernet frame allows */
#define QUIC_MTU_MAX		1500
/* The transmit path writes a long header's Length in 2 bytes. */
static_assert(QUIC_MTU_MAX < 16384 && QUIC_PMTU_MAX < 16384);

/**
 * quic_conn_set_mss - the largest UDP payload the route allows, within
 *	both sides' limits, on a new path or with the peer's limit
 * @sk: the connection, with its addresses set
 *
 * The path MTU search starts over from there.
 */
void quic_conn_set_mss(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->mss = max_t(u32, quic_route_max_payload(sk, QUIC_MTU_MAX), QUIC_MIN_DATAGRAM);
	quic_cong_set_mss(&qs->cong, qs->mss);
	quic_pmtu_init(&qs->pmtu, qs->config.plpmtud_probe_interval, qs->mss);
}

static int quic_conn_dst_cache(struct quic_sock *qs)
{
	int err;

	if (qs->dst_cache_ready)
		return 0;
	err = dst_cache_init(&qs->dst_cache, GFP_KERNEL);
	if (!err)
		qs->dst_cache_ready = true;
	return err;
}

/* Common to both sides once the addresses are known. */
static int quic_conn_start(struct sock *sk, bool is_server)
{
	struct quic_sock *qs = quic_sk(sk);
	int err;

	err = quic_conn_dst_cache(qs);
	if (err)
		return err;
	qs->is_server = is_server;
	qs->streams.is_server = is_server;
	qs->grease = qs->local.grease_quic_bit;
	qs->idle_timeout = qs->local.max_idle_timeout;
	quic_rtt_init(&qs->rtt, qs->config.initial_smoothed_rtt, QUIC_MAX_ACK_DELAY_US);
	quic_cong_init(&qs->cong, qs->config.congestion_control_algo, 1200);
	quic_ecn_init(&qs->ecn, READ_ONCE(quic_net(sock_net(sk))->ecn));
	qs->mss = 1200;
	quic_conn_set_mss(sk);
	inet_sk_set_state(sk, TCP_SYN_RECV);
	quic_idle_timer_arm(sk, quic_now());
	return 0;
}

/**
 * quic_conn_set_peer_inet - the peer's address as getpeername() shows it
 * @sk: the connection
 * @a: the address packets go to
 */
void quic_conn_set_peer_inet(struct sock *sk, const union quic_addr *a)
{
	struct inet_sock *inet = inet_sk(sk);

	if (a->sa.sa_family == AF_INET) {
		inet->inet_daddr = a->v4.sin_addr.s_addr;
		inet->inet_dport = a->v4.sin_port;
#if IS_ENABLED(CONFIG_IPV6)
		if (sk->sk_family == AF_INET6)
			ipv6_addr_set_v4mapped(inet->inet_daddr, &sk->sk_v6_daddr);
#endif
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	sk->sk_v6_daddr = a->v6.sin6_addr;
	inet->inet_daddr = LOOPBACK4_IPV6;
	inet->inet_dport = a->v6.sin6_port;
#endif
}

/* Like a UDP or TCP connect(), a wildcard bound socket takes the source
 * address of the route to the peer, for getsockname() and for sending.
 */
static int quic_conn_pick_saddr(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	union quic_addr saddr;
	int err;

	err = quic_conn_dst_cache(qs);
	if (err)
		return err;
	err = quic_route_saddr(sk, &saddr);
	if (err)
		return err;
	qs->local_addr = saddr;
	quic_conn_set_local_inet(sk, &saddr);
	return 0;
}

static void quic_params_from_tp(struct quic_params *p, const struct quic_transport_param *t);

/* RFC 9000 section 7.4.1: with the server's parameters remembered from
 * an earlier connection (QUIC_SOCKOPT_TRANSPORT_PARAM with .remote set),
 * a client may open streams and send before the handshake: the data
 * goes out in 0-RTT packets once the 0-RTT key is installed.
 */
static int quic_conn_early_setup(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int err;

	quic_params_from_tp(&qs->peer, &qs->remote);
	err = quic_streams_set_limits(sk);
	if (!err)
		qs->early_ok = true;
	return err;
}

/**
 * quic_conn_connect - start a client connection (nothing is sent yet)
 * @sk: the socket, bound
 * @peer: the server
 *
 * Picks the connection IDs and installs the Initial keys (RFC 9001
 * section 5.2); the ClientHello comes from user space.
 *
 * Return: 0 or a negative errno.
 */
int quic_conn_connect(struct sock *sk, const union quic_addr *peer)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e;
	int err;

	qs->peer_addr = *peer;
	qs->local_addr = qs->udp->addr;
	qs->version = qs->config.version;
	quic_conn_set_peer_inet(sk, peer);
	err = quic_conn_pick_saddr(sk);
	if (err)
		return err;

	quic_cid_random(&qs->odcid, QUIC_CID_LEN);
	if (!quic_cid_add_dest(sk, &qs->dcids, 0, &qs->odcid, NULL))
		return -ENOMEM;
	e = quic_cid_add_source(sk, &qs->scids, NULL, GFP_KERNEL);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = quic_conn_initial_keys(sk, qs->version, &qs->odcid, false);
	if (err)
		return err;
	WRITE_ONCE(sk->sk_shutdown, 0);	/* a shutdown() before connect() */
	if (qs->remote_given) {
		err = quic_conn_early_setup(sk);	/* may fail: before the start */
		if (err)
			return err;
	}
	return quic_conn_start(sk, false);
}

/**
 * quic_conn_reconfigure - settings changed between connect() or accept()
 *	and the handshake
 * @sk: the connection, locked, with nothing sent in the handshake yet
 *
 * What quic_conn_start() took from them is taken again; a client that
 * asks for another version gets that version's Initial keys, and one
 * given the server's parameters only now may still send 0-RTT data.
 *
 * Return: 0 or a negative errno.
 */
int quic_conn_reconfigure(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int err;

	if (!qs->is_server && qs->version != qs->config.version) {
		err = -EINVAL;
		if (!qs->space[QUIC_SPACE_INITIAL].keys_discarded)
			err = quic_conn_initial_keys(sk, qs->config.version,
						     &qs->odcid, false);
		if (err) {
			qs->config.version = qs->version;
			return err;
		}
		qs->version = qs->config.version;
	}
	if (!qs->is_server && qs->remote_given && !qs->early_ok) {
		err = quic_conn_early_setup(sk);
		if (err)
			return err;
	}
	qs->grease = qs->local.grease_quic_bit;
	qs->idle_timeout = qs->local.max_idle_timeout;
	quic_rtt_init(&qs->rtt, qs->config.initial_smoothed_rtt, QUIC_MAX_ACK_DELAY_US);
	quic_cong_init(&qs->cong, qs->config.congestion_control_algo, 1200);
	quic_conn_set_mss(sk);
	quic_idle_timer_arm(sk, quic_now());
	return 0;
}

/**
 * quic_conn_set_local_inet - our address as getsockname() shows it
 * @sk: the connection
 * @a: the address packets leave from
 */
void quic_conn_set_local_inet(struct sock *sk, const union quic_addr *a)
{
	struct inet_sock *inet = inet_sk(sk);

	inet->inet_sport = a->v4.sin_port;
	inet->inet_num = ntohs(inet->inet_sport);
	if (a->sa.sa_family == AF_INET) {
		inet->inet_saddr = a->v4.sin_addr.s_addr;
		inet->inet_rcv_saddr = a->v4.sin_addr.s_addr;
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	sk->sk_v6_rcv_saddr = a->v6.sin6_addr;
	inet6_sk(sk)->saddr = a->v6.sin6_addr;
#endif
}

/* The ID the client chose for its first Initial, as the key we kept the
 * datagram under on the listener.
 */
static bool quic_skb_odcid(const struct sk_buff *skb, struct quic_cid *cid)
{
	struct quic_packet_info info;

	if (quic_packet_parse(skb->data, skb->len, 0, false, &info))
		return false;
	memset(cid, 0, sizeof(*cid));
	cid->len = info.dcid_len;
	memcpy(cid->data, info.dcid, info.dcid_len);
	return true;
}

static bool quic_cid_eq(const struct quic_cid *a, const struct quic_cid *b)
{
	return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

/* A token the client echoed (RFC 9000 section 8.1): ours and valid, it
 * validates the address; from a Retry, it also holds the original ID.
 */
static void quic_conn_check_token(struct sock *sk, const struct quic_packet_info *info,
				  const struct quic_cid *first)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid odcid;
	int type;

	if (!info->token_len)
		return;
	type = quic_token_check(info->token, info->token_len, &qs->peer_addr, &odcid);
	if (type < 0) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_TOKEN_INVALID);
		return;
	}
	qs->addr_validated = true;
	if (type == QUIC_TOKEN_RETRY) {
		qs->odcid = odcid;
		qs->retry_scid = *first;
		qs->retried = true;
	}
}

/**
 * quic_conn_accept - set up a server connection from a client's Initial
 * @sk: the new socket
 * @lsk: the listener it comes from
 * @skb: the first datagram
 * @odcid: returns the ID the client's first Initial went to
 *
 * The connection is set up but @skb is not processed: the caller hands it
 * and @odcid to quic_packet_rcv_first().
 *
 * Return: 0, or a negative errno with @skb consumed.
 */
int quic_conn_accept(struct sock *sk, struct sock *lsk, struct sk_buff *skb,
		     struct quic_cid *odcid)
{
	struct quic_sock *qs = quic_sk(sk), *lqs = quic_sk(lsk);
	struct quic_packet_info info;
	struct quic_cid first, cid;
	struct quic_cid_entry *e;
	int err = -EINVAL;

	first.len = 0;
	if (quic_packet_parse(skb->data, skb->len, 0, false, &info))
		goto out;
	qs->udp = lqs->udp;
	quic_udp_sock_hold(qs->udp);
	if (lqs->path.pref_udp) {	/* the listener's preferred address */
		qs->path.pref_udp = lqs->path.pref_udp;
		quic_udp_sock_hold(qs->path.pref_udp);
		qs->path.pref_local = lqs->path.pref_local;
	}
	quic_addr_from_skb(skb, &qs->peer_addr, &qs->local_addr);
	if (qs->local_addr.sa.sa_family != sk->sk_family)
		goto out;
	quic_conn_set_local_inet(sk, &qs->local_addr);
	quic_conn_set_peer_inet(sk, &qs->peer_addr);
	qs->version = info.version;
	qs->config.version = info.version;	/* what getsockopt() shows */

	/* The Initial keys come from the ID this Initial went to; after a
	 * Retry the original one is in the token (RFC 9000 section 7.3).
	 */
	quic_skb_odcid(skb, &first);
	qs->odcid = first;
	quic_conn_check_token(sk, &info, &first);
	memset(&cid, 0, sizeof(cid));
	cid.len = info.scid_len;
	memcpy(cid.data, info.scid, info.scid_len);
	qs->peer_scid = cid;
	qs->peer_scid_known = true;
	err = -ENOMEM;
	if (!quic_cid_add_dest(sk, &qs->dcids, 0, &cid, NULL))
		goto out;
	e = quic_cid_add_source(sk, &qs->scids, NULL, GFP_KERNEL);
	if (IS_ERR(e)) {
		err = PTR_ERR(e);
		goto out;
	}
	/* Until the client switches to our ID it keeps using its own. */
	e = quic_cid_add_source(sk, &qs->ocids, &first, GFP_KERNEL);
	if (IS_ERR(e)) {
		err = PTR_ERR(e);
		goto out;
	}
	err = quic_conn_initial_keys(sk, qs->version, &first, true);
	if (!err)
		err = quic_conn_start(sk, true);
	if (err)
		goto out;

	quic_listener_hs_begin(sk);
	*odcid = first;
	return 0;
out:
	if (first.len)
		quic_listener_take(lsk, NULL, &first);
	kfree_skb(skb);
	return err;
}

static void quic_tp_from_params(struct quic_transport_param *t, const struct quic_params *p)
{
	t->remote = 1;
	t->disable_active_migration = p->disable_active_migration;
	t->grease_quic_bit = p->grease_quic_bit;
	t->disable_1rtt_encryption = p->disable_1rtt_encryption;
	t->active_connection_id_limit = min_t(u64, p->active_connection_id_limit, U8_MAX);
	t->ack_delay_exponent = p->ack_delay_exponent;
	t->max_datagram_frame_size = min_t(u64, p->max_datagram_frame_size, U16_MAX);
	t->max_udp_payload_size = min_t(u64, p->max_udp_payload_size, U16_MAX);
	t->max_idle_timeout = min_t(u64, p->max_idle_timeout, U32_MAX / USEC_PER_MSEC) *
			      USEC_PER_MSEC;
	t->max_ack_delay = p->max_ack_delay * USEC_PER_MSEC;
	t->max_streams_bidi = min_t(u64, p->max_streams_bidi, U16_MAX);
	t->max_streams_uni = min_t(u64, p->max_streams_uni, U16_MAX);
	t->max_data = p->max_data;
	t->max_stream_data_bidi_local = p->max_stream_data_bidi_local;
	t->max_stream_data_bidi_remote = p->max_stream_data_bidi_remote;
	t->max_stream_data_uni = p->max_stream_data_uni;
}

static void quic_params_from_tp(struct quic_params *p, const struct quic_transport_param *t)
{
	quic_params_init(p);
	p->max_idle_timeout = t->max_idle_timeout / USEC_PER_MSEC;
	p->max_udp_payload_size = t->max_udp_payload_size;
	p->max_data = t->max_data;
	p->max_stream_data_bidi_local = t->max_stream_data_bidi_local;
	p->max_stream_data_bidi_remote = t->max_stream_data_bidi_remote;
	p->max_stream_data_uni = t->max_stream_data_uni;
	p->max_streams_bidi = t->max_streams_bidi;
	p->max_streams_uni = t->max_streams_uni;
	p->ack_delay_exponent = t->ack_delay_exponent;
	p->max_ack_delay = t->max_ack_delay / USEC_PER_MSEC;
	p->active_connection_id_limit = t->active_connection_id_limit;
	p->max_datagram_frame_size = t->max_datagram_frame_size;
	p->disable_active_migration = t->disable_active_migration;
	p->grease_quic_bit = t->grease_quic_bit;
	p->disable_1rtt_encryption = t->disable_1rtt_encryption;
}

/* RFC 9000 sections 9.6 and 18.2: a server's preferred address, in the
 * field of its family, with a connection ID of its own, whose sequence
 * number is 1, and that ID's Stateless Reset Token.
 */
static int quic_conn_pref_params(struct sock *sk, struct quic_params *p)
{
	struct quic_sock *qs = quic_sk(sk);
	const union quic_addr *a = &qs->path.pref_local;
	struct quic_cid_entry *e;

	e = quic_cid_find(&qs->scids, 1);
	if (!e) {
		e = quic_cid_add_source(sk, &qs->scids, NULL, GFP_KERNEL_ACCOUNT);
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	if (e->seq != 1)	/* retired already: a second read, too late */
		return -EINVAL;
	if (a->sa.sa_family == AF_INET)
		p->pref_v4 = a->v4;
	else
		p->pref_v6 = a->v6;
	p->pref_cid = e->cid;
	memcpy(p->pref_token, e->reset_token, QUIC_RESET_TOKEN_LEN);
	p->has |= QUIC_PARAM_HAS_PREFERRED_ADDR;
	return 0;
}

/**
 * quic_conn_get_params_ext - our transport parameters extension
 * @sk: the connection, set up by connect() or accept()
 * @buf: where to
 * @len: its size
 *
 * Return: the length written, or a negative errno.
 */
int quic_conn_get_params_ext(struct sock *sk, u8 *buf, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e = quic_cid_active(&qs->scids);
	struct quic_params p;

	if (!e)
		return -ENOTCONN;
	qs->params_announced = true;
	quic_params_from_tp(&p, &qs->local);
	p.initial_scid = e->cid;
	p.has |= QUIC_PARAM_HAS_INITIAL_SCID;
	/* We take ACK_FREQUENCY and IMMEDIATE_ACK from any peer. */
	p.min_ack_delay = quic_min_ack_delay(qs);
	p.has |= QUIC_PARAM_HAS_MIN_ACK_DELAY;
	if (qs->is_server) {	/* RFC 9000 section 7.3 */
		p.original_dcid = qs->odcid;
		memcpy(p.reset_token, e->reset_token, QUIC_RESET_TOKEN_LEN);
		p.has |= QUIC_PARAM_HAS_ORIGINAL_DCID | QUIC_PARAM_HAS_RESET_TOKEN;
		if (qs->retried) {
			p.retry_scid = qs->retry_scid;
			p.has |= QUIC_PARAM_HAS_RETRY_SCID;
		}
		if (qs->path.pref_udp) {
			int err = quic_conn_pref_params(sk, &p);

			if (err)
				return err;
		}
	}
	return quic_params_encode(&p, buf, len);
}

/**
 * quic_conn_set_params_ext - the peer's transport parameters extension
 * @sk: the connection
 * @buf: the extension body
 * @len: its length
 *
 * The connection IDs the parameters repeat must be the ones the packets
 * carried (RFC 9000 section 7.3).
 *
 * Return: 0, or -EINVAL after closing with TRANSPORT_PARAMETER_ERROR.
 */
int quic_conn_set_params_ext(struct sock *sk, const u8 *buf, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_params p;
	u64 idle;
	bool ok;

	if (qs->peer_params_set)
		return -EINVAL;
	ok = !quic_params_decode(buf, len, !qs->is_server, &p) &&
	     (p.has & QUIC_PARAM_HAS_INITIAL_SCID) &&
	     quic_cid_eq(&p.initial_scid, &qs->peer_scid);
	if (ok && !qs->is_server)
		ok = (p.has & QUIC_PARAM_HAS_ORIGINAL_DCID) &&
		     quic_cid_eq(&p.original_dcid, &qs->odcid) &&
		     !!(p.has & QUIC_PARAM_HAS_RETRY_SCID) == qs->retried &&
		     (!qs->retried || quic_cid_eq(&p.retry_scid, &qs->retry_scid));
	/* Unprotected 1-RTT packets only when both ends asked for them:
	 * neither may get them, nor send them, by the other's choice alone.
	 */
	if (ok)
		ok = p.disable_1rtt_encryption == !!qs->local.disable_1rtt_encryption;
	/* Section 18.2: no preferred address with zero-length IDs */
	if (ok && (p.has & QUIC_PARAM_HAS_PREFERRED_ADDR))
		ok = qs->peer_scid.len;
	if (!ok) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM, 0);
		return -EINVAL;
	}
	qs->peer = p;
	qs->peer_params_set = true;
	quic_tp_from_params(&qs->remote, &p);
	if (p.has & QUIC_PARAM_HAS_RESET_TOKEN)
		quic_cid_set_token(sk, quic_cid_active(&qs->dcids), p.reset_token);
	/* RFC 9000 section 5.1.1: the preferred address's ID is number 1 */
	if ((p.has & QUIC_PARAM_HAS_PREFERRED_ADDR) &&
	    !quic_cid_add_dest(sk, &qs->dcids, 1, &p.pref_cid, p.pref_token)) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_INTERNAL, 0);
		return -ENOMEM;
	}
	/* RFC 9000 section 10.1: the smaller of the two, 0 meaning none;
	 * the peer's value is a varint, in milliseconds: clamp it before
	 * it is scaled, so it cannot wrap.
	 */
	idle = min_t(u64, p.max_idle_timeout, U32_MAX) * USEC_PER_MSEC;
	if (idle && (!qs->idle_timeout || idle < qs->idle_timeout))
		qs->idle_timeout = idle;
	qs->rtt.max_ack_delay = p.max_ack_delay * USEC_PER_MSEC;
	quic_conn_set_mss(sk);
	if (quic_streams_set_limits(sk)) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_INTERNAL, 0);
		return -ENOMEM;
	}
	return 0;
}

/* Offer the peer more of our connection IDs (RFC 9000 section 5.1.1). */
static void quic_conn_issue_cids(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 limit = min_t(u64, qs->peer.active_connection_id_limit, QUIC_CID_ISSUE);
	struct quic_frame fr = {};
	struct quic_cid_entry *e;

	while (qs->scids.count < limit) {
		e = quic_cid_add_source(sk, &qs->scids, NULL, GFP_ATOMIC);
		if (IS_ERR(e))
			return;
		fr.type = QUIC_FRAME_NEW_CONNECTION_ID;
		fr.new_cid.seq = e->seq;
		fr.new_cid.retire_prior_to = qs->scids.retire_prior_to;
		fr.new_cid.len = e->cid.len;
		fr.new_cid.id = e->cid.data;
		fr.new_cid.token = e->reset_token;
		if (quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr))
			return;
	}
}

/**
 * quic_conn_confirmed - the handshake is confirmed (RFC 9001 4.1.2)
 * @sk: the connection
 *
 * Handshake keys go (section 4.9.2); a server stops answering to the
 * client's original Destination Connection ID.
 */
void quic_conn_confirmed(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (qs->confirmed)
		return;
	qs->confirmed = true;
	qs->addr_validated = true;
	quic_space_discard(sk, QUIC_SPACE_INITIAL);
	quic_space_discard(sk, QUIC_SPACE_HANDSHAKE);
	quic_cid_set_free(&qs->ocids, true);
}

static void quic_conn_established(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame fr = {};

	WRITE_ONCE(qs->handshake_done, true);	/* poll() reads it unlocked */
	inet_sk_set_state(sk, TCP_ESTABLISHED);
	/* 0-RTT data waited for the handshake, which it must not mix with. */
	skb_queue_splice_tail_init(&qs->early_rcv, &sk->sk_receive_queue);
	/* Keys for the peer's first key update, computed while we may sleep */
	quic_crypto_prepare_update(qs->crypto[QUIC_CRYPTO_APP]);
	if (qs->is_server) {
		quic_listener_hs_end(sk);
		fr.type = QUIC_FRAME_HANDSHAKE_DONE;
		quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr);
		quic_conn_confirmed(sk);
	}
	quic_conn_issue_cids(sk);
	if (qs->crypto[QUIC_CRYPTO_EARLY])
		quic_work_queue(sk, QUIC_WORK_DISCARD);	/* 0-RTT keys go */
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
}

/**
 * quic_conn_set_secret - install keys from the TLS handshake
 * @sk: the connection
 * @s: the secret, its level, direction and cipher suite
 *
 * Both 1-RTT secrets complete the handshake for the kernel.  The caller
 * then processes the packets that arrived early for the level
 * (quic_packets_replay()) and flushes.
 *
 * Return: 0 or a negative errno.
 */
int quic_conn_set_secret(struct sock *sk, const struct quic_crypto_secret *s)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto *c;
	int err;

	if (sk->sk_state != TCP_SYN_RECV)
		return sk->sk_state == TCP_ESTABLISHED ? -EINVAL : -ENOTCONN;
	if (s->level != QUIC_CRYPTO_APP && s->level != QUIC_CRYPTO_HANDSHAKE &&
	    s->level != QUIC_CRYPTO_EARLY)
		return -EINVAL;
	/* Not again for a level whose keys went (or go) for good. */
	if (qs->space[quic_level_space(s->level)].keys_discarded ||
	    (s->level == QUIC_CRYPTO_EARLY && qs->handshake_done))
		return -EINVAL;
	c = qs->crypto[s->level];
	if (c && (s->send ? c->tx.ready : c->rx.ready))
		return -EINVAL;
	/* Whether 1-RTT packets go unprotected is settled by the peer's
	 * parameters, which the handshake delivers before these keys.
	 */
	if (s->level == QUIC_CRYPTO_APP && qs->local.disable_1rtt_encryption &&
	    !qs->peer_params_set)
		return -EINVAL;
	c = quic_conn_keys_alloc(sk, s->level);
	if (!c)
		return -ENOMEM;
	if (s->level == QUIC_CRYPTO_APP)
		c->plain = qs->local.disable_1rtt_encryption &&
			   qs->peer.disable_1rtt_encryption;
	err = quic_crypto_set_secret(c, qs->version, s->type, s->secret, s->send);
	if (err)
		return err;
	if (s->level == QUIC_CRYPTO_APP && c->tx.ready && c->rx.ready)
		quic_conn_established(sk);
	return 0;
}

/**
 * quic_conn_next_dcid - send to the peer's next connection ID from now on
 * @sk: the connection, locked
 *
 * RFC 9000 section 9.5: packets from a new local address carry an ID not
 * used before; the one in use is retired.  A peer that uses zero-length
 * IDs has only that one.
 *
 * Return: 0, -EAGAIN when the peer gave no other, -ENOBUFS.
 */
int quic_conn_next_dcid(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e = quic_cid_active(&qs->dcids);
	struct quic_frame fr = {};

	quic_sock_assert_locked(sk);
	if (e && !e->cid.len)
		return 0;	/* zero-length: there is nothing to change */
	if (!e || qs->dcids.count < 2)
		return -EAGAIN;
	fr.type = QUIC_FRAME_RETIRE_CONNECTION_ID;
	fr.value = e->seq;
	if (quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr))
		return -ENOBUFS;
	quic_cid_remove(&qs->dcids, e, false);
	return 0;
}

static int quic_conn_retire_dest(struct sock *sk, u64 prior_to)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e, *tmp;
	struct quic_frame fr = {};
	int err = 0;

	list_for_each_entry_safe(e, tmp, &qs->dcids.list, list) {
		if (e->seq >= prior_to)
			break;
		fr.type = QUIC_FRAME_RETIRE_CONNECTION_ID;
		fr.value = e->seq;
		/* An ID is forgotten only once its retirement is queued
		 * (RFC 9000 section 5.1.2); the rest go when the frame that
		 * asked comes again.
		 */
		err = quic_frame_queue(sk, QUIC_CRYPTO_APP, &fr);
		if (err) {
			prior_to = e->seq;
			break;
		}
		quic_cid_remove(&qs->dcids, e, false);
	}
	qs->dcids.retire_prior_to = prior_to;
	return err ? -ENOBUFS : 0;
}

/**
 * quic_conn_new_cid_rcv - NEW_CONNECTION_ID arrived (RFC 9000 19.15)
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * Return: 0, -EPROTO with @errcode, or -ENOBUFS/-ENOMEM to drop the
 * packet without acknowledging it.
 */
int quic_conn_new_cid_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e;
	struct quic_cid cid = {};
	int err;

	quic_sock_assert_locked(sk);
	if (!qs->peer_scid.len) {	/* zero-length IDs cannot have others */
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	/* Retirements it asks for are frames the peer makes us queue. */
	if (!quic_frame_reply_room(sk))
		return -ENOBUFS;
	if (f->new_cid.seq < qs->dcids.retire_prior_to) {
		struct quic_frame fr = { .type = QUIC_FRAME_RETIRE_CONNECTION_ID };

		fr.value = f->new_cid.seq;	/* section 19.15: retire at once */
		return quic_frame_queue_reply(sk, QUIC_CRYPTO_APP, &fr);
	}
	if (!quic_cid_find(&qs->dcids, f->new_cid.seq)) {	/* not a repeat */
		cid.len = f->new_cid.len;
		memcpy(cid.data, f->new_cid.id, cid.len);
		if (!quic_cid_add_dest(sk, &qs->dcids, f->new_cid.seq, &cid, f->new_cid.token))
			return -ENOMEM;
	}
	if (f->new_cid.retire_prior_to > qs->dcids.retire_prior_to) {
		err = quic_conn_retire_dest(sk, f->new_cid.retire_prior_to);
		if (err)
			return err;	/* unacknowledged: the peer sends it again */
	}
	if (qs->dcids.count > qs->local.active_connection_id_limit) {
		*errcode = QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT;
		return -EPROTO;
	}
	e = quic_cid_active(&qs->dcids);
	if (e && e->seq >= qs->dcids.retire_prior_to)
		dst_cache_reset(&qs->dst_cache);
	return 0;
}

/**
 * quic_conn_retire_cid_rcv - RETIRE_CONNECTION_ID arrived (RFC 9000 19.16)
 * @sk: the connection
 * @f: the frame
 * @errcode: transport error when the frame breaks the rules
 *
 * A retired ID is replaced by a new one.
 *
 * Return: 0 or -EPROTO with @errcode.
 */
int quic_conn_retire_cid_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *e;

	quic_sock_assert_locked(sk);
	if (f->value >= qs->scids.next_seq) {
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	e = quic_cid_find(&qs->scids, f->value);
	if (!e || qs->scids.count == 1)
		return 0;
	/* Its replacement is a frame the peer makes us queue. */
	if (!quic_frame_reply_room(sk))
		return -ENOBUFS;
	quic_cid_remove(&qs->scids, e, true);
	quic_conn_issue_cids(sk);
	return 0;
}
