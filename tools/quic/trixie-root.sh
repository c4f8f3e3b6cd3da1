#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make (or reuse) a Debian trixie root file system with python3-aioquic,
# for tools/quic/aioquic_peer.py, a foreign QUIC stack for the interop
# cases.  The host is bookworm, whose glibc is too old for trixie's
# binaries, so the peer runs in this root under chroot.
#
#   trixie-root.sh		(as root, on the host, with network access)
#
# The root goes to ${QUIC_TRIXIE_ROOT:-$HOME/.cache/quic-interop/trixie}.
# The mirror is the host's own: the first Debian main archive in
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}
# (security archives skipped), so this file names no archive host.
# A complete root has DIR/.quic-interop-ready, written last and holding
# the aioquic version; a root without it is a half-made one (an earlier
# run was stopped) and is removed and made again.  The aioquic version is
# printed at the end.

set -euo pipefail

root=${QUIC_TRIXIE_ROOT:-$HOME/.cache/quic-interop/trixie}
marker=$root/.quic-interop-ready
suite=trixie
# python3-cryptography needs python3-cffi-backend through a virtual package
# (python3-cffi-backend-api-*), which debootstrap does not resolve: without
# naming it here, python3-cryptography stays unconfigured and debootstrap
# fails.
pkgs=python3-aioquic,python3-cffi-backend,ca-certificates,openssl

die()
{
	echo "trixie-root: $*" >&2
	exit 1
}

# Is @1 a Debian suite name (a codename or an alias, possibly with
# -updates/-backports/-proposed-updates)?  Third-party archives also have
# a "main" component; their suites are not named like this.
debian_suite()
{
	case ${1%%-*} in
	buzz|rex|bo|hamm|slink|potato|woody|sarge|etch|lenny|squeeze|wheezy|\
	jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke|sid|\
	stable|testing|unstable|oldstable|oldoldstable)
		return 0 ;;
	esac
	return 1
}

# Print the URI of the first Debian main archive the host's apt uses.
host_mirror()
{
	local f line uri uris suites s

	# One-line format: deb [options] URI SUITE COMPONENT...
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		while read -r line; do
			line=${line%%#*}
			line=$(sed -E 's/\[[^]]*\]//' <<< "$line")
			# shellcheck disable=SC2086 # split into words on purpose
			set -- $line
			if [ $# -lt 4 ] || [ "$1" != deb ]; then
				continue
			fi
			uri=$2 s=$3
			shift 3
			case $uri in *security*) continue ;; esac
			debian_suite "$s" || continue
			case " $* " in *" main "*) echo "${uri%/}"; return 0 ;; esac
		done < "$f"
	done
	# deb822 format: stanzas of "Field: value" lines, blank-line separated.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && comps ~ /(^| )main( |$)/ &&
				    uris != "" && uris !~ /security/ && enabled != "no")
					print uris "\t" suites
				types = uris = suites = comps = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				k = tolower($1); sub(/:$/, "", k)
				v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v
				else if (k == "uris") uris = v
				else if (k == "suites") suites = v
				else if (k == "components") comps = v
				else if (k == "enabled") enabled = tolower(v)
			}
			END { flush() }' "$f")
		while IFS=$'\t' read -r uris suites; do
			[ -n "$uris" ] || continue
			for s in $suites; do
				if debian_suite "$s"; then
					# shellcheck disable=SC2086 # the first of the URIs
					set -- $uris
					echo "${1%/}"
					return 0
				fi
			done
		done <<< "$uri"
	done
	return 1
}

# Nothing may be mounted below the root when it is removed.
check_unmounted()
{
	if findmnt -rn -o TARGET | grep -q "^$root/"; then
		die "something is mounted below $root; unmount it first"
	fi
}

aioquic_version()
{
	chroot "$root" python3 -c 'import aioquic, aioquic.h3.connection, cryptography
print(aioquic.__version__)'
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"

# Two runs at once (two clones sharing ~/.cache) make the root once.
mkdir -p "$(dirname "$root")"
exec 9> "$root.lock"
flock 9

if [ -f "$marker" ]; then
	ver=$(aioquic_version) || die "$root is marked ready, but aioquic does not import"
	echo "trixie-root: $root is ready, aioquic $ver"
	exit 0
fi

if [ -e "$root" ]; then
	echo "trixie-root: $root is incomplete; making it again" >&2
	check_unmounted
	rm -rf --one-file-system "$root"
fi

if ! command -v debootstrap > /dev/null; then
	if ! { apt-get update -q && apt-get install -y -q debootstrap; }; then
		die "could not install debootstrap"
	fi
fi
[ -e /usr/share/debootstrap/scripts/$suite ] ||
	die "this debootstrap does not know $suite; a newer debootstrap is needed"

mirror=$(host_mirror) || die "no Debian main archive in the host's apt sources"
echo "trixie-root: debootstrap $suite from $mirror into $root"

mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include=$pkgs $suite "$root" "$mirror"

# apt in the new root checks that every dependency, virtual ones included,
# is met (and brings python3-cffi-backend if debootstrap left it out).
[ -s "$root/etc/resolv.conf" ] || cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
chroot "$root" apt-get update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-cffi-backend
chroot "$root" apt-get check -q
chroot "$root" apt-get clean
# The guest sees this root read-only, and a module without its .pyc is
# compiled again at every start, which under TCG costs seconds.  Debian's
# postinst scripts compile their modules already; this makes sure of it
# for a new root (a no-op when every .pyc is there and up to date).
chroot "$root" python3 -m compileall -q -j 0 /usr/lib/python3/dist-packages \
	"$(chroot "$root" python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
umount "$root/proc"
trap - EXIT

ver=$(aioquic_version) || die "aioquic does not import in the new root"
echo "$ver" > "$marker"
echo "trixie-root: $root is ready, aioquic $ver"
