// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of the kernel QUIC server's receive path.  The fake client of
 * quic_peer.c makes a connection through the Initial, Handshake and 1-RTT
 * levels and, at each of them, sends batches of mutated packets that are
 * protected with the right keys, so that they reach the frame parser:
 * flipped bits, frames cut short, extended or given another type, varints
 * at their limits or in longer encodings than needed, offsets and lengths
 * near 2^62, ACK frames whose ranges underflow, coalesced packets to other
 * connection IDs, CRYPTO data out of order and past the 64 KiB the server
 * holds, STREAM frames past flow control and the stream limits, floods of
 * NEW_CONNECTION_ID and RETIRE_CONNECTION_ID, jumps of the packet number,
 * and packets the server cannot open: garbage, or the wrong keys.
 *
 * After each batch the connection must be alive (a PING of the level is
 * acknowledged) or closed: by a CONNECTION_CLOSE that carries a transport
 * error code (RFC 9000 section 20.1), with the accepted socket told of
 * the abort, or, when a batch may have carried the client's own close,
 * silently with the socket hung up.  A mutated RETIRE_CONNECTION_ID may
 * retire the server's ID the client sends to, which the server may take
 * (RFC 9000 section 19.16): the PING then goes to its other IDs too.  A
 * closed connection is replaced by a new one until the packets are spent.
 * Everything is drawn from the seed and the packet's number, so a seed
 * replays the same packets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/quic.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest.h"
#include "quic_peer.h"

#define PACKETS_DEFAULT	10000
#define BATCH_MAX	16	/* mutated packets between two checks */
#define BATCHES		12	/* batches of one connection, at most */
#define VALID_PERCENT	40	/* of the packets: well-formed, to go on with */
#define FRAMES_MAX	1100	/* plaintext of one packet */
#define STARTS_MAX	16	/* frame boundaries remembered */
#define CRYPTO_BUF	65536	/* what the server holds ahead of a gap */
#define VARINT_MAX	((1ULL << 62) - 1)
#define FAIL_DUMPS	5	/* failures described in full */
#define SOCKS_WAIT_MS	10000	/* for closed connections to go */

/* What was done to a packet */
enum kind {
	K_VALID,	/* well-formed frames, which keep the connection going */
	K_BITFLIP,	/* bits of the plaintext, or reserved header bits */
	K_TRUNCATE,	/* the frames cut at a random byte */
	K_EXTEND,	/* random bytes or a frame again after the frames */
	K_TYPE_SWAP,	/* a frame given another type, its body kept */
	K_VARINT,	/* any frame, its fields at the varint limits */
	K_OFFSET,	/* CRYPTO and STREAM offsets and lengths near 2^62 */
	K_ACK,		/* ACK ranges that underflow, overlap or never end */
	K_COALESCED,	/* packets of several levels and IDs in a datagram */
	K_CRYPTO,	/* CRYPTO data out of order and past the buffer */
	K_STREAM_FC,	/* STREAM frames past flow control and stream limits */
	K_CID_FLOOD,	/* NEW_CONNECTION_ID and RETIRE_CONNECTION_ID floods */
	K_PN,		/* packet numbers that jump or repeat */
	K_GARBAGE,	/* unprotected random bytes */
	K_WRONG_KEYS,	/* the wrong keys, or a damaged tag */
	K_MAX
};

static const char * const kind_name[K_MAX] = {
	"valid", "bitflip", "truncate", "extend", "type_swap", "varint", "offset",
	"ack", "coalesced", "crypto", "stream_fc", "cid_flood", "pn", "garbage",
	"wrong_keys",
};

static const char * const level_name[LVL_MAX] = { "initial", "handshake", "1rtt" };

/* RFC 9000 section 20.1 */
static const char * const error_name[] = {
	"NO_ERROR", "INTERNAL_ERROR", "CONNECTION_REFUSED", "FLOW_CONTROL_ERROR",
	"STREAM_LIMIT_ERROR", "STREAM_STATE_ERROR", "FINAL_SIZE_ERROR",
	"FRAME_ENCODING_ERROR", "TRANSPORT_PARAMETER_ERROR", "CONNECTION_ID_LIMIT_ERROR",
	"PROTOCOL_VIOLATION", "INVALID_TOKEN", "APPLICATION_ERROR",
	"CRYPTO_BUFFER_EXCEEDED", "KEY_UPDATE_ERROR", "AEAD_LIMIT_REACHED", "NO_VIABLE_PATH",
};

#define ERR_CRYPTO	0x100	/* CRYPTO_ERROR, 0x0100-0x01ff */

/* The codes a close may carry: a test that wants to see the check fail
 * can narrow them with -e.
 */
static uint64_t err_lo = 0x00, err_hi = 0x10;

static bool error_ok(uint64_t e)
{
	return (e >= err_lo && e <= err_hi) || (e >= ERR_CRYPTO && e <= ERR_CRYPTO + 0xff);
}

/* How a batch ended */
enum outcome { ALIVE, CLOSED, PEER_CLOSED, BROKEN };

enum test { T_SURVIVES, T_NO_STUCK, T_ESTABLISH, T_MAX };

static const char * const test_name[T_MAX] = {
	"survives_or_closes_with_rfc_error", "no_stuck_socket", "connections_establish",
};

struct fuzz {
	uint64_t seed, packets, pkt;	/* the budget and the packets sent */
	uint64_t rng;
	int max_conns, conns;
	int trace;		/* the connection whose packets are all shown */
	struct rig r;

	/* The connection's state, for frames that are valid in it */
	uint64_t crypto_off[LVL_MAX];
	uint64_t stream_off[3];		/* streams 0 and 4 (bidi), 2 (uni) */
	uint64_t data_sent;
	uint64_t cid_seq;		/* the next NEW_CONNECTION_ID */
	bool maybe_close;	/* the batch may have carried our own close */
	uint64_t pn_next[LVL_MAX];	/* above every packet number sent */
	int sfd_errno;		/* what the server socket reported */

