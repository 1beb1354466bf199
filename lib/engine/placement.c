/* Placement: where game servers go. One fit (best fit decreasing,
 * idle spares last) serves the drain plan, the engine's scale-down fit
 * check, the slot headroom and pp-sim's drains; the idle-spare test
 * and the removal order live here too. No I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "engine/internal.h"
#include "engine/placement.h"
#include "doc/fleet.h"
#include "store/registry.h"
#include "base/util.h"

/* Scale-down candidates whose fit is checked in one cycle: the fit
 * check walks every other node, so a fleet of 10,000 idle nodes must
 * not cost 10,000 of them. The rest are reported as not checked. */
#define MAX_FIT_CHECKS 16

/* ---- the fit ------------------------------------------------------- */

static int
better_fit(const struct pp_bin *b, const struct pp_bin *best)
{
	return !best || b->free < best->free || (b->free == best->free &&
		strcmp(b->id, best->id) < 0);
}

size_t
pp_place_fit(struct pp_bin *bins, size_t nbins, const long long *sizes,
	size_t n, size_t *to)
{
	for (size_t i = 0; i < n; i++) {
		struct pp_bin *best = NULL;

		/* Moving onto a warm spare uses it up, the spare pool buys
		 * another, and the next scale-down drains onto that one:
		 * a server bought and one deleted every few cycles. */
		for (int spare = 0; spare < 2 && !best; spare++)
			for (size_t j = 0; j < nbins; j++) {
				struct pp_bin *b = &bins[j];

				if (b->spare == spare && b->free >= sizes[i] &&
				    better_fit(b, best))
					best = b;
			}
		if (!best)
			return i;
		best->free -= sizes[i];
		if (to)
			to[i] = (size_t)(best - bins);
	}
	return n;
}

long
pp_place_slots(const struct pp_bin *bins, size_t nbins, long long slot_mb)
{
	long n = 0;

	if (slot_mb <= 0)
		return 0;
	for (size_t i = 0; i < nbins; i++)
		if (bins[i].free >= slot_mb)
			n += (long)(bins[i].free / slot_mb);
	return n;
}

int
pp_idle_spare(int kind, int status, int role, long long allocated_mb)
{
	return kind == PP_KIND_CLOUD && status == PP_ST_READY &&
		role == PP_ROLE_SPARE && allocated_mb == 0;
}

/* ---- the drain plan ------------------------------------------------ */

struct item {
	const struct pp_container *c;
	long long ram;
};

int
pp_drain_target_ok(const struct pp_node *n)
{
	return n->status == PP_ST_READY;
}

long long
pp_node_free_ram(const struct pp_node *n)
{
	long long f = n->usable_ram_mb - n->allocated_ram_mb;

	return f > 0 ? f : 0;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->ram != y->ram)
		return x->ram > y->ram ? -1 : 1;
	/* stopped ones (no RAM now): the largest first */
	if (x->c->ram_mb != y->c->ram_mb)
		return x->c->ram_mb > y->c->ram_mb ? -1 : 1;
	return strcmp(x->c->id, y->c->id);
}

static void
add_move(struct pp_plan *p, const struct pp_node *src,
	const struct pp_container *c, const struct pp_node *dst)
{
	struct pp_move *m;

	p->moves = pp_xreallocarray(p->moves, p->n + 1, sizeof *p->moves);
	m = &p->moves[p->n++];
	m->server = pp_xstrdup(c->id);
	m->from = pp_xstrdup(src->id);
	m->to = pp_xstrdup(dst->id);
	m->to_ip = pp_xstrdup(dst->ip ? dst->ip : "");
	m->ram_mb = pp_container_ram(c);
	m->size_mb = c->ram_mb;
	m->players = c->players;
	m->state = c->state;
}

static void
fail(struct pp_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct pp_plan *p, const char *fmt, ...)
{
	va_list ap;
	struct pp_plan empty = {0};

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
	/* all or nothing: drop what was placed so far */
	memcpy(empty.reason, p->reason, sizeof empty.reason);
	pp_plan_free(p);
	*p = empty;
}

/* Stopped game servers hold no RAM now; give their worlds the
 * roomiest home, where they are likeliest to start again, counting the
 * RAM promised to those placed before them (so they spread instead of
 * all going to one node). */
static struct pp_bin *
roomiest(struct pp_bin *bins, size_t nbins, long long size)
{
	struct pp_bin *most = NULL;

	for (int spare = 0; spare < 2 && !most; spare++)
		for (size_t j = 0; j < nbins; j++) {
			struct pp_bin *b = &bins[j];
			long long room = b->free - b->promised;

			if (b->spare != spare)
				continue;
			if (!most || room > most->free - most->promised ||
			    (room == most->free - most->promised &&
			    strcmp(b->id, most->id) < 0))
				most = b;
		}
	most->promised += size;
	return most;
}

