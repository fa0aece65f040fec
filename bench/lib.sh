# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers of the benchmark (sourced by bench/run.sh after tests/bed/campus.sh): clocks, the
# recorders (address and route monitors with `ip -ts`, dnsprobe from a client), statistics.
# Every process is started through bg_start (tests/lib.sh), so campus_down or the cleanup
# registry ends it; nothing is killed by name.

# Time stamps are compared across tools: bash's EPOCHREALTIME, dnsprobe's start_realtime
# header, `ip -ts` (local time, printed and parsed in UTC here).
export TZ=UTC

bn_now() { echo "${EPOCHREALTIME/,/.}"; }

# bn_sleep_ms MS
bn_sleep_ms() {
	sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"
}

# bn_rand_ms MAX: a uniformly random whole number of ms in [0, MAX].
bn_rand_ms() {
	echo $(((RANDOM * 32768 + RANDOM) % ($1 + 1)))
}

bn_log() { echo "bench: $(date +%T) $*" >&2; }

# ------------------------------------------------------------------------ monitors

BN_SEQ=0

# bn_rmon_start VAR NS FILE: `ip -ts -o monitor route` of NS into FILE, returns once it is
# seen recording (a sentinel blackhole route in table 99, which no routing daemon reads).
bn_rmon_start() {
	local _v=$1 ns=$2 file=$3
	: >"$file"
	bg_start "$_v" "$file" ip -n "$ns" -ts -o monitor route
	bn_rmon_sync "$ns" "$file"
}

bn_rmon_sync() {
	local ns=$1 file=$2 s rc
	BN_SEQ=$((BN_SEQ % 250 + 1))
	s=198.18.254.$BN_SEQ
	ip -n "$ns" route add blackhole "$s/32" table 99 || return 1
	wait_for 5 grep -qF "blackhole $s " "$file"
	rc=$?
	ip -n "$ns" route del blackhole "$s/32" table 99
	return $rc
}

# bn_amon_start VAR NS FILE: `ip -ts -o monitor address` of NS into FILE (sentinel: an
# address on lo that nothing sends to).
bn_amon_start() {
	local _v=$1 ns=$2 file=$3
	: >"$file"
	bg_start "$_v" "$file" ip -n "$ns" -ts -o monitor address
	bn_amon_sync "$ns" "$file"
}

bn_amon_sync() {
	local ns=$1 file=$2 s rc
	BN_SEQ=$((BN_SEQ % 250 + 1))
	s=127.255.254.$BN_SEQ
	ip -n "$ns" addr add "$s/32" dev lo || return 1
	wait_for 5 grep -qF " $s/32 " "$file"
	rc=$?
	ip -n "$ns" addr del "$s/32" dev lo
	return $rc
}

# bn_mon_stop PID: the monitor is synced by the caller; this ends it.
bn_mon_stop() {
	bg_kill "$1" TERM
}

# ------------------------------------------------------------------------ dnsprobe

BN_DNSPROBE=${BN_DNSPROBE:-}

# bn_probe_start VAR NS SERVER FILE [INTERVAL_MS]: dnsprobe (id.server CH TXT) from NS.
bn_probe_start() {
	local _v=$1 ns=$2 server=$3 file=$4 iv=${5:-10}
	: >"$file"
	bg_start "$_v" "$file.err" ip netns exec "$ns" "$BN_DNSPROBE" -s "$server" -i "$iv" \
		-t 1000 -d 300 -o "$file"
}

# bn_probe_stop PID: SIGTERM; dnsprobe settles the queries still out (<= its timeout).
bn_probe_stop() {
	local st
	kill -TERM "$1" 2>/dev/null
	bg_wait_exit "$1" 5 st || bg_kill "$1" KILL
}

# bn_last_is FILE WANT: the last three answers recorded are all WANT.
bn_last_is() {
	[ "$(grep -v '^#' "$1" 2>/dev/null | tail -n 3 | awk -v w="$2" '$3 == w' | wc -l)" -eq 3 ]
}

# bn_answered FILE: at least three answers recorded.
bn_answered() {
	[ "$(grep -vc '^#' "$1" 2>/dev/null)" -ge 3 ]
}

# ------------------------------------------------------------------------ statistics

# bn_stats: reads numbers (one per line; "-" or empty = missing) and prints
# "n median p90 max missing". median interpolates the two middle values; p90 is the
# nearest rank (ceil(0.9 n)), so with n = 10 it is the 9th value.
bn_stats() {
	awk '$1 == "-" || $1 == "" { miss++; next } { print $1 }
		END { print "#miss", miss + 0 }' | sort -g |
		awk '/^#miss/ { miss = $2; next } { v[++n] = $1 }
		END {
			if (n == 0) { printf "0 - - - %d\n", miss; exit }
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			r = int(0.9 * n); if (r < 0.9 * n) r++
			printf "%d %s %s %s %d\n", n, med, v[r], v[n], miss
		}'
}
