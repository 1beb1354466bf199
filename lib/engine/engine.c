/* The decision engine: policy registration, the context, and the rules
 * that combine the policies' verdicts into one action (DESIGN section
 * 4). No I/O here: pp-decide and pp-sim share this code. */
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
#include "doc/fleet.h"
#include "store/decide_mem.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "base/util.h"

/* snprintf that accepts truncation: reasons are for people, and a
 * long node id must not fail the cycle. */
static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The registered policies: one line per policy. */
static const struct pp_policy *const registered[] = {
	&pp_policy_reactive,
	&pp_policy_spare,
	&pp_policy_predictive,
	&pp_policy_unneeded,
};
#define NREGISTERED (sizeof registered / sizeof registered[0])

/* Scale-down candidates whose fit is checked in one cycle: the fit
 * check walks every other node, so a fleet of 10,000 idle nodes must
 * not cost 10,000 of them. The rest are reported as not checked. */
#define MAX_FIT_CHECKS 16

const char *
pp_action_name(int a)
{
	static const char *n[] = {"none", "scale_up", "provision_spare",
		"scale_down", "uncordon"};

	return a >= 0 && a <= PP_ACT_UNCORDON ? n[a] : "none";
}

const char *
pp_urgency_name(int u)
{
	static const char *n[] = {"low", "medium", "high", "critical"};

	return u >= 0 && u <= PP_URG_CRITICAL ? n[u] : "low";
}

const char *
pp_verdict_name(int v)
{
	static const char *n[] = {"none", "up", "down", "veto", "off"};

	return v >= 0 && v <= PP_V_OFF ? n[v] : "none";
}

size_t
pp_engine_policies(const struct pp_config *cfg,
	const struct pp_policy **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < NREGISTERED && n < max; i++)
		out[n++] = registered[i];
	/* insertion sort: stable, so equal priorities keep table order */
	for (size_t i = 1; i < n; i++) {
		const struct pp_policy *p = out[i];
		long pr = p->priority(cfg);
		size_t j = i;

		while (j > 0 && out[j - 1]->priority(cfg) < pr) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = p;
	}
	return n;
}

time_t
pp_jtime(json_object *o, const char *key)
{
	const char *s = pp_jstr(o, key, NULL);
	time_t t;

	if (!s || pp_parse_time(s, &t) < 0)
		return 0;
	return t;
}

void
pp_figure_num(struct pp_verdict *v, const char *key, double value,
	int digits)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			pp_jnew_double(value, digits));
}

void
pp_figure_int(struct pp_verdict *v, const char *key, long long value)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			json_object_new_int64(value));
}

void
pp_figure_str(struct pp_verdict *v, const char *key, const char *s)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			s ? json_object_new_string(s) : NULL);
}

/* ---- local time ---------------------------------------------------- */

/* The UTC offset of the zone, cached per quarter hour: pp-sim asks
 * thousands of times a second, and zone changes fall on quarter hours.
 * Not thread-safe (neither is TZ). */
static long
zone_offset(const char *tz, time_t now)
{
	static char ctz[128];
	static time_t cbucket = -1;
	static long coff;
	const char *old;
	char *saved = NULL;
	struct tm tm;
	time_t bucket = now / 900;

	if (bucket == cbucket && !strcmp(ctz, tz))
		return coff;
	old = getenv("TZ");
	if (old)
		saved = pp_xstrdup(old);
	setenv("TZ", tz, 1);
	tzset();
	localtime_r(&now, &tm);
	coff = tm.tm_gmtoff;
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	say(ctz, sizeof ctz, "%s", tz);
	cbucket = bucket;
	return coff;
}

