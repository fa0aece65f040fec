/* SPDX-License-Identifier: MIT */
/* nl_msg: rtnetlink messages built and parsed with libmnl over caller buffers. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "netlink/nl_msg.h"

static size_t addr_size(int family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

static unsigned max_prefixlen(int family)
{
	return addr_size(family) * 8;
}

int nl_addr_parse(const char *s, struct nl_addr *out)
{
	char tmp[NL_ADDRSTRLEN];
	struct nl_addr a = {0};
	const char *len_s;
	unsigned long plen;
	char *slash, *end;
	size_t n;

	if (!s || !out)
		return -EINVAL;
	n = strnlen(s, sizeof(tmp));
	if (n == 0 || n == sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n + 1);

	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, tmp, &a.u.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, &a.u.v6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;

	a.prefixlen = max_prefixlen(a.family);
	if (slash) {
		len_s = slash + 1;
		/* strtoul() alone would take " 32", "+32", "-1" (as ULONG_MAX) */
		if (len_s[0] == '\0' || strspn(len_s, "0123456789") != strlen(len_s))
			return -EINVAL;
		errno = 0;
		plen = strtoul(len_s, &end, 10);
		if (errno || *end || plen < 1 || plen > max_prefixlen(a.family))
			return -EINVAL;
		a.prefixlen = plen;
	}
	*out = a;
	return 0;
}

const char *nl_addr_str(const struct nl_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!buf || len == 0)
		return buf;
	if (!a || !inet_ntop(a->family, &a->u, ip, sizeof(ip)))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s/%u", ip, a->prefixlen);
	return buf;
}

bool nl_addr_equal(const struct nl_addr *a, const struct nl_addr *b)
{
	/* field by field: the union and the padding may hold anything */
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       memcmp(&a->u, &b->u, addr_size(a->family)) == 0;
}

/* Header plus a zeroed family header (ifaddrmsg, ifinfomsg); NULL if buf is too small. */
static struct nlmsghdr *put_header(void *buf, size_t len, uint16_t type, uint16_t flags,
				   uint32_t seq, size_t famlen)
{
	struct nlmsghdr *nlh;

	if (!buf || len < MNL_NLMSG_HDRLEN + MNL_ALIGN(famlen))
		return NULL;
	/* libmnl pads attributes without zeroing the padding: the whole buffer is zeroed so
	 * that no byte sent to the kernel is uninitialised */
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, famlen);
	return nlh;
}

static bool ifindex_ok(unsigned ifindex)
{
	/* the kernel's ifindex is a positive int */
	return ifindex > 0 && ifindex <= INT_MAX;
}

static bool ifname_ok(const char *ifname)
{
	size_t n;

	if (!ifname)
		return false;
	n = strnlen(ifname, IFNAMSIZ);
	return n > 0 && n < IFNAMSIZ;
}

static int addr_req(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq,
		    unsigned ifindex, const struct nl_addr *a)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t size;

	if (!a || !ifindex_ok(ifindex))
		return -EINVAL;
	size = addr_size(a->family);
	if (!size || a->prefixlen > max_prefixlen(a->family))
		return -EINVAL;
	nlh = put_header(buf, len, type, flags, seq, sizeof(*ifa));
	if (!nlh)
		return -EMSGSIZE;
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;

	if (a->family == AF_INET) {
		if (!mnl_attr_put_check(nlh, len, IFA_LOCAL, size, &a->u.v4))
			return -EMSGSIZE;
	} else {
		/* no DAD: the address is usable (not tentative) as soon as it is added */
		ifa->ifa_flags = IFA_F_NODAD;
		if (!mnl_attr_put_u32_check(nlh, len, IFA_FLAGS, IFA_F_NODAD))
			return -EMSGSIZE;
	}
	if (!mnl_attr_put_check(nlh, len, IFA_ADDRESS, size, &a->u))
		return -EMSGSIZE;
	return 0;
}

