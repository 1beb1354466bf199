/* The engine's context: local time and the holiday rule, the server
 * type chosen for new nodes, and the figures derived from the nodes. */
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
#include "engine/settings.h"
#include "engine/enode.h"
#include "engine/forecast.h"
#include "engine/internal.h"
#include "engine/placement.h"
#include "doc/fleet.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "base/util.h"

/* ---- local time ---------------------------------------------------- */

/* "YYYY-MM-DD" into out (16 bytes) without printf: pp-sim asks every
 * cycle. Years outside 0..9999 are clamped, as no clock reaches them. */
static void
date_text(char *out, const struct tm *tm)
{
	int y = tm->tm_year + 1900, f[3] = {0, tm->tm_mon + 1, tm->tm_mday};

	y = y < 0 ? 0 : y > 9999 ? 9999 : y;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	for (int i = 1; i < 3; i++) {
		out[3 * i + 1] = '-';
		out[3 * i + 2] = (char)('0' + f[i] / 10 % 10);
		out[3 * i + 3] = (char)('0' + f[i] % 10);
	}
	out[10] = '\0';
}

static void
local_time(struct pp_engine_ctx *c)
{
	const char *tz = c->cfg->timezone && *c->cfg->timezone ?
		c->cfg->timezone : "UTC";
	time_t local = c->now + pp_zone_offset(tz, c->now);
	struct tm tm;

	gmtime_r(&local, &tm);
	c->weekday = tm.tm_wday;
	c->hour = tm.tm_hour;
	date_text(c->local_date, &tm);
	c->holiday = 0;
	for (size_t i = 0; i < c->cfg->holidays.n; i++)
		if (!strcmp(c->cfg->holidays.v[i], c->local_date))
			c->holiday = 1;
	if (c->holiday)
		c->weekday = 6;
	c->weekend = c->weekday == 0 || c->weekday == 6;
}

/* ---- server type and location ------------------------------------- */

static int
refused(json_object *refusals, const char *type, const char *loc,
	time_t now)
{
	return refusals ? pp_refusal_active(refusals, type, loc, now) : 0;
}

static int
allowed(const struct pp_config *cfg, const char *name)
{
	if (!cfg->cloud.server_types.n)
		return 1;
	for (size_t i = 0; i < cfg->cloud.server_types.n; i++)
		if (!strcmp(cfg->cloud.server_types.v[i], name))
			return 1;
	return 0;
}

/* The type that fits by mode (enum pp_type_choice): cheapest per GB
 * (ties: the larger), smallest (ties: the cheaper) or lowest hourly
 * price (ties: the larger), with need MB usable. The first location
 * (in order of preference) with a fitting type wins. *most is set to
 * the most usable RAM of any type that could be ordered at all. */
static void
pick_type(const struct pp_engine_ctx *c, const struct pp_catalog *cat,
	json_object *refusals, int mode, long long need, long long *most,
	struct pp_choice *ch)
{
	const struct pp_config *cfg = c->cfg;
	struct pp_strlist locs = cfg->cloud.locations;
	char *fallback[64];
	size_t nfb = 0;

