/* SPDX-License-Identifier: MIT */
/* agent: the running daemon. All its state lives in one struct agent. */
#ifndef AGENT_H
#define AGENT_H

#include <stdio.h>

#include "agent/config.h"

struct agent;

/* Takes ownership of cfg. path is re-read on SIGHUP; state_dir holds the lock and the
 * state file. */
int agent_create(struct agent **out, struct cfg *cfg, const char *path, const char *state_dir);
/* Sets up netlink, the interface and the probes, then runs until SIGTERM/SIGINT or a fatal
 * error. Returns the process exit code; the addresses have been decided about (withdrawn
 * when withdraw_on_exit = yes) before it returns. */
int agent_run(struct agent *a);
void agent_destroy(struct agent *a);

#endif
