/* SPDX-License-Identifier: MIT */
/* nl: the request and event sockets; messages come from nl_msg. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/nl.h"
#include "netlink/nl_msg.h"

/* The kernel fills dump datagrams up to 32 KiB; smaller buffers truncate them. */
#define NL_RECV_SIZE	   32768
#define NL_EVENT_RCVBUF	   (4 * 1024 * 1024)
#define NL_REQ_TIMEOUT_SEC 2
#define NL_DUMP_TRIES	   8

struct nl {
	struct mnl_socket *req;
	struct mnl_socket *ev;
	uint32_t portid;
	uint32_t seq;
	unsigned lo; /* ifindex of lo, 0 until looked up */
	unsigned long dump_retries;
	/* a callback that re-enters would overwrite the buffer it is being called from */
	bool in_request;
	bool in_event;
	_Alignas(struct nlmsghdr) char req_buf[NL_RECV_SIZE];
	_Alignas(struct nlmsghdr) char ev_buf[NL_RECV_SIZE];
};

static int open_req(struct nl *nl)
{
	struct timeval tv = {.tv_sec = NL_REQ_TIMEOUT_SEC};
	int ret;

	nl->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->req)
		return -errno;
	if (mnl_socket_bind(nl->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	/* a wedged kernel must not hang the daemon forever */
	if (setsockopt(mnl_socket_get_fd(nl->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto cleanup;
	}
	/* dumps filtered by the kernel (addresses of one link, 4.20+); without it the
	 * replies cover the namespace and are filtered here */
	nl_set_strict(nl, true);
	nl->portid = mnl_socket_get_portid(nl->req);
	return 0;

cleanup:
	mnl_socket_close(nl->req);
	nl->req = NULL;
	return ret;
}

static int open_ev(struct nl *nl)
{
	int size = NL_EVENT_RCVBUF;
	int ret, fd;

	nl->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl->ev)
		return -errno;
	fd = mnl_socket_get_fd(nl->ev);
	/* bursts (an interface going away) overrun the default buffer; FORCE needs
	 * CAP_NET_ADMIN, plain SO_RCVBUF is capped by net.core.rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (mnl_socket_bind(nl->ev, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	return 0;

cleanup:
	mnl_socket_close(nl->ev);
	nl->ev = NULL;
	return ret;
}

int nl_create(struct nl **out)
{
	struct nl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	ret = open_req(nl);
	if (ret < 0)
		goto cleanup;
	ret = open_ev(nl);
	if (ret < 0)
		goto cleanup;
	*out = nl;
	return 0;

cleanup:
	nl_destroy(nl);
	return ret;
}

void nl_destroy(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->req)
		mnl_socket_close(nl->req);
	if (nl->ev)
		mnl_socket_close(nl->ev);
	free(nl);
}

int nl_set_strict(struct nl *nl, bool on)
{
	int v = on;

	if (setsockopt(mnl_socket_get_fd(nl->req), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v,
		       sizeof(v)) < 0)
		return -errno;
	return 0;
}

unsigned long nl_dump_retries(const struct nl *nl)
{
	return nl->dump_retries;
}

int nl_event_fd(const struct nl *nl)
{
	return mnl_socket_get_fd(nl->ev);
}

static uint32_t next_seq(struct nl *nl)
{
	/* 0 would turn off mnl_cb_run()'s sequence check */
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

/* Is the end of the answer to seq (NLMSG_DONE or NLMSG_ERROR) in these n bytes? */
static bool answer_ends(const void *buf, ssize_t n, uint32_t seq)
{
	const struct nlmsghdr *nlh = buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_seq == seq &&
		    (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/* Sends the request built in buf and runs cb over every reply until the ACK or
 * NLMSG_DONE; an NLMSG_ERROR becomes its -errno. A dump that the kernel flags as
 * interrupted (NLM_F_DUMP_INTR: the table changed while it was read) is read to its end,
 * so that the socket is ready for the next request, and gives -EINTR. */
static int request(struct nl *nl, const void *buf, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsghdr *reply;
	uint32_t seq = nlh->nlmsg_seq;
	bool intr = false;
	ssize_t n;
	int ret;

	if (nl->in_request)
		return -EBUSY;
	nl->in_request = true;
	if (mnl_socket_sendto(nl->req, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->req, nl->req_buf, sizeof(nl->req_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			goto cleanup;
		}
		/* the late answer to a request that timed out: not ours */
		reply = (const struct nlmsghdr *)nl->req_buf;
		if (mnl_nlmsg_ok(reply, (int)n) && reply->nlmsg_seq != seq)
			continue;
		if (intr) {
			if (answer_ends(nl->req_buf, n, seq))
				break;
			continue;
		}
		ret = mnl_cb_run(nl->req_buf, (size_t)n, seq, nl->portid, cb, data);
		if (ret == MNL_CB_ERROR && errno == EINTR) {
			intr = true;
			if (answer_ends(nl->req_buf, n, seq))
				break;
			continue;
		}
		if (ret == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			goto cleanup;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
	ret = intr ? -EINTR : 0;

cleanup:
	nl->in_request = false;
	return ret;
}

struct link_ctx {
	struct nl_link link;
	bool found;
};

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *ctx = data;
	int ret;

	ret = nl_msg_parse_link(nlh, &ctx->link);
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	ctx->found = true;
	return MNL_CB_OK;
}

int nl_link_get(struct nl *nl, const char *ifname, unsigned ifindex, struct nl_link *out)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	struct link_ctx ctx = {0};
	int ret;

	ret = nl_msg_link_get(buf, sizeof(buf), next_seq(nl), ifname, ifindex);
	if (ret < 0)
		return ret;
	ret = request(nl, buf, link_get_cb, &ctx);
	if (ret < 0)
		return ret;
	/* an ACK without the link: should not happen, but is no answer either */
	if (!ctx.found)
		return -EIO;
	if (out)
		*out = ctx.link;
	return 0;
}

int nl_link_create_dummy(struct nl *nl, const char *ifname)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	int ret;

	ret = nl_msg_link_create_dummy(buf, sizeof(buf), next_seq(nl), ifname);
	if (ret < 0)
		return ret;
	/* without the dummy driver the kernel answers EOPNOTSUPP ("Unknown device type")
	 * itself, so there is nothing to translate */
	return request(nl, buf, NULL, NULL);
}

int nl_link_set_up(struct nl *nl, unsigned ifindex)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	int ret;

	ret = nl_msg_link_set_up(buf, sizeof(buf), next_seq(nl), ifindex);
	if (ret < 0)
		return ret;
	return request(nl, buf, NULL, NULL);
}

typedef int (*addr_builder)(void *buf, size_t len, uint32_t seq, unsigned ifindex,
			    const struct nl_addr *a);

/* One request about one address; the errnos `done` and `done2` mean it was already so,
 * which makes the call idempotent: 1 then, 0 when it changed something. */
static int addr_request(struct nl *nl, addr_builder build, unsigned ifindex,
			const struct nl_addr *a, int done, int done2)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	int ret;

	ret = build(buf, sizeof(buf), next_seq(nl), ifindex, a);
	if (ret < 0)
		return ret;
	ret = request(nl, buf, NULL, NULL);
	return ret == -done || ret == -done2 ? 1 : ret;
}

int nl_addr_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	return addr_request(nl, nl_msg_addr_add, ifindex, a, EEXIST, EEXIST);
}

int nl_addr_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	return addr_request(nl, nl_msg_addr_del, ifindex, a, EADDRNOTAVAIL, EADDRNOTAVAIL);
}

/* The drain route goes on lo: routes through an interface that loses its last IPv4
 * address are flushed with it, and anycast0 is about to lose it. */
static int lo_index(struct nl *nl, unsigned *ifindex)
{
	int ret = 0;

	/* lo lives as long as its namespace: look it up once */
	if (!nl->lo) {
		struct nl_link l;

		ret = nl_link_get(nl, "lo", 0, &l);
		if (ret == 0)
			nl->lo = l.ifindex;
	}
	*ifindex = nl->lo;
	return ret;
}

int nl_drain_add(struct nl *nl, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo);

	ret = ret < 0 ? ret : addr_request(nl, nl_msg_route_local_add, lo, a, EEXIST, EEXIST);
	return ret < 0 ? ret : 0;
}

