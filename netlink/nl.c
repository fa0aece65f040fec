/* SPDX-License-Identifier: MIT */
/* nl: the request and event sockets; messages come from nl_msg. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "netlink/nl.h"
#include "netlink/nl_msg.h"

/* The kernel fills dump datagrams up to 32 KiB; smaller buffers truncate them. */
#define NL_RECV_SIZE	   32768
#define NL_EVENT_RCVBUF	   (4 * 1024 * 1024)
#define NL_REQ_TIMEOUT_SEC 2

struct nl {
	struct mnl_socket *req;
	struct mnl_socket *ev;
	uint32_t portid;
	uint32_t seq;
	unsigned lo; /* ifindex of lo, 0 until looked up */
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

/* Sends the request built in buf and runs cb over every reply until the ACK or
 * NLMSG_DONE; an NLMSG_ERROR becomes its -errno. */
static int request(struct nl *nl, const void *buf, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsghdr *reply;
	uint32_t seq = nlh->nlmsg_seq;
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
		if (mnl_nlmsg_ok(reply, n) && reply->nlmsg_seq != seq)
			continue;
		ret = mnl_cb_run(nl->req_buf, n, seq, nl->portid, cb, data);
		if (ret == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			goto cleanup;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
	ret = 0;

cleanup:
	nl->in_request = false;
	return ret;
}

struct link_ctx {
	unsigned ifindex;
	bool up;
	bool found;
};

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *ctx = data;
	int ret;

	ret = nl_msg_parse_link(nlh, &ctx->ifindex, NULL, &ctx->up);
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	ctx->found = true;
	return MNL_CB_OK;
}

int nl_link_get(struct nl *nl, const char *ifname, unsigned *ifindex, bool *up)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	struct link_ctx ctx = {0};
	int ret;

	ret = nl_msg_link_get(buf, sizeof(buf), next_seq(nl), ifname);
	if (ret < 0)
		return ret;
	ret = request(nl, buf, link_get_cb, &ctx);
	if (ret < 0)
		return ret;
	/* an ACK without the link: should not happen, but is no answer either */
	if (!ctx.found)
		return -EIO;
	if (ifindex)
		*ifindex = ctx.ifindex;
	if (up)
		*up = ctx.up;
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
 * which makes the call idempotent. */
static int addr_request(struct nl *nl, addr_builder build, unsigned ifindex,
			const struct nl_addr *a, int done, int done2)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	int ret;

	ret = build(buf, sizeof(buf), next_seq(nl), ifindex, a);
	if (ret < 0)
		return ret;
	ret = request(nl, buf, NULL, NULL);
	return ret == -done || ret == -done2 ? 0 : ret;
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
	if (!nl->lo)
		ret = nl_link_get(nl, "lo", &nl->lo, NULL);
	*ifindex = nl->lo;
	return ret;
}

int nl_drain_add(struct nl *nl, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo);

	return ret < 0 ? ret : addr_request(nl, nl_msg_route_local_add, lo, a, EEXIST, EEXIST);
}

int nl_drain_del(struct nl *nl, const struct nl_addr *a)
{
	unsigned lo;
	int ret = lo_index(nl, &lo);

	/* IPv4 says ESRCH for a route that is not there, IPv6 ENOENT */
	return ret < 0 ? ret : addr_request(nl, nl_msg_route_local_del, lo, a, ESRCH, ENOENT);
}

struct dump_ctx {
	unsigned ifindex;
	nl_addr_cb cb;
	void *data;
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
	if (ifindex == ctx->ifindex)
		ctx->cb(&a, ctx->data);
	return MNL_CB_OK;
}

int nl_addr_dump(struct nl *nl, unsigned ifindex, nl_addr_cb cb, void *data)
{
	_Alignas(struct nlmsghdr) char buf[NL_MSG_REQ_SIZE];
	struct dump_ctx ctx = {ifindex, cb, data};
	int ret;

	if (!cb)
		return -EINVAL;
	ret = nl_msg_addr_dump(buf, sizeof(buf), next_seq(nl));
	if (ret < 0)
		return ret;
	return request(nl, buf, addr_dump_cb, &ctx);
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
