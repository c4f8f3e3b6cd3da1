#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the QUIC transport tests (no TLS library involved) over loopback in a
# fresh network namespace.  pmtu_packet_too_big runs between a client and
# a server namespace through a router whose link to the server has an MTU
# of 1280:
#
#   client 10.0.9.1 fd09::1 -- 10.0.9.2 fd09::2 router 10.0.10.2 fd0a::2 -- 10.0.10.1 fd0a::1 server
#   (MTU 1500)                                          (MTU 1280)
#
# nat_rebinding_nftables runs through another router that masquerades the
# client with nftables, on a random port per mapping; the server has no
# route to the client's network, only the NAT's address on its own link
# reaches it.  The test moves the router's address to 10.0.12.3:
#
#   client 10.0.11.1 -- 10.0.11.2 router 10.0.12.2 (masquerade) -- 10.0.12.1 server
#
# pmtu_probe_jumbo searches for the MTU of a link of 9000 bytes (and
# ecn_netem_ce has netem mark CE on it, and full_packets and
# ack_frequency measure the datagrams it carries without the search):
#
#   client 10.0.13.1 fd0d::1 -- 10.0.13.2 fd0d::2 server (MTU 9000)

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

trap cleanup_all_ns EXIT
setup_ns NS || exit "$ksft_skip"
ip -n "$NS" link set lo up

pmtu_setup()
{
	setup_ns PMTU_C PMTU_R PMTU_S &&
	ip -n "$PMTU_C" link add veth-c type veth peer name veth-rc netns "$PMTU_R" &&
	ip -n "$PMTU_R" link add veth-rs type veth peer name veth-s netns "$PMTU_S" &&
	ip -n "$PMTU_R" link set veth-rs mtu 1280 &&
	ip -n "$PMTU_S" link set veth-s mtu 1280 &&
	ip -n "$PMTU_C" addr add 10.0.9.1/24 dev veth-c &&
	ip -n "$PMTU_C" addr add fd09::1/64 dev veth-c nodad &&
	ip -n "$PMTU_R" addr add 10.0.9.2/24 dev veth-rc &&
	ip -n "$PMTU_R" addr add fd09::2/64 dev veth-rc nodad &&
	ip -n "$PMTU_R" addr add 10.0.10.2/24 dev veth-rs &&
	ip -n "$PMTU_R" addr add fd0a::2/64 dev veth-rs nodad &&
	ip -n "$PMTU_S" addr add 10.0.10.1/24 dev veth-s &&
	ip -n "$PMTU_S" addr add fd0a::1/64 dev veth-s nodad &&
	ip -n "$PMTU_C" link set veth-c up && ip -n "$PMTU_R" link set veth-rc up &&
	ip -n "$PMTU_R" link set veth-rs up && ip -n "$PMTU_S" link set veth-s up &&
	ip -n "$PMTU_C" route add default via 10.0.9.2 &&
	ip -n "$PMTU_C" -6 route add default via fd09::2 &&
	ip -n "$PMTU_S" route add default via 10.0.10.2 &&
	ip -n "$PMTU_S" -6 route add default via fd0a::2 &&
	ip netns exec "$PMTU_R" sysctl -wq net.ipv4.ip_forward=1 &&
	ip netns exec "$PMTU_R" sysctl -wq net.ipv6.conf.all.forwarding=1
}
# Without it, pmtu_packet_too_big fails (QUIC_PMTU_NS unset).
pmtu_setup && export QUIC_PMTU_NS="$PMTU_C $PMTU_S"

# pmtu_probe_jumbo: two namespaces on one link of MTU 9000, which segments
# GSO trains (gso_max_segs 1) so that its counters count datagrams;
# ecn_netem_ce puts netem on it for its run.
jumbo_setup()
{
	setup_ns JUMBO_C JUMBO_S &&
	ip -n "$JUMBO_C" link add veth-jc mtu 9000 gso_max_segs 1 type veth \
		peer name veth-js mtu 9000 gso_max_segs 1 netns "$JUMBO_S" &&
	ip -n "$JUMBO_C" addr add 10.0.13.1/24 dev veth-jc &&
	ip -n "$JUMBO_C" addr add fd0d::1/64 dev veth-jc nodad &&
	ip -n "$JUMBO_S" addr add 10.0.13.2/24 dev veth-js &&
	ip -n "$JUMBO_S" addr add fd0d::2/64 dev veth-js nodad &&
	ip -n "$JUMBO_C" link set veth-jc up && ip -n "$JUMBO_S" link set veth-js up
}
# Without it, the tests above fail (QUIC_JUMBO_NS unset).
jumbo_setup && export QUIC_JUMBO_NS="$JUMBO_C $JUMBO_S"

# promote_secondaries: the router's second address survives the removal
# of its first one, as nat_rebinding_nftables moves it.
nat_setup()
{
	setup_ns NAT_C NAT_R NAT_S &&
	ip -n "$NAT_C" link add veth-c type veth peer name veth-rc netns "$NAT_R" &&
	ip -n "$NAT_R" link add veth-rs type veth peer name veth-s netns "$NAT_S" &&
	ip -n "$NAT_C" addr add 10.0.11.1/24 dev veth-c &&
	ip -n "$NAT_R" addr add 10.0.11.2/24 dev veth-rc &&
	ip -n "$NAT_R" addr add 10.0.12.2/24 dev veth-rs &&
	ip -n "$NAT_S" addr add 10.0.12.1/24 dev veth-s &&
	ip -n "$NAT_C" link set veth-c up && ip -n "$NAT_R" link set veth-rc up &&
	ip -n "$NAT_R" link set veth-rs up && ip -n "$NAT_S" link set veth-s up &&
	ip -n "$NAT_C" route add default via 10.0.11.2 &&
	ip netns exec "$NAT_R" sysctl -wq net.ipv4.ip_forward=1 &&
	ip netns exec "$NAT_R" sysctl -wq net.ipv4.conf.veth-rs.promote_secondaries=1 &&
	ip netns exec "$NAT_R" nft -f - <<-EOF
	table ip quic_nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "veth-rs" masquerade fully-random
		}
	}
	EOF
}
# Without it (or without nft), nat_rebinding_nftables fails (QUIC_NAT_NS
# unset).
nat_setup && export QUIC_NAT_NS="$NAT_C $NAT_R $NAT_S"

# net.quic.max_orphans is global and lives in the initial namespace only:
# orphans_limited gets it as descriptor 3.
exec 3<>/proc/sys/net/quic/max_orphans || exit 1
# The debug kernel (kmemleak, KASAN) is ten times slower: the path tests
# move an eighth of their data there.
[ -e /sys/kernel/debug/kmemleak ] && export QUIC_TRANSPORT_SCALE=8
ip netns exec "$NS" "$(dirname "$0")/quic_transport"
