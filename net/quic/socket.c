// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The QUIC socket: the proto and proto_ops entry points (bind, listen,
 * accept, connect, poll, close), the connection's work item, the sysctls
 * and the protocol's memory accounting.  The options are in sockopt.c,
 * sendmsg() and recvmsg() in msg.c.
 */

#include <kunit/visibility.h>
#include <linux/quic.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/string_helpers.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/addrconf.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tls.h>
#include <net/transp_v6.h>

#include "close.h"
#include "conn.h"
#include "input.h"
#include "listen.h"
#include "mib.h"
#include "msg.h"
#include "output.h"
#include "rcvq.h"
#include "recovery.h"
#include "socket.h"
#include "sockopt.h"
#include "timer.h"
#include "udp.h"
#include "wire.h"

/* RFC 9000 section 18.2: the values a peer's missing parameters take. */
static const struct quic_transport_param quic_param_rfc_defaults = {
	.remote				= 1,
	.active_connection_id_limit	= 2,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= 65527,
	.max_ack_delay			= 25000,
};

/* What we announce unless the user says otherwise (the socket API draft). */
static const struct quic_transport_param quic_param_local_defaults = {
	.active_connection_id_limit	= 7,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= 65527,
	.max_idle_timeout		= 30000000,
	.max_ack_delay			= 25000,
	.max_streams_bidi		= 100,
	.max_streams_uni		= 100,
	.max_data			= 65536 * 32,
	.max_stream_data_bidi_local	= 65536 * 4,
	.max_stream_data_bidi_remote	= 65536 * 4,
	.max_stream_data_uni		= 65536 * 4,
};

#define QUIC_RTT_INIT		333000	/* us, RFC 9002 section 6.2.2 */

/* Memory accounting, shared by both families. */
static atomic_long_t quic_memory_allocated;
static DEFINE_PER_CPU(int, quic_memory_per_cpu_fw_alloc);
static struct percpu_counter quic_sockets_allocated;
static unsigned long quic_memory_pressure;
static long sysctl_quic_mem[3];
static int sysctl_quic_rmem[3];
static int sysctl_quic_wmem[3];

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/* A kernel consumer's QUIC socket holds its lock while bind() creates the
 * kernel UDP socket under it: both would be "k-sk_lock-AF_INET*" to
 * lockdep.  QUIC sockets get classes of their own.
 */
static struct lock_class_key quic_slock_keys[2], quic_lock_keys[2];

static void quic_sock_lockdep_init(struct sock *sk)
{
	bool v6 = sk->sk_family == AF_INET6;

	sock_lock_init_class_and_name(sk, v6 ? "slock-AF_INET6-QUIC" : "slock-AF_INET-QUIC",
				      &quic_slock_keys[v6],
				      v6 ? "sk_lock-AF_INET6-QUIC" : "sk_lock-AF_INET-QUIC",
				      &quic_lock_keys[v6]);
}
#else
static void quic_sock_lockdep_init(struct sock *sk)
{
}
#endif

/* Every socket is on its namespace's list, for /proc/net/quic/socks. */
static void quic_sock_list_add(struct sock *sk)
{
	struct quic_net *qn = quic_net(sock_net(sk));

	INIT_LIST_HEAD(&quic_sk(sk)->net_node);
	spin_lock_bh(&qn->socks_lock);
	list_add_tail(&quic_sk(sk)->net_node, &qn->socks);
	spin_unlock_bh(&qn->socks_lock);
}

static void quic_sock_list_del(struct sock *sk)
{
	struct quic_net *qn = quic_net(sock_net(sk));

	spin_lock_bh(&qn->socks_lock);
	list_del_init(&quic_sk(sk)->net_node);
	spin_unlock_bh(&qn->socks_lock);
}

static const char *quic_sock_state_name(struct sock *sk)
{
	if (READ_ONCE(quic_sk(sk)->closing))
		return "CLOSING";
	switch (inet_sk_state_load(sk)) {
	case TCP_LISTEN:
		return "LISTEN";
	case TCP_SYN_RECV:
		return "HANDSHAKE";
	case TCP_ESTABLISHED:
		return "ESTABLISHED";
	default:
		return "CLOSED";
	}
}

