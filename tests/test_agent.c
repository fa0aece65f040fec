/* SPDX-License-Identifier: MIT */
/* Unit tests of the daemon (agent/agent.c, start.c, reload.c, service.c, act.c, state.c) over
 * the fake kernel and resolver of tests/fake.c: the real loop, real timers (10 ms probes),
 * no root. Each test asserts what the kernel ends up holding and how it got there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/log.h"
#include "agent/oneshot.h"
#include "tests/fake.h"

#define A4 "10.53.0.53/32"
#define A6 "fd53::53/128"

struct env {
	char dir[64];
	char conf[96];
	struct agent *a;
	struct loop_watch *tick;
	bool (*pred)(struct env *e);
	uint64_t deadline_us;
	bool met;
	unsigned ifindex; /* of anycast0 when the test looks */
};

static const char *conf_text(struct env *e, const char *addrs, const char *extra)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "[agent]\ninterface = anycast0\nmaintenance_file = %s/maint\ndrain_ms = 40\n"
		 "%slog_level = error\n%s\n"
		 "[service r]\naddresses = %s\nquery = probe.test.\ninterval_ms = 10\n"
		 "timeout_ms = 10\nrise = 2\nfall = 2\nretry_ms = 0\ndamping_half_life_ms = 0\n",
		 e->dir, extra && strstr(extra, "frr_check") ? "" : "frr_check = no\n",
		 extra ? extra : "", addrs);
	return text;
}

static void write_conf(struct env *e, const char *addrs, const char *extra)
{
	FILE *f = fopen(e->conf, "w");

	assert_non_null(f);
	fputs(conf_text(e, addrs, extra), f);
	fclose(f);
}

static struct agent *new_agent(struct env *e)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	struct agent *a;
	struct cfg *cfg;

	assert_non_null(errs);
	assert_int_equal(cfg_load(e->conf, &cfg, errs), 0);
	free(errs);
	assert_int_equal(agent_create(&a, cfg, e->conf, e->dir), 0);
	return a;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/aa-test-agent-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->conf, sizeof(e->conf), "%s/agent.conf", e->dir);
	fake_reset();
	log_init(LOG_ERR);
	/* a test that never ends fails instead: the loop must always be told to stop */
	alarm(60);
	write_conf(e, A4 ", " A6, NULL);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	alarm(0);
	agent_destroy(e->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static void tick(void *data)
{
	struct env *e = data;

	if (e->pred(e)) {
		e->met = true;
		loop_quit(e->a->loop, 0);
	} else if (loop_now_us() >= e->deadline_us) {
		loop_quit(e->a->loop, 0);
	} else {
		loop_timer_arm(e->tick, loop_now_us() + 2000);
	}
}

/* Runs the agent's loop until pred holds (true) or timeout_ms passes (false). */
static bool run_until(struct env *e, bool (*pred)(struct env *e), unsigned timeout_ms)
{
	if (!e->tick)
		assert_int_equal(loop_timer_add(e->a->loop, tick, e, &e->tick), 0);
	e->pred = pred;
	e->met = false;
	e->deadline_us = loop_now_us() + timeout_ms * 1000ull;
	loop_timer_arm(e->tick, loop_now_us());
	loop_run(e->a->loop);
	loop_timer_arm(e->tick, 0);
	return e->met;
}

static bool on(struct env *e, const char *addr)
{
	unsigned idx = fk_link_index("anycast0");

	(void)e;
	return idx && fk_has(idx, addr);
}

static bool both_on(struct env *e)
{
	return on(e, A4) && on(e, A6);
}

static bool both_off(struct env *e)
{
	return !on(e, A4) && !on(e, A6);
}

static bool nothing_anywhere(struct env *e)
{
	(void)e;
	return fk.naddrs == 0 && fk.nstandby == 0;
}

static void start_up(struct env *e)
{
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_true(run_until(e, both_on, 2000));
	e->ifindex = fk_link_index("anycast0");
}

/* The interface is created, both addresses come after `rise` probes, and a dead resolver
 * takes them away without a single dump: what was put there is known. */
static void test_announce_then_withdraw_without_dump(void **state)
{
	struct env *e = *state;
	unsigned dumps;

	start_up(e);
	assert_string_equal(e->a->link.kind, "dummy");
	assert_true(e->a->link.up);
	dumps = fk.dumps;
	fk.dump_err = -EBUSY; /* any dump from now on fails, as after an abandoned one */
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_off, 2000));
	assert_int_equal(fk.dumps, dumps);
	assert_int_equal(fk.ndrains, 0); /* failures are not drained */
	fk.dump_err = 0;
	fr.mode = FR_OK;
	assert_true(run_until(e, both_on, 2000));
}

static bool gone_from_old(struct env *e)
{
	return !fk_has(e->ifindex, A4) && !fk_has(e->ifindex, A6);
}

static bool on_new_link(struct env *e)
{
	unsigned idx = fk_link_index("anycast0");

	return idx && idx != e->ifindex && fk_has(idx, A4) && fk_has(idx, A6);
}

/* A renamed interface is not ours any more: the addresses leave it (by index) and come
 * back on a new anycast0. */
static void test_renamed_interface(void **state)
{
	struct env *e = *state;

	start_up(e);
	fk_link_rename(e->ifindex, "renamed0");
	assert_true(run_until(e, gone_from_old, 2000));
	assert_true(run_until(e, on_new_link, 2000));
	assert_true(fk_link_index("renamed0") == e->ifindex);
}

/* Without a dummy driver nothing can replace it: withdrawn from renamed0 all the same, and
 * the stop withdraws nothing it did not hold. */
static void test_renamed_interface_no_dummy(void **state)
{
	struct env *e = *state;

	fk_link_add("anycast0", "ifb", false);
	fk.dummy_supported = false;
	start_up(e);
	fk_link_rename(e->ifindex, "renamed0");
	assert_true(run_until(e, nothing_anywhere, 2000));
	assert_int_equal(e->a->link.ifindex, 0);
	for (size_t i = 0; i < e->a->cfg->naddrs; i++)
		assert_int_equal(e->a->addrs[i].ifindex, 0);
}

