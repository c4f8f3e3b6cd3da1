// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The transmit path: frames wait per packet number space; packets are
 * built from them when congestion control and the anti-amplification
 * limit allow, protected in place in the skb that goes to UDP, and
 * remembered until acknowledged.
 */

#include <linux/sizes.h>
#include <linux/slab.h>
#include <net/dst_cache.h>
#include <net/inet_ecn.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "mib.h"
#include "output.h"
#include "packet.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"
#include "udp.h"
#include "wire.h"

/* Route from @s to @d, as the UDP socket @usk; a wildcard source address
 * in @s is replaced by the route's.  The dst comes back referenced.
 */
static struct dst_entry *quic_route_lookup(struct sock *usk, const union quic_addr *d,
					   union quic_addr *s, int oif)
{
	struct net *net = sock_net(usk);

	if (d->sa.sa_family == AF_INET) {
		struct flowi4 fl4 = {};
		struct rtable *rt;

		rt = ip_route_output_ports(net, &fl4, NULL, d->v4.sin_addr.s_addr,
					   s->v4.sin_addr.s_addr, d->v4.sin_port,
					   s->v4.sin_port, IPPROTO_UDP, 0, oif);
		if (IS_ERR(rt))
			return ERR_CAST(rt);
		s->v4.sin_addr.s_addr = fl4.saddr;
		return &rt->dst;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct dst_entry *dst;
		struct flowi6 fl6 = {};

		fl6.daddr = d->v6.sin6_addr;
		fl6.saddr = s->v6.sin6_addr;
		fl6.fl6_dport = d->v6.sin6_port;
		fl6.fl6_sport = s->v6.sin6_port;
		fl6.flowi6_proto = IPPROTO_UDP;
		fl6.flowi6_oif = oif ?: d->v6.sin6_scope_id;
		dst = ip6_dst_lookup_flow(net, usk, &fl6, NULL);
		if (!IS_ERR(dst))
			s->v6.sin6_addr = fl6.saddr;
		return dst;
	}
#else
	return ERR_PTR(-EAFNOSUPPORT);
#endif
}

/* Route to the peer, from the dst cache when it is still valid.  The
 * cache is per CPU: BH stays off while it is used, as process context
 * (connect(), sendmsg()) sends too.
 */
static struct dst_entry *__quic_route(struct sock *sk, union quic_addr *saddr)
{
	struct quic_sock *qs = quic_sk(sk);
	union quic_addr *d = &qs->peer_addr;
	struct dst_entry *dst;

	*saddr = qs->local_addr;
	if (d->sa.sa_family == AF_INET) {
		struct rtable *rt;

		rt = dst_cache_get_ip4(&qs->dst_cache, &saddr->v4.sin_addr.s_addr);
		if (rt)
			return &rt->dst;
		dst = quic_route_lookup(qs->udp->sock->sk, d, saddr, sk->sk_bound_dev_if);
		if (!IS_ERR(dst))
			dst_cache_set_ip4(&qs->dst_cache, dst, saddr->v4.sin_addr.s_addr);
		return dst;
	}
#if IS_ENABLED(CONFIG_IPV6)
	dst = dst_cache_get_ip6(&qs->dst_cache, &saddr->v6.sin6_addr);
	if (dst)
		return dst;
	dst = quic_route_lookup(qs->udp->sock->sk, d, saddr, sk->sk_bound_dev_if);
	if (!IS_ERR(dst))
		dst_cache_set_ip6(&qs->dst_cache, dst, &saddr->v6.sin6_addr);
	return dst;
#else
	return ERR_PTR(-EAFNOSUPPORT);
#endif
}

static struct dst_entry *quic_route(struct sock *sk, union quic_addr *saddr)
{
	struct dst_entry *dst;

	local_bh_disable();
	dst = __quic_route(sk, saddr);
	local_bh_enable();
	return dst;
}

/**
 * quic_route_saddr - the source address of the route to the peer
 * @sk: the connection, with its peer and local port set
 * @saddr: the local address and port to send from
 *
 * Return: 0 or the routing error.
 */
int quic_route_saddr(struct sock *sk, union quic_addr *saddr)
{
	struct dst_entry *dst = quic_route(sk, saddr);

	if (IS_ERR(dst))
		return PTR_ERR(dst);
	dst_release(dst);
	return 0;
}

/**
 * quic_route_mtu - the MTU of the route to the peer
 * @sk: the connection
 *
 * Return: the MTU, or 1280 (the IPv6 minimum) without a route.
 */
static u32 quic_route_mtu(struct sock *sk)
{
	struct dst_entry *dst;
	union quic_addr saddr;
	u32 mtu;

	dst = quic_route(sk, &saddr);
	if (IS_ERR(dst))
		return 1280;
	mtu = dst_mtu(dst);
	dst_release(dst);
	return mtu;
}

/* IP and UDP header bytes in front of a datagram to @a */
static u32 quic_ip_udp_hdr(const union quic_addr *a)
{
	return (a->sa.sa_family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) +
	       sizeof(struct udphdr);
}

/**
 * quic_route_max_payload - the largest UDP payload the route allows,
 *	within both sides' max_udp_payload_size
 * @sk: the connection, with its addresses set
 * @mtu_cap: the largest MTU taken from the route
 *
 * Return: the size, which may be below 1200 bytes.
 */
u32 quic_route_max_payload(struct sock *sk, u32 mtu_cap)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 mtu = min(quic_route_mtu(sk), mtu_cap), hdr = quic_ip_udp_hdr(&qs->peer_addr);

	mtu = mtu > hdr ? mtu - hdr : 0;
	return min3(mtu, (u32)qs->local.max_udp_payload_size,
		    (u32)min_t(u64, qs->peer.max_udp_payload_size, U16_MAX));
}

/* Hand a datagram to the UDP tunnel, with @ecn in its IP header's ECN
 * field; @dst's reference goes with it.  Not fragmented (DF) unless the
 * route's MTU is below what a QUIC datagram needs (RFC 9000 section 14:
 * 1200 bytes), which only an IPv4 route can be.
 * BH must be off: the tunnel counts its nesting per CPU, and a sender
 * migrated in between would leave the count wrong on both CPUs (then
 * "Dead loop on virtual device" drops everything).
 */
