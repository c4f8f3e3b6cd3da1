/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libquic: user-space TLS 1.3 handshake for in-kernel QUIC sockets
 *
 * The kernel QUIC socket carries packets; the TLS handshake runs here, on
 * GnuTLS, and talks to the kernel through sendmsg()/recvmsg() with a
 * QUIC_HANDSHAKE_INFO control message and a few SOL_QUIC socket options
 * (see the QUIC socket API draft, "quic_handshake()").
 *
 * Credentials
 *   PSK mode: the key file holds one line "identity:hexkey", for example
 *	client1:0b1c62a3f8d4e5a6b7c8d9e0f1a2b3c4
 *   (identity without ':', key as an even number of hex digits, the
 *   format of GnuTLS' psktool).  A server's PSK file may hold several such
 *   lines; the client uses the first.
 *   Certificate mode, server: pkey_file and cert_file are PEM files.
 *   Certificate mode, client: hostname is sent as SNI and the server's
 *   certificate is verified against it (without a hostname, only its
 *   chain) with the system trust store, or with the PEM CA file named by
 *   opts->cafile or the QUIC_CAFILE environment variable.
 *   opts->no_verify skips verification (tests only).
 *
 * ALPN lists are comma separated ("h3,smb").  When NULL, the list set on
 * the socket with QUIC_SOCKOPT_ALPN is used (a server's accepted socket
 * inherits the listener's).  When a list is used, ALPN must be negotiated.
 *
 * Installed as <netinet/quic.h> (make install), the name programs written
 * for the original user-space libquic include: the functions and macros
 * they use are all here, with the same prototypes.
 */

#ifndef _QUIC_LIB_QUIC_H
#define _QUIC_LIB_QUIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tls.h>
#include <linux/quic.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>	/* programs of the original API rely on it */

/* Older C libraries and kernel headers do not know the protocol yet. */
#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC	261
#endif
#ifndef SOL_QUIC
#define SOL_QUIC	288
#endif

/*
 * GnuTLS priorities for a session handed to quic_handshake(): TLS 1.3 only,
 * the four cipher suites QUIC has packet protection for, PSK key exchange
 * allowed, and no middlebox compatibility mode (RFC 9001 section 8.4).
 */
#ifndef QUIC_PRIORITY
#define QUIC_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+ECDHE-PSK:-CIPHER-ALL:" \
	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:" \
	"%DISABLE_TLS13_COMPAT_MODE"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct quic_handshake_opts - handshake settings beyond the draft's API
 * @pkey_file: PSK file ("identity:hexkey"), or the server's PEM private
 *	key in certificate mode; NULL on a client for certificate mode
 * @cert_file: server: PEM certificate (chain); NULL for PSK mode.
 *	Ignored by the client.
 * @hostname: client: server name for SNI and certificate verification
 * @alpns: comma-separated ALPN list; NULL takes QUIC_SOCKOPT_ALPN's
 * @cafile: PEM file of CAs to trust; NULL uses QUIC_CAFILE from the
 *	environment, else the system trust store.  A server uses it only to
 *	verify client certificates (CONFIG.certificate_request).
 * @no_verify: client: do not verify the server's certificate
 * @cipher: TLS_CIPHER_* from <linux/tls.h> to force one cipher suite;
 *	0 takes CONFIG.payload_cipher_type, and 0 there allows all four
 *	QUIC suites
 * @session_in: client: session data from an earlier @session_out, to
 *	resume; NULL takes what QUIC_SOCKOPT_SESSION_TICKET holds, if any.
 *	Data GnuTLS does not accept means a full handshake.
 * @session_in_len: its length
 * @session_out: client: buffer for the session data made from the
 *	server's NewSessionTicket, or NULL.  The kernel hands that message
 *	over only with CONFIG.receive_session_ticket (seconds to wait) set;
 *	if it is 0 the library sets it to 3 (or the timeout if shorter).
 * @session_out_len: in: size of @session_out (4096 is plenty); out:
 *	bytes stored, 0 when no ticket came in time or before application
 *	data, or it did not fit.  Tickets never fail the handshake.
 * @early_data: client, with @session_in: offer 0-RTT.  Before the
 *	ClientHello the library queues these bytes with
 *	quic_sendmsg(sd, early_data, len, -1, MSG_QUIC_STREAM_NEW): the
 *	kernel sends them in 0-RTT packets once it has the 0-RTT key, or in
 *	1-RTT ones.  The stream stays open (it is the client's first
 *	bidirectional stream).  If the kernel refuses them, the call fails
 *	with its errno before anything was sent.
 * @early_data_len: its length
 * @timeout_ms: limit for the whole handshake; 0 means 15 seconds
 */
struct quic_handshake_opts {
	const char *pkey_file;
	const char *cert_file;
	const char *hostname;
	const char *alpns;
	const char *cafile;
	int no_verify;
	uint32_t cipher;
	const void *session_in;
	size_t session_in_len;
	void *session_out;
	size_t *session_out_len;
	const void *early_data;
	size_t early_data_len;
	unsigned int timeout_ms;
};

/*
 * The handshake functions return 0 once the handshake is complete, the
 * negotiated ALPN is set on the socket and both 1-RTT secrets are
 * installed in the kernel; or a negative errno:
 *   -EINVAL		bad argument or credential file
 *   -ETIMEDOUT		no progress within the timeout
 *   -ECONNRESET		the peer closed the connection
 *   -EKEYREJECTED	a certificate or key was refused (here or by the
 *			peer, as its TLS alert says)
 *   -ENOPROTOOPT		no common ALPN
 *   -EPROTO		any other TLS or transport parameter failure
 *   -EPROTONOSUPPORT	not a QUIC socket
 *   or the errno of a failed socket call.
 * On failure, a TLS alert is left with QUIC_SOCKOPT_CONNECTION_CLOSE
 * (error code 0x100 + alert) for close() to send.  Several handshakes
 * may run at once in different threads.
 */
int quic_client_handshake(int sd, const char *pkey_file,
			  const char *hostname, const char *alpns);
int quic_server_handshake(int sd, const char *pkey_file,
			  const char *cert_file, const char *alpns);
int quic_client_handshake_opts(int sd, const struct quic_handshake_opts *o);
int quic_server_handshake_opts(int sd, const struct quic_handshake_opts *o);

/*
 * Run the handshake on a session the caller configured (credentials,
 * priorities such as QUIC_PRIORITY, ALPN, resumption data, ...) whose
 * transport is the socket: gnutls_transport_set_int(session, sd).  The
 * library registers the quic_transport_parameters extension (and uses its
 * private data slot, leaving gnutls_session_set_ptr() to the caller), sets
 * the QUIC hooks and replaces the push/pull functions.  The caller's
 * priorities must allow TLS 1.3 only and should contain
 * %DISABLE_TLS13_COMPAT_MODE.
 *
 * Tickets: a server whose session has them enabled
 * (gnutls_session_ticket_enable_server()) sends one NewSessionTicket once
 * the 1-RTT keys are installed, whether or not GNUTLS_NO_AUTO_SEND_TICKET
 * is set.  A client with CONFIG.receive_session_ticket set waits up to
 * that many seconds for a ticket (less if stream data comes first), keeps
 * it in the session for quic_session_get_data() and also stores the
 * session data with QUIC_SOCKOPT_SESSION_TICKET, for kernel consumers.
 * Without that option this kernel drops a client's 1-RTT handshake data,
 * tickets included.
 *
 * Returns 0 or a negative errno, as the functions above.
 */
int quic_handshake(gnutls_session_t session);

/*
 * Session resumption.  quic_session_get_data() copies the data for
 * resuming this session later, made from the ticket the server sent, and
 * sets *size to its length; *size is 0 (and 0 returned) when no ticket
 * has come yet.  It takes a ticket the kernel still queues for the socket
 * (CONFIG.receive_session_ticket) without waiting for one.  Returns
 * -ENOSPC with the needed size in *size if @data is too small.
 * quic_session_set_data() installs such data in a client session before
 * quic_handshake(); data GnuTLS cannot use fails with -EINVAL.
 */
int quic_session_get_data(gnutls_session_t session, void *data, size_t *size);
int quic_session_set_data(gnutls_session_t session, const void *data,
			  size_t size);

/*
 * ALPN on a session for quic_handshake().  quic_session_set_alpn() takes a
 * comma-separated list ("h3,smb", not NUL-terminated necessarily; spaces
 * after commas are skipped) and makes a common protocol mandatory.
 * quic_session_get_alpn() copies the negotiated protocol, sets *size to
 * its length and adds a NUL when there is room; -ENOENT if none was
 * negotiated, -ENOSPC if @data is too small.
 */
int quic_session_get_alpn(gnutls_session_t session, void *data, size_t *size);
int quic_session_set_alpn(gnutls_session_t session, const void *data,
			  size_t size);

/*
 * Stream data: sendmsg()/recvmsg() with a QUIC_STREAM_INFO control
 * message.  Return the byte count, or -1 with errno set.
 */
ssize_t quic_sendmsg(int sd, const void *msg, size_t len, int64_t sid,
		     uint32_t flags);
ssize_t quic_recvmsg(int sd, void *msg, size_t len, int64_t *sid,
		     uint32_t *flags);

/*
 * Diagnostics.  Levels are syslog's (<syslog.h>): LOG_ERR (3) for faults
 * of the library or its environment, LOG_NOTICE (5) for failed handshakes
 * and why, LOG_INFO (6) for completed ones, LOG_DEBUG (7) for each
 * message, secret and ticket.  Messages at or below the level (LOG_ERR by
 * default; -1 silences everything) go to the function, or to stderr when
 * it is NULL (the default).  Both setters return the previous value.
 * Process-wide; set them before handshakes start.
 */
typedef void (*quic_set_log_func_t)(int level, const char *msg);
quic_set_log_func_t quic_set_log_func(quic_set_log_func_t func);
int quic_set_log_level(int level);

#ifdef __cplusplus
}
#endif

#endif /* _QUIC_LIB_QUIC_H */
