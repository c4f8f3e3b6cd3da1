// SPDX-License-Identifier: GPL-2.0
/*
 * quic-handshaked: the user-space TLS 1.3 handshake agent of kernel QUIC
 * consumers.
 *
 * A kernel consumer (SMB, NFS, samples/quic) asks net/handshake for a
 * handshake on an IPPROTO_QUIC socket with tls_client_hello_*() or
 * tls_server_hello_*().  The kernel announces the request with a READY
 * notification on the "tlshd" multicast group of the "handshake" generic
 * netlink family; an agent takes it with HANDSHAKE_CMD_ACCEPT, which
 * installs a descriptor of the socket in the agent and returns the request
 * (role, authentication mode, key serials, peer name, timeout), runs the
 * handshake on the descriptor and reports with HANDSHAKE_CMD_DONE.  The
 * protocol is Documentation/netlink/specs/handshake.yaml; tlshd of
 * ktls-utils is the agent for TCP, and this one speaks to it the same way,
 * so the two must not run at once on the same kernel.
 *
 * The netlink side is raw AF_NETLINK (no libnl), the keys come from the
 * kernel keyring through the keyctl(2) system call (no libkeyutils), and
 * the handshake itself is tools/lib/quic's quic_handshake() on a GnuTLS
 * session configured here.
 *
 * Threads: the main thread owns the netlink sockets.  It accepts every
 * pending request itself and starts one detached worker thread per
 * request; a worker builds the session, runs the handshake, sends DONE
 * from a netlink socket of its own and closes the descriptor.  The main
 * thread also enforces each request's deadline: quic_handshake() has its
 * own fixed limit, so a request whose time is up gets its socket shut
 * down, which makes the library return at once, and is reported as
 * ETIMEDOUT.  Keys the kernel hands over through a keyring are reachable
 * because the kernel links that keyring into the process keyring of the
 * accepting process, which all threads share.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/genetlink.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "quic.h"	/* tools/lib/quic; includes <linux/quic.h> */

/*
 * The handshake netlink family (include/uapi/linux/handshake.h) is ABI,
 * and C libraries' kernel headers do not all have it yet: the values used
 * here are repeated rather than included.
 */
#define HANDSHAKE_FAMILY_NAME		"handshake"
#define HANDSHAKE_MCGRP_TLSHD		"tlshd"

enum { HANDSHAKE_HANDLER_CLASS_TLSHD = 1 };

enum {
	HANDSHAKE_MSG_TYPE_CLIENTHELLO = 1,
	HANDSHAKE_MSG_TYPE_SERVERHELLO,
};

enum {
	HANDSHAKE_AUTH_UNAUTH = 1,
	HANDSHAKE_AUTH_PSK,
	HANDSHAKE_AUTH_X509,
};

enum {
	HANDSHAKE_A_X509_CERT = 1,
	HANDSHAKE_A_X509_PRIVKEY,
};

enum {
	HANDSHAKE_A_ACCEPT_SOCKFD = 1,
	HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
	HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,
	HANDSHAKE_A_ACCEPT_TIMEOUT,
	HANDSHAKE_A_ACCEPT_AUTH_MODE,
	HANDSHAKE_A_ACCEPT_PEER_IDENTITY,
	HANDSHAKE_A_ACCEPT_CERTIFICATE,
	HANDSHAKE_A_ACCEPT_PEERNAME,
	HANDSHAKE_A_ACCEPT_KEYRING,
};

enum {
	HANDSHAKE_A_DONE_STATUS = 1,
	HANDSHAKE_A_DONE_SOCKFD,
	HANDSHAKE_A_DONE_REMOTE_AUTH,
};

enum {
	HANDSHAKE_CMD_READY = 1,
	HANDSHAKE_CMD_ACCEPT,
	HANDSHAKE_CMD_DONE,
};

#define HS_NAME			"quic-handshaked"
#define HS_DEFAULT_CONFIG	"/etc/quic-handshaked.conf"
/* quic_handshake() gives up after this long on its own. */
#define HS_DEFAULT_TIMEOUT_MS	15000
#define HS_MAX_ACTIVE		64	/* handshakes at once; more wait in the kernel */
#define HS_MAX_PEERIDS		5	/* what the kernel sends at most */
#define HS_NL_BUF		16384
#define HS_ALPNS_MAX		1024
#define HS_SESSION_MAX		4096
#define HS_TICKET_KEY_LEN	64
#define HS_PSK_TYPE		"psk"	/* the kernel's TLS PSK key type */

/* Key permissions (keyutils' names), for keys this agent creates */
#define HS_KEY_POS_VIEW		0x01000000
#define HS_KEY_POS_READ		0x02000000
#define HS_KEY_POS_WRITE	0x04000000
#define HS_KEY_POS_SEARCH	0x08000000
#define HS_KEY_POS_LINK		0x10000000
#define HS_KEY_POS_SETATTR	0x20000000
#define HS_KEY_USR_VIEW		0x00010000
#define HS_KEY_USR_READ		0x00020000

/* GnuTLS priorities: TLS 1.3 only, the four suites QUIC can protect with */
#define HS_PRIO_BASE	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL"
#define HS_PRIO_CIPHERS	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM"
#define HS_PRIO_PSK	":+ECDHE-PSK:+DHE-PSK:+PSK"
#define HS_PRIO_TAIL	"%DISABLE_TLS13_COMPAT_MODE"

#ifndef HAVE_PSK_MAC
#define HAVE_PSK_MAC 0
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define HS_STR(x)		#x
#define HS_XSTR(x)		HS_STR(x)

typedef int32_t key_serial_t;

/* ---- logging ----------------------------------------------------------- */

static bool hs_use_syslog;
static int hs_loglevel;		/* 0 handshakes and errors, 1 info, 2+ debug */

static void hs_vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	if ((prio == LOG_INFO && hs_loglevel < 1) ||
	    (prio == LOG_DEBUG && hs_loglevel < 2))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (hs_use_syslog)
		syslog(prio, "%s", line);
	else
		fprintf(stderr, HS_NAME "[%d]: %s\n", (int)getpid(), line);
}

static void __printf(2, 3)
hs_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hs_vlog(prio, fmt, ap);
	va_end(ap);
}

#define hs_err(...)	hs_log(LOG_ERR, __VA_ARGS__)
#define hs_notice(...)	hs_log(LOG_NOTICE, __VA_ARGS__)
#define hs_info(...)	hs_log(LOG_INFO, __VA_ARGS__)
#define hs_debug(...)	hs_log(LOG_DEBUG, __VA_ARGS__)

static void hs_gnutls_log(int level, const char *msg)
{
	size_t len = strlen(msg);

	(void)level;
	/* GnuTLS ends its lines itself. */
	hs_debug("gnutls: %.*s", (int)(len && msg[len - 1] == '\n' ? len - 1 : len),
		 msg);
}

/* ---- configuration ----------------------------------------------------- */

/**
 * struct hs_side_config - x509 settings of one role ([authenticate.client]
 *	or [authenticate.server])
 * @truststore: PEM CA file to verify the peer with; NULL for the system's
 * @crl: PEM CRL file, or NULL
 * @certificate: PEM certificate used when the kernel names none
 * @private_key: its PEM private key
 */
struct hs_side_config {
	char *truststore;
	char *crl;
	char *certificate;
	char *private_key;
};

static struct hs_config {
	int loglevel;
	char *keyrings;		/* [authenticate] keyrings, ';' separated */
	struct hs_side_config client;
	struct hs_side_config server;
} hs_config;

