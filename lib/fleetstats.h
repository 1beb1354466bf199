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

/* Builds the document. Dies with status 2 on a bad registry (nothing
 * written), 1 when a file cannot be written. */
json_object *pp_fleetstats(const struct pp_config *cfg,
	const struct pp_fleetstats_opts *o);

#endif
