#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/memory.sh [AGENT...]: the agent's memory in steady state and after failures (issue
# 11: <= 8 MiB). Each binary (default ./anycast-agent) runs alone in a namespace of its own
# with an ifb anycast0 and a real unbound on loopback that listens on the service addresses,
# with etc/anycast-agent.conf's service settings (interval 100, timeout 100, TCP); after 3 s,
# HANGS (12) times: unbound SIGSTOPped for 350 ms (a withdrawal: the probe times out, a
# confirming probe runs, both contexts are dropped), then SIGCONT and 800 ms. Prints one
# Markdown row per binary: VmHWM and VmRSS (kB) in steady state, after the first hang and
# after the last, and how many DOWN lines the agent logged. As root; nothing else needed.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/lib.sh
. "$REPO/tests/lib.sh"
cleanup_install_traps

HANGS=${HANGS:-12}
NS=aa-mem-$$
T=$(mktemp -d /tmp/aa-mem.XXXXXX) || exit 1
cleanup_add rm -rf "$T"
[ $# -gt 0 ] || set -- "$REPO/anycast-agent"

ns_create "$NS" && ip -n "$NS" link add anycast0 type ifb && ip -n "$NS" link set anycast0 up || exit 1
ub_write_conf "$T" "interface: 10.53.0.53" "interface: fd53::53"
ub_start "$NS" "$T" || {
	echo "unbound does not answer (see $T/unbound.log)" >&2
	exit 1
}
cat >"$T/agent.conf" <<EOF
[agent]
interface = anycast0
create_interface = no
maintenance_file = $T/maintenance
frr_check = no
[service resolver]
addresses = 10.53.0.53, fd53::53
query = $UB_PROBE_NAME A
EOF

mem() { awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { printf "%s / %s", h, r }' "/proc/$1/status"; }

echo "| agent | steady: peak / now (kB) | after 1 hang | after $HANGS hangs | DOWN logged |"
echo "|---|---|---|---|---|"
for bin in "$@"; do
	cp "$bin" "$T/agent" || exit 1
	bg_start pid "$T/agent.log" ip netns exec "$NS" "$T/agent" -c "$T/agent.conf" -s "$T/run"
	sleep 3
	steady=$(mem "$pid")
	for ((i = 1; i <= HANGS; i++)); do
		kill -STOP "$(ub_pid "$T")"
		sleep 0.35
		kill -CONT "$(ub_pid "$T")"
		sleep 0.8
		[ "$i" = 1 ] && first=$(mem "$pid")
	done
	echo "| $bin ($(sha256sum "$bin" | cut -c1-12)) | $steady | $first | $(mem "$pid") | $(grep -c DOWN "$T/agent.log") |"
	bg_kill "$pid" TERM
	sleep 1
	rm -rf "$T/run" "$T/agent.log"
done
