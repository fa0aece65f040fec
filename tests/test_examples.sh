#!/bin/bash
# SPDX-License-Identifier: MIT
# The examples against each other, the code and the real programs they are written for:
#
#   drift       etc/anycast-agent.conf's service block (the reference), etc/frr.conf's
#               prefix-lists, etc/unbound.conf's interface: lines and probe record,
#               README.md, doc/deploy.md and the man pages name the same service addresses
#               and the same probe; the block, uncommented, passes --config-test.
#               etc/frr-intra-area.conf is etc/frr.conf but for the announcement: the
#               agent's interface passive in OSPFv2 and OSPFv3, no redistribution.
#   sudo        doc/monitoring/sudoers-anycast-agent: visudo -cf, then the real sudo: the
#               check runs with group frrvty, anything else is refused.
#   icinga2     doc/monitoring/icinga2-anycast-agent.conf: the real `icinga2 daemon -C`, and
#               what its CheckCommand and apply rules became.
#   nrpe        doc/monitoring/nrpe-anycast-agent.cfg included by a real nrpe on loopback,
#               asked by the real check_nrpe: the same line and exit code as the plugin run
#               directly (a dead resolver: CRITICAL, 2; no service: UNKNOWN, 3), in the
#               monitoring-plugins format.
#   prometheus  doc/monitoring/prometheus-anycast-agent.rules.yml: promtool check rules, and
#               promtool test rules (tests/data/...rules.test.yml: each alert fires when it
#               should, and only then). doc/monitoring/grafana-anycast-agent.json: valid
#               JSON whose every query parses as PromQL. Both name only metrics that
#               agent/metrics.c writes.
#
#   tests/test_examples.sh ./anycast-agent      as root (namespaces, mounts, nrpe)
#
# Everything runs in a network namespace of its own (aa-ex-PID) and, where the examples name
# real paths (/etc/anycast-agent, /etc/sudoers.d, /usr/lib/nagios/plugins, /run), in a
# private mount namespace where those are a tmpfs overlay: nothing on the host is changed
# and nothing an earlier run left is seen. Prints "ok N - ..." / "not ok N - ..." and closes
# with "N passed, M failed"; exits 1 when anything failed.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

MON=$SRC/doc/monitoring
PLUGIN_DIR=/usr/lib/nagios/plugins
CHECK_NRPE=$PLUGIN_DIR/check_nrpe
NAGIOS_USER=nagios # NRPE's and Icinga 2's user on Debian, and the one the sudo rule names
NS=aa-ex-$$

cleanup_install_traps
cleanup_add bg_kill_all

if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root (network and mount namespaces, nrpe)"
	tap_summary
	exit 1
fi
AGENT=${1:-}
if [ -z "$AGENT" ] || [ ! -x "$AGENT" ]; then
	tap_fail "the agent binary is given and executable (usage: $0 ./anycast-agent)"
	tap_summary
	exit 1
fi
AGENT=$(realpath "$AGENT")
missing=
for tool in visudo sudo icinga2 nrpe "$CHECK_NRPE" unshare nsenter setpriv ip promtool python3; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
getent passwd "$NAGIOS_USER" >/dev/null || missing="$missing user:$NAGIOS_USER"
if [ -n "$missing" ]; then
	tap_fail "tools installed (missing:$missing; tests/deps.sh installs them)"
	tap_summary
	exit 1
fi

# Installing nagios-nrpe-server and icinga2-bin starts their services (under systemd, or
# through their init scripts where no policy-rc.d forbids it); a test machine wants neither.
# stop_service NAME PIDFILE COMM
stop_service() {
	local pid
	if [ -d /run/systemd/system ]; then
		systemctl --quiet is-active "$1.service" 2>/dev/null || return 0
		systemctl stop "$1.service" && tap_diag "stopped $1.service (started when its package was installed)"
	elif pid=$(cat "$2" 2>/dev/null) && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$3" ]; then
		"/etc/init.d/$1" stop >/dev/null 2>&1 && tap_diag "stopped $1 (pid $pid, started by its init script)"
	fi
	return 0
}
stop_service nagios-nrpe-server /run/nagios/nrpe.pid nrpe
stop_service icinga2 /run/icinga2/icinga2.pid icinga2

T=$(mktemp -d /tmp/aa-ex.XXXXXX) || exit 1
[ "${AA_KEEP:-0}" = 1 ] || cleanup_add rm -rf "$T"
chmod 755 "$T" # the monitoring user reads configs and runs programs from here

# A namespace of this name is a dead run's (same pid, by chance): ours to remove.
ns_destroy "$NS"
ns_create "$NS" || {
	tap_fail "network namespace $NS created"
	tap_summary
	exit 1
}

TAP_ON_FAIL=
SHOW_FILE=
show_file() {
	[ -n "$SHOW_FILE" ] && sed -n '1,25p' "$SHOW_FILE" 2>/dev/null
}

# ======================================================================== drift

CONF=$SRC/etc/anycast-agent.conf
# How the packaging ships the service block, and how an operator (and this test) enables it.
UNCOMMENT='s/^;(\[service |[a-z_]+ = )/\1/'

