#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot build/obj's bzImage under virtme-ng (QEMU TCG, no KVM here) and run
# guest.sh in it.  Results land in build/guest-out/.
#   vm.sh              run the kselftests
#   vm.sh CMD...       run CMD instead
# QUIC_VM_OUT and QUIC_VM_KERNEL override the output directory and the
# bzImage, so several guests can run from one tree; QUIC_VM_TIMEOUT the
# seconds the guest may take (900).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${QUIC_VM_OUT:-$top/build/guest-out}
kernel=${QUIC_VM_KERNEL:-$top/build/obj/arch/x86/boot/bzImage}
kst=$top/build/kselftest
rm -rf "$out"
mkdir -p "$out"
cd "$top/build/linux"
# -v puts the kernel console on stdout: keep it, it shows a crash.
# tsc=unstable: sched_clock then never turns stable, so its static key is
# not live-patched while the other vCPU runs it.  Under TCG that patching
# has oopsed on an int3 in sched_clock_cpu() at boot (CI, session 3).
timeout "${QUIC_VM_TIMEOUT:-900}" vng --run "$kernel" --disable-kvm \
	--force-9p --cpus 2 --memory 2G --user root --rwdir "$out" -v \
	--append "${QUIC_VM_APPEND-tsc=unstable}" \
	--exec "$top/tools/harness/guest.sh $out $kst $*" </dev/null \
	> "$out/console.txt" 2>&1 || true
if [ ! -f "$out/finished" ]; then
	tail -n 60 "$out/console.txt"
	echo "vm: the guest did not finish" >&2
	exit 1
fi
