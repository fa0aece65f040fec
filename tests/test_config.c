/* SPDX-License-Identifier: MIT */
/* Unit tests of agent/config.c through cfg_parse_string (inih's stream parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <fcntl.h>
#include <unistd.h>

#include "agent/config.h"

static const char *good_text = "; a full file\n"
			       "[agent]\n"
			       "interface = anycast0\n"
			       "create_interface = no\n"
			       "standby_interface = anycast-sb\n"
			       "maintenance_file = /run/aa/maint ; inline comment\n"
			       "withdraw_on_exit = off\n"
			       "drain_ms = 0\n"
			       "frr_check = no\n"
			       "vtysh = /opt/frr/bin/vtysh\n"
			       "frr_pathspace = campus-a\n"
			       "log_level = debug\n"
			       "\n"
			       "[service resolver]\n"
			       "addresses = 10.53.0.53/32, fd53::53/128\n"
			       "resolver = 127.0.0.1@5353\n"
			       "query = probe.campus.test AAAA\n"
			       "expect_rcode = NOERROR NXDOMAIN\n"
			       "interval_ms = 250\n"
			       "timeout_ms = 150\n"
			       "rise = 4\n"
			       "fall = 1\n"
			       "transport = udp\n"
			       "retry_ms = 0\n"
			       "damping_half_life_ms = 2000\n"
			       "on_failure = standby\n"
			       "deep_query = example.org. AAAA\n"
			       "deep_expect_rcode = NOERROR NXDOMAIN\n"
			       "deep_interval_ms = 2000\n"
			       "deep_timeout_ms = 500\n"
			       "deep_on_failure = withdraw\n"
			       "[service second]\n"
			       "  on_failure = withdraw\n"
			       "  addresses = 10.53.0.54 ; indented: a key, not a continuation\n"
			       "  query = example.org.\n"
			       "  addresses = fd53::54 ; a second line adds to the first\n";

static struct cfg_errors errs;

static struct cfg *parse(const char *text)
{
	struct cfg *cfg = NULL;
	int ret = cfg_parse_string("t.conf", text, &cfg, &errs);

	if (ret < 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_message("  %s\n", errs.msg[i].text);
		return NULL;
	}
	return cfg;
}

/* The text must fail, with (among others) exactly this error line. */
static void expect_error(const char *text, const char *want)
{
	struct cfg *cfg = NULL;
	int ret = cfg_parse_string("t.conf", text, &cfg, &errs);

	assert_int_equal(ret, -EINVAL);
	assert_null(cfg);
	for (size_t i = 0; i < errs.n; i++)
		if (!strcmp(errs.msg[i].text, want))
			return;
	print_message("wanted: %s\ngot %zu:\n", want, errs.n);
	for (size_t i = 0; i < errs.n; i++)
		print_message("  %s\n", errs.msg[i].text);
	fail();
}

static const struct cfg_service *find(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

static const char *server(const struct cfg_service *s)
{
	static char buf[HC_SERVER_MAX];

	return hc_server_str(&s->probe.server, buf, sizeof(buf));
}

static const char *addr_str(const struct cfg *cfg, const struct cfg_service *s, size_t j)
{
	static char buf[NL_ADDRSTRLEN];

	assert_true(j < s->naddrs);
	return nl_addr_str(&cfg->addrs[s->first + j].addr, buf, sizeof(buf));
}

/* A file with one service around `line`, which lands on line 4. */
static void expect_service_error(const char *line, const char *want)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "[service r]\naddresses = 10.53.0.53\nquery = probe.test. A\n%s\n", line);
	expect_error(text, want);
}

