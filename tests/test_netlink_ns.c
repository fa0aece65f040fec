/* SPDX-License-Identifier: MIT */
/* tests for netlink/ against the real kernel, in a private network namespace: root only,
 * skipped otherwise. Message building and parsing are in test_netlink.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/nl_msg.h"
#include "tests/nl_test.h"

/* One namespace for the whole group: each test leaves aa0 as the next expects it. */
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
		    (!ifname || strcmp(r->ev[i].link.name, ifname) == 0))
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
	struct nl_link l = {.up = true};

	assert_int_equal(nl_link_get(r->nl, "aa0", 0, &l), 0);
	r->ifindex = l.ifindex;
	assert_true(r->ifindex > 0);
	assert_false(l.up);
	assert_int_equal(nl_link_get(r->nl, "nosuch0", 0, &l), -ENODEV);
	assert_int_equal(nl_link_get(r->nl, "abcdefghijklmnop", 0, &l), -EINVAL);

	read_events(r);
	assert_int_equal(nl_link_set_up(r->nl, r->ifindex), 0);
	assert_int_equal(nl_link_set_up(r->nl, r->ifindex), 0);
	assert_int_equal(nl_link_get(r->nl, "aa0", 0, &l), 0);
	assert_int_equal(l.ifindex, r->ifindex);
	assert_true(l.up);
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
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 1);
		assert_int_equal(dump_count(r, &a), 1);
		read_events(r);
		/* the second add changed nothing, so it told nobody */
		assert_int_equal(count_events(r, NL_EV_NEWADDR, &a, NULL), 1);

		/* NODAD: usable at once, never tentative */
		fctx = (struct dump_ctx){.ifindex = r->ifindex, .want = &a};
		assert_int_equal(nl_msg_addr_dump(req, sizeof(req), 1, r->ifindex), 0);
		assert_int_equal(raw_request((void *)req, flags_cb, &fctx), 0);
		assert_int_equal(fctx.found, 1);
		assert_false(fctx.flags & IFA_F_TENTATIVE);
		if (a.family == AF_INET6)
			assert_true(fctx.flags & IFA_F_NODAD);

		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 1);
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

	(void)ev;
	/* events and requests have sockets and buffers of their own */
	assert_int_equal(nl_event_read(r->nl, nested_event_cb, r), -EBUSY);
	assert_int_equal(nl_link_get(r->nl, "aa0", 0, NULL), 0);
	r->nev++;
}

static void test_root_reentry(void **state)
{
	struct root *r = root_of(state);
	struct nl_addr a = addr("10.53.0.54");
	struct dump_ctx ctx = {.want = &a, .nl = r->nl};

	read_events(r);
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
	/* the callback runs once the dump is read whole: it may make requests itself */
	assert_int_equal(nl_addr_dump(r->nl, r->ifindex, dump_cb, &ctx), 0);
	assert_int_equal(ctx.found, 1);
	assert_int_equal(ctx.nested, 0);
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
		assert_int_equal(nl_link_get(r->nl, "dm0", 0, NULL), 0);
		assert_int_equal(nl_link_create_dummy(r->nl, "dm0"), -EEXIST);
		assert_int_equal(system("ip link del dm0"), 0);
	} else {
		assert_int_equal(nl_link_get(r->nl, "dm0", 0, NULL), -ENODEV);
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
	assert_int_equal(nl_link_get(r->nl, "kind0", 0, NULL), 0);
	assert_int_equal(system("ip link del kind0"), 0);
}

/* Local routes in table local for a's host address: ours (checked whole) and the kernel's. */
struct route_ctx {
	const struct nl_addr *want;
	unsigned lo;
	unsigned drain, kernel;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	size_t len = ctx->want->family == AF_INET ? 4 : 16;
	uint32_t table;
	struct tb tb;

