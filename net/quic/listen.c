// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Listening sockets.  A datagram that matches no connection ID may open
 * a connection: it waits on a listener until accept() makes the
 * connection (RFC 9000 section 14.1 asks for Initials of 1200 bytes).
 *
 * Several listeners may share a port, each taking its own ALPN names
 * (the socket API draft's ALPN routing): an SMB server in the kernel and
 * an HTTP/3 server in user space on port 443.  With more than one, a new
 * connection goes to the listener that takes the first name of the
 * client's ALPN list that any of them takes; a listener without ALPN
 * takes the rest; with no taker the connection is refused with
 * CRYPTO_ERROR no_application_protocol (RFC 9001 section 8.1).  The
 * names are in the ClientHello, protected with the Initial keys and
 * possibly spread over several Initial packets, so the receive path hands
 * such datagrams to a work item, the dispatcher, which derives the keys,
 * decrypts a copy, puts the ClientHello together and routes the
 * datagrams.  A port with one listener goes without: its datagrams are
 * queued on it directly, and the TLS library judges the ALPN.
 */

#include <linux/jhash.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "hello.h"
#include "listen.h"
#include "mib.h"
#include "output.h"
#include "packet.h"
#include "socket.h"
#include "token.h"
#include "udp.h"
#include "wire.h"

#define QUIC_LISTEN_0RTT_MAX	16	/* 0-RTT packets a listener keeps */

#define QUIC_LISTENERS_MAX	16	/* listeners sharing a port */
#define QUIC_REQS_BUCKETS	256	/* of &quic_sock.reqs_ids */

#define QUIC_DISPATCH_BACKLOG	64	/* datagrams waiting for the dispatcher */
#define QUIC_DISPATCH_CONNS	16	/* connections being routed at once */
#define QUIC_DISPATCH_DGRAMS	8	/* datagrams one of them may hold */

#define QUIC_DISPATCH_WAIT	(3 * HZ) /* to complete a ClientHello */
#define QUIC_DISPATCH_NAMES	32	/* client ALPN names looked at */

/* Keyed so that a peer cannot choose IDs that all fall in one bucket. */
static u32 quic_reqs_seed __read_mostly;

/* Who listens on which port: listen() and close() only, process context.
 * The receive path and the dispatcher read the lists under RCU.
 */
static DEFINE_MUTEX(quic_listen_mutex);

/**
 * struct quic_dispatch - routes the new connections of a port by ALPN
 * @us: the port
 * @lock: guards @rx, @mem and @dead, between the receive path and @work
 * @rx: Initial and 0-RTT datagrams of new connections, not read yet
 * @mem: truesize of the datagrams in @rx and @conns, within the UDP
 *	socket's receive buffer
 * @dead: the port's last listener left: nothing more is queued
 * @work: reads @rx, routes what it can, drops what waited too long
 * @conns: new connections, oldest first: those whose ClientHello is not
 *	complete, and those routed in the last QUIC_DISPATCH_WAIT, whose
 *	later datagrams follow them
 * @nr_conns: entries in @conns
 * @crypto: Initial keys for QUIC v1 and v2, of the IDs in @key_cid, kept
 *	for the next datagram: a client's datagrams come one after another
 * @key_cid: the connection ID each of @crypto was derived from
 * @rcu: freed after the receive path's readers
 *
 * Created when a second listener joins a port, freed when the last one
 * leaves (under quic_listen_mutex).  @conns, @nr_conns, @crypto and
 * @key_cid belong to @work alone.
 */
struct quic_dispatch {
	struct quic_udp_sock	*us;
	spinlock_t		lock;	/* see @lock */
	struct sk_buff_head	rx;
	u32			mem;
	bool			dead;
	struct delayed_work	work;
	struct list_head	conns;
	u32			nr_conns;
	struct quic_crypto	*crypto[2];
	struct quic_cid		key_cid[2];
	struct rcu_head		rcu;
};

/**
 * struct quic_dispatch_conn - a new connection waiting for its ClientHello
 * @node: entry in &quic_dispatch.conns
 * @since: jiffies at its first datagram
 * @dcid: the Destination Connection ID the client chose, which its
 *	Initial keys come from
 * @version: the QUIC version of its Initials
 * @dgrams: its datagrams, handed to the listener once routed
 * @hello: the ClientHello as far as it came; its buffer is allocated
 *	with the first Initial and freed once routed
 * @routed: the listener it went to, held; NULL until then
 */
struct quic_dispatch_conn {
	struct list_head	node;
	unsigned long		since;
	struct quic_cid		dcid;
	u32			version;
	struct sk_buff_head	dgrams;
	struct quic_hello	hello;
	struct sock		*routed;
};

/* ---- the queues of one listener ---- */

/* Under load, as TCP sends SYN cookies, every listener validates
 * addresses: a flood of Initials from spoofed addresses then makes a
 * Retry each and no connection, while real clients come back with the
 * token.  The load is the port's handshakes in progress and what waits
 * for accept() on this listener, against net.quic.retry_threshold.  @us
 * is the port the datagram came on: a listener that is closing may have
 * let go of its own.
 */
static bool quic_listener_loaded(struct quic_udp_sock *us, struct sock *lsk)
{
	int threshold = READ_ONCE(quic_net(sock_net(lsk))->retry_threshold);

	return threshold && atomic_read(&us->handshakes) +
			    skb_queue_len_lockless(&quic_sk(lsk)->reqs) >= threshold;
}

/**
 * quic_listener_hs_begin - a server connection starts its handshake
 * @sk: the connection, just accepted, locked
 */
void quic_listener_hs_begin(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	atomic_inc(&qs->udp->handshakes);
	qs->hs_counted = true;
}

/**
 * quic_listener_hs_end - a server connection's handshake is over
 * @sk: the connection: established, or going away (still bound); locked,
 *	or no longer reachable
 */
void quic_listener_hs_end(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (!qs->hs_counted)
		return;
	qs->hs_counted = false;
	atomic_dec(&qs->udp->handshakes);
}

/* Does @skb, a datagram waiting on a listener, go to @dcid? */
static bool quic_skb_to_cid(const struct sk_buff *skb, const struct quic_cid *dcid)
{
	const u8 *d;
	u8 l;

	return quic_packet_dcid(skb->data, skb->len, QUIC_CID_LEN, &d, &l) &&
	       l == dcid->len && !memcmp(d, dcid->data, l);
}

/* Let the receive path queue datagrams on @lsk, about to listen. */
static void quic_listener_open(struct sock *lsk)
{
	struct quic_sock *lqs = quic_sk(lsk);

	spin_lock_bh(&lqs->reqs.lock);
	lqs->reqs_open = true;
	spin_unlock_bh(&lqs->reqs.lock);
}

/**
 * quic_listener_close - stop queueing datagrams on a listener, drop them
 * @lsk: the listener; also fine on a socket that never listened
 *
 * A softirq that found the listener just before it stopped may still try
 * to queue: it finds @reqs_open cleared under the same lock.
 */
void quic_listener_close(struct sock *lsk)
{
	struct quic_sock *lqs = quic_sk(lsk);
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	spin_lock_bh(&lqs->reqs.lock);
	lqs->reqs_open = false;
	skb_queue_splice_init(&lqs->reqs, &q);
	skb_queue_splice_init(&lqs->reqs_0rtt, &q);
	lqs->reqs_mem = 0;
	if (lqs->reqs_ids)
		memset(lqs->reqs_ids, 0, QUIC_REQS_BUCKETS * sizeof(*lqs->reqs_ids));
	spin_unlock_bh(&lqs->reqs.lock);
	__skb_queue_purge(&q);
}

/* Under the queue lock of an open listener: the count of the datagrams
 * of @reqs whose ID falls in the bucket of @skb's.
 */
static u16 *quic_reqs_bucket(struct quic_sock *lqs, const struct sk_buff *skb)
{
	const u8 *dcid = NULL;
	u8 len;

	if (!quic_packet_dcid(skb->data, skb->len, QUIC_CID_LEN, &dcid, &len))
		len = 0;
	return &lqs->reqs_ids[jhash(dcid, len, quic_reqs_seed) % QUIC_REQS_BUCKETS];
}

/* Under the queue lock: @skb leaves a listener queue. */
static void quic_listener_unlink(struct quic_sock *lqs, struct sk_buff *skb,
				 struct sk_buff_head *q)
{
	__skb_unlink(skb, q);
	lqs->reqs_mem -= skb->truesize;
	if (q == &lqs->reqs)
		(*quic_reqs_bucket(lqs, skb))--;
}

/* An Initial to the same ID as @skb's waits for accept() already: @skb
 * is a retransmission, or the rest of a ClientHello.  It is queued with
 * it, never answered with a Retry: the client would follow the Retry
 * and leave the connection accept() makes from the first one.
 */
static bool quic_listener_waiting(struct sock *lsk, const struct sk_buff *skb)
{
	struct quic_sock *lqs = quic_sk(lsk);
	const u8 *dcid, *d;
	struct sk_buff *q;
	bool found = false;
	u8 len, l;

	if (!quic_packet_dcid(skb->data, skb->len, QUIC_CID_LEN, &dcid, &len))
		return false;
	spin_lock_bh(&lqs->reqs.lock);
	if (lqs->reqs_open && *quic_reqs_bucket(lqs, skb)) {
		skb_queue_walk(&lqs->reqs, q) {
			if (quic_packet_dcid(q->data, q->len, QUIC_CID_LEN, &d, &l) &&
			    l == len && !memcmp(d, dcid, len)) {
				found = true;
				break;
			}
		}
	}
	spin_unlock_bh(&lqs->reqs.lock);
	return found;
}

/* Queue @skb on a listener queue of at most @max datagrams, the oldest
 * giving way for 0-RTT (@drop_old), the newest otherwise; all of them
 * within the listener's receive buffer in truesize: spoofed Initials of
 * up to 64 KiB each cannot pin more.  Consumes @skb.
 */
static bool quic_listener_queue(struct sock *lsk, struct sk_buff_head *q, struct sk_buff *skb,
				u32 max, bool drop_old)
{
	struct quic_sock *lqs = quic_sk(lsk);
	struct sk_buff *old = NULL;
	bool queued = false;

	spin_lock_bh(&lqs->reqs.lock);
	if (drop_old && skb_queue_len(q) >= max) {
		old = skb_peek(q);
		quic_listener_unlink(lqs, old, q);
	}
	if (lqs->reqs_open && skb_queue_len(q) < max &&
	    lqs->reqs_mem + skb->truesize <= READ_ONCE(lsk->sk_rcvbuf)) {
		__skb_queue_tail(q, skb);
		lqs->reqs_mem += skb->truesize;
		if (q == &lqs->reqs)
			(*quic_reqs_bucket(lqs, skb))++;
		queued = true;
	}
	spin_unlock_bh(&lqs->reqs.lock);
	kfree_skb(old);
	if (!queued)
		kfree_skb(skb);
	return queued;
}

/**
 * quic_listener_next - the first datagram of the next connection to accept
 * @lsk: the listener, locked
 *
 * Return: the datagram, or NULL.
 */
struct sk_buff *quic_listener_next(struct sock *lsk)
{
	struct quic_sock *lqs = quic_sk(lsk);
	struct sk_buff *skb;

	spin_lock_bh(&lqs->reqs.lock);
	skb = skb_peek(&lqs->reqs);
	if (skb)
		quic_listener_unlink(lqs, skb, &lqs->reqs);
	spin_unlock_bh(&lqs->reqs.lock);
	return skb;
}

/* Under the queue lock: move what waits in @from for @dcid to @space. */
static void quic_listener_move(struct quic_sock *lqs, struct sk_buff_head *from,
			       struct sock *sk, u8 space, const struct quic_cid *dcid)
{
	struct sk_buff_head *pending = sk ? &quic_sk(sk)->space[space].pending : NULL;
	struct sk_buff *skb, *tmp;

	skb_queue_walk_safe(from, skb, tmp) {
		if (!quic_skb_to_cid(skb, dcid))
			continue;
		quic_listener_unlink(lqs, skb, from);
		if (pending && skb_queue_len(pending) < QUIC_PENDING_MAX)
			__skb_queue_tail(pending, skb);
		else
			kfree_skb(skb);
	}
}

/**
 * quic_listener_take - hand over what a listener keeps for a connection
 * @lsk: the listener
 * @sk: the connection accepted, locked; or NULL to drop it all
 * @dcid: the connection ID its client first sent to
 *
 * Initial datagrams that arrived before the connection's ID was in the
 * table, and 0-RTT ones, go to the connection's pending queues, where
 * they wait for their keys like any early packet.
 */
void quic_listener_take(struct sock *lsk, struct sock *sk, const struct quic_cid *dcid)
{
	struct quic_sock *lqs = quic_sk(lsk);

	spin_lock_bh(&lqs->reqs.lock);
	quic_listener_move(lqs, &lqs->reqs, sk, QUIC_SPACE_INITIAL, dcid);
	quic_listener_move(lqs, &lqs->reqs_0rtt, sk, QUIC_SPACE_APP, dcid);
	spin_unlock_bh(&lqs->reqs.lock);
}

/* RFC 9000 section 8.1.2: a listener that validates addresses answers
 * an Initial without a valid token with a Retry, and takes only those
 * that bring one back.  A bad Retry token is dropped: the client had its
 * chance (section 8.1.3).
 *
 * A client that follows a Retry has left the attempt its earlier
 * Initials began: those still waiting for accept() (sent before a load
 * made us ask for a token, or a retransmission that got the Retry) would
 * become a connection nobody talks to, whose packets could even confuse
 * the client; they go.
 */
static bool quic_listener_admit(struct quic_udp_sock *us, struct sock *lsk,
				struct sk_buff *skb, const struct quic_packet_info *info)
{
	bool validate = READ_ONCE(quic_sk(lsk)->config.validate_peer_address);
	struct sock *usk = us->sock->sk;
	union quic_addr peer, local;
	struct quic_cid odcid;
	bool loaded = false;
	int type;

	if (info->token_len) {
		quic_addr_from_skb(skb, &peer, &local);
		type = quic_token_check(info->token, info->token_len, &peer, &odcid);
		if (type == QUIC_TOKEN_RETRY)
			quic_listener_take(lsk, NULL, &odcid);
		if (type > 0)
			return true;
	}
	if (!validate) {
		loaded = quic_listener_loaded(us, lsk);
		if (!loaded)
			return true;
	}
	if (info->token_len) {
		QUIC_INC_STATS(sock_net(usk), QUIC_MIB_TOKEN_INVALID);
		if (info->token[0] == QUIC_TOKEN_RETRY)
			return false;
	}
	if (quic_listener_waiting(lsk, skb))
		return true;
	quic_retry_send(usk, skb, info);
	if (loaded)
		QUIC_INC_STATS(sock_net(usk), QUIC_MIB_RETRY_LOAD);
	return false;
}

/* Queue a datagram that may open a connection on the listener chosen for
 * it.  A client's 0-RTT packets can come before accept() has made the
 * connection their ID leads to: ahead of its Initial (RFC 9000 section
 * 5.2.2 lets a server buffer a few), or right behind it.  The listener
 * keeps the last QUIC_LISTEN_0RTT_MAX of them; older ones give way, and
 * their data comes again in 1-RTT packets.  Under rcu_read_lock() with
 * BHs off; consumes @skb.
 */
static void quic_listener_deliver(struct quic_udp_sock *us, struct sock *lsk,
				  struct sk_buff *skb, const struct quic_packet_info *info)
{
	struct quic_sock *lqs = quic_sk(lsk);
	u32 backlog;

	if (!READ_ONCE(lqs->reqs_open) || !refcount_inc_not_zero(&lsk->sk_refcnt)) {
		kfree_skb(skb);
		return;
	}
	if (info->type == QUIC_PACKET_0RTT) {
		quic_listener_queue(lsk, &lqs->reqs_0rtt, skb, QUIC_LISTEN_0RTT_MAX, true);
		goto out;
	}
	backlog = max_t(u32, READ_ONCE(lsk->sk_max_ack_backlog), 1);
	if (skb_queue_len(&lqs->reqs) >= backlog ||
	    !quic_listener_admit(us, lsk, skb, info))
		kfree_skb(skb);
	else if (quic_listener_queue(lsk, &lqs->reqs, skb, backlog, false))
		lsk->sk_data_ready(lsk);
out:
	sock_put(lsk);
}

/* ---- routing by ALPN ---- */

static struct quic_dispatch_conn *quic_dispatch_find(struct quic_dispatch *d,
						     const struct quic_packet_info *info)
{
	struct quic_dispatch_conn *c;

	list_for_each_entry(c, &d->conns, node)
		if (c->version == info->version && c->dcid.len == info->dcid_len &&
		    !memcmp(c->dcid.data, info->dcid, info->dcid_len))
			return c;
	return NULL;
}

static void quic_dispatch_uncharge(struct quic_dispatch *d, struct sk_buff *skb)
{
	spin_lock_bh(&d->lock);
	d->mem -= skb->truesize;
	spin_unlock_bh(&d->lock);
}

static void quic_dispatch_drop(struct quic_dispatch *d, struct sk_buff *skb)
{
	QUIC_INC_STATS(sock_net(d->us->sock->sk), QUIC_MIB_ALPN_DROPPED);
	quic_dispatch_uncharge(d, skb);
	kfree_skb(skb);
}

/* Forget a connection, and drop what it still holds, counted as
 * QuicAlpnDropped if @count.
 */
static void quic_dispatch_conn_free(struct quic_dispatch *d, struct quic_dispatch_conn *c,
				    bool count)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&c->dgrams))) {
		if (count)
			QUIC_INC_STATS(sock_net(d->us->sock->sk), QUIC_MIB_ALPN_DROPPED);
		quic_dispatch_uncharge(d, skb);
		kfree_skb(skb);
	}
	if (c->routed)
		sock_put(c->routed);
	list_del(&c->node);
	d->nr_conns--;
	kfree(c->hello.buf);
	kfree(c);
}

