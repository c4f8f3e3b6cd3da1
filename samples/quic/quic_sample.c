// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kernel consumer of QUIC sockets: an echo server and its client.
 *
 * In-kernel users of QUIC (SMB, NFS) do what this module does: they open
 * IPPROTO_QUIC sockets with sock_create_kern(), configure them through
 * quic_do_setsockopt() and quic_do_getsockopt() (there is no
 * kernel_setsockopt()), and leave the TLS 1.3 handshake to a user-space
 * agent through net/handshake: tls_client_hello_x509() and friends queue
 * the socket for the agent, which runs the handshake on it and reports
 * back to a done callback.  Stream data then moves with kernel_sendmsg()
 * and kernel_recvmsg() and a QUIC_STREAM_INFO control message.
 *
 *   role=server  listen on addr:port (default: any IPv4 address, an
 *                ephemeral port) and echo every stream of every
 *                connection: read it to its FIN, write it back on the
 *                same stream and end it.  rmmod closes everything.
 *   role=client  run conns connections to addr:port at once; each sends
 *                bytes of a pattern on a new bidirectional stream and
 *                checks the echo (length and crc32).  insmod fails with
 *                the first connection's error.
 *   role=both    a server, then clients of it (addr defaults to
 *                127.0.0.1 for them): one module plays both ends.
 *
 * The credentials are key serials the agent reads: cert and privkey
 * (auth=x509), peerid (auth=psk), all searched in keyring.  peername is
 * the name a client checks the server's certificate against.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/inet.h>
#include <linux/key.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/quic.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/workqueue.h>
#include <net/handshake.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>

static char *role = "server";
module_param(role, charp, 0444);
MODULE_PARM_DESC(role, "server, client, or both (a server and clients of it)");

static char *addr;
module_param(addr, charp, 0444);
MODULE_PARM_DESC(addr, "IPv4 or IPv6 address to listen on or connect to");

static ushort port;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "UDP port to listen on (0: ephemeral) or connect to");

static char *alpn = "sample";
module_param(alpn, charp, 0444);
MODULE_PARM_DESC(alpn, "ALPN of the connections");

static char *auth = "x509";
module_param(auth, charp, 0444);
MODULE_PARM_DESC(auth, "x509 or psk");

static int cert;
module_param(cert, int, 0444);
MODULE_PARM_DESC(cert, "serial of the key holding our certificate (x509)");

static int privkey;
module_param(privkey, int, 0444);
MODULE_PARM_DESC(privkey, "serial of the key holding our private key (x509)");

static int peerid;
module_param(peerid, int, 0444);
MODULE_PARM_DESC(peerid, "serial of the pre-shared key (psk)");

static int keyring;
module_param(keyring, int, 0444);
MODULE_PARM_DESC(keyring, "serial of the keyring the agent searches");

static char *peername;
module_param(peername, charp, 0444);
MODULE_PARM_DESC(peername, "client: the name in the server's certificate");

static ulong bytes = SZ_1M;
module_param(bytes, ulong, 0444);
MODULE_PARM_DESC(bytes, "client: bytes to send on the stream and get back");

static uint conns = 1;
module_param(conns, uint, 0444);
MODULE_PARM_DESC(conns, "client: connections at once");

static uint timeout_ms = 10000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "handshake, and client send and receive, timeout");

#define QS_CHUNK	SZ_64K		/* one sendmsg() or recvmsg() */
#define QS_BACKLOG	16
#define QS_MAX_CONNS	64		/* per role: clients, or server connections */
#define QS_ECHO_MAX	SZ_4M		/* stream data a server connection holds */
#define QS_RETRY_MS	20		/* wait before a handshake request again */

/**
 * struct qs_conn - one connection, of the client or the server
 * @sock: the socket; it has a file, which the handshake agent needs
 * @work: runs the connection
 * @hs_done: completed by the handshake done callback, or by a canceller
 * @hs_status: the handshake's result, valid once @hs_done is complete
 * @srv: server: the server
 * @node: server: in &qs_server.conns
 * @peer: the peer's address, for the log
 * @id: client: its number, for the log
 * @err: client: its result
 */
struct qs_conn {
	struct socket		*sock;
	struct work_struct	work;
	struct completion	hs_done;
	int			hs_status;
	struct qs_server	*srv;
	struct list_head	node;
	struct sockaddr_storage	peer;
	unsigned int		id;
	int			err;
};

