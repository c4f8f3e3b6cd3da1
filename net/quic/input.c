// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The receive path: a datagram from the UDP tunnel finds its connection
 * by Destination Connection ID (or a listener, for a new connection),
 * then each coalesced packet is unprotected, checked and its frames are
 * handed to the part of the stack that owns them.
 */

#include <linux/slab.h>
#include <linux/unaligned.h>
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/sock.h>
#include <net/udp.h>

#include "close.h"
#include "conn.h"
#include "input.h"
#include "listen.h"
#include "mib.h"
#include "output.h"
#include "packet.h"
#include "path.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"
#include "timer.h"
#include "token.h"
#include "udp.h"
#include "wire.h"

#define QUIC_CRYPTO_BUF_MAX	65536	/* CRYPTO data held ahead of a gap */

/* The ECN field of the datagram's IP header (RFC 9000 section 13.4.1) */
static u8 quic_skb_ecn(const struct sk_buff *skb)
{
	if (ip_hdr(skb)->version == 4)
		return ip_hdr(skb)->tos & INET_ECN_MASK;
	return ipv6_get_dsfield(ipv6_hdr(skb)) & INET_ECN_MASK;
}

/* Count the ECN field of a packet processed (RFC 9000 section 13.4.1);
 * one that met congestion on the way is acknowledged at once (13.2.1).
 */
static void quic_packet_ecn_rcvd(struct sock *sk, struct quic_space *s, u8 ecn)
{
	struct quic_sock *qs = quic_sk(sk);

	if (ecn == INET_ECN_NOT_ECT)
		return;
	if (!quic_ecn_rcvd(&qs->ecn, s - qs->space, ecn)) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_ECT_RCVD);
		return;
	}
	s->ack_immediate = true;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_CE_RCVD);
}

/**
 * quic_udp_rcv - the UDP tunnel's encap_rcv: one datagram arrived
 * @usk: the UDP socket
 * @skb: the datagram, data at the UDP header
 *
 * Return: 0, the datagram is always consumed.
 */
int quic_udp_rcv(struct sock *usk, struct sk_buff *skb)
{
	struct quic_udp_sock *us;
	const u8 *dcid;
	struct sock *sk;
	u8 dcid_len;

	/* Packets are unprotected in place: the data must be ours alone. */
	if (skb_linearize(skb) || skb_ensure_writable(skb, skb->len))
		goto drop;
	__skb_pull(skb, sizeof(struct udphdr));
	memset(skb->cb, 0, sizeof(skb->cb));
	QUIC_PKT_CB(skb)->time = quic_now();
	QUIC_PKT_CB(skb)->ecn = quic_skb_ecn(skb);
	if (!quic_packet_dcid(skb->data, skb->len, QUIC_CID_LEN, &dcid, &dcid_len))
		goto drop;

	rcu_read_lock();
	sk = quic_cid_lookup(sock_net(usk), dcid, dcid_len);
	if (!sk && !(skb->data[0] & QUIC_HEADER_FORM_LONG)) {
		/* A Stateless Reset for us, or a packet for a connection
		 * we lost: answer it with one (RFC 9000 section 10.3).
		 */
		sk = quic_cid_reset_lookup(sock_net(usk), skb);
		if (!sk) {
			rcu_read_unlock();
			quic_reset_send(usk, skb);
			goto drop;
		}
	}
	if (!sk) {
		us = rcu_dereference_sk_user_data(usk);
		if (us)
			quic_listener_rcv(usk, us, skb);
		else
			kfree_skb(skb);
		rcu_read_unlock();
		return 0;
	}
	rcu_read_unlock();

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		quic_packet_rcv(sk, skb);
	else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf)))
		kfree_skb(skb);
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

/* The bytes of a quoted long header up to its Source Connection ID. */
#define QUIC_ICMP_QUOTE_MAX	(1 + 4 + 1 + QUIC_CONN_ID_MAX_LEN + 1 + QUIC_CONN_ID_MAX_LEN)

