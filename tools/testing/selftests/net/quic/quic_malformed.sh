#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Feed malformed packets to a kernel QUIC server from a raw UDP socket, in
# a fresh network namespace.  Afterwards no QUIC socket may be left in the
# namespace, the protocol's memory must be back where it was, and the
# kernel log must hold no warning.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

# Field $1 of the QUIC rows of /proc/net/protocols: 3, the sockets of
# this namespace, counted per row; 4, the memory pages, one counter that
# IPv4 and IPv6 share, so the larger row.
quic_proto() {
	ip netns exec "$NS" awk -v f="$1" \
		'$1 == "QUIC" || $1 == "QUICv6" { n += $f; if ($f > m) m = $f }
		 END { print (f == 4 ? m : n) + 0 }' /proc/net/protocols
}

# Wait up to 5 seconds for field $1 to drop to $2 or below.
wait_proto() {
	local i

	for i in $(seq 50); do
		[ "$(quic_proto "$1")" -le "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up

# The protocol's memory counter is exact only to the per-CPU reserves that
# sk_memory_allocated_add() batches it in: up to mem_pcpu_rsv pages per
# CPU may stay counted after every socket has gone.  Leaks smaller than
# that are kmemleak's to find (the debug kernel).
rsv=$(cat /proc/sys/net/core/mem_pcpu_rsv 2>/dev/null || echo 256)
slack=$((rsv * $(nproc --all)))
mem=$(quic_proto 4)
log=$(dmesg | wc -l)
ip netns exec "$NS" "$(dirname "$0")/quic_malformed" "$@"
rc=$?

if ! wait_proto 3 0; then
	echo "FAIL: $(quic_proto 3) QUIC sockets left in the namespace"
	rc=1
fi
if ! wait_proto 4 "$((mem + slack))"; then
	echo "FAIL: QUIC memory $(quic_proto 4) pages, $mem before the test (slack $slack)"
	rc=1
fi
if dmesg | tail -n +"$((log + 1))" |
   grep -E 'WARNING:|BUG:|KASAN:|UBSAN:|Oops|refcount_t:|general protection'; then
	echo "FAIL: kernel warnings during the test"
	rc=1
fi
exit "$rc"
