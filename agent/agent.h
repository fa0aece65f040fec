/* SPDX-License-Identifier: MIT */
/* agent: the running daemon. All its state lives in one struct agent. */
#ifndef AGENT_H
#define AGENT_H

#include <stdio.h>

#include "agent/config.h"

struct agent;

/* Takes ownership of cfg. path is re-read on SIGHUP. */
int agent_create(struct agent **out, struct cfg *cfg, const char *path);
/* Sets up netlink, the interface and the probes, then runs until SIGTERM/SIGINT or a fatal
 * error. Returns the process exit code; the addresses have been decided about (withdrawn
 * when withdraw_on_exit = yes) before it returns. */
int agent_run(struct agent *a);
void agent_destroy(struct agent *a);

/* --check-once: probes every service once, reads the interface, prints one
 * monitoring-plugin line to out and returns 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN.
 * Changes nothing on the host. */
int agent_check_once(const struct cfg *cfg, FILE *out);
/* --withdraw-all: removes every configured address. 0, or -errno (logged). */
int agent_withdraw_all(const struct cfg *cfg);

#endif
