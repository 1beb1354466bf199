/* The predictive policy: scale up now when the forecast at now +
 * provisioning time + margin (the lead time: a server ordered now is
 * ready then) exceeds the threshold percent of the capacity, ready plus
 * pending. count covers the forecast at the threshold. Urgency says how
 * soon the shortfall comes: critical when the forecast overruns the
 * whole capacity before a new server could be ready, high when it
 * crosses the threshold within the provisioning time, medium within the
 * lead time, low later. It never scales down by itself; it vetoes a
 * scale-down when the forecast brings the load back over the scale-up
 * threshold within its horizon. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "engine/policy_predictive.h"
#include "engine/settings.h"

/* Steps at which the forecast is scanned for the first crossing. */
#define SCAN_STEP 300L

static long
first_crossing(const struct pp_forecast *f, double limit_mb, long horizon)
{
	return pp_forecast_first_over(f, limit_mb, SCAN_STEP, horizon);
}

void
pp_predictive_up(const struct pp_config *cfg, const struct pp_forecast *f,
	double capacity_mb, int quiet, struct pp_predictive_verdict *v)
{
	const struct pp_predictive_conf *predictive = pp_predictive_conf(cfg);
	long lead = predictive->provisioning_time + predictive->margin;
	double th = predictive->threshold / 100.0;
	double fc;

	memset(v, 0, sizeof *v);
	v->urgency = "low";
	v->shortfall_in = -1;
	if (!f->n) {
		if (!quiet)
			snprintf(v->reason, sizeof v->reason, "no forecast "
				"(%.100s)", f->note[0] ? f->note : f->method);
		return;
	}
	fc = pp_forecast_value(f, lead);
	v->forecast_mb = fc;
	v->shortfall_in = first_crossing(f, th * capacity_mb,
		predictive->horizon);
	if (fc <= th * capacity_mb) {
		if (!quiet)
			snprintf(v->reason, sizeof v->reason, "forecast %.0f "
				"MB in %ld min within %.0f%% of %.0f MB", fc,
				lead / 60, predictive->threshold,
				capacity_mb);
		return;
	}
	v->up = 1;
	v->need_mb = fc / th - capacity_mb;
	if (v->shortfall_in < 0 || v->shortfall_in > lead)
		v->shortfall_in = lead;
	if (pp_forecast_value(f, predictive->provisioning_time) >
	    capacity_mb)
		v->urgency = "critical";
	else if (v->shortfall_in <= predictive->provisioning_time)
		v->urgency = "high";
	else
		v->urgency = "medium";
	snprintf(v->reason, sizeof v->reason, "forecast %.0f MB in %ld min "
		"over %.0f%% of %.0f MB", fc, lead / 60,
		predictive->threshold, capacity_mb);
}

void
pp_predictive_veto(const struct pp_config *cfg,
	const struct pp_forecast *f, double capacity_after_mb,
	double up_threshold, int quiet, struct pp_predictive_verdict *v)
{
	const struct pp_predictive_conf *predictive = pp_predictive_conf(cfg);
	long h;

	memset(v, 0, sizeof *v);
	v->urgency = "low";
	v->shortfall_in = -1;
	if (!f->n) {
		if (!quiet)
			snprintf(v->reason, sizeof v->reason, "no forecast "
				"to veto with");
		return;
	}
	h = first_crossing(f, up_threshold / 100.0 * capacity_after_mb,
		predictive->horizon);
	if (h < 0) {
		if (!quiet)
			snprintf(v->reason, sizeof v->reason, "forecast stays "
				"under %.0f%% of %.0f MB for %ld min",
				up_threshold, capacity_after_mb,
				predictive->horizon / 60);
		return;
	}
	v->veto = 1;
	v->shortfall_in = h;
	v->forecast_mb = pp_forecast_value(f, h);
	snprintf(v->reason, sizeof v->reason, "forecast %.0f MB in %ld min "
		"over %.0f%% of %.0f MB after removal", v->forecast_mb, h / 60,
		up_threshold, capacity_after_mb);
}

/* ---- the engine's hooks ------------------------------------------- */

#include "base/json.h"
#include "engine/engine.h"
#include "store/registry.h"

