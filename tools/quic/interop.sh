#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# HTTP/3 interoperability of IPPROTO_QUIC (tools/quic/quic_h3) with ngtcp2's
# GnuTLS examples, run as root in a guest with this kernel:
#
#   interop.sh [BINDIR [WORKDIR]]
#
# BINDIR holds quic_h3 (default: this script's directory); WORKDIR takes
# the temporary files (default: a new directory under $TMPDIR or /tmp).
# Client and server each run in a network namespace of their own, over a
# veth pair:
#
#   client ns: veth-c 10.0.7.1/24 fd00:7::1/64 <--> veth-s 10.0.7.2/24 fd00:7::2/64 :server ns
#						       10.0.7.3/24 (preferred)
#
# Cases (a 10 MiB random file, checked with sha256):
#   client-h3-CIPHER[-retry|-ipv6]: our client downloads from gtlsserver
#	(-V makes it send a Retry: the client netns' QuicRetryReceived grows)
#   client-h3-CIPHER-migrate: our client moves to a new local port halfway
#	(quic_h3 --migrate): the client netns' QuicPathLocalMigrations grows
#   server-h3-CIPHER[-retry|-ipv6]: gtlsclient downloads from our server
#	(--retry: the server netns' QuicRetrySent grows)
#   client-h3-CIPHER-preferred: gtlsserver offers 10.0.7.3 as its
#	preferred address (--preferred-ipv4-addr): our client validates it
#	and moves there, the client netns' QuicPathPreferredAddress grows
#   server-h3-CIPHER-preferred: our server offers 10.0.7.3 (quic_h3
#	--preferred-addr) and gtlsclient moves there: the server netns'
#	QuicPathPreferredAddress grows (the server followed)
#   server-h3-CIPHER-migrate: gtlsclient moves to a new local port 50 ms
#	after the handshake (--change-local-addr) and validates the path:
#	the server netns' QuicPathMigrations grows.  (Its --nat-rebinding
#	mode is not a case: a downloading client that has nothing in flight
#	at that moment sends nothing from its new port, and ignores what
#	the server sends to the old one, so no server can follow it.)
#   self-h3-CIPHER[-retry|-404]: our client from our server (-404: a
#	missing file must make the client fail with HTTP status 404)
#   *-bighello: our client offers X25519 and FFDHE8192 key shares, for a
#	ClientHello of about 1.3 kB (with -retry: it must go again, with
#	the Retry token, in Initial packets no larger than before); the
#	server takes X25519, the client's first choice
#   *-mtu1280: the veth MTU is 1280 for the case (1252-byte datagrams)
# One line per case, "ok CASE" or "not ok CASE: reason"; the exit status
# is 1 if any case failed (a missing program is a failure).  H3_CASES
# runs only the cases it lists (names as above).  H3_VERBOSE=1
# runs the ngtcp2 programs without -q; their output and ours go to
# WORKDIR/CASE.*.log and the tail of each is shown for a failed case.

set -u

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
bindir=${1:-$here}
h3=$bindir/quic_h3
work=${2:-}
GTLSSERVER=${GTLSSERVER:-$(command -v gtlsserver || echo /usr/sbin/gtlsserver)}
GTLSCLIENT=${GTLSCLIENT:-$(command -v gtlsclient || echo /usr/bin/gtlsclient)}
SIZE=$((10 * 1024 * 1024))
# Key shares for both: a ClientHello of about 1.3 kB (1,260 bytes with
# GnuTLS 3.7), two CRYPTO frames in a 1200-byte Initial, one in a
# 1472-byte one.  X25519 first: a server that took FFDHE8192 spent most
# of the library's 15 s handshake limit on it in the TCG guest (17 s for
# the case), and a slower machine went past it.
BIG_GROUPS=X25519,FFDHE8192
TMO=120

sns=h3srv-$$
cns=h3cli-$$
saddr=10.0.7.2
saddr6=fd00:7::2
port=4432
failed=0
created_work=

prio()
{
	local c
	case $1 in
	aes128gcm) c=+AES-128-GCM ;;
	aes256gcm) c=+AES-256-GCM ;;
	chacha20) c=+CHACHA20-POLY1305 ;;
	aes128ccm) c=+AES-128-CCM ;;
	esac
	echo "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:$c"
}

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

ok()
{
	echo "ok $1"
}

not_ok()
{
	local name=$1 f

	shift
	echo "not ok $name: $*"
	failed=$((failed + 1))
	for f in "$work/$name".*.log; do
		[ -s "$f" ] || continue
		echo "# --- $(basename "$f") (last lines)"
		tail -n 15 "$f" | cut -c1-200 | sed 's/^/#   /'
	done
}

# Bail out before any case: every case is reported failed.
fail_all()
{
	local c

	for c in $cases; do
		echo "not ok $c: $*"
	done
	exit 1
}

