/* SPDX-License-Identifier: MIT */
/* The running agent: the interface, its addresses, netlink events, maintenance, reload.
 * Only configured addresses are ever touched, and only to match what the probes decided. */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent/agent-int.h"
#include "agent/log.h"

#define AGENT_RETRY_US (1000u * 1000u)

static void agent_retry(struct agent *a)
{
	loop_timer_arm(a->retry_timer, loop_now_us() + AGENT_RETRY_US);
}

static void agent_clear_installed(struct agent *a)
{
	for (size_t i = 0; i < a->nsvcs; i++)
		memset(a->svcs[i]->installed, 0, sizeof(a->svcs[i]->installed));
}

/* Logs an interface problem once, until it changes or goes away. */
static void agent_link_error(struct agent *a, int err)
{
	const char *ifname = a->cfg->interface;

	if (err == a->link_err)
		return;
	a->link_err = err;
	switch (err) {
	case -EOPNOTSUPP:
		log_err("cannot create %s: this kernel has no dummy interface support "
			"(CONFIG_DUMMY, module 'dummy'): 'modprobe dummy', or create the interface "
			"yourself, or set 'interface' to an existing one; retrying",
			ifname);
		break;
	case -ENODEV:
		log_err("interface %s does not exist and create_interface = no: waiting for it",
			ifname);
		break;
	case -EPERM:
	case -EACCES:
		log_err("cannot configure %s: %s (the agent needs CAP_NET_ADMIN)", ifname,
			strerror(-err));
		break;
	default:
		log_err("interface %s: %s; retrying", ifname, strerror(-err));
	}
}

/* Finds (or creates) the interface and brings it up. */
static int agent_link(struct agent *a)
{
	const char *ifname = a->cfg->interface;
	unsigned idx;
	bool up;
	int ret;

	ret = nl_link_get(a->nl, ifname, &idx, &up);
	if (ret == -ENODEV && a->cfg->create_interface) {
		ret = nl_link_create_dummy(a->nl, ifname);
		if (ret == 0)
			log_info("created dummy interface %s", ifname);
		if (ret == 0 || ret == -EEXIST)
			ret = nl_link_get(a->nl, ifname, &idx, &up);
	}
	if (ret < 0)
		goto fail;
	if (!up && a->cfg->create_interface) {
		ret = nl_link_set_up(a->nl, idx);
		if (ret < 0)
			goto fail;
	} else if (!up) {
		log_warn("interface %s is down: FRR will not announce its addresses", ifname);
	}
	if (idx != a->ifindex) {
		/* A new link carries none of the old one's addresses. */
		agent_clear_installed(a);
		a->ifindex = idx;
	}
	if (a->link_err)
		log_info("interface %s is usable again (index %u)", ifname, idx);
	a->link_err = 0;
	a->relink = false;
	return 0;
fail:
	a->ifindex = 0;
	agent_link_error(a, ret);
	return ret;
}

static void agent_dump_cb(const struct nl_addr *addr, void *data)
{
	struct agent *a = data;

	for (size_t i = 0; i < a->nsvcs; i++) {
		struct svc *s = a->svcs[i];

		for (size_t j = 0; j < s->cfg->naddrs; j++)
			if (nl_addr_equal(&s->cfg->addrs[j], addr))
				s->present[j] = true;
	}
}

static int agent_read_addrs(struct agent *a)
{
	for (size_t i = 0; i < a->nsvcs; i++)
		memset(a->svcs[i]->present, 0, sizeof(a->svcs[i]->present));
	return nl_addr_dump(a->nl, a->ifindex, agent_dump_cb, a);
}

static void agent_addr_error(struct agent *a, const char *what, const struct nl_addr *addr, int err)
{
	char buf[NL_ADDRSTRLEN];

	if (err == a->addr_err)
		return;
	a->addr_err = err;
	log_err("cannot %s %s on %s: %s; retrying", what, nl_addr_str(addr, buf, sizeof(buf)),
		a->cfg->interface, strerror(-err));
}

