// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Loss detection (RFC 9002 section 6 and appendix A): acknowledgments
 * free what they cover and feed RTT and congestion control; packets left
 * behind by three packet numbers or by 9/8 RTT are lost and their frames
 * go back to the send queue; the probe timeout asks for probes.  Also
 * the arming of the connection timers; timer.c acts when they fire.
 */

#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <net/proto_memory.h>
#include <net/sock.h>

#include "mib.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"

#define QUIC_PACKET_THRESHOLD	3	/* RFC 9002 section 6.1.1 */
#define QUIC_ACK_RANGES_MAX	32

/**
 * struct quic_ack_ranges - the ranges of an ACK frame, highest first
 * @r: [smallest, largest] pairs
 * @nr: how many
 */
struct quic_ack_ranges {
	struct quic_pn_range	r[QUIC_ACK_RANGES_MAX];
	u32			nr;
};

static void quic_ack_ranges_read(const struct quic_frame *f, struct quic_ack_ranges *a)
{
	const u8 *p = f->ack.ranges;
	u32 len = f->ack.ranges_len;
	u64 smallest, largest;

	largest = f->ack.largest;
	smallest = largest - f->ack.first_range;
	a->nr = 0;
	do {
		a->r[a->nr].start = smallest;
		a->r[a->nr].end = largest;
		a->nr++;
	} while (a->nr < QUIC_ACK_RANGES_MAX &&
		 quic_ack_range_next(&p, &len, &smallest, &largest));
}

static void quic_frames_acked(struct sock *sk, struct quic_sent_pkt *p)
{
	struct quic_frame_out *f, *tmp;

	list_for_each_entry_safe(f, tmp, &p->frames, list) {
		if (f->stream_id >= 0 && !f->dup)
			quic_stream_acked(sk, f->stream_id, f->type, f->data_len, f->fin);
		list_del(&f->list);
		quic_frame_free(sk, f);
	}
}

static void quic_sent_remove(struct quic_sock *qs, struct quic_space *s,
			     struct quic_sent_pkt *p)
{
	list_del(&p->list);
	if (!p->in_flight)
		return;
	qs->bytes_in_flight -= p->size;
	s->ack_eliciting_in_flight--;
}

/* DATAGRAM frames are never sent twice (RFC 9221 section 5.2): a copy
 * would reach the application twice when the first one was not lost.
 */
static bool quic_frame_resendable(const struct quic_frame_out *f)
{
	return f->type != QUIC_FRAME_PING && f->type != QUIC_FRAME_DATAGRAM &&
	       f->type != QUIC_FRAME_DATAGRAM_LEN;
}

/* The lost packet's frames are sent again, before anything newer;
 * duplicates made for probes and datagrams are simply dropped.
 */
static void quic_packet_lost(struct sock *sk, struct quic_space *s,
			     struct quic_sent_pkt *p, struct list_head *requeue)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame_out *f, *tmp;

	list_for_each_entry_safe(f, tmp, &p->frames, list) {
		if (f->dup || !quic_frame_resendable(f)) {
			list_del(&f->list);
			quic_frame_free(sk, f);
			continue;
		}
		list_move_tail(&f->list, requeue);
	}
	if (quic_ecn_lost(&qs->ecn, quic_ecn_of(&qs->ecn, s - qs->space, p->pn, p->ecn)))
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_FAILED);
	quic_sent_remove(qs, s, p);
	quic_sent_free(p);
}

/* RFC 9002 section 7.6: losses spanning more than the persistent
 * congestion duration, after an RTT sample, collapse the window.  The
 * packets in between were not acknowledged either: ACKs are processed as
 * they come, so an acknowledged later packet would have made the first
 * one lost long before.
 */
static bool quic_persistent_congestion(struct quic_sock *qs, u64 first, u64 last)
{
	return qs->rtt.has_sample && first && last - first > quic_rtt_persistent_duration(&qs->rtt);
}

/* An acknowledged path MTU probe raises the datagram size to its own. */
static void quic_pmtu_probe_acked(struct sock *sk, u64 pn)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 size;

	if (!quic_pmtu_is_probe(&qs->pmtu, pn))
		return;
	size = quic_pmtu_acked(&qs->pmtu, pn);
	if (!size)
		return;
	qs->mss = size;
	quic_cong_set_mss(&qs->cong, size);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PMTU_RAISED);
}

