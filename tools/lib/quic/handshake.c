// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic: the TLS 1.3 handshake of in-kernel QUIC sockets, on GnuTLS.
 *
 * Three layers, top to bottom:
 *  - the socket driver (quic_*_handshake*): reads options from the socket,
 *    moves handshake bytes with sendmsg()/recvmsg() and installs secrets
 *    with setsockopt();
 *  - session setup (quic_tls_init): credentials, priorities, ALPN,
 *    tickets, from a struct quic_tls_config;
 *  - the engine (quic_engine_*): GnuTLS' QUIC hooks, reporting through
 *    struct quic_engine_ops and never touching a descriptor, so that
 *    test_engine.c can run two of them against each other in memory.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "engine.h"

#define QUIC_DEFAULT_TIMEOUT_MS	15000
#define QUIC_TICKET_KEY_LEN	64	/* GnuTLS' session ticket key size */
#define QUIC_TICKET_WAIT_S	3	/* default wait for a session ticket */
#define QUIC_SESSION_DATA_MAX	4096	/* resumption data from the socket */
#define QUIC_ALPNS_MAX		1024	/* ALPN list from the socket */
#define QUIC_ALPN_PROTOS_MAX	16
#define QUIC_RECV_BUF		65536

/* GnuTLS priorities: TLS 1.3, the QUIC suites in order of preference */
#define QUIC_PRIORITY_BASE	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL"
#define QUIC_PRIORITY_CIPHERS	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM"
#define QUIC_PRIORITY_NO_COMPAT	"%DISABLE_TLS13_COMPAT_MODE"

/* TLS alert descriptions (RFC 8446 section 6) */
#define TLS_ALERT_BAD_CERTIFICATE	42
#define TLS_ALERT_CERTIFICATE_UNKNOWN	46
#define TLS_ALERT_UNKNOWN_CA		48
#define TLS_ALERT_ACCESS_DENIED		49
#define TLS_ALERT_DECRYPT_ERROR		51
#define TLS_ALERT_PROTOCOL_VERSION	70
#define TLS_ALERT_MISSING_EXTENSION	109
#define TLS_ALERT_NO_APP_PROTOCOL	120

/* ---- diagnostics ------------------------------------------------------- */

/*
 * Process-wide, as in the original library: applications set them once,
 * before any handshake.  By default only LOG_ERR reaches stderr, so that
 * failures a caller expects and handles (a refused certificate, a
 * timeout) stay quiet unless asked for.
 */
static quic_set_log_func_t quic_log_func;
static int quic_log_level = LOG_ERR;

static void quic_log(int level, const char *fmt, ...)
{
	quic_set_log_func_t func = quic_log_func;
	char msg[256];
	va_list ap;

	if (level > quic_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* long ones are cut */
	va_end(ap);
	if (func)
		func(level, msg);
	else
		fprintf(stderr, "libquic: %s\n", msg);
}

quic_set_log_func_t quic_set_log_func(quic_set_log_func_t func)
{
	quic_set_log_func_t old = quic_log_func;

	quic_log_func = func;
	return old;
}

int quic_set_log_level(int level)
{
	int old = quic_log_level;

	quic_log_level = level;
	return old;
}

/* ---- mappings ---------------------------------------------------------- */

static int quic_level_from_gnutls(gnutls_record_encryption_level_t level)
{
	switch (level) {
	case GNUTLS_ENCRYPTION_LEVEL_INITIAL:
		return QUIC_CRYPTO_INITIAL;
	case GNUTLS_ENCRYPTION_LEVEL_EARLY:
		return QUIC_CRYPTO_EARLY;
	case GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE:
		return QUIC_CRYPTO_HANDSHAKE;
	case GNUTLS_ENCRYPTION_LEVEL_APPLICATION:
		return QUIC_CRYPTO_APP;
	}
	return -1;
}

static int quic_level_to_gnutls(uint8_t level,
				gnutls_record_encryption_level_t *out)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
		*out = GNUTLS_ENCRYPTION_LEVEL_INITIAL;
		return 0;
	case QUIC_CRYPTO_EARLY:
		*out = GNUTLS_ENCRYPTION_LEVEL_EARLY;
		return 0;
	case QUIC_CRYPTO_HANDSHAKE:
		*out = GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE;
		return 0;
	case QUIC_CRYPTO_APP:
		*out = GNUTLS_ENCRYPTION_LEVEL_APPLICATION;
		return 0;
	}
	return -EINVAL;
}

/* The kernel names AEADs by their kTLS numbers. */
static uint32_t quic_cipher_from_gnutls(gnutls_cipher_algorithm_t cipher)
{
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		return TLS_CIPHER_AES_GCM_128;
	case GNUTLS_CIPHER_AES_256_GCM:
		return TLS_CIPHER_AES_GCM_256;
	case GNUTLS_CIPHER_AES_128_CCM:
		return TLS_CIPHER_AES_CCM_128;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		return TLS_CIPHER_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

/* GnuTLS priority keyword of a cipher suite; NULL if QUIC can't use it */
static const char *quic_cipher_priority(uint32_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return "+AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:
		return "+AES-256-GCM";
	case TLS_CIPHER_AES_CCM_128:
		return "+AES-128-CCM";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "+CHACHA20-POLY1305";
	default:
		return NULL;
	}
}

