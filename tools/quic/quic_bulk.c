// SPDX-License-Identifier: GPL-2.0
/*
 * quic_bulk: throughput, request/response rate and handshake rate of QUIC,
 * TCP and kTLS, over loopback or between two network namespaces.
 *
 *	quic_bulk --proto quic|quic-noenc|tcp|ktls [--size BYTES] [--write BYTES]
 *		  [--rr REQ:RESP [--time SECONDS | --count N]] [--handshakes N]
 *		  [--conns N] [--cipher aes128gcm|aes256gcm|chacha20] [-6]
 *		  [--addr IP] [--server-netns NAME] [--client-netns NAME]
 *
 * The process forks a server and connects to it over 127.0.0.1 (::1 with
 * -6), or over --addr, the server's address in its namespace.  With
 * --server-netns and --client-netns the server and the client each enter
 * that network namespace first (a name from "ip netns add", i.e.
 * /run/netns/NAME, or a path): so the data crosses a veth pair rather
 * than loopback.  The server listens and passes its port to the client
 * over a pipe.
 *
 * Modes (one result line on stdout, exit status 0; on any error the reason
 * goes to stderr and the exit status is 1):
 *
 * bulk (the default): the client writes --size bytes (default 256M) in
 *	--write sized send() calls (default 65536); the server reads and
 *	checks them, then answers with the byte count.  The clock runs from
 *	the first write to that answer.
 * rr: --rr REQ:RESP, the client sends REQ bytes and waits for the RESP
 *	bytes of the server's answer, for --time seconds (default 10) or
 *	--count transactions; prints transactions per second.  Both sides
 *	check every message: its first bytes carry the transaction number,
 *	the rest a fixed pattern.  A last request whose number is inverted
 *	ends the run, and the server answers it with its own count.
 * handshake: --handshakes N, N times in a row: connect, handshake, one
 *	byte each way, close (the server waits for the client's close);
 *	prints handshakes per second.
 *
 * --conns N runs N such client/server pairs at once, each a forked pair of
 * processes with its own listener.  They all start together after their
 * handshakes (bulk, rr) or listeners (handshake); the result is the sum of
 * their bytes or counts over the time from the first start to the last
 * end, and each pair checks its own data.
 *
 * quic: IPPROTO_QUIC sockets, PSK handshake by tools/lib/quic, the data
 *	on the client's stream 0: the client uses plain send() and recv(),
 *	the server answers on stream 0 with quic_sendmsg().
 * quic-noenc: the same, with the disable_1rtt_encryption transport
 *	parameter offered by both sides (QUIC_SOCKOPT_TRANSPORT_PARAM before
 *	the handshake).  Whether the peer offered it too, as the kernel saw
 *	it after the handshake, is printed as peer_noenc=.
 * tcp:	plain TCP (Nagle on for bulk; TCP_NODELAY in the rr and handshake
 *	modes, which measure latency: Nagle against delayed ACKs would
 *	measure the 40 ms ACK timer instead, and QUIC has no Nagle).
 * ktls: TCP, a TLS 1.3 PSK handshake in GnuTLS, then the traffic keys go
 *	to the kernel (TCP_ULP "tls", TLS_TX, TLS_RX) and plain send() and
 *	recv() run on the TCP socket.
 *
 * The bulk data: every write is one fixed pattern whose first 8 bytes are
 * replaced by its stream offset (mixed), so checking costs about a
 * memcmp().  Both sides meet over a pipe after the handshake, so the
 * client only starts once the server has its keys.
 *
 * mtu= in the result is the route MTU towards the server as the client's
 * namespace sees it (IP_MTU of a connected UDP socket), or "unknown".
 *
 * TLS 1.3 binds an external PSK to SHA-256 unless told otherwise, and
 * TLS_AES_256_GCM_SHA384 needs SHA-384: aes256gcm needs a GnuTLS with
 * gnutls_psk_allocate_*_credentials2() (3.8.x; 3.7.9 has none; the
 * Makefile probes it as HAVE_PSK_MAC) and then runs QUIC through
 * quic_handshake() with a session built here, as the library's own PSK
 * setup is SHA-256 only.
 */

#define _GNU_SOURCE		/* setns() */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
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
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "quic.h"	/* tools/lib/quic; includes <linux/quic.h>, <linux/tls.h> */

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif
#ifndef HAVE_PSK_MAC
#define HAVE_PSK_MAC	0
#endif

#define IO_TIMEOUT	60		/* seconds for any one blocking step */
#define RECV_BUF	(256 * 1024)	/* smallest server read buffer */
#define MAX_WRITE	(64 << 20)
#define MAX_CONNS	64
#define PSK_IDENTITY	"quic_bulk"
#define PSK_LEN		32
#define HDR_MIX		0x9e3779b97f4a7c15ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum proto { PROTO_TCP, PROTO_KTLS, PROTO_QUIC, PROTO_QUIC_NOENC };

static const char * const proto_names[] = { "tcp", "ktls", "quic", "quic-noenc" };

enum mode { MODE_BULK, MODE_RR, MODE_HANDSHAKE };

static const char * const mode_names[] = { "bulk", "rr", "handshake" };

struct cipher {
	const char *name;
	const char *prio;		/* GnuTLS priority keyword */
	uint32_t type;			/* TLS_CIPHER_* */
	gnutls_mac_algorithm_t mac;	/* hash the PSK is bound to */
};

static const struct cipher ciphers[] = {
	{ "aes128gcm", "+AES-128-GCM", TLS_CIPHER_AES_GCM_128, GNUTLS_MAC_SHA256 },
	{ "aes256gcm", "+AES-256-GCM", TLS_CIPHER_AES_GCM_256, GNUTLS_MAC_SHA384 },
	{ "chacha20", "+CHACHA20-POLY1305", TLS_CIPHER_CHACHA20_POLY1305, GNUTLS_MAC_SHA256 },
};

