// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host test of libquic, no QUIC kernel needed.
 *
 * Part 1, the engine: a client and a server session, each built with
 * quic_tls_init() and driven by a quic_engine, wired to each other in
 * memory through struct quic_engine_ops.
 *
 * Part 2, the socket driver: the public quic_*_handshake*() functions on
 * both ends of an AF_UNIX SOCK_SEQPACKET pair, with sendmsg(), recvmsg(),
 * getsockopt() and setsockopt() replaced for those two descriptors by a
 * fake kernel that follows build/notes/kernel-contract.md.
 *
 * Prints "ok N - name" / "not ok N - name" per check and exits non-zero
 * if any failed.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "engine.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_CHUNKS	256
#define QUIC_ALPNS_MAX_TEST	128	/* the kernel's limit */
#define QUIC_TICKET_KEY_LEN_TEST	64
#define MAX_STEPS	10000

struct chunk {
	uint8_t level;
	size_t len;
	uint8_t *data;
};

/* Feeding modes: how the bytes a side sent are cut before delivery */
enum feed_mode {
	FEED_AS_SENT,	/* one chunk per GnuTLS message, as produced */
	FEED_BYTES,	/* one byte at a time: partial messages */
	FEED_COALESCE,	/* all queued bytes of a level at once */
};

struct side {
	const char *name;
	struct quic_tls tls;
	struct quic_engine e;
	struct side *peer;
	int init_err;
	/* bytes the peer sent us, not yet fed */
	struct chunk in[MAX_CHUNKS];
	size_t nin;
	/* what the engine installed: [level][send] */
	struct quic_crypto_secret sec[QUIC_CRYPTO_MAX][2];
	int nsec[QUIC_CRYPTO_MAX][2];
	int app_order[2];	/* install order of the 1-RTT secrets */
	int ninstalled;
	bool app_sent_early;	/* 1-RTT bytes sent before 1-RTT keys */
	int app_msgs;		/* 1-RTT handshake messages sent */
	/* transport parameters: ours, and the peer's as received */
	uint8_t tp[64];
	size_t tp_len;
	uint8_t peer_tp[QUIC_TP_EXT_MAX];
	size_t peer_tp_len;
	int peer_tp_count;
	bool reject_peer_tp;	/* act like a kernel refusing them */
	int ret;		/* last engine result */
};

static int tests, failures;
static char tmpdir[32];
static char psk_file[64], psk_other[64], psk_bad[64];
static char cert_file[64], key_file[64], other_cert[64];

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!ok)
		failures++;
	printf("%sok %d - ", ok ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- the in-memory transport ---- */

static int t_send(void *ctx, uint8_t level, const void *data, size_t len)
{
	struct side *s = ctx;
	struct side *p = s->peer;
	struct chunk *c;

	if (level == QUIC_CRYPTO_APP && !s->nsec[QUIC_CRYPTO_APP][1])
		s->app_sent_early = true;
	if (level == QUIC_CRYPTO_APP)
		s->app_msgs++;
	if (p->nin == MAX_CHUNKS)
		return -ENOBUFS;
	c = &p->in[p->nin++];
	c->level = level;
	c->len = len;
	c->data = malloc(len);
	if (!c->data)
		return -ENOMEM;
	memcpy(c->data, data, len);
	return 0;
}

static int t_set_secret(void *ctx, const struct quic_crypto_secret *sec)
{
	struct side *s = ctx;

	if (sec->level >= QUIC_CRYPTO_MAX || sec->send > 1)
		return -EINVAL;
	s->sec[sec->level][sec->send] = *sec;
	s->nsec[sec->level][sec->send]++;
	if (sec->level == QUIC_CRYPTO_APP)
		s->app_order[sec->send] = ++s->ninstalled;
	return 0;
}

static int t_set_peer_params(void *ctx, const void *data, size_t len)
{
	struct side *s = ctx;

	if (s->reject_peer_tp)
		return -EINVAL;
	if (len > sizeof(s->peer_tp))
		return -EMSGSIZE;
	memcpy(s->peer_tp, data, len);
	s->peer_tp_len = len;
	s->peer_tp_count++;
	return 0;
}

static int t_get_local_params(void *ctx, void *buf, size_t len)
{
	struct side *s = ctx;

	if (len < s->tp_len)
		return -ENOSPC;
	memcpy(buf, s->tp, s->tp_len);
	return s->tp_len;
}

static const struct quic_engine_ops t_ops = {
	.send = t_send,
	.set_secret = t_set_secret,
	.set_peer_params = t_set_peer_params,
	.get_local_params = t_get_local_params,
};

/* ---- sides ---- */

static void side_init(struct side *s, const char *name,
		      const struct quic_tls_config *c)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->name = name;
	/* Distinct, recognisable parameter bytes for each side */
	s->tp_len = c->server ? 23 : 17;
	for (i = 0; i < s->tp_len; i++)
		s->tp[i] = (uint8_t)((c->server ? 0xa0 : 0x10) + i);
	s->init_err = quic_tls_init(&s->tls, c);
	if (!s->init_err)
		s->init_err = quic_engine_init(&s->e, s->tls.session, &t_ops, s);
	s->e.alpn_required = s->tls.alpn;
	s->e.send_ticket = s->tls.ticket;
}

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; i < s->nin; i++)
		free(s->in[i].data);
	s->nin = 0;
	if (s->e.session)
		quic_engine_cleanup(&s->e);
	quic_tls_deinit(&s->tls);
}

