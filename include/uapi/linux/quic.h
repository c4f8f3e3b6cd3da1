/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * QUIC socket API: IPPROTO_QUIC sockets, SOL_QUIC options, control
 * messages and events.
 *
 * The numbers and layouts below are an ABI shared with existing user space
 * (tlshd, curl, Samba) written against the QUIC socket API draft.  Never
 * renumber anything; grow structures only at their end.
 *
 * The MSG_QUIC_* flags reuse MSG_* bits: include <sys/socket.h> (user space)
 * or <linux/socket.h> (kernel) before using them.
 */

#ifndef _UAPI_LINUX_QUIC_H
#define _UAPI_LINUX_QUIC_H

#include <linux/types.h>

#ifndef SOL_QUIC
#define SOL_QUIC	288
#endif

/* Versions (RFC 9000, RFC 9369) */
#define QUIC_VERSION_V1		0x00000001
#define QUIC_VERSION_V2		0x6b3343cf

/* Stream ID type bits (RFC 9000 section 2.1) */
#define QUIC_STREAM_TYPE_SERVER_MASK	0x01
#define QUIC_STREAM_TYPE_UNI_MASK	0x02
#define QUIC_STREAM_TYPE_MASK		0x03

/* Flags in quic_stream_info.stream_flags and msg_flags */
#define MSG_QUIC_STREAM_NEW		MSG_SYN
#define MSG_QUIC_STREAM_FIN		MSG_FIN
#define MSG_QUIC_STREAM_UNI		MSG_CONFIRM
#define MSG_QUIC_STREAM_DONTWAIT	MSG_WAITFORONE
#define MSG_QUIC_STREAM_SNDBLOCK	MSG_ERRQUEUE
#define MSG_QUIC_DATAGRAM		MSG_RST
#define MSG_QUIC_NOTIFICATION		MSG_MORE

/**
 * enum quic_cmsg_type - control message types at level SOL_QUIC
 * @QUIC_STREAM_INFO: a &struct quic_stream_info for stream data
 * @QUIC_HANDSHAKE_INFO: a &struct quic_handshake_info for TLS messages
 */
enum quic_cmsg_type {
	QUIC_STREAM_INFO,
	QUIC_HANDSHAKE_INFO,
};

/**
 * enum quic_crypto_level - encryption levels (RFC 9001 section 2.1)
 * @QUIC_CRYPTO_APP: 1-RTT (application data) keys
 * @QUIC_CRYPTO_INITIAL: Initial keys
 * @QUIC_CRYPTO_HANDSHAKE: Handshake keys
 * @QUIC_CRYPTO_EARLY: 0-RTT keys
 * @QUIC_CRYPTO_MAX: number of levels
 */
enum quic_crypto_level {
	QUIC_CRYPTO_APP,
	QUIC_CRYPTO_INITIAL,
	QUIC_CRYPTO_HANDSHAKE,
	QUIC_CRYPTO_EARLY,
	QUIC_CRYPTO_MAX,
};

/**
 * struct quic_handshake_info - QUIC_HANDSHAKE_INFO control message
 * @crypto_level: &enum quic_crypto_level the TLS message belongs to
 */
struct quic_handshake_info {
	__u8	crypto_level;
};

/**
 * struct quic_stream_info - QUIC_STREAM_INFO control message, and the
 *	argument of QUIC_SOCKOPT_STREAM_OPEN
 * @stream_id: stream ID, or -1 for "the next stream" on send and open
 * @stream_flags: MSG_QUIC_STREAM_* flags
 * @reserved: must be zero
 */
struct quic_stream_info {
	__s64	stream_id;
	__u32	stream_flags;
	__u32	reserved;
};

/* Socket options at level SOL_QUIC */
#define QUIC_SOCKOPT_EVENT			0
#define QUIC_SOCKOPT_STREAM_OPEN		1
#define QUIC_SOCKOPT_STREAM_RESET		2
#define QUIC_SOCKOPT_STREAM_STOP_SENDING	3
#define QUIC_SOCKOPT_CONNECTION_ID		4
#define QUIC_SOCKOPT_CONNECTION_CLOSE		5
#define QUIC_SOCKOPT_CONNECTION_MIGRATION	6
#define QUIC_SOCKOPT_KEY_UPDATE			7
#define QUIC_SOCKOPT_TRANSPORT_PARAM		8
#define QUIC_SOCKOPT_CONFIG			9
#define QUIC_SOCKOPT_TOKEN			10
#define QUIC_SOCKOPT_ALPN			11
#define QUIC_SOCKOPT_SESSION_TICKET		12
#define QUIC_SOCKOPT_CRYPTO_SECRET		13
#define QUIC_SOCKOPT_TRANSPORT_PARAM_EXT	14
#define QUIC_SOCKOPT_STREAM_PEELOFF		15