/**
 * struct qs_server - the listening socket and its connections
 * @sock: the listening socket
 * @wq: runs @accept_work and the connections; destroying it waits for them
 * @accept_work: accepts what the listener queued
 * @data_ready: the listener's callback before ours
 * @lock: protects @conns, @nconns and @stopping
 * @conns: the connections that run
 * @nconns: their number
 * @stopping: module unload: start no handshake
 */
struct qs_server {
	struct socket		*sock;
	struct workqueue_struct	*wq;
	struct work_struct	accept_work;
	void			(*data_ready)(struct sock *sk);
	struct mutex		lock;		/* conns, nconns, stopping */
	struct list_head	conns;
	unsigned int		nconns;
	bool			stopping;
};

static struct qs_server *qs_server;
static bool qs_psk;

/* ---- sockets ---- */

static int qs_configure(struct sock *sk)
{
	struct quic_transport_param param = {};
	int len = sizeof(param);
	int err;

	err = quic_do_setsockopt(sk, QUIC_SOCKOPT_ALPN, KERNEL_SOCKPTR(alpn),
				 strlen(alpn));
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

/* The agent gets the socket as a file descriptor: the socket needs a
 * file.  From then on the file owns the socket, and fput() ends both.
 */
static int qs_sock_file(struct socket *sock)
{
	struct file *file = sock_alloc_file(sock, O_CLOEXEC, NULL);

	return PTR_ERR_OR_ZERO(file);	/* on failure, sock is released */
}

static void qs_sock_put(struct socket *sock)
{
	if (sock->file)
		fput(sock->file);
	else
		sock_release(sock);
}

/* ---- the handshake, through net/handshake and the user-space agent ---- */

static void qs_handshake_done(void *data, int status, key_serial_t peer)
{
	struct qs_conn *c = data;

	c->hs_status = status;
	complete(&c->hs_done);
}

/* A server connection has @srv set; a client one does not. */
static int qs_handshake_submit(struct qs_conn *c)
{
	struct tls_handshake_args args = {
		.ta_sock	= c->sock,
		.ta_done	= qs_handshake_done,
		.ta_data	= c,
		.ta_peername	= c->srv ? NULL : peername,
		.ta_timeout_ms	= timeout_ms,
		.ta_keyring	= keyring,
		.ta_my_cert	= cert,
		.ta_my_privkey	= privkey,
	};

	if (qs_psk) {
		args.ta_my_peerids[0] = peerid;
		args.ta_num_peerids = 1;
		return c->srv ? tls_server_hello_psk(&args, GFP_KERNEL) :
				tls_client_hello_psk(&args, GFP_KERNEL);
	}
	return c->srv ? tls_server_hello_x509(&args, GFP_KERNEL) :
			tls_client_hello_x509(&args, GFP_KERNEL);
}

/* A server submits nothing once the module unloads: see qs_server_stop(). */
static int qs_handshake_try(struct qs_conn *c)
{
	struct qs_server *srv = c->srv;
	int err;

	if (!srv)
		return qs_handshake_submit(c);
	mutex_lock(&srv->lock);
	err = srv->stopping ? -ESHUTDOWN : qs_handshake_submit(c);
	mutex_unlock(&srv->lock);
	return err;
}

/* The agent was given timeout_ms: wait a second longer, so that its own
 * verdict (a peer that never answered, a certificate it refused) comes
 * first.  An agent that died never answers: withdraw the request then.
 */
static int qs_handshake_wait(struct qs_conn *c)
{
	unsigned long tmo = msecs_to_jiffies(timeout_ms + MSEC_PER_SEC);

	if (wait_for_completion_timeout(&c->hs_done, tmo))
		return c->hs_status;
	if (tls_handshake_cancel(c->sock->sk))
		return -ETIMEDOUT;
	/* Too late to cancel: the done callback runs, or someone else
	 * cancelled; either way the completion comes, with the status.
	 */
	wait_for_completion(&c->hs_done);
	return c->hs_status;
}

/* net/handshake keeps few requests waiting for the agent per namespace
 * (hn_pending_max, 5 on a 2 GiB machine) and refuses more with -EAGAIN:
 * connections started at once may have to wait their turn.
 */
static int qs_handshake(struct qs_conn *c)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);
	int err;

	for (;;) {
		err = qs_handshake_try(c);
		if (err != -EAGAIN || time_after(jiffies, end))
			break;
		msleep(QS_RETRY_MS);
	}
	return err ?: qs_handshake_wait(c);
}