/* Probe timeouts in a row on a size a probe raised: back to the size the
 * path began with, before the probe packets are sized.
 */
static void quic_pmtu_check_black_hole(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 size;

	if (qs->pto_count < QUIC_PMTU_BLACK_HOLE_PTOS)
		return;
	size = quic_pmtu_black_hole(&qs->pmtu, qs->mss);
	if (!size)
		return;
	qs->mss = size;
	quic_cong_set_mss(&qs->cong, size);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PMTU_BLACK_HOLE);
}

/* RFC 9002 appendix A.10; a path MTU probe lost is no congestion signal
 * (RFC 9000 section 14.4).
 */
static void quic_detect_lost(struct sock *sk, u8 space, u64 now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[space];
	u64 delay = quic_rtt_loss_delay(&qs->rtt), lost_time = 0, first = 0;
	struct quic_sent_pkt *p, *tmp;
	LIST_HEAD(requeue);

	s->loss_time = 0;
	list_for_each_entry_safe(p, tmp, &s->sent, list) {
		if ((s64)p->pn > s->largest_acked)
			break;
		if (p->sent_time + delay <= now ||
		    s->largest_acked >= (s64)p->pn + QUIC_PACKET_THRESHOLD) {
			bool probe = space == QUIC_SPACE_APP &&
				     quic_pmtu_lost(&qs->pmtu, p->pn);

			if (p->in_flight && !probe) {
				lost_time = p->sent_time;
				first = first ?: p->sent_time;
			}
			quic_packet_lost(sk, s, p, &requeue);
			continue;
		}
		if (!s->loss_time || p->sent_time + delay < s->loss_time)
			s->loss_time = p->sent_time + delay;
	}
	list_splice(&requeue, &s->sendq);
	if (!lost_time)
		return;
	/* @now may be the arrival of an ACK that waited in the backlog
	 * while we sent more: recovery starts from now, after those.
	 */
	quic_cong_on_loss(&qs->cong, lost_time, quic_now());
	if (quic_persistent_congestion(qs, first, lost_time))
		quic_cong_on_persistent(&qs->cong);
}

/**
 * quic_recovery_restart - send a space's data in flight again from scratch
 * @sk: the connection
 * @space: &enum quic_space_id
 *
 * After a Retry (RFC 9002 section 6.3) the packets in flight were never
 * processed by the server: their frames go to the front of the queue
 * without counting as a loss, and congestion control and the probe
 * backoff start over.
 */
void quic_recovery_restart(struct sock *sk, u8 space)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[space];
	struct quic_sent_pkt *p, *tmp;
	LIST_HEAD(requeue);

	quic_sock_assert_locked(sk);
	list_for_each_entry_safe(p, tmp, &s->sent, list)
		quic_packet_lost(sk, s, p, &requeue);
	list_splice(&requeue, &s->sendq);
	s->loss_time = 0;
	qs->pto_count = 0;
	quic_cong_init(&qs->cong, qs->cong.algo, qs->cong.mss);
}

/* Is @pn in one of the ranges?  @pn only grows from call to call, so
 * the cursor @i moves from the lowest range (the last) up to the first.
 */
/* Memory pressure shrinks a SOCK_STREAM socket's send buffer (see
 * sk_stream_moderate_sndbuf()); once it is over, the buffer grows back
 * to the default unless the user set one, as TCP's does.
 */
static void quic_sndbuf_expand(struct sock *sk)
{
	int want = READ_ONCE(sk->sk_prot->sysctl_wmem[1]);

	if ((sk->sk_userlocks & SOCK_SNDBUF_LOCK) || sk_under_memory_pressure(sk) ||
	    READ_ONCE(sk->sk_sndbuf) >= want)
		return;
	WRITE_ONCE(sk->sk_sndbuf, want);
}

static bool quic_range_covers(const struct quic_ack_ranges *a, u32 *i, u64 pn)
{
	while (*i && pn > a->r[*i].end)
		(*i)--;
	return pn >= a->r[*i].start && pn <= a->r[*i].end;
}

/* RFC 9002 appendix A.8: a client keeps probing until the server has
 * validated its address, or the server could stay blocked by the
 * anti-amplification limit.
 */
static bool quic_peer_validated(struct quic_sock *qs)
{
	return qs->is_server || qs->confirmed || qs->addr_validated;
}

