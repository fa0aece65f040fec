# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Load on resolver host A of the campus (sourced after tests/bed/campus.sh, with the campus
# up): issue 11, "no false withdrawal, ever, under load". Used by tests/bed/test_load.sh
# (asserts) and bench/load.sh (reports).
#
# Two scenarios, each LOAD_SECONDS (10) long, while `ip monitor address` of host A and
# `ip monitor route` of building router ra record every change:
#
#   flood  dnsperf from client A's namespace to the IPv4 anycast address (the clients' own
#          path, through ra, to host A's unbound), at unbound's full rate: no rate limit,
#          LOAD_DNSPERF_ARGS (-c 4 -q 1000: 1000 queries outstanding over 4 sockets, so
#          unbound's receive queue never runs dry and overflows: dnsperf's "lost" are the
#          queries host A's kernel dropped at unbound's full socket buffer, RcvbufErrors).
#          dnsperf on host A itself (127.0.0.1) reaches no more: both share the machine's
#          CPUs, and the client path is the realistic one.
#          The mix, per 10 queries: 1 answered from unbound's local data (localhost. A),
#          7 cache hits (200 names, TTL 3600, cached on their first query), 2 misses
#          (never the same name twice in a run, TTL 0 anyway). The misses are real work:
#          load.test. is a stub zone (unbound-control stub_add, a transparent local zone
#          over the built-in test. one) of an authoritative server started here, a second
#          unbound with redirect zones on the core router (10.10.1.1, two hops away); each
#          miss is one upstream query from host A's unbound, each from a fresh UDP socket on
#          a random port, opened and closed: thousands of socket creations and destructions
#          per second on host A, the kernel's socket-destroy broadcasts included.
#   cpu    stress-ng --cpu 0 (one worker per CPU of the machine: namespaces share them) in
#          host A's namespace, nothing else.
#
# The agent of host A logs at debug level meanwhile (SIGHUP after editing its agent.conf)
# for its probe RTTs; ld_agent_set can change other keys the same way (a test that must be
# able to fail: LOAD_AGENT_SET="timeout_ms=10 fall=1" in test_load.sh).
#
# ld_run SCEN DIR writes DIR/SCEN.result, "key value" lines (see ld_run).

LOAD_SECONDS=${LOAD_SECONDS:-10}
LOAD_DNSPERF_ARGS=${LOAD_DNSPERF_ARGS:--c 4 -q 1000 -t 1}
LOAD_STRESS_ARGS=${LOAD_STRESS_ARGS:---cpu 0}
LD_ZONE=load.test.
LD_AUTH4=10.10.1.1 # core's address on the core-ra link
LD_MISSES=0        # miss names used so far: a name is never asked twice

_ld_err() { echo "load: $*" >&2; }

# ------------------------------------------------------------ the authoritative server

# ld_auth_start: the authoritative server of load.test. on the core router: an unbound
# with redirect zones (every name under hit. and miss. answers), TTL 3600 and 0.
ld_auth_start() {
	local dir=$CAMPUS_DIR/core
	{
		ub_header "$dir"
		echo "    interface: $LD_AUTH4"
		echo "    port: 53"
		echo "    access-control: 10.10.0.0/16 allow"
		echo "    local-zone: \"$LD_ZONE\" static"
		echo "    local-data: \"$LD_ZONE 3600 IN SOA ns.$LD_ZONE h.$LD_ZONE 1 3600 600 86400 0\""
		echo "    local-data: \"$LD_ZONE 3600 IN NS ns.$LD_ZONE\""
		echo "    local-data: \"ns.$LD_ZONE 3600 IN A $LD_AUTH4\""
		echo "    local-zone: \"hit.$LD_ZONE\" redirect"
		echo "    local-data: \"hit.$LD_ZONE 3600 IN A 192.0.2.80\""
		echo "    local-zone: \"miss.$LD_ZONE\" redirect"
		echo "    local-data: \"miss.$LD_ZONE 0 IN A 192.0.2.81\""
		echo "remote-control:"
		echo "    control-enable: yes"
		echo "    control-interface: \"$dir/auth.ctl\""
		echo "    control-use-cert: no"
	} >"$dir/auth.conf" || return 1
	unbound-checkconf "$dir/auth.conf" >/dev/null || return 1
	_cp_start auth core "$dir/auth.bgpid" "$dir/auth.log" "$UNBOUND" -d -c "$dir/auth.conf"
	wait_for 10 _ld_auth_answers || {
		_ld_err "the authoritative server on core does not answer (see $dir/auth.log)"
		return 1
	}
}

