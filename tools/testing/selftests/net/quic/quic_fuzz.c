// SPDX-License-Identifier: GPL-2.0
/*
 * quic_fuzz: a system call fuzzer for IPPROTO_QUIC sockets.
 *
 *	quic_fuzz [-s SEED] [-n CALLS] [-v]
 *
 * What an ordinary local user can do to the kernel with QUIC sockets: the
 * program drops to uid/gid 65534 before its first QUIC call, then makes
 * CALLS (20000 by default) random system calls on a pool of sockets kept
 * in every state a socket can be in:
 *
 *   fresh		IPv4 and IPv6, SOCK_STREAM and SOCK_DGRAM
 *   bound		bind() to loopback or the wildcard address
 *   listening	bind() and listen()
 *   connecting	connect() to a listener, maybe a first handshake message,
 *			no keys
 *   established	a client and its accepted server on loopback, keys set
 *			directly with QUIC_SOCKOPT_CRYPTO_SECRET (no TLS: the
 *			handshake messages are made-up bytes, as in
 *			quic_transport.c)
 *   closing	an established pair after QUIC_SOCKOPT_CONNECTION_CLOSE and
 *			shutdown(SHUT_WR) on one end
 *   accepted	whatever accept() on a fuzzed listener returned
 *
 * A socket the fuzzer closes, or that lived its random number of calls,
 * is made again in the same state.  The calls:
 *
 *   setsockopt()/getsockopt() at SOL_QUIC for every option 0..15 and -1,
 *	16, 100, INT_MAX; optlen 0, 1, short, exact, exact + 1, 64 KiB,
 *	INT_MAX, -1 or random; optval NULL, a well-formed value with fields
 *	set to boundary values (0, 1, -1, INT64_MIN, INT64_MAX, 2^62 - 1,
 *	2^62, 2^60, UINT32_MAX...) or random bytes
 *   sendmsg() with and without QUIC_STREAM_INFO (stream IDs around the
 *	boundaries, negative ones included, MSG_QUIC_* flags) and
 *	QUIC_HANDSHAKE_INFO (levels 0..255) control messages whose cmsg_len
 *	may be short, long or misaligned; MSG_QUIC_DATAGRAM of 0..70000 bytes
 *   recvmsg() with MSG_PEEK, MSG_TRUNC, tiny data and control buffers
 *   bind(), connect(), listen(), accept4(), shutdown(), getsockname(),
 *	getpeername(), poll() with odd addresses (wildcard, not local,
 *	multicast, IPv4-mapped, link-local, a plain UDP socket's port, the
 *	pool's own), lengths and arguments; close() at random, graceful or
 *	with a zero SO_LINGER
 *
 * Nothing may block: every send and receive has MSG_DONTWAIT, every
 * socket is O_NONBLOCK with 50 ms SO_SNDTIMEO and SO_RCVTIMEO.  Each call
 * must succeed or fail with an errno the socket API documents (EFAULT only
 * when a bad pointer or length was passed, EBADF only on a descriptor
 * known closed, ENOPROTOOPT only for an option the direction does not
 * have, ENETUNREACH and EHOSTUNREACH only when routing to an address,
 * ENODEV only for a scoped IPv6 address; ENOTSOCK never); any other
 * errno, a call longer than 2 seconds or the death of the fuzzing process
 * is a failure, printed with the call, its arguments, its number and the
 * seed.  The same seed makes the same calls in the same order; what the
 * kernel answers may differ with timing.  -v prints each call to stderr
 * before it is made, and its result after: with stderr on a file that
 * survives a panic, the last line names the call that crashed a kernel.
 *
 * The default budget, 20000 calls, takes about 4 seconds in a QEMU TCG
 * guest (about 28000 system calls with the set-up ones); a long run is
 * just a bigger -n.
 *
 * The fuzzing runs in a child; the parent watches it, kills it when one
 * call is stuck for 10 seconds and prints the kselftest results.
 * quic_fuzz.sh runs it in a fresh network namespace and then checks that
 * no QUIC socket and no protocol memory is left, and that the kernel log
 * holds no warning.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/quic.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest.h"

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC 261
#endif
#ifndef SOL_QUIC
#define SOL_QUIC 288
#endif

#define DEFAULT_CALLS	20000
#define HANG_NS		(2ULL * 1000000000)	/* a call this long is a hang */
#define KILL_NS		(10ULL * 1000000000)	/* the watchdog gives up then */
#define TIMEO_US	50000			/* SO_SNDTIMEO, SO_RCVTIMEO */
#define BUF_SIZE	(128 * 1024)		/* followed by a guard page */
#define MAX_REPORTS	40			/* failures printed in full */

#define NOPT		20	/* options 0..15, then -1, 16, 100, INT_MAX */

enum op {
	OP_SETSOCKOPT, OP_GETSOCKOPT, OP_SENDMSG, OP_RECVMSG, OP_BIND, OP_CONNECT,
	OP_LISTEN, OP_ACCEPT, OP_SHUTDOWN, OP_CLOSE, OP_GETNAME, OP_POLL, NOP
};

static const char * const op_name[NOP] = {
	"setsockopt", "getsockopt", "sendmsg", "recvmsg", "bind", "connect",
	"listen", "accept", "shutdown", "close", "getname", "poll"
};

/* Out of 100: options and messages are where QUIC's own code is. */
static const int op_weight[NOP] = { 28, 18, 22, 14, 3, 3, 2, 3, 2, 1, 2, 2 };

enum kind {
	K_FRESH, K_BOUND, K_LISTEN, K_CONNECTING, K_ESTABLISHED, K_CLOSING,
	K_ACCEPTED, NKIND
};

static const char * const kind_name[NKIND] = {
	"fresh", "bound", "listening", "connecting", "established", "closing",
	"accepted"
};

/* Counters the fuzzing child leaves to the watching parent. */
struct shared {
	uint64_t start_ns;		/* of the running call, 0 between calls */
	uint64_t call;			/* its number */
	char desc[512];			/* and what it is */
	uint64_t calls, fails, hangs, setup_fails, reports;
	uint64_t op_calls[NOP], op_ok[NOP];
	uint64_t set_calls[NOPT], get_calls[NOPT];
	uint64_t made[NKIND];
	uint64_t errs[256];
	int done;
};

static struct shared *sh;
static unsigned long long seed;
static bool verbose;
static uint8_t *buf;		/* BUF_SIZE bytes, a guard page after */

/* Permitted errnos.  EFAULT, EBADF and ENOPROTOOPT depend on the call. */
static bool errno_documented(int err)
{
	switch (err) {
	case EINVAL: case EAGAIN: case ENOTCONN: case EISCONN: case EPIPE:
	case ENOMEM: case ENOBUFS: case EMSGSIZE: case ENOSPC: case EOPNOTSUPP:
	case EALREADY: case EINPROGRESS: case EADDRINUSE: case EADDRNOTAVAIL:
	case EAFNOSUPPORT: case ECONNRESET: case ECONNREFUSED: case ECONNABORTED:
	case ETIMEDOUT: case EPROTONOSUPPORT: case EACCES: case EPERM:
	case ENOENT: case EDESTADDRREQ: case E2BIG:
	case EBUSY:	/* QUIC_SOCKOPT_ALPN on a listener */
		return true;
	}
	return false;
}

/* What the arguments of the running call allow beyond the list above. */
struct ctx {
	bool badptr;	/* a bad pointer or length: EFAULT */
	bool stale;	/* a closed descriptor: EBADF */
	bool noopt;	/* an option the direction does not have: ENOPROTOOPT */
	bool route;	/* an address to route to: ENETUNREACH, EHOSTUNREACH */
	bool scope;	/* an IPv6 address with a scope ID: ENODEV */
};

/* splitmix64: every call draws from its own stream, seeded by its number. */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return rnd(r) % n;
}

