#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package, end to end: `make deb` as an unprivileged user without network (as a
# build daemon runs it: Rules-Requires-Root: no, the unit tests run, the kernel tests skip),
# lintian --pedantic (no error, no warning), dpkg -i, the installed files, conffiles, user
# and unit, `make install DESTDIR=... PREFIX=/usr` installing the same files, the
# installed binary's --config-test on the installed configuration (as root and as the
# service's user), the unit's systemd-analyze security score (<= 2.0) and verify (silent),
# a reinstall that keeps a changed conffile, then dpkg --purge and nothing left but what
# Debian policy keeps (the anycast-agent system user). Then, under a real systemd in a
# container: the shipped configuration announces nothing, a configured service does, and
# reload, the watchdog, kills, an upgrade (no route moves), stop and purge.
#
#   tests/test_package.sh          run as root, from anywhere; builds from this checkout.
#   AA_KEEP=1                      keeps the temporary directory (build logs, lintian).
#   AA_NSPAWN=0                    skips the part under systemd (the container).
#
# Refuses to run when anycast-agent is installed: it would purge a real installation.
# With systemd running it keeps the service from starting (policy-rc.d) while installed.
# Depends on nothing an earlier run or another program left on this host: the container
# gets its own unbound configuration, no anycast-agent user and a fresh /run.
# Prints "ok N - ..." / "not ok N - ..." and closes with "N passed, M failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PKG=anycast-agent
BUILD_USER=nobody
BUILD_GROUP=nogroup
MAX_EXPOSURE=2.0
PLUGIN=/usr/lib/nagios/plugins/check_anycast_agent
# What tests/bed/campus.sh uncomments in the shipped configuration: its [service] block.
UNCOMMENT='s/^;(\[service |[a-z_]+ = )/\1/'
T0=$SECONDS

cleanup_install_traps
if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root (dpkg -i, dpkg --purge)"
	tap_summary
	exit 1
fi
missing=
for tool in dpkg-buildpackage dh lintian scdoc systemd-analyze systemd-sysusers setpriv unshare; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	tap_fail "tools installed (missing:$missing; tests/deps.sh installs them)"
	tap_summary
	exit 1
fi
pkg_status=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)
if [ -n "$pkg_status" ] && [ "$pkg_status" != not-installed ]; then
	tap_fail "$PKG is not installed on this host (it is, $pkg_status: this test would purge it)"
	tap_summary
	exit 1
fi
VERSION=$(sed -n 's/^VERSION *:= *//p' "$SRC/Makefile")
# The upgrade: the same tree at a higher version.
VERSION_UP=$VERSION+t1

T=$(mktemp -d /tmp/aa-pkg.XXXXXX) || exit 1
[ "${AA_KEEP:-0}" = 1 ] || cleanup_add rm -rf "$T"
chmod 755 "$T"
mkdir -p "$T/home"
chown "$BUILD_USER:$BUILD_GROUP" "$T/home"

TAP_ON_FAIL=
show_file_tail() {
	echo "last lines of $SHOW_FILE:"
	tail -n 15 "$SHOW_FILE" 2>/dev/null
}

# ------------------------------------------------------------------------- build

# copy_tree DEST: this checkout's files as build-deb.sh exports them (git's view when it is
# a checkout, else everything but build products), for a build at another version.
copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	if git -c safe.directory="$SRC" -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$SRC" -C "$SRC" ls-files -z --cached --others --exclude-standard
	else
		(cd "$SRC" && find . \( -path ./build -o -path ./.git -o -path ./anycast-agent \) \
			-prune -o -type f -print0)
	fi | (cd "$SRC" && while IFS= read -r -d '' f; do
		# files deleted in the working tree are still in git's index
		[ -f "$f" ] || [ -L "$f" ] || continue
		case $f in packaging/debian/.debhelper/* | packaging/debian/anycast-agent/*) continue ;; esac
		printf '%s\0' "$f"
	done) | tar -C "$SRC" --null -T - -cf - | tar -C "$dest" -xf -
}

# set_version DIR VERSION: the Makefile's VERSION and a changelog entry on top, as `dch -v`.
set_version() {
	local dir=$1 v=$2 who
	who=$(dpkg-parsechangelog -l "$dir/packaging/debian/changelog" -S Maintainer)
	sed -i "s/^VERSION *:= .*/VERSION    := $v/" "$dir/Makefile"
	{
		printf '%s (%s) unstable; urgency=medium\n\n' "$PKG" "$v"
		printf '  * test_package.sh: the same tree at a higher version, to test upgrades.\n\n'
		printf ' -- %s  %s\n\n' "$who" "$(date -R)"
		cat "$dir/packaging/debian/changelog"
	} >"$dir/changelog.new" && mv "$dir/changelog.new" "$dir/packaging/debian/changelog"
}

# build_deb SRCDIR OUTDIR LOG [ENV...]: `make deb` as BUILD_USER in a network namespace with
# only lo (a build daemon's view), or as root when BUILD_USER cannot read this checkout.
BUILD_RUN=(setpriv --reuid="$BUILD_USER" --regid="$BUILD_GROUP" --clear-groups
	--inh-caps=-all --bounding-set=-all --no-new-privs)
if ! "${BUILD_RUN[@]}" test -r "$SRC/Makefile" -a -x "$SRC/packaging/build-deb.sh"; then
	tap_diag "$BUILD_USER cannot read $SRC: building as root"
	BUILT_AS_ROOT=1
	BUILD_RUN=()
