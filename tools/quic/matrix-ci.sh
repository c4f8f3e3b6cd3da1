#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The interop matrix as CI runs it, in the guest (tools/harness/guest.sh),
# as root:
#
#   matrix-ci.sh BINDIR
#
# BINDIR holds quic_h3.  Runs tools/quic/interop-matrix.sh once over both
# stacks, so that its output (one "ok CELL" or "not ok CELL: why" line per
# cell, results.py's "matrix:CELL") is one file:
#   ngtcp2, aioquic	every scenario but handshakeloss and
#			handshakecorruption, both roles
# The aioquic peer is aioquic_peer.py in the trixie root of
# tools/quic/trixie-root.sh (QUIC_TRIXIE_ROOT, default
# ~/.cache/quic-interop/trixie), which the host makes before the guest
# boots.  The two scenarios at 30% loss or corruption take 30-80 s per
# cell in TCG and still fail now and then (README): they run by hand
# (interop-matrix.sh).  A cell that
# cannot run (no trixie root, no netem) fails: CI must not pass on cells
# it never ran.  The aioquic peers are children of one fork server
# (aioquic-selftest.sh forkserver), started first so that Python's 10 s
# start under TCG overlaps the ngtcp2 cells.  MATRIX_CASES, when set,
# narrows the cells further (globs, as for interop-matrix.sh).  Exit
# status: interop-matrix.sh's.

set -u
# The cell names are globs for interop-matrix.sh, not for the shell.
set -f
# The aioquic peer runs chrooted into the trixie root, which sees only /tmp.
export TMPDIR=/tmp

here=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")
bindir=${1:?usage: matrix-ci.sh BINDIR}
root=${QUIC_TRIXIE_ROOT:-$HOME/.cache/quic-interop/trixie}
scenarios="handshake transfer retry resumption zerortt http3 multiplexing keyupdate chacha20 v2
transferloss transfercorruption blackhole amplificationlimit ipv6 ecn"
fs=
fs_pid=

# shellcheck disable=SC2317 # run by the trap
cleanup()
{
	if [ -n "$fs_pid" ]; then
		kill "$fs_pid" 2> /dev/null
		wait "$fs_pid" 2> /dev/null
	fi
	[ -n "$fs" ] && rm -rf "$fs" "$fs.log"
}
trap cleanup EXIT

cases=
for s in $scenarios; do
	cases="$cases ngtcp2-*-$s aioquic-*-$s"
done
# Only those of MATRIX_CASES, when given.
if [ -n "${MATRIX_CASES:-}" ]; then
	narrowed=
	for c in $cases; do
		for pat in $MATRIX_CASES; do
			for role in server client; do
				cell=${c/\*/$role}
				# shellcheck disable=SC2053 # a glob on purpose
				[[ $cell == $pat ]] && narrowed="$narrowed $cell"
			done
		done
	done
	cases=$narrowed
	if [ -z "$cases" ]; then
		echo "not ok setup: MATRIX_CASES matches no cell"
		exit 1
	fi
fi
# Every cell must report: one that silently went missing must not pass.
want=0
for c in $cases; do
	case $c in
	*\**) want=$((want + 2)) ;;	# both roles
	*) want=$((want + 1)) ;;
	esac
done

unset AIOQUIC_PEER AIOQUIC_FORKSERVER
if [ -f "$root/.quic-interop-ready" ]; then
	fs=$(mktemp -d /tmp/aq-forkserver.XXXXXX) || { echo "not ok setup: mktemp"; exit 1; }
	bash "$here/aioquic-selftest.sh" forkserver "$fs" > "$fs.log" 2>&1 &
	fs_pid=$!
	export AIOQUIC_FORKSERVER=$fs
	export AIOQUIC_PEER="bash $here/aioquic-selftest.sh peer"
	echo "# aioquic $(cat "$root/.quic-interop-ready") from $root"
else
	# Every aioquic cell then fails as not run.
	echo "# no trixie root at $root (tools/quic/trixie-root.sh on the host)"
fi

out=$(mktemp /tmp/matrix-ci.XXXXXX) || { echo "not ok setup: mktemp"; exit 1; }
MATRIX_STACKS="ngtcp2 aioquic" MATRIX_CASES=$cases MATRIX_SKIP=fail \
	bash "$here/interop-matrix.sh" "$bindir" | tee "$out"
rc=${PIPESTATUS[0]}
got=$(grep -cE '^(not )?ok ' "$out")
rm -f "$out"
if [ "$got" -ne "$want" ]; then
	echo "not ok matrix-cells: $got of $want cells reported"
	rc=1
fi
if [ -n "$fs" ] && [ -s "$fs.log" ]; then
	echo "# aioquic fork server log (last lines):"
	tail -n 5 "$fs.log" | sed 's/^/#   /'
fi
exit $rc
