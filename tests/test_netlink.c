/* SPDX-License-Identifier: MIT */
/* tests for netlink/: message building and parsing over buffers, no root. The kernel side
 * (a private network namespace, root only) is in test_netlink_ns.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/nl_msg.h"
#include "tests/nl_test.h"

/* check_msg() for address requests, plus the ifaddrmsg. */
static void check_ifa(const void *buf, uint16_t type, uint16_t flags, uint32_t seq,
		      const struct nl_addr *a, unsigned index, uint8_t ifa_flags, struct tb *tb)
{
	const struct ifaddrmsg *ifa;
	size_t len;

	ifa = check_msg(buf, NL_MSG_REQ_SIZE, type, flags, seq, sizeof(*ifa), tb);
	assert_int_equal(ifa->ifa_family, a->family);
	assert_int_equal(ifa->ifa_prefixlen, a->prefixlen);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(ifa->ifa_index, index);
	assert_int_equal(ifa->ifa_flags, ifa_flags);
	assert_int_equal(tb->n, 2);
	len = a->family == AF_INET ? 4 : 16;
	assert_int_equal(mnl_attr_validate2(tb->a[IFA_ADDRESS], MNL_TYPE_BINARY, len), 0);
	assert_memory_equal(mnl_attr_get_payload(tb->a[IFA_ADDRESS]), &a->u, len);
}

static void test_build_addr(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	struct nl_addr a4 = addr("10.53.0.53/24"), a6 = addr("fd53::53/128");
	int (*build)(void *, size_t, uint32_t, unsigned, const struct nl_addr *);
	uint16_t type, flags;
	struct tb tb;
	int del;

	(void)state;
	for (del = 0; del <= 1; del++) {
		build = del ? nl_msg_addr_del : nl_msg_addr_add;
		type = del ? RTM_DELADDR : RTM_NEWADDR;
		flags = del ? REQ : ADD;
		/* IPv4: IFA_LOCAL and IFA_ADDRESS */
		assert_int_equal(build(buf, sizeof(buf), 7, 3, &a4), 0);
		check_ifa(buf, type, flags, 7, &a4, 3, 0, &tb);
		assert_int_equal(mnl_attr_validate2(tb.a[IFA_LOCAL], MNL_TYPE_BINARY, 4), 0);
		assert_memory_equal(mnl_attr_get_payload(tb.a[IFA_LOCAL]), &a4.u.v4, 4);
		/* IPv6: IFA_ADDRESS, and NODAD in both places */
		assert_int_equal(build(buf, sizeof(buf), 0xfffffffe, 42, &a6), 0);
		check_ifa(buf, type, flags, 0xfffffffe, &a6, 42, IFA_F_NODAD, &tb);
		assert_int_equal(mnl_attr_validate(tb.a[IFA_FLAGS], MNL_TYPE_U32), 0);
		assert_int_equal(mnl_attr_get_u32(tb.a[IFA_FLAGS]), IFA_F_NODAD);
	}

	/* filtered to one link: the kernel honours ifa_index with strict checking */
	assert_int_equal(nl_msg_addr_dump(buf, sizeof(buf), 11, 9), 0);
	check_msg((void *)buf, sizeof(buf), RTM_GETADDR, REQ | NLM_F_DUMP, 11,
		  sizeof(struct ifaddrmsg), &tb);
	assert_int_equal(((struct ifaddrmsg *)mnl_nlmsg_get_payload((void *)buf))->ifa_family,
			 AF_UNSPEC);
	assert_int_equal(((struct ifaddrmsg *)mnl_nlmsg_get_payload((void *)buf))->ifa_index, 9);
	assert_int_equal(tb.n, 0);
	assert_int_equal(nl_msg_addr_dump(buf, sizeof(buf), 11, 0), -EINVAL);
	assert_int_equal(((struct nlmsghdr *)buf)->nlmsg_len,
			 MNL_NLMSG_HDRLEN + sizeof(struct ifaddrmsg));
}

