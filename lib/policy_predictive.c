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

#include "config.h"
#include "policy_predictive.h"

/* Steps at which the forecast is scanned for the first crossing. */
#define SCAN_STEP 300L

static long
first_crossing(const struct pp_forecast *f, double limit_mb, long horizon)
{
	for (long h = SCAN_STEP; h <= horizon; h += SCAN_STEP) {
		double v = pp_forecast_value(f, h);

		if (v >= 0 && v > limit_mb)
			return h;
	}
	return -1;
}

void
pp_predictive_up(const struct pp_config *cfg, const struct pp_forecast *f,
	double capacity_mb, struct pp_predictive_verdict *v)
{
	long lead = cfg->predictive.provisioning_time + cfg->predictive.margin;
	double th = cfg->predictive.threshold / 100.0;
	double fc;

	memset(v, 0, sizeof *v);
	v->urgency = "low";
	v->shortfall_in = -1;
	if (!f->n) {
		snprintf(v->reason, sizeof v->reason, "no forecast (%.100s)",
			f->note[0] ? f->note : f->method);
		return;
	}
	fc = pp_forecast_value(f, lead);
	v->forecast_mb = fc;
	v->shortfall_in = first_crossing(f, th * capacity_mb,
		cfg->predictive.horizon);
	if (fc <= th * capacity_mb) {
		snprintf(v->reason, sizeof v->reason, "forecast %.0f MB in "
			"%ld min within %.0f%% of %.0f MB", fc, lead / 60,
			cfg->predictive.threshold, capacity_mb);
		return;
	}
	v->up = 1;
	v->need_mb = fc / th - capacity_mb;
	if (v->shortfall_in < 0 || v->shortfall_in > lead)
		v->shortfall_in = lead;
	if (pp_forecast_value(f, cfg->predictive.provisioning_time) >
	    capacity_mb)
		v->urgency = "critical";
	else if (v->shortfall_in <= cfg->predictive.provisioning_time)
		v->urgency = "high";
	else
		v->urgency = "medium";
	snprintf(v->reason, sizeof v->reason, "forecast %.0f MB in %ld min "
		"over %.0f%% of %.0f MB", fc, lead / 60,
		cfg->predictive.threshold, capacity_mb);
}

void
pp_predictive_veto(const struct pp_config *cfg,
	const struct pp_forecast *f, double capacity_after_mb,
	double up_threshold, struct pp_predictive_verdict *v)
{
	long h;

	memset(v, 0, sizeof *v);
	v->urgency = "low";
	v->shortfall_in = -1;
	if (!f->n) {
		snprintf(v->reason, sizeof v->reason, "no forecast to veto "
			"with");
		return;
	}
	h = first_crossing(f, up_threshold / 100.0 * capacity_after_mb,
		cfg->predictive.horizon);
	if (h < 0) {
		snprintf(v->reason, sizeof v->reason, "forecast stays under "
			"%.0f%% of %.0f MB for %ld min", up_threshold,
			capacity_after_mb, cfg->predictive.horizon / 60);
		return;
	}
	v->veto = 1;
	v->shortfall_in = h;
	v->forecast_mb = pp_forecast_value(f, h);
	snprintf(v->reason, sizeof v->reason, "forecast %.0f MB in %ld min "
		"over %.0f%% of %.0f MB after removal", v->forecast_mb, h / 60,
		up_threshold, capacity_after_mb);
}
