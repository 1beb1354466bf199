/* pp-sim's main loop (the cloud, the engine each cycle, the forecast
 * score) and its references: the oracle and the static fleet. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/bill.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/forecast.h"
#include "engine/settings.h"
#include "store/history.h"
#include "store/registry.h"
#include "run/sim.h"
#include "run/sim_int.h"
#include "run/trace.h"
#include "base/util.h"

/* ---- the simulation --------------------------------------------- */

static const struct pp_price *
first_price(const struct sim *S, const struct pp_server_type *t,
	const char **loc)
{
	const struct pp_config *c = S->cfg;

	for (size_t i = 0; i < c->cloud.locations.n; i++) {
		const struct pp_price *pr = pp_type_price(t,
			c->cloud.locations.v[i]);

		if (pr && pr->available) {
			if (loc)
				*loc = c->cloud.locations.v[i];
			return pr;
		}
	}
	return NULL;
}

static int
type_allowed(const struct sim *S, const struct pp_server_type *t)
{
	const struct pp_strlist *l = &S->cfg->cloud.server_types;

	if (t->deprecated)
		return 0;
	if (!l->n)
		return 1;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], t->name))
			return 1;
	return 0;
}

static long
largest_mix(const struct pp_sim_opts *o)
{
	long m = 0;

	for (size_t i = 0; i < o->nmix; i++)
		if (o->mix_mb[i] > m)
			m = o->mix_mb[i];
	return m;
}

static void
note_action(struct sim *S, time_t now, int kind, long count)
{
	int up = kind == PP_ACT_SCALE_UP || kind == PP_ACT_PROVISION_SPARE;

	S->actions[kind]++;
	if (up && S->last_down && now - S->last_down < FLAP_WINDOW)
		S->flaps++;
	if (kind == PP_ACT_SCALE_DOWN && S->last_up &&
	    now - S->last_up < FLAP_WINDOW)
		S->flaps++;
	if (up)
		S->last_up = now;
	if (kind == PP_ACT_SCALE_DOWN)
		S->last_down = now;
	if (S->nacts == S->actcap) {
		S->actcap = S->actcap ? S->actcap * 2 : 64;
		S->acts = pp_xreallocarray(S->acts, S->actcap,
			sizeof *S->acts);
	}
	S->acts[S->nacts++] = (struct act){now, kind, count};
}

static void
bill_node(struct sim *S, struct snode *n, time_t end)
{
	long h;

	S->cost += pp_bill(n->created, end, n->hourly, n->monthly, &h);
	S->node_hours += (double)h;
}

/* The cloud: boots finish, drained nodes go away. */
static void
cloud_step(struct sim *S, time_t now)
{
	struct platform *p = &S->p;
	long cloud = 0;

	for (size_t i = 0; i < p->nn; i++) {
		struct snode *n = &p->n[i];

		if (n->kind != PP_KIND_CLOUD || n->status == N_GONE)
			continue;
		if (n->status == PP_ST_PROVISIONING && n->ready_at <= now)
			n->status = PP_ST_READY;
		if (n->status == PP_ST_DRAINING && n->drain_at <= now) {
			long had = n->nserv;

			if (had && !pp_sim_evacuate(p, (int)i) &&
			    pp_verbosity >= 1) {
				char buf[PP_TIME_LEN];

				pp_debug("%s %s drained: %ld game server%s "
					"moved", pp_format_time(now, buf,
					sizeof buf), n->id, had, had == 1 ?
					"" : "s");
			}
			if (!n->nserv) {
				bill_node(S, n, now);
				n->status = N_GONE;
				continue;
			}
		}
		cloud++;
	}
	if (cloud > S->peak_cloud)
		S->peak_cloud = cloud;
	pp_sim_compact(p);
}