static bool one_in(struct rng *r, uint32_t n)
{
	return !below(r, n);
}

static void rng_init(struct rng *r, uint64_t a, uint64_t b)
{
	r->s = a * 0x2545f4914f6cdd1dULL ^ b;
	rnd(r);
}

static void fill_random(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = rnd(r);
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t boundaries[] = {
	0, 1, (uint64_t)-1, (uint64_t)INT64_MIN, INT64_MAX, (1ULL << 62) - 1,
	1ULL << 62, 1ULL << 60, UINT32_MAX, 2, 3, 255, 256, 65535, 65536,
	INT32_MAX, (uint64_t)INT32_MAX + 1, 1200, 1199,
};

/* A boundary value, or now and then any value. */
static uint64_t bval(struct rng *r)
{
	if (one_in(r, 5))
		return rnd(r);
	return boundaries[below(r, ARRAY_LEN(boundaries))];
}

static const int64_t stream_ids[] = {
	-1, -1, -2, -3, -4, -5, INT64_MIN, INT64_MIN + 1, -(1LL << 62),
	0, 1, 2, 3, 4, 5, 6, 7, 8, 396, 397, 398, 399, 400, 401, 402, 403,
	4000, 4001, 4002, 4003, (1LL << 62) - 1, (1LL << 62) - 4, 1LL << 62,
	1LL << 60, INT64_MAX, UINT32_MAX, INT32_MAX,
};

static int64_t stream_id(struct rng *r)
{
	if (one_in(r, 3))
		return below(r, 64);	/* streams that may exist */
	return stream_ids[below(r, ARRAY_LEN(stream_ids))];
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __printf(1, 2) void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->desc, sizeof(sh->desc), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "call %llu: %s\n", (unsigned long long)sh->call, sh->desc);
}

static void call_begin(void)
{
	__atomic_store_n(&sh->start_ns, now_ns(), __ATOMIC_SEQ_CST);
}

/* Judge the result of the call that describe() named. */
static void call_end(long ret, int err, const struct ctx *c, int op)
{
	uint64_t took = now_ns() - sh->start_ns;
	bool ok = true;

	__atomic_store_n(&sh->start_ns, 0, __ATOMIC_SEQ_CST);
	sh->calls++;
	if (op >= 0)
		sh->op_calls[op]++;
	if (ret >= 0) {
		if (op >= 0)
			sh->op_ok[op]++;
	} else {
		sh->errs[err & 0xff]++;
		if (err == EFAULT)
			ok = c->badptr;
		else if (err == EBADF)
			ok = c->stale;
		else if (err == ENOPROTOOPT)
			ok = c->noopt;
		else if (err == ENETUNREACH || err == EHOSTUNREACH)
			ok = c->route;
		else if (err == ENODEV)
			ok = c->scope;
		else
			ok = errno_documented(err);
	}
	if (verbose)
		fprintf(stderr, "  = %ld%s%s\n", ret, ret < 0 ? " " : "",
			ret < 0 ? strerrorname_np(err) ?: "?" : "");
	if (!ok) {
		sh->fails++;
		if (sh->reports++ < MAX_REPORTS)
			printf("# FAIL seed %llu call %llu: %s = %ld, errno %d (%s)\n", seed,
			       (unsigned long long)sh->call, sh->desc, ret, err, strerror(err));
	}
	if (took > HANG_NS) {
		sh->hangs++;
		printf("# HANG seed %llu call %llu: %s took %llu ms\n", seed,
		       (unsigned long long)sh->call, sh->desc,
		       (unsigned long long)took / 1000000);
	}
}

/* Run @expr as the call described last, and judge it. */
#define CALL(c, op, expr) ({					\
	long __r;						\
	int __e;						\
	call_begin();						\
	errno = 0;						\
	__r = (expr);						\
	__e = errno;						\
	call_end(__r, __e, (c), (op));				\
	__r;							\
})

/* Socket pool: groups of sockets made together, each in one state. */
struct sockset {
	enum kind kind;
	int family, type;
	int nfd;
	int fd[3];
	bool open[3];
	uint64_t expire;	/* remade at this call */
	unsigned int gen;
};

static const struct {
	enum kind kind;
	int family, type;
} layout[] = {
	{ K_FRESH, AF_INET, SOCK_STREAM },
	{ K_FRESH, AF_INET, SOCK_DGRAM },
	{ K_FRESH, AF_INET6, SOCK_STREAM },
	{ K_FRESH, AF_INET6, SOCK_DGRAM },
	{ K_BOUND, 0, 0 },
	{ K_LISTEN, 0, 0 },
	{ K_CONNECTING, 0, 0 },
	{ K_ESTABLISHED, AF_INET, 0 },
	{ K_ESTABLISHED, AF_INET6, 0 },
	{ K_CLOSING, 0, 0 },
	{ K_ACCEPTED, 0, 0 },
};

#define NGROUP ARRAY_LEN(layout)
#define G_ACCEPTED (NGROUP - 1)

static struct sockset groups[NGROUP];
static int udp_fd = -1;		/* a plain UDP socket: its port is taken */
static uint16_t udp_port;

static socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
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

/* Set-up calls are judged like the others but must succeed. */
static bool setup_ok(long ret, const char *what)
{
	if (ret >= 0)
		return true;
	if (sh->setup_fails++ >= MAX_REPORTS)
		return false;
	printf("# SETUP seed %llu call %llu: %s failed: %s\n", seed,
	       (unsigned long long)sh->call, what, strerror(errno));
	return false;
}

/* Bound every wait: a blocking stream open waits SO_SNDTIMEO. */
static void timeouts(int fd)
{
	struct timeval tv = { .tv_usec = TIMEO_US };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int quic_socket(int family, int type)
{
	static const struct ctx c = {};
	int fd;

	describe("socket(%s, %s, IPPROTO_QUIC)", family == AF_INET ? "AF_INET" : "AF_INET6",
		 type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
	fd = CALL(&c, -1, socket(family, type, IPPROTO_QUIC));
	if (!setup_ok(fd, "socket"))
		return -1;
	timeouts(fd);
	return fd;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int hs_send(int fd, uint8_t level, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info))] = {};
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct quic_handshake_info info = { .crypto_level = level };
	static const struct ctx c = {};

	cm->cmsg_level = SOL_QUIC;
	cm->cmsg_type = QUIC_HANDSHAKE_INFO;
	cm->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(cm), &info, sizeof(info));
	describe("setup: handshake sendmsg(fd=%d, level %u, %zu bytes)", fd, level, len);
	return CALL(&c, -1, sendmsg(fd, &msg, MSG_DONTWAIT));
}

/* Receive handshake bytes until @want of them arrived at @level. */
static bool hs_recv(int fd, uint8_t level, size_t want)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info)) + 64];
	static const struct ctx c = {};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	uint8_t data[4096];

	while (got < want) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = sizeof(ctl),
		};
		struct cmsghdr *cm;
		long n;

		describe("setup: poll(fd=%d) for handshake level %u", fd, level);
		if (CALL(&c, -1, poll(&p, 1, 1500)) != 1) {
			errno = ETIMEDOUT;
			return setup_ok(-1, "handshake poll");
		}
		describe("setup: handshake recvmsg(fd=%d)", fd);
		n = CALL(&c, -1, recvmsg(fd, &msg, MSG_DONTWAIT));
		if (!setup_ok(n, "handshake recvmsg"))
			return false;
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != QUIC_HANDSHAKE_INFO ||
		    *CMSG_DATA(cm) != level || !n) {
			errno = EPROTO;
			return setup_ok(-1, "handshake message level");
		}
		got += n;
	}
	return true;
}

