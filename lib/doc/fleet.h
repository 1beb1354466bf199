/* fleet.c: fleet figures and node summaries from the registry */
#ifndef PP_FLEET_H
#define PP_FLEET_H

#include <time.h>
#include <json-c/json.h>

#include "store/registry.h"

struct pp_fleet {
	long long total_ram_mb;     /* usable RAM of ready nodes */
	long long allocated_ram_mb; /* held by containers on all nodes */
	long long free_ram_mb;      /* total - allocated */
	long long pending_ram_mb;   /* usable RAM of provisioning nodes
	                             * still booting (pp_node_booting) */
	double capacity_percent;    /* allocated / total * 100 */
	long counts[2][PP_ST_COUNT]; /* [kind][status] */
	long roles[2][2][PP_ST_COUNT]; /* [role][kind][status] */
	long spares;                /* ready idle cloud spares */
	long containers;
	long long players;
	double hourly_cost_eur;
};

/* A node is a spare when it is a ready cloud node with role spare and
 * no game server holding RAM. */
int pp_node_is_spare(const struct pp_node *n);
/* Minutes into the node's current paid hour (0..59), -1 if unknown. */
int pp_billing_minute(const struct pp_node *n, time_t now);
/* capacity percent from the figures; 0 with nothing, 100 when there is
 * demand but no ready capacity */
double pp_capacity_percent(long long allocated, long long total);
/* Counts one node's RAM by the one rule the fleet figures and the
 * engine share: what game servers hold counts on every node, usable RAM
 * of a ready node is capacity, of a booting one (pp_node_booting: still
 * provisioning, not past cloud.join_timeout) pending capacity. */
void pp_capacity_count(int status, int booting, long long usable_mb,
	long long allocated_mb, long long *total_mb, long long *pending_mb,
	long long *all_allocated_mb);

/* Whether a provisioning node still counts as booting capacity: a
 * cloud node not ready more than join_timeout seconds after its
 * creation never joined (pp-provision deletes it) and counts as neither
 * ready nor pending capacity. join_timeout 0: no limit. pp-decide
 * (pp_engine_booting) and the fleet figures share this rule. */
int pp_node_booting(int kind, int status, time_t created_at, time_t now,
	long join_timeout);
/* The fleet figures at now; join_timeout as for pp_node_booting. */
void pp_fleet_compute(const struct pp_registry *r, time_t now,
	long join_timeout, struct pp_fleet *f);
json_object *pp_fleet_json(const struct pp_fleet *f);
/* A node's summary in the document. stranded (NULL: none) is an
 * object whose keys are server ids, the state's stranded_servers: a
 * cloud node whose server is one of them gets "stranded": true (its
 * server no longer carries our labels; pp-decide never removes it). */
json_object *pp_node_json(const struct pp_node *n, time_t now,
	json_object *stranded);
json_object *pp_nodes_json(const struct pp_registry *r, time_t now,
	json_object *stranded);
/* The same, serialised node by node into one raw JSON value: a 10,000
 * node fleet never exists twice as a tree (see pp_jnew_raw). */
json_object *pp_nodes_raw(const struct pp_registry *r, time_t now,
	json_object *stranded);

#endif
