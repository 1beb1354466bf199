/* pp-sim's platform: game servers of the configured sizes start, stop
 * and end their sessions to follow demand; a start fits on one ready
 * node or is refused. */
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
#include "engine/placement.h"
#include "store/history.h"
#include "store/registry.h"
#include "run/sim.h"
#include "run/sim_int.h"
#include "run/trace.h"
#include "base/util.h"

/* ---- the platform ------------------------------------------------ */

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

void
pp_sim_platform_init(struct platform *p, const struct pp_sim_opts *o)
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

void
pp_sim_platform_free(struct platform *p)
{
	free(p->n);
	free(p->s);
	free(p->wait);
}

int
pp_sim_add_node(struct platform *p, const struct pp_server_type *t,
	double hourly, double monthly, long long reserved, int role,
	time_t now, long boot, long serial)
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

void
pp_sim_compact(struct platform *p)
{
	int *map;
	size_t k = 0;

	for (k = 0; k < p->nn && p->n[k].status != N_GONE; k++)
		;
	if (k == p->nn)
		return;
	/* a gone node holds no game server; the others keep their order
	 * (the placement's and the engine's ties go by it) */
	map = pp_xcalloc(p->nn, sizeof *map);
	k = 0;
	for (size_t i = 0; i < p->nn; i++) {
		map[i] = -1;
		if (p->n[i].status == N_GONE)
			continue;
		if (k != i)
			p->n[k] = p->n[i];
		map[i] = (int)k++;
	}
	for (size_t i = 0; i < p->ns; i++)
		p->s[i].node = map[p->s[i].node];
	p->nn = k;
	free(map);
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
		cls = n->kind == PP_KIND_DEDICATED ? 0 : pp_idle_spare(
			n->kind, n->status, n->role, n->used) ? 2 : 1;
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
 * when demand falls and start when it rises. A start that fits on no
 * node is refused, and that game server waits and tries again every
 * step (each try a refused start) until it starts or demand no longer
 * wants it. */
void
pp_sim_platform_step(struct platform *p, double demand_mb, time_t now,
	long step)
{
	size_t kept = 0;

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
	/* demand fell: the newest waiting ones are no longer wanted. Over
	 * half a server, not at it: a start asks at half a server, so at
	 * exactly half one would go and a new one be asked for (and
	 * counted) every step */
	while (p->nwait && (double)(p->running_mb + p->wait_mb) - demand_mb >
	    p->wait[p->nwait - 1] / 2.0)
		p->wait_mb -= p->wait[--p->nwait];
	/* the waiting ones try again, oldest first */
	for (size_t i = 0; i < p->nwait; i++) {
		long mb = p->wait[i];
		int node = place_on(p, mb, -1);

		p->starts++;
		if (node < 0) {
			p->refused++;
			p->refused_now = 1;
			p->wait[kept++] = mb;
			continue;
		}
		p->wait_mb -= mb;
		start_server(p, node, mb, now);
	}
	p->nwait = kept;
	while (demand_mb - (double)(p->running_mb + p->wait_mb) >=
	    p->next_mb / 2.0) {
		int node = place_on(p, p->next_mb, -1);

		p->starts++;
		p->servers++;
		if (node < 0) {
			char t[PP_TIME_LEN];

			if (!p->quiet)
				pp_trace("%s: a %ld MB game server is refused: "
					"no node has room (%lld of %lld MB "
					"running)", pp_format_time(now, t,
					sizeof t), p->next_mb,
					(long long)p->running_mb,
					(long long)demand_mb);
			p->refused++;
			p->refused_servers++;
			p->refused_now = 1;
			if (p->nwait == p->wcap) {
				p->wcap = p->wcap ? p->wcap * 2 : 64;
				p->wait = pp_xreallocarray(p->wait, p->wcap,
					sizeof *p->wait);
			}
			p->wait[p->nwait++] = p->next_mb;
			p->wait_mb += p->next_mb;
		} else {
			start_server(p, node, p->next_mb, now);
		}
		p->next_mb = draw_size(p);
	}
	p->waited_server_min += (double)p->nwait * (double)step / 60.0;
	if (p->refused_now) {
		p->refusal_steps++;
		p->unmet_gb_min += (demand_mb - (double)p->running_mb) /
			1024.0 * (double)step / 60.0;
	}
}

struct onnode {
	long long mb;
	size_t i;      /* index in p->s */
};

static int
cmp_onnode(const void *a, const void *b)
{
	const struct onnode *x = a, *y = b;

	if (x->mb != y->mb)
		return x->mb < y->mb ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Moves the servers off node k onto the other ready nodes by the drain
 * plan's own fit (pp_place_fit, idle spares last), all or nothing as
 * pp-drain does; returns how many stayed behind. */
long
pp_sim_evacuate(struct platform *p, int k)
{
	size_t n = 0, nbins = 0, placed;
	struct onnode *idx;
	size_t *to, *binnode;
	long long *sizes;
	struct pp_bin *bins;

	if (!p->n[k].nserv)
		return 0;
	idx = pp_xcalloc((size_t)p->n[k].nserv, sizeof *idx);
	for (size_t i = 0; i < p->ns; i++)
		if (p->s[i].node == k)
			idx[n++] = (struct onnode){p->s[i].mb, i};
	qsort(idx, n, sizeof *idx, cmp_onnode);
	sizes = pp_xcalloc(n, sizeof *sizes);
	to = pp_xcalloc(n, sizeof *to);
	for (size_t i = 0; i < n; i++)
		sizes[i] = idx[i].mb;
	bins = pp_xcalloc(p->nn, sizeof *bins);
	binnode = pp_xcalloc(p->nn, sizeof *binnode);
	for (size_t i = 0; i < p->nn; i++) {
		const struct snode *d = &p->n[i];

		if ((int)i == k || d->status != PP_ST_READY)
			continue;
		bins[nbins].id = d->id;
		bins[nbins].free = d->usable - d->used;
		bins[nbins].spare = pp_idle_spare(d->kind, d->status, d->role,
			d->used);
		binnode[nbins++] = i;
	}
	placed = pp_place_fit(bins, nbins, sizes, n, to);
	if (placed == n) {
		p->moves += (long long)n;
		for (size_t i = 0; i < n; i++) {
			struct server *s = &p->s[idx[i].i];
			size_t dst = binnode[to[i]];

			p->n[k].used -= s->mb;
			p->n[k].nserv--;
			p->n[dst].used += s->mb;
			p->n[dst].nserv++;
			s->node = (int)dst;
		}
	}
	free(idx);
	free(sizes);
	free(to);
	free(bins);
	free(binnode);
	return placed == n ? 0 : (long)n;
}

