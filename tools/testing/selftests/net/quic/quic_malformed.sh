#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Feed malformed packets to a kernel QUIC server from a raw UDP socket, in
# a fresh network namespace.  Afterwards no QUIC socket may be left in the
# namespace, the protocol's memory must be back where it was, and the
# kernel log must hold no warning.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

# Field $1 (3: sockets, 4: memory pages) of the QUIC rows of
# /proc/net/protocols, summed over IPv4 and IPv6.
quic_proto() {
	ip netns exec "$NS" awk -v f="$1" \
		'$1 == "QUIC" || $1 == "QUICv6" { n += $f } END { print n + 0 }' \
		/proc/net/protocols
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

mem=$(quic_proto 4)
log=$(dmesg | wc -l)
ip netns exec "$NS" "$(dirname "$0")/quic_malformed"
rc=$?

if ! wait_proto 3 0; then
	echo "FAIL: $(quic_proto 3) QUIC sockets left in the namespace"
	rc=1
fi
if ! wait_proto 4 "$mem"; then
	echo "FAIL: QUIC memory $(quic_proto 4) pages, $mem before the test"
	rc=1
fi
if dmesg | tail -n +"$((log + 1))" |
   grep -E 'WARNING:|BUG:|KASAN:|UBSAN:|Oops|refcount_t:|general protection'; then
	echo "FAIL: kernel warnings during the test"
	rc=1
fi
exit "$rc"
