#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # the check_* functions are called by name
#
# aioquic as an interop peer of IPPROTO_QUIC: checks tools/quic/aioquic_peer.py
# against itself, then against our kernel's stack (tools/quic/quic_h3).
# Runs as root in a guest with this kernel:
#
#   aioquic-selftest.sh [BINDIR [WORKDIR]]
#   aioquic-selftest.sh peer ARGS...
#
# aioquic comes from Debian trixie, in the root file system that
# tools/quic/trixie-root.sh makes on the host (QUIC_TRIXIE_ROOT, default
# $HOME/.cache/quic-interop/trixie); the host's bookworm is too old to run
# its binaries.  The root may be read-only (the guest sees the host's files
# that way): nothing is written into it.  The peer runs there under chroot
# in a mount namespace of its own, with proc, /dev, the caller's /tmp and
# this script's directory (as /mnt) mounted on the root's own directories;
# file names it is given must be absolute and under /tmp, the only tree it
# shares with the caller.  "peer ARGS..." runs aioquic_peer.py ARGS that way
# in the current network namespace: the command prefix for other scripts.
#
#   aioquic-selftest.sh forkserver DIR
#
# runs aioquic_peer.py's fork server on DIR (a new directory under /tmp):
# Python and aioquic then start once, not once per peer, which under TCG
# saves about 10 s per peer.  "peer" goes through it when AIOQUIC_FORKSERVER
# names that DIR and its server lives (waiting for it while it imports),
# and runs the peer itself otherwise.  The child runs in the caller's
# network namespace with the caller's stdin, stdout and stderr; a TERM,
# INT or HUP that "peer" gets is passed on to it, and "peer" exits with
# its status.
#
# BINDIR holds quic_h3 (default: this script's directory); WORKDIR takes
# the temporary files (default: a new directory under /tmp; it must be
# under /tmp).  Client and server run in network namespaces of their own,
# over a veth pair:
#
#   client ns: veth-c 10.0.9.1/24 fd00:9::1/64 <--> veth-s 10.0.9.2/24 fd00:9::2/64 :server ns
#
# Cases, aioquic client <- aioquic server, a 5 MiB random file (sha256):
#   aio-plain, aio-retry (both sides say a Retry was used),
#   aio-chacha20 (both conn lines say chacha20), aio-v2 (both say
#   version 2), aio-resumption (two runs with --session-file: the second
#   conn line says resumed=yes on both sides), aio-zerortt (the second run
#   with --zerortt: 0rtt=yes on both sides), aio-keyupdate (the client
#   started a key update, the server saw it), aio-multiplexing (10 files
#   of 32 KiB in one connection), aio-ipv6.
# Our stack, a 10 MiB random file (sha256):
#   ours-client-{plain,retry,chacha20}: quic_h3 client <- aioquic server
#	(retry: QuicRetryReceived grows in the client netns)
#   ours-server-{plain,retry,chacha20}: aioquic client <- quic_h3 server
#	(retry: QuicRetrySent grows in the server netns, the client saw it)
#   ours-server-keyupdate: the aioquic client starts a key update half-way,
#	quic_h3 server must print "key-update phase 1"
#   ours-client-keyupdate: quic_h3 client --key-update, aioquic server
#	must see a remote key update
#   ours-{client,server}-v2: --version 2 on both sides, both say version 2
#   ours-{client,server}-resumption, -zerortt: two runs (1 MiB) with
#	--session-file (and --zerortt): the second says resumed=yes (and
#	0rtt=yes) on both sides
#   ours-{client,server}-ipv6
# One line per case, "ok CASE" or "not ok CASE: reason", with the time it
# took as a comment; the exit status is 1 if any case failed.  AQ_CASES
# runs only the cases it lists.  AQ_DEBUG=1 runs the aioquic peers with
# aioquic's debug log.  Logs go to WORKDIR/CASE.*; the tail of each is
# shown for a failed case.

set -u

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
self=$here/$(basename "${BASH_SOURCE[0]}")
root=${QUIC_TRIXIE_ROOT:-$HOME/.cache/quic-interop/trixie}

