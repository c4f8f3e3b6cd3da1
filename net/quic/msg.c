// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * sendmsg() and recvmsg(): TLS handshake messages of each encryption
 * level, stream data and datagrams, told apart by control messages, and
 * events on the way up.  Data is copied into frames charged to the send
 * buffer, and out of the receive queue.
 */

#include <linux/quic.h>
#include <net/sock.h>

#include "msg.h"
#include "output.h"
#include "rcvq.h"
#include "socket.h"
#include "wire.h"

/**
 * struct quic_send_info - what the control messages of sendmsg() say
 * @handshake: a QUIC_HANDSHAKE_INFO was given
 * @level: its encryption level
 * @stream: a QUIC_STREAM_INFO was given
 * @sinfo: its content
 */
struct quic_send_info {
	bool			handshake;
	u8			level;
	bool			stream;
	struct quic_stream_info	sinfo;
};

static int quic_send_cmsgs(struct msghdr *msg, struct quic_send_info *si)
{
	struct cmsghdr *cmsg;

	memset(si, 0, sizeof(*si));
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_QUIC)
			continue;
		switch (cmsg->cmsg_type) {
		case QUIC_HANDSHAKE_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(struct quic_handshake_info)))
				return -EINVAL;
			si->handshake = true;
			si->level = ((struct quic_handshake_info *)CMSG_DATA(cmsg))->crypto_level;
			break;
		case QUIC_STREAM_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(struct quic_stream_info)))
				return -EINVAL;
			si->stream = true;
			memcpy(&si->sinfo, CMSG_DATA(cmsg), sizeof(si->sinfo));
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* Room for frame headers in a packet of @mss bytes: the longest long
 * header with a 255-byte token is below 100 bytes, plus the AEAD tag.
 */
static u32 quic_frame_room(struct quic_sock *qs)
{
	return qs->mss - 100 - QUIC_TAG_LEN - qs->token.len;
}

/* Stream bytes for a STREAM frame that fills a packet.  Before the
 * handshake is done the frame may go in a 0-RTT packet (a long header);
 * after it, only in 1-RTT packets: a first byte, the peer's connection
 * ID and at most 4 bytes of packet number, then the frame's own header
 * (the length takes 2 bytes, as a packet is below 16 KiB).  A frame that
 * no longer fits when it goes (a longer connection ID, a smaller path
 * MTU) is cut there.
 */
static_assert(QUIC_PMTU_MAX < 16384);	/* a STREAM frame's length takes 2 bytes */

static u32 quic_stream_frame_room(struct quic_sock *qs, const struct quic_stream *st)
{
	struct quic_cid_entry *dcid = quic_cid_active(&qs->dcids);
	u32 hlen;

	if (!qs->handshake_done || !dcid)
		return quic_frame_room(qs);
	hlen = 1 + dcid->cid.len + 4 + QUIC_TAG_LEN;
	hlen += 1 + quic_varint_len(st->id) + quic_varint_len(st->send_off) + 2;
	return qs->mss - hlen;
}

/* Room in the send buffer, and flow control credit on stream @id, or
 * only room for @id < 0; the stream is looked up again as it may be gone
 * (reset) after a wait.
 */
static bool quic_send_ready(struct sock *sk, s64 id)
{
	struct quic_stream *st;

	if (id < 0)
		return quic_wmem_ready(sk);
	st = quic_stream_find(&quic_sk(sk)->streams, id);
	return !st || (quic_wmem_ready(sk) && quic_stream_send_room(sk, st));
}

