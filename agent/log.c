/* SPDX-License-Identifier: MIT */
#include "agent/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The only process-wide state: the log sink is one per process by nature. */
static int log_level = LOG_INFO;
static bool log_prefix;
static bool log_forced; /* -d: the config's log_level, reloads included, does not apply */

void log_init(int level)
{
	log_level = level;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(int level)
{
	if (!log_forced)
		log_level = level;
}

void log_force_level(int level)
{
	log_level = level;
	log_forced = true;
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const names[] = {[LOG_ERR] = "error",
					    [LOG_WARNING] = "warning",
					    [LOG_INFO] = "info",
					    [LOG_DEBUG] = "debug"};
	char line[1024];
	va_list ap;
	int n;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (log_prefix) {
		fprintf(stderr, "<%d>%s\n", prio, line);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000L,
			prio >= 0 && prio <= LOG_DEBUG && names[prio] ? names[prio] : "log", line);
	}
}

int log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int prio;
	} levels[] = {
	    {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warning", LOG_WARNING}, {"error", LOG_ERR}};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(name, levels[i].name))
			return levels[i].prio;
	return -1;
}
