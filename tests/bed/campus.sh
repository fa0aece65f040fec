#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The campus test bed of anycast-agent: two buildings, each with a resolver host (real unbound,
# real FRR, the real agent), OSPFv2 + OSPFv3 carrying the anycast addresses, one client per
# building. Network namespaces only; nothing touches the host's own interfaces.
#
#   tests/bed/campus.sh up | down | status     (root; AGENT=path/to/anycast-agent, default
#                                           ./anycast-agent; CAMPUS_PREFIX, default aac-)
#   CAMPUS_FRR=external | intra | bgp   how the resolver hosts announce the addresses:
#                                 external (default) runs etc/frr.conf (redistribute
#                                 connected), intra etc/frr-intra-area.conf (anycast0 a
#                                 passive OSPF interface), bgp etc/frr-bgp.conf (eBGP to the
#                                 site router; see "BGP" below);
#                                 CAMPUS_FRR_CONF=FILE runs FILE instead (the benchmark's variants)
#   . tests/bed/campus.sh; campus_up; ...; campus_down       (as a library, see tests/bed/test_campus.sh)
#
# Topology (namespaces ${CAMPUS_PREFIX}NAME; in a router each interface is named after the
# peer namespace, in a host or a client the uplink is eth0; OSPF costs on the links):
#
#                        core
#                   10 /      \ 10
#                     ra ----- rb          ra-rb: 50, the backup path
#                 10 /  \      /  \ 10
#                  ha    ca  cb    hb      ca, cb: passive (client subnets), cost 10
#
#   client A -> resolver A: ra-ha = 10              (+ external metric 20, metric-type 1)
#   client A -> resolver B: ra-core-rb-hb = 30      (ra-rb-hb = 60 only if the core fails)
#   The core is equidistant (ECMP); BFD (100 ms x 3) runs only on ra-ha and rb-hb.
#
# Addressing plan (link N: IPv4 10.10.N.0/24, IPv6 fd10:10:0:N::/64; the first namespace
# named gets .1 / ::1, the second .2 / ::2; campus = 10.10.0.0/16 + fd10:10::/48, as in the
# access-control of etc/unbound.conf):
#
#   link  1  core - ra          link 11  ra - ha  (BFD)      link 21  ra - ca (client A)
#   link  2  core - rb          link 12  rb - hb  (BFD)      link 22  rb - cb (client B)
#   link  3  ra   - rb
#
#   router-ids    core 10.10.255.1, ra .2, rb .3, ha .11, hb .12 (no loopback addresses)
#   anycast       10.53.0.53/32 + fd53::53/128 on anycast0 (ifb: no dummy driver here) of ha
#                 and hb, added and removed by the agent, redistributed through a route-map
#                 (CAMPUS_FRR=intra: stub links of the hosts' LSAs, anycast0 passive)
#   clients       ca 10.10.21.2, fd10:10:0:21::2; cb 10.10.22.2, fd10:10:0:22::2 (default
#                 routes to their building router)
#   stranger      198.51.100.1/32 and 2001:db8:5::1/128 on lo of ra, outside the campus, with
#                 kernel return routes on ha/hb: a query from there must be REFUSED
#
# BGP (CAMPUS_FRR=bgp): two sites, A (ra, ha, ca) and B (rb, hb, cb). Each resolver host
# (AS 65053, all the same) speaks eBGP to its site router (AS 65000), IPv4 and IPv6 sessions
# on its uplink, BFD on both; the routers run OSPF among themselves only (the hosts' links
# passive) and a full iBGP mesh, next-hop-self: the core with each site router between
# loopbacks (10.10.255.N/32, fd10:10:0:255::N/128), the two site routers over their direct
# link (CAMPUS_BGP_SITES=core: between loopbacks too, through the core); the core balances
# over both sites (maximum-paths ibgp 2). The hosts route by a static default route to their
# site router.
#
# Per namespace NS: FRR (zebra, ospfd, ospf6d, bfdd; bgpd with CAMPUS_FRR=bgp) with pathspace NS, config in
# /etc/frr/NS (created here, removed by campus_down), sockets and pid files in /var/run/frr/NS,
# loaded by `vtysh -N NS -b`. Logs, configs and pid files of everything in $CAMPUS_DIR
# (default /tmp/${CAMPUS_PREFIX}campus; kept after campus_down with CAMPUS_KEEP=1).
#
# Functions (H is a or b, C is a or b for client ca/cb, FAM is 4 or 6):
#   campus_up, campus_down, campus_status
#   unbound_kill H | unbound_start H | unbound_stop H (SIGSTOP) | unbound_cont H
#   servfail_on H | servfail_off H       the probe name answers SERVFAIL (unbound-control)
#   maint_on H | maint_off H             the agent's maintenance file
#   agent_kill H | agent_start H
#   freeze_host H | thaw_host H          nftables drops everything but lo in the host
#   route_via ROUTER PREFIX              "a via 10.10.11.2 dev ha", "a+b via ... , via ..."
#   route_host ROUTER PREFIX             a, b, a+b or none
#   answered_by C FAM                    resolver-a, resolver-b or none (dig id.server CH TXT)
#   probe_rcode H, anycast_present H, standby_present H, agent_running H, bfd_up NS,
#   campus_converged
#   The agents run the shipped configuration's standby_interface (anycast-sb, an ifb too):
#   a probe failing while unbound runs announces the addresses through it, at metric 60000.

