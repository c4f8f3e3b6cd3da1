// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests for packet protection: the sample packets of RFC 9001
 * Appendix A (QUIC v1) and RFC 9369 Appendix A (QUIC v2), round trips for
 * every cipher suite, tampering and key update.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/ctype.h>
#include <linux/hex.h>
#include <linux/kernel.h>
#include <net/tls.h>
#include <uapi/linux/quic.h>

#include "crypto.h"

/* Hex with optional spaces into a test-owned buffer; returns its length. */
static u32 quic_test_hex(struct kunit *test, const char *hex, u8 **out)
{
	u32 n = 0, len = strlen(hex);
	const char *p;
	u8 *buf;

	buf = kunit_kzalloc(test, len / 2 + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (p = hex; *p; p++) {
		if (isspace(*p))
			continue;
		KUNIT_ASSERT_EQ(test, hex2bin(buf + n, p, 1), 0);
		n++;
		p++;
	}
	*out = buf;
	return n;
}

static const u8 quic_test_dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

static void quic_hkdf_label_test(struct kunit *test)
{
	static const struct {
		u32 type;
		const char *secret, *label, *out;
	} cases[] = {
		/* RFC 9001 A.1, client Initial */
		{ TLS_CIPHER_AES_GCM_128,
		  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		  "quic key", "1f369613dd76d5467730efcbe3b1a22d" },
		{ TLS_CIPHER_AES_GCM_128,
		  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		  "quic iv", "fa044b2f42a3fd3b46fb255c" },
		{ TLS_CIPHER_AES_GCM_128,
		  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		  "quic hp", "9f50449e04a0e810283a1e9933adedd2" },
		/* RFC 9369 A.1, server Initial */
		{ TLS_CIPHER_AES_GCM_128,
		  "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
		  "quicv2 key", "82db637861d55e1d011f19ea71d5d2a7" },
		/* RFC 9001 A.5, ChaCha20-Poly1305 */
		{ TLS_CIPHER_CHACHA20_POLY1305,
		  "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b",
		  "quic hp",
		  "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4" },
		{ TLS_CIPHER_CHACHA20_POLY1305,
		  "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b",
		  "quic ku",
		  "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9" },
		/* RFC 9369 A.5 */
		{ TLS_CIPHER_CHACHA20_POLY1305,
		  "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b",
		  "quicv2 ku",
		  "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88" },
	};
	u8 *secret, *want, out[QUIC_SECRET_MAX];
	u32 len;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		quic_test_hex(test, cases[i].secret, &secret);
		len = quic_test_hex(test, cases[i].out, &want);
		KUNIT_ASSERT_EQ(test, quic_crypto_hkdf_expand_label(cases[i].type, secret,
								    cases[i].label,
								    out, len), 0);
		KUNIT_EXPECT_MEMEQ_MSG(test, out, want, len, "case %d", i);
	}
	KUNIT_EXPECT_EQ(test, quic_crypto_hkdf_expand_label(0, secret, "x", out, 4),
			-EINVAL);
}

static void quic_initial_iv_test(struct kunit *test)
{
	struct quic_crypto c = {};
	u8 *iv;

	/* A client sends with the client secret (RFC 9001 A.1) ... */
	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(&c, QUIC_VERSION_V1, quic_test_dcid,
						       sizeof(quic_test_dcid), false), 0);
	quic_test_hex(test, "fa044b2f42a3fd3b46fb255c", &iv);
	KUNIT_EXPECT_MEMEQ(test, c.tx.iv[0], iv, QUIC_IV_LEN);
	quic_test_hex(test, "0ac1493ca1905853b0bba03e", &iv);
	KUNIT_EXPECT_MEMEQ(test, c.rx.iv[0], iv, QUIC_IV_LEN);

	/* ... a v2 server with the server secret (RFC 9369 A.1). */
	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(&c, QUIC_VERSION_V2, quic_test_dcid,
						       sizeof(quic_test_dcid), true), 0);
	quic_test_hex(test, "dd13c276499c0249d3310652", &iv);
	KUNIT_EXPECT_MEMEQ(test, c.tx.iv[0], iv, QUIC_IV_LEN);
	quic_test_hex(test, "91f73e2351d8fa91660e909f", &iv);
	KUNIT_EXPECT_MEMEQ(test, c.rx.iv[0], iv, QUIC_IV_LEN);
	quic_crypto_free(&c);
}

