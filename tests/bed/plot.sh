#!/bin/sh
# SPDX-License-Identifier: MIT
# plot.sh PROBE_OUTPUT PNG [TITLE] [EVENTS_FILE]: draws a dnsprobe run as a timeline PNG.
#   top:    one point per query, a row per answering instance and per failure (LOST, REFUSED, ...)
#   bottom: the round-trip time of each answer (log scale)
#   EVENTS_FILE lines "time_ms label" (e.g. "2000.0 unbound killed on A") become vertical lines.
# Needs gnuplot (Debian: gnuplot-nox).
set -eu

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
	echo "usage: $0 PROBE_OUTPUT PNG [TITLE] [EVENTS_FILE]" >&2
	exit 2
fi
in=$1
png=$2
title=${3:-$(basename "$in")}
events=${4:-}
command -v gnuplot >/dev/null || {
	echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2
	exit 1
}
[ -r "$in" ] || {
	echo "plot.sh: cannot read $in" >&2
	exit 1
}
[ -z "$events" ] || [ -r "$events" ] || {
	echo "plot.sh: cannot read $events" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Rows from the bottom: the failures in a fixed order, then the instances sorted by name.
# data.tsv: time_s row color rtt_ms ("NaN" for no answer); setup.gp: y tics, labels, events.
awk -v events="$events" -v tmp="$tmp" '
function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
!/^#/ && NF >= 4 { n++; t[n] = $2 / 1000; name[n] = $3; rtt[n] = $4; seen[$3] = 1
	if ($3 !~ /^(LOST|REFUSED|UNREACH|SERVFAIL|RCODE:[0-9]+)$/) inst[$3] = 1
	else if ($3 ~ /^RCODE:/) rc[$3] = 1
	if (t[n] > tmax) tmax = t[n]
	if ($3 == "LOST") lost++; else if ($3 !~ /^(REFUSED|UNREACH|SERVFAIL|RCODE:)/) ok++ }
END {
	rows = 0
	row["LOST"] = rows++; col["LOST"] = "0xd62728"
	if ("REFUSED" in seen) { row["REFUSED"] = rows++; col["REFUSED"] = "0xff7f0e" }
	if ("UNREACH" in seen) { row["UNREACH"] = rows++; col["UNREACH"] = "0x8c564b" }
	if ("SERVFAIL" in seen) { row["SERVFAIL"] = rows++; col["SERVFAIL"] = "0xe377c2" }
	m = 0; for (k in rc) rcs[++m] = k
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (rcs[j] < rcs[i]) { x = rcs[i]; rcs[i] = rcs[j]; rcs[j] = x }
	for (i = 1; i <= m; i++) { row[rcs[i]] = rows++; col[rcs[i]] = "0x7f7f7f" }
	split("0x1f77b4 0x2ca02c 0x9467bd 0x17becf 0xbcbd22 0x393b79", pal, " ")
	m = 0; for (k in inst) ins[++m] = k
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (ins[j] < ins[i]) { x = ins[i]; ins[i] = ins[j]; ins[j] = x }
	for (i = 1; i <= m; i++) { row[ins[i]] = rows++; col[ins[i]] = pal[(i - 1) % 6 + 1] }
	for (i = 1; i <= n; i++)
		printf "%.6f\t%d\t%s\t%s\n", t[i], row[name[i]], col[name[i]],
		       (rtt[i] == "-" || rtt[i] <= 0 ? "NaN" : rtt[i] / 1000) > (tmp "/data.tsv")
	out = tmp "/setup.gp"
	printf "set yrange [-0.7:%f]\n", rows - 0.3 > out
	span = tmax > 0 ? tmax : 1 # a margin, so the first and last points are not on the border
	printf "set xrange [%f:%f]\n", -0.01 * span, 1.01 * span > out
	printf "set ytics (" > out
	for (k in row) printf "%s\"%s\" %d", (c++ ? ", " : ""), esc(k), row[k] > out
	printf ")\n" > out
	printf "stats_line = \"%d queries, %d answered, %d lost, %d failed otherwise\"\n",
	       n, ok, lost, n - ok - lost > out
	if (events != "") {
		e = 0
		while ((getline line < events) > 0) {
			if (line ~ /^[ \t]*(#|$)/) continue
			split(line, f, " "); x = f[1] / 1000; sub(/^[ \t]*[^ \t]+[ \t]*/, "", line)
			printf "set arrow from %f, graph 0 to %f, graph 1 nohead dt 2 lw 1.5 lc rgb \"#444444\" front\n", x, x > out
			printf "set label \"%s\" at %f, graph %f left offset 0.4,0 front font \",9\" tc rgb \"#222222\" boxed\n",
			       esc(line), x, 0.93 - 0.09 * (e++ % 4) > out
		}
	}
	if (n == 0) exit 1
}' "$in" || {
	echo "plot.sh: no query lines in $in" >&2
	exit 1
}

gnuplot <<EOF
set terminal pngcairo size 1200,480 font "DejaVu Sans,10" noenhanced
set output "$png"
load "$tmp/setup.gp"
set style textbox opaque noborder fillcolor rgb "#f4f4f4"
set multiplot
set lmargin 14
set rmargin 3
set grid xtics lc rgb "#dddddd"
set size 1, 0.68
set origin 0, 0.32
set title "$(printf '%s' "$title" | sed 's/[\\"]/\\&/g')\n" . stats_line
set format x ""
set bmargin 0.5
plot "$tmp/data.tsv" using 1:2:3 with points pt 5 ps 0.45 lc rgb variable notitle
unset title
unset label
set size 1, 0.32
set origin 0, 0
set tmargin 0.5
set bmargin 3
set format x "%g"
set xlabel "time since first query (s)"
set ylabel "rtt (ms)"
set logscale y
set ytics auto
set yrange [*:*]
set format y "%g"
plot "$tmp/data.tsv" using 1:4:3 with points pt 7 ps 0.3 lc rgb variable notitle
unset multiplot
EOF
echo "plot.sh: wrote $png"
