/* SPDX-License-Identifier: MIT */
/* frr: what FRR makes of our addresses, asked through vtysh (JSON output, json-c), for
 * --check-once and --maintenance. Read-only: only "show" commands are run, never through a
 * shell, one vtysh per command (several -c in one run would not give one JSON document).
 *
 * First "show daemons": only the routing daemons that run are asked, one that does not is
 * not used (vtysh would say "bgpd is not running" on stderr, exit status 1). ospfd and
 * ospf6d: their self-originated LSAs and Full neighbours. bgpd, per family wanted: its
 * neighbours (summary; "{}" when it has none of that family, or no instance: BGP is then
 * not used for it), then per service address the prefix's own answer: originated when the
 * best path is "sourced" (redistributed or a network statement), its AS path's length (our
 * AS prepended: the standby announcement), and "advertisedTo", the neighbours that have it
 * in their Adj-RIB-Out, after the out policy. One run per address, not the whole table plus
 * "advertised-routes" per neighbour: two or three runs per family on a usual host.
 *
 * The walkers are pure functions over the JSON text of one command; they check the type
 * of everything they use, so any surprise is an error message, never a crash. Shapes
 * (FRR 8.2 to 10.x, see tests/data/frr/README) and what they mean:
 *   an LSA at MaxAge (3600 s) is being flushed and counts as not originated;
 *   "{}" and empty output (no OSPF instance, FRR 9.0+ and ospf6d) mean "nothing";
 *   "% OSPF is not enabled ..." (ospfd 8.x without an instance) is an error. */
#ifndef FRR_H
#define FRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

struct frr_opts {
	const char *vtysh;	     /* absolute path */
	const char *pathspace;	     /* vtysh -N; NULL or "" for none */
	bool want4, want6;	     /* ask about IPv4 (ospfd, bgpd), IPv6 (ospf6d, bgpd) */
	uint64_t deadline_us;	     /* CLOCK_MONOTONIC, absolute: every vtysh is killed by then */
	const struct nl_addr *addrs; /* the service addresses, for bgpd (asked one by one) */
	size_t naddrs;
};

/* bgpd's view of one service address (one per frr_opts address of a family bgp_asked). */
struct frr_bgp_addr {
	struct nl_addr addr;
	bool originated;  /* its best path is this router's own (redistributed, network) */
	unsigned aslen;	  /* ASNs on that path: 0, or more when prepended (the standby) */
	int advertised;	  /* Established neighbours of its family that it is advertised to */
	char missing[64]; /* the first Established neighbour it is not advertised to, or "" */
};

struct frr_view {
	/* prefixes this router originates: AS-external LSAs and intra-area announcements
	 * (stub links of its router-LSA, its intra-area-prefix LSAs); sorted, no duplicates.
	 * Only a family whose asked is true has any. */
	struct nl_addr *originated;
	size_t noriginated;
	int full4, full6;    /* Full OSPFv2 / OSPFv3 adjacencies; -1 when not asked or unreadable */
	bool asked4, asked6; /* every answer of that daemon was read and understood */
	char error[256];     /* the first problem, one line, or "" */
	/* FRR_DAEMONS: which run; when that is unknown (an old or fake vtysh), ospfd and
	 * ospf6d are assumed and bgpd is not. A daemon that does not run is not asked. */
	unsigned daemons;
	/* bgpd, per family wanted that has a BGP instance with neighbours: */
	bool bgp_asked4, bgp_asked6;	/* its summary and every address's answer understood */
	int established4, established6; /* Established neighbours; -1 when not asked */
	int peers4, peers6;	  /* all its neighbours; 0 without (summary "{}"), -1 not asked */
	int heard4, heard6;	  /* Established neighbours every originated address goes to */
	struct frr_bgp_addr *bgp; /* the addresses of the bgp_asked families */
	size_t nbgp;
};

/* Asks vtysh which daemons run, then those o wants about their database and neighbours,
 * all by o->deadline_us.
 * 0 with v filled (v->error says what could not be read), -ENOENT when o->vtysh is
 * missing or not executable, -ENOMEM. Call frr_view_free() after any return. */