/**
 * struct quic_event_option - argument of QUIC_SOCKOPT_EVENT
 * @type: &enum quic_event_type to switch
 * @on: non-zero to deliver the event through recvmsg(), zero to stop
 */
struct quic_event_option {
	__u8	type;
	__u8	on;
};

/**
 * struct quic_errinfo - argument of QUIC_SOCKOPT_STREAM_RESET and
 *	QUIC_SOCKOPT_STREAM_STOP_SENDING
 * @stream_id: the stream
 * @errcode: application protocol error code sent to the peer
 * @reserved: must be zero
 */
struct quic_errinfo {
	__s64	stream_id;
	__u32	errcode;
	__u32	reserved;
};

/**
 * struct quic_connection_id_info - argument of QUIC_SOCKOPT_CONNECTION_ID,
 *	payload of QUIC_EVENT_CONNECTION_ID
 * @dest: non-zero for the peer's (destination) connection IDs
 * @reserved: must be zero
 * @active: sequence number of the connection ID in use
 * @prior_to: lowest sequence number still in use; setting it retires the
 *	connection IDs below it
 */
struct quic_connection_id_info {
	__u8	dest;
	__u8	reserved[3];
	__u32	active;
	__u32	prior_to;
};

#define QUIC_CLOSE_PHRASE_MAX_LEN	64
#define QUIC_CLOSE_PHRASE_BUFFER_SIZE	QUIC_CLOSE_PHRASE_MAX_LEN	/* the name programs use */

/**
 * struct quic_connection_close - argument of QUIC_SOCKOPT_CONNECTION_CLOSE,
 *	payload of QUIC_EVENT_CONNECTION_CLOSE
 * @errcode: error code of the CONNECTION_CLOSE frame
 * @frame: frame type that caused the error (transport errors only)
 * @reserved: must be zero
 * @phrase: NUL-terminated reason phrase; the option length may end it early
 */
struct quic_connection_close {
	__u32	errcode;
	__u8	frame;
	__u8	reserved[3];
	__u8	phrase[QUIC_CLOSE_PHRASE_MAX_LEN];
};

#define QUIC_CRYPTO_SECRET_BUFFER_SIZE	48

/**
 * struct quic_transport_param - argument of QUIC_SOCKOPT_TRANSPORT_PARAM:
 *	transport parameters (RFC 9000 section 18.2) and their extensions
 * @remote: non-zero to get or set the peer's parameters (e.g. the ones
 *	remembered with a session ticket, to send 0-RTT data)
 * @disable_active_migration: disable_active_migration parameter
 * @grease_quic_bit: grease_quic_bit parameter (RFC 9287)
 * @stateless_reset: send a stateless_reset_token
 * @disable_1rtt_encryption: disable_1rtt_encryption parameter (testing)
 * @disable_compatible_version: do not offer compatible version
 *	negotiation (RFC 9368)
 * @active_connection_id_limit: active_connection_id_limit parameter
 * @ack_delay_exponent: ack_delay_exponent parameter
 * @max_datagram_frame_size: max_datagram_frame_size parameter (RFC 9221)
 * @max_udp_payload_size: max_udp_payload_size parameter
 * @max_idle_timeout: max_idle_timeout parameter, in microseconds
 * @max_ack_delay: max_ack_delay parameter, in microseconds
 * @max_streams_bidi: initial_max_streams_bidi parameter
 * @max_streams_uni: initial_max_streams_uni parameter
 * @max_data: initial_max_data parameter
 * @max_stream_data_bidi_local: initial_max_stream_data_bidi_local parameter
 * @max_stream_data_bidi_remote: initial_max_stream_data_bidi_remote
 *	parameter
 * @max_stream_data_uni: initial_max_stream_data_uni parameter
 *
 * setsockopt() takes the fields that are not zero and leaves the others
 * as they are, so a program may zero the structure and set one field.
 * It may be called on an unconnected socket, and after connect() or
 * accept() until the parameters go into the handshake
 * (QUIC_SOCKOPT_TRANSPORT_PARAM_EXT); then it fails with EISCONN.
 */