static int quic_errno_from_gnutls(int err)
{
	switch (err) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_AGAIN:
		return -EAGAIN;
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_NO_APPLICATION_PROTOCOL:
		return -ENOPROTOOPT;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		return -EKEYREJECTED;
	case GNUTLS_E_FILE_ERROR:
	case GNUTLS_E_BASE64_DECODING_ERROR:
	case GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR:
	case GNUTLS_E_KEYFILE_PARSING_ERROR:
	case GNUTLS_E_PARSING_ERROR:
	case GNUTLS_E_INVALID_REQUEST:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

/* ---- the engine: GnuTLS' QUIC hooks ------------------------------------ */

/*
 * GnuTLS hands its hooks only the session.  The engine rides on the
 * private data slot of the extension it registers, which leaves
 * gnutls_session_set_ptr() to the application of quic_handshake().
 */
static struct quic_engine *quic_engine_of(gnutls_session_t session)
{
	gnutls_ext_priv_data_t priv = NULL;

	if (gnutls_ext_get_data(session, QUIC_TP_EXT_TYPE, &priv) < 0)
		return NULL;
	return priv;
}

/* Remember the first errno a hook hit: it says more than GnuTLS' code. */
static int quic_engine_fail(struct quic_engine *e, int err, int gnutls_err)
{
	if (!e->err)
		e->err = err;
	return gnutls_err;
}

static int quic_hold(struct quic_engine *e, const void *data, size_t len)
{
	uint8_t *p = realloc(e->held, e->held_len + len);

	if (!p)
		return -ENOMEM;
	memcpy(p + e->held_len, data, len);
	e->held = p;
	e->held_len += len;
	return 0;
}

/* A fatal error with the TLS alert that tells the peer about it */
static int quic_engine_refuse(struct quic_engine *e, int err, int alert,
			      int gnutls_err)
{
	if (e->alert < 0)
		e->alert = alert;
	return quic_engine_fail(e, err, gnutls_err);
}

/*
 * Both sides produce Handshake-level output only after they parsed the
 * peer's extensions (server: ClientHello, client: EncryptedExtensions):
 * the point to insist on what QUIC makes mandatory, before anything else
 * goes out: the peer's transport parameters (RFC 9001 section 8.2) and,
 * when we offered ALPN, an agreed protocol (section 8.1).
 */
static int quic_engine_check_peer(struct quic_engine *e)
{
	gnutls_datum_t p;

	if (!e->peer_params)
		return quic_engine_refuse(e, -EPROTO, TLS_ALERT_MISSING_EXTENSION,
					  GNUTLS_E_MISSING_EXTENSION);
	if (e->alpn_required &&
	    (gnutls_alpn_get_selected_protocol(e->session, &p) < 0 || !p.size))
		return quic_engine_refuse(e, -ENOPROTOOPT,
					  TLS_ALERT_NO_APP_PROTOCOL,
					  GNUTLS_E_NO_APPLICATION_PROTOCOL);
	return 0;
}

/* GnuTLS produced a handshake message for the peer ("read" it from us). */
static int quic_hook_output(gnutls_session_t session,
			    gnutls_record_encryption_level_t glevel,
			    gnutls_handshake_description_t htype,
			    const void *data, size_t len)
{
	struct quic_engine *e = quic_engine_of(session);
	int level = quic_level_from_gnutls(glevel);
	int err;

	if (!e)
		return GNUTLS_E_INVALID_REQUEST;
	/* Compatibility mode is off, but a ChangeCipherSpec never goes
	 * into QUIC CRYPTO frames anyway (RFC 9001 section 8.4).
	 */
	if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
		return 0;
	if (level < 0)
		return quic_engine_fail(e, -EPROTO, GNUTLS_E_INTERNAL_ERROR);
	if (!e->fed)
		e->client = true;
	if (level == QUIC_CRYPTO_HANDSHAKE) {
		err = quic_engine_check_peer(e);
		if (err)
			return err;
	}
	/*
	 * 1-RTT output (a server's NewSessionTicket) must not reach the
	 * kernel before the 1-RTT keys do: hold it until finish.
	 */
	if (level == QUIC_CRYPTO_APP && !e->finished) {
		err = quic_hold(e, data, len);
		return err ? quic_engine_fail(e, err, GNUTLS_E_MEMORY_ERROR) : 0;
	}
	quic_log(LOG_DEBUG, "send handshake type %d, %zu bytes, level %d",
		 htype, len, level);
	err = e->ops->send(e->ctx, level, data, len);
	if (err < 0)
		return quic_engine_fail(e, err, GNUTLS_E_PUSH_ERROR);
	return 0;
}

static int quic_secret_one(struct quic_engine *e, int level, bool send,
			   uint32_t type, const void *secret, size_t len)
{
	struct quic_crypto_secret s = {
		.send = send,
		.level = level,
		.type = type,
	};

	memcpy(s.secret, secret, len);
	if (level != QUIC_CRYPTO_APP)
		return e->ops->set_secret(e->ctx, &s);
	/*
	 * The kernel completes the handshake when it gets the 1-RTT
	 * secrets, so they wait for quic_engine_finish().  A second pair
	 * would be a TLS KeyUpdate, which QUIC forbids (RFC 9001 s6).
	 */
	if (e->app_set[send])
		return -EPROTO;
	e->app[send] = s;
	e->app_set[send] = true;
	return 0;
}

static int quic_hook_secret(gnutls_session_t session,
			    gnutls_record_encryption_level_t glevel,
			    const void *rsecret, const void *wsecret, size_t len)
{
	struct quic_engine *e = quic_engine_of(session);
	int level = quic_level_from_gnutls(glevel);
	gnutls_cipher_algorithm_t cipher;
	uint32_t type;
	int err = 0;

	if (!e)
		return GNUTLS_E_INVALID_REQUEST;
	/* The kernel derives Initial keys from the connection ID itself. */
	if (glevel == GNUTLS_ENCRYPTION_LEVEL_INITIAL)
		return 0;
	if (level < 0 || len > sizeof(((struct quic_crypto_secret *)0)->secret))
		return quic_engine_fail(e, -EPROTO, GNUTLS_E_INTERNAL_ERROR);
	/* 0-RTT keys use the suite of the resumed session. */
	if (glevel == GNUTLS_ENCRYPTION_LEVEL_EARLY)
		cipher = gnutls_early_cipher_get(session);
	else
		cipher = gnutls_cipher_get(session);
	type = quic_cipher_from_gnutls(cipher);
	if (!type)
		return quic_engine_fail(e, -EPROTO, GNUTLS_E_UNWANTED_ALGORITHM);

	quic_log(LOG_DEBUG, "secrets for level %d:%s%s, cipher %u", level,
		 wsecret ? " write" : "", rsecret ? " read" : "", type);
	if (wsecret)
		err = quic_secret_one(e, level, true, type, wsecret, len);
	if (!err && rsecret)
		err = quic_secret_one(e, level, false, type, rsecret, len);
	if (err)
		return quic_engine_fail(e, err, GNUTLS_E_INTERNAL_ERROR);
	return 0;
}

/*
 * An alert GnuTLS sends (gnutls_alert_send(), say from an application of
 * quic_handshake()): QUIC has no alert records, the socket driver turns it
 * into the CONNECTION_CLOSE code 0x100 + alert.
 */
static int quic_hook_alert(gnutls_session_t session,
			   gnutls_record_encryption_level_t glevel,
			   gnutls_alert_level_t alert_level,
			   gnutls_alert_description_t alert)
{
	struct quic_engine *e = quic_engine_of(session);

	(void)glevel;
	if (e && alert_level == GNUTLS_AL_FATAL && e->alert < 0)
		e->alert = alert;
	return 0;
}

/* Our quic_transport_parameters, into ClientHello or EncryptedExtensions */
static int quic_tp_send(gnutls_session_t session, gnutls_buffer_t extdata)
{
	struct quic_engine *e = quic_engine_of(session);
	uint8_t buf[QUIC_TP_EXT_MAX];
	int len, ret;

	if (!e)
		return GNUTLS_E_INVALID_REQUEST;
	len = e->ops->get_local_params(e->ctx, buf, sizeof(buf));
	/* Never empty: initial_source_connection_id is mandatory. */
	if (len <= 0)
		return quic_engine_fail(e, len ? len : -EINVAL,
					GNUTLS_E_INTERNAL_ERROR);
	ret = gnutls_buffer_append_data(extdata, buf, len);
	return ret < 0 ? ret : len;
}

static int quic_tp_recv(gnutls_session_t session, const unsigned char *data,
			size_t len)
{
	struct quic_engine *e = quic_engine_of(session);
	int err;

	if (!e)
		return GNUTLS_E_INVALID_REQUEST;
	err = e->ops->set_peer_params(e->ctx, data, len);
	if (err < 0)
		return quic_engine_fail(e, err,
					GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER);
	e->peer_params = true;
	return 0;
}

/*
 * QUIC carries no TLS records.  GnuTLS still writes 0-RTT application
 * data (which only makes it offer early_data) as records through the
 * push function, and polls the pull function when it wants input.
 */
static ssize_t quic_push_discard(gnutls_transport_ptr_t ptr, const void *data,
				 size_t len)
{
	(void)ptr;
	(void)data;
	return len;
}

static ssize_t quic_pull_none(gnutls_transport_ptr_t ptr, void *data,
			      size_t len)
{
	(void)ptr;
	(void)data;
	(void)len;
	errno = EAGAIN;
	return -1;
}

/**
 * quic_engine_init - attach the engine to a configured session
 * @e: engine state, owned by the caller
 * @session: the session; its transport functions are replaced
 * @ops: transport callbacks
 * @ctx: their argument
 *
 * Return: 0 or a negative errno.
 */
int quic_engine_init(struct quic_engine *e, gnutls_session_t session,
		     const struct quic_engine_ops *ops, void *ctx)
{
	const unsigned int flags = GNUTLS_EXT_FLAG_CLIENT_HELLO |
				   GNUTLS_EXT_FLAG_EE | GNUTLS_EXT_FLAG_TLS;
	int ret;

	memset(e, 0, sizeof(*e));
	e->session = session;
	e->ops = ops;
	e->ctx = ctx;
	e->alert = -1;

	ret = gnutls_session_ext_register(session, "quic_transport_parameters",
					  QUIC_TP_EXT_TYPE, GNUTLS_EXT_TLS,
					  quic_tp_recv, quic_tp_send,
					  NULL, NULL, NULL, flags);
	/* A session handed to quic_handshake() twice has it already. */
	if (ret < 0 && ret != GNUTLS_E_ALREADY_REGISTERED)
		return quic_errno_from_gnutls(ret);
	gnutls_ext_set_data(session, QUIC_TP_EXT_TYPE, e);
	if (quic_engine_of(session) != e)
		return -EINVAL;

	gnutls_handshake_set_secret_function(session, quic_hook_secret);
	gnutls_handshake_set_read_function(session, quic_hook_output);
	gnutls_alert_set_read_function(session, quic_hook_alert);
	gnutls_transport_set_push_function(session, quic_push_discard);
	gnutls_transport_set_pull_function(session, quic_pull_none);
	return 0;
}

/**
 * quic_engine_cleanup - detach the engine from its session
 * @e: the engine
 *
 * The session stays usable (and deinit-able) by its owner; the hooks
 * find no engine any more and refuse to act.
 */
void quic_engine_cleanup(struct quic_engine *e)
{
	if (e->session)
		gnutls_ext_set_data(e->session, QUIC_TP_EXT_TYPE, NULL);
	free(e->held);
	e->held = NULL;
	e->held_len = 0;
	e->session = NULL;
}

/*
 * GnuTLS leaves sending an alert to its caller; QUIC sends it as the
 * CONNECTION_CLOSE code 0x100 + alert, so just remember which.
 */
static int quic_engine_error(struct quic_engine *e, int ret)
{
	int alert;

	e->gnutls_err = ret;
	alert = gnutls_error_to_alert(ret, NULL);
	if (e->alert < 0 && alert >= 0)
		e->alert = alert;
	if (e->err)
		return e->err;
	return quic_errno_from_gnutls(ret);
}

/**
 * quic_engine_step - let GnuTLS go as far as it can with its input
 * @e: the engine
 *
 * Return: 1 when the handshake is complete, 0 when more input is needed,
 * or a negative errno.
 */
int quic_engine_step(struct quic_engine *e)
{
	int ret;

	if (e->completed)
		return 1;
	if (e->err)
		return e->err;
	ret = gnutls_handshake(e->session);
	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ||
	    (ret < 0 && !gnutls_error_is_fatal(ret)))
		return e->err ? e->err : 0;
	if (ret < 0)
		return quic_engine_error(e, ret);
	/* RFC 9001 section 4.2: nothing older than TLS 1.3. */
	if (gnutls_protocol_get_version(e->session) != GNUTLS_TLS1_3)
		quic_engine_refuse(e, -EPROTO, TLS_ALERT_PROTOCOL_VERSION, 0);
	else
		quic_engine_check_peer(e);
	if (e->err)
		return e->err;
	e->completed = true;
	return 1;
}

