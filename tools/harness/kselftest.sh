#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the kernel headers and build the QUIC kselftests for the guest.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
obj=$top/build/obj
make -s -C "$top/build/linux" O="$obj" headers_install
rm -rf "$top/build/kselftest"
make -s -C "$top/build/linux/tools/testing/selftests" TARGETS=net/quic \
	O="$top/build/kselftest-build" KHDR_INCLUDES="-isystem $obj/usr/include" \
	INSTALL_PATH="$top/build/kselftest" install
ls "$top/build/kselftest/net/quic"
