/* SPDX-License-Identifier: MIT */
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
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/log.h"

/* Keys of a [service NAME] section, as bits for "set twice" and "missing" checks. */
enum {
	K_ADDRESSES = 1 << 0,
	K_RESOLVER = 1 << 1,
	K_QUERY = 1 << 2,
	K_EXPECT = 1 << 3,
	K_INTERVAL = 1 << 4,
	K_TIMEOUT = 1 << 5,
	K_RISE = 1 << 6,
	K_FALL = 1 << 7,
	/* [agent] */
	K_INTERFACE = 1 << 8,
	K_CREATE = 1 << 9,
	K_MAINT = 1 << 10,
	K_WITHDRAW = 1 << 11,
	K_LOGLEVEL = 1 << 12,
	K_DRAIN = 1 << 13,
	K_FRRCHECK = 1 << 14,
	K_VTYSH = 1 << 15,
	K_PATHSPACE = 1 << 16,
	K_TRANSPORT = 1 << 17,
	K_RETRY = 1 << 18,
};

struct cfg_key {
	const char *name;
	unsigned bit;
	bool service; /* a [service NAME] key, else an [agent] key */
};

static const struct cfg_key cfg_keys[] = {
    {"addresses", K_ADDRESSES, true},
    {"resolver", K_RESOLVER, true},
    {"query", K_QUERY, true},
    {"expect_rcode", K_EXPECT, true},
    {"interval_ms", K_INTERVAL, true},
    {"timeout_ms", K_TIMEOUT, true},
    {"rise", K_RISE, true},
    {"fall", K_FALL, true},
    {"interface", K_INTERFACE, false},
    {"create_interface", K_CREATE, false},
    {"maintenance_file", K_MAINT, false},
    {"withdraw_on_exit", K_WITHDRAW, false},
    {"log_level", K_LOGLEVEL, false},
    {"drain_ms", K_DRAIN, false},
    {"frr_check", K_FRRCHECK, false},
    {"vtysh", K_VTYSH, false},
    {"frr_pathspace", K_PATHSPACE, false},
    {"transport", K_TRANSPORT, true},
    {"retry_ms", K_RETRY, true},
};

#define KEY_LINES 19
_Static_assert(sizeof(cfg_keys) / sizeof(cfg_keys[0]) == KEY_LINES, "one line slot per key");

struct cfg_svc_state {
	unsigned seen;
	unsigned key_line[KEY_LINES];
};

struct cfg_parser {
	const char *fname;
	const char *p; /* the rest of the text */
	unsigned line;
	struct cfg *cfg;
	struct cfg_errors *errs;
	bool nomem;
	/* The section the current line is in: the agent, a service, or none (bad header). */
	enum { SEC_NONE, SEC_AGENT, SEC_SERVICE, SEC_BAD } sec;
	struct cfg_svc_state agent_state, *svc_state;
	size_t cur; /* index of the current service */
	unsigned agent_line;
	unsigned addr_line[CFG_MAX_SERVICES];
};

static void cfg_error(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cfg_error(struct cfg_parser *ps, unsigned line, const char *fmt, ...)
{
	struct cfg_errors *e = ps->errs;
	char text[256];
	va_list ap;

	if (e->n > CFG_MAX_ERRORS)
		return;
	if (e->n == CFG_MAX_ERRORS) {
		snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%s: too many errors, giving up",
			 ps->fname);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%s:%u: %s", ps->fname, line, text);
	else
		snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%s: %s", ps->fname, text);
}

/* Whole decimal numbers only: no sign, no spaces, no hex, no trailing text. */
static int cfg_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int cfg_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static void cfg_service_defaults(struct cfg_service *s)
{
	snprintf(s->probe.server, sizeof(s->probe.server), "127.0.0.1@53");
	s->probe.rcode_ok = 1u << 0; /* NOERROR */
	s->probe.timeout_ms = 100;
	s->interval_ms = 100;
	s->rise = 3;
	s->fall = 2;
	s->retry_ms = 10;
	s->probe.tcp = true;
}

static bool cfg_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
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
	s = &cfg->services[cfg->nservices];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = ps->line;
	cfg_service_defaults(s);
	ps->cur = cfg->nservices++;
	ps->svc_state[ps->cur] = (struct cfg_svc_state){0};
	ps->sec = SEC_SERVICE;
}

/* inih's reader: one call per line, so it counts lines (this inih does not pass them to the
 * handler), sees section headers even when no key follows, and strips leading blanks so an
 * indented line is never taken for a multi-line continuation of the previous value. */
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
	while (len && (*start == ' ' || *start == '\t')) {
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

static const struct cfg_key *cfg_key_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++)
		if (!strcmp(cfg_keys[i].name, name))
			return &cfg_keys[i];
	return NULL;
}

