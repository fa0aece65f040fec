#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds anycast-agent_VERSION_ARCH.deb from the working tree: exports the tree's files
# (tracked, and untracked ones git does not ignore) into OUTDIR/anycast-agent-VERSION/,
# puts packaging/debian there as debian/ and runs dpkg-buildpackage -us -uc -b. The .deb
# lands in OUTDIR. Needs neither root nor network (Rules-Requires-Root: no).
#
#   packaging/build-deb.sh VERSION [OUTDIR]     (make deb; OUTDIR defaults to build/deb)
set -eu

version=${1:?usage: build-deb.sh VERSION [OUTDIR]}
src=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$src/build/deb}
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac

changelog=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
if [ "$changelog" != "$version" ]; then
	echo "build-deb: packaging/debian/changelog is at $changelog, the Makefile at" \
		"$version: add a changelog entry (dch -c packaging/debian/changelog -v $version)" >&2
	exit 1
fi

tree=$out/anycast-agent-$version
rm -rf "$tree"
mkdir -p "$tree"
# The file list: git's view when this is a checkout (the caller may not own it, hence
# safe.directory), else everything but build products.
list=$out/files.list
if git -c safe.directory="$src" -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -c safe.directory="$src" -C "$src" ls-files --cached --others --exclude-standard >"$list"
else
	(cd "$src" && find . -path ./build -prune -o -path ./.git -prune -o -type f -print |
		sed 's|^\./||' | grep -vx 'anycast-agent') >"$list"
fi
# Files deleted in the working tree are still in git's index; the package's own debian/
# comes from packaging/debian below.
(cd "$src" && while IFS= read -r f; do
	[ -f "$f" ] || [ -L "$f" ] || continue
	case $f in packaging/debian/.debhelper/* | packaging/debian/anycast-agent/*) continue ;; esac
	printf '%s\n' "$f"
done) <"$list" >"$list.present"
tar -C "$src" -cf - -T "$list.present" | tar -C "$tree" -xf -
rm -f "$list" "$list.present"
rm -rf "$tree/debian"
cp -a "$src/packaging/debian" "$tree/debian"

cd "$tree"
dpkg-buildpackage -us -uc -b
ls "$out"/anycast-agent_"$version"_*.deb
