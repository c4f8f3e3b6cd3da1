#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the QUIC transport tests (no TLS library involved) over loopback in a
# fresh network namespace.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up

# net.quic.max_orphans is global and lives in the initial namespace only:
# orphans_limited gets it as descriptor 3.
exec 3<>/proc/sys/net/quic/max_orphans || exit 1
# The debug kernel (kmemleak, KASAN) is ten times slower: the path tests
# move an eighth of their data there.
[ -e /sys/kernel/debug/kmemleak ] && export QUIC_TRANSPORT_SCALE=8
ip netns exec "$NS" "$(dirname "$0")/quic_transport"
