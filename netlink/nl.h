/* SPDX-License-Identifier: MIT */
/* netlink: the kernel side of anycast-agent, through libmnl.
 *
 * Every request carries NLM_F_ACK and its reply is checked with mnl_cb_run(seq, portid).
 * Functions return 0 or -errno and log nothing above debug: the agent logs once, where it
 * handles the error. A request unanswered for 2 s gives -ETIMEDOUT. A request made from
 * inside nl_addr_dump()'s callback gives -EBUSY (it would reuse the buffer being read). */
#ifndef NL_H
#define NL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

/* "fd53::53/128" at most */
#define NL_ADDRSTRLEN (INET6_ADDRSTRLEN + 4)

/* "addr" or "addr/len"; without a length the address is a host route (/32, /128).
 * 0, or -EINVAL for anything else (whitespace included). */
int nl_addr_parse(const char *s, struct nl_addr *out);
/* "10.53.0.53/32"; returns buf. */
const char *nl_addr_str(const struct nl_addr *a, char *buf, size_t len);
/* Same family, address and prefix length. */
bool nl_addr_equal(const struct nl_addr *a, const struct nl_addr *b);

struct nl;

/* Opens a request socket and an event socket subscribed to link and IPv4/IPv6 address
 * changes. Both are non-blocking only where that matters (the event socket). */
int nl_create(struct nl **out);
void nl_destroy(struct nl *nl);
/* Poll this for readability, then call nl_event_read(). */
int nl_event_fd(const struct nl *nl);

/* -ENODEV when there is no such link. up is IFF_UP. */
int nl_link_get(struct nl *nl, const char *ifname, unsigned *ifindex, bool *up);
/* Creates a link of kind "dummy". -EEXIST when the name is taken; -EOPNOTSUPP when the
 * kernel has no dummy driver ("Unknown device type"). */
int nl_link_create_dummy(struct nl *nl, const char *ifname);
int nl_link_set_up(struct nl *nl, unsigned ifindex);

/* Idempotent: an address already there (EEXIST) is success. IPv6 is added with
 * IFA_F_NODAD so it is never tentative (its kernel route follows the ACK by a moment). */
int nl_addr_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a);
/* Idempotent: an address already gone (EADDRNOTAVAIL) is success. */
int nl_addr_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a);

/* Draining: while a local route for a's address exists the host keeps accepting traffic
 * for it after the address itself (and so the announced route) is gone, so that packets
 * routers still send during convergence are answered, not lost. Idempotent both ways;
 * the route is ours alone (its own protocol and metric, on lo), never the kernel's.
 * IPv6 refuses it (-ENETDOWN) while lo is down. */
int nl_drain_add(struct nl *nl, const struct nl_addr *a);
int nl_drain_del(struct nl *nl, const struct nl_addr *a);

typedef void (*nl_addr_cb)(const struct nl_addr *a, void *data);
/* Every IPv4 and IPv6 address on ifindex. */
int nl_addr_dump(struct nl *nl, unsigned ifindex, nl_addr_cb cb, void *data);

enum nl_event_type {
	NL_EV_NEWADDR,
	NL_EV_DELADDR,
	NL_EV_NEWLINK,
	NL_EV_DELLINK,
};

struct nl_event {
	enum nl_event_type type;
	unsigned ifindex;
	char ifname[IFNAMSIZ]; /* links only */
	bool up;	       /* links only: IFF_UP */
	struct nl_addr addr;   /* addresses only */
};

typedef void (*nl_event_cb)(const struct nl_event *ev, void *data);
/* Reads every pending event without blocking and hands each to cb. -ENOBUFS means the
 * kernel dropped events (receive overrun), -EINVAL that a malformed one was skipped: after
 * any error the caller must re-read the state it tracks. */
int nl_event_read(struct nl *nl, nl_event_cb cb, void *data);

#endif