static void
local_time(struct pp_engine_ctx *c)
{
	const char *tz = c->cfg->timezone && *c->cfg->timezone ?
		c->cfg->timezone : "UTC";
	time_t local = c->now + zone_offset(tz, c->now);
	struct tm tm;

	gmtime_r(&local, &tm);
	c->weekday = tm.tm_wday;
	c->hour = tm.tm_hour;
	say(c->local_date, sizeof c->local_date, "%04d-%02d-%02d",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
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
	return pp_refusal_active(refusals, type, loc, now);
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
 * price (ties: the larger). The first location (in order of preference)
 * with a fitting type wins. */
static void
choose_type(const struct pp_engine_ctx *c, const struct pp_catalog *cat,
	json_object *refusals, int mode, struct pp_choice *ch)
{
	const struct pp_config *cfg = c->cfg;
	long long need = c->largest_mb;
	struct pp_strlist locs = cfg->cloud.locations;
	char *fallback[64];
	size_t nfb = 0;

	if (cfg->cloud.min_usable_ram_mb > need)
		need = cfg->cloud.min_usable_ram_mb;
	memset(ch, 0, sizeof *ch);
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
			int better;

			if (!p || !p->available || t->deprecated ||
			    !allowed(cfg, t->name) ||
			    pp_type_usable_mb(t, cfg->cloud.reserved_ram_mb) <
			    need || refused(refusals, t->name, loc, c->now))
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
			say(ch->type, sizeof ch->type, "%s", best->name);
			say(ch->location, sizeof ch->location, "%s",
				loc);
			ch->memory_gb = best->memory_gb;
			ch->hourly_eur = bp->hourly_eur;
			ch->usable_mb = pp_type_usable_mb(best,
				cfg->cloud.reserved_ram_mb);
		}
	}
	if (!ch->ok)
		say(ch->why, sizeof ch->why, "no allowed, orderable, "
			"unrefused server type with %lld MB usable in any "
			"configured location", need);
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

void
pp_engine_ctx_prepare(struct pp_engine_ctx *c, json_object *refusals)
{
	const struct pp_catalog *cat = c->catalog;
	int mode;

	local_time(c);
	c->total_mb = c->allocated_mb = c->pending_mb = 0;
	c->cloud_nodes = c->spares = c->spares_pending = 0;
	c->largest_mb = 0;
	c->cloud_hourly_eur = 0;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		c->allocated_mb += n->allocated_mb;
		if (n->status == PP_ST_READY)
			c->total_mb += n->usable_mb;
		else if (n->status == PP_ST_PROVISIONING)
			c->pending_mb += n->usable_mb;
		if (n->largest_mb > c->largest_mb)
			c->largest_mb = n->largest_mb;
		if (n->kind != PP_KIND_CLOUD)
			continue;
		c->cloud_nodes++;
		c->cloud_hourly_eur += n->hourly_eur;
		if (n->status == PP_ST_READY && n->role == PP_ROLE_SPARE &&
		    n->allocated_mb == 0)
			c->spares++;
		if (n->status == PP_ST_PROVISIONING &&
		    n->role == PP_ROLE_SPARE)
			c->spares_pending++;
	}
	c->capacity_pct = pp_capacity_percent(c->allocated_mb, c->total_mb);
	c->effective_pct = pp_capacity_percent(c->allocated_mb,
		c->total_mb + c->pending_mb);
	if (!cat) {
		struct priv *p = priv_of(c);

		if (!p->have_cfg_catalog) {
			pp_catalog_from_config(c->cfg, &p->cfg_catalog);
			p->have_cfg_catalog = 1;
		}
		cat = &p->cfg_catalog;
	}
	mode = pp_type_choice_parse(c->cfg->cloud.type_choice);
	choose_type(c, cat, refusals, mode < 0 ? PP_TC_CHEAPEST_PER_GB : mode,
		&c->worker_type);
	mode = pp_type_choice_parse(c->cfg->spare.type_choice);
	choose_type(c, cat, refusals, mode < 0 ? PP_TC_SMALLEST_FIT : mode,
		&c->spare_type);
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
		say(err, errlen, "document has no 'nodes' list (pipe "
			"pp-fleetstats into pp-decide)");
		return -1;
	}
	p = priv_of(ctx);
	rc = pp_enodes_read(&p->nodes, nodes, &bad);
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
			say(err, errlen, "document %s", cerr);
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
		say(why, whylen, "holds %lld MB but the document lists "
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
			say(why, whylen, "its game servers do not fit "
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
static const struct pp_enode *
choose_victim(const struct pp_engine_ctx *c, const struct pp_verdict *v,
	long keep_spares, json_object *cands, char *why, size_t whylen)
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
		say(why, whylen, "limits.min_cloud_nodes is %ld and "
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
			say(w, sizeof w, "a spare the pool wants (%ld "
				"spares, %ld wanted)", c->spares, keep_spares);
		} else if (after > limit) {
			say(w, sizeof w, "capacity after removal %.2f%% "
				"would exceed %.1f%% (up threshold %.1f%% minus "
				"margin %.1f)", after, limit,
				cfg->reactive.up_threshold,
				cfg->reactive.down_margin);
		} else if (checked >= MAX_FIT_CHECKS) {
			say(w, sizeof w, "not checked (first %d "
				"candidates only)", MAX_FIT_CHECKS);
			cand_json(cands, e, 0, w);
			break;
		} else if (checked++, !pp_engine_fits_elsewhere(c, e, w,
		    sizeof w)) {
			;
		} else {
			say(w, sizeof w, "%s, %.0f%% used, %ld s left in "
				"its paid hour, capacity after removal %.2f%%",
				list[i].spare ? "idle spare" : "cloud node",
				list[i].util * 100, list[i].left > 3600 ? -1 :
				list[i].left, after);
			found = e;
		}
		if (!found && !first[0])
			say(first, sizeof first, "%s: %s", e->id, w);
		cand_json(cands, e, found == e, w);
	}
	if (!found) {
		if (!n)
			say(why, whylen, "%s", v->node ? "the node it "
				"names is not a ready cloud node" :
				"no ready cloud node to remove (dedicated "
				"nodes are never removed)");
		else
			say(why, whylen, "%s", first);
	}
	free(list);
	return found;
}

