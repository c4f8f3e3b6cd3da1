// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC socket API tests: socket(), bind(), listen(), getsockname(), the
 * SOL_QUIC options and the errors returned for bad arguments, for IPv4 and
 * IPv6, SOCK_STREAM and SOCK_DGRAM.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/quic.h>
#include <linux/tls.h>

#include "../../kselftest_harness.h"

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC 261
#endif

FIXTURE(quic) {
	int fd;
	struct sockaddr_storage any;	/* wildcard, port 0 */
	struct sockaddr_storage lo;	/* loopback, port 0 */
	socklen_t alen;
	socklen_t short_len;		/* below the minimum address length */
};

FIXTURE_VARIANT(quic) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(quic, ipv4_stream) { .family = AF_INET, .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(quic, ipv4_dgram) { .family = AF_INET, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(quic, ipv6_stream) { .family = AF_INET6, .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(quic, ipv6_dgram) { .family = AF_INET6, .type = SOCK_DGRAM };

static void set_addr(struct sockaddr_storage *ss, int family, const char *ip,
		     unsigned short port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
	} else {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	}
}

static unsigned short get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int quic_socket(int family, int type)
{
	return socket(family, type, IPPROTO_QUIC);
}

FIXTURE_SETUP(quic)
{
	int v4 = variant->family == AF_INET;

	set_addr(&self->any, variant->family, v4 ? "0.0.0.0" : "::", 0);
	set_addr(&self->lo, variant->family, v4 ? "127.0.0.1" : "::1", 0);
	self->alen = v4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	/* IPv6 accepts the 24-byte RFC 2133 sockaddr_in6 */
	self->short_len = v4 ? sizeof(struct sockaddr_in) - 1 : 23;
	self->fd = quic_socket(variant->family, variant->type);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(quic)
{
	close(self->fd);
}

TEST_F(quic, socket_identity)
{
	int val;
	socklen_t len = sizeof(val);

	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_PROTOCOL, &val, &len));
	EXPECT_EQ(IPPROTO_QUIC, val);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_TYPE, &val, &len));
	EXPECT_EQ(variant->type, val);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_DOMAIN, &val, &len));
	EXPECT_EQ(variant->family, val);

	/* Only stream and datagram sockets speak QUIC. */
	EXPECT_EQ(-1, socket(variant->family, SOCK_SEQPACKET, IPPROTO_QUIC));
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
}

TEST_F(quic, bind_ephemeral_and_getsockname)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);

	ASSERT_EQ(0, bind(self->fd, (void *)&self->lo, self->alen));
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));
	EXPECT_EQ(self->alen, len);
	EXPECT_EQ(variant->family, name.ss_family);
	EXPECT_NE(0, get_port(&name));

	/* Bound once only. */
	EXPECT_EQ(-1, bind(self->fd, (void *)&self->lo, self->alen));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(quic, bind_bad_arguments)
{
	struct sockaddr_storage other;

	EXPECT_EQ(-1, bind(self->fd, (void *)&self->lo, self->short_len));
	EXPECT_EQ(EINVAL, errno);

	set_addr(&other, variant->family == AF_INET ? AF_INET6 : AF_INET,
		 variant->family == AF_INET ? "::1" : "127.0.0.1", 0);
	EXPECT_EQ(-1, bind(self->fd, (void *)&other, sizeof(other)));
	EXPECT_EQ(EAFNOSUPPORT, errno);

	/* Documentation addresses are not configured here. */
	set_addr(&other, variant->family,
		 variant->family == AF_INET ? "192.0.2.1" : "2001:db8::1", 0);
	EXPECT_EQ(-1, bind(self->fd, (void *)&other, self->alen));
	EXPECT_EQ(EADDRNOTAVAIL, errno);

	set_addr(&other, variant->family,
		 variant->family == AF_INET ? "224.0.0.1" : "ff02::1", 0);
	EXPECT_EQ(-1, bind(self->fd, (void *)&other, self->alen));
	EXPECT_EQ(EADDRNOTAVAIL, errno);

	EXPECT_EQ(-1, bind(self->fd, NULL, 0));
	EXPECT_EQ(EINVAL, errno);

	/* Still unbound after all this. */
	EXPECT_EQ(0, bind(self->fd, (void *)&self->any, self->alen));
}

