#!/bin/bash
# SPDX-License-Identifier: MIT
# Single-host integration test of anycast-agent: a namespace of its own with an ifb link
# named anycast0 (this kernel has no dummy driver), a real unbound on 127.0.0.1@53 and ::1@53
# (and on the service addresses, with ip-freebind), and the real agent. Every scenario
# asserts outcomes: addresses on the link, exit codes, address events; log lines are
# matched case-insensitively on keywords only.
#
# The scenarios, by the number every check's description starts with, in the order they run:
#   (13) --config-test           (1) announce after rise      (11) --check-once
#   (7) foreign removal          (2) unbound SIGKILL          (3) SERVFAIL
#   (4) unbound hangs            (5) maintenance file         (6) SIGHUP reload
#   (14) the link goes away      (8) restart, addresses kept  (9) start with a dead resolver
#   (10) SIGTERM, SIGINT         (12) --withdraw-all          (15) --check-once: no green lie
#   (16) renamed interface       (17) a second agent          (18) prefix-length conflict
#   (19) SIGTERM during a drain  (20) crash with a broken configuration on disk
#   (21) a service that never comes up says why
#   (22) churn of 20k addresses elsewhere: withdrawal stays fast
#   (23) the kernel reports the resolver's listener gone: withdrawn before the next probe
#   (27) the metrics file, scraped through a real prometheus-node-exporter
#   (28) standby: failing but running is announced through the standby interface
#   (29) journal fields of a transition (SERVICE=, STATE=, REASON=), over a stand-in socket
#
#   tests/integration.sh [AGENT]      AGENT defaults to ./anycast-agent; run as root.
#   AA_ASAN=1 tests/integration.sh build/asan/anycast-agent
#                                     also fails on sanitizer reports in the agent's output.
#   AA_KEEP=1                         keeps the temporary directory (logs, configs, monitors).
#
# Prints "ok N - ..." / "not ok N - ..." per check and closes with "N passed, M failed".
# Nothing outside the namespace and the temporary directory is touched; both go at exit.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