static void quic_tunnel_xmit(struct sock *usk, struct sk_buff *skb, struct dst_entry *dst,
			     const union quic_addr *s, const union quic_addr *d, u8 ecn)
{
	lockdep_assert_in_softirq();
	if (d->sa.sa_family == AF_INET) {
		bool frag = dst_mtu(dst) < QUIC_MIN_DATAGRAM + quic_ip_udp_hdr(d);

		udp_tunnel_xmit_skb((struct rtable *)dst, usk, skb, s->v4.sin_addr.s_addr,
				    d->v4.sin_addr.s_addr, ecn, ip4_dst_hoplimit(dst),
				    frag ? 0 : htons(IP_DF),
				    s->v4.sin_port, d->v4.sin_port, false, false, 0);
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	udp_tunnel6_xmit_skb(dst, usk, skb, NULL, &s->v6.sin6_addr, &d->v6.sin6_addr,
			     ecn, ip6_dst_hoplimit(dst), 0, s->v6.sin6_port,
			     d->v6.sin6_port, false, 0);
#endif
}

/* RFC 9000 section 14.2.1: the IP layer lowers a route's MTU on an ICMP
 * Packet Too Big for the peer's address (any: it does not check it
 * against what we sent), in place or in a new route: a smaller MTU
 * shrinks the datagrams from the next one on, never below 1200 bytes
 * (the section's floor, which keeps what a forged one can do to that).
 * What was in flight at the old size is lost and sent again, cut to the
 * new one.  A larger MTU is not taken here: only probes may grow them.
 */
static void quic_route_check_mtu(struct sock *sk, const struct dst_entry *dst)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 hdr = quic_ip_udp_hdr(&qs->peer_addr), mtu = dst_mtu(dst);

	if (qs->mss <= QUIC_MIN_DATAGRAM || mtu >= qs->mss + hdr)
		return;
	qs->mss = max_t(u32, mtu > hdr ? mtu - hdr : 0, QUIC_MIN_DATAGRAM);
	quic_cong_set_mss(&qs->cong, qs->mss);
	quic_pmtu_lowered(&qs->pmtu, qs->mss);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PMTU_LOWERED);
}

static int quic_xmit(struct sock *sk, struct sk_buff *skb, u8 ecn)
{
	struct quic_sock *qs = quic_sk(sk);
	struct dst_entry *dst;
	union quic_addr s;

	skb->mark = READ_ONCE(sk->sk_mark);
	skb->priority = READ_ONCE(sk->sk_priority);
	local_bh_disable();
	dst = __quic_route(sk, &s);
	if (IS_ERR(dst)) {
		local_bh_enable();
		kfree_skb(skb);
		return PTR_ERR(dst);
	}
	quic_route_check_mtu(sk, dst);
	quic_tunnel_xmit(qs->udp->sock->sk, skb, dst, &s, &qs->peer_addr, ecn);
	local_bh_enable();
	return 0;
}

/* Send @skb from @local to @peer on tunnel socket @usk, with a route
 * looked up for it alone (no dst cache).
 */
static int quic_xmit_routed(struct sock *usk, struct sk_buff *skb,
			    const union quic_addr *local, const union quic_addr *peer, int oif)
{
	union quic_addr s = *local;
	struct dst_entry *dst;

	local_bh_disable();
	dst = quic_route_lookup(usk, peer, &s, oif);
	if (IS_ERR(dst)) {
		local_bh_enable();
		kfree_skb(skb);
		return PTR_ERR(dst);
	}
	quic_tunnel_xmit(usk, skb, dst, &s, peer, INET_ECN_NOT_ECT);
	local_bh_enable();
	return 0;
}

/**
 * quic_xmit_stateless - send a datagram that belongs to no connection
 * @usk: the UDP socket to send from
 * @skb: the datagram, with %QUIC_HEADROOM
 * @local: our address, as the peer's datagram was sent to
 * @peer: the peer's address
 *
 * For Retry, Version Negotiation and Stateless Reset.  Any context.
 */
void quic_xmit_stateless(struct sock *usk, struct sk_buff *skb,
			 const union quic_addr *local, const union quic_addr *peer)
{
	quic_xmit_routed(usk, skb, local, peer, 0);
}

/**
 * struct quic_pkt_builder - one packet being written
 * @skb: the datagram
 * @start: first byte of the packet
 * @pos: where the next frame goes
 * @end: end of the room for frames (the tag comes after)
 * @len_field: the Length field of a long header, NULL for short headers
 * @hlen: header length, packet number included
 * @pn: packet number
 * @pn_len: its encoded length
 * @level: encryption level
 * @tag_len: bytes the AEAD adds after the payload, 0 on a plain level
 * @pkt: the sent packet record, NULL when nothing needs acknowledging
 * @ack_eliciting: a frame other than ACK, PADDING, CONNECTION_CLOSE
 * @ecn: the ECN codepoint its datagram leaves with
 * @now_ns: its sent time, ktime_get_ns()
 * @now: the same in quic_now() microseconds
 */
struct quic_pkt_builder {
	struct sk_buff		*skb;
	u8			*start;
	u8			*pos;
	u8			*end;
	u8			*len_field;
	u32			hlen;
	u64			pn;
	u8			pn_len;
	u8			level;
	u8			tag_len;
	struct quic_sent_pkt	*pkt;
	bool			ack_eliciting;
	u8			ecn;
	u64			now_ns;
	u64			now;
};

/* 1-RTT packets of one flush leave in trains of up to this many, as one
 * UDP GSO datagram: one route lookup and one trip down the IP stack.
 */
#define QUIC_GSO_SEGS		16

/* A train is one IP datagram until segmentation: its length fits the
 * 16 bits of the IPv4 and IPv6 headers' length fields.  It is also kept
 * to an allocation of 32 KiB (PAGE_ALLOC_COSTLY_ORDER): larger datagrams
 * than Ethernet's make shorter trains, down to none above 16 KiB.
 */
#define QUIC_GSO_BYTES		(SKB_WITH_OVERHEAD(SZ_32K) - QUIC_HEADROOM)
static_assert(QUIC_GSO_BYTES + sizeof(struct ipv6hdr) + sizeof(struct udphdr) < U16_MAX);

/**
 * struct quic_batch - 1-RTT packets waiting to leave as one GSO skb
 * @skb: the packets, back to back; all @gso_size bytes long but the last
 * @gso_size: size of the first packet; the others are padded to it
 * @segs: packets in @skb
 * @room: packets @skb has room for
 * @ecn: the ECN codepoint of all its packets, chosen when it was started
 * @now_ns: the sent time of its packets, read for the first; 0 until then
 * @now: the same in quic_now() microseconds
 *
 * Lives on the stack of quic_output_flush(), under the socket lock.
 */
struct quic_batch {
	struct sk_buff		*skb;
	u32			gso_size;
	u16			segs;
	u16			room;
	u8			ecn;
	u64			now_ns;
	u64			now;
};

