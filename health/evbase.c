/* SPDX-License-Identifier: MIT */
/* health: libunbound's event base on a private epoll fd plus one timerfd, with libevent's
 * semantics as libunbound expects them (level-triggered; an event without UB_EV_PERSIST is
 * removed when it fires; a persistent one's timeout starts again each time it fires). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unbound-event.h>
#include <unistd.h>

#include "health/evbase.h"

#define HC_EB_BATCH 16

struct hc_ev {
	struct ub_event ue; /* first: libunbound hands this pointer back to the vmt */
	struct hc_eb *b;
	int fd;
	short bits;
	void (*cb)(int, short, void *);
	void *arg;
	bool added;   /* pending: watched, timed, or both */
	uint32_t reg; /* what epoll has for reg_fd (0: nothing); hc_eb_flush() catches up */
	int reg_fd;
	bool dead;	/* freed during a dispatch: unlinked after it */
	uint64_t tv_us; /* the timeout it was added with (UINT64_MAX: none) */
	uint64_t due_us;
	struct hc_ev *next;
};

struct hc_eb {
	struct ub_event_base ueb; /* first, as above */
	int epfd, tfd;
	bool dispatching;
	bool woken;
	uint64_t armed_us; /* what tfd is set to, 0: disarmed */
	struct hc_ev *evs;
};

static uint64_t hc_eb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t hc_tv_us(const struct timeval *tv)
{
	if (!tv)
		return UINT64_MAX;
	return (uint64_t)tv->tv_sec * 1000000 + (uint64_t)tv->tv_usec;
}

static uint32_t hc_ev_want(const struct hc_ev *e)
{
	uint32_t want = 0;

	if (!e->added || e->dead || e->fd < 0)
		return 0;
	if (e->bits & UB_EV_READ)
		want |= EPOLLIN;
	if (e->bits & UB_EV_WRITE)
		want |= EPOLLOUT;
	return want;
}

static void hc_ev_unregister(struct hc_ev *e)
{
	if (!e->reg)
		return;
	/* Fails only when the fd was closed first, which removed it anyway. */
	epoll_ctl(e->b->epfd, EPOLL_CTL_DEL, e->reg_fd, NULL);
	e->reg = 0;
}

/* libunbound turns an event off and on again around every change (libevent's way); epoll
 * and the timerfd hear only of the result, once per dispatch or start. Removals first, so
 * that an fd number closed and reused meanwhile is added afresh. */