/* RFC 9001 A.2: the CRYPTO frame of the client Initial */
static const u8 quic_test_client_frames[] = {
	0x06, 0x00, 0x40, 0xf1, 0x01, 0x00, 0x00, 0xed, 0x03, 0x03, 0xeb, 0xf8,
	0xfa, 0x56, 0xf1, 0x29, 0x39, 0xb9, 0x58, 0x4a, 0x38, 0x96, 0x47, 0x2e,
	0xc4, 0x0b, 0xb8, 0x63, 0xcf, 0xd3, 0xe8, 0x68, 0x04, 0xfe, 0x3a, 0x47,
	0xf0, 0x6a, 0x2b, 0x69, 0x48, 0x4c, 0x00, 0x00, 0x04, 0x13, 0x01, 0x13,
	0x02, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00,
	0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f,
	0x6d, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06,
	0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x10, 0x00, 0x07, 0x00, 0x05,
	0x04, 0x61, 0x6c, 0x70, 0x6e, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20,
	0x93, 0x70, 0xb2, 0xc9, 0xca, 0xa4, 0x7f, 0xba, 0xba, 0xf4, 0x55, 0x9f,
	0xed, 0xba, 0x75, 0x3d, 0xe1, 0x71, 0xfa, 0x71, 0xf5, 0x0f, 0x1c, 0xe1,
	0x5d, 0x43, 0xe9, 0x94, 0xec, 0x74, 0xd7, 0x48, 0x00, 0x2b, 0x00, 0x03,
	0x02, 0x03, 0x04, 0x00, 0x0d, 0x00, 0x10, 0x00, 0x0e, 0x04, 0x03, 0x05,
	0x03, 0x06, 0x03, 0x02, 0x03, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x00,
	0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x1c, 0x00, 0x02, 0x40, 0x01, 0x00,
	0x39, 0x00, 0x32, 0x04, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x05, 0x04, 0x80, 0x00, 0xff, 0xff, 0x07, 0x04, 0x80, 0x00, 0xff,
	0xff, 0x08, 0x01, 0x10, 0x01, 0x04, 0x80, 0x00, 0x75, 0x30, 0x09, 0x01,
	0x10, 0x0f, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0x06,
	0x04, 0x80, 0x00, 0xff, 0xff,
};

/* RFC 9001 A.2: the first 64 bytes of the protected client Initial */
static const u8 quic_test_client_start[] = {
	0xc0, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
	0x57, 0x08, 0x00, 0x00, 0x44, 0x9e, 0x7b, 0x9a, 0xec, 0x34, 0xd1, 0xb1,
	0xc9, 0x8d, 0xd7, 0x68, 0x9f, 0xb8, 0xec, 0x11, 0xd2, 0x42, 0xb1, 0x23,
	0xdc, 0x9b, 0xd8, 0xba, 0xb9, 0x36, 0xb4, 0x7d, 0x92, 0xec, 0x35, 0x6c,
	0x0b, 0xab, 0x7d, 0xf5, 0x97, 0x6d, 0x27, 0xcd, 0x44, 0x9f, 0x63, 0x30,
	0x00, 0x99, 0xf3, 0x99,
};

/* RFC 9001 A.2: protect the client Initial, check its start and its tag,
 * then take it apart again as the server does.
 */