/**
 * quic_udp_err - the UDP tunnel's encap_err_rcv: an ICMP error arrived
 * @usk: the UDP tunnel socket the quoted datagram left from
 * @skb: the ICMP message
 * @err: the errno the IP layer made of it
 * @port: the quoted datagram's destination port
 * @info: the ICMP message's info field
 * @payload: the quoted UDP payload: a packet of ours, as much as quoted
 *
 * Only long header packets name our connection: by their Source
 * Connection ID, 64 random bits that an off-path attacker does not see
 * (RFC 9000 section 14.2.1 asks that ICMP be validated); they are the
 * handshake's, which is where an error matters.  Called in softirq; a
 * socket its owner holds takes the error when released.
 */
void quic_udp_err(struct sock *usk, struct sk_buff *skb, int err, __be16 port,
		  u32 info, u8 *payload)
{
	int off = payload - skb->data, len = skb->len - off;
	u8 buf[QUIC_ICMP_QUOTE_MAX], dcid_len, scid_len;
	struct sock *sk;
	const u8 *p;

	if (off < 0 || len < 7)
		return;
	p = skb_header_pointer(skb, off, min_t(int, len, sizeof(buf)), buf);
	if (!p || !(p[0] & QUIC_HEADER_FORM_LONG))
		return;
	len = min_t(int, len, sizeof(buf));
	dcid_len = p[5];
	if (dcid_len > QUIC_CONN_ID_MAX_LEN || len < 7 + dcid_len)
		return;
	scid_len = p[6 + dcid_len];
	if (scid_len > QUIC_CONN_ID_MAX_LEN || len < 7 + dcid_len + scid_len)
		return;

	rcu_read_lock();
	sk = quic_cid_lookup(sock_net(usk), p + 7 + dcid_len, scid_len);
	rcu_read_unlock();
	if (!sk)
		return;
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		quic_conn_icmp_err(sk, err);
	} else {		/* as TCP keeps it for its owner */
		WRITE_ONCE(sk->sk_err_soft, err);
		set_bit(QUIC_DEFER_ICMP, &quic_sk(sk)->deferred);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

static u8 quic_packet_level(u8 type)
{
	switch (type) {
	case QUIC_PACKET_INITIAL:
		return QUIC_CRYPTO_INITIAL;
	case QUIC_PACKET_HANDSHAKE:
		return QUIC_CRYPTO_HANDSHAKE;
	case QUIC_PACKET_0RTT:
		return QUIC_CRYPTO_EARLY;
	}
	return QUIC_CRYPTO_APP;
}

#define QUIC_TICKET_MAX		4096	/* a NewSessionTicket message we keep */
#define QUIC_TLS_NEW_SESSION_TICKET	4

/* Take the complete messages at the head of @qs->ticket_rx. */
static void quic_ticket_messages(struct quic_sock *qs)
{
	u8 *buf = qs->ticket_rx, *t;
	u32 mlen;

	while (qs->ticket_rx_len >= 4) {
		mlen = 4 + get_unaligned_be24(buf + 1);
		if (mlen > QUIC_TICKET_MAX) {
			qs->ticket_rx_skip = mlen - qs->ticket_rx_len;
			qs->ticket_rx_len = 0;
			return;
		}
		if (qs->ticket_rx_len < mlen)
			return;
		if (buf[0] == QUIC_TLS_NEW_SESSION_TICKET) {
			t = kmemdup(buf, mlen, GFP_ATOMIC);
			if (t) {
				kfree_sensitive(qs->ticket.data);
				qs->ticket.data = t;
				qs->ticket.len = mlen;
			}
		}
		qs->ticket_rx_len -= mlen;
		memmove(buf, buf + mlen, qs->ticket_rx_len);
	}
}

/* A client that does not read 1-RTT handshake data (it did not set
 * CONFIG.receive_session_ticket) still has the server's last session
 * ticket for QUIC_SOCKOPT_SESSION_TICKET, as programs of the socket API
 * expect after the handshake.  The messages are put together in a buffer
 * of QUIC_TICKET_MAX; a longer one is passed over.
 */
static void quic_ticket_collect(struct sock *sk, const u8 *data, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 n;

	if (!qs->ticket_rx) {
		qs->ticket_rx = kmalloc(QUIC_TICKET_MAX, GFP_ATOMIC);
		if (!qs->ticket_rx)
			return;
	}
	while (len) {
		if (qs->ticket_rx_skip) {
			n = min(len, qs->ticket_rx_skip);
			qs->ticket_rx_skip -= n;
		} else {
			n = min(len, QUIC_TICKET_MAX - qs->ticket_rx_len);
			memcpy(qs->ticket_rx + qs->ticket_rx_len, data, n);
			qs->ticket_rx_len += n;
			quic_ticket_messages(qs);
		}
		data += n;
		len -= n;
	}
}

/* In-order CRYPTO data goes to the user as handshake data of its level;
 * a client only takes 1-RTT CRYPTO data (session tickets) when asked to,
 * and otherwise keeps the last ticket for the socket option.
 */
static int quic_crypto_deliver(struct sock *sk, u8 level, struct quic_crypto_stream *cs,
			       struct sk_buff *skb)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_rcv_cb *cb;
	u64 end;
	int err;

	do {
		cb = QUIC_RCV_CB(skb);
		end = cb->offset + skb->len;
		if (skb->sk)	/* charged: it waited in the tree */
			cs->reasm_mem -= skb->truesize;
		if (end <= cs->recv_off) {
			kfree_skb(skb);		/* all seen already */
			goto next;
		}
		if (level == QUIC_CRYPTO_APP && !qs->config.receive_session_ticket) {
			__skb_pull(skb, cs->recv_off - min(cs->recv_off, cb->offset));
			if (!qs->is_server)
				quic_ticket_collect(sk, skb->data, skb->len);
			cs->recv_off = end;
			kfree_skb(skb);
			goto next;
		}
		/* Charged before the offset moves: data refused now must be
		 * taken when the peer sends it again.
		 */
		err = quic_rcv_charge(sk, skb);
		if (err) {
			kfree_skb(skb);
			return err;
		}
		__skb_pull(skb, cs->recv_off - min(cs->recv_off, cb->offset));
		cs->recv_off = end;
		quic_rcv_enqueue(sk, skb);	/* charged: cannot fail */
next:
		skb = quic_reasm_next(&cs->reasm, cs->recv_off);
	} while (skb);
	return 0;
}