static u8 quic_packet_type_of(u8 level)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
		return QUIC_PACKET_INITIAL;
	case QUIC_CRYPTO_HANDSHAKE:
		return QUIC_PACKET_HANDSHAKE;
	case QUIC_CRYPTO_EARLY:
		return QUIC_PACKET_0RTT;
	}
	return QUIC_PACKET_SHORT;
}

/* Is the packet being written part of the batch @bt? */
static bool quic_in_batch(const struct quic_pkt_builder *b, const struct quic_batch *bt)
{
	return bt && b->skb == bt->skb;
}

/* Undo quic_packet_skb(): a batch loses only the packet being written. */
static void quic_packet_drop_skb(struct quic_pkt_builder *b, struct quic_batch *bt)
{
	if (quic_in_batch(b, bt)) {
		skb_trim(b->skb, b->start - b->skb->data);
		if (bt->segs)
			return;
		bt->skb = NULL;
	}
	kfree_skb(b->skb);
}

/* How many packets a new batch should have room for: about one per
 * queued frame (stream frames are sized to fill a packet), no more than
 * the congestion window lets out.
 */
static u16 quic_batch_room(struct quic_sock *qs, struct quic_space *s)
{
	u64 cwnd_room = qs->cong.window - qs->bytes_in_flight;
	struct quic_frame_out *f;
	u16 n = 0;

	if (qs->bytes_in_flight >= qs->cong.window)
		return 1;
	list_for_each_entry(f, &s->sendq, list)
		if (++n == QUIC_GSO_SEGS)
			break;
	if (n < 2)		/* an ACK alone, or one frame */
		return 1;
	n = min_t(u32, n, QUIC_GSO_BYTES / qs->mss);
	return clamp_t(u64, DIV_ROUND_UP_ULL(cwnd_room, qs->mss), 1, max_t(u16, n, 1));
}

/* The skb for the next packet, and the room it has: the tail of the
 * batch, a new batch, or a single datagram.  @frames: queued frames may
 * go in it, else it carries an ACK alone.
 */
static struct sk_buff *quic_packet_skb(struct sock *sk, struct quic_space *s,
				       struct quic_batch *bt, bool frames, u32 *room)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff *skb;
	u16 n;

	/* Before the client's address is validated no packet is longer than
	 * what the anti-amplification limit has left (no trains then).
	 */
	*room = min(qs->mss, quic_amplification_room(qs));
	if (bt && bt->skb) {
		*room = bt->gso_size;
		return bt->skb;
	}
	n = bt && frames ? quic_batch_room(qs, s) : 1;
	if (n > 1) {
		/* Large and optional: fall back to a single packet. */
		skb = alloc_skb(QUIC_HEADROOM + n * qs->mss, GFP_ATOMIC | __GFP_NOWARN);
		if (skb) {
			skb_reserve(skb, QUIC_HEADROOM);
			bt->skb = skb;
			bt->segs = 0;
			bt->room = n;
			bt->ecn = quic_ecn_codepoint(&qs->ecn, true);	/* data */
			return skb;
		}
	}
	/* An ACK alone needs no large datagram (16 ranges and the ECN
	 * counts take under 300 bytes): no 16 KiB buffer per ACK once
	 * probes raised the size.
	 */
	if (!frames || list_empty(&s->sendq))
		*room = min_t(u32, *room, QUIC_MIN_DATAGRAM);
	skb = alloc_skb(QUIC_HEADROOM + *room, GFP_ATOMIC);
	if (skb)
		skb_reserve(skb, QUIC_HEADROOM);
	return skb;
}

/* The time of a packet (its sent time, the ACK delay it reports): read
 * once per train, as a train leaves at once, and per packet otherwise.
 */
static void quic_packet_clock(struct quic_pkt_builder *b, struct quic_batch *bt)
{
	if (bt && bt->now_ns) {
		b->now_ns = bt->now_ns;
		b->now = bt->now;
		return;
	}
	b->now_ns = ktime_get_ns();
	b->now = div_u64(b->now_ns, NSEC_PER_USEC);	/* quic_now() */
	if (bt) {
		bt->now_ns = b->now_ns;
		bt->now = b->now;
	}
}

/* RFC 9000 section 17.2 and 17.3: write the header of a packet of
 * @level at the tail of @b->skb, which has @room bytes for it, to the
 * peer's connection ID @to (NULL: the one in use).
 */
static int quic_packet_header(struct sock *sk, struct quic_pkt_builder *b, u8 level,
			      u32 room, struct quic_batch *bt, const struct quic_cid *to)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[quic_level_space(level)];
	const struct quic_cid *dcid = to ?: &quic_cid_active(&qs->dcids)->cid;
	struct quic_cid_entry *scid = quic_cid_active(&qs->scids);
	u8 type = quic_packet_type_of(level);
	struct quic_out o;
	int i;
	u8 *p;

	quic_packet_clock(b, bt);
	b->start = skb_tail_pointer(b->skb);
	b->level = level;
	b->tag_len = quic_crypto_tag_len(qs->crypto[level]);
	b->pn = s->next_pn;
	b->pn_len = quic_pn_len(b->pn, s->largest_acked);
	b->pkt = NULL;
	b->ack_eliciting = false;
	b->ecn = INET_ECN_NOT_ECT;
	b->len_field = NULL;

	o.p = b->start;
	o.left = room;
	o.full = false;
	p = quic_out_reserve(&o, 1);
	if (type == QUIC_PACKET_SHORT) {
		*p = QUIC_HEADER_FIXED_BIT | (quic_key_phase(qs) << 2) |
		     (b->pn_len - 1);
		quic_out_bytes(&o, dcid->data, dcid->len);
	} else {
		*p = QUIC_HEADER_FORM_LONG | QUIC_HEADER_FIXED_BIT |
		     (quic_packet_long_type_bits(qs->version, type) << 4) |
		     (b->pn_len - 1);
		p = quic_out_reserve(&o, 4);
		if (p)
			put_unaligned_be32(qs->version, p);
		quic_out_bytes(&o, &dcid->len, 1);
		quic_out_bytes(&o, dcid->data, dcid->len);
		quic_out_bytes(&o, &scid->cid.len, 1);
		quic_out_bytes(&o, scid->cid.data, scid->cid.len);
		if (type == QUIC_PACKET_INITIAL) {
			u32 tlen = qs->is_server ? 0 : qs->token.len;

			quic_out_varint(&o, tlen);
			quic_out_bytes(&o, qs->token.data, tlen);
		}
		b->len_field = quic_out_reserve(&o, 2);	/* filled at the end */
	}
	p = quic_out_reserve(&o, b->pn_len);
	if (o.full) {
		quic_packet_drop_skb(b, bt);
		return -EINVAL;
	}
	for (i = 0; i < b->pn_len; i++)
		p[i] = b->pn >> (8 * (b->pn_len - 1 - i));
	b->hlen = o.p - b->start;
	/* Room cut by the anti-amplification limit may leave none for a
	 * frame and the tag.
	 */
	if (room < b->hlen + 4 + b->tag_len) {
		quic_packet_drop_skb(b, bt);
		return -ENOSPC;
	}
	b->pos = o.p;
	b->end = b->start + room - b->tag_len;
	return 0;
}