	memset(&tb, 0, sizeof(tb));
	assert_int_equal(nlh->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*rtm), tb_cb, &tb), MNL_CB_OK);
	/* rtm_table is 8 bits; RTA_TABLE is the real one */
	table = tb.a[RTA_TABLE] ? mnl_attr_get_u32(tb.a[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != ctx->want->family || rtm->rtm_type != RTN_LOCAL ||
	    table != RT_TABLE_LOCAL || rtm->rtm_dst_len != len * 8 || !tb.a[RTA_DST] ||
	    memcmp(mnl_attr_get_payload(tb.a[RTA_DST]), &ctx->want->u, len) != 0)
		return MNL_CB_OK;
	if (rtm->rtm_protocol == RTPROT_KERNEL) {
		ctx->kernel++;
		return MNL_CB_OK;
	}
	assert_int_equal(rtm->rtm_protocol, NL_RTPROT_DRAIN);
	/* IPv6 routes have no scope */
	if (rtm->rtm_family == AF_INET)
		assert_int_equal(rtm->rtm_scope, RT_SCOPE_HOST);
	assert_non_null(tb.a[RTA_OIF]);
	assert_int_equal(mnl_attr_get_u32(tb.a[RTA_OIF]), ctx->lo);
	assert_non_null(tb.a[RTA_PRIORITY]);
	assert_int_equal(mnl_attr_get_u32(tb.a[RTA_PRIORITY]), NL_DRAIN_METRIC);
	ctx->drain++;
	return MNL_CB_OK;
}

/* Dumps until the kernel's own local route count is `kernel`, for 1 s at most: IPv6 inserts
 * it from a work queue, even with NODAD, so it may come a moment after the ACK. */
static struct route_ctx routes(unsigned lo, const struct nl_addr *a, unsigned kernel)
{
	ALIGNED char req[NL_MSG_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct route_ctx ctx;
	struct rtmsg *rtm;
	int i;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = a->family;
	for (i = 0; i < 100; i++) {
		ctx = (struct route_ctx){.want = a, .lo = lo};
		assert_int_equal(raw_request(nlh, route_cb, &ctx), 0);
		if (ctx.kernel == kernel)
			break;
		usleep(10000);
	}
	return ctx;
}

/* Drain routes go on lo, and IPv6 takes no route through a link that is down (ENETDOWN);
 * a new namespace's lo is down. */
static unsigned lo_up(struct root *r)
{
	struct nl_link lo;

	assert_int_equal(nl_link_get(r->nl, "lo", 0, &lo), 0);
	assert_int_equal(nl_link_set_up(r->nl, lo.ifindex), 0);
	return lo.ifindex;
}

/* Port 0: bind() picks one. */
static socklen_t sockaddr_of(const struct nl_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr = a->u.v4;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = a->u.v6;
	return sizeof(*sin6);
}

/* A datagram sent to a from inside the namespace reaches a socket bound to a. IPv4 binds
 * to any address of a local route; IPv6 only to configured ones, unless IP_FREEBIND. */
static void udp_reaches(const struct nl_addr *a)
{
	struct sockaddr_storage ss;
	struct pollfd p = {.events = POLLIN};
	socklen_t sl = sockaddr_of(a, &ss);
	int one = 1, tx;
	char buf[16];

	p.fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p.fd >= 0);
	if (a->family == AF_INET6)
		assert_int_equal(setsockopt(p.fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)), 0);
	assert_int_equal(bind(p.fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(getsockname(p.fd, (struct sockaddr *)&ss, &sl), 0);
	tx = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(tx >= 0);
	assert_int_equal(sendto(tx, "drain", 5, 0, (struct sockaddr *)&ss, sl), 5);
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_memory_equal(buf, "drain", 5);
	close(tx);
	close(p.fd);
}

static void test_root_drain(void **state)
{
	static const char *const addrs[] = {"10.53.0.55/32", "fd53::55/128"};
	struct root *r = root_of(state);
	unsigned lo = lo_up(r);
	struct sockaddr_storage ss;
	struct route_ctx rc;
	struct nl_addr a;
	socklen_t sl;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		a = addr(addrs[i]);
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
		assert_int_equal(nl_drain_add(r->nl, &a), 0);
		assert_int_equal(nl_drain_add(r->nl, &a), 0);
		rc = routes(lo, &a, 1);
		assert_int_equal(rc.drain, 1);
		assert_int_equal(rc.kernel, 1);

		/* the address goes, taking the kernel's route; ours keeps it local */
		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
		assert_int_equal(dump_count(r, &a), 0);
		rc = routes(lo, &a, 0);
		assert_int_equal(rc.drain, 1);
		assert_int_equal(rc.kernel, 0);
		udp_reaches(&a);

		assert_int_equal(nl_drain_del(r->nl, &a), 0);
		assert_int_equal(nl_drain_del(r->nl, &a), 0);
		rc = routes(lo, &a, 0);
		assert_int_equal(rc.drain, 0);
		assert_int_equal(rc.kernel, 0);
		if (a.family == AF_INET) {
			/* no local route left: the address is no longer ours */
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			assert_true(fd >= 0);
			sl = sockaddr_of(&a, &ss);
			assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), -1);
			assert_int_equal(errno, EADDRNOTAVAIL);
			close(fd);
		}
	}
}

