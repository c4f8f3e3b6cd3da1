// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * ECN (RFC 9000 section 13.4, RFC 9002 section 7.1).  A path starts by
 * marking its first 1-RTT packets ECT(0); the peer counts the marks it
 * receives and reports them in ACK_ECN frames.  The counts must cover
 * every marked packet they acknowledge: if they do not (a router that
 * clears the field, a peer that does not report) or if they report marks
 * we never sent (a router that rewrites it), or if every marked packet
 * is lost (a router that drops them), the path goes back to unmarked
 * packets.  Once validated, a rise of the CE count is a congestion
 * event, as a loss is, but nothing needs sending again.
 *
 * Pure state: the caller sends, counts and calls congestion control.
 */

#include <kunit/visibility.h>
#include <net/inet_ecn.h>

#include "ecn.h"

/**
 * quic_ecn_init - ECN state of a new connection
 * @e: the state
 * @enabled: net.quic.ecn: mark our packets
 */
void quic_ecn_init(struct quic_ecn *e, bool enabled)
{
	memset(e, 0, sizeof(*e));
	e->state = enabled ? QUIC_ECN_TESTING : QUIC_ECN_OFF;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_init);

/**
 * quic_ecn_new_path - the connection moved to a new path: test it afresh
 * @e: the state
 * @next_pn: the number of the next 1-RTT packet, the first of the path
 *
 * The counts are per connection and go on; the validation is per path
 * (RFC 9000 section 13.4.2).
 */
void quic_ecn_new_path(struct quic_ecn *e, u64 next_pn)
{
	e->path_pn = next_pn;
	if (e->state == QUIC_ECN_OFF)
		return;
	e->state = QUIC_ECN_TESTING;
	e->test_sent = 0;
	e->test_lost = 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_new_path);

/**
 * quic_ecn_codepoint - the ECN field of the next datagram we send
 * @e: the state
 * @eliciting: its packets are ack-eliciting
 *
 * ACK-only packets are marked only once the path is validated: they are
 * never acknowledged or lost, so they cannot test it, and on a path that
 * drops marked packets an endpoint that only acknowledges would lose all
 * its ACK frames.
 *
 * Return: INET_ECN_ECT_0 or INET_ECN_NOT_ECT.
 */
u8 quic_ecn_codepoint(const struct quic_ecn *e, bool eliciting)
{
	if (e->state == QUIC_ECN_CAPABLE ||
	    (e->state == QUIC_ECN_TESTING && eliciting))
		return INET_ECN_ECT_0;
	return INET_ECN_NOT_ECT;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_codepoint);

/**
 * quic_ecn_sent - a packet left with ECN field @codepoint
 * @e: the state
 * @space: its packet number space
 * @codepoint: what quic_ecn_codepoint() said when its datagram was made
 * @recorded: it has a record that will be acknowledged or lost
 *
 * Return: how it was marked, for &quic_sent_pkt.ecn.
 */
u8 quic_ecn_sent(struct quic_ecn *e, u8 space, u8 codepoint, bool recorded)
{
	if (codepoint != INET_ECN_ECT_0)
		return QUIC_ECN_SENT_NONE;
	e->sent[space]++;
	if (e->state == QUIC_ECN_CAPABLE)
		return QUIC_ECN_SENT_MARKED;
	if (!recorded)
		return QUIC_ECN_SENT_NONE;
	if (e->test_sent < U16_MAX)
		e->test_sent++;
	if (e->state == QUIC_ECN_TESTING && e->test_sent >= QUIC_ECN_TEST_PKTS)
		e->state = QUIC_ECN_UNKNOWN;
	return QUIC_ECN_SENT_TEST;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_sent);

/**
 * quic_ecn_lost - a packet sent marked @how was declared lost
 * @e: the state
 * @how: its &quic_sent_pkt.ecn
 *
 * Every test packet lost after testing ended: marked packets do not get
 * through (RFC 9000 section 13.4.2.2).
 *
 * Return: true when this fails the validation.
 */
bool quic_ecn_lost(struct quic_ecn *e, u8 how)
{
	if (how != QUIC_ECN_SENT_TEST ||
	    (e->state != QUIC_ECN_TESTING && e->state != QUIC_ECN_UNKNOWN))
		return false;
	if (e->test_lost < U16_MAX)
		e->test_lost++;
	if (e->state != QUIC_ECN_UNKNOWN || e->test_lost < e->test_sent)
		return false;
	e->state = QUIC_ECN_FAILED;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_lost);

