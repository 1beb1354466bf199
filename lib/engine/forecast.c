/* The built-in forecast: a seasonal profile corrected by the recent
 * level.
 *
 * For a period P (a week when the history covers one, else a day), the
 * forecast at now + h is the allocated RAM at now + h - P (the same
 * minute one period earlier: the profile, which carries the daily and
 * weekly cycle) plus the mean difference between the last hour and the
 * same hour one period earlier (the correction: how far today's level
 * runs above or below the profile, which also carries a linear trend
 * exactly, since a trend shifts both by its slope times P). The weekly
 * profile is used when the history covers a week (it knows the weekend
 * and weekly events such as a game's update day); the daily one fills
 * in before that, or where the week-old profile has a gap.
 * Under 24 hours of history there is no forecast, and the section says
 * so. The external source (forecast.url) replaces it when it answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/forecast.h"
#include "engine/settings.h"
#include "base/http.h"
#include "store/registry.h"
#include "base/util.h"

#define DAY 86400L
#define WEEK (7 * DAY)
/* the window of the level correction */
#define LEVEL_WINDOW 3600L
#define MAX_GAP PP_FORECAST_MAX_GAP
/* weight of the weekly forecast when both are available */
#define WEEKLY_WEIGHT 1.0

double
pp_history_value_at(const struct pp_history *h, time_t t)
{
	size_t lo;
	const struct pp_sample *a, *b;

	if (!h->n || t < h->s[0].t || t > h->s[h->n - 1].t)
		return -1;
	lo = pp_history_first_at(h, t);
	b = &h->s[lo];
	if (b->t == t)
		return (double)b->allocated_mb;
	a = &h->s[lo - 1];
	if (b->t - a->t > MAX_GAP)
		return -1;
	return (double)a->allocated_mb + (double)(b->allocated_mb -
		a->allocated_mb) * (double)(t - a->t) / (double)(b->t - a->t);
}

/* The difference the correction takes for sample i: its RAM less the
 * profile's one period earlier (the same local time). 0 when the
 * sample has none to be compared with. */
static int
corr_term(const struct pp_history *h, size_t i, long period, const char *tz,
	double *term)
{
	time_t rt = pp_local_back(tz, h->s[i].t, period);
	size_t j = pp_history_first_at(h, rt);
	double ref;

	if (j >= h->n || j == 0 || h->s[0].t > rt)
		return 0;
	if (h->s[j].t == rt) {
		ref = (double)h->s[j].allocated_mb;
	} else {
		const struct pp_sample *a = &h->s[j - 1], *b = &h->s[j];

		if (b->t - a->t > MAX_GAP)
			return 0;
		ref = (double)a->allocated_mb + (double)(b->allocated_mb -
			a->allocated_mb) * (double)(rt - a->t) /
			(double)(b->t - a->t);
	}
	*term = (double)h->s[i].allocated_mb - ref;
	return 1;
}

/* Mean difference between the last LEVEL_WINDOW and the same window
 * one period earlier; 0 (and *ok = 0) when they cannot be compared. */
static double
correction(const struct pp_history *h, time_t now, long period,
	const char *tz, int *ok)
{
	double sum = 0, d;
	size_t k = 0;

	for (size_t i = pp_history_first_at(h, now - LEVEL_WINDOW + 1);
	    i < h->n && h->s[i].t <= now; i++) {
		if (!corr_term(h, i, period, tz, &d))
			continue;
		sum += d;
		k++;
	}
	*ok = k > 0;
	return k ? sum / (double)k : 0;
}

/* Differences under 2^40 MB, at most one a minute: the sum of an hour's
 * stays far under 2^53, so it is exact in a double in any order. */
#define WHOLE_MAX 1099511627776.0

static void
memo_count(const struct pp_history *h, size_t i, long period,
	const char *tz, struct pp_corr_memo *m, int sign)
{
	double d;

	if (!corr_term(h, i, period, tz, &d))
		return;
	if (d > -WHOLE_MAX && d < WHOLE_MAX && d == (double)(long long)d)
		m->sum += sign * (long long)d;
	else if (sign > 0)
		m->inexact++;
	else
		m->inexact--;
	if (sign > 0)
		m->k++;
	else
		m->k--;
}

