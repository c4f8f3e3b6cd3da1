// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * KUnit tests: the user ABI layout and the socket layer, driven through the
 * kernel consumer interface.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/net.h>
#include <linux/quic.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tls.h>

#include "rcvq.h"
#include "socket.h"

/* The layouts existing programs were built with (quic-abi). */
static void quic_abi_layout_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, IPPROTO_QUIC, 261);
	KUNIT_EXPECT_EQ(test, SOL_QUIC, 288);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_stream_info), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_handshake_info), 1);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_errinfo), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_event_option), 2);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_connection_id_info), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_connection_close, phrase), 8);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_transport_param), 56);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_transport_param, max_idle_timeout), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_transport_param, max_data), 24);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_config), 28);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_config, keepalive_probe_interval),
			QUIC_CONFIG_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_config, congestion_control_algo), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_crypto_secret), 56);
	KUNIT_EXPECT_EQ(test, QUIC_CRYPTO_SECRET_BUFFER_SIZE, 48);
	KUNIT_EXPECT_EQ(test, QUIC_CLOSE_PHRASE_BUFFER_SIZE, 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_crypto_secret, type), 4);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_stream_update), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct quic_stream_update, errcode), 12);
	KUNIT_EXPECT_EQ(test, sizeof(struct quic_stream_max_data), 16);
	KUNIT_EXPECT_EQ(test, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, 14);
	KUNIT_EXPECT_EQ(test, QUIC_EVENT_MAX, 10);
	KUNIT_EXPECT_EQ(test, QUIC_STREAM_RECV_STATE_RESET_READ, 11);
	KUNIT_EXPECT_EQ(test, QUIC_TRANSPORT_ERROR_VERSION_NEGOTIATION, 0x11);
}

static struct socket *quic_test_socket(struct kunit *test, int family, int type)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, family, type, IPPROTO_QUIC, &sock);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, sock->sk->sk_protocol, IPPROTO_QUIC);
	return sock;
}

static int quic_test_set(struct socket *sock, int opt, void *val, int len)
{
	return quic_do_setsockopt(sock->sk, opt, KERNEL_SOCKPTR(val), len);
}

static int quic_test_get(struct socket *sock, int opt, void *val, int *len)
{
	return quic_do_getsockopt(sock->sk, opt, KERNEL_SOCKPTR(val),
				  KERNEL_SOCKPTR(len));
}

static void quic_socket_families_test(struct kunit *test)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct socket *sock;
	int i, j;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		for (j = 0; j < ARRAY_SIZE(types); j++) {
			sock = quic_test_socket(test, families[i], types[j]);
			KUNIT_EXPECT_EQ(test, sock->sk->sk_family, families[i]);
			sock_release(sock);
		}
	}
}

static void quic_config_test(struct kunit *test)
{
	struct socket *sock = quic_test_socket(test, AF_INET, SOCK_STREAM);
	u8 buf[sizeof(struct quic_config) + 8] = {};
	struct quic_config *c = (void *)buf;
	int len;

	/* The older 24-byte layout (tlshd) and the current one. */
	c->receive_session_ticket = 5;
	c->payload_cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, c,
					    QUIC_CONFIG_SIZE_VER0), 0);
	c->keepalive_probe_interval = 1000000;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, c,
					    sizeof(*c)), 0);
	/* A longer struct is fine while its tail is zero. */
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, buf,
					    sizeof(buf)), 0);
	buf[sizeof(*c) + 1] = 1;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, buf,
					    sizeof(buf)), -E2BIG);
	buf[sizeof(*c) + 1] = 0;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, c,
					    QUIC_CONFIG_SIZE_VER0 - 4), -EINVAL);
	/* Any version: a client follows the server's Version Negotiation */
	c->version = 3;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, c,
					    sizeof(*c)), 0);
	c->version = QUIC_VERSION_V2;
	c->congestion_control_algo = QUIC_CONG_ALG_MAX;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_CONFIG, c,
					    sizeof(*c)), -EINVAL);

	memset(buf, 0xff, sizeof(buf));
	len = QUIC_CONFIG_SIZE_VER0;
	KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_CONFIG, c, &len), 0);
	KUNIT_EXPECT_EQ(test, len, QUIC_CONFIG_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, c->version, 3);	/* the refused call changed nothing */
	KUNIT_EXPECT_EQ(test, c->receive_session_ticket, 5);
	KUNIT_EXPECT_EQ(test, c->keepalive_probe_interval, 0xffffffff);	/* untouched */
	len = sizeof(buf);
	KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_CONFIG, c, &len), 0);
	KUNIT_EXPECT_EQ(test, len, sizeof(*c));
	KUNIT_EXPECT_EQ(test, c->keepalive_probe_interval, 1000000);
	sock_release(sock);
}

