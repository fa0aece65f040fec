/* SPDX-License-Identifier: MIT */
/* state: the agent's snapshot, as a file under the state directory (/run/anycast-agent):
 * what it announced where, its services and drains. --withdraw-all reads it to remove what
 * a dead agent left, whatever the configuration says now; --check-once reads it to tell
 * whether an agent runs. The directory also holds the lock that keeps a second agent out
 * and the hand-over flag of a package upgrade. */
#ifndef STATE_H
#define STATE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/config.h"
#include "netlink/nl.h"

#define STATE_DEFAULT_DIR "/run/anycast-agent"
/* A hand-over flag older than this is stale: a stop withdraws as usual. */
#define STATE_HANDOVER_MAX_AGE_S 600

struct state_svc {
	char name[CFG_NAME_MAX];
	bool up;
	int64_t since; /* CLOCK_REALTIME seconds of the last transition, or of the start */
	unsigned transitions;
	bool probed;	 /* last and rtt_us are valid */
	uint64_t rtt_us; /* of the last probe */
	char last[96];	 /* "ok", or why the last probe failed */
	bool damped;	 /* flapping: kept withdrawn ("damped" line) */
	char state[16];	 /* svc_state_name(): "up", "standby", ... ("" from an older agent) */
	int64_t
	    damped_until; /* CLOCK_REALTIME seconds, as the penalty decays if it flaps no more */
};

struct state_addr {
	struct nl_addr addr;
	unsigned ifindex; /* where the agent put it */
	char ifname[IFNAMSIZ];
	bool standby; /* not the address: its standby announcement through ifindex */
};

struct state {
	long pid;	 /* of the agent that wrote it; 0 when --withdraw-all did */
	int64_t written; /* CLOCK_REALTIME seconds */
	char interface[IFNAMSIZ];
	unsigned ifindex; /* 0 while missing */
	bool maintenance;
	bool handover; /* the agent stopped and left its addresses to the next one */
	struct state_svc *svcs;
	size_t nsvcs;
	struct state_addr *placed;
	size_t nplaced;
	struct nl_addr *drains;
	size_t ndrains;
};

/* Writes dir/state atomically (a temporary file renamed), mode 0644. 0 or -errno. */
int state_write(const char *dir, const struct state *st);
/* Replaces path with what render writes (0 or -errno) through path.tmp, renamed into place,
 * mode 0644 whatever the umask: the state file and the metrics file. 0 or -errno. */
int state_replace(const char *path, int (*render)(FILE *f, const void *data), const void *data);
/* Reads dir/state into st (state_free() it). 0, -ENOENT, -EBADMSG (*line: the bad line),
 * -ENOMEM or -errno. */
int state_read(const char *dir, struct state *st, unsigned *line);
void state_free(struct state *st);

/* The agent's lock, dir/lock (dir is created when missing): 0 and *fd held for the life of
 * the process, -EBUSY when another process holds it (*holder: its pid), or -errno. */
int state_lock(const char *dir, int *fd, long *holder);
/* 1 when a process holds dir's lock (*pid: its pid), 0 when none does, or -errno. Takes no
 * lock itself, so it never keeps an agent from starting. */
int state_lock_holder(const char *dir, long *pid);

/* Is there a fresh hand-over flag (dir/handover, written by the package's postinst before
 * it restarts the service)? */
bool state_handover_pending(const char *dir);
void state_handover_clear(const char *dir);

#endif