static int quic_crypto_frame_rcv(struct sock *sk, u8 level, const struct quic_frame *f,
				 u32 *errcode)
{
	struct quic_space *s = &quic_sk(sk)->space[quic_level_space(level)];
	struct quic_crypto_stream *cs = &s->crypto;
	u64 end = f->stream.offset + f->stream.len;
	struct sk_buff *skb;
	int err;

	if (end <= cs->recv_off) {
		/* The client sent its Initial data again: it has not seen
		 * our acknowledgment, so probably not our Initial either
		 * (RFC 9002 section 6.2.3).
		 */
		if (level == QUIC_CRYPTO_INITIAL && quic_sk(sk)->is_server)
			quic_timer_hs_resend(sk);
		return 0;
	}
	if (end - cs->recv_off > QUIC_CRYPTO_BUF_MAX) {	/* RFC 9000 7.5 */
		*errcode = QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED;
		return -EPROTO;
	}
	if (f->stream.offset > cs->recv_off &&
	    quic_reasm_holds(&cs->reasm, f->stream.offset, end))
		return 0;	/* a repeat of what waits already */
	skb = alloc_skb(f->stream.len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, f->stream.data, f->stream.len);
	QUIC_RCV_CB(skb)->kind = QUIC_RCV_HANDSHAKE;
	QUIC_RCV_CB(skb)->level = level;
	QUIC_RCV_CB(skb)->offset = f->stream.offset;
	if (f->stream.offset <= cs->recv_off)
		return quic_crypto_deliver(sk, level, cs, skb);

	/* Counted in truesize: before the handshake keys even Initial
	 * packets, whose keys anyone can derive, may bring these.
	 */
	if (cs->reasm_mem + skb->truesize > QUIC_CRYPTO_BUF_MAX) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	err = quic_rcv_charge(sk, skb);
	if (err || !quic_reasm_insert(&cs->reasm, skb)) {
		kfree_skb(skb);
		return err;
	}
	cs->reasm_mem += skb->truesize;
	return 0;
}