CP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CP_REPO=$(cd "$CP_HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$CP_REPO/tests/lib.sh"

CAMPUS_PREFIX=${CAMPUS_PREFIX:-aac-}
CAMPUS_DIR=${CAMPUS_DIR:-/tmp/${CAMPUS_PREFIX}campus}
AGENT=${AGENT:-./anycast-agent}
case $AGENT in
/*) ;;
*) AGENT=$PWD/${AGENT#./} ;;
esac
FRR_LIBDIR=${FRR_LIBDIR:-/usr/lib/frr}
CAMPUS_DRAIN_MS=${CAMPUS_DRAIN_MS:-500}
CAMPUS_FRR=${CAMPUS_FRR:-external}
case $CAMPUS_FRR in
external) CAMPUS_FRR_CONF=${CAMPUS_FRR_CONF:-$CP_REPO/etc/frr.conf} ;;
intra) CAMPUS_FRR_CONF=${CAMPUS_FRR_CONF:-$CP_REPO/etc/frr-intra-area.conf} ;;
bgp) CAMPUS_FRR_CONF=${CAMPUS_FRR_CONF:-$CP_REPO/etc/frr-bgp.conf} ;;
*) CAMPUS_FRR_CONF=${CAMPUS_FRR_CONF:-} ;; # campus_up says why it cannot start
esac

CP_A4=10.53.0.53
CP_A6=fd53::53
CP_IF=anycast0
CP_SB=anycast-sb # the agents' standby_interface, as the shipped configurations name it
CP_STRANGER4=198.51.100.1
CP_STRANGER6=2001:db8:5::1
CP_ROUTERS="core ra rb"
CP_HOSTS="ha hb"
CP_CLIENTS="ca cb"
CP_FRR_NS="core ra rb ha hb"
# _cp_daemons SHORT: the FRR daemons of namespace SHORT, in start order (zebra first).
_cp_daemons() {
	case $CAMPUS_FRR:$1 in
	bgp:h?) echo "zebra bgpd bfdd" ;;
	bgp:*) echo "zebra ospfd ospf6d bgpd bfdd" ;;
	*) echo "zebra ospfd ospf6d bfdd" ;;
	esac
}
# "LEFT RIGHT N COST": link N between two namespaces (see the addressing plan).
CP_LINKS=("core ra 1 10" "core rb 2 10" "ra rb 3 50" "ra ha 11 10" "rb hb 12 10"
	"ra ca 21 10" "rb cb 22 10")
# Full OSPF neighbours each FRR namespace must reach (the same for v2 and v3).
declare -A CP_NBRS=([core]=2 [ra]=3 [rb]=3 [ha]=1 [hb]=1)
# CAMPUS_FRR=bgp: OSPF among the routers only (the hosts' links passive), and Established
# BGP sessions (IPv4 + IPv6 each): the hosts to their site router (eBGP), the routers a full
# iBGP mesh between their loopbacks (10.10.255.N/32, fd10:10:0:255::N/128, in OSPF).
declare -A CP_BGP_NBRS=([core]=4 [ra]=6 [rb]=6 [ha]=2 [hb]=2)
CP_BGP_AS_HOSTS=65053 # etc/frr-bgp.conf's: every resolver host the same
CP_BGP_AS_CAMPUS=65000
# _cp_mode_init: what depends on CAMPUS_FRR (campus_up calls it: the benchmark switches).
_cp_mode_init() {
	if [ "$CAMPUS_FRR" = bgp ]; then
		CP_NBRS=([core]=2 [ra]=2 [rb]=2 [ha]=0 [hb]=0)
	else
		CP_NBRS=([core]=2 [ra]=3 [rb]=3 [ha]=1 [hb]=1)
	fi
}
_cp_mode_init
declare -A CP_RID=([core]=10.10.255.1 [ra]=10.10.255.2 [rb]=10.10.255.3 [ha]=10.10.255.11
	[hb]=10.10.255.12)

_cp_ns() { echo "$CAMPUS_PREFIX$1"; }
_cp_dir() { echo "$CAMPUS_DIR/$1"; }
_cp_err() { echo "campus: $*" >&2; }

# _cp_host H: "ha" or "hb" for a or b; 1 otherwise.
_cp_host() {
	case ${1:-} in
	a | b) echo "h$1" ;;
	*)
		_cp_err "host must be a or b, not '${1:-}'"
		return 1
		;;
	esac
}

# _cp_ifname SELF PEER: the name of SELF's interface towards PEER.
_cp_ifname() {
	case $1 in
	h? | c?) echo eth0 ;;
	*) echo "$2" ;;
	esac
}

_cp_all_ns() { echo "$CP_ROUTERS $CP_HOSTS $CP_CLIENTS"; }

# ------------------------------------------------------------ the operator-facing snippets

# What the agents probe: `query =` of etc/anycast-agent.conf, taken as it is (a deployment
# runs the defaults). The SERVFAIL injection targets that name, whatever it is.
# The probe record of etc/unbound.conf (a name of the operator's own, TTL 0) is checked on
# its own by the test.
_cp_probe_init() {
	local q
	q=$(sed -n 's/^;\{0,1\}query[[:space:]]*=[[:space:]]*\([^;]*\).*/\1/p' \
		"$CP_REPO/etc/anycast-agent.conf" | head -n 1)
	CP_PROBE_NAME=$(awk '{ print $1 }' <<<"$q")
	CP_PROBE_TYPE=$(awk '{ print $2 }' <<<"$q")
	CP_PROBE_TYPE=${CP_PROBE_TYPE:-A}
	# shellcheck disable=SC2034 # for the test
	CP_SNIPPET_RR=$(sed -n 's/^[[:space:]]*local-data:[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' \
		"$CP_REPO/etc/unbound.conf" | head -n 1)
}
_cp_probe_init

# _cp_sub FILE ERE REPLACEMENT: sed in place; fails unless ERE matched exactly one line (so
# a template that drifted is noticed, not silently used).
_cp_sub() {
	local f=$1 ere=$2 rep=$3 n
	n=$(grep -cE -- "$ere" "$f")
	if [ "$n" != 1 ]; then
		_cp_err "template $f: '$ere' matches $n lines, expected 1"
		return 1
	fi
	sed -i -E "s|$ere|$rep|" "$f"
}

# _cp_unbound_conf H: unbound.conf for host H = a test-bed header (foreground, no chroot,
# files in its directory) + etc/unbound.conf with only identity and control-interface changed.
_cp_unbound_conf() {
	local h=$1 dir f
	dir=$(_cp_dir "h$h")
	f=$dir/unbound.conf
	{
		echo "# generated by tests/bed/campus.sh: test-bed header, then etc/unbound.conf"
		ub_header "$dir"
		echo
		cat "$CP_REPO/etc/unbound.conf"
	} >"$f" || return 1
	_cp_sub "$f" '^([[:space:]]*identity:).*$' "\\1 \"resolver-$h\"" &&
		_cp_sub "$f" '^([[:space:]]*control-interface:).*$' "\\1 \"$dir/unbound.ctl\"" &&
		unbound-checkconf "$f" >/dev/null
}

# _cp_frr_host_conf H FILE: CAMPUS_FRR_CONF (etc/frr.conf or etc/frr-intra-area.conf) with
# this host's hostname, router-id, log to stdout.
_cp_frr_host_conf() {
	local h=$1 f=$2 n
	cp "$CAMPUS_FRR_CONF" "$f" &&
		_cp_sub "$f" '^hostname .*$' "hostname h$h" &&
		_cp_sub "$f" '^log syslog (.*)$' 'log stdout \1' || return 1
	if [ "$CAMPUS_FRR" = bgp ]; then
		# the uplink's router end: link 11 (ra) for host a, link 12 (rb) for host b
		n=$([ "$h" = a ] && echo 11 || echo 12)
		_cp_sub "$f" '^( bgp router-id) [0-9.]+$' "\\1 ${CP_RID[h$h]}" &&
			sed -i -E "s/(^| )10\\.10\\.11\\.1( |$)/\\110.10.$n.1\\2/; s/(^| )fd10:10:0:11::1( |$)/\\1fd10:10:0:$n::1\\2/" "$f"
		return
	fi
	_cp_sub "$f" '^( ospf router-id) [0-9.]+$' "\\1 ${CP_RID[h$h]}" &&
		_cp_sub "$f" '^( ospf6 router-id) [0-9.]+$' "\\1 ${CP_RID[h$h]}"
}

