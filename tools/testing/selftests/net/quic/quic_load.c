// SPDX-License-Identifier: GPL-2.0
/*
 * Load on the kernel's QUIC, both ends in this process and no TLS library
 * (quic_pair.h): many handshakes at once against one listener, many idle
 * connections and what each costs the kernel, many connections opened
 * and closed in turn with no memory left behind, several threads on one
 * socket, and close() racing packets and timers.
 *
 * The counts come from the environment so that a longer run needs no
 * rebuild: QUIC_LOAD_HANDSHAKES (1000), QUIC_LOAD_IDLE (1000),
 * QUIC_LOAD_CYCLES (1000), QUIC_LOAD_RACES (100); and the kernel memory
 * that may stay after connections are gone, QUIC_LOAD_SLACK_KIB (512).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "../../kselftest_harness.h"
#include "quic_pair.h"

#define CIPHER		TLS_CIPHER_AES_GCM_128
#define BACKLOG		4096
#define IDLE_KIB_MAX	14	/* per socket, QUIC_LOAD_IDLE_KIB; see idle_memory */
#define SLACK_KIB	512	/* growth tolerated, QUIC_LOAD_SLACK_KIB */
#define IDLE_TIMEOUT_US	600000000	/* 10 minutes */

static long env_count(const char *name, long def)
{
	const char *v = getenv(name);

	return v && atol(v) > 0 ? atol(v) : def;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A field of /proc/meminfo, in KiB. */
static long meminfo_kib(const char *field)
{
	char line[128];
	long v = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':')
			v = atol(line + strlen(field) + 1);
	fclose(f);
	return v;
}

/* QUIC sockets in the namespace, from /proc/net/protocols. */
static long quic_socks(void)
{
	char line[256], name[32];
	long socks = 0, n;
	FILE *f;

	f = fopen("/proc/net/protocols", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %*d %ld", name, &n) == 2 &&
		    (!strcmp(name, "QUIC") || !strcmp(name, "QUICv6")))
			socks += n;
	fclose(f);
	return socks;
}

/* Kernel memory sockets hold: unreclaimable slab (not the dentry and
 * inode caches, which come and go with anything).  Not the protocol's
 * page count: that is a charge, not memory, and each CPU keeps up to
 * 1 MiB of it back from the total /proc/net/protocols shows, which made
 * the figure jump by a megabyte from run to run.
 */
static long kmem_kib(void)
{
	return meminfo_kib("SUnreclaim");
}

static long wait_socks(long want, int ms)
{
	long socks;

	for (;;) {
		socks = quic_socks();
		if (socks <= want || ms <= 0)
			return socks;
		usleep(100000);
		ms -= 100;
	}
}

static void raise_nofile(long fds)
{
	struct rlimit r = { fds, fds };

	setrlimit(RLIMIT_NOFILE, &r);
}

FIXTURE(load) {
	int lfd;
	struct sockaddr_storage ss;
	socklen_t len;
	int *cfd, *sfd;
	long n;
};

