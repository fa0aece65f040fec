#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: the campus (tests/bed/campus.sh) with a live timeline of which resolver answers
# client A, then unbound on the near host (A) is killed and restarted. Prints the gap and
# the lost queries, writes a PNG of the timeline, and tears everything down, also on Ctrl-C.
#   DEMO_OUT (default build/demo), DEMO_KEEP_PNG=path: also copy the plot there.
#   CAMPUS_FRR=bgp (make demo MODE=bgp): the hosts announce over BGP (etc/frr-bgp.conf).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO" || exit 1
OUT=${DEMO_OUT:-$REPO/build/demo}
DNSPROBE=$REPO/build/tests/bed/dnsprobe
export AGENT=${AGENT:-$REPO/anycast-agent}

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates network namespaces and runs FRR)" >&2
	exit 1
fi
# shellcheck source=campus.sh
. "$HERE/campus.sh"

probes=()
demo_down() {
	trap - EXIT INT TERM
	for p in "${probes[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	echo "== tearing the campus down"
	campus_down >/dev/null 2>&1
}
trap demo_down EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

mkdir -p "$OUT"
rm -f "$OUT"/probe4.txt "$OUT"/probe6.txt "$OUT"/events.txt
if [ "$CAMPUS_FRR" = bgp ]; then
	echo "== bringing the campus up (BGP): 7 namespaces, two sites; each resolver host speaks"
	echo "   eBGP (IPv4, IPv6, BFD) to its site router, the routers iBGP among themselves;"
	echo "   unbound and anycast-agent on resolver hosts A and B; client A is nearest to A"
else
	echo "== bringing the campus up: 7 namespaces, FRR (OSPFv2, OSPFv3, BFD), unbound and"
	echo "   anycast-agent on resolver hosts A and B; client A is nearest to A"
fi
if ! campus_up; then
	echo "demo: the campus did not come up (logs in $CAMPUS_DIR)" >&2
	exit 1
fi
echo "== client A asks 10.53.0.53 (and fd53::53) 'id.server CH TXT' every 10 ms"
echo "   A = resolver-a answered, B = resolver-b, . = lost, ! = refused; one line per 100 ms"
ip netns exec "${CAMPUS_PREFIX}ca" "$DNSPROBE" -s 10.53.0.53 -i 10 -t 1000 -d 9 \
	-o "$OUT/probe4.txt" --live &
probes+=($!)
ip netns exec "${CAMPUS_PREFIX}ca" "$DNSPROBE" -s fd53::53 -i 10 -t 1000 -d 9 \
	-o "$OUT/probe6.txt" 2>"$OUT/probe6.err" &
probes+=($!)

# Event times in the prober's own clock: ms since its first query (its header says when).
event() {
	local start now
	start=$(sed -n 's/^# start_realtime=\([0-9.]*\) .*/\1/p' "$OUT/probe4.txt")
	now=$EPOCHREALTIME
	awk -v s="$start" -v n="${now/,/.}" -v l="$1" 'BEGIN { printf "%.1f %s\n", (n - s) * 1000, l }' \
		>>"$OUT/events.txt"
	echo "   >>> $1" >&2
}
sleep 3
event "unbound killed on host A"
unbound_kill a
sleep 3
event "unbound restarted on host A"
unbound_start a
wait "${probes[@]}"
probes=()

# The report, from the prober's records.
report() { # report FILE FAMILY
	local file=$1 fam=$2 kill_ms start_ms
	kill_ms=$(awk '/killed/ { print $1 }' "$OUT/events.txt")
	start_ms=$(awk '/restarted/ { print $1 }' "$OUT/events.txt")
	awk -v k="$kill_ms" -v r="$start_ms" -v fam="$fam" '
		/^#/ { next }
		$2 >= k && $3 == "resolver-b" && !b { b = $2 + $4 / 1000 }
		$2 >= k && $3 !~ /^resolver-/ && !b { lost++ }
		$2 >= r && $3 == "resolver-a" && !a { a = $2 + $4 / 1000 }
		END {
			printf "   IPv%s: first answer from resolver-b %.0f ms after the kill, %d queries lost or refused on the way;\n", fam, b - k, lost
			printf "         resolver-a answers again %.0f ms after the restart\n", a - r
		}' "$file"
}
echo "== result"
report "$OUT/probe4.txt" 4
report "$OUT/probe6.txt" 6
if tests/bed/plot.sh "$OUT/probe4.txt" "$OUT/timeline.png" \
	"client A, IPv4: unbound on the nearest host killed, then restarted" \
	"$OUT/events.txt" >"$OUT/plot.log" 2>&1; then
	echo "== timeline plot: $OUT/timeline.png"
	[ -n "${DEMO_KEEP_PNG:-}" ] && cp "$OUT/timeline.png" "$DEMO_KEEP_PNG"
else
	echo "demo: the plot failed (see $OUT/plot.log)" >&2
fi
exit 0
