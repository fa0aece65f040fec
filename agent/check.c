/* SPDX-License-Identifier: MIT */
/* --check-once: one probe per service and a look at the interface, reported as a
 * monitoring-plugin line. Reads only; never changes the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "agent/frr.h"
#include "agent/log.h"
#include "agent/loop.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

struct check {
	struct hc *hc;
	struct hc_result r;
	bool done;
	uint64_t deadline_us;
	size_t present;
	bool is_present[CFG_MAX_ADDRS];
};

static void check_done(const struct hc_result *r, void *data)
{
	struct check *c = data;

	c->r = *r;
	c->done = true;
}

/* Runs every probe at once, each with its own deadline. */
static void check_probe_all(struct check *cs, const struct cfg *cfg)
{
	struct pollfd *pfds = calloc(cfg->nservices, sizeof(*pfds));

	if (!pfds) {
		for (size_t i = 0; i < cfg->nservices; i++) {
			cs[i].r.status = HC_ERROR;
			snprintf(cs[i].r.why, sizeof(cs[i].r.why), "cannot probe: out of memory");
		}
		return;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct check *c = &cs[i];
		int ret = hc_create(&c->hc, &cfg->services[i].probe, check_done, c);

		if (ret == 0)
			ret = hc_start(c->hc);
		if (ret < 0) {
			c->r.status = HC_ERROR;
			snprintf(c->r.why, sizeof(c->r.why), "cannot probe: %s", strerror(-ret));
			c->done = true;
		}
		c->deadline_us = loop_now_us() + cfg->services[i].probe.timeout_ms * 1000ull;
	}
	for (;;) {
		uint64_t now = loop_now_us(), wait = UINT64_MAX;
		size_t n = 0;

		for (size_t i = 0; i < cfg->nservices; i++) {
			struct check *c = &cs[i];

			if (c->done)
				continue;
			if (now >= c->deadline_us) {
				hc_expire(c->hc);
				continue;
			}
			if (c->deadline_us - now < wait)
				wait = c->deadline_us - now;
			pfds[n].fd = hc_fd(c->hc);
			pfds[n].events = POLLIN;
			n++;
		}
		if (!n)
			break;
		if (poll(pfds, n, (int)((wait + 999) / 1000)) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < cfg->nservices; i++)
			if (!cs[i].done)
				hc_process(cs[i].hc);
	}
	free(pfds);
}

static void check_addr_cb(const struct nl_addr *addr, void *data)
{
	const struct cfg *cfg = ((void **)data)[0];
	struct check *cs = ((void **)data)[1];

	for (size_t i = 0; i < cfg->nservices; i++)
		for (size_t j = 0; j < cfg->services[i].naddrs; j++)
			if (nl_addr_equal(&cfg->services[i].addrs[j], addr) &&
			    !cs[i].is_present[j]) {
				cs[i].is_present[j] = true;
				cs[i].present++;
			}
}

/* 0, -ENODEV when the interface is missing, or another -errno. */
static int check_interface(const struct cfg *cfg, struct check *cs)
{
	void *ctx[2] = {(void *)cfg, cs};
	struct nl *nl;
	unsigned idx;
	bool up;
	int ret;

	ret = nl_create(&nl);
	if (ret < 0)
		return ret;
	ret = nl_link_get(nl, cfg->interface, &idx, &up);
	if (ret == 0)
		ret = nl_addr_dump(nl, idx, check_addr_cb, ctx);
	nl_destroy(nl);
	return ret;
}

