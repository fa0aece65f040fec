/* SPDX-License-Identifier: MIT */
/* health: DNS rcode and RR type names, and the probe parameters as text, for the config and
 * the logs. No libunbound here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "health/hc.h"

#define HC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 1035, 2136 and 6895: the index is the rcode. */
static const char *const hc_rcodes[] = {
    "NOERROR",	"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
};

static const struct {
	const char *name;
	int type;
} hc_qtypes[] = {
    {"A", 1},	  {"NS", 2},	 {"CNAME", 5}, {"SOA", 6},    {"PTR", 12}, {"MX", 15},
    {"TXT", 16},  {"AAAA", 28},	 {"SRV", 33},  {"NAPTR", 35}, {"DS", 43},  {"DNSKEY", 48},
    {"SVCB", 64}, {"HTTPS", 65}, {"ANY", 255}, {"CAA", 257},
};

int hc_rcode_parse(const char *name)
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < HC_ARRAY_SIZE(hc_rcodes); i++)
		if (strcasecmp(name, hc_rcodes[i]) == 0)
			return (int)i;
	return -1;
}

const char *hc_rcode_name(int rcode)
{
	if (rcode < 0 || (size_t)rcode >= HC_ARRAY_SIZE(hc_rcodes))
		return "UNKNOWN";
	return hc_rcodes[rcode];
}

int hc_qtype_parse(const char *name)
{
	unsigned long v;
	char *end;
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < HC_ARRAY_SIZE(hc_qtypes); i++)
		if (strcasecmp(name, hc_qtypes[i].name) == 0)
			return hc_qtypes[i].type;
	/* RFC 3597 generic form. strtoul alone would accept " 1", "+1" and "-1". */
	if (strncasecmp(name, "TYPE", 4) != 0 || name[4] < '0' || name[4] > '9')
		return -1;
	errno = 0;
	v = strtoul(name + 4, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

const char *hc_server_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET && inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
		snprintf(buf, len, "%s@%u", ip, ntohs(in->sin_port));
	else if (ss->ss_family == AF_INET6 && inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
		snprintf(buf, len, "%s@%u", ip, ntohs(in6->sin6_port));
	else
		snprintf(buf, len, "?");
	return buf;
}

bool hc_params_equal(const struct hc_params *a, const struct hc_params *b)
{
	char sa[HC_SERVER_MAX], sb[HC_SERVER_MAX];

	return !strcmp(hc_server_str(&a->server, sa, sizeof(sa)),
		       hc_server_str(&b->server, sb, sizeof(sb))) &&
	       !strcmp(a->qname, b->qname) && a->qtype == b->qtype && a->rcode_ok == b->rcode_ok &&
	       a->timeout_ms == b->timeout_ms && a->tcp == b->tcp;
}