static char *hs_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* An empty value unsets the option. */
static int hs_config_set_string(char **slot, const char *value)
{
	char *copy = NULL;

	if (*value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

static struct hs_side_config *hs_config_side(const char *section)
{
	if (!strcmp(section, "authenticate.client"))
		return &hs_config.client;
	if (!strcmp(section, "authenticate.server"))
		return &hs_config.server;
	return NULL;
}

/* One "key=value" line of @section; unknown keys are only reported. */
static int hs_config_apply(const char *path, int lineno, const char *section,
			   const char *key, const char *value)
{
	struct hs_side_config *side = hs_config_side(section);
	char *end;

	if (!strcmp(section, "debug") && !strcmp(key, "loglevel")) {
		hs_config.loglevel = (int)strtol(value, &end, 10);
		if (*end || end == value)
			goto bad;
		return 0;
	}
	if (!strcmp(section, "authenticate") && !strcmp(key, "keyrings"))
		return hs_config_set_string(&hs_config.keyrings, value);
	if (side && !strcmp(key, "x509.truststore"))
		return hs_config_set_string(&side->truststore, value);
	if (side && !strcmp(key, "x509.crl"))
		return hs_config_set_string(&side->crl, value);
	if (side && !strcmp(key, "x509.certificate"))
		return hs_config_set_string(&side->certificate, value);
	if (side && !strcmp(key, "x509.private_key"))
		return hs_config_set_string(&side->private_key, value);
	hs_notice("%s:%d: [%s] %s is not used by " HS_NAME, path, lineno,
		  section, key);
	return 0;
bad:
	hs_err("%s:%d: bad value for %s: \"%s\"", path, lineno, key, value);
	return -EINVAL;
}

/*
 * The keyfile format tlshd.conf uses (GLib's): [section] headers,
 * key=value lines, '#' comments, lists separated by ';'.
 */
static int hs_config_load(const char *path, bool must_exist)
{
	char line[4096], section[128] = "";
	int lineno = 0, err = 0;
	char *s, *eq, *end;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		hs_err("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		s = hs_trim(line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			end = strchr(s, ']');
			if (!end || end[1] || end - s - 1 >= (long)sizeof(section)) {
				hs_err("%s:%d: bad section header", path, lineno);
				err = -EINVAL;
				break;
			}
			*end = '\0';
			snprintf(section, sizeof(section), "%s", s + 1);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || !*section) {
			hs_err("%s:%d: expected key=value in a section", path, lineno);
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		err = hs_config_apply(path, lineno, section, hs_trim(s),
				      hs_trim(eq + 1));
	}
	fclose(f);
	return err;
}

/* ---- the kernel keyring ------------------------------------------------ */

static long hs_keyctl(int cmd, unsigned long a2, unsigned long a3,
		      unsigned long a4, unsigned long a5)
{
	return syscall(__NR_keyctl, cmd, a2, a3, a4, a5);
}

/* A key's payload, in a buffer of @alloc (malloc or gnutls_malloc). */
static int hs_key_read(key_serial_t serial, gnutls_datum_t *out,
		       void *(*alloc)(size_t))
{
	long len, got;
	void *buf;

	len = hs_keyctl(KEYCTL_READ, serial, 0, 0, 0);
	for (;;) {
		if (len < 0)
			return -errno;
		buf = alloc(len ? len : 1);
		if (!buf)
			return -ENOMEM;
		got = hs_keyctl(KEYCTL_READ, serial, (unsigned long)buf, len, 0);
		if (got >= 0 && got <= len)
			break;
		/* It changed size under us: try again with the new size. */
		if (alloc == gnutls_malloc)
			gnutls_free(buf);
		else
			free(buf);
		len = got;
	}
	out->data = buf;
	out->size = got;
	return 0;
}

static void hs_datum_free(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/*
 * KEYCTL_DESCRIBE gives "type;uid;gid;perm;description": copy the type
 * and the description (everything after the fourth ';': a description
 * may hold ';' itself).
 */
static int hs_key_describe(key_serial_t serial, char *type, size_t type_len,
			   char *desc, size_t desc_len)
{
	char buf[4096], *p = buf, *semi;
	long len;
	int i;

	len = hs_keyctl(KEYCTL_DESCRIBE, serial, (unsigned long)buf,
			sizeof(buf), 0);
	if (len < 0)
		return -errno;
	if (len > (long)sizeof(buf))
		return -ENAMETOOLONG;
	buf[sizeof(buf) - 1] = '\0';
	for (i = 0; i < 4; i++) {
		semi = strchr(p, ';');
		if (!semi)
			return -EINVAL;
		if (i == 0)
			snprintf(type, type_len, "%.*s", (int)(semi - buf), buf);
		p = semi + 1;
	}
	if (strlen(p) >= desc_len)
		return -ENAMETOOLONG;
	snprintf(desc, desc_len, "%s", p);
	return 0;
}

static key_serial_t hs_key_search(key_serial_t ring, const char *type,
				  const char *desc)
{
	long ret = hs_keyctl(KEYCTL_SEARCH, ring, (unsigned long)type,
			     (unsigned long)desc, 0);

	return ret < 0 ? 0 : (key_serial_t)ret;
}

/* A keyring by number, or by name as /proc/keys shows it. */
static key_serial_t hs_keyring_lookup(const char *name)
{
	char line[512], type[64], desc[256];
	key_serial_t found = 0;
	unsigned int id;
	char *end;
	long num;
	FILE *f;

	num = strtol(name, &end, 0);
	if (end != name && !*end)
		return (key_serial_t)num;
	f = fopen("/proc/keys", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* id flags usage timeout perm uid gid type description: ... */
		if (sscanf(line, "%x %*s %*s %*s %*s %*s %*s %63s %255[^:]",
			   &id, type, desc) != 3)
			continue;
		if (!strcmp(type, "keyring") && !strcmp(desc, name))
			found = (key_serial_t)id;
	}
	fclose(f);
	return found;
}

/*
 * Link the keyrings of the configuration into the session keyring, where
 * a server looks for the PSK identities clients offer.  tlshd always adds
 * the .nvme, .nfs and .nfsd keyrings of kernel consumers; so does this.
 */
static void hs_keyrings_link(void)
{
	static const char * const builtin[] = { ".nvme", ".nfs", ".nfsd" };
	char *list, *name, *save = NULL;
	key_serial_t ring;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(builtin); i++) {
		ring = hs_keyring_lookup(builtin[i]);
		if (ring && hs_keyctl(KEYCTL_LINK, ring, KEY_SPEC_SESSION_KEYRING,
				      0, 0) == 0)
			hs_info("linked keyring %s (%08x)", builtin[i], ring);
	}
	if (!hs_config.keyrings)
		return;
	list = strdup(hs_config.keyrings);
	if (!list)
		return;
	for (name = strtok_r(list, ";", &save); name;
	     name = strtok_r(NULL, ";", &save)) {
		name = hs_trim(name);
		if (!*name)
			continue;
		ring = hs_keyring_lookup(name);
		if (!ring) {
			hs_err("keyring %s: not found", name);
			continue;
		}
		if (hs_keyctl(KEYCTL_LINK, ring, KEY_SPEC_SESSION_KEYRING, 0, 0))
			hs_err("keyring %s: cannot link: %s", name, strerror(errno));
		else
			hs_info("linked keyring %s (%08x)", name, ring);
	}
	free(list);
}

/*
 * The identity of an x509 peer for the consumer: as tlshd, a key holding
 * the peer's DER certificate, "TLS x509 <peername>" in the user keyring.
 * Its type is "asymmetric" (the kernel parses the certificate); a kernel
 * without asymmetric keys gets a "user" key with the same payload.
 */
static key_serial_t hs_key_add_peer_cert(const gnutls_datum_t *der,
					 const char *peername)
{
	char desc[NI_MAXHOST + 16];
	long serial;

	snprintf(desc, sizeof(desc), "TLS x509 %s", peername);
	serial = syscall(__NR_add_key, "asymmetric", desc, der->data,
			 (size_t)der->size, KEY_SPEC_USER_KEYRING);
	if (serial < 0 && errno == ENODEV)
		serial = syscall(__NR_add_key, "user", desc, der->data,
				 (size_t)der->size, KEY_SPEC_USER_KEYRING);
	if (serial < 0) {
		hs_err("cannot add key \"%s\": %s", desc, strerror(errno));
		return 0;
	}
	/*
	 * Root's keyring: only root reads it.  Write lets the next handshake
	 * with this peer update a "user" key in place.
	 */
	if (hs_keyctl(KEYCTL_SETPERM, serial,
		      HS_KEY_POS_VIEW | HS_KEY_POS_READ | HS_KEY_POS_WRITE |
		      HS_KEY_POS_SEARCH |
		      HS_KEY_POS_LINK | HS_KEY_POS_SETATTR | HS_KEY_USR_VIEW |
		      HS_KEY_USR_READ, 0, 0))
		hs_debug("key %08lx: setperm: %s", serial, strerror(errno));
	return (key_serial_t)serial;
}

/* ---- generic netlink --------------------------------------------------- */

static uint16_t hs_family_id;
static uint32_t hs_mcgrp_id;
static atomic_uint hs_nl_seq;

/*
 * An outgoing message: header, generic header and a few attributes.  The
 * union keeps the buffer aligned for struct nlmsghdr.
 */
struct hs_nlmsg {
	union {
		struct nlmsghdr hdr;
		char buf[512];
	};
};

static void hs_nlmsg_init(struct hs_nlmsg *m, uint16_t type, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->hdr.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->hdr.nlmsg_type = type;
	m->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = NLMSG_DATA(&m->hdr);
	g->cmd = cmd;
	g->version = 1;
}

static int hs_nla_put(struct hs_nlmsg *m, uint16_t type, const void *data,
		      size_t len)
{
	size_t off = NLMSG_ALIGN(m->hdr.nlmsg_len);
	struct nlattr *a = (struct nlattr *)(m->buf + off);

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf))
		return -EMSGSIZE;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->hdr.nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return 0;
}