/* systemctl status shows this line; sent only when it changes. */
static void agent_status(struct agent *a)
{
	char status[sizeof(a->status)];
	size_t up = 0, on = 0, all = 0;

	for (size_t i = 0; i < a->nsvcs; i++) {
		up += a->svcs[i]->fsm.up;
		for (size_t j = 0; j < a->svcs[i]->cfg->naddrs; j++, all++)
			on += a->svcs[i]->installed[j];
	}
	snprintf(status, sizeof(status), "STATUS=%zu/%zu services up, %zu/%zu addresses on %s%s%s",
		 up, a->nsvcs, on, all, a->cfg->interface, a->maintenance ? ", maintenance" : "",
		 a->link_err ? ", interface problem" : "");
	if (!strcmp(status, a->status))
		return;
	memcpy(a->status, status, sizeof(status));
	sd_notify(0, status);
}

static void agent_watchdog(void *data)
{
	struct agent *a = data;

	/* Sent from the loop: a wedged loop stops it and systemd restarts the agent. */
	sd_notify(0, "WATCHDOG=1");
	loop_timer_arm(a->watchdog_timer, loop_now_us() + a->watchdog_us / 2);
}

/* Removes one address; a planned withdrawal first puts a drain route in place so the
 * host keeps answering what routers still send until they have moved. */
static int agent_withdraw_addr(struct agent *a, const struct nl_addr *addr, bool planned)
{
	int ret;

	if (planned && a->cfg->drain_ms) {
		if (a->ndrains == a->capdrains) {
			size_t cap = a->capdrains ? 2 * a->capdrains : 16;
			struct nl_addr *d = realloc(a->drains, cap * sizeof(*d));

			if (d) {
				a->drains = d;
				a->capdrains = cap;
			}
		}
		/* Without a drain route the withdrawal still happens, only less gently. */
		if (a->ndrains < a->capdrains && nl_drain_add(a->nl, addr) == 0) {
			a->drains[a->ndrains++] = *addr;
			loop_timer_arm(a->drain_timer,
				       loop_now_us() + (uint64_t)a->cfg->drain_ms * 1000u);
		}
	}
	ret = nl_addr_del(a->nl, a->ifindex, addr);
	if (ret < 0)
		agent_addr_error(a, "remove", addr, ret);
	return ret;
}

static void agent_drain_timer(void *data)
{
	struct agent *a = data;

	for (size_t i = 0; i < a->ndrains; i++) {
		char buf[NL_ADDRSTRLEN];
		int ret = nl_drain_del(a->nl, &a->drains[i]);

		if (ret < 0)
			log_err("cannot remove the drain route of %s: %s",
				nl_addr_str(&a->drains[i], buf, sizeof(buf)), strerror(-ret));
	}
	log_debug("drained %zu address%s", a->ndrains, a->ndrains == 1 ? "" : "es");
	a->ndrains = 0;
}

/* Makes the interface carry exactly the configured addresses of the services that are up.
 * Reads the kernel's state first, so it is also the repair after lost or foreign changes. */
int agent_reconcile(struct agent *a)
{
	char buf[NL_ADDRSTRLEN];
	int ret, failed = 0, changed = 0;
	bool planned = a->planned;

	a->resync = false;
	a->planned = false;
	if ((!a->ifindex || a->relink) && agent_link(a) < 0)
		goto retry;
	ret = agent_read_addrs(a);
	if (ret < 0) {
		agent_link_error(a, ret);
		goto retry;
	}
	for (size_t i = 0; i < a->nsvcs; i++) {
		struct svc *s = a->svcs[i];
		bool want = svc_wanted(s);

		for (size_t j = 0; j < s->cfg->naddrs; j++) {
			const struct nl_addr *addr = &s->cfg->addrs[j];

			if (want == s->present[j]) {
				s->installed[j] = want;
				continue;
			}
			nl_addr_str(addr, buf, sizeof(buf));
			if (want && s->installed[j])
				log_warn("%s: %s was removed from %s by someone else: restoring",
					 s->cfg->name, buf, a->cfg->interface);
			else if (!want && !s->installed[j])
				log_warn("%s: %s appeared on %s while not announced: removing",
					 s->cfg->name, buf, a->cfg->interface);
			if (want) {
				ret = nl_addr_add(a->nl, a->ifindex, addr);
				if (ret < 0)
					agent_addr_error(a, "add", addr, ret);
			} else {
				ret = agent_withdraw_addr(a, addr, planned);
			}
			if (ret < 0) {
				failed++;
				continue;
			}
			log_debug("%s: %s %s on %s", s->cfg->name, want ? "added" : "removed", buf,
				  a->cfg->interface);
			s->installed[j] = want;
			changed++;
		}
	}
	agent_status(a);
	if (failed)
		goto retry;
	if (a->addr_err)
		log_info("address changes on %s work again", a->cfg->interface);
	a->addr_err = 0;
	return changed;
retry:
	agent_status(a);
	agent_retry(a);
	return changed;
}