static void test_good(void **state)
{
	struct cfg *cfg = parse(good_text);
	const struct cfg_service *s;

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->interface, "anycast0");
	assert_false(cfg->create_interface);
	assert_string_equal(cfg->maintenance_file, "/run/aa/maint");
	assert_false(cfg->withdraw_on_exit);
	assert_int_equal(cfg->drain_ms, 0);
	assert_false(cfg->frr_check);
	assert_string_equal(cfg->vtysh, "/opt/frr/bin/vtysh");
	assert_string_equal(cfg->frr_pathspace, "campus-a");
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->nservices, 2);
	s = find(cfg, "resolver");
	assert_non_null(s);
	assert_int_equal(s->line, 14);
	assert_string_equal(cfg->standby_interface, "anycast-sb");
	assert_false(s->fail_withdraw);
	/* the deep probe: its own name, rcodes and timing, the service's resolver and transport */
	assert_string_equal(s->deep.qname, "example.org.");
	assert_int_equal(s->deep.qtype, 28);
	assert_int_equal(s->deep.rcode_ok, (1u << 0) | (1u << 3));
	assert_int_equal(s->deep_interval_ms, 2000);
	assert_int_equal(s->deep.timeout_ms, 500);
	assert_true(s->deep_fail_withdraw);
	assert_true(s->deep.server.ss_family == AF_INET && !s->deep.tcp);
	assert_memory_equal(&s->deep.server, &s->probe.server, sizeof(s->probe.server));
	assert_int_equal(s->naddrs, 2);
	assert_string_equal(addr_str(cfg, s, 0), "10.53.0.53/32");
	assert_string_equal(addr_str(cfg, s, 1), "fd53::53/128");
	assert_string_equal(server(s), "127.0.0.1@5353");
	assert_string_equal(s->probe.qname, "probe.campus.test.");
	assert_int_equal(s->probe.qtype, 28);
	assert_int_equal(s->probe.rcode_ok, (1u << 0) | (1u << 3));
	assert_int_equal(s->interval_ms, 250);
	assert_int_equal(s->probe.timeout_ms, 150);
	assert_int_equal(s->rise, 4);
	assert_int_equal(s->fall, 1);
	assert_false(s->probe.tcp);
	assert_int_equal(s->retry_ms, 0);
	assert_int_equal(s->damp_half_life_ms, 2000);
	s = find(cfg, "second");
	assert_non_null(s);
	assert_int_equal(s->naddrs, 2);
	assert_string_equal(s->probe.qname, "example.org.");
	assert_true(s->fail_withdraw);
	/* the flat address table and its index */
	assert_int_equal(cfg->naddrs, 4);
	for (size_t i = 0; i < cfg->naddrs; i++)
		assert_int_equal(cfg_addr_find(cfg, &cfg->addrs[i].addr), (ssize_t)i);
	assert_ptr_equal(&cfg->services[cfg->addrs[s->first].svc], s);
	assert_string_equal(addr_str(cfg, s, 1), "fd53::54/128");
	{
		struct nl_addr a;

		assert_int_equal(nl_addr_parse("10.53.0.99", &a), 0);
		assert_int_equal(cfg_addr_find(cfg, &a), -1);
		assert_int_equal(nl_addr_parse("fd53::53/127", &a), 0);
		assert_int_equal(cfg_addr_find(cfg, &a), -1);
	}
	assert_null(find(cfg, "nope"));
	cfg_free(cfg);
}

static void test_defaults(void **state)
{
	struct cfg *cfg = parse("[service r]\naddresses = 10.53.0.53\nquery = probe.test.\n");
	const struct cfg_service *s;

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->interface, "anycast0");
	assert_true(cfg->create_interface);
	assert_string_equal(cfg->maintenance_file, "/etc/anycast-agent/maintenance");
	assert_true(cfg->withdraw_on_exit);
	assert_int_equal(cfg->drain_ms, 500);
	assert_true(cfg->frr_check);
	assert_string_equal(cfg->vtysh, "/usr/bin/vtysh");
	assert_string_equal(cfg->frr_pathspace, "");
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_string_equal(cfg->standby_interface, "");
	assert_false(cfg->standby_address);
	assert_int_equal(cfg->interface_line, 0);
	assert_string_equal(cfg->services[0].deep.qname, "");
	assert_int_equal(cfg->services[0].deep_interval_ms, 1000);
	assert_false(cfg->services[0].deep_fail_withdraw);
	assert_string_equal(cfg->metrics_file, "");
	s = &cfg->services[0];
	assert_string_equal(server(s), "127.0.0.1@53");
	assert_int_equal(s->probe.qtype, 1);
	assert_int_equal(s->probe.rcode_ok, 1u);
	assert_int_equal(s->interval_ms, 100);
	assert_int_equal(s->probe.timeout_ms, 100);
	assert_int_equal(s->rise, 3);
	assert_int_equal(s->fall, 2);
	assert_true(s->probe.tcp);
	assert_int_equal(s->retry_ms, 10);
	assert_int_equal(s->damp_half_life_ms, 2000);
	cfg_free(cfg);
}

static void test_ipv6_resolver_and_bom(void **state)
{
	struct cfg *cfg = parse("\xEF\xBB\xBF[service r]\naddresses = fd53::53\n"
				"resolver = ::1\nquery = probe.test. TYPE65\n");

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(server(&cfg->services[0]), "::1@53");
	assert_int_equal(cfg->services[0].probe.qtype, 65);
	cfg_free(cfg);
}

