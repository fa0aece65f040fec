/* SPDX-License-Identifier: MIT */
/* --withdraw-all and --config-test's look at the host. The withdrawal goes through act, as
 * the daemon's do, with a loop of its own that lives as long as the drains. */
#include "agent/oneshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/act.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "agent/state.h"

struct wa {
	struct loop *loop;
	struct nl *nl;
	struct act *act;
	struct state_addr *targets;
	size_t ntargets;
	size_t nknown; /* targets[0..nknown) came from the state file: known to have been placed */
	int removed, gone, failed;
};

static void wa_drained(void *data)
{
	loop_quit(data, 0);
}

static void wa_add(struct wa *w, unsigned ifindex, const char *ifname, const struct nl_addr *a,
		   bool standby)
{
	struct state_addr *t = &w->targets[w->ntargets];

	for (size_t i = 0; i < w->ntargets; i++)
		if (w->targets[i].ifindex == ifindex && w->targets[i].standby == standby &&
		    nl_addr_equal(&w->targets[i].addr, a))
			return;
	t->addr = *a;
	t->ifindex = ifindex;
	t->standby = standby;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	w->ntargets++;
}

/* t->ifindex becomes 0 once t is gone. */
static void wa_remove(struct wa *w, struct state_addr *t, unsigned drain_ms)
{
	char buf[NL_ADDRSTRLEN];
	int ret = t->standby ? act_standby_del(w->act, t->ifindex, &t->addr, drain_ms)
			     : act_del(w->act, t->ifindex, &t->addr, drain_ms);

	nl_addr_str(&t->addr, buf, sizeof(buf));
	if (ret < 0) {
		log_err("cannot remove %s%s from %s (index %u): %s",
			t->standby ? "the standby announcement of " : "", buf, t->ifname,
			t->ifindex, strerror(-ret));
		w->failed++;
		return;
	}
	if (ret == 1) {
		w->gone += !t->standby; /* a standby announcement is rarely there: not counted */
	} else {
		log_info("removed %s%s from %s (index %u)",
			 t->standby ? "the standby announcement of " : "", buf, t->ifname,
			 t->ifindex);
		w->removed++;
	}
	t->ifindex = 0;
}

static int wa_run(struct wa *w, const struct cfg *cfg, const struct state *st)
{
	unsigned drain_ms = cfg ? cfg->drain_ms : 0;
	struct nl_link l = {0};
	const struct nl_addr *d;
	int ret;

	/* what the state lists, and each configured address on the interface and as a standby */
	w->targets = calloc(st->nplaced + (cfg ? 2 * cfg->naddrs : 0) + 1, sizeof(*w->targets));
	if (!w->targets)
		return -ENOMEM;
	/* drain routes a dead agent left, before this run puts its own */
	for (size_t i = 0; i < st->ndrains + (cfg ? cfg->naddrs : 0); i++) {
		ret = act_drain_clear(w->act, i < st->ndrains ? &st->drains[i]
							      : &cfg->addrs[i - st->ndrains].addr);
		if (ret < 0 && ret != -ESRCH && ret != -ENOENT) {
			log_err("cannot remove a drain route: %s", strerror(-ret));
			w->failed++;
		}
	}
	for (size_t i = 0; i < st->nplaced; i++)
		wa_add(w, st->placed[i].ifindex, st->placed[i].ifname, &st->placed[i].addr,
		       st->placed[i].standby);
	w->nknown = w->ntargets;
	ret = cfg ? nl_link_get(w->nl, cfg->interface, 0, &l) : -ENODEV;
	if (ret < 0 && ret != -ENODEV) {
		log_err("interface %s: %s", cfg->interface, strerror(-ret));
		w->failed++;
	}
	for (size_t i = 0; ret == 0 && i < cfg->naddrs; i++)
		wa_add(w, l.ifindex, l.name, &cfg->addrs[i].addr, false);
	/* standby announcements of the configured addresses, listed in the state or not */
	if (cfg && cfg->standby_interface[0]) {
		struct nl_link sb = {0};

		if (nl_link_get(w->nl, cfg->standby_interface, 0, &sb) < 0)
			sb.ifindex = 0; /* gone with its routes: the local routes are left */
		for (size_t i = 0; i < cfg->naddrs; i++)
			wa_add(w, sb.ifindex, cfg->standby_interface, &cfg->addrs[i].addr, true);
	}
	for (size_t i = 0; i < w->ntargets; i++)
		wa_remove(w, &w->targets[i], drain_ms);
	if (act_drains(w->act, &d)) {
		log_info("draining for %u ms", drain_ms);
		loop_run(w->loop);
	}
	w->failed += act_drain_end(w->act);
	return 0;
}

