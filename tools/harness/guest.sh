#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the virtme-ng guest: run the kselftests and keep the kernel log.
#   guest.sh OUT KSELFTEST_DIR [COMMAND...]
#   guest.sh OUT KSELFTEST_DIR debug
# With a COMMAND, run that instead of the tests (make run).  Without, the
# kernel sample, the kselftests, the HTTP/3 interop cases
# (tools/quic/interop.sh with the tools in build/quic-tools) and the
# interop runner's scenarios against ngtcp2 and aioquic (matrix-ci.sh).  "debug" is
# the run on the KASAN/lockdep/kmemleak kernel: the sample and the
# kselftests, then a kmemleak scan whose report goes to OUT/kmemleak.txt.
out=$1 kst=$2
shift 2
debug=
if [ "${1:-}" = debug ]; then
	debug=1
	shift
fi
mkdir -p "$out"
dmesg > "$out/dmesg-boot.txt"
leaks=/sys/kernel/debug/kmemleak
if [ -n "$debug" ]; then
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	# Objects left from boot are not ours to judge.
	[ -w "$leaks" ] && echo clear > "$leaks"
fi
if [ $# -gt 0 ]; then
	"$@" 2>&1 | tee "$out/run.txt"
else
	# The kernel consumer sample: loads, listens, unloads.
	obj=$(dirname "$kst")/obj${debug:+-debug}
	{
		insmod "$obj/samples/quic/quic_sample.ko" &&
		dmesg | grep -E 'quic_sample: listening on UDP port [1-9][0-9]*, ALPN "sample"' &&
		rmmod quic_sample
		echo "exit=$?"
	} > "$out/sample-quic_sample.txt" 2>&1
	# quic_kconsumer.sh: the sample as kernel client and server, with the
	# handshake agent that tools/quic builds into build/quic-tools.
	export QUIC_SAMPLE_KO=$obj/samples/quic/quic_sample.ko
	export QUIC_HANDSHAKED=$(dirname "$kst")/quic-tools/quic-handshaked
	for t in "$kst"/net/quic/*.sh; do
		name=$(basename "$t" .sh)
		echo "=== $name"
		(cd "$(dirname "$t")" && timeout 600 "./$(basename "$t")") \
			> "$out/kselftest-$name.txt" 2>&1
		echo "exit=$?" >> "$out/kselftest-$name.txt"
	done
	# HTTP/3 against ngtcp2, with the tools test.sh built; not on the
	# debug kernel, where the 10 MiB transfers would take too long.
	if [ -z "$debug" ]; then
		tools=$(dirname "$kst")/quic-tools
		bash "$(dirname "$0")/../quic/interop.sh" "$tools" > "$out/interop.txt" 2>&1
		echo "exit=$?" >> "$out/interop.txt"
		# The interop runner's scenarios against ngtcp2 and aioquic,
		# both roles (matrix-ci.sh says which and why).
		timeout 900 bash "$(dirname "$0")/../quic/matrix-ci.sh" "$tools" \
			> "$out/matrix.txt" 2>&1
		echo "exit=$?" >> "$out/matrix.txt"
		# The benchmark's small matrix: every mode runs and checks its
		# data, and quic-noenc negotiates disable_1rtt_encryption.
		QUIC_BULK=$tools/quic_bulk timeout 300 \
			bash "$(dirname "$0")/../quic/run-bench.sh" --quick \
			> "$out/bench.txt" 2>&1
		echo "exit=$?" >> "$out/bench.txt"
	fi
fi
if [ -n "$debug" ]; then
	if [ -w "$leaks" ]; then
		# An object counts as leaked after two scans a few seconds apart
		# (kmemleak waits for objects to age and for RCU frees).
		sleep 6
		echo scan > "$leaks"
		sleep 6
		echo scan > "$leaks"
		cat "$leaks" > "$out/kmemleak.txt"
	else
		echo "kmemleak: $leaks is missing" > "$out/kmemleak.txt"
	fi
fi
dmesg > "$out/dmesg.txt"
echo done > "$out/finished"