struct quic_transport_param {
	__u8	remote;
	__u8	disable_active_migration;
	__u8	grease_quic_bit;
	__u8	stateless_reset;
	__u8	disable_1rtt_encryption;
	__u8	disable_compatible_version;
	__u8	active_connection_id_limit;
	__u8	ack_delay_exponent;
	__u16	max_datagram_frame_size;
	__u16	max_udp_payload_size;
	__u32	max_idle_timeout;
	__u32	max_ack_delay;
	__u16	max_streams_bidi;
	__u16	max_streams_uni;
	__u64	max_data;
	__u64	max_stream_data_bidi_local;
	__u64	max_stream_data_bidi_remote;
	__u64	max_stream_data_uni;
};

/* Congestion control algorithms for quic_config.congestion_control_algo */
#define QUIC_CONG_ALG_RENO	0
#define QUIC_CONG_ALG_CUBIC	1
#define QUIC_CONG_ALG_MAX	2

/**
 * struct quic_config - argument of QUIC_SOCKOPT_CONFIG: local settings
 * @version: QUIC version to use (QUIC_VERSION_V1 by default)
 * @plpmtud_probe_interval: path MTU probe interval in microseconds, 0 off
 * @initial_smoothed_rtt: initial RTT estimate in microseconds
 * @payload_cipher_type: TLS_CIPHER_* the handshake should prefer, 0 any
 *	(used by kernel consumers)
 * @congestion_control_algo: QUIC_CONG_ALG_*
 * @validate_peer_address: server: send Retry to validate client addresses
 * @stream_data_nodelay: send stream data without coalescing small writes
 * @receive_session_ticket: client: seconds to wait for a session ticket
 *	after the handshake (used by kernel consumers)
 * @certificate_request: server: 0 ignore, 1 request, 2 require a client
 *	certificate (used by kernel consumers)
 * @reserved: must be zero
 * @keepalive_probe_interval: send a PING after this many microseconds of
 *	idleness, 0 off.  Programs built before this field existed pass
 *	%QUIC_CONFIG_SIZE_VER0 bytes; that is accepted.
 *
 * As for &struct quic_transport_param, setsockopt() takes the fields that
 * are not zero, until the handshake uses them.  A client may give any
 * @version: if the server does not speak it, its Version Negotiation
 * picks QUIC v1 or v2, and getsockopt() then shows that one.
 */
struct quic_config {
	__u32	version;
	__u32	plpmtud_probe_interval;
	__u32	initial_smoothed_rtt;
	__u32	payload_cipher_type;
	__u8	congestion_control_algo;
	__u8	validate_peer_address;
	__u8	stream_data_nodelay;
	__u8	receive_session_ticket;
	__u8	certificate_request;
	__u8	reserved[3];
	__u32	keepalive_probe_interval;
};

#define QUIC_CONFIG_SIZE_VER0	24	/* without keepalive_probe_interval */

/**
 * struct quic_crypto_secret - argument of QUIC_SOCKOPT_CRYPTO_SECRET
 * @send: non-zero for the secret that protects packets we send
 * @level: &enum quic_crypto_level of the secret
 * @reserved: must be zero
 * @type: cipher suite, TLS_CIPHER_* from <linux/tls.h>
 * @secret: the traffic secret; 32 bytes for SHA-256 suites, 48 for SHA-384
 */
struct quic_crypto_secret {
	__u8	send;
	__u8	level;
	__u16	reserved;
	__u32	type;
	__u8	secret[QUIC_CRYPTO_SECRET_BUFFER_SIZE];
};

/**
 * struct quic_stream_peeloff - argument of QUIC_SOCKOPT_STREAM_PEELOFF
 * @stream_id: the stream to detach
 * @flags: O_CLOEXEC and O_NONBLOCK for the new descriptor
 * @sd: the new socket descriptor, returned
 */
struct quic_stream_peeloff {
	__s64	stream_id;
	__u32	flags;
	__s32	sd;
};