_ld_auth_answers() {
	[ "$(ip netns exec "$(_cp_ns ha)" dig +norec +time=1 +tries=1 +short @"$LD_AUTH4" \
		"x.miss.$LD_ZONE" A 2>/dev/null)" = 192.0.2.81 ]
}

# ld_auth_queries: the queries the authoritative server has answered so far.
ld_auth_queries() {
	ip netns exec "$(_cp_ns core)" "$UNBOUND_CONTROL" -c "$CAMPUS_DIR/core/auth.conf" \
		stats_noreset 2>/dev/null | sed -n 's/^total\.num\.queries=//p'
}

# ld_stub_on: host A's unbound resolves load.test. through the authoritative server (at run
# time, its configuration stays etc/unbound.conf's).
ld_stub_on() {
	local ns dir
	ns=$(_cp_ns ha)
	dir=$(_cp_dir ha)
	ub_control "$ns" "$dir" local_zone "$LD_ZONE" transparent >/dev/null &&
		ub_control "$ns" "$dir" stub_add "$LD_ZONE" "$LD_AUTH4" >/dev/null &&
		wait_for 5 _ld_resolves "$ns"
}

_ld_resolves() {
	[ "$(dns_rcode "$1" 127.0.0.1 "m0.miss.$LD_ZONE")" = NOERROR ]
}

# ld_queries FILE N: dnsperf's input, N queries of the mix (misses numbered on from
# LD_MISSES; dnsperf runs through it once at most, -n 1, so no miss name repeats).
ld_queries() {
	awk -v n="$2" -v m="$LD_MISSES" -v z="$LD_ZONE" 'BEGIN {
		for (i = 0; i < n; i++) {
			k = i % 10
			if (k == 0) print "localhost. A"
			else if (k < 8) print "h" (i % 200) ".hit." z " A"
			else print "m" (++m) ".miss." z " A"
		} }' >"$1"
	LD_MISSES=$((LD_MISSES + $2 / 5 + 1))
}

# ------------------------------------------------------------ the agent of host A

# ld_agent_set KEY=VALUE...: host A's agent.conf with these values (a key the file has
# once), checked by --config-test and reloaded (SIGHUP); returns once the agent logged the
# reload.
ld_agent_set() {
	local dir f kv k v mark
	dir=$(_cp_dir ha)
	f=$dir/agent.conf
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		_cp_sub "$f" "^$k = .*$" "$k = $v" || return 1
	done
	"$AGENT" -c "$f" --config-test >"$dir/config-test.out" 2>&1 || {
		_ld_err "$f does not pass --config-test: $(cat "$dir/config-test.out")"
		return 1
	}
	mark=$(file_size "$dir/agent.log")
	_cp_signal ha "$dir/agent.pid" HUP || return 1
	wait_for 5 log_has "$dir/agent.log" "$mark" ': reloaded ' || {
		_ld_err "the agent did not log its reload: $(log_since "$dir/agent.log" "$mark" | tail -n 3)"
		return 1
	}
}

# ld_agent_cpu_ns: CPU time (ns) of every thread of host A's agent, "-" without one.
ld_agent_cpu_ns() {
	_ld_cpu_ns "$(_cp_dir ha)/agent.pid" ha
}

_ld_cpu_ns() {
	local pid
	pid=$(_cp_pid_in "$1" "$(_cp_ns "$2")") || {
		echo -
		return
	}
	proc_cpu_ns "$pid"
}