/**
 * quic_engine_feed - give GnuTLS handshake bytes received from the peer
 * @e: the engine
 * @level: QUIC_CRYPTO_* level they arrived at
 * @data: the bytes: any part of one or more handshake messages
 * @len: their length
 *
 * Before completion this also advances the handshake; after it, GnuTLS
 * processes post-handshake messages (NewSessionTicket) on its own.
 *
 * Return: as quic_engine_step().
 */
int quic_engine_feed(struct quic_engine *e, uint8_t level, const void *data,
		     size_t len)
{
	gnutls_record_encryption_level_t glevel;
	int ret;

	if (quic_level_to_gnutls(level, &glevel))
		return -EINVAL;
	if (e->err)
		return e->err;
	quic_log(LOG_DEBUG, "received handshake data, %zu bytes, level %u",
		 len, level);
	e->fed = true;
	ret = gnutls_handshake_write(e->session, glevel, data, len);
	if (ret < 0 && gnutls_error_is_fatal(ret))
		return quic_engine_error(e, ret);
	if (e->err)
		return e->err;
	return quic_engine_step(e);
}

/**
 * quic_engine_finish - install the 1-RTT secrets, write first
 * @e: a completed engine whose output has all been sent
 *
 * Then sends the 1-RTT messages held back meanwhile.
 *
 * Return: 0 or a negative errno.
 */
int quic_engine_finish(struct quic_engine *e)
{
	int err;

	if (!e->completed)
		return -EINVAL;
	if (e->finished)
		return 0;
	if (!e->app_set[1] || !e->app_set[0])
		return -EPROTO;
	err = e->ops->set_secret(e->ctx, &e->app[1]);
	if (!err)
		err = e->ops->set_secret(e->ctx, &e->app[0]);
	if (err)
		return err;
	e->finished = true;
	if (e->held_len) {
		err = e->ops->send(e->ctx, QUIC_CRYPTO_APP, e->held, e->held_len);
		free(e->held);
		e->held = NULL;
		e->held_len = 0;
		if (err < 0)
			return err;
	}
	/*
	 * One ticket, now that it can go out at once in 1-RTT.  A failure
	 * costs the client its resumption, not the connection: ignored.
	 */
	if (e->send_ticket && gnutls_session_ticket_send(e->session, 1, 0) < 0)
		quic_log(LOG_NOTICE, "no session ticket could be sent");
	return 0;
}

/**
 * quic_engine_has_ticket - has a client processed a NewSessionTicket?
 * @e: the engine
 */
bool quic_engine_has_ticket(struct quic_engine *e)
{
	return gnutls_session_get_flags(e->session) & GNUTLS_SFLAGS_SESSION_TICKET;
}

/**
 * quic_engine_alpn - the negotiated ALPN as a C string
 * @e: the engine
 * @buf: where to put it
 * @len: size of @buf
 *
 * Return: its length, 0 if none was negotiated, or -ENOSPC.
 */
int quic_engine_alpn(struct quic_engine *e, char *buf, size_t len)
{
	gnutls_datum_t p;

	if (gnutls_alpn_get_selected_protocol(e->session, &p) < 0 || !p.size)
		return 0;
	if (p.size >= len)
		return -ENOSPC;
	memcpy(buf, p.data, p.size);
	buf[p.size] = '\0';
	return p.size;
}

/* ---- session setup ----------------------------------------------------- */

static int quic_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Read "identity:hexkey" from the first line of @path.  On success
 * *line holds the line, cut in two: *identity and *hexkey point into it.
 */
