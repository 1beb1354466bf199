/* drain_int.h: what drainrun.c (a pass over a node) and drainmove.c
 * (one move, and the record of the moves) share. Not for other tools:
 * they call pp_drain_run (run/drainrun.h). */
#ifndef PP_DRAIN_INT_H
#define PP_DRAIN_INT_H

#include <time.h>
#include <json-c/json.h>

#include "base/util.h"
#include "conf/catalog.h"
#include "engine/placement.h"
#include "store/registry.h"

struct pp_config;
struct pp_drain_opts;

enum mode { M_SCALE_DOWN, M_MAINTENANCE, M_UNCORDON };
/* How long a move waits for another pp-drain's move onto the same
 * target, beyond the move timeout. */
#define TARGET_LOCK_SLACK 30
/* How long after its hook started a move another control host's
 * pp-drain wrote (its locks are that host's files) counts as under
 * way, beyond the move timeout: the kill of a hook that outlives it,
 * the record of the move, and the hosts' clocks apart. */
#define FOREIGN_INTENT_SLACK 60

struct run {
	const struct pp_config *cfg;
	const struct pp_drain_opts *o;
	char *rpath, *sdir, *spath;
	char *rshow;          /* rpath as messages name it
	                       * (pp_registry_shown) */
	const char *node;
	enum mode mode;
	int manual;           /* --node */
	int dry_run;
	const char *why;      /* decision.reason */
	json_object *doc;     /* the document read (NULL with --node) */
	time_t t0;            /* pp_now() at start */
	double m0;            /* pp_monotonic() at start */
	struct pp_lock nodelock;
	int passes;
	int stop;             /* a pass found no point in another */
	int changed;          /* cordoned or moved something */
	int gone;             /* the node is not in the registry */
	long unrecorded;      /* moves carried out, not in the registry */
	int no_intent;        /* a move's intent could not be written */
	long unsettled;       /* moves whose hook timed out or was killed:
	                       * the game server may be on either node */
	int stuck;            /* the node's emptiness waits on an intent
	                       * nothing settles unaided */
	/* the server types a cloud node's RAM is checked against
	 * (pp_dr_cap_ram), read on first use */
	struct pp_catalog cat;
	int have_cat;
	int ram_warned;       /* the plan has warned of over-reports */

	const char *status;
	char reason[768];
	int empty;
	long remaining;
	time_t since;         /* draining_since (now when not yet) */
	int recorded;         /* since is in the registry */
	json_object *planned, *moved, *failed, *skipped, *waiting;

	/* Moves carried out and not yet recorded: recorded together, in
	 * one locked rewrite of the registry (flush), with the target
	 * locks held until then so that no other pp-drain counts the same
	 * free RAM. */
	struct done_move {
		struct pp_move m;
		char *server, *from, *to, *to_ip;
		struct pp_lock tl;
		double t;      /* the hook's duration, seconds */
		double secs;   /* set by the flush: -2 when the target is
		                * gone from the registry, else -1 */
	} *done;
	size_t ndone;
	double batch_t0;      /* pp_monotonic() of the oldest unrecorded */
};

/* Longest a carried-out move waits to be recorded with later ones: the
 * registry shows where a game server is within this many seconds (or
 * at the end of the node's moves), and readers of the target's free
 * RAM see it as soon. */
#define RECORD_BATCH_SECONDS 2.0

extern const char *const pp_dr_mode_names[];

/* drainrun.c */
time_t pp_dr_run_now(const struct run *x);
void pp_dr_set_status(struct run *x, const char *status, const char *fmt,
	...) __attribute__((format(printf, 3, 4)));
json_object *pp_dr_fields(const char *node);
void pp_dr_add_str(json_object *o, const char *k, const char *v);
void pp_dr_event(struct run *x, const char *type, json_object *f);
char *pp_dr_lock_path(const char *dir, const char *prefix, const char *id);
void pp_dr_open_registry(struct run *x, struct pp_registry *r, int mode);
int pp_dr_try_open_registry(struct run *x, struct pp_registry *r, int mode,
	char *err, size_t errlen);
struct pp_container *pp_dr_find_container(struct pp_node *n,
	const char *id);
