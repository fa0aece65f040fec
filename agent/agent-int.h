/* SPDX-License-Identifier: MIT */
/* The daemon's insides: agent/agent.c (events, reconcile, reload, stop), agent/service.c
 * (probes and verdicts) and the unit tests that drive them over a fake kernel. */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/act.h"
#include "agent/agent.h"
#include "agent/config.h"
#include "agent/frr.h"
#include "agent/loop.h"
#include "agent/state.h"
#include "health/hc.h"
#include "netlink/nl.h"

struct svc;

/* What a service's probes did since the agent started, for the metrics file (metrics.c).
 * In struct svc, so a reload keeps the counts. */
enum svc_result { SVC_R_OK, SVC_R_TIMEOUT, SVC_R_REFUSED, SVC_R_RCODE, SVC_R_ERROR, SVC_NRESULTS };
#define SVC_NBUCKETS 14 /* probe duration buckets, +Inf not counted */

struct svc_stats {
	uint64_t results[SVC_NRESULTS];
	uint64_t buckets[SVC_NBUCKETS + 1]; /* probes per bucket, not cumulative; last: +Inf */
	uint64_t sum_us;
};

/* The service's verdict changed (r: the probe that decided it). */
/* The verdict changed (r: the probe that changed it), or, with r NULL, a damping suppression
 * ended: what the service deserves changed either way. */
typedef void (*svc_change_cb)(struct svc *s, const struct hc_result *r, void *data);
/* Looks whether clients' port 53 on each address of s is listened on (UDP and TCP) and
 * holds back the addresses where it is not; false when one is held back. */
typedef bool (*svc_listens_cb)(struct svc *s, void *data);

struct svc {
	const struct cfg_service *cfg; /* re-pointed on reload */
	struct loop *loop;
	svc_change_cb cb;
	svc_listens_cb listens;
	void *data;
	/* [0] the probe every interval; [1] the confirming one, in parallel (see service.c) */
	struct svc_probe {
		struct hc *hc; /* [1]: made when first needed */
		struct loop_watch *fd_watch, *timer;
		uint64_t start_us;
		bool silence_check; /* [0]: the timer is at start + retry_ms, not the deadline */
	} probe[2];
	struct hc_fsm fsm;
	/* The deep probe (deep_query), every deep_interval_ms, with a rise/fall of its own
	 * that starts up: hc NULL without one. */
	struct svc_deep {
		struct hc *hc;
		struct loop_watch *fd_watch, *timer;
		uint64_t start_us;
		struct hc_fsm fsm;
		struct hc_result last;
	} deep;
	bool healthy;	   /* the verdict: the probe up, and the deep probe (if any) up */
	bool deep_decided; /* the last change of verdict came from the deep probe */
	struct hc_damp damp;
	struct loop_watch *damp_timer; /* at the end of a suppression */
	bool lost; /* the kernel destroyed the resolver's listener; no probe answered since */
	bool deaf; /* an address of it is held back: nothing listens there */
	bool may_standby; /* the agent has a standby interface (set by the agent) */
	/* Its last failure came from a resolver that still runs (a timeout or a wrong rcode,
	 * something listening): while out, its addresses belong on the standby interface.
	 * Cleared when the resolver is found gone, and by svc_reset(). */
	bool standby;
	uint64_t since_us;  /* of the last transition, or of the start */
	int64_t since_real; /* the same, CLOCK_REALTIME seconds, for the state file */
	unsigned transitions;
	struct hc_result last;
	bool probed;   /* last is valid */
	int quiet_why; /* the failure kind "not up yet" last logged, -1 none */
	struct svc_stats stats;
};

/* What a service is doing, as operators see it (state file, metrics, --status). */
enum svc_state {
	SVC_STARTING,	 /* no verdict yet since the start */
	SVC_UP,		 /* healthy and announced (or about to be) */
	SVC_DOWN,	 /* failed: its addresses are withdrawn */
	SVC_STANDBY,	 /* failed while its resolver still runs: on the standby interface */
	SVC_MAINTENANCE, /* the maintenance file exists, or the agent is stopping */
	SVC_DAMPED,	 /* flapping: held out whatever its probes say */
	SVC_NSTATES
};

/* "starting", "up", "down", "standby", "maintenance", "damped". */
const char *svc_state_name(enum svc_state st);

/* service.c */
int svc_create(struct svc **out, struct loop *loop, const struct cfg_service *c, svc_change_cb cb,
	       svc_listens_cb listens, void *data);
