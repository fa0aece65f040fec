/* SPDX-License-Identifier: MIT */
/* act: the one place that adds and removes service addresses, and drains planned
 * withdrawals. Used by the daemon and by --withdraw-all alike. Returns what the kernel
 * answered: a removal that found nothing is not counted as a withdrawal. Logs nothing
 * above debug. */
#ifndef ACT_H
#define ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/loop.h"
#include "netlink/nl.h"

struct act;

/* Called from the loop once the last drain route is gone. */
typedef void (*act_drained_cb)(void *data);

int act_create(struct act **out, struct nl *nl, struct loop *loop, act_drained_cb cb, void *data);
void act_destroy(struct act *act);

/* Puts a on ifindex. 0 added, 1 it was there already, -EADDRINUSE when the kernel holds the
 * same address with another prefix length on ifindex (*other set to it: an IPv6 address is
 * one address whatever its length), or -errno. */
int act_add(struct act *act, unsigned ifindex, const struct nl_addr *a, struct nl_addr *other);
/* Takes a off ifindex. With drain_ms > 0 a drain route keeps the host answering for a that
 * long (a planned withdrawal). 0 removed, 1 it was not there (nor the link), or -errno. */
int act_del(struct act *act, unsigned ifindex, const struct nl_addr *a, unsigned drain_ms);
/* The standby announcement of a through ifindex: routes (nl_standby_add()), or with
 * address a itself on ifindex (as act_add()); its removal takes either (with a drain as
 * act_del()). 0, 1 (nothing to do) or -errno. */
int act_standby_add(struct act *act, unsigned ifindex, const struct nl_addr *a, bool address);
int act_standby_del(struct act *act, unsigned ifindex, const struct nl_addr *a, unsigned drain_ms);

/* Drain routes in place, for the state file. */
size_t act_drains(struct act *act, const struct nl_addr **list);
/* Ends every drain now (a stop told twice, an exit). Failures are logged by the caller from
 * the return: the count of routes that could not be removed. */
int act_drain_end(struct act *act);
/* Removes a drain route for a that an earlier run may have left (idempotent). */
int act_drain_clear(struct act *act, const struct nl_addr *a);

#endif