static int quic_packet_start(struct sock *sk, struct quic_pkt_builder *b, u8 level,
			     bool frames, struct quic_batch *bt)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[quic_level_space(level)];
	u32 room;

	if (!quic_cid_active(&qs->dcids) || !quic_cid_active(&qs->scids))
		return -ENOTCONN;
	b->skb = quic_packet_skb(sk, s, bt, frames, &room);
	if (!b->skb)
		return -ENOMEM;
	return quic_packet_header(sk, b, level, room, bt, NULL);
}

static bool quic_packet_add(struct quic_pkt_builder *b, const u8 *data, u32 len)
{
	if (b->pos + len > b->end)
		return false;
	memcpy(b->pos, data, len);
	b->pos += len;
	return true;
}

static int quic_packet_add_ack(struct sock *sk, struct quic_pkt_builder *b,
			       struct quic_space *s)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 delay = 0;
	int len;

	if (s == &qs->space[QUIC_SPACE_APP] && b->now > s->largest_recv_time)
		delay = (b->now - s->largest_recv_time) >>	/* RFC 9000 19.3 */
			qs->local.ack_delay_exponent;
	len = quic_pnspace_ack_encode(&s->recv, delay, quic_ecn_counts(&qs->ecn, s - qs->space),
				      b->pos, b->end - b->pos);
	if (len < 0)
		return len;
	b->pos += len;
	s->ack_pending = 0;
	s->ack_immediate = false;
	return 0;
}

static struct quic_sent_pkt *quic_sent_alloc(struct quic_pkt_builder *b)
{
	if (!b->pkt)
		b->pkt = quic_sent_new(b->pn);
	return b->pkt;
}

/* Move queued frames that fit into the packet; they stay attached to it
 * until acknowledged or declared lost.
 */
static u8 *quic_frame_put_data_hdr(u8 *p, const struct quic_frame_out *f, u64 off,
				   u32 len, bool fin)
{
	u8 type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_LEN;

	if (f->type == QUIC_FRAME_CRYPTO) {
		*p++ = QUIC_FRAME_CRYPTO;
		p = quic_put_varint(p, off);
		return quic_put_varint(p, len);
	}
	if (off)
		type |= QUIC_STREAM_BIT_OFF;
	if (fin)
		type |= QUIC_STREAM_BIT_FIN;
	*p++ = type;
	p = quic_put_varint(p, f->stream_id);
	if (off)
		p = quic_put_varint(p, off);
	return quic_put_varint(p, len);
}

/* A CRYPTO or STREAM frame larger than what a packet without other frames
 * has room for is cut to @room bytes; the rest follows it in the queue.
 * It happens when the packet header grew after the frame was made: a
 * client's Initial takes a Retry token (RFC 9000 section 17.2.5.2).
 */
static bool quic_frame_split(struct sock *sk, struct quic_frame_out *f, u32 room)
{
	u32 hlen = f->len - f->data_len, cut;
	struct quic_frame_out *t;
	u8 hdr[32], *p;

	if ((f->type != QUIC_FRAME_CRYPTO && f->type != QUIC_FRAME_STREAM) ||
	    !f->data_len || room < hlen + 16)
		return false;
	cut = room - hlen;
	if (cut >= f->data_len)
		return false;
	t = quic_frame_alloc(sk, 1 + 8 + 8 + 8 + f->data_len - cut, GFP_ATOMIC);
	if (!t)
		return false;
	t->type = f->type;
	t->stream_id = f->stream_id;
	t->offset = f->offset + cut;
	t->data_len = f->data_len - cut;
	t->fin = f->fin;
	t->dup = f->dup;
	p = quic_frame_put_data_hdr(t->data, t, t->offset, t->data_len, t->fin);
	memcpy(p, f->data + hlen + cut, t->data_len);
	t->len = p + t->data_len - t->data;
	list_add(&t->list, &f->list);

	/* The head's header is no longer: the length only got smaller. */
	p = quic_frame_put_data_hdr(hdr, f, f->offset, cut, false);
	memmove(f->data + (p - hdr), f->data + hlen, cut);
	memcpy(f->data, hdr, p - hdr);
	f->len = p - hdr + cut;
	f->data_len = cut;
	f->fin = false;
	return true;
}

/* Frames that did not fit a packet and were passed over for smaller
 * ones behind them: past this many the packet goes as it is, so that
 * building one costs the same however long the send queue is.
 */
#define QUIC_SKIP_MAX	8

/* A DATAGRAM frame sized for a larger MSS than the path now has (a move
 * to a route with a smaller MTU) fits no packet and cannot be split: it
 * is dropped, as RFC 9221 lets datagrams be, or it would block the queue.
 */
static bool quic_frame_too_big(struct sock *sk, struct quic_pkt_builder *b,
			       struct quic_frame_out *f)
{
	if (f->type != QUIC_FRAME_DATAGRAM && f->type != QUIC_FRAME_DATAGRAM_LEN)
		return false;
	if (f->len + b->hlen + b->tag_len <= quic_sk(sk)->mss)
		return false;
	list_del(&f->list);
	quic_frame_free(sk, f);
	sk->sk_write_space(sk);		/* its room is free */
	return true;
}

static void quic_packet_add_frames(struct sock *sk, struct quic_pkt_builder *b,
				   struct quic_space *s)
{
	struct quic_frame_out *f, *tmp;
	int skipped = 0;

	list_for_each_entry_safe(f, tmp, &s->sendq, list) {
		if (b->pos + f->len > b->end) {
			if (quic_frame_too_big(sk, b, f))
				continue;
			if ((b->pkt && !list_empty(&b->pkt->frames)) ||
			    !quic_frame_split(sk, f, b->end - b->pos)) {
				if (++skipped >= QUIC_SKIP_MAX)
					return;
				continue;	/* a smaller one may fit */
			}
			tmp = list_next_entry(f, list);
		}
		if (!quic_sent_alloc(b))
			return;
		memcpy(b->pos, f->data, f->len);
		b->pos += f->len;
		list_move_tail(&f->list, &b->pkt->frames);
		if (quic_frame_ack_eliciting(f->type))
			b->ack_eliciting = true;
	}
}

/* 21 bytes or fewer get no Stateless Reset (RFC 9000 section 10.3). */
#define QUIC_PLAIN_MIN_PACKET	22

