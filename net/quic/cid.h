/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Connection IDs (RFC 9000 section 5.1): the ones we issue, found by the
 * receive path in a table shared by all connections, and the ones the
 * peer issued to us.
 */

#ifndef __NET_QUIC_CID_H
#define __NET_QUIC_CID_H

#include <linux/list.h>
#include <linux/rhashtable-types.h>

#include "param.h"

/* Length of the connection IDs we issue: short headers carry no length,
 * so the receive path relies on all of ours having this one.
 */
#define QUIC_CID_LEN		16

/* The smallest Stateless Reset (RFC 9000 section 10.3) */
#define QUIC_RESET_MIN_LEN	21

/**
 * struct quic_cid_entry - one connection ID
 * @node: in the global table (source IDs), or in the reset token table
 *	(destination IDs with @token_hashed)
 * @list: in its connection's list, by sequence number
 * @cid: the ID; bytes past @cid.len are zero, so it is the table key
 * @sk: the connection, for the receive path (source IDs, and destination
 *	IDs with a token)
 * @seq: sequence number
 * @reset_token: Stateless Reset Token that goes with it
 * @has_token: destination IDs: @reset_token is known
 * @token_hashed: destination IDs: in the reset token table
 * @rcu: frees the entry after RCU readers of the table are done
 */
struct quic_cid_entry {
	struct rhash_head	node;
	struct list_head	list;
	struct quic_cid		cid;
	struct sock		*sk;
	u64			seq;
	u8			reset_token[QUIC_RESET_TOKEN_LEN];
	bool			has_token;
	bool			token_hashed;
	struct rcu_head		rcu;
};

/**
 * struct quic_cid_set - the IDs of one direction of a connection
 * @list: entries by increasing sequence number; the first is in use
 * @next_seq: sequence number of the next ID issued (source) or the
 *	highest seen plus one (destination)
 * @retire_prior_to: IDs below this sequence number are retired
 * @count: entries in @list
 *
 * Locking: the lists change under the connection's socket lock; the
 * table is RCU for readers and has its own lock for writers.
 */
struct quic_cid_set {
	struct list_head	list;
	u64			next_seq;
	u64			retire_prior_to;
	u32			count;
};

static inline struct quic_cid_entry *quic_cid_active(struct quic_cid_set *set)
{
	return list_first_entry_or_null(&set->list, struct quic_cid_entry, list);
}

void quic_cid_set_init(struct quic_cid_set *set);
struct quic_cid_entry *quic_cid_add_source(struct sock *sk, struct quic_cid_set *set,
					   const struct quic_cid *cid, gfp_t gfp);
struct quic_cid_entry *quic_cid_add_dest(struct sock *sk, struct quic_cid_set *set,
					 u64 seq, const struct quic_cid *cid, const u8 *token);
void quic_cid_set_token(struct sock *sk, struct quic_cid_entry *e, const u8 *token);
struct sock *quic_cid_reset_lookup(struct net *net, const struct sk_buff *skb);
bool quic_cid_reset_match(struct quic_cid_set *set, const struct sk_buff *skb);
void quic_cid_reset_token(const struct net *net, const struct quic_cid *cid, u8 *token);
void quic_cid_remove(struct quic_cid_set *set, struct quic_cid_entry *e, bool hashed);
void quic_cid_set_free(struct quic_cid_set *set, bool hashed);
struct quic_cid_entry *quic_cid_find(struct quic_cid_set *set, u64 seq);
void quic_cid_random(struct quic_cid *cid, u8 len);
struct sock *quic_cid_lookup(struct net *net, const u8 *id, u8 len);

int quic_cid_init(void);
void quic_cid_exit(void);

#endif /* __NET_QUIC_CID_H */