/* Under the list lock: nothing here sleeps or takes the socket lock, so
 * no socket owner can hold a reader up.  Addresses and state are read
 * as they are at this moment; the UDP socket is freed after RCU.
 */
static void quic_sock_show(struct seq_file *seq, struct sock *sk)
{
	struct quic_udp_sock *us = READ_ONCE(quic_sk(sk)->udp);
	struct quic_sock *qs = quic_sk(sk);
	char l[64] = "-", r[64] = "-";
	union quic_addr a;

	a = qs->local_addr;
	if (!a.sa.sa_family && us)
		a = us->addr;		/* bound, not connected */
	if (a.sa.sa_family)
		snprintf(l, sizeof(l), "%pISpc", &a.sa);
	a = qs->peer_addr;
	if (a.sa.sa_family)
		snprintf(r, sizeof(r), "%pISpc", &a.sa);
	seq_printf(seq, "%-47s %-47s %-11s %10u %8llu ", l, r, quic_sock_state_name(sk),
		   from_kuid_munged(seq_user_ns(seq), sk_uid(sk)), sock_i_ino(sk));
	if (qs->alpn.len)
		seq_escape_mem(seq, qs->alpn.data, qs->alpn.len, ESCAPE_ANY_NP, "\\ ");
	else
		seq_putc(seq, '-');
	seq_putc(seq, '\n');
}

/**
 * quic_sock_seq_show - /proc/net/quic/socks: the namespace's sockets
 * @seq: the file
 * @v: unused
 *
 * One line each: local and peer address, state, owner, inode and ALPN.
 *
 * Return: 0.
 */
int quic_sock_seq_show(struct seq_file *seq, void *v)
{
	struct quic_net *qn = quic_net(seq_file_single_net(seq));
	struct quic_sock *qs;

	seq_printf(seq, "%-47s %-47s %-11s %10s %8s %s\n", "LOCAL", "REMOTE", "STATE",
		   "UID", "INODE", "ALPN");
	spin_lock_bh(&qn->socks_lock);
	list_for_each_entry(qs, &qn->socks, net_node)
		quic_sock_show(seq, &qs->inet.sk);
	spin_unlock_bh(&qn->socks_lock);
	return 0;
}

static void quic_destroy_sock(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_list_del(sk);
	quic_conn_free(sk);
	quic_data_free(&qs->alpn);
	quic_data_free(&qs->token);
	quic_data_free(&qs->ticket);
	kfree(qs->reqs_ids);
	qs->reqs_ids = NULL;
	kfree_sensitive(qs->ticket_rx);
	sk_sockets_allocated_dec(sk);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
}

static void quic_unlisten(struct sock *sk)
{
	if (sk->sk_state != TCP_LISTEN)
		return;
	quic_listener_del(sk);
	quic_listener_close(sk);
	inet_sk_set_state(sk, TCP_CLOSE);
}

static void quic_unbind(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->path.prev_udp) {	/* the other end of a move */
		quic_udp_sock_put(qs->path.prev_udp);
		qs->path.prev_udp = NULL;
	}
	if (qs->path.pref_udp) {	/* a preferred address not moved to */
		quic_udp_sock_put(qs->path.pref_udp);
		qs->path.pref_udp = NULL;
	}
	if (!qs->udp)
		return;
	quic_udp_sock_put(qs->udp);
	qs->udp = NULL;
}

/* Closed sockets that stay, flushing or lingering: beyond this many a
 * close() is abortive, as TCP does past tcp_max_orphans.
 */
static atomic_t quic_orphans = ATOMIC_INIT(0);
static int quic_max_orphans __read_mostly;

/**
 * quic_close_final - free a closed socket's connection and the socket
 * @sk: the socket, orphaned, not locked
 *
 * Called by close(), or by the connection's work item once the closing
 * or draining period of a lingering socket is over.
 */
