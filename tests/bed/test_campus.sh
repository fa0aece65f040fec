#!/bin/bash
# SPDX-License-Identifier: MIT
# The campus scenarios (tests/bed/campus.sh builds the campus): faults on resolver host A, the one
# nearest to client A, and what client A sees, for IPv4 and IPv6. Clients are real `dig`s from
# the client namespace; bounds are generous (seconds) and everything is polled.
#
#   tests/bed/test_campus.sh          as root; builds ./anycast-agent with make unless AGENT is set
#   AGENT=build/asan/anycast-agent tests/bed/test_campus.sh
#   CAMPUS_RUNS=10 CAMPUS_FREEZE_RUNS=5  repetitions of the (reported, not asserted) timings
#   CAMPUS_DRAIN_MS=0                    the agents' drain_ms (default 500)
#   CAMPUS_FRR=intra                     the hosts run etc/frr-intra-area.conf instead of
#                                        etc/frr.conf (see tests/bed/campus.sh)
#   CAMPUS_FRR=bgp                       the hosts run etc/frr-bgp.conf: eBGP to their site
#                                        router, iBGP between the routers (campus.sh;
#                                        CAMPUS_BGP_SITES=core: the sites meet at the core)
#
# Prints "ok N - ..." / "not ok N - ..." lines, "# ..." comments with the measured times, and
# closes with "N passed, M failed"; exits non-zero when anything failed. The campus goes away
# on any exit, Ctrl-C included.
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
cd "$REPO" || exit 1
# shellcheck source-path=SCRIPTDIR source=campus.sh
. "$HERE/campus.sh"

RUNS=${CAMPUS_RUNS:-10}
# CAMPUS_FRR=bgp CAMPUS_BGP_SITES=core (the site routers reach each other through the core,
# campus.sh): queries a client may lose to a micro-loop while the routers switch (one bgpd
# hold, 50 ms, at the probers' 100 q/s, with room for this machine's noise). With the site
# routers peering directly (the default) there is no such loop, and no such allowance.
BGP_LOOP_MAX=8
FREEZE_RUNS=${CAMPUS_FREEZE_RUNS:-5}
T_MOVE=10   # a fault on A until client A is answered by B (expected: well under 2 s)
T_BACK=20   # recovery until client A is answered by A again (after a freeze: OSPF adjacency)
START_US=$(_now_us)
dl4='' dl6='' rmon='' # pids, set by digloop_start and rmon_start

cleanup_install_traps
cleanup_add campus_down
T=$(mktemp -d /tmp/aac-test.XXXXXX) || exit 1
cleanup_add rm -rf "$T"

show_state() {
	_cp_why
	local h
	for h in ha hb; do
		echo "last lines of $h's agent log:"
		tail -n 4 "$(_cp_dir "$h")/agent.log" 2>/dev/null | sed 's/^/  /'
	done
}
# shellcheck disable=SC2034 # read by tap_fail in lib.sh
TAP_ON_FAIL=show_state

# elapsed_ms SINCE_US
elapsed_ms() {
	echo $((($(_now_us) - $1) / 1000))
}

