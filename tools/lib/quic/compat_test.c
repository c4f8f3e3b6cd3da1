// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * compat_test: a program written for the original user-space libquic API,
 * built against the installed library with nothing but <netinet/quic.h>
 * and `pkg-config --cflags --libs libquic` (make compat-check).
 *
 * It sets up GnuTLS sessions itself, as Samba, tlshd or netperfmeter do
 * (gnutls_init, credentials, QUIC_PRIORITY, quic_session_set_alpn,
 * gnutls_transport_set_int, quic_handshake), then echoes a message over a
 * stream with quic_sendmsg()/quic_recvmsg().  A server process (the
 * parent) and a client (the child) on 127.0.0.1 run three connections:
 *   1. full handshake, the client asks for the server's ticket
 *      (CONFIG.receive_session_ticket) and saves it with
 *      quic_session_get_data();
 *   2. the client installs it with quic_session_set_data(): the
 *      handshake must be a resumption on both sides;
 *   3. full handshake without receive_session_ticket, get_data after a
 *      second as the original examples do: reported, not asserted, as
 *      the kernel may drop the ticket then.
 * A log function set with quic_set_log_func() counts the library's
 * messages: one LOG_INFO per completed handshake is expected.
 *
 *   compat_test CERT.pem KEY.pem
 * CERT is a self-signed certificate for "localhost"; the client trusts it
 * as its CA.  Prints TAP-like "ok"/"not ok" lines; exits 0 if all passed.
 */

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>

#include <netinet/quic.h>

#define ALPNS		"smb, h3"
#define ALPN_CHOSEN	"smb"
#define HOST		"localhost"
#define CONNS		3
#define MSG		"hello from a program of the original libquic API"

static const char *role = "server";
static int failures;
static int log_info, log_debug, log_other;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "ok" : "not ok", role);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* The application's log sink, as quic_set_log_func() wants it. */
static void count_log(int level, const char *msg)
{
	if (level == LOG_INFO)
		log_info++;
	else if (level == LOG_DEBUG)
		log_debug++;
	else
		log_other++;
	if (level <= LOG_INFO)
		printf("# %s log %d: %s\n", role, level, msg);
}

static int client_handshake(int sd, const char *cafile, const void *ticket_in,
			    size_t ticket_in_len, void *ticket_out,
			    size_t *ticket_out_len, bool *resumed)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t session;
	char alpn[64];
	size_t alpn_len;
	int ret;

	ret = gnutls_certificate_allocate_credentials(&cred);
	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_trust_file(cred, cafile,
						     GNUTLS_X509_FMT_PEM);
	if (ret != 1) {
		ret = ret < 0 ? ret : -EINVAL;
		goto err_cred;
	}
	ret = gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
			  GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret)
		goto err_cred;
	ret = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred);
	if (!ret)
		ret = gnutls_priority_set_direct(session, QUIC_PRIORITY, NULL);
	if (!ret)
		ret = quic_session_set_alpn(session, ALPNS, strlen(ALPNS));
	if (!ret)
		ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, HOST,
					     strlen(HOST));
	if (ret)
		goto err_session;
	gnutls_session_set_verify_cert(session, HOST, 0);
	gnutls_transport_set_int(session, sd);
	if (ticket_in) {
		ret = quic_session_set_data(session, ticket_in, ticket_in_len);
		if (ret)
			goto err_session;
	}

	ret = quic_handshake(session);
	if (ret)
		goto err_session;

	alpn_len = sizeof(alpn);
	ret = quic_session_get_alpn(session, alpn, &alpn_len);
	check(!ret && alpn_len == strlen(ALPN_CHOSEN) &&
	      !memcmp(alpn, ALPN_CHOSEN, alpn_len),
	      "quic_session_get_alpn: %d, \"%.*s\"", ret, (int)alpn_len, alpn);
	*resumed = gnutls_session_is_resumed(session);
	if (ticket_out) {
		sleep(1);
		ret = quic_session_get_data(session, ticket_out, ticket_out_len);
	}
err_session:
	gnutls_deinit(session);
