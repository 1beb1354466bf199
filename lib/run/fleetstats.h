/* fleetstats.c: what pp-fleetstats does, as a library call */
#ifndef PP_FLEETSTATS_H
#define PP_FLEETSTATS_H

#include <json-c/json.h>

struct pp_config;

struct pp_fleetstats_opts {
	const char *registry;   /* --registry */
	const char *state_dir;  /* --state-dir */
	int record;             /* append a history sample */
	int reconcile;          /* compare with the cloud */
};

/* Builds the document. With o->record it also saves the document as
 * STATE_DIR/last.json (for pp-status) and hands the fleet figures and
 * the state's counters to the metrics (pp_metrics_init first). Dies with status 2 on a bad registry (nothing
 * written), 1 when a file cannot be written. */
json_object *pp_fleetstats(const struct pp_config *cfg,
	const struct pp_fleetstats_opts *o);

/* Saves doc as STATE_DIR/last.json (atomically, under its lock).
 * Returns 0, or -1 after a warning: a lost snapshot must not stop the
 * pipeline. */
int pp_fleetstats_save_last(const struct pp_config *cfg,
	const char *state_flag, json_object *doc);

#endif
