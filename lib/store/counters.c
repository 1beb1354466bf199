/* The "counters" section of the state file (see counters.h). */
#include <limits.h>

#include "base/json.h"
#include "store/counters.h"
#include "store/state.h"

json_object *
pp_counters_of(json_object *root)
{
	json_object *c = pp_jget(root, "counters");

	return c && json_object_is_type(c, json_type_object) ? c : NULL;
}

void
pp_state_count(struct pp_state *s, const char *name, const char *labels,
	long long delta)
{
	json_object *counters = pp_state_section(s, "counters");
	json_object *c = pp_jget(counters, name);
	long long v;

	if (!c || !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(counters, name, c);
	}
	v = pp_jint(c, labels, 0);
	/* a counter read from the file saturates, never wraps */
	if (v < 0)
		v = 0;
	v = delta > 0 && v > LLONG_MAX - delta ? LLONG_MAX : v + delta;
	json_object_object_add(c, labels, json_object_new_int64(v));
}
