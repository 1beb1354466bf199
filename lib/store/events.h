/* events.c: the event bus: a JSON lines file and an optional webhook */
#ifndef PP_EVENTS_H
#define PP_EVENTS_H

#include <time.h>
#include <json-c/json.h>

struct pp_config;

/* Event types every tool uses; a tool may add its own "area.what". */
#define PP_EV_SCALING_TRIGGERED "scaling.triggered"
#define PP_EV_SCALING_FAILED    "scaling.failed"
#define PP_EV_NODE_PROVISIONING "node.provisioning"
#define PP_EV_NODE_ADDED        "node.added"
#define PP_EV_NODE_DRAINING     "node.draining"
#define PP_EV_NODE_UNCORDONED   "node.uncordoned"
#define PP_EV_NODE_REMOVED      "node.removed"

/* The events file: events.file, else STATE_DIR/events.jsonl (state_flag
 * is the tool's --state-dir, may be NULL). Caller frees. */
char *pp_events_path(const struct pp_config *cfg, const char *state_flag);
/* Where events go: path of the JSON lines file (NULL: no file) and, when
 * cfg sets events.webhook_url, the webhook. cfg must outlive the events
 * (the config from pp_start does). */
void pp_events_init(const struct pp_config *cfg, const char *path);
/* Emits one event. Every event carries the same schema: "time", "type",
 * "tool", "node", "action", "result", "reason" (null when the caller
 * gives none), then the caller's other fields. Takes ownership of
 * fields (may be NULL). Appends one line to the file, then POSTs the
 * event to the webhook (a short timeout, a few retries, then a warning
 * and the event is dropped). Never fails or stalls the caller. */
void pp_event(const char *type, json_object *fields);
/* Convenience for the common fields; any of them may be NULL; extra
 * (owned, may be NULL) adds type-specific fields. */
void pp_event_node(const char *type, const char *node, const char *action,
	const char *result, const char *reason, json_object *extra);
/* The events in the file at path with a "time" at or after since that
 * keep (NULL: any) accepts, in the file's order, read from its last
 * `tail` bytes (a line cut there is skipped): at most max of them, the
 * newest; *more gets how many more there were. Lines that are not
 * events are skipped. An empty array when the file does not exist;
 * NULL with a message in err when it cannot be read. */
json_object *pp_events_since(const char *path, time_t since,
	int (*keep)(json_object *event), size_t max, long tail, long *more,
	char *err, size_t errlen);
/* The same from the database's ppscale_events (two control hosts: both
 * hosts' events), the pool's newest `rows` rows for the file's tail;
 * NULL with a message in err when it cannot be read. */
json_object *pp_events_since_db(time_t since,
	int (*keep)(json_object *event), size_t max, long rows, long *more,
	char *err, size_t errlen);

#endif