static void agent_retry_timer(void *data)
{
	agent_reconcile(data);
}

/* Is the event one that disagrees with what we want, or a change of our interface? */
static void agent_nl_event(const struct nl_event *ev, void *data)
{
	struct agent *a = data;

	switch (ev->type) {
	case NL_EV_NEWLINK:
		if (!strcmp(ev->ifname, a->cfg->interface)) {
			if (ev->ifindex != a->ifindex || (!ev->up && a->cfg->create_interface)) {
				a->relink = true;
				a->resync = true;
			}
		} else if (ev->ifindex == a->ifindex) {
			log_err("interface %s was renamed to %s", a->cfg->interface, ev->ifname);
			a->relink = a->resync = true;
		}
		break;
	case NL_EV_DELLINK:
		if (ev->ifindex && ev->ifindex == a->ifindex) {
			log_err("interface %s disappeared%s", a->cfg->interface,
				a->cfg->create_interface ? ": recreating it" : "");
			a->ifindex = 0;
			agent_clear_installed(a);
			a->resync = true;
		}
		break;
	case NL_EV_NEWADDR:
	case NL_EV_DELADDR:
		if (!a->ifindex || ev->ifindex != a->ifindex)
			break;
		for (size_t i = 0; i < a->nsvcs; i++) {
			struct svc *s = a->svcs[i];

			for (size_t j = 0; j < s->cfg->naddrs; j++)
				if (nl_addr_equal(&s->cfg->addrs[j], &ev->addr) &&
				    (ev->type == NL_EV_NEWADDR) != svc_wanted(s))
					a->resync = true;
		}
		break;
	}
}

static void agent_nl_readable(int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	int ret;

	(void)fd;
	(void)events;
	ret = nl_event_read(a->nl, agent_nl_event, a);
	if (ret < 0) {
		log_warn("netlink events were lost (%s): re-reading %s",
			 ret == -ENOBUFS ? "receive overrun" : strerror(-ret), a->cfg->interface);
		a->relink = a->resync = true;
	}
	if (a->resync)
		agent_reconcile(a);
}

static uint64_t agent_maint_period_us(const struct agent *a)
{
	unsigned ms = 1000;

	for (size_t i = 0; i < a->nsvcs; i++)
		if (a->svcs[i]->cfg->interval_ms < ms)
			ms = a->svcs[i]->cfg->interval_ms;
	return (uint64_t)ms * 1000u;
}

static void agent_maint_check(void *data)
{
	struct agent *a = data;
	const char *path = a->cfg->maintenance_file;
	struct stat st;
	bool on;

	loop_timer_arm(a->maint_timer, loop_now_us() + agent_maint_period_us(a));
	if (stat(path, &st) == 0)
		on = true;
	else if (errno == ENOENT || errno == ENOTDIR)
		on = false;
	else
		return; /* unknown: keep the state we have */
	if (on == a->maintenance)
		return;
	a->maintenance = on;
	if (on) {
		log_warn("maintenance: %s exists: withdrawing all addresses", path);
		a->planned = true;
	} else {
		log_info("maintenance: %s removed: announcing again after good probes", path);
		/* Back from maintenance only through `rise` good probes. */
		for (size_t i = 0; i < a->nsvcs; i++) {
			struct svc *s = a->svcs[i];

			hc_fsm_init(&s->fsm, s->cfg->rise, s->cfg->fall, false);
		}
	}
	agent_reconcile(a);
}

struct del_all {
	const struct cfg *cfg;
	bool *present; /* by service, then address: [i * CFG_MAX_ADDRS + j] */
};

static void agent_del_all_cb(const struct nl_addr *addr, void *data)
{
	struct del_all *d = data;

	for (size_t i = 0; i < d->cfg->nservices; i++)
		for (size_t j = 0; j < d->cfg->services[i].naddrs; j++)
			if (nl_addr_equal(&d->cfg->services[i].addrs[j], addr))
				d->present[i * CFG_MAX_ADDRS + j] = true;
}

/* Removes every configured address from ifindex (0: the interface is gone), draining
 * those present for cfg->drain_ms, and any drain route a crashed run left behind.
 * Blocks for the drain: it is for exiting. Returns the count of failures (logged). */
