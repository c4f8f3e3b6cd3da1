// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC end-to-end tests: handshakes, stream and datagram transfers, stream
 * resets, connection close, cipher suites and key updates.
 *
 * quic_conn.sh joins two network namespaces with a veth pair and runs this
 * program in the client namespace.  Each test forks a server that enters the
 * server namespace (--server-netns), listens, accepts and plays its half of
 * the scenario, while the parent plays the client.  The TLS handshakes run
 * in user space through tools/lib/quic (PSK from --psk, or the X.509 files
 * given with --key, --cert and --ca).  The parent reaps the server and
 * checks its exit status, so a failure on either side fails the test.
 *
 * The two sides also talk through a pair of pipes: the server tells the
 * client its port once it listens, both wait for each other after the
 * handshake (so that neither sends 1-RTT packets the other cannot decrypt
 * yet, nor races an event subscription), and the server keeps its socket
 * open until the client says it is done.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/quic.h>
#include <linux/tls.h>

#include "quic.h"	/* tools/lib/quic: the handshake library */
#include "../../kselftest_harness.h"

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC	261
#endif

/* The addresses quic_conn.sh puts on the veth pair. */
#define CLIENT_V4	"10.0.1.1"
#define SERVER_V4	"10.0.1.2"
#define CLIENT_V6	"fd00::1"
#define SERVER_V6	"fd00::2"

#define SERVER_NAME	"server.quic.test"	/* in the X.509 certificate */
#define ALPN		"sample"

#define IO_TIMEOUT	20		/* seconds for any one blocking call */
#define CHUNK		(64 * 1024)	/* size of the stream writes */
#define KIB		1024ULL
#define MIB		(1024 * KIB)

/* @size divided by QUIC_CONN_SCALE, 1 to 64 (quic_conn.sh: 4 on the debug kernel) */
static size_t scaled(size_t size)
{
	const char *e = getenv("QUIC_CONN_SCALE");
	long d = e ? atol(e) : 1;

	return d > 1 && d <= 64 ? size / d : size;
}

static const char *server_netns;
static const char *psk_file;
static const char *key_file, *cert_file, *ca_file;

/* ---- diagnostics ---- */

static const char *side_name = "client";

static int __printf(1, 2) fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	/* One write per line: both sides share stderr. */
	n = snprintf(line, sizeof(line), "# %s: ", side_name);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
	return -1;
}

static int fail_errno(const char *what)
{
	int err = errno;

	return fail("%s: %s (errno %d)", what, strerror(err), err);
}

/* ---- test data: xorshift64 stream and FNV-1a 64 ---- */

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		h ^= *p++;
		h *= FNV_PRIME;
	}
	return h;
}

static void fill_random(uint64_t *state, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t x = *state;

	while (len) {
		size_t n = len < 8 ? len : 8;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p, &x, n);
		p += n;
		len -= n;
	}
	*state = x;
}

/* What the receiver of a stream sends back: checksum and length, LE64. */
struct digest {
	uint64_t sum;
	uint64_t len;
};

#define QUIC_TOKEN_MAX	256	/* longest token the kernel keeps */

/* ---- the scenario each test runs ---- */

struct peer;
typedef int (*step_fn)(struct peer *p);

struct scenario {
	int family;
	int type;
	const char *alpn;	/* ALPN on both sides, NULL for none */
	bool x509;		/* certificate handshake instead of PSK */
	uint16_t max_datagram;	/* max_datagram_frame_size, 0 to leave */
	uint32_t cipher;	/* CONFIG.payload_cipher_type, 0 to leave */
	uint64_t size;		/* bytes for the transfers */
	bool key_update;	/* client updates keys twice while sending */
	bool retry;		/* the listener validates addresses with Retry */
	bool resume;		/* the client keeps the session for a second one */
	step_fn client_prep;	/* after the handshake, before the barrier */
	step_fn server_prep;
	step_fn client;		/* the scenario proper */
	step_fn server;
};

struct peer {
	const struct scenario *sc;
	bool is_server;
	int fd;			/* the connected QUIC socket */
	int lfd;		/* the server's listener */
	int rd, wr;		/* pipe ends to the other side */
	uint16_t server_port;
	int key_updates;	/* done by this side */
	uint8_t session[4096];	/* client: resumption data from the first */
	size_t session_len;
};

static const char *local_ip(const struct peer *p)
{
	if (p->sc->family == AF_INET)
		return p->is_server ? SERVER_V4 : CLIENT_V4;
	return p->is_server ? SERVER_V6 : CLIENT_V6;
}

static const char *remote_ip(const struct peer *p)
{
	if (p->sc->family == AF_INET)
		return p->is_server ? CLIENT_V4 : SERVER_V4;
	return p->is_server ? CLIENT_V6 : SERVER_V6;
}

/* ---- pipes between the two sides ---- */

static int wait_readable(int fd, int timeout_s)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do
		ret = poll(&pfd, 1, timeout_s * 1000);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return fail_errno("poll");
	if (!ret)
		return fail("nothing to read after %d s", timeout_s);
	return 0;
}

static int peer_signal(struct peer *p)
{
	char c = 's';

	if (write(p->wr, &c, 1) != 1)
		return fail_errno("write to the pipe");
	return 0;
}

static int peer_wait_for(struct peer *p, int timeout_s)
{
	ssize_t n;
	char c;

	if (wait_readable(p->rd, timeout_s))
		return fail("no word from the %s", p->is_server ? "client" : "server");
	n = read(p->rd, &c, 1);
	if (n < 0)
		return fail_errno("read from the pipe");
	if (!n)
		return fail("the %s is gone", p->is_server ? "client" : "server");
	return 0;
}

static int peer_wait(struct peer *p)
{
	return peer_wait_for(p, IO_TIMEOUT);
}

/* ---- addresses ---- */

static socklen_t make_addr(struct sockaddr_storage *ss, int family,
			   const char *ip, uint16_t port)
{
	struct sockaddr_in6 *sin6;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		return sizeof(*sin);
	}
	sin6 = (void *)ss;
	sin6->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	return sizeof(*sin6);
}

/*
 * getsockname() (peer false) or getpeername() (peer true) must give @ip and
 * @port, or any port but 0 when @port is 0; the port is returned in @got.
 */
static int check_name(struct peer *p, bool peer, const char *ip,
		      uint16_t port, uint16_t *got)
{
	const char *what = peer ? "getpeername" : "getsockname";
	struct sockaddr_storage ss, want;
	socklen_t len = sizeof(ss), wlen;
	char text[INET6_ADDRSTRLEN] = "?";
	const void *a, *b;
	uint16_t sport;

	if ((peer ? getpeername : getsockname)(p->fd, (void *)&ss, &len))
		return fail_errno(what);
	wlen = make_addr(&want, p->sc->family, ip, 0);
	if (len != wlen || ss.ss_family != p->sc->family)
		return fail("%s: family %d length %u, want %d and %u", what,
			    ss.ss_family, len, p->sc->family, wlen);
	if (p->sc->family == AF_INET) {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		b = &((struct sockaddr_in *)&want)->sin_addr;
		sport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		len = sizeof(struct in_addr);
	} else {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		b = &((struct sockaddr_in6 *)&want)->sin6_addr;
		sport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		len = sizeof(struct in6_addr);
	}
	inet_ntop(p->sc->family, a, text, sizeof(text));
	if (memcmp(a, b, len))
		return fail("%s: address %s, want %s", what, text, ip);
	if (!sport || (port && sport != port))
		return fail("%s: port %u, want %u", what, sport, port);
	if (got)
		*got = sport;
	return 0;
}

/* ---- sockets ---- */

static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return fail_errno("setsockopt(SO_RCVTIMEO)");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return fail_errno("setsockopt(SO_SNDTIMEO)");
	return 0;
}

