#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QUIC interop runner scenarios between IPPROTO_QUIC (tools/quic/quic_h3)
# and foreign stacks, in both roles, run as root in a guest with this
# kernel:
#
#   interop-matrix.sh [BINDIR [WORKDIR]]
#
# BINDIR holds quic_h3 (default: this script's directory); WORKDIR takes
# the temporary files (default: a new directory under $TMPDIR or /tmp).
# Client and server run in network namespaces of their own over a veth
# pair (client 10.0.8.1 fd00:8::1 <-> server 10.0.8.2 fd00:8::2).
#
# Stacks (MATRIX_STACKS, default "ngtcp2 aioquic"):
#   ngtcp2	gtlsclient/gtlsserver (GTLSCLIENT, GTLSSERVER override the paths)
#   aioquic	the command prefix in AIOQUIC_PEER, which runs
#		tools/quic/aioquic_peer.py with quic_h3's command line (a
#		chroot wrapper, say); unset: its cells are not run (-)
# Cells are STACK-ROLE-SCENARIO; ROLE is our side's: "client" is our
# client against the stack's server, "server" the stack's client against
# our server.  MATRIX_CASES runs only the cells matching one of its
# (glob) patterns: "ngtcp2-server-zerortt", "*-retry", "aioquic-client-*".
# Scenarios, after the QUIC interop runner (aioquic, at about 1 MB/s in a
# TCG guest, gets the runner's own sizes where ours are larger: [aioquic:]):
#   handshake		one connection, a 1 KiB file
#   transfer		a 10 MiB file (byte for byte, as every file)
#   http3		a 10 MiB file [aioquic: 5 KiB, 10 KiB and 500 KiB in
#			one connection]
#   retry		the server sends Retry: QuicRetrySent (our server) or
#			QuicRetryReceived (our client) grows in our netns
#   resumption		two connections; the second says resumed=yes on our side
#   zerortt		two connections; the second says 0rtt=yes on our side
#   multiplexing	50 files of 16 KiB in one connection
#   keyupdate		our client starts a key update half-way through 5 MiB
#			[aioquic: 3 MiB]; as server, the foreign client starts
#			it (gtlsclient --key-update) and our server must see
#			the new phase
#   chacha20		ChaCha20-Poly1305 only
#   v2			QUIC v2 from the start: our side's conn line says v2
#   handshakeloss	netem loss 30% both ways, 10 connections of 1 KiB each
#   transferloss	netem loss 2%, 2 MiB
#   handshakecorruption	netem corrupt 30%, 10 connections of 1 KiB each
#   transfercorruption	netem corrupt 2%, 2 MiB
#   blackhole		everything dropped for 2 s during a 5 MiB transfer
#			[aioquic: 2 MiB] over 5 Mbit/s; between a tenth
#			and all of the file must have reached the client's
#			veth when the drop was in place
#   amplificationlimit	a server certificate chain of 9 certificates, 1 KiB
#   ipv6		2 MiB over IPv6 [aioquic: 5 KiB and 10 KiB]
#   ecn			2 MiB [aioquic: 500 KiB]; our side marks its 1-RTT
#			packets ECT(0): against ngtcp2, which reports them
#			in ACK_ECN frames and marks its own, QuicEcnValidated
#			and QuicEcnEctReceived grow in our netns, not
#			QuicEcnFailed; aioquic reports no ECN counts, so
#			QuicEcnFailed grows there (we stop marking)
# Output: "ok CELL" or "not ok CELL: reason" per cell (with its time), a
# Markdown matrix at the end; exit 1 if a cell failed.  A selected cell
# that cannot run (no such stack, no netem) is "- CELL # not run: why", or
# with MATRIX_SKIP=fail "not ok CELL: not run: why" (a CI must not pass
# on cells it never ran).  MATRIX_VERBOSE=1
# (or a glob matching cells) runs the ngtcp2 programs without -q.  Logs stay in WORKDIR/CELL.*.log;
# the tail of each is shown for a failed cell.

# The cells' functions are called through names made at run time.
# shellcheck disable=SC2317

