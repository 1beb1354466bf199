/* The "refusals" section of the state file (see refusals.h). */
#include <stdio.h>

#include "base/json.h"
#include "base/util.h"
#include "store/refusals.h"

static time_t
time_of(json_object *e, const char *key)
{
	time_t t;
	const char *s = pp_jstr(e, key, NULL);

	return s && pp_parse_time(s, &t) == 0 ? t : 0;
}

/* Whether entry e holds at now: before its "until", and not made after
 * now (a clock stepped back since, or a run with a later --now; it
 * would hold for the whole step, as a cooldown would). */
static int
active(json_object *e, time_t now)
{
	return time_of(e, "until") > now && time_of(e, "at") <= now;
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
	return active(pp_jget(sec, key), now);
}

void
pp_refusal_add(json_object *sec, const char *type, const char *loc,
	time_t at, time_t until, const char *code, const char *message)
{
	char key[160];
	json_object *e = json_object_new_object();

	snprintf(key, sizeof key, "%s@%s", type ? type : "", loc);
	json_object_object_add(e, "at", pp_jnew_time(at));
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
			if (active(v, now))
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
		n += active(v, now);
	}
	return n;
}
