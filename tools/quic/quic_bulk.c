// SPDX-License-Identifier: GPL-2.0
/*
 * quic_bulk: one-way bulk transfer throughput of QUIC, TCP or kTLS over
 * loopback.
 *
 *	quic_bulk --proto quic|tcp|ktls [--size BYTES] [--write BYTES]
 *		  [--cipher aes128gcm|aes256gcm|chacha20] [-6]
 *
 * The process forks a server and connects to it over 127.0.0.1 (::1 with
 * -6).  The client writes --size bytes (default 256M) in --write sized
 * send() calls (default 65536); the server reads and checks them, then
 * answers with the byte count.  The clock runs from the first write to
 * that answer.  One result line goes to stdout and the exit status is 0;
 * on any error the reason goes to stderr and the exit status is 1.
 *
 * quic: IPPROTO_QUIC sockets, PSK handshake by tools/lib/quic, the data
 *	on the client's stream 0 with plain send() and recv().
 * tcp:	plain TCP (Nagle on).
 * ktls: TCP, a TLS 1.3 PSK handshake in GnuTLS, then the traffic keys go
 *	to the kernel (TCP_ULP "tls", TLS_TX, TLS_RX) and plain send() and
 *	recv() run on the TCP socket.
 *
 * The data: every write is one fixed pattern whose first 8 bytes are
 * replaced by its stream offset (mixed), so checking costs about a
 * memcmp().  Both sides meet over a pipe after the handshake, so the
 * client only starts once the server has its keys.
 *
 * TLS 1.3 binds an external PSK to SHA-256 unless told otherwise, and
 * TLS_AES_256_GCM_SHA384 needs SHA-384: aes256gcm needs a GnuTLS with
 * gnutls_psk_allocate_*_credentials2() (3.8.x; 3.7.9 has none; the
 * Makefile probes it as HAVE_PSK_MAC) and then runs QUIC through
 * quic_handshake() with a session built here, as the library's own PSK
 * setup is SHA-256 only.
 */

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
#define PSK_IDENTITY	"quic_bulk"
#define PSK_LEN		32
#define HDR_MIX		0x9e3779b97f4a7c15ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum proto { PROTO_TCP, PROTO_KTLS, PROTO_QUIC };

static const char * const proto_names[] = { "tcp", "ktls", "quic" };

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
	int family;
	uint64_t size;
	size_t wsize;
	const struct cipher *cipher;
	uint8_t key[PSK_LEN];
	char psk_file[4096];		/* "identity:hexkey" for tools/lib/quic */
};

struct peer {
	const struct bench *b;
	bool server;
	int fd;
	int rd, wr;			/* pipe ends to the other side */
};

/* ---- diagnostics ---- */

static const char *side = "setup";

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

/* Returns the character, or -1 if the other side went away. */
static int pipe_get(struct peer *p)
{
	char c;

	if (wait_readable(p->rd, IO_TIMEOUT))
		return -1;
	if (read(p->rd, &c, 1) != 1)
		return fail("the %s is gone", p->server ? "client" : "server");
	return c;
}

/* ---- sockets ---- */

static socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