static void test_build_link(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	const struct ifinfomsg *ifi;
	struct tb tb, info = {0};

	(void)state;
	assert_int_equal(nl_msg_link_create_dummy(buf, sizeof(buf), 12, "anycast0"), 0);
	ifi = check_msg((void *)buf, sizeof(buf), RTM_NEWLINK, ADD, 12, sizeof(*ifi), &tb);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(tb.n, 2);
	assert_int_equal(mnl_attr_validate(tb.a[IFLA_IFNAME], MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "anycast0");
	assert_int_equal(mnl_attr_validate(tb.a[IFLA_LINKINFO], MNL_TYPE_NESTED), 0);
	assert_int_equal(mnl_attr_parse_nested(tb.a[IFLA_LINKINFO], tb_cb, &info), MNL_CB_OK);
	assert_int_equal(info.n, 1);
	assert_int_equal(mnl_attr_validate(info.a[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(info.a[IFLA_INFO_KIND]), "dummy");

	assert_int_equal(nl_msg_link_set_up(buf, sizeof(buf), 13, 77), 0);
	ifi = check_msg((void *)buf, sizeof(buf), RTM_NEWLINK, REQ, 13, sizeof(*ifi), &tb);
	assert_int_equal(ifi->ifi_index, 77);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(tb.n, 0);

	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 14, "abcdefghijklmno", 0), 0);
	ifi = check_msg((void *)buf, sizeof(buf), RTM_GETLINK, REQ, 14, sizeof(*ifi), &tb);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(tb.n, 1);
	assert_string_equal(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "abcdefghijklmno");
	/* by index: no name */
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 15, NULL, 8), 0);
	ifi = check_msg((void *)buf, sizeof(buf), RTM_GETLINK, REQ, 15, sizeof(*ifi), &tb);
	assert_int_equal(ifi->ifi_index, 8);
	assert_int_equal(tb.n, 0);
}

/* Every byte of a request is defined: libmnl leaves the padding after a string attribute
 * as it found it, so the builders zero the buffer first (valgrind saw 1-3 bytes). */
static void test_build_zeroed(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	struct nl_addr a6 = addr("fd53::53");

	(void)state;
	for (int which = 0; which < 4; which++) {
		const struct nlmsghdr *nlh = (const void *)buf;

		memset(buf, 0xa5, sizeof(buf));
		if (which == 0)
			assert_int_equal(nl_msg_link_create_dummy(buf, sizeof(buf), 1, "ab"), 0);
		else if (which == 1)
			assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, "abcde", 0), 0);
		else if (which == 2)
			assert_int_equal(nl_msg_addr_add(buf, sizeof(buf), 1, 1, &a6), 0);
		else
			assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 1, 1, &a6), 0);
		for (size_t i = 0; i < nlh->nlmsg_len; i++)
			assert_int_not_equal((unsigned char)buf[i], 0xa5);
	}
}

/* check_msg() for drain route requests: the rtmsg and its three attributes. */
static void check_rtm(const void *buf, uint16_t type, uint16_t flags, uint32_t seq,
		      const struct nl_addr *a, unsigned oif)
{
	const struct rtmsg *rtm;
	size_t len = a->family == AF_INET ? 4 : 16;
	struct tb tb;

	rtm = check_msg(buf, NL_MSG_REQ_SIZE, type, flags, seq, sizeof(*rtm), &tb);
	assert_int_equal(rtm->rtm_family, a->family);
	/* the host address, whatever the prefix length it is configured with */
	assert_int_equal(rtm->rtm_dst_len, len * 8);
	assert_int_equal(rtm->rtm_src_len, 0);
	assert_int_equal(rtm->rtm_tos, 0);
	assert_int_equal(rtm->rtm_table, RT_TABLE_LOCAL);
	assert_int_equal(rtm->rtm_protocol, NL_RTPROT_DRAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_HOST);
	assert_int_equal(rtm->rtm_type, RTN_LOCAL);
	assert_int_equal(rtm->rtm_flags, 0);
	assert_int_equal(tb.n, 3);
	assert_int_equal(mnl_attr_validate2(tb.a[RTA_DST], MNL_TYPE_BINARY, len), 0);
	assert_memory_equal(mnl_attr_get_payload(tb.a[RTA_DST]), &a->u, len);
	assert_int_equal(mnl_attr_validate(tb.a[RTA_OIF], MNL_TYPE_U32), 0);
	assert_int_equal(mnl_attr_get_u32(tb.a[RTA_OIF]), oif);
	assert_int_equal(mnl_attr_validate(tb.a[RTA_PRIORITY], MNL_TYPE_U32), 0);
	assert_int_equal(mnl_attr_get_u32(tb.a[RTA_PRIORITY]), NL_DRAIN_METRIC);
}

