// SPDX-License-Identifier: GPL-2.0
/*
 * The fake QUIC client of the QUIC selftests that do without a TLS
 * library (quic_malformed, quic_rxfuzz): see quic_peer.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/quic.h>
#include <linux/tls.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "quic_peer.h"

/* A step of the rig failed: say which, for the test's log. */
static int rig_fail(const char *fn, const char *what)
{
	fprintf(stderr, "# %s: %s failed: %s\n", fn, what, strerror(errno));
	return -1;
}

/* ---- Packet protection (RFC 9001 section 5), AES-128-GCM ---- */

static const uint8_t initial_salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

/* HKDF-Expand-Label of RFC 8446 section 7.1 with an empty context, for
 * outputs of one SHA-256 block at most: T(1) = HMAC(secret, info | 1).
 */
static void hkdf_expand_label(const uint8_t *secret, const char *label,
			      uint8_t *out, size_t len)
{
	uint8_t info[64], t[EVP_MAX_MD_SIZE];
	size_t n = strlen(label), i = 0;
	unsigned int tlen;

	info[i++] = 0;
	info[i++] = len;
	info[i++] = 6 + n;
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, n);
	i += n;
	info[i++] = 0;		/* no context */
	info[i++] = 1;		/* the block counter */
	HMAC(EVP_sha256(), secret, 32, info, i, t, &tlen);
	memcpy(out, t, len);
}

static void keys_from_secret(const uint8_t *secret, struct keys *k)
{
	hkdf_expand_label(secret, "quic key", k->key, sizeof(k->key));
	hkdf_expand_label(secret, "quic iv", k->iv, sizeof(k->iv));
	hkdf_expand_label(secret, "quic hp", k->hp, sizeof(k->hp));
}

/* RFC 9001 section 5.2: both sides' keys from the client's first DCID. */
void initial_keys(const uint8_t *dcid, size_t len, struct keys *client,
		  struct keys *server)
{
	uint8_t initial[EVP_MAX_MD_SIZE], secret[32];
	unsigned int n;

	HMAC(EVP_sha256(), initial_salt_v1, sizeof(initial_salt_v1), dcid, len,
	     initial, &n);
	hkdf_expand_label(initial, "client in", secret, sizeof(secret));
	keys_from_secret(secret, client);
	hkdf_expand_label(initial, "server in", secret, sizeof(secret));
	keys_from_secret(secret, server);
}

/* The made-up secrets are one byte repeated, as in quic_transport. */
void keys_from_seed(uint8_t seed, struct keys *k)
{
	uint8_t secret[32];

	memset(secret, seed, sizeof(secret));
	keys_from_secret(secret, k);
}

/* RFC 9001 section 6.1: the keys of the next key phase of the made-up
 * 1-RTT secret: the secret goes through "quic ku", the header protection
 * key stays.
 */
void keys_next_from_seed(uint8_t seed, struct keys *k)
{
	uint8_t secret[32], next[32];

	memset(secret, seed, sizeof(secret));
	keys_from_secret(secret, k);
	hkdf_expand_label(secret, "quic ku", next, sizeof(next));
	hkdf_expand_label(next, "quic key", k->key, sizeof(k->key));
	hkdf_expand_label(next, "quic iv", k->iv, sizeof(k->iv));
}

bool hp_mask(const struct keys *k, const uint8_t *sample, uint8_t *mask)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	bool ok;

	if (!c)
		return false;
	ok = EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_EncryptUpdate(c, mask, &n, sample, SAMPLE_LEN) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* AEAD over p[hlen, len - TAG_LEN) in place, the header as associated
 * data, the tag at the end (RFC 9001 section 5.3).
 */
bool aead(const struct keys *k, uint64_t pn, uint8_t *p, size_t hlen,
	  size_t len, bool seal)
{
	uint8_t nonce[12], *data = p + hlen, *tag = p + len - TAG_LEN;
	int dlen = len - hlen - TAG_LEN, n, i;
	EVP_CIPHER_CTX *c;
	bool ok;

	memcpy(nonce, k->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= pn >> (8 * i);
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return false;
	ok = EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce, seal) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, p, hlen) == 1 &&
	     EVP_CipherUpdate(c, data, &n, data, dlen) == 1;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, data + dlen, &n) == 1;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* Header protection (RFC 9001 section 5.4), either way.  Returns the
 * packet number length, or -1 when the packet is too short to sample.
 */
