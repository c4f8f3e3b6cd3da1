/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC connections without TLS, for tests that play both ends in one
 * process: the "handshake messages" are arbitrary bytes, the transport
 * parameters extensions are swapped directly, and both ends install the
 * same made-up secrets.  The handshake comes in three steps (pair_hello,
 * pair_accept, pair_finish) so that many can be in flight at once.
 */
#ifndef QUIC_PAIR_H
#define QUIC_PAIR_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/quic.h>
#include <linux/tls.h>

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC 261
#endif
#ifndef SOL_QUIC
#define SOL_QUIC 288
#endif

static inline int hs_send(int fd, uint8_t level, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info))] = {};
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct quic_handshake_info info = { .crypto_level = level };

	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_HANDSHAKE_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	return sendmsg(fd, &msg, 0);
}

/* Receive one handshake chunk; returns its length, the level in *level. */
static inline int hs_recv(int fd, uint8_t *level, void *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info)) + 64] = {};
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	int n;

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_QUIC && c->cmsg_type == QUIC_HANDSHAKE_INFO)
			*level = ((struct quic_handshake_info *)CMSG_DATA(c))->crypto_level;
	return n;
}

static inline int set_secret(int fd, uint8_t level, int send, uint32_t type, uint8_t seed)
{
	struct quic_crypto_secret s = { .send = send, .level = level, .type = type };

	memset(s.secret, seed, sizeof(s.secret));
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET, &s, sizeof(s));
}

static inline int swap_params(int from, int to)
{
	unsigned char buf[1024];
	socklen_t len = sizeof(buf);

	if (getsockopt(from, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, buf, &len))
		return -errno;
	if (setsockopt(to, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, buf, len))
		return -errno;
	return 0;
}

/* Seeds of the made-up secrets: one per level and direction. */
enum { SEED_HS_C = 1, SEED_HS_S, SEED_APP_C, SEED_APP_S };

static inline socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static inline ssize_t stream_send(int fd, int64_t sid, uint32_t flags, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info))] = {};
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct quic_stream_info info = { .stream_id = sid, .stream_flags = flags };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_STREAM_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	return sendmsg(fd, &msg, 0);
}

static inline ssize_t stream_recv(int fd, int64_t *sid, uint32_t *flags, void *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info))] = {};
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return n;
	*flags = msg.msg_flags;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_QUIC && c->cmsg_type == QUIC_STREAM_INFO) {
			struct quic_stream_info *i = (void *)CMSG_DATA(c);

			*sid = i->stream_id;
			*flags |= i->stream_flags;
		}
	}
	return n;
}

/* FNV-1a over the stream, and a generator both sides agree on. */
static inline uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static inline void fill(unsigned char *p, size_t n, uint64_t *state)
{
	while (n--) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		*p++ = *state >> 56;
	}
}

/* What the last pair_*() call that failed was doing. */
static const char *pair_err;

static inline int pair_fail(const char *what)
{
	pair_err = what;
	return -1;
}

#define PAIR_HELLO_LEN	300

/* If set, the max_idle_timeout (microseconds) pair_hello() gives clients:
 * a test that keeps many handshakes waiting may need more than 30 s.
 */
static uint32_t pair_idle_timeout;

/* If set, pair_hello()'s clients offer disable_1rtt_encryption. */
static uint8_t pair_disable_1rtt;

/* If set, pair_hello()'s clients set disable_active_migration: they do
 * not move, not even to a server's preferred address.
 */
static uint8_t pair_no_migration;

/* If set, pair_hello()'s clients search for the path MTU with probes
 * this often (plpmtud_probe_interval, microseconds).
 */
static uint32_t pair_pmtu_interval;

/* A client connects to @ss (@version first if not 0) and sends a
 * "ClientHello" that starts with @tag.  Returns its socket, or -1.
 */