void quic_close_final(struct sock *sk)
{
	if (quic_sk(sk)->orphan)
		atomic_dec(&quic_orphans);
	lock_sock(sk);
	quic_timers_stop(sk);
	/* Out of the table before the UDP socket may go. */
	quic_conn_free(sk);
	quic_unbind(sk);
	inet_sk_set_state(sk, TCP_CLOSE);
	release_sock(sk);
	sk_common_release(sk);
}

/* The connection's work item (QUIC_WORK_*): quic_conn_work_run(), or the
 * free of a socket whose closing period ended (QUIC_WORK_FREE), which
 * releases the UDP tunnel socket and so may sleep too.  What the work
 * allocates (keys after a Retry or a key update) is charged to the
 * socket's memory cgroup, not to the kworker's.
 */
static void quic_sock_work(struct work_struct *work)
{
	struct quic_sock *qs = container_of(work, struct quic_sock, work);
	struct sock *sk = &qs->inet.sk;
	struct mem_cgroup *old_memcg;

	if (test_and_clear_bit(QUIC_WORK_FREE, &qs->work_todo)) {
		quic_close_final(sk);
		sock_put(sk);
		return;
	}
	old_memcg = set_active_memcg(mem_cgroup_from_sk(sk));
	lock_sock(sk);
	if (quic_conn_work_run(sk)) {
		quic_packets_replay(sk, QUIC_CRYPTO_INITIAL);
		quic_output_flush(sk);
	}
	release_sock(sk);
	set_active_memcg(old_memcg);
	sock_put(sk);
}

static int quic_init_sock(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_sock_lockdep_init(sk);

	qs->config.version = QUIC_VERSION_V1;
	qs->config.initial_smoothed_rtt = QUIC_RTT_INIT;
	qs->local = quic_param_local_defaults;
	qs->remote = quic_param_rfc_defaults;
	INIT_HLIST_NODE(&qs->listen_node);
	quic_conn_init(sk);
	quic_timers_init(sk);
	INIT_WORK(&qs->work, quic_sock_work);
	/* The receive path finds sockets under RCU by connection ID. */
	sock_set_flag(sk, SOCK_RCU_FREE);

	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(sysctl_quic_wmem[1]));
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(sysctl_quic_rmem[1]));
	quic_sock_list_add(sk);
	sk_sockets_allocated_inc(sk);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	return 0;
}

static void quic_close(struct sock *sk, long timeout)
{
	bool linger = false, may_stay;

	/* The work takes the socket lock: wait for it without holding it,
	 * then do what it had pending (the flush below may need the next
	 * 1-RTT keys).  Work queued after this runs on its own reference.
	 */
	if (cancel_work_sync(&quic_sk(sk)->work))
		sock_put(sk);
	lock_sock(sk);
	/* Not a new Initial after a Retry or Version Negotiation, though:
	 * the server keeps no state to tell.
	 */
	clear_bit(QUIC_WORK_RETRY, &quic_sk(sk)->work_todo);
	clear_bit(QUIC_WORK_VERSION, &quic_sk(sk)->work_todo);
	quic_conn_work_run(sk);
	quic_unlisten(sk);
	quic_listener_hs_end(sk);	/* no longer a handshake in progress */
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	/* The socket may stay until the peer has its stream data, then for
	 * the closing or draining period (RFC 9000 section 10.2); its
	 * reference then goes with quic_close_final().
	 */
	may_stay = atomic_read(&quic_orphans) < READ_ONCE(quic_max_orphans);
	if (may_stay)
		linger = quic_conn_flush(sk);
	if (!linger) {
		quic_conn_close(sk);
		linger = may_stay && quic_conn_linger(sk);
	}
	if (linger) {
		quic_sk(sk)->orphan = true;
		atomic_inc(&quic_orphans);
	}
	release_sock(sk);
	if (!linger)
		quic_close_final(sk);
}

/* Connections are found by connection ID, not through the inet hashes. */
static int quic_hash(struct sock *sk)
{
	return 0;
}

static void quic_unhash(struct sock *sk)
{
}

static int quic_disconnect(struct sock *sk, int flags)
{
	quic_unlisten(sk);
	return 0;
}