/* RFC 9000 section 13.4.2.1 and RFC 9002 appendix B.7: the ECN counts
 * of an ACK frame that raised the largest acknowledged packet.  @marked
 * of the packets it newly acknowledged were sent on this path with
 * ECT(0); more CE marks are a congestion event, as a loss of the largest
 * acknowledged packet, sent at @sent_time, would be.  Without its record
 * (an ACK-only packet, acknowledged before) the event starts now.
 */
static void quic_recovery_ecn(struct sock *sk, u8 space, const struct quic_frame *f,
			      u64 marked, u64 sent_time, u64 now)
{
	const u64 *counts = f->type == QUIC_FRAME_ACK_ECN ? f->ack.ecn : NULL;
	struct quic_sock *qs = quic_sk(sk);
	u8 ev;

	ev = quic_ecn_on_ack(&qs->ecn, space, counts, marked);
	if (ev & QUIC_ECN_EV_VALIDATED)
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_VALIDATED);
	if (ev & QUIC_ECN_EV_FAILED)
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_FAILED);
	if ((ev & QUIC_ECN_EV_CE) && quic_cong_on_ecn_ce(&qs->cong, sent_time ?: now, quic_now()))
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ECN_CONGESTION);
}

/**
 * quic_recovery_on_ack - process an ACK frame (RFC 9002 appendix A.7)
 * @sk: the connection
 * @space: the packet number space it arrived in
 * @f: the frame
 * @now: when its packet arrived (quic_now())
 * @errcode: transport error when the frame is invalid
 *
 * Return: 0, or -EPROTO with @errcode set.
 */
int quic_recovery_on_ack(struct sock *sk, u8 space, const struct quic_frame *f,
			 u64 now, u32 *errcode)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[space];
	u64 marked = 0, largest_time = 0;
	struct quic_sent_pkt *p, *tmp, *largest = NULL;
	bool eliciting = false, raised;
	struct quic_ack_ranges a;
	u32 i;

	quic_sock_assert_locked(sk);
	if (f->ack.largest >= s->next_pn) {	/* RFC 9000 section 13.1 */
		*errcode = QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		return -EPROTO;
	}
	quic_ack_ranges_read(f, &a);
	raised = (s64)f->ack.largest > s->largest_acked;
	if (raised)
		s->largest_acked = f->ack.largest;

	/* Oldest first, and only up to the largest acknowledged: loss
	 * detection leaves few packets below what was acknowledged before,
	 * so an ACK frame costs what it newly acknowledges, however many
	 * packets are in flight above it or however often it repeats.
	 */
	i = a.nr - 1;
	list_for_each_entry_safe(p, tmp, &s->sent, list) {
		if (p->pn > f->ack.largest)
			break;
		if (!quic_range_covers(&a, &i, p->pn))
			continue;
		if (p->pn == f->ack.largest) {
			largest = p;
			largest_time = p->sent_time;
		}
		eliciting |= p->ack_eliciting;
		if (quic_ecn_of(&qs->ecn, space, p->pn, p->ecn) != QUIC_ECN_SENT_NONE)
			marked++;
		quic_sent_remove(qs, s, p);
		if (space == QUIC_SPACE_APP)
			quic_pmtu_probe_acked(sk, p->pn);
		if (p->in_flight)
			quic_cong_on_ack(&qs->cong, p->pn, p->size, p->sent_time, now,
					 &qs->rtt, qs->bytes_in_flight);
		if (largest != p) {
			quic_frames_acked(sk, p);
			quic_sent_free(p);
		}
	}
	if (raised)
		quic_recovery_ecn(sk, space, f, marked, largest_time, now);
	if (!largest && !eliciting) {
		/* An ACK-only packet of ours has no record, but acknowledging
		 * it still makes older ones lost (RFC 9002 A.7): and only then
		 * does a repeat of this frame find few packets to pass over.
		 */
		if (raised)
			quic_detect_lost(sk, space, now);
		return 0;
	}
	if (largest) {
		/* RFC 9002 section 5.1: a sample from the largest only; none
		 * from an ACK that arrived before the packet left (a peer that
		 * acknowledges what it cannot have received yet).
		 */
		if (largest->ack_eliciting && now > largest->sent_time) {
			u64 delay = f->ack.delay << qs->peer.ack_delay_exponent;

			if (space != QUIC_SPACE_APP)
				delay = 0;
			quic_rtt_update(&qs->rtt, now - largest->sent_time,
					min_t(u64, delay, U32_MAX), qs->confirmed);
		}
		quic_frames_acked(sk, largest);
		quic_sent_free(largest);
	}
	if (space == QUIC_SPACE_HANDSHAKE && !qs->is_server)
		qs->addr_validated = true;	/* the peer has our Handshake keys */
	quic_detect_lost(sk, space, now);
	quic_sndbuf_expand(sk);
	sk->sk_write_space(sk);		/* acknowledged frames freed room */
	/* RFC 9002 A.7: a client that does not know its address validated
	 * keeps backing off the probes that unblock the server.
	 */
	if (quic_peer_validated(qs))
		qs->pto_count = 0;
	/* RFC 9001 section 6.1: our update is done once acknowledged */
	if (qs->key_update_pending && space == QUIC_SPACE_APP &&
	    s->largest_acked >= (s64)qs->key_update_pn) {
		u8 phase = quic_key_phase(qs);

		qs->key_update_pending = false;
		quic_event_deliver(sk, QUIC_EVENT_KEY_UPDATE, &phase, sizeof(phase));
	}
	quic_timers_update(sk, now);
	return 0;
}