static void test_unknown_section_and_key(void **state)
{
	(void)state;
	expect_error("[agent]\ninterface = a0\n[bogus]\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.test.\n",
		     "t.conf:3: unknown section [bogus] (expected [agent] or [service NAME])");
	expect_error("[agent]\ninterfce = a0\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: unknown key 'interfce' in [agent]");
	/* A service key in [agent] is unknown there. */
	expect_error("[agent]\nrise = 3\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: unknown key 'rise' in [agent]");
	expect_service_error("interface = a0", "t.conf:4: unknown key 'interface' in [service]");
	expect_error("interface = a0\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:1: 'interface' is outside any section");
	expect_error("[service]\naddresses = 10.0.0.1\n",
		     "t.conf:1: [service NAME] needs a name of 1-31 letters, digits, '_', '.' or "
		     "'-'");
}

static void test_numbers(void **state)
{
	(void)state;
	expect_service_error(
	    "interval_ms = 0",
	    "t.conf:4: interval_ms = 0: expected a whole number from 10 to 3600000");
	expect_service_error("interval_ms = 0x64",
			     "t.conf:4: interval_ms = 0x64: expected a whole number from 10 to "
			     "3600000");
	expect_service_error("timeout_ms = -5",
			     "t.conf:4: timeout_ms = -5: expected a whole number from 10 to 10000");
	expect_service_error(
	    "rise = 99999999999999999999",
	    "t.conf:4: rise = 99999999999999999999: expected a whole number from 1 "
	    "to 1000");
	expect_service_error("fall = 2x", "t.conf:4: fall = 2x: expected a whole number from 1 to "
					  "1000");
	expect_service_error("retry_ms = 60001",
			     "t.conf:4: retry_ms = 60001: expected a whole number from 0 to 60000");
	expect_service_error("transport = sctp", "t.conf:4: transport 'sctp': expected udp or tcp");
	expect_service_error("deep_query = example.org.\ndeep_timeout_ms = 2000",
			     "t.conf:5: [service r] deep_timeout_ms (2000) is longer than "
			     "deep_interval_ms (1000)");
	expect_service_error("deep_query = bad..name",
			     "t.conf:4: deep_query 'bad..name' is not 'NAME [TYPE]' with a valid "
			     "DNS name");
	expect_service_error("on_failure = ignore",
			     "t.conf:4: on_failure 'ignore': expected standby or withdraw");
	expect_error(
	    "[agent]\ninterface = a0\nstandby_interface = a0\n[service r]\naddresses = "
	    "10.0.0.1\nquery = x.\n",
	    "t.conf:3: standby_interface a0 is the interface itself: name a second interface, "
	    "which the routing configuration announces at a worse metric");
	expect_error("[agent]\nstandby_announce = prefix\n[service r]\naddresses = "
		     "10.0.0.1\nquery = x.\n",
		     "t.conf:2: standby_announce 'prefix': expected route or address");
	expect_error("[agent]\nstandby_interface = a/b\n[service r]\naddresses = "
		     "10.0.0.1\nquery = x.\n",
		     "t.conf:2: standby_interface 'a/b' is not a valid interface name (1-15 "
		     "characters, no '/', ':', spaces or control characters, not '.' or '..')");
	expect_service_error(
	    "damping_half_life_ms = 3600001",
	    "t.conf:4: damping_half_life_ms = 3600001: expected a whole number from 0 "
	    "to 3600000");
	expect_service_error("fall = 1001",
			     "t.conf:4: fall = 1001: expected a whole number from 1 to 1000");
}