# ms US: microseconds as milliseconds with one decimal.
ms() {
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# stats US...: "median / min / max ms (n=N)".
stats() {
	[ $# -gt 0 ] || {
		echo "no samples"
		return
	}
	local s
	s=$(printf '%s\n' "$@" | sort -n)
	echo "$(ms "$(sed -n "$((($# + 1) / 2))p" <<<"$s")") / $(ms "$(head -n 1 <<<"$s")") /" \
		"$(ms "$(tail -n 1 <<<"$s")") ms (n=$#)"
}

# moves DESC C WANT TIMEOUT: client C is answered by WANT on IPv4 and on IPv6 (one check
# each). The time reported is coarse: a dig sent to a hung or frozen instance waits out its
# 1 s timeout first; the route monitor gives the precise numbers.
moves() {
	local desc=$1 c=$2 want=$3 to=$4 f t0
	t0=$(_now_us)
	for f in 4 6; do
		if wait_for "$to" answers "$c" "$f" "$want"; then
			tap_ok "$desc: client $c IPv$f answered by $want ($(elapsed_ms "$t0") ms after)"
		else
			tap_fail "$desc: client $c IPv$f answered by $want (still $(answered_by "$c" "$f"))"
		fi
	done
}

# ready: client A answered by A, client B by B; a scenario that finds otherwise says so
# (after waiting, so that one failure does not hide the next scenarios' results).
ready() {
	wait_for 20 all_home || tap_fail "before $1: campus back to normal (A->resolver-a, B->resolver-b)"
}
all_home() {
	answers a 4 resolver-a && answers a 6 resolver-a && answers b 4 resolver-b &&
		answers b 6 resolver-b
}

# rcode_from NS SRC DST NAME: the rcode of one query from source address SRC.
rcode_from() {
	local out
	out=$(ip netns exec "$(_cp_ns "$1")" dig +time=1 +tries=1 +noall +comments -b "$2" @"$3" \
		"$4" A 2>/dev/null | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	echo "${out:-NOANSWER}"
}

rcode_is() {
	local want=$1
	shift
	[ "$(rcode_from "$@")" = "$want" ]
}

# ---------------------------------------------------- instruments: route monitor, dig loop

RMON_SEQ=0

# rmon_start VAR ROUTER FILE: `ip -ts -o monitor route` of ROUTER into FILE; returns once it
# is seen recording (a sentinel route in table 99, which zebra ignores).
rmon_start() {
	local _rm_var=$1 r file=$3
	r=$(_cp_short "$2")
	: >"$file"
	bg_start "$_rm_var" "$file" ip -n "$(_cp_ns "$r")" -ts -o monitor route
	rmon_sync "$r" "$file"
}

rmon_sync() {
	local ns s
	ns=$(_cp_ns "$(_cp_short "$1")")
	RMON_SEQ=$((RMON_SEQ % 250 + 1))
	s=198.18.255.$RMON_SEQ
	ip -n "$ns" route add blackhole "$s/32" table 99 || return 1
	wait_for 5 grep -qF "blackhole $s " "$2"
	local rc=$?
	ip -n "$ns" route del blackhole "$s/32" table 99
	return $rc
}

# rmon_stop PID ROUTER FILE
rmon_stop() {
	rmon_sync "$2" "$3"
	bg_kill "$1" TERM
}

# rmon_lines FILE: the recorded route events, sentinels left out.
rmon_lines() {
	grep -v ' 198\.18\.255\.[0-9]* table 99' "$1"
}

# rmon_first_us FILE ERE T0_US: microseconds from T0_US to the first event matching ERE
# stamped at or after T0_US; empty when there is none.
rmon_first_us() {
	local line ts us
	while IFS= read -r line; do
		grep -qE -- "$2" <<<"$line" || continue
		ts=$(sed -n 's/^\[\([^]]*\)\].*/\1/p' <<<"$line")
		us=$(date -d "$ts" +%s%6N 2>/dev/null) || continue
		if [ "$us" -ge "$3" ]; then
			echo $((us - $3))
			return 0
		fi
	done <"$1"
}

# ------------------------------------------------------------------------ client prober

# tests/dnsprobe from a client namespace: id.server CH TXT every PERIOD ms on one socket,
# one line "SEQ SEND_MS ANSWER RTT" per query (ANSWER: the instance, or LOST, REFUSED...),
# comments start with '#'. Precise where a loop of digs is not: every query is accounted.
DNSPROBE=${DNSPROBE:-$REPO/build/tests/bed/dnsprobe}

# digloop_start VAR C FAM FILE [PERIOD_MS]: starts the prober from client C (default 10 ms).
digloop_start() {
	local _dl_var=$1 c=$2 fam=$3 file=$4 period=${5:-10}
	: >"$file"
	bg_start "$_dl_var" "$file.err" ip netns exec "$(_cp_ns "c$c")" \
		"$DNSPROBE" -s "$(_cp_anycast "$fam")" -i "$period" -t 1000 -d 120 -o "$file"
}

# digloop_stop PID FILE: stops the prober; it settles the queries still out first.
digloop_stop() {
	local _ds_st
	kill -TERM "$1" 2>/dev/null
	bg_wait_exit "$1" 5 _ds_st || bg_kill "$1" KILL
	grep -v '^#' "$2" >"$2.q"
	mv "$2.q" "$2"
}

# digloop_runs FILE: the answers in query order, run-length encoded ("resolver-a x52 ...").
digloop_runs() {
	awk '{ if ($3 != prev) { if (n) printf "%s x%d ", prev, n; prev = $3; n = 0 } n++ }
		END { if (n) printf "%s x%d", prev, n; print "" }' "$1"
}

# digloop_last_is FILE WANT: the last three answers recorded are all WANT.
digloop_last_is() {
	local n
	n=$(grep -v '^#' "$1" | tail -n 3 | awk -v w="$2" '$3 == w' | wc -l)
	[ "$n" -eq 3 ]
}

# ------------------------------------------------------------------------------ build, up

if [ "$(id -u)" != 0 ]; then
	tap_fail "run as root"
	tap_summary
	exit 1
fi
campus_test_up "$T"
if [ "$CAMPUS_FRR" = bgp ]; then
	tap_ok "campus up in $(elapsed_ms "$t0") ms: BGP Established everywhere (OSPF among the routers), BFD up, ra -> A, rb -> B"
else
	tap_ok "campus up in $(elapsed_ms "$t0") ms: OSPF Full everywhere, BFD up, ra -> A, rb -> B"
fi
tap_diag "agents run with drain_ms = $(campus_drain); hosts' FRR: ${CAMPUS_FRR_CONF#"$REPO"/} ($CAMPUS_FRR)"

# ------------------------------------------------------------------------------ baseline

for f in 4 6; do
	tap_check "baseline: client a IPv$f answered by resolver-a (nearest)" answers a "$f" resolver-a
	tap_check "baseline: client b IPv$f answered by resolver-b (nearest)" answers b "$f" resolver-b
done
st=0
ip netns exec "$(_cp_ns ha)" "$AGENT" -c "$(_cp_dir ha)/agent.conf" -s "$(_cp_dir ha)/run" \
	--check-once >"$T/check-once.out" 2>&1 || st=$?
tap_check "agent --check-once on host a: exit 0, FRR originates both (got $st: $(head -c 160 \
	"$T/check-once.out"))" test "$st" = 0

# --check-once is the operator's view of FRR: what is on the interface but not originated
# is a WARNING that says what to fix; FRR that cannot be asked is reported, not a crash.
check_once_ha() { # check_once_ha CONF -> $co_st, $co_out
	co_st=0
	co_out=$(ip netns exec "$(_cp_ns ha)" "$AGENT" -c "$1" -s "$(_cp_dir ha)/run" --check-once \
		2>&1) || co_st=$?
}
vtysh_ha() { vtysh -N "$(_cp_ns ha)" -c 'configure terminal' "$@" >/dev/null; }
# What --check-once says of FRR when all is well, and of the standby (each way of announcing).
if [ "$CAMPUS_FRR" = bgp ]; then
	CO_OK='BGP originates 2/2, advertised to 2/2 Established neighbours'
	CO_SB="BGP originates 2/2 (2 from the standby interface $CP_SB, prepended), advertised to 2/2 Established neighbours"
else
	CO_OK='FRR originates 2/2, 1 OSPFv2, 1 OSPFv3 Full neighbours'
	CO_SB="FRR originates 2/2 (2 from the standby interface $CP_SB)"
fi
tap_check "check-once: FRR originates 2/2 and names the neighbours ($CO_OK)" \
	grep -qF "$CO_OK" "$T/check-once.out"
# What FRR is told to stop originating, and how to undo it, in each way of announcing.
if [ "$CAMPUS_FRR" = bgp ]; then
	FRR_OFF=(-c "router bgp $CP_BGP_AS_HOSTS" -c 'address-family ipv4 unicast' -c 'no redistribute connected')
	FRR_ON=(-c "router bgp $CP_BGP_AS_HOSTS" -c 'address-family ipv4 unicast' -c 'redistribute connected route-map ANYCAST4')
	FRR_WHAT="'redistribute connected' in bgpd"
	NOT_ORIG="$CP_A4/32 on $CP_IF but not originated by bgpd"
elif [ "$CAMPUS_FRR" = intra ]; then
	FRR_OFF=(-c "interface $CP_IF" -c 'no ip ospf area')
	FRR_ON=(-c "interface $CP_IF" -c 'ip ospf area 0')
	FRR_WHAT="'ip ospf area' on $CP_IF"
	NOT_ORIG="$CP_A4/32 on $CP_IF but not originated by ospfd"
else
	FRR_OFF=(-c 'router ospf' -c 'no redistribute connected')
	FRR_ON=(-c 'router ospf' -c 'redistribute connected metric-type 1 route-map ANYCAST4')
	FRR_WHAT="'redistribute connected' in ospfd"
	NOT_ORIG="$CP_A4/32 on $CP_IF but not originated by ospfd: check 'redistribute connected'"
fi
vtysh_ha "${FRR_OFF[@]}"
not_originated() {
	check_once_ha "$(_cp_dir ha)/agent.conf"
	[ "$co_st" = 1 ] && [[ $co_out == *"$NOT_ORIG"* ]]
}
tap_check "check-once: without $FRR_WHAT: WARNING, '$NOT_ORIG' (5 s)" \
	wait_for 5 not_originated
tap_diag "$co_out"
vtysh_ha "${FRR_ON[@]}"
tap_check "check-once: $FRR_WHAT restored: OK again, route back on ra (15 s)" \
	wait_for 15 eval 'check_once_ha "$(_cp_dir ha)/agent.conf"; [ "$co_st" = 0 ] &&
		route_host_is ra "$CP_A4" a'
if [ "$CAMPUS_FRR" = bgp ]; then
	# an out policy that lets nothing through to the IPv4 neighbour: check-once names it
	vtysh_ha -c "router bgp $CP_BGP_AS_HOSTS" -c 'address-family ipv4 unicast' \
		-c 'neighbor 10.10.11.1 route-map IMPORT-NONE out'
	not_advertised() {
		check_once_ha "$(_cp_dir ha)/agent.conf"
		[ "$co_st" = 1 ] && [[ $co_out == *"$CP_A4/32 originated but not advertised to 10.10.11.1"* ]]
	}
	tap_check "check-once: nothing sent to ra's IPv4 session: WARNING naming the neighbour 10.10.11.1 (5 s)" \
		wait_for 5 not_advertised
	tap_diag "$co_out"
	vtysh_ha -c "router bgp $CP_BGP_AS_HOSTS" -c 'address-family ipv4 unicast' \
		-c 'neighbor 10.10.11.1 route-map EXPORT4 out'
	tap_check "check-once: the out policy restored: OK again, route back on ra (15 s)" \
		wait_for 15 eval 'check_once_ha "$(_cp_dir ha)/agent.conf"; [ "$co_st" = 0 ] &&
			route_host_is ra "$CP_A4" a'
fi
sed 's|^vtysh = .*|vtysh = /nonexistent/vtysh|' "$(_cp_dir ha)/agent.conf" >"$T/novtysh.conf"
check_once_ha "$T/novtysh.conf"
# not checked is no OK: the routers may not hear of the addresses at all
tap_check "check-once without vtysh: WARNING, 'FRR not checked: vtysh not found' (got $co_st)" \
	eval '[ "$co_st" = 1 ] && [[ $co_out == *"FRR not checked: vtysh not found (/nonexistent/vtysh)"* ]]'
sed 's|^frr_pathspace = .*|frr_pathspace = aa-no-such-frr|' "$(_cp_dir ha)/agent.conf" \
	>"$T/nofrr.conf"
check_once_ha "$T/nofrr.conf"
tap_check "check-once with FRR unreachable: WARNING saying so, no crash (got $co_st)" \
	eval '[ "$co_st" = 1 ] && [[ $co_out == *"FRR: "*"failed to connect to any daemons"* ]]'
tap_diag "$co_out"

# The route-map (intra: OSPF on anycast0 only) lets out the anycast prefixes only: other
# connected addresses stay home.
ip -n "$(_cp_ns ha)" addr add 10.99.0.1/32 dev lo
ip -n "$(_cp_ns ha)" addr add fd99::1/128 dev lo nodad
no_leak() {
	[ "$(route_host ra 10.99.0.1)" = none ] && [ "$(route_host ra fd99::1)" = none ] &&
		[ "$(route_host core 10.99.0.1)" = none ] && [ "$(route_host core fd99::1)" = none ]
}
tap_check "$([ "$CAMPUS_FRR" = intra ] && echo "anycast0 passive, no redistribute" ||
	echo route-map): a non-anycast connected address on host a is not announced (2 s)" \
	hold_for 2 no_leak
ip -n "$(_cp_ns ha)" addr del 10.99.0.1/32 dev lo
ip -n "$(_cp_ns ha)" addr del fd99::1/128 dev lo

# etc/unbound.conf's own probe record (for operators who pick a name of their own).
sn_name=$(awk '{ print $1 }' <<<"$CP_SNIPPET_RR")
sn_want="$(awk '{ print $1, $2, $3, $4, $5 }' <<<"$CP_SNIPPET_RR")"
sn_got=$(ip netns exec "$(_cp_ns ha)" dig +time=1 +tries=1 +noall +answer @127.0.0.1 "$sn_name" \
	"$(awk '{ print $4 }' <<<"$CP_SNIPPET_RR")" 2>/dev/null | awk '{ print $1, $2, $3, $4, $5 }')
tap_check "etc/unbound.conf's probe record answers on host a with TTL 0 ($sn_got)" \
	test "$sn_got" = "$sn_want"

# Not an open resolver: a source outside the campus prefixes is refused, a campus one not.
tap_check "access-control: ra's campus address gets NOERROR for $CP_PROBE_NAME on $CP_A4" \
	rcode_is NOERROR ra 10.10.11.1 "$CP_A4" "$CP_PROBE_NAME"
tap_check "access-control: ra's campus address gets NOERROR for $CP_PROBE_NAME on $CP_A6" \
	rcode_is NOERROR ra fd10:10:0:11::1 "$CP_A6" "$CP_PROBE_NAME"
tap_check "access-control: $CP_STRANGER4 (outside the campus) is REFUSED on $CP_A4" \
	rcode_is REFUSED ra "$CP_STRANGER4" "$CP_A4" "$CP_PROBE_NAME"
tap_check "access-control: $CP_STRANGER6 (outside the campus) is REFUSED on $CP_A6" \
	rcode_is REFUSED ra "$CP_STRANGER6" "$CP_A6" "$CP_PROBE_NAME"

# ------------------------------------------------------------------- faults of unbound on A

# The core reaches A (via ra) and B (via rb) at equal cost: once A has withdrawn, a next hop
# via ra left on the core is a loop (ra now routes the address to the core) for the flows
# hashed that way. FRR before 10.7 has a bug there in OSPFv3 intra-area routes (FRR issue
# #13579): ospf6d keeps that next hop after the first withdrawal since it started
# (bench/analysis.md). That, and only that, is reported as a known bug, with its evidence:
# the address gone from A, ospf6d's own route entry with fewer paths than next hops.
FRR_VER=$(vtysh -N "$(_cp_ns core)" -c 'show version' 2>/dev/null | sed -n 's/^FRRouting \([0-9.]*\).*/\1/p')
frr_before() { # frr_before MAJOR.MINOR: FRR_VER is older
	[ -n "$FRR_VER" ] && [ "$(printf '%s\n%s\n' "$FRR_VER" "$1" | sort -V | head -n 1)" = "$FRR_VER" ] &&
		[ "$FRR_VER" != "$1" ]
}
core_via_ra() { # core_via_ra FAM: the core's route to the anycast address has a next hop via ra
	ip -n "$(_cp_ns core)" "-$1" route show "$(_cp_anycast "$1")" 2>/dev/null | grep -q ' dev ra '
}
a_has() { # a_has FAM: the address of FAM is on host A's anycast0
	ip -n "$(_cp_ns ha)" "-$1" -o addr show dev "$CP_IF" 2>/dev/null | grep -qF " $(_cp_anycast "$1")/"
}
KNOWN_BUG=0
core_left_a() { # core_left_a DESC FIRST: after a withdrawal on A, no next hop via ra on the core
	local desc=$1 first=$2 f entry paths nhs
	for f in 4 6; do
		tap_check "$desc: the agent withdrew $(_cp_anycast "$f") from A's $CP_IF" \
			wait_for 5 not a_has "$f"
		if wait_for 5 not core_via_ra "$f"; then
			tap_ok "$desc: the core's route to $(_cp_anycast "$f") has no next hop via ra (A) left"
			continue
		fi
		entry=$(vtysh -N "$(_cp_ns core)" -c "show ipv6 ospf6 route $CP_A6/128" 2>/dev/null)
		paths=$(sed -n 's/^Paths count: //p' <<<"$entry")
		nhs=$(sed -n 's/^Nexthop count: //p' <<<"$entry")
		if [ "$f" = 6 ] && [ "$first" = 1 ] && [ "$CAMPUS_FRR" = intra ] && frr_before 10.7 &&
			! a_has 6 && [ -n "$paths" ] && [ -n "$nhs" ] && [ "$paths" -lt "$nhs" ]; then
			KNOWN_BUG=1
			tap_diag "known FRR $FRR_VER bug (ospf6d, FRR issue #13579, fixed in FRR 10.7): the core keeps" \
				"a next hop via ra for $CP_A6 after A withdrew it: flows hashed to ra loop until A" \
				"announces again. Evidence:"
			tap_diag "  host A's $CP_IF, global IPv6 addresses: $(ip -n "$(_cp_ns ha)" -6 -o addr show \
				dev "$CP_IF" scope global | awk '{ print $4 }' | paste -sd' ' | grep . || echo none)"
			tap_diag "  ra: $(route_via ra "$CP_A6")"
			tap_diag "  core (kernel): $(ip -n "$(_cp_ns core)" -6 route show "$CP_A6" | tr -s '\n\t' '  ')"
			tap_diag "  core (ospf6d): $(grep -E '^(Path Type|LS Origin|Paths count|Nexthop count):' <<<"$entry" |
				paste -sd';') $(sed -n '/^Nexthop:/,$p' <<<"$entry" | sed 1d | paste -sd,)"
			tap_diag "  (ospf6d's own entry: $paths path, $nhs next hops; the next withdrawal is checked below)"
		else
			tap_fail "$desc: the core's route to $(_cp_anycast "$f") has no next hop via ra (A) left" \
				"(still: $(ip -n "$(_cp_ns core)" "-$f" route show "$(_cp_anycast "$f")" | tr -s '\n\t' '  '))"
			[ "$f" = 6 ] && [ -n "$entry" ] && grep -E '^(LS Origin|Paths count|Nexthop count):' <<<"$entry" |
				sed 's/^/#   ospf6d: /'
		fi
	done
}

