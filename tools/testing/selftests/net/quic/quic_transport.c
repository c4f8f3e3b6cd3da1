// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC transport tests without TLS: both ends live in this process and
 * stand in for the TLS library.  The "handshake messages" are arbitrary
 * bytes, the transport parameters extensions are swapped directly and
 * both ends install the same made-up secrets.  What is tested is the
 * kernel: packets, keys, streams, flow control, loss recovery, close.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/quic.h>
#include <linux/tls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_pair.h"

FIXTURE(conn) {
	int lfd, cfd, sfd;
};

FIXTURE_VARIANT(conn) {
	int family;
	uint32_t cipher;
};

FIXTURE_VARIANT_ADD(conn, v4_aes128gcm) { .family = AF_INET, .cipher = TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(conn, v6_aes256gcm) { .family = AF_INET6, .cipher = TLS_CIPHER_AES_GCM_256 };
FIXTURE_VARIANT_ADD(conn, v4_chacha20) {
	.family = AF_INET, .cipher = TLS_CIPHER_CHACHA20_POLY1305
};

FIXTURE_VARIANT_ADD(conn, v4_aes128ccm) { .family = AF_INET, .cipher = TLS_CIPHER_AES_CCM_128 };

/* A version for the client to try first, set after connect(); 0: v1. */
static uint32_t client_version;

/* The whole handshake, driven from one process. */
static void establish(struct __test_metadata *_metadata, int family, uint32_t cipher,
		      struct _test_data_conn *self)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint32_t tag;

	self->lfd = socket(family, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(self->lfd, 0);
	len = loopback(family, &ss, 0);
	ASSERT_EQ(bind(self->lfd, (struct sockaddr *)&ss, len), 0);
	ASSERT_EQ(listen(self->lfd, 8), 0);
	ASSERT_EQ(getsockname(self->lfd, (struct sockaddr *)&ss, &len), 0);
	self->cfd = pair_hello(family, &ss, len, 1, client_version);
	ASSERT_GE(self->cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	self->sfd = pair_accept(self->lfd, &tag);
	ASSERT_GE(self->sfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	ASSERT_EQ(tag, 1);
	ASSERT_EQ(pair_finish(self->cfd, self->sfd, cipher), 0)
		TH_LOG("%s: %s", pair_err, strerror(errno));
}

FIXTURE_SETUP(conn)
{
	establish(_metadata, variant->family, variant->cipher, self);
}

FIXTURE_TEARDOWN(conn)
{
	close(self->cfd);
	if (self->sfd >= 0)
		close(self->sfd);
	close(self->lfd);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The longest pause between two reads of the last transfer()'s server. */
static double transfer_pause_ms;

/* Send @total bytes on a new stream with FIN; the peer returns the hash,
 * the longest pause between its reads, and how many
 * QUIC_EVENT_CONNECTION_MIGRATION events of the peer's migrations it
 * read meanwhile (if the test enabled them), which this returns.
 */
static int transfer(struct __test_metadata *_metadata, int cfd, int sfd, size_t total)
{
	static unsigned char buf[65536];
	uint64_t state = 42, h = 0xcbf29ce484222325ULL, events = 0;
	struct quic_stream_info si = { .stream_id = -1 };
	socklen_t sl = sizeof(si);
	uint32_t flags = 0;
	int64_t sid;
	size_t sent = 0;
	pid_t pid;
	int st;

	/* the client's next bidirectional stream, whichever transfer this is */
	if (getsockopt(cfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si, &sl)) {
		TH_LOG("QUIC_SOCKOPT_STREAM_OPEN: %s", strerror(errno));
		return -1;
	}
	sid = si.stream_id;
	pid = fork();
	if (!pid) {	/* the server: hash until FIN, reply on the stream */
		uint64_t rh = 0xcbf29ce484222325ULL, got = 0;
		double t, last = 0, pause = 0;
		ssize_t n;

		do {
			n = stream_recv(sfd, &sid, &flags, buf, sizeof(buf));
			if (n < 0)
				_exit(2);
			if (flags & MSG_QUIC_NOTIFICATION) {
				if (n == 2 && buf[0] == QUIC_EVENT_CONNECTION_MIGRATION &&
				    buf[1] == 0)
					events++;
				else
					_exit(4);
				flags = 0;
				continue;
			}
			t = now_ms();
			if (last && t - last > pause)
				pause = t - last;
			last = t;
			rh = fnv(rh, buf, n);
			got += n;
		} while (!(flags & MSG_QUIC_STREAM_FIN));
		memcpy(buf, &rh, 8);
		memcpy(buf + 8, &got, 8);
		memcpy(buf + 16, &events, 8);
		memcpy(buf + 24, &pause, 8);
		_exit(stream_send(sfd, sid, MSG_QUIC_STREAM_FIN, buf, 32) == 32 ? 0 : 3);
	}
	while (sent < total) {
		size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
		ssize_t r;

		fill(buf, n, &state);
		h = fnv(h, buf, n);
		r = stream_send(cfd, sid, sent + n == total ? MSG_QUIC_STREAM_FIN : 0, buf, n);
		if (r != (ssize_t)n) {
			TH_LOG("send at %zu: %zd (%s)", sent, r, strerror(errno));
			break;
		}
		sent += n;
	}
	EXPECT_EQ(sent, total);
	EXPECT_EQ(stream_recv(cfd, &sid, &flags, buf, sizeof(buf)), 32);
	EXPECT_TRUE(flags & MSG_QUIC_STREAM_FIN);
	EXPECT_EQ(memcmp(buf, &h, 8), 0);
	EXPECT_EQ(memcmp(buf + 8, &total, 8), 0);
	memcpy(&events, buf + 16, 8);
	memcpy(&transfer_pause_ms, buf + 24, 8);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return events;
}

TEST_F(conn, established)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	ASSERT_EQ(getpeername(self->cfd, (struct sockaddr *)&a, &la), 0);
	ASSERT_EQ(getsockname(self->sfd, (struct sockaddr *)&b, &lb), 0);
	ASSERT_EQ(la, lb);
	ASSERT_EQ(memcmp(&a, &b, la), 0);
}

TEST_F(conn, transfer_64k)
{
	transfer(_metadata, self->cfd, self->sfd, 65536);
}

TEST_F(conn, transfer_4m)
{
	transfer(_metadata, self->cfd, self->sfd, 4 << 20);
}

TEST_F(conn, streams_16)
{
	unsigned char msg[64], buf[64];
	int64_t sid = -1;
	uint32_t flags;
	int i, seen = 0;

	for (i = 0; i < 16; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		ASSERT_EQ(stream_send(self->cfd, -1, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN,
				      msg, sizeof(msg)), sizeof(msg));
	}
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(stream_recv(self->sfd, &sid, &flags, buf, sizeof(buf)), sizeof(buf));
		ASSERT_TRUE(flags & MSG_QUIC_STREAM_FIN);
		ASSERT_EQ(sid % 4, 0);
		ASSERT_LT(sid / 4, 16);
		ASSERT_EQ(buf[0], 'a' + sid / 4);
		seen |= 1 << (sid / 4);
	}
	ASSERT_EQ(seen, 0xffff);
}

TEST_F(conn, close_errcode)
{
	struct quic_connection_close c = { .errcode = 1234 }, r = {};
	socklen_t len = sizeof(r);
	unsigned char buf[16];
	uint32_t flags;
	int64_t sid;

	strcpy((char *)c.phrase, "bye");
	ASSERT_EQ(setsockopt(self->sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c,
			     sizeof(c)), 0);
	close(self->sfd);
	self->sfd = -1;
	ASSERT_EQ(stream_recv(self->cfd, &sid, &flags, buf, sizeof(buf)), 0);
	ASSERT_EQ(getsockopt(self->cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &r, &len), 0);
	ASSERT_EQ(r.errcode, 1234);
	ASSERT_STREQ((char *)r.phrase, "bye");
	ASSERT_EQ(send(self->cfd, "x", 1, MSG_NOSIGNAL), -1);
	ASSERT_EQ(errno, EPIPE);
}

/* QUIC sockets in this namespace: the QUIC and QUICv6 rows of
 * /proc/net/protocols count them per family.
 */
static int quic_sockets(void)
{
	char line[256], name[32];
	int n, total = 0;
	FILE *f;

	f = fopen("/proc/net/protocols", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %*d %d", name, &n) == 2 &&
		    (!strcmp(name, "QUIC") || !strcmp(name, "QUICv6")))
			total += n;
	fclose(f);
	return total;
}

static int wait_sockets(int want, int ms)
{
	int n;

	while ((n = quic_sockets()) != want && ms > 0) {
		usleep(50000);
		ms -= 50;
	}
	return n;
}

/* net.quic.max_orphans lives in the initial namespace only:
 * quic_transport.sh hands it over, opened, as this descriptor.
 */
#define MAX_ORPHANS_FD	3

/* A close() with data the peer has not acknowledged leaves an orphan
 * that flushes it; past net.quic.max_orphans the close is abortive
 * instead, so that closed sockets cannot pile up.  A namespace of its
 * own, so that only its sockets count, where netem drops every packet
 * once the connection is up: nothing gets acknowledged.
 */
TEST_F(conn, orphans_limited)
{
	static unsigned char buf[16384];
	struct _test_data_conn c;
	char old[32] = {};
	ssize_t n;

	ASSERT_GT(pread(MAX_ORPHANS_FD, old, sizeof(old) - 1, 0), 0);
	ASSERT_EQ(unshare(CLONE_NEWNET), 0);
	ASSERT_EQ(system("ip link set lo up"), 0);
	establish(_metadata, variant->family, variant->cipher, &c);
	ASSERT_EQ(quic_sockets(), 3);
	ASSERT_EQ(system("tc qdisc add dev lo root netem loss 100%"), 0);
	n = stream_send(c.sfd, 1, MSG_QUIC_STREAM_NEW, buf, sizeof(buf));
	EXPECT_EQ(n, sizeof(buf));
	n = stream_send(c.cfd, 0, MSG_QUIC_STREAM_NEW, buf, sizeof(buf));
	EXPECT_EQ(n, sizeof(buf));

	/* No orphan allowed: the server's close() frees it at once. */
	ASSERT_EQ(pwrite(MAX_ORPHANS_FD, "0\n", 2, 0), 2);
	close(c.sfd);
	EXPECT_EQ(wait_sockets(2, 1000), 2);
	ASSERT_EQ(pwrite(MAX_ORPHANS_FD, old, strlen(old), 0), (ssize_t)strlen(old));

	/* Within the limit the client's stays, flushing. */
	close(c.cfd);
	usleep(300000);
	EXPECT_EQ(quic_sockets(), 2);
	close(c.lfd);	/* the orphan goes by its idle timeout */
}

/*
 * A client that does not read 1-RTT handshake data (CONFIG
 * receive_session_ticket unset) still finds the server's last
 * NewSessionTicket in QUIC_SOCKOPT_SESSION_TICKET after the handshake, as
 * programs written for the socket API read it; a message too long to
 * keep (over 4 KiB) is passed over, the one after it kept, and other
 * handshake messages are not taken for tickets.
 */
TEST_F(conn, session_ticket_kept)
{
	static unsigned char big[6000];
	unsigned char t1[40], t2[24], other[12], got[4200];
	socklen_t len = sizeof(got);
	int i;

	memset(t1, 'a', sizeof(t1));
	t1[0] = 4;		/* NewSessionTicket */
	t1[1] = 0;
	t1[2] = 0;
	t1[3] = sizeof(t1) - 4;
	memset(other, 'o', sizeof(other));
	other[0] = 24;		/* KeyUpdate-like: not a ticket */
	other[1] = 0;
	other[2] = 0;
	other[3] = sizeof(other) - 4;
	memset(big, 'b', sizeof(big));
	big[0] = 4;
	big[1] = 0;
	big[2] = (sizeof(big) - 4) >> 8;
	big[3] = (sizeof(big) - 4) & 0xff;
	memset(t2, 'c', sizeof(t2));
	t2[0] = 4;
	t2[1] = 0;
	t2[2] = 0;
	t2[3] = sizeof(t2) - 4;

	ASSERT_EQ(hs_send(self->sfd, QUIC_CRYPTO_APP, t1, sizeof(t1)), sizeof(t1));
	for (i = 0; i < 50; i++) {	/* the server's data reaches the client */
		len = sizeof(got);
		ASSERT_EQ(getsockopt(self->cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, got,
				     &len), 0);
		if (len)
			break;
		usleep(20000);
	}
	ASSERT_EQ(len, sizeof(t1));
	EXPECT_EQ(memcmp(got, t1, sizeof(t1)), 0);

	/* Split across sends, with a long one and another message between */
	ASSERT_EQ(hs_send(self->sfd, QUIC_CRYPTO_APP, other, sizeof(other)), sizeof(other));
	ASSERT_EQ(hs_send(self->sfd, QUIC_CRYPTO_APP, big, sizeof(big)), sizeof(big));
	ASSERT_EQ(hs_send(self->sfd, QUIC_CRYPTO_APP, t2, 10), 10);
	ASSERT_EQ(hs_send(self->sfd, QUIC_CRYPTO_APP, t2 + 10, sizeof(t2) - 10),
		  sizeof(t2) - 10);
	for (i = 0; i < 50; i++) {
		len = sizeof(got);
		ASSERT_EQ(getsockopt(self->cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, got,
				     &len), 0);
		if (len == sizeof(t2))
			break;
		usleep(20000);
	}
	ASSERT_EQ(len, sizeof(t2));
	EXPECT_EQ(memcmp(got, t2, sizeof(t2)), 0);
	transfer(_metadata, self->cfd, self->sfd, 4096);	/* and all is well */
}

/* A counter of /proc/net/quic/snmp, -1 when missing. */
static long mib(const char *name)
{
	char line[128], key[64];
	long v, found = -1;
	FILE *f;

	f = fopen("/proc/net/quic/snmp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/*
 * RFC 9000 section 6 and RFC 9368 section 2.1: a client that asks for a
 * version the server does not speak gets Version Negotiation, starts
 * again in one both speak, and the connection works.  The version is set
 * after connect(), as handshake agents do.
 */
TEST(version_negotiation)
{
	struct quic_config c = {};
	struct _test_data_conn t;
	socklen_t len = sizeof(c);
	long vn0 = mib("QuicVersionNegotiationSent");

	client_version = 0x1a2a3a4a;	/* reserved for exercising this */
	establish(_metadata, AF_INET, TLS_CIPHER_AES_GCM_128, &t);
	ASSERT_EQ(getsockopt(t.cfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len), 0);
	EXPECT_EQ(c.version, QUIC_VERSION_V1);
	EXPECT_EQ(mib("QuicVersionNegotiationSent"), vn0 + 1);
	transfer(_metadata, t.cfd, t.sfd, 65536);
	/* Too late to change once the handshake is done */
	c.version = QUIC_VERSION_V2;
	EXPECT_EQ(setsockopt(t.cfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)), -1);
	EXPECT_EQ(errno, EISCONN);
	close(t.cfd);
	close(t.sfd);
	close(t.lfd);
}

/*
 * A client that starts in QUIC v2 (RFC 9369) gets a v2 connection, and
 * both ends say so: the accepted socket's settings show the version the
 * connection runs, not the listener's (found with aioquic: a v2 client
 * was refused by a server program that checked).
 */
TEST(version_2_both_ends)
{
	struct quic_config c = {};
	struct _test_data_conn t;
	socklen_t len = sizeof(c);

	client_version = QUIC_VERSION_V2;
	establish(_metadata, AF_INET, TLS_CIPHER_AES_GCM_128, &t);
	ASSERT_EQ(getsockopt(t.cfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len), 0);
	EXPECT_EQ(c.version, QUIC_VERSION_V2);
	len = sizeof(c);
	ASSERT_EQ(getsockopt(t.sfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len), 0);
	EXPECT_EQ(c.version, QUIC_VERSION_V2);
	len = sizeof(c);
	ASSERT_EQ(getsockopt(t.lfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len), 0);
	EXPECT_EQ(c.version, QUIC_VERSION_V1);
	transfer(_metadata, t.cfd, t.sfd, 65536);
	close(t.cfd);
	close(t.sfd);
	close(t.lfd);
}

/* A UDP relay between one client and the server on loopback that drops
 * the server's first @drop full-sized datagrams to the client (not the
 * short ones that carry only an ACK).  With @hold_ms it forwards the
 * client's first datagram, drops all the client sends after it for that
 * long, and notes what the server sent until then.  The counters are
 * the relay thread's until relay_stop().
 */
struct relay {
	int front, back;	/* the client's side, the server's side */
	int drop, dropped;
	int hold_ms;
	int client_first;	/* bytes in the client's first datagram */
	int client_held;	/* datagrams of the client dropped */
	bool released;		/* the client's datagrams flow again */
	double hold_end;
	long server_bytes;	/* UDP payload from the server, in all */
	long held_bytes;	/* of which before the release */
	const void *needle;	/* bytes to look for in the client's datagrams */
	size_t needle_len;
	int needle_hits;	/* datagrams of the client that held them */
	int stop;		/* atomic: set by relay_stop() */
	pthread_t thread;
};

/* Whether to drop the client's datagram of @n bytes. */
static bool relay_hold(struct relay *r, ssize_t n)
{
	double t = now_ms();

	if (!r->hold_ms)
		return false;
	if (!r->client_first) {
		r->client_first = n;
		r->hold_end = t + r->hold_ms;
		return false;
	}
	if (t < r->hold_end) {
		r->client_held++;
		return true;
	}
	if (!r->released) {
		r->released = true;
		r->held_bytes = r->server_bytes;
	}
	return false;
}

static void *relay_run(void *arg)
{
	struct relay *r = arg;
	struct sockaddr_storage client;
	socklen_t clen = 0;
	char buf[2048];
	ssize_t n;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		struct pollfd p[2] = {
			{ .fd = r->front, .events = POLLIN },
			{ .fd = r->back, .events = POLLIN },
		};

		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			clen = sizeof(client);
			n = recvfrom(r->front, buf, sizeof(buf), 0, (void *)&client, &clen);
			if (n > 0 && r->needle && memmem(buf, n, r->needle, r->needle_len))
				r->needle_hits++;
			if (n > 0 && !relay_hold(r, n))
				send(r->back, buf, n, 0);
		}
		if (p[1].revents & POLLIN) {
			n = recv(r->back, buf, sizeof(buf), 0);
			if (n <= 0 || !clen)
				continue;
			r->server_bytes += n;
			if (n >= 1200 && r->dropped < r->drop) {
				r->dropped++;
				continue;
			}
			sendto(r->front, buf, n, 0, (void *)&client, clen);
		}
	}
	return NULL;
}

/* Start @r in front of the server at @srv; its address goes to @ss. */
static int relay_start(struct relay *r, const struct sockaddr_storage *srv,
		       socklen_t len, struct sockaddr_storage *ss)
{
	socklen_t l = len;

	r->front = socket(AF_INET, SOCK_DGRAM, 0);
	r->back = socket(AF_INET, SOCK_DGRAM, 0);
	if (r->front < 0 || r->back < 0)
		return -1;
	loopback(AF_INET, ss, 0);
	if (bind(r->front, (void *)ss, len) || getsockname(r->front, (void *)ss, &l) ||
	    connect(r->back, (const void *)srv, len))
		return -1;
	return pthread_create(&r->thread, NULL, relay_run, r);
}

static void relay_stop(struct relay *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	pthread_join(r->thread, NULL);
	close(r->front);
	close(r->back);
}

/* A listener, and a client whose ClientHello reaches it through relay @r;
 * the server has accepted it.
 */
static void relayed_hello(struct __test_metadata *_metadata, struct relay *r,
			  int *lfd, int *cfd, int *sfd)
{
	struct sockaddr_storage ss, rs;
	socklen_t len;
	uint32_t tag;

	*lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(*lfd, 0);
	len = loopback(AF_INET, &ss, 0);
	ASSERT_EQ(bind(*lfd, (struct sockaddr *)&ss, len), 0);
	ASSERT_EQ(listen(*lfd, 8), 0);
	ASSERT_EQ(getsockname(*lfd, (struct sockaddr *)&ss, &len), 0);
	ASSERT_EQ(relay_start(r, &ss, len, &rs), 0);
	*cfd = pair_hello(AF_INET, &rs, len, 1, 0);
	ASSERT_GE(*cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	*sfd = pair_accept(*lfd, &tag);
	ASSERT_GE(*sfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	ASSERT_EQ(tag, 1);
}

/*
 * RFC 9002 section 6.2.3: the server's first datagram (its Initial with
 * the ServerHello, and the first Handshake packet) is lost.  The client,
 * getting Handshake packets it cannot read yet, sends its Initial again;
 * the server, seeing the ClientHello again, resends what it had in
 * flight: the handshake completes in round trips, not after a probe
 * timeout (about a second with the initial RTT of 333 ms).
 */
TEST(handshake_first_flight_lost)
{
	long resends = mib("QuicHandshakeResends");
	struct relay r = { .drop = 1 };
	int lfd, cfd, sfd;
	double t;

	relayed_hello(_metadata, &r, &lfd, &cfd, &sfd);
	t = now_ms();
	ASSERT_EQ(pair_finish(cfd, sfd, TLS_CIPHER_AES_GCM_128), 0)
		TH_LOG("%s: %s", pair_err, strerror(errno));
	t = now_ms() - t;
	printf("# handshake with its first flight lost: %.0f ms\n", t);
	EXPECT_GT(500, t) TH_LOG("handshake took %.0f ms", t);
	/* Once by the client, once by the server. */
	EXPECT_EQ(mib("QuicHandshakeResends"), resends + 2);
	transfer(_metadata, cfd, sfd, 65536);
	relay_stop(&r);
	EXPECT_EQ(r.dropped, 1);
	close(cfd);
	close(sfd);
	close(lfd);
}

/* A server's first flight well over three times the client's Initial. */
#define AMP_FLIGHT	8000
/* Long enough for several of the server's probe timeouts (initial RTT
 * 333 ms) to come while it is blocked.
 */
#define AMP_HOLD_MS	2500

/*
 * RFC 9000 section 8.1: before the client's address is validated, a
 * server sends at most three times the bytes it received.  Here it got
 * one ClientHello datagram of 1200 bytes and has a flight of 8 KB to
 * send, and nothing more comes from the client for 2.5 s: the relay drops
 * the client's ACKs and probes.  The server must stay within 3600 bytes,
 * and use them: packets are cut to the room left, so that less than a
 * smallest packet (96 bytes) goes unused.  A server that stopped once a
 * full-sized datagram (1472 bytes on loopback) no longer fit sent only
 * 2682 bytes here, and left the client waiting on the rest for a round
 * trip more.  Once the client's probe gets through, its Handshake packet
 * validates its address and the handshake completes.
 */
TEST(handshake_amplification_limit)
{
	static unsigned char buf[AMP_FLIGHT];
	struct relay r = { .hold_ms = AMP_HOLD_MS };
	int lfd, cfd, sfd, n, got;
	uint8_t level = 0xff;
	long limit;
	double t;

	relayed_hello(_metadata, &r, &lfd, &cfd, &sfd);

	/* pair_finish() with a longer "EncryptedExtensions" to "Finished" */
	ASSERT_EQ(swap_params(cfd, sfd), 0);
	memset(buf, 'S', 200);
	ASSERT_EQ(hs_send(sfd, QUIC_CRYPTO_INITIAL, buf, 200), 200);
	ASSERT_EQ(pair_keys(sfd, QUIC_CRYPTO_HANDSHAKE, TLS_CIPHER_AES_GCM_128, SEED_HS_S,
			    SEED_HS_C), 0);
	memset(buf, 'E', AMP_FLIGHT);
	ASSERT_EQ(hs_send(sfd, QUIC_CRYPTO_HANDSHAKE, buf, AMP_FLIGHT), AMP_FLIGHT);
	ASSERT_EQ(hs_recv(cfd, &level, buf, sizeof(buf)), 200);
	ASSERT_EQ(level, QUIC_CRYPTO_INITIAL);
	ASSERT_EQ(pair_keys(cfd, QUIC_CRYPTO_HANDSHAKE, TLS_CIPHER_AES_GCM_128, SEED_HS_C,
			    SEED_HS_S), 0);
	/* The rest of the flight waits for the client's probe after the
	 * hold, which backs off from a loopback RTT: a few seconds more.
	 */
	t = now_ms();
	for (n = 0; n < AMP_FLIGHT; n += got) {
		got = hs_recv(cfd, &level, buf, sizeof(buf));
		if (got == -ETIMEDOUT && now_ms() - t < 15000) {
			got = 0;
			continue;
		}
		ASSERT_GT(got, 0) TH_LOG("flight at %d: %s", n, strerror(-got));
		ASSERT_EQ(level, QUIC_CRYPTO_HANDSHAKE);
	}
	ASSERT_EQ(n, AMP_FLIGHT);
	t = now_ms() - t;
	ASSERT_EQ(swap_params(sfd, cfd), 0);
	memset(buf, 'F', 36);
	ASSERT_EQ(hs_send(cfd, QUIC_CRYPTO_HANDSHAKE, buf, 36), 36);
	ASSERT_EQ(pair_keys(cfd, QUIC_CRYPTO_APP, TLS_CIPHER_AES_GCM_128, SEED_APP_C,
			    SEED_APP_S), 0);
	ASSERT_EQ(hs_recv(sfd, &level, buf, sizeof(buf)), 36);
	ASSERT_EQ(level, QUIC_CRYPTO_HANDSHAKE);
	ASSERT_EQ(pair_keys(sfd, QUIC_CRYPTO_APP, TLS_CIPHER_AES_GCM_128, SEED_APP_S,
			    SEED_APP_C), 0);
	transfer(_metadata, cfd, sfd, 65536);
	relay_stop(&r);

	limit = 3L * r.client_first;
	printf("# server sent %ld bytes before the release, limit 3 x %d\n", r.held_bytes,
	       r.client_first);
	printf("# %d datagrams of the client held, the flight read in %.0f ms\n",
	       r.client_held, t);
	EXPECT_GE(r.client_first, 1200);
	EXPECT_TRUE(r.released);
	EXPECT_GT(r.client_held, 0);
	EXPECT_LE(r.held_bytes, limit);
	EXPECT_GT(r.held_bytes, limit - 96);
	close(cfd);
	close(sfd);
	close(lfd);
}

/* Offer disable_1rtt_encryption on the server's end of a connection,
 * as a program asking for unprotected 1-RTT packets does before its
 * handshake (pair_disable_1rtt does it for the client).
 */
static int offer_plain(int fd)
{
	struct quic_transport_param tp = { .disable_1rtt_encryption = 1 };

	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, sizeof(tp));
}

static int peer_offered_plain(int fd)
{
	struct quic_transport_param tp = { .remote = 1 };
	socklen_t len = sizeof(tp);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, &len))
		return -1;
	return tp.disable_1rtt_encryption;
}

