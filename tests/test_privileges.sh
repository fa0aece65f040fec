#!/bin/bash
# SPDX-License-Identifier: MIT
# The privileges of anycast-agent.service are enough, and needed: the agent runs as the
# anycast-agent user with CAP_NET_ADMIN as its only capability (ambient, as the unit gives
# it, through setpriv) in a namespace of its own with an ifb anycast0 and a real unbound,
# and manages the addresses: announces, withdraws when unbound dies, drains through a
# local route on lo, reloads, stops, and --withdraw-all cleans up after a SIGKILL. The
# sd_notify protocol the unit relies on is checked with a NOTIFY_SOCKET listener: READY=1
# once the interface is as it should be, WATCHDOG=1 repeatedly while WATCHDOG_USEC is set.
# Without CAP_NET_ADMIN the agent must exit 1, say so, and change nothing.
#
#   tests/test_privileges.sh [AGENT]     AGENT defaults to ./anycast-agent; run as root.
#   AA_KEEP=1                            keeps the temporary directory.
#
# Uses the anycast-agent user when it exists (the package is installed, or was: Debian
# keeps system users); otherwise creates it for the run and removes it at exit.
# Prints "ok N - ..." / "not ok N - ..." and closes with "N passed, M failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

AGENT_SRC=${1:-./anycast-agent}
USER_NAME=anycast-agent
NS=aa-priv-$$
IF=anycast0
A4=10.53.0.53/32
A6=fd53::53/128
ADDRS=("$A4" "$A6")
T_CHANGE=10
CAP_NET_ADMIN_MASK=0000000000001000 # bit 12

cleanup_install_traps
if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root"
	tap_summary
	exit 1
fi
if [ ! -x "$AGENT_SRC" ]; then
	tap_fail "agent binary $AGENT_SRC is executable"
	tap_summary
	exit 1
fi
for tool in setpriv python3 "$UNBOUND"; do
	if ! command -v "$tool" >/dev/null; then
		tap_fail "$tool is installed"
		tap_summary
		exit 1
	fi
done

T=$(mktemp -d /tmp/aa-priv.XXXXXX) || exit 1
[ "${AA_KEEP:-0}" = 1 ] || cleanup_add rm -rf "$T"
# Everything the agent's user reads lives here; unbound (root) keeps its files in $T/ub.
chmod 755 "$T"
mkdir -m 755 "$T/ub" "$T/notify"
AGENT=$T/anycast-agent
install -m 0755 "$AGENT_SRC" "$AGENT"
CONF=$T/agent.conf
MAINT=$T/maintenance
# The state directory, as systemd's RuntimeDirectory= gives it: the user's own.
RUN=$T/run
LOG=$T/agent.log
CLOG=$T/cmd.log
NOTIFY_LOG=$T/notify.log
AGENT_PID=

show_logs() {
	echo "last lines of the agent log ($LOG):"
	tail -n 15 "$LOG" 2>/dev/null
	echo "last lines of the one-shot runs ($CLOG):"
	tail -n 5 "$CLOG" 2>/dev/null
	echo "$IF and the local table of $NS:"
	ip -n "$NS" -o addr show dev "$IF" 2>&1
	ip -n "$NS" -4 route show table local 2>&1
	ip -n "$NS" -6 route show table local 2>&1
}
# shellcheck disable=SC2034 # read by tap_fail in lib.sh
TAP_ON_FAIL=show_logs

# ------------------------------------------------------------------------------- setup

cleanup_add bg_kill_all
if ! getent passwd "$USER_NAME" >/dev/null; then
	useradd --system --user-group --no-create-home --home-dir / \
		--shell /usr/sbin/nologin "$USER_NAME" || exit 1
	cleanup_add userdel "$USER_NAME"
	tap_diag "created the $USER_NAME user for this run"
fi

install -d -m 0755 -o "$USER_NAME" -g "$USER_NAME" "$RUN"
host_setup "$NS" "$IF" "$T/ub" "interface: ${A4%/*}" "interface: ${A6%/*}"

# write_conf WITHDRAW_ON_EXIT DRAIN_MS
write_conf() {
	cat >"$CONF.tmp" <<-EOF
		[agent]
		interface = $IF
		create_interface = yes
		maintenance_file = $MAINT
		withdraw_on_exit = $1
		drain_ms = $2
		frr_check = no

		[service resolver]
		addresses = $A4, $A6
		resolver = 127.0.0.1@53
		query = $UB_PROBE_NAME A
		interval_ms = 100
		timeout_ms = 100
		rise = 3
		fall = 2
	EOF
	chmod 644 "$CONF.tmp" && mv "$CONF.tmp" "$CONF"
}
write_conf yes 1000

