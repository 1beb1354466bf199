/* The "protected_orphans", "foreign_servers", "stranded_servers" and
 * "node_servers" sections of the state file (see orphans.h). */
#include "base/json.h"
#include "base/util.h"
#include "store/orphans.h"

static json_object *
section_of(json_object *s)
{
	return s && json_object_is_type(s, json_type_object) ? s : NULL;
}

json_object *
pp_porphans_of(json_object *root)
{
	return section_of(pp_jget(root, "protected_orphans"));
}

json_object *
pp_foreign_of(json_object *root)
{
	return section_of(pp_jget(root, "foreign_servers"));
}

json_object *
pp_stranded_of(json_object *root)
{
	return section_of(pp_jget(root, "stranded_servers"));
}

json_object *
pp_nodesrv_of(json_object *root)
{
	return section_of(pp_jget(root, "node_servers"));
}

void
pp_porphan_add(json_object *sec, const char *id, const char *name,
	time_t since)
{
	json_object *e = pp_jget(sec, id);

	if (!e || !json_object_is_type(e, json_type_object)) {
		e = json_object_new_object();
		json_object_object_add(sec, id, e);
	}
	json_object_object_add(e, "name", name ?
		json_object_new_string(name) : NULL);
	json_object_object_add(e, "since", pp_jnew_time(since));
}

void
pp_stranded_relabel_set(json_object *sec, const char *id, const char *cmd)
{
	json_object *e = pp_jget(sec, id);

	if (!e || !json_object_is_type(e, json_type_object))
		return;
	if (cmd && *cmd)
		json_object_object_add(e, "relabel",
			json_object_new_string(cmd));
	else
		json_object_object_del(e, "relabel");
}

const char *
pp_stranded_relabel(json_object *sec, const char *id)
{
	json_object *r = pp_jget(pp_jget(sec, id), "relabel");

	return r && json_object_is_type(r, json_type_string) &&
		*json_object_get_string(r) ? json_object_get_string(r) : NULL;
}

time_t
pp_porphan_since(json_object *sec, const char *id)
{
	json_object *e = pp_jget(sec, id);
	const char *s = pp_jstr(e, "since", NULL);
	time_t t;

	if (!e || !json_object_is_type(e, json_type_object))
		return 0;
	/* an entry without a readable time is known all the same */
	return s && pp_parse_time(s, &t) == 0 && t > 0 ? t : 1;
}

/* Sets (0: takes away) the time key of server id's entry in sec. */
static void
entry_time_set(json_object *sec, const char *id, const char *key,
	time_t since)
{
	json_object *e = pp_jget(sec, id);

	if (!e || !json_object_is_type(e, json_type_object))
		return;
	if (since)
		json_object_object_add(e, key, pp_jnew_time(since));
	else
		json_object_object_del(e, key);
}

static time_t
entry_time(json_object *sec, const char *id, const char *key)
{
	const char *s = pp_jstr(pp_jget(sec, id), key, NULL);
	time_t t;

	return s && pp_parse_time(s, &t) == 0 && t > 0 ? t : 0;
}

void
pp_nodesrv_held_set(json_object *sec, const char *id, time_t since)
{
	entry_time_set(sec, id, "held_since", since);
}

time_t
pp_nodesrv_held(json_object *sec, const char *id)
{
	return entry_time(sec, id, "held_since");
}

void
pp_nodesrv_joined_set(json_object *sec, const char *id, time_t since,
	const char *node)
{
	json_object *e = pp_jget(sec, id);

	entry_time_set(sec, id, "joined_since", since);
	if (!e || !json_object_is_type(e, json_type_object))
		return;
	if (since && node)
		json_object_object_add(e, "joined_node",
			json_object_new_string(node));
	else
		json_object_object_del(e, "joined_node");
}

time_t
pp_nodesrv_joined(json_object *sec, const char *id, const char **node)
{
	time_t t = entry_time(sec, id, "joined_since");

	if (node)
		*node = t ? pp_jstr(pp_jget(sec, id), "joined_node", NULL) :
			NULL;
	return t;
}

/* Replaces root's section key by sec (taken; NULL or empty: none). */
static void
section_set(json_object *root, const char *key, json_object *sec)
{
	if (!sec || !json_object_object_length(sec)) {
		json_object_put(sec);
		json_object_object_del(root, key);
		return;
	}
	json_object_object_add(root, key, sec);
}

void
pp_porphans_set(json_object *root, json_object *sec)
{
	section_set(root, "protected_orphans", sec);
}

void
pp_foreign_set(json_object *root, json_object *sec)
{
	section_set(root, "foreign_servers", sec);
}

void
pp_stranded_set(json_object *root, json_object *sec)
{
	section_set(root, "stranded_servers", sec);
}

void
pp_nodesrv_set(json_object *root, json_object *sec)
{
	section_set(root, "node_servers", sec);
}
