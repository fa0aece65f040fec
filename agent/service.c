/* SPDX-License-Identifier: MIT */
/* One service: its probe, its deadline and its rise/fall verdict (the deep probe: deep.c).
 * It knows nothing of addresses: a change of verdict goes to one callback, and the agent
 * acts on it. */
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
static void svc_confirm_result(const struct hc_result *r, void *data);

/* A probe's fd lives as long as its hc: watched when the hc is made or replaced. */
static void svc_sync_fd(struct svc *s, struct svc_probe *p)
{
	int ret = loop_watch_set_fd(p->fd_watch, p->hc ? hc_fd(p->hc) : -1);

	if (ret < 0)
		log_err("%s: cannot watch the probe: %s", s->cfg->name, strerror(-ret));
}

void svc_arm_at(struct loop_watch *t, struct svc *s, uint64_t at_us)
{
	int ret = loop_timer_arm(t, at_us);

	/* timerfd_settime on our own timerfd fails only on a bug; say so, loudly. */
	if (ret < 0)
		log_err("%s: cannot arm a timer: %s", s->cfg->name, strerror(-ret));
}

static void svc_arm(struct svc *s, struct svc_probe *p, uint64_t at_us)
{
	svc_arm_at(p->timer, s, at_us);
}

static uint64_t svc_deadline(const struct svc *s, const struct svc_probe *p)
{
	return p->start_us + (uint64_t)s->cfg->probe.timeout_ms * 1000u;
}

/* Starts p's probe: 0 or -errno (then no result will come). */
static int svc_probe_start(struct svc *s, struct svc_probe *p, hc_done_cb cb)
{
	int ret = 0;

	p->start_us = loop_now_us();
	if (!p->hc) {
		ret = hc_create(&p->hc, &s->cfg->probe, cb, s);
		svc_sync_fd(s, p);
	}
	if (ret == 0)
		ret = hc_start(p->hc);
	return ret;
}

/* The main probe: every interval, or retry_ms after a failure while announced. While the
 * service is announced its timer first fires retry_ms after the start: a probe still
 * silent then gets a confirming probe in parallel, so that a hung resolver costs about one
 * deadline, not `fall` deadlines in a row. A main probe that cannot start counts as a
 * failed one: the agent cannot vouch for the resolver. */
static void svc_start(struct svc *s)
{
	struct svc_probe *p = &s->probe[0];
	int ret = svc_probe_start(s, p, svc_result);

	if (ret < 0) {
		struct hc_result r = {.status = HC_ERROR};

		snprintf(r.why, sizeof(r.why), "cannot start probe: %s", strerror(-ret));
		svc_result(&r, s);
		return;
	}
	p->silence_check = s->fsm.up && s->cfg->retry_ms < s->cfg->probe.timeout_ms;
	svc_arm(s, p,
		p->silence_check ? p->start_us + s->cfg->retry_ms * 1000ull : svc_deadline(s, p));
}

/* Ends p's probe at its deadline; an answer that is already waiting counts, however late
 * we look. */
static void svc_probe_expire(struct svc_probe *p)
{
	hc_process(p->hc);
	if (hc_busy(p->hc))
		hc_expire(p->hc); /* calls the result callback */
}

static void svc_confirm_start(struct svc *s)
{
	struct svc_probe *c = &s->probe[1];
	int ret;

	if (c->hc && hc_busy(c->hc))
		return;
	ret = svc_probe_start(s, c, svc_confirm_result);
	/* Not evidence against the resolver: the main probe in flight still decides. */
	if (ret < 0) {
		log_debug("%s: no confirming probe: %s", s->cfg->name, strerror(-ret));
		return;
	}
	log_debug("%s: confirming probe", s->cfg->name);
	svc_arm(s, c, svc_deadline(s, c));
}

static void svc_timer(void *data)
{
	struct svc *s = data;
	struct svc_probe *p = &s->probe[0];

	if (p->hc && hc_busy(p->hc) && p->silence_check) {
		p->silence_check = false;
		hc_process(p->hc);
		if (hc_busy(p->hc)) {
			svc_confirm_start(s);
			svc_arm(s, p, svc_deadline(s, p));
		}
		return;
	}
	if (p->hc && hc_busy(p->hc)) {
		svc_probe_expire(p);
		return;
	}
	svc_start(s);
}

static void svc_confirm_timer(void *data)
{
	struct svc *s = data;
	struct svc_probe *c = &s->probe[1];

	if (c->hc && hc_busy(c->hc))
		svc_probe_expire(c);
}