# ARGS for aioquic_peer.py, run by the fork server in $AIOQUIC_FORKSERVER
# (see aioquic_peer.py for the protocol); returns only when there is no
# live server there, having done nothing.
via_forkserver()
{
	local fs=$AIOQUIC_FORKSERVER pid req word n

	pid=$(cat "$fs/pid" 2> /dev/null) || return 0
	# Its FIFO appears once Python has imported everything.
	while [ ! -p "$fs/ctl" ]; do
		kill -0 "$pid" 2> /dev/null || return 0
		sleep 0.2
	done
	kill -0 "$pid" 2> /dev/null || return 0
	req=$(mktemp -d "$fs/req.XXXXXX") || return 0
	{ printf '%s\0' "$@" > "$req/args" && mkfifo "$req/ret"; } || return 0
	# Open for reading and writing, so that this does not block and the
	# server's non-blocking open finds a reader.
	exec 3<> "$req/ret"
	# A signal before the child is known is passed on once it is.
	aq_sig=
	trap 'aq_sig=1' TERM INT HUP
	echo "$$ $req" 1<> "$fs/ctl"
	# This end never sees EOF (it writes too): watch the server instead.
	until read -r -t 2 word n <&3; do
		kill -0 "$pid" 2> /dev/null && continue
		echo "aioquic-selftest: fork server $pid died" >&2
		rm -rf "$req"
		exit 1
	done
	if [ "$word" != pid ]; then
		echo "aioquic-selftest: fork server: $word $n" >&2
		rm -rf "$req"
		exit 1
	fi
	# From now on only the server writes: its end (or death) is EOF.
	exec 4< "$req/ret" 3<&-
	rm -rf "$req"
	aq_child=$n
	trap 'kill -TERM "$aq_child" 2> /dev/null' TERM INT HUP
	[ -n "$aq_sig" ] && kill -TERM "$aq_child" 2> /dev/null
	while :; do
		read -r word n <&4 && break
		# A trap interrupted the read: read on.
		[ $? -gt 128 ] && continue
		word=eof
		break
	done
	case $word in
	exit) exit "$n" ;;
	signal) exit $((128 + n)) ;;
	esac
	echo "aioquic-selftest: the fork server did not say how child $aq_child ended" >&2
	exit 1
}

# peer ARGS... or forkserver DIR: aioquic_peer.py ARGS in the trixie root.
# The mounts are made in a new mount namespace, so they go away with the
# peer, and the read-only root is only mounted on.
if [ "${1:-}" = peer ] || [ "${1:-}" = forkserver ]; then
	if [ "$1" = peer ] && [ -n "${AIOQUIC_FORKSERVER:-}" ]; then
		shift
		via_forkserver "$@"
		set -- peer "$@"
	fi
	if [ "$1" = forkserver ]; then
		[ $# -eq 2 ] || { echo "usage: aioquic-selftest.sh forkserver DIR" >&2; exit 2; }
		# The server's pid, for its callers: exec keeps it.
		echo $$ > "$2/pid" || exit 1
	fi
	[ "$1" = peer ] && shift
	[ -f "$root/.quic-interop-ready" ] ||
		{ echo "aioquic-selftest: no trixie root at $root (tools/quic/trixie-root.sh)" >&2
		  exit 1; }
	export PYTHONDONTWRITEBYTECODE=1
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec unshare -m --propagation private /bin/sh -c '
		r=$1 d=$2
		shift 2
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
		mount --rbind /tmp "$r/tmp" && mount --bind "$d" "$r/mnt" || exit 1
		exec chroot "$r" /usr/bin/python3 /mnt/aioquic_peer.py "$@"' \
		sh "$root" "$here" "$@"
fi

bindir=${1:-$here}
h3=$bindir/quic_h3
work=${2:-}
BIG=$((10 * 1024 * 1024))
MID=$((5 * 1024 * 1024))
SMALL=$((1024 * 1024))
TMO=240

sns=aqsrv-$$
cns=aqcli-$$
saddr=10.0.9.2
saddr6=fd00:9::2
port=4500
failed=0
created_work=

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

not_ok()
{
	local name=$1 f

	shift
	echo "not ok $name: $*"
	failed=$((failed + 1))
	for f in "$work/$name".*; do
		if [ ! -f "$f" ] || [ ! -s "$f" ]; then
			continue
		fi
		case $f in *.bin|*.sess) continue ;; esac
		echo "# --- $(basename "$f") (last lines)"
		tail -n 12 "$f" | cut -c1-200 | sed 's/^/#   /'
	done
}

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
	ip -n "$cns" addr add 10.0.9.1/24 dev veth-c &&
	ip -n "$cns" addr add fd00:9::1/64 dev veth-c nodad &&
	ip -n "$sns" addr add 10.0.9.2/24 dev veth-s &&
	ip -n "$sns" addr add fd00:9::2/64 dev veth-s nodad &&
	ip -n "$cns" link set veth-c up && ip -n "$sns" link set veth-s up
}

