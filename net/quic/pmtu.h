/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Datagram Packetization Layer Path MTU Discovery (RFC 8899, RFC 9000
 * section 14.3): the search for the largest datagram the path carries,
 * with probe packets that only a path this wide delivers.
 */

#ifndef __NET_QUIC_PMTU_H
#define __NET_QUIC_PMTU_H

#include <linux/types.h>

/* Probes of one size lost in a row before the size is taken as too
 * large (RFC 8899 section 5.1.2, MAX_PROBES).
 */
#define QUIC_PMTU_MAX_PROBES	3

/* The search stops once the largest size known to pass is this close to
 * the smallest known to fail: closer is worth less than its probes.
 */
#define QUIC_PMTU_STEP		16

/* Largest datagram size searched for: a long header's Length takes it
 * in 2 bytes (only 1-RTT packets are ever that long, but one limit for
 * all keeps the header code simple).
 */
#define QUIC_PMTU_MAX		16383

/* Probe timeouts in a row, with datagrams larger than the path began
 * with, after which the path is taken to have narrowed without telling
 * (no Packet Too Big): the size goes back to the start (RFC 8899
 * section 4.3, black hole detection).
 */
#define QUIC_PMTU_BLACK_HOLE_PTOS	3

/**
 * struct quic_pmtu - the search of one path
 * @probe_pn: packet number of the probe in flight
 * @next: when a finished search starts again (quic_now()), 0 for never
 * @interval: time from the end of a search to the next one, in
 *	microseconds; 0: no probing at all
 * @base: the size the path started with, which needs no probe
 * @lo: largest datagram size known to pass: the size in use
 * @hi: largest size not known to fail
 * @size: size of the probe in flight, or of the last one lost
 * @lost: probes of @size lost in a row
 * @in_flight: a probe is in flight (one at a time)
 * @searching: a search is under way
 * @failed: a size failed in this search: probe halfway, not at @hi
 *
 * Locking: under the connection's socket lock.
 */
struct quic_pmtu {
	u64	probe_pn;
	u64	next;
	u32	interval;
	u32	base;
	u32	lo;
	u32	hi;
	u32	size;
	u8	lost;
	bool	in_flight;
	bool	searching;
	bool	failed;
};

void quic_pmtu_init(struct quic_pmtu *p, u32 interval, u32 size);
u32 quic_pmtu_probe_size(struct quic_pmtu *p, u32 max, u64 now);
void quic_pmtu_probe_sent(struct quic_pmtu *p, u64 pn);
u32 quic_pmtu_acked(struct quic_pmtu *p, u64 pn);
bool quic_pmtu_lost(struct quic_pmtu *p, u64 pn);
void quic_pmtu_lowered(struct quic_pmtu *p, u32 size);
u32 quic_pmtu_black_hole(struct quic_pmtu *p, u32 size);

/**
 * quic_pmtu_due - may quic_pmtu_probe_size() ask for a probe now?
 * @p: the search
 * @now: quic_now()
 *
 * Return: true while a search goes on without a probe in flight, or
 * once the next one is due.
 */
static inline bool quic_pmtu_due(const struct quic_pmtu *p, u64 now)
{
	return p->interval && !p->in_flight &&
	       (p->searching || (p->next && now >= p->next));
}

/**
 * quic_pmtu_is_probe - is packet @pn the probe in flight?
 * @p: the search
 * @pn: a 1-RTT packet number
 *
 * Return: true for the probe: its loss says nothing of congestion
 * (RFC 9000 section 14.4).
 */
static inline bool quic_pmtu_is_probe(const struct quic_pmtu *p, u64 pn)
{
	return p->in_flight && p->probe_pn == pn;
}

#endif /* __NET_QUIC_PMTU_H */
