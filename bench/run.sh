#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/run.sh (`make bench`): the failover benchmark of anycast-agent against the classic
# script, with its cost and its scale. As root on Debian 12, on the campus test bed of
# tests/bed/campus.sh (its own namespaces, prefix BENCH_PREFIX). Writes bench/results.md and the
# timeline PNGs; raw data (every prober file, monitor and log) in BENCH_OUT.
#
#   bench/run.sh                 full run: REPS=10, 60 s of steady state (36 min on 2026-11-29)
#   BENCH_QUICK=1 bench/run.sh   quick: REPS=3, 10 s of steady state, no agent-fast block
#                                (fewer repetitions, shorter)
#   REPS=N COST_SECONDS=S SCALE_SECONDS=S SCALE_REPS=N
#   BENCH_PARTS="cost failover load"  which parts (report always runs)
#   BENCH_BLOCKS="shipped:agent shipped:classic intra:agent bgp:agent shipped:agent-fast"
#                                VARIANT:TOOL blocks in order; VARIANT shipped = etc/frr.conf,
#                                intra = etc/frr-intra-area.conf, bgp = etc/frr-bgp.conf
#                                (eBGP to the site router, campus.sh's BGP mode); TOOL agent, classic
#                                (bench/classic.sh) or agent-fast (FAST_IV / FAST_TO)
#   BENCH_RESULTS=path           where results.md goes (default bench/results.md; the PNGs
#                                go beside it)
#   AGENT=path                   the agent binary (default ./anycast-agent; copied first, so
#                                a rebuild during the run changes nothing)
#   FAST_IV / FAST_TO            the "fastest recommended" interval and timeout (50 / 50 ms)
#   COST_ONLY="a16-s1 a64-s1"    only these cost/scale configurations (names as in cost.sh)
#   FO_SCENARIOS="kill freeze"   only these failover scenarios (kill stop servfail maint
#                                freeze churn; churn = kill with FO_CHURN_ADDRS other
#                                addresses on host A, one changing every FO_CHURN_MS ms)
#   FO_CHURN_ADDRS / FO_CHURN_MS the churn scenario's pool (20000) and period (50 ms)
#   BENCH_PREV=path              the previous run's figures (bench/previous.tsv, made by
#                                bench/snapshot.sh from its results.md) for the comparison
#   BENCH_HOST_DEFAULT_ROUTE=1   resolver hosts get a static default route to their router
#   LOAD_SCENARIOS="flood cpu"   the load part (bench/load.sh, issue 11): dnsperf at host A's
#                                unbound's full rate, every CPU busy; LOAD_REPS (3, quick 1)
#                                times LOAD_SECONDS (10) s each, on a campus of its own
#
# Run nothing else meanwhile (the campus test, another campus): the timings are CPU-bound at
# the margin. Everything it starts ends on exit, Ctrl-C included.
set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO" || exit 1

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	REPS=${REPS:-3}
	COST_SECONDS=${COST_SECONDS:-10}
	SCALE_SECONDS=${SCALE_SECONDS:-5}
	SCALE_REPS=${SCALE_REPS:-2}
	BENCH_BLOCKS=${BENCH_BLOCKS:-shipped:agent shipped:classic intra:agent bgp:agent}
else
	REPS=${REPS:-10}
	COST_SECONDS=${COST_SECONDS:-60}
	SCALE_SECONDS=${SCALE_SECONDS:-30}
	SCALE_REPS=${SCALE_REPS:-5}
fi
BENCH_PARTS=${BENCH_PARTS:-cost failover load}
BENCH_BLOCKS=${BENCH_BLOCKS:-shipped:agent shipped:classic intra:agent bgp:agent shipped:agent-fast}
BENCH_PREFIX=${BENCH_PREFIX:-aab-}
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.md}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/$(date -u +%Y%m%d-%H%M%S)}
FAST_IV=${FAST_IV:-50}
FAST_TO=${FAST_TO:-50}
export CAMPUS_PREFIX=$BENCH_PREFIX
export CAMPUS_DIR=$BENCH_OUT/campus-none
export CAMPUS_KEEP=1 # the logs of each campus stay in BENCH_OUT

