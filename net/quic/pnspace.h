/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Received packet numbers of one packet number space, and the ACK frames
 * that report them (RFC 9000 sections 12.3 and 13.2).
 */

#ifndef __NET_QUIC_PNSPACE_H
#define __NET_QUIC_PNSPACE_H

#include <linux/types.h>

/* Ranges kept per space: bounded whatever the peer sends.  When a new range
 * needs room, the oldest is forgotten and everything below it is treated as
 * already received (RFC 9000 section 13.2.3 allows dropping old ranges).
 */
#define QUIC_PN_MAX_RANGES	16

/**
 * struct quic_pn_range - packet numbers [@start, @end], all received
 * @start: smallest
 * @end: largest
 */
struct quic_pn_range {
	u64	start;
	u64	end;
};

/**
 * struct quic_pnspace - what we received in one packet number space
 * @ranges: received ranges, highest first, separated by gaps
 * @nr: number of ranges in use
 * @floor: packet numbers below this are forgotten: taken as duplicates
 *
 * Locking: under the connection's socket lock.
 */
struct quic_pnspace {
	struct quic_pn_range	ranges[QUIC_PN_MAX_RANGES];
	u8			nr;
	u64			floor;
};

int quic_pnspace_mark(struct quic_pnspace *s, u64 pn);
bool quic_pnspace_seen(const struct quic_pnspace *s, u64 pn);
int quic_pnspace_ack_encode(const struct quic_pnspace *s, u64 ack_delay,
			    const u64 *ecn, u8 *buf, u32 len);

#endif /* __NET_QUIC_PNSPACE_H */
