/* The built-in forecast on synthetic series whose answer is known.
 * Usage: forecast CASE; prints "ok" lines, exits 1 on the first miss. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

#define DAY 86400L
/* 2026-11-02T00:00:00Z, a Monday */
#define T0 1793577600L

static int failed;

static void
near(const char *what, double got, double want, double tol)
{
	if (fabs(got - want) > tol) {
		printf("FAIL %s: got %.1f, want %.1f (+-%.1f)\n", what, got,
			want, tol);
		failed = 1;
	} else {
		printf("ok %s: %.1f\n", what, got);
	}
}

static void
same(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want)) {
		printf("FAIL %s: got '%s', want '%s'\n", what, got, want);
		failed = 1;
	} else {
		printf("ok %s: %s\n", what, got);
	}
}

typedef double (*series)(long t);

static double
sine(long t)
{
	return 50000 + 30000 * sin(2 * M_PI * (double)(t % DAY) / DAY);
}

/* weekend (Saturday and Sunday) twice the weekday load */
static double
weekly_step(long t)
{
	long day = ((t - T0) / DAY) % 7; /* 0 = Monday */

	return day >= 5 ? 80000 : 40000;
}

static double
trend(long t)
{
	return 10000 + (double)(t - T0) / 60.0 * 2.0; /* 2 MB a minute */
}

static void
fill(struct pp_history *h, series f, long from, long to, long step)
{
	memset(h, 0, sizeof *h);
	for (long t = from; t <= to; t += step) {
		struct pp_sample s = {t, (long long)llround(f(t)), 200000, 0};

		pp_history_add(h, &s);
	}
}

/* One step of the memo case: the forecast and (every tenth step) the
 * windows asked with and without the memos, compared to the bit. */
static void
memo_step(const struct pp_history *h, time_t now, int pass, int i,
	struct pp_forecast_memo *fm, struct pp_window_memo wm[2])
{
	static const long hz3[] = {900, 3600, 7200};
	/* the odd history in a zone with the autumn change in it */
	const char *tz = pass ? "Europe/Berlin" : NULL;
	struct pp_forecast a, b;

	pp_forecast_builtin(h, now, tz, hz3, 3, &a);
	pp_forecast_builtin_memo(h, now, tz, hz3, 3, &b, fm);
	if (a.n != b.n || memcmp(a.at, b.at, a.n * sizeof a.at[0]) ||
	    strcmp(a.method, b.method) || memcmp(&a.level_mb, &b.level_mb,
	    sizeof a.level_mb)) {
		printf("FAIL memo forecast, pass %d step %d: %zu/%zu points, "
			"%.17g/%.17g at +15m\n", pass, i, a.n, b.n,
			a.n ? a.at[0].allocated_mb : -1,
			b.n ? b.at[0].allocated_mb : -1);
		failed = 1;
	}
	for (int k = 0; k < 2 && i % 10 == 0; k++) {
		long secs = k ? 3600 : DAY;
		struct pp_window w1, w2;

		pp_history_window(h, now, secs, &w1);
		pp_history_window_memo(h, now, secs, &w2, &wm[k]);
		if (w1.samples != w2.samples || w1.peak_mb != w2.peak_mb ||
		    memcmp(&w1.avg_mb, &w2.avg_mb, sizeof w1.avg_mb)) {
			printf("FAIL memo window %ld, pass %d step %d\n",
				secs, pass, i);
			failed = 1;
		}
	}
}

/* The sums kept between calls (pp-sim's) give the forecast and the
 * windows of a walk to the bit: a history that grows a minute at a
 * time for ten days, then one with gaps, odd seconds, replaced and
 * late samples and prunes, asked at clocks that move on, stand still
 * or go back, across the autumn change in Europe/Berlin. */
