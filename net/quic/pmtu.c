// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The search of RFC 8899 for the path's largest datagram: one probe at a
 * time, a PING padded to the size tried.  An acknowledged probe raises
 * the size in use to it; QUIC_PMTU_MAX_PROBES lost in a row make it the
 * new upper bound.  The first probe of a search tries the largest size
 * the route and the peer allow, as most paths carry what their first
 * link does; after a failure the search halves the interval left.
 */

#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/minmax.h>

#include "pmtu.h"

/**
 * quic_pmtu_init - start over on a path
 * @p: the search
 * @interval: the socket's plpmtud_probe_interval (microseconds), 0: none
 * @size: the datagram size in use on the path
 *
 * A search starts with the next quic_pmtu_probe_size().
 */
void quic_pmtu_init(struct quic_pmtu *p, u32 interval, u32 size)
{
	*p = (struct quic_pmtu) {
		.interval = interval,
		.base = size,
		.lo = size,
		.hi = U32_MAX,
		.searching = !!interval,
	};
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_init);

/**
 * quic_pmtu_probe_size - the size of the probe to send now, if any
 * @p: the search
 * @max: the largest size the route MTU and both ends' max_udp_payload_size
 *	allow now (a Packet Too Big may have lowered the route's)
 * @now: quic_now()
 *
 * Return: the datagram size of the next probe, 0 for none now.  The
 * caller sends it and calls quic_pmtu_probe_sent(), or sends nothing.
 */
u32 quic_pmtu_probe_size(struct quic_pmtu *p, u32 max, u64 now)
{
	u32 size;

	if (!p->interval || p->in_flight)
		return 0;
	if (!p->searching) {
		if (!p->next || now < p->next)
			return 0;
		p->searching = true;	/* PMTU_RAISE_TIMER, RFC 8899 5.1.1 */
		p->hi = U32_MAX;
		p->failed = false;
		p->lost = 0;
	}
	p->hi = min(p->hi, max);
	if (p->hi < p->lo + QUIC_PMTU_STEP) {
		p->searching = false;
		p->next = now + p->interval;
		return 0;
	}
	size = p->failed ? p->lo + (p->hi - p->lo + 1) / 2 : p->hi;
	if (size != p->size)
		p->lost = 0;
	p->size = size;
	return size;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_probe_size);

/**
 * quic_pmtu_probe_sent - the probe went out
 * @p: the search
 * @pn: its packet number
 */
void quic_pmtu_probe_sent(struct quic_pmtu *p, u64 pn)
{
	p->probe_pn = pn;
	p->in_flight = true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_probe_sent);

/**
 * quic_pmtu_acked - a 1-RTT packet was acknowledged
 * @p: the search
 * @pn: its number
 *
 * Return: the new, larger datagram size when it was a probe that raises
 * it, else 0.
 */
u32 quic_pmtu_acked(struct quic_pmtu *p, u64 pn)
{
	if (!quic_pmtu_is_probe(p, pn))
		return 0;
	p->in_flight = false;
	p->lost = 0;
	/* not above a Packet Too Big that came meanwhile */
	if (p->size <= p->lo || p->size > p->hi)
		return 0;
	p->lo = p->size;
	return p->lo;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_acked);

/**
 * quic_pmtu_lost - a 1-RTT packet was declared lost
 * @p: the search
 * @pn: its number
 *
 * Return: true when it was the probe: not a sign of congestion.
 */
bool quic_pmtu_lost(struct quic_pmtu *p, u64 pn)
{
	if (!quic_pmtu_is_probe(p, pn))
		return false;
	p->in_flight = false;
	if (++p->lost >= QUIC_PMTU_MAX_PROBES) {
		p->hi = min(p->hi, p->size - 1);
		p->failed = true;
		p->lost = 0;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_lost);

/**
 * quic_pmtu_lowered - a Packet Too Big lowered the size in use
 * @p: the search
 * @size: the new datagram size
 */
void quic_pmtu_lowered(struct quic_pmtu *p, u32 size)
{
	p->lo = min(p->lo, size);
	p->hi = min(p->hi, size);
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_lowered);

/**
 * quic_pmtu_black_hole - datagrams of @size stopped getting through
 * @p: the search
 * @size: the datagram size in use
 *
 * After %QUIC_PMTU_BLACK_HOLE_PTOS probe timeouts: back to the size the
 * path started with, and a search below @size from there.
 *
 * Return: that size, or 0 when @size is no larger (not a path MTU
 * matter then).
 */
u32 quic_pmtu_black_hole(struct quic_pmtu *p, u32 size)
{
	if (size <= p->base)
		return 0;
	/* a probe in flight stays one: its loss is still no congestion */
	p->lo = p->base;
	p->hi = size - 1;
	p->failed = true;
	p->lost = 0;
	p->searching = !!p->interval;
	return p->base;
}
EXPORT_SYMBOL_IF_KUNIT(quic_pmtu_black_hole);
