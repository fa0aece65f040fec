/* SPDX-License-Identifier: MIT */
/* --check-once: one probe per service, a look at the interface, the sockets, the agent's
 * state and FRR, reported as a monitoring-plugin line. Reads only; never changes the host.
 * Nothing shows green that is not: a failed probe has no RTT, an unchecked FRR or a stopped
 * agent is a WARNING, an address announced where nothing listens is CRITICAL. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/agent-int.h"
#include "agent/frr.h"
#include "agent/loop.h"
#include "agent/oneshot.h"
#include "agent/state.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

#define CHECK_FRR_BUDGET_US (3000u * 1000u)
/* The agent rewrites its state every 5 s: three missed writes mean it is wedged. */
#define CHECK_STATE_STALE_S 15

struct check_probe {
	struct hc *hc;
	struct hc_result r;
	bool done;
	uint64_t deadline_us;
};

/* Per configured address (parallel to cfg->addrs). */
struct check_addr {
	bool present;
	bool standby;  /* on the standby interface (present is for the interface) */
	bool conflict; /* on the interface with another prefix length */
	struct nl_addr other;
	bool originated;
};

struct check {
	const struct cfg *cfg;
	struct check_probe *probes;
	struct check_addr *addrs;
	int state;
	char text[4096], perf[2048];
	size_t tl, pl;
};