struct bench {
	enum proto proto;
	enum mode mode;
	int family;
	struct sockaddr_storage addr;	/* the server's; the port is filled in */
	socklen_t addr_len;
	const char *server_netns;
	const char *client_netns;
	uint64_t size;
	size_t wsize;
	size_t req, resp;		/* --rr */
	double duration;		/* --time */
	uint64_t count;			/* --count or --handshakes, 0: by time */
	unsigned int conns;
	const struct cipher *cipher;
	uint8_t key[PSK_LEN];
	char psk_file[4096];		/* "identity:hexkey" for tools/lib/quic */
};

struct peer {
	const struct bench *b;
	bool server;
	int fd;
	int rd, wr;			/* pipe ends to the other side */
	int peer_noenc;			/* client: the server's parameter, -1 n/a */
};

/* What one client measured; with --conns, in memory shared with the top. */
struct result {
	double start, end;		/* CLOCK_MONOTONIC seconds */
	uint64_t bytes;			/* bulk */
	uint64_t count;			/* rr transactions, handshakes */
	int mtu;			/* 0: unknown */
	int peer_noenc;
};

static bool is_quic(enum proto proto)
{
	return proto == PROTO_QUIC || proto == PROTO_QUIC_NOENC;
}

/* ---- diagnostics ---- */

static const char *side = "setup";
static char side_buf[32];

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	/* One write per line: both sides share stderr. */
	n = snprintf(line, sizeof(line), "quic_bulk: %s: ", side);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
	return -1;
}

/* "client" or, with --conns, "client 3" */
static void side_set(const char *name, int conn)
{
	if (conn < 0) {
		side = name;
		return;
	}
	snprintf(side_buf, sizeof(side_buf), "%s %d", name, conn);
	side = side_buf;
}

static int fail_errno(const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return fail("%s: nothing happened for %d s", what, IO_TIMEOUT);
	return fail("%s: %s", what, strerror(errno));
}

/* ---- test data ---- */

static uint8_t *pattern_new(size_t len)
{
	uint8_t *p = malloc(len);
	size_t i;

	for (i = 0; p && i < len; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 24) ^ (uint8_t)i;
	return p;
}

/* The first 8 bytes of the write at stream offset @off (fewer if short). */
static void header(uint8_t hdr[8], uint64_t off)
{
	uint64_t v = htole64(off ^ HDR_MIX);

	memcpy(hdr, &v, 8);
}

/* Checks @n received bytes that start at stream offset @pos. */
static int check_data(const uint8_t *pat, size_t wsize, const uint8_t *buf,
		      size_t n, uint64_t pos)
{
	size_t off, len, i;
	uint8_t hdr[8];

	while (n) {
		off = pos % wsize;
		len = n < wsize - off ? n : wsize - off;
		header(hdr, pos - off);
		for (i = 0; off + i < 8 && i < len; i++)
			if (buf[i] != hdr[off + i])
				goto bad;
		if (memcmp(buf + i, pat + off + i, len - i)) {
			while (buf[i] == pat[off + i])
				i++;
			goto bad;
		}
		buf += len;
		n -= len;
		pos += len;
	}
	return 0;
bad:
	return fail("data corrupted at byte %llu", (unsigned long long)(pos + i));
}

/*
 * An rr message: the pattern with its first bytes (up to 8) replaced by
 * the header of @tag, the transaction number.  Even a 1-byte message
 * tells a number from its complement, which ends the run.
 */
static void msg_tag(uint8_t *msg, size_t len, uint64_t tag)
{
	uint8_t hdr[8];

	header(hdr, tag);
	memcpy(msg, hdr, len < 8 ? len : 8);
}

static bool msg_is(const uint8_t *msg, const uint8_t *pat, size_t len, uint64_t tag)
{
	size_t n = len < 8 ? len : 8;
	uint8_t hdr[8];

	header(hdr, tag);
	return !memcmp(msg, hdr, n) && !memcmp(msg + n, pat + n, len - n);
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
	return ret ? 0 : fail("nothing to read for %d s", timeout_s);
}

static int pipe_put(struct peer *p, char c)
{
	if (write(p->wr, &c, 1) != 1)
		return fail_errno("write to the pipe");
	return 0;
}

/* Reads @len bytes, which the other side wrote at once (at most PIPE_BUF). */
static int pipe_read(struct peer *p, void *buf, size_t len)
{
	ssize_t n;

	if (wait_readable(p->rd, IO_TIMEOUT))
		return -1;
	n = read(p->rd, buf, len);
	if (n < 0)
		return fail_errno("read from the pipe");
	if ((size_t)n != len)
		return fail("the %s is gone", p->server ? "client" : "server");
	return 0;
}

/* Returns the character, or -1 if the other side went away. */
static int pipe_get(struct peer *p)
{
	char c;

	return pipe_read(p, &c, 1) ? -1 : c;
}

/* ---- sockets ---- */

/* The server's address with @port: --addr, else loopback. */
static socklen_t server_addr(const struct bench *b, struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;

	*ss = b->addr;
	if (b->family == AF_INET) {
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	sin6->sin6_port = htons(port);
	return sizeof(*sin6);
}

/*
 * Both ends search for the path's MTU (DPLPMTUD, plpmtud_probe_interval),
 * as TCP's MSS follows the link's: without it QUIC stays at 1472-byte
 * datagrams on a 9000-byte link.  Accepted sockets take the listener's.
 */
#define PMTU_PROBE_INTERVAL_US	30000000

static int quic_pmtu_search(int fd)
{
	struct quic_config c = { .plpmtud_probe_interval = PMTU_PROBE_INTERVAL_US };

	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)))
		return fail_errno("setsockopt(QUIC_SOCKOPT_CONFIG, plpmtud_probe_interval)");
	return 0;
}