/* A connection to route, the oldest giving way when there are too many:
 * spoofed Initials cannot hold more than QUIC_DISPATCH_CONNS of them.
 */
static struct quic_dispatch_conn *quic_dispatch_conn_new(struct quic_dispatch *d,
							 const struct quic_packet_info *info)
{
	struct quic_dispatch_conn *c;

	if (d->nr_conns == QUIC_DISPATCH_CONNS) {
		c = list_first_entry(&d->conns, struct quic_dispatch_conn, node);
		quic_dispatch_conn_free(d, c, true);
	}
	c = kzalloc_obj(*c, GFP_KERNEL);
	if (!c)
		return NULL;
	c->since = jiffies;
	c->version = info->version;
	c->dcid.len = info->dcid_len;
	memcpy(c->dcid.data, info->dcid, info->dcid_len);
	__skb_queue_head_init(&c->dgrams);
	list_add_tail(&c->node, &d->conns);
	d->nr_conns++;
	return c;
}

/* The Initial keys of a client's first Destination Connection ID; one
 * set per version, so that alternating versions costs no allocation.
 */
static struct quic_crypto *quic_dispatch_keys(struct quic_dispatch *d, u32 version,
					      const u8 *cid, u8 len)
{
	u8 v = version == QUIC_VERSION_V2;
	struct quic_cid *k = &d->key_cid[v];

	if (d->crypto[v] && k->len == len && !memcmp(k->data, cid, len))
		return d->crypto[v];
	if (!d->crypto[v]) {
		d->crypto[v] = kzalloc_obj(*d->crypto[v], GFP_KERNEL);
		if (!d->crypto[v])
			return NULL;
	}
	k->len = 0;	/* an ID of no length never matches: derive again */
	if (quic_crypto_initial_keys(d->crypto[v], version, cid, len, true))
		return NULL;
	k->len = len;
	memcpy(k->data, cid, len);
	return d->crypto[v];
}