/* A route to a's host address via oif: ours by its protocol and metric. */
static int route_req(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq,
		     unsigned oif, const struct nl_addr *a, const struct nl_route_kind *k)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t size;

	if (!a || !ifindex_ok(oif))
		return -EINVAL;
	size = addr_size(a->family);
	if (!size)
		return -EINVAL;
	nlh = put_header(buf, len, type, flags, seq, sizeof(*rtm));
	if (!nlh)
		return -EMSGSIZE;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = a->family;
	/* the host address alone, as the kernel's own local route for it */
	rtm->rtm_dst_len = (unsigned char)(size * 8);
	rtm->rtm_table = k->table;
	rtm->rtm_protocol = k->protocol;
	rtm->rtm_scope = k->table == RT_TABLE_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_LINK;
	rtm->rtm_type = k->table == RT_TABLE_LOCAL ? RTN_LOCAL : RTN_UNICAST;
	if (!mnl_attr_put_check(nlh, len, RTA_DST, size, &a->u) ||
	    !mnl_attr_put_u32_check(nlh, len, RTA_OIF, oif) ||
	    !mnl_attr_put_u32_check(nlh, len, RTA_PRIORITY, k->metric))
		return -EMSGSIZE;
	return 0;
}

const struct nl_route_kind nl_route_drain = {RT_TABLE_LOCAL, NL_RTPROT_DRAIN, NL_DRAIN_METRIC};
const struct nl_route_kind nl_route_standby_local = {RT_TABLE_LOCAL, NL_RTPROT_STANDBY,
						     NL_STANDBY_METRIC};
const struct nl_route_kind nl_route_standby = {RT_TABLE_MAIN, NL_RTPROT_STANDBY, NL_STANDBY_METRIC};

int nl_msg_route_add(void *buf, size_t len, uint32_t seq, unsigned oif, const struct nl_addr *a,
		     const struct nl_route_kind *k)
{
	return route_req(buf, len, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, seq, oif, a, k);
}

int nl_msg_route_del(void *buf, size_t len, uint32_t seq, unsigned oif, const struct nl_addr *a,
		     const struct nl_route_kind *k)
{
	return route_req(buf, len, RTM_DELROUTE, 0, seq, oif, a, k);
}

int nl_msg_route_local_add(void *buf, size_t len, uint32_t seq, unsigned oif,
			   const struct nl_addr *a)
{
	return nl_msg_route_add(buf, len, seq, oif, a, &nl_route_drain);
}

int nl_msg_route_local_del(void *buf, size_t len, uint32_t seq, unsigned oif,
			   const struct nl_addr *a)
{
	return nl_msg_route_del(buf, len, seq, oif, a, &nl_route_drain);
}

int nl_msg_addr_add(void *buf, size_t len, uint32_t seq, unsigned ifindex, const struct nl_addr *a)
{
	return addr_req(buf, len, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, seq, ifindex, a);
}

int nl_msg_addr_del(void *buf, size_t len, uint32_t seq, unsigned ifindex, const struct nl_addr *a)
{
	return addr_req(buf, len, RTM_DELADDR, 0, seq, ifindex, a);
}

int nl_msg_addr_dump(void *buf, size_t len, uint32_t seq, unsigned ifindex)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (!ifindex_ok(ifindex))
		return -EINVAL;
	nlh = put_header(buf, len, RTM_GETADDR, NLM_F_DUMP, seq, sizeof(*ifa));
	if (!nlh)
		return -EMSGSIZE;
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = ifindex;
	return 0;
}