/* ---- stream data ---- */

union qs_cmsg {
	struct cmsghdr	hdr;
	u8		buf[CMSG_SPACE(sizeof(struct quic_stream_info))];
};

static int qs_send(struct socket *sock, const void *buf, size_t len, s64 sid,
		   u32 flags)
{
	struct quic_stream_info info = { .stream_id = sid, .stream_flags = flags };
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	union qs_cmsg ctl = {};
	struct msghdr msg = {
		.msg_control	= &ctl,
		.msg_controllen	= sizeof(ctl),
		.msg_flags	= MSG_NOSIGNAL,	/* no SIGPIPE for our thread */
	};

	ctl.hdr.cmsg_level = SOL_QUIC;
	ctl.hdr.cmsg_type = QUIC_STREAM_INFO;
	ctl.hdr.cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(&ctl.hdr), &info, sizeof(info));
	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

/* Write @len bytes on stream @sid, ending the stream if @fin.  A short
 * write (send timeout, signal) did not send the FIN yet: ask again.
 */
static int qs_send_all(struct socket *sock, const u8 *buf, size_t len, s64 sid,
		       bool fin)
{
	size_t off = 0;
	int n;

	do {
		n = qs_send(sock, buf + off, len - off, sid,
			    fin ? MSG_QUIC_STREAM_FIN : 0);
		if (n < 0)
			return n;
		if (!n && off < len)
			return -EIO;
		off += n;
	} while (off < len);
	return 0;
}

/**
 * struct qs_rx - what a read got, besides its bytes
 * @sid: the stream, or -1 at the end of the connection
 * @fin: this was the stream's last piece
 */
struct qs_rx {
	s64	sid;
	bool	fin;
};

/* Read stream data into @buf.  Returns the byte count, with rx->sid == -1
 * (and 0) when the connection ended, or a negative errno.  Anything else
 * is not for us and skipped: events, datagrams, and TLS messages after the
 * handshake (a session ticket, with a QUIC_HANDSHAKE_INFO control message)
 * that only a TLS library could use.
 */
static int qs_recv(struct socket *sock, void *buf, size_t len, struct qs_rx *rx)
{
	struct quic_stream_info *info;
	union qs_cmsg ctl;
	struct msghdr msg;
	struct kvec iov;
	int n;

	for (;;) {
		memset(&ctl, 0, sizeof(ctl));
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = &ctl;
		msg.msg_controllen = sizeof(ctl);
		iov.iov_base = buf;
		iov.iov_len = len;
		n = kernel_recvmsg(sock, &msg, &iov, 1, len, 0);
		if (n < 0)
			return n;
		if (ctl.hdr.cmsg_len == CMSG_LEN(sizeof(*info)) &&
		    ctl.hdr.cmsg_level == SOL_QUIC &&
		    ctl.hdr.cmsg_type == QUIC_STREAM_INFO)
			break;
		if (!n && !ctl.hdr.cmsg_len &&
		    !(msg.msg_flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))) {
			rx->sid = -1;	/* nothing at all: the end */
			rx->fin = false;
			return 0;
		}
	}
	info = (struct quic_stream_info *)CMSG_DATA(&ctl.hdr);
	rx->sid = info->stream_id;
	rx->fin = info->stream_flags & MSG_QUIC_STREAM_FIN;
	return n;
}

/* ---- server: echo every stream back ---- */

/**
 * struct qs_stream - a stream the server reads to its end
 * @node: in the connection's list
 * @id: the stream ID
 * @len: bytes read
 * @size: size of @data
 * @data: the bytes read
 */
struct qs_stream {
	struct list_head	node;
	s64			id;
	size_t			len;
	size_t			size;
	u8			*data;
};

static struct qs_stream *qs_stream_get(struct list_head *streams, s64 id)
{
	struct qs_stream *s;

	list_for_each_entry(s, streams, node)
		if (s->id == id)
			return s;
	s = kzalloc_obj(*s, GFP_KERNEL);
	if (!s)
		return NULL;
	s->id = id;
	list_add(&s->node, streams);
	return s;
}

static void qs_stream_free(struct qs_stream *s)
{
	list_del(&s->node);
	kvfree(s->data);
	kfree(s);
}