static int hs_nla_put_u32(struct hs_nlmsg *m, uint16_t type, uint32_t v)
{
	return hs_nla_put(m, type, &v, sizeof(v));
}

/* The next attribute of a [@a, @a + *rem) list, or NULL at its end */
static const struct nlattr *hs_nla_next(const struct nlattr *a, int *rem)
{
	int step = NLA_ALIGN(a->nla_len);

	*rem -= step;
	a = (const struct nlattr *)((const char *)a + step);
	if (*rem < (int)NLA_HDRLEN || a->nla_len < NLA_HDRLEN ||
	    a->nla_len > *rem)
		return NULL;
	return a;
}

static const struct nlattr *hs_nla_first(const void *head, int len, int *rem)
{
	const struct nlattr *a = head;

	*rem = len;
	if (len < (int)NLA_HDRLEN || a->nla_len < NLA_HDRLEN ||
	    a->nla_len > len)
		return NULL;
	return a;
}

static const void *hs_nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int hs_nla_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static int hs_nla_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static uint32_t hs_nla_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (hs_nla_len(a) >= (int)sizeof(v))
		memcpy(&v, hs_nla_data(a), sizeof(v));
	return v;
}

/* The attributes of a generic netlink message */
static const struct nlattr *hs_genl_attrs(const struct nlmsghdr *nlh, int *rem)
{
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	return hs_nla_first((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN, len,
			    rem);
}

static int hs_nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	/* Acks without a copy of our request */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

typedef int (*hs_nl_reply_fn)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @m and read the answer up to its ack: each reply goes to @cb.
 * Returns the ack's status (0 or a negative errno); a callback error wins
 * over a good ack.
 */
static int hs_nl_transact(int fd, struct hs_nlmsg *m, hs_nl_reply_fn cb,
			  void *arg)
{
	static __thread union {
		struct nlmsghdr hdr;
		char buf[HS_NL_BUF];
	} rx;
	uint32_t seq = atomic_fetch_add(&hs_nl_seq, 1) + 1;
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	int cb_err = 0, len;
	ssize_t n;

	m->hdr.nlmsg_seq = seq;
	if (send(fd, m->buf, m->hdr.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, rx.buf, sizeof(rx.buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (nlh = &rx.hdr; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				e = NLMSG_DATA(nlh);
				return cb_err ? cb_err : e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_err;
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
	}
}

static int hs_family_parse_groups(const struct nlattr *groups)
{
	const struct nlattr *g, *a;
	int rem, rem2, id = -1;
	bool match;

	for (g = hs_nla_first(hs_nla_data(groups), hs_nla_len(groups), &rem);
	     g; g = hs_nla_next(g, &rem)) {
		match = false;
		id = -1;
		for (a = hs_nla_first(hs_nla_data(g), hs_nla_len(g), &rem2); a;
		     a = hs_nla_next(a, &rem2)) {
			if (hs_nla_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				match = !strncmp(hs_nla_data(a), HANDSHAKE_MCGRP_TLSHD,
						 hs_nla_len(a));
			else if (hs_nla_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = (int)hs_nla_u32(a);
		}
		if (match && id >= 0) {
			hs_mcgrp_id = id;
			return 0;
		}
	}
	return -ENOENT;
}

static int hs_family_reply(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a;
	uint16_t id;
	int rem;

	(void)arg;
	for (a = hs_genl_attrs(nlh, &rem); a; a = hs_nla_next(a, &rem)) {
		if (hs_nla_type(a) == CTRL_ATTR_FAMILY_ID &&
		    hs_nla_len(a) >= (int)sizeof(id)) {
			memcpy(&id, hs_nla_data(a), sizeof(id));
			hs_family_id = id;
		} else if (hs_nla_type(a) == CTRL_ATTR_MCAST_GROUPS) {
			hs_family_parse_groups(a);
		}
	}
	return 0;
}

/* The "handshake" family's id and its "tlshd" group, from the controller */
static int hs_family_resolve(int fd)
{
	struct hs_nlmsg m;
	int err;

	hs_nlmsg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	hs_nla_put(&m, CTRL_ATTR_FAMILY_NAME, HANDSHAKE_FAMILY_NAME,
		   sizeof(HANDSHAKE_FAMILY_NAME));
	err = hs_nl_transact(fd, &m, hs_family_reply, NULL);
	if (err)
		return err;
	if (!hs_family_id || !hs_mcgrp_id)
		return -ENOENT;
	return 0;
}

/* ---- handshake requests ------------------------------------------------ */

/**
 * struct hs_request - one accepted handshake
 * @fd: our descriptor of the consumer's socket
 * @msg_type: HANDSHAKE_MSG_TYPE_CLIENTHELLO or _SERVERHELLO
 * @timeout_ms: the consumer's limit, 0 if it gave none
 * @auth_mode: HANDSHAKE_AUTH_*
 * @peerids: PEER_IDENTITY key serials (PSK keys)
 * @num_peerids: how many
 * @cert: certificate key serial, 0 for none
 * @privkey: private key serial, 0 for none
 * @keyring: the consumer's keyring, 0 for none
 * @peername: PEERNAME, or the peer's address when the kernel gave none
 * @peername_given: @peername came from the kernel
 * @start_ms: CLOCK_MONOTONIC time of the accept
 * @deadline_ms: when the watchdog aborts it
 * @aborted: errno the watchdog (or shutdown) aborted it with, under
 *	hs_active_lock
 * @finished: the handshake returned: no more aborts (under hs_active_lock)
 * @remote_peerid: the peer's identity for DONE, 0 for none
 * @why: what failed, for the log
 * @next: hs_active list
 */
struct hs_request {
	int fd;
	uint32_t msg_type;
	uint32_t timeout_ms;
	uint32_t auth_mode;
	key_serial_t peerids[HS_MAX_PEERIDS];
	unsigned int num_peerids;
	key_serial_t cert;
	key_serial_t privkey;
	key_serial_t keyring;
	char peername[NI_MAXHOST];
	bool peername_given;
	int64_t start_ms;
	int64_t deadline_ms;
	int aborted;
	bool finished;
	key_serial_t remote_peerid;
	char why[160];
	struct hs_request *next;
};

static pthread_mutex_t hs_active_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hs_request *hs_active;
static unsigned int hs_active_count;
static int hs_wake_fd = -1;	/* eventfd: a worker finished */

static int64_t hs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __printf(2, 3)
hs_why(struct hs_request *req, const char *fmt, ...)
{
	va_list ap;

	if (req->why[0])
		return;		/* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(req->why, sizeof(req->why), fmt, ap);
	va_end(ap);
}

static void hs_request_parse_cert(struct hs_request *req,
				  const struct nlattr *nest)
{
	const struct nlattr *a;
	int rem;

	for (a = hs_nla_first(hs_nla_data(nest), hs_nla_len(nest), &rem); a;
	     a = hs_nla_next(a, &rem)) {
		if (hs_nla_type(a) == HANDSHAKE_A_X509_CERT)
			req->cert = (key_serial_t)hs_nla_u32(a);
		else if (hs_nla_type(a) == HANDSHAKE_A_X509_PRIVKEY)
			req->privkey = (key_serial_t)hs_nla_u32(a);
	}
}

static void hs_request_parse_attr(struct hs_request *req,
				  const struct nlattr *a)
{
	int len = hs_nla_len(a);

	switch (hs_nla_type(a)) {
	case HANDSHAKE_A_ACCEPT_SOCKFD:
		req->fd = (int)hs_nla_u32(a);
		break;
	case HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
		req->msg_type = hs_nla_u32(a);
		break;
	case HANDSHAKE_A_ACCEPT_TIMEOUT:
		req->timeout_ms = hs_nla_u32(a);
		break;
	case HANDSHAKE_A_ACCEPT_AUTH_MODE:
		req->auth_mode = hs_nla_u32(a);
		break;
	case HANDSHAKE_A_ACCEPT_PEER_IDENTITY:
		if (req->num_peerids < HS_MAX_PEERIDS)
			req->peerids[req->num_peerids++] = hs_nla_u32(a);
		break;
	case HANDSHAKE_A_ACCEPT_CERTIFICATE:
		hs_request_parse_cert(req, a);
		break;
	case HANDSHAKE_A_ACCEPT_PEERNAME:
		if (len > 0 && len < (int)sizeof(req->peername)) {
			memcpy(req->peername, hs_nla_data(a), len);
			req->peername[len] = '\0';
			req->peername_given = req->peername[0] != '\0';
		}
		break;
	case HANDSHAKE_A_ACCEPT_KEYRING:
		req->keyring = (key_serial_t)hs_nla_u32(a);
		break;
	default:
		break;	/* newer kernels may send more */
	}
}

/* The ACCEPT reply: the descriptor is ours from here on, whatever else. */
static int hs_accept_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct hs_request *req = arg;
	const struct nlattr *a;
	int rem;

	for (a = hs_genl_attrs(nlh, &rem); a; a = hs_nla_next(a, &rem))
		hs_request_parse_attr(req, a);
	return 0;
}

/* Without PEERNAME: the peer's name, as tlshd, or at least its address */
static void hs_request_default_peername(struct hs_request *req)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (req->peername_given)
		return;
	snprintf(req->peername, sizeof(req->peername), "unknown");
	if (getpeername(req->fd, (struct sockaddr *)&ss, &len))
		return;
	if (!getnameinfo((struct sockaddr *)&ss, len, req->peername,
			 sizeof(req->peername), NULL, 0, NI_NAMEREQD))
		return;
	getnameinfo((struct sockaddr *)&ss, len, req->peername,
		    sizeof(req->peername), NULL, 0, NI_NUMERICHOST);
}

/*
 * Take the next pending request.  Returns 1 with @req filled in, 0 when
 * none is left (the kernel says EAGAIN), or a negative errno.
 */
static int hs_accept_one(int fd, struct hs_request *req)
{
	struct hs_nlmsg m;
	int err;

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	hs_nlmsg_init(&m, hs_family_id, HANDSHAKE_CMD_ACCEPT);
	hs_nla_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
		       HANDSHAKE_HANDLER_CLASS_TLSHD);
	err = hs_nl_transact(fd, &m, hs_accept_reply, req);
	if (req->fd >= 0)
		return 1;
	if (err == -EAGAIN || !err)
		return 0;
	return err;
}

/* HANDSHAKE_CMD_DONE from a socket of the worker's own */
static void hs_send_done(struct hs_request *req, uint32_t status)
{
	struct hs_nlmsg m;
	int fd, err;

	fd = hs_nl_open();
	if (fd < 0) {
		hs_err("DONE: netlink socket: %s", strerror(-fd));
		return;
	}
	hs_nlmsg_init(&m, hs_family_id, HANDSHAKE_CMD_DONE);
	hs_nla_put_u32(&m, HANDSHAKE_A_DONE_STATUS, status);
	hs_nla_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)req->fd);
	if (!status && req->remote_peerid)
		hs_nla_put_u32(&m, HANDSHAKE_A_DONE_REMOTE_AUTH,
			       (uint32_t)req->remote_peerid);
	err = hs_nl_transact(fd, &m, NULL, NULL);
	if (err)
		hs_err("DONE for %s refused: %s", req->peername, strerror(-err));
	close(fd);
}

