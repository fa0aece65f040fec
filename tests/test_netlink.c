/* tests for netlink/: message building and parsing over buffers (no root), then the real
 * kernel in a private network namespace (root only, skipped otherwise). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/nl.h"
#include "netlink/nl_msg.h"

#define TB_SIZE 128
#define ALIGNED _Alignas(struct nlmsghdr)

struct tb {
	const struct nlattr *a[TB_SIZE];
	unsigned n;
};

static int tb_cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;

	assert_true(mnl_attr_get_type(attr) < TB_SIZE);
	tb->a[mnl_attr_get_type(attr)] = attr;
	tb->n++;
	return MNL_CB_OK;
}

/* Checks the header and indexes the attributes after the family header. */
static void *check_msg(const struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t flags,
		       uint32_t seq, size_t famlen, struct tb *tb)
{
	memset(tb, 0, sizeof(*tb));
	assert_true(mnl_nlmsg_ok(nlh, buflen));
	assert_int_equal(nlh->nlmsg_type, type);
	assert_int_equal(nlh->nlmsg_flags, flags);
	assert_int_equal(nlh->nlmsg_seq, seq);
	assert_int_equal(nlh->nlmsg_pid, 0);
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= famlen);
	assert_int_equal(mnl_attr_parse(nlh, famlen, tb_cb, tb), MNL_CB_OK);
	return mnl_nlmsg_get_payload(nlh);
}

static struct nl_addr addr(const char *s)
{
	struct nl_addr a;

	assert_int_equal(nl_addr_parse(s, &a), 0);
	return a;
}

#define REQ (NLM_F_REQUEST | NLM_F_ACK)
#define ADD (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)

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

	assert_int_equal(nl_msg_addr_dump(buf, sizeof(buf), 11), 0);
	check_msg((void *)buf, sizeof(buf), RTM_GETADDR, REQ | NLM_F_DUMP, 11,
		  sizeof(struct ifaddrmsg), &tb);
	assert_int_equal(((struct ifaddrmsg *)mnl_nlmsg_get_payload((void *)buf))->ifa_family,
			 AF_UNSPEC);
	assert_int_equal(tb.n, 0);
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

	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 14, "abcdefghijklmno"), 0);
	ifi = check_msg((void *)buf, sizeof(buf), RTM_GETLINK, REQ, 14, sizeof(*ifi), &tb);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(tb.n, 1);
	assert_string_equal(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "abcdefghijklmno");
}

/* Every builder, in every buffer size below what it needs: -EMSGSIZE and no byte written
 * past the size it was given. */
static int build(int which, void *buf, size_t len)
{
	struct nl_addr a6 = addr("fd53::53/128");

	switch (which) {
	case 0:
		return nl_msg_addr_add(buf, len, 1, 1, &a6);
	case 1:
		return nl_msg_addr_del(buf, len, 1, 1, &a6);
	case 2:
		return nl_msg_addr_dump(buf, len, 1);
	case 3:
		return nl_msg_link_create_dummy(buf, len, 1, "abcdefghijklmno");
	case 4:
		return nl_msg_link_set_up(buf, len, 1, 1);
	default:
		return nl_msg_link_get(buf, len, 1, "abcdefghijklmno");
	}
}

static void test_build_small_buffer(void **state)
{
	ALIGNED char buf[NL_MSG_REQ_SIZE];
	size_t need, len, i;
	int which;

	(void)state;
	for (which = 0; which < 6; which++) {
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
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, ""), -EINVAL);
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, NULL), -EINVAL);
	assert_int_equal(nl_msg_link_get(buf, sizeof(buf), 1, "abcdefghijklmnop"), -EINVAL);
	assert_int_equal(nl_msg_link_create_dummy(buf, sizeof(buf), 1, "abcdefghijklmnop"),
			 -EINVAL);
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
	assert_string_equal(ev.ifname, "");

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
	assert_string_equal(ev.ifname, "aa0");
	assert_true(ev.up);
	assert_int_equal(ev.addr.family, 0);

	nlh = mk_link(buf, RTM_DELLINK, AF_UNSPEC, 5, IFF_BROADCAST, "abcdefghijklmno");
	assert_int_equal(nl_msg_parse_event(nlh, &ev), 0);
	assert_int_equal(ev.type, NL_EV_DELLINK);
	assert_int_equal(ev.ifindex, 5);
	assert_string_equal(ev.ifname, "abcdefghijklmno");
	assert_false(ev.up);

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
	assert_int_equal(nl_msg_parse_link(nlh, NULL, NULL, NULL), -EINVAL);

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