/*
 * The transport parameter disable_1rtt_encryption (0xbaad in the socket
 * API's implementations), for measuring the transport without the
 * cipher: offered by both ends, 1-RTT packets carry their frames in the
 * clear, without a tag or header protection.  The relay looks for the
 * first 32 bytes of the transfer in what the client sends: found only
 * when both ends offered it, never by default.
 */
TEST(disable_1rtt_encryption)
{
	unsigned char first[32];
	int plain;

	for (plain = 0; plain <= 1; plain++) {
		struct relay r = { .needle = first, .needle_len = sizeof(first) };
		uint64_t state = 42;	/* transfer()'s generator */
		int lfd, cfd, sfd;

		fill(first, sizeof(first), &state);
		pair_disable_1rtt = plain;	/* before the client's Initial */
		relayed_hello(_metadata, &r, &lfd, &cfd, &sfd);
		pair_disable_1rtt = 0;
		if (plain) {
			ASSERT_EQ(offer_plain(sfd), 0);
			/* Whether the 1-RTT keys protect anything is not
			 * known before the peer's parameters: refused.
			 */
			EXPECT_EQ(set_secret(cfd, QUIC_CRYPTO_APP, 1, TLS_CIPHER_AES_GCM_128,
					     SEED_APP_C), -1);
			EXPECT_EQ(errno, EINVAL);
		}
		ASSERT_EQ(pair_finish(cfd, sfd, TLS_CIPHER_AES_GCM_128), 0)
			TH_LOG("%s: %s", pair_err, strerror(errno));
		EXPECT_EQ(peer_offered_plain(cfd), plain);
		EXPECT_EQ(peer_offered_plain(sfd), plain);
		transfer(_metadata, cfd, sfd, 1 << 20);
		relay_stop(&r);
		printf("# offered by both: %d, datagrams with the data in the clear: %d\n",
		       plain, r.needle_hits);
		/* in the clear in one datagram at least, or in none */
		EXPECT_EQ(!!r.needle_hits, plain);
		close(cfd);
		close(sfd);
		close(lfd);
	}
}