	/* The server's connection IDs that the client knows of */
	struct issued_cid cids[ISSUED_MAX];
	int n_cids;

	/* The packets of the batch, for a failure's report */
	struct {
		uint64_t pkt;
		int level, kind;
		size_t flen;
		uint8_t f[FRAMES_MAX + 64];
	} hist[BATCH_MAX];
	int n_hist;
	int last_level, last_kind;
	uint8_t last_dgram[DGRAM_MAX];
	size_t last_dlen;

	/* Statistics */
	uint64_t by_level[LVL_MAX], by_kind[K_MAX];
	uint64_t closes[ARRAY_SIZE(error_name)], closes_crypto, closes_bad;
	uint64_t peer_closes, alive_batches, batches, stray, moved;
	int fails[T_MAX];
};

static struct fuzz z;

/* ---- Randomness: splitmix64, restarted from the seed for each packet ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
	z.rng += 0x9e3779b97f4a7c15ULL;
	return mix(z.rng);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(int percent)
{
	return below(100) < (uint64_t)percent;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

/* A value at or near one of the varint limits (RFC 9000 section 16) */
static uint64_t edge(void)
{
	static const uint64_t v[] = {
		0, 1, 63, 64, 16383, 16384, (1ULL << 30) - 1, 1ULL << 30,
		(1ULL << 32) - 1, 1ULL << 32, VARINT_MAX - 1, VARINT_MAX,
	};

	return v[below(ARRAY_SIZE(v))];
}

/* @v in @len bytes, longer than needed if @len says so; the shortest
 * encoding when @len is too small for it.
 */
static void w_varint_len(struct wr *w, uint64_t v, int len)
{
	int need = v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8, i;

	if (len < need) {
		w_varint(w, v);
		return;
	}
	for (i = 0; i < len; i++)
		w->p[w->n + i] = v >> (8 * (len - 1 - i));
	w->p[w->n] |= len == 1 ? 0 : len == 2 ? 0x40 : len == 4 ? 0x80 : 0xc0;
	w->n += len;
}

/* A varint, in a longer encoding than needed one time in four */
static void w_vary(struct wr *w, uint64_t v)
{
	static const int lens[] = { 1, 2, 4, 8 };

	if (chance(25))
		w_varint_len(w, v, lens[below(4)]);
	else
		w_varint(w, v);
}

/* ---- Frames that the server should take ---- */

static const int64_t stream_ids[] = { 0, 4, 2 };

/* One well-formed frame of @level, within the limits the rig's server
 * announced.  PADDING, PING, ACK and CRYPTO go at every level.
 */
static void valid_frame(struct wr *w, int level)
{
	struct peer *pr = &z.r.peer;
	uint64_t n, i, room;
	int which = below(level == LVL_APP ? 12 : 4);

	switch (which) {
	case 0:
		w_fill(w, F_PADDING, 1 + below(8));
		break;
	case 1:
		w_byte(w, F_PING);
		break;
	case 2:
		if (pr->largest[level] < 0) {
			w_byte(w, F_PING);
			break;
		}
		/* The server's largest packet: it arrived, so it was sent. */
		w_frame(w, F_ACK, 3, pr->largest[level], below(100), 0);
		w_varint(w, 0);
		break;
	case 3:
		n = 1 + below(40);
		w_frame(w, F_CRYPTO, 2, z.crypto_off[level], n, 0);
		w_fill(w, 'c', n);
		z.crypto_off[level] += n;
		break;
	case 4:
	case 5:
		i = below(3);
		room = SRV_STREAM_DATA - z.stream_off[i];
		if (SRV_MAX_DATA - z.data_sent < room)
			room = SRV_MAX_DATA - z.data_sent;
		n = room ? 1 + below(room < 64 ? room : 64) : 0;
		w_stream(w, stream_ids[i], z.stream_off[i], NULL, n, false);
		z.stream_off[i] += n;
		z.data_sent += n;
		break;
	case 6:
		w_frame(w, F_MAX_DATA, 1, 65536 + below(1 << 20), 0, 0);
		break;
	case 7:
		w_frame(w, F_MAX_STREAMS_BIDI + below(2), 1, 8 + below(100), 0, 0);
		break;
	case 8:
		w_frame(w, F_DATA_BLOCKED, 1, z.data_sent, 0, 0);
		break;
	case 9:
		w_frame(w, F_PATH_CHALLENGE, 0, 0, 0, 0);
		rnd_bytes(w->p + w->n, 8);
		w->n += 8;
		break;
	case 10:
		/* Within active_connection_id_limit: one new, one retired. */
		w_new_cid(w, z.cid_seq, z.cid_seq, CID_LEN);
		z.cid_seq++;
		break;
	default:
		w_frame(w, F_STREAM_DATA_BLOCKED, 2, 0, z.stream_off[0], 0);
		break;
	}
}

/* A few valid frames; @starts gets where each begins. */
static int valid_frames(struct wr *w, int level, size_t *starts)
{
	int n = 1 + below(4), i;

	for (i = 0; i < n; i++) {
		starts[i] = w->n;
		valid_frame(w, level);
	}
	return n;
}

/* ---- Frames at and past the limits ---- */

/* Any frame type, known or not, one time in eight in a longer encoding */
static uint64_t any_type(void)
{
	uint64_t t;

	switch (below(8)) {
	case 0:
		return 0x20 + below(0x10);		/* unknown, below DATAGRAM */
	case 1:	/* unknown, two bytes: not ACK_FREQUENCY (0xaf) */
		t = 0x32 + below(0x3fff);
		return t == 0xaf ? 0xb0 : t;
	case 2:
		return edge();
	default:
		return below(0x1f) + (chance(10) ? 0x12 : 0);
	}
}

/* A frame of @type with its fields drawn from the varint limits; length
 * fields are followed by that many bytes when they fit, fewer when not.
 */