static void check_raise(struct check *c, int state)
{
	if (c->state != CHECK_UNKNOWN && state > c->state)
		c->state = state;
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

#define TEXT(c, ...) check_append((c)->text, sizeof((c)->text), &(c)->tl, __VA_ARGS__)
#define PERF(c, ...) check_append((c)->perf, sizeof((c)->perf), &(c)->pl, __VA_ARGS__)

static void check_done(const struct hc_result *r, void *data)
{
	struct check_probe *p = data;

	p->r = *r;
	p->done = true;
}

/* Runs every probe at once, each with its own deadline. */
static void check_probe_all(struct check *c)
{
	const struct cfg *cfg = c->cfg;
	struct pollfd *pfds = calloc(cfg->nservices + 1, sizeof(*pfds));

	for (size_t i = 0; i < cfg->nservices; i++) {
		struct check_probe *p = &c->probes[i];
		int ret = -ENOMEM;

		if (pfds)
			ret = hc_create(&p->hc, &cfg->services[i].probe, check_done, p);
		if (ret == 0)
			ret = hc_start(p->hc);
		if (ret < 0) {
			p->r.status = HC_ERROR;
			snprintf(p->r.why, sizeof(p->r.why), "cannot probe: %s", strerror(-ret));
			p->done = true;
		}
		p->deadline_us = loop_now_us() + cfg->services[i].probe.timeout_ms * 1000ull;
	}
	while (pfds) {
		uint64_t now = loop_now_us(), wait = UINT64_MAX;
		size_t n = 0;

		for (size_t i = 0; i < cfg->nservices; i++) {
			struct check_probe *p = &c->probes[i];

			if (p->done)
				continue;
			if (now >= p->deadline_us) {
				hc_expire(p->hc);
				continue;
			}
			if (p->deadline_us - now < wait)
				wait = p->deadline_us - now;
			pfds[n].fd = hc_fd(p->hc);
			pfds[n].events = POLLIN;
			n++;
		}
		if (!n)
			break;
		if (poll(pfds, n, (int)((wait + 999) / 1000)) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < cfg->nservices; i++)
			if (!c->probes[i].done)
				hc_process(c->probes[i].hc);
	}
	free(pfds);
}

static void check_addr_cb(const struct nl_addr *addr, void *data)
{
	struct check *c = data;
	ssize_t i = cfg_addr_find(c->cfg, addr);

	if (i >= 0) {
		c->addrs[i].present = true;
		return;
	}
	/* the same IPv6 address with another length: one address to the kernel */
	for (size_t k = 0; k < c->cfg->naddrs; k++) {
		const struct nl_addr *a = &c->cfg->addrs[k].addr;

		if (a->family == AF_INET6 && addr->family == AF_INET6 &&
		    !memcmp(&a->u.v6, &addr->u.v6, sizeof(a->u.v6))) {
			c->addrs[k].conflict = true;
			c->addrs[k].other = *addr;
		}
	}
}

static void check_interface(struct check *c)
{
	const struct cfg *cfg = c->cfg;
	struct nl_link l;
	struct nl *nl;
	int ret;

	ret = nl_create(&nl);
	if (ret == 0) {
		ret = nl_link_get(nl, cfg->interface, 0, &l);
		if (ret == 0)
			ret = nl_addr_dump(nl, l.ifindex, check_addr_cb, c);
		nl_destroy(nl);
	}
	if (ret == -ENODEV) {
		TEXT(c, "interface %s missing; ", cfg->interface);
		check_raise(c, CHECK_WARNING);
	} else if (ret < 0) {
		TEXT(c, "cannot read %s: %s; ", cfg->interface, strerror(-ret));
		c->state = CHECK_UNKNOWN;
	}
}

/* Is the agent there to watch what is announced? */
static void check_agent(struct check *c, const char *state_dir)
{
	struct state st;
	unsigned line;
	size_t present = 0;
	long pid;
	int ret = state_lock_holder(state_dir, &pid);

	for (size_t i = 0; i < c->cfg->naddrs; i++)
		present += c->addrs[i].present || c->addrs[i].standby;
	if (ret < 0) {
		TEXT(c, "agent state unknown (%s/lock: %s); ", state_dir, strerror(-ret));
		check_raise(c, CHECK_WARNING);
		return;
	}
	if (ret == 0) {
		if (present)
			TEXT(c,
			     "agent not running: %zu address%s announced with nothing watching "
			     "them; ",
			     present, present == 1 ? "" : "es");
		else
			TEXT(c, "agent not running; ");
		check_raise(c, CHECK_WARNING);
		return;
	}
	ret = state_read(state_dir, &st, &line);
	if (ret == 0 && time(NULL) - st.written > CHECK_STATE_STALE_S) {
		TEXT(c, "agent (pid %ld) has not written its state for %lld s: hung?; ", pid,
		     (long long)(time(NULL) - st.written));
		check_raise(c, CHECK_WARNING);
	} else if (ret < 0) {
		TEXT(c, "agent (pid %ld) state unreadable (%s); ", pid, strerror(-ret));
		check_raise(c, CHECK_WARNING);
	}
	for (size_t k = 0; ret == 0 && k < st.nplaced; k++) {
		ssize_t i = st.placed[k].standby ? cfg_addr_find(c->cfg, &st.placed[k].addr) : -1;

		if (i >= 0)
			c->addrs[i].standby = true;
	}
	for (size_t i = 0; ret == 0 && i < st.nsvcs; i++) {
		if (!st.svcs[i].damped)
			continue;
		TEXT(c, "%s damped (flapping): withdrawn until it is stable, about %lld s more; ",
		     st.svcs[i].name, (long long)(st.svcs[i].damped_until - time(NULL)));
		check_raise(c, CHECK_WARNING);
	}
	if (ret == 0)
		state_free(&st);
}

/* Clients reach port 53 on the service address: an address announced where nothing
 * listens black-holes every client that routes here. */
static void check_listeners(struct check *c)
{
	uint8_t *seen = malloc(c->cfg->naddrs + 1);
	char buf[NL_ADDRSTRLEN];
	int ret = seen ? agent_listen_scan(c->cfg->addrs, c->cfg->naddrs, seen) : -ENOMEM;

	if (ret < 0) {
		TEXT(c, "; sockets not checked: %s", strerror(-ret));
		check_raise(c, CHECK_WARNING);
		free(seen);
		return;
	}
	for (size_t i = 0; i < c->cfg->naddrs; i++) {
		if (seen[i] == (AGENT_LISTEN_UDP | AGENT_LISTEN_TCP))
			continue;
		TEXT(c, "; nothing listens on %s port %u (%s)%s",
		     nl_addr_str(&c->cfg->addrs[i].addr, buf, sizeof(buf)), AGENT_DNS_PORT,
		     agent_listen_missing(seen[i]),
		     c->addrs[i].present || c->addrs[i].standby ? ": announced and black-holing"
								: "");
		check_raise(c, c->addrs[i].present || c->addrs[i].standby ? CHECK_CRITICAL
									  : CHECK_WARNING);
	}
	free(seen);
}

struct frr_opts check_frr_opts(const struct cfg *cfg, uint64_t budget_us, struct nl_addr *addrs)
{
	struct frr_opts o = {.vtysh = cfg->vtysh,
			     .pathspace = cfg->frr_pathspace,
			     .deadline_us = loop_now_us() + budget_us,
			     .addrs = addrs,
			     .naddrs = addrs ? cfg->naddrs : 0};

	for (size_t i = 0; i < cfg->naddrs; i++) {
		o.want4 |= cfg->addrs[i].addr.family == AF_INET;
		o.want6 |= cfg->addrs[i].addr.family == AF_INET6;
		if (addrs)
			addrs[i] = cfg->addrs[i].addr;
	}
	return o;
}

/* A family wanted that neither OSPF nor BGP can carry, though nothing failed: say so. */
static void check_carriers(struct check *c, const struct frr_view *v, const struct frr_opts *o)
{
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		bool v4 = family == AF_INET;
		int peers = v4 ? v->peers4 : v->peers6;

		if (!(v4 ? o->want4 : o->want6) || v->daemons & (v4 ? FRR_OSPFD : FRR_OSPF6D) ||
		    (v->daemons & FRR_BGPD && peers != 0))
			continue;
		TEXT(c, "; nothing announces the IPv%c addresses: %s does not run and %s",
		     v4 ? '4' : '6', v4 ? "ospfd" : "ospf6d",
		     v->daemons & FRR_BGPD ? (v4 ? "bgpd has no IPv4 unicast neighbour"
						 : "bgpd has no IPv6 unicast neighbour")
					   : "neither does bgpd");
		check_raise(c, CHECK_WARNING);
	}
}

