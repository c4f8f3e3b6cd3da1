// SPDX-License-Identifier: GPL-2.0
/*
 * quic_h3: an HTTP/3 client and server over IPPROTO_QUIC sockets.
 *
 *	quic_h3 server [-6] --cert F --key F [--cipher C] [--retry]
 *		       [--count N] [--version 1|2] [--preferred-addr A]
 *		       ADDR PORT DIR
 *	quic_h3 client [-6] [--cipher C] [--no-verify | --cafile F]
 *		       [--sni NAME] [--groups G,...] [--version 1|2]
 *		       [--session-file F] [--zerortt] [--key-update] [--migrate]
 *		       -o OUT (https://HOST:PORT/PATH | ADDR PORT PATH [PATH...])
 *
 * C is aes128gcm, aes256gcm, chacha20 or aes128ccm.
 *
 * TLS 1.3 with ALPN "h3" runs in tools/lib/quic (GnuTLS, quic_handshake()
 * on a session of ours, so that we can tell the cipher, resumption and
 * 0-RTT afterwards); HTTP/3 framing and QPACK in libnghttp3.  Each HTTP/3
 * stream is one kernel QUIC stream: the control and QPACK encoder/decoder
 * streams are our first three unidirectional streams, a request is a
 * bidirectional one.  Stream data goes out with sendmsg() and a
 * QUIC_STREAM_INFO control message; once the kernel accepted bytes, it
 * retransmits them itself, so they count as acknowledged for nghttp3 at
 * once.
 *
 * Once the handshake is done both sides print to stdout
 *	conn VERSION CIPHER resumed=yes|no 0rtt=yes|no
 * VERSION is what QUIC_SOCKOPT_CONFIG tells (v1, v2), CIPHER the suite
 * GnuTLS negotiated, resumed= gnutls_session_is_resumed() and 0rtt= whether
 * early data was accepted (GNUTLS_SFLAGS_EARLY_DATA).  Key updates seen
 * (QUIC_EVENT_KEY_UPDATE) print "key-update phase N".
 *
 * The server answers GET /NAME with the file DIR/NAME (200), 404 when
 * there is none, 405 for other methods.  It serves each connection in a
 * child process; with --count N it accepts N connections, waits for them
 * and exits: 0 when every one of them got all its answers out.
 * --retry makes the kernel validate client addresses with a Retry.  It
 * issues a session ticket on each connection and accepts 0-RTT.
 * --version 2 refuses connections in another version: our kernel takes
 * the client's version and does no compatible version negotiation
 * (RFC 9368), so a server cannot upgrade a v1 client.
 * --preferred-addr A offers address A (a free port of it) as the
 * preferred address (QUIC_SOCKOPT_CONNECTION_MIGRATION on the listener,
 * RFC 9000 section 9.6).
 *
 * The client sends all its requests at once, each on its own stream.
 * With one PATH, OUT is the file for the body; with several, OUT is a
 * directory and each body goes to OUT/basename(PATH).  It prints
 * "PATH STATUS BYTES" per response and exits 0 only when every one was
 * 200 with a complete body (as long as Content-Length says, when
 * present); otherwise it says why and exits 1.
 *	--version 2	start in QUIC v2 (QUIC_SOCKOPT_CONFIG.version)
 *	--session-file F  resume with the ticket and the server's transport
 *			parameters in F, if it exists; afterwards the newest
 *			ticket and the parameters are saved to F
 *	--zerortt	with a ticket loaded, send the requests in 0-RTT
 *	--key-update	start a key update (QUIC_SOCKOPT_KEY_UPDATE) once
 *			half of the first response arrived
 *	--migrate	move to a new local port of the same address
 *			(QUIC_SOCKOPT_CONNECTION_MIGRATION) once half of
 *			the first response arrived
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <nghttp3/nghttp3.h>

#include "quic.h"	/* tools/lib/quic; includes <linux/quic.h>, <linux/tls.h> */

#define IO_TIMEOUT	30		/* seconds any one socket call may block */
#define HS_TIMEOUT	30		/* seconds for the handshake */
#define TICKET_WAIT	2		/* seconds a client waits for a ticket */
#define RECV_BUF	(64 * 1024)
#define MAX_VECS	16
#define MAX_REQS	128		/* requests per connection */
#define PATH_MAX_LEN	1024
#define SESSION_MAX	8192		/* TLS session data we keep */
#define TICKET_KEY_LEN	64		/* GnuTLS' session ticket key */
#define REPLAY_SLOTS	1024
#define KU_MIN_BYTES	65536		/* key update point without a length */
#define H3_NO_ERROR	0x100
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* The session file: magic, then tp length, tp, session length, session. */
#define SESSION_MAGIC	"QH3S"

#define PRIO_BASE	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL"
#define PRIO_CIPHERS	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM"

struct cipher {
	const char *name;
	uint32_t type;			/* TLS_CIPHER_* */
	const char *prio;		/* GnuTLS priority keyword */
	gnutls_cipher_algorithm_t alg;
};

static const struct cipher ciphers[] = {
	{ "aes128gcm", TLS_CIPHER_AES_GCM_128, "+AES-128-GCM", GNUTLS_CIPHER_AES_128_GCM },
	{ "aes256gcm", TLS_CIPHER_AES_GCM_256, "+AES-256-GCM", GNUTLS_CIPHER_AES_256_GCM },
	{ "chacha20", TLS_CIPHER_CHACHA20_POLY1305, "+CHACHA20-POLY1305",
	  GNUTLS_CIPHER_CHACHA20_POLY1305 },
	{ "aes128ccm", TLS_CIPHER_AES_CCM_128, "+AES-128-CCM", GNUTLS_CIPHER_AES_128_CCM },
};

/* A request the server received, and its answer. */
struct req {
	int64_t id;
	bool used;
	bool get;
	bool answered;
	bool bad_path;
	char path[PATH_MAX_LEN];
	uint8_t *body;			/* mmap()ed file */
	uint64_t size;
	uint64_t queued;		/* body bytes handed to nghttp3 */
	int status;
};

/* A request of the client, and what came back. */
struct creq {
	int64_t id;
	const char *path;
	char *file;			/* where the body goes */
	int out_fd;
	int status;
	int64_t content_length;		/* -1: not given */
	uint64_t body_len;
	bool done;
	bool reset;
};

struct h3 {
	int fd;
	bool server;
	nghttp3_conn *conn;
	gnutls_session_t tls;		/* kept for tickets after the handshake */
	int err;			/* set by a callback that failed */
	/*
	 * 0-RTT: before the handshake the kernel refuses
	 * QUIC_SOCKOPT_STREAM_OPEN (ENOTCONN) but opens a stream with
	 * sendmsg() and MSG_QUIC_STREAM_NEW, so we number them ourselves.
	 */
	bool early;
	int64_t next_id[2];		/* bidirectional, unidirectional */

	/* client */
	struct creq *creqs;
	unsigned int ncreqs;
	unsigned int finished;		/* requests done or reset */

	/* server */
	struct req reqs[MAX_REQS];
	unsigned int answers;		/* responses whose FIN went out */
	unsigned int requests;
};

/* ---- diagnostics ---- */

static const char *prog = "quic_h3";

static int __printf(1, 2) fail(const char *fmt, ...)
{
	char line[768];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", prog);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the peer said in its CONNECTION_CLOSE, if anything. */
static void peer_close_reason(int fd, char *buf, size_t len)
{
	struct quic_connection_close c = {};
	socklen_t optlen = sizeof(c);

	buf[0] = '\0';
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c, &optlen))
		return;
	c.phrase[sizeof(c.phrase) - 1] = '\0';
	snprintf(buf, len, " (close error 0x%x frame 0x%x%s%s)", c.errcode, c.frame,
		 c.phrase[0] ? " " : "", (char *)c.phrase);
}