/* Decrypt a copy of the Initial packet at the start of @skb; the frames
 * are at @off for @len bytes of the returned buffer, for kfree().
 */
static u8 *quic_dispatch_decrypt(struct quic_dispatch *d, const struct sk_buff *skb,
				 const struct quic_packet_info *info, u32 *off, u32 *len)
{
	struct quic_crypto *c;
	u32 hlen, i;
	u8 *pkt, n;
	u64 pn = 0;

	c = quic_dispatch_keys(d, info->version, info->dcid, info->dcid_len);
	if (!c)
		return NULL;
	pkt = kmemdup(skb->data, info->len, GFP_KERNEL);
	if (!pkt)
		return NULL;
	if (quic_crypto_unprotect_header(c, pkt, info->pn_off, info->len, &n))
		goto err;
	hlen = info->pn_off + n;
	for (i = 0; i < n; i++)		/* the first packet: no decoding needed */
		pn = (pn << 8) | pkt[info->pn_off + i];
	if (hlen + QUIC_TAG_LEN > info->len ||
	    quic_crypto_decrypt(c, pkt, hlen, info->len - hlen, pn, 0))
		goto err;
	*off = hlen;
	*len = info->len - hlen - QUIC_TAG_LEN;
	return pkt;
err:
	kfree(pkt);
	return NULL;
}