int
pp_drain_plan(const struct pp_registry *r, const char *id, struct pp_plan *p)
{
	const struct pp_node *src = NULL;
	const struct pp_node **node;
	struct pp_bin *bins;
	struct item *items;
	long long *sizes;
	size_t *to;
	size_t nbins = 0, nitems = 0, nram = 0, placed;
	long long need = 0, have = 0;

	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < r->nnodes; i++)
		if (!strcmp(r->nodes[i].id, id))
			src = &r->nodes[i];
	if (!src) {
		snprintf(p->reason, sizeof p->reason, "node '%s' is not in "
			"the registry", id);
		return -1;
	}
	p->ok = 1;
	if (src->ncontainers == 0)
		return 0;

	bins = pp_xcalloc(r->nnodes, sizeof *bins);
	node = pp_xcalloc(r->nnodes, sizeof *node);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];

		if (n == src || !pp_drain_target_ok(n))
			continue;
		node[nbins] = n;
		bins[nbins].id = n->id;
		bins[nbins].free = pp_node_free_ram(n);
		bins[nbins].spare = pp_idle_spare(n->kind, n->status, n->role,
			n->allocated_ram_mb);
		have += bins[nbins].free;
		nbins++;
	}
	items = pp_xcalloc(src->ncontainers, sizeof *items);
	sizes = pp_xcalloc(src->ncontainers, sizeof *sizes);
	to = pp_xcalloc(src->ncontainers, sizeof *to);
	for (size_t i = 0; i < src->ncontainers; i++) {
		items[nitems].c = &src->containers[i];
		items[nitems].ram = pp_container_ram(&src->containers[i]);
		need += items[nitems].ram;
		nitems++;
	}
	qsort(items, nitems, sizeof *items, cmp_item);
	while (nram < nitems && items[nram].ram > 0) {
		sizes[nram] = items[nram].ram;
		nram++;
	}

	if (nbins == 0) {
		fail(p, "no ready node other than '%s' to take its %zu game "
			"server%s", src->id, nitems, nitems == 1 ? "" : "s");
		goto out;
	}
	placed = pp_place_fit(bins, nbins, sizes, nram, to);
	if (placed < nram) {
		const struct pp_bin *largest = NULL;

		for (size_t j = 0; j < nbins; j++)
			if (!largest || bins[j].free > largest->free ||
			    (bins[j].free == largest->free &&
			    strcmp(bins[j].id, largest->id) < 0))
				largest = &bins[j];
		fail(p, "game server '%s' (%lld MB) fits on no ready "
			"node: largest free block %lld MB on '%s' "
			"after placing %zu before it; '%s' needs "
			"%lld MB in all, %lld MB free on %zu ready "
			"node%s", items[placed].c->id, items[placed].ram,
			largest->free, largest->id, placed, src->id,
			need, have, nbins, nbins == 1 ? "" : "s");
		goto out;
	}
	for (size_t i = 0; i < nram; i++)
		add_move(p, src, items[i].c, node[to[i]]);
	for (size_t i = nram; i < nitems; i++) {
		struct pp_bin *b = roomiest(bins, nbins, items[i].c->ram_mb);

		add_move(p, src, items[i].c, node[b - bins]);
	}
out:
	free(bins);
	free(node);
	free(items);
	free(sizes);
	free(to);
	return 0;
}

void
pp_plan_free(struct pp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->moves[i].server);
		free(p->moves[i].from);
		free(p->moves[i].to);
		free(p->moves[i].to_ip);
	}
	free(p->moves);
	p->moves = NULL;
	p->n = 0;
}

json_object *
pp_move_json(const struct pp_move *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "server", json_object_new_string(
		m->server));
	json_object_object_add(o, "from", json_object_new_string(m->from));
	json_object_object_add(o, "to", json_object_new_string(m->to));
	json_object_object_add(o, "to_ip", *m->to_ip ?
		json_object_new_string(m->to_ip) : NULL);
	json_object_object_add(o, "ram_mb", json_object_new_int64(
		m->ram_mb));
	json_object_object_add(o, "size_mb", json_object_new_int64(
		m->size_mb));
	json_object_object_add(o, "state", json_object_new_string(
		pp_cstate_name(m->state)));
	json_object_object_add(o, "players", json_object_new_int64(
		m->players));
	return o;
}

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
	return pp_idle_spare(n->kind, n->status, n->role, n->allocated_mb);
}