static bool a4_back(struct env *e)
{
	return on(e, A4);
}

static bool a4_gone(struct env *e)
{
	return !on(e, A4);
}

/* Someone else's changes: a removal is undone while announced, an addition removed while
 * not announced. */
static void test_foreign_changes(void **state)
{
	struct env *e = *state;
	struct nl_addr a;

	start_up(e);
	assert_int_equal(nl_addr_parse(A4, &a), 0);
	assert_int_equal(fk_addr_del(e->ifindex, &a), 0);
	assert_true(run_until(e, a4_back, 1000));
	fr.mode = FR_HUNG;
	assert_true(run_until(e, both_off, 2000));
	assert_int_equal(fk_addr_add(e->ifindex, &a), 0);
	assert_true(run_until(e, a4_gone, 1000));
}

static bool a4_only(struct env *e)
{
	return on(e, A4) && !on(e, A6) && e->a->addrs[1].conflict;
}

/* fd53::53/64 held by the kernel: adding the /128 says EEXIST, which is a conflict, not an
 * announcement; once the /64 goes, the /128 comes. */
static void test_prefix_conflict(void **state)
{
	struct env *e = *state;
	unsigned idx = fk_link_add("anycast0", "dummy", true);
	struct nl_addr a;

	assert_int_equal(nl_addr_parse("fd53::53/64", &a), 0);
	assert_int_equal(fk_addr_add(idx, &a), 0);
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_true(run_until(e, a4_only, 2000));
	assert_non_null(strstr(e->a->status, "address conflict"));
	assert_non_null(strstr(e->a->status, "1/2 addresses"));
	assert_int_equal(fk_addr_del(idx, &a), 0);
	assert_true(run_until(e, both_on, 3000));
}

static bool reloaded(struct env *e)
{
	return on(e, A4) && on(e, "10.53.0.54/32") && !on(e, A6) && fk.ndrains == 0;
}

/* A reload changes only what changed: the kept address is never touched, the dropped one
 * is withdrawn drained, the new one announced after its service's probes (kept service:
 * at once). */
static void test_reload(void **state)
{
	struct env *e = *state;
	unsigned dels, adds;

	start_up(e);
	dels = fk.dels;
	adds = fk.adds;
	write_conf(e, A4 ", 10.53.0.54", NULL);
	agent_reload(e->a);
	assert_true(fk_drained(A6));
	assert_true(run_until(e, reloaded, 2000));
	assert_int_equal(fk.dels - dels, 1);
	assert_int_equal(fk.adds - adds, 1);
	/* a bad file changes nothing */
	write_conf(e, "bogus", NULL);
	agent_reload(e->a);
	assert_true(reloaded(e));
	assert_int_equal(fk.dels - dels, 1);
}

/* SIGTERM: the addresses go at once, drained; the loop ends when the drain does, and the
 * drain routes go with it. */
static void test_stop_drains(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	start_up(e);
	t0 = loop_now_us();
	agent_stop(e->a, SIGTERM);
	assert_true(both_off(e));
	assert_int_equal(fk.ndrains, 2);
	loop_run(e->a->loop);
	assert_true(loop_now_us() - t0 >= 40000); /* drain_ms = 40 from within the stop */
	assert_int_equal(fk.ndrains, 0);
	assert_int_equal(agent_finish(e->a), 0);
}

