// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space peers of quic_kconsumer.sh, which tests the kernel
 * consumer in samples/quic (quic_sample.ko): the same echo protocol, with
 * the TLS handshake run in this process by tools/lib/quic.
 *
 *   quic_echo server [-6] [-p PORT] [-n CONNS] [--alpn LIST] CREDENTIALS
 *	listens on the loopback address (PORT, or one the kernel picks),
 *	prints "port N", then for CONNS connections (1): handshake, print
 *	"alpn NAME" with the name agreed, and echo every stream (read it to
 *	its FIN, write it back on the same stream with a FIN) until the peer
 *	closes.  Exits 0 if every connection got through.
 *   quic_echo client [-6] -p PORT [-b BYTES] [--no-fin] [--alpn LIST]
 *		CREDENTIALS
 *	sends BYTES (1 MiB) of a pattern on a new stream and checks that the
 *	same bytes come back on it.  With --no-fin the stream stays open: the
 *	client waits until the server ends the connection, and fails.  When
 *	the peer closes the connection during the handshake, the client
 *	prints "closed by peer: error 0xN".
 *   quic_echo drop [-6]
 *	a peer that never answers: a UDP socket that prints "port N" and
 *	reads and drops every datagram until it is killed.
 *
 * CREDENTIALS: --psk FILE ("identity:hexkey"), or X.509: --key FILE and
 * --cert FILE (server), --ca FILE and --host NAME (client).  The ALPN list
 * (comma-separated) is "sample", the module's default, unless --alpn says
 * otherwise.  Every blocking call gives up after IO_TIMEOUT seconds.
 */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/quic.h>

#include "quic.h"	/* tools/lib/quic: the handshake library */

#define ALPN		"sample"
#define IO_TIMEOUT	20		/* seconds */
#define CHUNK		(64 * 1024)
#define MAX_STREAM	(64 << 20)	/* bytes a server buffers per stream */
#define MAX_STREAMS	16		/* streams a server connection holds at once */

static struct {
	int family;
	uint16_t port;
	uint64_t bytes;
	int conns;
	int no_fin;
	const char *psk, *key, *cert, *ca, *host;
	const char *alpn;
} opt = { .family = AF_INET, .bytes = 1 << 20, .conns = 1, .alpn = ALPN };

static int fail_errno(const char *what)
{
	fprintf(stderr, "quic_echo: %s: %s (errno %d)\n", what, strerror(errno), errno);
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static socklen_t loopback(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (opt.family == AF_INET6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4->sin_port = htons(port);
	return sizeof(*a4);
}

/* Prints the port @fd is bound to: the caller is ready for peers. */
static int print_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (void *)&ss, &len))
		return fail_errno("getsockname");
	printf("port %u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
	return 0;
}

/* Bound to the loopback address and @port. */
static int open_bound(int type, int proto, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = socket(opt.family, type, proto);
	if (fd < 0)
		return fail_errno("socket");
	len = loopback(&ss, port);
	if (bind(fd, (void *)&ss, len)) {
		fail_errno("bind");
		close(fd);
		return -1;
	}
	return fd;
}

static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return fail_errno("SO_RCVTIMEO/SO_SNDTIMEO");
	return 0;
}

static int send_all(int fd, const uint8_t *buf, size_t len, int64_t sid, bool fin)
{
	size_t off = 0;
	ssize_t n;

	do {
		n = quic_sendmsg(fd, buf + off, len - off, sid, fin ? MSG_QUIC_STREAM_FIN : 0);
		if (n < 0)
			return fail_errno("sendmsg");
		off += n;
	} while (off < len);
	return 0;
}

/* ---- server ---- */

struct stream {
	int64_t sid;	/* -1: free slot */
	uint8_t *buf;
	size_t len, size;
};

static struct stream *stream_get(struct stream *s, int64_t sid)
{
	int i, free_slot = -1;