void hc_eb_flush(struct hc_eb *b)
{
	struct epoll_event ee;
	struct itimerspec its = {0};
	uint64_t at = 0;
	struct hc_ev *e;
	uint32_t want;

	for (e = b->evs; e; e = e->next)
		if (e->reg && (e->reg_fd != e->fd || !hc_ev_want(e)))
			hc_ev_unregister(e);
	for (e = b->evs; e; e = e->next) {
		want = hc_ev_want(e);
		if (want && want != e->reg) {
			ee = (struct epoll_event){.events = want, .data.ptr = e};
			if (epoll_ctl(b->epfd, e->reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e->fd,
				      &ee) == 0) {
				e->reg = want;
				e->reg_fd = e->fd;
			}
		}
		if (!e->dead && e->added && e->tv_us != UINT64_MAX && (!at || e->due_us < at))
			at = e->due_us;
	}
	if (b->woken)
		at = 1;
	if (at == b->armed_us)
		return;
	b->armed_us = at;
	if (at) {
		its.it_value.tv_sec = (time_t)(at / 1000000);
		its.it_value.tv_nsec = (long)(at % 1000000) * 1000;
	}
	timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void hc_ev_add_bits(struct ub_event *ue, short bits)
{
	((struct hc_ev *)ue)->bits |= bits;
}

static void hc_ev_del_bits(struct ub_event *ue, short bits)
{
	((struct hc_ev *)ue)->bits &= (short)~bits;
}

/* A new socket, though maybe under the old number (libunbound closed that first, which took
 * it out of epoll): whatever epoll had for this event is stale. */
static void hc_ev_set_fd(struct ub_event *ue, int fd)
{
	struct hc_ev *e = (struct hc_ev *)ue;

	hc_ev_unregister(e);
	e->fd = fd;
}

static void hc_ev_free(struct ub_event *ue)
{
	struct hc_ev *e = (struct hc_ev *)ue;
	struct hc_eb *b = e->b;
	struct hc_ev **pp;

	/* At once: libunbound closes the fd next, and the number may come back. */
	hc_ev_unregister(e);
	e->added = false;
	if (b->dispatching) {
		e->dead = true; /* the batch may still hold it */
		return;
	}
	for (pp = &b->evs; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	free(e);
}

static int hc_ev_add(struct ub_event *ue, struct timeval *tv)
{
	struct hc_ev *e = (struct hc_ev *)ue;

	e->tv_us = hc_tv_us(tv);
	if (e->tv_us != UINT64_MAX)
		e->due_us = hc_eb_now_us() + e->tv_us;
	e->added = true;
	return 0;
}

static int hc_ev_del(struct ub_event *ue)
{
	((struct hc_ev *)ue)->added = false;
	return 0;
}

static int hc_ev_add_timer(struct ub_event *ue, struct ub_event_base *base,
			   void (*cb)(int, short, void *), void *arg, struct timeval *tv)
{
	struct hc_ev *e = (struct hc_ev *)ue;

	(void)base;
	e->cb = cb;
	e->arg = arg;
	e->bits = UB_EV_TIMEOUT;
	return hc_ev_add(ue, tv);
}

static int hc_ev_unsupported(struct ub_event *ue, struct timeval *tv)
{
	(void)ue;
	(void)tv;
	return -1;
}

static int hc_ev_del_unsupported(struct ub_event *ue)
{
	(void)ue;
	return -1;
}

static void hc_ev_wsa_unused(struct ub_event *ue)
{
	(void)ue;
}

static void hc_ev_wsa_block_unused(struct ub_event *ue, int bit)
{
	(void)ue;
	(void)bit;
}

static struct ub_event_vmt hc_ev_vmt = {
    .add_bits = hc_ev_add_bits,
    .del_bits = hc_ev_del_bits,
    .set_fd = hc_ev_set_fd,
    .free = hc_ev_free,
    .add = hc_ev_add,
    .del = hc_ev_del,
    .add_timer = hc_ev_add_timer,
    .del_timer = hc_ev_del,
    /* Signals are never asked of a libunbound context's base. */
    .add_signal = hc_ev_unsupported,
    .del_signal = hc_ev_del_unsupported,
    .winsock_unregister_wsaevent = hc_ev_wsa_unused,
    .winsock_tcp_wouldblock = hc_ev_wsa_block_unused,
};

static struct ub_event *hc_eb_new_event(struct ub_event_base *ueb, int fd, short bits,
					void (*cb)(int, short, void *), void *arg)
{
	struct hc_eb *b = (struct hc_eb *)ueb;
	struct hc_ev *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ue.magic = UB_EVENT_MAGIC;
	e->ue.vmt = &hc_ev_vmt;
	e->b = b;
	e->fd = fd;
	e->bits = bits;
	e->cb = cb;
	e->arg = arg;
	e->tv_us = UINT64_MAX;
	e->reg_fd = -1;
	e->next = b->evs;
	b->evs = e;
	return &e->ue;
}

static void hc_eb_free_unused(struct ub_event_base *ueb)
{
	(void)ueb;
}

static int hc_eb_dispatch_unused(struct ub_event_base *ueb)
{
	(void)ueb;
	return -1;
}

static int hc_eb_loopexit(struct ub_event_base *ueb, struct timeval *tv)
{
	(void)ueb;
	(void)tv;
	return 0;
}

static struct ub_event *hc_eb_new_signal_unused(struct ub_event_base *ueb, int fd,
						void (*cb)(int, short, void *), void *arg)
{
	(void)ueb;
	(void)fd;
	(void)cb;
	(void)arg;
	return NULL;
}

static struct ub_event *hc_eb_wsa_unused(struct ub_event_base *ueb, void *wsaevent,
					 void (*cb)(int, short, void *), void *arg)
{
	(void)ueb;
	(void)wsaevent;
	(void)cb;
	(void)arg;
	return NULL;
}

static struct ub_event_base_vmt hc_eb_vmt = {
    .free = hc_eb_free_unused,
    .dispatch = hc_eb_dispatch_unused,
    .loopexit = hc_eb_loopexit,
    .new_event = hc_eb_new_event,
    .new_signal = hc_eb_new_signal_unused,
    .winsock_register_wsaevent = hc_eb_wsa_unused,
};

int hc_eb_create(struct hc_eb **out)
{
	struct epoll_event ee = {.events = EPOLLIN, .data.ptr = NULL};
	struct hc_eb *b;
	int ret;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ueb.magic = UB_EVENT_MAGIC;
	b->ueb.vmt = &hc_eb_vmt;
	b->tfd = -1;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0)
		goto fail;
	b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->tfd < 0 || epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->tfd, &ee) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	ret = -errno;
	if (b->tfd >= 0)
		close(b->tfd);
	if (b->epfd >= 0)
		close(b->epfd);
	free(b);
	return ret;
}