# _cp_frr_router_conf R: a building or core router: OSPF on every link, BFD towards the
# resolver hosts, the client subnets passive, min-arrival 0 (see etc/frr.conf).
_cp_frr_router_conf() {
	local r=$1 link left right n cost peer ifn
	cat <<-EOF
		! generated by tests/bed/campus.sh
		frr defaults traditional
		hostname $r
		log stdout informational
		zebra work-queue 1
		!
		bfd
		 profile anycast
		  detect-multiplier 3
		  receive-interval 100
		  transmit-interval 100
		 exit
		exit
		!
	EOF
	for link in "${CP_LINKS[@]}"; do
		read -r left right n cost <<<"$link"
		if [ "$left" = "$r" ]; then peer=$right; elif [ "$right" = "$r" ]; then peer=$left; else continue; fi
		ifn=$(_cp_ifname "$r" "$peer")
		echo "interface $ifn"
		echo " ip ospf area 0"
		echo " ip ospf cost $cost"
		echo " ipv6 ospf6 area 0"
		echo " ipv6 ospf6 cost $cost"
		case $CAMPUS_FRR:$peer in
		*:c? | bgp:h?)
			echo " ip ospf passive"
			echo " ipv6 ospf6 passive"
			;;
		*)
			echo " ip ospf network point-to-point"
			echo " ip ospf hello-interval 1"
			echo " ip ospf dead-interval 3"
			echo " ipv6 ospf6 network point-to-point"
			echo " ipv6 ospf6 hello-interval 1"
			echo " ipv6 ospf6 dead-interval 3"
			;;
		esac
		case $CAMPUS_FRR:$peer in
		bgp:*) ;; # BFD on the BGP sessions
		*:h?)
			echo " ip ospf bfd"
			echo " ip ospf bfd profile anycast"
			echo " ipv6 ospf6 bfd"
			echo " ipv6 ospf6 bfd profile anycast"
			# the host snippet's authentication, the same keys on this end
			sed -n 's/^ \(ip ospf authentication .*\)$/ \1/p; s/^ \(ip ospf message-digest-key .*\)$/ \1/p; s/^ \(ipv6 ospf6 authentication .*\)$/ \1/p' \
				"$CAMPUS_FRR_CONF"
			;;
		esac
		echo "exit"
		echo "!"
	done
	cat <<-EOF
		router ospf
		 ospf router-id ${CP_RID[$r]}
		 timers throttle spf 0 50 500
		 timers lsa min-arrival 0
		exit
		!
		router ospf6
		 ospf6 router-id ${CP_RID[$r]}
		 timers throttle spf 0 50 500
		 timers lsa min-arrival 0
		exit
	EOF
	[ "$CAMPUS_FRR" = bgp ] && _cp_frr_router_bgp "$r"
	return 0
}

# _cp_lo4 R, _cp_lo6 R: router R's loopback (CAMPUS_FRR=bgp), the iBGP session ends.
_cp_lo4() { echo "${CP_RID[$1]}"; }
_cp_lo6() { echo "fd10:10:0:255::${CP_RID[$1]##*.}"; }

# _cp_ibgp_addr FAM R O: the address router R's iBGP session to router O goes to. The two
# site routers peer over their direct link (link 3; CAMPUS_BGP_SITES=direct, the default):
# each site's path to the other site's instance then leads there directly, never back
# through the core, which balances over both sites and would loop a switching site's flows
# for one bgpd hold (doc/deploy.md, section 16). CAMPUS_BGP_SITES=core: every session
# between loopbacks, the other site reached through the core (that micro-loop, measured).
_cp_ibgp_addr() {
	local f=$1 r=$2 o=$3
	case ${CAMPUS_BGP_SITES:-direct}:$f:$o$r in
	direct:4:rarb) echo 10.10.3.1 ;;
	direct:4:rbra) echo 10.10.3.2 ;;
	direct:6:rarb) echo fd10:10:0:3::1 ;;
	direct:6:rbra) echo fd10:10:0:3::2 ;;
	*) "_cp_lo$f" "$o" ;;
	esac
}

# _cp_frr_router_bgp R: the router side of doc/deploy.md's BGP section. A site router (ra,
# rb) speaks eBGP to its resolver host, accepting only the service prefixes (at most 2) and
# sending it nothing; the routers are a full iBGP mesh (see _cp_ibgp_addr), next-hop-self, so
# that a site router always holds the other site's path and switches to it at once. The
# core spreads over both sites (maximum-paths ibgp), as OSPF's ECMP does.
_cp_frr_router_bgp() {
	local r=$1 o n f
	cat <<-EOF
		!
		interface lo
		 ip ospf area 0
		 ipv6 ospf6 area 0
		exit
		!
		ip prefix-list FROM-RESOLVERS4 seq 10 permit $CP_A4/32
		ipv6 prefix-list FROM-RESOLVERS6 seq 10 permit $CP_A6/128
		route-map NOTHING deny 10
		exit
		!
		router bgp $CP_BGP_AS_CAMPUS
		 bgp router-id ${CP_RID[$r]}
		 no bgp default ipv4-unicast
		 neighbor CAMPUS peer-group
		 neighbor CAMPUS remote-as internal
		 neighbor CAMPUS timers connect 1
	EOF
	case $r in
	ra | rb)
		n=$([ "$r" = ra ] && echo 11 || echo 12)
		cat <<-EOF
			 neighbor RESOLVERS peer-group
			 neighbor RESOLVERS remote-as $CP_BGP_AS_HOSTS
			 neighbor RESOLVERS bfd
			 neighbor RESOLVERS bfd profile anycast
			 neighbor RESOLVERS timers 1 3
			 neighbor RESOLVERS timers connect 1
			 neighbor 10.10.$n.2 peer-group RESOLVERS
			 neighbor fd10:10:0:$n::2 peer-group RESOLVERS
		EOF
		;;
	esac
	for o in $CP_ROUTERS; do
		[ "$o" = "$r" ] && continue
		for f in 4 6; do
			echo " neighbor $(_cp_ibgp_addr "$f" "$r" "$o") peer-group CAMPUS"
			echo " neighbor $(_cp_ibgp_addr "$f" "$r" "$o") update-source $(_cp_ibgp_addr "$f" "$o" "$r")"
		done
	done
	for f in 4 6; do
		echo " address-family ipv$f unicast"
		[ "$r" = core ] && echo "  maximum-paths ibgp 2"
		for o in $CP_ROUTERS; do
			[ "$o" = "$r" ] && continue
			o=$(_cp_ibgp_addr "$f" "$r" "$o")
			echo "  neighbor $o activate"
			echo "  neighbor $o next-hop-self"
		done
		if [ -n "${n:-}" ]; then
			o=$([ $f = 4 ] && echo "10.10.$n.2" || echo "fd10:10:0:$n::2")
			echo "  neighbor $o activate"
			echo "  neighbor $o prefix-list FROM-RESOLVERS$f in"
			echo "  neighbor $o maximum-prefix 2"
			echo "  neighbor $o route-map NOTHING out"
		fi
		echo " exit-address-family"
	done
	echo "exit"
}