static int sock_open(const struct bench *b)
{
	bool quic = is_quic(b->proto);
	int fd;

	fd = socket(b->family, SOCK_STREAM, quic ? IPPROTO_QUIC : IPPROTO_TCP);
	if (fd >= 0 && quic && quic_pmtu_search(fd)) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		return fd;
	if (quic && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
		return fail("socket(IPPROTO_QUIC): %s: this kernel has no QUIC (CONFIG_IP_QUIC)",
			    strerror(errno));
	return fail_errno("socket");
}

static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return fail_errno("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
	return 0;
}

static int listen_open(const struct bench *b, uint16_t *port)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN] = "?";
	socklen_t len;
	int fd;

	fd = sock_open(b);
	if (fd < 0)
		return -1;
	len = server_addr(b, &ss, 0);
	if (bind(fd, (void *)&ss, len) || listen(fd, 1)) {
		int err = errno;

		inet_ntop(b->family, b->family == AF_INET ?
			  (void *)&((struct sockaddr_in *)&ss)->sin_addr :
			  (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
		fail("bind/listen on %s: %s", ip, strerror(err));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (void *)&ss, &len)) {
		fail_errno("getsockname");
		close(fd);
		return -1;
	}
	*port = ntohs(b->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int connect_to(const struct bench *b, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = sock_open(b);
	if (fd < 0)
		return -1;
	len = server_addr(b, &ss, port);
	if (connect(fd, (void *)&ss, len)) {
		fail_errno("connect");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The MTU of the route to the server, as a connected UDP socket sees it in
 * this namespace: the veth's, or loopback's 65536.  0 when unknown.
 */
static int path_mtu(const struct bench *b, uint16_t port)
{
	bool v4 = b->family == AF_INET;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, mtu = 0;

	fd = socket(b->family, SOCK_DGRAM, IPPROTO_UDP);
	if (fd < 0)
		return 0;
	len = server_addr(b, &ss, port);
	if (!connect(fd, (void *)&ss, len)) {
		len = sizeof(mtu);
		if (getsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU,
			       &mtu, &len))
			mtu = 0;
	}
	close(fd);
	return mtu;
}

/* Enters the network namespace @name ("ip netns add" name, or a path). */
static int netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), strchr(name, '/') ? "%s" : "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(path);
	ret = setns(fd, CLONE_NEWNET);
	if (ret)
		fail("setns(%s): %s", path, strerror(errno));
	close(fd);
	return ret;
}

/* Latency modes: no Nagle (see the top of the file). */
static int tcp_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return fail_errno("setsockopt(TCP_NODELAY)");
	return 0;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? fail_errno("send") : fail("send sent nothing");
		p += n;
		len -= n;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? fail_errno("recv") : fail("connection closed by the peer");
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * What a peer sends: a QUIC server answers on the client's stream 0 (a
 * plain send() there would open a stream of its own).
 */
static int peer_send(struct peer *p, const void *buf, size_t len)
{
	const uint8_t *d = buf;
	ssize_t n;

	if (!p->server || !is_quic(p->b->proto))
		return send_all(p->fd, buf, len);
	while (len) {
		n = quic_sendmsg(p->fd, d, len, 0, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? fail_errno("quic_sendmsg") : fail("quic_sendmsg sent nothing");
		d += n;
		len -= n;
	}
	return 0;
}

/* ---- TLS 1.3 PSK sessions in GnuTLS ---- */

struct tls {
	gnutls_session_t s;
	gnutls_psk_client_credentials_t cc;
	gnutls_psk_server_credentials_t sc;
};

static int psk_lookup(gnutls_session_t s, const char *user, gnutls_datum_t *key)
{
	const struct bench *b = gnutls_session_get_ptr(s);

	if (strcmp(user, PSK_IDENTITY))
		return -1;
	key->data = gnutls_malloc(PSK_LEN);
	if (!key->data)
		return -1;
	memcpy(key->data, b->key, PSK_LEN);
	key->size = PSK_LEN;
	return 0;
}

static int psk_alloc(struct tls *t, bool server, gnutls_mac_algorithm_t mac)
{
#if HAVE_PSK_MAC
	return server ? gnutls_psk_allocate_server_credentials2(&t->sc, mac) :
			gnutls_psk_allocate_client_credentials2(&t->cc, mac);
#else
	if (mac != GNUTLS_MAC_SHA256)
		return GNUTLS_E_UNIMPLEMENTED_FEATURE;
	return server ? gnutls_psk_allocate_server_credentials(&t->sc) :
			gnutls_psk_allocate_client_credentials(&t->cc);
#endif
}

static int psk_set(struct tls *t, const struct peer *p)
{
	gnutls_datum_t key = { .data = (void *)p->b->key, .size = PSK_LEN };
	int ret;

	ret = psk_alloc(t, p->server, p->b->cipher->mac);
	if (ret)
		return ret;
	if (p->server) {
		gnutls_psk_set_server_credentials_function(t->sc, psk_lookup);
		return gnutls_credentials_set(t->s, GNUTLS_CRD_PSK, t->sc);
	}
	ret = gnutls_psk_set_client_credentials(t->cc, PSK_IDENTITY, &key,
						GNUTLS_PSK_KEY_RAW);
	return ret ?: gnutls_credentials_set(t->s, GNUTLS_CRD_PSK, t->cc);
}

static void tls_free(struct tls *t)
{
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cc)
		gnutls_psk_free_client_credentials(t->cc);
	if (t->sc)
		gnutls_psk_free_server_credentials(t->sc);
}

/*
 * TLS 1.3 only, the one cipher suite asked for, no middlebox compatibility
 * mode (QUIC wants none) and no session tickets: nothing but the handshake
 * goes over the socket before the keys are handed over.
 */
static int tls_init(struct tls *t, const struct peer *p)
{
	unsigned int flags = p->server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	char prio[160];
	int ret;

	memset(t, 0, sizeof(*t));
	snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:%s:"
		 "+ECDHE-PSK:+DHE-PSK:+PSK:%%DISABLE_TLS13_COMPAT_MODE",
		 p->b->cipher->prio);
	ret = gnutls_init(&t->s, flags | GNUTLS_NO_TICKETS);
	if (ret) {
		t->s = NULL;
		return fail("gnutls_init: %s", gnutls_strerror(ret));
	}
	gnutls_session_set_ptr(t->s, (void *)p->b);
	ret = gnutls_priority_set_direct(t->s, prio, NULL);
	if (!ret)
		ret = psk_set(t, p);
	if (ret)
		return fail("GnuTLS PSK session: %s", gnutls_strerror(ret));
	gnutls_transport_set_int(t->s, p->fd);
	gnutls_handshake_set_timeout(t->s, IO_TIMEOUT * 1000);
	return 0;
}

