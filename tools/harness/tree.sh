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
	rm -rf "$base" "$build/extract"
	mkdir -p "$build/extract"
	tar -C "$build/extract" -xf "$src"
	mv "$build/extract"/linux-source-* "$base"
	rmdir "$build/extract"
	git -C "$base" init -q -b pristine
	# Debian's .gitignore hides the top level; track everything (-f).
	git -C "$base" add -A -f
	git -C "$base" -c user.name=harness -c user.email=harness@localhost \
		commit -q -m "base"
fi
# The base commit is the same on every machine (fixed identity and date),
# so that the series' commit IDs and base-commit line are reproducible.
src=$(ls /usr/src/linux-source-7.*.tar.xz | sort -V | tail -1)
pkg=$(basename "$src" .tar.xz)
ver=$(dpkg-query -W -f '${Version}' "$pkg")
want=$(cd "$base" && GIT_AUTHOR_NAME=harness GIT_AUTHOR_EMAIL=harness@localhost \
	GIT_COMMITTER_NAME=harness GIT_COMMITTER_EMAIL=harness@localhost \
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
	git commit-tree -m "Linux $ver (Debian $pkg)" "$(git rev-parse 'HEAD^{tree}')")
if [ "$(git -C "$base" rev-parse -q --verify 'base^{commit}')" != "$want" ]; then
	git -C "$base" tag -f base "$want" >/dev/null
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
# --from-base: the glued kernel files start from the base each time, so
# that a changed edit replaces the old one instead of joining it.
python3 "$top/tools/harness/glue.py" --from-base "$tree" \
	$(python3 "$top/tools/harness/series.py" glue)