# _cp_agent_conf H: etc/anycast-agent.conf with the campus addresses, this host's
# maintenance file and FRR pathspace; drain_ms = CAMPUS_DRAIN_MS (500) when the agent knows
# the key.
_cp_agent_conf() {
	local h=$1 dir f ns
	dir=$(_cp_dir "h$h")
	ns=$(_cp_ns "h$h")
	f=$dir/agent.conf
	# the shipped file has its service commented out: uncomment it, as an operator does
	sed -E 's/^;(\[service |[a-z_]+ = )/\1/' "$CP_REPO/etc/anycast-agent.conf" >"$f" || return 1
	_cp_sub "$f" '^addresses = .*$' "addresses = $CP_A4/32, $CP_A6/128" &&
		_cp_sub "$f" '^maintenance_file = .*$' "maintenance_file = $dir/maintenance" &&
		_cp_sub "$f" '^interface = .*$' "interface = $CP_IF" || return 1
	# this host's FRR pathspace and the campus drain, whatever the shipped file shows of them
	sed -i -E '/^;?[[:space:]]*(frr_pathspace|drain_ms) = /d' "$f" &&
		sed -i "s/^\\[agent\\]\$/[agent]\\nfrr_pathspace = $ns\\ndrain_ms = $CAMPUS_DRAIN_MS/" "$f" || return 1
	# the intra-area variant has the standby interface passive in area 0: the address goes there
	if [ "$CAMPUS_FRR" = intra ]; then
		sed -i -E '/^;?[[:space:]]*standby_announce = /d' "$f" &&
			sed -i "s/^\\[agent\\]\$/[agent]\\nstandby_announce = address/" "$f" || return 1
	fi
	if ! "$AGENT" -c "$f" --config-test >"$dir/config-test.out" 2>&1; then
		_cp_err "$f does not pass --config-test:"
		cat "$dir/config-test.out" >&2
		return 1
	fi
}

# campus_drain: the agents' drain_ms, 0 when they have none.
campus_drain() {
	local v
	v=$(sed -n 's/^drain_ms = \([0-9]*\).*/\1/p' "$(_cp_dir ha)/agent.conf" 2>/dev/null)
	echo "${v:-0}"
}

# ------------------------------------------------------------------------ processes

# _cp_pid_in PIDFILE NS: the pid in PIDFILE, when that process is alive inside NS.
_cp_pid_in() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		[ "$(ip netns identify "$pid" 2>/dev/null)" = "$2" ] && echo "$pid"
}

# _cp_start NAME SHORT PIDFILE LOG CMD...: starts CMD inside namespace SHORT.
_cp_start() {
	local _cs_name=$1 short=$2 pidfile=$3 log=$4 pid
	shift 4
	echo "=== campus: start $_cs_name $(date +%T.%N) ===" >>"$log"
	bg_start pid "$log" ip netns exec "$(_cp_ns "$short")" "$@"
	echo "$pid" >"$pidfile"
}

# _cp_signal SHORT PIDFILE SIGNAL: signals the process of PIDFILE if it lives in SHORT.
_cp_signal() {
	local pid
	pid=$(_cp_pid_in "$2" "$(_cp_ns "$1")") || {
		_cp_err "no running process for $2 in $(_cp_ns "$1")"
		return 1
	}
	kill -s "$3" "$pid"
}

_cp_kill() {
	local pid
	pid=$(_cp_pid_in "$2" "$(_cp_ns "$1")") || return 0
	bg_kill "$pid" KILL
	rm -f "$2"
}

# ------------------------------------------------------------------------ unbound

_cp_ub_answers() {
	local out
	out=$(ip netns exec "$(_cp_ns "$1")" dig +time=1 +tries=1 +short @"$2" "$CP_PROBE_NAME" \
		"$CP_PROBE_TYPE" 2>/dev/null)
	[ -n "$out" ] && [ "$(dns_rcode "$(_cp_ns "$1")" "$2" "$CP_PROBE_NAME" "$CP_PROBE_TYPE")" = NOERROR ]
}

unbound_start() {
	local hs dir
	hs=$(_cp_host "$1") || return 1
	dir=$(_cp_dir "$hs")
	_cp_pid_in "$dir/unbound.bgpid" "$(_cp_ns "$hs")" >/dev/null && return 0
	_cp_start unbound "$hs" "$dir/unbound.bgpid" "$dir/unbound.log" \
		/usr/sbin/unbound -d -c "$dir/unbound.conf"
	wait_for 10 _cp_ub_answers "$hs" 127.0.0.1 || {
		_cp_err "unbound on $hs does not answer $CP_PROBE_NAME (see $dir/unbound.log)"
		return 1
	}
}

# _cp_ub_pidfile H: the pid file of host H's unbound (the ub_pid name of lib.sh).
_cp_ub_pidfile() { echo "$CAMPUS_DIR/h$1/unbound.bgpid"; }

unbound_kill() { _cp_host "$1" >/dev/null && _cp_kill "h$1" "$(_cp_ub_pidfile "$1")"; }
unbound_stop() { _cp_host "$1" >/dev/null && _cp_signal "h$1" "$(_cp_ub_pidfile "$1")" STOP; }
unbound_cont() { _cp_host "$1" >/dev/null && _cp_signal "h$1" "$(_cp_ub_pidfile "$1")" CONT; }

# servfail_on H: unbound of host H answers SERVFAIL for the probe name from now on, without a
# restart: the name's local data and zone type are saved, the name becomes a
# transparent zone of its own without data, forwarded to loopback, which unbound refuses
# to query (do-not-query-localhost), so it SERVFAILs at once. A probe that arrives between
# the data's removal and the forward goes to recursion: with a default route (the BGP
# mode's hosts) that waits for the root servers' timeouts, and later queries for the name
# join it. The request list is flushed at the end, so none waits.
servfail_on() {
	local hs ns dir
	hs=$(_cp_host "$1") || return 1
	ns=$(_cp_ns "$hs")
	dir=$(_cp_dir "$hs")
	ub_control "$ns" "$dir" list_local_zones | awk -v n="$CP_PROBE_NAME" '$1 == n { print $2 }' \
		>"$dir/servfail.zone" &&
		ub_control "$ns" "$dir" list_local_data | tr '\t' ' ' |
		awk -v n="$CP_PROBE_NAME" '$1 == n' >"$dir/servfail.data" &&
		ub_control "$ns" "$dir" local_data_remove "$CP_PROBE_NAME" >/dev/null &&
		${CP_SERVFAIL_MARK:-:} &&
		ub_control "$ns" "$dir" local_zone "$CP_PROBE_NAME" transparent >/dev/null &&
		ub_control "$ns" "$dir" forward_add "$CP_PROBE_NAME" 127.0.0.1@9 >/dev/null &&
		ub_control "$ns" "$dir" flush "$CP_PROBE_NAME" >/dev/null &&
		ub_control "$ns" "$dir" flush_requestlist >/dev/null
}

