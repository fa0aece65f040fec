/* SPDX-License-Identifier: MIT */
/* The running daemon: the interface, where each address is, maintenance, the stop (the
 * kernel's events: kevents.c; what it publishes: publish.c). One reconcile compares the verdicts
 * with what the agent knows the kernel holds and changes only the difference, through act; nothing
 * else adds or removes an address. Only configured addresses (and those a reload dropped) are ever
 * touched. */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent/agent-int.h"
#include "agent/log.h"

#define AGENT_RETRY_US (1000u * 1000u)

static void agent_retry(struct agent *a)
{
	loop_timer_arm(a->retry_timer, loop_now_us() + AGENT_RETRY_US);
}

/* Logs an interface problem once, until it changes or goes away. */
static void agent_if_error(const struct agent *a, const char *ifname, int *last, int err)
{
	if (err == *last)
		return;
	*last = err;
	switch (err) {
	case -EOPNOTSUPP:
		log_err("cannot create %s: this kernel has no dummy interface support "
			"(CONFIG_DUMMY, module 'dummy'): 'modprobe dummy', or create the interface "
			"yourself, or set 'interface' to an existing one; retrying",
			ifname);
		break;
	case -ENODEV:
		log_err("interface %s does not exist and create_interface = no: waiting for it",
			ifname);
		break;
	case -EPERM:
	case -EACCES:
		log_err("cannot configure %s: %s (the agent needs CAP_NET_ADMIN)", ifname,
			strerror(-err));
		break;
	default:
		log_err("interface %s: %s; retrying", ifname, strerror(-err));
	}
	(void)a;
}

void agent_link_error(struct agent *a, int err)
{
	agent_if_error(a, a->cfg->interface, &a->link_err, err);
}

/* Finds (or creates) interface ifname into *cur and brings it up; *err: its last error. */
static int agent_if(struct agent *a, const char *ifname, struct nl_link *cur, int *err)
{
	struct nl_link l;
	int ret;

	ret = nl_link_get(a->nl, ifname, 0, &l);
	if (ret == -ENODEV && a->cfg->create_interface) {
		ret = nl_link_create_dummy(a->nl, ifname);
		if (ret == 0)
			log_info("created dummy interface %s", ifname);
		if (ret == 0 || ret == -EEXIST)
			ret = nl_link_get(a->nl, ifname, 0, &l);
	}
	if (ret == 0 && !l.up && a->cfg->create_interface)
		ret = nl_link_set_up(a->nl, l.ifindex);
	if (ret < 0) {
		cur->ifindex = 0;
		agent_if_error(a, ifname, err, ret);
		return ret;
	}
	if (!l.up && !a->cfg->create_interface)
		log_warn("interface %s is down: FRR will not announce its addresses", ifname);
	if (l.ifindex != cur->ifindex && a->cfg->create_interface && strcmp(l.kind, "dummy"))
		log_warn("interface %s is not a dummy interface (kind '%s'): its addresses and "
			 "routes are the agent's to change",
			 ifname, l.kind[0] ? l.kind : "none");
	if (*err)
		log_info("interface %s is usable again (index %u)", ifname, l.ifindex);
	*cur = l;
	*err = 0;
	return 0;
}

int agent_link(struct agent *a)
{
	int ret = agent_if(a, a->cfg->interface, &a->link, &a->link_err);

	if (ret == 0)
		a->relink = false;
	return ret;
}

int agent_standby_link(struct agent *a)
{
	int ret = 0;

	if (a->cfg->standby_interface[0])
		ret = agent_if(a, a->cfg->standby_interface, &a->standby, &a->standby_err);
	else
		a->standby.ifindex = 0;
	if (ret == 0)
		a->restandby = false;
	return ret;
}

void agent_dump_addr(const struct nl_addr *addr, void *data)
{
	struct agent *a = data;
	ssize_t i = cfg_addr_find(a->cfg, addr);

	if (i >= 0 && !a->addrs[i].ifindex) {
		a->addrs[i].ifindex = a->link.ifindex;
		memcpy(a->addrs[i].ifname, a->link.name, IFNAMSIZ);
	}
}

/* What the interface holds, from the kernel: after lost events and at the start. */
int agent_read_addrs(struct agent *a)
{
	for (size_t i = 0; i < a->cfg->naddrs; i++)
		if (a->addrs[i].ifindex == a->link.ifindex)
			a->addrs[i].ifindex = 0;
	return nl_addr_dump(a->nl, a->link.ifindex, agent_dump_addr, a);
}

static bool agent_svc_wanted(const struct agent *a, const struct svc *s)
{
	return s->healthy && !s->damp.suppressed && !a->maintenance && !a->stopping;
}

