/* drainrun.c: pp-drain's work: cordon, move game servers, uncordon */
#ifndef PP_DRAINRUN_H
#define PP_DRAINRUN_H

#include <stddef.h>
#include <json-c/json.h>

struct pp_config;
struct pp_lock;
struct pp_registry;

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

/* What pp-provision asks before it deletes the server of a node a
 * drain reported empty: whether a game server may be on its way onto
 * it. */
/* 1 when another pp-drain holds node's target lock in state dir sdir
 * (a move onto the node is under way, from its check that the node was
 * ready until it is recorded); else 0, with l holding the lock shared
 * (no move onto the node starts until pp_unlock(l)). */
int pp_drain_moving_onto(const char *sdir, const char *node,
	struct pp_lock *l);
/* 1 when the state at spath keeps a move (an intent, or one carried out
 * and not recorded) onto or off node whose game server the registry r
 * still has where the move came from: server set to its id, *intent to
 * whether it is an intent; 0 when none; -1 with err when the state
 * cannot be read. */
int pp_drain_unrecorded_on(const char *spath, struct pp_registry *r,
	const char *node, char *server, size_t len, int *intent, char *err,
	size_t errlen);

#endif