static void test_build_route(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	struct nl_addr a4 = addr("10.53.0.53/24"), a6 = addr("fd53::53/64");

	(void)state;
	assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 21, 1, &a4), 0);
	check_rtm(buf, RTM_NEWROUTE, ADD, 21, &a4, 1);
	assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 22, 0x7fffffff, &a6), 0);
	check_rtm(buf, RTM_NEWROUTE, ADD, 22, &a6, 0x7fffffff);
	assert_int_equal(nl_msg_route_local_del(buf, sizeof(buf), 23, 1, &a4), 0);
	check_rtm(buf, RTM_DELROUTE, REQ, 23, &a4, 1);
	assert_int_equal(nl_msg_route_local_del(buf, sizeof(buf), 0xffffffff, 5, &a6), 0);
	check_rtm(buf, RTM_DELROUTE, REQ, 0xffffffff, &a6, 5);
}

/* Every builder, in every buffer size below what it needs: -EMSGSIZE and no byte written
 * past the size it was given. */
static int build(int which, void *buf, size_t len)
{
	struct nl_addr a4 = addr("10.53.0.53"), a6 = addr("fd53::53/128");

	switch (which) {
	case 0:
		return nl_msg_addr_add(buf, len, 1, 1, &a6);
	case 1:
		return nl_msg_addr_del(buf, len, 1, 1, &a6);
	case 2:
		return nl_msg_addr_dump(buf, len, 1, 1);
	case 3:
		return nl_msg_link_create_dummy(buf, len, 1, "abcdefghijklmno");
	case 4:
		return nl_msg_link_set_up(buf, len, 1, 1);
	case 5:
		return nl_msg_link_get(buf, len, 1, "abcdefghijklmno", 0);
	case 6:
		return nl_msg_route_local_add(buf, len, 1, 1, &a6);
	case 7:
		return nl_msg_route_local_del(buf, len, 1, 1, &a6);
	default:
		return nl_msg_route_local_add(buf, len, 1, 1, &a4);
	}
}

static void test_build_small_buffer(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	size_t need, len, i;
	int which;

	(void)state;
	for (which = 0; which < 9; which++) {
		assert_int_equal(build(which, buf, sizeof(buf)), 0);
		need = ((struct nlmsghdr *)buf)->nlmsg_len;
		for (len = 0; len < need; len++) {
			memset(buf, 0xa5, sizeof(buf));
			assert_int_equal(build(which, buf, len), -EMSGSIZE);
			for (i = len; i < sizeof(buf); i++)
				assert_int_equal((unsigned char)buf[i], 0xa5);
		}
		assert_int_equal(build(which, buf, need), 0);
	}
}

static void test_build_bad_args(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	struct nl_addr a = addr("10.0.0.1");

	(void)state;
	assert_int_equal(nl_msg_addr_add(buf, sizeof(buf), 1, 0, &a), -EINVAL);
	assert_int_equal(nl_msg_addr_add(buf, sizeof(buf), 1, 0x80000000u, &a), -EINVAL);
	assert_int_equal(nl_msg_addr_add(buf, sizeof(buf), 1, 1, NULL), -EINVAL);
	assert_int_equal(nl_msg_addr_add(NULL, 0, 1, 1, &a), -EMSGSIZE);
	a.prefixlen = 33;
	assert_int_equal(nl_msg_addr_add(buf, sizeof(buf), 1, 1, &a), -EINVAL);
	a = addr("::1");
	a.prefixlen = 129;
	assert_int_equal(nl_msg_addr_del(buf, sizeof(buf), 1, 1, &a), -EINVAL);
	a.family = AF_UNIX;
	assert_int_equal(nl_msg_addr_del(buf, sizeof(buf), 1, 1, &a), -EINVAL);
	assert_int_equal(nl_msg_link_set_up(buf, sizeof(buf), 1, 0), -EINVAL);
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, "", 0), -EINVAL);
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, NULL, 0), -EINVAL);
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, "abcdefghijklmnop", 0), -EINVAL);
	assert_int_equal(nl_msg_diag_dump(buf, sizeof(buf), 1, AF_UNIX, IPPROTO_TCP), -EINVAL);
	assert_int_equal(nl_msg_diag_dump(buf, sizeof(buf), 1, AF_INET, IPPROTO_SCTP), -EINVAL);
	assert_int_equal(nl_msg_link_create_dummy(buf, sizeof(buf), 1, "abcdefghijklmnop"),
			 -EINVAL);

	a = addr("10.0.0.1");
	assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 1, 0, &a), -EINVAL);
	assert_int_equal(nl_msg_route_local_del(buf, sizeof(buf), 1, 0x80000000u, &a), -EINVAL);
	assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 1, 1, NULL), -EINVAL);
	assert_int_equal(nl_msg_route_local_del(NULL, 0, 1, 1, &a), -EMSGSIZE);
	a.family = AF_UNSPEC;
	assert_int_equal(nl_msg_route_local_add(buf, sizeof(buf), 1, 1, &a), -EINVAL);
	a.family = AF_UNIX;
	assert_int_equal(nl_msg_route_local_del(buf, sizeof(buf), 1, 1, &a), -EINVAL);
}

