/* SPDX-License-Identifier: MIT */
/* config: one table of keys (as systemd's conf-parser has), inih's stream parser with our own
 * line reader, and whole-file checks once every section is read. */
#include "agent/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/config-int.h"
#include "agent/log.h"

#define AGENT(f)                                                                                   \
	.service = false, .offset = offsetof(struct cfg, f), .size = sizeof(((struct cfg *)0)->f)
#define SERVICE(f)                                                                                 \
	.service = true, .offset = offsetof(struct cfg_service, f),                                \
	.size = sizeof(((struct cfg_service *)0)->f)

static const struct cfg_key cfg_keys[] = {
    {.name = "interface", AGENT(interface), .parse = cfg_p_ifname, .def = "anycast0"},
    {.name = "create_interface", AGENT(create_interface), .parse = cfg_p_bool, .def = "yes"},
    {.name = "standby_interface", AGENT(standby_interface), .parse = cfg_p_standby, .def = ""},
    {.name = "standby_announce", AGENT(standby_address), .parse = cfg_p_announce, .def = "route"},
    {.name = "maintenance_file",
     AGENT(maintenance_file),
     .parse = cfg_p_path,
     .def = "/etc/anycast-agent/maintenance"},
    {.name = "withdraw_on_exit", AGENT(withdraw_on_exit), .parse = cfg_p_bool, .def = "yes"},
    {.name = "drain_ms", AGENT(drain_ms), .parse = cfg_p_uint, .max = 10000, .def = "500"},
    {.name = "frr_check", AGENT(frr_check), .parse = cfg_p_bool, .def = "yes"},
    {.name = "vtysh", AGENT(vtysh), .parse = cfg_p_path, .def = "/usr/bin/vtysh"},
    {.name = "frr_pathspace", AGENT(frr_pathspace), .parse = cfg_p_pathspace, .def = ""},
    {.name = "log_level", AGENT(log_level), .parse = cfg_p_loglevel, .def = "info"},
    {.name = "metrics_file", AGENT(metrics_file), .parse = cfg_p_path, .def = ""},
    {.name = "addresses", SERVICE(first), .parse = cfg_p_addresses, .repeat = true},
    {.name = "resolver", SERVICE(probe.server), .parse = cfg_p_resolver, .def = "127.0.0.1@53"},
    {.name = "query", SERVICE(probe), .parse = cfg_p_query},
    {.name = "expect_rcode", SERVICE(probe.rcode_ok), .parse = cfg_p_expect, .def = "NOERROR"},
    {.name = "interval_ms",
     SERVICE(interval_ms),
     .parse = cfg_p_uint,
     .min = 10,
     .max = 3600000,
     .def = "100"},
    {.name = "timeout_ms",
     SERVICE(probe.timeout_ms),
     .parse = cfg_p_uint,
     .min = 10,
     .max = 10000,
     .def = "100"},
    {.name = "rise", SERVICE(rise), .parse = cfg_p_uint, .min = 1, .max = 1000, .def = "3"},
    {.name = "fall", SERVICE(fall), .parse = cfg_p_uint, .min = 1, .max = 1000, .def = "2"},
    {.name = "retry_ms", SERVICE(retry_ms), .parse = cfg_p_uint, .max = 60000, .def = "10"},
    {.name = "transport", SERVICE(probe.tcp), .parse = cfg_p_transport, .def = "tcp"},
    {.name = "damping_half_life_ms",
     SERVICE(damp_half_life_ms),
     .parse = cfg_p_uint,
     .max = 3600000,
     .def = "2000"},
    {.name = "on_failure", SERVICE(fail_withdraw), .parse = cfg_p_on_failure, .def = "standby"},
    {.name = "deep_query", SERVICE(deep), .parse = cfg_p_deep_query, .def = ""},
    {.name = "deep_expect_rcode", SERVICE(deep.rcode_ok), .parse = cfg_p_expect, .def = "NOERROR"},
    {.name = "deep_interval_ms",
     SERVICE(deep_interval_ms),
     .parse = cfg_p_uint,
     .min = 10,
     .max = 3600000,
     .def = "1000"},
    {.name = "deep_timeout_ms",
     SERVICE(deep.timeout_ms),
     .parse = cfg_p_uint,
     .min = 10,
     .max = 10000,
     .def = "1000"},
    {.name = "deep_on_failure",
     SERVICE(deep_fail_withdraw),
     .parse = cfg_p_on_failure,
     .def = "standby"},
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))
_Static_assert(NKEYS == CFG_NKEYS, "CFG_NKEYS counts the keys");