/* Add the CRYPTO frames of a decrypted Initial to @c's ClientHello. */
static int quic_dispatch_frames(struct quic_dispatch_conn *c, const u8 *p, u32 len)
{
	struct quic_frame f;
	u32 errcode;
	int n;

	if (!c->hello.buf) {
		c->hello.buf = kmalloc(QUIC_HELLO_MAX, GFP_KERNEL);
		if (!c->hello.buf)
			return -ENOMEM;
	}
	while (len) {
		n = quic_frame_decode(p, len, &f, &errcode);
		if (n <= 0 || !quic_frame_allowed(f.type, QUIC_CRYPTO_INITIAL))
			return -EINVAL;
		if (f.type == QUIC_FRAME_CRYPTO &&
		    quic_hello_add(&c->hello, f.stream.offset, f.stream.data, f.stream.len))
			return -ENOSPC;
		p += n;
		len -= n;
	}
	return 0;
}

/* Under the namespace's socks_lock: may @l's names be read?  The names
 * change and are freed only under that lock, and a listener frees them
 * after it has stopped listening; one still seen on the port's list
 * under RCU but no longer listening is passed over.
 */
static bool quic_listener_live(const struct quic_sock *l)
{
	return READ_ONCE(l->inet.sk.sk_state) == TCP_LISTEN;
}

