#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the test kernel: allnoconfig + tools/harness/base.config +
# Kconfig.quic, with ccache (cache in ~/.cache/quic-ccache).
#
#   kernel.sh          CONFIG_IP_QUIC=y, bzImage in build/obj
#   kernel.sh m        CONFIG_IP_QUIC=m, quic.ko in build/obj-m
#   kernel.sh debug    =y with KASAN, lockdep and kmemleak (debug.config),
#                      bzImage in build/obj-debug
#   kernel.sh clang    =y, net/quic/ only, with clang 19 (LLVM=-19) and W=1,
#                      in build/obj-clang: no warning
#   kernel.sh i386     =y, net/quic/ only, 32-bit x86 (ARCH=i386) and W=1,
#                      in build/obj-i386: no warning
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-y}
tree=$top/build/linux
obj=$top/build/obj
[ "$mode" = m ] && obj=$top/build/obj-m
[ "$mode" = debug ] && obj=$top/build/obj-debug
[ "$mode" = clang ] && obj=$top/build/obj-clang
[ "$mode" = i386 ] && obj=$top/build/obj-i386
jobs=$(nproc)

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/quic-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_BASEDIR=$top/build
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export KBUILD_BUILD_TIMESTAMP="Sun Nov 22 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=quic KBUILD_BUILD_HOST=harness
mk=(make -C "$tree" O="$obj" -j"$jobs" CC="ccache gcc" HOSTCC="ccache gcc")
[ "$mode" = clang ] && mk=(make -C "$tree" O="$obj" -j"$jobs" LLVM=-19 CC="ccache clang-19")
[ "$mode" = i386 ] && mk+=(ARCH=i386)

mkdir -p "$obj"
frag=$obj/quic.fragment
{ if [ "$mode" = i386 ]; then
	grep -v '^CONFIG_64BIT=' "$top/tools/harness/base.config"
  else
	cat "$top/tools/harness/base.config"
  fi
  cat "$top/Kconfig.quic"
  [ "$mode" != m ] || printf 'CONFIG_IP_QUIC=m\nCONFIG_IP_QUIC_KUNIT_TEST=m\n'
  [ "$mode" != debug ] || cat "$top/tools/harness/debug.config"
} > "$frag.new"
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$obj/.config" ] ||
   [ "$tree/net/quic/Kconfig" -nt "$obj/.config" ]; then
	mv "$frag.new" "$frag"
	"${mk[@]}" -s KCONFIG_ALLCONFIG="$frag" allnoconfig
	# Every option we asked for must have survived the dependency checks.
	bad=0
	while IFS= read -r opt; do
		grep -qxF "$opt" "$obj/.config" || { echo "config: $opt did not stick" >&2; bad=1; }
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | tac | awk -F= '!seen[$1]++' )
	[ $bad = 0 ] || exit 1
else
	rm -f "$frag.new"
fi

if [ "$mode" = m ]; then
	"${mk[@]}" -s vmlinux modules
	"${mk[@]}" -s W=1 net/quic/
	ls -l "$obj/net/quic/quic.ko" "$obj/net/quic/quic_kunit.ko" \
		"$obj/samples/quic/quic_sample.ko"
elif [ "$mode" = clang ] || [ "$mode" = i386 ]; then
	# Objects only: netdev's build bots ask for no new warning with
	# clang and on 32-bit; the link is the gcc builds' business.
	log=$obj/quic-w1.log
	"${mk[@]}" -s W=1 net/quic/ 2> "$log" || { cat "$log"; exit 1; }
	if grep -E 'warning:|error:' "$log"; then
		exit 1
	fi
elif [ "$mode" = debug ]; then
	"${mk[@]}" -s bzImage modules
else
	"${mk[@]}" -s bzImage modules	# modules: the sample consumer
	"${mk[@]}" -s W=1 net/quic/
fi