/* Take the next piece of input for @s, cut as @mode says. */
static bool side_next(struct side *s, enum feed_mode mode, struct chunk *out)
{
	struct chunk *c = &s->in[0];
	size_t n = 1, i, len;

	if (!s->nin)
		return false;
	*out = *c;
	if (mode == FEED_BYTES && c->len > 1) {
		out->data = malloc(1);
		out->data[0] = c->data[0];
		out->len = 1;
		memmove(c->data, c->data + 1, --c->len);
		return true;
	}
	if (mode == FEED_COALESCE) {
		for (len = c->len; n < s->nin && s->in[n].level == c->level; n++)
			len += s->in[n].len;
		out->data = malloc(len);
		out->len = 0;
		for (i = 0; i < n; i++) {
			memcpy(out->data + out->len, s->in[i].data, s->in[i].len);
			out->len += s->in[i].len;
			free(s->in[i].data);
		}
	}
	memmove(s->in, s->in + n, (s->nin - n) * sizeof(*c));
	s->nin -= n;
	return true;
}

/* Feed @s one piece of input; finish once complete, as the socket does. */
static bool side_turn(struct side *s, enum feed_mode mode)
{
	struct chunk c;

	if (s->ret < 0 || !side_next(s, mode, &c))
		return false;
	s->ret = quic_engine_feed(&s->e, c.level, c.data, c.len);
	free(c.data);
	if (s->ret == 1 && !s->e.finished)
		s->ret = quic_engine_finish(&s->e) ?: 1;
	return true;
}

/* Run both until nothing moves; true when both completed and finished. */
static bool run(struct side *c, struct side *s, enum feed_mode mode)
{
	int i;

	if (c->init_err || s->init_err)
		return false;
	c->peer = s;
	s->peer = c;
	s->ret = quic_engine_step(&s->e);
	c->ret = quic_engine_step(&c->e);
	for (i = 0; i < MAX_STEPS; i++) {
		bool moved = side_turn(s, mode);

		moved |= side_turn(c, mode);
		if (!moved)
			break;
	}
	return c->ret == 1 && s->ret == 1 && c->e.finished && s->e.finished;
}

static bool secret_eq(const struct quic_crypto_secret *a,
		      const struct quic_crypto_secret *b)
{
	return a->level == b->level && a->type == b->type &&
	       !memcmp(a->secret, b->secret, sizeof(a->secret));
}

/* One write secret on each side per level, equal to the peer's read one */
static bool secrets_match(struct side *c, struct side *s, int level)
{
	return c->nsec[level][1] == 1 && c->nsec[level][0] == 1 &&
	       s->nsec[level][1] == 1 && s->nsec[level][0] == 1 &&
	       secret_eq(&c->sec[level][1], &s->sec[level][0]) &&
	       secret_eq(&s->sec[level][1], &c->sec[level][0]) &&
	       !secret_eq(&c->sec[level][1], &c->sec[level][0]);
}

static bool tp_delivered(struct side *from, struct side *to)
{
	return to->peer_tp_count == 1 && to->peer_tp_len == from->tp_len &&
	       !memcmp(to->peer_tp, from->tp, from->tp_len);
}

/* ---- configurations ---- */

static struct quic_tls_config psk_server(const char *file)
{
	struct quic_tls_config c = { .server = true };

	c.o.pkey_file = file;
	return c;
}

static struct quic_tls_config psk_client(const char *file)
{
	struct quic_tls_config c = {};

	c.o.pkey_file = file;
	return c;
}

static struct quic_tls_config x509_server(void)
{
	struct quic_tls_config c = { .server = true };

	c.o.pkey_file = key_file;
	c.o.cert_file = cert_file;
	return c;
}

static struct quic_tls_config x509_client(const char *host, const char *ca)
{
	struct quic_tls_config c = {};

	c.o.hostname = host;
	c.o.cafile = ca;
	return c;
}

/* ---- fixtures ---- */

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(data, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

/* A self-signed ECDSA certificate for "localhost", and its key. */
static int make_cert(const char *crt_path, const char *key_path)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t pem = {};
	gnutls_x509_crt_t crt = NULL;
	unsigned char serial[8];
	time_t now = time(NULL);
	int ret;

	ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	if (!ret)
		ret = gnutls_x509_privkey_init(&key);
	if (!ret)
		ret = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
						   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
						   0);
	if (!ret)
		ret = gnutls_x509_crt_init(&crt);
	if (!ret)
		ret = gnutls_x509_crt_set_version(crt, 3);
	if (!ret)
		ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (!ret)
		ret = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (!ret)
		ret = gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	if (!ret)
		ret = gnutls_x509_crt_set_dn(crt, "CN=localhost", NULL);
	if (!ret)
		ret = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
							   "localhost", 9,
							   GNUTLS_FSAN_SET);
	if (!ret)
		ret = gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	if (!ret)
		ret = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
						    GNUTLS_KEY_KEY_CERT_SIGN);
	if (!ret)
		ret = gnutls_x509_crt_set_key(crt, key);
	if (!ret)
		ret = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (!ret)
		ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);
	if (!ret) {
		ret = write_file(crt_path, pem.data, pem.size);
		gnutls_free(pem.data);
		pem.data = NULL;
	}
	if (!ret && key_path)
		ret = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem);
	if (!ret && key_path) {
		ret = write_file(key_path, pem.data, pem.size);
		gnutls_free(pem.data);
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return ret;
}

static int make_psk(const char *path, const char *identity, const char *hex)
{
	char line[256];

	snprintf(line, sizeof(line), "%s:%s\n", identity, hex);
	return write_file(path, line, strlen(line));
}