/* bgpd's view: each address present (or standby) originated, the standby prepended and
 * only it, each advertised to every Established neighbour of its family. */
static void check_bgp(struct check *c, const struct frr_view *v)
{
	const struct cfg *cfg = c->cfg;
	size_t present = 0, originated = 0, standby = 0, flat = 0;
	char buf[NL_ADDRSTRLEN];
	int est = 0, heard = 0, others = 0;

	if (!v->bgp_asked4 && !v->bgp_asked6)
		return;
	for (size_t i = 0; i < cfg->naddrs; i++) {
		const struct nl_addr *a = &cfg->addrs[i].addr;
		const struct frr_bgp_addr *b = frr_view_bgp(v, a);
		bool v4 = a->family == AF_INET, on = c->addrs[i].present;

		if (!b || !(on || c->addrs[i].standby))
			continue;
		/* OSPF carries it (a host running both) */
		if (!b->originated && c->addrs[i].originated && (v4 ? v->asked4 : v->asked6))
			continue;
		present++;
		nl_addr_str(a, buf, sizeof(buf));
		if (!b->originated) {
			TEXT(c, "; %s %s %s but not originated by bgpd: check '%s'", buf,
			     on ? "on" : "announced through",
			     on ? cfg->interface : cfg->standby_interface,
			     on ? (v4 ? "redistribute connected route-map ANYCAST4"
				      : "redistribute connected route-map ANYCAST6")
			     : cfg->standby_address ? "redistribute connected' on the standby "
						      "interface, and its route-map"
			     : v4		    ? "redistribute kernel route-map STANDBY4"
						    : "redistribute kernel route-map STANDBY6");
			check_raise(c, CHECK_WARNING);
			continue;
		}
		originated++;
		if (!on) {
			standby++;
			flat += !b->aslen;
		}
		if (!on && !b->aslen)
			TEXT(c, "; %s standby announced without prepend: check route-map %s", buf,
			     v4 ? "STANDBY4" : "STANDBY6");
		else if (on && b->aslen)
			TEXT(c,
			     "; %s on %s announced with the standby's prepend (AS path of %u): "
			     "check route-map %s",
			     buf, cfg->interface, b->aslen, v4 ? "ANYCAST4" : "ANYCAST6");
		if (b->missing[0])
			TEXT(c,
			     "; %s originated but not advertised to %s: check its route-map out / "
			     "prefix-list",
			     buf, b->missing);
		if ((!on && !b->aslen) || (on && b->aslen) || b->missing[0])
			check_raise(c, CHECK_WARNING);
	}
	if (v->established4 == 0 || v->established6 == 0)
		check_raise(c, CHECK_WARNING);
	if (v->established4 == 0)
		TEXT(c, "; no Established BGP IPv4 neighbour: nobody hears us");
	if (v->established6 == 0)
		TEXT(c, "; no Established BGP IPv6 neighbour: nobody hears us");
	if (v->bgp_asked4) {
		est += v->established4;
		heard += v->heard4;
		others += v->peers4 - v->established4;
	}
	if (v->bgp_asked6) {
		est += v->established6;
		heard += v->heard6;
		others += v->peers6 - v->established6;
	}
	TEXT(c, "; BGP originates %zu/%zu", originated, present);
	if (standby && flat)
		TEXT(c, " (%zu from the standby interface %s, %zu not prepended)", standby,
		     cfg->standby_interface, flat);
	else if (standby)
		TEXT(c, " (%zu from the standby interface %s, prepended)", standby,
		     cfg->standby_interface);
	if (est)
		TEXT(c, ", advertised to %d/%d Established neighbour%s", heard, est,
		     est > 1 ? "s" : "");
	else
		TEXT(c, ", no neighbour Established");
	if (others)
		TEXT(c, " (%d %sconfigured)", others, est ? "more " : "");
}

