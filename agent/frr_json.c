/* SPDX-License-Identifier: MIT */
/* The walkers over FRR's JSON answers: pure, every type checked, errors as one line. */
#include "agent/frr-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRR_MAX_AGE 3600 /* OSPF MaxAge, seconds: such an LSA is being flushed */

int frr_fail(struct frr_walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->err || !w->errlen)
		return -EBADMSG;
	n = snprintf(w->err, w->errlen, "%s: ", w->cmd);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

const char *frr_clean(char *buf, size_t size, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 4 < size; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
	if (i < n && i + 4 <= size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void frr_path_cut(char *p, size_t size, int n)
{
	if (n < 0 || (size_t)n >= size)
		memcpy(p + size - 4, "...", 4);
}

void frr_path_key(char *p, size_t size, const char *parent, const char *key)
{
	char k[48];

	frr_path_cut(p, size,
		     snprintf(p, size, "%s%s'%s'", parent, parent[0] ? "." : "",
			      frr_clean(k, sizeof(k), key, strlen(key))));
}

void frr_path_idx(char *p, size_t size, const char *parent, size_t i)
{
	frr_path_cut(p, size, snprintf(p, size, "%s[%zu]", parent, i));
}

static const char *frr_type_name(enum json_type t)
{
	switch (t) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "unknown";
}

int frr_want(struct frr_walk *w, struct json_object *o, const char *path, enum json_type t)
{
	if (json_object_get_type(o) == t)
		return 0;
	return frr_fail(w, "%s is %s, expected %s", path, frr_type_name(json_object_get_type(o)),
			frr_type_name(t));
}

int frr_get(struct frr_walk *w, struct json_object *o, const char *path, const char *key,
	    enum json_type t, bool need, struct json_object **out)
{
	char p[FRR_PATHLEN];

	frr_path_key(p, sizeof(p), path, key);
	if (!json_object_object_get_ex(o, key, out)) {
		*out = NULL;
		return need ? frr_fail(w, "%s is missing", p) : 0;
	}
	return frr_want(w, *out, p, t);
}

/* Empty output: ospf6d without an instance. */
int frr_parse(struct frr_walk *w, const char *text, struct json_object **root)
{
	size_t len = strlen(text), skip = strspn(text, " \t\r\n"), end;
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	char line[96];
	int ret;

	*root = NULL;
	if (skip == len)
		return 0;
	if (text[skip] == '%') /* "% OSPF is not enabled on vrf default" */
		return frr_fail(
		    w, "FRR says '%s'",
		    frr_clean(line, sizeof(line), text + skip, strcspn(text + skip, "\r\n")));
	if (len > INT_MAX)
		return frr_fail(w, "answer too long");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!*root || jerr != json_tokener_success)
		ret = frr_fail(w, "not JSON (%s at byte %zu)",
			       jerr == json_tokener_continue ? "truncated"
							     : json_tokener_error_desc(jerr),
			       end);
	else if (strspn(text + end, " \t\r\n") != len - end)
		ret = frr_fail(w, "text after the JSON object at byte %zu", end);
	else
		ret = frr_want(w, *root, "the answer", json_type_object);
	if (ret < 0) {
		json_object_put(*root);
		*root = NULL;
	}
	return ret;
}

/* lsa's age member: 0 and *live, or -EBADMSG. */
static int frr_age(struct frr_walk *w, struct json_object *lsa, const char *path, const char *key,
		   bool *live)
{
	struct json_object *age;
	int64_t v;
	int ret = frr_get(w, lsa, path, key, json_type_int, true, &age);

	if (ret < 0)
		return ret;
	v = json_object_get_int64(age);
	if (v < 0)
		return frr_fail(w, "%s.'%s' is %lld, expected an age in seconds", path, key,
				(long long)v);
	*live = v < FRR_MAX_AGE;
	return 0;
}

static void frr_mask(struct nl_addr *a)
{
	uint8_t *b = a->family == AF_INET ? (uint8_t *)&a->u.v4 : a->u.v6.s6_addr;
	size_t n = a->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++) {
		unsigned bits = a->prefixlen > i * 8 ? a->prefixlen - i * 8 : 0;

		if (bits < 8)
			b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

enum frr_len {
	FRR_ADDR,	    /* "addr": a host, /32 or /128 */
	FRR_PREFIX,	    /* "addr/len" */
	FRR_PREFIX_OR_ZERO, /* either; "addr" is addr/0: ospf6d prints ::/0 as "::" */
};

static int frr_prefix(struct frr_walk *w, const char *s, const char *path, int family,
		      enum frr_len mode, struct nl_addr *a)
{
	unsigned max = family == AF_INET ? 32 : 128;
	char tmp[NL_ADDRSTRLEN], shown[64];
	size_t n = strcspn(s, "/");
	unsigned long len = mode == FRR_ADDR ? max : 0;
	bool slash = s[n] == '/';

	if (n >= sizeof(tmp) || (mode == FRR_ADDR && slash) || (mode == FRR_PREFIX && !slash))
		goto bad;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (nl_addr_parse(tmp, a) < 0 || a->family != family)
		goto bad;
	if (slash) {
		const char *l = s + n + 1;

		if (!l[0] || strspn(l, "0123456789") != strlen(l) || strlen(l) > 3)
			goto bad;
		len = strtoul(l, NULL, 10);
		if (len > max)
			goto bad;
	}
	a->prefixlen = (uint8_t)len;
	frr_mask(a);
	return 0;
bad:
	return frr_fail(
	    w, "%s is '%s', expected an %s %s", path, frr_clean(shown, sizeof(shown), s, strlen(s)),
	    family == AF_INET ? "IPv4" : "IPv6", mode == FRR_ADDR ? "address" : "prefix");
}

/* An IPv4 netmask "255.255.255.0" as a length; -1 when not one. */
static int frr_masklen(const char *s)
{
	struct in_addr m;
	uint32_t h;
	int len = 0;

	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	h = ntohl(m.s_addr);
	while (h & 0x80000000u) {
		h <<= 1;
		len++;
	}
	return h ? -1 : len;
}

/* Calls w->cb with m's member key as an IPv4 address of length len (0 to 32). */
static int frr_report4(struct frr_walk *w, struct json_object *m, const char *path, const char *key,
		       int64_t len)
{
	struct json_object *id;
	struct nl_addr a;
	char p[FRR_PATHLEN];
	int ret = frr_get(w, m, path, key, json_type_string, true, &id);

	if (ret < 0)
		return ret;
	frr_path_key(p, sizeof(p), path, key);
	ret = frr_prefix(w, json_object_get_string(id), p, AF_INET, FRR_ADDR, &a);
	if (ret < 0)
		return ret;
	a.prefixlen = (uint8_t)len;
	frr_mask(&a);
	w->cb(&a, w->data);
	return 0;
}

/* ospfd AS-external LSA: {"lsaAge": 13, "linkStateId": "10.53.0.53", "networkMask": 32} */
static int frr_ospf_ext_lsa(struct frr_walk *w, struct json_object *lsa, const char *path)
{
	struct json_object *mask;
	bool live = false;
	int64_t len;
	int ret = frr_want(w, lsa, path, json_type_object);

	if (ret == 0)
		ret = frr_age(w, lsa, path, "lsaAge", &live);
	if (ret < 0 || !live)
		return ret;
	ret = frr_get(w, lsa, path, "networkMask", json_type_int, true, &mask);
	if (ret < 0)
		return ret;
	len = json_object_get_int64(mask);
	if (len < 0 || len > 32)
		return frr_fail(w, "%s.'networkMask' is %lld, expected 0 to 32", path,
				(long long)len);
	return frr_report4(w, lsa, path, "linkStateId", len);
}

/* 8.x: {"AS External Link States": {"10.53.0.53": LSA}}; 9.0+: {"asExternalLinkStates": [LSA]}
 * (FRR commit f54232d0b2). */
int frr_ospf_external(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen)
{
	struct frr_walk w = {FRR_OSPF_EXT, cb, data, 0, err, errlen};
	struct json_object *root, *lsas;
	char p[FRR_PATHLEN];
	int ret = frr_parse(&w, json, &root);

	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "asExternalLinkStates", json_type_array, false, &lsas);
	for (size_t i = 0; ret == 0 && lsas && i < json_object_array_length(lsas); i++) {
		frr_path_idx(p, sizeof(p), "'asExternalLinkStates'", i);
		ret = frr_ospf_ext_lsa(&w, json_object_array_get_idx(lsas, i), p);
	}
	if (ret == 0)
		ret = frr_get(&w, root, "", "AS External Link States", json_type_object, false,
			      &lsas);
	if (ret == 0 && lsas) {
		json_object_object_foreach(lsas, id, lsa)
		{
			frr_path_key(p, sizeof(p), "'AS External Link States'", id);
			ret = frr_ospf_ext_lsa(&w, lsa, p);
			if (ret < 0)
				break;
		}
	}
	json_object_put(root);
	return ret;
}

/* ospfd router-LSA: {"lsaAge": 6, "routerLinks": {"link1": {"linkType": "Stub Network",
 * "networkAddress": "10.53.0.53", "networkMask": "255.255.255.255"}}} */
static int frr_ospf_router_lsa(struct frr_walk *w, struct json_object *lsa, const char *path)
{
	struct json_object *links, *type = NULL, *mask;
	char base[FRR_PATHLEN], p[FRR_PATHLEN], q[FRR_PATHLEN];
	bool live = false;
	int ret = frr_want(w, lsa, path, json_type_object), len;

	if (ret == 0)
		ret = frr_age(w, lsa, path, "lsaAge", &live);
	if (ret < 0 || !live)
		return ret;
	ret = frr_get(w, lsa, path, "routerLinks", json_type_object, true, &links);
	if (ret < 0)
		return ret;
	frr_path_key(base, sizeof(base), path, "routerLinks");
	json_object_object_foreach(links, name, link)
	{
		frr_path_key(p, sizeof(p), base, name);
		ret = frr_want(w, link, p, json_type_object);
		if (ret == 0)
			ret = frr_get(w, link, p, "linkType", json_type_string, true, &type);
		if (ret < 0)
			return ret;
		if (strcmp(json_object_get_string(type), "Stub Network"))
			continue;
		ret = frr_get(w, link, p, "networkMask", json_type_string, true, &mask);
		if (ret < 0)
			return ret;
		len = frr_masklen(json_object_get_string(mask));
		if (len < 0) {
			frr_path_key(q, sizeof(q), p, "networkMask");
			return frr_fail(w, "%s is not a netmask", q);
		}
		ret = frr_report4(w, link, p, "networkAddress", len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* 8.x: {"Router Link States": {"0.0.0.0": {"10.99.0.1": LSA}}};
 * 9.0+: {"routerLinkStates": {"areas": {"0.0.0.0": [LSA]}}} (FRR commit f54232d0b2). */
int frr_ospf_router_stubs(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen)
{
	struct frr_walk w = {FRR_OSPF_ROUTER, cb, data, 0, err, errlen};
	struct json_object *root, *db, *areas = NULL;
	char p[FRR_PATHLEN], q[FRR_PATHLEN];
	int ret = frr_parse(&w, json, &root);

	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "routerLinkStates", json_type_object, false, &db);
	if (ret == 0 && db)
		ret =
		    frr_get(&w, db, "'routerLinkStates'", "areas", json_type_object, true, &areas);
	if (ret == 0 && areas) {
		json_object_object_foreach(areas, area, list)
		{
			frr_path_key(p, sizeof(p), "'routerLinkStates'.'areas'", area);
			ret = frr_want(&w, list, p, json_type_array);
			for (size_t i = 0; ret == 0 && i < json_object_array_length(list); i++) {
				frr_path_idx(q, sizeof(q), p, i);
				ret =
				    frr_ospf_router_lsa(&w, json_object_array_get_idx(list, i), q);
			}
			if (ret < 0)
				break;
		}
	}
	if (ret == 0)
		ret = frr_get(&w, root, "", "Router Link States", json_type_object, false, &areas);
	if (ret == 0 && areas) {
		json_object_object_foreach(areas, area, lsas)
		{
			frr_path_key(p, sizeof(p), "'Router Link States'", area);
			ret = frr_want(&w, lsas, p, json_type_object);
			if (ret < 0)
				break;
			json_object_object_foreach(lsas, id, lsa)
			{
				frr_path_key(q, sizeof(q), p, id);
				ret = frr_ospf_router_lsa(&w, lsa, q);
				if (ret < 0)
					break;
			}
			if (ret < 0)
				break;
		}
	}
	json_object_put(root);
	return ret;
}

/* ospfd "nbrState" (8.3+) or "state" (up to 8.5): "Full/DR", "Full/-", "2-Way/DROther" */
static int frr_ospf_nbr(struct frr_walk *w, struct json_object *nbr, const char *path)
{
	struct json_object *state = NULL;
	const char *s;
	int ret = frr_want(w, nbr, path, json_type_object);

	if (ret == 0)
		ret = frr_get(w, nbr, path, "nbrState", json_type_string, false, &state);
	if (ret == 0 && !state)
		ret = frr_get(w, nbr, path, "state", json_type_string, false, &state);
	if (ret < 0)
		return ret;
	if (!state)
		return frr_fail(w, "%s has neither 'nbrState' nor 'state'", path);
	s = json_object_get_string(state);
	w->full += !strncmp(s, "Full", 4) && (s[4] == '\0' || s[4] == '/');
	return 0;
}

/* {"neighbors": {"10.99.0.2": [{"nbrState": "Full/DR"}]}}; "{}" without an instance */
int frr_ospf_neighbours(const char *json, int *full, char *err, size_t errlen)
{
	struct frr_walk w = {FRR_OSPF_NBR, NULL, NULL, 0, err, errlen};
	struct json_object *root, *nbrs;
	char p[FRR_PATHLEN], q[FRR_PATHLEN];
	int ret = frr_parse(&w, json, &root);

	*full = 0;
	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "neighbors", json_type_object, false, &nbrs);
	if (ret == 0 && nbrs) {
		json_object_object_foreach(nbrs, id, list)
		{
			frr_path_key(p, sizeof(p), "'neighbors'", id);
			ret = frr_want(&w, list, p, json_type_array);
			for (size_t i = 0; ret == 0 && i < json_object_array_length(list); i++) {
				frr_path_idx(q, sizeof(q), p, i);
				ret = frr_ospf_nbr(&w, json_object_array_get_idx(list, i), q);
			}
			if (ret < 0)
				break;
		}
	}
	json_object_put(root);
	if (ret == 0)
		*full = w.full;
	return ret;
}

/* ospf6d: {"<db>": [{"lsa": [LSA]}]}, calling each(LSA) for the live ones. */
static int frr_ospf6_db(struct frr_walk *w, const char *json, const char *db,
			int (*each)(struct frr_walk *, struct json_object *, const char *))
{
	struct json_object *root, *dbs, *lsas;
	char base[FRR_PATHLEN], p[FRR_PATHLEN], q[FRR_PATHLEN];
	bool live = false;
	int ret = frr_parse(w, json, &root);

	if (ret < 0 || !root)
		return ret;
	ret = frr_get(w, root, "", db, json_type_array, false, &dbs);
	for (size_t d = 0; ret == 0 && dbs && d < json_object_array_length(dbs); d++) {
		struct json_object *scope = json_object_array_get_idx(dbs, d);

		frr_path_key(q, sizeof(q), "", db);
		frr_path_idx(base, sizeof(base), q, d);
		ret = frr_want(w, scope, base, json_type_object);
		if (ret == 0)
			ret = frr_get(w, scope, base, "lsa", json_type_array, true, &lsas);
		frr_path_key(p, sizeof(p), base, "lsa");
		for (size_t i = 0; ret == 0 && i < json_object_array_length(lsas); i++) {
			struct json_object *lsa = json_object_array_get_idx(lsas, i);

			frr_path_idx(q, sizeof(q), p, i);
			ret = frr_want(w, lsa, q, json_type_object);
			if (ret == 0)
				ret = frr_age(w, lsa, q, "age", &live);
			if (ret == 0 && live)
				ret = each(w, lsa, q);
		}
	}
	json_object_put(root);
	return ret;
}

/* Calls w->cb with m's string member key as an IPv6 prefix. */
static int frr_report6(struct frr_walk *w, struct json_object *m, const char *path, const char *key,
		       enum frr_len mode)
{
	struct json_object *s;
	struct nl_addr a;
	char p[FRR_PATHLEN];
	int ret = frr_get(w, m, path, key, json_type_string, true, &s);

	frr_path_key(p, sizeof(p), path, key);
	if (ret == 0)
		ret = frr_prefix(w, json_object_get_string(s), p, AF_INET6, mode, &a);
	if (ret == 0)
		w->cb(&a, w->data);
	return ret;
}

/* summary LSA: {"type": "ASE", "age": 14, "payload": "fd53::53/128"} */
static int frr_ospf6_ext_lsa(struct frr_walk *w, struct json_object *lsa, const char *path)
{
	return frr_report6(w, lsa, path, "payload", FRR_PREFIX_OR_ZERO);
}

/* detail LSA: {"age": 7, "prefix": [{"prefix": "fd53::53/128"}]} */
static int frr_ospf6_intra_lsa(struct frr_walk *w, struct json_object *lsa, const char *path)
{
	struct json_object *list;
	char p[FRR_PATHLEN], q[FRR_PATHLEN];
	int ret = frr_get(w, lsa, path, "prefix", json_type_array, true, &list);

	frr_path_key(p, sizeof(p), path, "prefix");
	for (size_t i = 0; ret == 0 && i < json_object_array_length(list); i++) {
		struct json_object *pfx = json_object_array_get_idx(list, i);

		frr_path_idx(q, sizeof(q), p, i);
		ret = frr_want(w, pfx, q, json_type_object);
		if (ret == 0)
			ret = frr_report6(w, pfx, q, "prefix", FRR_PREFIX);
	}
	return ret;
}

int frr_ospf6_external(const char *json, frr_prefix_cb cb, void *data, char *err, size_t errlen)
{
	struct frr_walk w = {FRR_OSPF6_EXT, cb, data, 0, err, errlen};

	return frr_ospf6_db(&w, json, "asScopedLinkStateDb", frr_ospf6_ext_lsa);
}

int frr_ospf6_intra_prefixes(const char *json, frr_prefix_cb cb, void *data, char *err,
			     size_t errlen)
{
	struct frr_walk w = {FRR_OSPF6_INTRA, cb, data, 0, err, errlen};

	return frr_ospf6_db(&w, json, "areaScopedLinkStateDb", frr_ospf6_intra_lsa);
}

/* {"neighbors": [{"neighborId": "10.99.0.2", "state": "Full"}]} */
int frr_ospf6_neighbours(const char *json, int *full, char *err, size_t errlen)
{
	struct frr_walk w = {FRR_OSPF6_NBR, NULL, NULL, 0, err, errlen};
	struct json_object *root, *nbrs, *state;
	char p[FRR_PATHLEN];
	int ret = frr_parse(&w, json, &root);

	*full = 0;
	if (ret < 0 || !root)
		return ret;
	ret = frr_get(&w, root, "", "neighbors", json_type_array, false, &nbrs);
	for (size_t i = 0; ret == 0 && nbrs && i < json_object_array_length(nbrs); i++) {
		struct json_object *nbr = json_object_array_get_idx(nbrs, i);

		frr_path_idx(p, sizeof(p), "'neighbors'", i);
		ret = frr_want(&w, nbr, p, json_type_object);
		if (ret == 0)
			ret = frr_get(&w, nbr, p, "state", json_type_string, true, &state);
		if (ret == 0)
			w.full += !strcmp(json_object_get_string(state), "Full");
	}
	json_object_put(root);
	if (ret == 0)
		*full = w.full;
	return ret;
}