/* The server types: the document's, else pp-fleetstats' cache (at any
 * age) or the config, never the API; read once. */
const struct pp_catalog *pp_dr_catalog(struct run *x);
/* n's RAM as pp-fleetstats counts it for pp-decide: an over-reported
 * cloud node's capped at its type's memory (doc/cloudram.h), in memory
 * only; silent (the plan warns, once a run). */
void pp_dr_cap_ram(struct run *x, struct pp_node *n);

/* drainplan.c: the plan from the document's node list */
int pp_dr_doc_nodes(json_object *doc, const char *skip,
	struct pp_node **out, size_t *nout, size_t *ndoc, int *skip_status);
void pp_dr_doc_nodes_free(struct pp_node *nodes, size_t n);
/* The node's status in the document's nodes (a list, or a lean
 * document's text), or -1 when it is not there: where pp_dr_doc_nodes
 * is not read (a dry run). */
int pp_dr_doc_status(json_object *doc, const char *id);
void pp_dr_plan_doc(struct pp_registry *r, const struct pp_node *src,
	struct pp_node *nodes, size_t n, struct pp_plan *p);

/* drainrec.c: the moves under way (intents) and those carried out
 * that the registry could not record, kept in the state */
/* Writes the move's intent to the state before its hook starts (the
 * node's and the target's locks held), beside the game server's
 * intents onto other targets: 0, or -1 with err. room: the MB the
 * target has free for it; with the moves onto it another control
 * host's pp-drain has under way (pp_dr_foreign_move) taken from it
 * under the state's lock, -2 (err says why) when m no longer fits. */
int pp_dr_write_intent(struct run *x, const struct pp_move *m,
	long long room, char *err, size_t errlen);
/* 1 when a pp-drain of another control host may still be moving a
 * game server off node from (non-NULL), or onto node to (non-NULL):
 * an intent it wrote to the control database, younger than the move
 * timeout and FOREIGN_INTENT_SLACK (its locks are files of that host,
 * not seen here); who (when len) names the game server and the
 * host. */
int pp_dr_foreign_move(struct run *x, const char *from, const char *to,
	char *who, size_t len);
/* One state write for the n moves carried out: keep[i] 1 keeps move i
 * as not recorded until a later run records it, 2 (recorded) drops
 * every entry of its game server off the node it left, 0 its intent
 * alone. */
void pp_dr_settle_moves(struct run *x, const struct done_move *d,
	size_t n, const unsigned char *keep);
/* Drops the intent of a move whose hook said it did not move. */
void pp_dr_drop_intent(struct run *x, const char *server,
	const char *from, const char *to);
/* Settles the intents earlier runs left (the move run again, when no
 * process holds its node's or target's lock and the target can take
 * the game server now; moved back when the node it left can; else
 * kept) and records the moves
 * kept by earlier runs (the registry open with PP_LOCK_EX for it),
 * dropping those recorded, or recorded by someone else meanwhile, from
 * the state; adds those it cannot record to x->unrecorded. */
void pp_dr_replay(struct run *x);
/* 1 (server set to its id, *intent to whether it is an intent, how to
 * what settles it) when a move kept in the state names node, its game
 * server still recorded where it came from in r. *intent is 2 for an
 * intent no pp-drain settles unaided: neither its target nor the node
 * it left can take the game server, and that node is not draining. */
int pp_dr_unrecorded_on(struct run *x, struct pp_registry *r,
	const char *node, char *server, size_t len, int *intent, char *how,
	size_t hlen);

/* drainmove.c */
void pp_dr_add_waiting(struct run *x, const char *server, long long players,
	time_t until);
void pp_dr_add_problem(json_object *list, const char *server,
	const char *to, const char *key, const char *text);
int pp_dr_in_grace(const struct run *x, long long players, time_t now);
/* Records the moves carried out and not yet recorded (one rewrite). */
void pp_dr_flush_moves(struct run *x);
/* One move: checked against a fresh registry, the hook, then queued
 * for pp_dr_flush_moves. */
void pp_dr_do_move(struct run *x, const struct pp_move *planned);

#endif
