# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The failover part of the benchmark (sourced by bench/run.sh, after tests/bed/campus.sh and
# bench/lib.sh, with the campus up): faults on resolver host A, the one nearest to client A;
# client A asks the anycast address (IPv4 and IPv6 at once) every FO_PROBE_MS ms.
#
# One repetition: both probers start; after a random 0..FO_JITTER ms (the phase of the probe
# cycle is sampled) the fault is applied and its time taken ($EPOCHREALTIME, just before the
# command that makes it effective); once client A is answered by resolver-b on both families
# (3 answers in a row), FO_HOLD s later the fault is repaired; once resolver-a answers again,
# the probers stop. `ip -ts monitor` of host A's addresses and of building router ra's
# routes run for the whole block. Each block ends with the analysis: one row per
# repetition and family in $FO_TSV (columns in FO_COLS).
#
# The "churn" scenario is "kill" on a busy host (issue 9.2). It runs as a phase of its own
# at the end of an agent block (not interleaved: FRR 8.4's zebra needs about a minute of a
# core to take in 20,000 addresses, and half that to let them go): host A gets an ifb
# churn0 with FO_CHURN_ADDRS unrelated addresses (one `ip -batch`) and one address change
# there every FO_CHURN_MS ms (bench/churn.sh); once host A's zebra, ospfd, ospf6d and agent
# have taken in the additions (fo_settled: CPU back under FO_QUIET_PCT of a core, the
# steady churn's own cost included), the REPS repetitions run one after the other, each
# exactly like a "kill" one; then churn0 and the loop go (also on an interrupt:
# fo_churn_stop is in the cleanup registry) and the block waits until host A is quiet
# again. Not run for the classic script (it reads no netlink state). The phase's own
# figures go to $FO_CHURN_TSV (set by run.sh, like FO_TSV).

FO_PROBE_MS=${FO_PROBE_MS:-10}
FO_HOLD=${FO_HOLD:-0.5}
FO_SETTLE=${FO_SETTLE:-0.5}
FO_SCENARIOS=${FO_SCENARIOS:-kill stop servfail maint freeze churn}
FO_CHURN_ADDRS=${FO_CHURN_ADDRS:-20000}
FO_CHURN_MS=${FO_CHURN_MS:-50}
FO_CHURN_IF=churn0
FO_QUIET_PCT=${FO_QUIET_PCT:-50}
# one row per churn phase: the additions (s), until host A had taken them in (s), the
# steady churn's CPU over 5 s (zebra + ospfd + ospf6d, and the agent, % of one core), the
# agent's overrun warnings during the phase (set-up and removal included), from the
# removal until host A was quiet (s)
FO_CHURN_COLS="variant tool setup_s settle_s frr_cpu agent_cpu nl_lost teardown_s changes"
# agent_cpu: % of one core the agent on host A used in the FO_SETTLE window before the
# probers start (all threads); nl_lost: its "netlink events were lost" warnings during the
# repetition; churn_ops: churn0's address changes between the fault and the repair.
FO_COLS="variant tool scen rep fam addr_ms route_ms routeb_ms move_ms lost on_a back_ms lost_back addrback_ms routeback_ms ubready_ms loops fault_s repair_s agent_cpu nl_lost churn_ops"

declare -A FO_DESC=([kill]="unbound SIGKILL" [stop]="unbound SIGSTOP (hang)"
	[servfail]="SERVFAIL for the probe name" [maint]="maintenance drain"
	[freeze]="host frozen (all but lo dropped)"
	[churn]="unbound SIGKILL, $FO_CHURN_ADDRS other addresses, a change every $FO_CHURN_MS ms")
declare -A FO_REPAIR=([kill]="unbound started" [stop]="SIGCONT" [servfail]="SERVFAIL cleared"
	[maint]="maintenance off" [freeze]="host thawed" [churn]="unbound started")

fo_ns() { _cp_ns "$1"; }

# ------------------------------------------------------------------ faults and repairs

# The pid of host A's unbound, looked up before the clock starts.
fo_ub_pid() { _cp_pid_in "$(_cp_ub_pidfile a)" "$(fo_ns ha)"; }