static void quic_client_initial_test(struct kunit *test)
{
	struct quic_crypto *client, *server;
	u8 *hdr, *frames, *want, *pkt, pn_len;
	u32 hlen, flen, plen = 1162;

	hlen = quic_test_hex(test, "c300000001088394c8f03e5157080000449e00000002", &hdr);
	flen = sizeof(quic_test_client_frames);
	/* Off the stack: with KASAN two of them exceed the frame limit. */
	client = kunit_kzalloc(test, sizeof(*client), GFP_KERNEL);
	server = kunit_kzalloc(test, sizeof(*server), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, client);
	KUNIT_ASSERT_NOT_NULL(test, server);
	frames = (u8 *)quic_test_client_frames;
	pkt = kunit_kzalloc(test, hlen + plen + QUIC_TAG_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	memcpy(pkt, hdr, hlen);
	memcpy(pkt + hlen, frames, flen);	/* the rest is PADDING (0x00) */

	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(client, QUIC_VERSION_V1,
						       quic_test_dcid, 8, false), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(client, pkt, hlen, plen, 2, 4), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt, quic_test_client_start, 64);
	quic_test_hex(test, "e221af44860018ab0856972e194cd934", &want);
	KUNIT_EXPECT_MEMEQ(test, pkt + hlen + plen, want, QUIC_TAG_LEN);

	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(server, QUIC_VERSION_V1,
						       quic_test_dcid, 8, true), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_unprotect_header(server, pkt, hlen - 4,
							   hlen + plen + QUIC_TAG_LEN,
							   &pn_len), 0);
	KUNIT_EXPECT_EQ(test, pn_len, 4);
	KUNIT_EXPECT_MEMEQ(test, pkt, hdr, hlen);
	KUNIT_ASSERT_EQ(test, quic_crypto_decrypt(server, pkt, hlen, plen + QUIC_TAG_LEN,
						  2, 0), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt + hlen, frames, flen);
	KUNIT_EXPECT_NULL(test, memchr_inv(pkt + hlen + flen, 0, plen - flen));
	quic_crypto_free(client);
	quic_crypto_free(server);
}

/* RFC 9001 A.3: ACK and CRYPTO frames of the server Initial */
static const u8 quic_test_server_frames[] = {
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

/* the protected server Initial, QUIC_VERSION_V1 */
static const u8 quic_test_server_v1[] = {
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

/* the protected server Initial, QUIC_VERSION_V2 */
static const u8 quic_test_server_v2[] = {
	0xdc, 0x6b, 0x33, 0x43, 0xcf, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
	0x42, 0x62, 0xb5, 0x00, 0x40, 0x75, 0xd9, 0x2f, 0xaa, 0xf1, 0x6f, 0x05,
	0xd8, 0xa4, 0x39, 0x8c, 0x47, 0x08, 0x96, 0x98, 0xba, 0xee, 0xa2, 0x6b,
	0x91, 0xeb, 0x76, 0x1d, 0x9b, 0x89, 0x23, 0x7b, 0xbf, 0x87, 0x26, 0x30,
	0x17, 0x91, 0x53, 0x58, 0x23, 0x00, 0x35, 0xf7, 0xfd, 0x39, 0x45, 0xd8,
	0x89, 0x65, 0xcf, 0x17, 0xf9, 0xaf, 0x6e, 0x16, 0x88, 0x6c, 0x61, 0xbf,
	0xc7, 0x03, 0x10, 0x6f, 0xba, 0xf3, 0xcb, 0x4c, 0xfa, 0x52, 0x38, 0x2d,
	0xd1, 0x6a, 0x39, 0x3e, 0x42, 0x75, 0x75, 0x07, 0x69, 0x80, 0x75, 0xb2,
	0xc9, 0x84, 0xc7, 0x07, 0xf0, 0xa0, 0x81, 0x2d, 0x8c, 0xd5, 0xa6, 0x88,
	0x1e, 0xaf, 0x21, 0xce, 0xda, 0x98, 0xf4, 0xbd, 0x23, 0xf6, 0xfe, 0x1a,
	0x3e, 0x2c, 0x43, 0xed, 0xd9, 0xce, 0x7c, 0xa8, 0x4b, 0xed, 0x85, 0x21,
	0xe2, 0xe1, 0x40,
};

/* RFC 9001 A.3 and RFC 9369 A.3: the server Initial, byte for byte. */
static void quic_server_initial_test(struct kunit *test)
{
	static const struct {
		u32 version;
		const char *hdr;
		const u8 *packet;
		u32 len;
	} cases[] = {
		{ QUIC_VERSION_V1, "c1000000010008f067a5502a4262b50040750001",
		  quic_test_server_v1, sizeof(quic_test_server_v1) },
		{ QUIC_VERSION_V2, "d16b3343cf0008f067a5502a4262b50040750001",
		  quic_test_server_v2, sizeof(quic_test_server_v2) },
	};
	u8 *hdr, *frames, *want, *pkt;
	u32 hlen, flen, wlen;
	int i;

	flen = sizeof(quic_test_server_frames);
	frames = (u8 *)quic_test_server_frames;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quic_crypto server = {};

		hlen = quic_test_hex(test, cases[i].hdr, &hdr);
		want = (u8 *)cases[i].packet;
		wlen = cases[i].len;
		KUNIT_ASSERT_EQ(test, wlen, hlen + flen + QUIC_TAG_LEN);
		pkt = kunit_kzalloc(test, wlen, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pkt);
		memcpy(pkt, hdr, hlen);
		memcpy(pkt + hlen, frames, flen);
		KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(&server, cases[i].version,
							       quic_test_dcid, 8, true), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(&server, pkt, hlen, flen, 1, 2), 0);
		KUNIT_EXPECT_MEMEQ_MSG(test, pkt, want, wlen, "version %x",
				       cases[i].version);
		quic_crypto_free(&server);
	}
}

