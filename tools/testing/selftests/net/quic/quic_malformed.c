// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed input to a kernel QUIC server.  A plain UDP socket plays the
 * client: it builds and protects its own packets with the Initial keys of
 * RFC 9001 section 5.2, or with made-up Handshake and 1-RTT secrets that
 * the test also installs on the server socket (as quic_transport does),
 * and it decrypts the server's packets to find its CONNECTION_CLOSE.
 * Each bad frame must close the connection with the transport error code
 * RFC 9000 (or RFC 9221) gives for it, and the server socket must report
 * the abort; garbage datagrams must be dropped and harm nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest_harness.h"

#include "quic_peer.h"

/* The rig's steps, as test assertions. */
static void peer_init(struct __test_metadata *_metadata, struct peer *pr,
		      const struct sockaddr_in *srv)
{
	ASSERT_EQ(peer_open(pr, srv), 0);
}

static void rig_listen_fc(struct __test_metadata *_metadata, struct rig *r,
			  uint64_t max_data, uint64_t stream_data)
{
	ASSERT_EQ(rig_open(r, max_data, stream_data), 0);
}

static void rig_listen(struct __test_metadata *_metadata, struct rig *r)
{
	rig_listen_fc(_metadata, r, SRV_MAX_DATA, SRV_STREAM_DATA);
}

static void rig_accept(struct __test_metadata *_metadata, struct rig *r)
{
	ASSERT_EQ(rig_hello(r), 0);
}

static void rig_handshake(struct __test_metadata *_metadata, struct rig *r,
			  uint64_t streams_bidi)
{
	ASSERT_EQ(rig_fake_handshake(r, streams_bidi), 0);
}

static void rig_establish_bidi(struct __test_metadata *_metadata, struct rig *r,
			       uint64_t streams_bidi)
{
	rig_accept(_metadata, r);
	rig_handshake(_metadata, r, streams_bidi);
}

static void rig_establish(struct __test_metadata *_metadata, struct rig *r)
{
	rig_establish_bidi(_metadata, r, 8);
}

/* The server closes with a transport CONNECTION_CLOSE (0x1c) at @level
 * carrying @error (or @alt, when the RFC allows two) and the offending
 * frame type.
 */
static void expect_close(struct __test_metadata *_metadata, struct rig *r, int level,
			 uint64_t error, uint64_t alt, uint64_t frame)
{
	struct seen s = {};

	peer_recv(&r->peer, &s, SEEN_CLOSE, WAIT_MS);
	EXPECT_EQ(s.bad, 0);
	ASSERT_TRUE(s.flags & SEEN_CLOSE);
	EXPECT_EQ(s.close_level, level);
	EXPECT_EQ(s.close_type, F_CLOSE);
	if (alt && s.error == alt)
		error = alt;
	EXPECT_EQ(s.error, error);
	EXPECT_EQ(s.frame, frame);
}

/* The server socket learns of its own abort: readable, hung up, with
 * ECONNABORTED once queued data is read, then end of file; no sending.
 */
static void expect_aborted(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	char buf[1024];
	ssize_t n;

	ASSERT_EQ(poll(&p, 1, WAIT_MS), 1);
	EXPECT_EQ(p.revents, POLLIN | POLLRDHUP | POLLERR | POLLHUP);
	do
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0);
	EXPECT_EQ(n, -1);
	EXPECT_EQ(errno, ECONNABORTED);
	EXPECT_EQ(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	EXPECT_EQ(send(fd, "x", 1, MSG_NOSIGNAL), -1);
	EXPECT_EQ(errno, EPIPE);
}

/* ---- RFC 9001 appendix A: the keys and the server's Initial ---- */

static const uint8_t a_dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

static const struct keys a_client = {
	{ 0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46,
	  0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d },
	{ 0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3, 0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c },
	{ 0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10,
	  0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2 },
};

static const struct keys a_server = {
	{ 0xcf, 0x3a, 0x53, 0x31, 0x65, 0x3c, 0x36, 0x4c,
	  0x88, 0xf0, 0xf3, 0x79, 0xb6, 0x06, 0x7e, 0x37 },
	{ 0x0a, 0xc1, 0x49, 0x3c, 0xa1, 0x90, 0x58, 0x53, 0xb0, 0xbb, 0xa0, 0x3e },
	{ 0xc2, 0x06, 0xb8, 0xd9, 0xb9, 0xf0, 0xf3, 0x76,
	  0x44, 0x43, 0x0b, 0x49, 0x0e, 0xea, 0xa3, 0x14 },
};

/* A.2: the client Initial's sample and header protection mask */
static const uint8_t a2_sample[] = {
	0xd1, 0xb1, 0xc9, 0x8d, 0xd7, 0x68, 0x9f, 0xb8,
	0xec, 0x11, 0xd2, 0x42, 0xb1, 0x23, 0xdc, 0x9b,
};

static const uint8_t a2_mask[] = { 0x43, 0x7b, 0x9a, 0xec, 0x36 };

/* A.3: the server Initial, unprotected header, payload, protected packet */
static const uint8_t a3_header[] = {
	0xc1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
	0x42, 0x62, 0xb5, 0x00, 0x40, 0x75, 0x00, 0x01,
};

static const uint8_t a3_payload[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x40, 0x5a, 0x02, 0x00, 0x00,
	0x56, 0x03, 0x03, 0xee, 0xfc, 0xe7, 0xf7, 0xb3, 0x7b, 0xa1, 0xd1, 0x63,
	0x2e, 0x96, 0x67, 0x78, 0x25, 0xdd, 0xf7, 0x39, 0x88, 0xcf, 0xc7, 0x98,
	0x25, 0xdf, 0x56, 0x6d, 0xc5, 0x43, 0x0b, 0x9a, 0x04, 0x5a, 0x12, 0x00,
	0x13, 0x01, 0x00, 0x00, 0x2e, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00,
	0x20, 0x9d, 0x3c, 0x94, 0x0d, 0x89, 0x69, 0x0b, 0x84, 0xd0, 0x8a, 0x60,
	0x99, 0x3c, 0x14, 0x4e, 0xca, 0x68, 0x4d, 0x10, 0x81, 0x28, 0x7c, 0x83,
	0x4d, 0x53, 0x11, 0xbc, 0xf3, 0x2b, 0xb9, 0xda, 0x1a, 0x00, 0x2b, 0x00,
	0x02, 0x03, 0x04,
};

static const uint8_t a3_packet[] = {
	0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
	0x42, 0x62, 0xb5, 0x00, 0x40, 0x75, 0xc0, 0xd9, 0x5a, 0x48, 0x2c, 0xd0,
	0x99, 0x1c, 0xd2, 0x5b, 0x0a, 0xac, 0x40, 0x6a, 0x58, 0x16, 0xb6, 0x39,
	0x41, 0x00, 0xf3, 0x7a, 0x1c, 0x69, 0x79, 0x75, 0x54, 0x78, 0x0b, 0xb3,
	0x8c, 0xc5, 0xa9, 0x9f, 0x5e, 0xde, 0x4c, 0xf7, 0x3c, 0x3e, 0xc2, 0x49,
	0x3a, 0x18, 0x39, 0xb3, 0xdb, 0xcb, 0xa3, 0xf6, 0xea, 0x46, 0xc5, 0xb7,
	0x68, 0x4d, 0xf3, 0x54, 0x8e, 0x7d, 0xde, 0xb9, 0xc3, 0xbf, 0x9c, 0x73,
	0xcc, 0x3f, 0x3b, 0xde, 0xd7, 0x4b, 0x56, 0x2b, 0xfb, 0x19, 0xfb, 0x84,
	0x02, 0x2f, 0x8e, 0xf4, 0xcd, 0xd9, 0x37, 0x95, 0xd7, 0x7d, 0x06, 0xed,
	0xbb, 0x7a, 0xaf, 0x2f, 0x58, 0x89, 0x18, 0x50, 0xab, 0xbd, 0xca, 0x3d,
	0x20, 0x39, 0x8c, 0x27, 0x64, 0x56, 0xcb, 0xc4, 0x21, 0x58, 0x40, 0x7d,
	0xd0, 0x74, 0xee,
};

TEST(rfc9001_initial_keys)
{
	struct keys c, s;
	uint8_t mask[SAMPLE_LEN];

	initial_keys(a_dcid, sizeof(a_dcid), &c, &s);
	ASSERT_EQ(memcmp(&c, &a_client, sizeof(c)), 0);
	ASSERT_EQ(memcmp(&s, &a_server, sizeof(s)), 0);
	ASSERT_TRUE(hp_mask(&c, a2_sample, mask));
	ASSERT_EQ(memcmp(mask, a2_mask, sizeof(a2_mask)), 0);
}

TEST(rfc9001_server_initial)
{
	size_t pn_off = sizeof(a3_header) - 2, len = sizeof(a3_packet);
	uint8_t p[sizeof(a3_packet)];
	uint64_t pn;

	ASSERT_EQ(len, sizeof(a3_header) + sizeof(a3_payload) + TAG_LEN);
	memcpy(p, a3_header, sizeof(a3_header));
	memcpy(p + sizeof(a3_header), a3_payload, sizeof(a3_payload));
	ASSERT_TRUE(packet_protect(&a_server, p, pn_off, len, 1));
	ASSERT_EQ(memcmp(p, a3_packet, len), 0);
	ASSERT_EQ(packet_unprotect(&a_server, p, pn_off, len, 0, &pn), sizeof(a3_header));
	ASSERT_EQ(pn, 1);
	ASSERT_EQ(memcmp(p, a3_header, sizeof(a3_header)), 0);
	ASSERT_EQ(memcmp(p + sizeof(a3_header), a3_payload, sizeof(a3_payload)), 0);
	p[len - 1] ^= 1;	/* a bad tag does not decrypt */
	memcpy(p, a3_packet, len - 1);
	ASSERT_EQ(packet_unprotect(&a_server, p, pn_off, len, 0, &pn), -1);
}

/* ---- The bad frames ---- */

struct bad_case {
	void (*frames)(struct wr *w);
	uint8_t bits;		/* header bits set before protection */
	uint32_t error;		/* the transport error code */
	uint32_t alt;		/* another code the RFC allows, or 0 */
	uint64_t frame;		/* the frame type it reports */
};

static void no_frames(struct wr *w)
{
}

static void ping(struct wr *w)
{
	w_byte(w, F_PING);
}

/* The Length runs past the end of the packet. */
static void crypto_bad_length(struct wr *w)
{
	w_frame(w, F_CRYPTO, 2, 0, 1000, 0);
	w_bytes(w, "hi", 2);
}

/* The packet ends in the middle of the 4-byte Length varint. */
static void crypto_truncated_varint(struct wr *w)
{
	w_frame(w, F_CRYPTO, 1, 0, 0, 0);
	w_bytes(w, "\x80\x12", 2);
}

/* The packet ends in the middle of a 2-byte frame type. */
static void truncated_type(struct wr *w)
{
	w_byte(w, 0x40);
}

/* 0x55 (two bytes, 0x40 0x55) is no frame type (RFC 9000 section 12.4) */
static void unknown_type(struct wr *w)
{
	w_varint(w, 0x55);
}

/* First ACK Range larger than Largest Acknowledged (section 19.3.1) */
static void ack_negative(struct wr *w)
{
	w_frame(w, F_ACK, 3, 0, 0, 0);
	w_varint(w, 5);
}

static void stream_frame(struct wr *w)
{
	w_stream(w, 0, 0, "x", 1, false);
}

static void handshake_done(struct wr *w)
{
	w_byte(w, F_HANDSHAKE_DONE);
}

static void max_data(struct wr *w)
{
	w_frame(w, F_MAX_DATA, 1, 100000, 0, 0);
}

static void new_token(struct wr *w)
{
	w_frame(w, F_NEW_TOKEN, 1, 4, 0, 0);
	w_bytes(w, "tokn", 4);
}

static void path_challenge(struct wr *w)
{
	w_byte(w, F_PATH_CHALLENGE);
	w_bytes(w, "chalenge", 8);
}

/* ECN Counts missing at the end of the packet */
static void ack_ecn_truncated(struct wr *w)
{
	w_frame(w, F_ACK_ECN, 3, 0, 0, 0);
	w_frame(w, 0, 1, 0, 0, 0);
}

/* Section 19.19: a Reason Phrase Length past the end of the packet */
static void close_bad_length(struct wr *w)
{
	w_frame(w, F_CLOSE, 3, QUIC_TRANSPORT_ERROR_NONE, 0, 100);
	w_bytes(w, "bye", 3);
}

FIXTURE(initial) {
	struct rig r;
};

FIXTURE_VARIANT(initial) {
	struct bad_case c;
};

/* RFC 9000 section 12.4: malformed frames are FRAME_ENCODING_ERROR */
FIXTURE_VARIANT_ADD(initial, crypto_bad_length) {
	.c = { crypto_bad_length, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_CRYPTO },
};

FIXTURE_VARIANT_ADD(initial, crypto_truncated_varint) {
	.c = { crypto_truncated_varint, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_CRYPTO },
};

FIXTURE_VARIANT_ADD(initial, truncated_type) {
	.c = { truncated_type, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, 0 },
};

FIXTURE_VARIANT_ADD(initial, unknown_type) {
	.c = { unknown_type, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, 0x55 },
};

FIXTURE_VARIANT_ADD(initial, ack_negative_range) {
	.c = { ack_negative, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_ACK },
};

FIXTURE_VARIANT_ADD(initial, ack_ecn_truncated) {
	.c = { ack_ecn_truncated, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_ACK_ECN },
};

FIXTURE_VARIANT_ADD(initial, close_bad_length) {
	.c = { close_bad_length, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_CLOSE },
};

