/* The "cost" section of the state file (see cost.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bill.h"
#include "base/json.h"
#include "base/util.h"
#include "conf/catalog.h"
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

/* A price from the state: 0 when it is not one. */
static double
price(json_object *o, const char *key)
{
	double v = pp_jdouble(o, key, 0);

	return v > 0 && pp_price_ok(v) ? v : 0;
}

/* What a server billed for the hours it started from `from` on, up to
 * end (exclusive): the month's cap is reached by its hours before
 * `from` too. */
static double
billed_since(const struct pp_cost_server *s, time_t from, time_t end)
{
	double d;

	if (end <= from)
		return 0;
	d = pp_bill(s->created, end, s->hourly_eur, s->monthly_eur, NULL) -
		pp_bill(s->created, from, s->hourly_eur, s->monthly_eur,
		NULL);
	return d > 0 ? d : 0;
}

/* A running total of the state: 0 unless it is for period cur. */
static double
kept(json_object *c, const char *pkey, const char *vkey, const char *cur)
{
	double v = pp_jdouble(c, vkey, 0);

	if (strcmp(pp_jstr(c, pkey, ""), cur) || !(v >= 0) || v > 1e12)
		return 0;
	return v;
}

static int
by_node(const void *a, const void *b)
{
	const struct pp_cost_server *x = *(const struct pp_cost_server *
		const *)a, *y = *(const struct pp_cost_server *const *)b;
	int d = strcmp(x->node, y->node);

	return d ? d : (x->created > y->created) - (x->created < y->created);
}

/* 1 when server g is among the n servers of idx (sorted by_node). */
static int
still_there(const struct pp_cost_server *g,
	const struct pp_cost_server *const *idx, size_t n)
{
	const struct pp_cost_server *key = g;

	return n && bsearch(&key, idx, n, sizeof *idx, by_node) != NULL;
}

static json_object *
server_json(const struct pp_cost_server *s, time_t now)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(s->node));
	json_object_object_add(o, "created", pp_jnew_time(s->created));
	json_object_object_add(o, "hourly_eur",
		pp_jnew_double(s->hourly_eur, 6));
	json_object_object_add(o, "monthly_eur",
		pp_jnew_double(s->monthly_eur, 4));
	json_object_object_add(o, "seen", pp_jnew_time(now));
	return o;
}

void
pp_cost_accrue(json_object *root, const struct pp_cost_server *s, size_t n,
	time_t now)
{
	json_object *c = pp_jget(root, "cost"), *old, *list;
	const struct pp_cost_server **idx;
	char day[40], month[40];
	time_t dstart, mstart;
	double gone_today, gone_month, today = 0, mon = 0;

	if (!c || !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(root, "cost", c);
	}
	if (jtime(c, "at") > now)
		return;	/* a cycle from the past: keep what is there */
	day_of(now, day, sizeof day, &dstart);
	month_of(now, month, sizeof month, &mstart);
	gone_today = kept(c, "day", "gone_today_eur", day);
	gone_month = kept(c, "month", "gone_month_eur", month);
	old = pp_jget(c, "servers");
	idx = pp_xcalloc(n ? n : 1, sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = &s[i];
	qsort(idx, n, sizeof *idx, by_node);
	/* the servers of the last accrual that are gone: billed up to
	 * the last cycle that saw them */
	for (size_t i = 0; old && json_object_is_type(old, json_type_array)
	    && i < json_object_array_length(old); i++) {
		json_object *o = json_object_array_get_idx(old, i);
		struct pp_cost_server g = {pp_jstr(o, "node", ""),
			jtime(o, "created"), price(o, "hourly_eur"),
			price(o, "monthly_eur")};
		time_t seen = jtime(o, "seen");

		if (!g.created || !seen || seen > now ||
		    still_there(&g, idx, n))
			continue;
		gone_today += billed_since(&g, dstart, seen + 1);
		gone_month += billed_since(&g, mstart, seen + 1);
	}
	free(idx);
	for (size_t i = 0; i < n; i++) {
		today += billed_since(&s[i], dstart, now + 1);
		mon += billed_since(&s[i], mstart, now + 1);
	}
	/* a state from before servers were kept: what it accrued beyond
	 * the servers there now was for servers gone since */
	if (jtime(c, "at") && !old) {
		double t0 = kept(c, "day", "today_eur", day) - today;
		double m0 = kept(c, "month", "month_eur", month) - mon;

		gone_today = t0 > 0 ? t0 : 0;
		gone_month = m0 > 0 ? m0 : 0;
	}
	list = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, server_json(&s[i], now));
	json_object_object_del(c, "rate_eur_h");
	json_object_object_add(c, "at", pp_jnew_time(now));
	json_object_object_add(c, "day", json_object_new_string(day));
	json_object_object_add(c, "today_eur",
		pp_jnew_double(gone_today + today, 6));
	json_object_object_add(c, "month", json_object_new_string(month));
	json_object_object_add(c, "month_eur",
		pp_jnew_double(gone_month + mon, 6));
	json_object_object_add(c, "gone_today_eur",
		pp_jnew_double(gone_today, 6));
	json_object_object_add(c, "gone_month_eur",
		pp_jnew_double(gone_month, 6));
	json_object_object_add(c, "servers", list);
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