/* RFC 9001 A.5 and RFC 9369 A.5: ChaCha20-Poly1305, short header. */
static void quic_chacha_short_header_test(struct kunit *test)
{
	static const struct {
		u32 version;
		const char *packet;
	} cases[] = {
		{ QUIC_VERSION_V1, "4cfe4189655e5cd55c41f69080575d7999c25a5bfb" },
		{ QUIC_VERSION_V2, "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba" },
	};
	u8 *secret, *want, *pkt, pn_len;
	int i;

	quic_test_hex(test, "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b",
		      &secret);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quic_crypto c = {};

		quic_test_hex(test, cases[i].packet, &want);
		pkt = kunit_kzalloc(test, 21, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pkt);
		memcpy(pkt, "\x42\x00\xbf\xf4\x01", 5);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, cases[i].version,
							     TLS_CIPHER_CHACHA20_POLY1305,
							     secret, true), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(&c, pkt, 4, 1, 654360564, 3), 0);
		KUNIT_EXPECT_MEMEQ_MSG(test, pkt, want, 21, "version %x", cases[i].version);

		/* The same secret on the receive side takes it apart. */
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, cases[i].version,
							     TLS_CIPHER_CHACHA20_POLY1305,
							     secret, false), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_unprotect_header(&c, pkt, 1, 21, &pn_len), 0);
		KUNIT_EXPECT_EQ(test, pn_len, 3);
		KUNIT_EXPECT_MEMEQ(test, pkt, "\x42\x00\xbf\xf4", 4);
		KUNIT_ASSERT_EQ(test, quic_crypto_decrypt(&c, pkt, 4, 17, 654360564, 0), 0);
		KUNIT_EXPECT_EQ(test, pkt[4], 0x01);
		quic_crypto_free(&c);
	}
}

/* RFC 9001 A.4 and RFC 9369 A.4 */
static void quic_retry_tag_test(struct kunit *test)
{
	static const struct {
		u32 version;
		const char *packet;
	} cases[] = {
		{ QUIC_VERSION_V1,
		  "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba" },
		{ QUIC_VERSION_V2,
		  "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6" },
	};
	u8 *pkt, tag[QUIC_TAG_LEN];
	u32 len;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		len = quic_test_hex(test, cases[i].packet, &pkt) - QUIC_TAG_LEN;
		KUNIT_ASSERT_EQ(test, quic_crypto_retry_tag(cases[i].version, quic_test_dcid,
							    8, pkt, len, tag), 0);
		KUNIT_EXPECT_MEMEQ_MSG(test, tag, pkt + len, QUIC_TAG_LEN, "version %x",
				       cases[i].version);
	}
}

/* Every suite: a short header packet goes through, a flipped bit does not,
 * and both sides move through two key updates.
 */
