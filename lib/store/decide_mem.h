/* decide_mem.c: the "decide" section of the state file, pp-decide's
 * memory. This module is its one owner: the engine writes it through
 * here, pp-provision marks outcomes through here, pp-status and the
 * metrics read it through here.
 *
 *   {"last_scale_up":   RFC3339 | absent,   any policy's scale_up
 *    "last_scale_down": RFC3339 | absent,
 *    "last_decision": {"action","policy","count","node","reason","at"},
 *    "recent": [ the last PP_DECIDE_RECENT decisions that acted, oldest
 *               first, each as last_decision plus "result" once
 *               pp-provision has acted on it: "success" | "failed",
 *               and "shadow": true when pp-decide ran in shadow mode ],
 *    "decisions": N,                       non-dry-run cycles decided
 *    "policies": {
 *      "<policy>": {"last_action": "scale_up|...", "last_action_at":
 *                   RFC3339, "last_action_result": as "result", once
 *                   known, ...the policy's own keys...}}}
 *
 * A policy's own keys belong to the policy (lib/engine/policy_*.c);
 * this module hands it its object and leaves the rest alone. */
#ifndef PP_DECIDE_MEM_H
#define PP_DECIDE_MEM_H

#include <time.h>
#include <json-c/json.h>

#define PP_DECIDE_RECENT 20

/* One decision that acted, as recorded. */
struct pp_decide_entry {
	const char *action;     /* "scale_up", ... */
	const char *policy;     /* NULL: none */
	long long count;
	const char *node;       /* NULL or "" unless scale_down/uncordon */
	const char *reason;
	time_t at;
};

/* The section inside a state root (read-only use): NULL when absent or
 * of the wrong shape. */
json_object *pp_decide_mem_of(json_object *root);
/* The section, created when absent (for writing). */
json_object *pp_decide_mem_make(json_object *root);

time_t pp_decide_mem_last_up(json_object *mem);
time_t pp_decide_mem_last_down(json_object *mem);
long long pp_decide_mem_decisions(json_object *mem);
/* The policy's own object; created when create is set, else NULL when
 * absent. */
json_object *pp_decide_mem_policy(json_object *mem, const char *name,
	int create);
/* The policies' objects, or NULL; one policy's in it, or NULL (the
 * same as pp_decide_mem_policy's without create, one lookup less for a
 * caller that asks for each policy). */
json_object *pp_decide_mem_policies(json_object *mem);
json_object *pp_decide_mem_policy_in(json_object *policies,
	const char *name);
/* When the policy acted last (its last_action_at); 0 if never. */
time_t pp_decide_mem_policy_last(json_object *mem, const char *name);
/* Whether the policy's last action (its object, from
 * pp_decide_mem_policy) is known to have failed: nothing happened, so
 * no cooldown follows it. */
int pp_decide_mem_policy_failed(json_object *mine);
/* The last decision that acted, or NULL. */
json_object *pp_decide_mem_last(json_object *mem);
/* The recent decisions, oldest first, or NULL. */
json_object *pp_decide_mem_recent(json_object *mem);

/* One more cycle decided. */
void pp_decide_mem_count(json_object *mem);
/* A decision that acted: last_scale_up/down, last_decision, recent,
 * and the policy's last_action(_at). */
void pp_decide_mem_record(json_object *mem, const struct pp_decide_entry *e);
/* Sets key to true on the decision recorded at `at` (last_decision
 * and its entry in recent), if there is one: "shadow" marks a decision
 * nothing acted on. */
void pp_decide_mem_flag(json_object *mem, time_t at, const char *key);
/* Marks the newest recorded decision of this action that has no
 * result yet with result ("success", "failed"), and its policy's last
 * action when that was the same decision. */
void pp_decide_mem_set_result(json_object *mem, const char *action,
	const char *result);

#endif