/* A peer decides how much we hold: @held, the connection's total, is
 * bounded by QS_ECHO_MAX.
 */
static int qs_stream_append(struct qs_stream *s, const void *buf, size_t n,
			    size_t *held)
{
	size_t size;
	u8 *data;

	if (s->len + n > s->size) {
		size = max3(s->size * 2, s->len + n, (size_t)QS_CHUNK);
		/* What the buffer grows by counts, not what it stores */
		if (*held + size - s->size > QS_ECHO_MAX)
			size = s->len + n;
		if (*held + size - s->size > QS_ECHO_MAX)
			return -EMSGSIZE;
		data = kvrealloc(s->data, size, GFP_KERNEL);
		if (!data)
			return -ENOMEM;
		*held += size - s->size;
		s->data = data;
		s->size = size;
	}
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	return 0;
}

/**
 * struct qs_echo_stats - what a server connection did
 * @bytes: stream bytes echoed
 * @streams: streams echoed
 */
struct qs_echo_stats {
	u64		bytes;
	unsigned int	streams;
};

/* Until the peer closes: collect each stream, and at its FIN write it
 * back on the same stream with a FIN.  Echoing only whole streams keeps
 * the two directions apart: a client that writes everything before it
 * reads never waits for us while we wait for it.
 */
static int qs_echo(struct socket *sock, struct qs_echo_stats *st)
{
	struct qs_stream *s, *tmp;
	LIST_HEAD(streams);
	size_t held = 0;
	struct qs_rx rx;
	int n, err;
	u8 *buf;

	buf = kvmalloc(QS_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = qs_recv(sock, buf, QS_CHUNK, &rx);
		err = n < 0 ? n : 0;
		if (err || rx.sid < 0)
			break;
		s = qs_stream_get(&streams, rx.sid);
		err = s ? qs_stream_append(s, buf, n, &held) : -ENOMEM;
		if (err)
			break;
		if (!rx.fin)
			continue;
		err = qs_send_all(sock, s->data, s->len, s->id, true);
		if (err)
			break;
		st->bytes += s->len;
		st->streams++;
		held -= s->size;
		qs_stream_free(s);
	}
	list_for_each_entry_safe(s, tmp, &streams, node)
		qs_stream_free(s);
	kvfree(buf);
	return err;
}

static void qs_server_work(struct work_struct *work)
{
	struct qs_conn *c = container_of(work, struct qs_conn, work);
	struct qs_echo_stats st = {};
	struct qs_server *srv = c->srv;
	ktime_t start = ktime_get();
	int err;

	err = qs_handshake(c);
	if (err) {
		pr_info("server: %pISpc: handshake failed: %d\n", &c->peer, err);
	} else {
		pr_info("server: %pISpc: handshake %lld ms\n", &c->peer,
			ktime_ms_delta(ktime_get(), start));
		err = qs_echo(c->sock, &st);
		pr_info("server: %pISpc: echoed %llu bytes on %u streams, end %d\n",
			&c->peer, st.bytes, st.streams, err);
	}

	mutex_lock(&srv->lock);
	list_del(&c->node);
	srv->nconns--;
	mutex_unlock(&srv->lock);
	qs_sock_put(c->sock);
	kfree(c);
}

static void qs_server_conn_add(struct qs_server *srv, struct socket *sock)
{
	struct qs_conn *c;

	c = kzalloc_obj(*c, GFP_KERNEL);
	if (!c) {
		sock_release(sock);
		return;
	}
	if (qs_sock_file(sock)) {
		kfree(c);
		return;
	}
	c->sock = sock;
	c->srv = srv;
	init_completion(&c->hs_done);
	INIT_WORK(&c->work, qs_server_work);
	if (kernel_getpeername(sock, (struct sockaddr *)&c->peer) < 0)
		c->peer.ss_family = AF_UNSPEC;

	mutex_lock(&srv->lock);
	if (srv->nconns >= QS_MAX_CONNS) {
		mutex_unlock(&srv->lock);
		pr_warn_ratelimited("server: %pISpc: too many connections\n", &c->peer);
		qs_sock_put(sock);
		kfree(c);
		return;
	}
	list_add(&c->node, &srv->conns);
	srv->nconns++;
	queue_work(srv->wq, &c->work);
	mutex_unlock(&srv->lock);
}

