/* SPDX-License-Identifier: MIT */
/* log: one line per event on stderr; syslog priority prefixes ("<3>") when journald reads it. */
#ifndef LOG_H
#define LOG_H

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

/* "debug", "info", "warning", "error" -> priority; -1 when unknown. */
int log_level_parse(const char *name);

#endif
