/* history_load.c: pp-fleetstats --import-history, as a library call */
#ifndef PP_HISTORY_LOAD_H
#define PP_HISTORY_LOAD_H

#include <json-c/json.h>

struct pp_config;

/* Imports the samples of source ("-", a path, or an http(s)/file URL)
 * into STATE_DIR/history (nothing written when write is 0) and returns
 * the summary for stdout. Dies with status 2 on a source it cannot read
 * or parse (nothing written), 1 when the store cannot be read or
 * written. */
json_object *pp_history_load_source(const struct pp_config *cfg,
	const char *state_flag, const char *source, int write);

#endif
