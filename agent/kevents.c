/* SPDX-License-Identifier: MIT */
/* The kernel's word: link and address events about our interfaces and addresses. They
 * only update what the agent knows and mark it dirty; the reconcile acts. */
#include <errno.h>
#include <string.h>

#include "agent/agent-int.h"
#include "agent/log.h"

static void agent_forget_link(struct agent *a, unsigned ifindex)
{
	/* a standby announcement through it lost its route, not its local route: sb stays,
	 * so that the reconcile removes that */
	for (size_t i = 0; i < a->cfg->naddrs; i++) {
		if (a->addrs[i].await_if == ifindex)
			a->addrs[i].await_us = 0; /* its report will never come */
		if (a->addrs[i].ifindex == ifindex)
			a->addrs[i].ifindex = 0;
	}
	for (size_t i = 0; i < a->norphans;)
		/* a standby's local route outlives the link: that orphan stays */
		if (a->orphans[i].ifindex == ifindex && !a->orphans[i].standby)
			a->orphans[i] = a->orphans[--a->norphans];
		else
			i++;
	a->dirty = true;
}

/* A link event about l (ours, named name) or a link taking its name: true when it was. */
static bool agent_link_changed(struct agent *a, const struct nl_event *ev, struct nl_link *l,
			       const char *name, bool *relink, const char *what)
{
	if (l->ifindex && ev->ifindex == l->ifindex && strcmp(ev->link.name, name)) {
		/* not ours any more: what is on it goes (the next reconcile), by index */
		log_err("%s %s was renamed to %s: withdrawing the service addresses from %s", what,
			name, ev->link.name, ev->link.name);
		for (size_t i = 0; i < a->cfg->naddrs; i++)
			if (a->addrs[i].ifindex == ev->ifindex)
				memcpy(a->addrs[i].ifname, ev->link.name, IFNAMSIZ);
		l->ifindex = 0;
		*relink = true;
	} else if (l->ifindex && ev->ifindex == l->ifindex) {
		*relink |= !ev->link.up && a->cfg->create_interface;
		l->up = ev->link.up;
		a->dirty = true;
	} else if (!strcmp(ev->link.name, name)) {
		*relink = true; /* a link took our name */
	} else {
		return false;
	}
	return true;
}

static void agent_link_event(struct agent *a, const struct nl_event *ev)
{
	if (ev->type == NL_EV_DELLINK) {
		/* the kernel took the link's addresses along */
		agent_forget_link(a, ev->ifindex);
		if (ev->ifindex == a->link.ifindex) {
			log_err("interface %s disappeared%s", a->cfg->interface,
				a->cfg->create_interface ? ": recreating it" : "");
			a->link.ifindex = 0;
		}
		if (ev->ifindex == a->standby.ifindex) {
			log_err("standby interface %s disappeared%s", a->cfg->standby_interface,
				a->cfg->create_interface ? ": recreating it" : "");
			a->standby.ifindex = 0;
		}
		return;
	}
	if (!agent_link_changed(a, ev, &a->link, a->cfg->interface, &a->relink, "interface") &&
	    a->cfg->standby_interface[0])
		agent_link_changed(a, ev, &a->standby, a->cfg->standby_interface, &a->restandby,
				   "standby interface");
}

static void agent_addr_event(struct agent *a, const struct nl_event *ev)
{
	ssize_t i = cfg_addr_find(a->cfg, &ev->addr);
	char buf[NL_ADDRSTRLEN];
	struct agent_addr *st;
	unsigned sb;

	if (i < 0) {
		for (size_t k = 0; ev->type == NL_EV_DELADDR && k < a->norphans; k++)
			if (a->orphans[k].ifindex == ev->ifindex &&
			    nl_addr_equal(&a->orphans[k].addr, &ev->addr)) {
				a->orphans[k] = a->orphans[--a->norphans];
				a->dirty = true;
			}
		return;
	}
	st = &a->addrs[i];
	nl_addr_str(&ev->addr, buf, sizeof(buf));
	if (ev->type == NL_EV_NEWADDR && st->await_us && st->await_if == ev->ifindex) {
		st->await_us = 0; /* reported: the older announcement can go */
		a->dirty = true;
	} else if (ev->type == NL_EV_DELADDR && st->ifindex == ev->ifindex) {
		if (st->await_if == st->ifindex)
			st->await_us = 0;
		st->ifindex = 0;
		a->dirty = true;
		if (agent_want(a, (size_t)i, &sb))
			log_addr(LOG_WARNING, a->svcs[a->cfg->addrs[i].svc]->cfg->name, buf,
				 "%s: %s was removed from %s by someone else: restoring",
				 a->svcs[a->cfg->addrs[i].svc]->cfg->name, buf, st->ifname);
	} else if (ev->type == NL_EV_NEWADDR && !st->ifindex && a->link.ifindex &&
		   ev->ifindex == a->link.ifindex) {
		st->ifindex = ev->ifindex;
		memcpy(st->ifname, a->link.name, IFNAMSIZ);
		a->dirty = true;
		if (!agent_want(a, (size_t)i, &sb))
			log_addr(LOG_WARNING, a->svcs[a->cfg->addrs[i].svc]->cfg->name, buf,
				 "%s: %s appeared on %s while not announced: removing",
				 a->svcs[a->cfg->addrs[i].svc]->cfg->name, buf, a->link.name);
	}
}

static void agent_nl_event(const struct nl_event *ev, void *data)
{
	if (ev->type == NL_EV_NEWLINK || ev->type == NL_EV_DELLINK)
		agent_link_event(data, ev);
	else
		agent_addr_event(data, ev);
}

void agent_nl_readable(int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	int ret;

	(void)fd;
	(void)events;
	ret = nl_event_read(a->nl, agent_nl_event, a);
	if (ret < 0) {
		log_warn("netlink events were lost (%s): re-reading %s",
			 ret == -ENOBUFS ? "receive overrun" : strerror(-ret), a->cfg->interface);
		a->relink = a->resync = true;
	}
	/* only what concerns our link and addresses: a busy host's other changes cost a lookup */
	if (a->dirty || a->relink || a->resync)
		agent_reconcile(a);
}