int nl_drain_del(struct nl *nl, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo);

	/* IPv4 says ESRCH for a route that is not there, IPv6 ENOENT */
	ret = ret < 0 ? ret : addr_request(nl, nl_msg_route_local_del, lo, a, ESRCH, ENOENT);
	return ret < 0 ? ret : 0;
}

static int route_request(struct nl *nl, bool add, unsigned oif, const struct nl_addr *a,
			 const struct nl_route_kind *k)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	int ret = add ? nl_msg_route_add(buf, sizeof(buf), next_seq(nl), oif, a, k)
		      : nl_msg_route_del(buf, sizeof(buf), next_seq(nl), oif, a, k);

	if (ret < 0)
		return ret;
	ret = request(nl, buf, NULL, NULL);
	/* there already; not there (IPv4 says ESRCH, IPv6 ENOENT) */
	if (add ? ret == -EEXIST : ret == -ESRCH || ret == -ENOENT)
		return 1;
	return ret;
}

int nl_standby_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo), sum;

	if (ret < 0)
		return ret;
	/* accepted here first, announced after */
	ret = route_request(nl, true, lo, a, &nl_route_standby_local);
	if (ret < 0)
		return ret;
	sum = ret;
	ret = route_request(nl, true, ifindex, a, &nl_route_standby);
	if (ret < 0) {
		route_request(nl, false, lo, a, &nl_route_standby_local);
		return ret;
	}
	return sum && ret;
}