/* A planned withdrawal under way when SIGTERM comes is finished, not cut short. */
static void test_stop_during_drain(void **state)
{
	struct env *e = *state;
	char path[128];
	uint64_t t0;
	FILE *f;

	start_up(e);
	snprintf(path, sizeof(path), "%s/maint", e->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	t0 = loop_now_us();
	agent_maint_check(e->a);
	assert_true(both_off(e));
	assert_int_equal(fk.ndrains, 2);
	agent_stop(e->a, SIGTERM);
	assert_int_equal(fk.ndrains, 2);
	loop_run(e->a->loop);
	assert_true(loop_now_us() - t0 >= 40000); /* the maintenance drain ran its course */
	assert_int_equal(fk.ndrains, 0);
	assert_int_equal(agent_finish(e->a), 0);
}

/* The maintenance file is noticed through inotify, at once: with its directory watched the
 * agent looks by itself only once a second, so three changes each seen within 300 ms would
 * be a 1-in-37 chance without the watch. */
static void test_maintenance_noticed_at_once(void **state)
{
	struct env *e = *state;
	char path[128];
	FILE *f;

	start_up(e);
	snprintf(path, sizeof(path), "%s/maint", e->dir);
	for (int i = 0; i < 3; i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
		assert_true(run_until(e, both_off, 300));
		assert_int_equal(unlink(path), 0);
		/* rise 2 at interval 10 */
		assert_true(run_until(e, both_on, 300));
	}
}

/* Starts the agent, then stops it as for an upgrade (the handover flag): its addresses stay. */
static void start_then_hand_over(struct env *e, char *path, size_t len)
{
	FILE *f;

	start_up(e);
	snprintf(path, len, "%s/handover", e->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	agent_stop(e->a, SIGTERM);
	loop_run(e->a->loop);
	assert_int_equal(agent_finish(e->a), 0);
}

/* The package's upgrade: the flag makes the stopping agent leave its addresses, the next
 * one adopts them without a change and clears the flag. */
static void test_handover(void **state)
{
	struct env *e = *state;
	struct state st;
	unsigned line, dels, adds;
	char path[128];

	start_then_hand_over(e, path, sizeof(path));
	assert_true(both_on(e));
	assert_int_equal(state_read(e->dir, &st, &line), 0);
	assert_true(st.handover);
	assert_int_equal(st.nplaced, 2);
	state_free(&st);
	agent_destroy(e->a);
	e->a = NULL;
	e->tick = NULL;

	dels = fk.dels;
	adds = fk.adds;
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_true(e->a->svcs[0]->fsm.up);
	assert_int_equal(access(path, F_OK), -1);
	assert_false(run_until(e, a4_gone, 200));
	assert_int_equal(fk.dels, dels);
	assert_int_equal(fk.adds, adds);
}

/* A state file that lists an address the interface no longer holds (taken away while no
 * agent ran): the kernel's dump wins, and the new agent puts the address back. */
static void test_state_file_not_trusted_over_kernel(void **state)
{
	struct env *e = *state;
	struct nl_addr a;
	char path[128];

	start_then_hand_over(e, path, sizeof(path));
	agent_destroy(e->a);
	e->a = NULL;
	e->tick = NULL;
	assert_int_equal(nl_addr_parse(A6, &a), 0);
	assert_int_equal(fk_addr_del(e->ifindex, &a), 0);
	fk.nevents = 0;

	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_true(run_until(e, both_on, 2000));
}

/* --withdraw-all without the right to remove anything (EPERM) records nothing it did not
 * know: a configured address it could not remove may not be there at all, and the next
 * daemon must not take it for announced. */
static void test_withdraw_all_failure_records_nothing(void **state)
{
	struct env *e = *state;
	struct cfg_errors *errs = malloc(sizeof(*errs));
	struct state st;
	struct cfg *cfg;
	unsigned line;

	assert_non_null(errs);
	assert_int_equal(cfg_load(e->conf, &cfg, errs), 0);
	free(errs);
	fk_link_add("anycast0", "dummy", true);
	fk.del_err = -EPERM;
	assert_int_equal(oneshot_withdraw_all(cfg, e->dir), 1);
	if (state_read(e->dir, &st, &line) == 0) {
		assert_int_equal(st.nplaced, 0);
		state_free(&st);
	}
	cfg_free(cfg);
	fk.del_err = 0;
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_true(run_until(e, both_on, 2000));
}

/* A service with its own probe timing (the tests above probe every 10 ms). */
static void write_conf_timing(struct env *e, unsigned interval, unsigned timeout, unsigned retry,
			      unsigned fall)
{
	FILE *f = fopen(e->conf, "w");

	assert_non_null(f);
	fprintf(f,
		"[agent]\ninterface = anycast0\nmaintenance_file = %s/maint\ndrain_ms = 0\n"
		"frr_check = no\nlog_level = error\n\n"
		"[service r]\naddresses = " A4 ", " A6 "\nquery = probe.test.\ninterval_ms = %u\n"
		"timeout_ms = %u\nrise = 1\nfall = %u\nretry_ms = %u\ndamping_half_life_ms = 0\n",
		e->dir, interval, timeout, fall, retry);
	fclose(f);
}

static uint64_t hung_since_us;

static bool hung_probe_started(struct env *e)
{
	const struct svc_probe *p = &e->a->svcs[0]->probe[0];

	return hc_busy(p->hc) && p->start_us > hung_since_us;
}

/* A hung resolver: the probe still silent retry_ms after its start gets a confirming one in
 * parallel, so fall = 2 costs about one deadline from the first hung probe's start (410
 * ms), not two in a row (810). */
static void test_hang_confirmed_in_parallel(void **state)
{
	struct env *e = *state;
	uint64_t start;

	write_conf_timing(e, 400, 400, 10, 2);
	start_up(e);
	fr.mode = FR_HUNG;
	hung_since_us = loop_now_us();
	assert_true(run_until(e, hung_probe_started, 2000));
	start = e->a->svcs[0]->probe[0].start_us;
	assert_true(run_until(e, both_off, 3000));
	assert_in_range((loop_now_us() - start) / 1000, 400, 650);
}

/* A confirming probe that cannot start (no memory for its context) is no evidence against
 * the resolver: the hung main probe alone decides, two deadlines in a row (810 ms), not
 * one deadline with the failed start counted as a failure (400). */
static void test_confirm_that_cannot_start(void **state)
{
	struct env *e = *state;
	uint64_t start;

	write_conf_timing(e, 400, 400, 10, 2);
	start_up(e);
	fr.create_err = -ENOMEM;
	fr.mode = FR_HUNG;
	hung_since_us = loop_now_us();
	assert_true(run_until(e, hung_probe_started, 2000));
	start = e->a->svcs[0]->probe[0].start_us;
	assert_true(run_until(e, both_off, 3000));
	assert_in_range((loop_now_us() - start) / 1000, 780, 1500);
}

/* The kernel reports the resolver's listener destroyed: the next refused probe settles it
 * at once, without waiting for the interval (1 s) or for `fall` (3) failures 200 ms apart.
 * A socket the resolver's address does not depend on changes nothing. */
static void test_listener_lost(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	write_conf_timing(e, 1000, 100, 200, 3);
	start_up(e);
	fr.mode = FR_SERVFAIL;
	/* another address, another port: not the resolver's (127.0.0.1@53) */
	assert_true(fk_sock_gone(IPPROTO_TCP, "10.9.9.9", 53));
	assert_false(fk_sock_gone(IPPROTO_UDP, "127.0.0.1", 5353));
	assert_false(run_until(e, both_off, 150));
	/* the wildcard it listened on, over UDP */
	t0 = loop_now_us();
	assert_true(fk_sock_gone(IPPROTO_UDP, "0.0.0.0", 53));
	assert_true(run_until(e, both_off, 3000));
	assert_in_range((loop_now_us() - t0) / 1000, 0, 150);
	/* the next success clears it: one failure alone no longer withdraws */
	fr.mode = FR_OK;
	assert_true(run_until(e, both_on, 3000));
	assert_false(e->a->svcs[0]->lost);
}

/* Nothing listens on the service addresses' port 53 (unbound answers on its probe address
 * only): the service is up, its addresses are held back. Once something listens, they come
 * at the next good probe. While announced, the probes alone do not ask the kernel; a
 * listener destroyed and not back takes them away at the next good probe. */
static void test_not_announced_where_nothing_listens(void **state)
{
	struct env *e = *state;

	fr.deaf = true;
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_false(run_until(e, both_on, 300));
	assert_true(e->a->svcs[0]->fsm.up);
	assert_true(e->a->addrs[0].deaf && e->a->addrs[1].deaf);
	assert_true(both_off(e));
	fr.deaf = false;
	/* the tables unreadable for a while: held back still, and looked at again after */
	fr.listen_err = -ENOMEM;
	assert_false(run_until(e, both_on, 100));
	fr.listen_err = 0;
	assert_true(run_until(e, both_on, 300));
	assert_false(e->a->addrs[0].deaf || e->a->addrs[1].deaf);

	fr.deaf = true;
	assert_false(run_until(e, both_off, 150));
	assert_true(fk_sock_gone(IPPROTO_TCP, "0.0.0.0", 53));
	assert_true(run_until(e, both_off, 300));
	assert_true(e->a->svcs[0]->fsm.up);
}

/* Flap damping (damping_half_life_ms set): one withdrawal comes back after `rise` probes as
 * always; a second soon after keeps the addresses off although the resolver is healthy
 * again, the state file says so, and they return once the penalty has decayed (300 ms
 * half-life: 1000 * 2^(-t / 300) + 1000 for a second flap t ~ 50 ms later is ~1890, below
 * 750 some 400 ms later). */
static void test_flapping_damped(void **state)
{
	struct env *e = *state;
	struct state st;
	unsigned line;
	uint64_t t0;
	char text[1024], *p;
	FILE *f = fopen(e->conf, "w");

	/* the tests' configuration turns damping off (its last line): this one turns it on */
	snprintf(text, sizeof(text), "%s", conf_text(e, A4 ", " A6, NULL));
	p = strstr(text, "damping_half_life_ms = 0\n");
	assert_non_null(p);
	snprintf(p, sizeof(text) - (size_t)(p - text), "damping_half_life_ms = 300\n");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	start_up(e);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_off, 500));
	fr.mode = FR_OK;
	assert_true(run_until(e, both_on, 500));
	assert_false(e->a->svcs[0]->damp.suppressed);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_off, 500));
	assert_true(e->a->svcs[0]->damp.suppressed);
	fr.mode = FR_OK;
	t0 = loop_now_us();
	/* up after rise 2 at interval 10, but held back */
	assert_false(run_until(e, both_on, 150));
	assert_true(e->a->svcs[0]->fsm.up);
	assert_int_equal(state_read(e->dir, &st, &line), 0);
	assert_int_equal(st.nsvcs, 1);
	assert_true(st.svcs[0].damped);
	state_free(&st);
	assert_true(run_until(e, both_on, 2000));
	assert_in_range((loop_now_us() - t0) / 1000, 150, 1000);
	assert_false(e->a->svcs[0]->damp.suppressed);
	assert_int_equal(state_read(e->dir, &st, &line), 0);
	assert_false(st.svcs[0].damped);
	state_free(&st);
}