TEST_F(quic, bind_holds_udp_port)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	int udp, other;

	ASSERT_EQ(0, bind(self->fd, (void *)&self->lo, self->alen));
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));

	udp = socket(variant->family, SOCK_DGRAM, IPPROTO_UDP);
	ASSERT_LE(0, udp);
	EXPECT_EQ(-1, bind(udp, (void *)&name, len));
	EXPECT_EQ(EADDRINUSE, errno);

	/* QUIC sockets share the port: a second one binds to it. */
	other = quic_socket(variant->family, variant->type);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, bind(other, (void *)&name, len));

	close(self->fd);
	EXPECT_EQ(-1, bind(udp, (void *)&name, len));
	EXPECT_EQ(EADDRINUSE, errno);
	close(other);
	/* The last QUIC socket gave the UDP port back. */
	EXPECT_EQ(0, bind(udp, (void *)&name, len));
	close(udp);
	self->fd = quic_socket(variant->family, variant->type);
}

/* As another user, bind to @name with or without SO_REUSEADDR: the
 * result, or 100 + the step that failed to set up.
 */
static int bind_as_nobody(int family, int type, const struct sockaddr_storage *name,
			  socklen_t len, int reuse)
{
	int fd, status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(101);
		fd = quic_socket(family, type);
		if (fd < 0)
			_exit(102);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)))
			_exit(103);
		if (!bind(fd, (const void *)name, len))
			_exit(0);
		_exit(errno == EADDRINUSE ? 1 : 104);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Another user cannot take a port a QUIC socket holds (a service's, while
 * it restarts), unless both sides ask to share it with SO_REUSEADDR.
 */
TEST_F(quic, bind_port_of_other_user)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	int one = 1, shared;

	ASSERT_EQ(0, bind(self->fd, (void *)&self->lo, self->alen));
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));
	EXPECT_EQ(1, bind_as_nobody(variant->family, variant->type, &name, len, 0));
	EXPECT_EQ(1, bind_as_nobody(variant->family, variant->type, &name, len, 1));
	ASSERT_EQ(0, listen(self->fd, 8));
	EXPECT_EQ(1, bind_as_nobody(variant->family, variant->type, &name, len, 1));

	shared = quic_socket(variant->family, variant->type);
	ASSERT_LE(0, shared);
	ASSERT_EQ(0, setsockopt(shared, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind(shared, (void *)&self->lo, self->alen));
	len = sizeof(name);
	ASSERT_EQ(0, getsockname(shared, (void *)&name, &len));
	EXPECT_EQ(1, bind_as_nobody(variant->family, variant->type, &name, len, 0));
	EXPECT_EQ(0, bind_as_nobody(variant->family, variant->type, &name, len, 1));
	close(shared);
}

/* A socket binds only to addresses of its own family: an IPv6 one cannot
 * take an IPv4-mapped address, whose tunnel would be IPv4 (an IPv6 route
 * lookup on it oopsed in connect()).
 */