/* Offered by one end only, it is refused with TRANSPORT_PARAMETER_ERROR
 * by the other when it reads the parameters: the server when only the
 * client asks; the client when only the server does (here the client
 * reads the server's parameters first, once the "ServerHello" told it
 * the server's connection ID, so that nothing else can be wrong with
 * them).  Offered by both, the same steps succeed.
 */
TEST(disable_1rtt_encryption_one_end)
{
	static const struct {
		bool client, server;
	} offers[] = { { true, false }, { false, true }, { true, true } };
	unsigned char buf[256];
	int i;

	for (i = 0; i < 3; i++) {
		bool refused = offers[i].client != offers[i].server;
		struct relay r = {};
		int lfd, cfd, sfd, from, to, ret;
		uint8_t level = 0xff;

		pair_disable_1rtt = offers[i].client;
		relayed_hello(_metadata, &r, &lfd, &cfd, &sfd);
		pair_disable_1rtt = 0;
		if (offers[i].server) {
			ASSERT_EQ(offer_plain(sfd), 0);
			memset(buf, 'S', 200);
			ASSERT_EQ(hs_send(sfd, QUIC_CRYPTO_INITIAL, buf, 200), 200);
			ASSERT_EQ(hs_recv(cfd, &level, buf, sizeof(buf)), 200);
			from = sfd;
			to = cfd;
		} else {
			from = cfd;
			to = sfd;
		}
		EXPECT_EQ(swap_params(from, to), refused ? -EINVAL : 0);
		EXPECT_EQ(peer_offered_plain(to), !refused);
		/* and the connection is over for the end that refused */
		errno = 0;
		ret = pair_keys(to, QUIC_CRYPTO_HANDSHAKE, TLS_CIPHER_AES_GCM_128,
				SEED_HS_C, SEED_HS_S);
		EXPECT_EQ(ret, refused ? -1 : 0);
		EXPECT_EQ(errno == ENOTCONN, refused);
		relay_stop(&r);
		close(cfd);
		close(sfd);
		close(lfd);
	}
}

/* A loopback address whose UDP port nothing listens on: bound once, read
 * and given back.  Returns its length, or 0.
 */
static socklen_t free_port(int family, struct sockaddr_storage *ss)
{
	socklen_t len = loopback(family, ss, 0);
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)ss, len) ||
	    getsockname(fd, (struct sockaddr *)ss, &len))
		len = 0;
	close(fd);
	return len;
}

/*
 * A client whose Initial reaches no one gets ICMP port unreachable; the
 * error quotes the client's Source Connection ID, and ends the handshake
 * at once with ECONNREFUSED, over IPv4 and IPv6, counted in
 * QuicIcmpHandshakeAborts.  Without it the client's handshake read
 * waits out its timeout (here 5 s).
 */
TEST(icmp_port_unreachable)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned char buf[256];
	int i;

	for (i = 0; i < 2; i++) {
		long aborts = mib("QuicIcmpHandshakeAborts");
		struct sockaddr_storage ss;
		uint8_t level = 0xff;
		socklen_t len;
		int cfd, n;
		double t;

		len = free_port(families[i], &ss);
		ASSERT_GT(len, 0);
		t = now_ms();
		cfd = pair_hello(families[i], &ss, len, 1, 0);
		ASSERT_GE(cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
		n = hs_recv(cfd, &level, buf, sizeof(buf));
		t = now_ms() - t;
		printf("# family %d: handshake read %d (%s) after %.0f ms\n", families[i], n,
		       n < 0 ? strerror(-n) : "data", t);
		EXPECT_EQ(n, -ECONNREFUSED);
		EXPECT_GT(2000, t);
		EXPECT_EQ(mib("QuicIcmpHandshakeAborts"), aborts + 1);
		close(cfd);
	}
}

/* A NAT in front of the server on loopback.  The client's datagrams
 * leave it from one of its mappings, UDP sockets of their own: 127.0.0.1
 * (map 0), another port of it (map 1), 127.0.0.2 (map 2); a rebinding
 * moves to the next mapping once the client sent @rebind_at[i] bytes.
 * What the server sends to a mapping no longer in use is dropped, as by
 * a NAT that forgot it, unless @old_open; with @blackhole_ms, what it
 * sends to the new mapping is dropped for that long after a rebinding.
 * With @spoof_at, one datagram of the client is sent once more from an
 * attacker's socket (127.0.0.3, map 3), before (@spoof_first) or after
 * the genuine one; the attacker never answers.  With @divert, the
 * server's @divert-th datagram reaches the client from 127.0.0.4 instead
 * of from the NAT's address.  With @cross_at, one datagram of the client
 * also goes, first, to each of @cross (other QUIC ports of the host) from
 * @cross_fd.  The ECN field of each datagram goes through as it came,
 * unless @ecn says otherwise; with @ce_every, every so many ECT(0)
 * datagrams of the client get CE.  The counters are the thread's until
 * nat_stop().
 */
#define NAT_MAPS	4
#define NAT_ATTACKER	3

enum nat_ecn {
	ECN_KEEP,
	ECN_CLEAR,	/* a router that clears the field */
	ECN_ECT1,	/* one that rewrites ECT(0) to ECT(1) */
	ECN_DROP,	/* one that drops marked datagrams */
};

#define QUIC_DGRAM_MAX	65536

struct nat {
	int front, alt, map[NAT_MAPS];
	struct sockaddr_in addr[NAT_MAPS];
	int cur;
	long rebind_at[2];
	long validated;		/* QuicPathMigrations before the first rebinding */
	double blackhole_ms;
	bool old_open;
	long spoof_at;
	bool spoof_first;
	int divert;
	long cross_at;
	int cross_fd[2];
	struct sockaddr_storage cross[2];
	socklen_t cross_len[2];
	bool crossed;
	enum nat_ecn ecn;
	int ce_every;
	long ecn_seen[2][4];	/* datagrams per ECN codepoint, from client and server */
	long ect0_client;	/* ECT(0) datagrams of the client so far */
	long ce_marked;		/* those @ce_every turned CE */
	long ecn_dropped;
	int max_dgram;		/* drop longer datagrams of the client: a narrow link */
	int narrow_to;		/* set: @max_dgram becomes this, @largest[0] starts over */
	int too_big;		/* dropped by @max_dgram */
	long largest[2];	/* longest datagram passed, from client and server */
	long client_bytes;	/* UDP payload from the client */
	int server_dgrams;	/* datagrams from the server to the client */
	int stale;		/* the server's datagrams to a mapping not in use */
	int blackholed;		/* dropped by @blackhole_ms */
	long attacker_bytes;	/* the server's bytes to the attacker */
	long spoof_len;		/* the length of the copy the attacker sent */
	double rebind_time;
	double stall_ms;	/* longest pause in the client's datagrams */
	int stop;
	pthread_t thread;
};

/* A second rebinding waits until the first one's path is validated: else
 * it supersedes that validation, which then never counts (a response the
 * NAT's socket dropped under the upload is not sent again; the next
 * challenge comes a second later).
 */
static bool nat_may_rebind(const struct nat *r)
{
	return !r->cur || mib("QuicPathMigrations") > r->validated;
}

/* recv() and the ECN field of the datagram (IP_RECVTOS). */
static ssize_t nat_recv(int fd, char *buf, size_t len, struct sockaddr_storage *from,
			socklen_t *flen, int *ecn)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr m = {
		.msg_name = from, .msg_namelen = from ? *flen : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &m, 0);
	*ecn = 0;
	for (c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			*ecn = *(unsigned char *)CMSG_DATA(c) & 3;
	if (from)
		*flen = m.msg_namelen;
	return n;
}

/* send() or sendto() with @ecn in the ECN field. */
static void nat_send(int fd, const char *buf, size_t n, const void *to, socklen_t tolen,
		     int ecn)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { (void *)buf, n };
	struct msghdr m = {
		.msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &ecn, sizeof(ecn));
	sendmsg(fd, &m, 0);
}

/* What the NAT's router does to the ECN field of a datagram from the
 * client (@dir 0) or the server (1): the new field, or -1 to drop it.
 */
static int nat_ecn(struct nat *r, int dir, int ecn)
{
	r->ecn_seen[dir][ecn]++;
	switch (r->ecn) {
	case ECN_CLEAR:
		return 0;
	case ECN_ECT1:
		return ecn == 2 ? 1 : ecn;
	case ECN_DROP:
		if (!ecn)
			return 0;
		r->ecn_dropped++;
		return -1;
	case ECN_KEEP:
		break;
	}
	if (!dir && ecn == 2 && r->ce_every && ++r->ect0_client % r->ce_every == 0) {
		r->ce_marked++;
		return 3;
	}
	return ecn;
}

