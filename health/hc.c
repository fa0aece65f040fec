/* SPDX-License-Identifier: MIT */
/* health: one DNS probe at a time against one resolver, through a libunbound context. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "health/hc.h"

struct hc {
	struct hc_params p;
	hc_done_cb cb;
	void *data;
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
}

static int hc_ctx_new(struct hc *hc)
{
	char zone[HC_QNAME_MAX + sizeof(" transparent")], server[HC_SERVER_MAX];
	struct ub_ctx *ctx;
	size_t i;
	int err;

	ctx = ub_ctx_create();
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
	err = ub_ctx_set_fwd(ctx, hc_server_str(&hc->p.server, server, sizeof(server)));
	if (err)
		goto cleanup;
	/* Threads, not fork: a forked worker would be a copy of the agent, its sockets too. */
	err = ub_ctx_async(ctx, 1);
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
	/* The first context is made here so that a server or name libunbound refuses is
	 * reported when the configuration is loaded, not at the first probe. */
	ret = hc_ctx_new(hc);
	if (ret < 0) {
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
	if (hc->busy && hc->ctx)
		ub_cancel(hc->ctx, hc->async_id);
	hc_ctx_drop(hc);
	free(hc);
}

static void hc_set(struct hc_result *r, enum hc_status status, int rcode, uint64_t rtt_us)
{
	r->status = status;
	r->rcode = rcode;
	r->rtt_us = rtt_us;
}

/* Runs inside ub_process(): record only. The context must not be deleted from here. */
static void hc_ub_done(void *arg, int err, struct ub_result *result)
{
	struct hc *hc = arg;
	struct hc_result *r = &hc->res;
	uint64_t rtt = hc_now_us() - hc->start_us;
	const char *name;

	if (!hc->busy || hc->answered) {
		ub_resolve_free(result);
		return;
	}
	hc->answered = true;
	if (err || !result) {
		hc_set(r, HC_ERROR, -1, rtt);
		snprintf(r->why, sizeof(r->why), "libunbound: %s",
			 ub_strerror(err ? err : UB_NOMEM));
	} else if (result->rcode >= 0 && result->rcode < 32 &&
		   (hc->p.rcode_ok & (UINT32_C(1) << result->rcode))) {
		hc_set(r, HC_OK, result->rcode, rtt);
		snprintf(r->why, sizeof(r->why), "rcode %s", hc_rcode_name(result->rcode));
		/* An answer without records is cached for 5 s (NORR_TTL) whatever
		 * cache-max-ttl says; records are cached with TTL 0, that is not at all. */
		hc->keep = result->havedata;
	} else {
		hc_set(r, HC_RCODE, result->rcode, rtt);
		name = hc_rcode_name(result->rcode);
		if (strcmp(name, "UNKNOWN") != 0)
			snprintf(r->why, sizeof(r->why), "rcode %s", name);
		else
			snprintf(r->why, sizeof(r->why), "rcode %d", result->rcode);
	}
	ub_resolve_free(result);
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
	sigset_t all, old;
	int ret, err;

	if (hc->busy)
		return -EBUSY;
	hc->start_us = hc_now_us();
	if (!hc->ctx) {
		ret = hc_ctx_new(hc);
		if (ret < 0)
			return ret;
	}
	hc->answered = false;
	hc->keep = false;
	memset(&hc->res, 0, sizeof(hc->res));
	/* The first query starts libunbound's thread, which inherits this mask: the agent's
	 * signals must reach the agent's own thread (signalfd), never libunbound's. */
	sigfillset(&all);
	/* Faults stay deliverable so that a crash in libunbound is reported, not hidden. */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = ub_resolve_async(hc->ctx, hc->p.qname, hc->p.qtype, 1, hc, hc_ub_done, &hc->async_id);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		hc_ctx_drop(hc);
		return hc_ub_errno(err);
	}
	hc->busy = true;
	return 0;
}

int hc_fd(const struct hc *hc)
{
	return hc->ctx ? ub_fd(hc->ctx) : -1;
}

bool hc_busy(const struct hc *hc)
{
	return hc->busy;
}

int hc_process(struct hc *hc)
{
	int err;

	if (!hc->ctx)
		return 0;
	err = ub_process(hc->ctx);
	if (err) {
		/* The worker is gone or its pipe broke: this context will answer nothing more. */
		hc_ctx_drop(hc);
		if (hc->busy && !hc->answered) {
			hc->answered = true;
			hc_set(&hc->res, HC_ERROR, -1, hc_now_us() - hc->start_us);
			snprintf(hc->res.why, sizeof(hc->res.why), "libunbound: %s",
				 ub_strerror(err));
		}
	}
	if (hc->answered) {
		hc_finish(hc);
		return 0;
	}
	return err ? hc_ub_errno(err) : 0;
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