struct cand {
	struct pp_removal_key key;  /* first: pp_removal_qsort_cmp */
	const struct pp_enode *n;
	int counted;
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

int
pp_removal_qsort_cmp(const void *a, const void *b)
{
	return pp_removal_cmp(a, b);
}

struct pp_removal_key
pp_removal_key_of(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	struct pp_removal_key k = {is_spare(n), n->usable_mb > 0 ?
		(double)n->allocated_mb / (double)n->usable_mb : 1.0,
		pp_engine_paid_left(n, c->now), n->id};

	return k;
}

static int
cmp_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int
pp_engine_ours(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	const char *mine = c->cfg->cloud.provider;

	return n->kind == PP_KIND_CLOUD && !n->no_server && !n->stranded &&
		(!n->provider || !mine || !strcmp(n->provider, mine));
}

int
pp_engine_removable(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	return pp_engine_ours(c, n) && !n->delete_protected;
}

int
pp_engine_sick(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	const struct pp_unneeded_conf *u;

	if (n->status != PP_ST_UNHEALTHY || n->containers ||
	    n->maintenance || !pp_engine_removable(c, n))
		return 0;
	u = pp_unneeded_conf(c->cfg);
	return u->on.enabled && u->unhealthy_after > 0;
}

int
pp_engine_counted_spare(const struct pp_engine_ctx *c,
	const struct pp_enode *n)
{
	long long slot = c->slot_mb;

	/* a slot no type holds: the largest type bought is a spare, or
	 * the pool would buy one every cycle */
	if (c->spare_type.ok && c->spare_type.short_mb > 0 &&
	    c->spare_type.usable_mb < slot)
		slot = c->spare_type.usable_mb;
	return is_spare(n) && n->usable_mb >= slot;
}

/* Moves the victim's game servers onto the other ready nodes, spares
 * left out (moving load onto the pool only makes it provision again):
 * the ready non-spare bins come first in bins[0..*nt), the fit uses
 * them up. 1 when all fit; else 0 and *bad the size that did not (-1:
 * the document lists no sizes). */
static int
move_off(const struct pp_engine_ctx *c, const struct pp_enode *victim,
	struct pp_bin *bins, size_t *nt, long long *bad)
{
	long long *items = NULL;
	size_t nitems = 0, placed;

	*nt = 0;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (n == victim || n->status != PP_ST_READY || is_spare(n))
			continue;
		bins[*nt].id = n->id;
		bins[*nt].free = n->usable_mb - n->allocated_mb;
		(*nt)++;
	}
	if (!victim || (!victim->ncontainer_mb && victim->allocated_mb == 0))
		return 1;
	if (!victim->ncontainer_mb) {
		*bad = -1;
		return 0;
	}
	items = pp_xcalloc(victim->ncontainer_mb, sizeof *items);
	for (size_t i = 0; i < victim->ncontainer_mb; i++)
		if (victim->container_mb[i] > 0)
			items[nitems++] = victim->container_mb[i];
	qsort(items, nitems, sizeof *items, cmp_desc);
	placed = pp_place_fit(bins, *nt, items, nitems, NULL);
	if (placed < nitems)
		*bad = items[placed];
	free(items);
	return placed == nitems;
}

/* Do the node's game servers fit on the other ready nodes, spares
 * left out? The same fit as the drain plan's. */
int
pp_engine_fits_elsewhere(const struct pp_engine_ctx *c,
	const struct pp_enode *victim, char *why, size_t whylen)
{
	struct pp_bin *bins = pp_xcalloc(c->nnodes + 1, sizeof *bins);
	size_t nt;
	long long bad = 0;
	int ok = move_off(c, victim, bins, &nt, &bad);

	if (!ok && bad < 0)
		pp_say(why, whylen, "holds %lld MB but the document lists "
			"no game-server sizes", victim->allocated_mb);
	else if (!ok)
		pp_say(why, whylen, "its game servers do not fit on the "
			"other ready nodes (a %lld MB one has no room)", bad);
	free(bins);
	return ok;
}

long
pp_engine_slots(const struct pp_engine_ctx *c, const struct pp_enode *without)
{
	struct pp_bin *bins;
	size_t nt, nb;
	long long bad = 0;
	long slots = -1;

	if (c->slot_mb <= 0)
		return 0;
	bins = pp_xcalloc(c->nnodes + 1, sizeof *bins);
	if (move_off(c, without, bins, &nt, &bad)) {
		nb = nt;
		/* the spares, and the nodes still booting */
		for (size_t i = 0; i < c->nnodes; i++) {
			const struct pp_enode *n = &c->nodes[i];

			if (n == without || !(is_spare(n) ||
			    pp_engine_booting(c, n)))
				continue;
			bins[nb].id = n->id;
			bins[nb].free = n->usable_mb - n->allocated_mb;
			nb++;
		}
		slots = pp_place_slots(bins, nb, c->slot_mb);
	}
	free(bins);
	return slots;
}

