/* forecast.c: the demand forecast (allocated RAM ahead) from the history
 * store, the document's `forecast` section, and the external source */
#ifndef PP_FORECAST_H
#define PP_FORECAST_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "store/history.h"

struct pp_config;

#define PP_FORECAST_MAX 16
/* A hole in the history longer than this is not interpolated across. */
#define PP_FORECAST_MAX_GAP 3600L
/* Least history the built-in forecast rests on. */
#define PP_FORECAST_MIN_HISTORY 86400L

struct pp_forecast_point {
	long horizon_s;
	double allocated_mb;
};

struct pp_forecast {
	const char *source;   /* "builtin" or "external" */
	char method[48];      /* "seasonal-weekly", "seasonal-daily", "none" */
	double history_hours; /* span of the history it rests on */
	size_t samples;
	double level_mb;      /* current allocated RAM (recent mean) */
	size_t n;             /* 0 when there is no forecast */
	struct pp_forecast_point at[PP_FORECAST_MAX];
	char note[256];       /* why there is none, or why it fell back */
	double rise_mb;       /* largest rise seen at this time of day
			       * (pp_history_rise); -1 not computed */
	long rise_window_s;   /* the window it rose within */
	double step_mb;       /* the rise within the last step_window_s
			       * (pp_history_step); -1 not computed */
	long step_window_s;
	int ascending;        /* at[] by horizon_s, never falling (set by
			       * pp_forecast_builtin and _from_json; 0:
			       * pp_forecast_first_over asks
			       * pp_forecast_value at every step) */
};

/* Allocated RAM at time t, interpolated between the samples around it;
 * -1 when t lies outside the history or in a gap longer than an hour. */
double pp_history_value_at(const struct pp_history *h, time_t t);

/* Days back, and the span around this time of day on each of them,
 * that pp_history_rise looks at. */
#define PP_RISE_DAYS 7
#define PP_RISE_SPAN 3600L

/* The largest rise of allocated RAM within `window` seconds that the
 * history shows in the last PP_RISE_SPAN before now and, on each of
 * the PP_RISE_DAYS days before, from PP_RISE_SPAN before to
 * PP_RISE_SPAN after this local time of day (in zone tz, NULL: UTC, as
 * the forecast's profile): how much a demand step at this hour has
 * taken at once. 0 when the history shows no rise (or none). */
double pp_history_rise(const struct pp_history *h, time_t now,
	const char *tz, long window);

/* How far allocated RAM rose within the last `window` seconds: the
 * newest sample at or before now less the lowest in the window before
 * it. A step the forecast has never seen shows here while it runs. 0
 * when there is no sample in the window, or no rise. */
double pp_history_step(const struct pp_history *h, time_t now, long window);

/* The built-in forecast at now for the given horizons (seconds); its
 * profile is the same local time in zone tz (NULL: UTC) a day or a
 * week back. */
void pp_forecast_builtin(const struct pp_history *h, time_t now,
	const char *tz, const long *horizons, size_t nh,
	struct pp_forecast *f);

/* What the built-in forecast keeps between calls on a history that only
 * grows (pp-sim's): the level corrections' sums over the last hour, so
 * that a call a minute later adds the new sample's difference and drops
 * the oldest instead of walking the hour again. The same forecast to
 * the bit: the memo's sum is used only while every difference in it is
 * a whole number of MB (then any order sums exactly, as the walk's
 * double does); otherwise the hour is walked. Zero it before the first
 * call. */
struct pp_corr_memo {
	int valid;
	unsigned long gen;
	long period;
	time_t now, last_t;     /* the hour (now - 1 h, now]; its newest
				 * sample */
	long long sum;          /* of the whole differences */
	size_t k, inexact;      /* differences counted; how many of them
				 * are not whole */
};
struct pp_forecast_memo {
	struct pp_corr_memo weekly, daily;
};
void pp_forecast_builtin_memo(const struct pp_history *h, time_t now,
	const char *tz, const long *horizons, size_t nh,
	struct pp_forecast *f, struct pp_forecast_memo *m);

/* The forecast at any horizon: interpolated between the computed ones,
 * the nearest one beyond them. Returns -1 when there is no forecast. */
double pp_forecast_value(const struct pp_forecast *f, long horizon_s);

/* The first of step, 2 step, ... up to horizon at which the forecast
 * (pp_forecast_value) exceeds limit_mb; -1 when none does. */
long pp_forecast_first_over(const struct pp_forecast *f, double limit_mb,
	long step, long horizon);

/* Reads a forecast from JSON: the document's own section, or an
 * external answer in the same shape ({"at":[{"horizon_s":..,
 * "allocated_ram_mb":..}]} or the "ram_1h_mb"/"ram_2h_mb" fields).
 * Returns 0, or -1 with a message when it holds no usable figure. */
int pp_forecast_from_json(json_object *o, struct pp_forecast *f, char *err,
	size_t errlen);
json_object *pp_forecast_json(const struct pp_forecast *f);

/* The horizons to forecast: forecast.horizons plus the predictive
 * policy's lead time and horizon, sorted, without duplicates (at most
 * PP_FORECAST_MAX). */
size_t pp_forecast_horizons(const struct pp_config *cfg, long *hz);

/* What pp-fleetstats puts into the document: the external forecast
 * when forecast.url is set and answers, else the built-in one (saying
 * why). */
json_object *pp_forecast_section(const struct pp_config *cfg,
	const struct pp_history *h, time_t now);

#endif
