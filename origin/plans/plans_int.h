/* The plans service's insides, shared by plans.c and subscriptions.c only. */
#ifndef ORIGIN_PLANS_INT_H
#define ORIGIN_PLANS_INT_H

#include "plans/plans.h"

struct plans {
	struct store *st;	    /* not owned */
	struct record_cache *cache; /* struct plan by name; emptied on every plan change */
	struct record_cache *subs;  /* struct subscription as stored (no renewal applied) by
				       user id; emptied on every subscription change */
};

#endif
