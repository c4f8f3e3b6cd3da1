// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Transport parameters (RFC 9000 section 18): the body of the TLS
 * quic_transport_parameters extension.  The kernel encodes ours and decodes
 * the peer's; user space only carries the bytes in the handshake.  Any
 * malformed, repeated or out-of-range parameter makes decoding fail: the
 * connection closes with TRANSPORT_PARAMETER_ERROR (section 7.4).
 */

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "param.h"
#include "wire.h"

enum {
	QUIC_TP_ORIGINAL_DCID		= 0x00,
	QUIC_TP_MAX_IDLE_TIMEOUT	= 0x01,
	QUIC_TP_RESET_TOKEN		= 0x02,
	QUIC_TP_MAX_UDP_PAYLOAD		= 0x03,
	QUIC_TP_MAX_DATA		= 0x04,
	QUIC_TP_MAX_SD_BIDI_LOCAL	= 0x05,
	QUIC_TP_MAX_SD_BIDI_REMOTE	= 0x06,
	QUIC_TP_MAX_SD_UNI		= 0x07,
	QUIC_TP_MAX_STREAMS_BIDI	= 0x08,
	QUIC_TP_MAX_STREAMS_UNI		= 0x09,
	QUIC_TP_ACK_DELAY_EXPONENT	= 0x0a,
	QUIC_TP_MAX_ACK_DELAY		= 0x0b,
	QUIC_TP_DISABLE_MIGRATION	= 0x0c,
	QUIC_TP_PREFERRED_ADDRESS	= 0x0d,
	QUIC_TP_CID_LIMIT		= 0x0e,
	QUIC_TP_INITIAL_SCID		= 0x0f,
	QUIC_TP_RETRY_SCID		= 0x10,
	QUIC_TP_VERSION_INFO		= 0x11,	/* RFC 9368 */
	QUIC_TP_MAX_DATAGRAM_FRAME	= 0x20,	/* RFC 9221 */
	QUIC_TP_GREASE_QUIC_BIT		= 0x2ab2,	/* RFC 9287 */
	QUIC_TP_MIN_ACK_DELAY		= 0xff04de1b,	/* draft-ietf-quic-ack-frequency */
	/* Not in an RFC: the socket API draft's switch for measuring the
	 * transport without the cipher; the value its implementations use.
	 */
	QUIC_TP_DISABLE_1RTT_ENCRYPTION	= 0xbaad,
};

/* ipv4 + port + ipv6 + port + cid length + stateless reset token */
#define QUIC_PREF_ADDR_FIXED	(4 + 2 + 16 + 2 + 1 + QUIC_RESET_TOKEN_LEN)

/**
 * quic_params_init - the values parameters take when absent (section 18.2)
 * @p: the parameters
 */
void quic_params_init(struct quic_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_udp_payload_size = 65527;
	p->ack_delay_exponent = 3;
	p->max_ack_delay = 25;
	p->active_connection_id_limit = 2;
}
EXPORT_SYMBOL_IF_KUNIT(quic_params_init);

/* The integer parameters, and where they live in struct quic_params. */
static const struct {
	u16	id;
	u16	off;
} quic_param_ints[] = {
	{ QUIC_TP_MAX_IDLE_TIMEOUT, offsetof(struct quic_params, max_idle_timeout) },
	{ QUIC_TP_MAX_UDP_PAYLOAD, offsetof(struct quic_params, max_udp_payload_size) },
	{ QUIC_TP_MAX_DATA, offsetof(struct quic_params, max_data) },
	{ QUIC_TP_MAX_SD_BIDI_LOCAL,
	  offsetof(struct quic_params, max_stream_data_bidi_local) },
	{ QUIC_TP_MAX_SD_BIDI_REMOTE,
	  offsetof(struct quic_params, max_stream_data_bidi_remote) },
	{ QUIC_TP_MAX_SD_UNI, offsetof(struct quic_params, max_stream_data_uni) },
	{ QUIC_TP_MAX_STREAMS_BIDI, offsetof(struct quic_params, max_streams_bidi) },
	{ QUIC_TP_MAX_STREAMS_UNI, offsetof(struct quic_params, max_streams_uni) },
	{ QUIC_TP_ACK_DELAY_EXPONENT, offsetof(struct quic_params, ack_delay_exponent) },
	{ QUIC_TP_MAX_ACK_DELAY, offsetof(struct quic_params, max_ack_delay) },
	{ QUIC_TP_CID_LIMIT, offsetof(struct quic_params, active_connection_id_limit) },
	{ QUIC_TP_MAX_DATAGRAM_FRAME,
	  offsetof(struct quic_params, max_datagram_frame_size) },
};

