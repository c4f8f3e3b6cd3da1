// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Received packet numbers and ACK frames (RFC 9000 sections 12.3, 13.2
 * and 19.3).  The ranges live in a fixed array ordered from the highest:
 * packets mostly arrive in order, so the work is at the front.
 */

#include <linux/errno.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "frame.h"
#include "pnspace.h"
#include "wire.h"

static void quic_pnspace_insert(struct quic_pnspace *s, int i, u64 pn)
{
	if (s->nr == QUIC_PN_MAX_RANGES)	/* forget the oldest range */
		s->floor = s->ranges[--s->nr].end + 1;
	memmove(&s->ranges[i + 1], &s->ranges[i], (s->nr - i) * sizeof(s->ranges[0]));
	s->ranges[i].start = pn;
	s->ranges[i].end = pn;
	s->nr++;
}

static void quic_pnspace_remove(struct quic_pnspace *s, int i)
{
	s->nr--;
	memmove(&s->ranges[i], &s->ranges[i + 1], (s->nr - i) * sizeof(s->ranges[0]));
}

/**
 * quic_pnspace_mark - record a received packet number
 * @s: the packet number space
 * @pn: the packet number
 *
 * Return: 0 for a new packet, -EEXIST for a duplicate (or one too old to
 * tell), which must not be processed again (RFC 9000 section 12.3).
 */
int quic_pnspace_mark(struct quic_pnspace *s, u64 pn)
{
	struct quic_pn_range *r;
	int i;

	if (pn < s->floor)
		return -EEXIST;
	for (i = 0; i < s->nr; i++) {
		r = &s->ranges[i];
		if (pn > r->end + 1)
			break;			/* a new range above this one */
		if (pn >= r->start && pn <= r->end)
			return -EEXIST;
		if (pn == r->end + 1) {	/* the range above was checked: no merge */
			r->end = pn;
			return 0;
		}
		if (pn + 1 == r->start) {
			r->start = pn;
			/* It may close the gap to the range below. */
			if (i + 1 < s->nr && s->ranges[i + 1].end + 1 == pn) {
				r->start = s->ranges[i + 1].start;
				quic_pnspace_remove(s, i + 1);
			}
			return 0;
		}
	}
	if (i == QUIC_PN_MAX_RANGES)
		return -EEXIST;		/* older than all we can remember */
	quic_pnspace_insert(s, i, pn);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pnspace_mark);

/**
 * quic_pnspace_seen - was a packet number received already?
 * @s: the packet number space
 * @pn: the packet number
 *
 * Return: true for a duplicate, or a number too old to tell.
 */
bool quic_pnspace_seen(const struct quic_pnspace *s, u64 pn)
{
	int i;

	if (pn < s->floor)
		return true;
	for (i = 0; i < s->nr; i++) {
		if (pn > s->ranges[i].end)
			return false;
		if (pn >= s->ranges[i].start)
			return true;
	}
	return s->nr == QUIC_PN_MAX_RANGES;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pnspace_seen);

/**
 * quic_pnspace_ack_encode - write an ACK frame for everything received
 * @s: the packet number space
 * @ack_delay: ACK Delay field, already scaled by our ack_delay_exponent
 * @ecn: ECT(0), ECT(1) and CE counts for an ACK_ECN frame, or NULL
 * @buf: where to
 * @len: room at @buf
 *
 * Return: bytes written, -ENOSPC, or -ENODATA when nothing was received.
 */
int quic_pnspace_ack_encode(const struct quic_pnspace *s, u64 ack_delay,
			    const u64 *ecn, u8 *buf, u32 len)
{
	struct quic_out o = { .p = buf, .left = len };
	const struct quic_pn_range *r = s->ranges;
	int i;

	if (!s->nr)
		return -ENODATA;
	quic_out_varint(&o, ecn ? QUIC_FRAME_ACK_ECN : QUIC_FRAME_ACK);
	quic_out_varint(&o, r[0].end);
	quic_out_varint(&o, ack_delay);
	quic_out_varint(&o, s->nr - 1);
	quic_out_varint(&o, r[0].end - r[0].start);
	for (i = 1; i < s->nr; i++) {
		/* RFC 9000 section 19.3.1: Gap and ACK Range Length */
		quic_out_varint(&o, r[i - 1].start - r[i].end - 2);
		quic_out_varint(&o, r[i].end - r[i].start);
	}
	for (i = 0; ecn && i < QUIC_FRAME_ECN_COUNTS; i++)	/* section 19.3.2 */
		quic_out_varint(&o, ecn[i]);
	return o.full ? -ENOSPC : o.p - buf;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pnspace_ack_encode);
