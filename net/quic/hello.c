// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Reading the ALPN list out of a client's first flight.  Several
 * listeners may share a UDP port, each with its own ALPN list (the
 * socket API draft's ALPN routing); which one a new connection belongs
 * to is written in the ALPN extension (RFC 7301) of the TLS ClientHello
 * (RFC 8446 section 4.1.2), which travels in the CRYPTO frames of the
 * client's Initial packets, possibly spread over several of them and in
 * any order (RFC 9001 section 4.1.3).
 *
 * All of it is attacker-controlled: every length is checked against what
 * is left before it is used, and the message is read no further than
 * %QUIC_HELLO_MAX bytes.
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "hello.h"

#define QUIC_TLS_CLIENT_HELLO	1	/* HandshakeType client_hello */
#define QUIC_TLS_EXT_ALPN	16	/* application_layer_protocol_negotiation */
#define QUIC_TLS_HDR_LEN	4	/* msg_type, 24-bit length */
#define QUIC_TLS_RANDOM_LEN	32

/**
 * quic_hello_add - keep a piece of the CRYPTO stream
 * @h: the ClientHello being put together
 * @offset: the CRYPTO frame's offset
 * @data: its data
 * @len: its length
 *
 * Bytes past %QUIC_HELLO_MAX are not kept: a ClientHello that long is
 * not routed (quic_hello_alpn() says -EMSGSIZE).
 *
 * Return: 0, or -ENOSPC when the pieces are too scattered to track.
 */
int quic_hello_add(struct quic_hello *h, u64 offset, const u8 *data, u64 len)
{
	u32 start, end, i, j;

	if (!len || offset >= QUIC_HELLO_MAX)
		return 0;
	start = offset;
	end = start + min_t(u64, len, QUIC_HELLO_MAX - start);
	memcpy(h->buf + start, data, end - start);

	/* Find the first piece that ends at or after @start; merge every
	 * piece that touches [start, end) into it.
	 */
	for (i = 0; i < h->nr_ranges && h->ranges[i].end < start; i++)
		;
	for (j = i; j < h->nr_ranges && h->ranges[j].start <= end; j++) {
		start = min(start, h->ranges[j].start);
		end = max(end, h->ranges[j].end);
	}
	if (i == j) {			/* touches nothing: a new piece at i */
		if (h->nr_ranges == QUIC_HELLO_RANGES)
			return -ENOSPC;
		memmove(&h->ranges[i + 1], &h->ranges[i],
			(h->nr_ranges - i) * sizeof(h->ranges[0]));
		h->nr_ranges++;
	} else if (j > i + 1) {		/* pieces i..j-1 become one */
		memmove(&h->ranges[i + 1], &h->ranges[j],
			(h->nr_ranges - j) * sizeof(h->ranges[0]));
		h->nr_ranges -= j - i - 1;
	}
	h->ranges[i].start = start;
	h->ranges[i].end = end;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_hello_add);

/**
 * quic_hello_alpn - the ALPN list of a ClientHello, once all of it is here
 * @h: the ClientHello being put together
 * @list: returns the ProtocolNameList entries (1-byte length, name)
 * @len: returns their length in bytes
 *
 * Return: 0; -EAGAIN while bytes are missing; -ENOENT without an ALPN
 * extension; -EMSGSIZE for a ClientHello longer than %QUIC_HELLO_MAX;
 * -EINVAL for anything else than a well-formed ClientHello.
 */
int quic_hello_alpn(const struct quic_hello *h, const u8 **list, u32 *len)
{
	u32 have = 0, need;

	if (h->nr_ranges && !h->ranges[0].start)
		have = h->ranges[0].end;
	if (have < QUIC_TLS_HDR_LEN)
		return -EAGAIN;
	if (h->buf[0] != QUIC_TLS_CLIENT_HELLO)
		return -EINVAL;
	need = QUIC_TLS_HDR_LEN + get_unaligned_be24(h->buf + 1);
	if (need > QUIC_HELLO_MAX)
		return -EMSGSIZE;
	if (have < need)
		return -EAGAIN;
	return quic_hello_parse_alpn(h->buf, need, list, len);
}
EXPORT_SYMBOL_IF_KUNIT(quic_hello_alpn);

/* A cursor over a vector of TLS: what is left of it and where. */
struct quic_tls_cur {
	const u8	*p;
	u32		left;
};

static bool quic_tls_skip(struct quic_tls_cur *c, u32 n)
{
	if (c->left < n)
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

/* A length-prefixed vector: @c moves past it, @v covers its contents. */
static bool quic_tls_vector(struct quic_tls_cur *c, u8 len_bytes, struct quic_tls_cur *v)
{
	u32 n;

	if (c->left < len_bytes)
		return false;
	n = len_bytes == 1 ? c->p[0] : get_unaligned_be16(c->p);
	c->p += len_bytes;
	c->left -= len_bytes;
	v->p = c->p;
	v->left = n;
	return quic_tls_skip(c, n);
}

/* RFC 7301 section 3.1: a non-empty list of non-empty names. */
static bool quic_tls_alpn_valid(struct quic_tls_cur l)
{
	struct quic_tls_cur name;

	if (!l.left)
		return false;
	while (l.left)
		if (!quic_tls_vector(&l, 1, &name) || !name.left)
			return false;
	return true;
}

/**
 * quic_hello_parse_alpn - find the ALPN extension of a ClientHello
 * @msg: the handshake message, its 4-byte header included
 * @len: its length, as the header gives it
 * @list: returns the ProtocolNameList entries (1-byte length, name)
 * @list_len: returns their length in bytes
 *
 * Return: 0, -ENOENT without an ALPN extension, -EINVAL when malformed.
 */
int quic_hello_parse_alpn(const u8 *msg, u32 len, const u8 **list, u32 *list_len)
{
	struct quic_tls_cur c = { msg, len }, v, ext;
	u16 type;

	if (len < QUIC_TLS_HDR_LEN || msg[0] != QUIC_TLS_CLIENT_HELLO ||
	    get_unaligned_be24(msg + 1) != len - QUIC_TLS_HDR_LEN)
		return -EINVAL;
	/* header, legacy_version, random, then three vectors to pass */
	if (!quic_tls_skip(&c, QUIC_TLS_HDR_LEN + 2 + QUIC_TLS_RANDOM_LEN) ||
	    !quic_tls_vector(&c, 1, &v) || v.left > 32 ||	/* legacy_session_id */
	    !quic_tls_vector(&c, 2, &v) ||			/* cipher_suites */
	    !quic_tls_vector(&c, 1, &v))			/* compression_methods */
		return -EINVAL;
	if (!c.left)
		return -ENOENT;		/* no extensions at all */
	if (!quic_tls_vector(&c, 2, &ext) || c.left)
		return -EINVAL;
	while (ext.left) {
		if (ext.left < 2)
			return -EINVAL;
		type = get_unaligned_be16(ext.p);
		quic_tls_skip(&ext, 2);
		if (!quic_tls_vector(&ext, 2, &v))
			return -EINVAL;
		if (type != QUIC_TLS_EXT_ALPN)
			continue;
		/* extension_data: ProtocolNameList, a 2-byte vector */
		if (!quic_tls_vector(&v, 2, &c) || v.left || !quic_tls_alpn_valid(c))
			return -EINVAL;
		*list = c.p;
		*list_len = c.left;
		return 0;
	}
	return -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(quic_hello_parse_alpn);

/**
 * quic_alpn_has - is a name in a socket's ALPN list?
 * @alpns: the list as QUIC_SOCKOPT_ALPN takes it: "h3,smb"
 * @len: its length
 * @name: the name, as the ClientHello carries it
 * @name_len: its length
 *
 * Return: true if @name is one of the comma-separated names of @alpns.
 */
bool quic_alpn_has(const u8 *alpns, u32 len, const u8 *name, u32 name_len)
{
	const u8 *end = alpns + len, *comma;

	while (alpns < end) {
		comma = memchr(alpns, ',', end - alpns);
		if (!comma)
			comma = end;
		if (comma - alpns == name_len && !memcmp(alpns, name, name_len))
			return true;
		alpns = comma + 1;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(quic_alpn_has);

/**
 * quic_alpn_overlap - could two listeners' ALPN lists both take a client?
 * @a: one list, as QUIC_SOCKOPT_ALPN takes it
 * @alen: its length
 * @b: the other
 * @blen: its length
 *
 * Return: true when they share a name, or when both are empty (two
 * fallback listeners).
 */
bool quic_alpn_overlap(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	const u8 *end = a + alen, *comma;

	if (!alen || !blen)
		return !alen && !blen;
	while (a < end) {
		comma = memchr(a, ',', end - a);
		if (!comma)
			comma = end;
		if (quic_alpn_has(b, blen, a, comma - a))
			return true;
		a = comma + 1;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(quic_alpn_overlap);
