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
#include "run/sim_int.h"
#include "run/trace.h"
#include "base/util.h"

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
	/* the shipped cron line and timer run every two minutes */
	o->cycle_s = 120;
	o->scale_pct = 100;
	o->warmup_s = 3600;
	o->target_pct = 70;
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

json_object *
pp_sim_run(const struct pp_config *cfg, const struct pp_sim_opts *o)
{
	struct sim *S = pp_xcalloc(1, sizeof *S);
	double t0 = pp_monotonic();
	json_object *r;

	S->cfg = cfg;
	S->o = o;
	/* the engine's local time: set the zone once for the whole run,
	 * instead of a tzset per quarter hour of simulated time */
	setenv("TZ", cfg->timezone && *cfg->timezone ? cfg->timezone : "UTC",
		1);
	tzset();
	pp_sim_demand_load(&S->d, o);
	S->ded_mb = (long long)(o->dedicated_gb * 1024) -
		o->dedicated_reserved_mb;
	S->ded_mb = S->ded_mb < 0 ? 0 : S->ded_mb * o->dedicated_nodes;
	S->scale_base = pp_sim_demand_percentile(&S->d, o->scale_pct);
	S->scale = S->scale_base > 0 ? o->peak_ratio * (double)S->ded_mb /
		S->scale_base : 0;
	pp_catalog_from_config(cfg, &S->cat);
	for (size_t i = 0; i < o->nmix; i++)
		if (o->mix_mb[i] > S->big_mb)
			S->big_mb = o->mix_mb[i];
	if (pp_sim_best_eur_per_gb(S) < 0)
		pp_die(PP_EXIT_USAGE, "no allowed server type has a price in "
			"the configured locations");
	if (o->svg) {
		S->nbins = S->d.n < 1600 ? S->d.n : 1600;
		S->bins = pp_xcalloc(S->nbins, sizeof *S->bins);
	}
	pp_sim_main_run(S);
	pp_sim_oracle_run(S);
	if (o->no_static) {
		S->static_cost = -1;
		S->stat0.cost = S->stateq.cost = -1;
	}
	else
		pp_sim_static_run(S);
	r = pp_sim_report(S, pp_monotonic() - t0);
	pp_sim_summary(S, r);
	if (o->svg)
		pp_sim_write_svg(S);
	pp_sim_platform_free(&S->p);
	pp_history_free(&S->hist);
	json_object_put(S->state);
	pp_catalog_free(&S->cat);
	pp_sim_demand_free(&S->d);
	free(S->acts);
	free(S->bins);
	free(S);
	return r;
}
