/* SPDX-License-Identifier: MIT */
/* Unit tests of agent/log.c: the journal fields of a service's transition, and the line
 * that goes to stderr when there is no journal to send them to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/log.h"

static void expect_field(const struct iovec *iov, const char *want)
{
	assert_int_equal(iov->iov_len, strlen(want));
	assert_memory_equal(iov->iov_base, want, strlen(want));
}

static void test_fields(void **state)
{
	struct iovec iov[LOG_SVC_FIELDS];
	char buf[512];

	(void)state;
	assert_int_equal(
	    log_svc_fields(iov, buf, sizeof(buf), LOG_WARNING,
			   &(struct log_fields){"resolver", "down", "rcode SERVFAIL", NULL},
			   "resolver: DOWN after 2 failed probes"),
	    6);
	expect_field(&iov[0], "MESSAGE=resolver: DOWN after 2 failed probes");
	expect_field(&iov[1], "PRIORITY=4");
	expect_field(&iov[2], "SYSLOG_IDENTIFIER=anycast-agent");
	expect_field(&iov[3], "SERVICE=resolver");
	expect_field(&iov[4], "STATE=down");
	expect_field(&iov[5], "REASON=rcode SERVFAIL");
	/* no reason (an UP line), no state: left out, not sent empty */
	assert_int_equal(log_svc_fields(iov, buf, sizeof(buf), LOG_INFO,
					&(struct log_fields){.service = "resolver", .state = ""},
					"resolver: UP"),
			 4);
	expect_field(&iov[2], "SYSLOG_IDENTIFIER=anycast-agent");
	expect_field(&iov[3], "SERVICE=resolver");
	/* an address's event (log_addr()) */
	assert_int_equal(
	    log_svc_fields(iov, buf, sizeof(buf), LOG_WARNING,
			   &(struct log_fields){.service = "resolver", .address = "10.53.0.53/32"},
			   "resolver: not announcing 10.53.0.53/32"),
	    5);
	expect_field(&iov[3], "SERVICE=resolver");
	expect_field(&iov[4], "ADDRESS=10.53.0.53/32");
}

/* Every field in the buffer, or an error: never a truncated one. */
static void test_fields_no_space(void **state)
{
	struct iovec iov[LOG_SVC_FIELDS];
	/* "MESSAGE=m" "PRIORITY=6" "SYSLOG_IDENTIFIER=anycast-agent" "SERVICE=s", each + NUL */
	size_t need = 10 + 11 + 32 + 10;
	char buf[64];

	(void)state;
	assert_int_equal(
	    log_svc_fields(iov, buf, need, LOG_INFO, &(struct log_fields){.service = "s"}, "m"), 4);
	expect_field(&iov[3], "SERVICE=s");
	assert_int_equal(
	    log_svc_fields(iov, buf, need - 1, LOG_INFO, &(struct log_fields){.service = "s"}, "m"),
	    -ENOSPC);
	assert_int_equal(
	    log_svc_fields(iov, buf, 0, LOG_INFO, &(struct log_fields){.service = "s"}, "m"),
	    -ENOSPC);
}

/* Runs log_svc() with stderr in a file; returns what it wrote (static). */
static const char *stderr_of_log_svc(void)
{
	static char out[2048];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fileno(f), 2), 2);
	log_svc(LOG_WARNING, "resolver", "down", "rcode SERVFAIL",
		"%s: DOWN after %d failed probes", "resolver", 2);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

/* Without JOURNAL_STREAM: the usual line, timestamp and level. */
static void test_svc_line_without_journal(void **state)
{
	const char *out, *want = " warning: resolver: DOWN after 2 failed probes\n";

	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO);
	out = stderr_of_log_svc();
	assert_true(strlen(out) > strlen(want));
	assert_string_equal(out + strlen(out) - strlen(want), want);
}

/* JOURNAL_STREAM set but no journal to send the fields to: the stream line, not silence. */
static void test_svc_line_journal_unreachable(void **state)
{
	(void)state;
	if (access("/run/systemd/journal/socket", F_OK) == 0)
		skip(); /* a real journal would take the entry */
	setenv("JOURNAL_STREAM", "8:1234", 1);
	log_init(LOG_INFO);
	assert_string_equal(stderr_of_log_svc(), "<4>resolver: DOWN after 2 failed probes\n");
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_fields_no_space),
	    cmocka_unit_test(test_svc_line_without_journal),
	    cmocka_unit_test(test_svc_line_journal_unreachable),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