static void nat_client(struct nat *r, const char *buf, ssize_t n, double *last, int ecn)
{
	double t = now_ms();
	int narrow;

	if (*last && t - *last > r->stall_ms)
		r->stall_ms = t - *last;
	*last = t;
	narrow = __atomic_load_n(&r->narrow_to, __ATOMIC_ACQUIRE);
	if (narrow && r->max_dgram != narrow) {
		r->max_dgram = narrow;
		__atomic_store_n(&r->largest[0], 0, __ATOMIC_RELAXED);
	}
	if (r->max_dgram && n > r->max_dgram) {
		__atomic_store_n(&r->too_big, r->too_big + 1, __ATOMIC_RELAXED);
		return;
	}
	if (n > r->largest[0])
		__atomic_store_n(&r->largest[0], n, __ATOMIC_RELAXED);
	r->client_bytes += n;
	if (r->cur < 2 && r->rebind_at[r->cur] && r->client_bytes >= r->rebind_at[r->cur] &&
	    nat_may_rebind(r)) {
		if (!r->cur)
			r->validated = mib("QuicPathMigrations");
		r->cur++;
		r->rebind_time = t;
	}
	if (r->cross_at && !r->crossed && r->client_bytes >= r->cross_at) {
		r->crossed = true;
		sendto(r->cross_fd[0], buf, n, 0, (void *)&r->cross[0], r->cross_len[0]);
		sendto(r->cross_fd[1], buf, n, 0, (void *)&r->cross[1], r->cross_len[1]);
	}
	if (r->spoof_at && !r->spoof_len && r->client_bytes >= r->spoof_at) {
		r->spoof_len = n;
		if (!r->spoof_first)
			send(r->map[r->cur], buf, n, 0);
		send(r->map[NAT_ATTACKER], buf, n, 0);
		if (!r->spoof_first)
			return;
	}
	ecn = nat_ecn(r, 0, ecn);
	if (ecn >= 0)
		nat_send(r->map[r->cur], buf, n, NULL, 0, ecn);
}

static void nat_server(struct nat *r, int i, const char *buf, ssize_t n,
		       const struct sockaddr_storage *client, socklen_t clen, int ecn)
{
	if (i == NAT_ATTACKER) {
		r->attacker_bytes += n;
		return;
	}
	if (i != r->cur && !r->old_open) {
		r->stale++;
		return;
	}
	if (i == r->cur && r->cur && now_ms() - r->rebind_time < r->blackhole_ms) {
		r->blackholed++;
		return;
	}
	ecn = nat_ecn(r, 1, ecn);
	if (ecn < 0)
		return;
	r->server_dgrams++;
	if (n > r->largest[1])
		r->largest[1] = n;
	nat_send(r->server_dgrams == r->divert ? r->alt : r->front, buf, n, client, clen, ecn);
}

static void *nat_run(void *arg)
{
	struct nat *r = arg;
	struct sockaddr_storage client;
	struct pollfd p[1 + NAT_MAPS];
	char buf[QUIC_DGRAM_MAX];	/* path MTU probes: up to 16383 */
	socklen_t clen = 0;
	double last = 0;
	int i, ecn;
	ssize_t n;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		p[0].fd = r->front;
		p[0].events = POLLIN;
		for (i = 0; i < NAT_MAPS; i++) {
			p[1 + i].fd = r->map[i];
			p[1 + i].events = POLLIN;
		}
		if (poll(p, 1 + NAT_MAPS, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			clen = sizeof(client);
			n = nat_recv(r->front, buf, sizeof(buf), &client, &clen, &ecn);
			if (n > 0)
				nat_client(r, buf, n, &last, ecn);
		}
		for (i = 0; i < NAT_MAPS; i++) {
			if (!(p[1 + i].revents & POLLIN))
				continue;
			n = nat_recv(r->map[i], buf, sizeof(buf), NULL, NULL, &ecn);
			if (n > 0 && clen)
				nat_server(r, i, buf, n, &client, clen, ecn);
		}
	}
	return NULL;
}

static int udp_on(const char *ip, struct sockaddr_in *a, const struct sockaddr_storage *peer)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) ||
	    bind(fd, (void *)a, sizeof(*a)) || getsockname(fd, (void *)a, &len) ||
	    (peer && connect(fd, (const void *)peer, sizeof(struct sockaddr_in))))
		return -1;
	return fd;
}

/* A listener behind NAT @r and a client through it, established. */
static void nat_establish(struct __test_metadata *_metadata, struct nat *r,
			  struct _test_data_conn *c)
{
	static const char *const ips[NAT_MAPS] = {
		"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.3"
	};
	struct quic_event_option ev = { QUIC_EVENT_CONNECTION_MIGRATION, 1 };
	struct sockaddr_storage ss;
	struct sockaddr_in front;
	socklen_t len;
	uint32_t tag;
	int i;

	c->lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(c->lfd, 0);
	len = loopback(AF_INET, &ss, 0);
	ASSERT_EQ(bind(c->lfd, (struct sockaddr *)&ss, len), 0);
	ASSERT_EQ(listen(c->lfd, 8), 0);
	ASSERT_EQ(getsockname(c->lfd, (struct sockaddr *)&ss, &len), 0);
	for (i = 0; i < NAT_MAPS; i++) {
		r->map[i] = udp_on(ips[i], &r->addr[i], &ss);
		ASSERT_GE(r->map[i], 0);
	}
	r->front = udp_on("127.0.0.1", &front, NULL);
	r->alt = udp_on("127.0.0.4", &front, NULL);
	ASSERT_GE(r->alt, 0);
	ASSERT_EQ(getsockname(r->front, (struct sockaddr *)&ss, &len), 0);
	ASSERT_EQ(pthread_create(&r->thread, NULL, nat_run, r), 0);
	c->cfd = pair_hello(AF_INET, &ss, len, 1, 0);
	ASSERT_GE(c->cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	c->sfd = pair_accept(c->lfd, &tag);
	ASSERT_GE(c->sfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	ASSERT_EQ(pair_finish(c->cfd, c->sfd, TLS_CIPHER_AES_GCM_128), 0)
		TH_LOG("%s: %s", pair_err, strerror(errno));
	ASSERT_EQ(setsockopt(c->sfd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)), 0);
}

static void nat_stop(struct nat *r, struct _test_data_conn *c)
{
	int i;

	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	pthread_join(r->thread, NULL);
	close(r->front);
	close(r->alt);
	for (i = 0; i < NAT_MAPS; i++)
		close(r->map[i]);
	close(c->cfd);
	close(c->sfd);
	close(c->lfd);
}

/* Whether the server's peer address is mapping @i of @r. */
static bool peer_is(int sfd, const struct nat *r, int i)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return !getpeername(sfd, (struct sockaddr *)&a, &len) &&
	       a.sin_addr.s_addr == r->addr[i].sin_addr.s_addr &&
	       a.sin_port == r->addr[i].sin_port;
}

/* The path tests' transfers are QUIC_TRANSPORT_SCALE times smaller on the
 * debug kernel (quic_transport.sh sets it there), ten times slower: each
 * test must end within the harness's 30 s.
 */
static long scaled(long n)
{
	const char *e = getenv("QUIC_TRANSPORT_SCALE");
	long d = e ? atol(e) : 1;

	return d > 1 ? n / d : n;
}

struct path_mibs {
	long challenges, migrations, fails, reverts, unknown;
};

static void path_mibs(struct path_mibs *m)
{
	m->challenges = mib("QuicPathChallenges");
	m->migrations = mib("QuicPathMigrations");
	m->fails = mib("QuicPathValidationFails");
	m->reverts = mib("QuicPathReverts");
	m->unknown = mib("QuicPathUnknownDropped");
}

/*
 * RFC 9000 section 9.3: a NAT rebinds the client's port at 2 MiB of a
 * 16 MiB upload, then its address at 6 MiB (or once the first move is
 * validated).  Each time the server sees the newest packets come from a
 * new address, moves there, validates it with PATH_CHALLENGE and tells
 * its user with QUIC_EVENT_CONNECTION_MIGRATION; the data arrives whole
 * and the server ends up sending to the last mapping.  Without migration the server
 * keeps sending to the first mapping, which the NAT forgot: the upload
 * stalls and the connection times out.
 */
TEST(nat_rebinding)
{
	struct nat r = { .rebind_at = { scaled(2 << 20), scaled(6 << 20) } };
	struct path_mibs m0, m1;
	struct _test_data_conn c;
	double t;
	int ev;

	path_mibs(&m0);
	nat_establish(_metadata, &r, &c);
	t = now_ms();
	ev = transfer(_metadata, c.cfd, c.sfd, scaled(16 << 20));
	t = now_ms() - t;
	path_mibs(&m1);
	EXPECT_TRUE(peer_is(c.sfd, &r, 2));
	nat_stop(&r, &c);
	printf("# %ld KiB in %.0f ms, longest pause of the client %.0f ms, ", scaled(16 << 10), t,
	       r.stall_ms);
	printf("%d datagrams to forgotten mappings; longest pause of the server's reads %.0f ms\n",
	       r.stale, transfer_pause_ms);
	EXPECT_EQ(r.cur, 2);
	EXPECT_EQ(ev, 2);
	EXPECT_EQ(m1.migrations - m0.migrations, 2);
	EXPECT_EQ(m1.fails - m0.fails, 0);
	EXPECT_EQ(m1.reverts - m0.reverts, 0);
	/* one to each new address, one to each old one at least */
	EXPECT_GE(m1.challenges - m0.challenges, 4);
	EXPECT_EQ(m1.unknown - m0.unknown, 0);
}

/*
 * RFC 9000 sections 9.3.2 and 9.3.3: an attacker on the path sends a
 * copy of one of the client's datagrams from its own address.  Arriving
 * first, the copy moves the server there; the server challenges the
 * attacker's address (no answer) and the client's old one, and the
 * client's next packet from there moves it back: no migration, at most
 * three times the copy's size sent to the attacker.  Arriving after the
 * genuine datagram, the copy is a duplicate and changes nothing.
 */
TEST(spoofed_copy)
{
	int first;

	for (first = 1; first >= 0; first--) {
		struct nat r = { .spoof_at = scaled(1 << 20), .spoof_first = first };
		struct path_mibs m0, m1;
		struct _test_data_conn c;
		int ev;

		path_mibs(&m0);
		nat_establish(_metadata, &r, &c);
		ev = transfer(_metadata, c.cfd, c.sfd, scaled(4 << 20));
		path_mibs(&m1);
		EXPECT_TRUE(peer_is(c.sfd, &r, 0));
		nat_stop(&r, &c);
		printf("# copy first: %d, %ld bytes to the attacker for its %ld\n", first,
		       r.attacker_bytes, r.spoof_len);
		EXPECT_GT(r.spoof_len, 0);
		EXPECT_EQ(ev, 0);
		EXPECT_EQ(m1.migrations - m0.migrations, 0);
		EXPECT_EQ(m1.fails - m0.fails, 0);
		EXPECT_EQ(m1.reverts - m0.reverts, first);
		EXPECT_LE(r.attacker_bytes, 3 * r.spoof_len);
		if (first) {
			EXPECT_GT(r.attacker_bytes, 0);
		} else {
			EXPECT_EQ(r.attacker_bytes, 0);
			EXPECT_EQ(m1.challenges - m0.challenges, 0);
		}
	}
}

/*
 * RFC 9000 section 8.2.4 and 9.3.2: the NAT rebinds, but what the
 * server sends to the new mapping is lost for 4 s (the old mapping
 * still delivers).  The validation is abandoned after three PTOs (about
 * 3 s with the initial RTT of 333 ms) and the server goes back to the
 * old address; the client's next packet moves it again, and once the
 * blackhole is over a challenge gets through.  The upload completes
 * (the server's acknowledgments reach the client as soon as it sends to
 * a working address), the validation may end a little later.
 */
TEST(new_path_blackholed)
{
	struct nat r = { .rebind_at = { 256 << 10 }, .blackhole_ms = 4000, .old_open = true };
	struct path_mibs m0, m1;
	struct _test_data_conn c;
	double t;
	int ev, i;

	path_mibs(&m0);
	nat_establish(_metadata, &r, &c);
	t = now_ms();
	ev = transfer(_metadata, c.cfd, c.sfd, 1 << 20);
	t = now_ms() - t;
	for (i = 0; i < 100 && mib("QuicPathMigrations") == m0.migrations; i++)
		usleep(50000);
	ev += transfer(_metadata, c.cfd, c.sfd, 4096);	/* the event, if late */
	path_mibs(&m1);
	EXPECT_TRUE(peer_is(c.sfd, &r, 1));
	nat_stop(&r, &c);
	printf("# 1 MiB in %.0f ms, %d datagrams of the server blackholed\n", t, r.blackholed);
	EXPECT_EQ(r.cur, 1);
	EXPECT_GT(r.blackholed, 0);
	EXPECT_EQ(ev, 1);
	EXPECT_EQ(m1.fails - m0.fails, 1);
	EXPECT_EQ(m1.migrations - m0.migrations, 1);
	EXPECT_GT(t, 3000);
}

/*
 * RFC 9000 section 9: a client takes packets only from its server's
 * address.  One datagram of the server reaches the client from another
 * address: dropped and counted, and the loss repaired as any other.
 */
