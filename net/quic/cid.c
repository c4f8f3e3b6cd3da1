// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Connection IDs.  Every connection ID we issue is in one table, so a
 * datagram finds its connection by the Destination Connection ID alone,
 * whatever UDP socket or address it arrived on (RFC 9000 section 5.2).
 */

#include <crypto/sha2.h>
#include <crypto/utils.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "cid.h"
#include "mib.h"

static const struct rhashtable_params quic_cid_params = {
	.key_len		= sizeof(struct quic_cid),
	.key_offset		= offsetof(struct quic_cid_entry, cid),
	.head_offset		= offsetof(struct quic_cid_entry, node),
	.automatic_shrinking	= true,
};

static struct rhashtable quic_cid_table;

/* The peer's Stateless Reset Tokens, to find the connection a Stateless
 * Reset is for: its Destination Connection ID is random (RFC 9000
 * section 10.3), only its last 16 bytes say who it is for.
 */
static const struct rhashtable_params quic_reset_params = {
	.key_len		= QUIC_RESET_TOKEN_LEN,
	.key_offset		= offsetof(struct quic_cid_entry, reset_token),
	.head_offset		= offsetof(struct quic_cid_entry, node),
	.automatic_shrinking	= true,
};

static struct rhashtable quic_reset_table;

void quic_cid_set_init(struct quic_cid_set *set)
{
	INIT_LIST_HEAD(&set->list);
	set->next_seq = 0;
	set->retire_prior_to = 0;
	set->count = 0;
}

/**
 * quic_cid_random - a fresh random connection ID
 * @cid: where to
 * @len: its length
 */
void quic_cid_random(struct quic_cid *cid, u8 len)
{
	memset(cid, 0, sizeof(*cid));
	cid->len = len;
	get_random_bytes(cid->data, len);
}

/**
 * quic_cid_reset_token - the Stateless Reset Token of one of our IDs
 * @net: the namespace the ID was issued in
 * @cid: the ID
 * @token: returns the QUIC_RESET_TOKEN_LEN byte token
 *
 * A token is a MAC of its connection ID under the namespace's key, so it
 * can be recomputed for a connection we no longer know (RFC 9000 section
 * 10.3.2), and a packet in one namespace never draws the token of an ID
 * that lives in another.
 */
void quic_cid_reset_token(const struct net *net, const struct quic_cid *cid, u8 *token)
{
	u8 mac[SHA256_DIGEST_SIZE];

	hmac_sha256_usingrawkey(quic_net(net)->reset_key, QUIC_RESET_KEY_LEN,
				cid->data, cid->len, mac);
	memcpy(token, mac, QUIC_RESET_TOKEN_LEN);
}

static void quic_cid_insert(struct quic_cid_set *set, struct quic_cid_entry *e)
{
	struct quic_cid_entry *pos;

	list_for_each_entry(pos, &set->list, list)
		if (pos->seq > e->seq)
			break;
	list_add_tail(&e->list, &pos->list);
	set->count++;
}

/**
 * quic_cid_add_source - issue one of our connection IDs
 * @sk: the connection
 * @set: its source set
 * @cid: a given ID (the original DCID a server keeps), or NULL for a
 *	random one of QUIC_CID_LEN bytes
 * @gfp: allocation flags
 *
 * Return: the entry, in the table and in @set with the next sequence
 * number, or an ERR_PTR().
 */
struct quic_cid_entry *quic_cid_add_source(struct sock *sk, struct quic_cid_set *set,
					   const struct quic_cid *cid, gfp_t gfp)
{
	struct quic_cid_entry *e;
	int err, tries = 0;

	e = kzalloc_obj(*e, gfp);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->sk = sk;
	do {
		if (cid)
			e->cid = *cid;
		else
			quic_cid_random(&e->cid, QUIC_CID_LEN);
		err = rhashtable_lookup_insert_fast(&quic_cid_table, &e->node,
						    quic_cid_params);
	} while (err == -EEXIST && !cid && ++tries < 4);
	if (err) {
		kfree(e);
		return ERR_PTR(err);
	}
	quic_cid_reset_token(sock_net(sk), &e->cid, e->reset_token);
	e->seq = set->next_seq++;
	quic_cid_insert(set, e);
	return e;
}

/**
 * quic_cid_set_token - the Stateless Reset Token of a peer's ID is known
 * @sk: the connection
 * @e: the destination ID entry
 * @token: the token
 *
 * The entry goes into the token table, unless another one has the same
 * token: then only this connection's own check (quic_cid_reset_match())
 * knows it.
 */
void quic_cid_set_token(struct sock *sk, struct quic_cid_entry *e, const u8 *token)
{
	if (e->token_hashed)
		rhashtable_remove_fast(&quic_reset_table, &e->node, quic_reset_params);
	memcpy(e->reset_token, token, QUIC_RESET_TOKEN_LEN);
	e->sk = sk;
	e->has_token = true;
	e->token_hashed = !rhashtable_lookup_insert_fast(&quic_reset_table, &e->node,
							 quic_reset_params);
}

/**
 * quic_cid_add_dest - record a connection ID the peer issued
 * @sk: the connection
 * @set: the destination set
 * @seq: its sequence number
 * @cid: the ID
 * @token: its Stateless Reset Token, or NULL
 *
 * Return: the entry, or NULL without memory.
 */