ready "unbound SIGKILL"
unbound_kill a
moves "unbound on A SIGKILLed" a resolver-b "$T_MOVE"
tap_check "unbound on A SIGKILLed: client b still answered by resolver-b" answers b 4 resolver-b
core_left_a "unbound on A SIGKILLed (first withdrawal)" 1
unbound_start a
moves "unbound on A restarted" a resolver-a "$T_BACK"

ready "unbound SIGSTOP"
unbound_stop a
moves "unbound on A hung (SIGSTOP)" a resolver-b "$T_MOVE"
core_left_a "unbound on A hung (second withdrawal)" 0
unbound_cont a
moves "unbound on A continued (SIGCONT)" a resolver-a "$T_BACK"

ready "SERVFAIL"
servfail_on a
tap_check "harness: unbound on A answers SERVFAIL for $CP_PROBE_NAME" \
	test "$(probe_rcode a)" = SERVFAIL
moves "unbound on A answers SERVFAIL for the probe name" a resolver-b "$T_MOVE"
servfail_off a
tap_check "harness: unbound on A answers $CP_PROBE_NAME again" test "$(probe_rcode a)" = NOERROR
moves "SERVFAIL cleared on A" a resolver-a "$T_BACK"

# ------------------------------------------------------- a flapping unbound is damped

