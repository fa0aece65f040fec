/* SPDX-License-Identifier: MIT */
/* --maintenance on|off: puts the maintenance file in place (or removes it) and returns only
 * once the running agent has done what it means, as its state file says (and, with
 * frr_check, FRR): on, every address withdrawn and every drain over, so that unbound can be
 * stopped or the host rebooted; off, every address announced again, or why not. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/frr.h"
#include "agent/loop.h"
#include "agent/oneshot.h"
#include "agent/state.h"

#define MAINT_POLL_US	    50000u
#define MAINT_FRR_BUDGET_US 5000000u

struct maint_wait {
	const struct cfg *cfg;
	bool on;
	char why[256]; /* what is still missing, for the message at the bound */
};

static bool maint_placed(const struct state *st, const struct nl_addr *a)
{
	for (size_t k = 0; k < st->nplaced; k++)
		if (nl_addr_equal(&st->placed[k].addr, a))
			return true;
	return false;
}

/* Why an address of service svc is not announced, from what the agent wrote. */
static void maint_why_not(struct maint_wait *w, const struct state *st, const char *addr,
			  const char *svc)
{
	for (size_t i = 0; i < st->nsvcs; i++) {
		const struct state_svc *s = &st->svcs[i];

		if (strcmp(s->name, svc))
			continue;
		if (s->damped)
			snprintf(w->why, sizeof(w->why),
				 "%s not announced: %s is damped (flapping)", addr, svc);
		else if (!s->up)
			snprintf(w->why, sizeof(w->why), "%s not announced: %s is down (%s)", addr,
				 svc, s->probed ? s->last : "not probed yet");
		else
			snprintf(w->why, sizeof(w->why),
				 "%s not announced although %s is up (nothing listening on it? see "
				 "the log)",
				 addr, svc);
		return;
	}
	snprintf(w->why, sizeof(w->why), "%s not announced: the agent has no service %s (reload?)",
		 addr, svc);
}

/* Has the agent done it? */
static bool maint_done(struct maint_wait *w, const char *state_dir)
{
	char buf[NL_ADDRSTRLEN];
	struct state st;
	unsigned line;
	bool done = true;
	int ret = state_read(state_dir, &st, &line);

	if (ret < 0) {
		snprintf(w->why, sizeof(w->why), "%s/state unreadable: %s", state_dir,
			 strerror(-ret));
		return false;
	}
	if (st.maintenance != w->on) {
		snprintf(w->why, sizeof(w->why), "the agent has not seen the file %s yet",
			 w->on ? "appear" : "go");
		done = false;
	}
	for (size_t i = 0; done && i < w->cfg->naddrs; i++) {
		const struct nl_addr *a = &w->cfg->addrs[i].addr;

		if (maint_placed(&st, a) == w->on) {
			nl_addr_str(a, buf, sizeof(buf));
			if (w->on)
				snprintf(w->why, sizeof(w->why), "%s still announced", buf);
			else
				maint_why_not(w, &st, buf,
					      w->cfg->services[w->cfg->addrs[i].svc].name);
			done = false;
		}
	}
	if (done && w->on && st.ndrains) {
		snprintf(w->why, sizeof(w->why), "%s still draining (the host accepts it)",
			 nl_addr_str(&st.drains[0], buf, sizeof(buf)));
		done = false;
	}
	state_free(&st);
	return done;
}

/* With frr_check: FRR's view agrees (on: originates none of the addresses; off: all). */
static bool maint_frr_done(struct maint_wait *w)
{
	struct nl_addr *addrs = calloc(w->cfg->naddrs + 1, sizeof(*addrs));
	struct frr_opts o = check_frr_opts(w->cfg, MAINT_FRR_BUDGET_US, addrs);
	char buf[NL_ADDRSTRLEN];
	struct frr_view v = {0};
	bool done = true;
	int ret;

	ret = addrs ? frr_view_read(&o, &v) : -ENOMEM;
	free(addrs);
	if (ret < 0 || v.error[0]) {
		snprintf(w->why, sizeof(w->why), "cannot ask FRR: %.200s",
			 ret < 0 ? strerror(-ret) : v.error);
		frr_view_free(&v);
		return false;
	}
	for (size_t i = 0; done && i < w->cfg->naddrs; i++) {
		const struct nl_addr *a = &w->cfg->addrs[i].addr;

		if (frr_view_originates(&v, a) == w->on) {
			snprintf(w->why, sizeof(w->why), "FRR %s %s",
				 w->on ? "still originates" : "does not originate yet",
				 nl_addr_str(a, buf, sizeof(buf)));
			done = false;
		}
	}
	frr_view_free(&v);
	return done;
}

static int maint_file(const char *path, bool on)
{
	int fd;

	if (!on)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int oneshot_maintenance(const struct cfg *cfg, const char *state_dir, bool on, unsigned timeout_s,
			FILE *out)
{
	struct maint_wait w = {.cfg = cfg, .on = on};
	uint64_t t0 = loop_now_us(), end = t0 + (uint64_t)timeout_s * 1000000u;
	struct timespec nap = {0, MAINT_POLL_US * 1000};
	long pid = 0;
	int ret = maint_file(cfg->maintenance_file, on);

	if (ret < 0) {
		fprintf(out, "anycast-agent: cannot %s %s: %s\n", on ? "create" : "remove",
			cfg->maintenance_file, strerror(-ret));
		return 1;
	}
	ret = state_lock_holder(state_dir, &pid);
	if (ret <= 0) {
		fprintf(out,
			"anycast-agent: maintenance %s (%s %s), but no agent runs (%s/lock%s%s): "
			"nothing was %s\n",
			on ? "on" : "off", cfg->maintenance_file, on ? "in place" : "removed",
			state_dir, ret < 0 ? ": " : "", ret < 0 ? strerror(-ret) : "",
			on ? "withdrawn (--withdraw-all removes what is left)" : "announced");
		return 1;
	}
	for (;;) {
		if (maint_done(&w, state_dir) && (!cfg->frr_check || maint_frr_done(&w)))
			break;
		if (loop_now_us() >= end) {
			fprintf(out, "anycast-agent: maintenance %s: not done after %u s: %s\n",
				on ? "on" : "off", timeout_s, w.why);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
	fprintf(out, "anycast-agent: maintenance %s: %s in %.1f s%s\n", on ? "on" : "off",
		on ? "every address withdrawn and drained" : "every address announced again",
		(double)(loop_now_us() - t0) / 1e6,
		!cfg->frr_check ? ""
		: on		? ", and FRR originates none of them"
				: ", and FRR originates them all");
	return 0;
}