/* The drain route and the kernel's local route for the same address are two routes:
 * deleting ours leaves the kernel's alone. */
static void test_root_drain_kernel_route(void **state)
{
	static const char *const addrs[] = {"10.53.0.56/24", "fd53::56/64"};
	struct root *r = root_of(state);
	unsigned lo = lo_up(r);
	struct route_ctx rc;
	struct nl_addr a;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		a = addr(addrs[i]);
		/* never added: ESRCH (IPv4) or ENOENT (IPv6) is success */
		assert_int_equal(nl_drain_del(r->nl, &a), 0);
		assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
		rc = routes(lo, &a, 1);
		assert_int_equal(rc.drain, 0);
		assert_int_equal(rc.kernel, 1);
		assert_int_equal(nl_drain_add(r->nl, &a), 0);
		rc = routes(lo, &a, 1);
		assert_int_equal(rc.drain, 1);
		assert_int_equal(nl_drain_del(r->nl, &a), 0);
		assert_int_equal(nl_drain_del(r->nl, &a), 0);
		rc = routes(lo, &a, 1);
		assert_int_equal(rc.drain, 0);
		assert_int_equal(rc.kernel, 1);
		assert_int_equal(dump_count(r, &a), 1);
		assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
		rc = routes(lo, &a, 0);
		assert_int_equal(rc.kernel, 0);
	}
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
	assert_int_equal(nl_link_get(r->nl, "aa0", 0, NULL), -ENODEV);
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), -ENODEV);
}

/* A dump stays whole and correct while addresses elsewhere churn: the kernel flags a dump
 * that spans several reads while its table changes (NLM_F_DUMP_INTR); it is read to its
 * end and retried, and the next request on the socket still works (an abandoned dump
 * left the socket answering EBUSY). Many addresses on aa0 make the dump span reads; with
 * strict checking off (old kernels) it covers the namespace and is interrupted often,
 * with it on (the kernel filters by link) it was never interrupted here. */