static bool on_standby(struct env *e, const char *addr)
{
	(void)e;
	return fk_standby(addr) && fk.standby[0].ifindex == fk_link_index("anycast9");
}

static bool both_standby(struct env *e)
{
	return on_standby(e, A4) && on_standby(e, A6) && both_off(e) && fk.naddrs == 0;
}

static bool standby_empty(struct env *e)
{
	return !on_standby(e, A4) && !on_standby(e, A6);
}

static bool both_on_only(struct env *e)
{
	return both_on(e) && standby_empty(e);
}

static const char *svc_state_of(struct env *e)
{
	return svc_state_name(agent_svc_state(e->a, e->a->svcs[0]));
}

/* A move between the interface and the standby with the kernel slow to report: with the
 * resolver in mode, the new announcement comes (new), the old one stays (done is false)
 * until the kernel's reports are read, and nothing is left announced nowhere meanwhile. */
static void move_reported(struct env *e, enum fake_resolver mode, bool (*new)(struct env *),
			  bool (*done)(struct env *))
{
	fk.hold_events = true;
	fr.mode = mode;
	assert_true(run_until(e, new, 500));
	assert_false(run_until(e, done, 100));
	fk_release_events();
	assert_true(run_until(e, done, 100));
	assert_int_equal(fk.watch_gaps, 0);
}

/* standby_interface: a resolver that answers SERVFAIL moves its addresses to the standby
 * interface, never leaving them on no link in between, and back when it recovers; one that
 * is gone (nothing listens) is withdrawn from there; maintenance withdraws; a restarted
 * agent finds them there and keeps them; on_failure = withdraw never uses it. */
static void test_standby(void **state)
{
	struct env *e = *state;
	char cmd[160];

	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	assert_int_equal(nl_addr_parse(A4, &fk.watch), 0);
	start_up(e);
	assert_true(fk_link_index("anycast9") != 0);
	assert_true(standby_empty(e));
	assert_string_equal(svc_state_of(e), "up");

	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	assert_string_equal(svc_state_of(e), "standby");
	{
		/* --check-once: a WARNING that says where the addresses are */
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		assert_non_null(out);
		int st = oneshot_check(e->a->cfg, e->dir, out);

		fclose(out);
		assert_int_equal(st, 1);
		if (!strstr(text, "STANDBY") ||
		    !strstr(text, "2 announced through the standby interface anycast9"))
			fail_msg("check-once said: %s", text);
		free(text);
	}
	/* the old copy stays until the kernel has reported the new one (IPv6: after DAD) */
	move_reported(e, FR_OK, both_on, both_on_only);

	/* gone: nothing listens any more */
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	fr.deaf = true;
	assert_true(run_until(e, nothing_anywhere, 500));
	assert_string_equal(svc_state_of(e), "down");
	assert_int_equal(fk.watch_gaps, 1);
	/* restarted, still failing: back on the standby interface */
	fr.deaf = false;
	assert_true(run_until(e, both_standby, 500));

	/* a restarted agent keeps them there while the resolver still fails */
	agent_destroy(e->a);
	e->a = new_agent(e);
	e->tick = NULL;
	assert_int_equal(agent_start(e->a), 0);
	assert_true(both_standby(e));
	assert_false(run_until(e, standby_empty, 200));

	/* maintenance takes them away from there too */
	snprintf(cmd, sizeof(cmd), "touch %s/maint", e->dir);
	assert_int_equal(system(cmd), 0);
	assert_true(run_until(e, nothing_anywhere, 500));
	snprintf(cmd, sizeof(cmd), "rm %s/maint", e->dir);
	assert_int_equal(system(cmd), 0);
	assert_true(run_until(e, both_standby, 1000));

	/* on_failure = withdraw: out, not on standby */
	fr.mode = FR_OK;
	assert_true(run_until(e, both_on_only, 500));
	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	{
		FILE *f = fopen(e->conf, "a");

		assert_non_null(f);
		fputs("on_failure = withdraw\n", f);
		fclose(f);
	}
	agent_reload(e->a);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, nothing_anywhere, 500));
	assert_false(run_until(e, both_standby, 200));
}