/* ---- kTLS ---- */

union ktls_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

#define KTLS_FIELDS(ci) do {						\
	k = (ci).key;							\
	klen = sizeof((ci).key);					\
	salt = (ci).salt;						\
	slen = sizeof((ci).salt);					\
	iv = (ci).iv;							\
	ivlen = sizeof((ci).iv);					\
	seq = (ci).rec_seq;						\
	*len = sizeof(ci);						\
} while (0)

/* TLS 1.3: the 12-byte IV from GnuTLS is kTLS' salt followed by its iv. */
static int ktls_fill(union ktls_info *u, socklen_t *len, uint32_t type,
		     const gnutls_datum_t *key, const gnutls_datum_t *fiv,
		     const unsigned char *rec_seq)
{
	unsigned char *k, *salt, *iv, *seq;
	size_t klen, slen, ivlen;

	memset(u, 0, sizeof(*u));
	u->info.version = TLS_1_3_VERSION;
	u->info.cipher_type = type;
	switch (type) {
	case TLS_CIPHER_AES_GCM_128:
		KTLS_FIELDS(u->aes128);
		break;
	case TLS_CIPHER_AES_GCM_256:
		KTLS_FIELDS(u->aes256);
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		KTLS_FIELDS(u->chacha);
		break;
	default:
		return fail("no kTLS layout for cipher %u", type);
	}
	if (key->size != klen || fiv->size != slen + ivlen)
		return fail("GnuTLS key %u and IV %u bytes, kTLS wants %zu and %zu",
			    key->size, fiv->size, klen, slen + ivlen);
	memcpy(k, key->data, klen);
	memcpy(salt, fiv->data, slen);
	memcpy(iv, fiv->data + slen, ivlen);
	memcpy(seq, rec_seq, 8);
	return 0;
}

static int ktls_key(struct tls *t, int fd, uint32_t type, bool rx)
{
	const char *opt = rx ? "TLS_RX" : "TLS_TX";
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	union ktls_info u;
	socklen_t len = 0;
	int ret;

	ret = gnutls_record_get_state(t->s, rx, &mac, &iv, &key, seq);
	if (ret)
		return fail("gnutls_record_get_state(%s): %s", opt, gnutls_strerror(ret));
	ret = ktls_fill(&u, &len, type, &key, &iv, seq);
	if (!ret && setsockopt(fd, SOL_TLS, rx ? TLS_RX : TLS_TX, &u, len))
		ret = fail("setsockopt(SOL_TLS, %s): %s (cipher not in this kernel's kTLS?)",
			   opt, strerror(errno));
	memset(&u, 0, sizeof(u));
	return ret;
}

static int ktls_ulp(int fd)
{
	char ulps[256] = "";
	FILE *f;
	int err;

	if (!setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		return 0;
	err = errno;
	f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	if (f) {
		if (fgets(ulps, sizeof(ulps), f))
			ulps[strcspn(ulps, "\n")] = '\0';
		fclose(f);
	}
	if (err == ENOENT)
		return fail("setsockopt(TCP_ULP, \"tls\"): %s: this kernel has no kTLS "
			    "(CONFIG_TLS); tcp_available_ulp: \"%s\"", strerror(err), ulps);
	return fail("setsockopt(TCP_ULP, \"tls\"): %s", strerror(err));
}

static int ktls_setup(struct peer *p)
{
	uint32_t type = p->b->cipher->type;
	struct tls t;
	int ret;

	if (tls_init(&t, p)) {
		tls_free(&t);
		return -1;
	}
	do
		ret = gnutls_handshake(t.s);
	while (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED);
	if (ret)
		ret = fail("TLS handshake: %s", gnutls_strerror(ret));
	/* Whatever GnuTLS holds now would never reach the kernel. */
	if (!ret && gnutls_record_check_pending(t.s))
		ret = fail("GnuTLS holds data received after the handshake");
	if (!ret)
		ret = ktls_ulp(p->fd);
	if (!ret)
		ret = ktls_key(&t, p->fd, type, false);
	if (!ret)
		ret = ktls_key(&t, p->fd, type, true);
	tls_free(&t);
	return ret;
}

/* ---- QUIC ---- */

/* For ciphers whose PSK is not SHA-256, which the library cannot do. */
static int quic_own_session(struct peer *p)
{
	struct tls t;
	int ret;

	ret = tls_init(&t, p);
	if (!ret) {
		ret = quic_handshake(t.s);
		if (ret)
			ret = fail("QUIC handshake: %s", strerror(-ret));
	}
	tls_free(&t);
	return ret;
}

/*
 * quic-noenc: offer disable_1rtt_encryption.  setsockopt() takes only the
 * fields that are not zero, so the other parameters keep their defaults.
 */
static int quic_noenc_offer(int fd)
{
	struct quic_transport_param tp = { .disable_1rtt_encryption = 1 };

	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, sizeof(tp)))
		return fail_errno("setsockopt(disable_1rtt_encryption)");
	return 0;
}

/* The peer's disable_1rtt_encryption, as the kernel took it from the handshake. */
static int quic_peer_noenc(struct peer *p)
{
	struct quic_transport_param tp = { .remote = 1 };
	socklen_t len = sizeof(tp);

	if (getsockopt(p->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, &len))
		return fail_errno("getsockopt(QUIC_SOCKOPT_TRANSPORT_PARAM, remote)");
	p->peer_noenc = tp.disable_1rtt_encryption;
	return 0;
}

