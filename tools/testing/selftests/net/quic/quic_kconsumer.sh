#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel consumer of QUIC sockets: samples/quic (quic_sample.ko) with
# its TLS handshakes done by the user-space agent tools/quic/quic-handshaked
# through net/handshake, as SMB or NFS would have them done.
#
#   QUIC_SAMPLE_KO	the module (built from samples/quic)
#   QUIC_HANDSHAKED	the agent binary
#
# Without either every case fails.  The module and the agent live in the
# initial network namespace (the module opens its sockets there), so the
# cases run on the loopback device.  One module plays both ends with
# role=both: its server, and clients of that server.  quic_echo is the
# user-space peer; quic_keys puts the credentials in the keyring.
#
# Each case checks exact results: the per-connection line of the module
# (bytes echoed and their crc32), insmod's errno and the one in the log on
# failures, that a failed insmod leaves no module and no QUIC socket
# behind, and that the module unloads.  At the end the kernel log must
# hold no warning.

source "$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")/../lib.sh"

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
ko=${QUIC_SAMPLE_KO:-}
agent=${QUIC_HANDSHAKED:-}
name=server.quic.test
# What each connection echoes: 1 MiB, 256 KiB on a kernel with kmemleak
# (the debug guest, where 1 MiB takes ten seconds).
echo_bytes=1048576
[ -e /sys/kernel/debug/kmemleak ] && echo_bytes=262144
tmp=""
agent_pid=""
peer_pid=""
port=""
ret=0
n=0

cases=(listen_default x509_v4 x509_v6 psk_v4 conns_4 kclient_userver
       uclient_kserver alpn_dispatch no_agent agent_killed wrong_ca missing_key
       no_answer unload_busy unload_in_handshake nothing_left)

log() { echo "# $*"; }

cleanup()
{
	peer_stop
	agent_stop
	[ -s "$tmp/agent.log" ] && sed 's/^/# agent: /' "$tmp/agent.log"
	[ -e /sys/module/quic_sample ] && rmmod quic_sample
	[ -n "$ring" ] && "$here/quic_keys" unlink "$ring"
	[ -n "$tmp" ] && rm -rf "$tmp"
}

# ---- QUIC sockets and the kernel log ----

# QUIC sockets of this namespace (/proc/net/protocols, IPv4 and IPv6 rows).
quic_socks()
{
	awk '$1 == "QUIC" || $1 == "QUICv6" { n += $3 } END { print n + 0 }' \
		/proc/net/protocols
}

# A closed connection lingers for its closing period: give it 45 s.
wait_socks()
{
	local end=$((SECONDS + 45))

	until [ "$(quic_socks)" -le "$socks0" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			log "$(quic_socks) QUIC sockets left, $socks0 before"
			return 1
		fi
		sleep 0.2
	done
}

mark() { logmark=$(dmesg | wc -l); }
new_log() { dmesg | tail -n +"$((logmark + 1))"; }

# The module's lines since the mark, shown in the test output.
show_log() { new_log | grep -o 'quic_sample: .*' | sed 's/^/# /'; }

# ---- credentials ----

make_x509()
{
	local d=$tmp ca

	for ca in ca ca2; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$d/$ca.key" -out "$d/$ca.pem" -days 2 \
			-subj "/CN=QUIC kconsumer $ca" || return 1
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/server.key" -out "$d/server.csr" \
		-subj "/CN=$name" &&
	printf '%s\n' "subjectAltName=DNS:$name" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
		> "$d/server.ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.pem" &&
	# The agent takes the kernel's keys in DER form, as tlshd does.
	openssl x509 -in "$d/server.pem" -outform DER -out "$d/server.crt.der" &&
	openssl pkey -in "$d/server.key" -outform DER -out "$d/server.key.der"
}

# The agent's configuration: the CA a client checks the server with.
make_conf()
{
	printf '[authenticate.client]\nx509.truststore=%s\n' "$2" > "$1"
}

make_keys()
{
	local hex

	make_x509 > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; return 1; }
	make_conf "$tmp/agent.conf" "$tmp/ca.pem"
	make_conf "$tmp/agent-wrong-ca.conf" "$tmp/ca2.pem"
	hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') && [ ${#hex} -eq 64 ] ||
		return 1
	echo "quic-kconsumer:$hex" > "$tmp/psk"
	ring=$("$here/quic_keys" keyring quic_kconsumer) &&
	cert=$("$here/quic_keys" add user "$name" "$tmp/server.crt.der" "$ring") &&
	pkey=$("$here/quic_keys" add user "$name key" "$tmp/server.key.der" "$ring") &&
	psk=$("$here/quic_keys" addhex user quic-kconsumer "$hex" "$ring")
}