/**
 * enum quic_event_type - events delivered by recvmsg() with
 *	MSG_QUIC_NOTIFICATION: one type byte, then the payload
 * @QUIC_EVENT_NONE: no event
 * @QUIC_EVENT_STREAM_UPDATE: &struct quic_stream_update
 * @QUIC_EVENT_STREAM_MAX_DATA: &struct quic_stream_max_data
 * @QUIC_EVENT_STREAM_MAX_STREAM: __u64, the new stream limit
 * @QUIC_EVENT_CONNECTION_ID: &struct quic_connection_id_info
 * @QUIC_EVENT_CONNECTION_CLOSE: &struct quic_connection_close
 * @QUIC_EVENT_CONNECTION_MIGRATION: __u8, 1 local, 0 peer migration
 * @QUIC_EVENT_KEY_UPDATE: __u8, the new key phase
 * @QUIC_EVENT_NEW_TOKEN: the token bytes
 * @QUIC_EVENT_NEW_SESSION_TICKET: the TLS NewSessionTicket message
 * @QUIC_EVENT_MAX: number of event types
 */
enum quic_event_type {
	QUIC_EVENT_NONE,
	QUIC_EVENT_STREAM_UPDATE,
	QUIC_EVENT_STREAM_MAX_DATA,
	QUIC_EVENT_STREAM_MAX_STREAM,
	QUIC_EVENT_CONNECTION_ID,
	QUIC_EVENT_CONNECTION_CLOSE,
	QUIC_EVENT_CONNECTION_MIGRATION,
	QUIC_EVENT_KEY_UPDATE,
	QUIC_EVENT_NEW_TOKEN,
	QUIC_EVENT_NEW_SESSION_TICKET,
	QUIC_EVENT_MAX,
};

/**
 * enum quic_stream_state - stream states (RFC 9000 section 3) reported
 *	in &struct quic_stream_update
 * @QUIC_STREAM_SEND_STATE_READY: send side: Ready
 * @QUIC_STREAM_SEND_STATE_SEND: send side: Send
 * @QUIC_STREAM_SEND_STATE_SENT: send side: Data Sent
 * @QUIC_STREAM_SEND_STATE_RECVD: send side: Data Recvd
 * @QUIC_STREAM_SEND_STATE_RESET_SENT: send side: Reset Sent
 * @QUIC_STREAM_SEND_STATE_RESET_RECVD: send side: Reset Recvd
 * @QUIC_STREAM_RECV_STATE_RECV: receive side: Recv
 * @QUIC_STREAM_RECV_STATE_SIZE_KNOWN: receive side: Size Known
 * @QUIC_STREAM_RECV_STATE_RECVD: receive side: Data Recvd
 * @QUIC_STREAM_RECV_STATE_READ: receive side: Data Read
 * @QUIC_STREAM_RECV_STATE_RESET_RECVD: receive side: Reset Recvd
 * @QUIC_STREAM_RECV_STATE_RESET_READ: receive side: Reset Read
 */
enum quic_stream_state {
	QUIC_STREAM_SEND_STATE_READY,
	QUIC_STREAM_SEND_STATE_SEND,
	QUIC_STREAM_SEND_STATE_SENT,
	QUIC_STREAM_SEND_STATE_RECVD,
	QUIC_STREAM_SEND_STATE_RESET_SENT,
	QUIC_STREAM_SEND_STATE_RESET_RECVD,
	QUIC_STREAM_RECV_STATE_RECV,
	QUIC_STREAM_RECV_STATE_SIZE_KNOWN,
	QUIC_STREAM_RECV_STATE_RECVD,
	QUIC_STREAM_RECV_STATE_READ,
	QUIC_STREAM_RECV_STATE_RESET_RECVD,
	QUIC_STREAM_RECV_STATE_RESET_READ,
};

/**
 * struct quic_stream_update - payload of QUIC_EVENT_STREAM_UPDATE
 * @id: the stream
 * @state: its new &enum quic_stream_state
 * @reserved: zero
 * @errcode: the peer's error code for the reset states
 * @finalsz: final size of the stream, where known
 */
struct quic_stream_update {
	__s64	id;
	__u8	state;
	__u8	reserved[3];
	__u32	errcode;
	__u64	finalsz;
};

/**
 * struct quic_stream_max_data - payload of QUIC_EVENT_STREAM_MAX_DATA
 * @id: the stream whose send window opened
 * @max_data: the peer's new limit for the stream
 */