static bool sb_addr(const char *addr)
{
	unsigned idx = fk_link_index("anycast9");

	return idx && fk_has(idx, addr);
}

static bool both_sb_addr(struct env *e)
{
	return sb_addr(A4) && sb_addr(A6) && both_off(e) && fk.nstandby == 0;
}

static bool both_on_and_sb_addr(struct env *e)
{
	return both_on(e) && sb_addr(A4) && sb_addr(A6);
}

static bool both_on_no_sb_addr(struct env *e)
{
	return both_on(e) && !sb_addr(A4) && !sb_addr(A6);
}

/* standby_announce = address (FRR's intra-area variant): the standby is the address on the
 * standby interface, with the same order both ways, and goes as the routes do. */
static void test_standby_address(void **state)
{
	struct env *e = *state;

	write_conf(e, A4 ", " A6, "standby_interface = anycast9\nstandby_announce = address");
	assert_int_equal(nl_addr_parse(A6, &fk.watch), 0);
	start_up(e);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_sb_addr, 500));
	assert_string_equal(svc_state_of(e), "standby");
	move_reported(e, FR_OK, both_on, both_on_no_sb_addr);
	/* and on the way out: the address leaves anycast0 once the kernel has reported it on
	 * the standby interface (IPv6: after DAD), not when the add returns */
	move_reported(e, FR_SERVFAIL, both_on_and_sb_addr, both_sb_addr);
	fr.deaf = true;
	assert_true(run_until(e, nothing_anywhere, 500));
}

/* Standby routes no state file lists (it was lost with a crash): a starting agent removes
 * them, and so does --withdraw-all, from the configuration alone. */
static void test_standby_leftovers(void **state)
{
	struct env *e = *state;
	char path[128];
	struct cfg *cfg;

	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	start_up(e);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	agent_destroy(e->a); /* a crash: nothing withdrawn */
	e->a = NULL;
	e->tick = NULL;
	snprintf(path, sizeof(path), "%s/state", e->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(fk.nstandby, 2);
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_int_equal(fk.nstandby, 0);

	assert_true(run_until(e, both_standby, 500));
	/* the same, the kernel refusing at first: they stay orphans, retried until gone */
	agent_destroy(e->a);
	e->a = NULL;
	e->tick = NULL;
	assert_int_equal(unlink(path), 0);
	fk.del_err = -EPERM;
	fr.mode = FR_OK;
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_int_equal(fk.nstandby, 2);
	assert_false(run_until(e, standby_empty, 200));
	fk.del_err = 0;
	assert_true(run_until(e, both_on_only, 1500));
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	/* a reload that drops an address in standby: its announcement goes (an orphan), the
	 * other stays */
	write_conf(e, A4, "standby_interface = anycast9");
	agent_reload(e->a);
	assert_true(fk_standby(A4));
	assert_false(fk_standby(A6));
	agent_destroy(e->a);
	e->a = NULL;
	e->tick = NULL;
	assert_int_equal(unlink(path), 0);
	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	e->a = new_agent(e); /* only for its configuration */
	cfg = e->a->cfg;
	assert_int_equal(oneshot_withdraw_all(cfg, e->dir), 0);
	assert_int_equal(fk.nstandby, 0);
}

static void append_conf(struct env *e, const char *lines)
{
	FILE *f = fopen(e->conf, "a");

	assert_non_null(f);
	fputs(lines, f);
	fclose(f);
}

/* A deep probe (deep_query): its failure alone, with the probe fine, announces through the
 * standby interface (deep_on_failure = standby, the default) or withdraws (= withdraw);
 * its recovery announces again. A reload that drops it lets the service back. */
static void test_deep_probe(void **state)
{
	struct env *e = *state;

	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	append_conf(e,
		    "deep_query = deep.test. AAAA\ndeep_interval_ms = 10\ndeep_timeout_ms = 10\n");
	start_up(e);
	assert_non_null(e->a->svcs[0]->deep.hc);
	fr.deep_fail = true;
	assert_true(run_until(e, both_standby, 500));
	assert_string_equal(svc_state_of(e), "standby");
	assert_true(e->a->svcs[0]->fsm.up); /* the probe itself is fine */
	fr.deep_fail = false;
	assert_true(run_until(e, both_on_only, 500));
	assert_string_equal(svc_state_of(e), "up");

	append_conf(e, "deep_on_failure = withdraw\n");
	agent_reload(e->a);
	fr.deep_fail = true;
	assert_true(run_until(e, nothing_anywhere, 500));
	assert_string_equal(svc_state_of(e), "down");
	/* the deep probe dropped: back at the next probe */
	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	agent_reload(e->a);
	assert_null(e->a->svcs[0]->deep.hc);
	assert_true(run_until(e, both_on_only, 500));
}

/* A kernel without the reports: the agent says so and probes as before. */
static void test_no_socket_reports(void **state)
{
	struct env *e = *state;

	fk.sockwatch_err = -EINVAL;
	start_up(e);
	assert_null(e->a->sw[0]);
	assert_false(fk_sock_gone(IPPROTO_TCP, "127.0.0.1", 53));
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_off, 2000));
}

