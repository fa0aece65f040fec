# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The load part of the benchmark (sourced by bench/run.sh after tests/bed/campus.sh and
# bench/lib.sh): issue 11, "no false withdrawal, ever, under load". The scenarios are
# tests/bed/load.sh's (which tests/bed/test_load.sh asserts on): dnsperf from client A at
# host A's unbound's full rate (flood), every CPU busy with stress-ng in host A (cpu),
# LOAD_SECONDS (10) each, LOAD_REPS times (3; 1 with BENCH_QUICK), on a campus of their own
# with FRR as shipped (etc/frr.conf) and the agent as shipped but for log_level = debug (its
# probe RTTs). One row per scenario and repetition in $LOAD_TSV (columns LOAD_COLS, see
# ld_run); the raw files in $BENCH_OUT/load/REP/.

# shellcheck source=../tests/bed/load.sh
. "$REPO/tests/bed/load.sh"

LOAD_SCENARIOS=${LOAD_SCENARIOS:-flood cpu}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	LOAD_REPS=${LOAD_REPS:-1}
else
	LOAD_REPS=${LOAD_REPS:-3}
fi
LOAD_COLS="scen rep seconds withdrawals down present probes failed confirm rtt_med rtt_p99 rtt_max agent_cpu unbound_cpu busy routes misses sent completed lost loss qps drops"

load_home() {
	anycast_present a && route_host_is ra "$CP_A4" a && route_host_is ra "$CP_A6" a &&
		answers a 4 resolver-a
}

# load_all: the part, campus up to campus down.
load_all() {
	local rep scen dir c row
	{
		printf 'load_seconds\t%s\n' "$LOAD_SECONDS"
		printf 'load_reps\t%s\n' "$LOAD_REPS"
		printf 'load_dnsperf\t%s\n' "$LOAD_DNSPERF_ARGS"
		printf 'load_stress\t%s\n' "$LOAD_STRESS_ARGS"
		printf 'dnsperf\t%s\n' "$(pkgver dnsperf)"
		printf 'stress_ng\t%s\n' "$(pkgver stress-ng)"
	} >>"$META"
	printf '%s\n' "$LOAD_COLS" | tr ' ' '\t' >"$LOAD_TSV"
	CAMPUS_DIR=$BENCH_OUT/campus-load
	# after the failover part it may name another variant
	CAMPUS_FRR_CONF=$REPO/etc/frr.conf
	CAMPUS_FRR=external
	bn_log "load: campus up with $CAMPUS_FRR_CONF"
	if ! campus_up || ! ld_auth_start || ! ld_stub_on || ! ld_agent_set log_level=debug; then
		bn_log "load: campus or its authoritative server did not come up; see $CAMPUS_DIR"
		campus_down
		return 1
	fi
	for ((rep = 1; rep <= LOAD_REPS; rep++)); do
		dir=$BENCH_OUT/load/$rep
		mkdir -p "$dir"
		for scen in $LOAD_SCENARIOS; do
			wait_for 30 load_home || bn_log "load: $scen rep $rep: host A not back to normal"
			bn_log "load: $scen rep $rep/$LOAD_REPS ($LOAD_SECONDS s)"
			if ! ld_run "$scen" "$dir"; then
				bn_log "load: $scen rep $rep failed to run"
				continue
			fi
			row=
			for c in $LOAD_COLS; do
				case $c in
				rep) row+="$rep"$'\t' ;;
				*) row+="$(ld_get "$dir/$scen.result" "$c")"$'\t' ;;
				esac
			done
			printf '%s\n' "${row%$'\t'}" >>"$LOAD_TSV"
			bn_log "load: $scen rep $rep: withdrawals $(ld_get "$dir/$scen.result" withdrawals), qps $(ld_get "$dir/$scen.result" qps), probe RTT max $(ld_get "$dir/$scen.result" rtt_max) us"
		done
	done
	campus_down
}
