#!/bin/bash
# SPDX-License-Identifier: MIT
# churn.sh: unrelated address churn on a resolver host, for the benchmark's "churn" scenario
# (issue 9.2: a dead resolver stayed announced for seconds while addresses changed elsewhere
# on the host).
#
#   bench/churn.sh batch IFACE N
#       `ip -batch` lines that add the N pool addresses to IFACE: N/2 IPv4 /32 from
#       100.64.0.0/10, N/2 IPv6 /128 from fd99::/64 (nodad), none of them anything the agent
#       or FRR announces.
#   bench/churn.sh loop NS IFACE N PERIOD_MS LOG [MAX_S]
#       One address change on IFACE in namespace NS every PERIOD_MS ms, on a fixed schedule:
#       delete pool address k, add it back, the same with the IPv6 one, k + 1, ... (so the
#       pool stays at N, less one at times). One `ip -force -batch -` does them all (no fork
#       per change); each change is logged to LOG as "EPOCH_SECONDS op address". It ends
#       when stopped (SIGTERM to its pid, which is that `ip`'s) or after MAX_S s (default
#       3600).
set -u

# churn_addr VAR I FAM: VAR = the I-th pool address of family 4 or 6 (no fork).
churn_addr() {
	if [ "$3" = 4 ]; then
		printf -v "$1" '100.%d.%d.%d/32' $((64 + $2 / 62500)) $(($2 / 250 % 250)) $(($2 % 250 + 1))
	else
		printf -v "$1" 'fd99::%x:%x/128' $(($2 / 65536)) $(($2 % 65536))
	fi
}

churn_batch() {
	local ifc=$1 n=$2 i a
	for ((i = 0; i < n / 2; i++)); do
		churn_addr a "$i" 4
		echo "address add $a dev $ifc"
	done
	for ((i = 0; i < n - n / 2; i++)); do
		churn_addr a "$i" 6
		echo "address add $a dev $ifc nodad"
	done
}

# The feeder: prints one command per period; a write to a closed pipe (the `ip` is gone)
# ends it.
churn_feed() {
	local ifc=$1 n=$2 period_us=$(($3 * 1000)) log=$4 max_us=$(($5 * 1000000))
	local t0 now next d i k a op sfd to half=$(($2 / 2))
	# a sleep without a fork: read with a timeout from a pipe nobody writes to
	exec {sfd}<> <(:)
	t0=${EPOCHREALTIME/[.,]/}
	for ((i = 0; ; i++)); do
		next=$((t0 + i * period_us))
		now=${EPOCHREALTIME/[.,]/}
		[ $((now - t0)) -lt "$max_us" ] || exit 0
		d=$((next - now))
		if [ "$d" -gt 0 ]; then
			printf -v to '%d.%06d' $((d / 1000000)) $((d % 1000000))
			read -r -t "$to" -u "$sfd"
		fi
		k=$((i / 4 % (half > 0 ? half : 1)))
		case $((i % 4)) in
		0 | 1) churn_addr a "$k" 4 ;;
		*) churn_addr a "$k" 6 ;;
		esac
		if ((i % 2)); then op=add; else op=del; fi
		now=${EPOCHREALTIME/,/.}
		if [ $((i % 4)) = 3 ]; then
			printf 'address add %s dev %s nodad\n' "$a" "$ifc" || exit 0
		else
			printf 'address %s %s dev %s\n' "$op" "$a" "$ifc" || exit 0
		fi
		echo "$now $op $a" >>"$log"
	done
}

case ${1:-} in
batch)
	[ $# -eq 3 ] || {
		echo "usage: $0 batch IFACE N" >&2
		exit 2
	}
	churn_batch "$2" "$3"
	;;
loop)
	[ $# -ge 6 ] || {
		echo "usage: $0 loop NS IFACE N PERIOD_MS LOG [MAX_S]" >&2
		exit 2
	}
	: >"$6"
	exec ip -n "$2" -force -batch - < <(churn_feed "$3" "$4" "$5" "$6" "${7:-3600}")
	;;
*)
	echo "usage: $0 batch IFACE N | loop NS IFACE N PERIOD_MS LOG [MAX_S]" >&2
	exit 2
	;;
esac