static void
memo(void)
{
	unsigned long long r = 0x9E3779B97F4A7C15ULL;
	long calls = 0, summed = 0, odd = 0;

	for (int pass = 0; pass < 2 && !failed; pass++) {
		struct pp_history h;
		struct pp_forecast_memo fm;
		struct pp_window_memo wm[2];
		/* the second from 2026-10-20, over 2026-10-25 */
		time_t t = pass ? T0 - 13 * DAY : T0, now, at;

		memset(&h, 0, sizeof h);
		memset(&fm, 0, sizeof fm);
		memset(wm, 0, sizeof wm);
		for (int i = 0; i < 16000 && !failed; i++) {
			long long v;

			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			v = 20000 + (long long)(r % 90000);
			/* whole minutes mostly (whole differences), gaps
			 * over an hour now and then; a prune, sometimes
			 * into the day-old profile itself */
			t += pass && r % 41 == 0 ? 3600 + 60 * (long)(r % 80)
				: 60;
			if (pass && r % 97 == 0)
				pp_history_prune(&h, t, r % 2 ? 8 * DAY :
					DAY + 1800);
			/* a late sample, or one at an odd second
			 * (interpolated differences a day on) */
			at = !pass ? t : r % 53 == 0 ? t - (time_t)(r % 7200)
				: r % 31 == 0 ? t + (time_t)(r % 59) : t;
			pp_history_add(&h, &(struct pp_sample){at, v, 200000,
				0});
			now = pass && r % 7 == 0 ? t - (time_t)(r % 5000) : t;
			memo_step(&h, now, pass, i, &fm, wm);
			calls++;
			if (fm.daily.valid && !fm.daily.inexact &&
			    fm.daily.k > 0) {
				summed++;
				odd += pass;
			}
			/* after the memo counted it, a second sample in
			 * the newest minute replaces it */
			if (pass && r % 29 == 0)
				pp_history_add(&h, &(struct pp_sample){t + 1 +
					(time_t)(r % 50), v / 2, 200000, 0});
		}
		pp_history_free(&h);
	}
	/* the sums answered, not only the walk behind them */
	if (summed < calls / 3 || odd < 1000) {
		printf("FAIL memo: the sums answered %ld of %ld (%ld on the "
			"odd history)\n", summed, calls, odd);
		failed = 1;
	}
	printf("ok memo: %ld forecasts, %ld from the sums\n", calls, summed);
}