static int setup(void)
{
	strcpy(tmpdir, "/tmp/quic-engine-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(psk_file, sizeof(psk_file), "%s/psk", tmpdir);
	snprintf(psk_other, sizeof(psk_other), "%s/psk-other", tmpdir);
	snprintf(psk_bad, sizeof(psk_bad), "%s/psk-bad", tmpdir);
	snprintf(cert_file, sizeof(cert_file), "%s/cert.pem", tmpdir);
	snprintf(key_file, sizeof(key_file), "%s/key.pem", tmpdir);
	snprintf(other_cert, sizeof(other_cert), "%s/other.pem", tmpdir);
	if (make_psk(psk_file, "test-client",
		     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff") ||
	    make_psk(psk_other, "test-client",
		     "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100") ||
	    write_file(psk_bad, "no-colon-here\n", 14))
		return -1;
	if (make_cert(cert_file, key_file) || make_cert(other_cert, NULL))
		return -1;
	return 0;
}

static void teardown(void)
{
	unlink(psk_file);
	unlink(psk_other);
	unlink(psk_bad);
	unlink(cert_file);
	unlink(key_file);
	unlink(other_cert);
	rmdir(tmpdir);
}

/* ---- tests ---- */

static void test_psk(void)
{
	struct quic_tls_config cc = psk_client(psk_file);
	struct quic_tls_config sc = psk_server(psk_file);
	struct side c, s;
	bool done;

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(done, "PSK handshake completes (client %d, server %d)",
	      c.ret, s.ret);
	check(secrets_match(&c, &s, QUIC_CRYPTO_HANDSHAKE),
	      "PSK: Handshake secrets, client write == server read and back");
	check(secrets_match(&c, &s, QUIC_CRYPTO_APP),
	      "PSK: 1-RTT secrets, client write == server read and back");
	check(!c.nsec[QUIC_CRYPTO_INITIAL][0] && !c.nsec[QUIC_CRYPTO_INITIAL][1] &&
	      !s.nsec[QUIC_CRYPTO_INITIAL][0] && !s.nsec[QUIC_CRYPTO_INITIAL][1] &&
	      !c.nsec[QUIC_CRYPTO_EARLY][1] && !s.nsec[QUIC_CRYPTO_EARLY][0],
	      "PSK: no Initial secret from TLS, no 0-RTT secret unasked");
	check(c.app_order[1] == 1 && c.app_order[0] == 2 &&
	      s.app_order[1] == 1 && s.app_order[0] == 2,
	      "1-RTT secrets installed write first, then read, on both sides");
	check(tp_delivered(&c, &s), "client transport parameters reach the server");
	check(tp_delivered(&s, &c), "server transport parameters reach the client");
	check(!c.app_sent_early && !s.app_sent_early,
	      "no 1-RTT handshake bytes sent before the 1-RTT keys");
	side_free(&c);
	side_free(&s);
}

static void test_feeding(enum feed_mode mode, const char *what)
{
	struct quic_tls_config cc = psk_client(psk_file);
	struct quic_tls_config sc = psk_server(psk_file);
	struct side c, s;
	bool done;

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, mode);
	check(done && secrets_match(&c, &s, QUIC_CRYPTO_APP),
	      "handshake with input fed %s", what);
	side_free(&c);
	side_free(&s);
}

static void test_psk_wrong(void)
{
	struct quic_tls_config cc = psk_client(psk_file);
	struct quic_tls_config sc = psk_server(psk_other);
	struct side c, s;
	bool done;

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && s.ret < 0 && c.ret != 1 && !c.nsec[QUIC_CRYPTO_APP][1],
	      "wrong PSK fails (server %d %s, alert %d)", s.ret,
	      strerror(-s.ret), s.e.alert);
	side_free(&c);
	side_free(&s);

	cc = psk_client(psk_bad);
	side_init(&c, "client", &cc);
	check(c.init_err == -EINVAL, "malformed PSK file is refused (%d)",
	      c.init_err);
	side_free(&c);
}

static void test_x509(void)
{
	struct quic_tls_config cc = x509_client("localhost", cert_file);
	struct quic_tls_config sc = x509_server();
	struct side c, s;
	bool done;

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(done, "X.509 handshake completes, certificate verified (%d, %d)",
	      c.ret, s.ret);
	check(secrets_match(&c, &s, QUIC_CRYPTO_HANDSHAKE) &&
	      secrets_match(&c, &s, QUIC_CRYPTO_APP),
	      "X.509: Handshake and 1-RTT secrets match across sides");
	check(tp_delivered(&c, &s) && tp_delivered(&s, &c),
	      "X.509: transport parameters exchanged");
	side_free(&c);
	side_free(&s);

	cc = x509_client("not-localhost.example", cert_file);
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && c.ret == -EKEYREJECTED,
	      "X.509: wrong server name is rejected (%d)", c.ret);
	side_free(&c);
	side_free(&s);

	cc = x509_client("localhost", other_cert);
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && c.ret == -EKEYREJECTED,
	      "X.509: certificate from an untrusted issuer is rejected (%d)",
	      c.ret);
	side_free(&c);
	side_free(&s);

	cc = x509_client("localhost", other_cert);
	cc.o.no_verify = 1;
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(done, "X.509: no_verify accepts it anyway (%d)", c.ret);
	side_free(&c);
	side_free(&s);
}