/* snprintf that appends and never runs past the end: a long line is cut, not overrun. */
static void check_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* Do the routers hear about what is on the interface? */
static void check_frr(const struct cfg *cfg, const struct check *cs, int *state, char *text,
		      size_t size, size_t *tl)
{
	struct frr_view v;
	size_t present = 0, originated = 0;
	bool missing4 = false, missing6 = false;
	int ret = frr_view_read(cfg, &v);

	if (ret == -ENOENT) {
		check_append(text, size, tl, "; FRR not checked (no %s)", cfg->vtysh);
		return;
	}
	if (ret < 0) {
		check_append(text, size, tl, "; FRR not checked: %s", strerror(-ret));
		return;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		for (size_t j = 0; j < cfg->services[i].naddrs; j++) {
			const struct nl_addr *a = &cfg->services[i].addrs[j];
			bool asked = a->family == AF_INET ? v.asked4 : v.asked6;
			char buf[NL_ADDRSTRLEN];

			if (!cs[i].is_present[j] || !asked)
				continue;
			present++;
			if (v.originated[i * CFG_MAX_ADDRS + j]) {
				originated++;
				continue;
			}
			if (a->family == AF_INET)
				missing4 = true;
			else
				missing6 = true;
			check_append(text, size, tl,
				     "; %s on %s but not originated by %s: check 'redistribute "
				     "connected' and its route-map",
				     nl_addr_str(a, buf, sizeof(buf)), cfg->interface,
				     a->family == AF_INET ? "ospfd" : "ospf6d");
		}
	}
	if (missing4 || missing6 || v.error[0] || v.full4 == 0 || v.full6 == 0)
		if (*state < CHECK_WARNING)
			*state = CHECK_WARNING;
	if (v.error[0])
		check_append(text, size, tl, "; FRR: %s", v.error);
	if (v.full4 == 0)
		check_append(text, size, tl, "; no Full OSPFv2 neighbour: nobody hears us");
	if (v.full6 == 0)
		check_append(text, size, tl, "; no Full OSPFv3 neighbour: nobody hears us");
	if (v.asked4 || v.asked6) {
		check_append(text, size, tl, "; FRR originates %zu/%zu", originated, present);
		if (v.full4 > 0)
			check_append(text, size, tl, ", %d OSPFv2", v.full4);
		if (v.full6 > 0)
			check_append(text, size, tl, ", %d OSPFv3", v.full6);
		if (v.full4 > 0 || v.full6 > 0)
			check_append(text, size, tl, " Full neighbour%s",
				     v.full4 + v.full6 > 1 ? "s" : "");
	}
	frr_view_free(&v);
}

int agent_check_once(const struct cfg *cfg, FILE *out)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	struct check *cs = calloc(cfg->nservices, sizeof(*cs));
	char text[4096] = "", perf[2048] = "";
	size_t tl = 0, pl = 0;
	struct stat st;
	int state = CHECK_OK, ret;

	if (!cs) {
		fprintf(out, "ANYCAST UNKNOWN - out of memory\n");
		return CHECK_UNKNOWN;
	}
	check_probe_all(cs, cfg);
	ret = check_interface(cfg, cs);
	if (ret == -ENODEV) {
		check_append(text, sizeof(text), &tl, "interface %s missing; ", cfg->interface);
		state = CHECK_WARNING;
	} else if (ret < 0) {
		check_append(text, sizeof(text), &tl, "cannot read %s: %s; ", cfg->interface,
			     strerror(-ret));
		state = CHECK_UNKNOWN;
	}
	if (stat(cfg->maintenance_file, &st) == 0) {
		check_append(text, sizeof(text), &tl, "maintenance (%s exists): withdrawn; ",
			     cfg->maintenance_file);
		if (state < CHECK_WARNING)
			state = CHECK_WARNING;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		const struct check *c = &cs[i];
		int svc_state = CHECK_OK;

		if (c->r.status != HC_OK)
			svc_state = CHECK_CRITICAL;
		else if (c->present < s->naddrs)
			svc_state = CHECK_WARNING;
		if (svc_state > state && state != CHECK_UNKNOWN)
			state = svc_state;
		if (c->r.status == HC_OK)
			check_append(text, sizeof(text), &tl, "%s%s: healthy (%llu ms)",
				     i ? "; " : "", s->name,
				     (unsigned long long)(c->r.rtt_us / 1000u));
		else
			check_append(text, sizeof(text), &tl, "%s%s: FAILED (%s)", i ? "; " : "",
				     s->name, c->r.why);
		check_append(text, sizeof(text), &tl, ", %zu/%zu addresses on %s", c->present,
			     s->naddrs, cfg->interface);
		check_append(
		    perf, sizeof(perf), &pl, "%s%s_rtt=%llu.%06llus;;;0 %s_addresses=%zu;;;0;%zu",
		    i ? " " : "", s->name, (unsigned long long)(c->r.rtt_us / 1000000u),
		    (unsigned long long)(c->r.rtt_us % 1000000u), s->name, c->present, s->naddrs);
	}
	if (cfg->frr_check)
		check_frr(cfg, cs, &state, text, sizeof(text), &tl);
	fprintf(out, "ANYCAST %s - %s | %s\n", names[state], text, perf);
	for (size_t i = 0; i < cfg->nservices; i++)
		hc_destroy(cs[i].hc);
	free(cs);
	return state;
}