# unbound on A killed and restarted in a loop for 12 s (a crash loop): with the shipped
# damping (half-life 2 s) the addresses move at most 3 times (withdrawn, back, withdrawn),
# then stay off until it has stayed up, and come back by themselves.
ready "flapping"
flap=0
mon_start mon_pid "$(_cp_ns ha)" "$T/mon.flap"
flap_end=$(($(_now_us) + 12000000))
while [ "$(_now_us)" -lt "$flap_end" ]; do
	unbound_kill a
	flap=$((flap + 1))
	unbound_start a # returns once it answers
	sleep 1
done
mon_stop "$mon_pid" "$(_cp_ns ha)" "$T/mon.flap"
for f in 4 6; do
	n=$(mon_events "$T/mon.flap" | grep -cF " $(_cp_anycast "$f")/")
	tap_check "unbound on A crashing and restarting ($flap times in 12 s): $(_cp_anycast "$f") moved at most 3 times ($n)" \
		test "$n" -le 3
done
tap_check "flapping: host A's agent says it damped the service" \
	grep -q "flapping .*damped" "$(_cp_dir ha)/agent.log"
moves "flapping stopped: A announces again once stable" a resolver-a "$T_BACK"

# ------------------------------------------------------------------------------ maintenance

# Planned, the way the runbook says: `anycast-agent --maintenance on` on host A, which
# returns once A has withdrawn everything, drained, and FRR no longer originates it. Host A
# drains (a local route keeps it answering while the routers converge), so no query is lost
# at the host, going to B or coming back. Two probers (IPv4 and IPv6, 100 q/s each) from
# client A record every answer.
maint_cmd() { # maint_cmd on|off: the command on host A; its output in $T/maint.out
	ip netns exec "$(_cp_ns ha)" "$AGENT" -c "$(_cp_dir ha)/agent.conf" -s "$(_cp_dir ha)/run" \
		--maintenance "$1" >"$T/maint.out" 2>&1
}
ready "maintenance"
digloop_start dl4 a 4 "$T/maint4"
digloop_start dl6 a 6 "$T/maint6"
sleep 1
t0=$(_now_us)
{
	st=0
	maint_cmd on || st=$?
	echo "$st $(_now_us)" >"$T/maint.st"
} &
maint_pid=$!
maint_to_b() { digloop_last_is "$T/maint4" resolver-b && digloop_last_is "$T/maint6" resolver-b; }
maint_to_a() { digloop_last_is "$T/maint4" resolver-a && digloop_last_is "$T/maint6" resolver-a; }
drain_routes_on_a() {
	[ "$(ip -n "$(_cp_ns ha)" -4 route show table local proto 170 | wc -l)" -ge 1 ] &&
		[ "$(ip -n "$(_cp_ns ha)" -6 route show table local proto 170 | wc -l)" -ge 1 ]
}
no_drain_on_a() {
	[ -z "$(ip -n "$(_cp_ns ha)" -4 route show table local proto 170)$(ip -n "$(_cp_ns ha)" -6 route show table local proto 170)" ]
}
if [ "$(campus_drain)" != 0 ]; then
	tap_check "maintenance on A: host A drains through local routes (protocol 170, IPv4 and IPv6)" \
		wait_for 2 drain_routes_on_a