int hp_apply(const struct keys *k, uint8_t *p, size_t pn_off, size_t len,
	     bool protect)
{
	uint8_t mask[SAMPLE_LEN];
	int pn_len, i;

	if (len < pn_off + 4 + SAMPLE_LEN || !hp_mask(k, p + pn_off + 4, mask))
		return -1;
	pn_len = (p[0] & 3) + 1;
	p[0] ^= mask[0] & (p[0] & 0x80 ? 0x0f : 0x1f);
	if (!protect)
		pn_len = (p[0] & 3) + 1;
	for (i = 0; i < pn_len; i++)
		p[pn_off + i] ^= mask[1 + i];
	return pn_len;
}

bool packet_protect(const struct keys *k, uint8_t *p, size_t pn_off,
		    size_t len, uint64_t pn)
{
	size_t pn_len = (p[0] & 3) + 1;

	return aead(k, pn, p, pn_off + pn_len, len, true) &&
	       hp_apply(k, p, pn_off, len, true) > 0;
}

/* RFC 9000 appendix A.3 */
uint64_t pn_decode(int64_t largest, uint64_t truncated, int bits)
{
	uint64_t expected = largest + 1, win = 1ULL << bits, hwin = win / 2;
	uint64_t cand = (expected & ~(win - 1)) | truncated;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Returns the header length, or -1; *pn gets the full packet number.
 * A short header packet with the Key Phase bit set is opened with @k1
 * when there is one: the header protection key is the same for both.
 */
int packet_unprotect_phase(const struct keys *k, const struct keys *k1, uint8_t *p,
			   size_t pn_off, size_t len, int64_t largest, uint64_t *pn)
{
	int pn_len = hp_apply(k, p, pn_off, len, false), i;
	uint64_t truncated = 0;

	if (pn_len < 0)
		return -1;
	for (i = 0; i < pn_len; i++)
		truncated = (truncated << 8) | p[pn_off + i];
	*pn = pn_decode(largest, truncated, pn_len * 8);
	if (k1 && !(p[0] & 0x80) && (p[0] & 0x04))
		k = k1;
	if (!aead(k, *pn, p, pn_off + pn_len, len, false))
		return -1;
	return pn_off + pn_len;
}

int packet_unprotect(const struct keys *k, uint8_t *p, size_t pn_off,
		     size_t len, int64_t largest, uint64_t *pn)
{
	return packet_unprotect_phase(k, NULL, p, pn_off, len, largest, pn);
}

/* ---- Writing and reading the wire format ---- */

void w_byte(struct wr *w, uint8_t b)
{
	w->p[w->n++] = b;
}

void w_bytes(struct wr *w, const void *data, size_t len)
{
	memcpy(w->p + w->n, data, len);
	w->n += len;
}

void w_be32(struct wr *w, uint32_t v)
{
	w_byte(w, v >> 24);
	w_byte(w, v >> 16);
	w_byte(w, v >> 8);
	w_byte(w, v);
}

void w_fill(struct wr *w, uint8_t b, size_t len)
{
	memset(w->p + w->n, b, len);
	w->n += len;
}

/* RFC 9000 section 16, in the shortest encoding */
void w_varint(struct wr *w, uint64_t v)
{
	int len = v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8, i;
	uint8_t *p = w->p + w->n;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * (len - 1 - i));
	p[0] |= (len == 1 ? 0 : len == 2 ? 0x40 : len == 4 ? 0x80 : 0xc0);
	w->n += len;
}

/* A frame type followed by the first @n of @a, @b, @c. */
void w_frame(struct wr *w, uint64_t type, int n, uint64_t a, uint64_t b,
	     uint64_t c)
{
	w_varint(w, type);
	if (n > 0)
		w_varint(w, a);
	if (n > 1)
		w_varint(w, b);
	if (n > 2)
		w_varint(w, c);
}

/* A STREAM frame with offset and length; NULL @data sends 'd's. */
void w_stream(struct wr *w, uint64_t id, uint64_t off, const void *data,
	      size_t len, bool fin)
{
	w_frame(w, F_STREAM | STREAM_OFF | STREAM_LEN | (fin ? STREAM_FIN : 0), 3,
		id, off, len);
	if (data)
		w_bytes(w, data, len);
	else
		w_fill(w, 'd', len);
}

