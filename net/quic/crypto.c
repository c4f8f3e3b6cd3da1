// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Packet protection (RFC 9001 section 5): key derivation with
 * HKDF-Expand-Label, AEAD payload protection, header protection, key
 * update (section 6) and the Retry integrity tag (section 5.8).
 *
 * The hot path allocates nothing: every AEAD transform comes with its own
 * request, the header protection keys are expanded once for the AES and
 * ChaCha20 libraries, and packets are protected in place.
 */

#include <crypto/aead.h>
#include <crypto/gcm.h>
#include <crypto/sha2.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/tls.h>
#include <uapi/linux/quic.h>
#include <kunit/visibility.h>

#include "crypto.h"

/**
 * struct quic_cipher - a TLS 1.3 cipher suite as QUIC uses it
 * @type: TLS_CIPHER_* value
 * @aead: crypto API algorithm name
 * @key_len: AEAD and header protection key length
 * @secret_len: traffic secret length, the output size of the suite's hash
 * @ccm: the crypto API wants a 16-byte CCM IV
 * @chacha: header protection uses ChaCha20 rather than AES
 * @conf_limit: packets one key may protect
 * @integ_limit: packets failing authentication a connection may see
 */
struct quic_cipher {
	u32		type;
	const char	*aead;
	u8		key_len;
	u8		secret_len;
	bool		ccm;
	bool		chacha;
	u64		conf_limit;
	u64		integ_limit;
};

/* RFC 9001 section 6.6 limits.  2^21.5 for CCM rounds down; ChaCha20's
 * confidentiality limit is above the packets a connection can send at all.
 */
#define QUIC_LIMIT_2_21_5	2965820ULL

static const struct quic_cipher quic_ciphers[] = {
	{ TLS_CIPHER_AES_GCM_128, "gcm(aes)", 16, SHA256_DIGEST_SIZE,
	  .conf_limit = 1ULL << 23, .integ_limit = 1ULL << 52 },
	{ TLS_CIPHER_AES_GCM_256, "gcm(aes)", 32, SHA384_DIGEST_SIZE,
	  .conf_limit = 1ULL << 23, .integ_limit = 1ULL << 52 },
	{ TLS_CIPHER_AES_CCM_128, "ccm(aes)", 16, SHA256_DIGEST_SIZE, .ccm = true,
	  .conf_limit = QUIC_LIMIT_2_21_5, .integ_limit = QUIC_LIMIT_2_21_5 },
	{ TLS_CIPHER_CHACHA20_POLY1305, "rfc7539(chacha20,poly1305)", 32,
	  SHA256_DIGEST_SIZE, .chacha = true,
	  .conf_limit = U64_MAX, .integ_limit = 1ULL << 36 },
};

static const struct quic_cipher *quic_cipher_find(u32 type)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(quic_ciphers); i++)
		if (quic_ciphers[i].type == type)
			return &quic_ciphers[i];
	return NULL;
}

/**
 * struct quic_version_keys - what changes with the QUIC version
 * @version: QUIC_VERSION_*
 * @salt: initial_salt (RFC 9001 section 5.2, RFC 9369 section 3.3.1)
 * @retry_key: Retry integrity key (RFC 9001 section 5.8, RFC 9369 3.3.3)
 * @retry_nonce: Retry integrity nonce
 * @key: label for the packet protection key
 * @iv: label for the IV
 * @hp: label for the header protection key
 * @ku: label for the key update
 */
struct quic_version_keys {
	u32		version;
	u8		salt[20];
	u8		retry_key[16];
	u8		retry_nonce[QUIC_IV_LEN];
	const char	*key, *iv, *hp, *ku;
};

