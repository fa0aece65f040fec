/* SPDX-License-Identifier: MIT */
/* The one-shot commands: they read the host, the state file and FRR, change nothing but
 * what --withdraw-all is for, and never need the daemon's loop running. */
#ifndef ONESHOT_H
#define ONESHOT_H

#include <stdbool.h>
#include <stdio.h>

#include "agent/config.h"

/* --check-once: probes every service once, reads the interface, the sockets, the agent's
 * state and FRR, prints one monitoring-plugin line to out and returns 0 OK, 1 WARNING,
 * 2 CRITICAL or 3 UNKNOWN. Changes nothing on the host. */
int oneshot_check(const struct cfg *cfg, const char *state_dir, FILE *out);

/* --withdraw-all: removes what the agent's state file says it announced, wherever it is,
 * and every configured address from the configured interface (cfg may be NULL when the
 * configuration cannot be read: the state file is enough), draining like a stop. Refuses
 * while an agent runs. Returns the exit code (logged). */
int oneshot_withdraw_all(const struct cfg *cfg, const char *state_dir);

/* --status: what the running agent's state file says (services, addresses and where they
 * are, drains, damping), read from state_dir; cfg (may be NULL) names the configured
 * addresses the state does not list. Returns 0 while an agent runs, 3 when none does. */
int oneshot_status(const struct cfg *cfg, const char *state_dir, FILE *out);

/* --maintenance on|off: creates (removes) cfg's maintenance file, then waits until the
 * running agent's state file (and FRR, with frr_check) says every address is withdrawn
 * and drained (announced again), at most timeout_s. Prints one line to out; returns 0,
 * or 1 with the reason (no agent runs, or what is still missing at the bound). */
int oneshot_maintenance(const struct cfg *cfg, const char *state_dir, bool on, unsigned timeout_s,
			FILE *out);

/* --config-test's look at the host: warns (on out) about an interface that exists and is
 * not a dummy while create_interface = yes. Never fails the test. */
void oneshot_config_warnings(const struct cfg *cfg, const char *path, FILE *out);

#endif
