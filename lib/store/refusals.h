/* refusals.c: the "refusals" section of the state file, its one owner.
 * pp-provision writes it when the cloud refuses an order
 * (resource_unavailable, per-account limits); the engine reads it to
 * avoid what was refused; pp-status and the metrics count it.
 *
 *   {"<type>@<location>": {"at": RFC3339, "until": RFC3339,
 *                          "code": "...", "message": "..."},
 *    "@<location>":       {"at": RFC3339, "until": RFC3339,
 *                          "code": "..."}}
 *
 * "cx33@nbg1" avoids that type in that location, "@fsn1" the whole
 * location, each from "at" (when it was refused; older entries have
 * none) until "until" (exclusive); expired entries, and entries made
 * after now (a clock stepped back since), are ignored and pruned by
 * pp_refusals_merge. Other keys in an entry are ignored. */
#ifndef PP_REFUSALS_H
#define PP_REFUSALS_H

#include <time.h>
#include <json-c/json.h>

/* The section inside a state root, NULL when absent or misshapen. */
json_object *pp_refusals_of(json_object *root);
/* Whether type (NULL: any type) in loc is refused at now, per sec. */
int pp_refusal_active(json_object *sec, const char *type, const char *loc,
	time_t now);
/* Adds a refusal of type (NULL: the whole location) in loc to sec,
 * made at at. */
void pp_refusal_add(json_object *sec, const char *type, const char *loc,
	time_t at, time_t until, const char *code, const char *message);
/* Replaces root's section by its entries still active at now plus
 * those of fresh (not taken). */
void pp_refusals_merge(json_object *root, json_object *fresh, time_t now);
/* How many entries of sec are active at now. */
long pp_refusals_active_count(json_object *sec, time_t now);

#endif