static bool set_secret(int fd, uint8_t level, int send, uint32_t type, uint8_t fill)
{
	struct quic_crypto_secret s = { .send = send, .level = level, .type = type };
	static const struct ctx c = {};

	memset(s.secret, fill, sizeof(s.secret));
	describe("setup: CRYPTO_SECRET(fd=%d, level %u, send %d)", fd, level, send);
	return setup_ok(CALL(&c, -1, setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET,
						  &s, sizeof(s))), "crypto secret");
}

static bool swap_params(int from, int to)
{
	static const struct ctx c = {};
	uint8_t p[1024];
	socklen_t len = sizeof(p);

	describe("setup: get TRANSPORT_PARAM_EXT(fd=%d)", from);
	if (!setup_ok(CALL(&c, -1, getsockopt(from, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
					      p, &len)), "get params ext"))
		return false;
	describe("setup: set TRANSPORT_PARAM_EXT(fd=%d, %u bytes)", to, len);
	return setup_ok(CALL(&c, -1, setsockopt(to, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
						  p, len)), "set params ext");
}

/* A listener on loopback: its address in @ss, its length returned. */
static int make_listener(int family, int type, struct sockaddr_storage *ss, socklen_t *len)
{
	static const struct ctx c = {};
	int fd = quic_socket(family, type);

	if (fd < 0)
		return -1;
	*len = loopback(family, ss, 0);
	describe("setup: bind(fd=%d, loopback)", fd);
	if (!setup_ok(CALL(&c, -1, bind(fd, (struct sockaddr *)ss, *len)), "bind"))
		goto err;
	describe("setup: listen(fd=%d, 8)", fd);
	if (!setup_ok(CALL(&c, -1, listen(fd, 8)), "listen"))
		goto err;
	if (!setup_ok(getsockname(fd, (struct sockaddr *)ss, len), "getsockname"))
		goto err;
	nonblock(fd);
	return fd;
err:
	close(fd);
	return -1;
}

/* Seeds of the made-up secrets, one per level and direction. */
enum { SEED_HS_C = 1, SEED_HS_S, SEED_APP_C, SEED_APP_S };

static const uint32_t ciphers[] = {
	TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_CHACHA20_POLY1305,
	TLS_CIPHER_AES_CCM_128,
};

/* The handshake of quic_transport.c, with made-up messages and secrets. */
static bool make_pair(struct sockset *g, struct rng *r)
{
	uint32_t cipher = ciphers[below(r, ARRAY_LEN(ciphers))];
	static const struct ctx c = {};
	struct pollfd p = {};
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, cfd, sfd = -1;

	memset(buf, 'C', 300);
	lfd = make_listener(g->family, g->type, &ss, &len);
	if (lfd < 0)
		return false;
	cfd = quic_socket(g->family, g->type);
	if (cfd < 0)
		goto err;
	describe("setup: connect(fd=%d)", cfd);
	if (!setup_ok(CALL(&c, -1, connect(cfd, (struct sockaddr *)&ss, len)), "connect"))
		goto err;
	if (!setup_ok(hs_send(cfd, QUIC_CRYPTO_INITIAL, buf, 300), "client hello"))
		goto err;
	p.fd = lfd;
	p.events = POLLIN;
	describe("setup: poll(listener fd=%d)", lfd);
	if (CALL(&c, -1, poll(&p, 1, 1500)) != 1) {
		errno = ETIMEDOUT;
		setup_ok(-1, "listener poll");
		goto err;
	}
	describe("setup: accept4(listener fd=%d)", lfd);
	sfd = CALL(&c, -1, accept4(lfd, NULL, NULL, SOCK_NONBLOCK));
	if (!setup_ok(sfd, "accept"))
		goto err;
	timeouts(sfd);	/* not inherited from the listener */
	if (!hs_recv(sfd, QUIC_CRYPTO_INITIAL, 300) || !swap_params(cfd, sfd))
		goto err;
	memset(buf, 'S', 200);
	if (!setup_ok(hs_send(sfd, QUIC_CRYPTO_INITIAL, buf, 200), "server hello") ||
	    !set_secret(sfd, QUIC_CRYPTO_HANDSHAKE, 1, cipher, SEED_HS_S) ||
	    !set_secret(sfd, QUIC_CRYPTO_HANDSHAKE, 0, cipher, SEED_HS_C))
		goto err;
	memset(buf, 'E', 1500);
	if (!setup_ok(hs_send(sfd, QUIC_CRYPTO_HANDSHAKE, buf, 1500), "encrypted extensions"))
		goto err;
	if (!hs_recv(cfd, QUIC_CRYPTO_INITIAL, 200) ||
	    !set_secret(cfd, QUIC_CRYPTO_HANDSHAKE, 1, cipher, SEED_HS_C) ||
	    !set_secret(cfd, QUIC_CRYPTO_HANDSHAKE, 0, cipher, SEED_HS_S) ||
	    !hs_recv(cfd, QUIC_CRYPTO_HANDSHAKE, 1500) || !swap_params(sfd, cfd))
		goto err;
	memset(buf, 'F', 36);
	if (!setup_ok(hs_send(cfd, QUIC_CRYPTO_HANDSHAKE, buf, 36), "finished") ||
	    !set_secret(cfd, QUIC_CRYPTO_APP, 1, cipher, SEED_APP_C) ||
	    !set_secret(cfd, QUIC_CRYPTO_APP, 0, cipher, SEED_APP_S) ||
	    !hs_recv(sfd, QUIC_CRYPTO_HANDSHAKE, 36) ||
	    !set_secret(sfd, QUIC_CRYPTO_APP, 1, cipher, SEED_APP_S) ||
	    !set_secret(sfd, QUIC_CRYPTO_APP, 0, cipher, SEED_APP_C))
		goto err;
	nonblock(cfd);
	g->fd[0] = cfd;
	g->fd[1] = sfd;
	g->fd[2] = lfd;
	g->nfd = 3;
	return true;
err:
	close(lfd);
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	return false;
}

/* SO_LINGER with a zero timeout: close() drops what is unsent at once. */
static void set_linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	static const struct ctx c = {};

	describe("setsockopt(fd=%d, SOL_SOCKET, SO_LINGER, {1, 0})", fd);
	CALL(&c, -1, setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
}

/* A group that lived its calls goes at once: graceful closes are the
 * fuzzed close()'s, and a socket closed gracefully whose peer never
 * answers stays, orphaned, until the idle timeout (30 seconds).
 */
static void group_close(struct sockset *g)
{
	int i;

	for (i = 0; i < g->nfd; i++) {
		if (!g->open[i])
			continue;
		set_linger0(g->fd[i]);
		close(g->fd[i]);
	}
	g->nfd = 0;
}

