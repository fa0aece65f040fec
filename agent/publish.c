/* SPDX-License-Identifier: MIT */
/* What the running agent tells the others: systemd's status line and watchdog, the state
 * file every reader shares, the metrics file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/log.h"

#define AGENT_STATE_US (5u * 1000u * 1000u)

/* systemctl status shows this line; sent only when it changes. */
static void agent_status(struct agent *a)
{
	char status[sizeof(a->status)];
	size_t up = 0, on = 0, sb = 0, conflicts = 0;
	char sbs[IFNAMSIZ + 32] = "";

	for (size_t i = 0; i < a->nsvcs; i++)
		up += a->svcs[i]->healthy;
	for (size_t i = 0; i < a->cfg->naddrs; i++) {
		on += a->addrs[i].ifindex && a->addrs[i].ifindex == a->link.ifindex;
		sb += a->addrs[i].sb != 0;
		conflicts += a->addrs[i].conflict;
	}
	if (sb)
		snprintf(sbs, sizeof(sbs), ", %zu on %s", sb, a->cfg->standby_interface);
	if (!a->nsvcs)
		snprintf(status, sizeof(status),
			 "STATUS=not configured: no [service] in %s, nothing announced", a->path);
	else
		snprintf(status, sizeof(status),
			 "STATUS=%zu/%zu services up, %zu/%zu addresses on %s%s%s%s%s", up,
			 a->nsvcs, on, a->cfg->naddrs, a->cfg->interface, sbs,
			 a->maintenance ? ", maintenance" : "",
			 a->link_err ? ", interface problem" : "",
			 conflicts ? ", address conflict" : "");
	if (!strcmp(status, a->status))
		return;
	memcpy(a->status, status, sizeof(status));
	sd_notify(0, status);
}

/* The snapshot every reader shares (--withdraw-all, --check-once, systemd's line, metrics). */
void agent_publish(struct agent *a)
{
	struct state st = {.pid = (long)getpid(), .written = (int64_t)time(NULL)};
	const struct nl_addr *drains;
	int ret = -ENOMEM;

	agent_status(a);
	memcpy(st.interface, a->cfg->interface, IFNAMSIZ);
	st.ifindex = a->link.ifindex;
	st.maintenance = a->maintenance;
	st.handover = a->handover;
	st.svcs = calloc(a->nsvcs + 1, sizeof(*st.svcs));
	st.placed = calloc(2 * a->cfg->naddrs + a->norphans + 1, sizeof(*st.placed));
	if (!st.svcs || !st.placed)
		goto out;
	for (size_t i = 0; i < a->nsvcs; i++) {
		const struct svc *s = a->svcs[i];
		struct state_svc *o = &st.svcs[st.nsvcs++];

		snprintf(o->name, sizeof(o->name), "%s", s->cfg->name);
		o->up = s->healthy;
		o->since = s->since_real;
		o->transitions = s->transitions;
		o->probed = s->probed;
		o->rtt_us = s->last.rtt_us;
		snprintf(o->last, sizeof(o->last), "%s",
			 s->last.status == HC_OK ? "ok" : s->last.why);
		o->damped = s->damp.suppressed;
		snprintf(o->state, sizeof(o->state), "%s", svc_state_name(agent_svc_state(a, s)));
		if (o->damped) {
			uint64_t now = loop_now_us(), at = hc_damp_reuse_at(&s->damp);

			o->damped_until = (int64_t)time(NULL) +
					  (int64_t)((at > now ? at - now : 0) / 1000000u) + 1;
		}
	}
	for (size_t i = 0; i < a->cfg->naddrs; i++) {
		if (!a->addrs[i].sb)
			continue;
		st.placed[st.nplaced] = (struct state_addr){
		    .addr = a->cfg->addrs[i].addr, .ifindex = a->addrs[i].sb, .standby = true};
		memcpy(st.placed[st.nplaced++].ifname, a->cfg->standby_interface, IFNAMSIZ);
	}
	for (size_t i = 0; i < a->cfg->naddrs + a->norphans; i++) {
		bool orphan = i >= a->cfg->naddrs;
		const struct agent_orphan *o = orphan ? &a->orphans[i - a->cfg->naddrs] : NULL;
		unsigned ifindex = orphan ? o->ifindex : a->addrs[i].ifindex;

		if (!ifindex)
			continue;
		st.placed[st.nplaced].addr = orphan ? o->addr : a->cfg->addrs[i].addr;
		st.placed[st.nplaced].ifindex = ifindex;
		st.placed[st.nplaced].standby = orphan && o->standby;
		memcpy(st.placed[st.nplaced++].ifname, orphan ? o->ifname : a->addrs[i].ifname,
		       IFNAMSIZ);
	}
	st.ndrains = act_drains(a->act, &drains);
	st.drains = (struct nl_addr *)drains;
	ret = state_write(a->state_dir, &st);
out:
	if (ret < 0)
		log_debug("cannot write the state under %s: %s", a->state_dir, strerror(-ret));
	free(st.svcs);
	free(st.placed);
	metrics_write(a);
}

void agent_state_timer(void *data)
{
	struct agent *a = data;

	agent_publish(a);
	loop_timer_arm(a->state_timer, loop_now_us() + AGENT_STATE_US);
}

void agent_watchdog(void *data)
{
	struct agent *a = data;

	/* Sent from the loop: a wedged loop stops it and systemd restarts the agent. */
	sd_notify(0, "WATCHDOG=1");
	loop_timer_arm(a->watchdog_timer, loop_now_us() + a->watchdog_us / 2);
}
