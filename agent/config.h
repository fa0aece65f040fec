/* SPDX-License-Identifier: MIT */
/* config: the INI file, parsed with inih into a fresh struct cfg that is validated whole
 * before anyone uses it, so a bad file never half-applies. */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "health/hc.h"
#include "netlink/nl.h"

#define CFG_DEFAULT_PATH  "/etc/anycast-agent/anycast-agent.conf"
#define CFG_MAX_SERVICES  64
#define CFG_MAX_ADDRS	  64 /* per service */
#define CFG_NAME_MAX	  32
#define CFG_MAX_ERRORS	  50
#define CFG_MAX_FILE_SIZE (1 << 20)

struct cfg_service {
	char name[CFG_NAME_MAX];
	unsigned line; /* of the section header, for messages */
	struct nl_addr addrs[CFG_MAX_ADDRS];
	size_t naddrs;
	struct hc_params probe;
	unsigned interval_ms, rise, fall;
	unsigned retry_ms; /* a failure while announced is confirmed this soon */
};

struct cfg {
	char interface[IFNAMSIZ];
	bool create_interface;
	char maintenance_file[PATH_MAX];
	bool withdraw_on_exit;
	unsigned drain_ms; /* planned withdrawals keep accepting traffic this long */
	bool frr_check;	   /* --check-once asks FRR too */
	char vtysh[PATH_MAX];
	char frr_pathspace[CFG_NAME_MAX]; /* vtysh -N, "" for the default */
	int log_level;			  /* syslog priority */
	struct cfg_service *services;
	size_t nservices;
};

/* "FILE:LINE: message" lines, at most CFG_MAX_ERRORS (then one "too many errors"). */
struct cfg_errors {
	size_t n;
	char msg[CFG_MAX_ERRORS + 1][320];
};

/* Parses text (named fname in messages). 0 and *out set, or -EINVAL with errs filled, or
 * -ENOMEM. */
int cfg_parse_string(const char *fname, const char *text, struct cfg **out,
		     struct cfg_errors *errs);
/* Reads path (at most CFG_MAX_FILE_SIZE) and parses it; an unreadable file is one error. */
int cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs);
void cfg_free(struct cfg *cfg);

const struct cfg_service *cfg_service_find(const struct cfg *cfg, const char *name);
/* The service that owns address a, or NULL. */
const struct cfg_service *cfg_addr_owner(const struct cfg *cfg, const struct nl_addr *a);

#endif
