// SPDX-License-Identifier: GPL-2.0
/*
 * Put credentials in the kernel keyring for quic_kconsumer.sh, with the
 * add_key() and keyctl() system calls (there may be no keyctl program).
 *
 *   quic_keys keyring NAME			a keyring in the user keyring
 *   quic_keys add TYPE DESC FILE RING		a key holding FILE's bytes
 *   quic_keys addhex TYPE DESC HEX RING	a key holding the bytes of HEX
 *   quic_keys unlink RING			take the keyring out again
 *
 * Each prints the new key's serial in decimal, as kernel consumers take it
 * (module parameters cert=, privkey=, peerid=, keyring=).  The handshake
 * agent is another process: it reads the keys as their owner's user, so
 * the user gets the possessor's rights on them.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#define PERM_ALL	0x3f	/* view read write search link setattr */
#define KEY_PERMS	(PERM_ALL << 24 | PERM_ALL << 16)	/* possessor, user */
#define MAX_PAYLOAD	(64 * 1024)

static long keyctl(int cmd, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5)
{
	return syscall(__NR_keyctl, cmd, a2, a3, a4, a5);
}

static int add(const char *type, const char *desc, const void *data,
	       size_t len, long ring)
{
	long serial;

	serial = syscall(__NR_add_key, type, desc, data, len, ring);
	if (serial < 0) {
		fprintf(stderr, "add_key %s \"%s\": %s\n", type, desc, strerror(errno));
		return 1;
	}
	if (keyctl(KEYCTL_SETPERM, serial, KEY_PERMS, 0, 0)) {
		fprintf(stderr, "setperm %ld: %s\n", serial, strerror(errno));
		return 1;
	}
	printf("%ld\n", serial);
	return 0;
}

static long ring_arg(const char *s)
{
	char *end;
	long v;

	v = strtol(s, &end, 0);
	if (*end || end == s || v <= 0 || v > INT32_MAX) {
		fprintf(stderr, "bad keyring serial \"%s\"\n", s);
		exit(2);
	}
	return v;
}

static int add_file(char **argv)
{
	static uint8_t buf[MAX_PAYLOAD];
	size_t len;
	FILE *f;

	f = fopen(argv[2], "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || !feof(f) || !len) {
		fprintf(stderr, "%s: cannot read it (empty, or over %d bytes)\n",
			argv[2], MAX_PAYLOAD);
		fclose(f);
		return 1;
	}
	fclose(f);
	return add(argv[0], argv[1], buf, len, ring_arg(argv[3]));
}

static int add_hex(char **argv)
{
	uint8_t buf[256];
	const char *hex = argv[2];
	size_t i, len = strlen(hex) / 2;
	unsigned int b;

	if (strlen(hex) % 2 || !len || len > sizeof(buf)) {
		fprintf(stderr, "bad hex key \"%s\"\n", hex);
		return 2;
	}
	for (i = 0; i < len; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "bad hex key \"%s\"\n", hex);
			return 2;
		}
		buf[i] = b;
	}
	return add(argv[0], argv[1], buf, len, ring_arg(argv[3]));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "keyring"))
		return add("keyring", argv[2], NULL, 0, KEY_SPEC_USER_KEYRING);
	if (argc == 6 && !strcmp(argv[1], "add"))
		return add_file(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "addhex"))
		return add_hex(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "unlink")) {
		if (keyctl(KEYCTL_UNLINK, ring_arg(argv[2]), KEY_SPEC_USER_KEYRING, 0, 0)) {
			fprintf(stderr, "unlink %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		return 0;
	}
	fprintf(stderr,
		"usage: %s keyring NAME | add TYPE DESC FILE RING |\n"
		"       addhex TYPE DESC HEX RING | unlink RING\n", argv[0]);
	return 2;
}