/* Root only: the real kernel, in a network namespace of our own. */
struct root {
	struct nl *nl;
	unsigned ifindex;
	struct nl_event ev[256];
	size_t nev;
};

static struct root *root_of(void **state)
{
	if (!*state)
		skip();
	return *state;
}

static int root_setup(void **state)
{
	struct root *r;

	*state = NULL;
	if (geteuid() != 0) {
		print_message("not root: kernel tests skipped\n");
		return 0;
	}
	/* nothing below may touch the host's interfaces */
	if (unshare(CLONE_NEWNET) < 0) {
		print_message("unshare(CLONE_NEWNET): %s: kernel tests skipped\n", strerror(errno));
		return errno == EPERM ? 0 : -1;
	}
	/* ifb stands in for dummy, which some kernels lack */
	if (system("ip link add aa0 type ifb") != 0)
		return -1;
	r = calloc(1, sizeof(*r));
	if (!r || nl_create(&r->nl) < 0)
		return -1;
	*state = r;
	return 0;
}

static int root_teardown(void **state)
{
	struct root *r = *state;

	if (r)
		nl_destroy(r->nl);
	free(r);
	return 0;
}

static void collect(const struct nl_event *ev, void *data)
{
	struct root *r = data;

	if (r->nev < sizeof(r->ev) / sizeof(r->ev[0]))
		r->ev[r->nev++] = *ev;
}

/* The kernel queues events before it ACKs the change; the poll is a safety net. */
static void read_events(struct root *r)
{
	struct pollfd p = {.fd = nl_event_fd(r->nl), .events = POLLIN};

	r->nev = 0;
	if (poll(&p, 1, 1000) == 1)
		assert_int_equal(nl_event_read(r->nl, collect, r), 0);
}

static unsigned count_events(const struct root *r, enum nl_event_type type, const struct nl_addr *a,
			     const char *ifname)
{
	unsigned i, n = 0;

	for (i = 0; i < r->nev; i++)
		if (r->ev[i].type == type && r->ev[i].ifindex == r->ifindex &&
		    (!a || nl_addr_equal(&r->ev[i].addr, a)) &&
		    (!ifname || strcmp(r->ev[i].ifname, ifname) == 0))
			n++;
	return n;
}

/* Sends one request on a socket of its own and runs cb over the replies. */
static int raw_request(const struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	ALIGNED char buf[32768];
	struct mnl_socket *s;
	int ret, n;

	s = mnl_socket_open(NETLINK_ROUTE);
	assert_non_null(s);
	assert_int_equal(mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID), 0);
	assert_true(mnl_socket_sendto(s, req, req->nlmsg_len) > 0);
	do {
		n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		assert_true(n > 0);
		ret = mnl_cb_run(buf, n, req->nlmsg_seq, mnl_socket_get_portid(s), cb, data);
	} while (ret > MNL_CB_STOP);
	ret = ret < 0 ? -errno : 0;
	mnl_socket_close(s);
	return ret;
}

struct dump_ctx {
	const struct nl_addr *want;
	unsigned ifindex, found;
	uint32_t flags;
	struct nl *nl;
	int nested;
};

/* The raw dump, for the flags nl_addr_dump() does not give. */
static int flags_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct nl_addr a;
	unsigned ifindex;
	uint32_t flags;

	if (nl_msg_parse_addr(nlh, &ifindex, &a, &flags) == 0 && ifindex == ctx->ifindex &&
	    nl_addr_equal(&a, ctx->want)) {
		ctx->flags = flags;
		ctx->found++;
	}
	return MNL_CB_OK;
}

static void dump_cb(const struct nl_addr *a, void *data)
{
	struct dump_ctx *ctx = data;

	if (nl_addr_equal(a, ctx->want))
		ctx->found++;
	if (ctx->nl)
		ctx->nested = nl_addr_dump(ctx->nl, 1, dump_cb, ctx);
}

static unsigned dump_count(struct root *r, const struct nl_addr *a)
{
	struct dump_ctx ctx = {.want = a};

	assert_int_equal(nl_addr_dump(r->nl, r->ifindex, dump_cb, &ctx), 0);
	return ctx.found;
}

