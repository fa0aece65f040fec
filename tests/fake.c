/* SPDX-License-Identifier: MIT */
/* The fake kernel (netlink/nl.h) and the fake resolver (health/hc.h) of tests/fake.h. They
 * answer as the real ones do where the agent can tell: EEXIST for the same IPv6 address with
 * another length, EADDRNOTAVAIL for a missing address, ENODEV for a missing link, events
 * after every change, a probe's result through a readable fd. */
#include "tests/fake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

struct fake_kernel fk;
struct fake_resolver_state fr;

/* ------------------------------------------------------------------ the kernel */

struct nl {
	int unused;
};

static void fk_event(enum nl_event_type type, unsigned ifindex, const struct nl_link *l,
		     const struct nl_addr *a)
{
	struct nl_event *ev;

	if (fk.nevents == sizeof(fk.events) / sizeof(fk.events[0])) {
		fk.overrun = true;
		return;
	}
	ev = &fk.events[fk.nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ifindex = ifindex;
	if (l)
		ev->link = *l;
	if (a)
		ev->addr = *a;
	if (write(fk.evfd[1], "e", 1) < 0)
		fk.overrun = true;
}

void fake_reset(void)
{
	if (fk.evfd[0] > 0) {
		close(fk.evfd[0]);
		close(fk.evfd[1]);
	}
	memset(&fk, 0, sizeof(fk));
	memset(&fr, 0, sizeof(fr));
	fk.next_index = 2;
	fk.dummy_supported = true;
	if (pipe2(fk.evfd, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
}

static struct fk_link *fk_link_of(unsigned ifindex)
{
	for (size_t i = 0; i < FK_MAX_LINKS; i++)
		if (fk.links[i].used && fk.links[i].l.ifindex == ifindex)
			return &fk.links[i];
	return NULL;
}

unsigned fk_link_index(const char *name)
{
	for (size_t i = 0; i < FK_MAX_LINKS; i++)
		if (fk.links[i].used && !strcmp(fk.links[i].l.name, name))
			return fk.links[i].l.ifindex;
	return 0;
}

unsigned fk_link_add(const char *name, const char *kind, bool up)
{
	for (size_t i = 0; i < FK_MAX_LINKS; i++) {
		struct fk_link *k = &fk.links[i];

		if (k->used)
			continue;
		k->used = true;
		k->l.ifindex = fk.next_index++;
		snprintf(k->l.name, sizeof(k->l.name), "%s", name);
		snprintf(k->l.kind, sizeof(k->l.kind), "%s", kind);
		k->l.up = up;
		fk_event(NL_EV_NEWLINK, k->l.ifindex, &k->l, NULL);
		return k->l.ifindex;
	}
	abort();
}

void fk_link_del(unsigned ifindex)
{
	struct fk_link *k = fk_link_of(ifindex);

	for (size_t i = 0; i < fk.naddrs;)
		if (fk.addrs[i].ifindex == ifindex)
			fk_addr_del(ifindex, &fk.addrs[i].a);
		else
			i++;
	if (!k)
		return;
	fk_event(NL_EV_DELLINK, ifindex, &k->l, NULL);
	k->used = false;
}

void fk_link_rename(unsigned ifindex, const char *name)
{
	struct fk_link *k = fk_link_of(ifindex);

	snprintf(k->l.name, sizeof(k->l.name), "%s", name);
	fk_event(NL_EV_NEWLINK, ifindex, &k->l, NULL);
}

static bool same_host(const struct nl_addr *a, const struct nl_addr *b)
{
	return a->family == b->family &&
	       !memcmp(&a->u, &b->u, a->family == AF_INET ? sizeof(a->u.v4) : sizeof(a->u.v6));
}

static ssize_t fk_find(unsigned ifindex, const struct nl_addr *a, bool exact)
{
	for (size_t i = 0; i < fk.naddrs; i++)
		if (fk.addrs[i].ifindex == ifindex &&
		    (exact ? nl_addr_equal(&fk.addrs[i].a, a)
			   : same_host(&fk.addrs[i].a, a) && a->family == AF_INET6))
			return (ssize_t)i;
	return -1;
}

int fk_addr_add(unsigned ifindex, const struct nl_addr *a)
{
	if (!fk_link_of(ifindex))
		return -ENODEV;
	/* IPv4 tells addresses apart by length too, IPv6 by the address alone */
	if (fk_find(ifindex, a, true) >= 0 || fk_find(ifindex, a, false) >= 0)
		return -EEXIST;
	fk.addrs[fk.naddrs++] = (struct fk_addr){ifindex, *a};
	fk_event(NL_EV_NEWADDR, ifindex, NULL, a);
	return 0;
}

/* a was removed from somewhere: is the watched address announced nowhere now? */
static void fk_watch_check(const struct nl_addr *a)
{
	bool left = false;

	if (!fk.watch.family || !same_host(&fk.watch, a))
		return;
	for (size_t k = 0; k < fk.naddrs; k++)
		left |= same_host(&fk.addrs[k].a, a);
	for (size_t k = 0; k < fk.nstandby; k++)
		left |= same_host(&fk.standby[k].a, a);
	fk.watch_gaps += !left;
}

int fk_addr_del(unsigned ifindex, const struct nl_addr *a)
{
	ssize_t i;

	if (!fk_link_of(ifindex))
		return -ENODEV;
	i = fk_find(ifindex, a, true);
	if (i < 0)
		return -EADDRNOTAVAIL;
	fk_event(NL_EV_DELADDR, ifindex, NULL, &fk.addrs[i].a);
	fk.addrs[i] = fk.addrs[--fk.naddrs];
	fk_watch_check(a);
	return 0;
}

void fk_release_events(void)
{
	fk.hold_events = false;
	if (write(fk.evfd[1], "e", 1) < 0)
		fk.overrun = true;
}

bool fk_has(unsigned ifindex, const char *addr)
{
	struct nl_addr a;

	return nl_addr_parse(addr, &a) == 0 && fk_find(ifindex, &a, true) >= 0;
}

bool fk_drained(const char *addr)
{
	struct nl_addr a;

	if (nl_addr_parse(addr, &a) < 0)
		return false;
	for (size_t i = 0; i < fk.ndrains; i++)
		if (nl_addr_equal(&fk.drains[i], &a))
			return true;
	return false;
}

int nl_create(struct nl **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void nl_destroy(struct nl *nl)
{
	free(nl);
}

int nl_event_fd(const struct nl *nl)
{
	(void)nl;
	return fk.evfd[0];
}

int nl_set_strict(struct nl *nl, bool on)
{
	(void)nl;
	(void)on;
	return 0;
}

unsigned long nl_dump_retries(const struct nl *nl)
{
	(void)nl;
	return 0;
}

int nl_link_get(struct nl *nl, const char *ifname, unsigned ifindex, struct nl_link *out)
{
	struct fk_link *k = fk_link_of(ifname ? fk_link_index(ifname) : ifindex);

	(void)nl;
	if (!k)
		return -ENODEV;
	if (out)
		*out = k->l;
	return 0;
}

int nl_link_create_dummy(struct nl *nl, const char *ifname)
{
	(void)nl;
	if (!fk.dummy_supported)
		return -EOPNOTSUPP;
	if (fk_link_index(ifname))
		return -EEXIST;
	fk_link_add(ifname, "dummy", false);
	return 0;
}

int nl_link_set_up(struct nl *nl, unsigned ifindex)
{
	struct fk_link *k = fk_link_of(ifindex);

	(void)nl;
	if (!k)
		return -ENODEV;
	if (!k->l.up) {
		k->l.up = true;
		fk_event(NL_EV_NEWLINK, ifindex, &k->l, NULL);
	}
	return 0;
}

int nl_addr_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	int ret;

	(void)nl;
	fk.adds++;
	if (fk.add_err)
		return fk.add_err;
	ret = fk_addr_add(ifindex, a);
	return ret == -EEXIST ? 1 : ret;
}

int nl_addr_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	int ret;

	(void)nl;
	fk.dels++;
	if (fk.del_err)
		return fk.del_err;
	ret = fk_addr_del(ifindex, a);
	return ret == -EADDRNOTAVAIL ? 1 : ret;
}

static ssize_t fk_drain_find(const struct nl_addr *a)
{
	for (size_t i = 0; i < fk.ndrains; i++)
		if (same_host(&fk.drains[i], a))
			return (ssize_t)i;
	return -1;
}

int nl_drain_add(struct nl *nl, const struct nl_addr *a)
{
	(void)nl;
	fk.drain_adds++;
	if (fk_drain_find(a) < 0)
		fk.drains[fk.ndrains++] = *a;
	return 0;
}

int nl_drain_del(struct nl *nl, const struct nl_addr *a)
{
	ssize_t i = fk_drain_find(a);

	(void)nl;
	fk.drain_dels++;
	if (i >= 0)
		fk.drains[i] = fk.drains[--fk.ndrains];
	return 0;
}

static ssize_t fk_standby_find(const struct nl_addr *a)
{
	for (size_t i = 0; i < fk.nstandby; i++)
		if (same_host(&fk.standby[i].a, a))
			return (ssize_t)i;
	return -1;
}

int nl_standby_add(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	(void)nl;
	if (!fk_link_of(ifindex))
		return -ENODEV;
	if (fk_standby_find(a) >= 0)
		return 1;
	fk.standby[fk.nstandby++] = (struct fk_addr){ifindex, *a};
	return 0;
}

int nl_standby_del(struct nl *nl, unsigned ifindex, const struct nl_addr *a)
{
	ssize_t i = fk_standby_find(a);

	(void)nl;
	(void)ifindex;
	if (fk.del_err)
		return fk.del_err;
	if (i < 0)
		return 1;
	fk.standby[i] = fk.standby[--fk.nstandby];
	fk_watch_check(a);
	return 0;
}

bool fk_standby(const char *addr)
{
	struct nl_addr a;

	return nl_addr_parse(addr, &a) == 0 && fk_standby_find(&a) >= 0;
}

int nl_addr_dump(struct nl *nl, unsigned ifindex, nl_addr_cb cb, void *data)
{
	struct fk_addr copy[FK_MAX_ADDRS];
	size_t n = fk.naddrs;

	(void)nl;
	fk.dumps++;
	if (fk.dump_err)
		return fk.dump_err;
	if (!fk_link_of(ifindex))
		return -ENODEV;
	/* as the real one: the callback runs once the dump is whole */
	memcpy(copy, fk.addrs, n * sizeof(copy[0]));
	for (size_t i = 0; i < n; i++)
		if (copy[i].ifindex == ifindex)
			cb(&copy[i].a, data);
	return 0;
}

int nl_event_read(struct nl *nl, nl_event_cb cb, void *data)
{
	struct nl_event evs[512];
	size_t n = fk.nevents;
	char buf[512];
	bool overrun = fk.overrun;

	(void)nl;
	while (read(fk.evfd[0], buf, sizeof(buf)) > 0)
		;
	if (fk.hold_events)
		return 0;
	memcpy(evs, fk.events, n * sizeof(evs[0]));
	fk.nevents = 0;
	fk.overrun = false;
	for (size_t i = 0; i < n; i++)
		cb(&evs[i], data);
	return overrun ? -ENOBUFS : 0;
}

/* A resolver listening on both wildcards, port 53, UDP and TCP; nothing when deaf. */
int nl_listeners(nl_sock_cb cb, void *data)
{
	static const int protos[] = {IPPROTO_UDP, IPPROTO_TCP};

	if (fr.listen_err)
		return fr.listen_err;
	for (size_t i = 0; i < 2 && !fr.deaf; i++) {
		struct nl_sock v4 = {.family = AF_INET, .proto = protos[i], .port = 53};
		struct nl_sock v6 = {
		    .family = AF_INET6, .proto = protos[i], .port = 53, .v6only = true};

		cb(&v4, data);
		cb(&v6, data);
	}
	return 0;
}

/* The kernel's socket reports: one watch per protocol, a pipe that is readable while
 * reports wait, the ports as the agent set them. */
struct nl_sockwatch {
	int proto;
	int fd[2];
	uint16_t ports[NL_SOCKWATCH_MAX_PORTS];
	size_t nports;
	struct nl_sock queue[16];
	size_t nqueue;
};

static struct nl_sockwatch *fk_sw[2];

int nl_sockwatch_create(struct nl_sockwatch **out, int proto, const uint16_t *ports, size_t n)
{
	struct nl_sockwatch *w;

	if (fk.sockwatch_err)
		return fk.sockwatch_err;
	w = calloc(1, sizeof(*w));
	if (!w || pipe2(w->fd, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
	w->proto = proto;
	fk_sw[proto == IPPROTO_UDP] = w;
	*out = w;
	return nl_sockwatch_set_ports(w, ports, n);
}

int nl_sockwatch_set_ports(struct nl_sockwatch *w, const uint16_t *ports, size_t n)
{
	if (n > NL_SOCKWATCH_MAX_PORTS)
		return -E2BIG;
	memcpy(w->ports, ports, n * sizeof(ports[0]));
	w->nports = n;
	return 0;
}

void nl_sockwatch_destroy(struct nl_sockwatch *w)
{
	if (!w)
		return;
	fk_sw[w->proto == IPPROTO_UDP] = NULL;
	close(w->fd[0]);
	close(w->fd[1]);
	free(w);
}

int nl_sockwatch_fd(const struct nl_sockwatch *w)
{
	return w->fd[0];
}

int nl_sockwatch_read(struct nl_sockwatch *w, nl_sock_cb cb, void *data)
{
	struct nl_sock q[16];
	size_t n = w->nqueue;
	char buf[16];

	while (read(w->fd[0], buf, sizeof(buf)) > 0)
		;
	memcpy(q, w->queue, n * sizeof(q[0]));
	w->nqueue = 0;
	for (size_t i = 0; i < n; i++)
		cb(&q[i], data);
	return 0;
}

bool fk_sock_gone(int proto, const char *addr, uint16_t port)
{
	struct nl_sockwatch *w = fk_sw[proto == IPPROTO_UDP];
	struct nl_sock s = {.proto = proto, .port = port};
	struct nl_addr a;
	size_t i;

	if (!w || nl_addr_parse(addr, &a) < 0)
		return false;
	for (i = 0; i < w->nports && w->ports[i] != port; i++)
		;
	if (i == w->nports || w->nqueue == 16)
		return false; /* the kernel's filter drops it */
	s.family = a.family;
	memcpy(&s.local, &a.u, sizeof(s.local));
	w->queue[w->nqueue++] = s;
	return write(w->fd[1], "s", 1) == 1;
}

/* ------------------------------------------------------------------ the resolver */

struct hc {
	struct hc_params p;
	hc_done_cb cb;
	void *data;
	int fd[2]; /* readable while an answer waits */
	bool busy;
	uint64_t start_us;
};

static uint64_t fr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int hc_create(struct hc **out, const struct hc_params *p, hc_done_cb cb, void *data)
{
	struct hc *hc;

	if (fr.create_err)
		return fr.create_err;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	if (pipe2(hc->fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(hc);
		return -errno;
	}
	hc->p = *p;
	hc->cb = cb;
	hc->data = data;
	*out = hc;
	return 0;
}

void hc_destroy(struct hc *hc)
{
	if (!hc)
		return;
	close(hc->fd[0]);
	close(hc->fd[1]);
	free(hc);
}

int hc_start(struct hc *hc)
{
	if (hc->busy)
		return -EBUSY;
	hc->busy = true;
	hc->start_us = fr_now_us();
	fr.probes++;
	/* a hung resolver never answers: the caller's deadline ends the probe */
	if (fr.mode != FR_HUNG && write(hc->fd[1], "a", 1) != 1)
		return -EIO;
	return 0;
}

int hc_fd(const struct hc *hc)
{
	return hc->fd[0];
}

bool hc_busy(const struct hc *hc)
{
	return hc->busy;
}

static void hc_finish(struct hc *hc, enum hc_status status, int rcode, const char *why)
{
	struct hc_result r = {.status = status, .rcode = rcode};
	char c;

	while (read(hc->fd[0], &c, 1) == 1)
		;
	r.rtt_us = fr_now_us() - hc->start_us;
	snprintf(r.why, sizeof(r.why), "%s", why);
	hc->busy = false;
	hc->cb(&r, hc->data);
}

int hc_process(struct hc *hc)
{
	char c;

	if (!hc->busy || read(hc->fd[0], &c, 1) != 1)
		return 0;
	if (fr.mode == FR_OK && !(fr.deep_fail && !strncmp(hc->p.qname, "deep.", 5)))
		hc_finish(hc, HC_OK, 0, "rcode NOERROR");
	else
		hc_finish(hc, HC_RCODE, 2, "rcode SERVFAIL");
	return 0;
}

void hc_expire(struct hc *hc)
{
	if (hc->busy)
		hc_finish(hc, HC_TIMEOUT, -1, "timeout");
}
