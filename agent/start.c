/* SPDX-License-Identifier: MIT */
/* The daemon's life: the lock, setting up, adopting what a previous agent left, the loop,
 * and the end (withdraw, hand over, or leave). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/log.h"

int agent_create(struct agent **out, struct cfg *cfg, const char *path, const char *state_dir)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->cfg = cfg;
	a->path = path;
	a->state_dir = state_dir;
	a->lock_fd = -1;
	a->maint_ifd = a->maint_wd = -1;
	*out = a;
	return 0;
}

/* Everything that must exist before the loop runs; nothing on the host changes here. */
static int agent_setup(struct agent *a)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	long holder;
	int ret;

	ret = state_lock(a->state_dir, &a->lock_fd, &holder);
	if (ret == -EBUSY) {
		log_err(
		    "another anycast-agent (pid %ld) runs with state directory %s: not starting "
		    "a second one",
		    holder, a->state_dir);
		return ret;
	}
	if (ret < 0) {
		log_err("cannot lock %s/lock: %s (the agent keeps its state there; see "
			"--state-dir)",
			a->state_dir, strerror(-ret));
		return ret;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = loop_create(&a->loop);
	if (ret < 0) {
		log_err("cannot create the event loop: %s", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && ret == 0; i++)
		ret = loop_signal_add(a->loop, sigs[i], agent_signal, a);
	if (ret < 0) {
		log_err("cannot watch signals: %s", strerror(-ret));
		return ret;
	}
	ret = nl_create(&a->nl);
	if (ret < 0) {
		log_err("cannot open netlink: %s", strerror(-ret));
		return ret;
	}
	ret = act_create(&a->act, a->nl, a->loop, agent_drained, a);
	if (ret == 0)
		ret = loop_watch_add(a->loop, nl_event_fd(a->nl), EPOLLIN, agent_nl_readable, a,
				     &a->nl_watch);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_maint_check, a, &a->maint_timer);
	if (ret == 0)
		ret = agent_maint_start(a);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_retry_timer, a, &a->retry_timer);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_watchdog, a, &a->watchdog_timer);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_state_timer, a, &a->state_timer);
	if (ret < 0) {
		log_err("cannot set up the event loop: %s", strerror(-ret));
		return ret;
	}
	a->svcs = calloc(a->cfg->nservices + 1, sizeof(*a->svcs));
	a->addrs = calloc(a->cfg->naddrs + 1, sizeof(*a->addrs));
	if (!a->svcs || !a->addrs) {
		log_err("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->cfg->nservices; i++) {
		ret = svc_create(&a->svcs[i], a->loop, &a->cfg->services[i], agent_svc_change,
				 agent_svc_listens, a);
		if (ret < 0) {
			log_err("%s: cannot create the probe: %s", a->cfg->services[i].name,
				strerror(-ret));
			return ret;
		}
		a->svcs[i]->may_standby = a->cfg->standby_interface[0] != '\0';
		a->nsvcs++;
	}
	return 0;
}

/* What the last agent left: drain routes go, addresses it put elsewhere (a renamed link) are
 * remembered so that the first reconcile takes them away, and the ones a reload had dropped
 * become orphans. */