static void test_root_link(void **state)
{
	struct root *r = root_of(state);
	unsigned ifindex;
	bool up = true;

	assert_int_equal(nl_link_get(r->nl, "aa0", &r->ifindex, &up), 0);
	assert_true(r->ifindex > 0);
	assert_false(up);
	assert_int_equal(nl_link_get(r->nl, "nosuch0", &ifindex, &up), -ENODEV);
	assert_int_equal(nl_link_get(r->nl, "abcdefghijklmnop", &ifindex, &up), -EINVAL);

	read_events(r);
	assert_int_equal(nl_link_set_up(r->nl, r->ifindex), 0);
	assert_int_equal(nl_link_set_up(r->nl, r->ifindex), 0);
	assert_int_equal(nl_link_get(r->nl, "aa0", &ifindex, &up), 0);
	assert_int_equal(ifindex, r->ifindex);
	assert_true(up);
	read_events(r);
	assert_true(count_events(r, NL_EV_NEWLINK, NULL, "aa0") >= 1);
	assert_int_equal(nl_link_set_up(r->nl, 999999), -ENODEV);
}

static void test_root_addr(void **state)
{
	static const char *const addrs[] = {"10.53.0.53/32", "fd53::53/128", "10.54.0.1/24"};
	struct root *r = root_of(state);
	struct dump_ctx fctx;
	ALIGNED char req[NL_MSG_REQ_SIZE];
	struct nl_addr a;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		a = addr(addrs[i]);
		read_events(r);
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
		assert_int_equal(dump_count(r, &a), 1);
		read_events(r);
		/* the second add changed nothing, so it told nobody */
		assert_int_equal(count_events(r, NL_EV_NEWADDR, &a, NULL), 1);

		/* NODAD: usable at once, never tentative */
		fctx = (struct dump_ctx){.ifindex = r->ifindex, .want = &a};
		assert_int_equal(nl_msg_addr_dump(req, sizeof(req), 1), 0);
		assert_int_equal(raw_request((void *)req, flags_cb, &fctx), 0);
		assert_int_equal(fctx.found, 1);
		assert_false(fctx.flags & IFA_F_TENTATIVE);
		if (a.family == AF_INET6)
			assert_true(fctx.flags & IFA_F_NODAD);

		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
		assert_int_equal(dump_count(r, &a), 0);
		read_events(r);
		assert_int_equal(count_events(r, NL_EV_DELADDR, &a, NULL), 1);

		assert_int_equal(nl_addr_add(r->nl, 999999, &a), -ENODEV);
		assert_int_equal(nl_addr_del(r->nl, 999999, &a), -ENODEV);
	}
	/* with a peer, the kernel reports our side in IFA_LOCAL and the peer in IFA_ADDRESS */
	assert_int_equal(system("ip -6 addr add fd54::1 peer fd54::2 dev aa0 nodad"), 0);
	a = addr("fd54::1");
	assert_int_equal(dump_count(r, &a), 1);
	assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
	assert_int_equal(dump_count(r, &a), 0);
}

static void nested_event_cb(const struct nl_event *ev, void *data)
{
	struct root *r = data;
	bool up;

	(void)ev;
	/* events and requests have sockets and buffers of their own */
	assert_int_equal(nl_event_read(r->nl, nested_event_cb, r), -EBUSY);
	assert_int_equal(nl_link_get(r->nl, "aa0", NULL, &up), 0);
	r->nev++;
}

static void test_root_reentry(void **state)
{
	struct root *r = root_of(state);
	struct nl_addr a = addr("10.53.0.54");
	struct dump_ctx ctx = {.want = &a, .nl = r->nl};

	read_events(r);
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
	assert_int_equal(nl_addr_dump(r->nl, r->ifindex, dump_cb, &ctx), 0);
	assert_int_equal(ctx.found, 1);
	assert_int_equal(ctx.nested, -EBUSY);
	r->nev = 0;
	assert_int_equal(nl_event_read(r->nl, nested_event_cb, r), 0);
	assert_true(r->nev >= 1);
	assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
	assert_int_equal(nl_addr_dump(r->nl, r->ifindex, NULL, NULL), -EINVAL);
	read_events(r);
}

