// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * Per network namespace data: the counters, shown in /proc/net/quic/snmp
 * one per line like /proc/net/sctp/snmp, the Stateless Reset key and the
 * list of sockets.
 */

#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "mib.h"

unsigned int quic_net_id __read_mostly;

static const char * const quic_mib_names[QUIC_MIB_MAX] = {
	[QUIC_MIB_RETRY_SENT]		= "QuicRetrySent",
	[QUIC_MIB_RETRY_RCVD]		= "QuicRetryReceived",
	[QUIC_MIB_TOKEN_INVALID]	= "QuicTokenInvalid",
	[QUIC_MIB_VN_SENT]		= "QuicVersionNegotiationSent",
	[QUIC_MIB_RESET_SENT]		= "QuicStatelessResetSent",
	[QUIC_MIB_RESET_RCVD]		= "QuicStatelessResetReceived",
	[QUIC_MIB_0RTT_SENT]		= "QuicZeroRttPacketsSent",
	[QUIC_MIB_0RTT_RCVD]		= "QuicZeroRttPacketsReceived",
	[QUIC_MIB_UNDECRYPTABLE]	= "QuicPacketsUndecryptable",
	[QUIC_MIB_PACING_WAIT]		= "QuicPacingWaits",
	[QUIC_MIB_GSO_SENT]		= "QuicGsoSent",
	[QUIC_MIB_GSO_SEGS]		= "QuicGsoSegments",
	[QUIC_MIB_RETRY_LOAD]		= "QuicRetryUnderLoad",
	[QUIC_MIB_ALPN_REFUSED]		= "QuicAlpnRefused",
	[QUIC_MIB_ALPN_DROPPED]		= "QuicAlpnDropped",
	[QUIC_MIB_HS_RESEND]		= "QuicHandshakeResends",
	[QUIC_MIB_ACCEPT_DROPPED]	= "QuicAcceptDropped",
	[QUIC_MIB_ICMP_ABORT]		= "QuicIcmpHandshakeAborts",
	[QUIC_MIB_PATH_CHALLENGE]	= "QuicPathChallenges",
	[QUIC_MIB_PATH_MIGRATED]	= "QuicPathMigrations",
	[QUIC_MIB_PATH_LOCAL]		= "QuicPathLocalMigrations",
	[QUIC_MIB_PATH_FAILED]		= "QuicPathValidationFails",
	[QUIC_MIB_PATH_REVERTED]	= "QuicPathReverts",
	[QUIC_MIB_PATH_UNKNOWN]		= "QuicPathUnknownDropped",
	[QUIC_MIB_PATH_PREFERRED]	= "QuicPathPreferredAddress",
	[QUIC_MIB_PMTU_LOWERED]		= "QuicPmtuLowered",
	[QUIC_MIB_PMTU_PROBES]		= "QuicPmtuProbes",
	[QUIC_MIB_PMTU_RAISED]		= "QuicPmtuRaised",
	[QUIC_MIB_PMTU_BLACK_HOLE]	= "QuicPmtuBlackHoles",
	[QUIC_MIB_ECN_VALIDATED]	= "QuicEcnValidated",
	[QUIC_MIB_ECN_FAILED]		= "QuicEcnFailed",
	[QUIC_MIB_ECN_ECT_RCVD]		= "QuicEcnEctReceived",
	[QUIC_MIB_ECN_CE_RCVD]		= "QuicEcnCeReceived",
	[QUIC_MIB_ECN_CONGESTION]	= "QuicEcnCongestion",
	[QUIC_MIB_ACK_FREQ_SENT]	= "QuicAckFrequencySent",
	[QUIC_MIB_ACK_FREQ_RCVD]	= "QuicAckFrequencyReceived",
};

static unsigned long quic_mib_fold(struct quic_mib __percpu *mib, int field)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(mib, cpu)->mibs[field];
	return sum;
}

/**
 * quic_mib_seq_show - /proc/net/quic/snmp
 * @seq: the file
 * @v: unused
 *
 * Return: 0.
 */
int quic_mib_seq_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	int i;

	for (i = 0; i < QUIC_MIB_MAX; i++)
		seq_printf(seq, "%-32s%lu\n", quic_mib_names[i],
			   quic_mib_fold(quic_net(net)->stat, i));
	return 0;
}

/* net.quic.* of each namespace; the global ones are in socket.c. */
static const struct ctl_table quic_net_sysctl_table[] = {
	{
		.procname	= "retry_threshold",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
	{
		.procname	= "ecn",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
};

static int quic_net_sysctl_init(struct net *net, struct quic_net *qn)
{
	void *data[] = { &qn->retry_threshold, &qn->ecn };	/* in table order */
	size_t off = offsetof(typeof(*quic_net_sysctl_table), data);
	void *t;	/* a writable copy, pointing at this namespace */
	int i;

	static_assert(ARRAY_SIZE(data) == ARRAY_SIZE(quic_net_sysctl_table));
	if (!IS_ENABLED(CONFIG_SYSCTL))
		return 0;
	t = kmemdup(quic_net_sysctl_table, sizeof(quic_net_sysctl_table), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(data); i++)
		*(void **)(t + i * sizeof(*quic_net_sysctl_table) + off) = data[i];
	qn->sysctl = register_net_sysctl_sz(net, "net/quic", t,
					    ARRAY_SIZE(quic_net_sysctl_table));
	if (!qn->sysctl) {
		kfree(t);
		return -ENOMEM;
	}
	return 0;
}

static void quic_net_sysctl_exit(struct quic_net *qn)
{
	const struct ctl_table *t;

	if (!qn->sysctl)
		return;
	t = qn->sysctl->ctl_table_arg;
	unregister_net_sysctl_table(qn->sysctl);
	kfree(t);
}

static int __net_init quic_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	int err;

	qn->stat = alloc_percpu(struct quic_mib);
	if (!qn->stat)
		return -ENOMEM;
	qn->retry_threshold = QUIC_RETRY_THRESHOLD;
	qn->ecn = 1;
	err = quic_net_sysctl_init(net, qn);
	if (err) {
		free_percpu(qn->stat);
		return err;
	}
	get_random_bytes(qn->reset_key, sizeof(qn->reset_key));
	ratelimit_state_init(&qn->stateless_rs, HZ, 100);
	/* A peer sets the pace: no "callbacks suppressed" in the log. */
	ratelimit_set_flags(&qn->stateless_rs, RATELIMIT_MSG_ON_RELEASE);
	INIT_LIST_HEAD(&qn->socks);
	spin_lock_init(&qn->socks_lock);
	return 0;
}

static void __net_exit quic_net_exit(struct net *net)
{
	quic_net_sysctl_exit(quic_net(net));
	free_percpu(quic_net(net)->stat);
	memzero_explicit(quic_net(net)->reset_key, QUIC_RESET_KEY_LEN);
}

static struct pernet_operations quic_net_ops = {
	.init	= quic_net_init,
	.exit	= quic_net_exit,
	.id	= &quic_net_id,
	.size	= sizeof(struct quic_net),
};

int quic_mib_init(void)
{
	return register_pernet_subsys(&quic_net_ops);
}

void quic_mib_exit(void)
{
	unregister_pernet_subsys(&quic_net_ops);
}
