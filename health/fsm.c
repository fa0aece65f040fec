/* SPDX-License-Identifier: MIT */
/* health: rise/fall hysteresis over probe results. */
#include <limits.h>

#include "health/hc.h"

void hc_fsm_init(struct hc_fsm *f, unsigned rise, unsigned fall, bool up)
{
	/* 0 would mean "change on no evidence"; the config rejects it, this keeps it sane. */
	f->rise = rise ? rise : 1;
	f->fall = fall ? fall : 1;
	f->good = 0;
	f->bad = 0;
	f->up = up;
}

enum hc_change hc_fsm_feed(struct hc_fsm *f, bool ok)
{
	if (ok) {
		f->bad = 0;
		if (f->good < UINT_MAX)
			f->good++;
		if (!f->up && f->good >= f->rise) {
			f->up = true;
			return HC_WENT_UP;
		}
	} else {
		f->good = 0;
		if (f->bad < UINT_MAX)
			f->bad++;
		if (f->up && f->bad >= f->fall) {
			f->up = false;
			return HC_WENT_DOWN;
		}
	}
	return HC_SAME;
}

enum hc_change hc_fsm_down_now(struct hc_fsm *f)
{
	f->good = 0;
	f->bad = f->fall;
	if (!f->up)
		return HC_SAME;
	f->up = false;
	return HC_WENT_DOWN;
}
