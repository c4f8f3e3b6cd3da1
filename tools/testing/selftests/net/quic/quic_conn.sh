#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QUIC end-to-end tests (quic_conn) between a client and a server network
# namespace joined by a veth pair:
#
#   client ns: veth-c 10.0.1.1/24 fd00::1/64 <---> veth-s 10.0.1.2/24 fd00::2/64 :server ns
#
# All tests but transfer_1m_lossy, close_after_write and transfer_paced run
# on the clean link first; then netem adds loss, reordering, duplication and
# delay on both ends and transfer_1m_lossy and close_after_write run; then,
# with a 50 ms delay only, transfer_paced.  Without tc or netem those three
# fail.  On a kernel with kmemleak (the debug guest, ten times slower)
# transfer_64m moves 16 MiB: 64 would take three and a half minutes there.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
prog=$here/quic_conn
netem="loss 5% reorder 10% 50% duplicate 1% delay 5ms"
tmpdir=""

cleanup()
{
	cleanup_all_ns
	[ -n "$tmpdir" ] && rm -rf "$tmpdir"
}

die()
{
	echo "# $*"
	exit "$ksft_fail"
}

# No tentative (or failed) IPv6 address left on the device.
ipv6_ready()
{
	local ns=$1 dev=$2

	[ -z "$(ip -n "$ns" -6 addr show dev "$dev" tentative)" ] &&
		[ -z "$(ip -n "$ns" -6 addr show dev "$dev" dadfailed)" ]
}

setup_link()
{
	ip -n "$CLIENT_NS" link add veth-c type veth peer name veth-s netns "$SERVER_NS" &&
	ip -n "$CLIENT_NS" addr add 10.0.1.1/24 dev veth-c &&
	ip -n "$CLIENT_NS" addr add fd00::1/64 dev veth-c nodad &&
	ip -n "$SERVER_NS" addr add 10.0.1.2/24 dev veth-s &&
	ip -n "$SERVER_NS" addr add fd00::2/64 dev veth-s nodad &&
	ip -n "$CLIENT_NS" link set veth-c up &&
	ip -n "$SERVER_NS" link set veth-s up || return 1

	slowwait 10 ipv6_ready "$CLIENT_NS" veth-c &&
	slowwait 10 ipv6_ready "$SERVER_NS" veth-s || return 1
	if command -v ping > /dev/null; then
		slowwait 10 ip netns exec "$CLIENT_NS" ping -c 1 -W 1 10.0.1.2 > /dev/null &&
		slowwait 10 ip netns exec "$CLIENT_NS" ping -6 -c 1 -W 1 fd00::2 > /dev/null ||
			return 1
	fi
}

# PSK file: one line "identity:hexkey".
make_psk()
{
	local key

	key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') && [ ${#key} -eq 64 ] &&
		echo "quic-selftest:$key" > "$tmpdir/psk"
}

# A CA and a server certificate for server.quic.test, signed by it.
make_x509()
{
	local d=$tmpdir

	command -v openssl > /dev/null || return 1
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
			-subj "/CN=QUIC selftest CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$d/server.key" -out "$d/server.csr" \
			-subj "/CN=server.quic.test" &&
		printf '%s\n' "subjectAltName=DNS:server.quic.test" \
			"basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" > "$d/server.ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
			-CAkey "$d/ca.key" -CAcreateserial -days 2 \
			-extfile "$d/server.ext" -out "$d/server.pem"
	} > /dev/null 2>&1
}

netem_on()
{
	command -v tc > /dev/null || { echo "# tc not found"; return 1; }
	# shellcheck disable=SC2086 # $netem is a list of arguments
	ip netns exec "$CLIENT_NS" tc qdisc replace dev veth-c root netem $netem &&
	ip netns exec "$SERVER_NS" tc qdisc replace dev veth-s root netem $netem
}

# Runs the tests named as arguments with netem set to $netem.
run_netem()
{
	local t sel=() i=0

	for t in "$@"; do
		sel+=(-t "$t")
	done
	if netem_on; then
		ip netns exec "$CLIENT_NS" "$prog" "${args[@]}" "${sel[@]}" || ret=$ksft_fail
	else
		echo "TAP version 13"
		echo "1..$#"
		for t in "$@"; do
			i=$((i + 1))
			echo "not ok $i quic_conn.$t # cannot add the netem qdisc"
		done
		ret=$ksft_fail
	fi
}

trap cleanup EXIT

[ -x "$prog" ] || die "$prog not built"
setup_ns CLIENT_NS SERVER_NS || die "cannot create the network namespaces"
setup_link || die "cannot set up the veth pair between the namespaces"
tmpdir=$(mktemp -d) || die "mktemp failed"
make_psk || die "cannot write the PSK file"

netns_path=/run/netns/$SERVER_NS
[ -e "$netns_path" ] || netns_path=/var/run/netns/$SERVER_NS
args=(--server-netns "$netns_path" --psk "$tmpdir/psk")
if make_x509; then
	args+=(--key "$tmpdir/server.key" --cert "$tmpdir/server.pem" --ca "$tmpdir/ca.pem")
else
	echo "# cannot make X.509 certificates with openssl: handshake_x509 will fail"
fi

ret=0
[ -e /sys/kernel/debug/kmemleak ] && export QUIC_CONN_SCALE=${QUIC_CONN_SCALE:-4}
ip netns exec "$CLIENT_NS" "$prog" "${args[@]}" -T transfer_1m_lossy \
	-T close_after_write -T transfer_paced || ret=$ksft_fail

run_netem transfer_1m_lossy close_after_write
netem="delay 50ms"
run_netem transfer_paced

exit "$ret"