static int quic_psk_read(const char *path, char **line, char **identity,
			 char **hexkey)
{
	size_t cap = 0, i, n;
	char *buf = NULL, *key;
	ssize_t len;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	len = getline(&buf, &cap, f);
	fclose(f);
	if (len < 0) {
		free(buf);
		return -EINVAL;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	key = strchr(buf, ':');
	if (!key || key == buf)
		goto bad;
	*key++ = '\0';
	n = strlen(key);
	if (!n || n % 2)
		goto bad;
	for (i = 0; i < n; i++)
		if (quic_hexval((unsigned char)key[i]) < 0)
			goto bad;
	*line = buf;
	*identity = buf;
	*hexkey = key;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

static int quic_psk_client(struct quic_tls *t, const char *path)
{
	char *line, *identity, *hexkey;
	gnutls_datum_t key;
	int ret;

	ret = quic_psk_read(path, &line, &identity, &hexkey);
	if (ret)
		return ret;
	ret = gnutls_psk_allocate_client_credentials(&t->psk_client);
	if (ret >= 0) {
		key.data = (unsigned char *)hexkey;
		key.size = strlen(hexkey);
		ret = gnutls_psk_set_client_credentials(t->psk_client, identity,
							&key, GNUTLS_PSK_KEY_HEX);
	}
	if (ret >= 0)
		ret = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK,
					     t->psk_client);
	free(line);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

static int quic_psk_server(struct quic_tls *t, const char *path)
{
	char *line, *identity, *hexkey;
	int ret;

	/* GnuTLS reads the file per handshake; check its format now. */
	ret = quic_psk_read(path, &line, &identity, &hexkey);
	if (ret)
		return ret;
	free(line);
	ret = gnutls_psk_allocate_server_credentials(&t->psk_server);
	if (ret >= 0)
		ret = gnutls_psk_set_server_credentials_file(t->psk_server, path);
	if (ret >= 0)
		ret = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK,
					     t->psk_server);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

static int quic_trust(struct quic_tls *t, const char *cafile)
{
	int ret;

	if (!cafile)
		cafile = getenv("QUIC_CAFILE");
	if (cafile && *cafile) {
		ret = gnutls_certificate_set_x509_trust_file(t->cert, cafile,
							     GNUTLS_X509_FMT_PEM);
		if (ret == 0)	/* no certificate in the file */
			return -EINVAL;
	} else {
		ret = gnutls_certificate_set_x509_system_trust(t->cert);
		/* An empty system store is not an error until we verify. */
	}
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

/* SNI carries DNS names only (RFC 6066 section 3). */
static bool quic_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

static int quic_cert_client(struct quic_tls *t, const struct quic_tls_config *c)
{
	const char *host = c->o.hostname;
	int ret;

	ret = gnutls_certificate_allocate_credentials(&t->cert);
	if (ret < 0)
		return quic_errno_from_gnutls(ret);
	if (!c->o.no_verify) {
		ret = quic_trust(t, c->o.cafile);
		if (ret)
			return ret;
		/* With host NULL the chain is still verified, not the name. */
		gnutls_session_set_verify_cert(t->session, host, 0);
	}
	if (host && *host && !quic_is_ip(host)) {
		ret = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, host,
					     strlen(host));
		if (ret < 0)
			return quic_errno_from_gnutls(ret);
	}
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cert);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

static int quic_cert_server(struct quic_tls *t, const struct quic_tls_config *c)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(&t->cert);
	if (ret < 0)
		return quic_errno_from_gnutls(ret);
	ret = gnutls_certificate_set_x509_key_file(t->cert, c->o.cert_file,
						   c->o.pkey_file,
						   GNUTLS_X509_FMT_PEM);
	if (ret < 0)
		return quic_errno_from_gnutls(ret);
	if (c->cert_request) {
		ret = quic_trust(t, c->o.cafile);
		if (ret)
			return ret;
		gnutls_certificate_server_set_request(t->session,
						      c->cert_request > 1 ?
						      GNUTLS_CERT_REQUIRE :
						      GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_cert(t->session, NULL, 0);
	}
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cert);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

/*
 * TLS 1.3 only, the four suites QUIC defines packet protection for (or the
 * one asked for), and no middlebox compatibility mode: QUIC never sends
 * ChangeCipherSpec nor a legacy session ID (RFC 9001 section 8.4).
 */
static int quic_priority(struct quic_tls *t, uint32_t cipher, bool psk)
{
	const char *ciphers = QUIC_PRIORITY_CIPHERS;
	const char *kx = psk ? ":+ECDHE-PSK:+DHE-PSK:+PSK" : "";
	char prio[256];
	int ret;

	if (cipher) {
		ciphers = quic_cipher_priority(cipher);
		if (!ciphers)
			return -EINVAL;
	}
	snprintf(prio, sizeof(prio), QUIC_PRIORITY_BASE ":%s%s:%s", ciphers, kx,
		 QUIC_PRIORITY_NO_COMPAT);
	ret = gnutls_priority_set_direct(t->session, prio, NULL);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

/* "a,b,c" to a GnuTLS protocol list; GnuTLS copies the names. */
static int quic_alpn_set(gnutls_session_t session, const char *alpns)
{
	gnutls_datum_t protos[QUIC_ALPN_PROTOS_MAX];
	char *copy, *p, *comma;
	unsigned int n = 0;
	int ret = 0;

	copy = strdup(alpns);
	if (!copy)
		return -ENOMEM;
	for (p = copy; p; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		if (!*p || n == QUIC_ALPN_PROTOS_MAX) {
			ret = -EINVAL;
			goto out;
		}
		protos[n].data = (unsigned char *)p;
		protos[n++].size = strlen(p);
	}
	/* RFC 9001 section 8.1: no common protocol, no connection. */
	ret = gnutls_alpn_set_protocols(session, protos, n,
					GNUTLS_ALPN_MANDATORY);
	ret = ret < 0 ? quic_errno_from_gnutls(ret) : 0;
out:
	free(copy);
	return ret;
}

/*
 * 0-RTT anti-replay (RFC 8446 section 8).  GnuTLS accepts early data only
 * on sessions with an anti-replay context: it checks the ticket's age and
 * asks a store whether it saw this ClientHello before.  The context and
 * the store are per process (a forking server gets a copy per child) and
 * refuse tickets issued before the process first needed them.  A full
 * store refuses 0-RTT (the handshake goes on in 1-RTT) rather than forget.
 */
#define QUIC_REPLAY_SLOTS	1024
#define QUIC_REPLAY_HASH	32

struct quic_replay_entry {
	time_t expires;
	uint8_t hash[QUIC_REPLAY_HASH];
};

static struct quic_replay_entry quic_replay_store[QUIC_REPLAY_SLOTS];
static pthread_mutex_t quic_replay_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t quic_replay_once = PTHREAD_ONCE_INIT;
static gnutls_anti_replay_t quic_anti_replay;

static int quic_replay_add(void *ptr, time_t expires, const gnutls_datum_t *key,
			   const gnutls_datum_t *data)
{
	struct quic_replay_entry *e, *slot = NULL;
	uint8_t hash[QUIC_REPLAY_HASH];
	time_t now = time(NULL);
	int ret = 0, i;

	(void)ptr;
	(void)data;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, hash) < 0)
		return GNUTLS_E_DB_ENTRY_EXISTS;
	pthread_mutex_lock(&quic_replay_lock);
	for (i = 0; i < QUIC_REPLAY_SLOTS; i++) {
		e = &quic_replay_store[i];
		if (e->expires <= now) {
			if (!slot)
				slot = e;
			continue;
		}
		if (!memcmp(e->hash, hash, sizeof(hash))) {
			ret = GNUTLS_E_DB_ENTRY_EXISTS;
			break;
		}
	}
	if (!ret && !slot)
		ret = GNUTLS_E_DB_ENTRY_EXISTS;
	if (!ret) {
		slot->expires = expires;
		memcpy(slot->hash, hash, sizeof(hash));
	}
	pthread_mutex_unlock(&quic_replay_lock);
	return ret;
}

static void quic_replay_init(void)
{
	if (gnutls_anti_replay_init(&quic_anti_replay) < 0) {
		quic_anti_replay = NULL;
		return;
	}
	gnutls_anti_replay_set_add_function(quic_anti_replay, quic_replay_add);
}

/* Without it, the server just declines 0-RTT. */
static void quic_replay_enable(gnutls_session_t session)
{
	pthread_once(&quic_replay_once, quic_replay_init);
	if (quic_anti_replay)
		gnutls_anti_replay_enable(session, quic_anti_replay);
}

/* Client resumption and 0-RTT offer; bad session data means full handshake */
static int quic_resume(struct quic_tls *t, const struct quic_tls_config *c)
{
	ssize_t ret;

	if (!c->o.session_in || !c->o.session_in_len)
		return 0;
	if (gnutls_session_set_data(t->session, c->o.session_in,
				    c->o.session_in_len) < 0)
		return 0;
	if (!c->o.early_data || !c->o.early_data_len)
		return 0;
	/* Only makes GnuTLS offer early_data: QUIC carries the bytes. */
	ret = gnutls_record_send_early_data(t->session, c->o.early_data,
					    c->o.early_data_len);
	return ret < 0 ? quic_errno_from_gnutls(ret) : 0;
}

static int quic_tls_setup(struct quic_tls *t, const struct quic_tls_config *c)
{
	const struct quic_handshake_opts *o = &c->o;
	bool psk = c->server ? !o->cert_file : !!o->pkey_file;
	int ret;

	ret = quic_priority(t, o->cipher, psk);
	if (ret)
		return ret;
	if (psk && !o->pkey_file)
		return -EINVAL;
	if (!psk && c->server && !o->pkey_file)
		return -EINVAL;
	if (psk)
		ret = c->server ? quic_psk_server(t, o->pkey_file) :
				  quic_psk_client(t, o->pkey_file);
	else
		ret = c->server ? quic_cert_server(t, c) : quic_cert_client(t, c);
	if (ret)
		return ret;
	if (o->alpns && *o->alpns) {
		ret = quic_alpn_set(t->session, o->alpns);
		if (ret)
			return ret;
		t->alpn = true;
	}
	if (c->server && c->ticket_key) {
		gnutls_datum_t key = {
			.data = (unsigned char *)c->ticket_key,
			.size = c->ticket_key_len,
		};

		ret = gnutls_session_ticket_enable_server(t->session, &key);
		if (ret < 0)
			return quic_errno_from_gnutls(ret);
		/* RFC 9001 section 4.6.1: tickets allow 0-RTT this way. */
		gnutls_record_set_max_early_data_size(t->session, 0xffffffffu);
		quic_replay_enable(t->session);
		t->ticket = true;
	}
	if (!c->server)
		return quic_resume(t, c);
	return 0;
}

/**
 * quic_tls_init - build a QUIC-ready GnuTLS session
 * @t: filled in; release with quic_tls_deinit() whatever the result
 * @c: the configuration
 *
 * Return: 0 or a negative errno.
 */
int quic_tls_init(struct quic_tls *t, const struct quic_tls_config *c)
{
	unsigned int flags = GNUTLS_NO_END_OF_EARLY_DATA;
	int ret;

	memset(t, 0, sizeof(*t));
	/*
	 * A server sends its ticket itself, after the handshake, instead of
	 * GnuTLS' two during it: a client reading tickets from the socket
	 * then knows when it is done (quic_engine.send_ticket).
	 */
	if (c->server)
		flags |= GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA;
	else
		flags |= GNUTLS_CLIENT;
	if (c->server && c->ticket_key)
		flags |= GNUTLS_NO_AUTO_SEND_TICKET;
	if (!c->server && c->o.early_data)
		flags |= GNUTLS_ENABLE_EARLY_DATA;
	ret = gnutls_init(&t->session, flags);
	if (ret < 0) {
		t->session = NULL;
		return quic_errno_from_gnutls(ret);
	}
	return quic_tls_setup(t, c);
}

/**
 * quic_tls_deinit - free what quic_tls_init() built
 * @t: the session and credentials
 */
void quic_tls_deinit(struct quic_tls *t)
{
	if (t->session)
		gnutls_deinit(t->session);
	if (t->cert)
		gnutls_certificate_free_credentials(t->cert);
	if (t->psk_client)
		gnutls_psk_free_client_credentials(t->psk_client);
	if (t->psk_server)
		gnutls_psk_free_server_credentials(t->psk_server);
	memset(t, 0, sizeof(*t));
}

/* ---- the socket transport ---------------------------------------------- */

/**
 * struct quic_sock - the kernel socket as an engine transport
 * @fd: the QUIC socket
 * @deadline: CLOCK_MONOTONIC milliseconds after which waiting fails
 */
struct quic_sock {
	int fd;
	int64_t deadline;
};

static int64_t quic_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @events until the deadline: 0, -ETIMEDOUT or -errno. */
static int quic_sock_wait(struct quic_sock *qs, short events)
{
	struct pollfd p = { .fd = qs->fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = qs->deadline - quic_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int quic_sock_send(void *ctx, uint8_t level, const void *data,
			  size_t len)
{
	struct quic_sock *qs = ctx;
	struct quic_handshake_info info = { .crypto_level = level };
	char cbuf[CMSG_SPACE(sizeof(info))] = {};
	struct iovec iov;
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	ssize_t n;
	int err;

	cm->cmsg_level = SOL_QUIC;
	cm->cmsg_type = QUIC_HANDSHAKE_INFO;
	cm->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(cm), &info, sizeof(info));

	while (len) {
		iov.iov_base = (void *)data;
		iov.iov_len = len;
		n = sendmsg(qs->fd, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			err = quic_sock_wait(qs, POLLOUT);
			if (err)
				return err;
			continue;
		}
		data = (const uint8_t *)data + n;
		len -= n;
	}
	return 0;
}

static int quic_sock_set_secret(void *ctx, const struct quic_crypto_secret *s)
{
	struct quic_sock *qs = ctx;

	if (setsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET, s,
		       sizeof(*s)))
		return -errno;
	return 0;
}

static int quic_sock_set_peer_params(void *ctx, const void *data, size_t len)
{
	struct quic_sock *qs = ctx;

	if (setsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
		       data, len))
		return -errno;
	return 0;
}

