/* SPDX-License-Identifier: MIT */
/* health: DNS rcode and RR type names, for the config and the logs. */
#include <errno.h>
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
