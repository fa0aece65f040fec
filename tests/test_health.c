/* SPDX-License-Identifier: MIT */
/* Tests for health/: the rise/fall machine, the name tables, and probes against a real
 * unbound started for each live test on loopback (skipped when unbound is not installed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "health/hc.h"

#define UNBOUND		"/usr/sbin/unbound"
#define UNBOUND_CONTROL "/usr/sbin/unbound-control"
/* The resolver refuses to query this address, so forwarding a name there SERVFAILs at once. */
#define NOQUERY_ADDR "192.0.2.254"

#define RC(x) (UINT32_C(1) << (x))

/* ---- rise/fall ---- */

/* feed: '+' good, '-' bad; want: '.' HC_SAME, 'U' HC_WENT_UP, 'D' HC_WENT_DOWN. */
static void fsm_run(unsigned rise, unsigned fall, bool up, const char *feed, const char *want)
{
	static const char changes[] = {[HC_SAME] = '.', [HC_WENT_UP] = 'U', [HC_WENT_DOWN] = 'D'};
	char got[64] = "";
	struct hc_fsm f;
	size_t i;

	hc_fsm_init(&f, rise, fall, up);
	assert_int_equal(f.up, up);
	for (i = 0; feed[i] && i < sizeof(got) - 1; i++) {
		got[i] = changes[hc_fsm_feed(&f, feed[i] == '+')];
		/* The run lengths say what the last results were. */
		assert_int_equal(feed[i] == '+' ? f.bad : f.good, 0);
		assert_true(feed[i] == '+' ? f.good > 0 : f.bad > 0);
	}
	assert_string_equal(got, want);
}

static void test_fsm(void **state)
{
	(void)state;
	/* Rise from down, fall from up, nothing more while already there. */
	fsm_run(3, 2, false, "+++++", "..U..");
	fsm_run(3, 2, true, "-----", ".D...");
	fsm_run(3, 2, true, "+++", "...");
	fsm_run(3, 2, false, "---", "...");
	/* An opposite result resets the run. */
	fsm_run(3, 3, false, "++-+++", ".....U");
	fsm_run(3, 3, true, "--+--+---", "........D");
	fsm_run(2, 2, false, "----------++", "...........U");
	fsm_run(2, 2, false, "++++++++--", ".U.......D");
	/* rise 1 / fall 1 follow every change. */
	fsm_run(1, 1, false, "-++--+-", ".U.D.UD");
	fsm_run(1, 1, true, "+--", ".D.");
	/* 0 would mean "change on no evidence": treated as 1. */
	fsm_run(0, 0, true, "+-+", ".DU");
}

/* Runs saturate instead of wrapping to 0, which would read as "no run". */
static void test_fsm_saturates(void **state)
{
	struct hc_fsm f;

	(void)state;
	hc_fsm_init(&f, 3, 2, true);
	f.good = UINT_MAX;
	assert_int_equal(hc_fsm_feed(&f, true), HC_SAME);
	assert_int_equal(f.good, UINT_MAX);
	hc_fsm_init(&f, 3, 2, false);
	f.bad = UINT_MAX;
	assert_int_equal(hc_fsm_feed(&f, false), HC_SAME);
	assert_int_equal(f.bad, UINT_MAX);
	hc_fsm_init(&f, 0, 0, false);
	assert_true(f.rise == 1 && f.fall == 1);
}

/* ---- name tables ---- */

/* RFC 2439's arithmetic: one withdrawal never suppresses, a second within about a half-life
 * does, the penalty halves every half-life and is capped, and suppression ends below reuse. */