static u64 *quic_param_int(struct quic_params *p, u64 id)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(quic_param_ints); i++)
		if (quic_param_ints[i].id == id)
			return (void *)p + quic_param_ints[i].off;
	return NULL;
}

/* A bit per known parameter, to refuse repeats (section 7.4). */
static int quic_param_bit(u64 id)
{
	if (id <= QUIC_TP_VERSION_INFO)
		return id;
	if (id == QUIC_TP_MAX_DATAGRAM_FRAME)
		return QUIC_TP_VERSION_INFO + 1;
	if (id == QUIC_TP_GREASE_QUIC_BIT)
		return QUIC_TP_VERSION_INFO + 2;
	if (id == QUIC_TP_DISABLE_1RTT_ENCRYPTION)
		return QUIC_TP_VERSION_INFO + 3;
	if (id == QUIC_TP_MIN_ACK_DELAY)
		return QUIC_TP_VERSION_INFO + 4;
	return -1;
}

static bool quic_param_server_only(u64 id)
{
	return id == QUIC_TP_ORIGINAL_DCID || id == QUIC_TP_RESET_TOKEN ||
	       id == QUIC_TP_PREFERRED_ADDRESS || id == QUIC_TP_RETRY_SCID;
}

static bool quic_param_get_cid(const u8 *v, u32 len, struct quic_cid *cid)
{
	if (len > QUIC_CONN_ID_MAX_LEN)
		return false;
	cid->len = len;
	memcpy(cid->data, v, len);
	return true;
}

static bool quic_param_get_pref_addr(const u8 *v, u32 len, struct quic_params *p)
{
	u8 cid_len;

	if (len < QUIC_PREF_ADDR_FIXED)
		return false;
	cid_len = v[24];
	/* Section 18.2: a zero-length connection ID is invalid here. */
	if (!cid_len || cid_len > QUIC_CONN_ID_MAX_LEN ||
	    len != QUIC_PREF_ADDR_FIXED + cid_len)
		return false;
	p->pref_v4.sin_family = AF_INET;
	memcpy(&p->pref_v4.sin_addr, v, 4);
	memcpy(&p->pref_v4.sin_port, v + 4, 2);
	p->pref_v6.sin6_family = AF_INET6;
	memcpy(&p->pref_v6.sin6_addr, v + 6, 16);
	memcpy(&p->pref_v6.sin6_port, v + 22, 2);
	quic_param_get_cid(v + 25, cid_len, &p->pref_cid);
	memcpy(p->pref_token, v + 25 + cid_len, QUIC_RESET_TOKEN_LEN);
	return true;
}

/* RFC 9368 section 3: Chosen Version, then Available Versions; none zero. */
static bool quic_param_get_versions(const u8 *v, u32 len, struct quic_params *p)
{
	u32 i, n;

	if (len < 4 || len % 4)
		return false;
	p->chosen_version = get_unaligned_be32(v);
	if (!p->chosen_version)
		return false;
	n = len / 4 - 1;
	for (i = 0; i < n; i++) {
		u32 ver = get_unaligned_be32(v + 4 + 4 * i);

		if (!ver)
			return false;
		if (p->nr_versions < QUIC_VERSIONS_MAX)
			p->versions[p->nr_versions++] = ver;
	}
	return true;
}