/* ---- sockets ---- */

static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return fail("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO): %s", strerror(errno));
	return 0;
}

static int quic_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, IPPROTO_QUIC);

	if (fd < 0 && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
		return fail("socket(IPPROTO_QUIC): %s: this kernel has no QUIC",
			    strerror(errno));
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	return fd;
}

/*
 * Read-modify-write of QUIC_SOCKOPT_CONFIG: @version (0 keeps it),
 * Retry on a listener, and how long a client waits for a ticket.
 */
static int set_config(int fd, uint32_t version, bool retry, uint8_t ticket_secs)
{
	struct quic_config cfg = {};
	socklen_t len = sizeof(cfg);

	if (!version && !retry && !ticket_secs)
		return 0;
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len))
		return fail("getsockopt(CONFIG): %s", strerror(errno));
	if (version)
		cfg.version = version;
	if (retry)
		cfg.validate_peer_address = 1;
	if (ticket_secs)
		cfg.receive_session_ticket = ticket_secs;
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, len))
		return fail("setsockopt(CONFIG): %s", strerror(errno));
	return 0;
}

/* Key updates are reported as events; the handshake library skips them. */
static void want_key_update_events(int fd)
{
	struct quic_event_option ev = { .type = QUIC_EVENT_KEY_UPDATE, .on = 1 };

	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)))
		fail("setsockopt(EVENT, KEY_UPDATE): %s", strerror(errno));
}

static int resolve(const char *host, const char *port, int family, bool passive,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	struct addrinfo *ai;
	int ret;

	if (passive && !strcmp(host, "*"))
		host = NULL;
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret)
		return fail("%s port %s: %s", host ? host : "*", port, gai_strerror(ret));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Drops @n bytes from the front of @m's iovec array. */
static void iov_advance(struct msghdr *m, size_t n)
{
	while (n) {
		size_t k = n < m->msg_iov->iov_len ? n : m->msg_iov->iov_len;

		m->msg_iov->iov_base = (uint8_t *)m->msg_iov->iov_base + k;
		m->msg_iov->iov_len -= k;
		n -= k;
		if (!m->msg_iov->iov_len) {
			m->msg_iov++;
			m->msg_iovlen--;
		}
	}
}

/*
 * All of @vec on stream @id, FIN with the last byte if @fin, and with
 * @early MSG_QUIC_STREAM_NEW, which opens the stream if it is not yet.
 * Blocking (with SO_SNDTIMEO): the kernel takes everything or fails.
 */
static int stream_send(int fd, int64_t id, nghttp3_vec *vec, int cnt, bool fin, bool early)
{
	struct quic_stream_info info = {
		.stream_id = id,
		.stream_flags = fin ? MSG_QUIC_STREAM_FIN : 0,
	};
	char cbuf[CMSG_SPACE(sizeof(info))] = {};
	struct iovec iov[MAX_VECS];
	struct msghdr m = {};
	struct cmsghdr *cm;
	size_t left = 0;
	ssize_t n;
	int i;

	for (i = 0; i < cnt; i++) {
		iov[i].iov_base = vec[i].base;
		iov[i].iov_len = vec[i].len;
		left += vec[i].len;
	}
	if (early)
		info.stream_flags |= MSG_QUIC_STREAM_NEW;
	m.msg_iov = iov;
	m.msg_iovlen = cnt;
	for (;;) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_QUIC;
		cm->cmsg_type = QUIC_STREAM_INFO;
		cm->cmsg_len = CMSG_LEN(sizeof(info));
		memcpy(CMSG_DATA(cm), &info, sizeof(info));
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return fail("stream %lld: peer gave no credit or ACKs for %d s",
				    (long long)id, IO_TIMEOUT);
		if (n < 0)
			return fail("send on stream %lld: %s", (long long)id, strerror(errno));
		if ((size_t)n >= left)
			return 0;
		/* Partly taken: the rest (and the FIN) go again. */
		left -= n;
		iov_advance(&m, n);
	}
}

/*
 * A stream of ours, opened now so that IDs go out in order; before a
 * 0-RTT handshake, the next client stream ID of the type (RFC 9000
 * section 2.1), which the first sendmsg() opens.
 */
static int stream_open(struct h3 *h, bool uni, int64_t *id)
{
	struct quic_stream_info info = {
		.stream_id = -1,
		.stream_flags = uni ? MSG_QUIC_STREAM_UNI : 0,
	};
	socklen_t len = sizeof(info);

	if (h->early) {
		/* Opened at once, in order: the kernel skips lower IDs. */
		*id = (h->next_id[uni]++ << 2) | (uni ? QUIC_STREAM_TYPE_UNI_MASK : 0);
		return stream_send(h->fd, *id, NULL, 0, false, true);
	}
	if (getsockopt(h->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len))
		return fail("open a %s stream: %s", uni ? "unidirectional" : "bidirectional",
			    strerror(errno));
	*id = info.stream_id;
	return 0;
}

/* What one recvmsg() returned besides the bytes. */
struct rcv_info {
	int64_t sid;			/* -1: no stream */
	uint32_t flags;			/* msg_flags | stream_flags */
	bool handshake;			/* a TLS message (QUIC_HANDSHAKE_INFO) */
	uint8_t level;			/* its encryption level */
};

static ssize_t sock_recv(int fd, void *buf, size_t size, struct rcv_info *ri)
{
	char cbuf[CMSG_SPACE(sizeof(struct quic_stream_info)) +
		  CMSG_SPACE(sizeof(struct quic_handshake_info))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct quic_handshake_info hi;
	struct quic_stream_info si;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(fd, &m, 0);
	if (n < 0)
		return n;
	memset(ri, 0, sizeof(*ri));
	ri->sid = -1;
	ri->flags = m.msg_flags;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_QUIC)
			continue;
		if (cm->cmsg_type == QUIC_STREAM_INFO) {
			memcpy(&si, CMSG_DATA(cm), sizeof(si));
			ri->sid = si.stream_id;
			ri->flags |= si.stream_flags;
		} else if (cm->cmsg_type == QUIC_HANDSHAKE_INFO) {
			memcpy(&hi, CMSG_DATA(cm), sizeof(hi));
			ri->handshake = true;
			ri->level = hi.crypto_level;
		}
	}
	return n;
}

/* ---- TLS ---- */

static const char *cipher_name(gnutls_cipher_algorithm_t alg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (ciphers[i].alg == alg)
			return ciphers[i].name;
	return gnutls_cipher_get_name(alg);
}

static const char *version_name(uint32_t v)
{
	static char hex[16];

	if (v == QUIC_VERSION_V1)
		return "v1";
	if (v == QUIC_VERSION_V2)
		return "v2";
	snprintf(hex, sizeof(hex), "0x%08x", v);
	return hex;
}

static uint32_t conn_version(int fd)
{
	struct quic_config cfg = {};
	socklen_t len = sizeof(cfg);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len))
		return 0;
	return cfg.version;
}

/* The "conn" line: what the socket and GnuTLS say of the connection. */
static void print_conn(int fd, gnutls_session_t s)
{
	unsigned int flags = gnutls_session_get_flags(s);

	printf("conn %s %s resumed=%s 0rtt=%s\n", version_name(conn_version(fd)),
	       cipher_name(gnutls_cipher_get(s)),
	       gnutls_session_is_resumed(s) ? "yes" : "no",
	       flags & GNUTLS_SFLAGS_EARLY_DATA ? "yes" : "no");
}