/* (Re)make group @i in its state; the draws depend on the seed only. */
static void group_make(unsigned int i, uint64_t call)
{
	struct sockset *g = &groups[i];
	static const struct ctx c = {};
	struct sockaddr_storage ss;
	struct rng r;
	socklen_t len;
	bool ok = true;
	int fd, j;

	group_close(g);
	rng_init(&r, seed ^ 0x5bd1e995, ((uint64_t)i << 32) | g->gen++);
	g->kind = layout[i].kind;
	g->family = layout[i].family ?: (one_in(&r, 2) ? AF_INET : AF_INET6);
	g->type = layout[i].type ?: (one_in(&r, 2) ? SOCK_STREAM : SOCK_DGRAM);
	g->expire = call + 100 + below(&r, 900);
	switch (g->kind) {
	case K_FRESH:
	case K_BOUND:
		fd = quic_socket(g->family, g->type);
		if (fd < 0) {
			ok = false;
			break;
		}
		g->fd[g->nfd++] = fd;
		nonblock(fd);
		if (g->kind == K_FRESH)
			break;
		len = loopback(g->family, &ss, 0);
		if (one_in(&r, 2)) {	/* the wildcard address */
			memset(&((struct sockaddr_in *)&ss)->sin_addr, 0, 4);
			if (g->family == AF_INET6)
				memset(&((struct sockaddr_in6 *)&ss)->sin6_addr, 0, 16);
		}
		describe("setup: bind(fd=%d)", fd);
		ok = setup_ok(CALL(&c, -1, bind(fd, (struct sockaddr *)&ss, len)), "bind");
		break;
	case K_LISTEN:
	case K_CONNECTING:
		fd = make_listener(g->family, g->type, &ss, &len);
		if (fd < 0) {
			ok = false;
			break;
		}
		g->fd[g->nfd++] = fd;
		if (g->kind == K_LISTEN)
			break;
		fd = quic_socket(g->family, g->type);
		if (fd < 0) {
			ok = false;
			break;
		}
		g->fd[g->nfd++] = fd;
		nonblock(fd);
		describe("setup: connect(fd=%d)", fd);
		ok = setup_ok(CALL(&c, -1, connect(fd, (struct sockaddr *)&ss, len)), "connect");
		/* Half of them send a first message: the listener has a child. */
		if (ok && one_in(&r, 2)) {
			memset(buf, 'C', 300);
			ok = setup_ok(hs_send(fd, QUIC_CRYPTO_INITIAL, buf, 300), "client hello");
		}
		break;
	case K_ESTABLISHED:
	case K_CLOSING:
		ok = make_pair(g, &r);
		if (!ok || g->kind == K_ESTABLISHED)
			break;
		fd = g->fd[below(&r, 2)];
		{
			struct quic_connection_close cl = { .errcode = 42 };

			memcpy(cl.phrase, "fuzz", 5);
			describe("setup: CONNECTION_CLOSE(fd=%d)", fd);
			ok = setup_ok(CALL(&c, -1, setsockopt(fd, SOL_QUIC,
							      QUIC_SOCKOPT_CONNECTION_CLOSE,
							      &cl, sizeof(cl))), "close option");
			describe("setup: shutdown(fd=%d, SHUT_WR)", fd);
			ok = ok && setup_ok(CALL(&c, -1, shutdown(fd, SHUT_WR)), "shutdown");
		}
		break;
	case K_ACCEPTED:
	case NKIND:
		break;
	}
	for (j = 0; j < g->nfd; j++)
		g->open[j] = true;
	if (ok && g->kind != K_ACCEPTED)
		sh->made[g->kind]++;
	if (!ok) {
		group_close(g);
		g->expire = call + 1;	/* try again next time */
	}
}

/* A descriptor accept() or peeloff gave us: it joins the accepted group. */
static void adopt(int fd, struct rng *r)
{
	struct sockset *g = &groups[G_ACCEPTED];
	int i;

	timeouts(fd);
	nonblock(fd);
	sh->made[K_ACCEPTED]++;
	if (g->nfd < 3) {
		i = g->nfd++;
	} else {
		i = below(r, 3);
		if (g->open[i])
			close(g->fd[i]);
	}
	g->fd[i] = fd;
	g->open[i] = true;
}

/* Sizes of the option values: what "exact" means for each option. */
static size_t opt_size(int opt, struct rng *r)
{
	switch (opt) {
	case QUIC_SOCKOPT_EVENT:
		return sizeof(struct quic_event_option);
	case QUIC_SOCKOPT_STREAM_OPEN:
		return sizeof(struct quic_stream_info);
	case QUIC_SOCKOPT_STREAM_RESET:
	case QUIC_SOCKOPT_STREAM_STOP_SENDING:
		return sizeof(struct quic_errinfo);
	case QUIC_SOCKOPT_CONNECTION_ID:
		return sizeof(struct quic_connection_id_info);
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		return sizeof(struct quic_connection_close);
	case QUIC_SOCKOPT_CONNECTION_MIGRATION:
		return sizeof(struct sockaddr_in6);
	case QUIC_SOCKOPT_KEY_UPDATE:
		return 0;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		return sizeof(struct quic_transport_param);
	case QUIC_SOCKOPT_CONFIG:
		return one_in(r, 3) ? QUIC_CONFIG_SIZE_VER0 : sizeof(struct quic_config);
	case QUIC_SOCKOPT_CRYPTO_SECRET:
		return sizeof(struct quic_crypto_secret);
	case QUIC_SOCKOPT_STREAM_PEELOFF:
		return sizeof(struct quic_stream_peeloff);
	case QUIC_SOCKOPT_TOKEN:
		return 1 + below(r, 256);
	case QUIC_SOCKOPT_SESSION_TICKET:
		return 1 + below(r, 4096);
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		return 1 + below(r, 512);
	}
	return 16;
}

/* An ALPN list: good names, empty ones, 255 and 256 bytes, NULs. */
static size_t make_alpn(struct rng *r, char *p)
{
	static const char * const names[] = { "h3", "smb", "ksmbd", "", "x", "h3-29" };
	size_t n = 0, k, want = 1 + below(r, 4);

	while (want--) {
		if (one_in(r, 8)) {
			k = one_in(r, 2) ? 255 : 256;
			memset(p + n, 'a', k);
			n += k;
		} else {
			k = strlen(names[below(r, ARRAY_LEN(names))]);
			memcpy(p + n, names[below(r, ARRAY_LEN(names))], k);
			n += k;
		}
		if (want)
			p[n++] = one_in(r, 10) ? '\0' : ',';
	}
	if (one_in(r, 2))
		p[n++] = '\0';	/* as from strlen() + 1 */
	return n;
}