int nl_msg_diag_dump(void *buf, size_t len, uint32_t seq, int family, int proto)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;

	if ((family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return -EINVAL;
	nlh = put_header(buf, len, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, seq, sizeof(*req));
	if (!nlh)
		return -EMSGSIZE;
	/* a dump answers with NLMSG_DONE, never an ACK */
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	req = mnl_nlmsg_get_payload(nlh);
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = (uint8_t)proto;
	req->idiag_states = proto == IPPROTO_TCP ? 1u << TCP_LISTEN : 1u << TCP_CLOSE;
	return 0;
}

int nl_msg_link_create_dummy(void *buf, size_t len, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (!ifname_ok(ifname))
		return -EINVAL;
	nlh = put_header(buf, len, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq,
			 sizeof(struct ifinfomsg));
	if (!nlh)
		return -EMSGSIZE;
	if (!mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	nest = mnl_attr_nest_start_check(nlh, len, IFLA_LINKINFO);
	if (!nest || !mnl_attr_put_strz_check(nlh, len, IFLA_INFO_KIND, "dummy"))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

int nl_msg_link_set_up(void *buf, size_t len, uint32_t seq, unsigned ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (!ifindex_ok(ifindex))
		return -EINVAL;
	nlh = put_header(buf, len, RTM_NEWLINK, 0, seq, sizeof(*ifi));
	if (!nlh)
		return -EMSGSIZE;
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	/* ifi_change limits the request to IFF_UP; other flags stay as they are */
	ifi->ifi_change = IFF_UP;
	return 0;
}

int nl_msg_link_get(void *buf, size_t len, uint32_t seq, const char *ifname, unsigned ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifname ? !ifname_ok(ifname) : !ifindex_ok(ifindex))
		return -EINVAL;
	nlh = put_header(buf, len, RTM_GETLINK, 0, seq, sizeof(*ifi));
	if (!nlh)
		return -EMSGSIZE;
	if (!ifname) {
		ifi = mnl_nlmsg_get_payload(nlh);
		ifi->ifi_index = (int)ifindex;
		return 0;
	}
	if (!mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	return 0;
}

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_table_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;

	/* attributes newer than our headers are skipped, not errors */
	if (mnl_attr_type_valid(attr, t->max) < 0)
		return MNL_CB_OK;
	t->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* Indexes the attributes after a famlen-byte family header. mnl_attr_parse() stops
 * silently at a truncated attribute, so the walk must also end where the message does. */
static int parse_attrs(const struct nlmsghdr *nlh, size_t famlen, const struct nlattr **tb,
		       unsigned max)
{
	struct attr_table t = {tb, max};
	const struct nlattr *attr;

	/* libmnl rounds nlmsg_len up to 4 and would read past an unaligned end (the kernel
	 * pads every rtnetlink message), and its lengths are ints: mnl_nlmsg_ok() passes
	 * any nlmsg_len from 2^31 up */
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || nlh->nlmsg_len % MNL_ALIGNTO != 0 ||
	    nlh->nlmsg_len > INT_MAX || mnl_nlmsg_get_payload_len(nlh) < famlen)
		return -EINVAL;
	if (mnl_attr_parse(nlh, famlen, attr_table_cb, &t) != MNL_CB_OK)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, famlen)
	{
	}
	if ((const char *)mnl_nlmsg_get_payload_tail(nlh) - (const char *)attr > 0)
		return -EINVAL;
	return 0;
}

int nl_msg_parse_addr(const struct nlmsghdr *nlh, unsigned *ifindex, struct nl_addr *a,
		      uint32_t *flags)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct ifaddrmsg *ifa;
	const struct nlattr *attr;
	struct nl_addr out = {0};
	size_t size;
	int ret;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -EINVAL;
	ret = parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX);
	if (ret < 0)
		return ret;
	ifa = mnl_nlmsg_get_payload(nlh);
	size = addr_size(ifa->ifa_family);
	if (!size)
		return -EAFNOSUPPORT;
	if (!ifindex_ok(ifa->ifa_index) || ifa->ifa_prefixlen > max_prefixlen(ifa->ifa_family))
		return -EINVAL;

	/* with a peer (point-to-point) IFA_ADDRESS is the peer and IFA_LOCAL is ours; IPv6
	 * sends IFA_LOCAL only then, IPv4 always */
	attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!attr || mnl_attr_validate2(attr, MNL_TYPE_BINARY, size) < 0)
		return -EINVAL;
	if (tb[IFA_FLAGS] && mnl_attr_validate(tb[IFA_FLAGS], MNL_TYPE_U32) < 0)
		return -EINVAL;

	out.family = ifa->ifa_family;
	out.prefixlen = ifa->ifa_prefixlen;
	memcpy(&out.u, mnl_attr_get_payload(attr), size);
	if (ifindex)
		*ifindex = ifa->ifa_index;
	if (a)
		*a = out;
	if (flags)
		*flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	return 0;
}

/* IFLA_INFO_KIND inside IFLA_LINKINFO, "" when absent. */
static int parse_kind(const struct nlattr *linkinfo, char *kind, size_t size)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = {0};
	struct attr_table t = {tb, IFLA_INFO_MAX};
	const struct nlattr *k;

	kind[0] = '\0';
	if (!linkinfo)
		return 0;
	if (mnl_attr_validate(linkinfo, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(linkinfo, attr_table_cb, &t) != MNL_CB_OK)
		return -EINVAL;
	k = tb[IFLA_INFO_KIND];
	if (!k)
		return 0;
	if (mnl_attr_validate(k, MNL_TYPE_STRING) < 0 || mnl_attr_get_payload_len(k) == 0)
		return -EINVAL;
	/* a NUL-terminated string of at most size - 1 characters; a longer kind is cut */
	snprintf(kind, size, "%.*s", (int)strnlen(mnl_attr_get_str(k), mnl_attr_get_payload_len(k)),
		 mnl_attr_get_str(k));
	return 0;
}

