/* SPDX-License-Identifier: MIT */
/* The one-shot commands: they read the host, the state file and FRR, change nothing but
 * what --withdraw-all is for, and never need the daemon's loop running. */
#ifndef ONESHOT_H
#define ONESHOT_H

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

/* --config-test's look at the host: warns (on out) about an interface that exists and is
 * not a dummy while create_interface = yes. Never fails the test. */
void oneshot_config_warnings(const struct cfg *cfg, const char *path, FILE *out);

#endif