static bool quic_any_in_flight(struct quic_sock *qs)
{
	int i;

	for (i = 0; i < QUIC_SPACE_MAX; i++)
		if (qs->space[i].ack_eliciting_in_flight)
			return true;
	return false;
}

/* When the last ack-eliciting packet left, in any space; 0 if none did. */
static u64 quic_last_ack_eliciting(struct quic_sock *qs)
{
	u64 t = 0;
	int i;

	for (i = 0; i < QUIC_SPACE_MAX; i++)
		t = max(t, qs->space[i].last_ack_eliciting);
	return t;
}

static u64 quic_pto_time(struct quic_sock *qs, u8 *space)
{
	u64 t, best = 0, dur;
	int i;

	if (!quic_any_in_flight(qs)) {
		/* RFC 9002 A.8 counts from "now", the time the timer is set,
		 * which comes after the last packet sent.  Counted from that
		 * packet the deadline holds still: from the time of each call
		 * it would move on every wakeup and the probe never go out.
		 */
		*space = quic_tx_ready(qs, QUIC_CRYPTO_HANDSHAKE) ?
			 QUIC_SPACE_HANDSHAKE : QUIC_SPACE_INITIAL;
		dur = (u64)quic_rtt_pto(&qs->rtt, false) << qs->pto_count;
		return (quic_last_ack_eliciting(qs) ?: quic_now()) + dur;
	}
	for (i = 0; i < QUIC_SPACE_MAX; i++) {
		struct quic_space *s = &qs->space[i];

		if (!s->ack_eliciting_in_flight)
			continue;
		if (i == QUIC_SPACE_APP && !qs->confirmed && best)
			break;	/* RFC 9002 A.8: wait for the handshake */
		dur = (u64)quic_rtt_pto(&qs->rtt, i == QUIC_SPACE_APP) << qs->pto_count;
		t = s->last_ack_eliciting + dur;
		if (!best || t < best) {
			best = t;
			*space = i;
		}
	}
	return best;
}

static u64 quic_loss_time(struct quic_sock *qs, u8 *space)
{
	u64 best = 0;
	int i;

	for (i = 0; i < QUIC_SPACE_MAX; i++) {
		u64 t = qs->space[i].loss_time;

		if (t && (!best || t < best)) {
			best = t;
			*space = i;
		}
	}
	return best;
}

/**
 * quic_space_discard - drop the keys and state of a space
 * @sk: the connection
 * @space: &enum quic_space_id
 *
 * RFC 9002 section 6.4: its packets leave bytes_in_flight and the probe
 * timeout starts over.  This may run in softirq context: the work item
 * frees the transforms.
 */
void quic_space_discard(struct sock *sk, u8 space)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[space];
	struct quic_crypto *c;

	quic_sock_assert_locked(sk);
	if (s->keys_discarded)
		return;
	quic_space_purge(sk, s);
	s->keys_discarded = true;
	c = qs->crypto[quic_space_level(space, false)];
	qs->pto_count = 0;	/* RFC 9002 section 6.2.2 */
	quic_timers_update(sk, quic_now());
	if (c) {
		c->tx.ready = false;
		c->rx.ready = false;
		quic_work_queue(sk, QUIC_WORK_DISCARD);
	}
}

