/* SPDX-License-Identifier: MIT */
/* The walkers over bgpd's JSON answers and vtysh's list of daemons: pure, every type
 * checked, errors as one line (agent/frr-int.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/frr-int.h"

static const struct {
	const char *name;
	unsigned bit;
} frr_daemon_names[] = {{"ospfd", FRR_OSPFD}, {"ospf6d", FRR_OSPF6D}, {"bgpd", FRR_BGPD}};

/* " zebra ospfd bgpd bfdd": the daemons vtysh could connect to, one line */
int frr_daemons(const char *text, unsigned *mask, char *err, size_t errlen)
{
	struct frr_walk w = {.cmd = FRR_DAEMONS, .err = err, .errlen = errlen};
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char shown[48];

	*mask = 0;
	for (const char *p = text + strspn(text, " \t\r\n"); *p; p += strspn(p, " \t\r\n")) {
		size_t n = strspn(p, lower), end = strcspn(p, " \t\r\n");

		if (n != end || !n) {
			*mask = 0;
			return frr_fail(&w, "'%s' is not a daemon's name",
					frr_clean(shown, sizeof(shown), p, end));
		}
		for (size_t i = 0; i < sizeof(frr_daemon_names) / sizeof(frr_daemon_names[0]); i++)
			if (strlen(frr_daemon_names[i].name) == n &&
			    !memcmp(p, frr_daemon_names[i].name, n))
				*mask |= frr_daemon_names[i].bit;
		p += n;
	}
	return 0;
}

/* {"as": 65053, "peers": {"10.10.11.1": {"state": "Established"}}}; "{}" without an
 * instance or without a neighbour of that family */
int frr_bgp_summary(const char *json, int family, uint32_t *as, int *peers, frr_name_cb cb,
		    void *data, char *err, size_t errlen)
{
	struct frr_walk w = {.cmd = family == AF_INET ? FRR_BGP_SUMMARY4 : FRR_BGP_SUMMARY6,
			     .err = err,
			     .errlen = errlen};
	struct json_object *root, *list, *num = NULL, *state = NULL;
	char p[FRR_PATHLEN];
	int64_t v = 0;
	int ret = frr_parse(&w, json, &root);

	*as = 0;
	*peers = 0;
	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "peers", json_type_object, false, &list);
	if (ret == 0 && list)
		ret = frr_get(&w, root, "", "as", json_type_int, true, &num);
	if (ret == 0 && num) {
		v = json_object_get_int64(num);
		if (v < 1 || v > UINT32_MAX)
			ret = frr_fail(&w, "'as' is %lld, expected an AS number", (long long)v);
	}
	if (ret == 0 && list) {
		json_object_object_foreach(list, name, peer)
		{
			frr_path_key(p, sizeof(p), "'peers'", name);
			ret = frr_want(&w, peer, p, json_type_object);
			if (ret == 0)
				ret = frr_get(&w, peer, p, "state", json_type_string, true, &state);
			if (ret < 0)
				break;
			++*peers;
			if (!strcmp(json_object_get_string(state), "Established"))
				cb(name, data);
		}
	}
	json_object_put(root);
	if (ret == 0)
		*as = (uint32_t)v;
	else
		*peers = 0;
	return ret;
}

/* "advertisedTo": {"10.10.11.1": {"hostname": "vm"}}: cb with each key */
static int frr_bgp_adv(struct frr_walk *w, struct json_object *o, const char *path, frr_name_cb cb)
{
	struct json_object *to;
	int ret = frr_get(w, o, path, "advertisedTo", json_type_object, false, &to);

	if (ret < 0 || !to)
		return ret;
	json_object_object_foreach(to, name, v)
	{
		(void)v;
		cb(name, w->data);
	}
	return 0;
}

/* One path: {"aspath": {"length": 3}, "sourced": true, "bestpath": {"overall": true},
 * "advertisedTo": {...} (with addpath)}. Only the best path is looked at. */
static int frr_bgp_path(struct frr_walk *w, struct json_object *path, const char *p,
			struct frr_bgp_path *best, frr_name_cb cb)
{
	struct json_object *bp, *overall = NULL, *src = NULL, *asp = NULL, *len = NULL;
	char q[FRR_PATHLEN];
	int64_t n;
	int ret = frr_want(w, path, p, json_type_object);

	if (ret == 0)
		ret = frr_bgp_adv(w, path, p, cb);
	if (ret == 0)
		ret = frr_get(w, path, p, "bestpath", json_type_object, false, &bp);
	frr_path_key(q, sizeof(q), p, "bestpath");
	if (ret == 0 && bp)
		ret = frr_get(w, bp, q, "overall", json_type_boolean, true, &overall);
	if (ret < 0 || !overall || !json_object_get_boolean(overall))
		return ret;
	ret = frr_get(w, path, p, "sourced", json_type_boolean, false, &src);
	if (ret == 0)
		ret = frr_get(w, path, p, "aspath", json_type_object, true, &asp);
	frr_path_key(q, sizeof(q), p, "aspath");
	if (ret == 0)
		ret = frr_get(w, asp, q, "length", json_type_int, true, &len);
	if (ret < 0)
		return ret;
	n = json_object_get_int64(len);
	if (n < 0 || n > 4096)
		return frr_fail(w, "%s.'length' is %lld, expected 0 to 4096", q, (long long)n);
	best->sourced = src && json_object_get_boolean(src);
	best->aslen = (unsigned)n;
	return 0;
}

/* {"prefix": "10.53.0.53/32", "advertisedTo": {...}, "paths": [path]}; "{}" when the prefix
 * is not in the table; {"warning": "Default BGP instance not found"} without an instance. */
int frr_bgp_route(const char *json, const char *cmd, struct frr_bgp_path *best, frr_name_cb cb,
		  void *data, char *err, size_t errlen)
{
	struct frr_walk w = {.cmd = cmd, .data = data, .err = err, .errlen = errlen};
	struct json_object *root, *warn, *paths = NULL;
	char p[FRR_PATHLEN], line[96];
	int ret = frr_parse(&w, json, &root);

	memset(best, 0, sizeof(*best));
	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "warning", json_type_string, false, &warn);
	if (ret == 0 && warn)
		ret = frr_fail(&w, "FRR says '%s'",
			       frr_clean(line, sizeof(line), json_object_get_string(warn),
					 strlen(json_object_get_string(warn))));
	if (ret == 0)
		ret = frr_bgp_adv(&w, root, "", cb);
	if (ret == 0)
		ret = frr_get(&w, root, "", "paths", json_type_array, false, &paths);
	for (size_t i = 0; ret == 0 && paths && i < json_object_array_length(paths); i++) {
		frr_path_idx(p, sizeof(p), "'paths'", i);
		ret = frr_bgp_path(&w, json_object_array_get_idx(paths, i), p, best, cb);
	}
	json_object_put(root);
	if (ret < 0)
		memset(best, 0, sizeof(*best));
	return ret;
}