/* A well-formed value of @opt with fields at boundary values. */
static size_t make_value(int opt, struct rng *r, uint8_t *p)
{
	size_t size = opt_size(opt, r);

	memset(p, 0, 4096);
	switch (opt) {
	case QUIC_SOCKOPT_EVENT: {
		struct quic_event_option *e = (void *)p;

		e->type = one_in(r, 4) ? bval(r) : below(r, QUIC_EVENT_MAX + 1);
		e->on = one_in(r, 4) ? bval(r) : below(r, 2);
		break;
	}
	case QUIC_SOCKOPT_STREAM_OPEN: {
		struct quic_stream_info *s = (void *)p;

		s->stream_id = stream_id(r);
		/* Mostly non-blocking: a blocked open waits SO_SNDTIMEO. */
		s->stream_flags = (one_in(r, 8) ? 0 : MSG_QUIC_STREAM_DONTWAIT) |
				  (one_in(r, 2) ? MSG_QUIC_STREAM_UNI : 0) |
				  (one_in(r, 8) ? (uint32_t)bval(r) : 0);
		s->reserved = one_in(r, 8) ? bval(r) : 0;
		break;
	}
	case QUIC_SOCKOPT_STREAM_RESET:
	case QUIC_SOCKOPT_STREAM_STOP_SENDING: {
		struct quic_errinfo *e = (void *)p;

		e->stream_id = stream_id(r);
		e->errcode = bval(r);
		e->reserved = one_in(r, 8) ? bval(r) : 0;
		break;
	}
	case QUIC_SOCKOPT_CONNECTION_ID: {
		struct quic_connection_id_info *i = (void *)p;

		i->dest = one_in(r, 4) ? bval(r) : below(r, 2);
		i->reserved[0] = one_in(r, 8);
		i->active = bval(r);
		i->prior_to = bval(r);
		break;
	}
	case QUIC_SOCKOPT_CONNECTION_CLOSE: {
		struct quic_connection_close *c = (void *)p;
		size_t n = below(r, QUIC_CLOSE_PHRASE_MAX_LEN + 1);

		c->errcode = bval(r);
		c->frame = bval(r);
		c->reserved[1] = one_in(r, 8);
		memset(c->phrase, 'p', n);
		if (one_in(r, 2) && n)
			size = offsetof(struct quic_connection_close, phrase) + n;
		break;
	}
	case QUIC_SOCKOPT_CONNECTION_MIGRATION:
		loopback(one_in(r, 2) ? AF_INET : AF_INET6, (void *)p, below(r, 65536));
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM: {
		struct quic_transport_param *t = (void *)p;
		int k;

		/* Valid values, then a few fields at boundaries. */
		t->remote = below(r, 2);
		t->active_connection_id_limit = 2 + below(r, 7);
		t->ack_delay_exponent = 3;
		t->max_datagram_frame_size = one_in(r, 2) ? 0 : 1200 + below(r, 64336);
		t->max_udp_payload_size = 1200 + below(r, 64328);
		t->max_idle_timeout = 30000000;
		t->max_ack_delay = 25000;
		t->max_streams_bidi = below(r, 200);
		t->max_streams_uni = below(r, 200);
		t->max_data = 1 << 20;
		t->max_stream_data_bidi_local = 1 << 16;
		t->max_stream_data_bidi_remote = 1 << 16;
		t->max_stream_data_uni = 1 << 16;
		for (k = below(r, 4); k > 0; k--) {
			uint64_t v = bval(r);

			switch (below(r, 12)) {
			case 0:
				t->active_connection_id_limit = v;
				break;
			case 1:
				t->ack_delay_exponent = v;
				break;
			case 2:
				t->max_datagram_frame_size = v;
				break;
			case 3:
				t->max_udp_payload_size = v;
				break;
			case 4:
				t->max_idle_timeout = v;
				break;
			case 5:
				t->max_ack_delay = v;
				break;
			case 6:
				t->max_streams_bidi = v;
				break;
			case 7:
				t->max_streams_uni = v;
				break;
			case 8:
				t->max_data = v;
				break;
			case 9:
				t->max_stream_data_bidi_local = v;
				break;
			case 10:
				t->max_stream_data_uni = v;
				break;
			default:
				t->disable_1rtt_encryption = v;
				break;
			}
		}
		break;
	}
	case QUIC_SOCKOPT_CONFIG: {
		struct quic_config *c = (void *)p;
		int k;

		c->version = one_in(r, 2) ? QUIC_VERSION_V1 : QUIC_VERSION_V2;
		c->congestion_control_algo = below(r, QUIC_CONG_ALG_MAX);
		c->payload_cipher_type = one_in(r, 2) ? 0 : ciphers[below(r, 4)];
		for (k = below(r, 4); k > 0; k--) {
			uint64_t v = bval(r);

			switch (below(r, 10)) {
			case 0:
				c->version = v;
				break;
			case 1:
				c->plpmtud_probe_interval = v;
				break;
			case 2:
				c->initial_smoothed_rtt = v;
				break;
			case 3:
				c->payload_cipher_type = v;
				break;
			case 4:
				c->congestion_control_algo = v;
				break;
			case 5:
				c->validate_peer_address = v;
				break;
			case 6:
				c->stream_data_nodelay = v;
				break;
			case 7:
				c->certificate_request = v;
				break;
			case 8:
				c->reserved[2] = v;
				break;
			/* Not too small: a listener's children inherit it. */
			default:
				c->keepalive_probe_interval = v < 100000 ? 0 : v;
				break;
			}
		}
		break;
	}
	case QUIC_SOCKOPT_ALPN:
		size = make_alpn(r, (char *)p);
		break;
	case QUIC_SOCKOPT_CRYPTO_SECRET: {
		struct quic_crypto_secret *s = (void *)p;

		s->send = one_in(r, 4) ? bval(r) : below(r, 2);
		s->level = one_in(r, 4) ? bval(r) : below(r, QUIC_CRYPTO_MAX + 1);
		s->reserved = one_in(r, 8) ? bval(r) : 0;
		s->type = one_in(r, 4) ? bval(r) : ciphers[below(r, 4)];
		fill_random(r, s->secret, sizeof(s->secret));
		break;
	}
	case QUIC_SOCKOPT_STREAM_PEELOFF: {
		struct quic_stream_peeloff *s = (void *)p;

		s->stream_id = stream_id(r);
		s->flags = one_in(r, 4) ? bval(r) : (one_in(r, 2) ? O_CLOEXEC : O_NONBLOCK);
		s->sd = bval(r);
		break;
	}
	default:	/* tokens, tickets, extensions, unknown options: bytes */
		fill_random(r, p, size);
		break;
	}
	return size;
}

static const int opt_numbers[NOPT] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -1, 16, 100, INT_MAX
};

/* The options each direction has; the others give ENOPROTOOPT. */
#define SET_OPTS 0x7ffd	/* all of 0..14 but STREAM_OPEN */
#define GET_OPTS 0xdf33	/* EVENT, STREAM_OPEN, CID, CLOSE, 8..12, 14, 15 */

static bool opt_known(int opt, bool set)
{
	return opt >= 0 && opt < 16 && ((set ? SET_OPTS : GET_OPTS) >> opt & 1);
}

/* optlen: 0, 1, short, exact, exact + 1, 64 KiB, INT_MAX, -1 or random. */
static long pick_len(struct rng *r, size_t exact)
{
	switch (below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return exact ? exact - 1 : 0;
	case 3:
		return exact / 2;
	case 4:
		return exact + 1;
	case 5:
		return 65536;
	case 6:
		return one_in(r, 2) ? INT_MAX : -1;
	case 7:
		return below(r, 4097);
	default:
		return exact;
	}
}

static void hex(char *out, size_t outlen, const uint8_t *p, long len)
{
	size_t n = 0;
	long i;

	out[0] = '\0';
	for (i = 0; i < len && i < 24 && n + 3 < outlen; i++)
		n += snprintf(out + n, outlen - n, "%02x", p[i]);
}

static void op_sockopt(struct rng *r, int fd, const char *what, struct ctx *c, bool set)
{
	int oi = one_in(r, 10) ? 16 + below(r, 4) : below(r, 16);
	int opt = opt_numbers[oi];
	uint8_t *val = buf;
	long len, exact;
	socklen_t olen;
	char h[64];

	exact = make_value(opt, r, buf);
	if (one_in(r, 6))	/* random content */
		fill_random(r, buf, exact + 8);
	len = pick_len(r, exact);
	if (one_in(r, 10))
		val = NULL;
	c->noopt = !opt_known(opt, set);
	c->badptr = (!val && len) || len > BUF_SIZE || len < 0;
	hex(h, sizeof(h), buf, len < 0 ? 0 : len);
	if (set) {
		sh->set_calls[oi]++;
		describe("setsockopt(fd=%d %s, SOL_QUIC, %d, %s%s, %ld)", fd, what, opt,
			 val ? "" : "NULL ", val ? h : "", len);
		CALL(c, OP_SETSOCKOPT, setsockopt(fd, SOL_QUIC, opt, val, (socklen_t)len));
		return;
	}
	sh->get_calls[oi]++;
	olen = len;
	if (one_in(r, 20)) {
		c->badptr = true;
		describe("getsockopt(fd=%d %s, SOL_QUIC, %d, %s, NULL optlen)", fd, what, opt,
			 val ? h : "NULL");
		CALL(c, OP_GETSOCKOPT, getsockopt(fd, SOL_QUIC, opt, val, NULL));
		return;
	}
	describe("getsockopt(fd=%d %s, SOL_QUIC, %d, %s%s, &%ld)", fd, what, opt,
		 val ? "" : "NULL ", val ? h : "", len);
	if (!CALL(c, OP_GETSOCKOPT, getsockopt(fd, SOL_QUIC, opt, val, &olen)) &&
	    opt == QUIC_SOCKOPT_STREAM_PEELOFF && val) {
		int sd = ((struct quic_stream_peeloff *)val)->sd;

		if (sd > 2 && fcntl(sd, F_GETFD) >= 0)
			adopt(sd, r);
	}
}