/* A kernel-style address message, attributes to be added by the caller. */
static struct nlmsghdr *mk_addr(void *buf, uint16_t type, int family, uint8_t plen, uint32_t index,
				uint8_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = index;
	ifa->ifa_flags = flags;
	return nlh;
}

static struct nlmsghdr *mk_link(void *buf, uint16_t type, int family, int index, unsigned flags,
				const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = family;
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static void test_parse_addr(void **state)
{
	ALIGNED char buf[512];
	struct nl_addr local = addr("10.53.0.53/24"), peer = addr("10.53.0.1/24"), a;
	struct nl_addr a6 = addr("fd53::53/128"), peer6 = addr("fd53::1");
	struct ifa_cacheinfo ci = {0};
	struct nlmsghdr *nlh;
	unsigned ifindex = 0;
	uint32_t flags = 0;

	(void)state;
	/* IFA_LOCAL wins over IFA_ADDRESS (the peer), whatever the order */
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET, 24, 4, IFA_F_PERMANENT);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &peer.u.v4);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &local.u.v4);
	mnl_attr_put_strz(nlh, IFA_LABEL, "aa0");
	mnl_attr_put_u16(nlh, IFA_MAX + 5, 1); /* from a newer kernel: skipped */
	assert_int_equal(nl_msg_parse_addr(nlh, &ifindex, &a, &flags), 0);
	assert_int_equal(ifindex, 4);
	assert_true(nl_addr_equal(&a, &local));
	assert_int_equal(flags, IFA_F_PERMANENT);
	nlh = mk_addr(buf, RTM_DELADDR, AF_INET, 24, 4, 0);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &peer.u.v4);
	assert_int_equal(nl_msg_parse_addr(nlh, &ifindex, &a, NULL), 0);
	assert_true(nl_addr_equal(&a, &peer));

	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET6, 128, 9, IFA_F_NODAD);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, &a6.u.v6);
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	assert_int_equal(nl_msg_parse_addr(nlh, &ifindex, &a, &flags), 0);
	assert_int_equal(ifindex, 9);
	assert_true(nl_addr_equal(&a, &a6));
	assert_int_equal(flags, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	/* no IFA_FLAGS: the u8 in the header; with a peer, IFA_LOCAL is ours */
	nlh = mk_addr(buf, RTM_DELADDR, AF_INET6, 64, 9, IFA_F_TENTATIVE);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, &peer6.u.v6);
	mnl_attr_put(nlh, IFA_LOCAL, 16, &a6.u.v6);
	assert_int_equal(nl_msg_parse_addr(nlh, NULL, &a, &flags), 0);
	assert_int_equal(a.prefixlen, 64);
	assert_memory_equal(&a.u.v6, &a6.u.v6, 16);
	assert_int_equal(flags, IFA_F_TENTATIVE);
}

