// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * /proc/net/quic/ of each network namespace, for scripts and people:
 *   snmp	the counters, one per line
 *   eps	the UDP endpoints QUIC sockets are bound to
 *   socks	the QUIC sockets: addresses, state and ALPN
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "mib.h"
#include "proc.h"
#include "socket.h"
#include "udp.h"

static int __net_init quic_proc_net_init(struct net *net)
{
	struct proc_dir_entry *dir;

	dir = proc_net_mkdir(net, "quic", net->proc_net);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_net_single("snmp", 0444, dir, quic_mib_seq_show, NULL) ||
	    !proc_create_net_single("eps", 0444, dir, quic_udp_seq_show, NULL) ||
	    !proc_create_net_single("socks", 0444, dir, quic_sock_seq_show, NULL)) {
		remove_proc_subtree("quic", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit quic_proc_net_exit(struct net *net)
{
	remove_proc_subtree("quic", net->proc_net);
}

static struct pernet_operations quic_proc_ops = {
	.init	= quic_proc_net_init,
	.exit	= quic_proc_net_exit,
};

/**
 * quic_proc_init - create /proc/net/quic/ in every namespace
 *
 * Return: 0 or a negative errno.
 */
int quic_proc_init(void)
{
	if (!IS_ENABLED(CONFIG_PROC_FS))
		return 0;
	return register_pernet_subsys(&quic_proc_ops);
}

/**
 * quic_proc_exit - remove /proc/net/quic/
 */
void quic_proc_exit(void)
{
	if (IS_ENABLED(CONFIG_PROC_FS))
		unregister_pernet_subsys(&quic_proc_ops);
}
