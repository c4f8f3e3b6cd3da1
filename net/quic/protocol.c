// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Module entry: register IPPROTO_QUIC with the IPv4 and IPv6 socket layers.
 */

#include <linux/module.h>
#include <net/inet_common.h>
#include <net/protocol.h>
#include <net/transp_v6.h>

#include "mib.h"
#include "proc.h"
#include "socket.h"
#include "token.h"

/* Stream and datagram sockets behave alike: the type is the user's pick. */
static struct inet_protosw quic_protosw[] = {
	{ .type = SOCK_STREAM, .protocol = IPPROTO_QUIC, .prot = &quic_prot,
	  .ops = &quic_proto_ops },
	{ .type = SOCK_DGRAM, .protocol = IPPROTO_QUIC, .prot = &quic_prot,
	  .ops = &quic_proto_ops },
};

static int quic_register_v4(void)
{
	int err, i;

	err = proto_register(&quic_prot, 1);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(quic_protosw); i++)
		inet_register_protosw(&quic_protosw[i]);
	return 0;
}

static void quic_unregister_v4(void)
{
	int i;

	for (i = ARRAY_SIZE(quic_protosw) - 1; i >= 0; i--)
		inet_unregister_protosw(&quic_protosw[i]);
	proto_unregister(&quic_prot);
}

#if IS_ENABLED(CONFIG_IPV6)
static struct inet_protosw quicv6_protosw[] = {
	{ .type = SOCK_STREAM, .protocol = IPPROTO_QUIC, .prot = &quicv6_prot,
	  .ops = &quicv6_proto_ops },
	{ .type = SOCK_DGRAM, .protocol = IPPROTO_QUIC, .prot = &quicv6_prot,
	  .ops = &quicv6_proto_ops },
};

static void quic_unregister_v6_protosw(int n)
{
	while (n--)
		inet6_unregister_protosw(&quicv6_protosw[n]);
}

static int quic_register_v6(void)
{
	int err, i;

	err = proto_register(&quicv6_prot, 1);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(quicv6_protosw); i++) {
		err = inet6_register_protosw(&quicv6_protosw[i]);
		if (err) {
			quic_unregister_v6_protosw(i);
			proto_unregister(&quicv6_prot);
			return err;
		}
	}
	return 0;
}

static void quic_unregister_v6(void)
{
	quic_unregister_v6_protosw(ARRAY_SIZE(quicv6_protosw));
	proto_unregister(&quicv6_prot);
}
#else
static int quic_register_v6(void)
{
	return 0;
}

static void quic_unregister_v6(void)
{
}
#endif

static int __init quic_init(void)
{
	int err;

	err = quic_sock_init();
	if (err)
		return err;
	err = quic_cid_init();
	if (err)
		goto out_sock;
	quic_token_init();
	err = quic_space_cache_init();
	if (err)
		goto out_cid;
	err = quic_mib_init();
	if (err)
		goto out_space;
	err = quic_proc_init();
	if (err)
		goto out_mib;
	err = quic_register_v4();
	if (err)
		goto out_proc;
	err = quic_register_v6();
	if (err)
		goto out_v4;
	pr_info("quic: IPPROTO_QUIC registered\n");
	return 0;

out_v4:
	quic_unregister_v4();
out_proc:
	quic_proc_exit();
out_mib:
	quic_mib_exit();
out_space:
	quic_space_cache_exit();
out_cid:
	quic_cid_exit();
out_sock:
	quic_sock_exit();
	return err;
}

static void __exit quic_exit(void)
{
	quic_unregister_v6();
	quic_unregister_v4();
	rcu_barrier();	/* connection IDs and sockets freed after RCU */
	quic_proc_exit();
	quic_mib_exit();
	quic_space_cache_exit();
	quic_cid_exit();
	quic_sock_exit();
}

module_init(quic_init);
module_exit(quic_exit);

MODULE_ALIAS("net-pf-" __stringify(PF_INET) "-proto-261");
MODULE_ALIAS("net-pf-" __stringify(PF_INET6) "-proto-261");
MODULE_AUTHOR("QUIC developers <quic-dev@localhost>");
MODULE_DESCRIPTION("QUIC: A UDP-Based Multiplexed and Secure Transport");
MODULE_LICENSE("GPL");