set -u

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
bindir=${1:-$here}
h3=$bindir/quic_h3
work=${2:-}
GTLSSERVER=${GTLSSERVER:-$(command -v gtlsserver || echo /usr/sbin/gtlsserver)}
GTLSCLIENT=${GTLSCLIENT:-$(command -v gtlsclient || echo /usr/bin/gtlsclient)}
STACKS=${MATRIX_STACKS:-ngtcp2 aioquic}
TMO=90				# seconds for any one client run
TMO_SMALL=45			# for one of 1 KiB
SCENARIOS="handshake transfer retry resumption zerortt http3 multiplexing keyupdate chacha20 v2
handshakeloss transferloss handshakecorruption transfercorruption blackhole amplificationlimit
ipv6 ecn"

sns=mxsrv-$$
cns=mxcli-$$
saddr=10.0.8.2
saddr6=fd00:8::2
port=4500
failed=0
created_work=
netem_why=
declare -A result took

# shellcheck disable=SC2317 # run by the trap
cleanup()
{
	local p

	for p in $(jobs -p); do
		kill "$p" 2> /dev/null
	done
	wait 2> /dev/null
	ip netns del "$sns" 2> /dev/null
	ip netns del "$cns" 2> /dev/null
	[ -n "$created_work" ] && rm -rf "$created_work"
}
trap cleanup EXIT

die()
{
	echo "not ok setup: $*"
	exit 1
}

setup_net()
{
	ip netns add "$sns" && ip netns add "$cns" &&
	ip -n "$sns" link set lo up && ip -n "$cns" link set lo up &&
	ip -n "$cns" link add veth-c type veth peer name veth-s netns "$sns" &&
	ip -n "$cns" addr add 10.0.8.1/24 dev veth-c &&
	ip -n "$cns" addr add fd00:8::1/64 dev veth-c nodad &&
	ip -n "$sns" addr add 10.0.8.2/24 dev veth-s &&
	ip -n "$sns" addr add fd00:8::2/64 dev veth-s nodad &&
	ip -n "$cns" link set veth-c up && ip -n "$sns" link set veth-s up
}