static int cfg_key_index(unsigned bit)
{
	return __builtin_ctz(bit);
}

static void cfg_addresses(struct cfg_parser *ps, struct cfg_service *s, const char *value)
{
	char buf[1024], *tok, *save;
	size_t ntok = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct nl_addr a;

		ntok++;
		if (nl_addr_parse(tok, &a) < 0) {
			cfg_error(ps, ps->line,
				  "'%s' is not an IPv4 or IPv6 address with an optional /prefix",
				  tok);
			continue;
		}
		for (size_t i = 0; i < s->naddrs; i++) {
			if (nl_addr_equal(&s->addrs[i], &a)) {
				cfg_error(ps, ps->line, "address %s listed twice", tok);
				goto next;
			}
		}
		if (s->naddrs == CFG_MAX_ADDRS) {
			cfg_error(ps, ps->line, "too many addresses (at most %d per service)",
				  CFG_MAX_ADDRS);
			return;
		}
		s->addrs[s->naddrs++] = a;
next:;
	}
	if (ntok == 0)
		cfg_error(ps, ps->line, "addresses: no address given");
}

static void cfg_resolver(struct cfg_parser *ps, struct cfg_service *s, const char *value)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(value, '@');
	size_t hlen = at ? (size_t)(at - value) : strlen(value);
	unsigned port = 53;
	unsigned char bin[sizeof(struct in6_addr)];

	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, value, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		goto bad;
	if (at && cfg_uint(at + 1, 1, 65535, &port) < 0)
		goto bad;
	snprintf(s->probe.server, sizeof(s->probe.server), "%s@%u", host, port);
	return;
bad:
	cfg_error(ps, ps->line, "resolver '%s' is not ADDRESS[@PORT] (e.g. 127.0.0.1@53 or ::1)",
		  value);
}

static bool cfg_valid_qname(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (!strcmp(name, "."))
		return true;
	if (n == 0 || n > 254 || (n == 254 && name[n - 1] != '.'))
		return false;
	for (const char *c = name; *c; c++) {
		if (*c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63 || (unsigned char)*c <= ' ' || *c == '\\') {
			return false;
		}
	}
	return true;
}

static void cfg_query(struct cfg_parser *ps, struct cfg_service *s, const char *value)
{
	char buf[HC_QNAME_MAX + 32], *name, *type, *extra, *save;
	int qtype = 1; /* A */

	snprintf(buf, sizeof(buf), "%s", value);
	name = strtok_r(buf, " \t", &save);
	type = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!name || extra || !cfg_valid_qname(name)) {
		cfg_error(ps, ps->line, "query '%s' is not 'NAME [TYPE]' with a valid DNS name",
			  value);
		return;
	}
	if (type && (qtype = hc_qtype_parse(type)) < 0) {
		cfg_error(ps, ps->line, "query type '%s' is unknown (e.g. A, AAAA, TXT, TYPE65)",
			  type);
		return;
	}
	snprintf(s->probe.qname, sizeof(s->probe.qname), "%s%s", name,
		 name[strlen(name) - 1] == '.' ? "" : ".");
	s->probe.qtype = qtype;
}

static void cfg_expect(struct cfg_parser *ps, struct cfg_service *s, const char *value)
{
	char buf[256], *tok, *save;
	uint32_t mask = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		int rc = hc_rcode_parse(tok);

		if (rc < 0) {
			cfg_error(ps, ps->line, "expect_rcode: '%s' is not an rcode (e.g. NOERROR)",
				  tok);
			return;
		}
		/* libunbound turns every other upstream rcode into SERVFAIL. */
		if (rc != 0 && rc != 3) {
			cfg_error(ps, ps->line,
				  "expect_rcode: %s cannot be seen through libunbound: use NOERROR "
				  "and/or NXDOMAIN",
				  tok);
			return;
		}
		mask |= 1u << rc;
	}
	if (!mask) {
		cfg_error(ps, ps->line, "expect_rcode: no rcode given");
		return;
	}
	s->probe.rcode_ok = mask;
}

static void cfg_number(struct cfg_parser *ps, const char *key, const char *value, unsigned long min,
		       unsigned long max, unsigned *out)
{
	if (cfg_uint(value, min, max, out) < 0)
		cfg_error(ps, ps->line, "%s = %s: expected a whole number from %lu to %lu", key,
			  value, min, max);
}