/* One agent per state directory: the second one changes nothing and says why. */
static void test_second_agent_refused(void **state)
{
	struct env *e = *state;
	struct agent *b;
	unsigned adds, dels;

	start_up(e);
	adds = fk.adds;
	dels = fk.dels;
	b = new_agent(e);
	assert_int_equal(agent_start(b), 1);
	agent_destroy(b);
	assert_int_equal(fk.adds, adds);
	assert_int_equal(fk.dels, dels);
	assert_true(both_on(e));
}

/* The state file says what is where, for --withdraw-all and --check-once. */
static void test_state_file(void **state)
{
	struct env *e = *state;
	char buf[NL_ADDRSTRLEN];
	struct state st;
	unsigned line;

	start_up(e);
	assert_int_equal(state_read(e->dir, &st, &line), 0);
	assert_int_equal(st.pid, (long)getpid());
	assert_string_equal(st.interface, "anycast0");
	assert_int_equal(st.ifindex, e->ifindex);
	assert_int_equal(st.nplaced, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(st.placed[i].ifindex, e->ifindex);
		assert_string_equal(st.placed[i].ifname, "anycast0");
		nl_addr_str(&st.placed[i].addr, buf, sizeof(buf));
		assert_true(!strcmp(buf, A4) || !strcmp(buf, A6));
	}
	assert_int_equal(st.nsvcs, 1);
	assert_true(st.svcs[0].up);
	assert_string_equal(st.svcs[0].last, "ok");
	state_free(&st);
}

static bool resynced(struct env *e)
{
	return both_on(e) && !e->a->resync;
}

/* Lost events (ENOBUFS): the interface is read again and a removal nobody reported is
 * repaired. */
static void test_lost_events(void **state)
{
	struct env *e = *state;
	struct nl_addr a;

	start_up(e);
	assert_int_equal(nl_addr_parse(A6, &a), 0);
	assert_int_equal(fk_addr_del(e->ifindex, &a), 0);
	fk.nevents = 0; /* the event was lost */
	fk.overrun = true;
	assert_int_equal(write(fk.evfd[1], "e", 1), 1);
	assert_true(run_until(e, resynced, 2000));
}

/* The metrics file as the agent renders it: the value of one series ("name{labels}"), or
 * -1 when the text has no such line. */
static long long metric(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

static char *metrics_text(struct env *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(metrics_render(e->a, f), 0);
	fclose(f);
	return text;
}

#define M_SVC(name)    "anycast_agent_" name "{service=\"r\""
#define M_RESULT(res)  M_SVC("probes_total") ",result=\"" res "\"}"
#define M_HIST(suffix) M_SVC("probe_duration_seconds_" suffix)

/* Every result counted once, in cumulative buckets whose +Inf is the count. */
static void check_histogram(const char *text)
{
	static const char *const le[] = {"0.0005", "0.001", "0.002", "0.005", "0.01",
					 "0.02",   "0.05",  "0.1",   "0.2",   "0.5",
					 "1",	   "2.5",   "5",     "10",    "+Inf"};
	static const char *const results[] = {"ok", "timeout", "refused", "rcode", "error"};
	long long prev = 0, sum = 0, v;
	char series[128];

	for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		snprintf(series, sizeof(series), M_HIST("bucket") ",le=\"%s\"}", le[i]);
		v = metric(text, series);
		assert_true(v >= prev);
		prev = v;
	}
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		snprintf(series, sizeof(series), M_SVC("probes_total") ",result=\"%s\"}",
			 results[i]);
		v = metric(text, series);
		assert_true(v >= 0);
		sum += v;
	}
	assert_true(sum > 0);
	assert_int_equal(metric(text, M_HIST("count") "}"), sum);
	assert_int_equal(prev, sum);
}

/* The service is up (or not), in state st and no other, and A4 announced on ifname (or
 * not). */
static void expect_service(const char *text, int up, enum svc_state st, const char *ifname,
			   int announced)
{
	char series[128];

	assert_int_equal(metric(text, M_SVC("service_up") "}"), up);
	for (int k = 0; k < SVC_NSTATES; k++) {
		snprintf(series, sizeof(series), M_SVC("service_state") ",state=\"%s\"}",
			 svc_state_name((enum svc_state)k));
		assert_int_equal(metric(text, series), k == (int)st);
	}
	snprintf(series, sizeof(series),
		 "anycast_agent_address_announced{service=\"r\",address=\"" A4
		 "\",interface=\"%s\"}",
		 ifname);
	assert_int_equal(metric(text, series), announced);
}

/* What the metrics file says of a service up, failed by SERVFAIL, and refused (nothing
 * listens on the resolver's port). */
static void test_metrics(void **state)
{
	struct env *e = *state;
	char path[128], *text;
	long long rcode, transitions, refused;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "metrics_file = %s/m.prom", e->dir);
	write_conf(e, A4 ", " A6, path);
	start_up(e);
	text = metrics_text(e);
	expect_service(text, 1, SVC_UP, "anycast0", 1);
	assert_int_equal(metric(text, M_RESULT("rcode")), 0);
	assert_int_equal(metric(text, "anycast_agent_build_info{version=\"" AA_VERSION "\"}"), 1);
	check_histogram(text);
	transitions = metric(text, M_SVC("transitions_total") "}");
	free(text);
	/* the file holds the same, readable by all */
	snprintf(path, sizeof(path), "%s/m.prom", e->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 65536);
	assert_non_null(text);
	assert_true(fread(text, 1, 65535, f) > 0);
	fclose(f);
	assert_int_equal(metric(text, M_SVC("service_up") "}"), 1);
	free(text);

	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_off, 2000));
	text = metrics_text(e);
	expect_service(text, 0, SVC_DOWN, "anycast0", 0);
	rcode = metric(text, M_RESULT("rcode"));
	assert_true(rcode >= 2); /* fall 2 */
	assert_int_equal(metric(text, M_RESULT("refused")), 0);
	assert_int_equal(metric(text, M_SVC("transitions_total") "}"), transitions + 1);
	check_histogram(text);
	free(text);

	/* a TCP probe's SERVFAIL while nothing listens is a refused connection */
	fr.deaf = true;
	fr.probes = 0;
	while (fr.probes < 3)
		assert_false(run_until(e, a4_back, 20));
	text = metrics_text(e);
	refused = metric(text, M_RESULT("refused"));
	assert_true(refused >= 2);
	check_histogram(text);
	free(text);

	/* a reload keeps the service, and so its counts; the file it moves goes */
	fr.mode = FR_OK;
	fr.deaf = false;
	write_conf(e, A4 ", " A6, "metrics_file = /nonexistent/m.prom");
	agent_reload(e->a);
	assert_int_equal(access(path, F_OK), -1);
	text = metrics_text(e);
	assert_true(metric(text, M_RESULT("refused")) >= refused);
	assert_true(metric(text, M_RESULT("rcode")) >= rcode);
	assert_true(metric(text, M_SVC("transitions_total") "}") >= transitions + 1);
	free(text);
}

