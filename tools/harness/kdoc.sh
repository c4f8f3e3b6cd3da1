#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel-doc on every source and header we add: no warning.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
files=$(git ls-files 'net/quic/*.[ch]' include/uapi/linux/quic.h include/linux/quic.h)
out=$("$top/build/linux/scripts/kernel-doc" -none -Wall $files 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "kernel-doc: $(echo $files | wc -w) files clean"
# The documentation is plain reST (no Sphinx directive of the kernel's):
# docutils checks its syntax without a whole "make htmldocs".
rst=Documentation/networking/quic.rst
/usr/bin/rst2html --halt=warning --report=warning "$rst" > /dev/null
echo "reST: $rst clean"
