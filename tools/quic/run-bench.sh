#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-bench.sh [--quick]: the quic_bulk benchmark matrix in one guest boot.
#
# Two network namespaces joined by a veth pair (not loopback), the server
# in one, the client in the other; for MTU 1500 and 9000 on both ends:
#   bulk	tcp, ktls, quic, quic-noenc x writes of 1, 4, 16, 64 KiB
#   rr		1:1 and 4096:65536 request/response, tcp, ktls, quic
#   conns	4 connections at once against 1, quic and tcp, 64 KiB writes
#   handshake	sequential PSK handshakes, quic, ktls (and tcp: connect only)
# Every cell is the median of 3 runs (1 with --quick), default cipher
# (aes128gcm).  Each run's result line is printed as it comes, then a
# markdown report with the ratios next to the original implementation's
# cover-letter figures.  A failed run makes its cell FAIL and the exit
# status 1 (its stderr is printed); a protocol whose first bulk cell failed
# at an MTU is not run again at that MTU.
#
# Runs as root (netns and veth setup) in the test guest.  QUIC_BULK names
# the binary (default: quic_bulk next to this script); QUIC_BENCH_COMMIT
# the kernel commit for the report's header.  --quick (or QUIC_BENCH_QUICK=1)
# uses small sizes and one run per cell, for a fast check.

bin=${QUIC_BULK:-$(dirname "$0")/quic_bulk}
quick=${QUIC_BENCH_QUICK:-0}
case ${1:-} in
--quick)	quick=1 ;;
"")		;;
*)		echo "usage: run-bench.sh [--quick]" >&2; exit 1 ;;
esac

if [ ! -x "$bin" ]; then
	echo "run-bench: $bin not found: build it with make -C tools/quic" >&2
	exit 1
fi

# Sizes per bulk run: TCG guests move ~20-40 MB/s encrypted and ~200 MB/s
# over TCP; small writes cost a system call (and for QUIC a packet) each,
# so they get less data.  The full matrix stays around 15 minutes.
if [ "$quick" = 1 ]; then
	runs=1
	declare -A size=([1K]=1M [4K]=2M [16K]=4M [64K]=4M)
	conn_size=4M	# per connection, 64 KiB writes
	rr_time=1
	hs_count=10
else
	runs=3
	declare -A size=([1K]=8M [4K]=16M [16K]=32M [64K]=32M)
	conn_size=16M
	rr_time=3
	hs_count=50
fi
writes="1K 4K 16K 64K"
mtus="1500 9000"

ns_srv=qbench-srv
ns_cli=qbench-cli
addr_srv=10.199.0.1
addr_cli=10.199.0.2

cleanup() {
	ip netns del "$ns_srv" 2> /dev/null
	ip netns del "$ns_cli" 2> /dev/null
}

setup_net() {
	cleanup
	ip netns add "$ns_srv" &&
	ip netns add "$ns_cli" &&
	ip -n "$ns_cli" link add veth-c type veth peer name veth-s netns "$ns_srv" &&
	ip -n "$ns_srv" link set lo up &&
	ip -n "$ns_cli" link set lo up &&
	ip -n "$ns_srv" addr add "$addr_srv/24" dev veth-s &&
	ip -n "$ns_cli" addr add "$addr_cli/24" dev veth-c &&
	ip -n "$ns_srv" link set veth-s up &&
	ip -n "$ns_cli" link set veth-c up
}

set_mtu() {
	ip -n "$ns_srv" link set veth-s mtu "$1" &&
	ip -n "$ns_cli" link set veth-c mtu "$1"
}

trap cleanup EXIT
if ! setup_net; then
	echo "run-bench: cannot set up the namespaces and the veth pair" >&2
	exit 1
fi

# Results, "MTU/kind/proto/param" -> median, FAIL or skip.
declare -A res
declare -A broken
noenc_seen=
rc=0
errf=$(mktemp "${TMPDIR:-/tmp}/run-bench.XXXXXX") || exit 1
trap 'rm -f "$errf"; cleanup' EXIT

field() {
	echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# a / b with 2 decimals, or n/a when either is not a number
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a";
		else printf "%.2f\n", a / b }'
}

# cell KEY FIELD ARGS...: $runs runs of quic_bulk ARGS between the
# namespaces; the median of FIELD goes to res[KEY].
cell() {
	local key=$1 fld=$2 vals=() line i
	shift 2
	for ((i = 0; i < runs; i++)); do
		if line=$(timeout 300 "$bin" --server-netns "$ns_srv" --client-netns "$ns_cli" \
			--addr "$addr_srv" "$@" 2> "$errf"); then
			echo "$line"
			vals+=("$(field "$line" "$fld")")
			case $line in
			*proto=quic-noenc*)
				noenc_seen="$noenc_seen $(field "$line" peer_noenc)" ;;
			esac
		else
			echo "run-bench: FAIL ($key, exit $?): quic_bulk $*" >&2
			sed 's/^/run-bench:   /' "$errf" >&2
			res[$key]=FAIL
			rc=1
			return 1
		fi
	done
	res[$key]=$(median "${vals[@]}")
}