/*
 * TLS 1.3 only, the cipher asked for or the four QUIC has, the groups
 * asked for (GnuTLS names, comma separated, the first ones get key
 * shares: "FFDHE8192,X25519" makes a ClientHello of about 1.3 kB, more
 * than one CRYPTO frame of a 1200-byte Initial), and no middlebox
 * compatibility mode (RFC 9001 section 8.4).
 */
static int tls_priority(gnutls_session_t s, const struct cipher *c, const char *groups)
{
	char prio[512], *list, *g, *save;
	int ret, n;

	n = snprintf(prio, sizeof(prio), "%s:%s", PRIO_BASE, c ? c->prio : PRIO_CIPHERS);
	if (groups) {
		n += snprintf(prio + n, sizeof(prio) - n, ":-GROUP-ALL");
		list = strdup(groups);
		if (!list)
			return fail("out of memory");
		for (g = strtok_r(list, ",", &save); g && n < (int)sizeof(prio);
		     g = strtok_r(NULL, ",", &save))
			n += snprintf(prio + n, sizeof(prio) - n, ":+GROUP-%s", g);
		free(list);
	}
	if (n + 30 >= (int)sizeof(prio))
		return fail("--groups: too long");
	strcat(prio, ":%DISABLE_TLS13_COMPAT_MODE");
	ret = gnutls_priority_set_direct(s, prio, NULL);
	if (ret < 0)
		return fail("GnuTLS priorities %s: %s", prio, gnutls_strerror(ret));
	return 0;
}

/* A session on @fd with our priorities, credentials and ALPN "h3". */
static int tls_new(gnutls_session_t *s, unsigned int flags, int fd,
		   gnutls_certificate_credentials_t cred, const struct cipher *c,
		   const char *groups)
{
	int ret;

	ret = gnutls_init(s, flags | GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret < 0) {
		*s = NULL;
		return fail("gnutls_init: %s", gnutls_strerror(ret));
	}
	if (tls_priority(*s, c, groups))
		return -1;
	ret = gnutls_credentials_set(*s, GNUTLS_CRD_CERTIFICATE, cred);
	if (ret < 0)
		return fail("gnutls_credentials_set: %s", gnutls_strerror(ret));
	ret = quic_session_set_alpn(*s, "h3", 2);
	if (ret)
		return fail("ALPN: %s", strerror(-ret));
	gnutls_handshake_set_timeout(*s, HS_TIMEOUT * 1000);
	gnutls_transport_set_int(*s, fd);
	return 0;
}

/* The handshake; on failure, why, with the peer's close reason. */
static int tls_handshake(int fd, gnutls_session_t s)
{
	char why[160];
	int ret;

	ret = quic_handshake(s);
	if (ret) {
		peer_close_reason(fd, why, sizeof(why));
		return fail("handshake: %s%s", strerror(-ret), why);
	}
	print_conn(fd, s);
	want_key_update_events(fd);
	return 0;
}

/* ---- nghttp3 plumbing shared by both sides ---- */

/* Hands everything nghttp3 has to send to the kernel. */
static int h3_flush(struct h3 *h)
{
	nghttp3_vec vec[MAX_VECS];
	nghttp3_ssize cnt;
	int64_t id;
	size_t len;
	int fin, i, ret;

	for (;;) {
		cnt = nghttp3_conn_writev_stream(h->conn, &id, &fin, vec, MAX_VECS);
		if (cnt < 0)
			return fail("nghttp3_conn_writev_stream: %s", nghttp3_strerror(cnt));
		if (h->err)
			return -1;
		if (id < 0)
			return 0;
		for (len = 0, i = 0; i < cnt; i++)
			len += vec[i].len;
		if (!len && !fin)
			return 0;
		if (stream_send(h->fd, id, vec, cnt, fin, h->early))
			return -1;
		ret = nghttp3_conn_add_write_offset(h->conn, id, len);
		if (!ret)
			ret = nghttp3_conn_add_ack_offset(h->conn, id, len);
		if (ret)
			return fail("nghttp3 write/ack offset: %s", nghttp3_strerror(ret));
		if (h->err)
			return -1;
		if (fin && h->server)
			h->answers++;
	}
}

/* Our control and QPACK streams. */
static int h3_bind(struct h3 *h)
{
	int64_t ctrl, enc, dec;
	int ret;

	if (stream_open(h, true, &ctrl) || stream_open(h, true, &enc) ||
	    stream_open(h, true, &dec))
		return -1;
	ret = nghttp3_conn_bind_control_stream(h->conn, ctrl);
	if (!ret)
		ret = nghttp3_conn_bind_qpack_streams(h->conn, enc, dec);
	if (ret)
		return fail("nghttp3 bind streams: %s", nghttp3_strerror(ret));
	return 0;
}

enum rcv_result { RCV_DATA, RCV_EOF, RCV_ERR };

/*
 * Not stream data: a NewSessionTicket that came after the handshake gave
 * up waiting (a client's session takes it, for the session file), or an
 * event.
 */
static void h3_other(struct h3 *h, const uint8_t *buf, ssize_t n, const struct rcv_info *ri)
{
	int ret;

	if (ri->handshake && !h->server && h->tls && ri->level == QUIC_CRYPTO_APP) {
		ret = gnutls_handshake_write(h->tls, GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
					     buf, n);
		if (ret < 0)
			fail("post-handshake message refused: %s", gnutls_strerror(ret));
		return;
	}
	if ((ri->flags & MSG_QUIC_NOTIFICATION) && n >= 2 && buf[0] == QUIC_EVENT_KEY_UPDATE)
		printf("key-update phase %u\n", buf[1]);
}

/* Reads what the socket has and feeds it to nghttp3. */
static enum rcv_result h3_receive(struct h3 *h, uint8_t *buf, char *why, size_t whylen)
{
	struct rcv_info ri;
	nghttp3_ssize r;
	ssize_t n;

	n = sock_recv(h->fd, buf, RECV_BUF, &ri);
	if (n < 0) {
		int err = errno;

		if (err == EINTR)
			return RCV_DATA;
		peer_close_reason(h->fd, why, whylen);
		snprintf(why + strlen(why), whylen - strlen(why), " recvmsg: %s",
			 err == EAGAIN ? "nothing received in time" : strerror(err));
		return RCV_ERR;
	}
	if (ri.handshake || (ri.flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))) {
		h3_other(h, buf, n, &ri);
		return RCV_DATA;
	}
	if (ri.sid < 0) {
		if (n)
			return RCV_DATA;
		peer_close_reason(h->fd, why, whylen);
		return RCV_EOF;
	}
	r = nghttp3_conn_read_stream(h->conn, ri.sid, buf, n,
				     !!(ri.flags & MSG_QUIC_STREAM_FIN));
	if (r < 0) {
		snprintf(why, whylen, " nghttp3 on stream %lld: %s", (long long)ri.sid,
			 nghttp3_strerror(r));
		return RCV_ERR;
	}
	if (h->err) {
		snprintf(why, whylen, " callback failed on stream %lld", (long long)ri.sid);
		return RCV_ERR;
	}
	return RCV_DATA;
}

static void h3_close(struct h3 *h, uint32_t errcode)
{
	struct quic_connection_close c = { .errcode = errcode };

	setsockopt(h->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c, sizeof(c));
	close(h->fd);
	h->fd = -1;
}

static bool header_is(nghttp3_rcbuf *name, const char *s)
{
	nghttp3_vec v = nghttp3_rcbuf_get_buf(name);

	return v.len == strlen(s) && !memcmp(v.base, s, v.len);
}

static void header_copy(nghttp3_rcbuf *value, char *buf, size_t len)
{
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	size_t n = v.len < len - 1 ? v.len : len - 1;

	memcpy(buf, v.base, n);
	buf[n] = '\0';
}

