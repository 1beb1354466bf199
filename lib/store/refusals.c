/* The "refusals" section of the state file (see refusals.h). */
#include <stdio.h>

#include "base/json.h"
#include "base/util.h"
#include "store/refusals.h"

static time_t
until_of(json_object *e)
{
	time_t t;
	const char *s = pp_jstr(e, "until", NULL);

	return s && pp_parse_time(s, &t) == 0 ? t : 0;
}

json_object *
pp_refusals_of(json_object *root)
{
	json_object *s = pp_jget(root, "refusals");

	return s && json_object_is_type(s, json_type_object) ? s : NULL;
}

int
pp_refusal_active(json_object *sec, const char *type, const char *loc,
	time_t now)
{
	char key[160];

	snprintf(key, sizeof key, "%s@%s", type ? type : "", loc);
	return until_of(pp_jget(sec, key)) > now;
}

void
pp_refusal_add(json_object *sec, const char *type, const char *loc,
	time_t until, const char *code, const char *message)
{
	char key[160];
	json_object *e = json_object_new_object();

	snprintf(key, sizeof key, "%s@%s", type ? type : "", loc);
	json_object_object_add(e, "until", pp_jnew_time(until));
	json_object_object_add(e, "code", code && *code ?
		json_object_new_string(code) : NULL);
	json_object_object_add(e, "message", message && *message ?
		json_object_new_string(message) : NULL);
	json_object_object_add(sec, key, e);
}

void
pp_refusals_merge(json_object *root, json_object *fresh, time_t now)
{
	json_object *sec = pp_refusals_of(root);
	json_object *keep = json_object_new_object();

	if (sec) {
		json_object_object_foreach(sec, k, v) {
			if (until_of(v) > now)
				json_object_object_add(keep, k,
					json_object_get(v));
		}
	}
	if (fresh) {
		json_object_object_foreach(fresh, k2, v2)
			json_object_object_add(keep, k2, json_object_get(v2));
	}
	json_object_object_add(root, "refusals", keep);
}

long
pp_refusals_active_count(json_object *sec, time_t now)
{
	long n = 0;

	if (!sec || !json_object_is_type(sec, json_type_object))
		return 0;
	json_object_object_foreach(sec, k, v) {
		(void)k;
		n += until_of(v) > now;
	}
	return n;
}