static void quic_transport_param_test(struct kunit *test)
{
	struct socket *sock = quic_test_socket(test, AF_INET6, SOCK_DGRAM);
	struct quic_transport_param p = {};
	int len = sizeof(p);

	KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len), 0);
	KUNIT_EXPECT_EQ(test, p.max_streams_bidi, 100);
	KUNIT_EXPECT_EQ(test, p.active_connection_id_limit, 7);

	p.ack_delay_exponent = 21;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_TRANSPORT_PARAM,
					    &p, sizeof(p)), -EINVAL);
	p.ack_delay_exponent = 20;
	p.max_udp_payload_size = 1199;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_TRANSPORT_PARAM,
					    &p, sizeof(p)), -EINVAL);
	p.max_udp_payload_size = 1200;
	p.max_data = 1ULL << 62;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_TRANSPORT_PARAM,
					    &p, sizeof(p)), -EINVAL);
	p.max_data = 12345;
	p.remote = 1;
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_TRANSPORT_PARAM,
					    &p, sizeof(p)), 0);
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_TRANSPORT_PARAM,
					    &p, sizeof(p) - 1), -EINVAL);

	memset(&p, 0, sizeof(p));
	KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len), 0);
	KUNIT_EXPECT_EQ(test, p.max_data, 65536 * 32);	/* local unchanged */
	p.remote = 1;
	KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len), 0);
	KUNIT_EXPECT_EQ(test, p.max_data, 12345);
	KUNIT_EXPECT_EQ(test, p.ack_delay_exponent, 20);
	KUNIT_EXPECT_EQ(test, p.remote, 1);
	sock_release(sock);
}

static void quic_alpn_test(struct kunit *test)
{
	static const struct {
		const char *alpn;
		int len, err;
		const char *stored;
	} cases[] = {
		{ "h3", 2, 0, "h3" },
		{ "smbd,h3,ksmbd", 14, 0, "smbd,h3,ksmbd" },	/* with NUL */
		{ "h3,,smb", 7, -EINVAL, NULL },
		{ ",h3", 3, -EINVAL, NULL },
		{ "h3,", 3, -EINVAL, NULL },
		{ "h\0", 3, -EINVAL, NULL },
		{ "", 0, 0, "" },
	};
	struct socket *sock = quic_test_socket(test, AF_INET, SOCK_STREAM);
	char buf[160];
	int i, len;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ_MSG(test, quic_test_set(sock, QUIC_SOCKOPT_ALPN,
							(void *)cases[i].alpn,
							cases[i].len),
				    cases[i].err, "case %d", i);
		if (!cases[i].stored)
			continue;
		len = sizeof(buf);
		KUNIT_ASSERT_EQ(test, quic_test_get(sock, QUIC_SOCKOPT_ALPN, buf, &len), 0);
		KUNIT_EXPECT_EQ(test, len, strlen(cases[i].stored));
		KUNIT_EXPECT_STREQ(test, buf, cases[i].stored);
	}

	memset(buf, 'a', sizeof(buf));
	KUNIT_EXPECT_EQ(test, quic_test_set(sock, QUIC_SOCKOPT_ALPN, buf, 129), -EINVAL);
	sock_release(sock);
}

