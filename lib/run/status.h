/* status.c: the scaling status (pp-status), from the state file and the
 * last snapshot */
#ifndef PP_STATUS_H
#define PP_STATUS_H

#include <stdio.h>
#include <json-c/json.h>

struct pp_config;

/* Collects the status at pp_now() from STATE_DIR/state.json (every
 * section optional) and STATE_DIR/last.json (optional), showing up to
 * nactions last actions. Returns NULL with a message in err when a file
 * exists but is corrupt (exit 2). Fields the state does not have come
 * out as null. "warnings" lists what makes the status untrustworthy: a
 * state directory that is missing or holds no state, a snapshot older
 * than max_age seconds (<= 0: never stale). */
json_object *pp_status_collect(const struct pp_config *cfg,
	const char *state_flag, int nactions, long max_age, char *err,
	size_t errlen);
/* The readable table. */
void pp_status_print(FILE *f, json_object *st);

#endif
