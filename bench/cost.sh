# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Cost and scale (sourced by bench/run.sh after tests/lib.sh and bench/lib.sh): the agent alone
# in a namespace of its own with an ifb anycast0 and a real unbound on loopback (no FRR, no
# campus running meanwhile).
#
# Steady state: CPU time of all the agent's threads (the sum of /proc/PID/task/*/schedstat,
# in ns; /proc/PID/stat utime+stime in clock ticks as a cross-check) over COST_SECONDS of wall
# clock, probes counted by unbound itself (total.num.queries), peak RSS = VmHWM.
# Scale: N addresses (half IPv4, half IPv6; 1 = one IPv4) in S services; unbound SIGKILLed,
# the deletions timed by `ip -ts monitor address` and the agent's own "withdrew K addresses
# in X ms" (measured around the netlink work).

COST_COLS="name naddr nsvc interval_ms timeout_ms wall_s cpu_ms cpu_pct ticks_ms probes probes_per_s us_per_probe hwm_kb rss_kb threads"
SCALE_COLS="name naddr nsvc rep first_ms last_ms span_ms svcspan_ms nl_sum_ms nl_max_ms decisions"

# cost_addrs N: N addresses as `ip` prints them, alternating IPv4 and IPv6 (N = 1: one IPv4).
cost_addrs() {
	local n=$1 i
	for ((i = 0; i < n; i++)); do
		if ((i % 2 == 0)); then
			echo "10.53.$((i / 2 / 200)).$((i / 2 % 200 + 1))/32"
		else
			echo "fd53::$((i / 2 + 1))/128"
		fi
	done
}

# cost_addr_lines LIST...: `addresses = ` lines for these addresses, written as short as the
# agent allows (no /32, /128: the defaults; spaces between) and split so that no line is
# longer than libinih's 200 characters; several `addresses` lines add up (an agent older than
# 37fe4eb refuses the second as "set twice": the report then says "not configurable").
cost_addr_lines() {
	printf '%s\n' "$@" | sed -E 's#/(32|128)$##' |
		awk '{ if (len && len + 1 + length($0) > 180) { print line; line = ""; len = 0 }
			line = len ? line " " $0 : "addresses = " $0; len = length(line) }
			END { if (len) print line }'
}

# cost_conf FILE DIR N S INTERVAL TIMEOUT: etc/anycast-agent.conf as shipped, with its
# [service] section repeated S times over N addresses (contiguous slices), the interval and
# timeout given, and what this namespace needs (maintenance file in DIR, frr_check = no:
# no FRR here). Also writes FILE.map: "address service" lines. Fails (the agent's
# --config-test output in FILE.test) when the agent does not take it.
cost_conf() {
	local f=$1 dir=$2 n=$3 s=$4 iv=$5 to=$6 addrs k lo hi
	mapfile -t addrs < <(cost_addrs "$n")
	# the shipped file may have its [service] block commented out: uncomment it, as the
	# campus (and an operator) does
	sed -E 's/^;(\[service |[a-z_]+ = )/\1/; /^frr_pathspace = /d' "$REPO/etc/anycast-agent.conf" \
		>"$f.shipped" || return 1
	awk '/^\[service /{ exit } { print }' "$f.shipped" |
		sed -E "s|^maintenance_file = .*|maintenance_file = $dir/maintenance|;
			s|^frr_check = .*|frr_check = no|; s|^interface = .*|interface = anycast0|" >"$f"
	: >"$f.map"
	for ((k = 0; k < s; k++)); do
		lo=$((k * n / s))
		hi=$(((k + 1) * n / s))
		printf '%s\n' "${addrs[@]:lo:hi-lo}" | sed "s/\$/ s$k/" >>"$f.map"
		awk '/^\[service /{ p = 1 } p' "$f.shipped" |
			sed -E "s|^\[service [^]]*\]|[service s$k]|; /^addresses = /d;
				s|^interval_ms = .*|interval_ms = $iv|; s|^timeout_ms = .*|timeout_ms = $to|" >>"$f"
		cost_addr_lines "${addrs[@]:lo:hi-lo}" >>"$f"
	done
	"$BENCH_AGENT" -c "$f" --config-test >"$f.test" 2>&1
}

# cost_present NS N: N configured-looking addresses on anycast0.
cost_present() {
	[ "$(ip -n "$1" -o addr show dev anycast0 2>/dev/null | grep -cE ' (10\.53\.|fd53:)')" -eq "$2" ]
}