static void test_ciphers(void)
{
	static const struct {
		uint32_t type;
		gnutls_cipher_algorithm_t gnutls;
		const char *name;
	} suites[] = {
		{ TLS_CIPHER_AES_GCM_128, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM" },
		{ TLS_CIPHER_AES_GCM_256, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM" },
		{ TLS_CIPHER_CHACHA20_POLY1305, GNUTLS_CIPHER_CHACHA20_POLY1305,
		  "CHACHA20-POLY1305" },
		{ TLS_CIPHER_AES_CCM_128, GNUTLS_CIPHER_AES_128_CCM, "AES-128-CCM" },
	};
	struct quic_tls_config cc, sc;
	struct side c, s;
	unsigned int i;
	bool done;

	for (i = 0; i < ARRAY_SIZE(suites); i++) {
		cc = x509_client("localhost", cert_file);
		sc = x509_server();
		/* Forcing one side is enough; the client forces on odd runs. */
		if (i % 2)
			cc.o.cipher = suites[i].type;
		else
			sc.o.cipher = suites[i].type;
		side_init(&c, "client", &cc);
		side_init(&s, "server", &sc);
		done = run(&c, &s, FEED_AS_SENT);
		check(done && gnutls_cipher_get(c.tls.session) == suites[i].gnutls &&
		      c.sec[QUIC_CRYPTO_APP][1].type == suites[i].type &&
		      s.sec[QUIC_CRYPTO_HANDSHAKE][0].type == suites[i].type &&
		      secrets_match(&c, &s, QUIC_CRYPTO_APP),
		      "cipher %s forced by the %s", suites[i].name,
		      i % 2 ? "client" : "server");
		side_free(&c);
		side_free(&s);
	}

	cc = psk_client(psk_file);
	sc = psk_server(psk_file);
	cc.o.cipher = TLS_CIPHER_AES_GCM_128;
	sc.o.cipher = TLS_CIPHER_CHACHA20_POLY1305;
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && s.ret < 0, "no common cipher suite fails (%d)", s.ret);
	side_free(&c);
	side_free(&s);

	cc = psk_client(psk_file);
	cc.o.cipher = 99;
	side_init(&c, "client", &cc);
	check(c.init_err == -EINVAL, "unknown cipher type is refused");
	side_free(&c);
}

static void test_alpn(void)
{
	struct quic_tls_config cc = psk_client(psk_file);
	struct quic_tls_config sc = psk_server(psk_file);
	char ca[32] = "", sa[32] = "";
	struct side c, s;
	bool done;

	cc.o.alpns = "h3,smb";
	sc.o.alpns = "smb,ksmbd";
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	if (done) {
		quic_engine_alpn(&c.e, ca, sizeof(ca));
		quic_engine_alpn(&s.e, sa, sizeof(sa));
	}
	check(done && !strcmp(ca, "smb") && !strcmp(sa, "smb"),
	      "ALPN negotiated: client \"%s\", server \"%s\"", ca, sa);
	side_free(&c);
	side_free(&s);

	cc.o.alpns = "h3";
	sc.o.alpns = "smb";
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && s.ret == -ENOPROTOOPT,
	      "ALPN mismatch fails (server %d, alert %d)", s.ret, s.e.alert);
	side_free(&c);
	side_free(&s);

	cc.o.alpns = NULL;
	sc.o.alpns = "smb";
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(!done, "ALPN required by the server, none offered: fails (%d)",
	      s.ret);
	side_free(&c);
	side_free(&s);

	cc.o.alpns = "h3,,smb";
	side_init(&c, "client", &cc);
	check(c.init_err == -EINVAL, "empty ALPN name is refused");
	side_free(&c);
}

static void test_bad_params(void)
{
	struct quic_tls_config cc = psk_client(psk_file);
	struct quic_tls_config sc = psk_server(psk_file);
	struct side c, s;
	bool done;

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	s.reject_peer_tp = true;
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && s.ret == -EINVAL && !s.nsec[QUIC_CRYPTO_HANDSHAKE][1],
	      "transport parameters refused by the server's kernel fail (%d)",
	      s.ret);
	side_free(&c);
	side_free(&s);

	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	c.reject_peer_tp = true;
	done = run(&c, &s, FEED_AS_SENT);
	check(!done && c.ret == -EINVAL && !c.nsec[QUIC_CRYPTO_APP][1],
	      "transport parameters refused by the client's kernel fail (%d)",
	      c.ret);
	side_free(&c);
	side_free(&s);
}

/* Full handshake with tickets; returns the client's session data. */
static bool get_ticket(gnutls_datum_t *key, gnutls_datum_t *data)
{
	struct quic_tls_config cc = x509_client("localhost", cert_file);
	struct quic_tls_config sc = x509_server();
	struct side c, s;
	bool done, ok;

	sc.ticket_key = key->data;
	sc.ticket_key_len = key->size;
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	ok = done && quic_engine_has_ticket(&c.e) &&
	     gnutls_session_get_data2(c.tls.session, data) == 0;
	check(ok, "session ticket: NewSessionTicket at 1-RTT level reaches the client");
	check(!s.app_sent_early && s.app_msgs == 1,
	      "one ticket, sent after the server's 1-RTT keys (%d)", s.app_msgs);
	side_free(&c);
	side_free(&s);

	/* The client may get the ticket in pieces, like the handshake. */
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_BYTES);
	check(done && quic_engine_has_ticket(&c.e),
	      "session ticket fed one byte at a time after the handshake");
	side_free(&c);
	side_free(&s);
	return ok;
}

