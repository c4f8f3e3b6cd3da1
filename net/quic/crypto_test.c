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

static const char quic_test_client_crypto[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";

/* RFC 9001 A.2: protect the client Initial, check its start and its tag,
 * then take it apart again as the server does.
 */
static void quic_client_initial_test(struct kunit *test)
{
	struct quic_crypto client = {}, server = {};
	u8 *hdr, *frames, *want, *pkt, pn_len;
	u32 hlen, flen, plen = 1162;

	hlen = quic_test_hex(test, "c300000001088394c8f03e5157080000449e00000002", &hdr);
	flen = quic_test_hex(test, quic_test_client_crypto, &frames);
	pkt = kunit_kzalloc(test, hlen + plen + QUIC_TAG_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	memcpy(pkt, hdr, hlen);
	memcpy(pkt + hlen, frames, flen);	/* the rest is PADDING (0x00) */

	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(&client, QUIC_VERSION_V1,
						       quic_test_dcid, 8, false), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(&client, pkt, hlen, plen, 2, 4), 0);
	quic_test_hex(test, "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
			    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399",
		      &want);
	KUNIT_EXPECT_MEMEQ(test, pkt, want, 64);
	quic_test_hex(test, "e221af44860018ab0856972e194cd934", &want);
	KUNIT_EXPECT_MEMEQ(test, pkt + hlen + plen, want, QUIC_TAG_LEN);

	KUNIT_ASSERT_EQ(test, quic_crypto_initial_keys(&server, QUIC_VERSION_V1,
						       quic_test_dcid, 8, true), 0);
	KUNIT_ASSERT_EQ(test, quic_crypto_unprotect_header(&server, pkt, hlen - 4,
							   hlen + plen + QUIC_TAG_LEN,
							   &pn_len), 0);
	KUNIT_EXPECT_EQ(test, pn_len, 4);
	KUNIT_EXPECT_MEMEQ(test, pkt, hdr, hlen);
	KUNIT_ASSERT_EQ(test, quic_crypto_decrypt(&server, pkt, hlen, plen + QUIC_TAG_LEN,
						  2, 0), 0);
	KUNIT_EXPECT_MEMEQ(test, pkt + hlen, frames, flen);
	KUNIT_EXPECT_NULL(test, memchr_inv(pkt + hlen + flen, 0, plen - flen));
	quic_crypto_free(&client);
	quic_crypto_free(&server);
}

static const char quic_test_server_frames[] =
	"02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
	"88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
	"0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
	"020304";

/* RFC 9001 A.3 and RFC 9369 A.3: the server Initial, byte for byte. */
static void quic_server_initial_test(struct kunit *test)
{
	static const struct {
		u32 version;
		const char *hdr, *packet;
	} cases[] = {
		{ QUIC_VERSION_V1, "c1000000010008f067a5502a4262b50040750001",
		  "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
		  "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
		  "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
		  "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
		  "2158407dd074ee" },
		{ QUIC_VERSION_V2, "d16b3343cf0008f067a5502a4262b50040750001",
		  "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
		  "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
		  "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
		  "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
		  "4bed8521e2e140" },
	};
	u8 *hdr, *frames, *want, *pkt;
	u32 hlen, flen, wlen;
	int i;

	flen = quic_test_hex(test, quic_test_server_frames, &frames);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quic_crypto server = {};

		hlen = quic_test_hex(test, cases[i].hdr, &hdr);
		wlen = quic_test_hex(test, cases[i].packet, &want);
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
		{ QUIC_VERSION_V1, "ff000000010008f067a5502a4262b5746f6b656e"
				   "04a265ba2eff4d829058fb3f0f2496ba" },
		{ QUIC_VERSION_V2, "cf6b3343cf0008f067a5502a4262b5746f6b656e"
				   "c8646ce8bfe33952d955543665dcc7b6" },
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
	u32 hlen = 9, plen = 100, len = hlen + plen + QUIC_TAG_LEN;
	int i, round;

	pkt = kunit_kzalloc(test, len, GFP_KERNEL);
	orig = kunit_kzalloc(test, len, GFP_KERNEL);
	sealed = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sealed);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	KUNIT_ASSERT_NOT_NULL(test, orig);
	for (i = 0; i < len; i++)
		orig[i] = i * 7;
	orig[0] = 0x41;			/* short header, 2-byte packet number */
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = 0xa0 + i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct quic_crypto a = {}, b = {};

		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&a, QUIC_VERSION_V1, types[i],
							     secret, true), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&b, QUIC_VERSION_V1, types[i],
							     secret, false), 0);
		/* b sends with another secret so that a can receive */
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&a, QUIC_VERSION_V1, types[i],
							     secret + 1, false), 0);
		KUNIT_ASSERT_EQ(test, quic_crypto_set_secret(&b, QUIC_VERSION_V1, types[i],
							     secret + 1, true), 0);
		for (round = 0; round < 3; round++) {
			memcpy(pkt, orig, len);
			KUNIT_ASSERT_EQ(test, quic_crypto_encrypt(&a, pkt, hlen, plen,
								  0x1234 + round, 2), 0);
			KUNIT_EXPECT_NE(test, memcmp(pkt + hlen, orig + hlen, plen), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_unprotect_header(&b, pkt, hlen - 2,
									   len, &pn_len), 0);
			KUNIT_EXPECT_EQ(test, pn_len, 2);
			KUNIT_EXPECT_MEMEQ(test, pkt, orig, hlen);
			/* A failed decryption leaves garbage in place: keep a copy. */
			memcpy(sealed, pkt, len);
			pkt[hlen + 5] ^= 0x01;
			KUNIT_EXPECT_EQ(test, quic_crypto_decrypt(&b, pkt, hlen, plen + QUIC_TAG_LEN,
								  0x1234 + round, b.key_phase),
					-EBADMSG);
			memcpy(pkt, sealed, len);
			KUNIT_ASSERT_EQ(test, quic_crypto_decrypt(&b, pkt, hlen, plen + QUIC_TAG_LEN,
								  0x1234 + round, b.key_phase), 0);
			KUNIT_EXPECT_MEMEQ(test, pkt + hlen, orig + hlen, plen);

			KUNIT_ASSERT_EQ(test, quic_crypto_key_update(&a), 0);
			KUNIT_ASSERT_EQ(test, quic_crypto_key_update(&b), 0);
			KUNIT_EXPECT_EQ(test, a.key_phase, (round + 1) & 1);
		}
		quic_crypto_free(&a);
		quic_crypto_free(&b);
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

static struct kunit_case quic_crypto_test_cases[] = {
	KUNIT_CASE(quic_hkdf_label_test),
	KUNIT_CASE(quic_initial_iv_test),
	KUNIT_CASE(quic_client_initial_test),
	KUNIT_CASE(quic_server_initial_test),
	KUNIT_CASE(quic_chacha_short_header_test),
	KUNIT_CASE(quic_retry_tag_test),
	KUNIT_CASE(quic_suites_roundtrip_test),
	KUNIT_CASE(quic_crypto_errors_test),
	{}
};

static struct kunit_suite quic_crypto_test_suite = {
	.name = "quic_crypto",
	.test_cases = quic_crypto_test_cases,
};

kunit_test_suite(quic_crypto_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