static void quic_set_saddr_v4(struct sock *sk, __be32 addr)
{
	struct inet_sock *inet = inet_sk(sk);

	inet->inet_rcv_saddr = addr;
	inet->inet_saddr = addr;
	if (sk->sk_family == AF_INET6)
		ipv6_addr_set_v4mapped(addr, &sk->sk_v6_rcv_saddr);
}

static void quic_set_saddr_v6(struct sock *sk, const struct sockaddr_in6 *a)
{
#if IS_ENABLED(CONFIG_IPV6)
	sk->sk_v6_rcv_saddr = a->sin6_addr;
	inet6_sk(sk)->saddr = a->sin6_addr;
	sk->sk_bound_dev_if = a->sin6_scope_id;
	inet_sk(sk)->inet_rcv_saddr = LOOPBACK4_IPV6;
#endif
}

/* Bind @sk to @addr: take the shared UDP socket, record the address.
 * @no_cap: a cgroup bind program lifted the CAP_NET_BIND_SERVICE check.
 */
static int quic_bind_addr(struct sock *sk, union quic_addr *addr, bool no_cap)
{
	struct inet_sock *inet = inet_sk(sk);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_udp_sock *us;
	int err;

	err = quic_addr_check_local(sk, addr);
	if (err)
		return err;
	err = quic_addr_check_port(sk, addr, no_cap);
	if (err)
		return err;

	us = quic_udp_sock_get(sk, addr);
	if (IS_ERR(us))
		return PTR_ERR(us);
	qs->udp = us;

	inet->inet_sport = addr->v4.sin_port;
	inet->inet_num = ntohs(inet->inet_sport);
	if (addr->sa.sa_family == AF_INET)
		quic_set_saddr_v4(sk, addr->v4.sin_addr.s_addr);
	else
		quic_set_saddr_v6(sk, &addr->v6);
	return 0;
}

static int quic_bind(struct sock *sk, struct sockaddr_unsized *uaddr, int len)
{
	union quic_addr addr;
	bool no_cap;
	int err;

	err = quic_addr_from_user(sk, uaddr, len, &addr);
	if (err)
		return err;
	lock_sock(sk);
	err = quic_addr_bind_hook(sk, uaddr, &len, &no_cap);
	if (err)
		goto out;
	err = quic_addr_from_user(sk, uaddr, len, &addr);	/* as rewritten */
	if (err)
		goto out;
	/* An IPv4-mapped address would give an IPv6 socket an IPv4 tunnel,
	 * which it can neither connect nor accept on.
	 */
	err = -EAFNOSUPPORT;
	if (addr.sa.sa_family != sk->sk_family)
		goto out;
	err = -EINVAL;
	if (quic_sk(sk)->udp || sk->sk_state != TCP_CLOSE)
		goto out;
	err = quic_bind_addr(sk, &addr, no_cap);
out:
	release_sock(sk);
	return err;
}

/* listen() without bind() takes an ephemeral port on the wildcard address,
 * as TCP does.
 */
static int quic_autobind(struct sock *sk)
{
	union quic_addr any = {};

	any.sa.sa_family = sk->sk_family;
	return quic_bind_addr(sk, &any, false);
}