long
pp_engine_slots_most(const struct pp_engine_ctx *c,
	const struct pp_enode *without)
{
	long long free_sum = 0, moved = 0;
	long slots = 0, most;

	if (c->slot_mb <= 0)
		return 0;
	/* the bins pp_engine_slots counts in, as they are */
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];
		long long f = n->usable_mb - n->allocated_mb;

		if (n == without || !((n->status == PP_ST_READY &&
		    !is_spare(n)) || is_spare(n) || pp_engine_booting(c, n)))
			continue;
		if (f > 0) {
			free_sum += f;
			slots += (long)(f / c->slot_mb);
		}
	}
	if (without)
		for (size_t i = 0; i < without->ncontainer_mb; i++)
			if (without->container_mb[i] > 0)
				moved += without->container_mb[i];
	/* every server moved lands whole in some bin's free RAM */
	most = (long)((free_sum - moved) / c->slot_mb);
	if (free_sum - moved < 0)
		most = -1;
	return most < slots ? most : slots;
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

/* 1 when removing e leaves the headroom's keep free slots; else 0 with
 * the reason. */
static int
leaves_slots(const struct pp_engine_ctx *c, const struct pp_enode *e,
	long keep, char *why, size_t whylen)
{
	long slots;

	if (keep <= 0)
		return 1;
	slots = pp_engine_slots(c, e);
	if (slots >= keep)
		return 1;
	pp_say(why, whylen, "would leave %ld free slot%s of %lld MB, %ld "
		"wanted (headroom)", slots, slots == 1 ? "" : "s", c->slot_mb,
		keep);
	return 0;
}

/* Picks the node to remove for the policy's verdict, or explains why
 * none can go. Returns the node or NULL (reason in why). */
const struct pp_enode *
pp_engine_choose_victim(const struct pp_engine_ctx *c,
	const struct pp_verdict *v, long keep_spares, json_object *cands,
	char *why, size_t whylen)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(c->cfg);
	const struct pp_config *cfg = c->cfg;
	double limit = reactive->up_threshold - reactive->down_margin;
	struct cand *list;
	size_t n = 0, checked = 0;
	const struct pp_enode *found = NULL;
	long keep_slots = pp_headroom_floor(c);
	char first[256] = "";

	/* an unhealthy node with no game server adds nothing to the
	 * capacity, the fit or the slots: only the node count is kept */
	for (size_t i = 0; v->node && i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (strcmp(v->node, e->id) || !pp_engine_sick(c, e))
			continue;
		if (c->cloud_nodes - 1 < cfg->limits.min_cloud_nodes) {
			pp_say(why, whylen, "limits.min_cloud_nodes is %ld "
				"and there are %ld cloud nodes",
				cfg->limits.min_cloud_nodes, c->cloud_nodes);
			return NULL;
		}
		cand_json(cands, e, 1, "unhealthy cloud node, no game "
			"server recorded on it");
		return e;
	}
	list = pp_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *list);
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (!pp_engine_removable(c, e) || e->status != PP_ST_READY)
			continue;
		if (v->node && strcmp(v->node, e->id))
			continue;
		list[n].key = pp_removal_key_of(c, e);
		list[n].n = e;
		list[n].counted = pp_engine_counted_spare(c, e);
		n++;
	}
	qsort(list, n, sizeof *list, pp_removal_qsort_cmp);
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

		if (list[i].counted && c->spares - 1 < keep_spares) {
			pp_say(w, sizeof w, "a spare the pool wants (%ld "
				"spares, %ld wanted)", c->spares, keep_spares);
		} else if (after > limit) {
			pp_say(w, sizeof w, "capacity after removal %.2f%% "
				"would exceed %.1f%% (up threshold %.1f%% minus "
				"margin %.1f)", after, limit,
				reactive->up_threshold,
				reactive->down_margin);
		} else if (checked >= MAX_FIT_CHECKS) {
			pp_say(w, sizeof w, "not checked (first %d "
				"candidates only)", MAX_FIT_CHECKS);
			cand_json(cands, e, 0, w);
			break;
		} else if (checked++, !pp_engine_fits_elsewhere(c, e, w,
		    sizeof w)) {
			;
		} else if (!leaves_slots(c, e, keep_slots, w, sizeof w)) {
			;
		} else {
			pp_say(w, sizeof w, "%s, %.0f%% used, %ld s left in "
				"its paid hour, capacity after removal %.2f%%",
				list[i].key.spare ? "idle spare" : "cloud node",
				list[i].key.util * 100, list[i].key.left > 3600 ?
				-1 : list[i].key.left, after);
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