fi
build_deb() {
	local src=$1 out=$2 log=$3
	shift 3
	mkdir -p "$out"
	[ -n "${BUILT_AS_ROOT:-}" ] || chown "$BUILD_USER:$BUILD_GROUP" "$out"
	unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh \
		"${BUILD_RUN[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/home" LC_ALL=C.UTF-8 \
		"$@" make -C "$src" --no-print-directory deb DEBDIR="$out" >"$log" 2>&1
}

# Both at once: this checkout with its unit tests, and the upgrade's copy without (nocheck).
copy_tree "$T/src-up"
set_version "$T/src-up" "$VERSION_UP"
build_deb "$T/src-up" "$T/deb-up" "$T/build-up.log" DEB_BUILD_OPTIONS=nocheck &
up_pid=$!
build_st=0
build_deb "$SRC" "$T/deb" "$T/build.log" || build_st=$?
up_st=0
wait "$up_pid" || up_st=$?

SHOW_FILE=$T/build.log
TAP_ON_FAIL=show_file_tail
tap_check "make deb as $BUILD_USER without network: exit 0" test "$build_st" = 0
DEB=$(ls "$T/deb/${PKG}_${VERSION}"_*.deb 2>/dev/null | head -n 1)
CHANGES=$(ls "$T/deb/${PKG}_${VERSION}"_*.changes 2>/dev/null | head -n 1)
tap_check "it produced ${PKG}_${VERSION}_ARCH.deb and .changes" test -f "$DEB" -a -f "$CHANGES"
if [ ! -f "$DEB" ]; then
	tap_summary
	exit 1
fi
tap_check "the build ran the unit tests (cmocka)" \
	eval "grep -q '^== build/tests/test_config' '$T/build.log' && grep -q 'PASSED' '$T/build.log'"
tap_check "no unit test failed" not grep -qE '^\[  (FAILED|ERROR) *\]' "$T/build.log"
if [ -z "${BUILT_AS_ROOT:-}" ]; then
	tap_check "the kernel tests skipped cleanly without root" \
		grep -q 'not root: kernel tests skipped' "$T/build.log"
fi
tap_check "compiled with the hardening flags, without -Werror" eval "
	grep -E '^cc .* -c -o build/agent/main.o' '$T/build.log' | grep -q -- '-fstack-protector-strong' &&
	grep -E '^cc .* -c -o build/agent/main.o' '$T/build.log' | grep -q -- '-D_FORTIFY_SOURCE=2' &&
	grep -E '^cc .* -o build/anycast-agent ' '$T/build.log' | grep -q -- '-Wl,-z,now' &&
	! grep -E '^cc ' '$T/build.log' | grep -qE -- '-Werror( |$)'"

SHOW_FILE=$T/build-up.log
DEB_UP=$(ls "$T/deb-up/${PKG}_${VERSION_UP}"_*.deb 2>/dev/null | head -n 1)
tap_check "DEB_BUILD_OPTIONS=nocheck (a copy at $VERSION_UP, for the upgrade): builds, runs no test" \
	eval "[ $up_st = 0 ] && [ -f '$DEB_UP' ] && ! grep -q '^== build/tests/' '$T/build-up.log'"
TAP_ON_FAIL=

# ------------------------------------------------------------------------- lintian

# As the build user (lintian warns when it runs as root); in the background meanwhile.
lintian_run() {
	setpriv --reuid="$BUILD_USER" --regid="$BUILD_GROUP" --clear-groups \
		env -i PATH=/usr/bin:/bin HOME="$T/home" LC_ALL=C.UTF-8 \
		lintian --pedantic --display-info --display-experimental --fail-on error,warning \
		"$CHANGES" >"$T/lintian.out" 2>&1
	echo $? >"$T/lintian.rc"
}
lintian_run &
lintian_pid=$!

# ------------------------------------------------------------------------- install

# Installing starts the service when systemd runs; a test must not announce anything.
POLICY=/usr/sbin/policy-rc.d
if [ -d /run/systemd/system ] && [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# test_package.sh: no service start while it runs\n%s\n' \
		'case $1 in anycast-agent*) exit 101 ;; esac; exit 0' >"$POLICY"
	chmod 755 "$POLICY"
	cleanup_add rm -f "$POLICY"
fi
# Should anything below fail half-way, the package still goes.
cleanup_add dpkg --purge "$PKG"

user_existed=0
getent passwd "$PKG" >/dev/null && user_existed=1
SHOW_FILE=$T/dpkg-i.log
TAP_ON_FAIL=show_file_tail
install_st=0
dpkg -i "$DEB" >"$T/dpkg-i.log" 2>&1 || install_st=$?
tap_check "dpkg -i: exit 0" test "$install_st" = 0
tap_check "dpkg -i: installed" \
	test "$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)" = installed
TAP_ON_FAIL=
dpkg -L "$PKG" >"$T/files.list" 2>/dev/null

UNIT=
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -f "$d/$PKG.service" ] && UNIT=$d/$PKG.service
done
CONF=/etc/anycast-agent/anycast-agent.conf
EX=/usr/share/doc/$PKG/examples

tap_check "/usr/sbin/anycast-agent is executable and is version $VERSION" \
	test "$(/usr/sbin/anycast-agent -V 2>/dev/null)" = "anycast-agent $VERSION"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' "$PKG" | awk 'NF { print $1 }')
