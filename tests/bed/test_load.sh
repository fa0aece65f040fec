#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 11, "no false withdrawal, ever, under load": resolver host A of the campus
# (tests/bed/campus.sh) flooded by dnsperf at unbound's full rate, then every CPU of the
# machine busy, LOAD_SECONDS (10) each (the scenarios: tests/bed/load.sh). The agent of
# host A must not withdraw: no deletion of an anycast address in `ip monitor address` of
# host A, no DOWN line in its log, both addresses there at the end.
#
#   tests/bed/test_load.sh       as root; builds ./anycast-agent with make unless AGENT is set
#   CAMPUS_PREFIX=acl-           its namespaces (another campus may run beside it)
#   LOAD_SECONDS=10              each scenario's length
#   LOAD_AGENT_SET="timeout_ms=10 fall=1"   host A's agent.conf keys changed (and reloaded)
#                                before the scenarios: tighter settings, to see the test fail
#
# Prints "ok N - ..." / "not ok N - ...", "# ..." lines with what was measured (dnsperf's
# rate and loss, the agent's probe RTTs and CPU), and "N passed, M failed"; exits non-zero
# when anything failed. Timings are reported, never asserted (the machine is shared).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
if [ -n "${AGENT:-}" ]; then
	case $AGENT in /*) ;; *) AGENT=$PWD/${AGENT#./} ;; esac
else
	AGENT=$REPO/anycast-agent
	BUILD=1
fi
export AGENT
export CAMPUS_PREFIX=${CAMPUS_PREFIX:-acl-}
cd "$REPO" || exit 1
# shellcheck source-path=SCRIPTDIR source=campus.sh
. "$HERE/campus.sh"
# shellcheck source-path=SCRIPTDIR source=load.sh
. "$HERE/load.sh"

START_US=$(_now_us)
cleanup_install_traps
cleanup_add campus_down
T=$(mktemp -d /tmp/acl-test.XXXXXX) || exit 1
cleanup_add rm -rf "$T"

show_state() {
	_cp_why
	echo "last lines of ha's agent log:"
	grep -v ' debug: ' "$(_cp_dir ha)/agent.log" 2>/dev/null | tail -n 6 | sed 's/^/  /'
}
# shellcheck disable=SC2034 # read by tap_fail in lib.sh
TAP_ON_FAIL=show_state

elapsed_ms() {
	echo $((($(_now_us) - $1) / 1000))
}

# ge V MIN: V is a number and at least MIN.
ge() {
	[[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ]
}

flood_ran() {
	[ "$(g status)" = 0 ] && ge "$(g completed)" 1000 && ge "$(g misses)" 100
}

cpu_ran() {
	[ "$(g status)" = 0 ] && ge "$(g busy)" 75
}

home() {
	anycast_present a && route_host_is ra "$CP_A4" a && route_host_is ra "$CP_A6" a &&
		answers a 4 resolver-a
}

# ------------------------------------------------------------------------------ build, up

if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root"
	tap_summary
	exit 1
fi
for t in dnsperf stress-ng; do
	command -v "$t" >/dev/null || {
		tap_fail "$t installed (tests/deps.sh installs it)"
		tap_summary
		exit 1
	}
done
campus_test_up "$T"
tap_ok "campus up in $(elapsed_ms "$t0") ms (namespaces ${CAMPUS_PREFIX}*)"

if ld_auth_start 2>"$T/setup.err" && ld_stub_on 2>>"$T/setup.err"; then
	tap_ok "setup: authoritative server for $LD_ZONE on core ($LD_AUTH4), host A's unbound resolves it"
else
	tap_fail "setup: authoritative server for $LD_ZONE on core ($LD_AUTH4), host A's unbound resolves it"
	sed 's/^/#   /' "$T/setup.err"
	tap_summary
	exit 1
fi
# shellcheck disable=SC2086 # KEY=VALUE words
tap_check "setup: host A's agent reloaded with log_level = debug${LOAD_AGENT_SET:+ $LOAD_AGENT_SET}" \
	ld_agent_set log_level=debug ${LOAD_AGENT_SET:-}
[ -n "${LOAD_AGENT_SET:-}" ] && tap_diag "host A's agent runs with $LOAD_AGENT_SET (LOAD_AGENT_SET)"
IV=$(sed -n 's/^interval_ms = \([0-9]*\).*/\1/p' "$(_cp_dir ha)/agent.conf")
tap_diag "agent on host A: $(grep -E '^(interval_ms|timeout_ms|fall|rise|retry_ms|transport) = ' \
	"$(_cp_dir ha)/agent.conf" | sed 's/ = /=/' | paste -sd' ')"

