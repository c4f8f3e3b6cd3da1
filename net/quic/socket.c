// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The QUIC socket: the proto and proto_ops entry points and the SOL_QUIC
 * socket options.
 */

#include <kunit/visibility.h>
#include <linux/quic.h>
#include <linux/random.h>
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

#include "input.h"
#include "listen.h"
#include "mib.h"
#include "recovery.h"
#include "socket.h"
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
#define QUIC_RTT_MIN		100000
#define QUIC_RTT_MAX		6000000
#define QUIC_PROBE_MIN		5000000	/* us, PLPMTUD probe interval floor */

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

/* The ALPN changes under the namespace's list lock too, so that
 * /proc/net/quic/socks can show it without taking the socket lock.
 */
static int quic_sock_set_alpn(struct sock *sk, const u8 *alpn, u32 len)
{
	struct quic_net *qn = quic_net(sock_net(sk));
	struct quic_sock *qs = quic_sk(sk);
	u8 *p = NULL, *old;

	if (len) {
		p = kmemdup(alpn, len, GFP_KERNEL_ACCOUNT);
		if (!p)
			return -ENOMEM;
	}
	spin_lock_bh(&qn->socks_lock);
	old = qs->alpn.data;
	qs->alpn.data = p;
	qs->alpn.len = len;
	spin_unlock_bh(&qn->socks_lock);
	kfree(old);
	return 0;
}

static const char *quic_sock_state_name(struct sock *sk)
{
	if (quic_sk(sk)->closing)
		return "CLOSING";
	switch (sk->sk_state) {
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
	/* The receive path finds sockets under RCU by connection ID. */
	sock_set_flag(sk, SOCK_RCU_FREE);

	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(sysctl_quic_wmem[1]));
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(sysctl_quic_rmem[1]));
	quic_sock_list_add(sk);
	sk_sockets_allocated_inc(sk);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	return 0;
}