/* The options both sides set before the handshake: read, modify, write. */
static int set_options(int fd, const struct scenario *sc)
{
	if (sc->cipher) {
		struct quic_config cfg;
		socklen_t len = sizeof(cfg);

		memset(&cfg, 0, sizeof(cfg));
		if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len))
			return fail_errno("getsockopt(QUIC_SOCKOPT_CONFIG)");
		cfg.payload_cipher_type = sc->cipher;
		if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, sizeof(cfg)))
			return fail_errno("setsockopt(QUIC_SOCKOPT_CONFIG)");
	}
	if (sc->max_datagram) {
		struct quic_transport_param param;
		socklen_t len = sizeof(param);

		memset(&param, 0, sizeof(param));
		if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &param, &len))
			return fail_errno("getsockopt(QUIC_SOCKOPT_TRANSPORT_PARAM)");
		param.remote = 0;
		param.max_datagram_frame_size = sc->max_datagram;
		if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &param,
			       sizeof(param)))
			return fail_errno("setsockopt(QUIC_SOCKOPT_TRANSPORT_PARAM)");
	}
	if (sc->alpn && setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, sc->alpn,
				   strlen(sc->alpn)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_ALPN)");
	return 0;
}

/* A listener that sends Retry to clients without a token. */
static int set_validate_address(int fd)
{
	struct quic_config cfg;
	socklen_t len = sizeof(cfg);

	memset(&cfg, 0, sizeof(cfg));
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len))
		return fail_errno("getsockopt(QUIC_SOCKOPT_CONFIG)");
	cfg.validate_peer_address = 1;
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, sizeof(cfg)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_CONFIG)");
	return 0;
}

