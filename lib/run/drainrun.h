/* drainrun.c: pp-drain's work: cordon, move game servers, uncordon */
#ifndef PP_DRAINRUN_H
#define PP_DRAINRUN_H

#include <json-c/json.h>

struct pp_config;

struct pp_drain_opts {
	const char *registry;   /* --registry, else config, else state dir */
	const char *state_dir;  /* --state-dir */
	const char *node;       /* --node: a maintenance drain by hand */
	int uncordon;           /* with node: return it to service */
	int dry_run;            /* plan only, change nothing */
	int wait;               /* repeat until empty or the deadline */
	long deadline;          /* seconds; < 0: drain.deadline */
	double interval;        /* seconds between passes with wait */
	const char *settle;     /* --settle: a game server's moves */
	const char *on;         /* --on: the node it runs on */
};

/* Acts on the document's decision (scale_down: drain decision.node;
 * uncordon: set it back to ready; anything else: nothing), or, with
 * o->node, on that node alone. Adds the "drain" section to doc unless
 * there was nothing to do. Returns the exit status. Dies with 2 on bad
 * input (a decision without a node, a bad registry). */
int pp_drain_run(const struct pp_config *cfg, const struct pp_drain_opts *o,
	json_object *doc);
/* pp-drain --settle o->settle --on o->on: drops every move of that
 * game server kept in the state, recording it on o->on in the registry
 * first if it is not there. Returns the exit status. */
int pp_drain_settle(const struct pp_config *cfg,
	const struct pp_drain_opts *o);

#endif