/* ---- the TLS session ---------------------------------------------------- */

/**
 * struct hs_tls - a request's session and the credentials it uses
 * @session: the GnuTLS session
 * @cert: certificate credentials, or NULL
 * @psk_client: client PSK credentials, or NULL
 * @psk_server: server PSK credentials, or NULL
 * @alpn: an ALPN list was offered, so one must be agreed (RFC 9001 8.1)
 */
struct hs_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cert;
	gnutls_psk_client_credentials_t psk_client;
	gnutls_psk_server_credentials_t psk_server;
	bool alpn;
};

static bool hs_is_server(const struct hs_request *req)
{
	return req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO;
}

static const char *hs_role_name(const struct hs_request *req)
{
	return hs_is_server(req) ? "server" : "client";
}

static const char *hs_auth_name(uint32_t mode)
{
	switch (mode) {
	case HANDSHAKE_AUTH_UNAUTH:
		return "unauth";
	case HANDSHAKE_AUTH_PSK:
		return "psk";
	case HANDSHAKE_AUTH_X509:
		return "x509";
	default:
		return "unknown";
	}
}

static const char *hs_cipher_priority(uint32_t cipher)
{
	switch (cipher) {
	case 0:
		return HS_PRIO_CIPHERS;
	case TLS_CIPHER_AES_GCM_128:
		return "+AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:
		return "+AES-256-GCM";
	case TLS_CIPHER_AES_CCM_128:
		return "+AES-128-CCM";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "+CHACHA20-POLY1305";
	default:
		return NULL;
	}
}