static void test_damp(void **state)
{
	struct hc_damp d;
	const uint64_t s = 1000000; /* a second, in us */

	(void)state;
	hc_damp_init(&d, 0);
	for (int i = 0; i < 10; i++)
		assert_false(hc_damp_flap(&d, s + (uint64_t)i));
	assert_false(d.suppressed);

	hc_damp_init(&d, 10000);
	assert_false(hc_damp_flap(&d, 100 * s));
	assert_false(d.suppressed);
	/* a second withdrawal 12 s later: 1000 * 2^-1.2 + 1000 = 1435, not above 1500 */
	assert_false(hc_damp_flap(&d, 112 * s));
	assert_false(d.suppressed);
	/* 1.5 s later: 1435 * 2^-0.15 + 1000 = 2293: suppressed */
	assert_true(hc_damp_flap(&d, 113 * s + s / 2));
	assert_true(d.suppressed);
	assert_in_range((uint64_t)d.penalty, 2290, 2295);
	/* below 750 after 10 s * log2(2293 / 750) = 16.1 s */
	assert_in_range(hc_damp_reuse_at(&d), 129 * s + s / 2, 129 * s + s / 2 + s / 5);
	assert_false(hc_damp_update(&d, 129 * s));
	assert_true(d.suppressed);
	assert_true(hc_damp_update(&d, hc_damp_reuse_at(&d)));
	assert_false(d.suppressed);
	assert_false(hc_damp_update(&d, 200 * s)); /* ended already */

	/* flapping for long: capped, so it is back 10 s * log2(4000 / 750) = 24.2 s after */
	hc_damp_init(&d, 10000);
	for (int i = 0; i < 100; i++)
		hc_damp_flap(&d, 1000 * s + (uint64_t)i * s / 10);
	assert_true(d.suppressed);
	assert_in_range((uint64_t)d.penalty, 3999, 4000);
	assert_in_range(hc_damp_reuse_at(&d) - (1000 * s + 99 * s / 10), 24 * s, 25 * s);
}

static void test_rcode_names(void **state)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	static const char *const bad[] = {"",	      "NOERRORX", "SERV FAIL", " NOERROR",
					  "NOERROR ", "0",	  "2",	       "BADVERS"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(hc_rcode_parse(names[i]), (int)i);
		assert_string_equal(hc_rcode_name((int)i), names[i]);
	}
	assert_int_equal(hc_rcode_parse("servfail"), 2);
	assert_int_equal(hc_rcode_parse("NxDomain"), 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hc_rcode_parse(bad[i]), -1);
	assert_int_equal(hc_rcode_parse(NULL), -1);
	assert_string_equal(hc_rcode_name(11), "UNKNOWN");
	assert_string_equal(hc_rcode_name(15), "UNKNOWN");
	assert_string_equal(hc_rcode_name(-1), "UNKNOWN");
	assert_string_equal(hc_rcode_name(INT_MAX), "UNKNOWN");
}

static void test_qtype_names(void **state)
{
	static const struct {
		const char *name;
		int type;
	} good[] = {
	    {"A", 1},	       {"NS", 2},
	    {"CNAME", 5},      {"SOA", 6},
	    {"PTR", 12},       {"MX", 15},
	    {"TXT", 16},       {"AAAA", 28},
	    {"SRV", 33},       {"NAPTR", 35},
	    {"DS", 43},	       {"DNSKEY", 48},
	    {"SVCB", 64},      {"HTTPS", 65},
	    {"ANY", 255},      {"CAA", 257},
	    {"aaaa", 28},      {"Txt", 16},
	    {"TYPE1", 1},      {"type65", 65},
	    {"Type00028", 28}, {"TYPE65535", 65535},
	};
	static const char *const bad[] = {
	    "",	      "AAAAA",	" A",	  "A ",	      "TYPE",	   "TYPE0",
	    "TYPE-1", "TYPE+1", "TYPE 1", "TYPE1x",   "TYPE65536", "TYPE99999999999999999999",
	    "TYP1",   "1",	"TYPEA",  "TYPE0x10",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(hc_qtype_parse(good[i].name), good[i].type);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hc_qtype_parse(bad[i]), -1);
	assert_int_equal(hc_qtype_parse(NULL), -1);
}

/* ---- probes: helpers ---- */

struct outcome {
	int calls;
	struct hc_result r;
	struct hc *destroy_me; /* destroyed from inside the callback */
	int restarts;	       /* probes started again from inside the callback */
	struct hc *restart_me;
};