/* A listener on the server address; its port is returned in @port. */
static int open_server(const struct scenario *sc, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = socket(sc->family, sc->type, IPPROTO_QUIC);
	if (fd < 0)
		return fail_errno("socket");
	len = make_addr(&ss, sc->family, sc->family == AF_INET ? SERVER_V4 : SERVER_V6, 0);
	if (set_options(fd, sc) || (sc->retry && set_validate_address(fd)))
		goto err;
	if (bind(fd, (void *)&ss, len)) {
		fail_errno("bind");
		goto err;
	}
	if (listen(fd, 1)) {
		fail_errno("listen");
		goto err;
	}
	len = sizeof(ss);
	if (getsockname(fd, (void *)&ss, &len)) {
		fail_errno("getsockname");
		goto err;
	}
	*port = ntohs(sc->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
				((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
err:
	close(fd);
	return -1;
}

static int open_client(const struct scenario *sc, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = socket(sc->family, sc->type, IPPROTO_QUIC);
	if (fd < 0)
		return fail_errno("socket");
	if (set_options(fd, sc) || set_timeouts(fd))
		goto err;
	len = make_addr(&ss, sc->family, sc->family == AF_INET ? SERVER_V4 : SERVER_V6, port);
	if (connect(fd, (void *)&ss, len)) {
		fail_errno("connect");
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/* The client trusts the test CA and checks the server's name against it. */
static int client_x509_handshake(int fd, const char *alpn)
{
	struct quic_handshake_opts o = {
		.hostname = SERVER_NAME,
		.alpns = alpn,
		.cafile = ca_file,
	};

	return quic_client_handshake_opts(fd, &o);
}

/*
 * X.509 handshake that keeps the session for resumption (first
 * connection), or resumes it and sends @early in 0-RTT (second one).
 */
static int client_resume_handshake(struct peer *p, const void *early, size_t len)
{
	struct quic_handshake_opts o = {
		.hostname = SERVER_NAME,
		.alpns = p->sc->alpn,
		.cafile = ca_file,
	};

	if (early) {
		o.session_in = p->session;
		o.session_in_len = p->session_len;
		o.early_data = early;
		o.early_data_len = len;
		return quic_client_handshake_opts(p->fd, &o);
	}
	p->session_len = sizeof(p->session);
	o.session_out = p->session;
	o.session_out_len = &p->session_len;
	return quic_client_handshake_opts(p->fd, &o);
}

static int do_handshake(struct peer *p)
{
	const struct scenario *sc = p->sc;
	int ret;

	if (p->is_server)
		ret = sc->x509 ? quic_server_handshake(p->fd, key_file, cert_file, sc->alpn) :
				 quic_server_handshake(p->fd, psk_file, NULL, sc->alpn);
	else if (sc->resume)
		ret = client_resume_handshake(p, NULL, 0);
	else
		ret = sc->x509 ? client_x509_handshake(p->fd, sc->alpn) :
				 quic_client_handshake(p->fd, psk_file, NULL, sc->alpn);
	if (ret)
		return fail("handshake failed: %d (%s)", ret,
			    strerror(ret < 0 ? -ret : errno));
	return 0;
}

static int check_alpn(struct peer *p)
{
	char buf[64];
	socklen_t len = sizeof(buf);
	size_t want = strlen(p->sc->alpn);

	memset(buf, 0, sizeof(buf));
	if (getsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, &len))
		return fail_errno("getsockopt(QUIC_SOCKOPT_ALPN)");
	/* The length may or may not count a terminating NUL. */
	if ((len != want && len != want + 1) || memcmp(buf, p->sc->alpn, want))
		return fail("ALPN \"%.*s\" (%u bytes), want \"%s\"", (int)len, buf,
			    len, p->sc->alpn);
	return 0;
}

static int enable_event(struct peer *p, uint8_t type)
{
	struct quic_event_option ev = { .type = type, .on = 1 };

	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_EVENT)");
	return 0;
}

/* ---- stream I/O ---- */

static int send_all(int fd, const void *buf, size_t len, int64_t sid, uint32_t flags)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = quic_sendmsg(fd, p, len, sid, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return fail("quic_sendmsg: blocked for %d s (errno %d)", IO_TIMEOUT, errno);
		if (n < 0)
			return fail_errno("quic_sendmsg");
		if (!n)
			return fail("quic_sendmsg sent nothing");
		p += n;
		len -= n;
		flags &= ~MSG_QUIC_STREAM_NEW;	/* the stream is open now */
	}
	return 0;
}

static ssize_t recv_msg(int fd, void *buf, size_t len, int64_t *sid, uint32_t *flags)
{
	ssize_t n;

	do {
		*sid = -1;
		*flags = 0;
		n = quic_recvmsg(fd, buf, len, sid, flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return fail("quic_recvmsg: nothing within %d s (errno %d)", IO_TIMEOUT, errno);
	if (n < 0)
		return fail_errno("quic_recvmsg");
	return n;
}

/* Reads one stream to its FIN into @out, which it must fill exactly. */
static int recv_exact(int fd, int64_t want_sid, void *out, size_t len)
{
	uint8_t buf[512];
	size_t got = 0;
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	for (;;) {
		n = recv_msg(fd, buf, sizeof(buf), &sid, &flags);
		if (n < 0)
			return -1;
		if (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
			return fail("unexpected %s", flags & MSG_QUIC_DATAGRAM ?
				    "datagram" : "event");
		if (!n && !(flags & MSG_QUIC_STREAM_FIN))
			return fail("connection closed after %zu of %zu bytes", got, len);
		if (sid != want_sid)
			return fail("data on stream %lld, want %lld", (long long)sid,
				    (long long)want_sid);
		if (got + n > len)
			return fail("%zu bytes on stream %lld, want %zu",
				    got + n, (long long)sid, len);
		memcpy((char *)out + got, buf, n);
		got += n;
		if (flags & MSG_QUIC_STREAM_FIN)
			break;
	}
	if (got != len)
		return fail("%zu bytes on stream %lld, want %zu", got,
			    (long long)want_sid, len);
	return 0;
}

/* What a stream receiver saw: bytes, checksum, key update events. */
struct rx {
	uint64_t len;
	uint64_t sum;
	int key_updates;
	uint8_t phase[2];
};

static int note_event(struct peer *p, struct rx *rx, const uint8_t *buf, ssize_t n)
{
	if (n < 1)
		return fail("empty event");
	if (buf[0] != QUIC_EVENT_KEY_UPDATE || !p->sc->key_update)
		return fail("unexpected event %u", buf[0]);
	if (n < 2)
		return fail("short KEY_UPDATE event: %zd bytes", n);
	if (rx->key_updates < 2)
		rx->phase[rx->key_updates] = buf[1];
	rx->key_updates++;
	return 0;
}

/* Reads stream @want_sid to its FIN, checksumming it. */
static int recv_stream_sum(struct peer *p, int64_t want_sid, struct rx *rx)
{
	uint8_t *buf = malloc(CHUNK);
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	int ret = -1;

	if (!buf)
		return fail("out of memory");
	rx->len = 0;
	rx->sum = FNV_OFFSET;
	for (;;) {
		n = recv_msg(p->fd, buf, CHUNK, &sid, &flags);
		if (n < 0)
			break;
		if (flags & MSG_QUIC_NOTIFICATION) {
			if (note_event(p, rx, buf, n))
				break;
			continue;
		}
		if (flags & MSG_QUIC_DATAGRAM) {
			fail("unexpected datagram");
			break;
		}
		if (!n && !(flags & MSG_QUIC_STREAM_FIN)) {
			fail("connection closed after %llu bytes",
			     (unsigned long long)rx->len);
			break;
		}
		if (sid != want_sid) {
			fail("data on stream %lld, want %lld", (long long)sid,
			     (long long)want_sid);
			break;
		}
		rx->sum = fnv1a(rx->sum, buf, n);
		rx->len += n;
		if (flags & MSG_QUIC_STREAM_FIN) {
			ret = 0;
			break;
		}
	}
	free(buf);
	return ret;
}

static int send_digest(struct peer *p, int64_t sid, const struct rx *rx)
{
	struct digest d = { .sum = htole64(rx->sum), .len = htole64(rx->len) };

	return send_all(p->fd, &d, sizeof(d), sid, MSG_QUIC_STREAM_FIN);
}

static int check_digest(struct peer *p, int64_t sid, uint64_t sum, uint64_t len)
{
	struct digest d;

	if (recv_exact(p->fd, sid, &d, sizeof(d)))
		return -1;
	if (le64toh(d.len) != len || le64toh(d.sum) != sum)
		return fail("peer got %llu bytes, checksum %016llx; sent %llu, %016llx",
			    (unsigned long long)le64toh(d.len),
			    (unsigned long long)le64toh(d.sum),
			    (unsigned long long)len, (unsigned long long)sum);
	return 0;
}

/*
 * The client starts a key update after 1 MiB and another one at 1.5 MiB.
 * A second update may only start once the first is acknowledged (RFC 9001
 * section 6.5), so it is retried after each write until it is accepted.
 */
static int key_update_step(struct peer *p, uint64_t sent)
{
	if (p->key_updates == 0 && sent >= MIB) {
		if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_KEY_UPDATE, NULL, 0))
			return fail_errno("setsockopt(QUIC_SOCKOPT_KEY_UPDATE)");
		p->key_updates++;
	} else if (p->key_updates == 1 && sent >= MIB + 512 * KIB) {
		if (!setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_KEY_UPDATE, NULL, 0))
			p->key_updates++;
		else if (errno != EINVAL && errno != EAGAIN && errno != EBUSY)
			return fail_errno("second setsockopt(QUIC_SOCKOPT_KEY_UPDATE)");
	}
	return 0;
}

/* The generator state send_stream_data() starts from for @total bytes. */
static uint64_t stream_data_seed(uint64_t total)
{
	return 0x9e3779b97f4a7c15ULL ^ total;
}

/* Sends sc->size pseudo-random bytes on a new stream @sid, then its FIN. */
static int send_stream_data(struct peer *p, int64_t sid, uint64_t *sum)
{
	uint64_t total = p->sc->size, sent = 0, state = stream_data_seed(total);
	uint32_t flags = MSG_QUIC_STREAM_NEW;
	uint8_t *buf = malloc(CHUNK);
	int ret = -1;

	if (!buf)
		return fail("out of memory");
	*sum = FNV_OFFSET;
	while (sent < total) {
		size_t n = total - sent < CHUNK ? total - sent : CHUNK;

		fill_random(&state, buf, n);
		*sum = fnv1a(*sum, buf, n);
		if (sent + n == total)
			flags |= MSG_QUIC_STREAM_FIN;
		if (send_all(p->fd, buf, n, sid, flags))
			goto out;
		flags = 0;
		sent += n;
		if (p->sc->key_update && key_update_step(p, sent))
			goto out;
	}
	if (p->sc->key_update && p->key_updates != 2) {
		fail("only %d of 2 key updates were accepted", p->key_updates);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* ---- scenarios ---- */

/*
 * Handshake: both sides check their addresses and the ALPN; the client
 * sends its port on stream 0, the server compares it with getpeername()
 * and answers "ok".
 */
static int client_hello(struct peer *p)
{
	uint8_t msg[7] = { 0, 0, 'h', 'e', 'l', 'l', 'o' };
	uint16_t port;
	char reply[2];

	if (check_name(p, false, local_ip(p), 0, &port) ||
	    check_name(p, true, remote_ip(p), p->server_port, NULL))
		return -1;
	if (p->sc->alpn && check_alpn(p))
		return -1;
	msg[0] = port >> 8;
	msg[1] = port & 0xff;
	if (send_all(p->fd, msg, sizeof(msg), 0, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN) ||
	    recv_exact(p->fd, 0, reply, sizeof(reply)))
		return -1;
	if (memcmp(reply, "ok", 2))
		return fail("reply \"%.2s\", want \"ok\"", reply);
	return 0;
}

static int server_hello(struct peer *p)
{
	uint16_t peer_port;
	uint8_t msg[7];

	if (check_name(p, false, local_ip(p), p->server_port, NULL) ||
	    check_name(p, true, remote_ip(p), 0, &peer_port))
		return -1;
	if (p->sc->alpn && check_alpn(p))
		return -1;
	if (recv_exact(p->fd, 0, msg, sizeof(msg)))
		return -1;
	if (memcmp(msg + 2, "hello", 5))
		return fail("got \"%.5s\", want \"hello\"", (char *)msg + 2);
	if (((msg[0] << 8) | msg[1]) != peer_port)
		return fail("client says its port is %u, getpeername() says %u",
			    (msg[0] << 8) | msg[1], peer_port);
	return send_all(p->fd, "ok", 2, 0, MSG_QUIC_STREAM_FIN);
}

/* Client to server: data on stream 0, the digest comes back on it. */
static int client_upload(struct peer *p)
{
	uint64_t sum;

	if (send_stream_data(p, 0, &sum))
		return -1;
	return check_digest(p, 0, sum, p->sc->size);
}

static int server_upload(struct peer *p)
{
	struct rx rx = {};

	if (recv_stream_sum(p, 0, &rx))
		return -1;
	if (p->sc->key_update) {
		/* The events may trail the data: give them a moment. */
		while (rx.key_updates < 2) {
			uint8_t buf[64];
			uint32_t flags;
			int64_t sid;
			ssize_t n;

			if (wait_readable(p->fd, 5))
				break;
			n = recv_msg(p->fd, buf, sizeof(buf), &sid, &flags);
			if (n < 0)
				return -1;
			if (!(flags & MSG_QUIC_NOTIFICATION))
				return fail("unexpected data after the FIN");
			if (note_event(p, &rx, buf, n))
				return -1;
		}
		if (rx.key_updates != 2)
			return fail("%d KEY_UPDATE events, want 2", rx.key_updates);
		if (rx.phase[0] == rx.phase[1])
			return fail("both key updates report phase %u", rx.phase[0]);
	}
	return send_digest(p, 0, &rx);
}

/* Server to client: data on the server's stream 1, digest back on it. */
static int client_download(struct peer *p)
{
	struct rx rx = {};

	if (recv_stream_sum(p, 1, &rx))
		return -1;
	return send_digest(p, 1, &rx);
}

static int server_download(struct peer *p)
{
	uint64_t sum;

	if (send_stream_data(p, 1, &sum))
		return -1;
	return check_digest(p, 1, sum, p->sc->size);
}

/* Many streams: message k goes on the k-th stream of a kind. */
#define NSTREAMS	100
#define NUNI		10

struct stream_buf {
	char data[128];
	size_t len;
	bool fin;
};

static size_t stream_msg(char *buf, size_t cap, int k, bool uni)
{
	static const char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	return snprintf(buf, cap, "%s stream %d says %.*s", uni ? "uni" : "bidi",
			k, k % 36 + 1, fill);
}

/*
 * Reads @count streams whose IDs are @base, @base + 4, ... to their FINs;
 * checks each against stream_msg() and, with @echo, sends it back on its
 * stream with a FIN.
 */
static int recv_streams(struct peer *p, struct stream_buf *m, int count,
			int64_t base, bool uni, bool echo)
{
	char buf[256], want[128];
	int done = 0, k;
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	while (done < count) {
		n = recv_msg(p->fd, buf, sizeof(buf), &sid, &flags);
		if (n < 0)
			return -1;
		if (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
			return fail("unexpected %s", flags & MSG_QUIC_DATAGRAM ?
				    "datagram" : "event");
		if (!n && !(flags & MSG_QUIC_STREAM_FIN))
			return fail("connection closed with %d of %d streams done",
				    done, count);
		if (sid < base || (sid - base) % 4 || (sid - base) / 4 >= count)
			return fail("data on unexpected stream %lld", (long long)sid);
		k = (sid - base) / 4;
		if (m[k].fin)
			return fail("data after the FIN on stream %lld", (long long)sid);
		if (m[k].len + n > sizeof(m[k].data))
			return fail("too much data on stream %lld", (long long)sid);
		memcpy(m[k].data + m[k].len, buf, n);
		m[k].len += n;
		if (!(flags & MSG_QUIC_STREAM_FIN))
			continue;
		m[k].fin = true;
		done++;
		if (m[k].len != stream_msg(want, sizeof(want), k, uni) ||
		    memcmp(m[k].data, want, m[k].len))
			return fail("stream %lld: \"%.*s\", want \"%s\"", (long long)sid,
				    (int)m[k].len, m[k].data, want);
		if (echo && send_all(p->fd, m[k].data, m[k].len, sid, MSG_QUIC_STREAM_FIN))
			return -1;
	}
	return 0;
}

static int client_streams(struct peer *p)
{
	struct stream_buf m[NSTREAMS] = {};
	char msg[128];
	size_t len;
	int k;

	for (k = 0; k < NSTREAMS; k++) {
		len = stream_msg(msg, sizeof(msg), k, false);
		if (send_all(p->fd, msg, len, -1, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN))
			return fail("on stream %d", k);
	}
	/* The k-th bidirectional stream of a client has ID 4k. */
	return recv_streams(p, m, NSTREAMS, 0, false, false);
}

static int server_streams(struct peer *p)
{
	struct stream_buf m[NSTREAMS] = {};

	return recv_streams(p, m, NSTREAMS, 0, false, true);
}

static int client_uni(struct peer *p)
{
	char msg[128];
	size_t len;
	int k;

	for (k = 0; k < NUNI; k++) {
		len = stream_msg(msg, sizeof(msg), k, true);
		if (send_all(p->fd, msg, len, -1, MSG_QUIC_STREAM_NEW |
			     MSG_QUIC_STREAM_UNI | MSG_QUIC_STREAM_FIN))
			return fail("on unidirectional stream %d", k);
	}
	return 0;
}

static int server_uni(struct peer *p)
{
	struct stream_buf m[NUNI] = {};

	/* Client unidirectional streams: 2, 6, 10, ... */
	return recv_streams(p, m, NUNI, 2, true, false);
}

/* Datagrams, in lock step: the server checks each one and echoes it. */
#define NDGRAMS		100
#define DGRAM_FRAME	1200

static size_t dgram_fill(uint8_t *buf, int i)
{
	uint64_t state = 0x5151dead0000ULL + i;
	size_t len = 16 + (i * 97) % 985;	/* 16 to 1000 bytes */

	fill_random(&state, buf, len);
	buf[0] = i >> 8;
	buf[1] = i & 0xff;
	return len;
}

static int recv_dgram(struct peer *p, uint8_t *buf, size_t cap, int i, size_t want,
		      const uint8_t *data)
{
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	n = recv_msg(p->fd, buf, cap, &sid, &flags);
	if (n < 0)
		return fail("datagram %d", i);
	if (!(flags & MSG_QUIC_DATAGRAM))
		return fail("datagram %d: flags %#x, no MSG_QUIC_DATAGRAM", i, flags);
	if ((size_t)n != want || memcmp(buf, data, want))
		return fail("datagram %d: %zd bytes (index %u), want %zu intact", i, n,
			    n >= 2 ? (buf[0] << 8) | buf[1] : 0, want);
	return 0;
}

static int send_dgram(struct peer *p, const uint8_t *buf, size_t len, int i)
{
	ssize_t n = send(p->fd, buf, len, MSG_QUIC_DATAGRAM);

	if (n < 0)
		return fail("datagram %d: send: %s (errno %d)", i, strerror(errno), errno);
	if ((size_t)n != len)
		return fail("datagram %d: sent %zd of %zu bytes", i, n, len);
	return 0;
}

static int client_datagrams(struct peer *p)
{
	uint8_t out[1024], in[2048];
	size_t len;
	int i;

	for (i = 0; i < NDGRAMS; i++) {
		len = dgram_fill(out, i);
		if (send_dgram(p, out, len, i) ||
		    recv_dgram(p, in, sizeof(in), i, len, out))
			return -1;
	}
	return 0;
}

static int server_datagrams(struct peer *p)
{
	uint8_t want[1024], in[2048];
	size_t len;
	int i;

	for (i = 0; i < NDGRAMS; i++) {
		len = dgram_fill(want, i);
		if (recv_dgram(p, in, sizeof(in), i, len, want) ||
		    send_dgram(p, in, len, i))
			return -1;
	}
	return 0;
}

/*
 * Waits for a STREAM_UPDATE event for stream @sid in @state, passing over
 * other STREAM_UPDATE states and, with @data_ok, stream data on @sid.
 */
static int wait_stream_update(struct peer *p, int64_t sid, uint8_t state,
			      bool data_ok, struct quic_stream_update *out)
{
	struct quic_stream_update upd;
	uint8_t buf[2048];
	uint32_t flags;
	int64_t id;
	ssize_t n;
	int i;

	for (i = 0; i < 1000; i++) {
		n = recv_msg(p->fd, buf, sizeof(buf), &id, &flags);
		if (n < 0)
			return -1;
		if (!(flags & MSG_QUIC_NOTIFICATION)) {
			if (!n && !(flags & MSG_QUIC_STREAM_FIN))
				return fail("connection closed while waiting for an event");
			if (!data_ok || (flags & MSG_QUIC_DATAGRAM) || id != sid)
				return fail("unexpected data (flags %#x, stream %lld)",
					    flags, (long long)id);
			if (flags & MSG_QUIC_STREAM_FIN)
				return fail("unexpected FIN on stream %lld", (long long)id);
			continue;
		}
		if (n < 1 || buf[0] != QUIC_EVENT_STREAM_UPDATE)
			return fail("unexpected event %d", n < 1 ? -1 : buf[0]);
		if ((size_t)n < 1 + sizeof(upd))
			return fail("short STREAM_UPDATE event: %zd bytes", n);
		memcpy(&upd, buf + 1, sizeof(upd));
		if (upd.id != sid)
			return fail("STREAM_UPDATE for stream %lld, want %lld",
				    (long long)upd.id, (long long)sid);
		if (upd.state == state) {
			*out = upd;
			return 0;
		}
	}
	return fail("no STREAM_UPDATE state %u among 1000 messages", state);
}

static int enable_stream_update(struct peer *p)
{
	return enable_event(p, QUIC_EVENT_STREAM_UPDATE);
}

static int enable_key_update(struct peer *p)
{
	return enable_event(p, QUIC_EVENT_KEY_UPDATE);
}

#define RESET_BYTES	1000
#define RESET_ERRCODE	42
#define STOP_ERRCODE	7

/* A counter of this network namespace from /proc/net/quic/snmp, or -1. */
static long mib_read(const char *name)
{
	char key[64];
	long val = -1;
	FILE *f;
	long v;

	f = fopen("/proc/self/net/quic/snmp", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

/* Checks that counter @name grew by @min to @max since it read @before. */
static int mib_check(const char *name, long before, long min, long max)
{
	long now = mib_read(name);

	if (before < 0 || now < 0)
		return fail("no %s in /proc/net/quic/snmp", name);
	if (now - before < min || now - before > max)
		return fail("%s grew by %ld, want %ld to %ld", name, now - before, min, max);
	return 0;
}

/*
 * Address validation (RFC 9000 section 8.1).  Retry: the client sets no
 * token, so the one it holds after the handshake came in a Retry.
 */
static int get_token(int fd, uint8_t *buf, socklen_t *len)
{
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, buf, len))
		return fail_errno("getsockopt(QUIC_SOCKOPT_TOKEN)");
	return 0;
}

static int client_retry(struct peer *p)
{
	uint8_t tok[QUIC_TOKEN_MAX];
	socklen_t len = sizeof(tok);

	if (get_token(p->fd, tok, &len))
		return -1;
	if (!len)
		return fail("no token after the handshake: no Retry was taken");
	if (mib_read("QuicRetryReceived") < 1)
		return fail("QuicRetryReceived is %ld", mib_read("QuicRetryReceived"));
	return client_upload(p);
}

/*
 * Pacing (RFC 9002 section 7.7): on a 100 ms RTT path a slow start round
 * of twice the window leaves in a clump (each ACK releases four packets)
 * within a few ms even on a slow kernel, but the pacing schedule gives it
 * 1.6 RTT, more than its burst allowance: the sender must have waited for
 * the pacing timer.  The counter is the client's namespace's.
 */
static int client_upload_paced(struct peer *p)
{
	long waits = mib_read("QuicPacingWaits");

	if (client_upload(p))
		return -1;
	fprintf(stderr, "# client: %ld pacing waits\n", mib_read("QuicPacingWaits") - waits);
	return mib_check("QuicPacingWaits", waits, 1, LONG_MAX);
}

/*
 * GSO: a bulk sender packs the 1-RTT packets of one flush into trains sent
 * as one UDP GSO skb.  The upload is checksummed by the server as usual;
 * here the client's counters must show trains that carried at least a
 * quarter of the 1 MiB upload, about 720 full packets.
 */
static int client_upload_gso(struct peer *p)
{
	long trains = mib_read("QuicGsoSent"), segs = mib_read("QuicGsoSegments");

	if (client_upload(p))
		return -1;
	fprintf(stderr, "# client: %ld packets in %ld GSO trains\n",
		mib_read("QuicGsoSegments") - segs, mib_read("QuicGsoSent") - trains);
	if (mib_check("QuicGsoSent", trains, 1, LONG_MAX))
		return -1;
	return mib_check("QuicGsoSegments", segs, MIB / 1500 / 4, LONG_MAX);
}

/*
 * NEW_TOKEN: the server issues a token on the first connection; the
 * client gets it as an event and connects again with it, to the same
 * Retry-sending listener.  That second handshake must take no Retry: the
 * token the client holds after it is still the one it set.
 */
static int client_new_token_prep(struct peer *p)
{
	return enable_event(p, QUIC_EVENT_NEW_TOKEN);
}

static int recv_new_token(struct peer *p, uint8_t *tok, socklen_t *tlen)
{
	uint8_t buf[1 + QUIC_TOKEN_MAX], held[QUIC_TOKEN_MAX];
	socklen_t hlen = sizeof(held);
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	n = recv_msg(p->fd, buf, sizeof(buf), &sid, &flags);
	if (n < 0)
		return -1;
	if (!(flags & MSG_QUIC_NOTIFICATION) || n < 2 || buf[0] != QUIC_EVENT_NEW_TOKEN)
		return fail("want a NEW_TOKEN event, got %zd bytes, flags %#x, type %u",
			    n, flags, n ? buf[0] : 0);
	*tlen = n - 1;
	memcpy(tok, buf + 1, n - 1);
	if (get_token(p->fd, held, &hlen))
		return -1;
	if (hlen != *tlen || memcmp(held, tok, hlen))
		return fail("QUIC_SOCKOPT_TOKEN (%u bytes) is not the event's token (%u)",
			    hlen, *tlen);
	return 0;
}

static int client_new_token(struct peer *p)
{
	uint8_t tok[QUIC_TOKEN_MAX], held[QUIC_TOKEN_MAX];
	socklen_t tlen = 0, hlen = sizeof(held);
	int fd1 = p->fd, ret = -1;
	struct sockaddr_storage ss;
	socklen_t len;

	if (recv_new_token(p, tok, &tlen))
		return -1;
	p->fd = socket(p->sc->family, p->sc->type, IPPROTO_QUIC);
	if (p->fd < 0) {
		p->fd = fd1;
		return fail_errno("socket");
	}
	len = make_addr(&ss, p->sc->family,
			p->sc->family == AF_INET ? SERVER_V4 : SERVER_V6, p->server_port);
	if (set_options(p->fd, p->sc) || set_timeouts(p->fd))
		goto out;
	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, tok, tlen)) {
		fail_errno("setsockopt(QUIC_SOCKOPT_TOKEN)");
		goto out;
	}
	if (connect(p->fd, (void *)&ss, len)) {
		fail_errno("connect");
		goto out;
	}
	if (do_handshake(p) || get_token(p->fd, held, &hlen))
		goto out;
	if (hlen != tlen || memcmp(held, tok, tlen)) {
		fail("the second connection took a Retry despite its token");
		goto out;
	}
	ret = client_hello(p);
out:
	close(p->fd);
	p->fd = fd1;
	return ret;
}

static int server_new_token(struct peer *p)
{
	long retries = mib_read("QuicRetrySent");
	int fd1 = p->fd, ret = -1;

	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, NULL, 0))
		return fail_errno("setsockopt(QUIC_SOCKOPT_TOKEN) on the server");
	if (wait_readable(p->lfd, IO_TIMEOUT))
		return fail("no second connection to accept");
	p->fd = accept(p->lfd, NULL, NULL);
	if (p->fd < 0) {
		p->fd = fd1;
		return fail_errno("accept");
	}
	if (!set_timeouts(p->fd) && !do_handshake(p))
		ret = server_hello(p);
	/* The first connection's Retry was before: none for this one. */
	if (!ret)
		ret = mib_check("QuicRetrySent", retries, 0, 0);
	close(p->fd);
	p->fd = fd1;
	return ret;
}

/* The client resets stream 0 after some data; the server sees it. */
static int client_reset(struct peer *p)
{
	struct quic_errinfo info = { .stream_id = 0, .errcode = RESET_ERRCODE };
	uint8_t buf[RESET_BYTES];

	memset(buf, 'r', sizeof(buf));
	if (send_all(p->fd, buf, sizeof(buf), 0, MSG_QUIC_STREAM_NEW))
		return -1;
	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_RESET, &info, sizeof(info)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_STREAM_RESET)");
	return 0;
}