static int quic_datagram_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff *skb;

	/* RFC 9221 section 4: only if announced, and no larger; only
	 * DATAGRAM_LEN has a length field.
	 */
	if (1 + f->bytes.len + (f->type == QUIC_FRAME_DATAGRAM_LEN ?
				quic_varint_len(f->bytes.len) : 0) >
	    qs->local.max_datagram_frame_size) {
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	skb = alloc_skb(f->bytes.len, GFP_ATOMIC);
	if (!skb)
		return 0;	/* unreliable: dropping is allowed */
	skb_put_data(skb, f->bytes.data, f->bytes.len);
	QUIC_RCV_CB(skb)->kind = QUIC_RCV_DATAGRAM;
	if (quic_rcv_enqueue(sk, skb))
		kfree_skb(skb);
	return 0;
}

static int quic_new_token_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 *token;

	if (qs->is_server) {	/* RFC 9000 section 19.7 */
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	if (f->bytes.len > QUIC_TOKEN_MAX_LEN)
		return 0;
	token = kmemdup(f->bytes.data, f->bytes.len, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!token)
		return 0;
	kfree_sensitive(qs->token.data);
	qs->token.data = token;
	qs->token.len = f->bytes.len;
	quic_event_deliver(sk, QUIC_EVENT_NEW_TOKEN, token, f->bytes.len);
	return 0;
}

static int quic_close_rcv(struct sock *sk, const struct quic_frame *f)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_close *c = &qs->close;
	u32 n = min_t(u64, f->bytes.len, sizeof(c->phrase) - 1);

	memset(c, 0, sizeof(*c));
	c->errcode = f->close.error;
	c->frame = f->close.frame_type;
	memcpy(c->phrase, f->bytes.data, n);
	quic_event_deliver(sk, QUIC_EVENT_CONNECTION_CLOSE, c,
			   offsetof(struct quic_connection_close, phrase) + n + 1);
	/* RFC 9000 section 10.2.2: draining, nothing more is sent. */
	quic_conn_closed(sk, 0);
	return -ESHUTDOWN;
}

/**
 * struct quic_rx_dgram - what the packets of one datagram showed
 * @moved: one was the newest non-probing 1-RTT packet so far, which
 *	makes the datagram's source the peer's address (RFC 9000 9.3)
 * @challenges: PATH_CHALLENGE frames in @challenge, answered in one
 *	datagram once this one is processed; those past
 *	%QUIC_PATH_RESPONSES go unanswered
 * @challenge: their data
 */
struct quic_rx_dgram {
	bool	moved;
	u8	challenges;
	u8	challenge[QUIC_PATH_RESPONSES][QUIC_PATH_DATA_LEN];
};

/**
 * struct quic_rx_pkt - what the frames of one packet showed
 * @dgram: its datagram's
 * @now: when it arrived (quic_now()), the time its frames use
 * @eliciting: a frame asks for an ACK
 * @non_probing: a frame other than PATH_CHALLENGE, PATH_RESPONSE,
 *	NEW_CONNECTION_ID and PADDING (RFC 9000 section 9.1)
 */
struct quic_rx_pkt {
	struct quic_rx_dgram	*dgram;
	u64			now;
	bool			eliciting;
	bool			non_probing;
};

static bool quic_frame_probing(u64 type)
{
	return type == QUIC_FRAME_PATH_CHALLENGE || type == QUIC_FRAME_PATH_RESPONSE ||
	       type == QUIC_FRAME_NEW_CONNECTION_ID || type == QUIC_FRAME_PADDING;
}

/* The ACK frequency draft, section 4: the peer says how often it wants
 * our ACKs.  A frame older than one taken is ignored; a delay below the
 * min_ack_delay we announced, or not a valid max_ack_delay, is a
 * PROTOCOL_VIOLATION.  A Reordering Threshold above 1 is taken as 1:
 * acknowledging sooner is always allowed.
 */
static int quic_ack_frequency_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_ack_freq *a = &qs->ackf;

	if (f->ack_freq.max_delay >= (1ULL << 14) * USEC_PER_MSEC ||
	    f->ack_freq.max_delay < quic_min_ack_delay(qs)) {
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	if (f->ack_freq.seq < a->rx_seq)
		return 0;
	a->rx_seq = f->ack_freq.seq + 1;
	a->ack_every = min_t(u64, f->ack_freq.threshold, QUIC_ACK_EVERY_MAX - 1) + 1;
	a->max_delay = f->ack_freq.max_delay;
	a->reorder_off = !f->ack_freq.reorder;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ACK_FREQ_RCVD);
	return 0;
}