static void record(const struct hc_result *r, void *data)
{
	struct outcome *o = data;

	o->calls++;
	o->r = *r;
	if (o->destroy_me) {
		hc_destroy(o->destroy_me);
		o->destroy_me = NULL;
	}
	if (o->restart_me && o->restarts > 0) {
		o->restarts--;
		assert_int_equal(hc_start(o->restart_me), 0);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The agent's loop in miniature: poll hc_fd() until the deadline, then hc_expire(). */
static void wait_probe(struct hc *hc, struct outcome *o, int calls, unsigned deadline_ms)
{
	uint64_t end = now_ms() + deadline_ms;
	struct pollfd pfd;
	int64_t left;

	while (o->calls < calls) {
		left = (int64_t)(end - now_ms());
		if (left <= 0) {
			hc_expire(hc);
			break;
		}
		pfd.fd = hc_fd(hc);
		pfd.events = POLLIN;
		assert_true(pfd.fd >= 0);
		if (poll(&pfd, 1, (int)left) > 0)
			assert_int_equal(hc_process(hc), 0);
	}
	assert_int_equal(o->calls, calls);
}

static const struct hc_result *probe(struct hc *hc, struct outcome *o, unsigned deadline_ms)
{
	int calls = o->calls;

	assert_int_equal(hc_start(hc), 0);
	assert_true(hc_busy(hc));
	wait_probe(hc, o, calls + 1, deadline_ms);
	assert_false(hc_busy(hc));
	return &o->r;
}

struct resolver {
	bool usable;
	bool v6;
	int port;
	pid_t pid;
	char dir[64];
	char conf[96];
	char log[96];
	char ctl[96];
};

static socklen_t loopback(struct sockaddr_storage *ss, bool v6, int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*s4);
}

static bool can_bind(bool v6, int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, v6, port);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A free high port per resolver, so that tests never see each other's leftovers. */
static int pick_port(bool v6)
{
	static int next;
	int port, i;

	/* Ten ports per process, so that test runs in parallel do not take turns on one. */
	if (!next)
		next = 20000 + getpid() % 4000 * 10;
	for (i = 0; i < 200; i++) {
		port = next++;
		if (next > 60000)
			next = 20000;
		if (can_bind(false, SOCK_DGRAM, port) && can_bind(false, SOCK_STREAM, port) &&
		    (!v6 ||
		     (can_bind(true, SOCK_DGRAM, port) && can_bind(true, SOCK_STREAM, port))))
			return port;
	}
	return -1;
}

static void write_conf(struct resolver *r)
{
	FILE *f = fopen(r->conf, "w");

	assert_non_null(f);
	fprintf(f,
		"server:\n"
		"\tinterface: 127.0.0.1\n"
		"%s"
		"\tport: %d\n"
		"\tusername: \"\"\n"
		"\tchroot: \"\"\n"
		"\tpidfile: \"\"\n"
		"\tdirectory: \"%s\"\n"
		"\tuse-syslog: no\n"
		"\tverbosity: 1\n"
		/* Two resolvers on one port would share its queries instead of failing. */
		"\tso-reuseport: no\n"
		"\tdo-not-query-localhost: no\n"
		"\tdo-not-query-address: " NOQUERY_ADDR "\n"
		"\tlocal-zone: \"campus.test.\" static\n"
		"\tlocal-data: \"probe.campus.test. 0 IN A 192.0.2.1\"\n"
		/* TTL 300: what a caching probe would keep answering from after a kill. */
		"\tlocal-data: \"cached.campus.test. 300 IN A 192.0.2.3\"\n"
		"\tlocal-zone: \"home.arpa.\" static\n"
		"\tlocal-data: \"probe.home.arpa. 0 IN A 192.0.2.2\"\n"
		/* libunbound alone answers localhost. with NOERROR; this resolver does not. */
		"\tlocal-zone: \"localhost.\" always_nxdomain\n"
		"\tlocal-zone: \"refused.campus.test.\" refuse\n"
		"remote-control:\n"
		"\tcontrol-enable: yes\n"
		"\tcontrol-interface: \"%s\"\n"
		"\tcontrol-use-cert: no\n",
		r->v6 ? "\tinterface: ::1\n" : "", r->port, r->dir, r->ctl);
	assert_int_equal(fclose(f), 0);
}

/* A hand-made query for probe.campus.test. A: readiness must not depend on libunbound. */
static bool dns_ping(const struct resolver *r, bool v6)
{
	static const char q[] = "\x4a\x17\x01\x00\0\1\0\0\0\0\0\0"
				"\5probe\6campus\4test\0\0\1\0\1";
	struct pollfd pfd = {.events = POLLIN};
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, v6, r->port);
	uint8_t buf[512];
	ssize_t n = -1;

	pfd.fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (pfd.fd < 0)
		return false;
	if (connect(pfd.fd, (struct sockaddr *)&ss, len) == 0 &&
	    send(pfd.fd, q, sizeof(q) - 1, 0) == (ssize_t)sizeof(q) - 1 && poll(&pfd, 1, 200) > 0)
		n = recv(pfd.fd, buf, sizeof(buf), 0);
	close(pfd.fd);
	return n >= 12 && buf[0] == 0x4a && buf[1] == 0x17 && (buf[3] & 0x0f) == 0;
}