	*most = 0;
	if (!locs.n) {
		/* no preference configured: every location the catalog
		 * knows, in catalog order */
		for (size_t i = 0; i < cat->n; i++)
			for (size_t j = 0; j < cat->t[i].nprices; j++) {
				const char *l = cat->t[i].prices[j].location;
				size_t k;

				for (k = 0; k < nfb; k++)
					if (!strcmp(fallback[k], l))
						break;
				if (k == nfb && nfb < 64)
					fallback[nfb++] = (char *)l;
			}
		locs.n = nfb;
		locs.v = fallback;
	}
	for (size_t li = 0; li < locs.n && !ch->ok; li++) {
		const char *loc = locs.v[li];
		const struct pp_server_type *best = NULL;
		const struct pp_price *bp = NULL;

		if (refused(refusals, NULL, loc, c->now))
			continue;
		for (size_t i = 0; i < cat->n; i++) {
			const struct pp_server_type *t = &cat->t[i];
			const struct pp_price *p = pp_type_price(t, loc);
			long long usable;
			int better;

			if (!pp_price_orderable(p, c->now) || t->deprecated ||
			    !allowed(cfg, t->name) ||
			    refused(refusals, t->name, loc, c->now))
				continue;
			usable = pp_type_usable_mb(t,
				cfg->cloud.reserved_ram_mb);
			if (usable > *most)
				*most = usable;
			if (usable < need)
				continue;
			if (!best) {
				better = 1;
			} else if (mode == PP_TC_SMALLEST_FIT) {
				better = t->memory_gb < best->memory_gb ||
					(t->memory_gb == best->memory_gb &&
					p->hourly_eur < bp->hourly_eur);
			} else if (mode == PP_TC_CHEAPEST) {
				better = p->hourly_eur < bp->hourly_eur -
					1e-12 || (fabs(p->hourly_eur -
					bp->hourly_eur) <= 1e-12 &&
					t->memory_gb > best->memory_gb);
			} else {
				double a = p->hourly_eur / t->memory_gb;
				double b = bp->hourly_eur / best->memory_gb;

				better = a < b - 1e-12 || (fabs(a - b) <=
					1e-12 && t->memory_gb >
					best->memory_gb);
			}
			if (better) {
				best = t;
				bp = p;
			}
		}
		if (best) {
			ch->ok = 1;
			pp_say(ch->type, sizeof ch->type, "%s", best->name);
			pp_say(ch->location, sizeof ch->location, "%s",
				loc);
			ch->memory_gb = best->memory_gb;
			ch->hourly_eur = bp->hourly_eur;
			ch->usable_mb = pp_type_usable_mb(best,
				cfg->cloud.reserved_ram_mb);
		}
	}
}

/* The type for new nodes: one that holds the largest game server (and
 * the headroom's slot, and cloud.min_usable_ram_mb). When no type that
 * can be ordered is that big, the one chosen as if the need were the
 * most some such type holds, with ch->short_mb the need it misses:
 * a node that holds the smaller game servers still takes load off the
 * fleet, where buying nothing turns players away. */
static void
choose_type(const struct pp_engine_ctx *c, const struct pp_catalog *cat,
	json_object *refusals, int mode, struct pp_choice *ch)
{
	long long need = c->largest_mb > c->slot_mb ? c->largest_mb :
		c->slot_mb, most;

	if (c->cfg->cloud.min_usable_ram_mb > need)
		need = c->cfg->cloud.min_usable_ram_mb;
	memset(ch, 0, sizeof *ch);
	pick_type(c, cat, refusals, mode, need, &most, ch);
	if (!ch->ok && most > 0) {
		pick_type(c, cat, refusals, mode, most, &most, ch);
		ch->short_mb = ch->ok ? need : 0;
	}
	if (!ch->ok)
		pp_say(ch->why, sizeof ch->why, "no allowed, orderable, "
			"unrefused server type in any configured location "
			"(%lld MB usable wanted)", need);
}

/* choose_type, remembered in the caller's memo when there is one and
 * no refusal can change the answer: the choice depends on nothing else
 * than the config, the catalog, the mode and the RAM needed. */
static void
choose_type_memo(const struct pp_engine_ctx *c, const struct pp_catalog *cat,
	json_object *refusals, int mode, struct pp_choice *ch)
{
	struct pp_type_memo *m = c->type_memo;
	long long need = c->largest_mb > c->slot_mb ? c->largest_mb :
		c->slot_mb;
	unsigned k;

	if (!m || refusals) {
		choose_type(c, cat, refusals, mode, ch);
		return;
	}
	for (unsigned i = 0; i < m->used; i++)
		if (m->e[i].cfg == c->cfg && m->e[i].cat == cat &&
		    m->e[i].mode == mode && m->e[i].need == need) {
			*ch = m->e[i].ch;
			return;
		}
	choose_type(c, cat, NULL, mode, ch);
	k = m->next++ % (sizeof m->e / sizeof m->e[0]);
	if (m->used <= k)
		m->used = k + 1;
	m->e[k].cfg = c->cfg;
	m->e[k].cat = cat;
	m->e[k].mode = mode;
	m->e[k].need = need;
	m->e[k].ch = *ch;
}