/* correction(), kept up in m while the history only grows. */
static double
correction_memo(const struct pp_history *h, time_t now, long period,
	const char *tz, int *ok, struct pp_corr_memo *m)
{
	time_t from = now - LEVEL_WINDOW;

	if (!m->valid || m->gen != h->gen || m->period != period ||
	    now < m->now || now - m->now >= LEVEL_WINDOW) {
		m->sum = 0;
		m->k = m->inexact = 0;
		m->last_t = from;
		for (size_t i = pp_history_first_at(h, from + 1); i < h->n &&
		    h->s[i].t <= now; i++) {
			memo_count(h, i, period, tz, m, 1);
			m->last_t = h->s[i].t;
		}
	} else {
		/* out: the samples counted that the hour has passed */
		size_t i = pp_history_first_at(h, m->now - LEVEL_WINDOW + 1);

		for (; i < h->n && h->s[i].t <= from && h->s[i].t <= m->last_t;
		    i++)
			memo_count(h, i, period, tz, m, -1);
		/* in: the samples after the newest counted */
		for (i = pp_history_first_at(h, (m->last_t > from ?
		    m->last_t : from) + 1); i < h->n && h->s[i].t <= now;
		    i++) {
			memo_count(h, i, period, tz, m, 1);
			m->last_t = h->s[i].t;
		}
	}
	m->valid = 1;
	m->gen = h->gen;
	m->period = period;
	m->now = now;
	if (m->inexact)
		return correction(h, now, period, tz, ok);
	*ok = m->k > 0;
	return m->k ? (double)m->sum / (double)m->k : 0;
}

/* The seasonal forecast at now + hz for one period, -1 if unavailable:
 * the same local time whole periods back, at or before now. */
static double
seasonal(const struct pp_history *h, time_t now, long hz, long period,
	const char *tz, double corr)
{
	long back = period * ((hz + period - 1) / period);
	time_t at;
	double base;

	if (back == hz)
		back += period;
	at = pp_local_back(tz, now + hz, back);
	while (at > now) {
		back += period;
		at = pp_local_back(tz, now + hz, back);
	}
	base = pp_history_value_at(h, at);
	if (base < 0)
		return -1;
	/* a trend runs on for as many periods as we look back */
	base += corr * (double)(back / period);
	return base < 0 ? 0 : base;
}

static double
level(const struct pp_history *h, time_t now)
{
	struct pp_window w;

	pp_history_window(h, now, 1800, &w);
	if (w.samples)
		return w.avg_mb;
	return h->n ? (double)h->s[h->n - 1].allocated_mb : 0;
}

/* The largest rise within window among the samples in [from, to]. */
static double
rise_in(const struct pp_history *h, time_t from, time_t to, long window)
{
	double best = 0;

	for (size_t i = pp_history_first_at(h, from); i < h->n &&
	    h->s[i].t <= to; i++) {
		for (size_t j = i + 1; j < h->n && h->s[j].t <= to &&
		    h->s[j].t - h->s[i].t <= window; j++) {
			double r = (double)(h->s[j].allocated_mb -
				h->s[i].allocated_mb);

			if (r > best)
				best = r;
		}
	}
	return best;
}

double
pp_history_rise(const struct pp_history *h, time_t now, const char *tz,
	long window)
{
	double best;

	if (!h->n || window <= 0)
		return 0;
	best = rise_in(h, now - PP_RISE_SPAN, now, window);
	for (long d = 1; d <= PP_RISE_DAYS; d++) {
		time_t at = pp_local_back(tz, now, d * DAY);
		double r = rise_in(h, at - PP_RISE_SPAN, at + PP_RISE_SPAN,
			window);

		if (r > best)
			best = r;
	}
	return best;
}

double
pp_history_step(const struct pp_history *h, time_t now, long window)
{
	size_t last = pp_history_first_at(h, now + 1);
	long long lo;

	if (!last || window <= 0)
		return 0;
	last--;
	if (h->s[last].t <= now - window)
		return 0;
	lo = h->s[last].allocated_mb;
	for (size_t i = pp_history_first_at(h, now - window + 1); i < last;
	    i++)
		if (h->s[i].allocated_mb < lo)
			lo = h->s[i].allocated_mb;
	return (double)(h->s[last].allocated_mb - lo);
}

/* 1 when f's points never fall by horizon: pp_forecast_first_over may
 * then walk them once. */
static int
ascending(const struct pp_forecast *f)
{
	for (size_t i = 1; i < f->n; i++)
		if (f->at[i].horizon_s < f->at[i - 1].horizon_s)
			return 0;
	return 1;
}