static void test_resume(void)
{
	struct quic_tls_config cc = x509_client("localhost", cert_file);
	struct quic_tls_config sc = x509_server();
	gnutls_datum_t key = {}, data = {};
	struct side c, s;
	bool done;

	if (gnutls_session_ticket_key_generate(&key) < 0) {
		check(false, "session ticket key");
		return;
	}
	if (!get_ticket(&key, &data))
		goto out;

	sc.ticket_key = key.data;
	sc.ticket_key_len = key.size;
	cc.o.session_in = data.data;
	cc.o.session_in_len = data.size;
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(done && gnutls_session_is_resumed(c.tls.session) &&
	      gnutls_session_is_resumed(s.tls.session) &&
	      secrets_match(&c, &s, QUIC_CRYPTO_APP),
	      "resumption with the ticket's session data");
	check(!c.nsec[QUIC_CRYPTO_EARLY][1],
	      "no 0-RTT secret without early data");
	side_free(&c);
	side_free(&s);

	cc.o.early_data = "early";
	cc.o.early_data_len = 5;
	side_init(&c, "client", &cc);
	side_init(&s, "server", &sc);
	done = run(&c, &s, FEED_AS_SENT);
	check(done && gnutls_session_is_resumed(s.tls.session),
	      "resumption with 0-RTT offered");
	check(c.nsec[QUIC_CRYPTO_EARLY][1] == 1 && !c.nsec[QUIC_CRYPTO_EARLY][0] &&
	      s.nsec[QUIC_CRYPTO_EARLY][0] == 1 && !s.nsec[QUIC_CRYPTO_EARLY][1] &&
	      secret_eq(&c.sec[QUIC_CRYPTO_EARLY][1], &s.sec[QUIC_CRYPTO_EARLY][0]) &&
	      c.sec[QUIC_CRYPTO_EARLY][1].type == c.sec[QUIC_CRYPTO_APP][1].type,
	      "0-RTT: client write secret == server read secret (%d/%d)",
	      c.nsec[QUIC_CRYPTO_EARLY][1], s.nsec[QUIC_CRYPTO_EARLY][0]);
	side_free(&c);
	side_free(&s);
	gnutls_free(data.data);
out:
	gnutls_free(key.data);
}

/*
 * quic_handshake() takes sessions the application configured: here a
 * server left with GnuTLS' defaults, which sends two tickets before the
 * handshake completes and keeps middlebox compatibility mode on.
 */
static void test_user_session(void)
{
	struct quic_tls_config cc = psk_client(psk_file);
	gnutls_psk_server_credentials_t psk = NULL;
	gnutls_datum_t key = {};
	struct side c, s;
	bool done;
	int ret;

	side_init(&c, "client", &cc);
	memset(&s, 0, sizeof(s));
	s.tp_len = 3;
	memcpy(s.tp, "\x01\x02\x03", 3);
	ret = gnutls_init(&s.tls.session, GNUTLS_SERVER);
	if (!ret)
		ret = gnutls_priority_set_direct(s.tls.session,
						 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+PSK",
						 NULL);
	if (!ret)
		ret = gnutls_psk_allocate_server_credentials(&psk);
	if (!ret)
		ret = gnutls_psk_set_server_credentials_file(psk, psk_file);
	if (!ret)
		ret = gnutls_credentials_set(s.tls.session, GNUTLS_CRD_PSK, psk);
	if (!ret)
		ret = gnutls_session_ticket_key_generate(&key);
	if (!ret)
		ret = gnutls_session_ticket_enable_server(s.tls.session, &key);
	if (!ret)
		ret = quic_engine_init(&s.e, s.tls.session, &t_ops, &s);
	s.init_err = ret;
	done = run(&c, &s, FEED_AS_SENT);
	check(done && secrets_match(&c, &s, QUIC_CRYPTO_APP) &&
	      quic_engine_has_ticket(&c.e),
	      "application-built server session: handshake and ticket (%d)",
	      ret);
	check(!s.app_sent_early && s.app_msgs == 1,
	      "its early tickets were held until its 1-RTT keys");
	side_free(&c);
	side_free(&s);
	gnutls_psk_free_server_credentials(psk);
	gnutls_free(key.data);
}

/*
 * quic_handshake() asks a server session for one ticket after the
 * handshake (send_ticket): with GNUTLS_NO_AUTO_SEND_TICKET and a key it
 * is the only one; without a key GnuTLS must decline quietly.
 */
static void test_user_session_ticket(bool with_key)
{
	struct quic_tls_config cc = psk_client(psk_file);
	gnutls_psk_server_credentials_t psk = NULL;
	gnutls_datum_t key = {};
	struct side c, s;
	bool done;
	int ret;

	side_init(&c, "client", &cc);
	memset(&s, 0, sizeof(s));
	s.tp_len = 3;
	memcpy(s.tp, "\x01\x02\x03", 3);
	ret = gnutls_init(&s.tls.session,
			  GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET);
	if (!ret)
		ret = gnutls_priority_set_direct(s.tls.session, QUIC_PRIORITY,
						 NULL);
	if (!ret)
		ret = gnutls_psk_allocate_server_credentials(&psk);
	if (!ret)
		ret = gnutls_psk_set_server_credentials_file(psk, psk_file);
	if (!ret)
		ret = gnutls_credentials_set(s.tls.session, GNUTLS_CRD_PSK, psk);
	if (!ret && with_key)
		ret = gnutls_session_ticket_key_generate(&key);
	if (!ret && with_key)
		ret = gnutls_session_ticket_enable_server(s.tls.session, &key);
	if (!ret)
		ret = quic_engine_init(&s.e, s.tls.session, &t_ops, &s);
	s.e.send_ticket = true;
	s.init_err = ret;
	done = run(&c, &s, FEED_AS_SENT);
	check(done && secrets_match(&c, &s, QUIC_CRYPTO_APP) &&
	      quic_engine_has_ticket(&c.e) == with_key &&
	      s.app_msgs == (with_key ? 1 : 0),
	      "QUIC_PRIORITY server session %s a ticket key: %d 1-RTT messages (%d)",
	      with_key ? "with" : "without", s.app_msgs, ret);
	side_free(&c);
	side_free(&s);
	gnutls_psk_free_server_credentials(psk);
	gnutls_free(key.data);
}

