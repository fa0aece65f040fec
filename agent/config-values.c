/* SPDX-License-Identifier: MIT */
/* config: one parser per kind of value; each reports its own errors with the line. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/config-int.h"
#include "agent/log.h"

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

bool cfg_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

void cfg_p_ifname(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	bool ok = *value && strlen(value) < IFNAMSIZ && strcmp(value, ".") && strcmp(value, "..");

	/* the kernel's rules (dev_valid_name), and nothing a log line would carry oddly */
	for (const char *c = value; ok && *c; c++)
		ok = *c != '/' && *c != ':' && !isspace((unsigned char)*c) &&
		     !iscntrl((unsigned char)*c);
	if (!ok) {
		cfg_error(ps, ps->line,
			  "%s '%s' is not a valid interface name (1-%d characters, no '/', ':', "
			  "spaces or control characters, not '.' or '..')",
			  k->name, value, IFNAMSIZ - 1);
		return;
	}
	snprintf(field, k->size, "%s", value);
	if (field == ps->cfg->interface)
		ps->cfg->interface_line = ps->line;
}

void cfg_p_standby(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	if (*value)
		cfg_p_ifname(ps, k, value, field);
	else
		*(char *)field = '\0';
}

void cfg_p_bool(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(value, yes[i]) || !strcasecmp(value, no[i])) {
			*(bool *)field = !strcasecmp(value, yes[i]);
			return;
		}
	}
	cfg_error(ps, ps->line, "%s = %s: expected yes or no", k->name, value);
}

void cfg_p_uint(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	if (cfg_uint(value, k->min, k->max, field) < 0)
		cfg_error(ps, ps->line, "%s = %s: expected a whole number from %lu to %lu", k->name,
			  value, k->min, k->max);
}

void cfg_p_path(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	if (!*value && !ps->line) /* a default of none (metrics_file) */
		*(char *)field = '\0';
	else if (value[0] != '/' || strlen(value) >= k->size)
		cfg_error(ps, ps->line, "%s '%s' must be an absolute path", k->name, value);
	else
		snprintf(field, k->size, "%s", value);
}

void cfg_p_pathspace(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	/* the default (none) */
	if (!*value && !ps->line) {
		*(char *)field = '\0';
		return;
	}
	/* vtysh -N takes it as a directory name and an option could follow: no "..", no "-c" */
	if (!cfg_valid_name(value) || !isalnum((unsigned char)value[0]))
		cfg_error(ps, ps->line,
			  "%s '%s' must be 1-%d letters, digits, '_', '.' or '-', starting with a "
			  "letter or digit",
			  k->name, value, CFG_NAME_MAX - 1);
	else
		snprintf(field, k->size, "%s", value);
}

void cfg_p_loglevel(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	int level = log_level_parse(value);

	if (level < 0)
		cfg_error(ps, ps->line, "%s '%s' is unknown (debug, info, warning or error)",
			  k->name, value);
	else
		*(int *)field = level;
}

static bool in_net4(uint32_t a, uint32_t net, unsigned len)
{
	return len == 0 || (a >> (32 - len)) == (net >> (32 - len));
}

/* Why a can never be a service address that routers announce, or NULL. */
static const char *cfg_addr_unusable(const struct nl_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->u.v4.s_addr);

		if (in_net4(v, 0, 8))
			return "unspecified ('this network', 0.0.0.0/8)";
		if (in_net4(v, 0x7f000000, 8))
			return "loopback";
		if (in_net4(v, 0xa9fe0000, 16))
			return "link-local";
		if (in_net4(v, 0xe0000000, 4))
			return "multicast";
		if (v == 0xffffffff)
			return "broadcast";
		return NULL;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&a->u.v6))
		return "unspecified";
	if (IN6_IS_ADDR_LOOPBACK(&a->u.v6))
		return "loopback";
	if (IN6_IS_ADDR_LINKLOCAL(&a->u.v6))
		return "link-local";
	if (IN6_IS_ADDR_MULTICAST(&a->u.v6))
		return "multicast";
	if (IN6_IS_ADDR_V4MAPPED(&a->u.v6))
		return "IPv4-mapped";
	return NULL;
}

void cfg_p_addresses(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	struct cfg *cfg = ps->cfg;
	struct cfg_service *s = &cfg->services[cfg->nservices - 1];
	char buf[1024], *tok, *save;
	size_t ntok = 0;

	(void)field;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		unsigned host = 0;
		const char *why;
		struct nl_addr a;
		bool dup = false;

		ntok++;
		if (nl_addr_parse(tok, &a) < 0) {
			cfg_error(ps, ps->line,
				  "'%s' is not an IPv4 or IPv6 address with an optional /prefix",
				  tok);
			continue;
		}
		host = a.family == AF_INET ? 32 : 128;
		if (a.prefixlen != host) {
			cfg_error(ps, ps->line,
				  "address %s: a service address is one host (/%u): routers would "
				  "announce the whole /%u from every instance",
				  tok, host, a.prefixlen);
			continue;
		}
		why = cfg_addr_unusable(&a);
		if (why) {
			cfg_error(ps, ps->line, "address %s is %s: routers cannot announce it", tok,
				  why);
			continue;
		}
		for (size_t i = s->first; i < cfg->naddrs && !dup; i++)
			dup = nl_addr_equal(&cfg->addrs[i].addr, &a);
		if (dup) {
			cfg_error(ps, ps->line, "address %s listed twice", tok);
			continue;
		}
		if (s->naddrs == CFG_MAX_ADDRS) {
			cfg_error(ps, ps->line, "too many addresses (at most %d per service)",
				  CFG_MAX_ADDRS);
			return;
		}
		if (cfg->naddrs == ps->cap_addrs) {
			size_t cap = ps->cap_addrs ? 2 * ps->cap_addrs : 8;
			struct cfg_addr *p = realloc(cfg->addrs, cap * sizeof(*p));

			if (!p) {
				ps->nomem = true;
				return;
			}
			cfg->addrs = p;
			ps->cap_addrs = cap;
		}
		cfg->addrs[cfg->naddrs++] =
		    (struct cfg_addr){.addr = a, .svc = cfg->nservices - 1, .line = ps->line};
		s->naddrs++;
	}
	if (ntok == 0)
		cfg_error(ps, ps->line, "%s: no address given", k->name);
}