/* The listener that takes the first name of @list (ClientHello form)
 * any listener of @us takes, else the one without ALPN; held.  With a
 * single listener left, that one: the port no longer routes.  Only the
 * first QUIC_DISPATCH_NAMES names count: the lock is held with BHs off,
 * and a ClientHello can hold thousands.  Under rcu_read_lock().
 */
static struct sock *quic_dispatch_pick(struct quic_udp_sock *us, const u8 *list, u32 len)
{
	struct quic_net *qn = quic_net(sock_net(us->sock->sk));
	struct quic_sock *l, *pick = NULL, *fallback = NULL;
	u32 names = 0, live = 0;
	const u8 *name;

	spin_lock_bh(&qn->socks_lock);
	hlist_for_each_entry_rcu(l, &us->listeners, listen_node) {
		if (!quic_listener_live(l))
			continue;
		live++;
		pick = l;
		if (!l->alpn.len)
			fallback = l;
	}
	if (live != 1)
		pick = NULL;
	for (name = list; !pick && name < list + len && names++ < QUIC_DISPATCH_NAMES;
	     name += 1 + name[0])
		hlist_for_each_entry_rcu(l, &us->listeners, listen_node)
			if (quic_listener_live(l) &&
			    quic_alpn_has(l->alpn.data, l->alpn.len, name + 1, name[0])) {
				pick = l;
				break;
			}
	if (!pick)
		pick = fallback;
	if (pick && !refcount_inc_not_zero(&pick->inet.sk.sk_refcnt))
		pick = NULL;
	spin_unlock_bh(&qn->socks_lock);
	return pick ? &pick->inet.sk : NULL;
}

#define QUIC_ALERT_NO_APPLICATION_PROTOCOL	120	/* RFC 7301 section 3.2 */

/* RFC 9001 section 8.1: no listener takes any name the client offered.
 * Answer its first Initial, @skb, with an Initial holding
 * CONNECTION_CLOSE with CRYPTO_ERROR no_application_protocol, protected
 * with the server's Initial keys; smaller than what it answers.
 */
static void quic_dispatch_refuse(struct quic_dispatch *d, struct quic_dispatch_conn *c,
				 struct sk_buff *skb)
{
	struct sock *usk = d->us->sock->sk;
	struct quic_packet_info info;
	union quic_addr peer, local;
	struct quic_out o = {};
	struct quic_crypto *keys;
	struct sk_buff *nskb;
	struct quic_cid scid;
	u32 hlen, plen;
	u8 *start;