static void edge_frame(struct wr *w, uint64_t type)
{
	uint64_t n, i;

	w_vary(w, type);
	switch (type) {
	case F_PADDING:
	case F_PING:
	case F_HANDSHAKE_DONE:
		return;
	case F_ACK:
	case F_ACK_ECN:
		n = chance(50) ? below(4) : edge();
		w_vary(w, edge());
		w_vary(w, edge());
		w_vary(w, n);
		w_vary(w, edge());
		for (i = 0; i < n && i < 8; i++) {
			w_vary(w, edge());
			w_vary(w, edge());
		}
		if (type == F_ACK_ECN)
			for (i = 0; i < 3; i++)
				w_vary(w, edge());
		return;
	case F_NEW_CID:
		w_vary(w, edge());
		w_vary(w, edge());
		n = chance(70) ? CID_LEN : below(256);
		w_byte(w, n);
		w_fill(w, 0xa5, n > 40 ? 40 : n);
		w_fill(w, 0xee, TOKEN_LEN);
		return;
	case F_PATH_CHALLENGE:
	case F_PATH_RESPONSE:
		w_fill(w, 0x5a, 8);
		return;
	case F_DATAGRAM:
		w_fill(w, 'g', below(32));
		return;
	}
	n = 1;	/* varint fields before the length, if any */
	switch (type) {
	case F_RESET_STREAM:
	case F_CLOSE:
		n = 3;
		break;
	case F_STOP_SENDING:
	case F_CRYPTO:
	case F_MAX_STREAM_DATA:
	case F_STREAM_DATA_BLOCKED:
	case F_CLOSE_APP:
		n = 2;
		break;
	case F_STREAM ... F_STREAM | 7:
		n = 1 + !!(type & STREAM_OFF) + !!(type & STREAM_LEN);
		break;
	}
	for (i = 0; i < n; i++)
		w_vary(w, edge());
	/* The last field of these is a length: data follows. */
	if (type == F_CRYPTO || type == F_NEW_TOKEN || type == F_DATAGRAM_LEN ||
	    type == F_CLOSE || type == F_CLOSE_APP || (type & ~7ULL) == F_STREAM) {
		if (type == F_NEW_TOKEN || type == F_DATAGRAM_LEN)
			w_vary(w, edge());
		w_fill(w, 'e', below(64));
	}
}

/* CRYPTO and STREAM frames whose offset + length reach or pass 2^62 */
static void offset_frame(struct wr *w, int level)
{
	uint64_t off = VARINT_MAX - below(4096), len = below(64);
	uint64_t sid = chance(80) ? stream_ids[below(3)] : edge() & ~3ULL;

	if (chance(30))
		off = VARINT_MAX - len + below(2);
	if (level != LVL_APP || chance(30)) {
		w_frame(w, F_CRYPTO, 2, off, len, 0);
		w_fill(w, 'c', len);
		return;
	}
	switch (below(4)) {
	case 0:
		w_stream(w, sid, off, NULL, len, chance(50));
		return;
	case 1:		/* no Length: the data runs to the end */
		w_frame(w, F_STREAM | STREAM_OFF | (chance(50) ? STREAM_FIN : 0), 2, sid, off, 0);
		w_fill(w, 's', len);
		return;
	case 2:
		w_frame(w, F_RESET_STREAM, 3, sid, below(1000), chance(50) ? VARINT_MAX : off);
		return;
	default:
		w_frame(w, F_MAX_STREAM_DATA, 2, sid, VARINT_MAX, 0);
		return;
	}
}

/* ACK frames that acknowledge what was never sent, whose ranges run
 * below packet 0 or overlap, or that announce more ranges than they hold.
 */
static void ack_frame(struct wr *w, int level)
{
	int64_t largest = z.r.peer.largest[level];
	uint64_t top = largest >= 0 ? largest : 0, n, i;
	uint64_t type = chance(20) ? F_ACK_ECN : F_ACK;

	switch (below(6)) {
	case 0:		/* First ACK Range past packet 0 */
		w_frame(w, type, 4, top, 0, 0);
		w_varint(w, top + 1 + below(3));
		break;
	case 1:		/* a Gap that runs below packet 0 */
		w_frame(w, type, 4, top, 0, 1);
		w_varint(w, 0);
		w_varint(w, top + below(3));
		w_varint(w, 0);
		break;
	case 2:		/* a huge count and only one range */
		w_frame(w, type, 4, top, edge(), chance(50) ? VARINT_MAX : 1ULL << 32);
		w_varint(w, 0);
		w_varint(w, 0);
		w_varint(w, 0);
		break;
	case 3:		/* many ranges of one packet, well below the largest */
		n = 1 + below(300);
		w_frame(w, type, 4, top + below(2000), 0, n);
		w_varint(w, 0);
		for (i = 0; i < n; i++) {
			w_varint(w, below(2));
			w_varint(w, below(2));
		}
		break;
	case 4:		/* packets never sent, an ACK Delay at the limit */
		w_frame(w, type, 4, top + 1 + below(1 << 20), VARINT_MAX, 0);
		w_varint(w, below(4));
		break;
	default:	/* the largest at the limit */
		w_frame(w, type, 4, VARINT_MAX - below(2), edge(), 0);
		w_varint(w, edge());
		break;
	}
	if (type == F_ACK_ECN)
		for (i = 0; i < 3; i++)
			w_varint(w, chance(50) ? edge() : below(10));
}

/* CRYPTO data out of order, some of it past the 64 KiB buffer */
static void crypto_frames(struct wr *w, int level)
{
	int n = 1 + below(6), i;
	uint64_t off, len;

	for (i = 0; i < n && w->n < FRAMES_MAX - 300; i++) {
		len = below(200);
		off = z.crypto_off[level] + 1 + below(CRYPTO_BUF + 4096);
		if (chance(20))
			off = z.crypto_off[level] + CRYPTO_BUF - len + below(3);
		if (chance(10))
			off = below(z.crypto_off[level] + 1);	/* old data again */
		w_frame(w, F_CRYPTO, 2, off, len, 0);
		w_fill(w, 'o', len);
	}
}

/* STREAM frames past the stream's or the connection's flow control, on
 * streams past the limits, on the server's streams, or ending before
 * what was received.
 */
