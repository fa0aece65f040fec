/* SPDX-License-Identifier: MIT */
/* Unit tests of the BGP side of agent/frr.c and agent/frr_bgp.c: the walkers over answers
 * captured from FRR 8.4.4 bgpd (tests/data/frr/8.4-bgp-*, see the README there), and
 * frr_view_read() over a fake vtysh that answers with them. Run from the top of the tree. */
#include "tests/frr_test.h"

#define R4     "10.53.0.53/32"
#define R6     "fd53::53/128"
#define CMD_R4 "show bgp ipv4 unicast " R4 " json"
#define CMD_R6 "show bgp ipv6 unicast " R6 " json"

struct names {
	char n[4][64];
	size_t count;
};

static void name_cb(const char *name, void *data)
{
	struct names *g = data;

	assert_true(g->count < 4);
	snprintf(g->n[g->count++], sizeof(g->n[0]), "%s", name);
}

static void test_daemons(void **state)
{
	char *text, err[256] = "";
	unsigned mask = 99;

	(void)state;
	text = slurp("8.4-bgp-daemons.txt");
	assert_int_equal(frr_daemons(text, &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, FRR_BGPD);
	free(text);
	text = slurp("8.4-bgp-daemons-nobgpd.txt");
	assert_int_equal(frr_daemons(text, &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	free(text);
	assert_int_equal(frr_daemons(" zebra ospfd ospf6d bgpd staticd\n", &mask, err, sizeof(err)),
			 0);
	assert_int_equal(mask, FRR_OSPFD | FRR_OSPF6D | FRR_BGPD);
	assert_int_equal(frr_daemons("", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	assert_string_equal(err, "");
	/* "ospfd" as part of a longer name is not ospfd */
	assert_int_equal(frr_daemons(" ospfdx bgpd2\n", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(frr_daemons("% Unknown command: show daemons", &mask, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(mask, 0);
	assert_string_equal(err, FRR_DAEMONS ": '%' is not a daemon's name");
	assert_int_equal(frr_daemons(" zebra {}", &mask, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, FRR_DAEMONS ": '{}' is not a daemon's name");
	assert_int_equal(frr_daemons(" zebra bgpd: up", &mask, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, FRR_DAEMONS ": 'bgpd:' is not a daemon's name");
}

static void expect_summary(const char *file, int family, uint32_t as, int peers,
			   const char *established)
{
	char *text = slurp(file), err[256] = "";
	struct names g = {.count = 0};
	uint32_t got_as = 1;
	int got_peers = -1,
	    ret = frr_bgp_summary(text, family, &got_as, &got_peers, name_cb, &g, err, sizeof(err));

	if (ret != 0)
		print_error("%s: %s\n", file, err);
	assert_int_equal(ret, 0);
	assert_int_equal(got_as, as);
	assert_int_equal(got_peers, peers);
	assert_int_equal(g.count, established ? 1 : 0);
	if (established)
		assert_string_equal(g.n[0], established);
	free(text);
}

static void test_bgp_summary(void **state)
{
	(void)state;
	expect_summary("8.4-bgp-summary4.json", AF_INET, 65053, 1, "10.10.11.1");
	expect_summary("8.4-bgp-summary6.json", AF_INET6, 65053, 1, "fd10:10:0:11::1");
	expect_summary("8.4-bgp-summary4-down.json", AF_INET, 65053, 1, NULL); /* "Active" */
	expect_summary("8.4-bgp-summary6-shutdown.json", AF_INET6, 65053, 1, NULL);
	expect_summary("8.4-bgp-summary-noinstance.json", AF_INET, 0, 0, NULL);
}

static void expect_route(const char *file, const char *cmd, bool sourced, unsigned aslen,
			 const char *advertised)
{
	char *text = slurp(file), err[256] = "";
	struct names g = {.count = 0};
	struct frr_bgp_path best = {true, 99};
	int ret = frr_bgp_route(text, cmd, &best, name_cb, &g, err, sizeof(err));

	if (ret != 0)
		print_error("%s: %s\n", file, err);
	assert_int_equal(ret, 0);
	assert_int_equal(best.sourced, sourced);
	assert_int_equal(best.aslen, aslen);
	assert_int_equal(g.count, advertised ? 1 : 0);
	if (advertised)
		assert_string_equal(g.n[0], advertised);
	free(text);
}

static void test_bgp_route(void **state)
{
	char *text, err[256] = "";
	struct frr_bgp_path best;
	struct names g = {.count = 0};

	(void)state;
	expect_route("8.4-bgp-route4.json", CMD_R4, true, 0, "10.10.11.1");
	expect_route("8.4-bgp-route6.json", CMD_R6, true, 0, "fd10:10:0:11::1");
	/* redistribute kernel through route-map STANDBY4: 65053 65053 65053 */
	expect_route("8.4-bgp-route4-standby.json", CMD_R4, true, 3, "10.10.11.1");
	expect_route("8.4-bgp-route6-standby.json", CMD_R6, true, 3, "fd10:10:0:11::1");
	expect_route("8.4-bgp-route4-standby-noprepend.json", CMD_R4, true, 0, "10.10.11.1");
	/* route-map EXPORT4 denies it: no "advertisedTo" */
	expect_route("8.4-bgp-route4-notadvertised.json", CMD_R4, true, 0, NULL);
	expect_route("8.4-bgp-route4-down.json", CMD_R4, true, 0, NULL);
	/* not in the table: "{}" */
	expect_route("8.4-bgp-route4-none.json", CMD_R4, false, 0, NULL);
	/* the router's view of the same prefix, learnt from the host: not its own */
	expect_route("8.4-bgp-route4-received.json", CMD_R4, false, 1, NULL);

	/* only the best path counts (here the second one, ours, is not the best) */
	assert_int_equal(
	    frr_bgp_route("{\"paths\":[{\"bestpath\":{\"overall\":true},"
			  "\"aspath\":{\"length\":1}},{\"valid\":true,\"sourced\":true,"
			  "\"aspath\":{\"length\":0}}]}",
			  CMD_R4, &best, name_cb, &g, err, sizeof(err)),
	    0);
	assert_false(best.sourced);
	assert_int_equal(best.aslen, 1);

	text = slurp("8.4-bgp-route4-noinstance.json");
	assert_int_equal(frr_bgp_route(text, CMD_R4, &best, name_cb, &g, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, CMD_R4 ": FRR says 'Default BGP instance not found'");
	free(text);
}

/* What the walkers say about answers that are not what FRR 8.4 to 10.x print. */
static void test_bgp_malformed(void **state)
{
	static const struct {
		const char *json, *want;
	} sums[] = {
	    {"{\"as\":65053,\"peers\":[]}", "'peers' is an array, expected an object"},
	    {"{\"peers\":{}}", "'as' is missing"},
	    {"{\"as\":\"65053\",\"peers\":{}}", "'as' is a string, expected an integer"},
	    {"{\"as\":0,\"peers\":{}}", "'as' is 0, expected an AS number"},
	    {"{\"as\":4294967296,\"peers\":{}}", "'as' is 4294967296, expected an AS number"},
	    {"{\"as\":1,\"peers\":{\"10.10.11.1\":[]}}",
	     "'peers'.'10.10.11.1' is an array, expected an object"},
	    {"{\"as\":1,\"peers\":{\"10.10.11.1\":{}}}", "'peers'.'10.10.11.1'.'state' is missing"},
	    {"{\"as\":1,\"peers\":{\"10.10.11.1\":{\"state\":1}}}",
	     "'peers'.'10.10.11.1'.'state' is an integer, expected a string"},
	    {"[]", "the answer is an array, expected an object"},
	    {"{\"as\":1,", "not JSON (truncated at byte 8)"},
	    {"% BGP instance not found", "FRR says '% BGP instance not found'"},
	};
	static const struct {
		const char *json, *want;
	} routes[] = {
	    {"{\"paths\":{}}", "'paths' is an object, expected an array"},
	    {"{\"paths\":[1]}", "'paths'[0] is an integer, expected an object"},
	    {"{\"advertisedTo\":[]}", "'advertisedTo' is an array, expected an object"},
	    {"{\"paths\":[{\"advertisedTo\":\"x\"}]}",
	     "'paths'[0].'advertisedTo' is a string, expected an object"},
	    {"{\"paths\":[{\"bestpath\":true}]}",
	     "'paths'[0].'bestpath' is a boolean, expected an object"},
	    {"{\"paths\":[{\"bestpath\":{}}]}", "'paths'[0].'bestpath'.'overall' is missing"},
	    {"{\"paths\":[{\"bestpath\":{\"overall\":\"yes\"}}]}",
	     "'paths'[0].'bestpath'.'overall' is a string, expected a boolean"},
	    {"{\"paths\":[{\"bestpath\":{\"overall\":true}}]}", "'paths'[0].'aspath' is missing"},
	    {"{\"paths\":[{\"bestpath\":{\"overall\":true},\"aspath\":{}}]}",
	     "'paths'[0].'aspath'.'length' is missing"},
	    {"{\"paths\":[{\"bestpath\":{\"overall\":true},\"aspath\":{\"length\":-1}}]}",
	     "'paths'[0].'aspath'.'length' is -1, expected 0 to 4096"},
	    {"{\"paths\":[{\"bestpath\":{\"overall\":true},\"aspath\":{\"length\":0},"
	     "\"sourced\":1}]}",
	     "'paths'[0].'sourced' is an integer, expected a boolean"},
	    {"{\"warning\":7}", "'warning' is an integer, expected a string"},
	};
	char err[256], want[300];
	struct names g;
	struct frr_bgp_path best;
	uint32_t as;
	int peers;

	(void)state;
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
		g.count = 0;
		err[0] = '\0';
		assert_int_equal(frr_bgp_summary(sums[i].json, AF_INET6, &as, &peers, name_cb, &g,
						 err, sizeof(err)),
				 -EBADMSG);
		snprintf(want, sizeof(want), FRR_BGP_SUMMARY6 ": %s", sums[i].want);
		assert_string_equal(err, want);
		assert_int_equal(as, 0);
		assert_int_equal(peers, 0);
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
		    frr_bgp_route(routes[i].json, CMD_R4, &best, name_cb, &g, err, sizeof(err)),
		    -EBADMSG);
		snprintf(want, sizeof(want), CMD_R4 ": %s", routes[i].want);
		assert_string_equal(err, want);
		assert_false(best.sourced);
	}
}

/* A fake vtysh answering "show daemons" and bgpd's commands with these files, after
 * running bgp_pre. */
static const char *bgp_pre = "";

static const char *bgp_vtysh(const char *daemons, const char *sum4, const char *route4,
			     const char *sum6, const char *route6)
{
	static char body[2048];

	snprintf(body, sizeof(body),
		 "%scase \"$cmd\" in\n"
		 "'" FRR_DAEMONS "') cat \"$F/%s\";;\n"
		 "'" FRR_BGP_SUMMARY4 "') cat \"$F/%s\";;\n"
		 "'" CMD_R4 "') cat \"$F/%s\";;\n"
		 "'" FRR_BGP_SUMMARY6 "') cat \"$F/%s\";;\n"
		 "'" CMD_R6 "') cat \"$F/%s\";;\n"
		 "*ospf*) echo '{}';;\n"
		 "*) echo \"%% Unknown command: $cmd\"; exit 1;;\n"
		 "esac",
		 bgp_pre, daemons, sum4, route4, sum6, route6);
	return script(body);
}

static void test_view_bgp(void **state)
{
	struct nl_addr addrs[] = {addr(R4), addr(R6)};
	struct frr_opts o = {NULL, "h", true, true, now_us() + 5000000, addrs, 2};
	const struct frr_bgp_addr *b4, *b6;
	struct frr_view v;
	char args[2048];

	(void)state;
	/* healthy: bgpd alone runs; no OSPF command is run */
	o.vtysh = bgp_vtysh("8.4-bgp-daemons.txt", "8.4-bgp-summary4.json", "8.4-bgp-route4.json",
			    "8.4-bgp-summary6.json", "8.4-bgp-route6.json");
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "");
	assert_int_equal(v.daemons, FRR_BGPD);
	assert_false(v.asked4 || v.asked6);
	assert_int_equal(v.full4, -1);
	assert_true(v.bgp_asked4 && v.bgp_asked6);
	assert_int_equal(v.established4, 1);
	assert_int_equal(v.established6, 1);
	assert_int_equal(v.peers4, 1);
	assert_int_equal(v.heard4, 1);
	assert_int_equal(v.heard6, 1);
	assert_int_equal(v.nbgp, 2);
	b4 = frr_view_bgp(&v, &addrs[0]);
	b6 = frr_view_bgp(&v, &addrs[1]);
	assert_non_null(b4);
	assert_non_null(b6);
	assert_true(b4->originated && b6->originated);
	assert_int_equal(b4->aslen, 0);
	assert_int_equal(b4->advertised, 1);
	assert_int_equal(b6->advertised, 1);
	assert_string_equal(b4->missing, "");
	assert_true(frr_view_originates(&v, &addrs[0]));
	frr_view_free(&v);
	assert_null(v.bgp);
	read_args(args, sizeof(args));
	assert_string_equal(args,
			    "-N h -c " FRR_DAEMONS "\n-N h -c " FRR_BGP_SUMMARY4 "\n-N h -c " CMD_R4
			    "\n-N h -c " FRR_BGP_SUMMARY6 "\n-N h -c " CMD_R6 "\n");

	/* standby: prepended, and the IPv4 route not advertised */
	o.vtysh = bgp_vtysh("8.4-bgp-daemons.txt", "8.4-bgp-summary4.json",
			    "8.4-bgp-route4-notadvertised.json", "8.4-bgp-summary6.json",
			    "8.4-bgp-route6-standby.json");
	assert_int_equal(frr_view_read(&o, &v), 0);
	b4 = frr_view_bgp(&v, &addrs[0]);
	b6 = frr_view_bgp(&v, &addrs[1]);
	assert_true(b4->originated);
	assert_int_equal(b4->advertised, 0);
	assert_string_equal(b4->missing, "10.10.11.1");
	assert_int_equal(v.heard4, 0);
	assert_int_equal(v.heard6, 1);
	assert_int_equal(b6->aslen, 3);
	assert_int_equal(b6->advertised, 1);
	frr_view_free(&v);

	/* session down; the address withdrawn */
	o.vtysh = bgp_vtysh("8.4-bgp-daemons.txt", "8.4-bgp-summary4-down.json",
			    "8.4-bgp-route4-down.json", "8.4-bgp-summary6-shutdown.json",
			    "8.4-bgp-route4-none.json");
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "");
	assert_int_equal(v.established4, 0);
	assert_int_equal(v.established6, 0);
	assert_int_equal(v.peers6, 1);
	b4 = frr_view_bgp(&v, &addrs[0]);
	assert_true(b4->originated);
	assert_string_equal(b4->missing, "");
	assert_false(frr_view_bgp(&v, &addrs[1])->originated);
	assert_false(frr_view_originates(&v, &addrs[1]));
	frr_view_free(&v);
	read_args(args, sizeof(args));

	/* bgpd not running: nothing more is asked, and that is no error */
	o.vtysh = bgp_vtysh("8.4-bgp-daemons-nobgpd.txt", "x", "x", "x", "x");
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "");
	assert_int_equal(v.daemons, 0);
	assert_false(v.asked4 || v.asked6 || v.bgp_asked4 || v.bgp_asked6);
	assert_int_equal(v.established4, -1);
	assert_int_equal(v.peers4, -1);
	frr_view_free(&v);
	read_args(args, sizeof(args));
	assert_string_equal(args, "-N h -c " FRR_DAEMONS "\n");

	/* a later address of a family failing drops the earlier ones of that family too */
	{
		struct nl_addr three[] = {addr(R4), addr("10.53.0.54/32"), addr(R6)};

		bgp_pre = "case \"$cmd\" in *10.53.0.54*) echo 'bgpd is not running' >&2; exit 1;; "
			  "esac\n";
		o.addrs = three;
		o.naddrs = 3;
		o.vtysh =
		    bgp_vtysh("8.4-bgp-daemons.txt", "8.4-bgp-summary4.json", "8.4-bgp-route4.json",
			      "8.4-bgp-summary6.json", "8.4-bgp-route6.json");
		bgp_pre = "";
		assert_int_equal(frr_view_read(&o, &v), 0);
		assert_string_equal(
		    v.error, "'show bgp ipv4 unicast 10.53.0.54/32 json': bgpd is not running");
		assert_false(v.bgp_asked4);
		assert_true(v.bgp_asked6);
		assert_int_equal(v.nbgp, 1);
		assert_null(frr_view_bgp(&v, &three[0]));
		assert_false(frr_view_originates(&v, &three[0]));
		frr_view_free(&v);
		o.addrs = addrs;
		o.naddrs = 2;
	}

	/* an instance without neighbours: bgpd carries nothing, the addresses are not asked */
	o.vtysh = bgp_vtysh("8.4-bgp-daemons.txt", "8.4-bgp-summary-noinstance.json", "x",
			    "8.4-bgp-summary-noinstance.json", "x");
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "");
	assert_false(v.bgp_asked4 || v.bgp_asked6);
	assert_int_equal(v.peers4, 0);
	assert_int_equal(v.established4, -1);
	assert_int_equal(v.nbgp, 0);
	frr_view_free(&v);
}

/* ospfd, ospf6d and bgpd all run: each is asked; a failure drops only that family's BGP. */
static void test_view_bgp_ospf(void **state)
{
	struct nl_addr addrs[] = {addr(R4), addr(R6)};
	struct frr_opts o = {NULL, NULL, true, true, now_us() + 5000000, addrs, 2};
	struct frr_view v;
	char body[2048], args[2048];

	(void)state;
	snprintf(body, sizeof(body),
		 "case \"$cmd\" in\n"
		 "'" FRR_DAEMONS "') echo ' zebra ospfd ospf6d bgpd';;\n"
		 "'" FRR_OSPF_NBR "') cat \"$F/8.4-ospf-neighbor.json\";;\n"
		 "'" FRR_OSPF6_NBR "') cat \"$F/8.4-ospf6-neighbor.json\";;\n"
		 "'" FRR_OSPF6_EXT "') cat \"$F/8.4-ospf6-external.json\";;\n"
		 "'" FRR_BGP_SUMMARY4 "') cat \"$F/8.4-bgp-summary4.json\";;\n"
		 "'" CMD_R4 "') echo 'bgpd is not running' >&2; exit 1;;\n"
		 "'" FRR_BGP_SUMMARY6 "') cat \"$F/8.4-bgp-summary6.json\";;\n"
		 "'" CMD_R6 "') sed 's/\"fd10:10:0:11::1\":/\"fd10:10:0:11:0::1\":/' "
		 "\"$F/8.4-bgp-route6.json\";;\n"
		 "*) echo '{}';;\n"
		 "esac");
	o.vtysh = script(body);
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "'" CMD_R4 "': bgpd is not running");
	assert_true(v.asked4 && v.asked6);
	assert_int_equal(v.full4, 1);
	assert_false(v.bgp_asked4);
	assert_true(v.bgp_asked6);
	assert_null(frr_view_bgp(&v, &addrs[0]));
	assert_true(frr_view_bgp(&v, &addrs[1])->originated);
	/* "advertisedTo" spelling the neighbour otherwise: the same address all the same */
	assert_int_equal(frr_view_bgp(&v, &addrs[1])->advertised, 1);
	assert_string_equal(frr_view_bgp(&v, &addrs[1])->missing, "");
	assert_int_equal(v.nbgp, 1);
	assert_true(frr_view_originates(&v, &addrs[1]));
	frr_view_free(&v);
	read_args(args, sizeof(args));
	assert_string_equal(args,
			    "-c " FRR_DAEMONS "\n-c " FRR_OSPF_NBR "\n-c " FRR_OSPF_EXT
			    "\n-c " FRR_OSPF_ROUTER "\n-c " FRR_OSPF6_NBR "\n-c " FRR_OSPF6_EXT
			    "\n-c " FRR_OSPF6_INTRA "\n-c " FRR_BGP_SUMMARY4 "\n-c " CMD_R4
			    "\n-c " FRR_BGP_SUMMARY6 "\n-c " CMD_R6 "\n");

	/* only IPv6 wanted: nothing of IPv4 is asked */
	o.want4 = false;
	assert_int_equal(frr_view_read(&o, &v), 0);
	assert_string_equal(v.error, "");
	assert_false(v.asked4 || v.bgp_asked4);
	assert_true(v.bgp_asked6);
	frr_view_free(&v);
	read_args(args, sizeof(args));
	assert_string_equal(args,
			    "-c " FRR_DAEMONS "\n-c " FRR_OSPF6_NBR "\n-c " FRR_OSPF6_EXT
			    "\n-c " FRR_OSPF6_INTRA "\n-c " FRR_BGP_SUMMARY6 "\n-c " CMD_R6 "\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemons),
	    cmocka_unit_test(test_bgp_summary),
	    cmocka_unit_test(test_bgp_route),
	    cmocka_unit_test(test_bgp_malformed),
	    cmocka_unit_test_setup_teardown(test_view_bgp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_view_bgp_ospf, setup, teardown),
	};

	return cmocka_run_group_tests_name("frr_bgp", tests, NULL, NULL);
}