void w_new_cid(struct wr *w, uint64_t seq, uint64_t retire_prior_to,
	       uint8_t len)
{
	w_frame(w, F_NEW_CID, 2, seq, retire_prior_to, 0);
	w_byte(w, len);
	w_fill(w, 0xc0 + seq, len);
	w_fill(w, 0xee, 16);	/* Stateless Reset Token */
}

const uint8_t *rd_bytes(struct rd *r, uint64_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->len) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->len -= n;
	return p;
}

uint64_t rd_uint(struct rd *r, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);
	uint64_t v = 0;

	while (p && n--)
		v = (v << 8) | *p++;
	return v;
}

uint64_t rd_varint(struct rd *r)
{
	size_t n = r->len && !r->bad ? 1U << (r->p[0] >> 6) : 1;

	return rd_uint(r, n) & ((1ULL << (8 * n - 2)) - 1);
}

void rd_skip_varints(struct rd *r, int n)
{
	while (n--)
		rd_varint(r);
}

/* ---- The client ---- */

int peer_open(struct peer *pr, const struct sockaddr_in *srv)
{
	int i;

	memset(pr, 0, sizeof(*pr));
	pr->fd = -1;
	pr->dcid_len = CID_LEN;
	if (getrandom(pr->dcid, CID_LEN, 0) != CID_LEN ||
	    getrandom(pr->scid, CID_LEN, 0) != CID_LEN)
		return rig_fail(__func__, "getrandom");
	initial_keys(pr->dcid, CID_LEN, &pr->tx[LVL_INITIAL], &pr->rx[LVL_INITIAL]);
	keys_from_seed(SEED_HS_C, &pr->tx[LVL_HANDSHAKE]);
	keys_from_seed(SEED_HS_S, &pr->rx[LVL_HANDSHAKE]);
	keys_from_seed(SEED_APP_C, &pr->tx[LVL_APP]);
	keys_from_seed(SEED_APP_S, &pr->rx[LVL_APP]);
	for (i = 0; i < LVL_MAX; i++)
		pr->largest[i] = -1;
	pr->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (pr->fd < 0)
		return rig_fail(__func__, "socket");
	if (connect(pr->fd, (const struct sockaddr *)srv, sizeof(*srv)))
		return rig_fail(__func__, "connect");
	return 0;
}

/* An Initial (to the client's first DCID) or a Handshake packet (to the
 * server's ID) around @frames, with a 4-byte packet number; @rsv sets
 * header bits before protection.  Returns its length.
 */
size_t long_build(struct peer *pr, uint8_t *p, int level, const uint8_t *frames,
		  size_t flen, uint8_t rsv)
{
	bool initial = level == LVL_INITIAL;
	uint64_t pn = pr->next_pn[level]++;
	struct wr w = { p, 0 };
	size_t pn_off;

	w_byte(&w, 0xc3 | (initial ? 0 : 0x20) | rsv);
	w_be32(&w, 1);			/* QUIC version 1 */
	w_byte(&w, initial ? pr->dcid_len : pr->srv_cid_len);
	w_bytes(&w, initial ? pr->dcid : pr->srv_cid,
		initial ? pr->dcid_len : pr->srv_cid_len);
	w_byte(&w, CID_LEN);
	w_bytes(&w, pr->scid, CID_LEN);
	if (initial) {
		w_byte(&w, pr->token_len);	/* a 1-byte varint: < 64 */
		w_bytes(&w, pr->token, pr->token_len);
	}
	w_byte(&w, 0x40 | (4 + flen + TAG_LEN) >> 8);	/* 2-byte Length */
	w_byte(&w, 4 + flen + TAG_LEN);
	pn_off = w.n;
	w_be32(&w, pn);
	w_bytes(&w, frames, flen);
	w_fill(&w, 0, TAG_LEN);
	packet_protect(&pr->tx[level], p, pn_off, w.n, pn);
	return w.n;
}

/* A short header packet; @bits go into the first byte (key phase,
 * reserved bits).
 */
size_t short_build(struct peer *pr, uint8_t *p, const uint8_t *frames,
		   size_t flen, uint8_t bits)
{
	uint64_t pn = pr->next_pn[LVL_APP]++;
	struct wr w = { p, 0 };
	size_t pn_off;

	w_byte(&w, 0x43 | bits);
	w_bytes(&w, pr->srv_cid, pr->srv_cid_len);
	pn_off = w.n;
	w_be32(&w, pn);
	w_bytes(&w, frames, flen);
	w_fill(&w, 0, TAG_LEN);
	packet_protect(&pr->tx[LVL_APP], p, pn_off, w.n, pn);
	return w.n;
}