static void
carry_out(struct sim *S, const struct pp_decision *dec, time_t now)
{
	struct platform *p = &S->p;

	if (dec->action != PP_ACT_NONE && !dec->continued &&
	    pp_verbosity >= 1) {
		char buf[PP_TIME_LEN];

		/* -v: every action with its reason, to see why it flaps */
		pp_debug("%s %s %ld %s: %s", pp_format_time(now, buf,
			sizeof buf), pp_action_name(dec->action), dec->count,
			dec->node[0] ? dec->node : dec->server_type,
			dec->reason);
	}

	switch (dec->action) {
	case PP_ACT_SCALE_UP:
	case PP_ACT_PROVISION_SPARE: {
		const struct pp_server_type *t = pp_catalog_find(&S->cat,
			dec->server_type);
		const struct pp_price *pr = t ? pp_type_price(t,
			dec->location) : NULL;

		if (!t || !pr) {
			pp_warn("engine chose '%s' in '%s', not in the catalog",
				dec->server_type, dec->location);
			return;
		}
		for (long i = 0; i < dec->count; i++)
			pp_sim_add_node(p, t, pr->hourly_eur, pr->monthly_eur,
				S->cfg->cloud.reserved_ram_mb,
				dec->action == PP_ACT_PROVISION_SPARE ?
				PP_ROLE_SPARE : PP_ROLE_WORKER, now,
				S->o->boot_s, ++S->serial);
		note_action(S, now, dec->action, dec->count);
		break;
	}
	case PP_ACT_SCALE_DOWN:
	case PP_ACT_UNCORDON:
		for (size_t i = 0; i < p->nn; i++) {
			struct snode *n = &p->n[i];

			if (n->status == N_GONE || strcmp(n->id, dec->node))
				continue;
			if (dec->action == PP_ACT_UNCORDON) {
				if (n->status != PP_ST_DRAINING)
					return;
				n->status = PP_ST_READY;
			} else if (n->status == PP_ST_DRAINING) {
				/* a drain still under way, not a new action */
				return;
			} else if (n->kind == PP_KIND_CLOUD) {
				/* a drain takes time: its game servers stay
				 * (and hold their RAM here) for drain_s,
				 * then move all at once, as pp-drain's plan
				 * does, and the node goes */
				n->status = PP_ST_DRAINING;
				n->drain_at = now + S->o->drain_s;
			}
			note_action(S, now, dec->action, 1);
			break;
		}
		break;
	default:
		break;
	}
}

/* The engine's view of the nodes, as structs: no JSON per cycle. */
struct view {
	size_t n, cap;
	struct pp_enode *e;
	long long *cmb;
	size_t ccap;
	size_t *off;
};

static void
build_view(struct sim *S, struct view *v)
{
	struct platform *p = &S->p;
	size_t k = 0, total = 0;

	if (v->cap < p->nn) {
		v->cap = p->nn * 2;
		v->e = pp_xreallocarray(v->e, v->cap, sizeof *v->e);
		v->off = pp_xreallocarray(v->off, v->cap + 1, sizeof *v->off);
	}
	if (v->ccap < p->ns) {
		v->ccap = p->ns * 2 + 16;
		v->cmb = pp_xreallocarray(v->cmb, v->ccap, sizeof *v->cmb);
	}
	/* index of each node in the view, and where its servers go */
	for (size_t i = 0; i < p->nn; i++) {
		v->off[i] = total;
		if (p->n[i].status != N_GONE)
			total += (size_t)p->n[i].nserv;
	}
	{
		size_t *fill = pp_xcalloc(p->nn, sizeof *fill);

		for (size_t i = 0; i < p->ns; i++) {
			int nd = p->s[i].node;

			v->cmb[v->off[nd] + fill[nd]++] = p->s[i].mb;
		}
		free(fill);
	}
	for (size_t i = 0; i < p->nn; i++) {
		struct snode *n = &p->n[i];
		struct pp_enode *e;
		long long big = 0;

		if (n->status == N_GONE)
			continue;
		e = &v->e[k++];
		memset(e, 0, sizeof *e);
		e->id = n->id;
		e->kind = n->kind;
		e->status = n->status;
		e->role = n->role;
		e->usable_mb = n->usable;
		e->allocated_mb = n->used;
		e->containers = n->nserv;
		e->container_mb = v->cmb + v->off[i];
		e->ncontainer_mb = (size_t)n->nserv;
		for (long j = 0; j < n->nserv; j++)
			if (e->container_mb[j] > big)
				big = e->container_mb[j];
		e->largest_mb = big;
		e->server_type = n->type ? n->type->name : NULL;
		e->location = n->kind == PP_KIND_CLOUD ?
			S->cfg->cloud.locations.n ?
			S->cfg->cloud.locations.v[0] : "nbg1" : "dc";
		e->hourly_eur = n->hourly;
		e->created_at = n->created;
	}
	v->n = k;
}

static void
view_free(struct view *v)
{
	free(v->e);
	free(v->cmb);
	free(v->off);
}

