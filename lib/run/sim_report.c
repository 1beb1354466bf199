/* pp-sim's report (JSON on stdout) and summary (stderr). */
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

/* ---- the report -------------------------------------------------- */

double
pp_sim_ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static json_object *
num(double v, int digits)
{
	return pp_jnew_double(v, digits);
}

json_object *
pp_sim_report(struct sim *S, double elapsed)
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
	{
		const struct pp_policy *pols[32];
		size_t np = pp_engine_policies(S->cfg, pols, 32);

		/* every policy in the engine's table that is on */
		for (size_t i = 0; i < np; i++)
			if (pp_policy_enabled(S->cfg, pols[i]))
				json_object_array_add(a,
					json_object_new_string(pols[i]->name));
	}
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
	json_object_object_add(x, "drain_s", json_object_new_int64(o->drain_s));
	json_object_object_add(x, "strategy", json_object_new_string(
		pp_sim_strategy_name(o->strategy)));
	if (o->strategy == PP_STRAT_TARGET)
		json_object_object_add(x, "target_percent",
			num(o->target_pct, 1));
	json_object_object_add(x, "warmup_s",
		json_object_new_int64(o->warmup_s));
	json_object_object_add(x, "samples", json_object_new_string(
		o->interpolate ? "interpolated" : "held"));
	json_object_object_add(x, "scale_percentile", num(o->scale_pct, 2));
	json_object_object_add(x, "scale_value", num(S->scale_base, 3));
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
		num(100 * pp_sim_ratio((double)p->refused,
		(double)p->starts), 3));
	json_object_object_add(r, "refusal_minutes", num((double)
		p->refusal_steps * (double)o->step_s / 60.0, 0));
	json_object_object_add(r, "unmet_gb_minutes", num(p->unmet_gb_min, 1));
	json_object_object_add(r, "servers", json_object_new_int64(
		p->servers));
	json_object_object_add(r, "refused_servers", json_object_new_int64(
		p->refused_servers));
	json_object_object_add(r, "refused_servers_percent", num(100 *
		pp_sim_ratio((double)p->refused_servers, (double)p->servers),
		3));
	json_object_object_add(r, "waited_server_minutes",
		num(p->waited_server_min, 0));
	x = json_object_new_object();
	for (int k = PP_ACT_SCALE_UP; k <= PP_ACT_UNCORDON; k++)
		json_object_object_add(x, pp_action_name(k),
			json_object_new_int64(S->actions[k]));
	json_object_object_add(r, "actions", x);
	json_object_object_add(r, "actions_total", json_object_new_int64(
		S->actions[1] + S->actions[2] + S->actions[3] +
		S->actions[4]));
	json_object_object_add(r, "flaps", json_object_new_int64(S->flaps));
	json_object_object_add(r, "moves", json_object_new_int64(p->moves));
	json_object_object_add(r, "moves_per_day", num(pp_sim_ratio(
		(double)p->moves, (double)S->d.n * (double)o->step_s /
		86400.0), 2));
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
	x = json_object_new_object();
	json_object_object_add(x, "server_type", S->stateq.type ?
		json_object_new_string(S->stateq.type) : NULL);
	json_object_object_add(x, "count",
		json_object_new_int64(S->stateq.count));
	json_object_object_add(x, "cost_eur", S->stateq.cost < 0 ? NULL :
		num(S->stateq.cost, 4));
	json_object_object_add(x, "refused_starts",
		json_object_new_int64(S->stateq.refused));
	json_object_object_add(r, "static_equal_refusals", x);
	json_object_object_add(r, "cost_over_static_equal",
		S->stateq.cost <= 0 ? NULL : num(pp_sim_ratio(S->cost,
		S->stateq.cost), 3));
	json_object_object_add(r, "cost_over_oracle",
		num(pp_sim_ratio(S->cost, S->oracle), 3));
	json_object_object_add(r, "cost_over_static", S->static_cost < 0 ?
		NULL : num(pp_sim_ratio(S->cost, S->static_cost), 3));

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
	json_object_object_add(x, "persistence_mape_1h", S->nerr1 ?
		num(100 * S->pape1 / (double)S->nerr1, 2) : NULL);
	json_object_object_add(x, "persistence_mape_2h", S->nerr2 ?
		num(100 * S->pape2 / (double)S->nerr2, 2) : NULL);
	json_object_object_add(x, "points",
		json_object_new_int64(S->nerr1));
	json_object_object_add(r, "forecast_error", x);
	json_object_object_add(r, "elapsed_s", num(elapsed, 3));
	return r;
}