static void qs_accept_work(struct work_struct *work)
{
	struct qs_server *srv = container_of(work, struct qs_server, accept_work);
	struct socket *sock;
	int err;

	for (;;) {
		err = kernel_accept(srv->sock, &sock, O_NONBLOCK);
		if (err == -EAGAIN || err == -EINVAL)	/* none left, or closed */
			return;
		/* Any other failure used up the connection it was for. */
		if (err)
			pr_warn_ratelimited("server: accept failed: %d\n", err);
		else
			qs_server_conn_add(srv, sock);
	}
}

/* The listener queued a connection: accept it from process context.
 * sk_user_data, under sk_callback_lock, tells whether we still listen.
 */
static void qs_listen_data_ready(struct sock *sk)
{
	struct qs_server *srv;

	read_lock_bh(&sk->sk_callback_lock);
	srv = sk->sk_user_data;
	if (srv)
		queue_work(srv->wq, &srv->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static int qs_server_listen(struct qs_server *srv, struct sockaddr_storage *ss)
{
	struct sock *sk = srv->sock->sk;
	int err;

	err = qs_configure(sk);
	if (err)
		return err;
	err = kernel_bind(srv->sock, (struct sockaddr_unsized *)ss, sizeof(*ss));
	if (err)
		return err;

	/* Before listen(): no connection may come in unnoticed. */
	write_lock_bh(&sk->sk_callback_lock);
	srv->data_ready = sk->sk_data_ready;
	sk->sk_user_data = srv;
	sk->sk_data_ready = qs_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	err = kernel_listen(srv->sock, QS_BACKLOG);
	if (err)
		return err;
	err = kernel_getsockname(srv->sock, (struct sockaddr *)ss);
	if (err < 0)
		return err;
	/* Same offset in sockaddr_in and sockaddr_in6. */
	pr_info("listening on UDP port %u, ALPN \"%s\"\n",
		ntohs(((struct sockaddr_in *)ss)->sin_port), alpn);
	return 0;
}

static void qs_server_unhook(struct qs_server *srv)
{
	struct sock *sk = srv->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == srv) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = srv->data_ready;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&srv->accept_work);
}

/* Unblock a connection: a pending handshake is withdrawn (whoever wins
 * tls_handshake_cancel() completes hs_done), and a shutdown ends its reads
 * and writes.
 */
static void qs_conn_abort(struct qs_conn *c)
{
	if (tls_handshake_cancel(c->sock->sk)) {
		c->hs_status = -ESHUTDOWN;
		complete(&c->hs_done);
	}
	kernel_sock_shutdown(c->sock, SHUT_RDWR);
}

static void qs_server_stop(struct qs_server *srv)
{
	struct qs_conn *c;

	qs_server_unhook(srv);	/* no new connections */
	mutex_lock(&srv->lock);
	srv->stopping = true;
	list_for_each_entry(c, &srv->conns, node)
		qs_conn_abort(c);
	mutex_unlock(&srv->lock);
	destroy_workqueue(srv->wq);	/* waits for every connection */
	sock_release(srv->sock);
	kfree(srv);
}

static int qs_server_start(struct sockaddr_storage *ss)
{
	struct qs_server *srv;
	int err;

	srv = kzalloc_obj(*srv, GFP_KERNEL);
	if (!srv)
		return -ENOMEM;
	mutex_init(&srv->lock);
	INIT_LIST_HEAD(&srv->conns);
	INIT_WORK(&srv->accept_work, qs_accept_work);
	srv->wq = alloc_workqueue("quic_sample", WQ_UNBOUND, 0);
	if (!srv->wq) {
		kfree(srv);
		return -ENOMEM;
	}
	err = sock_create_kern(&init_net, ss->ss_family, SOCK_DGRAM,
			       IPPROTO_QUIC, &srv->sock);
	if (err) {
		destroy_workqueue(srv->wq);
		kfree(srv);
		return err;
	}
	err = qs_server_listen(srv, ss);
	if (err) {
		qs_server_stop(srv);
		return err;
	}
	qs_server = srv;
	return 0;
}

/* ---- client: send a pattern, check the echo ---- */

/**
 * struct qs_check - both directions of a client's stream
 * @seed: state of the pattern generator (xorshift32)
 * @sent_crc: crc32 of what was sent
 * @rcvd_crc: crc32 of what came back
 * @rcvd: bytes that came back
 */