static int server_reset(struct peer *p)
{
	struct quic_stream_update upd;

	if (wait_stream_update(p, 0, QUIC_STREAM_RECV_STATE_RESET_RECVD, true, &upd))
		return -1;
	if (upd.errcode != RESET_ERRCODE)
		return fail("reset error code %u, want %u", upd.errcode, RESET_ERRCODE);
	if (upd.finalsz != RESET_BYTES)
		return fail("reset final size %llu, want %u",
			    (unsigned long long)upd.finalsz, RESET_BYTES);
	return 0;
}

/* The server asks the client to stop sending on stream 0. */
static int client_stop(struct peer *p)
{
	struct quic_stream_update upd;
	uint8_t buf[100];

	memset(buf, 's', sizeof(buf));
	if (send_all(p->fd, buf, sizeof(buf), 0, MSG_QUIC_STREAM_NEW))
		return -1;
	if (wait_stream_update(p, 0, QUIC_STREAM_SEND_STATE_RESET_SENT, false, &upd))
		return -1;
	if (upd.errcode != STOP_ERRCODE)
		return fail("RESET_SENT error code %u, want %u", upd.errcode, STOP_ERRCODE);
	return 0;
}

static int server_stop(struct peer *p)
{
	struct quic_errinfo info = { .stream_id = 0, .errcode = STOP_ERRCODE };
	uint8_t buf[256];
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	/* Some data first, so that the stream exists here. */
	n = recv_msg(p->fd, buf, sizeof(buf), &sid, &flags);
	if (n < 0)
		return -1;
	if (n == 0 || sid != 0 ||
	    (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM | MSG_QUIC_STREAM_FIN)))
		return fail("got %zd bytes on stream %lld (flags %#x), want data on 0",
			    n, (long long)sid, flags);
	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_STOP_SENDING, &info,
		       sizeof(info)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_STREAM_STOP_SENDING)");
	return 0;
}

