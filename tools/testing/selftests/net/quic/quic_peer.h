/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake QUIC client on a plain UDP socket, for tests of the kernel's
 * server: it protects its own packets with the Initial keys of RFC 9001
 * section 5.2, or with made-up Handshake and 1-RTT secrets that the test
 * installs on the server socket too (QUIC_SOCKOPT_CRYPTO_SECRET), and it
 * decrypts and parses what the server sends.  The "rig" pairs it with a
 * kernel listener and the accepted socket, whose TLS handshake it fakes,
 * so that a connection reaches 1-RTT without any TLS library.
 */
#ifndef QUIC_PEER_H
#define QUIC_PEER_H

#include <linux/quic.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC 261
#endif
#ifndef SOL_QUIC
#define SOL_QUIC 288
#endif

#define CID_LEN		8	/* the connection IDs our client picks */
#define CID_MAX		20
#define TAG_LEN		16
#define SAMPLE_LEN	16
#define MIN_INITIAL	1200	/* RFC 9000 section 14.1 */
#define DGRAM_MAX	2048
#define WAIT_MS		3000
#define HELLO_LEN	100	/* the made-up ClientHello */
#define TOKEN_LEN	16	/* Stateless Reset Token */

/* Frame types (RFC 9000 section 19, RFC 9221 section 4) */
enum {
	F_PADDING		= 0x00,
	F_PING			= 0x01,
	F_ACK			= 0x02,
	F_ACK_ECN		= 0x03,
	F_RESET_STREAM		= 0x04,
	F_STOP_SENDING		= 0x05,
	F_CRYPTO		= 0x06,
	F_NEW_TOKEN		= 0x07,
	F_STREAM		= 0x08,
	F_MAX_DATA		= 0x10,
	F_MAX_STREAM_DATA	= 0x11,
	F_MAX_STREAMS_BIDI	= 0x12,
	F_MAX_STREAMS_UNI	= 0x13,
	F_DATA_BLOCKED		= 0x14,
	F_STREAM_DATA_BLOCKED	= 0x15,
	F_STREAMS_BLOCKED_BIDI	= 0x16,
	F_STREAMS_BLOCKED_UNI	= 0x17,
	F_NEW_CID		= 0x18,
	F_RETIRE_CID		= 0x19,
	F_PATH_CHALLENGE	= 0x1a,
	F_PATH_RESPONSE		= 0x1b,
	F_CLOSE			= 0x1c,
	F_CLOSE_APP		= 0x1d,
	F_HANDSHAKE_DONE	= 0x1e,
	F_DATAGRAM		= 0x30,
	F_DATAGRAM_LEN		= 0x31,
};

#define STREAM_FIN	0x01
#define STREAM_LEN	0x02
#define STREAM_OFF	0x04

/* Packet protection levels of the client */
enum { LVL_INITIAL, LVL_HANDSHAKE, LVL_APP, LVL_MAX };

/* Seeds of the made-up secrets: one per level and direction. */
enum { SEED_HS_C = 1, SEED_HS_S, SEED_APP_C, SEED_APP_S };

/* What the server announces, so that the limits are known here. */
#define SRV_STREAMS_BIDI	2
#define SRV_STREAMS_UNI		1
#define SRV_MAX_DATA		600
#define SRV_STREAM_DATA		512
#define SRV_CID_LIMIT		2