/**
 * quic_timer_set - arm a connection timer
 * @sk: the connection
 * @t: one of its timers
 * @when_us: deadline, in quic_now() microseconds
 * @now_us: quic_now() as the caller last read it
 *
 * The callers pass the time they already have (a packet's arrival, the
 * start of a flush) rather than each reading the clock again: that read
 * was a sixth of the CPU time in a TCG guest, whose clock is an HPET.
 * An older @now_us only makes the timer late, by its age, never early.
 */
void quic_timer_set(struct sock *sk, struct timer_list *t, u64 when_us, u64 now_us)
{
	unsigned long j = jiffies;

	if (when_us > now_us)
		j += usecs_to_jiffies(when_us - now_us);
	sk_reset_timer(sk, t, j);
}

/**
 * quic_timers_update - arm the loss detection timer (RFC 9002 A.8)
 * @sk: the connection
 * @now: quic_now() as the caller last read it
 */
void quic_timers_update(struct sock *sk, u64 now)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 space;
	u64 t;

	quic_sock_assert_locked(sk);
	if (qs->closing)
		return;
	t = quic_loss_time(qs, &space);
	if (t) {
		quic_timer_set(sk, &qs->loss_timer, t, now);
		return;
	}
	if (!quic_any_in_flight(qs) && quic_peer_validated(qs)) {
		sk_stop_timer(sk, &qs->loss_timer);
		return;
	}
	t = quic_pto_time(qs, &space);
	/* RFC 9002 appendix A.8: a server at its anti-amplification limit
	 * could not send the probe; firing anyway only doubled the next
	 * timeout and queued one more copy.  The datagram that lifts the
	 * limit ends in a flush, which comes back here: the timer is armed
	 * again then, to fire at once if the probe is overdue.
	 */
	if (t && quic_amplification_blocked(qs, quic_space_level(space, false))) {
		sk_stop_timer(sk, &qs->loss_timer);
		return;
	}
	if (t)
		quic_timer_set(sk, &qs->loss_timer, t, now);
}

#define QUIC_PROBE_OVERHEAD	96	/* a packet's header and tag, about */
#define QUIC_PROBE_PKTS		16	/* packets in flight looked at */

/**
 * quic_recovery_probe_copy - queue a copy of the oldest data in flight
 * @sk: the connection, locked
 * @space: &enum quic_space_id
 *
 * A probe carries it (RFC 9002 6.2.4): if that data was lost the copy
 * repairs it a round trip sooner.  Not only the oldest packet's: a flight
 * is often one packet per TLS message or per stream, and the oldest may
 * be a small EncryptedExtensions or the byte that opened a stream while
 * what was lost behind it waits for an ACK that the loss may take too,
 * at a probe timeout that doubles each time.  The copies fill a packet,
 * oldest first, from the first few packets in flight; packets with
 * nothing to send again (a PING, datagrams) are passed over.  Copies
 * not sent yet (the congestion window or the anti-amplification limit
 * held them) are not made again.
 *
 * Return: true if copies wait to be sent.
 */
bool quic_recovery_probe_copy(struct sock *sk, u8 space)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 room = qs->mss - QUIC_PROBE_OVERHEAD;
	struct quic_space *s = &qs->space[space];
	struct quic_frame_out *f, *c;
	int pkts = QUIC_PROBE_PKTS;
	struct quic_sent_pkt *p;
	LIST_HEAD(copies);

	f = list_first_entry_or_null(&s->sendq, struct quic_frame_out, list);
	if (f && f->dup)
		return true;
	list_for_each_entry(p, &s->sent, list) {
		if (!pkts--)
			break;
		if (!p->ack_eliciting)
			continue;
		list_for_each_entry(f, &p->frames, list) {
			if (!quic_frame_resendable(f))
				continue;
			if (f->len > room && !list_empty(&copies))
				goto out;
			c = quic_frame_alloc(sk, f->len, GFP_ATOMIC);
			if (!c)
				goto out;
			room -= min_t(u32, room, f->len);
			memcpy(c->data, f->data, f->len);
			c->len = f->len;
			c->type = f->type;
			c->stream_id = f->stream_id;
			c->offset = f->offset;
			c->data_len = f->data_len;
			c->fin = f->fin;
			c->dup = true;
			list_add_tail(&c->list, &copies);
		}
	}
out:
	if (list_empty(&copies))
		return false;
	list_splice(&copies, &s->sendq);
	return true;
}