# Module parameters for the credentials of auth $1.
creds()
{
	if [ "$1" = psk ]; then
		echo "auth=psk peerid=$psk keyring=$ring"
	else
		echo "auth=x509 cert=$cert privkey=$pkey keyring=$ring peername=$name"
	fi
}

# ---- the agent and the user-space peers ----

# The agent serves requests once it has joined the "tlshd" multicast
# group, and says so; until then tls_*_hello() would fail with ESRCH.
agent_start()
{
	local conf=${1:-$tmp/agent.conf} before

	before=$(agent_ready)
	"$agent" -c "$conf" -v >> "$tmp/agent.log" 2>&1 &
	agent_pid=$!
	slowwait 10 agent_started "$before" || { log "the agent did not start"; return 1; }
}

agent_ready() { cat "$tmp/agent.log" 2> /dev/null | grep -c "serving handshake requests"; }

agent_started()
{
	kill -0 "$agent_pid" 2> /dev/null && [ "$(agent_ready)" -gt "$1" ]
}

agent_stop()
{
	[ -z "$agent_pid" ] && return
	kill "$agent_pid" 2> /dev/null
	wait "$agent_pid" 2> /dev/null
	agent_pid=""
}

# Starts quic_echo MODE ARGS... in the background; sets $port to its port.
peer_start()
{
	"$here/quic_echo" "$@" > "$tmp/peer.out" 2> "$tmp/peer.err" &
	peer_pid=$!
	if ! slowwait 10 grep -q '^port ' "$tmp/peer.out"; then
		log "quic_echo $1 did not start: $(cat "$tmp/peer.err")"
		return 1
	fi
	port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/peer.out")
}

peer_stop()
{
	[ -z "$peer_pid" ] && return
	kill "$peer_pid" 2> /dev/null
	wait "$peer_pid" 2> /dev/null
	peer_pid=""
}

# Waits up to 30 s for the peer to exit on its own; its status is ours.
peer_wait()
{
	local i rc

	for i in $(seq 300); do
		kill -0 "$peer_pid" 2> /dev/null || break
		sleep 0.1
	done
	kill -0 "$peer_pid" 2> /dev/null && { log "quic_echo did not exit"; return 1; }
	wait "$peer_pid"
	rc=$?
	peer_pid=""
	sed 's/^/# quic_echo: /' "$tmp/peer.out" "$tmp/peer.err"
	return "$rc"
}

# ---- checks ----

# insmod quic_sample.ko PARAMS... must work.
load()
{
	# shellcheck disable=SC2068 # the parameters are words
	if ! insmod "$ko" $@ 2> "$tmp/insmod.err"; then
		log "insmod $*: $(cat "$tmp/insmod.err")"
		show_log
		return 1
	fi
}

# insmod PARAMS... must fail with errno $1 (a number): the log of the
# client connection says it, insmod reports its message, and neither the
# module nor a QUIC socket is left.
load_fails()
{
	local errno=$1 msg

	shift
	# kmod's insmod words a few errnos its own way: ESRCH is "Module has
	# wrong symbol version" there.
	msg=$(python3 -c "import os; print(os.strerror($errno))" 2> /dev/null)
	[ "$errno" -eq 3 ] && msg="No such process\|Module has wrong symbol version"
	# shellcheck disable=SC2068
	if insmod "$ko" $@ 2> "$tmp/insmod.err"; then
		log "insmod $* worked, want errno $errno"
		show_log
		return 1
	fi
	show_log
	log "insmod: $(cat "$tmp/insmod.err")"
	if ! new_log | grep -q "quic_sample: conn 0: handshake failed: -$errno\$"; then
		log "no \"conn 0: handshake failed: -$errno\" in the log"
		return 1
	fi
	if [ -n "$msg" ] && ! grep -q "$msg" "$tmp/insmod.err"; then
		log "insmod did not report \"$msg\""
		return 1
	fi
	if [ -e /sys/module/quic_sample ]; then
		log "the module stayed loaded"
		return 1
	fi
	wait_socks
}

unload()
{
	if ! rmmod quic_sample; then
		log "rmmod failed"
		return 1
	fi
}

# $1 client connections echoed $2 bytes each, checked.
clients_ok()
{
	local i count=$1 bytes=$2 re

	for ((i = 0; i < count; i++)); do
		re="quic_sample: conn $i: echoed $bytes bytes, crc ok,"
		re+=" handshake [0-9]+ ms, [0-9]+\.[0-9] MB/s\$"
		if ! new_log | grep -qE "$re"; then
			log "no \"conn $i: echoed $bytes bytes, crc ok\" line"
			return 1
		fi
	done
	[ "$(new_log | grep -c 'quic_sample: conn [0-9]*:')" -eq "$count" ] ||
		{ log "not $count client lines"; return 1; }
}