static int quic_send_wait(struct sock *sk, long *timeo, s64 id)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!quic_send_ready(sk, id)) {
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (quic_sk(sk)->closing) {
			err = -EPIPE;
			break;
		}
		err = quic_wait_error(*timeo);
		if (err)
			break;
		sk_wait_event(sk, timeo, quic_send_ready(sk, id) || sk->sk_err ||
			      quic_sk(sk)->closing, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* TLS handshake messages become CRYPTO frames of their level. */
static int quic_send_handshake(struct sock *sk, struct msghdr *msg, size_t len, u8 level)
{
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto_stream *cs;
	struct quic_frame_out *f;
	size_t sent = 0;
	u32 chunk;
	int err;
	u8 *p;

	if (level != QUIC_CRYPTO_INITIAL && level != QUIC_CRYPTO_HANDSHAKE &&
	    level != QUIC_CRYPTO_APP)
		return -EINVAL;
	cs = &qs->space[quic_level_space(level)].crypto;
	while (sent < len) {
		if (sk->sk_state != TCP_SYN_RECV && sk->sk_state != TCP_ESTABLISHED)
			return sent ?: -ENOTCONN;
		if (qs->space[quic_level_space(level)].keys_discarded)
			return sent ?: -EINVAL;
		if (!quic_wmem_ready(sk)) {
			quic_output_flush(sk);
			err = quic_send_wait(sk, &timeo, -1);
			if (err)
				return sent ?: err;
			continue;
		}
		chunk = min_t(size_t, len - sent, quic_frame_room(qs));
		f = quic_frame_alloc(sk, 1 + 8 + 8 + chunk, GFP_KERNEL);
		if (!f)
			return sent ?: -ENOMEM;
		p = f->data;
		*p++ = QUIC_FRAME_CRYPTO;
		p = quic_put_varint(p, cs->send_off);
		p = quic_put_varint(p, chunk);
		if (!copy_from_iter_full(p, chunk, &msg->msg_iter)) {
			quic_frame_free(sk, f);
			return sent ?: -EFAULT;
		}
		f->len = p + chunk - f->data;
		f->type = QUIC_FRAME_CRYPTO;
		f->offset = cs->send_off;
		f->data_len = chunk;
		cs->send_off += chunk;
		quic_frame_queue_out(sk, level, f);
		sent += chunk;
	}
	quic_output_flush(sk);
	return sent;
}

static int quic_send_datagram(struct sock *sk, struct msghdr *msg, size_t len)
{
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame_out *f;
	int err;
	u8 *p;

	if (!qs->handshake_done)
		return -ENOTCONN;
	/* RFC 9221 section 3: the frame must fit the peer's limit and one
	 * packet: datagrams are never split.
	 */
	if (1 + 8 + len > qs->peer.max_datagram_frame_size || len > quic_frame_room(qs))
		return -EMSGSIZE;
	if (!quic_wmem_ready(sk)) {
		quic_output_flush(sk);
		err = quic_send_wait(sk, &timeo, -1);
		if (err)
			return err;
	}
	f = quic_frame_alloc(sk, 1 + 8 + len, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	p = f->data;
	*p++ = QUIC_FRAME_DATAGRAM_LEN;
	p = quic_put_varint(p, len);
	if (!copy_from_iter_full(p, len, &msg->msg_iter)) {
		quic_frame_free(sk, f);
		return -EFAULT;
	}
	f->len = p + len - f->data;
	f->type = QUIC_FRAME_DATAGRAM_LEN;
	quic_frame_queue_out(sk, QUIC_CRYPTO_APP, f);
	quic_output_flush(sk);
	return len;
}

/* One STREAM frame of up to @chunk bytes copied from the user. */
static int quic_send_stream_frame(struct sock *sk, struct quic_stream *st,
				  struct msghdr *msg, u32 chunk, bool fin)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_frame_out *f;
	u8 *p, type;

	f = quic_frame_alloc(sk, 1 + 8 + 8 + 8 + chunk, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_LEN;
	if (st->send_off)
		type |= QUIC_STREAM_BIT_OFF;
	if (fin)
		type |= QUIC_STREAM_BIT_FIN;
	p = f->data;
	*p++ = type;
	p = quic_put_varint(p, st->id);
	if (st->send_off)
		p = quic_put_varint(p, st->send_off);
	p = quic_put_varint(p, chunk);
	if (chunk && !copy_from_iter_full(p, chunk, &msg->msg_iter)) {
		quic_frame_free(sk, f);
		return -EFAULT;
	}
	f->len = p + chunk - f->data;
	f->type = QUIC_FRAME_STREAM;
	f->stream_id = st->id;
	f->offset = st->send_off;
	f->data_len = chunk;
	f->fin = fin;
	st->send_off += chunk;
	t->send_total += chunk;
	if (fin) {
		st->fin_sent = true;
		st->send_state = QUIC_STREAM_SEND_STATE_SENT;
	} else if (st->send_state == QUIC_STREAM_SEND_STATE_READY) {
		st->send_state = QUIC_STREAM_SEND_STATE_SEND;
	}
	quic_frame_queue_out(sk, QUIC_CRYPTO_APP, f);
	return 0;
}

#define QUIC_SEND_BATCH	16	/* frames queued between two flushes */

static int quic_send_stream(struct sock *sk, struct msghdr *msg, size_t len,
			    const struct quic_send_info *si)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 flags = si->stream ? si->sinfo.stream_flags : msg->msg_flags;
	s64 id = si->stream ? si->sinfo.stream_id : -1;
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	bool fin = flags & MSG_QUIC_STREAM_FIN;
	struct quic_stream *st;
	size_t sent = 0;
	int err, n = 0;
	u64 room;

	if (!qs->handshake_done && !qs->early_ok)
		return -ENOTCONN;
	if (id == -1 && !(flags & MSG_QUIC_STREAM_NEW))
		id = qs->streams.last_id;
	if (id == -1) {
		err = quic_stream_open(sk, &id, flags, msg->msg_flags & MSG_DONTWAIT);
		if (err)
			return err;
	}
	err = quic_stream_send_get(sk, id, flags, msg->msg_flags & MSG_DONTWAIT, &st);
	if (err)
		return err;
	while (sent < len || (fin && !st->fin_sent)) {
		room = quic_stream_send_room(sk, st);
		if (!room && sent < len) {
			/* Blocked by flow control: the ABI wants ENOSPC. */
			if (!timeo) {
				err = -ENOSPC;
				break;
			}
		}
		if ((!room && sent < len) || !quic_wmem_ready(sk)) {
			quic_output_flush(sk);
			err = quic_send_wait(sk, &timeo, id);
			if (err)
				break;
			st = quic_stream_find(&qs->streams, id);
			if (!st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;	/* reset meanwhile */
				break;
			}
			continue;
		}
		room = min_t(u64, room, len - sent);
		room = min_t(u64, room, quic_stream_frame_room(qs, st));
		err = quic_send_stream_frame(sk, st, msg, room, fin && sent + room == len);
		if (err == -ENOMEM) {
			/* The protocol's memory is short: as TCP, wait for
			 * ACKs to free ours, or a moment when none is queued.
			 */
			quic_output_flush(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				break;
			st = quic_stream_find(&qs->streams, id);
			if (qs->closing || !st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;
				break;
			}
			continue;
		}
		if (err)
			break;
		sent += room;
		if (++n % QUIC_SEND_BATCH || sent == len)
			continue;
		quic_output_flush(sk);
		/* ACKs that queued up behind us meanwhile free room; what
		 * they bring may also end the stream or the connection.
		 */
		if (sk_flush_backlog(sk)) {
			st = quic_stream_find(&qs->streams, id);
			if (qs->closing || !st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;
				break;
			}
		}
	}
	quic_output_flush(sk);
	return sent ?: err;
}

int quic_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct quic_send_info si;
	int err;

	err = quic_send_cmsgs(msg, &si);
	if (err)
		return err;
	lock_sock(sk);
	if (sk->sk_err)
		err = sock_error(sk);
	else if (quic_sk(sk)->closing || (sk->sk_shutdown & SEND_SHUTDOWN))
		err = -EPIPE;
	else if (si.handshake)
		err = quic_send_handshake(sk, msg, len, si.level);
	else if (msg->msg_flags & MSG_QUIC_DATAGRAM)
		err = quic_send_datagram(sk, msg, len);
	else
		err = quic_send_stream(sk, msg, len, &si);
	release_sock(sk);
	if (err == -EPIPE && !(msg->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

static int quic_recv_wait(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (skb_queue_empty(&sk->sk_receive_queue)) {
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN) {
			err = 1;	/* end of file */
			break;
		}
		if (sk->sk_state != TCP_SYN_RECV && sk->sk_state != TCP_ESTABLISHED) {
			err = -ENOTCONN;
			break;
		}
		err = quic_wait_error(*timeo);
		if (err)
			break;
		sk_wait_event(sk, timeo, !skb_queue_empty(&sk->sk_receive_queue) ||
			      sk->sk_err || (sk->sk_shutdown & RCV_SHUTDOWN), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int quic_recv_cmsg(struct msghdr *msg, const struct quic_rcv_cb *cb, bool fin)
{
	struct quic_handshake_info hinfo = {};
	struct quic_stream_info sinfo = {};

	switch (cb->kind) {
	case QUIC_RCV_HANDSHAKE:
		hinfo.crypto_level = cb->level;
		return put_cmsg(msg, SOL_QUIC, QUIC_HANDSHAKE_INFO, sizeof(hinfo), &hinfo);
	case QUIC_RCV_STREAM:
		sinfo.stream_id = cb->stream_id;
		sinfo.stream_flags = fin ? MSG_QUIC_STREAM_FIN : 0;
		return put_cmsg(msg, SOL_QUIC, QUIC_STREAM_INFO, sizeof(sinfo), &sinfo);
	case QUIC_RCV_DATAGRAM:
		msg->msg_flags |= MSG_QUIC_DATAGRAM;
		return 0;
	}
	msg->msg_flags |= MSG_QUIC_NOTIFICATION;
	return 0;
}

/* Copy from the head of the receive queue: one message, or for stream
 * data as many queued pieces of the same stream as fit, up to its end.
 */
static int quic_recv_copy(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	struct quic_rcv_cb *cb = QUIC_RCV_CB(skb);
	u8 kind = cb->kind, level = cb->level;
	s64 id = cb->stream_id;
	bool fin = false, eor = false;
	size_t copied = 0;
	u32 n;
	int err;

	while (skb) {
		cb = QUIC_RCV_CB(skb);
		n = min_t(size_t, len - copied, skb->len - cb->read);
		err = skb_copy_datagram_msg(skb, cb->read, msg, n);
		if (err)
			return copied ?: err;
		copied += n;
		if (flags & MSG_PEEK)
			break;
		cb->read += n;
		if (cb->read < skb->len)
			break;
		eor = true;
		fin = cb->fin;
		__skb_unlink(skb, &sk->sk_receive_queue);
		if (kind == QUIC_RCV_EVENT)
			quic_sk(sk)->events_mem -= skb->truesize;
		if (kind == QUIC_RCV_STREAM)
			quic_stream_read(sk, id, skb->len, fin);
		consume_skb(skb);
		if (kind != QUIC_RCV_STREAM || fin || copied == len)
			break;
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb && (QUIC_RCV_CB(skb)->kind != kind ||
			    QUIC_RCV_CB(skb)->stream_id != id))
			break;
		eor = false;
	}
	if (eor)
		msg->msg_flags |= MSG_EOR;
	cb = &(struct quic_rcv_cb){ .kind = kind, .level = level, .stream_id = id };
	err = quic_recv_cmsg(msg, cb, fin);
	return err ?: copied;
}

int quic_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	long timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	int err;

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	err = quic_recv_wait(sk, &timeo);
	if (err) {
		if (err > 0)
			err = 0;
		goto out;
	}
	err = quic_recv_copy(sk, msg, len, flags);
	sk_mem_reclaim(sk);
	quic_output_flush(sk);
out:
	release_sock(sk);
	return err;
}
