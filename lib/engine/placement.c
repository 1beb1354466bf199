/* The scale-down choice: the removal order, the fit check, and the
 * node the engine removes for a policy's verdict. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/enode.h"
#include "engine/internal.h"
#include "doc/fleet.h"
#include "store/registry.h"
#include "base/util.h"

/* Scale-down candidates whose fit is checked in one cycle: the fit
 * check walks every other node, so a fleet of 10,000 idle nodes must
 * not cost 10,000 of them. The rest are reported as not checked. */
#define MAX_FIT_CHECKS 16

/* ---- scale-down choice --------------------------------------------- */

/* Seconds left in the node's paid hour; an unknown creation time sorts
 * last (we cannot tell when its hour ends). */
long
pp_engine_paid_left(const struct pp_enode *n, time_t now)
{
	long age;

	if (!n->created_at)
		return 3601;
	age = (long)(now - n->created_at);
	if (age < 0)
		return 3600;
	return 3600 - age % 3600;
}

static int
is_spare(const struct pp_enode *n)
{
	return n->kind == PP_KIND_CLOUD && n->status == PP_ST_READY &&
		n->role == PP_ROLE_SPARE && n->allocated_mb == 0;
}

struct cand {
	const struct pp_enode *n;
	int spare;
	double util;
	long left;
};

int
pp_removal_cmp(const struct pp_removal_key *x, const struct pp_removal_key *y)
{
	if (x->spare != y->spare)
		return y->spare - x->spare;
	if (x->util != y->util)
		return x->util < y->util ? -1 : 1;
	if (x->left != y->left)
		return x->left < y->left ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	struct pp_removal_key kx = {x->spare, x->util, x->left, x->n->id};
	struct pp_removal_key ky = {y->spare, y->util, y->left, y->n->id};

	return pp_removal_cmp(&kx, &ky);
}

static int
cmp_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* First-fit decreasing: do the node's game servers fit on the other
 * ready nodes (spares excluded: moving load onto the pool only makes
 * it provision again)? */
int
pp_engine_fits_elsewhere(const struct pp_engine_ctx *c,
	const struct pp_enode *victim, char *why, size_t whylen)
{
	long long *items, *bins;
	size_t nitems = 0, nbins = 0;
	int ok = 1;

	if (!victim->ncontainer_mb && victim->allocated_mb == 0)
		return 1;
	if (!victim->ncontainer_mb) {
		pp_say(why, whylen, "holds %lld MB but the document lists "
			"no game-server sizes", victim->allocated_mb);
		return 0;
	}
	items = pp_xcalloc(victim->ncontainer_mb, sizeof *items);
	for (size_t i = 0; i < victim->ncontainer_mb; i++)
		if (victim->container_mb[i] > 0)
			items[nitems++] = victim->container_mb[i];
	if (!nitems) {
		free(items);
		return 1;
	}
	qsort(items, nitems, sizeof *items, cmp_desc);
	bins = pp_xcalloc(c->nnodes, sizeof *bins);
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (n == victim || n->status != PP_ST_READY || is_spare(n))
			continue;
		if (n->usable_mb - n->allocated_mb > 0)
			bins[nbins++] = n->usable_mb - n->allocated_mb;
	}
	for (size_t i = 0; i < nitems && ok; i++) {
		size_t b;

		for (b = 0; b < nbins; b++)
			if (bins[b] >= items[i])
				break;
		if (b == nbins) {
			pp_say(why, whylen, "its game servers do not fit "
				"on the other ready nodes (a %lld MB one has "
				"no room)", items[i]);
			ok = 0;
		} else {
			bins[b] -= items[i];
		}
	}
	free(items);
	free(bins);
	return ok;
}

static void
cand_json(json_object *a, const struct pp_enode *n, int ok, const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(n->id));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "why", json_object_new_string(why));
	json_object_array_add(a, o);
}

/* Picks the node to remove for the policy's verdict, or explains why
 * none can go. Returns the node or NULL (reason in why). */
const struct pp_enode *
pp_engine_choose_victim(const struct pp_engine_ctx *c,
	const struct pp_verdict *v, long keep_spares, json_object *cands,
	char *why, size_t whylen)
{
	const struct pp_config *cfg = c->cfg;
	double limit = cfg->reactive.up_threshold - cfg->reactive.down_margin;
	struct cand *list;
	size_t n = 0, checked = 0;
	const struct pp_enode *found = NULL;
	char first[256] = "";

	list = pp_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *list);
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (e->kind != PP_KIND_CLOUD || e->status != PP_ST_READY)
			continue;
		if (v->node && strcmp(v->node, e->id))
			continue;
		list[n].n = e;
		list[n].spare = is_spare(e);
		list[n].util = e->usable_mb > 0 ? (double)e->allocated_mb /
			(double)e->usable_mb : 1.0;
		list[n].left = pp_engine_paid_left(e, c->now);
		n++;
	}
	qsort(list, n, sizeof *list, cmp_cand);
	if (n && c->cloud_nodes - 1 < cfg->limits.min_cloud_nodes) {
		pp_say(why, whylen, "limits.min_cloud_nodes is %ld and "
			"there are %ld cloud nodes", cfg->limits.min_cloud_nodes,
			c->cloud_nodes);
		free(list);
		return NULL;
	}
	for (size_t i = 0; i < n && !found; i++) {
		const struct pp_enode *e = list[i].n;
		long long total = c->total_mb + c->pending_mb - e->usable_mb;
		double after = pp_capacity_percent(c->allocated_mb, total);
		char w[256];

		if (list[i].spare && c->spares - 1 < keep_spares) {
			pp_say(w, sizeof w, "a spare the pool wants (%ld "
				"spares, %ld wanted)", c->spares, keep_spares);
		} else if (after > limit) {
			pp_say(w, sizeof w, "capacity after removal %.2f%% "
				"would exceed %.1f%% (up threshold %.1f%% minus "
				"margin %.1f)", after, limit,
				cfg->reactive.up_threshold,
				cfg->reactive.down_margin);
		} else if (checked >= MAX_FIT_CHECKS) {
			pp_say(w, sizeof w, "not checked (first %d "
				"candidates only)", MAX_FIT_CHECKS);
			cand_json(cands, e, 0, w);
			break;
		} else if (checked++, !pp_engine_fits_elsewhere(c, e, w,
		    sizeof w)) {
			;
		} else {
			pp_say(w, sizeof w, "%s, %.0f%% used, %ld s left in "
				"its paid hour, capacity after removal %.2f%%",
				list[i].spare ? "idle spare" : "cloud node",
				list[i].util * 100, list[i].left > 3600 ? -1 :
				list[i].left, after);
			found = e;
		}
		if (!found && !first[0])
			pp_say(first, sizeof first, "%s: %s", e->id, w);
		cand_json(cands, e, found == e, w);
	}
	if (!found) {
		if (!n)
			pp_say(why, whylen, "%s", v->node ? "the node it "
				"names is not a ready cloud node" :
				"no ready cloud node to remove (dedicated "
				"nodes are never removed)");
		else
			pp_say(why, whylen, "%s", first);
	}
	free(list);
	return found;
}