# ------------------------------------------------------------------------------ scenarios

r=
g() { ld_get "$r" "$1"; }

for scen in flood cpu; do
	wait_for 20 home || tap_fail "before $scen: host A announces, ra routes to it, client a answered by resolver-a"
	r=$T/$scen.result
	if ! ld_run "$scen" "$T" 2>"$T/$scen.err"; then
		TAP_ON_FAIL='' tap_fail "$scen: the scenario ran ($(cat "$T/$scen.err"))"
		continue
	fi
	if [ "$scen" = flood ]; then
		tap_check "flood: dnsperf from client a to $CP_A4 at full rate for $(g seconds) s: $(g completed) answered ($(g qps) q/s), $(g misses) misses resolved upstream" \
			flood_ran
		tap_diag "flood: dnsperf $LOAD_DNSPERF_ARGS: sent $(g sent), completed $(g completed), lost $(g lost) ($(g loss) %; host A's kernel dropped $(g drops) at unbound's full socket), $(g qps) q/s; mix per 10: 1 local data, 7 cache hits, 2 misses"
		tap_diag "flood: $(g misses) queries reached the authoritative server (one UDP socket each on host A); unbound used $(g unbound_cpu) % of a core"
	else
		tap_check "cpu: stress-ng $LOAD_STRESS_ARGS in host A for $(g seconds) s: the machine $(g busy) % busy" \
			cpu_ran
		tap_diag "cpu: $(grep -E 'metrc: .* cpu ' "$T/cpu.stress" | awk '{ print "stress-ng bogo ops", $5, "user", $7, "s, sys", $8, "s" }')"
	fi
	# an agent that did not probe at all could not withdraw either
	min=$((LOAD_SECONDS * 1000 / ${IV:-100} / 2))
	tap_check "$scen: the agent kept probing ($(g probes) probes, at least $min)" \
		ge "$(g probes)" "$min"
	tap_check "$scen: the agent on host A never withdrew ($(g withdrawals) deletions of $CP_A4/32, $CP_A6/128 on anycast0)" \
		test "$(g withdrawals)" = 0
	tap_check "$scen: no DOWN line in the agent's log ($(g down))" test "$(g down)" = 0
	tap_check "$scen: both addresses on anycast0 of host A at the end" test "$(g present)" = 1
	tap_diag "$scen: probe RTT median $(g rtt_med) us, p99 $(g rtt_p99) us, max $(g rtt_max) us; $(g failed) failed, $(g confirm) confirming probes"
	tap_diag "$scen: agent CPU $(g agent_cpu) % of a core (debug log included); machine $(g busy) % busy; ra's routes to the anycast prefixes changed $(g routes) times"
	if [ "$(g withdrawals)" != 0 ] || [ "$(g down)" != 0 ]; then
		grep -E ': (DOWN|UP) after|: probe failed|not up' "$T/$scen.agent.log" | head -n 12 | sed 's/^/#   agent: /'
		mon_events "$T/$scen.amon" | grep -E " ($CP_A4/32|$CP_A6/128) " | head -n 6 | sed 's/^/#   ip monitor: /'
	fi
done

tap_diag "total run time $(elapsed_ms "$START_US") ms"
tap_summary