/* ---- part 2: the socket driver over a fake kernel ---- */

/* In-band tags of the fake wire: a level byte, or one of these */
#define FAKE_STREAM	0xfe

/* One end of a fake QUIC connection: what "the kernel" knows of it */
struct fake {
	int fd;			/* our end of the socketpair, -1 if unused */
	struct fake *peer;
	struct quic_config cfg;
	char alpn[QUIC_ALPNS_MAX_TEST];
	size_t alpn_len;
	int alpn_sets;
	uint8_t ticket[4096];
	size_t ticket_len;
	uint8_t tp[24];
	size_t tp_len;
	uint8_t peer_tp[QUIC_TP_EXT_MAX];
	size_t peer_tp_len;
	struct quic_crypto_secret sec[16];
	int nsec;
	struct quic_connection_close close;	/* from the peer */
	struct quic_stream_info stream;		/* last stream send */
	size_t stream_len;
	int streams;
};

static struct fake fakes[2];

static struct fake *fake_of(int fd)
{
	int i;

	for (i = 0; i < 2; i++)
		if (fakes[i].fd >= 0 && fakes[i].fd == fd)
			return &fakes[i];
	return NULL;
}

static void *cmsg_find(const struct msghdr *m, int type)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR((struct msghdr *)m, cm))
		if (cm->cmsg_level == SOL_QUIC && cm->cmsg_type == type)
			return CMSG_DATA(cm);
	return NULL;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	struct fake *f = fake_of(fd);
	struct quic_handshake_info hi;
	struct iovec iov[2];
	struct msghdr out = { .msg_iov = iov, .msg_iovlen = 2 };
	uint8_t tag;
	void *p;

	if (!f)
		return syscall(SYS_sendmsg, fd, m, flags);
	if (m->msg_iovlen != 1) {
		errno = EINVAL;
		return -1;
	}
	p = cmsg_find(m, QUIC_STREAM_INFO);
	if (p) {
		/* Stream data before the handshake: keep it, like 0-RTT. */
		memcpy(&f->stream, p, sizeof(f->stream));
		f->stream_len = m->msg_iov[0].iov_len;
		f->streams++;
		return f->stream_len;
	}
	p = cmsg_find(m, QUIC_HANDSHAKE_INFO);
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&hi, p, sizeof(hi));
	tag = hi.crypto_level;
	iov[0].iov_base = &tag;
	iov[0].iov_len = 1;
	iov[1] = m->msg_iov[0];
	if (syscall(SYS_sendmsg, fd, &out, flags | MSG_NOSIGNAL) < 0)
		return -1;
	return m->msg_iov[0].iov_len;
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	struct fake *f = fake_of(fd);
	struct quic_handshake_info hi = {};
	struct msghdr in = {};
	struct iovec iov[2];
	struct cmsghdr *cm;
	uint8_t tag;
	ssize_t n;

	if (!f)
		return syscall(SYS_recvmsg, fd, m, flags);
	iov[0].iov_base = &tag;
	iov[0].iov_len = 1;
	iov[1] = m->msg_iov[0];
	in.msg_iov = iov;
	in.msg_iovlen = 2;
	n = syscall(SYS_recvmsg, fd, &in, flags);
	if (n <= 0) {
		m->msg_controllen = 0;
		m->msg_flags = 0;
		return n;
	}
	m->msg_flags = in.msg_flags;
	hi.crypto_level = tag;
	if (m->msg_controllen < CMSG_SPACE(sizeof(hi))) {
		m->msg_flags |= MSG_CTRUNC;
		m->msg_controllen = 0;
		return n - 1;
	}
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = SOL_QUIC;
	cm->cmsg_type = QUIC_HANDSHAKE_INFO;
	cm->cmsg_len = CMSG_LEN(sizeof(hi));
	memcpy(CMSG_DATA(cm), &hi, sizeof(hi));
	m->msg_controllen = CMSG_SPACE(sizeof(hi));
	return n - 1;
}

static int fake_get(void *val, socklen_t *len, const void *data, size_t size)
{
	if (*len < size) {
		errno = EINVAL;
		return -1;
	}
	memcpy(val, data, size);
	*len = size;
	return 0;
}

int getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	struct fake *f = fake_of(fd);

	if (!f || level != SOL_QUIC)
		return syscall(SYS_getsockopt, fd, level, opt, val, len);
	switch (opt) {
	case QUIC_SOCKOPT_CONFIG:
		return fake_get(val, len, &f->cfg, sizeof(f->cfg));
	case QUIC_SOCKOPT_ALPN:
		return fake_get(val, len, f->alpn, f->alpn_len);
	case QUIC_SOCKOPT_SESSION_TICKET:
		return fake_get(val, len, f->ticket, f->ticket_len);
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		return fake_get(val, len, f->tp, f->tp_len);
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		return fake_get(val, len, &f->close, sizeof(f->close));
	}
	errno = ENOPROTOOPT;
	return -1;
}