static void stream_frames(struct wr *w)
{
	int n = 1 + below(4), i;
	uint64_t sid, off, len;

	for (i = 0; i < n; i++) {
		sid = stream_ids[below(3)];
		off = z.stream_off[sid == 0 ? 0 : sid == 4 ? 1 : 2];
		len = 1 + below(100);
		switch (below(6)) {
		case 0:
			off = SRV_STREAM_DATA - below(len + 2);
			break;
		case 1:
			sid = 4 * (SRV_STREAMS_BIDI + below(1000));	/* past the limit */
			break;
		case 2:
			sid = 2 + 4 * (SRV_STREAMS_UNI + below(1000));
			break;
		case 3:
			sid = 1 + 2 * below(4);		/* the server's */
			break;
		case 4:
			w_frame(w, F_RESET_STREAM, 3, sid, below(9), below(off + 2));
			continue;
		default:
			off += below(SRV_MAX_DATA);
			break;
		}
		w_stream(w, sid, off, NULL, len, chance(20));
	}
}

/* NEW_CONNECTION_ID and RETIRE_CONNECTION_ID, many of them */
static void cid_frames(struct wr *w)
{
	int n = 5 + below(40), i;
	uint64_t seq;

	for (i = 0; i < n && w->n < FRAMES_MAX - 60; i++) {
		if (chance(50)) {
			seq = chance(80) ? z.cid_seq++ : below(z.cid_seq + 2);
			w_new_cid(w, seq, chance(50) ? seq : below(seq + 2), CID_LEN);
		} else {
			w_frame(w, F_RETIRE_CID, 1, chance(70) ? below(4) : edge(), 0, 0);
		}
	}
}

static void hexdump(const char *what, const uint8_t *p, size_t n);

/* ---- Packets ---- */

static void pkt_note(int level, int kind, const uint8_t *f, size_t flen, const uint8_t *d,
		     size_t dlen)
{
	int h = z.n_hist < BATCH_MAX ? z.n_hist++ : BATCH_MAX - 1;

	z.hist[h].pkt = z.pkt;
	z.hist[h].level = level;
	z.hist[h].kind = kind;
	z.hist[h].flen = flen;
	memcpy(z.hist[h].f, f, flen);
	z.last_level = level;
	z.last_kind = kind;
	z.last_dlen = dlen;
	memcpy(z.last_dgram, d, dlen);
	/* Our own CONNECTION_CLOSE ends the connection without an answer
	 * (RFC 9000 section 10.2.2); a byte of either type anywhere may be one.
	 */
	if (memchr(f, F_CLOSE, flen) || memchr(f, F_CLOSE_APP, flen))
		z.maybe_close = true;
}

/* One packet of @level around @f; Initials padded to 1200 bytes. */
static size_t pkt_build(uint8_t *d, int level, const uint8_t *f, size_t flen, uint8_t bits)
{
	struct peer *pr = &z.r.peer;

	if (level == LVL_INITIAL)
		return initial_datagram(pr, d, f, flen, bits, MIN_INITIAL);
	if (level == LVL_HANDSHAKE)
		return long_build(pr, d, level, f, flen, bits);
	return short_build(pr, d, f, flen, bits);
}

/* Sends a datagram just built; the packet numbers it used are taken. */
static void dgram_send(const uint8_t *d, size_t n)
{
	int i;

	for (i = 0; i < LVL_MAX; i++)
		if (z.r.peer.next_pn[i] > z.pn_next[i])
			z.pn_next[i] = z.r.peer.next_pn[i];
	/* A full socket buffer drops it, as the network may. */
	send(z.r.peer.fd, d, n, MSG_DONTWAIT);
}

/* An Initial to another connection ID: sealed with that ID's keys, it
 * starts a connection on the listener, with the frames of this one.
 */
static size_t other_initial(uint8_t *d, const uint8_t *f, size_t flen)
{
	struct peer *pr = &z.r.peer;
	struct keys tx = pr->tx[LVL_INITIAL], rx;
	uint8_t dcid[CID_LEN], len = pr->dcid_len;
	size_t n;

	memcpy(dcid, pr->dcid, CID_LEN);
	pr->dcid_len = chance(80) ? CID_LEN : CID_LEN - 1;
	rnd_bytes(pr->dcid, pr->dcid_len);
	if (chance(50))
		initial_keys(pr->dcid, pr->dcid_len, &pr->tx[LVL_INITIAL], &rx);
	n = long_build(pr, d, LVL_INITIAL, f, flen, 0);
	pr->tx[LVL_INITIAL] = tx;
	pr->dcid_len = len;
	memcpy(pr->dcid, dcid, CID_LEN);
	return n;
}

/* Packets of several levels in one datagram, some to other connection
 * IDs, with an Initial of PADDING to make it 1200 bytes.
 */
static size_t coalesced(uint8_t *d, int level, const uint8_t *f, size_t flen)
{
	static const uint8_t pad[MIN_INITIAL];
	struct peer *pr = &z.r.peer;
	uint8_t save[CID_MAX], save_len = pr->srv_cid_len;
	size_t n = 0, room;
	int i, lvl, count = 2 + below(3);

	memcpy(save, pr->srv_cid, sizeof(save));
	for (i = 0; i < count && n < 900; i++) {
		lvl = i == count - 1 ? level : (int)below(level + 1);
		if (lvl == LVL_APP && i != count - 1)
			lvl = LVL_HANDSHAKE;	/* a short header runs to the end */
		if (chance(30) && lvl != LVL_INITIAL) {
			/* Another ID: the server should ignore this one. */
			pr->srv_cid_len = chance(50) ? CID_LEN : 1 + below(CID_MAX);
			rnd_bytes(pr->srv_cid, pr->srv_cid_len);
		}
		if (lvl == LVL_INITIAL && chance(30))
			n += other_initial(d + n, f, flen < 200 ? flen : 200);
		else if (lvl == LVL_INITIAL)
			n += long_build(pr, d + n, lvl, f, flen < 200 ? flen : 200, 0);
		else if (lvl == LVL_HANDSHAKE && i != count - 1)
			n += long_build(pr, d + n, lvl, f, flen < 200 ? flen : 200, 0);
		else if (lvl == LVL_HANDSHAKE)
			n += long_build(pr, d + n, lvl, f, flen, 0);
		else
			break;
		pr->srv_cid_len = save_len;
		memcpy(pr->srv_cid, save, sizeof(save));
	}
	if (level != LVL_APP && chance(20) && n > 20)
		d[n - 20] ^= 1 << below(8);	/* one of them does not decrypt */
	room = n < MIN_INITIAL ? MIN_INITIAL - n : 0;
	if (room > 64 && level != LVL_APP)
		n += long_build(pr, d + n, LVL_INITIAL, pad, room - 40, 0);
	if (level == LVL_APP) {
		if (chance(30)) {
			pr->srv_cid_len = CID_LEN;
			rnd_bytes(pr->srv_cid, CID_LEN);
		}
		n += short_build(pr, d + n, f, flen, 0);
		pr->srv_cid_len = save_len;
		memcpy(pr->srv_cid, save, sizeof(save));
	}
	return n;
}

