#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs on a Debian 12 host.
#
# Extra suites (bookworm-backports, sid) are derived from the machine's own
# apt sources: we reuse the URI that already serves "bookworm", so no mirror
# host name lives in this repository.  sid is pinned low: we only take
# architecture-independent packages from it with "apt-get download", and
# sparse, which we build from its sid source into ~/.cache/quic-sparse (the
# harness runs it as CHECK=~/.cache/quic-sparse/bin/sparse): bookworm's
# sparse 0.6.4 cannot parse a 7.x kernel, scripts/checker-valid.sh rejects it
# and C=1 then silently checks nothing.
set -euo pipefail

stamp=/var/lib/quic-harness-deps.v8
sparse_dir=$HOME/.cache/quic-sparse
[ -e "$stamp" ] && [ -x "$sparse_dir/bin/sparse" ] &&
	[ "${1:-}" != "--force" ] && exit 0

extra=/etc/apt/sources.list.d/quic-harness.sources
uri=$(awk '/^URIs:/ {u=$2}
	/^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm") {print u; exit}}' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$uri" ]; then
	uri=$(awk '$1=="deb" && $3 ~ /^bookworm$/ {print $2; exit}' \
		/etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$uri" ] || { echo "deps: no bookworm apt source found" >&2; exit 1; }

cat > "$extra" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $uri
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/quic-harness <<'PIN'
Package: *
Pin: release n=sid
Pin-Priority: 50

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
PIN

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# ocaml-nox: spatch compiles the OCaml script rules of some semantic
# patches (coccicheck); without it they fail ("No OCaml compiler found").
# nftables: the guest's router namespace masquerades with nft.
apt-get install -y -qq --no-install-recommends \
	build-essential flex bison bc libelf-dev libssl-dev dwarves cpio kmod \
	ccache git python3 rsync zstd xz-utils \
	qemu-system-x86 qemu-utils busybox-static iproute2 iputils-ping nftables \
	python3-argcomplete python3-requests udev kbd file util-linux-extra \
	libgnutls28-dev pkg-config sparse valgrind openssl \
	clang-19 lld-19 llvm-19 debootstrap coccinelle ocaml-nox python3-docutils \
	>/dev/null

# The foreign QUIC stack for interop (ngtcp2's GnuTLS client and server) and
# nghttp3 for our HTTP/3 tools, from bookworm-backports.  The package would
# start a server on localhost:7777: mask the unit before it is installed.
ln -sf /dev/null /etc/systemd/system/ngtcp2d.service
apt-get install -y -qq --no-install-recommends -t bookworm-backports \
	ngtcp2-client ngtcp2-server libnghttp3-dev >/dev/null

# virtme-ng and the kernel source come from sid (architecture independent).
dl=$(mktemp -d)
ver=$(apt-cache search --names-only '^linux-source-7\.[0-9]+$' |
	awk '{print $1}' | sort -V | tail -1)
[ -n "$ver" ] || { echo "deps: no linux-source-7.x found" >&2; exit 1; }
(cd "$dl" && apt-get download -qq "$ver" virtme-ng)
dpkg -i --force-depends "$dl"/*.deb >/dev/null
rm -rf "$dl"

# sparse from sid's source (sid's binary wants a newer glibc), rebuilt only
# when that version changes.  Only the checker itself: no LLVM, GTK, SQLite;
# CC=gcc overrides the packaging's versioned compiler.  (0.6.5~rc1 still
# prints "0.6.4" for --version; $sparse_dir/version holds the package's.)
sver=$(apt-cache showsrc sparse | awk '/^Version:/ {print $2}' | sort -V | tail -1)
[ -n "$sver" ] || { echo "deps: no sparse source package found" >&2; exit 1; }
if [ "$(cat "$sparse_dir/version" 2>/dev/null)" != "$sver" ] ||
   [ ! -x "$sparse_dir/bin/sparse" ]; then
	sb=$(mktemp -d)
	chown _apt "$sb"	# apt fetches as _apt
	(cd "$sb" && apt-get source -qq "sparse=$sver" >/dev/null)
	make -s -C "$sb"/sparse-*/ -j"$(nproc)" CC=gcc \
		HAVE_LLVM=no HAVE_GTK=no HAVE_SQLITE=no sparse >/dev/null
	install -D -m 755 "$sb"/sparse-*/sparse "$sparse_dir/bin/sparse"
	echo "$sver" > "$sparse_dir/version"
	rm -rf "$sb"
fi
"$sparse_dir/bin/sparse" --version >/dev/null

echo "$ver" > "$stamp"