start=$(date +%s)
for mtu in $mtus; do
	if ! set_mtu "$mtu"; then
		echo "run-bench: cannot set MTU $mtu" >&2
		exit 1
	fi
	echo "# MTU $mtu"
	for proto in tcp ktls quic quic-noenc; do
		for w in $writes; do
			if [ -n "${broken[$mtu/$proto]}" ]; then
				res[$mtu/bulk/$proto/$w]=skip
				continue
			fi
			cell "$mtu/bulk/$proto/$w" MBps --proto "$proto" --write "$w" \
				--size "${size[$w]}" || broken[$mtu/$proto]=1
		done
	done
	for rr in 1:1 4096:65536; do
		for proto in tcp ktls quic; do
			cell "$mtu/rr/$proto/$rr" tps --proto "$proto" --rr "$rr" --time "$rr_time"
		done
	done
	for proto in tcp quic; do
		for n in 1 4; do
			cell "$mtu/conns/$proto/$n" MBps --proto "$proto" --conns "$n" \
				--size "$conn_size"
		done
	done
	for proto in tcp ktls quic; do
		cell "$mtu/hs/$proto" hps --proto "$proto" --handshakes "$hs_count"
	done
done
secs=$(($(date +%s) - start))

r() {
	echo "${res[$1]:-n/a}"
}

commit=${QUIC_BENCH_COMMIT:-$(git -C "$(dirname "$0")" rev-parse --short HEAD 2> /dev/null)}
echo
echo "## quic_bulk matrix, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)," \
	"commit ${commit:-unknown}"
echo
echo "veth between two netns, aes128gcm, median of $runs run(s) per cell;" \
	"bulk sizes: 1K writes ${size[1K]}, 4K ${size[4K]}, 16K ${size[16K]}," \
	"64K ${size[64K]}; conns: $conn_size per connection; rr: ${rr_time} s;" \
	"handshakes: $hs_count; matrix time ${secs} s"
echo
echo "### Bulk throughput, MB/s"
echo
echo "| MTU | write | tcp | ktls | quic | quic-noenc | quic/ktls | quic-noenc/tcp |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for mtu in $mtus; do
	for w in $writes; do
		k=$mtu/bulk
		echo "| $mtu | $w | $(r "$k/tcp/$w") | $(r "$k/ktls/$w") | $(r "$k/quic/$w")" \
			"| $(r "$k/quic-noenc/$w")" \
			"| $(ratio "$(r "$k/quic/$w")" "$(r "$k/ktls/$w")")" \
			"| $(ratio "$(r "$k/quic-noenc/$w")" "$(r "$k/tcp/$w")") |"
	done
done
echo
echo "quic-noenc: peer_noenc= of its runs (1: the peer's disable_1rtt_encryption" \
	"reached the client):${noenc_seen:- none}"
# Encrypted QUIC must not pass for unencrypted: every run negotiated it.
case " $noenc_seen " in
*" 0 "* | *" -1 "* | "  ")
	echo "run-bench: FAIL: quic-noenc ran without disable_1rtt_encryption" >&2
	rc=1 ;;
esac
echo
echo "### Request/response, transactions/s"
echo
echo "| MTU | REQ:RESP | tcp | ktls | quic | quic/ktls | quic/tcp |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for mtu in $mtus; do
	for rr in 1:1 4096:65536; do
		k=$mtu/rr
		echo "| $mtu | $rr | $(r "$k/tcp/$rr") | $(r "$k/ktls/$rr") | $(r "$k/quic/$rr")" \
			"| $(ratio "$(r "$k/quic/$rr")" "$(r "$k/ktls/$rr")")" \
			"| $(ratio "$(r "$k/quic/$rr")" "$(r "$k/tcp/$rr")") |"
	done
done
echo
echo "### Parallel connections, 64 KiB writes, aggregate MB/s"
echo
echo "| MTU | proto | 1 conn | 4 conns | 4-conn/1-conn |"
echo "| --- | --- | --- | --- | --- |"
for mtu in $mtus; do
	for proto in quic tcp; do
		k=$mtu/conns/$proto
		echo "| $mtu | $proto | $(r "$k/1") | $(r "$k/4") |" \
			"$(ratio "$(r "$k/4")" "$(r "$k/1")") |"
	done
done
echo
echo "### Handshakes (PSK, connect + handshake + 1 byte each way + close), per second"
echo
echo "| MTU | tcp (no TLS) | ktls | quic | quic/ktls |"
echo "| --- | --- | --- | --- | --- |"
for mtu in $mtus; do
	k=$mtu/hs
	echo "| $mtu | $(r "$k/tcp") | $(r "$k/ktls") | $(r "$k/quic") |" \
		"$(ratio "$(r "$k/quic")" "$(r "$k/ktls")") |"
done
echo
echo "### Ratios against the original implementation's cover letter"
echo
echo "| ratio | MTU 1500 | MTU 9000 | cover letter |"
echo "| --- | --- | --- | --- |"
# row LABEL COVER A B: res[MTU/A] / res[MTU/B] at both MTUs, then COVER
row() {
	echo "| $1 | $(ratio "$(r "1500/$3")" "$(r "1500/$4")")" \
		"| $(ratio "$(r "9000/$3")" "$(r "9000/$4")") | $2 |"
}
row "bulk QUIC/kTLS, 64 KiB writes" \
	"0.32 at MTU 1500 (3.48 vs 10.8 Gbit/s), 0.70 at MTU 9000" bulk/quic/64K bulk/ktls/64K
row "bulk unencrypted QUIC/TCP, 64 KiB writes" 0.22 bulk/quic-noenc/64K bulk/tcp/64K
row "rr 1:1 QUIC/kTLS" - rr/quic/1:1 rr/ktls/1:1
row "rr 4096:65536 QUIC/kTLS" - rr/quic/4096:65536 rr/ktls/4096:65536
row "QUIC 4-conn/1-conn" - conns/quic/4 conns/quic/1
row "TCP 4-conn/1-conn" - conns/tcp/4 conns/tcp/1
row "handshakes QUIC/kTLS" - hs/quic hs/ktls
echo
echo "The cover letter measured bare metal; this guest is TCG (2 vCPUs, no KVM):" \
	"only ratios compare."
exit $rc