static void cfg_agent_key(struct cfg_parser *ps, const struct cfg_key *k, const char *value)
{
	struct cfg *cfg = ps->cfg;
	bool *flag;
	int level;

	switch (k->bit) {
	case K_INTERFACE:
		if (!*value || strlen(value) >= IFNAMSIZ || strpbrk(value, "/ \t:") ||
		    !strcmp(value, ".") || !strcmp(value, ".."))
			cfg_error(ps, ps->line,
				  "interface '%s' is not a valid interface name (1-%d characters, "
				  "no '/', ':' or spaces)",
				  value, IFNAMSIZ - 1);
		else
			snprintf(cfg->interface, sizeof(cfg->interface), "%s", value);
		break;
	case K_CREATE:
	case K_WITHDRAW:
	case K_FRRCHECK:
		flag = k->bit == K_CREATE     ? &cfg->create_interface
		       : k->bit == K_WITHDRAW ? &cfg->withdraw_on_exit
					      : &cfg->frr_check;
		if (cfg_bool(value, flag) < 0)
			cfg_error(ps, ps->line, "%s = %s: expected yes or no", k->name, value);
		break;
	case K_VTYSH:
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->vtysh))
			cfg_error(ps, ps->line, "vtysh '%s' must be an absolute path", value);
		else
			snprintf(cfg->vtysh, sizeof(cfg->vtysh), "%s", value);
		break;
	case K_PATHSPACE:
		if (!cfg_valid_name(value))
			cfg_error(
			    ps, ps->line,
			    "frr_pathspace '%s' must be 1-%d letters, digits, '_', '.' or '-'",
			    value, CFG_NAME_MAX - 1);
		else
			snprintf(cfg->frr_pathspace, sizeof(cfg->frr_pathspace), "%s", value);
		break;
	default:
		/* a key in cfg_keys[] without a case here is a bug, not a user error */
		cfg_error(ps, ps->line, "'%s' is not handled (bug)", k->name);
		break;
	case K_MAINT:
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->maintenance_file))
			cfg_error(ps, ps->line, "maintenance_file '%s' must be an absolute path",
				  value);
		else
			snprintf(cfg->maintenance_file, sizeof(cfg->maintenance_file), "%s", value);
		break;
	case K_DRAIN:
		cfg_number(ps, k->name, value, 0, 10000, &cfg->drain_ms);
		break;
	case K_LOGLEVEL:
		level = log_level_parse(value);
		if (level < 0)
			cfg_error(ps, ps->line,
				  "log_level '%s' is unknown (debug, info, warning or error)",
				  value);
		else
			cfg->log_level = level;
		break;
	}
}

static void cfg_service_key(struct cfg_parser *ps, const struct cfg_key *k, const char *value)
{
	struct cfg_service *s = &ps->cfg->services[ps->cur];

	switch (k->bit) {
	case K_ADDRESSES:
		if (!ps->addr_line[ps->cur])
			ps->addr_line[ps->cur] = ps->line;
		cfg_addresses(ps, s, value);
		break;
	case K_RESOLVER:
		cfg_resolver(ps, s, value);
		break;
	case K_QUERY:
		cfg_query(ps, s, value);
		break;
	case K_EXPECT:
		cfg_expect(ps, s, value);
		break;
	case K_INTERVAL:
		cfg_number(ps, k->name, value, 10, 3600000, &s->interval_ms);
		break;
	case K_TIMEOUT:
		cfg_number(ps, k->name, value, 10, 10000, &s->probe.timeout_ms);
		break;
	case K_RISE:
		cfg_number(ps, k->name, value, 1, 1000, &s->rise);
		break;
	case K_FALL:
		cfg_number(ps, k->name, value, 1, 1000, &s->fall);
		break;
	case K_RETRY:
		cfg_number(ps, k->name, value, 0, 60000, &s->retry_ms);
		break;
	case K_TRANSPORT:
		if (!strcmp(value, "tcp") || !strcmp(value, "udp"))
			s->probe.tcp = value[0] == 't';
		else
			cfg_error(ps, ps->line, "transport '%s': expected udp or tcp", value);
		break;
	}
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parser *ps = user;
	const struct cfg_key *k;
	struct cfg_svc_state *st;
	int idx;

	(void)section; /* the reader tracked it, with its line */
	if (ps->sec == SEC_BAD)
		return 1; /* the header's error was reported; don't add one per key */
	if (ps->sec == SEC_NONE) {
		cfg_error(ps, ps->line, "'%s' is outside any section", name);
		return 1;
	}
	k = cfg_key_find(name);
	if (!k || k->service != (ps->sec == SEC_SERVICE)) {
		cfg_error(ps, ps->line, "unknown key '%s' in [%s]", name,
			  ps->sec == SEC_AGENT ? "agent" : "service");
		return 1;
	}
	st = ps->sec == SEC_AGENT ? &ps->agent_state : &ps->svc_state[ps->cur];
	idx = cfg_key_index(k->bit);
	/* addresses may take several lines: 64 IPv6 addresses do not fit in one */
	if ((st->seen & k->bit) && k->bit != K_ADDRESSES) {
		cfg_error(ps, ps->line, "'%s' set twice (first on line %u)", name,
			  st->key_line[idx]);
		return 1;
	}
	st->seen |= k->bit;
	st->key_line[idx] = ps->line;
	if (!*value) {
		cfg_error(ps, ps->line, "'%s' has an empty value", name);
		return 1;
	}
	if (ps->sec == SEC_AGENT)
		cfg_agent_key(ps, k, value);
	else
		cfg_service_key(ps, k, value);
	return 1;
}