# campus.sh's servfail_on / servfail_off, with FO_T taken at the moment the probe's answer
# changes (before the first change; once the local data is back, before the cache flush).
fo_mark() { FO_T=$(bn_now); }
fo_servfail_on() { CP_SERVFAIL_MARK=fo_mark servfail_on a; }
fo_servfail_off() { CP_SERVFAIL_MARK=fo_mark servfail_off a; }

# The classic script's planned withdrawal: the operator removes the addresses by hand.
fo_addrs() { # fo_addrs add|del
	local ns
	ns=$(fo_ns ha)
	if [ "$1" = add ]; then
		ip -n "$ns" addr add "$CP_A4/32" dev "$CP_IF" 2>/dev/null
		ip -n "$ns" addr add "$CP_A6/128" dev "$CP_IF" nodad 2>/dev/null
	else
		ip -n "$ns" addr del "$CP_A4/32" dev "$CP_IF" 2>/dev/null
		ip -n "$ns" addr del "$CP_A6/128" dev "$CP_IF" 2>/dev/null
	fi
	return 0
}

# fo_fault TOOL SCEN: applies the fault; FO_T is when it took effect.
fo_fault() {
	local tool=$1 pid
	case $2 in
	kill | churn)
		pid=$(fo_ub_pid) || return 1
		FO_T=$(bn_now)
		kill -s KILL "$pid"
		wait "$pid" 2>/dev/null
		rm -f "$(_cp_ub_pidfile a)"
		;;
	stop)
		pid=$(fo_ub_pid) || return 1
		FO_T=$(bn_now)
		kill -s STOP "$pid"
		;;
	servfail) fo_servfail_on ;;
	maint)
		FO_T=$(bn_now)
		if [ "$tool" != classic ]; then maint_on a; else fo_addrs del; fi
		;;
	freeze)
		FO_T=$(bn_now)
		freeze_host a
		;;
	esac
}

# fo_repair TOOL SCEN: FO_T is when the repair was made.
fo_repair() {
	local tool=$1 pid
	case $2 in
	kill | churn)
		FO_T=$(bn_now)
		unbound_start a
		;;
	stop)
		pid=$(fo_ub_pid) || return 1
		FO_T=$(bn_now)
		kill -s CONT "$pid"
		;;
	servfail) fo_servfail_off ;;
	maint)
		FO_T=$(bn_now)
		if [ "$tool" != classic ]; then maint_off a; else fo_addrs add; fi
		;;
	freeze)
		FO_T=$(bn_now)
		thaw_host a
		;;
	esac
}

# ------------------------------------------------------------------ readiness

# fo_home: host A announces both addresses, ra routes both to it, ra's two BFD sessions are
# up and client A is answered by resolver-a on both families.
fo_home() {
	anycast_present a && route_host_is ra "$CP_A4" a && route_host_is ra "$CP_A6" a &&
		[ "$(bfd_up ra)" -eq 2 ] && answers a 4 resolver-a && answers a 6 resolver-a
}

# fo_ready: fo_home within 30 s; a rep that never got there is reported, and the campus is
# nudged back (unbound running and answering, no SIGSTOP, no SERVFAIL, no freeze,
# no maintenance).
fo_ready() {
	wait_for 30 fo_home && return 0
	bn_log "campus not back to normal; repairing everything on A"
	local pid
	pid=$(fo_ub_pid) && kill -s CONT "$pid"
	ip netns exec "$(fo_ns ha)" nft delete table inet campus_freeze 2>/dev/null
	maint_off a
	[ "$(probe_rcode a)" = SERVFAIL ] && servfail_off a
	unbound_start a
	[ "$FO_TOOL" = classic ] && fo_addrs add
	wait_for 30 fo_home
}

# ------------------------------------------------------------------ churn

# fo_ticks: CPU clock ticks host A's zebra, ospfd, ospf6d and agent have used so far.
fo_ticks() {
	local f pid n=0 v
	for f in zebra.bgpid ospfd.bgpid ospf6d.bgpid agent.pid; do
		pid=$(cat "$(_cp_dir ha)/$f" 2>/dev/null) || continue
		v=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
		n=$((n + ${v:-0}))
	done
	echo "$n"
}