# servfail_off H: puts back what servfail_on saved. Both run the command in
# CP_SERVFAIL_MARK (if set) at the moment the answer changes: the benchmark's clock. That is
# when the command that changes it returns (the probe name loses its record: NXDOMAIN, then
# SERVFAIL), not before it starts: unbound-control takes 40-50 ms here to start and connect,
# which the clock counted until 2026-11-30.
servfail_off() {
	local hs ns dir zt rr
	hs=$(_cp_host "$1") || return 1
	ns=$(_cp_ns "$hs")
	dir=$(_cp_dir "$hs")
	ub_control "$ns" "$dir" forward_remove "$CP_PROBE_NAME" >/dev/null || return 1
	zt=$(cat "$dir/servfail.zone" 2>/dev/null)
	if [ -n "$zt" ]; then
		ub_control "$ns" "$dir" local_zone "$CP_PROBE_NAME" "$zt" >/dev/null || return 1
	else
		ub_control "$ns" "$dir" local_zone_remove "$CP_PROBE_NAME" >/dev/null || return 1
	fi
	while IFS= read -r rr; do
		ub_control "$ns" "$dir" local_data "$rr" >/dev/null || return 1
	done <"$dir/servfail.data"
	${CP_SERVFAIL_MARK:-:}
	ub_control "$ns" "$dir" flush_zone "$CP_PROBE_NAME" >/dev/null &&
		ub_control "$ns" "$dir" flush_requestlist >/dev/null
}

# probe_rcode H: the rcode unbound of host H gives to the probe name on 127.0.0.1.
probe_rcode() {
	_cp_host "$1" >/dev/null &&
		dns_rcode "$(_cp_ns "h$1")" 127.0.0.1 "$CP_PROBE_NAME" "$CP_PROBE_TYPE"
}

# ------------------------------------------------------------------------ agent

agent_start() {
	local hs dir
	hs=$(_cp_host "$1") || return 1
	dir=$(_cp_dir "$hs")
	_cp_pid_in "$dir/agent.pid" "$(_cp_ns "$hs")" >/dev/null && return 0
	_cp_start agent "$hs" "$dir/agent.pid" "$dir/agent.log" "$AGENT" -c "$dir/agent.conf" \
		-s "$dir/run"
}

agent_kill() { _cp_host "$1" >/dev/null && _cp_kill "h$1" "$CAMPUS_DIR/h$1/agent.pid"; }
agent_running() {
	_cp_host "$1" >/dev/null && _cp_pid_in "$CAMPUS_DIR/h$1/agent.pid" "$(_cp_ns "h$1")" >/dev/null
}

# anycast_present H: both addresses on anycast0 of host H.
anycast_present() {
	_cp_host "$1" >/dev/null &&
		ns_addrs_present "$(_cp_ns "h$1")" "$CP_IF" "$CP_A4/32" "$CP_A6/128"
}

# standby_present H: both addresses announced through the standby interface of host H (the
# agent's kernel routes, protocol 171, and their local routes), neither on anycast0.
standby_present() {
	local ns f a
	_cp_host "$1" >/dev/null || return 1
	ns=$(_cp_ns "h$1")
	if [ "$CAMPUS_FRR" = intra ]; then
		ns_addrs_present "$ns" "$CP_SB" "$CP_A4/32" "$CP_A6/128" &&
			ns_addrs_absent "$ns" "$CP_IF" "$CP_A4/32" "$CP_A6/128"
		return
	fi
	for f in 4 6; do
		a=$(_cp_anycast "$f")
		ip -n "$ns" "-$f" route show "$a" proto 171 dev "$CP_SB" 2>/dev/null | grep -q . ||
			return 1
		ip -n "$ns" "-$f" route show table local "$a" proto 171 2>/dev/null |
			grep -q '^local ' || return 1
	done
	ns_addrs_absent "$ns" "$CP_IF" "$CP_A4/32" "$CP_A6/128"
}

maint_on() { _cp_host "$1" >/dev/null && touch "$CAMPUS_DIR/h$1/maintenance"; }
maint_off() { _cp_host "$1" >/dev/null && rm -f "$CAMPUS_DIR/h$1/maintenance"; }

# ------------------------------------------------------------------------ freeze

# freeze_host H: the host drops every packet in and out except on lo: links stay up, the
# agent and unbound keep running, the network just stops hearing the host.
freeze_host() {
	local hs
	hs=$(_cp_host "$1") || return 1
	ip netns exec "$(_cp_ns "$hs")" nft -f - <<-'EOF'
		table inet campus_freeze {
			chain in { type filter hook input priority -300; policy drop; iif "lo" accept; }
			chain out { type filter hook output priority -300; policy drop; oif "lo" accept; }
		}
	EOF
}

thaw_host() {
	_cp_host "$1" >/dev/null &&
		ip netns exec "$(_cp_ns "h$1")" nft delete table inet campus_freeze
}

# ------------------------------------------------------------------------ routes and clients

_cp_short() { echo "${1#"$CAMPUS_PREFIX"}"; }

# _cp_fam PREFIX: -6 for an IPv6 prefix, -4 otherwise (`ip route show` does not guess).
_cp_fam() {
	case $1 in
	*:*) echo -6 ;;
	*) echo -4 ;;
	esac
}

# _cp_trace SHORT PREFIX DEPTH: the resolver hosts (a, b) that packets for PREFIX reach from
# SHORT, one per line; "x" for a host without the address, nothing for no route.
_cp_trace() {
	local s=$1 p=$2 depth=$3 dev
	case $s in
	h?)
		if ip -n "$(_cp_ns "$s")" -o addr show dev "$CP_IF" 2>/dev/null | grep -qF " ${p%/*}/"; then
			echo "${s#h}"
		else
			echo x
		fi
		return 0
		;;
	esac
	[ "$depth" -gt 0 ] || return 0
	for dev in $(ip -n "$(_cp_ns "$s")" "$(_cp_fam "$p")" -o route show "$p" 2>/dev/null |
		grep -oE 'dev [^ ]+' | awk '{ print $2 }' | sort -u); do
		case " $CP_ROUTERS $CP_HOSTS " in
		*" $dev "*) _cp_trace "$dev" "$p" $((depth - 1)) ;;
		esac
	done
}