/* Bytes that no key opens; or a packet sealed with the wrong keys. */
static size_t garbage(uint8_t *d, int level)
{
	struct peer *pr = &z.r.peer;
	size_t n;

	switch (below(4)) {
	case 0:
		rnd_bytes(d, 24);
		return below(2) ? 0 : 1 + below(24);
	case 1:		/* a short header to the connection */
		n = 1 + pr->srv_cid_len + below(200);
		rnd_bytes(d, n);
		d[0] = 0x40 | (d[0] & 0x3f);
		memcpy(d + 1, pr->srv_cid, pr->srv_cid_len);
		return n;
	case 2:		/* a v1 long header to it, random after */
		n = MIN_INITIAL;
		rnd_bytes(d, n);
		d[0] |= 0xc0;
		memcpy(d + 1, "\0\0\0\1", 4);
		d[5] = level == LVL_INITIAL ? pr->dcid_len : pr->srv_cid_len;
		memcpy(d + 6, level == LVL_INITIAL ? pr->dcid : pr->srv_cid, d[5]);
		return n;
	default:
		n = 1 + below(MIN_INITIAL + 100);
		rnd_bytes(d, n);
		return n;
	}
}

static size_t wrong_keys(uint8_t *d, int level, const uint8_t *f, size_t flen)
{
	struct peer *pr = &z.r.peer;
	struct keys save = pr->tx[level];
	size_t n;

	switch (below(4)) {
	case 0:
		rnd_bytes((uint8_t *)&pr->tx[level], sizeof(pr->tx[level]));
		break;
	case 1:
		pr->tx[level] = pr->tx[(level + 1 + below(2)) % LVL_MAX];
		break;
	case 2:
		rnd_bytes(pr->tx[level].hp, sizeof(pr->tx[level].hp));
		break;
	default:
		break;
	}
	/* Key Phase 1, which the server has no keys for yet */
	n = pkt_build(d, level, f, flen, level == LVL_APP && chance(50) ? 0x04 : 0);
	pr->tx[level] = save;
	if (n > TAG_LEN)
		d[n - 1 - below(TAG_LEN)] ^= 1 << below(8);
	return n;
}

/* One mutated packet of @level: built, sent, and remembered. */
static void fuzz_one(int level)
{
	uint8_t f[FRAMES_MAX + 64], d[DGRAM_MAX];
	struct peer *pr = &z.r.peer;
	struct wr w = { f, 0 };
	size_t starts[STARTS_MAX], n = 0, i;
	uint8_t bits = 0;
	int kind, nf;

	z.rng = mix(z.seed ^ mix(z.pkt));
	kind = chance(VALID_PERCENT) ? K_VALID : 1 + below(K_MAX - 1);
	if (kind == K_STREAM_FC && level != LVL_APP && chance(80))
		kind = K_CRYPTO;
	nf = valid_frames(&w, level, starts);
	switch (kind) {
	case K_VALID:
		break;
	case K_BITFLIP:
		for (i = 1 + below(4); i > 0 && w.n; i--)
			f[below(w.n)] ^= 1 << below(8);
		if (chance(10))
			bits = level == LVL_APP ? 0x18 : 0x0c;	/* reserved */
		break;
	case K_TRUNCATE:
		w.n = below(w.n);
		break;
	case K_EXTEND:
		if (chance(50)) {
			n = 1 + below(64);
			rnd_bytes(f + w.n, n);
			w.n += n;
		} else {
			i = starts[below(nf)];
			n = w.n - i < 64 ? w.n - i : 64;
			memmove(f + w.n, f + i, n);
			w.n += n;
		}
		break;
	case K_TYPE_SWAP:
		i = starts[below(nf)];
		f[i] = chance(80) ? below(0x20) : 0x30 + below(2);
		break;
	case K_VARINT:
		edge_frame(&w, any_type());
		break;
	case K_OFFSET:
		offset_frame(&w, level);
		break;
	case K_ACK:
		ack_frame(&w, level);
		break;
	case K_CRYPTO:
		crypto_frames(&w, level);
		break;
	case K_STREAM_FC:
		stream_frames(&w);
		break;
	case K_CID_FLOOD:
		cid_frames(&w);
		break;
	case K_PN:
		if (chance(50))
			pr->next_pn[level] += 1 + below(1U << 30);
		else if (pr->next_pn[level])
			pr->next_pn[level] -= 1 + below(pr->next_pn[level]);
		break;
	}
	if (w.n > FRAMES_MAX)
		w.n = FRAMES_MAX;
	switch (kind) {
	case K_COALESCED:
		n = coalesced(d, level, f, w.n);
		break;
	case K_GARBAGE:
		n = garbage(d, level);
		w.n = 0;
		break;
	case K_WRONG_KEYS:
		n = wrong_keys(d, level, f, w.n);
		break;
	default:
		n = pkt_build(d, level, f, w.n, bits);
	}
	pkt_note(level, kind, f, w.n, d, n);
	if (z.conns == z.trace) {
		printf("# packet %llu: %s pn %llu, %s\n", (unsigned long long)z.pkt,
		       level_name[level], (unsigned long long)pr->next_pn[level] - 1,
		       kind_name[kind]);
		hexdump("frames", f, w.n);
	}
	dgram_send(d, n);
	z.pkt++;
	z.by_level[level]++;
	z.by_kind[kind]++;
}