FIXTURE_SETUP(load)
{
	struct quic_transport_param tp = { .max_idle_timeout = IDLE_TIMEOUT_US };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int rcvbuf = 64 << 20;

	self->n = 0;
	self->cfd = NULL;
	self->sfd = NULL;
	self->lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(self->lfd, 0);
	ASSERT_EQ(setsockopt(self->lfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	/* Handshakes wait their turn longer than the default 30 s idle. */
	pair_idle_timeout = IDLE_TIMEOUT_US;
	ASSERT_EQ(setsockopt(self->lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp,
			     sizeof(tp)), 0);
	/* Room for every first Initial of a thousand clients at once. */
	ASSERT_EQ(setsockopt(self->lfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)), 0);
	self->len = loopback(AF_INET, &self->ss, 0);
	ASSERT_EQ(bind(self->lfd, (struct sockaddr *)&self->ss, self->len), 0);
	ASSERT_EQ(listen(self->lfd, BACKLOG), 0);
	ASSERT_EQ(getsockname(self->lfd, (struct sockaddr *)&self->ss, &self->len), 0);
}

/* Abortive closes: a graceful one would wait for the peer. */
static void close_pairs(struct _test_data_load *self)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long i;

	for (i = 0; i < self->n; i++) {
		if (self->cfd && self->cfd[i] >= 0) {
			setsockopt(self->cfd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(self->cfd[i]);
		}
		if (self->sfd && self->sfd[i] >= 0) {
			setsockopt(self->sfd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(self->sfd[i]);
		}
	}
	self->n = 0;
}

FIXTURE_TEARDOWN(load)
{
	close_pairs(self);
	free(self->cfd);
	free(self->sfd);
	close(self->lfd);
}

static void alloc_pairs(struct __test_metadata *_metadata, struct _test_data_load *self,
			long n)
{
	long i;

	raise_nofile(2 * n + 64);
	self->cfd = malloc(n * sizeof(int));
	self->sfd = malloc(n * sizeof(int));
	ASSERT_TRUE(self->cfd && self->sfd);
	for (i = 0; i < n; i++) {
		self->cfd[i] = -1;
		self->sfd[i] = -1;
	}
	self->n = n;
}

/* Every client sends its hello before the server takes any; then the
 * server takes them all, and each handshake completes.  Past
 * net.quic.retry_threshold the listener asks for Retry tokens, which the
 * clients bring back on their own.
 */
static void open_pairs(struct __test_metadata *_metadata, struct _test_data_load *self,
		       long n)
{
	double t0 = now_s(), t1;
	uint32_t tag;
	long i;
	int fd;

	alloc_pairs(_metadata, self, n);
	for (i = 0; i < n; i++) {
		self->cfd[i] = pair_hello(AF_INET, &self->ss, self->len, i, 0);
		ASSERT_GE(self->cfd[i], 0)
			TH_LOG("client %ld: %s: %s", i, pair_err, strerror(errno));
	}
	for (i = 0; i < n; i++) {
		fd = pair_accept(self->lfd, &tag);
		ASSERT_GE(fd, 0) TH_LOG("accept %ld: %s: %s", i, pair_err, strerror(errno));
		ASSERT_LT(tag, n);
		ASSERT_EQ(self->sfd[tag], -1);
		self->sfd[tag] = fd;
	}
	t1 = now_s();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(pair_finish(self->cfd[i], self->sfd[i], CIPHER), 0)
			TH_LOG("pair %ld: %s: %s", i, pair_err, strerror(errno));
	}
	TH_LOG("%ld handshakes: %.1f s to accept, %.1f s to finish, %.0f/s (guest clock)",
	       n, t1 - t0, now_s() - t1, n / (now_s() - t0));
}

/* One byte each way on a new stream of every pair. */
static void ping_pairs(struct __test_metadata *_metadata, struct _test_data_load *self)
{
	uint32_t flags;
	int64_t sid;
	char c;
	long i;

	for (i = 0; i < self->n; i++) {
		sid = 0;
		ASSERT_EQ(stream_send(self->cfd[i], 0, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN,
				      "c", 1), 1);
		ASSERT_EQ(stream_recv(self->sfd[i], &sid, &flags, &c, 1), 1);
		ASSERT_EQ(c, 'c');
		ASSERT_EQ(stream_send(self->sfd[i], sid, MSG_QUIC_STREAM_FIN, "s", 1), 1);
		ASSERT_EQ(stream_recv(self->cfd[i], &sid, &flags, &c, 1), 1);
		ASSERT_EQ(c, 's');
	}
}

TEST_F_TIMEOUT(load, concurrent_handshakes, 1200)
{
	long n = env_count("QUIC_LOAD_HANDSHAKES", 1000);

	open_pairs(_metadata, self, n);
	ping_pairs(_metadata, self);
}

/* Give every slab cache's empty slabs back (SLUB keeps some per CPU and
 * per node otherwise, a varying amount that would read as kept memory).
 */
static int shrink_slabs(void)
{
	struct dirent *d;
	char path[300];
	int fd, n = 0;
	DIR *dir;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		n += write(fd, "1", 1) == 1;
		close(fd);
	}
	closedir(dir);
	return n;
}

/* No socket but the listener, and frees behind the last close done: RCU
 * callbacks and kfree_rcu() batches run late in a slow guest, so read until
 * two readings a second apart agree (within 16 KiB), for at most 30 s
 * (QUIC_LOAD_SETTLE: KASAN's quarantine never lets the debug kernel agree).
 */
