/* SPDX-License-Identifier: MIT */
/* health: one DNS probe at a time against one resolver, through a libunbound context whose
 * events run on the probe's own event base (health/evbase.c), in the caller's thread. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound-event.h>
#include <unbound.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "health/evbase.h"
#include "health/hc.h"

struct hc {
	struct hc_params p;
	hc_done_cb cb;
	void *data;
	struct hc_eb *eb;   /* libunbound's sockets and timers; outlives the contexts */
	struct ub_ctx *ctx; /* NULL after a probe that left state behind; hc_start makes another */
	int async_id;
	bool busy;     /* a probe is in flight */
	bool answered; /* libunbound delivered the answer; hc_process finishes the probe */
	bool keep;     /* the answer left nothing in the context that could fake the next one */
	uint64_t start_us;
	struct hc_result res;
};

/* Every option is verified to matter or to be harmless; see the comments beside them. */
static const char *const hc_ub_options[][2] = {
    /* A cached answer would keep a dead resolver "healthy" (TTL > 0 records). */
    {"cache-max-ttl:", "0"},
    {"cache-max-negative-ttl:", "0"},
    /* Belt and braces: the context is recreated after a failure anyway. */
    {"infra-host-ttl:", "1"},
    {"outbound-msg-retry:", "1"},
    /* libunbound would otherwise give up on a silent server after ~190 ms (its RTT-based
     * timeout) and report SERVFAIL as if the resolver had answered that: the caller's
     * deadline must be what ends a probe without an answer. A process-wide setting. */
    {"infra-cache-min-rtt:", "30000"},
    /* The resolver is usually on loopback; "yes" turns every probe into SERVFAIL. */
    {"do-not-query-localhost:", "no"},
    /* No trust anchor is configured, so the validator would only cost time. */
    {"module-config:", "iterator"},
    /* Each context keeps a table of every port it may send from, per family: 0.5 MB of its
     * 1.6. The kernel's own ephemeral range is plenty for one probe at a time. */
    {"outgoing-port-avoid:", "0-32767"},
    {"outgoing-port-avoid:", "61000-65535"},
};