/* Packet protection (RFC 9001 section 5), AES-128-GCM */
struct keys {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

/* Writing and reading the wire format */
struct wr {
	uint8_t *p;
	size_t n;
};

struct rd {
	const uint8_t *p;
	size_t len;
	bool bad;
};

#define PN_TRACK	16384	/* 1-RTT packet numbers the client remembers */
#define ISSUED_MAX	8	/* NEW_CONNECTION_ID frames the client remembers */

/* A connection ID the server issued, and its Stateless Reset Token */
struct issued_cid {
	uint64_t seq;
	uint8_t len;
	uint8_t id[CID_MAX];
	uint8_t token[TOKEN_LEN];
};

struct peer {
	int fd;
	uint8_t dcid[32];	/* large enough for bad lengths */
	uint8_t dcid_len;
	uint8_t scid[CID_LEN];
	uint8_t srv_cid[CID_MAX];
	uint8_t srv_cid_len;
	struct keys tx[LVL_MAX], rx[LVL_MAX];
	uint64_t next_pn[LVL_MAX];
	int64_t largest[LVL_MAX];
	uint8_t app_rcvd[PN_TRACK / 8];	/* which 1-RTT packets arrived */
	struct keys rx_phase1;	/* the server's keys of Key Phase 1 */
	bool key_updated;	/* rx_phase1 is set */
	struct issued_cid issued[ISSUED_MAX];	/* during the handshake */
	int n_issued;
	uint8_t token[64];	/* sent in Initials, from a Retry */
	uint8_t token_len;
	uint8_t short_cid_len;	/* of the server's short headers to us, 0: CID_LEN */
};

/* What the server's packets carried. */
#define SEEN_CLOSE	0x1
#define SEEN_DONE	0x2
#define SEEN_FIN	0x4
#define SEEN_HS		0x8	/* a Handshake packet */
#define SEEN_ACK	0x10
#define SEEN_NEW_CID	0x20

struct seen {
	unsigned int flags;
	int bad;		/* packets that did not parse or decrypt */
	int level;		/* of the packet being parsed */
	int close_level;
	uint64_t close_type, error, frame;
	int64_t sid;
	uint8_t data[64];
	size_t data_len;
	int datagrams;		/* DATAGRAM frames */
	int packets;		/* that decrypted */
	uint64_t stream_bytes;	/* in STREAM frames */
	int count[0x40];	/* frames by type */
	uint64_t acked[LVL_MAX];	/* Largest Acknowledged + 1, by level */
	uint64_t blocked;	/* the last STREAMS_BLOCKED limit */
	int64_t reset_sid;	/* the stream of the last RESET_STREAM */
	struct issued_cid issued[ISSUED_MAX];	/* the first NEW_CONNECTION_IDs */
	int n_issued;
	uint64_t issued_next;	/* the highest sequence number issued + 1 */
	uint8_t app_acked[PN_TRACK / 8];	/* client 1-RTT packets acknowledged */
};

/* A server packet's header: its level, where its number and its end are */
struct hdr {
	int level;
	size_t pn_off, len;
};

/* The test rig: a listener, its accepted socket, the client */
struct rig {
	int lfd, sfd;
	struct peer peer;
};

/* A range of packet numbers, for ACK frames */
struct range {
	uint64_t hi, lo;
};

/* What the server lets the client open; a test may raise it. */
extern uint16_t srv_streams_bidi;
extern uint16_t srv_streams_uni;

/* Packet protection: RFC 9001 section 5.2 Initial keys, the made-up
 * secrets of the other levels (one byte repeated), header protection and
 * AEAD
 */
void initial_keys(const uint8_t *dcid, size_t len, struct keys *client,
		  struct keys *server);
void keys_from_seed(uint8_t seed, struct keys *k);
void keys_next_from_seed(uint8_t seed, struct keys *k);
bool hp_mask(const struct keys *k, const uint8_t *sample, uint8_t *mask);
bool aead(const struct keys *k, uint64_t pn, uint8_t *p, size_t hlen,
	  size_t len, bool seal);
int hp_apply(const struct keys *k, uint8_t *p, size_t pn_off, size_t len,
	     bool protect);
bool packet_protect(const struct keys *k, uint8_t *p, size_t pn_off,
		    size_t len, uint64_t pn);
uint64_t pn_decode(int64_t largest, uint64_t truncated, int bits);
int packet_unprotect_phase(const struct keys *k, const struct keys *k1, uint8_t *p,
			   size_t pn_off, size_t len, int64_t largest, uint64_t *pn);
int packet_unprotect(const struct keys *k, uint8_t *p, size_t pn_off,
		     size_t len, int64_t largest, uint64_t *pn);

/* Writing frames and reading them, in the varints of RFC 9000 section 16 */
void w_byte(struct wr *w, uint8_t b);
void w_bytes(struct wr *w, const void *data, size_t len);
void w_be32(struct wr *w, uint32_t v);
void w_fill(struct wr *w, uint8_t b, size_t len);
void w_varint(struct wr *w, uint64_t v);
void w_frame(struct wr *w, uint64_t type, int n, uint64_t a, uint64_t b,
	     uint64_t c);
void w_stream(struct wr *w, uint64_t id, uint64_t off, const void *data,
	      size_t len, bool fin);
void w_new_cid(struct wr *w, uint64_t seq, uint64_t retire_prior_to,
	       uint8_t len);
const uint8_t *rd_bytes(struct rd *r, uint64_t n);
uint64_t rd_uint(struct rd *r, size_t n);
uint64_t rd_varint(struct rd *r);
void rd_skip_varints(struct rd *r, int n);

/* The client: packets of each level, and the parser of the server's */
int peer_open(struct peer *pr, const struct sockaddr_in *srv);
size_t long_build(struct peer *pr, uint8_t *p, int level, const uint8_t *frames,
		  size_t flen, uint8_t rsv);
size_t short_build(struct peer *pr, uint8_t *p, const uint8_t *frames,
		   size_t flen, uint8_t bits);
bool peer_send(struct peer *pr, const uint8_t *p, size_t len);
size_t initial_datagram(struct peer *pr, uint8_t *d, const uint8_t *frames,
			size_t flen, uint8_t rsv, size_t size);
bool peer_send_initial(struct peer *pr, const uint8_t *frames, size_t flen,
		       uint8_t rsv);
bool peer_send_short(struct peer *pr, const uint8_t *frames, size_t flen,
		     uint8_t bits);
bool app_acked(const struct seen *s, uint64_t pn);
void frame_parse(struct rd *r, struct seen *s);
bool hdr_parse(struct peer *pr, const uint8_t *p, size_t len, struct hdr *h);
void peer_datagram(struct peer *pr, uint8_t *p, size_t len, struct seen *s);
int64_t now_ms(void);
void peer_recv(struct peer *pr, struct seen *s, unsigned int want, int ms);
void peer_drain(struct peer *pr);
size_t client_params_bidi(const struct peer *pr, uint8_t *p, uint64_t streams_bidi);
size_t client_params(const struct peer *pr, uint8_t *p);

/* The server socket: handshake messages, secrets, streams, counters */
int hs_send(int fd, uint8_t level, const void *data, size_t len);
int hs_recv(int fd, uint8_t *level, void *buf, size_t len);
int set_secret(int fd, uint8_t level, int send, uint8_t seed);
ssize_t stream_sendmsg(int fd, int64_t sid, uint32_t sflags, int mflags,
		       const void *data, size_t len);
ssize_t stream_send(int fd, int64_t sid, uint32_t flags, const void *data,
		    size_t len);
ssize_t stream_recvmsg(int fd, struct quic_stream_info *info, void *buf, size_t len,
		       int mflags);
ssize_t stream_recv(int fd, struct quic_stream_info *info, void *buf, size_t len);
long mib_read(const char *name);

/*
 * The rig.  rig_open() makes a listener whose connections allow @max_data
 * bytes in all and @stream_data on each stream the client opens, and the
 * client's UDP socket; rig_hello() sends the client's first Initial (a
 * made-up ClientHello) and accepts its connection.  The server's side of
 * the handshake then goes in steps: rig_server_hello() sends its Initial
 * and Handshake messages and installs the Handshake secrets (the client
 * allows the server @streams_bidi bidirectional streams),
 * rig_server_done() installs the 1-RTT secrets, and rig_confirm() waits
 * for the HANDSHAKE_DONE; rig_fake_handshake() does all three.  They
 * return 0, or -1 after saying on stderr what failed.
 */
int rig_open(struct rig *r, uint64_t max_data, uint64_t stream_data);
void rig_close(struct rig *r);
int rig_hello(struct rig *r);
int rig_server_hello(struct rig *r, uint64_t streams_bidi);
int rig_server_done(struct rig *r);
int rig_confirm(struct rig *r);
int rig_fake_handshake(struct rig *r, uint64_t streams_bidi);

/* Time, and the client's acknowledgments of the server's 1-RTT packets */
int64_t now_us(void);
bool app_rcvd(const struct peer *pr, int64_t pn);
void w_ack(struct wr *w, const struct range *rg, int n);
bool peer_ack_all(struct peer *pr);
void peer_take(struct peer *pr, struct seen *s);

#endif /* QUIC_PEER_H */