static const size_t dgram_sizes[] = {
	0, 1, 100, 1000, 1100, 1150, 1200, 1300, 1400, 1472, 1500, 4096, 65507, 65535,
	65536, 70000,
};

static const uint32_t stream_flag_bits[] = {
	MSG_QUIC_STREAM_NEW, MSG_QUIC_STREAM_FIN, MSG_QUIC_STREAM_UNI,
	MSG_QUIC_STREAM_DONTWAIT, MSG_QUIC_STREAM_SNDBLOCK, MSG_QUIC_DATAGRAM,
	MSG_QUIC_NOTIFICATION,
};

static uint32_t msg_quic_flags(struct rng *r)
{
	uint32_t f = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(stream_flag_bits); i++)
		if (one_in(r, 3))
			f |= stream_flag_bits[i];
	if (one_in(r, 16))
		f |= rnd(r);
	return f;
}

/* One control message at @p: returns the room it takes. */
static size_t put_cmsg(struct rng *r, uint8_t *p, size_t room, char *d, size_t dlen)
{
	struct cmsghdr *cm = (void *)p;
	size_t size, len, space;

	memset(p, 0, room);
	cm->cmsg_level = one_in(r, 12) ? SOL_SOCKET : SOL_QUIC;
	switch (below(r, 12)) {
	case 0:
		cm->cmsg_type = one_in(r, 2) ? 2 : bval(r);
		size = below(r, 32);
		fill_random(r, CMSG_DATA(cm), size);
		break;
	case 1: case 2: case 3: {
		struct quic_handshake_info h = {
			.crypto_level = one_in(r, 3) ? below(r, 256) : below(r, QUIC_CRYPTO_MAX + 1)
		};

		cm->cmsg_type = QUIC_HANDSHAKE_INFO;
		size = sizeof(h);
		memcpy(CMSG_DATA(cm), &h, size);
		snprintf(d, dlen, "HS(level %u)", h.crypto_level);
		break;
	}
	default: {
		struct quic_stream_info s = {
			.stream_id = stream_id(r),
			.stream_flags = msg_quic_flags(r),
			.reserved = one_in(r, 10) ? bval(r) : 0,
		};

		cm->cmsg_type = QUIC_STREAM_INFO;
		size = sizeof(s);
		memcpy(CMSG_DATA(cm), &s, size);
		snprintf(d, dlen, "STREAM(id %lld, flags %#x)", (long long)s.stream_id,
			 s.stream_flags);
		break;
	}
	}
	len = CMSG_LEN(size);
	switch (below(r, 10)) {
	case 0:		/* short */
		len = CMSG_LEN(0);
		break;
	case 1:
		len = CMSG_LEN(size) - 1;
		break;
	case 2:		/* misaligned */
		len += 1 + below(r, 7);
		break;
	case 3:			/* past the buffer */
		len += 64;
		break;
	case 4:
		len = below(r, sizeof(*cm));
		break;
	}
	cm->cmsg_len = len;
	space = CMSG_SPACE(size);
	if (cm->cmsg_type != QUIC_STREAM_INFO && cm->cmsg_type != QUIC_HANDSHAKE_INFO)
		snprintf(d, dlen, "cmsg(level %d, type %d)", cm->cmsg_level, cm->cmsg_type);
	snprintf(d + strlen(d), dlen - strlen(d), " len %zu", len);
	return space < room ? space : room;
}

static void op_sendmsg(struct rng *r, int fd, const char *what, struct ctx *c)
{
	char d0[96] = "", d1[96] = "";
	uint8_t ctl[256];
	struct iovec iov[3];
	struct msghdr msg = { .msg_iov = iov };
	size_t size, off = 0, ctl_len = 0;
	int flags = MSG_DONTWAIT;
	unsigned int i, n;

	n = below(r, 3);	/* control messages */
	if (n)
		ctl_len = put_cmsg(r, ctl, sizeof(ctl), d0, sizeof(d0));
	if (n == 2)
		ctl_len += put_cmsg(r, ctl + ctl_len, sizeof(ctl) - ctl_len, d1, sizeof(d1));
	if (n) {
		msg.msg_control = ctl;
		msg.msg_controllen = ctl_len;
		if (one_in(r, 8))
			msg.msg_controllen = below(r, ctl_len + 1);
		if (one_in(r, 20)) {
			msg.msg_control = NULL;
			c->badptr = true;
		}
	}
	/* A third are datagrams: the stream path is the deeper one. */
	if (one_in(r, 3))
		flags |= MSG_QUIC_DATAGRAM;
	flags |= msg_quic_flags(r) & ~(MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM);
	if (one_in(r, 2))
		flags |= MSG_NOSIGNAL;
	if (flags & MSG_QUIC_DATAGRAM || one_in(r, 10))
		size = one_in(r, 4) ? below(r, 70001) : dgram_sizes[below(r, 16)];
	else
		size = one_in(r, 8) ? 65536 : below(r, 4097);
	fill_random(r, buf, size < 256 ? size : 256);
	msg.msg_iovlen = 1 + below(r, 3);
	for (i = 0; i < msg.msg_iovlen; i++) {
		size_t k = i + 1 == msg.msg_iovlen ? size - off : below(r, size - off + 1);

		iov[i].iov_base = buf + off;
		iov[i].iov_len = k;
		off += k;
	}
	if (one_in(r, 30)) {
		iov[0].iov_base = NULL;
		c->badptr = c->badptr || iov[0].iov_len;
	}
	if (one_in(r, 30)) {	/* ignored by a connected socket */
		msg.msg_name = buf + BUF_SIZE - 64;
		msg.msg_namelen = below(r, 64);
	}
	c->route = true;	/* to the peer of a fuzzed connect() */
	describe("sendmsg(fd=%d %s, [%s] [%s] controllen %zu, %zu bytes in %zu iovs, flags %#x)",
		 fd, what, d0, d1, msg.msg_controllen, size, msg.msg_iovlen, flags);
	CALL(c, OP_SENDMSG, sendmsg(fd, &msg, flags));
}

static void op_recvmsg(struct rng *r, int fd, const char *what, struct ctx *c)
{
	static const size_t lens[] = { 0, 1, 2, 7, 8, 16, 64, 1500, 4096, 65536 };
	static const size_t ctl_lens[] = {
		0, 1, sizeof(struct cmsghdr), CMSG_SPACE(sizeof(struct quic_stream_info)) - 1,
		CMSG_SPACE(sizeof(struct quic_stream_info)), 256
	};
	uint8_t ctl[256];
	struct iovec iov = { buf, lens[below(r, ARRAY_LEN(lens))] };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl };
	int flags = MSG_DONTWAIT;

	msg.msg_controllen = ctl_lens[below(r, ARRAY_LEN(ctl_lens))];
	if (one_in(r, 3))
		flags |= MSG_PEEK;
	if (one_in(r, 3))
		flags |= MSG_TRUNC;
	if (one_in(r, 6))
		flags |= MSG_WAITALL;
	if (one_in(r, 6))
		flags |= MSG_CMSG_CLOEXEC;
	if (one_in(r, 8))
		flags |= MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM;
	if (one_in(r, 25)) {
		msg.msg_control = NULL;
		c->badptr = c->badptr || msg.msg_controllen;
	}
	if (one_in(r, 25)) {
		iov.iov_base = NULL;
		c->badptr = c->badptr || iov.iov_len;
	}
	if (one_in(r, 10))
		msg.msg_iovlen = 0;
	describe("recvmsg(fd=%d %s, %zu bytes in %zu iovs%s, controllen %zu%s, flags %#x)",
		 fd, what, iov.iov_len, msg.msg_iovlen, iov.iov_base ? "" : " NULL",
		 msg.msg_controllen, msg.msg_control ? "" : " NULL", flags);
	CALL(c, OP_RECVMSG, recvmsg(fd, &msg, flags));
}

