/* events.c: the event log (JSON lines) */
#ifndef PP_EVENTS_H
#define PP_EVENTS_H

#include <json-c/json.h>

struct pp_config;

/* Where events go: path of the JSON lines file (NULL: nowhere). */
void pp_events_init(const struct pp_config *cfg, const char *path);
/* Appends one event: {"time", "type", "tool", ...fields}. Takes
 * ownership of fields (may be NULL). Never fails the caller: a write
 * error is a warning. */
void pp_event(const char *type, json_object *fields);

#endif