/* The server closes with an error code and a phrase. */
#define CLOSE_ERRCODE	1234
#define CLOSE_PHRASE	"bye"

static int client_close(struct peer *p)
{
	struct quic_connection_close cc;
	socklen_t len = sizeof(cc);
	char buf[256];
	ssize_t n;

	n = recv(p->fd, buf, sizeof(buf), 0);
	if (n < 0)
		return fail_errno("recv");
	if (n > 0)
		return fail("recv returned %zd bytes, want end of file", n);
	memset(&cc, 0, sizeof(cc));
	if (getsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc, &len))
		return fail_errno("getsockopt(QUIC_SOCKOPT_CONNECTION_CLOSE)");
	if (cc.errcode != CLOSE_ERRCODE)
		return fail("close error code %u, want %u", cc.errcode, CLOSE_ERRCODE);
	if (len < offsetof(struct quic_connection_close, phrase) + sizeof(CLOSE_PHRASE) - 1 ||
	    strncmp((char *)cc.phrase, CLOSE_PHRASE, sizeof(cc.phrase)))
		return fail("close phrase \"%.*s\" (option length %u), want \"%s\"",
			    (int)sizeof(cc.phrase), cc.phrase, len, CLOSE_PHRASE);
	if (send(p->fd, "x", 1, 0) != -1 || errno != EPIPE)
		return fail("send after the peer closed: %s, want EPIPE",
			    strerror(errno));
	return 0;
}