static void resolver_start(struct resolver *r)
{
	uint64_t end;
	int fd;

	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Not the test's libunbound sockets and pipes. */
		close_range(3, ~0U, 0);
		execl(UNBOUND, "unbound", "-d", "-c", r->conf, (char *)NULL);
		_exit(127);
	}
	for (end = now_ms() + 10000; now_ms() < end;) {
		if (dns_ping(r, false) && (!r->v6 || dns_ping(r, true)))
			return;
		if (waitpid(r->pid, NULL, WNOHANG) != 0)
			break;
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
	fail_msg("unbound did not answer within 10 s, see %s", r->log);
}

static void resolver_signal(struct resolver *r, int sig)
{
	assert_int_equal(kill(r->pid, sig), 0);
	if (sig == SIGKILL || sig == SIGTERM) {
		assert_int_equal(waitpid(r->pid, NULL, 0), r->pid);
		r->pid = 0;
	}
}

/* Runs unbound-control; returns its exit status, its stdout in out. */
static int resolver_ctl(const struct resolver *r, char *out, size_t len, const char *cmd,
			const char *arg1, const char *arg2)
{
	size_t got = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		execl(UNBOUND_CONTROL, "unbound-control", "-c", r->conf, cmd, arg1, arg2,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len > 1 && got < len - 1 && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	if (len)
		out[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void resolver_ctl_ok(const struct resolver *r, const char *cmd, const char *arg1,
			    const char *arg2)
{
	char out[256];

	assert_int_equal(resolver_ctl(r, out, sizeof(out), cmd, arg1, arg2), 0);
}

/* Queries the resolver has received: proves a probe reached it. */
static long resolver_queries(const struct resolver *r)
{
	char out[16384];
	const char *s;

	assert_int_equal(resolver_ctl(r, out, sizeof(out), "stats_noreset", NULL, NULL), 0);
	s = strstr(out, "total.num.queries=");
	assert_non_null(s);
	return strtol(s + strlen("total.num.queries="), NULL, 10);
}

static int setup_resolver(void **state)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	*state = r;
	if (access(UNBOUND, X_OK) != 0 || access(UNBOUND_CONTROL, X_OK) != 0)
		return 0;
	strcpy(r->dir, "/tmp/test_health.XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	snprintf(r->conf, sizeof(r->conf), "%s/unbound.conf", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/unbound.log", r->dir);
	snprintf(r->ctl, sizeof(r->ctl), "%s/ctl", r->dir);
	r->v6 = can_bind(true, SOCK_DGRAM, 0);
	r->port = pick_port(r->v6);
	if (r->port < 0)
		return -1;
	write_conf(r);
	r->usable = true;
	resolver_start(r);
	return 0;
}

static int teardown_resolver(void **state)
{
	struct resolver *r = *state;

	if (r->pid > 0) {
		kill(r->pid, SIGCONT);
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->dir[0]) {
		unlink(r->conf);
		unlink(r->log);
		unlink(r->ctl);
		rmdir(r->dir);
	}
	free(r);
	return 0;
}

static struct resolver *live(void **state)
{
	struct resolver *r = *state;

	if (!r->usable)
		skip();
	return r;
}

static struct hc_params params(const struct resolver *r, bool v6, const char *qname, int qtype,
			       uint32_t rcode_ok)
{
	struct hc_params p = {.qtype = qtype, .rcode_ok = rcode_ok, .timeout_ms = 300};
	uint16_t port = htons((uint16_t)(r ? r->port : 53));

	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&p.server;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = port;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&p.server;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = port;
	}
	snprintf(p.qname, sizeof(p.qname), "%s", qname);
	return p;
}

/* ---- probes: without a resolver ---- */

static void test_hc_without_resolver(void **state)
{
	struct hc_params p = params(NULL, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	struct hc *hc = (struct hc *)1;

	(void)state;
	assert_int_equal(hc_create(&hc, &p, NULL, &o), -EINVAL);
	assert_null(hc);
	p.server.ss_family = AF_UNIX; /* not an address to probe */
	assert_int_equal(hc_create(&hc, &p, record, &o), -EINVAL);
	p = params(NULL, false, "probe.campus.test.", 70000, RC(0));
	assert_int_equal(hc_create(&hc, &p, record, &o), -EINVAL);
	memset(p.qname, 'a', sizeof(p.qname));
	assert_int_equal(hc_create(&hc, &p, record, &o), -EINVAL);

	/* Idle: a context (and so an fd) exists, nothing happens. */
	p = params(NULL, true, "probe.campus.test.", 1, RC(0));
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_false(hc_busy(hc));
	assert_true(hc_fd(hc) >= 0);
	hc_expire(hc);
	assert_int_equal(hc_process(hc), 0);
	assert_int_equal(o.calls, 0);
	hc_destroy(hc);
	hc_destroy(NULL);
}

/* ---- probes: against a live unbound ---- */

static void test_live_ok(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	const struct hc_result *res;
	struct hc *hc;
	int i;

	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	for (i = 0; i < 3; i++) {
		res = probe(hc, &o, 2000);
		assert_int_equal(res->status, HC_OK);
		assert_int_equal(res->rcode, 0);
		assert_string_equal(res->why, "rcode NOERROR");
		assert_true(res->rtt_us > 0 && res->rtt_us < 2000000);
	}
	assert_int_equal(hc_start(hc), 0);
	assert_int_equal(hc_start(hc), -EBUSY);
	wait_probe(hc, &o, 4, 2000);
	assert_int_equal(o.r.status, HC_OK);
	hc_destroy(hc);
}

static void test_live_kill_no_cache_then_restart(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "cached.campus.test.", 1, RC(0));
	struct outcome o = {0};
	const struct hc_result *res;
	struct hc *hc;
	long before;
	int i;

	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	before = resolver_queries(r);
	/* Back to back with a TTL-300 answer: any cache would now be warm. */
	for (i = 0; i < 5; i++)
		assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	assert_int_equal(resolver_queries(r) - before, 5);

	resolver_signal(r, SIGKILL);
	res = probe(hc, &o, 300);
	assert_int_equal(res->status, HC_TIMEOUT);
	assert_string_equal(res->why, "timeout after 300 ms");
	assert_true(res->rtt_us >= 300000);
	/* The failed context is gone; the next hc_start makes a fresh one. */
	assert_false(hc_has_context(hc));
	assert_int_equal(probe(hc, &o, 300)->status, HC_TIMEOUT);

	resolver_start(r);
	/* The first probe once the resolver answers again: no infra-cache hold-down. */
	res = probe(hc, &o, 2000);
	assert_int_equal(res->status, HC_OK);
	assert_true(res->rtt_us < 1000000);
	hc_destroy(hc);
}

static void test_live_servfail_injected(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	const struct hc_result *res;
	struct hc *hc;

	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);

	/* A transparent zone forwarded where unbound will not query SERVFAILs. */
	resolver_ctl_ok(r, "local_zone", "probe.campus.test.", "transparent");
	resolver_ctl_ok(r, "forward_add", "probe.campus.test.", NOQUERY_ADDR);
	res = probe(hc, &o, 2000);
	assert_int_equal(res->status, HC_RCODE);
	assert_int_equal(res->rcode, 2);
	assert_string_equal(res->why, "rcode SERVFAIL");
	assert_false(hc_has_context(hc));

	resolver_ctl_ok(r, "forward_remove", "probe.campus.test.", NULL);
	resolver_ctl_ok(r, "local_zone_remove", "probe.campus.test.", NULL);
	res = probe(hc, &o, 2000);
	assert_int_equal(res->status, HC_OK);
	assert_int_equal(res->rcode, 0);
	hc_destroy(hc);
}

