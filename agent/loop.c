/* SPDX-License-Identifier: MIT */
#include "agent/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_SIGNALS 8
#define LOOP_BATCH	 16

struct loop_watch {
	struct loop *loop;
	int fd;
	bool is_timer; /* the watch owns fd, a timerfd */
	bool dead;
	uint32_t events;
	loop_fd_cb fd_cb;
	loop_timer_cb timer_cb;
	void *data;
	struct loop_watch *prev, *next; /* every live watch, so destroy frees them all */
	struct loop_watch *next_dead;
};

struct loop {
	int epfd;
	bool quit; /* loop_quit() was called: loop_run() returns (at once, if not running) */
	int code;
	struct loop_watch *watches;
	struct loop_watch *graveyard; /* removed during a batch, freed after it */
	int sigfd;
	sigset_t sigmask;
	struct loop_watch *sigwatch;
	struct {
		int signo;
		loop_signal_cb cb;
		void *data;
	} sigs[LOOP_MAX_SIGNALS];
	int nsigs;
};

uint64_t loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int loop_create(struct loop **out)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int ret = -errno;

		free(loop);
		return ret;
	}
	*out = loop;
	return 0;
}

static void loop_bury(struct loop *loop)
{
	while (loop->graveyard) {
		struct loop_watch *w = loop->graveyard;

		loop->graveyard = w->next_dead;
		free(w);
	}
}

void loop_destroy(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->watches)
		loop_watch_remove(loop->watches);
	loop_bury(loop);
	if (loop->sigfd >= 0) {
		close(loop->sigfd);
		sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	}
	close(loop->epfd);
	free(loop);
}

static int loop_ctl(struct loop_watch *w, int op, int fd)
{
	struct epoll_event ev = {.events = w->events, .data.ptr = w};

	if (epoll_ctl(w->loop->epfd, op, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_watch_add(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data,
		   struct loop_watch **out)
{
	struct loop_watch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->fd = -1;
	w->events = events;
	w->fd_cb = cb;
	w->data = data;
	ret = loop_watch_set_fd(w, fd);
	if (ret < 0) {
		free(w);
		return ret;
	}
	w->next = loop->watches;
	if (w->next)
		w->next->prev = w;
	loop->watches = w;
	*out = w;
	return 0;
}

int loop_watch_set_fd(struct loop_watch *w, int fd)
{
	int ret;

	/* The same number may be a new file after its owner closed and reopened it: closing
	 * removed the old one from epoll, so MOD fails and it is added afresh. */
	if (fd >= 0 && fd == w->fd && loop_ctl(w, EPOLL_CTL_MOD, fd) == 0)
		return 0;
	if (w->fd >= 0 && w->fd != fd)
		loop_ctl(w, EPOLL_CTL_DEL, w->fd);
	w->fd = -1;
	if (fd < 0)
		return 0;
	ret = loop_ctl(w, EPOLL_CTL_ADD, fd);
	if (ret < 0)
		return ret;
	w->fd = fd;
	return 0;
}

void loop_watch_remove(struct loop_watch *w)
{
	if (!w || w->dead)
		return;
	if (w->fd >= 0)
		loop_ctl(w, EPOLL_CTL_DEL, w->fd);
	if (w->is_timer && w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->dead = true;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->loop->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next_dead = w->loop->graveyard;
	w->loop->graveyard = w;
}

static void loop_timer_ready(int fd, uint32_t events, void *data)
{
	struct loop_watch *w = data;
	uint64_t expirations;

	(void)events;
	/* EAGAIN: re-armed by an earlier callback of this batch after it fired. */
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	w->timer_cb(w->data);
}

int loop_timer_add(struct loop *loop, loop_timer_cb cb, void *data, struct loop_watch **out)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct loop_watch *w;
	int ret;

	if (fd < 0)
		return -errno;
	ret = loop_watch_add(loop, fd, EPOLLIN, loop_timer_ready, NULL, &w);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	w->is_timer = true;
	w->timer_cb = cb;
	w->data = data;
	/* loop_timer_ready gets the watch itself, which carries the user's data. */
	w->fd_cb = loop_timer_ready;
	*out = w;
	return 0;
}

int loop_timer_arm(struct loop_watch *t, uint64_t at_us)
{
	struct itimerspec its = {0};

	if (at_us) {
		its.it_value.tv_sec = (time_t)(at_us / 1000000u);
		its.it_value.tv_nsec = (long)(at_us % 1000000u) * 1000;
	}
	if (timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	return 0;
}

static void loop_signal_ready(int fd, uint32_t events, void *data)
{
	struct loop *loop = data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		for (int i = 0; i < loop->nsigs; i++)
			if (loop->sigs[i].signo == (int)si.ssi_signo)
				loop->sigs[i].cb((int)si.ssi_signo, loop->sigs[i].data);
	}
}

int loop_signal_add(struct loop *loop, int signo, loop_signal_cb cb, void *data)
{
	sigset_t one;
	int fd;

	if (loop->nsigs == LOOP_MAX_SIGNALS)
		return -ENOSPC;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -errno;
	sigaddset(&loop->sigmask, signo);
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0) {
		int ret =
		    loop_watch_add(loop, fd, EPOLLIN, loop_signal_ready, loop, &loop->sigwatch);

		if (ret < 0) {
			close(fd);
			return ret;
		}
		loop->sigfd = fd;
	}
	loop->sigs[loop->nsigs].signo = signo;
	loop->sigs[loop->nsigs].cb = cb;
	loop->sigs[loop->nsigs].data = data;
	loop->nsigs++;
	return 0;
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[LOOP_BATCH];

	while (!loop->quit) {
		int n = epoll_wait(loop->epfd, evs, LOOP_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->quit; i++) {
			struct loop_watch *w = evs[i].data.ptr;

			if (w->dead)
				continue;
			w->fd_cb(w->fd, evs[i].events, w->is_timer ? w : w->data);
		}
		loop_bury(loop);
	}
	/* the next loop_run() runs again */
	loop->quit = false;
	return loop->code;
}

void loop_quit(struct loop *loop, int code)
{
	loop->quit = true;
	loop->code = code;
}