/* TLS 1.3 only, no middlebox compatibility mode (RFC 9001 section 8.4) */
static int hs_set_priority(struct hs_request *req, struct hs_tls *t,
			   uint32_t cipher)
{
	const char *ciphers = hs_cipher_priority(cipher);
	char prio[256];
	int ret;

	if (!ciphers) {
		hs_why(req, "socket asks for unknown cipher %u", cipher);
		return -EINVAL;
	}
	snprintf(prio, sizeof(prio), "%s:%s%s:%s", HS_PRIO_BASE, ciphers,
		 req->auth_mode == HANDSHAKE_AUTH_PSK ? HS_PRIO_PSK : "",
		 HS_PRIO_TAIL);
	ret = gnutls_priority_set_direct(t->session, prio, NULL);
	if (ret < 0) {
		hs_why(req, "priorities: %s", gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

/* "a,b,c" from QUIC_SOCKOPT_ALPN to a mandatory GnuTLS ALPN list */
static int hs_set_alpn(struct hs_request *req, struct hs_tls *t, char *alpns)
{
	gnutls_datum_t protos[16];
	char *p, *save = NULL;
	unsigned int n = 0;
	int ret;

	for (p = strtok_r(alpns, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		p = hs_trim(p);
		if (!*p)
			continue;
		if (n == ARRAY_SIZE(protos)) {
			hs_why(req, "too many ALPN protocols");
			return -EINVAL;
		}
		protos[n].data = (unsigned char *)p;
		protos[n++].size = strlen(p);
	}
	if (!n)
		return 0;
	ret = gnutls_alpn_set_protocols(t->session, protos, n,
					GNUTLS_ALPN_MANDATORY);
	if (ret < 0) {
		hs_why(req, "ALPN: %s", gnutls_strerror(ret));
		return -EINVAL;
	}
	t->alpn = true;
	return 0;
}

/* The trust store of @side, or the system's */
static int hs_set_trust(struct hs_request *req, struct hs_tls *t,
			const struct hs_side_config *side)
{
	int ret;

	if (side->truststore) {
		ret = gnutls_certificate_set_x509_trust_file(t->cert,
							     side->truststore,
							     GNUTLS_X509_FMT_PEM);
		if (ret <= 0) {
			hs_why(req, "truststore %s: %s", side->truststore,
			       ret ? gnutls_strerror(ret) : "no certificate");
			return -ENOKEY;
		}
	} else {
		ret = gnutls_certificate_set_x509_system_trust(t->cert);
		if (ret < 0)
			hs_debug("system trust store: %s", gnutls_strerror(ret));
	}
	if (side->crl) {
		ret = gnutls_certificate_set_x509_crl_file(t->cert, side->crl,
							   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			hs_why(req, "CRL %s: %s", side->crl, gnutls_strerror(ret));
			return -ENOKEY;
		}
	}
	return 0;
}

/* Our certificate: the kernel's keys (DER, as tlshd takes them), else files */
static int hs_set_own_cert(struct hs_request *req, struct hs_tls *t,
			   const struct hs_side_config *side, bool required)
{
	gnutls_datum_t cert = {}, key = {};
	int ret, err;

	if (req->cert && req->privkey) {
		err = hs_key_read(req->cert, &cert, malloc);
		if (!err)
			err = hs_key_read(req->privkey, &key, malloc);
		if (err) {
			hs_why(req, "reading key %08x/%08x: %s", req->cert,
			       req->privkey, strerror(-err));
			hs_datum_free(&cert);
			return -ENOKEY;
		}
		ret = gnutls_certificate_set_x509_key_mem2(t->cert, &cert, &key,
							   GNUTLS_X509_FMT_DER,
							   NULL, 0);
		hs_datum_free(&cert);
		hs_datum_free(&key);
		if (ret < 0) {
			hs_why(req, "keys %08x/%08x: %s", req->cert, req->privkey,
			       gnutls_strerror(ret));
			return -ENOKEY;
		}
		return 0;
	}
	if (side->certificate && side->private_key) {
		ret = gnutls_certificate_set_x509_key_file(t->cert,
							   side->certificate,
							   side->private_key,
							   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			hs_why(req, "%s: %s", side->certificate,
			       gnutls_strerror(ret));
			return -ENOKEY;
		}
		return 0;
	}
	if (required) {
		hs_why(req, "no certificate: none from the kernel nor configured");
		return -ENOKEY;
	}
	return 0;
}

/*
 * A client always verifies the server, against the name the consumer gave
 * (or the address: GnuTLS then matches IP SANs), and sends that name as
 * SNI when it is a DNS name.
 */
static int hs_setup_x509_client(struct hs_request *req, struct hs_tls *t)
{
	const struct hs_side_config *side = &hs_config.client;
	unsigned char addr[16];
	int ret;

	ret = gnutls_certificate_allocate_credentials(&t->cert);
	if (ret < 0)
		return -ENOMEM;
	ret = hs_set_trust(req, t, side);
	if (!ret && req->auth_mode == HANDSHAKE_AUTH_X509)
		ret = hs_set_own_cert(req, t, side, false);
	if (ret)
		return ret;
	gnutls_session_set_verify_cert(t->session, req->peername, 0);
	if (strcmp(req->peername, "unknown") &&
	    inet_pton(AF_INET, req->peername, addr) != 1 &&
	    inet_pton(AF_INET6, req->peername, addr) != 1)
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, req->peername,
				       strlen(req->peername));
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cert);
	return ret < 0 ? -ENOMEM : 0;
}

/*
 * A server asks for a client certificate when a trust store is configured
 * or the socket's CONFIG.certificate_request says so (2: require one).
 */
static int hs_setup_x509_server(struct hs_request *req, struct hs_tls *t,
				uint8_t cert_request)
{
	const struct hs_side_config *side = &hs_config.server;
	int ret;

	ret = gnutls_certificate_allocate_credentials(&t->cert);
	if (ret < 0)
		return -ENOMEM;
	ret = hs_set_own_cert(req, t, side, true);
	if (ret)
		return ret;
	if (side->truststore || cert_request) {
		ret = hs_set_trust(req, t, side);
		if (ret)
			return ret;
		gnutls_certificate_server_set_request(t->session,
						      cert_request > 1 ?
						      GNUTLS_CERT_REQUIRE :
						      GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_cert(t->session, NULL, 0);
	}
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cert);
	return ret < 0 ? -ENOMEM : 0;
}

/* The PSK identity of a key: its description */
static int hs_psk_identity(key_serial_t serial, char *id, size_t len)
{
	char type[64];

	return hs_key_describe(serial, type, sizeof(type), id, len);
}

/*
 * Client PSK: the first PEER_IDENTITY key, its description the identity.
 * A 48-byte key goes with SHA-384 where GnuTLS can say so.
 */
static int hs_setup_psk_client(struct hs_request *req, struct hs_tls *t)
{
	gnutls_datum_t key = {};
	char identity[512];
	int ret, err;

	if (!req->num_peerids) {
		hs_why(req, "PSK request without a key");
		return -ENOKEY;
	}
	err = hs_psk_identity(req->peerids[0], identity, sizeof(identity));
	if (!err)
		err = hs_key_read(req->peerids[0], &key, malloc);
	if (err) {
		hs_why(req, "PSK key %08x: %s", req->peerids[0], strerror(-err));
		return -ENOKEY;
	}
#if HAVE_PSK_MAC
	ret = gnutls_psk_allocate_client_credentials2(&t->psk_client,
						      key.size == 48 ?
						      GNUTLS_MAC_SHA384 :
						      GNUTLS_MAC_SHA256);
#else
	ret = gnutls_psk_allocate_client_credentials(&t->psk_client);
#endif
	if (ret >= 0)
		ret = gnutls_psk_set_client_credentials(t->psk_client, identity,
							&key, GNUTLS_PSK_KEY_RAW);
	hs_datum_free(&key);
	if (ret < 0) {
		hs_why(req, "PSK credentials: %s", gnutls_strerror(ret));
		return -ENOKEY;
	}
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK, t->psk_client);
	if (ret < 0)
		return -ENOMEM;
	req->remote_peerid = req->peerids[0];
	return 0;
}

/*
 * The key a client's identity names: first among the request's serials,
 * then in the consumer's keyring (type "psk", then "user"), then, as
 * tlshd, a "psk" key in the session keyring.
 */
static key_serial_t hs_psk_find(struct hs_request *req, const char *identity)
{
	static const char * const types[] = { HS_PSK_TYPE, "user" };
	char desc[512];
	key_serial_t key;
	unsigned int i;

	for (i = 0; i < req->num_peerids; i++)
		if (!hs_psk_identity(req->peerids[i], desc, sizeof(desc)) &&
		    !strcmp(desc, identity))
			return req->peerids[i];
	for (i = 0; req->keyring && i < 2; i++) {
		key = hs_key_search(req->keyring, types[i], identity);
		if (key)
			return key;
	}
	return hs_key_search(KEY_SPEC_SESSION_KEYRING, HS_PSK_TYPE, identity);
}

static int hs_psk_server_lookup(gnutls_session_t session, const char *identity,
				gnutls_datum_t *key)
{
	struct hs_request *req = gnutls_session_get_ptr(session);
	key_serial_t serial;
	int err;

	serial = hs_psk_find(req, identity);
	if (!serial) {
		hs_why(req, "unknown PSK identity \"%s\"", identity);
		return -1;
	}
	err = hs_key_read(serial, key, gnutls_malloc);
	if (err) {
		hs_why(req, "PSK key %08x: %s", serial, strerror(-err));
		return -1;
	}
	/* The same key authenticates both ends. */
	req->remote_peerid = serial;
	return 0;
}

/* The lookup happens when the ClientHello names an identity. */
static int hs_setup_psk_server(struct hs_tls *t)
{
	int ret;

	ret = gnutls_psk_allocate_server_credentials(&t->psk_server);
	if (ret < 0)
		return -ENOMEM;
	gnutls_psk_set_server_credentials_function(t->psk_server,
						   hs_psk_server_lookup);
	ret = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK, t->psk_server);
	return ret < 0 ? -ENOMEM : 0;
}