void svc_destroy(struct svc *s);
/* A probe object for c's parameters, for a reload to swap in with svc_commit(). */
int svc_new_probe(struct svc *s, const struct cfg_service *c, struct hc **out);
/* Points s at c (same name, after a reload), with probe when the probe changed. */
void svc_commit(struct svc *s, const struct cfg_service *c, struct hc *probe);
/* Probes at once, unless a probe is in flight. */
void svc_kick(struct svc *s);
/* The kernel destroyed a socket the resolver listened with: probe at once (in parallel to
 * one in flight), and go down on the first failure. */
void svc_listener_lost(struct svc *s);
/* r's reason, or what the kernel's socket table says of it (a TCP probe refused). */
const char *svc_explain(const struct cfg_service *c, const struct hc_result *r, char *buf,
			size_t len);
const char *svc_why(const struct svc *s, const struct hc_result *r, char *buf, size_t len);
/* The resolver c probes, as an address (host length) and a port. */
void svc_resolver(const struct cfg_service *c, struct nl_addr *addr, uint16_t *port);
/* Starts over as up (adopted addresses) or down (back from maintenance: `rise` probes). */
void svc_reset(struct svc *s, bool up);
/* service.c, for deep.c: arms one of s's timers (an error is logged); the verdict after
 * either probe's result (deep: it came from the deep probe). */
void svc_arm_at(struct loop_watch *t, struct svc *s, uint64_t at_us);
void svc_verdict(struct svc *s, const struct hc_result *r, bool deep);
/* deep.c: the deep probe's result, timer and fd callbacks; after a reload (s->cfg already
 * the new one, old the one before). */
void svc_deep_result(const struct hc_result *r, void *data);
void svc_deep_timer(void *data);
void svc_deep_readable(int fd, uint32_t events, void *data);
void svc_deep_commit(struct svc *s, const struct cfg_service *old);

/* Where each configured address is, as far as the agent knows (its own changes, the
 * kernel's events and dumps). Parallel to cfg->addrs. */
struct agent_addr {
	unsigned ifindex; /* 0: not on any link we handle */
	char ifname[IFNAMSIZ];
	/* The standby routes (nl_standby_add()) go through this link; 0: none. */
	unsigned sb;
	/* A move between the interface and the standby: the newer announcement is the
	 * address on await_if, which the kernel reports (IPv6: after its DAD work, and FRR
	 * hears no sooner); the older one stays until that report, or until await_us. */
	unsigned await_if;
	uint64_t await_us;
	bool conflict; /* the kernel holds it with another prefix length */
	bool deaf;     /* nothing listens on its port 53: not announced (listen.c) */
};

/* An address no longer configured (a reload dropped it) that is still where we put it. */
struct agent_orphan {
	struct nl_addr addr;
	unsigned ifindex;
	char ifname[IFNAMSIZ];
	bool standby; /* its standby announcement through ifindex, not the address */
};

#define AGENT_SW 2 /* socket reports: TCP, UDP */

struct agent {
	struct cfg *cfg;
	const char *path, *state_dir;
	struct loop *loop;
	struct nl *nl;
	struct act *act;
	struct loop_watch *nl_watch, *maint_timer, *retry_timer, *watchdog_timer, *state_timer;
	struct loop_watch *maint_watch;
	int maint_ifd, maint_wd;  /* inotify on the maintenance file's directory; -1: none */
	char maint_dir[PATH_MAX]; /* the directory maint_wd watches */
	struct nl_sockwatch *sw[AGENT_SW]; /* NULL where the kernel does not report */
	struct loop_watch *sw_watch[AGENT_SW];
	uint64_t watchdog_us; /* WatchdogSec=, 0 without */
	char status[256];     /* the last STATUS= sent to systemd */
	struct svc **svcs;    /* each allocated alone: probes and watches point at them */
	size_t nsvcs;
	struct agent_addr *addrs;
	struct agent_orphan *orphans;
	size_t norphans;
	struct nl_link link;	/* the interface; link.ifindex 0 while it is missing */
	struct nl_link standby; /* standby_interface; ifindex 0 while missing or unset */
	int lock_fd;
	int link_err; /* last interface error logged, so it is logged once */
	int standby_err;
	int addr_err; /* likewise for address changes */
	bool maintenance;
	bool stopping;	/* SIGTERM: everything goes, then the drains end, then the loop */
	bool resync;	/* re-read the interface's addresses before the next reconcile */
	bool relink;	/* re-read the interface itself */
	bool restandby; /* likewise the standby interface */
	bool dirty;	/* an event changed what we know: reconcile */
	bool planned;	/* the withdrawals of the next reconcile are planned: drain them */
	bool handover;
	int exit_code;
	int metrics_err;	     /* the metrics file's last logged write error, 0 none */
	char metrics_path[PATH_MAX]; /* the metrics file last written, "" none */
};