int frr_view_read(const struct frr_opts *o, struct frr_view *v);
void frr_view_free(struct frr_view *v);
/* Is a (same family, address and length) in v->originated, or originated by bgpd? */
bool frr_view_originates(const struct frr_view *v, const struct nl_addr *a);
/* bgpd's view of a, or NULL when bgpd was not asked about it. */
const struct frr_bgp_addr *frr_view_bgp(const struct frr_view *v, const struct nl_addr *a);

/* What frr_view_read() asks, one vtysh -c each. */
#define FRR_OSPF_NBR	 "show ip ospf neighbor json"
#define FRR_OSPF_EXT	 "show ip ospf database external self-originate json"
#define FRR_OSPF_ROUTER	 "show ip ospf database router self-originate json"
#define FRR_OSPF6_NBR	 "show ipv6 ospf6 neighbor json"
#define FRR_OSPF6_EXT	 "show ipv6 ospf6 database as-external self-originated json"
#define FRR_OSPF6_INTRA	 "show ipv6 ospf6 database intra-prefix self-originated detail json"
#define FRR_DAEMONS	 "show daemons"
#define FRR_BGP_SUMMARY4 "show bgp ipv4 unicast summary json"
#define FRR_BGP_SUMMARY6 "show bgp ipv6 unicast summary json"
/* one per address, %s its prefix with the length (without it bgpd finds the longest match) */
#define FRR_BGP_ROUTE4 "show bgp ipv4 unicast %s json"
#define FRR_BGP_ROUTE6 "show bgp ipv6 unicast %s json"

/* The walkers (agent/frr_json.c): json is the whole output of the named command. They
 * return 0, -EBADMSG with a one-line message in err naming the command and what was
 * unexpected, or -ENOMEM. A prefix walker calls cb once per prefix of each live LSA (a prefix may
 * come more than once); after an error some prefixes may already have been reported. */
typedef void (*frr_prefix_cb)(const struct nl_addr *a, void *data);

/* FRR_OSPF_EXT */
int frr_ospf_external(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen);
/* FRR_OSPF_ROUTER: the "Stub Network" links (a passive interface's prefixes, announced
 * into the area) */
int frr_ospf_router_stubs(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen);
/* FRR_OSPF_NBR: *full is the number of adjacencies in state Full */
int frr_ospf_neighbours(const char *json, int *full, char *err, size_t errlen);
/* FRR_OSPF6_EXT */
int frr_ospf6_external(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen);
/* FRR_OSPF6_INTRA */
int frr_ospf6_intra_prefixes(const char *json, frr_prefix_cb cb, void *data, char *err,
			     size_t errlen);
/* FRR_OSPF6_NBR */
int frr_ospf6_neighbours(const char *json, int *full, char *err, size_t errlen);

/* The walkers of agent/frr_bgp.c, with the same returns. */
enum { FRR_OSPFD = 1, FRR_OSPF6D = 2, FRR_BGPD = 4 };
/* FRR_DAEMONS (text, " zebra ospfd bgpd"): *mask of the FRR_* above that run */
int frr_daemons(const char *text, unsigned *mask, char *err, size_t errlen);
typedef void (*frr_name_cb)(const char *name, void *data);
/* FRR_BGP_SUMMARY4/6 of family: *as our AS number and *peers the neighbours of that family,
 * cb once per neighbour in state Established. "{}" (no instance, or no neighbour of the
 * family) gives 0 and *as 0. */
int frr_bgp_summary(const char *json, int family, uint32_t *as, int *peers, frr_name_cb cb,
		    void *data, char *err, size_t errlen);
struct frr_bgp_path {
	bool sourced;	/* the best path is this router's own ("sourced": true) */
	unsigned aslen; /* its AS path's length ("aspath"."length") */
};
/* FRR_BGP_ROUTE4/6 of one prefix, cmd as run (for messages): *best the best path, all zero
 * when there is none ("{}": the prefix is not in the table); cb once per neighbour the
 * prefix is advertised to ("advertisedTo"; a name may come twice). */
int frr_bgp_route(const char *json, const char *cmd, struct frr_bgp_path *best, frr_name_cb cb,
		  void *data, char *err, size_t errlen);

#endif
