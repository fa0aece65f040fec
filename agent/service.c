/* SPDX-License-Identifier: MIT */
/* One service: its probe, its deadline and its rise/fall state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/agent-int.h"
#include "agent/log.h"

static void svc_result(const struct hc_result *r, void *data);

bool svc_wanted(const struct svc *s)
{
	return s->fsm.up && !s->agent->maintenance;
}

/* The probe's fd changes whenever it drops or recreates its libunbound context. */
static void svc_sync_fd(struct svc *s)
{
	int ret = loop_watch_set_fd(s->fd_watch, hc_fd(s->hc));

	if (ret < 0)
		log_err("%s: cannot watch the probe: %s", s->cfg->name, strerror(-ret));
}

static void svc_arm(struct svc *s, uint64_t at_us)
{
	int ret = loop_timer_arm(s->timer, at_us);

	/* timerfd_settime on our own timerfd fails only on a bug; say so, loudly. */
	if (ret < 0)
		log_err("%s: cannot arm the probe timer: %s", s->cfg->name, strerror(-ret));
}

static void svc_start(struct svc *s)
{
	int ret;

	s->probe_start_us = loop_now_us();
	ret = hc_start(s->hc);
	svc_sync_fd(s);
	if (ret < 0) {
		struct hc_result r = {.status = HC_ERROR};

		snprintf(r.why, sizeof(r.why), "cannot start probe: %s", strerror(-ret));
		svc_result(&r, s);
		return;
	}
	svc_arm(s, s->probe_start_us + (uint64_t)s->cfg->probe.timeout_ms * 1000u);
}

static void svc_timer(void *data)
{
	struct svc *s = data;

	if (hc_busy(s->hc)) {
		/* An answer that is already waiting counts, however late we look. */
		hc_process(s->hc);
		if (hc_busy(s->hc))
			hc_expire(s->hc); /* calls svc_result */
		svc_sync_fd(s);
		return;
	}
	svc_start(s);
}

static void svc_readable(int fd, uint32_t events, void *data)
{
	struct svc *s = data;
	int ret;

	(void)fd;
	(void)events;
	ret = hc_process(s->hc);
	if (ret < 0)
		log_debug("%s: probe processing: %s", s->cfg->name, strerror(-ret));
	svc_sync_fd(s);
}

static void svc_result(const struct hc_result *r, void *data)
{
	struct svc *s = data;
	bool ok = r->status == HC_OK;
	uint64_t now = loop_now_us(), next, t0;
	int n;
	unsigned interval_us = s->cfg->interval_ms * 1000u;

	s->last = *r;
	s->probed = true;
	if (ok)
		log_debug("%s: probe ok in %llu us", s->cfg->name, (unsigned long long)r->rtt_us);
	else
		log_debug("%s: probe failed: %s", s->cfg->name, r->why);

	switch (hc_fsm_feed(&s->fsm, ok)) {
	case HC_WENT_UP:
		/* The addresses first, the words after: a log line is no reason to wait. */
		t0 = loop_now_us();
		n = agent_reconcile(s->agent);
		log_info("%s: UP after %u good probe%s (%llu ms)%s; announced %d address%s in "
			 "%.1f ms",
			 s->cfg->name, s->fsm.rise, s->fsm.rise == 1 ? "" : "s",
			 (unsigned long long)(r->rtt_us / 1000u),
			 s->agent->maintenance ? ", not announced: in maintenance" : "", n,
			 n == 1 ? "" : "es", (double)(loop_now_us() - t0) / 1000.0);
		break;
	case HC_WENT_DOWN:
		t0 = loop_now_us();
		n = agent_reconcile(s->agent);
		log_warn("%s: DOWN after %u failed probe%s: %s; withdrew %d address%s in %.1f ms",
			 s->cfg->name, s->fsm.fall, s->fsm.fall == 1 ? "" : "s", r->why, n,
			 n == 1 ? "" : "es", (double)(loop_now_us() - t0) / 1000.0);
		break;
	case HC_SAME:
		break;
	}

	/* A failure while announced is confirmed retry_ms later, not an interval later: the
	 * withdrawal of a dead resolver should not wait for full intervals. */
	if (!ok && s->fsm.up)
		next = now + s->cfg->retry_ms * 1000ull;
	else
		next = s->probe_start_us + interval_us;
	svc_arm(s, next > now ? next : now);
}

void svc_kick(struct svc *s)
{
	if (!hc_busy(s->hc))
		svc_arm(s, loop_now_us());
}

int svc_create(struct svc **out, struct agent *a, const struct cfg_service *c)
{
	struct svc *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->agent = a;
	s->cfg = c;
	hc_fsm_init(&s->fsm, c->rise, c->fall, false);
	ret = hc_create(&s->hc, &c->probe, svc_result, s);
	if (ret < 0)
		goto fail;
	ret = loop_watch_add(a->loop, -1, EPOLLIN, svc_readable, s, &s->fd_watch);
	if (ret < 0)
		goto fail;
	ret = loop_timer_add(a->loop, svc_timer, s, &s->timer);
	if (ret < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	svc_destroy(s);
	return ret;
}

int svc_new_probe(struct svc *s, const struct cfg_service *c, struct hc **out)
{
	return hc_create(out, &c->probe, svc_result, s);
}

void svc_set_probe(struct svc *s, struct hc *hc)
{
	hc_destroy(s->hc);
	s->hc = hc;
	svc_sync_fd(s);
	svc_arm(s, loop_now_us());
}

void svc_destroy(struct svc *s)
{
	if (!s)
		return;
	loop_watch_remove(s->fd_watch);
	loop_watch_remove(s->timer);
	hc_destroy(s->hc);
	free(s);
}