/* ---- combining ----------------------------------------------------- */

static const struct pp_enode *
draining_node(const struct pp_engine_ctx *c)
{
	const struct pp_enode *best = NULL;

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (n->kind == PP_KIND_CLOUD && n->status == PP_ST_DRAINING &&
		    (!best || n->usable_mb > best->usable_mb ||
		    (n->usable_mb == best->usable_mb &&
		    strcmp(n->id, best->id) < 0)))
			best = n;
	}
	return best;
}

static void
set_winner(struct pp_decision *d, const struct pp_evaluation *e)
{
	d->policy = e->policy;
	d->priority = e->priority;
	d->urgency = e->v.urgency;
}

/* Limits clip a scale-up; returns the count allowed. */
static long
clip(const struct pp_engine_ctx *c, const struct pp_choice *ch, long want,
	struct pp_decision *d)
{
	const struct pp_config *cfg = c->cfg;
	long by_nodes = cfg->limits.max_cloud_nodes - c->cloud_nodes;
	long by_money = want;
	long allow = want;

	if (ch->hourly_eur > 0) {
		double room = cfg->limits.max_hourly_eur - c->cloud_hourly_eur;

		by_money = room <= 0 ? 0 : (long)pp_dclamp(
			floor(room / ch->hourly_eur + 1e-9), 0, want);
	}
	if (by_nodes < allow) {
		allow = by_nodes < 0 ? 0 : by_nodes;
		say(d->clip_limit, sizeof d->clip_limit,
			"max_cloud_nodes");
	}
	if (by_money < allow) {
		allow = by_money;
		say(d->clip_limit, sizeof d->clip_limit,
			"max_hourly_eur");
	}
	if (allow < want) {
		d->clipped = 1;
		d->clip_requested = want;
		d->clip_allowed = allow;
	}
	return allow;
}

static void
limit_text(const struct pp_engine_ctx *c, const struct pp_decision *d,
	char *buf, size_t len)
{
	if (!strcmp(d->clip_limit, "max_cloud_nodes"))
		say(buf, len, "limits.max_cloud_nodes %ld (%ld cloud "
			"nodes now)", c->cfg->limits.max_cloud_nodes,
			c->cloud_nodes);
	else
		say(buf, len, "limits.max_hourly_eur %.2f (%.4f EUR/h "
			"now)", c->cfg->limits.max_hourly_eur,
			c->cloud_hourly_eur);
}

static void
decide_up(const struct pp_engine_ctx *c, const struct pp_evaluation *e,
	struct pp_decision *d)
{
	const struct pp_verdict *v = &e->v;
	const struct pp_enode *dn = draining_node(c);
	const struct pp_choice *ch;
	long want = v->count > 0 ? v->count : 1, allow;
	char lim[160];