static void quic_suites_roundtrip_test(struct kunit *test)
{
	static const u32 types[] = {
		TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256,
		TLS_CIPHER_AES_CCM_128, TLS_CIPHER_CHACHA20_POLY1305,
	};
	u8 secret[QUIC_SECRET_MAX], *pkt, *orig, *sealed, pn_len;
	struct quic_crypto *a, *b;
	u32 hlen = 9, plen = 100, clen = plen + QUIC_TAG_LEN, len = hlen + clen;
	int i, round;

	pkt = kunit_kzalloc(test, len, GFP_KERNEL);
	orig = kunit_kzalloc(test, len, GFP_KERNEL);
	sealed = kunit_kzalloc(test, len, GFP_KERNEL);
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, sealed);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	KUNIT_ASSERT_NOT_NULL(test, orig);
	for (i = 0; i < len; i++)
		orig[i] = i * 7;
	orig[0] = 0x41;			/* short header, 2-byte packet number */
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = 0xa0 + i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		memset(a, 0, sizeof(*a));
		memset(b, 0, sizeof(*b));

		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(a, QUIC_VERSION_V1, types[i],
							     secret, true), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(b, QUIC_VERSION_V1, types[i],
							     secret, false), 0);
		/* b sends with another secret so that a can receive */
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(a, QUIC_VERSION_V1, types[i],
							     secret + 1, false), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(b, QUIC_VERSION_V1, types[i],
							     secret + 1, true), 0);
		for (round = 0; round < 3; round++) {
			memcpy(pkt, orig, len);
			KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(a, pkt, hlen, plen,
								  0x1234 + round, 2), 0);
			KUNIT_EXPECT_NE(test, memcmp(pkt + hlen, orig + hlen, plen), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_unprotect_header(b, pkt, hlen - 2,
									   len, &pn_len), 0);
			KUNIT_EXPECT_EQ(test, pn_len, 2);
			KUNIT_EXPECT_MEMEQ(test, pkt, orig, hlen);
			/* A failed decryption leaves garbage in place: keep a copy. */
			memcpy(sealed, pkt, len);
			pkt[hlen + 5] ^= 0x01;
			KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(b, pkt, hlen, clen,
								  0x1234 + round, b->key_phase),
					-EBADMSG);
			memcpy(pkt, sealed, len);
			KUNIT_ASSERT_EQ(test, quic_crypto_decrypt(b, pkt, hlen, clen,
								  0x1234 + round, b->key_phase), 0);
			KUNIT_EXPECT_MEMEQ(test, pkt + hlen, orig + hlen, plen);

			KUNIT_EXPECT_EQ(test, quic_crypto_key_update(a), -EAGAIN);
			KUNIT_ASSERT_EQ(test, quic_crypto_prepare_update(a), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_prepare_update(b), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_key_update(a), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_key_update(b), 0);
			KUNIT_EXPECT_EQ(test, a->key_phase, (round + 1) & 1);
		}
		quic_crypto_free(a);
		quic_crypto_free(b);
	}
}

static void quic_crypto_errors_test(struct kunit *test)
{
	struct quic_crypto c = {};
	u8 secret[QUIC_SECRET_MAX] = {}, *pkt, pn_len;

	pkt = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 4, 20, 0, 1), -ENOKEY);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&c, pkt, 4, 20, 0, 0), -ENOKEY);
	KUNIT_EXPECT_EQ(test, quic_crypto_key_update(&c), -EINVAL);
	KUNIT_EXPECT_EQ(test, quic_crypto_set_secret(&c, QUIC_VERSION_V1, 99, secret, true),
			-EINVAL);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, QUIC_VERSION_V1,
						     TLS_CIPHER_AES_GCM_128, secret, true), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, QUIC_VERSION_V1,
						     TLS_CIPHER_AES_GCM_128, secret, false), 0);
	/* Too short to sample for header protection. */
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 2, 1, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 4, 20, 0, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, quic_crypto_unprotect_header(&c, pkt, 10, 29, &pn_len), -EINVAL);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&c, pkt, 4, 15, 0, 0), -EINVAL);
	quic_crypto_free(&c);
}

