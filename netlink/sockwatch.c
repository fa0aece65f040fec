/* SPDX-License-Identifier: MIT */
/* sockwatch: the kernel's word that a listening socket is gone. sock_diag broadcasts every
 * socket of the namespace as it is destroyed; a classic BPF filter on our socket lets
 * through only the listeners (no peer port) on the ports we watch, so a
 * resolver's outgoing UDP sockets and the connections it accepts cost us nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "netlink/nl.h"
#include "netlink/nl_msg.h"

#define SW_RECV_SIZE 8192
#define SW_RCVBUF    (256 * 1024)
/* offsets in the datagram: nlmsghdr, then struct inet_diag_msg */
#define SW_OFF_DPORT (NLMSG_HDRLEN + offsetof(struct inet_diag_msg, id.idiag_dport))
#define SW_OFF_SPORT (NLMSG_HDRLEN + offsetof(struct inet_diag_msg, id.idiag_sport))
#define SW_MIN_LEN   (NLMSG_HDRLEN + sizeof(struct inet_diag_msg))

struct nl_sockwatch {
	struct mnl_socket *sk;
	int proto;
	_Alignas(struct nlmsghdr) char buf[SW_RECV_SIZE];
};

/* Accept a message when it is long enough, its socket had no peer (a listener, not a
 * connection it accepted), and its local port is one of ports; drop everything else. BPF
 * loads halfwords in network order, as the ports are stored, so they compare as numbers. */
static int sw_filter(struct nl_sockwatch *w, const uint16_t *ports, size_t n)
{
	struct sock_filter f[8 + NL_SOCKWATCH_MAX_PORTS];
	struct sock_fprog prog = {0, f};
	size_t k = 0, accept, drop;

	if (n > NL_SOCKWATCH_MAX_PORTS)
		return -E2BIG;
	/* 0 length, 1 jump, 2-3 no peer, 4 port, 5.. one jump per port, then drop, accept */
	drop = 5 + n;
	accept = drop + 1;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SW_MIN_LEN, 0,
					      (uint8_t)(drop - 2));
	/* no peer: a listener (a TCP one is in state CLOSE by the time it is destroyed) */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SW_OFF_DPORT);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint8_t)(drop - 4));
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SW_OFF_SPORT);
	for (size_t i = 0; i < n; i++, k++)
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[i],
						    (uint8_t)(accept - k - 1), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	prog.len = (unsigned short)k;
	if (setsockopt(mnl_socket_get_fd(w->sk), SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int nl_sockwatch_create(struct nl_sockwatch **out, int proto, const uint16_t *ports, size_t n)
{
	unsigned groups[2] = {SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY};
	struct nl_sockwatch *w;
	int ret, size = SW_RCVBUF;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	if (proto == IPPROTO_UDP) {
		groups[0] = SKNLGRP_INET_UDP_DESTROY;
		groups[1] = SKNLGRP_INET6_UDP_DESTROY;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->proto = proto;
	w->sk = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->sk || mnl_socket_bind(w->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	setsockopt(mnl_socket_get_fd(w->sk), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* the filter first: nothing unfiltered may queue up in between */
	ret = sw_filter(w, ports, n);
	if (ret < 0)
		goto fail;
	for (size_t i = 0; i < 2; i++) {
		if (mnl_socket_setsockopt(w->sk, NETLINK_ADD_MEMBERSHIP, &groups[i],
					  sizeof(groups[i])) == 0)
			continue;
		ret = -errno;
		/* a kernel without IPv6 has no IPv6 sockets to lose */
		if (i == 1 && ret != -EPERM && ret != -EACCES)
			continue;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	nl_sockwatch_destroy(w);
	return ret;
}

int nl_sockwatch_set_ports(struct nl_sockwatch *w, const uint16_t *ports, size_t n)
{
	return sw_filter(w, ports, n);
}

void nl_sockwatch_destroy(struct nl_sockwatch *w)
{
	if (!w)
		return;
	if (w->sk)
		mnl_socket_close(w->sk);
	free(w);
}

int nl_sockwatch_fd(const struct nl_sockwatch *w)
{
	return mnl_socket_get_fd(w->sk);
}

struct sw_ctx {
	int proto;
	nl_sock_cb cb;
	void *data;
	int err;
};

static int sw_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sw_ctx *ctx = data;
	struct nl_sock s;
	int ret = nl_msg_parse_diag(nlh, ctx->proto, &s);

	if (ret == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (ret < 0) {
		if (!ctx->err)
			ctx->err = ret;
		return MNL_CB_OK;
	}
	ctx->cb(&s, ctx->data);
	return MNL_CB_OK;
}

int nl_sockwatch_read(struct nl_sockwatch *w, nl_sock_cb cb, void *data)
{
	struct sw_ctx ctx = {w->proto, cb, data, 0};
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(w->sk, w->buf, sizeof(w->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return ctx.err;
		if (n < 0)
			return -errno; /* ENOBUFS: reports were lost */
		/* multicast: no sequence number, no port id to check */
		if (mnl_cb_run(w->buf, (size_t)n, 0, 0, sw_cb, &ctx) == MNL_CB_ERROR && !ctx.err)
			ctx.err = -EINVAL;
	}
}