	keys = quic_dispatch_keys(d, c->version, c->dcid.data, c->dcid.len);
	if (!keys || quic_packet_parse(skb->data, skb->len, 0, false, &info))
		return;
	quic_cid_random(&scid, QUIC_CID_LEN);
	/* CONNECTION_CLOSE: type, error, frame type, empty reason phrase */
	plen = 1 + quic_varint_len(QUIC_TRANSPORT_ERROR_CRYPTO +
				   QUIC_ALERT_NO_APPLICATION_PROTOCOL) + 1 + 1;
	/* first byte, version, both IDs, empty token, Length, 1-byte PN */
	hlen = 1 + 4 + 1 + info.scid_len + 1 + scid.len + 1 +
	       quic_varint_len(1 + plen + QUIC_TAG_LEN) + 1;
	nskb = alloc_skb(QUIC_HEADROOM + hlen + plen + QUIC_TAG_LEN, GFP_KERNEL);
	if (!nskb)
		return;
	skb_reserve(nskb, QUIC_HEADROOM);
	start = skb_put(nskb, hlen + plen + QUIC_TAG_LEN);
	o.p = start;
	o.left = hlen + plen;
	*quic_out_reserve(&o, 1) = QUIC_HEADER_FORM_LONG | QUIC_HEADER_FIXED_BIT |
		(quic_packet_long_type_bits(c->version, QUIC_PACKET_INITIAL) << 4);
	put_unaligned_be32(c->version, quic_out_reserve(&o, 4));
	quic_out_varint(&o, info.scid_len);	/* a byte: at most 20 */
	quic_out_bytes(&o, info.scid, info.scid_len);
	quic_out_varint(&o, scid.len);
	quic_out_bytes(&o, scid.data, scid.len);
	quic_out_varint(&o, 0);			/* Token Length */
	quic_out_varint(&o, 1 + plen + QUIC_TAG_LEN);
	quic_out_varint(&o, 0);			/* Packet Number 0 */
	quic_out_varint(&o, QUIC_FRAME_CONNECTION_CLOSE);
	quic_out_varint(&o, QUIC_TRANSPORT_ERROR_CRYPTO + QUIC_ALERT_NO_APPLICATION_PROTOCOL);
	quic_out_varint(&o, QUIC_FRAME_CRYPTO);
	quic_out_varint(&o, 0);
	if (o.full || o.left ||
	    quic_crypto_encrypt(keys, start, hlen, plen, 0, 1)) {
		kfree_skb(nskb);
		return;
	}
	quic_addr_from_skb(skb, &peer, &local);
	quic_xmit_stateless(usk, nskb, &local, &peer);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_ALPN_REFUSED);
}

/* Hand @skb to the listener @c was routed to; consumes it. */
static void quic_dispatch_deliver(struct quic_dispatch *d, struct quic_dispatch_conn *c,
				  struct sk_buff *skb)
{
	struct quic_packet_info info;

	quic_dispatch_uncharge(d, skb);
	if (quic_packet_parse(skb->data, skb->len, 0, false, &info)) {
		kfree_skb(skb);
		return;
	}
	rcu_read_lock();
	local_bh_disable();
	quic_listener_deliver(d->us, c->routed, skb, &info);
	local_bh_enable();
	rcu_read_unlock();
}

/* @c's ClientHello is complete: hand its datagrams to the listener its
 * ALPN list (@list, @len; none if @len is 0) picks, and keep the choice
 * for the datagrams that follow; or refuse it and forget it.
 */
static void quic_dispatch_route(struct quic_dispatch *d, struct quic_dispatch_conn *c,
				const u8 *list, u32 len)
{
	struct sk_buff *skb;
	bool listening;

	rcu_read_lock();
	c->routed = quic_dispatch_pick(d->us, list, len);
	listening = rcu_access_pointer(hlist_first_rcu(&d->us->listeners));
	rcu_read_unlock();
	if (!c->routed) {
		if (listening)
			quic_dispatch_refuse(d, c, skb_peek(&c->dgrams));
		quic_dispatch_conn_free(d, c, !listening);
		return;
	}
	while ((skb = __skb_dequeue(&c->dgrams)))
		quic_dispatch_deliver(d, c, skb);
	kfree(c->hello.buf);
	c->hello.buf = NULL;
}

/* Read one datagram.  An Initial adds to its connection's ClientHello;
 * a 0-RTT one, which may come ahead of its Initial, waits with it; once
 * the connection is routed, both follow it.
 */
