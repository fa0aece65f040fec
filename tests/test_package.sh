#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package, end to end: `make deb` as an unprivileged user without network (as a
# build daemon runs it: Rules-Requires-Root: no, the unit tests run, the kernel tests skip),
# lintian --pedantic (no error, no warning), dpkg -i, the installed files, conffiles, user
# and unit, the installed binary's --config-test on the installed configuration (as root
# and as the service's user), the unit's systemd-analyze security score (<= 2.0) and
# verify (silent), a reinstall that keeps a changed conffile, then dpkg --purge and
# nothing left but what Debian policy keeps (the anycast-agent system user).
#
#   tests/test_package.sh          run as root, from anywhere; builds from this checkout.
#   AA_KEEP=1                      keeps the temporary directory (build logs, lintian).
#
# Refuses to run when anycast-agent is installed: it would purge a real installation.
# With systemd running it keeps the service from starting (policy-rc.d) while installed.
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
if [ "$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)" = installed ]; then
	tap_fail "$PKG is not installed on this host (it is: this test would purge it)"
	tap_summary
	exit 1
fi
VERSION=$(sed -n 's/^VERSION *:= *//p' "$SRC/Makefile")

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

# build_deb OUTDIR LOG [ENV...]: `make deb` as BUILD_USER in a network namespace with only
# lo (a build daemon's view), unless BUILD_USER cannot read the checkout: then as root.
build_deb() {
	local out=$1 log=$2
	shift 2
	mkdir -p "$out"
	chown "$BUILD_USER:$BUILD_GROUP" "$out"
	local run=(setpriv --reuid="$BUILD_USER" --regid="$BUILD_GROUP" --clear-groups
		--inh-caps=-all --bounding-set=-all --no-new-privs)
	if ! "${run[@]}" test -r "$SRC/Makefile" -a -x "$SRC/packaging/build-deb.sh"; then
		tap_diag "$BUILD_USER cannot read $SRC: building as root"
		BUILT_AS_ROOT=1
		run=()
		chown root:root "$out"
	fi
	unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh \
		"${run[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/home" LC_ALL=C.UTF-8 \
		"$@" make -C "$SRC" --no-print-directory deb DEBDIR="$out" >"$log" 2>&1
}

build_st=0
build_deb "$T/deb" "$T/build.log" || build_st=$?
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

nocheck_st=0
build_deb "$T/deb-nocheck" "$T/build-nocheck.log" DEB_BUILD_OPTIONS=nocheck || nocheck_st=$?
SHOW_FILE=$T/build-nocheck.log
tap_check "DEB_BUILD_OPTIONS=nocheck: builds, and runs no test" \
	eval "[ $nocheck_st = 0 ] && ! grep -q '^== build/tests/' '$T/build-nocheck.log'"

# ------------------------------------------------------------------------- lintian

SHOW_FILE=$T/lintian.out
lintian_st=0
# As the build user: lintian warns when it runs as root.
setpriv --reuid="$BUILD_USER" --regid="$BUILD_GROUP" --clear-groups \
	env -i PATH=/usr/bin:/bin HOME="$T/home" LC_ALL=C.UTF-8 \
	lintian --pedantic --display-info --display-experimental --fail-on error,warning \
	"$CHANGES" >"$T/lintian.out" 2>&1 || lintian_st=$?
tap_check "lintian --pedantic: no error and no warning" \
	eval "[ $lintian_st = 0 ] && ! grep -qE '^[EW]: ' '$T/lintian.out'"
while IFS= read -r l; do tap_diag "lintian: $l"; done < <(grep -E '^[A-Z]: ' "$T/lintian.out")

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
for f in anycast-agent.conf frr.conf unbound.conf; do
	if [ -f "$SRC/etc/$f" ]; then
		tap_check "example $EX/$f installed" test -f "$EX/$f"
	else
		tap_diag "etc/$f is not in the tree: not checked"
	fi
done
tap_check "sysusers.d declares the user" test -f /usr/lib/sysusers.d/$PKG.conf
tap_check "Depends on the libraries it links, Recommends frr and unbound" eval "
	dpkg-query -W -f='\${Depends}' $PKG | grep -q libunbound8 &&
	dpkg-query -W -f='\${Depends}' $PKG | grep -q libmnl0 &&
	dpkg-query -W -f='\${Recommends}' $PKG | grep -qx 'frr, unbound'"

# Every option of agent/main.c and key of agent/config.c is in the installed man pages.
man_text() { MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }
man_text /usr/share/man/man8/anycast-agent.8.gz >"$T/man8.txt"
man_text /usr/share/man/man5/anycast-agent.conf.5.gz >"$T/man5.txt"
keys=$(sed -n 's/^ *{"\([a-z_]*\)", K_[A-Z_]*, \(true\|false\)},.*/\1/p' "$SRC/agent/config.c")
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

