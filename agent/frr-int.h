/* SPDX-License-Identifier: MIT */
/* What the walkers of agent/frr_json.c (OSPF) share with those of agent/frr_bgp.c (BGP):
 * one walk over one answer, type-checked member access, one-line messages. */
#ifndef FRR_INT_H
#define FRR_INT_H

#include <json-c/json.h>

#include "agent/frr.h"

#define FRR_PATHLEN 160

/* One walk over one command's answer. */
struct frr_walk {
	const char *cmd;
	frr_prefix_cb cb;
	void *data;
	int full;
	char *err;
	size_t errlen;
};

int frr_fail(struct frr_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first n bytes of s as one line of printable ASCII, cut with "..." to fit buf. */
const char *frr_clean(char *buf, size_t size, const char *s, size_t n);
/* Paths into the answer for messages, like 'neighbors'.'10.99.0.2'[0]; a deep one is cut. */
void frr_path_key(char *p, size_t size, const char *parent, const char *key);
void frr_path_idx(char *p, size_t size, const char *parent, size_t i);
int frr_want(struct frr_walk *w, struct json_object *o, const char *path, enum json_type t);
/* o's member key, of type t. Missing: -EBADMSG when needed, else 0 with *out NULL. */
int frr_get(struct frr_walk *w, struct json_object *o, const char *path, const char *key,
	    enum json_type t, bool need, struct json_object **out);
/* Parses the whole answer, which must be one object. Empty output gives 0 and *root NULL. */
int frr_parse(struct frr_walk *w, const char *text, struct json_object **root);

#endif