static int fake_set(void *dst, size_t *dlen, size_t room, const void *val,
		    socklen_t len)
{
	if (len > room) {
		errno = EINVAL;
		return -1;
	}
	memcpy(dst, val, len);
	if (dlen)
		*dlen = len;
	return 0;
}

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	struct fake *f = fake_of(fd);

	if (!f || level != SOL_QUIC)
		return syscall(SYS_setsockopt, fd, level, opt, val, len);
	switch (opt) {
	case QUIC_SOCKOPT_CRYPTO_SECRET:
		if (len != sizeof(f->sec[0]) || f->nsec == 16)
			break;
		memcpy(&f->sec[f->nsec++], val, len);
		return 0;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		return fake_set(f->peer_tp, &f->peer_tp_len, sizeof(f->peer_tp),
				val, len);
	case QUIC_SOCKOPT_ALPN:
		f->alpn_sets++;
		f->alpn[0] = '\0';
		return fake_set(f->alpn, &f->alpn_len, sizeof(f->alpn), val, len);
	case QUIC_SOCKOPT_SESSION_TICKET:
		return fake_set(f->ticket, &f->ticket_len, sizeof(f->ticket),
				val, len);
	case QUIC_SOCKOPT_CONFIG:
		return fake_set(&f->cfg, NULL, sizeof(f->cfg), val, len);
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		/* What close() would send: the peer reads it after EOF. */
		return fake_set(&f->peer->close, NULL, sizeof(f->close), val, len);
	}
	errno = EINVAL;
	return -1;
}

static void fake_pair(void)
{
	int sv[2], i;

	memset(fakes, 0, sizeof(fakes));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
		fakes[0].fd = -1;
		fakes[1].fd = -1;
		return;
	}
	for (i = 0; i < 2; i++) {
		fakes[i].fd = sv[i];
		fakes[i].peer = &fakes[!i];
		fakes[i].tp_len = 5 + i;
		memset(fakes[i].tp, 0x40 + i, fakes[i].tp_len);
	}
}

static void fake_close(struct fake *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

struct server_job {
	pthread_t thread;
	struct quic_handshake_opts o;
	int ret;
};

/* The server closes on failure, so the client sees the peer go away. */
static void *server_main(void *arg)
{
	struct server_job *j = arg;

	j->ret = quic_server_handshake_opts(fakes[1].fd, &j->o);
	if (j->ret)
		fake_close(&fakes[1]);
	return NULL;
}

static int client_vs_server(const struct quic_handshake_opts *co,
			    struct server_job *j)
{
	int ret;

	if (pthread_create(&j->thread, NULL, server_main, j))
		return -1;
	ret = quic_client_handshake_opts(fakes[0].fd, co);
	pthread_join(j->thread, NULL);
	return ret;
}

/* Secrets the fake got from one side, checked against the other's */
static const struct quic_crypto_secret *fake_secret(struct fake *f, int level,
						    int send)
{
	int i;

	for (i = 0; i < f->nsec; i++)
		if (f->sec[i].level == level && f->sec[i].send == send)
			return &f->sec[i];
	return NULL;
}

static bool fake_secrets_ok(struct fake *c, struct fake *s, int level,
			    uint32_t type)
{
	const struct quic_crypto_secret *cw = fake_secret(c, level, 1);
	const struct quic_crypto_secret *cr = fake_secret(c, level, 0);
	const struct quic_crypto_secret *sw = fake_secret(s, level, 1);
	const struct quic_crypto_secret *sr = fake_secret(s, level, 0);

	return cw && cr && sw && sr && secret_eq(cw, sr) && secret_eq(sw, cr) &&
	       (!type || cw->type == type);
}

/* The 1-RTT secrets come last, write then read: what completes it. */
static bool fake_app_last(struct fake *f)
{
	return f->nsec >= 2 &&
	       f->sec[f->nsec - 2].level == QUIC_CRYPTO_APP &&
	       f->sec[f->nsec - 2].send == 1 &&
	       f->sec[f->nsec - 1].level == QUIC_CRYPTO_APP &&
	       f->sec[f->nsec - 1].send == 0;
}

static void test_socket(void)
{
	struct quic_handshake_opts co = {};
	struct server_job j = {};
	int ret;

	/* PSK; the server's ALPN list and cipher come from the socket */
	fake_pair();
	co.pkey_file = psk_file;
	co.alpns = "h3";
	j.o.pkey_file = psk_file;
	memcpy(fakes[1].alpn, "smb,h3", 6);
	fakes[1].alpn_len = 6;
	fakes[1].cfg.payload_cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	ret = client_vs_server(&co, &j);
	check(!ret && !j.ret, "socket: PSK handshake, client %d, server %d",
	      ret, j.ret);
	check(fake_secrets_ok(&fakes[0], &fakes[1], QUIC_CRYPTO_HANDSHAKE,
			      TLS_CIPHER_CHACHA20_POLY1305) &&
	      fake_secrets_ok(&fakes[0], &fakes[1], QUIC_CRYPTO_APP,
			      TLS_CIPHER_CHACHA20_POLY1305),
	      "socket: secrets set with setsockopt match, cipher from CONFIG");
	check(fake_app_last(&fakes[0]) && fake_app_last(&fakes[1]) &&
	      !fake_secret(&fakes[0], QUIC_CRYPTO_INITIAL, 1),
	      "socket: 1-RTT secrets last, write before read, no Initial one");
	check(fakes[0].alpn_sets == 1 && fakes[1].alpn_sets == 1 &&
	      fakes[0].alpn_len == 2 && !memcmp(fakes[0].alpn, "h3", 2) &&
	      fakes[1].alpn_len == 2 && !memcmp(fakes[1].alpn, "h3", 2),
	      "socket: ALPN set on both sockets, server list from the socket");
	check(fakes[1].peer_tp_len == fakes[0].tp_len &&
	      !memcmp(fakes[1].peer_tp, fakes[0].tp, fakes[0].tp_len) &&
	      fakes[0].peer_tp_len == fakes[1].tp_len &&
	      !memcmp(fakes[0].peer_tp, fakes[1].tp, fakes[1].tp_len),
	      "socket: TRANSPORT_PARAM_EXT read from one side, set on the other");
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);

	/* ALPN mismatch: the server fails, the client learns it from the
	 * CONNECTION_CLOSE code the server set, once the server is gone.
	 */
	fake_pair();
	co.alpns = "h3";
	j.o.alpns = "smb";
	ret = client_vs_server(&co, &j);
	check(j.ret == -ENOPROTOOPT && ret == -ENOPROTOOPT &&
	      fakes[0].close.errcode == QUIC_TRANSPORT_ERROR_CRYPTO + 120,
	      "socket: ALPN mismatch: server %d, client %d, close code 0x%x",
	      j.ret, ret, fakes[0].close.errcode);
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);
	j.o.alpns = NULL;
}