/* Pad, fill the Length field and protect the packet; RFC 9001 5.4.2
 * needs 4 bytes of packet number and payload before the sample.
 */
static int quic_packet_seal(struct sock *sk, struct quic_pkt_builder *b, u32 min_size)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 plen, total;

	total = b->pos - b->start + b->tag_len;
	/* Without a tag a packet could be shorter than the smallest
	 * Stateless Reset, which would then not be sent in answer to it
	 * (RFC 9000 section 10.3): padded past that.
	 */
	if (!b->tag_len)
		min_size = max_t(u32, min_size, QUIC_PLAIN_MIN_PACKET);
	if (total < min_size) {
		memset(b->pos, 0, min_size - total);	/* PADDING frames */
		b->pos += min_size - total;
	}
	if (b->pos - b->start < b->hlen + 4 - b->pn_len) {
		memset(b->pos, 0, 4);
		b->pos += 4 - b->pn_len;
	}
	plen = b->pos - b->start - b->hlen;
	if (b->len_field)
		put_unaligned_be16(0x4000 | (b->pn_len + plen + b->tag_len),
				   b->len_field);
	skb_put(b->skb, b->hlen + plen + b->tag_len);
	return quic_crypto_encrypt(qs->crypto[b->level], b->start, b->hlen, plen,
				   b->pn, b->pn_len);
}

static void quic_packet_sent(struct sock *sk, struct quic_pkt_builder *b,
			     struct quic_space *s, u32 size)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_sent_pkt *p = b->pkt;
	u64 now_ns = b->now_ns, now = b->now;
	u8 how;

	s->next_pn++;
	quic_amplification_sent(qs, size);
	how = quic_ecn_sent(&qs->ecn, s - qs->space, b->ecn, !!p);
	if (!p)
		return;
	p->ecn = how;
	p->sent_time = now;
	p->size = size;
	p->ack_eliciting = b->ack_eliciting;
	p->in_flight = b->ack_eliciting;
	list_add_tail(&p->list, &s->sent);
	if (!p->in_flight)
		return;
	qs->bytes_in_flight += size;
	s->ack_eliciting_in_flight++;
	s->last_ack_eliciting = now;
	quic_cong_on_sent(&qs->cong, p->pn, size, now);
	quic_pacing_sent(&qs->cong, &qs->rtt, &qs->pace_next, now_ns, size);
}

/* Put back the frames of a packet that was not sent. */
static void quic_packet_abort(struct sock *sk, struct quic_pkt_builder *b,
			      struct quic_space *s, struct quic_batch *bt)
{
	if (b->pkt) {
		list_splice(&b->pkt->frames, &s->sendq);
		quic_sent_free(b->pkt);
	}
	quic_packet_drop_skb(b, bt);
}

/* Send the batch: several packets go as one UDP GSO skb, cut into
 * datagrams of gso_size bytes by the device or by the stack.  The UDP
 * checksum is left partial, as udp_send_skb() leaves it for UDP_SEGMENT.
 */
static int quic_batch_xmit(struct sock *sk, struct quic_batch *bt)
{
	struct sk_buff *skb = bt->skb;

	if (!skb)
		return 0;
	bt->skb = NULL;
	bt->now_ns = 0;		/* the next train reads the clock again */
	if (bt->segs > 1) {
		skb_shinfo(skb)->gso_size = bt->gso_size;
		skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
		skb_shinfo(skb)->gso_segs = bt->segs;
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb->data - sizeof(struct udphdr) - skb->head;
		skb->csum_offset = offsetof(struct udphdr, check);
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_GSO_SENT);
		QUIC_ADD_STATS(sock_net(sk), QUIC_MIB_GSO_SEGS, bt->segs);
	}
	return quic_xmit(sk, skb, bt->ecn);
}

/* A packet went into the batch.  A first packet shorter than a full one
 * (an ACK alone) leaves alone; a later one shorter than the first ends the
 * train; so does a full batch.
 */
static int quic_batch_add(struct sock *sk, struct quic_batch *bt, u32 size)
{
	if (!bt->segs++) {
		bt->gso_size = size;
		if (size < quic_sk(sk)->mss / 2)
			return quic_batch_xmit(sk, bt);
	}
	if (size < bt->gso_size || bt->segs == bt->room)
		return quic_batch_xmit(sk, bt);
	return 0;
}

/* What quic_packet_send() puts in a packet */
#define QUIC_SEND_ACK		BIT(0)	/* an ACK that is due, first */
#define QUIC_SEND_ACK_MAY	BIT(1)	/* a pending ACK, if room is left */
#define QUIC_SEND_FRAMES	BIT(2)	/* queued frames: the window allows them */
#define QUIC_SEND_PROBE		BIT(3)	/* ack-eliciting, a PING if need be */

/* @what: QUIC_SEND_*.  An ACK not yet due rides after the frames, in the
 * room they leave: STREAM frames fill a packet, and an ACK in front would
 * cut one.  @bt, when not NULL, collects the packet for a GSO send.
 */
