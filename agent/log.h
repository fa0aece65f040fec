/* SPDX-License-Identifier: MIT */
/* log: one line per event on stderr; syslog priority prefixes ("<3>") when journald reads it. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <sys/uio.h>
#include <syslog.h>

/* level is a syslog priority: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
void log_init(int level);
void log_set_level(int level);
/* A level set on the command line: later log_set_level() calls (the config) are ignored. */
void log_force_level(int level);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A service's transition: the same line as log_msg(), and under journald (JOURNAL_STREAM)
 * a journal entry with the fields SERVICE=, STATE= and REASON= too (NULL or "": left out),
 * for `journalctl SERVICE=resolver`. */
void log_svc(int prio, const char *service, const char *state, const char *reason, const char *fmt,
	     ...) __attribute__((format(printf, 5, 6)));
/* An address's event (held back, restored, a conflict): SERVICE= and ADDRESS=. */
void log_addr(int prio, const char *service, const char *address, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct log_fields {
	const char *service, *state, *reason, *address; /* NULL or "": left out */
};

/* The journal entry of log_svc() and log_addr(): MESSAGE=, PRIORITY=,
 * SYSLOG_IDENTIFIER=anycast-agent, then SERVICE=, STATE=, REASON= and ADDRESS= unless NULL
 * or "", each "KEY=value" in buf, iov pointing at them. Returns how many, or -ENOSPC when
 * buf is too small. */
#define LOG_SVC_FIELDS 7
int log_svc_fields(struct iovec iov[LOG_SVC_FIELDS], char *buf, size_t len, int prio,
		   const struct log_fields *f, const char *msg);

/* "debug", "info", "warning", "error" -> priority; -1 when unknown. */
int log_level_parse(const char *name);

#endif
