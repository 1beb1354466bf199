/* pp-sim --strategy: what a user would otherwise run, in place of the
 * engine's policies, on the same simulated platform and cloud, so that
 * every backtest can show the shipped profile beside them.
 *
 *   target      AWS-style target tracking: keep allocated / (ready +
 *               booting) RAM at --target percent; scale out to reach
 *               it, scale in one node at a time (5 minute cooldown)
 *               while the fleet without it stays under the target.
 *   ca          cluster-autoscaler style: scale up when a game server
 *               waits (a refused start) by enough nodes to hold the
 *               waiting ones, counting nodes still booting; remove a
 *               node under 50 % used for 10 minutes whose game servers
 *               fit elsewhere.
 *   ca-headroom the same with a pause pod: one slot of the largest
 *               game-server size kept free, as a placeholder that real
 *               game servers pre-empt.
 *
 * Types come from the engine's own type choice (cloud.type_choice), the
 * fit from the placement module, so only the rule differs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "engine/engine.h"
#include "engine/placement.h"
#include "store/registry.h"
#include "run/sim.h"
#include "run/sim_int.h"
#include "base/util.h"

#define CA_LOW 0.5
#define CA_HOLD 600
#define TT_COOLDOWN 300

int
pp_sim_parse_strategy(const char *s)
{
	static const char *n[] = {"shipped", "target", "ca", "ca-headroom"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, n[i]))
			return i;
	return -1;
}

const char *
pp_sim_strategy_name(int st)
{
	static const char *n[] = {"shipped", "target", "ca", "ca-headroom"};

	return st >= 0 && st < 4 ? n[st] : "shipped";
}

static void
order(struct pp_decision *d, const struct pp_engine_ctx *c, long count)
{
	if (!c->worker_type.ok || count <= 0)
		return;
	d->action = PP_ACT_SCALE_UP;
	d->count = count;
	d->role = PP_ROLE_WORKER;
	snprintf(d->server_type, sizeof d->server_type, "%s",
		c->worker_type.type);
	snprintf(d->location, sizeof d->location, "%s",
		c->worker_type.location);
}

static long
nodes_for(const struct pp_engine_ctx *c, double mb)
{
	long long u = c->worker_type.usable_mb > 0 ?
		c->worker_type.usable_mb : 1;

	return mb <= 0 ? 0 : (long)ceil(mb / (double)u);
}

/* The ready cloud node the removal order names first among those whose
 * game servers fit elsewhere and that pass ok(); NULL when none. */
static const struct pp_enode *
removable(const struct pp_engine_ctx *c, const struct sim *S, int ca)
{
	const struct pp_enode *best = NULL;
	struct pp_removal_key bk = {0, 0, 0, NULL};
	char why[256];

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];
		struct pp_removal_key k;

		if (e->kind != PP_KIND_CLOUD || e->status != PP_ST_READY)
			continue;
		k = pp_removal_key_of(c, e);
		k.spare = 0; /* these strategies rank a spare like any node */
		if (ca) {
			const struct snode *n = NULL;

			for (size_t j = 0; j < S->p.nn && !n; j++)
				if (!strcmp(S->p.n[j].id, e->id))
					n = &S->p.n[j];
			if (!n || !n->low_since ||
			    c->now - n->low_since < CA_HOLD)
				continue;
		}
		if (best && pp_removal_cmp(&k, &bk) >= 0)
			continue;
		if (!pp_engine_fits_elsewhere(c, e, why, sizeof why))
			continue;
		best = e;
		bk = k;
	}
	return best;
}

static void
target_tracking(struct sim *S, const struct pp_engine_ctx *c,
	struct pp_decision *d)
{
	double t = S->o->target_pct / 100.0;
	double have = (double)(c->total_mb + c->pending_mb);
	double want = (double)c->allocated_mb / t;
	const struct pp_enode *n;

	if (want > have) {
		order(d, c, nodes_for(c, want - have));
		return;
	}
	if (c->now - S->tt_last_in < TT_COOLDOWN || c->pending_mb)
		return;
	n = removable(c, S, 0);
	if (n && (double)c->allocated_mb / (have - (double)n->usable_mb) <
	    t) {
		d->action = PP_ACT_SCALE_DOWN;
		d->count = 1;
		snprintf(d->node, sizeof d->node, "%s", n->id);
		S->tt_last_in = c->now;
	}
}