# _ld_rcvbuf_drops: UDP datagrams host A's kernel dropped at a full socket receive buffer.
_ld_rcvbuf_drops() {
	ip netns exec "$(_cp_ns ha)" cat /proc/net/snmp |
		awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $6; exit }'
}

# _ld_busy: "busy total" jiffies of the whole machine (/proc/stat).
_ld_busy() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}

# ------------------------------------------------------------ route monitor on ra

LD_SEQ=0

_ld_rmon_sync() {
	local ns s rc
	ns=$(_cp_ns ra)
	LD_SEQ=$((LD_SEQ % 250 + 1))
	s=198.18.253.$LD_SEQ
	ip -n "$ns" route add blackhole "$s/32" table 99 || return 1
	wait_for 5 grep -qF "blackhole $s " "$1"
	rc=$?
	ip -n "$ns" route del blackhole "$s/32" table 99
	return $rc
}

# _ld_retry CMD...: CMD, up to 4 times.
_ld_retry() {
	local i
	for i in 1 2 3 4; do
		"$@" && return 0
		[ "$i" = 4 ] || sleep 0.2
	done
	return 1
}

# ------------------------------------------------------------ one scenario

# _ld_pct A0 A1 T0 T1: (A1 - A0) ns over T1 - T0 s, as % of one core.
_ld_pct() {
	awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" 'BEGIN {
		if (a == "-" || b == "-" || t1 <= t0) print "-"; else printf "%.2f\n", (b - a) / 1e7 / (t1 - t0) }'
}