static int server_close(struct peer *p)
{
	struct quic_connection_close cc = { .errcode = CLOSE_ERRCODE };

	strcpy((char *)cc.phrase, CLOSE_PHRASE);
	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc, sizeof(cc)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_CONNECTION_CLOSE)");
	if (close(p->fd))
		return fail_errno("close");
	p->fd = -1;
	return 0;
}

/*
 * close() is graceful (socket API draft): the server writes sc->size bytes
 * and closes at once, far ahead of what its congestion window lets out.
 * quic_conn.sh runs this on the lossy link, so that packets lost after the
 * close must be resent too.  The socket stays, orphaned, until the client
 * has acknowledged it all; then the client sees the close, with no error.
 */
/*
 * The server's CONNECTION_CLOSE goes out once, after its last ACK; if the
 * lossy link drops it, it is sent again only in answer to a packet (RFC
 * 9000 section 10.2.1).  So, like a peer with more to say, the client
 * sends a byte on a new stream each second until the close is readable.
 */
#define CLOSE_WAIT_S	20

static int wait_close(struct peer *p)
{
	const uint32_t flags = MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int i;

	for (i = 0; i < CLOSE_WAIT_S; i++) {
		if (poll(&pfd, 1, 1000) > 0)
			return 0;
		if (quic_sendmsg(p->fd, "?", 1, -1, flags) < 0 && errno != EPIPE && errno != EINTR)
			return fail_errno("quic_sendmsg, waiting for the close");
	}
	return fail("no close within %d s", CLOSE_WAIT_S);
}

