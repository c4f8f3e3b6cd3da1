#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check socket_quic.txt against include/uapi/linux/quic.h and
# net/quic/sockopt.c, and regenerate socket_quic.txt.const.
#
# Needs gcc, python3 and the exported uapi headers of the kernel build
# (make headers_install; by default build/obj/usr/include, override with
# QUIC_USR_INCLUDE).  The C program that prints the constants, sizes and
# offsets is generated from the description into a temporary directory;
# QUIC_SYZ_KEEP_C=file keeps a copy of it.  If Go and a syzkaller checkout (SYZKALLER=dir) are
# there, the description is also compiled by syzkaller itself.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
export QUIC_USR_INCLUDE=${QUIC_USR_INCLUDE:-$root/build/obj/usr/include}

if [ ! -f "$QUIC_USR_INCLUDE/linux/quic.h" ]; then
	echo "no $QUIC_USR_INCLUDE/linux/quic.h: run make headers_install first" >&2
	exit 2
fi
# The exported header must be the one in the tree (modulo the guard
# headers_install rewrites), or the check compares with a stale ABI.
if ! diff -q <(grep -v '_LINUX_QUIC_H' "$root/include/uapi/linux/quic.h") \
	     <(grep -v '_LINUX_QUIC_H' "$QUIC_USR_INCLUDE/linux/quic.h") >/dev/null; then
	echo "$QUIC_USR_INCLUDE/linux/quic.h differs from include/uapi/linux/quic.h" >&2
	exit 2
fi

rc=0
python3 "$here/check.py" || rc=$?

if command -v go >/dev/null 2>&1 && [ -n "${SYZKALLER:-}" ]; then
	cp "$here/socket_quic.txt" "$here/socket_quic.txt.const" "$SYZKALLER/sys/linux/"
	(cd "$SYZKALLER" && go run ./sys/syz-sysgen) || rc=1
	rm -f "$SYZKALLER/sys/linux/socket_quic.txt" "$SYZKALLER/sys/linux/socket_quic.txt.const"
else
	echo "syzkaller sysgen: not run (needs go and SYZKALLER=<syzkaller checkout>)"
fi
exit $rc