# rel FILE: the path as the repository names it.
rel() {
	echo "${1#"$SRC"/}"
}

# ref_values FILE: "addr A/LEN" and "query NAME TYPE" lines from the [service] sections.
ref_values() {
	awk '
		/^\[/ { svc = ($0 ~ /^\[service /) }
		svc && /^addresses[ \t]*[=:]/ {
			sub(/^addresses[ \t]*[=:][ \t]*/, "")
			sub(/[ \t]+[;#].*$/, "")
			n = split($0, t, /[, \t]+/)
			for (i = 1; i <= n; i++) if (t[i] != "") print "addr " t[i]
		}
		svc && /^query[ \t]*[=:]/ {
			sub(/^query[ \t]*[=:][ \t]*/, "")
			sub(/[ \t]+[;#].*$/, "")
			split($0, q, /[ \t]+/)
			print "query " q[1] " " (q[2] == "" ? "A" : q[2])
		}' "$1"
}

# norm_addr A[/LEN]: lower case, with the host length when none is given.
norm_addr() {
	local a=${1,,}
	case $a in
	*/*) ;;
	*:*) a=$a/128 ;;
	*) a=$a/32 ;;
	esac
	echo "$a"
}

# dot NAME: with its trailing dot.
dot() {
	case $1 in *.) echo "$1" ;; *) echo "$1." ;; esac
}

sed -E "$UNCOMMENT" "$CONF" >"$T/shipped-uncommented.conf"
REF_ADDRS=
REF_HOSTS=
REF_NAME=
REF_TYPE=
while read -r kind a b; do
	case $kind in
	addr)
		REF_ADDRS="$REF_ADDRS $(norm_addr "$a")"
		REF_HOSTS="$REF_HOSTS ${a%%/*}"
		;;
	query)
		REF_NAME=$(dot "${a,,}")
		REF_TYPE=${b^^}
		;;
	esac
done < <(ref_values "$T/shipped-uncommented.conf")
REF_ADDRS=$(tr ' ' '\n' <<<"$REF_ADDRS" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')
REF_HOSTS=$(tr ' ' '\n' <<<"$REF_HOSTS" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')

tap_check "etc/anycast-agent.conf ships its [service NAME] block commented out (';[service ')" \
	eval "grep -q '^;\[service ' '$CONF' && ! grep -q '^\[service ' '$CONF'"
if ! grep -q '^;\[service ' "$CONF"; then
	tap_diag "etc/anycast-agent.conf has no ';[service ' line: not yet in the form the package ships"
	tap_diag "(the reference values below come from its uncommented [service] block instead)"
fi

out=$(ip netns exec "$NS" "$AGENT" --config-test -c "$T/shipped-uncommented.conf" 2>"$T/ct.err")
st=$?
sed -i "s|$T/shipped-uncommented.conf|etc/anycast-agent.conf (uncommented)|" "$T/ct.err"
SHOW_FILE=$T/ct.err
TAP_ON_FAIL=show_file
tap_check "etc/anycast-agent.conf, service block uncommented (sed -E '$UNCOMMENT'): --config-test says 'configuration OK', exit 0, no warning" \
	eval "[ $st = 0 ] && [ '$out' = 'configuration OK' ] && [ ! -s '$T/ct.err' ]"
TAP_ON_FAIL=

have_ref=0
if grep -q : <<<"$REF_ADDRS" && grep -q '\.' <<<"${REF_ADDRS//:*/}" && [ -n "$REF_NAME" ]; then
	have_ref=1
fi
tap_check "reference: etc/anycast-agent.conf's service block has IPv4 and IPv6 addresses and a query (${REF_ADDRS:-none}; ${REF_NAME:-no query} ${REF_TYPE})" \
	test "$have_ref" = 1

# set_diff "A B" "B C": what the first has and the second lacks.
set_diff() {
	comm -23 <(tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -u) <(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u) |
		tr '\n' ' ' | sed 's/ $//'
}

# in_set VALUE "SET": VALUE is one of the words of SET.
in_set() {
	[[ " $2 " == *" $1 "* ]]
}

# is_loopback A: the resolver's own loopback addresses, which every file may name.
is_loopback() {
	case ${1%%/*} in 127.* | ::1) return 0 ;; esac
	return 1
}

# near PREFIXES: the start of every reference address (10.53. and fd53:), so that any address
# of that neighbourhood that is not a service address is caught (10.53.0.35, fd53::35).
NEAR=
for h in $REF_HOSTS; do
	case $h in
	*:*) NEAR="$NEAR ${h%%:*}:" ;;
	*) NEAR="$NEAR $(cut -d. -f1-2 <<<"$h")." ;;
	esac
done

# scan FILE: one line "LINE KIND VALUE..." per service address or probe name that FILE names,
# with its context: addresses (the whole list), permit (prefix-list), interface (unbound),
# dig (@server), local-data, local-zone, query, and every address token (addr).
scan() {
	awk '
		function addrs(s,   out, m) {
			out = ""
			while (match(s, /[0-9a-fA-F]*:[0-9a-fA-F:]*[0-9a-fA-F](\/[0-9]+)?|[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(\/[0-9]+)?/)) {
				m = substr(s, RSTART, RLENGTH)
				out = out " " m
				s = substr(s, RSTART + RLENGTH)
			}
			return out
		}
		{
			line = $0
			if (match(line, /addresses[ \t]*=[ \t]*/)) {
				v = substr(line, RSTART + RLENGTH)
				sub(/[ \t]+[;#].*$/, "", v)
				a = addrs(v)
				if (a != "") print NR, "addresses" a
			}
			if (line ~ /prefix-list/ && match(line, /permit[ \t]+[^ \t]+/)) {
				v = substr(line, RSTART, RLENGTH); sub(/^permit[ \t]+/, "", v)
				print NR, "permit", v
			}
			if (match(line, /^[ \t]*interface:[ \t]*[^ \t]+/)) {
				v = substr(line, RSTART, RLENGTH); sub(/^[ \t]*interface:[ \t]*/, "", v)
				split(addrs(v), t, " ")
				print NR, "interface", (t[1] == "" ? v : t[1])
			}
			s = line
			while (match(s, /dig [^@`]*@[^ `]+/)) {
				v = substr(s, RSTART, RLENGTH); sub(/^[^@]*@/, "", v)
				s = substr(s, RSTART + RLENGTH)
				split(addrs(v), t, " ")
				print NR, "dig", (t[1] == "" ? v : t[1])
			}
			if (match(line, /local-data:[ \t]*"[^"]*"/)) {
				v = substr(line, RSTART, RLENGTH); sub(/^local-data:[ \t]*"/, "", v); sub(/"$/, "", v)
				print NR, "local-data", v
			}
			if (match(line, /local-zone:[ \t]*"[^"]*"/)) {
				v = substr(line, RSTART, RLENGTH); sub(/^local-zone:[ \t]*"/, "", v); sub(/"$/, "", v)
				print NR, "local-zone", v
			}
			# the probe (query), not the deep probe (deep_query: another name on purpose)
			if (match(line, /(^|[^_A-Za-z])query[ \t]*=[ \t]*[^ \t`*]+([ \t]+[A-Za-z0-9]+)?/)) {
				v = substr(line, RSTART, RLENGTH); sub(/^[^q]*query[ \t]*=[ \t]*/, "", v)
				print NR, "query", v
			}
			a = addrs(line)
			n = split(a, t, " ")
			for (i = 1; i <= n; i++) print NR, "addr", t[i]
		}' "$1"
}

# drift_check FILE: every service address and probe name FILE names is the reference one;
# prints one "LINE: what" per difference.
drift_check() {
	local f=$1 r ln kind v rest got type
	r=$(rel "$f")
	while read -r ln kind v rest; do
		case $kind in
		addresses)
			got=
			for a in $v $rest; do got="$got $(norm_addr "$a")"; done
			[ -z "$(set_diff "$got" "$REF_ADDRS")$(set_diff "$REF_ADDRS" "$got")" ] ||
				echo "$r:$ln: addresses =$got (not $REF_ADDRS)"
			;;
		permit)
			in_set "$(norm_addr "$v")" "$REF_ADDRS" ||
				echo "$r:$ln: prefix-list permits $v (not a service address)"
			;;
		interface | dig)
			is_loopback "$v" || in_set "$(norm_addr "$v")" "$REF_ADDRS" ||
				echo "$r:$ln: $kind $v (not a service address or loopback)"
			;;
		local-data | local-zone)
			[ "$(dot "${v,,}")" = "$REF_NAME" ] ||
				echo "$r:$ln: $kind \"$v${rest:+ $rest}\" (the probe is $REF_NAME)"
			;;
		query)
			type=${rest:-A}
			[ "$(dot "${v,,}")" = "$REF_NAME" ] && [ "${type^^}" = "$REF_TYPE" ] ||
				echo "$r:$ln: query = $v $type (the probe is $REF_NAME $REF_TYPE)"
			;;
		addr)
			for p in $NEAR; do
				case ${v,,} in
				"$p"*)
					in_set "${v%%/*}" "$REF_HOSTS" ||
						echo "$r:$ln: address $v (near the service addresses, not one of them)"
					;;
				esac
			done
			;;
		esac
	done < <(scan "$f")
}

DRIFT_OUT=
# drift_ok FILE CHECK...: no drift_check difference and every extra CHECK (a function that
# prints differences) silent; the differences go to DRIFT_OUT for the test line and diag.
drift_ok() {
	local f=$1 c
	shift
	DRIFT_OUT=$(drift_check "$f")
	for c in "$@"; do DRIFT_OUT="$DRIFT_OUT${DRIFT_OUT:+$'\n'}$("$c" "$f")"; done
	DRIFT_OUT=$(sed '/^$/d' <<<"$DRIFT_OUT")
	[ -z "$DRIFT_OUT" ]
}

# mentions FILE: names every service address and the probe.
mentions() {
	local f=$1 h
	for h in $REF_HOSTS ${REF_NAME%.}; do
		grep -qiF -- "$h" "$f" || echo "$(rel "$f"): never names $h"
	done
}

# frr_sets FILE: its prefix-lists permit exactly the service addresses.
frr_sets() {
	local got
	got=$(scan "$1" | awk '$2 == "permit" { print $3 }' | while read -r a; do norm_addr "$a"; done)
	got=$(tr '\n' ' ' <<<"$got")
	[ -z "$(set_diff "$REF_ADDRS" "$got")" ] ||
		echo "$(rel "$1"): no prefix-list permits $(set_diff "$REF_ADDRS" "$got")"
}

# unbound_sets FILE: listens on every service address; serves the probe with TTL 0.
unbound_sets() {
	local got rr ln ttl type
	got=$(scan "$1" | awk '$2 == "interface" { print $3 }' | while read -r a; do
		is_loopback "$a" || norm_addr "$a"
	done)
	got=$(tr '\n' ' ' <<<"$got")
	[ -z "$(set_diff "$REF_ADDRS" "$got")" ] ||
		echo "$(rel "$1"): no interface: line for $(set_diff "$REF_ADDRS" "$got")"
	rr=$(scan "$1" | awk -v n="$REF_NAME" '$2 == "local-data" && tolower($3) == n { print $1, $4, $5, $6; exit }')
	if [ -z "$rr" ]; then
		echo "$(rel "$1"): no local-data for the probe $REF_NAME"
		return
	fi
	read -r ln ttl _ type <<<"$rr"
	[ "$ttl" = 0 ] || echo "$(rel "$1"):$ln: the probe's local-data has TTL $ttl, not 0"
	[ "${type^^}" = "$REF_TYPE" ] ||
		echo "$(rel "$1"):$ln: the probe's local-data is type $type, the query asks $REF_TYPE"
}

# frr_lines FILE: FRR's configuration lines of FILE, comments and blank lines left out, and
# what announces the service addresses too: the prefix-lists, route-maps and redistribute
# lines (etc/frr.conf) and the section of the agent's interface (etc/frr-intra-area.conf).
frr_lines() {
	awk -v ifn="interface $REF_IF" '
		/^[ \t]*!/ || /^[ \t]*$/ { next }
		skip { if ($0 == "exit") skip = 0; next }
		$0 == ifn || $0 == "interface anycast-sb" || /^route-map / { skip = 1; next }
		/^(ip|ipv6) prefix-list / || /^[ \t]*redistribute / { next }
		{ print }' "$1"
}

# frr_intra FILE: the intra-area variant of etc/frr.conf: the same lines but for how the
# addresses are announced (the uplink, its authentication, BFD, the timers), no
# redistribution, and the agent's interfaces (anycast0, the standby anycast-sb) in area 0 and
# passive for ospfd and ospf6d.
frr_intra() {
	local f=$1 r blk k d
	r=$(rel "$f")
	d=$(diff <(frr_lines "$SRC/etc/frr.conf") <(frr_lines "$f") | grep '^[<>]')
	[ -z "$d" ] || while IFS= read -r l; do
		case $l in
		"<"*) echo "$r: lacks etc/frr.conf's line '${l#< }'" ;;
		*) echo "$r: has a line etc/frr.conf does not, '${l#> }'" ;;
		esac
	done <<<"$d"
	grep -nE '^[[:space:]]*(redistribute|route-map|(ip|ipv6) prefix-list)' "$f" |
		sed "s|^\([0-9]*\):|$r:\1: |; s|\$| (the intra-area variant announces through $REF_IF)|"
	blk=$(awk -v ifn="interface $REF_IF" '$0 == ifn { p = 1 } p { print } p && $0 == "exit" { exit }' "$f")
	if [ -z "$blk" ]; then
		echo "$r: no 'interface $REF_IF' section (the agent's interface, etc/anycast-agent.conf)"
		return
	fi
	for k in "ip ospf area 0" "ip ospf passive" "ipv6 ospf6 area 0" "ipv6 ospf6 passive"; do
		grep -qx " $k" <<<"$blk" || echo "$r: 'interface $REF_IF' lacks '$k'"
	done
}

# frr_bgp FILE: the BGP variant: bgpd redistributes the connected routes of the agent's
# interface and the standby's kernel routes (prepended), both families.
frr_bgp() {
	local f=$1 r k
	r=$(rel "$f")
	for k in "match interface $REF_IF" "match interface anycast-sb" "set as-path prepend"; do
		[ "$(grep -cx " $k.*" "$f")" -ge 2 ] || echo "$r: fewer than two route-maps with '$k' (IPv4, IPv6)"
	done
	for k in "redistribute connected route-map" "redistribute kernel route-map"; do
		[ "$(grep -cx "  $k .*" "$f")" -ge 2 ] || echo "$r: '$k' not in both address families"
	done
}

drift_line() {
	local desc=$1
	shift
	if [ "$have_ref" != 1 ]; then
		tap_fail "$desc (no reference values)"
	elif drift_ok "$@"; then
		tap_ok "$desc"
	else
		tap_fail "$desc: $(head -n 1 <<<"$DRIFT_OUT")"
		while IFS= read -r l; do tap_diag "$l"; done <<<"$DRIFT_OUT"
	fi
}

drift_line "etc/anycast-agent.conf names only the service addresses and probe of its service block" \
	"$CONF"
drift_line "etc/frr.conf: prefix-lists permit exactly the service addresses ($REF_ADDRS)" \
	"$SRC/etc/frr.conf" frr_sets
REF_IF=$(sed -n 's/^interface[ \t]*=[ \t]*\([^ \t;#]*\).*/\1/p' "$T/shipped-uncommented.conf" | head -n 1)
REF_IF=${REF_IF:-anycast0}
drift_line "etc/frr-intra-area.conf: etc/frr.conf but $REF_IF passive in area 0 (OSPFv2, OSPFv3) instead of redistribute, service addresses and probe as the reference" \
	"$SRC/etc/frr-intra-area.conf" frr_intra
drift_line "etc/frr-bgp.conf: prefix-lists permit exactly the service addresses, healthy from $REF_IF, the standby from anycast-sb prepended" \
	"$SRC/etc/frr-bgp.conf" frr_sets frr_bgp
drift_line "etc/unbound.conf: interface: lines for the service addresses, probe $REF_NAME with TTL 0" \
	"$SRC/etc/unbound.conf" unbound_sets
for f in README.md doc/deploy.md; do
	if [ -f "$SRC/$f" ]; then
		drift_line "$f names the service addresses and the probe, and no other" "$SRC/$f" mentions
	else
		tap_fail "$f exists"
	fi
done
for f in doc/anycast-agent.8.scd doc/anycast-agent.conf.5.scd; do
	drift_line "$f names no other service address or probe" "$SRC/$f"
done

# The line README.md shows for OK is the format the plugin prints (checked below).
README_OK=$(grep -o 'ANYCAST OK - [^`]*' "$SRC/README.md" | head -n 1)

# ======================================================================== monitoring-plugins format

# The Nagios/monitoring-plugins guideline: "STATUS - text | label=value[UOM];[warn];[crit];[min];[max] ..."
# (U for a value that could not be measured).
PERF_ITEM="('[^'=]+'|[^' =|]+)=(U|-?[0-9]+(\.[0-9]+)?(s|ms|us|%|B|KB|MB|TB|c)?)(;(-?[0-9]+(\.[0-9]+)?)?){0,4}"
PLUGIN_RE="^ANYCAST (OK|WARNING|CRITICAL|UNKNOWN) - [^|]*[^ |]( \| $PERF_ITEM( $PERF_ITEM)*)?$"
PLUGIN_RE_PERF="^ANYCAST (OK|WARNING|CRITICAL|UNKNOWN) - [^|]*[^ |] \| $PERF_ITEM( $PERF_ITEM)*$"

plugin_line() {
	[ "$(wc -l <<<"$1")" = 1 ] && grep -qE -- "$PLUGIN_RE" <<<"$1"
}
plugin_line_perf() {
	[ "$(wc -l <<<"$1")" = 1 ] && grep -qE -- "$PLUGIN_RE_PERF" <<<"$1"
}
tap_check "README.md's OK example is a monitoring-plugins line with perfdata: ${README_OK:-none found}" \
	plugin_line_perf "$README_OK"

# ======================================================================== the private world

# The examples name real paths; in a mount namespace of its own (inside $NS) those are:
#   /etc                   an overlay with anycast-agent/anycast-agent.conf and
#                          sudoers.d/anycast-agent added (upper layer on a private tmpfs)
#   /usr/lib/nagios/plugins  $T/plugins: check_anycast_agent -> the agent under test
#   /run                   an empty tmpfs (no agent's lock or state, no FRR)
# A holder process keeps the namespace; everything else enters it with nsenter.
mkdir -p "$T/plugins" "$T/mnt" "$T/nrpe"
AGENT_RUN=$AGENT
if ! setpriv --reuid="$NAGIOS_USER" --regid="$NAGIOS_USER" --clear-groups test -x "$AGENT"; then
	mkdir -p "$T/sbin"
	cp "$AGENT" "$T/sbin/anycast-agent"
	AGENT_RUN=$T/sbin/anycast-agent
	tap_diag "$NAGIOS_USER cannot reach $AGENT: the plugin link points to a copy, $AGENT_RUN"
fi
ln -sfn "$AGENT_RUN" "$T/plugins/check_anycast_agent"

# A stand-in for vtysh: says which group it runs with, as its last line on stderr, which
# --check-once quotes.
cat >"$T/vtysh" <<-'EOF'
	#!/bin/sh
	echo "vtysh ran with group $(id -gn)" >&2
	exit 1
EOF
chmod 755 "$T/vtysh"

# The dead resolver: nothing listens on 127.0.0.1@53 in a fresh namespace.
agent_conf() { # FRR_LINES...
	printf '[agent]\ninterface = anycast0\nmaintenance_file = %s/maintenance\n' "$T"
	printf '%s\n' "$@"
	printf '\n[service resolver]\naddresses = %s\nresolver = 127.0.0.1@53\nquery = %s %s\n' \
		"${REF_ADDRS// /, }" "$REF_NAME" "$REF_TYPE"
}
agent_conf "frr_check = no" >"$T/agent-dead.conf"
printf '[agent]\nfrr_check = no\n' >"$T/agent-idle.conf"
agent_conf "frr_check = yes" "vtysh = $T/vtysh" >"$T/agent-vtysh.conf"

cat >"$T/world.sh" <<-EOF
	set -e
	mount -t tmpfs -o mode=0755 aa-ex "$T/mnt"
	mkdir -p "$T/mnt/up/anycast-agent" "$T/mnt/up/sudoers.d" "$T/mnt/work"
	cp "$T/agent-dead.conf" "$T/mnt/up/anycast-agent/anycast-agent.conf"
	install -m 0440 "$MON/sudoers-anycast-agent" "$T/mnt/up/sudoers.d/anycast-agent"
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/mnt/up,workdir=$T/mnt/work" /etc
	mount --bind "$T/plugins" "$PLUGIN_DIR"
	mount -t tmpfs -o mode=0755 aa-ex-run /run
	touch "$T/world.ready"
	exec sleep infinity
EOF
bg_start HOLDER "$T/world.log" ip netns exec "$NS" unshare --mount --propagation private \
	sh "$T/world.sh"
SHOW_FILE=$T/world.log
TAP_ON_FAIL=show_file
tap_check "a private /etc overlay, plugin directory and /run inside $NS" wait_for 10 test -e "$T/world.ready"
TAP_ON_FAIL=
IN() { nsenter -t "$HOLDER" -m -n "$@"; }
AS_NAGIOS=(setpriv --reuid="$NAGIOS_USER" --regid="$NAGIOS_USER" --init-groups)
set_conf() { IN sh -c 'cat >/etc/anycast-agent/anycast-agent.conf' <"$1"; }

# ======================================================================== sudoers

out=$(visudo -cf "$MON/sudoers-anycast-agent" 2>&1)
st=$?
tap_check "visudo -cf doc/monitoring/sudoers-anycast-agent: parsed OK" \
	eval "[ $st = 0 ] && grep -q 'parsed OK' <<<\"\$out\""
[ "$st" = 0 ] || tap_diag "$out"

if ! getent group frrvty >/dev/null; then
	tap_diag "group frrvty missing (FRR not installed): the sudo rule is not run"
elif [ -e "$T/world.ready" ]; then
	set_conf "$T/agent-vtysh.conf"
	out=$(IN "${AS_NAGIOS[@]}" sudo -n -g frrvty "$PLUGIN_DIR/check_anycast_agent" 2>"$T/sudo.err")
	st=$?
	SHOW_FILE=$T/sudo.err
	TAP_ON_FAIL=show_file
	tap_check "sudo rule: $NAGIOS_USER runs 'sudo -n -g frrvty $PLUGIN_DIR/check_anycast_agent', and its vtysh runs with group frrvty" \
		eval "[ $st = 2 ] && grep -qF \"FRR: 'show ip ospf neighbor json': vtysh ran with group frrvty\" <<<\"\$out\""
	TAP_ON_FAIL=
	[ "$st" = 2 ] || tap_diag "exit $st: $out"
	# sudo -l CMD: would sudo run CMD (exit 0), whatever CMD itself would then do?
	allowed=
	for args in "-g frrvty $PLUGIN_DIR/check_anycast_agent -c /etc/anycast-agent/anycast-agent.conf" \
		"-g frrvty $PLUGIN_DIR/check_anycast_agent --withdraw-all" \
		"$PLUGIN_DIR/check_anycast_agent" "-g frr $PLUGIN_DIR/check_anycast_agent" \
		"-g frrvty /usr/bin/vtysh" "-g frrvty /usr/sbin/anycast-agent --withdraw-all" \
		"-g frrvty /usr/sbin/anycast-agent --check-once -c /etc/anycast-agent/anycast-agent.conf"; do
		# shellcheck disable=SC2086 # the words of one command line
		if IN "${AS_NAGIOS[@]}" sudo -n -l $args >/dev/null 2>&1; then
			allowed="$allowed [sudo $args]"
		fi
	done
	tap_check "sudo rule: anything else is refused (arguments, another group, root, vtysh, another mode)${allowed:+: allowed$allowed}" \
		test -z "$allowed"
fi

# ======================================================================== icinga2

IC=$T/icinga2
mkdir -p "$IC/zones.d/master" "$IC/cache"
chown "$NAGIOS_USER" "$IC/cache"
cp "$MON/icinga2-anycast-agent.conf" "$IC/zones.d/master/"
cat >"$IC/icinga2.conf" <<-EOF
	const PluginDir = "$PLUGIN_DIR"
	const NodeName = "monitor.example.org"
	const ZoneName = "master"
	include <itl>
	include <plugins>
	object Endpoint NodeName {}
	object Zone ZoneName { endpoints = [ NodeName ] }
	object Endpoint "resolver-a.example.org" {}
	object Zone "resolver-a.example.org" { endpoints = [ "resolver-a.example.org" ]; parent = ZoneName }
	include_zones "aa-ex", "$IC/zones.d"
EOF
cat >"$IC/zones.d/master/hosts.conf" <<-'EOF'
	object Host "resolver-a.example.org" {
		check_command = "dummy"
		address = "10.10.1.11"
		vars.anycast_resolver = true
		vars.agent_endpoint = name
		vars.anycast_agent_config = "/etc/anycast-agent/anycast-agent.conf"
		vars.anycast_agent_state_dir = "/run/anycast-agent"
	}
	object Host "resolver-b.example.org" {
		check_command = "dummy"
		address = "10.10.2.11"
		vars.anycast_resolver = true
	}
	object Host "router-a.example.org" {
		check_command = "dummy"
		address = "10.10.1.1"
	}
EOF
IC_D=(-D "Configuration.CacheDir=$IC/cache")
ip netns exec "$NS" icinga2 daemon -C -c "$IC/icinga2.conf" "${IC_D[@]}" >"$IC/validate.log" 2>&1
st=$?
SHOW_FILE=$IC/validate.log
show_icinga() { grep -E 'critical|warning|Error|Location|\^\^' "$SHOW_FILE" | head -n 20; }
TAP_ON_FAIL=show_icinga
tap_check "icinga2 daemon -C with doc/monitoring/icinga2-anycast-agent.conf: valid, no warning" \
	eval "[ $st = 0 ] && grep -q 'Finished validating the configuration' '$IC/validate.log' &&
		! grep -qE '(warning|critical)/' '$IC/validate.log'"
TAP_ON_FAIL=
ic_obj() { ip netns exec "$NS" icinga2 object list "${IC_D[@]}" "$@" 2>/dev/null; }
# ic_block DUMP INDENT NAME: the lines nested under "INDENT* NAME" (an argument, a var).
ic_block() {
	awk -v head="$2* $3" -v ind="$2  " '
		on && index($0, ind) != 1 { on = 0 }
		on
		$0 == head { on = 1 }' <<<"$1"
}
# ic_has TEXT FIXED...: TEXT has a line containing each FIXED string.
ic_has() {
	local text=$1 f
	shift
	for f in "$@"; do grep -qF -- "$f" <<<"$text" || return 1; done
}
# shellcheck disable=SC2016 # Icinga 2 macros, not shell expansions
ic_command_ok() {
	local cc
	cc=$(ic_obj --type CheckCommand --name anycast-agent)
	ic_has "$cc" "* command = [ \"$PLUGIN_DIR/check_anycast_agent\" ]" &&
		ic_has "$(ic_block "$cc" "    " -c)" 'value = "$anycast_agent_config$"' &&
		ic_has "$(ic_block "$cc" "    " --state-dir)" 'value = "$anycast_agent_state_dir$"'
}
ic_service() { # HOST: the dump of HOST!anycast-agent
	ic_obj --type Service --name "$1!anycast-agent"
}
ic_apply_ok() {
	ic_has "$(ic_service resolver-a.example.org)" '* check_command = "anycast-agent"' \
		'* command_endpoint = "resolver-a.example.org"' &&
		ic_has "$(ic_service resolver-b.example.org)" '* check_command = "nrpe"' \
			'nrpe_command = "check_anycast_agent"' &&
		! ic_has "$(ic_obj --type Service)" "Object 'router-a.example.org!"
}
if [ "$st" = 0 ]; then
	tap_check "icinga2: CheckCommand anycast-agent runs PluginDir/check_anycast_agent, -c \$anycast_agent_config\$, --state-dir \$anycast_agent_state_dir\$" \
		ic_command_ok
	tap_check "icinga2: the apply rules give resolver-a (Icinga agent) the check on its own endpoint, resolver-b (no agent) the NRPE one, the router none" \
		ic_apply_ok
fi

# ======================================================================== nrpe

cat >"$T/nrpe/nrpe.cfg" <<-EOF
	log_file=$T/nrpe/nrpe.log
	pid_file=$T/nrpe/nrpe.pid
	server_address=127.0.0.1
	server_port=5666
	nrpe_user=$NAGIOS_USER
	nrpe_group=$NAGIOS_USER
	allowed_hosts=127.0.0.1
	dont_blame_nrpe=0
	allow_bash_command_substitution=0
	command_timeout=20
	connection_timeout=30
	include=$MON/nrpe-anycast-agent.cfg
EOF
: >"$T/nrpe/nrpe.log"
chown "$NAGIOS_USER" "$T/nrpe/nrpe.log"
NRPE=
if [ -e "$T/world.ready" ]; then
	bg_start NRPE "$T/nrpe/nrpe.out" nsenter -t "$HOLDER" -m -n nrpe -c "$T/nrpe/nrpe.cfg" -f
fi
nrpe_listens() { ip netns exec "$NS" ss -Htln 'sport = :5666' | grep -q .; }
SHOW_FILE=$T/nrpe/nrpe.out
TAP_ON_FAIL=show_file
tap_check "nrpe (nagios-nrpe-server) runs on 127.0.0.1:5666 in $NS with doc/monitoring/nrpe-anycast-agent.cfg included" \
	eval "[ -n '$NRPE' ] && wait_for 10 nrpe_listens"
TAP_ON_FAIL=

# compare CASE CONF WANT_STATE WANT_CODE: the plugin run directly (as nrpe's user, in the same
# world) and through check_nrpe print the same line and exit with the same code.
compare() {
	local case=$1 conf=$2 state=$3 code=$4 direct nrpe dst nst
	set_conf "$conf"
	direct=$(IN "${AS_NAGIOS[@]}" "$PLUGIN_DIR/check_anycast_agent" 2>/dev/null)
	dst=$?
	nrpe=$(ip netns exec "$NS" "$CHECK_NRPE" -H 127.0.0.1 -p 5666 -t 20 -c check_anycast_agent 2>&1)
	nst=$?
	tap_diag "$case, direct (exit $dst): $direct"
	tap_diag "$case, check_nrpe (exit $nst): $nrpe"
	tap_check "$case: the plugin says ANYCAST $state and exits $code" \
		eval "[ $dst = $code ] && grep -q '^ANYCAST $state - ' <<<\"\$direct\""
	tap_check "$case: check_nrpe prints the same line and exits $code" \
		eval "[ $nst = $code ] && [ \"\$nrpe\" = \"\$direct\" ]"
	if [ "$state" = UNKNOWN ]; then
		tap_check "$case: a monitoring-plugins line" plugin_line "$direct"
	else
		tap_check "$case: a monitoring-plugins line with perfdata (U for the failed probe)" \
			eval "plugin_line_perf \"\$direct\" && grep -qE ' [a-z_]+_rtt=U( |\$)' <<<\"\$direct\""
	fi
}
if nrpe_listens 2>/dev/null; then
	compare "dead resolver (closed port 53, frr_check = no)" "$T/agent-dead.conf" CRITICAL 2
	compare "no [service] configured" "$T/agent-idle.conf" UNKNOWN 3
fi

# ======================================================================== prometheus, grafana

RULES=$MON/prometheus-anycast-agent.rules.yml
GRAFANA=$MON/grafana-anycast-agent.json
# show_out: what the last command said, on failure.
show_out() { sed 's/^/    /' "$T/prom.out"; }
TAP_ON_FAIL=show_out
promtool check rules "$RULES" >"$T/prom.out" 2>&1
tap_check "promtool check rules doc/monitoring/prometheus-anycast-agent.rules.yml" test $? = 0
promtool test rules "$SRC/tests/data/prometheus-anycast-agent.rules.test.yml" >"$T/prom.out" 2>&1
tap_check "promtool test rules: every alert fires when the series say it should, and only then" \
	test $? = 0
# The dashboard's queries as recording rules, Grafana's variables given values: PromQL
# that does not parse fails promtool as a rule would.
python3 - "$GRAFANA" >"$T/grafana-rules.yml" 2>"$T/prom.out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: grafana\n    rules:")
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*")
        print(f"      - record: panel_{p['id']}_{t['refId']}\n        expr: {json.dumps(e)}")
EOF
tap_check "doc/monitoring/grafana-anycast-agent.json is valid JSON with panels and queries" \
	eval "[ \$(grep -c ' expr: ' '$T/grafana-rules.yml') -ge 8 ]"
promtool check rules "$T/grafana-rules.yml" >"$T/prom.out" 2>&1
tap_check "... every query of its panels parses as PromQL (promtool check rules)" test $? = 0
# Every anycast_agent_* name they use is one agent/metrics.c writes.
grep -ohE 'anycast_agent_[a-z_]+' "$SRC/agent/metrics.c" | sort -u >"$T/names.agent"
grep -ohE 'anycast_agent_[a-z_]+' "$RULES" "$GRAFANA" | sort -u >"$T/names.used"
comm -13 "$T/names.agent" "$T/names.used" >"$T/prom.out"
tap_check "the rules and the dashboard name only metrics the agent writes ($(wc -l <"$T/names.used") names)" \
	eval "[ -s '$T/names.used' ] && [ ! -s '$T/prom.out' ]"
TAP_ON_FAIL=

# ======================================================================== nothing left

bg_kill "$NRPE" TERM
bg_kill "$HOLDER" KILL
ns_destroy "$NS"
left=$(ip netns list 2>/dev/null | grep -w -- "$NS")
for p in $NRPE $HOLDER $(pgrep -f -- "$T/" 2>/dev/null); do
	kill -0 "$p" 2>/dev/null && left="$left pid:$p"
done
tap_check "nothing left running: nrpe and the holder gone, namespace $NS removed${left:+ (left:$left)}" \
	test -z "$left"

tap_summary
