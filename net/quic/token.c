// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Packets sent without connection state: Retry, Stateless Reset and
 * Version Negotiation.
 *
 * Address validation (RFC 9000 section 8.1).  A server proves that a
 * client owns its address by handing it a token the client must echo:
 * in a Retry packet, for the connection being set up, or in a NEW_TOKEN
 * frame, for a later one.  Tokens are stateless: a MAC under a key
 * chosen at boot covers the client's address, the issue time and, for
 * Retry, the Destination Connection ID the client first used.
 */

#include <crypto/sha2.h>
#include <crypto/utils.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <uapi/linux/quic.h>

#include "cid.h"
#include "crypto.h"
#include "mib.h"
#include "output.h"
#include "packet.h"
#include "token.h"

/* How long a token is good for, in seconds (the socket API draft asks
 * for tokens that expire; a Retry token is echoed within one RTT).
 */
#define QUIC_TOKEN_RETRY_LIFETIME	60
#define QUIC_TOKEN_NEW_LIFETIME		3600

static struct hmac_sha256_key quic_token_key;

/**
 * quic_token_init - pick the token key
 */
void quic_token_init(void)
{
	u8 raw[32];

	get_random_bytes(raw, sizeof(raw));
	hmac_sha256_preparekey(&quic_token_key, raw, sizeof(raw));
	memzero_explicit(raw, sizeof(raw));
}

/* MAC of the token body and the address it was issued to: the port only
 * for Retry, as a NEW_TOKEN token outlives NAT bindings (RFC 9000 8.1.3).
 */
static void quic_token_mac(const u8 *body, u32 len, const union quic_addr *peer, u8 *mac)
{
	u8 digest[SHA256_DIGEST_SIZE];
	struct hmac_sha256_ctx ctx;

	hmac_sha256_init(&ctx, &quic_token_key);
	hmac_sha256_update(&ctx, body, len);
	hmac_sha256_update(&ctx, (const u8 *)&peer->sa.sa_family, sizeof(peer->sa.sa_family));
	if (peer->sa.sa_family == AF_INET) {
		hmac_sha256_update(&ctx, (const u8 *)&peer->v4.sin_addr, 4);
		if (body[0] == QUIC_TOKEN_RETRY)
			hmac_sha256_update(&ctx, (const u8 *)&peer->v4.sin_port, 2);
	} else {
		hmac_sha256_update(&ctx, (const u8 *)&peer->v6.sin6_addr, 16);
		if (body[0] == QUIC_TOKEN_RETRY)
			hmac_sha256_update(&ctx, (const u8 *)&peer->v6.sin6_port, 2);
	}
	hmac_sha256_final(&ctx, digest);
	memcpy(mac, digest, QUIC_TOKEN_MAC_LEN);
	memzero_explicit(digest, sizeof(digest));
}

/**
 * quic_token_make - write a token for a client address
 * @buf: at least %QUIC_TOKEN_BUF_LEN bytes
 * @type: %QUIC_TOKEN_RETRY or %QUIC_TOKEN_NEW
 * @peer: the client's address
 * @odcid: for Retry, the client's original Destination Connection ID
 *
 * Return: the token length.
 */
int quic_token_make(u8 *buf, u8 type, const union quic_addr *peer,
		    const struct quic_cid *odcid)
{
	u8 len = type == QUIC_TOKEN_RETRY ? odcid->len : 0;
	u32 n;

	buf[0] = type;
	put_unaligned_be32((u32)ktime_get_boottime_seconds(), buf + 1);
	buf[5] = len;
	if (len)
		memcpy(buf + 6, odcid->data, len);
	n = 6 + len;
	quic_token_mac(buf, n, peer, buf + n);
	return n + QUIC_TOKEN_MAC_LEN;
}

/**
 * quic_token_check - validate a token a client sent in an Initial
 * @token: the token
 * @len: its length
 * @peer: the address the Initial came from
 * @odcid: for a Retry token, returns the original Destination Connection ID
 *
 * Return: the token's type when it is ours, for this address and not
 * expired; -EINVAL otherwise.
 */