static int quic_sock_get_local_params(void *ctx, void *buf, size_t len)
{
	struct quic_sock *qs = ctx;
	socklen_t l = len;

	if (getsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
		       buf, &l))
		return -errno;
	return l;
}

static const struct quic_engine_ops quic_sock_ops = {
	.send = quic_sock_send,
	.set_secret = quic_sock_set_secret,
	.set_peer_params = quic_sock_set_peer_params,
	.get_local_params = quic_sock_get_local_params,
};

/* The peer closed during the handshake: say why if it sent a TLS alert. */
static int quic_sock_closed(struct quic_sock *qs)
{
	struct quic_connection_close c = {};
	socklen_t len = sizeof(c);
	uint32_t alert;

	if (getsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c,
		       &len) ||
	    c.errcode < QUIC_TRANSPORT_ERROR_CRYPTO ||
	    c.errcode > QUIC_TRANSPORT_ERROR_CRYPTO + 0xff)
		return -ECONNRESET;
	alert = c.errcode - QUIC_TRANSPORT_ERROR_CRYPTO;
	switch (alert) {
	case TLS_ALERT_NO_APP_PROTOCOL:
		return -ENOPROTOOPT;
	case TLS_ALERT_UNKNOWN_CA:
	case TLS_ALERT_ACCESS_DENIED:
	case TLS_ALERT_DECRYPT_ERROR:
		return -EKEYREJECTED;
	default:
		break;
	}
	/* bad, unsupported, revoked, expired or unknown certificate */
	if (alert >= TLS_ALERT_BAD_CERTIFICATE &&
	    alert <= TLS_ALERT_CERTIFICATE_UNKNOWN)
		return -EKEYREJECTED;
	return -EPROTO;
}