static void test_parse_event(void **state)
{
	ALIGNED char buf[512];
	struct nl_addr a4 = addr("10.0.0.1"), a6 = addr("fd53::53/64");
	struct nlmsghdr *nlh;
	struct nl_event ev;

	(void)state;
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET, 32, 2, 0);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a4.u.v4);
	assert_int_equal(nl_msg_parse_event(nlh, &ev), 0);
	assert_int_equal(ev.type, NL_EV_NEWADDR);
	assert_int_equal(ev.ifindex, 2);
	assert_true(nl_addr_equal(&ev.addr, &a4));
	assert_string_equal(ev.link.name, "");

	nlh = mk_addr(buf, RTM_DELADDR, AF_INET6, 64, 3, 0);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, &a6.u.v6);
	assert_int_equal(nl_msg_parse_event(nlh, &ev), 0);
	assert_int_equal(ev.type, NL_EV_DELADDR);
	assert_int_equal(ev.ifindex, 3);
	assert_true(nl_addr_equal(&ev.addr, &a6));

	nlh = mk_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, IFF_UP | IFF_RUNNING, "aa0");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), 0);
	assert_int_equal(ev.type, NL_EV_NEWLINK);
	assert_int_equal(ev.ifindex, 4);
	assert_string_equal(ev.link.name, "aa0");
	assert_true(ev.link.up);
	assert_string_equal(ev.link.kind, "");
	assert_int_equal(ev.addr.family, 0);

	nlh = mk_link(buf, RTM_DELLINK, AF_UNSPEC, 5, IFF_BROADCAST, "abcdefghijklmno");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), 0);
	assert_int_equal(ev.type, NL_EV_DELLINK);
	assert_int_equal(ev.ifindex, 5);
	assert_string_equal(ev.link.name, "abcdefghijklmno");
	assert_false(ev.link.up);

	nlh = mk_link(buf, RTM_NEWROUTE, AF_UNSPEC, 4, 0, "aa0");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -ENOENT);
	nlh = mk_link(buf, NLMSG_DONE, AF_UNSPEC, 4, 0, "aa0");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -ENOENT);
	/* a port leaving its bridge is no link going away */
	nlh = mk_link(buf, RTM_DELLINK, AF_BRIDGE, 4, 0, "aa0");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EAFNOSUPPORT);
	nlh = mk_addr(buf, RTM_NEWADDR, AF_PACKET, 0, 4, 0);
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EAFNOSUPPORT);
}

/* A copy of exactly len bytes claiming to be len long, so that ASan sees any overread. */
static struct nlmsghdr *cut(const struct nlmsghdr *nlh, size_t len)
{
	struct nlmsghdr *c = malloc(len);

	assert_non_null(c);
	memcpy(c, nlh, len);
	c->nlmsg_len = len;
	return c;
}

/* Every shorter copy of nlh is rejected, except one cut at ok_len (0: none). */
static void truncations(const struct nlmsghdr *nlh, size_t ok_len)
{
	struct nlmsghdr *c;
	struct nl_event ev;
	size_t len;

	for (len = sizeof(*nlh); len <= nlh->nlmsg_len; len++) {
		c = cut(nlh, len);
		assert_int_equal(nl_msg_parse_event(c, &ev),
				 len == ok_len || len == nlh->nlmsg_len ? 0 : -EINVAL);
		free(c);
	}
}

static void test_parse_truncated(void **state)
{
	ALIGNED char buf[512];
	struct nl_addr a6 = addr("fd53::53/128");
	struct nlmsghdr *nlh;
	struct nl_event ev;

	(void)state;
	/* header 16 + ifaddrmsg 8 + IFA_ADDRESS 20 = 44, + IFA_FLAGS 8 = 52: without
	 * IFA_FLAGS the message still stands */
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET6, 128, 2, 0);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, &a6.u.v6);
	mnl_attr_put_u32(nlh, IFA_FLAGS, 0);
	assert_int_equal(nlh->nlmsg_len, 52);
	truncations(nlh, 44);
	truncations(mk_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, 0, "aa0"), 0);
	/* nlmsg_len below the header itself */
	nlh = mk_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, 0, "aa0");
	nlh->nlmsg_len = 8;
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
	/* lengths that libmnl's int arithmetic turns negative */
	nlh->nlmsg_len = 0xfffffffc;
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
	nlh->nlmsg_len = 0x80000000;
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
}

