/* SPDX-License-Identifier: MIT */
/* health: flap damping, the way RFC 2439 damps BGP routes. */
#include <math.h>

#include "health/hc.h"

void hc_damp_init(struct hc_damp *d, unsigned half_life_ms)
{
	d->half_life_ms = half_life_ms;
	d->penalty = 0;
	d->at_us = 0;
	d->suppressed = false;
}

static void hc_damp_decay(struct hc_damp *d, uint64_t now_us)
{
	if (d->penalty > 0 && now_us > d->at_us)
		d->penalty *= exp2(-(double)(now_us - d->at_us) / (1000.0 * d->half_life_ms));
	if (d->penalty < 1)
		d->penalty = 0;
	d->at_us = now_us;
}

bool hc_damp_flap(struct hc_damp *d, uint64_t now_us)
{
	bool was = d->suppressed;

	if (!d->half_life_ms)
		return false;
	hc_damp_decay(d, now_us);
	d->penalty += HC_DAMP_PENALTY;
	if (d->penalty > HC_DAMP_MAX)
		d->penalty = HC_DAMP_MAX;
	if (d->penalty > HC_DAMP_SUPPRESS)
		d->suppressed = true;
	return d->suppressed && !was;
}

bool hc_damp_update(struct hc_damp *d, uint64_t now_us)
{
	if (!d->suppressed)
		return false;
	hc_damp_decay(d, now_us);
	if (d->penalty >= HC_DAMP_REUSE)
		return false;
	d->suppressed = false;
	return true;
}

uint64_t hc_damp_reuse_at(const struct hc_damp *d)
{
	if (!d->suppressed || d->penalty < HC_DAMP_REUSE)
		return d->at_us;
	/* penalty * 2^(-t / half_life) = reuse */
	return d->at_us +
	       (uint64_t)ceil(log2(d->penalty / HC_DAMP_REUSE) * d->half_life_ms * 1000.0) + 1;
}