void
pp_forecast_builtin(const struct pp_history *h, time_t now, const char *tz,
	const long *horizons, size_t nh, struct pp_forecast *f)
{
	pp_forecast_builtin_memo(h, now, tz, horizons, nh, f, NULL);
}

void
pp_forecast_builtin_memo(const struct pp_history *h, time_t now,
	const char *tz, const long *horizons, size_t nh,
	struct pp_forecast *f, struct pp_forecast_memo *m)
{
	double cw = 0, cd = 0, span = 0;
	int okw = 0, okd = 0;

	memset(f, 0, sizeof *f);
	f->source = "builtin";
	f->rise_mb = -1;
	f->step_mb = -1;
	if (h->n && h->s[0].t <= now)
		span = (double)(now - h->s[0].t);
	f->history_hours = span / 3600.0;
	f->samples = h->n;
	f->level_mb = level(h, now);
	if (span < PP_FORECAST_MIN_HISTORY) {
		snprintf(f->method, sizeof f->method, "none");
		snprintf(f->note, sizeof f->note, "history covers %.1f h, "
			"under 24 h: no forecast", f->history_hours);
		return;
	}
	if (span >= WEEK + LEVEL_WINDOW)
		cw = m ? correction_memo(h, now, WEEK, tz, &okw,
			&m->weekly) : correction(h, now, WEEK, tz, &okw);
	cd = m ? correction_memo(h, now, DAY, tz, &okd, &m->daily) :
		correction(h, now, DAY, tz, &okd);
	for (size_t i = 0; i < nh && f->n < PP_FORECAST_MAX; i++) {
		double w = okw ? seasonal(h, now, horizons[i], WEEK, tz, cw) :
			-1;
		double d = okd ? seasonal(h, now, horizons[i], DAY, tz, cd) :
			-1;
		double v;

		if (w >= 0 && d >= 0)
			v = WEEKLY_WEIGHT * w + (1 - WEEKLY_WEIGHT) * d;
		else if (d >= 0)
			v = d;
		else if (w >= 0)
			v = w;
		else
			continue;
		f->at[f->n].horizon_s = horizons[i];
		f->at[f->n++].allocated_mb = v;
	}
	if (!f->n) {
		snprintf(f->method, sizeof f->method, "none");
		snprintf(f->note, sizeof f->note, "history has a gap where "
			"the profile should be: no forecast");
		return;
	}
	f->ascending = ascending(f);
	/* a constant: no printf every pp-sim cycle */
	memcpy(f->method, okw ? "seasonal-weekly" : "seasonal-daily",
		okw ? sizeof "seasonal-weekly" : sizeof "seasonal-daily");
	if (!okw)
		snprintf(f->note, sizeof f->note, "history covers %.1f h, "
			"under a week: daily profile only", f->history_hours);
}

/* The value at hz between the points lo and hi around it (either may
 * be missing), as pp_forecast_value gives it. */
static double
between(const struct pp_forecast_point *lo,
	const struct pp_forecast_point *hi, long hz)
{
	if (!lo && !hi)
		return -1;
	if (!lo)
		return hi->allocated_mb;
	if (!hi)
		return lo->allocated_mb;
	if (hi->horizon_s == lo->horizon_s)
		return lo->allocated_mb;
	return lo->allocated_mb + (hi->allocated_mb - lo->allocated_mb) *
		(double)(hz - lo->horizon_s) /
		(double)(hi->horizon_s - lo->horizon_s);
}

double
pp_forecast_value(const struct pp_forecast *f, long hz)
{
	const struct pp_forecast_point *lo = NULL, *hi = NULL;

	for (size_t i = 0; i < f->n; i++) {
		const struct pp_forecast_point *p = &f->at[i];

		if (p->horizon_s <= hz && (!lo || p->horizon_s > lo->horizon_s))
			lo = p;
		if (p->horizon_s >= hz && (!hi || p->horizon_s < hi->horizon_s))
			hi = p;
	}
	return between(lo, hi, hz);
}

long
pp_forecast_first_over(const struct pp_forecast *f, double limit_mb,
	long step, long horizon)
{
	size_t k = 0;

	if (step <= 0)
		return -1;
	for (long h = step; h <= horizon; h += step) {
		double v;

		if (f->ascending) {
			/* one walk along the points: the same lo and hi
			 * as pp_forecast_value's (the first of equal
			 * horizons), without looking at every point for
			 * every step; the policies ask ~50 times a cycle */
			const struct pp_forecast_point *lo = NULL, *hi;

			while (k < f->n && f->at[k].horizon_s < h)
				k++;
			hi = k < f->n ? &f->at[k] : NULL;
			if (hi && hi->horizon_s == h) {
				lo = hi;
			} else if (k > 0) {
				lo = &f->at[k - 1];
				while (lo > f->at &&
				    lo[-1].horizon_s == lo->horizon_s)
					lo--;
			}
			v = between(lo, hi, h);
		} else {
			v = pp_forecast_value(f, h);
		}
		if (v >= 0 && v > limit_mb)
			return h;
	}
	return -1;
}