TEST_F(quic, bind_other_family)
{
	struct sockaddr_storage other, peer;
	int v6 = variant->family == AF_INET6;

	set_addr(&other, AF_INET6, v6 ? "::ffff:127.0.0.1" : "::1", 0);
	EXPECT_EQ(-1, bind(self->fd, (void *)&other, sizeof(struct sockaddr_in6)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	set_addr(&peer, variant->family, v6 ? "::1" : "127.0.0.1", 4433);
	EXPECT_EQ(0, connect(self->fd, (void *)&peer, self->alen));
}

TEST_F(quic, listen_and_accept)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	int other;

	/* listen() without bind() picks a port, like TCP. */
	ASSERT_EQ(0, listen(self->fd, 8));
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));
	EXPECT_NE(0, get_port(&name));
	EXPECT_EQ(0, listen(self->fd, 16));	/* backlog update */

	other = quic_socket(variant->family, variant->type);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, bind(other, (void *)&name, len));
	EXPECT_EQ(-1, listen(other, 8));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(-1, accept(other, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(other);

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(self->fd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	/* No longer listening after shutdown(SHUT_RD). */
	EXPECT_EQ(0, shutdown(self->fd, SHUT_RDWR));
	EXPECT_EQ(-1, accept(self->fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(quic, unconnected_errors)
{
	struct sockaddr_storage peer, srv;
	socklen_t len = sizeof(peer);
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[16] = "x";

	EXPECT_EQ(-1, send(self->fd, buf, 1, 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, getpeername(self->fd, (void *)&peer, &len));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, shutdown(self->fd, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLHUP, pfd.revents & POLLHUP);

	/* connect() sends nothing: it succeeds without a server, once. */
	EXPECT_EQ(-1, connect(self->fd, (void *)&self->lo, self->short_len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(self->fd, (void *)&self->lo, self->alen));
	EXPECT_EQ(EINVAL, errno);		/* port 0 */
	set_addr(&srv, variant->family, variant->family == AF_INET ? "127.0.0.1" : "::1",
		 4433);
	EXPECT_EQ(0, connect(self->fd, (void *)&srv, self->alen));
	EXPECT_EQ(0, getpeername(self->fd, (void *)&peer, &len));
	EXPECT_EQ(self->alen, len);
	EXPECT_EQ(0, memcmp(&peer, &srv, len));
	EXPECT_EQ(-1, connect(self->fd, (void *)&srv, self->alen));
	EXPECT_EQ(EISCONN, errno);
	/* Stream data waits for the handshake. */
	EXPECT_EQ(-1, send(self->fd, buf, 1, MSG_DONTWAIT));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(quic, config_option)
{
	struct {
		struct quic_config c;
		char tail[8];
	} buf;
	struct quic_config *c = &buf.c;
	socklen_t len;

	ASSERT_EQ(28, sizeof(*c));
	memset(&buf, 0, sizeof(buf));
	c->version = QUIC_VERSION_V2;
	c->congestion_control_algo = QUIC_CONG_ALG_CUBIC;
	c->payload_cipher_type = TLS_CIPHER_AES_GCM_256;
	/* tlshd's older 24-byte layout is accepted, so is the current one. */
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c,
				QUIC_CONFIG_SIZE_VER0));
	c->keepalive_probe_interval = 2000000;
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c,
				sizeof(*c)));
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, 20));
	EXPECT_EQ(EINVAL, errno);
	buf.tail[3] = 1;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &buf,
				 sizeof(buf)));
	EXPECT_EQ(E2BIG, errno);

	memset(&buf, 0, sizeof(buf));
	len = QUIC_CONFIG_SIZE_VER0;
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, &len));
	EXPECT_EQ(QUIC_CONFIG_SIZE_VER0, len);
	EXPECT_EQ(QUIC_VERSION_V2, c->version);
	EXPECT_EQ(QUIC_CONG_ALG_CUBIC, c->congestion_control_algo);
	EXPECT_EQ(TLS_CIPHER_AES_GCM_256, c->payload_cipher_type);
	EXPECT_EQ(0, c->keepalive_probe_interval);	/* beyond len */
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, &len));
	EXPECT_EQ(sizeof(*c), len);
	EXPECT_EQ(2000000, c->keepalive_probe_interval);

	/* Any version: a client tries it and follows Version Negotiation. */
	c->version = 0xff000000;
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, sizeof(*c)));
	/* Values out of range. */
	c->version = QUIC_VERSION_V1;
	c->initial_smoothed_rtt = 1000;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, sizeof(*c)));
	EXPECT_EQ(EINVAL, errno);
	c->initial_smoothed_rtt = 0;
	c->payload_cipher_type = 50;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, sizeof(*c)));
	EXPECT_EQ(EINVAL, errno);

	len = 10;
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, &len));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(quic, transport_param_option)
{
	struct quic_transport_param p = {};
	socklen_t len = sizeof(p);

	ASSERT_EQ(56, sizeof(p));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len));
	EXPECT_EQ(sizeof(p), len);
	EXPECT_EQ(100, p.max_streams_bidi);
	EXPECT_EQ(30000000, p.max_idle_timeout);

	p.max_idle_timeout = 5000000;
	p.max_data = 1 << 24;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len));
	EXPECT_EQ(5000000, p.max_idle_timeout);
	EXPECT_EQ(1 << 24, p.max_data);

	p.active_connection_id_limit = 1;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	EXPECT_EQ(EINVAL, errno);
	p.active_connection_id_limit = 2;
	p.max_ack_delay = 16384000;	/* 2^14 ms */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, 40));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * The socket API draft: programs zero the structure, set the fields they
 * care about and call setsockopt(); a zero field leaves the setting as
 * it is, and only the fields given are checked.
 */