die() {
	echo "bench: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "run as root (namespaces, FRR, nftables)"
for t in dig vtysh nft gnuplot unbound-control; do
	command -v "$t" >/dev/null || die "$t not found (make deps installs what is missing)"
done
BN_DNSPROBE=$REPO/build/tests/bed/dnsprobe
[ -x "$BN_DNSPROBE" ] || die "$BN_DNSPROBE missing: make dnsprobe"
src=${AGENT:-$REPO/anycast-agent}
[ -x "$src" ] || die "agent binary $src missing: make"
mkdir -p "$BENCH_OUT" || exit 1
BENCH_AGENT=$BENCH_OUT/anycast-agent
cp "$src" "$BENCH_AGENT" || exit 1
export AGENT=$BENCH_AGENT

# shellcheck source=../tests/bed/campus.sh
. "$REPO/tests/bed/campus.sh"
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"
# shellcheck source=failover.sh
. "$BENCH_DIR/failover.sh"
# shellcheck source=cost.sh
. "$BENCH_DIR/cost.sh"
# shellcheck source=load.sh
. "$BENCH_DIR/load.sh"

cleanup_install_traps
cleanup_add campus_down
START_S=$(bn_now)

# ------------------------------------------------------------------ the record of the run

# conf_val KEY: the value in etc/anycast-agent.conf, also where the shipped file has it
# commented out (";key = value": its [service] block), as the campus uncomments it.
conf_val() {
	sed -n "s/^;\\{0,1\\}$1[[:space:]]*=[[:space:]]*\\([^;]*\\).*/\\1/p" "$REPO/etc/anycast-agent.conf" |
		head -n 1 | sed 's/[[:space:]]*$//'
}
DEF_IV=$(conf_val interval_ms)
DEF_TO=$(conf_val timeout_ms)
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
META=$BENCH_OUT/meta.tsv
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'cpus\t%s\n' "$(nproc)"
	printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf 'mem\t%s MiB\n' "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)"
	printf 'kernel\t%s\n' "$(uname -r)"
	printf 'debian\t%s\n' "$(cat /etc/debian_version)"
	printf 'virt\t%s\n' "$(systemd-detect-virt 2>/dev/null || echo unknown)"
	printf 'load_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'frr\t%s\n' "$(pkgver frr)"
	printf 'unbound\t%s\n' "$(pkgver unbound)"
	printf 'libunbound\t%s\n' "$(pkgver libunbound8)"
	printf 'iproute2\t%s\n' "$(pkgver iproute2)"
	printf 'dig\t%s\n' "$(pkgver bind9-dnsutils)"
	printf 'agent\t%s (binary sha256 %s)\n' "$(git -C "$REPO" describe --always --dirty --tags 2>/dev/null || echo ?)" \
		"$(sha256sum "$BENCH_AGENT" | cut -c1-12)"
	for k in interval_ms timeout_ms rise fall retry_ms transport drain_ms query; do
		printf 'agent_%s\t%s\n' "$k" "$(conf_val "$k")"
	done
	printf 'fast\tinterval_ms %s, timeout_ms %s\n' "$FAST_IV" "$FAST_TO"
	printf 'reps\t%s\n' "$REPS"
	printf 'cost_seconds\t%s\n' "$COST_SECONDS"
	printf 'scale_seconds\t%s\n' "$SCALE_SECONDS"
	printf 'scale_reps\t%s\n' "$SCALE_REPS"
	printf 'probe_ms\t%s\n' "$FO_PROBE_MS"
	printf 'churn_addrs\t%s\n' "$FO_CHURN_ADDRS"
	printf 'churn_ms\t%s\n' "$FO_CHURN_MS"
	printf 'quiet_pct\t%s\n' "$FO_QUIET_PCT"
	printf 'jitter_agent\t%s\n' "${FO_JITTER_AGENT:-200}"
	printf 'jitter_classic\t%s\n' "${FO_JITTER_CLASSIC:-1000}"
	printf 'hold\t%s\n' "$FO_HOLD"
	printf 'blocks\t%s\n' "$BENCH_BLOCKS"
	printf 'quick\t%s\n' "${BENCH_QUICK:-0}"
	printf 'host_default_route\t%s\n' "${BENCH_HOST_DEFAULT_ROUTE:-0}"
} >"$META"