static void test_addresses(void **state)
{
	(void)state;
	expect_error("[service r]\naddresses = 10.53.0.300/32\nquery = x.\n",
		     "t.conf:2: '10.53.0.300/32' is not an IPv4 or IPv6 address with an optional "
		     "/prefix");
	expect_error("[service r]\naddresses = 10.53.0.53/33\nquery = x.\n",
		     "t.conf:2: '10.53.0.53/33' is not an IPv4 or IPv6 address with an optional "
		     "/prefix");
	expect_error("[service r]\naddresses = 10.53.0.53, 10.53.0.53/32\nquery = x.\n",
		     "t.conf:2: address 10.53.0.53/32 listed twice");
	expect_error("[service r]\naddresses = 10.53.0.53\nquery = x.\naddresses = 10.53.0.53/32\n",
		     "t.conf:4: address 10.53.0.53/32 listed twice");
	expect_error("[service a]\naddresses = 10.53.0.53\nquery = x.\n"
		     "[service b]\naddresses = fd53::1, 10.53.0.53\nquery = x.\n",
		     "t.conf:5: address 10.53.0.53/32 is already in [service a] (line 2)");
	expect_error("[service a]\naddresses = 10.53.0.53\nresolver = 10.53.0.53@53\nquery = x.\n",
		     "t.conf:3: [service a] resolver 10.53.0.53@53 is an anycast address: probe "
		     "the host's own unicast or loopback address");
	/* only hosts: a prefix would be announced from every instance */
	expect_error("[service r]\naddresses = 10.53.0.0/24\nquery = x.\n",
		     "t.conf:2: address 10.53.0.0/24: a service address is one host (/32): routers "
		     "would announce the whole /24 from every instance");
	expect_error("[service r]\naddresses = fd53::53/64\nquery = x.\n",
		     "t.conf:2: address fd53::53/64: a service address is one host (/128): routers "
		     "would announce the whole /64 from every instance");
	/* addresses no router announces */
	expect_error(
	    "[service r]\naddresses = 0.0.0.0\nquery = x.\n",
	    "t.conf:2: address 0.0.0.0 is unspecified ('this network', 0.0.0.0/8): routers "
	    "cannot announce it");
	expect_error("[service r]\naddresses = ::\nquery = x.\n",
		     "t.conf:2: address :: is unspecified: routers cannot announce it");
	expect_error("[service r]\naddresses = 127.0.0.53\nquery = x.\n",
		     "t.conf:2: address 127.0.0.53 is loopback: routers cannot announce it");
	expect_error("[service r]\naddresses = ::1\nquery = x.\n",
		     "t.conf:2: address ::1 is loopback: routers cannot announce it");
	expect_error("[service r]\naddresses = 224.0.0.53\nquery = x.\n",
		     "t.conf:2: address 224.0.0.53 is multicast: routers cannot announce it");
	expect_error("[service r]\naddresses = ff02::53\nquery = x.\n",
		     "t.conf:2: address ff02::53 is multicast: routers cannot announce it");
	expect_error("[service r]\naddresses = 169.254.0.53\nquery = x.\n",
		     "t.conf:2: address 169.254.0.53 is link-local: routers cannot announce it");
	expect_error("[service r]\naddresses = fe80::53\nquery = x.\n",
		     "t.conf:2: address fe80::53 is link-local: routers cannot announce it");
	expect_error("[service r]\naddresses = 255.255.255.255\nquery = x.\n",
		     "t.conf:2: address 255.255.255.255 is broadcast: routers cannot announce it");
	expect_error(
	    "[service r]\naddresses = ::ffff:10.53.0.53\nquery = x.\n",
	    "t.conf:2: address ::ffff:10.53.0.53 is IPv4-mapped: routers cannot announce it");
	/* a resolver inside a service prefix is anycast too, and never a wildcard */
	expect_error("[service a]\naddresses = fd53::53\nresolver = fd53::53@5353\nquery = x.\n",
		     "t.conf:3: [service a] resolver fd53::53@5353 is an anycast address: probe "
		     "the host's own unicast or loopback address");
	expect_service_error(
	    "resolver = 0.0.0.0",
	    "t.conf:4: resolver 0.0.0.0: probe one resolver's own unicast address");
	expect_service_error(
	    "resolver = ff02::1@53",
	    "t.conf:4: resolver ff02::1: probe one resolver's own unicast address");
}

static void test_missing_and_twice(void **state)
{
	(void)state;
	expect_error("[service r]\nquery = x.\n", "t.conf:1: [service r] has no 'addresses'");
	expect_error("[service r]\naddresses = 10.0.0.1\n", "t.conf:1: [service r] has no 'query'");
	/* A section with no key at all is still seen (inih alone would not report it). */
	expect_error("[service r]\naddresses = 10.0.0.1\nquery = x.\n[service empty]\n",
		     "t.conf:4: [service empty] has no 'addresses'");
	expect_service_error("query = y.", "t.conf:4: 'query' set twice (first on line 3)");
	expect_error("[service r]\naddresses = 10.0.0.1\nquery = x.\n[service r]\n",
		     "t.conf:4: service 'r' given twice (first on line 1)");
	expect_error("[agent]\n[agent]\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: [agent] given twice (first on line 1)");
	expect_service_error("rise =", "t.conf:4: 'rise' has an empty value");
}

