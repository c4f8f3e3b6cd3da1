// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kernel consumer of QUIC sockets.
 *
 * Kernel users have no setsockopt(): they configure QUIC sockets through
 * quic_do_setsockopt() and quic_do_getsockopt().  This sample opens a
 * listening socket as an in-kernel server would (SMB, NFS): it announces
 * its ALPN, tunes the transport parameters and reads back the port it got.
 * The handshake through net/handshake follows once connections exist.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/quic.h>
#include <net/net_namespace.h>

static struct socket *sample_sock;

static int quic_sample_configure(struct sock *sk)
{
	struct quic_transport_param param = {};
	int len = sizeof(param);
	int err;

	err = quic_do_setsockopt(sk, QUIC_SOCKOPT_ALPN, KERNEL_SOCKPTR("sample"),
				 strlen("sample"));
	if (err)
		return err;

	/* Read the defaults, change what we care about, write them back. */
	err = quic_do_getsockopt(sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 KERNEL_SOCKPTR(&param), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	param.max_idle_timeout = 60 * USEC_PER_SEC;
	return quic_do_setsockopt(sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				  KERNEL_SOCKPTR(&param), sizeof(param));
}

static int __init quic_sample_init(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_QUIC,
			       &sample_sock);
	if (err)
		return err;

	err = quic_sample_configure(sample_sock->sk);
	if (err)
		goto out;
	err = kernel_listen(sample_sock, 16);	/* takes an ephemeral port */
	if (err)
		goto out;
	err = kernel_getsockname(sample_sock, (struct sockaddr *)&addr);
	if (err < 0)
		goto out;
	pr_info("listening on UDP port %u, ALPN \"sample\"\n", ntohs(addr.sin_port));
	return 0;
out:
	sock_release(sample_sock);
	return err;
}

static void __exit quic_sample_exit(void)
{
	sock_release(sample_sock);
}

module_init(quic_sample_init);
module_exit(quic_sample_exit);

MODULE_DESCRIPTION("QUIC kernel consumer sample");
MODULE_LICENSE("GPL");
