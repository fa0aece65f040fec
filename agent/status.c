/* SPDX-License-Identifier: MIT */
/* --status: the running daemon's own view, from the state file it keeps under its state
 * directory (no socket, no probe, no privilege beyond reading it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/oneshot.h"
#include "agent/state.h"

/* "1 h 2 min", "3 min 4 s", "5 s" */
static const char *status_ago(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lld h %lld min", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lld s", (long long)s);
	return buf;
}

static void status_services(const struct state *st, int64_t now, FILE *out)
{
	char since[32], ago[32];

	for (size_t i = 0; i < st->nsvcs; i++) {
		const struct state_svc *s = &st->svcs[i];
		time_t t = (time_t)s->since;
		struct tm tm;

		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		fprintf(out, "service %s: %s since %s (%s), %u transition%s", s->name,
			s->state[0] ? s->state
			: s->up	    ? "up"
				    : "down",
			since, status_ago(now - s->since, ago, sizeof(ago)), s->transitions,
			s->transitions == 1 ? "" : "s");
		if (!s->probed)
			fprintf(out, "; not probed yet\n");
		else if (!strcmp(s->last, "ok"))
			fprintf(out, "; last probe ok in %.1f ms\n", (double)s->rtt_us / 1000.0);
		else
			fprintf(out, "; last probe failed: %s\n", s->last);
		if (s->damped)
			fprintf(out, "  damped (flapping): kept withdrawn for about %s more\n",
				status_ago(s->damped_until - now, ago, sizeof(ago)));
	}
}

/* Each configured address and where the state file says it is; then any other it lists
 * (an address dropped by a reload, still draining). */
static void status_addresses(const struct cfg *cfg, const struct state *st, FILE *out)
{
	char buf[NL_ADDRSTRLEN];
	bool *listed = NULL;

	if (st->nplaced)
		listed = calloc(st->nplaced, sizeof(*listed));
	for (size_t i = 0; cfg && i < cfg->naddrs; i++) {
		const struct state_addr *p = NULL;

		for (size_t k = 0; k < st->nplaced && !p; k++)
			if (nl_addr_equal(&st->placed[k].addr, &cfg->addrs[i].addr)) {
				p = &st->placed[k];
				if (listed)
					listed[k] = true;
			}
		fprintf(out, "address %s (service %s): %s%s%s\n",
			nl_addr_str(&cfg->addrs[i].addr, buf, sizeof(buf)),
			cfg->services[cfg->addrs[i].svc].name,
			!p	     ? "not announced"
			: p->standby ? "announced through the standby interface "
				     : "announced on ",
			p ? p->ifname : "", p && p->standby ? " (the standby announcement)" : "");
	}
	for (size_t k = 0; k < st->nplaced; k++)
		if (!listed || !listed[k])
			fprintf(out, "address %s (not configured): on %s\n",
				nl_addr_str(&st->placed[k].addr, buf, sizeof(buf)),
				st->placed[k].ifname);
	for (size_t k = 0; k < st->ndrains; k++)
		fprintf(out, "drain %s: the host still accepts it (a planned withdrawal)\n",
			nl_addr_str(&st->drains[k], buf, sizeof(buf)));
	free(listed);
}

int oneshot_status(const struct cfg *cfg, const char *state_dir, FILE *out)
{
	int64_t now = (int64_t)time(NULL);
	char ago[32];
	struct state st;
	unsigned line;
	long pid = 0;
	int held = state_lock_holder(state_dir, &pid), ret;

	if (held < 0) {
		fprintf(out, "anycast-agent: cannot tell whether an agent runs (%s/lock: %s)\n",
			state_dir, strerror(-held));
		return 3;
	}
	ret = state_read(state_dir, &st, &line);
	if (held == 0) {
		fprintf(out, "anycast-agent: not running (no process holds %s/lock)", state_dir);
		if (ret == 0 && st.pid)
			fprintf(out, "; its last state, written by pid %ld %s ago:\n", st.pid,
				status_ago(now - st.written, ago, sizeof(ago)));
		else
			fprintf(out, "\n");
	} else {
		fprintf(out, "anycast-agent: running (pid %ld)", pid);
		if (ret == 0)
			fprintf(out, ", state written %s ago\n",
				status_ago(now - st.written, ago, sizeof(ago)));
		else
			fprintf(out, "\n");
	}
	if (ret == -ENOENT) {
		fprintf(out, "no state file in %s\n", state_dir);
	} else if (ret < 0) {
		fprintf(out, "%s/state unreadable: %s", state_dir, strerror(-ret));
		if (ret == -EBADMSG)
			fprintf(out, " (line %u)", line);
		fprintf(out, "\n");
	} else {
		fprintf(out, "interface %s%s; maintenance %s%s\n", st.interface,
			st.ifindex ? "" : " (missing)", st.maintenance ? "on" : "off",
			st.handover ? "; handed over (upgrade)" : "");
		status_services(&st, now, out);
		status_addresses(cfg, &st, out);
		state_free(&st);
	}
	return held ? 0 : 3;
}
