// SPDX-License-Identifier: GPL-2.0
/*
 * quic_h3: an HTTP/3 client and server over IPPROTO_QUIC sockets.
 *
 *	quic_h3 server [-6] --cert F --key F [--cipher C] [--retry]
 *		       [--count N] ADDR PORT DIR
 *	quic_h3 client [--cipher C] [--no-verify | --cafile F] [--sni NAME]
 *		       [--groups G,...] -o OUTFILE
 *		       (https://HOST:PORT/PATH | ADDR PORT PATH)
 *
 * C is aes128gcm, aes256gcm, chacha20 or aes128ccm.
 *
 * TLS 1.3 with ALPN "h3" runs in tools/lib/quic (GnuTLS); HTTP/3 framing
 * and QPACK in libnghttp3.  Each HTTP/3 stream is one kernel QUIC stream:
 * the control and QPACK encoder/decoder streams are our first three
 * unidirectional streams, a request is a bidirectional one.  Stream data
 * goes out with sendmsg() and a QUIC_STREAM_INFO control message; once
 * the kernel accepted bytes, it retransmits them itself, so they count as
 * acknowledged for nghttp3 at once.
 *
 * The server answers GET /NAME with the file DIR/NAME (200), 404 when
 * there is none, 405 for other methods.  It serves one connection after
 * another, each in a child process, or, with --count N, N connections
 * in turn and exits: 0 when every one of them got all its answers out.
 * --retry makes the kernel validate client addresses with a Retry.
 *
 * The client fetches one path, writes the body to OUTFILE and exits 0
 * only on status 200 with a complete body (as long as Content-Length
 * says, when present); otherwise it says why and exits 1.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <nghttp3/nghttp3.h>

#include "quic.h"	/* tools/lib/quic; includes <linux/quic.h>, <linux/tls.h> */

#define IO_TIMEOUT	30		/* seconds any one socket call may block */
#define HS_TIMEOUT	20		/* seconds for the handshake */
#define RECV_BUF	(64 * 1024)
#define MAX_VECS	16
#define MAX_REQS	64		/* requests per connection */
#define PATH_MAX_LEN	1024
#define H3_NO_ERROR	0x100
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

struct cipher {
	const char *name;
	uint32_t type;			/* TLS_CIPHER_* */
	const char *prio;		/* GnuTLS priority keyword */
};

static const struct cipher ciphers[] = {
	{ "aes128gcm", TLS_CIPHER_AES_GCM_128, "+AES-128-GCM" },
	{ "aes256gcm", TLS_CIPHER_AES_GCM_256, "+AES-256-GCM" },
	{ "chacha20", TLS_CIPHER_CHACHA20_POLY1305, "+CHACHA20-POLY1305" },
	{ "aes128ccm", TLS_CIPHER_AES_CCM_128, "+AES-128-CCM" },
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

struct h3 {
	int fd;
	bool server;
	nghttp3_conn *conn;
	int err;			/* set by a callback that failed */

	/* client */
	int64_t req_id;
	int out_fd;
	int status;
	int64_t content_length;		/* -1: not given */
	uint64_t body_len;
	bool headers_done;
	bool done;
	bool reset;

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

/* A stream of ours, opened now so that IDs go out in order. */
static int stream_open(int fd, bool uni, int64_t *id)
{
	struct quic_stream_info info = {
		.stream_id = -1,
		.stream_flags = uni ? MSG_QUIC_STREAM_UNI : 0,
	};
	socklen_t len = sizeof(info);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len))
		return fail("open a %s stream: %s", uni ? "unidirectional" : "bidirectional",
			    strerror(errno));
	*id = info.stream_id;
	return 0;
}

/*
 * All of @vec on stream @id, FIN with the last byte if @fin.  Blocking
 * (with SO_SNDTIMEO): the kernel takes everything or fails.
 */
static int stream_send(int fd, int64_t id, nghttp3_vec *vec, int cnt, bool fin)
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
		while (n) {
			size_t k = (size_t)n < m.msg_iov->iov_len ? (size_t)n :
				   m.msg_iov->iov_len;

			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + k;
			m.msg_iov->iov_len -= k;
			n -= k;
			if (!m.msg_iov->iov_len) {
				m.msg_iov++;
				m.msg_iovlen--;
			}
		}
	}
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
		if (stream_send(h->fd, id, vec, cnt, fin))
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

	if (stream_open(h->fd, true, &ctrl) || stream_open(h->fd, true, &enc) ||
	    stream_open(h->fd, true, &dec))
		return -1;
	ret = nghttp3_conn_bind_control_stream(h->conn, ctrl);
	if (!ret)
		ret = nghttp3_conn_bind_qpack_streams(h->conn, enc, dec);
	if (ret)
		return fail("nghttp3 bind streams: %s", nghttp3_strerror(ret));
	return 0;
}

