/* SPDX-License-Identifier: MIT */
/* The kernel's word on the resolver: when a socket it listened with is destroyed (a crash, a
 * stop), the kernel says so within milliseconds, long before the next probe would. Such a
 * report only makes the service probe at once; the probe's failure withdraws (two
 * independent signals), its success changes nothing. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/agent-int.h"
#include "agent/log.h"

static const int sw_protos[AGENT_SW] = {IPPROTO_TCP, IPPROTO_UDP};

/* The distinct resolver ports of the services. */
static size_t agent_sw_ports(const struct agent *a, uint16_t *ports)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nsvcs; i++) {
		struct nl_addr addr;
		uint16_t port;
		size_t k;

		svc_resolver(a->svcs[i]->cfg, &addr, &port);
		for (k = 0; k < n && ports[k] != port; k++)
			;
		if (k == n && n < NL_SOCKWATCH_MAX_PORTS)
			ports[n++] = port;
	}
	return n;
}

static void agent_sock_gone(const struct nl_sock *sk, void *data)
{
	struct agent *a = data;

	for (size_t i = 0; i < a->nsvcs; i++) {
		struct nl_addr addr;
		uint16_t port;

		svc_resolver(a->svcs[i]->cfg, &addr, &port);
		if (nl_sock_accepts(sk, sk->proto, &addr, port))
			svc_listener_lost(a->svcs[i]);
	}
}

static void agent_sw_readable(int fd, uint32_t events, void *data)
{
	struct agent *a = data;

	(void)events;
	for (size_t i = 0; i < AGENT_SW; i++) {
		int ret;

		if (!a->sw[i] || nl_sockwatch_fd(a->sw[i]) != fd)
			continue;
		ret = nl_sockwatch_read(a->sw[i], agent_sock_gone, a);
		if (ret == -ENOBUFS) {
			/* reports were lost: any listener may be gone, so probe now */
			log_debug("socket reports were lost: probing every service now");
			for (size_t k = 0; k < a->nsvcs; k++)
				svc_kick(a->svcs[k]);
		} else if (ret < 0) {
			log_debug("socket reports: %s", strerror(-ret));
		}
	}
}

void agent_sw_start(struct agent *a)
{
	uint16_t ports[NL_SOCKWATCH_MAX_PORTS];
	size_t n = agent_sw_ports(a, ports);

	for (size_t i = 0; i < AGENT_SW; i++) {
		int ret = nl_sockwatch_create(&a->sw[i], sw_protos[i], ports, n);

		if (ret == 0)
			ret = loop_watch_add(a->loop, nl_sockwatch_fd(a->sw[i]), EPOLLIN,
					     agent_sw_readable, a, &a->sw_watch[i]);
		if (ret < 0) {
			log_warn("the kernel does not report destroyed sockets (sock_diag: %s): a "
				 "dead resolver is noticed by the probes alone",
				 strerror(-ret));
			agent_sw_stop(a);
			return;
		}
	}
}

void agent_sw_update(struct agent *a)
{
	uint16_t ports[NL_SOCKWATCH_MAX_PORTS];
	size_t n = agent_sw_ports(a, ports);

	for (size_t i = 0; i < AGENT_SW; i++) {
		int ret = a->sw[i] ? nl_sockwatch_set_ports(a->sw[i], ports, n) : 0;

		if (ret < 0)
			log_warn("cannot update the socket report filter: %s", strerror(-ret));
	}
}

void agent_sw_stop(struct agent *a)
{
	for (size_t i = 0; i < AGENT_SW; i++) {
		loop_watch_remove(a->sw_watch[i]);
		a->sw_watch[i] = NULL;
		nl_sockwatch_destroy(a->sw[i]);
		a->sw[i] = NULL;
	}
}

struct agent_listen {
	const struct cfg *cfg;
	const struct cfg_service *c;
	uint8_t *seen; /* per address of c: 1 UDP, 2 TCP */
};

static void agent_listen_cb(const struct nl_sock *sk, void *data)
{
	struct agent_listen *l = data;

	for (size_t i = 0; i < l->c->naddrs; i++) {
		const struct nl_addr *addr = &l->cfg->addrs[l->c->first + i].addr;

		if (nl_sock_accepts(sk, IPPROTO_UDP, addr, AGENT_DNS_PORT))
			l->seen[i] |= 1;
		if (nl_sock_accepts(sk, IPPROTO_TCP, addr, AGENT_DNS_PORT))
			l->seen[i] |= 2;
	}
}

bool agent_svc_listens(struct svc *s, void *data)
{
	static const char *const missing[] = {"udp, tcp", "tcp", "udp"};
	struct agent *a = data;
	uint8_t seen[CFG_MAX_ADDRS] = {0};
	struct agent_listen l = {a->cfg, s->cfg, seen};
	char buf[NL_ADDRSTRLEN];
	bool all = true, changed = false;
	int ret = nl_listeners(agent_listen_cb, &l);

	/* the tables unreadable: the probe's word stands (--check-once says so) */
	if (ret < 0) {
		log_debug("%s: sockets not checked: %s", s->cfg->name, strerror(-ret));
		return true;
	}
	for (size_t i = 0; i < s->cfg->naddrs && i < CFG_MAX_ADDRS; i++) {
		size_t k = s->cfg->first + i;
		bool deaf = seen[i] != 3;

		all &= !deaf;
		if (deaf == a->addrs[k].deaf)
			continue;
		a->addrs[k].deaf = deaf;
		changed = true;
		nl_addr_str(&a->cfg->addrs[k].addr, buf, sizeof(buf));
		if (deaf)
			log_warn("%s: not announcing %s: nothing listens on its port %u (%s)",
				 s->cfg->name, buf, AGENT_DNS_PORT, missing[seen[i]]);
		else
			log_info("%s: %s is listened on now", s->cfg->name, buf);
	}
	if (changed)
		agent_reconcile(a);
	return all;
}