static int hs_setup_credentials(struct hs_request *req, struct hs_tls *t,
				const struct quic_config *cfg)
{
	bool server = hs_is_server(req);

	switch (req->auth_mode) {
	case HANDSHAKE_AUTH_PSK:
		return server ? hs_setup_psk_server(t) :
				hs_setup_psk_client(req, t);
	case HANDSHAKE_AUTH_X509:
		return server ? hs_setup_x509_server(req, t,
						     cfg->certificate_request) :
				hs_setup_x509_client(req, t);
	case HANDSHAKE_AUTH_UNAUTH:
		if (!server)
			return hs_setup_x509_client(req, t);
		break;
	}
	hs_why(req, "%s cannot do auth mode %u", hs_role_name(req),
	       req->auth_mode);
	return -EINVAL;
}

/*
 * Session resumption as kernel consumers ask for it: a client socket's
 * SESSION_TICKET holds session data from an earlier connection, a
 * server's the 64-byte key its tickets are made with.
 */
static void hs_setup_tickets(struct hs_request *req, struct hs_tls *t)
{
	static __thread uint8_t data[HS_SESSION_MAX];
	socklen_t len = sizeof(data);
	gnutls_datum_t key;

	if (getsockopt(req->fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, data,
		       &len) || !len)
		return;
	if (!hs_is_server(req)) {
		if (gnutls_session_set_data(t->session, data, len) < 0)
			hs_info("%s: unusable session data, full handshake",
				req->peername);
		return;
	}
	if (len != HS_TICKET_KEY_LEN)
		return;
	key.data = data;
	key.size = len;
	if (gnutls_session_ticket_enable_server(t->session, &key) < 0)
		hs_info("%s: ticket key refused", req->peername);
}

static void hs_tls_free(struct hs_tls *t)
{
	if (t->session)
		gnutls_deinit(t->session);
	if (t->cert)
		gnutls_certificate_free_credentials(t->cert);
	if (t->psk_client)
		gnutls_psk_free_client_credentials(t->psk_client);
	if (t->psk_server)
		gnutls_psk_free_server_credentials(t->psk_server);
	memset(t, 0, sizeof(*t));
}

/* Everything about the session that comes from the socket and the request */
static int hs_tls_setup(struct hs_request *req, struct hs_tls *t)
{
	unsigned int flags = GNUTLS_NO_END_OF_EARLY_DATA;
	socklen_t len = sizeof(struct quic_config);
	char alpns[HS_ALPNS_MAX];
	struct quic_config cfg;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	if (getsockopt(req->fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len)) {
		hs_why(req, "not a QUIC socket: %s", strerror(errno));
		return -EINVAL;
	}
	flags |= hs_is_server(req) ? GNUTLS_SERVER : GNUTLS_CLIENT;
	ret = gnutls_init(&t->session, flags);
	if (ret < 0) {
		t->session = NULL;
		return -ENOMEM;
	}
	gnutls_session_set_ptr(t->session, req);
	gnutls_transport_set_int(t->session, req->fd);
	ret = hs_set_priority(req, t, cfg.payload_cipher_type);
	if (!ret)
		ret = hs_setup_credentials(req, t, &cfg);
	if (ret)
		return ret;
	len = sizeof(alpns) - 1;
	if (getsockopt(req->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpns, &len))
		len = 0;
	alpns[len] = '\0';
	ret = hs_set_alpn(req, t, alpns);
	if (ret)
		return ret;
	hs_setup_tickets(req, t);
	return 0;
}

static void hs_collect_x509_peer(struct hs_request *req, struct hs_tls *t)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;

	certs = gnutls_certificate_get_peers(t->session, &n);
	if (!certs || !n)
		return;		/* a server that did not insist */
	req->remote_peerid = hs_key_add_peer_cert(&certs[0], req->peername);
}

/* After quic_handshake() succeeded: what QUIC insists on, and who it was */
static int hs_tls_check_result(struct hs_request *req, struct hs_tls *t)
{
	gnutls_datum_t proto;

	if (t->alpn && (gnutls_alpn_get_selected_protocol(t->session, &proto) < 0 ||
			!proto.size)) {
		hs_why(req, "no ALPN agreed");
		return -ENOPROTOOPT;
	}
	if (req->auth_mode != HANDSHAKE_AUTH_PSK)
		hs_collect_x509_peer(req, t);
	return 0;
}

/*
 * DONE's status, a positive errno the consumer gets negated, with the
 * meanings of Documentation/networking/tls-handshake.rst: EACCES when the
 * peer refused us or we refused it, ENOKEY when our credentials are
 * missing, EINVAL for a request we cannot serve, ETIMEDOUT past the
 * consumer's deadline, EIO for anything else.
 */
static uint32_t hs_done_status(int err)
{
	uint32_t status;

	switch (-err) {
	case 0:
	case ETIMEDOUT:
	case ENOKEY:
	case EINVAL:
	case ENOMEM:
		status = -err;
		break;
	case EKEYREJECTED:
	case EACCES:
	case EPROTO:
	case ECONNRESET:
	case ECONNREFUSED:
	case ENOPROTOOPT:
	case EBADMSG:
		status = EACCES;
		break;
	default:
		status = EIO;
		break;
	}
	return status;
}

/* ---- workers ------------------------------------------------------------ */