struct quic_stream_max_data {
	__s64	id;
	__u64	max_data;
};

/**
 * union quic_event - payloads of the events
 * @update: QUIC_EVENT_STREAM_UPDATE
 * @max_data: QUIC_EVENT_STREAM_MAX_DATA
 * @close: QUIC_EVENT_CONNECTION_CLOSE
 * @info: QUIC_EVENT_CONNECTION_ID
 * @max_stream: QUIC_EVENT_STREAM_MAX_STREAM
 * @local_migration: QUIC_EVENT_CONNECTION_MIGRATION
 * @key_update_phase: QUIC_EVENT_KEY_UPDATE
 */
union quic_event {
	struct quic_stream_update	update;
	struct quic_stream_max_data	max_data;
	struct quic_connection_close	close;
	struct quic_connection_id_info	info;
	__u64				max_stream;
	__u8				local_migration;
	__u8				key_update_phase;
};

/**
 * enum quic_transport_error - transport error codes (RFC 9000 section 20.1,
 *	RFC 9368 section 10.2)
 * @QUIC_TRANSPORT_ERROR_NONE: no error
 * @QUIC_TRANSPORT_ERROR_INTERNAL: implementation error
 * @QUIC_TRANSPORT_ERROR_CONNECTION_REFUSED: server refuses a connection
 * @QUIC_TRANSPORT_ERROR_FLOW_CONTROL: flow control limit exceeded
 * @QUIC_TRANSPORT_ERROR_STREAM_LIMIT: too many streams opened
 * @QUIC_TRANSPORT_ERROR_STREAM_STATE: frame received in a wrong stream state
 * @QUIC_TRANSPORT_ERROR_FINAL_SIZE: final size changed or exceeded
 * @QUIC_TRANSPORT_ERROR_FRAME_ENCODING: frame badly formatted
 * @QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM: transport parameters invalid
 * @QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT: too many connection IDs
 * @QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION: generic protocol violation
 * @QUIC_TRANSPORT_ERROR_INVALID_TOKEN: invalid Retry or NEW_TOKEN token
 * @QUIC_TRANSPORT_ERROR_APPLICATION: application error (in a transport
 *	CONNECTION_CLOSE)
 * @QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED: too much buffered CRYPTO data
 * @QUIC_TRANSPORT_ERROR_KEY_UPDATE: invalid key update
 * @QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED: AEAD confidentiality or
 *	integrity limit reached
 * @QUIC_TRANSPORT_ERROR_NO_VIABLE_PATH: no usable network path
 * @QUIC_TRANSPORT_ERROR_VERSION_NEGOTIATION: version negotiation failure
 * @QUIC_TRANSPORT_ERROR_CRYPTO: base of the TLS alert codes (0x0100-0x01ff)
 */
enum quic_transport_error {
	QUIC_TRANSPORT_ERROR_NONE			= 0x00,
	QUIC_TRANSPORT_ERROR_INTERNAL			= 0x01,
	QUIC_TRANSPORT_ERROR_CONNECTION_REFUSED		= 0x02,
	QUIC_TRANSPORT_ERROR_FLOW_CONTROL		= 0x03,
	QUIC_TRANSPORT_ERROR_STREAM_LIMIT		= 0x04,
	QUIC_TRANSPORT_ERROR_STREAM_STATE		= 0x05,
	QUIC_TRANSPORT_ERROR_FINAL_SIZE			= 0x06,
	QUIC_TRANSPORT_ERROR_FRAME_ENCODING		= 0x07,
	QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM		= 0x08,
	QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT	= 0x09,
	QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION		= 0x0a,
	QUIC_TRANSPORT_ERROR_INVALID_TOKEN		= 0x0b,
	QUIC_TRANSPORT_ERROR_APPLICATION		= 0x0c,
	QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED	= 0x0d,
	QUIC_TRANSPORT_ERROR_KEY_UPDATE			= 0x0e,
	QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED		= 0x0f,
	QUIC_TRANSPORT_ERROR_NO_VIABLE_PATH		= 0x10,
	QUIC_TRANSPORT_ERROR_VERSION_NEGOTIATION	= 0x11,
	QUIC_TRANSPORT_ERROR_CRYPTO			= 0x0100,
};

#endif /* _UAPI_LINUX_QUIC_H */