TEST(client_drops_other_address)
{
	struct nat r = { .divert = 20 };
	struct path_mibs m0, m1;
	struct _test_data_conn c;

	path_mibs(&m0);
	nat_establish(_metadata, &r, &c);
	transfer(_metadata, c.cfd, c.sfd, scaled(1 << 20));
	path_mibs(&m1);
	nat_stop(&r, &c);
	EXPECT_GE(r.server_dgrams, 20);
	EXPECT_EQ(m1.unknown - m0.unknown, 1);
	EXPECT_EQ(m1.migrations - m0.migrations, 0);
}

/*
 * Connections are found by connection ID on any QUIC port of the
 * namespace.  A copy of a client's datagram sent first to another QUIC
 * port of ours, IPv6 ([::1]) and IPv4 (127.0.0.5), reaches the IPv4
 * connection there: it must be dropped (counted in
 * QuicPathUnknownDropped), not taken for a move.  Taking the IPv6 one
 * sent IPv6 from the IPv4 tunnel socket: a NULL dereference in the IPv6
 * route lookup (found in review).
 */
TEST(other_local_address)
{
	struct nat r = { .cross_at = scaled(1 << 20) };
	struct path_mibs m0, m1;
	struct _test_data_conn c;
	int l6, l4, i;

	l6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_QUIC);
	l4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	ASSERT_GE(l6, 0);
	ASSERT_GE(l4, 0);
	r.cross_len[0] = loopback(AF_INET6, &r.cross[0], 0);
	r.cross_len[1] = loopback(AF_INET, &r.cross[1], 0);
	inet_pton(AF_INET, "127.0.0.5", &((struct sockaddr_in *)&r.cross[1])->sin_addr);
	ASSERT_EQ(bind(l6, (struct sockaddr *)&r.cross[0], r.cross_len[0]), 0);
	ASSERT_EQ(bind(l4, (struct sockaddr *)&r.cross[1], r.cross_len[1]), 0);
	ASSERT_EQ(listen(l6, 1), 0);
	ASSERT_EQ(listen(l4, 1), 0);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(getsockname(i ? l4 : l6, (struct sockaddr *)&r.cross[i],
				      &r.cross_len[i]), 0);
		r.cross_fd[i] = socket(i ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
		ASSERT_GE(r.cross_fd[i], 0);
	}
	path_mibs(&m0);
	nat_establish(_metadata, &r, &c);
	EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(4 << 20)), 0);
	path_mibs(&m1);
	EXPECT_TRUE(peer_is(c.sfd, &r, 0));
	nat_stop(&r, &c);
	EXPECT_TRUE(r.crossed);
	EXPECT_EQ(m1.unknown - m0.unknown, 2);
	EXPECT_EQ(m1.migrations - m0.migrations, 0);
	EXPECT_EQ(m1.reverts - m0.reverts, 0);
	EXPECT_EQ(m1.challenges - m0.challenges, 0);
	close(r.cross_fd[0]);
	close(r.cross_fd[1]);
	close(l6);
	close(l4);
}

struct migrate_arg {
	int fd;
	int delay_ms;
	struct sockaddr_storage to;
	socklen_t len;
	int ret, err;
};

static void *migrate_later(void *arg)
{
	struct migrate_arg *m = arg;

	usleep(m->delay_ms * 1000);
	m->ret = setsockopt(m->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION, &m->to, m->len);
	m->err = errno;
	return NULL;
}

/*
 * RFC 9000 section 9.2: the client moves to a new local address during
 * a 16 MiB upload (QUIC_SOCKOPT_CONNECTION_MIGRATION): to 127.0.0.2
 * over IPv4, to a new port of ::1 over IPv6.  It sends from there at
 * once with a new connection ID, validates the server's address on the
 * new path, and the server follows it (its user gets the event).  The
 * upload arrives whole; both ends show the new address.  The server's
 * option (its preferred address) is refused after the handshake.
 */
TEST(active_migration)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int i;

	for (i = 0; i < 2; i++) {
		struct quic_event_option ev = { QUIC_EVENT_CONNECTION_MIGRATION, 1 };
		struct migrate_arg m = { .delay_ms = 300 };
		struct sockaddr_storage ca, sa;
		struct path_mibs m0, m1;
		struct _test_data_conn c;
		long local0, local1;
		socklen_t len;
		pthread_t th;
		int n;

		establish(_metadata, families[i], TLS_CIPHER_AES_GCM_128, &c);
		ASSERT_EQ(setsockopt(c.sfd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)), 0);
		m.fd = c.cfd;
		m.len = loopback(families[i], &m.to, 0);
		if (families[i] == AF_INET)
			inet_pton(AF_INET, "127.0.0.2", &((struct sockaddr_in *)&m.to)->sin_addr);
		transfer(_metadata, c.cfd, c.sfd, 4096);	/* confirmed by now */
		path_mibs(&m0);
		local0 = mib("QuicPathLocalMigrations");
		ASSERT_EQ(pthread_create(&th, NULL, migrate_later, &m), 0);
		n = transfer(_metadata, c.cfd, c.sfd, scaled(16 << 20));
		pthread_join(th, NULL);
		printf("# family %d: longest pause of the server's reads %.0f ms\n", families[i],
		       transfer_pause_ms);
		path_mibs(&m1);
		local1 = mib("QuicPathLocalMigrations");
		EXPECT_EQ(m.ret, 0) TH_LOG("migration: %s", strerror(m.err));
		EXPECT_EQ(n, 1);
		EXPECT_EQ(local1 - local0, 1);
		EXPECT_EQ(m1.migrations - m0.migrations, 1);
		EXPECT_EQ(m1.fails - m0.fails, 0);
		len = sizeof(ca);
		ASSERT_EQ(getsockname(c.cfd, (struct sockaddr *)&ca, &len), 0);
		len = sizeof(sa);
		ASSERT_EQ(getpeername(c.sfd, (struct sockaddr *)&sa, &len), 0);
		EXPECT_EQ(memcmp(&ca, &sa, len), 0);
		if (families[i] == AF_INET)
			EXPECT_EQ(((struct sockaddr_in *)&ca)->sin_addr.s_addr,
				  htonl(0x7f000002));
		/* Once more, between transfers: a new port of the first address */
		m.len = loopback(families[i], &m.to, 0);
		ASSERT_EQ(setsockopt(c.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION,
				     &m.to, m.len), 0);
		EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(1 << 20)), 1);
		EXPECT_EQ(mib("QuicPathLocalMigrations"), local1 + 1);
		/* A server's option is its preferred address: too late now */
		EXPECT_EQ(setsockopt(c.sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION,
				     &m.to, m.len), -1);
		EXPECT_EQ(errno, EISCONN);
		close(c.cfd);
		close(c.sfd);
		close(c.lfd);
	}
}

/*
 * RFC 9000 section 9.6: the listener offers a preferred address (IPv4:
 * 127.0.0.2; IPv6: another port of ::1) with QUIC_SOCKOPT_CONNECTION_MIGRATION.
 * Once its handshake is confirmed the client validates the path to it
 * and sends there; the server, on the client's first non-probing packet
 * there, validates the path from it and sends from there: both count
 * QuicPathPreferredAddress, and the client's peer is the server's local
 * address, the preferred one; nothing the server sent from its first
 * address meanwhile is dropped.  A client that set
 * disable_active_migration stays where it is.  The old kernel refuses
 * the listener's option.
 */
TEST(preferred_address)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int i, refuse;

	for (i = 0; i < 2; i++) {
		for (refuse = 0; refuse < 2; refuse++) {
			struct sockaddr_storage ls, pref, ca, sa;
			struct _test_data_conn c;
			long pref0, fails0, unknown0, n;
			socklen_t len, plen;
			uint32_t tag;
			int k;

			pref0 = mib("QuicPathPreferredAddress");
			fails0 = mib("QuicPathValidationFails");
			unknown0 = mib("QuicPathUnknownDropped");
			c.lfd = socket(families[i], SOCK_STREAM, IPPROTO_QUIC);
			ASSERT_GE(c.lfd, 0);
			len = loopback(families[i], &ls, 0);
			ASSERT_EQ(bind(c.lfd, (struct sockaddr *)&ls, len), 0);
			ASSERT_EQ(listen(c.lfd, 8), 0);
			ASSERT_EQ(getsockname(c.lfd, (struct sockaddr *)&ls, &len), 0);
			plen = loopback(families[i], &pref, 0);
			if (families[i] == AF_INET)
				inet_pton(AF_INET, "127.0.0.2",
					  &((struct sockaddr_in *)&pref)->sin_addr);
			ASSERT_EQ(setsockopt(c.lfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION,
					     &pref, plen), 0);
			pair_no_migration = refuse;
			c.cfd = pair_hello(families[i], &ls, len, 1, 0);
			pair_no_migration = 0;
			ASSERT_GE(c.cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
			c.sfd = pair_accept(c.lfd, &tag);
			ASSERT_GE(c.sfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
			ASSERT_EQ(pair_finish(c.cfd, c.sfd, TLS_CIPHER_AES_GCM_128), 0)
				TH_LOG("%s: %s", pair_err, strerror(errno));
			EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(4 << 20)), 0);
			/* the server's own validation may end after the data */
			for (k = 0; k < 40 && !refuse &&
			     mib("QuicPathPreferredAddress") < pref0 + 2; k++)
				usleep(50000);
			EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, 4096), 0);
			n = mib("QuicPathPreferredAddress") - pref0;
			len = sizeof(ca);
			ASSERT_EQ(getpeername(c.cfd, (struct sockaddr *)&ca, &len), 0);
			len = sizeof(sa);
			ASSERT_EQ(getsockname(c.sfd, (struct sockaddr *)&sa, &len), 0);
			printf("# family %d, %s: %ld moves to the preferred address\n",
			       families[i], refuse ? "refused" : "taken", n);
			EXPECT_EQ(memcmp(&ca, &sa, len), 0);
			EXPECT_EQ(mib("QuicPathValidationFails"), fails0);
			/* the server's packets from its first address until it
			 * follows are the client's still
			 */
			EXPECT_EQ(mib("QuicPathUnknownDropped"), unknown0);
			if (refuse) {
				EXPECT_EQ(n, 0);
				EXPECT_EQ(memcmp(&ca, &ls, len), 0);
			} else {
				EXPECT_EQ(n, 2);
				EXPECT_NE(memcmp(&ca, &ls, len), 0);
				if (families[i] == AF_INET)
					EXPECT_EQ(((struct sockaddr_in *)&ca)->sin_addr.s_addr,
						  htonl(0x7f000002));
			}
			/* too late once the parameters are sent */
			EXPECT_EQ(setsockopt(c.sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_MIGRATION,
					     &pref, plen), -1);
			EXPECT_EQ(errno, EISCONN);
			close(c.cfd);
			close(c.sfd);
			close(c.lfd);
		}
	}
}