tap_check "$CONF is a conffile" grep -qx "$CONF" <<<"$conffiles"
tap_check "/etc/default/anycast-agent is a conffile" grep -qx /etc/default/anycast-agent <<<"$conffiles"
tap_check "$CONF is the repository's etc/anycast-agent.conf" cmp -s "$CONF" "$SRC/etc/anycast-agent.conf"
tap_check "the unit is installed (${UNIT:-missing}), as etc/anycast-agent.service" \
	eval "[ -n '$UNIT' ] && cmp -s '$UNIT' '$SRC/etc/anycast-agent.service'"
tap_check "the unit is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/$PKG.service
tap_check "man pages anycast-agent(8) and anycast-agent.conf(5) installed" \
	test -f /usr/share/man/man8/anycast-agent.8.gz -a -f /usr/share/man/man5/anycast-agent.conf.5.gz
for f in anycast-agent.conf frr.conf frr-intra-area.conf frr-bgp.conf unbound.conf; do
	if [ -f "$SRC/etc/$f" ]; then
		tap_check "example $EX/$f installed, as etc/$f" cmp -s "$EX/$f" "$SRC/etc/$f"
	else
		tap_diag "etc/$f is not in the tree: not checked"
	fi
done
tap_check "sysusers.d declares the user" test -f /usr/lib/sysusers.d/$PKG.conf
tap_check "Depends on the libraries it links, Recommends frr and unbound" eval "
	dpkg-query -W -f='\${Depends}' $PKG | grep -q libunbound8 &&
	dpkg-query -W -f='\${Depends}' $PKG | grep -q libmnl0 &&
	dpkg-query -W -f='\${Recommends}' $PKG | grep -qx 'frr, unbound'"
tap_check "monitoring plugin $PLUGIN is a link to /usr/sbin/anycast-agent" \
	eval "[ -L $PLUGIN ] && [ \"\$(readlink -f $PLUGIN)\" = /usr/sbin/anycast-agent ]"
# As a monitoring user runs it (no agent here, nothing configured: still one line).
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$PLUGIN" 2>/dev/null)
tap_check "... run as nobody it prints one line, 'ANYCAST ...' ($out)" \
	eval "[ \$(wc -l <<<\"\$out\") = 1 ] && [[ \$out == 'ANYCAST '* ]]"

# Every option of agent/main.c and key of agent/config.c is in the installed man pages.
man_text() { MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }
man_text /usr/share/man/man8/anycast-agent.8.gz >"$T/man8.txt"
man_text /usr/share/man/man5/anycast-agent.conf.5.gz >"$T/man5.txt"
# agent/config.c's table of keys: "KEY DEFAULT" per key ({.name = "KEY", ... .def = "DEFAULT"}).
perl -0777 -ne 'while (/\{\s*\.name = "([a-z_]+)",([^}]*)\}/g) {
	my ($k, $b) = ($1, $2); print "$k", ($b =~ /\.def = "([^"]*)"/ ? " $1" : ""), "\n" }' \
	"$SRC/agent/config.c" >"$T/keys"
keys=$(cut -d' ' -f1 "$T/keys")
undocumented=
for k in $keys; do
	grep -qE "^ +$k = " "$T/man5.txt" || undocumented="$undocumented $k"
done
tap_check "anycast-agent.conf(5) documents every key of agent/config.c ($(wc -w <<<"$keys") keys;${undocumented:- none} missing)" \
	test -n "$keys" -a -z "$undocumented"
opts=$(grep -o '{"[a-z-]*", [a-z_]*_argument' "$SRC/agent/main.c" | cut -d'"' -f2 | sort -u)
shorts=$(sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' "$SRC/agent/main.c" | tr -d ':' |
	fold -w1)
undocumented=
for o in $opts; do
	grep -qE -- "--$o([^a-z-]|\$)" "$T/man8.txt" || undocumented="$undocumented --$o"
done
for o in $shorts; do
	grep -qE -- "(^|[^a-z-])-$o([^a-zA-Z-]|\$)" "$T/man8.txt" || undocumented="$undocumented -$o"
done
tap_check "anycast-agent(8) documents every option of agent/main.c ($(wc -w <<<"$opts $shorts") options;${undocumented:- none} missing)" \
	test -n "$opts" -a -z "$undocumented"
tap_check "man pages format without warnings" eval "
	! { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
		/usr/share/man/man8/anycast-agent.8.gz /usr/share/man/man5/anycast-agent.conf.5.gz \
		2>&1 >/dev/null; } | grep -q ."

# ---------------------------------------------------------------- the user: least privilege

tap_check "user $PKG exists, a system user with no login shell" eval "
	[ \$(id -u $PKG) -lt 1000 ] && getent passwd $PKG | grep -q ':/usr/sbin/nologin\$'"
# frrvty's members can reconfigure FRR; the daemon never runs vtysh.
SYSUSERS=/usr/lib/sysusers.d/$PKG.conf
tap_check "sysusers.d: only the user ('u'), no group membership ('m') such as frrvty" \
	eval "[ \"\$(grep -vE '^[[:space:]]*(#|\$)' $SYSUSERS | awk '{ print \$1, \$2 }')\" = 'u $PKG' ]"
if [ "$user_existed" = 0 ]; then
	tap_check "user $PKG, created now, is in no group but its own (not in frrvty)" \
		test "$(id -nG "$PKG" 2>/dev/null)" = "$PKG"
elif id -nG "$PKG" | tr ' ' '\n' | grep -qx frrvty; then
	tap_diag "user $PKG existed before this run and is in frrvty (an earlier package's"
	tap_diag "sysusers 'm' line, which sysusers never undoes): 'gpasswd -d $PKG frrvty'"