static nghttp3_nv nv(const char *name, const char *value)
{
	nghttp3_nv f = {
		.name = (uint8_t *)name,
		.value = (uint8_t *)value,
		.namelen = strlen(name),
		.valuelen = strlen(value),
		.flags = NGHTTP3_NV_FLAG_NONE,
	};

	return f;
}

/* ---- client ---- */

static struct creq *creq_find(struct h3 *h, int64_t id)
{
	unsigned int i;

	for (i = 0; i < h->ncreqs; i++)
		if (h->creqs[i].id == id)
			return &h->creqs[i];
	return NULL;
}

static int cl_recv_header(nghttp3_conn *conn, int64_t id, int32_t token,
			  nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
			  void *user, void *stream_user)
{
	struct creq *r = creq_find(user, id);
	char v[32];
	char *end;

	if (!r)
		return 0;
	if (header_is(name, ":status")) {
		header_copy(value, v, sizeof(v));
		r->status = strtol(v, &end, 10);
		if (*end || end == v)
			r->status = -1;
	} else if (header_is(name, "content-length")) {
		header_copy(value, v, sizeof(v));
		r->content_length = strtoll(v, &end, 10);
		if (*end || end == v || r->content_length < 0)
			r->content_length = -1;
	}
	return 0;
}

static int cl_recv_data(nghttp3_conn *conn, int64_t id, const uint8_t *data,
			size_t len, void *user, void *stream_user)
{
	struct creq *r = creq_find(user, id);
	struct h3 *h = user;
	ssize_t n;

	if (!r)
		return 0;
	r->body_len += len;
	while (len) {
		n = write(r->out_fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail("write %s: %s", r->file, n ? strerror(errno) : "no space");
			h->err = -1;
			return NGHTTP3_ERR_CALLBACK_FAILURE;
		}
		data += n;
		len -= n;
	}
	return 0;
}

static int cl_end_stream(nghttp3_conn *conn, int64_t id, void *user, void *stream_user)
{
	struct creq *r = creq_find(user, id);
	struct h3 *h = user;

	if (r && !r->done && !r->reset) {
		r->done = true;
		h->finished++;
	}
	return 0;
}

static int cl_reset_stream(nghttp3_conn *conn, int64_t id, uint64_t code, void *user,
			   void *stream_user)
{
	struct creq *r = creq_find(user, id);
	struct h3 *h = user;

	if (r && !r->done && !r->reset) {
		fail("the server reset the request for %s (error 0x%llx)", r->path,
		     (unsigned long long)code);
		r->reset = true;
		h->finished++;
	}
	return 0;
}

struct client_opts {
	const struct cipher *cipher;
	bool no_verify;
	const char *cafile;
	const char *sni;
	const char *out;
	const char *host;
	const char *port;
	const char **paths;
	unsigned int npaths;
	const char *groups;
	const char *session_file;
	uint32_t version;
	bool zerortt;
	bool key_update;
	bool migrate;
	int family;
};

/* What an earlier connection left in --session-file. */
struct saved_session {
	struct quic_transport_param tp;	/* the server's, remote = 1 */
	bool have_tp;
	uint8_t data[SESSION_MAX];	/* GnuTLS session data (the ticket) */
	size_t len;
};

static int read_chunk(FILE *f, void *buf, size_t room, size_t *len)
{
	uint32_t n;

	if (fread(&n, sizeof(n), 1, f) != 1 || n > room || fread(buf, 1, n, f) != n)
		return -1;
	*len = n;
	return 0;
}

/* A missing file is no error: this is the first connection. */
static int session_load(const char *file, struct saved_session *ss)
{
	char magic[4];
	size_t tplen;
	FILE *f;
	int ret = -1;

	memset(ss, 0, sizeof(*ss));
	f = fopen(file, "rb");
	if (!f)
		return errno == ENOENT ? 0 : fail("%s: %s", file, strerror(errno));
	if (fread(magic, 4, 1, f) == 1 && !memcmp(magic, SESSION_MAGIC, 4) &&
	    !read_chunk(f, &ss->tp, sizeof(ss->tp), &tplen) &&
	    !read_chunk(f, ss->data, sizeof(ss->data), &ss->len))
		ret = 0;
	fclose(f);
	if (ret) {
		memset(ss, 0, sizeof(*ss));
		return fail("%s: not a session file of quic_h3", file);
	}
	ss->have_tp = tplen == sizeof(ss->tp) && ss->tp.remote;
	return 0;
}

static int write_chunk(FILE *f, const void *buf, uint32_t n)
{
	return fwrite(&n, sizeof(n), 1, f) != 1 || fwrite(buf, 1, n, f) != n ? -1 : 0;
}

/*
 * The newest ticket (quic_session_get_data() also takes one the kernel
 * still queues) and the server's transport parameters, which 0-RTT needs
 * (RFC 9000 section 7.4.1).  Without a new ticket the file stays.
 */
static int session_save(const char *file, int fd, gnutls_session_t s)
{
	struct quic_transport_param tp = { .remote = 1 };
	socklen_t tplen = sizeof(tp);
	static uint8_t data[SESSION_MAX];
	size_t len = sizeof(data);
	char tmp[PATH_MAX_LEN + 8];
	FILE *f;
	int ret;

	ret = quic_session_get_data(s, data, &len);
	if (ret || !len) {
		fprintf(stderr, "%s: no session ticket to save%s%s\n", prog, ret ? ": " : "",
			ret ? strerror(-ret) : "");
		return 0;
	}
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, &tplen))
		return fail("getsockopt(TRANSPORT_PARAM, remote): %s", strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "wb");
	if (!f)
		return fail("%s: %s", tmp, strerror(errno));
	ret = fwrite(SESSION_MAGIC, 4, 1, f) != 1 || write_chunk(f, &tp, tplen) ||
	      write_chunk(f, data, len);
	if (fclose(f) || ret || rename(tmp, file)) {
		unlink(tmp);
		return fail("%s: cannot write the session", file);
	}
	return 0;
}

/* The file for @path's body: OUT itself, or OUT/basename with several. */
static char *out_name(const struct client_opts *o, const char *path)
{
	char *copy, *base, *name;
	const char *b;

	if (o->npaths == 1)
		return strdup(o->out);
	copy = strdup(path);
	if (!copy)
		return NULL;
	base = strchr(copy, '?');
	if (base)
		*base = '\0';
	b = basename(copy);
	if (!*b || !strcmp(b, "/") || !strcmp(b, ".") || !strcmp(b, ".."))
		b = "index.html";
	name = malloc(strlen(o->out) + strlen(b) + 2);
	if (name)
		sprintf(name, "%s/%s", o->out, b);
	free(copy);
	return name;
}

static int creqs_open(struct h3 *h, const struct client_opts *o)
{
	struct creq *r;
	unsigned int i;

	h->creqs = calloc(o->npaths, sizeof(*h->creqs));
	if (!h->creqs)
		return fail("out of memory");
	h->ncreqs = o->npaths;
	for (i = 0; i < o->npaths; i++) {
		r = &h->creqs[i];
		r->id = -1;
		r->out_fd = -1;
		r->content_length = -1;
		r->path = o->paths[i];
		r->file = out_name(o, r->path);
		if (!r->file)
			return fail("out of memory");
		r->out_fd = open(r->file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (r->out_fd < 0)
			return fail("%s: %s", r->file, strerror(errno));
	}
	return 0;
}

/* Closes the files; fails if one could not be written completely. */
static int creqs_close(struct h3 *h)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < h->ncreqs; i++) {
		if (h->creqs[i].out_fd >= 0 && close(h->creqs[i].out_fd))
			ret = fail("%s: %s", h->creqs[i].file, strerror(errno));
		free(h->creqs[i].file);
	}
	free(h->creqs);
	h->creqs = NULL;
	return ret;
}