/* Enter the network namespace @name made by ip netns. */
static int enter_ns(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/* The client's and server's namespaces that quic_transport.sh names in
 * environment variable @var ("CLIENT SERVER"); 0, or -1 without them.
 */
static int ns_pair(const char *var, char *cns, char *sns)
{
	const char *e = getenv(var);

	return e && sscanf(e, "%63s %63s", cns, sns) == 2 ? 0 : -1;
}

/* A listener on @ip in namespace @sns and a client in @cns, established;
 * the caller is back in its own namespace @self.
 */
static void ns_establish(struct __test_metadata *_metadata, int self, const char *cns,
			 const char *sns, int family, const char *ip,
			 struct _test_data_conn *c)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	uint32_t tag;

	ASSERT_EQ(enter_ns(sns), 0);
	c->lfd = socket(family, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(c->lfd, 0);
	ss.ss_family = family;
	if (family == AF_INET) {
		inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
		len = sizeof(struct sockaddr_in);
	} else {
		inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		len = sizeof(struct sockaddr_in6);
	}
	ASSERT_EQ(bind(c->lfd, (struct sockaddr *)&ss, len), 0);
	ASSERT_EQ(listen(c->lfd, 8), 0);
	ASSERT_EQ(getsockname(c->lfd, (struct sockaddr *)&ss, &len), 0);
	ASSERT_EQ(enter_ns(cns), 0);
	c->cfd = pair_hello(family, &ss, len, 1, 0);
	ASSERT_EQ(setns(self, CLONE_NEWNET), 0);
	ASSERT_GE(c->cfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	c->sfd = pair_accept(c->lfd, &tag);
	ASSERT_GE(c->sfd, 0) TH_LOG("%s: %s", pair_err, strerror(errno));
	ASSERT_EQ(tag, 1);
	ASSERT_EQ(pair_finish(c->cfd, c->sfd, TLS_CIPHER_AES_GCM_128), 0)
		TH_LOG("%s: %s", pair_err, strerror(errno));
}

/* Counter @name of namespace @ns; back in @self after. */
static long mib_in(int self, const char *ns, const char *name)
{
	long v = -1;

	if (!enter_ns(ns))
		v = mib(name);
	if (setns(self, CLONE_NEWNET))
		return -1;
	return v;
}

static void conn_close(struct _test_data_conn *c)
{
	close(c->cfd);
	close(c->sfd);
	close(c->lfd);
}

/*
 * RFC 9000 section 14.2.1: the client's path crosses a router whose
 * link to the server has an MTU of 1280 (quic_transport.sh makes the
 * namespaces: QUIC_PMTU_NS="CLIENT SERVER").  The client starts at the
 * 1500 of its own link; the router answers its larger datagrams with
 * ICMP Packet Too Big, the client's datagrams shrink to the path
 * (QuicPmtuLowered in its namespace) and the upload arrives whole, IPv4
 * and IPv6.  The old kernel keeps sending datagrams the router cannot
 * forward: the upload stalls.
 */
TEST(pmtu_packet_too_big)
{
	static const char *const srv[] = { "10.0.10.1", "fd0a::1" };
	static const int families[] = { AF_INET, AF_INET6 };
	char cns[64], sns[64];
	int self, i;

	ASSERT_EQ(ns_pair("QUIC_PMTU_NS", cns, sns), 0)
		TH_LOG("no QUIC_PMTU_NS: quic_transport.sh makes the namespaces");
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	for (i = 0; i < 2; i++) {
		struct _test_data_conn c;
		long low0, low1;

		low0 = mib_in(self, cns, "QuicPmtuLowered");
		ns_establish(_metadata, self, cns, sns, families[i], srv[i], &c);
		EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(1 << 20)), 0);
		low1 = mib_in(self, cns, "QuicPmtuLowered");
		printf("# family %d: QuicPmtuLowered +%ld in the client's namespace\n",
		       families[i], low1 - low0);
		EXPECT_GE(low1 - low0, 1);
		conn_close(&c);
	}
	close(self);
}

/* Bytes and packets received on link @dev of namespace @ns, from the
 * JSON of "ip -s link"; 0 if it cannot be read.
 */
static int link_rx(const char *ns, const char *dev, long *bytes, long *pkts)
{
	static const char key[] = "\"rx\":{\"bytes\":";
	char cmd[256], out[4096], *p;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip -n %s -j -s link show dev %s", ns, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, f);
	pclose(f);
	out[n] = 0;
	p = strstr(out, key);
	if (!p || sscanf(p + sizeof(key) - 1, "%ld,\"packets\":%ld", bytes, pkts) != 2)
		return -1;
	return 0;
}

/*
 * RFC 8899 and RFC 9000 section 14.3: on a link of MTU 9000 (namespaces
 * QUIC_JUMBO_NS="CLIENT SERVER" from quic_transport.sh) a client with
 * plpmtud_probe_interval set starts at the 1500 bytes every route gets,
 * sends one probe of the link's full size (8972 bytes of UDP payload
 * over IPv4, 8952 over IPv6) once the handshake is confirmed, and sends
 * its upload in datagrams that large once it is acknowledged: exactly
 * one probe and one raise in its namespace, and the server's link
 * receives packets of more than 4000 bytes on average (the links take
 * no GSO trains: each datagram is a packet there).  The old kernel
 * sends no probe: its datagrams stay at 1500 bytes.
 */
TEST(pmtu_probe_jumbo)
{
	static const char *const srv[] = { "10.0.13.2", "fd0d::2" };
	static const int families[] = { AF_INET, AF_INET6 };
	char cns[64], sns[64];
	int self, i;

	ASSERT_EQ(ns_pair("QUIC_JUMBO_NS", cns, sns), 0)
		TH_LOG("no QUIC_JUMBO_NS: quic_transport.sh makes the namespaces");
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	pair_pmtu_interval = 5000000;
	for (i = 0; i < 2; i++) {
		long probes, raised, b0, b1, p0, p1;
		struct _test_data_conn c;

		probes = mib_in(self, cns, "QuicPmtuProbes");
		raised = mib_in(self, cns, "QuicPmtuRaised");
		ASSERT_EQ(link_rx(sns, "veth-js", &b0, &p0), 0);
		ns_establish(_metadata, self, cns, sns, families[i], srv[i], &c);
		EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(4 << 20)), 0);
		probes = mib_in(self, cns, "QuicPmtuProbes") - probes;
		raised = mib_in(self, cns, "QuicPmtuRaised") - raised;
		ASSERT_EQ(link_rx(sns, "veth-js", &b1, &p1), 0);
		conn_close(&c);
		printf("# family %d: %ld probe(s), %ld raise(s); ", families[i], probes, raised);
		printf("the server's link got %ld packets of %ld bytes on average\n",
		       p1 - p0, p1 > p0 ? (b1 - b0) / (p1 - p0) : 0);
		EXPECT_EQ(probes, 1);
		EXPECT_EQ(raised, 1);
		EXPECT_GT(b1 - b0, 4000 * (p1 - p0));
	}
	close(self);
}

/*
 * A packet socket on @dev of namespace @ns (then back in @self) that
 * counts the frames of @min to @max bytes that @dev receives: its classic
 * BPF filter accepts those with a snap length of 1, the socket queues
 * them until its receive buffer is full and drops the rest, and
 * PACKET_STATISTICS counts both (and starts again from 0 once read).
 */
static int frame_counter(int self, const char *ns, const char *dev, unsigned int min,
			 unsigned int max)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, min, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd = -1, one = 1;

	if (enter_ns(ns))
		return -1;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(dev);
	if (sll.sll_ifindex)
		fd = socket(AF_PACKET, SOCK_RAW, 0);	/* nothing until bound */
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
			setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
			bind(fd, (struct sockaddr *)&sll, sizeof(sll)))) {
		close(fd);
		fd = -1;
	}
	if (setns(self, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The frames @fd counted since the last call, or -1. */
static long frames_counted(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return -1;
	return st.tp_packets;
}

/*
 * Full packets: once the handshake is done, stream data is cut to fill
 * a 1-RTT packet (its header with the peer's connection ID and up to 4
 * bytes of packet number, the STREAM frame's header, the tag).  Without
 * path MTU probing the client's datagrams on the 9000-byte link of
 * QUIC_JUMBO_NS are at most 1472 bytes of UDP payload (IPv4) or 1452
 * (IPv6): Ethernet frames of 1514 bytes either way.  A STREAM frame is
 * cut when written, for a header with a 4-byte packet number, which
 * takes 1 to 4 bytes when the packet is built: a full packet's Ethernet
 * frame is 1511 to 1514 bytes.  Of an upload in 64 KiB writes, counted
 * from the end of the handshake, at least 90% of the bytes must go in
 * full packets (the last one of each write is shorter).  What else the
 * client sends (ACKs, probes of a slow kernel) is not counted against
 * it.  The old kernel left about 60 bytes of every packet unused (1409
 * bytes at most over IPv4, 1389 over IPv6): it sends no full packet.
 */
TEST(full_packets)
{
	static const char *const srv[] = { "10.0.13.2", "fd0d::2" };
	static const long headers[] = { 14 + 20 + 8, 14 + 40 + 8 };	/* Ethernet, IP, UDP */
	static const long most[] = { 1472, 1452 };
	static const int families[] = { AF_INET, AF_INET6 };
	char cns[64], sns[64];
	int self, fd, i;

	ASSERT_EQ(ns_pair("QUIC_JUMBO_NS", cns, sns), 0)
		TH_LOG("no QUIC_JUMBO_NS: quic_transport.sh makes the namespaces");
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	fd = frame_counter(self, sns, "veth-js", 1514 - 3, 1514);
	ASSERT_GE(fd, 0) TH_LOG("packet socket: %s", strerror(errno));
	pair_pmtu_interval = 0;
	for (i = 0; i < 2; i++) {
		long b0, b1, p0, p1, avg, full, size = scaled(4 << 20);
		struct _test_data_conn c;

		ns_establish(_metadata, self, cns, sns, families[i], srv[i], &c);
		ASSERT_EQ(link_rx(sns, "veth-js", &b0, &p0), 0);
		ASSERT_GE(frames_counted(fd), 0);
		EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, size), 0);
		full = frames_counted(fd);
		ASSERT_EQ(link_rx(sns, "veth-js", &b1, &p1), 0);
		conn_close(&c);
		ASSERT_GT(p1, p0);
		avg = (b1 - b0) / (p1 - p0) - headers[i];
		printf("# family %d: %ld datagrams of %ld bytes of UDP payload on average, ",
		       families[i], p1 - p0, avg);
		printf("%ld of them full (%ld-%ld bytes)\n", full, most[i] - 3, most[i]);
		EXPECT_GE(full * most[i], size * 9 / 10);
		EXPECT_LE(avg, most[i]);
	}
	close(fd);
	close(self);
}

/*
 * The ACK frequency draft between two of ours: every endpoint announces
 * min_ack_delay, and the client, sending, asks the server to acknowledge
 * every quarter of its congestion window, up to every 10th packet.  On
 * the 9000-byte link of QUIC_JUMBO_NS (which counts datagrams one by
 * one) the server sends fewer than one packet for every 3 of the
 * client's during a 4 MiB upload, where an ACK every second packet (RFC
 * 9000 section 13.2.2, and the old kernel) makes it about 1 for 2.  The
 * client's namespace counts the ACK_FREQUENCY frames it sent, the
 * server's those it applied.
 */
TEST(ack_frequency)
{
	long sent, rcvd, cb0, cb1, cp0, cp1, sb0, sb1, sp0, sp1;
	struct _test_data_conn c;
	char cns[64], sns[64];
	int self;

	ASSERT_EQ(ns_pair("QUIC_JUMBO_NS", cns, sns), 0)
		TH_LOG("no QUIC_JUMBO_NS: quic_transport.sh makes the namespaces");
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	pair_pmtu_interval = 0;
	sent = mib_in(self, cns, "QuicAckFrequencySent");
	rcvd = mib_in(self, sns, "QuicAckFrequencyReceived");
	ASSERT_EQ(link_rx(sns, "veth-js", &cb0, &cp0), 0);	/* from the client */
	ASSERT_EQ(link_rx(cns, "veth-jc", &sb0, &sp0), 0);	/* from the server */
	ns_establish(_metadata, self, cns, sns, AF_INET, "10.0.13.2", &c);
	EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(4 << 20)), 0);
	ASSERT_EQ(link_rx(sns, "veth-js", &cb1, &cp1), 0);
	ASSERT_EQ(link_rx(cns, "veth-jc", &sb1, &sp1), 0);
	sent = mib_in(self, cns, "QuicAckFrequencySent") - sent;
	rcvd = mib_in(self, sns, "QuicAckFrequencyReceived") - rcvd;
	conn_close(&c);
	close(self);
	printf("# %ld ACK_FREQUENCY sent, %ld applied; ", sent, rcvd);
	printf("the client sent %ld datagrams, the server %ld\n", cp1 - cp0, sp1 - sp0);
	EXPECT_GE(sent, 1);
	EXPECT_GE(rcvd, 1);
	EXPECT_LE(rcvd, sent);
	EXPECT_GT(cp1 - cp0, 3 * (sp1 - sp0));
}

/* 1 MiB uploads, at least one and up to 8, until the NAT passed a
 * datagram of the client longer than @above.
 */
static void upload_until(struct __test_metadata *_metadata, struct nat *r,
			 struct _test_data_conn *c, long above)
{
	int k = 0;

	do {
		EXPECT_EQ(transfer(_metadata, c->cfd, c->sfd, 1 << 20), 0);
	} while (++k < 8 && __atomic_load_n(&r->largest[0], __ATOMIC_RELAXED) <= above);
}

/*
 * RFC 8899: a link narrower than the route, which drops what it cannot
 * carry without an ICMP (the NAT drops the client's datagrams over 4000
 * bytes; loopback's route lets the search try up to 16383).  The client
 * probes down to the link: its largest datagram through the NAT is
 * within 16 bytes below 4000 and never above, and only probes are
 * dropped (no data datagram is ever larger than a size acknowledged).
 * Then the link narrows to 2000 bytes, still without ICMP: the full
 * datagrams are lost, and after three probe timeouts the client goes
 * back to its first size (QuicPmtuBlackHoles) and searches again, down
 * to within 16 bytes below 2000.  Every upload arrives whole.  Without
 * plpmtud_probe_interval the same client sends no probe and stays at
 * the 1500 bytes of its first route (1472 of UDP payload).  The old
 * kernel probes nothing either way.  Not scaled: the searches need
 * round trips, not bytes.
 */