# netem on both ends of the veth ("loss 30%", "corrupt 2%"), or none.
netem()
{
	ip netns exec "$cns" tc qdisc del dev veth-c root 2> /dev/null
	ip netns exec "$sns" tc qdisc del dev veth-s root 2> /dev/null
	[ $# -eq 0 ] && return 0
	# shellcheck disable=SC2068 # "loss 30%" is two words for tc
	ip netns exec "$cns" tc qdisc add dev veth-c root netem $@ &&
	ip netns exec "$sns" tc qdisc add dev veth-s root netem $@
}

netem_check()
{
	local out

	if ! out=$(ip netns exec "$cns" tc qdisc add dev lo root netem loss 1% 2>&1); then
		netem_why="no netem in this kernel: ${out:0:80}"
		return
	fi
	ip netns exec "$cns" tc qdisc del dev lo root
}

counter()
{
	# shellcheck disable=SC2016 # awk's own $1 and $2
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/quic/snmp 2> /dev/null
}

# Up to TRIES tenths of a second (Python's start under TCG takes ~10 s),
# less if the server (PID) died.
wait_udp()
{
	local ns=$1 port=$2 tries=${3:-100} pid=${4:-}

	for _ in $(seq "$tries"); do
		ip netns exec "$ns" ss -Hlun "sport = :$port" 2> /dev/null | grep -q . && return 0
		[ -n "$pid" ] && ! kill -0 "$pid" 2> /dev/null && return 1
		sleep 0.1
	done
	return 1
}

prio()
{
	local c=+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM

	[ "$1" = chacha20 ] && c=+CHACHA20-POLY1305
	echo "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:$c"
}

# ---- files and certificates ----

make_files()
{
	local i

	mkdir -p "$www" || return 1
	head -c $((10 * 1024 * 1024)) /dev/urandom > "$www/data10m.bin" &&
	head -c $((5 * 1024 * 1024)) "$www/data10m.bin" > "$www/data5m.bin" &&
	head -c $((2 * 1024 * 1024)) "$www/data10m.bin" > "$www/data2m.bin" &&
	head -c $((3 * 1024 * 1024)) "$www/data10m.bin" > "$www/data3m.bin" &&
	head -c 1024 /dev/urandom > "$www/small.bin" || return 1
	for i in 5 10 500; do
		head -c $((i * 1024)) /dev/urandom > "$www/h${i}k.bin" || return 1
	done
	for i in $(seq -w 1 50); do
		head -c 16384 /dev/urandom > "$www/m$i.bin" || return 1
	done
}

# A self-signed CA and a leaf for "localhost" and the server addresses;
# for amplificationlimit, the leaf under 8 intermediates: 9 certificates.
make_certs()
{
	local d=$work/pki i prev=ca san

	san="subjectAltName=DNS:localhost,IP:$saddr,IP:$saddr6"
	mkdir -p "$d" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=matrix-ca \
		-addext basicConstraints=critical,CA:TRUE > /dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$work/key.pem" -out "$d/leaf.csr" -subj /CN=localhost \
		> /dev/null 2>&1 &&
	printf '%s\n' "$san" > "$d/leaf.ext" &&
	openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/leaf.ext" -out "$work/cert.pem" \
		> /dev/null 2>&1 || return 1
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' > "$d/ica.ext"
	: > "$d/chain-ica.pem"
	for i in 1 2 3 4 5 6 7 8; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/i$i.key" -out "$d/i$i.csr" -subj "/CN=matrix-ica-$i" \
			> /dev/null 2>&1 &&
		openssl x509 -req -in "$d/i$i.csr" -CA "$d/$prev.pem" -CAkey "$d/$prev.key" \
			-CAcreateserial -days 2 -extfile "$d/ica.ext" -out "$d/i$i.pem" \
			> /dev/null 2>&1 || return 1
		cat "$d/i$i.pem" "$d/chain-ica.pem" > "$d/tmp.pem" && mv "$d/tmp.pem" "$d/chain-ica.pem"
		prev=i$i
	done
	openssl x509 -req -in "$d/leaf.csr" -CA "$d/i8.pem" -CAkey "$d/i8.key" \
		-CAcreateserial -days 2 -extfile "$d/leaf.ext" -out "$d/leaf-long.pem" \
		> /dev/null 2>&1 &&
	cat "$d/leaf-long.pem" "$d/chain-ica.pem" > "$work/chain9.pem" &&
	cp "$d/ca.pem" "$work/ca.pem" &&
	[ "$(grep -c 'BEGIN CERTIFICATE' "$work/chain9.pem")" -eq 9 ]
}

# ---- the two sides of a cell ----
#
# Settings of a cell (set by the scenario before srv_start/cli_run):
#   o_cipher o_retry o_v2 o_v6 o_chain o_session o_zerortt o_keyupdate

reset_opts()
{
	o_cipher='' o_retry='' o_v2='' o_v6='' o_chain='' o_session='' o_zerortt=''
	o_keyupdate='' o_count=1
}

srv_addr()
{
	if [ -n "$o_v6" ]; then echo "$saddr6"; else echo "$saddr"; fi
}

# The server of the cell: ours (or aioquic, same command line) or gtlsserver.
srv_start()
{
	local addr cert=$work/cert.pem a=() tries

	addr=$(srv_addr)
	port=$((port + 1))
	[ -n "$o_chain" ] && cert=$work/chain9.pem
	srv_log=$work/$cell.server.log
	if [ "$srv_kind" = ngtcp2 ]; then
		[ -n "$o_retry" ] && a+=(-V)
		[ -n "$o_cipher" ] && a+=("--ciphers=$(prio "$o_cipher")")
		ip netns exec "$sns" timeout 600 "$GTLSSERVER" "${quiet[@]}" "${a[@]}" \
			-d "$www" "$addr" "$port" "$work/key.pem" "$cert" > "$srv_log" 2>&1 &
	else
		[ -n "$o_v6" ] && a+=(-6)
		[ -n "$o_retry" ] && a+=(--retry)
		[ -n "$o_cipher" ] && a+=(--cipher "$o_cipher")
		# Our server takes the client's version: its conn line tells.
		[ -n "$o_v2" ] && [ "$srv_kind" != ours ] && a+=(--version 2)
		ip netns exec "$sns" timeout 600 "${srv_cmd[@]}" server "${a[@]}" \
			--cert "$cert" --key "$work/key.pem" --count "$o_count" \
			"$addr" "$port" "$www" > "$srv_log" 2>&1 &
	fi
	srv_pid=$!
	tries=100
	[ "$srv_kind" = aioquic ] && tries=300
	wait_udp "$sns" "$port" "$tries" "$srv_pid" && return 0
	why="the $srv_kind server did not listen on port $port"
	return 1
}

# Ends the server: ours must have exited 0 after its --count connections.
# A foreign server's status proves nothing about our client (the files and
# our conn line do): it is stopped at once, not waited for while it drains
# or idles out a connection whose CONNECTION_CLOSE was lost.
srv_stop()
{
	local rc

	if [ "$srv_kind" != ours ]; then
		kill "$srv_pid" 2> /dev/null
		wait "$srv_pid" 2> /dev/null
		return 0
	fi
	timeout 40 tail --pid="$srv_pid" -f /dev/null
	if kill -0 "$srv_pid" 2> /dev/null; then
		kill "$srv_pid" 2> /dev/null
		wait "$srv_pid" 2> /dev/null
		why="our server did not exit after its connections"
		return 1
	fi
	wait "$srv_pid"
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	why="our server failed (exit $rc): $(grep -v '^conn ' "$srv_log" | tail -n 1)"
	return 1
}

# The client failed: that is the reason, whatever the server says.
stop_after_failure()
{
	local w=$why

	srv_stop
	why=$w
}

# One client connection fetching PATHs into directory $dl; run number $1.
cli_run()
{
	local n=$1 addr host url=() a=() p rc tmo

	shift
	addr=$(srv_addr)
	host=$addr
	[ -n "$o_v6" ] && host="[$addr]"
	cli_log=$work/$cell.client$n.log
	tmo=$TMO
	[ "$*" = /small.bin ] && tmo=$TMO_SMALL
	mkdir -p "$dl"
	if [ "$cli_kind" = ngtcp2 ]; then
		[ -n "$o_cipher" ] && a+=("--ciphers=$(prio "$o_cipher")")
		[ -n "$o_v2" ] && a+=(-v v2)
		[ -n "$o_session" ] && a+=("--session-file=$o_session" --wait-for-ticket)
		[ -n "$o_session" ] && [ -z "$o_zerortt" ] && a+=(--disable-early-data)
		[ -n "$o_zerortt" ] && a+=("--tp-file=$o_session.tp")
		[ -n "$o_keyupdate" ] && a+=(--key-update=300ms)
		# A lost CONNECTION_CLOSE then holds our server 10 s, not 30.
		a+=(--timeout=10s)
		for p in "$@"; do
			url+=("https://$host:$port$p")
		done
		ip netns exec "$cns" timeout "$tmo" "$GTLSCLIENT" "${quiet[@]}" "${a[@]}" \
			--exit-on-all-streams-close --download "$dl" "$addr" "$port" \
			"${url[@]}" > "$cli_log" 2>&1
		rc=$?
	else
		[ -n "$o_v6" ] && a+=(-6)
		[ -n "$o_cipher" ] && a+=(--cipher "$o_cipher")
		[ -n "$o_v2" ] && a+=(--version 2)
		[ -n "$o_session" ] && a+=(--session-file "$o_session")
		[ -n "$o_zerortt" ] && [ "$n" -gt 1 ] && a+=(--zerortt)
		[ -n "$o_keyupdate" ] && a+=(--key-update)
		p=$dl
		[ $# -eq 1 ] && p=$dl/$(basename "$1")
		ip netns exec "$cns" timeout "$tmo" "${cli_cmd[@]}" client "${a[@]}" \
			--cafile "$work/ca.pem" --sni localhost -o "$p" "$addr" "$port" "$@" \
			> "$cli_log" 2>&1
		rc=$?
	fi
	[ "$rc" -eq 0 ] && return 0
	if [ "$rc" -eq 124 ]; then
		why="$cli_kind client run $n timed out after $tmo s"
	else
		why="$cli_kind client run $n failed (exit $rc): $(grep -v '^conn ' "$cli_log" |
			tail -n 1 | cut -c1-160)"
	fi
	return 1
}

# The files of PATHs in $dl are those of $www.
check_files()
{
	local p f

	for p in "$@"; do
		f=$dl/$(basename "$p")
		[ -f "$f" ] || { why="$(basename "$p") was not downloaded"; return 1; }
		cmp -s "$f" "$www/$p" ||
			{ why="$(basename "$p"): $(stat -c %s "$f") bytes, differs from the served file"
			  return 1; }
	done
	rm -rf "$dl"
}

# Our side's log, and its Nth "conn" line.
our_log()
{
	if [ "$role" = client ]; then echo "$work/$cell.client$1.log"; else echo "$srv_log"; fi
}

conn_line()
{
	grep '^conn ' "$(our_log "$1")" 2> /dev/null | sed -n "${2:-1}p"
}

# One server, $1 client connections each fetching the rest: all must work.
fetch()
{
	local runs=$1 i

	shift
	o_count=$runs
	srv_start || return 1
	for i in $(seq "$runs"); do
		cli_run "$i" "$@" || break
		check_files "$@" || break
		why=
	done
	if [ -n "$why" ]; then
		stop_after_failure
		return 1
	fi
	srv_stop
}

# ---- scenarios: each sets $why on failure ----

sc_handshake()
{
	fetch 1 /small.bin
}

sc_transfer()
{
	fetch 1 /data10m.bin
}

# A Python stack moves about 1 MB/s under TCG, a hundredth of ngtcp2's
# rate: aioquic gets the interop runner's sizes where ours are larger.
sc_http3()
{
	if [ "$stack" = aioquic ]; then
		fetch 1 /h5k.bin /h10k.bin /h500k.bin
	else
		fetch 1 /data10m.bin
	fi
}

sc_ipv6()
{
	o_v6=1
	if [ "$stack" = aioquic ]; then
		fetch 1 /h5k.bin /h10k.bin
	else
		fetch 1 /data2m.bin
	fi
}

sc_retry()
{
	local ns=$sns key=QuicRetrySent r0 r1

	[ "$role" = client ] && ns=$cns key=QuicRetryReceived
	o_retry=1
	r0=$(counter "$ns" "$key")
	fetch 1 /small.bin || return 1
	r1=$(counter "$ns" "$key")
	[ "${r1:-0}" -gt "${r0:-0}" ] && return 0
	why="no Retry: $key $r0 -> $r1 in our netns"
	return 1
}

sc_chacha20()
{
	local c

	o_cipher=chacha20
	fetch 1 /small.bin || return 1
	c=$(conn_line 1)
	[[ $c == "conn "*" chacha20 "* ]] && return 0
	why="our conn line: '$c', want chacha20"
	return 1
}

sc_v2()
{
	local c

	o_v2=1
	fetch 1 /small.bin || return 1
	c=$(conn_line 1)
	[[ $c == "conn v2 "* ]] && return 0
	why="our conn line: '$c', want v2 (QUIC_SOCKOPT_CONFIG.version)"
	return 1
}

# Two connections; the second must be resumed (and with 0-RTT, early).
resume_case()
{
	local want=$1 c1 c2

	o_session=$work/$cell.session
	rm -f "$o_session" "$o_session.tp"
	fetch 2 /small.bin || return 1
	c1=$(conn_line 1 1)
	c2=$(conn_line 2 2)
	[ "$role" = client ] && c2=$(conn_line 2 1)
	if [[ $c1 != *"resumed=no"* ]]; then
		why="first connection: '$c1', want resumed=no"
	elif [[ $c2 != *"$want"* ]]; then
		why="second connection: '$c2', want $want"
	else
		return 0
	fi
	return 1
}

sc_resumption()
{
	resume_case "resumed=yes"
}

sc_zerortt()
{
	o_zerortt=1
	resume_case "resumed=yes 0rtt=yes"
}

sc_multiplexing()
{
	local p=()

	for i in $(seq -w 1 50); do
		p+=("/m$i.bin")
	done
	fetch 1 "${p[@]}"
}

sc_keyupdate()
{
	local f=/data5m.bin

	[ "$stack" = aioquic ] && f=/data3m.bin
	o_keyupdate=1
	fetch 1 "$f" || return 1
	if [ "$role" = client ]; then
		grep -q '^key-update initiated' "$(our_log 1)" && return 0
		why="our client started no key update"
	else
		grep -q '^key-update phase' "$srv_log" && return 0
		why="our server saw no key update (QUIC_EVENT_KEY_UPDATE)"
	fi
	return 1
}

netem_case()
{
	local runs=$1 path=$2 rc

	shift 2
	netem "$@" || { why="tc qdisc add netem $* failed"; return 1; }
	fetch "$runs" "$path"
	rc=$?
	netem
	return "$rc"
}

sc_handshakeloss()
{
	netem_case 10 /small.bin loss 30%
}

sc_handshakecorruption()
{
	netem_case 10 /small.bin corrupt 30%
}

sc_transferloss()
{
	netem_case 1 /data2m.bin loss 2%
}

sc_transfercorruption()
{
	netem_case 1 /data2m.bin corrupt 2%
}

# The bytes the client's end of the veth received since @1 was read.
rx_since()
{
	local now

	now=$(ip netns exec "$cns" cat /sys/class/net/veth-c/statistics/rx_bytes)
	echo $((now - $1))
}

# 2 s of 100% loss once a tenth of @1 bytes reached the client (or after
# 10 s: a Python peer may take that long to start); what had arrived when
# the loss was in place goes to the file @2.  Counted on the client's
# veth, not in the downloaded file, which a client may write only at the
# end; polled by one shell in the client's namespace with a builtin read,
# as a process per poll is too slow under TCG to see a fast transfer.
blackhole_at()
{
	local size=$1 base

	# shellcheck disable=SC2016 # expanded by the inner shell
	base=$(ip netns exec "$cns" bash -c '
		f=/sys/class/net/veth-c/statistics/rx_bytes
		read -r base < "$f"
		for ((i = 0; i < 2000; i++)); do
			read -r now < "$f"
			[ $((now - base)) -ge "$1" ] && break
			sleep 0.005
		done
		echo "$base"' _ $((size / 10)))
	netem loss 100%
	rx_since "$base" > "$2"
	sleep 2
	netem rate 5mbit
}

sc_blackhole()
{
	local f=/data5m.bin size at

	[ "$stack" = aioquic ] && f=/data2m.bin
	size=$(stat -c %s "$www$f")
	o_count=1
	# The runner's links are 10 Mbit/s; at half that the transfer lasts
	# long enough (8 s for 5 MiB) for the blackout to fall inside it even
	# when the guest is slow to put the loss in place (at 10 Mbit/s one
	# CI run saw the whole file in first).
	netem rate 5mbit
	srv_start || { netem; return 1; }
	blackhole_at "$size" "$work/$cell.at" &
	cli_run 1 "$f" && check_files "$f"
	wait $!
	netem
	at=$(cat "$work/$cell.at" 2> /dev/null)
	# Else the cell proved nothing about a blackout: it must begin
	# after the transfer did (past the handshake's few kilobytes) and
	# before the file was in.
	if [ -z "$why" ] && { [ "${at:-0}" -lt $((size / 10)) ] || [ "$at" -ge "$size" ]; }; then
		why="the blackhole did not fall inside the transfer (at $at of $size bytes)"
	fi
	if [ -n "$why" ]; then
		stop_after_failure
		return 1
	fi
	srv_stop
}

sc_ecn()
{
	local ns=$sns v0 v1 f0 f1 e0 e1 file=/data2m.bin

	[ "$role" = client ] && ns=$cns
	[ "$stack" = aioquic ] && file=/h500k.bin
	v0=$(counter "$ns" QuicEcnValidated) f0=$(counter "$ns" QuicEcnFailed)
	e0=$(counter "$ns" QuicEcnEctReceived)
	fetch 1 "$file" || return 1
	v1=$(counter "$ns" QuicEcnValidated) f1=$(counter "$ns" QuicEcnFailed)
	e1=$(counter "$ns" QuicEcnEctReceived)
	why="QuicEcnValidated $v0 -> $v1, QuicEcnFailed $f0 -> $f1, QuicEcnEctReceived $e0 -> $e1"
	if [ "$stack" = aioquic ]; then
		[ "${f1:-0}" -gt "${f0:-0}" ] && [ "${v1:-0}" -eq "${v0:-0}" ] && why=
	elif [ "${v1:-0}" -gt "${v0:-0}" ] && [ "${f1:-0}" -eq "${f0:-0}" ] &&
	     [ "${e1:-0}" -gt "${e0:-0}" ]; then
		why=
	fi
	[ -z "$why" ]
}

sc_amplificationlimit()
{
	o_chain=1
	fetch 1 /small.bin
}

# ---- the matrix ----

run_cell()
{
	local t0 t1

	cell=$stack-$role-$scen
	dl=$work/$cell.dl
	why=
	reset_opts
	rm -rf "$dl"
	if [ "$role" = client ]; then
		cli_kind=ours cli_cmd=("$h3") srv_kind=$stack srv_cmd=("${peer_cmd[@]}")
	else
		srv_kind=ours srv_cmd=("$h3") cli_kind=$stack cli_cmd=("${peer_cmd[@]}")
	fi
	quiet=(-q)
	# shellcheck disable=SC2053 # a glob on purpose
	[[ ${MATRIX_VERBOSE:-0} == 1 || $cell == ${MATRIX_VERBOSE:-0} ]] && quiet=()
	t0=$(date +%s.%N)
	"sc_$scen"
	t1=$(date +%s.%N)
	took[$cell]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ -z "$why" ]; then
		result[$cell]=ok
		echo "ok $cell # ${took[$cell]} s"
		rm -rf "$dl"
		return
	fi
	result[$cell]=fail
	failed=$((failed + 1))
	echo "not ok $cell: $why # ${took[$cell]} s"
	for f in "$work/$cell".*.log; do
		[ -s "$f" ] || continue
		echo "# --- $(basename "$f") (last lines)"
		tail -n 12 "$f" | cut -c1-200 | sed 's/^/#   /'
	done
}

selected()
{
	local pat

	[ -z "${MATRIX_CASES:-}" ] && return 0
	local -
	set -f
	for pat in $MATRIX_CASES; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

skip_cell()
{
	if [ "${MATRIX_SKIP:-}" = fail ]; then
		result[$1]=fail
		failed=$((failed + 1))
		echo "not ok $1: not run: $2"
		return
	fi
	result[$1]=skip
	echo "- $1 # not run: $2"
}

run_stack()
{
	local why_not=''

	peer_cmd=()
	case $stack in
	ngtcp2)
		[ -x "$GTLSCLIENT" ] && [ -x "$GTLSSERVER" ] ||
			why_not="no $GTLSCLIENT or $GTLSSERVER"
		;;
	aioquic)
		# shellcheck disable=SC2206 # a command prefix: split into words
		peer_cmd=(${AIOQUIC_PEER:-})
		[ ${#peer_cmd[@]} -gt 0 ] || why_not="AIOQUIC_PEER is not set"
		;;
	*)
		why_not="unknown stack"
		;;
	esac
	for scen in $SCENARIOS; do
		for role in server client; do
			selected "$stack-$role-$scen" || continue
			if [ -n "$why_not" ]; then
				skip_cell "$stack-$role-$scen" "$why_not"
			elif [ -n "$netem_why" ] && [[ $scen == *loss || $scen == *corruption ||
						       $scen == blackhole ]]; then
				skip_cell "$stack-$role-$scen" "$netem_why"
			else
				run_cell
			fi
		done
	done
}

mark()
{
	case ${result[$1]:-} in
	ok) printf ' ✓ |' ;;
	fail) printf ' ✗ |' ;;
	*) printf ' – |' ;;
	esac
}