err_cred:
	gnutls_certificate_free_credentials(cred);
	return ret;
}

static int server_handshake(int sd, const char *cert, const char *pkey,
			    const uint8_t *key, unsigned int keylen,
			    bool *resumed)
{
	gnutls_datum_t skey = { (unsigned char *)key, keylen };
	gnutls_certificate_credentials_t cred;
	gnutls_session_t session;
	char alpn[64];
	size_t alpn_len;
	int ret;

	ret = gnutls_certificate_allocate_credentials(&cred);
	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_key_file(cred, cert, pkey,
						   GNUTLS_X509_FMT_PEM);
	if (ret)
		goto err_cred;
	ret = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
			  GNUTLS_ENABLE_EARLY_DATA |
			  GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret)
		goto err_cred;
	ret = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred);
	if (!ret)
		ret = gnutls_session_ticket_enable_server(session, &skey);
	if (!ret)
		ret = gnutls_priority_set_direct(session, QUIC_PRIORITY, NULL);
	if (!ret)
		ret = quic_session_set_alpn(session, ALPN_CHOSEN,
					    strlen(ALPN_CHOSEN));
	if (ret)
		goto err_session;
	gnutls_transport_set_int(session, sd);

	ret = quic_handshake(session);
	if (ret)
		goto err_session;

	alpn_len = sizeof(alpn);
	ret = quic_session_get_alpn(session, alpn, &alpn_len);
	check(!ret && !strcmp(alpn, ALPN_CHOSEN),
	      "quic_session_get_alpn: %d, \"%.*s\"", ret, (int)alpn_len, alpn);
	*resumed = gnutls_session_is_resumed(session);
err_session:
	gnutls_deinit(session);
err_cred:
	gnutls_certificate_free_credentials(cred);
	return ret;
}