static void test_live_hung_then_continued(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	const struct hc_result *res;
	struct hc *hc;
	uint64_t t0, took;

	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);

	resolver_signal(r, SIGSTOP);
	t0 = now_ms();
	res = probe(hc, &o, 300);
	took = now_ms() - t0;
	assert_int_equal(res->status, HC_TIMEOUT);
	/* Timed by the caller's deadline, not by libunbound's own retries. */
	assert_true(took >= 300 && took < 1300);

	resolver_signal(r, SIGCONT);
	res = probe(hc, &o, 2000);
	assert_int_equal(res->status, HC_OK);
	/* The answer to the abandoned query never shows up as a second callback. */
	usleep(200000);
	assert_int_equal(o.calls, 3);
	hc_destroy(hc);
}

static void test_live_builtin_zones_reach_resolver(void **state)
{
	struct resolver *r = live(state);
	static const struct {
		const char *qname;
		enum hc_status status;
		int rcode;
	} cases[] = {
	    /* libunbound alone: NXDOMAIN (test. and home.arpa. are built-in zones). */
	    {"probe.campus.test.", HC_OK, 0},
	    {"probe.home.arpa.", HC_OK, 0},
	    /* libunbound alone: NOERROR with 127.0.0.1. */
	    {"localhost.", HC_RCODE, 3},
	    /* The resolver's own NXDOMAIN, asked for. */
	    {"nx.campus.test.", HC_RCODE, 3},
	    /* libunbound reports an upstream REFUSED (or FORMERR, NOTIMP) as SERVFAIL. */
	    {"refused.campus.test.", HC_RCODE, 2},
	};
	struct outcome o = {0};
	struct hc_params p;
	struct hc *hc;
	long before;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = params(r, false, cases[i].qname, 1, RC(0));
		assert_int_equal(hc_create(&hc, &p, record, &o), 0);
		before = resolver_queries(r);
		probe(hc, &o, 2000);
		assert_int_equal(o.r.status, cases[i].status);
		assert_int_equal(o.r.rcode, cases[i].rcode);
		assert_int_equal(resolver_queries(r) - before, 1);
		hc_destroy(hc);
	}
}

