/* SPDX-License-Identifier: MIT */
/* frr: what FRR makes of our addresses, asked through vtysh (JSON output, json-c), for
 * --check-once. Read-only: only "show" commands are run. */
#ifndef FRR_H
#define FRR_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/config.h"

struct frr_view {
	/* originated[i * CFG_MAX_ADDRS + j]: service i's address j is in an AS-external LSA
	 * this router originates (ospfd for IPv4, ospf6d for IPv6) */
	bool *originated;
	int full4, full6;    /* Full OSPFv2 / OSPFv3 neighbours; -1 when not asked */
	bool asked4, asked6; /* the daemon answered */
	char error[192];     /* why FRR could not be asked, or "" */
};

/* Asks FRR about every configured address's family. 0 with v filled (v->error tells what
 * part could not be read), -ENOENT when vtysh is not installed, -ENOMEM. */
int frr_view_read(const struct cfg *cfg, struct frr_view *v);
void frr_view_free(struct frr_view *v);

/* Runs argv (a "show" command), waits at most timeout_ms, returns its stdout and stderr
 * in *out (NUL-terminated, at most max bytes). 0 when it exited 0, -ETIMEDOUT, -EIO
 * (non-zero exit: *out holds what it said), or another -errno. */
int frr_run(char *const argv[], unsigned timeout_ms, size_t max, char **out);

#endif