struct quic_cid_entry *quic_cid_add_dest(struct sock *sk, struct quic_cid_set *set,
					 u64 seq, const struct quic_cid *cid, const u8 *token)
{
	struct quic_cid_entry *e;

	e = kzalloc_obj(*e, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!e)
		return NULL;
	e->cid = *cid;
	e->seq = seq;
	if (token)
		quic_cid_set_token(sk, e, token);
	quic_cid_insert(set, e);
	if (seq >= set->next_seq)
		set->next_seq = seq + 1;
	return e;
}

/**
 * quic_cid_find - the entry with a sequence number
 * @set: where to look
 * @seq: the sequence number
 *
 * Return: the entry or NULL.
 */
struct quic_cid_entry *quic_cid_find(struct quic_cid_set *set, u64 seq)
{
	struct quic_cid_entry *e;

	list_for_each_entry(e, &set->list, list)
		if (e->seq == seq)
			return e;
	return NULL;
}

/**
 * quic_cid_remove - forget one connection ID
 * @set: its set
 * @e: the entry
 * @hashed: it is one of ours, in the table
 */
void quic_cid_remove(struct quic_cid_set *set, struct quic_cid_entry *e, bool hashed)
{
	list_del(&e->list);
	set->count--;
	if (hashed) {
		rhashtable_remove_fast(&quic_cid_table, &e->node, quic_cid_params);
		kfree_rcu(e, rcu);
		return;
	}
	if (e->token_hashed) {
		rhashtable_remove_fast(&quic_reset_table, &e->node, quic_reset_params);
		kfree_rcu(e, rcu);
		return;
	}
	kfree(e);
}

/**
 * quic_cid_set_free - forget all IDs of a set
 * @set: the set
 * @hashed: they are ours, in the table
 */
void quic_cid_set_free(struct quic_cid_set *set, bool hashed)
{
	struct quic_cid_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &set->list, list)
		quic_cid_remove(set, e, hashed);
}

/* The socket of a table entry found under RCU, with a reference, if it
 * lives in @net and is not being freed.
 */
static struct sock *quic_cid_entry_hold(struct quic_cid_entry *e, struct net *net)
{
	struct sock *sk;

	if (!e)
		return NULL;
	sk = READ_ONCE(e->sk);
	if (!net_eq(sock_net(sk), net) || !refcount_inc_not_zero(&sk->sk_refcnt))
		return NULL;
	return sk;
}

/**
 * quic_cid_lookup - the connection a Destination Connection ID names
 * @net: the namespace the datagram arrived in
 * @id: the ID
 * @len: its length
 *
 * Called under rcu_read_lock().
 *
 * Return: the socket with a reference held, or NULL.
 */
struct sock *quic_cid_lookup(struct net *net, const u8 *id, u8 len)
{
	struct quic_cid_entry *e;
	struct quic_cid key = {};

	if (len > QUIC_CONN_ID_MAX_LEN)
		return NULL;
	key.len = len;
	memcpy(key.data, id, len);
	e = rhashtable_lookup(&quic_cid_table, &key, quic_cid_params);
	return quic_cid_entry_hold(e, net);
}

/**
 * quic_cid_reset_lookup - the connection a Stateless Reset may be for
 * @net: the namespace the datagram arrived in
 * @skb: the datagram, at the QUIC packet
 *
 * Called under rcu_read_lock().
 *
 * Return: the socket with a reference held, or NULL.
 */
struct sock *quic_cid_reset_lookup(struct net *net, const struct sk_buff *skb)
{
	struct quic_cid_entry *e;

	if (skb->len < QUIC_RESET_MIN_LEN)
		return NULL;
	e = rhashtable_lookup(&quic_reset_table, skb->data + skb->len - QUIC_RESET_TOKEN_LEN,
			      quic_reset_params);
	return quic_cid_entry_hold(e, net);
}

/**
 * quic_cid_reset_match - is a datagram a Stateless Reset from the peer?
 * @set: the peer's connection IDs
 * @skb: the datagram, which could not be processed
 *
 * RFC 9000 section 10.3.1: its last 16 bytes are the token of one of the
 * IDs the peer gave us.
 *
 * Return: true when it is.
 */
bool quic_cid_reset_match(struct quic_cid_set *set, const struct sk_buff *skb)
{
	const u8 *tail = skb->data + skb->len - QUIC_RESET_TOKEN_LEN;
	struct quic_cid_entry *e;

	if (skb->len < QUIC_RESET_MIN_LEN)
		return false;
	list_for_each_entry(e, &set->list, list)
		if (e->has_token && !crypto_memneq(e->reset_token, tail, QUIC_RESET_TOKEN_LEN))
			return true;
	return false;
}

int quic_cid_init(void)
{
	int err;

	err = rhashtable_init(&quic_cid_table, &quic_cid_params);
	if (err)
		return err;
	err = rhashtable_init(&quic_reset_table, &quic_reset_params);
	if (err)
		rhashtable_destroy(&quic_cid_table);
	return err;
}

void quic_cid_exit(void)
{
	rhashtable_destroy(&quic_reset_table);
	rhashtable_destroy(&quic_cid_table);
}
