/* SPDX-License-Identifier: MIT */
/* The agent's own state, shared by agent/agent.c (addresses, interface, events, reload)
 * and agent/service.c (probe scheduling). Not for other modules. */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/loop.h"
#include "health/hc.h"
#include "netlink/nl.h"

struct svc {
	struct agent *agent;
	const struct cfg_service *cfg; /* into agent->cfg, re-pointed on reload */
	struct hc *hc;
	struct loop_watch *fd_watch, *timer;
	struct hc_fsm fsm;
	uint64_t probe_start_us;
	struct hc_result last;
	bool probed; /* last is valid */
	/* installed[i]: cfg->addrs[i] is on the interface, put there or adopted by us */
	bool installed[CFG_MAX_ADDRS];
	bool present[CFG_MAX_ADDRS]; /* scratch for reconcile: seen in the latest dump */
};

struct agent {
	struct cfg *cfg;
	const char *path;
	struct loop *loop;
	struct nl *nl;
	struct loop_watch *nl_watch, *maint_timer, *retry_timer, *drain_timer, *watchdog_timer;
	uint64_t watchdog_us; /* WatchdogSec=, 0 without */
	char status[128];     /* the last STATUS= sent to systemd */
	struct svc **svcs;    /* each allocated alone: probes and watches point at them */
	size_t nsvcs;
	unsigned ifindex; /* 0 while the interface is missing */
	int link_err;	  /* last interface error logged, so it is logged once */
	int addr_err;	  /* likewise for address changes */
	bool maintenance;
	bool resync;  /* netlink showed something that disagrees with what we want */
	bool relink;  /* re-read the interface itself, not only its addresses */
	bool planned; /* the withdrawals of the next reconcile are planned: drain them */
	/* addresses withdrawn with a drain route still in place, until drain_timer */
	struct nl_addr *drains;
	size_t ndrains, capdrains;
	int exit_code;
};

/* service.c */
int svc_create(struct svc **out, struct agent *a, const struct cfg_service *c);
void svc_destroy(struct svc *s);
/* A probe object for s with c's parameters, for a reload to swap in with svc_set_probe(). */
int svc_new_probe(struct svc *s, const struct cfg_service *c, struct hc **out);
void svc_set_probe(struct svc *s, struct hc *hc);
/* Probes at once, unless a probe is in flight. */
void svc_kick(struct svc *s);
/* The addresses of this service should be on the interface. */
bool svc_wanted(const struct svc *s);

/* agent.c */
/* Returns how many addresses it added or removed. */
int agent_reconcile(struct agent *a);

#endif