# shellcheck disable=SC2054 # the commas are setpriv's capability lists
# The unit's privileges: its user (and the groups of its user database entry), CAP_NET_ADMIN
# in every set the unit gives it, nothing else even in the bounding set, no new privileges.
AS_AGENT=(setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin
	--bounding-set=-all,+net_admin --no-new-privs)
# The same user with no capability at all.
AS_NOBODY_CAPS=(setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups
	--inh-caps=-all --ambient-caps=-all --bounding-set=-all --no-new-privs)

# agent_start ENV...: the daemon as the unit runs it, with NOTIFY_SOCKET and ENV.
agent_start() {
	echo "=== test_privileges.sh: agent start $* ===" >>"$LOG"
	bg_start AGENT_PID "$LOG" ip netns exec "$NS" "${AS_AGENT[@]}" \
		env NOTIFY_SOCKET="$T/notify/sock" "$@" "$AGENT" -c "$CONF" -s "$RUN"
}

agent_alive() {
	bg_alive "$AGENT_PID" && ! _bg_gone "$AGENT_PID"
}

# run_agent PRIVS-ARRAY-NAME ARG...: a one-shot run in the namespace; output to CLOG.
run_agent() {
	local -n _privs=$1
	shift
	echo "=== test_privileges.sh: $* ===" >>"$CLOG"
	ip netns exec "$NS" timeout 30 "${_privs[@]}" "$AGENT" -s "$RUN" "$@" >>"$CLOG" 2>&1
}

addrs_present() { ns_addrs_present "$NS" "$IF" "${ADDRS[@]}"; }
addrs_absent() { ns_addrs_absent "$NS" "$IF" "${ADDRS[@]}"; }
up() { wait_for "$T_CHANGE" addrs_present; }
down() { wait_for "$T_CHANGE" addrs_absent; }
gone() { ns_unreachable "$NS" "${ADDRS[@]}"; }
drain_routes() {
	ip -n "$NS" -4 route show table local proto 170
	ip -n "$NS" -6 route show table local proto 170
}
has_drain_route() { [ -n "$(drain_routes 2>/dev/null)" ]; }

expect_status() {
	[ "$1" = "$2" ] || {
		echo "exit status $1, expected $2"
		return 1
	}
}

# status_field PID FIELD: a line of /proc/PID/status, e.g. CapEff.
status_field() {
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status" 2>/dev/null
}

# ------------------------------------------------------- the NOTIFY_SOCKET listener