void
pp_sim_summary(struct sim *S, json_object *r)
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

		fprintf(stderr, "  long gap %s .. %s (%.1f h), %s\n",
			pp_format_time(S->d.gaps[i].from, a, sizeof a),
			pp_format_time(S->d.gaps[i].to, b, sizeof b),
			(double)(S->d.gaps[i].to - S->d.gaps[i].from) / 3600,
			S->o->interpolate ? "interpolated" : "held");
	}
	fprintf(stderr, "  cost         %.2f EUR, %.0f cloud node-hours, peak "
		"%ld cloud nodes\n", S->cost, S->node_hours, S->peak_cloud);
	fprintf(stderr, "  references   oracle %.2f EUR (x%.2f), static "
		"%.2f EUR, %ld x %s (x%.2f)\n", S->oracle, pp_sim_ratio(S->cost,
		S->oracle), S->static_cost < 0 ? 0 : S->static_cost,
		S->static_count, S->static_type ? S->static_type : "-",
		pp_sim_ratio(S->cost, S->static_cost));
	fprintf(stderr, "  shortfall    %lld of %lld starts refused (%.3f%%), "
		"%.0f minutes with refusals, %.1f GB-minutes unmet\n",
		S->p.refused, S->p.starts, 100 * pp_sim_ratio(
		(double)S->p.refused,
		(double)S->p.starts), (double)S->p.refusal_steps *
		(double)S->o->step_s / 60, S->p.unmet_gb_min);
	fprintf(stderr, "  game servers %lld of %lld refused (%.3f%%), "
		"%.0f server-minutes waited; decided every %ld s\n",
		S->p.refused_servers, S->p.servers, 100 * pp_sim_ratio(
		(double)S->p.refused_servers, (double)S->p.servers),
		S->p.waited_server_min, S->o->cycle_s);
	if (S->stateq.cost >= 0)
		fprintf(stderr, "  equal-refusal static %.2f EUR, %ld x %s, "
			"%lld starts refused (x%.2f)\n", S->stateq.cost,
			S->stateq.count, S->stateq.type, S->stateq.refused,
			pp_sim_ratio(S->cost, S->stateq.cost));
	fprintf(stderr, "  actions      %ld up, %ld spare, %ld down, %ld "
		"uncordon; %ld flaps; %lld game servers moved\n",
		S->actions[1], S->actions[2], S->actions[3], S->actions[4],
		S->flaps, S->p.moves);
	if (S->nerr1)
		fprintf(stderr, "  forecast     +1h error %s%% (seasonal-naive "
			"%s%%, persistence %s%%), +2h %s%% (%s%%, %s%%)\n",
			json_object_get_string(pp_jget(fe, "mape_1h")),
			json_object_get_string(pp_jget(fe, "naive_mape_1h")),
			json_object_get_string(pp_jget(fe,
			"persistence_mape_1h")),
			json_object_get_string(pp_jget(fe, "mape_2h")),
			json_object_get_string(pp_jget(fe, "naive_mape_2h")),
			json_object_get_string(pp_jget(fe,
			"persistence_mape_2h")));
	else
		fprintf(stderr, "  forecast     no error figures (they need "
			"over a week of trace)\n");
}