static long settle(void)
{
	long prev = -1, cur = 0, i, rounds = env_count("QUIC_LOAD_SETTLE", 30);

	wait_socks(1, 30000);
	for (i = 0; i < rounds; i++) {
		sleep(1);
		shrink_slabs();
		cur = kmem_kib();
		if (prev >= 0 && labs(cur - prev) <= 16)
			break;
		prev = cur;
	}
	return cur;
}

/* What each slab cache holds, from /proc/slabinfo (active objects times
 * their size), to show where idle connections' memory goes.
 */
#define SLABS_MAX	512

struct slab_use {
	char name[32];
	long bytes;
};

static int slab_read(struct slab_use *u)
{
	char line[512];
	long act, size;
	int n = 0;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return 0;
	while (n < SLABS_MAX && fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%31s %ld %*d %ld", u[n].name, &act, &size) == 3) {
			u[n].bytes = act * size;
			n++;
		}
	fclose(f);
	return n;
}

/* Log the ten caches that grew most since @before, per socket. */
static void slab_top(struct __test_metadata *_metadata, const struct slab_use *before,
		     int nb, long socks)
{
	static struct slab_use now[SLABS_MAX];
	int n = slab_read(now), i, j, k, b;
	long best, d;

	for (i = 0; i < n; i++)
		for (b = 0; b < nb; b++)
			if (!strcmp(before[b].name, now[i].name))
				now[i].bytes -= before[b].bytes;
	for (k = 0; k < 10; k++) {
		best = 0;
		j = -1;
		for (i = 0; i < n; i++) {
			d = now[i].bytes;
			if (d > best) {
				best = d;
				j = i;
			}
		}
		if (j < 0)
			break;
		TH_LOG("  %-24s %6.0f bytes per socket", now[j].name, (double)best / socks);
		now[j].bytes = 0;
	}
}

/*
 * Idle established connections: what each socket costs in unreclaimable
 * slab, measured as what closing them gives back, and nothing kept
 * afterwards.  The target is 8 KiB a socket; the bound asserted
 * is IDLE_KIB_MAX, against regressions: 21.4 KiB were measured while the
 * keys of every level stayed until close, 14.2 KiB with only the 1-RTT
 * keys kept, 13.0 KiB with a stream hash that grows from 16 buckets and
 * 16 received ranges per space.  The caches that grew most are logged.
 */
TEST_F_TIMEOUT(load, idle_memory, 1200)
{
	long n = env_count("QUIC_LOAD_IDLE", 1000), before, open, after;
	static struct slab_use slabs[SLABS_MAX];
	int nslabs;
	double t0;

	before = settle();
	nslabs = slab_read(slabs);
	open_pairs(_metadata, self, n);
	ping_pairs(_metadata, self);
	sleep(env_count("QUIC_LOAD_HOLD", 1));	/* longer to inspect them */
	open = kmem_kib();
	slab_top(_metadata, slabs, nslabs, 2 * n);
	t0 = now_s();
	close_pairs(self);
	TH_LOG("%ld pairs closed in %.2f s", n, now_s() - t0);
	after = settle();
	if (after - before > env_count("QUIC_LOAD_SLACK_KIB", SLACK_KIB)) {
		TH_LOG("kept after close, by cache:");
		slab_top(_metadata, slabs, nslabs, 2 * n);
	}
	TH_LOG("%ld idle connections: %.1f KiB per socket; %+ld KiB kept after close",
	       n, (open - after) / (2.0 * n), after - before);
	EXPECT_LE((open - after) / (2.0 * n), env_count("QUIC_LOAD_IDLE_KIB", IDLE_KIB_MAX));
	EXPECT_LE(after - before, env_count("QUIC_LOAD_SLACK_KIB", SLACK_KIB));
}

/* Connections opened, used and closed one after another: slab must not
 * grow with their number (measured after a warm-up, caches filled).
 */
