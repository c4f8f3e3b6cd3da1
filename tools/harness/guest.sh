#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the virtme-ng guest: run the kselftests and keep the kernel log.
#   guest.sh OUT KSELFTEST_DIR [COMMAND...]
# With a COMMAND, run that instead of the tests (make run).
out=$1 kst=$2
shift 2
mkdir -p "$out"
dmesg > "$out/dmesg-boot.txt"
if [ $# -gt 0 ]; then
	"$@" 2>&1 | tee "$out/run.txt"
else
	# The kernel consumer sample: loads, listens, unloads.
	obj=$(dirname "$kst")/obj
	{
		insmod "$obj/samples/quic/quic_sample.ko" &&
		dmesg | grep -E 'quic_sample: listening on UDP port [1-9][0-9]*, ALPN "sample"' &&
		rmmod quic_sample
		echo "exit=$?"
	} > "$out/sample-quic_sample.txt" 2>&1
	for t in "$kst"/net/quic/*.sh; do
		name=$(basename "$t" .sh)
		echo "=== $name"
		(cd "$(dirname "$t")" && timeout 600 "./$(basename "$t")") \
			> "$out/kselftest-$name.txt" 2>&1
		echo "exit=$?" >> "$out/kselftest-$name.txt"
	done
fi
dmesg > "$out/dmesg.txt"
echo done > "$out/finished"
