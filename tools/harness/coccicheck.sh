#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Coccinelle as netdev's CI runs it: every semantic patch of the kernel
# tree in report mode on net/quic, and not one report.  Each file of the
# series is added whole by one patch, so the tree's files are the
# patches' files: one run covers the series.
#
# First a probe: a file with a known defect (a semicolon after a block)
# must be reported, or a broken spatch would pass silently.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tree=$top/build/linux
jobs=$(nproc)
command -v spatch > /dev/null || { echo "coccicheck: no spatch (coccinelle)" >&2; exit 1; }

# Lines like "./conn.c:12:3-9: message" are reports.
reports() {
	grep -E '^[^ ]+\.[ch]:[0-9]+:' "$1" || true
}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat > "$probe/probe.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
int probe(int a);
int probe(int a)
{
	if (a) {
		a++;
	};
	return a;
}
EOF
make -s -C "$tree" coccicheck MODE=report M="$probe" J="$jobs" \
	COCCI="$tree/scripts/coccinelle/misc/semicolon.cocci" > "$probe/log" 2>&1 || true
if [ -z "$(reports "$probe/log")" ]; then
	echo "coccicheck: the probe's defect was not reported:" >&2
	cat "$probe/log" >&2
	exit 1
fi

log=$top/build/logs/coccicheck-report.txt
mkdir -p "$(dirname "$log")"
if ! make -s -C "$tree" coccicheck MODE=report M=net/quic J="$jobs" > "$log" 2>&1; then
	tail -n 20 "$log"
	exit 1
fi
out=$(reports "$log")
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "coccicheck: probe reported; no report on net/quic"
