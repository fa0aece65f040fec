/* SPDX-License-Identifier: MIT */
/* A fake kernel behind netlink/nl.h and a fake resolver behind health/hc.h, so that the
 * agent's reconcile, events, reload and stop run in a unit test: no root, no unbound, no
 * time but the loop's. One of each per process (test state, not agent state). */
#ifndef FAKE_H
#define FAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "health/hc.h"
#include "netlink/nl.h"

#define FK_MAX_LINKS 16
#define FK_MAX_ADDRS 256

struct fk_link {
	struct nl_link l;
	bool used;
};

struct fk_addr {
	unsigned ifindex;
	struct nl_addr a;
};

struct fake_kernel {
	struct fk_link links[FK_MAX_LINKS];
	unsigned next_index;
	struct fk_addr addrs[FK_MAX_ADDRS];
	size_t naddrs;
	struct nl_addr drains[FK_MAX_ADDRS];
	size_t ndrains;
	struct fk_addr standby[FK_MAX_ADDRS]; /* standby announcements: via ifindex */
	size_t nstandby;
	bool dummy_supported;
	/* what the agent asked for */
	unsigned dumps, adds, dels, drain_adds, drain_dels;
	/* errors to answer with, 0 for none */
	int dump_err, add_err, del_err, sockwatch_err;
	/* events queued for the agent's event socket */
	struct nl_event events[512];
	size_t nevents;
	bool overrun;	  /* the next nl_event_read() says ENOBUFS */
	bool hold_events; /* the kernel is slow to report: nothing is read until released */
	/* removals that left watch announced nowhere (a withdrawal, not a move) */
	struct nl_addr watch;
	unsigned watch_gaps;
	int evfd[2];
};

extern struct fake_kernel fk;

enum fake_resolver { FR_OK, FR_SERVFAIL, FR_HUNG };

struct fake_resolver_state {
	enum fake_resolver mode;
	unsigned probes;
	int create_err; /* hc_create() fails with it, 0 for none */
	bool deaf;	/* nl_listeners() reports nothing: no resolver listens on port 53 */
	int listen_err; /* nl_listeners() fails with it, 0 for none */
	bool deep_fail; /* names under deep. answer SERVFAIL, whatever the mode */
};

extern struct fake_resolver_state fr;

/* Resets both (closing the event pipe). */
void fake_reset(void);

/* The test's own changes to the fake kernel, each queued as an event as the kernel does. */
unsigned fk_link_add(const char *name, const char *kind, bool up);
void fk_link_del(unsigned ifindex);
void fk_link_rename(unsigned ifindex, const char *name);
unsigned fk_link_index(const char *name); /* 0 when absent */
int fk_addr_add(unsigned ifindex, const struct nl_addr *a);
int fk_addr_del(unsigned ifindex, const struct nl_addr *a);
bool fk_has(unsigned ifindex, const char *addr);
void fk_release_events(void);
/* addr has a standby announcement */
bool fk_standby(const char *addr);
bool fk_drained(const char *addr);
/* The kernel reports a socket of proto (IPPROTO_TCP/UDP) bound to addr:port destroyed;
 * false when no watch of the agent lets it through. */
bool fk_sock_gone(int proto, const char *addr, uint16_t port);

#endif