static void cfg_msg(struct cfg_parser *ps, unsigned line, bool warning, const char *fmt, va_list ap)
{
	struct cfg_errors *e = ps->errs;
	struct cfg_msg *m;
	char text[256];

	if (e->n > CFG_MAX_ERRORS)
		return;
	m = &e->msg[e->n++];
	if (e->n > CFG_MAX_ERRORS) {
		*m = (struct cfg_msg){.line = 0, .warning = false};
		e->nerrors++;
		snprintf(m->text, sizeof(m->text), "%s: too many errors, giving up", ps->fname);
		return;
	}
	m->line = line;
	m->warning = warning;
	e->nerrors += !warning;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (line)
		snprintf(m->text, sizeof(m->text), "%s:%u: %s%s", ps->fname, line,
			 warning ? "warning: " : "", text);
	else
		snprintf(m->text, sizeof(m->text), "%s: %s%s", ps->fname,
			 warning ? "warning: " : "", text);
}

void cfg_error(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msg(ps, line, false, fmt, ap);
	va_end(ap);
}

void cfg_warning(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msg(ps, line, true, fmt, ap);
	va_end(ap);
}

/* Line order, whole-file messages last; stable, so one line's messages keep their order. */
static void cfg_sort_msgs(struct cfg_errors *e)
{
	for (size_t i = 1; i < e->n; i++) {
		struct cfg_msg m = e->msg[i];
		unsigned key = m.line ? m.line : UINT_MAX;
		size_t j = i;

		for (; j > 0 && (e->msg[j - 1].line ? e->msg[j - 1].line : UINT_MAX) > key; j--)
			e->msg[j] = e->msg[j - 1];
		e->msg[j] = m;
	}
}

/* Every key of one section at its default; the table's defaults always parse. */
static void cfg_defaults(struct cfg_parser *ps, bool service, void *base)
{
	unsigned line = ps->line;

	ps->line = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (cfg_keys[i].service == service && cfg_keys[i].def)
			cfg_keys[i].parse(ps, &cfg_keys[i], cfg_keys[i].def,
					  (char *)base + cfg_keys[i].offset);
	ps->line = line;
}