static void
score_forecast(struct sim *S, time_t now, double actual, int ingap)
{
	long m = (long)(now / 60);
	int slot = (int)(m % RING);
	double naive = pp_history_value_at(&S->hist, pp_local_back(
		S->cfg->timezone, now, WEEK));

	if (actual <= 0 || ingap || naive < 0)
		return;
	if (S->fcmin1[slot] == m) {
		S->ape1 += fabs(S->fc1[slot] - actual) / actual;
		S->nape1 += fabs(naive - actual) / actual;
		S->pape1 += fabs(S->pv1[slot] - actual) / actual;
		S->nerr1++;
	}
	if (S->fcmin2[slot] == m) {
		S->ape2 += fabs(S->fc2[slot] - actual) / actual;
		S->nape2 += fabs(naive - actual) / actual;
		S->pape2 += fabs(S->pv2[slot] - actual) / actual;
		S->nerr2++;
	}
}

/* The forecast for +1 h and +2 h, and persistence (the value now) for
 * the same minutes, to score both when those minutes come. */
static void
remember_forecast(struct sim *S, time_t now, const struct pp_forecast *f,
	double actual)
{
	double v1 = pp_forecast_value(f, 3600), v2 = pp_forecast_value(f,
		7200);
	long m1 = (long)((now + 3600) / 60), m2 = (long)((now + 7200) / 60);

	if (!f->n)
		return;
	S->fc1[m1 % RING] = v1;
	S->pv1[m1 % RING] = actual;
	S->fcmin1[m1 % RING] = m1;
	S->fc2[m2 % RING] = v2;
	S->pv2[m2 % RING] = actual;
	S->fcmin2[m2 % RING] = m2;
}

static void
history_figures(struct sim *S, time_t now, struct pp_history_figures *hf)
{
	struct pp_window w1, w24;

	pp_history_window(&S->hist, now, 3600, &w1);
	pp_history_window_memo(&S->hist, now, 86400, &w24, &S->w24memo);
	hf->present = 1;
	hf->avg_1h_mb = w1.avg_mb;
	hf->avg_24h_mb = w24.avg_mb;
	hf->peak_24h_mb = w24.peak_mb;
	hf->samples = (long)S->hist.n;
}

static void
svg_sample(struct sim *S, size_t k, double demand)
{
	struct platform *p = &S->p;
	size_t b = S->nbins ? k * S->nbins / S->d.n : 0;
	long long ready = 0, pending = 0;

	if (b >= S->nbins)
		return;
	for (size_t i = 0; i < p->nn; i++) {
		if (p->n[i].status == PP_ST_READY ||
		    p->n[i].status == PP_ST_DRAINING)
			ready += p->n[i].usable;
		else if (p->n[i].status == PP_ST_PROVISIONING)
			pending += p->n[i].usable;
	}
	if (!S->bins[b].set || demand > S->bins[b].demand)
		S->bins[b].demand = demand;
	S->bins[b].ready = (double)ready;
	S->bins[b].pending = (double)(ready + pending);
	S->bins[b].set = 1;
	if ((double)(ready + pending) > S->ymax)
		S->ymax = (double)(ready + pending);
	if (demand > S->ymax)
		S->ymax = demand;
}

static void
progress(struct sim *S, size_t k, double t0)
{
	static double last;
	double now = pp_monotonic();
	char buf[PP_TIME_LEN];

	if (!S->o->progress || now - last < 0.5 || now - t0 < 1)
		return;
	last = now;
	fprintf(stderr, "\r%s: %3.0f%% %s", pp_progname,
		100.0 * (double)k / (double)S->d.n,
		pp_format_time(S->d.t0 + (time_t)k * S->d.step, buf,
		sizeof buf));
	fflush(stderr);
}

static void
clear_counters(struct platform *p)
{
	p->starts = p->refused = 0;
	/* a game server still waiting from the cold start is asked for
	 * and refused in the counted time too: its tries and minutes
	 * from now on count, so it counts once, as every refused one */
	p->servers = p->refused_servers = (long long)p->nwait;
	p->waited_server_min = p->unmet_gb_min = 0;
	p->refusal_steps = 0;
}