matrix()
{
	local s

	echo
	echo "| scenario | ngtcp2 client → our server | our client → ngtcp2 server |" \
	     "aioquic client → our server | our client → aioquic server |"
	echo "|---|---|---|---|---|"
	for s in $SCENARIOS; do
		printf '| %s |' "$s"
		mark "ngtcp2-server-$s"
		mark "ngtcp2-client-$s"
		mark "aioquic-server-$s"
		mark "aioquic-client-$s"
		echo
	done
}


[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
[ -x "$h3" ] || die "$h3 is missing"
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/quic-matrix.XXXXXX") || die "no temporary directory"
	created_work=$work
fi
mkdir -p "$work" || die "cannot create $work"
www=$work/www
make_files || die "cannot write the files to serve in $www"
make_certs || die "openssl could not make the certificates"
setup_net || die "network namespace setup failed"
[ -r /proc/net/quic/snmp ] || modprobe quic 2> /dev/null
netem_check
[ -n "$netem_why" ] && echo "# $netem_why: loss, corruption and blackhole cells are not run"

start=$(date +%s)
for stack in $STACKS; do
	run_stack
done
echo "# total $(($(date +%s) - start)) s"
matrix
[ $failed -eq 0 ] && exit 0
echo "# $failed cell(s) failed"
exit 1