/* The address of a socket of the pool (a listener's, say), or -1. */
static socklen_t pool_addr(struct rng *r, struct sockaddr_storage *ss)
{
	struct sockset *g = &groups[below(r, NGROUP)];
	socklen_t len = sizeof(*ss);

	if (!g->nfd || !g->open[0] || getsockname(g->fd[0], (void *)ss, &len))
		return 0;
	return len;
}

/* An address for bind(), connect() or migration, and its length. */
static long odd_addr(struct rng *r, int family, struct sockaddr_storage *ss, char *d,
		     size_t dlen, struct ctx *c)
{
	static const uint16_t ports[] = { 0, 0, 1, 443, 1023, 1024, 4433, 65535 };
	int fam = one_in(r, 6) ? (family == AF_INET ? AF_INET6 : AF_INET) : family;
	socklen_t exact = loopback(fam, ss, ports[below(r, ARRAY_LEN(ports))]);
	struct sockaddr_in6 *a6 = (void *)ss;
	struct sockaddr_in *a4 = (void *)ss;
	long len;

	switch (below(r, 12)) {
	case 0:	/* the wildcard address */
		memset(&a4->sin_addr, 0, 4);
		if (fam == AF_INET6)
			memset(&a6->sin6_addr, 0, 16);
		break;
	case 1:	/* not local */
		if (fam == AF_INET)
			inet_pton(AF_INET, "192.0.2.1", &a4->sin_addr);
		else
			inet_pton(AF_INET6, "2001:db8::1", &a6->sin6_addr);
		break;
	case 2:	/* multicast, broadcast */
		if (fam == AF_INET)
			a4->sin_addr.s_addr = one_in(r, 2) ? htonl(0xe0000001) : INADDR_BROADCAST;
		else
			inet_pton(AF_INET6, "ff02::1", &a6->sin6_addr);
		break;
	case 3:	/* IPv4-mapped */
		if (fam == AF_INET6)
			inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6->sin6_addr);
		break;
	case 4:	/* the plain UDP socket's port */
		a4->sin_port = htons(udp_port);
		break;
	case 5:
		ss->ss_family = one_in(r, 2) ? AF_UNSPEC : below(r, 64);
		break;
	case 6: case 7: case 8: {	/* a socket of the pool: a listener, a client */
		struct sockaddr_storage p;
		socklen_t l = pool_addr(r, &p);

		if (l) {
			memcpy(ss, &p, l);
			exact = l;
		}
		break;
	}
	case 9:	/* link-local, on lo or on no interface at all */
		if (fam == AF_INET6) {
			inet_pton(AF_INET6, "fe80::1", &a6->sin6_addr);
			a6->sin6_scope_id = one_in(r, 2) ? 1 : 100;
			c->scope = true;
		}
		break;
	}
	len = exact;
	switch (below(r, 10)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = exact - 1;
		break;
	case 2:
		len = sizeof(struct sockaddr_in) - 1 + below(r, 3);
		break;
	case 3:
		len = sizeof(*ss) + below(r, 2) * 1000;
		break;
	case 4:
		len = one_in(r, 2) ? -1 : 24;
		break;
	}
	c->badptr = len > (long)sizeof(*ss);
	inet_ntop(ss->ss_family == AF_INET6 ? AF_INET6 : AF_INET,
		  ss->ss_family == AF_INET6 ? (void *)&a6->sin6_addr : (void *)&a4->sin_addr,
		  d, dlen);
	snprintf(d + strlen(d), dlen - strlen(d), " family %d port %u", ss->ss_family,
		 ntohs(a4->sin_port));
	return len;
}

static void op_other(struct rng *r, enum op which, int fd, int family, const char *what,
		     struct ctx *c)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char d[96];
	long len, ret;

	switch (which) {
	case OP_BIND:
	case OP_CONNECT: {
		/* Addresses past sockaddr_storage come from the big buffer. */
		void *a = &ss;

		len = odd_addr(r, family, &ss, d, sizeof(d), c);
		if (len > (long)sizeof(ss) && len <= BUF_SIZE) {
			memcpy(buf, &ss, sizeof(ss));
			a = buf;
			c->badptr = false;
		}
		if (one_in(r, 25)) {
			a = NULL;
			c->badptr = !!len;
		}
		describe("%s(fd=%d %s, %s%s, %ld)", op_name[which], fd, what, a ? "" : "NULL ",
			 d, len);
		c->route = which == OP_CONNECT;	/* connect() looks up a route */
		if (which == OP_BIND)
			CALL(c, which, bind(fd, a, (socklen_t)len));
		else
			CALL(c, which, connect(fd, a, (socklen_t)len));
		break;
	}
	case OP_LISTEN: {
		static const int backlogs[] = { -1, 0, 1, 8, 128, INT_MAX };
		int b = backlogs[below(r, ARRAY_LEN(backlogs))];

		describe("listen(fd=%d %s, %d)", fd, what, b);
		CALL(c, which, listen(fd, b));
		break;
	}
	case OP_ACCEPT: {
		int flags = SOCK_NONBLOCK | (one_in(r, 2) ? SOCK_CLOEXEC : 0);
		bool addr = one_in(r, 2);

		slen = one_in(r, 4) ? below(r, sizeof(ss)) : sizeof(ss);
		describe("accept4(fd=%d %s, %s, %u, %#x)", fd, what, addr ? "addr" : "NULL",
			 slen, flags);
		ret = CALL(c, which, accept4(fd, addr ? (void *)&ss : NULL,
					     addr ? &slen : NULL, flags));
		if (ret >= 0)
			adopt(ret, r);
		break;
	}
	case OP_SHUTDOWN: {
		static const int hows[] = { SHUT_RD, SHUT_WR, SHUT_RDWR, -1, 3, 100 };
		int how = hows[below(r, ARRAY_LEN(hows))];

		describe("shutdown(fd=%d %s, %d)", fd, what, how);
		CALL(c, which, shutdown(fd, how));
		break;
	}
	case OP_GETNAME: {
		bool peer = one_in(r, 2);

		slen = one_in(r, 3) ? below(r, 32) : sizeof(ss);
		describe("%s(fd=%d %s, %u)", peer ? "getpeername" : "getsockname", fd, what,
			 slen);
		if (peer)
			CALL(c, which, getpeername(fd, (void *)&ss, &slen));
		else
			CALL(c, which, getsockname(fd, (void *)&ss, &slen));
		break;
	}
	case OP_POLL: {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP };

		describe("poll(fd=%d %s)", fd, what);
		CALL(c, which, poll(&p, 1, 0));
		break;
	}
	default:
		break;
	}
}

static enum op pick_op(struct rng *r)
{
	int x = below(r, 100), i;

	for (i = 0; i < NOP - 1; i++) {
		x -= op_weight[i];
		if (x < 0)
			break;
	}
	return i;
}

/* Established and closing pairs are where most of the code is. */
static unsigned int pick_group(struct rng *r)
{
	static const unsigned int weight[NGROUP] = { 1, 1, 1, 1, 1, 2, 2, 4, 4, 2, 2 };
	unsigned int x = below(r, 21), i;

	for (i = 0; i < NGROUP - 1; i++) {
		if (x < weight[i])
			break;
		x -= weight[i];
	}
	return i;
}

/* Which socket of its group @k is, for the failure reports. */
static const char *role(const struct sockset *g, unsigned int k)
{
	switch (g->kind) {
	case K_CONNECTING:
		return k ? "/client" : "/listener";
	case K_ESTABLISHED:
	case K_CLOSING:
		return k == 2 ? "/listener" : k ? "/server" : "/client";
	default:
		return "";
	}
}