	for (i = 0; i < MAX_STREAMS; i++) {
		if (s[i].sid == sid)
			return &s[i];
		if (s[i].sid < 0 && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return NULL;
	s[free_slot] = (struct stream){ .sid = sid };
	return &s[free_slot];
}

static int stream_add(struct stream *s, const uint8_t *buf, size_t n)
{
	size_t size = s->size ? s->size : CHUNK;
	uint8_t *p;

	if (s->len + n > MAX_STREAM)
		return -1;
	while (size < s->len + n)
		size *= 2;
	if (size != s->size) {
		p = realloc(s->buf, size);
		if (!p)
			return -1;
		s->buf = p;
		s->size = size;
	}
	memcpy(s->buf + s->len, buf, n);
	s->len += n;
	return 0;
}

static int echo(int fd)
{
	struct stream streams[MAX_STREAMS];
	static uint8_t buf[CHUNK];
	struct stream *s;
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	int i, ret = 0;

	for (i = 0; i < MAX_STREAMS; i++)
		streams[i].sid = -1;
	for (;;) {
		flags = 0;
		n = quic_recvmsg(fd, buf, sizeof(buf), &sid, &flags);
		if (n < 0) {
			/* The peer closing the connection is the end. */
			if (errno != ENOTCONN && errno != ECONNRESET)
				ret = fail_errno("recvmsg");
			break;
		}
		if (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
			continue;
		if (!n && sid < 0)
			break;
		s = stream_get(streams, sid);
		if (!s || stream_add(s, buf, n)) {
			fprintf(stderr, "quic_echo: stream %lld: too much\n", (long long)sid);
			ret = -1;
			break;
		}
		if (!(flags & MSG_QUIC_STREAM_FIN))
			continue;
		ret = send_all(fd, s->buf, s->len, sid, true);
		printf("echoed %zu bytes on stream %lld\n", s->len, (long long)sid);
		fflush(stdout);
		free(s->buf);
		s->sid = -1;
		if (ret)
			break;
	}
	for (i = 0; i < MAX_STREAMS; i++)
		if (streams[i].sid >= 0)
			free(streams[i].buf);
	return ret;
}

/* The name the handshake agreed on. */
static int print_alpn(int fd)
{
	char alpn[256];
	socklen_t len = sizeof(alpn) - 1;

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn, &len))
		return fail_errno("QUIC_SOCKOPT_ALPN");
	alpn[len] = 0;
	printf("alpn %s\n", alpn);
	fflush(stdout);
	return 0;
}

static int server(void)
{
	int lfd, fd, i, ret, failed = 0;

	lfd = open_bound(SOCK_DGRAM, IPPROTO_QUIC, opt.port);
	if (lfd < 0)
		return 1;
	if (setsockopt(lfd, SOL_QUIC, QUIC_SOCKOPT_ALPN, opt.alpn, strlen(opt.alpn)) ||
	    listen(lfd, 4))
		return fail_errno("listen"), 1;
	if (print_port(lfd))
		return 1;
	for (i = 0; i < opt.conns; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return fail_errno("accept"), 1;
		ret = opt.psk ? quic_server_handshake(fd, opt.psk, NULL, opt.alpn) :
				quic_server_handshake(fd, opt.key, opt.cert, opt.alpn);
		if (ret) {
			fprintf(stderr, "quic_echo: handshake: %d (%s)\n", ret, strerror(-ret));
			failed = 1;
		} else if (print_alpn(fd) || set_timeouts(fd) || echo(fd)) {
			failed = 1;
		}
		close(fd);
	}
	close(lfd);
	return failed;
}

/* ---- client ---- */

static void pattern(uint8_t *buf, size_t len)
{
	uint32_t x = 0x2545f491;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
}

static int client_handshake(int fd)
{
	struct quic_connection_close cc = {};
	socklen_t len = sizeof(cc);
	struct quic_handshake_opts o = {
		.pkey_file = opt.psk,
		.hostname = opt.host,
		.cafile = opt.ca,
		.alpns = opt.alpn,
	};
	int ret;

	ret = quic_client_handshake_opts(fd, &o);
	if (ret)
		fprintf(stderr, "quic_echo: handshake: %d (%s)\n", ret, strerror(-ret));
	if (ret && !getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc, &len) &&
	    cc.errcode)
		printf("closed by peer: error 0x%x\n", cc.errcode);
	return ret;
}