# ld_run SCEN DIR: runs scenario SCEN (flood or cpu) for LOAD_SECONDS and writes
# DIR/SCEN.result: withdrawals (deletions of an anycast address on host A), down (the
# agent's DOWN lines), present (both addresses there at the end: 1/0), probes / failed /
# confirm (the agent's probe results and confirming probes), rtt_med / rtt_p99 / rtt_max
# (µs, of the good probes), agent_cpu / unbound_cpu (% of one core), busy (% of the whole
# machine), routes (changes of ra's routes to the anycast prefixes), and for flood the
# dnsperf figures: sent, completed, lost, loss (%), qps, misses (queries the authoritative
# server answered), drops (UDP datagrams host A's kernel dropped at a full receive buffer:
# unbound's, when it runs at its full rate; dnsperf counts them lost). Keeps SCEN.agent.log, SCEN.amon, SCEN.rmon, SCEN.dnsperf or SCEN.stress.
ld_run() {
	local scen=$1 base=$2/$1 ns alog mark amon rmon pid st=0 tool
	local a0 a1 u0 u1 b0 b1 n0 n1 q0 q1 d0 d1 t0 t1 cmd=()
	ns=$(_cp_ns ha)
	alog=$(_cp_dir ha)/agent.log
	case $scen in
	flood)
		# a query file it cannot run through (80k q/s would be beyond this machine)
		tool=dnsperf
		ld_queries "$base.queries" $((LOAD_SECONDS * 80000))
		# shellcheck disable=SC2206 # options, split on purpose
		cmd=(ip netns exec "$(_cp_ns ca)" dnsperf -s "$CP_A4" -d "$base.queries" -n 1
			-l "$LOAD_SECONDS" $LOAD_DNSPERF_ARGS)
		;;
	cpu)
		tool=stress
		# shellcheck disable=SC2206
		cmd=(ip netns exec "$ns" stress-ng $LOAD_STRESS_ARGS --timeout "${LOAD_SECONDS}s"
			--metrics-brief)
		;;
	*)
		_ld_err "unknown scenario $scen"
		return 1
		;;
	esac
	# the recorders, each known to be listening (a sentinel seen); on a busy machine `ip`
	# can subscribe only after the first sentinel went by: a few tries
	: >"$base.amon"
	bg_start amon "$base.amon" ip -n "$ns" -o monitor address
	_ld_retry mon_sync "$ns" "$base.amon" || {
		_ld_err "ip monitor address of $ns does not record"
		return 1
	}
	: >"$base.rmon"
	bg_start rmon "$base.rmon" ip -n "$(_cp_ns ra)" -o monitor route
	_ld_retry _ld_rmon_sync "$base.rmon" || {
		_ld_err "ip monitor route of $(_cp_ns ra) does not record"
		return 1
	}
	mark=$(file_size "$alog")
	q0=$(ld_auth_queries)
	d0=$(_ld_rcvbuf_drops)
	a0=$(ld_agent_cpu_ns)
	u0=$(_ld_cpu_ns "$(_cp_ub_pidfile a)" ha)
	read -r b0 n0 <<<"$(_ld_busy)"
	t0=${EPOCHREALTIME/,/.}
	bg_start pid "$base.$tool" "${cmd[@]}"
	bg_wait_exit "$pid" $((LOAD_SECONDS + 20)) st || {
		bg_kill "$pid" KILL
		st=timeout
	}
	t1=${EPOCHREALTIME/,/.}
	rm -f "$base.queries" # made again for each run, and large
	read -r b1 n1 <<<"$(_ld_busy)"
	a1=$(ld_agent_cpu_ns)
	u1=$(_ld_cpu_ns "$(_cp_ub_pidfile a)" ha)
	q1=$(ld_auth_queries)
	d1=$(_ld_rcvbuf_drops)
	# a withdrawal at the very end must still be seen
	sleep 0.5
	_ld_retry mon_sync "$ns" "$base.amon"
	bg_kill "$amon" TERM
	_ld_retry _ld_rmon_sync "$base.rmon"
	bg_kill "$rmon" TERM
	log_since "$alog" "$mark" >"$base.agent.log"
	{
		echo "scen $scen"
		echo "status $st"
		echo "seconds $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
		echo "withdrawals $(mon_events "$base.amon" | grep '^Deleted' |
			grep -cE " ($CP_A4/32|$CP_A6/128) ")"
		echo "down $(grep -c ': DOWN after' "$base.agent.log")"
		echo "present $(anycast_present a && echo 1 || echo 0)"
		echo "probes $(grep -c ': probe ok in\|: probe failed' "$base.agent.log")"
		echo "failed $(grep -c ': probe failed' "$base.agent.log")"
		echo "confirm $(grep -c ': confirming probe' "$base.agent.log")"
		sed -n 's/.*: probe ok in \([0-9]*\) us$/\1/p' "$base.agent.log" | sort -n |
			awk '{ v[++n] = $1 } END {
				if (!n) { print "rtt_med -"; print "rtt_p99 -"; print "rtt_max -"; exit }
				r = int(0.99 * n); if (r < 0.99 * n) r++
				print "rtt_med", v[int((n + 1) / 2)]; print "rtt_p99", v[r]; print "rtt_max", v[n] }'
		echo "agent_cpu $(_ld_pct "$a0" "$a1" "$t0" "$t1")"
		echo "unbound_cpu $(_ld_pct "$u0" "$u1" "$t0" "$t1")"
		echo "busy $(awk -v a="$((b1 - b0))" -v t="$((n1 - n0))" 'BEGIN { if (t > 0) printf "%.0f\n", 100 * a / t; else print "-" }')"
		echo "routes $(grep -vF ' 198.18.253.' "$base.rmon" | grep -cE "^(Deleted )?($CP_A4|$CP_A6) ")"
		echo "misses $((${q1:-0} - ${q0:-0}))"
		echo "drops $((${d1:-0} - ${d0:-0}))"
		if [ "$scen" = flood ]; then
			awk '/Queries sent:/ { print "sent", $3 }
				/Queries completed:/ { print "completed", $3 }
				/Queries lost:/ { print "lost", $3; gsub(/[()%]/, "", $4); print "loss", $4 }
				/Queries per second:/ { printf "qps %.0f\n", $4 }' "$base.dnsperf"
		fi
	} >"$base.result"
}

# ld_get FILE KEY: a value of a result file ("-" when absent).
ld_get() {
	local v
	v=$(awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null)
	echo "${v:--}"
}