/* agent.c: reconcile, maintenance, the stop */
void agent_link_error(struct agent *a, int err);
int agent_link(struct agent *a);
int agent_standby_link(struct agent *a);
/* Reads what the kernel holds on the interface. */
int agent_read_addrs(struct agent *a);
/* An address (or its standby announcement, standby) on ifindex that the agent must remove
 * though no configured address is there any more: retried by every reconcile. -ENOMEM. */
int agent_orphan_add(struct agent *a, const struct nl_addr *addr, unsigned ifindex,
		     const char *ifname, bool standby);
/* Whether s's addresses belong on the standby interface now. */
bool agent_svc_standby(const struct agent *a, const struct svc *s);
/* nl_addr_dump() callback: a configured address found on the interface. */
void agent_dump_addr(const struct nl_addr *addr, void *data);
/* Where address i belongs now (an ifindex, 0: nowhere); *sb: the standby link, or 0. */
unsigned agent_want(const struct agent *a, size_t i, unsigned *sb);
/* publish.c: systemd's status line, the state file, the metrics file */
void agent_publish(struct agent *a);
enum svc_state agent_svc_state(const struct agent *a, const struct svc *s);
void agent_svc_change(struct svc *s, const struct hc_result *r, void *data);
/* kevents.c: the netlink event socket is readable */
void agent_nl_readable(int fd, uint32_t events, void *data);

/* maint.c: the maintenance file */
int agent_maint_start(struct agent *a);
void agent_maint_stop(struct agent *a);
/* Looks at the file now (and re-arms the timer): a change withdraws or starts over. */
void agent_maint_check(void *data);
void agent_retry_timer(void *data);
void agent_state_timer(void *data);
void agent_watchdog(void *data);
void agent_drained(void *data);
void agent_signal(int signo, void *data);
void agent_stop(struct agent *a, int signo);
/* listen.c: the kernel's reports of destroyed listeners (sock_diag) */
void agent_sw_start(struct agent *a);
void agent_sw_update(struct agent *a); /* after a reload: the services' ports */
void agent_sw_stop(struct agent *a);
/* Where clients send their queries, on every service address. */
#define AGENT_DNS_PORT 53
/* Which of addrs[0..n) something takes port 53 traffic for (seen[i]: AGENT_LISTEN_UDP |
 * AGENT_LISTEN_TCP), from the kernel's socket tables. 0 or -errno. */
#define AGENT_LISTEN_UDP 1
#define AGENT_LISTEN_TCP 2
int agent_listen_scan(const struct cfg_addr *addrs, size_t n, uint8_t *seen);
/* "udp, tcp", "tcp", "udp": what is missing; "" for nothing. */
const char *agent_listen_missing(uint8_t seen);
/* Holds back (or lets go) the addresses of s nothing listens on, logging each change and
 * marking the agent dirty; true when none is held back. Does not reconcile. */
bool agent_listens_refresh(struct agent *a, const struct svc *s);
/* check.c: what --check-once and --maintenance ask FRR: the configured families, by
 * now + budget_us. */
/* addrs: room for cfg->naddrs, filled with them for bgpd; NULL asks bgpd about none. */
struct frr_opts check_frr_opts(const struct cfg *cfg, uint64_t budget_us, struct nl_addr *addrs);
/* svc_listens_cb: agent_listens_refresh(), and a reconcile while the service is up. */
bool agent_svc_listens(struct svc *s, void *data);
/* metrics.c: the Prometheus text file (cfg->metrics_file) */
/* Counts one probe result of the service c (classifying a refused TCP connection). */
void svc_stats_feed(struct svc_stats *st, const struct cfg_service *c, const struct hc_result *r);
/* Writes every metric of a to f: 0, or -errno. */
int metrics_render(const struct agent *a, FILE *f);
/* Replaces the file atomically (mode 0644), removes the previous one when the path changed;
 * a failure is logged once, until a write works again. */
void metrics_write(struct agent *a);
/* reload.c */
void agent_reload(struct agent *a);
/* start.c: everything before the loop: the lock, netlink, the interface, adoption, the first
 * reconcile. 0, or an exit code (nothing on the host was changed). */
int agent_start(struct agent *a);
/* After the loop: withdraws (or hands over, or leaves) and writes the final state. Returns
 * the exit code. */
int agent_finish(struct agent *a);
/* Makes the kernel match the verdicts; returns the count of addresses the kernel confirmed
 * added or removed. */
int agent_reconcile(struct agent *a);

#endif