void cfg_p_resolver(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	struct sockaddr_storage *ss = field;
	struct sockaddr_in *in = field;
	struct sockaddr_in6 *in6 = field;
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(value, '@');
	size_t hlen = at ? (size_t)(at - value) : strlen(value);
	unsigned port = 53;
	struct nl_addr a;

	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, value, hlen);
	host[hlen] = '\0';
	if (nl_addr_parse(host, &a) < 0 || strchr(host, '/'))
		goto bad;
	if (at && cfg_uint(at + 1, 1, 65535, &port) < 0)
		goto bad;
	if ((a.family == AF_INET &&
	     (a.u.v4.s_addr == INADDR_ANY || IN_MULTICAST(ntohl(a.u.v4.s_addr)))) ||
	    (a.family == AF_INET6 &&
	     (IN6_IS_ADDR_UNSPECIFIED(&a.u.v6) || IN6_IS_ADDR_MULTICAST(&a.u.v6)))) {
		cfg_error(ps, ps->line, "%s %s: probe one resolver's own unicast address", k->name,
			  host);
		return;
	}
	memset(ss, 0, sizeof(*ss));
	if (a.family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_addr = a.u.v4;
		in->sin_port = htons((uint16_t)port);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = a.u.v6;
		in6->sin6_port = htons((uint16_t)port);
	}
	return;
bad:
	cfg_error(ps, ps->line, "%s '%s' is not ADDRESS[@PORT] (e.g. 127.0.0.1@53 or ::1)", k->name,
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

void cfg_p_query(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	struct hc_params *p = field;
	char buf[HC_QNAME_MAX + 32], *name, *type, *extra, *save;
	int qtype = 1; /* A */

	snprintf(buf, sizeof(buf), "%s", value);
	name = strtok_r(buf, " \t", &save);
	type = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!name || extra || !cfg_valid_qname(name)) {
		cfg_error(ps, ps->line, "%s '%s' is not 'NAME [TYPE]' with a valid DNS name",
			  k->name, value);
		return;
	}
	if (type && (qtype = hc_qtype_parse(type)) < 0) {
		cfg_error(ps, ps->line, "%s type '%s' is unknown (e.g. A, AAAA, TXT, TYPE65)",
			  k->name, type);
		return;
	}
	snprintf(p->qname, sizeof(p->qname), "%s%s", name,
		 name[strlen(name) - 1] == '.' ? "" : ".");
	p->qtype = qtype;
}

void cfg_p_expect(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	char buf[256], *tok, *save;
	uint32_t mask = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		int rc = hc_rcode_parse(tok);

		if (rc < 0) {
			cfg_error(ps, ps->line, "%s: '%s' is not an rcode (e.g. NOERROR)", k->name,
				  tok);
			return;
		}
		/* libunbound turns every other upstream rcode into SERVFAIL. */
		if (rc != 0 && rc != 3) {
			cfg_error(ps, ps->line,
				  "%s: %s cannot be seen through libunbound: use NOERROR and/or "
				  "NXDOMAIN",
				  k->name, tok);
			return;
		}
		mask |= 1u << rc;
	}
	if (!mask)
		cfg_error(ps, ps->line, "%s: no rcode given", k->name);
	else
		*(uint32_t *)field = mask;
}

void cfg_p_transport(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	if (!strcmp(value, "tcp") || !strcmp(value, "udp"))
		*(bool *)field = value[0] == 't';
	else
		cfg_error(ps, ps->line, "%s '%s': expected udp or tcp", k->name, value);
}

void cfg_p_on_failure(struct cfg_parser *ps, const struct cfg_key *k, const char *value,
		      void *field)
{
	if (!strcmp(value, "standby") || !strcmp(value, "withdraw"))
		*(bool *)field = value[0] == 'w';
	else
		cfg_error(ps, ps->line, "%s '%s': expected standby or withdraw", k->name, value);
}

void cfg_p_deep_query(struct cfg_parser *ps, const struct cfg_key *k, const char *value,
		      void *field)
{
	if (*value)
		cfg_p_query(ps, k, value, field);
	else
		((struct hc_params *)field)->qname[0] = '\0';
}

void cfg_p_announce(struct cfg_parser *ps, const struct cfg_key *k, const char *value, void *field)
{
	if (!strcmp(value, "route") || !strcmp(value, "address"))
		*(bool *)field = value[0] == 'a';
	else
		cfg_error(ps, ps->line, "%s '%s': expected route or address", k->name, value);
}
