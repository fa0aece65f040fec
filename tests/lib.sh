# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shell helpers for anycast-agent's namespace tests (sourced, bash >= 5, run as root).
#
#   tap_*      "ok N - ..." / "not ok N - ..." lines and the closing "N passed, M failed"
#   cleanup_*  a registry of commands run in reverse order on any exit (EXIT, INT, TERM, HUP)
#   bg_*       background processes, started with output to files, remembered by pid
#   wait_for / hold_for   polling with a deadline (generous bounds, never tight timings)
#   ns_*       network namespaces, links and addresses inside them
#   mon_*      `ip monitor address` recorders with a sentinel to know what they have seen
#   ub_*       a real unbound in a namespace: config, start/stop, SERVFAIL injection
#
# Nothing here touches the host's own interfaces: every ip command names its namespace.
# Nothing is killed by name: only pids this shell started, and processes inside the
# namespaces it created.

# ---------------------------------------------------------------- tap output and counters

TAP_N=0
TAP_PASS=0
TAP_FAIL=0
# Called after a failed check with no arguments: print diagnostics (e.g. the end of a log).
TAP_ON_FAIL=

tap_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_PASS=$((TAP_PASS + 1))
	echo "ok $TAP_N - $*"
}

tap_fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAIL=$((TAP_FAIL + 1))
	echo "not ok $TAP_N - $*"
	if [ -n "$TAP_ON_FAIL" ]; then
		"$TAP_ON_FAIL" 2>&1 | sed 's/^/#   /'
	fi
}

# tap_check DESC CMD...: ok when CMD succeeds.
tap_check() {
	local desc=$1
	shift
	if "$@"; then tap_ok "$desc"; else tap_fail "$desc"; fi
}

# not CMD...: the negation, for tap_check/wait_for/hold_for.
not() {
	! "$@"
}

# tap_diag TEXT...: a comment line, ignored by anything that reads the results.
tap_diag() {
	echo "# $*"
}

# Prints the closing line; returns 0 only when nothing failed and something ran.
tap_summary() {
	echo "$TAP_PASS passed, $TAP_FAIL failed"
	[ "$TAP_FAIL" -eq 0 ] && [ "$TAP_PASS" -gt 0 ]
}

# ---------------------------------------------------------------- cleanup registry

CLEANUP_CMDS=()
CLEANUP_DONE=0

# cleanup_add CMD...: run CMD (as a word list, no eval) at exit; last added runs first.
cleanup_add() {
	local q
	printf -v q '%q ' "$@"
	CLEANUP_CMDS+=("$q")
}