static const struct quic_version_keys quic_versions[] = {
	{
		.version = QUIC_VERSION_V1,
		.salt = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
			  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
		.retry_key = { 0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
			       0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e },
		.retry_nonce = { 0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2,
				 0x23, 0x98, 0x25, 0xbb },
		.key = "quic key", .iv = "quic iv", .hp = "quic hp", .ku = "quic ku",
	},
	{
		.version = QUIC_VERSION_V2,
		.salt = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
			  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
		.retry_key = { 0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2,
			       0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92 },
		.retry_nonce = { 0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99,
				 0x90, 0xef, 0xb0, 0x4a },
		.key = "quicv2 key", .iv = "quicv2 iv", .hp = "quicv2 hp",
		.ku = "quicv2 ku",
	},
};

static const struct quic_version_keys *quic_version_find(u32 version)
{
	return &quic_versions[version == QUIC_VERSION_V2];
}

static void quic_hmac(u32 hash_len, const u8 *key, u32 key_len,
		      const u8 *data, u32 len, u8 *out)
{
	if (hash_len == SHA384_DIGEST_SIZE)
		hmac_sha384_usingrawkey(key, key_len, data, len, out);
	else
		hmac_sha256_usingrawkey(key, key_len, data, len, out);
}

#define QUIC_LABEL_MAX	32

/* HKDF-Expand (RFC 5869 section 2.3) of the HkdfLabel of RFC 8446
 * section 7.1 with an empty context: T(i) = HMAC(secret, T(i-1) | info | i).
 */
static int quic_hkdf_expand_label(u32 hash_len, const u8 *secret,
				  const char *label, u8 *out, u32 len)
{
	u8 buf[QUIC_SECRET_MAX + 4 + 6 + QUIC_LABEL_MAX + 1];
	u32 llen = strlen(label), done = 0, n;
	u8 t[QUIC_SECRET_MAX], *info, *p;
	u8 i;

	if (llen > QUIC_LABEL_MAX || len > 255 * hash_len)
		return -EINVAL;

	info = buf + hash_len;		/* T(i-1) goes right before it */
	p = info;
	*p++ = len >> 8;
	*p++ = len;
	*p++ = 6 + llen;
	memcpy(p, "tls13 ", 6);
	p += 6;
	memcpy(p, label, llen);
	p += llen;
	*p++ = 0;			/* context length */

	for (i = 1; done < len; i++) {
		*p = i;
		if (i == 1)
			quic_hmac(hash_len, secret, hash_len, info, p + 1 - info, t);
		else
			quic_hmac(hash_len, secret, hash_len, buf, p + 1 - buf, t);
		n = min(len - done, hash_len);
		memcpy(out + done, t, n);
		memcpy(buf, t, hash_len);
		done += n;
	}
	memzero_explicit(t, sizeof(t));
	memzero_explicit(buf, sizeof(buf));
	return 0;
}

/**
 * quic_crypto_hkdf_expand_label - HKDF-Expand-Label with a suite's hash
 * @type: TLS_CIPHER_* selecting SHA-256 or SHA-384
 * @secret: the secret, of the hash's length
 * @label: label without the "tls13 " prefix
 * @out: output
 * @len: output length
 *
 * Return: 0, or -EINVAL for an unknown suite or a bad length.
 */
int quic_crypto_hkdf_expand_label(u32 type, const u8 *secret,
				  const char *label, u8 *out, u32 len)
{
	const struct quic_cipher *cipher = quic_cipher_find(type);

	if (!cipher)
		return -EINVAL;
	return quic_hkdf_expand_label(cipher->secret_len, secret, label, out, len);
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_hkdf_expand_label);

static void quic_crypto_dir_free(struct quic_crypto_dir *d)
{
	int i;

	for (i = 0; i < QUIC_KEY_SLOTS; i++) {
		aead_request_free(d->req[i]);
		crypto_free_aead(d->tfm[i]);
	}
	memzero_explicit(d, sizeof(*d));
}

/**
 * quic_crypto_free - release the keys of an encryption level
 * @c: the level
 */