# The server echoed $2 bytes on one stream on each of $1 connections.
server_ok()
{
	local got

	got=$(new_log | grep -cE "quic_sample: server: .*: echoed $2 bytes on 1 streams, end 0\$")
	[ "$got" -eq "$1" ] || { log "$got server connections echoed $2 bytes, want $1"; return 1; }
}

# ---- the cases ----

# The old check of tools/harness: no parameters, a listener on port N.
listen_default()
{
	load || return 1
	show_log
	new_log | grep -qE 'quic_sample: listening on UDP port [1-9][0-9]*, ALPN "sample"$' ||
		{ log "no \"listening on UDP port N\" line"; return 1; }
	unload && wait_socks
}

# Kernel client and kernel server: role=both, $3 connections of $echo_bytes bytes.
k2k()
{
	local addr=$1 auth=$2 conns=${3:-1}

	load role=both addr="$addr" "$(creds "$auth")" conns="$conns" bytes=$echo_bytes ||
		return 1
	unload || return 1
	show_log
	clients_ok "$conns" $echo_bytes && server_ok "$conns" $echo_bytes && wait_socks
}

x509_v4() { k2k 127.0.0.1 x509; }
x509_v6() { k2k ::1 x509; }
psk_v4() { k2k 127.0.0.1 psk; }
conns_4() { k2k 127.0.0.1 x509 4; }

# Kernel client, user-space server.
kclient_userver()
{
	peer_start server --key "$tmp/server.key" --cert "$tmp/server.pem" || return 1
	load role=client addr=127.0.0.1 port="$port" keyring="$ring" peername=$name \
		bytes=$echo_bytes || return 1
	show_log
	clients_ok 1 $echo_bytes || return 1
	peer_wait || return 1
	grep -q "^echoed $echo_bytes bytes on stream 0\$" "$tmp/peer.out" ||
		{ log "quic_echo did not echo $echo_bytes bytes"; return 1; }
	unload && wait_socks
}

# User-space client, kernel server.
uclient_kserver()
{
	local out rc

	load role=server addr=127.0.0.1 "$(creds x509)" && server_port || return 1
	out=$("$here/quic_echo" client -p "$port" -b $echo_bytes --ca "$tmp/ca.pem" \
		--host $name 2>&1)
	rc=$?
	log "quic_echo: $out"
	[ "$rc" -eq 0 ] && echo "$out" | grep -q "^echoed $echo_bytes bytes, ok" || return 1
	unload || return 1
	show_log
	server_ok 1 $echo_bytes && wait_socks
}

# A user-space client offering ALPN list $1 to the server on $port:
# echoed, or its output on stdout and a failure.
uclient()
{
	local out

	out=$("$here/quic_echo" client -p "$port" -b 65536 --alpn "$1" --ca "$tmp/ca.pem" \
		--host $name 2>&1) && echo "$out" | grep -q "^echoed 65536 bytes, ok" &&
		return 0
	echo "$out"
	return 1
}

exited() { ! kill -0 "$1" 2> /dev/null; }

# quic_echo server $1 (its ALPN list) on $port, in the background for
# $2 connections; its output in $tmp/srv-$1.out.
userver_start()
{
	"$here/quic_echo" server -p "$port" -n "$2" --alpn "$1" --key "$tmp/server.key" \
		--cert "$tmp/server.pem" > "$tmp/srv-$1.out" 2> "$tmp/srv-$1.err" &
	userver_pids+=($!)
	slowwait 10 grep -q '^port ' "$tmp/srv-$1.out" ||
		{ log "quic_echo server $1 did not start: $(cat "$tmp/srv-$1.err")"; return 1; }
}

# quic_echo server $1 accepted exactly $2 connections, each with ALPN
# $3 agreed and its 65536 bytes echoed.
userver_ok()
{
	local f=$tmp/srv-$1.out

	sed "s/^/# server $1: /" "$f" "$tmp/srv-$1.err"
	[ "$(grep -c "^alpn $3\$" "$f")" -eq "$2" ] &&
	[ "$(grep -c '^alpn ' "$f")" -eq "$2" ] &&
	[ "$(grep -c '^echoed 65536 bytes on stream 0$' "$f")" -eq "$2" ] ||
		{ log "server $1: not $2 connections with ALPN $3 echoed"; return 1; }
}