enum quic_rcv_kind {
	QUIC_RCV_NONE,		/* no QUIC cmsg: end of file, or a datagram */
	QUIC_RCV_HANDSHAKE,
	QUIC_RCV_EVENT,
	QUIC_RCV_OTHER,		/* stream data */
};

/* One non-blocking recvmsg(), sorted by what it returned */
static ssize_t quic_sock_recv_once(int fd, void *buf, size_t size, int flags,
				   uint8_t *level, enum quic_rcv_kind *kind)
{
	char cbuf[CMSG_SPACE(sizeof(struct quic_handshake_info)) +
		  CMSG_SPACE(sizeof(struct quic_stream_info))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct quic_handshake_info info;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(fd, &m, flags | MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*kind = QUIC_RCV_NONE;
	if (m.msg_flags & MSG_QUIC_NOTIFICATION)
		*kind = QUIC_RCV_EVENT;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_QUIC)
			continue;
		if (cm->cmsg_type != QUIC_HANDSHAKE_INFO) {
			*kind = QUIC_RCV_OTHER;
			continue;
		}
		memcpy(&info, CMSG_DATA(cm), sizeof(info));
		*level = info.crypto_level;
		*kind = QUIC_RCV_HANDSHAKE;
	}
	if (m.msg_flags & MSG_QUIC_DATAGRAM)
		*kind = QUIC_RCV_OTHER;
	/* A handshake chunk cut short would be lost: never expected. */
	if (!(flags & MSG_PEEK) && (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	return n;
}

/*
 * The next chunk of handshake bytes and its level, waiting until the
 * deadline.  Events are not ours but cannot be put back: they are
 * skipped.  Other data is either refused (-EPROTO: the contract keeps it
 * away during the handshake) or, with @only_handshake, left in place for
 * the application (-ENOMSG) after a look with MSG_PEEK.
 */
static ssize_t quic_sock_recv(struct quic_sock *qs, void *buf, size_t size,
			      uint8_t *level, bool only_handshake)
{
	enum quic_rcv_kind kind;
	uint8_t peek;
	ssize_t n;
	int err;

	for (;;) {
		if (only_handshake) {
			n = quic_sock_recv_once(qs->fd, &peek, 1, MSG_PEEK,
						level, &kind);
			if (n >= 0 && kind != QUIC_RCV_HANDSHAKE &&
			    kind != QUIC_RCV_EVENT && (n || kind != QUIC_RCV_NONE))
				return -ENOMSG;
		}
		n = quic_sock_recv_once(qs->fd, buf, size, 0, level, &kind);
		if (n == -EAGAIN || n == -EINTR) {
			err = n == -EAGAIN ? quic_sock_wait(qs, POLLIN) : 0;
			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return n;
		if (kind == QUIC_RCV_EVENT)
			continue;
		if (!n && kind == QUIC_RCV_NONE)
			return quic_sock_closed(qs);
		if (kind != QUIC_RCV_HANDSHAKE)
			return -EPROTO;
		if (n)
			return n;
	}
}

/* Let the CONNECTION_CLOSE sent on close() carry our TLS alert. */
static void quic_sock_report_alert(struct quic_sock *qs, int alert)
{
	struct quic_connection_close c = {
		.errcode = QUIC_TRANSPORT_ERROR_CRYPTO + alert,
	};

	if (alert < 0)
		return;
	snprintf((char *)c.phrase, sizeof(c.phrase), "TLS alert %d", alert);
	setsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c,
		   sizeof(c));
}

/* Feed received handshake bytes until the engine says it is complete. */
static int quic_sock_until_complete(struct quic_sock *qs, struct quic_engine *e,
				    uint8_t *buf)
{
	uint8_t level;
	ssize_t n;
	int ret;

	ret = quic_engine_step(e);
	while (!ret) {
		n = quic_sock_recv(qs, buf, QUIC_RECV_BUF, &level, false);
		if (n < 0)
			return n;
		ret = quic_engine_feed(e, level, buf, n);
	}
	return ret < 0 ? ret : 0;
}

/* Tell the kernel the negotiated ALPN, so getsockopt(ALPN) returns it. */
static int quic_sock_set_alpn(struct quic_sock *qs, struct quic_engine *e)
{
	char alpn[256];
	int len;

	len = quic_engine_alpn(e, alpn, sizeof(alpn));
	if (len <= 0)
		return len;
	if (setsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn, len))
		return -errno;
	return 0;
}

/**
 * struct quic_run - what the socket driver does around the engine
 * @timeout_ms: handshake time limit
 * @alpn_required: we offered ALPN, so one must be chosen
 * @send_ticket: server: send a session ticket after the handshake
 * @ticket_secs: client: seconds to wait for a session ticket, 0 none
 * @ticket_to_kernel: store the session data with SESSION_TICKET
 * @session_out: where to copy it, or NULL
 * @session_out_len: where to store its length, zeroed before the start
 * @session_room: size of @session_out
 * @server_ticket: a server whose session has tickets enabled sends one,
 *	unless GnuTLS made its own (without GNUTLS_NO_AUTO_SEND_TICKET)
 */
struct quic_run {
	unsigned int timeout_ms;
	bool alpn_required;
	bool send_ticket;
	unsigned int ticket_secs;
	bool ticket_to_kernel;
	void *session_out;
	size_t *session_out_len;
	size_t session_room;
	bool server_ticket;
};

/*
 * Client, after the handshake: wait up to @r->ticket_secs for a
 * NewSessionTicket at the 1-RTT level and export the resumption data it
 * makes, to the kernel (consumers read it with QUIC_SOCKOPT_SESSION_TICKET)
 * and/or to @r->session_out.  A ticket is a bonus: no ticket in time,
 * application data arriving first, a closed connection or too small a
 * buffer all just leave the length 0.
 */
static void quic_sock_ticket(struct quic_sock *qs, struct quic_engine *e,
			     uint8_t *buf, const struct quic_run *r)
{
	gnutls_datum_t data = {};
	uint8_t level;
	ssize_t n;

	qs->deadline = quic_now_ms() + (int64_t)r->ticket_secs * 1000;
	while (!quic_engine_has_ticket(e)) {
		n = quic_sock_recv(qs, buf, QUIC_RECV_BUF, &level, true);
		if (n < 0)
			return;
		if (level == QUIC_CRYPTO_APP &&
		    quic_engine_feed(e, level, buf, n) < 0)
			return;
	}
	if (gnutls_session_get_data2(e->session, &data) < 0)
		return;
	quic_log(LOG_DEBUG, "session ticket received, %u bytes of session data",
		 data.size);
	if (r->ticket_to_kernel)
		setsockopt(qs->fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			   data.data, data.size);
	if (r->session_out && data.size <= r->session_room) {
		memcpy(r->session_out, data.data, data.size);
		*r->session_out_len = data.size;
	}
	gnutls_free(data.data);
}

static int quic_sock_handshake(int fd, gnutls_session_t session,
			       const struct quic_run *r)
{
	struct quic_sock qs = { .fd = fd };
	struct quic_engine e;
	uint8_t *buf;
	int ret;

	qs.deadline = quic_now_ms() +
		      (r->timeout_ms ? r->timeout_ms : QUIC_DEFAULT_TIMEOUT_MS);
	buf = malloc(QUIC_RECV_BUF);
	if (!buf) {
		quic_log(LOG_ERR, "out of memory for the handshake");
		return -ENOMEM;
	}
	ret = quic_engine_init(&e, session, &quic_sock_ops, &qs);
	e.alpn_required = r->alpn_required;
	e.send_ticket = r->send_ticket;
	if (!ret)
		ret = quic_sock_until_complete(&qs, &e, buf);
	/*
	 * GnuTLS' own tickets (if it made any) wait in e.held; without
	 * them, one of ours.  A server without a ticket key sends none:
	 * GnuTLS then declines quietly.
	 */
	if (!ret && r->server_ticket && !e.client && !e.held_len)
		e.send_ticket = true;
	/* Every byte is out (sends are synchronous): the ALPN, then keys. */
	if (!ret)
		ret = quic_sock_set_alpn(&qs, &e);
	if (!ret)
		ret = quic_engine_finish(&e);
	/* Only a client gets tickets; only a client speaks first. */
	if (!ret && r->ticket_secs && e.client)
		quic_sock_ticket(&qs, &e, buf, r);
	if (ret && !e.finished)
		quic_sock_report_alert(&qs, e.alert);
	if (ret)
		quic_log(LOG_NOTICE, "%s handshake failed: %s%s%s%s",
			 e.client ? "client" : "server", strerror(-ret),
			 e.gnutls_err ? " (" : "",
			 e.gnutls_err ? gnutls_strerror(e.gnutls_err) : "",
			 e.gnutls_err ? ")" : "");
	else
		quic_log(LOG_INFO, "%s handshake complete%s",
			 e.client ? "client" : "server",
			 gnutls_session_is_resumed(session) ? ", resumed" : "");
	quic_engine_cleanup(&e);
	free(buf);
	return ret;
}

/* Read CONFIG, which also tells whether @fd is a QUIC socket at all. */
static int quic_sock_config(int fd, struct quic_config *cfg)
{
	socklen_t len = sizeof(*cfg);

	memset(cfg, 0, sizeof(*cfg));
	if (!getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, cfg, &len))
		return 0;
	if (errno == ENOPROTOOPT || errno == EOPNOTSUPP)
		return -EPROTONOSUPPORT;
	return -errno;
}