fi
# The same on scratch roots, with and without FRR's group.
SR=$T/sysroot
mkdir -p "$SR/etc"
sysroot() {
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$SR/etc/passwd"
	printf 'root:x:0:\n%s' "$1" >"$SR/etc/group"
	: >"$SR/etc/shadow"
	: >"$SR/etc/gshadow"
	systemd-sysusers --root="$SR" "$SYSUSERS" >/dev/null 2>&1
}
sysroot ''
tap_check "sysusers without FRR: the user and its group, and no frrvty" \
	eval "grep -q '^$PKG:x:[0-9]*:[0-9]*:' '$SR/etc/passwd' && grep -q '^$PKG:x:[0-9]*:\$' '$SR/etc/group' &&
		! grep -q '^frrvty:' '$SR/etc/group'"
sysroot $'frrvty:x:120:frr\n'
tap_check "sysusers with FRR: frrvty unchanged (gid 120, member frr only)" \
	grep -qx "frrvty:x:120:frr" "$SR/etc/group"

# ------------------------------------------------------------ config-test, unit analysis

# The shipped file configures no service; its service block, uncommented, is valid.
out=$(/usr/sbin/anycast-agent --config-test -c "$CONF" 2>"$T/ct.err")
st=$?
tap_check "installed config: --config-test exit 0, 'configuration OK', warns that no [service] is configured" \
	eval "[ $st = 0 ] && [ '$out' = 'configuration OK' ] && grep -q 'no \[service NAME\]' '$T/ct.err' &&
		! grep -qE '^\[service ' '$CONF'"
sed -E "$UNCOMMENT" "$CONF" >"$T/conf.on"
out=$(/usr/sbin/anycast-agent --config-test -c "$T/conf.on" 2>&1)
st=$?
ADDRS_SHIPPED=$(sed -n 's/^addresses = //p' "$T/conf.on" | tr -d ',')
tap_check "... uncommented (sed -E '$UNCOMMENT'): configuration OK, no warning, one service ($ADDRS_SHIPPED), [agent] unchanged" \
	eval "[ $st = 0 ] && [ '$out' = 'configuration OK' ] && [ \$(grep -c '^\[service ' '$T/conf.on') = 1 ] &&
		[ \"\$ADDRS_SHIPPED\" = '10.53.0.53/32 fd53::53/128' ] &&
		cmp -s <(sed '/^;\?\[service /,\$d' '$CONF') <(sed '/^\[service /,\$d' '$T/conf.on')"
# Every key of agent/config.c is in the shipped file (as a setting, commented out or not),
# with its default.
undocumented=
while read -r k d; do
	v=$(sed -nE "s/^(;|; +)?$k = (.*)\$/\2/p" "$CONF" | head -n 1)
	if [ -z "$v" ] || { [ -n "$d" ] && [ "$v" != "$d" ]; }; then undocumented="$undocumented $k"; fi
done <"$T/keys"
tap_check "the shipped configuration shows every key of agent/config.c with its default ($(wc -l <"$T/keys") keys;${undocumented:- none} missing or different)" \
	test -s "$T/keys" -a -z "$undocumented"
# ExecStartPre= runs it as the service's user, with the unit's single capability.
out=$(setpriv --reuid="$PKG" --regid="$PKG" --init-groups --inh-caps=-all,+net_admin \
	--ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin --no-new-privs \
	/usr/sbin/anycast-agent --config-test -c "$T/conf.on" 2>&1)
st=$?
tap_check "... and as user $PKG (ExecStartPre=): configuration OK" \
	eval "[ $st = 0 ] && [ '$out' = 'configuration OK' ]"

if [ -n "$UNIT" ]; then
	systemd-analyze security --offline=true --no-pager "$UNIT" >"$T/security.out" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/security.out")
	tap_check "systemd-analyze security --offline=true: exposure ${score:-?} <= $MAX_EXPOSURE" \
		awk -v s="${score:-99}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }'
	verify=$(systemd-analyze verify "$UNIT" 2>&1)
	st=$?
	tap_check "systemd-analyze verify $UNIT: exit 0, prints nothing" \
		eval "[ $st = 0 ] && [ -z \"\$verify\" ]"
	[ -n "$verify" ] && sed 's/^/#   /' <<<"$verify"
fi

# ------------------------------------------------------- make install = the package

# `make install DESTDIR=... PREFIX=/usr` in the tree the package was built from installs
# the package's files. Left out: what debhelper adds (copyright, changelog) and how it
# stores them (.gz for man pages and larger docs).
pkg_files() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { t = substr($1, 1, 1) == "l" ? "l" : "f"; print t, substr($6, 2) }' |
		sed -E 's#^(. /usr/share/(man|doc)/.*)\.gz$#\1#' |
		grep -vxE "f /usr/share/doc/$PKG/(changelog(\.Debian)?|copyright)" | LC_ALL=C sort
}
SHOW_FILE=$T/make-install.log
TAP_ON_FAIL=show_file_tail
st=0
make -C "$T/deb/$PKG-$VERSION" --no-print-directory install DESTDIR="$T/destdir" PREFIX=/usr \
	>"$T/make-install.log" 2>&1 || st=$?
tap_check "make install DESTDIR=... PREFIX=/usr: exit 0" test "$st" = 0
pkg_files "$DEB" >"$T/files.pkg"
(cd "$T/destdir" 2>/dev/null && find . ! -type d -printf '%y %P\n') | sed -E 's#^(.) #\1 /#; s#^[^l] #f #' |
	LC_ALL=C sort >"$T/files.make"
