/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * Transport parameters (RFC 9000 section 18, RFC 9221, RFC 9287, RFC 9368).
 */

#ifndef __NET_QUIC_PARAM_H
#define __NET_QUIC_PARAM_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/types.h>

#include "frame.h"

#define QUIC_VERSIONS_MAX	8

/**
 * struct quic_cid - a connection ID
 * @len: its length, 0 to QUIC_CONN_ID_MAX_LEN
 * @data: its bytes
 */
struct quic_cid {
	u8	len;
	u8	data[QUIC_CONN_ID_MAX_LEN];
};

/**
 * struct quic_params - one side's transport parameters, at full width
 * @max_idle_timeout: milliseconds, 0 for none
 * @max_udp_payload_size: bytes, at least 1200
 * @max_data: initial_max_data
 * @max_stream_data_bidi_local: initial_max_stream_data_bidi_local
 * @max_stream_data_bidi_remote: initial_max_stream_data_bidi_remote
 * @max_stream_data_uni: initial_max_stream_data_uni
 * @max_streams_bidi: initial_max_streams_bidi, at most 2^60
 * @max_streams_uni: initial_max_streams_uni, at most 2^60
 * @ack_delay_exponent: at most 20
 * @max_ack_delay: milliseconds, below 2^14
 * @active_connection_id_limit: at least 2
 * @max_datagram_frame_size: 0 when DATAGRAM is not supported (RFC 9221)
 * @disable_active_migration: the parameter was present
 * @grease_quic_bit: the peer accepts a greased QUIC bit (RFC 9287)
 * @disable_1rtt_encryption: 1-RTT packets without protection are asked
 *	for (the socket API draft's 0xbaad; both ends must ask)
 * @min_ack_delay: microseconds, with QUIC_PARAM_HAS_MIN_ACK_DELAY: the
 *	peer takes ACK_FREQUENCY and IMMEDIATE_ACK frames (the ACK frequency
 *	draft), and delays an ACK no less than this
 * @has: bit mask of the optional parameters present, QUIC_PARAM_HAS_*
 * @original_dcid: original_destination_connection_id (server only)
 * @initial_scid: initial_source_connection_id
 * @retry_scid: retry_source_connection_id (server only)
 * @reset_token: stateless_reset_token (server only)
 * @pref_v4: preferred_address IPv4 address and port (server only)
 * @pref_v6: preferred_address IPv6 address and port
 * @pref_cid: preferred_address connection ID
 * @pref_token: preferred_address stateless reset token
 * @chosen_version: version_information Chosen Version (RFC 9368)
 * @versions: version_information Available Versions
 * @nr_versions: their number
 */
struct quic_params {
	u64			max_idle_timeout;
	u64			max_udp_payload_size;
	u64			max_data;
	u64			max_stream_data_bidi_local;
	u64			max_stream_data_bidi_remote;
	u64			max_stream_data_uni;
	u64			max_streams_bidi;
	u64			max_streams_uni;
	u64			ack_delay_exponent;
	u64			max_ack_delay;
	u64			active_connection_id_limit;
	u64			max_datagram_frame_size;
	bool			disable_active_migration;
	bool			grease_quic_bit;
	bool			disable_1rtt_encryption;
	u32			min_ack_delay;
	u32			has;
	struct quic_cid		original_dcid;
	struct quic_cid		initial_scid;
	struct quic_cid		retry_scid;
	u8			reset_token[QUIC_RESET_TOKEN_LEN];
	struct sockaddr_in	pref_v4;
	struct sockaddr_in6	pref_v6;
	struct quic_cid		pref_cid;
	u8			pref_token[QUIC_RESET_TOKEN_LEN];
	u32			chosen_version;
	u32			versions[QUIC_VERSIONS_MAX];
	u8			nr_versions;
};

#define QUIC_PARAM_HAS_ORIGINAL_DCID	BIT(0)
#define QUIC_PARAM_HAS_INITIAL_SCID	BIT(1)
#define QUIC_PARAM_HAS_RETRY_SCID	BIT(2)
#define QUIC_PARAM_HAS_RESET_TOKEN	BIT(3)
#define QUIC_PARAM_HAS_PREFERRED_ADDR	BIT(4)
#define QUIC_PARAM_HAS_VERSION_INFO	BIT(5)
#define QUIC_PARAM_HAS_MIN_ACK_DELAY	BIT(6)

void quic_params_init(struct quic_params *p);
int quic_params_decode(const u8 *buf, u32 len, bool from_server,
		       struct quic_params *p);
int quic_params_encode(const struct quic_params *p, u8 *buf, u32 len);

#endif /* __NET_QUIC_PARAM_H */
