/* SPDX-License-Identifier: MIT */
/* libFuzzer: arbitrary bytes as a vtysh answer through every FRR walker (OSPF, BGP, the
 * list of daemons). Each must
 * return 0 or -EBADMSG with one line of message, never crash or leak, and report only
 * sound prefixes (a known family, a length that fits, no bits past it). Includes the file
 * under test, as wireguard-tools fuzzers do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../agent/frr_json.c"
#include "../agent/frr_bgp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prefix(const struct nl_addr *a, void *data)
{
	struct nl_addr b = *a;

	(void)data;
	if (a->family != AF_INET && a->family != AF_INET6)
		abort();
	if (a->prefixlen > (a->family == AF_INET ? 32 : 128))
		abort();
	frr_mask(&b);
	if (!nl_addr_equal(a, &b))
		abort();
}

static void check_name(const char *name, void *data)
{
	(void)data;
	if (!name)
		abort();
}

static void check_ret(int ret, const char *err, size_t errlen)
{
	if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
		abort();
	if (ret == 0 && err[0])
		abort();
	if (ret == -EBADMSG && errlen > 1 && !err[0])
		abort();
	if (strnlen(err, errlen) >= errlen || strchr(err, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int (*const pw[])(const char *, frr_prefix_cb, void *, char *, size_t) = {
	    frr_ospf_external, frr_ospf_router_stubs, frr_ospf6_external, frr_ospf6_intra_prefixes};
	static int (*const nw[])(const char *, int *, char *, size_t) = {frr_ospf_neighbours,
									 frr_ospf6_neighbours};
	/* a short message buffer too: cut, still terminated */
	static const size_t lens[] = {256, 9};
	char *text, err[256];
	int full;

	if (size > 1 << 20)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
			err[0] = '\0';
			check_ret(pw[i](text, check_prefix, NULL, err, lens[l]), err, lens[l]);
		}
		for (size_t i = 0; i < sizeof(nw) / sizeof(nw[0]); i++) {
			int ret;

			err[0] = '\0';
			full = -1;
			ret = nw[i](text, &full, err, lens[l]);
			check_ret(ret, err, lens[l]);
			if (ret == 0 && full < 0)
				abort();
		}
		for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
			uint32_t as = 1;
			int peers = -1, ret;

			err[0] = '\0';
			ret = frr_bgp_summary(text, family, &as, &peers, check_name, NULL, err,
					      lens[l]);
			check_ret(ret, err, lens[l]);
			if (peers < 0 || (ret < 0 && (as || peers)) || (peers && !as))
				abort();
		}
		{
			struct frr_bgp_path best;
			unsigned mask;
			int ret;

			err[0] = '\0';
			ret = frr_bgp_route(text, FRR_BGP_ROUTE4, &best, check_name, NULL, err,
					    lens[l]);
			check_ret(ret, err, lens[l]);
			if (ret < 0 && (best.sourced || best.aslen))
				abort();
			err[0] = '\0';
			ret = frr_daemons(text, &mask, err, lens[l]);
			check_ret(ret, err, lens[l]);
			if (mask & ~(unsigned)(FRR_OSPFD | FRR_OSPF6D | FRR_BGPD))
				abort();
		}
	}
	free(text);
	return 0;
}