# cost_up NAME N S INTERVAL TIMEOUT: namespace, ifb, unbound, agent, all addresses up.
# Sets COST_NS, COST_DIR, COST_PID.
cost_up() {
	local name=$1 n=$2 probe_rr listen
	COST_PID=
	COST_NS=${BENCH_PREFIX}cost-$name
	COST_DIR=$BENCH_OUT/cost/$name
	mkdir -p "$COST_DIR"
	ns_destroy "$COST_NS" 2>/dev/null
	ns_create "$COST_NS" || return 1
	ip -n "$COST_NS" link add anycast0 type ifb && ip -n "$COST_NS" link set anycast0 up || return 1
	# the probe record of etc/unbound.conf, which the shipped `query` may ask for
	mapfile -t probe_rr < <(sed -nE 's/^[[:space:]]*(local-(zone|data):.*)$/\1/p' "$REPO/etc/unbound.conf")
	# and it listens on every service address, as etc/unbound.conf shows: the agent announces
	# no address nothing listens on
	mapfile -t listen < <(cost_addrs "$n" | sed -E 's#^#interface: #; s#/[0-9]+$##')
	ub_write_conf "$COST_DIR" "${probe_rr[@]}" "${listen[@]}"
	ub_start "$COST_NS" "$COST_DIR" || {
		bn_log "cost $name: unbound does not answer (see $COST_DIR/unbound.log)"
		return 1
	}
	cost_conf "$COST_DIR/agent.conf" "$COST_DIR" "$n" "$3" "$4" "$5" || {
		bn_log "cost $name: $(cat "$COST_DIR/agent.conf.test")"
		printf '%s\t%s\n' "$name" "$(grep -m1 . "$COST_DIR/agent.conf.test" | sed "s|^$COST_DIR/||")" \
			>>"$BENCH_OUT/cost-errors.tsv"
		return 1
	}
	# its own state directory: the default /run/anycast-agent is the host's (one agent per
	# directory, and an agent adopts what the state file there lists)
	bg_start COST_PID "$COST_DIR/agent.log" ip netns exec "$COST_NS" "$BENCH_AGENT" \
		-c "$COST_DIR/agent.conf" -s "$COST_DIR/run"
	wait_for 10 cost_present "$COST_NS" "$n" || {
		bn_log "cost $name: the agent did not announce $n addresses"
		return 1
	}
}

cost_down() {
	bg_kill "$COST_PID" TERM
	ub_stop "$COST_DIR"
	ns_destroy "$COST_NS"
}

# cost_sample PID: "cpu_ns ticks tids" of every thread of PID.
cost_sample() {
	echo "$(proc_cpu_ns "$1") $(awk '{ print $14 + $15 }' "/proc/$1/stat") $(ls /proc/"$1"/task | paste -sd,)"
}

cost_queries() {
	ub_control "$COST_NS" "$COST_DIR" stats_noreset | awk -F= '$1 == "total.num.queries" { print $2 }'
}

# cost_steady NAME N S INTERVAL TIMEOUT SECONDS: one row into COST_TSV; the agent stays up.
cost_steady() {
	local name=$1 secs=$6 s0 s1 q0 q1 t0 t1 hz
	sleep 2 # past the start-up and the first reconcile
	hz=$(getconf CLK_TCK)
	read -r -a s0 <<<"$(cost_sample "$COST_PID")"
	q0=$(cost_queries)
	t0=$(bn_now)
	sleep "$secs"
	read -r -a s1 <<<"$(cost_sample "$COST_PID")"
	q1=$(cost_queries)
	t1=$(bn_now)
	awk -v name="$name" -v n="$2" -v s="$3" -v iv="$4" -v to="$5" -v t0="$t0" -v t1="$t1" \
		-v c0="${s0[0]}" -v c1="${s1[0]}" -v k0="${s0[1]}" -v k1="${s1[1]}" -v hz="$hz" \
		-v q0="$q0" -v q1="$q1" -v stable="$([ "${s0[2]}" = "${s1[2]}" ] && echo stable || echo changed)" \
		-v hwm="$(awk '/^VmHWM/ { print $2 }' "/proc/$COST_PID/status")" \
		-v rss="$(awk '/^VmRSS/ { print $2 }' "/proc/$COST_PID/status")" '
		BEGIN { w = t1 - t0; cpu = (c1 - c0) / 1e6; q = q1 - q0
			printf "%s\t%d\t%d\t%d\t%d\t%.2f\t%.1f\t%.3f\t%d\t%d\t%.2f\t%.1f\t%d\t%d\t%s\n",
				name, n, s, iv, to, w, cpu, 100 * cpu / 1000 / w, (k1 - k0) * 1000 / hz, q,
				q / w, q ? 1000 * cpu / q : 0, hwm, rss, stable }' >>"$COST_TSV"
}