static int agent_del_all(struct nl *nl, unsigned ifindex, const struct cfg *cfg)
{
	struct del_all d = {cfg, calloc(cfg->nservices * CFG_MAX_ADDRS, sizeof(bool))};
	char buf[NL_ADDRSTRLEN];
	int failed = 0, ret;
	size_t drained = 0;

	if (!d.present)
		return log_err("out of memory"), 1;
	if (ifindex && cfg->drain_ms && nl_addr_dump(nl, ifindex, agent_del_all_cb, &d) == 0) {
		for (size_t i = 0; i < cfg->nservices * CFG_MAX_ADDRS; i++)
			if (d.present[i] &&
			    nl_drain_add(
				nl, &cfg->services[i / CFG_MAX_ADDRS].addrs[i % CFG_MAX_ADDRS]) ==
				0)
				drained++;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *c = &cfg->services[i];

		for (size_t j = 0; j < c->naddrs && ifindex; j++) {
			ret = nl_addr_del(nl, ifindex, &c->addrs[j]);
			if (ret < 0) {
				log_err("cannot remove %s from %s: %s",
					nl_addr_str(&c->addrs[j], buf, sizeof(buf)), cfg->interface,
					strerror(-ret));
				failed++;
			}
		}
	}
	if (drained) {
		struct timespec ts = {cfg->drain_ms / 1000, (long)(cfg->drain_ms % 1000) * 1000000};

		log_info("draining %zu address%s for %u ms", drained, drained == 1 ? "" : "es",
			 cfg->drain_ms);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *c = &cfg->services[i];

		for (size_t j = 0; j < c->naddrs; j++) {
			ret = nl_drain_del(nl, &c->addrs[j]);
			if (ret < 0) {
				log_err("cannot remove the drain route of %s: %s",
					nl_addr_str(&c->addrs[j], buf, sizeof(buf)),
					strerror(-ret));
				failed++;
			}
		}
	}
	free(d.present);
	return failed;
}

static bool agent_in_cfg(const struct cfg *cfg, const struct nl_addr *addr)
{
	return cfg_addr_owner(cfg, addr) != NULL;
}

/* Swaps in a new, valid configuration with the smallest change: services keep their state
 * and addresses that stay configured are not touched. Everything that can fail is done
 * before anything changes, so a failure keeps the running configuration whole. */
static int agent_apply(struct agent *a, struct cfg *ncfg)
{
	struct svc **nsvcs = calloc(ncfg->nservices, sizeof(*nsvcs));
	struct hc **probes = calloc(ncfg->nservices, sizeof(*probes));
	bool *fresh = calloc(ncfg->nservices, sizeof(*fresh));
	bool same_if = !strcmp(a->cfg->interface, ncfg->interface);
	struct cfg *old = a->cfg;
	int ret = -ENOMEM;

	if (!nsvcs || !probes || !fresh)
		goto fail;
	for (size_t i = 0; i < ncfg->nservices; i++) {
		const struct cfg_service *c = &ncfg->services[i];

		for (size_t k = 0; k < a->nsvcs; k++)
			if (!strcmp(a->svcs[k]->cfg->name, c->name))
				nsvcs[i] = a->svcs[k];
		if (!nsvcs[i]) {
			ret = svc_create(&nsvcs[i], a, c);
			fresh[i] = true;
		} else if (memcmp(&nsvcs[i]->cfg->probe, &c->probe, sizeof(c->probe))) {
			ret = svc_new_probe(nsvcs[i], c, &probes[i]);
		} else {
			ret = 0;
		}
		if (ret < 0)
			goto fail;
	}

	/* Nothing fails from here on. Addresses no longer configured, or on an interface no
	 * longer ours, were ours: take them away. */
	for (size_t k = 0; k < a->nsvcs; k++) {
		struct svc *s = a->svcs[k];

		for (size_t j = 0; j < s->cfg->naddrs; j++) {
			if (!s->installed[j] || (same_if && agent_in_cfg(ncfg, &s->cfg->addrs[j])))
				continue;
			agent_withdraw_addr(a, &s->cfg->addrs[j], true);
			s->installed[j] = false;
		}
	}
	for (size_t i = 0; i < ncfg->nservices; i++) {
		struct svc *s = nsvcs[i];
		const struct cfg_service *c = &ncfg->services[i];
		bool installed[CFG_MAX_ADDRS] = {false};

		for (size_t j = 0; j < c->naddrs && !fresh[i]; j++)
			for (size_t m = 0; m < s->cfg->naddrs; m++)
				if (nl_addr_equal(&c->addrs[j], &s->cfg->addrs[m]))
					installed[j] = s->installed[m];
		memcpy(s->installed, installed, sizeof(installed));
		s->cfg = c;
		s->fsm.rise = c->rise;
		s->fsm.fall = c->fall;
		if (probes[i])
			svc_set_probe(s, probes[i]);
		if (fresh[i])
			svc_kick(s);
	}
	for (size_t k = 0; k < a->nsvcs; k++) {
		bool kept = false;

		for (size_t i = 0; i < ncfg->nservices; i++)
			kept |= nsvcs[i] == a->svcs[k];
		if (!kept)
			svc_destroy(a->svcs[k]);
	}
	free(a->svcs);
	a->svcs = nsvcs;
	a->nsvcs = ncfg->nservices;
	a->cfg = ncfg;
	if (!same_if) {
		a->ifindex = 0;
		a->link_err = 0;
	}
	cfg_free(old);
	log_set_level(a->cfg->log_level);
	free(probes);
	free(fresh);
	agent_maint_check(a);
	agent_reconcile(a);
	return 0;
fail:
	for (size_t i = 0; i < ncfg->nservices && nsvcs && probes && fresh; i++) {
		if (fresh[i])
			svc_destroy(nsvcs[i]);
		hc_destroy(probes[i]);
	}
	free(nsvcs);
	free(probes);
	free(fresh);
	return ret;
}