static int quic_frame_rcv(struct sock *sk, u8 level, const struct quic_frame *f,
			  struct quic_rx_pkt *rx, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);

	switch (f->type) {
	case QUIC_FRAME_PING:
		/* A client probing in an Initial misses our data there. */
		if (level == QUIC_CRYPTO_INITIAL && qs->is_server)
			quic_timer_hs_resend(sk);
		return 0;
	case QUIC_FRAME_IMMEDIATE_ACK:
		qs->space[QUIC_SPACE_APP].ack_immediate = true;
		return 0;
	case QUIC_FRAME_ACK_FREQUENCY:
		return quic_ack_frequency_rcv(sk, f, errcode);
	case QUIC_FRAME_PADDING:
	case QUIC_FRAME_DATA_BLOCKED:
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
		return 0;
	case QUIC_FRAME_PATH_RESPONSE:
		quic_path_response_rcv(sk, f->path_data);
		return 0;
	case QUIC_FRAME_ACK:
	case QUIC_FRAME_ACK_ECN:
		return quic_recovery_on_ack(sk, quic_level_space(level), f, rx->now, errcode);
	case QUIC_FRAME_CRYPTO:
		return quic_crypto_frame_rcv(sk, level, f, errcode);
	case QUIC_FRAME_NEW_TOKEN:
		return quic_new_token_rcv(sk, f, errcode);
	case QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST:
		return quic_stream_rcv_data(sk, f, errcode);
	case QUIC_FRAME_RESET_STREAM:
		return quic_stream_rcv_reset(sk, f, errcode);
	case QUIC_FRAME_STOP_SENDING:
		return quic_stream_rcv_stop(sk, f, errcode);
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		return quic_stream_rcv_blocked(sk, f, errcode);
	case QUIC_FRAME_MAX_DATA:
	case QUIC_FRAME_MAX_STREAM_DATA:
		return quic_stream_rcv_max_data(sk, f, errcode);
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		return quic_stream_rcv_max_streams(sk, f, errcode);
	case QUIC_FRAME_NEW_CONNECTION_ID:
		return quic_conn_new_cid_rcv(sk, f, errcode);
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
		return quic_conn_retire_cid_rcv(sk, f, errcode);
	case QUIC_FRAME_PATH_CHALLENGE: {
		struct quic_rx_dgram *d = rx->dgram;

		if (d->challenges < QUIC_PATH_RESPONSES)
			memcpy(d->challenge[d->challenges++], f->path_data, QUIC_PATH_DATA_LEN);
		return 0;
	}
	case QUIC_FRAME_CONNECTION_CLOSE:
	case QUIC_FRAME_CONNECTION_CLOSE_APP:
		return quic_close_rcv(sk, f);
	case QUIC_FRAME_HANDSHAKE_DONE:
		if (qs->is_server) {	/* RFC 9000 section 19.20 */
			*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
			return -EPROTO;
		}
		quic_conn_confirmed(sk);
		quic_path_use_preferred(sk);
		return 0;
	case QUIC_FRAME_DATAGRAM:
	case QUIC_FRAME_DATAGRAM_LEN:
		return quic_datagram_rcv(sk, f, errcode);
	}
	*errcode = QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return -EPROTO;
}

/* Walk the frames of a decrypted payload.  An empty payload is a
 * PROTOCOL_VIOLATION (RFC 9000 section 12.4).
 */
static int quic_frames_rcv(struct sock *sk, u8 level, const u8 *p, u32 len,
			   struct quic_rx_pkt *rx, u32 *errcode, u64 *ftype)
{
	struct quic_frame f;
	int n, err;

	if (!len) {
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	while (len) {
		n = quic_frame_decode(p, len, &f, errcode);
		if (n < 0) {
			*ftype = f.type;
			return n;
		}
		*ftype = f.type;
		if (!quic_frame_allowed(f.type, level)) {
			*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
			return -EPROTO;
		}
		if (quic_frame_ack_eliciting(f.type))
			rx->eliciting = true;
		if (!quic_frame_probing(f.type))
			rx->non_probing = true;
		err = quic_frame_rcv(sk, level, &f, rx, errcode);
		if (err)
			return err;
		p += n;
		len -= n;
	}
	return 0;
}

/* The first packet from the server carries the ID the client sends to
 * from then on (RFC 9000 section 7.2).
 */
static void quic_learn_peer_cid(struct sock *sk, const struct quic_packet_info *info)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid_entry *d = quic_cid_active(&qs->dcids);

