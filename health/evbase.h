/* SPDX-License-Identifier: MIT */
/* health, internal: libunbound's pluggable event base (unbound-event.h) on an epoll fd of
 * our own. libunbound then runs its sockets and timers in the agent's thread: no worker
 * thread, no pipes, and the caller sees one fd that stays the same for the probe's life
 * (an epoll fd is pollable, so it nests in the agent's loop). */
#ifndef HC_EVBASE_H
#define HC_EVBASE_H

struct ub_event_base;
struct hc_eb;

int hc_eb_create(struct hc_eb **out);
/* Every event must be gone first: delete the libunbound context before. */
void hc_eb_destroy(struct hc_eb *b);
/* What ub_ctx_create_ub_event() takes. */
struct ub_event_base *hc_eb_base(struct hc_eb *b);
/* Readable when something is ready to dispatch. */
int hc_eb_fd(const struct hc_eb *b);
/* Runs the callbacks of what is ready (sockets, timeouts) without blocking. 0 or -errno. */
int hc_eb_dispatch(struct hc_eb *b);
/* Tells epoll and the timer what libunbound changed outside a dispatch (a query started,
 * a context deleted). */
void hc_eb_flush(struct hc_eb *b);
/* Makes the fd readable at once: a result produced outside dispatch waits to be delivered. */
void hc_eb_wake(struct hc_eb *b);

#endif