static inline int pair_hello(int family, const struct sockaddr_storage *ss, socklen_t len,
			     uint32_t tag, uint32_t version)
{
	struct quic_transport_param tp = {
		.max_idle_timeout = pair_idle_timeout,
		.disable_1rtt_encryption = pair_disable_1rtt,
		.disable_active_migration = pair_no_migration,
	};
	struct timeval tv = { .tv_sec = 10 };
	struct quic_config c = {
		.version = version,
		.plpmtud_probe_interval = pair_pmtu_interval,
	};
	unsigned char buf[PAIR_HELLO_LEN];
	int fd;

	fd = socket(family, SOCK_STREAM, IPPROTO_QUIC);
	if (fd < 0)
		return pair_fail("socket");
	if (((pair_idle_timeout || pair_disable_1rtt || pair_no_migration) &&
	     setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, sizeof(tp))) ||
	    connect(fd, (const struct sockaddr *)ss, len) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    ((version || pair_pmtu_interval) &&
	     setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)))) {
		close(fd);
		return pair_fail("connect, or the options around it");
	}
	memset(buf, 'C', sizeof(buf));
	memcpy(buf, &tag, sizeof(tag));
	if (hs_send(fd, QUIC_CRYPTO_INITIAL, buf, sizeof(buf)) != sizeof(buf)) {
		close(fd);
		return pair_fail("client hello");
	}
	return fd;
}

/* The server takes the next client and reads its "ClientHello": returns
 * the socket, and the client's tag in *@tag; or -1.
 */
static inline int pair_accept(int lfd, uint32_t *tag)
{
	struct timeval tv = { .tv_sec = 10 };
	unsigned char buf[4096];
	uint8_t level = 0xff;
	int fd, n;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return pair_fail("accept");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = hs_recv(fd, &level, buf, sizeof(buf));
	if (n != PAIR_HELLO_LEN || level != QUIC_CRYPTO_INITIAL || buf[4] != 'C') {
		close(fd);
		return pair_fail("server reads the client hello");
	}
	memcpy(tag, buf, sizeof(*tag));
	return fd;
}

/* Install the Handshake or 1-RTT secrets of one end: @seed_tx is what it
 * sends with.
 */
static inline int pair_keys(int fd, uint8_t level, uint32_t cipher, uint8_t seed_tx,
			    uint8_t seed_rx)
{
	return set_secret(fd, level, 1, cipher, seed_tx) ?:
	       set_secret(fd, level, 0, cipher, seed_rx);
}

/* The rest of the handshake, both ends: "ServerHello", the Handshake
 * keys, "EncryptedExtensions" to "Finished", then the 1-RTT keys.
 */
static inline int pair_finish(int cfd, int sfd, uint32_t cipher)
{
	unsigned char buf[4096];
	uint8_t level = 0xff;
	int n, r;

	if (swap_params(cfd, sfd))
		return pair_fail("client parameters");
	memset(buf, 'S', 200);
	if (hs_send(sfd, QUIC_CRYPTO_INITIAL, buf, 200) != 200)
		return pair_fail("server hello");
	if (pair_keys(sfd, QUIC_CRYPTO_HANDSHAKE, cipher, SEED_HS_S, SEED_HS_C))
		return pair_fail("server handshake keys");
	memset(buf, 'E', 2000);
	if (hs_send(sfd, QUIC_CRYPTO_HANDSHAKE, buf, 2000) != 2000)
		return pair_fail("server flight");

	n = hs_recv(cfd, &level, buf, sizeof(buf));
	if (n != 200 || level != QUIC_CRYPTO_INITIAL)
		return pair_fail("client reads the server hello");
	if (pair_keys(cfd, QUIC_CRYPTO_HANDSHAKE, cipher, SEED_HS_C, SEED_HS_S))
		return pair_fail("client handshake keys");
	for (n = 0; n < 2000; n += r) {
		r = hs_recv(cfd, &level, buf, sizeof(buf));
		if (r <= 0 || level != QUIC_CRYPTO_HANDSHAKE)
			return pair_fail("client reads the flight");
	}
	if (n != 2000)
		return pair_fail("client flight length");
	if (swap_params(sfd, cfd))
		return pair_fail("server parameters");
	memset(buf, 'F', 36);
	if (hs_send(cfd, QUIC_CRYPTO_HANDSHAKE, buf, 36) != 36)
		return pair_fail("client finished");
	if (pair_keys(cfd, QUIC_CRYPTO_APP, cipher, SEED_APP_C, SEED_APP_S))
		return pair_fail("client 1-RTT keys");
	n = hs_recv(sfd, &level, buf, sizeof(buf));
	if (n != 36 || level != QUIC_CRYPTO_HANDSHAKE)
		return pair_fail("server reads finished");
	if (pair_keys(sfd, QUIC_CRYPTO_APP, cipher, SEED_APP_S, SEED_APP_C))
		return pair_fail("server 1-RTT keys");
	return 0;
}

#endif /* QUIC_PAIR_H */