fi
wait_for "$T_MOVE" maint_to_b
tap_diag "maintenance on: the probers are answered by resolver-b after $(elapsed_ms "$t0") ms"
wait "$maint_pid"
read -r st t1 <"$T/maint.st"
tap_check "anycast-agent --maintenance on: exit 0 after $(((t1 - t0) / 1000)) ms (drain_ms $(campus_drain)); A's addresses and drain routes already gone then" \
	eval "[ '$st' = 0 ] && ! anycast_present a && no_drain_on_a || { cat '$T/maint.out'; false; }"
sleep 1
t0=$(_now_us)
st=0
maint_cmd off || st=$?
tap_check "anycast-agent --maintenance off: exit 0 after $(elapsed_ms "$t0") ms, A's addresses back" \
	eval "[ '$st' = 0 ] && anycast_present a || { cat '$T/maint.out'; false; }"
wait_for "$T_BACK" maint_to_a
tap_diag "maintenance off: the probers are answered by resolver-a after $(elapsed_ms "$t0") ms"
sleep 1
digloop_stop "$dl4" "$T/maint4"
digloop_stop "$dl6" "$T/maint6"
drain_note=
[ "$(campus_drain)" != 0 ] || drain_note=" [KNOWN: expected without drain_ms]"
for f in 4 6; do
	file=$T/maint$f
	total=$(wc -l <"$file")
	lost=$(awk '$3 !~ /^resolver-/' "$file" | wc -l)
	runs=$(digloop_runs "$file")
	tap_diag "maintenance IPv$f: $total queries over $(($(awk 'NR == 1 { a = $2 } END { print int($2 - a) }' \
		"$file"))) ms, lost $lost; answers in order: $runs"
	tap_diag "maintenance IPv$f prober: $(grep -E '^# (summary|gap)' "$file.err" | tr '\n' ' ')"
	if [ "$lost" -gt 0 ]; then
		tap_diag "maintenance IPv$f: failed queries (seq@ms answer): $(awk '$3 !~ /^resolver-/ { printf "%s@%s %s ", $1, $2, $3 }' "$file")"
	fi
	answered=$(awk '$3 ~ /^resolver-/' "$file" | digloop_runs /dev/stdin)
	tap_check "maintenance on A: client a IPv$f moved to resolver-b and back to resolver-a" \
		grep -qE '^resolver-a x[0-9]+ resolver-b x[0-9]+ resolver-a x[0-9]+$' <<<"$answered"
	# The host keeps answering through the drain route; what the routers do meanwhile can
	# still cost a query: the benchmark saw 1 lost in 1 of 10 drains (a micro-loop, or ICMP
	# unreachable while a router replaces its route), more often in intra-area mode. A host
	# that deleted the address without draining loses ~3 at this rate (the classic script
	# in the benchmark: 3 / 4), so more than that margin fails.
	margin=1
	[ "$CAMPUS_FRR" = intra ] && margin=2
	if [ "$CAMPUS_FRR" = bgp ] && [ "${CAMPUS_BGP_SITES:-direct}" = core ]; then
		# BGP: ra switches to B's path (via the core) one bgpd hold (50 ms) before the core
		# stops sending A's flows to ra: the flows the core hashes to ra loop until their
		# TTL runs out, and the client gets ICMP (UNREACH) for that hold. That is the
		# routers' (doc/deploy.md, section 16), not the host's: the host's own losses
		# (LOST, REFUSED: no answer, or the port closed) keep the margin.
		loop=$(awk '$3 == "UNREACH"' "$file" | wc -l)
		lost=$((lost - loop))
		[ "$loop" -gt 0 ] && tap_diag "KNOWN: $loop IPv$f queries answered by ICMP during the routers' switch (BGP micro-loop, at most $BGP_LOOP_MAX tolerated)"
		tap_check "maintenance on A: at most $BGP_LOOP_MAX IPv$f queries lost to the routers' micro-loop ($loop)" \
			test "$loop" -le "$BGP_LOOP_MAX"
	fi
	[ "$lost" -gt 0 ] && [ "$lost" -le "$margin" ] &&
		tap_diag "KNOWN: $lost IPv$f queries lost in the routers' convergence during the drain (at most $margin tolerated)"
	tap_check "maintenance on A: at most $margin IPv$f query lost$([ "$CAMPUS_FRR" = bgp ] && echo " at the host") ($lost of $total lost)$( [ "$lost" -gt 0 ] &&
		echo "$drain_note")" test "$lost" -le "$margin"
