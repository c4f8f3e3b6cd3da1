/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Packet protection (RFC 9001 section 5).
 */

#ifndef __NET_QUIC_CRYPTO_H
#define __NET_QUIC_CRYPTO_H

#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <linux/types.h>

#define QUIC_TAG_LEN		16
#define QUIC_IV_LEN		12
#define QUIC_HP_SAMPLE_LEN	16
#define QUIC_HP_MASK_LEN	5
#define QUIC_SECRET_MAX		48
#define QUIC_KEY_MAX		32
#define QUIC_CID_MAX_LEN	20
#define QUIC_RETRY_MAX_LEN	1500	/* a Retry packet, tag excluded */

struct quic_cipher;
struct crypto_aead;
struct aead_request;

/* Key slots of a direction: the two key phases, and the keys of the next
 * phase prepared ahead (1-RTT only).
 */
#define QUIC_KEY_NEXT		2
#define QUIC_KEY_SLOTS		3

/**
 * struct quic_crypto_dir - the keys of one direction at one level
 * @tfm: AEAD transforms, indexed by key phase, and QUIC_KEY_NEXT
 * @req: one request per transform, allocated with it: packets are
 *	protected one at a time under the socket lock, so no allocation
 *	happens per packet
 * @iv: the IVs, indexed as @tfm
 * @secret: the traffic secret of the current key phase
 * @next_secret: the secret of the next key phase, when prepared
 * @next_ready: the QUIC_KEY_NEXT slot holds the next phase's keys
 * @hp: header protection key (never changes with a key update)
 * @hp.aes: for AES based suites
 * @hp.chacha: for ChaCha20-Poly1305
 * @ready: keys installed
 */
struct quic_crypto_dir {
	struct crypto_aead	*tfm[QUIC_KEY_SLOTS];
	struct aead_request	*req[QUIC_KEY_SLOTS];
	u8			iv[QUIC_KEY_SLOTS][QUIC_IV_LEN];
	u8			secret[QUIC_SECRET_MAX];
	u8			next_secret[QUIC_SECRET_MAX];
	bool			next_ready;
	union {
		struct aes_enckey	aes;
		u32			chacha[CHACHA_KEY_WORDS];
	} hp;
	bool			ready;
};

/**
 * struct quic_crypto - packet protection state of one encryption level
 * @cipher: the cipher suite, NULL before any key is installed
 * @version: QUIC version, selects the HKDF labels (RFC 9369 section 3.3)
 * @tx: keys protecting what we send
 * @rx: keys removing the peer's protection
 * @key_phase: current key phase bit (1-RTT only, RFC 9001 section 6)
 * @tx_packets: packets protected with the current keys, against the
 *	cipher's confidentiality limit (RFC 9001 section 6.6)
 * @rx_failures: packets at this level that failed authentication, against
 *	the cipher's integrity limit
 * @rx_phase_pn: lowest packet number received in the current key phase,
 *	U64_MAX for none yet (1-RTT only, RFC 9001 section 6.4)
 * @plain: packets of this level carry no AEAD tag and no header
 *	protection: 1-RTT only, when both ends offered the
 *	disable_1rtt_encryption transport parameter (for measurements)
 *
 * Locking: owned by the connection, used under its socket lock.
 */
struct quic_crypto {
	const struct quic_cipher	*cipher;
	u32				version;
	struct quic_crypto_dir		tx;
	struct quic_crypto_dir		rx;
	u8				key_phase;
	u64				tx_packets;
	u64				rx_failures;
	u64				rx_phase_pn;
	bool				plain;
};

/* The bytes the AEAD adds to a packet of level @c. */
static inline u32 quic_crypto_tag_len(const struct quic_crypto *c)
{
	return c->plain ? 0 : QUIC_TAG_LEN;
}

int quic_crypto_initial_keys(struct quic_crypto *c, u32 version,
			     const u8 *dcid, u8 dcid_len, bool is_server);
int quic_crypto_set_secret(struct quic_crypto *c, u32 version, u32 type,
			   const u8 *secret, bool send);
int quic_crypto_prepare_update(struct quic_crypto *c);
int quic_crypto_key_update(struct quic_crypto *c);
void quic_crypto_free(struct quic_crypto *c);

int quic_crypto_encrypt(struct quic_crypto *c, u8 *pkt, u32 hlen, u32 plen,
			u64 pn, u8 pn_len);
int quic_crypto_unprotect_header(struct quic_crypto *c, u8 *pkt, u32 pn_off,
				 u32 len, u8 *pn_len);
int quic_crypto_decrypt(struct quic_crypto *c, u8 *pkt, u32 hlen, u32 clen,
			u64 pn, u8 key_phase);
bool quic_crypto_update_due(const struct quic_crypto *c);
bool quic_crypto_limit_reached(const struct quic_crypto *c);
bool quic_crypto_rx_phase_ok(struct quic_crypto *c, u8 phase, u64 pn);

int quic_crypto_retry_tag(u32 version, const u8 *odcid, u8 odcid_len,
			  const u8 *retry, u32 len, u8 *tag);

int quic_crypto_hkdf_expand_label(u32 type, const u8 *secret,
				  const char *label, u8 *out, u32 len);

#endif /* __NET_QUIC_CRYPTO_H */