# ------------------------------------------------------------------ FRR variants

# How a host's frr.conf announces the anycast prefixes.
frr_how() {
	if grep -qE '^router bgp ' "$1"; then
		echo bgp
	elif grep -qE '^[[:space:]]*redistribute connected' "$1"; then
		echo external
	elif awk '/^interface anycast0/ { p = 1 } p && /ip ospf passive/ { f = 1 } /^exit/ { p = 0 }
		END { exit !f }' "$1"; then
		echo intra-area
	else
		echo unknown
	fi
}

# campus.sh templates CAMPUS_FRR_CONF for the resolver hosts (and takes the building
# routers' keys from it); each block sets it to its variant's file.

# iface_block NAME FILE: the "interface NAME" section of an FRR config, up to its "exit".
iface_block() {
	awk -v n="$1" '$0 == "interface " n { p = 1 } p { print } p && /^exit/ { exit }' "$2"
}

variant_conf() {
	case $1 in
	shipped) echo "$REPO/etc/frr.conf" ;;
	intra) echo "$REPO/etc/frr-intra-area.conf" ;;
	bgp) echo "$REPO/etc/frr-bgp.conf" ;;
	*) return 1 ;;
	esac
}

# ------------------------------------------------------------------ the parts

FO_TSV=$BENCH_OUT/failover.tsv
FO_CHURN_TSV=$BENCH_OUT/churn.tsv
COST_TSV=$BENCH_OUT/cost.tsv
SCALE_TSV=$BENCH_OUT/scale.tsv
LOAD_TSV=$BENCH_OUT/load.tsv

case " $BENCH_PARTS " in
*" cost "*)
	bn_log "cost and scale (agent alone, no campus)"
	cost_all
	;;
esac

case " $BENCH_PARTS " in
*" failover "*)
	printf '%s\n' "$FO_COLS" | tr ' ' '\t' >"$FO_TSV"
	up_variant=
	for block in $BENCH_BLOCKS; do
		variant=${block%%:*}
		tool=${block#*:}
		conf=$(variant_conf "$variant") || die "unknown variant in $block"
		how=$(frr_how "$conf")
		printf 'frr_%s\t%s (%s)\n' "$variant" "${conf#"$REPO"/}" "$how" >>"$META"
		if [ "$variant" != shipped ] && [ "$how" = "$(frr_how "$REPO/etc/frr.conf")" ]; then
			bn_log "$block: $conf announces like etc/frr.conf ($how): skipped"
			continue
		fi
		# a variant compares with etc/frr.conf only if its uplink is the same (the campus
		# routers take their keys from the variant's file, so it would come up anyway)
		if [ "$how" != bgp ] && [ "$(iface_block eth0 "$conf")" != "$(iface_block eth0 "$REPO/etc/frr.conf")" ]; then
			bn_log "$block: the 'interface eth0' section of $conf differs from etc/frr.conf's (copy it over)"
		fi
		if [ "$variant" != "$up_variant" ]; then
			[ -n "$up_variant" ] && campus_down
			ncampus=$((${ncampus:-0} + 1))
			CAMPUS_DIR=$BENCH_OUT/campus-$ncampus-$variant # campus_up empties it
			CAMPUS_FRR_CONF=$conf
			# campus.sh builds the routers for the way the hosts announce
			case $how in
			bgp) CAMPUS_FRR=bgp ;;
			intra-area) CAMPUS_FRR=intra ;;
			*) CAMPUS_FRR=external ;;
			esac
			bn_log "campus up with $conf ($how)"
			if ! campus_up; then
				bn_log "campus did not come up; see $CAMPUS_DIR"
				campus_down
				up_variant=
				continue
			fi
			if [ "${BENCH_HOST_DEFAULT_ROUTE:-0}" = 1 ]; then
				# hosts as often deployed: a static default route to the building router
				ip -n "$(_cp_ns ha)" route add default via 10.10.11.1 metric 4000
				ip -n "$(_cp_ns ha)" -6 route add default via fd10:10:0:11::1 metric 4000
				ip -n "$(_cp_ns hb)" route add default via 10.10.12.1 metric 4000
				ip -n "$(_cp_ns hb)" -6 route add default via fd10:10:0:12::1 metric 4000
			fi
			up_variant=$variant
		fi
		bn_log "block $variant:$tool, $REPS repetitions"
		fo_block "$variant" "$tool" "$BENCH_OUT" "$REPS"
	done
	[ -n "$up_variant" ] && campus_down
	;;