static int client_request(struct h3 *h, const struct client_opts *o, struct creq *r)
{
	char authority[300];
	nghttp3_nv nva[5];
	int ret;

	if (strchr(o->host, ':'))
		snprintf(authority, sizeof(authority), "[%s]:%s", o->host, o->port);
	else
		snprintf(authority, sizeof(authority), "%s:%s", o->sni ? o->sni : o->host,
			 o->port);
	nva[0] = nv(":method", "GET");
	nva[1] = nv(":scheme", "https");
	nva[2] = nv(":authority", authority);
	nva[3] = nv(":path", r->path);
	nva[4] = nv("user-agent", "quic_h3");
	if (stream_open(h, false, &r->id))
		return -1;
	ret = nghttp3_conn_submit_request(h->conn, r->id, nva, ARRAY_SIZE(nva), NULL, NULL);
	if (ret)
		return fail("nghttp3_conn_submit_request: %s", nghttp3_strerror(ret));
	return 0;
}

/* Control streams and every request, all at once, then out they go. */
static int client_start(struct h3 *h, const struct client_opts *o)
{
	nghttp3_callbacks cb = {
		.recv_header = cl_recv_header,
		.recv_data = cl_recv_data,
		.end_stream = cl_end_stream,
		.reset_stream = cl_reset_stream,
	};
	nghttp3_settings settings;
	unsigned int i;
	int ret;

	nghttp3_settings_default(&settings);
	ret = nghttp3_conn_client_new(&h->conn, &cb, &settings, nghttp3_mem_default(), h);
	if (ret)
		return fail("nghttp3_conn_client_new: %s", nghttp3_strerror(ret));
	if (h3_bind(h))
		return -1;
	for (i = 0; i < h->ncreqs; i++)
		if (client_request(h, o, &h->creqs[i]))
			return -1;
	return h3_flush(h);
}

static int client_credentials(gnutls_certificate_credentials_t *cred,
			      const struct client_opts *o)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(cred);
	if (ret < 0) {
		*cred = NULL;
		return fail("GnuTLS credentials: %s", gnutls_strerror(ret));
	}
	if (o->no_verify)
		return 0;
	ret = o->cafile ? gnutls_certificate_set_x509_trust_file(*cred, o->cafile,
								 GNUTLS_X509_FMT_PEM) :
			  gnutls_certificate_set_x509_system_trust(*cred);
	if (ret < 0 || (o->cafile && !ret))
		return fail("trust %s: %s", o->cafile ? o->cafile : "(system)",
			    ret < 0 ? gnutls_strerror(ret) : "no certificate");
	return 0;
}

/*
 * The client session: SNI and the name checked against the certificate
 * (an address is checked as part of the chain only), resumption data and
 * the 0-RTT offer.  GnuTLS only learns that early data is wanted: the
 * bytes are QUIC stream data, queued on the socket before the handshake.
 */
static int client_tls(int fd, const struct client_opts *o, gnutls_certificate_credentials_t cred,
		      const struct saved_session *ss, bool early, gnutls_session_t *s)
{
	unsigned int flags = GNUTLS_CLIENT | (early ? GNUTLS_ENABLE_EARLY_DATA : 0);
	const char *host = o->sni;
	struct in6_addr a6;
	struct in_addr a4;
	ssize_t n;
	int ret;

	if (!host && inet_pton(AF_INET, o->host, &a4) != 1 &&
	    inet_pton(AF_INET6, o->host, &a6) != 1)
		host = o->host;
	if (tls_new(s, flags, fd, cred, o->cipher, o->groups))
		return -1;
	if (host) {
		ret = gnutls_server_name_set(*s, GNUTLS_NAME_DNS, host, strlen(host));
		if (ret < 0)
			return fail("SNI %s: %s", host, gnutls_strerror(ret));
	}
	if (!o->no_verify)
		gnutls_session_set_verify_cert(*s, host, 0);
	if (ss->len) {
		ret = quic_session_set_data(*s, ss->data, ss->len);
		if (ret)
			fail("%s: session data refused, full handshake", o->session_file);
	}
	if (early) {
		n = gnutls_record_send_early_data(*s, "h3", 2);
		if (n < 0)
			return fail("early data offer: %s", gnutls_strerror(n));
	}
	return 0;
}

/* Socket options before connect(): version, ticket wait, 0-RTT parameters. */
static int client_socket(const struct client_opts *o, const struct saved_session *ss,
			 bool early)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd;

	if (resolve(o->host, o->port, o->family, false, &sa, &len))
		return -1;
	fd = quic_socket(sa.ss_family);
	if (fd < 0)
		return -1;
	if (set_config(fd, o->version, false, o->session_file ? TICKET_WAIT : 0) ||
	    set_timeouts(fd))
		goto err;
	if (early && setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &ss->tp,
				sizeof(ss->tp))) {
		fail("setsockopt(TRANSPORT_PARAM, remote): %s", strerror(errno));
		goto err;
	}
	if (connect(fd, (struct sockaddr *)&sa, len)) {
		fail("connect: %s", strerror(errno));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/*
 * --key-update: once half of the first response is in (64 KiB without a
 * length).  EAGAIN means the handshake is not confirmed or an update is
 * still unacknowledged: the next read tries again.
 */
static void client_key_update(struct h3 *h, bool *pending)
{
	struct creq *r = &h->creqs[0];
	uint64_t half;

	half = r->content_length >= 0 ? (uint64_t)r->content_length / 2 : KU_MIN_BYTES;
	if (!*pending || r->body_len < half || r->done)
		return;
	if (!setsockopt(h->fd, SOL_QUIC, QUIC_SOCKOPT_KEY_UPDATE, NULL, 0)) {
		printf("key-update initiated after %llu bytes\n",
		       (unsigned long long)r->body_len);
		*pending = false;
	} else if (errno != EAGAIN) {
		fail("setsockopt(KEY_UPDATE): %s", strerror(errno));
		*pending = false;
	}
}

/*
 * --migrate: at the same point, to port 0 of the address in use.  EAGAIN
 * means the handshake is not confirmed or the server gave no connection
 * ID to spare yet: the next read tries again.
 */
static void client_migrate(struct h3 *h, bool *pending)
{
	struct creq *r = &h->creqs[0];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint64_t half;

	half = r->content_length >= 0 ? (uint64_t)r->content_length / 2 : KU_MIN_BYTES;
	if (!*pending || r->body_len < half || r->done)
		return;
	if (getsockname(h->fd, (struct sockaddr *)&ss, &len)) {
		fail("getsockname: %s", strerror(errno));
		*pending = false;
		return;
	}
	((struct sockaddr_in *)&ss)->sin_port = 0;	/* same offset in v6 */
	if (!setsockopt(h->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION, &ss, len)) {
		printf("migration initiated after %llu bytes\n",
		       (unsigned long long)r->body_len);
		*pending = false;
	} else if (errno != EAGAIN) {
		fail("setsockopt(CONNECTION_MIGRATION): %s", strerror(errno));
		*pending = false;
	}
}

/* Until every response is complete. */
static int client_loop(struct h3 *h, const struct client_opts *o, uint8_t *buf)
{
	bool ku = o->key_update, mig = o->migrate;
	enum rcv_result rr;
	char why[256] = "";

	while (h->finished < h->ncreqs) {
		if (h3_flush(h))
			return -1;
		rr = h3_receive(h, buf, why, sizeof(why));
		if (rr == RCV_ERR)
			return fail("connection failed with %u of %u responses:%s", h->finished,
				    h->ncreqs, why);
		if (rr == RCV_EOF)
			return fail("the server closed the connection with %u of %u responses%s",
				    h->finished, h->ncreqs, why);
		client_key_update(h, &ku);
		client_migrate(h, &mig);
	}
	if (ku)
		return fail("--key-update: no key update could be started");
	if (mig)
		return fail("--migrate: no migration could be started");
	return 0;
}

/* "PATH STATUS BYTES" for each; 0 if all were 200 and complete. */
static int client_report(struct h3 *h, double secs)
{
	uint64_t total = 0;
	struct creq *r;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < h->ncreqs; i++) {
		r = &h->creqs[i];
		printf("%s %d %llu\n", r->path, r->reset ? -1 : r->status,
		       (unsigned long long)r->body_len);
		total += r->body_len;
		if (r->reset)
			ret = -1;
		else if (r->status != 200)
			ret = fail("HTTP status %d for %s", r->status, r->path);
		else if (r->content_length >= 0 && (uint64_t)r->content_length != r->body_len)
			ret = fail("%s: body of %llu bytes, content-length %lld", r->path,
				   (unsigned long long)r->body_len, (long long)r->content_length);
	}
	if (secs <= 0)
		secs = 0.001;
	if (!ret)
		printf("%s: GET %u path(s): status 200, %llu bytes in %.3f s, %.2f MB/s\n",
		       prog, h->ncreqs, (unsigned long long)total, secs, total / secs / 1e6);
	return ret;
}