/* ---- The server's answers ---- */

/* A datagram of the server.  The client's connection IDs that the fuzzer
 * announced may be of other lengths: a short header that does not open
 * with the last length is tried with the others.
 */
static void rx_datagram(uint8_t *d, size_t n, struct seen *s)
{
	static struct seen try;
	struct peer *pr = &z.r.peer;
	uint8_t copy[DGRAM_MAX];
	int len;

	memcpy(copy, d, n);
	try = *s;
	peer_datagram(pr, copy, n, &try);
	if (try.bad == s->bad || (d[0] & 0x80)) {
		*s = try;
		return;
	}
	for (len = 0; len <= CID_MAX; len++) {
		pr->short_cid_len = len;
		memcpy(copy, d, n);
		try = *s;
		peer_datagram(pr, copy, n, &try);
		if (try.bad == s->bad) {
			*s = try;
			return;
		}
	}
	pr->short_cid_len = 0;
	s->bad++;
}

/* What the server sent, until one of @want or for @ms */
static void rx(struct seen *s, unsigned int want, int ms)
{
	struct pollfd pfd = { .fd = z.r.peer.fd, .events = POLLIN };
	int64_t end = now_ms() + ms, left;
	uint8_t d[DGRAM_MAX];
	ssize_t n;

	while (!(s->flags & want)) {
		left = end - now_ms();
		if (poll(&pfd, 1, left > 0 ? left : 0) != 1)
			break;
		n = recv(z.r.peer.fd, d, sizeof(d), 0);
		if (n <= 0)
			break;
		rx_datagram(d, n, s);
		if (z.conns == z.trace)
			printf("# server: %zd bytes, %d packets (%d bad), acked %llu/%llu/%llu\n",
			       n, s->packets, s->bad, (unsigned long long)s->acked[0],
			       (unsigned long long)s->acked[1], (unsigned long long)s->acked[2]);
	}
}

/* Read what reached the server socket: handshake messages, stream data. */
static void sfd_drain(void)
{
	char buf[4096], ctl[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		n = recvmsg(z.r.sfd, &msg, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			z.sfd_errno = errno;	/* read once, then gone */
		if (n <= 0)
			break;
	}
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	printf("#   %s (%zu bytes):", what, n);
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 32 ? "" : "\n#     ", p[i]);
	printf("\n");
}

static void fail(enum test t, const char *fmt, ...)
{
	char what[128];
	va_list ap;
	int i;

	if (z.fails[t]++ >= FAIL_DUMPS)
		return;
	printf("# FAIL %s: seed %llu packet %llu (connection %d, %s, %s): ", test_name[t],
	       (unsigned long long)z.seed, (unsigned long long)z.pkt - 1, z.conns,
	       level_name[z.last_level], kind_name[z.last_kind]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	for (i = 0; i < z.n_hist; i++) {
		snprintf(what, sizeof(what), "packet %llu, %s, %s, frames",
			 (unsigned long long)z.hist[i].pkt, level_name[z.hist[i].level],
			 kind_name[z.hist[i].kind]);
		hexdump(what, z.hist[i].f, z.hist[i].flen);
	}
	hexdump("the last datagram", z.last_dgram, z.last_dlen);
	fflush(stdout);
}

/* The server socket learns of the close within @ms: hung up, and with
 * ECONNABORTED if @aborted (its own close for an error), none if not (the
 * peer's close).  The error may have been read by sfd_drain() already.
 */
static bool sfd_closed(bool aborted, int ms)
{
	struct pollfd p = { .fd = z.r.sfd, .events = POLLIN | POLLRDHUP };
	int64_t end = now_ms() + ms;
	socklen_t len = sizeof(int);
	int err = 0;

	do {
		p.revents = 0;
		if (poll(&p, 1, 10) == 1 && (p.revents & POLLERR) &&
		    !getsockopt(z.r.sfd, SOL_SOCKET, SO_ERROR, &err, &len) && err)
			z.sfd_errno = err;
		if (p.revents & POLLHUP)
			return aborted ? z.sfd_errno == ECONNABORTED : !z.sfd_errno;
		sfd_drain();
	} while (now_ms() < end);
	return false;
}

static void close_count(uint64_t e)
{
	if (e < ARRAY_SIZE(error_name))
		z.closes[e]++;
	else if (e >= ERR_CRYPTO && e <= ERR_CRYPTO + 0xff)
		z.closes_crypto++;
	else
		z.closes_bad++;
}

static void cids_add(const struct issued_cid *c, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < z.n_cids && z.cids[j].seq != c[i].seq; j++)
			;
		if (j == z.n_cids && z.n_cids < ISSUED_MAX)
			z.cids[z.n_cids++] = c[i];
	}
}

/* The client may have retired the server's ID it sends to (RFC 9000
 * section 19.16 lets the server take that): a PING to each other ID the
 * server issued.  Returns whether one was acknowledged; the client then
 * stays with that ID.
 */
static bool ping_other_cids(int level, struct seen *s)
{
	struct peer *pr = &z.r.peer;
	uint8_t f[] = { F_PING }, d[DGRAM_MAX];
	uint64_t pn;
	int i;

	if (level != LVL_APP)
		return false;
	for (i = 0; i < z.n_cids; i++) {
		if (z.cids[i].len == pr->srv_cid_len &&
		    !memcmp(z.cids[i].id, pr->srv_cid, pr->srv_cid_len))
			continue;
		pr->srv_cid_len = z.cids[i].len;
		memcpy(pr->srv_cid, z.cids[i].id, z.cids[i].len);
		pn = z.pn_next[level];
		pr->next_pn[level] = pn;
		dgram_send(d, pkt_build(d, level, f, sizeof(f), 0));
		s->flags &= ~SEEN_ACK;
		rx(s, SEEN_ACK | SEEN_CLOSE, 500);
		if (s->acked[level] > pn || (s->flags & SEEN_CLOSE))
			return true;
	}
	return false;
}

