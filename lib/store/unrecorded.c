/* The "unrecorded_moves" section of the state file (see unrecorded.h). */
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/unrecorded.h"

#define SECTION "unrecorded_moves"

json_object *
pp_unrecorded_of(json_object *root)
{
	json_object *s = root ? pp_jget(root, SECTION) : NULL;

	return s && json_object_is_type(s, json_type_array) ? s : NULL;
}

int
pp_unrecorded_get(json_object *sec, size_t i, const char **server,
	const char **from, const char **to, time_t *at)
{
	json_object *e = json_object_array_get_idx(sec, i);
	const char *t;

	if (!e || !json_object_is_type(e, json_type_object))
		return -1;
	*server = pp_jstr(e, "server", NULL);
	*from = pp_jstr(e, "from", NULL);
	*to = pp_jstr(e, "to", NULL);
	t = pp_jstr(e, "at", NULL);
	if (!t || pp_parse_time(t, at) < 0)
		*at = 0;
	return *server && **server && *from && **from && *to && **to ?
		0 : -1;
}

size_t
pp_unrecorded_count(json_object *root)
{
	json_object *sec = pp_unrecorded_of(root);
	const char *s, *f, *t;
	time_t at;
	size_t n = 0;

	for (size_t i = 0; sec && i < json_object_array_length(sec); i++)
		n += pp_unrecorded_get(sec, i, &s, &f, &t, &at) == 0;
	return n;
}

/* The section without server's entry from -> to (every entry off from
 * when to is NULL); misshapen entries go too. */
static void
keep_others(json_object *root, const char *server, const char *from,
	const char *to)
{
	json_object *sec = pp_unrecorded_of(root);
	json_object *keep = json_object_new_array();
	const char *s, *f, *t;
	time_t at;

	for (size_t i = 0; sec && i < json_object_array_length(sec); i++) {
		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0)
			continue;
		if (!strcmp(s, server) && !strcmp(f, from) &&
		    (!to || !strcmp(t, to)))
			continue;
		json_object_array_add(keep, json_object_get(
			json_object_array_get_idx(sec, i)));
	}
	json_object_object_add(root, SECTION, keep);
}

static void
add(json_object *root, const char *server, const char *from,
	const char *to, time_t at, int intent,
	const struct pp_intent_info *own)
{
	json_object *e = json_object_new_object();

	keep_others(root, server, from, to);
	json_object_object_add(e, "server", json_object_new_string(server));
	json_object_object_add(e, "from", json_object_new_string(from));
	json_object_object_add(e, "to", json_object_new_string(to));
	json_object_object_add(e, "at", pp_jnew_time(at));
	if (intent)
		json_object_object_add(e, "state",
			json_object_new_string("intent"));
	if (own && own->host && own->state_dir) {
		json_object_object_add(e, "host",
			json_object_new_string(own->host));
		json_object_object_add(e, "state_dir",
			json_object_new_string(own->state_dir));
		json_object_object_add(e, "pid",
			json_object_new_int64(own->pid));
		json_object_object_add(e, "ram_mb",
			json_object_new_int64(own->ram_mb));
	}
	json_object_array_add(pp_unrecorded_of(root), e);
}

void
pp_unrecorded_add(json_object *root, const char *server, const char *from,
	const char *to, time_t at)
{
	add(root, server, from, to, at, 0, NULL);
}

void
pp_unrecorded_add_intent(json_object *root, const char *server,
	const char *from, const char *to, time_t at,
	const struct pp_intent_info *own)
{
	add(root, server, from, to, at, 1, own);
}

int
pp_unrecorded_owner(json_object *sec, size_t i, struct pp_intent_info *own)
{
	json_object *e = json_object_array_get_idx(sec, i);

	memset(own, 0, sizeof *own);
	if (!e || !json_object_is_type(e, json_type_object))
		return -1;
	own->host = pp_jstr(e, "host", NULL);
	own->state_dir = pp_jstr(e, "state_dir", NULL);
	own->pid = (long)pp_jint(e, "pid", 0);
	own->ram_mb = pp_jint(e, "ram_mb", 0);
	return own->host && *own->host && own->state_dir &&
		*own->state_dir ? 0 : -1;
}

int
pp_unrecorded_is_intent(json_object *sec, size_t i)
{
	json_object *e = json_object_array_get_idx(sec, i);
	const char *st = e && json_object_is_type(e, json_type_object) ?
		pp_jstr(e, "state", NULL) : NULL;

	return st && !strcmp(st, "intent");
}

void
pp_unrecorded_drop(json_object *root, const char *server, const char *from,
	const char *to)
{
	keep_others(root, server, from, to);
	if (json_object_array_length(pp_unrecorded_of(root)) == 0)
		json_object_object_del(root, SECTION);
}

void
pp_unrecorded_drop_off(json_object *root, const char *server,
	const char *from)
{
	keep_others(root, server, from, NULL);
	if (json_object_array_length(pp_unrecorded_of(root)) == 0)
		json_object_object_del(root, SECTION);
}
