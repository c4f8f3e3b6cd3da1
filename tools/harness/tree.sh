#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the kernel source trees under build/:
#   build/base   pristine linux-source-7.x as a git repository (tag v7.x-base)
#   build/linux  a worktree of it with our files copied in and glue applied
# Files are copied only when their content changed so that make's timestamps
# stay meaningful and a warm rebuild recompiles only what was touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
base=$build/base
tree=$build/linux

if [ ! -d "$base/.git" ]; then
	src=$(ls /usr/src/linux-source-7.*.tar.xz | sort -V | tail -1)
	ver=$(dpkg-query -W -f '${Version}' "$(basename "$src" .tar.xz)")
	rm -rf "$base" "$build/extract"
	mkdir -p "$build/extract"
	tar -C "$build/extract" -xf "$src"
	mv "$build/extract"/linux-source-* "$base"
	rmdir "$build/extract"
	git -C "$base" init -q -b base
	# Debian's .gitignore hides the top level; track everything (-f).
	git -C "$base" add -A -f
	git -C "$base" -c user.name=harness -c user.email=harness@localhost \
		commit -q -m "Linux $ver (Debian $(basename "$src" .tar.xz))"
	git -C "$base" tag base
fi
if [ ! -d "$tree" ]; then
	git -C "$base" worktree prune
	git -C "$base" worktree add -q --detach "$tree" base
fi

# Copy the files we own (the manifest lists them) and remove those we dropped.
list=$build/overlay.list
python3 "$top/tools/harness/series.py" files > "$list.new"
if [ -f "$list" ]; then
	comm -23 <(sort "$list") <(sort "$list.new") | while read -r f; do
		rm -f "$tree/$f"
	done
fi
while read -r f; do
	mkdir -p "$(dirname "$tree/$f")"
	cmp -s "$top/$f" "$tree/$f" || cp "$top/$f" "$tree/$f"
done < "$list.new"
mv "$list.new" "$list"
python3 "$top/tools/harness/glue.py" "$tree" $(python3 "$top/tools/harness/series.py" glue)