	if (qs->is_server || qs->peer_scid_known || !d)
		return;
	d->cid.len = info->scid_len;
	memset(d->cid.data, 0, sizeof(d->cid.data));
	memcpy(d->cid.data, info->scid, info->scid_len);
	qs->peer_scid = d->cid;
	qs->peer_scid_known = true;
}

/* RFC 9001 section 6.3: a newer packet in the other key phase means the
 * peer updated its keys: it is decrypted with the next keys, prepared
 * ahead, and only if that works do ours move too.  An older one is a
 * reordered packet for the previous keys, still kept.
 */
static bool quic_key_phase_newer(struct sock *sk, struct quic_crypto *c, u8 phase,
				 u64 pn, struct quic_space *s)
{
	struct quic_sock *qs = quic_sk(sk);

	return phase != c->key_phase && (s64)pn >= s->largest_recv && !qs->key_update_pending;
}

/* RFC 9000 section 10.3.1: a datagram that cannot be processed and ends
 * in a Stateless Reset Token of the peer's ends the connection, silently.
 */
static int quic_packet_reset_check(struct sock *sk, const struct sk_buff *skb,
				   const struct quic_packet_info *info)
{
	if (info->type != QUIC_PACKET_SHORT ||
	    !quic_cid_reset_match(&quic_sk(sk)->dcids, skb))
		return 0;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_RESET_RCVD);
	quic_conn_closed(sk, -ECONNRESET);
	return -ECONNRESET;
}

/* Remove protection and process one packet.  Returns the length to skip
 * to the next coalesced packet, -EAGAIN when the datagram was kept for
 * later, or another negative errno to drop the rest of the datagram.
 */
