/* SPDX-License-Identifier: MIT */
/* One service: its probe, its deadline and its rise/fall verdict. It knows nothing of
 * addresses: a change of verdict goes to one callback, and the agent acts on it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <time.h>

#include "agent/agent-int.h"
#include "agent/log.h"

static void svc_result(const struct hc_result *r, void *data);

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

struct svc_listen {
	const struct sockaddr_storage *ss;
	bool found;
};

static void svc_listen_cb(const struct nl_sock *sk, void *data)
{
	struct svc_listen *l = data;
	struct nl_addr a = {.family = l->ss->ss_family};
	uint16_t port;

	if (a.family == AF_INET) {
		a.u.v4 = ((const struct sockaddr_in *)l->ss)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)l->ss)->sin_port);
	} else {
		a.u.v6 = ((const struct sockaddr_in6 *)l->ss)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)l->ss)->sin6_port);
	}
	l->found |= nl_sock_accepts(sk, IPPROTO_TCP, &a, port);
}

const char *svc_explain(const struct cfg_service *c, const struct hc_result *r, char *buf,
			size_t len)
{
	struct svc_listen l = {.ss = &c->probe.server};
	char server[HC_SERVER_MAX];

	/* libunbound reports a refused TCP connection as SERVFAIL: the kernel's socket table
	 * tells whether anything listens there at all */
	if (!c->probe.tcp || r->status != HC_RCODE || r->rcode != 2 ||
	    nl_listeners(svc_listen_cb, &l) < 0 || l.found)
		return r->why;
	snprintf(buf, len, "connection refused: nothing listens on %s",
		 hc_server_str(&c->probe.server, server, sizeof(server)));
	return buf;
}

const char *svc_why(const struct svc *s, const struct hc_result *r, char *buf, size_t len)
{
	return svc_explain(s->cfg, r, buf, len);
}

static void svc_mark(struct svc *s)
{
	s->since_us = loop_now_us();
	s->since_real = (int64_t)time(NULL);
	s->quiet_why = -1;
}

/* A service that stays down says why, once it has had `rise` intervals to come up, and
 * again whenever the reason changes: never only "started" and then silence. */
static void svc_quiet_why(struct svc *s, const struct hc_result *r)
{
	int why = r->status == HC_OK ? -1 : (int)r->status * 256 + (r->rcode & 0xff);
	uint64_t grace = (uint64_t)s->cfg->rise * s->cfg->interval_ms * 1000u;
	char buf[sizeof(r->why)], server[HC_SERVER_MAX];

	if (s->fsm.up || why < 0 || why == s->quiet_why || loop_now_us() - s->since_us < grace)
		return;
	s->quiet_why = why;
	log_warn("%s: not up: %s (asking %s for %s every %u ms)", s->cfg->name,
		 svc_why(s, r, buf, sizeof(buf)),
		 hc_server_str(&s->cfg->probe.server, server, sizeof(server)), s->cfg->probe.qname,
		 s->cfg->interval_ms);
}

static void svc_result(const struct hc_result *r, void *data)
{
	struct svc *s = data;
	bool ok = r->status == HC_OK;
	uint64_t now = loop_now_us(), next;
	enum hc_change change;

	s->last = *r;
	s->probed = true;
	if (ok)
		log_debug("%s: probe ok in %llu us", s->cfg->name, (unsigned long long)r->rtt_us);
	else
		log_debug("%s: probe failed: %s", s->cfg->name, r->why);

	change = hc_fsm_feed(&s->fsm, ok);
	if (change != HC_SAME) {
		svc_mark(s);
		s->transitions++;
		s->cb(s, r, s->data);
	} else {
		svc_quiet_why(s, r);
	}

	/* A failure while announced is confirmed retry_ms later, not an interval later: the
	 * withdrawal of a dead resolver should not wait for full intervals. */
	if (!ok && s->fsm.up)
		next = now + s->cfg->retry_ms * 1000ull;
	else
		next = s->probe_start_us + s->cfg->interval_ms * 1000ull;
	svc_arm(s, next > now ? next : now);
}

void svc_kick(struct svc *s)
{
	if (!hc_busy(s->hc))
		svc_arm(s, loop_now_us());
}

void svc_reset(struct svc *s, bool up)
{
	hc_fsm_init(&s->fsm, s->cfg->rise, s->cfg->fall, up);
	svc_mark(s);
}

int svc_create(struct svc **out, struct loop *loop, const struct cfg_service *c, svc_change_cb cb,
	       void *data)
{
	struct svc *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->cfg = c;
	s->loop = loop;
	s->cb = cb;
	s->data = data;
	svc_reset(s, false);
	ret = hc_create(&s->hc, &c->probe, svc_result, s);
	if (ret < 0)
		goto fail;
	ret = loop_watch_add(loop, -1, EPOLLIN, svc_readable, s, &s->fd_watch);
	if (ret < 0)
		goto fail;
	ret = loop_timer_add(loop, svc_timer, s, &s->timer);
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

void svc_commit(struct svc *s, const struct cfg_service *c, struct hc *probe)
{
	s->cfg = c;
	s->fsm.rise = c->rise;
	s->fsm.fall = c->fall;
	if (!probe)
		return;
	hc_destroy(s->hc);
	s->hc = probe;
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