/* One address message with one attribute of alen bytes, parsed as an event. */
static int addr1(int family, uint8_t plen, uint32_t index, uint16_t type, size_t alen)
{
	static const unsigned char junk[20] = {1};
	ALIGNED char buf[256];
	struct nlmsghdr *nlh = mk_addr(buf, RTM_NEWADDR, family, plen, index, 0);
	struct nl_event ev;

	mnl_attr_put(nlh, type, alen, junk);
	return nl_msg_parse_event(nlh, &ev);
}

static int link1(int index, const char *name)
{
	ALIGNED char buf[256];
	struct nl_event ev;

	return nl_msg_parse_event(mk_link(buf, RTM_NEWLINK, AF_UNSPEC, index, 0, name), &ev);
}

static void test_parse_malformed(void **state)
{
	ALIGNED char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *attr;
	struct nl_event ev;

	(void)state;
	assert_int_equal(addr1(AF_INET, 32, 2, IFA_LOCAL, 4), 0);
	assert_int_equal(addr1(AF_INET6, 128, 2, IFA_ADDRESS, 16), 0);
	/* sizes, prefix lengths, indexes */
	assert_int_equal(addr1(AF_INET, 32, 2, IFA_LOCAL, 3), -EINVAL);
	assert_int_equal(addr1(AF_INET, 32, 2, IFA_ADDRESS, 5), -EINVAL);
	assert_int_equal(addr1(AF_INET6, 128, 2, IFA_ADDRESS, 4), -EINVAL);
	assert_int_equal(addr1(AF_INET6, 128, 2, IFA_LOCAL, 15), -EINVAL);
	assert_int_equal(addr1(AF_INET, 32, 2, IFA_LABEL, 4), -EINVAL);
	assert_int_equal(addr1(AF_INET, 33, 2, IFA_LOCAL, 4), -EINVAL);
	assert_int_equal(addr1(AF_INET6, 129, 2, IFA_ADDRESS, 16), -EINVAL);
	assert_int_equal(addr1(AF_INET, 32, 0, IFA_LOCAL, 4), -EINVAL);
	/* IFA_FLAGS of 2 bytes */
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET6, 128, 2, 0);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, buf);
	mnl_attr_put_u16(nlh, IFA_FLAGS, 0);
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
	/* an attribute whose nla_len is below its own header */
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET, 32, 2, 0);
	mnl_attr_put(nlh, IFA_LOCAL, 4, buf);
	attr = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, IFA_LABEL, 4, buf);
	attr->nla_len = 2;
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
	/* trailing bytes that are no attribute */
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET, 32, 2, 0);
	mnl_attr_put(nlh, IFA_LOCAL, 4, buf);
	memset(mnl_nlmsg_get_payload_tail(nlh), 0, 4);
	nlh->nlmsg_len += 4;
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
	/* the wrong parser for the type */
	nlh = mk_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, 0, "aa0");
	assert_int_equal(nl_msg_parse_addr(nlh, NULL, NULL, NULL), -EINVAL);
	nlh = mk_addr(buf, RTM_NEWADDR, AF_INET, 32, 2, 0);
	assert_int_equal(nl_msg_parse_link(nlh, NULL), -EINVAL);

	/* link names: missing, empty, too long, not terminated; bad indexes */
	assert_int_equal(link1(4, "aa0"), 0);
	assert_int_equal(link1(4, NULL), -EINVAL);
	assert_int_equal(link1(4, ""), -EINVAL);
	assert_int_equal(link1(4, "abcdefghijklmnop"), -EINVAL);
	assert_int_equal(link1(0, "aa0"), -EINVAL);
	assert_int_equal(link1(-3, "aa0"), -EINVAL);
	nlh = mk_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, 0, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 3, "aa0");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), -EINVAL);
}