/* Its keys, under policies.predictive. */
#define K(f, ...) PP_KEY(struct pp_predictive_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key keys[] = {
	PP_POLICY_KEYS(struct pp_predictive_conf, "true", "20"),
	K(threshold, PP_T_DOUBLE, "80", "scale up when the "
		"forecast exceeds this percent", .range = PP_PERCENT_ABOVE_0),
	K(horizon, PP_T_DUR, "2h", "how far ahead to look"),
	K(provisioning_time, PP_T_DUR, "5m", "time a new "
		"server needs"),
	K(margin, PP_T_DUR, "10m", "extra lead time"),
	{.path = NULL},
};
#undef K

static const struct pp_conf_section section = {
	"predictive", "scale ahead of the forecast",
	sizeof(struct pp_predictive_conf), keys, NULL,
};

const struct pp_predictive_conf *
pp_predictive_conf(const struct pp_config *cfg)
{
	return pp_policy_settings(cfg, &pp_policy_predictive);
}

static int
urgency(const char *u)
{
	if (!strcmp(u, "critical"))
		return PP_URG_CRITICAL;
	if (!strcmp(u, "high"))
		return PP_URG_HIGH;
	if (!strcmp(u, "medium"))
		return PP_URG_MEDIUM;
	return PP_URG_LOW;
}

static int
load(const struct pp_engine_ctx *c, struct pp_forecast *f,
	struct pp_verdict *v)
{
	char err[256];

	if (c->fc) {
		if (c->fc->n)
			*f = *c->fc;
		else
			pp_verdict_say(c, v, "no forecast: "
				"%.200s", c->fc->note[0] ? c->fc->note :
				"it has no figures");
		return c->fc->n ? 0 : -1;
	}
	if (!c->forecast || pp_forecast_from_json(c->forecast, f, err,
	    sizeof err) < 0) {
		pp_verdict_say(c, v, "no forecast: %s",
			c->forecast ? pp_jstr(c->forecast, "note",
			"it has no figures") : "the document has none");
		return -1;
	}
	return 0;
}

static void
should_up(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	const struct pp_predictive_conf *predictive =
		pp_predictive_conf(c->cfg);
	struct pp_forecast f;
	struct pp_predictive_verdict pv;
	double cap = (double)(c->total_mb + c->pending_mb);
	long long usable = c->worker_type.ok ? c->worker_type.usable_mb : 0;

	(void)p;
	(void)mine;
	if (load(c, &f, v) < 0)
		return;
	pp_predictive_up(c->cfg, &f, cap, c->lean, &pv);
	pp_figure_num(v, "forecast_mb", pv.forecast_mb, 0);
	pp_figure_int(v, "lead_s", predictive->provisioning_time +
		predictive->margin);
	pp_figure_num(v, "capacity_mb", cap, 0);
	pp_figure_num(v, "threshold", predictive->threshold, 2);
	pp_figure_int(v, "shortfall_in_s", pv.shortfall_in);
	if (!pv.up) {
		pp_verdict_say(c, v, "%s", pv.reason);
		return;
	}
	v->verdict = PP_V_UP;
	v->action = PP_ACT_SCALE_UP;
	v->urgency = urgency(pv.urgency);
	v->count = usable > 0 ? (long)pp_dclamp(ceil(pv.need_mb /
		(double)usable), 1, PP_RAM_MAX_MB) : 1;
	if (v->count < 1)
		v->count = 1;
	pp_verdict_say(c, v, "%.150s (urgency %s, %ld x "
		"%.20s)", pv.reason, pv.urgency, v->count, c->worker_type.ok ?
		c->worker_type.type : "?");
}

static void
should_down(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	struct pp_forecast f;
	struct pp_predictive_verdict pv;
	long long smallest = 0;

	(void)p;
	(void)mine;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (n->kind == PP_KIND_CLOUD && n->status == PP_ST_READY &&
		    (!smallest || n->usable_mb < smallest))
			smallest = n->usable_mb;
	}
	if (!smallest || load(c, &f, v) < 0)
		return;
	pp_predictive_veto(c->cfg, &f, (double)(c->total_mb + c->pending_mb
		- smallest), pp_reactive_conf(c->cfg)->up_threshold, c->lean,
		&pv);
	if (pv.veto)
		v->verdict = PP_V_VETO;
	pp_verdict_say(c, v, "%s", pv.reason);
	if (pv.veto) {
		pp_figure_num(v, "forecast_mb", pv.forecast_mb, 0);
		pp_figure_int(v, "back_in_s", pv.shortfall_in);
	}
}

const struct pp_policy pp_policy_predictive = {
	"predictive", &section, should_up, should_down, NULL,
};