TEST(pmtu_probe_black_hole)
{
	int on;

	for (on = 1; on >= 0; on--) {
		struct nat r = { .max_dgram = 4000 };
		long probes, raised, holes, large;
		struct _test_data_conn c;

		pair_pmtu_interval = on ? 5000000 : 0;
		probes = mib("QuicPmtuProbes");
		raised = mib("QuicPmtuRaised");
		holes = mib("QuicPmtuBlackHoles");
		nat_establish(_metadata, &r, &c);
		if (!on) {
			EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, 1 << 20), 0);
			nat_stop(&r, &c);
			printf("# probing off: %ld probes, largest datagram %ld\n",
			       mib("QuicPmtuProbes") - probes, r.largest[0]);
			EXPECT_EQ(mib("QuicPmtuProbes") - probes, 0);
			EXPECT_EQ(r.too_big, 0);
			EXPECT_LE(r.largest[0], 1472);
			continue;
		}
		upload_until(_metadata, &r, &c, 4000 - 16);
		large = __atomic_load_n(&r.largest[0], __ATOMIC_RELAXED);
		/* only probes so far: lost ones, the NAT's drops among them */
		EXPECT_LE(__atomic_load_n(&r.too_big, __ATOMIC_RELAXED),
			  (mib("QuicPmtuProbes") - probes) - (mib("QuicPmtuRaised") - raised));
		__atomic_store_n(&r.narrow_to, 2000, __ATOMIC_RELEASE);
		upload_until(_metadata, &r, &c, 2000 - 16);
		nat_stop(&r, &c);
		probes = mib("QuicPmtuProbes") - probes;
		raised = mib("QuicPmtuRaised") - raised;
		holes = mib("QuicPmtuBlackHoles") - holes;
		printf("# probing on: %ld probes, %ld raises, %ld black holes, ", probes, raised,
		       holes);
		printf("%d dropped as too big; largest datagram %ld, then %ld\n", r.too_big,
		       large, r.largest[0]);
		EXPECT_LE(large, 4000);
		EXPECT_GT(large, 4000 - 16);
		EXPECT_LE(r.largest[0], 2000);
		EXPECT_GT(r.largest[0], 2000 - 16);
		EXPECT_GE(holes, 1);
		EXPECT_GE(raised, 2);
		EXPECT_GE(r.too_big, 6);
	}
}

/* The kernel's own NAT: quic_transport.sh puts a router namespace between
 * a client and a server namespace (QUIC_NAT_NS="CLIENT ROUTER SERVER"),
 * which masquerades the client with nftables on a random port per
 * conntrack mapping.  rnat_server() reads an upload in the server's
 * place, rnat_router() rebinds the client at @at[i] bytes of it.  Each
 * thread owns the fields it writes until joined; got, events and steps
 * are read meanwhile.
 */
struct rnat {
	const char *router;	/* the router's namespace */
	int sfd;
	long at[2];		/* the server's bytes at which to rebind */
	long got;		/* bytes the server read */
	uint64_t hash;		/* FNV-1a of them */
	int events;		/* QUIC_EVENT_CONNECTION_MIGRATION it read */
	int rx_err;		/* errno of a failed read or reply; -1: not an event */
	int steps;		/* rebindings made */
	int cmd_err;		/* the rebinding whose commands failed, from 1 */
	int ct_left;		/* the router's conntrack entries at link up */
	double down_ms;		/* how long the router's link was down */
	double step_ms[2];	/* when each rebinding was made */
	double event_ms[2];	/* when the server read each event */
	double stall_ms;	/* longest pause between the server's reads */
	int stop;
};

/* Run @cmd with the shell: 0 if it exited with 0. */
static int rnat_run(const char *cmd)
{
	int st = system(cmd);

	return st != -1 && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

/* The conntrack entries of the calling thread's namespace, -1 if unknown. */
static int rnat_conntracks(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
	int n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* A new port: the router's link to the server goes down, and the
 * masquerade's netdevice notifier forgets the mappings through it (from
 * a work item, nf_nat_masquerade.c: the table is empty once it ran).
 * Only then does the link come up again, its routes with it: no mapping
 * can form meanwhile (no route, no masquerade), and the flush cannot take
 * the new one.  The client's next datagram gets a mapping on another
 * random port of 10.0.12.2.
 */
static int rnat_new_port(struct rnat *r)
{
	double t = now_ms();
	char cmd[256];
	int n;

	snprintf(cmd, sizeof(cmd), "ip -n %s link set veth-rs down", r->router);
	if (rnat_run(cmd))
		return -1;
	/* 10 s: the debug kernel took more than 2 */
	while ((n = rnat_conntracks()) && now_ms() - t < 10000)
		usleep(1000);
	r->ct_left = n;
	snprintf(cmd, sizeof(cmd), "ip -n %s link set veth-rs up", r->router);
	if (rnat_run(cmd))
		return -1;
	r->down_ms = now_ms() - t;
	return 0;
}

/* A new address: 10.0.12.3 comes and 10.0.12.2 goes (the second is
 * promoted, quic_transport.sh sets promote_secondaries); the masquerade's
 * address notifier forgets the mappings to 10.0.12.2 only, and the
 * client's next datagram gets one from 10.0.12.3.
 */
static int rnat_new_addr(struct rnat *r)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip -n %s addr add 10.0.12.3/24 dev veth-rs", r->router);
	if (rnat_run(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "ip -n %s addr del 10.0.12.2/24 dev veth-rs", r->router);
	return rnat_run(cmd);
}

/* The second rebinding waits until the server read the first one's
 * event, its path validated: else it supersedes that validation, as in
 * nat_rebinding.
 */
static void *rnat_router(void *arg)
{
	struct rnat *r = arg;
	long got;
	int ev;

	if (enter_ns(r->router)) {	/* this thread only: for its conntrack count */
		r->cmd_err = 1;
		return NULL;
	}
	while (r->steps < 2 && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		got = __atomic_load_n(&r->got, __ATOMIC_ACQUIRE);
		ev = __atomic_load_n(&r->events, __ATOMIC_ACQUIRE);
		if (got < r->at[r->steps] || ev < r->steps) {
			usleep(1000);
			continue;
		}
		r->step_ms[r->steps] = now_ms();
		if (r->steps ? rnat_new_addr(r) : rnat_new_port(r)) {
			r->cmd_err = r->steps + 1;
			break;
		}
		__atomic_store_n(&r->steps, r->steps + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Hash the upload until its FIN, count the migration events, and reply
 * with the hash on the stream.
 */
static void *rnat_server(void *arg)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct rnat *r = arg;
	uint32_t flags = 0;
	double t, last = 0;
	int64_t sid = -1;
	ssize_t n;

	do {
		n = stream_recv(r->sfd, &sid, &flags, buf, sizeof(buf));
		if (n < 0) {
			r->rx_err = errno;
			return NULL;
		}
		t = now_ms();
		if (flags & MSG_QUIC_NOTIFICATION) {
			if (n != 2 || buf[0] != QUIC_EVENT_CONNECTION_MIGRATION || buf[1]) {
				r->rx_err = -1;
				return NULL;
			}
			if (r->events < 2)
				r->event_ms[r->events] = t;
			__atomic_store_n(&r->events, r->events + 1, __ATOMIC_RELEASE);
			flags = 0;
			continue;
		}
		if (last && t - last > r->stall_ms)
			r->stall_ms = t - last;
		last = t;
		h = fnv(h, buf, n);
		__atomic_store_n(&r->got, r->got + n, __ATOMIC_RELEASE);
	} while (!(flags & MSG_QUIC_STREAM_FIN));
	r->hash = h;
	if (stream_send(r->sfd, sid, MSG_QUIC_STREAM_FIN, &h, sizeof(h)) != sizeof(h))
		r->rx_err = errno;
	return NULL;
}

/*
 * RFC 9000 section 9.3 through the kernel's own NAT, as a home router
 * does it: the client sits behind a router namespace that masquerades it
 * with nftables, on a random port per mapping, and the server has no
 * route to the client's network.  During a 16 MiB upload the router
 * rebinds the client twice: at 2 MiB its link to the server flaps, which
 * drops its conntrack mappings, and the client's datagrams then leave
 * from another port; at 6 MiB (once that move is validated) its address
 * there changes from 10.0.12.2 to 10.0.12.3.  Each time the server sees
 * the client's newest packets come from elsewhere, validates the new
 * path and moves there: two QUIC_EVENT_CONNECTION_MIGRATION events and
 * two QuicPathMigrations in its namespace, no failed validation; the
 * upload arrives whole, the server's reply gets back through the last
 * mapping, and the server's peer is 10.0.12.3.  Exactly two: each
 * rebinding makes one new mapping (see rnat_new_port() and
 * rnat_new_addr()); fully-random gives the old port again once in 64512.
 * A kernel without migration keeps sending to the first mapping, which
 * the router forgot (it answers port unreachable): the client's data is
 * no longer acknowledged, the upload stalls and the connection times out.
 */
TEST(nat_rebinding_nftables)
{
	static unsigned char buf[65536];
	struct quic_event_option ev = { QUIC_EVENT_CONNECTION_MIGRATION, 1 };
	struct rnat r = { .at = { scaled(2 << 20), scaled(6 << 20) } };
	struct timeval tmo = { .tv_sec = 10 };
	struct quic_stream_info si = { .stream_id = -1 };
	uint64_t state = 42, h = 0xcbf29ce484222325ULL;
	const char *e = getenv("QUIC_NAT_NS");
	struct sockaddr_storage ss = {};
	char cns[64], rns[64], sns[64];
	struct _test_data_conn c;
	struct sockaddr_in *sin;
	long total, sent = 0, n;
	struct path_mibs m0, m1;
	uint32_t flags = 0;
	bool waited = false;
	pthread_t srv, rtr;
	socklen_t len, sl;
	sigset_t chld;
	uint64_t back = 0;
	int self, i, k;
	int64_t sid;
	double t;

	ASSERT_NE(e, NULL) TH_LOG("no QUIC_NAT_NS: quic_transport.sh makes the namespaces");
	i = sscanf(e, "%63s %63s %63s", cns, rns, sns);
	ASSERT_EQ(i, 3);
	r.router = rns;
	total = scaled(16 << 20);
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	ASSERT_EQ(enter_ns(sns), 0);
	path_mibs(&m0);
	ASSERT_EQ(setns(self, CLONE_NEWNET), 0);
	ns_establish(_metadata, self, cns, sns, AF_INET, "10.0.12.1", &c);
	ASSERT_EQ(setsockopt(c.sfd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)), 0);
	/* a server thread that gave up must not leave the sender blocked */
	ASSERT_EQ(setsockopt(c.cfd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)), 0);
	sl = sizeof(si);
	ASSERT_EQ(getsockopt(c.cfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si, &sl), 0);
	sid = si.stream_id;
	r.sfd = c.sfd;
	/* The router's system() children end with a SIGCHLD, whose handler
	 * (the harness's) would cut the blocking calls short: EINTR.
	 */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &chld, NULL), 0);
	ASSERT_EQ(pthread_create(&srv, NULL, rnat_server, &r), 0);
	ASSERT_EQ(pthread_create(&rtr, NULL, rnat_router, &r), 0);

	t = now_ms();
	while (sent < total) {
		n = total - sent < (long)sizeof(buf) ? total - sent : (long)sizeof(buf);
		/* The last 4 MiB wait for the second rebinding (5 s at most),
		 * so that it comes under the upload on a slow guest too.
		 */
		if (!waited && sent >= total - scaled(4 << 20)) {
			waited = true;
			for (k = 0; k < 500 && __atomic_load_n(&r.steps, __ATOMIC_ACQUIRE) < 2; k++)
				usleep(10000);
		}
		fill(buf, n, &state);
		h = fnv(h, buf, n);
		if (stream_send(c.cfd, sid, sent + n == total ? MSG_QUIC_STREAM_FIN : 0, buf,
				n) != n) {
			TH_LOG("send at %ld: %s", sent, strerror(errno));
			break;
		}
		sent += n;
	}
	n = stream_recv(c.cfd, &sid, &flags, &back, sizeof(back));
	t = now_ms() - t;
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(rtr, NULL);
	pthread_join(srv, NULL);
	ASSERT_EQ(enter_ns(sns), 0);
	path_mibs(&m1);
	ASSERT_EQ(setns(self, CLONE_NEWNET), 0);
	sin = (struct sockaddr_in *)&ss;
	len = sizeof(ss);
	ASSERT_EQ(getpeername(c.sfd, (struct sockaddr *)&ss, &len), 0);

	printf("# %ld KiB in %.0f ms, longest pause of the server's reads %.0f ms\n",
	       total >> 10, t, r.stall_ms);
	printf("# router's link down %.0f ms; validated", r.down_ms);
	for (i = 0; i < r.steps && i < r.events && i < 2; i++)
		printf(" %.0f ms after the %s", r.event_ms[i] - r.step_ms[i],
		       i ? "address change" : "link went down");
	printf("; server's peer %s:%u\n", inet_ntoa(sin->sin_addr), ntohs(sin->sin_port));
	EXPECT_EQ(sent, total);
	EXPECT_EQ(n, (long)sizeof(back));
	EXPECT_TRUE(flags & MSG_QUIC_STREAM_FIN);
	EXPECT_EQ(back, h);
	EXPECT_EQ(r.rx_err, 0) TH_LOG("server: %s", r.rx_err > 0 ? strerror(r.rx_err) :
				      "not a migration event");
	EXPECT_EQ(r.got, total);
	EXPECT_EQ(r.hash, h);
	EXPECT_EQ(r.cmd_err, 0) TH_LOG("the router's commands of rebinding %d failed", r.cmd_err);
	EXPECT_EQ(r.steps, 2);
	EXPECT_EQ(r.ct_left, 0) TH_LOG("the router's conntrack table kept %d entries", r.ct_left);
	EXPECT_EQ(r.events, 2);
	EXPECT_EQ(m1.migrations - m0.migrations, 2);
	EXPECT_EQ(m1.fails - m0.fails, 0);
	EXPECT_EQ(m1.reverts - m0.reverts, 0);
	EXPECT_EQ(sin->sin_addr.s_addr, htonl(0x0a000c03));
	conn_close(&c);
	close(self);
}

