/* SPDX-License-Identifier: MIT */
/* Helpers shared by test_netlink.c (buffers) and test_netlink_ns.c (the kernel). Static
 * inline so that a file that leaves one unused does not warn. */
#ifndef NL_TEST_H
#define NL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/nl.h"

#define TB_SIZE 128
#define ALIGNED _Alignas(struct nlmsghdr)

#define REQ (NLM_F_REQUEST | NLM_F_ACK)
#define ADD (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)

struct tb {
	const struct nlattr *a[TB_SIZE];
	unsigned n;
};

static inline int tb_cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;

	assert_true(mnl_attr_get_type(attr) < TB_SIZE);
	tb->a[mnl_attr_get_type(attr)] = attr;
	tb->n++;
	return MNL_CB_OK;
}

/* Checks the header and indexes the attributes after the family header. */
static inline void *check_msg(const struct nlmsghdr *nlh, size_t buflen, uint16_t type,
			      uint16_t flags, uint32_t seq, size_t famlen, struct tb *tb)
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

static inline struct nl_addr addr(const char *s)
{
	struct nl_addr a;

	assert_int_equal(nl_addr_parse(s, &a), 0);
	return a;
}

#endif
