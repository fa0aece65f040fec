/* SPDX-License-Identifier: MIT */
/* The maintenance file: noticed at once through inotify on its directory, and looked at
 * once a second besides (every interval while the directory cannot be watched). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/log.h"

#define AGENT_MAINT_WATCHED_US 1000000u
#define AGENT_MAINT_EVENTS                                                                         \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF |        \
	 IN_MOVE_SELF | IN_ONLYDIR)

static uint64_t agent_maint_period_us(const struct agent *a)
{
	unsigned ms = 1000;

	if (a->maint_wd >= 0)
		return AGENT_MAINT_WATCHED_US;
	for (size_t i = 0; i < a->nsvcs; i++)
		if (a->svcs[i]->cfg->interval_ms < ms)
			ms = a->svcs[i]->cfg->interval_ms;
	return (uint64_t)ms * 1000u;
}

static void agent_maint_unwatch(struct agent *a)
{
	if (a->maint_wd >= 0)
		inotify_rm_watch(a->maint_ifd, a->maint_wd);
	a->maint_wd = -1;
	a->maint_dir[0] = '\0';
}

/* Watches the file's directory (the file itself comes and goes). Where that fails (no such
 * directory yet, no permission), the timer looks more often and tries again each time. */
static void agent_maint_watch(struct agent *a)
{
	const char *path = a->cfg->maintenance_file, *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t len;

	if (a->maint_ifd < 0)
		return;
	if (!slash) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= sizeof(dir))
			return;
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	if (a->maint_wd >= 0 && !strcmp(dir, a->maint_dir))
		return;
	agent_maint_unwatch(a);
	a->maint_wd = inotify_add_watch(a->maint_ifd, dir, AGENT_MAINT_EVENTS);
	if (a->maint_wd < 0) {
		log_debug("maintenance: cannot watch %s (%s): looking every %llu ms", dir,
			  strerror(errno), (unsigned long long)agent_maint_period_us(a) / 1000);
		return;
	}
	memcpy(a->maint_dir, dir, strlen(dir) + 1);
}

static void agent_maint_readable(int fd, uint32_t events, void *data)
{
	struct agent *a = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;

	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			/* the directory went or moved: watch the path afresh */
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
				if (ev->wd == a->maint_wd)
					agent_maint_unwatch(a);
			}
		}
	agent_maint_check(a);
}

int agent_maint_start(struct agent *a)
{
	int ret;

	a->maint_wd = -1;
	a->maint_ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->maint_ifd < 0) {
		log_warn("maintenance: no inotify (%s): looking for %s every interval",
			 strerror(errno), a->cfg->maintenance_file);
		return 0;
	}
	ret = loop_watch_add(a->loop, a->maint_ifd, EPOLLIN, agent_maint_readable, a,
			     &a->maint_watch);
	if (ret < 0) {
		close(a->maint_ifd);
		a->maint_ifd = -1;
	}
	return ret;
}

void agent_maint_stop(struct agent *a)
{
	loop_watch_remove(a->maint_watch);
	a->maint_watch = NULL;
	if (a->maint_ifd >= 0)
		close(a->maint_ifd);
	a->maint_ifd = -1;
	a->maint_wd = -1;
}

void agent_maint_check(void *data)
{
	struct agent *a = data;
	const char *path = a->cfg->maintenance_file;
	struct stat st;
	bool on;

	agent_maint_watch(a);
	loop_timer_arm(a->maint_timer, loop_now_us() + agent_maint_period_us(a));
	if (stat(path, &st) == 0)
		on = true;
	else if (errno == ENOENT || errno == ENOTDIR)
		on = false;
	else
		return; /* unknown: keep the state we have */
	if (on == a->maintenance)
		return;
	a->maintenance = on;
	if (on) {
		log_warn("maintenance: %s exists: withdrawing all addresses", path);
		a->planned = true;
	} else {
		log_info("maintenance: %s removed: announcing again after good probes", path);
		/* Back from maintenance only through `rise` good probes. */
		for (size_t i = 0; i < a->nsvcs; i++)
			svc_reset(a->svcs[i], false);
	}
	agent_reconcile(a);
}