void
pp_sim_main_run(struct sim *S)
{
	const struct pp_config *cfg = S->cfg;
	struct platform *p = &S->p;
	struct view v = {0};
	long hz[PP_FORECAST_MAX];
	size_t nh = pp_forecast_horizons(cfg, hz);
	long hz2[PP_FORECAST_MAX + 2];
	size_t nh2 = 0;
	double t0 = pp_monotonic();
	time_t next_cycle = 0, next_prune = 0, next_hist = 0, next_rise = 0;
	long rise_w = pp_headroom_rise_window(cfg);
	long step_w = pp_headroom_step_window(cfg);
	double rise = 0;
	struct pp_history_figures hf = {0};

	/* the error is scored at +1 h and +2 h, whatever the config asks */
	for (size_t i = 0; i < nh; i++)
		hz2[nh2++] = hz[i];
	hz2[nh2++] = 3600;
	hz2[nh2++] = 7200;
	/* in order: the policies' scans of the forecast then walk its
	 * points once (pp_forecast_first_over) */
	for (size_t i = 1; i < nh2; i++)
		for (size_t j = i; j > 0 && hz2[j - 1] > hz2[j]; j--) {
			long t = hz2[j];

			hz2[j] = hz2[j - 1];
			hz2[j - 1] = t;
		}
	int warm = 0;

	pp_sim_platform_init(p, S->o);
	S->state = json_object_new_object();
	for (size_t k = 0; k < S->d.n; k++) {
		time_t now = S->d.t0 + (time_t)k * S->d.step;
		double dem = S->d.raw[k] * S->scale;
		struct pp_sample smp;
		long long ready = 0, pending = 0;

		pp_set_now(now);
		cloud_step(S, now);
		if (!warm && now - S->d.t0 >= S->o->warmup_s) {
			/* the cold start is not counted: the fleet
			 * begins with no cloud node at whatever the
			 * trace's first demand is */
			clear_counters(p);
			warm = 1;
		}
		pp_sim_platform_step(p, dem, now, S->d.step);
		for (size_t i = 0; i < p->nn; i++) {
			if (p->n[i].status == PP_ST_READY)
				ready += p->n[i].usable;
			else if (p->n[i].status == PP_ST_PROVISIONING)
				pending += p->n[i].usable;
		}
		smp = (struct pp_sample){now, p->running_mb, ready, pending};
		pp_history_add(&S->hist, &smp);
		score_forecast(S, now, (double)p->running_mb, S->d.ingap[k]);
		if (now >= next_prune) {
			pp_history_prune(&S->hist, now, WEEK + 2 * 86400L);
			next_prune = now + 86400;
		}
		if (now >= next_cycle) {
			struct pp_engine_ctx ctx;
			struct pp_decision dec;
			struct pp_forecast f;

			pp_forecast_builtin_memo(&S->hist, now,
				S->cfg->timezone, hz2, nh2, &f, &S->fmemo);
			/* the rise moves slowly: every 10 minutes, as
			 * the history figures */
			if (rise_w > 0 && now >= next_rise) {
				rise = pp_history_rise(&S->hist, now,
					S->cfg->timezone, rise_w);
				next_rise = now + 600;
			}
			f.rise_mb = rise_w > 0 ? rise : -1;
			f.rise_window_s = rise_w;
			if (step_w > 0) {
				f.step_mb = pp_history_step(&S->hist, now,
					step_w);
				f.step_window_s = step_w;
			}
			_Static_assert(sizeof S->method == sizeof f.method,
				"the forecast's method fits the report's");
			memcpy(S->method, f.method, sizeof S->method);
			remember_forecast(S, now, &f, (double)p->running_mb);
			build_view(S, &v);
			pp_engine_ctx_init(&ctx, cfg, now);
			ctx.nodes = v.e;
			ctx.nnodes = v.n;
			ctx.catalog = &S->cat;
			ctx.type_memo = &S->types;
			ctx.fc = &f;
			ctx.lean = 1;
			/* the windows move slowly: every 10 minutes */
			if (now >= next_hist) {
				history_figures(S, now, &hf);
				next_hist = now + 600;
			}
			ctx.history = hf;
			ctx.slot_memory_mb = pp_headroom_memory(cfg,
				S->state, now);
			pp_engine_ctx_prepare(&ctx, NULL);
			if (S->o->strategy == PP_STRAT_SHIPPED)
				pp_engine_run(&ctx, S->state, 0, &dec);
			else
				pp_sim_strategy_decide(S, &ctx, &dec);
			carry_out(S, &dec, now);
			pp_decision_free(&dec);
			pp_engine_ctx_free(&ctx);
			next_cycle = now + S->o->cycle_s;
		}
		if (S->nbins)
			svg_sample(S, k, dem);
		progress(S, k, t0);
	}
	if (S->o->progress && pp_monotonic() - t0 >= 1)
		fprintf(stderr, "\r%*s\r", 40, "");
	{
		time_t end = S->d.t0 + (time_t)S->d.n * S->d.step;

		for (size_t i = 0; i < p->nn; i++)
			if (p->n[i].kind == PP_KIND_CLOUD &&
			    p->n[i].status != N_GONE)
				bill_node(S, &p->n[i], end);
	}
	view_free(&v);
}