static int client_close_after_write(struct peer *p)
{
	uint64_t total = p->sc->size, state = stream_data_seed(total);
	uint64_t sum = FNV_OFFSET, done = 0;
	uint8_t *buf = malloc(CHUNK);
	struct rx rx = {};
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	if (!buf)
		return fail("out of memory");
	while (done < total) {	/* what send_stream_data() sends */
		size_t len = total - done < CHUNK ? total - done : CHUNK;

		fill_random(&state, buf, len);
		sum = fnv1a(sum, buf, len);
		done += len;
	}
	free(buf);
	if (recv_stream_sum(p, 1, &rx))
		return -1;
	if (rx.len != total || rx.sum != sum)
		return fail("got %llu bytes, checksum %016llx; sent %llu, %016llx",
			    (unsigned long long)rx.len, (unsigned long long)rx.sum,
			    (unsigned long long)total, (unsigned long long)sum);
	if (wait_close(p))
		return -1;
	/* The close; or, if it was lost and the server's closing period
	 * (three PTOs) was over when our next packet came, the Stateless
	 * Reset sent in answer to it (RFC 9000 section 10.3).
	 */
	do {
		sid = -1;
		flags = 0;
		n = quic_recvmsg(p->fd, &state, sizeof(state), &sid, &flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ECONNRESET)
		return 0;
	if (n != 0)
		return fail("after the data: %zd bytes (errno %d), want the close", n, errno);
	return 0;
}

static int server_close_after_write(struct peer *p)
{
	uint64_t sum;

	if (send_stream_data(p, 1, &sum))
		return -1;
	if (close(p->fd))
		return fail_errno("close");
	p->fd = -1;
	return 0;
}

/* ---- running both sides ---- */

/* The barrier after the handshake: prepare, then meet the other side. */
static int meet(struct peer *p, step_fn prep)
{
	if (prep && prep(p))
		return -1;
	if (peer_signal(p) || peer_wait(p))
		return fail("no meeting after the handshake");
	return 0;
}

static int run_server(const struct scenario *sc, int rd, int wr, int timeout)
{
	struct peer p = { .sc = sc, .is_server = true, .fd = -1, .rd = rd, .wr = wr };
	int nsfd, lfd, ret = -1;

	side_name = "server";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		return fail_errno("prctl(PR_SET_PDEATHSIG)");
	alarm(timeout);
	nsfd = open(server_netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return fail_errno(server_netns);
	if (setns(nsfd, CLONE_NEWNET)) {
		fail_errno("setns");
		close(nsfd);
		return -1;
	}
	close(nsfd);

	lfd = open_server(sc, &p.server_port);
	if (lfd < 0)
		return -1;
	p.lfd = lfd;
	if (write(wr, &p.server_port, sizeof(p.server_port)) != sizeof(p.server_port)) {
		fail_errno("write the port to the pipe");
		goto out;
	}
	if (wait_readable(lfd, IO_TIMEOUT)) {
		fail("no connection to accept");
		goto out;
	}
	p.fd = accept(lfd, NULL, NULL);
	if (p.fd < 0) {
		fail_errno("accept");
		goto out;
	}
	if (set_timeouts(p.fd) || do_handshake(&p) || meet(&p, sc->server_prep) ||
	    sc->server(&p))
		goto out;
	/* Keep the connection until the client is done with it. */
	ret = peer_wait_for(&p, timeout);
out:
	if (p.fd >= 0)
		close(p.fd);
	close(lfd);
	return ret;
}

static int run_client(struct peer *p)
{
	const struct scenario *sc = p->sc;

	if (wait_readable(p->rd, IO_TIMEOUT) ||
	    read(p->rd, &p->server_port, sizeof(p->server_port)) != sizeof(p->server_port))
		return fail("the server did not start listening");
	p->fd = open_client(sc, p->server_port);
	if (p->fd < 0 || do_handshake(p) || meet(p, sc->client_prep))
		return -1;
	return sc->client(p);
}

/* Waits up to @timeout_s seconds for @pid, then kills it. */
static int reap(pid_t pid, int timeout_s, int *status)
{
	struct timespec start, now;
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail_errno("waitpid");
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s)
			break;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return fail("the server did not finish within %d s", timeout_s);
}

static int run_pair(const struct scenario *sc, int timeout)
{
	struct peer p = { .sc = sc, .fd = -1 };
	int c2s[2], s2c[2], status = 0, ret;
	pid_t pid;

	if (!server_netns || !psk_file)
		return fail("run me through quic_conn.sh (--server-netns and --psk)");
	if (sc->x509 && (!key_file || !cert_file || !ca_file))
		return fail("X.509 test without --key, --cert and --ca");
	if (pipe2(c2s, O_CLOEXEC))
		return fail_errno("pipe2");
	if (pipe2(s2c, O_CLOEXEC)) {
		close(c2s[0]);
		close(c2s[1]);
		return fail_errno("pipe2");
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = fail_errno("fork");
		close(s2c[0]);
		close(s2c[1]);
		goto out;
	}
	if (!pid) {
		close(c2s[1]);
		close(s2c[0]);
		_exit(run_server(sc, c2s[0], s2c[1], timeout) ? 1 : 0);
	}
	close(c2s[0]);
	close(s2c[1]);
	p.rd = s2c[0];
	p.wr = c2s[1];

	ret = run_client(&p);
	if (!ret)
		ret = peer_signal(&p);	/* done: the server may close */
	/* A failed client hangs up at once: a waiting server gives up. */
	close(p.wr);
	if (ret && p.fd >= 0) {
		close(p.fd);
		p.fd = -1;
	}
	if (reap(pid, ret ? 5 : timeout, &status))
		ret = -1;
	else if (WIFSIGNALED(status))
		ret = fail("the server was killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status))
		ret = fail("the server failed");
	if (p.fd >= 0)
		close(p.fd);
	close(p.rd);
	return ret;
out:
	close(c2s[0]);
	close(c2s[1]);
	return ret;
}

/*
 * Resumption and 0-RTT (RFC 9001 section 4.6): the first connection
 * leaves the client a session ticket and the server's transport
 * parameters; the second resumes with both and sends its first bytes in
 * 0-RTT packets.  The server accepts that one late, counts 0-RTT packets
 * it decrypted, and the data must be readable the moment its handshake
 * returns.
 */
#define EARLY_MSG "early data, sent in 0-RTT"
#define ACCEPT_DELAY_MS	200	/* well below the client's first PTO */

static int client_resume(struct peer *p)
{
	struct quic_transport_param param = { .remote = 1 };
	socklen_t plen = sizeof(param);
	int fd1 = p->fd, ret = -1;
	struct sockaddr_storage ss;
	char reply[2];
	socklen_t len;

	long zero_rtt = mib_read("QuicZeroRttPacketsSent");

	if (client_hello(p))
		return -1;
	if (!p->session_len)
		return fail("no session ticket on the first connection");
	if (getsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &param, &plen))
		return fail_errno("getsockopt(QUIC_SOCKOPT_TRANSPORT_PARAM, remote)");
	if (!param.remote || !param.max_data)
		return fail("the server's parameters were not kept");

	p->fd = socket(p->sc->family, p->sc->type, IPPROTO_QUIC);
	if (p->fd < 0) {
		p->fd = fd1;
		return fail_errno("socket");
	}
	len = make_addr(&ss, p->sc->family,
			p->sc->family == AF_INET ? SERVER_V4 : SERVER_V6, p->server_port);
	if (set_options(p->fd, p->sc) || set_timeouts(p->fd))
		goto out;
	if (setsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &param, sizeof(param))) {
		fail_errno("setsockopt(QUIC_SOCKOPT_TRANSPORT_PARAM, remote)");
		goto out;
	}
	if (connect(p->fd, (void *)&ss, len)) {
		fail_errno("connect");
		goto out;
	}
	ret = client_resume_handshake(p, EARLY_MSG, strlen(EARLY_MSG));
	if (ret) {
		fail("resumed handshake failed: %d", ret);
		ret = -1;
		goto out;
	}
	ret = recv_exact(p->fd, 0, reply, sizeof(reply));
	if (!ret && memcmp(reply, "ok", 2))
		ret = fail("reply \"%.2s\", want \"ok\"", reply);
	if (!ret)
		ret = mib_check("QuicZeroRttPacketsSent", zero_rtt, 1, 1000);
out:
	close(p->fd);
	p->fd = fd1;
	return ret;
}

static int server_resume(struct peer *p)
{
	long zero_rtt = mib_read("QuicZeroRttPacketsReceived");
	char buf[sizeof(EARLY_MSG)];
	int fd1 = p->fd, ret = -1;
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	if (server_hello(p))
		return -1;
	if (wait_readable(p->lfd, IO_TIMEOUT))
		return fail("no second connection to accept");
	/* Accept late, so the 0-RTT packets that follow the Initial wait
	 * on the listener, not on the connection.
	 */
	usleep(ACCEPT_DELAY_MS * 1000);
	p->fd = accept(p->lfd, NULL, NULL);
	if (p->fd < 0) {
		p->fd = fd1;
		return fail_errno("accept");
	}
	if (set_timeouts(p->fd) || do_handshake(p))
		goto out;
	/* Right now, without waiting: the data came before the Finished. */
	sid = -1;
	flags = MSG_DONTWAIT;
	n = quic_recvmsg(p->fd, buf, sizeof(buf), &sid, &flags);
	if (n < 0) {
		fail("no 0-RTT data when the handshake completed (errno %d)", errno);
		goto out;
	}
	if (sid != 0 || n != strlen(EARLY_MSG) || memcmp(buf, EARLY_MSG, n)) {
		fail("stream %lld: %zd bytes \"%.*s\", want stream 0 \"%s\"",
		     (long long)sid, n, (int)n, buf, EARLY_MSG);
		goto out;
	}
	if (mib_check("QuicZeroRttPacketsReceived", zero_rtt, 1, 1000))
		goto out;
	ret = send_all(p->fd, "ok", 2, 0, MSG_QUIC_STREAM_FIN);
out:
	close(p->fd);
	p->fd = fd1;
	return ret;
}