/* A service on standby, by its probe or by its deep probe alone: its addresses are
 * announced through the standby interface, and the metrics say so (the campus still has
 * them, at a metric it avoids), and that it is not up. */
static void test_metrics_standby(void **state)
{
	struct env *e = *state;
	char *text;

	write_conf(e, A4 ", " A6, "standby_interface = anycast9");
	start_up(e);
	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	text = metrics_text(e);
	expect_service(text, 0, SVC_STANDBY, "anycast9", 1);
	free(text);

	/* out by a deep probe alone: its probe is fine, the service is not up */
	fr.mode = FR_OK;
	assert_true(run_until(e, both_on_only, 500));
	append_conf(e,
		    "deep_query = deep.test. AAAA\ndeep_interval_ms = 10\ndeep_timeout_ms = 10\n");
	agent_reload(e->a);
	fr.deep_fail = true;
	assert_true(run_until(e, both_standby, 500));
	assert_true(e->a->svcs[0]->fsm.up);
	text = metrics_text(e);
	expect_service(text, 0, SVC_STANDBY, "anycast9", 1);
	free(text);
}

/* --check-once with vtysh answering as FRR 8.4.4 did (tests/data/frr/8.4-*) in each
 * situation: daemons (a file, or the answer itself when it starts with a space), IPv4
 * summary, IPv4 route, IPv6 summary, IPv6 route; ospfd and ospf6d as in test_frr.c. */
static int check_bgp_once(struct env *e, const char *d, const char *s4, const char *r4,
			  const char *s6, const char *r6, char **text)
{
	char path[128], cwd[256];
	size_t len = 0;
	FILE *f, *out;
	int st;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/vtysh", e->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"#!/bin/sh\nF=%s/tests/data/frr\n[ \"$1\" = -N ] && shift 2\n"
		"case \"$2\" in\n"
		"'show ip ospf neighbor json') cat $F/8.4-ospf-neighbor.json;;\n"
		"'show ip ospf database external self-originate json') "
		"cat $F/8.4-ospf-external.json;;\n"
		"'show ipv6 ospf6 neighbor json') cat $F/8.4-ospf6-neighbor.json;;\n"
		"'show ipv6 ospf6 database as-external self-originated json') "
		"cat $F/8.4-ospf6-external.json;;\n"
		"*ospf*) echo '{}';;\n"
		"'show daemons') %s%s%s;;\n"
		"'show bgp ipv4 unicast summary json') cat $F/%s;;\n"
		"'show bgp ipv4 unicast " A4 " json') cat $F/%s;;\n"
		"'show bgp ipv6 unicast summary json') cat $F/%s;;\n"
		"'show bgp ipv6 unicast " A6 " json') cat $F/%s;;\n"
		"*) exit 1;;\nesac\n",
		cwd, d[0] == ' ' ? "echo '" : "cat $F/", d, d[0] == ' ' ? "'" : "", s4, r4, s6, r6);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	out = open_memstream(text, &len);
	assert_non_null(out);
	st = oneshot_check(e->a->cfg, e->dir, out);
	fclose(out);
	print_message("  %s", *text);
	return st;
}

static void expect_text(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("check-once said: %s\nexpected: %s", text, want);
}

/* A BGP host (etc/frr-bgp.conf): what bgpd originates, prepends and advertises is
 * judged; the OSPF text never appears. An OSPF host: the text of before. */