struct ecn_mibs {
	long validated, failed, ect_rcvd, ce_rcvd, congestion;
};

static void ecn_mibs(struct ecn_mibs *m)
{
	m->validated = mib("QuicEcnValidated");
	m->failed = mib("QuicEcnFailed");
	m->ect_rcvd = mib("QuicEcnEctReceived");
	m->ce_rcvd = mib("QuicEcnCeReceived");
	m->congestion = mib("QuicEcnCongestion");
}

/* An upload of @size bytes through NAT @r, checksummed; the growth of
 * the ECN counters in @d.
 */
static void ecn_upload(struct __test_metadata *_metadata, struct nat *r, long size,
		       struct ecn_mibs *d)
{
	struct ecn_mibs m0, m1;
	struct _test_data_conn c;

	ecn_mibs(&m0);
	nat_establish(_metadata, r, &c);
	EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, size), 0);
	nat_stop(r, &c);
	ecn_mibs(&m1);
	d->validated = m1.validated - m0.validated;
	d->failed = m1.failed - m0.failed;
	d->ect_rcvd = m1.ect_rcvd - m0.ect_rcvd;
	d->ce_rcvd = m1.ce_rcvd - m0.ce_rcvd;
	d->congestion = m1.congestion - m0.congestion;
	printf("# not-ECT/ECT(1)/ECT(0)/CE: client %ld/%ld/%ld/%ld, server %ld/%ld/%ld/%ld\n",
	       r->ecn_seen[0][0], r->ecn_seen[0][1], r->ecn_seen[0][2], r->ecn_seen[0][3],
	       r->ecn_seen[1][0], r->ecn_seen[1][1], r->ecn_seen[1][2], r->ecn_seen[1][3]);
	printf("# validated %ld, failed %ld, ECT/CE received %ld/%ld, congestion events %ld\n",
	       d->validated, d->failed, d->ect_rcvd, d->ce_rcvd, d->congestion);
}

static long ecn_total(const struct nat *r, int dir)
{
	return r->ecn_seen[dir][0] + r->ecn_seen[dir][1] + r->ecn_seen[dir][2] +
	       r->ecn_seen[dir][3];
}

/*
 * RFC 9000 section 13.4: both ends mark their 1-RTT packets ECT(0), see
 * the marks arrive in the peer's ACK_ECN counts and keep marking.  Only
 * the handshake's datagrams and those sent between the end of testing
 * (ten packets) and the first ACK_ECN frame go unmarked; none carries
 * ECT(1) or CE.  The old kernel marks nothing.
 */
TEST(ecn_marked)
{
	struct nat r = {};
	struct ecn_mibs d;

	ecn_upload(_metadata, &r, scaled(4 << 20), &d);
	EXPECT_EQ(d.validated, 2);
	EXPECT_EQ(d.failed, 0);
	EXPECT_EQ(d.ce_rcvd, 0);
	/* what the NAT passed on reached both ends: save what its socket to
	 * the server may drop under the upload
	 */
	EXPECT_LE(d.ect_rcvd, r.ecn_seen[0][2] + r.ecn_seen[1][2]);
	EXPECT_GE(d.ect_rcvd * 10, (r.ecn_seen[0][2] + r.ecn_seen[1][2]) * 9);
	EXPECT_GT(ecn_total(&r, 0), 200);
	EXPECT_GT(ecn_total(&r, 1), 20);
	EXPECT_LT(r.ecn_seen[0][0] * 20, ecn_total(&r, 0));	/* < 5% unmarked */
	EXPECT_LT(r.ecn_seen[1][0] * 5, ecn_total(&r, 1));
	EXPECT_EQ(r.ecn_seen[0][1] + r.ecn_seen[0][3], 0);
	EXPECT_EQ(r.ecn_seen[1][1] + r.ecn_seen[1][3], 0);
}

/*
 * RFC 9002 section 7.1 and appendix B.7: a router sets CE on one in 50
 * of the client's datagrams.  The server counts them (received CE, and
 * each acknowledged at once) and reports them; the client takes each
 * rise as a congestion event: its window shrinks (counted), at most once
 * per round trip.  ECN stays on: CE is no reason to stop marking.
 */
TEST(ecn_ce_marks)
{
	struct nat r = { .ce_every = 50 };
	struct ecn_mibs d;

	ecn_upload(_metadata, &r, scaled(4 << 20), &d);
	EXPECT_GT(r.ce_marked, 0);
	/* the NAT's socket to the server may drop some under the upload */
	EXPECT_LE(d.ce_rcvd, r.ce_marked);
	EXPECT_GE(d.ce_rcvd * 2, r.ce_marked);
	EXPECT_GE(d.congestion, 1);
	EXPECT_LE(d.congestion, d.ce_rcvd);
	EXPECT_EQ(d.validated, 2);
	EXPECT_EQ(d.failed, 0);
}

/*
 * RFC 9000 section 13.4.2.1: a router clears the ECN field, or rewrites
 * ECT(0) to ECT(1).  Marked packets are acknowledged without counts, or
 * with counts of a codepoint never sent: both ends fail the validation
 * and stop marking (no more than the test packets and a train in flight
 * leave marked); the upload is not disturbed.
 */
TEST(ecn_cleared_or_rewritten)
{
	enum nat_ecn modes[] = { ECN_CLEAR, ECN_ECT1 };
	int i;

	for (i = 0; i < 2; i++) {
		struct nat r = { .ecn = modes[i] };
		struct ecn_mibs d;

		ecn_upload(_metadata, &r, scaled(4 << 20), &d);
		EXPECT_EQ(d.failed, 2);
		EXPECT_EQ(d.validated, 0);
		EXPECT_GT(ecn_total(&r, 0), 200);
		EXPECT_LE(r.ecn_seen[0][2], 64);
		EXPECT_LE(r.ecn_seen[1][2], 64);
	}
}

/*
 * RFC 9000 section 13.4.2.2: a router drops every marked datagram.  The
 * handshake is not marked; the client's first ten 1-RTT packets are,
 * and are lost; the unmarked ones after them get through, make those
 * lost and fail the validation (the server's too, once its marked
 * packets are lost).  The upload goes through unmarked.
 */
TEST(ecn_blackholed)
{
	struct nat r = { .ecn = ECN_DROP };
	struct ecn_mibs d;

	ecn_upload(_metadata, &r, scaled(1 << 20), &d);
	printf("# %ld marked datagrams dropped\n", r.ecn_dropped);
	EXPECT_GT(r.ecn_dropped, 0);
	EXPECT_LE(r.ecn_dropped, 64);
	EXPECT_EQ(d.validated, 0);
	EXPECT_GE(d.failed, 1);
	EXPECT_GT(ecn_total(&r, 0), 50);
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* IPv6: the traffic class carries the marks both ways (no NAT). */
TEST(ecn_ipv6)
{
	struct ecn_mibs m0, m1;
	struct _test_data_conn c;

	ecn_mibs(&m0);
	establish(_metadata, AF_INET6, TLS_CIPHER_AES_GCM_128, &c);
	EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, scaled(1 << 20)), 0);
	close(c.cfd);
	close(c.sfd);
	close(c.lfd);
	ecn_mibs(&m1);
	EXPECT_EQ(m1.validated - m0.validated, 2);
	EXPECT_EQ(m1.failed - m0.failed, 0);
	/* about one datagram per 1.4 KB of data, half as many ACKs back */
	EXPECT_GT(m1.ect_rcvd - m0.ect_rcvd, scaled(1 << 20) / 2048);
}

/* ecn_mibs() of namespace @ns; back in @self after. */
static void ecn_mibs_in(int self, const char *ns, struct ecn_mibs *m)
{
	memset(m, 0, sizeof(*m));
	if (!enter_ns(ns))
		ecn_mibs(m);
	if (setns(self, CLONE_NEWNET))
		m->validated = -1;
}

/*
 * RFC 9002 section 7.1 with the kernel's own router queue: netem on the
 * client's link to the server (the two namespaces of QUIC_JUMBO_NS)
 * marks CE on 5% of what it queues instead of dropping it when it is
 * ECT ("loss 5% ecn"; unmarked ones it drops).  It sees GSO trains
 * whole (the link segments them after the qdisc), so a mark covers a
 * train.  The server counts the marks (QuicEcnCeReceived in its
 * namespace) and reports them, each rise is a congestion event for the
 * client (QuicEcnCongestion in its namespace), whose validation holds;
 * 1 MiB uploads, up to 8, until more than 5 marks arrived, each whole.
 * The old kernel marks nothing: netem drops, no CE is seen.
 */
TEST(ecn_netem_ce)
{
	struct ecn_mibs c0, c1, s0, s1;
	char cns[64], sns[64], cmd[256];
	struct _test_data_conn c;
	int self, n;

	ASSERT_EQ(ns_pair("QUIC_JUMBO_NS", cns, sns), 0)
		TH_LOG("no QUIC_JUMBO_NS: quic_transport.sh makes the namespaces");
	self = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_GE(self, 0);
	snprintf(cmd, sizeof(cmd), "tc -n %s qdisc add dev veth-jc root netem loss 5%% ecn", cns);
	ASSERT_EQ(system(cmd), 0);
	ecn_mibs_in(self, cns, &c0);
	ecn_mibs_in(self, sns, &s0);
	ns_establish(_metadata, self, cns, sns, AF_INET, "10.0.13.2", &c);
	for (n = 0; n < 8; n++) {
		EXPECT_EQ(transfer(_metadata, c.cfd, c.sfd, 1 << 20), 0);
		ecn_mibs_in(self, sns, &s1);
		if (s1.ce_rcvd - s0.ce_rcvd > 5)
			break;
	}
	conn_close(&c);
	ecn_mibs_in(self, cns, &c1);
	ecn_mibs_in(self, sns, &s1);
	snprintf(cmd, sizeof(cmd), "tc -n %s qdisc del dev veth-jc root", cns);
	EXPECT_EQ(system(cmd), 0);
	close(self);
	printf("# client: validated %ld, failed %ld, congestion events %ld; server: CE %ld\n",
	       c1.validated - c0.validated, c1.failed - c0.failed,
	       c1.congestion - c0.congestion, s1.ce_rcvd - s0.ce_rcvd);
	EXPECT_EQ(c1.validated - c0.validated, 1);
	EXPECT_EQ(c1.failed - c0.failed, 0);
	EXPECT_GT(s1.ce_rcvd - s0.ce_rcvd, 5);
	EXPECT_GT(c1.congestion - c0.congestion, 0);
}

/* net.quic.ecn = 0: nothing is marked, nothing validated or failed.  The
 * fixture puts the sysctl back even when the test stops half-way.
 */
FIXTURE(ecn_off) {};

FIXTURE_SETUP(ecn_off)
{
	ASSERT_EQ(write_sysctl("/proc/sys/net/quic/ecn", "0"), 0);
}

FIXTURE_TEARDOWN(ecn_off)
{
	write_sysctl("/proc/sys/net/quic/ecn", "1");
}

TEST_F(ecn_off, nothing_marked)
{
	struct nat r = {};
	struct ecn_mibs d;

	ecn_upload(_metadata, &r, scaled(1 << 20), &d);
	EXPECT_GT(ecn_total(&r, 0), 50);
	EXPECT_EQ(r.ecn_seen[0][2] + r.ecn_seen[1][2], 0);
	EXPECT_EQ(d.validated + d.failed + d.ect_rcvd, 0);
}

TEST_HARNESS_MAIN