/* Answers without records (NXDOMAIN, NODATA, no SOA here) are what libunbound caches for
 * 5 s whatever cache-max-ttl says: each probe must still reach the resolver. */
static void test_live_negative_answers(void **state)
{
	struct resolver *r = live(state);
	static const struct {
		const char *qname;
		const char *qtype;
		int rcode;
	} cases[] = {
	    {"nx.campus.test.", "A", 3},
	    /* TYPE65 (HTTPS) on a name with only an A record: NOERROR without data. */
	    {"probe.campus.test.", "TYPE65", 0},
	    {"probe.campus.test.", "aaaa", 0},
	};
	struct outcome o = {0};
	struct hc_params p;
	struct hc *hc;
	long before;
	size_t i;
	int j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = params(r, false, cases[i].qname, hc_qtype_parse(cases[i].qtype), RC(0) | RC(3));
		assert_int_equal(hc_create(&hc, &p, record, &o), 0);
		before = resolver_queries(r);
		for (j = 0; j < 3; j++) {
			probe(hc, &o, 2000);
			assert_int_equal(o.r.status, HC_OK);
			assert_int_equal(o.r.rcode, cases[i].rcode);
			assert_string_equal(o.r.why + strlen("rcode "),
					    hc_rcode_name(cases[i].rcode));
		}
		assert_int_equal(resolver_queries(r) - before, 3);
		resolver_signal(r, SIGSTOP);
		assert_int_equal(probe(hc, &o, 300)->status, HC_TIMEOUT);
		resolver_signal(r, SIGCONT);
		hc_destroy(hc);
	}
	/* NXDOMAIN is a failure unless it is expected. */
	p = params(r, false, "nx.campus.test.", 1, RC(0));
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	probe(hc, &o, 2000);
	assert_int_equal(o.r.status, HC_RCODE);
	assert_int_equal(o.r.rcode, 3);
	assert_string_equal(o.r.why, "rcode NXDOMAIN");
	hc_destroy(hc);
}

