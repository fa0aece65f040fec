/* SPDX-License-Identifier: MIT */
#include "agent/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

/* The only process-wide state: the log sink is one per process by nature. */
static int log_level = LOG_INFO;
static bool log_prefix;
static bool log_native; /* journald's socket is there: log_svc() sends its fields */
static bool log_forced; /* -d: the config's log_level, reloads included, does not apply */

void log_init(int level)
{
	log_level = level;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
	/* sd_journal_sendv() says 0 when the socket is missing and the entry is lost */
	log_native = log_prefix && access("/run/systemd/journal/socket", F_OK) == 0;
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

static void log_write(int prio, const char *line)
{
	static const char *const names[] = {[LOG_ERR] = "error",
					    [LOG_WARNING] = "warning",
					    [LOG_INFO] = "info",
					    [LOG_DEBUG] = "debug"};

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

/* The line of a message at prio, unless the level filters it out. */
static bool log_vformat(char *line, size_t len, int prio, const char *fmt, va_list ap)
{
	return prio <= log_level && vsnprintf(line, len, fmt, ap) >= 0;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = log_vformat(line, sizeof(line), prio, fmt, ap);
	va_end(ap);
	if (ok)
		log_write(prio, line);
}

/* Appends "key=value" to buf at *used as iov[*n]; false when it does not fit. */
static bool log_field(struct iovec *iov, size_t *n, char *buf, size_t len, size_t *used,
		      const char *key, const char *value)
{
	int w = snprintf(buf + *used, len - *used, "%s=%s", key, value);

	if (w < 0 || (size_t)w >= len - *used)
		return false;
	iov[*n].iov_base = buf + *used;
	iov[(*n)++].iov_len = (size_t)w;
	*used += (size_t)w + 1;
	return true;
}

int log_svc_fields(struct iovec iov[LOG_SVC_FIELDS], char *buf, size_t len, int prio,
		   const struct log_fields *f, const char *msg)
{
	const char *const kv[] = {"SERVICE", f->service, "STATE",   f->state,
				  "REASON",  f->reason,	 "ADDRESS", f->address};
	char p[12];
	size_t n = 0, used = 0;

	snprintf(p, sizeof(p), "%d", prio);
	if (!len || !log_field(iov, &n, buf, len, &used, "MESSAGE", msg) ||
	    !log_field(iov, &n, buf, len, &used, "PRIORITY", p) ||
	    !log_field(iov, &n, buf, len, &used, "SYSLOG_IDENTIFIER", "anycast-agent"))
		return -ENOSPC;
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i += 2)
		if (kv[i + 1] && kv[i + 1][0] &&
		    !log_field(iov, &n, buf, len, &used, kv[i], kv[i + 1]))
			return -ENOSPC;
	return (int)n;
}

static void log_fields_v(int prio, const struct log_fields *f, const char *fmt, va_list ap)
{
	struct iovec iov[LOG_SVC_FIELDS];
	char line[1024], buf[2048];
	int n;

	if (!log_vformat(line, sizeof(line), prio, fmt, ap))
		return;
	/* under systemd, a journal entry of its own with the fields; the stream line else, and
	 * when the journal cannot be reached */
	if (log_native) {
		n = log_svc_fields(iov, buf, sizeof(buf), prio, f, line);
		if (n > 0 && sd_journal_sendv(iov, n) == 0)
			return;
	}
	log_write(prio, line);
}

void log_svc(int prio, const char *service, const char *state, const char *reason, const char *fmt,
	     ...)
{
	const struct log_fields f = {.service = service, .state = state, .reason = reason};
	va_list ap;

	va_start(ap, fmt);
	log_fields_v(prio, &f, fmt, ap);
	va_end(ap);
}

void log_addr(int prio, const char *service, const char *address, const char *fmt, ...)
{
	const struct log_fields f = {.service = service, .address = address};
	va_list ap;

	va_start(ap, fmt);
	log_fields_v(prio, &f, fmt, ap);
	va_end(ap);
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
