/* placement.c: the one answer to "where do game servers go".
 *
 * The fit (best fit decreasing, idle spares last), the drain plan
 * built on it, the idle-spare test, the removal order and the
 * engine's scale-down fit check all live here, so that the engine's
 * promise that a node's game servers fit elsewhere is the drain
 * planner's own answer, and pp-sim drains with the same plan. */
#ifndef PP_PLACEMENT_H
#define PP_PLACEMENT_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "store/registry.h"

/* A node that can take game servers, as the fit sees it. */
struct pp_bin {
	const char *id;         /* ties go to the smaller id */
	long long free;         /* usable RAM not held; the fit uses it up */
	long long promised;     /* to stopped game servers placed here */
	int spare;              /* an idle spare: a target only when no
				 * other bin fits */
};

/* Best fit decreasing: sizes (MB, largest first, each > 0) go one by
 * one onto the bin with the least free RAM that still holds it, bins
 * that are not idle spares first, ties by id; the bins' free RAM is
 * used up and to[i] (when to is not NULL) names the bin of size i.
 * Returns n when every size has a bin, else the index of the first
 * that fits nowhere (the bins then hold what was placed before it). */
size_t pp_place_fit(struct pp_bin *bins, size_t nbins,
	const long long *sizes, size_t n, size_t *to);

/* How many game servers of slot_mb the bins still take, each bin on
 * its own (free / slot_mb, summed): the slot headroom. */
long pp_place_slots(const struct pp_bin *bins, size_t nbins,
	long long slot_mb);

/* An idle spare: a ready cloud node with role spare that holds no RAM
 * (enum pp_kind, pp_status, pp_role). */
int pp_idle_spare(int kind, int status, int role, long long allocated_mb);

/* One planned move. The strings are the plan's own copies, so a plan
 * outlives the registry it was made from. */
struct pp_move {
	char *server, *from, *to, *to_ip;
	long long ram_mb;   /* RAM it holds now: 0 when stopped */
	long long size_mb;  /* its recorded ram_mb */
	long long players;
	int state;          /* enum pp_cstate */
};

struct pp_plan {
	int ok;             /* every game server of the node has a home */
	size_t n;
	struct pp_move *moves;
	char reason[512];   /* why not, when !ok */
};

/* A node that may receive game servers: ready (not provisioning,
 * draining or unhealthy). */
int pp_drain_target_ok(const struct pp_node *n);
/* Usable RAM not held by its containers; never below 0. */
long long pp_node_free_ram(const struct pp_node *n);

/* Plans the evacuation of node `id`, a pure function of the registry.
 * Game servers that hold RAM are placed best fit decreasing (largest
 * first, each onto the ready node with the least free RAM that still
 * fits it; ties by node id); stopped ones, which hold no RAM but whose
 * world data must move too, go onto the ready node with the most free
 * RAM left. Never onto the node itself. Either every game server gets a
 * home (ok = 1) or the plan is empty and reason says what does not fit.
 * Returns 0, or -1 when the node is not in the registry. */
int pp_drain_plan(const struct pp_registry *r, const char *id,
	struct pp_plan *p);
void pp_plan_free(struct pp_plan *p);

json_object *pp_move_json(const struct pp_move *m);

/* The engine's side (struct pp_enode, declared in engine.h). */
struct pp_engine_ctx;
struct pp_enode;
/* 1 when the node's game servers fit on the other ready nodes by
 * pp_place_fit with the idle spares left out; else 0 with the reason.
 * With the spares left out the fit never reaches the spare branch, so
 * a yes here is a yes from pp_drain_plan on the same nodes too. */
int pp_engine_fits_elsewhere(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n, char *why, size_t whylen);
/* Free slots of ctx->slot_mb on the ready and provisioning nodes
 * (pp_place_slots). With `without` (a ready node, may be NULL): after
 * it is gone and its game servers have moved by the fit above; -1 when
 * they do not fit. */
long pp_engine_slots(const struct pp_engine_ctx *ctx,
	const struct pp_enode *without);
/* Never less than pp_engine_slots(ctx, without), without its fit
 * (no allocation, no sort): the other nodes' slots as they are, and
 * their free RAM less the node's game servers. The unneeded rule asks
 * it first and skips the fit when it is under what it wants. */
long pp_engine_slots_most(const struct pp_engine_ctx *ctx,
	const struct pp_enode *without);
/* An idle spare the pool counts: big enough for a slot when there is a
 * slot size. */
/* A cloud node this ppscale can remove: of cloud.provider (or of no
 * provider named), with a server id, and not stranded (its server
 * relabelled out of our pool, as pp-provision reported). Another
 * provider's VM, one without a server or a stranded one is never
 * drained or chosen to go: pp-provision could not delete it, and the
 * drain would go on every cycle. */
int pp_engine_ours(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
/* One of ours whose server the cloud would delete: not delete-protected
 * (Hetzner's console sets that; a scale-down would move its game
 * servers off and then have its delete refused every cycle). */
int pp_engine_removable(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
/* An unhealthy cloud node of ours that holds no game server, while the
 * unneeded policy's unhealthy_after is on: the one kind of node the
 * unneeded rule removes without a capacity or fit check. */
int pp_engine_sick(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
int pp_engine_counted_spare(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
/* Seconds left in the node's paid hour (hourly billing from creation);
 * 3601 when its creation time is unknown. */
long pp_engine_paid_left(const struct pp_enode *n, time_t now);
/* The order in which cloud nodes are removed (DESIGN section 4, rule
 * 6): surplus spares first, then the least utilised, then the one whose
 * paid hour ends soonest (seconds left), then by id. */
struct pp_removal_key {
	int spare;
	double util;
	long left;
	const char *id;
};
int pp_removal_cmp(const struct pp_removal_key *a,
	const struct pp_removal_key *b);
/* A ready cloud node's key, at ctx's time (id borrowed from n). */
struct pp_removal_key pp_removal_key_of(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
/* qsort's comparison for an array of structs that begin with a struct
 * pp_removal_key: the removal order. */
int pp_removal_qsort_cmp(const void *a, const void *b);

#endif