void quic_crypto_free(struct quic_crypto *c)
{
	quic_crypto_dir_free(&c->tx);
	quic_crypto_dir_free(&c->rx);
	c->cipher = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_free);

/* Derive key and IV from @secret into key phase @phase of @d. */
static int quic_crypto_dir_set_key(struct quic_crypto *c, struct quic_crypto_dir *d,
				   const u8 *secret, u8 phase)
{
	const struct quic_version_keys *v = quic_version_find(c->version);
	const struct quic_cipher *cipher = c->cipher;
	u8 key[QUIC_KEY_MAX];
	int err;

	if (!d->tfm[phase]) {
		/* Synchronous implementations only: no completion callbacks. */
		d->tfm[phase] = crypto_alloc_aead(cipher->aead, 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(d->tfm[phase])) {
			err = PTR_ERR(d->tfm[phase]);
			d->tfm[phase] = NULL;
			return err;
		}
		d->req[phase] = aead_request_alloc(d->tfm[phase], GFP_KERNEL_ACCOUNT);
		if (!d->req[phase]) {
			/* No transform without its request: a later try allocates both. */
			crypto_free_aead(d->tfm[phase]);
			d->tfm[phase] = NULL;
			return -ENOMEM;
		}
		aead_request_set_callback(d->req[phase], 0, NULL, NULL);
	}

	err = quic_hkdf_expand_label(cipher->secret_len, secret, v->key, key,
				     cipher->key_len);
	if (!err)
		err = quic_hkdf_expand_label(cipher->secret_len, secret, v->iv,
					     d->iv[phase], QUIC_IV_LEN);
	if (!err)
		err = crypto_aead_setkey(d->tfm[phase], key, cipher->key_len);
	if (!err)
		err = crypto_aead_setauthsize(d->tfm[phase], QUIC_TAG_LEN);
	memzero_explicit(key, sizeof(key));
	return err;
}

static int quic_crypto_dir_install(struct quic_crypto *c, struct quic_crypto_dir *d,
				   const u8 *secret)
{
	const struct quic_version_keys *v = quic_version_find(c->version);
	const struct quic_cipher *cipher = c->cipher;
	u8 hp[QUIC_KEY_MAX];
	int err, i;

	err = quic_crypto_dir_set_key(c, d, secret, c->key_phase);
	if (err)
		return err;
	err = quic_hkdf_expand_label(cipher->secret_len, secret, v->hp, hp,
				     cipher->key_len);
	if (err)
		return err;
	if (cipher->chacha) {
		for (i = 0; i < CHACHA_KEY_WORDS; i++)
			d->hp.chacha[i] = get_unaligned_le32(hp + 4 * i);
	} else {
		err = aes_prepareenckey(&d->hp.aes, hp, cipher->key_len);
	}
	memzero_explicit(hp, sizeof(hp));
	if (err)
		return err;
	memcpy(d->secret, secret, cipher->secret_len);
	d->ready = true;
	return 0;
}

/* A level's suite is fixed by its first key; a different one starts over. */
static int quic_crypto_use_cipher(struct quic_crypto *c, u32 version, u32 type)
{
	const struct quic_cipher *cipher = quic_cipher_find(type);

	if (!cipher)
		return -EINVAL;
	if (c->cipher && (c->cipher != cipher || c->version != version))
		quic_crypto_free(c);
	c->cipher = cipher;
	c->version = version;
	return 0;
}

/**
 * quic_crypto_set_secret - install a traffic secret from the TLS handshake
 * @c: the encryption level
 * @version: QUIC version
 * @type: TLS_CIPHER_* suite
 * @secret: the secret, of the suite's hash length
 * @send: true for the direction we send in
 *
 * Return: 0 or a negative errno (-EINVAL for an unknown suite).
 */
