#!/bin/bash
# SPDX-License-Identifier: MIT
# classic.sh: the failover script a campus writes by hand, the baseline of `make bench`.
#
#   bench/classic.sh IFACE QNAME ADDR4/32 ADDR6/128 [MAX_LOOPS]
#
# Every second: `dig @127.0.0.1 +time=1 +tries=1 QNAME`. Three failures in a row remove both
# anycast addresses from IFACE, three successes in a row put them back. It starts believing
# the addresses are announced. Written the way such scripts are found in the wild:
# - health = the status line says NOERROR (`dig | grep -q 'status: NOERROR'`): dig exits 0 on
#   SERVFAIL, so testing its exit status alone would keep a broken resolver announced;
# - the IPv6 address is added with `nodad`, like the agent does (IFA_F_NODAD), so that the
#   comparison is about detection, not about DAD (the test bed's ifb skips DAD anyway);
# - no drain: a withdrawal is `ip addr del`, at once.
# MAX_LOOPS (default 100000, about a day) bounds it; the benchmark kills it long before.
set -u

if [ $# -lt 4 ]; then
	echo "usage: $0 IFACE QNAME ADDR4/32 ADDR6/128 [MAX_LOOPS]" >&2
	exit 2
fi
ifc=$1 qname=$2 a4=$3 a6=$4 max=${5:-100000}

fails=0
oks=0
up=1
for ((i = 0; i < max; i++)); do
	if dig @127.0.0.1 +time=1 +tries=1 "$qname" A 2>/dev/null | grep -q 'status: NOERROR'; then
		fails=0
		oks=$((oks + 1))
		if [ "$up" = 0 ] && [ "$oks" -ge 3 ]; then
			ip addr add "$a4" dev "$ifc"
			ip addr add "$a6" dev "$ifc" nodad
			up=1
			echo "$(date +%T.%N) up: added $a4 $a6"
		fi
	else
		oks=0
		fails=$((fails + 1))
		if [ "$up" = 1 ] && [ "$fails" -ge 3 ]; then
			ip addr del "$a4" dev "$ifc"
			ip addr del "$a6" dev "$ifc"
			up=0
			echo "$(date +%T.%N) down: removed $a4 $a6"
		fi
	fi
	sleep 1
done
