/* decide.c: what pp-decide does around the engine — the state file,
 * events, counters and the --explain table */
#ifndef PP_DECIDE_H
#define PP_DECIDE_H

#include <stdio.h>
#include <json-c/json.h>

struct pp_config;
struct pp_decision;
struct pp_engine_ctx;

struct pp_decide_opts {
	const char *state_dir;  /* --state-dir */
	int dry_run;            /* decide from the state, write nothing */
	int reset_state;        /* start the "decide" section afresh */
	int explain;            /* the evaluations as a table on stderr */
	int shadow;             /* keep state, mark everything shadow: the
				 * tools after it act on nothing */
};

/* Adds "decision" to doc. Dies with status 2 on a document the engine
 * cannot use or a corrupt state file (naming it), 1 when the state
 * cannot be locked or written. Returns 0, or 1 when the document is too
 * old to act on (pp_doc_too_old: the decision is none, nothing is
 * recorded). */
int pp_decide(const struct pp_config *cfg, json_object *doc,
	const struct pp_decide_opts *o);

/* The --explain table for a decision object. */
void pp_decide_explain(FILE *f, json_object *decision);

#endif
