/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * The life of a connection.
 */

#ifndef __NET_QUIC_CONN_H
#define __NET_QUIC_CONN_H

#include <linux/types.h>

struct sock;
struct sk_buff;
struct quic_frame;
struct quic_crypto_secret;
union quic_addr;
struct quic_packet_info;
struct quic_cid;

void quic_conn_init(struct sock *sk);
void quic_conn_free(struct sock *sk);
int quic_conn_connect(struct sock *sk, const union quic_addr *peer);
int quic_conn_reconfigure(struct sock *sk);
int quic_conn_accept(struct sock *sk, struct sock *lsk, struct sk_buff *skb,
		     struct quic_cid *odcid);
int quic_conn_get_params_ext(struct sock *sk, u8 *buf, u32 len);
int quic_conn_set_params_ext(struct sock *sk, const u8 *buf, u32 len);
int quic_conn_set_secret(struct sock *sk, const struct quic_crypto_secret *s);
void quic_conn_confirmed(struct sock *sk);
void quic_conn_free_old_keys(struct sock *sk);
bool quic_conn_work_run(struct sock *sk);
int quic_conn_key_update(struct sock *sk);
int quic_conn_new_token(struct sock *sk);
int quic_conn_queue_token(struct sock *sk);
void quic_conn_set_mss(struct sock *sk);
void quic_conn_set_peer_inet(struct sock *sk, const union quic_addr *a);
void quic_conn_set_local_inet(struct sock *sk, const union quic_addr *a);
int quic_conn_next_dcid(struct sock *sk);
void quic_conn_key_updated(struct sock *sk);
void quic_conn_retry_rcv(struct sock *sk, const struct quic_packet_info *info, const u8 *p);
void quic_conn_version_rcv(struct sock *sk, const struct quic_packet_info *info, const u8 *p);
int quic_conn_new_cid_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode);
int quic_conn_retire_cid_rcv(struct sock *sk, const struct quic_frame *f, u32 *errcode);

#endif /* __NET_QUIC_CONN_H */