bool agent_svc_standby(const struct agent *a, const struct svc *s)
{
	return a->cfg->standby_interface[0] && s->standby && !a->maintenance && !a->stopping &&
	       (!s->healthy || s->damp.suppressed);
}

const char *svc_state_name(enum svc_state st)
{
	static const char *const names[SVC_NSTATES] = {
	    [SVC_STARTING] = "starting",
	    [SVC_UP] = "up",
	    [SVC_DOWN] = "down",
	    [SVC_STANDBY] = "standby",
	    [SVC_MAINTENANCE] = "maintenance",
	    [SVC_DAMPED] = "damped",
	};

	return st >= 0 && st < SVC_NSTATES ? names[st] : "?";
}

enum svc_state agent_svc_state(const struct agent *a, const struct svc *s)
{
	if (a->maintenance || a->stopping)
		return SVC_MAINTENANCE;
	if (s->damp.suppressed)
		return SVC_DAMPED;
	if (s->healthy)
		return SVC_UP;
	if (agent_svc_standby(a, s))
		return SVC_STANDBY;
	if (!s->transitions && s->fsm.bad < s->fsm.fall)
		return SVC_STARTING;
	return SVC_DOWN;
}

/* Where address i should be: on the interface while its service deserves it and something
 * listens on it (the interface's index), announced through the standby interface while the
 * service failed but its resolver still answers something (0, *sb the standby interface's
 * index), else nowhere (0, *sb 0). */
unsigned agent_want(const struct agent *a, size_t i, unsigned *sb)
{
	const struct svc *s = a->svcs[a->cfg->addrs[i].svc];

	*sb = 0;
	if (a->addrs[i].deaf)
		return 0;
	if (agent_svc_wanted(a, s))
		return a->link.ifindex;
	if (agent_svc_standby(a, s))
		*sb = a->standby.ifindex;
	return 0;
}

static void agent_addr_error(struct agent *a, const char *what, const struct nl_addr *addr, int err)
{
	char buf[NL_ADDRSTRLEN];

	if (err == a->addr_err)
		return;
	a->addr_err = err;
	log_err("cannot %s %s: %s; retrying", what, nl_addr_str(addr, buf, sizeof(buf)),
		strerror(-err));
}

static int agent_remove(struct agent *a, unsigned ifindex, const struct nl_addr *addr, bool planned)
{
	int ret = act_del(a->act, ifindex, addr, planned ? a->cfg->drain_ms : 0);
	char buf[NL_ADDRSTRLEN];

	if (ret < 0)
		agent_addr_error(a, "remove", addr, ret);
	else if (ret == 1)
		log_debug("%s was already gone", nl_addr_str(addr, buf, sizeof(buf)));
	return ret;
}

static int agent_place(struct agent *a, size_t i, unsigned want)
{
	const struct nl_addr *addr = &a->cfg->addrs[i].addr;
	struct agent_addr *st = &a->addrs[i];
	char buf[NL_ADDRSTRLEN], obuf[NL_ADDRSTRLEN];
	struct nl_addr other;
	int ret = act_add(a->act, want, addr, &other);

	if (ret == -EADDRINUSE) {
		if (!st->conflict)
			log_addr(LOG_ERR, a->svcs[a->cfg->addrs[i].svc]->cfg->name,
				 nl_addr_str(addr, buf, sizeof(buf)),
				 "%s: %s is already on %s as %s: not announced until that address "
				 "is removed",
				 a->svcs[a->cfg->addrs[i].svc]->cfg->name, buf, a->link.name,
				 nl_addr_str(&other, obuf, sizeof(obuf)));
		st->conflict = true;
		return ret;
	}
	if (ret < 0) {
		agent_addr_error(a, "add", addr, ret);
		return ret;
	}
	if (st->conflict)
		log_info("%s: the conflict on %s is gone", nl_addr_str(addr, buf, sizeof(buf)),
			 a->link.name);
	st->conflict = false;
	st->ifindex = want;
	memcpy(st->ifname, a->link.name, IFNAMSIZ);
	return ret;
}

static int agent_standby_add(struct agent *a, struct agent_addr *st, const struct nl_addr *addr,
			     unsigned sb)
{
	int ret = act_standby_add(a->act, sb, addr, a->cfg->standby_address);

	if (ret < 0) {
		agent_addr_error(a, "announce on the standby interface", addr, ret);
		return ret;
	}
	st->sb = sb;
	return ret;
}