static uint64_t hc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int hc_ub_errno(int err)
{
	switch (err) {
	case UB_NOMEM:
		return -ENOMEM;
	case UB_SYNTAX:
	case UB_AFTERFINAL:
		return -EINVAL;
	case UB_PIPE:
		return -EPIPE;
	case UB_NOID:
		return -ENOENT;
	case UB_FORKFAIL:
	case UB_INITFAIL:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static void hc_ctx_drop(struct hc *hc)
{
	if (!hc->ctx)
		return;
	ub_ctx_delete(hc->ctx);
	hc->ctx = NULL;
	hc_eb_flush(hc->eb);
	/* A context is 1.2 MB, made and dropped at every failure: without giving the freed
	 * pages back, the heap's fragments grew the agent to 10 MB over a dozen hangs. */
	malloc_trim(0);
}

static int hc_ctx_new(struct hc *hc)
{
	char zone[HC_QNAME_MAX + sizeof(" transparent")], server[HC_SERVER_MAX];
	struct ub_ctx *ctx;
	size_t i;
	int err;

	ctx = ub_ctx_create_ub_event(hc_eb_base(hc->eb));
	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < sizeof(hc_ub_options) / sizeof(hc_ub_options[0]); i++) {
		err = ub_ctx_set_option(ctx, hc_ub_options[i][0], hc_ub_options[i][1]);
		if (err)
			goto cleanup;
	}
	/* A name under a built-in zone (test., home.arpa., localhost. ...) would be answered
	 * by libunbound itself. The option, unlike ub_ctx_zone_add(), also drops the built-in
	 * zone's own data when the name is that zone's apex (localhost., test.). */
	snprintf(zone, sizeof(zone), "%s transparent", hc->p.qname);
	err = ub_ctx_set_option(ctx, "local-zone:", zone);
	if (err)
		goto cleanup;
	if (hc->p.tcp) {
		err = ub_ctx_set_option(ctx, "tcp-upstream:", "yes");
		if (err)
			goto cleanup;
	}
	/* only the resolver's family: the other one's port table would be memory for nothing */
	err =
	    ub_ctx_set_option(ctx, hc->p.server.ss_family == AF_INET ? "do-ip6:" : "do-ip4:", "no");
	if (err)
		goto cleanup;
	err = ub_ctx_set_fwd(ctx, hc_server_str(&hc->p.server, server, sizeof(server)));
	if (err)
		goto cleanup;
	hc->ctx = ctx;
	return 0;
cleanup:
	ub_ctx_delete(ctx);
	return hc_ub_errno(err);
}

int hc_create(struct hc **out, const struct hc_params *p, hc_done_cb cb, void *data)
{
	struct hc *hc;
	int ret;

	*out = NULL;
	if (!cb || (p->server.ss_family != AF_INET && p->server.ss_family != AF_INET6) ||
	    !memchr(p->qname, '\0', sizeof(p->qname)) || p->qtype < 0 || p->qtype > 65535)
		return -EINVAL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->p = *p;
	hc->cb = cb;
	hc->data = data;
	ret = hc_eb_create(&hc->eb);
	if (ret < 0) {
		free(hc);
		return ret;
	}
	/* The first context is made here so that a server or name libunbound refuses is
	 * reported when the configuration is loaded, not at the first probe. */
	ret = hc_ctx_new(hc);
	if (ret < 0) {
		hc_eb_destroy(hc->eb);
		free(hc);
		return ret;
	}
	*out = hc;
	return 0;
}

void hc_destroy(struct hc *hc)
{
	if (!hc)
		return;
	/* Deleting the context closes its sockets and frees its events, a query in flight too. */
	hc_ctx_drop(hc);
	hc_eb_destroy(hc->eb);
	free(hc);
}

static void hc_set(struct hc_result *r, enum hc_status status, int rcode, uint64_t rtt_us)
{
	r->status = status;
	r->rcode = rcode;
	r->rtt_us = rtt_us;
}

/* Runs inside the event base's dispatch (or ub_resolve_event): record only. The context
 * must not be deleted from here. libunbound reports its own failures (no answer, a
 * refused connection) as rcode SERVFAIL without a packet, and an answer as NOERROR with
 * the packet, whose header holds the real rcode. */
static void hc_ub_done(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
		       int ratelimited)
{
	struct hc *hc = arg;
	struct hc_result *r = &hc->res;
	uint64_t rtt = hc_now_us() - hc->start_us;
	const unsigned char *h = pkt;
	unsigned ancount = 0;
	const char *name;

	(void)sec;
	(void)why_bogus;
	(void)ratelimited;
	if (!hc->busy || hc->answered)
		return;
	hc->answered = true;
	if (rcode == 0) {
		if (!h || len < 12) {
			hc_set(r, HC_ERROR, -1, rtt);
			snprintf(r->why, sizeof(r->why), "libunbound: answer without a header");
			return;
		}
		rcode = h[3] & 0x0f;
		ancount = (unsigned)h[6] << 8 | h[7];
	}
	if (rcode >= 0 && rcode < 32 && (hc->p.rcode_ok & (UINT32_C(1) << rcode))) {
		hc_set(r, HC_OK, rcode, rtt);
		snprintf(r->why, sizeof(r->why), "rcode %s", hc_rcode_name(rcode));
		/* An answer without records is cached for 5 s (NORR_TTL) whatever
		 * cache-max-ttl says; records are cached with TTL 0, that is not at all. */
		hc->keep = ancount > 0;
	} else {
		hc_set(r, HC_RCODE, rcode, rtt);
		name = hc_rcode_name(rcode);
		if (strcmp(name, "UNKNOWN") != 0)
			snprintf(r->why, sizeof(r->why), "rcode %s", name);
		else
			snprintf(r->why, sizeof(r->why), "rcode %d", rcode);
	}
}

/* Ends the probe. The callback comes last so that it may start the next probe or
 * destroy hc. */
static void hc_finish(struct hc *hc)
{
	struct hc_result r = hc->res;

	/* A failed context has marked the server down in its infra cache, and a negative
	 * answer sits in its cache: either would hide the resolver's real state next time. */
	if (!hc->keep)
		hc_ctx_drop(hc);
	hc->busy = false;
	hc->answered = false;
	hc->keep = false;
	hc->cb(&r, hc->data);
}

int hc_start(struct hc *hc)
{
	int err;

	if (hc->busy)
		return -EBUSY;
	hc->start_us = hc_now_us();
	if (!hc->ctx) {
		err = hc_ctx_new(hc);
		if (err < 0)
			return err;
	}
	hc->answered = false;
	hc->keep = false;
	memset(&hc->res, 0, sizeof(hc->res));
	hc->busy = true;
	err = ub_resolve_event(hc->ctx, hc->p.qname, hc->p.qtype, 1, hc, hc_ub_done, &hc->async_id);
	if (err) {
		hc->busy = false;
		hc_ctx_drop(hc);
		return hc_ub_errno(err);
	}
	/* Answered already (libunbound had it at hand): delivered from hc_process, as always. */
	if (hc->answered)
		hc_eb_wake(hc->eb);
	else
		hc_eb_flush(hc->eb);
	return 0;
}

int hc_fd(const struct hc *hc)
{
	return hc_eb_fd(hc->eb);
}

bool hc_has_context(const struct hc *hc)
{
	return hc->ctx != NULL;
}

bool hc_busy(const struct hc *hc)
{
	return hc->busy;
}

int hc_process(struct hc *hc)
{
	int ret = hc_eb_dispatch(hc->eb);

	if (hc->answered) {
		hc_finish(hc);
		return 0;
	}
	return ret;
}

void hc_expire(struct hc *hc)
{
	if (!hc->busy)
		return;
	/* The context is dropped below, which discards the query anyway; cancelling first
	 * tells the worker to stop before the join. */
	if (hc->ctx)
		ub_cancel(hc->ctx, hc->async_id);
	hc_set(&hc->res, HC_TIMEOUT, -1, hc_now_us() - hc->start_us);
	snprintf(hc->res.why, sizeof(hc->res.why), "timeout after %u ms", hc->p.timeout_ms);
	hc->answered = true;
	hc_finish(hc);
}
