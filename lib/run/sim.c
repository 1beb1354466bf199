/* pp-sim: replays a demand trace through the decision engine (in
 * process, the same policies as pp-decide) with a simulated cloud and a
 * simulated platform.
 *
 * The trace is read once, as a stream, into the demand at every step
 * (4 bytes a step). The platform turns demand into game servers of the
 * configured sizes that start and stop to follow it (and end their
 * sessions, when churn is on); a server must fit on one ready node or
 * its start is refused. The cloud boots nodes after a delay and bills
 * every started hour, capped at the monthly price per calendar month.
 * Every decision cycle the engine sees the nodes as structs, the
 * history figures and the built-in forecast, and its decision is
 * carried out: scale-ups order nodes, scale-downs drain a node (its
 * servers move to other nodes that have room) and delete it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/forecast.h"
#include "store/history.h"
#include "store/registry.h"
#include "run/sim.h"
#include "run/trace.h"
#include "base/util.h"

#define WEEK (7 * 86400L)
#define FLAP_WINDOW 1800L
#define RING 512

/* ---- options ---------------------------------------------------- */

void
pp_sim_defaults(struct pp_sim_opts *o)
{
	memset(o, 0, sizeof *o);
	o->peak_ratio = 2.5;
	o->dedicated_nodes = 2;
	o->dedicated_gb = 64;
	o->dedicated_reserved_mb = 4096;
	o->boot_s = 180;
	o->step_s = 60;
	o->cycle_s = 60;
	o->drain_s = 120;
	o->max_gap_s = 3 * 3600;
	o->session_min = 120;
	o->seed = 1;
	pp_sim_parse_mix(o, "1:15,2:25,4:30,8:20,16:10");
}

int
pp_sim_parse_mix(struct pp_sim_opts *o, const char *s)
{
	size_t n = 0;

	while (*s) {
		char *end;
		double gb = strtod(s, &end), w;

		if (end == s || *end != ':' || !(gb > 0) || gb > 1024 ||
		    n == PP_SIM_MAXMIX)
			return -1;
		s = end + 1;
		w = strtod(s, &end);
		if (end == s || !(w > 0) || (*end && *end != ','))
			return -1;
		o->mix_mb[n] = (long)(gb * 1024 + 0.5);
		o->mix_w[n++] = w;
		s = *end ? end + 1 : end;
	}
	if (!n)
		return -1;
	o->nmix = n;
	return 0;
}

int
pp_sim_parse_dedicated(struct pp_sim_opts *o, const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	double gb;

	if (end == s || *end != 'x' || n < 0 || n > 10000)
		return -1;
	s = end + 1;
	gb = strtod(s, &end);
	if (end == s || *end || !(gb > 0) || gb > 65536)
		return -1;
	o->dedicated_nodes = n;
	o->dedicated_gb = gb;
	return 0;
}

/* ---- billing ---------------------------------------------------- */

static time_t
next_month(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	return timegm(&tm);
}

double
pp_sim_bill(time_t created, time_t end, double hourly, double monthly,
	long *hours)
{
	double cost = 0;
	time_t t = created;
	long h = 0;

	if (end <= created) {
		if (hours)
			*hours = 0;
		return 0;
	}
	/* hours are counted from creation; a month boundary splits them */
	while (t < end) {
		time_t m = next_month(t), stop = end < m ? end : m;
		long part = (long)((stop - t + 3599) / 3600);
		double c = (double)part * hourly;

		if (monthly > 0 && c > monthly)
			c = monthly;
		cost += c;
		h += part;
		t += (time_t)part * 3600;
	}
	if (hours)
		*hours = h;
	return cost;
}

/* ---- demand ------------------------------------------------------ */

struct gap {
	time_t from, to;
};

struct demand {
	time_t t0;
	long step;
	size_t n;
	float *raw;        /* trace value at each step */
	unsigned char *ingap; /* 1: inside a long gap */
	double peak;
	size_t rows;
	time_t first, last;
	size_t ngaps;
	struct gap *gaps;
	double median_interval;
};