int quic_crypto_set_secret(struct quic_crypto *c, u32 version, u32 type,
			   const u8 *secret, bool send)
{
	int err;

	err = quic_crypto_use_cipher(c, version, type);
	if (err)
		return err;
	if (!send)
		c->rx_phase_pn = U64_MAX;
	return quic_crypto_dir_install(c, send ? &c->tx : &c->rx, secret);
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_set_secret);

/**
 * quic_crypto_initial_keys - derive the Initial keys (RFC 9001 section 5.2)
 * @c: the Initial encryption level
 * @version: QUIC version, which selects the salt and labels
 * @dcid: the Destination Connection ID of the client's first Initial
 * @dcid_len: its length
 * @is_server: which of the two secrets we send with
 *
 * Return: 0 or a negative errno.
 */
int quic_crypto_initial_keys(struct quic_crypto *c, u32 version,
			     const u8 *dcid, u8 dcid_len, bool is_server)
{
	const struct quic_version_keys *v = quic_version_find(version);
	u8 initial[SHA256_DIGEST_SIZE], client[SHA256_DIGEST_SIZE];
	u8 server[SHA256_DIGEST_SIZE];
	int err;

	if (dcid_len > QUIC_CID_MAX_LEN)
		return -EINVAL;
	err = quic_crypto_use_cipher(c, version, TLS_CIPHER_AES_GCM_128);
	if (err)
		return err;
	/* HKDF-Extract(initial_salt, cid) */
	hmac_sha256_usingrawkey(v->salt, sizeof(v->salt), dcid, dcid_len, initial);
	err = quic_hkdf_expand_label(SHA256_DIGEST_SIZE, initial, "client in",
				     client, sizeof(client));
	if (!err)
		err = quic_hkdf_expand_label(SHA256_DIGEST_SIZE, initial, "server in",
					     server, sizeof(server));
	if (!err)
		err = quic_crypto_dir_install(c, &c->tx, is_server ? server : client);
	if (!err)
		err = quic_crypto_dir_install(c, &c->rx, is_server ? client : server);
	memzero_explicit(initial, sizeof(initial));
	memzero_explicit(client, sizeof(client));
	memzero_explicit(server, sizeof(server));
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_initial_keys);

/* Set the next phase's keys into the spare slot: this allocates and sets
 * keys, which may sleep, so it runs in process context, ahead of need.
 */
static int quic_crypto_dir_prepare(struct quic_crypto *c, struct quic_crypto_dir *d)
{
	const struct quic_version_keys *v = quic_version_find(c->version);
	u32 len = c->cipher->secret_len;
	int err;

	if (d->next_ready)
		return 0;
	err = quic_hkdf_expand_label(len, d->secret, v->ku, d->next_secret, len);
	if (!err)
		err = quic_crypto_dir_set_key(c, d, d->next_secret, QUIC_KEY_NEXT);
	d->next_ready = !err;
	return err;
}

/**
 * quic_crypto_prepare_update - compute the keys of the next key phase
 * @c: the 1-RTT encryption level
 *
 * The next secret is HKDF-Expand-Label(secret, "quic ku") (RFC 9001
 * section 6.1).  Process context: it may allocate and sleep.
 *
 * Return: 0 or a negative errno.
 */
int quic_crypto_prepare_update(struct quic_crypto *c)
{
	int err;

	if (!c->tx.ready || !c->rx.ready)
		return -EINVAL;
	err = quic_crypto_dir_prepare(c, &c->tx);
	return err ?: quic_crypto_dir_prepare(c, &c->rx);
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_prepare_update);

static void quic_crypto_dir_update(struct quic_crypto_dir *d, u8 phase)
{
	swap(d->tfm[phase], d->tfm[QUIC_KEY_NEXT]);
	swap(d->req[phase], d->req[QUIC_KEY_NEXT]);
	memcpy(d->iv[phase], d->iv[QUIC_KEY_NEXT], QUIC_IV_LEN);
	memcpy(d->secret, d->next_secret, sizeof(d->secret));
	memzero_explicit(d->next_secret, sizeof(d->next_secret));
	d->next_ready = false;
}