enum rcv_result { RCV_DATA, RCV_EOF, RCV_ERR };

/* Reads what the socket has and feeds it to nghttp3. */
static enum rcv_result h3_receive(struct h3 *h, uint8_t *buf, char *why, size_t whylen)
{
	uint32_t flags = 0;
	nghttp3_ssize r;
	int64_t id;
	ssize_t n;

	n = quic_recvmsg(h->fd, buf, RECV_BUF, &id, &flags);
	if (n < 0) {
		int err = errno;

		if (err == EINTR)
			return RCV_DATA;
		peer_close_reason(h->fd, why, whylen);
		snprintf(why + strlen(why), whylen - strlen(why), " recvmsg: %s",
			 err == EAGAIN ? "nothing received in time" : strerror(err));
		return RCV_ERR;
	}
	if (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
		return RCV_DATA;
	if (id < 0) {
		if (n)
			return RCV_DATA;
		peer_close_reason(h->fd, why, whylen);
		return RCV_EOF;
	}
	r = nghttp3_conn_read_stream(h->conn, id, buf, n, !!(flags & MSG_QUIC_STREAM_FIN));
	if (r < 0) {
		snprintf(why, whylen, " nghttp3 on stream %lld: %s", (long long)id,
			 nghttp3_strerror(r));
		return RCV_ERR;
	}
	if (h->err) {
		snprintf(why, whylen, " callback failed on stream %lld", (long long)id);
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

static int cl_recv_header(nghttp3_conn *conn, int64_t id, int32_t token,
			  nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
			  void *user, void *stream_user)
{
	struct h3 *h = user;
	char v[32];
	char *end;

	if (id != h->req_id)
		return 0;
	if (header_is(name, ":status")) {
		header_copy(value, v, sizeof(v));
		h->status = strtol(v, &end, 10);
		if (*end || end == v)
			h->status = -1;
	} else if (header_is(name, "content-length")) {
		header_copy(value, v, sizeof(v));
		h->content_length = strtoll(v, &end, 10);
		if (*end || end == v || h->content_length < 0)
			h->content_length = -1;
	}
	return 0;
}

static int cl_end_headers(nghttp3_conn *conn, int64_t id, int fin, void *user,
			  void *stream_user)
{
	struct h3 *h = user;

	if (id == h->req_id)
		h->headers_done = true;
	return 0;
}

static int cl_recv_data(nghttp3_conn *conn, int64_t id, const uint8_t *data,
			size_t len, void *user, void *stream_user)
{
	struct h3 *h = user;
	ssize_t n;

	if (id != h->req_id)
		return 0;
	h->body_len += len;
	while (len) {
		n = write(h->out_fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail("write the output file: %s", n ? strerror(errno) : "no space");
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
	struct h3 *h = user;

	if (id == h->req_id)
		h->done = true;
	return 0;
}

static int cl_reset_stream(nghttp3_conn *conn, int64_t id, uint64_t code, void *user,
			   void *stream_user)
{
	struct h3 *h = user;

	if (id == h->req_id) {
		fail("the server reset the request stream (error 0x%llx)",
		     (unsigned long long)code);
		h->reset = true;
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
	const char *path;
	const char *groups;
	int family;
};

static int client_request(struct h3 *h, const struct client_opts *o)
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
	nva[3] = nv(":path", o->path);
	nva[4] = nv("user-agent", "quic_h3");
	if (stream_open(h->fd, false, &h->req_id))
		return -1;
	ret = nghttp3_conn_submit_request(h->conn, h->req_id, nva, ARRAY_SIZE(nva), NULL, NULL);
	if (ret)
		return fail("nghttp3_conn_submit_request: %s", nghttp3_strerror(ret));
	return 0;
}

/*
 * --groups: a GnuTLS session of our own, with the key exchange groups
 * given (GnuTLS names, comma separated, the first ones get key shares):
 * "FFDHE8192,X25519" makes a ClientHello of about 1.3 kB, more than one
 * CRYPTO frame of a 1200-byte Initial.
 */
static int client_handshake_groups(int fd, const struct client_opts *o,
				   const char *hostname)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t alpn = { .data = (uint8_t *)"h3", .size = 2 };
	gnutls_session_t s = NULL;
	char prio[512], *list, *g, *save;
	int ret, n;

	n = snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:%s:-GROUP-ALL",
		     o->cipher ? o->cipher->prio :
		     "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM");
	list = strdup(o->groups);
	if (!list)
		return -ENOMEM;
	for (g = strtok_r(list, ",", &save); g && n < (int)sizeof(prio);
	     g = strtok_r(NULL, ",", &save))
		n += snprintf(prio + n, sizeof(prio) - n, ":+GROUP-%s", g);
	free(list);
	if (n + 30 >= (int)sizeof(prio)) {
		fail("--groups: too long");
		return -EINVAL;
	}
	strcat(prio, ":%DISABLE_TLS13_COMPAT_MODE");
	ret = gnutls_certificate_allocate_credentials(&cred);
	if (!ret)
		ret = o->cafile ? gnutls_certificate_set_x509_trust_file(cred, o->cafile,
									 GNUTLS_X509_FMT_PEM) :
			gnutls_certificate_set_x509_system_trust(cred);
	if (ret >= 0)
		ret = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA);
	if (!ret)
		ret = gnutls_priority_set_direct(s, prio, NULL);
	if (!ret)
		ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (!ret)
		ret = gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY);
	if (!ret && hostname)
		ret = gnutls_server_name_set(s, GNUTLS_NAME_DNS, hostname, strlen(hostname));
	if (ret < 0) {
		fail("GnuTLS session (%s): %s", prio, gnutls_strerror(ret));
		ret = -EINVAL;
		goto out;
	}
	if (!o->no_verify)
		gnutls_session_set_verify_cert(s, hostname, 0);
	gnutls_handshake_set_timeout(s, HS_TIMEOUT * 1000);
	gnutls_transport_set_int(s, fd);
	ret = quic_handshake(s);
out:
	if (s)
		gnutls_deinit(s);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	return ret;
}

static int client_handshake(int fd, const struct client_opts *o)
{
	struct quic_handshake_opts ho = {
		.alpns = "h3",
		.cafile = o->cafile,
		.no_verify = o->no_verify,
		.cipher = o->cipher ? o->cipher->type : 0,
		.timeout_ms = HS_TIMEOUT * 1000,
	};
	struct in6_addr a6;
	struct in_addr a4;
	char why[160];
	int ret;

	/* A name is checked against the certificate; an address is not. */
	ho.hostname = o->sni;
	if (!ho.hostname && inet_pton(AF_INET, o->host, &a4) != 1 &&
	    inet_pton(AF_INET6, o->host, &a6) != 1)
		ho.hostname = o->host;
	if (o->groups)
		ret = client_handshake_groups(fd, o, ho.hostname);
	else
		ret = quic_client_handshake_opts(fd, &ho);
	if (ret) {
		peer_close_reason(fd, why, sizeof(why));
		return fail("handshake: %s%s", strerror(-ret), why);
	}
	return 0;
}

static int run_client(const struct client_opts *o)
{
	nghttp3_callbacks cb = {
		.recv_header = cl_recv_header,
		.end_headers = cl_end_headers,
		.recv_data = cl_recv_data,
		.end_stream = cl_end_stream,
		.reset_stream = cl_reset_stream,
	};
	struct h3 h = { .fd = -1, .out_fd = -1, .req_id = -1, .content_length = -1 };
	struct sockaddr_storage ss;
	nghttp3_settings settings;
	double start = 0, secs;
	enum rcv_result rr;
	char why[256] = "";
	uint8_t *buf = NULL;
	socklen_t len;
	int ret = -1;

	if (resolve(o->host, o->port, o->family, false, &ss, &len))
		return -1;
	h.out_fd = open(o->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (h.out_fd < 0)
		return fail("%s: %s", o->out, strerror(errno));
	buf = malloc(RECV_BUF);
	if (!buf) {
		fail("out of memory");
		goto out;
	}
	h.fd = quic_socket(ss.ss_family);
	if (h.fd < 0)
		goto out;
	if (connect(h.fd, (struct sockaddr *)&ss, len)) {
		fail("connect: %s", strerror(errno));
		goto out;
	}
	if (client_handshake(h.fd, o) || set_timeouts(h.fd))
		goto out;
	nghttp3_settings_default(&settings);
	ret = nghttp3_conn_client_new(&h.conn, &cb, &settings, nghttp3_mem_default(), &h);
	if (ret) {
		ret = fail("nghttp3_conn_client_new: %s", nghttp3_strerror(ret));
		goto out;
	}
	ret = -1;
	start = now();
	if (h3_bind(&h) || client_request(&h, o))
		goto out;
	while (!h.done && !h.reset) {
		if (h3_flush(&h))
			goto out;
		rr = h3_receive(&h, buf, why, sizeof(why));
		if (rr == RCV_ERR) {
			fail("connection failed after %llu body bytes:%s",
			     (unsigned long long)h.body_len, why);
			goto out;
		}
		if (rr == RCV_EOF) {
			fail("the server closed the connection after %llu body bytes%s",
			     (unsigned long long)h.body_len, why);
			goto out;
		}
	}
	secs = now() - start;
	if (secs <= 0)
		secs = 0.001;
	if (h.reset)
		goto out;
	if (h.status != 200) {
		fail("HTTP status %d for %s", h.status, o->path);
		goto out;
	}
	if (h.content_length >= 0 && (uint64_t)h.content_length != h.body_len) {
		fail("body of %llu bytes, content-length %lld",
		     (unsigned long long)h.body_len, (long long)h.content_length);
		goto out;
	}
	printf("%s: GET %s: status 200, %llu bytes in %.3f s, %.2f MB/s\n", prog,
	       o->path, (unsigned long long)h.body_len, secs, h.body_len / secs / 1e6);
	ret = 0;
out:
	if (h.fd >= 0)
		h3_close(&h, ret ? NGHTTP3_H3_INTERNAL_ERROR : H3_NO_ERROR);
	if (h.conn)
		nghttp3_conn_del(h.conn);
	if (h.out_fd >= 0 && close(h.out_fd) && !ret)
		ret = fail("%s: %s", o->out, strerror(errno));
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
	long count;			/* connections to serve, 0: forever */
};

static const struct server_opts *srv;

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

static int serve(int fd)
{
	nghttp3_callbacks cb = {
		.begin_headers = sv_begin_headers,
		.recv_header = sv_recv_header,
		.end_stream = sv_end_stream,
	};
	struct quic_handshake_opts ho = {
		.pkey_file = srv->key,
		.cert_file = srv->cert,
		.alpns = "h3",
		.cipher = srv->cipher ? srv->cipher->type : 0,
		.timeout_ms = HS_TIMEOUT * 1000,
	};
	struct h3 *h = calloc(1, sizeof(*h));
	nghttp3_settings settings;
	char why[256] = "";
	enum rcv_result rr;
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
	ret = quic_server_handshake_opts(fd, &ho);
	if (ret) {
		peer_close_reason(fd, why, sizeof(why));
		ret = fail("handshake: %s%s", strerror(-ret), why);
		goto out;
	}
	ret = set_timeouts(fd);
	if (ret)
		goto out;
	nghttp3_settings_default(&settings);
	ret = nghttp3_conn_server_new(&h->conn, &cb, &settings, nghttp3_mem_default(), h);
	if (ret) {
		ret = fail("nghttp3_conn_server_new: %s", nghttp3_strerror(ret));
		goto out;
	}
	nghttp3_conn_set_max_client_streams_bidi(h->conn, 100);
	ret = h3_bind(h);
	/* Until the client closes (or goes idle). */
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
out:
	if (h->fd >= 0)
		h3_close(h, ret ? NGHTTP3_H3_INTERNAL_ERROR : H3_NO_ERROR);
	if (h->conn)
		nghttp3_conn_del(h->conn);
	for (i = 0; i < MAX_REQS; i++)
		req_free(&h->reqs[i]);
	free(h);
	free(buf);
	return ret;
}

static int listen_open(const struct server_opts *o)
{
	struct quic_config cfg = {};
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
	if (o->retry) {
		len = sizeof(cfg);
		if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len)) {
			fail("getsockopt(CONFIG): %s", strerror(errno));
			goto err;
		}
		cfg.validate_peer_address = 1;
		if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, len)) {
			fail("setsockopt(CONFIG, validate_peer_address): %s", strerror(errno));
			goto err;
		}
	}
	if (listen(fd, 16)) {
		fail("listen: %s", strerror(errno));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

static int run_server(const struct server_opts *o)
{
	long served = 0;
	int lfd, fd, ret = 0;
	pid_t pid;

	srv = o;
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
		if (o->count) {
			if (serve(fd))
				ret = -1;
			continue;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (!pid) {
			close(lfd);
			_exit(serve(fd) ? 1 : 0);
		}
		close(fd);
	}
	close(lfd);
	return ret;
}

/* ---- command line ---- */

static int bad_args(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s: %s\n", prog, msg);
	fputs("usage: quic_h3 server [-6] --cert F --key F [--cipher C] [--retry]\n"
	      "\t\t      [--count N] ADDR PORT DIR\n"
	      "       quic_h3 client [--cipher C] [--no-verify | --cafile F] [--sni NAME]\n"
	      "\t\t      [--groups G,...] -o OUTFILE (https://HOST:PORT/PATH | ADDR PORT PATH)\n"
	      "C: aes128gcm, aes256gcm, chacha20 or aes128ccm\n", stderr);
	return 2;
}

static const struct cipher *parse_cipher(const char *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (!strcmp(arg, ciphers[i].name))
			return &ciphers[i];
	return NULL;
}

/* https://HOST[:PORT]/PATH, HOST a name, an IPv4 or a [IPv6] address. */
static int parse_url(const char *url, struct client_opts *o)
{
	static char host[256], port[16], path[PATH_MAX_LEN];
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
	strcpy(port, "443");
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
	strcpy(path, *p ? p : "/");
	o->host = host;
	o->port = port;
	o->path = path;
	return 0;
}

enum { OPT_CERT = 256, OPT_KEY, OPT_CIPHER, OPT_RETRY, OPT_COUNT, OPT_NO_VERIFY,
	OPT_CAFILE, OPT_SNI, OPT_GROUPS };

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
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

int main(int argc, char **argv)
{
	struct server_opts so = { .family = AF_UNSPEC };
	struct client_opts co = { .family = AF_UNSPEC };
	const struct cipher *cipher = NULL;
	bool server, retry = false;
	char *end;
	int opt;

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
		switch (opt) {
		case '6':
			so.family = AF_INET6;
			co.family = AF_INET6;
			break;
		case 'o':
			co.out = optarg;
			break;
		case OPT_CERT:
			so.cert = optarg;
			break;
		case OPT_KEY:
			so.key = optarg;
			break;
		case OPT_CIPHER:
			cipher = parse_cipher(optarg);
			if (!cipher)
				return bad_args("--cipher: unknown cipher");
			break;
		case OPT_RETRY:
			retry = true;
			break;
		case OPT_COUNT:
			so.count = strtol(optarg, &end, 10);
			if (*end || so.count <= 0)
				return bad_args("--count: a positive number");
			break;
		case OPT_NO_VERIFY:
			co.no_verify = true;
			break;
		case OPT_CAFILE:
			co.cafile = optarg;
			break;
		case OPT_SNI:
			co.sni = optarg;
			break;
		case OPT_GROUPS:
			co.groups = optarg;
			break;
		case 'h':
			bad_args(NULL);
			return 0;
		default:
			return bad_args(NULL);
		}
	}
	argv += optind;
	argc -= optind;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (server) {
		if (argc != 3)
			return bad_args("server: ADDR PORT DIR");
		if (!so.cert || !so.key)
			return bad_args("server: --cert and --key are required");
		so.addr = argv[0];
		so.port = argv[1];
		so.dir = argv[2];
		so.cipher = cipher;
		so.retry = retry;
		return run_server(&so) ? 1 : 0;
	}
	if (argc == 1) {
		if (parse_url(argv[0], &co))
			return bad_args("client: a URL https://HOST[:PORT]/PATH");
	} else if (argc == 3) {
		co.host = argv[0];
		co.port = argv[1];
		co.path = argv[2];
	} else {
		return bad_args("client: a URL, or ADDR PORT PATH");
	}
	if (!co.out)
		return bad_args("client: -o OUTFILE is required");
	if (co.no_verify && co.cafile)
		return bad_args("client: --no-verify or --cafile, not both");
	co.cipher = cipher;
	return run_client(&co) ? 1 : 0;
}
