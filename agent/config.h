/* SPDX-License-Identifier: MIT */
/* config: the INI file, parsed with inih into a fresh struct cfg that is validated whole
 * before anyone uses it, so a bad file never half-applies. Every key lives in one table
 * (name, section, parser, field, range, default) in config.c. */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "health/hc.h"
#include "netlink/nl.h"

#define CFG_DEFAULT_PATH  "/etc/anycast-agent/anycast-agent.conf"
#define CFG_MAX_SERVICES  64
#define CFG_MAX_ADDRS	  64 /* per service */
#define CFG_NAME_MAX	  32
#define CFG_MAX_ERRORS	  50
#define CFG_MAX_FILE_SIZE (1 << 20)

/* One service address; cfg->addrs holds them all, each service's side by side. */
struct cfg_addr {
	struct nl_addr addr;
	size_t svc;    /* index into cfg->services */
	unsigned line; /* of its 'addresses' line */
};

struct cfg_service {
	char name[CFG_NAME_MAX];
	unsigned line;	      /* of the section header, for messages */
	size_t first, naddrs; /* cfg->addrs[first] .. cfg->addrs[first + naddrs - 1] */
	struct hc_params probe;
	unsigned interval_ms, rise, fall;
	unsigned retry_ms;	    /* a failure while announced is confirmed this soon */
	unsigned damp_half_life_ms; /* flap damping (health/damp.c); 0: off */
	bool fail_withdraw;	    /* on_failure = withdraw: never to the standby interface */
	/* The deep probe (deep_query): the same resolver and transport, its own name,
	 * rcodes, deadline and interval; deep.qname "" for none. */
	struct hc_params deep;
	unsigned deep_interval_ms;
	bool deep_fail_withdraw;
};

struct cfg {
	char interface[IFNAMSIZ];
	unsigned interface_line; /* 0 when defaulted */
	/* A failed service whose resolver still runs moves its addresses here (announced at a
	 * metric no healthy instance loses to) instead of withdrawing them; "" for none. */
	char standby_interface[IFNAMSIZ];
	/* standby_announce = address: the standby is the address on standby_interface (for
	 * FRR's intra-area variant, a passive interface with a high cost), not routes */
	bool standby_address;
	bool create_interface;
	char maintenance_file[PATH_MAX];
	bool withdraw_on_exit;
	unsigned drain_ms; /* planned withdrawals keep accepting traffic this long */
	bool frr_check;	   /* --check-once asks FRR too */
	char vtysh[PATH_MAX];
	char frr_pathspace[CFG_NAME_MAX]; /* vtysh -N, "" for the default */
	int log_level;			  /* syslog priority */
	char metrics_file[PATH_MAX];	  /* Prometheus text file, "" for none */
	struct cfg_service *services;
	size_t nservices;
	struct cfg_addr *addrs;
	size_t naddrs;
	size_t *sorted; /* indexes into addrs in address order, for cfg_addr_find() */
};

/* Messages "FILE:LINE: text" (or "FILE: text" for the whole file), errors and warnings,
 * in line order. At most CFG_MAX_ERRORS, then one "too many errors". */
struct cfg_msg {
	unsigned line; /* 0: about the whole file, sorted last */
	bool warning;
	char text[320];
};

struct cfg_errors {
	size_t n;	/* messages in msg[] */
	size_t nerrors; /* of which errors (the rest are warnings) */
	struct cfg_msg msg[CFG_MAX_ERRORS + 1];
};

/* Parses text (named fname in messages). 0 and *out set (errs may hold warnings), or
 * -EINVAL with errs filled, or -ENOMEM. */
int cfg_parse_string(const char *fname, const char *text, struct cfg **out,
		     struct cfg_errors *errs);
/* Reads path (at most CFG_MAX_FILE_SIZE) and parses it; an unreadable file is one error. */
int cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs);
void cfg_free(struct cfg *cfg);

/* The index in cfg->addrs of a (same address and prefix length), or -1. */
ssize_t cfg_addr_find(const struct cfg *cfg, const struct nl_addr *a);

#endif