static void agent_reload(struct agent *a)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	struct cfg *ncfg;
	int ret;

	if (!errs) {
		log_err("reload of %s failed: out of memory; keeping the running configuration",
			a->path);
		return;
	}
	ret = cfg_load(a->path, &ncfg, errs);
	if (ret < 0) {
		for (size_t i = 0; i < errs->n; i++)
			log_err("%s", errs->msg[i]);
		log_err("reload of %s failed: keeping the running configuration", a->path);
		goto out;
	}
	sd_notify(0, "RELOADING=1");
	ret = agent_apply(a, ncfg);
	sd_notify(0, "READY=1");
	if (ret < 0) {
		log_err("reload of %s failed: %s; keeping the running configuration", a->path,
			strerror(-ret));
		cfg_free(ncfg);
		goto out;
	}
	log_info("reloaded %s: %zu service%s", a->path, a->nsvcs, a->nsvcs == 1 ? "" : "s");
out:
	free(errs);
}

static void agent_signal(int signo, void *data)
{
	struct agent *a = data;

	if (signo == SIGHUP) {
		agent_reload(a);
		return;
	}
	log_info("%s: stopping", strsignal(signo));
	sd_notify(0, "STOPPING=1");
	loop_quit(a->loop, 0);
}

int agent_create(struct agent **out, struct cfg *cfg, const char *path)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->cfg = cfg;
	a->path = path;
	*out = a;
	return 0;
}

/* Everything that must exist before the loop runs; nothing on the host changes here. */
static int agent_setup(struct agent *a)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	int ret;

	signal(SIGPIPE, SIG_IGN);
	ret = loop_create(&a->loop);
	if (ret < 0)
		return log_err("cannot create the event loop: %s", strerror(-ret)), ret;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ret = loop_signal_add(a->loop, sigs[i], agent_signal, a);
		if (ret < 0)
			return log_err("cannot watch signals: %s", strerror(-ret)), ret;
	}
	ret = nl_create(&a->nl);
	if (ret < 0)
		return log_err("cannot open netlink: %s", strerror(-ret)), ret;
	ret = loop_watch_add(a->loop, nl_event_fd(a->nl), EPOLLIN, agent_nl_readable, a,
			     &a->nl_watch);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_maint_check, a, &a->maint_timer);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_retry_timer, a, &a->retry_timer);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_drain_timer, a, &a->drain_timer);
	if (ret == 0)
		ret = loop_timer_add(a->loop, agent_watchdog, a, &a->watchdog_timer);
	if (ret < 0)
		return log_err("cannot set up the event loop: %s", strerror(-ret)), ret;
	a->svcs = calloc(a->cfg->nservices, sizeof(*a->svcs));
	if (!a->svcs)
		return log_err("out of memory"), -ENOMEM;
	for (size_t i = 0; i < a->cfg->nservices; i++) {
		ret = svc_create(&a->svcs[i], a, &a->cfg->services[i]);
		if (ret < 0)
			return log_err("%s: cannot create the probe: %s", a->cfg->services[i].name,
				       strerror(-ret)),
			       ret;
		a->nsvcs++;
	}
	return 0;
}