TEST_F_TIMEOUT(load, open_close_cycles, 1800)
{
	long n = env_count("QUIC_LOAD_CYCLES", 1000), i, warm = -1, end;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	static unsigned char buf[4096];
	uint32_t tag, flags;
	double t0 = now_s();
	int cfd, sfd;
	int64_t sid;

	for (i = 0; i < n; i++) {
		if (i == n / 10)
			warm = settle();
		cfd = pair_hello(AF_INET, &self->ss, self->len, i, 0);
		ASSERT_GE(cfd, 0) TH_LOG("cycle %ld: %s", i, pair_err);
		sfd = pair_accept(self->lfd, &tag);
		ASSERT_GE(sfd, 0) TH_LOG("cycle %ld: %s", i, pair_err);
		ASSERT_EQ(pair_finish(cfd, sfd, CIPHER), 0) TH_LOG("cycle %ld: %s", i, pair_err);
		memset(buf, i, sizeof(buf));
		ASSERT_EQ(stream_send(cfd, 0, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN, buf,
				      sizeof(buf)), sizeof(buf));
		sid = 0;
		flags = 0;
		for (size_t got = 0; !(flags & MSG_QUIC_STREAM_FIN); ) {
			ssize_t r = stream_recv(sfd, &sid, &flags, buf, sizeof(buf));

			ASSERT_GT(r, 0);
			got += r;
			if (flags & MSG_QUIC_STREAM_FIN)
				ASSERT_EQ(got, sizeof(buf));
		}
		ASSERT_EQ(buf[0], (unsigned char)i);
		setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cfd);
		close(sfd);
	}
	end = settle();
	EXPECT_EQ(wait_socks(1, 0), 1);
	TH_LOG("%ld cycles in %.1f s; kernel memory %+ld KiB since cycle %ld", n,
	       now_s() - t0, end - warm, n / 10);
	EXPECT_LE(end - warm, env_count("QUIC_LOAD_SLACK_KIB", SLACK_KIB));
}

/* Several threads on one connection: four send on streams of their own
 * from the client while the server sends on its own streams back; one
 * thread per side reads.  Every stream arrives whole, in order.  The
 * streams are opened first, in order: opening one opens those below it.
 */
#define THREADS		4
#define STREAM_BYTES	(256 * 1024)

struct sender {
	int fd;
	int64_t sid;
	uint64_t seed;
	int err;
};

static int open_stream(int fd, int64_t sid)
{
	struct quic_stream_info si = { .stream_id = sid };
	socklen_t len = sizeof(si);

	return getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si, &len) ? -errno : 0;
}

static void *send_stream(void *arg)
{
	struct sender *s = arg;
	unsigned char buf[16384];
	uint64_t state = s->seed;
	size_t sent = 0, n;

	while (sent < STREAM_BYTES) {
		n = STREAM_BYTES - sent < sizeof(buf) ? STREAM_BYTES - sent : sizeof(buf);
		fill(buf, n, &state);
		if (stream_send(s->fd, s->sid, sent + n == STREAM_BYTES ? MSG_QUIC_STREAM_FIN : 0,
				buf, n) != (ssize_t)n) {
			s->err = errno;
			return NULL;
		}
		sent += n;
	}
	return NULL;
}

struct reader {
	int fd;
	int streams;		/* to read to their FIN */
	int64_t sids[THREADS];
	uint64_t hash[THREADS], len[THREADS];
	int err;
};

static void *read_streams(void *arg)
{
	static __thread unsigned char buf[65536];
	struct reader *r = arg;
	int64_t sid = -1;
	int fins = 0, i;
	uint32_t flags;
	ssize_t n;

	for (i = 0; i < THREADS; i++) {
		r->sids[i] = -1;
		r->hash[i] = 0xcbf29ce484222325ULL;
	}
	while (fins < r->streams) {
		flags = 0;
		n = stream_recv(r->fd, &sid, &flags, buf, sizeof(buf));
		if (n < 0) {
			r->err = errno;
			return NULL;
		}
		for (i = 0; i < THREADS && r->sids[i] != sid && r->sids[i] != -1; i++)
			;
		if (i == THREADS) {
			r->err = EPROTO;
			return NULL;
		}
		r->sids[i] = sid;
		r->hash[i] = fnv(r->hash[i], buf, n);
		r->len[i] += n;
		if (flags & MSG_QUIC_STREAM_FIN)
			fins++;
	}
	return NULL;
}

static void expect_streams(struct __test_metadata *_metadata, const struct reader *r,
			   const struct sender *s)
{
	unsigned char buf[16384];
	uint64_t state, h;
	size_t done, n;
	int i, j;

	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < THREADS && r->sids[j] != s[i].sid; j++)
			;
		ASSERT_LT(j, THREADS) TH_LOG("stream %lld never came", (long long)s[i].sid);
		state = s[i].seed;
		h = 0xcbf29ce484222325ULL;
		for (done = 0; done < STREAM_BYTES; done += n) {
			n = STREAM_BYTES - done < sizeof(buf) ? STREAM_BYTES - done : sizeof(buf);
			fill(buf, n, &state);
			h = fnv(h, buf, n);
		}
		EXPECT_EQ(r->len[j], STREAM_BYTES);
		EXPECT_EQ(r->hash[j], h);
	}
}