static void test_socket_tickets(void)
{
	struct quic_handshake_opts co = {};
	struct server_job j = {};
	uint8_t data[4096], key[QUIC_TICKET_KEY_LEN_TEST];
	size_t data_len = sizeof(data);
	int ret;

	fake_pair();
	co.hostname = "localhost";
	co.cafile = cert_file;
	co.session_out = data;
	co.session_out_len = &data_len;
	j.o.pkey_file = key_file;
	j.o.cert_file = cert_file;
	gnutls_rnd(GNUTLS_RND_NONCE, key, sizeof(key));
	memcpy(fakes[1].ticket, key, sizeof(key));
	fakes[1].ticket_len = sizeof(key);
	ret = client_vs_server(&co, &j);
	check(!ret && !j.ret && data_len > 0 && fakes[0].cfg.receive_session_ticket,
	      "socket: X.509 handshake, %zu bytes of session data out (%d, %d)",
	      data_len, ret, j.ret);
	check(fakes[0].cfg.receive_session_ticket,
	      "socket: CONFIG.receive_session_ticket turned on for that");
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);
	if (ret || !data_len)
		return;

	fake_pair();
	memset(&co, 0, sizeof(co));
	co.hostname = "localhost";
	co.cafile = cert_file;
	co.session_in = data;
	co.session_in_len = data_len;
	co.early_data = "early";
	co.early_data_len = 5;
	memcpy(fakes[1].ticket, key, sizeof(key));
	fakes[1].ticket_len = sizeof(key);
	ret = client_vs_server(&co, &j);
	check(!ret && !j.ret &&
	      fake_secret(&fakes[0], QUIC_CRYPTO_EARLY, 1) &&
	      fake_secret(&fakes[1], QUIC_CRYPTO_EARLY, 0) &&
	      secret_eq(fake_secret(&fakes[0], QUIC_CRYPTO_EARLY, 1),
			fake_secret(&fakes[1], QUIC_CRYPTO_EARLY, 0)),
	      "socket: resumption with 0-RTT, early secrets installed (%d, %d)",
	      ret, j.ret);
	check(fakes[0].streams == 1 && fakes[0].stream_len == 5 &&
	      fakes[0].stream.stream_id == -1 &&
	      fakes[0].stream.stream_flags == MSG_QUIC_STREAM_NEW,
	      "socket: early data queued on a new stream before the ClientHello");
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);
}

static void test_socket_errors(void)
{
	struct quic_handshake_opts co = {};
	struct timespec a, b;
	long ms;
	int ret, sv[2];

	/* Nobody answers: the timeout ends it. */
	fake_pair();
	co.pkey_file = psk_file;
	co.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ret = quic_client_handshake_opts(fakes[0].fd, &co);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	check(ret == -ETIMEDOUT && ms >= 290 && ms < 3000,
	      "socket: no answer: -ETIMEDOUT after %ld ms (%d)", ms, ret);
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);

	/* The peer goes away without a word. */
	fake_pair();
	co.timeout_ms = 0;
	shutdown(fakes[1].fd, SHUT_WR);
	ret = quic_client_handshake(fakes[0].fd, psk_file, NULL, NULL);
	check(ret == -ECONNRESET, "socket: peer gone: -ECONNRESET (%d)", ret);
	fake_close(&fakes[0]);
	fake_close(&fakes[1]);

	/* Not a QUIC socket at all: an errno, at once. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		check(false, "socketpair");
		return;
	}
	ret = quic_client_handshake(sv[0], psk_file, NULL, NULL);
	check(ret == -EPROTONOSUPPORT, "socket: not a QUIC socket: %d", ret);
	close(sv[0]);
	close(sv[1]);
	check(quic_server_handshake(-1, psk_file, NULL, NULL) == -EINVAL &&
	      quic_handshake(NULL) == -EINVAL,
	      "socket: bad arguments: -EINVAL");
}

int main(void)
{
	/* The library falls back to QUIC_CAFILE: keep this test hermetic. */
	unsetenv("QUIC_CAFILE");
	if (setup()) {
		printf("Bail out! cannot create test files in %s\n", tmpdir);
		teardown();
		return 1;
	}
	test_psk();
	test_feeding(FEED_BYTES, "one byte at a time");
	test_feeding(FEED_COALESCE, "several messages at once");
	test_psk_wrong();
	test_x509();
	test_ciphers();
	test_alpn();
	test_bad_params();
	test_resume();
	test_user_session();
	test_user_session_ticket(true);
	test_user_session_ticket(false);
	test_socket();
	test_socket_tickets();
	test_socket_errors();
	teardown();
	printf("1..%d\n", tests);
	printf("%d passed, %d failed\n", tests - failures, failures);
	gnutls_global_deinit();
	return failures ? 1 : 0;
}