static int sock_open(const struct bench *b)
{
	bool quic = b->proto == PROTO_QUIC;
	int fd;

	fd = socket(b->family, SOCK_STREAM, quic ? IPPROTO_QUIC : IPPROTO_TCP);
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
	socklen_t len;
	int fd;

	fd = sock_open(b);
	if (fd < 0)
		return -1;
	len = loopback(b->family, &ss, 0);
	if (bind(fd, (void *)&ss, len) || listen(fd, 1)) {
		fail_errno("bind/listen");
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
	len = loopback(b->family, &ss, port);
	if (connect(fd, (void *)&ss, len)) {
		fail_errno("connect");
		close(fd);
		return -1;
	}
	return fd;
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

static int quic_setup(struct peer *p)
{
	struct quic_handshake_opts o = {
		.pkey_file = p->b->psk_file,
		.cipher = p->b->cipher->type,
		.timeout_ms = IO_TIMEOUT * 1000,
	};
	int ret;

	if (p->b->cipher->mac != GNUTLS_MAC_SHA256)
		return quic_own_session(p);
	ret = p->server ? quic_server_handshake_opts(p->fd, &o) :
			  quic_client_handshake_opts(p->fd, &o);
	return ret ? fail("QUIC handshake: %s", strerror(-ret)) : 0;
}

static int setup(struct peer *p)
{
	int ret = 0;

	if (p->b->proto == PROTO_KTLS)
		ret = ktls_setup(p);
	else if (p->b->proto == PROTO_QUIC)
		ret = quic_setup(p);
	return ret ?: set_timeouts(p->fd);
}

/* ---- the transfer ---- */

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
static int send_reply(struct peer *p, uint64_t got)
{
	uint64_t v = htole64(got);

	if (p->b->proto != PROTO_QUIC)
		return send_all(p->fd, &v, sizeof(v));
	if (quic_sendmsg(p->fd, &v, sizeof(v), 0, 0) != (ssize_t)sizeof(v))
		return fail_errno("quic_sendmsg(reply)");
	return 0;
}

static int run_server(struct peer *p, int lfd)
{
	uint64_t got;
	int ret = -1;

	if (wait_readable(lfd, IO_TIMEOUT))
		goto out;
	p->fd = accept(lfd, NULL, NULL);
	if (p->fd < 0) {
		fail_errno("accept");
		goto out;
	}
	if (setup(p) || pipe_put(p, 'r') || recv_data(p, &got) || send_reply(p, got))
		goto out;
	/* Keep the connection until the client has the reply. */
	ret = pipe_get(p) == 'd' ? 0 : -1;
out:
	if (p->fd >= 0)
		close(p->fd);
	close(lfd);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_client(struct peer *p, uint16_t port, double *secs)
{
	double start;
	uint64_t v;

	p->fd = connect_to(p->b, port);
	if (p->fd < 0 || setup(p))
		return -1;
	if (pipe_get(p) != 'r')
		return fail("the server did not get ready");
	start = now();
	if (send_data(p) || recv_all(p->fd, &v, sizeof(v)))
		return -1;
	*secs = now() - start;
	if (le64toh(v) != p->b->size)
		return fail("the server got %llu bytes, want %llu",
			    (unsigned long long)le64toh(v), (unsigned long long)p->b->size);
	return 0;
}

/* ---- the two processes ---- */

static int psk_file_write(struct bench *b)
{
	const char *dir = getenv("TMPDIR");
	int fd, i, ret;

	if (gnutls_rnd(GNUTLS_RND_KEY, b->key, PSK_LEN))
		return fail("gnutls_rnd failed");
	if (b->proto != PROTO_QUIC)
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

static int run(const struct bench *b, double *secs)
{
	struct peer c = { .b = b, .fd = -1 }, s = { .b = b, .server = true, .fd = -1 };
	int c2s[2], s2c[2], lfd, ret;
	uint16_t port;
	pid_t pid;

	lfd = listen_open(b, &port);
	if (lfd < 0)
		return -1;
	if (pipe(c2s) || pipe(s2c)) {
		close(lfd);
		return fail_errno("pipe");
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(lfd);
		return fail_errno("fork");
	}
	if (!pid) {
		side = "server";
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(c2s[1]);
		close(s2c[0]);
		s.rd = c2s[0];
		s.wr = s2c[1];
		_exit(run_server(&s, lfd) ? 1 : 0);
	}
	side = "client";
	close(lfd);
	close(c2s[0]);
	close(s2c[1]);
	c.rd = s2c[0];
	c.wr = c2s[1];
	ret = run_client(&c, port, secs);
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

/* ---- command line ---- */

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "quic_bulk: %s\n", msg);
	fputs("usage: quic_bulk --proto quic|tcp|ktls [--size BYTES] [--write BYTES]\n", stderr);
	fputs("\t\t [--cipher aes128gcm|aes256gcm|chacha20] [-6]\n", stderr);
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

static int parse_args(int argc, char **argv, struct bench *b)
{
	static const struct option lopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int opt, proto = -1;
	uint64_t w = 65536;

	b->size = 256ULL << 20;
	b->family = AF_INET;
	b->cipher = &ciphers[0];
	while ((opt = getopt_long(argc, argv, "6h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			proto = parse_proto(optarg);
			if (proto < 0)
				return usage("--proto: quic, tcp or ktls");
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
			b->family = AF_INET6;
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

int main(int argc, char **argv)
{
	struct bench b = {};
	double secs = 0;
	int ret;

	if (parse_args(argc, argv, &b))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	ret = psk_file_write(&b);
	if (!ret)
		ret = run(&b, &secs);
	if (b.psk_file[0])
		unlink(b.psk_file);
	if (ret)
		return 1;
	if (secs <= 0)
		secs = 1e-9;
	printf("proto=%s cipher=%s write=%zu bytes=%llu seconds=%.3f MBps=%.1f Gbps=%.3f\n",
	       proto_names[b.proto], b.proto == PROTO_TCP ? "none" : b.cipher->name,
	       b.wsize, (unsigned long long)b.size, secs, b.size / secs / 1e6,
	       b.size * 8 / secs / 1e9);
	return 0;
}