/* Replace @d with @len bytes from @optval. */
static int quic_data_set(struct quic_data *d, sockptr_t optval,
			 unsigned int len)
{
	u8 *p = NULL;

	if (len) {
		p = memdup_sockptr(optval, len);
		if (IS_ERR(p))
			return PTR_ERR(p);
	}
	quic_data_free(d);
	d->data = p;
	d->len = len;
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

/* Turn a user address into a local or peer address of @sk's family.
 * IPv4-mapped IPv6 addresses become IPv4 ones: they travel over IPv4.
 */
static int quic_addr_from_user(struct sock *sk, struct sockaddr_unsized *uaddr,
			       int len, union quic_addr *addr)
{
	const struct sockaddr *sa = (const struct sockaddr *)uaddr;

	memset(addr, 0, sizeof(*addr));
	if (len < (int)sizeof(sa->sa_family))
		return -EINVAL;
	if (sa->sa_family != sk->sk_family)
		return -EAFNOSUPPORT;

	if (sa->sa_family == AF_INET) {
		if (len < (int)sizeof(struct sockaddr_in))
			return -EINVAL;
		memcpy(&addr->v4, sa, sizeof(addr->v4));
		return 0;
	}

	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	memcpy(&addr->v6, sa, min_t(int, len, sizeof(addr->v6)));
	if (ipv6_addr_v4mapped(&addr->v6.sin6_addr)) {
		__be32 v4 = addr->v6.sin6_addr.s6_addr32[3];
		__be16 port = addr->v6.sin6_port;

		memset(addr, 0, sizeof(*addr));
		addr->v4.sin_family = AF_INET;
		addr->v4.sin_port = port;
		addr->v4.sin_addr.s_addr = v4;
	}
	return 0;
}

static int quic_check_local_addr(struct sock *sk, union quic_addr *addr)
{
	struct net *net = sock_net(sk);
	__be32 v4;

	if (addr->sa.sa_family == AF_INET) {
		v4 = addr->v4.sin_addr.s_addr;
		if (ipv4_is_multicast(v4) || ipv4_is_lbcast(v4))
			return -EADDRNOTAVAIL;
		if (!inet_addr_valid_or_nonlocal(net, inet_sk(sk), v4,
						 inet_addr_type(net, v4)))
			return -EADDRNOTAVAIL;
		return 0;
	}

#if IS_ENABLED(CONFIG_IPV6)
	{
		const struct in6_addr *a = &addr->v6.sin6_addr;
		int type = ipv6_addr_type(a);
		struct net_device *dev = NULL;
		bool ok;

		if (type == IPV6_ADDR_ANY)
			return 0;
		if (type & IPV6_ADDR_MULTICAST)
			return -EADDRNOTAVAIL;
		if (type & IPV6_ADDR_LINKLOCAL) {
			if (!addr->v6.sin6_scope_id)
				return -EINVAL;
		} else {
			addr->v6.sin6_scope_id = 0;
		}
		rcu_read_lock();
		if (addr->v6.sin6_scope_id) {
			dev = dev_get_by_index_rcu(net, addr->v6.sin6_scope_id);
			if (!dev) {
				rcu_read_unlock();
				return -ENODEV;
			}
		}
		ok = ipv6_can_nonlocal_bind(net, inet_sk(sk)) ||
		     ipv6_chk_addr(net, a, dev, 0);
		rcu_read_unlock();
		return ok ? 0 : -EADDRNOTAVAIL;
	}
#else
	return -EAFNOSUPPORT;
#endif
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

/* Bind @sk to @addr: take the shared UDP socket, record the address. */
static int quic_bind_addr(struct sock *sk, union quic_addr *addr)
{
	struct inet_sock *inet = inet_sk(sk);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_udp_sock *us;
	__be16 port;
	int err;

	err = quic_check_local_addr(sk, addr);
	if (err)
		return err;

	port = addr->v4.sin_port;	/* same offset in v4 and v6 */
	if (port && inet_port_requires_bind_service(sock_net(sk), ntohs(port)) &&
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

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
	int err;

	err = quic_addr_from_user(sk, uaddr, len, &addr);
	if (err)
		return err;
	/* An IPv4-mapped address would give an IPv6 socket an IPv4 tunnel,
	 * which it can neither connect nor accept on.
	 */
	if (addr.sa.sa_family != sk->sk_family)
		return -EAFNOSUPPORT;

	lock_sock(sk);
	err = -EINVAL;
	if (quic_sk(sk)->udp || sk->sk_state != TCP_CLOSE)
		goto out;
	err = quic_bind_addr(sk, &addr);
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
	return quic_bind_addr(sk, &any);
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
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, !skb_queue_empty(&quic_sk(sk)->reqs) ||
			      sk->sk_state != TCP_LISTEN, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static struct sock *quic_accept(struct sock *sk, struct proto_accept_arg *arg)
{
	long timeo = sock_rcvtimeo(sk, arg->flags & O_NONBLOCK);
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
			err = quic_conn_accept(newsk, sk, skb);
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

	sock_poll_wait(file, sock, wait);
	if (sk->sk_state == TCP_LISTEN)
		return skb_queue_empty_lockless(&qs->reqs) ? 0 : EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	if (READ_ONCE(sk->sk_shutdown) == SHUTDOWN_MASK || sk->sk_state == TCP_CLOSE)
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

/**
 * quic_rcv_charge - account an skb to the socket's receive buffer
 * @sk: the socket, locked
 * @skb: the skb, not owned yet
 *
 * Stream data is bounded by flow control and quic_stream_rcv_data().
 * Handshake data and datagrams must fit the receive buffer.  Events,
 * which cheap frames of the peer cause, have half the buffer of their
 * own: a reader slow with stream data must still get them.
 *
 * Return: 0, or -ENOBUFS over the socket's or the protocol's limits.
 */
int quic_rcv_charge(struct sock *sk, struct sk_buff *skb)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 kind = QUIC_RCV_CB(skb)->kind;

	if (skb->sk == sk)
		return 0;
	if (kind == QUIC_RCV_EVENT) {
		if (qs->events_mem + skb->truesize > READ_ONCE(sk->sk_rcvbuf) / 2)
			return -ENOBUFS;
	} else if (kind != QUIC_RCV_STREAM &&
		   atomic_read(&sk->sk_rmem_alloc) + skb->truesize > READ_ONCE(sk->sk_rcvbuf)) {
		return -ENOBUFS;
	}
	if (!sk_rmem_schedule(sk, skb, skb->truesize))
		return -ENOBUFS;
	skb_set_owner_r(skb, sk);
	if (kind == QUIC_RCV_EVENT)
		qs->events_mem += skb->truesize;
	return 0;
}

/* Where a piece at @off goes in the tree: the link, its parent, and the
 * piece with the highest offset at or below @off, if any.
 */
static struct rb_node **quic_reasm_find(struct rb_root *q, u64 off, struct rb_node **parent,
					struct sk_buff **prev)
{
	struct rb_node **p = &q->rb_node;
	struct sk_buff *pos;

	*parent = NULL;
	*prev = NULL;
	while (*p) {
		*parent = *p;
		pos = rb_to_skb(*parent);
		if (off < QUIC_RCV_CB(pos)->offset) {
			p = &(*parent)->rb_left;
		} else {
			*prev = pos;
			p = &(*parent)->rb_right;
		}
	}
	return p;
}

/**
 * quic_reasm_holds - is data already waiting in the tree?
 * @q: the reassembly tree
 * @off: offset of the data
 * @end: offset just past it
 *
 * Asked before an skb is made for the data: a peer repeating a frame
 * costs a lookup, not an allocation and a copy.
 *
 * Return: true when the piece at or below @off holds all of it.
 */
bool quic_reasm_holds(struct rb_root *q, u64 off, u64 end)
{
	struct rb_node *parent;
	struct sk_buff *prev;

	quic_reasm_find(q, off, &parent, &prev);
	return prev && QUIC_RCV_CB(prev)->offset + prev->len >= end;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_holds);

/**
 * quic_reasm_insert - keep data received beyond a gap, by offset
 * @q: a stream's or a CRYPTO stream's reassembly tree
 * @skb: the data, with its offset in QUIC_RCV_CB()
 *
 * A tree, so that a peer sending pieces in falling order costs
 * O(log n) each.  A piece that the one before it already holds whole
 * is refused: a repeated frame is not kept twice.
 *
 * Return: true if @skb was queued, false for a duplicate the caller frees.
 */
bool quic_reasm_insert(struct rb_root *q, struct sk_buff *skb)
{
	u64 off = QUIC_RCV_CB(skb)->offset;
	struct rb_node **p, *parent;
	struct sk_buff *prev;

	p = quic_reasm_find(q, off, &parent, &prev);
	if (prev && QUIC_RCV_CB(prev)->offset + prev->len >= off + skb->len)
		return false;
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, q);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_insert);

/**
 * quic_reasm_purge - drop what waits in a reassembly tree
 * @q: the tree
 *
 * skb_rbtree_purge() would do, but it is not exported to modules.
 */
void quic_reasm_purge(struct rb_root *q)
{
	struct rb_node *p = rb_first(q);
	struct sk_buff *skb;

	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		rb_erase(&skb->rbnode, q);
		kfree_skb(skb);
	}
}

/**
 * quic_reasm_next - the queued data that the gap closing at @off frees
 * @q: the reassembly tree
 * @off: the new in-order offset
 *
 * Return: the first skb, removed, if it starts at or before @off, or NULL.
 */
struct sk_buff *quic_reasm_next(struct rb_root *q, u64 off)
{
	struct sk_buff *skb = skb_rb_first(q);

	if (!skb || QUIC_RCV_CB(skb)->offset > off)
		return NULL;
	rb_erase(&skb->rbnode, q);
	skb->next = NULL;	/* shares its memory with rbnode */
	skb->prev = NULL;
	return skb;
}
EXPORT_SYMBOL_IF_KUNIT(quic_reasm_next);

/**
 * quic_rcv_enqueue - queue an skb for recvmsg() and wake the reader
 * @sk: the socket
 * @skb: stream or handshake data, a datagram or an event
 *
 * Return: 0, or -ENOBUFS (@skb not consumed).
 */
int quic_rcv_enqueue(struct sock *sk, struct sk_buff *skb)
{
	int err = quic_rcv_charge(sk, skb);

	if (err)
		return err;
	QUIC_RCV_CB(skb)->read = 0;
	/* A server gets stream data and datagrams in 0-RTT packets while
	 * user space still reads handshake data: they wait until it is done.
	 */
	if (!quic_sk(sk)->handshake_done && QUIC_RCV_CB(skb)->kind != QUIC_RCV_HANDSHAKE &&
	    QUIC_RCV_CB(skb)->kind != QUIC_RCV_EVENT) {
		__skb_queue_tail(&quic_sk(sk)->early_rcv, skb);
		return 0;
	}
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	sk->sk_data_ready(sk);
	return 0;
}

/**
 * quic_event_deliver - queue an event the user enabled
 * @sk: the socket
 * @type: &enum quic_event_type
 * @data: the event's structure
 * @len: its length
 *
 * Return: 0, also when the event is not enabled, or -ENOMEM.
 */
int quic_event_deliver(struct sock *sk, u8 type, const void *data, u32 len)
{
	struct sk_buff *skb;

	if (!(quic_sk(sk)->events & BIT(type)))
		return 0;
	skb = alloc_skb(1 + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_put_u8(skb, type);
	skb_put_data(skb, data, len);
	QUIC_RCV_CB(skb)->kind = QUIC_RCV_EVENT;
	if (quic_rcv_enqueue(sk, skb)) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	return 0;
}

/**
 * struct quic_send_info - what the control messages of sendmsg() say
 * @handshake: a QUIC_HANDSHAKE_INFO was given
 * @level: its encryption level
 * @stream: a QUIC_STREAM_INFO was given
 * @sinfo: its content
 */
struct quic_send_info {
	bool			handshake;
	u8			level;
	bool			stream;
	struct quic_stream_info	sinfo;
};

static int quic_send_cmsgs(struct msghdr *msg, struct quic_send_info *si)
{
	struct cmsghdr *cmsg;

	memset(si, 0, sizeof(*si));
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_QUIC)
			continue;
		switch (cmsg->cmsg_type) {
		case QUIC_HANDSHAKE_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(struct quic_handshake_info)))
				return -EINVAL;
			si->handshake = true;
			si->level = ((struct quic_handshake_info *)CMSG_DATA(cmsg))->crypto_level;
			break;
		case QUIC_STREAM_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(struct quic_stream_info)))
				return -EINVAL;
			si->stream = true;
			memcpy(&si->sinfo, CMSG_DATA(cmsg), sizeof(si->sinfo));
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* Room for frame headers in a packet of @mss bytes: the longest long
 * header with a 255-byte token is below 100 bytes, plus the AEAD tag.
 */