done

# ------------------------------------------------------------ the agent dies, and restarts

ready "agent SIGKILL"
rmon_start rmon ra "$T/rmon.agent"
agent_kill a
tap_check "agent on A SIGKILLed: its addresses stay on anycast0" anycast_present a
kept_a() { answers a 4 resolver-a && answers a 6 resolver-a; }
tap_check "agent on A SIGKILLed, unbound healthy: client a still answered by resolver-a (v4+v6, 3 s)" \
	hold_for 3 kept_a
agent_start a
agent_kept() { agent_running a && kept_a && anycast_present a; }
tap_check "agent on A restarted: running, client a answered by resolver-a (v4+v6, 3 s)" \
	hold_for 3 agent_kept
rmon_stop "$rmon" ra "$T/rmon.agent"
changes=$(rmon_lines "$T/rmon.agent" | grep -cE "[] ](${CP_A4//./\\.}|$CP_A6) " || true)
tap_check "agent on A killed and restarted: no route change for $CP_A4 / $CP_A6 on ra" \
	test "$changes" -eq 0
[ "$changes" -eq 0 ] || rmon_lines "$T/rmon.agent" | sed 's/^/#   /'

# ------------------------------------------------------------------------------ freeze

# freeze_run N: freezes host A, reports when ra's routes left it (BFD), thaws, waits for
# the way back; with N = 1 also asserts.
FZ4=()
FZ6=()
ra_bfd_down() { [ "$(bfd_up ra)" -eq 0 ]; }
ra_bfd_up() { [ "$(bfd_up ra)" -eq 2 ]; }
freeze_run() {
	local n=$1 t0 d4 d6 r
	ready "freeze $n"
	# Right after a thaw OSPF can be Full before BFD is: freezing then would time the dead
	# interval instead.
	wait_for 10 ra_bfd_up || tap_fail "before freeze $n: ra's BFD sessions to A up"
	rmon_start rmon ra "$T/rmon.freeze$n"
	t0=$(_now_us)
	freeze_host a
	if [ "$n" = 1 ]; then
		tap_check "host A frozen: ra's BFD sessions to it go down" wait_for 5 ra_bfd_down
		moves "host A frozen (nftables drop)" a resolver-b "$T_MOVE"
	else
		wait_for "$T_MOVE" answers a 4 resolver-b
		wait_for "$T_MOVE" answers a 6 resolver-b
	fi
	rmon_sync ra "$T/rmon.freeze$n"
	d4=$(rmon_first_us "$T/rmon.freeze$n" "[] ]${CP_A4//./\\.} " "$t0")
	d6=$(rmon_first_us "$T/rmon.freeze$n" "[] ]$CP_A6 " "$t0")
	[ -n "$d4" ] && FZ4+=("$d4")
	[ -n "$d6" ] && FZ6+=("$d6")
	tap_diag "freeze $n: route on ra changed after IPv4 $(ms "${d4:-0}") ms, IPv6 $(ms "${d6:-0}") ms"
	t0=$(_now_us)
	thaw_host a
	if [ "$n" = 1 ]; then
		moves "host A thawed" a resolver-a 30
		tap_check "host A thawed: ra's BFD sessions up again" wait_for 10 ra_bfd_up
	else
		wait_for 30 all_home
	fi
	r=$(elapsed_ms "$t0")
	tap_diag "freeze $n: client a back on resolver-a $r ms after the thaw"
	rmon_stop "$rmon" ra "$T/rmon.freeze$n"
}
freeze_run 1