/* The end of a batch at @level: alive, or closed as RFC 9000 allows. */
static enum outcome check(int level, struct seen *s)
{
	uint64_t pn;
	uint8_t f[] = { F_PING }, d[DGRAM_MAX];
	int64_t end = now_ms() + WAIT_MS;

	z.batches++;
	/* A number that did not go yet: the server drops duplicates. */
	z.r.peer.next_pn[level] = z.pn_next[level];
	pn = z.pn_next[level];
	if (!(s->flags & SEEN_CLOSE)) {
		dgram_send(d, pkt_build(d, level, f, sizeof(f), 0));
		while (s->acked[level] <= pn && !(s->flags & SEEN_CLOSE) && now_ms() < end) {
			s->flags &= ~SEEN_ACK;
			rx(s, SEEN_ACK | SEEN_CLOSE, end - now_ms());
		}
		cids_add(s->issued, s->n_issued);
		if (s->acked[level] <= pn && !(s->flags & SEEN_CLOSE) &&
		    ping_other_cids(level, s) && !(s->flags & SEEN_CLOSE)) {
			z.moved++;
			pn = 0;
		}
	}
	if (s->flags & SEEN_CLOSE) {
		close_count(s->error);
		if (s->close_type != F_CLOSE || !error_ok(s->error))
			fail(T_SURVIVES, "CONNECTION_CLOSE 0x%llx with error 0x%llx (frame 0x%llx)",
			     (unsigned long long)s->close_type, (unsigned long long)s->error,
			     (unsigned long long)s->frame);
		/* The socket reports its abort (ECONNABORTED). */
		if (!sfd_closed(true, WAIT_MS))
			fail(T_NO_STUCK, "closed with error 0x%llx, the socket says errno %d",
			     (unsigned long long)s->error, z.sfd_errno);
		return CLOSED;
	}
	if (s->acked[level] > pn) {
		z.alive_batches++;
		return ALIVE;
	}
	/* No answer: only our own CONNECTION_CLOSE may have done that. */
	if (z.maybe_close && sfd_closed(false, WAIT_MS)) {
		z.peer_closes++;
		return PEER_CLOSED;
	}
	fail(T_SURVIVES, "PING at %s not acknowledged, no close%s; %d server packets, %d bad",
	     level_name[level], z.maybe_close ? " (the socket is not hung up)" : "",
	     s->packets, s->bad);
	return BROKEN;
}

/* A batch of mutated packets at @level, stopping at the server's close */
static enum outcome batch(int level)
{
	static struct seen s;
	int n = 1 + below(BATCH_MAX), i;

	memset(&s, 0, sizeof(s));
	z.maybe_close = false;
	z.n_hist = 0;
	for (i = 0; i < n && z.pkt < z.packets; i++) {
		fuzz_one(level);
		rx(&s, SEEN_CLOSE, 0);
		sfd_drain();
		if (s.flags & SEEN_CLOSE)
			break;
	}
	return check(level, &s);
}

/* ---- Connections ---- */

/* Connections that other Initials made on the listener go at once. */
static void stray_drain(void)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	struct pollfd p = { .fd = z.r.lfd, .events = POLLIN };
	int fd;

	while (poll(&p, 1, 0) == 1) {
		fd = accept4(z.r.lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			break;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		close(fd);
		z.stray++;
	}
}

static void conn_end(void)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };

	if (z.r.sfd >= 0) {
		/* Unacknowledged data would keep a graceful close going. */
		setsockopt(z.r.sfd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		close(z.r.sfd);
		z.r.sfd = -1;
	}
	if (z.r.peer.fd >= 0) {
		close(z.r.peer.fd);
		z.r.peer.fd = -1;
	}
}

/* A new connection, its IDs from the seed, up to its ClientHello */
static int conn_start(const struct sockaddr_in *a)
{
	struct peer *pr = &z.r.peer;

	conn_end();
	stray_drain();
	z.conns++;
	z.rng = mix(z.seed ^ mix(~(uint64_t)z.conns));
	if (peer_open(pr, a))
		return -1;
	rnd_bytes(pr->dcid, CID_LEN);
	rnd_bytes(pr->scid, CID_LEN);
	initial_keys(pr->dcid, CID_LEN, &pr->tx[LVL_INITIAL], &pr->rx[LVL_INITIAL]);
	memset(z.crypto_off, 0, sizeof(z.crypto_off));
	memset(z.stream_off, 0, sizeof(z.stream_off));
	z.crypto_off[LVL_INITIAL] = HELLO_LEN;
	memset(z.pn_next, 0, sizeof(z.pn_next));
	z.data_sent = 0;
	z.cid_seq = 1;
	z.sfd_errno = 0;
	z.n_cids = 0;
	if (rig_hello(&z.r))
		return -1;
	memcpy(z.pn_next, pr->next_pn, sizeof(z.pn_next));
	return 0;
}

/* Batches at @level until the connection closes; false if it did. */
static bool fuzz_level(int level)
{
	int i;

	for (i = 0; i < BATCHES && z.pkt < z.packets; i++)
		if (batch(level) != ALIVE)
			return false;
	return true;
}

/*
 * One connection through the three levels, fuzzed from one of them on:
 * from the Initial and the Handshake level a quarter of the time each,
 * at 1-RTT only half of it.  Returns false when the connection cannot be
 * made.
 */
