#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-bench.sh [SIZE]: bulk transfers of SIZE bytes (default 64M, K/M/G
# suffixes) over loopback with TCP, kTLS and QUIC, 64 KiB writes, default
# cipher (aes128gcm).  Prints the three result lines of quic_bulk and a
# summary with the throughput ratios quic/tcp and quic/ktls.  Runs as root
# in the test guest; exits non-zero if any run failed.
#
# QUIC_BULK names the binary (default: quic_bulk next to this script).

size=${1:-64M}
bin=${QUIC_BULK:-$(dirname "$0")/quic_bulk}

if [ ! -x "$bin" ]; then
	echo "run-bench: $bin not found: build it with make -C tools/quic" >&2
	exit 1
fi
ip link set lo up || exit 1

rc=0
tcp=
ktls=
quic=
for proto in tcp ktls quic; do
	if line=$("$bin" --proto "$proto" --size "$size" --write 65536); then
		echo "$line"
		mbps=$(echo "$line" | sed -n 's/.* MBps=\([0-9.]*\) .*/\1/p')
		case $proto in
		tcp)	tcp=$mbps ;;
		ktls)	ktls=$mbps ;;
		quic)	quic=$mbps ;;
		esac
	else
		echo "run-bench: $proto failed" >&2
		rc=1
	fi
done

# quic / other, or n/a when a run failed or measured nothing
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'
}

echo "summary: size=$size quic/tcp=$(ratio "$quic" "$tcp") quic/ktls=$(ratio "$quic" "$ktls")"
exit $rc