/* Reads the echo of stream @sid into @back, to its FIN. */
static int read_echo(int fd, int64_t want, uint8_t *back, size_t cap, size_t *got)
{
	uint32_t flags = 0;
	int64_t sid;
	ssize_t n;

	*got = 0;
	while (!(flags & MSG_QUIC_STREAM_FIN)) {
		flags = 0;
		n = quic_recvmsg(fd, back + *got, cap - *got, &sid, &flags);
		if (n < 0)
			return fail_errno("recvmsg");
		if (flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
			continue;
		if (sid != want) {
			fprintf(stderr, "quic_echo: data on stream %lld, want %lld\n",
				(long long)sid, (long long)want);
			return -1;
		}
		*got += n;
		if (*got == cap && !(flags & MSG_QUIC_STREAM_FIN)) {
			fprintf(stderr, "quic_echo: more than %zu bytes back\n", cap - 1);
			return -1;
		}
	}
	return 0;
}

static int client(void)
{
	struct quic_stream_info si = { .stream_id = -1 };
	socklen_t len = sizeof(si);
	struct sockaddr_storage ss;
	uint8_t *out, *back;
	double t0, t1, t2;
	size_t got;
	int fd, ret = 1;

	out = malloc(opt.bytes + 1);
	back = malloc(opt.bytes + 1);
	fd = socket(opt.family, SOCK_DGRAM, IPPROTO_QUIC);
	if (!out || !back || fd < 0)
		return fail_errno("socket"), 1;
	pattern(out, opt.bytes);
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, opt.alpn, strlen(opt.alpn)) ||
	    set_timeouts(fd) || connect(fd, (void *)&ss, loopback(&ss, opt.port))) {
		fail_errno("connect");
		goto out;
	}
	t0 = now_ms();
	if (client_handshake(fd))
		goto out;
	t1 = now_ms();
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si, &len)) {
		fail_errno("QUIC_SOCKOPT_STREAM_OPEN");
		goto out;
	}
	if (send_all(fd, out, opt.bytes, si.stream_id, !opt.no_fin) ||
	    read_echo(fd, si.stream_id, back, opt.bytes + 1, &got))
		goto out;
	t2 = now_ms();
	if (got != opt.bytes || memcmp(out, back, got)) {
		fprintf(stderr, "quic_echo: echo differs: %zu bytes back, want %llu\n",
			got, (unsigned long long)opt.bytes);
		goto out;
	}
	printf("echoed %zu bytes, ok, handshake %.0f ms, %.1f MB/s\n", got, t1 - t0,
	       got / ((t2 - t1) * 1e3 > 1 ? (t2 - t1) * 1e3 : 1));
	ret = 0;
out:
	close(fd);
	free(out);
	free(back);
	return ret;
}

/* ---- a peer that never answers ---- */

static int drop(void)
{
	static uint8_t buf[65536];
	int fd = open_bound(SOCK_DGRAM, IPPROTO_UDP, 0);

	if (fd < 0 || print_port(fd))
		return 1;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno != EINTR)
			return fail_errno("recv"), 1;
		if (n >= 0) {
			printf("datagram %zd bytes\n", n);
			fflush(stdout);
		}
	}
}

static int bad_args(void)
{
	fprintf(stderr,
		"usage: quic_echo server [-6] [-p PORT] [-n CONNS] [--alpn LIST]\n"
		"                 --psk FILE | --key FILE --cert FILE\n"
		"       quic_echo client [-6] -p PORT [-b BYTES] [--no-fin] [--alpn LIST]\n"
		"                 --psk FILE | --ca FILE --host NAME\n"
		"       quic_echo drop [-6]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "psk", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'K' },
		{ "cert", required_argument, NULL, 'C' },
		{ "ca", required_argument, NULL, 'A' },
		{ "host", required_argument, NULL, 'H' },
		{ "no-fin", no_argument, NULL, 'F' },
		{ "alpn", required_argument, NULL, 'L' },
		{}
	};
	const char *mode;
	int c;

	if (argc < 2)
		return bad_args();
	/* A connection the peer shut down fails the write, not the process. */
	signal(SIGPIPE, SIG_IGN);
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "6n:p:b:", longopts, NULL)) != -1) {
		switch (c) {
		case '6':
			opt.family = AF_INET6;
			break;
		case 'n':
			opt.conns = atoi(optarg);
			break;
		case 'p':
			opt.port = atoi(optarg);
			break;
		case 'b':
			opt.bytes = strtoull(optarg, NULL, 0);
			break;
		case 'P':
			opt.psk = optarg;
			break;
		case 'K':
			opt.key = optarg;
			break;
		case 'C':
			opt.cert = optarg;
			break;
		case 'A':
			opt.ca = optarg;
			break;
		case 'H':
			opt.host = optarg;
			break;
		case 'F':
			opt.no_fin = 1;
			break;
		case 'L':
			opt.alpn = optarg;
			break;
		default:
			return bad_args();
		}
	}
	if (!strcmp(mode, "server") && (opt.psk || (opt.key && opt.cert)))
		return server();
	if (!strcmp(mode, "client") && opt.port && (opt.psk || opt.ca))
		return client();
	if (!strcmp(mode, "drop"))
		return drop();
	return bad_args();
}