static int quic_inet_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct quic_sock *qs = quic_sk(sk);
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (sk->sk_state == TCP_LISTEN) {	/* only adjust the backlog */
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = 0;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	if (!qs->udp) {
		err = quic_autobind(sk);
		if (err)
			goto out;
	}
	if (!qs->ticket.data) {
		/* The key user space uses to protect session tickets. */
		qs->ticket.data = kmalloc(QUIC_TICKET_KEY_LEN, GFP_KERNEL_ACCOUNT);
		if (!qs->ticket.data) {
			err = -ENOMEM;
			goto out;
		}
		get_random_bytes(qs->ticket.data, QUIC_TICKET_KEY_LEN);
		qs->ticket.len = QUIC_TICKET_KEY_LEN;
	}

	err = quic_listener_add(sk);
	if (err)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	inet_sk_set_state(sk, TCP_LISTEN);
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* A socket for an accepted connection, set up as inet_create() and
 * inet6_create() would, with the listener's settings.
 */
static struct sock *quic_sk_child(struct sock *lsk, bool kern)
{
	struct quic_sock *lqs = quic_sk(lsk), *qs;
	struct inet_sock *inet;
	struct sock *sk;

	sk = sk_alloc(sock_net(lsk), lsk->sk_family, GFP_KERNEL, lsk->sk_prot, kern);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	sk->sk_type = lsk->sk_type;
	sk->sk_protocol = IPPROTO_QUIC;
	sk->sk_destruct = lsk->sk_destruct;
	sk->sk_backlog_rcv = lsk->sk_backlog_rcv;
	inet = inet_sk(sk);
	inet->uc_ttl = -1;
	inet->mc_ttl = 1;
	inet->pmtudisc = IP_PMTUDISC_WANT;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct ipv6_pinfo *np;

		np = (struct ipv6_pinfo *)((u8 *)sk + lsk->sk_prot->ipv6_pinfo_offset);
		inet->pinet6 = np;
		np->hop_limit = -1;
		np->mcast_hops = IPV6_DEFAULT_MCASTHOPS;
		np->pmtudisc = IPV6_PMTUDISC_WANT;
		sk->sk_ipv6only = lsk->sk_ipv6only;
	}
#endif
	if (sk->sk_prot->init(sk)) {
		sk_common_release(sk);
		return NULL;
	}
	qs = quic_sk(sk);
	qs->config = lqs->config;
	qs->local = lqs->local;
	qs->events = lqs->events;
	return sk;
}

/* What of the listener's settings needs memory; @sk is closed on failure
 * by the caller, once it no longer holds the listener's lock.
 */
static int quic_sk_child_inherit(struct sock *sk, struct sock *lsk)
{
	struct quic_sock *lqs = quic_sk(lsk);

	return quic_sock_set_alpn(sk, lqs->alpn.data, lqs->alpn.len) ?:
	       quic_data_set(&quic_sk(sk)->ticket, KERNEL_SOCKPTR(lqs->ticket.data),
			     lqs->ticket.len);
}