static bool quic_param_get(u64 id, const u8 *v, u32 len, struct quic_params *p)
{
	u64 *val = quic_param_int(p, id), tmp;
	u32 left = len;

	if (val)	/* the integer must fill the parameter exactly */
		return quic_get_varint(&v, &left, val) && !left;

	switch (id) {
	case QUIC_TP_DISABLE_MIGRATION:
		p->disable_active_migration = true;
		return !len;
	case QUIC_TP_GREASE_QUIC_BIT:
		p->grease_quic_bit = true;
		return !len;
	case QUIC_TP_DISABLE_1RTT_ENCRYPTION:
		p->disable_1rtt_encryption = true;
		return !len;
	case QUIC_TP_ORIGINAL_DCID:
		p->has |= QUIC_PARAM_HAS_ORIGINAL_DCID;
		return quic_param_get_cid(v, len, &p->original_dcid);
	case QUIC_TP_INITIAL_SCID:
		p->has |= QUIC_PARAM_HAS_INITIAL_SCID;
		return quic_param_get_cid(v, len, &p->initial_scid);
	case QUIC_TP_RETRY_SCID:
		p->has |= QUIC_PARAM_HAS_RETRY_SCID;
		return quic_param_get_cid(v, len, &p->retry_scid);
	case QUIC_TP_RESET_TOKEN:
		p->has |= QUIC_PARAM_HAS_RESET_TOKEN;
		if (len != QUIC_RESET_TOKEN_LEN)
			return false;
		memcpy(p->reset_token, v, len);
		return true;
	case QUIC_TP_PREFERRED_ADDRESS:
		p->has |= QUIC_PARAM_HAS_PREFERRED_ADDR;
		return quic_param_get_pref_addr(v, len, p);
	case QUIC_TP_VERSION_INFO:
		p->has |= QUIC_PARAM_HAS_VERSION_INFO;
		return quic_param_get_versions(v, len, p);
	case QUIC_TP_MIN_ACK_DELAY:	/* above U32_MAX is above max_ack_delay */
		p->has |= QUIC_PARAM_HAS_MIN_ACK_DELAY;
		if (!quic_get_varint(&v, &left, &tmp) || left || tmp > U32_MAX)
			return false;
		p->min_ack_delay = tmp;
		return true;
	}
	return true;	/* section 18.1: unknown parameters are ignored */
}

/* Section 18.2 limits on the values; min_ack_delay (microseconds) is at
 * most max_ack_delay (milliseconds), section 3 of the ACK frequency draft.
 */
static bool quic_params_valid(const struct quic_params *p)
{
	if ((p->has & QUIC_PARAM_HAS_MIN_ACK_DELAY) &&
	    (u64)p->min_ack_delay > p->max_ack_delay * USEC_PER_MSEC)
		return false;
	return p->max_udp_payload_size >= 1200 &&
	       p->ack_delay_exponent <= 20 &&
	       p->max_ack_delay < (1 << 14) &&
	       p->active_connection_id_limit >= 2 &&
	       p->max_streams_bidi <= QUIC_MAX_STREAMS_LIMIT &&
	       p->max_streams_uni <= QUIC_MAX_STREAMS_LIMIT;
}

/**
 * quic_params_decode - decode the peer's transport parameters
 * @buf: the quic_transport_parameters extension body
 * @len: its length
 * @from_server: the peer is the server (it may send server-only ones)
 * @p: the parameters, defaults where absent
 *
 * Return: 0, or -EPROTO for a TRANSPORT_PARAMETER_ERROR.
 */
int quic_params_decode(const u8 *buf, u32 len, bool from_server,
		       struct quic_params *p)
{
	u64 id, plen;
	u32 seen = 0;
	int bit;

	quic_params_init(p);
	while (len) {
		if (!quic_get_varint(&buf, &len, &id) ||
		    !quic_get_varint(&buf, &len, &plen) || plen > len)
			return -EPROTO;
		bit = quic_param_bit(id);
		if (bit >= 0) {
			if (seen & BIT(bit))
				return -EPROTO;
			seen |= BIT(bit);
		}
		if (!from_server && quic_param_server_only(id))
			return -EPROTO;
		if (!quic_param_get(id, buf, plen, p))
			return -EPROTO;
		buf += plen;
		len -= plen;
	}
	return quic_params_valid(p) ? 0 : -EPROTO;
}
EXPORT_SYMBOL_IF_KUNIT(quic_params_decode);

/* Start a parameter of @len bytes; returns where its value goes. */
static u8 *quic_param_put(struct quic_out *o, u64 id, u32 len)
{
	quic_out_varint(o, id);
	quic_out_varint(o, len);
	return quic_out_reserve(o, len);
}

static void quic_param_put_int(struct quic_out *o, u64 id, u64 val)
{
	u8 *v = quic_param_put(o, id, quic_varint_len(val));

	if (v)
		quic_put_varint(v, val);
}

