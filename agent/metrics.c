/* SPDX-License-Identifier: MIT */
/* The metrics file: the agent's snapshot in Prometheus' text exposition format, for node
 * exporter's textfile collector. Rewritten with the state file (every change and every
 * 5 s), renamed into place so that a scrape never reads half of it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent-int.h"
#include "agent/log.h"

/* Local answers take well under a millisecond; timeout_ms goes up to 10 s. */
static const uint64_t metrics_le_us[SVC_NBUCKETS] = {500,     1000,    2000,	5000,	 10000,
						     20000,   50000,   100000,	200000,	 500000,
						     1000000, 2500000, 5000000, 10000000};
static const char *const metrics_le[SVC_NBUCKETS + 1] = {
    "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1",
    "0.2",    "0.5",   "1",	"2.5",	 "5",	 "10",	 "+Inf"};
static const char *const metrics_results[SVC_NRESULTS] = {
    [SVC_R_OK] = "ok",	     [SVC_R_TIMEOUT] = "timeout", [SVC_R_REFUSED] = "refused",
    [SVC_R_RCODE] = "rcode", [SVC_R_ERROR] = "error",
};

void svc_stats_feed(struct svc_stats *st, const struct cfg_service *c, const struct hc_result *r)
{
	enum svc_result k = SVC_R_ERROR;
	char buf[sizeof(r->why)];
	size_t b = 0;

	if (r->status == HC_OK) {
		k = SVC_R_OK;
	} else if (r->status == HC_TIMEOUT) {
		k = SVC_R_TIMEOUT;
	} else if (r->status == HC_RCODE) {
		/* libunbound says SERVFAIL for a refused TCP connection; only a failed probe
		 * costs a look at the kernel's socket table */
		const char *why = svc_explain(c, r, buf, sizeof(buf));

		k = why != r->why && !strncmp(why, "connection refused", 18) ? SVC_R_REFUSED
									     : SVC_R_RCODE;
	}
	st->results[k]++;
	while (b < SVC_NBUCKETS && r->rtt_us > metrics_le_us[b])
		b++;
	st->buckets[b]++;
	st->sum_us += r->rtt_us;
}

/* A label value, escaped as the format wants: backslash, double quote, newline. */
static void metrics_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{service="S"[,extra]} for each service, then the value. */
static void metrics_svc(FILE *f, const char *name, const struct svc *s)
{
	fprintf(f, "%s{service=\"", name);
	metrics_label(f, s->cfg->name);
	fputc('"', f);
}

static void metrics_services(const struct agent *a, FILE *f)
{
	metrics_head(f, "anycast_agent_service_up", "gauge",
		     "1 while the service's probes say it is healthy, else 0.");
	for (size_t i = 0; i < a->nsvcs; i++) {
		metrics_svc(f, "anycast_agent_service_up", a->svcs[i]);
		fprintf(f, "} %d\n", a->svcs[i]->healthy);
	}
	metrics_head(f, "anycast_agent_service_state", "gauge",
		     "1 for what the service is doing (starting, up, down, standby, maintenance, "
		     "damped), 0 for the others.");
	for (size_t i = 0; i < a->nsvcs; i++) {
		enum svc_state cur = agent_svc_state(a, a->svcs[i]);

		for (int st = 0; st < SVC_NSTATES; st++) {
			metrics_svc(f, "anycast_agent_service_state", a->svcs[i]);
			fprintf(f, ",state=\"%s\"} %d\n", svc_state_name((enum svc_state)st),
				st == (int)cur);
		}
	}
	metrics_head(f, "anycast_agent_transitions_total", "counter",
		     "Times the service went up or down since the agent started.");
	for (size_t i = 0; i < a->nsvcs; i++) {
		metrics_svc(f, "anycast_agent_transitions_total", a->svcs[i]);
		fprintf(f, "} %u\n", a->svcs[i]->transitions);
	}
	metrics_head(f, "anycast_agent_last_transition_timestamp_seconds", "gauge",
		     "When the service last went up or down (or the agent started), Unix time.");
	for (size_t i = 0; i < a->nsvcs; i++) {
		metrics_svc(f, "anycast_agent_last_transition_timestamp_seconds", a->svcs[i]);
		fprintf(f, "} %lld\n", (long long)a->svcs[i]->since_real);
	}
}

