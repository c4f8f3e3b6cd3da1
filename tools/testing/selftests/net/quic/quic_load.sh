#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load on QUIC in a fresh network namespace (quic_load): a thousand
# handshakes at once, a thousand idle connections and what each costs,
# a thousand connections opened and closed, threads on one socket, and
# close() racing packets.  Afterwards no QUIC socket may be left in the
# namespace and the kernel log must hold no warning.  QUIC_LOAD_HANDSHAKES,
# QUIC_LOAD_IDLE, QUIC_LOAD_CYCLES and QUIC_LOAD_RACES set the counts
# (1000, 1000, 1000 and 100; the long run: 10000 each).  On a kernel with
# kmemleak (the debug guest, where everything runs ten times slower) the
# defaults are 200, 100, 100 and 30, the memory that may stay after
# close grows to 64 MiB (KASAN's quarantine keeps freed objects a while,
# and kmemleak is the judge of leaks there), so the wait for the slab
# counters to settle stops after 3 s instead of 30 (QUIC_LOAD_SETTLE),
# and the memory per idle socket (QUIC_LOAD_IDLE_KIB) grows to 40 KiB,
# for KASAN's redzones.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

quic_socks() {
	ip netns exec "$NS" awk '$1 == "QUIC" || $1 == "QUICv6" { n += $3 }
		END { print n + 0 }' /proc/net/protocols
}

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up
log0=$(dmesg | wc -l)
if [ -e /sys/kernel/debug/kmemleak ]; then
	export QUIC_LOAD_HANDSHAKES=${QUIC_LOAD_HANDSHAKES:-200}
	export QUIC_LOAD_IDLE=${QUIC_LOAD_IDLE:-100}
	export QUIC_LOAD_CYCLES=${QUIC_LOAD_CYCLES:-100}
	export QUIC_LOAD_RACES=${QUIC_LOAD_RACES:-30}
	export QUIC_LOAD_SLACK_KIB=${QUIC_LOAD_SLACK_KIB:-65536}
	export QUIC_LOAD_IDLE_KIB=${QUIC_LOAD_IDLE_KIB:-40}
	export QUIC_LOAD_SETTLE=${QUIC_LOAD_SETTLE:-3}
fi

ip netns exec "$NS" "$(dirname "$0")/quic_load"
ret=$?

n=0
for i in $(seq 450); do
	n=$(quic_socks)
	[ "$n" -eq 0 ] && break
	sleep 0.1
done
if [ "$n" -ne 0 ]; then
	echo "# $n QUIC sockets left in the namespace"
	ret=$ksft_fail
fi
if dmesg | tail -n +"$((log0 + 1))" |
   grep -E 'WARNING:|BUG:|KASAN:|UBSAN:|Oops|refcount_t:|general protection|possible circular'; then
	echo "# kernel warnings during the load"
	ret=$ksft_fail
fi
exit "$ret"