static int quic_packet_send(struct sock *sk, u8 level, u8 what, struct quic_batch *bt)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[quic_level_space(level)];
	bool frames = what & QUIC_SEND_FRAMES;
	struct quic_pkt_builder b;
	u32 min_size = 0, size;
	int err;

	err = quic_packet_start(sk, &b, level, frames, bt);
	if (err)
		return err;
	if (what & QUIC_SEND_ACK)
		quic_packet_add_ack(sk, &b, s);
	if (frames)
		quic_packet_add_frames(sk, &b, s);
	if (what & QUIC_SEND_ACK_MAY)
		quic_packet_add_ack(sk, &b, s);
	/* The last of what is queued, with more in flight: a peer asked to
	 * acknowledge less often does so now, rather than after its ACK
	 * delay (ACK frequency draft, section 8.1.1).  A lone packet (a
	 * request, a reply) asks nothing: its ACK rides on the answer, as
	 * at the default threshold.  Not resent if lost; left out when the
	 * packet has no byte free.
	 */
	if (frames && b.ack_eliciting && level == QUIC_CRYPTO_APP &&
	    qs->ackf.tx_every > 2 && s->ack_eliciting_in_flight && list_empty(&s->sendq)) {
		static const u8 imm = QUIC_FRAME_IMMEDIATE_ACK;

		quic_packet_add(&b, &imm, 1);
	}
	if ((what & QUIC_SEND_PROBE) && !b.ack_eliciting) {
		static const u8 ping = QUIC_FRAME_PING;

		if (quic_sent_alloc(&b) && quic_packet_add(&b, &ping, 1))
			b.ack_eliciting = true;
	}
	if (b.pos == b.start + b.hlen) {	/* nothing fit: do not loop */
		quic_packet_abort(sk, &b, s, bt);
		return -ENOSPC;
	}
	/* RFC 9000 section 14.1: datagrams with ack-eliciting Initial
	 * packets are at least 1200 bytes; a client pads all of them.
	 */
	if (level == QUIC_CRYPTO_INITIAL && (!qs->is_server || b.ack_eliciting))
		min_size = QUIC_MIN_DATAGRAM;
	/* In a train, a packet nearly as long as the first is padded to it
	 * rather than ending the train.
	 */
	if (quic_in_batch(&b, bt) && bt->segs &&
	    b.pos - b.start + b.tag_len >= bt->gso_size - bt->gso_size / 8)
		min_size = bt->gso_size;
	err = quic_packet_seal(sk, &b, min_size);
	if (err) {
		quic_packet_abort(sk, &b, s, bt);
		return err;
	}
	/* 1-RTT packets only: a path that drops marked packets would
	 * otherwise cost the handshake its probe timeouts, each doubling.
	 */
	if (level == QUIC_CRYPTO_APP)
		b.ecn = quic_in_batch(&b, bt) ? bt->ecn :
			quic_ecn_codepoint(&qs->ecn, b.ack_eliciting);
	size = skb_tail_pointer(b.skb) - b.start;
	if (quic_in_batch(&b, bt)) {
		quic_packet_sent(sk, &b, s, size);
		return quic_batch_add(sk, bt, size);
	}
	err = quic_xmit(sk, b.skb, b.ecn);
	quic_packet_sent(sk, &b, s, size);
	if (level == QUIC_CRYPTO_EARLY)
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_0RTT_SENT);
	/* RFC 9001 section 4.9.1: a client drops its Initial keys once it
	 * sends a Handshake packet.
	 */
	if (level == QUIC_CRYPTO_HANDSHAKE && !qs->is_server)
		quic_space_discard(sk, QUIC_SPACE_INITIAL);
	return err;
}

static bool quic_cwnd_allows(struct quic_sock *qs)
{
	return qs->bytes_in_flight < qs->cong.window;
}

/* RFC 9002 section 7.7: ack-eliciting packets leave at the pacing rate,
 * in bursts of at most the initial window; the pacing timer flushes
 * again when the schedule allows.  ACK-only packets and probes are not
 * paced.  @now_ns is read once per flush, and again only before waiting:
 * reading the clock is not free (an HPET is an MMIO access).
 */
static bool quic_pacing_allows(struct sock *sk, u64 *now_ns)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 when;

	if (!quic_pacing_wait(&qs->cong, &qs->rtt, &qs->pace_next, *now_ns))
		return true;
	*now_ns = ktime_get_ns();
	when = quic_pacing_wait(&qs->cong, &qs->rtt, &qs->pace_next, *now_ns);
	if (!when)
		return true;
	quic_pace_timer_arm(sk, when);
	return false;
}

/* Does this space have an ACK to send now?  In the application space
 * ACKs wait for a second ack-eliciting packet (RFC 9000 section 13.2.2),
 * or as many as the peer asked with ACK_FREQUENCY, or the ACK timer; the
 * handshake spaces acknowledge at once.
 */
static bool quic_ack_due(struct quic_sock *qs, u8 space)
{
	struct quic_space *s = &qs->space[space];

	if (!s->ack_pending)
		return false;
	return space != QUIC_SPACE_APP || s->ack_immediate ||
	       s->ack_pending >= (qs->ackf.ack_every ?: 2);
}

static int quic_level_tx(struct quic_sock *qs, u8 space)
{
	u8 level = quic_space_level(space, false);

	if (qs->space[space].keys_discarded)
		return -1;
	if (quic_tx_ready(qs, level))
		return level;
	if (space == QUIC_SPACE_APP && !qs->is_server && quic_tx_ready(qs, QUIC_CRYPTO_EARLY))
		return QUIC_CRYPTO_EARLY;
	return -1;
}

/* RFC 9001 section 6.6: keys near their confidentiality limit are
 * replaced by a key update, from the keys prepared ahead so that this
 * works in softirq too.  Keys at their limit, or past the integrity
 * limit, protect no more data or probes (a CONNECTION_CLOSE still goes):
 * the connection's work item, or close(), ends the connection with
 * AEAD_LIMIT_REACHED.  Returns false when nothing may be sent.
 */
static bool quic_output_aead_check(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto *c = qs->crypto[QUIC_CRYPTO_APP];

	if (!c)
		return true;
	if (quic_crypto_limit_reached(c)) {
		quic_work_queue(sk, QUIC_WORK_AEAD_LIMIT);
		return false;
	}
	if (!quic_crypto_update_due(c) || !qs->confirmed || qs->key_update_pending ||
	    quic_crypto_key_update(c))
		return true;
	qs->key_update_pending = true;
	qs->key_update_pn = qs->space[QUIC_SPACE_APP].next_pn;
	quic_work_queue(sk, QUIC_WORK_KEYS);	/* for the update after */
	return true;
}

/* What we ask of a peer that takes ACK_FREQUENCY (the ACK frequency
 * draft, section 8): an ACK every quarter of the congestion window, at
 * least every second packet and at most every QUIC_ACK_ASK_MAX, within a
 * quarter of the smoothed RTT (within the delays the peer can do), and
 * an immediate ACK on reordering past our packet threshold.  Asked once
 * the connection sends, again when that changes, at most once per RTT.
 */
#define QUIC_ACK_ASK_MAX	10
#define QUIC_ACK_ASK_REORDER	3	/* RFC 9002 kPacketThreshold */

static void quic_output_ack_frequency(struct sock *sk, u64 now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_ack_freq *a = &qs->ackf;
	struct quic_frame fr = {};
	u32 every, delay;

	if (!(qs->peer.has & QUIC_PARAM_HAS_MIN_ACK_DELAY) || !qs->confirmed ||
	    (a->tx_every && now < a->tx_time + qs->rtt.smoothed) || a->tx_seq == U32_MAX ||
	    (!qs->bytes_in_flight && list_empty(&qs->space[QUIC_SPACE_APP].sendq)))
		return;
	every = clamp_t(u64, div_u64(qs->cong.window, 4 * qs->mss), 2, QUIC_ACK_ASK_MAX);
	delay = clamp_t(u64, qs->rtt.smoothed / 4, qs->peer.min_ack_delay,
			qs->peer.max_ack_delay * USEC_PER_MSEC);
	if (every == a->tx_every && delay <= 2 * a->tx_delay && a->tx_delay <= 2 * delay)
		return;
	fr.type = QUIC_FRAME_ACK_FREQUENCY;
	fr.ack_freq.seq = a->tx_seq;
	fr.ack_freq.threshold = every - 1;
	fr.ack_freq.max_delay = delay;
	fr.ack_freq.reorder = QUIC_ACK_ASK_REORDER;
	if (quic_frame_queue_first(sk, QUIC_CRYPTO_APP, &fr))	/* before the data */
		return;
	a->tx_seq++;
	a->tx_every = every;
	a->tx_delay = delay;
	a->tx_time = now;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ACK_FREQ_SENT);
}