static void fuzz_one(uint64_t call)
{
	struct ctx c = {};
	struct sockset *g;
	struct rng r;
	char what[48];
	unsigned int gi, k;
	enum op op;
	int fd;

	sh->call = call;
	rng_init(&r, seed, call);
	gi = pick_group(&r);
	g = &groups[gi];
	if (gi == G_ACCEPTED && !g->nfd)
		g = &groups[gi = 7];	/* nothing accepted yet */
	if (gi != G_ACCEPTED && (call >= g->expire || !g->nfd))
		group_make(gi, call);
	if (!g->nfd)
		return;
	k = below(&r, g->nfd);
	if (!g->open[k] && !one_in(&r, 3)) {	/* mostly remake what was closed */
		group_make(gi, call);
		if (!g->nfd)
			return;
		k %= g->nfd;
	}
	fd = g->fd[k];
	if (!g->open[k] && fcntl(fd, F_GETFD) < 0)
		c.stale = true;
	snprintf(what, sizeof(what), "%s%s#%u%s", kind_name[g->kind], role(g, k), gi,
		 g->open[k] ? "" : "/closed");
	op = pick_op(&r);
	switch (op) {
	case OP_SETSOCKOPT:
	case OP_GETSOCKOPT:
		op_sockopt(&r, fd, what, &c, op == OP_SETSOCKOPT);
		break;
	case OP_SENDMSG:
		op_sendmsg(&r, fd, what, &c);
		break;
	case OP_RECVMSG:
		op_recvmsg(&r, fd, what, &c);
		break;
	case OP_CLOSE:
		if (!g->open[k])
			break;
		if (one_in(&r, 2))
			set_linger0(fd);
		describe("close(fd=%d %s)", fd, what);
		CALL(&c, op, close(fd));
		g->open[k] = false;
		break;
	default:
		op_other(&r, op, fd, g->family, what, &c);
		break;
	}
}

static void fuzz(uint64_t calls)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	uint64_t i;

	/* A port a plain UDP socket holds: QUIC may not share it. */
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (udp_fd >= 0 && !bind(udp_fd, (void *)&a, len) &&
	    !getsockname(udp_fd, (void *)&a, &len))
		udp_port = ntohs(a.sin_port);
	for (i = 0; i < NGROUP; i++)
		groups[i].expire = 0;
	for (i = 0; i < calls; i++)
		fuzz_one(i);
	for (i = 0; i < NGROUP; i++)
		group_close(&groups[i]);
	close(udp_fd);
}

static bool drop_privileges(void)
{
	if (getuid() && geteuid())
		return true;	/* already an ordinary user */
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		ksft_print_msg("dropping privileges: %s\n", strerror(errno));
		return false;
	}
	/* There must be no way back. */
	return getuid() == 65534 && geteuid() == 65534 && setuid(0) == -1;
}

static const char *errno_list(char *out, size_t len)
{
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = 1; i < 256 && n + 32 < len; i++)
		if (sh->errs[i])
			n += snprintf(out + n, len - n, " %s=%llu", strerrorname_np(i) ?: "?",
				      (unsigned long long)sh->errs[i]);
	return out;
}

static void summary(double secs)
{
	char line[2048];
	size_t n = 0;
	int i;

	for (i = 0; i < NOP; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%llu/%llu", op_name[i],
			      (unsigned long long)sh->op_ok[i],
			      (unsigned long long)sh->op_calls[i]);
	ksft_print_msg("calls (succeeded/made):%s\n", line);
	n = 0;
	for (i = 0; i < NOPT; i++)
		n += snprintf(line + n, sizeof(line) - n, " %d=%llu/%llu", opt_numbers[i],
			      (unsigned long long)sh->set_calls[i],
			      (unsigned long long)sh->get_calls[i]);
	ksft_print_msg("option calls (set/get):%s\n", line);
	n = 0;
	for (i = 0; i < NKIND; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%llu", kind_name[i],
			      (unsigned long long)sh->made[i]);
	ksft_print_msg("sockets made:%s\n", line);
	ksft_print_msg("errnos:%s\n", errno_list(line, sizeof(line)));
	ksft_print_msg("totals: seed %llu, %llu calls in %.1f s, %llu failures, %s%llu, %s%llu\n",
		       seed, (unsigned long long)sh->calls, secs,
		       (unsigned long long)sh->fails, "hangs ", (unsigned long long)sh->hangs,
		       "set-up failures ", (unsigned long long)sh->setup_fails);
}

/* Every state, option, direction and operation was reached, and deep. */
static bool covered(void)
{
	bool ok = true;
	int i;

	for (i = 0; i < NKIND; i++)
		ok &= sh->made[i] > 0;
	for (i = 0; i < NOPT; i++)
		ok &= sh->set_calls[i] > 0 && sh->get_calls[i] > 0;
	for (i = 0; i < NOP; i++)
		ok &= sh->op_calls[i] > 0;
	return ok && sh->op_ok[OP_SENDMSG] && sh->op_ok[OP_RECVMSG] &&
	       sh->op_ok[OP_SETSOCKOPT] && sh->op_ok[OP_GETSOCKOPT];
}

int main(int argc, char **argv)
{
	uint64_t calls = DEFAULT_CALLS, t0;
	bool unpriv, killed = false;
	int opt, st = 0;
	pid_t pid;

	seed = time(NULL) ^ ((uint64_t)getpid() << 16);
	while ((opt = getopt(argc, argv, "s:n:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			calls = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS] [-v]\n", argv[0]);
			return KSFT_FAIL;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# seed %llu\n", seed);
	ksft_print_header();
	ksft_set_plan(calls >= 2000 ? 6 : 5);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || buf == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	/* Reads past the buffer fault at once instead of scanning memory. */
	mprotect(buf + BUF_SIZE, 4096, PROT_NONE);
	signal(SIGPIPE, SIG_IGN);

	unpriv = drop_privileges();
	ksft_test_result(unpriv, "unprivileged\n");
	if (!unpriv)
		ksft_exit_fail();
	opt = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	if (opt < 0 && errno == EPROTONOSUPPORT)
		ksft_exit_fail_msg("no IPPROTO_QUIC in this kernel\n");
	close(opt);

	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		fuzz(calls);
		sh->done = 1;
		_exit(0);
	}
	/* The watchdog: a call stuck in the kernel is reported and killed. */
	for (;;) {
		uint64_t s = __atomic_load_n(&sh->start_ns, __ATOMIC_SEQ_CST);
		int i;

		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (s && now_ns() > s + KILL_NS) {
			ksft_print_msg("HANG seed %llu call %llu: %s stuck for 10 s, killing\n",
				       seed, (unsigned long long)sh->call, sh->desc);
			sh->hangs++;
			kill(pid, SIGKILL);
			killed = true;
			for (i = 0; i < 50 && waitpid(pid, &st, WNOHANG) != pid; i++)
				usleep(100000);
			if (i == 50)
				ksft_print_msg("the fuzzing process does not die\n");
			break;
		}
		usleep(20000);
	}
	summary((now_ns() - t0) / 1e9);
	ksft_test_result(sh->made[K_ESTABLISHED] && !sh->setup_fails,
			 "sockets_in_every_state\n");
	ksft_test_result(!sh->fails, "errnos_documented\n");
	ksft_test_result(!sh->hangs, "no_hang\n");
	if (!killed && !(WIFEXITED(st) && !WEXITSTATUS(st) && sh->done))
		ksft_print_msg("the fuzzing process died in call %llu: %s (status %#x)\n",
			       (unsigned long long)sh->call, sh->desc, st);
	ksft_test_result(killed || (WIFEXITED(st) && !WEXITSTATUS(st) && sh->done),
			 "no_crash\n");
	if (calls >= 2000)
		ksft_test_result(!killed && sh->done && covered(), "coverage\n");
	ksft_finished();
}