static int quic_packet_process(struct sock *sk, struct sk_buff *skb, u32 off,
			       const u8 *dcid, u8 dcid_len, struct quic_rx_dgram *d)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 *p = skb->data + off, level, pn_len, phase = 0;
	u32 len = skb->len - off, hlen, errcode = 0, trunc = 0;
	struct quic_rx_pkt rx = { .dgram = d, .now = QUIC_PKT_CB(skb)->time };
	struct quic_packet_info info;
	bool update = false;
	struct quic_space *s;
	struct quic_crypto *c;
	u64 pn, ftype = 0;
	int err, i;

	if (quic_packet_parse(p, len, QUIC_CID_LEN, qs->grease, &info))
		return -EINVAL;
	/* RFC 9000 section 12.2: coalesced packets are for one connection. */
	if (info.dcid_len != dcid_len || memcmp(info.dcid, dcid, dcid_len))
		return -EINVAL;
	if (info.type == QUIC_PACKET_RETRY) {
		quic_conn_retry_rcv(sk, &info, p);
		return -EINVAL;	/* it fills the datagram */
	}
	if (info.type == QUIC_PACKET_VERSION_NEGOTIATION) {
		quic_conn_version_rcv(sk, &info, p);
		return -EINVAL;	/* it fills the datagram */
	}
	if (info.type >= QUIC_PACKET_VERSION_NEGOTIATION)
		return -EINVAL;	/* not during a connection */
	/* RFC 9000 section 17.2.2: a server's Initial has no token. */
	if (info.type == QUIC_PACKET_INITIAL && info.token_len && !qs->is_server)
		return info.len;
	/* Section 14.1: nor does a server take a client's Initial from a
	 * datagram under 1200 bytes (the anti-amplification budget).
	 */
	if (info.type == QUIC_PACKET_INITIAL && qs->is_server && skb->len < 1200)
		return info.len;
	if (info.type != QUIC_PACKET_SHORT && info.version != qs->version)
		return info.len;
	level = quic_packet_level(info.type);
	s = &qs->space[quic_level_space(level)];
	if (s->keys_discarded || (level == QUIC_CRYPTO_EARLY && !qs->is_server))
		return info.len;
	if (!quic_rx_ready(qs, level)) {
		/* 0-RTT keys go once the handshake is done (RFC 9001 4.9.3). */
		if (level == QUIC_CRYPTO_EARLY && qs->handshake_done)
			return info.len;
		/* A Handshake packet before the ServerHello: the Initial
		 * that carried it was probably lost; ask for it again.
		 */
		if (level == QUIC_CRYPTO_HANDSHAKE && !qs->is_server &&
		    !qs->space[QUIC_SPACE_INITIAL].crypto.recv_off &&
		    skb_queue_empty(&s->pending))
			quic_timer_hs_resend(sk);
		/* RFC 9001 section 5.7: keep it until its keys arrive. */
		if (skb_queue_len(&s->pending) >= QUIC_PENDING_MAX)
			return info.len;
		QUIC_PKT_CB(skb)->offset = off;
		__skb_queue_tail(&s->pending, skb);
		return -EAGAIN;
	}
	c = qs->crypto[level];
	if (quic_crypto_unprotect_header(c, p, info.pn_off, info.len, &pn_len))
		goto undecryptable;
	for (i = 0; i < pn_len; i++)
		trunc = (trunc << 8) | p[info.pn_off + i];
	pn = quic_pn_decode(s->largest_recv, trunc, pn_len * 8);
	hlen = info.pn_off + pn_len;
	if (quic_pnspace_seen(&s->recv, pn))
		return quic_packet_reset_check(sk, skb, &info) ?: info.len;
	if (info.type == QUIC_PACKET_SHORT) {
		phase = (p[0] >> 2) & 1;
		update = quic_key_phase_newer(sk, c, phase, pn, s);
	}
	if (quic_crypto_decrypt(c, p, hlen, info.len - hlen, pn, update ? QUIC_KEY_NEXT : phase))
		goto undecryptable;
	/* Unprotected 1-RTT packets fail no authentication: a Stateless
	 * Reset must be told apart before its bytes are taken for frames.
	 */
	if (c->plain) {
		err = quic_packet_reset_check(sk, skb, &info);
		if (err)
			return err;
	}
	if (update && !quic_crypto_key_update(c))
		quic_conn_key_updated(sk);
	if (info.type == QUIC_PACKET_SHORT && (!update || phase == c->key_phase) &&
	    !quic_crypto_rx_phase_ok(c, phase, pn)) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_KEY_UPDATE, 0);
		return -EPROTO;
	}
	if (level == QUIC_CRYPTO_EARLY)
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_0RTT_RCVD);

	quic_learn_peer_cid(sk, &info);
	/* Reserved bits are checked once protection is off (17.2, 17.3.1). */
	if (p[0] & (info.type == QUIC_PACKET_SHORT ? 0x18 : 0x0c)) {
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0);
		return -EPROTO;
	}
	err = quic_frames_rcv(sk, level, p + hlen, info.len - hlen - quic_crypto_tag_len(c),
			      &rx, &errcode, &ftype);
	if (err == -EPROTO) {
		quic_conn_error(sk, errcode, ftype);
		return err;
	}
	if (err == -ESHUTDOWN)
		return err;
	if (err)
		return info.len;	/* no memory: not acknowledged, sent again */

	quic_pnspace_mark(&s->recv, pn);
	quic_packet_ecn_rcvd(sk, s, QUIC_PKT_CB(skb)->ecn);
	if (level == QUIC_CRYPTO_APP && rx.non_probing && quic_path_newest(&qs->path, pn))
		d->moved = true;
	/* RFC 9000 13.2.1: a gap, or a packet below the largest, is
	 * acknowledged at once, unless the peer asked otherwise.
	 */
	if ((s64)pn > s->largest_recv) {
		if (s->largest_recv >= 0 && pn != (u64)s->largest_recv + 1 &&
		    !qs->ackf.reorder_off)
			s->ack_immediate = true;
		s->largest_recv = pn;
		s->largest_recv_time = QUIC_PKT_CB(skb)->time;
	} else if (!qs->ackf.reorder_off) {
		s->ack_immediate = true;
	}
	if (rx.eliciting) {
		s->ack_pending++;
		if (s == &qs->space[QUIC_SPACE_APP] && !s->ack_immediate)
			quic_ack_timer_arm(sk, rx.now);
	}
	quic_idle_timer_arm(sk, rx.now);
	/* RFC 9001 section 4.9.1, RFC 9000 section 8.1 */
	if (level == QUIC_CRYPTO_HANDSHAKE && qs->is_server) {
		qs->addr_validated = true;
		quic_space_discard(sk, QUIC_SPACE_INITIAL);
	}
	return info.len;