# cost_withdraw NAME N S REPS: unbound SIGKILLed REPS times; rows into SCALE_TSV.
cost_withdraw() {
	local name=$1 n=$2 s=$3 reps=$4 rep mark amon tf
	for ((rep = 1; rep <= reps; rep++)); do
		mark=$(file_size "$COST_DIR/agent.log")
		bn_amon_start amon "$COST_NS" "$COST_DIR/addr.$rep.mon"
		bn_sleep_ms "$(bn_rand_ms 200)"
		tf=$(bn_now)
		ub_stop "$COST_DIR"
		wait_for 5 cost_present "$COST_NS" 0 || bn_log "scale $name: not all withdrawn in 5 s"
		bn_amon_sync "$COST_NS" "$COST_DIR/addr.$rep.mon"
		bn_mon_stop "$amon"
		log_since "$COST_DIR/agent.log" "$mark" >"$COST_DIR/log.$rep"
		awk -v name="$name" -v n="$n" -v s="$s" -v rep="$rep" -v f="$tf" \
			-v map="$COST_DIR/agent.conf.map" -v logf="$COST_DIR/log.$rep" '
			function ts(x,   d) { gsub(/[][]/, "", x); split(x, d, /[-T:]/)
				return mktime(d[1] " " d[2] " " d[3] " " d[4] " " d[5] " " int(d[6])) + (d[6] - int(d[6])) }
			BEGIN { while ((getline l < map) > 0) { split(l, m, " "); svc[m[1]] = m[2] }
				while ((getline l < logf) > 0)
					if (match(l, /withdrew [0-9]+ address(es)? in [0-9.]+ ms/)) {
						x = substr(l, RSTART, RLENGTH); split(x, w, " ")
						nl += w[5]; if (w[5] > nlmax) nlmax = w[5]; dec++ }
			}
			$2 == "Deleted" { t = ts($1)
				for (i = 3; i <= NF; i++) if ($i in svc) {
					k = svc[$i]; cnt++
					if (!(k in sf)) sf[k] = t; sl[k] = t
					if (first == "" || t < first) first = t; if (t > last) last = t } }
			END { for (k in sf) if (sl[k] - sf[k] > sp) sp = sl[k] - sf[k]
				if (cnt < n) { printf "%s\t%d\t%d\t%d\t-\t-\t-\t-\t%.2f\t%.2f\t%d\n", name, n, s, rep, nl, nlmax, dec; exit }
				printf "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\n", name, n, s, rep,
					(first - f) * 1000, (last - f) * 1000, (last - first) * 1000, sp * 1000, nl, nlmax, dec }
		' "$COST_DIR/addr.$rep.mon" >>"$SCALE_TSV"
		ub_start "$COST_NS" "$COST_DIR" || bn_log "scale $name: unbound did not restart"
		wait_for 10 cost_present "$COST_NS" "$n" || bn_log "scale $name: not all back in 10 s"
		sleep 0.3
	done
}

# cost_callgrind NAME SECONDS_A SECONDS_B: instructions per probe under callgrind, from two
# runs of different length (the difference cancels start-up). Optional (COST_CALLGRIND=1).
cost_callgrind() {
	local name=$1 secs ir q out
	command -v valgrind >/dev/null || return 0
	for secs in "$2" "$3"; do
		out=$COST_DIR/callgrind.$secs
		q=$(cost_queries)
		bg_start COST_VG "$COST_DIR/valgrind.log" ip netns exec "$COST_NS" valgrind \
			--tool=callgrind --callgrind-out-file="$out" "$BENCH_AGENT" -c "$COST_DIR/agent.conf" \
			-s "$COST_DIR/run"
		sleep "$secs"
		bg_kill "$COST_VG" TERM
		ir=$(awk '/^summary:|^totals:/ { print $2; exit }' "$out" 2>/dev/null)
		echo "$name $secs ${ir:-0} $(($(cost_queries) - q))" >>"$BENCH_OUT/callgrind.txt"
	done
}

# cost_all: steady state for the default and the fastest settings, then the scale runs.
cost_all() {
	local spec name n s iv to
	printf '%s\n' "$COST_COLS" | tr ' ' '\t' >"$COST_TSV"
	printf '%s\n' "$SCALE_COLS" | tr ' ' '\t' >"$SCALE_TSV"
	: >"$BENCH_OUT/callgrind.txt"
	: >"$BENCH_OUT/cost-errors.tsv"
	# name N S interval timeout seconds [withdraw reps]
	for spec in "default 2 1 $DEF_IV $DEF_TO $COST_SECONDS 0" \
		"fastest 2 1 $FAST_IV $FAST_TO $COST_SECONDS 0" \
		"a1-s1 1 1 $DEF_IV $DEF_TO $SCALE_SECONDS $SCALE_REPS" \
		"a16-s1 16 1 $DEF_IV $DEF_TO $SCALE_SECONDS $SCALE_REPS" \
		"a16-s8 16 8 $DEF_IV $DEF_TO $SCALE_SECONDS $SCALE_REPS" \
		"a64-s1 64 1 $DEF_IV $DEF_TO $SCALE_SECONDS $SCALE_REPS" \
		"a64-s8 64 8 $DEF_IV $DEF_TO $SCALE_SECONDS $SCALE_REPS"; do
		read -r name n s iv to secs reps <<<"$spec"
		case " ${COST_ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
		bn_log "cost: $name ($n addresses, $s services, interval $iv ms, timeout $to ms): ${secs} s"
		if ! cost_up "$name" "$n" "$s" "$iv" "$to"; then
			cost_down
			continue
		fi
		cost_steady "$name" "$n" "$s" "$iv" "$to" "$secs"
		[ "$reps" -gt 0 ] && cost_withdraw "$name" "$n" "$s" "$reps"
		if [ "$name" = default ] && [ "${COST_CALLGRIND:-0}" = 1 ]; then
			bg_kill "$COST_PID" TERM
			cost_callgrind "$name" 5 15
		fi
		cost_down
	done
}