/* RFC 8899 and RFC 9000 section 14.3: a path MTU probe, a PING padded
 * to the size tried, goes first in a flush when the search asks for one,
 * while the connection carries data (an idle one is not kept awake by
 * probes) and the congestion window has room.  Only a validated path of
 * a confirmed connection is probed, in 1-RTT packets.  The probe is
 * never sent again; its loss is no sign of congestion (section 14.4).
 */
static void quic_output_pmtu_probe(struct sock *sk, u64 now_ns)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[QUIC_SPACE_APP];
	struct quic_pkt_builder b;
	u32 size, max;
	u64 now;
	int err;

	if (!qs->pmtu.interval || qs->pmtu.in_flight)
		return;		/* without a division per flush */
	now = div_u64(now_ns, NSEC_PER_USEC);		/* quic_now() */
	if (!quic_pmtu_due(&qs->pmtu, now) || !qs->confirmed || qs->path.validating ||
	    (!qs->bytes_in_flight && list_empty(&s->sendq)) || !quic_cwnd_allows(qs) ||
	    quic_amplification_room(qs) != U32_MAX || quic_level_tx(qs, QUIC_SPACE_APP) !=
	    QUIC_CRYPTO_APP || !quic_cid_active(&qs->dcids) || !quic_cid_active(&qs->scids))
		return;
	max = min(quic_route_max_payload(sk, U32_MAX), QUIC_PMTU_MAX);
	size = quic_pmtu_probe_size(&qs->pmtu, max, now);
	if (!size || qs->cong.window < size)	/* it takes window too */
		return;
	b.skb = alloc_skb(QUIC_HEADROOM + size, GFP_ATOMIC | __GFP_NOWARN);
	if (!b.skb)
		return;
	skb_reserve(b.skb, QUIC_HEADROOM);
	if (quic_packet_header(sk, &b, QUIC_CRYPTO_APP, size, NULL, NULL))
		return;		/* it freed the skb */
	*b.pos++ = QUIC_FRAME_PING;
	b.ack_eliciting = true;
	b.ecn = INET_ECN_NOT_ECT;	/* its loss says nothing of the marks */
	if (!quic_sent_alloc(&b) || quic_packet_seal(sk, &b, size)) {
		if (b.pkt)
			quic_sent_free(b.pkt);
		kfree_skb(b.skb);
		return;
	}
	/* A probe that did not leave (no route) is neither in flight nor
	 * a probe lost; its packet number is used up all the same.
	 */
	err = quic_xmit(sk, b.skb, INET_ECN_NOT_ECT);
	if (err) {
		quic_sent_free(b.pkt);
		b.pkt = NULL;
	}
	quic_packet_sent(sk, &b, s, size);
	if (err)
		return;
	quic_pmtu_probe_sent(&qs->pmtu, b.pn);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PMTU_PROBES);
}

/**
 * quic_output_flush - send what is queued, as far as allowed
 * @sk: the connection
 *
 * Return: 0 or the first transmit error.
 */
int quic_output_flush(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_batch bt = {};
	int space, level, err = 0;
	u8 what;
	u64 now_ns;

	quic_sock_assert_locked(sk);
	if (qs->closing || !qs->udp || !quic_output_aead_check(sk))
		return 0;
	now_ns = ktime_get_ns();
	bt.now_ns = now_ns;
	bt.now = div_u64(now_ns, NSEC_PER_USEC);
	quic_output_ack_frequency(sk, bt.now);
	quic_output_pmtu_probe(sk, now_ns);
	for (space = QUIC_SPACE_INITIAL; space < QUIC_SPACE_MAX; space++) {
		struct quic_space *s = &qs->space[space];

		level = quic_level_tx(qs, space);
		if (level < 0)
			continue;
		for (;;) {
			bool ack = quic_ack_due(qs, space) && level != QUIC_CRYPTO_EARLY;
			bool data = !list_empty(&s->sendq) && quic_cwnd_allows(qs) &&
				    quic_pacing_allows(sk, &now_ns);

			if (!ack && !data)
				break;
			if (quic_amplification_blocked(qs, level))
				break;	/* a later space may need less room */
			what = data ? QUIC_SEND_FRAMES : 0;
			if (s->ack_pending && level != QUIC_CRYPTO_EARLY)
				what |= ack ? QUIC_SEND_ACK : QUIC_SEND_ACK_MAY;
			err = quic_packet_send(sk, level, what,
					       level == QUIC_CRYPTO_APP &&
					       quic_amplification_room(qs) == U32_MAX ? &bt : NULL);
			if (err == -ENOSPC && !bt.skb) {
				err = 0;
				break;	/* nothing fit here: a later space may */
			}
			if (err)
				goto out;
		}
	}
out:
	if (bt.skb) {
		int xerr = quic_batch_xmit(sk, &bt);

		if (!err || err == -ENOSPC)
			err = xerr;
	}
	quic_timers_update(sk, div_u64(now_ns, NSEC_PER_USEC));
	return err == -ENOSPC ? 0 : err;
}

/**
 * quic_output_probe - send a probe packet in a space (RFC 9002 6.2.4)
 * @sk: the connection
 * @space: &enum quic_space_id
 *
 * The probe carries queued or lost data if there is some, else a PING;
 * it ignores the congestion window but not the amplification limit.
 *
 * Return: 0 or an errno.
 */
int quic_output_probe(struct sock *sk, u8 space)
{
	struct quic_sock *qs = quic_sk(sk);
	int level = quic_level_tx(qs, space);
	u8 what;

	quic_sock_assert_locked(sk);
	if (level < 0 || qs->closing ||
	    (level == QUIC_CRYPTO_APP && !quic_output_aead_check(sk)))
		return -ENOKEY;
	if (quic_amplification_blocked(qs, level))
		return -EAGAIN;
	what = QUIC_SEND_FRAMES | QUIC_SEND_PROBE;
	if (level != QUIC_CRYPTO_EARLY && qs->space[space].ack_pending)	/* none in 0-RTT */
		what |= quic_ack_due(qs, space) ? QUIC_SEND_ACK : QUIC_SEND_ACK_MAY;
	return quic_packet_send(sk, level, what, NULL);
}