static void quic_param_put_bytes(struct quic_out *o, u64 id,
				 const void *data, u32 len)
{
	u8 *v = quic_param_put(o, id, len);

	if (v)
		memcpy(v, data, len);
}

static void quic_param_put_pref_addr(struct quic_out *o,
				     const struct quic_params *p)
{
	u8 *v = quic_param_put(o, QUIC_TP_PREFERRED_ADDRESS,
			       QUIC_PREF_ADDR_FIXED + p->pref_cid.len);

	if (!v)
		return;
	memcpy(v, &p->pref_v4.sin_addr, 4);
	memcpy(v + 4, &p->pref_v4.sin_port, 2);
	memcpy(v + 6, &p->pref_v6.sin6_addr, 16);
	memcpy(v + 22, &p->pref_v6.sin6_port, 2);
	v[24] = p->pref_cid.len;
	memcpy(v + 25, p->pref_cid.data, p->pref_cid.len);
	memcpy(v + 25 + p->pref_cid.len, p->pref_token, QUIC_RESET_TOKEN_LEN);
}

static void quic_param_put_versions(struct quic_out *o,
				    const struct quic_params *p)
{
	u8 *v = quic_param_put(o, QUIC_TP_VERSION_INFO, 4 * (1 + p->nr_versions));
	int i;

	if (!v)
		return;
	put_unaligned_be32(p->chosen_version, v);
	for (i = 0; i < p->nr_versions; i++)
		put_unaligned_be32(p->versions[i], v + 4 + 4 * i);
}

/**
 * quic_params_encode - encode our transport parameters
 * @p: the parameters; integers equal to their default are left out
 * @buf: where to
 * @len: room at @buf
 *
 * Return: the length written, or -ENOSPC.
 */
int quic_params_encode(const struct quic_params *p, u8 *buf, u32 len)
{
	struct quic_out o = { .p = buf, .left = len };
	struct quic_params def;
	const u64 *val;
	u16 off;
	int i;

	quic_params_init(&def);
	for (i = 0; i < ARRAY_SIZE(quic_param_ints); i++) {
		off = quic_param_ints[i].off;
		val = (const void *)p + off;
		if (*val != *(u64 *)((void *)&def + off))
			quic_param_put_int(&o, quic_param_ints[i].id, *val);
	}
	if (p->disable_active_migration)
		quic_param_put(&o, QUIC_TP_DISABLE_MIGRATION, 0);
	if (p->grease_quic_bit)
		quic_param_put(&o, QUIC_TP_GREASE_QUIC_BIT, 0);
	if (p->disable_1rtt_encryption)
		quic_param_put(&o, QUIC_TP_DISABLE_1RTT_ENCRYPTION, 0);
	if (p->has & QUIC_PARAM_HAS_ORIGINAL_DCID)
		quic_param_put_bytes(&o, QUIC_TP_ORIGINAL_DCID, p->original_dcid.data,
				     p->original_dcid.len);
	if (p->has & QUIC_PARAM_HAS_INITIAL_SCID)
		quic_param_put_bytes(&o, QUIC_TP_INITIAL_SCID, p->initial_scid.data,
				     p->initial_scid.len);
	if (p->has & QUIC_PARAM_HAS_RETRY_SCID)
		quic_param_put_bytes(&o, QUIC_TP_RETRY_SCID, p->retry_scid.data,
				     p->retry_scid.len);
	if (p->has & QUIC_PARAM_HAS_RESET_TOKEN)
		quic_param_put_bytes(&o, QUIC_TP_RESET_TOKEN, p->reset_token,
				     QUIC_RESET_TOKEN_LEN);
	if (p->has & QUIC_PARAM_HAS_PREFERRED_ADDR)
		quic_param_put_pref_addr(&o, p);
	if (p->has & QUIC_PARAM_HAS_VERSION_INFO)
		quic_param_put_versions(&o, p);
	if (p->has & QUIC_PARAM_HAS_MIN_ACK_DELAY)
		quic_param_put_int(&o, QUIC_TP_MIN_ACK_DELAY, p->min_ack_delay);
	return o.full ? -ENOSPC : o.p - buf;
}
EXPORT_SYMBOL_IF_KUNIT(quic_params_encode);