static bool conn_run(const struct sockaddr_in *a)
{
	static struct seen s;
	int target;

	if (conn_start(a)) {
		fail(T_ESTABLISH, "no connection");
		return false;
	}
	target = below(4);
	target = target < 2 ? target : LVL_APP;
	if (target == LVL_INITIAL && !fuzz_level(LVL_INITIAL))
		return true;
	if (rig_server_hello(&z.r, 8)) {
		fail(T_ESTABLISH, "the server's Handshake");
		return false;
	}
	memset(&s, 0, sizeof(s));
	rx(&s, SEEN_HS, WAIT_MS);
	if (!(s.flags & SEEN_HS)) {
		fail(T_ESTABLISH, "no Handshake packet from the server");
		return true;
	}
	if (target <= LVL_HANDSHAKE && !fuzz_level(LVL_HANDSHAKE))
		return true;
	if (rig_server_done(&z.r)) {
		fail(T_ESTABLISH, "the 1-RTT secrets");
		return false;
	}
	memset(&s, 0, sizeof(s));
	rx(&s, SEEN_DONE | SEEN_CLOSE, WAIT_MS);
	if (!(s.flags & SEEN_DONE)) {
		fail(T_ESTABLISH, "no HANDSHAKE_DONE");
		return true;
	}
	cids_add(s.issued, s.n_issued);
	fuzz_level(LVL_APP);
	return true;
}

/* QUIC sockets of this namespace (/proc/net/protocols, QUIC and QUICv6) */
static long quic_socks(void)
{
	char line[512], name[32];
	long n, total = 0;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %*d %ld", name, &n) == 2 &&
		    (!strcmp(name, "QUIC") || !strcmp(name, "QUICv6")))
			total += n;
	fclose(f);
	return total;
}

static void report(void)
{
	size_t i;

	printf("# seed %llu: %llu packets in %d connections, %llu batches (%llu alive after)\n",
	       (unsigned long long)z.seed, (unsigned long long)z.pkt, z.conns,
	       (unsigned long long)z.batches, (unsigned long long)z.alive_batches);
	printf("# packets by level:");
	for (i = 0; i < LVL_MAX; i++)
		printf(" %s %llu", level_name[i], (unsigned long long)z.by_level[i]);
	printf("\n# packets by mutation:");
	for (i = 0; i < K_MAX; i++)
		printf("%s %s %llu", i % 6 ? "" : "\n#  ", kind_name[i],
		       (unsigned long long)z.by_kind[i]);
	printf("\n# closes by error code:");
	for (i = 0; i < ARRAY_SIZE(error_name); i++)
		if (z.closes[i])
			printf("\n#   0x%02zx %s %llu", i, error_name[i],
			       (unsigned long long)z.closes[i]);
	if (z.closes_crypto)
		printf("\n#   CRYPTO_ERROR %llu", (unsigned long long)z.closes_crypto);
	if (z.closes_bad)
		printf("\n#   other %llu", (unsigned long long)z.closes_bad);
	printf("\n# closed by the client's own CONNECTION_CLOSE: %llu, stray connections: %llu\n",
	       (unsigned long long)z.peer_closes, (unsigned long long)z.stray);
	printf("# alive on another connection ID after retiring the one in use: %llu\n",
	       (unsigned long long)z.moved);
}

static void bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n PACKETS] [-c CONNS] [-e LO:HI] [-t CONN]\n"
		"  -s  seed of the run (default: from the time)\n"
		"  -n  mutated packets to send (default %d)\n"
		"  -c  connections to use at most (default: as many as it takes)\n"
		"  -e  transport error codes a close may carry (default 0x0:0x10,\n"
		"      and always 0x100-0x1ff); narrower ranges make the test fail\n"
		"  -t  show every packet of connection CONN, and the server's answers\n",
		prog, PACKETS_DEFAULT);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int64_t t0, end;
	long socks;
	int c, t;

	z.seed = time(NULL);
	z.packets = PACKETS_DEFAULT;
	while ((c = getopt(argc, argv, "s:n:c:e:t:")) != -1) {
		switch (c) {
		case 's':
			z.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			z.packets = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			z.max_conns = atoi(optarg);
			break;
		case 't':
			z.trace = atoi(optarg);
			break;
		case 'e':
			if (sscanf(optarg, "%lli:%lli", (long long *)&err_lo,
				   (long long *)&err_hi) != 2)
				bad_args(argv[0]);
			break;
		default:
			bad_args(argv[0]);
		}
	}
	ksft_print_header();
	ksft_set_plan(T_MAX);
	printf("# seed %llu, %llu packets (rerun: %s -s %llu -n %llu)\n",
	       (unsigned long long)z.seed, (unsigned long long)z.packets, argv[0],
	       (unsigned long long)z.seed, (unsigned long long)z.packets);
	fflush(stdout);

	if (rig_open(&z.r, SRV_MAX_DATA, SRV_STREAM_DATA) ||
	    getsockname(z.r.lfd, (struct sockaddr *)&a, &alen))
		ksft_exit_fail_msg("no listener\n");
	close(z.r.peer.fd);
	z.r.peer.fd = -1;
	t0 = now_ms();
	while (z.pkt < z.packets && (!z.max_conns || z.conns < z.max_conns))
		if (!conn_run(&a))
			break;
	conn_end();
	stray_drain();
	close(z.r.lfd);
	printf("# %lld ms\n", (long long)(now_ms() - t0));
	report();

	/* Closed connections stay three PTOs for late packets, then go. */
	end = now_ms() + SOCKS_WAIT_MS;
	while ((socks = quic_socks()) != 0 && now_ms() < end)
		usleep(100000);
	if (socks)
		fail(T_NO_STUCK, "%ld QUIC sockets left after %d ms", socks, SOCKS_WAIT_MS);
	if (z.pkt < z.packets && z.conns != z.max_conns && !z.fails[T_ESTABLISH])
		fail(T_ESTABLISH, "%llu of %llu packets sent", (unsigned long long)z.pkt,
		     (unsigned long long)z.packets);

	for (t = 0; t < T_MAX; t++) {
		if (z.fails[t])
			printf("# %s: %d failures, seed %llu\n", test_name[t], z.fails[t],
			       (unsigned long long)z.seed);
		ksft_test_result(!z.fails[t], "%s\n", test_name[t]);
	}
	ksft_finished();
}