static void metrics_probes(const struct agent *a, FILE *f)
{
	metrics_head(f, "anycast_agent_probes_total", "counter",
		     "Probes of the service's resolver, by result (ok, timeout, refused: nothing "
		     "listens, rcode: an unexpected rcode, error).");
	for (size_t i = 0; i < a->nsvcs; i++) {
		for (int k = 0; k < SVC_NRESULTS; k++) {
			metrics_svc(f, "anycast_agent_probes_total", a->svcs[i]);
			fprintf(f, ",result=\"%s\"} %llu\n", metrics_results[k],
				(unsigned long long)a->svcs[i]->stats.results[k]);
		}
	}
	metrics_head(f, "anycast_agent_probe_duration_seconds", "histogram",
		     "How long each probe took, to its answer or its deadline.");
	for (size_t i = 0; i < a->nsvcs; i++) {
		const struct svc_stats *st = &a->svcs[i]->stats;
		uint64_t n = 0;

		for (size_t b = 0; b <= SVC_NBUCKETS; b++) {
			n += st->buckets[b];
			metrics_svc(f, "anycast_agent_probe_duration_seconds_bucket", a->svcs[i]);
			fprintf(f, ",le=\"%s\"} %llu\n", metrics_le[b], (unsigned long long)n);
		}
		metrics_svc(f, "anycast_agent_probe_duration_seconds_sum", a->svcs[i]);
		fprintf(f, "} %llu.%06llu\n", (unsigned long long)(st->sum_us / 1000000u),
			(unsigned long long)(st->sum_us % 1000000u));
		metrics_svc(f, "anycast_agent_probe_duration_seconds_count", a->svcs[i]);
		fprintf(f, "} %llu\n", (unsigned long long)n);
	}
}

static void metrics_addresses(const struct agent *a, FILE *f)
{
	char buf[NL_ADDRSTRLEN];

	metrics_head(f, "anycast_agent_address_announced", "gauge",
		     "1 while the address is announced from this host: on an interface, or "
		     "through the standby interface (standby routes); else 0 (interface: the "
		     "configured one).");
	for (size_t i = 0; i < a->cfg->naddrs; i++) {
		const struct agent_addr *st = &a->addrs[i];

		fputs("anycast_agent_address_announced{service=\"", f);
		metrics_label(f, a->cfg->services[a->cfg->addrs[i].svc].name);
		fputs("\",address=\"", f);
		metrics_label(f, nl_addr_str(&a->cfg->addrs[i].addr, buf, sizeof(buf)));
		fputs("\",interface=\"", f);
		metrics_label(f, st->ifindex ? st->ifname
				 : st->sb    ? a->cfg->standby_interface
					     : a->cfg->interface);
		fprintf(f, "\"} %d\n", st->ifindex != 0 || st->sb != 0);
	}
}

int metrics_render(const struct agent *a, FILE *f)
{
	metrics_services(a, f);
	metrics_probes(a, f);
	metrics_addresses(a, f);
	metrics_head(f, "anycast_agent_build_info", "gauge", "The agent's version, as a label.");
	fputs("anycast_agent_build_info{version=\"", f);
	metrics_label(f, AA_VERSION);
	fputs("\"} 1\n", f);
	return fflush(f) == 0 && !ferror(f) ? 0 : -(errno ? errno : EIO);
}

static int metrics_cb(FILE *f, const void *a)
{
	return metrics_render(a, f);
}

void metrics_write(struct agent *a)
{
	const char *path = a->cfg->metrics_file;
	int ret;

	/* a reload moved or dropped it: the old file would go stale, never updated again */
	if (a->metrics_path[0] && strcmp(a->metrics_path, path)) {
		if (unlink(a->metrics_path) < 0 && errno != ENOENT)
			log_warn("cannot remove the old metrics file %s: %s", a->metrics_path,
				 strerror(errno));
		a->metrics_path[0] = '\0';
		a->metrics_err = 0;
	}
	if (!path[0])
		return;
	ret = state_replace(path, metrics_cb, a); /* path.tmp: the collector skips it */
	if (ret < 0) {
		if (ret != a->metrics_err)
			log_warn("cannot write the metrics file %s: %s", path, strerror(-ret));
		a->metrics_err = ret;
		return;
	}
	if (a->metrics_err)
		log_info("the metrics file %s is written again", path);
	a->metrics_err = 0;
	snprintf(a->metrics_path, sizeof(a->metrics_path), "%s", path);
}
