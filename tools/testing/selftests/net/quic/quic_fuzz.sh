#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the QUIC socket system calls as an ordinary user, in a fresh network
# namespace.  Afterwards no QUIC socket may be left in the namespace, the
# protocol's memory must be back where it was, and the kernel log must hold
# no warning.  Arguments go to quic_fuzz: -s SEED to replay a run, -n CALLS
# for a longer one.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

# Field $1 of the QUIC rows of /proc/net/protocols: 3, the sockets of
# this namespace, counted per row; 4, the memory pages, one counter that
# IPv4 and IPv6 share, so the larger row.
quic_proto() {
	ip netns exec "$NS" awk -v f="$1" \
		'$1 == "QUIC" || $1 == "QUICv6" { n += $f; if ($f > m) m = $f }
		 END { print (f == 4 ? m : n) + 0 }' /proc/net/protocols
}

# Wait up to 45 seconds for field $1 to drop to $2 or below: a closed
# connection lingers for three probe timeouts, and one closed gracefully
# with data its peer never took stays until its idle timeout (30 s by
# default) after the peer's last acknowledgment.  (A deadline, not a count
# of tries: each look takes a while in an emulated guest.)
wait_proto() {
	local end=$((SECONDS + 45))

	until [ "$(quic_proto "$1")" -le "$2" ]; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up

# The protocol's memory counter is exact only to the per-CPU reserves that
# sk_memory_allocated_add() batches it in: up to mem_pcpu_rsv pages per
# CPU may stay counted after every socket has gone.
rsv=$(cat /proc/sys/net/core/mem_pcpu_rsv 2>/dev/null || echo 256)
slack=$((rsv * $(nproc --all)))
mem=$(quic_proto 4)
log=$(dmesg | wc -l)
ip netns exec "$NS" "$(dirname "$0")/quic_fuzz" "$@"
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
