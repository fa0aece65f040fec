/* SPDX-License-Identifier: MIT */
/* nl_msg: rtnetlink requests and parsers over caller buffers, no sockets.
 *
 * Builders write one complete message at the start of buf (aligned for struct nlmsghdr);
 * its length is ((struct nlmsghdr *)buf)->nlmsg_len. Every request carries
 * NLM_F_REQUEST | NLM_F_ACK. They return 0, -EINVAL for bad arguments or -EMSGSIZE when
 * buf is too small (NL_MSG_REQ_SIZE is always enough).
 *
 * Parsers take one message whose nlmsg_len bytes are readable (as mnl_nlmsg_ok() checks)
 * and return 0, -EINVAL for a malformed or truncated message, or -EAFNOSUPPORT for a
 * well-formed message of a family we do not handle. */
#ifndef NL_MSG_H
#define NL_MSG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

#define NL_MSG_REQ_SIZE 256

/* RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL, scope universe. IPv4 sets IFA_LOCAL and
 * IFA_ADDRESS; IPv6 sets IFA_ADDRESS and IFA_F_NODAD (in ifa_flags and IFA_FLAGS). */
int nl_msg_addr_add(void *buf, size_t len, uint32_t seq, unsigned ifindex, const struct nl_addr *a);
/* RTM_DELADDR with the same body as nl_msg_addr_add(). */
int nl_msg_addr_del(void *buf, size_t len, uint32_t seq, unsigned ifindex, const struct nl_addr *a);
/* RTM_GETADDR, NLM_F_DUMP, all families, ifa_index = ifindex: a kernel with strict checking
 * on the socket (NETLINK_GET_STRICT_CHK) dumps that link only; others dump every link, so
 * filter the replies too. */
int nl_msg_addr_dump(void *buf, size_t len, uint32_t seq, unsigned ifindex);

/* Drain routes: a local route (table local, type local, scope host) for a's host address
 * via oif, with our own protocol and metric so that it never matches the kernel's route
 * for the same address and survives the address's removal. */
#define NL_RTPROT_DRAIN 170
#define NL_DRAIN_METRIC 170
int nl_msg_route_local_add(void *buf, size_t len, uint32_t seq, unsigned oif,
			   const struct nl_addr *a);
int nl_msg_route_local_del(void *buf, size_t len, uint32_t seq, unsigned oif,
			   const struct nl_addr *a);

/* Standby routes (see nl_standby_add()): protocol 171, metric 171. */
#define NL_RTPROT_STANDBY 171
#define NL_STANDBY_METRIC 171
/* Which route: its table (local: type local, scope host; else unicast, scope link), its
 * protocol and its metric. */
struct nl_route_kind {
	unsigned char table, protocol;
	uint32_t metric;
};
extern const struct nl_route_kind nl_route_drain, nl_route_standby_local, nl_route_standby;
int nl_msg_route_add(void *buf, size_t len, uint32_t seq, unsigned oif, const struct nl_addr *a,
		     const struct nl_route_kind *k);
int nl_msg_route_del(void *buf, size_t len, uint32_t seq, unsigned oif, const struct nl_addr *a,
		     const struct nl_route_kind *k);

/* RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL, IFLA_IFNAME and IFLA_LINKINFO/IFLA_INFO_KIND
 * "dummy". */
int nl_msg_link_create_dummy(void *buf, size_t len, uint32_t seq, const char *ifname);
/* RTM_NEWLINK that sets IFF_UP (and only that flag) on ifindex. */
int nl_msg_link_set_up(void *buf, size_t len, uint32_t seq, unsigned ifindex);
/* RTM_GETLINK by IFLA_IFNAME, or by ifi_index when ifname is NULL. */
int nl_msg_link_get(void *buf, size_t len, uint32_t seq, const char *ifname, unsigned ifindex);
/* SOCK_DIAG_BY_FAMILY dump of family's proto sockets: TCP in state LISTEN, UDP in state
 * CLOSE (bound, unconnected: what a server listens with). */
int nl_msg_diag_dump(void *buf, size_t len, uint32_t seq, int family, int proto);

/* RTM_NEWADDR or RTM_DELADDR. The address is IFA_LOCAL if present, else IFA_ADDRESS (the
 * kernel sends IPv6 IFA_LOCAL only with a peer). flags (may be NULL) is IFA_FLAGS if
 * present, else ifa_flags. */
int nl_msg_parse_addr(const struct nlmsghdr *nlh, unsigned *ifindex, struct nl_addr *a,
		      uint32_t *flags);
/* RTM_NEWLINK or RTM_DELLINK of family AF_UNSPEC (bridge port messages are
 * -EAFNOSUPPORT); IFLA_IFNAME is required, IFLA_LINKINFO/IFLA_INFO_KIND optional. */
int nl_msg_parse_link(const struct nlmsghdr *nlh, struct nl_link *out);
/* A SOCK_DIAG_BY_FAMILY answer (struct inet_diag_msg) for a socket of proto. */
int nl_msg_parse_diag(const struct nlmsghdr *nlh, int proto, struct nl_sock *out);
/* RTM_NEWADDR, RTM_DELADDR, RTM_NEWLINK or RTM_DELLINK into ev (fields that do not apply
 * are zero); -ENOENT for any other message type. */
int nl_msg_parse_event(const struct nlmsghdr *nlh, struct nl_event *ev);

#endif
