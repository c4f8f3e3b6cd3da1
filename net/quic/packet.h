/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Packet headers (RFC 9000 section 17, RFC 8999, RFC 9369 section 3.2).
 */

#ifndef __NET_QUIC_PACKET_H
#define __NET_QUIC_PACKET_H

#include <linux/types.h>

#include "frame.h"

/**
 * enum quic_packet_type - packet types, whatever their bits in a version
 * @QUIC_PACKET_INITIAL: Initial
 * @QUIC_PACKET_0RTT: 0-RTT
 * @QUIC_PACKET_HANDSHAKE: Handshake
 * @QUIC_PACKET_RETRY: Retry
 * @QUIC_PACKET_SHORT: 1-RTT, short header
 * @QUIC_PACKET_VERSION_NEGOTIATION: Version Negotiation (version 0)
 * @QUIC_PACKET_UNKNOWN_VERSION: long header of a version we do not speak:
 *	only the invariants (RFC 8999) are parsed, to answer with Version
 *	Negotiation
 */
enum quic_packet_type {
	QUIC_PACKET_INITIAL,
	QUIC_PACKET_0RTT,
	QUIC_PACKET_HANDSHAKE,
	QUIC_PACKET_RETRY,
	QUIC_PACKET_SHORT,
	QUIC_PACKET_VERSION_NEGOTIATION,
	QUIC_PACKET_UNKNOWN_VERSION,
};

#define QUIC_HEADER_FORM_LONG	0x80
#define QUIC_HEADER_FIXED_BIT	0x40

/**
 * struct quic_packet_info - what a header says, before header protection
 *	is removed
 * @type: &enum quic_packet_type
 * @version: version of a long header
 * @dcid: Destination Connection ID (points into the packet)
 * @dcid_len: its length
 * @scid: Source Connection ID of a long header
 * @scid_len: its length
 * @token: Initial token, or Retry token
 * @token_len: its length
 * @pn_off: offset of the (protected) packet number
 * @len: length of this packet in the datagram; coalesced packets follow
 */
struct quic_packet_info {
	u8		type;
	u32		version;
	const u8	*dcid;
	u8		dcid_len;
	const u8	*scid;
	u8		scid_len;
	const u8	*token;
	u64		token_len;
	u32		pn_off;
	u32		len;
};

int quic_packet_parse(const u8 *p, u32 len, u8 short_dcid_len, bool grease_ok,
		      struct quic_packet_info *info);
u8 quic_packet_long_type_bits(u32 version, u8 type);
bool quic_packet_dcid(const u8 *p, u32 len, u8 short_dcid_len, const u8 **dcid,
		      u8 *dcid_len);

#endif /* __NET_QUIC_PACKET_H */