static void test_root_enobufs(void **state)
{
	struct root *r = root_of(state);
	struct nl *small;
	struct nl_addr a;
	int size = 1, i;

	assert_int_equal(nl_create(&small), 0);
	/* the kernel's minimum receive buffer overruns after a few events */
	assert_int_equal(setsockopt(nl_event_fd(small), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)),
			 0);
	a = addr("10.99.0.1");
	for (i = 0; i < 100; i++) {
		a.u.v4.s_addr = htonl(0x0a630000 + i);
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
	}
	assert_int_equal(nl_event_read(small, collect, r), -ENOBUFS);
	/* what is left is still readable; the caller re-reads its state meanwhile */
	assert_int_equal(nl_event_read(small, collect, r), 0);
	for (i = 0; i < 100; i++) {
		a.u.v4.s_addr = htonl(0x0a630000 + i);
		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
	}
	nl_destroy(small);
	read_events(r);
}

static void test_root_dummy(void **state)
{
	struct root *r = root_of(state);
	ALIGNED char req[NL_MSG_REQ_SIZE];
	struct tb tb, info;
	char *kind;
	int ret;

	ret = nl_link_create_dummy(r->nl, "dm0");
	print_message("create dummy: %d (%s)\n", ret, ret ? strerror(-ret) : "created");
	assert_true(ret == 0 || ret == -EOPNOTSUPP);
	if (ret == 0) {
		assert_int_equal(nl_link_get(r->nl, "dm0", NULL, NULL), 0);
		assert_int_equal(nl_link_create_dummy(r->nl, "dm0"), -EEXIST);
		assert_int_equal(system("ip link del dm0"), 0);
	} else {
		assert_int_equal(nl_link_get(r->nl, "dm0", NULL, NULL), -ENODEV);
	}
	/* the kernel looks the name up before the kind */
	assert_int_equal(nl_link_create_dummy(r->nl, "aa0"), -EEXIST);
	assert_int_equal(nl_link_create_dummy(r->nl, "abcdefghijklmnop"), -EINVAL);

	/* the same message with kind "ifb" creates a link: the kernel finds name and kind
	 * where we put them, so EOPNOTSUPP above is about the driver */
	assert_int_equal(nl_msg_link_create_dummy(req, sizeof(req), 1, "kind0"), 0);
	check_msg((void *)req, sizeof(req), RTM_NEWLINK, ADD, 1, sizeof(struct ifinfomsg), &tb);
	memset(&info, 0, sizeof(info));
	assert_int_equal(mnl_attr_parse_nested(tb.a[IFLA_LINKINFO], tb_cb, &info), MNL_CB_OK);
	kind = mnl_attr_get_payload(info.a[IFLA_INFO_KIND]);
	memset(kind, 0, mnl_attr_get_payload_len(info.a[IFLA_INFO_KIND]));
	memcpy(kind, "ifb", 3);
	assert_int_equal(raw_request((void *)req, NULL, NULL), 0);
	assert_int_equal(nl_link_get(r->nl, "kind0", NULL, NULL), 0);
	assert_int_equal(system("ip link del kind0"), 0);
}

static void test_root_dellink(void **state)
{
	struct root *r = root_of(state);
	struct nl_addr a = addr("10.53.0.53");

	read_events(r);
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
	assert_int_equal(system("ip link del aa0"), 0);
	read_events(r);
	assert_int_equal(count_events(r, NL_EV_DELADDR, &a, NULL), 1);
	assert_int_equal(count_events(r, NL_EV_DELLINK, NULL, "aa0"), 1);
	assert_int_equal(nl_link_get(r->nl, "aa0", NULL, NULL), -ENODEV);
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
	    cmocka_unit_test(test_build_addr),	       cmocka_unit_test(test_build_link),
	    cmocka_unit_test(test_build_small_buffer), cmocka_unit_test(test_build_bad_args),
	    cmocka_unit_test(test_parse_addr),	       cmocka_unit_test(test_parse_event),
	    cmocka_unit_test(test_parse_truncated),    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_addr_parse_good),    cmocka_unit_test(test_addr_parse_bad),
	    cmocka_unit_test(test_addr_str),	       cmocka_unit_test(test_addr_equal)};
	const struct CMUnitTest kernel[] = {
	    cmocka_unit_test(test_root_link),	 cmocka_unit_test(test_root_addr),
	    cmocka_unit_test(test_root_reentry), cmocka_unit_test(test_root_enobufs),
	    cmocka_unit_test(test_root_dummy),	 cmocka_unit_test(test_root_dellink)};
	int failed;

	failed = cmocka_run_group_tests_name("netlink messages", unit, NULL, NULL);
	/* in order: each test leaves aa0 as the next expects it */
	failed += cmocka_run_group_tests_name("netlink kernel", kernel, root_setup, root_teardown);
	return failed ? 1 : 0;
}