static int agent_take_over(struct agent *a, const struct state *prev)
{
	for (size_t i = 0; i < prev->ndrains + a->cfg->naddrs; i++) {
		const struct nl_addr *d =
		    i < prev->ndrains ? &prev->drains[i] : &a->cfg->addrs[i - prev->ndrains].addr;
		/* The kernel checks CAP_NET_ADMIN before anything else: EPERM here means no
		 * change can ever work. */
		int ret = act_drain_clear(a->act, d);

		if (ret == -EPERM || ret == -EACCES) {
			agent_link_error(a, ret);
			return ret;
		}
	}
	for (size_t i = 0; i < prev->nplaced; i++) {
		const struct state_addr *p = &prev->placed[i];
		ssize_t k = cfg_addr_find(a->cfg, &p->addr);

		/* a standby announcement of a configured address: the reconcile decides */
		if (p->standby && k >= 0) {
			a->addrs[k].sb = p->ifindex;
			continue;
		}
		if (k >= 0) {
			/* on the interface itself the kernel's dump is the truth, not a file */
			if (!a->addrs[k].ifindex && p->ifindex != a->link.ifindex) {
				a->addrs[k].ifindex = p->ifindex;
				memcpy(a->addrs[k].ifname, p->ifname, IFNAMSIZ);
			}
			continue;
		}
		/* not configured any more: retried until gone; without memory the start fails
		 * and the state file still lists it for the next one */
		if (agent_orphan_add(a, &p->addr, p->ifindex, p->ifname, p->standby) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A service whose addresses are already on the interface is taken as up (a restart of the
 * agent, an upgrade's hand-over: no flap); its probes confirm it or withdraw after `fall`
 * failures. */
static int agent_adopt(struct agent *a)
{
	struct state prev;
	unsigned line;
	int ret;

	ret = state_read(a->state_dir, &prev, &line);
	if (ret == -EBADMSG)
		log_warn("%s/state line %u is not understood: the last agent's state is ignored",
			 a->state_dir, line);
	else if (ret < 0 && ret != -ENOENT)
		log_warn("cannot read %s/state: %s", a->state_dir, strerror(-ret));
	if (ret == 0 && prev.handover)
		log_info("taking over from the agent that stopped for an upgrade (pid %ld)",
			 prev.pid);
	if (a->nsvcs) {
		agent_standby_link(a);
		if (agent_link(a) == 0 && agent_read_addrs(a) < 0)
			a->resync = true;
	}
	ret = agent_take_over(a, ret == 0 ? &prev : &(struct state){0});
	state_free(&prev);
	if (ret < 0)
		return ret;
	/* standby routes no state file vouches for (it was lost): ours by their protocol, and
	 * nobody else's to keep */
	for (size_t i = 0; a->cfg->standby_interface[0] && i < a->cfg->naddrs; i++) {
		const struct nl_addr *addr = &a->cfg->addrs[i].addr;

		if (a->addrs[i].sb)
			continue;
		ret = act_standby_del(a->act, a->standby.ifindex, addr, 0);
		if (ret == 0)
			log_info("removed a standby announcement no state file listed");
		/* not removed now: an orphan, retried with the others until it is gone */
		if (ret < 0 && agent_orphan_add(a, addr, a->standby.ifindex,
						a->cfg->standby_interface, true) < 0)
			return -ENOMEM;
	}
	state_handover_clear(a->state_dir);
	for (size_t i = 0; i < a->nsvcs; i++) {
		const struct cfg_service *c = a->svcs[i]->cfg;
		size_t n = 0, sb = 0;

		for (size_t j = c->first; j < c->first + c->naddrs; j++) {
			n += a->link.ifindex && a->addrs[j].ifindex == a->link.ifindex;
			sb += a->addrs[j].sb != 0;
		}
		if (!n && sb) {
			/* it had failed with its resolver running: there until probes decide */
			a->svcs[i]->standby = true;
			log_info("%s: %zu of %zu addresses announced through the standby interface "
				 "%s: kept so until probes say otherwise",
				 c->name, sb, c->naddrs, a->cfg->standby_interface);
		}
		if (!n)
			continue;
		svc_reset(a->svcs[i], true);
		log_info("%s: %zu of %zu addresses already on %s: announced until probes say "
			 "otherwise",
			 c->name, n, c->naddrs, a->cfg->interface);
	}
	return 0;
}

int agent_start(struct agent *a)
{
	if (agent_setup(a) < 0)
		return 1;
	if (agent_adopt(a) < 0)
		return 1; /* nothing was changed, and nothing ever could be */
	agent_sw_start(a);
	if (a->nsvcs)
		log_info("started: %zu service%s, %zu address%s on %s", a->nsvcs,
			 a->nsvcs == 1 ? "" : "s", a->cfg->naddrs, a->cfg->naddrs == 1 ? "" : "es",
			 a->cfg->interface);
	else
		log_warn("started without services: %s has no [service NAME] section, so nothing "
			 "is announced; add one and reload (systemctl reload anycast-agent)",
			 a->path);
	agent_maint_check(a);
	agent_reconcile(a);
	for (size_t i = 0; i < a->nsvcs; i++)
		svc_kick(a->svcs[i]);
	agent_state_timer(a);
	/* Ready once the interface carries what it should (the first full reconcile). */
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &a->watchdog_us) > 0 && a->watchdog_us)
		agent_watchdog(a);
	return 0;
}

int agent_finish(struct agent *a)
{
	size_t left = 0;
	int code = a->exit_code;

	if (act_drain_end(a->act))
		code = 1;
	for (size_t i = 0; i < a->cfg->naddrs; i++)
		left += a->addrs[i].ifindex != 0;
	left += a->norphans;
	if (a->stopping && a->cfg->withdraw_on_exit && !a->handover && left) {
		log_err("%zu address%s could not be withdrawn: they are in %s/state for "
			"--withdraw-all",
			left, left == 1 ? "" : "es", a->state_dir);
		code = 1;
	}
	agent_publish(a);
	return code;
}

int agent_run(struct agent *a)
{
	int ret = agent_start(a);

	if (ret)
		return ret;
	ret = loop_run(a->loop);
	if (ret < 0) {
		log_err("event loop failed: %s", strerror(-ret));
		a->exit_code = 1;
		/* a loop that cannot run can still withdraw: the same path as a stop */
		if (!a->stopping)
			agent_stop(a, SIGTERM);
	}
	return agent_finish(a);
}

void agent_destroy(struct agent *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsvcs; i++)
		svc_destroy(a->svcs[i]);
	free(a->svcs);
	free(a->addrs);
	free(a->orphans);
	act_destroy(a->act);
	agent_sw_stop(a);
	loop_watch_remove(a->nl_watch);
	loop_watch_remove(a->maint_timer);
	agent_maint_stop(a);
	loop_watch_remove(a->retry_timer);
	loop_watch_remove(a->watchdog_timer);
	loop_watch_remove(a->state_timer);
	nl_destroy(a->nl);
	loop_destroy(a->loop);
	cfg_free(a->cfg);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	free(a);
}