static void cfg_section(struct cfg_parser *ps, const char *name)
{
	struct cfg *cfg = ps->cfg;
	struct cfg_service *s;

	ps->sec = SEC_BAD;
	if (!strcmp(name, "agent")) {
		if (ps->agent_line) {
			cfg_error(ps, ps->line, "[agent] given twice (first on line %u)",
				  ps->agent_line);
			return;
		}
		ps->agent_line = ps->line;
		ps->sec = SEC_AGENT;
		return;
	}
	if (strncmp(name, "service", 7) || (name[7] && name[7] != ' ')) {
		cfg_error(ps, ps->line, "unknown section [%s] (expected [agent] or [service NAME])",
			  name);
		return;
	}
	name += 7;
	while (*name == ' ')
		name++;
	if (!cfg_valid_name(name)) {
		cfg_error(ps, ps->line,
			  "[service NAME] needs a name of 1-%d letters, digits, '_', '.' or '-'",
			  CFG_NAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		if (!strcmp(cfg->services[i].name, name)) {
			cfg_error(ps, ps->line, "service '%s' given twice (first on line %u)", name,
				  cfg->services[i].line);
			return;
		}
	}
	if (cfg->nservices == CFG_MAX_SERVICES) {
		cfg_error(ps, ps->line, "too many services (at most %d)", CFG_MAX_SERVICES);
		return;
	}
	s = &cfg->services[cfg->nservices++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = ps->line;
	s->first = cfg->naddrs;
	memset(ps->svc_keys[cfg->nservices - 1], 0, sizeof(ps->svc_keys[0]));
	cfg_defaults(ps, true, s);
	ps->sec = SEC_SERVICE;
}

/* inih's reader: one call per line, so it counts lines (this inih does not pass them to the
 * handler), sees section headers even when no key follows, and strips leading white space
 * (\f and \v too) so that no line is ever taken for a continuation of the previous value. */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parser *ps = stream;
	const char *start = ps->p, *end;
	size_t len;

	if (!*start)
		return NULL;
	end = strchr(start, '\n');
	len = end ? (size_t)(end - start) + 1 : strlen(start);
	ps->p = start + len;
	ps->line++;
	/* inih would drop a UTF-8 byte order mark; so must the header check below. */
	if (ps->line == 1 && len >= 3 && !memcmp(start, "\xEF\xBB\xBF", 3)) {
		start += 3;
		len -= 3;
	}
	while (len && *start != '\n' && isspace((unsigned char)*start)) {
		start++;
		len--;
	}
	if (len >= (size_t)num) {
		cfg_error(ps, ps->line, "line too long (at most %d characters)", num - 2);
		str[0] = '\0';
		return str;
	}
	memcpy(str, start, len);
	str[len] = '\0';
	if (str[0] == '[') {
		char *close = strchr(str, ']');

		if (!close) {
			cfg_error(ps, ps->line, "section header without ']'");
			ps->sec = SEC_BAD;
			str[0] = '\0';
			return str;
		}
		*close = '\0';
		cfg_section(ps, str + 1);
		*close = ']';
	} else if (str[0] && !strchr(";#\r\n", str[0]) && !strpbrk(str, "=:")) {
		cfg_error(ps, ps->line, "expected 'key = value'");
		str[0] = '\0';
	}
	return str;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parser *ps = user;
	const struct cfg_key *k = NULL;
	unsigned *set;
	size_t i;

	(void)section; /* the reader tracked it, with its line */
	if (ps->sec == SEC_BAD)
		return 1; /* the header's error was reported; don't add one per key */
	if (ps->sec == SEC_NONE) {
		cfg_error(ps, ps->line, "'%s' is outside any section", name);
		return 1;
	}
	for (i = 0; i < NKEYS && !k; i++)
		if (!strcmp(cfg_keys[i].name, name) &&
		    cfg_keys[i].service == (ps->sec == SEC_SERVICE))
			k = &cfg_keys[i];
	if (!k) {
		cfg_error(ps, ps->line, "unknown key '%s' in [%s]", name,
			  ps->sec == SEC_AGENT ? "agent" : "service");
		return 1;
	}
	set = ps->sec == SEC_AGENT ? &ps->agent_keys[k - cfg_keys]
				   : &ps->svc_keys[ps->cfg->nservices - 1][k - cfg_keys];
	if (*set && !k->repeat) {
		cfg_error(ps, ps->line, "'%s' set twice (first on line %u)", name, *set);
		return 1;
	}
	if (!*set)
		*set = ps->line;
	if (!*value) {
		cfg_error(ps, ps->line, "'%s' has an empty value", name);
		return 1;
	}
	for (const char *c = value; *c; c++) {
		if (iscntrl((unsigned char)*c) && *c != '\t') {
			cfg_error(ps, ps->line, "'%s' contains a control character", name);
			return 1;
		}
	}
	if (ps->sec == SEC_AGENT)
		k->parse(ps, k, value, (char *)ps->cfg + k->offset);
	else
		k->parse(ps, k, value,
			 (char *)&ps->cfg->services[ps->cfg->nservices - 1] + k->offset);
	return 1;
}

static int cfg_addr_cmp(const struct nl_addr *a, const struct nl_addr *b, bool prefix)
{
	int ret;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	ret = memcmp(&a->u, &b->u, a->family == AF_INET ? sizeof(a->u.v4) : sizeof(a->u.v6));
	if (ret || !prefix)
		return ret;
	return (int)a->prefixlen - (int)b->prefixlen;
}

static int cfg_sorted_cmp(const void *x, const void *y, void *data)
{
	const struct cfg *cfg = data;
	const struct cfg_addr *a = &cfg->addrs[*(const size_t *)x];
	const struct cfg_addr *b = &cfg->addrs[*(const size_t *)y];
	int ret = cfg_addr_cmp(&a->addr, &b->addr, true);

	return ret ? ret : (a->line > b->line) - (a->line < b->line);
}

ssize_t cfg_addr_find(const struct cfg *cfg, const struct nl_addr *a)
{
	size_t lo = 0, hi = cfg->naddrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int ret = cfg_addr_cmp(&cfg->addrs[cfg->sorted[mid]].addr, a, true);

		if (ret == 0)
			return (ssize_t)cfg->sorted[mid];
		if (ret < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool cfg_prefix_contains(const struct nl_addr *p, const struct nl_addr *a)
{
	const uint8_t *x = (const uint8_t *)&p->u, *y = (const uint8_t *)&a->u;
	unsigned bits = p->prefixlen;

	if (p->family != a->family)
		return false;
	for (; bits >= 8; bits -= 8)
		if (*x++ != *y++)
			return false;
	return !bits || ((*x ^ *y) & (0xff << (8 - bits))) == 0;
}

static size_t cfg_key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(cfg_keys[i].name, name))
			return i;
	return 0;
}

/* Probing an anycast address would test whichever instance answers, not this host's. */
static void cfg_check_resolver(struct cfg_parser *ps, const struct cfg_service *s)
{
	const struct sockaddr_storage *ss = &s->probe.server;
	struct nl_addr r = {.family = ss->ss_family};
	char buf[HC_SERVER_MAX];

	if (r.family == AF_INET)
		r.u.v4 = ((const struct sockaddr_in *)ss)->sin_addr;
	else
		r.u.v6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
	for (size_t i = 0; i < ps->cfg->naddrs; i++) {
		if (cfg_prefix_contains(&ps->cfg->addrs[i].addr, &r)) {
			unsigned line =
			    ps->svc_keys[s - ps->cfg->services][cfg_key_index("resolver")];

			cfg_error(
			    ps, line ? line : s->line,
			    "[service %s] resolver %s is an anycast address: probe the host's "
			    "own unicast or loopback address",
			    s->name, hc_server_str(ss, buf, sizeof(buf)));
			return;
		}
	}
}

/* Whole-file checks, once every section is read. */
static void cfg_finish(struct cfg_parser *ps)
{
	struct cfg *cfg = ps->cfg;
	size_t ti = cfg_key_index("timeout_ms"), ii = cfg_key_index("interval_ms");

	if (cfg->nservices == 0)
		cfg_warning(ps, 0,
			    "no [service NAME] section: nothing will be announced until one is "
			    "added and the agent reloaded");
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct cfg_service *s = &cfg->services[i];
		unsigned *set = ps->svc_keys[i];

		for (size_t k = 0; k < NKEYS; k++)
			if (cfg_keys[k].service && !cfg_keys[k].def && !set[k])
				cfg_error(ps, s->line, "[service %s] has no '%s'", s->name,
					  cfg_keys[k].name);
		/* the deep probe asks the same resolver the same way */
		s->deep.server = s->probe.server;
		s->deep.tcp = s->probe.tcp;
		if (s->deep.qname[0] && s->deep.timeout_ms > s->deep_interval_ms)
			cfg_error(
			    ps,
			    set[cfg_key_index("deep_timeout_ms")]
				? set[cfg_key_index("deep_timeout_ms")]
				: set[cfg_key_index("deep_query")],
			    "[service %s] deep_timeout_ms (%u) is longer than deep_interval_ms "
			    "(%u)",
			    s->name, s->deep.timeout_ms, s->deep_interval_ms);
		if (s->probe.timeout_ms > s->interval_ms)
			cfg_error(ps,
				  set[ti] > set[ii] ? set[ti]
				  : set[ii]	    ? set[ii]
						    : s->line,
				  "[service %s] timeout_ms (%u) is longer than interval_ms (%u): a "
				  "probe would still run when the next is due",
				  s->name, s->probe.timeout_ms, s->interval_ms);
	}
	/* the same address twice, or the same host with two prefix lengths (a /64 and a
	 * /128 of one IPv6 address are one address to the kernel), side by side once sorted */
	if (cfg->naddrs)
		qsort_r(cfg->sorted, cfg->naddrs, sizeof(*cfg->sorted), cfg_sorted_cmp, cfg);
	for (size_t i = 1; i < cfg->naddrs; i++) {
		const struct cfg_addr *a = &cfg->addrs[cfg->sorted[i - 1]];
		const struct cfg_addr *b = &cfg->addrs[cfg->sorted[i]];
		char abuf[NL_ADDRSTRLEN], bbuf[NL_ADDRSTRLEN];

		if (cfg_addr_cmp(&a->addr, &b->addr, false))
			continue;
		nl_addr_str(&b->addr, bbuf, sizeof(bbuf));
		if (a->addr.prefixlen == b->addr.prefixlen)
			cfg_error(ps, b->line, "address %s is already in [service %s] (line %u)",
				  bbuf, cfg->services[a->svc].name, a->line);
		else
			cfg_error(ps, b->line,
				  "address %s conflicts with %s in [service %s] (line %u)", bbuf,
				  nl_addr_str(&a->addr, abuf, sizeof(abuf)),
				  cfg->services[a->svc].name, a->line);
	}
	for (size_t i = 0; i < cfg->nservices; i++)
		cfg_check_resolver(ps, &cfg->services[i]);
	if (cfg->standby_interface[0] && !strcmp(cfg->standby_interface, cfg->interface))
		cfg_error(ps, ps->agent_keys[cfg_key_index("standby_interface")],
			  "standby_interface %s is the interface itself: name a second interface, "
			  "which the routing configuration announces at a worse metric",
			  cfg->standby_interface);
}