static u32 quic_frame_room(struct quic_sock *qs)
{
	return qs->mss - 100 - QUIC_TAG_LEN - qs->token.len;
}

static bool quic_wmem_ready(struct sock *sk)
{
	return sk->sk_wmem_queued < READ_ONCE(sk->sk_sndbuf);
}

/* Room in the send buffer, and flow control credit on stream @id, or
 * only room for @id < 0; the stream is looked up again as it may be gone
 * (reset) after a wait.
 */
static bool quic_send_ready(struct sock *sk, s64 id)
{
	struct quic_stream *st;

	if (id < 0)
		return quic_wmem_ready(sk);
	st = quic_stream_find(&quic_sk(sk)->streams, id);
	return !st || (quic_wmem_ready(sk) && quic_stream_send_room(sk, st));
}

static int quic_send_wait(struct sock *sk, long *timeo, s64 id)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!quic_send_ready(sk, id)) {
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (quic_sk(sk)->closing) {
			err = -EPIPE;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, quic_send_ready(sk, id) || sk->sk_err ||
			      quic_sk(sk)->closing, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* TLS handshake messages become CRYPTO frames of their level. */
static int quic_send_handshake(struct sock *sk, struct msghdr *msg, size_t len, u8 level)
{
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto_stream *cs;
	struct quic_frame_out *f;
	size_t sent = 0;
	u32 chunk;
	int err;
	u8 *p;

	if (level != QUIC_CRYPTO_INITIAL && level != QUIC_CRYPTO_HANDSHAKE &&
	    level != QUIC_CRYPTO_APP)
		return -EINVAL;
	cs = &qs->space[quic_level_space(level)].crypto;
	while (sent < len) {
		if (sk->sk_state != TCP_SYN_RECV && sk->sk_state != TCP_ESTABLISHED)
			return sent ?: -ENOTCONN;
		if (qs->space[quic_level_space(level)].keys_discarded)
			return sent ?: -EINVAL;
		if (!quic_wmem_ready(sk)) {
			quic_output_flush(sk);
			err = quic_send_wait(sk, &timeo, -1);
			if (err)
				return sent ?: err;
			continue;
		}
		chunk = min_t(size_t, len - sent, quic_frame_room(qs));
		f = quic_frame_alloc(sk, 1 + 8 + 8 + chunk, GFP_KERNEL);
		if (!f)
			return sent ?: -ENOMEM;
		p = f->data;
		*p++ = QUIC_FRAME_CRYPTO;
		p = quic_put_varint(p, cs->send_off);
		p = quic_put_varint(p, chunk);
		if (!copy_from_iter_full(p, chunk, &msg->msg_iter)) {
			quic_frame_free(sk, f);
			return sent ?: -EFAULT;
		}
		f->len = p + chunk - f->data;
		f->type = QUIC_FRAME_CRYPTO;
		f->offset = cs->send_off;
		f->data_len = chunk;
		cs->send_off += chunk;
		quic_frame_queue_out(sk, level, f);
		sent += chunk;
	}
	quic_output_flush(sk);
	return sent;
}

static int quic_send_datagram(struct sock *sk, struct msghdr *msg, size_t len)
{
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame_out *f;
	int err;
	u8 *p;

	if (!qs->handshake_done)
		return -ENOTCONN;
	/* RFC 9221 section 3: the frame must fit the peer's limit and one
	 * packet: datagrams are never split.
	 */
	if (1 + 8 + len > qs->peer.max_datagram_frame_size || len > quic_frame_room(qs))
		return -EMSGSIZE;
	if (!quic_wmem_ready(sk)) {
		quic_output_flush(sk);
		err = quic_send_wait(sk, &timeo, -1);
		if (err)
			return err;
	}
	f = quic_frame_alloc(sk, 1 + 8 + len, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	p = f->data;
	*p++ = QUIC_FRAME_DATAGRAM_LEN;
	p = quic_put_varint(p, len);
	if (!copy_from_iter_full(p, len, &msg->msg_iter)) {
		quic_frame_free(sk, f);
		return -EFAULT;
	}
	f->len = p + len - f->data;
	f->type = QUIC_FRAME_DATAGRAM_LEN;
	quic_frame_queue_out(sk, QUIC_CRYPTO_APP, f);
	quic_output_flush(sk);
	return len;
}

/* One STREAM frame of up to @chunk bytes copied from the user. */
static int quic_send_stream_frame(struct sock *sk, struct quic_stream *st,
				  struct msghdr *msg, u32 chunk, bool fin)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_frame_out *f;
	u8 *p, type;

	f = quic_frame_alloc(sk, 1 + 8 + 8 + 8 + chunk, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_LEN;
	if (st->send_off)
		type |= QUIC_STREAM_BIT_OFF;
	if (fin)
		type |= QUIC_STREAM_BIT_FIN;
	p = f->data;
	*p++ = type;
	p = quic_put_varint(p, st->id);
	if (st->send_off)
		p = quic_put_varint(p, st->send_off);
	p = quic_put_varint(p, chunk);
	if (chunk && !copy_from_iter_full(p, chunk, &msg->msg_iter)) {
		quic_frame_free(sk, f);
		return -EFAULT;
	}
	f->len = p + chunk - f->data;
	f->type = QUIC_FRAME_STREAM;
	f->stream_id = st->id;
	f->offset = st->send_off;
	f->data_len = chunk;
	f->fin = fin;
	st->send_off += chunk;
	t->send_total += chunk;
	if (fin) {
		st->fin_sent = true;
		st->send_state = QUIC_STREAM_SEND_STATE_SENT;
	} else if (st->send_state == QUIC_STREAM_SEND_STATE_READY) {
		st->send_state = QUIC_STREAM_SEND_STATE_SEND;
	}
	quic_frame_queue_out(sk, QUIC_CRYPTO_APP, f);
	return 0;
}

#define QUIC_SEND_BATCH	16	/* frames queued between two flushes */

static int quic_send_stream(struct sock *sk, struct msghdr *msg, size_t len,
			    const struct quic_send_info *si)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 flags = si->stream ? si->sinfo.stream_flags : msg->msg_flags;
	s64 id = si->stream ? si->sinfo.stream_id : -1;
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	bool fin = flags & MSG_QUIC_STREAM_FIN;
	struct quic_stream *st;
	size_t sent = 0;
	int err, n = 0;
	u64 room;

	if (!qs->handshake_done && !qs->early_ok)
		return -ENOTCONN;
	if (id == -1 && !(flags & MSG_QUIC_STREAM_NEW))
		id = qs->streams.last_id;
	if (id == -1) {
		err = quic_stream_open(sk, &id, flags, msg->msg_flags & MSG_DONTWAIT);
		if (err)
			return err;
	}
	err = quic_stream_send_get(sk, id, flags, msg->msg_flags & MSG_DONTWAIT, &st);
	if (err)
		return err;
	while (sent < len || (fin && !st->fin_sent)) {
		room = quic_stream_send_room(sk, st);
		if (!room && sent < len) {
			/* Blocked by flow control: the ABI wants ENOSPC. */
			if (!timeo) {
				err = -ENOSPC;
				break;
			}
		}
		if ((!room && sent < len) || !quic_wmem_ready(sk)) {
			quic_output_flush(sk);
			err = quic_send_wait(sk, &timeo, id);
			if (err)
				break;
			st = quic_stream_find(&qs->streams, id);
			if (!st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;	/* reset meanwhile */
				break;
			}
			continue;
		}
		room = min_t(u64, room, len - sent);
		room = min_t(u64, room, quic_frame_room(qs));
		err = quic_send_stream_frame(sk, st, msg, room, fin && sent + room == len);
		if (err == -ENOMEM) {
			/* The protocol's memory is short: as TCP, wait for
			 * ACKs to free ours, or a moment when none is queued.
			 */
			quic_output_flush(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				break;
			st = quic_stream_find(&qs->streams, id);
			if (qs->closing || !st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;
				break;
			}
			continue;
		}
		if (err)
			break;
		sent += room;
		if (++n % QUIC_SEND_BATCH || sent == len)
			continue;
		quic_output_flush(sk);
		/* ACKs that queued up behind us meanwhile free room; what
		 * they bring may also end the stream or the connection.
		 */
		if (sk_flush_backlog(sk)) {
			st = quic_stream_find(&qs->streams, id);
			if (qs->closing || !st || st->send_state >= QUIC_STREAM_SEND_STATE_SENT) {
				err = -EPIPE;
				break;
			}
		}
	}
	quic_output_flush(sk);
	return sent ?: err;
}

static int quic_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct quic_send_info si;
	int err;

	err = quic_send_cmsgs(msg, &si);
	if (err)
		return err;
	lock_sock(sk);
	if (sk->sk_err)
		err = sock_error(sk);
	else if (quic_sk(sk)->closing || (sk->sk_shutdown & SEND_SHUTDOWN))
		err = -EPIPE;
	else if (si.handshake)
		err = quic_send_handshake(sk, msg, len, si.level);
	else if (msg->msg_flags & MSG_QUIC_DATAGRAM)
		err = quic_send_datagram(sk, msg, len);
	else
		err = quic_send_stream(sk, msg, len, &si);
	release_sock(sk);
	if (err == -EPIPE && !(msg->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

static int quic_recv_wait(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (skb_queue_empty(&sk->sk_receive_queue)) {
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN) {
			err = 1;	/* end of file */
			break;
		}
		if (sk->sk_state != TCP_SYN_RECV && sk->sk_state != TCP_ESTABLISHED) {
			err = -ENOTCONN;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, !skb_queue_empty(&sk->sk_receive_queue) ||
			      sk->sk_err || (sk->sk_shutdown & RCV_SHUTDOWN), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int quic_recv_cmsg(struct msghdr *msg, const struct quic_rcv_cb *cb, bool fin)
{
	struct quic_handshake_info hinfo = {};
	struct quic_stream_info sinfo = {};

	switch (cb->kind) {
	case QUIC_RCV_HANDSHAKE:
		hinfo.crypto_level = cb->level;
		return put_cmsg(msg, SOL_QUIC, QUIC_HANDSHAKE_INFO, sizeof(hinfo), &hinfo);
	case QUIC_RCV_STREAM:
		sinfo.stream_id = cb->stream_id;
		sinfo.stream_flags = fin ? MSG_QUIC_STREAM_FIN : 0;
		return put_cmsg(msg, SOL_QUIC, QUIC_STREAM_INFO, sizeof(sinfo), &sinfo);
	case QUIC_RCV_DATAGRAM:
		msg->msg_flags |= MSG_QUIC_DATAGRAM;
		return 0;
	}
	msg->msg_flags |= MSG_QUIC_NOTIFICATION;
	return 0;
}

/* Copy from the head of the receive queue: one message, or for stream
 * data as many queued pieces of the same stream as fit, up to its end.
 */
static int quic_recv_copy(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	struct quic_rcv_cb *cb = QUIC_RCV_CB(skb);
	u8 kind = cb->kind, level = cb->level;
	s64 id = cb->stream_id;
	bool fin = false, eor = false;
	size_t copied = 0;
	u32 n;
	int err;

	while (skb) {
		cb = QUIC_RCV_CB(skb);
		n = min_t(size_t, len - copied, skb->len - cb->read);
		err = skb_copy_datagram_msg(skb, cb->read, msg, n);
		if (err)
			return copied ?: err;
		copied += n;
		if (flags & MSG_PEEK)
			break;
		cb->read += n;
		if (cb->read < skb->len)
			break;
		eor = true;
		fin = cb->fin;
		__skb_unlink(skb, &sk->sk_receive_queue);
		if (kind == QUIC_RCV_EVENT)
			quic_sk(sk)->events_mem -= skb->truesize;
		if (kind == QUIC_RCV_STREAM)
			quic_stream_read(sk, id, skb->len, fin);
		consume_skb(skb);
		if (kind != QUIC_RCV_STREAM || fin || copied == len)
			break;
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb && (QUIC_RCV_CB(skb)->kind != kind ||
			    QUIC_RCV_CB(skb)->stream_id != id))
			break;
		eor = false;
	}
	if (eor)
		msg->msg_flags |= MSG_EOR;
	cb = &(struct quic_rcv_cb){ .kind = kind, .level = level, .stream_id = id };
	err = quic_recv_cmsg(msg, cb, fin);
	return err ?: copied;
}

static int quic_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags)
{
	long timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	int err;

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	err = quic_recv_wait(sk, &timeo);
	if (err) {
		if (err > 0)
			err = 0;
		goto out;
	}
	err = quic_recv_copy(sk, msg, len, flags);
	sk_mem_reclaim(sk);
	quic_output_flush(sk);
out:
	release_sock(sk);
	return err;
}

static void quic_shutdown(struct sock *sk, int how)
{
	if (how & SEND_SHUTDOWN)
		quic_conn_close(sk);
}

/* Socket options */

static int quic_sockopt_event(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	struct quic_event_option opt;

	if (optlen < sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type <= QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX)
		return -EINVAL;
	if (opt.on)
		quic_sk(sk)->events |= BIT(opt.type);
	else
		quic_sk(sk)->events &= ~BIT(opt.type);
	return 0;
}

/* RFC 9000 section 18.2 limits, for the fields given: zero leaves a
 * field as it is (the socket API draft), so it is not checked.
 */
static int quic_param_check(const struct quic_transport_param *p)
{
	if (p->ack_delay_exponent > 20)
		return -EINVAL;
	if (p->max_ack_delay >= (1U << 14) * USEC_PER_MSEC)
		return -EINVAL;
	if (p->active_connection_id_limit == 1)
		return -EINVAL;
	if (p->max_udp_payload_size && p->max_udp_payload_size < 1200)
		return -EINVAL;
	if (p->max_data > (1ULL << 62) - 1 ||
	    p->max_stream_data_bidi_local > (1ULL << 62) - 1 ||
	    p->max_stream_data_bidi_remote > (1ULL << 62) - 1 ||
	    p->max_stream_data_uni > (1ULL << 62) - 1)
		return -EINVAL;
	return 0;
}

/* A zero field leaves a setting as it is: these take the others. */
static void quic_set8(u8 *to, u8 v)
{
	if (v)
		*to = v;
}

static void quic_set16(u16 *to, u16 v)
{
	if (v)
		*to = v;
}

static void quic_set32(u32 *to, u32 v)
{
	if (v)
		*to = v;
}

static void quic_set64(u64 *to, u64 v)
{
	if (v)
		*to = v;
}

static void quic_param_merge(struct quic_transport_param *to,
			     const struct quic_transport_param *p)
{
	quic_set8(&to->disable_active_migration, p->disable_active_migration);
	quic_set8(&to->grease_quic_bit, p->grease_quic_bit);
	quic_set8(&to->stateless_reset, p->stateless_reset);
	quic_set8(&to->disable_1rtt_encryption, p->disable_1rtt_encryption);
	quic_set8(&to->disable_compatible_version, p->disable_compatible_version);
	quic_set8(&to->active_connection_id_limit, p->active_connection_id_limit);
	quic_set8(&to->ack_delay_exponent, p->ack_delay_exponent);
	quic_set16(&to->max_datagram_frame_size, p->max_datagram_frame_size);
	quic_set16(&to->max_udp_payload_size, p->max_udp_payload_size);
	quic_set32(&to->max_idle_timeout, p->max_idle_timeout);
	quic_set32(&to->max_ack_delay, p->max_ack_delay);
	quic_set16(&to->max_streams_bidi, p->max_streams_bidi);
	quic_set16(&to->max_streams_uni, p->max_streams_uni);
	quic_set64(&to->max_data, p->max_data);
	quic_set64(&to->max_stream_data_bidi_local, p->max_stream_data_bidi_local);
	quic_set64(&to->max_stream_data_bidi_remote, p->max_stream_data_bidi_remote);
	quic_set64(&to->max_stream_data_uni, p->max_stream_data_uni);
}

static void quic_config_merge(struct quic_config *to, const struct quic_config *c)
{
	quic_set32(&to->version, c->version);
	quic_set32(&to->plpmtud_probe_interval, c->plpmtud_probe_interval);
	quic_set32(&to->initial_smoothed_rtt, c->initial_smoothed_rtt);
	quic_set32(&to->payload_cipher_type, c->payload_cipher_type);
	quic_set8(&to->congestion_control_algo, c->congestion_control_algo);
	quic_set8(&to->validate_peer_address, c->validate_peer_address);
	quic_set8(&to->stream_data_nodelay, c->stream_data_nodelay);
	quic_set8(&to->receive_session_ticket, c->receive_session_ticket);
	quic_set8(&to->certificate_request, c->certificate_request);
	quic_set32(&to->keepalive_probe_interval, c->keepalive_probe_interval);
}

/* Settings may change before the handshake makes use of them: on an
 * unconnected socket, and on a connection (connect() sends nothing, and
 * accept() hands over one whose handshake the user runs) until our
 * transport parameters went into the handshake.  Handshake agents such
 * as tlshd set them on the socket a kernel consumer already connected.
 */
static bool quic_settings_open(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (sk->sk_state == TCP_LISTEN)
		return true;
	if (sk->sk_state == TCP_CLOSE)
		return !quic_cid_active(&qs->scids);	/* not closed */
	/* A client that sent its first Initial without our parameters has
	 * started all the same.
	 */
	return sk->sk_state == TCP_SYN_RECV && quic_cid_active(&qs->scids) &&
	       !qs->params_announced &&
	       (qs->is_server || !qs->space[QUIC_SPACE_INITIAL].next_pn);
}

static int quic_sockopt_transport_param(struct sock *sk, sockptr_t optval,
					unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p;
	int err;

	if (optlen < sizeof(p))
		return -EINVAL;
	err = copy_struct_from_sockptr(&p, sizeof(p), optval, optlen);
	if (err)
		return err;
	err = quic_param_check(&p);
	if (err)
		return err;
	if (!quic_settings_open(sk))
		return -EISCONN;	/* already announced to the peer */
	if (p.remote) {
		quic_param_merge(&qs->remote, &p);
		qs->remote_given = true;	/* for 0-RTT */
	} else {
		quic_param_merge(&qs->local, &p);
	}
	return sk->sk_state == TCP_SYN_RECV ? quic_conn_reconfigure(sk) : 0;
}

static bool quic_cipher_known(u32 type)
{
	switch (type) {
	case 0:
	case TLS_CIPHER_AES_GCM_128:
	case TLS_CIPHER_AES_GCM_256:
	case TLS_CIPHER_AES_CCM_128:
	case TLS_CIPHER_CHACHA20_POLY1305:
		return true;
	}
	return false;
}

static int quic_config_check(const struct quic_config *c)
{
	if (c->initial_smoothed_rtt && (c->initial_smoothed_rtt < QUIC_RTT_MIN ||
					c->initial_smoothed_rtt > QUIC_RTT_MAX))
		return -EINVAL;
	if (c->plpmtud_probe_interval && c->plpmtud_probe_interval < QUIC_PROBE_MIN)
		return -EINVAL;
	if (c->congestion_control_algo >= QUIC_CONG_ALG_MAX)
		return -EINVAL;
	if (c->certificate_request > 2 || !quic_cipher_known(c->payload_cipher_type))
		return -EINVAL;
	if (memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	return 0;
}

/* As for the transport parameters, a zero field leaves the setting as
 * it is.  A client may ask for a version we do not speak: the server's
 * Version Negotiation then picks one of ours (quic_conn_version_rcv()).
 */
static int quic_sockopt_config(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_config c;
	int err;

	/* tlshd still passes the 24-byte layout without keepalive. */
	if (optlen < QUIC_CONFIG_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_sockptr(&c, sizeof(c), optval, optlen);
	if (err)
		return err;
	err = quic_config_check(&c);
	if (err)
		return err;
	if (!quic_settings_open(sk))
		return -EISCONN;
	if (qs->is_server && sk->sk_state == TCP_SYN_RECV)
		c.version = 0;		/* the client's, already in use */
	quic_config_merge(&qs->config, &c);
	return sk->sk_state == TCP_SYN_RECV ? quic_conn_reconfigure(sk) : 0;
}

/* "h3,smb,ksmbd": non-empty names of at most 255 bytes, comma separated.
 * A trailing NUL, as from strlen() + 1, is dropped.  A listener's names
 * are fixed while it listens (the socket API draft sets them before
 * listen()): they decide which connections of a shared port it gets.
 */
static int quic_sockopt_alpn(struct sock *sk, sockptr_t optval,
			     unsigned int optlen)
{
	char buf[QUIC_ALPN_MAX_LEN + 1];
	unsigned int i, start = 0;

	if (sk->sk_state == TCP_LISTEN)
		return -EBUSY;
	if (optlen > QUIC_ALPN_MAX_LEN + 1)
		return -EINVAL;
	if (copy_from_sockptr(buf, optval, optlen))
		return -EFAULT;
	if (optlen && !buf[optlen - 1])
		optlen--;
	if (optlen > QUIC_ALPN_MAX_LEN)
		return -EINVAL;
	for (i = 0; i <= optlen; i++) {
		if (i < optlen && buf[i] != ',') {
			if (!buf[i])
				return -EINVAL;
			continue;
		}
		if (!optlen)
			break;
		if (i == start || i - start > 255)
			return -EINVAL;
		start = i + 1;
	}
	return quic_sock_set_alpn(sk, buf, optlen);
}

static int quic_sockopt_close(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	struct quic_connection_close c = {};
	size_t head = offsetof(struct quic_connection_close, phrase);

	if (optlen < head || optlen > sizeof(c))
		return -EINVAL;
	if (copy_from_sockptr(&c, optval, optlen))
		return -EFAULT;
	if (strnlen(c.phrase, sizeof(c.phrase)) == sizeof(c.phrase))
		return -EINVAL;
	if (memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	quic_sk(sk)->close = c;
	return 0;
}

static int quic_sockopt_stream_err(struct sock *sk, int optname, sockptr_t optval,
				   unsigned int optlen)
{
	struct quic_errinfo e;
	int err;

	if (optlen < sizeof(e))
		return -EINVAL;
	if (copy_from_sockptr(&e, optval, sizeof(e)))
		return -EFAULT;
	if (!quic_sk(sk)->handshake_done || quic_sk(sk)->closing)
		return -ENOTCONN;
	if (optname == QUIC_SOCKOPT_STREAM_RESET)
		err = quic_stream_reset(sk, e.stream_id, e.errcode);
	else
		err = quic_stream_stop_sending(sk, e.stream_id, e.errcode);
	quic_output_flush(sk);
	return err;
}

static int quic_sockopt_crypto_secret(struct sock *sk, sockptr_t optval,
				      unsigned int optlen)
{
	struct quic_crypto_secret secret;
	int err;

	if (optlen != sizeof(secret))
		return -EINVAL;
	if (copy_from_sockptr(&secret, optval, sizeof(secret)))
		return -EFAULT;
	err = quic_conn_set_secret(sk, &secret);
	memzero_explicit(&secret, sizeof(secret));
	return err;
}

#define QUIC_PARAMS_EXT_MAX	4096

static int quic_sockopt_params_ext(struct sock *sk, sockptr_t optval,
				   unsigned int optlen)
{
	u8 *buf;
	int err;

	if (!optlen || optlen > QUIC_PARAMS_EXT_MAX)
		return -EINVAL;
	if (sk->sk_state != TCP_SYN_RECV)
		return -ENOTCONN;
	buf = memdup_sockptr(optval, optlen);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = quic_conn_set_params_ext(sk, buf, optlen);
	kfree(buf);
	return err;
}

/**
 * quic_do_setsockopt - set a SOL_QUIC option
 * @sk: the QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: the value, user or kernel memory
 * @optlen: its length
 *
 * Return: 0 or a negative errno.
 */
int quic_do_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	int err;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_sockopt_event(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_sockopt_transport_param(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_sockopt_config(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_sockopt_alpn(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TOKEN:
		/* An empty token on a server asks to issue a NEW_TOKEN. */
		if (optlen > QUIC_TOKEN_MAX_LEN)
			err = -EINVAL;
		else if (optlen)
			err = quic_data_set(&qs->token, optval, optlen);
		else if (!quic_wmem_ready(sk))
			err = -EAGAIN;
		else
			err = quic_conn_new_token(sk);
		break;
	case QUIC_SOCKOPT_SESSION_TICKET:
		err = -EINVAL;
		if (optlen <= QUIC_TICKET_MAX_LEN && sk->sk_state != TCP_LISTEN)
			err = quic_data_set(&qs->ticket, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		err = quic_sockopt_close(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_STREAM_RESET:
	case QUIC_SOCKOPT_STREAM_STOP_SENDING:
		err = quic_sockopt_stream_err(sk, optname, optval, optlen);
		break;
	case QUIC_SOCKOPT_KEY_UPDATE:
		err = quic_conn_key_update(sk);
		if (!err)
			quic_output_flush(sk);
		break;
	case QUIC_SOCKOPT_CRYPTO_SECRET:
		err = quic_sockopt_crypto_secret(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		err = quic_sockopt_params_ext(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_ID:
	case QUIC_SOCKOPT_CONNECTION_MIGRATION:
		err = sk->sk_state == TCP_ESTABLISHED ? -EOPNOTSUPP : -ENOTCONN;
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_setsockopt);

static int quic_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_QUIC)
		return quic_do_setsockopt(sk, optname, optval, optlen);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return ipv6_setsockopt(sk, level, optname, optval, optlen);
#endif
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

/* Copy @d out; @len is the caller's buffer size and becomes the length. */
static int quic_data_get(const struct quic_data *d, sockptr_t optval, int *len)
{
	if (*len < d->len)
		return -EINVAL;
	if (copy_to_sockptr(optval, d->data, d->len))
		return -EFAULT;
	if (*len > d->len && copy_to_sockptr_offset(optval, d->len, "", 1))
		return -EFAULT;
	*len = d->len;
	return 0;
}

static int quic_getopt_event(struct sock *sk, sockptr_t optval, int *len)
{
	struct quic_event_option opt;

	if (*len < sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type <= QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX)
		return -EINVAL;
	opt.on = !!(quic_sk(sk)->events & BIT(opt.type));
	*len = sizeof(opt);
	return copy_to_sockptr(optval, &opt, sizeof(opt)) ? -EFAULT : 0;
}

static int quic_getopt_transport_param(struct sock *sk, sockptr_t optval,
				       int *len)
{
	struct quic_transport_param p;

	if (*len < sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&p, optval, sizeof(p)))
		return -EFAULT;
	p = p.remote ? quic_sk(sk)->remote : quic_sk(sk)->local;
	p.remote = p.remote ? 1 : 0;
	*len = sizeof(p);
	return copy_to_sockptr(optval, &p, sizeof(p)) ? -EFAULT : 0;
}

static int quic_getopt_struct(sockptr_t optval, int *len, const void *val,
			      int min, int size)
{
	if (*len < min)
		return -EINVAL;
	*len = min_t(int, *len, size);
	return copy_to_sockptr(optval, val, *len) ? -EFAULT : 0;
}

static int quic_getopt_stream_open(struct sock *sk, sockptr_t optval, int *len)
{
	struct quic_stream_info info;
	int err;

	if (*len < sizeof(info))
		return -EINVAL;
	if (copy_from_sockptr(&info, optval, sizeof(info)))
		return -EFAULT;
	if (info.stream_flags & ~(MSG_QUIC_STREAM_UNI | MSG_QUIC_STREAM_DONTWAIT))
		return -EINVAL;
	if (!quic_sk(sk)->handshake_done || quic_sk(sk)->closing)
		return -ENOTCONN;
	err = quic_stream_open(sk, &info.stream_id, info.stream_flags, false);
	if (err)
		return err;
	*len = sizeof(info);
	return copy_to_sockptr(optval, &info, sizeof(info)) ? -EFAULT : 0;
}

static int quic_getopt_cid(struct sock *sk, sockptr_t optval, int *len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_id_info info;
	struct quic_cid_set *set;
	struct quic_cid_entry *e;

	if (*len < sizeof(info))
		return -EINVAL;
	if (copy_from_sockptr(&info, optval, sizeof(info)))
		return -EFAULT;
	set = info.dest ? &qs->dcids : &qs->scids;
	e = quic_cid_active(set);
	if (!e)
		return -ENOTCONN;
	info.active = e->seq;
	info.prior_to = set->retire_prior_to;
	*len = sizeof(info);
	return copy_to_sockptr(optval, &info, sizeof(info)) ? -EFAULT : 0;
}

static int quic_getopt_params_ext(struct sock *sk, sockptr_t optval, int *len)
{
	u8 *buf;
	int n;

	if (sk->sk_state != TCP_SYN_RECV)
		return -ENOTCONN;
	buf = kmalloc(QUIC_PARAMS_EXT_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = quic_conn_get_params_ext(sk, buf, QUIC_PARAMS_EXT_MAX);
	if (n >= 0 && n > *len)
		n = -EINVAL;
	if (n >= 0 && copy_to_sockptr(optval, buf, n))
		n = -EFAULT;
	kfree(buf);
	if (n < 0)
		return n;
	*len = n;
	return 0;
}

/**
 * quic_do_getsockopt - read a SOL_QUIC option
 * @sk: the QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: buffer, user or kernel memory; some options read their
 *	selector (event type, remote flag) from it first
 * @optlen: in: buffer size; out: length of the value
 *
 * Return: 0 or a negative errno.
 */
int quic_do_getsockopt(struct sock *sk, int optname, sockptr_t optval,
		       sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	int len, err;

	if (copy_from_sockptr(&len, optlen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_getopt_event(sk, optval, &len);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_getopt_transport_param(sk, optval, &len);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_getopt_struct(optval, &len, &qs->config,
					 QUIC_CONFIG_SIZE_VER0, sizeof(qs->config));
		break;
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		err = quic_getopt_struct(optval, &len, &qs->close,
					 offsetof(struct quic_connection_close, phrase),
					 offsetof(struct quic_connection_close, phrase) +
					 strlen(qs->close.phrase) + 1);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_data_get(&qs->alpn, optval, &len);
		break;
	case QUIC_SOCKOPT_TOKEN:
		err = quic_data_get(&qs->token, optval, &len);
		break;
	case QUIC_SOCKOPT_SESSION_TICKET:
		err = quic_data_get(&qs->ticket, optval, &len);
		break;
	case QUIC_SOCKOPT_STREAM_OPEN:
		err = quic_getopt_stream_open(sk, optval, &len);
		break;
	case QUIC_SOCKOPT_CONNECTION_ID:
		err = quic_getopt_cid(sk, optval, &len);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		err = quic_getopt_params_ext(sk, optval, &len);
		break;
	case QUIC_SOCKOPT_STREAM_PEELOFF:
		err = -EOPNOTSUPP;
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);

	if (!err && copy_to_sockptr(optlen, &len, sizeof(len)))
		err = -EFAULT;
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_getsockopt);

static int quic_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	if (level == SOL_QUIC)
		return quic_do_getsockopt(sk, optname, USER_SOCKPTR(optval),
					  USER_SOCKPTR(optlen));
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return ipv6_getsockopt(sk, level, optname, optval, optlen);
#endif
	return ip_getsockopt(sk, level, optname, optval, optlen);
}

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
