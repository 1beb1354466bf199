/* policy_predictive.c: scale ahead of the forecast (priority 20) */
#ifndef PP_POLICY_PREDICTIVE_H
#define PP_POLICY_PREDICTIVE_H

#include "engine/forecast.h"

struct pp_config;

/* The policy's verdict, from figures alone so that pp-decide and
 * pp-sim share it. */
struct pp_predictive_verdict {
	int up;             /* wants capacity now */
	int veto;           /* a scale-down would be undone by the forecast */
	double need_mb;     /* capacity that covers the forecast at the
	                       threshold, minus what is there */
	double forecast_mb; /* the forecast the verdict rests on */
	long shortfall_in;  /* seconds until the forecast first crosses the
	                       threshold; -1 if it does not */
	const char *urgency; /* "low" .. "critical" */
	char reason[192];
};

/* Scale-up check: capacity_mb is ready plus pending RAM. quiet: no
 * reason unless it acts (pp-sim). */
void pp_predictive_up(const struct pp_config *cfg, const struct pp_forecast *f,
	double capacity_mb, int quiet, struct pp_predictive_verdict *v);
/* Scale-down veto: capacity_after_mb is ready plus pending RAM without
 * the node; up_threshold the percent a scale-up starts at. */
void pp_predictive_veto(const struct pp_config *cfg,
	const struct pp_forecast *f, double capacity_after_mb,
	double up_threshold, int quiet, struct pp_predictive_verdict *v);

#endif