/* Connect, handshake (with the requests in 0-RTT if we may), fetch. */
static int client_connection(struct h3 *h, const struct client_opts *o,
			     const struct saved_session *ss, uint8_t *buf)
{
	gnutls_certificate_credentials_t cred = NULL;
	bool early = o->zerortt && ss->len && ss->have_tp;
	double start;
	int ret = -1;

	if (o->zerortt && !early)
		fprintf(stderr, "%s: --zerortt: no saved session, requests go in 1-RTT\n",
			prog);
	h->fd = client_socket(o, ss, early);
	if (h->fd < 0 || client_credentials(&cred, o) ||
	    client_tls(h->fd, o, cred, ss, early, &h->tls))
		goto out;
	start = now();
	h->early = early;
	if (early && client_start(h, o))
		goto out;
	h->early = false;
	if (tls_handshake(h->fd, h->tls))
		goto out;
	if (!early && client_start(h, o))
		goto out;
	if (client_loop(h, o, buf))
		goto out;
	ret = client_report(h, now() - start);
	if (o->session_file && session_save(o->session_file, h->fd, h->tls))
		ret = -1;
out:
	if (h->fd >= 0)
		h3_close(h, ret ? NGHTTP3_H3_INTERNAL_ERROR : H3_NO_ERROR);
	if (h->tls)
		gnutls_deinit(h->tls);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	return ret;
}

static int run_client(const struct client_opts *o)
{
	struct h3 h = { .fd = -1 };
	static struct saved_session ss;
	uint8_t *buf;
	int ret = -1;

	buf = malloc(RECV_BUF);
	if (!buf)
		return fail("out of memory");
	if (o->session_file && session_load(o->session_file, &ss))
		memset(&ss, 0, sizeof(ss));
	if (!creqs_open(&h, o))
		ret = client_connection(&h, o, &ss, buf);
	if (creqs_close(&h))
		ret = -1;
	if (h.conn)
		nghttp3_conn_del(h.conn);
	free(buf);
	return ret;
}

/* ---- server ---- */

struct server_opts {
	const struct cipher *cipher;
	const char *cert;
	const char *key;
	const char *dir;
	const char *addr;
	const char *port;
	int family;
	bool retry;
	const char *preferred;		/* --preferred-addr */
	long count;			/* connections to serve, 0: forever */
	uint32_t version;		/* refuse others; 0: any */
};

static const struct server_opts *srv;
static gnutls_certificate_credentials_t srv_cred;
static gnutls_anti_replay_t srv_replay;

static struct req *req_find(struct h3 *h, int64_t id, bool create)
{
	struct req *free_slot = NULL;
	int i;

	for (i = 0; i < MAX_REQS; i++) {
		if (h->reqs[i].used && h->reqs[i].id == id)
			return &h->reqs[i];
		if (!h->reqs[i].used && !free_slot)
			free_slot = &h->reqs[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->id = id;
	h->requests++;
	return free_slot;
}

static void req_free(struct req *r)
{
	if (r->body && r->size)
		munmap(r->body, r->size);
	r->body = NULL;
	r->used = false;
}

static int sv_begin_headers(nghttp3_conn *conn, int64_t id, void *user, void *stream_user)
{
	struct h3 *h = user;

	if (!req_find(h, id, true)) {
		fail("more than %d requests on one connection", MAX_REQS);
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int sv_recv_header(nghttp3_conn *conn, int64_t id, int32_t token,
			  nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
			  void *user, void *stream_user)
{
	struct req *r = req_find(user, id, false);
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

	if (!r)
		return 0;
	if (header_is(name, ":method")) {
		r->get = v.len == 3 && !memcmp(v.base, "GET", 3);
	} else if (header_is(name, ":path")) {
		if (v.len >= sizeof(r->path))
			r->bad_path = true;
		else
			header_copy(value, r->path, sizeof(r->path));
	}
	return 0;
}

static nghttp3_ssize sv_read_body(nghttp3_conn *conn, int64_t id, nghttp3_vec *vec,
				  size_t veccnt, uint32_t *pflags, void *user,
				  void *stream_user)
{
	struct req *r = req_find(user, id, false);

	*pflags = NGHTTP3_DATA_FLAG_EOF;
	if (!r || r->queued == r->size)
		return 0;
	vec[0].base = r->body + r->queued;
	vec[0].len = r->size - r->queued;
	r->queued = r->size;
	return 1;
}

/* DIR/NAME for "/NAME" ("?query" dropped); no "..", no hidden files. */
static int req_open(struct req *r)
{
	char file[PATH_MAX_LEN * 2], *q;
	struct stat st;
	int fd;

	q = strchr(r->path, '?');
	if (q)
		*q = '\0';
	if (r->bad_path || r->path[0] != '/' || strstr(r->path, "/.") || !r->path[1])
		return 404;
	snprintf(file, sizeof(file), "%s%s", srv->dir, r->path);
	fd = open(file, O_RDONLY);
	if (fd < 0)
		return 404;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 404;
	}
	r->size = st.st_size;
	if (r->size) {
		r->body = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (r->body == MAP_FAILED) {
			r->body = NULL;
			close(fd);
			return 500;
		}
	}
	close(fd);
	return 200;
}

/* The request is complete: answer it. */
static int sv_end_stream(nghttp3_conn *conn, int64_t id, void *user, void *stream_user)
{
	nghttp3_data_reader dr = { .read_data = sv_read_body };
	struct req *r = req_find(user, id, false);
	char status[8], clen[24];
	nghttp3_nv nva[3];
	int ret;

	if (!r || r->answered)
		return 0;
	r->answered = true;
	r->status = r->get ? req_open(r) : 405;
	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(clen, sizeof(clen), "%llu",
		 (unsigned long long)(r->status == 200 ? r->size : 0));
	nva[0] = nv(":status", status);
	nva[1] = nv("server", "quic_h3");
	nva[2] = nv("content-length", clen);
	fprintf(stderr, "%s: %s %s: %d, %s bytes\n", prog, r->get ? "GET" : "(not GET)",
		r->path, r->status, clen);
	ret = nghttp3_conn_submit_response(conn, id, nva, ARRAY_SIZE(nva),
					   r->status == 200 ? &dr : NULL);
	if (ret) {
		fail("nghttp3_conn_submit_response: %s", nghttp3_strerror(ret));
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

/*
 * 0-RTT anti-replay (RFC 8446 section 8): GnuTLS accepts early data only
 * with a store that says whether a ClientHello was seen before.  Ours is
 * a table of SHA-256 hashes of what GnuTLS asks about, per process: the
 * context is made before any fork, so children accept tickets of their
 * siblings, but each child remembers only its own ClientHellos.
 */
struct replay_entry {
	time_t expires;
	uint8_t hash[32];
};

static struct replay_entry replay_store[REPLAY_SLOTS];

static int replay_add(void *ptr, time_t expires, const gnutls_datum_t *key,
		      const gnutls_datum_t *data)
{
	struct replay_entry *e, *slot = NULL;
	time_t t = time(NULL);
	uint8_t hash[32];
	int i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, hash) < 0)
		return GNUTLS_E_DB_ENTRY_EXISTS;
	for (i = 0; i < REPLAY_SLOTS; i++) {
		e = &replay_store[i];
		if (e->expires <= t) {
			slot = slot ? slot : e;
			continue;
		}
		if (!memcmp(e->hash, hash, sizeof(hash)))
			return GNUTLS_E_DB_ENTRY_EXISTS;
	}
	if (!slot)
		return GNUTLS_E_DB_ENTRY_EXISTS;	/* full: no 0-RTT, 1-RTT goes on */
	slot->expires = expires;
	memcpy(slot->hash, hash, sizeof(hash));
	return 0;
}

static int server_tls_init(const struct server_opts *o)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(&srv_cred);
	if (ret >= 0)
		ret = gnutls_certificate_set_x509_key_file(srv_cred, o->cert, o->key,
							   GNUTLS_X509_FMT_PEM);
	if (ret < 0)
		return fail("%s, %s: %s", o->cert, o->key, gnutls_strerror(ret));
	ret = gnutls_anti_replay_init(&srv_replay);
	if (ret < 0)
		return fail("gnutls_anti_replay_init: %s", gnutls_strerror(ret));
	gnutls_anti_replay_set_add_function(srv_replay, replay_add);
	return 0;
}

/*
 * The server session: tickets under the key the kernel keeps for the
 * listener (QUIC_SOCKOPT_SESSION_TICKET; quic_handshake() sends one
 * ticket after the handshake) and 0-RTT, which RFC 9001 section 4.6.1
 * says a ticket allows with max_early_data_size 0xffffffff.
 */
static int server_tls(int fd, gnutls_session_t *s)
{
	unsigned int flags = GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA |
			     GNUTLS_NO_AUTO_SEND_TICKET;
	uint8_t key[TICKET_KEY_LEN];
	socklen_t len = sizeof(key);
	gnutls_datum_t k = { .data = key, .size = sizeof(key) };
	int ret;

	if (tls_new(s, flags, fd, srv_cred, srv->cipher, NULL))
		return -1;
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key, &len) ||
	    len != sizeof(key)) {
		fail("no session ticket key on the socket (%s, %u bytes)",
		     strerror(errno), len);
		return 0;
	}
	ret = gnutls_session_ticket_enable_server(*s, &k);
	if (ret < 0)
		return fail("gnutls_session_ticket_enable_server: %s", gnutls_strerror(ret));
	gnutls_record_set_max_early_data_size(*s, 0xffffffffu);
	gnutls_anti_replay_enable(*s, srv_replay);
	return 0;
}