static int quic_setup(struct peer *p)
{
	struct quic_handshake_opts o = {
		.pkey_file = p->b->psk_file,
		.cipher = p->b->cipher->type,
		.timeout_ms = IO_TIMEOUT * 1000,
	};
	int ret;

	/* The client's socket is connected, the server's accepted: both
	 * take parameters until the handshake sends them.
	 */
	if (p->b->proto == PROTO_QUIC_NOENC && quic_noenc_offer(p->fd))
		return -1;
	if (p->b->cipher->mac != GNUTLS_MAC_SHA256) {
		ret = quic_own_session(p);
	} else {
		ret = p->server ? quic_server_handshake_opts(p->fd, &o) :
				  quic_client_handshake_opts(p->fd, &o);
		if (ret)
			ret = fail("QUIC handshake: %s", strerror(-ret));
	}
	if (ret)
		return -1;
	return p->server ? 0 : quic_peer_noenc(p);
}

static int setup(struct peer *p)
{
	enum proto proto = p->b->proto;
	int ret = 0;

	if (!is_quic(proto) && p->b->mode != MODE_BULK && tcp_nodelay(p->fd))
		return -1;
	if (proto == PROTO_KTLS)
		ret = ktls_setup(p);
	else if (is_quic(proto))
		ret = quic_setup(p);
	return ret ?: set_timeouts(p->fd);
}

/* ---- bulk ---- */

static int send_data(struct peer *p)
{
	const struct bench *b = p->b;
	uint8_t *buf = pattern_new(b->wsize), hdr[8];
	uint64_t off;
	size_t n;
	int ret = 0;

	if (!buf)
		return fail("out of memory");
	for (off = 0; off < b->size && !ret; off += n) {
		n = b->size - off < b->wsize ? b->size - off : b->wsize;
		header(hdr, off);
		memcpy(buf, hdr, n < 8 ? n : 8);
		ret = send_all(p->fd, buf, n);
	}
	free(buf);
	return ret;
}

static int recv_data(struct peer *p, uint64_t *got)
{
	const struct bench *b = p->b;
	size_t cap = b->wsize > RECV_BUF ? b->wsize : RECV_BUF;
	uint8_t *buf = malloc(cap), *pat = pattern_new(b->wsize);
	ssize_t n;
	int ret = -1;

	if (!buf || !pat) {
		fail("out of memory");
		goto out;
	}
	for (*got = 0; *got < b->size; *got += n) {
		n = recv(p->fd, buf, b->size - *got < cap ? b->size - *got : cap, 0);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0) {
			fail_errno("recv");
			goto out;
		}
		if (!n) {
			fail("connection closed after %llu of %llu bytes",
			     (unsigned long long)*got, (unsigned long long)b->size);
			goto out;
		}
		if (check_data(pat, b->wsize, buf, n, *got))
			goto out;
	}
	ret = 0;
out:
	free(buf);
	free(pat);
	return ret;
}

