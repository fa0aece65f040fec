/* SPDX-License-Identifier: MIT */
/* A service's deep probe: a name that needs the resolver's upstream, on its own timer, its
 * own rise/fall; its verdict joins the main probe's in svc_verdict() (service.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent-int.h"
#include "agent/log.h"

/* The deep probe: a name that needs the resolver's upstream (or whatever the operator
 * chose), every deep_interval_ms; its failure means standby or withdraw as
 * deep_on_failure says, not "the resolver is broken". */
void svc_deep_result(const struct hc_result *r, void *data)
{
	struct svc *s = data;
	struct svc_deep *d = &s->deep;
	uint64_t now = loop_now_us(), next = d->start_us + s->cfg->deep_interval_ms * 1000ull;
	enum hc_change change = hc_fsm_feed(&d->fsm, r->status == HC_OK);

	d->last = *r;
	if (r->status == HC_OK)
		log_debug("%s: deep probe ok in %llu us", s->cfg->name,
			  (unsigned long long)r->rtt_us);
	else
		log_debug("%s: deep probe failed: %s", s->cfg->name, r->why);
	if (change == HC_WENT_DOWN) {
		log_warn("%s: the deep probe (%s) failed %u times: %s", s->cfg->name,
			 s->cfg->deep.qname, d->fsm.fall, r->why);
	} else if (change == HC_WENT_UP) {
		log_info("%s: the deep probe (%s) succeeds again", s->cfg->name,
			 s->cfg->deep.qname);
	}
	svc_verdict(s, r, true);
	svc_arm_at(d->timer, s, next > now ? next : now);
}

void svc_deep_timer(void *data)
{
	struct svc *s = data;
	struct svc_deep *d = &s->deep;
	int ret;

	if (!d->hc)
		return;
	if (hc_busy(d->hc)) {
		hc_process(d->hc);
		if (hc_busy(d->hc))
			hc_expire(d->hc); /* calls svc_deep_result() */
		return;
	}
	d->start_us = loop_now_us();
	ret = hc_start(d->hc);
	if (ret < 0) {
		struct hc_result r = {.status = HC_ERROR};

		snprintf(r.why, sizeof(r.why), "cannot start the deep probe: %s", strerror(-ret));
		svc_deep_result(&r, s);
		return;
	}
	svc_arm_at(d->timer, s, d->start_us + s->cfg->deep.timeout_ms * 1000ull);
}

void svc_deep_readable(int fd, uint32_t events, void *data)
{
	struct svc *s = data;

	(void)fd;
	(void)events;
	if (s->deep.hc)
		hc_process(s->deep.hc);
}

/* After a reload (s->cfg already the new one, old the one before). */
void svc_deep_commit(struct svc *s, const struct cfg_service *old)
{
	struct svc_deep *d = &s->deep;
	const struct hc_params *p = &s->cfg->deep;
	int ret = 0;

	d->fsm.rise = s->cfg->rise;
	d->fsm.fall = s->cfg->fall;
	if (hc_params_equal(&old->deep, p) && (d->hc != NULL) == (p->qname[0] != '\0'))
		return;
	hc_destroy(d->hc);
	d->hc = NULL;
	loop_timer_arm(d->timer, 0);
	if (p->qname[0]) {
		ret = hc_create(&d->hc, p, svc_deep_result, s);
		if (ret < 0)
			log_err("%s: cannot create the deep probe: %s", s->cfg->name,
				strerror(-ret));
	}
	/* a new deep probe starts believing, until `fall` failures */
	hc_fsm_init(&d->fsm, s->cfg->rise, s->cfg->fall, true);
	ret = loop_watch_set_fd(d->fd_watch, d->hc ? hc_fd(d->hc) : -1);
	if (ret < 0)
		log_err("%s: cannot watch the deep probe: %s", s->cfg->name, strerror(-ret));
	if (d->hc)
		svc_arm_at(d->timer, s, loop_now_us());
	/* a dropped deep probe that held the service out: the next probe's verdict says so */
}
