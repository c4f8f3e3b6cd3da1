#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test run: build, series checks, uapi, KUnit and kselftests in a
# virtme-ng guest.  Prints one line per test and ends with
# "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
h=$top/tools/harness
logs=$top/build/logs
mkdir -p "$logs"
pass=0 fail=0

result() {	# result NAME STATUS [LOG]
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1${3:+ (see $3)}"
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 25 "$3" | sed 's/^/    /'
	fi
}

step() {	# step NAME COMMAND... : run, log, record
	local name=$1 log=$logs/$1.log t0=$SECONDS
	shift
	"$@" > "$log" 2>&1
	local st=$?
	echo "[$name: $((SECONDS - t0)) s]" >&2
	result "$name" "$st" "$log"
	return "$st"
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

step deps bash "$h/deps.sh" || finish
step tree bash "$h/tree.sh" || finish
step kernel-build-y bash "$h/kernel.sh" || finish
step kselftest-build bash "$h/kselftest.sh" || finish
step uapi-header-c-cxx bash "$h/uapi_test.sh"
step kernel-doc bash "$h/kdoc.sh"
# The handshake library's GnuTLS engine, client against server, on the host.
mkdir -p "$top/build/libquic"
step handshake-library-host make -s -C "$top/tools/lib/quic" check \
	KHDR_INCLUDES="-isystem $top/build/obj/usr/include" OUTPUT="$top/build/libquic/"
# Programs written for the original libquic build against it unchanged:
# installed as a shared library with <netinet/quic.h> and libquic.pc.
step handshake-library-compat make -s -C "$top/tools/lib/quic" compat-check \
	KHDR_INCLUDES="-isystem $top/build/obj/usr/include" OUTPUT="$top/build/libquic/"
# The HTTP/3 and benchmark tools the guest runs (interop.sh).
step quic-tools-build make -C "$top/tools/quic" OUTPUT="$top/build/quic-tools/" \
	KHDR_INCLUDES="-isystem $top/build/obj/usr/include"
# The second foreign stack, aioquic, lives in a Debian trixie root the guest
# chroots into (made once, then reused from ~/.cache).
step aioquic-trixie-root timeout 900 bash "$top/tools/quic/trixie-root.sh"
# The syzkaller descriptions of the socket API: every option, struct
# layouts and constants checked against the exported header.
step syzkaller-descriptions env QUIC_USR_INCLUDE="$top/build/obj/usr/include" \
	bash "$top/tools/quic/syzkaller/check.sh"
step series-up-to-date python3 "$h/series.py" check-fresh
step series-applies-to-tree python3 "$h/series.py" check-apply
step series-checkpatch python3 "$h/series.py" checkpatch
step series-each-patch-builds python3 "$h/series.py" check-build
step kernel-build-m bash "$h/kernel.sh" m
# What netdev's build bots also build: clang W=1 and 32-bit x86 W=1.
step kernel-build-clang-w1 bash "$h/kernel.sh" clang
step kernel-build-i386-w1 bash "$h/kernel.sh" i386
# Coccinelle, report mode, every semantic patch of the tree on net/quic.
step coccicheck bash "$h/coccicheck.sh"

if step guest-boot env QUIC_VM_TIMEOUT=1500 bash "$h/vm.sh"; then
	while read -r st name; do
		result "$name" "$st"
	done < <(python3 "$h/results.py" "$top/build/guest-out")
fi

# The same tests on a kernel with KASAN, lockdep and kmemleak: every
# result again under "debug/", plus the kmemleak scan.
dbg=$top/build/guest-out-debug
if step kernel-build-debug bash "$h/kernel.sh" debug &&
   step guest-debug-boot env QUIC_VM_OUT="$dbg" QUIC_VM_TIMEOUT=2400 \
	QUIC_VM_KERNEL="$top/build/obj-debug/arch/x86/boot/bzImage" bash "$h/vm.sh" debug; then
	while read -r st name; do
		result "$name" "$st"
	done < <(python3 "$h/results.py" "$dbg" debug/)
fi
finish