/* disable_1rtt_encryption: a plain level leaves packets untouched, adds
 * no tag, and counts nothing against the cipher's limits.
 */
static void quic_crypto_plain_test(struct kunit *test)
{
	struct quic_crypto c = { .plain = true };
	u8 secret[QUIC_SECRET_MAX] = {}, *pkt, *copy, pn_len = 0;
	int i;

	pkt = kunit_kzalloc(test, 64, GFP_KERNEL);
	copy = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	KUNIT_EXPECT_EQ(test, quic_crypto_tag_len(&c), 0);
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 10, 4, 7, 2), -ENOKEY);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, QUIC_VERSION_V1,
						     TLS_CIPHER_AES_GCM_128, secret, true), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&c, QUIC_VERSION_V1,
						     TLS_CIPHER_AES_GCM_128, secret, false), 0);
	for (i = 0; i < 64; i++)
		pkt[i] = i * 7;
	pkt[0] = 0x41;			/* short header, 2-byte packet number */
	memcpy(copy, pkt, 64);
	/* 8-byte ID, packet number at 9, two bytes; a 2-byte payload */
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 11, 2, 7, 2), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt, copy, 64);
	KUNIT_EXPECT_EQ(test, c.tx_packets, 0);
	KUNIT_EXPECT_EQ(test, quic_crypto_unprotect_header(&c, pkt, 9, 13, &pn_len), 0);
	KUNIT_EXPECT_EQ(test, pn_len, 2);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&c, pkt, 11, 2, 7, 0), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt, copy, 64);
	/* Still 4 bytes from the packet number on, as with protection. */
	KUNIT_EXPECT_EQ(test, quic_crypto_unprotect_header(&c, pkt, 9, 12, &pn_len), -EINVAL);
	KUNIT_EXPECT_FALSE(test, quic_crypto_update_due(&c));
	/* A key update: the next phase only once prepared, as with keys. */
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&c, pkt, 11, 2, 7, QUIC_KEY_NEXT), -ENOKEY);
	KUNIT_ASSERT_EQ(test, quic_crypto_prepare_update(&c), 0);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&c, pkt, 11, 2, 7, QUIC_KEY_NEXT), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_key_update(&c), 0);
	KUNIT_EXPECT_EQ(test, c.key_phase, 1);
	KUNIT_EXPECT_EQ(test, quic_crypto_encrypt(&c, pkt, 11, 2, 8, 2), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt, copy, 64);
	quic_crypto_free(&c);
	c.plain = false;
	KUNIT_EXPECT_EQ(test, quic_crypto_tag_len(&c), QUIC_TAG_LEN);
}

/* RFC 9001 section 6.6: an update well before the confidentiality limit,
 * the end of the connection near it or at the integrity limit; none for
 * ChaCha20, whose limit no connection reaches.
 */