	set_winner(d, e);
	if (v->action == PP_ACT_SCALE_UP && dn) {
		d->action = PP_ACT_UNCORDON;
		d->count = 1;
		d->role = PP_ROLE_WORKER;
		say(d->node, sizeof d->node, "%s", dn->id);
		say(d->reason, sizeof d->reason, "%s: %s; stop draining "
			"%s (%lld MB) before buying a server",
			e->policy->name, v->reason, dn->id, dn->usable_mb);
		return;
	}
	ch = v->action == PP_ACT_PROVISION_SPARE ? &c->spare_type :
		&c->worker_type;
	d->role = v->action == PP_ACT_PROVISION_SPARE ? PP_ROLE_SPARE :
		PP_ROLE_WORKER;
	if (!ch->ok) {
		d->action = PP_ACT_NONE;
		say(d->reason, sizeof d->reason, "%s wants %ld x %s "
			"(%s) but %s", e->policy->name, want,
			pp_action_name(v->action), v->reason, ch->why);
		return;
	}
	say(d->server_type, sizeof d->server_type, "%s", ch->type);
	say(d->location, sizeof d->location, "%s", ch->location);
	allow = clip(c, ch, want, d);
	if (allow <= 0) {
		limit_text(c, d, lim, sizeof lim);
		d->action = PP_ACT_NONE;
		d->count = 0;
		say(d->reason, sizeof d->reason, "%s wants %ld x %s "
			"(%s) but %s is reached", e->policy->name, want,
			ch->type, v->reason, lim);
		return;
	}
	d->action = v->action;
	d->count = allow;
	if (d->clipped) {
		limit_text(c, d, lim, sizeof lim);
		say(d->reason, sizeof d->reason, "%s: %s; %ld x %s "
			"wanted, clipped to %ld by %s", e->policy->name,
			v->reason, want, ch->type, allow, lim);
	} else {
		say(d->reason, sizeof d->reason, "%s: %s",
			e->policy->name, v->reason);
	}
}

static void
decide_down(const struct pp_engine_ctx *c, const struct pp_evaluation *ev,
	size_t nev, long keep_spares, struct pp_decision *d)
{
	const struct pp_evaluation *w = NULL, *veto = NULL;
	const struct pp_enode *victim;
	char why[320];

	for (size_t i = 0; i < nev; i++) {
		if (ev[i].v.verdict == PP_V_DOWN && !w)
			w = &ev[i];
		if (ev[i].v.verdict == PP_V_VETO && !veto)
			veto = &ev[i];
	}
	if (!w)
		return;
	if (veto) {
		say(d->reason, sizeof d->reason, "%s wants a scale-down "
			"(%s) but %s vetoes it: %s", w->policy->name,
			w->v.reason, veto->policy->name, veto->v.reason);
		return;
	}
	d->candidates = json_object_new_array();
	victim = choose_victim(c, &w->v, keep_spares, d->candidates, why,
		sizeof why);
	if (!victim) {
		say(d->reason, sizeof d->reason, "%s wants a scale-down "
			"(%s) but no node can go: %s", w->policy->name,
			w->v.reason, why);
		return;
	}
	set_winner(d, w);
	d->action = PP_ACT_SCALE_DOWN;
	d->count = 1;
	d->role = victim->role;
	say(d->node, sizeof d->node, "%s", victim->id);
	say(d->reason, sizeof d->reason, "%s: %s; remove %s",
		w->policy->name, w->v.reason, victim->id);
}

static void
summarise_none(const struct pp_engine_ctx *c, const struct pp_evaluation *ev,
	size_t nev, struct pp_decision *d)
{
	struct pp_buf b = {0};

	pp_buf_printf(&b, "no policy wants a change (capacity %.2f%%",
		c->effective_pct);
	for (size_t i = 0; i < nev; i++)
		if (ev[i].enabled && ev[i].v.reason[0])
			pp_buf_printf(&b, "; %s: %s", ev[i].policy->name,
				ev[i].v.reason);
	pp_buf_addstr(&b, ")");
	say(d->reason, sizeof d->reason, "%s", b.s);
	pp_buf_free(&b);
}

static void
record(const struct pp_engine_ctx *c, json_object *st,
	const struct pp_decision *d)
{
	struct pp_decide_entry e = {pp_action_name(d->action),
		d->policy ? d->policy->name : NULL, d->count, d->node,
		d->reason, c->now};

	pp_decide_mem_count(st);
	if (d->action == PP_ACT_NONE || d->continued)
		return;
	pp_decide_mem_record(st, &e);
}

