/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * What the kernel reads of a client's first flight to route a new
 * connection by ALPN: the ClientHello put together from the CRYPTO frames
 * of its Initial packets, and the ALPN extension in it.
 */

#ifndef __NET_QUIC_HELLO_H
#define __NET_QUIC_HELLO_H

#include <linux/types.h>

#define QUIC_HELLO_MAX		8192	/* ClientHello bytes read at most */
#define QUIC_HELLO_RANGES	16	/* disjoint pieces held at once */

/**
 * struct quic_hello - a ClientHello being put together from CRYPTO frames
 * @buf: %QUIC_HELLO_MAX bytes, the CRYPTO stream from offset 0
 * @ranges: the pieces of @buf received so far, sorted and disjoint
 * @ranges.start: first offset of a piece
 * @ranges.end: offset past it
 * @nr_ranges: entries in @ranges
 *
 * Locking: owned by one caller at a time (the ALPN dispatcher's work).
 */
struct quic_hello {
	u8	*buf;
	struct {
		u32	start;
		u32	end;
	} ranges[QUIC_HELLO_RANGES];
	u8	nr_ranges;
};

int quic_hello_add(struct quic_hello *h, u64 offset, const u8 *data, u64 len);
int quic_hello_alpn(const struct quic_hello *h, const u8 **list, u32 *len);
int quic_hello_parse_alpn(const u8 *msg, u32 len, const u8 **list, u32 *list_len);

bool quic_alpn_has(const u8 *alpns, u32 len, const u8 *name, u32 name_len);
bool quic_alpn_overlap(const u8 *a, u32 alen, const u8 *b, u32 blen);

#endif /* __NET_QUIC_HELLO_H */
