/* SPDX-License-Identifier: MIT */
/* netlink: the kernel side of anycast-agent, through libmnl.
 *
 * Every request carries NLM_F_ACK and its reply is checked with mnl_cb_run(seq, portid).
 * Functions return 0 or -errno and log nothing above debug: the agent logs once, where it
 * handles the error. A request unanswered for 2 s gives -ETIMEDOUT. Request buffers are
 * zeroed before they are built: no byte of ours that the kernel reads is uninitialised. */
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

struct nl_link {
	unsigned ifindex;
	char name[IFNAMSIZ];
	char kind[16]; /* IFLA_INFO_KIND ("dummy", "ifb", "veth"), "" for a link without one */
	bool up;       /* IFF_UP */
};

/* The link named ifname, or when ifname is NULL the one with index ifindex. -ENODEV when
 * there is no such link. out may be NULL (is there one?). */
int nl_link_get(struct nl *nl, const char *ifname, unsigned ifindex, struct nl_link *out);
/* Creates a link of kind "dummy". -EEXIST when the name is taken; -EOPNOTSUPP when the
 * kernel has no dummy driver ("Unknown device type"). */
int nl_link_create_dummy(struct nl *nl, const char *ifname);
int nl_link_set_up(struct nl *nl, unsigned ifindex);

/* Idempotent: 0 added, 1 when it was there already (EEXIST: for IPv6 that may be the same
 * address with another prefix length). IPv6 is added with IFA_F_NODAD so it is never
 * tentative (its kernel route follows the ACK by a moment). */
int nl_addr_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a);
/* Idempotent: 0 removed, 1 when it was not there (EADDRNOTAVAIL). */
int nl_addr_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a);

/* Draining: while a local route for a's address exists the host keeps accepting traffic
 * for it after the address itself (and so the announced route) is gone, so that packets
 * routers still send during convergence are answered, not lost. Idempotent both ways;
 * the route is ours alone (its own protocol and metric, on lo), never the kernel's.
 * IPv6 refuses it (-ENETDOWN) while lo is down. */
int nl_drain_add(struct nl *nl, const struct nl_addr *a);
int nl_drain_del(struct nl *nl, const struct nl_addr *a);

/* The standby announcement of a: a route to it via ifindex (the standby interface) in the
 * main table, which FRR's zebra takes for a kernel route (ospfd: `redistribute kernel
 * metric ...`), and a local route on lo so that the host still answers it. Both ours alone
 * (protocol and metric 171), unlike the kernel's routes and the drain's. Not an address:
 * ospfd refreshes a moved connected route at the default metric without its route-map.
 * 0 added (removed), 1 when both were there (gone) already; ifindex 0 on removal: the link
 * went with its route, only the local route is left to remove. */
int nl_standby_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a);
int nl_standby_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a);

/* Kernel-side filtering of dumps (NETLINK_GET_STRICT_CHK): on by default where the kernel
 * has it (4.20+). Off, a dump covers the namespace and is filtered here, as on older
 * kernels: such dumps span many reads and get interrupted by unrelated changes. */
int nl_set_strict(struct nl *nl, bool on);
/* Dumps read again because the kernel flagged them interrupted, since nl_create(). */
unsigned long nl_dump_retries(const struct nl *nl);

typedef void (*nl_addr_cb)(const struct nl_addr *a, void *data);
/* Every IPv4 and IPv6 address on ifindex, from one complete dump: the kernel filters by
 * ifindex where it can (strict checking), a dump interrupted by concurrent changes
 * (NLM_F_DUMP_INTR) is read to its end and retried, and cb runs only once a whole dump was
 * read, so it may make requests itself. -EINTR after 8 interrupted tries. */
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
	struct nl_link link; /* links only */
	struct nl_addr addr; /* addresses only */
};

typedef void (*nl_event_cb)(const struct nl_event *ev, void *data);
/* Reads every pending event without blocking and hands each to cb. -ENOBUFS means the
 * kernel dropped events (receive overrun), -EINVAL that a malformed one was skipped: after
 * any error the caller must re-read the state it tracks. */
int nl_event_read(struct nl *nl, nl_event_cb cb, void *data);

/* Sockets (sock_diag, NETLINK_SOCK_DIAG): who listens where in this network namespace. */
struct nl_sock {
	int family; /* AF_INET or AF_INET6 */
	int proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} local;
	uint16_t port; /* host order */
	bool v6only;   /* an IPv6 wildcard that does not take IPv4 */
};

typedef void (*nl_sock_cb)(const struct nl_sock *s, void *data);
/* Every listening TCP socket and every bound, unconnected UDP socket, both families, through
 * a sock_diag socket of its own (no privilege needed). 0 or -errno. */
int nl_listeners(nl_sock_cb cb, void *data);
/* Does s take proto traffic for address a on port: bound to a itself, to its family's
 * wildcard, or to the IPv6 wildcard without IPV6_V6ONLY (for IPv4)? */
bool nl_sock_accepts(const struct nl_sock *s, int proto, const struct nl_addr *a, uint16_t port);

/* The kernel's reports of destroyed sockets (sock_diag multicast; CAP_NET_ADMIN), for one
 * proto (IPPROTO_TCP or IPPROTO_UDP), both families, this network namespace. Filtered in
 * the kernel to the listeners (sockets without a peer) on one of ports. -EPERM
 * without the privilege; a kernel without the groups fails the subscription (-EINVAL,
 * -ENOENT...). */
#define NL_SOCKWATCH_MAX_PORTS 64
struct nl_sockwatch;
int nl_sockwatch_create(struct nl_sockwatch **out, int proto, const uint16_t *ports, size_t n);
/* Replaces the ports (a reload). */
int nl_sockwatch_set_ports(struct nl_sockwatch *w, const uint16_t *ports, size_t n);
void nl_sockwatch_destroy(struct nl_sockwatch *w);
int nl_sockwatch_fd(const struct nl_sockwatch *w);
/* Every pending report to cb (the socket as it was: family, local address, port), without
 * blocking. -ENOBUFS when reports were lost (treat as "any listener may be gone"). */
int nl_sockwatch_read(struct nl_sockwatch *w, nl_sock_cb cb, void *data);

#endif