static void svc_probe_readable(struct svc *s, struct svc_probe *p)
{
	int ret = hc_process(p->hc);

	if (ret < 0)
		log_debug("%s: probe processing: %s", s->cfg->name, strerror(-ret));
}

static void svc_readable(int fd, uint32_t events, void *data)
{
	struct svc *s = data;

	(void)fd;
	(void)events;
	svc_probe_readable(s, &s->probe[0]);
}

static void svc_confirm_readable(int fd, uint32_t events, void *data)
{
	struct svc *s = data;

	(void)fd;
	(void)events;
	svc_probe_readable(s, &s->probe[1]);
}

void svc_resolver(const struct cfg_service *c, struct nl_addr *addr, uint16_t *port)
{
	const struct sockaddr_storage *ss = &c->probe.server;

	memset(addr, 0, sizeof(*addr));
	addr->family = ss->ss_family;
	if (addr->family == AF_INET) {
		addr->prefixlen = 32;
		addr->u.v4 = ((const struct sockaddr_in *)ss)->sin_addr;
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		addr->prefixlen = 128;
		addr->u.v6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
}

struct svc_listen {
	struct nl_addr addr;
	uint16_t port;
	int proto;
	bool found;
};

static void svc_listen_cb(const struct nl_sock *sk, void *data)
{
	struct svc_listen *l = data;

	l->found |= nl_sock_accepts(sk, l->proto, &l->addr, l->port);
}

/* Does anything listen where c's probes go, on their transport? 1, 0 or -errno. */
static int svc_resolver_listens(const struct cfg_service *c)
{
	struct svc_listen l = {.proto = c->probe.tcp ? IPPROTO_TCP : IPPROTO_UDP};
	int ret;

	svc_resolver(c, &l.addr, &l.port);
	ret = nl_listeners(svc_listen_cb, &l);
	return ret < 0 ? ret : l.found;
}

const char *svc_explain(const struct cfg_service *c, const struct hc_result *r, char *buf,
			size_t len)
{
	char server[HC_SERVER_MAX];

	/* libunbound reports a refused TCP connection as SERVFAIL: the kernel's socket table
	 * tells whether anything listens there at all */
	if (!c->probe.tcp || r->status != HC_RCODE || r->rcode != 2 || svc_resolver_listens(c) != 0)
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

/* Clients ask port 53 on the service addresses, not the address the probe asks: the agent
 * announces only the addresses something listens on there (unbound without its interface
 * lines would black-hole every client routed here). Asked of the kernel when a good probe
 * would bring the service up, after the kernel reported a listener destroyed, and at each
 * good probe while an address is held back; not at every probe. */
static void svc_check_listeners(struct svc *s, const struct hc_result *r)
{
	bool rising = !s->fsm.up && s->fsm.good + 1 >= s->fsm.rise;

	if (r->status == HC_OK && s->listens && (rising || s->lost || s->deaf))
		s->deaf = !s->listens(s, s->data);
}

/* A withdrawal feeds the damping (off unless damping_half_life_ms is set). */
static void svc_damp_flap(struct svc *s)
{
	uint64_t now = loop_now_us();

	if (hc_damp_flap(&s->damp, now))
		log_warn("%s: flapping (%u transitions so far): damped, kept withdrawn until it "
			 "has been stable for about %.1f s",
			 s->cfg->name, s->transitions,
			 (double)(hc_damp_reuse_at(&s->damp) - now) / 1e6);
	if (s->damp.suppressed)
		svc_arm_at(s->damp_timer, s, hc_damp_reuse_at(&s->damp));
}

static void svc_damp_timer(void *data)
{
	struct svc *s = data;

	if (!hc_damp_update(&s->damp, loop_now_us())) {
		if (s->damp.suppressed) /* it flapped again meanwhile */
			svc_arm_at(s->damp_timer, s, hc_damp_reuse_at(&s->damp));
		return;
	}
	log_info("%s: no longer damped%s", s->cfg->name,
		 s->fsm.up ? ": announcing" : ", and announced once it is up");
	s->cb(s, NULL, s->data);
}

/* A failure: does the service belong on the standby interface (its resolver still runs and
 * answers wrongly or late: it can still serve from its cache and local zones) or nowhere
 * (nothing listens: crashed or stopped; on_failure = withdraw; the probe could not even
 * run)? Asked of the kernel at each failure once the service is out, and when it goes out. */
static void svc_classify(struct svc *s, const struct hc_result *r, bool notify)
{
	bool standby = s->standby;
	char server[HC_SERVER_MAX];
	const char *why = r->why;
	int ret;

	if (!s->may_standby || s->fsm.up)
		return;
	/* The kernel just reported the resolver's listener destroyed and a probe failed: gone,
	 * no need to ask (a withdrawal should not wait for a socket dump). Later failures ask
	 * the socket table, not s->lost: a restarted resolver listens anew. */
	if (s->cfg->fail_withdraw || (r->status != HC_TIMEOUT && r->status != HC_RCODE) ||
	    (s->lost && !notify)) {
		standby = false;
	} else {
		ret = svc_resolver_listens(s->cfg);
		if (ret >= 0)
			standby = ret;
		if (ret == 0)
			why = "nothing listens there";
	}
	/* damped: out as the failure that started it called for; only ever further out (a
	 * crash loop mixes refusals with slow starts, and would toggle the standby) */
	if (standby == s->standby || (standby && s->damp.suppressed))
		return;
	s->standby = standby;
	if (!notify)
		return; /* the verdict that comes with it says it */
	if (standby)
		log_warn("%s: failing while its resolver runs: %s; on the standby interface",
			 s->cfg->name, r->why);
	else
		log_warn("%s: the resolver %s fails: %s; withdrawn from the standby interface",
			 s->cfg->name, hc_server_str(&s->cfg->probe.server, server, sizeof(server)),
			 why);
	s->cb(s, NULL, s->data);
}

/* The verdict, after either probe changed its mind: a change moves the addresses. */
void svc_verdict(struct svc *s, const struct hc_result *r, bool deep)
{
	bool up = s->fsm.up && (!s->deep.hc || s->deep.fsm.up);

	/* out by the deep probe alone: its resolver answers, deep_on_failure decides */
	if (!up && s->fsm.up && s->standby != (s->may_standby && !s->cfg->deep_fail_withdraw) &&
	    !(s->damp.suppressed && !s->standby)) {
		s->standby = !s->standby;
		if (up == s->healthy)
			s->cb(s, NULL, s->data);
	}
	if (up == s->healthy) {
		if (!deep)
			svc_quiet_why(s, r);
		return;
	}
	s->healthy = up;
	s->deep_decided = deep;
	svc_mark(s);
	s->transitions++;
	if (!up)
		svc_damp_flap(s);
	s->cb(s, r, s->data);
}

/* One probe's verdict, from either probe. After the kernel reported the resolver's
 * listening socket destroyed, a failed probe is the second, independent failure: the
 * service goes down at once, whatever `fall` says. */
static void svc_feed(struct svc *s, const struct hc_result *r)
{
	bool ok = r->status == HC_OK;
	enum hc_change change;

	s->last = *r;
	s->probed = true;
	if (ok)
		log_debug("%s: probe ok in %llu us", s->cfg->name, (unsigned long long)r->rtt_us);
	else
		log_debug("%s: probe failed: %s", s->cfg->name, r->why);

	svc_check_listeners(s, r);
	if (!ok && s->lost)
		change = hc_fsm_down_now(&s->fsm);
	else
		change = hc_fsm_feed(&s->fsm, ok);
	if (ok)
		s->lost = false;
	else if (change == HC_WENT_DOWN || s->fsm.bad >= s->fsm.fall)
		svc_classify(s, r, !s->healthy);
	svc_verdict(s, r, false);
	/* after the verdict: telling a refused connection from a SERVFAIL asks the kernel,
	 * which a withdrawal should not wait for */
	svc_stats_feed(&s->stats, s->cfg, r);
}

static void svc_result(const struct hc_result *r, void *data)
{
	struct svc *s = data;
	struct svc_probe *p = &s->probe[0];
	uint64_t now = loop_now_us(), next;

	p->silence_check = false;
	svc_feed(s, r);
	/* A failure while announced is confirmed retry_ms later, not an interval later: the
	 * withdrawal of a dead resolver should not wait for full intervals. */
	if (r->status != HC_OK && s->fsm.up)
		next = now + s->cfg->retry_ms * 1000ull;
	else
		next = p->start_us + s->cfg->interval_ms * 1000ull;
	svc_arm(s, p, next > now ? next : now);
}

static void svc_confirm_result(const struct hc_result *r, void *data)
{
	struct svc *s = data;

	loop_timer_arm(s->probe[1].timer, 0);
	svc_feed(s, r);
}

void svc_kick(struct svc *s)
{
	struct svc_probe *p = &s->probe[0];

	if (!p->hc || !hc_busy(p->hc))
		svc_arm(s, p, loop_now_us());
}

void svc_listener_lost(struct svc *s)
{
	struct svc_probe *p = &s->probe[0];

	if (!s->lost)
		log_debug("%s: the resolver's listening socket was destroyed: probing now",
			  s->cfg->name);
	s->lost = true;
	if (!s->fsm.up && s->standby) {
		s->standby = false;
		log_warn("%s: the resolver's listening socket was destroyed: withdrawn from the "
			 "standby interface",
			 s->cfg->name);
		s->cb(s, NULL, s->data);
	}
	if (!s->fsm.up)
		return;
	if (!p->hc || !hc_busy(p->hc)) {
		svc_arm(s, p, loop_now_us());
		return;
	}
	/* the probe in flight may have reached the socket before it went */
	svc_confirm_start(s);
}

void svc_reset(struct svc *s, bool up)
{
	hc_fsm_init(&s->fsm, s->cfg->rise, s->cfg->fall, up);
	hc_fsm_init(&s->deep.fsm, s->cfg->rise, s->cfg->fall, true);
	s->healthy = up;
	s->standby = false;
	svc_mark(s);
}

int svc_create(struct svc **out, struct loop *loop, const struct cfg_service *c, svc_change_cb cb,
	       svc_listens_cb listens, void *data)
{
	static const loop_fd_cb readable[2] = {svc_readable, svc_confirm_readable};
	static const loop_timer_cb timer[2] = {svc_timer, svc_confirm_timer};
	struct svc *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->cfg = c;
	s->loop = loop;
	s->cb = cb;
	s->listens = listens;
	s->data = data;
	svc_reset(s, false);
	hc_damp_init(&s->damp, c->damp_half_life_ms);
	ret = hc_create(&s->probe[0].hc, &c->probe, svc_result, s);
	if (ret == 0)
		ret = loop_timer_add(loop, svc_damp_timer, s, &s->damp_timer);
	for (size_t i = 0; i < 2 && ret == 0; i++) {
		ret = loop_watch_add(loop, s->probe[i].hc ? hc_fd(s->probe[i].hc) : -1, EPOLLIN,
				     readable[i], s, &s->probe[i].fd_watch);
		if (ret == 0)
			ret = loop_timer_add(loop, timer[i], s, &s->probe[i].timer);
	}
	if (ret == 0)
		ret = loop_watch_add(loop, -1, EPOLLIN, svc_deep_readable, s, &s->deep.fd_watch);
	if (ret == 0)
		ret = loop_timer_add(loop, svc_deep_timer, s, &s->deep.timer);
	if (ret == 0 && c->deep.qname[0]) {
		ret = hc_create(&s->deep.hc, &c->deep, svc_deep_result, s);
		if (ret == 0)
			ret = loop_watch_set_fd(s->deep.fd_watch, hc_fd(s->deep.hc));
		if (ret == 0)
			svc_arm_at(s->deep.timer, s, loop_now_us());
	}
	if (ret < 0) {
		svc_destroy(s);
		return ret;
	}
	*out = s;
	return 0;
}

int svc_new_probe(struct svc *s, const struct cfg_service *c, struct hc **out)
{
	return hc_create(out, &c->probe, svc_result, s);
}

void svc_commit(struct svc *s, const struct cfg_service *c, struct hc *probe)
{
	struct svc_probe *p = &s->probe[0], *confirm = &s->probe[1];
	const struct cfg_service *old = s->cfg;

	s->cfg = c;
	svc_deep_commit(s, old);
	s->fsm.rise = c->rise;
	s->fsm.fall = c->fall;
	/* the penalty so far stands; with damping turned off, a suppression ends now */
	s->damp.half_life_ms = c->damp_half_life_ms;
	if (!c->damp_half_life_ms && s->damp.suppressed) {
		hc_damp_init(&s->damp, 0);
		loop_timer_arm(s->damp_timer, 0); /* the reload's reconcile announces */
	}
	if (!probe)
		return;
	hc_destroy(p->hc);
	p->hc = probe;
	p->silence_check = false;
	svc_sync_fd(s, p);
	svc_arm(s, p, loop_now_us());
	/* the confirming probe is made again, from the new parameters, when next needed */
	hc_destroy(confirm->hc);
	confirm->hc = NULL;
	svc_sync_fd(s, confirm);
	loop_timer_arm(confirm->timer, 0);
}

void svc_destroy(struct svc *s)
{
	if (!s)
		return;
	loop_watch_remove(s->damp_timer);
	loop_watch_remove(s->deep.fd_watch);
	loop_watch_remove(s->deep.timer);
	hc_destroy(s->deep.hc);
	for (size_t i = 0; i < 2; i++) {
		loop_watch_remove(s->probe[i].fd_watch);
		loop_watch_remove(s->probe[i].timer);
		hc_destroy(s->probe[i].hc);
	}
	free(s);
}
