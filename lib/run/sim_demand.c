/* pp-sim's demand: the trace read once into the value at every step. */
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

/* ---- demand ------------------------------------------------------ */

static void
demand_push(struct demand *d, size_t *cap, double v, int gap)
{
	if (d->n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		d->raw = pp_xreallocarray(d->raw, *cap, sizeof *d->raw);
		d->ingap = pp_xreallocarray(d->ingap, *cap, 1);
	}
	d->raw[d->n] = (float)v;
	d->ingap[d->n++] = (unsigned char)gap;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* One pass over the trace: the value at every step, each row held until
 * the next (a step never sees a later sample) or, with --interpolate,
 * ramped between rows; long gaps marked and listed. */
void
pp_sim_demand_load(struct demand *d, const struct pp_sim_opts *o)
{
	struct pp_trace tr;
	char err[512];
	time_t t, pt = 0;
	double v, pv = 0;
	size_t cap = 0, nint = 0, intcap = 0;
	long *ints = NULL;
	int rc;

	memset(d, 0, sizeof *d);
	d->step = o->step_s;
	if (pp_trace_open(&tr, o->trace, err, sizeof err) < 0)
		pp_die(PP_EXIT_USAGE, "%s", err);
	while ((rc = pp_trace_next(&tr, &t, &v, err, sizeof err)) > 0) {
		if (!d->rows) {
			d->t0 = t - t % d->step;
			d->first = t;
			demand_push(d, &cap, v, 0);
		} else {
			long dt = (long)(t - pt);
			int gap = dt > o->max_gap_s;

			if (gap) {
				d->gaps = pp_xreallocarray(d->gaps,
					d->ngaps + 1, sizeof *d->gaps);
				d->gaps[d->ngaps++] = (struct gap){pt, t};
			}
			if (dt > 0 && nint < 100000) {
				if (nint == intcap) {
					intcap = intcap ? intcap * 2 : 1024;
					ints = pp_xreallocarray(ints, intcap,
						sizeof *ints);
				}
				ints[nint++] = dt;
			}
			/* steps up to and including t */
			while (d->t0 + (time_t)d->n * d->step <= t) {
				time_t st = d->t0 + (time_t)d->n * d->step;
				double x = st >= t || dt <= 0 ? v :
					o->interpolate ? pv + (v - pv) *
					(double)(st - pt) / (double)dt : pv;

				demand_push(d, &cap, x, gap);
			}
		}
		if (v > d->peak)
			d->peak = v;
		d->rows++;
		pt = t;
		pv = v;
		d->last = t;
	}
	if (rc < 0)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (!d->rows)
		pp_die(PP_EXIT_USAGE, "trace '%s' line %zu: no samples after "
			"the header", o->trace, tr.line + 1);
	pp_trace_close(&tr);
	if (d->rows < 2)
		pp_die(PP_EXIT_USAGE, "trace '%s': one sample is not a time "
			"series", o->trace);
	if (nint) {
		qsort(ints, nint, sizeof *ints, cmp_long);
		d->median_interval = (double)ints[nint / 2];
	}
	free(ints);
}

void
pp_sim_demand_free(struct demand *d)
{
	free(d->raw);
	free(d->ingap);
	free(d->gaps);
}


static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

double
pp_sim_demand_percentile(const struct demand *d, double pct)
{
	float *v;
	size_t n = 0, k;
	double r;

	if (pct >= 100 || !d->n)
		return d->peak;
	v = pp_xcalloc(d->n, sizeof *v);
	for (size_t i = 0; i < d->n; i++)
		if (!d->ingap[i])
			v[n++] = d->raw[i];
	if (!n) {
		free(v);
		return d->peak;
	}
	qsort(v, n, sizeof *v, cmp_float);
	/* nearest rank, ceil(pct / 100 x n): pct / 100 is inexact (99.9
	 * is 0.99900...01), which took 99.9 of 1000 steps to the 1000th;
	 * a rank that is whole in exact arithmetic stays whole */
	k = (size_t)ceil(pct * (double)n / 100.0 - 1e-9);
	r = v[k ? k - 1 : 0];
	free(v);
	return r > 0 ? r : d->peak;
}