AGENT=${1:-./anycast-agent}
case $AGENT in
/*) ;;
*) AGENT=$PWD/$AGENT ;;
esac

NS=aa-it-$$
IF=anycast0
A4=10.53.0.53/32
A6=fd53::53/128
A4B=10.53.0.54/32 # added by the reload scenario
ADDRS=("$A4" "$A6")
# Bounds are generous on purpose: the agent needs ~0.3 s (rise/fall x 100 ms).
T_CHANGE=10
T_EXIT=10

cleanup_install_traps
T=$(mktemp -d /tmp/aa-it.XXXXXX) || exit 1
[ "${AA_KEEP:-0}" = 1 ] || cleanup_add rm -rf "$T"

CONF=$T/agent.conf
MAINT=$T/maintenance
RUN=$T/run # the state directory (lock, state file), as --state-dir
LOG=$T/agent.log   # every agent run, appended, with a marker line per start
CLOG=$T/cmd.log    # stderr of the one-shot modes (--check-once, --config-test, ...)
AGENT_PID=
AGENT_RUNS=0

show_agent_log() {
	echo "last lines of the agent log ($LOG):"
	tail -n 20 "$LOG" 2>/dev/null
}
# shellcheck disable=SC2034 # read by tap_fail in lib.sh
TAP_ON_FAIL=show_agent_log

# write_agent_conf FILE ADDRESSES [EXTRA-LINE...]: EXTRA lines end the service section.
write_agent_conf() {
	local file=$1 addrs=$2 l
	shift 2
	{
		echo "[agent]"
		echo "interface = $IF"
		echo "create_interface = yes"
		echo "maintenance_file = $MAINT"
		echo "withdraw_on_exit = yes"
		echo "log_level = info"
		echo "frr_check = no" # no FRR here: --check-once judges the resolver and the link
		[ -z "${AGENT_EXTRA:-}" ] || echo "$AGENT_EXTRA"
		echo
		echo "[service resolver]"
		echo "addresses = $addrs"
		echo "resolver = 127.0.0.1@53"
		echo "query = probe.campus.test. A"
		echo "expect_rcode = NOERROR"
		echo "interval_ms = 100"
		echo "timeout_ms = 100"
		echo "rise = 3"
		echo "fall = 2"
		for l in "$@"; do echo "$l"; done
	} >"$file.tmp" && mv "$file.tmp" "$file"
}

agent_start() {
	AGENT_RUNS=$((AGENT_RUNS + 1))
	echo "=== integration.sh: agent run $AGENT_RUNS ===" >>"$LOG"
	# A background job of a script starts with SIGINT ignored; a daemon from systemd or a
	# terminal does not: give the agent the default back so that SIGINT can be tested.
	bg_start AGENT_PID "$LOG" ip netns exec "$NS" env --default-signal=INT "$AGENT" -c "$CONF" \
		-s "$RUN"
}

agent_alive() {
	bg_alive "$AGENT_PID" && ! _bg_gone "$AGENT_PID"
}

# Kept running through the scenarios; one that finds it dead says so and starts a new one,
# so that one failure does not hide the results of the scenarios after it.
agent_ensure() {
	agent_alive && return 0
	tap_fail "agent still running before: $1"
	agent_start
}

# run_agent OUTFILE ARG...: a one-shot run inside the namespace; stdout to OUTFILE, stderr
# to CLOG; returns its exit status.
run_agent() {
	local out=$1
	shift
	echo "=== integration.sh: $* ===" >>"$CLOG"
	ip netns exec "$NS" timeout 30 "$AGENT" -s "$RUN" "$@" >"$out" 2>>"$CLOG"
}

addrs_present() { ns_addrs_present "$NS" "$IF" "$@"; }
addrs_absent() { ns_addrs_absent "$NS" "$IF" "$@"; }
up() { wait_for "$T_CHANGE" addrs_present "${ADDRS[@]}"; }
down() { wait_for "$T_CHANGE" addrs_absent "${ADDRS[@]}"; }
# No address and no local route left: the host no longer accepts traffic for them.
gone() { ns_unreachable "$NS" "${ADDRS[@]}"; }
ub_ok() { ub_answers "$NS" 127.0.0.1; }
alive_with() { agent_alive && addrs_present "$@"; }
# present_never_deleted MONFILE ADDR...
present_never_deleted() {
	local f=$1
	shift
	addrs_present "$@" && ! mon_deleted "$f" "$@"
}

# expect_status GOT WANT
expect_status() {
	[ "$1" = "$2" ] || {
		echo "exit status $1, expected $2"
		return 1
	}
}

# one_line_matching FILE ERE: FILE holds exactly one line, and it matches ERE.
one_line_matching() {
	if [ "$(wc -l <"$1")" -ne 1 ] || ! grep -qE -- "$2" "$1"; then
		echo "output was:"
		sed 's/^/    /' "$1"
		return 1
	fi
}

# check_once_case DESC STATUS ERE: --check-once exits STATUS, prints one line matching ERE,
# and no address event (sentinels aside) happens while it runs.
check_once_case() {
	local desc=$1 want=$2 ere=$3 st=0 mon
	mon_start mon "$NS" "$T/mon.check"
	run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
	mon_stop "$mon" "$NS" "$T/mon.check"
	tap_check "$desc: exit $want" expect_status "$st" "$want"
	tap_check "$desc: one line matching '$ere'" one_line_matching "$T/check.out" "$ere"
	tap_check "$desc: no address event while it ran" test -z "$(mon_events "$T/mon.check")"
}

# ------------------------------------------------------------------------------- setup

if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root"
	tap_summary
	exit 1
fi
if [ ! -x "$AGENT" ]; then
	tap_fail "agent binary $AGENT is executable"
	tap_summary
	exit 1
fi

cleanup_add bg_kill_all
# unbound listens on the service addresses too, as etc/unbound.conf has it: --check-once
# looks for the listeners
host_setup "$NS" "$IF" "$T" "interface: ${A4%/*}" "interface: ${A6%/*}" "interface: ${A4B%/*}"
write_agent_conf "$CONF" "$A4, $A6"

# --------------------------------------------------- (13) --config-test, before anything runs

# config_test FILE: runs --config-test on FILE; stdout and stderr both in $T/ct.out (the
# error lines may go to either), status in CT_ST.
config_test() {
	CT_ST=0
	ip netns exec "$NS" timeout 30 "$AGENT" -c "$1" --config-test >"$T/ct.out" 2>&1 ||
		CT_ST=$?
	{
		echo "=== integration.sh: --config-test $1 ==="
		cat "$T/ct.out"
	} >>"$CLOG"
}

# ct_reports NAME LINE: the output has "NAME:LINE: " (NAME with or without its directory);
# LINE may be a regex.
ct_reports() {
	grep -qE "(^|/)${1//./\\.}:$2: " "$T/ct.out" || {
		echo "output was:"
		sed 's/^/    /' "$T/ct.out"
		return 1
	}
}

ct_bad_both() {
	ct_reports bad-both.conf "[0-9]+" && ! grep -q "configuration OK" "$T/ct.out"
}
untouched_before_start() {
	addrs_absent "${ADDRS[@]}" && ! ns_link_up "$NS" "$IF"
}

config_test "$CONF"
tap_check "(13) config-test good file: exit 0" expect_status "$CT_ST" 0
tap_check "(13) config-test good file: prints 'configuration OK'" \
	grep -q '^configuration OK$' "$T/ct.out"

BAD_KEY=$T/bad-key.conf
write_agent_conf "$BAD_KEY" "$A4, $A6" "bogus_key = 1"
line=$(grep -n '^bogus_key' "$BAD_KEY" | cut -d: -f1)
config_test "$BAD_KEY"
tap_check "(13) config-test unknown key: exit 1" expect_status "$CT_ST" 1
tap_check "(13) config-test unknown key: 'bad-key.conf:$line:' reported" \
	ct_reports bad-key.conf "$line"

BAD_IV=$T/bad-interval.conf
write_agent_conf "$BAD_IV" "$A4, $A6"
sed -i 's/^interval_ms = 100$/interval_ms = 0/' "$BAD_IV"
line=$(grep -n '^interval_ms' "$BAD_IV" | cut -d: -f1)
config_test "$BAD_IV"
tap_check "(13) config-test interval_ms = 0: exit 1" expect_status "$CT_ST" 1
tap_check "(13) config-test interval_ms = 0: 'bad-interval.conf:$line:' reported" \
	ct_reports bad-interval.conf "$line"

BAD_BOTH=$T/bad-both.conf
write_agent_conf "$BAD_BOTH" "$A4, $A6" "bogus_key = 1"
sed -i 's/^interval_ms = 100$/interval_ms = 0/' "$BAD_BOTH"
config_test "$BAD_BOTH"
tap_check "(13) config-test both errors: exit 1" expect_status "$CT_ST" 1
tap_check "(13) config-test both errors: 'bad-both.conf:LINE:' lines, no 'configuration OK'" \
	ct_bad_both
tap_check "(13) config-test changed nothing on $IF" \
	untouched_before_start

# ----------------------------------------------------------- (1) announce after rise probes

mark=$(file_size "$LOG")
agent_start
tap_check "(1) both addresses appear after the rise probes" up
tap_check "(1) $A6 is not tentative" ns_addr_usable "$NS" "$IF" "$A6"
tap_check "(1) the agent brought $IF up" ns_link_up "$NS" "$IF"
tap_check "(1) log says UP after 3 probes" wait_for 3 log_has "$LOG" "$mark" 'up after 3 '

# ------------------------------------------------------------------- (11) --check-once, OK

check_once_case "(11) check-once healthy and announced" 0 '^ANYCAST OK'
st=0
run_agent "$T/status.out" -c "$CONF" --status || st=$?
tap_check "(11) --status: exit 0, the agent running, the service up, both addresses on $IF" \
	eval "[ $st = 0 ] && grep -q '^anycast-agent: running (pid $AGENT_PID)' '$T/status.out' &&
		grep -qE '^service resolver: up since .*last probe ok in [0-9.]+ ms' '$T/status.out' &&
		grep -qF 'address $A4 (service resolver): announced on $IF' '$T/status.out' &&
		grep -qF 'address $A6 (service resolver): announced on $IF' '$T/status.out' ||
		{ cat '$T/status.out'; false; }"

# ------------------------------------------------------- (7) address removed by someone else

agent_ensure "(7) restore"
up
mark=$(file_size "$LOG")
ip -n "$NS" addr del "$A4" dev "$IF"
tap_check "(7) $A4 deleted by hand is put back" wait_for "$T_CHANGE" addrs_present "$A4"
ip -n "$NS" addr del "$A6" dev "$IF"
tap_check "(7) $A6 deleted by hand is put back" wait_for "$T_CHANGE" addrs_present "$A6"
tap_check "(7) a warning about the restore is logged" \
	wait_for 3 log_has "$LOG" "$mark" 'restor'

# -------------------------------------------------------------------- (2) unbound SIGKILL

agent_ensure "(2) unbound killed"
up
mark=$(file_size "$LOG")
ub_stop "$T"
tap_check "(2) unbound SIGKILL: both addresses withdrawn" down
tap_check "(2) log says DOWN" wait_for 3 log_has "$LOG" "$mark" 'down after'
tap_check "(2) no local route left for them" wait_for "$T_CHANGE" gone
mark=$(file_size "$LOG")
ub_start "$NS" "$T"
tap_check "(2) unbound restarted: both addresses back" up
tap_check "(2) log says UP" wait_for 3 log_has "$LOG" "$mark" 'up after'

# ---------------------------------------------------------------- (3) SERVFAIL for the name

agent_ensure "(3) servfail"
up
mark=$(file_size "$LOG")
ub_servfail_inject "$NS" "$T"
tap_check "(3) harness: unbound answers SERVFAIL for $UB_PROBE_NAME" \
	ub_rcode_is "$NS" 127.0.0.1 SERVFAIL
tap_check "(3) SERVFAIL: both addresses withdrawn" down
tap_check "(3) log gives rcode SERVFAIL as the reason" wait_for 3 log_has "$LOG" "$mark" 'servfail'
ub_servfail_clear "$NS" "$T"
tap_check "(3) harness: injection cleared, the probe name answers again" ub_ok
tap_check "(3) SERVFAIL cleared: both addresses back" up

# ------------------------------------------------------------------ (4) unbound hangs

agent_ensure "(4) hang"
up
mark=$(file_size "$LOG")
ub_signal "$T" STOP
tap_check "(4) unbound SIGSTOP: both addresses withdrawn" down
tap_check "(4) log gives timeout as the reason" wait_for 3 log_has "$LOG" "$mark" 'timeout'
ub_signal "$T" CONT
tap_check "(4) unbound SIGCONT: both addresses back" up

# ------------------------------------------------------------------- (5) maintenance file

agent_ensure "(5) maintenance"
up
mark=$(file_size "$LOG")
touch "$MAINT"
tap_check "(5) maintenance file created: both addresses withdrawn" down
tap_check "(5) maintenance logged" wait_for 3 log_has "$LOG" "$mark" 'maintenance'
tap_check "(5) no local route left for them (after any drain)" wait_for "$T_CHANGE" gone
check_once_case "(11) check-once in maintenance" 1 '^ANYCAST WARNING'
mark=$(file_size "$LOG")
rm -f "$MAINT"
tap_check "(5) maintenance file removed: both addresses back" up
tap_check "(5) end of maintenance logged" wait_for 3 log_has "$LOG" "$mark" 'maintenance'

# ------------------------------------------------------------------------ (6) SIGHUP reload

agent_ensure "(6) reload"
up
mark=$(file_size "$LOG")
mon_start mon "$NS" "$T/mon.reload"
write_agent_conf "$CONF" "$A4, $A6, $A4B"
kill -HUP "$AGENT_PID"
tap_check "(6) reload adding $A4B: it appears" wait_for "$T_CHANGE" addrs_present "$A4B"
tap_check "(6) reload logged" wait_for 3 log_has "$LOG" "$mark" 'reload'
sleep 0.5 # a late delete-and-re-add of the kept addresses would show up here
mon_stop "$mon" "$NS" "$T/mon.reload"
tap_check "(6) reload: kept $A4 and $A6 were never deleted" \
	not mon_deleted "$T/mon.reload" "$A4" "$A6"
tap_check "(6) reload: kept addresses still present" addrs_present "$A4" "$A6"
tap_check "(6) reload: no event at all for the kept addresses (not replaced either)" \
	not mon_touched "$T/mon.reload" "$A4" "$A6"

mark=$(file_size "$LOG")
mon_start mon "$NS" "$T/mon.bad"
write_agent_conf "$CONF" "$A4, $A6" "bogus_key = 1"
kill -HUP "$AGENT_PID"
line=$(grep -n '^bogus_key' "$CONF" | cut -d: -f1)
tap_check "(6) reload with a bad file: the error (agent.conf:$line, bogus_key) is logged" \
	wait_for 3 log_has "$LOG" "$mark" "agent\.conf:$line: |bogus_key"
tap_check "(6) reload with a bad file: agent keeps running, all three addresses stay" \
	hold_for 1.5 alive_with "$A4" "$A6" "$A4B"
mon_stop "$mon" "$NS" "$T/mon.bad"
tap_check "(6) reload with a bad file: no address deleted" \
	not mon_deleted "$T/mon.bad" "$A4" "$A6" "$A4B"

mark=$(file_size "$LOG")
mon_start mon "$NS" "$T/mon.shrink"
write_agent_conf "$CONF" "$A4, $A6"
kill -HUP "$AGENT_PID"
tap_check "(6) reload dropping $A4B: it is removed" wait_for "$T_CHANGE" addrs_absent "$A4B"
tap_check "(6) reload dropping $A4B: no local route left for it" \
	wait_for "$T_CHANGE" ns_unreachable "$NS" "$A4B"
sleep 0.5
mon_stop "$mon" "$NS" "$T/mon.shrink"
tap_check "(6) reload dropping $A4B: $A4 and $A6 untouched" \
	present_never_deleted "$T/mon.shrink" "$A4" "$A6"

# ------------------------------------------------------------- (14) the link goes away

agent_ensure "(14) link deleted"
up
mark=$(file_size "$LOG")
ip -n "$NS" link del "$IF"
tap_check "(14) link deleted: an error mentioning dummy is logged" \
	wait_for 5 log_has "$LOG" "$mark" 'dummy'
tap_check "(14) link deleted: the agent keeps running" hold_for 2 agent_alive
tap_diag "log lines mentioning dummy in ~2 s without the link: $(log_since "$LOG" "$mark" |
	grep -ci dummy)"
ip -n "$NS" link add "$IF" type ifb
tap_check "(14) ifb $IF added again: both addresses re-added" up
tap_check "(14) ifb $IF added again: the agent brought it up" \
	wait_for "$T_CHANGE" ns_link_up "$NS" "$IF"

# ------------------------------------------- (8) agent restarted with the addresses present

agent_ensure "(8) restart"
up
bg_kill "$AGENT_PID" KILL
tap_check "(8) agent SIGKILL: addresses stay" addrs_present "${ADDRS[@]}"
mon_start mon "$NS" "$T/mon.restart"
agent_start
tap_check "(8) agent restarted with a healthy resolver: addresses stay for 2.5 s" \
	hold_for 2.5 alive_with "${ADDRS[@]}"
mon_stop "$mon" "$NS" "$T/mon.restart"
tap_check "(8) agent restarted: no Deleted event for its addresses" \
	not mon_deleted "$T/mon.restart" "${ADDRS[@]}"

# --------------------------- (11) --check-once CRITICAL changes nothing, (9) start with dead

bg_kill "$AGENT_PID" KILL
ub_stop "$T"
check_once_case "(11) check-once with unbound dead, agent stopped" 2 '^ANYCAST CRITICAL'
tap_check "(11) check-once with unbound dead: addresses left in place" \
	addrs_present "${ADDRS[@]}"

mark=$(file_size "$LOG")
agent_start
tap_check "(9) agent started with addresses present and unbound dead: withdrawn" down
tap_check "(9) log says DOWN" wait_for 3 log_has "$LOG" "$mark" 'down after'
ub_start "$NS" "$T"
tap_check "(9) unbound back: addresses back" up

# ------------------------------------------------------------------ (10) SIGTERM, SIGINT

agent_ensure "(10) SIGTERM"
up
kill -TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
tap_check "(10) SIGTERM: agent exits 0" expect_status "${st:-still running}" 0
tap_check "(10) SIGTERM: both addresses withdrawn by the time it exited" \
	addrs_absent "${ADDRS[@]}"
tap_check "(10) SIGTERM: no local route left behind" gone

agent_start
tap_check "(10) agent started again: both addresses announced" up
kill -INT "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
tap_check "(10) SIGINT: agent exits 0" expect_status "${st:-still running}" 0
tap_check "(10) SIGINT: both addresses withdrawn by the time it exited" \
	addrs_absent "${ADDRS[@]}"
tap_check "(10) SIGINT: no local route left behind" gone

# ---------------------------------------------------------------------- (12) --withdraw-all

OTHER=10.53.0.99/32 # not configured: not the agent's to remove
ip -n "$NS" addr add "$A4" dev "$IF"
ip -n "$NS" addr add "$A6" dev "$IF" nodad
ip -n "$NS" addr add "$OTHER" dev "$IF"
st=0
run_agent "$T/wa.out" -c "$CONF" --withdraw-all || st=$?
tap_check "(12) withdraw-all: exit 0" expect_status "$st" 0
tap_check "(12) withdraw-all: both configured addresses removed" addrs_absent "${ADDRS[@]}"
tap_check "(12) withdraw-all: no local route left behind" gone
tap_check "(12) withdraw-all: an address not configured ($OTHER) is left alone" \
	addrs_present "$OTHER"
st=0
run_agent "$T/wa.out" -c "$CONF" --withdraw-all || st=$?
tap_check "(12) withdraw-all with the addresses already absent: exit 0" expect_status "$st" 0

# ------------------------------------------------- (15) --check-once: no green that is not

write_agent_conf "$CONF" "$A4, $A6"
agent_start
up
# a failed probe has no round-trip time: U
ub_signal "$T" STOP
st=0
run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
ub_signal "$T" CONT
tap_check "(15) check-once, unbound hung: CRITICAL, perfdata resolver_rtt=U" \
	eval "[ $st = 2 ] && one_line_matching '$T/check.out' '^ANYCAST CRITICAL .*\| resolver_rtt=U '"
up
# frr_check = yes without vtysh: not checked is not OK
FRRLESS=$T/frrless.conf
write_agent_conf "$FRRLESS" "$A4, $A6"
sed -i 's|^frr_check = no$|frr_check = yes\nvtysh = /nonexistent/vtysh|' "$FRRLESS"
st=0
run_agent "$T/check.out" -c "$FRRLESS" --check-once || st=$?
tap_check "(15) check-once, frr_check = yes and no vtysh: WARNING 'FRR not checked: vtysh not found'" \
	eval "[ $st = 1 ] && one_line_matching '$T/check.out' '^ANYCAST WARNING .*FRR not checked: vtysh not found'"
# a vtysh that hangs, and whose child keeps the pipe open: the check still ends in its bound
printf '#!/bin/sh\nsleep 30 &\nexec sleep 30\n' >"$T/slow-vtysh"
chmod 755 "$T/slow-vtysh"
sed -i "s|^vtysh = .*|vtysh = $T/slow-vtysh|" "$FRRLESS"
st=0
t0=${EPOCHREALTIME/[.,]/}
run_agent "$T/check.out" -c "$FRRLESS" --check-once || st=$?
t1=${EPOCHREALTIME/[.,]/}
tap_check "(15) check-once, vtysh hangs (its child too): WARNING within 6 s ($(((t1 - t0) / 1000)) ms)" \
	eval "[ $st = 1 ] && [ $((t1 - t0)) -lt 6000000 ] && one_line_matching '$T/check.out' '^ANYCAST WARNING .*FRR: .*timed out'"
ns_sleeps() { ip netns pids "$NS" | xargs -r ps -o comm= -p | grep -qx sleep; }
tap_check "(15) ... and left nothing of it running (its process group was killed)" not ns_sleeps
# an address nothing listens on would black-hole its clients: the agent does not announce
# it (the others stay), and says why
A4DEAF=10.53.0.60/32
mark=$(file_size "$LOG")
write_agent_conf "$CONF" "$A4, $A6, $A4DEAF"
kill -HUP "$AGENT_PID"
tap_check "(15) reload adds $A4DEAF, which unbound does not listen on: the log says it is held back" \
	wait_for "$T_CHANGE" log_has "$LOG" "$mark" "not announcing ${A4DEAF//./\\.}: nothing listens on its port 53 \\(udp, tcp\\)"
tap_check "(15) ... it stays off $IF for 1 s, the others stay on" \
	hold_for 1 eval "addrs_absent $A4DEAF && addrs_present $A4 $A6"
st=0
run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
tap_check "(15) check-once: WARNING naming it" \
	eval "[ $st = 1 ] && one_line_matching '$T/check.out' 'WARNING .*nothing listens on $A4DEAF port 53 \(udp, tcp\)'"
write_agent_conf "$CONF" "$A4, $A6"
kill -HUP "$AGENT_PID"
# the agent gone, its addresses left: nothing watches them
bg_kill "$AGENT_PID" KILL
st=0
run_agent "$T/status.out" -c "$CONF" --status || st=$?
tap_check "(15) --status with the agent killed: exit 3, 'not running', its last state shown" \
	eval "[ $st = 3 ] && grep -q '^anycast-agent: not running' '$T/status.out' &&
		grep -q '^service resolver: up' '$T/status.out' || { cat '$T/status.out'; false; }"
# and an address announced by someone else where nothing listens: CRITICAL
ip -n "$NS" addr add "$A4DEAF" dev "$IF"
write_agent_conf "$T/deaf.conf" "$A4, $A6, $A4DEAF"
st=0
run_agent "$T/check.out" -c "$T/deaf.conf" --check-once || st=$?
tap_check "(15) check-once, $A4DEAF on $IF where nothing listens: CRITICAL naming it" \
	eval "[ $st = 2 ] && grep -qE 'CRITICAL .*nothing listens on $A4DEAF port 53 \(udp, tcp\): announced and black-holing' '$T/check.out'"
ip -n "$NS" addr del "$A4DEAF" dev "$IF"
st=0
run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
tap_check "(15) check-once, agent killed, addresses left: WARNING 'agent not running'" \
	eval "[ $st = 1 ] && one_line_matching '$T/check.out' '^ANYCAST WARNING - agent not running: 2 addresses announced with nothing watching them'"
agent_start
up
st=0
run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
tap_check "(15) check-once, agent back: OK again" eval "[ $st = 0 ] && one_line_matching '$T/check.out' '^ANYCAST OK'"

# ---------------------------------------------------------- (16) the interface is renamed

agent_ensure "(16) rename"
up
mark=$(file_size "$LOG")
ip -n "$NS" link set "$IF" down
ip -n "$NS" link set "$IF" name renamed0
ip -n "$NS" link set renamed0 up
tap_check "(16) renamed to renamed0: the service addresses leave renamed0" \
	wait_for "$T_CHANGE" ns_addrs_absent "$NS" renamed0 "${ADDRS[@]}"
tap_check "(16) the log says renamed, and what was withdrawn" \
	wait_for 3 log_has "$LOG" "$mark" "renamed to renamed0"
ip -n "$NS" link add "$IF" type ifb
tap_check "(16) a new $IF: the addresses come back on it" up
tap_check "(16) ... and not on renamed0" ns_addrs_absent "$NS" renamed0 "${ADDRS[@]}"
# renamed while the agent is dead: --withdraw-all finds them by index through the state
bg_kill "$AGENT_PID" KILL
ip -n "$NS" link del renamed0
ip -n "$NS" link set "$IF" down
ip -n "$NS" link set "$IF" name renamed0
st=0
run_agent "$T/wa.out" -c "$CONF" --withdraw-all || st=$?
tap_check "(16) agent killed, then the link renamed: --withdraw-all removes them from renamed0" \
	eval "[ $st = 0 ] && ns_addrs_absent '$NS' renamed0 ${ADDRS[*]}"
ip -n "$NS" link del renamed0
ip -n "$NS" link add "$IF" type ifb
agent_start
up

# --------------------------------------------------------------- (17) a second agent

agent_ensure "(17) second agent"
up
mon_start mon "$NS" "$T/mon.second"
st=0
ip netns exec "$NS" timeout 10 "$AGENT" -c "$CONF" -s "$RUN" >"$T/second.out" 2>&1 || st=$?
mon_stop "$mon" "$NS" "$T/mon.second"
tap_check "(17) a second agent on the same state directory exits 1 at once" expect_status "$st" 1
tap_check "(17) ... saying which one runs" grep -q "another anycast-agent (pid $AGENT_PID)" "$T/second.out"
tap_check "(17) ... and touched nothing" test -z "$(mon_events "$T/mon.second")"

# ---------------------------------------------------------- (18) prefix-length conflict

agent_ensure "(18) conflict"
up
kill -TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
ip -n "$NS" addr add fd53::53/64 dev "$IF" nodad
mark=$(file_size "$LOG")
agent_start
tap_check "(18) fd53::53/64 on $IF: $A4 is announced" wait_for "$T_CHANGE" addrs_present "$A4"
tap_check "(18) ... the conflict is logged, never 'announced 2 addresses'" \
	eval "wait_for 3 log_has '$LOG' '$mark' 'already on $IF as fd53::53/64' && ! log_has '$LOG' '$mark' 'announced 2 addresses'"
st=0
run_agent "$T/check.out" -c "$CONF" --check-once || st=$?
tap_check "(18) check-once: WARNING naming the conflict" \
	eval "[ $st = 1 ] && one_line_matching '$T/check.out' '^ANYCAST WARNING .*fd53::53/128 held as fd53::53/64 \(conflict\)'"
ip -n "$NS" addr del fd53::53/64 dev "$IF"
tap_check "(18) the /64 removed: the /128 is announced" up
CONFLICT=$T/conflict.conf
write_agent_conf "$CONFLICT" "$A4"
printf '[service other]\naddresses = fd53::53/64\nquery = %s A\n' "$UB_PROBE_NAME" >>"$CONFLICT"
sed -i "0,/^addresses = $A4\$/s//addresses = $A4, $A6/" "$CONFLICT"
config_test "$CONFLICT"
tap_check "(18) --config-test: fd53::53/128 in one service and fd53::53/64 in another: refused" \
	eval "[ $CT_ST = 1 ] && grep -q 'fd53::53/64' '$T/ct.out'"

# ----------------------------------------------------------- (19) SIGTERM during a drain

agent_ensure "(19) stop during drain"
up
DRAINING=$T/drain.conf
write_agent_conf "$DRAINING" "$A4, $A6"
sed -i 's|^log_level = info$|log_level = info\ndrain_ms = 2000|' "$DRAINING"
cp "$DRAINING" "$CONF"
kill -HUP "$AGENT_PID"
sleep 0.3
touch "$MAINT"
wait_for "$T_CHANGE" addrs_absent "${ADDRS[@]}"
t0=${EPOCHREALTIME/[.,]/}
kill -TERM "$AGENT_PID"
tap_check "(19) SIGTERM right after a 2 s maintenance drain began: the drain routes stay" \
	hold_for 0.8 ns_local_route "$NS" "$A4"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
t1=${EPOCHREALTIME/[.,]/}
tap_check "(19) ... the agent exits 0 when the drain is over ($(((t1 - t0) / 1000)) ms after SIGTERM)" \
	eval "[ '${st:-x}' = 0 ] && [ $((t1 - t0)) -ge 1000000 ]"
tap_check "(19) ... and no drain route is left" gone
rm -f "$MAINT"
write_agent_conf "$CONF" "$A4, $A6"
agent_start
up

# ------------------------------------- (20) crash after an edit that was never reloaded

agent_ensure "(20) crash with a broken file"
up
bg_kill "$AGENT_PID" KILL
echo "this line is not ini" >>"$CONF"
st=0
run_agent "$T/wa.out" -c "$CONF" --withdraw-all || st=$?
tap_check "(20) config broken, agent SIGKILLed: --withdraw-all (ExecStopPost) exits 0" expect_status "$st" 0
tap_check "(20) ... and the addresses are gone: the state file said where" addrs_absent "${ADDRS[@]}"
tap_check "(20) ... and it said why it used the state" \
	grep -q "withdrawing what .*state lists" "$CLOG"
write_agent_conf "$CONF" "$A4, $A6"
agent_start
up

# ------------------------------------------ (21) a service that never comes up says why

agent_ensure "(21) never up"
kill -TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
write_agent_conf "$CONF" "$A4, $A6"
sed -i 's|^resolver = 127.0.0.1@53$|resolver = 127.0.0.1@5399|' "$CONF"
mark=$(file_size "$LOG")
agent_start
tap_check "(21) resolver = 127.0.0.1@5399 (nothing there): 'not up' and why, once" \
	eval "wait_for 5 log_has '$LOG' '$mark' 'resolver: not up: connection refused: nothing listens on 127.0.0.1@5399' &&
		sleep 1 && [ \$(log_since '$LOG' '$mark' | grep -c 'not up:') = 1 ]"
kill -TERM "$AGENT_PID"
bg_wait_exit "$AGENT_PID" "$T_EXIT" st
write_agent_conf "$CONF" "$A4, $A6"
agent_start
up

# -------------------------------- (22) 20k addresses churning elsewhere, resolver crashes

CHURN_N=${AA_CHURN:-20000}
ip -n "$NS" link add churn0 type ifb
ip -n "$NS" link set churn0 up
awk -v n="$CHURN_N" 'BEGIN { for (i = 0; i < n; i++)
	printf "addr add 10.%d.%d.%d/32 dev churn0\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256 }' \
	>"$T/churn.batch"
ip -n "$NS" -batch "$T/churn.batch"
tap_diag "$(ip -n "$NS" -o addr show dev churn0 | wc -l) addresses on churn0"
churn() { while :; do ip -n "$NS" addr add 10.250.0.1/32 dev churn0; ip -n "$NS" addr del 10.250.0.1/32 dev churn0; sleep 0.05; done; }
churn >/dev/null 2>&1 &
CHURN_PID=$!
cleanup_add kill "$CHURN_PID"
agent_ensure "(22) churn"
# five crashes ~1 s apart would be damped (24): this scenario times the announcements
write_agent_conf "$CONF" "$A4, $A6" "damping_half_life_ms = 0"
kill -s HUP "$AGENT_PID"
up
worst_down=0 worst_up=0
for round in 1 2 3 4 5; do
	t0=${EPOCHREALTIME/[.,]/}
	ub_stop "$T"
	wait_for 10 addrs_absent "${ADDRS[@]}"
	t1=${EPOCHREALTIME/[.,]/}
	ub_start "$NS" "$T"
	t2=${EPOCHREALTIME/[.,]/}
	wait_for 10 addrs_present "${ADDRS[@]}"
	t3=${EPOCHREALTIME/[.,]/}
	[ $((t1 - t0)) -gt "$worst_down" ] && worst_down=$((t1 - t0))
	[ $((t3 - t2)) -gt "$worst_up" ] && worst_up=$((t3 - t2))
done
kill "$CHURN_PID" 2>/dev/null
wait "$CHURN_PID" 2>/dev/null
tap_check "(22) $CHURN_N addresses churning on churn0: every crash withdrawn within 1.5 s (worst $((worst_down / 1000)) ms)" \
	test "$worst_down" -le 1500000
tap_check "(22) ... and announced again within 1.5 s of the resolver's return (worst $((worst_up / 1000)) ms)" \
	test "$worst_up" -le 1500000
tap_check "(22) no dump was interrupted into an error (no 'Interrupted', no 'busy' in the log)" \
	not grep -qiE 'interrupted system call|resource busy' "$LOG"
ip -n "$NS" link del churn0

# ------------------- (23) the kernel's word: a crash withdrawn before the next probe is due

# interval_ms 1000: the probes alone would take up to a second (half of one, median) to see
# a crash; the kernel's report of the destroyed listener brings the probe forward.
write_agent_conf "$CONF" "$A4, $A6" "interval_ms = 1000" "retry_ms = 10"
sed -i '/^interval_ms = 100$/d' "$CONF"
agent_ensure "(23) socket reports"
kill -s HUP "$AGENT_PID"
up
tap_check "(23) the agent subscribed to the kernel's socket reports (no warning)" \
	not grep -qi 'does not report destroyed sockets' "$LOG"
# until_gone ADDR: polls without sleeping (a few ms a round) until ADDR left $IF, 10 s at most.
until_gone() {
	local end=$(($(_now_us) + 10000000))
	while ip -n "$NS" -o addr show dev "$IF" | grep -qF " $1 "; do
		[ "$(_now_us)" -ge "$end" ] && return 1
	done
}
worst=0 times=
mark=$(file_size "$LOG")
for round in 1 2 3 4 5; do
	# a random point in the probe cycle
	sleep "0.$((RANDOM % 10))"
	t0=${EPOCHREALTIME/[.,]/}
	ub_stop "$T"
	until_gone "$A4"
	t1=${EPOCHREALTIME/[.,]/}
	times+=" $(((t1 - t0) / 1000))"
	[ $((t1 - t0)) -gt "$worst" ] && worst=$((t1 - t0))
	ub_start "$NS" "$T"
	wait_for 10 addrs_present "${ADDRS[@]}"
done
# Kill to gone includes the resolver's own exit, slow on a loaded machine: the times are
# reported; what is asserted is that each withdrawal came from the kernel's report (by the
# probes alone it would have waited 0-1000 ms for the next one).
tap_diag "(23) kill -> $A4 gone, ms:$times"
tap_check "(23) interval 1 s: each of 5 crashes withdrawn on the kernel's report" \
	test "$(log_since "$LOG" "$mark" | grep -c "DOWN after the kernel reported")" -eq 5
tap_check "(23) ... none by the probes alone" \
	not log_has "$LOG" "$mark" "DOWN after [0-9]"
tap_check "(23) ... and none took a second (worst $((worst / 1000)) ms)" test "$worst" -lt 1000000
# A reload of unbound's configuration must not look like a crash.
mon_start mon "$NS" "$T/mon.ubreload"
ub_control "$NS" "$T" reload >/dev/null
sleep 2
mon_stop "$mon" "$NS" "$T/mon.ubreload"
tap_check "(23) unbound-control reload: no address event" test -z "$(mon_events "$T/mon.ubreload")"
tap_check "(23) ... and unbound answers after it" ub_ok

# ------------------------ (24) flap damping: unbound crashing and restarting every ~1.5 s

# The default half-life (2 s): one crash is withdrawn and comes back after `rise` probes as
# always; a second within about 2 s keeps the addresses off until the crashes stop and the
# penalty decays (RFC 2439's arithmetic, health/damp.c).
write_agent_conf "$CONF" "$A4, $A6"
agent_ensure "(24) damping"
kill -s HUP "$AGENT_PID"
up
mark=$(file_size "$LOG")
mon_start mon "$NS" "$T/mon.flap"
end=$(($(_now_us) + 12000000))
crashes=0
while [ "$(_now_us)" -lt "$end" ]; do
	ub_stop "$T"
	crashes=$((crashes + 1))
	ub_start "$NS" "$T" # returns once it answers
	sleep 1.2
done
mon_stop "$mon" "$NS" "$T/mon.flap"
run_agent "$T/status.out" -c "$CONF" --status
tap_check "(24) --status says the service is damped" \
	grep -q '^  damped (flapping): kept withdrawn for about' "$T/status.out"
moves=$(mon_events "$T/mon.flap" | grep -cF " $A4 ")
tap_check "(24) $crashes crashes in 12 s: $A4 moved at most 3 times ($moves)" test "$moves" -le 3
tap_check "(24) ... the log says the service is damped" log_has "$LOG" "$mark" "flapping .*damped"
tap_check "(24) ... once unbound stays up, both addresses come back" \
	wait_for 15 addrs_present "${ADDRS[@]}"
tap_check "(24) ... and the log says so" log_has "$LOG" "$mark" "no longer damped"
write_agent_conf "$CONF" "$A4, $A6"
kill -s HUP "$AGENT_PID"

# ------------------------------- (25) memory: a libunbound context made and dropped per failure

# Every failed probe drops its context (1.2 MB) and the next probe makes another; the freed
# pages go back to the kernel (malloc_trim), where a dozen hangs grew the agent from 6.4 to
# 10 MB of heap fragments. Not under ASan, whose allocator is another.
if [ "${AA_ASAN:-0}" != 1 ]; then
	agent_ensure "(25) memory"
	up
	for i in 1 2 3 4 5 6 7 8; do
		kill -STOP "$(ub_pid "$T")"
		sleep 0.35
		kill -CONT "$(ub_pid "$T")"
		sleep 0.8
	done
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
	tap_check "(25) after 8 hangs the agent holds ${rss:-?} kB (at most 8.5 MiB)" \
		test "${rss:-99999}" -le 8704
	tap_check "(25) ... and its resolver's addresses come back" wait_for 15 addrs_present "${ADDRS[@]}"
fi

# ------------------------- (26) --maintenance on|off: returns once the agent has done it

drains_left() {
	[ -n "$(ip -n "$NS" -4 route show table local proto 170)$(ip -n "$NS" -6 route show table local proto 170)" ]
}
agent_ensure "(26) maintenance command"
up
st=0
t0=$(_now_us)
run_agent "$T/maint.out" -c "$CONF" --maintenance on || st=$?
t1=$(_now_us)
tap_check "(26) --maintenance on: exit 0; on return both addresses are gone and no drain is left" \
	eval "[ $st = 0 ] && addrs_absent ${ADDRS[*]} && not drains_left || { cat '$T/maint.out'; false; }"
tap_check "(26) ... it waited for the drain ($(((t1 - t0) / 1000)) ms, drain_ms 500)" \
	test $((t1 - t0)) -ge 500000
tap_check "(26) ... and left the maintenance file in place" test -e "$MAINT"
st=0
run_agent "$T/maint.out" -c "$CONF" --maintenance off || st=$?
tap_check "(26) --maintenance off: exit 0; on return both addresses are back, the file gone" \
	eval "[ $st = 0 ] && addrs_present ${ADDRS[*]} && [ ! -e '$MAINT' ] || { cat '$T/maint.out'; false; }"
run_agent "$T/maint.out" -c "$CONF" --maintenance on
ub_stop "$T"
st=0
t0=$(_now_us)
run_agent "$T/maint.out" -c "$CONF" --maintenance off --timeout 2 || st=$?
t1=$(_now_us)
tap_check "(26) --maintenance off with unbound dead: exit 1 after the 2 s bound, naming the cause" \
	eval "[ $st = 1 ] && [ $((t1 - t0)) -ge 2000000 ] &&
		grep -q 'not done after 2 s: .*not announced: resolver is down' '$T/maint.out' ||
		{ cat '$T/maint.out'; false; }"
ub_start "$NS" "$T"
tap_check "(26) ... unbound back: the addresses come back by themselves" \
	wait_for "$T_CHANGE" addrs_present "${ADDRS[@]}"
bg_kill "$AGENT_PID" TERM
st=0
run_agent "$T/maint.out" -c "$CONF" --maintenance on || st=$?
tap_check "(26) --maintenance on with no agent running: exit 1, saying so" \
	eval "[ $st = 1 ] && grep -q 'no agent runs' '$T/maint.out' || { cat '$T/maint.out'; false; }"
rm -f "$MAINT"
agent_start
up

# --------------------- (27) the metrics file, as a real node exporter serves it to Prometheus

# As doc/anycast-agent.conf.5 suggests: the file in the agent's state directory, a link to it
# in the node exporter's textfile directory. Set by a reload, as an operator would.
PROM=$RUN/anycast-agent.prom
TEXTFILE=$T/textfile
NE_PORT=9100
mkdir -p "$TEXTFILE"
ln -s "$PROM" "$TEXTFILE/anycast-agent.prom"
# agent_metrics_conf PATH: the usual file with metrics_file = PATH in [agent].
agent_metrics_conf() { AGENT_EXTRA="metrics_file = $1" write_agent_conf "$CONF" "$A4, $A6"; }
# scrape: the node exporter's /metrics, as Prometheus gets it.
scrape() {
	ip netns exec "$NS" python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
		"http://127.0.0.1:$NE_PORT/metrics" 2>/dev/null
}
# scraped SERIES: its value in the scrape ("" when absent); the exporter sorts the labels.
scraped() { scrape | awk -v s="$1" '$1 == s { print $2 }'; }
# scraped_is SERIES VALUE
scraped_is() { [ "$(scraped "$1")" = "$2" ]; }
# scraped_above SERIES N: the value is a number above N.
scraped_above() {
	local v
	v=$(scraped "$1")
	[ -n "$v" ] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v + 0 > n + 0) }'
}
S='service="resolver"'
M_UP="anycast_agent_service_up{$S}"
M_DOWN="anycast_agent_service_state{$S,state=\"down\"}"
M_STUP="anycast_agent_service_state{$S,state=\"up\"}"
M_RCODE="anycast_agent_probes_total{result=\"rcode\",$S}"
M_TRANS="anycast_agent_transitions_total{$S}"
M_A4="anycast_agent_address_announced{address=\"$A4\",interface=\"$IF\",$S}"

# Restarted under UMask=0077, as the unit runs it: the prometheus user must still read it.
bg_kill "$AGENT_PID" TERM
old_umask=$(umask)
umask 077
agent_start
umask "$old_umask"
up
mark=$(file_size "$LOG")
agent_metrics_conf "$PROM"
kill -s HUP "$AGENT_PID"
tap_check "(27) a reload that sets metrics_file: the file appears" wait_for 5 test -s "$PROM"
tap_check "(27) ... mode 0644 (the agent's umask is 077)" \
	test "$(stat -c %a "$PROM" 2>/dev/null)" = 644
st=0
promtool check metrics <"$PROM" >"$T/promtool.out" 2>&1 || st=$?
tap_check "(27) ... promtool check metrics: exit 0, nothing to say" \
	eval "[ $st = 0 ] && [ ! -s '$T/promtool.out' ] || { cat '$T/promtool.out'; false; }"
bg_start NE_PID "$T/node-exporter.log" ip netns exec "$NS" prometheus-node-exporter \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TEXTFILE" --web.listen-address="127.0.0.1:$NE_PORT"
tap_check "(27) node exporter serves $M_UP 1, through the link" wait_for 10 scraped_is "$M_UP" 1
tap_check "(27) ... state up 1, down 0, $A4 announced on $IF" \
	eval 'scraped_is "$M_STUP" 1 && scraped_is "$M_DOWN" 0 && scraped_is "$M_A4" 1'
tap_check "(27) ... and reads the file without error" \
	scraped_is "node_textfile_scrape_error" 0
rcode0=$(scraped "$M_RCODE")
trans0=$(scraped "$M_TRANS")
ub_servfail_inject "$NS" "$T"
down
tap_check "(27) SERVFAIL: the scrape says up 0" wait_for 5 scraped_is "$M_UP" 0
tap_check "(27) ... state down 1, $A4 not announced" \
	eval 'scraped_is "$M_DOWN" 1 && scraped_is "$M_A4" 0'
tap_check "(27) ... probes with result rcode went up from ${rcode0:-?}" \
	wait_for 6 scraped_above "$M_RCODE" "${rcode0:-0}"
tap_check "(27) ... transitions went up from ${trans0:-?}" scraped_above "$M_TRANS" "${trans0:-0}"
ub_servfail_clear "$NS" "$T"
up
tap_check "(27) SERVFAIL cleared: the scrape says up 1 again" wait_for 5 scraped_is "$M_UP" 1
bg_kill "$NE_PID"
# A reload that moves the file removes the old one (it would go stale, scraped forever).
agent_metrics_conf "$T/moved.prom"
kill -s HUP "$AGENT_PID"
tap_check "(27) metrics_file moved by a reload: the new file appears, the old one goes" \
	wait_for 5 eval "test -s '$T/moved.prom' && test ! -e '$PROM'"
# A directory that does not exist: said once (not every 5 s), and once when it works again.
agent_metrics_conf "$T/later/anycast-agent.prom"
kill -s HUP "$AGENT_PID"
sleep 6
tap_check "(27) an unwritable metrics file: one warning in 6 s, naming it and the error" \
	test "$(log_since "$LOG" "$mark" | grep -ciE "cannot write the metrics file $T/later/anycast-agent.prom: no such file")" = 1
mkdir "$T/later"
tap_check "(27) ... its directory created: written within 6 s, and said once" \
	eval "wait_for 6 test -s '$T/later/anycast-agent.prom' &&
		wait_for 1 log_has '$LOG' '$mark' 'metrics file .* is written again'"
write_agent_conf "$CONF" "$A4, $A6"
kill -s HUP "$AGENT_PID"

# ------------- (28) standby: failing but running is announced through the standby interface

# The standby announcement of ADDR: a route via $SB in the main table and a local route on
# lo, both protocol 171.
sb_route() {
	local fam=-4
	case $1 in *:*) fam=-6 ;; esac
	ip -n "$NS" "$fam" route show "${1%/*}" proto 171 dev "$SB" 2>/dev/null | grep -q . &&
		ip -n "$NS" "$fam" route show table local "${1%/*}" proto 171 2>/dev/null |
		grep -q '^local '
}
sb_none() {
	[ -z "$(ip -n "$NS" -4 route show table all proto 171)$(ip -n "$NS" -6 route show table all proto 171)" ]
}
answers_at() { ip netns exec "$NS" dig +time=1 +tries=1 @"$1" "$UB_PROBE_NAME" A 2>/dev/null | grep -q 'status: '; }
on_standby_only() { for a in "${ADDRS[@]}"; do sb_route "$a" || return 1; done && addrs_absent "${ADDRS[@]}"; }
back_home() { addrs_present "${ADDRS[@]}" && sb_none; }
nowhere() { sb_none && addrs_absent "${ADDRS[@]}"; }
sb_addrs() {
	local a
	for a in "${ADDRS[@]}"; do
		ip -n "$NS" -o addr show dev "$SB" | grep -q " ${a%/*}/" || return 1
	done
}
sb_addrs_only() { sb_addrs && addrs_absent "${ADDRS[@]}"; }
sb_addrs_none() { ns_addrs_absent "$NS" "$SB" "${ADDRS[@]}"; }
# first_line FILE ERE: the number of the first line of FILE matching ERE, or nothing.
first_line() { grep -n -E -- "$2" "$1" | head -n 1 | cut -d: -f1; }
# before FILE DESC1 ERE1 DESC2 ERE2: the kernel reported ERE1 before ERE2 (both present).
before() {
	local x y
	x=$(first_line "$1" "$3")
	y=$(first_line "$1" "$5")
	[ -n "$x" ] && [ -n "$y" ] && [ "$x" -lt "$y" ] || {
		echo "# $2 at line ${x:-none}, $4 at line ${y:-none} of $1"
		false
	}
}
# rmon_begin VAR FILE / rmon_end PID FILE: address and route events of the namespace.
rmon_begin() {
	: >"$2"
	bg_start "$1" "$2" ip -n "$NS" -o monitor address route
	mon_sync "$NS" "$2"
}
rmon_end() { mon_stop "$1" "$NS" "$2"; }
# no_gap FILE DIR: for each address, the new announcement was reported before the old
# one's removal (DIR: out = address to standby route, in = back; sbaddr-out, sbaddr-in:
# the same with standby_announce = address).
no_gap() {
	local f=$1 a h
	for a in "${ADDRS[@]}"; do
		h=${a%/*}
		if [ "$2" = out ]; then
			before "$f" "standby route of $h" "^${h//./\\.} dev $SB proto 171" \
				"address removal" "^Deleted [0-9]+: $IF +inet6? ${h//./\\.}/" || return 1
		elif [ "$2" = sbaddr-out ]; then
			before "$f" "address on $SB" "^[0-9]+: $SB +inet6? ${h//./\\.}/" \
				"address removal" "^Deleted [0-9]+: $IF +inet6? ${h//./\\.}/" || return 1
		elif [ "$2" = sbaddr-in ]; then
			before "$f" "address back" "^[0-9]+: $IF +inet6? ${h//./\\.}/" \
				"removal from $SB" "^Deleted [0-9]+: $SB +inet6? ${h//./\\.}/" || return 1
		else
			before "$f" "address back" "^[0-9]+: $IF +inet6? ${h//./\\.}/" \
				"standby route removal" "^Deleted ${h//./\\.} dev $SB proto 171" || return 1
		fi
	done
}

SB=aasb0
agent_ensure "(28) standby"
up
ip -n "$NS" link add "$SB" type ifb
AGENT_EXTRA="standby_interface = $SB" write_agent_conf "$CONF" "$A4, $A6"
mark=$(file_size "$LOG")
kill -HUP "$AGENT_PID"
tap_check "(28) reload with standby_interface: the agent brings $SB up, nothing moves" \
	wait_for 3 eval "log_has '$LOG' '$mark' reloaded && ip -n '$NS' -o link show '$SB' | grep -q ',UP' && addrs_present ${ADDRS[*]} && sb_none"
rmon_begin rmon "$T/mon.standby"
ub_servfail_inject "$NS" "$T"
tap_check "(28) the probe fails with the resolver running: both announced through $SB (routes, protocol 171), none on $IF" \
	wait_for "$T_CHANGE" on_standby_only
tap_check "(28) ... logged as STANDBY with the reason" \
	wait_for 3 log_has "$LOG" "$mark" 'standby after [0-9]+ failed probes: rcode'
tap_check "(28) ... the host still answers on the service addresses (local route)" \
	eval "answers_at ${A4%/*} && answers_at ${A6%/*}"
rmon_end "$rmon" "$T/mon.standby"
tap_check "(28) ... each standby route came before its address left $IF" no_gap "$T/mon.standby" out
st=0
run_agent "$T/sb.out" -c "$CONF" --check-once || st=$?
tap_check "(28) --check-once: WARNING (1), naming the standby and where the addresses are" \
	eval "[ $st = 1 ] && grep -qi 'WARNING.*STANDBY.*2 announced through the standby interface $SB' '$T/sb.out' || { cat '$T/sb.out'; false; }"
run_agent "$T/sb.out" -c "$CONF" --status
tap_check "(28) --status: the service is in standby, its addresses announced through $SB" \
	eval "grep -q '^service resolver: standby since' '$T/sb.out' && grep -q 'announced through the standby interface $SB' '$T/sb.out' || { cat '$T/sb.out'; false; }"
rmon_begin rmon "$T/mon.back"
ub_servfail_clear "$NS" "$T"
tap_check "(28) SERVFAIL cleared: back on $IF, no standby route left" wait_for "$T_CHANGE" back_home
rmon_end "$rmon" "$T/mon.back"
tap_check "(28) ... each address was reported on $IF before its standby route went" \
	no_gap "$T/mon.back" in
ub_servfail_inject "$NS" "$T"
wait_for "$T_CHANGE" on_standby_only
mark=$(file_size "$LOG")
ub_stop "$T"
tap_check "(28) unbound killed while in standby: nothing listens, the standby routes go too" \
	wait_for "$T_CHANGE" nowhere
tap_check "(28) ... logged with the reason" \
	wait_for 3 log_has "$LOG" "$mark" 'withdrawn from the standby interface'
ub_start "$NS" "$T"
tap_check "(28) unbound restarted (answering again): back on $IF" wait_for "$T_CHANGE" back_home
# standby_announce = address (the intra-area variant): the address itself moves to $SB,
# and it leaves $IF only once the kernel has reported it there (IPv6: after its DAD work)
mark=$(file_size "$LOG")
AGENT_EXTRA="standby_interface = $SB
standby_announce = address" write_agent_conf "$CONF" "$A4, $A6"
kill -HUP "$AGENT_PID"
wait_for 3 log_has "$LOG" "$mark" reloaded
rmon_begin rmon "$T/mon.sbaddr"
ub_servfail_inject "$NS" "$T"
tap_check "(28) standby_announce = address: the probe fails, both addresses move from $IF to $SB" \
	wait_for "$T_CHANGE" sb_addrs_only
rmon_end "$rmon" "$T/mon.sbaddr"
tap_check "(28) ... each was reported on $SB before it left $IF" no_gap "$T/mon.sbaddr" sbaddr-out
rmon_begin rmon "$T/mon.sbaddr-in"
ub_servfail_clear "$NS" "$T"
tap_check "(28) ... SERVFAIL cleared: back on $IF, none left on $SB" \
	wait_for "$T_CHANGE" eval "addrs_present ${ADDRS[*]} && sb_addrs_none"
rmon_end "$rmon" "$T/mon.sbaddr-in"
tap_check "(28) ... each was reported on $IF before it left $SB" no_gap "$T/mon.sbaddr-in" sbaddr-in
mark=$(file_size "$LOG")
AGENT_EXTRA="standby_interface = $SB" write_agent_conf "$CONF" "$A4, $A6"
kill -HUP "$AGENT_PID"
wait_for 3 log_has "$LOG" "$mark" reloaded
ub_servfail_inject "$NS" "$T"
wait_for "$T_CHANGE" on_standby_only
bg_kill "$AGENT_PID" TERM
tap_check "(28) agent stopped while in standby: nothing left, no standby route either" \
	wait_for "$T_CHANGE" nowhere
ub_servfail_clear "$NS" "$T"
AGENT_EXTRA="" write_agent_conf "$CONF" "$A4, $A6"
ip -n "$NS" link del "$SB"
agent_start
up
# ------------- (29) journal fields: a transition carries SERVICE=, STATE=, REASON= under journald

# No journald here: the agent runs in a mount namespace of its own where a socket at
# journald's path (/run/systemd/journal/socket, on a tmpfs over /run/systemd there) records
# what it is sent, with JOURNAL_STREAM set as systemd sets it. The transitions go there as
# entries with their fields; every other line stays on stderr with its priority prefix.
JREC=$T/journal.rec
cat >"$T/journal.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(1 << 16) + b"\n--\n")
EOF
# journal_has ERE...: some recorded entry has a line matching each ERE.
journal_has() {
	local e
	for e in "$@"; do
		awk -v RS='\n--\n' -v e="$e" '{ n = split($0, l, "\n"); for (i = 1; i <= n; i++) if (l[i] ~ e) { print NR; next } }' \
			"$JREC" 2>/dev/null
	done | sort | uniq -c | awk -v want=$# '$1 == want { found = 1 } END { exit !found }'
}
bg_kill "$AGENT_PID" TERM
wait_for "$T_CHANGE" addrs_absent "${ADDRS[@]}"
: >"$JREC"
AGENT_RUNS=$((AGENT_RUNS + 1))
echo "=== integration.sh: agent run $AGENT_RUNS (fake journal) ===" >>"$LOG"
mark=$(file_size "$LOG")
bg_start AGENT_PID "$LOG" unshare -m sh -c '
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd && mkdir /run/systemd/journal || exit 1
	python3 "$1" "$2" & echo $! >"$2.pid"
	i=0
	while [ ! -S /run/systemd/journal/socket ] && [ $((i += 1)) -le 100 ]; do sleep 0.05; done
	shift 2
	exec "$@"' sh "$T/journal.py" "$JREC" \
	ip netns exec "$NS" env --default-signal=INT JOURNAL_STREAM=8:12345 "$AGENT" -c "$CONF" -s "$RUN"
cleanup_add eval 'kill "$(cat "$JREC.pid" 2>/dev/null)" 2>/dev/null'
up
tap_check "(29) UP: a journal entry with MESSAGE=, PRIORITY=6, SERVICE=resolver, STATE=up" \
	wait_for 3 journal_has '^MESSAGE=resolver: UP after 3 good probes' '^PRIORITY=6$' \
	'^SERVICE=resolver$' '^STATE=up$' '^SYSLOG_IDENTIFIER=anycast-agent$'
ub_servfail_inject "$NS" "$T"
down
# the injection passes through NXDOMAIN (the record removed) on its way to SERVFAIL: the
# reason is whichever rcode the second failed probe saw
tap_check "(29) DOWN: PRIORITY=4, STATE=down, REASON=rcode SERVFAIL (or NXDOMAIN)" \
	wait_for 3 journal_has '^MESSAGE=resolver: DOWN after 2 failed probes: rcode (SERVFAIL|NXDOMAIN)' \
	'^PRIORITY=4$' '^SERVICE=resolver$' '^STATE=down$' '^REASON=rcode (SERVFAIL|NXDOMAIN)$'
ub_servfail_clear "$NS" "$T"
up
tap_check "(29) the other lines stay on stderr with their priority prefix, the transitions do not" \
	eval 'log_has "$LOG" "$mark" "^<6>started: 1 service" &&
		not log_has "$LOG" "$mark" "(UP|DOWN) after"'
bg_kill "$AGENT_PID" TERM
kill "$(cat "$JREC.pid" 2>/dev/null)" 2>/dev/null
agent_start
up

# ------------------------------------------------------------------------ sanitizer reports

if [ "${AA_ASAN:-0}" = 1 ]; then
	tap_check "ASan build: no sanitizer report in the agent's output" \
		not grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' \
		"$LOG" "$CLOG"
fi

[ "${AA_KEEP:-0}" = 1 ] && tap_diag "AA_KEEP=1: logs, configs and monitor files left in $T"
tap_summary