static int
add_point(struct pp_forecast *f, long hz, json_object *v)
{
	double mb;

	if (!v || !(json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)))
		return -1;
	mb = json_object_get_double(v);
	if (!isfinite(mb) || mb < 0 || mb > PP_RAM_MAX_MB || hz <= 0 ||
	    f->n >= PP_FORECAST_MAX)
		return -1;
	for (size_t i = 0; i < f->n; i++)
		if (f->at[i].horizon_s == hz)
			return 0;
	f->at[f->n].horizon_s = hz;
	f->at[f->n++].allocated_mb = mb;
	return 0;
}

int
pp_forecast_from_json(json_object *o, struct pp_forecast *f, char *err,
	size_t errlen)
{
	json_object *at = pp_jget(o, "at");

	memset(f, 0, sizeof *f);
	f->source = "external";
	f->rise_mb = -1;
	f->step_mb = -1;
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "forecast is not a JSON object");
		return -1;
	}
	snprintf(f->method, sizeof f->method, "%s",
		pp_jstr(o, "method", "external"));
	f->history_hours = pp_jdouble(o, "history_hours", 0);
	f->level_mb = pp_jdouble(o, "level_mb", 0);
	if (at && json_object_is_type(at, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(at); i++) {
			json_object *p = json_object_array_get_idx(at, i);
			long long hz = pp_jint(p, "horizon_s", 0);

			if (add_point(f, (long)hz, pp_jget(p,
			    "allocated_ram_mb")) < 0) {
				snprintf(err, errlen, "forecast 'at[%zu]' needs "
					"horizon_s > 0 and allocated_ram_mb "
					">= 0 (at most 1 PB)", i);
				f->n = 0;
				return -1;
			}
		}
	}
	if (pp_jget(o, "ram_1h_mb") && json_object_get_type(pp_jget(o,
	    "ram_1h_mb")) != json_type_null &&
	    add_point(f, 3600, pp_jget(o, "ram_1h_mb")) < 0) {
		snprintf(err, errlen, "forecast 'ram_1h_mb' must be a number "
			">= 0 (at most 1 PB)");
		f->n = 0;
		return -1;
	}
	if (pp_jget(o, "ram_2h_mb") && json_object_get_type(pp_jget(o,
	    "ram_2h_mb")) != json_type_null &&
	    add_point(f, 7200, pp_jget(o, "ram_2h_mb")) < 0) {
		snprintf(err, errlen, "forecast 'ram_2h_mb' must be a number "
			">= 0 (at most 1 PB)");
		f->n = 0;
		return -1;
	}
	if (!f->n) {
		snprintf(err, errlen, "forecast holds no RAM figure (neither "
			"'at' nor 'ram_1h_mb'/'ram_2h_mb')");
		return -1;
	}
	f->ascending = ascending(f);
	return 0;
}

json_object *
pp_forecast_json(const struct pp_forecast *f)
{
	json_object *o = json_object_new_object();
	json_object *at = json_object_new_array();
	double v1 = pp_forecast_value(f, 3600), v2 = pp_forecast_value(f, 7200);

	json_object_object_add(o, "source", json_object_new_string(
		f->source ? f->source : "builtin"));
	json_object_object_add(o, "method", json_object_new_string(f->method));
	json_object_object_add(o, "history_hours",
		pp_jnew_double(f->history_hours, 1));
	json_object_object_add(o, "samples",
		json_object_new_int64((long long)f->samples));
	json_object_object_add(o, "level_mb", pp_jnew_double(f->level_mb, 1));
	for (size_t i = 0; i < f->n; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "horizon_s",
			json_object_new_int64(f->at[i].horizon_s));
		json_object_object_add(p, "allocated_ram_mb",
			pp_jnew_double(f->at[i].allocated_mb, 1));
		json_object_array_add(at, p);
	}
	json_object_object_add(o, "at", at);
	json_object_object_add(o, "ram_1h_mb", v1 < 0 ? NULL :
		pp_jnew_double(v1, 1));
	json_object_object_add(o, "ram_2h_mb", v2 < 0 ? NULL :
		pp_jnew_double(v2, 1));
	if (f->rise_mb >= 0) {
		json_object_object_add(o, "rise_mb",
			pp_jnew_double(f->rise_mb, 1));
		json_object_object_add(o, "rise_window_s",
			json_object_new_int64(f->rise_window_s));
	}
	if (f->step_mb >= 0) {
		json_object_object_add(o, "step_mb",
			pp_jnew_double(f->step_mb, 1));
		json_object_object_add(o, "step_window_s",
			json_object_new_int64(f->step_window_s));
	}
	json_object_object_add(o, "note", f->note[0] ?
		json_object_new_string(f->note) : NULL);
	return o;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