/* Do the routers hear about what is on the interface? */
static void check_frr(struct check *c)
{
	const struct cfg *cfg = c->cfg;
	struct nl_addr *addrs = calloc(cfg->naddrs + 1, sizeof(*addrs));
	struct frr_opts o = check_frr_opts(cfg, CHECK_FRR_BUDGET_US, addrs);
	size_t present = 0, originated = 0, standby = 0;
	struct frr_view v;
	char buf[NL_ADDRSTRLEN];
	int ret;

	ret = addrs ? frr_view_read(&o, &v) : -ENOMEM;
	if (ret == -ENOENT) {
		TEXT(c, "; FRR not checked: vtysh not found (%s)", cfg->vtysh);
		check_raise(c, CHECK_WARNING);
		goto out;
	}
	if (ret < 0) {
		TEXT(c, "; FRR not checked: %s", strerror(-ret));
		check_raise(c, CHECK_WARNING);
		goto out;
	}
	for (size_t k = 0; k < v.noriginated; k++) {
		ssize_t i = cfg_addr_find(cfg, &v.originated[k]);

		if (i >= 0)
			c->addrs[i].originated = true;
	}
	for (size_t i = 0; i < cfg->naddrs; i++) {
		const struct nl_addr *a = &cfg->addrs[i].addr;
		const char *ifname = c->addrs[i].present ? cfg->interface : cfg->standby_interface;
		const char *how = c->addrs[i].present ? "on" : "announced through";
		const struct frr_bgp_addr *b = frr_view_bgp(&v, a);

		if (!(c->addrs[i].present || c->addrs[i].standby) ||
		    !(a->family == AF_INET ? v.asked4 : v.asked6))
			continue;
		/* bgpd carries it, ospfd does not (a host running both) */
		if (b && b->originated && !c->addrs[i].originated)
			continue;
		present++;
		if (c->addrs[i].originated) {
			originated++;
			standby += !c->addrs[i].present;
			continue;
		}
		check_raise(c, CHECK_WARNING);
		TEXT(c, "; %s %s %s but not originated by %s: check %s",
		     nl_addr_str(a, buf, sizeof(buf)), how, ifname,
		     a->family == AF_INET ? "ospfd" : "ospf6d",
		     c->addrs[i].present     ? (a->family == AF_INET
						    ? "'redistribute connected' and its route-map, or "
						      "(intra-area) 'ip ospf area' on the interface"
						    : "'redistribute connected' and its route-map, or "
						      "(intra-area) 'ipv6 ospf6 area' on the interface")
		     : !cfg->standby_address ? "'redistribute kernel' and its route-map"
		     : a->family == AF_INET  ? "'ip ospf area' on the standby interface"
					     : "'ipv6 ospf6 area' on the standby interface");
	}
	if (v.error[0] || v.full4 == 0 || v.full6 == 0)
		check_raise(c, CHECK_WARNING);
	if (v.error[0])
		TEXT(c, "; FRR: %s", v.error);
	if (v.full4 == 0)
		TEXT(c, "; no Full OSPFv2 neighbour: nobody hears us");
	if (v.full6 == 0)
		TEXT(c, "; no Full OSPFv3 neighbour: nobody hears us");
	if (v.asked4 || v.asked6) {
		TEXT(c, "; FRR originates %zu/%zu", originated, present);
		if (standby)
			TEXT(c, " (%zu from the standby interface %s)", standby,
			     cfg->standby_interface);
		if (v.full4 > 0)
			TEXT(c, ", %d OSPFv2", v.full4);
		if (v.full6 > 0)
			TEXT(c, ", %d OSPFv3", v.full6);
		if (v.full4 > 0 || v.full6 > 0)
			TEXT(c, " Full neighbour%s", v.full4 + v.full6 > 1 ? "s" : "");
	}
	check_bgp(c, &v);
	check_carriers(c, &v, &o);
	frr_view_free(&v);
out:
	free(addrs);
}