cleanup_run() {
	local i
	[ "$CLEANUP_DONE" -eq 1 ] && return 0
	CLEANUP_DONE=1
	for ((i = ${#CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_CMDS[$i]}" >/dev/null 2>&1
	done
	return 0
}

# Installs the traps: any exit, Ctrl-C, TERM or HUP runs the registry once.
cleanup_install_traps() {
	trap 'cleanup_run' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# ---------------------------------------------------------------- background processes

BG_PIDS=()

# bg_start VAR LOG CMD...: starts CMD in the background, stdout and stderr appended to LOG
# (a file, never a pipe), and stores its pid in the variable named VAR. Must not be called
# from a subshell ($(...)): the caller waits for the pid. `ip netns exec` execs its command,
# so the pid is the daemon's own.
bg_start() {
	local _bg_var=$1 _bg_log=$2
	shift 2
	"$@" </dev/null >>"$_bg_log" 2>&1 &
	local _bg_pid=$!
	BG_PIDS+=("$_bg_pid")
	printf -v "$_bg_var" '%s' "$_bg_pid"
}

bg_alive() {
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null
}

# bg_kill PID [SIGNAL]: signals PID (KILL by default) and reaps it; quiet when gone.
bg_kill() {
	local pid=${1:-} sig=${2:-KILL}
	[ -n "$pid" ] || return 0
	kill -s CONT "$pid" 2>/dev/null
	kill -s "$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Kills every pid bg_start started that is still alive (registered by cleanup_init).
bg_kill_all() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -s CONT "$pid" 2>/dev/null
			kill -s KILL "$pid" 2>/dev/null
		fi
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	return 0
}

# bg_wait_exit PID TIMEOUT VAR: waits up to TIMEOUT seconds for PID (a child of this shell) to
# exit and stores its exit status in VAR; returns 1 (VAR empty) when it is still running.
bg_wait_exit() {
	local _bw_pid=$1 _bw_timeout=$2 _bw_var=$3 _bw_st=0
	printf -v "$_bw_var" '%s' ''
	wait_for "$_bw_timeout" _bg_gone "$_bw_pid" || return 1
	wait "$_bw_pid" 2>/dev/null || _bw_st=$?
	printf -v "$_bw_var" '%s' "$_bw_st"
}

_bg_gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# ---------------------------------------------------------------- polling

_now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$t"
}

# wait_for TIMEOUT_S CMD...: polls CMD every 50 ms until it succeeds (0) or TIMEOUT_S
# (fractions allowed) passes (1).
wait_for() {
	local timeout=$1
	shift
	local end=$(($(_now_us) + $(_secs_to_us "$timeout")))
	while :; do
		"$@" && return 0
		[ "$(_now_us)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# hold_for SECONDS CMD...: CMD must stay true (polled every 50 ms) for SECONDS; 1 at the
# first time it is false.
hold_for() {
	local dur=$1
	shift
	local end=$(($(_now_us) + $(_secs_to_us "$dur")))
	while :; do
		"$@" || return 1
		[ "$(_now_us)" -ge "$end" ] && return 0
		sleep 0.05
	done
}

_secs_to_us() {
	local s=$1 int frac
	int=${s%%.*}
	if [ "$int" != "$s" ]; then frac=${s#*.}; else frac=; fi
	frac=${frac}000000
	frac=${frac:0:6}
	echo $((10#${int:-0} * 1000000 + 10#$frac))
}

# ---------------------------------------------------------------- files and logs

# file_size FILE: bytes in FILE (0 when absent); a mark for log_since.
# proc_cpu_ns PID: the CPU time (ns) of every thread of PID so far (schedstat's run time).
proc_cpu_ns() {
	local f t ns=0
	for f in /proc/"$1"/task/*/schedstat; do
		read -r t _ <"$f" 2>/dev/null && ns=$((ns + t))
	done
	echo "$ns"
}

file_size() {
	if [ -e "$1" ]; then stat -c %s "$1"; else echo 0; fi
}

# log_since FILE MARK: what was appended to FILE after byte offset MARK.
log_since() {
	tail -c +$(($2 + 1)) "$1" 2>/dev/null
}

# log_has FILE MARK ERE: case-insensitive match of ERE in what FILE gained after MARK.
log_has() {
	log_since "$1" "$2" | grep -qiE -- "$3"
}

# ---------------------------------------------------------------- network namespaces

# ns_create NAME: a fresh namespace with lo up, removed at exit together with every process
# still inside it (all of which this test started).
ns_create() {
	local ns=$1
	ip netns add "$ns" || return 1
	cleanup_add ns_destroy "$ns"
	ip -n "$ns" link set lo up
}

ns_destroy() {
	local ns=$1 pid
	ip netns list 2>/dev/null | grep -qw -- "$ns" || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -s CONT "$pid" 2>/dev/null
		kill -s KILL "$pid" 2>/dev/null
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
		sleep 0.1
	done
	ip netns del "$ns"
}

ns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
ns_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# ns_sysctl NS KEY=VALUE...
ns_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@"
}

# ns_link_exists NS IF
ns_link_exists() {
	ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# ns_link_up NS IF: administratively up (IFF_UP).
ns_link_up() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -qE '<([^>]*,)?UP[,>]'
}

# ns_addr_line NS IF ADDR/LEN: the `ip -o addr` line of that address, empty when absent.
ns_addr_line() {
	ip -n "$1" -o addr show dev "$2" 2>/dev/null | awk -v a="$3" '$4 == a { print; exit }'
}

# ns_addr_present NS IF ADDR/LEN
ns_addr_present() {
	[ -n "$(ns_addr_line "$@")" ]
}

ns_addr_absent() {
	! ns_addr_present "$@"
}

# ns_addrs_present NS IF ADDR/LEN...: every one of them is there.
ns_addrs_present() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do ns_addr_present "$ns" "$dev" "$a" || return 1; done
}

# ns_addrs_absent NS IF ADDR/LEN...: none of them is there (also true when IF is gone).
ns_addrs_absent() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do ns_addr_absent "$ns" "$dev" "$a" || return 1; done
}

# ns_addr_usable NS IF ADDR/LEN: present and neither tentative nor dadfailed.
ns_addr_usable() {
	local l
	l=$(ns_addr_line "$@")
	[ -n "$l" ] && ! grep -qE 'tentative|dadfailed' <<<"$l"
}

# ns_local_route NS ADDR/LEN: the host accepts traffic for ADDR, through any route of the
# local table with exactly this prefix (the kernel's for an address, or anyone else's).
ns_local_route() {
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	[ -n "$(ip -n "$1" "$fam" route show table local "$2" 2>/dev/null)" ]
}

# ns_unreachable NS ADDR/LEN...: none of them is an address or a local route any more.
ns_unreachable() {
	local ns=$1 a
	shift
	for a in "$@"; do ns_local_route "$ns" "$a" && return 1; done
	return 0
}

# ---------------------------------------------------------------- address event monitor

MON_SEQ=0
# Sentinel addresses go on lo inside the namespace: never a target of any traffic.
MON_SENTINEL_NET=127.255.255

# mon_start VAR NS FILE: records `ip -o monitor address` of NS into FILE; stores the pid in
# VAR and returns once the recorder is known to be seeing events.
mon_start() {
	local _ms_var=$1 _ms_ns=$2 _ms_file=$3
	: >"$_ms_file"
	bg_start "$_ms_var" "$_ms_file" ip -n "$_ms_ns" -o monitor address
	mon_sync "$_ms_ns" "$_ms_file"
}

# mon_sync NS FILE: adds a fresh sentinel address on lo and waits until FILE shows it, so
# every event before this call is in FILE.
mon_sync() {
	local ns=$1 file=$2 s
	MON_SEQ=$((MON_SEQ % 250 + 1))
	s="$MON_SENTINEL_NET.$MON_SEQ/32"
	ip -n "$ns" addr del "$s" dev lo 2>/dev/null
	ip -n "$ns" addr add "$s" dev lo || return 1
	wait_for 5 _mon_seen "$file" "$s"
	local rc=$?
	ip -n "$ns" addr del "$s" dev lo 2>/dev/null
	return $rc
}

_mon_seen() {
	grep -v '^Deleted' "$1" | grep -qF -- " $2 "
}

# mon_stop PID NS FILE: syncs, then stops the recorder.
mon_stop() {
	mon_sync "$2" "$3"
	bg_kill "$1" TERM
}

# mon_events FILE: the address events in FILE, sentinels left out.
mon_events() {
	grep -vF " $MON_SENTINEL_NET." "$1"
}

# mon_touched FILE ADDR/LEN...: 0 when any of these addresses has any event (added,
# replaced or deleted) in FILE.
mon_touched() {
	local file=$1 a
	shift
	for a in "$@"; do
		awk -v a="$a" '{ for (i = 1; i <= NF; i++) if ($i == a) f = 1 } END { exit !f }' \
			"$file" && return 0
	done
	return 1
}

# mon_deleted FILE ADDR/LEN...: 0 when any of these addresses has a Deleted event in FILE.
mon_deleted() {
	local file=$1 a
	shift
	for a in "$@"; do
		grep '^Deleted' "$file" | awk -v a="$a" '{ for (i = 1; i <= NF; i++) if ($i == a) f = 1 }
			END { exit !f }' && return 0
	done
	return 1
}

# ---------------------------------------------------------------- unbound

UNBOUND=${UNBOUND:-/usr/sbin/unbound}
UNBOUND_CONTROL=${UNBOUND_CONTROL:-/usr/sbin/unbound-control}

# ub_write_conf DIR [SERVER-LINE...]: DIR/unbound.conf for a foreground unbound on
# 127.0.0.1@53 and ::1@53 serving campus.test. locally, with `probe.campus.test. 0 IN A
# 192.0.2.1` (TTL 0: no cache can fake an answer), remote control on DIR/unbound.ctl without
# certificates, no chroot, no user switch, pidfile and log in DIR. Extra lines go into the
# server: clause as they are (e.g. "interface: 10.53.0.53").
ub_write_conf() {
	local dir=$1 l
	shift
	{
		ub_header "$dir"
		echo "    interface: 127.0.0.1"
		echo "    interface: ::1"
		echo "    port: 53"
		echo "    do-ip4: yes"
		echo "    do-ip6: yes"
		echo "    ip-freebind: yes"
		echo "    so-reuseport: no"
		echo "    access-control: 127.0.0.0/8 allow"
		echo "    access-control: ::1/128 allow"
		echo "    local-zone: \"campus.test.\" static"
		echo "    local-data: \"$UB_PROBE_RR\""
		for l in "$@"; do echo "    $l"; done
		echo "remote-control:"
		echo "    control-enable: yes"
		echo "    control-interface: \"$dir/unbound.ctl\""
		echo "    control-use-cert: no"
	} >"$dir/unbound.conf"
}

# ub_header DIR: the "server:" clause's first lines for a unbound of a test: in the
# foreground, no chroot nor user switch, its files (pid, log) in DIR, no validator (no trust
# anchor: nothing depends on /var/lib/unbound/root.key). Shared with tests/bed/campus.sh.
ub_header() {
	echo "server:"
	echo "    verbosity: 1"
	echo "    num-threads: 1"
	echo "    do-daemonize: no"
	echo "    username: \"\""
	echo "    chroot: \"\""
	echo "    directory: \"$1\""
	echo "    pidfile: \"$1/unbound.pid\""
	echo "    use-syslog: no"
	echo "    logfile: \"\""
	echo "    module-config: \"iterator\""
}

# host_setup NS IF DIR [SERVER-LINE...]: the single-host bed of integration.sh and
# test_privileges.sh: namespace NS (lo up), an ifb IF standing in for the dummy interface
# (down), a real unbound with DIR/unbound.conf (ub_write_conf with the extra lines) that
# answers the probe name. Prints "ok N - setup ..." or fails once with unbound's own log and
# exits: nothing after it could mean anything.
host_setup() {
	local ns=$1 ifname=$2 dir=$3
	shift 3
	if ns_create "$ns" && ip -n "$ns" link add "$ifname" type ifb &&
		ub_write_conf "$dir" "$@" && ub_start "$ns" "$dir"; then
		tap_ok "setup: namespace $ns with ifb $ifname (down), unbound answers $UB_PROBE_NAME"
		return 0
	fi
	tap_fail "setup: namespace $ns, ifb $ifname, unbound answering $UB_PROBE_NAME"
	echo "# unbound's log ($dir/unbound.log):"
	tail -n 20 "$dir/unbound.log" 2>/dev/null | sed 's/^/#   /'
	tap_summary
	exit 1
}

UB_PROBE_ZONE=campus.test.
UB_PROBE_NAME=probe.campus.test.
UB_PROBE_RR="probe.campus.test. 0 IN A 192.0.2.1"
# Where the injected forward points: loopback, which unbound refuses to query by default
# (do-not-query-localhost), so it SERVFAILs at once instead of timing out.
UB_SERVFAIL_FWD=127.0.0.1@9

# ub_start NS DIR: starts `unbound -d -c DIR/unbound.conf` in NS (output to DIR/unbound.log),
# records its pid in DIR/unbound.bgpid and waits until it answers the probe name.
ub_start() {
	local ns=$1 dir=$2 pid
	bg_start pid "$dir/unbound.log" ip netns exec "$ns" "$UNBOUND" -d -c "$dir/unbound.conf"
	echo "$pid" >"$dir/unbound.bgpid"
	wait_for 10 ub_answers "$ns" 127.0.0.1
}

ub_pid() {
	cat "$1/unbound.bgpid" 2>/dev/null
}

# ub_signal DIR SIGNAL: KILL, STOP, CONT... to the unbound started by ub_start.
ub_signal() {
	local pid
	pid=$(ub_pid "$1")
	[ -n "$pid" ] && kill -s "$2" "$pid"
}

# ub_stop DIR: kills unbound (SIGKILL, as a crash would) and reaps it.
ub_stop() {
	bg_kill "$(ub_pid "$1")" KILL
	rm -f "$1/unbound.bgpid"
}

ub_control() {
	local ns=$1 dir=$2
	shift 2
	ip netns exec "$ns" "$UNBOUND_CONTROL" -c "$dir/unbound.conf" "$@"
}

# ub_servfail_inject NS DIR: the probe name gets SERVFAIL from then on, without a restart:
# its zone becomes transparent without the probe record, and is forwarded to loopback.
ub_servfail_inject() {
	local ns=$1 dir=$2
	ub_control "$ns" "$dir" local_data_remove "$UB_PROBE_NAME" >/dev/null &&
		ub_control "$ns" "$dir" local_zone "$UB_PROBE_ZONE" transparent >/dev/null &&
		ub_control "$ns" "$dir" forward_add "$UB_PROBE_ZONE" "$UB_SERVFAIL_FWD" >/dev/null
}

# ub_servfail_clear NS DIR: back to answering the probe record.
ub_servfail_clear() {
	local ns=$1 dir=$2
	ub_control "$ns" "$dir" forward_remove "$UB_PROBE_ZONE" >/dev/null &&
		ub_control "$ns" "$dir" local_zone "$UB_PROBE_ZONE" static >/dev/null &&
		ub_control "$ns" "$dir" local_data "$UB_PROBE_RR" >/dev/null &&
		ub_control "$ns" "$dir" flush_zone "$UB_PROBE_ZONE" >/dev/null &&
		ub_control "$ns" "$dir" flush_requestlist >/dev/null
}

# dns_rcode NS SERVER [NAME [TYPE]]: the rcode of one query ("NOERROR", "SERVFAIL"...), or
# "NOANSWER" when nothing came back within a second.
dns_rcode() {
	local ns=$1 server=$2 name=${3:-$UB_PROBE_NAME} type=${4:-A} out
	out=$(ip netns exec "$ns" dig +time=1 +tries=1 +noall +comments -p 53 \
		@"$server" "$name" "$type" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	echo "${out:-NOANSWER}"
}

# ub_answers NS SERVER: the probe name resolves to its record (NOERROR with 192.0.2.1).
ub_answers() {
	local out
	out=$(ip netns exec "$1" dig +time=1 +tries=1 +short @"$2" "$UB_PROBE_NAME" A 2>/dev/null)
	[ "$out" = 192.0.2.1 ]
}

# ub_rcode_is NS SERVER RCODE
ub_rcode_is() {
	[ "$(dns_rcode "$1" "$2")" = "$3" ]
}