int oneshot_withdraw_all(const struct cfg *cfg, const char *state_dir)
{
	struct state st = {0}, after = {0};
	struct wa w = {0};
	unsigned line;
	long pid;
	int ret;

	ret = state_lock_holder(state_dir, &pid);
	if (ret == 1) {
		log_err("an anycast-agent (pid %ld) runs with state directory %s: it would put the "
			"addresses back; stop it instead (systemctl stop anycast-agent)",
			pid, state_dir);
		return 1;
	}
	ret = state_read(state_dir, &st, &line);
	if (ret == -EBADMSG)
		log_warn("%s/state line %u is not understood: ignored", state_dir, line);
	else if (ret < 0 && ret != -ENOENT)
		log_warn("cannot read %s/state: %s", state_dir, strerror(-ret));
	if (ret < 0 && !cfg) {
		log_err("nothing tells what to withdraw: the configuration cannot be read and "
			"%s/state is %s",
			state_dir, ret == -ENOENT ? "missing" : "unreadable");
		return 1;
	}
	ret = loop_create(&w.loop);
	if (ret == 0)
		ret = nl_create(&w.nl);
	if (ret == 0)
		ret = act_create(&w.act, w.nl, w.loop, wa_drained, w.loop);
	if (ret == 0)
		ret = wa_run(&w, cfg, &st);
	if (ret < 0) {
		log_err("cannot withdraw: %s", strerror(-ret));
		w.failed++;
	} else {
		log_info("withdrew %d address%s (%d already gone)", w.removed,
			 w.removed == 1 ? "" : "es", w.gone);
	}
	/* The state now says what is left: nothing, unless the removal of an address the state
	 * listed failed. A configured address whose removal failed is not added: a failure
	 * (EPERM above all) says nothing about whether it was there, and a daemon that trusted
	 * such an entry would take an absent address for announced. */
	after.written = (int64_t)time(NULL);
	snprintf(after.interface, sizeof(after.interface), "%s",
		 cfg ? cfg->interface : st.interface);
	after.placed = w.targets;
	for (size_t i = 0; ret == 0 && i < w.nknown; i++)
		if (w.targets[i].ifindex)
			w.targets[after.nplaced++] = w.targets[i];
	if (ret == 0 && state_write(state_dir, &after) < 0)
		log_debug("%s/state not rewritten", state_dir);
	act_destroy(w.act);
	nl_destroy(w.nl);
	loop_destroy(w.loop);
	free(w.targets);
	state_free(&st);
	return w.failed ? 1 : 0;
}

void oneshot_config_warnings(const struct cfg *cfg, const char *path, FILE *out)
{
	struct nl_link l;
	struct nl *nl;

	if (!cfg->create_interface || !cfg->nservices || nl_create(&nl) < 0)
		return;
	if (nl_link_get(nl, cfg->interface, 0, &l) == 0 && strcmp(l.kind, "dummy")) {
		if (cfg->interface_line)
			fprintf(out, "%s:%u: ", path, cfg->interface_line);
		else
			fprintf(out, "%s: ", path);
		fprintf(out,
			"warning: interface %s exists and is not a dummy interface (kind '%s'): "
			"with create_interface = yes the agent brings it up and adds the service "
			"addresses to it; name a dummy interface, or set create_interface = no if "
			"this is meant\n",
			cfg->interface, l.kind[0] ? l.kind : "none");
	}
	nl_destroy(nl);
}
