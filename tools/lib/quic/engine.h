/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interface between the GnuTLS side of the QUIC handshake (the
 * "engine") and whatever carries its bytes: the kernel socket in
 * handshake.c, or memory in test_engine.c.  Not installed, not an API.
 *
 * The engine never touches a file descriptor.  Everything it needs from
 * the transport goes through struct quic_engine_ops.
 */

#ifndef _QUIC_ENGINE_H
#define _QUIC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>

#include "quic.h"

/* The quic_transport_parameters TLS extension (RFC 9001 section 8.2) */
#define QUIC_TP_EXT_TYPE	57
/* Room for our own extension body; the kernel's is far smaller. */
#define QUIC_TP_EXT_MAX		1024

/**
 * struct quic_engine_ops - what the engine asks of its transport
 * @send: hand TLS handshake bytes to the peer at a QUIC_CRYPTO_* level
 * @set_secret: install one traffic secret (one level, one direction)
 * @set_peer_params: the peer's quic_transport_parameters extension body
 * @get_local_params: write our extension body into @buf; return its
 *	length or a negative errno
 *
 * Each returns 0 (or a length) on success and a negative errno on failure,
 * which fails the handshake.
 */
struct quic_engine_ops {
	int (*send)(void *ctx, uint8_t level, const void *data, size_t len);
	int (*set_secret)(void *ctx, const struct quic_crypto_secret *s);
	int (*set_peer_params)(void *ctx, const void *data, size_t len);
	int (*get_local_params)(void *ctx, void *buf, size_t len);
};

/**
 * struct quic_engine - one handshake in progress
 * @session: the GnuTLS session driven by the engine
 * @ops: transport callbacks
 * @ctx: their argument
 * @app: APPLICATION secrets, held back until quic_engine_finish()
 *	([0] read, [1] write)
 * @app_set: which of @app GnuTLS has provided
 * @held: APPLICATION-level output produced before quic_engine_finish()
 * @held_len: bytes in @held
 * @alpn_required: set by the caller when it offered ALPN: then one must
 *	be negotiated
 * @send_ticket: set by the caller of a server whose session has tickets
 *	enabled and GNUTLS_NO_AUTO_SEND_TICKET: finish sends one ticket
 * @err: negative errno recorded by a callback, 0 if none
 * @gnutls_err: the GnuTLS error that failed the handshake, 0 if none
 * @alert: TLS alert for the peer (0x100 + alert closes QUIC), -1 if none
 * @peer_params: the peer's transport parameters arrived
 * @fed: input has been given to GnuTLS
 * @client: output came before any input: this is the client side
 * @completed: gnutls_handshake() has returned 0
 * @finished: quic_engine_finish() has run
 */
struct quic_engine {
	gnutls_session_t session;
	const struct quic_engine_ops *ops;
	void *ctx;
	struct quic_crypto_secret app[2];
	bool app_set[2];
	uint8_t *held;
	size_t held_len;
	bool alpn_required;
	bool send_ticket;
	int err;
	int gnutls_err;
	int alert;
	bool peer_params;
	bool fed;
	bool client;
	bool completed;
	bool finished;
};

/**
 * struct quic_tls_config - everything needed to build a TLS session
 * @o: the caller's options, with socket-derived defaults filled in
 *	(alpns from QUIC_SOCKOPT_ALPN, cipher from CONFIG.payload_cipher_type)
 * @server: build a server session
 * @ticket_key: server: 64-byte session ticket key, NULL for no tickets
 * @ticket_key_len: its length
 * @cert_request: server: 0 ignore, 1 request, 2 require a client
 *	certificate (CONFIG.certificate_request)
 */
struct quic_tls_config {
	struct quic_handshake_opts o;
	bool server;
	const void *ticket_key;
	size_t ticket_key_len;
	uint8_t cert_request;
};

/**
 * struct quic_tls - a configured session and the credentials it uses
 * @session: the session
 * @cert: certificate credentials, or NULL
 * @psk_client: client PSK credentials, or NULL
 * @psk_server: server PSK credentials, or NULL
 * @alpn: an ALPN list was set, so quic_engine.alpn_required applies
 * @ticket: server with tickets: quic_engine.send_ticket applies
 */
struct quic_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cert;
	gnutls_psk_client_credentials_t psk_client;
	gnutls_psk_server_credentials_t psk_server;
	bool alpn;
	bool ticket;
};

int quic_tls_init(struct quic_tls *t, const struct quic_tls_config *c);
void quic_tls_deinit(struct quic_tls *t);

int quic_engine_init(struct quic_engine *e, gnutls_session_t session,
		     const struct quic_engine_ops *ops, void *ctx);
void quic_engine_cleanup(struct quic_engine *e);
int quic_engine_step(struct quic_engine *e);
int quic_engine_feed(struct quic_engine *e, uint8_t level,
		     const void *data, size_t len);
int quic_engine_finish(struct quic_engine *e);
bool quic_engine_has_ticket(struct quic_engine *e);
int quic_engine_alpn(struct quic_engine *e, char *buf, size_t len);

#endif /* _QUIC_ENGINE_H */