static void dump_churn(struct root *r, bool strict)
{
	/* a socket left mid-dump can wedge the loop below: fail, never hang */
	alarm(120);
	struct nl *other;
	struct nl_link l;
	struct nl_addr a = addr("10.53.0.53"), b;
	unsigned intr = 0, whole = 0;
	pid_t pid;
	int st;

	assert_int_equal(system("ip link add aa1 type ifb && ip link set aa1 up"), 0);
	assert_int_equal(nl_link_get(r->nl, "aa1", 0, &l), 0);
	assert_int_equal(nl_create(&other), 0);
	assert_int_equal(nl_set_strict(r->nl, strict), 0);
	b = addr("10.99.0.0");
	for (int i = 0; i < 2000; i++) {
		b.u.v4.s_addr = htonl(0x0a630000 + (unsigned)i);
		assert_int_equal(nl_addr_add(other, r->ifindex, &b), 0);
	}
	assert_int_equal(nl_addr_add(r->nl, r->ifindex, &a), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* one add and one delete on aa1, as fast as the kernel takes them */
		b.u.v4.s_addr = htonl(0x0a640001);
		for (;;) {
			nl_addr_add(other, l.ifindex, &b);
			nl_addr_del(other, l.ifindex, &b);
		}
	}
	for (int i = 0; i < 200; i++) {
		struct dump_ctx ctx = {.want = &a};
		int ret = nl_addr_dump(r->nl, r->ifindex, dump_cb, &ctx);

		/* whole or nothing: never a partial answer, never EBUSY afterwards */
		assert_true(ret == 0 || ret == -EINTR);
		intr += ret == -EINTR;
		if (ret == 0) {
			assert_int_equal(ctx.found, 1);
			whole++;
		}
		assert_int_equal(nl_link_get(r->nl, "aa0", 0, NULL), 0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	print_message("strict %d: 200 dumps of 2001 addresses under churn: %u whole, %u "
		      "interrupted 8 times, %lu retries\n",
		      strict, whole, intr, nl_dump_retries(r->nl));
	/* filtered, the dump of one link is whole; the namespace's, under this churn, seldom */
	if (strict)
		assert_true(whole > 0);
	else
		assert_true(nl_dump_retries(r->nl) > 0); /* the test did what it is for */
	assert_int_equal(nl_set_strict(r->nl, true), 0);
	alarm(0);
	for (int i = 0; i < 2000; i++) {
		b.u.v4.s_addr = htonl(0x0a630000 + (unsigned)i);
		assert_int_equal(nl_addr_del(other, r->ifindex, &b), 0);
	}
	nl_destroy(other);
	assert_int_equal(nl_addr_del(r->nl, r->ifindex, &a), 0);
	assert_int_equal(system("ip link del aa1"), 0);
	/* thousands of events: the queue may have overrun, which is not this test's matter */
	while (nl_event_read(r->nl, collect, r) == -ENOBUFS)
		;
	r->nev = 0;
}

static void test_root_dump_churn(void **state)
{
	struct root *r = root_of(state);

	dump_churn(r, false);
	dump_churn(r, true);
}

static void test_root_link_index_kind(void **state)
{
	struct root *r = root_of(state);
	struct nl_link l, m;

	assert_int_equal(nl_link_get(r->nl, "aa0", 0, &l), 0);
	assert_string_equal(l.kind, "ifb");
	assert_int_equal(nl_link_get(r->nl, NULL, l.ifindex, &m), 0);
	assert_string_equal(m.name, "aa0");
	assert_int_equal(m.ifindex, l.ifindex);
	assert_int_equal(nl_link_get(r->nl, "lo", 0, &m), 0);
	assert_string_equal(m.kind, "");
	assert_int_equal(nl_link_get(r->nl, NULL, 999999, &m), -ENODEV);
}

struct listen_ctx {
	struct nl_addr a;
	uint16_t port;
	bool tcp, udp;
	unsigned seen;
};

static void listen_cb(const struct nl_sock *s, void *data)
{
	struct listen_ctx *c = data;

	c->seen++;
	c->tcp |= nl_sock_accepts(s, IPPROTO_TCP, &c->a, c->port);
	c->udp |= nl_sock_accepts(s, IPPROTO_UDP, &c->a, c->port);
}

static int bound(int family, int type, const char *ip, uint16_t port, bool v6only)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	int fd = socket(family, type, 0), one = 1, v6 = v6only;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)), 0);
	/* the address need not exist: unbound's ip-freebind */
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)), 0);
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	}
	assert_int_equal(bind(fd, (void *)&ss, sizeof(ss)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static struct listen_ctx listeners(const char *a, uint16_t port)
{
	struct listen_ctx c = {.a = addr(a), .port = port};

	assert_int_equal(nl_listeners(listen_cb, &c), 0);
	return c;
}

/* Who listens where: the address itself, its family's wildcard, the IPv6 wildcard for
 * IPv4 unless V6ONLY; TCP only in LISTEN, UDP only bound and unconnected. */
static void test_root_listeners(void **state)
{
	struct listen_ctx c;
	int fds[4];

	(void)root_of(state);
	c = listeners("10.53.0.53", 5353);
	assert_false(c.tcp || c.udp);
	fds[0] = bound(AF_INET, SOCK_STREAM, "10.53.0.53", 5353, false);
	fds[1] = bound(AF_INET, SOCK_DGRAM, "10.53.0.53", 5353, false);
	c = listeners("10.53.0.53", 5353);
	assert_true(c.tcp && c.udp);
	assert_true(c.seen >= 2);
	c = listeners("10.53.0.54", 5353);
	assert_false(c.tcp || c.udp);
	c = listeners("10.53.0.53", 53);
	assert_false(c.tcp || c.udp);
	close(fds[0]);
	close(fds[1]);
	/* [::]:5353 without V6ONLY takes IPv4 too; with it, only IPv6 */
	fds[0] = bound(AF_INET6, SOCK_STREAM, "::", 5353, false);
	fds[1] = bound(AF_INET6, SOCK_DGRAM, "::", 5353, true);
	c = listeners("10.53.0.53", 5353);
	assert_true(c.tcp);
	assert_false(c.udp);
	c = listeners("fd53::53", 5353);
	assert_true(c.tcp && c.udp);
	fds[2] = bound(AF_INET6, SOCK_DGRAM, "fd53::53", 5354, false);
	c = listeners("fd53::53", 5354);
	assert_true(c.udp);
	assert_false(c.tcp);
	c = listeners("fd53::54", 5354);
	assert_false(c.udp);
	fds[3] = bound(AF_INET, SOCK_STREAM, "0.0.0.0", 5355, false);
	c = listeners("10.1.2.3", 5355);
	assert_true(c.tcp);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

struct sw_seen {
	struct nl_sock s[16];
	size_t n;
};

static void sw_collect(const struct nl_sock *s, void *data)
{
	struct sw_seen *seen = data;

	if (seen->n < 16)
		seen->s[seen->n++] = *s;
}

/* The reports on w within ms (all of them once the first came and 200 ms more passed). */
static struct sw_seen sw_wait(struct nl_sockwatch *w, int ms)
{
	struct pollfd p = {.fd = nl_sockwatch_fd(w), .events = POLLIN};
	struct sw_seen seen = {0};

	if (poll(&p, 1, ms) == 1) {
		usleep(200 * 1000);
		assert_int_equal(nl_sockwatch_read(w, sw_collect, &seen), 0);
	}
	return seen;
}

/* A destroyed listener is reported within a second, with its address and port; the
 * connections a listener accepted, other ports and outgoing sockets are filtered out in
 * the kernel. */
static void test_root_sockwatch(void **state)
{
	static const uint16_t port = 5353, other = 5354;
	struct nl_sockwatch *tcp, *udp;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sw_seen seen;
	int l, c, a;

	(void)root_of(state);
	assert_int_equal(system("ip link set lo up"), 0);
	assert_int_equal(nl_sockwatch_create(&tcp, IPPROTO_TCP, &port, 1), 0);
	assert_int_equal(nl_sockwatch_create(&udp, IPPROTO_UDP, &port, 1), 0);

	/* a listener that accepted a connection: only the listener is reported */
	l = bound(AF_INET, SOCK_STREAM, "127.0.0.1", port, false);
	c = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(c, (void *)&sin, sizeof(sin)), 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(l);
	seen = sw_wait(tcp, 1000);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.s[0].family, AF_INET);
	assert_int_equal(seen.s[0].proto, IPPROTO_TCP);
	assert_int_equal(seen.s[0].port, port);
	assert_int_equal(seen.s[0].local.v4.s_addr, sin.sin_addr.s_addr);
	assert_int_equal(sw_wait(udp, 0).n, 0);

	/* UDP, IPv6 wildcard; another port is not reported until it is watched */
	close(bound(AF_INET6, SOCK_DGRAM, "::", other, false));
	close(bound(AF_INET6, SOCK_DGRAM, "::", port, false));
	seen = sw_wait(udp, 1000);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.s[0].family, AF_INET6);
	assert_int_equal(seen.s[0].port, port);
	assert_int_equal(sw_wait(tcp, 0).n, 0);
	assert_int_equal(nl_sockwatch_set_ports(udp, &other, 1), 0);
	close(bound(AF_INET, SOCK_DGRAM, "10.53.0.53", port, false));
	close(bound(AF_INET, SOCK_DGRAM, "10.53.0.53", other, false));
	seen = sw_wait(udp, 1000);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.s[0].port, other);
	nl_sockwatch_destroy(tcp);
	nl_sockwatch_destroy(udp);
}

int main(void)
{
	const struct CMUnitTest kernel[] = {
	    cmocka_unit_test(test_root_link),
	    cmocka_unit_test(test_root_addr),
	    cmocka_unit_test(test_root_reentry),
	    cmocka_unit_test(test_root_enobufs),
	    cmocka_unit_test(test_root_dummy),
	    cmocka_unit_test(test_root_drain),
	    cmocka_unit_test(test_root_drain_kernel_route),
	    cmocka_unit_test(test_root_link_index_kind),
	    cmocka_unit_test(test_root_dump_churn),
	    cmocka_unit_test(test_root_listeners),
	    cmocka_unit_test(test_root_sockwatch),
	    cmocka_unit_test(test_root_dellink),
	};
	int failed;

	/* in order: each test leaves aa0 as the next expects it */
	failed = cmocka_run_group_tests_name("netlink kernel", kernel, root_setup, root_teardown);
	return failed ? 1 : 0;
}