bool peer_send(struct peer *pr, const uint8_t *p, size_t len)
{
	return send(pr->fd, p, len, 0) == (ssize_t)len;
}

/* An Initial with @frames, followed by an Initial of PADDING that makes
 * the datagram @size bytes long.
 */
size_t initial_datagram(struct peer *pr, uint8_t *d, const uint8_t *frames,
			size_t flen, uint8_t rsv, size_t size)
{
	static const uint8_t zeros[DGRAM_MAX];
	size_t n = long_build(pr, d, LVL_INITIAL, frames, flen, rsv);
	size_t hdr = n - flen - TAG_LEN;

	if (n + hdr + TAG_LEN + 1 <= size)
		n += long_build(pr, d + n, LVL_INITIAL, zeros, size - n - hdr - TAG_LEN, 0);
	return n;
}

bool peer_send_initial(struct peer *pr, const uint8_t *frames, size_t flen,
		       uint8_t rsv)
{
	uint8_t d[DGRAM_MAX];

	return peer_send(pr, d, initial_datagram(pr, d, frames, flen, rsv, MIN_INITIAL));
}

bool peer_send_short(struct peer *pr, const uint8_t *frames, size_t flen,
		     uint8_t bits)
{
	uint8_t d[DGRAM_MAX];

	return peer_send(pr, d, short_build(pr, d, frames, flen, bits));
}

/* Client 1-RTT packets @lo to @hi were acknowledged. */
static void acked_mark(struct seen *s, uint64_t lo, uint64_t hi)
{
	for (; lo <= hi && lo < PN_TRACK; lo++)
		s->app_acked[lo / 8] |= 1 << (lo % 8);
}

bool app_acked(const struct seen *s, uint64_t pn)
{
	return pn < PN_TRACK && (s->app_acked[pn / 8] & (1 << (pn % 8)));
}

static void ack_parse(struct rd *r, uint64_t type, struct seen *s)
{
	uint64_t ranges, largest = rd_varint(r), lo, gap, len;
	bool app = s->level == LVL_APP;

	rd_varint(r);			/* ACK Delay */
	if (!r->bad && largest + 1 > s->acked[s->level])
		s->acked[s->level] = largest + 1;
	s->flags |= SEEN_ACK;
	ranges = rd_varint(r);
	lo = largest - rd_varint(r);	/* First ACK Range */
	if (!r->bad && app && lo <= largest)
		acked_mark(s, lo, largest);
	while (!r->bad && ranges--) {
		gap = rd_varint(r);
		len = rd_varint(r);
		if (r->bad || !app || lo > largest || lo < gap + 2 + len)
			continue;
		lo -= gap + 2;		/* the range's largest */
		acked_mark(s, lo - len, lo);
		lo -= len;
	}
	if (type == F_ACK_ECN)
		rd_skip_varints(r, 3);
}

/* RFC 9000 section 19.15: the ID and its Stateless Reset Token are kept. */
static void new_cid_parse(struct rd *r, struct seen *s)
{
	uint64_t seq = rd_varint(r);
	const uint8_t *id, *token;
	struct issued_cid *c;
	uint8_t len;

	rd_varint(r);			/* Retire Prior To */
	len = rd_uint(r, 1);
	id = rd_bytes(r, len);
	token = rd_bytes(r, TOKEN_LEN);
	if (!token || !len || len > CID_MAX) {
		r->bad = true;
		return;
	}
	s->flags |= SEEN_NEW_CID;
	if (seq + 1 > s->issued_next)
		s->issued_next = seq + 1;
	if (s->n_issued == ISSUED_MAX)
		return;
	c = &s->issued[s->n_issued++];
	c->seq = seq;
	c->len = len;
	memcpy(c->id, id, len);
	memcpy(c->token, token, TOKEN_LEN);
}

static void close_parse(struct rd *r, uint64_t type, struct seen *s)
{
	s->close_level = s->level;
	s->close_type = type;
	s->error = rd_varint(r);
	s->frame = type == F_CLOSE ? rd_varint(r) : 0;
	rd_bytes(r, rd_varint(r));	/* Reason Phrase */
	if (!r->bad)
		s->flags |= SEEN_CLOSE;
}