/* ---- context ------------------------------------------------------- */

struct priv {
	struct pp_enodes nodes;
	struct pp_catalog catalog;
	int own_catalog;
	struct pp_catalog cfg_catalog;
	int have_cfg_catalog;
};

void
pp_engine_ctx_init(struct pp_engine_ctx *ctx, const struct pp_config *cfg,
	time_t now)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->cfg = cfg;
	ctx->now = now;
}

static struct priv *
priv_of(struct pp_engine_ctx *ctx)
{
	if (!ctx->priv)
		ctx->priv = pp_xcalloc(1, sizeof(struct priv));
	return ctx->priv;
}

int
pp_engine_booting(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	/* a cloud node not ready past cloud.join_timeout: its agent never
	 * joined and pp-provision deletes it; it is not capacity (the
	 * fleet figures' rule too) */
	return pp_node_booting((int)n->kind, (int)n->status, n->created_at,
		c->now, c->cfg ? c->cfg->cloud.join_timeout : 0);
}

void
pp_engine_ctx_prepare(struct pp_engine_ctx *c, json_object *refusals)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(c->cfg);
	const struct pp_catalog *cat = c->catalog;
	int mode;

	local_time(c);
	c->total_mb = c->allocated_mb = c->pending_mb = 0;
	c->cloud_nodes = c->spares = c->spares_pending = 0;
	c->slots = 0;
	c->largest_mb = 0;
	c->cloud_hourly_eur = 0;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		pp_capacity_count((int)n->status, pp_engine_booting(c, n),
			n->usable_mb, n->allocated_mb, &c->total_mb,
			&c->pending_mb, &c->allocated_mb);
		if (n->largest_mb > c->largest_mb)
			c->largest_mb = n->largest_mb;
		if (n->kind != PP_KIND_CLOUD)
			continue;
		c->cloud_nodes++;
		c->cloud_hourly_eur += n->hourly_eur;
		if (pp_engine_booting(c, n) && n->role == PP_ROLE_SPARE)
			c->spares_pending++;
	}
	c->slot_mb = 0;
	if (headroom->on.enabled) {
		c->slot_mb = headroom->slot_ram_mb > 0 ?
			headroom->slot_ram_mb : c->largest_mb;
		if (!headroom->slot_ram_mb &&
		    c->slot_memory_mb > c->slot_mb)
			c->slot_mb = c->slot_memory_mb;
	}
	if (!cat) {
		struct priv *p = priv_of(c);

		if (!p->have_cfg_catalog) {
			pp_catalog_from_config(c->cfg, &p->cfg_catalog);
			p->have_cfg_catalog = 1;
		}
		cat = &p->cfg_catalog;
	}
	mode = pp_type_choice_parse(c->cfg->cloud.type_choice);
	choose_type_memo(c, cat, refusals, mode < 0 ? PP_TC_CHEAPEST_PER_GB :
		mode, &c->worker_type);
	mode = pp_type_choice_parse(pp_spare_conf(c->cfg)->type_choice);
	choose_type_memo(c, cat, refusals, mode < 0 ? PP_TC_SMALLEST_FIT :
		mode, &c->spare_type);
	c->spares_small = 0;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (!pp_idle_spare(n->kind, n->status, n->role,
		    n->allocated_mb))
			continue;
		if (pp_engine_counted_spare(c, n))
			c->spares++;
		else
			c->spares_small++;
	}
	c->rise_mb = c->fc ? c->fc->rise_mb : c->forecast ?
		pp_jdouble(c->forecast, "rise_mb", -1) : -1;
	c->step_mb = c->fc ? c->fc->step_mb : c->forecast ?
		pp_jdouble(c->forecast, "step_mb", -1) : -1;
	c->lead_known = headroom->on.enabled &&
		pp_headroom_lead_rise(c, &c->lead_rise_mb);
	c->slots_wanted = pp_headroom_wanted(c);
	c->slots = pp_engine_slots(c, NULL);
	c->capacity_pct = pp_capacity_percent(c->allocated_mb, c->total_mb);
	c->effective_pct = pp_capacity_percent(c->allocated_mb,
		c->total_mb + c->pending_mb);
}