/* Wait for readable data (or the peer's close) up to 10 seconds. */
static bool wait_readable(int sd)
{
	struct pollfd p = { .fd = sd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1;
}

static void client_echo(int sd, int conn)
{
	char buf[256] = {};
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	flags = MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN;
	n = quic_sendmsg(sd, MSG, strlen(MSG), 0, flags);
	check(n == (ssize_t)strlen(MSG), "conn %d: quic_sendmsg on stream 0: %zd",
	      conn, n);
	flags = 0;
	sid = -1;
	n = wait_readable(sd) ? quic_recvmsg(sd, buf, sizeof(buf) - 1, &sid,
					     &flags) : -1;
	check(n == (ssize_t)strlen(MSG) && !strcmp(buf, MSG) && sid == 0 &&
	      (flags & MSG_QUIC_STREAM_FIN),
	      "conn %d: echo back: %zd bytes on stream %lld, fin %d", conn, n,
	      (long long)sid, !!(flags & MSG_QUIC_STREAM_FIN));
}

static int run_client(const struct sockaddr_in *sa, const char *cafile)
{
	struct quic_config cfg;
	static uint8_t ticket[4096];
	size_t ticket_len = 0, len;
	socklen_t cfglen;
	bool resumed;
	int conn, sd, ret;

	role = "client";
	for (conn = 1; conn <= CONNS; conn++) {
		sd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
		if (sd < 0 || connect(sd, (const struct sockaddr *)sa,
				      sizeof(*sa))) {
			check(false, "conn %d: socket/connect: %s", conn,
			      strerror(errno));
			return 1;
		}
		if (conn == 1) {
			/* This kernel hands a client its tickets only then. */
			cfglen = sizeof(cfg);
			ret = getsockopt(sd, SOL_QUIC, QUIC_SOCKOPT_CONFIG,
					 &cfg, &cfglen);
			cfg.receive_session_ticket = 1;
			if (!ret)
				ret = setsockopt(sd, SOL_QUIC,
						 QUIC_SOCKOPT_CONFIG, &cfg,
						 cfglen);
			check(!ret, "conn 1: CONFIG.receive_session_ticket = 1");
		}
		resumed = false;
		if (conn == 2) {
			ret = client_handshake(sd, cafile, ticket, ticket_len,
					       NULL, NULL, &resumed);
			check(!ret && resumed,
			      "conn 2: resumed handshake: %d, resumed %d",
			      ret, resumed);
		} else {
			len = sizeof(ticket);
			ret = client_handshake(sd, cafile, NULL, 0, ticket,
					       &len, &resumed);
			if (conn == 1) {
				ticket_len = len;
				check(!ret && !resumed && len > 0,
				      "conn 1: full handshake %d, quic_session_get_data: %zu bytes",
				      ret, len);
			} else {
				check(!ret && !resumed,
				      "conn 3: full handshake %d", ret);
				printf("# client: conn 3: %zu bytes of session data\n",
				       ret ? 0 : len);
			}
		}
		if (!ret)
			client_echo(sd, conn);
		close(sd);
	}
	check(log_info == CONNS && log_debug > 0,
	      "log function: %d info (handshakes done), %d debug, %d other",
	      log_info, log_debug, log_other);
	return failures ? 1 : 0;
}

static void server_echo(int sd, int conn)
{
	char buf[256] = {};
	uint32_t flags = 0;
	int64_t sid = -1;
	ssize_t n;

	n = wait_readable(sd) ? quic_recvmsg(sd, buf, sizeof(buf) - 1, &sid,
					     &flags) : -1;
	check(n == (ssize_t)strlen(MSG) && !strcmp(buf, MSG) && sid == 0,
	      "conn %d: received %zd bytes on stream %lld", conn, n,
	      (long long)sid);
	if (n <= 0)
		return;
	n = quic_sendmsg(sd, buf, n, sid, MSG_QUIC_STREAM_FIN);
	check(n == (ssize_t)strlen(MSG), "conn %d: echoed: %zd", conn, n);
	/* Keep the connection until the client has read and closed. */
	while (wait_readable(sd) && quic_recvmsg(sd, buf, sizeof(buf), NULL,
						 NULL) > 0)
		;
}

static int run_server(int lsd, const char *cert, const char *pkey)
{
	unsigned int keylen;
	uint8_t key[64];
	bool resumed;
	int conn, sd, ret;

	for (conn = 1; conn <= CONNS; conn++) {
		if (!wait_readable(lsd)) {
			check(false, "conn %d: no connection came", conn);
			return 1;
		}
		sd = accept(lsd, NULL, NULL);
		if (sd < 0) {
			check(false, "conn %d: accept: %s", conn,
			      strerror(errno));
			return 1;
		}
		keylen = sizeof(key);
		ret = getsockopt(sd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key,
				 &keylen);
		check(!ret && keylen == sizeof(key),
		      "conn %d: ticket key from the socket: %u bytes", conn,
		      keylen);
		resumed = false;
		ret = server_handshake(sd, cert, pkey, key, keylen, &resumed);
		check(!ret && resumed == (conn == 2),
		      "conn %d: handshake %d, resumed %d", conn, ret, resumed);
		if (!ret)
			server_echo(sd, conn);
		close(sd);
	}
	check(log_info == CONNS && log_debug > 0,
	      "log function: %d info (handshakes done), %d debug, %d other",
	      log_info, log_debug, log_other);
	return failures ? 1 : 0;
}

int main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int lsd, status, ret;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CERT.pem KEY.pem\n", argv[0]);
		return 2;
	}
	alarm(120);
	quic_set_log_func(count_log);
	check(quic_set_log_level(LOG_DEBUG) == LOG_ERR,
	      "default log level is LOG_ERR");

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (lsd < 0 || bind(lsd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(lsd, (struct sockaddr *)&sa, &len) ||
	    setsockopt(lsd, SOL_QUIC, QUIC_SOCKOPT_ALPN, ALPN_CHOSEN,
		       strlen(ALPN_CHOSEN)) || listen(lsd, CONNS)) {
		check(false, "listener: %s", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		close(lsd);
		_exit(run_client(&sa, argv[1]));
	}
	ret = run_server(lsd, argv[1], argv[2]);
	close(lsd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ret = 1;
	printf("%s\n", ret ? "FAIL" : "PASS");
	return ret;
}
