/* The "cost" section of the state file (see cost.h). */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/cost.h"

static void
day_of(time_t t, char *buf, size_t len, time_t *start)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday);
	*start = t - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

static void
month_of(time_t t, char *buf, size_t len, time_t *start)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	*start = t - ((tm.tm_mday - 1) * 86400 + tm.tm_hour * 3600 +
		tm.tm_min * 60 + tm.tm_sec);
}

static time_t
jtime(json_object *o, const char *key)
{
	time_t t;
	const char *s = pp_jstr(o, key, NULL);

	return s && pp_parse_time(s, &t) == 0 ? t : 0;
}

/* The running total of one period (day or month), carried to now. */
static double
carry(json_object *c, const char *pkey, const char *vkey, const char *cur,
	time_t start, time_t at, double rate, time_t now)
{
	double v = pp_jdouble(c, vkey, 0);
	time_t from = at;

	if (!(v >= 0) || v > 1e12)
		v = 0;
	if (strcmp(pp_jstr(c, pkey, ""), cur)) {
		v = 0;
		if (from < start)
			from = start;
	}
	if (at && now > from && now - at <= PP_COST_GAP_MAX && rate > 0 &&
	    rate < 1e6)
		v += rate * (double)(now - from) / 3600.0;
	return v;
}

void
pp_cost_accrue(json_object *root, double rate, time_t now)
{
	json_object *c = pp_jget(root, "cost");
	char day[40], month[40];
	time_t dstart, mstart, at;
	double prate, today, mon;

	if (!c || !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(root, "cost", c);
	}
	at = jtime(c, "at");
	if (at > now)
		return;	/* a cycle from the past: keep what is there */
	prate = pp_jdouble(c, "rate_eur_h", 0);
	day_of(now, day, sizeof day, &dstart);
	month_of(now, month, sizeof month, &mstart);
	today = carry(c, "day", "today_eur", day, dstart, at, prate, now);
	mon = carry(c, "month", "month_eur", month, mstart, at, prate, now);
	json_object_object_add(c, "at", pp_jnew_time(now));
	json_object_object_add(c, "rate_eur_h", pp_jnew_double(
		rate > 0 && rate < 1e6 ? rate : 0, 6));
	json_object_object_add(c, "day", json_object_new_string(day));
	json_object_object_add(c, "today_eur", pp_jnew_double(today, 6));
	json_object_object_add(c, "month", json_object_new_string(month));
	json_object_object_add(c, "month_eur", pp_jnew_double(mon, 6));
}

int
pp_cost_accrued(json_object *root, time_t now, double *today, double *month)
{
	json_object *c = pp_jget(root, "cost");
	char day[40], mon[40];
	time_t dstart, mstart;

	*today = *month = 0;
	if (!c || !json_object_is_type(c, json_type_object) ||
	    !jtime(c, "at"))
		return -1;
	day_of(now, day, sizeof day, &dstart);
	month_of(now, mon, sizeof mon, &mstart);
	if (!strcmp(pp_jstr(c, "day", ""), day))
		*today = pp_jdouble(c, "today_eur", 0);
	if (!strcmp(pp_jstr(c, "month", ""), mon))
		*month = pp_jdouble(c, "month_eur", 0);
	return 0;
}