diff -u "$T/files.pkg" "$T/files.make" >"$T/files.diff"
SHOW_FILE=$T/files.diff
tap_check "make install installs the package's $(wc -l <"$T/files.pkg") files and links, no more" \
	eval "[ -s '$T/files.pkg' ] && ! [ -s '$T/files.diff' ]"
TAP_ON_FAIL=

# ------------------------------------------------------------------- reinstall, purge

echo "; changed by test_package.sh" >>"$CONF"
SHOW_FILE=$T/dpkg-i2.log
TAP_ON_FAIL=show_file_tail
st=0
dpkg -i "$DEB" >"$T/dpkg-i2.log" 2>&1 || st=$?
tap_check "dpkg -i again (reinstall): exit 0" test "$st" = 0
TAP_ON_FAIL=
tap_check "reinstall kept the changed conffile" grep -q 'changed by test_package.sh' "$CONF"

# The admin's maintenance flag goes with a purge too.
touch /etc/anycast-agent/maintenance
SHOW_FILE=$T/purge.log
TAP_ON_FAIL=show_file_tail
st=0
dpkg --purge "$PKG" >"$T/purge.log" 2>&1 || st=$?
tap_check "dpkg --purge: exit 0" test "$st" = 0
TAP_ON_FAIL=
tap_check "dpkg knows nothing of it any more" \
	eval "[ -z \"\$(dpkg-query -W -f='\${db:Status-Status}' $PKG 2>/dev/null | grep -v not-installed)\" ]"
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue # shared directories (/etc/default, /usr/sbin...) stay
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$T/files.list"
for f in /etc/anycast-agent /etc/systemd/system/multi-user.target.wants/$PKG.service \
	/var/lib/systemd/deb-systemd-helper-enabled/$PKG.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/$PKG.service \
	/usr/share/doc/$PKG; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
tap_check "nothing of the package is left (${left:-nothing})" test -z "$left"
tap_check "the $PKG system user is kept, as Debian policy does" eval "getent passwd $PKG >/dev/null"
if [ "$user_existed" = 0 ]; then
	tap_diag "user $PKG was created by this run and stays (Debian never removes system users);"
	tap_diag "remove it with 'userdel $PKG' if this host should not keep it"
fi

wait "$lintian_pid"
SHOW_FILE=$T/lintian.out
TAP_ON_FAIL=show_file_tail
tap_check "lintian --pedantic: no error and no warning" \
	eval "[ \"\$(cat '$T/lintian.rc' 2>/dev/null)\" = 0 ] && ! grep -qE '^[EW]: ' '$T/lintian.out'"
TAP_ON_FAIL=
while IFS= read -r l; do tap_diag "lintian: $l"; done < <(grep -E '^[A-Z]: ' "$T/lintian.out")

# ------------------------------------------- under a real systemd (systemd-nspawn, optional)

# The unit itself, run by systemd as PID 1: a container booted from an overlay of this
# host's root (writes go to a scratch upper layer; /run is the container's own), with a
# network namespace of its own and a minimal target (basic.target and unbound, configured
# with etc/unbound.conf). The package is installed there with dpkg -i (and started by its
# postinst), then: nothing announced as shipped, a service configured and reloaded, the
# sandbox, reload, an upgrade, the watchdog, kills, a stop, a restart without a flap, and
# a purge. AA_NSPAWN=0 skips it; it also skips when systemd-nspawn, unbound or overlayfs is
# missing, or /etc, /usr, /var are not on /.
nspawn_usable() {
	local d
	command -v systemd-nspawn >/dev/null || {
		echo "systemd-nspawn is not installed (systemd-container)"
		return 1
	}
	[ -x "$UNBOUND" ] || {
		echo "unbound is not installed"
		return 1
	}
	for d in /etc /usr /var/lib/dpkg; do
		[ "$(findmnt -n -o TARGET --target "$d")" = / ] || {
			echo "$d is not on the root file system"
			return 1
		}
	done
}

# forget_user ROOT NAME: ROOT's user databases without NAME, its group and its group
# memberships, as on a machine that never had the package.
forget_user() {
	local root=$1 name=$2 f
	for f in passwd shadow group gshadow; do
		[ -f "$root/etc/$f" ] || continue
		awk -F: -v OFS=: -v u="$name" '$1 == u { next }
			NF >= 4 { n = split($4, m, ","); s = ""
				for (i = 1; i <= n; i++) if (m[i] != u) s = s (s == "" ? "" : ",") m[i]
				$4 = s }
			{ print }' "$root/etc/$f" >"$T/$f.new" && cat "$T/$f.new" >"$root/etc/$f"
	done
}

if [ "${AA_NSPAWN:-1}" = 0 ]; then
	tap_diag "under systemd: skipped (AA_NSPAWN=0)"
elif ! why=$(nspawn_usable); then
	tap_diag "under systemd: skipped: $why"