/*
 * Stateless reset (RFC 9000 section 10.3): the server loses the
 * connection without a word (its CONNECTION_CLOSE is dropped by a netem
 * qdisc with 100% loss), the client sends on, the server's kernel answers
 * the packet for an ID it no longer knows with a Stateless Reset, and the
 * client's connection ends with ECONNRESET.
 */
static int client_stateless_reset(struct peer *p)
{
	long resets = mib_read("QuicStatelessResetReceived");
	char buf[16];
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	if (client_hello(p) || peer_wait(p))
		return -1;
	if (send_all(p->fd, "anyone there?", 13, -1, MSG_QUIC_STREAM_NEW))
		return -1;
	sid = -1;
	flags = 0;
	n = quic_recvmsg(p->fd, buf, sizeof(buf), &sid, &flags);
	if (n >= 0)
		return fail("read %zd bytes (flags %#x) from a reset connection", n, flags);
	if (errno != ECONNRESET)
		return fail("recv: errno %d (%s), want ECONNRESET", errno, strerror(errno));
	if (mib_check("QuicStatelessResetReceived", resets, 1, 1))
		return -1;
	return peer_signal(p);	/* the server may count its resets */
}

/* QUIC sockets of this namespace, from /proc/net/quic/socks, or -1. */
static int quic_socks(void)
{
	char line[256];
	int n = -1;	/* the header line */
	FILE *f;

	f = fopen("/proc/self/net/quic/socks", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static int server_stateless_reset(struct peer *p)
{
	long resets = mib_read("QuicStatelessResetSent");
	int ret, i;

	if (server_hello(p))
		return -1;
	if (system("tc qdisc add dev veth-s root netem loss 100%"))
		return fail("cannot add the netem qdisc");
	close(p->fd);
	p->fd = -1;
	/* A closed connection answers with its CONNECTION_CLOSE for three
	 * PTOs (RFC 9000 section 10.2): only after those is it forgotten,
	 * and a Stateless Reset the answer.  The listener stays.
	 */
	for (i = 0; i < 100 && quic_socks() > 1; i++)
		usleep(50000);
	if (quic_socks() != 1)
		return fail("the closed connection did not go: %d sockets", quic_socks());
	ret = system("tc qdisc del dev veth-s root");
	if (ret)
		return fail("cannot remove the netem qdisc");
	if (peer_signal(p) || peer_wait(p))
		return -1;
	return mib_check("QuicStatelessResetSent", resets, 1, 100);
}

/* ---- the tests ---- */

FIXTURE(quic_conn) {};
FIXTURE_SETUP(quic_conn) {}
FIXTURE_TEARDOWN(quic_conn) {}

TEST_F_TIMEOUT(quic_conn, handshake_psk_v4, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.alpn = ALPN,
		.client = client_hello,
		.server = server_hello,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, handshake_psk_v6, 60)
{
	const struct scenario sc = {
		.family = AF_INET6,
		.type = SOCK_STREAM,
		.alpn = ALPN,
		.client = client_hello,
		.server = server_hello,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, handshake_dgram_socket, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_DGRAM,
		.alpn = ALPN,
		.client = client_hello,
		.server = server_hello,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, handshake_x509, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.alpn = ALPN,
		.x509 = true,
		.client = client_hello,
		.server = server_hello,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_1m, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_gso, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_upload_gso,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_gso_v6, 120)
{
	const struct scenario sc = {
		.family = AF_INET6,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_upload_gso,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_64m, 300)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = scaled(64 * MIB),
		.client = client_upload,
		.server = server_upload,
	};

	TH_LOG("%zu MiB", sc.size / MIB);
	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_1m_server_to_client, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_download,
		.server = server_download,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, streams_100, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.client = client_streams,
		.server = server_streams,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, uni_streams, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.client = client_uni,
		.server = server_uni,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, datagrams, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.max_datagram = DGRAM_FRAME,
		.client = client_datagrams,
		.server = server_datagrams,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, stream_reset, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.server_prep = enable_stream_update,
		.client = client_reset,
		.server = server_reset,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, stop_sending, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.client_prep = enable_stream_update,
		.client = client_stop,
		.server = server_stop,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, close_errcode, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.client = client_close,
		.server = server_close,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, cipher_aes128gcm, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = 256 * KIB,
		.cipher = TLS_CIPHER_AES_GCM_128,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

/* An external PSK is bound to SHA-256 (RFC 8446 section 4.2.11), and
 * TLS_AES_256_GCM_SHA384 needs SHA-384: this one uses a certificate.
 */
TEST_F_TIMEOUT(quic_conn, cipher_aes256gcm, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = 256 * KIB,
		.x509 = true,
		.cipher = TLS_CIPHER_AES_GCM_256,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, cipher_chacha20, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = 256 * KIB,
		.cipher = TLS_CIPHER_CHACHA20_POLY1305,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, cipher_aes128ccm, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = 256 * KIB,
		.cipher = TLS_CIPHER_AES_CCM_128,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, key_update, 180)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = 4 * MIB,
		.key_update = true,
		.server_prep = enable_key_update,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

/* Run apart by quic_conn.sh, with netem on both ends of the veth pair. */
TEST_F_TIMEOUT(quic_conn, retry, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.retry = true,
		.size = MIB,
		.client = client_retry,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, retry_v6, 120)
{
	const struct scenario sc = {
		.family = AF_INET6,
		.type = SOCK_STREAM,
		.retry = true,
		.size = MIB,
		.client = client_retry,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, new_token, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.alpn = ALPN,
		.retry = true,
		.client_prep = client_new_token_prep,
		.client = client_new_token,
		.server = server_new_token,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, resumption_0rtt, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.alpn = ALPN,
		.x509 = true,
		.resume = true,
		.client = client_resume,
		.server = server_resume,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, stateless_reset, 60)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.client = client_stateless_reset,
		.server = server_stateless_reset,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

TEST_F_TIMEOUT(quic_conn, transfer_1m_lossy, 240)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_upload,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

/* Run apart by quic_conn.sh, on the lossy link. */
TEST_F_TIMEOUT(quic_conn, close_after_write, 240)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_close_after_write,
		.server = server_close_after_write,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

/* Run apart by quic_conn.sh, with only a 50 ms delay each way. */
TEST_F_TIMEOUT(quic_conn, transfer_paced, 120)
{
	const struct scenario sc = {
		.family = AF_INET,
		.type = SOCK_STREAM,
		.size = MIB,
		.client = client_upload_paced,
		.server = server_upload,
	};

	ASSERT_EQ(0, run_pair(&sc, _metadata->timeout));
}

/* Takes our options out of argv and leaves the rest to the harness. */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char **val;
	} opts[] = {
		{ "--server-netns", &server_netns },
		{ "--psk", &psk_file },
		{ "--key", &key_file },
		{ "--cert", &cert_file },
		{ "--ca", &ca_file },
	};
	char **args = calloc(argc + 1, sizeof(*args));
	int i, j, n = 0;

	if (!args)
		return KSFT_FAIL;
	for (i = 0; i < argc; i++) {
		for (j = 0; j < (int)ARRAY_SIZE(opts); j++)
			if (!strcmp(argv[i], opts[j].name))
				break;
		if (i == 0 || j == (int)ARRAY_SIZE(opts)) {
			args[n++] = argv[i];
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "%s needs an argument\n", argv[i]);
			return KSFT_FAIL;
		}
		*opts[j].val = argv[++i];
	}
	/* A send on a closed connection must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return test_harness_run(n, args);
}