static void quic_bind_test(struct kunit *test)
{
	struct socket *sock = quic_test_socket(test, AF_INET, SOCK_DGRAM);
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),	/* lo may be down */
	};
	struct sockaddr_in name = {};
	struct socket *udp;

	KUNIT_ASSERT_EQ(test, kernel_bind(sock, (void *)&sin, sizeof(sin)), 0);
	KUNIT_ASSERT_EQ(test, kernel_getsockname(sock, (struct sockaddr *)&name),
			(int)sizeof(name));
	KUNIT_EXPECT_NE(test, ntohs(name.sin_port), 0);
	KUNIT_EXPECT_EQ(test, ntohl(name.sin_addr.s_addr), INADDR_ANY);
	KUNIT_EXPECT_EQ(test, kernel_bind(sock, (void *)&sin, sizeof(sin)), -EINVAL);

	/* The UDP port is really taken, and given back on close. */
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_DGRAM,
					       IPPROTO_UDP, &udp), 0);
	KUNIT_EXPECT_EQ(test, kernel_bind(udp, (void *)&name, sizeof(name)),
			-EADDRINUSE);
	sock_release(sock);
	KUNIT_EXPECT_EQ(test, kernel_bind(udp, (void *)&name, sizeof(name)), 0);
	sock_release(udp);
}

static struct sk_buff *quic_test_piece(struct kunit *test, u64 off, u32 len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	memset(skb_put(skb, len), off & 0xff, len);
	QUIC_RCV_CB(skb)->offset = off;
	return skb;
}

/* Pieces beyond a gap come out in offset order whatever order they came
 * in; a piece the one before it holds whole is refused, so a repeated
 * frame costs nothing; a partial overlap is kept for delivery to trim.
 */
static void quic_reasm_test(struct kunit *test)
{
	static const u32 offs[] = { 900, 800, 700, 600, 500, 400, 300, 200, 100 };
	struct rb_root q = RB_ROOT;
	struct sk_buff *skb;
	u64 next = 100;
	int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		KUNIT_EXPECT_TRUE(test, quic_reasm_insert(&q, quic_test_piece(test, offs[i], 100)));
	for (i = 0; i < 3; i++) {
		skb = quic_test_piece(test, 500, 100);	/* the same again */
		KUNIT_EXPECT_FALSE(test, quic_reasm_insert(&q, skb));
		kfree_skb(skb);
	}
	skb = quic_test_piece(test, 520, 10);		/* inside one */
	KUNIT_EXPECT_FALSE(test, quic_reasm_insert(&q, skb));
	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, quic_reasm_holds(&q, 500, 600));
	KUNIT_EXPECT_TRUE(test, quic_reasm_holds(&q, 520, 530));
	KUNIT_EXPECT_FALSE(test, quic_reasm_holds(&q, 590, 610));	/* spans two */
	KUNIT_EXPECT_FALSE(test, quic_reasm_holds(&q, 50, 60));
	KUNIT_EXPECT_FALSE(test, quic_reasm_holds(&q, 1000, 1001));
	KUNIT_EXPECT_TRUE(test, quic_reasm_insert(&q, quic_test_piece(test, 950, 100)));

	KUNIT_EXPECT_NULL(test, quic_reasm_next(&q, 99));	/* the gap */
	for (i = 0; i < 9; i++) {
		skb = quic_reasm_next(&q, next);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ(test, QUIC_RCV_CB(skb)->offset, next);
		next = QUIC_RCV_CB(skb)->offset + skb->len;
		kfree_skb(skb);
	}
	skb = quic_reasm_next(&q, next);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, QUIC_RCV_CB(skb)->offset, 950);
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, quic_reasm_next(&q, U64_MAX));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&q));
}

static struct kunit_case quic_test_cases[] = {
	KUNIT_CASE(quic_abi_layout_test),
	KUNIT_CASE(quic_socket_families_test),
	KUNIT_CASE(quic_config_test),
	KUNIT_CASE(quic_transport_param_test),
	KUNIT_CASE(quic_alpn_test),
	KUNIT_CASE(quic_bind_test),
	KUNIT_CASE(quic_reasm_test),
	{}
};

static struct kunit_suite quic_test_suite = {
	.name = "quic",
	.test_cases = quic_test_cases,
};

kunit_test_suite(quic_test_suite);

MODULE_DESCRIPTION("KUnit tests for QUIC");
MODULE_LICENSE("GPL");

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