/* The byte count, little endian; QUIC: on the client's stream 0. */
static int serve_bulk(struct peer *p)
{
	uint64_t got, v;

	if (recv_data(p, &got))
		return -1;
	v = htole64(got);
	return peer_send(p, &v, sizeof(v));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int client_bulk(struct peer *p, struct result *r)
{
	uint64_t v;

	r->start = now();
	if (send_data(p) || recv_all(p->fd, &v, sizeof(v)))
		return -1;
	r->end = now();
	if (le64toh(v) != p->b->size)
		return fail("the server got %llu bytes, want %llu",
			    (unsigned long long)le64toh(v), (unsigned long long)p->b->size);
	r->bytes = p->b->size;
	return 0;
}

/* ---- request/response ---- */

/*
 * Answers request i with response i until the request numbered ~i, the
 * end, which gets the count of transactions instead.
 */
static int serve_rr(struct peer *p)
{
	const struct bench *b = p->b;
	uint8_t *in = malloc(b->req), *in_pat = pattern_new(b->req);
	uint8_t *out = pattern_new(b->resp);
	uint64_t i, v;
	int ret = -1;

	if (!in || !in_pat || !out) {
		fail("out of memory");
		goto out;
	}
	for (i = 0; ; i++) {
		if (recv_all(p->fd, in, b->req))
			goto out;
		if (msg_is(in, in_pat, b->req, ~i))
			break;
		if (!msg_is(in, in_pat, b->req, i)) {
			fail("request %llu corrupted", (unsigned long long)i);
			goto out;
		}
		msg_tag(out, b->resp, i);
		if (peer_send(p, out, b->resp))
			goto out;
	}
	v = htole64(i);
	ret = peer_send(p, &v, sizeof(v));
out:
	free(in);
	free(in_pat);
	free(out);
	return ret;
}

static int client_rr(struct peer *p, struct result *r)
{
	const struct bench *b = p->b;
	uint8_t *out = pattern_new(b->req), *in = malloc(b->resp);
	uint8_t *in_pat = pattern_new(b->resp);
	double end;
	uint64_t i = 0, v;
	int ret = -1;

	if (!out || !in || !in_pat) {
		fail("out of memory");
		goto out;
	}
	r->start = now();
	end = r->start + b->duration;
	do {
		msg_tag(out, b->req, i);
		if (send_all(p->fd, out, b->req) || recv_all(p->fd, in, b->resp))
			goto out;
		if (!msg_is(in, in_pat, b->resp, i)) {
			fail("response %llu corrupted", (unsigned long long)i);
			goto out;
		}
		i++;
	} while (b->count ? i < b->count : now() < end);
	r->end = now();
	r->count = i;
	msg_tag(out, b->req, ~i);
	if (send_all(p->fd, out, b->req) || recv_all(p->fd, &v, sizeof(v)))
		goto out;
	if (le64toh(v) != i) {
		fail("the server answered %llu requests, want %llu",
		     (unsigned long long)le64toh(v), (unsigned long long)i);
		goto out;
	}
	ret = 0;
out:
	free(out);
	free(in);
	free(in_pat);
	return ret;
}

/* ---- handshakes ---- */

/*
 * The server waits for the client's close before its own: a QUIC close
 * drops what is not acknowledged yet, which may be the server's byte.
 */
static int wait_close(int fd)
{
	ssize_t n;
	char c;

	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (!n)
		return 0;
	if (n > 0)
		return fail("data after the client's byte");
	if (errno == ECONNRESET || errno == ENOTCONN || errno == EPIPE ||
	    errno == ECONNABORTED)
		return 0;
	return fail_errno("recv (waiting for the client's close)");
}

/* Byte i of the client is (uint8_t)i, the server answers its complement. */
static int serve_handshakes(struct peer *p, int lfd)
{
	unsigned long long i;
	uint8_t c;

	for (i = 0; i < p->b->count; i++) {
		if (wait_readable(lfd, IO_TIMEOUT))
			return fail("handshake %llu: no connection", i);
		p->fd = accept(lfd, NULL, NULL);
		if (p->fd < 0)
			return fail_errno("accept");
		if (setup(p) || recv_all(p->fd, &c, 1))
			return fail("handshake %llu failed", i);
		if (c != (uint8_t)i)
			return fail("handshake %llu: the client sent 0x%02x, want 0x%02x",
				    i, c, (uint8_t)i);
		c = ~c;
		if (peer_send(p, &c, 1) || wait_close(p->fd))
			return fail("handshake %llu failed", i);
		close(p->fd);
		p->fd = -1;
	}
	return 0;
}

static int client_handshakes(struct peer *p, uint16_t port, struct result *r)
{
	unsigned long long i;
	uint8_t c;

	r->start = now();
	for (i = 0; i < p->b->count; i++) {
		c = i;
		p->fd = connect_to(p->b, port);
		if (p->fd < 0 || setup(p) || send_all(p->fd, &c, 1) || recv_all(p->fd, &c, 1))
			return fail("handshake %llu failed", i);
		if (c != (uint8_t)~i)
			return fail("handshake %llu: the server answered 0x%02x, want 0x%02x",
				    i, c, (uint8_t)~i);
		close(p->fd);
		p->fd = -1;
	}
	r->end = now();
	r->count = i;
	return 0;
}

/* ---- the two processes ---- */

static int run_server(struct peer *p, int lfd)
{
	int ret = -1;

	if (p->b->mode == MODE_HANDSHAKE) {
		if (serve_handshakes(p, lfd))
			goto out;
	} else {
		if (wait_readable(lfd, IO_TIMEOUT))
			goto out;
		p->fd = accept(lfd, NULL, NULL);
		if (p->fd < 0) {
			fail_errno("accept");
			goto out;
		}
		if (setup(p) || pipe_put(p, 'r'))
			goto out;
		if (p->b->mode == MODE_RR ? serve_rr(p) : serve_bulk(p))
			goto out;
	}
	/* Keep the connection until the client has the reply. */
	ret = pipe_get(p) == 'd' ? 0 : -1;
out:
	if (p->fd >= 0)
		close(p->fd);
	close(lfd);
	return ret;
}

static bool barrier_passed;

/*
 * With --conns: tells the top process this pair is ready, then waits for
 * the others.  The top closes @go when all are, which wakes every pair at
 * once (they read end of file).
 */
static int barrier(int ready, int go)
{
	char c;

	if (ready < 0)
		return 0;
	if (write(ready, "R", 1) != 1)
		return fail_errno("write to the top process");
	barrier_passed = true;
	if (wait_readable(go, 4 * IO_TIMEOUT))
		return -1;
	if (read(go, &c, 1) != 0)
		return fail("no start from the top process");
	return 0;
}

static int run_client(struct peer *p, int ready, int go, struct result *r)
{
	const struct bench *b = p->b;
	uint16_t port;
	int ret;

	r->peer_noenc = -1;
	if (pipe_read(p, &port, sizeof(port)))
		return fail("the server did not start");
	r->mtu = path_mtu(b, port);
	if (b->mode == MODE_HANDSHAKE) {
		ret = barrier(ready, go) ?: client_handshakes(p, port, r);
		r->peer_noenc = p->peer_noenc;
		return ret;
	}
	p->fd = connect_to(b, port);
	if (p->fd < 0 || setup(p))
		return -1;
	if (pipe_get(p) != 'r')
		return fail("the server did not get ready");
	r->peer_noenc = p->peer_noenc;
	if (barrier(ready, go))
		return -1;
	return b->mode == MODE_RR ? client_rr(p, r) : client_bulk(p, r);
}

static int psk_file_write(struct bench *b)
{
	const char *dir = getenv("TMPDIR");
	int fd, i, ret;

	if (gnutls_rnd(GNUTLS_RND_KEY, b->key, PSK_LEN))
		return fail("gnutls_rnd failed");
	if (!is_quic(b->proto))
		return 0;
	snprintf(b->psk_file, sizeof(b->psk_file), "%s/quic_bulk.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(b->psk_file);
	if (fd < 0) {
		ret = fail_errno(b->psk_file);
		b->psk_file[0] = '\0';
		return ret;
	}
	ret = dprintf(fd, "%s:", PSK_IDENTITY) < 0;
	for (i = 0; i < PSK_LEN; i++)
		ret |= dprintf(fd, "%02x", b->key[i]) < 0;
	ret |= dprintf(fd, "\n") < 0;
	if (close(fd) || ret)
		return fail_errno(b->psk_file);
	return 0;
}

/*
 * Waits up to @timeout_s seconds for the server, then kills it; after a
 * failure of the client (@quiet) that needs no more words.
 */
static int reap(pid_t pid, int timeout_s, bool quiet)
{
	double end = now() + timeout_s;
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid && WIFSIGNALED(status))
			return fail("the server was killed by signal %d", WTERMSIG(status));
		if (r == pid)
			return WEXITSTATUS(status) ? -1 : 0;
		if (r < 0 && errno != EINTR)
			return fail_errno("waitpid");
		usleep(10000);
	} while (now() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return quiet ? -1 : fail("the server did not finish within %d s", timeout_s);
}

/*
 * One client/server pair: forks the server, which enters its namespace,
 * listens and passes its port over the pipe; this process is the client.
 * @conn is the pair's number with --conns (-1 without), @ready and @go
 * the barrier's pipe ends (-1 without).
 */
static int run(const struct bench *b, int conn, int ready, int go, struct result *r)
{
	struct peer c = { .b = b, .fd = -1, .peer_noenc = -1 };
	struct peer s = { .b = b, .server = true, .fd = -1, .peer_noenc = -1 };
	int c2s[2], s2c[2], lfd, ret;
	uint16_t port;
	pid_t pid;

	if (pipe(c2s) || pipe(s2c))
		return fail_errno("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (!pid) {
		side_set("server", conn);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(c2s[1]);
		close(s2c[0]);
		s.rd = c2s[0];
		s.wr = s2c[1];
		if (netns_enter(b->server_netns))
			_exit(1);
		lfd = listen_open(b, &port);
		if (lfd < 0)
			_exit(1);
		if (write(s.wr, &port, sizeof(port)) != sizeof(port)) {
			fail_errno("write to the pipe");
			_exit(1);
		}
		_exit(run_server(&s, lfd) ? 1 : 0);
	}
	side_set("client", conn);
	close(c2s[0]);
	close(s2c[1]);
	c.rd = s2c[0];
	c.wr = c2s[1];
	ret = netns_enter(b->client_netns) ?: run_client(&c, ready, go, r);
	if (!ret)
		ret = pipe_put(&c, 'd');
	/* A failed client hangs up at once: the server stops waiting. */
	close(c.wr);
	if (c.fd >= 0)
		close(c.fd);
	if (reap(pid, ret ? 5 : IO_TIMEOUT, ret))
		ret = -1;
	close(c.rd);
	return ret;
}

/* The sum of the pairs' figures over the time from the first start to the last end. */
static void results_sum(struct result *sum, const struct result *rs, unsigned int n)
{
	unsigned int i;

	*sum = rs[0];
	for (i = 1; i < n; i++) {
		if (rs[i].start < sum->start)
			sum->start = rs[i].start;
		if (rs[i].end > sum->end)
			sum->end = rs[i].end;
		sum->bytes += rs[i].bytes;
		sum->count += rs[i].count;
		if (rs[i].peer_noenc < sum->peer_noenc)
			sum->peer_noenc = rs[i].peer_noenc;
	}
}

/*
 * --conns N: N pairs in forked processes, their results in shared memory.
 * Each says 'R' on @ready when connected ('F' if it failed before); once
 * all are, closing @go starts them together.  On any failure the others
 * are killed (their servers die with them, PR_SET_PDEATHSIG).
 */
static int run_conns(const struct bench *b, struct result *sum)
{
	unsigned int i, n = b->conns, started = 0, failed = 0;
	int ready[2], go[2], status;
	bool stop = false;
	pid_t pids[MAX_CONNS];
	struct result *rs;
	char c;

	if (n == 1)
		return run(b, -1, -1, -1, sum);
	rs = mmap(NULL, n * sizeof(*rs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (rs == MAP_FAILED)
		return fail_errno("mmap");
	if (pipe(ready) || pipe(go)) {
		munmap(rs, n * sizeof(*rs));
		return fail_errno("pipe");
	}
	fflush(NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fail_errno("fork");
			n = i;
			stop = true;
			break;
		}
		if (!pids[i]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ready[0]);
			close(go[1]);
			if (!run(b, i, ready[1], go[0], &rs[i]))
				_exit(0);
			if (!barrier_passed && write(ready[1], "F", 1) != 1)
				_exit(2);
			_exit(1);
		}
	}
	close(ready[1]);
	close(go[0]);
	while (!stop && started < n) {
		if (wait_readable(ready[0], 4 * IO_TIMEOUT) || read(ready[0], &c, 1) != 1 ||
		    c != 'R')
			stop = true;
		else
			started++;
	}
	if (stop)
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
	close(go[1]);
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed++;
	close(ready[0]);
	if (!failed && !stop)
		results_sum(sum, rs, n);
	munmap(rs, b->conns * sizeof(*rs));
	if (failed || stop)
		return fail("%u of %u connections failed", failed, b->conns);
	return 0;
}

/* ---- command line ---- */

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "quic_bulk: %s\n", msg);
	fputs("usage: quic_bulk --proto quic|quic-noenc|tcp|ktls [--size BYTES] [--write BYTES]\n"
	      "\t\t [--rr REQ:RESP [--time SECONDS | --count N]] [--handshakes N]\n"
	      "\t\t [--conns N] [--cipher aes128gcm|aes256gcm|chacha20] [-6]\n"
	      "\t\t [--addr IP] [--server-netns NAME] [--client-netns NAME]\n", stderr);
	fputs("BYTES take a K, M or G suffix (powers of 1024)\n", stderr);
	return -1;
}