static void
demand_push(struct demand *d, size_t *cap, double v, int gap)
{
	if (d->n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		d->raw = pp_xreallocarray(d->raw, *cap, sizeof *d->raw);
		d->ingap = pp_xreallocarray(d->ingap, *cap, 1);
	}
	d->raw[d->n] = (float)v;
	d->ingap[d->n++] = (unsigned char)gap;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* One pass over the trace: the value at every step, interpolated
 * between rows (irregular sampling), long gaps marked and listed. */
static void
demand_load(struct demand *d, const struct pp_sim_opts *o)
{
	struct pp_trace tr;
	char err[512];
	time_t t, pt = 0;
	double v, pv = 0;
	size_t cap = 0, nint = 0, intcap = 0;
	long *ints = NULL;
	int rc;

	memset(d, 0, sizeof *d);
	d->step = o->step_s;
	if (pp_trace_open(&tr, o->trace, err, sizeof err) < 0)
		pp_die(PP_EXIT_USAGE, "%s", err);
	while ((rc = pp_trace_next(&tr, &t, &v, err, sizeof err)) > 0) {
		if (!d->rows) {
			d->t0 = t - t % d->step;
			d->first = t;
			demand_push(d, &cap, v, 0);
		} else {
			long dt = (long)(t - pt);
			int gap = dt > o->max_gap_s;

			if (gap) {
				d->gaps = pp_xreallocarray(d->gaps,
					d->ngaps + 1, sizeof *d->gaps);
				d->gaps[d->ngaps++] = (struct gap){pt, t};
			}
			if (dt > 0 && nint < 100000) {
				if (nint == intcap) {
					intcap = intcap ? intcap * 2 : 1024;
					ints = pp_xreallocarray(ints, intcap,
						sizeof *ints);
				}
				ints[nint++] = dt;
			}
			/* steps up to and including t */
			while (d->t0 + (time_t)d->n * d->step <= t) {
				time_t st = d->t0 + (time_t)d->n * d->step;
				double x = dt > 0 ? pv + (v - pv) *
					(double)(st - pt) / (double)dt : v;

				demand_push(d, &cap, x, gap);
			}
		}
		if (v > d->peak)
			d->peak = v;
		d->rows++;
		pt = t;
		pv = v;
		d->last = t;
	}
	if (rc < 0)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (!d->rows)
		pp_die(PP_EXIT_USAGE, "trace '%s' line %zu: no samples after "
			"the header", o->trace, tr.line + 1);
	pp_trace_close(&tr);
	if (d->rows < 2)
		pp_die(PP_EXIT_USAGE, "trace '%s': one sample is not a time "
			"series", o->trace);
	if (nint) {
		qsort(ints, nint, sizeof *ints, cmp_long);
		d->median_interval = (double)ints[nint / 2];
	}
	free(ints);
}

static void
demand_free(struct demand *d)
{
	free(d->raw);
	free(d->ingap);
	free(d->gaps);
}

/* ---- the platform ------------------------------------------------ */

enum { N_GONE = -1 };

struct snode {
	char id[32];
	int kind, status, role;
	const struct pp_server_type *type;
	double hourly, monthly;
	long long usable, used;
	time_t created, ready_at, drain_at;
	long nserv;
};

struct server {
	long mb;
	int node;
	time_t end;
};

struct rng {
	unsigned long long s;
};

static unsigned long long
rnext(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static double
runif(struct rng *r)
{
	return (double)(rnext(r) >> 11) / 9007199254740992.0;
}

struct platform {
	const struct pp_sim_opts *o;
	size_t nn, ncap;
	struct snode *n;
	size_t ns, scap;
	struct server *s;
	long long running_mb;
	struct rng size_rng, stop_rng, life_rng;
	long next_mb;
	double wsum;
	/* counters */
	long long starts, refused;
	long refusal_steps;
	double unmet_gb_min;
	int refused_now;
};

static long
draw_size(struct platform *p)
{
	double x = runif(&p->size_rng) * p->wsum;

	for (size_t i = 0; i < p->o->nmix; i++) {
		x -= p->o->mix_w[i];
		if (x < 0)
			return p->o->mix_mb[i];
	}
	return p->o->mix_mb[p->o->nmix - 1];
}

static void
platform_init(struct platform *p, const struct pp_sim_opts *o)
{
	memset(p, 0, sizeof *p);
	p->o = o;
	p->size_rng.s = o->seed * 0x9E3779B97F4A7C15ULL + 1;
	p->stop_rng.s = o->seed * 0xD1B54A32D192ED03ULL + 2;
	p->life_rng.s = o->seed * 0x8CB92BA72F3D8DD7ULL + 3;
	for (size_t i = 0; i < o->nmix; i++)
		p->wsum += o->mix_w[i];
	p->next_mb = draw_size(p);
	for (long i = 0; i < o->dedicated_nodes; i++) {
		struct snode *n;

		p->n = pp_xreallocarray(p->n, ++p->nn, sizeof *p->n);
		n = &p->n[p->nn - 1];
		memset(n, 0, sizeof *n);
		snprintf(n->id, sizeof n->id, "ded-%ld", i + 1);
		n->kind = PP_KIND_DEDICATED;
		n->status = PP_ST_READY;
		n->usable = (long long)(o->dedicated_gb * 1024) -
			o->dedicated_reserved_mb;
	}
	p->ncap = p->nn;
}

static void
platform_free(struct platform *p)
{
	free(p->n);
	free(p->s);
}

static int
add_node(struct platform *p, const struct pp_server_type *t, double hourly,
	double monthly, long long reserved, int role, time_t now, long boot,
	long serial)
{
	struct snode *n;

	if (p->nn == p->ncap) {
		p->ncap = p->ncap ? p->ncap * 2 : 16;
		p->n = pp_xreallocarray(p->n, p->ncap, sizeof *p->n);
	}
	n = &p->n[p->nn];
	memset(n, 0, sizeof *n);
	snprintf(n->id, sizeof n->id, "cloud-%ld", serial);
	n->kind = PP_KIND_CLOUD;
	n->status = boot > 0 ? PP_ST_PROVISIONING : PP_ST_READY;
	n->role = role;
	n->type = t;
	n->hourly = hourly;
	n->monthly = monthly;
	n->usable = pp_type_usable_mb(t, reserved);
	n->created = now;
	n->ready_at = now + boot;
	return (int)p->nn++;
}

/* Dedicated nodes first (paid for anyway), then the fullest cloud
 * worker that has room (so others can empty), spares last. */
static int
place_on(struct platform *p, long mb, int except)
{
	int best = -1, bestclass = 9;
	long long bestfree = 0;

	for (size_t i = 0; i < p->nn; i++) {
		struct snode *n = &p->n[i];
		long long fr = n->usable - n->used;
		int cls;

		if ((int)i == except || n->status != PP_ST_READY || fr < mb)
			continue;
		cls = n->kind == PP_KIND_DEDICATED ? 0 :
			n->role == PP_ROLE_SPARE && n->used == 0 ? 2 : 1;
		if (cls < bestclass || (cls == bestclass && fr < bestfree)) {
			best = (int)i;
			bestclass = cls;
			bestfree = fr;
		}
	}
	return best;
}

static void
start_server(struct platform *p, int node, long mb, time_t now)
{
	struct server *s;
	double life;

	if (p->ns == p->scap) {
		p->scap = p->scap ? p->scap * 2 : 256;
		p->s = pp_xreallocarray(p->s, p->scap, sizeof *p->s);
	}
	s = &p->s[p->ns++];
	s->mb = mb;
	s->node = node;
	life = p->o->session_min > 0 ? -log(1 - runif(&p->life_rng)) *
		p->o->session_min * 60 : 1e12;
	s->end = now + (time_t)(life > 1e11 ? 1e11 : life);
	p->n[node].used += mb;
	p->n[node].nserv++;
	p->running_mb += mb;
}

static void
stop_server(struct platform *p, size_t i)
{
	struct server *s = &p->s[i];

	p->n[s->node].used -= s->mb;
	p->n[s->node].nserv--;
	p->running_mb -= s->mb;
	p->s[i] = p->s[--p->ns];
}

/* One step of the platform at demand mb: sessions end, servers stop
 * when demand falls and start when it rises; a start that fits on no
 * node is refused and the rest of the rise waits for the next step. */
static void
platform_step(struct platform *p, double demand_mb, time_t now, long step)
{
	p->refused_now = 0;
	for (size_t i = 0; i < p->ns;) {
		if (p->s[i].end <= now)
			stop_server(p, i);
		else
			i++;
	}
	for (int tries = 0; p->ns && tries < 64 &&
	     (double)p->running_mb - demand_mb >= 512; tries++) {
		size_t i = (size_t)(runif(&p->stop_rng) * (double)p->ns);

		if (i >= p->ns)
			i = p->ns - 1;
		if ((double)p->running_mb - demand_mb >= p->s[i].mb / 2.0)
			stop_server(p, i);
	}
	while (demand_mb - (double)p->running_mb >= p->next_mb / 2.0) {
		int node = place_on(p, p->next_mb, -1);

		p->starts++;
		if (node < 0) {
			p->refused++;
			p->refused_now = 1;
			break;
		}
		start_server(p, node, p->next_mb, now);
		p->next_mb = draw_size(p);
	}
	if (p->refused_now) {
		p->refusal_steps++;
		p->unmet_gb_min += (demand_mb - (double)p->running_mb) /
			1024.0 * (double)step / 60.0;
	}
}

/* Moves the servers off node k onto others with room; returns how many
 * stayed behind. */
static long
evacuate(struct platform *p, int k)
{
	long left = 0;

	for (size_t i = 0; i < p->ns; i++) {
		struct server *s = &p->s[i];
		int to;

		if (s->node != k)
			continue;
		to = place_on(p, s->mb, k);
		if (to < 0) {
			left++;
			continue;
		}
		p->n[k].used -= s->mb;
		p->n[k].nserv--;
		p->n[to].used += s->mb;
		p->n[to].nserv++;
		s->node = to;
	}
	return left;
}

/* ---- the simulation --------------------------------------------- */

struct act {
	time_t t;
	int kind;
	long count;
};

struct svgbin {
	double demand, ready, pending;
	int set;
};

struct sim {
	const struct pp_config *cfg;
	const struct pp_sim_opts *o;
	struct demand d;
	struct pp_catalog cat;
	double scale;           /* MB per trace unit */
	long long ded_mb;
	struct platform p;
	struct pp_history hist;
	json_object *state;
	long serial;
	/* costs */
	double cost, node_hours;
	long peak_cloud;
	long actions[5];
	long flaps;
	time_t last_up, last_down;
	size_t nacts, actcap;
	struct act *acts;
	/* forecast error */
	double fc1[RING], fc2[RING];
	long fcmin1[RING], fcmin2[RING];
	double ape1, ape2, nape1, nape2;
	long nerr1, nerr2;
	char method[48];
	/* references */
	double oracle;
	const char *static_type;
	long static_count;
	double static_cost;
	/* the picture */
	size_t nbins;
	struct svgbin *bins;
	double ymax;
};

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

	S->cost += pp_sim_bill(n->created, end, n->hourly, n->monthly, &h);
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
			if (n->nserv)
				evacuate(p, (int)i);
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
			add_node(p, t, pr->hourly_eur, pr->monthly_eur,
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
				n->status = PP_ST_DRAINING;
				evacuate(p, (int)i);
				n->drain_at = now + (n->nserv ?
					S->cfg->drain.deadline : S->o->drain_s);
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
	double naive = pp_history_value_at(&S->hist, now - WEEK);

	if (actual <= 0 || ingap || naive < 0)
		return;
	if (S->fcmin1[slot] == m) {
		S->ape1 += fabs(S->fc1[slot] - actual) / actual;
		S->nape1 += fabs(naive - actual) / actual;
		S->nerr1++;
	}
	if (S->fcmin2[slot] == m) {
		S->ape2 += fabs(S->fc2[slot] - actual) / actual;
		S->nape2 += fabs(naive - actual) / actual;
		S->nerr2++;
	}
}

static void
remember_forecast(struct sim *S, time_t now, const struct pp_forecast *f)
{
	double v1 = pp_forecast_value(f, 3600), v2 = pp_forecast_value(f,
		7200);
	long m1 = (long)((now + 3600) / 60), m2 = (long)((now + 7200) / 60);

	if (!f->n)
		return;
	S->fc1[m1 % RING] = v1;
	S->fcmin1[m1 % RING] = m1;
	S->fc2[m2 % RING] = v2;
	S->fcmin2[m2 % RING] = m2;
}

static void
history_figures(struct sim *S, time_t now, struct pp_history_figures *hf)
{
	struct pp_window w1, w24;

	pp_history_window(&S->hist, now, 3600, &w1);
	pp_history_window(&S->hist, now, 86400, &w24);
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
main_run(struct sim *S)
{
	const struct pp_config *cfg = S->cfg;
	struct platform *p = &S->p;
	struct view v = {0};
	long hz[PP_FORECAST_MAX];
	size_t nh = pp_forecast_horizons(cfg, hz);
	long hz2[PP_FORECAST_MAX + 2];
	size_t nh2 = 0;
	double t0 = pp_monotonic();
	time_t next_cycle = 0, next_prune = 0, next_hist = 0;
	struct pp_history_figures hf = {0};

	/* the error is scored at +1 h and +2 h, whatever the config asks */
	for (size_t i = 0; i < nh; i++)
		hz2[nh2++] = hz[i];
	hz2[nh2++] = 3600;
	hz2[nh2++] = 7200;
	platform_init(p, S->o);
	S->state = json_object_new_object();
	for (size_t k = 0; k < S->d.n; k++) {
		time_t now = S->d.t0 + (time_t)k * S->d.step;
		double dem = S->d.raw[k] * S->scale;
		struct pp_sample smp;
		long long ready = 0, pending = 0;

		pp_set_now(now);
		cloud_step(S, now);
		platform_step(p, dem, now, S->d.step);
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
			json_object *fj;

			pp_forecast_builtin(&S->hist, now, hz2, nh2, &f);
			snprintf(S->method, sizeof S->method, "%s", f.method);
			remember_forecast(S, now, &f);
			fj = pp_forecast_json(&f);
			build_view(S, &v);
			pp_engine_ctx_init(&ctx, cfg, now);
			ctx.nodes = v.e;
			ctx.nnodes = v.n;
			ctx.catalog = &S->cat;
			ctx.forecast = fj;
			/* the windows move slowly: every 10 minutes */
			if (now >= next_hist) {
				history_figures(S, now, &hf);
				next_hist = now + 600;
			}
			ctx.history = hf;
			pp_engine_ctx_prepare(&ctx, NULL);
			pp_engine_run(&ctx, S->state, 0, &dec);
			carry_out(S, &dec, now);
			pp_decision_free(&dec);
			pp_engine_ctx_free(&ctx);
			json_object_put(fj);
			next_cycle = now + S->o->cycle_s;
		}
		if (S->nbins)
			svg_sample(S, k, dem);
		progress(S, k, t0);
		if (pp_interrupted())
			pp_die(PP_EXIT_FAIL, "interrupted");
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
static double
best_eur_per_gb(const struct sim *S)
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
static void
oracle_run(struct sim *S)
{
	double per_gb = best_eur_per_gb(S), gbh = 0;

	for (size_t k = 0; k < S->d.n; k++) {
		double dem = S->d.raw[k] * S->scale;

		if (dem > (double)S->ded_mb)
			gbh += (dem - (double)S->ded_mb) / 1024.0 *
				(double)S->d.step / 3600.0;
	}
	S->oracle = per_gb > 0 ? gbh * per_gb : 0;
}

/* Refusals with a fixed fleet of count nodes of type t, same demand. */
static long long
static_refusals(struct sim *S, const struct pp_server_type *t,
	long count)
{
	struct platform p;
	long long r;

	platform_init(&p, S->o);
	for (long i = 0; i < count; i++)
		add_node(&p, t, 0, 0, S->cfg->cloud.reserved_ram_mb,
			PP_ROLE_WORKER, S->d.t0, 0, i + 1);
	for (size_t k = 0; k < S->d.n && !p.refused; k++)
		platform_step(&p, S->d.raw[k] * S->scale,
			S->d.t0 + (time_t)k * S->d.step, S->d.step);
	r = p.refused;
	platform_free(&p);
	return r;
}

static void
static_run(struct sim *S)
{
	time_t end = S->d.t0 + (time_t)S->d.n * S->d.step;
	long big = largest_mix(S->o);

	S->static_cost = -1;
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
		if (static_refusals(S, t, hi))
			continue;
		while (lo < hi) {
			long mid = lo + (hi - lo) / 2;

			if (static_refusals(S, t, mid))
				lo = mid + 1;
			else
				hi = mid;
		}
		c = (double)lo * pp_sim_bill(S->d.t0, end, pr->hourly_eur,
			pr->monthly_eur, NULL);
		if (S->static_cost < 0 || c < S->static_cost) {
			S->static_cost = c;
			S->static_type = t->name;
			S->static_count = lo;
		}
	}
}

/* ---- the report -------------------------------------------------- */

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static json_object *
num(double v, int digits)
{
	return pp_jnew_double(v, digits);
}

static json_object *
report(struct sim *S, double elapsed)
{
	const struct pp_sim_opts *o = S->o;
	json_object *r = json_object_new_object(), *x, *a;
	struct platform *p = &S->p;
	long span = (long)(S->d.last - S->d.first);

	x = json_object_new_object();
	json_object_object_add(x, "file", json_object_new_string(o->trace));
	json_object_object_add(x, "rows",
		json_object_new_int64((long long)S->d.rows));
	json_object_object_add(x, "from", pp_jnew_time(S->d.first));
	json_object_object_add(x, "to", pp_jnew_time(S->d.last));
	json_object_object_add(x, "days", num(span / 86400.0, 2));
	json_object_object_add(x, "median_interval_s",
		json_object_new_int64((long long)S->d.median_interval));
	json_object_object_add(x, "peak_value", num(S->d.peak, 3));
	json_object_object_add(x, "mb_per_unit", num(S->scale, 4));
	a = json_object_new_array();
	for (size_t i = 0; i < S->d.ngaps; i++) {
		json_object *g = json_object_new_object();

		json_object_object_add(g, "from", pp_jnew_time(
			S->d.gaps[i].from));
		json_object_object_add(g, "to", pp_jnew_time(S->d.gaps[i].to));
		json_object_object_add(g, "hours", num((double)(S->d.gaps[i].to
			- S->d.gaps[i].from) / 3600.0, 1));
		json_object_array_add(a, g);
	}
	json_object_object_add(x, "long_gaps", a);
	json_object_object_add(r, "trace", x);

	x = json_object_new_object();
	json_object_object_add(x, "profile", json_object_new_string(
		S->cfg->profile ? S->cfg->profile : "default"));
	a = json_object_new_array();
	if (S->cfg->reactive.enabled)
		json_object_array_add(a, json_object_new_string("reactive"));
	if (S->cfg->spare.enabled)
		json_object_array_add(a, json_object_new_string("spare"));
	if (S->cfg->predictive.enabled)
		json_object_array_add(a, json_object_new_string("predictive"));
	json_object_object_add(x, "policies", a);
	json_object_object_add(x, "peak_ratio", num(o->peak_ratio, 2));
	json_object_object_add(x, "dedicated_mb",
		json_object_new_int64(S->ded_mb));
	json_object_object_add(x, "peak_demand_mb",
		num(S->d.peak * S->scale, 0));
	json_object_object_add(x, "boot_s", json_object_new_int64(o->boot_s));
	json_object_object_add(x, "step_s", json_object_new_int64(o->step_s));
	json_object_object_add(x, "cycle_s",
		json_object_new_int64(o->cycle_s));
	json_object_object_add(x, "session_min", num(o->session_min, 1));
	json_object_object_add(x, "seed",
		json_object_new_int64((long long)o->seed));
	json_object_object_add(x, "steps",
		json_object_new_int64((long long)S->d.n));
	json_object_object_add(r, "sim", x);

	json_object_object_add(r, "cost_eur", num(S->cost, 4));
	json_object_object_add(r, "cloud_node_hours", num(S->node_hours, 0));
	json_object_object_add(r, "starts", json_object_new_int64(p->starts));
	json_object_object_add(r, "refused_starts",
		json_object_new_int64(p->refused));
	json_object_object_add(r, "refused_percent",
		num(100 * ratio((double)p->refused, (double)p->starts), 3));
	json_object_object_add(r, "refusal_minutes", num((double)
		p->refusal_steps * (double)o->step_s / 60.0, 0));
	json_object_object_add(r, "unmet_gb_minutes", num(p->unmet_gb_min, 1));
	x = json_object_new_object();
	for (int k = PP_ACT_SCALE_UP; k <= PP_ACT_UNCORDON; k++)
		json_object_object_add(x, pp_action_name(k),
			json_object_new_int64(S->actions[k]));
	json_object_object_add(r, "actions", x);
	json_object_object_add(r, "actions_total", json_object_new_int64(
		S->actions[1] + S->actions[2] + S->actions[3] +
		S->actions[4]));
	json_object_object_add(r, "flaps", json_object_new_int64(S->flaps));
	json_object_object_add(r, "peak_cloud_nodes",
		json_object_new_int64(S->peak_cloud));
	json_object_object_add(r, "oracle_cost_eur", num(S->oracle, 4));
	json_object_object_add(r, "static_cost_eur", S->static_cost < 0 ?
		NULL : num(S->static_cost, 4));
	x = json_object_new_object();
	json_object_object_add(x, "server_type", S->static_type ?
		json_object_new_string(S->static_type) : NULL);
	json_object_object_add(x, "count",
		json_object_new_int64(S->static_count));
	json_object_object_add(r, "static_fleet", x);
	json_object_object_add(r, "cost_over_oracle",
		num(ratio(S->cost, S->oracle), 3));
	json_object_object_add(r, "cost_over_static", S->static_cost < 0 ?
		NULL : num(ratio(S->cost, S->static_cost), 3));

	x = json_object_new_object();
	json_object_object_add(x, "method", json_object_new_string(S->method));
	json_object_object_add(x, "mape_1h", S->nerr1 ?
		num(100 * S->ape1 / (double)S->nerr1, 2) : NULL);
	json_object_object_add(x, "mape_2h", S->nerr2 ?
		num(100 * S->ape2 / (double)S->nerr2, 2) : NULL);
	json_object_object_add(x, "naive_mape_1h", S->nerr1 ?
		num(100 * S->nape1 / (double)S->nerr1, 2) : NULL);
	json_object_object_add(x, "naive_mape_2h", S->nerr2 ?
		num(100 * S->nape2 / (double)S->nerr2, 2) : NULL);
	json_object_object_add(x, "points",
		json_object_new_int64(S->nerr1));
	json_object_object_add(r, "forecast_error", x);
	json_object_object_add(r, "elapsed_s", num(elapsed, 3));
	return r;
}

static void
summary(struct sim *S, json_object *r)
{
	json_object *fe = pp_jget(r, "forecast_error");

	if (pp_verbosity < 0)
		return;
	fprintf(stderr, "%s: %s, %.1f days, %zu rows, peak demand %.0f GB "
		"(%.2fx dedicated %.0f GB)\n", pp_progname, S->o->trace,
		(double)(S->d.last - S->d.first) / 86400.0, S->d.rows,
		S->d.peak * S->scale / 1024, S->o->peak_ratio,
		(double)S->ded_mb / 1024);
	for (size_t i = 0; i < S->d.ngaps; i++) {
		char a[PP_TIME_LEN], b[PP_TIME_LEN];

		fprintf(stderr, "  long gap %s .. %s (%.1f h), interpolated\n",
			pp_format_time(S->d.gaps[i].from, a, sizeof a),
			pp_format_time(S->d.gaps[i].to, b, sizeof b),
			(double)(S->d.gaps[i].to - S->d.gaps[i].from) / 3600);
	}
	fprintf(stderr, "  cost         %.2f EUR, %.0f cloud node-hours, peak "
		"%ld cloud nodes\n", S->cost, S->node_hours, S->peak_cloud);
	fprintf(stderr, "  references   oracle %.2f EUR (x%.2f), static "
		"%.2f EUR, %ld x %s (x%.2f)\n", S->oracle, ratio(S->cost,
		S->oracle), S->static_cost < 0 ? 0 : S->static_cost,
		S->static_count, S->static_type ? S->static_type : "-",
		ratio(S->cost, S->static_cost));
	fprintf(stderr, "  shortfall    %lld of %lld starts refused (%.3f%%), "
		"%.0f minutes with refusals, %.1f GB-minutes unmet\n",
		S->p.refused, S->p.starts, 100 * ratio((double)S->p.refused,
		(double)S->p.starts), (double)S->p.refusal_steps *
		(double)S->o->step_s / 60, S->p.unmet_gb_min);
	fprintf(stderr, "  actions      %ld up, %ld spare, %ld down, %ld "
		"uncordon; %ld flaps\n", S->actions[1], S->actions[2],
		S->actions[3], S->actions[4], S->flaps);
	if (S->nerr1)
		fprintf(stderr, "  forecast     +1h error %s%% (seasonal-naive "
			"%s%%), +2h %s%% (%s%%)\n",
			json_object_get_string(pp_jget(fe, "mape_1h")),
			json_object_get_string(pp_jget(fe, "naive_mape_1h")),
			json_object_get_string(pp_jget(fe, "mape_2h")),
			json_object_get_string(pp_jget(fe, "naive_mape_2h")));
	else
		fprintf(stderr, "  forecast     no error figures (they need "
			"over a week of trace)\n");
}

/* ---- the picture ------------------------------------------------- */

#define SVG_W 1200
#define SVG_H 420
#define ML 70
#define MR 20
#define MT 40
#define MB 60

static double
nice_step(double range)
{
	double raw = range / 6, mag = pow(10, floor(log10(raw)));

	if (raw / mag < 2)
		return 2 * mag;
	if (raw / mag < 5)
		return 5 * mag;
	return 10 * mag;
}

static void
polyline(struct pp_buf *b, const struct sim *S, int which, const char *color,
	const char *extra)
{
	double pw = SVG_W - ML - MR, ph = SVG_H - MT - MB;

	pp_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"1.5\"%s points=\"", color, extra);
	for (size_t i = 0; i < S->nbins; i++) {
		const struct svgbin *bn = &S->bins[i];
		double v;

		if (!bn->set)
			continue;
		v = which == 0 ? bn->demand : which == 1 ? bn->ready :
			bn->pending;
		pp_buf_printf(b, "%.1f,%.1f ", ML + pw * (double)i /
			(double)S->nbins, MT + ph - ph * v / S->ymax);
	}
	pp_buf_addstr(b, "\"/>\n");
}

static void
write_svg(struct sim *S)
{
	struct pp_buf b = {0};
	double pw = SVG_W - ML - MR, ph = SVG_H - MT - MB;
	time_t t0 = S->d.t0, t1 = S->d.t0 + (time_t)S->d.n * S->d.step;
	double ystep, gbmax;
	long days = (long)((t1 - t0) / 86400) + 1, dstep;
	double y;

	S->ymax *= 1.08;
	gbmax = S->ymax / 1024;
	ystep = nice_step(gbmax);
	pp_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		"font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n", SVG_W, SVG_H);
	pp_buf_printf(&b, "<text x=\"%d\" y=\"18\" font-size=\"14\">pp-sim: "
		"%s — cost %.2f EUR, %lld/%lld starts refused</text>\n", ML,
		S->o->trace, S->cost, S->p.refused, S->p.starts);
	for (y = 0; y <= gbmax; y += ystep) {
		double py = MT + ph - ph * y / gbmax;

		pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n", ML, SVG_W - MR, py,
			py, ML - 6, py + 4, y);
	}
	pp_buf_printf(&b, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 "
		"%d)\" text-anchor=\"middle\">RAM (GB)</text>\n",
		MT + (SVG_H - MT - MB) / 2, MT + (SVG_H - MT - MB) / 2);
	dstep = days <= 10 ? 1 : days <= 30 ? 7 : days <= 120 ? 14 : 30;
	for (time_t t = t0 - t0 % 86400 + 86400; t < t1;
	     t += 86400 * dstep) {
		double px = ML + pw * (double)(t - t0) / (double)(t1 - t0);
		char buf[PP_TIME_LEN];

		pp_format_time(t, buf, sizeof buf);
		buf[10] = '\0';
		pp_buf_printf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
			"y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">%s</text>\n", px, px, MT,
			SVG_H - MB, px, SVG_H - MB + 16, buf);
	}
	pp_buf_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		"time (UTC)</text>\n", ML + (int)pw / 2, SVG_H - MB + 34);
	y = MT + ph - ph * (double)S->ded_mb / S->ymax;
	pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#555\" stroke-dasharray=\"6 3\"/>\n", ML, SVG_W - MR,
		y, y);
	polyline(&b, S, 2, "#f0a030", " stroke-dasharray=\"3 2\"");
	polyline(&b, S, 1, "#2a7ab9", "");
	polyline(&b, S, 0, "#c0392b", "");
	for (size_t i = 0; i < S->nacts; i++) {
		const struct act *a = &S->acts[i];
		double px = ML + pw * (double)(a->t - t0) / (double)(t1 - t0);
		const char *c = a->kind == PP_ACT_SCALE_DOWN ? "#8e44ad" :
			a->kind == PP_ACT_PROVISION_SPARE ? "#16a085" :
			a->kind == PP_ACT_UNCORDON ? "#7f8c8d" : "#27ae60";
		int up = a->kind != PP_ACT_SCALE_DOWN;

		pp_buf_printf(&b, "<path d=\"M%.1f %d l-3 %d h6 z\" fill=\"%s\">"
			"<title>%s</title></path>\n", px, SVG_H - MB - (up ? 0 :
			6), up ? -6 : 6, c, pp_action_name(a->kind));
	}
	pp_buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" "
		"height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT, pw,
		ph);
	{
		static const struct {
			const char *c, *t, *dash;
		} L[] = {
			{"#c0392b", "demand", ""},
			{"#2a7ab9", "ready capacity", ""},
			{"#f0a030", "ready + pending", "3 2"},
			{"#555", "dedicated base", "6 3"},
			{"#27ae60", "\xe2\x96\xb2 scale-up", NULL},
			{"#16a085", "\xe2\x96\xb2 spare", NULL},
			{"#8e44ad", "\xe2\x96\xbc scale-down", NULL},
		};
		int x = ML + 10;

		for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
			if (L[i].dash)
				pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" "
					"y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
					"stroke-width=\"2\" stroke-dasharray="
					"\"%s\"/>", x, x + 20, MT - 10, MT - 10,
					L[i].c, L[i].dash);
			pp_buf_printf(&b, "<text x=\"%d\" y=\"%d\" fill=\"%s\">"
				"%s</text>\n", x + (L[i].dash ? 24 : 0),
				MT - 6, L[i].dash ? "#000" : L[i].c, L[i].t);
			x += 150;
		}
	}
	pp_buf_addstr(&b, "</svg>\n");
	if (pp_write_atomic(S->o->svg, b.s, b.len, 0644) < 0)
		pp_die(PP_EXIT_FAIL, "cannot write '%s':", S->o->svg);
	pp_buf_free(&b);
}

