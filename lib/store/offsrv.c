/* The "off_servers" section of the state file (see offsrv.h). */
#include <limits.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/offsrv.h"

json_object *
pp_offsrv_of(json_object *root)
{
	json_object *s = pp_jget(root, "off_servers");

	return s && json_object_is_type(s, json_type_object) ? s : NULL;
}

static time_t
when(json_object *e, const char *key)
{
	const char *s = pp_jstr(e, key, NULL);
	time_t t;

	return s && pp_parse_time(s, &t) == 0 && t > 0 ? t : 0;
}

int
pp_offsrv_get(json_object *sec, const char *id, struct pp_offsrv *e)
{
	json_object *o = pp_jget(sec, id);

	memset(e, 0, sizeof *e);
	if (!o || !json_object_is_type(o, json_type_object))
		return 0;
	e->since = when(o, "since");
	e->at = when(o, "at");
	e->looks = (long)pp_jint(o, "looks", 0);
	if (e->looks < 0)
		e->looks = 0;
	e->powered_on = when(o, "powered_on");
	/* one whose power-on time cannot be read was powered on all
	 * the same: a second one is not sent */
	if (!e->powered_on && pp_jget(o, "powered_on"))
		e->powered_on = 1;
	/* a count that cannot be read leaves nothing to check: the
	 * power-on counts, as before the check was there */
	e->starts_before = e->powered_on ? (long)pp_jint(o, "starts_before",
		-1) : -1;
	e->check = e->starts_before >= 0 && e->starts_before < LONG_MAX;
	if (!e->check)
		e->starts_before = 0;
	e->again = pp_jbool(o, "powered_on_again", 0);
	return 1;
}

void
pp_offsrv_add(json_object *sec, const char *id, const char *node,
	const struct pp_offsrv *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "node", node ?
		json_object_new_string(node) : NULL);
	if (e->since)
		json_object_object_add(o, "since", pp_jnew_time(e->since));
	if (e->at)
		json_object_object_add(o, "at", pp_jnew_time(e->at));
	json_object_object_add(o, "looks", json_object_new_int64(e->looks));
	if (e->powered_on)
		json_object_object_add(o, "powered_on",
			pp_jnew_time(e->powered_on));
	if (e->powered_on && e->check)
		json_object_object_add(o, "starts_before",
			json_object_new_int64(e->starts_before));
	if (e->again)
		json_object_object_add(o, "powered_on_again",
			json_object_new_boolean(1));
	json_object_object_add(sec, id, o);
}

void
pp_offsrv_carry(json_object *to, json_object *from, const char *id)
{
	json_object *o = pp_jget(from, id);

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_add(to, id, json_object_get(o));
}

void
pp_offsrv_set(json_object *root, json_object *sec)
{
	if (!sec || !json_object_object_length(sec)) {
		json_object_put(sec);
		json_object_object_del(root, "off_servers");
		return;
	}
	json_object_object_add(root, "off_servers", sec);
}
