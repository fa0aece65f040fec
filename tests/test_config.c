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
			       "[service second]\n"
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
			print_message("  %s\n", errs.msg[i]);
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
		if (!strcmp(errs.msg[i], want))
			return;
	print_message("wanted: %s\ngot %zu:\n", want, errs.n);
	for (size_t i = 0; i < errs.n; i++)
		print_message("  %s\n", errs.msg[i]);
	fail();
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
	char buf[NL_ADDRSTRLEN];

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
	s = cfg_service_find(cfg, "resolver");
	assert_non_null(s);
	assert_int_equal(s->line, 13);
	assert_int_equal(s->naddrs, 2);
	assert_string_equal(nl_addr_str(&s->addrs[0], buf, sizeof(buf)), "10.53.0.53/32");
	assert_string_equal(nl_addr_str(&s->addrs[1], buf, sizeof(buf)), "fd53::53/128");
	assert_string_equal(s->probe.server, "127.0.0.1@5353");
	assert_string_equal(s->probe.qname, "probe.campus.test.");
	assert_int_equal(s->probe.qtype, 28);
	assert_int_equal(s->probe.rcode_ok, (1u << 0) | (1u << 3));
	assert_int_equal(s->interval_ms, 250);
	assert_int_equal(s->probe.timeout_ms, 150);
	assert_int_equal(s->rise, 4);
	assert_int_equal(s->fall, 1);
	assert_false(s->probe.tcp);
	assert_int_equal(s->retry_ms, 0);
	s = cfg_service_find(cfg, "second");
	assert_non_null(s);
	assert_int_equal(s->naddrs, 2);
	assert_string_equal(s->probe.qname, "example.org.");
	assert_ptr_equal(cfg_addr_owner(cfg, &s->addrs[0]), s);
	assert_null(cfg_service_find(cfg, "nope"));
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
	s = &cfg->services[0];
	assert_string_equal(s->probe.server, "127.0.0.1@53");
	assert_int_equal(s->probe.qtype, 1);
	assert_int_equal(s->probe.rcode_ok, 1u);
	assert_int_equal(s->interval_ms, 100);
	assert_int_equal(s->probe.timeout_ms, 100);
	assert_int_equal(s->rise, 3);
	assert_int_equal(s->fall, 2);
	assert_true(s->probe.tcp);
	assert_int_equal(s->retry_ms, 10);
	cfg_free(cfg);
}

static void test_ipv6_resolver_and_bom(void **state)
{
	struct cfg *cfg = parse("\xEF\xBB\xBF[service r]\naddresses = fd53::53\n"
				"resolver = ::1\nquery = probe.test. TYPE65\n");

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->services[0].probe.server, "::1@53");
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
		     "t.conf:5: address 10.53.0.53/32 is already in [service a]");
	expect_error("[service a]\naddresses = 10.53.0.53\nresolver = 10.53.0.53@53\nquery = x.\n",
		     "t.conf:1: [service a] resolver 10.53.0.53 is an anycast address: probe the "
		     "host's own unicast or loopback address");
}

static void test_missing_and_twice(void **state)
{
	(void)state;
	expect_error("[agent]\n", "t.conf: no [service NAME] section: nothing to announce");
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
	    "t.conf:2: frr_pathspace 'a/b' must be 1-31 letters, digits, '_', '.' or '-'");
	expect_error("[agent]\ndrain_ms = 10001\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: drain_ms = 10001: expected a whole number from 0 to 10000");
	expect_error("[agent]\nlog_level = loud\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: log_level 'loud' is unknown (debug, info, warning or error)");
	expect_error("[agent]\nmaintenance_file = maint\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: maintenance_file 'maint' must be an absolute path");
	expect_error("[agent]\ninterface = a/b\n[service r]\naddresses = 10.0.0.1\nquery = x.\n",
		     "t.conf:2: interface 'a/b' is not a valid interface name (1-15 characters, no "
		     "'/', ':' or spaces)");
	expect_error("[agent]\ninterface = abcdefghijklmnop\n[service r]\naddresses = 10.0.0.1\n"
		     "query = x.\n",
		     "t.conf:2: interface 'abcdefghijklmnop' is not a valid interface name (1-15 "
		     "characters, no '/', ':' or spaces)");
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
	assert_string_equal(errs.msg[0], "t.conf:2: unknown key 'foo' in [agent]");
	assert_string_equal(errs.msg[1], "t.conf:3: unknown key 'bar' in [agent]");
	assert_true(!strncmp(errs.msg[2], "t.conf:5: ", 10));
	assert_true(!strncmp(errs.msg[3], "t.conf:6: ", 10));
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
	assert_string_equal(errs.msg[CFG_MAX_ERRORS], "t.conf: too many errors, giving up");
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
	assert_string_equal(errs.msg[0],
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
	assert_true(strstr(errs.msg[0], "NUL byte") != NULL);
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
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