/* Section 12.4 (table 3): frames an Initial may not carry */
FIXTURE_VARIANT_ADD(initial, stream) {
	.c = { stream_frame, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(initial, handshake_done) {
	.c = { handshake_done, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_HANDSHAKE_DONE },
};

FIXTURE_VARIANT_ADD(initial, max_data) {
	.c = { max_data, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_MAX_DATA },
};

FIXTURE_VARIANT_ADD(initial, new_token) {
	.c = { new_token, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_NEW_TOKEN },
};

FIXTURE_VARIANT_ADD(initial, path_challenge) {
	.c = { path_challenge, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_PATH_CHALLENGE },
};

/* Section 12.4: a packet with no frames */
FIXTURE_VARIANT_ADD(initial, no_frames) {
	.c = { no_frames, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

/* Section 17.2: reserved bits of a long header */
FIXTURE_VARIANT_ADD(initial, reserved_bits) {
	.c = { ping, 0x0c, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

FIXTURE_SETUP(initial)
{
	rig_listen(_metadata, &self->r);
}

FIXTURE_TEARDOWN(initial)
{
	rig_close(&self->r);
}

/* The listener takes the Initial; processing it in accept() closes. */
TEST_F(initial, closes)
{
	const struct bad_case *c = &variant->c;
	uint8_t f[256];
	struct wr w = { f, 0 };

	c->frames(&w);
	ASSERT_TRUE(peer_send_initial(&self->r.peer, f, w.n, c->bits));
	self->r.sfd = accept(self->r.lfd, NULL, NULL);
	ASSERT_GE(self->r.sfd, 0);
	expect_close(_metadata, &self->r, LVL_INITIAL, c->error, c->alt, c->frame);
	expect_aborted(_metadata, self->r.sfd);
}

/* 1-RTT: streams, flow control, and frames a client may not send */

static void stream_over_bidi_limit(struct wr *w)
{
	w_stream(w, SRV_STREAMS_BIDI * 4, 0, NULL, 1, false);
}

static void stream_over_uni_limit(struct wr *w)
{
	w_stream(w, SRV_STREAMS_UNI * 4 + 2, 0, NULL, 1, false);
}

/* Stream 3: the server's unidirectional stream, send-only for it */
static void stream_on_send_only(struct wr *w)
{
	w_stream(w, 3, 0, NULL, 1, false);
}

/* Stream 1: the server's first bidirectional stream, never opened */
static void stream_unopened(struct wr *w)
{
	w_stream(w, 1, 0, NULL, 1, false);
}

/* The highest client bidirectional stream ID there can be */
static void stream_id_max(struct wr *w)
{
	w_stream(w, (1ULL << 62) - 4, 0, NULL, 1, false);
}

static void stream_over_max_stream_data(struct wr *w)
{
	w_stream(w, 0, SRV_STREAM_DATA - 12, NULL, 13, false);
}

/* Each stream within its limit, both over the connection's */
static void streams_over_max_data(struct wr *w)
{
	w_stream(w, 0, 0, NULL, SRV_MAX_DATA / 2 + 1, false);
	w_stream(w, 4, 0, NULL, SRV_MAX_DATA / 2, false);
}

static void final_size_changed(struct wr *w)
{
	w_stream(w, 0, 0, NULL, 10, true);
	w_stream(w, 0, 0, NULL, 20, true);
}

static void data_past_final_size(struct wr *w)
{
	w_stream(w, 0, 0, NULL, 10, true);
	w_stream(w, 0, 10, NULL, 5, false);
}

static void reset_past_final_size(struct wr *w)
{
	w_stream(w, 0, 0, NULL, 10, true);
	w_frame(w, F_RESET_STREAM, 3, 0, 0, 20);
}

static void fin_below_received(struct wr *w)
{
	w_stream(w, 0, 0, NULL, 10, false);
	w_stream(w, 0, 0, NULL, 5, true);
}

static void reset_below_received(struct wr *w)
{
	w_stream(w, 0, 0, NULL, 10, false);
	w_frame(w, F_RESET_STREAM, 3, 0, 0, 5);
}

/* Section 19.4: RESET_STREAM for a send-only stream */
static void reset_send_only(struct wr *w)
{
	w_frame(w, F_RESET_STREAM, 3, 3, 0, 0);
}

/* Sections 19.5, 19.10: STOP_SENDING, MAX_STREAM_DATA for the client's
 * unidirectional stream 2, receive-only for the server
 */
static void stop_sending_recv_only(struct wr *w)
{
	w_frame(w, F_STOP_SENDING, 2, 2, 0, 0);
}

static void max_stream_data_recv_only(struct wr *w)
{
	w_frame(w, F_MAX_STREAM_DATA, 2, 2, 100000, 0);
}

/* ... and for the server's stream 1, not opened yet */
static void stop_sending_unopened(struct wr *w)
{
	w_frame(w, F_STOP_SENDING, 2, 1, 0, 0);
}

static void max_stream_data_unopened(struct wr *w)
{
	w_frame(w, F_MAX_STREAM_DATA, 2, 1, 100000, 0);
}

/* Section 19.13: STREAM_DATA_BLOCKED for the server's send-only stream 3 */
static void stream_data_blocked_send_only(struct wr *w)
{
	w_frame(w, F_STREAM_DATA_BLOCKED, 2, 3, 0, 0);
}

/* Section 19.11: more than 2^60 streams */
static void max_streams_too_big(struct wr *w)
{
	w_frame(w, F_MAX_STREAMS_BIDI, 1, (1ULL << 60) + 1, 0, 0);
}

/* The ACK frequency draft, section 4: a Requested Max Ack Delay below the
 * min_ack_delay we announce, or not a valid max_ack_delay (2^14 ms)
 */
static void ack_frequency_delay(struct wr *w, uint64_t delay)
{
	w_varint(w, 0xaf);
	w_varint(w, 0);		/* Sequence Number */
	w_varint(w, 1);		/* Ack-Eliciting Threshold */
	w_varint(w, delay);	/* Requested Max Ack Delay, microseconds */
	w_varint(w, 1);		/* Reordering Threshold */
}

static void ack_frequency_below_min(struct wr *w)
{
	ack_frequency_delay(w, 0);
}

static void ack_frequency_too_long(struct wr *w)
{
	ack_frequency_delay(w, 16384000);
}

/* Section 19.14: the same for STREAMS_BLOCKED */
static void streams_blocked_too_big(struct wr *w)
{
	w_frame(w, F_STREAMS_BLOCKED_UNI, 1, (1ULL << 60) + 1, 0, 0);
}

/* Section 19.8: an offset and length past 2^62 - 1 */
static void stream_offset_too_big(struct wr *w)
{
	w_stream(w, 0, (1ULL << 62) - 1, NULL, 1, false);
}

/* Section 19.16: a sequence number the server never sent */
static void retire_unknown_cid(struct wr *w)
{
	w_frame(w, F_RETIRE_CID, 1, 100, 0, 0);
}

/* Section 19.15: Retire Prior To above the Sequence Number, bad lengths */
static void new_cid_retire_above_seq(struct wr *w)
{
	w_new_cid(w, 1, 2, CID_LEN);
}

static void new_cid_zero_length(struct wr *w)
{
	w_new_cid(w, 1, 0, 0);
}

static void new_cid_too_long(struct wr *w)
{
	w_new_cid(w, 1, 0, CID_MAX + 1);
}

/* Section 5.1.1: more IDs than active_connection_id_limit */
static void new_cid_over_limit(struct wr *w)
{
	int i;

	for (i = 1; i <= SRV_CID_LIMIT; i++)
		w_new_cid(w, i, 0, CID_LEN);
}

/* Section 13.1: an ACK of a packet never sent */
static void ack_unsent(struct wr *w)
{
	w_frame(w, F_ACK, 3, 1000, 0, 0);
	w_varint(w, 0);
}

/* An ACK Range Count far beyond what the packet holds */
static void ack_huge_range_count(struct wr *w)
{
	w_frame(w, F_ACK, 3, 0, 0, (1ULL << 62) - 1);
	w_frame(w, 0, 2, 0, 0, 0);
}

/* RFC 9221 section 3: DATAGRAM without max_datagram_frame_size */
static void datagram(struct wr *w)
{
	w_frame(w, F_DATAGRAM_LEN, 1, 1, 0, 0);
	w_byte(w, 'x');
}

FIXTURE(app) {
	struct rig r;
};

FIXTURE_VARIANT(app) {
	struct bad_case c;
};

/* RFC 9000 section 4.6 */
FIXTURE_VARIANT_ADD(app, stream_over_bidi_limit) {
	.c = { stream_over_bidi_limit, 0, QUIC_TRANSPORT_ERROR_STREAM_LIMIT, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(app, stream_over_uni_limit) {
	.c = { stream_over_uni_limit, 0, QUIC_TRANSPORT_ERROR_STREAM_LIMIT, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(app, stream_id_max) {
	.c = { stream_id_max, 0, QUIC_TRANSPORT_ERROR_STREAM_LIMIT, 0, 0x0e },
};

/* Section 19.8 */
FIXTURE_VARIANT_ADD(app, stream_on_send_only) {
	.c = { stream_on_send_only, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(app, stream_unopened) {
	.c = { stream_unopened, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0, 0x0e },
};

/* Section 4.1 */
FIXTURE_VARIANT_ADD(app, stream_over_max_stream_data) {
	.c = { stream_over_max_stream_data, 0, QUIC_TRANSPORT_ERROR_FLOW_CONTROL, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(app, streams_over_max_data) {
	.c = { streams_over_max_data, 0, QUIC_TRANSPORT_ERROR_FLOW_CONTROL, 0, 0x0e },
};

/* Section 4.5 */
FIXTURE_VARIANT_ADD(app, final_size_changed) {
	.c = { final_size_changed, 0, QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0, 0x0f },
};

FIXTURE_VARIANT_ADD(app, data_past_final_size) {
	.c = { data_past_final_size, 0, QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(app, reset_past_final_size) {
	.c = { reset_past_final_size, 0, QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0, F_RESET_STREAM },
};

FIXTURE_VARIANT_ADD(app, fin_below_received) {
	.c = { fin_below_received, 0, QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0, 0x0f },
};

FIXTURE_VARIANT_ADD(app, reset_below_received) {
	.c = { reset_below_received, 0, QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0, F_RESET_STREAM },
};

FIXTURE_VARIANT_ADD(app, reset_send_only) {
	.c = { reset_send_only, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0, F_RESET_STREAM },
};

FIXTURE_VARIANT_ADD(app, stop_sending_recv_only) {
	.c = { stop_sending_recv_only, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0,
	       F_STOP_SENDING },
};

FIXTURE_VARIANT_ADD(app, max_stream_data_recv_only) {
	.c = { max_stream_data_recv_only, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0,
	       F_MAX_STREAM_DATA },
};

FIXTURE_VARIANT_ADD(app, stop_sending_unopened) {
	.c = { stop_sending_unopened, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0,
	       F_STOP_SENDING },
};

FIXTURE_VARIANT_ADD(app, max_stream_data_unopened) {
	.c = { max_stream_data_unopened, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0,
	       F_MAX_STREAM_DATA },
};

FIXTURE_VARIANT_ADD(app, stream_data_blocked_send_only) {
	.c = { stream_data_blocked_send_only, 0, QUIC_TRANSPORT_ERROR_STREAM_STATE, 0,
	       F_STREAM_DATA_BLOCKED },
};

FIXTURE_VARIANT_ADD(app, streams_blocked_too_big) {
	.c = { streams_blocked_too_big, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0,
	       F_STREAMS_BLOCKED_UNI },
};

FIXTURE_VARIANT_ADD(app, ack_frequency_below_min) {
	.c = { ack_frequency_below_min, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0xaf },
};

FIXTURE_VARIANT_ADD(app, ack_frequency_too_long) {
	.c = { ack_frequency_too_long, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0xaf },
};

FIXTURE_VARIANT_ADD(app, max_streams_too_big) {
	.c = { max_streams_too_big, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0,
	       F_MAX_STREAMS_BIDI },
};

FIXTURE_VARIANT_ADD(app, stream_offset_too_big) {
	.c = { stream_offset_too_big, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING,
	       QUIC_TRANSPORT_ERROR_FLOW_CONTROL, 0x0e },
};

/* Sections 19.20, 19.7: frames only a server sends */
FIXTURE_VARIANT_ADD(app, handshake_done) {
	.c = { handshake_done, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_HANDSHAKE_DONE },
};

FIXTURE_VARIANT_ADD(app, new_token) {
	.c = { new_token, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_NEW_TOKEN },
};

FIXTURE_VARIANT_ADD(app, retire_unknown_cid) {
	.c = { retire_unknown_cid, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_RETIRE_CID },
};

FIXTURE_VARIANT_ADD(app, new_cid_retire_above_seq) {
	.c = { new_cid_retire_above_seq, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_NEW_CID },
};

FIXTURE_VARIANT_ADD(app, new_cid_zero_length) {
	.c = { new_cid_zero_length, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_NEW_CID },
};

FIXTURE_VARIANT_ADD(app, new_cid_too_long) {
	.c = { new_cid_too_long, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_NEW_CID },
};

FIXTURE_VARIANT_ADD(app, new_cid_over_limit) {
	.c = { new_cid_over_limit, 0, QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT, 0, F_NEW_CID },
};

FIXTURE_VARIANT_ADD(app, ack_unsent) {
	.c = { ack_unsent, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_ACK },
};

FIXTURE_VARIANT_ADD(app, ack_huge_range_count) {
	.c = { ack_huge_range_count, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_ACK },
};

FIXTURE_VARIANT_ADD(app, close_bad_length) {
	.c = { close_bad_length, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_CLOSE },
};

FIXTURE_VARIANT_ADD(app, datagram_not_announced) {
	.c = { datagram, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_DATAGRAM_LEN },
};

FIXTURE_VARIANT_ADD(app, unknown_type) {
	.c = { unknown_type, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, 0x55 },
};

FIXTURE_VARIANT_ADD(app, truncated_type) {
	.c = { truncated_type, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, 0 },
};

FIXTURE_VARIANT_ADD(app, no_frames) {
	.c = { no_frames, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

/* Section 17.3.1: reserved bits of a short header */
FIXTURE_VARIANT_ADD(app, reserved_bits) {
	.c = { ping, 0x18, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

FIXTURE_SETUP(app)
{
	rig_listen(_metadata, &self->r);
	rig_establish(_metadata, &self->r);
}

FIXTURE_TEARDOWN(app)
{
	rig_close(&self->r);
}

TEST_F(app, closes)
{
	const struct bad_case *c = &variant->c;
	uint8_t f[1024];
	struct wr w = { f, 0 };

	c->frames(&w);
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, c->bits));
	expect_close(_metadata, &self->r, LVL_APP, c->error, c->alt, c->frame);
	expect_aborted(_metadata, self->r.sfd);
}

/* Handshake packets, before the server has its 1-RTT keys */

FIXTURE(handshake) {
	struct rig r;
};

FIXTURE_VARIANT(handshake) {
	struct bad_case c;
};

FIXTURE_VARIANT_ADD(handshake, crypto_bad_length) {
	.c = { crypto_bad_length, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, F_CRYPTO },
};

FIXTURE_VARIANT_ADD(handshake, unknown_type) {
	.c = { unknown_type, 0, QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0, 0x55 },
};

FIXTURE_VARIANT_ADD(handshake, stream) {
	.c = { stream_frame, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0x0e },
};

FIXTURE_VARIANT_ADD(handshake, handshake_done) {
	.c = { handshake_done, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, F_HANDSHAKE_DONE },
};

FIXTURE_VARIANT_ADD(handshake, no_frames) {
	.c = { no_frames, 0, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

FIXTURE_VARIANT_ADD(handshake, reserved_bits) {
	.c = { ping, 0x0c, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0, 0 },
};

/* The server sends its "ServerHello" and "EncryptedExtensions" and
 * waits for the client's Handshake packets.
 */
FIXTURE_SETUP(handshake)
{
	struct seen s = {};
	uint8_t buf[256];
	size_t n;

	rig_listen(_metadata, &self->r);
	rig_accept(_metadata, &self->r);
	n = client_params(&self->r.peer, buf);
	ASSERT_EQ(setsockopt(self->r.sfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, buf, n),
		  0);
	memset(buf, 'S', 64);
	ASSERT_EQ(hs_send(self->r.sfd, QUIC_CRYPTO_INITIAL, buf, 64), 64);
	ASSERT_EQ(set_secret(self->r.sfd, QUIC_CRYPTO_HANDSHAKE, 1, SEED_HS_S), 0);
	ASSERT_EQ(set_secret(self->r.sfd, QUIC_CRYPTO_HANDSHAKE, 0, SEED_HS_C), 0);
	ASSERT_EQ(hs_send(self->r.sfd, QUIC_CRYPTO_HANDSHAKE, buf, 64), 64);
	peer_recv(&self->r.peer, &s, SEEN_HS, WAIT_MS);
	ASSERT_EQ(s.bad, 0);
	ASSERT_TRUE(s.flags & SEEN_HS);
}

FIXTURE_TEARDOWN(handshake)
{
	rig_close(&self->r);
}

/* RFC 9000 section 10.2.3: the close goes in Handshake packets (and in
 * Initial ones, which the client may not read any more).
 */
TEST_F(handshake, closes)
{
	const struct bad_case *c = &variant->c;
	uint8_t f[256], d[DGRAM_MAX];
	struct wr w = { f, 0 };
	size_t n;

	c->frames(&w);
	n = long_build(&self->r.peer, d, LVL_HANDSHAKE, f, w.n, c->bits);
	ASSERT_TRUE(peer_send(&self->r.peer, d, n));
	expect_close(_metadata, &self->r, LVL_HANDSHAKE, c->error, c->alt, c->frame);
	expect_aborted(_metadata, self->r.sfd);
}

/* ---- Garbage: dropped, and nothing else happens ---- */

static void fill_random(uint8_t *p, size_t n, uint64_t *state)
{
	while (n--) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		*p++ = *state >> 56;
	}
}

FIXTURE(garbage) {
	struct rig r;
};

FIXTURE_SETUP(garbage)
{
	rig_listen(_metadata, &self->r);
}

FIXTURE_TEARDOWN(garbage)
{
	rig_close(&self->r);
}

/* Datagrams that must not give the listener a connection. */
static void send_listener_garbage(struct __test_metadata *_metadata, struct peer *pr)
{
	uint8_t d[DGRAM_MAX], f[] = { F_PING };
	uint64_t state = 1;
	size_t n;

	ASSERT_EQ(send(pr->fd, d, 0, 0), 0);		/* empty */
	d[0] = 0xc0;
	ASSERT_TRUE(peer_send(pr, d, 1));
	memcpy(d, "\xc0\0\0\0\1\x08", 6);		/* a header cut short */
	ASSERT_TRUE(peer_send(pr, d, 6));
	fill_random(d, MIN_INITIAL, &state);
	d[0] |= 0x80;					/* random long header */
	ASSERT_TRUE(peer_send(pr, d, MIN_INITIAL));
	d[0] &= 0x7f;					/* random short header */
	ASSERT_TRUE(peer_send(pr, d, MIN_INITIAL));

	/* A well-formed Initial in a datagram one byte too small (14.1) */
	ASSERT_TRUE(peer_send(pr, d, initial_datagram(pr, d, f, 1, 0, MIN_INITIAL - 1)));
	/* ... of an unknown version, and with its Length past the end */
	n = initial_datagram(pr, d, f, 1, 0, MIN_INITIAL);
	memcpy(d + 1, "\x1a\x2a\x3a\x4a", 4);
	ASSERT_TRUE(peer_send(pr, d, n));
	n = initial_datagram(pr, d, f, 1, 0, MIN_INITIAL);
	d[6 + CID_LEN + 1 + CID_LEN + 1] = 0x7f;	/* Length 0x3fxx */
	ASSERT_TRUE(peer_send(pr, d, n));
	/* ... and with the fixed bit clear (17.2) */
	n = initial_datagram(pr, d, f, 1, 0, MIN_INITIAL);
	d[0] &= ~0x40;
	ASSERT_TRUE(peer_send(pr, d, n));
	/* Destination Connection IDs shorter than 8 (7.2) and over 20 bytes */
	pr->dcid_len = CID_LEN - 1;
	ASSERT_TRUE(peer_send(pr, d, initial_datagram(pr, d, f, 1, 0, MIN_INITIAL)));
	pr->dcid_len = CID_MAX + 1;
	ASSERT_TRUE(peer_send(pr, d, initial_datagram(pr, d, f, 1, 0, MIN_INITIAL)));
	pr->dcid_len = CID_LEN;
	/* A Handshake packet to nobody's connection ID */
	memcpy(pr->srv_cid, pr->dcid, CID_LEN);
	pr->srv_cid_len = CID_LEN;
	n = long_build(pr, d, LVL_HANDSHAKE, f, 1, 0);
	memset(d + n, 0, MIN_INITIAL - n);
	ASSERT_TRUE(peer_send(pr, d, MIN_INITIAL));
	pr->srv_cid_len = 0;
}

TEST_F(garbage, listener)
{
	struct pollfd p = { .fd = self->r.lfd, .events = POLLIN };
	int flags = fcntl(self->r.lfd, F_GETFL);

	send_listener_garbage(_metadata, &self->r.peer);
	EXPECT_EQ(poll(&p, 1, 500), 0);
	ASSERT_EQ(fcntl(self->r.lfd, F_SETFL, flags | O_NONBLOCK), 0);
	EXPECT_EQ(accept(self->r.lfd, NULL, NULL), -1);
	EXPECT_EQ(errno, EAGAIN);
	ASSERT_EQ(fcntl(self->r.lfd, F_SETFL, flags), 0);
	peer_drain(&self->r.peer);

	/* The listener still takes a good Initial. */
	rig_accept(_metadata, &self->r);
}

/*
 * A version we do not speak (RFC 9000 section 6.1): a datagram of 1200
 * bytes gets a Version Negotiation packet with the IDs swapped and both
 * versions listed; a smaller one gets nothing.  No connection comes of it.
 */
static void check_version_negotiation(struct __test_metadata *_metadata,
				      struct peer *pr, const uint8_t *d, ssize_t n)
{
	bool v1 = false, v2 = false;
	size_t off;

	ASSERT_GE(n, 7 + CID_LEN + pr->dcid_len + 8);
	EXPECT_EQ(d[0] & 0xc0, 0xc0);		/* long header, fixed bit */
	EXPECT_EQ(0, memcmp(d + 1, "\0\0\0\0", 4));
	ASSERT_EQ(d[5], CID_LEN);
	EXPECT_EQ(0, memcmp(d + 6, pr->scid, CID_LEN));
	ASSERT_EQ(d[6 + CID_LEN], pr->dcid_len);
	EXPECT_EQ(0, memcmp(d + 7 + CID_LEN, pr->dcid, pr->dcid_len));
	off = 7 + CID_LEN + pr->dcid_len;
	EXPECT_EQ((n - off) % 4, 0);
	for (; off + 4 <= n; off += 4) {
		uint32_t v = (uint32_t)d[off] << 24 | d[off + 1] << 16 | d[off + 2] << 8 |
			     d[off + 3];

		v1 |= v == 0x00000001;
		v2 |= v == 0x6b3343cf;
	}
	EXPECT_TRUE(v1);
	EXPECT_TRUE(v2);
}

TEST_F(garbage, version_negotiation)
{
	struct pollfd p = { .fd = self->r.peer.fd, .events = POLLIN };
	struct peer *pr = &self->r.peer;
	uint8_t d[DGRAM_MAX], f[] = { F_PING };
	ssize_t n;

	peer_drain(pr);
	n = initial_datagram(pr, d, f, 1, 0, MIN_INITIAL - 1);
	memcpy(d + 1, "\x1a\x2a\x3a\x4a", 4);
	ASSERT_TRUE(peer_send(pr, d, n));
	EXPECT_EQ(poll(&p, 1, 500), 0);

	n = initial_datagram(pr, d, f, 1, 0, MIN_INITIAL);
	memcpy(d + 1, "\x1a\x2a\x3a\x4a", 4);
	ASSERT_TRUE(peer_send(pr, d, n));
	ASSERT_EQ(poll(&p, 1, 5000), 1);
	n = recv(pr->fd, d, sizeof(d), 0);
	check_version_negotiation(_metadata, pr, d, n);
	EXPECT_EQ(mib_read("QuicVersionNegotiationSent") > 0, true);

	/* The listener still takes a good Initial. */
	rig_accept(_metadata, &self->r);
}

/* An Initial of PADDING only has frames: not an error (12.4), and the
 * connection goes on with the next Initial.
 */
TEST_F(garbage, padding_only_initial)
{
	struct pollfd p = { .events = POLLIN | POLLOUT };
	uint8_t f[16] = {}, buf[256], level = 0xff;
	struct seen s = {};
	struct wr w = { f, 0 };

	ASSERT_TRUE(peer_send_initial(&self->r.peer, f, 8, 0));
	self->r.sfd = accept(self->r.lfd, NULL, NULL);
	ASSERT_GE(self->r.sfd, 0);
	peer_recv(&self->r.peer, &s, SEEN_CLOSE, 500);
	EXPECT_EQ(s.bad, 0);
	EXPECT_FALSE(s.flags & SEEN_CLOSE);
	p.fd = self->r.sfd;
	EXPECT_EQ(poll(&p, 1, 0), 0);

	w_frame(&w, F_CRYPTO, 2, 0, 5, 0);
	w_bytes(&w, "hello", 5);
	ASSERT_TRUE(peer_send_initial(&self->r.peer, f, w.n, 0));
	ASSERT_EQ(hs_recv(self->r.sfd, &level, buf, sizeof(buf)), 5);
	EXPECT_EQ(level, QUIC_CRYPTO_INITIAL);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
}

/* RFC 9000 section 12.2: a receiver SHOULD ignore a coalesced packet with
 * another Destination Connection ID than the first.  The second Initial
 * here, under the same keys, carries a HANDSHAKE_DONE that would close
 * the connection.
 */
TEST_F(garbage, coalesced_other_dcid)
{
	struct pollfd p = { .events = POLLIN | POLLOUT };
	uint8_t f[16], d[DGRAM_MAX], buf[256], level = 0xff;
	static const uint8_t done[DGRAM_MAX] = { F_HANDSHAKE_DONE };
	struct peer *pr = &self->r.peer;
	struct wr w = { f, 0 };
	struct seen s = {};
	size_t n;

	w_frame(&w, F_CRYPTO, 2, 0, 5, 0);
	w_bytes(&w, "hello", 5);
	n = long_build(pr, d, LVL_INITIAL, f, w.n, 0);
	pr->dcid[0] ^= 0xff;
	/* the same header size: the datagram ends at MIN_INITIAL */
	n += long_build(pr, d + n, LVL_INITIAL, done, MIN_INITIAL - 2 * n + w.n, 0);
	pr->dcid[0] ^= 0xff;
	ASSERT_EQ(n, MIN_INITIAL);
	ASSERT_TRUE(peer_send(pr, d, n));

	self->r.sfd = accept(self->r.lfd, NULL, NULL);
	ASSERT_GE(self->r.sfd, 0);
	ASSERT_EQ(hs_recv(self->r.sfd, &level, buf, sizeof(buf)), 5);
	peer_recv(pr, &s, SEEN_CLOSE, 500);
	EXPECT_EQ(s.bad, 0);
	EXPECT_FALSE(s.flags & SEEN_CLOSE);
	p.fd = self->r.sfd;
	EXPECT_EQ(poll(&p, 1, 0), 0);
}

/* 1-RTT packets that do not decrypt: a bad tag, a bad ciphertext, and
 * the other key phase (the keys of the next phase do not open it either).
 */
static void send_undecryptable(struct __test_metadata *_metadata, struct peer *pr)
{
	uint8_t d[DGRAM_MAX], f[24] = { F_PING };
	size_t n;

	n = short_build(pr, d, f, sizeof(f), 0);
	d[n - 1] ^= 0x01;
	ASSERT_TRUE(peer_send(pr, d, n));
	n = short_build(pr, d, f, sizeof(f), 0);
	d[n - TAG_LEN - 1] ^= 0x80;
	ASSERT_TRUE(peer_send(pr, d, n));
	ASSERT_TRUE(peer_send(pr, d, short_build(pr, d, f, sizeof(f), 0x04)));
}

/* Datagrams for the connection that are dropped before decryption. */
static void send_connection_garbage(struct __test_metadata *_metadata, struct peer *pr)
{
	uint8_t d[DGRAM_MAX], f[] = { F_PING };
	size_t n = 1 + pr->srv_cid_len;
	uint64_t state = 2;

	fill_random(d, sizeof(d), &state);
	d[0] = 0x40;
	memcpy(d + 1, pr->srv_cid, pr->srv_cid_len);
	ASSERT_TRUE(peer_send(pr, d, n));		/* header only */
	ASSERT_TRUE(peer_send(pr, d, n + 3));		/* no room to sample */
	ASSERT_TRUE(peer_send(pr, d, n + 64));		/* random after the ID */
	ASSERT_TRUE(peer_send(pr, d, 1));
	ASSERT_EQ(send(pr->fd, d, 0, 0), 0);
	/* Long headers to the connection's ID: Handshake and Initial after
	 * their keys are gone, and an unknown version
	 */
	n = long_build(pr, d, LVL_HANDSHAKE, f, 1, 0);
	ASSERT_TRUE(peer_send(pr, d, n));
	d[0] |= 0x30;					/* a Retry */
	ASSERT_TRUE(peer_send(pr, d, n));
	memcpy(d + 1, "\x1a\x2a\x3a\x4a", 4);
	ASSERT_TRUE(peer_send(pr, d, n));
	memset(d + 1, 0, 4);				/* Version Negotiation */
	ASSERT_TRUE(peer_send(pr, d, n));
	memcpy(pr->dcid, pr->srv_cid, pr->srv_cid_len);
	pr->dcid_len = pr->srv_cid_len;
	ASSERT_TRUE(peer_send_initial(pr, f, 1, 0));
}

/* A 1-RTT packet with the fixed bit clear (RFC 9000 section 17.3.1,
 * no grease_quic_bit announced) must be discarded: the HANDSHAKE_DONE in
 * it would close the connection.
 */
static void send_fixed_bit_zero(struct __test_metadata *_metadata, struct peer *pr)
{
	uint8_t d[DGRAM_MAX], f[24] = { F_HANDSHAKE_DONE };
	size_t n = short_build(pr, d, f, sizeof(f), 0);

	d[0] &= ~0x40;
	ASSERT_TRUE(peer_send(pr, d, n));
}

/* Wait for the counter to reach @want; returns the last value. */
static long mib_wait(const char *name, long want)
{
	long v = mib_read(name);
	int i;

	for (i = 0; i < 100 && v < want; i++) {
		usleep(10000);
		v = mib_read(name);
	}
	return v;
}

TEST_F(garbage, connection)
{
	struct quic_stream_info info = {};
	uint8_t f[64], buf[64];
	struct wr w = { f, 0 };
	struct seen s = {};
	long base;

	rig_establish(_metadata, &self->r);
	base = mib_read("QuicPacketsUndecryptable");
	ASSERT_GE(base, 0);
	send_undecryptable(_metadata, &self->r.peer);
	EXPECT_EQ(mib_wait("QuicPacketsUndecryptable", base + 3), base + 3);
	send_connection_garbage(_metadata, &self->r.peer);
	send_fixed_bit_zero(_metadata, &self->r.peer);

	/* The connection still moves data both ways. */
	w_stream(&w, 0, 0, "hello", 5, true);
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
	ASSERT_EQ(stream_recv(self->r.sfd, &info, buf, sizeof(buf)), 5);
	EXPECT_EQ(info.stream_id, 0);
	EXPECT_TRUE(info.stream_flags & MSG_QUIC_STREAM_FIN);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	ASSERT_EQ(stream_send(self->r.sfd, 0, MSG_QUIC_STREAM_FIN, "world", 5), 5);
	peer_recv(&self->r.peer, &s, SEEN_FIN | SEEN_CLOSE, WAIT_MS);
	EXPECT_EQ(s.bad, 0);
	ASSERT_EQ(s.flags & (SEEN_FIN | SEEN_CLOSE), SEEN_FIN);
	EXPECT_EQ(s.sid, 0);
	ASSERT_EQ(s.data_len, 5);
	EXPECT_EQ(memcmp(s.data, "world", 5), 0);

	/* Acknowledge it: close() is graceful and would otherwise keep the
	 * socket, resending, until the idle timeout.
	 */
	w = (struct wr){ f, 0 };
	w_frame(&w, F_ACK, 3, self->r.peer.largest[LVL_APP], 0, 0);
	w_varint(&w, self->r.peer.largest[LVL_APP]);
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
}

/* RFC 9221 section 5.2: a datagram is sent once.  The client acknowledges
 * everything up to HANDSHAKE_DONE but not the packet with the datagram:
 * the probes that follow must not carry it again.
 */
TEST_F(garbage, datagram_not_resent)
{
	uint8_t f[32], d[100];
	struct seen s = {};
	int64_t largest;
	struct wr w;

	rig_establish(_metadata, &self->r);
	w = (struct wr){ f, 0 };
	largest = self->r.peer.largest[LVL_APP];
	ASSERT_GE(largest, 0);
	w_frame(&w, F_ACK, 3, largest, 0, 0);
	w_varint(&w, largest);	/* First ACK Range: all of them */
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
	usleep(100000);
	peer_drain(&self->r.peer);
	memset(d, 'g', sizeof(d));
	ASSERT_EQ(send(self->r.sfd, d, sizeof(d), MSG_QUIC_DATAGRAM), sizeof(d));
	/* Several probe timeouts: the RTT on loopback is tiny. */
	peer_recv(&self->r.peer, &s, 0, 1500);
	EXPECT_EQ(s.bad, 0);
	EXPECT_EQ(s.datagrams, 1);
}

/* ---- RFC 9000 section 10.2: the closing and draining periods ---- */

FIXTURE(closing) {
	struct rig r;
};

FIXTURE_SETUP(closing)
{
	rig_listen(_metadata, &self->r);
	rig_establish(_metadata, &self->r);
}

FIXTURE_TEARDOWN(closing)
{
	rig_close(&self->r);
}

/* A 1-RTT PING; returns whether the server sent a CONNECTION_CLOSE within
 * @ms, checking it is the one it closed with.
 */
static bool ping_gets_close(struct __test_metadata *_metadata, struct rig *r, int ms)
{
	uint8_t f[] = { F_PING };
	struct seen s = {};

	EXPECT_TRUE(peer_send_short(&r->peer, f, sizeof(f), 0));
	peer_recv(&r->peer, &s, SEEN_CLOSE, ms);
	EXPECT_EQ(s.bad, 0);	/* no Stateless Reset either */
	if (!(s.flags & SEEN_CLOSE))
		return false;
	EXPECT_EQ(s.close_type, F_CLOSE);
	EXPECT_EQ(s.error, QUIC_TRANSPORT_ERROR_FRAME_ENCODING);
	EXPECT_EQ(s.frame, 0x55);
	return true;
}

/* Closing state (10.2.1): after closing for an error, and after the user
 * closed the socket too, late packets get the CONNECTION_CLOSE again, to
 * the 1st, 2nd and 4th of them but not the 3rd, and no Stateless Reset.
 */
TEST_F(closing, close_resent)
{
	long resets = mib_read("QuicStatelessResetSent");
	uint8_t f[8];
	struct wr w = { f, 0 };

	ASSERT_GE(resets, 0);
	unknown_type(&w);
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
	expect_close(_metadata, &self->r, LVL_APP, QUIC_TRANSPORT_ERROR_FRAME_ENCODING,
		     0, 0x55);
	close(self->r.sfd);
	self->r.sfd = -1;
	EXPECT_TRUE(ping_gets_close(_metadata, &self->r, WAIT_MS));
	EXPECT_TRUE(ping_gets_close(_metadata, &self->r, WAIT_MS));
	EXPECT_FALSE(ping_gets_close(_metadata, &self->r, 200));
	EXPECT_TRUE(ping_gets_close(_metadata, &self->r, WAIT_MS));
	EXPECT_EQ(mib_read("QuicStatelessResetSent"), resets);
}

/* Draining state (10.2.2): after the peer's CONNECTION_CLOSE, and after
 * the user closed the socket, late packets are absorbed: no answer, no
 * Stateless Reset.
 */
TEST_F(closing, drain_silent)
{
	long resets = mib_read("QuicStatelessResetSent");
	uint8_t f[16], buf[64];
	struct wr w = { f, 0 };
	struct seen s = {};
	int i;

	ASSERT_GE(resets, 0);
	w_frame(&w, F_CLOSE, 3, 0, 0, 0);	/* NO_ERROR, no phrase */
	ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
	/* The server socket sees end of file: the peer closed without error. */
	EXPECT_EQ(recv(self->r.sfd, buf, sizeof(buf), 0), 0);
	close(self->r.sfd);
	self->r.sfd = -1;
	peer_drain(&self->r.peer);
	for (i = 0; i < 3; i++) {
		w.n = 0;
		ping(&w);
		ASSERT_TRUE(peer_send_short(&self->r.peer, f, w.n, 0));
	}
	peer_recv(&self->r.peer, &s, SEEN_CLOSE, 500);
	EXPECT_EQ(s.flags & SEEN_CLOSE, 0);
	EXPECT_EQ(s.bad, 0);
	EXPECT_EQ(mib_read("QuicStatelessResetSent"), resets);
}

/* ---- A kernel client against a server that stays silent ---- */

/*
 * The fake server's side of one client datagram: an Initial of at least
 * 1200 bytes (RFC 9000 section 14.1).  The first one gives the keys and
 * the client's ID.  Returns its packet number, or -1.
 */
static int64_t client_initial(struct peer *srv, uint8_t *d, ssize_t n)
{
	struct keys client, server;
	uint64_t pn;
	struct hdr h;

	if (n < MIN_INITIAL || !(d[0] & 0x80) || d[5] > CID_MAX)
		return -1;
	if (!srv->srv_cid_len) {
		initial_keys(d + 6, d[5], &client, &server);
		srv->rx[LVL_INITIAL] = client;
		srv->tx[LVL_INITIAL] = server;
		srv->largest[LVL_INITIAL] = -1;
	}
	if (!hdr_parse(srv, d, n, &h) || h.level != LVL_INITIAL ||
	    packet_unprotect(&srv->rx[LVL_INITIAL], d, h.pn_off, h.len,
			     srv->largest[LVL_INITIAL], &pn) < 0)
		return -1;
	/* hdr_parse() kept the client's ID: the server sends to it. */
	memcpy(srv->dcid, srv->srv_cid, srv->srv_cid_len);
	srv->dcid_len = srv->srv_cid_len;
	if ((int64_t)pn > srv->largest[LVL_INITIAL])
		srv->largest[LVL_INITIAL] = pn;
	return pn;
}

/* libcrypto sets itself up on first use, slowly under emulation: do it
 * before the client's clock runs, or it counts as round-trip time.
 */
static void crypto_warm_up(void)
{
	uint8_t cid[CID_LEN] = {}, p[64] = { 0xc3 };
	struct keys c, s;
	uint64_t pn;

	initial_keys(cid, sizeof(cid), &c, &s);
	packet_protect(&c, p, 8, sizeof(p), 0);
	packet_unprotect(&c, p, 8, sizeof(p), -1, &pn);
}

#define PROBES	5

/*
 * RFC 9002 section 6.2.2.1: a server that has spent its
 * anti-amplification budget can only wait for the client.  So a client
 * with nothing in flight keeps sending probes until it knows its address
 * is validated, and the ACKs of those probes do not reset its backoff
 * (appendix A.7).  The fake server here acknowledges every Initial of
 * the client at once and sends nothing else: the client must probe again
 * and again, padded to 1200 bytes, each time waiting twice as long.  A
 * client whose probe timer never fires sends none; one that starts over
 * after each ACK probes at a steady pace.
 */
TEST(client_probes_silent_server)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct pollfd pfd = { .events = POLLIN };
	uint8_t d[DGRAM_MAX], f[32], hello[HELLO_LEN] = {};
	socklen_t alen = sizeof(sa);
	int64_t end, left, pn, t[PROBES + 1];
	struct peer srv = {};
	int cfd, probes = -1;
	ssize_t n;

	srv.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(srv.fd, 0);
	ASSERT_EQ(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(getsockname(srv.fd, (struct sockaddr *)&sa, &alen), 0);
	ASSERT_EQ(getrandom(srv.scid, CID_LEN, 0), CID_LEN);
	crypto_warm_up();
	cfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(cfd, 0);
	ASSERT_EQ(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(hs_send(cfd, QUIC_CRYPTO_INITIAL, hello, sizeof(hello)), sizeof(hello));

	pfd.fd = srv.fd;
	end = now_ms() + 10000;
	while (probes < PROBES && (left = end - now_ms()) > 0 && poll(&pfd, 1, left) == 1) {
		struct sockaddr_in from;
		struct wr w = { f, 0 };

		alen = sizeof(from);
		n = recvfrom(srv.fd, d, sizeof(d), 0, (struct sockaddr *)&from, &alen);
		t[++probes] = now_us();
		pn = client_initial(&srv, d, n);
		ASSERT_GE(pn, 0) TH_LOG("datagram %d: %zd bytes, not a client Initial",
					probes, n);
		if (!probes)
			ASSERT_EQ(connect(srv.fd, (struct sockaddr *)&from, alen), 0);
		w_frame(&w, F_ACK, 3, pn, 0, 0);	/* all of 0..pn */
		w_varint(&w, pn);
		ASSERT_TRUE(peer_send(&srv, d, long_build(&srv, d, LVL_INITIAL, f, w.n, 0)));
	}
	close(cfd);
	close(srv.fd);
	ASSERT_EQ(probes, PROBES);
	/* Doubling makes it 8 times as long; the smoothed RTT moves a bit. */
	EXPECT_GE(t[5] - t[4], 3 * (t[2] - t[1]))
		TH_LOG("probe intervals %lld, %lld, %lld, %lld us",
		       (long long)(t[2] - t[1]), (long long)(t[3] - t[2]),
		       (long long)(t[4] - t[3]), (long long)(t[5] - t[4]));
}

/* ---- Limits: what a peer or the user can make the kernel hold ---- */

#define FLOOD_FRAMES	20000
#define FLOOD_BATCH	100		/* frames in one packet */
#define FLOOD_MS	20000		/* for a whole flood, under emulation */
#define FLOOD_LEN	(FLOOD_FRAMES + 1)	/* stream bytes of the stream floods */
#define FLOOD_WINDOW	(1024 * 1024)	/* the server's flow control for them */
#define FLOOD_RCVBUF	(128 * 1024)	/* SO_RCVBUF of their server socket */
#define KIB		1024L

/* Memory pages of the QUIC rows of /proc/net/protocols.  QUIC and QUICv6
 * share one counter: each row shows all of it, so take the larger.
 */
static long proto_pages(void)
{
	long size, socks, mem, total = 0;
	char line[256], name[32];
	FILE *f;

	f = fopen("/proc/net/protocols", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks, &mem) == 4 &&
		    (!strcmp(name, "QUIC") || !strcmp(name, "QUICv6")) && mem > total)
			total = mem;
	fclose(f);
	return total;
}

/*
 * The protocol's counter moves in per-CPU batches of net.core.mem_pcpu_rsv
 * pages (256 at least): each reading of /proc/net/protocols may be off by
 * that much per CPU, and a difference is made of two readings.  The
 * socket's own counters (SO_MEMINFO) are exact; this only keeps the
 * protocol-wide reading from failing a test by its batching.
 */
static long proto_slack(void)
{
	long rsv = 256;
	FILE *f;

	f = fopen("/proc/sys/net/core/mem_pcpu_rsv", "r");
	if (f) {
		if (fscanf(f, "%ld", &rsv) != 1)
			rsv = 256;
		fclose(f);
	}
	return 2 * rsv * sysconf(_SC_NPROCESSORS_ONLN) * sysconf(_SC_PAGESIZE);
}

struct mem {
	long pages;			/* proto_pages() */
	uint32_t info[SK_MEMINFO_VARS];	/* SO_MEMINFO of the server socket */
};

static void mem_read(struct __test_metadata *_metadata, int fd, struct mem *m)
{
	socklen_t len = sizeof(m->info);

	memset(m, 0, sizeof(*m));
	m->pages = proto_pages();
	ASSERT_GE(m->pages, 0);
	if (fd >= 0)
		ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, m->info, &len), 0);
}

/* What the socket holds: received data with its reserve, queued frames. */
static long mem_held(const struct mem *m)
{
	return (long)m->info[SK_MEMINFO_RMEM_ALLOC] + m->info[SK_MEMINFO_FWD_ALLOC] +
	       m->info[SK_MEMINFO_WMEM_QUEUED];
}

/* From @a to @b the server socket's memory, and the protocol's, grew by
 * less than @bound bytes.
 */
static void expect_mem_growth(struct __test_metadata *_metadata, const char *what,
			      const struct mem *a, const struct mem *b, long bound)
{
	long sock = mem_held(b) - mem_held(a);
	long proto = (b->pages - a->pages) * sysconf(_SC_PAGESIZE);

	TH_LOG("%s: socket %+ld bytes (rmem %u fwd %u wmem_queued %u rcvbuf %u sndbuf %u)",
	       what, sock, b->info[SK_MEMINFO_RMEM_ALLOC], b->info[SK_MEMINFO_FWD_ALLOC],
	       b->info[SK_MEMINFO_WMEM_QUEUED], b->info[SK_MEMINFO_RCVBUF],
	       b->info[SK_MEMINFO_SNDBUF]);
	TH_LOG("%s: QUIC memory %+ld pages; bound %ld KiB", what, b->pages - a->pages,
	       bound / KIB);
	EXPECT_LT(sock, bound);
	EXPECT_LT(proto, bound + proto_slack());
}

/* Frames gathered in @w go out in one packet of @level. */
static bool peer_send_frames(struct peer *pr, int level, struct wr *w)
{
	bool ok = level == LVL_INITIAL ? peer_send_initial(pr, w->p, w->n, 0) :
					 peer_send_short(pr, w->p, w->n, 0);

	w->n = 0;
	return ok;
}

/* The server acknowledges a PING of @level sent now: the connection is
 * up and not closing.
 */
static void expect_alive(struct __test_metadata *_metadata, struct peer *pr, int level)
{
	uint64_t pn = pr->next_pn[level];
	uint8_t f[] = { F_PING };
	struct seen s = {};
	struct wr w = { f, 1 };
	int64_t end = now_ms() + WAIT_MS;

	ASSERT_TRUE(peer_send_frames(pr, level, &w));
	while (s.acked[level] <= pn && !(s.flags & SEEN_CLOSE) && now_ms() < end) {
		s.flags &= ~SEEN_ACK;
		peer_recv(pr, &s, SEEN_ACK | SEEN_CLOSE, end - now_ms());
	}
	EXPECT_FALSE(s.flags & SEEN_CLOSE)
		TH_LOG("closed with error 0x%llx, frame 0x%llx",
		       (unsigned long long)s.error, (unsigned long long)s.frame);
	EXPECT_GT(s.acked[level], pn);
}

FIXTURE(limits) {
	struct rig r;
};

/* net.quic.retry_threshold to put back if a test stops half way */
static int load_restore = -1;
static int sysctl_swap(const char *path, int *old, int new);

FIXTURE_SETUP(limits)
{
	self->r.lfd = -1;
	self->r.sfd = -1;
	self->r.peer.fd = -1;
}

/* The tests leave data unacknowledged on purpose: a graceful close()
 * would keep the connection, resending it, until the idle timeout.
 */
FIXTURE_TEARDOWN(limits)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	int old;

	if (self->r.sfd >= 0)
		setsockopt(self->r.sfd, SOL_SOCKET, SO_LINGER, &abort_close,
			   sizeof(abort_close));
	rig_close(&self->r);
	if (load_restore >= 0)
		sysctl_swap("/proc/sys/net/quic/retry_threshold", &old, load_restore);
	load_restore = -1;
}

/*
 * RFC 9000 section 7.5: CRYPTO data past a gap, in Initial packets that
 * anyone can send.  The server holds a bounded amount of it per packet
 * number space (64 KiB of memory): beyond that it drops the packets or
 * closes with CRYPTO_BUFFER_EXCEEDED.  One byte a frame costs an skb
 * each; @dup sends the same byte every time, which is one copy's worth.
 */
static void crypto_flood(struct __test_metadata *_metadata, struct rig *r, bool dup)
{
	struct peer *pr = &r->peer;
	struct mem m0, m1;
	uint8_t f[1024];
	struct wr w = { f, 0 };
	struct seen s = {};
	int64_t t0, ms;
	int i;

	rig_listen(_metadata, r);
	mem_read(_metadata, -1, &m0);
	t0 = now_ms();
	for (i = 0; i < FLOOD_FRAMES; i++) {
		w_frame(&w, F_CRYPTO, 2, dup ? 100 : 1 + i, 1, 0);	/* offset 0 never comes */
		w_byte(&w, 'C');
		if ((i + 1) % FLOOD_BATCH)
			continue;
		ASSERT_TRUE(peer_send_frames(pr, LVL_INITIAL, &w));
		if (r->sfd < 0) {	/* the first one makes the connection */
			r->sfd = accept(r->lfd, NULL, NULL);
			ASSERT_GE(r->sfd, 0);
		}
	}
	ms = now_ms() - t0;
	mem_read(_metadata, r->sfd, &m1);
	TH_LOG("%d CRYPTO frames in %d Initial packets: %lld ms", FLOOD_FRAMES,
	       FLOOD_FRAMES / FLOOD_BATCH, (long long)ms);
	EXPECT_LT(ms, FLOOD_MS);
	expect_mem_growth(_metadata, "CRYPTO flood", &m0, &m1, 512 * KIB);

	/* Closed for the buffer, or still taking Initial packets */
	peer_recv(pr, &s, SEEN_CLOSE, 300);
	EXPECT_EQ(s.bad, 0);
	if (s.flags & SEEN_CLOSE) {
		EXPECT_EQ(s.close_level, LVL_INITIAL);
		EXPECT_EQ(s.close_type, F_CLOSE);
		EXPECT_EQ(s.error, QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED);
		return;
	}
	expect_alive(_metadata, pr, LVL_INITIAL);
}

TEST_F_TIMEOUT(limits, crypto_flood, 90)
{
	crypto_flood(_metadata, &self->r, false);
}

TEST_F_TIMEOUT(limits, crypto_flood_dup, 90)
{
	crypto_flood(_metadata, &self->r, true);
}

static uint8_t flood_byte(uint64_t off)
{
	return 'a' + off % 23;
}

/* Read stream 0 from the server socket while there is data. */
static void stream0_drain(struct __test_metadata *_metadata, int fd, uint8_t *data,
			  size_t total, size_t *got, bool *fin)
{
	struct quic_stream_info info;
	ssize_t n;

	for (;;) {
		memset(&info, 0, sizeof(info));
		n = stream_recvmsg(fd, &info, data + *got, total - *got + 1, MSG_DONTWAIT);
		if (n < 0) {
			ASSERT_EQ(errno, EAGAIN);
			return;
		}
		ASSERT_GT(n, 0);
		ASSERT_EQ(info.stream_id, 0);
		ASSERT_LE(*got + n, total);
		*got += n;
		if (info.stream_flags & MSG_QUIC_STREAM_FIN) {
			*fin = true;
			return;
		}
	}
}

/*
 * The whole stream 0, FLOOD_LEN bytes, from offset 0 in order, sent again
 * from what the server read so far until it has all: the server reads
 * it complete and correct, whatever it kept or dropped of the flood.
 */
static void stream0_complete(struct __test_metadata *_metadata, struct rig *r)
{
	static uint8_t pat[FLOOD_LEN], data[FLOOD_LEN + 1];
	struct pollfd p = { .fd = r->sfd, .events = POLLIN };
	size_t got = 0, off, n, i;
	uint8_t f[1200];
	struct wr w;
	bool fin = false;
	int round;
	int64_t end;

	for (i = 0; i < FLOOD_LEN; i++)
		pat[i] = flood_byte(i);
	peer_drain(&r->peer);
	for (round = 0; round < 5 && !fin; round++) {
		for (off = got; off < FLOOD_LEN; off += n) {
			n = FLOOD_LEN - off < 1000 ? FLOOD_LEN - off : 1000;
			w = (struct wr){ f, 0 };
			w_stream(&w, 0, off, pat + off, n, off + n == FLOOD_LEN);
			ASSERT_TRUE(peer_send_short(&r->peer, f, w.n, 0));
			stream0_drain(_metadata, r->sfd, data, FLOOD_LEN, &got, &fin);
		}
		end = now_ms() + 1000;
		while (!fin && now_ms() < end && poll(&p, 1, end - now_ms()) == 1)
			stream0_drain(_metadata, r->sfd, data, FLOOD_LEN, &got, &fin);
		peer_drain(&r->peer);
	}
	ASSERT_TRUE(fin) TH_LOG("the server read %zu of %d bytes", got, FLOOD_LEN);
	ASSERT_EQ(got, FLOOD_LEN);
	EXPECT_EQ(memcmp(data, pat, FLOOD_LEN), 0);
}

/*
 * STREAM data past a gap, within flow control (RFC 9000 section 2.2):
 * the server keeps no more than its receive buffer of it, and drops
 * (does not acknowledge) the packets it cannot keep.  @dup sends one
 * frame again and again, which is one copy's worth.
 */
static void stream_flood(struct __test_metadata *_metadata, struct rig *r, bool dup)
{
	struct peer *pr = &r->peer;
	int rcvbuf = FLOOD_RCVBUF;
	struct mem m0, m1;
	uint8_t f[1200], b;
	struct wr w = { f, 0 };
	int64_t t0, ms;
	uint64_t off;
	int i;

	rig_listen_fc(_metadata, r, FLOOD_WINDOW, FLOOD_WINDOW);
	rig_establish(_metadata, r);
	/* A receive buffer well below the window: what out-of-order data
	 * the server keeps is bounded by the buffer, not by flow control.
	 */
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	mem_read(_metadata, r->sfd, &m0);
	t0 = now_ms();
	for (i = 0; i < FLOOD_FRAMES; i++) {
		off = dup ? FLOOD_LEN / 2 : 1 + i;	/* offset 0 comes last */
		b = flood_byte(off);
		w_stream(&w, 0, off, &b, 1, false);
		if ((i + 1) % FLOOD_BATCH == 0)
			ASSERT_TRUE(peer_send_frames(pr, LVL_APP, &w));
	}
	ms = now_ms() - t0;
	mem_read(_metadata, r->sfd, &m1);
	TH_LOG("%d STREAM frames in %d packets: %lld ms", FLOOD_FRAMES,
	       FLOOD_FRAMES / FLOOD_BATCH, (long long)ms);
	EXPECT_LT(ms, FLOOD_MS);
	expect_mem_growth(_metadata, "STREAM flood", &m0, &m1,
			  m1.info[SK_MEMINFO_RCVBUF] + 512 * KIB);
	stream0_complete(_metadata, r);
	expect_alive(_metadata, pr, LVL_APP);
}

TEST_F_TIMEOUT(limits, stream_flood, 90)
{
	stream_flood(_metadata, &self->r, false);
}

TEST_F_TIMEOUT(limits, stream_flood_dup, 90)
{
	stream_flood(_metadata, &self->r, true);
}

/*
 * Frames the peer makes the server answer, while it never acknowledges
 * the answers (RFC 9000 section 21: resource exhaustion).  The server
 * socket's send buffer is made small, so that a queue bounded by it
 * stays far below what one frame per request would take.
 */
#define ANSWER_SNDBUF	4096

static void answers_setup(struct __test_metadata *_metadata, struct rig *r, struct mem *m,
			  bool open_stream)
{
	int sndbuf = ANSWER_SNDBUF;
	struct seen s = {};

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	if (open_stream)	/* the server's stream 1 */
		ASSERT_EQ(stream_sendmsg(r->sfd, 1, MSG_QUIC_STREAM_NEW, MSG_NOSIGNAL, "x", 1), 1);
	peer_recv(&r->peer, &s, 0, 100);	/* and never acknowledged */
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	mem_read(_metadata, r->sfd, m);
}

/* The connection is still up; what the server sent meanwhile is in @s. */
static void answers_check(struct __test_metadata *_metadata, struct rig *r, const char *what,
			  const struct mem *m0, struct seen *s)
{
	struct mem m1;

	mem_read(_metadata, r->sfd, &m1);
	expect_mem_growth(_metadata, what, m0, &m1, 1024 * KIB);
	/* Far less than a frame kept for each of them */
	EXPECT_LT((long)m1.info[SK_MEMINFO_WMEM_QUEUED] - (long)m0->info[SK_MEMINFO_WMEM_QUEUED],
		  512 * KIB);
	peer_recv(&r->peer, s, SEEN_CLOSE, 1000);
	EXPECT_EQ(s->bad, 0);
	EXPECT_FALSE(s->flags & SEEN_CLOSE)
		TH_LOG("closed with error 0x%llx, frame 0x%llx",
		       (unsigned long long)s->error, (unsigned long long)s->frame);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

#define CHALLENGES	5000

TEST_F_TIMEOUT(limits, path_challenge_flood, 60)
{
	struct rig *r = &self->r;
	uint8_t f[1200];
	struct wr w = { f, 0 };
	struct seen s = {};
	struct mem m0;
	int i;

	answers_setup(_metadata, r, &m0, false);
	for (i = 0; i < CHALLENGES; i++) {
		w_byte(&w, F_PATH_CHALLENGE);
		w_be32(&w, 0x5a5a5a5a);
		w_be32(&w, i);
		if ((i + 1) % FLOOD_BATCH == 0)
			ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	}
	answers_check(_metadata, r, "PATH_CHALLENGE flood", &m0, &s);
	TH_LOG("%d PATH_RESPONSE frames seen", s.count[F_PATH_RESPONSE]);
	EXPECT_GT(s.count[F_PATH_RESPONSE], 0);
}

/*
 * RFC 9000 section 3.5: STOP_SENDING is answered with RESET_STREAM, once.
 * Repeats of it, which the peer may send while the RESET_STREAM is not
 * acknowledged, do not queue another each: the one queued is resent
 * when lost.  Nothing is acknowledged here, so resending is allowed, but
 * not one RESET_STREAM per STOP_SENDING.
 */
#define STOPS		5000
#define RESETS_MAX	50

TEST_F_TIMEOUT(limits, stop_sending_flood, 60)
{
	struct rig *r = &self->r;
	uint8_t f[1200];
	struct wr w = { f, 0 };
	struct seen s = {};
	struct mem m0;
	int i;

	answers_setup(_metadata, r, &m0, true);
	for (i = 0; i < STOPS; i++) {
		w_frame(&w, F_STOP_SENDING, 2, 1, 7, 0);
		if ((i + 1) % FLOOD_BATCH == 0)
			ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	}
	answers_check(_metadata, r, "STOP_SENDING flood", &m0, &s);
	TH_LOG("%d RESET_STREAM frames seen", s.count[F_RESET_STREAM]);
	EXPECT_GT(s.count[F_RESET_STREAM], 0);
	EXPECT_EQ(s.reset_sid, 1);
	EXPECT_LT(s.count[F_RESET_STREAM], RESETS_MAX);
}

/* A NEW_CONNECTION_ID frame whose ID and token follow from @seq. */
static void w_new_cid_seq(struct wr *w, uint64_t seq, uint64_t retire_prior_to)
{
	w_frame(w, F_NEW_CID, 2, seq, retire_prior_to, 0);
	w_byte(w, CID_LEN);
	w_be32(w, 0xc1d0c1d0);
	w_be32(w, seq);
	w_fill(w, 0xe0 + seq % 16, 16);	/* Stateless Reset Token */
}

/*
 * RFC 9000 section 19.15: a NEW_CONNECTION_ID below the Retire Prior To
 * the peer sent before is retired at once.  The client gives IDs 1 to
 * 10, each retiring the ones before it, so that the server never holds
 * more than its active_connection_id_limit of 2; then it sends IDs 1 to 9
 * again, 2000 times: all stale, all legal.
 */
#define STALE_CIDS	2000
#define CID_LAST	10

TEST_F_TIMEOUT(limits, stale_cid_flood, 60)
{
	struct rig *r = &self->r;
	uint8_t f[1200];
	struct wr w = { f, 0 };
	struct seen s = {};
	struct mem m0;
	int i;

	answers_setup(_metadata, r, &m0, false);
	for (i = 1; i <= CID_LAST; i++)
		w_new_cid_seq(&w, i, i);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	for (i = 0; i < STALE_CIDS; i++) {
		w_new_cid_seq(&w, 1 + i % (CID_LAST - 1), 0);
		if (w.n > 1000)
			ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	}
	if (w.n)
		ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	answers_check(_metadata, r, "stale NEW_CONNECTION_ID flood", &m0, &s);
	TH_LOG("%d RETIRE_CONNECTION_ID frames seen", s.count[F_RETIRE_CID]);
	EXPECT_GT(s.count[F_RETIRE_CID], 0);
}

/*
 * ACK frames as long as a packet allows (RFC 9000 section 19.3), each
 * range one packet the server did send and the client received, with a
 * gap of one at least between two.  The server has thousands of packets
 * in flight above their Largest Acknowledged, which the ACKs do not
 * cover: an ACK must cost what it newly acknowledges, not a walk over
 * everything in flight.  5000 such packets take bounded time (compared
 * with the same ACKs while nothing is in flight), and harm nothing.
 */
#define ACK_PNS		1200	/* server packets the ranges are made of */
#define ACK_ROOM	1150	/* bytes of a 1200-byte datagram for the frame */
#define ACK_PACKETS	5000
#define ACK_REF		1000	/* the same ACK, with nothing in flight */
#define ACK_SYNC	250	/* ACK packets between two waits for the server */
#define ACK_BULK	(384 * 1024)	/* acknowledged: it opens the window */
#define ACK_INFLIGHT	8000	/* one-byte writes never acknowledged */

/* Two PINGs, which the server acknowledges at once (RFC 9000 section
 * 13.2.2): what came before them has been processed.
 */
static void peer_sync(struct __test_metadata *_metadata, struct peer *pr)
{
	int64_t end = now_ms() + WAIT_MS;
	uint8_t f[] = { F_PING };
	struct seen s = {};
	uint64_t pn;

	ASSERT_TRUE(peer_send_short(pr, f, sizeof(f), 0));
	pn = pr->next_pn[LVL_APP];
	ASSERT_TRUE(peer_send_short(pr, f, sizeof(f), 0));
	while (s.acked[LVL_APP] <= pn && !(s.flags & SEEN_CLOSE) && now_ms() < end) {
		s.flags &= ~SEEN_ACK;
		peer_recv(pr, &s, SEEN_ACK | SEEN_CLOSE, end - now_ms());
	}
	ASSERT_FALSE(s.flags & SEEN_CLOSE)
		TH_LOG("closed with error 0x%llx, frame 0x%llx",
		       (unsigned long long)s.error, (unsigned long long)s.frame);
	ASSERT_GT(s.acked[LVL_APP], pn);
}

/* @n packets of the frames @f; returns how long the server took, in us. */
static int64_t ack_burst(struct __test_metadata *_metadata, struct peer *pr,
			 const uint8_t *f, size_t len, int n)
{
	int64_t t0 = now_us();
	int i;

	for (i = 0; i < n; i++) {
		ASSERT_TRUE(peer_send_short(pr, f, len, 0));
		if ((i + 1) % ACK_SYNC == 0 || i + 1 == n)
			peer_sync(_metadata, pr);
	}
	return now_us() - t0;
}

TEST_F_TIMEOUT(limits, ack_ranges_flood, 120)
{
	static struct range rg[ACK_ROOM / 2];
	static uint8_t bulk[ACK_BULK];
	struct rig *r = &self->r;
	struct peer *pr = &r->peer;
	uint8_t f[ACK_ROOM + 64], fc[32], buf[64];
	struct quic_stream_info info = {};
	int64_t t0, ms, pn, ref, burst;
	struct wr w = { fc, 0 };
	struct seen s = {};
	int i, n = 0, inflight;
	size_t room;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	/* The server sends one byte at a time, acknowledged as it comes. */
	t0 = now_ms();
	for (i = 0; pr->largest[LVL_APP] < ACK_PNS && i < 20000 && now_ms() - t0 < 20000; i++) {
		ASSERT_EQ(stream_sendmsg(r->sfd, 1, i ? 0 : MSG_QUIC_STREAM_NEW,
					 MSG_DONTWAIT | MSG_NOSIGNAL, "z", 1), 1);
		if (i % 16 == 15) {
			peer_recv(pr, &s, 0, 2);
			ASSERT_TRUE(peer_ack_all(pr));
		}
	}
	peer_recv(pr, &s, 0, 100);
	ASSERT_TRUE(peer_ack_all(pr));
	TH_LOG("%d writes made %lld server packets in %lld ms", i,
	       (long long)pr->largest[LVL_APP] + 1, (long long)(now_ms() - t0));
	ASSERT_GE(pr->largest[LVL_APP], ACK_PNS / 2);

	/* The ACK: single packets received, a gap of one at least between */
	room = 1 + 2 + 1 + 2 + 1;	/* type, largest, delay, count, first range */
	for (pn = pr->largest[LVL_APP]; pn >= 0; pn--) {
		if (!app_rcvd(pr, pn))
			continue;
		if (n) {
			uint64_t gap = rg[n - 1].lo - pn - 2;

			room += (gap < 64 ? 1 : 2) + 1;
			if (room > ACK_ROOM)
				break;
		}
		rg[n].hi = pn;
		rg[n++].lo = pn;
		pn--;
	}
	w = (struct wr){ f, 0 };
	w_ack(&w, rg, n);
	ASSERT_LE(w.n, ACK_ROOM);

	/* More credit, and a bulk transfer that grows the window */
	w = (struct wr){ fc, 0 };
	w_frame(&w, F_MAX_DATA, 1, 1ULL << 30, 0, 0);
	w_frame(&w, F_MAX_STREAM_DATA, 2, 1, 1ULL << 30, 0);
	ASSERT_TRUE(peer_send_short(pr, fc, w.n, 0));
	peer_sync(_metadata, pr);
	memset(bulk, 'B', sizeof(bulk));
	ASSERT_EQ(stream_sendmsg(r->sfd, 1, 0, MSG_NOSIGNAL, bulk, sizeof(bulk)), sizeof(bulk));
	memset(&s, 0, sizeof(s));
	t0 = now_ms();
	while (s.stream_bytes < ACK_BULK && now_ms() - t0 < 20000) {
		peer_recv(pr, &s, 0, 5);
		ASSERT_TRUE(peer_ack_all(pr));
	}
	ASSERT_GE(s.stream_bytes, ACK_BULK);
	peer_recv(pr, &s, 0, 50);
	ASSERT_TRUE(peer_ack_all(pr));
	peer_sync(_metadata, pr);

	/* With nothing in flight */
	w = (struct wr){ f, 0 };
	w_ack(&w, rg, n);
	ref = ack_burst(_metadata, pr, f, w.n, ACK_REF);

	/* One byte at a time again, never acknowledged now */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < ACK_INFLIGHT; i++) {
		if (stream_sendmsg(r->sfd, 1, 0, MSG_DONTWAIT | MSG_NOSIGNAL, "i", 1) != 1)
			break;
		if (i % 64 == 63)
			peer_take(pr, &s);
	}
	peer_recv(pr, &s, 0, 100);
	inflight = s.packets;
	TH_LOG("%d more writes, %d packets in flight", i, inflight);

	t0 = now_ms();
	burst = ack_burst(_metadata, pr, f, w.n, ACK_PACKETS);
	ms = now_ms() - t0;
	TH_LOG("ACK of %d ranges (%zu bytes): %d packets in %lld us, %d packets in %lld us",
	       n, w.n, ACK_REF, (long long)ref, ACK_PACKETS, (long long)burst);
	EXPECT_LT(ms, FLOOD_MS);
	/* Per packet, the same as with nothing in flight, give or take */
	EXPECT_LT(burst / ACK_PACKETS, 3 * ref / ACK_REF + 100);

	expect_alive(_metadata, pr, LVL_APP);
	w = (struct wr){ f, 0 };
	w_stream(&w, 0, 0, "still", 5, true);
	ASSERT_TRUE(peer_send_short(pr, f, w.n, 0));
	ASSERT_EQ(stream_recv(r->sfd, &info, buf, sizeof(buf)), 5);
	EXPECT_EQ(info.stream_id, 0);
	EXPECT_EQ(memcmp(buf, "still", 5), 0);
}

/*
 * draft-ietf-quic-ack-frequency section 3: only a peer that announced
 * min_ack_delay may be sent ACK_FREQUENCY (0xaf) or IMMEDIATE_ACK (0x1f).
 * Our raw client announces none; the server sends it 64 KiB (all its
 * flow control allows), acknowledged as it arrives, and neither frame
 * may appear (the peer's parser counts an unknown frame as a bad
 * packet), nor may the server's QuicAckFrequencySent move.  A kernel
 * that asked every peer would send ACK_FREQUENCY with its first data.
 */
TEST_F_TIMEOUT(limits, no_ack_frequency_unasked, 60)
{
	long sent0 = mib_read("QuicAckFrequencySent");
	static uint8_t bulk[64 * 1024];
	struct rig *r = &self->r;
	struct peer *pr = &r->peer;
	struct seen s = {};
	int64_t t0;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	memset(bulk, 'F', sizeof(bulk));
	ASSERT_EQ(stream_sendmsg(r->sfd, 1, MSG_QUIC_STREAM_NEW, MSG_NOSIGNAL, bulk,
				 sizeof(bulk)), sizeof(bulk));
	t0 = now_ms();
	while (s.stream_bytes < sizeof(bulk) && now_ms() - t0 < 30000) {
		peer_recv(pr, &s, 0, 5);
		ASSERT_TRUE(peer_ack_all(pr));
	}
	TH_LOG("%llu stream bytes in %d packets, %d IMMEDIATE_ACK, %d bad",
	       (unsigned long long)s.stream_bytes, s.packets, s.count[0x1f], s.bad);
	EXPECT_GE(s.stream_bytes, sizeof(bulk));	/* with what a probe resent */
	EXPECT_EQ(s.count[0x1f], 0);
	EXPECT_EQ(s.bad, 0);
	EXPECT_EQ(mib_read("QuicAckFrequencySent"), sent0);
}

/*
 * Stream IDs from the user are checked before they index anything:
 * negative ones (but -1, "the next stream" or "the last one") and ones
 * past 2^62 - 1 (RFC 9000 section 2.1) are EINVAL, not an oops.
 */
static const int64_t bad_sids[] = {
	-8, -7, -2, INT64_MIN, 1LL << 62, (1LL << 62) + 1, (1LL << 62) + 4, INT64_MAX,
};

TEST_F(limits, sendmsg_bad_stream_id)
{
	struct rig *r = &self->r;
	size_t i;
	ssize_t n;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	/* -1 without a stream open: "the last one" is none, so either it
	 * opens the next one or it is refused.
	 */
	n = stream_sendmsg(r->sfd, -1, 0, MSG_NOSIGNAL, "a", 1);
	EXPECT_TRUE(n == 1 || (n == -1 && errno == EINVAL)) TH_LOG("%zd, %s", n, strerror(errno));
	for (i = 0; i < ARRAY_SIZE(bad_sids); i++) {
		EXPECT_EQ(stream_sendmsg(r->sfd, bad_sids[i], 0, MSG_NOSIGNAL, "b", 1), -1)
			TH_LOG("stream %lld", (long long)bad_sids[i]);
		EXPECT_EQ(errno, EINVAL);
		EXPECT_EQ(stream_sendmsg(r->sfd, bad_sids[i], MSG_QUIC_STREAM_NEW, MSG_NOSIGNAL,
					 "c", 1), -1)
			TH_LOG("stream %lld, MSG_QUIC_STREAM_NEW", (long long)bad_sids[i]);
		EXPECT_EQ(errno, EINVAL);
	}
	/* -1 with MSG_QUIC_STREAM_NEW is the next stream, and then -1 is it */
	EXPECT_EQ(stream_sendmsg(r->sfd, -1, MSG_QUIC_STREAM_NEW, MSG_NOSIGNAL, "d", 1), 1);
	EXPECT_EQ(stream_sendmsg(r->sfd, -1, 0, MSG_NOSIGNAL, "e", 1), 1);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

TEST_F(limits, sockopt_bad_stream_id)
{
	struct quic_stream_info info = {};
	struct quic_errinfo e = {};
	struct rig *r = &self->r;
	socklen_t len;
	size_t i;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	for (i = 0; i < ARRAY_SIZE(bad_sids); i++) {
		e = (struct quic_errinfo){ .stream_id = bad_sids[i], .errcode = 1 };
		EXPECT_EQ(setsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_RESET, &e, sizeof(e)),
			  -1) TH_LOG("reset stream %lld", (long long)bad_sids[i]);
		EXPECT_EQ(errno, EINVAL);
		EXPECT_EQ(setsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_STOP_SENDING, &e,
				     sizeof(e)), -1)
			TH_LOG("stop sending on stream %lld", (long long)bad_sids[i]);
		EXPECT_EQ(errno, EINVAL);
		info = (struct quic_stream_info){ .stream_id = bad_sids[i] };
		len = sizeof(info);
		EXPECT_EQ(getsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len), -1)
			TH_LOG("open stream %lld", (long long)bad_sids[i]);
		EXPECT_EQ(errno, EINVAL);
	}
	/* The good ones still work: open the next stream, stop and reset it. */
	info = (struct quic_stream_info){ .stream_id = -1 };
	len = sizeof(info);
	ASSERT_EQ(getsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len), 0);
	EXPECT_EQ(info.stream_id, 1);
	e = (struct quic_errinfo){ .stream_id = 1, .errcode = 1 };
	EXPECT_EQ(setsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_STOP_SENDING, &e, sizeof(e)),
		  0);
	EXPECT_EQ(setsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_RESET, &e, sizeof(e)), 0);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

/*
 * Opening a stream far past the peer's MAX_STREAMS (RFC 9000 section
 * 4.6) waits like any other: for SO_SNDTIMEO, or not at all, then
 * EAGAIN.  The server says STREAMS_BLOCKED once for the limit it is at
 * (section 19.14), not once per attempt.  The sendmsg() runs in a child
 * process, so that a kernel that never returns fails the test instead of
 * hanging it; this process plays the client meanwhile and acknowledges
 * every packet at once, so nothing is resent.
 */
#define BLOCKED_BIDI	2
#define BLOCKED_SID	(4 * 4000 + 1)

struct call {
	ssize_t ret;
	int err;
	int64_t ms;
};

static void blocked_send(struct __test_metadata *_metadata, struct rig *r, struct seen *s,
			 uint32_t sflags, int mflags, int limit_ms, struct call *c)
{
	struct pollfd p[2] = { { .events = POLLIN }, { .fd = r->peer.fd, .events = POLLIN } };
	int64_t end = now_ms() + limit_ms, t0;
	uint8_t d[DGRAM_MAX];
	bool done = false, gone = false;
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(pipe(pipefd), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(pipefd[0]);
		t0 = now_ms();
		c->ret = stream_sendmsg(r->sfd, BLOCKED_SID, sflags, mflags | MSG_NOSIGNAL, "x", 1);
		c->err = errno;
		c->ms = now_ms() - t0;
		_exit(write(pipefd[1], c, sizeof(*c)) != sizeof(*c));
	}
	close(pipefd[1]);
	p[0].fd = pipefd[0];
	while (!done && !gone && now_ms() < end) {
		if (poll(p, 2, end - now_ms()) <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			n = recv(r->peer.fd, d, sizeof(d), 0);
			if (n > 0) {
				peer_datagram(&r->peer, d, n, s);
				peer_ack_all(&r->peer);
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			done = read(pipefd[0], c, sizeof(*c)) == sizeof(*c);
			gone = !done;	/* it died without a word */
		}
	}
	close(pipefd[0]);
	if (!done) {
		/* It may never die: spinning in the kernel, it takes no signal. */
		kill(pid, SIGKILL);
		ASSERT_TRUE(done) TH_LOG("sendmsg(flags 0x%x, 0x%x) %s after %d ms", sflags,
					 mflags, gone ? "died" : "still running", limit_ms);
	}
	waitpid(pid, NULL, 0);
	TH_LOG("sendmsg(flags 0x%x, 0x%x): %zd (%s) after %lld ms", sflags, mflags, c->ret,
	       c->ret < 0 ? strerror(c->err) : "ok", (long long)c->ms);
}

TEST_F_TIMEOUT(limits, blocked_open, 60)
{
	struct timeval tv = { .tv_sec = 1 };
	struct rig *r = &self->r;
	struct mem m0, m1;
	struct seen s = {};
	struct call c;

	rig_listen(_metadata, r);
	rig_establish_bidi(_metadata, r, BLOCKED_BIDI);
	peer_recv(&r->peer, &s, 0, 100);
	ASSERT_TRUE(peer_ack_all(&r->peer));
	ASSERT_EQ(s.count[F_STREAMS_BLOCKED_BIDI], 0);
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	usleep(100000);
	mem_read(_metadata, r->sfd, &m0);

	blocked_send(_metadata, r, &s, MSG_QUIC_STREAM_NEW, 0, 6000, &c);
	EXPECT_EQ(c.ret, -1);
	EXPECT_EQ(c.err, EAGAIN);
	EXPECT_GE(c.ms, 900);
	EXPECT_LE(c.ms, 3000);

	blocked_send(_metadata, r, &s, 0, 0, 6000, &c);
	EXPECT_EQ(c.ret, -1);
	EXPECT_TRUE(c.err == EAGAIN || c.err == EINVAL);
	EXPECT_LE(c.ms, 3000);

	blocked_send(_metadata, r, &s, MSG_QUIC_STREAM_NEW, MSG_DONTWAIT, 3000, &c);
	EXPECT_EQ(c.ret, -1);
	EXPECT_EQ(c.err, EAGAIN);
	EXPECT_LT(c.ms, 200);

	blocked_send(_metadata, r, &s, MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_DONTWAIT, 0, 3000, &c);
	EXPECT_EQ(c.ret, -1);
	EXPECT_EQ(c.err, EAGAIN);
	EXPECT_LT(c.ms, 200);

	peer_recv(&r->peer, &s, 0, 300);
	ASSERT_TRUE(peer_ack_all(&r->peer));
	usleep(100000);
	mem_read(_metadata, r->sfd, &m1);
	expect_mem_growth(_metadata, "blocked opens", &m0, &m1, 64 * sysconf(_SC_PAGESIZE));
	EXPECT_EQ(s.bad, 0);
	EXPECT_FALSE(s.flags & SEEN_CLOSE);
	EXPECT_EQ(s.count[F_STREAMS_BLOCKED_BIDI], 1);
	EXPECT_EQ(s.blocked, BLOCKED_BIDI);
	EXPECT_EQ(s.count[F_STREAMS_BLOCKED_UNI], 0);

	/* Streams within the limit open at once. */
	EXPECT_EQ(stream_sendmsg(r->sfd, -1, MSG_QUIC_STREAM_NEW, MSG_DONTWAIT | MSG_NOSIGNAL,
				 "y", 1), 1);
}

/* ---- Regressions: state that must not leak across namespaces or time ---- */

/* The QUIC sockets of this network namespace (/proc/net/protocols). */
static long quic_socks(void)
{
	long size, socks, total = 0;
	char line[256], name[32];
	FILE *f;

	f = fopen("/proc/net/protocols", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld", name, &size, &socks) == 3 &&
		    (!strcmp(name, "QUIC") || !strcmp(name, "QUICv6")))
			total += socks;
	fclose(f);
	return total;
}

/* A network namespace of our own, with the loopback device up. */
static int netns_enter(void)
{
	struct ifreq ifr = {};
	int fd, ret;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

FIXTURE(keys) {
	struct rig r;
};

FIXTURE_SETUP(keys)
{
	self->r.lfd = -1;
	self->r.sfd = -1;
	self->r.peer.fd = -1;
}

FIXTURE_TEARDOWN(keys)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };

	if (self->r.sfd >= 0)
		setsockopt(self->r.sfd, SOL_SOCKET, SO_LINGER, &abort_close,
			   sizeof(abort_close));
	rig_close(&self->r);
}

#define RESET_PAD	40	/* bytes after the ID of a packet that draws a reset */

struct reset_probe {
	int step;		/* where the child failed, 0 when it did not */
	int err;
	ssize_t len[2];
	uint8_t tail[2][TOKEN_LEN];
};

/* A short header packet to @c, on @fd, until a datagram comes back
 * (Stateless Resets are rate limited): its length and last 16 bytes.
 */
static ssize_t reset_draw(int fd, const struct issued_cid *c, uint8_t *tail)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t d[DGRAM_MAX];
	ssize_t n;
	int i;

	for (i = 0; i < 10; i++) {
		if (getrandom(d, 1 + c->len + RESET_PAD, 0) != 1 + c->len + RESET_PAD)
			return -1;
		d[0] = 0x40 | (d[0] & 0x3f);
		memcpy(d + 1, c->id, c->len);
		if (send(fd, d, 1 + c->len + RESET_PAD, 0) < 0)
			return -1;
		if (poll(&p, 1, 200) != 1)
			continue;
		n = recv(fd, d, sizeof(d), 0);
		if (n < TOKEN_LEN)
			return -1;
		memcpy(tail, d + n - TOKEN_LEN, TOKEN_LEN);
		return n;
	}
	return 0;
}

/* In a namespace of its own: a QUIC socket bound to a loopback port,
 * so that a QUIC UDP tunnel listens there, and two packets to @c.
 */
static void reset_probe_child(const struct issued_cid *c, struct reset_probe *res)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t alen = sizeof(a);
	int qfd, ufd, i;

	res->step = 1;
	if (netns_enter())
		goto err;
	res->step = 2;
	qfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	if (qfd < 0 || bind(qfd, (struct sockaddr *)&a, alen) ||
	    getsockname(qfd, (struct sockaddr *)&a, &alen))
		goto err;
	res->step = 3;
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd < 0 || connect(ufd, (struct sockaddr *)&a, alen))
		goto err;
	for (i = 0; i < 2; i++) {
		res->step = 4 + i;
		res->len[i] = reset_draw(ufd, c, res->tail[i]);
		if (res->len[i] <= 0)
			goto err;
	}
	res->step = 0;
	return;
err:
	res->err = errno;
}

/*
 * RFC 9000 section 10.3.2: a Stateless Reset Token is a MAC of the
 * connection ID under a static key.  The key is the namespace's: a packet
 * to one of our IDs sent in another namespace, where the ID is unknown,
 * draws a Stateless Reset (to the same ID, twice the same token) whose
 * token is not the real one.  With one key for all namespaces, anyone
 * who can send packets in one namespace learns the tokens of connections
 * in the others, and can reset them.
 */
TEST_F(keys, reset_token_per_netns)
{
	struct rig *r = &self->r;
	struct reset_probe res = {};
	const struct issued_cid *c;
	struct seen s = {};
	int pipefd[2], status;
	pid_t pid;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	if (!r->peer.n_issued) {
		peer_recv(&r->peer, &s, SEEN_NEW_CID, WAIT_MS);
		ASSERT_TRUE(s.flags & SEEN_NEW_CID);
		memcpy(r->peer.issued, s.issued, sizeof(s.issued));
		r->peer.n_issued = s.n_issued;
	}
	c = &r->peer.issued[0];
	ASSERT_GT(c->seq, 0);
	TH_LOG("ID %llu, %u bytes, token %02x%02x%02x%02x...", (unsigned long long)c->seq,
	       c->len, c->token[0], c->token[1], c->token[2], c->token[3]);

	ASSERT_EQ(pipe(pipefd), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(pipefd[0]);
		reset_probe_child(c, &res);
		_exit(write(pipefd[1], &res, sizeof(res)) != sizeof(res));
	}
	close(pipefd[1]);
	ASSERT_EQ(read(pipefd[0], &res, sizeof(res)), sizeof(res));
	close(pipefd[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0);
	ASSERT_EQ(res.step, 0) TH_LOG("child: step %d, %s", res.step, strerror(res.err));
	TH_LOG("resets of %zd and %zd bytes, tokens %02x%02x%02x%02x..., %02x%02x%02x%02x...",
	       res.len[0], res.len[1], res.tail[0][0], res.tail[0][1], res.tail[0][2],
	       res.tail[0][3], res.tail[1][0], res.tail[1][1], res.tail[1][2], res.tail[1][3]);
	/* Shorter than what drew it, so that two resets cannot loop (10.3.3) */
	EXPECT_LT(res.len[0], 1 + c->len + RESET_PAD);
	EXPECT_GE(res.len[0], 21);
	/* The token follows from the ID: the same both times */
	EXPECT_EQ(memcmp(res.tail[0], res.tail[1], TOKEN_LEN), 0);
	/* ... under another key than the first namespace's */
	EXPECT_NE(memcmp(res.tail[0], c->token, TOKEN_LEN), 0);
	/* The connection in the first namespace took no harm. */
	expect_alive(_metadata, &r->peer, LVL_APP);
}

/*
 * RFC 9001 section 6.4: packets with higher packet numbers are protected
 * with the same or newer keys than packets with lower ones; an endpoint
 * that removes protection with old keys from a packet above one that came
 * with newer keys must close with KEY_UPDATE_ERROR.  The client updates
 * its keys (6.1) with packet N, sends N + 10 with the new keys too, then
 * N + 5 with the old ones.  N + 5 is below the largest packet number of
 * the new phase, so the server opens it with the old keys (6.5), which
 * it still keeps, and must then see the order is wrong.  (An old-keys
 * packet above every new-phase one, right after N, would be taken for
 * the next key update and fail to decrypt: it is dropped, 5.5, with no
 * error to expect.)
 */
TEST_F(keys, update_old_keys_above_new)
{
	struct rig *r = &self->r;
	struct peer *pr = &r->peer;
	uint8_t f[] = { F_PING };
	struct keys old;
	uint64_t n;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	peer_recv(pr, &(struct seen){}, 0, 100);
	ASSERT_TRUE(peer_ack_all(pr));
	/* The server answers in Key Phase 1 once it followed. */
	keys_next_from_seed(SEED_APP_S, &pr->rx_phase1);
	pr->key_updated = true;

	old = pr->tx[LVL_APP];
	keys_next_from_seed(SEED_APP_C, &pr->tx[LVL_APP]);
	n = pr->next_pn[LVL_APP];
	ASSERT_TRUE(peer_send_short(pr, f, sizeof(f), 0x04));
	pr->next_pn[LVL_APP] = n + 10;
	ASSERT_TRUE(peer_send_short(pr, f, sizeof(f), 0x04));
	pr->tx[LVL_APP] = old;
	pr->next_pn[LVL_APP] = n + 5;
	ASSERT_TRUE(peer_send_short(pr, f, sizeof(f), 0));
	expect_close(_metadata, r, LVL_APP, QUIC_TRANSPORT_ERROR_KEY_UPDATE, 0, 0);
	expect_aborted(_metadata, r->sfd);
}

/*
 * An orphan that flushes its stream data after close() stays only while
 * the peer takes the data (RFC 9000 section 10.1 bounds an idle
 * connection; packets that acknowledge nothing are not progress).  The
 * client never acknowledges the 60000 bytes written before close(), but
 * sends a PING every 200 ms, which the server acknowledges: the socket
 * must still go at the idle timeout.  The test runs in a namespace of its
 * own, where the QUIC sockets are only its own.
 */
#define ORPHAN_IDLE_MS	2000
#define ORPHAN_DATA	60000

TEST_F_TIMEOUT(limits, flushing_orphan_pings, 30)
{
	struct timeval tv = { .tv_sec = 5 };
	static uint8_t data[ORPHAN_DATA];
	struct quic_transport_param tp = {};
	socklen_t len = sizeof(tp);
	struct rig *r = &self->r;
	int64_t t0, ping = 0, gone = -1;
	uint8_t f[] = { F_PING };
	long socks;

	ASSERT_EQ(netns_enter(), 0);
	ASSERT_EQ(quic_socks(), 0);
	rig_listen(_metadata, r);
	ASSERT_EQ(getsockopt(r->lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, &len), 0);
	tp.max_idle_timeout = ORPHAN_IDLE_MS * 1000;	/* microseconds */
	ASSERT_EQ(setsockopt(r->lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp, len), 0);
	rig_establish(_metadata, r);
	/* An RTT sample, so that three PTOs stay below the idle timeout */
	peer_recv(&r->peer, &(struct seen){}, 0, 100);
	ASSERT_TRUE(peer_ack_all(&r->peer));
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	memset(data, 'o', sizeof(data));
	ASSERT_EQ(stream_sendmsg(r->sfd, 1, MSG_QUIC_STREAM_NEW, MSG_NOSIGNAL, data,
				 sizeof(data)), sizeof(data));
	socks = quic_socks();
	ASSERT_EQ(socks, 2);	/* the listener and the connection */

	t0 = now_ms();
	close(r->sfd);
	r->sfd = -1;
	while (now_ms() - t0 < ORPHAN_IDLE_MS + 3000) {
		if (now_ms() - ping >= 200) {
			ASSERT_TRUE(peer_send_short(&r->peer, f, sizeof(f), 0));
			ping = now_ms();
		}
		peer_drain(&r->peer);	/* and acknowledge none of it */
		if (quic_socks() < socks) {
			gone = now_ms() - t0;
			break;
		}
		usleep(20000);
	}
	TH_LOG("the orphan went after %lld ms", (long long)gone);
	ASSERT_GE(gone, 0) TH_LOG("still there after %d ms of PINGs", ORPHAN_IDLE_MS + 3000);
	/* It did flush: it waited for the data until the idle timeout. */
	EXPECT_GE(gone, ORPHAN_IDLE_MS - 100);
}

/*
 * RFC 9000 section 19.16: each RETIRE_CONNECTION_ID makes the server
 * issue a new ID, a NEW_CONNECTION_ID frame it keeps until acknowledged.
 * The client retires the server's IDs in increasing order, 300 a packet,
 * and acknowledges nothing; each retirement is valid (the ID was issued:
 * the frames before it in the packet issued it).  A server that cannot
 * queue the new ID must drop the packet (not acknowledged, so the client
 * sends the same retirements again) instead of growing its queue:
 * 3000 frames must not cost 3000 queued frames (some 128 bytes each).
 */
#define RETIRES		3000
#define RETIRE_BATCH	300
#define RETIRE_BOUND	(200 * KIB)

TEST_F_TIMEOUT(limits, retire_cid_flood, 60)
{
	struct quic_stream_info info = {};
	struct rig *r = &self->r;
	struct peer *pr = &r->peer;
	uint64_t seq = 1, pn, ping;
	int sent = 0, dropped = 0, i;
	uint8_t f[1200], buf[64];
	bool answered = false;
	struct wr w = { f, 0 };
	struct seen s = {};
	int64_t end;
	struct mem m0, m1;

	answers_setup(_metadata, r, &m0, false);
	while (sent < RETIRES) {
		w.n = 0;
		for (i = 0; i < RETIRE_BATCH; i++)
			w_frame(&w, F_RETIRE_CID, 1, seq + i, 0, 0);
		pn = pr->next_pn[LVL_APP];
		ASSERT_TRUE(peer_send_frames(pr, LVL_APP, &w));
		sent += RETIRE_BATCH;
		/* A PING after it: once that is acknowledged, the batch was
		 * processed, and acknowledged only if all of it was taken.
		 */
		ping = pr->next_pn[LVL_APP];
		w_byte(&w, F_PING);
		ASSERT_TRUE(peer_send_frames(pr, LVL_APP, &w));
		end = now_ms() + WAIT_MS;
		while (!app_acked(&s, ping) && !(s.flags & SEEN_CLOSE) && now_ms() < end)
			peer_recv(pr, &s, SEEN_CLOSE, 20);
		ASSERT_FALSE(s.flags & SEEN_CLOSE)
			TH_LOG("closed with error 0x%llx, frame 0x%llx after %d retirements",
			       (unsigned long long)s.error, (unsigned long long)s.frame, sent);
		ASSERT_TRUE(app_acked(&s, ping));
		if (app_acked(&s, pn))
			seq += RETIRE_BATCH;
		else
			dropped++;
	}
	mem_read(_metadata, r->sfd, &m1);
	TH_LOG("%d RETIRE_CONNECTION_ID frames, %d packets of them dropped", sent, dropped);
	TH_LOG("%llu IDs retired in packets taken whole; %d NEW_CONNECTION_ID frames seen",
	       (unsigned long long)seq - 1, s.count[F_NEW_CID]);
	expect_mem_growth(_metadata, "RETIRE_CONNECTION_ID flood", &m0, &m1, 1024 * KIB);
	EXPECT_LT(m1.info[SK_MEMINFO_WMEM_QUEUED], RETIRE_BOUND);
	EXPECT_EQ(s.bad, 0);

	/* Acknowledged at last, the queue drains and the connection works. */
	w.n = 0;
	w_stream(&w, 0, 0, "hello", 5, true);
	ASSERT_TRUE(peer_send_frames(pr, LVL_APP, &w));
	ASSERT_EQ(stream_recv(r->sfd, &info, buf, sizeof(buf)), 5);
	EXPECT_EQ(info.stream_id, 0);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	memset(&s, 0, sizeof(s));
	end = now_ms() + 10000;
	while (!(s.flags & (SEEN_FIN | SEEN_CLOSE)) && now_ms() < end) {
		/* The reply waits for send buffer room the ACKs make. */
		if (!answered)
			answered = stream_sendmsg(r->sfd, 0, MSG_QUIC_STREAM_FIN,
						  MSG_DONTWAIT | MSG_NOSIGNAL, "world", 5) == 5;
		peer_recv(pr, &s, SEEN_FIN | SEEN_CLOSE, 20);
		ASSERT_TRUE(peer_ack_all(pr));
	}
	EXPECT_EQ(s.bad, 0);
	ASSERT_EQ(s.flags & (SEEN_FIN | SEEN_CLOSE), SEEN_FIN);
	EXPECT_EQ(s.sid, 0);
	ASSERT_EQ(s.data_len, 5);
	EXPECT_EQ(memcmp(s.data, "world", 5), 0);
}

/*
 * Initials for new connections wait on the listener until accept(); each
 * pins a datagram of 1200 bytes at least (64 KiB at most).  The backlog
 * counts connections, not memory: the listener's receive buffer bounds
 * what they hold.  300 valid Initials, each to its own Destination
 * Connection ID, reach a listener with a backlog of 1000 and the smallest
 * buffer that holds a few: no more than fit in the buffer are accepted.
 */
#define LISTEN_INITIALS	300

TEST_F_TIMEOUT(limits, listener_queue_rcvbuf, 60)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	static int fds[LISTEN_INITIALS + 1];
	int rcvbuf = 64 * 1024, n = 0, i;
	socklen_t len = sizeof(a);
	struct rig *r = &self->r;
	uint8_t f[256];
	struct wr w = { f, 0 };
	struct keys rx;

	r->lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	ASSERT_GE(r->lfd, 0);
	ASSERT_EQ(setsockopt(r->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	len = sizeof(rcvbuf);
	ASSERT_EQ(getsockopt(r->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
	TH_LOG("listener SO_RCVBUF %d", rcvbuf);
	len = sizeof(a);
	ASSERT_EQ(bind(r->lfd, (struct sockaddr *)&a, len), 0);
	ASSERT_EQ(listen(r->lfd, 1000), 0);
	ASSERT_EQ(getsockname(r->lfd, (struct sockaddr *)&a, &len), 0);
	peer_init(_metadata, &r->peer, &a);

	w_frame(&w, F_CRYPTO, 2, 0, HELLO_LEN, 0);
	w_fill(&w, 'C', HELLO_LEN);
	for (i = 0; i < LISTEN_INITIALS; i++) {
		ASSERT_EQ(getrandom(r->peer.dcid, CID_LEN, 0), CID_LEN);
		initial_keys(r->peer.dcid, CID_LEN, &r->peer.tx[LVL_INITIAL], &rx);
		r->peer.next_pn[LVL_INITIAL] = 0;
		ASSERT_TRUE(peer_send_initial(&r->peer, f, w.n, 0));
	}
	usleep(100000);
	ASSERT_EQ(fcntl(r->lfd, F_SETFL, fcntl(r->lfd, F_GETFL) | O_NONBLOCK), 0);
	while (n <= LISTEN_INITIALS && (fds[n] = accept(r->lfd, NULL, NULL)) >= 0)
		n++;
	EXPECT_EQ(errno, EAGAIN);
	for (i = 0; i < n; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		close(fds[i]);
	}
	TH_LOG("%d of %d connections accepted; %d fit in the buffer", n, LISTEN_INITIALS,
	       rcvbuf / MIN_INITIAL);
	EXPECT_GE(n, 1);
	EXPECT_LE(n, rcvbuf / MIN_INITIAL);
	EXPECT_LT(n, LISTEN_INITIALS);
}

/*
 * Two threads open "the next stream" on one connection while the peer's
 * MAX_STREAMS allows none (RFC 9000 section 4.6): both wait, without the
 * socket lock.  When the peer allows two more, each must get a stream of
 * its own: the number is taken after the wait, not before it.
 */
struct opener {
	int fd;
	pid_t tid;
	int ret, err;
	struct quic_stream_info info;
};

static void *stream_opener(void *arg)
{
	struct opener *o = arg;
	socklen_t len = sizeof(o->info);

	__atomic_store_n(&o->tid, gettid(), __ATOMIC_RELEASE);
	o->info.stream_id = -1;
	o->ret = getsockopt(o->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &o->info, &len);
	o->err = errno;
	return NULL;
}

/* Is thread @tid asleep (state S: waiting for the stream limit)? */
static bool task_sleeping(pid_t tid)
{
	char path[64], line[512], *p;
	bool s = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		p = strrchr(line, ')');
		s = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(f);
	return s;
}

TEST_F_TIMEOUT(limits, concurrent_stream_open, 30)
{
	struct timeval tv = { .tv_sec = 3 };
	struct quic_stream_info info = { .stream_id = -1 };
	socklen_t len = sizeof(info);
	struct opener o[2] = {};
	struct rig *r = &self->r;
	uint8_t f[16];
	struct wr w = { f, 0 };
	pthread_t t[2];
	int64_t end;
	int i;

	rig_listen(_metadata, r);
	rig_establish_bidi(_metadata, r, 1);
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	/* The one stream the client allows */
	ASSERT_EQ(getsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len), 0);
	ASSERT_EQ(info.stream_id, 1);
	for (i = 0; i < 2; i++) {
		o[i].fd = r->sfd;
		ASSERT_EQ(pthread_create(&t[i], NULL, stream_opener, &o[i]), 0);
	}
	end = now_ms() + 2000;
	while (now_ms() < end &&
	       !(__atomic_load_n(&o[0].tid, __ATOMIC_ACQUIRE) && task_sleeping(o[0].tid) &&
		 __atomic_load_n(&o[1].tid, __ATOMIC_ACQUIRE) && task_sleeping(o[1].tid)))
		usleep(10000);
	usleep(100000);
	w_frame(&w, F_MAX_STREAMS_BIDI, 1, 3, 0, 0);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		TH_LOG("opener %d: %d (%s), stream %lld", i, o[i].ret,
		       o[i].ret ? strerror(o[i].err) : "ok", (long long)o[i].info.stream_id);
		EXPECT_EQ(o[i].ret, 0);
		EXPECT_TRUE(o[i].info.stream_id == 5 || o[i].info.stream_id == 9);
	}
	EXPECT_NE(o[0].info.stream_id, o[1].info.stream_id);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

/* Slab memory of the whole machine, in KiB. */
static long slab_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Read one message of stream @sid: @want with FIN. */
static void expect_stream_msg(struct __test_metadata *_metadata, int fd, int64_t sid,
			      const char *want)
{
	struct quic_stream_info info = {};
	char buf[64] = {};
	ssize_t n;

	n = stream_recv(fd, &info, buf, sizeof(buf) - 1);
	ASSERT_EQ(n, (ssize_t)strlen(want)) TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(info.stream_id, sid);
	EXPECT_STREQ(buf, want);
	EXPECT_TRUE(info.stream_flags & MSG_QUIC_STREAM_FIN);
}

#define JUMP_STREAMS	65535	/* the most the 16-bit parameters allow */
#define JUMP_SLAB_KIB	2048

/*
 * RFC 9000 section 3.2: a frame for stream N opens every lower stream
 * of its type.  With the largest limit the API lets a server give, one
 * packet naming the last bidirectional and the last unidirectional
 * stream must not cost a state for each of the 131,068 streams it
 * opens; the lower ones still work when the client uses them later,
 * and a stream read to its end stays closed when its data comes again.
 */
TEST_F_TIMEOUT(limits, peer_stream_jump, 60)
{
	const int64_t bidi = (JUMP_STREAMS - 1) * 4, uni = (JUMP_STREAMS - 1) * 4 + 2;
	struct quic_stream_info info;
	struct rig *r = &self->r;
	long slab0, slab1;
	struct mem m0, m1;
	uint8_t f[256];
	struct wr w = { f, 0 };
	char buf[8];

	srv_streams_bidi = JUMP_STREAMS;
	srv_streams_uni = JUMP_STREAMS;
	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	mem_read(_metadata, r->sfd, &m0);
	slab0 = slab_kib();
	ASSERT_GT(slab0, 0);
	w_stream(&w, bidi, 0, "B", 1, true);
	w_stream(&w, uni, 0, "U", 1, true);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	expect_stream_msg(_metadata, r->sfd, bidi, "B");
	expect_stream_msg(_metadata, r->sfd, uni, "U");
	slab1 = slab_kib();
	mem_read(_metadata, r->sfd, &m1);
	TH_LOG("two frames opening %d streams: slab %+ld KiB", 2 * JUMP_STREAMS, slab1 - slab0);
	EXPECT_LT(slab1 - slab0, JUMP_SLAB_KIB);
	expect_mem_growth(_metadata, "stream jump", &m0, &m1, 64 * KIB);

	/* Lower streams, opened by the jump, used now */
	w_stream(&w, 4, 0, "low", 3, true);
	w_stream(&w, 14, 0, "lower", 5, true);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	expect_stream_msg(_metadata, r->sfd, 4, "low");
	expect_stream_msg(_metadata, r->sfd, 14, "lower");

	/* The last unidirectional stream was read to its end: closed */
	w_stream(&w, uni, 0, "U", 1, true);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	usleep(200000);
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(stream_recvmsg(r->sfd, &info, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

#define OUTRUN_STREAMS	200

/*
 * The client leaves its unidirectional stream 0 untouched (opened only
 * by stream 1) while it opens and finishes streams one after another,
 * each read to its end by the server, far past the server's limit of
 * 4 open at once.  Stream 0 stays open all along, and its data comes
 * through at the end.
 */
TEST_F_TIMEOUT(limits, implicit_stream_outrun, 60)
{
	struct rig *r = &self->r;
	uint8_t f[64];
	struct wr w = { f, 0 };
	int64_t n;

	srv_streams_uni = 4;
	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	for (n = 1; n <= OUTRUN_STREAMS; n++) {
		w_stream(&w, n * 4 + 2, 0, "x", 1, true);
		ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
		expect_stream_msg(_metadata, r->sfd, n * 4 + 2, "x");
		peer_drain(&r->peer);	/* the server's ACKs and MAX_STREAMS */
	}
	w_stream(&w, 2, 0, "zero", 4, true);
	ASSERT_TRUE(peer_send_frames(&r->peer, LVL_APP, &w));
	expect_stream_msg(_metadata, r->sfd, 2, "zero");
	expect_alive(_metadata, &r->peer, LVL_APP);
}

/*
 * The socket API draft: a stream of ours opens with MSG_QUIC_STREAM_NEW
 * or QUIC_SOCKOPT_STREAM_OPEN; data alone to an unopened stream ID is
 * refused.
 */
TEST_F(limits, send_unopened_stream)
{
	struct quic_stream_info info = { .stream_id = -1 };
	socklen_t len = sizeof(info);
	struct rig *r = &self->r;

	rig_listen(_metadata, r);
	rig_establish(_metadata, r);
	EXPECT_EQ(stream_send(r->sfd, 1, 0, "a", 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(stream_send(r->sfd, 5, MSG_QUIC_STREAM_FIN, "a", 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(stream_send(r->sfd, 1, MSG_QUIC_STREAM_NEW, "a", 1), 1);
	EXPECT_EQ(stream_send(r->sfd, 1, 0, "b", 1), 1);	/* open now */
	ASSERT_EQ(getsockopt(r->sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &info, &len), 0);
	EXPECT_EQ(info.stream_id, 5);
	EXPECT_EQ(stream_send(r->sfd, 5, MSG_QUIC_STREAM_FIN, "c", 1), 1);
	/* -1 without MSG_QUIC_STREAM_NEW: the stream opened last */
	EXPECT_EQ(stream_send(r->sfd, -1, 0, "d", 1), -1);
	EXPECT_EQ(errno, EINVAL);	/* stream 5 has its FIN */
	EXPECT_EQ(stream_send(r->sfd, -1, MSG_QUIC_STREAM_NEW, "e", 1), 1);
	expect_alive(_metadata, &r->peer, LVL_APP);
}

/*
 * ALPN routing: listeners that share a port, each with its own ALPN
 * names.  A new connection goes to the listener taking the first name of
 * the ClientHello's list that any listener takes, or to the listener
 * without ALPN; with no taker the client gets an Initial with
 * CONNECTION_CLOSE carrying CRYPTO_ERROR no_application_protocol
 * (0x0178, RFC 9001 section 8.1).  The ClientHellos here are real in
 * their framing, and travel in protected Initials as a client's would.
 */
#define ALPN_LISTENERS		3
#define ALPN_HELLO_MAX		2048
#define ALPN_NAME_OFF		53	/* first name's length byte, below */
#define ALPN_WAIT_MS		2000
#define ALPN_EXPIRY_MS		6000	/* the kernel's 3 s, and slack */
#define ALPN_FLOOD		40
#define ALPN_LISTENERS_MAX	16
#define ERR_NO_APP_PROTOCOL	0x178

FIXTURE(alpn) {
	int lfd[ALPN_LISTENERS];
	struct sockaddr_in a;
	struct peer peer;
};

/* A listener on the fixture's port (the first one picks it) with @alpn,
 * or none if NULL; non-blocking.  Returns listen()'s result in @err.
 */
static int alpn_listener(struct __test_metadata *_metadata, struct _test_data_alpn *self,
			 const char *alpn, int *err)
{
	socklen_t len = sizeof(self->a);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_QUIC);
	if (fd < 0)
		return fd;
	if (alpn && setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn, strlen(alpn))) {
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&self->a, len)) {
		close(fd);
		return -1;
	}
	*err = listen(fd, 8) ? errno : 0;
	if (!self->a.sin_port && getsockname(fd, (struct sockaddr *)&self->a, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE_SETUP(alpn)
{
	int err, i;

	for (i = 0; i < ALPN_LISTENERS; i++)
		self->lfd[i] = -1;
	self->peer.fd = -1;
	memset(&self->a, 0, sizeof(self->a));
	self->a.sin_family = AF_INET;
	self->a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	self->lfd[0] = alpn_listener(_metadata, self, "alpn-a", &err);
	ASSERT_GE(self->lfd[0], 0);
	ASSERT_EQ(err, 0);
	self->lfd[1] = alpn_listener(_metadata, self, "b1,b2", &err);
	ASSERT_GE(self->lfd[1], 0);
	ASSERT_EQ(err, 0);
	peer_init(_metadata, &self->peer, &self->a);
}

FIXTURE_TEARDOWN(alpn)
{
	int i, old;

	if (load_restore >= 0)
		sysctl_swap("/proc/sys/net/quic/retry_threshold", &old, load_restore);
	load_restore = -1;

	for (i = 0; i < ALPN_LISTENERS; i++)
		if (self->lfd[i] >= 0)
			close(self->lfd[i]);
	if (self->peer.fd >= 0)
		close(self->peer.fd);
}

/* The client starts another connection: a new first DCID and its keys. */
static void peer_new_conn(struct __test_metadata *_metadata, struct peer *pr)
{
	int i;

	ASSERT_EQ(getrandom(pr->dcid, CID_LEN, 0), CID_LEN);
	pr->dcid_len = CID_LEN;
	initial_keys(pr->dcid, CID_LEN, &pr->tx[LVL_INITIAL], &pr->rx[LVL_INITIAL]);
	for (i = 0; i < LVL_MAX; i++) {
		pr->next_pn[i] = 0;
		pr->largest[i] = -1;
	}
	pr->srv_cid_len = 0;
}

/* A TLS 1.3 ClientHello offering the comma-separated @alpns (no ALPN
 * extension if NULL), made @pad bytes longer by a padding extension
 * (RFC 7685).  Returns its length.
 */
static size_t alpn_hello(uint8_t *p, const char *alpns, size_t pad)
{
	struct wr w = { p, 0 };
	size_t ext, list, n;
	const char *c;

	w_byte(&w, 1);				/* client_hello */
	w_fill(&w, 0, 3);			/* length, below */
	w_byte(&w, 3);
	w_byte(&w, 3);				/* legacy_version */
	w_fill(&w, 0x5a, 32);			/* random */
	w_byte(&w, 0);				/* legacy_session_id */
	w_byte(&w, 0);
	w_byte(&w, 2);
	w_byte(&w, 0x13);
	w_byte(&w, 0x01);			/* TLS_AES_128_GCM_SHA256 */
	w_byte(&w, 1);
	w_byte(&w, 0);				/* compression: null */
	ext = w.n;
	w.n += 2;
	if (alpns) {				/* at ALPN_NAME_OFF - 6 */
		w_byte(&w, 0);
		w_byte(&w, 16);
		list = w.n;
		w.n += 4;
		for (c = alpns; *c; c += n + !!c[n]) {
			n = strcspn(c, ",");
			w_byte(&w, n);
			w_bytes(&w, c, n);
		}
		p[list] = (w.n - list - 2) >> 8;
		p[list + 1] = w.n - list - 2;
		p[list + 2] = (w.n - list - 4) >> 8;
		p[list + 3] = w.n - list - 4;
	}
	if (pad) {
		w_byte(&w, 0);
		w_byte(&w, 21);
		w_byte(&w, pad >> 8);
		w_byte(&w, pad);
		w_fill(&w, 0, pad);
	}
	p[ext] = (w.n - ext - 2) >> 8;
	p[ext + 1] = w.n - ext - 2;
	p[1] = (w.n - 4) >> 16;
	p[2] = (w.n - 4) >> 8;
	p[3] = w.n - 4;
	return w.n;
}

/* Bytes @off to @off + @len of @hello in a CRYPTO frame of an Initial. */
static void alpn_send(struct __test_metadata *_metadata, struct peer *pr,
		      const uint8_t *hello, size_t off, size_t len)
{
	uint8_t f[ALPN_HELLO_MAX];
	struct wr w = { f, 0 };

	w_frame(&w, F_CRYPTO, 2, off, len, 0);
	w_bytes(&w, hello + off, len);
	ASSERT_TRUE(peer_send_initial(pr, f, w.n, 0));
}

/* A connection waits on @fd within @ms: accept it; -1 if none came. */
static int alpn_accept(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept(fd, NULL, NULL);
}

/* The connection on @sfd got exactly @hello as its first handshake data. */
static void alpn_expect_hello(struct __test_metadata *_metadata, int sfd,
			      const uint8_t *hello, size_t len)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	struct timeval tv = { .tv_sec = 5 };
	uint8_t buf[ALPN_HELLO_MAX], level;
	size_t got = 0;
	int n;

	ASSERT_GE(sfd, 0);
	ASSERT_EQ(fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) & ~O_NONBLOCK), 0);
	ASSERT_EQ(setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	while (got < len) {
		level = 0xff;
		n = hs_recv(sfd, &level, buf + got, sizeof(buf) - got);
		ASSERT_GT(n, 0);
		ASSERT_EQ(level, QUIC_CRYPTO_INITIAL);
		got += n;
	}
	EXPECT_EQ(got, len);
	EXPECT_EQ(memcmp(buf, hello, len), 0);
	setsockopt(sfd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	close(sfd);
}

/* No listener but @except (-1: none) has a connection waiting. */
static void alpn_expect_idle(struct __test_metadata *_metadata, struct _test_data_alpn *self,
			     int except)
{
	int i;

	for (i = 0; i < ALPN_LISTENERS; i++) {
		if (i == except || self->lfd[i] < 0)
			continue;
		EXPECT_EQ(accept(self->lfd[i], NULL, NULL), -1);
		EXPECT_EQ(errno, EAGAIN);
	}
}

/* @alpns go to listener @to: it accepts a connection with our hello. */
static void alpn_expect_routed(struct __test_metadata *_metadata, struct _test_data_alpn *self,
			       const char *alpns, int to)
{
	uint8_t hello[ALPN_HELLO_MAX];
	size_t n;

	peer_new_conn(_metadata, &self->peer);
	n = alpn_hello(hello, alpns, 0);
	alpn_send(_metadata, &self->peer, hello, 0, n);
	alpn_expect_hello(_metadata, alpn_accept(self->lfd[to], ALPN_WAIT_MS), hello, n);
	alpn_expect_idle(_metadata, self, to);
	peer_drain(&self->peer);
}

/* @alpns are refused: CONNECTION_CLOSE 0x0178 in an Initial, counted. */
static void alpn_expect_refused(struct __test_metadata *_metadata, struct _test_data_alpn *self,
				const char *alpns)
{
	long refused = mib_read("QuicAlpnRefused"), dropped = mib_read("QuicAlpnDropped");
	uint8_t hello[ALPN_HELLO_MAX];
	struct seen s = {};

	peer_new_conn(_metadata, &self->peer);
	alpn_send(_metadata, &self->peer, hello, 0, alpn_hello(hello, alpns, 0));
	peer_recv(&self->peer, &s, SEEN_CLOSE, ALPN_WAIT_MS);
	EXPECT_EQ(s.bad, 0);
	ASSERT_TRUE(s.flags & SEEN_CLOSE);
	EXPECT_EQ(s.close_level, LVL_INITIAL);
	EXPECT_EQ(s.close_type, F_CLOSE);
	EXPECT_EQ(s.error, ERR_NO_APP_PROTOCOL);
	EXPECT_EQ(s.frame, F_CRYPTO);
	EXPECT_EQ(mib_read("QuicAlpnRefused"), refused + 1);
	EXPECT_EQ(mib_read("QuicAlpnDropped"), dropped);
	alpn_expect_idle(_metadata, self, -1);
}

/* Waits up to @ms for QuicAlpnDropped to reach @want; returns it. */
static long alpn_dropped_wait(long want, int ms)
{
	int64_t end = now_ms() + ms;
	long v;

	while ((v = mib_read("QuicAlpnDropped")) < want && now_ms() < end)
		usleep(50000);
	return v;
}

/* The first acceptable name decides, in the client's order. */
TEST_F(alpn, routed)
{
	alpn_expect_routed(_metadata, self, "alpn-a", 0);
	alpn_expect_routed(_metadata, self, "b2", 1);
	alpn_expect_routed(_metadata, self, "zz,b2,alpn-a", 1);
	alpn_expect_routed(_metadata, self, "zz,alpn-a,b1", 0);
}

/* A ClientHello in two Initials that come last part first. */
TEST_F(alpn, split_reversed)
{
	uint8_t hello[ALPN_HELLO_MAX];
	size_t n;

	n = alpn_hello(hello, "h3,b1", 1500);
	ASSERT_GT(n, 1500);
	alpn_send(_metadata, &self->peer, hello, n / 2, n - n / 2);
	usleep(200000);
	alpn_expect_idle(_metadata, self, -1);	/* half a ClientHello */
	alpn_send(_metadata, &self->peer, hello, 0, n / 2);
	alpn_expect_hello(_metadata, alpn_accept(self->lfd[1], ALPN_WAIT_MS), hello, n);
	alpn_expect_idle(_metadata, self, 1);
}

TEST_F(alpn, refused)
{
	alpn_expect_refused(_metadata, self, "nope");
	alpn_expect_refused(_metadata, self, "b,alpn,b12");
	alpn_expect_refused(_metadata, self, NULL);	/* no ALPN at all */
}

/* A listener without ALPN takes what no other one does. */
TEST_F(alpn, fallback)
{
	int err;

	self->lfd[2] = alpn_listener(_metadata, self, NULL, &err);
	ASSERT_GE(self->lfd[2], 0);
	ASSERT_EQ(err, 0);
	alpn_expect_routed(_metadata, self, "nope", 2);
	alpn_expect_routed(_metadata, self, NULL, 2);
	alpn_expect_routed(_metadata, self, "nope,b1", 1);
}

/* Listeners of one port may not share a name, nor both go without. */
TEST_F(alpn, listen_conflict)
{
	int fd, err;

	fd = alpn_listener(_metadata, self, "zz,alpn-a", &err);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(err, EADDRINUSE);
	close(fd);
	fd = alpn_listener(_metadata, self, "b2", &err);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(err, EADDRINUSE);
	close(fd);
	self->lfd[2] = alpn_listener(_metadata, self, NULL, &err);
	ASSERT_GE(self->lfd[2], 0);
	EXPECT_EQ(err, 0);
	fd = alpn_listener(_metadata, self, NULL, &err);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(err, EADDRINUSE);
	close(fd);
	alpn_expect_routed(_metadata, self, "b1", 1);
}

/* A listener closes with a connection waiting: the others go on, and its
 * names are refused from then on.
 */
TEST_F(alpn, listener_closed)
{
	uint8_t hello[ALPN_HELLO_MAX];
	struct pollfd p;
	int err;

	self->lfd[2] = alpn_listener(_metadata, self, "c", &err);
	ASSERT_GE(self->lfd[2], 0);
	ASSERT_EQ(err, 0);
	alpn_send(_metadata, &self->peer, hello, 0, alpn_hello(hello, "b1", 0));
	p = (struct pollfd){ .fd = self->lfd[1], .events = POLLIN };
	ASSERT_EQ(poll(&p, 1, ALPN_WAIT_MS), 1);
	close(self->lfd[1]);
	self->lfd[1] = -1;
	alpn_expect_refused(_metadata, self, "b1");
	alpn_expect_routed(_metadata, self, "c", 2);
	alpn_expect_routed(_metadata, self, "b1,alpn-a", 0);
}

/* What is not a ClientHello is dropped, counted, and harms nothing. */
TEST_F_TIMEOUT(alpn, malformed, 60)
{
	long dropped = mib_read("QuicAlpnDropped");
	uint8_t hello[ALPN_HELLO_MAX];
	struct keys rx;
	struct seen s = {};
	size_t n;

	/* a name that runs past the list */
	n = alpn_hello(hello, "b1", 0);
	hello[ALPN_NAME_OFF] = 9;
	alpn_send(_metadata, &self->peer, hello, 0, n);
	EXPECT_EQ(alpn_dropped_wait(dropped + 1, ALPN_WAIT_MS), dropped + 1);

	/* not a ClientHello */
	peer_new_conn(_metadata, &self->peer);
	n = alpn_hello(hello, "b1", 0);
	hello[0] = 2;
	alpn_send(_metadata, &self->peer, hello, 0, n);
	EXPECT_EQ(alpn_dropped_wait(dropped + 2, ALPN_WAIT_MS), dropped + 2);

	/* keys of another connection ID: does not decrypt */
	peer_new_conn(_metadata, &self->peer);
	n = alpn_hello(hello, "b1", 0);
	initial_keys(self->peer.scid, CID_LEN, &self->peer.tx[LVL_INITIAL], &rx);
	alpn_send(_metadata, &self->peer, hello, 0, n);
	EXPECT_EQ(alpn_dropped_wait(dropped + 3, ALPN_WAIT_MS), dropped + 3);

	/* longer than the 8 KiB read: dropped as soon as its header says so */
	peer_new_conn(_metadata, &self->peer);
	n = alpn_hello(hello, "b1", 0);
	hello[1] = 0;
	hello[2] = 9000 >> 8;
	hello[3] = 9000 & 0xff;
	alpn_send(_metadata, &self->peer, hello, 0, n);
	EXPECT_EQ(alpn_dropped_wait(dropped + 4, ALPN_WAIT_MS), dropped + 4);

	/* a ClientHello that never completes waits, then is dropped */
	peer_new_conn(_metadata, &self->peer);
	n = alpn_hello(hello, "b1", 1000);
	alpn_send(_metadata, &self->peer, hello, 0, n / 2);
	usleep(500000);
	EXPECT_EQ(mib_read("QuicAlpnDropped"), dropped + 4);
	EXPECT_EQ(alpn_dropped_wait(dropped + 5, ALPN_EXPIRY_MS), dropped + 5);
	usleep(200000);
	EXPECT_EQ(mib_read("QuicAlpnDropped"), dropped + 5);

	peer_recv(&self->peer, &s, SEEN_CLOSE, 200);
	EXPECT_EQ(s.flags, 0);				/* nothing answered */
	alpn_expect_idle(_metadata, self, -1);
	alpn_expect_routed(_metadata, self, "b2", 1);	/* and still routing */
}

/*
 * Incomplete ClientHellos from many connection IDs: the dispatcher holds
 * a bounded number, the oldest giving way, and drops each exactly once;
 * a complete one is routed meanwhile.
 */
TEST_F_TIMEOUT(alpn, incomplete_flood, 60)
{
	long dropped = mib_read("QuicAlpnDropped");
	uint8_t hello[ALPN_HELLO_MAX];
	size_t n;
	int i;

	n = alpn_hello(hello, "alpn-a", 1000);
	for (i = 0; i < ALPN_FLOOD; i++) {
		peer_new_conn(_metadata, &self->peer);
		alpn_send(_metadata, &self->peer, hello, 0, n / 2);
	}
	/* all but the 16 the kernel keeps give way at once */
	EXPECT_GE(alpn_dropped_wait(dropped + ALPN_FLOOD - 16, ALPN_WAIT_MS),
		  dropped + ALPN_FLOOD - 16);
	alpn_expect_routed(_metadata, self, "alpn-a", 0);
	EXPECT_EQ(alpn_dropped_wait(dropped + ALPN_FLOOD, ALPN_EXPIRY_MS), dropped + ALPN_FLOOD);
	usleep(200000);
	EXPECT_EQ(mib_read("QuicAlpnDropped"), dropped + ALPN_FLOOD);
}

/* A 0-RTT packet of the client's first flight, with a PING. */
static size_t zero_rtt_build(struct peer *pr, uint8_t *p)
{
	uint64_t pn = pr->next_pn[LVL_APP]++;
	uint8_t frames[24] = { F_PING };	/* and PADDING */
	struct wr w = { p, 0 };
	size_t pn_off;

	w_byte(&w, 0xd3);			/* long header, 0-RTT, 4-byte PN */
	w_be32(&w, 1);
	w_byte(&w, pr->dcid_len);
	w_bytes(&w, pr->dcid, pr->dcid_len);
	w_byte(&w, CID_LEN);
	w_bytes(&w, pr->scid, CID_LEN);
	w_byte(&w, 0x40);			/* 2-byte Length */
	w_byte(&w, 4 + sizeof(frames) + TAG_LEN);
	pn_off = w.n;
	w_be32(&w, pn);
	w_bytes(&w, frames, sizeof(frames));
	w_fill(&w, 0, TAG_LEN);
	packet_protect(&pr->tx[LVL_APP], p, pn_off, w.n, pn);
	return w.n;
}

/*
 * 0-RTT packets ahead of the Initial and right behind it follow the
 * connection to its listener: all three decrypt once the server has the
 * early keys (RFC 9000 section 5.2.2 lets a server keep a few).
 */
TEST_F(alpn, zero_rtt)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	long rcvd = mib_read("QuicZeroRttPacketsReceived");
	uint8_t hello[ALPN_HELLO_MAX], d[256];
	int sfd, i;
	size_t n;

	n = zero_rtt_build(&self->peer, d);
	ASSERT_TRUE(peer_send(&self->peer, d, n));
	n = alpn_hello(hello, "b1", 0);
	alpn_send(_metadata, &self->peer, hello, 0, n);
	for (i = 0; i < 2; i++) {
		n = zero_rtt_build(&self->peer, d);
		ASSERT_TRUE(peer_send(&self->peer, d, n));
	}
	usleep(300000);
	sfd = alpn_accept(self->lfd[1], ALPN_WAIT_MS);
	ASSERT_GE(sfd, 0);
	alpn_expect_idle(_metadata, self, 1);
	ASSERT_EQ(set_secret(sfd, QUIC_CRYPTO_EARLY, 0, SEED_APP_C), 0);
	EXPECT_EQ(mib_read("QuicZeroRttPacketsReceived"), rcvd + 3);
	setsockopt(sfd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	close(sfd);
}

/* A listener's names are fixed while it listens: they route. */
TEST_F(alpn, names_fixed_while_listening)
{
	EXPECT_EQ(setsockopt(self->lfd[1], SOL_QUIC, QUIC_SOCKOPT_ALPN, "alpn-a", 6), -1);
	EXPECT_EQ(errno, EBUSY);
	alpn_expect_routed(_metadata, self, "b1", 1);
}

/* At most 16 listeners share a port. */
TEST_F(alpn, listeners_max)
{
	int fds[ALPN_LISTENERS_MAX], i, n = 0, err;
	uint8_t hello[ALPN_HELLO_MAX];
	char name[16];
	size_t len;

	for (i = 2; i < ALPN_LISTENERS_MAX; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		fds[n] = alpn_listener(_metadata, self, name, &err);
		ASSERT_GE(fds[n], 0);
		n++;
		EXPECT_EQ(err, 0);
	}
	fds[n] = alpn_listener(_metadata, self, "one-more", &err);
	ASSERT_GE(fds[n], 0);
	n++;
	EXPECT_EQ(err, EADDRINUSE);
	peer_new_conn(_metadata, &self->peer);
	len = alpn_hello(hello, "x,n15", 0);
	alpn_send(_metadata, &self->peer, hello, 0, len);
	alpn_expect_hello(_metadata, alpn_accept(fds[15 - 2], ALPN_WAIT_MS), hello, len);
	alpn_expect_idle(_metadata, self, -1);
	while (n--)
		close(fds[n]);
}

/* Down to one listener, the port no longer routes: the listener left
 * takes every connection, and its handshake judges the name.
 */
TEST_F(alpn, down_to_one)
{
	close(self->lfd[1]);
	self->lfd[1] = -1;
	alpn_expect_routed(_metadata, self, "b1", 0);
	alpn_expect_routed(_metadata, self, "nope", 0);
}

/* A listener closes while the client routed to it still sends, under
 * load: its late Initials go nowhere (the closed listener no longer has
 * a port of its own to weigh the load on), and the port serves on.
 */
TEST_F(alpn, routed_listener_closed)
{
	uint8_t hello[ALPN_HELLO_MAX];
	struct pollfd p;
	int old, err;
	size_t n;

	self->lfd[2] = alpn_listener(_metadata, self, "c", &err);
	ASSERT_GE(self->lfd[2], 0);
	ASSERT_EQ(err, 0);
	ASSERT_EQ(sysctl_swap("/proc/sys/net/quic/retry_threshold", &old, 1), 0);
	load_restore = old;
	n = alpn_hello(hello, "c", 0);
	alpn_send(_metadata, &self->peer, hello, 0, n);
	p = (struct pollfd){ .fd = self->lfd[2], .events = POLLIN };
	ASSERT_EQ(poll(&p, 1, ALPN_WAIT_MS), 1);
	close(self->lfd[2]);
	self->lfd[2] = -1;
	alpn_send(_metadata, &self->peer, hello, 0, n);	/* a retransmission */
	usleep(300000);
	ASSERT_EQ(sysctl_swap("/proc/sys/net/quic/retry_threshold", &err, old), 0);
	load_restore = -1;
	alpn_expect_routed(_metadata, self, "b1", 1);
}

/* The last listener closes while ClientHellos wait: they go with it,
 * uncounted (kmemleak in the debug guest sees that nothing stays), and
 * the port can serve again.
 */
TEST_F(alpn, close_with_pending)
{
	long dropped = mib_read("QuicAlpnDropped");
	uint8_t hello[ALPN_HELLO_MAX];
	size_t n;
	int i, err;

	n = alpn_hello(hello, "b1", 1000);
	for (i = 0; i < 3; i++) {
		peer_new_conn(_metadata, &self->peer);
		alpn_send(_metadata, &self->peer, hello, 0, n / 2);
	}
	usleep(300000);
	for (i = 0; i < 2; i++) {
		close(self->lfd[i]);
		self->lfd[i] = -1;
	}
	EXPECT_EQ(mib_read("QuicAlpnDropped"), dropped);
	self->lfd[0] = alpn_listener(_metadata, self, "alpn-a", &err);
	ASSERT_GE(self->lfd[0], 0);
	ASSERT_EQ(err, 0);
	self->lfd[1] = alpn_listener(_metadata, self, "b1,b2", &err);
	ASSERT_GE(self->lfd[1], 0);
	ASSERT_EQ(err, 0);
	alpn_expect_routed(_metadata, self, "b1", 1);
}

/*
 * Retry under load (RFC 9000 section 8.1.2), as TCP sends SYN cookies:
 * Initials from many addresses that never come back fill the port's
 * handshakes up to net.quic.retry_threshold, the rest get a Retry each
 * and make nothing; a real client follows its Retry and gets in; once the
 * load is gone, clients get in without one.
 */
#define LOAD_SYSCTL	"/proc/sys/net/quic/retry_threshold"
#define LOAD_THRESHOLD	4
#define LOAD_FLOOD	40

static int sysctl_swap(const char *path, int *old, int new)
{
	FILE *f = fopen(path, "r+");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%d", old) == 1 && !fseek(f, 0, SEEK_SET) &&
	     fprintf(f, "%d\n", new) > 0;
	return fclose(f) || !ok ? -1 : 0;
}

/* Initials with a made-up ClientHello from 127.0.2.1, .2, ...: nobody
 * there answers a Retry.
 */
static void flood_initials(struct __test_metadata *_metadata, const struct peer *model,
			   const struct sockaddr_in *srv, int count)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	uint8_t f[256], d[DGRAM_MAX];
	struct wr w = { f, 0 };
	struct peer *pr;
	int i;

	pr = malloc(sizeof(*pr));
	ASSERT_NE(pr, NULL);
	w_frame(&w, F_CRYPTO, 2, 0, HELLO_LEN, 0);
	w_fill(&w, 'F', HELLO_LEN);
	for (i = 0; i < count; i++) {
		*pr = *model;
		pr->token_len = 0;
		peer_new_conn(_metadata, pr);
		pr->fd = socket(AF_INET, SOCK_DGRAM, 0);
		ASSERT_GE(pr->fd, 0);
		src.sin_addr.s_addr = htonl(0x7f000201 + i);
		ASSERT_EQ(bind(pr->fd, (struct sockaddr *)&src, sizeof(src)), 0);
		ASSERT_EQ(connect(pr->fd, (const struct sockaddr *)srv, sizeof(*srv)), 0);
		EXPECT_TRUE(peer_send(pr, d, initial_datagram(pr, d, f, w.n, 0, MIN_INITIAL)));
		close(pr->fd);
	}
	free(pr);
}

/* Wait for a Retry; take its token and the connection ID it gives. */
static void peer_follow_retry(struct __test_metadata *_metadata, struct peer *pr)
{
	struct pollfd pfd = { .fd = pr->fd, .events = POLLIN };
	const uint8_t *scid, *token;
	uint64_t n, scid_len, tlen;
	uint8_t d[DGRAM_MAX];
	struct rd r;
	ssize_t len;

	ASSERT_EQ(poll(&pfd, 1, WAIT_MS), 1);
	len = recv(pr->fd, d, sizeof(d), 0);
	ASSERT_GT(len, 7 + TAG_LEN);
	r = (struct rd){ d, len };
	ASSERT_EQ(rd_uint(&r, 1) & 0xf0, 0xf0);		/* v1 Retry */
	ASSERT_EQ(rd_uint(&r, 4), 1);
	n = rd_uint(&r, 1);
	ASSERT_EQ(n, CID_LEN);
	ASSERT_EQ(memcmp(rd_bytes(&r, n), pr->scid, CID_LEN), 0);
	scid_len = rd_uint(&r, 1);
	scid = rd_bytes(&r, scid_len);
	ASSERT_FALSE(r.bad);
	ASSERT_GE(scid_len, CID_LEN);
	ASSERT_LE(scid_len, CID_MAX);
	ASSERT_GT(r.len, TAG_LEN);
	tlen = r.len - TAG_LEN;
	ASSERT_LT(tlen, sizeof(pr->token));
	token = rd_bytes(&r, tlen);
	memcpy(pr->token, token, tlen);
	pr->token_len = tlen;
	memcpy(pr->dcid, scid, scid_len);
	pr->dcid_len = scid_len;
	initial_keys(pr->dcid, scid_len, &pr->tx[LVL_INITIAL], &pr->rx[LVL_INITIAL]);
}

TEST_F_TIMEOUT(limits, retry_under_load, 60)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	long load = mib_read("QuicRetryUnderLoad"), sent = mib_read("QuicRetrySent");
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int fds[LOAD_THRESHOLD + 2], old, n = 0, i;
	socklen_t alen = sizeof(a);
	struct rig *r = &self->r;
	uint8_t f[256], buf[256], level;
	struct wr w = { f, 0 };

	ASSERT_EQ(sysctl_swap(LOAD_SYSCTL, &old, LOAD_THRESHOLD), 0);
	load_restore = old;
	rig_listen(_metadata, r);
	ASSERT_EQ(getsockname(r->lfd, (struct sockaddr *)&a, &alen), 0);
	flood_initials(_metadata, &r->peer, &a, LOAD_FLOOD);
	usleep(200000);
	EXPECT_EQ(mib_read("QuicRetryUnderLoad"), load + LOAD_FLOOD - LOAD_THRESHOLD);
	EXPECT_EQ(mib_read("QuicRetrySent"), sent + LOAD_FLOOD - LOAD_THRESHOLD);

	/* A real client: its Initial gets a Retry, the one with the token in. */
	w_frame(&w, F_CRYPTO, 2, 0, HELLO_LEN, 0);
	w_fill(&w, 'C', HELLO_LEN);
	ASSERT_TRUE(peer_send_initial(&r->peer, f, w.n, 0));
	peer_follow_retry(_metadata, &r->peer);
	ASSERT_TRUE(peer_send_initial(&r->peer, f, w.n, 0));
	usleep(200000);
	ASSERT_EQ(fcntl(r->lfd, F_SETFL, fcntl(r->lfd, F_GETFL) | O_NONBLOCK), 0);
	while (n < LOAD_THRESHOLD + 2 && (fds[n] = accept(r->lfd, NULL, NULL)) >= 0)
		n++;
	EXPECT_EQ(errno, EAGAIN);
	ASSERT_EQ(n, LOAD_THRESHOLD + 1);	/* the flood's first, then ours */
	r->sfd = fds[--n];
	ASSERT_EQ(setsockopt(r->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ASSERT_EQ(hs_recv(r->sfd, &level, buf, sizeof(buf)), HELLO_LEN);
	ASSERT_EQ(buf[0], 'C');
	rig_handshake(_metadata, r, 8);
	expect_alive(_metadata, &r->peer, LVL_APP);
	for (i = 0; i < n; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		close(fds[i]);
	}

	/* No load left: a client without a token gets straight in. */
	usleep(200000);
	load = mib_read("QuicRetryUnderLoad");
	peer_new_conn(_metadata, &r->peer);
	r->peer.token_len = 0;
	ASSERT_TRUE(peer_send_initial(&r->peer, f, w.n, 0));
	i = alpn_accept(r->lfd, WAIT_MS);
	EXPECT_GE(i, 0);
	if (i >= 0) {
		setsockopt(i, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		close(i);
	}
	EXPECT_EQ(mib_read("QuicRetryUnderLoad"), load);
	ASSERT_EQ(sysctl_swap(LOAD_SYSCTL, &i, old), 0);
	load_restore = -1;
	EXPECT_EQ(i, LOAD_THRESHOLD);
}

TEST_HARNESS_MAIN
