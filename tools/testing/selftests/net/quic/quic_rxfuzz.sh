#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the receive path of a kernel QUIC server with quic_rxfuzz, in a
# fresh network namespace.  Arguments go to quic_rxfuzz;
# QUIC_RXFUZZ_PACKETS sets the number of mutated packets (-n; 10000 by
# default, 4000 on a kernel with kmemleak, the debug guest, which is ten
# times slower), and a seed can be given with -s.  The long run, by hand:
# QUIC_RXFUZZ_PACKETS=200000.  Afterwards no QUIC socket may be left in
# the namespace, the protocol's memory must be back where it was, and the
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

# Wait up to 10 seconds for field $1 to drop to $2 or below.
wait_proto() {
	local i

	for i in $(seq 100); do
		[ "$(quic_proto "$1")" -le "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up

# As in quic_malformed.sh: the memory counter is exact only to the per-CPU
# reserves of sk_memory_allocated_add().
rsv=$(cat /proc/sys/net/core/mem_pcpu_rsv 2>/dev/null || echo 256)
slack=$((rsv * $(nproc --all)))
mem=$(quic_proto 4)
log=$(dmesg | wc -l)
packets=10000
[ -e /sys/kernel/debug/kmemleak ] && packets=4000
ip netns exec "$NS" "$(dirname "$0")/quic_rxfuzz" -n "${QUIC_RXFUZZ_PACKETS:-$packets}" "$@"
rc=$?

if ! wait_proto 3 0; then
	echo "FAIL: $(quic_proto 3) QUIC sockets left in the namespace"
	rc=1
fi
if ! wait_proto 4 "$((mem + slack))"; then
	echo "FAIL: QUIC memory $(quic_proto 4) pages, $mem before the test (slack $slack)"
	rc=1
fi
splat='WARNING:|BUG:|KASAN:|UBSAN:|Oops|refcount_t:|general protection'
splat+='|possible circular|inconsistent lock'
if dmesg | tail -n +"$((log + 1))" | grep -E "$splat"; then
	echo "FAIL: kernel warnings during the test"
	rc=1
fi
exit "$rc"