static void test_live_ipv6(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, true, "probe.campus.test.", 28, RC(0));
	struct outcome o = {0};
	struct hc *hc;

	if (!r->v6)
		skip();
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	resolver_signal(r, SIGSTOP);
	assert_int_equal(probe(hc, &o, 200)->status, HC_TIMEOUT);
	resolver_signal(r, SIGCONT);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	hc_destroy(hc);
}

static void test_live_destroy_and_restart_from_callback(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	struct hc *hc;

	/* In flight against a hung resolver, and with an answer waiting unread. */
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	assert_int_equal(hc_start(hc), 0);
	usleep(100000);
	hc_destroy(hc);
	resolver_signal(r, SIGSTOP);
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(hc_start(hc), 0);
	hc_destroy(hc);
	resolver_signal(r, SIGCONT);
	assert_int_equal(o.calls, 1);

	/* The callback starts the next probe: three answers from one hc_start. */
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	o.restart_me = hc;
	o.restarts = 2;
	o.calls = 0;
	assert_int_equal(hc_start(hc), 0);
	wait_probe(hc, &o, 3, 3000);
	assert_int_equal(o.r.status, HC_OK);
	assert_false(hc_busy(hc));

	/* The callback destroys hc, after a success and after a timeout. */
	o.destroy_me = hc;
	o.calls = 0;
	assert_int_equal(hc_start(hc), 0);
	wait_probe(hc, &o, 1, 2000);
	assert_null(o.destroy_me);

	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	resolver_signal(r, SIGSTOP);
	o.destroy_me = hc;
	o.calls = 0;
	assert_int_equal(hc_start(hc), 0);
	hc_expire(hc);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.r.status, HC_TIMEOUT);
	assert_null(o.destroy_me);
	resolver_signal(r, SIGCONT);
}

/* Over TCP a resolver that died refuses the connection: the probe fails at once, long
 * before its deadline (libunbound says SERVFAIL; the agent asks the kernel's socket table
 * why); a hung one still runs into the deadline. */
static void test_live_tcp(void **state)
{
	struct resolver *r = live(state);
	struct hc_params p = params(r, false, "probe.campus.test.", 1, RC(0));
	struct outcome o = {0};
	const struct hc_result *res;
	struct hc *hc;

	p.tcp = true;
	assert_int_equal(hc_create(&hc, &p, record, &o), 0);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	resolver_signal(r, SIGSTOP);
	assert_int_equal(probe(hc, &o, 300)->status, HC_TIMEOUT);
	resolver_signal(r, SIGCONT);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	resolver_signal(r, SIGKILL);
	res = probe(hc, &o, 2000);
	assert_int_equal(res->status, HC_RCODE);
	assert_int_equal(res->rcode, 2);
	assert_true(res->rtt_us < 1000000); /* the deadline was 2 s */
	resolver_start(r);
	assert_int_equal(probe(hc, &o, 2000)->status, HC_OK);
	hc_destroy(hc);
}

#define LIVE(t) cmocka_unit_test_setup_teardown(t, setup_resolver, teardown_resolver)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fsm),
	    cmocka_unit_test(test_fsm_saturates),
	    cmocka_unit_test(test_damp),
	    cmocka_unit_test(test_rcode_names),
	    cmocka_unit_test(test_qtype_names),
	    cmocka_unit_test(test_hc_without_resolver),
	    LIVE(test_live_ok),
	    LIVE(test_live_kill_no_cache_then_restart),
	    LIVE(test_live_servfail_injected),
	    LIVE(test_live_hung_then_continued),
	    LIVE(test_live_builtin_zones_reach_resolver),
	    LIVE(test_live_negative_answers),
	    LIVE(test_live_ipv6),
	    LIVE(test_live_tcp),
	    LIVE(test_live_destroy_and_restart_from_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