counter()
{
	# shellcheck disable=SC2016 # awk's own $1 and $2
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/quic/snmp 2> /dev/null
}

# Wait (up to 30 s: python starts slowly under emulation) for a UDP socket
# on @port in the server netns, while @pid lives.
wait_udp()
{
	local port=$1 pid=$2

	for _ in $(seq 300); do
		ip netns exec "$sns" ss -Hlun "sport = :$port" 2> /dev/null | grep -q . && return 0
		kill -0 "$pid" 2> /dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Wait up to 30 s for the server @1 to exit by itself; its status goes to
# src ("timeout" if it had to be killed).  Not in a subshell: only this
# shell can wait for its child.
server_status()
{
	local pid=$1

	timeout 30 tail --pid="$pid" -f /dev/null
	if kill -0 "$pid" 2> /dev/null; then
		kill "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
		src=timeout
	else
		wait "$pid"
		src=$?
	fi
}

# check_file GOT WANT: same size and sha256
check_file()
{
	local got=$1 want=$2

	[ -f "$got" ] || { echo "no file downloaded ($got)"; return 1; }
	[ "$(stat -c %s "$got")" -eq "$(stat -c %s "$want")" ] ||
		{ echo "$(basename "$got"): $(stat -c %s "$got") bytes, want $(stat -c %s "$want")"
		  return 1; }
	[ "$(sha256sum < "$got")" = "$(sha256sum < "$want")" ] ||
		{ echo "$(basename "$got"): sha256 differs from the served file"; return 1; }
}

aq_env=()
[ "${AQ_DEBUG:-0}" = 1 ] && aq_env=(env AIOQUIC_PEER_DEBUG=1)

# start_server KIND LOG ARGS...: the server (aio or ours) in the server
# netns, its stdout to LOG.out, stderr to LOG.err; sets spid.
start_server()
{
	local kind=$1 log=$2 cmd

	shift 2
	if [ "$kind" = aio ]; then
		cmd=("${aq_env[@]}" bash "$self" peer server)
	else
		cmd=("$h3" server)
	fi
	ip netns exec "$sns" timeout $TMO "${cmd[@]}" --cert "$work/cert.pem" \
		--key "$work/key.pem" "$@" > "$log.out" 2> "$log.err" &
	spid=$!
}

# run_client KIND LOG ARGS...: the client in the client netns; its status
run_client()
{
	local kind=$1 log=$2 cmd

	shift 2
	if [ "$kind" = aio ]; then
		cmd=("${aq_env[@]}" bash "$self" peer client)
	else
		cmd=("$h3" client)
	fi
	ip netns exec "$cns" timeout $TMO "${cmd[@]}" "$@" > "$log.out" 2> "$log.err"
}

# The last line of the log @1 that is not a "#" comment
last_err()
{
	grep -v '^#' "$1" | tail -n 1
}

# The conn line number @2 (1: the first) in the log @1.out
conn_line()
{
	grep '^conn ' "$1.out" 2> /dev/null | sed -n "${2:-1}p"
}

# transfer NAME SRV CLI FILE SOPTS COPTS: one connection, FILE from the
# server's www, sha256 checked; then the case's own checks (check_NAME,
# when defined, with the logs in $slog, $clog).  SOPTS/COPTS are words.
transfer()
{
	local name=$1 skind=$2 ckind=$3 file=$4 sopts=$5 copts=$6 addr=$saddr
	local out=$work/$name.dl rc src why t0=$SECONDS s0 s1 r0 r1 v6=()

	slog=$work/$name.server clog=$work/$name.client
	port=$((port + 1))
	case $name in *ipv6*) addr=$saddr6 v6=(-6) ;; esac
	rm -rf "$out"
	s0=$(counter "$sns" QuicRetrySent)
	r0=$(counter "$cns" QuicRetryReceived)
	# shellcheck disable=SC2086 # options are words
	start_server "$skind" "$slog" "${v6[@]}" $sopts --count 1 "$addr" "$port" "$work/www"
	if ! wait_udp "$port" "$spid"; then
		server_status "$spid"
		not_ok "$name" "the $skind server did not listen on port $port"
		return
	fi
	# shellcheck disable=SC2086
	run_client "$ckind" "$clog" "${v6[@]}" $copts -o "$out" "$addr" "$port" "/$file"
	rc=$?
	server_status "$spid"
	s1=$(counter "$sns" QuicRetrySent)
	r1=$(counter "$cns" QuicRetryReceived)
	if [ $rc -ne 0 ]; then
		not_ok "$name" "the $ckind client failed (exit $rc): $(last_err "$clog.err")"
	elif ! why=$(check_file "$out" "$work/www/$file"); then
		not_ok "$name" "$why"
	elif [ "$src" != 0 ]; then
		not_ok "$name" "the $skind server failed (exit $src): $(last_err "$slog.err")"
	elif [ "$(type -t "check_${name//-/_}")" = function ] &&
	     ! why=$("check_${name//-/_}" "$s0" "$s1" "$r0" "$r1"); then
		not_ok "$name" "$why"
	else
		echo "ok $name"
		echo "# $name: $((SECONDS - t0)) s"
	fi
	rm -rf "$out"
}

# want_line LOG N PATTERN WHO: conn line N of LOG matches the glob PATTERN
want_line()
{
	local c

	c=$(conn_line "$1" "$2")
	# shellcheck disable=SC2053 # a glob on purpose
	[[ $c == $3 ]] && return 0
	echo "$4 conn line $2: '$c', want '$3'"
	return 1
}

check_aio_retry()
{
	grep -q 'retry yes' "$slog.err" || { echo "the server says it sent no Retry"; return 1; }
	grep -q 'retry yes' "$clog.err" || { echo "the client says it got no Retry"; return 1; }
}

check_aio_chacha20()
{
	want_line "$slog" 1 "conn ? chacha20 *" server && want_line "$clog" 1 "conn ? chacha20 *" client
}

check_aio_v2()
{
	want_line "$slog" 1 "conn 2 *" server && want_line "$clog" 1 "conn 2 *" client
}

check_aio_keyupdate()
{
	grep -q 'key updates local [1-9]' "$clog.err" ||
		{ echo "the client started no key update"; return 1; }
	grep -q 'key updates local 0 remote [1-9]' "$slog.err" ||
		{ echo "the server saw no key update: $(grep '^#' "$slog.err")"; return 1; }
}

check_ours_client_retry()
{
	[ "${4:-0}" -gt "${3:-0}" ] || { echo "QuicRetryReceived did not grow ($3 -> $4)"; return 1; }
	grep -q 'retry yes' "$slog.err" || { echo "the aioquic server sent no Retry"; return 1; }
}

check_ours_server_retry()
{
	[ "${2:-0}" -gt "${1:-0}" ] || { echo "QuicRetrySent did not grow ($1 -> $2)"; return 1; }
	grep -q 'retry yes' "$clog.err" || { echo "the aioquic client got no Retry"; return 1; }
}

check_ours_client_chacha20()
{
	want_line "$slog" 1 "conn ? chacha20 *" "aioquic server" &&
	want_line "$clog" 1 "conn * chacha20 *" "quic_h3 client"
}

check_ours_server_chacha20()
{
	want_line "$slog" 1 "conn * chacha20 *" "quic_h3 server" &&
	want_line "$clog" 1 "conn ? chacha20 *" "aioquic client"
}

check_ours_server_keyupdate()
{
	grep -q 'key updates local [1-9]' "$clog.err" ||
		{ echo "the aioquic client started no key update"; return 1; }
	grep -q '^key-update phase 1' "$slog.out" "$slog.err" ||
		{ echo "quic_h3 server printed no 'key-update phase 1'"; return 1; }
}

check_ours_client_keyupdate()
{
	grep -q 'key updates local 0 remote [1-9]' "$slog.err" ||
		{ echo "the aioquic server saw no key update: $(grep '^#' "$slog.err")"; return 1; }
}

check_ours_client_v2()
{
	want_line "$slog" 1 "conn 2 *" "aioquic server" &&
	want_line "$clog" 1 "conn v2 *" "quic_h3 client"
}

check_ours_server_v2()
{
	want_line "$slog" 1 "conn v2 *" "quic_h3 server" &&
	want_line "$clog" 1 "conn 2 *" "aioquic client"
}

# resume NAME SRV CLI ZERORTT: two connections to one server, the client
# with --session-file (the second time with --zerortt if ZERORTT); the
# second conn line must say resumed=yes (0rtt=yes) on both sides.
resume()
{
	local name=$1 skind=$2 ckind=$3 zrtt=$4 out=$work/$1.dl sess=$work/$1.sess
	local rc src why n t0=$SECONDS want="*resumed=yes 0rtt=no"

	slog=$work/$name.server clog=$work/$name.client
	[ -n "$zrtt" ] && want="*resumed=yes 0rtt=yes"
	port=$((port + 1))
	rm -f "$sess" "$out"
	start_server "$skind" "$slog" --count 2 "$saddr" "$port" "$work/www"
	if ! wait_udp "$port" "$spid"; then
		server_status "$spid"
		not_ok "$name" "the $skind server did not listen on port $port"
		return
	fi
	for n in 1 2; do
		local extra=()

		[ "$n" = 2 ] && [ -n "$zrtt" ] && extra=(--zerortt)
		run_client "$ckind" "$clog.$n" --cafile "$work/cert.pem" --sni localhost \
			--session-file "$sess" "${extra[@]}" -o "$out" "$saddr" "$port" /small.bin
		rc=$?
		if [ $rc -ne 0 ]; then
			server_status "$spid"
			not_ok "$name" "the $ckind client (run $n) failed (exit $rc):" \
				"$(last_err "$clog.$n.err")"
			return
		fi
		if ! why=$(check_file "$out" "$work/www/small.bin"); then
			server_status "$spid"
			not_ok "$name" "run $n: $why"
			return
		fi
		if [ "$n" = 1 ] && [ ! -s "$sess" ]; then
			server_status "$spid"
			not_ok "$name" "run 1 saved no session ticket to $sess"
			return
		fi
		rm -f "$out"
	done
	server_status "$spid"
	if [ "$src" != 0 ]; then
		not_ok "$name" "the $skind server failed (exit $src): $(last_err "$slog.err")"
	elif ! why=$(want_line "$clog.2" 1 "$want" "$ckind client"); then
		not_ok "$name" "$why"
	elif ! why=$(want_line "$slog" 2 "$want" "$skind server"); then
		not_ok "$name" "$why"
	else
		echo "ok $name"
		echo "# $name: $((SECONDS - t0)) s"
	fi
}

multiplex()
{
	local name=$1 out=$work/$1.dir rc src why i t0=$SECONDS paths=()

	slog=$work/$name.server clog=$work/$name.client
	port=$((port + 1))
	rm -rf "$out"
	for i in $(seq 10); do
		paths+=("/m$i.bin")
	done
	start_server aio "$slog" --count 1 "$saddr" "$port" "$work/www"
	if ! wait_udp "$port" "$spid"; then
		server_status "$spid"
		not_ok "$name" "the aio server did not listen on port $port"
		return
	fi
	run_client aio "$clog" --no-verify -o "$out" "$saddr" "$port" "${paths[@]}"
	rc=$?
	server_status "$spid"
	if [ $rc -ne 0 ]; then
		not_ok "$name" "the aio client failed (exit $rc): $(last_err "$clog.err")"
		return
	fi
	for i in $(seq 10); do
		if ! why=$(check_file "$out/m$i.bin" "$work/www/m$i.bin"); then
			not_ok "$name" "$why"
			return
		fi
	done
	if [ "$(grep -c ' 200 32768$' "$clog.out")" -ne 10 ]; then
		not_ok "$name" "want 10 lines 'PATH 200 32768' from the client"
	elif [ "$(grep -c '^conn ' "$clog.out")" -ne 1 ]; then
		not_ok "$name" "want one connection"
	elif [ "$src" != 0 ]; then
		not_ok "$name" "the aio server failed (exit $src): $(last_err "$slog.err")"
	else
		echo "ok $name"
		echo "# $name: $((SECONDS - t0)) s"
	fi
	rm -rf "$out"
}

cases="aio-plain aio-retry aio-chacha20 aio-v2 aio-resumption aio-zerortt aio-keyupdate
aio-multiplexing aio-ipv6
ours-client-plain ours-client-retry ours-client-chacha20
ours-server-plain ours-server-retry ours-server-chacha20
ours-server-keyupdate ours-client-keyupdate ours-client-v2 ours-server-v2
ours-client-resumption ours-server-resumption ours-client-zerortt ours-server-zerortt
ours-client-ipv6 ours-server-ipv6"
cases=${AQ_CASES:-$cases}

[ "$(id -u)" = 0 ] || fail_all "needs root (network namespaces, chroot)"
[ -f "$root/.quic-interop-ready" ] ||
	fail_all "no trixie root at $root (make it with tools/quic/trixie-root.sh)"
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/aioquic-selftest.XXXXXX) || fail_all "no temporary directory"
	created_work=$work
fi
case $(readlink -f "$work") in
/tmp/*) ;;
*) fail_all "WORKDIR must be under /tmp (the only tree shared with the chroot)" ;;
esac
mkdir -p "$work/www" || fail_all "cannot create $work"
{
	head -c $BIG /dev/urandom > "$work/www/big.bin" &&
	head -c $MID /dev/urandom > "$work/www/mid.bin" &&
	head -c $SMALL /dev/urandom > "$work/www/small.bin" &&
	for i in $(seq 10); do
		head -c 32768 /dev/urandom > "$work/www/m$i.bin" || exit 1
	done
} || fail_all "cannot write the files to serve"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:$saddr,IP:$saddr6" > /dev/null 2>&1 ||
	fail_all "openssl could not make a certificate"
setup || fail_all "network namespace setup failed"
[ -r /proc/net/quic/snmp ] || modprobe quic 2> /dev/null
echo "# aioquic $(cat "$root/.quic-interop-ready") from $root; quic_h3: $h3"

ca="--cafile $work/cert.pem --sni localhost"
for c in $cases; do
	case $c in
	aio-plain)	transfer "$c" aio aio mid.bin "" "$ca" ;;
	aio-retry)	transfer "$c" aio aio mid.bin --retry "$ca" ;;
	aio-chacha20)	transfer "$c" aio aio mid.bin "--cipher chacha20" "$ca --cipher chacha20" ;;
	aio-v2)		transfer "$c" aio aio mid.bin "--version 2" "$ca --version 2" ;;
	aio-resumption)	resume "$c" aio aio "" ;;
	aio-zerortt)	resume "$c" aio aio 1 ;;
	aio-keyupdate)	transfer "$c" aio aio mid.bin "" "$ca --key-update" ;;
	aio-multiplexing) multiplex "$c" ;;
	aio-ipv6)	transfer "$c" aio aio mid.bin "" "$ca" ;;
	ours-client-plain) transfer "$c" aio ours big.bin "" "$ca" ;;
	ours-client-retry) transfer "$c" aio ours big.bin --retry "$ca" ;;
	ours-client-chacha20)
		transfer "$c" aio ours big.bin "--cipher chacha20" "$ca --cipher chacha20" ;;
	ours-server-plain) transfer "$c" ours aio big.bin "" "$ca" ;;
	ours-server-retry) transfer "$c" ours aio big.bin --retry "$ca" ;;
	ours-server-chacha20)
		transfer "$c" ours aio big.bin "--cipher chacha20" "$ca --cipher chacha20" ;;
	ours-server-keyupdate) transfer "$c" ours aio big.bin "" "$ca --key-update" ;;
	ours-client-keyupdate) transfer "$c" aio ours big.bin "" "$ca --key-update" ;;
	ours-client-v2)	transfer "$c" aio ours big.bin "--version 2" "$ca --version 2" ;;
	ours-server-v2)	transfer "$c" ours aio big.bin "--version 2" "$ca --version 2" ;;
	ours-client-resumption) resume "$c" aio ours "" ;;
	ours-server-resumption) resume "$c" ours aio "" ;;
	ours-client-zerortt) resume "$c" aio ours 1 ;;
	ours-server-zerortt) resume "$c" ours aio 1 ;;
	ours-client-ipv6) transfer "$c" aio ours big.bin "" "$ca" ;;
	ours-server-ipv6) transfer "$c" ours aio big.bin "" "$ca" ;;
	*) not_ok "$c" "no such case" ;;
	esac
done

[ $failed -eq 0 ] && exit 0
echo "# $failed case(s) failed"
exit 1