struct qs_check {
	u32	seed;
	u32	sent_crc;
	u32	rcvd_crc;
	u64	rcvd;
};

static void qs_pattern(struct qs_check *ck, u8 *buf, size_t len)
{
	u32 x = ck->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
	ck->seed = x;
	ck->sent_crc = crc32_le(ck->sent_crc, buf, len);
}

static int qs_client_send(struct socket *sock, s64 sid, struct qs_check *ck, u8 *buf)
{
	size_t n, off = 0;
	int err;

	do {	/* bytes=0 still sends the FIN */
		n = min_t(size_t, bytes - off, QS_CHUNK);
		qs_pattern(ck, buf, n);
		err = qs_send_all(sock, buf, n, sid, off + n == bytes);
		if (err)
			return err;
		off += n;
	} while (off < bytes);
	return 0;
}

static int qs_client_recv(struct socket *sock, s64 sid, struct qs_check *ck, u8 *buf)
{
	struct qs_rx rx = {};
	int n;

	while (!rx.fin) {
		n = qs_recv(sock, buf, QS_CHUNK, &rx);
		if (n < 0)
			return n;
		if (rx.sid < 0)
			return -ECONNRESET;	/* closed before the echo ended */
		if (rx.sid != sid)
			return -EPROTO;
		ck->rcvd_crc = crc32_le(ck->rcvd_crc, buf, n);
		ck->rcvd += n;
		if (ck->rcvd > bytes)
			return -EMSGSIZE;
	}
	if (ck->rcvd != bytes || ck->rcvd_crc != ck->sent_crc)
		return -EBADMSG;
	return 0;
}

/* A new bidirectional stream, written to its end, then read to its end. */
static int qs_client_echo(struct qs_conn *c, struct qs_check *ck)
{
	struct quic_stream_info si = { .stream_id = -1 };
	struct sock *sk = c->sock->sk;
	int len = sizeof(si);
	u8 *buf;
	int err;

	err = quic_do_getsockopt(sk, QUIC_SOCKOPT_STREAM_OPEN,
				 KERNEL_SOCKPTR(&si), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	buf = kvmalloc(QS_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ck->seed = 0x9e3779b9 * (c->id + 1);	/* never 0 */
	err = qs_client_send(c->sock, si.stream_id, ck, buf);
	if (!err)
		err = qs_client_recv(c->sock, si.stream_id, ck, buf);
	kvfree(buf);
	return err;
}

static int qs_client_connect(struct qs_conn *c)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, c->peer.ss_family, SOCK_DGRAM,
			       IPPROTO_QUIC, &sock);
	if (err)
		return err;
	err = qs_configure(sock->sk);
	if (err) {
		sock_release(sock);
		return err;
	}
	err = qs_sock_file(sock);
	if (err)
		return err;
	c->sock = sock;
	/* No packet leaves yet: the agent's ClientHello is the first. */
	return kernel_connect(sock, (struct sockaddr_unsized *)&c->peer,
			      sizeof(c->peer), 0);
}

static void qs_client_report(struct qs_conn *c, const char *step, s64 hs_ms,
			     s64 us, const struct qs_check *ck)
{
	u64 rate;

	if (c->err && ck->rcvd) {
		pr_err("conn %u: %s failed: %d (%llu of %lu bytes back, crc %08x, want %08x)\n",
		       c->id, step, c->err, ck->rcvd, bytes, ck->rcvd_crc,
		       ck->sent_crc);
		return;
	}
	if (c->err) {
		pr_err("conn %u: %s failed: %d\n", c->id, step, c->err);
		return;
	}
	rate = div64_u64(bytes * 10ULL, max_t(s64, us, 1));	/* 0.1 MB/s */
	pr_info("conn %u: echoed %lu bytes, crc ok, handshake %lld ms, %llu.%llu MB/s\n",
		c->id, bytes, hs_ms, rate / 10, rate % 10);
}