/* The cheapest EUR per GB-hour among the orderable types. */
double
pp_sim_best_eur_per_gb(const struct sim *S)
{
	double best = -1;

	for (size_t i = 0; i < S->cat.n; i++) {
		const struct pp_server_type *t = &S->cat.t[i];
		const struct pp_price *pr;

		if (!type_allowed(S, t))
			continue;
		pr = first_price(S, t, NULL);
		if (pr && (best < 0 || pr->hourly_eur / t->memory_gb < best))
			best = pr->hourly_eur / t->memory_gb;
	}
	return best;
}

/* The oracle: the cloud part of demand at the best price per GB, by the
 * minute, with instant boot and perfect foresight. */
void
pp_sim_oracle_run(struct sim *S)
{
	double per_gb = pp_sim_best_eur_per_gb(S), gbh = 0;

	for (size_t k = 0; k < S->d.n; k++) {
		double dem = S->d.raw[k] * S->scale;

		if (dem > (double)S->ded_mb)
			gbh += (dem - (double)S->ded_mb) / 1024.0 *
				(double)S->d.step / 3600.0;
	}
	S->oracle = per_gb > 0 ? gbh * per_gb : 0;
}

/* Refused starts with a fixed fleet of count nodes of type t, same
 * demand (a waiting game server refused again every step: the count
 * weighs how many and how long), counted from the end of the warm-up
 * as the run's are; stops counting once over limit. */
static long long
static_refusals(struct sim *S, const struct pp_server_type *t,
	long count, long long limit)
{
	struct platform p;
	long long r;
	int warm = 0;

	pp_sim_platform_init(&p, S->o);
	p.quiet = 1;
	for (long i = 0; i < count; i++)
		pp_sim_add_node(&p, t, 0, 0, S->cfg->cloud.reserved_ram_mb,
			PP_ROLE_WORKER, S->d.t0, 0, i + 1);
	for (size_t k = 0; k < S->d.n; k++) {
		time_t now = S->d.t0 + (time_t)k * S->d.step;

		if (!warm && now - S->d.t0 >= S->o->warmup_s) {
			/* the same window as the run's figures */
			clear_counters(&p);
			warm = 1;
		}
		if (warm && p.refused > limit)
			break;
		pp_sim_platform_step(&p, S->d.raw[k] * S->scale, now,
			S->d.step);
	}
	r = p.refused;
	pp_sim_platform_free(&p);
	return r;
}

/* The cheapest fixed fleet of one type with at most limit refused
 * starts. */
static void
static_fleet(struct sim *S, long long limit, struct static_ref *ref)
{
	time_t end = S->d.t0 + (time_t)S->d.n * S->d.step;
	long big = largest_mix(S->o);

	memset(ref, 0, sizeof *ref);
	ref->cost = -1;
	for (size_t i = 0; i < S->cat.n; i++) {
		const struct pp_server_type *t = &S->cat.t[i];
		const struct pp_price *pr = type_allowed(S, t) ?
			first_price(S, t, NULL) : NULL;
		long long usable = pp_type_usable_mb(t,
			S->cfg->cloud.reserved_ram_mb);
		long lo = 0, hi;
		double c;

		if (!pr || usable < big)
			continue;
		/* enough to hold the peak twice over, then bisect */
		hi = (long)((S->d.peak * S->scale - (double)S->ded_mb) /
			(double)usable * 2) + 2;
		if (hi < 1)
			hi = 1;
		if (static_refusals(S, t, hi, limit) > limit)
			continue;
		while (lo < hi) {
			long mid = lo + (hi - lo) / 2;

			if (static_refusals(S, t, mid, limit) > limit)
				lo = mid + 1;
			else
				hi = mid;
		}
		c = (double)lo * pp_bill(S->d.t0, end, pr->hourly_eur,
			pr->monthly_eur, NULL);
		if (ref->cost < 0 || c < ref->cost) {
			ref->cost = c;
			ref->type = t->name;
			ref->count = lo;
		}
	}
	if (ref->cost >= 0)
		ref->refused = static_refusals(S, pp_catalog_find(&S->cat,
			ref->type), ref->count, LLONG_MAX - 1);
}

/* Two references: the cheapest fixed fleet that never refuses a start,
 * and the cheapest that refuses no more starts than the run did (the
 * same game servers turned away for as many minutes, or fewer). */
void
pp_sim_static_run(struct sim *S)
{
	static_fleet(S, 0, &S->stat0);
	if (S->p.refused > 0)
		static_fleet(S, S->p.refused, &S->stateq);
	else
		S->stateq = S->stat0;
	S->static_cost = S->stat0.cost;
	S->static_type = S->stat0.type;
	S->static_count = S->stat0.count;
}
