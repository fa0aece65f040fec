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
	const struct cfg_addr *addrs;
	size_t n;
	uint8_t *seen;
};

static void agent_listen_cb(const struct nl_sock *sk, void *data)
{
	struct agent_listen *l = data;

	for (size_t i = 0; i < l->n; i++) {
		if (nl_sock_accepts(sk, IPPROTO_UDP, &l->addrs[i].addr, AGENT_DNS_PORT))
			l->seen[i] |= AGENT_LISTEN_UDP;
		if (nl_sock_accepts(sk, IPPROTO_TCP, &l->addrs[i].addr, AGENT_DNS_PORT))
			l->seen[i] |= AGENT_LISTEN_TCP;
	}
}

int agent_listen_scan(const struct cfg_addr *addrs, size_t n, uint8_t *seen)
{
	struct agent_listen l = {addrs, n, seen};

	memset(seen, 0, n);
	return nl_listeners(agent_listen_cb, &l);
}

const char *agent_listen_missing(uint8_t seen)
{
	static const char *const missing[] = {"udp, tcp", "tcp", "udp", ""};

	return missing[seen & (AGENT_LISTEN_UDP | AGENT_LISTEN_TCP)];
}

bool agent_listens_refresh(struct agent *a, const struct svc *s)
{
	uint8_t seen[CFG_MAX_ADDRS];
	const size_t first = s->cfg->first,
		     n = s->cfg->naddrs < CFG_MAX_ADDRS ? s->cfg->naddrs : CFG_MAX_ADDRS;
	char buf[NL_ADDRSTRLEN];
	bool all = true;
	int ret = agent_listen_scan(&a->cfg->addrs[first], n, seen);

	/* the tables unreadable: nothing changes, and an address held back is looked at again
	 * at the next good probe */
	if (ret < 0) {
		log_debug("%s: sockets not checked: %s", s->cfg->name, strerror(-ret));
		for (size_t i = 0; i < n; i++)
			all &= !a->addrs[first + i].deaf;
		return all;
	}
	for (size_t i = 0; i < n; i++) {
		struct agent_addr *ad = &a->addrs[first + i];
		bool deaf = seen[i] != (AGENT_LISTEN_UDP | AGENT_LISTEN_TCP);

		all &= !deaf;
		if (deaf == ad->deaf)
			continue;
		ad->deaf = deaf;
		a->dirty = true;
		nl_addr_str(&a->cfg->addrs[first + i].addr, buf, sizeof(buf));
		if (deaf)
			log_addr(LOG_WARNING, s->cfg->name, buf,
				 "%s: not announcing %s: nothing listens on its port %u (%s)",
				 s->cfg->name, buf, AGENT_DNS_PORT, agent_listen_missing(seen[i]));
		else
			log_addr(LOG_INFO, s->cfg->name, buf, "%s: %s is listened on now",
				 s->cfg->name, buf);
	}
	return all;
}

bool agent_svc_listens(struct svc *s, void *data)
{
	struct agent *a = data;
	bool all = agent_listens_refresh(a, s);

	/* while coming up, the UP transition's reconcile follows: no second state write */
	if (a->dirty && s->healthy)
		agent_reconcile(a);
	return all;
}