static int hs_run_handshake(struct hs_request *req)
{
	struct hs_tls t = {};
	int err;

	err = hs_tls_setup(req, &t);
	if (!err) {
		err = quic_handshake(t.session);
		if (err)
			hs_why(req, "%s", strerror(-err));
		else
			err = hs_tls_check_result(req, &t);
	}
	hs_tls_free(&t);
	return err;
}

/* The watchdog may not abort a handshake that has returned. */
static int hs_mark_finished(struct hs_request *req)
{
	int aborted;

	pthread_mutex_lock(&hs_active_lock);
	req->finished = true;
	aborted = req->aborted;
	pthread_mutex_unlock(&hs_active_lock);
	return aborted;
}

static void hs_request_release(struct hs_request *req)
{
	struct hs_request **pp;
	uint64_t one = 1;

	pthread_mutex_lock(&hs_active_lock);
	for (pp = &hs_active; *pp; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	}
	hs_active_count--;
	pthread_mutex_unlock(&hs_active_lock);
	free(req);
	if (write(hs_wake_fd, &one, sizeof(one)) < 0)
		hs_debug("wake: %s", strerror(errno));
}

/* The names of the statuses hs_done_status() gives */
static const char *hs_status_name(uint32_t status)
{
	switch (status) {
	case EACCES:
		return "EACCES";
	case ENOKEY:
		return "ENOKEY";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		return "EIO";
	}
}

static void hs_log_result(struct hs_request *req, uint32_t status,
			  int64_t ms)
{
	if (!status) {
		hs_notice("%s peer=%s auth=%s result=ok peerid=%08x time=%lldms",
			  hs_role_name(req), req->peername,
			  hs_auth_name(req->auth_mode), req->remote_peerid,
			  (long long)ms);
		return;
	}
	hs_notice("%s peer=%s auth=%s result=%s (%s) time=%lldms",
		  hs_role_name(req), req->peername, hs_auth_name(req->auth_mode),
		  hs_status_name(status),
		  req->why[0] ? req->why : strerror(status), (long long)ms);
}

static void *hs_worker(void *arg)
{
	struct hs_request *req = arg;
	uint32_t status;
	int err, aborted;

	err = hs_run_handshake(req);
	aborted = hs_mark_finished(req);
	if (aborted) {
		/* Its socket was shut down: whatever came back is moot. */
		err = -aborted;
		req->why[0] = '\0';
		hs_why(req, "%s", aborted == ETIMEDOUT ?
		       "no handshake within the time limit" : "agent stopping");
	}
	status = aborted == ESHUTDOWN ? EIO : hs_done_status(err);
	if (status)
		req->remote_peerid = 0;
	hs_send_done(req, status);
	close(req->fd);
	hs_log_result(req, status, hs_now_ms() - req->start_ms);
	hs_request_release(req);
	return NULL;
}

/* Shut a socket down so its handshake returns; the worker reports @why. */
static void hs_abort_locked(struct hs_request *req, int why)
{
	if (req->finished || req->aborted)
		return;
	req->aborted = why;
	/* QUIC closes the connection: a blocked poll/recv sees the end. */
	shutdown(req->fd, SHUT_RDWR);
}

/* Abort what is past its deadline; the time to the next one, -1 if none */
static int hs_watchdog(void)
{
	int64_t now = hs_now_ms(), next = -1, left;
	struct hs_request *req;

	pthread_mutex_lock(&hs_active_lock);
	for (req = hs_active; req; req = req->next) {
		if (req->finished || req->aborted)
			continue;
		left = req->deadline_ms - now;
		if (left <= 0) {
			hs_abort_locked(req, ETIMEDOUT);
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	pthread_mutex_unlock(&hs_active_lock);
	return next < 0 ? -1 : (int)(next > INT_MAX ? INT_MAX : next);
}

static void hs_abort_all(void)
{
	struct hs_request *req;

	pthread_mutex_lock(&hs_active_lock);
	for (req = hs_active; req; req = req->next)
		hs_abort_locked(req, ESHUTDOWN);
	pthread_mutex_unlock(&hs_active_lock);
}

static unsigned int hs_active_now(void)
{
	unsigned int n;

	pthread_mutex_lock(&hs_active_lock);
	n = hs_active_count;
	pthread_mutex_unlock(&hs_active_lock);
	return n;
}

/* Hand an accepted request to a new worker; on failure report it here. */
static void hs_start_worker(struct hs_request *accepted)
{
	struct hs_request *req;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	req = malloc(sizeof(*req));
	if (!req) {
		hs_send_done(accepted, ENOMEM);
		close(accepted->fd);
		return;
	}
	*req = *accepted;
	req->start_ms = hs_now_ms();
	req->deadline_ms = req->start_ms +
			   (req->timeout_ms ? req->timeout_ms : HS_DEFAULT_TIMEOUT_MS);
	hs_request_default_peername(req);
	hs_debug("accepted fd %d: %s %s peer=%s timeout=%ums keyring=%08x",
		 req->fd, hs_role_name(req), hs_auth_name(req->auth_mode),
		 req->peername, req->timeout_ms, req->keyring);

	pthread_mutex_lock(&hs_active_lock);
	req->next = hs_active;
	hs_active = req;
	hs_active_count++;
	pthread_mutex_unlock(&hs_active_lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, hs_worker, req);
	pthread_attr_destroy(&attr);
	if (err) {
		hs_err("cannot start a worker: %s", strerror(err));
		hs_mark_finished(req);
		hs_send_done(req, EIO);
		close(req->fd);
		hs_request_release(req);
	}
}

/*
 * One READY may stand for several requests, and requests may wait while
 * we are at HS_MAX_ACTIVE: take them until the kernel has none.
 * Returns true when some may be left (we stopped at the limit).
 */
static bool hs_accept_pending(int nl_fd)
{
	struct hs_request req;
	int ret;

	while (hs_active_now() < HS_MAX_ACTIVE) {
		ret = hs_accept_one(nl_fd, &req);
		if (ret < 0)
			hs_err("ACCEPT: %s", strerror(-ret));
		if (ret <= 0)
			return false;
		hs_start_worker(&req);
	}
	return true;
}

/* ---- the main loop -------------------------------------------------------- */

static int hs_join_group(int fd)
{
	uint32_t grp = hs_mcgrp_id;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -errno;
	return 0;
}

/* Whether the notifications in the socket ask for us (READY, TLSHD) */
static bool hs_read_notifications(int fd)
{
	static union {
		struct nlmsghdr hdr;
		char buf[HS_NL_BUF];
	} rx;
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *g;
	const struct nlattr *a;
	bool ready = false;
	int len, rem;
	ssize_t n;

	for (;;) {
		n = recv(fd, rx.buf, sizeof(rx.buf), MSG_DONTWAIT);
		if (n < 0) {
			/* Lost notifications (ENOBUFS): look for ourselves. */
			if (errno == ENOBUFS)
				ready = true;
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return ready;
		}
		len = (int)n;
		for (nlh = &rx.hdr; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type != hs_family_id)
				continue;
			g = NLMSG_DATA(nlh);
			if (g->cmd != HANDSHAKE_CMD_READY)
				continue;
			for (a = hs_genl_attrs(nlh, &rem); a; a = hs_nla_next(a, &rem))
				if (hs_nla_type(a) == HANDSHAKE_A_ACCEPT_HANDLER_CLASS &&
				    hs_nla_u32(a) == HANDSHAKE_HANDLER_CLASS_TLSHD)
					ready = true;
		}
	}
}

static int hs_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread exists, so in all of them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns the signal that ends us, or 0 */
static int hs_read_signals(int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			hs_notice("SIGHUP: configuration is read at start only");
			continue;
		}
		return (int)si.ssi_signo;
	}
	return 0;
}