/* Probing an anycast address would test whichever instance answers, not this host's. */
static void cfg_check_resolver(struct cfg_parser *ps, const struct cfg_service *s)
{
	char host[HC_SERVER_MAX], *at;
	struct nl_addr r;

	snprintf(host, sizeof(host), "%s", s->probe.server);
	at = strrchr(host, '@');
	if (at)
		*at = '\0';
	if (nl_addr_parse(host, &r) < 0)
		return;
	for (size_t i = 0; i < ps->cfg->nservices; i++) {
		const struct cfg_service *o = &ps->cfg->services[i];

		for (size_t j = 0; j < o->naddrs; j++) {
			size_t len = r.family == AF_INET ? sizeof(r.u.v4) : sizeof(r.u.v6);

			if (o->addrs[j].family == r.family && !memcmp(&o->addrs[j].u, &r.u, len)) {
				cfg_error(
				    ps, s->line,
				    "[service %s] resolver %s is an anycast address: probe the "
				    "host's own unicast or loopback address",
				    s->name, host);
				return;
			}
		}
	}
}

/* Whole-file checks, once every section is read. */
static void cfg_finish(struct cfg_parser *ps)
{
	struct cfg *cfg = ps->cfg;

	if (cfg->nservices == 0)
		cfg_error(ps, 0, "no [service NAME] section: nothing to announce");
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct cfg_service *s = &cfg->services[i];
		unsigned seen = ps->svc_state[i].seen;

		if (!(seen & K_ADDRESSES))
			cfg_error(ps, s->line, "[service %s] has no 'addresses'", s->name);
		if (!(seen & K_QUERY))
			cfg_error(ps, s->line, "[service %s] has no 'query'", s->name);
		for (size_t j = 0; j < s->naddrs; j++) {
			for (size_t k = 0; k < i; k++) {
				for (size_t m = 0; m < cfg->services[k].naddrs; m++) {
					char abuf[NL_ADDRSTRLEN];

					if (!nl_addr_equal(&s->addrs[j],
							   &cfg->services[k].addrs[m]))
						continue;
					cfg_error(ps, ps->addr_line[i],
						  "address %s is already in [service %s]",
						  nl_addr_str(&s->addrs[j], abuf, sizeof(abuf)),
						  cfg->services[k].name);
				}
			}
		}
		cfg_check_resolver(ps, s);
	}
}

int cfg_parse_string(const char *fname, const char *text, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_parser ps = {.fname = fname, .p = text, .errs = errs};
	struct cfg *cfg;
	int ret;

	errs->n = 0;
	cfg = calloc(1, sizeof(*cfg));
	ps.svc_state = calloc(CFG_MAX_SERVICES, sizeof(*ps.svc_state));
	if (cfg)
		cfg->services = calloc(CFG_MAX_SERVICES, sizeof(*cfg->services));
	if (!cfg || !ps.svc_state || !cfg->services) {
		ret = -ENOMEM;
		goto fail;
	}
	snprintf(cfg->interface, sizeof(cfg->interface), "anycast0");
	cfg->create_interface = true;
	snprintf(cfg->maintenance_file, sizeof(cfg->maintenance_file),
		 "/etc/anycast-agent/maintenance");
	cfg->withdraw_on_exit = true;
	cfg->drain_ms = 500;
	cfg->frr_check = true;
	snprintf(cfg->vtysh, sizeof(cfg->vtysh), "/usr/bin/vtysh");
	cfg->log_level = LOG_INFO;
	ps.cfg = cfg;

	ret = ini_parse_stream(cfg_reader, &ps, cfg_handler, &ps);
	/* The reader and handler report everything they see; this only catches what inih
	 * rejected on its own. */
	if (ret > 0 && errs->n == 0)
		cfg_error(&ps, (unsigned)ret, "syntax error");
	cfg_finish(&ps);
	if (errs->n) {
		ret = -EINVAL;
		goto fail;
	}
	free(ps.svc_state);
	*out = cfg;
	return 0;
fail:
	free(ps.svc_state);
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

	errs->n = 0;
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
	free(cfg);
}

const struct cfg_service *cfg_service_find(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

const struct cfg_service *cfg_addr_owner(const struct cfg *cfg, const struct nl_addr *a)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		for (size_t j = 0; j < cfg->services[i].naddrs; j++)
			if (nl_addr_equal(&cfg->services[i].addrs[j], a))
				return &cfg->services[i];
	return NULL;
}