# ---------------------------------------------------------------- both resolvers dead

ready "both unbound killed"
unbound_kill a
unbound_kill b
nothing() { answers a 4 none && answers a 6 none && answers b 4 none && answers b 6 none; }
tap_check "unbound killed on A and B: nothing answers clients a and b (v4+v6)" \
	wait_for "$T_MOVE" nothing
tap_check "unbound killed on A and B: still nothing 2 s later" hold_for 2 nothing
unbound_start b
moves "unbound on B restarted (A still dead)" a resolver-b "$T_BACK"
unbound_start a
moves "unbound on A restarted too" a resolver-a "$T_BACK"

# ------------------------------------------- every instance fails the probe at once: standby

# The probe name SERVFAILs on A and B at once (a bad push, an upstream outage), both
# unbounds still running: the agents move the addresses to their standby interface
# (metric 60000) instead of withdrawing, so each client keeps being answered by its nearest
# instance. A recovers first and takes every client (a healthy instance beats any standby),
# then B takes its own back. Four probers (clients a and b, IPv4 and IPv6, 100 q/s each)
# record every answer.
# first_after FILE START_MS WANT: send_ms - START_MS of the first query sent after START_MS
# that WANT answered.
first_after() {
	awk -v t="$2" -v w="$3" '!/^#/ && $2 >= t && $3 == w { printf "%d\n", $2 - t; exit }' "$1"
}
# probe_ms FILE REALTIME: REALTIME (seconds) on FILE's send_ms clock.
probe_ms() {
	local s
	s=$(sed -n 's/^# start_realtime=\([0-9.]*\).*/\1/p' "$1")
	awk -v r="$2" -v s="$s" 'BEGIN { printf "%d\n", (r - s) * 1000 }'
}
all_last_is() { # all_last_is WANT-A WANT-B: the last answers of the four probers
	digloop_last_is "$T/sba4" "$1" && digloop_last_is "$T/sba6" "$1" &&
		digloop_last_is "$T/sbb4" "$2" && digloop_last_is "$T/sbb6" "$2"
}
ready "every instance fails the probe"
digloop_start sba4 a 4 "$T/sba4"
digloop_start sba6 a 6 "$T/sba6"
digloop_start sbb4 b 4 "$T/sbb4"
digloop_start sbb6 b 6 "$T/sbb6"
sleep 1
servfail_on a &
servfail_on b
wait $!
tap_check "SERVFAIL on A and B at once: both agents moved the addresses to $CP_SB (the standby interface)" \
	wait_for "$T_MOVE" eval "standby_present a && standby_present b"
sleep 2
tap_check "... 2 s later: client a still answered by resolver-a, client b by resolver-b" \
	all_last_is resolver-a resolver-b
check_once_ha "$(_cp_dir ha)/agent.conf"
tap_check "... --check-once on A: WARNING (1), STANDBY, and FRR originates both from $CP_SB (got $co_st: ${co_out%% |*})" \
	eval "[ $co_st = 1 ] && grep -q 'STANDBY' <<<\"\$co_out\" &&
		grep -qF '$CO_SB' <<<\"\$co_out\""
if [ "$CAMPUS_FRR" = bgp ]; then
	# the standby is recognisable on the routers: the host's AS prepended (etc/frr-bgp.conf)
	prepended() { # prepended ROUTER FAM: ROUTER's best path to the address has 4 x 65053
		vtysh -N "$(_cp_ns "$1")" -c "show bgp ipv$2 unicast $(_cp_anycast "$2") json" 2>/dev/null |
			grep -qE '"string": ?"65053 65053 65053 65053"'
	}
	tap_check "... ra and rb hold the standby announcements with the host's AS prepended 3 times (v4+v6)" \
		eval "prepended ra 4 && prepended ra 6 && prepended rb 4 && prepended rb 6"
fi
servfail_off a
t_a=$(date +%s.%N)
tap_check "SERVFAIL cleared on A: client b moves to resolver-a (healthy beats standby)" \
	wait_for "$T_MOVE" all_last_is resolver-a resolver-a
sleep 1
servfail_off b
t_b=$(date +%s.%N)
tap_check "SERVFAIL cleared on B: client b back on resolver-b" \
	wait_for "$T_MOVE" all_last_is resolver-a resolver-b
sleep 1
for f in 4 6; do
	back_a=$(first_after "$T/sbb$f" "$(probe_ms "$T/sbb$f" "$t_a")" resolver-a)
	back_b=$(first_after "$T/sbb$f" "$(probe_ms "$T/sbb$f" "$t_b")" resolver-b)
	# rise x interval + 100 ms = 400 ms with the shipped settings: asserted with room for
	# this machine's noise (the benchmark reports the spread)
	tap_check "IPv$f: A took client b ${back_a:-?} ms after its SERVFAIL ended, B took it back ${back_b:-?} ms after its own (bound: 1000 ms each)" \
		eval "[ -n '$back_a' ] && [ -n '$back_b' ] && [ '$back_a' -le 1000 ] && [ '$back_b' -le 1000 ]"