setup()
{
	ip netns add "$sns" && ip netns add "$cns" &&
	ip -n "$sns" link set lo up && ip -n "$cns" link set lo up &&
	ip -n "$cns" link add veth-c type veth peer name veth-s netns "$sns" &&
	ip -n "$cns" addr add 10.0.7.1/24 dev veth-c &&
	ip -n "$cns" addr add fd00:7::1/64 dev veth-c nodad &&
	ip -n "$sns" addr add 10.0.7.2/24 dev veth-s &&
	ip -n "$sns" addr add 10.0.7.3/24 dev veth-s &&
	ip -n "$sns" addr add fd00:7::2/64 dev veth-s nodad &&
	ip -n "$cns" link set veth-c up && ip -n "$sns" link set veth-s up
}

set_mtu()
{
	ip -n "$cns" link set veth-c mtu "$1" && ip -n "$sns" link set veth-s mtu "$1"
}

counter()
{
	# shellcheck disable=SC2016 # awk's own $1 and $2
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/quic/snmp 2> /dev/null
}

# Wait (up to 10 s) for a UDP socket on @port in netns @ns.
wait_udp()
{
	local ns=$1 port=$2

	for _ in $(seq 100); do
		ip netns exec "$ns" ss -Hlun "sport = :$port" 2> /dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

stop()
{
	kill "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

check_file()
{
	local got=$1

	[ -f "$got" ] || { echo "no file downloaded"; return 1; }
	[ "$(stat -c %s "$got")" -eq "$SIZE" ] ||
		{ echo "downloaded $(stat -c %s "$got") bytes, want $SIZE"; return 1; }
	[ "$(sha256sum < "$got")" = "$want_sum" ] ||
		{ echo "sha256 differs from the served file"; return 1; }
}

# The ngtcp2 programs' debug output only with H3_VERBOSE=1.
quiet=(-q)
[ "${H3_VERBOSE:-0}" = 1 ] && quiet=()

# our client <- gtlsserver
client_case()
{
	local name=$1 cipher=$2 retry=$3 v6=$4 big=$5 mig=$6 addr=$saddr url spid rc why r0 r1
	local out=$work/$name.out copt=() sopt=() m0 m1 key=QuicPathLocalMigrations

	port=$((port + 1))
	[ "$v6" = 1 ] && addr=$saddr6
	[ "$big" = 1 ] && copt=(--groups "$BIG_GROUPS")
	[ "$mig" = migrate ] && copt+=(--migrate)
	if [ "$mig" = preferred ]; then
		sopt=(--preferred-ipv4-addr=10.0.7.3:$((port + 1000)))
		key=QuicPathPreferredAddress
	fi
	[ -x "$GTLSSERVER" ] || { not_ok "$name" "$GTLSSERVER is missing"; return; }
	[ -x "$h3" ] || { not_ok "$name" "$h3 is missing"; return; }
	rm -f "$out"
	ip netns exec "$sns" timeout $TMO "$GTLSSERVER" "${quiet[@]}" ${retry:+-V} "${sopt[@]}" \
		--ciphers="$(prio "$cipher")" -d "$www" "$addr" "$port" \
		"$work/key.pem" "$work/cert.pem" > "$work/$name.gtlsserver.log" 2>&1 &
	spid=$!
	if ! wait_udp "$sns" "$port"; then
		stop "$spid"
		not_ok "$name" "gtlsserver did not listen on $addr port $port"
		return
	fi
	r0=$(counter "$cns" QuicRetryReceived)
	m0=$(counter "$cns" $key)
	[ "$v6" = 1 ] && url="https://[$addr]:$port/data.bin" || url="https://$addr:$port/data.bin"
	ip netns exec "$cns" timeout $TMO "$h3" client --cipher "$cipher" "${copt[@]}" \
		--cafile "$work/cert.pem" --sni localhost -o "$out" "$url" \
		> "$work/$name.quic_h3.log" 2>&1
	rc=$?
	r1=$(counter "$cns" QuicRetryReceived)
	m1=$(counter "$cns" $key)
	stop "$spid"
	if [ $rc -eq 124 ]; then
		not_ok "$name" "quic_h3 client timed out after $TMO s"
	elif [ $rc -ne 0 ]; then
		not_ok "$name" "quic_h3 client failed (exit $rc): $(grep -v '^#' \
			"$work/$name.quic_h3.log" | tail -n 1)"
	elif ! why=$(check_file "$out"); then
		not_ok "$name" "$why"
	elif [ -n "$retry" ] && ! [ "${r1:-0}" -gt "${r0:-0}" ]; then
		not_ok "$name" "QuicRetryReceived did not grow ($r0 -> $r1)"
	elif [ -n "$mig" ] && ! [ "${m1:-0}" -gt "${m0:-0}" ]; then
		not_ok "$name" "$key did not grow ($m0 -> $m1)"
	else
		ok "$name"
		grep -h 'MB/s' "$work/$name.quic_h3.log" | sed 's/^/# /'
	fi
	rm -f "$out"
}

# gtlsclient <- our server
server_case()
{
	local name=$1 cipher=$2 retry=$3 v6=$4 mig=$5 addr=$saddr url spid crc src why r0 r1
	local dl=$work/$name.dl m0 m1 copt=() sopt=() key=QuicPathMigrations

	port=$((port + 1))
	url="https://$addr:$port/data.bin"
	if [ "$v6" = 1 ]; then
		addr=$saddr6
		url="https://[$addr]:$port/data.bin"
	fi
	[ -x "$GTLSCLIENT" ] || { not_ok "$name" "$GTLSCLIENT is missing"; return; }
	[ -x "$h3" ] || { not_ok "$name" "$h3 is missing"; return; }
	rm -rf "$dl"
	mkdir -p "$dl"
	[ "$mig" = migrate ] && copt=(--change-local-addr=50ms)
	if [ "$mig" = preferred ]; then
		sopt=(--preferred-addr 10.0.7.3)
		key=QuicPathPreferredAddress
	fi
	r0=$(counter "$sns" QuicRetrySent)
	m0=$(counter "$sns" $key)
	ip netns exec "$sns" timeout $TMO "$h3" server --cert "$work/cert.pem" "${sopt[@]}" \
		--key "$work/key.pem" --cipher "$cipher" ${retry:+--retry} --count 1 \
		"$addr" "$port" "$www" > "$work/$name.quic_h3.log" 2>&1 &
	spid=$!
	if ! wait_udp "$sns" "$port"; then
		stop "$spid"
		not_ok "$name" "quic_h3 server did not listen on port $port"
		return
	fi
	ip netns exec "$cns" timeout $TMO "$GTLSCLIENT" "${quiet[@]}" --exit-on-first-stream-close \
		"${copt[@]}" --ciphers="$(prio "$cipher")" --download "$dl" "$addr" "$port" \
		"$url" > "$work/$name.gtlsclient.log" 2>&1
	crc=$?
	# The server ends its connection when the client closes it.
	timeout 30 tail --pid="$spid" -f /dev/null
	if kill -0 "$spid" 2> /dev/null; then
		stop "$spid"
		src=timeout
	else
		wait "$spid"
		src=$?
	fi
	r1=$(counter "$sns" QuicRetrySent)
	m1=$(counter "$sns" $key)
	[ -n "$mig" ] && echo "# server's path counters: $(ip netns exec "$sns" \
		awk '/^QuicPath/ { printf "%s %s ", $1, $2 }' /proc/net/quic/snmp)"
	if [ $crc -ne 0 ]; then
		not_ok "$name" "gtlsclient failed (exit $crc)"
	elif ! why=$(check_file "$dl/data.bin"); then
		not_ok "$name" "$why"
	elif [ "$src" != 0 ]; then
		not_ok "$name" "quic_h3 server failed (exit $src): $(tail -n 1 \
			"$work/$name.quic_h3.log")"
	elif [ -n "$retry" ] && ! [ "${r1:-0}" -gt "${r0:-0}" ]; then
		not_ok "$name" "QuicRetrySent did not grow ($r0 -> $r1)"
	elif [ -n "$mig" ] && ! [ "${m1:-0}" -gt "${m0:-0}" ]; then
		not_ok "$name" "$key did not grow ($m0 -> $m1)"
	else
		ok "$name"
	fi
	rm -rf "$dl"
}

# our client <- our server; opt: retry (a Retry from our kernel, seen by
# both), or 404 (a missing file: the client must fail with status 404)
self_case()
{
	local name=$1 cipher=$2 opt=$3 spid rc src why out=$work/$1.out
	local path=/data.bin s0 s1 r0 r1 sopt=() copt=()

	port=$((port + 1))
	[ -x "$h3" ] || { not_ok "$name" "$h3 is missing"; return; }
	case $opt in *404*) path=/missing.bin ;; esac
	case $opt in *retry*) sopt=(--retry) ;; esac
	case $opt in *bighello*) copt=(--groups "$BIG_GROUPS") ;; esac
	rm -f "$out"
	ip netns exec "$sns" timeout $TMO "$h3" server --cert "$work/cert.pem" \
		--key "$work/key.pem" --cipher "$cipher" --count 1 \
		"${sopt[@]}" "$saddr" "$port" "$www" > "$work/$name.server.log" 2>&1 &
	spid=$!
	if ! wait_udp "$sns" "$port"; then
		stop "$spid"
		not_ok "$name" "quic_h3 server did not listen on port $port"
		return
	fi
	s0=$(counter "$sns" QuicRetrySent)
	r0=$(counter "$cns" QuicRetryReceived)
	ip netns exec "$cns" timeout $TMO "$h3" client --cipher "$cipher" "${copt[@]}" \
		--cafile "$work/cert.pem" --sni localhost -o "$out" \
		"$saddr" "$port" "$path" > "$work/$name.client.log" 2>&1
	rc=$?
	s1=$(counter "$sns" QuicRetrySent)
	r1=$(counter "$cns" QuicRetryReceived)
	timeout 30 tail --pid="$spid" -f /dev/null
	if kill -0 "$spid" 2> /dev/null; then
		stop "$spid"
		src=timeout
	else
		wait "$spid"
		src=$?
	fi
	if [ "$path" = /missing.bin ]; then
		if [ $rc -ne 1 ] || ! grep -q "HTTP status 404 for /missing.bin" \
			"$work/$name.client.log"; then
			not_ok "$name" "client exit $rc, want 1 with HTTP status 404"
		elif [ "$src" != 0 ]; then
			not_ok "$name" "quic_h3 server failed (exit $src)"
		else
			ok "$name"
		fi
		rm -f "$out"
		return
	fi
	if [ $rc -ne 0 ]; then
		not_ok "$name" "quic_h3 client failed (exit $rc): $(tail -n 1 \
			"$work/$name.client.log")"
	elif ! why=$(check_file "$out"); then
		not_ok "$name" "$why"
	elif [ "$src" != 0 ]; then
		not_ok "$name" "quic_h3 server failed (exit $src)"
	elif [ ${#sopt[@]} -gt 0 ] && ! { [ "${s1:-0}" -gt "${s0:-0}" ] &&
				       [ "${r1:-0}" -gt "${r0:-0}" ]; }; then
		not_ok "$name" "no Retry: QuicRetrySent $s0 -> $s1, QuicRetryReceived $r0 -> $r1"
	else
		ok "$name"
		grep -h 'MB/s' "$work/$name.client.log" | sed 's/^/# /'
	fi
	rm -f "$out"
}