# Three listeners on one port, each with its own ALPN: the module's and
# two quic_echo servers, each in a process of its own.  Each connection
# reaches the listener that takes the first name it offers that any
# listener takes; a name nobody takes is refused with CRYPTO_ERROR
# no_application_protocol (0x178), also once its listener has closed,
# and the other listeners go on.
alpn_dispatch()
{
	local rc=0 a out pid

	userver_pids=()
	load role=server addr=127.0.0.1 alpn=ksmb "$(creds x509)" && server_port ksmb ||
		return 1
	userver_start h3 2 && userver_start b1,b2 1 || rc=1
	[ "$rc" -eq 0 ] && {
		uclient zz,b2 || { log "zz,b2 not echoed"; rc=1; }
		uclient h3 || { log "h3 not echoed"; rc=1; }
		uclient ksmb || { log "ksmb not echoed by the module"; rc=1; }
		# b1,b2 took its one connection and closed its listener.
		slowwait 10 exited "${userver_pids[1]}" ||
			{ log "the b1,b2 server did not exit"; rc=1; }
		for a in b1 nope; do
			if out=$(uclient $a); then
				log "ALPN $a was not refused"
				rc=1
			fi
			echo "$out" | sed 's/^/# quic_echo: /'
			echo "$out" | grep -q '^closed by peer: error 0x178$' ||
				{ log "no CONNECTION_CLOSE 0x178"; rc=1; }
		done
		uclient x,h3 || { log "x,h3 not echoed"; rc=1; }
	}
	for pid in "${userver_pids[@]}"; do
		slowwait 10 exited "$pid" || kill "$pid"
		wait "$pid" || { log "a quic_echo server failed"; rc=1; }
	done
	userver_ok h3 2 h3 && userver_ok b1,b2 1 b2 || rc=1
	unload || return 1
	show_log
	server_ok 1 65536 && wait_socks && return "$rc"
}

# No agent: net/handshake has nobody to ask and says so (ESRCH).
no_agent()
{
	agent_stop
	load_fails 3 role=both addr=127.0.0.1 "$(creds x509)" bytes=$echo_bytes || return 1
	agent_start || return 1
	mark
	log "and with the agent back:"
	k2k 127.0.0.1 x509
}

# The agent dies while a handshake waits on a peer that never answers:
# nobody reports, the module gives up after timeout_ms + 1 s.
agent_killed()
{
	local pid rc start

	peer_start drop || return 1
	start=$SECONDS
	insmod "$ko" role=client addr=127.0.0.1 port="$port" keyring="$ring" \
		peername=$name timeout_ms=5000 2> "$tmp/insmod.err" &
	pid=$!
	# The agent's ClientHello reached the peer: the handshake runs.
	slowwait 10 grep -q datagram "$tmp/peer.out" ||
		{ log "no ClientHello came"; wait "$pid"; return 1; }
	kill -KILL "$agent_pid"
	wait "$agent_pid" 2> /dev/null
	agent_pid=""
	wait "$pid"
	rc=$?
	log "insmod exited $rc after $((SECONDS - start)) s"
	# Check what load_fails checks on the finished insmod.
	[ "$rc" -ne 0 ] || { log "insmod worked"; return 1; }
	show_log
	log "insmod: $(cat "$tmp/insmod.err")"
	new_log | grep -q 'quic_sample: conn 0: handshake failed: -110$' ||
		{ log "no \"handshake failed: -110\""; return 1; }
	[ ! -e /sys/module/quic_sample ] || { log "the module stayed"; return 1; }
	peer_stop
	wait_socks || return 1
	agent_start
}

# The client's agent trusts another CA: it refuses the server (EACCES).
wrong_ca()
{
	local rc

	agent_stop
	agent_start "$tmp/agent-wrong-ca.conf" || return 1
	load_fails 13 role=both addr=127.0.0.1 "$(creds x509)" bytes=$echo_bytes
	rc=$?
	agent_stop
	agent_start || return 1
	return "$rc"
}

# A PSK whose key serial names no key: the agent has no credentials
# (ENOKEY), before anything is sent.
missing_key()
{
	load_fails 126 role=both addr=127.0.0.1 auth=psk peerid=2147483000 \
		keyring="$ring" bytes=$echo_bytes
}

# A peer that never answers: the agent's deadline ends it (ETIMEDOUT).
no_answer()
{
	local start

	peer_start drop || return 1
	start=$SECONDS
	load_fails 110 role=client addr=127.0.0.1 port="$port" keyring="$ring" \
		peername=$name timeout_ms=3000 || return 1
	log "gave up after $((SECONDS - start)) s," \
	    "$(grep -c datagram "$tmp/peer.out") datagrams sent"
	grep -q datagram "$tmp/peer.out" || { log "no ClientHello came"; return 1; }
}