void
pp_engine_run(const struct pp_engine_ctx *ctx, json_object *decide_state,
	int dry_run, struct pp_decision *d)
{
	const struct pp_policy *pols[32];
	struct pp_engine_ctx c = *ctx;
	json_object *scratch = NULL;
	const struct pp_evaluation *up = NULL;
	const struct pp_enode *dn;
	long keep_spares = 0;
	size_t n;

	memset(d, 0, sizeof *d);
	d->dry_run = dry_run;
	if (!decide_state)
		decide_state = scratch = json_object_new_object();
	c.last_scale_up = pp_decide_mem_last_up(decide_state);
	c.last_scale_down = pp_decide_mem_last_down(decide_state);
	n = pp_engine_policies(c.cfg, pols, 32);
	d->eval = pp_xcalloc(n, sizeof *d->eval);
	d->neval = n;
	for (size_t i = 0; i < n; i++) {
		struct pp_evaluation *e = &d->eval[i];
		json_object *mine = pp_decide_mem_policy(decide_state,
			pols[i]->name, 0);
		json_object *empty = NULL;

		e->policy = pols[i];
		e->priority = pols[i]->priority(c.cfg);
		e->enabled = pols[i]->enabled(c.cfg);
		if (!e->enabled) {
			e->v.verdict = PP_V_OFF;
			say(e->v.reason, sizeof e->v.reason,
				"switched off in the config");
			continue;
		}
		if (!mine)
			mine = empty = json_object_new_object();
		e->v.figures = json_object_new_object();
		if (pols[i]->should_scale_up)
			pols[i]->should_scale_up(pols[i], &c, mine, &e->v);
		if (e->v.verdict != PP_V_UP && pols[i]->should_scale_down)
			pols[i]->should_scale_down(pols[i], &c, mine, &e->v);
		json_object_put(empty);
		if (e->v.keep_spares > keep_spares)
			keep_spares = e->v.keep_spares;
		if (e->v.verdict == PP_V_UP && !up)
			up = e;
	}
	dn = draining_node(&c);
	if (up) {
		decide_up(&c, up, d);
	} else if (dn) {
		/* a drain in progress is continued, not replaced */
		d->action = PP_ACT_SCALE_DOWN;
		d->count = 1;
		d->continued = 1;
		d->role = dn->role;
		say(d->node, sizeof d->node, "%s", dn->id);
		say(d->reason, sizeof d->reason, "continue draining %s "
			"(a drain in progress is finished, not replaced)",
			dn->id);
	} else {
		decide_down(&c, d->eval, n, keep_spares, d);
	}
	if (d->action == PP_ACT_NONE && !d->reason[0])
		summarise_none(&c, d->eval, n, d);
	d->keep_spares = keep_spares;
	if (!dry_run) {
		struct pp_decision_view view = {d->action, d->policy};
		for (size_t i = 0; i < n; i++)
			if (d->eval[i].enabled && pols[i]->update)
				pols[i]->update(pols[i], &c,
					pp_decide_mem_policy(decide_state,
					pols[i]->name, 1),
					&d->eval[i].v, &view);
		record(&c, decide_state, d);
	}
	json_object_put(scratch);
}

void
pp_decision_free(struct pp_decision *d)
{
	for (size_t i = 0; i < d->neval; i++)
		json_object_put(d->eval[i].v.figures);
	free(d->eval);
	json_object_put(d->candidates);
	memset(d, 0, sizeof *d);
}

static json_object *
str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