esac

case " $BENCH_PARTS " in
*" load "*)
	bn_log "load: no false withdrawal under dnsperf at full rate, every CPU busy"
	load_all
	;;
esac

printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
printf 'runtime_s\t%.0f\n' "$(awk -v a="$START_S" -v b="$(bn_now)" 'BEGIN { print b - a }')" >>"$META"

# ------------------------------------------------------------------ plots and report

# plot_rep VARIANT TOOL SCEN FAM PNG TITLE: the repetition whose move time is the median one.
plot_rep() {
	local v=$1 t=$2 s=$3 fam=$4 png=$5 title=$6 rep tf tr addr rt dir start
	[ -s "$FO_TSV" ] || return 0
	read -r rep addr rt tf tr < <(awk -F'\t' -v v="$v" -v t="$t" -v s="$s" -v f="$fam" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == v && $2 == t && $3 == s && $5 == f && $c["move_ms"] != "-" {
			print $c["move_ms"], $c["rep"], $c["addr_ms"], $c["route_ms"], $c["fault_s"], $c["repair_s"] }' \
		"$FO_TSV" | sort -g | awk '{ l[NR] = $0 } END { if (NR) print l[int((NR + 1) / 2)] }' |
		cut -d' ' -f2-)
	[ -n "${rep:-}" ] || return 0
	dir=$BENCH_OUT/$v-$t
	start=$(sed -n 's/^# start_realtime=\([0-9.]*\).*/\1/p' "$dir/$s.$rep.p$fam")
	awk -v s="$start" -v f="$tf" -v r="$tr" -v a="$addr" -v rt="$rt" -v what="${FO_DESC[$s]}" \
		-v rep="${FO_REPAIR[$s]}" 'BEGIN {
			fm = (f - s) * 1000; printf "%.1f %s\n", fm, what
			if (a != "-" && rt != "-" && rt - a < 60)
				printf "%.1f address removed (+%d ms), route on ra changed (+%d ms)\n", fm + a, a, rt
			else {
				if (a != "-") printf "%.1f address removed (+%d ms)\n", fm + a, a
				if (rt != "-") printf "%.1f route on ra changed (+%d ms)\n", fm + rt, rt
			}
			printf "%.1f %s\n", (r - s) * 1000, rep }' >"$dir/$s.$rep.events"
	tests/bed/plot.sh "$dir/$s.$rep.p$fam" "$png" "$title (repetition $rep, the median one)" \
		"$dir/$s.$rep.events" >/dev/null 2>"$dir/plot.err" || bn_log "plot $png failed (see $dir/plot.err)"
}

outdir=$(dirname "$BENCH_RESULTS")
plot_rep shipped agent kill 4 "$outdir/timeline-agent.png" \
	"client A, IPv4, a query every $FO_PROBE_MS ms: unbound SIGKILLed on the nearest host, anycast-agent"
plot_rep shipped classic kill 4 "$outdir/timeline-classic.png" \
	"client A, IPv4, a query every $FO_PROBE_MS ms: unbound SIGKILLed on the nearest host, the classic script"
plot_rep shipped agent freeze 4 "$outdir/timeline-freeze-external.png" \
	"client A, IPv4: the nearest host frozen, FRR as shipped (external routes)"
plot_rep intra agent freeze 4 "$outdir/timeline-freeze-intra.png" \
	"client A, IPv4: the nearest host frozen, anycast as intra-area routes"

"$BENCH_DIR/report.sh" "$BENCH_OUT" >"$BENCH_RESULTS.tmp" && mv "$BENCH_RESULTS.tmp" "$BENCH_RESULTS"
cp "$BENCH_RESULTS" "$BENCH_OUT/results.md"
bn_log "wrote $BENCH_RESULTS (raw data in $BENCH_OUT)"