/* Read a byte-string option; 0 bytes if unset or unavailable. */
static size_t quic_sock_bytes(int fd, int opt, void *buf, size_t size)
{
	socklen_t len = size;

	if (getsockopt(fd, SOL_QUIC, opt, buf, &len))
		return 0;
	return len;
}

/*
 * A client that wants ticket data out needs the kernel to hand over
 * 1-RTT handshake messages: that is what CONFIG.receive_session_ticket
 * (seconds to wait) asks for.  A server sends its ticket with the end of
 * the handshake, so a short wait will do: a server without tickets then
 * costs little.
 */
static unsigned int quic_sock_want_tickets(int fd, struct quic_config *cfg,
					   unsigned int timeout_ms)
{
	unsigned int secs = (timeout_ms + 999) / 1000;

	if (cfg->receive_session_ticket)
		return cfg->receive_session_ticket;
	cfg->receive_session_ticket = secs < QUIC_TICKET_WAIT_S ? secs :
				      QUIC_TICKET_WAIT_S;
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, cfg, sizeof(*cfg)))
		return 0;
	return cfg->receive_session_ticket;
}

static int quic_handshake_fd(int fd, const struct quic_handshake_opts *o,
			     bool server)
{
	uint8_t session[QUIC_SESSION_DATA_MAX], key[QUIC_TICKET_KEY_LEN];
	struct quic_tls_config c = { .server = server };
	struct quic_run r = {};
	char alpns[QUIC_ALPNS_MAX];
	struct quic_config cfg;
	struct quic_tls t;
	size_t len;
	int ret;

	if (fd < 0 || !o)
		return -EINVAL;
	c.o = *o;
	if (!c.o.timeout_ms)
		c.o.timeout_ms = QUIC_DEFAULT_TIMEOUT_MS;
	ret = quic_sock_config(fd, &cfg);
	if (ret)
		return ret;
	if (!c.o.cipher)
		c.o.cipher = cfg.payload_cipher_type;
	if (!c.o.alpns) {
		len = quic_sock_bytes(fd, QUIC_SOCKOPT_ALPN, alpns,
				      sizeof(alpns) - 1);
		alpns[len] = '\0';
		c.o.alpns = len ? alpns : NULL;
	}
	if (server) {
		len = quic_sock_bytes(fd, QUIC_SOCKOPT_SESSION_TICKET, key,
				      sizeof(key));
		if (len == sizeof(key)) {
			c.ticket_key = key;
			c.ticket_key_len = len;
		}
		c.cert_request = cfg.certificate_request;
	} else {
		/* Kernel consumers pass resumption data this way. */
		if (!c.o.session_in) {
			len = quic_sock_bytes(fd, QUIC_SOCKOPT_SESSION_TICKET,
					      session, sizeof(session));
			c.o.session_in = len ? session : NULL;
			c.o.session_in_len = len;
		}
		r.ticket_to_kernel = cfg.receive_session_ticket;
		if (c.o.session_out && c.o.session_out_len)
			r.ticket_secs = quic_sock_want_tickets(fd, &cfg,
							       c.o.timeout_ms);
		else
			r.ticket_secs = cfg.receive_session_ticket;
		if (c.o.session_out && c.o.session_out_len) {
			r.session_out = c.o.session_out;
			r.session_out_len = c.o.session_out_len;
			r.session_room = *c.o.session_out_len;
			*c.o.session_out_len = 0;
		}
	}
	r.timeout_ms = c.o.timeout_ms;

	ret = quic_tls_init(&t, &c);
	if (ret)
		quic_log(ret == -ENOMEM ? LOG_ERR : LOG_NOTICE,
			 "TLS session setup failed: %s", strerror(-ret));
	r.alpn_required = t.alpn;
	r.send_ticket = t.ticket;
	/*
	 * 0-RTT data is stream data: queue it before the ClientHello goes
	 * out, and the kernel sends it once the 0-RTT key is installed.
	 */
	if (!ret && !server && c.o.early_data && c.o.early_data_len &&
	    quic_sendmsg(fd, c.o.early_data, c.o.early_data_len, -1,
			 MSG_QUIC_STREAM_NEW) < 0)
		ret = -errno;
	if (!ret)
		ret = quic_sock_handshake(fd, t.session, &r);
	quic_tls_deinit(&t);
	return ret;
}

/* ---- public API -------------------------------------------------------- */

int quic_client_handshake_opts(int sd, const struct quic_handshake_opts *o)
{
	return quic_handshake_fd(sd, o, false);
}

int quic_server_handshake_opts(int sd, const struct quic_handshake_opts *o)
{
	return quic_handshake_fd(sd, o, true);
}

int quic_client_handshake(int sd, const char *pkey_file, const char *hostname,
			  const char *alpns)
{
	struct quic_handshake_opts o = {
		.pkey_file = pkey_file,
		.hostname = hostname,
		.alpns = alpns,
	};

	return quic_client_handshake_opts(sd, &o);
}

