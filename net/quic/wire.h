/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Integers on the wire: variable-length integers (RFC 9000 section 16)
 * and truncated packet numbers (RFC 9000 section 17.1, appendix A).
 */

#ifndef __NET_QUIC_WIRE_H
#define __NET_QUIC_WIRE_H

#include <linux/log2.h>
#include <linux/string.h>
#include <linux/types.h>

#define QUIC_VARINT_MAX		((1ULL << 62) - 1)

/* Bytes needed for @v, which must be at most QUIC_VARINT_MAX. */
static inline u8 quic_varint_len(u64 v)
{
	if (v < (1 << 6))
		return 1;
	if (v < (1 << 14))
		return 2;
	if (v < (1 << 30))
		return 4;
	return 8;
}

/**
 * quic_get_varint - read a variable-length integer and advance
 * @p: cursor
 * @len: bytes left at the cursor
 * @v: the value
 *
 * Encodings longer than needed are valid (RFC 9000 section 16).
 *
 * Return: false when the buffer ends inside the integer.
 */
static inline bool quic_get_varint(const u8 **p, u32 *len, u64 *v)
{
	u8 n;
	int i;

	if (!*len)
		return false;
	n = 1 << (**p >> 6);
	if (*len < n)
		return false;
	*v = **p & 0x3f;
	for (i = 1; i < n; i++)
		*v = (*v << 8) | (*p)[i];
	*p += n;
	*len -= n;
	return true;
}

/* Write @v in its shortest form; returns the position after it. */
static inline u8 *quic_put_varint(u8 *p, u64 v)
{
	u8 n = quic_varint_len(v), i;

	for (i = n; i > 0; i--) {
		p[i - 1] = v;
		v >>= 8;
	}
	p[0] |= (u8)(ilog2(n) << 6);
	return p + n;
}

/**
 * quic_pn_decode - recover a full packet number (RFC 9000 appendix A.3)
 * @largest: largest packet number received so far in the space, or -1
 * @truncated: the packet number field
 * @nbits: its size in bits (8, 16, 24 or 32)
 *
 * Return: the packet number closest to @largest + 1 with these low bits.
 */
static inline u64 quic_pn_decode(s64 largest, u32 truncated, u8 nbits)
{
	u64 expected = largest + 1, win = 1ULL << nbits;
	u64 hwin = win / 2, candidate;

	candidate = (expected & ~(win - 1)) | truncated;
	if (candidate + hwin <= expected && candidate < (1ULL << 62) - win)
		return candidate + win;
	if (candidate > expected + hwin && candidate >= win)
		return candidate - win;
	return candidate;
}

/**
 * quic_pn_len - packet number length to send (RFC 9000 appendix A.2)
 * @pn: the full packet number
 * @largest_acked: largest packet number the peer acknowledged, or -1
 *
 * Return: 1 to 4 bytes, enough for twice the unacknowledged range.
 */
static inline u8 quic_pn_len(u64 pn, s64 largest_acked)
{
	u64 unacked = pn - largest_acked;	/* pn + 1 when nothing is acked */
	u8 n = 1;

	/* The smallest n with 8n >= log2(unacked) + 1. */
	while (n < 4 && (1ULL << (8 * n - 1)) < unacked)
		n++;
	return n;
}

/**
 * struct quic_out - a write cursor that stops at the end of its buffer
 * @p: where the next byte goes
 * @left: room left
 * @full: something did not fit; nothing more is written
 */
struct quic_out {
	u8	*p;
	u32	left;
	bool	full;
};

/* Take @n bytes at the cursor; NULL (and @o->full) when they do not fit. */
static inline u8 *quic_out_reserve(struct quic_out *o, u64 n)
{
	u8 *p = o->p;

	if (o->full || n > o->left) {
		o->full = true;
		return NULL;
	}
	o->p += n;
	o->left -= n;
	return p;
}

static inline void quic_out_varint(struct quic_out *o, u64 v)
{
	u8 *p;

	if (v > QUIC_VARINT_MAX) {
		o->full = true;
		return;
	}
	p = quic_out_reserve(o, quic_varint_len(v));
	if (p)
		quic_put_varint(p, v);
}

static inline void quic_out_bytes(struct quic_out *o, const void *data, u64 len)
{
	u8 *p = quic_out_reserve(o, len);

	if (p)
		memcpy(p, data, len);
}

#endif /* __NET_QUIC_WIRE_H */