undecryptable:
	/* RFC 9001 section 5.5: dropped, unless a Stateless Reset */
	err = quic_packet_reset_check(sk, skb, &info);
	if (err)
		return err;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_UNDECRYPTABLE);
	if (quic_crypto_limit_reached(c)) {	/* RFC 9001 section 6.6 */
		quic_conn_error(sk, QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED, 0);
		return -EPROTO;
	}
	return info.len;
}

/**
 * quic_packet_rcv - process a datagram for a connection
 * @sk: the connection, locked
 * @skb: the datagram; QUIC_PKT_CB() says where to resume
 *
 * Also the backlog handler of a socket that was owned by user context.
 *
 * Return: 0, the datagram is consumed.
 */
int quic_packet_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 off = QUIC_PKT_CB(skb)->offset, len = skb->len;
	struct quic_rx_dgram d = {};
	union quic_addr from, to;
	const u8 *dcid;
	u8 dcid_len;
	int n = 0;

	quic_sock_assert_locked(sk);
	if (qs->closing || quic_is_listen(sk) || !qs->udp) {
		if (qs->closing && qs->udp)
			quic_conn_closing_rcv(sk);
		kfree_skb(skb);
		return 0;
	}
	quic_addr_from_skb(skb, &from, &to);
	if (!quic_path_rcv_allowed(sk, &from, &to)) {
		kfree_skb(skb);
		return 0;
	}
	if (!QUIC_PKT_CB(skb)->counted) {
		if (!qs->addr_validated)
			qs->amp_recv += skb->len;
		if (quic_addr_same(&from, &qs->peer_addr))
			quic_path_rcv_datagram(sk, skb->len);
	}
	QUIC_PKT_CB(skb)->counted = true;
	if (!quic_packet_dcid(skb->data, skb->len, QUIC_CID_LEN, &dcid, &dcid_len)) {
		kfree_skb(skb);
		goto flush;
	}
	while (off < skb->len) {
		n = quic_packet_process(sk, skb, off, dcid, dcid_len, &d);
		if (n < 0)
			break;	/* -EAGAIN: the rest kept in a pending queue */
		off += n;
	}
	/* The move first, so that challenges are answered on the new path. */
	if (d.moved) {
		struct quic_cid id = { .len = dcid_len };

		memcpy(id.data, dcid, dcid_len);
		quic_path_rcv_newest(sk, &from, &to, &id, len);
	}
	if (d.challenges)
		quic_path_challenge_rcv(sk, &from, &to, &d.challenge[0][0], d.challenges, len);
	if (n != -EAGAIN)
		kfree_skb(skb);
flush:
	quic_conn_flush_check(sk);
	quic_output_flush(sk);
	return 0;
}

/**
 * quic_packets_replay - process packets that waited for keys of a level
 * @sk: the connection, locked
 * @level: the level whose receive keys were just installed
 */
void quic_packets_replay(struct sock *sk, u8 level)
{
	struct quic_space *s = &quic_sk(sk)->space[quic_level_space(level)];
	struct sk_buff_head q;
	struct sk_buff *skb;

	quic_sock_assert_locked(sk);
	__skb_queue_head_init(&q);
	skb_queue_splice_init(&s->pending, &q);
	while ((skb = __skb_dequeue(&q)))
		quic_packet_rcv(sk, skb);
}

/**
 * quic_packet_rcv_first - process the datagram a server connection was made of
 * @sk: the new connection, set up by quic_conn_accept()
 * @lsk: the listener it comes from
 * @skb: the datagram
 * @odcid: the ID the client's first Initial went to
 */
void quic_packet_rcv_first(struct sock *sk, struct sock *lsk, struct sk_buff *skb,
			   const struct quic_cid *odcid)
{
	quic_packet_rcv(sk, skb);
	/* Datagrams of the same connection that arrived before the ID was
	 * in the table wait on the listener too: Initials are processed now,
	 * 0-RTT ones wait for the early keys.
	 */
	quic_listener_take(lsk, sk, odcid);
	quic_packets_replay(sk, QUIC_CRYPTO_INITIAL);
}
