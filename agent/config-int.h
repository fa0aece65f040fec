/* SPDX-License-Identifier: MIT */
/* config's insides, shared by config.c (the file, its sections and whole-file checks) and
 * config-values.c (one parser per kind of value). Not for other modules. */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/config.h"

#define CFG_NKEYS 29

struct cfg_key;
struct cfg_parser;

/* Parses value into field (inside struct cfg or the current struct cfg_service); reports
 * its own errors. */
typedef void (*cfg_parse_fn)(struct cfg_parser *ps, const struct cfg_key *k, const char *value,
			     void *field);

struct cfg_key {
	const char *name;
	bool service; /* a [service NAME] key, else an [agent] key */
	cfg_parse_fn parse;
	size_t offset, size; /* of the field */
	unsigned long min, max;
	const char *def; /* the default, parsed like a value; NULL: required */
	bool repeat;	 /* may be given more than once; the lines add up */
};

void cfg_p_ifname(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_bool(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_uint(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_path(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_pathspace(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_loglevel(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_addresses(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_resolver(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_query(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_expect(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_transport(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_standby(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_on_failure(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_announce(struct cfg_parser *, const struct cfg_key *, const char *, void *);
void cfg_p_deep_query(struct cfg_parser *, const struct cfg_key *, const char *, void *);

struct cfg_parser {
	const char *fname;
	const char *p; /* the rest of the text */
	unsigned line;
	struct cfg *cfg;
	struct cfg_errors *errs;
	bool nomem;
	/* The section the current line is in: the agent, a service, or none (bad header). */
	enum { SEC_NONE, SEC_AGENT, SEC_SERVICE, SEC_BAD } sec;
	unsigned agent_line;
	unsigned agent_keys[CFG_NKEYS]; /* the line each key was set on, 0: not set */
	unsigned (*svc_keys)[CFG_NKEYS];
	size_t cap_addrs;
};

void cfg_error(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfg_warning(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1-31 letters, digits, '_', '.' or '-': service names. */
bool cfg_valid_name(const char *s);

#endif
