/* The "decide" section of the state file (see decide_mem.h). */
#include <limits.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/decide_mem.h"

static json_object *
section(json_object *o, const char *name)
{
	json_object *s = pp_jget(o, name);

	if (!s || !json_object_is_type(s, json_type_object)) {
		s = json_object_new_object();
		json_object_object_add(o, name, s);
	}
	return s;
}

static json_object *
object_or_null(json_object *o)
{
	return o && json_object_is_type(o, json_type_object) ? o : NULL;
}

json_object *
pp_decide_mem_of(json_object *root)
{
	return object_or_null(pp_jget(root, "decide"));
}

json_object *
pp_decide_mem_make(json_object *root)
{
	return section(root, "decide");
}

static time_t
jtime(json_object *o, const char *key)
{
	time_t t;
	const char *s = pp_jstr(o, key, NULL);

	return s && pp_parse_time(s, &t) == 0 ? t : 0;
}

time_t
pp_decide_mem_last_up(json_object *mem)
{
	return jtime(mem, "last_scale_up");
}

time_t
pp_decide_mem_last_down(json_object *mem)
{
	return jtime(mem, "last_scale_down");
}

long long
pp_decide_mem_decisions(json_object *mem)
{
	return pp_jint(mem, "decisions", 0);
}

json_object *
pp_decide_mem_policies(json_object *mem)
{
	return object_or_null(pp_jget(mem, "policies"));
}

json_object *
pp_decide_mem_policy_in(json_object *policies, const char *name)
{
	return object_or_null(pp_jget(policies, name));
}

json_object *
pp_decide_mem_policy(json_object *mem, const char *name, int create)
{
	if (create)
		return section(section(mem, "policies"), name);
	return pp_decide_mem_policy_in(pp_decide_mem_policies(mem), name);
}

time_t
pp_decide_mem_policy_last(json_object *mem, const char *name)
{
	return jtime(pp_decide_mem_policy(mem, name, 0), "last_action_at");
}

json_object *
pp_decide_mem_last(json_object *mem)
{
	return object_or_null(pp_jget(mem, "last_decision"));
}

json_object *
pp_decide_mem_recent(json_object *mem)
{
	json_object *a = pp_jget(mem, "recent");

	return a && json_object_is_type(a, json_type_array) ? a : NULL;
}

void
pp_decide_mem_count(json_object *mem)
{
	json_object *v = pp_jget(mem, "decisions");
	long long n = pp_jint(mem, "decisions", 0);

	/* a counter from the file: a huge one stays put, never wraps */
	n = n < 0 ? 1 : n < LLONG_MAX ? n + 1 : n;
	/* an integer is counted where it is (pp-sim counts every cycle:
	 * no object made and freed for it) */
	if (v && json_object_is_type(v, json_type_int))
		json_object_set_int64(v, n);
	else
		json_object_object_add(mem, "decisions",
			json_object_new_int64(n));
}

static json_object *
str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

void
pp_decide_mem_record(json_object *mem, const struct pp_decide_entry *e)
{
	json_object *last, *recent;

	if (!strcmp(e->action, "scale_up") || !strcmp(e->action, "uncordon"))
		json_object_object_add(mem, "last_scale_up",
			pp_jnew_time(e->at));
	if (!strcmp(e->action, "scale_down"))
		json_object_object_add(mem, "last_scale_down",
			pp_jnew_time(e->at));
	last = json_object_new_object();
	json_object_object_add(last, "action",
		json_object_new_string(e->action));
	json_object_object_add(last, "policy", str_or_null(e->policy));
	json_object_object_add(last, "count", json_object_new_int64(e->count));
	json_object_object_add(last, "node", str_or_null(e->node));
	json_object_object_add(last, "reason", str_or_null(e->reason));
	json_object_object_add(last, "at", pp_jnew_time(e->at));
	json_object_object_add(mem, "last_decision", last);
	recent = pp_decide_mem_recent(mem);
	if (!recent) {
		recent = json_object_new_array();
		json_object_object_add(mem, "recent", recent);
	}
	json_object_array_add(recent, json_object_get(last));
	while (json_object_array_length(recent) > PP_DECIDE_RECENT)
		json_object_array_del_idx(recent, 0, 1);
	if (e->policy && *e->policy) {
		json_object *mine = pp_decide_mem_policy(mem, e->policy, 1);

		json_object_object_add(mine, "last_action",
			json_object_new_string(e->action));
		json_object_object_add(mine, "last_action_at",
			pp_jnew_time(e->at));
		json_object_object_del(mine, "last_action_result");
	}
}

static void
mark_policy(json_object *mem, json_object *e, const char *result)
{
	const char *policy = pp_jstr(e, "policy", NULL);
	json_object *mine = policy ? pp_decide_mem_policy(mem, policy, 0) :
		NULL;

	if (mine && jtime(mine, "last_action_at") == jtime(e, "at"))
		json_object_object_add(mine, "last_action_result",
			json_object_new_string(result));
}

int
pp_decide_mem_policy_failed(json_object *mine)
{
	return !strcmp(pp_jstr(mine, "last_action_result", ""), "failed");
}

void
pp_decide_mem_set_result(json_object *mem, const char *action,
	const char *result)
{
	json_object *recent = pp_decide_mem_recent(mem);
	json_object *last = pp_decide_mem_last(mem);

	for (size_t i = recent ? json_object_array_length(recent) : 0;
	     i > 0; i--) {
		json_object *e = json_object_array_get_idx(recent, i - 1);

		if (strcmp(pp_jstr(e, "action", ""), action) ||
		    pp_jget(e, "result"))
			continue;
		json_object_object_add(e, "result",
			json_object_new_string(result));
		/* the policy's own last action learns it too: a cooldown
		 * after an action that did not happen would only delay the
		 * retry while players wait */
		mark_policy(mem, e, result);
		/* last_decision is a copy of the newest entry once the file
		 * has been read back */
		if (last && last != e && i == json_object_array_length(recent)
		    && !strcmp(pp_jstr(last, "at", ""), pp_jstr(e, "at", "")))
			json_object_object_add(last, "result",
				json_object_new_string(result));
		break;
	}
}

void
pp_decide_mem_flag(json_object *mem, time_t at, const char *key)
{
	json_object *recent = pp_decide_mem_recent(mem);
	json_object *last = pp_decide_mem_last(mem);
	size_t n = recent ? json_object_array_length(recent) : 0;

	if (last && jtime(last, "at") == at)
		json_object_object_add(last, key,
			json_object_new_boolean(1));
	if (n && jtime(json_object_array_get_idx(recent, n - 1), "at") == at)
		json_object_object_add(json_object_array_get_idx(recent,
			n - 1), key, json_object_new_boolean(1));
}