int agent_orphan_add(struct agent *a, const struct nl_addr *addr, unsigned ifindex,
		     const char *ifname, bool standby)
{
	struct agent_orphan *o = realloc(a->orphans, (a->norphans + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	a->orphans = o;
	o[a->norphans] =
	    (struct agent_orphan){.addr = *addr, .ifindex = ifindex, .standby = standby};
	snprintf(o[a->norphans++].ifname, IFNAMSIZ, "%s", ifname);
	return 0;
}

/* The older announcement of st waits for the kernel's report of the newer one, the
 * address on ifindex (agent_addr_event), at the latest until the next retry. */
static void agent_await(struct agent_addr *st, unsigned ifindex)
{
	st->await_if = ifindex;
	st->await_us = loop_now_us() + AGENT_RETRY_US;
}

static bool agent_awaiting(const struct agent_addr *st, unsigned ifindex)
{
	return st->await_us && st->await_if == ifindex && loop_now_us() < st->await_us;
}

static int agent_standby_del(struct agent *a, struct agent_addr *st, const struct nl_addr *addr,
			     unsigned drain_ms)
{
	int ret = act_standby_del(a->act, st->sb, addr, drain_ms);

	if (ret < 0) {
		agent_addr_error(a, "remove the standby announcement of", addr, ret);
		return ret;
	}
	st->sb = 0;
	st->await_us = 0;
	return ret;
}

int agent_reconcile(struct agent *a)
{
	bool planned = a->planned;
	int ret, failed = 0, changed = 0, awaiting = 0;

	a->planned = false;
	a->dirty = false;
	if (a->nsvcs && (!a->link.ifindex || a->relink) && agent_link(a) < 0)
		failed++; /* retried in a second; a link event with our name comes sooner */
	if (a->nsvcs && a->cfg->standby_interface[0] && (!a->standby.ifindex || a->restandby) &&
	    agent_standby_link(a) < 0)
		failed++;
	if (a->resync && a->link.ifindex) {
		ret = agent_read_addrs(a);
		if (ret < 0) {
			agent_link_error(a, ret);
			failed++;
		} else {
			a->resync = false;
		}
	}
	for (size_t i = 0; i < a->norphans;) {
		ret = a->orphans[i].standby
			  ? act_standby_del(a->act, a->orphans[i].ifindex, &a->orphans[i].addr,
					    planned ? a->cfg->drain_ms : 0)
			  : agent_remove(a, a->orphans[i].ifindex, &a->orphans[i].addr, planned);
		if (ret < 0) {
			failed++;
			i++;
			continue;
		}
		changed += ret == 0;
		a->orphans[i] = a->orphans[--a->norphans];
	}
	for (size_t i = 0; i < a->cfg->naddrs; i++) {
		struct agent_addr *st = &a->addrs[i];
		const struct nl_addr *addr = &a->cfg->addrs[i].addr;
		unsigned sb, want = agent_want(a, i, &sb), have = st->ifindex;
		int placed;

		/* To the standby announcement: it comes first, the address goes after, so
		 * that the host never stops announcing it; nothing is drained then. */
		if (sb && st->sb != sb) {
			ret = st->sb ? agent_standby_del(a, st, addr, 0) : 0;
			if (ret >= 0)
				ret = agent_standby_add(a, st, addr, sb);
			failed += ret < 0;
			changed += ret == 0;
			/* as an address on the standby interface: the address leaves the
			 * interface once the kernel has reported that one */
			if (ret == 0 && a->cfg->standby_address)
				agent_await(st, sb);
		}
		if (have && !want && st->sb == sb && agent_awaiting(st, sb)) {
			awaiting++;
			continue;
		}
		if (have && have != want) {
			ret = agent_remove(a, have, addr, planned && !want && !st->sb);
			if (ret < 0) {
				failed++;
				continue;
			}
			st->ifindex = 0;
			changed += ret == 0;
		}
		if (want && st->ifindex != want) {
			placed = agent_place(a, i, want);
			failed += placed < 0;
			changed += placed == 0;
			/* the standby announcement goes once the kernel has reported this */
			if (placed == 0 && st->sb)
				agent_await(st, want);
		}
		if (st->sb && st->sb != sb) {
			if (want && st->ifindex != want)
				continue; /* the interface did not take it: keep that */
			if (agent_awaiting(st, st->ifindex)) {
				awaiting++;
				continue;
			}
			ret =
			    agent_standby_del(a, st, addr, planned && !want ? a->cfg->drain_ms : 0);
			failed += ret < 0;
			changed += ret == 0;
		}
	}
	agent_publish(a);
	if (failed || awaiting) {
		agent_retry(a);
	} else if (a->addr_err) {
		log_info("address changes work again");
		a->addr_err = 0;
	}
	return changed;
}

void agent_retry_timer(void *data)
{
	agent_reconcile(data);
}

/* A verdict changed: the addresses first, the words after. */
void agent_svc_change(struct svc *s, const struct hc_result *r, void *data)
{
	struct agent *a = data;
	uint64_t t0 = loop_now_us();
	char buf[sizeof(r->why)];
	int n = agent_reconcile(a);
	double ms = (double)(loop_now_us() - t0) / 1000.0;
	const char *state, *why;

	if (!r) /* damping or standby changed; service.c said so */
		return;
	/* journal fields too (log_svc): SERVICE=, STATE= as the metrics say it, REASON= */
	state = svc_state_name(agent_svc_state(a, s));
	why = s->healthy ? NULL : svc_why(s, r, buf, sizeof(buf));
	if (!s->healthy && agent_svc_standby(a, s)) {
		size_t sb = 0;

		for (size_t i = s->cfg->first; i < s->cfg->first + s->cfg->naddrs; i++)
			sb += a->addrs[i].sb != 0;
		log_svc(LOG_WARNING, s->cfg->name, state, why,
			"%s: STANDBY after %u failed %sprobe%s: %s, while the resolver still runs; "
			"%zu address%s announced through the standby interface %s in %.1f ms",
			s->cfg->name, s->fsm.fall, s->deep_decided ? "deep " : "",
			s->fsm.fall == 1 ? "" : "s", why, sb, sb == 1 ? "" : "es",
			a->cfg->standby_interface, ms);
	} else if (s->healthy && s->deep_decided)
		log_svc(LOG_INFO, s->cfg->name, state, NULL,
			"%s: UP: the deep probe succeeds again (%llu ms); announced %d address%s "
			"in %.1f ms",
			s->cfg->name, (unsigned long long)(r->rtt_us / 1000u), n,
			n == 1 ? "" : "es", ms);
	else if (s->healthy)
		log_svc(LOG_INFO, s->cfg->name, state, NULL,
			"%s: UP after %u good probe%s (%llu ms)%s; announced %d address%s in "
			"%.1f ms",
			s->cfg->name, s->fsm.rise, s->fsm.rise == 1 ? "" : "s",
			(unsigned long long)(r->rtt_us / 1000u),
			a->maintenance	     ? ", not announced: in maintenance"
			: s->damp.suppressed ? ", not announced: damped (flapping)"
					     : "",
			n, n == 1 ? "" : "es", ms);
	else if (s->lost)
		log_svc(LOG_WARNING, s->cfg->name, state, why,
			"%s: DOWN after the kernel reported the resolver's socket destroyed and "
			"a probe failed: %s; withdrew %d address%s in %.1f ms",
			s->cfg->name, why, n, n == 1 ? "" : "es", ms);
	else
		log_svc(LOG_WARNING, s->cfg->name, state, why,
			"%s: DOWN after %u failed %sprobe%s: %s; withdrew %d address%s in %.1f ms",
			s->cfg->name, s->fsm.fall, s->deep_decided ? "deep " : "",
			s->fsm.fall == 1 ? "" : "s", why, n, n == 1 ? "" : "es", ms);
}

void agent_drained(void *data)
{
	struct agent *a = data;

	/* otherwise the state file lists no drain now: --maintenance on waits for that */
	if (a->stopping)
		loop_quit(a->loop, 0);
	else
		agent_publish(a);
}

void agent_stop(struct agent *a, int signo)
{
	size_t left = 0;
	int n;

	log_info("%s: stopping", strsignal(signo));
	sd_notify(0, "STOPPING=1");
	a->stopping = true;
	for (size_t i = 0; i < a->cfg->naddrs; i++)
		left += a->addrs[i].ifindex != 0;
	if (state_handover_pending(a->state_dir)) {
		a->handover = true;
		log_info("hand-over (%s/handover): leaving %zu address%s for the next agent",
			 a->state_dir, left, left == 1 ? "" : "es");
	} else if (!a->cfg->withdraw_on_exit) {
		log_info("leaving %zu address%s on %s (withdraw_on_exit = no)", left,
			 left == 1 ? "" : "es", a->cfg->interface);
	} else {
		const struct nl_addr *d;

		a->planned = true;
		n = agent_reconcile(a);
		log_info("withdrew %d address%s%s", n, n == 1 ? "" : "es",
			 act_drains(a->act, &d) ? ", draining" : "");
		if (act_drains(a->act, &d))
			return; /* agent_drained() ends the loop */
	}
	loop_quit(a->loop, 0);
}

void agent_signal(int signo, void *data)
{
	struct agent *a = data;

	if (signo == SIGHUP) {
		agent_reload(a);
	} else if (a->stopping) {
		log_info("%s again: ending the drain now", strsignal(signo));
		loop_quit(a->loop, 0);
	} else {
		agent_stop(a, signo);
	}
}