cases="self-h3-aes128gcm self-h3-chacha20-retry self-h3-aes128gcm-404
self-h3-aes128gcm-bighello self-h3-aes128gcm-retry-bighello
client-h3-aes128gcm client-h3-chacha20 client-h3-aes128gcm-retry client-h3-chacha20-retry
client-h3-aes256gcm client-h3-aes128gcm-ipv6
client-h3-aes128gcm-bighello client-h3-aes128gcm-retry-bighello
client-h3-aes128gcm-bighello-mtu1280 client-h3-aes128gcm-retry-bighello-mtu1280
server-h3-aes128gcm server-h3-chacha20 server-h3-aes128gcm-retry server-h3-chacha20-retry
server-h3-aes256gcm server-h3-chacha20-ipv6
server-h3-aes128gcm-migrate client-h3-aes128gcm-migrate
server-h3-aes128gcm-preferred client-h3-aes128gcm-preferred"

cases=${H3_CASES:-$cases}

[ "$(id -u)" = 0 ] || fail_all "needs root (network namespaces)"
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/quic-interop.XXXXXX") || fail_all "no temporary directory"
	created_work=$work
fi
mkdir -p "$work" || fail_all "cannot create $work"
www=$work/www
if ! mkdir -p "$www" || ! head -c $SIZE /dev/urandom > "$www/data.bin"; then
	fail_all "cannot write $www/data.bin"
fi
want_sum=$(sha256sum < "$www/data.bin")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:$saddr,IP:$saddr6" > /dev/null 2>&1 ||
	fail_all "openssl could not make a certificate"
setup || fail_all "network namespace setup failed"
[ -r /proc/net/quic/snmp ] || modprobe quic 2> /dev/null

for c in $cases; do
	IFS=- read -r kind _ cipher opt <<< "$c"	# opt: the rest
	retry='' v6=0 big=0 mig=''
	case $opt in *retry*) retry=1 ;; esac
	case $opt in migrate | preferred) mig=$opt ;; esac
	case $opt in *ipv6*) v6=1 ;; esac
	case $opt in *bighello*) big=1 ;; esac
	case $opt in *mtu1280*) set_mtu 1280 ;; esac
	case $kind in
	self) self_case "$c" "$cipher" "$opt" ;;
	client) client_case "$c" "$cipher" "$retry" "$v6" "$big" "$mig" ;;
	server) server_case "$c" "$cipher" "$retry" "$v6" "$mig" ;;
	esac
	case $opt in *mtu1280*) set_mtu 1500 ;; esac
done

[ $failed -eq 0 ] && exit 0
echo "# $failed case(s) failed"
exit 1