# route_via ROUTER PREFIX: "HOSTS via NH dev IF[, via ...]" for the router's route to PREFIX
# (HOSTS: the resolver hosts it ends at, a, b or a+b), "none" (status 1) without a route.
route_via() {
	local r p line hosts nh
	r=$(_cp_short "$1")
	p=$2
	line=$(ip -n "$(_cp_ns "$r")" "$(_cp_fam "$p")" -o route show "$p" 2>/dev/null | head -n 1)
	if [ -z "$line" ]; then
		echo none
		return 1
	fi
	hosts=$(_cp_trace "$r" "$p" 6 | sort -u | paste -sd+)
	nh=$(grep -oE '(via [^ ]+ )?dev [^ ]+' <<<"$line" | paste -sd, | sed 's/,/, /g')
	echo "${hosts:-?} $nh"
}

route_host() {
	local out
	out=$(route_via "$@")
	echo "${out%% *}"
}

# route_host_is ROUTER PREFIX WANT
route_host_is() {
	[ "$(route_host "$1" "$2")" = "$3" ]
}

_cp_anycast() {
	case $1 in
	4) echo "$CP_A4" ;;
	6) echo "$CP_A6" ;;
	esac
}

# answered_by C FAM: which instance answers client C on the anycast address of family FAM.
answered_by() {
	local out
	out=$(ip netns exec "$(_cp_ns "c$1")" dig @"$(_cp_anycast "$2")" id.server CH TXT +short \
		+time=1 +tries=1 2>/dev/null | grep -m1 '^"' | tr -d '"')
	echo "${out:-none}"
}

# answers C FAM WANT: answered_by is WANT.
answers() {
	[ "$(answered_by "$1" "$2")" = "$3" ]
}

# ------------------------------------------------------------------------ FRR

# _cp_frr_start SHORT...: zebra first (the others connect to its socket), then ospfd,
# ospf6d and bfdd, then the integrated config through vtysh. No -f: an integrated frr.conf
# handed to each daemon with -f is misread (another daemon's `exit` ends config mode).
_cp_frr_start() {
	local s ns run d extra pid
	for s in "$@"; do
		ns=$(_cp_ns "$s")
		run=/var/run/frr/$ns
		_cp_start zebra "$s" "$(_cp_dir "$s")/zebra.bgpid" "$(_cp_dir "$s")/frr-zebra.log" \
			"$FRR_LIBDIR/zebra" -N "$ns" -z "$run/zserv.api" -i "$run/zebra.pid" -P 0 \
			-s 90000000 --log stdout --log-level info
	done
	for s in "$@"; do
		run=/var/run/frr/$(_cp_ns "$s")
		wait_for 10 test -S "$run/zserv.api" || {
			_cp_err "zebra in $(_cp_ns "$s") did not open $run/zserv.api"
			return 1
		}
	done
	for s in "$@"; do
		ns=$(_cp_ns "$s")
		run=/var/run/frr/$ns
		for d in $(_cp_daemons "$s"); do
			[ "$d" = zebra ] && continue
			extra=()
			[ "$d" = bfdd ] && extra=(--bfdctl "$run/bfdd.sock")
			_cp_start "$d" "$s" "$(_cp_dir "$s")/$d.bgpid" "$(_cp_dir "$s")/frr-$d.log" \
				"$FRR_LIBDIR/$d" -N "$ns" -z "$run/zserv.api" -i "$run/$d.pid" -P 0 \
				--log stdout --log-level info "${extra[@]}"
		done
	done
	for s in "$@"; do
		ns=$(_cp_ns "$s")
		for d in $(_cp_daemons "$s"); do
			wait_for 10 test -S "/var/run/frr/$ns/$d.vty" || {
				_cp_err "$d in $ns did not open its vty socket (see $(_cp_dir "$s")/frr-$d.log)"
				return 1
			}
		done
		vtysh -N "$ns" -b >"$(_cp_dir "$s")/vtysh-b.log" 2>&1
		# vtysh -b reports a rejected line but may still exit 0.
		if grep -qE '% |[Ee]rror|[Uu]nknown' "$(_cp_dir "$s")/vtysh-b.log"; then
			_cp_err "vtysh -N $ns -b rejected part of /etc/frr/$ns/frr.conf:"
			sed 's/^/    /' "$(_cp_dir "$s")/vtysh-b.log" >&2
			return 1
		fi
	done
	for s in "$@"; do
		for d in $(_cp_daemons "$s"); do
			pid=$(_cp_pid_in "$(_cp_dir "$s")/$d.bgpid" "$(_cp_ns "$s")") || {
				_cp_err "$d in $(_cp_ns "$s") died (see $(_cp_dir "$s")/frr-$d.log)"
				return 1
			}
		done
	done
}

# _cp_frr_dirs SHORT...: /etc/frr/NS (frr.conf, vtysh.conf) and /var/run/frr/NS, owned
# frr:frr, each listed in $CAMPUS_DIR/frr-dirs before it is created so campus_down removes
# exactly those. A directory that exists and is not ours stops everything.
_cp_frr_dirs() {
	local s ns d
	for s in "$@"; do
		ns=$(_cp_ns "$s")
		for d in "/etc/frr/$ns" "/var/run/frr/$ns"; do
			if [ -e "$d" ]; then
				_cp_err "$d exists and was not created by this test bed (another CAMPUS_PREFIX?)"
				return 1
			fi
			echo "$d" >>"$CAMPUS_DIR/frr-dirs"
			mkdir -p "$d" && chown frr:frr "$d" || return 1
		done
		echo "service integrated-vtysh-config" >"/etc/frr/$ns/vtysh.conf"
		case $s in
		h?) _cp_frr_host_conf "${s#h}" "/etc/frr/$ns/frr.conf" || return 1 ;;
		*) _cp_frr_router_conf "$s" >"/etc/frr/$ns/frr.conf" || return 1 ;;
		esac
		chown frr:frr "/etc/frr/$ns/vtysh.conf" "/etc/frr/$ns/frr.conf"
		chmod 0640 "/etc/frr/$ns/frr.conf"
	done
}

# _cp_full SHORT: Full IPv4 and IPv6 neighbours, as many as the topology gives SHORT.
_cp_full() {
	local ns n4 n6
	ns=$(_cp_ns "$1")
	n4=$(vtysh -N "$ns" -c 'show ip ospf neighbor' 2>/dev/null | grep -c ' Full/')
	n6=$(vtysh -N "$ns" -c 'show ipv6 ospf6 neighbor' 2>/dev/null | grep -c ' Full/')
	[ "$n4" -eq "${CP_NBRS[$1]}" ] && [ "$n6" -eq "${CP_NBRS[$1]}" ] &&
		{ [ "$CAMPUS_FRR" != bgp ] || [ "$(bgp_established "$1")" -eq "${CP_BGP_NBRS[$1]}" ]; }
}