/**
 * quic_ecn_on_pto - a probe timeout fired in the application data space
 * @e: the state
 *
 * Testing is over once a test packet went unacknowledged that long: a
 * path that drops marked packets would lose the probes too.  Before the
 * first test packet (a handshake timeout), nothing was tested yet.
 */
void quic_ecn_on_pto(struct quic_ecn *e)
{
	if (e->state == QUIC_ECN_TESTING && e->test_sent)
		e->state = QUIC_ECN_UNKNOWN;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_on_pto);

/**
 * quic_ecn_rcvd - count the ECN field of a packet received
 * @e: the state
 * @space: its packet number space
 * @codepoint: the ECN field of its datagram
 *
 * Only packets processed count: not duplicates, nor those that failed
 * to decrypt (RFC 9000 section 13.4.1).
 *
 * Return: true if it was CE: it is acknowledged at once (section 13.2.1).
 */
bool quic_ecn_rcvd(struct quic_ecn *e, u8 space, u8 codepoint)
{
	static const u8 index[] = {
		[INET_ECN_ECT_0] = QUIC_ECN_ECT0,
		[INET_ECN_ECT_1] = QUIC_ECN_ECT1,
		[INET_ECN_CE] = QUIC_ECN_CE,
	};

	codepoint &= INET_ECN_MASK;
	if (codepoint == INET_ECN_NOT_ECT)
		return false;
	e->rcvd[space][index[codepoint]]++;
	return codepoint == INET_ECN_CE;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_rcvd);

/**
 * quic_ecn_counts - the counts our ACK frames of @space report
 * @e: the state
 * @space: the packet number space
 *
 * Return: the three counts for an ACK_ECN frame, or NULL while all are 0
 * (a plain ACK frame then).
 */
const u64 *quic_ecn_counts(const struct quic_ecn *e, u8 space)
{
	const u64 *c = e->rcvd[space];

	return c[QUIC_ECN_ECT0] | c[QUIC_ECN_ECT1] | c[QUIC_ECN_CE] ? c : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_counts);

static u8 quic_ecn_fail(struct quic_ecn *e)
{
	e->state = QUIC_ECN_FAILED;
	return QUIC_ECN_EV_FAILED;
}

/**
 * quic_ecn_on_ack - validate the counts of an ACK frame
 * @e: the state
 * @space: the packet number space it acknowledges
 * @counts: its ECT(0), ECT(1) and CE counts, NULL for a plain ACK frame
 * @marked: packets it newly acknowledges that were sent marked ECT(0)
 *
 * Called only for frames that raise the largest acknowledged packet:
 * the counts of an older frame may be older too (RFC 9000 13.4.2.1).
 * Validation fails if marked packets are acknowledged without counts,
 * if ECT(0) and CE together grew by less than @marked (marks cleared on
 * the way), if ECT(1) is reported at all or ECT(0) and CE more often
 * than we marked packets (marks rewritten), or if a count went down.
 *
 * Return: %QUIC_ECN_EV_* bits: validated now, failed now, CE grew.
 */
u8 quic_ecn_on_ack(struct quic_ecn *e, u8 space, const u64 *counts, u64 marked)
{
	u64 *peer = e->peer[space];
	u8 ev = 0;

	if (e->state == QUIC_ECN_FAILED || e->state == QUIC_ECN_OFF)
		return 0;
	if (!counts)
		return marked ? quic_ecn_fail(e) : 0;
	if (counts[QUIC_ECN_ECT0] < peer[QUIC_ECN_ECT0] ||
	    counts[QUIC_ECN_CE] < peer[QUIC_ECN_CE] || counts[QUIC_ECN_ECT1] ||
	    counts[QUIC_ECN_ECT0] > e->sent[space] ||
	    counts[QUIC_ECN_CE] > e->sent[space] - counts[QUIC_ECN_ECT0])
		return quic_ecn_fail(e);
	if (counts[QUIC_ECN_ECT0] - peer[QUIC_ECN_ECT0] +
	    counts[QUIC_ECN_CE] - peer[QUIC_ECN_CE] < marked)
		return quic_ecn_fail(e);
	if (counts[QUIC_ECN_CE] > peer[QUIC_ECN_CE])
		ev |= QUIC_ECN_EV_CE;
	memcpy(peer, counts, sizeof(e->peer[space]));
	if (marked && e->state != QUIC_ECN_CAPABLE) {
		e->state = QUIC_ECN_CAPABLE;
		ev |= QUIC_ECN_EV_VALIDATED;
	}
	return ev;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ecn_on_ack);