size_t
pp_forecast_horizons(const struct pp_config *cfg, long *hz)
{
	const struct pp_predictive_conf *predictive = pp_predictive_conf(cfg);
	size_t n = 0, k = 0;

	for (size_t i = 0; i < cfg->forecast.horizons.n &&
	    n < PP_FORECAST_MAX - 3; i++)
		hz[n++] = cfg->forecast.horizons.v[i];
	if (predictive->on.enabled) {
		hz[n++] = predictive->provisioning_time +
			predictive->margin;
		hz[n++] = predictive->horizon;
	}
	if (pp_headroom_lead(cfg) > 0)
		hz[n++] = pp_headroom_lead(cfg);
	qsort(hz, n, sizeof *hz, cmp_long);
	for (size_t i = 0; i < n; i++)
		if (hz[i] > 0 && (!k || hz[i] != hz[k - 1]))
			hz[k++] = hz[i];
	return k;
}

/* The external forecast; -1 with a message when it cannot be used. */
static int
external(const struct pp_config *cfg, struct pp_forecast *f, char *err,
	size_t errlen)
{
	char herr[512], jerr[256];
	size_t len;
	char *body = pp_http_get(cfg->forecast.url, 1u << 20,
		cfg->forecast.timeout, cfg->forecast.timeout, &len, herr,
		sizeof herr, NULL);
	json_object *o;
	int rc;

	if (!body) {
		snprintf(err, errlen, "%s", herr);
		return -1;
	}
	o = pp_json_parse(body, len, jerr, sizeof jerr);
	free(body);
	if (!o) {
		snprintf(err, errlen, "external forecast is not JSON: %s",
			jerr);
		return -1;
	}
	rc = pp_forecast_from_json(o, f, jerr, sizeof jerr);
	json_object_put(o);
	if (rc < 0)
		snprintf(err, errlen, "external forecast unusable: %s", jerr);
	return rc;
}

json_object *
pp_forecast_section(const struct pp_config *cfg, const struct pp_history *h,
	time_t now)
{
	struct pp_forecast f;
	char err[640];
	long hz[PP_FORECAST_MAX];
	size_t nh = pp_forecast_horizons(cfg, hz);
	long rw = pp_headroom_rise_window(cfg);
	long sw = pp_headroom_step_window(cfg);

	if (cfg->forecast.url && *cfg->forecast.url) {
		if (external(cfg, &f, err, sizeof err) == 0) {
			f.samples = h->n;
			/* the rise is the history's, whoever forecasts */
			if (rw > 0) {
				f.rise_mb = pp_history_rise(h, now,
					cfg->timezone, rw);
				f.rise_window_s = rw;
			}
			if (sw > 0) {
				f.step_mb = pp_history_step(h, now, sw);
				f.step_window_s = sw;
			}
			return pp_forecast_json(&f);
		}
		pp_warn("%s; using the built-in forecast", err);
	}
	pp_forecast_builtin(h, now, cfg->timezone, hz, nh, &f);
	if (rw > 0) {
		f.rise_mb = pp_history_rise(h, now, cfg->timezone, rw);
		f.rise_window_s = rw;
	}
	if (sw > 0) {
		f.step_mb = pp_history_step(h, now, sw);
		f.step_window_s = sw;
	}
	if (cfg->forecast.url && *cfg->forecast.url) {
		json_object *o;

		snprintf(f.note + strlen(f.note), sizeof f.note -
			strlen(f.note), "%sexternal forecast failed, built-in "
			"used", f.note[0] ? "; " : "");
		o = pp_forecast_json(&f);
		json_object_object_add(o, "fallback",
			json_object_new_string(err));
		return o;
	}
	return pp_forecast_json(&f);
}