int cfg_parse_string(const char *fname, const char *text, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_parser ps = {.fname = fname, .p = text, .errs = errs};
	struct cfg *cfg;
	int ret;

	errs->n = errs->nerrors = 0;
	cfg = calloc(1, sizeof(*cfg));
	ps.svc_keys = calloc(CFG_MAX_SERVICES, sizeof(*ps.svc_keys));
	if (cfg)
		cfg->services = calloc(CFG_MAX_SERVICES, sizeof(*cfg->services));
	if (!cfg || !ps.svc_keys || !cfg->services) {
		ret = -ENOMEM;
		goto fail;
	}
	ps.cfg = cfg;
	cfg_defaults(&ps, false, cfg);
	cfg->interface_line = 0;

	ret = ini_parse_stream(cfg_reader, &ps, cfg_handler, &ps);
	/* The reader and handler report everything they see; this only catches what inih
	 * rejected on its own. */
	if (ret > 0 && errs->nerrors == 0)
		cfg_error(&ps, (unsigned)ret, "syntax error");
	if (!ps.nomem && cfg->naddrs) {
		cfg->sorted = malloc(cfg->naddrs * sizeof(*cfg->sorted));
		ps.nomem = !cfg->sorted;
		for (size_t i = 0; cfg->sorted && i < cfg->naddrs; i++)
			cfg->sorted[i] = i;
	}
	if (ps.nomem) {
		ret = -ENOMEM;
		goto fail;
	}
	cfg_finish(&ps);
	cfg_sort_msgs(errs);
	if (errs->nerrors) {
		ret = -EINVAL;
		goto fail;
	}
	free(ps.svc_keys);
	*out = cfg;
	return 0;
fail:
	free(ps.svc_keys);
	cfg_free(cfg);
	return ret;
}

int cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_parser ps = {.fname = path, .errs = errs};
	char *text = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	errs->n = errs->nerrors = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		cfg_error(&ps, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	text = malloc(CFG_MAX_FILE_SIZE + 1);
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, text + len, CFG_MAX_FILE_SIZE + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > CFG_MAX_FILE_SIZE)
			break;
	}
	if (n < 0) {
		ret = -errno;
		cfg_error(&ps, 0, "cannot read: %s", strerror(-ret));
		goto out;
	}
	if (len > CFG_MAX_FILE_SIZE) {
		ret = -EFBIG;
		cfg_error(&ps, 0, "larger than %d bytes", CFG_MAX_FILE_SIZE);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		ret = -EINVAL;
		cfg_error(&ps, 0, "contains a NUL byte: not a text file");
		goto out;
	}
	text[len] = '\0';
	ret = cfg_parse_string(path, text, out, errs);
out:
	free(text);
	close(fd);
	return ret;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->services);
	free(cfg->addrs);
	free(cfg->sorted);
	free(cfg);
}