TEST_F_TIMEOUT(load, threads_one_socket, 600)
{
	struct sender cs[THREADS], ss[THREADS];
	pthread_t ct[THREADS], st[THREADS], cr, sr;
	struct reader crd = { .streams = THREADS }, srd = { .streams = THREADS };
	int i;

	open_pairs(_metadata, self, 1);
	crd.fd = self->cfd[0];
	srd.fd = self->sfd[0];
	ASSERT_EQ(pthread_create(&sr, NULL, read_streams, &srd), 0);
	ASSERT_EQ(pthread_create(&cr, NULL, read_streams, &crd), 0);
	for (i = 0; i < THREADS; i++) {
		/* client bidi streams 0, 4, 8...; server ones 1, 5, 9... */
		cs[i] = (struct sender){ .fd = self->cfd[0], .sid = 4 * i, .seed = 100 + i };
		ss[i] = (struct sender){ .fd = self->sfd[0], .sid = 4 * i + 1, .seed = 200 + i };
		ASSERT_EQ(open_stream(cs[i].fd, cs[i].sid), 0);
		ASSERT_EQ(open_stream(ss[i].fd, ss[i].sid), 0);
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(pthread_create(&ct[i], NULL, send_stream, &cs[i]), 0);
		ASSERT_EQ(pthread_create(&st[i], NULL, send_stream, &ss[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(ct[i], NULL);
		pthread_join(st[i], NULL);
		EXPECT_EQ(cs[i].err, 0);
		EXPECT_EQ(ss[i].err, 0);
	}
	pthread_join(sr, NULL);
	pthread_join(cr, NULL);
	ASSERT_EQ(srd.err, 0);
	ASSERT_EQ(crd.err, 0);
	expect_streams(_metadata, &srd, cs);
	expect_streams(_metadata, &crd, ss);
}

/* close() while the peer's packets arrive and the socket's timers run:
 * a thread keeps the server sending while the client closes, gracefully
 * or not; then the server goes too.  Nothing may stay or splat.
 */
struct blaster {
	int fd;
	int stop;	/* __atomic */
};

static void *blast(void *arg)
{
	static __thread unsigned char buf[8192];
	struct blaster *b = arg;
	int64_t sid = 1;

	/* Until the client's close reaches us (EPIPE), or SO_SNDTIMEO. */
	if (stream_send(b->fd, sid, MSG_QUIC_STREAM_NEW, buf, sizeof(buf)) < 0)
		return NULL;
	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED) &&
	       stream_send(b->fd, sid, 0, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

TEST_F_TIMEOUT(load, close_races, 1200)
{
	long n = env_count("QUIC_LOAD_RACES", 100), i;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timeval tv = { .tv_sec = 2 };
	struct blaster b;
	pthread_t t;
	uint32_t tag;
	int cfd, sfd;

	signal(SIGPIPE, SIG_IGN);	/* the blaster writes on, into EPIPE */
	for (i = 0; i < n; i++) {
		cfd = pair_hello(AF_INET, &self->ss, self->len, i, 0);
		ASSERT_GE(cfd, 0) TH_LOG("race %ld: %s", i, pair_err);
		sfd = pair_accept(self->lfd, &tag);
		ASSERT_GE(sfd, 0) TH_LOG("race %ld: %s", i, pair_err);
		ASSERT_EQ(pair_finish(cfd, sfd, CIPHER), 0) TH_LOG("race %ld: %s", i, pair_err);
		ASSERT_EQ(setsockopt(sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
		b = (struct blaster){ .fd = sfd };
		ASSERT_EQ(pthread_create(&t, NULL, blast, &b), 0);
		usleep(1000 * (i % 20));
		if (i % 2)
			setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cfd);
		usleep(1000 * (i % 7));
		__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
		setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(sfd);
	}
	/* graceful closes with data in flight wait for the idle timeout */
	EXPECT_EQ(wait_socks(1, 90000), 1);
}

TEST_HARNESS_MAIN