else
	NR=$T/ns/root
	mkdir -p "$T/ns/up" "$T/ns/work" "$NR"
	if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ns/up,workdir=$T/ns/work" "$NR"; then
		tap_fail "under systemd: overlay of / mounted"
	else
		cleanup_add umount -l "$NR"
		# The container's own policy: services start, as on a real host.
		rm -f "$NR/usr/sbin/policy-rc.d"
		cp "$DEB" "$NR/root/$PKG.deb"
		cp "$DEB_UP" "$NR/root/$PKG-up.deb" 2>/dev/null
		forget_user "$NR" "$PKG"
		# unbound as an operator sets it up: the shipped snippet next to Debian's own
		# remote-control.conf. Not root-auto-trust-anchor-file.conf: its root.key comes
		# from dns-root-data or the network, neither of which a fresh test machine has
		# (unbound would not start), and the probe is local data. Nothing else an earlier
		# run or another program left there either.
		for f in "$NR"/etc/unbound/unbound.conf.d/*; do
			[ "${f##*/}" = remote-control.conf ] || rm -f "$f"
		done
		cp "$SRC/etc/unbound.conf" "$NR/etc/unbound/unbound.conf.d/anycast.conf"
		cat >"$NR/etc/systemd/system/aa-test.target" <<-EOF
			[Unit]
			Description=anycast-agent package test
			Requires=basic.target
			Wants=unbound.service
			After=basic.target unbound.service
			AllowIsolate=yes
		EOF
		nspawn_args=(--register=no --link-journal=no --private-network --console=pipe)
		# Without a systemd to ask for a scope, the container stays in this cgroup.
		[ -d /run/systemd/system ] || nspawn_args+=(--keep-unit)
		bg_start NSPAWN_PID "$T/nspawn.log" systemd-nspawn -D "$NR" -M "aa-test-$$" \
			"${nspawn_args[@]}" --boot -- systemd.unit=aa-test.target
		cleanup_add bg_kill "$NSPAWN_PID" KILL
		C1=
		container_pid1() {
			C1=$(ps --ppid "$NSPAWN_PID" -o pid= 2>/dev/null | tr -d ' ' | head -n 1)
			[ -n "$C1" ] || return 1
			case $(IN systemctl is-system-running 2>/dev/null) in
			running | degraded) return 0 ;;
			*) return 1 ;;
			esac
		}
		IN() { nsenter -t "$C1" -a "$@"; }
		SHOW_FILE=$T/nspawn.log
		TAP_ON_FAIL=show_file_tail
		tap_check "under systemd: the container boots aa-test.target" wait_for 60 container_pid1
		TAP_ON_FAIL=
	fi
	# The container's network namespace, named for lib.sh's ns_* and mon_* helpers.
	CTNS=aa-pkg-${T##*.}
	if [ -n "${C1:-}" ] && ! { ip netns attach "$CTNS" "$C1" && cleanup_add ip netns del "$CTNS"; }; then
		tap_fail "under systemd: the container's network namespace named ($CTNS)"
		C1=
	fi
	if [ -n "${C1:-}" ]; then
		CC=$NR/etc/anycast-agent/anycast-agent.conf
		# This kernel may lack the dummy driver: then the interface is an ifb made beforehand.
		if ! ip -n "$CTNS" link add aa-probe0 type dummy 2>/dev/null; then
			ip -n "$CTNS" link add anycast0 type ifb
			tap_diag "under systemd: no dummy driver here, anycast0 is an ifb"
		else
			ip -n "$CTNS" link del aa-probe0
		fi
		# shellcheck disable=SC2086 # the two addresses
		ct_present() { ns_addrs_present "$CTNS" anycast0 $ADDRS_SHIPPED; }
		# shellcheck disable=SC2086
		ct_absent() { ns_addrs_absent "$CTNS" anycast0 $ADDRS_SHIPPED; }
		# shellcheck disable=SC2086
		ct_deleted() { mon_deleted "$1" $ADDRS_SHIPPED; }
		# shellcheck disable=SC2086
		ct_all_deleted() {
			local a
			for a in $ADDRS_SHIPPED; do mon_deleted "$1" "$a" || return 1; done
		}
		prop() { IN systemctl show -P "$1" "$PKG.service" 2>/dev/null; }
		active() { [ "$(prop ActiveState)" = active ]; }
		status_is() { [ "$(prop StatusText)" = "$1" ]; }
		journal() { IN journalctl -u "$PKG.service" --no-pager -o cat 2>/dev/null; }
		journal_has() { journal | grep -qE -- "$1"; }
		# Address and link events of the container's namespace (sentinel-synchronized).
		ct_mon_start() {
			: >"$1"
			bg_start CT_MON "$1" ip -n "$CTNS" -o monitor link address
			mon_sync "$CTNS" "$1"
		}
		ct_mon_stop() { mon_stop "$CT_MON" "$CTNS" "$1"; }
		show_journal() {
			echo "last lines of the agent's journal:"
			journal | tail -n 12
		}
		UP=
		uncounted=

		# unbound first: every check of an announcement needs it.
		PROBE=$(sed -nE 's/^;?query = ([^ ]+) A$/\1/p' "$SRC/etc/anycast-agent.conf")
		PROBE_A=$(sed -nE "s/^ *local-data: \"${PROBE//./\\.} 0 IN A ([0-9.]+)\"/\1/p" "$SRC/etc/unbound.conf")
		ct_ub_answers() {
			[ -n "$PROBE_A" ] &&
				[ "$(IN dig +time=1 +tries=1 +short @127.0.0.1 "$PROBE" A 2>/dev/null)" = "$PROBE_A" ]
		}
		show_unbound() {
			echo "unbound.service: $(IN systemctl show -P ActiveState unbound.service 2>/dev/null);" \
				"last lines of its journal:"
			IN journalctl -u unbound.service --no-pager -o cat 2>/dev/null | tail -n 15
		}
		TAP_ON_FAIL=show_unbound
		desc="under systemd: unbound (etc/unbound.conf in conf.d) answers $PROBE A with ${PROBE_A:-?}"
		if wait_for 20 ct_ub_answers; then
			UP=1
			tap_ok "$desc"
		else
			tap_fail "$desc"
		fi
		TAP_ON_FAIL=
		[ -n "$UP" ] || tap_diag "under systemd: unbound does not answer: the checks that need an announcement are skipped"

		# As shipped: the service runs, idle, and touches nothing.
		ct_mon_start "$T/ct-mon.install"
		ip -n "$CTNS" -o link show dev anycast0 >"$T/ct-link.before"
		SHOW_FILE=$T/ct-dpkg-i.log
		TAP_ON_FAIL=show_file_tail
		st=0
		IN dpkg -i "/root/$PKG.deb" >"$T/ct-dpkg-i.log" 2>&1 || st=$?
		tap_check "under systemd: dpkg -i exit 0, and the postinst started the service" \
			eval "[ $st = 0 ] && wait_for 10 active"
		TAP_ON_FAIL=show_journal
		tap_check "under systemd: as shipped, its status reads 'not configured: ...'" \
			wait_for 5 eval '[[ "$(prop StatusText)" == "not configured: "* ]]'
		sleep 1.5
		ct_mon_stop "$T/ct-mon.install"
		mon_events "$T/ct-mon.install" >"$T/ct-mon.install.ev"
		SHOW_FILE=$T/ct-mon.install.ev
		TAP_ON_FAIL=show_file_tail
		tap_check "under systemd: ... and no address or link changed meanwhile (ip monitor), anycast0 as it was" \
			eval "! [ -s '$T/ct-mon.install.ev' ] && ip -n $CTNS -o link show dev anycast0 | cmp -s - '$T/ct-link.before'"
		TAP_ON_FAIL=
		mp=$(prop MainPID)
		SA=$(IN id -u "$PKG" 2>/dev/null)
		# shellcheck disable=SC2034 # read by the eval below
		hp=$(IN cat "/proc/$mp/status" 2>/dev/null)
		tap_check "under systemd: runs as $PKG, CapEff/CapBnd/CapAmb = CAP_NET_ADMIN, seccomp on" \
			eval "grep -qE '^Uid:\s+$SA\s' <<<\"\$hp\" &&
				[ \$(grep -cE '^Cap(Eff|Prm|Bnd|Amb):\s+0000000000001000$' <<<\"\$hp\") = 4 ] &&
				grep -qE '^Seccomp:\s+2$' <<<\"\$hp\" && grep -qE '^NoNewPrivs:\s+1$' <<<\"\$hp\""
		# Not in frrvty: its members can reconfigure FRR, and the daemon never runs vtysh.
		ct_gid=$(IN id -g "$PKG" 2>/dev/null)
		tap_check "under systemd: $PKG is in no group but its own (not frrvty: $(IN getent group frrvty || echo none)), nor is its process" \
			eval "[ \"\$(IN id -nG $PKG)\" = $PKG ] &&
				[ \"\$(sed -n 's/^Groups:\s*//p' <<<\"\$hp\" | tr -s ' \t' '\n\n' | grep -vx '$ct_gid' | grep .)\" = '' ]"

		if [ -n "$UP" ]; then
			# The operator configures the service and reloads.
			sed -i -E "$UNCOMMENT" "$CC"
			st=0
			IN systemctl reload "$PKG.service" >/dev/null 2>&1 || st=$?
			TAP_ON_FAIL=show_journal
			tap_check "under systemd: service uncommented, systemctl reload succeeds" \
				eval "[ $st = 0 ] && journal_has '^reloaded .*: 1 service'"
			tap_check "under systemd: ... both addresses appear ($ADDRS_SHIPPED)" wait_for 10 ct_present
			tap_check "under systemd: ... status reads 1/1 services up, 2/2 addresses on anycast0" \
				wait_for 5 status_is "1/1 services up, 2/2 addresses on anycast0"
			TAP_ON_FAIL=
			cp "$CC" "$T/ct-conf.good"
			echo "bogus_key = 1" >>"$CC"
			st=0
			IN systemctl reload "$PKG.service" >/dev/null 2>&1 || st=$?
			tap_check "under systemd: reload of a bad file fails (--config-test), the service runs on" \
				eval "[ $st != 0 ] && active && [ \"\$(prop MainPID)\" = $mp ]"
			cp "$T/ct-conf.good" "$CC"
			out=$(IN setpriv --reuid=nobody --regid=nogroup --clear-groups "$PLUGIN" 2>/dev/null)
			tap_check "under systemd: $PLUGIN as nobody: one line, 'ANYCAST ...' ($out)" \
				eval "[ \$(wc -l <<<\"\$out\") = 1 ] && [[ \$out == 'ANYCAST '* ]]"

			# An upgrade restarts the agent: the old one hands its addresses over, the new
			# one adopts them; no route moves.
			ct_mon_start "$T/ct-mon.up"
			SHOW_FILE=$T/ct-dpkg-up.log
			TAP_ON_FAIL=show_file_tail
			st=0
			IN dpkg -i "/root/$PKG-up.deb" >"$T/ct-dpkg-up.log" 2>&1 || st=$?
			mp2=$(prop MainPID)
			tap_check "under systemd: upgrade to $VERSION_UP (dpkg -i): exit 0, a new agent (pid $mp -> $mp2), active" \
				eval "[ $st = 0 ] && [ \"\$(IN /usr/sbin/anycast-agent -V)\" = '$PKG $VERSION_UP' ] &&
					[ -n '$mp2' ] && [ '$mp2' != 0 ] && [ '$mp2' != '$mp' ] && active"
			hold_for 1 ct_present
			ct_mon_stop "$T/ct-mon.up"
			SHOW_FILE=$T/ct-mon.up
			tap_check "under systemd: ... no address was deleted (ip monitor), both still on anycast0" \
				eval "! ct_deleted '$T/ct-mon.up' && ct_present"
			TAP_ON_FAIL=show_journal
			tap_check "under systemd: ... the journal shows the hand-over and the take-over" \
				eval "journal_has '^hand-over \(/run/anycast-agent/handover\): leaving 2 addresses' &&
					journal_has '^taking over from the agent that stopped for an upgrade \(pid $mp\)'"
			TAP_ON_FAIL=
			tap_check "under systemd: ... the hand-over flag is gone" \
				eval "! IN test -e /run/anycast-agent/handover"
			ct_mon_start "$T/ct-mon.upstop"
			IN systemctl stop "$PKG.service"
			ct_mon_stop "$T/ct-mon.upstop"
			tap_check "under systemd: ... a following systemctl stop withdraws them (withdraw_on_exit = yes)" \
				eval '[ "$(prop Result)" = success ] && ct_absent && ct_all_deleted "$T/ct-mon.upstop"'
			IN systemctl start "$PKG.service"
			wait_for 10 ct_present

			# A wedged agent: no WATCHDOG=1 within WatchdogSec=, killed, its addresses
			# withdrawn by ExecStopPost=, restarted, announced again.
			mp=$(prop MainPID)
			ct_mon_start "$T/ct-mon.wd"
			IN kill -s STOP "$mp"
			tap_check "under systemd: a stopped (wedged) agent hits the watchdog and is restarted" \
				wait_for 20 eval 'journal_has "Watchdog timeout" && [ "$(prop MainPID)" != "$mp" ] && active'
			tap_check "under systemd: ... ExecStopPost= withdrew the addresses meanwhile" \
				wait_for 2 ct_deleted "$T/ct-mon.wd"
			tap_check "under systemd: ... and the new agent announces them again" wait_for 10 ct_present
			ct_mon_stop "$T/ct-mon.wd"

			mp=$(prop MainPID)
			ct_mon_start "$T/ct-mon.kill"
			IN systemctl kill -s KILL "$PKG.service"
			tap_check "under systemd: SIGKILL: ExecStopPost= withdraws, Restart= brings it back" \
				eval 'wait_for 5 ct_deleted "$T/ct-mon.kill" && wait_for 10 eval "[ \"\$(prop MainPID)\" != $mp ] && active" && wait_for 10 ct_present'
			ct_mon_stop "$T/ct-mon.kill"

			# A crash after an edit nobody reloaded: the file is broken, but ExecStopPost=
			# withdraws what the state file lists.
			echo "this line is not INI" >>"$CC"
			IN systemctl kill -s KILL "$PKG.service"
			TAP_ON_FAIL=show_journal
			tap_check "under systemd: crash (SIGKILL) after a broken, unreloaded edit: ExecStopPost= withdraws both" \
				eval 'wait_for 5 ct_absent && journal_has "is unusable: withdrawing what /run/anycast-agent/state lists"'
			TAP_ON_FAIL=
			cp "$T/ct-conf.good" "$CC"
			IN systemctl reset-failed "$PKG.service" >/dev/null 2>&1
			IN systemctl restart "$PKG.service"
			wait_for 10 ct_present
		else
			uncounted="reload, plugin, upgrade, watchdog, kills, "
		fi

		IN systemctl stop "$PKG.service"
		# The state outlives the stop (RuntimeDirectoryPreserve=): --check-once and
		# --withdraw-all read it, and so does the next agent.
		tap_check "under systemd: systemctl stop: clean exit (Result=success), addresses withdrawn, state kept" \
			eval '[ "$(prop Result)" = success ] && ct_absent && IN grep -q "^pid " /run/anycast-agent/state'

		if [ -n "$UP" ]; then
			# withdraw_on_exit = no: a restart does not flap; a purge still withdraws.
			sed -i 's/^withdraw_on_exit = yes$/withdraw_on_exit = no/' "$CC"
			IN systemctl start "$PKG.service"
			wait_for 10 ct_present
			ct_mon_start "$T/ct-mon.restart"
			IN systemctl restart "$PKG.service"
			sleep 1
			ct_mon_stop "$T/ct-mon.restart"
			tap_check "under systemd: withdraw_on_exit = no: a restart withdraws nothing" \
				eval 'active && ct_present && ! ct_deleted "$T/ct-mon.restart"'
		else
			uncounted="${uncounted}restart without a flap"
			tap_diag "under systemd: skipped, unbound being down: $uncounted"
		fi
		st=0
		IN dpkg --purge "$PKG" >"$T/ct-purge.log" 2>&1 || st=$?
		tap_check "under systemd: dpkg --purge stops the service and withdraws even then" \
			eval "[ $st = 0 ] && ! active && ct_absent"
		IN systemctl poweroff >/dev/null 2>&1
		bg_wait_exit "$NSPAWN_PID" 20 st || bg_kill "$NSPAWN_PID" KILL
	fi
fi

tap_diag "$((SECONDS - T0)) s"
tap_summary