static int quic_accept_wait(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (skb_queue_empty(&quic_sk(sk)->reqs)) {
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		err = quic_wait_error(*timeo);
		if (err)
			break;
		sk_wait_event(sk, timeo, !skb_queue_empty(&quic_sk(sk)->reqs) ||
			      sk->sk_state != TCP_LISTEN, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static struct sock *quic_accept(struct sock *sk, struct proto_accept_arg *arg)
{
	long timeo = sock_rcvtimeo(sk, arg->flags & O_NONBLOCK);
	struct quic_cid odcid;
	struct sock *newsk;
	struct sk_buff *skb;
	int err;

	lock_sock(sk);
	for (;;) {
		newsk = NULL;
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		/* Each entry is the first datagram of a connection (RFC 9000 14.1). */
		err = quic_accept_wait(sk, &timeo);
		if (err)
			break;
		/* The ALPN dispatcher may have taken the entry meanwhile. */
		skb = quic_listener_next(sk);
		if (!skb)
			continue;
		err = -ENOMEM;
		newsk = quic_sk_child(sk, arg->kern);
		if (!newsk) {
			kfree_skb(skb);
			break;
		}
		/* The listener's lock is held: the child is of the same class. */
		lock_sock_nested(newsk, SINGLE_DEPTH_NESTING);
		err = quic_sk_child_inherit(newsk, sk);
		if (err)
			kfree_skb(skb);
		else
			err = quic_conn_accept(newsk, sk, skb, &odcid);
		if (!err)
			quic_packet_rcv_first(newsk, sk, skb, &odcid);
		release_sock(newsk);
		if (err != -EEXIST && err != -EINVAL)
			break;
		/* No connection comes of that datagram: a retransmission that
		 * queued itself just as accept() took its first copy (its ID is
		 * in use), or one that does not parse.  Dropped, as TCP drops a
		 * bad SYN, and the next one waited for.  The child is closed
		 * without our lock: it is of the same class.
		 */
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_ACCEPT_DROPPED);
		release_sock(sk);
		newsk->sk_prot->close(newsk, 0);
		newsk = NULL;
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			goto out;
		}
		cond_resched();
		lock_sock(sk);
	}
	release_sock(sk);
	if (err && newsk) {
		newsk->sk_prot->close(newsk, 0);
		newsk = NULL;
	}
out:
	arg->err = err;
	return newsk;
}

static int quic_connect(struct sock *sk, struct sockaddr_unsized *uaddr, int len)
{
	union quic_addr addr;
	int err;

	err = quic_addr_from_user(sk, uaddr, len, &addr);
	if (err)
		return err;
	if (sk->sk_state == TCP_LISTEN || sk->sk_state != TCP_CLOSE ||
	    quic_cid_active(&quic_sk(sk)->scids))
		return -EISCONN;
	if (addr.sa.sa_family == AF_INET6 &&
	    ipv6_addr_any(&addr.v6.sin6_addr))
		return -EINVAL;
	if (addr.sa.sa_family == AF_INET && !addr.v4.sin_addr.s_addr)
		return -EINVAL;
	if (!addr.v4.sin_port)		/* same offset in v4 and v6 */
		return -EINVAL;
	if (addr.sa.sa_family != sk->sk_family)
		return -EAFNOSUPPORT;	/* a v4-mapped peer needs a v4 tunnel */
	if (!quic_sk(sk)->udp) {
		err = quic_autobind(sk);
		if (err)
			return err;
	}
	if (quic_sk(sk)->udp->addr.sa.sa_family != addr.sa.sa_family)
		return -EAFNOSUPPORT;	/* the route lookup needs its family */
	err = quic_conn_connect(sk, &addr);
	if (err)
		quic_conn_free(sk);
	return err;
}

static int quic_inet_connect(struct socket *sock, struct sockaddr_unsized *uaddr,
			     int len, int flags)
{
	struct sock *sk = sock->sk;
	int err;

	lock_sock(sk);
	err = sk->sk_prot->connect(sk, uaddr, len);
	if (!err)
		sock->state = SS_CONNECTED;
	release_sock(sk);
	return err;
}

static __poll_t quic_poll(struct file *file, struct socket *sock,
			  struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	struct quic_sock *qs = quic_sk(sk);
	__poll_t mask = 0;
	int state;

	sock_poll_wait(file, sock, wait);
	/* Unlocked, as tcp_poll(): the state with its release/acquire pair */
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return skb_queue_empty_lockless(&qs->reqs) ? 0 : EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	if (READ_ONCE(sk->sk_shutdown) == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(qs->handshake_done) && !READ_ONCE(qs->closing) &&
	    READ_ONCE(sk->sk_wmem_queued) < READ_ONCE(sk->sk_sndbuf))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static void quic_shutdown(struct sock *sk, int how)
{
	if (how & SEND_SHUTDOWN)
		quic_conn_close(sk);
}

/* Socket options */

#define QUIC_PROTO_COMMON						\
	.owner			= THIS_MODULE,				\
	.init			= quic_init_sock,			\
	.destroy		= quic_destroy_sock,			\
	.close			= quic_close,				\
	.disconnect		= quic_disconnect,			\
	.connect		= quic_connect,				\
	.accept			= quic_accept,				\
	.bind			= quic_bind,				\
	.hash			= quic_hash,				\
	.unhash			= quic_unhash,				\
	.setsockopt		= quic_setsockopt,			\
	.getsockopt		= quic_getsockopt,			\
	.sendmsg		= quic_sendmsg,				\
	.recvmsg		= quic_recvmsg,				\
	.shutdown		= quic_shutdown,			\
	.backlog_rcv		= quic_packet_rcv,			\
	.release_cb		= quic_release_cb,			\
	.no_autobind		= true,					\
	.memory_allocated	= &quic_memory_allocated,		\
	.per_cpu_fw_alloc	= &quic_memory_per_cpu_fw_alloc,	\
	.memory_pressure	= &quic_memory_pressure,		\
	.sockets_allocated	= &quic_sockets_allocated,		\
	.sysctl_mem		= sysctl_quic_mem,			\
	.sysctl_rmem		= sysctl_quic_rmem,			\
	.sysctl_wmem		= sysctl_quic_wmem

struct proto quic_prot = {
	.name		= "QUIC",
	.obj_size	= sizeof(struct quic_sock),
	QUIC_PROTO_COMMON,
};

struct proto quicv6_prot = {
	.name			= "QUICv6",
	.obj_size		= sizeof(struct quic6_sock),
	.ipv6_pinfo_offset	= offsetof(struct quic6_sock, inet6),
	QUIC_PROTO_COMMON,
};

const struct proto_ops quic_proto_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= quic_inet_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet_getname,
	.poll		= quic_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= quic_inet_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};

#if IS_ENABLED(CONFIG_IPV6)
const struct proto_ops quicv6_proto_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= quic_inet_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet6_getname,
	.poll		= quic_poll,
	.ioctl		= inet6_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= quic_inet_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};