static int parse_bytes(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'G': case 'g':
		shift += 10;
		/* fallthrough */
	case 'M': case 'm':
		shift += 10;
		/* fallthrough */
	case 'K': case 'k':
		shift += 10;
		end++;
		break;
	}
	if (*end || !v || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "REQ:RESP", each 1 byte to 64M */
static int parse_rr(const char *arg, struct bench *b)
{
	char buf[64], *colon;
	uint64_t req, resp;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (parse_bytes(buf, &req) || parse_bytes(colon + 1, &resp) ||
	    req > MAX_WRITE || resp > MAX_WRITE)
		return -1;
	b->req = req;
	b->resp = resp;
	return 0;
}

static int parse_count(const char *arg, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || !v)
		return -1;
	*out = v;
	return 0;
}

/* The server's address, which also sets the family. */
static int parse_addr(const char *arg, struct bench *b)
{
	struct sockaddr_in6 *sin6 = (void *)&b->addr;
	struct sockaddr_in *sin = (void *)&b->addr;

	memset(&b->addr, 0, sizeof(b->addr));
	if (inet_pton(AF_INET, arg, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		b->addr_len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, arg, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		b->addr_len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static void addr_loopback(struct bench *b, int family)
{
	struct sockaddr_in6 *sin6 = (void *)&b->addr;
	struct sockaddr_in *sin = (void *)&b->addr;

	memset(&b->addr, 0, sizeof(b->addr));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		b->addr_len = sizeof(*sin);
		return;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_loopback;
	b->addr_len = sizeof(*sin6);
}

static int parse_proto(const char *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proto_names); i++)
		if (!strcmp(arg, proto_names[i]))
			return i;
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

enum {
	OPT_ADDR = 256,
	OPT_SERVER_NETNS,
	OPT_CLIENT_NETNS,
	OPT_RR,
	OPT_TIME,
	OPT_COUNT,
	OPT_HANDSHAKES,
	OPT_CONNS,
};

static int parse_args(int argc, char **argv, struct bench *b)
{
	static const struct option lopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "addr", required_argument, NULL, OPT_ADDR },
		{ "server-netns", required_argument, NULL, OPT_SERVER_NETNS },
		{ "client-netns", required_argument, NULL, OPT_CLIENT_NETNS },
		{ "rr", required_argument, NULL, OPT_RR },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "handshakes", required_argument, NULL, OPT_HANDSHAKES },
		{ "conns", required_argument, NULL, OPT_CONNS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool v6 = false, addr = false, rr = false, hs = false, timed = false;
	uint64_t w = 65536, n;
	int opt, proto = -1;
	char *end;

	b->size = 256ULL << 20;
	b->cipher = &ciphers[0];
	b->duration = 10;
	b->conns = 1;
	while ((opt = getopt_long(argc, argv, "6h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			proto = parse_proto(optarg);
			if (proto < 0)
				return usage("--proto: quic, quic-noenc, tcp or ktls");
			break;
		case 's':
			if (parse_bytes(optarg, &b->size))
				return usage("--size: a positive byte count");
			break;
		case 'w':
			if (parse_bytes(optarg, &w) || w < 8 || w > MAX_WRITE)
				return usage("--write: 8 bytes to 64M");
			break;
		case 'c':
			b->cipher = parse_cipher(optarg);
			if (!b->cipher)
				return usage("--cipher: aes128gcm, aes256gcm or chacha20");
			break;
		case '6':
			v6 = true;
			break;
		case OPT_ADDR:
			if (parse_addr(optarg, b))
				return usage("--addr: an IPv4 or IPv6 address");
			addr = true;
			break;
		case OPT_SERVER_NETNS:
			b->server_netns = optarg;
			break;
		case OPT_CLIENT_NETNS:
			b->client_netns = optarg;
			break;
		case OPT_RR:
			if (parse_rr(optarg, b))
				return usage("--rr: REQ:RESP, each 1 byte to 64M");
			rr = true;
			break;
		case OPT_TIME:
			errno = 0;
			b->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(b->duration > 0))
				return usage("--time: seconds, more than 0");
			timed = true;
			break;
		case OPT_COUNT:
			if (parse_count(optarg, &b->count))
				return usage("--count: a positive number");
			break;
		case OPT_HANDSHAKES:
			if (parse_count(optarg, &b->count))
				return usage("--handshakes: a positive number");
			hs = true;
			break;
		case OPT_CONNS:
			if (parse_count(optarg, &n) || n > MAX_CONNS)
				return usage("--conns: 1 to 64");
			b->conns = n;
			break;
		case 'h':
			usage(NULL);
			exit(0);
		default:
			return usage(NULL);
		}
	}
	if (optind < argc || proto < 0)
		return usage(proto < 0 ? "--proto is required" : "unexpected argument");
	if (rr && hs)
		return usage("--rr and --handshakes exclude each other");
	if (!rr && (timed || (b->count && !hs)))
		return usage("--time and --count go with --rr");
	if (timed && b->count)
		return usage("--time or --count, not both");
	if (!addr)
		addr_loopback(b, v6 ? AF_INET6 : AF_INET);
	else if (v6 && b->addr.ss_family != AF_INET6)
		return usage("-6 with an IPv4 --addr");
	b->family = b->addr.ss_family;
	b->mode = rr ? MODE_RR : hs ? MODE_HANDSHAKE : MODE_BULK;
	b->proto = proto;
	b->wsize = w;
	if (proto != PROTO_TCP && b->cipher->mac != GNUTLS_MAC_SHA256 && !HAVE_PSK_MAC) {
		fprintf(stderr, "quic_bulk: --cipher %s needs a SHA-384 PSK: GnuTLS %s has no "
			"gnutls_psk_allocate_*_credentials2() (3.8.x)\n",
			b->cipher->name, GNUTLS_VERSION);
		return -1;
	}
	return 0;
}

/* The one result line. */
static void report(const struct bench *b, const struct result *r)
{
	double secs = r->end - r->start;
	char mtu[16] = "unknown";

	if (secs <= 0)
		secs = 1e-9;
	if (r->mtu > 0)
		snprintf(mtu, sizeof(mtu), "%d", r->mtu);
	printf("proto=%s mode=%s cipher=%s ", proto_names[b->proto], mode_names[b->mode],
	       b->proto == PROTO_TCP ? "none" : b->cipher->name);
	switch (b->mode) {
	case MODE_BULK:
		printf("write=%zu conns=%u mtu=%s bytes=%llu seconds=%.3f MBps=%.1f Gbps=%.3f",
		       b->wsize, b->conns, mtu, (unsigned long long)r->bytes, secs,
		       r->bytes / secs / 1e6, r->bytes * 8 / secs / 1e9);
		break;
	case MODE_RR:
		printf("req=%zu resp=%zu conns=%u mtu=%s transactions=%llu seconds=%.3f tps=%.1f",
		       b->req, b->resp, b->conns, mtu, (unsigned long long)r->count, secs,
		       r->count / secs);
		break;
	case MODE_HANDSHAKE:
		printf("conns=%u mtu=%s handshakes=%llu seconds=%.3f hps=%.1f",
		       b->conns, mtu, (unsigned long long)r->count, secs, r->count / secs);
		break;
	}
	if (r->peer_noenc >= 0)
		printf(" peer_noenc=%d", r->peer_noenc);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct bench b = {};
	struct result r = { .peer_noenc = -1 };
	int ret;

	if (parse_args(argc, argv, &b))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	ret = psk_file_write(&b);
	if (!ret)
		ret = run_conns(&b, &r);
	if (b.psk_file[0])
		unlink(b.psk_file);
	if (ret)
		return 1;
	report(&b, &r);
	return fflush(stdout) ? 1 : 0;
}