json_object *
pp_sim_run(const struct pp_config *cfg, const struct pp_sim_opts *o)
{
	struct sim *S = pp_xcalloc(1, sizeof *S);
	double t0 = pp_monotonic();
	json_object *r;

	S->cfg = cfg;
	S->o = o;
	demand_load(&S->d, o);
	S->ded_mb = (long long)(o->dedicated_gb * 1024) -
		o->dedicated_reserved_mb;
	S->ded_mb = S->ded_mb < 0 ? 0 : S->ded_mb * o->dedicated_nodes;
	S->scale = S->d.peak > 0 ? o->peak_ratio * (double)S->ded_mb /
		S->d.peak : 0;
	pp_catalog_from_config(cfg, &S->cat);
	if (best_eur_per_gb(S) < 0)
		pp_die(PP_EXIT_USAGE, "no allowed server type has a price in "
			"the configured locations");
	if (o->svg) {
		S->nbins = S->d.n < 1600 ? S->d.n : 1600;
		S->bins = pp_xcalloc(S->nbins, sizeof *S->bins);
	}
	main_run(S);
	oracle_run(S);
	if (o->no_static)
		S->static_cost = -1;
	else
		static_run(S);
	r = report(S, pp_monotonic() - t0);
	summary(S, r);
	if (o->svg)
		write_svg(S);
	platform_free(&S->p);
	pp_history_free(&S->hist);
	json_object_put(S->state);
	pp_catalog_free(&S->cat);
	demand_free(&S->d);
	free(S->acts);
	free(S->bins);
	free(S);
	return r;
}