static void test_check_bgp(void **state)
{
	struct env *e = *state;
	char extra[256], *text = NULL;
	int st;

	snprintf(extra, sizeof(extra),
		 "standby_interface = anycast9\nfrr_check = yes\nvtysh = %s/vtysh", e->dir);
	write_conf(e, A4 ", " A6, extra);
	start_up(e);
#define D  "8.4-bgp-daemons.txt"
#define S4 "8.4-bgp-summary4.json"
#define S6 "8.4-bgp-summary6.json"
#define R4 "8.4-bgp-route4.json"
#define R6 "8.4-bgp-route6.json"
	st = check_bgp_once(e, D, S4, R4, S6, R6, &text);
	expect_text(text, "; BGP originates 2/2, advertised to 2/2 Established neighbours |");
	assert_null(strstr(text, "WARNING"));
	assert_null(strstr(text, "FRR"));
	assert_int_equal(st, 0);
	free(text);

	st = check_bgp_once(e, D, S4, "8.4-bgp-route4-notadvertised.json", S6, R6, &text);
	expect_text(text, "; 10.53.0.53/32 originated but not advertised to 10.10.11.1: check "
			  "its route-map out / prefix-list; BGP originates 2/2, advertised to 1/2 "
			  "Established neighbours |");
	assert_int_equal(st, 1);
	free(text);

	st = check_bgp_once(e, D, "8.4-bgp-summary4-down.json", "8.4-bgp-route4-down.json",
			    "8.4-bgp-summary6-shutdown.json", R6, &text);
	expect_text(text, "; no Established BGP IPv4 neighbour: nobody hears us; no Established "
			  "BGP IPv6 neighbour: nobody hears us; BGP originates 2/2, no neighbour "
			  "Established (2 configured) |");
	assert_int_equal(st, 1);
	free(text);

	st = check_bgp_once(e, D, S4, "8.4-bgp-route4-none.json", S6, R6, &text);
	expect_text(text, "; 10.53.0.53/32 on anycast0 but not originated by bgpd: check "
			  "'redistribute connected route-map ANYCAST4'; BGP originates 1/2, "
			  "advertised to 2/2 Established neighbours |");
	assert_int_equal(st, 1);
	free(text);

	st = check_bgp_once(e, D, S4, "8.4-bgp-route4-standby.json", S6, R6, &text);
	expect_text(text, "; 10.53.0.53/32 on anycast0 announced with the standby's prepend (AS "
			  "path of 3): check route-map ANYCAST4;");
	assert_int_equal(st, 1);
	free(text);

	st = check_bgp_once(e, "8.4-bgp-daemons-nobgpd.txt", S4, R4, S6, R6, &text);
	expect_text(text, "; nothing announces the IPv4 addresses: ospfd does not run and "
			  "neither does bgpd; nothing announces the IPv6 addresses: ospf6d does "
			  "not run and neither does bgpd |");
	assert_int_equal(st, 1);
	free(text);

	/* an OSPF host: today's text, nothing of BGP; and a host running both */
	st = check_bgp_once(e, " zebra ospfd ospf6d", S4, R4, S6, R6, &text);
	expect_text(text, "anycast0; FRR originates 2/2, 1 OSPFv2, 1 OSPFv3 Full neighbours |");
	assert_null(strstr(text, "BGP"));
	assert_int_equal(st, 0);
	free(text);
	/* a vtysh without "show daemons": as before */
	st = check_bgp_once(e, "8.4-ospf-external-noinstance.txt", S4, R4, S6, R6, &text);
	expect_text(text, "anycast0; FRR originates 2/2, 1 OSPFv2, 1 OSPFv3 Full neighbours |");
	assert_null(strstr(text, "BGP"));
	assert_int_equal(st, 0);
	free(text);
	st = check_bgp_once(e, " zebra ospfd ospf6d bgpd", S4, R4, S6, R6, &text);
	expect_text(text, "anycast0; FRR originates 2/2, 1 OSPFv2, 1 OSPFv3 Full neighbours; BGP "
			  "originates 2/2, advertised to 2/2 Established neighbours |");
	assert_int_equal(st, 0);
	free(text);
	/* there, an address bgpd does not originate but ospfd does is carried */
	st = check_bgp_once(e, " zebra ospfd ospf6d bgpd", S4, "8.4-bgp-route4-none.json", S6, R6,
			    &text);
	expect_text(text, "anycast0; FRR originates 2/2, 1 OSPFv2, 1 OSPFv3 Full neighbours; BGP "
			  "originates 1/1, advertised to 2/2 Established neighbours |");
	assert_int_equal(st, 0);
	free(text);

	st = check_bgp_once(e, D, "8.4-bgp-summary-noinstance.json", R4,
			    "8.4-bgp-summary-noinstance.json", R6, &text);
	expect_text(text, "; nothing announces the IPv4 addresses: ospfd does not run and bgpd "
			  "has no IPv4 unicast neighbour;");
	assert_int_equal(st, 1);
	free(text);

	fr.mode = FR_SERVFAIL;
	assert_true(run_until(e, both_standby, 500));
	st = check_bgp_once(e, D, S4, "8.4-bgp-route4-standby.json", S6,
			    "8.4-bgp-route6-standby.json", &text);
	expect_text(text, "; BGP originates 2/2 (2 from the standby interface anycast9, "
			  "prepended), advertised to 2/2 Established neighbours |");
	assert_int_equal(st, 1); /* STANDBY is a WARNING of its own */
	free(text);

	st = check_bgp_once(e, D, S4, "8.4-bgp-route4-standby-noprepend.json", S6,
			    "8.4-bgp-route6-standby.json", &text);
	expect_text(text, "; 10.53.0.53/32 standby announced without prepend: check route-map "
			  "STANDBY4; BGP originates 2/2 (2 from the standby interface anycast9, 1 "
			  "not prepended)");
	free(text);
#undef D
#undef S4
#undef S6
#undef R4
#undef R6
}

/* No service: nothing on the host is touched, and STATUS= says why. */
static void test_no_service(void **state)
{
	struct env *e = *state;
	FILE *f = fopen(e->conf, "w");

	assert_non_null(f);
	fputs("[agent]\ninterface = anycast0\n", f);
	fclose(f);
	e->a = new_agent(e);
	assert_int_equal(agent_start(e->a), 0);
	assert_false(run_until(e, a4_back, 100));
	assert_int_equal(fk_link_index("anycast0"), 0);
	assert_int_equal(fk.adds + fk.dels + fk.dumps, 0);
	assert_non_null(strstr(e->a->status, "not configured"));
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_announce_then_withdraw_without_dump),
	    T(test_renamed_interface),
	    T(test_renamed_interface_no_dummy),
	    T(test_foreign_changes),
	    T(test_prefix_conflict),
	    T(test_reload),
	    T(test_stop_drains),
	    T(test_maintenance_noticed_at_once),
	    T(test_stop_during_drain),
	    T(test_handover),
	    T(test_state_file_not_trusted_over_kernel),
	    T(test_withdraw_all_failure_records_nothing),
	    T(test_hang_confirmed_in_parallel),
	    T(test_confirm_that_cannot_start),
	    T(test_listener_lost),
	    T(test_not_announced_where_nothing_listens),
	    T(test_flapping_damped),
	    T(test_standby),
	    T(test_deep_probe),
	    T(test_standby_leftovers),
	    T(test_standby_address),
	    T(test_no_socket_reports),
	    T(test_second_agent_refused),
	    T(test_state_file),
	    T(test_lost_events),
	    T(test_no_service),
	    T(test_metrics),
	    T(test_metrics_standby),
	    T(test_check_bgp),
	};

	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
