// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Packet headers (RFC 9000 section 17): find the type, version, connection
 * IDs, token and the bounds of one packet in a datagram, before header
 * protection is removed.  A header that does not parse makes its packet
 * (and the rest of the datagram) be dropped, not the connection closed
 * (RFC 9000 section 12.2).
 */

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <uapi/linux/quic.h>
#include <kunit/visibility.h>

#include "packet.h"
#include "wire.h"

/* Long header type bits for Initial, 0-RTT, Handshake, Retry. */
static const u8 quic_long_types_v1[] = { 0, 1, 2, 3 };
static const u8 quic_long_types_v2[] = { 1, 2, 3, 0 };	/* RFC 9369 3.2 */

/**
 * quic_packet_long_type_bits - the two type bits of a long header
 * @version: QUIC_VERSION_V1 or QUIC_VERSION_V2
 * @type: QUIC_PACKET_INITIAL to QUIC_PACKET_RETRY
 *
 * Return: the value of bits 4-5 of the first byte.
 */
u8 quic_packet_long_type_bits(u32 version, u8 type)
{
	const u8 *map = version == QUIC_VERSION_V2 ? quic_long_types_v2
						    : quic_long_types_v1;

	return map[type & 3];
}
EXPORT_SYMBOL_IF_KUNIT(quic_packet_long_type_bits);

static u8 quic_packet_long_type(u32 version, u8 bits)
{
	u8 t;

	for (t = QUIC_PACKET_INITIAL; t <= QUIC_PACKET_RETRY; t++)
		if (quic_packet_long_type_bits(version, t) == bits)
			break;
	return t;
}

static bool quic_get_cid(const u8 **p, u32 *len, u8 max, const u8 **cid,
			 u8 *cid_len)
{
	if (!*len || **p > max || 1 + **p > *len)
		return false;
	*cid_len = **p;
	*cid = *p + 1;
	*p += 1 + *cid_len;
	*len -= 1 + *cid_len;
	return true;
}

static int quic_packet_parse_long(const u8 *start, u32 len,
				  struct quic_packet_info *info)
{
	const u8 *p = start + 5;
	u8 max = QUIC_CONN_ID_MAX_LEN;
	u64 length;

	len -= 5;
	info->version = get_unaligned_be32(start + 1);
	if (!info->version)
		info->type = QUIC_PACKET_VERSION_NEGOTIATION;
	else if (info->version != QUIC_VERSION_V1 && info->version != QUIC_VERSION_V2)
		info->type = QUIC_PACKET_UNKNOWN_VERSION;
	else
		info->type = quic_packet_long_type(info->version, (start[0] >> 4) & 3);

	/* RFC 8999 section 5.1: other versions may use IDs of 255 bytes. */
	if (info->type >= QUIC_PACKET_VERSION_NEGOTIATION)
		max = 255;
	if (!quic_get_cid(&p, &len, max, &info->dcid, &info->dcid_len) ||
	    !quic_get_cid(&p, &len, max, &info->scid, &info->scid_len))
		return -EINVAL;

	switch (info->type) {
	case QUIC_PACKET_VERSION_NEGOTIATION:
	case QUIC_PACKET_UNKNOWN_VERSION:
		info->len = p - start + len;	/* the whole datagram */
		return 0;
	case QUIC_PACKET_RETRY:
		/* The token runs to the 16-byte integrity tag at the end. */
		if (len < 16)
			return -EINVAL;
		info->token = p;
		info->token_len = len - 16;
		info->len = p - start + len;
		return 0;
	case QUIC_PACKET_INITIAL:
		if (!quic_get_varint(&p, &len, &info->token_len) ||
		    info->token_len > len)
			return -EINVAL;
		info->token = p;
		p += info->token_len;
		len -= info->token_len;
		break;
	}

	/* Length covers the packet number and the protected payload. */
	if (!quic_get_varint(&p, &len, &length) || length > len)
		return -EINVAL;
	info->pn_off = p - start;
	info->len = info->pn_off + length;
	return 0;
}

/**
 * quic_packet_parse - parse the header of the first packet in a datagram
 * @p: the datagram, or what follows the packets parsed so far
 * @len: its length
 * @short_dcid_len: length of our connection IDs, for short headers
 * @grease_ok: we announced grease_quic_bit: the fixed bit may be 0
 *	(RFC 9287)
 * @info: the header's fields
 *
 * Return: 0, or -EINVAL when the packet is to be dropped.
 */
int quic_packet_parse(const u8 *p, u32 len, u8 short_dcid_len, bool grease_ok,
		      struct quic_packet_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!len)
		return -EINVAL;

	if (p[0] & QUIC_HEADER_FORM_LONG) {
		u32 version;

		if (len < 7)	/* first byte, version, two ID lengths */
			return -EINVAL;
		/* Only our versions define the fixed bit (RFC 8999). */
		version = get_unaligned_be32(p + 1);
		if ((version == QUIC_VERSION_V1 || version == QUIC_VERSION_V2) &&
		    !(p[0] & QUIC_HEADER_FIXED_BIT) && !grease_ok)
			return -EINVAL;
		return quic_packet_parse_long(p, len, info);
	}

	/* RFC 9000 section 17.3: a short header packet fills the datagram. */
	if (!(p[0] & QUIC_HEADER_FIXED_BIT) && !grease_ok)
		return -EINVAL;
	if (len < 1 + short_dcid_len)
		return -EINVAL;
	info->type = QUIC_PACKET_SHORT;
	info->dcid = p + 1;
	info->dcid_len = short_dcid_len;
	info->pn_off = 1 + short_dcid_len;
	info->len = len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_packet_parse);

/**
 * quic_packet_dcid - the Destination Connection ID of a datagram's first packet
 * @p: the datagram
 * @len: its length
 * @short_dcid_len: the length of our IDs, for a short header
 * @dcid: returns where the ID starts in @p
 * @dcid_len: returns its length
 *
 * Only what the invariants (RFC 8999) fix is read: enough to find the
 * connection, or to tell packets of one connection apart from others.
 *
 * Return: false when @p is too short to hold the ID.
 */
bool quic_packet_dcid(const u8 *p, u32 len, u8 short_dcid_len, const u8 **dcid,
		      u8 *dcid_len)
{
	if (!len)
		return false;
	if (p[0] & QUIC_HEADER_FORM_LONG) {
		if (len < 6 || p[5] > QUIC_CONN_ID_MAX_LEN || 6 + p[5] > len)
			return false;
		*dcid_len = p[5];
		*dcid = p + 6;
		return true;
	}
	if (len < 1 + short_dcid_len)
		return false;
	*dcid_len = short_dcid_len;
	*dcid = p + 1;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_packet_dcid);