static void stream_parse(struct rd *r, uint64_t type, struct seen *s)
{
	uint64_t id = rd_varint(r), off = 0, len;
	const uint8_t *data;

	if (type & STREAM_OFF)
		off = rd_varint(r);
	len = type & STREAM_LEN ? rd_varint(r) : r->len;
	data = rd_bytes(r, len);
	if (data)
		s->stream_bytes += len;
	if (!data || off + len > sizeof(s->data))
		return;
	s->sid = id;
	memcpy(s->data + off, data, len);
	if (off + len > s->data_len)
		s->data_len = off + len;
	if (type & STREAM_FIN)
		s->flags |= SEEN_FIN;
}

void frame_parse(struct rd *r, struct seen *s)
{
	uint64_t type = rd_varint(r);

	if (type < ARRAY_SIZE(s->count))
		s->count[type]++;
	switch (type) {
	case F_PADDING:
	case F_PING:
		break;
	case F_HANDSHAKE_DONE:
		s->flags |= SEEN_DONE;
		break;
	case F_ACK:
	case F_ACK_ECN:
		ack_parse(r, type, s);
		break;
	case F_RESET_STREAM:
		s->reset_sid = rd_varint(r);
		rd_skip_varints(r, 2);
		break;
	case F_STOP_SENDING:
	case F_MAX_STREAM_DATA:
	case F_STREAM_DATA_BLOCKED:
		rd_skip_varints(r, 2);
		break;
	case F_MAX_DATA:
	case F_MAX_STREAMS_BIDI:
	case F_MAX_STREAMS_UNI:
	case F_DATA_BLOCKED:
	case F_RETIRE_CID:
		rd_skip_varints(r, 1);
		break;
	case F_STREAMS_BLOCKED_BIDI:
	case F_STREAMS_BLOCKED_UNI:
		s->blocked = rd_varint(r);
		break;
	case F_CRYPTO:
		rd_varint(r);
		rd_bytes(r, rd_varint(r));
		break;
	case F_NEW_TOKEN:
		rd_bytes(r, rd_varint(r));
		break;
	case F_DATAGRAM_LEN:
		rd_bytes(r, rd_varint(r));
		s->datagrams++;
		break;
	case F_NEW_CID:
		new_cid_parse(r, s);
		break;
	case F_PATH_CHALLENGE:
	case F_PATH_RESPONSE:
		rd_bytes(r, 8);
		break;
	case F_CLOSE:
	case F_CLOSE_APP:
		close_parse(r, type, s);
		break;
	case F_STREAM ... F_STREAM | 0x07:
		stream_parse(r, type, s);
		break;
	default:
		r->bad = true;	/* nothing the kernel should send */
	}
}

/* The header of a server packet, before header protection is removed. */
bool hdr_parse(struct peer *pr, const uint8_t *p, size_t len, struct hdr *h)
{
	struct rd r = { p, len };
	uint8_t scid_len, type;
	const uint8_t *scid;

	if (!(p[0] & 0x80)) {		/* to one of our IDs */
		h->level = LVL_APP;
		h->pn_off = 1 + (pr->short_cid_len ? pr->short_cid_len : CID_LEN);
		h->len = len;
		return len > h->pn_off;
	}
	type = (rd_uint(&r, 1) >> 4) & 3;
	if (rd_uint(&r, 4) != 1 || (type != 0 && type != 2))
		return false;		/* v1 Initial and Handshake only */
	h->level = type ? LVL_HANDSHAKE : LVL_INITIAL;
	rd_bytes(&r, rd_uint(&r, 1));
	scid_len = rd_uint(&r, 1);
	scid = rd_bytes(&r, scid_len);
	if (h->level == LVL_INITIAL)
		rd_bytes(&r, rd_varint(&r));	/* token */
	h->len = rd_varint(&r);
	h->pn_off = r.p - p;
	h->len += h->pn_off;
	if (r.bad || scid_len > CID_MAX || h->len > len)
		return false;
	if (!pr->srv_cid_len) {
		memcpy(pr->srv_cid, scid, scid_len);
		pr->srv_cid_len = scid_len;
	}
	return true;
}