static void quic_aead_limits_test(struct kunit *test)
{
	static const struct {
		u32 type;
		u64 conf, integ;
	} cases[] = {
		{ TLS_CIPHER_AES_GCM_128, 1ULL << 23, 1ULL << 52 },
		{ TLS_CIPHER_AES_GCM_256, 1ULL << 23, 1ULL << 52 },
		{ TLS_CIPHER_AES_CCM_128, 2965820, 2965820 },
	};
	u8 secret[QUIC_SECRET_MAX] = {};
	struct quic_crypto *c;
	int i;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_FALSE(test, quic_crypto_update_due(c));	/* no keys yet */
	KUNIT_EXPECT_FALSE(test, quic_crypto_limit_reached(c));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(c, 0, sizeof(*c));
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(c, QUIC_VERSION_V1, cases[i].type,
							     secret, true), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(c, QUIC_VERSION_V1, cases[i].type,
							     secret, false), 0);
		c->tx_packets = cases[i].conf - cases[i].conf / 16 - 1;
		KUNIT_EXPECT_FALSE(test, quic_crypto_update_due(c));
		c->tx_packets++;
		KUNIT_EXPECT_TRUE(test, quic_crypto_update_due(c));
		KUNIT_EXPECT_FALSE(test, quic_crypto_limit_reached(c));
		c->tx_packets = cases[i].conf - cases[i].conf / 64;
		KUNIT_EXPECT_TRUE(test, quic_crypto_limit_reached(c));
		/* A key update starts the count again. */
		KUNIT_ASSERT_EQ(test, quic_crypto_prepare_update(c), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_key_update(c), 0);
		KUNIT_EXPECT_EQ(test, c->tx_packets, 0);
		KUNIT_EXPECT_FALSE(test, quic_crypto_update_due(c));
		c->rx_failures = cases[i].integ - 1;
		KUNIT_EXPECT_FALSE(test, quic_crypto_limit_reached(c));
		c->rx_failures++;
		KUNIT_EXPECT_TRUE(test, quic_crypto_limit_reached(c));
		quic_crypto_free(c);
	}

	memset(c, 0, sizeof(*c));
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(c, QUIC_VERSION_V1,
						     TLS_CIPHER_CHACHA20_POLY1305,
						     secret, true), 0);
	c->tx_packets = 1ULL << 62;
	KUNIT_EXPECT_FALSE(test, quic_crypto_update_due(c));
	KUNIT_EXPECT_FALSE(test, quic_crypto_limit_reached(c));
	c->rx_failures = (1ULL << 36) - 1;
	KUNIT_EXPECT_FALSE(test, quic_crypto_limit_reached(c));
	c->rx_failures++;
	KUNIT_EXPECT_TRUE(test, quic_crypto_limit_reached(c));
	quic_crypto_free(c);
}

/* Failed authentications are counted; packets of the old key phase are
 * fine below the first one of the new phase and a KEY_UPDATE_ERROR above
 * it (RFC 9001 section 6.4).
 */
static void quic_key_phase_order_test(struct kunit *test)
{
	u8 secret[QUIC_SECRET_MAX] = {}, *pkt;
	struct quic_crypto *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	pkt = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(c, QUIC_VERSION_V1, TLS_CIPHER_AES_GCM_128,
						     secret, true), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(c, QUIC_VERSION_V1, TLS_CIPHER_AES_GCM_128,
						     secret, false), 0);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(c, pkt, 4, 40, 1, 0), -EBADMSG);
	KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(c, pkt, 4, 40, 2, 0), -EBADMSG);
	KUNIT_EXPECT_EQ(test, c->rx_failures, 2);

	KUNIT_EXPECT_TRUE(test, quic_crypto_rx_phase_ok(c, 0, 10));
	KUNIT_ASSERT_EQ(test, quic_crypto_prepare_update(c), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_key_update(c), 0);
	KUNIT_EXPECT_TRUE(test, quic_crypto_rx_phase_ok(c, 0, 50));	/* none new yet */
	KUNIT_EXPECT_TRUE(test, quic_crypto_rx_phase_ok(c, 1, 20));	/* first new */
	KUNIT_EXPECT_TRUE(test, quic_crypto_rx_phase_ok(c, 1, 25));
	KUNIT_EXPECT_TRUE(test, quic_crypto_rx_phase_ok(c, 0, 19));	/* reordered */
	KUNIT_EXPECT_FALSE(test, quic_crypto_rx_phase_ok(c, 0, 21));
	quic_crypto_free(c);
}

static struct kunit_case quic_crypto_test_cases[] = {
	KUNIT_CASE(quic_hkdf_label_test),
	KUNIT_CASE(quic_initial_iv_test),
	KUNIT_CASE(quic_client_initial_test),
	KUNIT_CASE(quic_server_initial_test),
	KUNIT_CASE(quic_chacha_short_header_test),
	KUNIT_CASE(quic_retry_tag_test),
	KUNIT_CASE(quic_suites_roundtrip_test),
	KUNIT_CASE(quic_crypto_errors_test),
	KUNIT_CASE(quic_crypto_plain_test),
	KUNIT_CASE(quic_aead_limits_test),
	KUNIT_CASE(quic_key_phase_order_test),
	{}
};

static struct kunit_suite quic_crypto_test_suite = {
	.name = "quic_crypto",
	.test_cases = quic_crypto_test_cases,
};

kunit_test_suite(quic_crypto_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