/**
 * quic_crypto_key_update - move both directions to the next key phase
 * @c: the 1-RTT encryption level
 *
 * Takes the keys quic_crypto_prepare_update() computed, so it only swaps
 * pointers and works in any context, the receive path included.  Header
 * protection keys do not change.  The keys of the previous phase stay
 * usable for packets still in flight (RFC 9001 section 6.5).
 *
 * Return: 0, -EINVAL without keys, -EAGAIN when the next keys are not
 * prepared.
 */
int quic_crypto_key_update(struct quic_crypto *c)
{
	u8 next = !c->key_phase;

	if (!c->tx.ready || !c->rx.ready)
		return -EINVAL;
	if (!c->tx.next_ready || !c->rx.next_ready)
		return -EAGAIN;
	quic_crypto_dir_update(&c->tx, next);
	quic_crypto_dir_update(&c->rx, next);
	c->key_phase = next;
	c->tx_packets = 0;
	c->rx_phase_pn = U64_MAX;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_key_update);

/* RFC 9001 section 5.4: the mask from a 16-byte sample of the ciphertext. */
static void quic_hp_mask(const struct quic_crypto *c,
			 const struct quic_crypto_dir *d, const u8 *sample,
			 u8 *mask)
{
	static const u8 zero[QUIC_HP_MASK_LEN];
	struct chacha_state st;
	u8 block[AES_BLOCK_SIZE];

	if (c->cipher->chacha) {
		/* counter = sample[0..3] (little endian), nonce = sample[4..15] */
		chacha_init(&st, d->hp.chacha, sample);
		chacha20_crypt(&st, mask, zero, QUIC_HP_MASK_LEN);
		chacha_zeroize_state(&st);
		return;
	}
	aes_encrypt(&d->hp.aes, block, sample);
	memcpy(mask, block, QUIC_HP_MASK_LEN);
}

/* Long headers protect 4 bits of the first byte, short ones 5. */
static void quic_hp_first_byte(u8 *pkt, const u8 *mask)
{
	pkt[0] ^= mask[0] & ((pkt[0] & 0x80) ? 0x0f : 0x1f);
}

static void quic_hp_pn(u8 *pkt, u32 pn_off, u8 pn_len, const u8 *mask)
{
	int i;

	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
}