/* One packet of a server datagram; returns its length, 0 if it is bad. */
static size_t peer_packet(struct peer *pr, uint8_t *p, size_t len, struct seen *s)
{
	struct rd r;
	struct hdr h;
	uint64_t pn;
	int hlen;

	if (!hdr_parse(pr, p, len, &h))
		return 0;
	hlen = packet_unprotect_phase(&pr->rx[h.level],
				      h.level == LVL_APP && pr->key_updated ? &pr->rx_phase1 : NULL,
				      p, h.pn_off, h.len, pr->largest[h.level], &pn);
	if (hlen < 0)
		return 0;
	if ((int64_t)pn > pr->largest[h.level])
		pr->largest[h.level] = pn;
	s->packets++;
	if (h.level == LVL_APP && pn < PN_TRACK)
		pr->app_rcvd[pn / 8] |= 1 << (pn % 8);
	if (h.level == LVL_HANDSHAKE)
		s->flags |= SEEN_HS;
	s->level = h.level;
	r = (struct rd){ p + hlen, h.len - hlen - TAG_LEN };
	while (r.len && !r.bad)
		frame_parse(&r, s);
	return r.bad ? 0 : h.len;
}

void peer_datagram(struct peer *pr, uint8_t *p, size_t len, struct seen *s)
{
	size_t n;

	while (len) {
		n = peer_packet(pr, p, len, s);
		if (!n) {
			s->bad++;
			return;
		}
		p += n;
		len -= n;
	}
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read the server's datagrams until one of @want was seen or @ms passed. */
void peer_recv(struct peer *pr, struct seen *s, unsigned int want, int ms)
{
	struct pollfd pfd = { .fd = pr->fd, .events = POLLIN };
	int64_t end = now_ms() + ms, left;
	uint8_t d[DGRAM_MAX];
	ssize_t n;

	while (!(s->flags & want)) {
		left = end - now_ms();
		if (left <= 0 || poll(&pfd, 1, left) != 1)
			break;
		n = recv(pr->fd, d, sizeof(d), 0);
		if (n <= 0)
			break;
		peer_datagram(pr, d, n, s);
	}
}

/* Throw away whatever the server sent. */
void peer_drain(struct peer *pr)
{
	uint8_t d[DGRAM_MAX];

	while (recv(pr->fd, d, sizeof(d), MSG_DONTWAIT) >= 0)
		;
}

/* The client's transport parameters (RFC 9000 section 18.2), with
 * @streams_bidi for initial_max_streams_bidi.
 */
size_t client_params_bidi(const struct peer *pr, uint8_t *p, uint64_t streams_bidi)
{
	const uint64_t ints[][2] = {
		{ 0x04, 65536 },	/* initial_max_data */
		{ 0x05, 65536 },	/* initial_max_stream_data_bidi_local */
		{ 0x06, 65536 },	/* initial_max_stream_data_bidi_remote */
		{ 0x07, 65536 },	/* initial_max_stream_data_uni */
		{ 0x08, streams_bidi },	/* initial_max_streams_bidi */
		{ 0x09, 8 },		/* initial_max_streams_uni */
		{ 0x20, 1200 },		/* max_datagram_frame_size */
	};
	struct wr w = { p, 0 }, v;
	uint8_t val[8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ints); i++) {
		v = (struct wr){ val, 0 };
		w_varint(&v, ints[i][1]);
		w_frame(&w, ints[i][0], 1, v.n, 0, 0);
		w_bytes(&w, val, v.n);
	}
	w_frame(&w, 0x0f, 1, CID_LEN, 0, 0);	/* initial_source_connection_id */
	w_bytes(&w, pr->scid, CID_LEN);
	return w.n;
}

size_t client_params(const struct peer *pr, uint8_t *p)
{
	return client_params_bidi(pr, p, 8);
}

/* ---- The server socket ---- */

int hs_send(int fd, uint8_t level, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info))] = {};
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct quic_handshake_info info = { .crypto_level = level };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_HANDSHAKE_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	return sendmsg(fd, &msg, 0);
}

int hs_recv(int fd, uint8_t *level, void *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info))] = {};
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	int n;

	n = recvmsg(fd, &msg, 0);
	c = CMSG_FIRSTHDR(&msg);
	if (n >= 0 && c && c->cmsg_level == SOL_QUIC && c->cmsg_type == QUIC_HANDSHAKE_INFO)
		*level = ((struct quic_handshake_info *)CMSG_DATA(c))->crypto_level;
	return n;
}

int set_secret(int fd, uint8_t level, int send, uint8_t seed)
{
	struct quic_crypto_secret s = {
		.send = send, .level = level, .type = TLS_CIPHER_AES_GCM_128,
	};

	memset(s.secret, seed, sizeof(s.secret));
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET, &s, sizeof(s));
}