static void qs_client_work(struct work_struct *work)
{
	struct qs_conn *c = container_of(work, struct qs_conn, work);
	struct qs_check ck = {};
	s64 hs_ms = 0, us = 0;
	const char *step;
	ktime_t start;

	step = "connect";
	c->err = qs_client_connect(c);
	if (c->err)
		goto out;

	step = "handshake";
	start = ktime_get();
	c->err = qs_handshake(c);
	hs_ms = ktime_ms_delta(ktime_get(), start);
	if (c->err)
		goto out;

	/* Only now: the agent used the socket, with its own timeouts. */
	WRITE_ONCE(c->sock->sk->sk_sndtimeo, msecs_to_jiffies(timeout_ms));
	WRITE_ONCE(c->sock->sk->sk_rcvtimeo, msecs_to_jiffies(timeout_ms));
	step = "echo";
	start = ktime_get();
	c->err = qs_client_echo(c, &ck);
	us = ktime_us_delta(ktime_get(), start);
out:
	qs_client_report(c, step, hs_ms, us, &ck);
	if (c->sock)
		qs_sock_put(c->sock);
}

/* Runs the connections at once; returns the first one's error. */
static int qs_clients_run(const struct sockaddr_storage *ss)
{
	struct workqueue_struct *wq;
	struct qs_conn *cs;
	unsigned int i;
	int err = 0;

	cs = kzalloc_objs(*cs, conns, GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	wq = alloc_workqueue("quic_sample_client", WQ_UNBOUND, 0);
	if (!wq) {
		kfree(cs);
		return -ENOMEM;
	}
	for (i = 0; i < conns; i++) {
		cs[i].id = i;
		cs[i].peer = *ss;
		init_completion(&cs[i].hs_done);
		INIT_WORK(&cs[i].work, qs_client_work);
		queue_work(wq, &cs[i].work);
	}
	destroy_workqueue(wq);	/* waits for them all */
	for (i = 0; i < conns && !err; i++)
		err = cs[i].err;
	kfree(cs);
	return err;
}

/* ---- module ---- */

enum { QS_SERVER = 1, QS_CLIENT = 2, QS_BOTH = QS_SERVER | QS_CLIENT };

static int qs_params(int *roles, struct sockaddr_storage *ss)
{
	const char *a = addr;
	int err;

	if (!strcmp(role, "server"))
		*roles = QS_SERVER;
	else if (!strcmp(role, "client"))
		*roles = QS_CLIENT;
	else if (!strcmp(role, "both"))
		*roles = QS_BOTH;
	else
		return -EINVAL;
	if (strcmp(auth, "x509") && strcmp(auth, "psk"))
		return -EINVAL;
	qs_psk = !strcmp(auth, "psk");
	if (!*alpn || (*roles & QS_CLIENT && (!conns || conns > QS_MAX_CONNS)))
		return -EINVAL;
	if (*roles == QS_CLIENT && !port)
		return -EINVAL;
	/* 0 would make the sockets non-blocking; an hour is plenty */
	if (timeout_ms < 100 || timeout_ms > 3600 * MSEC_PER_SEC)
		return -EINVAL;
	if (*roles & QS_CLIENT && bytes > QS_ECHO_MAX)
		return -EINVAL;		/* more than the server echoes */

	/* A server listens on all addresses by default, as it always did. */
	if (!a)
		a = *roles == QS_CLIENT ? "127.0.0.1" : "0.0.0.0";
	err = inet_pton_with_scope(&init_net, AF_UNSPEC, a, NULL, ss);
	if (err)
		return err;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	return 0;
}

/* Clients of our own server need an address to reach it at. */
static void qs_server_address(struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET &&
	    ((struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY))
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ss->ss_family == AF_INET6 &&
	    ipv6_addr_any(&((struct sockaddr_in6 *)ss)->sin6_addr))
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
}

static int __init quic_sample_init(void)
{
	struct sockaddr_storage ss = {};
	int roles, err;

	err = qs_params(&roles, &ss);
	if (err) {
		pr_err("bad parameters: %d\n", err);
		return err;
	}
	if (roles & QS_SERVER) {
		err = qs_server_start(&ss);	/* ss gets the real port */
		if (err)
			return err;
		qs_server_address(&ss);
	}
	if (roles & QS_CLIENT) {
		err = qs_clients_run(&ss);
		if (err && qs_server) {
			qs_server_stop(qs_server);
			qs_server = NULL;
		}
	}
	return err;
}

static void __exit quic_sample_exit(void)
{
	if (qs_server)
		qs_server_stop(qs_server);
}

module_init(quic_sample_init);
module_exit(quic_sample_exit);

MODULE_DESCRIPTION("QUIC kernel consumer sample: an echo server and client");
MODULE_LICENSE("GPL");