int quic_token_check(const u8 *token, u32 len, const union quic_addr *peer,
		     struct quic_cid *odcid)
{
	u32 now = (u32)ktime_get_boottime_seconds(), age, n;
	u8 mac[QUIC_TOKEN_MAC_LEN];

	if (len < 6 + QUIC_TOKEN_MAC_LEN || token[5] > QUIC_CONN_ID_MAX_LEN)
		return -EINVAL;
	n = 6 + token[5];
	if (len != n + QUIC_TOKEN_MAC_LEN)
		return -EINVAL;
	if (token[0] != QUIC_TOKEN_RETRY && (token[0] != QUIC_TOKEN_NEW || token[5]))
		return -EINVAL;
	quic_token_mac(token, n, peer, mac);
	if (crypto_memneq(mac, token + n, QUIC_TOKEN_MAC_LEN))
		return -EINVAL;
	age = now - get_unaligned_be32(token + 1);
	if (age > (token[0] == QUIC_TOKEN_RETRY ? QUIC_TOKEN_RETRY_LIFETIME :
		   QUIC_TOKEN_NEW_LIFETIME))
		return -EINVAL;
	if (token[0] == QUIC_TOKEN_RETRY) {
		memset(odcid, 0, sizeof(*odcid));
		odcid->len = token[5];
		memcpy(odcid->data, token + 6, token[5]);
	}
	return token[0];
}

/**
 * quic_retry_send - answer a client's first Initial with a Retry
 * @usk: the UDP socket it arrived on
 * @skb: the datagram, for the addresses
 * @info: the parsed Initial
 *
 * RFC 9000 section 17.2.5: the Retry carries a connection ID of our
 * choosing, which the client's next Initial is sent to, and a token that
 * remembers the client's original Destination Connection ID.  Nothing is
 * kept.  Softirq context.
 */
void quic_retry_send(struct sock *usk, const struct sk_buff *skb,
		     const struct quic_packet_info *info)
{
	u8 *p, token[QUIC_TOKEN_BUF_LEN];
	union quic_addr peer, local;
	struct quic_cid odcid, scid;
	struct sk_buff *nskb;
	int tlen;
	u32 len;

	quic_addr_from_skb(skb, &peer, &local);
	memset(&odcid, 0, sizeof(odcid));
	odcid.len = info->dcid_len;
	memcpy(odcid.data, info->dcid, info->dcid_len);
	quic_cid_random(&scid, QUIC_CID_LEN);
	tlen = quic_token_make(token, QUIC_TOKEN_RETRY, &peer, &odcid);

	len = 1 + 4 + 1 + info->scid_len + 1 + scid.len + tlen;
	nskb = alloc_skb(QUIC_HEADROOM + len + QUIC_TAG_LEN, GFP_ATOMIC);
	if (!nskb)
		return;
	skb_reserve(nskb, QUIC_HEADROOM);
	p = skb_put(nskb, len + QUIC_TAG_LEN);
	/* The four low bits are unused in a Retry: random (17.2.5). */
	p[0] = QUIC_HEADER_FORM_LONG | QUIC_HEADER_FIXED_BIT |
	       (quic_packet_long_type_bits(info->version, QUIC_PACKET_RETRY) << 4) |
	       (get_random_u8() & 0x0f);
	put_unaligned_be32(info->version, p + 1);
	p[5] = info->scid_len;
	memcpy(p + 6, info->scid, info->scid_len);
	p[6 + info->scid_len] = scid.len;
	memcpy(p + 7 + info->scid_len, scid.data, scid.len);
	memcpy(p + 7 + info->scid_len + scid.len, token, tlen);
	if (quic_crypto_retry_tag(info->version, odcid.data, odcid.len, p, len, p + len)) {
		kfree_skb(nskb);
		return;
	}
	quic_xmit_stateless(usk, nskb, &local, &peer);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_RETRY_SENT);
}