static int
cmp_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x < y) - (x > y);
}

/* The cluster autoscaler's estimate: the nodes of the worker type that
 * hold the waiting game servers (and the pause pod, pause_mb > 0) that
 * the booting nodes do not, each packed best fit decreasing as the
 * platform places them. A node holds whole game servers, not MB: two
 * 16 GB ones do not share a cx53's 31.5 GB. */
static long
nodes_to_hold(const struct pp_engine_ctx *c, const struct platform *p,
	long long pause_mb)
{
	long long u = c->worker_type.usable_mb;
	size_t n = 0, nb = 0;
	long long *sizes;
	struct pp_bin *bins;
	long need = 0;

	if (u <= 0)
		return 0;
	sizes = pp_xcalloc(p->nwait + 1, sizeof *sizes);
	for (size_t i = 0; i < p->nwait; i++)
		sizes[n++] = p->wait[i];
	if (pause_mb > 0)
		sizes[n++] = pause_mb;
	qsort(sizes, n, sizeof *sizes, cmp_desc);
	bins = pp_xcalloc(c->nnodes + n + 1, sizeof *bins);
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (!pp_engine_booting(c, e))
			continue;
		bins[nb].id = e->id;
		bins[nb++].free = e->usable_mb - e->allocated_mb;
	}
	for (size_t i = 0; i < n; i++) {
		if (sizes[i] > u || pp_place_fit(bins, nb, &sizes[i], 1,
		    NULL) == 1)
			continue;
		/* a new node, empty: the id only breaks ties */
		bins[nb].id = "~new";
		bins[nb++].free = u - sizes[i];
		need++;
	}
	free(sizes);
	free(bins);
	return need;
}

static void
cluster_autoscaler(struct sim *S, const struct pp_engine_ctx *c,
	struct pp_decision *d, int pause_pod)
{
	struct platform *p = &S->p;
	double waiting = (double)p->wait_mb;
	long long pause_mb = 0;
	const struct pp_enode *n;
	struct pp_engine_ctx pc = *c;

	/* a node's low-utilisation clock */
	for (size_t i = 0; i < p->nn; i++) {
		struct snode *s = &p->n[i];
		int low = s->kind == PP_KIND_CLOUD &&
			s->status == PP_ST_READY && s->usable > 0 &&
			(double)s->used / (double)s->usable < CA_LOW;

		if (!low)
			s->low_since = 0;
		else if (!s->low_since)
			s->low_since = c->now;
	}
	/* pause pod: a slot of the largest size that must stay free */
	pc.slot_mb = S->big_mb;
	if (pause_pod && pp_engine_slots(&pc, NULL) < 1) {
		waiting += (double)pc.slot_mb;
		pause_mb = pc.slot_mb;
	}
	if (waiting > 0) {
		/* booting nodes will take what waits */
		long need = nodes_to_hold(c, p, pause_mb);

		if (need > 0) {
			order(d, c, need);
			return;
		}
	}
	if (waiting > 0)
		return;
	n = removable(c, S, 1);
	if (n && (!pause_pod || pp_engine_slots(&pc, n) >= 1)) {
		d->action = PP_ACT_SCALE_DOWN;
		d->count = 1;
		snprintf(d->node, sizeof d->node, "%s", n->id);
	}
}

void
pp_sim_strategy_decide(struct sim *S, const struct pp_engine_ctx *c,
	struct pp_decision *d)
{
	memset(d, 0, sizeof *d);
	switch (S->o->strategy) {
	case PP_STRAT_TARGET:
		target_tracking(S, c, d);
		break;
	case PP_STRAT_CA:
		cluster_autoscaler(S, c, d, 0);
		break;
	case PP_STRAT_CA_HEADROOM:
		cluster_autoscaler(S, c, d, 1);
		break;
	default:
		break;
	}
	snprintf(d->reason, sizeof d->reason, "strategy %s",
		pp_sim_strategy_name(S->o->strategy));
}
