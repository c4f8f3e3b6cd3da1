// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC kernel implementation
 *
 * The SOL_QUIC socket options: events, transport parameters, settings,
 * ALPN, tokens and session tickets, the keys and transport parameters
 * the TLS handshake hands over, closing, stream resets and key updates.
 * Kernel consumers reach the same code through quic_do_setsockopt() and
 * quic_do_getsockopt().
 */

#include <linux/quic.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/tls.h>

#include "conn.h"
#include "input.h"
#include "mib.h"
#include "output.h"
#include "path.h"
#include "socket.h"
#include "sockopt.h"
#include "udp.h"

#define QUIC_RTT_MIN		100000
#define QUIC_RTT_MAX		6000000
#define QUIC_PROBE_MIN		5000000	/* us, PLPMTUD probe interval floor */

/**
 * quic_sock_set_alpn - set a socket's ALPN list
 * @sk: the socket, locked
 * @alpn: the list, comma-separated
 * @len: its length, 0 to clear it
 *
 * The ALPN changes under the namespace's list lock too, so that
 * /proc/net/quic/socks can show it without taking the socket lock.
 *
 * Return: 0 or -ENOMEM.
 */
int quic_sock_set_alpn(struct sock *sk, const u8 *alpn, u32 len)
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

/**
 * quic_data_set - replace a byte string with one from the user or a caller
 * @d: the string
 * @optval: the new bytes
 * @len: how many
 *
 * Return: 0 or a negative errno (@d unchanged).
 */
int quic_data_set(struct quic_data *d, sockptr_t optval, unsigned int len)
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

/* The local address of QUIC_SOCKOPT_CONNECTION_MIGRATION (a sockaddr;
 * port 0 for any), with the checks bind() makes: the LSM's and the
 * cgroup's bind hooks, a local address of the socket's family, the
 * privileged ports.  Not a wildcard: packets must leave from it.
 */
static int quic_sockopt_migrate_addr(struct sock *sk, sockptr_t optval, unsigned int optlen,
				     union quic_addr *a)
{
	struct sockaddr_storage ss = {};
	int err, len;
	bool no_cap;

	if (!quic_sk(sk)->udp)
		return -ENOTCONN;
	len = min_t(unsigned int, optlen, sizeof(ss));
	if (copy_from_sockptr(&ss, optval, len))
		return -EFAULT;
	err = quic_addr_from_user(sk, (struct sockaddr_unsized *)&ss, len, a);
	if (err)
		return err;
	if (sk->sk_socket) {
		err = security_socket_bind(sk->sk_socket, (struct sockaddr *)&ss, len);
		if (err)
			return err;
	}
	err = quic_addr_bind_hook(sk, (struct sockaddr_unsized *)&ss, &len, &no_cap);
	if (err)
		return err;
	err = quic_addr_from_user(sk, (struct sockaddr_unsized *)&ss, len, a);	/* as rewritten */
	if (err)
		return err;
	/* the family of the address bound (a listener has no other) */
	if (a->sa.sa_family != quic_sk(sk)->udp->addr.sa.sa_family)
		return -EAFNOSUPPORT;
	if (a->sa.sa_family == AF_INET ? a->v4.sin_addr.s_addr == htonl(INADDR_ANY) :
	    ipv6_addr_any(&a->v6.sin6_addr))
		return -EINVAL;
	err = quic_addr_check_local(sk, a);
	if (err)
		return err;
	/* Routes follow the device a link-local bind() tied the socket to. */
	if (a->sa.sa_family == AF_INET6 && a->v6.sin6_scope_id && sk->sk_bound_dev_if &&
	    a->v6.sin6_scope_id != sk->sk_bound_dev_if)
		return -EINVAL;
	return quic_addr_check_port(sk, a, no_cap);
}

/* The tunnel socket of the address of QUIC_SOCKOPT_CONNECTION_MIGRATION
 * (in @a, as bound), referenced; not the one in use.
 */
static struct quic_udp_sock *quic_sockopt_migrate_udp(struct sock *sk, sockptr_t optval,
						      unsigned int optlen, union quic_addr *a)
{
	struct quic_udp_sock *us;
	int err;

	err = quic_sockopt_migrate_addr(sk, optval, optlen, a);
	if (err)
		return ERR_PTR(err);
	us = quic_udp_sock_get(sk, a);
	if (!IS_ERR(us) && us == quic_sk(sk)->udp) {
		quic_udp_sock_put(us);
		return ERR_PTR(-EINVAL);	/* the address in use already */
	}
	return us;
}

/* QUIC_SOCKOPT_CONNECTION_MIGRATION on a server, a listener or a
 * connection whose transport parameters are not sent yet: its preferred
 * address (RFC 9000 section 9.6), port 0 for any, whose tunnel socket is
 * taken at once.  Connections accepted later take the listener's.
 */
static int quic_sockopt_preferred(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_udp_sock *us, *old;
	union quic_addr a;

	if (qs->params_announced)
		return -EISCONN;
	if (!qs->udp)
		return -EINVAL;		/* bind() first: the family is the bound one */
	us = quic_sockopt_migrate_udp(sk, optval, optlen, &a);
	if (IS_ERR(us))
		return PTR_ERR(us);
	old = qs->path.pref_udp;
	qs->path.pref_udp = us;
	qs->path.pref_local = a;
	if (old)
		quic_udp_sock_put(old);
	return 0;
}

/* QUIC_SOCKOPT_CONNECTION_MIGRATION on a client: move to a new local
 * address (path.c); on a server, its preferred address.
 */
static int quic_sockopt_migrate(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_udp_sock *us, *old;
	union quic_addr a;
	int err;

	if (qs->is_server || sk->sk_state == TCP_LISTEN)
		return quic_sockopt_preferred(sk, optval, optlen);
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	err = quic_path_may_migrate(sk);
	if (err)
		return err;
	us = quic_sockopt_migrate_udp(sk, optval, optlen, &a);
	if (IS_ERR(us))
		return PTR_ERR(us);
	old = quic_path_migrate(sk, us, &a);
	if (IS_ERR(old)) {
		quic_udp_sock_put(us);
		return PTR_ERR(old);
	}
	if (old)
		quic_udp_sock_put(old);
	quic_output_flush(sk);
	return 0;
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
	bool recv;
	int err;
	u8 level;

	if (optlen != sizeof(secret))
		return -EINVAL;
	if (copy_from_sockptr(&secret, optval, sizeof(secret)))
		return -EFAULT;
	err = quic_conn_set_secret(sk, &secret);
	level = secret.level;
	recv = !secret.send;
	memzero_explicit(&secret, sizeof(secret));
	if (err)
		return err;
	/* Packets that came before these keys, then what they allow */
	if (recv)
		quic_packets_replay(sk, level);
	quic_output_flush(sk);
	return 0;
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
	case QUIC_SOCKOPT_CONNECTION_MIGRATION:
		err = quic_sockopt_migrate(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_ID:
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

int quic_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
		    unsigned int optlen)
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

int quic_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
		    int __user *optlen)
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