done
# Lost while every instance failed (queries sent before A's SERVFAIL ended), and lost in the
# two moves back after it (a router between two routes can answer one query with ICMP
# unreachable, as in the maintenance drain): each at most 3 per prober.
for p in sba4 sba6 sbb4 sbb6; do
	ta=$(probe_ms "$T/$p" "$t_a")
	digloop_stop "${!p}" "$T/$p"
	lost=$(awk -v t="$ta" '$2 < t && $3 !~ /^resolver-/' "$T/$p" | wc -l)
	back=$(awk -v t="$ta" '$2 >= t && $3 !~ /^resolver-/' "$T/$p" | wc -l)
	# KNOWN, intra-area variant: A's and B's router LSAs change ~30 ms apart, and the
	# routers' SPFs (throttled: 0, then a 50 ms hold that doubles) can disagree for up to
	# ~170 ms: ra already sends client a's flows to the core, the core still balances them
	# back to ra. A raw socket in client a's namespace saw ICMPv6 time exceeded from the
	# core's end of the core-ra link (the kernel rate-limits those, so most of the loop's
	# victims show as LOST); an IPv4 loss of the same shape (9) was not captured. 0-17
	# queries per prober at 100 q/s, most runs 0 (bench/results-14.md). The routers', not
	# the agent's: the hosts move their addresses in a few ms. The external variant keeps
	# issue 12's bound.
	bound=3
	if [ "$CAMPUS_FRR" = bgp ] && [ "${CAMPUS_BGP_SITES:-direct}" = core ]; then
		# the same micro-loop as in the maintenance drain, when A's standby makes ra
		# switch to B's path before the core has heard
		loop=$(awk -v t="$ta" '$2 < t && $3 == "UNREACH"' "$T/$p" | wc -l)
		[ "$loop" -gt 0 ] && tap_diag "KNOWN: $loop of $p's queries answered by ICMP during the routers' switch (BGP micro-loop)"
		bound=$((3 + BGP_LOOP_MAX))
	fi
	if [ "$CAMPUS_FRR" = intra ]; then
		bound=20
		[ "$lost" -gt 3 ] && tap_diag "KNOWN: $lost queries lost by $p while the intra-area routers' SPFs disagreed (a loop between ra and the core), more than issue 12's 3"
	fi
	tap_check "every instance failing, $p: at most $bound of $(awk -v t="$ta" '$2 < t' "$T/$p" | wc -l) queries lost ($lost; answers: $(digloop_runs "$T/$p" | cut -c1-160))" \
		test "$lost" -le "$bound"
	tap_check "... and at most 3 lost in the moves back ($back)" test "$back" -le 3
done

# ------------------------------------------------------------------------------ timings

# OSPF alone: the agent on A stopped, the address removed and put back by hand, timed on
# ra's route monitor. Reported, not asserted.
ready "timings"
agent_kill a
WD4=()
WD6=()
RA4=()
RA6=()
rmon_start rmon ra "$T/rmon.wd"
for ((i = 1; i <= RUNS; i++)); do
	for f in 4 6; do
		a=$(_cp_anycast "$f")
		[ "$f" = 4 ] && len=32 || len=128
		t0=$(_now_us)
		ip -n "$(_cp_ns ha)" addr del "$a/$len" dev "$CP_IF"
		wait_for 5 not route_host_is ra "$a" a
		t1=$(_now_us)
		if [ "$f" = 4 ]; then
			ip -n "$(_cp_ns ha)" addr add "$a/$len" dev "$CP_IF"
		else
			ip -n "$(_cp_ns ha)" addr add "$a/$len" dev "$CP_IF" nodad
		fi
		wait_for 15 route_host_is ra "$a" a
		rmon_sync ra "$T/rmon.wd"
		ere="[] ]${a//./\\.} "
		d=$(rmon_first_us "$T/rmon.wd" "$ere" "$t0")
		r=$(rmon_first_us "$T/rmon.wd" "$ere" "$t1")
		[ "$f" = 4 ] && { [ -n "$d" ] && WD4+=("$d"); [ -n "$r" ] && RA4+=("$r"); }
		[ "$f" = 6 ] && { [ -n "$d" ] && WD6+=("$d"); [ -n "$r" ] && RA6+=("$r"); }
		sleep 0.3
	done
done
rmon_stop "$rmon" ra "$T/rmon.wd"
agent_start a
tap_check "timings done: agent on A running again, client a answered by resolver-a" \
	wait_for "$T_BACK" all_home
for ((i = 2; i <= FREEZE_RUNS; i++)); do freeze_run "$i"; done

tap_diag "address removed on A -> route on ra moved, IPv4: $(stats "${WD4[@]}")"
tap_diag "address removed on A -> route on ra moved, IPv6: $(stats "${WD6[@]}")"
tap_diag "address re-added right after -> route on ra back, IPv4: $(stats "${RA4[@]}")"
tap_diag "address re-added right after -> route on ra back, IPv6: $(stats "${RA6[@]}")"
tap_diag "host A frozen -> route on ra moved (BFD), IPv4: $(stats "${FZ4[@]}")"
tap_diag "host A frozen -> route on ra moved (BFD), IPv6: $(stats "${FZ6[@]}")"
tap_diag "total run time $(elapsed_ms "$START_US") ms"
[ "$KNOWN_BUG" = 0 ] || tap_diag "known FRR $FRR_VER bug seen (ospf6d's stale ECMP next hop after" \
	"the first IPv6 withdrawal, details above): reported, not counted as a failure"

tap_summary