void hc_eb_destroy(struct hc_eb *b)
{
	struct hc_ev *e;

	if (!b)
		return;
	/* Events libunbound did not free (it frees all of a context's on ub_ctx_delete). */
	while ((e = b->evs)) {
		b->evs = e->next;
		free(e);
	}
	close(b->tfd);
	close(b->epfd);
	free(b);
}

struct ub_event_base *hc_eb_base(struct hc_eb *b)
{
	return &b->ueb;
}

int hc_eb_fd(const struct hc_eb *b)
{
	return b->epfd;
}

void hc_eb_wake(struct hc_eb *b)
{
	b->woken = true;
	hc_eb_flush(b);
}

static void hc_ev_fire(struct hc_ev *e, short what, uint64_t now)
{
	if (!(e->bits & UB_EV_PERSIST))
		e->added = false;
	else if (e->tv_us != UINT64_MAX)
		e->due_us = now + e->tv_us;
	e->cb(e->fd, what, e->arg);
}

int hc_eb_dispatch(struct hc_eb *b)
{
	struct epoll_event ready[HC_EB_BATCH];
	struct hc_ev *e, **pp;
	uint64_t expirations, now;
	short what;
	int n, i;

	n = epoll_wait(b->epfd, ready, HC_EB_BATCH, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	b->dispatching = true;
	now = hc_eb_now_us();
	for (i = 0; i < n; i++) {
		e = ready[i].data.ptr;
		if (!e) {
			/* Timeouts are looked at below, whatever woke us. */
			if (read(b->tfd, &expirations, sizeof(expirations)) < 0)
				expirations = 0;
			b->armed_us = 0;
			b->woken = false;
			continue;
		}
		if (e->dead || !e->added)
			continue;
		what = 0;
		if (ready[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			what |= e->bits & UB_EV_READ;
		if (ready[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			what |= e->bits & UB_EV_WRITE;
		if (what)
			hc_ev_fire(e, what, now);
	}
	/* One due event at a time: a callback may add, delete or free any other. */
	for (;;) {
		now = hc_eb_now_us();
		for (e = b->evs; e; e = e->next)
			if (!e->dead && e->added && e->tv_us != UINT64_MAX && e->due_us <= now)
				break;
		if (!e)
			break;
		hc_ev_fire(e, UB_EV_TIMEOUT, now);
	}
	b->dispatching = false;
	for (pp = &b->evs; *pp;) {
		e = *pp;
		if (e->dead) {
			*pp = e->next;
			free(e);
		} else {
			pp = &e->next;
		}
	}
	hc_eb_flush(b);
	return 0;
}