void
pp_engine_ctx_strand(struct pp_engine_ctx *ctx, json_object *stranded)
{
	struct priv *p = priv_of(ctx);

	if (!stranded || !json_object_is_type(stranded, json_type_object))
		return;
	for (size_t i = 0; i < p->nodes.n; i++) {
		struct pp_enode *e = &p->nodes.v[i];

		if (e->kind == PP_KIND_CLOUD && e->server_id &&
		    *e->server_id && pp_jget(stranded, e->server_id))
			e->stranded = 1;
	}
}

int
pp_engine_ctx_from_doc(struct pp_engine_ctx *ctx, const struct pp_config *cfg,
	json_object *doc, json_object *refusals, time_t now, char *err,
	size_t errlen)
{
	json_object *nodes = pp_jget(doc, "nodes");
	json_object *hist = pp_jget(doc, "history");
	json_object *types = pp_jget(doc, "server_types");
	struct priv *p;
	size_t bad;
	int rc;

	pp_engine_ctx_init(ctx, cfg, now);
	ctx->doc = doc;
	if (!nodes || (!json_object_is_type(nodes, json_type_array) &&
	    !pp_jraw_text(nodes))) {
		pp_say(err, errlen, "document has no 'nodes' list (pipe "
			"pp-fleetstats into pp-decide)");
		return -1;
	}
	p = priv_of(ctx);
	rc = pp_enodes_read(&p->nodes, nodes, &bad);
	if (rc == -3) {
		snprintf(err, errlen, "document node %zu: '%s' is not a "
			"number", bad, p->nodes.not_number);
		pp_engine_ctx_free(ctx);
		return -1;
	}
	if (rc == -2) {
		snprintf(err, errlen, "document node %zu: a RAM figure is "
			"negative or above 1 PB, or the hourly cost is out "
			"of range", bad);
		pp_engine_ctx_free(ctx);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "document node %zu: needs 'id' and a "
			"known 'status'", bad);
		pp_engine_ctx_free(ctx);
		return -1;
	}
	ctx->nodes = p->nodes.v;
	ctx->nnodes = p->nodes.n;
	if (hist && json_object_is_type(hist, json_type_object)) {
		ctx->history.present = 1;
		ctx->history.avg_1h_mb = pp_jdouble(hist,
			"avg_1h_allocated_mb", 0);
		ctx->history.avg_24h_mb = pp_jdouble(hist,
			"avg_24h_allocated_mb", 0);
		ctx->history.peak_24h_mb = pp_jint(hist,
			"peak_24h_allocated_mb", 0);
		ctx->history.samples = (long)pp_jint(hist, "samples", 0);
	}
	ctx->forecast = pp_jget(doc, "forecast");
	if (types && json_object_is_type(types, json_type_object)) {
		char cerr[256];

		if (pp_catalog_from_json(types, &p->catalog, cerr,
		    sizeof cerr) < 0) {
			pp_say(err, errlen, "document %s", cerr);
			pp_engine_ctx_free(ctx);
			return -1;
		}
		p->own_catalog = 1;
		ctx->catalog = &p->catalog;
	}
	pp_engine_ctx_prepare(ctx, refusals);
	return 0;
}

void
pp_engine_ctx_recall(struct pp_engine_ctx *ctx, json_object *decide_state,
	json_object *refusals)
{
	long long mb = pp_headroom_memory(ctx->cfg, decide_state, ctx->now);

	if (mb <= ctx->slot_memory_mb)
		return;
	ctx->slot_memory_mb = mb;
	if (mb > ctx->slot_mb)
		pp_engine_ctx_prepare(ctx, refusals);
}

void
pp_engine_ctx_free(struct pp_engine_ctx *ctx)
{
	struct priv *p = ctx->priv;

	if (!p)
		return;
	pp_enodes_free(&p->nodes);
	if (p->own_catalog)
		pp_catalog_free(&p->catalog);
	if (p->have_cfg_catalog)
		pp_catalog_free(&p->cfg_catalog);
	free(p);
	ctx->priv = NULL;
	ctx->nodes = NULL;
	ctx->nnodes = 0;
	ctx->catalog = NULL;
}