int nl_standby_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo), gone;

	if (ret < 0)
		return ret;
	/* no longer announced first, no longer accepted after */
	ret = ifindex ? route_request(nl, false, ifindex, a, &nl_route_standby) : 1;
	if (ret < 0 && ret != -ENODEV)
		return ret;
	gone = ret != 0;
	ret = route_request(nl, false, lo, a, &nl_route_standby_local);
	if (ret < 0)
		return ret;
	return gone && ret;
}

struct dump_ctx {
	unsigned ifindex;
	struct nl_addr *addrs;
	size_t n, cap;
};

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct nl_addr a;
	unsigned ifindex;
	int ret;

	ret = nl_msg_parse_addr(nlh, &ifindex, &a, NULL);
	if (ret == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	if (ifindex != ctx->ifindex)
		return MNL_CB_OK;
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 16;
		struct nl_addr *p = realloc(ctx->addrs, cap * sizeof(*p));

		if (!p) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ctx->addrs = p;
		ctx->cap = cap;
	}
	ctx->addrs[ctx->n++] = a;
	return MNL_CB_OK;
}

int nl_addr_dump(struct nl *nl, unsigned ifindex, nl_addr_cb cb, void *data)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	struct dump_ctx ctx = {.ifindex = ifindex};
	int ret = -EINTR;

	if (!cb)
		return -EINVAL;
	for (int i = 0; i < NL_DUMP_TRIES && ret == -EINTR; i++) {
		nl->dump_retries += i > 0;
		ctx.n = 0;
		ret = nl_msg_addr_dump(buf, sizeof(buf), next_seq(nl), ifindex);
		if (ret == 0)
			ret = request(nl, buf, addr_dump_cb, &ctx);
	}
	for (size_t i = 0; ret == 0 && i < ctx.n; i++)
		cb(&ctx.addrs[i], data);
	free(ctx.addrs);
	return ret;
}

struct event_ctx {
	nl_event_cb cb;
	void *data;
	int err;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct event_ctx *ctx = data;
	struct nl_event ev;
	int ret;

	ret = nl_msg_parse_event(nlh, &ev);
	if (ret == -ENOENT || ret == -EAFNOSUPPORT)
		return MNL_CB_OK;
	/* deliver the rest, then tell the caller one was lost */
	if (ret < 0) {
		if (!ctx->err)
			ctx->err = ret;
		return MNL_CB_OK;
	}
	ctx->cb(&ev, ctx->data);
	return MNL_CB_OK;
}

int nl_event_read(struct nl *nl, nl_event_cb cb, void *data)
{
	struct event_ctx ctx = {cb, data, 0};
	ssize_t n;
	int ret;

	if (!cb)
		return -EINVAL;
	if (nl->in_event)
		return -EBUSY;
	nl->in_event = true;
	for (;;) {
		n = mnl_socket_recvfrom(nl->ev, nl->ev_buf, sizeof(nl->ev_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno == EAGAIN || errno == EWOULDBLOCK ? ctx.err : -errno;
			goto cleanup;
		}
		/* seq and portid 0: events are not answers, skip those checks */
		if (mnl_cb_run(nl->ev_buf, n, 0, 0, event_cb, &ctx) == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			goto cleanup;
		}
	}

cleanup:
	nl->in_event = false;
	return ret;
}

struct diag_ctx {
	int proto;
	nl_sock_cb cb;
	void *data;
};

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct diag_ctx *ctx = data;
	struct nl_sock s;
	int ret = nl_msg_parse_diag(nlh, ctx->proto, &s);

	if (ret == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	ctx->cb(&s, ctx->data);
	return MNL_CB_OK;
}

int nl_listeners(nl_sock_cb cb, void *data)
{
	static const int fams[] = {AF_INET, AF_INET6}, protos[] = {IPPROTO_TCP, IPPROTO_UDP};
	struct nl *nl = calloc(1, sizeof(*nl));
	struct timeval tv = {.tv_sec = NL_REQ_TIMEOUT_SEC};
	int ret = 0;

	if (!nl)
		return -ENOMEM;
	nl->req = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl->req || mnl_socket_bind(nl->req, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		ret = -errno;
	if (ret == 0)
		nl->portid = mnl_socket_get_portid(nl->req);
	for (size_t f = 0; f < 2 && ret == 0; f++) {
		for (size_t p = 0; p < 2 && ret == 0; p++) {
			_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
			struct diag_ctx ctx = {protos[p], cb, data};

			ret = nl_msg_diag_dump(buf, sizeof(buf), next_seq(nl), fams[f], protos[p]);
			if (ret == 0)
				ret = request(nl, buf, diag_cb, &ctx);
			/* a kernel without IPv6 has nothing to say about it */
			if (ret == -ENOENT && fams[f] == AF_INET6)
				ret = 0;
		}
	}
	nl_destroy(nl);
	return ret;
}
