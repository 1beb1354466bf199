/* Evacuation planning: best fit decreasing over the ready nodes, warm
 * spares last. A plan is all or nothing, because a drain that starts
 * moving game servers it cannot finish leaves some of them without a
 * home. */
#include <stdlib.h>
#include <string.h>

#include "engine/drain.h"
#include "base/util.h"

struct bin {
	const struct pp_node *node;
	long long free;
	long long promised;	/* to stopped game servers placed here */
	int spare;	/* a warm spare: a target only when nothing else fits */
};

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

int
pp_drain_plan(const struct pp_registry *r, const char *id, struct pp_plan *p)
{
	const struct pp_node *src = NULL;
	struct bin *bins;
	struct item *items;
	size_t nbins = 0, nitems = 0;
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
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];

		if (n == src || !pp_drain_target_ok(n))
			continue;
		bins[nbins].node = n;
		bins[nbins].free = pp_node_free_ram(n);
		/* Moving onto a warm spare uses it up, the spare pool buys
		 * another, and the next scale-down drains onto that one:
		 * a server bought and one deleted every few cycles. */
		bins[nbins].spare = n->role == PP_ROLE_SPARE &&
			n->allocated_ram_mb == 0;
		have += bins[nbins].free;
		nbins++;
	}
	items = pp_xcalloc(src->ncontainers, sizeof *items);
	for (size_t i = 0; i < src->ncontainers; i++) {
		items[nitems].c = &src->containers[i];
		items[nitems].ram = pp_container_ram(&src->containers[i]);
		need += items[nitems].ram;
		nitems++;
	}
	qsort(items, nitems, sizeof *items, cmp_item);

	if (nbins == 0) {
		fail(p, "no ready node other than '%s' to take its %zu game "
			"server%s", src->id, nitems, nitems == 1 ? "" : "s");
		goto out;
	}
	/* best fit decreasing for those that hold RAM */
	for (size_t i = 0; i < nitems && items[i].ram > 0; i++) {
		struct bin *best = NULL, *largest = NULL;

		for (size_t j = 0; j < nbins; j++) {
			struct bin *b = &bins[j];

			if (!largest || b->free > largest->free ||
			    (b->free == largest->free &&
			    strcmp(b->node->id, largest->node->id) < 0))
				largest = b;
		}
		for (int spare = 0; spare < 2 && !best; spare++)
			for (size_t j = 0; j < nbins; j++) {
				struct bin *b = &bins[j];

				if (b->spare != spare || b->free < items[i].ram)
					continue;
				if (!best || b->free < best->free ||
				    (b->free == best->free &&
				    strcmp(b->node->id, best->node->id) < 0))
					best = b;
			}
		if (!best) {
			fail(p, "game server '%s' (%lld MB) fits on no ready "
				"node: largest free block %lld MB on '%s' "
				"after placing %zu before it; '%s' needs "
				"%lld MB in all, %lld MB free on %zu ready "
				"node%s", items[i].c->id, items[i].ram,
				largest->free, largest->node->id, i, src->id,
				need, have, nbins, nbins == 1 ? "" : "s");
			goto out;
		}
		best->free -= items[i].ram;
		add_move(p, src, items[i].c, best->node);
	}
	/* stopped ones hold no RAM now; give their worlds the roomiest
	 * home, where they are likeliest to start again, counting the RAM
	 * promised to those placed before them (so they spread instead of
	 * all going to one node) */
	for (size_t i = 0; i < nitems; i++) {
		struct bin *most = NULL;

		if (items[i].ram > 0)
			continue;
		for (int spare = 0; spare < 2 && !most; spare++)
			for (size_t j = 0; j < nbins; j++) {
				struct bin *b = &bins[j];

				if (b->spare != spare)
					continue;
				if (!most || b->free - b->promised >
				    most->free - most->promised ||
				    (b->free - b->promised == most->free -
				    most->promised && strcmp(b->node->id,
				    most->node->id) < 0))
					most = b;
			}
		most->promised += items[i].c->ram_mb;
		add_move(p, src, items[i].c, most->node);
	}
out:
	free(bins);
	free(items);
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