TEST_F(quic, zero_fields_leave_settings)
{
	struct quic_transport_param p = {};
	struct quic_config c = {};
	socklen_t len = sizeof(p);

	p.max_idle_timeout = 7000000;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	memset(&p, 0, sizeof(p));
	p.max_data = 1 << 22;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, &len));
	EXPECT_EQ(7000000, p.max_idle_timeout);
	EXPECT_EQ(1 << 22, p.max_data);
	EXPECT_EQ(100, p.max_streams_bidi);		/* the defaults stay */
	EXPECT_EQ(7, p.active_connection_id_limit);
	EXPECT_EQ(65527, p.max_udp_payload_size);
	/* Given fields are still checked */
	memset(&p, 0, sizeof(p));
	p.max_udp_payload_size = 1199;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	EXPECT_EQ(EINVAL, errno);

	c.congestion_control_algo = QUIC_CONG_ALG_CUBIC;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	memset(&c, 0, sizeof(c));
	c.receive_session_ticket = 1;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	memset(&c, 0, sizeof(c));
	len = sizeof(c);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len));
	EXPECT_EQ(QUIC_CONG_ALG_CUBIC, c.congestion_control_algo);
	EXPECT_EQ(1, c.receive_session_ticket);
	EXPECT_EQ(QUIC_VERSION_V1, c.version);
	EXPECT_EQ(333000, c.initial_smoothed_rtt);
}

/*
 * connect() sends nothing: a handshake agent sets the transport
 * parameters and settings on the connected socket, until they go into
 * the handshake (QUIC_SOCKOPT_TRANSPORT_PARAM_EXT).
 */
TEST_F(quic, settings_after_connect)
{
	struct quic_transport_param p = { .max_streams_uni = 7 };
	struct quic_config c = { .initial_smoothed_rtt = 200000 };
	struct sockaddr_storage srv;
	unsigned char ext[512];
	socklen_t len = sizeof(ext);

	set_addr(&srv, variant->family, variant->family == AF_INET ? "127.0.0.1" : "::1",
		 4433);
	ASSERT_EQ(0, connect(self->fd, (void *)&srv, self->alen));
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	p.remote = 1;	/* the server's, remembered for 0-RTT */
	p.max_streams_bidi = 3;
	EXPECT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, ext, &len));
	EXPECT_LT(0, len);
	p.remote = 0;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	EXPECT_EQ(EISCONN, errno);	/* announced */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	EXPECT_EQ(EISCONN, errno);
}

/* Read @path into @buf; the number of bytes, or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/*
 * /proc/net/quic/ is a directory: snmp (the counters), eps (one line per
 * bound UDP endpoint) and socks (one line per socket with its state and
 * ALPN), which scripts grep.
 */
TEST_F(quic, proc_net_quic)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	char buf[16384], want[128];
	const char *ip;
	char *line;

	ip = variant->family == AF_INET ? "127.0.0.1" : "[::1]";
	ASSERT_LT(0, read_file("/proc/net/quic/snmp", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "QuicRetrySent "));
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "h3,smb", 6));
	ASSERT_EQ(0, bind(self->fd, (void *)&self->lo, self->alen));
	ASSERT_EQ(0, listen(self->fd, 4));
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));
	snprintf(want, sizeof(want), "%s:%u ", ip, get_port(&name));

	ASSERT_LT(0, read_file("/proc/net/quic/eps", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "LOCAL", 5));
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no %s in:\n%s", want, buf);
	ASSERT_LT(0, read_file("/proc/net/quic/socks", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "LOCAL", 5));
	line = strstr(buf, want);
	ASSERT_NE(NULL, line) TH_LOG("no %s in:\n%s", want, buf);
	*strchrnul(line, '\n') = 0;
	EXPECT_NE(NULL, strstr(line, " LISTEN ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " h3,smb")) TH_LOG("%s", line);
	close(self->fd);
	self->fd = quic_socket(variant->family, variant->type);
	ASSERT_LT(0, read_file("/proc/net/quic/eps", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, want));
	ASSERT_LT(0, read_file("/proc/net/quic/socks", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, want));
}

TEST_F(quic, alpn_token_ticket_options)
{
	char buf[256];
	socklen_t len = sizeof(buf);
	int lfd;

	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "h3,smbd", 7));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, &len));
	EXPECT_EQ(7, len);
	EXPECT_STREQ("h3,smbd", buf);
	len = 3;
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "h3,,x", 5));
	EXPECT_EQ(EINVAL, errno);
	memset(buf, 'a', sizeof(buf));
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, 200));
	EXPECT_EQ(EINVAL, errno);

	memset(buf, 0x5a, 100);
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, buf, 100));
	memset(buf, 0, sizeof(buf));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, buf, &len));
	EXPECT_EQ(100, len);
	EXPECT_EQ(0x5a, (unsigned char)buf[99]);
	/* Issuing a NEW_TOKEN needs a connection. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, NULL, 0));
	EXPECT_EQ(ENOTCONN, errno);

	/* A listener hands out the key that protects session tickets. */
	lfd = quic_socket(variant->family, variant->type);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, listen(lfd, 1));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(lfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, buf, &len));
	EXPECT_EQ(64, len);
	close(lfd);
}