/* --version: the connection is in the client's version; refuse others. */
static int server_check_version(int fd)
{
	uint32_t v;

	if (!srv->version)
		return 0;
	v = conn_version(fd);
	if (v != srv->version)
		return fail("the client speaks %s, --version %s given", version_name(v),
			    version_name(srv->version));
	return 0;
}

/* Answers requests until the client closes (or goes idle). */
static int server_loop(struct h3 *h, uint8_t *buf)
{
	char why[256] = "";
	enum rcv_result rr;
	int ret = 0;

	while (!ret) {
		ret = h3_flush(h);
		if (ret)
			break;
		rr = h3_receive(h, buf, why, sizeof(why));
		if (rr == RCV_EOF)
			break;
		if (rr == RCV_ERR) {
			/* After its answers, a client may close in any way. */
			if (h->requests && h->answers == h->requests)
				break;
			ret = fail("connection failed:%s", why);
		}
	}
	if (!ret && (!h->requests || h->answers != h->requests))
		ret = fail("connection closed with %u of %u requests answered%s", h->answers,
			   h->requests, why);
	return ret;
}

static int serve(int fd)
{
	nghttp3_callbacks cb = {
		.begin_headers = sv_begin_headers,
		.recv_header = sv_recv_header,
		.end_stream = sv_end_stream,
	};
	struct h3 *h = calloc(1, sizeof(*h));
	nghttp3_settings settings;
	uint8_t *buf;
	int ret, i;

	buf = malloc(RECV_BUF);
	if (!h || !buf) {
		close(fd);
		free(h);
		free(buf);
		return fail("out of memory");
	}
	h->fd = fd;
	h->server = true;
	ret = server_tls(fd, &h->tls);
	if (!ret)
		ret = tls_handshake(fd, h->tls);
	if (!ret)
		ret = server_check_version(fd);
	if (!ret)
		ret = set_timeouts(fd);
	if (ret)
		goto out;
	nghttp3_settings_default(&settings);
	ret = nghttp3_conn_server_new(&h->conn, &cb, &settings, nghttp3_mem_default(), h);
	if (ret) {
		ret = fail("nghttp3_conn_server_new: %s", nghttp3_strerror(ret));
		goto out;
	}
	nghttp3_conn_set_max_client_streams_bidi(h->conn, MAX_REQS);
	ret = h3_bind(h);
	if (!ret)
		ret = server_loop(h, buf);
out:
	if (h->fd >= 0)
		h3_close(h, ret ? NGHTTP3_H3_INTERNAL_ERROR : H3_NO_ERROR);
	if (h->conn)
		nghttp3_conn_del(h->conn);
	if (h->tls)
		gnutls_deinit(h->tls);
	for (i = 0; i < MAX_REQS; i++)
		req_free(&h->reqs[i]);
	free(h);
	free(buf);
	return ret;
}

static int listen_open(const struct server_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (resolve(o->addr, o->port, o->family, true, &ss, &len))
		return -1;
	fd = quic_socket(ss.ss_family);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		fail("bind %s port %s: %s", o->addr, o->port, strerror(errno));
		goto err;
	}
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "h3", 2)) {
		fail("setsockopt(ALPN): %s", strerror(errno));
		goto err;
	}
	if (set_config(fd, 0, o->retry, 0))
		goto err;
	if (listen(fd, 16)) {
		fail("listen: %s", strerror(errno));
		goto err;
	}
	if (o->preferred &&
	    (resolve(o->preferred, "0", ss.ss_family, true, &ss, &len) ||
	     setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION, &ss, len))) {
		fail("--preferred-addr %s: %s", o->preferred, strerror(errno));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/* --count: the children of the connections; 0 if all of them succeeded. */
static int reap_children(long n)
{
	int status, ret = 0;
	pid_t pid;

	while (n > 0) {
		pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return fail("wait: %s", strerror(errno));
		n--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = -1;
	}
	return ret;
}

/*
 * Each connection in a child, so that one waiting for a lost
 * CONNECTION_CLOSE (until its idle timeout) does not hold up the next
 * handshake.  With --count N, the server stops accepting after N and
 * exits once their children did.
 */
static int run_server(const struct server_opts *o)
{
	long served = 0, children = 0;
	int lfd, fd, ret = 0;
	pid_t pid;

	srv = o;
	if (server_tls_init(o))
		return -1;
	lfd = listen_open(o);
	if (lfd < 0)
		return -1;
	fprintf(stderr, "%s: serving %s on %s port %s%s\n", prog, o->dir, o->addr, o->port,
		o->retry ? " (Retry)" : "");
	if (!o->count)
		signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	while (!o->count || served < o->count) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			ret = fail("accept: %s", strerror(errno));
			break;
		}
		served++;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			ret = fail("fork: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (!pid) {
			close(lfd);
			_exit(serve(fd) ? 1 : 0);
		}
		children++;
		close(fd);
	}
	close(lfd);
	if (o->count && reap_children(children))
		ret = -1;
	return ret;
}