int quic_server_handshake(int sd, const char *pkey_file, const char *cert_file,
			  const char *alpns)
{
	struct quic_handshake_opts o = {
		.pkey_file = pkey_file,
		.cert_file = cert_file,
		.alpns = alpns,
	};

	return quic_server_handshake_opts(sd, &o);
}

int quic_handshake(gnutls_session_t session)
{
	gnutls_session_t s = session;
	struct quic_config cfg;
	struct quic_run r = {};
	int fd, ret;

	if (!s)
		return -EINVAL;
	fd = gnutls_transport_get_int(s);
	ret = quic_sock_config(fd, &cfg);
	if (ret)
		return ret;
	/* A client of a kernel consumer hands the ticket data back. */
	r.ticket_secs = cfg.receive_session_ticket;
	r.ticket_to_kernel = true;
	r.server_ticket = true;
	return quic_sock_handshake(fd, s, &r);
}

ssize_t quic_sendmsg(int sd, const void *msg, size_t len, int64_t sid,
		     uint32_t flags)
{
	struct quic_stream_info info = {
		.stream_id = sid,
		.stream_flags = flags,
	};
	char cbuf[CMSG_SPACE(sizeof(info))] = {};
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	/* Datagrams belong to no stream: no stream info (draft, s. 5.3.1). */
	if (!(flags & MSG_QUIC_DATAGRAM)) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_QUIC;
		cm->cmsg_type = QUIC_STREAM_INFO;
		cm->cmsg_len = CMSG_LEN(sizeof(info));
		memcpy(CMSG_DATA(cm), &info, sizeof(info));
	}
	return sendmsg(sd, &m, flags);
}

ssize_t quic_recvmsg(int sd, void *msg, size_t len, int64_t *sid,
		     uint32_t *flags)
{
	char cbuf[CMSG_SPACE(sizeof(struct quic_stream_info))];
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct quic_stream_info info;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(sd, &m, flags ? *flags : 0);
	if (n < 0)
		return n;
	if (sid)
		*sid = -1;	/* datagrams and events carry no stream */
	if (flags)
		*flags = m.msg_flags;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_QUIC || cm->cmsg_type != QUIC_STREAM_INFO)
			continue;
		memcpy(&info, CMSG_DATA(cm), sizeof(info));
		if (sid)
			*sid = info.stream_id;
		if (flags)
			*flags |= info.stream_flags;
	}
	return n;
}

/* ---- session helpers of the original API ------------------------------- */

/* A TLS handshake message header: type, then a 24-bit length. */
#define TLS_HS_NEW_SESSION_TICKET	4
#define TLS_HS_HEADER_LEN		4

static bool quic_session_has_ticket(gnutls_session_t session)
{
	return gnutls_session_get_flags(session) & GNUTLS_SFLAGS_SESSION_TICKET;
}

/* Give a client session 1-RTT handshake bytes: NewSessionTicket messages. */
static int quic_session_feed(gnutls_session_t session, const void *data,
			     size_t len)
{
	int ret;

	ret = gnutls_handshake_write(session, GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
				     data, len);
	if (ret < 0 && gnutls_error_is_fatal(ret)) {
		quic_log(LOG_NOTICE, "session ticket refused: %s",
			 gnutls_strerror(ret));
		return quic_errno_from_gnutls(ret);
	}
	return 0;
}

/*
 * Tickets the kernel kept for the socket after quic_handshake() returned:
 * a NewSessionTicket message in QUIC_SOCKOPT_SESSION_TICKET (where the
 * draft lets a kernel keep it), or 1-RTT handshake data still queued
 * (CONFIG.receive_session_ticket set, the ticket later than the wait).
 * Never waits, and never takes stream data or events: they are the
 * application's.
 */
static int quic_session_catch_ticket(gnutls_session_t session)
{
	enum quic_rcv_kind kind;
	struct quic_config cfg;
	uint8_t *buf, level, peek;
	size_t len;
	ssize_t n;
	int fd, ret;

	fd = gnutls_transport_get_int(session);
	if (quic_sock_config(fd, &cfg))
		return 0;
	buf = malloc(QUIC_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	ret = 0;
	len = quic_sock_bytes(fd, QUIC_SOCKOPT_SESSION_TICKET, buf,
			      QUIC_SESSION_DATA_MAX);
	if (len > TLS_HS_HEADER_LEN && buf[0] == TLS_HS_NEW_SESSION_TICKET &&
	    ((size_t)buf[1] << 16 | buf[2] << 8 | buf[3]) ==
	    len - TLS_HS_HEADER_LEN)
		ret = quic_session_feed(session, buf, len);
	while (!ret && cfg.receive_session_ticket &&
	       !quic_session_has_ticket(session)) {
		n = quic_sock_recv_once(fd, &peek, 1, MSG_PEEK, &level, &kind);
		if (n <= 0 || kind != QUIC_RCV_HANDSHAKE ||
		    level != QUIC_CRYPTO_APP)
			break;
		n = quic_sock_recv_once(fd, buf, QUIC_RECV_BUF, 0, &level, &kind);
		if (n <= 0)
			break;
		ret = quic_session_feed(session, buf, n);
	}
	free(buf);
	return ret;
}

int quic_session_get_data(gnutls_session_t session, void *data, size_t *size)
{
	gnutls_datum_t d = {};
	int ret;

	if (!session || !size || (!data && *size))
		return -EINVAL;
	if (!quic_session_has_ticket(session)) {
		ret = quic_session_catch_ticket(session);
		if (ret)
			return ret;
	}
	if (!quic_session_has_ticket(session)) {
		quic_log(LOG_DEBUG, "no session ticket yet");
		*size = 0;
		return 0;
	}
	ret = gnutls_session_get_data2(session, &d);
	if (ret < 0)
		return quic_errno_from_gnutls(ret);
	if (d.size > *size) {
		*size = d.size;
		gnutls_free(d.data);
		return -ENOSPC;
	}
	memcpy(data, d.data, d.size);
	*size = d.size;
	gnutls_free(d.data);
	return 0;
}

int quic_session_set_data(gnutls_session_t session, const void *data,
			  size_t size)
{
	int ret;

	if (!session || !data || !size)
		return -EINVAL;
	ret = gnutls_session_set_data(session, data, size);
	if (ret < 0) {
		quic_log(LOG_NOTICE, "session data refused: %s",
			 gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

int quic_session_get_alpn(gnutls_session_t session, void *data, size_t *size)
{
	gnutls_datum_t p;

	if (!session || !data || !size)
		return -EINVAL;
	if (gnutls_alpn_get_selected_protocol(session, &p) < 0 || !p.size)
		return -ENOENT;
	if (p.size > *size)
		return -ENOSPC;
	memcpy(data, p.data, p.size);
	if (p.size < *size)
		((char *)data)[p.size] = '\0';
	*size = p.size;
	return 0;
}

int quic_session_set_alpn(gnutls_session_t session, const void *data,
			  size_t size)
{
	const char *in = data;
	char *list;
	size_t i, n = 0;
	int ret;

	if (!session || !data || !size || size >= QUIC_ALPNS_MAX)
		return -EINVAL;
	list = malloc(size + 1);
	if (!list)
		return -ENOMEM;
	/* "smb, h3" is accepted too: the blank after a comma goes. */
	for (i = 0; i < size && in[i]; i++) {
		if (in[i] == ' ' && (!n || list[n - 1] == ','))
			continue;
		list[n++] = in[i];
	}
	list[n] = '\0';
	ret = n ? quic_alpn_set(session, list) : -EINVAL;
	free(list);
	return ret;
}