/* Let in-flight workers report (their sockets are shut down) and end. */
static void hs_drain_workers(void)
{
	struct pollfd p = { .fd = hs_wake_fd, .events = POLLIN };
	int64_t until = hs_now_ms() + 5000;
	uint64_t v;

	hs_abort_all();
	while (hs_active_now() && hs_now_ms() < until) {
		if (poll(&p, 1, 100) > 0 && read(hs_wake_fd, &v, sizeof(v)) < 0)
			break;
	}
	if (hs_active_now())
		hs_err("%u handshakes did not end in time", hs_active_now());
}

static int hs_serve(int mc_fd, int req_fd, int sig_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = mc_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = hs_wake_fd, .events = POLLIN },
	};
	bool backlog;
	uint64_t v;
	int signo;

	/* Requests the kernel queued before we listened */
	backlog = hs_accept_pending(req_fd);
	for (;;) {
		if (poll(pfd, 3, hs_watchdog()) < 0 && errno != EINTR) {
			hs_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[1].revents) {
			signo = hs_read_signals(sig_fd);
			if (signo) {
				hs_notice("%s: stopping", strsignal(signo));
				return 0;
			}
		}
		if (pfd[2].revents && read(hs_wake_fd, &v, sizeof(v)) < 0)
			hs_debug("eventfd: %s", strerror(errno));
		if ((pfd[0].revents && hs_read_notifications(mc_fd)) ||
		    (backlog && pfd[2].revents))
			backlog = hs_accept_pending(req_fd);
	}
}

/* ---- start-up ----------------------------------------------------------- */

static const char hs_help[] =
"NAME\n"
"	" HS_NAME " - TLS 1.3 handshake agent for kernel QUIC sockets\n"
"\n"
"SYNOPSIS\n"
"	" HS_NAME " [-c FILE] [-s] [-v]... [-h]\n"
"\n"
"DESCRIPTION\n"
"	Serves the QUIC handshake requests of kernel consumers (SMB, NFS,\n"
"	samples/quic) that net/handshake announces on the \"tlshd\" group of\n"
"	the \"handshake\" generic netlink family.  For each request it takes\n"
"	the socket (HANDSHAKE_CMD_ACCEPT), runs the TLS 1.3 handshake of\n"
"	RFC 9001 on it with GnuTLS and tools/lib/quic, as a client or a\n"
"	server, with x509 certificates, a pre-shared key or no client\n"
"	authentication, and reports the result with HANDSHAKE_CMD_DONE.\n"
"	Handshakes run concurrently, one thread each.  tlshd(8) answers the\n"
"	same requests: run one agent or the other.\n"
"\n"
"	Keys come from the kernel keyring: a certificate and a private key\n"
"	in DER form, or a PSK whose description is its identity.  Without\n"
"	keys from the kernel, x509 uses the files of the configuration.\n"
"	A client always verifies the server against the peer name the\n"
"	consumer gave.  The ALPN list is the socket's QUIC_SOCKOPT_ALPN.\n"
"	On success the peer's identity goes back to the consumer: the PSK's\n"
"	key serial, or a key \"TLS x509 <peer>\" holding the peer's\n"
"	certificate, made in the user keyring as tlshd does.  Failures are\n"
"	EACCES (refused or not authenticated), ENOKEY (credentials missing),\n"
"	EINVAL, ETIMEDOUT (past the consumer's timeout, or\n"
"	" HS_XSTR(HS_DEFAULT_TIMEOUT_MS) " ms when it gives none) or EIO.  One line per\n"
"	handshake is logged: role, peer, auth mode, result and milliseconds.\n"
"\n"
"OPTIONS\n"
"	-c, --config FILE\n"
"		Read FILE instead of " HS_DEFAULT_CONFIG ".\n"
"	-s, --syslog\n"
"		Log to syslog (daemon facility) instead of standard error.\n"
"	-v, --verbose\n"
"		Log more: once for details, twice for debugging, three times\n"
"		for GnuTLS' own messages.  Adds to [debug] loglevel.\n"
"	-h, --help\n"
"		Print this help and exit.\n"
"\n"
"FILES\n"
"	" HS_DEFAULT_CONFIG "\n"
"		Optional; the keyfile format of tlshd.conf(5):\n"
"		[debug] loglevel=N\n"
"		[authenticate] keyrings=NAME;NAME (linked into the session\n"
"			keyring, where a server looks up PSK identities)\n"
"		[authenticate.client] and [authenticate.server]:\n"
"			x509.truststore=PEM CA file (default: system store;\n"
"				a server with none asks for no client\n"
"				certificate unless the socket's\n"
"				CONFIG.certificate_request does)\n"
"			x509.crl=PEM CRL file\n"
"			x509.certificate=PEM file, x509.private_key=PEM file\n"
"				(used when the kernel names no keys)\n"
"\n"
"SIGNALS\n"
"	SIGTERM and SIGINT stop it: handshakes in progress end with EIO.\n";

static void hs_usage(FILE *out)
{
	fputs(hs_help, out);
}

static int hs_parse_options(int argc, char **argv, const char **config,
			    int *verbose)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:svh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 's':
			hs_use_syslog = true;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'h':
			hs_usage(stdout);
			exit(0);
		default:
			hs_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, HS_NAME ": unexpected argument \"%s\"\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Netlink sockets: one for notifications, one for our own requests */
static int hs_netlink_setup(int *mc_fd, int *req_fd)
{
	int err;

	*req_fd = hs_nl_open();
	if (*req_fd < 0)
		return *req_fd;
	err = hs_family_resolve(*req_fd);
	if (err) {
		hs_err("the kernel has no \"%s\" netlink family with a \"%s\" group: %s",
		       HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD, strerror(-err));
		return err;
	}
	*mc_fd = hs_nl_open();
	if (*mc_fd < 0)
		return *mc_fd;
	err = hs_join_group(*mc_fd);
	if (err)
		hs_err("joining the %s group: %s", HANDSHAKE_MCGRP_TLSHD,
		       strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int mc_fd = -1, req_fd = -1, sig_fd, verbose = 0, ret;

	if (hs_parse_options(argc, argv, &config, &verbose))
		return 2;
	if (hs_use_syslog)
		openlog(HS_NAME, LOG_PID, LOG_DAEMON);
	if (hs_config_load(config ? config : HS_DEFAULT_CONFIG, !!config))
		return 1;
	hs_loglevel = hs_config.loglevel + verbose;
	if (gnutls_global_init() < 0) {
		hs_err("cannot initialise GnuTLS");
		return 1;
	}
	if (hs_loglevel >= 3) {
		gnutls_global_set_log_function(hs_gnutls_log);
		gnutls_global_set_log_level(hs_loglevel - 2);
	}
	hs_keyrings_link();
	sig_fd = hs_signalfd();
	hs_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sig_fd < 0 || hs_wake_fd < 0) {
		hs_err("signalfd/eventfd: %s", strerror(errno));
		return 1;
	}
	ret = hs_netlink_setup(&mc_fd, &req_fd);
	if (!ret) {
		hs_notice("serving handshake requests (family %u, group %u)",
			  hs_family_id, hs_mcgrp_id);
		ret = hs_serve(mc_fd, req_fd, sig_fd);
	} else {
		ret = 1;
	}
	/* No listener left: new requests fail at once (ESRCH) in the kernel. */
	if (mc_fd >= 0)
		close(mc_fd);
	hs_drain_workers();
	if (req_fd >= 0)
		close(req_fd);
	gnutls_global_deinit();
	return ret;
}