/* A service whose addresses are already there is taken as up (a restart of the agent must
 * not flap the route); its probes confirm it or withdraw after `fall` failures. */
static void agent_adopt(struct agent *a)
{
	/* A drain route left by a run that died while draining. The kernel checks
	 * CAP_NET_ADMIN before anything else: EPERM here means no change can ever work. */
	for (size_t i = 0; i < a->nsvcs; i++) {
		for (size_t j = 0; j < a->svcs[i]->cfg->naddrs; j++) {
			int ret = nl_drain_del(a->nl, &a->svcs[i]->cfg->addrs[j]);

			if (ret == -EPERM || ret == -EACCES) {
				agent_link_error(a, ret);
				return;
			}
		}
	}
	if (agent_link(a) < 0 || agent_read_addrs(a) < 0)
		return;
	for (size_t i = 0; i < a->nsvcs; i++) {
		struct svc *s = a->svcs[i];
		size_t n = 0;

		for (size_t j = 0; j < s->cfg->naddrs; j++) {
			s->installed[j] = s->present[j];
			n += s->present[j];
		}
		if (!n)
			continue;
		hc_fsm_init(&s->fsm, s->cfg->rise, s->cfg->fall, true);
		log_info("%s: %zu of %zu addresses already on %s: announced until probes say "
			 "otherwise",
			 s->cfg->name, n, s->cfg->naddrs, a->cfg->interface);
	}
}

int agent_run(struct agent *a)
{
	int ret, code;

	ret = agent_setup(a);
	if (ret < 0)
		return 1;
	agent_adopt(a);
	if (a->link_err == -EPERM || a->link_err == -EACCES)
		return 1; /* nothing was changed, and nothing ever could be */
	log_info("started: %zu service%s on %s", a->nsvcs, a->nsvcs == 1 ? "" : "s",
		 a->cfg->interface);
	agent_maint_check(a);
	agent_reconcile(a);
	for (size_t i = 0; i < a->nsvcs; i++)
		svc_kick(a->svcs[i]);
	/* Ready once the interface carries what it should (the first full reconcile). */
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &a->watchdog_us) > 0 && a->watchdog_us)
		agent_watchdog(a);

	ret = loop_run(a->loop);
	code = 0;
	if (ret < 0) {
		log_err("event loop failed: %s", strerror(-ret));
		code = 1;
	}
	if (a->cfg->withdraw_on_exit) {
		if (!a->ifindex)
			agent_link(a);
		if (agent_del_all(a->nl, a->ifindex, a->cfg))
			code = 1;
		else
			log_info("withdrew all addresses from %s", a->cfg->interface);
		agent_drain_timer(a); /* drains of addresses a reload removed */
	} else {
		log_info("leaving the addresses on %s (withdraw_on_exit = no)", a->cfg->interface);
	}
	return code;
}

void agent_destroy(struct agent *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsvcs; i++)
		svc_destroy(a->svcs[i]);
	free(a->svcs);
	loop_watch_remove(a->nl_watch);
	loop_watch_remove(a->maint_timer);
	loop_watch_remove(a->retry_timer);
	loop_watch_remove(a->drain_timer);
	loop_watch_remove(a->watchdog_timer);
	free(a->drains);
	nl_destroy(a->nl);
	loop_destroy(a->loop);
	cfg_free(a->cfg);
	free(a);
}

int agent_withdraw_all(const struct cfg *cfg)
{
	struct nl *nl;
	unsigned idx;
	bool up;
	int ret;

	ret = nl_create(&nl);
	if (ret < 0) {
		log_err("cannot open netlink: %s", strerror(-ret));
		return ret;
	}
	ret = nl_link_get(nl, cfg->interface, &idx, &up);
	if (ret == -ENODEV) {
		log_info("interface %s does not exist: no address to withdraw", cfg->interface);
		idx = 0;
	} else if (ret < 0) {
		log_err("interface %s: %s", cfg->interface, strerror(-ret));
		goto out;
	}
	ret = agent_del_all(nl, idx, cfg) ? -EIO : 0;
out:
	nl_destroy(nl);
	return ret;
}