# fo_quiet: host A's zebra, ospfd, ospf6d and agent used at most FO_QUIET_PCT % of one core
# over one second (taking in 20,000 addresses keeps zebra alone at a full core; the steady
# churn costs them ~30 % here).
fo_quiet() {
	local a b
	a=$(fo_ticks)
	sleep 1
	b=$(fo_ticks)
	[ $((b - a)) -le $((FO_QUIET_PCT * $(getconf CLK_TCK) / 100)) ]
}

# fo_settled: fo_quiet twice in a row.
fo_settled() { fo_quiet && fo_quiet; }

# fo_cpu_pct SECONDS: "frr agent", % of one core host A's zebra + ospfd + ospf6d and its
# agent used over SECONDS.
fo_cpu_pct() {
	local a0 a1 f0 f1 t0 t1 hz
	hz=$(getconf CLK_TCK)
	a0=$(fo_agent_cpu_ns)
	f0=$(($(fo_ticks) - $(fo_agent_ticks)))
	t0=$(bn_now)
	sleep "$1"
	a1=$(fo_agent_cpu_ns)
	f1=$(($(fo_ticks) - $(fo_agent_ticks)))
	t1=$(bn_now)
	awk -v a0="$a0" -v a1="$a1" -v f="$((f1 - f0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN {
		w = t1 - t0
		printf "%.1f %s\n", 100 * f / hz / w, (a0 == "-" || a1 == "-") ? "-" : sprintf("%.2f", (a1 - a0) / 1e7 / w) }'
}

fo_agent_ticks() {
	local pid
	pid=$(cat "$(_cp_dir ha)/agent.pid" 2>/dev/null) && awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0
}

# fo_agent_cpu_ns: the CPU time (ns) of every thread of host A's agent ("-" without one).
fo_agent_cpu_ns() {
	local pid
	pid=$(_cp_pid_in "$(_cp_dir ha)/agent.pid" "$(fo_ns ha)") || {
		echo -
		return
	}
	proc_cpu_ns "$pid"
}

# fo_churn_start BASE: churn0 on host A with the pool, then the change loop (its log
# BASE.log). Sets FO_CHURN_PID and FO_CHURN_SETUP_S.
fo_churn_start() {
	local base=$1 ns t0
	ns=$(fo_ns ha)
	[ -s "$FO_DIR/churn.batch" ] ||
		"$BENCH_DIR/churn.sh" batch "$FO_CHURN_IF" "$FO_CHURN_ADDRS" >"$FO_DIR/churn.batch" || return 1
	if [ -z "${FO_CHURN_CLEANUP:-}" ]; then
		cleanup_add fo_churn_stop
		FO_CHURN_CLEANUP=1
	fi
	t0=$(bn_now)
	ip -n "$ns" link add "$FO_CHURN_IF" type ifb && ip -n "$ns" link set "$FO_CHURN_IF" up &&
		ip -n "$ns" -batch "$FO_DIR/churn.batch" || return 1
	FO_CHURN_SETUP_S=$(awk -v a="$t0" -v b="$(bn_now)" 'BEGIN { printf "%.2f", b - a }')
	bg_start FO_CHURN_PID "$base.err" "$BENCH_DIR/churn.sh" loop "$ns" "$FO_CHURN_IF" \
		"$FO_CHURN_ADDRS" "$FO_CHURN_MS" "$base.log"
}

# fo_churn_stop: the loop ends, churn0 goes with its addresses. Idempotent.
fo_churn_stop() {
	[ -n "${FO_CHURN_PID:-}" ] && bg_kill "$FO_CHURN_PID" TERM
	FO_CHURN_PID=
	ip -n "$(fo_ns ha)" link del "$FO_CHURN_IF" 2>/dev/null
	return 0
}

