/* drain.c: where the game servers of a node go (evacuation planning) */
#ifndef PP_DRAIN_H
#define PP_DRAIN_H

#include <stddef.h>
#include <json-c/json.h>

#include "store/registry.h"

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

#endif