static void quic_dispatch_one(struct quic_dispatch *d, struct sk_buff *skb)
{
	struct quic_packet_info info;
	struct quic_dispatch_conn *c;
	u32 off, len;
	const u8 *list;
	int err;
	u8 *pkt;

	if (quic_packet_parse(skb->data, skb->len, 0, false, &info))
		goto drop;
	c = quic_dispatch_find(d, &info);
	if (c && c->routed) {
		quic_dispatch_deliver(d, c, skb);
		return;
	}
	if (c && skb_queue_len(&c->dgrams) >= QUIC_DISPATCH_DGRAMS) {
		quic_dispatch_conn_free(d, c, true);	/* start again */
		c = NULL;
	}
	if (info.type == QUIC_PACKET_0RTT) {
		if (!c)
			c = quic_dispatch_conn_new(d, &info);
		if (!c)
			goto drop;
		__skb_queue_tail(&c->dgrams, skb);
		return;
	}
	/* Initial keys are no secret: this proves the sender can encrypt,
	 * not who it is; what it makes us hold is bounded all the same.
	 */
	pkt = quic_dispatch_decrypt(d, skb, &info, &off, &len);
	if (!pkt)
		goto drop;
	if (!c)
		c = quic_dispatch_conn_new(d, &info);
	err = c ? quic_dispatch_frames(c, pkt + off, len) : -ENOMEM;
	kfree(pkt);
	if (err) {
		if (c)
			quic_dispatch_conn_free(d, c, true);
		goto drop;
	}
	__skb_queue_tail(&c->dgrams, skb);
	err = quic_hello_alpn(&c->hello, &list, &len);
	if (err == -EAGAIN)
		return;
	if (err && err != -ENOENT) {
		quic_dispatch_conn_free(d, c, true);
		return;
	}
	quic_dispatch_route(d, c, err ? NULL : list, err ? 0 : len);
	return;
drop:
	quic_dispatch_drop(d, skb);
}

static struct sk_buff *quic_dispatch_next(struct quic_dispatch *d)
{
	struct sk_buff *skb;

	spin_lock_bh(&d->lock);
	skb = __skb_dequeue(&d->rx);
	spin_unlock_bh(&d->lock);
	return skb;
}

/* Forget the connections older than QUIC_DISPATCH_WAIT: a ClientHello
 * never completed, or the routed ones' time to follow is over.  Returns
 * the jiffies until the next one is due, 0 if none is left.
 */
static unsigned long quic_dispatch_expire(struct quic_dispatch *d)
{
	struct quic_dispatch_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &d->conns, node) {
		if (time_before(jiffies, c->since + QUIC_DISPATCH_WAIT))
			return c->since + QUIC_DISPATCH_WAIT - jiffies;
		quic_dispatch_conn_free(d, c, true);
	}
	return 0;
}

static void quic_dispatch_work(struct work_struct *work)
{
	struct quic_dispatch *d = container_of(to_delayed_work(work),
					       struct quic_dispatch, work);
	int budget = QUIC_DISPATCH_BACKLOG;
	unsigned long next;
	struct sk_buff *skb;

	while (budget-- && (skb = quic_dispatch_next(d)))
		quic_dispatch_one(d, skb);
	next = quic_dispatch_expire(d);

	spin_lock_bh(&d->lock);
	if (!d->dead && !skb_queue_empty(&d->rx))
		mod_delayed_work(system_dfl_wq, &d->work, 0);
	else if (!d->dead && next)
		queue_delayed_work(system_dfl_wq, &d->work, next);
	spin_unlock_bh(&d->lock);
}

/* From the receive path: queue a datagram for the dispatcher, within the
 * UDP socket's receive buffer.  Consumes @skb.
 */
static void quic_dispatch_queue(struct quic_dispatch *d, struct sk_buff *skb)
{
	bool queued = false;

	spin_lock_bh(&d->lock);
	if (!d->dead && skb_queue_len(&d->rx) < QUIC_DISPATCH_BACKLOG &&
	    d->mem + skb->truesize <= READ_ONCE(d->us->sock->sk->sk_rcvbuf)) {
		__skb_queue_tail(&d->rx, skb);
		d->mem += skb->truesize;
		queued = true;
		mod_delayed_work(system_dfl_wq, &d->work, 0);
	}
	spin_unlock_bh(&d->lock);
	if (!queued) {
		QUIC_INC_STATS(sock_net(d->us->sock->sk), QUIC_MIB_ALPN_DROPPED);
		kfree_skb(skb);
	}
}

static struct quic_dispatch *quic_dispatch_new(struct quic_udp_sock *us)
{
	struct quic_dispatch *d;

	d = kzalloc_obj(*d, GFP_KERNEL_ACCOUNT);
	if (!d)
		return NULL;
	d->us = us;
	spin_lock_init(&d->lock);
	__skb_queue_head_init(&d->rx);
	INIT_DELAYED_WORK(&d->work, quic_dispatch_work);
	INIT_LIST_HEAD(&d->conns);
	return d;
}

/* The port's last listener left: stop the work, drop what waits. */
static void quic_dispatch_free(struct quic_dispatch *d)
{
	struct quic_dispatch_conn *c, *tmp;
	int i;

	spin_lock_bh(&d->lock);
	d->dead = true;
	spin_unlock_bh(&d->lock);
	cancel_delayed_work_sync(&d->work);
	list_for_each_entry_safe(c, tmp, &d->conns, node)
		quic_dispatch_conn_free(d, c, false);
	__skb_queue_purge(&d->rx);
	for (i = 0; i < ARRAY_SIZE(d->crypto); i++) {
		if (d->crypto[i])
			quic_crypto_free(d->crypto[i]);
		kfree(d->crypto[i]);
	}
	kfree_rcu(d, rcu);	/* the receive path reads it under RCU */
}

/* ---- the receive path's entry, and joining and leaving a port ---- */