int nl_msg_parse_link(const struct nlmsghdr *nlh, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const struct ifinfomsg *ifi;
	const struct nlattr *attr;
	struct nl_link l = {0};
	int ret;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -EINVAL;
	ret = parse_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX);
	if (ret < 0)
		return ret;
	ifi = mnl_nlmsg_get_payload(nlh);
	/* AF_BRIDGE RTM_DELLINK means "left its bridge", not "gone" */
	if (ifi->ifi_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	if (ifi->ifi_index <= 0)
		return -EINVAL;

	attr = tb[IFLA_IFNAME];
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_get_payload_len(attr) > IFNAMSIZ || mnl_attr_get_str(attr)[0] == '\0')
		return -EINVAL;

	l.ifindex = (unsigned)ifi->ifi_index;
	/* at most IFNAMSIZ bytes, the last one NUL: checked above */
	memcpy(l.name, mnl_attr_get_str(attr), mnl_attr_get_payload_len(attr));
	l.up = ifi->ifi_flags & IFF_UP;
	ret = parse_kind(tb[IFLA_LINKINFO], l.kind, sizeof(l.kind));
	if (ret < 0)
		return ret;
	if (out)
		*out = l;
	return 0;
}

int nl_msg_parse_diag(const struct nlmsghdr *nlh, int proto, struct nl_sock *out)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = {0};
	const struct inet_diag_msg *m;
	struct nl_sock s = {0};
	int ret;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -EINVAL;
	ret = parse_attrs(nlh, sizeof(*m), tb, INET_DIAG_MAX);
	if (ret < 0)
		return ret;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EAFNOSUPPORT;
	s.family = m->idiag_family;
	s.proto = proto;
	memcpy(&s.local, m->id.idiag_src, addr_size(s.family));
	s.port = ntohs(m->id.idiag_sport);
	if (tb[INET_DIAG_SKV6ONLY]) {
		if (mnl_attr_validate(tb[INET_DIAG_SKV6ONLY], MNL_TYPE_U8) < 0)
			return -EINVAL;
		s.v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);
	}
	if (out)
		*out = s;
	return 0;
}

int nl_msg_parse_event(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	int ret;

	memset(ev, 0, sizeof(*ev));
	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		ev->type = nlh->nlmsg_type == RTM_NEWADDR ? NL_EV_NEWADDR : NL_EV_DELADDR;
		return nl_msg_parse_addr(nlh, &ev->ifindex, &ev->addr, NULL);
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ev->type = nlh->nlmsg_type == RTM_NEWLINK ? NL_EV_NEWLINK : NL_EV_DELLINK;
		ret = nl_msg_parse_link(nlh, &ev->link);
		ev->ifindex = ev->link.ifindex;
		return ret;
	default:
		return -ENOENT;
	}
}

bool nl_sock_accepts(const struct nl_sock *s, int proto, const struct nl_addr *a, uint16_t port)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	struct in6_addr mapped = {0};

	if (s->proto != proto || s->port != port)
		return false;
	if (a->family == AF_INET6)
		return s->family == AF_INET6 && (!memcmp(&s->local.v6, &any6, sizeof(any6)) ||
						 !memcmp(&s->local.v6, &a->u.v6, sizeof(a->u.v6)));
	if (s->family == AF_INET)
		return s->local.v4.s_addr == INADDR_ANY || s->local.v4.s_addr == a->u.v4.s_addr;
	/* an IPv6 socket takes IPv4 as ::ffff:a.b.c.d, or on :: unless IPV6_V6ONLY */
	mapped.s6_addr[10] = mapped.s6_addr[11] = 0xff;
	memcpy(&mapped.s6_addr[12], &a->u.v4, 4);
	return (!memcmp(&s->local.v6, &any6, sizeof(any6)) && !s->v6only) ||
	       !memcmp(&s->local.v6, &mapped, sizeof(mapped));
}
