/* SPDX-License-Identifier: MIT */
/* Unit tests of agent/loop.c: timers, fd watches, signals, and removal during a batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent/loop.h"

struct counter {
	struct loop *loop;
	int fired;
	int quit_after;
	struct loop_watch *victim; /* removed by this callback */
};

static void on_timer(void *data)
{
	struct counter *c = data;

	c->fired++;
	if (c->victim)
		loop_watch_remove(c->victim);
	if (c->fired >= c->quit_after)
		loop_quit(c->loop, 7);
}

static void test_timer_fires_once(void **state)
{
	struct loop *loop;
	struct loop_watch *t, *stop;
	struct counter c = {0}, s = {0};
	uint64_t start;

	(void)state;
	assert_int_equal(loop_create(&loop), 0);
	c.loop = s.loop = loop;
	c.quit_after = 100;
	s.quit_after = 1;
	assert_int_equal(loop_timer_add(loop, on_timer, &c, &t), 0);
	assert_int_equal(loop_timer_add(loop, on_timer, &s, &stop), 0);
	start = loop_now_us();
	assert_int_equal(loop_timer_arm(t, start + 10000), 0);
	assert_int_equal(loop_timer_arm(stop, start + 200000), 0);
	assert_int_equal(loop_run(loop), 7);
	assert_int_equal(c.fired, 1); /* one-shot */
	assert_true(loop_now_us() - start >= 200000);
	loop_watch_remove(t);
	loop_watch_remove(stop);
	loop_destroy(loop);
}

static void test_timer_in_the_past_and_disarm(void **state)
{
	struct loop *loop;
	struct loop_watch *past, *disarmed, *stop;
	struct counter p = {0}, d = {0}, s = {0};

	(void)state;
	assert_int_equal(loop_create(&loop), 0);
	p.loop = d.loop = s.loop = loop;
	p.quit_after = d.quit_after = 100;
	s.quit_after = 1;
	assert_int_equal(loop_timer_add(loop, on_timer, &p, &past), 0);
	assert_int_equal(loop_timer_add(loop, on_timer, &d, &disarmed), 0);
	assert_int_equal(loop_timer_add(loop, on_timer, &s, &stop), 0);
	assert_int_equal(loop_timer_arm(past, 1), 0); /* long past: fires at once */
	assert_int_equal(loop_timer_arm(disarmed, loop_now_us() + 20000), 0);
	assert_int_equal(loop_timer_arm(disarmed, 0), 0);
	assert_int_equal(loop_timer_arm(stop, loop_now_us() + 100000), 0);
	loop_run(loop);
	assert_int_equal(p.fired, 1);
	assert_int_equal(d.fired, 0);
	loop_destroy(loop);
}

static void on_ready_remove(int fd, uint32_t events, void *data)
{
	struct counter *c = data;
	char byte;

	(void)events;
	/* once: the byte is read (a removed watch's fd is -1: the read fails, the count not) */
	if (read(fd, &byte, 1) < 0)
		byte = 0;
	c->fired++;
	if (c->victim)
		loop_watch_remove(c->victim);
}

/* Two fd watches ready in the same batch: the first one's callback removes the other, whose
 * callback must then not run (its data may be gone). Fd watches, not timers: a removed
 * timer's closed fd makes its own read fail, which hid a missing check before. */
static void test_removed_fd_watch_in_same_batch_is_skipped(void **state)
{
	struct loop *loop;
	struct loop_watch *a, *b, *stop;
	struct counter ca = {0}, cb = {0}, s = {0};
	int pa[2], pb[2];

	(void)state;
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	assert_int_equal(write(pa[1], "x", 1), 1);
	assert_int_equal(write(pb[1], "x", 1), 1);
	assert_int_equal(loop_create(&loop), 0);
	ca.loop = cb.loop = s.loop = loop;
	s.quit_after = 1;
	/* both readable before the loop runs: one epoll batch reports both */
	assert_int_equal(loop_watch_add(loop, pa[0], EPOLLIN, on_ready_remove, &ca, &a), 0);
	assert_int_equal(loop_watch_add(loop, pb[0], EPOLLIN, on_ready_remove, &cb, &b), 0);
	assert_int_equal(loop_timer_add(loop, on_timer, &s, &stop), 0);
	ca.victim = b;
	cb.victim = a;
	assert_int_equal(loop_timer_arm(stop, loop_now_us() + 50000), 0);
	loop_run(loop);
	/* whichever ran first removed the other, which never ran */
	assert_int_equal(ca.fired + cb.fired, 1);
	loop_destroy(loop);
	for (int i = 0; i < 2; i++) {
		close(pa[i]);
		close(pb[i]);
	}
}

static void on_readable(int fd, uint32_t events, void *data)
{
	struct counter *c = data;
	char buf[16];

	assert_true(events & EPOLLIN);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	c->fired++;
	loop_quit(c->loop, 0);
}

static void test_fd_watch_and_repoint(void **state)
{
	struct loop *loop;
	struct loop_watch *w;
	struct counter c = {0};
	int p1[2], p2[2];

	(void)state;
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	assert_int_equal(loop_create(&loop), 0);
	c.loop = loop;
	assert_int_equal(loop_watch_add(loop, -1, EPOLLIN, on_readable, &c, &w), 0);
	assert_int_equal(loop_watch_set_fd(w, p1[0]), 0);
	assert_int_equal(write(p1[1], "x", 1), 1);
	loop_run(loop);
	assert_int_equal(c.fired, 1);
	/* The owner closes the fd and opens another that gets the same number. */
	close(p1[0]);
	assert_int_equal(dup2(p2[0], p1[0]), p1[0]);
	assert_int_equal(loop_watch_set_fd(w, p1[0]), 0);
	assert_int_equal(write(p2[1], "y", 1), 1);
	loop_run(loop);
	assert_int_equal(c.fired, 2);
	assert_int_equal(loop_watch_set_fd(w, -1), 0);
	loop_watch_remove(w);
	loop_destroy(loop);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
}

static void on_signal(int signo, void *data)
{
	struct counter *c = data;

	assert_int_equal(signo, SIGUSR1);
	c->fired++;
	loop_quit(c->loop, 3);
}

static void test_signal(void **state)
{
	struct loop *loop;
	struct counter c = {0};

	(void)state;
	assert_int_equal(loop_create(&loop), 0);
	c.loop = loop;
	assert_int_equal(loop_signal_add(loop, SIGUSR1, on_signal, &c), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	assert_int_equal(loop_run(loop), 3);
	assert_int_equal(c.fired, 1);
	loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_fires_once),
	    cmocka_unit_test(test_timer_in_the_past_and_disarm),
	    cmocka_unit_test(test_removed_fd_watch_in_same_batch_is_skipped),
	    cmocka_unit_test(test_fd_watch_and_repoint),
	    cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