int
main(int argc, char **argv)
{
	static const long hz[] = {3600, 7200};
	struct pp_history h = {0};
	struct pp_forecast f;
	const char *c = argc > 1 ? argv[1] : "";
	long now;

	if (!strcmp(c, "sine")) {
		/* two days of history: the daily profile, exact */
		now = T0 + 2 * DAY + 5 * 3600 + 1234;
		fill(&h, sine, T0, now, 60);
		pp_forecast_builtin(&h, now, NULL, hz, 2, &f);
		same("method", f.method, "seasonal-daily");
		near("+1h", pp_forecast_value(&f, 3600), sine(now + 3600), 60);
		near("+2h", pp_forecast_value(&f, 7200), sine(now + 7200), 60);
		near("+90m", pp_forecast_value(&f, 5400), sine(now + 5400),
			400);
	} else if (!strcmp(c, "weekly")) {
		/* Friday 23:30 after 12 days: Saturday is twice Friday */
		now = T0 + 11 * DAY + 23 * 3600 + 1800;
		fill(&h, weekly_step, T0, now, 120);
		pp_forecast_builtin(&h, now, NULL, hz, 2, &f);
		same("method", f.method, "seasonal-weekly");
		near("+1h", pp_forecast_value(&f, 3600), 80000, 1);
		near("+2h", pp_forecast_value(&f, 7200), 80000, 1);
		near("level", f.level_mb, 40000, 1);
	} else if (!strcmp(c, "trend")) {
		/* a linear trend carries on, daily and weekly */
		now = T0 + 3 * DAY + 600;
		fill(&h, trend, T0, now, 60);
		pp_forecast_builtin(&h, now, NULL, hz, 2, &f);
		same("method", f.method, "seasonal-daily");
		near("+1h", pp_forecast_value(&f, 3600), trend(now + 3600), 2);
		near("+2h", pp_forecast_value(&f, 7200), trend(now + 7200), 2);
		pp_history_free(&h);
		now = T0 + 9 * DAY;
		fill(&h, trend, T0, now, 60);
		pp_forecast_builtin(&h, now, NULL, hz, 2, &f);
		same("method", f.method, "seasonal-weekly");
		near("+2h weekly", pp_forecast_value(&f, 7200),
			trend(now + 7200), 2);
	} else if (!strcmp(c, "short")) {
		/* under 24 hours: no forecast, and it says so */
		now = T0 + 23 * 3600;
		fill(&h, sine, T0, now, 60);
		pp_forecast_builtin(&h, now, NULL, hz, 2, &f);
		same("method", f.method, "none");
		near("points", (double)f.n, 0, 0);
		near("value", pp_forecast_value(&f, 3600), -1, 0);
		same("note", f.note, "history covers 23.0 h, under 24 h: no "
			"forecast");
	} else if (!strcmp(c, "gap")) {
		/* a gap over an hour is not interpolated across */
		memset(&h, 0, sizeof h);
		pp_history_add(&h, &(struct pp_sample){T0, 1000, 0, 0});
		pp_history_add(&h, &(struct pp_sample){T0 + 1800, 2000, 0, 0});
		pp_history_add(&h, &(struct pp_sample){T0 + 9000, 5000, 0, 0});
		near("inside", pp_history_value_at(&h, T0 + 900), 1500, 0);
		near("in gap", pp_history_value_at(&h, T0 + 3600), -1, 0);
		near("before", pp_history_value_at(&h, T0 - 60), -1, 0);
	} else if (!strcmp(c, "rise")) {
		/* a flat 40 GB, stepping to 70 GB at 09:30 for an hour on
		 * each of the last days, and a 10 GB ramp over 50 minutes
		 * at 21:00 */
		memset(&h, 0, sizeof h);
		for (long t = T0; t <= T0 + 8 * DAY; t += 60) {
			long tod = (t - T0) % DAY;
			double v = 40960;

			if (tod >= 9 * 3600 + 1800 && tod < 10 * 3600 + 1800)
				v = 71680;
			if (tod >= 21 * 3600 && tod < 21 * 3600 + 3000)
				v += 10240.0 * (double)(tod - 21 * 3600) / 3000;
			pp_history_add(&h, &(struct pp_sample){t,
				(long long)v, 200000, 0});
		}
		now = T0 + 8 * DAY + 9 * 3600;
		/* the step came half an hour from now on the days before */
		near("step ahead", pp_history_rise(&h, now, NULL, 300), 30720, 0);
		near("no window, no rise", pp_history_rise(&h, now, NULL, 0), 0, 0);
		/* at 15:00 the step lies over an hour back: flat */
		near("flat hour", pp_history_rise(&h, now - 9 * 3600 + 15 *
			3600 - DAY, NULL, 300), 0, 0);
		/* the ramp: 10240 MB in 50 minutes, 5 of them in a window */
		near("ramp", pp_history_rise(&h, T0 + 7 * DAY + 21 * 3600 +
			1800, NULL, 300), 1024, 1);
		/* the step seen in the last hour, the days before too far */
		near("step behind", pp_history_rise(&h, T0 + 8 * DAY + 10 *
			3600 + 1200, NULL, 300), 30720, 0);
		/* a day 8 back lies outside the week */
		near("a week only", pp_history_rise(&h, T0 + 15 * DAY + 9 *
			3600, NULL, 300), 0, 0);
		near("empty history", pp_history_rise(&(struct pp_history){0},
			now, NULL, 300), 0, 0);
	} else if (!strcmp(c, "step")) {
		/* 40 GB held, 70 GB from 09:30 (a step of 30 GB in one
		 * minute), then a dip to 60 GB at 09:34 and back at 09:35;
		 * one sample a minute */
		memset(&h, 0, sizeof h);
		for (long t = T0; t <= T0 + 10 * 3600; t += 60) {
			long long v = t >= T0 + 9 * 3600 + 1800 ? 71680 : 40960;

			if (t == T0 + 9 * 3600 + 34 * 60)
				v = 61440;
			pp_history_add(&h, &(struct pp_sample){t, v, 200000,
				0});
		}
		now = T0 + 9 * 3600 + 1800;
		near("the step's minute", pp_history_step(&h, now, 600),
			30720, 0);
		near("no window", pp_history_step(&h, now, 0), 0, 0);
		near("before it", pp_history_step(&h, now - 60, 600), 0, 0);
		/* 09:38: 09:29 is the window's first sample; 09:39: the
		 * window (09:29, 09:39] has lost it, the dip is lowest */
		near("last in the window", pp_history_step(&h, now + 480,
			600), 30720, 0);
		near("out of the window", pp_history_step(&h, now + 540, 600),
			10240, 0);
		/* the lowest in the window, not the first: 60 GB at 09:34 */
		near("after the dip", pp_history_step(&h, now + 660, 600),
			10240, 0);
		near("all past", pp_history_step(&h, now + 1260, 600), 0, 0);
		/* now between samples: the newest at or before now */
		near("between samples", pp_history_step(&h, now + 30, 600),
			30720, 0);
		/* no sample in the window: nothing to see */
		near("after the history", pp_history_step(&h, T0 + 11 * 3600,
			600), 0, 0);
		near("empty history", pp_history_step(&(struct pp_history){0},
			now, 600), 0, 0);
		pp_history_free(&h);
	} else if (!strcmp(c, "scan")) {
		/* the one-walk scan of points in order finds the first
		 * step over a limit where asking pp_forecast_value at
		 * every step does: random points, equal horizons with
		 * other values among them, unordered ones too */
		unsigned long long r = 88172645463325252ULL;
		long tries = 0, found = 0;

		memset(&h, 0, sizeof h);
		for (int i = 0; i < 20000; i++) {
			long step = i % 3 ? 300 : 7 + i % 500;
			long horizon = 600 + (long)(i % 37) * 300;
			double limit;
			long want = -1, got;

			memset(&f, 0, sizeof f);
			f.n = (size_t)(i % 9);
			for (size_t k = 0; k < f.n; k++) {
				r ^= r << 13, r ^= r >> 7, r ^= r << 17;
				f.at[k].horizon_s = 150 * (long)(1 + r % 60);
				f.at[k].allocated_mb = (double)((r >> 20) % 100000);
			}
			f.ascending = 1;
			for (size_t k = 1; k < f.n; k++)
				if (f.at[k].horizon_s < f.at[k - 1].horizon_s)
					f.ascending = 0;
			if (i % 2 && !f.ascending) {
				/* sort half of them, keeping equal horizons */
				for (size_t a = 1; a < f.n; a++)
					for (size_t b = a; b > 0 &&
					    f.at[b - 1].horizon_s >
					    f.at[b].horizon_s; b--) {
						struct pp_forecast_point t =
							f.at[b];

						f.at[b] = f.at[b - 1];
						f.at[b - 1] = t;
					}
				f.ascending = 1;
			}
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			limit = f.n ? f.at[r % f.n].allocated_mb -
				(double)(r % 3) : 0;
			for (long t = step; t <= horizon && want < 0; t += step) {
				double v = pp_forecast_value(&f, t);

				if (v >= 0 && v > limit)
					want = t;
			}
			got = pp_forecast_first_over(&f, limit, step, horizon);
			tries++;
			found += want >= 0;
			if (got != want) {
				printf("FAIL scan %d: got %ld, want %ld\n", i,
					got, want);
				failed = 1;
				break;
			}
		}
		printf("ok scan: %ld forecasts, %ld crossings\n", tries, found);
	} else if (!strcmp(c, "memo")) {
		memo();
	} else {
		fprintf(stderr, "usage: forecast sine|weekly|trend|short|gap|"
			"rise|scan|memo\n");
		return 2;
	}
	pp_history_free(&h);
	return failed;
}