tap_check "user $PKG exists, a system user with no login shell" eval "
	[ \$(id -u $PKG) -lt 1000 ] && getent passwd $PKG | grep -q ':/usr/sbin/nologin\$'"
if getent group frrvty >/dev/null; then
	tap_check "user $PKG is in frrvty (FRR's vtysh group)" eval "id -nG $PKG | tr ' ' '\n' | grep -qx frrvty"
fi

# The "m" line on a system without FRR creates frrvty, which FRR's postinst then adopts;
# with FRR it only adds the member. Checked on a scratch root, not on this host.
SR=$T/sysroot
mkdir -p "$SR/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$SR/etc/passwd"
printf 'root:x:0:\n' >"$SR/etc/group"
: >"$SR/etc/shadow"
: >"$SR/etc/gshadow"
systemd-sysusers --root="$SR" /usr/lib/sysusers.d/$PKG.conf >/dev/null 2>&1
tap_check "sysusers without FRR: the user, and frrvty created with it as member" \
	eval "grep -q '^$PKG:x:[0-9]*:[0-9]*:' '$SR/etc/passwd' && grep -q '^frrvty:x:[0-9]*:$PKG\$' '$SR/etc/group'"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$SR/etc/passwd"
printf 'root:x:0:\nfrrvty:x:120:frr\n' >"$SR/etc/group"
systemd-sysusers --root="$SR" /usr/lib/sysusers.d/$PKG.conf >/dev/null 2>&1
tap_check "sysusers with FRR: frrvty keeps its gid and gains the member" \
	grep -qE "^frrvty:x:120:(frr,$PKG|$PKG,frr)\$" "$SR/etc/group"

# ------------------------------------------------------------ config-test, unit analysis

out=$(/usr/sbin/anycast-agent --config-test -c "$CONF" 2>&1)
st=$?
tap_check "installed binary --config-test on the installed config: exit 0, 'configuration OK'" \
	eval "[ $st = 0 ] && [ '$out' = 'configuration OK' ]"
# ExecStartPre= runs it as the service's user, with the unit's single capability.
out=$(setpriv --reuid="$PKG" --regid="$PKG" --init-groups --inh-caps=-all,+net_admin \
	--ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin --no-new-privs \
	/usr/sbin/anycast-agent --config-test -c "$CONF" 2>&1)
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

# ------------------------------------------- under a real systemd (systemd-nspawn, optional)