static int quic_aead_crypt(struct quic_crypto *c, struct quic_crypto_dir *d,
			   u8 phase, u8 *pkt, u32 hlen, u32 len, u64 pn, bool enc)
{
	struct aead_request *req = d->req[phase];
	u8 iv[AES_BLOCK_SIZE] = {}, *nonce = iv;
	struct scatterlist sg;
	int i;

	if (!req)
		return -ENOKEY;
	if (c->cipher->ccm) {
		iv[0] = 2;	/* L' = 15 - 12 - 1: a 12-byte nonce follows */
		nonce = iv + 1;
	}
	/* RFC 9001 section 5.3: the IV XORed with the packet number. */
	memcpy(nonce, d->iv[phase], QUIC_IV_LEN);
	for (i = 0; i < 8; i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= pn >> (8 * i);

	sg_init_one(&sg, pkt, hlen + len + (enc ? QUIC_TAG_LEN : 0));
	aead_request_set_ad(req, hlen);
	aead_request_set_crypt(req, &sg, &sg, len, iv);
	return enc ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
}

/**
 * quic_crypto_encrypt - protect a packet in place
 * @c: the encryption level
 * @pkt: header (@hlen bytes, ending with the packet number), payload
 *	(@plen bytes), and room for the QUIC_TAG_LEN byte tag
 * @hlen: header length, packet number included
 * @plen: payload length
 * @pn: full packet number
 * @pn_len: encoded packet number length, 1 to 4
 *
 * The payload must be long enough for the header protection sample:
 * pn_len + plen + QUIC_TAG_LEN >= 4 + QUIC_HP_SAMPLE_LEN.  A @c->plain
 * level leaves the packet as it is, with no tag.
 *
 * Return: 0, -ENOKEY without keys, -EINVAL for a too short packet.
 */
int quic_crypto_encrypt(struct quic_crypto *c, u8 *pkt, u32 hlen, u32 plen,
			u64 pn, u8 pn_len)
{
	u32 pn_off = hlen - pn_len;
	u8 mask[QUIC_HP_MASK_LEN];
	int err;

	if (!c->tx.ready)
		return -ENOKEY;
	if (!pn_len || pn_len > 4 || pn_len > hlen)
		return -EINVAL;
	if (c->plain)
		return 0;
	if (pn_len + plen + QUIC_TAG_LEN < 4 + QUIC_HP_SAMPLE_LEN)
		return -EINVAL;
	err = quic_aead_crypt(c, &c->tx, c->key_phase, pkt, hlen, plen, pn, true);
	if (err)
		return err;
	c->tx_packets++;
	quic_hp_mask(c, &c->tx, pkt + pn_off + 4, mask);
	quic_hp_first_byte(pkt, mask);
	quic_hp_pn(pkt, pn_off, pn_len, mask);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_encrypt);

/**
 * quic_crypto_unprotect_header - remove header protection in place
 * @c: the encryption level
 * @pkt: the packet
 * @pn_off: offset of the packet number field
 * @len: bytes available from @pkt
 * @pn_len: returns the packet number length
 *
 * Return: 0, -ENOKEY without keys, -EINVAL when too short for the sample.
 */
int quic_crypto_unprotect_header(struct quic_crypto *c, u8 *pkt, u32 pn_off,
				 u32 len, u8 *pn_len)
{
	u8 mask[QUIC_HP_MASK_LEN];

	if (!c->rx.ready)
		return -ENOKEY;
	if (c->plain) {
		/* the sender pads what follows the number to 4 bytes */
		if (len < pn_off + 4)
			return -EINVAL;
		*pn_len = (pkt[0] & 0x03) + 1;
		return 0;
	}
	if (len < pn_off + 4 + QUIC_HP_SAMPLE_LEN)
		return -EINVAL;
	quic_hp_mask(c, &c->rx, pkt + pn_off + 4, mask);
	quic_hp_first_byte(pkt, mask);
	*pn_len = (pkt[0] & 0x03) + 1;	/* known only once unmasked */
	quic_hp_pn(pkt, pn_off, *pn_len, mask);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_unprotect_header);

/**
 * quic_crypto_decrypt - remove payload protection in place
 * @c: the encryption level
 * @pkt: header (@hlen bytes, unprotected) followed by the ciphertext
 * @hlen: header length, packet number included
 * @clen: ciphertext length, tag included
 * @pn: the decoded full packet number
 * @slot: the key phase bit of a short header (0 for long headers), or
 *	%QUIC_KEY_NEXT to try the keys of the next phase before updating
 *
 * A @c->plain level takes the packet as it is.
 *
 * Return: 0, -EBADMSG when authentication fails, -ENOKEY, -EINVAL.
 */
int quic_crypto_decrypt(struct quic_crypto *c, u8 *pkt, u32 hlen, u32 clen,
			u64 pn, u8 slot)
{
	int err;

	if (!c->rx.ready)
		return -ENOKEY;
	if (slot >= QUIC_KEY_SLOTS)
		return -EINVAL;
	if (c->plain)	/* the next phase only once prepared, as with keys */
		return slot == QUIC_KEY_NEXT && !c->rx.next_ready ? -ENOKEY : 0;
	if (clen < QUIC_TAG_LEN)
		return -EINVAL;
	err = quic_aead_crypt(c, &c->rx, slot, pkt, hlen, clen, pn, false);
	if (err == -EBADMSG)
		c->rx_failures++;
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_decrypt);

/**
 * quic_crypto_update_due - must the keys change before more is sent?
 * @c: the 1-RTT encryption level
 *
 * RFC 9001 section 6.6: a key update starts well before the cipher's
 * confidentiality limit, with a sixteenth of it to spare for the time
 * the previous update may still wait for its acknowledgment.
 *
 * Return: true once @c's current keys protected that many packets.
 */
bool quic_crypto_update_due(const struct quic_crypto *c)
{
	return c->cipher && c->tx_packets >= c->cipher->conf_limit - c->cipher->conf_limit / 16;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_update_due);

/**
 * quic_crypto_limit_reached - may these keys protect or check no more?
 * @c: the encryption level
 *
 * Return: true when @c's keys protected nearly as many packets as the
 * cipher's confidentiality limit allows (a 64th of it is kept for what a
 * flush already under way sends, and the CONNECTION_CLOSE), or when as
 * many packets failed authentication as its integrity limit allows: the
 * connection must end with AEAD_LIMIT_REACHED.
 */
bool quic_crypto_limit_reached(const struct quic_crypto *c)
{
	return c->cipher && (c->tx_packets >= c->cipher->conf_limit - c->cipher->conf_limit / 64 ||
			     c->rx_failures >= c->cipher->integ_limit);
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_limit_reached);

/**
 * quic_crypto_rx_phase_ok - check the key phase order of a decrypted packet
 * @c: the 1-RTT encryption level
 * @phase: the key phase the packet was protected with
 * @pn: its packet number
 *
 * RFC 9001 section 6.4: a packet protected with older keys must not have
 * a higher packet number than one protected with the current keys.
 *
 * Return: false on a KEY_UPDATE_ERROR.
 */
bool quic_crypto_rx_phase_ok(struct quic_crypto *c, u8 phase, u64 pn)
{
	if (phase == c->key_phase) {
		c->rx_phase_pn = min(c->rx_phase_pn, pn);
		return true;
	}
	return pn < c->rx_phase_pn;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_rx_phase_ok);

/**
 * quic_crypto_retry_tag - compute a Retry Integrity Tag (RFC 9001 5.8)
 * @version: QUIC version of the Retry packet
 * @odcid: the Original Destination Connection ID
 * @odcid_len: its length
 * @retry: the Retry packet without its tag
 * @len: its length
 * @tag: returns the QUIC_TAG_LEN byte tag
 *
 * Any context: the AES-GCM library needs no transform, only one buffer
 * for the key schedule and the pseudo-packet.  A server sends a Retry at
 * most once per client Initial; a client checks at most one.
 *
 * Return: 0 or a negative errno.
 */
int quic_crypto_retry_tag(u32 version, const u8 *odcid, u8 odcid_len,
			  const u8 *retry, u32 len, u8 *tag)
{
	const struct quic_version_keys *v = quic_version_find(version);
	struct {
		struct aesgcm_ctx ctx;
		u8 pseudo[];
	} *w;
	u32 plen;
	int err;

	if (odcid_len > QUIC_CID_MAX_LEN || len > QUIC_RETRY_MAX_LEN)
		return -EINVAL;
	/* The Retry pseudo-packet: ODCID length and value, then the Retry. */
	plen = 1 + odcid_len + len;
	w = kmalloc(sizeof(*w) + plen, GFP_ATOMIC);
	if (!w)
		return -ENOMEM;
	err = aesgcm_expandkey(&w->ctx, v->retry_key, sizeof(v->retry_key), QUIC_TAG_LEN);
	if (!err) {
		w->pseudo[0] = odcid_len;
		memcpy(w->pseudo + 1, odcid, odcid_len);
		memcpy(w->pseudo + 1 + odcid_len, retry, len);
		aesgcm_encrypt(&w->ctx, NULL, NULL, 0, w->pseudo, plen, v->retry_nonce, tag);
	}
	kfree_sensitive(w);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(quic_crypto_retry_tag);
