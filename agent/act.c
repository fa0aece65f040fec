/* SPDX-License-Identifier: MIT */
/* act: address changes and drains. A withdrawal never waits on a dump: what was put there
 * is known, and the kernel's answer to the removal is the truth. */
#include "agent/act.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"

struct act_drain {
	struct nl_addr addr;
	uint64_t end_us;
};

struct act {
	struct nl *nl;
	struct loop *loop;
	struct loop_watch *timer;
	act_drained_cb cb;
	void *data;
	struct act_drain *drains;
	size_t ndrains, cap;
	struct nl_addr *list; /* for act_drains() */
};

static void act_arm(struct act *act)
{
	uint64_t first = 0;

	for (size_t i = 0; i < act->ndrains; i++)
		if (!first || act->drains[i].end_us < first)
			first = act->drains[i].end_us;
	loop_timer_arm(act->timer, first);
}

static int act_drain_remove(struct act *act, size_t i)
{
	char buf[NL_ADDRSTRLEN];
	int ret = nl_drain_del(act->nl, &act->drains[i].addr);

	if (ret < 0)
		log_err("cannot remove the drain route of %s: %s",
			nl_addr_str(&act->drains[i].addr, buf, sizeof(buf)), strerror(-ret));
	act->drains[i] = act->drains[--act->ndrains];
	return ret;
}

static void act_timer(void *data)
{
	struct act *act = data;
	uint64_t now = loop_now_us();

	for (size_t i = 0; i < act->ndrains;)
		if (act->drains[i].end_us <= now)
			act_drain_remove(act, i);
		else
			i++;
	act_arm(act);
	if (!act->ndrains && act->cb)
		act->cb(act->data);
}

int act_create(struct act **out, struct nl *nl, struct loop *loop, act_drained_cb cb, void *data)
{
	struct act *act = calloc(1, sizeof(*act));
	int ret;

	if (!act)
		return -ENOMEM;
	act->nl = nl;
	act->loop = loop;
	act->cb = cb;
	act->data = data;
	ret = loop_timer_add(loop, act_timer, act, &act->timer);
	if (ret < 0) {
		free(act);
		return ret;
	}
	*out = act;
	return 0;
}

void act_destroy(struct act *act)
{
	if (!act)
		return;
	act_drain_end(act);
	loop_watch_remove(act->timer);
	free(act->drains);
	free(act->list);
	free(act);
}

struct act_find {
	const struct nl_addr *want;
	struct nl_addr other;
	bool same, found;
};

static void act_find_cb(const struct nl_addr *a, void *data)
{
	struct act_find *f = data;
	size_t len = a->family == AF_INET ? sizeof(a->u.v4) : sizeof(a->u.v6);

	if (a->family != f->want->family || memcmp(&a->u, &f->want->u, len))
		return;
	if (a->prefixlen == f->want->prefixlen) {
		f->same = true;
	} else {
		f->found = true;
		f->other = *a;
	}
}

int act_add(struct act *act, unsigned ifindex, const struct nl_addr *a, struct nl_addr *other)
{
	struct act_find f = {.want = a};
	int ret = nl_addr_add(act->nl, ifindex, a);

	if (ret != 1)
		return ret;
	/* there already: ours from before, or the same address with another length (IPv6) */
	ret = nl_addr_dump(act->nl, ifindex, act_find_cb, &f);
	if (ret < 0)
		return ret;
	if (f.same || !f.found)
		return 1;
	if (other)
		*other = f.other;
	return -EADDRINUSE;
}

static int act_drain_start(struct act *act, const struct nl_addr *a, unsigned drain_ms)
{
	uint64_t end = loop_now_us() + (uint64_t)drain_ms * 1000u;
	int ret;

	for (size_t i = 0; i < act->ndrains; i++) {
		if (nl_addr_equal(&act->drains[i].addr, a)) {
			act->drains[i].end_us = end;
			act_arm(act);
			return 0;
		}
	}
	if (act->ndrains == act->cap) {
		size_t cap = act->cap ? 2 * act->cap : 8;
		struct act_drain *d = realloc(act->drains, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		act->drains = d;
		act->cap = cap;
	}
	ret = nl_drain_add(act->nl, a);
	if (ret < 0)
		return ret;
	act->drains[act->ndrains++] = (struct act_drain){*a, end};
	act_arm(act);
	return 0;
}

int act_del(struct act *act, unsigned ifindex, const struct nl_addr *a, unsigned drain_ms)
{
	int ret;

	/* Without a drain route the withdrawal still happens, only less gently. */
	if (drain_ms && act_drain_start(act, a, drain_ms) < 0)
		log_debug("no drain route for this withdrawal");
	ret = nl_addr_del(act->nl, ifindex, a);
	/* the link went away with its addresses */
	return ret == -ENODEV ? 1 : ret;
}

int act_standby_add(struct act *act, unsigned ifindex, const struct nl_addr *a, bool address)
{
	return address ? act_add(act, ifindex, a, NULL) : nl_standby_add(act->nl, ifindex, a);
}

int act_standby_del(struct act *act, unsigned ifindex, const struct nl_addr *a, unsigned drain_ms)
{
	int route, addr;

	if (drain_ms && act_drain_start(act, a, drain_ms) < 0)
		log_debug("no drain route for this withdrawal");
	/* either form, whichever standby_announce made it (or made it before a reload) */
	route = nl_standby_del(act->nl, ifindex, a);
	addr = ifindex ? nl_addr_del(act->nl, ifindex, a) : 1;
	if (addr == -ENODEV)
		addr = 1;
	if (route < 0 || addr < 0)
		return route < 0 ? route : addr;
	return route && addr;
}

size_t act_drains(struct act *act, const struct nl_addr **list)
{
	struct nl_addr *l = realloc(act->list, (act->ndrains ? act->ndrains : 1) * sizeof(*l));

	if (!l) {
		*list = NULL;
		return 0;
	}
	act->list = l;
	for (size_t i = 0; i < act->ndrains; i++)
		l[i] = act->drains[i].addr;
	*list = l;
	return act->ndrains;
}

int act_drain_end(struct act *act)
{
	int failed = 0;

	while (act->ndrains)
		failed += act_drain_remove(act, act->ndrains - 1) < 0;
	loop_timer_arm(act->timer, 0);
	return failed;
}

int act_drain_clear(struct act *act, const struct nl_addr *a)
{
	return nl_drain_del(act->nl, a);
}
