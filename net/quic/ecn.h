/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Explicit Congestion Notification (RFC 9000 section 13.4, RFC 9002
 * section 7.1): the marks we put on our packets, their validation from
 * the counts the peer reports, and the counts we report of the peer's.
 */

#ifndef __NET_QUIC_ECN_H
#define __NET_QUIC_ECN_H

#include <linux/types.h>

#define QUIC_ECN_SPACES		3	/* packet number spaces: QUIC_SPACE_MAX */
#define QUIC_ECN_APP		2	/* the application data space: QUIC_SPACE_APP */
#define QUIC_ECN_TEST_PKTS	10	/* packets marked before we wait for counts */

/* The counts of an ACK_ECN frame, in its order (RFC 9000 section 19.3.2) */
enum {
	QUIC_ECN_ECT0,
	QUIC_ECN_ECT1,
	QUIC_ECN_CE,
	QUIC_ECN_COUNTS,
};

/**
 * enum quic_ecn_state - ECN on the current path (RFC 9000 appendix A.4)
 * @QUIC_ECN_TESTING: the first ack-eliciting 1-RTT packets of the path are
 *	marked ECT(0)
 * @QUIC_ECN_UNKNOWN: testing is over (%QUIC_ECN_TEST_PKTS packets or a probe
 *	timeout): packets go unmarked until the peer's counts show that the
 *	marks arrived
 * @QUIC_ECN_CAPABLE: validated: every packet is marked
 * @QUIC_ECN_FAILED: validation failed; packets go unmarked
 * @QUIC_ECN_OFF: net.quic.ecn is 0; we report the peer's marks only
 */
enum quic_ecn_state {
	QUIC_ECN_TESTING,
	QUIC_ECN_UNKNOWN,
	QUIC_ECN_CAPABLE,
	QUIC_ECN_FAILED,
	QUIC_ECN_OFF,
};

/* How a sent packet was marked: &quic_sent_pkt.ecn */
enum {
	QUIC_ECN_SENT_NONE,
	QUIC_ECN_SENT_MARKED,	/* ECT(0), on a validated path */
	QUIC_ECN_SENT_TEST,	/* ECT(0), before validation */
};

/* What an ACK frame's counts told: quic_ecn_on_ack() */
#define QUIC_ECN_EV_VALIDATED	BIT(0)
#define QUIC_ECN_EV_FAILED	BIT(1)
#define QUIC_ECN_EV_CE		BIT(2)

/**
 * struct quic_ecn - ECN state of a connection
 * @rcvd: packets received per space with ECT(0), ECT(1) and CE, as the
 *	ACK_ECN frames we send report them
 * @peer: the counts of the peer's last ACK_ECN frame that raised the
 *	largest acknowledged packet, per space
 * @sent: packets sent marked ECT(0), per space
 * @path_pn: the first 1-RTT packet number of the current path: the marks
 *	of those sent before tell nothing of it
 * @test_sent: packets sent marked on the path before it was validated;
 *	ack-eliciting, so they have a record that is acknowledged or lost
 * @test_lost: how many of them were declared lost
 * @state: &enum quic_ecn_state
 *
 * Locking: under the connection's socket lock.
 */
struct quic_ecn {
	u64	rcvd[QUIC_ECN_SPACES][QUIC_ECN_COUNTS];
	u64	peer[QUIC_ECN_SPACES][QUIC_ECN_COUNTS];
	u64	sent[QUIC_ECN_SPACES];
	u64	path_pn;
	u16	test_sent;
	u16	test_lost;
	u8	state;
};

void quic_ecn_init(struct quic_ecn *e, bool enabled);
void quic_ecn_new_path(struct quic_ecn *e, u64 next_pn);
u8 quic_ecn_codepoint(const struct quic_ecn *e, bool eliciting);
u8 quic_ecn_sent(struct quic_ecn *e, u8 space, u8 codepoint, bool recorded);
bool quic_ecn_lost(struct quic_ecn *e, u8 how);
void quic_ecn_on_pto(struct quic_ecn *e);
bool quic_ecn_rcvd(struct quic_ecn *e, u8 space, u8 codepoint);
const u64 *quic_ecn_counts(const struct quic_ecn *e, u8 space);
u8 quic_ecn_on_ack(struct quic_ecn *e, u8 space, const u64 *counts, u64 marked);

/**
 * quic_ecn_of - how a packet in flight was marked, for the current path
 * @e: the state
 * @space: its packet number space
 * @pn: its packet number
 * @how: its &quic_sent_pkt.ecn
 *
 * Return: @how, or %QUIC_ECN_SENT_NONE for a packet the connection sent
 * before it moved to this path: its fate says nothing of this one.
 */
static inline u8 quic_ecn_of(const struct quic_ecn *e, u8 space, u64 pn, u8 how)
{
	return space == QUIC_ECN_APP && pn < e->path_pn ? QUIC_ECN_SENT_NONE : how;
}

#endif /* __NET_QUIC_ECN_H */