# The unit itself, run by systemd as PID 1: a container booted from an overlay of this
# host's root (writes go to a scratch upper layer), with a network namespace of its own and
# a minimal target (basic.target and unbound). The package is installed there with dpkg -i
# (and started by its postinst), then: READY, the sandbox, reload, the watchdog, a kill,
# a stop, a restart without a flap, and a purge. AA_NSPAWN=0 skips it; it also skips when
# systemd-nspawn, unbound or overlayfs is missing, or /etc, /usr, /var are not on /.
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
		NSIP() { nsenter -t "$C1" -n ip "$@"; }
		SHOW_FILE=$T/nspawn.log
		TAP_ON_FAIL=show_file_tail
		tap_check "under systemd: the container boots aa-test.target" wait_for 60 container_pid1
		TAP_ON_FAIL=
	fi
	if [ -n "${C1:-}" ]; then
		SA="$(id -u "$PKG" 2>/dev/null)"
		# This kernel may lack the dummy driver: then the interface is an ifb made beforehand.
		if ! NSIP link add aa-probe0 type dummy 2>/dev/null; then
			NSIP link add "anycast0" type ifb
			tap_diag "under systemd: no dummy driver here, anycast0 is an ifb"
		else
			NSIP link del aa-probe0
		fi
		ADDRS_SHIPPED=$(sed -n 's/^addresses = //p' "$SRC/etc/anycast-agent.conf" | tr -d ',')
		ct_addrs_present() {
			local a
			for a in $ADDRS_SHIPPED; do
				NSIP -o addr show dev anycast0 2>/dev/null | grep -qF " $a " || return 1
			done
		}
		ct_addrs_absent() {
			local a
			for a in $ADDRS_SHIPPED; do
				NSIP -o addr show dev anycast0 2>/dev/null | grep -qF " $a " && return 1
			done
			return 0
		}
		prop() { IN systemctl show -P "$1" "$PKG.service" 2>/dev/null; }
		active() { [ "$(prop ActiveState)" = active ]; }
		journal_has() { IN journalctl -u "$PKG.service" --no-pager -o cat 2>/dev/null | grep -qE -- "$1"; }
		ct_mon_start() { bg_start CT_MON "$1" nsenter -t "$C1" -n ip -o monitor address; sleep 0.3; }
		ct_deleted() { grep -q '^Deleted' "$1"; }

		SHOW_FILE=$T/ct-dpkg-i.log
		TAP_ON_FAIL=show_file_tail
		st=0
		IN dpkg -i "/root/$PKG.deb" >"$T/ct-dpkg-i.log" 2>&1 || st=$?
		tap_check "under systemd: dpkg -i exit 0, and the postinst started the service" \
			eval "[ $st = 0 ] && wait_for 10 active"
		TAP_ON_FAIL=
		tap_check "under systemd: the shipped configuration announces its addresses unchanged" \
			wait_for 10 ct_addrs_present
		tap_check "under systemd: Type=notify status reads 1/1 services up, 2/2 addresses" \
			wait_for 5 eval '[ "$(prop StatusText)" = "1/1 services up, 2/2 addresses on anycast0" ]'
		mp=$(prop MainPID)
		# shellcheck disable=SC2034 # read by the eval below
		hp=$(IN cat "/proc/$mp/status" 2>/dev/null)
		tap_check "under systemd: runs as $PKG, CapEff/CapBnd/CapAmb = CAP_NET_ADMIN, seccomp on" \
			eval "grep -qE '^Uid:\s+$SA\s' <<<\"\$hp\" &&
				[ \$(grep -cE '^Cap(Eff|Prm|Bnd|Amb):\s+0000000000001000$' <<<\"\$hp\") = 4 ] &&
				grep -qE '^Seccomp:\s+2$' <<<\"\$hp\" && grep -qE '^NoNewPrivs:\s+1$' <<<\"\$hp\""
		st=0
		IN systemctl reload "$PKG.service" >/dev/null 2>&1 || st=$?
		tap_check "under systemd: systemctl reload succeeds" eval "[ $st = 0 ] && journal_has '^reloaded '"
		cp "$NR/etc/anycast-agent/anycast-agent.conf" "$T/ct-conf.good"
		echo "bogus_key = 1" >>"$NR/etc/anycast-agent/anycast-agent.conf"
		st=0
		IN systemctl reload "$PKG.service" >/dev/null 2>&1 || st=$?
		tap_check "under systemd: reload of a bad file fails (--config-test), the service runs on" \
			eval "[ $st != 0 ] && active && [ \"\$(prop MainPID)\" = $mp ]"
		cp "$T/ct-conf.good" "$NR/etc/anycast-agent/anycast-agent.conf"

		# A wedged agent: no WATCHDOG=1 within WatchdogSec=, killed, its addresses withdrawn
		# by ExecStopPost=, restarted, announced again.
		ct_mon_start "$T/ct-mon.wd"
		IN kill -s STOP "$mp"
		tap_check "under systemd: a stopped (wedged) agent hits the watchdog and is restarted" \
			wait_for 20 eval 'journal_has "Watchdog timeout" && [ "$(prop NRestarts)" -ge 1 ] && active'
		tap_check "under systemd: ... ExecStopPost= withdrew the addresses meanwhile" \
			wait_for 2 ct_deleted "$T/ct-mon.wd"
		tap_check "under systemd: ... and the new agent announces them again" wait_for 10 ct_addrs_present
		bg_kill "$CT_MON" TERM

		ct_mon_start "$T/ct-mon.kill"
		IN systemctl kill -s KILL "$PKG.service"
		tap_check "under systemd: SIGKILL: ExecStopPost= withdraws, Restart= brings it back" \
			eval 'wait_for 5 ct_deleted "$T/ct-mon.kill" && wait_for 10 eval "[ \$(prop NRestarts) -ge 2 ] && active" && wait_for 10 ct_addrs_present'
		bg_kill "$CT_MON" TERM

		IN systemctl stop "$PKG.service"
		tap_check "under systemd: systemctl stop: clean exit (Result=success), addresses withdrawn" \
			eval '[ "$(prop Result)" = success ] && ct_addrs_absent'

		# withdraw_on_exit = no: a restart (an upgrade) does not flap; a purge still withdraws.
		sed -i 's/^withdraw_on_exit = yes$/withdraw_on_exit = no/' "$NR/etc/anycast-agent/anycast-agent.conf"
		IN systemctl start "$PKG.service"
		wait_for 10 ct_addrs_present
		ct_mon_start "$T/ct-mon.restart"
		IN systemctl restart "$PKG.service"
		sleep 1
		bg_kill "$CT_MON" TERM
		tap_check "under systemd: withdraw_on_exit = no: a restart withdraws nothing" \
			eval 'active && ct_addrs_present && ! ct_deleted "$T/ct-mon.restart"'
		st=0
		IN dpkg --purge "$PKG" >"$T/ct-purge.log" 2>&1 || st=$?
		tap_check "under systemd: dpkg --purge stops the service and withdraws even then" \
			eval "[ $st = 0 ] && ! active && ct_addrs_absent"
		IN systemctl poweroff >/dev/null 2>&1
		bg_wait_exit "$NSPAWN_PID" 20 st || bg_kill "$NSPAWN_PID" KILL
	fi
fi

tap_summary
