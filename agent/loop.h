/* SPDX-License-Identifier: MIT */
/* loop: one epoll loop for fds, timers (timerfd, CLOCK_MONOTONIC) and signals (signalfd).
 * A watch removed by an earlier callback of the same epoll batch is skipped, never used
 * after free. */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

struct loop;
struct loop_watch;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *data);
typedef void (*loop_timer_cb)(void *data);
typedef void (*loop_signal_cb)(int signo, void *data);

int loop_create(struct loop **out);
void loop_destroy(struct loop *loop);

/* Watches fd (not owned) for events (EPOLLIN...). fd may be -1: nothing is watched until
 * loop_watch_set_fd() points it at one. */
int loop_watch_add(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *data,
		   struct loop_watch **out);
/* Re-points a watch at another fd (or -1), e.g. after the fd's owner recreated it. */
int loop_watch_set_fd(struct loop_watch *w, int fd);
/* Safe from any callback, including the watch's own. loop_destroy() removes the rest. */
void loop_watch_remove(struct loop_watch *w);

/* A one-shot timer, disarmed until loop_timer_arm(). */
int loop_timer_add(struct loop *loop, loop_timer_cb cb, void *data, struct loop_watch **out);
/* Fires once at the absolute CLOCK_MONOTONIC time at_us (now if it is past); 0 disarms. */
int loop_timer_arm(struct loop_watch *t, uint64_t at_us);

/* Blocks signo and delivers it through the loop. At most 8 signals. */
int loop_signal_add(struct loop *loop, int signo, loop_signal_cb cb, void *data);

/* Runs until loop_quit() (returns at once when it was called before); returns its code, or
 * -errno when epoll itself fails. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop, int code);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t loop_now_us(void);

#endif