/* Could @skb open a connection (RFC 9000 sections 7.2 and 14.1)? */
static bool quic_listener_wanted(const struct sk_buff *skb,
				 const struct quic_packet_info *info)
{
	if (info->dcid_len < 8)
		return false;
	if (info->type == QUIC_PACKET_0RTT)
		return true;
	return info->type == QUIC_PACKET_INITIAL && skb->len >= 1200;
}

/**
 * quic_listener_rcv - a datagram for no known connection ID
 * @usk: the UDP socket it came on
 * @us: its port
 * @skb: the datagram, at the QUIC packet; consumed
 *
 * Queued on the port's listener, or handed to the dispatcher when several
 * share the port.  Softirq, under rcu_read_lock().
 */
void quic_listener_rcv(struct sock *usk, struct quic_udp_sock *us, struct sk_buff *skb)
{
	struct quic_packet_info info;
	struct hlist_node *first;
	struct quic_dispatch *d;
	struct quic_sock *lqs;

	if (quic_packet_parse(skb->data, skb->len, 0, false, &info))
		goto drop;
	first = rcu_dereference(hlist_first_rcu(&us->listeners));
	if (!first)
		goto drop;
	if (info.type == QUIC_PACKET_UNKNOWN_VERSION && skb->len >= 1200) {
		quic_version_negotiation_send(usk, skb, &info);
		goto drop;
	}
	if (!quic_listener_wanted(skb, &info))
		goto drop;
	if (!rcu_dereference(hlist_next_rcu(first))) {
		lqs = hlist_entry(first, struct quic_sock, listen_node);
		quic_listener_deliver(us, &lqs->inet.sk, skb, &info);
		return;
	}
	d = rcu_dereference(us->dispatch);
	if (d) {
		quic_dispatch_queue(d, skb);
		return;
	}
drop:
	kfree_skb(skb);
}

/* Under quic_listen_mutex: would @lsk take a name another listener of
 * its port takes, be a second listener without ALPN, or one too many?
 */
static bool quic_listener_conflicts(struct sock *lsk)
{
	struct quic_net *qn = quic_net(sock_net(lsk));
	struct quic_sock *qs = quic_sk(lsk), *l;
	bool conflict = false;
	u32 n = 0;

	spin_lock_bh(&qn->socks_lock);
	hlist_for_each_entry(l, &qs->udp->listeners, listen_node)
		if (++n == QUIC_LISTENERS_MAX ||
		    quic_alpn_overlap(qs->alpn.data, qs->alpn.len, l->alpn.data, l->alpn.len))
			conflict = true;
	spin_unlock_bh(&qn->socks_lock);
	return conflict;
}

/**
 * quic_listener_add - start listening: join the port's listeners
 * @lsk: the socket, bound, locked
 *
 * Return: 0; -EADDRINUSE when a listener of the port takes one of the
 * same ALPN names, or both have none, or the port has QUIC_LISTENERS_MAX
 * listeners; -ENOMEM.
 */
int quic_listener_add(struct sock *lsk)
{
	struct quic_sock *qs = quic_sk(lsk);
	struct quic_udp_sock *us = qs->udp;
	struct quic_dispatch *d = NULL;
	int err = 0;

	net_get_random_once(&quic_reqs_seed, sizeof(quic_reqs_seed));
	if (!qs->reqs_ids) {
		qs->reqs_ids = kcalloc(QUIC_REQS_BUCKETS, sizeof(*qs->reqs_ids),
				       GFP_KERNEL_ACCOUNT);
		if (!qs->reqs_ids)
			return -ENOMEM;
	}
	mutex_lock(&quic_listen_mutex);
	if (quic_listener_conflicts(lsk)) {
		err = -EADDRINUSE;
		goto out;
	}
	if (!hlist_empty(&us->listeners) &&
	    !rcu_access_pointer(us->dispatch)) {	/* a second listener */
		d = quic_dispatch_new(us);
		if (!d) {
			err = -ENOMEM;
			goto out;
		}
		rcu_assign_pointer(us->dispatch, d);
	}
	quic_listener_open(lsk);
	/* A socket listening again may join without a grace period since
	 * it left: a reader still on its node then sees some listeners
	 * twice or not at all, for this one datagram.
	 */
	hlist_add_head_rcu(&qs->listen_node, &us->listeners);
out:
	mutex_unlock(&quic_listen_mutex);
	return err;
}

/**
 * quic_listener_del - stop listening: leave the port's listeners
 * @lsk: the listener, locked
 *
 * The caller drops what waits on it with quic_listener_close().
 */
void quic_listener_del(struct sock *lsk)
{
	struct quic_sock *qs = quic_sk(lsk);
	struct quic_udp_sock *us = qs->udp;
	struct quic_dispatch *d = NULL;

	mutex_lock(&quic_listen_mutex);
	hlist_del_init_rcu(&qs->listen_node);
	if (hlist_empty(&us->listeners)) {
		d = rcu_dereference_protected(us->dispatch,
					      lockdep_is_held(&quic_listen_mutex));
		RCU_INIT_POINTER(us->dispatch, NULL);
	}
	mutex_unlock(&quic_listen_mutex);
	if (d)
		quic_dispatch_free(d);
}