static void test_values(void **state)
{
	char text[512];

	(void)state;
	expect_service_error("resolver = localhost",
			     "t.conf:4: resolver 'localhost' is not ADDRESS[@PORT] (e.g. "
			     "127.0.0.1@53 or ::1)");
	expect_service_error("resolver = 127.0.0.1@0",
			     "t.conf:4: resolver '127.0.0.1@0' is not ADDRESS[@PORT] (e.g. "
			     "127.0.0.1@53 or ::1)");
	expect_service_error("expect_rcode = NOERROR REFUSED",
			     "t.conf:4: expect_rcode: REFUSED cannot be seen through libunbound: "
			     "use NOERROR and/or NXDOMAIN");
	expect_service_error("expect_rcode = NOERROR BOGUS",
			     "t.conf:4: expect_rcode: 'BOGUS' is not an rcode (e.g. NOERROR)");
	expect_error("[service r]\naddresses = 10.0.0.1\nquery = x. WHAT\n",
		     "t.conf:3: query type 'WHAT' is unknown (e.g. A, AAAA, TXT, TYPE65)");
	expect_error("[service r]\naddresses = 10.0.0.1\nquery = a..b A\n",
		     "t.conf:3: query 'a..b A' is not 'NAME [TYPE]' with a valid DNS name");
	expect_error("[service r]\naddresses = 10.0.0.1\nquery = x. A extra\n",
		     "t.conf:3: query 'x. A extra' is not 'NAME [TYPE]' with a valid DNS name");
	snprintf(text, sizeof(text), "[service r]\naddresses = 10.0.0.1\nquery = %0*d.test.\n", 64,
		 0);
	expect_error(text,
		     "t.conf:3: query '0000000000000000000000000000000000000000000000000000000"
		     "000000000.test.' is not 'NAME [TYPE]' with a valid DNS name");
	expect_error("[agent]\ncreate_interface = maybe\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: create_interface = maybe: expected yes or no");
	expect_error("[agent]\nvtysh = vtysh\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: vtysh 'vtysh' must be an absolute path");
	expect_error(
	    "[agent]\nfrr_pathspace = a/b\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
	    "t.conf:2: frr_pathspace 'a/b' must be 1-31 letters, digits, '_', '.' or '-', "
	    "starting with a letter or digit");
	/* vtysh -N would take these for a directory or an option */
	expect_error("[agent]\nfrr_pathspace = ..\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: frr_pathspace '..' must be 1-31 letters, digits, '_', '.' or '-', "
		     "starting with a letter or digit");
	expect_error("[agent]\nfrr_pathspace = .\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: frr_pathspace '.' must be 1-31 letters, digits, '_', '.' or '-', "
		     "starting with a letter or digit");
	expect_error("[agent]\nfrr_pathspace = -c\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: frr_pathspace '-c' must be 1-31 letters, digits, '_', '.' or '-', "
		     "starting with a letter or digit");
	/* control bytes never reach a log line */
	expect_error("[agent]\ninterface = a\x1b[2Jb\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: 'interface' contains a control character");
	/* a probe that would still run when the next is due */
	expect_service_error("timeout_ms = 500",
			     "t.conf:4: [service r] timeout_ms (500) is longer than interval_ms "
			     "(100): a probe would still run when the next is due");
	expect_error("[agent]\ndrain_ms = 10001\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: drain_ms = 10001: expected a whole number from 0 to 10000");
	expect_error("[agent]\nlog_level = loud\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: log_level 'loud' is unknown (debug, info, warning or error)");
	expect_error("[agent]\nmaintenance_file = maint\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: maintenance_file 'maint' must be an absolute path");
	expect_error("[agent]\nmetrics_file = m.prom\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: metrics_file 'm.prom' must be an absolute path");
	expect_error("[agent]\ninterface = a/b\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: interface 'a/b' is not a valid interface name (1-15 characters, no "
		     "'/', ':', spaces or control characters, not '.' or '..')");
	expect_error("[agent]\ninterface = abcdefghijklmnop\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: interface 'abcdefghijklmnop' is not a valid interface name (1-15 "
		     "characters, no '/', ':', spaces or control characters, not '.' or '..')");
}