#endif

/* net.quic.*, in the initial namespace, as tcp_mem and friends are:
 * quic_mem in pages, quic_rmem and quic_wmem the minimum, default and
 * maximum socket buffers in bytes, and max_orphans.
 */
static const struct ctl_table quic_sysctl_table[] = {
	{
		.procname	= "quic_mem",
		.data		= &sysctl_quic_mem,
		.maxlen		= sizeof(sysctl_quic_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "quic_rmem",
		.data		= &sysctl_quic_rmem,
		.maxlen		= sizeof(sysctl_quic_rmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
	},
	{
		.procname	= "quic_wmem",
		.data		= &sysctl_quic_wmem,
		.maxlen		= sizeof(sysctl_quic_wmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
	},
	{
		.procname	= "max_orphans",
		.data		= &quic_max_orphans,
		.maxlen		= sizeof(quic_max_orphans),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
};

static struct ctl_table_header *quic_sysctl_header;
static void *quic_sysctl_copy;	/* register_net_sysctl() takes a writable table */

static int quic_sysctl_init(void)
{
	if (!IS_ENABLED(CONFIG_SYSCTL))
		return 0;
	quic_sysctl_copy = kmemdup(quic_sysctl_table, sizeof(quic_sysctl_table), GFP_KERNEL);
	if (!quic_sysctl_copy)
		return -ENOMEM;
	quic_sysctl_header = register_net_sysctl_sz(&init_net, "net/quic", quic_sysctl_copy,
						    ARRAY_SIZE(quic_sysctl_table));
	if (!quic_sysctl_header) {
		kfree(quic_sysctl_copy);
		return -ENOMEM;
	}
	return 0;
}

static void quic_sysctl_exit(void)
{
	unregister_net_sysctl_table(quic_sysctl_header);
	kfree(quic_sysctl_copy);
}

/**
 * quic_sock_init - set up what the sockets share
 *
 * Return: 0 or a negative errno.
 */
int quic_sock_init(void)
{
	unsigned long limit = nr_free_buffer_pages() / 8;
	int err;

	/* Same scale as TCP: a share of memory, and per-socket buffers of
	 * at least one GSO batch.
	 */
	limit = max(limit, 128UL);
	quic_max_orphans = max_t(unsigned long, limit / 8, 256);
	sysctl_quic_mem[0] = limit / 4 * 3;
	sysctl_quic_mem[1] = limit;
	sysctl_quic_mem[2] = sysctl_quic_mem[0] * 2;
	sysctl_quic_rmem[0] = PAGE_SIZE;
	sysctl_quic_rmem[1] = 1024 * 1024;
	sysctl_quic_rmem[2] = 6 * 1024 * 1024;
	sysctl_quic_wmem[0] = PAGE_SIZE;
	sysctl_quic_wmem[1] = 1024 * 1024;
	sysctl_quic_wmem[2] = 4 * 1024 * 1024;
	err = percpu_counter_init(&quic_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = quic_sysctl_init();
	if (err)
		percpu_counter_destroy(&quic_sockets_allocated);
	return err;
}

/**
 * quic_sock_exit - undo quic_sock_init()
 */
void quic_sock_exit(void)
{
	quic_sysctl_exit();
	percpu_counter_destroy(&quic_sockets_allocated);
}
