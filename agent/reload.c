/* SPDX-License-Identifier: MIT */
/* SIGHUP: a new configuration, validated whole, swapped in with the smallest change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent/agent-int.h"
#include "agent/log.h"

/* Services keep their state and addresses that stay configured are not touched. Everything
 * that can fail is done before anything changes, so a failure keeps the running
 * configuration whole. */
static int agent_apply(struct agent *a, struct cfg *ncfg)
{
	struct svc **nsvcs = calloc(ncfg->nservices + 1, sizeof(*nsvcs));
	struct hc **probes = calloc(ncfg->nservices + 1, sizeof(*probes));
	bool *fresh = calloc(ncfg->nservices + 1, sizeof(*fresh));
	struct agent_addr *naddrs = calloc(ncfg->naddrs + 1, sizeof(*naddrs));
	size_t dropped = 0;
	struct agent_orphan *orphans;
	struct cfg *old = a->cfg;
	int ret = -ENOMEM;

	for (size_t i = 0; i < old->naddrs; i++)
		if (cfg_addr_find(ncfg, &old->addrs[i].addr) < 0)
			dropped += (a->addrs[i].ifindex != 0) + (a->addrs[i].sb != 0);
	orphans = realloc(a->orphans, (a->norphans + dropped + 1) * sizeof(*orphans));
	if (orphans)
		a->orphans = orphans;
	if (!nsvcs || !probes || !fresh || !naddrs || !orphans)
		goto fail;
	for (size_t i = 0; i < ncfg->nservices; i++) {
		const struct cfg_service *c = &ncfg->services[i];

		for (size_t k = 0; k < a->nsvcs; k++)
			if (!strcmp(a->svcs[k]->cfg->name, c->name))
				nsvcs[i] = a->svcs[k];
		if (!nsvcs[i]) {
			ret = svc_create(&nsvcs[i], a->loop, c, agent_svc_change, agent_svc_listens,
					 a);
			fresh[i] = true;
		} else if (!hc_params_equal(&nsvcs[i]->cfg->probe, &c->probe)) {
			ret = svc_new_probe(nsvcs[i], c, &probes[i]);
		} else {
			ret = 0;
		}
		if (ret < 0)
			goto fail;
	}

	/* Nothing fails from here on. Where each kept address is stays known; the dropped
	 * ones become orphans that the reconcile below withdraws, drained. */
	for (size_t i = 0; i < old->naddrs; i++) {
		ssize_t k = cfg_addr_find(ncfg, &old->addrs[i].addr);

		if (k < 0 && a->addrs[i].sb) {
			/* its standby announcement goes the same way, retried until it is gone */
			a->orphans[a->norphans] = (struct agent_orphan){
			    .addr = old->addrs[i].addr, .ifindex = a->addrs[i].sb, .standby = true};
			memcpy(a->orphans[a->norphans++].ifname, old->standby_interface, IFNAMSIZ);
		}
		if (k >= 0) {
			naddrs[k] = a->addrs[i];
		} else if (a->addrs[i].ifindex) {
			a->orphans[a->norphans] = (struct agent_orphan){
			    old->addrs[i].addr, a->addrs[i].ifindex, {0}, false};
			memcpy(a->orphans[a->norphans++].ifname, a->addrs[i].ifname, IFNAMSIZ);
		}
	}
	for (size_t k = 0; k < a->nsvcs; k++) {
		bool kept = false;

		for (size_t i = 0; i < ncfg->nservices; i++)
			kept |= nsvcs[i] == a->svcs[k];
		if (!kept)
			svc_destroy(a->svcs[k]);
	}
	for (size_t i = 0; i < ncfg->nservices; i++)
		if (!fresh[i])
			svc_commit(nsvcs[i], &ncfg->services[i], probes[i]);
	if (strcmp(old->interface, ncfg->interface)) {
		/* the addresses move: off the old link, onto the new one */
		a->link.ifindex = 0;
		a->link_err = 0;
	}
	if (strcmp(old->standby_interface, ncfg->standby_interface)) {
		a->standby.ifindex = 0;
		a->standby_err = 0;
	}
	for (size_t i = 0; i < ncfg->nservices; i++)
		nsvcs[i]->may_standby = ncfg->standby_interface[0] != '\0';
	free(a->svcs);
	free(a->addrs);
	a->svcs = nsvcs;
	a->nsvcs = ncfg->nservices;
	a->addrs = naddrs;
	a->cfg = ncfg;
	cfg_free(old);
	log_set_level(a->cfg->log_level);
	agent_sw_update(a);
	for (size_t i = 0; i < ncfg->nservices; i++)
		if (fresh[i])
			svc_kick(nsvcs[i]);
	free(probes);
	free(fresh);
	a->planned = true;
	/* an address added to a service that is up is announced only where something listens */
	for (size_t i = 0; i < ncfg->nservices; i++)
		if (nsvcs[i]->healthy)
			nsvcs[i]->deaf = !agent_listens_refresh(a, nsvcs[i]);
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
	free(naddrs);
	return ret;
}

void agent_reload(struct agent *a)
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
	for (size_t i = 0; i < errs->n; i++)
		log_msg(errs->msg[i].warning ? LOG_WARNING : LOG_ERR, "%s", errs->msg[i].text);
	if (ret < 0) {
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
