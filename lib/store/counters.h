/* counters.c: the "counters" section of the state file, its one owner:
 * monotonic counters that the metrics publish.
 *
 *   {"<metric family>": {"<label>=<value>,...": N, ...}, ...}
 *
 * Labels are "k=v,k=v" (values without ',' or '='), "" for none. */
#ifndef PP_COUNTERS_H
#define PP_COUNTERS_H

#include <json-c/json.h>

struct pp_state;

/* The section inside a state root, NULL when absent or misshapen. */
json_object *pp_counters_of(json_object *root);
/* Adds delta to counters[name][labels]; saturates, never wraps. */
void pp_state_count(struct pp_state *s, const char *name, const char *labels,
	long long delta);

#endif