static void test_addr_parse_good(void **state)
{
	static const struct {
		const char *s;
		int family;
		unsigned prefixlen;
	} good[] = {
	    {"10.0.0.1", AF_INET, 32},
	    {"10.0.0.1/32", AF_INET, 32},
	    {"10.0.0.0/1", AF_INET, 1},
	    {"fd53::53", AF_INET6, 128},
	    {"fd53::53/128", AF_INET6, 128},
	    {"fd53::/48", AF_INET6, 48},
	    {"::ffff:10.0.0.1/96", AF_INET6, 96},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", AF_INET6, 128},
	};
	const uint8_t v6[16] = {0xfd, 0x53, [15] = 0x53};
	struct nl_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (nl_addr_parse(good[i].s, &a) != 0)
			fail_msg("rejected \"%s\"", good[i].s);
		assert_int_equal(a.family, good[i].family);
		assert_int_equal(a.prefixlen, good[i].prefixlen);
	}
	a = addr("10.0.0.1");
	assert_int_equal(ntohl(a.u.v4.s_addr), 0x0a000001);
	a = addr("fd53::53/128");
	assert_memory_equal(&a.u.v6, v6, 16);
}

static void test_addr_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "10.0.0.1/33", "10.0.0.1/", "x", "10.0.0.1 ", "::1/129", "1.2.3.4/-1", "1.2.3.4/0x20",
	    "", "/32", "10.0.0.1/0", "::1/0", " 10.0.0.1", "10.0.0.1/+32", "10.0.0.1/ 32",
	    "10.0.0.1/32 ", "10.0.0.1/3/2", "1.2.3", "256.0.0.1", "fe80::1%lo", "1.2.3.4/32x",
	    "1.2.3.4/99999999999999999999999", "10.0.0.1\n",
	    /* 50 characters: one more than the longest address there is */
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/0128"};
	struct nl_addr a = addr("192.0.2.1/24"), before = a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (nl_addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* a failed parse leaves the output alone */
		assert_true(nl_addr_equal(&a, &before));
	}
	assert_int_equal(nl_addr_parse(NULL, &a), -EINVAL);
}

static void test_addr_str(void **state)
{
	static const char *const in[][2] = {
	    {"10.0.0.1", "10.0.0.1/32"},
	    {"10.53.0.0/16", "10.53.0.0/16"},
	    {"FD53:0::0053/64", "fd53::53/64"},
	    {"::", "::/128"},
	    {"::ffff:1.2.3.4", "::ffff:1.2.3.4/128"},
	};
	char buf[NL_ADDRSTRLEN], small[6];
	struct nl_addr a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		a = addr(in[i][0]);
		assert_ptr_equal(nl_addr_str(&a, buf, sizeof(buf)), buf);
		assert_string_equal(buf, in[i][1]);
		b = addr(buf);
		assert_true(nl_addr_equal(&a, &b));
	}
	a = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_string_equal(nl_addr_str(&a, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_string_equal(nl_addr_str(&a, small, sizeof(small)), "ffff:");
	a.family = AF_UNIX;
	assert_string_equal(nl_addr_str(&a, buf, sizeof(buf)), "?");
}

static void test_addr_equal(void **state)
{
	struct nl_addr a = addr("10.0.0.1"), b = addr("10.0.0.1/32");

	(void)state;
	/* bytes past an IPv4 address do not count */
	a.u.v6.s6_addr[15] = 1;
	b.u.v6.s6_addr[15] = 2;
	assert_true(nl_addr_equal(&a, &b));
	b = addr("10.0.0.1/31");
	assert_false(nl_addr_equal(&a, &b));
	b = addr("10.0.0.2");
	assert_false(nl_addr_equal(&a, &b));
	/* the same first four bytes and length, another family */
	b = addr("a00:1::/32");
	assert_false(nl_addr_equal(&a, &b));
	a = addr("fd53::53");
	b = addr("fd53::53/128");
	assert_true(nl_addr_equal(&a, &b));
	b = addr("fd53::54");
	assert_false(nl_addr_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest unit[] = {
	    cmocka_unit_test(test_build_addr),	       cmocka_unit_test(test_build_link),
	    cmocka_unit_test(test_build_zeroed),       cmocka_unit_test(test_build_route),
	    cmocka_unit_test(test_build_small_buffer), cmocka_unit_test(test_build_bad_args),
	    cmocka_unit_test(test_parse_addr),	       cmocka_unit_test(test_parse_event),
	    cmocka_unit_test(test_parse_truncated),    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_addr_parse_good),    cmocka_unit_test(test_addr_parse_bad),
	    cmocka_unit_test(test_addr_str),	       cmocka_unit_test(test_addr_equal)};

	return cmocka_run_group_tests_name("netlink messages", unit, NULL, NULL) ? 1 : 0;
}