/* ---- command line ---- */

static int bad_args(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s: %s\n", prog, msg);
	fputs("usage: quic_h3 server [-6] --cert F --key F [--cipher C] [--retry]\n"
	      "\t\t      [--count N] [--version 1|2] [--preferred-addr A] ADDR PORT DIR\n"
	      "       quic_h3 client [-6] [--cipher C] [--no-verify | --cafile F] [--sni NAME]\n"
	      "\t\t      [--groups G,...] [--version 1|2] [--session-file F] [--zerortt]\n"
	      "\t\t      [--key-update] [--migrate] -o OUT\n"
	      "\t\t      (https://HOST:PORT/PATH | ADDR PORT PATH [PATH...])\n"
	      "C: aes128gcm, aes256gcm, chacha20 or aes128ccm\n", stderr);
	return 2;
}

static int opt_error(const char *msg)
{
	bad_args(msg);
	return -1;
}

static const struct cipher *parse_cipher(const char *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (!strcmp(arg, ciphers[i].name))
			return &ciphers[i];
	return NULL;
}

static uint32_t parse_version(const char *arg)
{
	if (!strcmp(arg, "1") || !strcmp(arg, "v1"))
		return QUIC_VERSION_V1;
	if (!strcmp(arg, "2") || !strcmp(arg, "v2"))
		return QUIC_VERSION_V2;
	return 0;
}

/* https://HOST[:PORT]/PATH, HOST a name, an IPv4 or a [IPv6] address. */
static int parse_url(const char *url, struct client_opts *o)
{
	static char host[256], port[16], path[PATH_MAX_LEN];
	static const char *paths[1];
	const char *p = url + strlen("https://");
	size_t n;

	if (strncmp(url, "https://", strlen("https://")))
		return -1;
	if (*p == '[') {
		n = strcspn(++p, "]");
		if (p[n] != ']')
			return -1;
	} else {
		n = strcspn(p, ":/");
	}
	if (!n || n >= sizeof(host))
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	p += n + (p[n] == ']');
	snprintf(port, sizeof(port), "443");
	if (*p == ':') {
		n = strcspn(++p, "/");
		if (!n || n >= sizeof(port))
			return -1;
		memcpy(port, p, n);
		port[n] = '\0';
		p += n;
	}
	if (strlen(p) >= sizeof(path))
		return -1;
	snprintf(path, sizeof(path), "%s", *p ? p : "/");
	paths[0] = path;
	o->host = host;
	o->port = port;
	o->paths = paths;
	o->npaths = 1;
	return 0;
}

enum { OPT_CERT = 256, OPT_KEY, OPT_CIPHER, OPT_RETRY, OPT_COUNT, OPT_NO_VERIFY,
	OPT_CAFILE, OPT_SNI, OPT_GROUPS, OPT_VERSION, OPT_SESSION_FILE, OPT_ZERORTT,
	OPT_KEY_UPDATE, OPT_MIGRATE, OPT_PREFERRED };

static const struct option lopts[] = {
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "retry", no_argument, NULL, OPT_RETRY },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "session-file", required_argument, NULL, OPT_SESSION_FILE },
	{ "zerortt", no_argument, NULL, OPT_ZERORTT },
	{ "key-update", no_argument, NULL, OPT_KEY_UPDATE },
	{ "migrate", no_argument, NULL, OPT_MIGRATE },
	{ "preferred-addr", required_argument, NULL, OPT_PREFERRED },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* Options of either side; 1: help shown, -1: bad, 0: go on. */
static int parse_opt(int opt, struct server_opts *so, struct client_opts *co)
{
	char *end;

	switch (opt) {
	case '6':
		so->family = AF_INET6;
		co->family = AF_INET6;
		return 0;
	case 'o':
		co->out = optarg;
		return 0;
	case OPT_CERT:
		so->cert = optarg;
		return 0;
	case OPT_KEY:
		so->key = optarg;
		return 0;
	case OPT_CIPHER:
		so->cipher = parse_cipher(optarg);
		co->cipher = so->cipher;
		return so->cipher ? 0 : opt_error("--cipher: unknown cipher");
	case OPT_RETRY:
		so->retry = true;
		return 0;
	case OPT_COUNT:
		so->count = strtol(optarg, &end, 10);
		return *end || so->count <= 0 ? opt_error("--count: a positive number") : 0;
	case OPT_NO_VERIFY:
		co->no_verify = true;
		return 0;
	case OPT_CAFILE:
		co->cafile = optarg;
		return 0;
	case OPT_SNI:
		co->sni = optarg;
		return 0;
	case OPT_GROUPS:
		co->groups = optarg;
		return 0;
	case OPT_VERSION:
		so->version = parse_version(optarg);
		co->version = so->version;
		return so->version ? 0 : opt_error("--version: 1 or 2");
	case OPT_SESSION_FILE:
		co->session_file = optarg;
		return 0;
	case OPT_ZERORTT:
		co->zerortt = true;
		return 0;
	case OPT_KEY_UPDATE:
		co->key_update = true;
		return 0;
	case OPT_MIGRATE:
		co->migrate = true;
		return 0;
	case OPT_PREFERRED:
		so->preferred = optarg;
		return 0;
	case 'h':
		bad_args(NULL);
		return 1;
	default:
		bad_args(NULL);
		return -1;
	}
}

static int server_main(struct server_opts *so, int argc, char **argv)
{
	if (argc != 3)
		return bad_args("server: ADDR PORT DIR");
	if (!so->cert || !so->key)
		return bad_args("server: --cert and --key are required");
	so->addr = argv[0];
	so->port = argv[1];
	so->dir = argv[2];
	return run_server(so) ? 1 : 0;
}

static int client_main(struct client_opts *co, int argc, char **argv)
{
	if (argc == 1) {
		if (parse_url(argv[0], co))
			return bad_args("client: a URL https://HOST[:PORT]/PATH");
	} else if (argc >= 3 && argc - 2 <= MAX_REQS) {
		co->host = argv[0];
		co->port = argv[1];
		co->paths = (const char **)argv + 2;
		co->npaths = argc - 2;
	} else {
		return bad_args("client: a URL, or ADDR PORT PATH [PATH...] (at most 128)");
	}
	if (!co->out)
		return bad_args("client: -o OUT is required");
	if (co->no_verify && co->cafile)
		return bad_args("client: --no-verify or --cafile, not both");
	return run_client(co) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct server_opts so = { .family = AF_UNSPEC };
	struct client_opts co = { .family = AF_UNSPEC };
	bool server;
	int opt, ret;

	if (argc < 2)
		return bad_args(NULL);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		bad_args(NULL);
		return 0;
	}
	server = !strcmp(argv[1], "server");
	if (!server && strcmp(argv[1], "client"))
		return bad_args("the first argument is server or client");
	prog = server ? "quic_h3 server" : "quic_h3 client";
	argv++;
	argc--;
	while ((opt = getopt_long(argc, argv, "6o:h", lopts, NULL)) != -1) {
		ret = parse_opt(opt, &so, &co);
		if (ret)
			return ret > 0 ? 0 : 2;
	}
	argv += optind;
	argc -= optind;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return server ? server_main(&so, argc, argv) : client_main(&co, argc, argv);
}