/* sendmsg() on stream @sid with @sflags in the cmsg and @mflags. */
ssize_t stream_sendmsg(int fd, int64_t sid, uint32_t sflags, int mflags,
		       const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info))] = {};
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct quic_stream_info info = { .stream_id = sid, .stream_flags = sflags };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_STREAM_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	return sendmsg(fd, &msg, mflags);
}

ssize_t stream_send(int fd, int64_t sid, uint32_t flags, const void *data,
		    size_t len)
{
	return stream_sendmsg(fd, sid, flags, 0, data, len);
}

ssize_t stream_recvmsg(int fd, struct quic_stream_info *info, void *buf, size_t len,
		       int mflags)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info))] = {};
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &msg, mflags);
	c = CMSG_FIRSTHDR(&msg);
	if (n >= 0 && c && c->cmsg_level == SOL_QUIC && c->cmsg_type == QUIC_STREAM_INFO)
		memcpy(info, CMSG_DATA(c), sizeof(*info));
	return n;
}

ssize_t stream_recv(int fd, struct quic_stream_info *info, void *buf, size_t len)
{
	return stream_recvmsg(fd, info, buf, len, 0);
}

/* A counter of /proc/net/quic/snmp, -1 when missing. */
long mib_read(const char *name)
{
	char line[128], key[64];
	long v, found = -1;
	FILE *f;

	f = fopen("/proc/net/quic/snmp", "r");
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* ---- The test rig: a listener, its accepted socket, the client ---- */

uint16_t srv_streams_bidi = SRV_STREAMS_BIDI;
uint16_t srv_streams_uni = SRV_STREAMS_UNI;

int rig_open(struct rig *r, uint64_t max_data, uint64_t stream_data)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	struct quic_transport_param tp = {};
	socklen_t len = sizeof(tp);

	r->sfd = -1;
	r->peer.fd = -1;
	r->lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	if (r->lfd < 0)
		return rig_fail(__func__, "socket");
	if (getsockopt(r->lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, &len))
		return rig_fail(__func__, "getsockopt(TRANSPORT_PARAM)");
	tp.max_streams_bidi = srv_streams_bidi;
	tp.max_streams_uni = srv_streams_uni;
	tp.max_data = max_data;
	tp.max_stream_data_bidi_remote = stream_data;
	tp.max_stream_data_uni = stream_data;
	tp.active_connection_id_limit = SRV_CID_LIMIT;
	tp.max_datagram_frame_size = 0;
	tp.grease_quic_bit = 0;
	if (setsockopt(r->lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, len))
		return rig_fail(__func__, "setsockopt(TRANSPORT_PARAM)");
	if (setsockopt(r->lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return rig_fail(__func__, "setsockopt(SO_RCVTIMEO)");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(a);
	if (bind(r->lfd, (struct sockaddr *)&a, len))
		return rig_fail(__func__, "bind");
	if (listen(r->lfd, 8))
		return rig_fail(__func__, "listen");
	if (getsockname(r->lfd, (struct sockaddr *)&a, &len))
		return rig_fail(__func__, "getsockname");
	return peer_open(&r->peer, &a);
}

void rig_close(struct rig *r)
{
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->peer.fd >= 0)
		close(r->peer.fd);
	close(r->lfd);
}

int rig_hello(struct rig *r)
{
	struct timeval tv = { .tv_sec = 5 };
	uint8_t f[256], buf[256], level = 0xff;
	struct wr w = { f, 0 };

	w_frame(&w, F_CRYPTO, 2, 0, HELLO_LEN, 0);
	w_fill(&w, 'C', HELLO_LEN);
	if (!peer_send_initial(&r->peer, f, w.n, 0))
		return rig_fail(__func__, "send");
	r->sfd = accept(r->lfd, NULL, NULL);
	if (r->sfd < 0)
		return rig_fail(__func__, "accept");
	if (setsockopt(r->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return rig_fail(__func__, "setsockopt(SO_RCVTIMEO)");
	if (hs_recv(r->sfd, &level, buf, sizeof(buf)) != HELLO_LEN ||
	    level != QUIC_CRYPTO_INITIAL || buf[0] != 'C')
		return rig_fail(__func__, "reading the ClientHello");
	return 0;
}

int rig_server_hello(struct rig *r, uint64_t streams_bidi)
{
	uint8_t buf[256];
	size_t n;

	n = client_params_bidi(&r->peer, buf, streams_bidi);
	if (setsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, buf, n))
		return rig_fail(__func__, "setsockopt(TRANSPORT_PARAM_EXT)");
	memset(buf, 'S', 64);
	if (hs_send(r->sfd, QUIC_CRYPTO_INITIAL, buf, 64) != 64)
		return rig_fail(__func__, "Initial handshake message");
	if (set_secret(r->sfd, QUIC_CRYPTO_HANDSHAKE, 1, SEED_HS_S) ||
	    set_secret(r->sfd, QUIC_CRYPTO_HANDSHAKE, 0, SEED_HS_C))
		return rig_fail(__func__, "Handshake secrets");
	if (hs_send(r->sfd, QUIC_CRYPTO_HANDSHAKE, buf, 64) != 64)
		return rig_fail(__func__, "Handshake handshake message");
	return 0;
}

int rig_server_done(struct rig *r)
{
	if (set_secret(r->sfd, QUIC_CRYPTO_APP, 1, SEED_APP_S) ||
	    set_secret(r->sfd, QUIC_CRYPTO_APP, 0, SEED_APP_C))
		return rig_fail(__func__, "1-RTT secrets");
	return 0;
}

int rig_confirm(struct rig *r)
{
	struct seen s = {};

	/* Initial, Handshake and 1-RTT packets: the server's connection ID
	 * and its HANDSHAKE_DONE, so the 1-RTT keys work both ways.
	 */
	peer_recv(&r->peer, &s, SEEN_DONE, WAIT_MS);
	if (s.bad || !(s.flags & SEEN_DONE) || !r->peer.srv_cid_len) {
		fprintf(stderr, "# %s: %d bad packets, HANDSHAKE_DONE %sseen, server ID of %u\n",
			__func__, s.bad, s.flags & SEEN_DONE ? "" : "not ", r->peer.srv_cid_len);
		return -1;
	}
	memcpy(r->peer.issued, s.issued, sizeof(s.issued));
	r->peer.n_issued = s.n_issued;
	return 0;
}

int rig_fake_handshake(struct rig *r, uint64_t streams_bidi)
{
	if (rig_server_hello(r, streams_bidi) || rig_server_done(r))
		return -1;
	return rig_confirm(r);
}

int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

bool app_rcvd(const struct peer *pr, int64_t pn)
{
	return pn >= 0 && pn < PN_TRACK && (pr->app_rcvd[pn / 8] & (1 << (pn % 8)));
}

/* An ACK frame of @n ranges, highest first, each below the last by 2 at least. */
void w_ack(struct wr *w, const struct range *rg, int n)
{
	int i;

	w_frame(w, F_ACK, 3, rg[0].hi, 0, n - 1);
	w_varint(w, rg[0].hi - rg[0].lo);
	for (i = 1; i < n; i++) {
		w_varint(w, rg[i - 1].lo - rg[i].hi - 2);	/* Gap */
		w_varint(w, rg[i].hi - rg[i].lo);		/* ACK Range Length */
	}
}

/* Acknowledge the 1-RTT packets that arrived, and only those: a kernel
 * may skip packet numbers to catch optimistic ACKs (RFC 9000 21.4).
 */
bool peer_ack_all(struct peer *pr)
{
	int64_t pn = pr->largest[LVL_APP] < PN_TRACK ? pr->largest[LVL_APP] : PN_TRACK - 1;
	uint8_t f[512];
	struct wr w = { f, 0 };
	struct range rg[32];
	int n = 0;

	while (n < (int)ARRAY_SIZE(rg)) {
		while (pn >= 0 && !app_rcvd(pr, pn))
			pn--;
		if (pn < 0)
			break;
		rg[n].hi = pn;
		while (pn >= 0 && app_rcvd(pr, pn))
			pn--;
		rg[n++].lo = pn + 1;
	}
	if (!n)
		return true;
	w_ack(&w, rg, n);
	return peer_send_short(pr, f, w.n, 0);
}

/* Read what the server sent, without waiting. */
void peer_take(struct peer *pr, struct seen *s)
{
	uint8_t d[DGRAM_MAX];
	ssize_t n;

	while ((n = recv(pr->fd, d, sizeof(d), MSG_DONTWAIT)) > 0)
		peer_datagram(pr, d, n, s);
}