static void check_services(struct check *c)
{
	const struct cfg *cfg = c->cfg;
	char buf[NL_ADDRSTRLEN], obuf[NL_ADDRSTRLEN], why[sizeof(c->probes[0].r.why)];

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		const struct hc_result *r = &c->probes[i].r;
		size_t present = 0, standby = 0;

		for (size_t j = s->first; j < s->first + s->naddrs; j++) {
			present += c->addrs[j].present;
			standby += c->addrs[j].standby && !c->addrs[j].present;
		}
		/* failed, and the agent did what it is there for: the campus is served by the
		 * others, this host only if none is left */
		if (r->status != HC_OK && standby && !present)
			check_raise(c, CHECK_WARNING);
		else if (r->status != HC_OK)
			check_raise(c, CHECK_CRITICAL);
		else if (present < s->naddrs)
			check_raise(c, CHECK_WARNING);
		if (r->status == HC_OK)
			TEXT(c, "%s%s: healthy (%llu ms)", i ? "; " : "", s->name,
			     (unsigned long long)(r->rtt_us / 1000u));
		else if (standby && !present)
			TEXT(c, "%s%s: STANDBY, failing while its resolver runs (%s)",
			     i ? "; " : "", s->name, svc_explain(s, r, why, sizeof(why)));
		else
			TEXT(c, "%s%s: FAILED (%s)", i ? "; " : "", s->name,
			     svc_explain(s, r, why, sizeof(why)));
		TEXT(c, ", %zu/%zu addresses on %s", present, s->naddrs, cfg->interface);
		if (standby)
			TEXT(c,
			     ", %zu announced through the standby interface %s (the standby "
			     "announcement: used only where no healthy instance is left)",
			     standby, cfg->standby_interface);
		for (size_t j = s->first; j < s->first + s->naddrs; j++)
			if (c->addrs[j].conflict)
				TEXT(c, ", %s held as %s (conflict)",
				     nl_addr_str(&cfg->addrs[j].addr, buf, sizeof(buf)),
				     nl_addr_str(&c->addrs[j].other, obuf, sizeof(obuf)));
		/* a failed probe has no round trip: U, not the time it took to fail */
		if (r->status == HC_OK)
			PERF(c, "%s%s_rtt=%llu.%06llus;;;0", i ? " " : "", s->name,
			     (unsigned long long)(r->rtt_us / 1000000u),
			     (unsigned long long)(r->rtt_us % 1000000u));
		else
			PERF(c, "%s%s_rtt=U", i ? " " : "", s->name);
		PERF(c, " %s_addresses=%zu;;;0;%zu", s->name, present, s->naddrs);
	}
}

int oneshot_check(const struct cfg *cfg, const char *state_dir, FILE *out)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	struct check *c = calloc(1, sizeof(*c));
	struct stat st;
	int state;

	if (c) {
		c->probes = calloc(cfg->nservices + 1, sizeof(*c->probes));
		c->addrs = calloc(cfg->naddrs + 1, sizeof(*c->addrs));
	}
	if (!c || !c->probes || !c->addrs) {
		fprintf(out, "ANYCAST UNKNOWN - out of memory\n");
		state = CHECK_UNKNOWN;
		goto out;
	}
	c->cfg = cfg;
	if (!cfg->nservices) {
		fprintf(out, "ANYCAST UNKNOWN - not configured: no [service NAME] section, nothing "
			     "to check\n");
		state = CHECK_UNKNOWN;
		goto out;
	}
	check_probe_all(c);
	check_interface(c);
	check_agent(c, state_dir);
	if (stat(cfg->maintenance_file, &st) == 0) {
		TEXT(c, "maintenance (%s exists): withdrawn; ", cfg->maintenance_file);
		check_raise(c, CHECK_WARNING);
	}
	check_services(c);
	check_listeners(c);
	if (cfg->frr_check)
		check_frr(c);
	state = c->state;
	fprintf(out, "ANYCAST %s - %s | %s\n", names[state], c->text, c->perf);
out:
	for (size_t i = 0; c && c->probes && i < cfg->nservices; i++)
		hc_destroy(c->probes[i].hc);
	if (c) {
		free(c->probes);
		free(c->addrs);
	}
	free(c);
	return state;
}