# The port the module's server listens on, from the log; its ALPN is $1.
server_port()
{
	local re="quic_sample: listening on UDP port \\([0-9]*\\), ALPN \"${1:-sample}\"\$"

	port=$(new_log | sed -n "s/.*$re/\\1/p")
	[ -n "$port" ] || { log "no port in the log"; return 1; }
}

# rmmod while a connection waits for the rest of a stream (the client
# never ends it): the server shuts the connection down.
unload_busy()
{
	local pid rc

	load role=server addr=127.0.0.1 "$(creds x509)" && server_port || return 1
	"$here/quic_echo" client -p "$port" -b $echo_bytes --no-fin --ca "$tmp/ca.pem" \
		--host $name > "$tmp/client.out" 2>&1 &
	pid=$!
	slowwait 20 new_log_has 'quic_sample: server: .*: handshake [0-9]* ms$' ||
		{ log "no handshake"; kill "$pid"; wait "$pid"; return 1; }
	sleep 1
	unload
	rc=$?
	wait "$pid" && { log "the client got an echo of an open stream"; rc=1; }
	sed 's/^/# quic_echo: /' "$tmp/client.out"
	show_log
	new_log_has 'quic_sample: server: .*: echoed 0 bytes on 0 streams, end' ||
		{ log "no \"echoed 0 bytes\" line"; rc=1; }
	wait_socks && return "$rc"
}

# rmmod while a server handshake waits for the (stopped) agent: the
# module withdraws the request and the connection ends with ESHUTDOWN.
unload_in_handshake()
{
	local pid rc

	load role=server addr=127.0.0.1 "$(creds x509)" timeout_ms=20000 &&
		server_port || return 1
	kill -STOP "$agent_pid"
	"$here/quic_echo" client -p "$port" -b 1 --ca "$tmp/ca.pem" \
		--host $name > "$tmp/client.out" 2>&1 &
	pid=$!
	sleep 2
	unload
	rc=$?
	kill -CONT "$agent_pid"
	kill "$pid" 2> /dev/null	# the server's close may have ended it
	wait "$pid"
	show_log
	new_log_has 'quic_sample: server: .*: handshake failed: -108$' ||
		{ log "no \"handshake failed: -108\" line"; rc=1; }
	wait_socks && return "$rc"
}

new_log_has() { new_log | grep -q "$1"; }

# Nothing loaded or left, and no warning from the kernel all along.
nothing_left()
{
	[ ! -e /sys/module/quic_sample ] || { log "quic_sample is loaded"; return 1; }
	wait_socks || return 1
	if dmesg | tail -n +"$((log0 + 1))" |
	   grep -E 'WARNING:|BUG:|KASAN:|UBSAN:|Oops|refcount_t:|general protection|kmemleak'; then
		log "kernel warnings during the test"
		return 1
	fi
}

run()
{
	n=$((n + 1))
	echo "# RUN $1"
	mark
	if "$1"; then
		echo "ok $n quic_kconsumer.$1"
	else
		echo "not ok $n quic_kconsumer.$1"
		ret=$ksft_fail
	fi
	peer_stop
	[ -e /sys/module/quic_sample ] && rmmod quic_sample
	# A case that failed half-way may have left the agent stopped.
	[ -z "$agent_pid" ] && agent_start
}

fail_all()
{
	local c i=0

	echo "# $*"
	for c in "${cases[@]}"; do
		i=$((i + 1))
		echo "not ok $i quic_kconsumer.$c # $*"
	done
	exit "$ksft_fail"
}

echo "TAP version 13"
echo "1..${#cases[@]}"
trap cleanup EXIT
[ -n "$ko" ] || fail_all "QUIC_SAMPLE_KO is not set: the path of quic_sample.ko"
[ -n "$agent" ] || fail_all "QUIC_HANDSHAKED is not set: the path of quic-handshaked"
[ -r "$ko" ] || fail_all "$ko: no such module"
[ -x "$agent" ] || fail_all "$agent: not executable"
[ -x "$here/quic_echo" ] && [ -x "$here/quic_keys" ] ||
	fail_all "quic_echo and quic_keys are not built"
[ -e /sys/module/quic_sample ] && fail_all "quic_sample is loaded already"
ip link set lo up
tmp=$(mktemp -d) || fail_all "mktemp failed"
make_keys || fail_all "cannot make the keys (openssl, add_key)"
socks0=$(quic_socks)
log0=$(dmesg | wc -l)
agent_start || fail_all "cannot start $agent"

for c in "${cases[@]}"; do
	run "$c"
done
exit "$ret"