# bgp_established SHORT: the number of Established BGP sessions of SHORT's bgpd.
bgp_established() {
	vtysh -N "$(_cp_ns "$(_cp_short "$1")")" -c 'show bgp neighbors json' 2>/dev/null |
		grep -oE '"bgpState": ?"Established"' | wc -l
}

# bfd_up SHORT: the number of BFD sessions up in SHORT's bfdd.
bfd_up() {
	vtysh -N "$(_cp_ns "$(_cp_short "$1")")" -c 'show bfd peers brief' 2>/dev/null |
		awk '$NF == "up"' | wc -l
}

_cp_bfd_all_up() {
	[ "$(bfd_up ha)" -eq 2 ] && [ "$(bfd_up hb)" -eq 2 ] &&
		[ "$(bfd_up ra)" -eq 2 ] && [ "$(bfd_up rb)" -eq 2 ]
}

# campus_converged: OSPF Full everywhere, BFD up on the resolver links, ra and rb reach
# their own building's resolver for both anycast prefixes, the core reaches one.
campus_converged() {
	local s
	for s in $CP_FRR_NS; do _cp_full "$s" || return 1; done
	_cp_bfd_all_up &&
		route_host_is ra "$CP_A4" a && route_host_is ra "$CP_A6" a &&
		route_host_is rb "$CP_A4" b && route_host_is rb "$CP_A6" b &&
		[ "$(route_host core "$CP_A4")" != none ] && [ "$(route_host core "$CP_A6")" != none ]
}

# _cp_why: what campus_converged is missing, for the error message.
_cp_why() {
	local s ns p
	for s in $CP_FRR_NS; do
		ns=$(_cp_ns "$s")
		echo "  $ns: OSPFv2 Full $(vtysh -N "$ns" -c 'show ip ospf neighbor' 2>/dev/null |
			grep -c ' Full/')/${CP_NBRS[$s]}, OSPFv3 Full $(vtysh -N "$ns" \
			-c 'show ipv6 ospf6 neighbor' 2>/dev/null | grep -c ' Full/')/${CP_NBRS[$s]}," \
			"$([ "$CAMPUS_FRR" = bgp ] && echo "BGP Established $(bgp_established "$s")/${CP_BGP_NBRS[$s]},")" \
			"BFD up $(bfd_up "$s")"
	done
	for s in core ra rb; do
		for p in "$CP_A4" "$CP_A6"; do echo "  $(_cp_ns "$s") $p: $(route_via "$s" "$p")"; done
	done
	for s in a b; do
		echo "  host $s: agent $(agent_running "$s" && echo running || echo stopped)," \
			"anycast $(anycast_present "$s" && echo present || echo absent)"
	done
}

# ------------------------------------------------------------------------ up and down

_cp_sysctls() {
	local s=$1
	ns_sysctl "$(_cp_ns "$s")" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	case $s in
	core | ra | rb)
		ns_sysctl "$(_cp_ns "$s")" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		;;
	esac
}

_cp_links() {
	local link l r n cost il ir nl nr s
	for link in "${CP_LINKS[@]}"; do
		read -r l r n cost <<<"$link"
		il=$(_cp_ifname "$l" "$r")
		ir=$(_cp_ifname "$r" "$l")
		nl=$(_cp_ns "$l")
		nr=$(_cp_ns "$r")
		ip -n "$nl" link add name "$il" type veth peer name "$ir" netns "$nr" &&
			ip -n "$nl" link set dev "$il" up && ip -n "$nr" link set dev "$ir" up &&
			ip -n "$nl" addr add "10.10.$n.1/24" dev "$il" &&
			ip -n "$nr" addr add "10.10.$n.2/24" dev "$ir" &&
			ip -n "$nl" addr add "fd10:10:0:$n::1/64" dev "$il" nodad &&
			ip -n "$nr" addr add "fd10:10:0:$n::2/64" dev "$ir" nodad || {
			_cp_err "link $l-$r (10.10.$n.0/24) failed"
			return 1
		}
	done
	# Clients: a default route to their building router.
	ip -n "$(_cp_ns ca)" route add default via 10.10.21.1 &&
		ip -n "$(_cp_ns ca)" -6 route add default via fd10:10:0:21::1 &&
		ip -n "$(_cp_ns cb)" route add default via 10.10.22.1 &&
		ip -n "$(_cp_ns cb)" -6 route add default via fd10:10:0:22::1 || return 1
	# CAMPUS_FRR=bgp: the routers' loopbacks (the iBGP sessions' ends), and the hosts' default
	# routes (they accept nothing over BGP: a host routes by its kernel, as a deployment does)
	if [ "$CAMPUS_FRR" = bgp ]; then
		for s in $CP_ROUTERS; do
			ip -n "$(_cp_ns "$s")" addr add "$(_cp_lo4 "$s")/32" dev lo &&
				ip -n "$(_cp_ns "$s")" addr add "$(_cp_lo6 "$s")/128" dev lo nodad || return 1
		done
		ip -n "$(_cp_ns ha)" route add default via 10.10.11.1 &&
			ip -n "$(_cp_ns ha)" -6 route add default via fd10:10:0:11::1 &&
			ip -n "$(_cp_ns hb)" route add default via 10.10.12.1 &&
			ip -n "$(_cp_ns hb)" -6 route add default via fd10:10:0:12::1 || return 1
	fi
	# The stranger outside the campus prefixes, on ra, and the hosts' way back to it.
	ip -n "$(_cp_ns ra)" addr add "$CP_STRANGER4/32" dev lo &&
		ip -n "$(_cp_ns ra)" addr add "$CP_STRANGER6/128" dev lo nodad &&
		ip -n "$(_cp_ns ha)" route add 198.51.100.0/24 via 10.10.11.1 &&
		ip -n "$(_cp_ns ha)" -6 route add 2001:db8:5::/48 via fd10:10:0:11::1 &&
		ip -n "$(_cp_ns hb)" route add 198.51.100.0/24 via 10.10.12.1 &&
		ip -n "$(_cp_ns hb)" -6 route add 2001:db8:5::/48 via fd10:10:0:12::1
}