# fo_churn_phase REPS: the churn scenario's repetitions of the current block (see the top).
fo_churn_phase() {
	local reps=$1 rep alog mark t0 settle=- cpu='- -' nl teardown=- changes tsv
	alog=$(_cp_dir ha)/agent.log
	mark=$(file_size "$alog")
	bn_log "$FO_VARIANT $FO_TOOL: churn, $FO_CHURN_ADDRS addresses on $FO_CHURN_IF of host A"
	if ! fo_churn_start "$FO_DIR/churn"; then
		bn_log "$FO_VARIANT $FO_TOOL: churn set-up failed; no churn repetitions"
		fo_churn_stop
		return 1
	fi
	t0=$(bn_now)
	if wait_for 300 fo_settled; then
		settle=$(awk -v a="$t0" -v b="$(bn_now)" 'BEGIN { printf "%.1f", b - a }')
		cpu=$(fo_cpu_pct 5)
		bn_log "$FO_VARIANT $FO_TOOL: churn set-up ${FO_CHURN_SETUP_S} s, taken in after $settle s; steady: FRR ${cpu% *} %, agent ${cpu#* } % of a core"
	else
		bn_log "$FO_VARIANT $FO_TOOL: host A still busy 300 s after the churn set-up; measuring anyway"
	fi
	for ((rep = 1; rep <= reps; rep++)); do
		bn_log "$FO_VARIANT $FO_TOOL: churn, repetition $rep/$reps"
		if ! bg_alive "$FO_CHURN_PID"; then
			bn_log "$FO_VARIANT $FO_TOOL: the churn loop died (see $FO_DIR/churn.err)"
			echo "- - - skipped" >"$FO_DIR/churn.$rep.times"
			continue
		fi
		fo_rep churn "$rep"
	done
	changes=$(wc -l <"$FO_DIR/churn.log")
	fo_churn_stop
	t0=$(bn_now)
	if wait_for 300 fo_settled; then
		teardown=$(awk -v a="$t0" -v b="$(bn_now)" 'BEGIN { printf "%.1f", b - a }')
	else
		bn_log "$FO_VARIANT $FO_TOOL: host A still busy 300 s after churn0 went"
	fi
	log_since "$alog" "$mark" >"$FO_DIR/churn.agent.log"
	nl=$(grep -c 'netlink events were lost' "$FO_DIR/churn.agent.log")
	tsv=${FO_CHURN_TSV:-${FO_DIR%/*}/churn.tsv}
	[ -s "$tsv" ] || printf '%s\n' "$FO_CHURN_COLS" | tr ' ' '\t' >"$tsv"
	printf '%s\n' "$FO_VARIANT $FO_TOOL $FO_CHURN_SETUP_S $settle $cpu $nl $teardown $changes" |
		tr ' ' '\t' >>"$tsv"
}

# ------------------------------------------------------------------ one repetition

# fo_loops: ICMP time-exceeded messages the routers (core, ra, rb) have sent so far, IPv4 and
# IPv6: a query caught in a forwarding loop while OSPF converges ends as one of them.
fo_loops() {
	local r n=0 v
	for r in core ra rb; do
		v=$(ip netns exec "$(fo_ns "$r")" awk '$1 == "Icmp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
			$1 == "Icmp:" { print $c["OutTimeExcds"]; exit }' /proc/net/snmp)
		n=$((n + ${v:-0}))
		v=$(ip netns exec "$(fo_ns "$r")" awk '$1 == "Icmp6OutTimeExcds" { print $2 }' /proc/net/snmp6)
		n=$((n + ${v:-0}))
	done
	echo "$n"
}


fo_moved() { bn_last_is "$1.p4" resolver-b && bn_last_is "$1.p6" resolver-b; }
fo_back() { bn_last_is "$1.p4" resolver-a && bn_last_is "$1.p6" resolver-a; }

# fo_rep SCEN REP: one repetition of the current block (FO_TOOL, FO_DIR); writes
# FO_DIR/SCEN.REP.times ("fault repair end ok jitter loops agent_cpu nl_lost") and
# SCEN.REP.agent.log (host A's agent log during the repetition).
fo_rep() {
	local scen=$1 rep=$2 base=$FO_DIR/$1.$2 p4 p6 pl='' tf tr te ok=1 jit loops
	local alog mark c0 c1 t0 t1 cpu=- nllost
	alog=$(_cp_dir ha)/agent.log
	mark=$(file_size "$alog")
	if ! fo_ready; then
		bn_log "$FO_TOOL $scen rep $rep: skipped, campus not ready"
		echo "- - - skipped" >"$base.times"
		return 1
	fi
	c0=$(fo_agent_cpu_ns)
	t0=$(bn_now)
	sleep "$FO_SETTLE"
	c1=$(fo_agent_cpu_ns)
	t1=$(bn_now)
	[ "$c0" != - ] && [ "$c1" != - ] &&
		cpu=$(awk -v c="$((c1 - c0))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", c / 1e7 / (b - a) }')
	bn_probe_start p4 "$(fo_ns ca)" "$CP_A4" "$base.p4" "$FO_PROBE_MS"
	bn_probe_start p6 "$(fo_ns ca)" "$CP_A6" "$base.p6" "$FO_PROBE_MS"
	# unbound's own start-up, seen from host A itself (kill and churn)
	case $scen in kill | churn) bn_probe_start pl "$(fo_ns ha)" 127.0.0.1 "$base.pl" 10 ;; esac
	wait_for 3 bn_answered "$base.p4" && wait_for 3 bn_answered "$base.p6"
	loops=$(fo_loops)
	jit=$(bn_rand_ms "$FO_JITTER")
	bn_sleep_ms "$jit"
	fo_fault "$FO_TOOL" "$scen" || ok=0
	tf=$FO_T
	wait_for "$FO_T_MOVE" fo_moved "$base" || {
		ok=0
		bn_log "$FO_TOOL $scen rep $rep: client A not moved to resolver-b within $FO_T_MOVE s"
	}
	sleep "$FO_HOLD"
	fo_repair "$FO_TOOL" "$scen" || ok=0
	tr=$FO_T
	wait_for "$FO_T_BACK" fo_back "$base" || {
		ok=0
		bn_log "$FO_TOOL $scen rep $rep: client A not back on resolver-a within $FO_T_BACK s"
	}
	sleep 0.3
	bn_probe_stop "$p4"
	bn_probe_stop "$p6"
	[ -n "$pl" ] && bn_probe_stop "$pl"
	te=$(bn_now)
	loops=$(($(fo_loops) - loops))
	log_since "$alog" "$mark" >"$base.agent.log"
	nllost=$(grep -c 'netlink events were lost' "$base.agent.log")
	echo "$tf $tr $te $ok $jit $loops $cpu $nllost" >"$base.times"
	[ "$ok" = 1 ]
}

# ------------------------------------------------------------------ analysis

# fo_probe_metrics FILE F R, from a client prober's file:
# "move_ms lost on_a back_ms lost_back": the first answer (receive time) from resolver-b for a
# query sent at or after the fault F, the queries sent in [F, R) that no instance answered and
# those resolver-a (the faulty instance) answered, the first answer from resolver-a
# for a query sent at or after the repair R, and the queries sent after R not answered.
fo_probe_metrics() {
	awk -v f="$2" -v r="$3" '
		/^# start_realtime=/ { sub(/^# start_realtime=/, ""); s = $1 + 0
			fm = (f - s) * 1000; rm = (r - s) * 1000; next }
		/^#/ || NF < 4 { next }
		{ send = $2 + 0; inst = $3; rtt = ($4 == "-") ? 0 : $4 / 1000
		  if (send >= fm && send < rm) {
			if (inst !~ /^resolver-/) lost++
			if (inst == "resolver-a") ona++
			if (inst == "resolver-b" && move == "") move = sprintf("%.1f", send + rtt - fm)
		  } else if (send >= rm) {
			if (inst !~ /^resolver-/) lostb++
			if (inst == "resolver-a" && back == "") back = sprintf("%.1f", send + rtt - rm)
		  } }
		END { printf "%s %d %d %s %d\n", move == "" ? "-" : move, lost, ona, back == "" ? "-" : back, lostb }
	' "$1"
}

# fo_ubready FILE R: ms from R to the first answer (receive time) host A's local prober got
# for a query sent at or after R.
fo_ubready() {
	[ -s "$1" ] || {
		echo -
		return
	}
	awk -v r="$2" '
		/^# start_realtime=/ { sub(/^# start_realtime=/, ""); s = $1 + 0; rm = (r - s) * 1000; next }
		/^#/ || NF < 4 { next }
		$2 + 0 >= rm && $3 ~ /^resolver-/ { printf "%.1f\n", $2 + $4 / 1000 - rm; done = 1; exit }
		END { if (!done) print "-" }' "$1"
}

# fo_mon_metrics ADDRMON ROUTEMON ADDR PLEN F R END: "addr_ms route_ms routeb_ms addrback_ms
# routeback_ms" for one address: its deletion on host A after F, the first change of ra's
# route to it after F, ra's first route to it not through A, the address back after R,
# ra's route through A again after R. All within [F, END).
fo_mon_metrics() {
	awk -v am="$1" -v rmf="$2" -v a="$3" -v plen="$4" -v f="$5" -v r="$6" -v e="$7" '
		function ts(s,   d) { # [2026-11-22T02:18:28.270617] -> epoch seconds (UTC)
			gsub(/[][]/, "", s); split(s, d, /[-T:]/)
			return mktime(d[1] " " d[2] " " d[3] " " d[4] " " d[5] " " int(d[6])) + (d[6] - int(d[6]))
		}
		function ms(t) { return sprintf("%.1f", (t) * 1000) }
		BEGIN {
			addr = "-"; addrb = "-"; rt = "-"; rtb = "-"; rtback = "-"
			while ((getline line < am) > 0) {
				n = split(line, w, " "); t = ts(w[1])
				if (t < f || t >= e) continue
				hit = 0; for (i = 2; i <= n; i++) if (w[i] == a "/" plen) hit = 1
				if (!hit) continue
				if (w[2] == "Deleted" && addr == "-" && t < r) addr = ms(t - f)
				if (w[2] != "Deleted" && addrb == "-" && t >= r) addrb = ms(t - r)
			}
			while ((getline line < rmf) > 0) {
				n = split(line, w, " "); t = ts(w[1])
				if (t < f || t >= e) continue
				del = (w[2] == "Deleted"); p = del ? w[3] : w[2]
				if (p != a && p != a "/" plen) continue
				viaA = (line ~ / dev ha /)
				if (t < r && rt == "-") rt = ms(t - f)
				if (t < r && rtb == "-" && !del && !viaA) rtb = ms(t - f)
				if (t >= r && rtback == "-" && !del && viaA) rtback = ms(t - r)
			}
			print addr, rt, rtb, addrb, rtback
		}'
}

# fo_analyze: one row per repetition and family of the block into FO_TSV.
fo_analyze() {
	local times scen rep tf tr te ok fam a plen pm mm ub m_addr m_rt m_rtb m_addrb m_rtback loops
	local p_move p_lost p_ona p_back p_lostb cpu nllost ops
	# the anycast addresses' lines only: with churn the monitor holds ~40,000 lines more per
	# repetition, which fo_mon_metrics would read for every row
	grep -F -e " $CP_A4/32 " -e " $CP_A6/128 " "$FO_DIR/addr.mon" >"$FO_DIR/addr.anycast.mon"
	for times in "$FO_DIR"/*.times; do
		scen=$(basename "$times" .times)
		rep=${scen##*.}
		scen=${scen%.*}
		cpu='' nllost=''
		read -r tf tr te ok _ loops cpu nllost <"$times"
		[ "$ok" = skipped ] && continue
		ub=-
		case $scen in kill | churn) ub=$(fo_ubready "$FO_DIR/$scen.$rep.pl" "$tr") ;; esac
		ops=-
		[ "$scen" = churn ] && [ -s "$FO_DIR/churn.log" ] &&
			ops=$(awk -v f="$tf" -v r="$tr" '$1 >= f && $1 < r { n++ } END { print n + 0 }' "$FO_DIR/churn.log")
		for fam in 4 6; do
			if [ "$fam" = 4 ]; then a=$CP_A4 plen=32; else a=$CP_A6 plen=128; fi
			pm=$(fo_probe_metrics "$FO_DIR/$scen.$rep.p$fam" "$tf" "$tr")
			mm=$(fo_mon_metrics "$FO_DIR/addr.anycast.mon" "$FO_DIR/route.mon" "$a" "$plen" "$tf" "$tr" "$te")
			read -r m_addr m_rt m_rtb m_addrb m_rtback <<<"$mm"
			read -r p_move p_lost p_ona p_back p_lostb <<<"$pm"
			printf '%s\n' "$FO_VARIANT $FO_TOOL $scen $rep $fam $m_addr $m_rt $m_rtb $p_move $p_lost $p_ona $p_back $p_lostb $m_addrb $m_rtback $ub ${loops:--} $tf $tr ${cpu:--} ${nllost:--} $ops" |
				tr ' ' '\t' >>"$FO_TSV"
		done
	done
}

# ------------------------------------------------------------------ one block

# fo_block VARIANT TOOL OUTDIR REPS: all scenarios, interleaved (rep 1 of each, then rep 2...),
# so that a slow stretch of the machine does not land on one scenario only.
fo_block() {
	FO_VARIANT=$1
	FO_TOOL=$2
	FO_DIR=$3/$1-$2
	local reps=$4 amon rmon cpid='' rep scen
	mkdir -p "$FO_DIR"
	if [ "$FO_TOOL" = classic ]; then
		FO_JITTER=${FO_JITTER_CLASSIC:-1000} # its cycle is 1 s (2 s when dig times out)
		FO_T_MOVE=20
		FO_T_BACK=20
		agent_kill a
		fo_addrs add
		bg_start cpid "$FO_DIR/classic.log" ip netns exec "$(fo_ns ha)" \
			"$BENCH_DIR/classic.sh" "$CP_IF" "$CP_PROBE_NAME" "$CP_A4/32" "$CP_A6/128"
	elif [ "$FO_TOOL" = agent-fast ]; then
		# the same agent with the fastest recommended interval and timeout
		FO_JITTER=$((2 * FAST_IV))
		FO_T_MOVE=10
		FO_T_BACK=20
		fo_agent_conf "$FAST_IV" "$FAST_TO"
	else
		FO_JITTER=${FO_JITTER_AGENT:-200} # two probe intervals
		FO_T_MOVE=10
		FO_T_BACK=20
	fi
	bn_amon_start amon "$(fo_ns ha)" "$FO_DIR/addr.mon"
	bn_rmon_start rmon "$(fo_ns ra)" "$FO_DIR/route.mon"
	for ((rep = 1; rep <= reps; rep++)); do
		for scen in $FO_SCENARIOS; do
			[ "$scen" = churn ] && continue # a phase of its own, below
			bn_log "$FO_VARIANT $FO_TOOL: $scen, repetition $rep/$reps"
			fo_rep "$scen" "$rep"
		done
	done
	# the classic script reads no netlink state: churn changes nothing for it
	case " $FO_SCENARIOS " in
	*" churn "*) [ "$FO_TOOL" != classic ] && fo_churn_phase "$reps" ;;
	esac
	wait_for 30 fo_home
	bn_amon_sync "$(fo_ns ha)" "$FO_DIR/addr.mon"
	bn_rmon_sync "$(fo_ns ra)" "$FO_DIR/route.mon"
	bn_mon_stop "$amon"
	bn_mon_stop "$rmon"
	if [ -n "$cpid" ]; then
		bg_kill "$cpid" TERM
		fo_addrs add
		agent_start a
		wait_for 30 fo_home || bn_log "after the classic block: campus not back to normal"
	fi
	[ "$FO_TOOL" = agent-fast ] && fo_agent_conf
	fo_analyze
}

# fo_agent_conf [INTERVAL TIMEOUT]: restarts host A's agent with that interval and timeout,
# or with its campus configuration when called without them. A restart with the addresses
# present and a healthy resolver withdraws nothing.
fo_agent_conf() {
	local f
	f=$(_cp_dir ha)/agent.conf
	[ -e "$f.campus" ] || cp "$f" "$f.campus"
	if [ $# -eq 2 ]; then
		sed -E "s/^interval_ms = .*/interval_ms = $1/; s/^timeout_ms = .*/timeout_ms = $2/" \
			"$f.campus" >"$f"
	else
		cp "$f.campus" "$f"
	fi
	agent_kill a
	agent_start a
	wait_for 30 fo_home || bn_log "agent on A restarted: campus not back to normal"
}