/* The timer may fire late for a deadline that moved: with the socket
 * owned, the work waits for release_sock(), which first processes the
 * backlog, whose ACKs may have moved or cancelled it.
 */
static bool quic_loss_timer_due(struct quic_sock *qs)
{
	u64 t, now = quic_now();
	u8 space;

	t = quic_loss_time(qs, &space);
	if (!t) {
		if (!quic_any_in_flight(qs) && quic_peer_validated(qs))
			return false;
		t = quic_pto_time(qs, &space);
	}
	return t && t <= now + jiffies_to_usecs(1);
}

/**
 * quic_recovery_timeout - the loss detection timer fired (RFC 9002 A.9)
 * @sk: the connection, locked
 * @space: returns the space to probe, for QUIC_TIMEOUT_PROBE
 *
 * Return: what the caller sends: QUIC_TIMEOUT_NONE when the deadline
 * moved (the timer is armed again), QUIC_TIMEOUT_LOST when packets were
 * declared lost (their frames wait in the send queues), QUIC_TIMEOUT_PROBE
 * for a probe timeout (a copy of the oldest data in flight is queued).
 */
enum quic_timeout quic_recovery_timeout(struct sock *sk, u8 *space)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_assert_locked(sk);
	if (!quic_loss_timer_due(qs)) {
		quic_timers_update(sk, quic_now());
		return QUIC_TIMEOUT_NONE;
	}
	if (quic_loss_time(qs, space)) {
		quic_detect_lost(sk, *space, quic_now());
		return QUIC_TIMEOUT_LOST;
	}
	quic_pto_time(qs, space);
	qs->pto_count++;
	if (*space == QUIC_SPACE_APP)
		quic_pmtu_check_black_hole(sk);
	if (quic_any_in_flight(qs))
		quic_recovery_probe_copy(sk, *space);
	return QUIC_TIMEOUT_PROBE;
}

/**
 * quic_ack_timer_arm - make sure a delayed ACK goes out in time
 * @sk: the connection
 * @now: quic_now() as the caller last read it
 */
void quic_ack_timer_arm(struct sock *sk, u64 now)
{
	struct quic_sock *qs = quic_sk(sk);

	if (!timer_pending(&qs->ack_timer))
		quic_timer_set(sk, &qs->ack_timer,
			       now + (qs->ackf.max_delay ?: qs->local.max_ack_delay), now);
}

/**
 * quic_idle_timer_arm - (re)start the idle timer after activity
 * @sk: the connection
 * @now: quic_now() as the caller last read it
 */
void quic_idle_timer_arm(struct sock *sk, u64 now)
{
	struct quic_sock *qs = quic_sk(sk);

	if (now > qs->last_activity)	/* a replayed packet is older */
		qs->last_activity = now;
	if (qs->idle_timeout && !timer_pending(&qs->idle_timer))
		quic_timer_set(sk, &qs->idle_timer, now + qs->idle_timeout, now);
}

/**
 * quic_pace_timer_arm - flush again when pacing lets the next packet go
 * @sk: the connection, locked
 * @when_ns: the time, in ktime_get_ns() nanoseconds
 *
 * A queued timer holds a reference on @sk.  One set for a later time is
 * moved earlier (a raised rate pulls the schedule in); if it fires
 * meanwhile, its own flush sees the new schedule.
 */
void quic_pace_timer_arm(struct sock *sk, u64 when_ns)
{
	struct hrtimer *t = &quic_sk(sk)->pace_timer;

	if (hrtimer_is_queued(t)) {
		if (ktime_to_ns(hrtimer_get_expires(t)) <= when_ns ||
		    hrtimer_try_to_cancel(t) != 1)
			return;
	} else {
		sock_hold(sk);
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PACING_WAIT);
	}
	hrtimer_start(t, ns_to_ktime(when_ns), HRTIMER_MODE_ABS_PINNED_SOFT);
}

/**
 * quic_timers_stop - stop the timers for good
 * @sk: the socket, locked
 */
void quic_timers_stop(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	sk_stop_timer(sk, &qs->loss_timer);
	sk_stop_timer(sk, &qs->ack_timer);
	sk_stop_timer(sk, &qs->idle_timer);
	sk_stop_timer(sk, &qs->path.timer);
	if (hrtimer_try_to_cancel(&qs->pace_timer) == 1)
		__sock_put(sk);
}