/**
 * quic_reset_send - answer a packet for an unknown ID with a Stateless Reset
 * @usk: the UDP socket it came on
 * @skb: the datagram, at the QUIC packet: a short header
 *
 * RFC 9000 section 10.3: the token is recomputed from the ID, as for an
 * ID we issued once.  The reset is shorter than what triggered it, so two
 * endpoints that both lost state cannot loop, and rate limited.
 * Softirq context.
 */
void quic_reset_send(struct sock *usk, const struct sk_buff *skb)
{
	union quic_addr peer, local;
	struct sk_buff *nskb;
	struct quic_cid cid;
	u32 len;
	u8 *p;

	/* A reset must not be told apart from a short header packet with a
	 * 1-byte ID and some payload: at least 21 bytes, RFC 9000 10.3.
	 */
	if (skb->len <= QUIC_RESET_MIN_LEN || skb->len < 1 + QUIC_CID_LEN ||
	    (skb->data[0] & QUIC_HEADER_FORM_LONG) ||
	    !__ratelimit(&quic_net(sock_net(usk))->stateless_rs))
		return;
	len = min_t(u32, skb->len - 1, QUIC_RESET_MIN_LEN + 20);
	nskb = alloc_skb(QUIC_HEADROOM + len, GFP_ATOMIC);
	if (!nskb)
		return;
	skb_reserve(nskb, QUIC_HEADROOM);
	p = skb_put(nskb, len);
	get_random_bytes(p, len - QUIC_RESET_TOKEN_LEN);
	p[0] = (p[0] & ~QUIC_HEADER_FORM_LONG) | QUIC_HEADER_FIXED_BIT;
	memset(&cid, 0, sizeof(cid));
	cid.len = QUIC_CID_LEN;
	memcpy(cid.data, skb->data + 1, QUIC_CID_LEN);
	quic_cid_reset_token(sock_net(usk), &cid, p + len - QUIC_RESET_TOKEN_LEN);
	quic_addr_from_skb(skb, &peer, &local);
	quic_xmit_stateless(usk, nskb, &local, &peer);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_RESET_SENT);
}

/**
 * quic_version_negotiation_send - answer a packet of a version we do not speak
 * @usk: the UDP socket it came on
 * @skb: the datagram, at the QUIC packet: at least 1200 bytes
 * @info: its parsed long header
 *
 * RFC 9000 section 6.1 and 17.2.1: the IDs are echoed swapped and the
 * versions we support are listed.  Softirq context.
 */
void quic_version_negotiation_send(struct sock *usk, const struct sk_buff *skb,
				   const struct quic_packet_info *info)
{
	static const u32 versions[] = { QUIC_VERSION_V1, QUIC_VERSION_V2 };
	union quic_addr peer, local;
	struct sk_buff *nskb;
	u32 len, i;
	u8 *p;

	if (!__ratelimit(&quic_net(sock_net(usk))->stateless_rs))
		return;
	len = 1 + 4 + 1 + info->scid_len + 1 + info->dcid_len + 4 * ARRAY_SIZE(versions);
	nskb = alloc_skb(QUIC_HEADROOM + len, GFP_ATOMIC);
	if (!nskb)
		return;
	skb_reserve(nskb, QUIC_HEADROOM);
	p = skb_put(nskb, len);
	/* Unused bits are arbitrary; the fixed bit set, as RFC 9000 asks. */
	*p++ = QUIC_HEADER_FORM_LONG | QUIC_HEADER_FIXED_BIT | (get_random_u8() & 0x3f);
	put_unaligned_be32(0, p);
	p += 4;
	*p++ = info->scid_len;
	memcpy(p, info->scid, info->scid_len);
	p += info->scid_len;
	*p++ = info->dcid_len;
	memcpy(p, info->dcid, info->dcid_len);
	p += info->dcid_len;
	for (i = 0; i < ARRAY_SIZE(versions); i++, p += 4)
		put_unaligned_be32(versions[i], p);
	quic_addr_from_skb(skb, &peer, &local);
	quic_xmit_stateless(usk, nskb, &local, &peer);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_VN_SENT);
}
