/* SPDX-License-Identifier: MIT */
/* Helpers shared by test_frr.c (OSPF) and test_frr_bgp.c (BGP): canned answers from
 * tests/data/frr/, and a fake vtysh (a shell script in a temporary directory) that logs its
 * arguments. Static inline so that a file that leaves one unused does not warn. */
#ifndef FRR_TEST_H
#define FRR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/frr.h"

#define DATA "tests/data/frr/"

static char dir[64], data_dir[512];

static inline char *slurp(const char *name)
{
	char path[256];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path), DATA "%s", name);
	f = fopen(path, "r");
	if (!f)
		print_error("%s: %s (run from the top of the tree)\n", path, strerror(errno));
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

static inline uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int setup(void **state)
{
	char cwd[400];

	(void)state;
	strcpy(dir, "/tmp/test_frr.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(data_dir, sizeof(data_dir), "%s/" DATA, cwd);
	return 0;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* dir/vtysh: logs its arguments to dir/args, then body with $cmd set to its -c command */
static inline const char *script(const char *body)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vtysh", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"#!/bin/sh\n"
		"D='%s'; F='%s'\n"
		"echo \"$@\" >>\"$D/args\"\n"
		"[ \"$1\" = -N ] && shift 2\n"
		"cmd=\"$2\"\n"
		"%s\n",
		dir, data_dir, body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static inline struct nl_addr addr(const char *s)
{
	struct nl_addr a;

	memset(&a, 0xa5, sizeof(a)); /* what lies past an IPv4 address must not matter */
	assert_int_equal(nl_addr_parse(s, &a), 0);
	return a;
}

/* What the fake vtysh was asked, one line per run; the log is removed. */
static inline void read_args(char *args, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/args", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	memset(args, 0, size);
	assert_true(fread(args, 1, size - 1, f) > 0);
	fclose(f);
	remove(path);
}

#endif