TEST_F(quic, event_and_close_options)
{
	struct quic_event_option ev = { .type = QUIC_EVENT_STREAM_UPDATE, .on = 1 };
	struct quic_connection_close cl = { .errcode = 7, .frame = 0 };
	socklen_t len = sizeof(ev);

	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)));
	ev.on = 0;
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, &len));
	EXPECT_EQ(1, ev.on);
	ev.type = QUIC_EVENT_KEY_UPDATE;
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, &len));
	EXPECT_EQ(0, ev.on);
	ev.type = QUIC_EVENT_MAX;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)));
	EXPECT_EQ(EINVAL, errno);
	ev.type = QUIC_EVENT_NONE;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)));
	EXPECT_EQ(EINVAL, errno);

	strcpy((char *)cl.phrase, "bye");
	ASSERT_EQ(0, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cl, 12));
	memset(&cl, 0, sizeof(cl));
	len = sizeof(cl);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cl, &len));
	EXPECT_EQ(12, len);
	EXPECT_EQ(7, cl.errcode);
	EXPECT_STREQ("bye", (char *)cl.phrase);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cl, 4));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(quic, connection_options_need_connection)
{
	struct quic_crypto_secret secret = { .send = 1, .level = QUIC_CRYPTO_APP,
					     .type = TLS_CIPHER_AES_GCM_128 };
	struct quic_stream_info si = { .stream_id = -1 };
	struct quic_errinfo ei = { .stream_id = 0 };
	socklen_t len = sizeof(si);
	int x = 0;

	EXPECT_EQ(-1, getsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si, &len));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_STREAM_RESET, &ei, sizeof(ei)));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_KEY_UPDATE, NULL, 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET,
				 &secret, sizeof(secret)));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_QUIC, 99, &x, sizeof(x)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(x);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_QUIC, 99, &x, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

/*
 * A client closed before its handshake sent anything (the ClientHello
 * comes from user space after connect()) has no peer to tell: nothing
 * leaves, where a lone CONNECTION_CLOSE in an Initial without a CRYPTO
 * frame used to, which a server took for a new connection.  Nor does the
 * socket stay for a closing period: it has no late packets to answer.
 */
TEST_F(quic, close_before_hello_sends_nothing)
{
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	char buf[16384], want[64];
	struct pollfd pfd;
	int udp;

	udp = socket(variant->family, SOCK_DGRAM, IPPROTO_UDP);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, bind(udp, (void *)&self->lo, self->alen));
	ASSERT_EQ(0, getsockname(udp, (void *)&name, &len));
	ASSERT_EQ(0, connect(self->fd, (void *)&name, len));
	len = sizeof(name);
	ASSERT_EQ(0, getsockname(self->fd, (void *)&name, &len));
	snprintf(want, sizeof(want), ":%u ", get_port(&name));
	ASSERT_LT(0, read_file("/proc/net/quic/socks", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("no %s in:\n%s", want, buf);
	close(self->fd);
	ASSERT_LT(0, read_file("/proc/net/quic/socks", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, want)) TH_LOG("%s still in:\n%s", want, buf);
	pfd.fd = udp;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 500));
	close(udp);
	self->fd = quic_socket(variant->family, variant->type);
}

TEST_HARNESS_MAIN
