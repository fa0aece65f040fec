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

FO_PROBE_MS=${FO_PROBE_MS:-10}
FO_HOLD=${FO_HOLD:-0.5}
FO_SETTLE=${FO_SETTLE:-0.5}
FO_SCENARIOS=${FO_SCENARIOS:-kill stop servfail maint freeze}
FO_COLS="variant tool scen rep fam addr_ms route_ms routeb_ms move_ms lost on_a back_ms lost_back addrback_ms routeback_ms ubready_ms loops fault_s repair_s"

declare -A FO_DESC=([kill]="unbound SIGKILL" [stop]="unbound SIGSTOP (hang)"
	[servfail]="SERVFAIL for the probe name" [maint]="maintenance drain"
	[freeze]="host frozen (all but lo dropped)")
declare -A FO_REPAIR=([kill]="unbound started" [stop]="SIGCONT" [servfail]="SERVFAIL cleared"
	[maint]="maintenance off" [freeze]="host thawed")

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
	kill)
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
	kill)
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
# FO_DIR/SCEN.REP.times ("fault repair end ok").
fo_rep() {
	local scen=$1 rep=$2 base=$FO_DIR/$1.$2 p4 p6 pl='' tf tr ok=1 jit loops
	if ! fo_ready; then
		bn_log "$FO_TOOL $scen rep $rep: skipped, campus not ready"
		echo "- - - skipped" >"$base.times"
		return 1
	fi
	sleep "$FO_SETTLE"
	bn_probe_start p4 "$(fo_ns ca)" "$CP_A4" "$base.p4" "$FO_PROBE_MS"
	bn_probe_start p6 "$(fo_ns ca)" "$CP_A6" "$base.p6" "$FO_PROBE_MS"
	# unbound's own start-up, seen from host A itself (kill only)
	[ "$scen" = kill ] && bn_probe_start pl "$(fo_ns ha)" 127.0.0.1 "$base.pl" 10
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
	echo "$tf $tr $(bn_now) $ok $jit $(($(fo_loops) - loops))" >"$base.times"
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
	local p_move p_lost p_ona p_back p_lostb
	for times in "$FO_DIR"/*.times; do
		scen=$(basename "$times" .times)
		rep=${scen##*.}
		scen=${scen%.*}
		read -r tf tr te ok _ loops <"$times"
		[ "$ok" = skipped ] && continue
		ub=-
		[ "$scen" = kill ] && ub=$(fo_ubready "$FO_DIR/$scen.$rep.pl" "$tr")
		for fam in 4 6; do
			if [ "$fam" = 4 ]; then a=$CP_A4 plen=32; else a=$CP_A6 plen=128; fi
			pm=$(fo_probe_metrics "$FO_DIR/$scen.$rep.p$fam" "$tf" "$tr")
			mm=$(fo_mon_metrics "$FO_DIR/addr.mon" "$FO_DIR/route.mon" "$a" "$plen" "$tf" "$tr" "$te")
			read -r m_addr m_rt m_rtb m_addrb m_rtback <<<"$mm"
			read -r p_move p_lost p_ona p_back p_lostb <<<"$pm"
			printf '%s\n' "$FO_VARIANT $FO_TOOL $scen $rep $fam $m_addr $m_rt $m_rtb $p_move $p_lost $p_ona $p_back $p_lostb $m_addrb $m_rtback $ub ${loops:--} $tf $tr" |
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
			bn_log "$FO_VARIANT $FO_TOOL: $scen, repetition $rep/$reps"
			fo_rep "$scen" "$rep"
		done
	done
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