# Logs every sd_notify datagram, one assignment a line; at each READY=1 it also writes
# what the interface looked like at that moment (ready.N: link, addresses, drain routes).
cat >"$T/notify.py" <<'EOF'
import os, socket, subprocess, sys
path, log, ns, ifname, snapdir = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
n = 0
with open(log, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        data = s.recv(65536).decode(errors="replace")
        for line in data.split("\n"):
            if not line:
                continue
            f.write(line + "\n")
            if line == "READY=1":
                n += 1
                snap = ""
                for tag, cmd in (("link", ["link", "show", "dev", ifname]),
                                 ("addr", ["addr", "show", "dev", ifname]),
                                 ("drain-route", ["-4", "route", "show", "table", "local",
                                                  "proto", "170"]),
                                 ("drain-route", ["-6", "route", "show", "table", "local",
                                                  "proto", "170"])):
                    out = subprocess.run(["ip", "-n", ns, "-o"] + cmd,
                                         capture_output=True, text=True).stdout
                    snap += "".join("%s %s\n" % (tag, l) for l in out.splitlines())
                # renamed into place: the test waits for the file, never reads half of it
                path = os.path.join(snapdir, "ready.%d" % n)
                with open(path + ".tmp", "w") as g:
                    g.write(snap)
                os.rename(path + ".tmp", path)
                f.write("# snapshot ready.%d\n" % n)
EOF
bg_start NOTIFY_PID "$T/notify.out" python3 "$T/notify.py" "$T/notify/sock" "$NOTIFY_LOG" \
	"$NS" "$IF" "$T"
wait_for 5 grep -q LISTENING "$NOTIFY_LOG" 2>/dev/null
tap_check "NOTIFY_SOCKET listener is up" test -S "$T/notify/sock"

notify_count() { grep -cx "$1" "$NOTIFY_LOG" 2>/dev/null; }
notify_at_least() { [ "$(notify_count "$1")" -ge "$2" ]; }
# The last STATUS= line before the Nth READY=1.
status_before_ready() {
	awk -v n="$1" '/^STATUS=/ { s = $0 } $0 == "READY=1" && ++r == n { print s; exit }' \
		"$NOTIFY_LOG"
}
# The Nth READY=1's snapshot: the listener logs READY=1 first and takes the snapshot after
# (several `ip` runs, slow on a busy machine), so wait for it.
snap_wait() { wait_for 10 test -f "$T/ready.$1"; }
snap_has() { snap_wait "$1" && grep -qE -- "$2" "$T/ready.$1" 2>/dev/null; }
snap_lacks() { snap_wait "$1" && ! grep -qE -- "$2" "$T/ready.$1"; }

# ---------------------------------------- (1) without CAP_NET_ADMIN: exit 1, nothing changed

# run_without_caps DESC: the daemon with no capability exits 1 within 10 s, saying that it
# needs CAP_NET_ADMIN, and no address event and no link change happen meanwhile.
run_without_caps() {
	local desc=$1 st=0 mon link_before mark
	link_before=$(ip -n "$NS" -o link show dev "$IF" | grep -o '<[^>]*>')
	mark=$(file_size "$CLOG")
	mon_start mon "$NS" "$T/mon.nocap"
	echo "=== test_privileges.sh: no capabilities, $desc ===" >>"$CLOG"
	ip netns exec "$NS" timeout -k 2 10 "${AS_NOBODY_CAPS[@]}" "$AGENT" -c "$CONF" \
		-s "$RUN" >>"$CLOG" 2>&1 || st=$?
	[ "$st" = 124 ] && st="124 (still running after 10 s, stopped by timeout)"
	mon_stop "$mon" "$NS" "$T/mon.nocap"
	tap_check "(1) no CAP_NET_ADMIN, $desc: exits 1" expect_status "$st" 1
	tap_check "(1) no CAP_NET_ADMIN, $desc: the message names CAP_NET_ADMIN" \
		log_has "$CLOG" "$mark" 'CAP_NET_ADMIN'
	tap_check "(1) no CAP_NET_ADMIN, $desc: no address event" \
		test -z "$(mon_events "$T/mon.nocap")"
	tap_check "(1) no CAP_NET_ADMIN, $desc: $IF flags unchanged" \
		test "$(ip -n "$NS" -o link show dev "$IF" | grep -o '<[^>]*>')" = "$link_before"
}

run_without_caps "$IF down (first start)"
# A restart finds the interface up (the previous run brought it up).
ip -n "$NS" link set "$IF" up
run_without_caps "$IF already up (a restart)"
ip -n "$NS" link set "$IF" down

st=0
run_agent AS_NOBODY_CAPS -c "$CONF" --withdraw-all || st=$?
tap_check "(1) no CAP_NET_ADMIN: --withdraw-all exits 1" expect_status "$st" 1

# ----------------------------- (2) as the unit runs it: user, CAP_NET_ADMIN only, READY=1

# A drain route left behind by a run that died while draining: the first reconcile
# removes it, so it must be gone by READY=1.
ip -n "$NS" route add local "$A4" dev lo table local proto 170 metric 170
tap_check "harness: a stale drain route for $A4 is in place before the start" has_drain_route
agent_start WATCHDOG_USEC=400000
tap_check "(2) READY=1 arrives" wait_for "$T_CHANGE" notify_at_least READY=1 1
tap_check "(2) at READY=1 the agent had brought $IF up" snap_has 1 "^link [0-9]+: $IF: <[^>]*\bUP\b"
tap_check "(2) at READY=1 the stale drain route was gone" snap_lacks 1 '^drain-route'
tap_check "(2) STATUS= before READY=1 counts the addresses" \
	test -n "$(status_before_ready 1 | grep -E '^STATUS=[0-9]+/1 services up, [0-9]/2 addresses on anycast0')"
tap_check "(2) both addresses appear after the rise probes" up
tap_check "(2) STATUS= reports 1/1 services up, 2/2 addresses" \
	wait_for 3 grep -qx 'STATUS=1/1 services up, 2/2 addresses on anycast0' "$NOTIFY_LOG"

pid=$AGENT_PID
tap_check "(2) the agent runs as $USER_NAME" \
	test "$(status_field "$pid" Uid | awk '{ print $1 $2 $3 $4 }')" = \
	"$(id -u "$USER_NAME")$(id -u "$USER_NAME")$(id -u "$USER_NAME")$(id -u "$USER_NAME")"
for set in CapEff CapPrm CapAmb CapBnd; do
	tap_check "(2) its $set is CAP_NET_ADMIN alone" \
		test "$(status_field "$pid" "$set")" = "$CAP_NET_ADMIN_MASK"
done
tap_check "(2) NoNewPrivs is set" test "$(status_field "$pid" NoNewPrivs)" = 1

# ------------------------------------------------------------------------- (3) watchdog

n0=$(notify_count WATCHDOG=1)
sleep 2
n1=$(notify_count WATCHDOG=1)
# WATCHDOG_USEC=400000: a ping every 200 ms, so about 10 in 2 s.
tap_check "(3) WATCHDOG=1 repeats (got $((n1 - n0)) in 2 s, at least 5 expected)" \
	test $((n1 - n0)) -ge 5
kill -s STOP "$pid"
n0=$(notify_count WATCHDOG=1)
sleep 1
n1=$(notify_count WATCHDOG=1)
kill -s CONT "$pid"
tap_check "(3) a stopped (wedged) agent sends no WATCHDOG=1" test "$n1" -eq "$n0"

# ------------------------------------------------------- (4) the agent manages the addresses

up
ub_stop "$T/ub"
tap_check "(4) unbound SIGKILL: both addresses withdrawn" down
tap_check "(4) no local route left (failures are not drained)" wait_for "$T_CHANGE" gone
ub_start "$NS" "$T/ub"
tap_check "(4) unbound back: both addresses back" up

touch "$MAINT"
tap_check "(4) maintenance file: both addresses withdrawn" down
tap_check "(4) maintenance: the drain route on lo (protocol 170) was added" \
	wait_for 1 has_drain_route
tap_check "(4) maintenance: the drain route goes after drain_ms" wait_for "$T_CHANGE" gone
rm -f "$MAINT"
tap_check "(4) maintenance over: both addresses back" up

n0=$(notify_count READY=1)
write_conf yes 500
kill -s HUP "$pid"
tap_check "(4) SIGHUP: RELOADING=1, then READY=1 again" \
	wait_for "$T_CHANGE" notify_at_least READY=1 $((n0 + 1))
tap_check "(4) SIGHUP: reloaded, still running, addresses kept" \
	wait_for 3 log_has "$LOG" 0 'reloaded'
tap_check "(4) after the reload both addresses are still there" addrs_present

# ---------------------------------------------------- (5) SIGTERM, SIGKILL, --withdraw-all

kill -s TERM "$pid"
st=
bg_wait_exit "$pid" "$T_CHANGE" st
tap_check "(5) SIGTERM: STOPPING=1 sent" grep -qx STOPPING=1 "$NOTIFY_LOG"
tap_check "(5) SIGTERM: exit 0" expect_status "${st:-running}" 0
tap_check "(5) SIGTERM: both addresses withdrawn, no route left" eval 'addrs_absent && gone'

# withdraw_on_exit = no, as for a restart without flap: the addresses stay at exit and
# the next start adopts them, so they are there when READY=1 comes.
write_conf no 500
agent_start
up
kill -s TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_CHANGE" st
tap_check "(5) withdraw_on_exit = no: addresses left at SIGTERM" addrs_present
nready=$(($(notify_count READY=1) + 1))
tap_diag "READY=1 so far: $((nready - 1))"
mon_start mon "$NS" "$T/mon.restart"
agent_start
tap_check "(5) restart: READY=1 arrives" wait_for "$T_CHANGE" notify_at_least READY=1 "$nready"
tap_check "(5) restart: at READY=1 both addresses are on $IF" \
	eval "snap_has $nready '${A4%/*}/32' && snap_has $nready '${A6%/*}/128'"
tap_check "(5) restart: STATUS= before READY=1 says 2/2 addresses" \
	test "$(status_before_ready "$nready")" = 'STATUS=1/1 services up, 2/2 addresses on anycast0'
sleep 0.5
mon_stop "$mon" "$NS" "$T/mon.restart"
tap_check "(5) restart: the addresses were never withdrawn" not mon_deleted "$T/mon.restart" "${ADDRS[@]}"

# A crash (SIGKILL) leaves them: the unit's ExecStopPost= runs --withdraw-all, with the
# same privileges.
bg_kill "$AGENT_PID" KILL
tap_check "(5) SIGKILL: the addresses stay behind" addrs_present
st=0
run_agent AS_AGENT -c "$CONF" --withdraw-all || st=$?
tap_check "(5) --withdraw-all with CAP_NET_ADMIN only: exit 0" expect_status "$st" 0
tap_check "(5) --withdraw-all: both addresses and any drain route gone" eval 'addrs_absent && gone'
st=0
run_agent AS_AGENT -c "$CONF" --withdraw-all || st=$?
tap_check "(5) --withdraw-all again, nothing there: exit 0" expect_status "$st" 0

# Without WATCHDOG_USEC there are no watchdog pings.
write_conf yes 500
nw=$(notify_count WATCHDOG=1)
agent_start
up
sleep 1
tap_check "(5) without WATCHDOG_USEC no WATCHDOG=1 is sent" test "$(notify_count WATCHDOG=1)" -eq "$nw"
kill -s TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_CHANGE" st

tap_summary