# campus_up: builds the whole campus and waits (up to CAMPUS_UP_TIMEOUT, 60 s) until it has
# converged; non-zero with the reason on stderr otherwise. Leftovers of an earlier run with
# the same prefix are removed first.
campus_up() {
	local s h f
	[ "$(id -u)" = 0 ] || {
		_cp_err "run as root"
		return 1
	}
	[ -x "$AGENT" ] || {
		_cp_err "agent binary $AGENT is not executable (make, or set AGENT)"
		return 1
	}
	if [ -z "$CP_PROBE_NAME" ]; then
		_cp_err "no 'query =' in etc/anycast-agent.conf"
		return 1
	fi
	if [ -z "$CAMPUS_FRR_CONF" ] || [ ! -r "$CAMPUS_FRR_CONF" ]; then
		_cp_err "no FRR config for the hosts (CAMPUS_FRR=$CAMPUS_FRR: external or intra;" \
			"CAMPUS_FRR_CONF=${CAMPUS_FRR_CONF:-unset})"
		return 1
	fi
	_cp_mode_init
	[ -e "$CAMPUS_DIR/frr-dirs" ] && campus_down
	for s in $(_cp_all_ns); do
		if ip netns list | grep -qE "^$(_cp_ns "$s")( |$)"; then
			_cp_err "namespace $(_cp_ns "$s") exists and is not ours (set CAMPUS_PREFIX)"
			return 1
		fi
	done
	rm -rf "$CAMPUS_DIR"
	mkdir -p "$CAMPUS_DIR" || return 1
	: >"$CAMPUS_DIR/frr-dirs"
	for f in ospfd-gr.json ospf6d-gr.json ospf6d-at-seq-no.dat; do
		[ -e "/var/run/frr/$f" ] || echo "/var/run/frr/$f" >>"$CAMPUS_DIR/frr-state"
	done
	for s in $(_cp_all_ns); do
		mkdir -p "$(_cp_dir "$s")"
		_cp_ns "$s" >>"$CAMPUS_DIR/namespaces"
		ip netns add "$(_cp_ns "$s")" && ip -n "$(_cp_ns "$s")" link set dev lo up &&
			_cp_sysctls "$s" || {
			_cp_err "namespace $(_cp_ns "$s") failed"
			return 1
		}
	done
	_cp_links || return 1
	for h in a b; do
		ip -n "$(_cp_ns "h$h")" link add name "$CP_IF" type ifb &&
			ip -n "$(_cp_ns "h$h")" link set dev "$CP_IF" up &&
			ip -n "$(_cp_ns "h$h")" link add name "$CP_SB" type ifb || {
			_cp_err "ifb $CP_IF or $CP_SB in $(_cp_ns "h$h") failed"
			return 1
		}
		_cp_unbound_conf "$h" && _cp_agent_conf "$h" && unbound_start "$h" || return 1
	done
	# shellcheck disable=SC2086 # word lists
	{ _cp_frr_dirs $CP_FRR_NS && _cp_frr_start $CP_FRR_NS; } || return 1
	for h in a b; do agent_start "$h" || return 1; done
	if ! wait_for "${CAMPUS_UP_TIMEOUT:-60}" campus_converged; then
		_cp_err "not converged after ${CAMPUS_UP_TIMEOUT:-60} s:"
		_cp_why >&2
		return 1
	fi
}

# campus_down: kills every process in the namespaces campus_up created (all started here),
# deletes them, the FRR directories listed in frr-dirs and FRR state files this run created.
# Only what $CAMPUS_DIR lists: a namespace of the same name that campus_up found already
# there is not ours.
campus_down() {
	local ns d
	# stderr off while killing: bash would report each background job it started as Killed.
	{
		bg_kill_all
		if [ -e "$CAMPUS_DIR/namespaces" ]; then
			while read -r ns; do ns_destroy "$ns"; done <"$CAMPUS_DIR/namespaces"
		fi
	} 2>/dev/null
	if [ -e "$CAMPUS_DIR/frr-dirs" ]; then
		while read -r d; do
			case $d in
			/etc/frr/"$CAMPUS_PREFIX"* | /var/run/frr/"$CAMPUS_PREFIX"*) rm -rf -- "$d" ;;
			esac
		done <"$CAMPUS_DIR/frr-dirs"
	fi
	# ospfd/ospf6d write these outside their pathspace; remove them if we created them and no
	# other FRR pathspace is running.
	if [ -e "$CAMPUS_DIR/frr-state" ] && ! ls /var/run/frr/*/zserv.api >/dev/null 2>&1; then
		while read -r d; do rm -f -- "$d"; done <"$CAMPUS_DIR/frr-state"
	fi
	if [ "${CAMPUS_KEEP:-0}" = 1 ]; then
		rm -f "$CAMPUS_DIR/frr-dirs" "$CAMPUS_DIR/namespaces" "$CAMPUS_DIR/frr-state"
	else
		rm -rf "$CAMPUS_DIR"
	fi
	return 0
}

campus_status() {
	local s c f
	for s in $(_cp_all_ns); do
		if ip netns list | grep -qE "^$(_cp_ns "$s")( |$)"; then
			echo "$(_cp_ns "$s"): up"
		else
			echo "$(_cp_ns "$s"): absent"
		fi
	done
	_cp_why
	for s in a b; do
		echo "  host $s: unbound $(_cp_pid_in "$(_cp_dir "h$s")/unbound.bgpid" \
			"$(_cp_ns "h$s")" >/dev/null && echo running || echo stopped)," \
			"probe $(probe_rcode "$s"), drain $(campus_drain)"
	done
	for c in a b; do
		for f in 4 6; do echo "  client $c IPv$f: answered by $(answered_by "$c" "$f")"; done
	done
}

# ------------------------------------------------------------------------ command line

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	up)
		trap 'campus_down; exit 130' INT
		trap 'campus_down; exit 143' TERM
		trap 'campus_down; exit 129' HUP
		if campus_up; then
			echo "campus up (prefix $CAMPUS_PREFIX, files in $CAMPUS_DIR; tests/bed/campus.sh down)"
			campus_status
			exit 0
		fi
		campus_down
		exit 1
		;;
	down) campus_down ;;
	status) campus_status ;;
	*)
		echo "usage: $0 up|down|status   (CAMPUS_PREFIX=$CAMPUS_PREFIX AGENT=$AGENT)" >&2
		exit 2
		;;
	esac
fi

# campus_test_up DIR: for a test script: builds the agent when BUILD=1 (make, log in DIR),
# then campus_up, each reported as a TAP line; a failure ends the script with its log. Sets
# t0 to when campus_up began.
campus_test_up() {
	local dir=$1
	if [ "${BUILD:-0}" = 1 ]; then
		if make -C "$CP_REPO" >"$dir/make.log" 2>&1; then
			tap_ok "make builds $AGENT"
		else
			tap_fail "make builds $AGENT"
			tail -n 20 "$dir/make.log" | sed 's/^/#   /'
			tap_summary
			exit 1
		fi
	fi
	t0=$(_now_us)
	if ! campus_up 2>"$dir/up.err"; then
		tap_fail "campus up: OSPF Full everywhere, BFD up, anycast routes learned"
		sed 's/^/#   /' "$dir/up.err"
		tap_summary
		exit 1
	fi
}