static void test_syntax(void **state)
{
	char text[1024];

	(void)state;
	expect_error("[agent\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:1: section header without ']'");
	expect_service_error("just words", "t.conf:4: expected 'key = value'");
	snprintf(text, sizeof(text), "[service r]\naddresses = 10.0.0.1\nquery = x.\n# %0*d\n", 300,
		 0);
	expect_error(text, "t.conf:4: line too long (at most 198 characters)");
	/* \f and \v are white space, not the start of a continuation line */
	{
		struct cfg *cfg =
		    parse("[service r]\naddresses = 10.0.0.1\nquery = x.\n\v\frise = 4\n");

		assert_non_null(cfg);
		assert_int_equal(cfg->services[0].rise, 4);
		cfg_free(cfg);
	}
}

static void test_every_error_reported(void **state)
{
	struct cfg *cfg = NULL;

	(void)state;
	assert_int_equal(cfg_parse_string("t.conf",
					  "[agent]\nfoo = 1\nbar = 2\n[service r]\n"
					  "addresses = nope\ninterval_ms = 1\nquery = x.\n",
					  &cfg, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 4);
	assert_string_equal(errs.msg[0].text, "t.conf:2: unknown key 'foo' in [agent]");
	assert_string_equal(errs.msg[1].text, "t.conf:3: unknown key 'bar' in [agent]");
	assert_true(!strncmp(errs.msg[2].text, "t.conf:5: ", 10));
	assert_true(!strncmp(errs.msg[3].text, "t.conf:6: ", 10));
}

/* Whole-file checks find their errors last, but they are printed in line order. */
static void test_line_order(void **state)
{
	struct cfg *cfg = NULL;

	(void)state;
	assert_int_equal(cfg_parse_string("t.conf",
					  "[service a]\naddresses = 10.53.0.53\n"
					  "[service b]\naddresses = 10.53.0.53\nquery = x.\n"
					  "bogus = 1\n",
					  &cfg, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.msg[0].text, "t.conf:1: [service a] has no 'query'");
	assert_string_equal(errs.msg[1].text,
			    "t.conf:4: address 10.53.0.53/32 is already in [service a] (line 2)");
	assert_string_equal(errs.msg[2].text, "t.conf:6: unknown key 'bogus' in [service]");
}

/* No service: valid (a fresh package waits for one), with a warning that says so. */
static void test_no_service(void **state)
{
	struct cfg *cfg = NULL;

	(void)state;
	assert_int_equal(cfg_parse_string("t.conf", "[agent]\ninterface = anycast0\n", &cfg, &errs),
			 0);
	assert_int_equal(cfg->nservices, 0);
	assert_int_equal(cfg->naddrs, 0);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.nerrors, 0);
	assert_true(errs.msg[0].warning);
	assert_string_equal(errs.msg[0].text,
			    "t.conf: warning: no [service NAME] section: nothing will be announced "
			    "until one is added and the agent reloaded");
	cfg_free(cfg);
}

static void test_too_many_errors(void **state)
{
	char *text = malloc(200 * 16 + 64);
	struct cfg *cfg = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(text);
	len += (size_t)sprintf(text, "[agent]\n");
	for (int i = 0; i < 200; i++)
		len += (size_t)sprintf(text + len, "k%d = 1\n", i);
	assert_int_equal(cfg_parse_string("t.conf", text, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.n, CFG_MAX_ERRORS + 1);
	assert_string_equal(errs.msg[CFG_MAX_ERRORS].text, "t.conf: too many errors, giving up");
	free(text);
}

static void test_load(void **state)
{
	char path[] = "/tmp/aa-test-config-XXXXXX";
	struct cfg *cfg = NULL;
	int fd;

	(void)state;
	assert_int_equal(cfg_load("/nonexistent/aa.conf", &cfg, &errs), -ENOENT);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0].text,
			    "/nonexistent/aa.conf: cannot open: No such file or directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good_text, strlen(good_text)), (ssize_t)strlen(good_text));
	close(fd);
	assert_int_equal(cfg_load(path, &cfg, &errs), 0);
	assert_int_equal(cfg->nservices, 2);
	cfg_free(cfg);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\0y\n", 4), 4);
	close(fd);
	assert_int_equal(cfg_load(path, &cfg, &errs), -EINVAL);
	assert_true(strstr(errs.msg[0].text, "NUL byte") != NULL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_ipv6_resolver_and_bom),
	    cmocka_unit_test(test_unknown_section_and_key),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_missing_and_twice),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_every_error_reported),
	    cmocka_unit_test(test_line_order),
	    cmocka_unit_test(test_no_service),
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