json_object *
pp_decision_json(const struct pp_decision *d)
{
	json_object *o = json_object_new_object();
	json_object *evs = json_object_new_array_ext((int)d->neval);
	int acting = d->action != PP_ACT_NONE;

	json_object_object_add(o, "action", json_object_new_string(
		pp_action_name(d->action)));
	json_object_object_add(o, "policy", d->policy && acting ?
		json_object_new_string(d->policy->name) : NULL);
	json_object_object_add(o, "priority", d->policy && acting ?
		json_object_new_int64(d->priority) : NULL);
	json_object_object_add(o, "urgency", acting ?
		json_object_new_string(pp_urgency_name(d->urgency)) : NULL);
	json_object_object_add(o, "count", json_object_new_int64(d->count));
	json_object_object_add(o, "server_type", str_or_null(d->server_type));
	json_object_object_add(o, "location", str_or_null(d->location));
	json_object_object_add(o, "node", str_or_null(d->node));
	json_object_object_add(o, "role", acting ?
		json_object_new_string(pp_role_name(d->role)) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	json_object_object_add(o, "dry_run",
		json_object_new_boolean(d->dry_run));
	json_object_object_add(o, "continued",
		json_object_new_boolean(d->continued));
	if (d->clipped) {
		json_object *cl = json_object_new_object();

		json_object_object_add(cl, "limit",
			json_object_new_string(d->clip_limit));
		json_object_object_add(cl, "requested",
			json_object_new_int64(d->clip_requested));
		json_object_object_add(cl, "allowed",
			json_object_new_int64(d->clip_allowed));
		json_object_object_add(o, "clipped", cl);
	}
	if (d->candidates)
		json_object_object_add(o, "candidates",
			json_object_get(d->candidates));
	for (size_t i = 0; i < d->neval; i++) {
		const struct pp_evaluation *e = &d->eval[i];
		json_object *eo = json_object_new_object();
		int v = e->v.verdict;

		json_object_object_add(eo, "policy",
			json_object_new_string(e->policy->name));
		json_object_object_add(eo, "enabled",
			json_object_new_boolean(e->enabled));
		json_object_object_add(eo, "priority",
			json_object_new_int64(e->priority));
		json_object_object_add(eo, "verdict",
			json_object_new_string(pp_verdict_name(v)));
		json_object_object_add(eo, "action", v == PP_V_UP ?
			json_object_new_string(pp_action_name(e->v.action)) :
			NULL);
		json_object_object_add(eo, "urgency", v == PP_V_UP ||
			v == PP_V_DOWN ? json_object_new_string(
			pp_urgency_name(e->v.urgency)) : NULL);
		json_object_object_add(eo, "count",
			json_object_new_int64(e->v.count));
		json_object_object_add(eo, "node", str_or_null(e->v.node));
		json_object_object_add(eo, "reason",
			json_object_new_string(e->v.reason));
		json_object_object_add(eo, "figures", e->v.figures ?
			json_object_get(e->v.figures) :
			json_object_new_object());
		json_object_array_add(evs, eo);
	}
	json_object_object_add(o, "evaluations", evs);
	return o;
}

json_object *
pp_engine_decide(const struct pp_config *cfg, json_object *doc,
	json_object *decide_state, json_object *refusals, time_t now,
	int dry_run, char *err, size_t errlen)
{
	struct pp_engine_ctx ctx;
	struct pp_decision d;
	json_object *o;

	if (pp_engine_ctx_from_doc(&ctx, cfg, doc, refusals, now, err,
	    errlen) < 0)
		return NULL;
	pp_engine_run(&ctx, decide_state, dry_run, &d);
	o = pp_decision_json(&d);
	pp_engine_figures(&ctx, &d, o);
	pp_decision_free(&d);
	pp_engine_ctx_free(&ctx);
	return o;
}

void
pp_engine_figures(const struct pp_engine_ctx *c, const struct pp_decision *d,
	json_object *o)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "capacity_percent",
		pp_jnew_double(c->capacity_pct, 3));
	json_object_object_add(f, "effective_percent",
		pp_jnew_double(c->effective_pct, 3));
	json_object_object_add(f, "allocated_ram_mb",
		json_object_new_int64(c->allocated_mb));
	json_object_object_add(f, "total_ram_mb",
		json_object_new_int64(c->total_mb));
	json_object_object_add(f, "pending_ram_mb",
		json_object_new_int64(c->pending_mb));
	json_object_object_add(f, "cloud_nodes",
		json_object_new_int64(c->cloud_nodes));
	json_object_object_add(f, "cloud_hourly_eur",
		pp_jnew_double(c->cloud_hourly_eur, 4));
	json_object_object_add(f, "spares", json_object_new_int64(c->spares));
	json_object_object_add(f, "spares_wanted",
		json_object_new_int64(d->keep_spares));
	json_object_object_add(f, "largest_game_server_mb",
		json_object_new_int64(c->largest_mb));
	json_object_object_add(f, "local_date", json_object_new_string(
		c->local_date));
	json_object_object_add(f, "local_hour", json_object_new_int(c->hour));
	json_object_object_add(f, "weekday", json_object_new_int(c->weekday));
	json_object_object_add(f, "holiday",
		json_object_new_boolean(c->holiday));
	json_object_object_add(f, "worker_type", c->worker_type.ok ?
		json_object_new_string(c->worker_type.type) : NULL);
	json_object_object_add(f, "spare_type", c->spare_type.ok ?
		json_object_new_string(c->spare_type.type) : NULL);
	json_object_object_add(o, "figures", f);
}