/**
 * quic_output_close - send a CONNECTION_CLOSE now
 * @sk: the connection
 * @level: encryption level to send it in
 * @error: error code
 * @frame_type: frame that caused a transport error
 * @app: application close (0x1d), else transport close (0x1c)
 * @phrase: reason phrase, or NULL
 *
 * Return: 0 or an errno.
 */
int quic_output_close(struct sock *sk, u8 level, u64 error, u64 frame_type,
		      bool app, const char *phrase)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[quic_level_space(level)];
	struct quic_pkt_builder b;
	struct quic_frame fr = {};
	int err, len;

	quic_sock_assert_locked(sk);
	if (!quic_tx_ready(qs, level) || !qs->udp)
		return -ENOKEY;
	fr.type = app ? QUIC_FRAME_CONNECTION_CLOSE_APP : QUIC_FRAME_CONNECTION_CLOSE;
	fr.close.error = error;
	fr.close.frame_type = frame_type;
	if (phrase) {
		fr.bytes.data = phrase;
		fr.bytes.len = strlen(phrase);
	}
	err = quic_packet_start(sk, &b, level, true, NULL);
	if (err)
		return err;
	len = quic_frame_encode(b.pos, b.end - b.pos, &fr);
	if (len < 0) {
		kfree_skb(b.skb);
		return len;
	}
	b.pos += len;
	err = quic_packet_seal(sk, &b, level == QUIC_CRYPTO_INITIAL && !qs->is_server ?
			       QUIC_MIN_DATAGRAM : 0);
	if (err) {
		kfree_skb(b.skb);
		return err;
	}
	s->next_pn++;
	quic_amplification_sent(qs, b.skb->len);
	return quic_xmit(sk, b.skb, INET_ECN_NOT_ECT);
}

/* A datagram to @to from tunnel socket @via (NULL: the connection's).
 * Not on the path in use, it is routed each time: the dst cache holds
 * the route of that path.
 */
static int quic_xmit_to(struct sock *sk, struct sk_buff *skb, const union quic_addr *to,
			const struct quic_udp_sock *via)
{
	struct quic_sock *qs = quic_sk(sk);

	if (!via && quic_addr_same(to, &qs->peer_addr))
		return quic_xmit(sk, skb, INET_ECN_NOT_ECT);
	skb->mark = READ_ONCE(sk->sk_mark);
	skb->priority = READ_ONCE(sk->sk_priority);
	if (via)
		return quic_xmit_routed(via->sock->sk, skb, &via->addr, to,
					sk->sk_bound_dev_if);
	return quic_xmit_routed(qs->udp->sock->sk, skb, &qs->local_addr, to,
				sk->sk_bound_dev_if);
}

/**
 * quic_output_path_frame - send PATH_CHALLENGE or PATH_RESPONSE frames now
 * @sk: the connection, with its 1-RTT keys
 * @to: where to: the peer's current address or another one
 * @via: the tunnel socket it leaves from, NULL for the connection's (a
 *	server's preferred address has its own)
 * @dcid: the peer's connection ID it carries, NULL for the one in use (a
 *	path not in use yet gets one of its own, RFC 9000 section 9.5)
 * @type: %QUIC_FRAME_PATH_CHALLENGE or %QUIC_FRAME_PATH_RESPONSE
 * @data: the frames' data, %QUIC_PATH_DATA_LEN bytes each, back to back
 * @n: how many frames
 * @ping: add a PING, which makes the packet a non-probing one (RFC 9000
 *	section 9.3.3: a challenge on the active path gets one back)
 * @limit: most bytes the datagram may have
 *
 * The datagram is padded to 1200 bytes (RFC 9000 sections 8.2.1 and
 * 8.2.2) when @limit and the anti-amplification limit of the current
 * address leave that much; else it is not padded at all, so that the
 * budget left takes the next challenge.  A response on the path in use
 * counts in flight for congestion control, though it is never sent
 * again (section 13.3); challenges do not, so that the loss of those of
 * a failed validation, spread over seconds, is not taken for persistent
 * congestion (section 9.4 lets probes be kept out of it).
 *
 * Return: 0 or an errno.
 */
int quic_output_path_frame(struct sock *sk, const union quic_addr *to,
			   const struct quic_udp_sock *via, const struct quic_cid *dcid,
			   u8 type, const u8 *data, u8 n, bool ping, u32 limit)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_space *s = &qs->space[QUIC_SPACE_APP];
	bool active = !via && quic_addr_same(to, &qs->peer_addr);
	bool record = active && type == QUIC_FRAME_PATH_RESPONSE;
	struct quic_pkt_builder b;
	struct quic_frame fr = {};
	u32 room;
	int err;
	u8 i;

	quic_sock_assert_locked(sk);
	if (!quic_tx_ready(qs, QUIC_CRYPTO_APP) || !qs->udp || qs->closing ||
	    !quic_cid_active(&qs->dcids) || !quic_cid_active(&qs->scids) ||
	    !quic_output_aead_check(sk))
		return -ENOKEY;
	room = min3(qs->mss, limit, active ? quic_amplification_room(qs) : U32_MAX);
	b.skb = alloc_skb(QUIC_HEADROOM + room, GFP_ATOMIC);
	if (!b.skb)
		return -ENOMEM;
	skb_reserve(b.skb, QUIC_HEADROOM);
	err = quic_packet_header(sk, &b, QUIC_CRYPTO_APP, room, NULL, dcid);
	if (err)
		return err;
	fr.type = type;
	for (i = 0; i < n; i++) {
		memcpy(fr.path_data, data + i * QUIC_PATH_DATA_LEN, QUIC_PATH_DATA_LEN);
		err = quic_frame_encode(b.pos, b.end - b.pos, &fr);
		if (err < 0)
			goto drop;
		b.pos += err;
	}
	if (ping && b.pos < b.end)
		*b.pos++ = QUIC_FRAME_PING;
	b.ack_eliciting = true;
	if (record && !quic_sent_alloc(&b)) {
		err = -ENOMEM;
		goto drop;
	}
	err = quic_packet_seal(sk, &b, room >= QUIC_MIN_DATAGRAM ? QUIC_MIN_DATAGRAM : 0);
	if (err)
		goto drop;
	if (record) {
		quic_packet_sent(sk, &b, s, b.skb->len);
	} else {
		s->next_pn++;
		if (active)
			quic_amplification_sent(qs, b.skb->len);
	}
	err = quic_xmit_to(sk, b.skb, to, via);
	if (record)
		quic_timers_update(sk, quic_now());
	return err;
drop:
	if (b.pkt)
		quic_sent_free(b.pkt);
	kfree_skb(b.skb);
	return err;
}
