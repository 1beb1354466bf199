/* The predictive policy's verdicts on a hand-made forecast.
 * Usage: predictive up|urgency|veto; exits 1 on a miss. */
#include <stdio.h>
#include <string.h>

#include "pp.h"
#include "engine/policy_predictive.h"

static int failed;

static void
check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	failed |= !ok;
}

/* forecast: 15 min a, 1 h b, 2 h c (MB) */
static void
fc(struct pp_forecast *f, double a, double b, double c)
{
	memset(f, 0, sizeof *f);
	snprintf(f->method, sizeof f->method, "test");
	f->n = 3;
	f->at[0] = (struct pp_forecast_point){900, a};
	f->at[1] = (struct pp_forecast_point){3600, b};
	f->at[2] = (struct pp_forecast_point){7200, c};
}

int
main(int argc, char **argv)
{
	char err[256];
	struct pp_config *cfg = pp_engine_config_parse(NULL, 0, "t", err,
		sizeof err);
	struct pp_forecast f;
	struct pp_predictive_verdict v;
	const char *c = argc > 1 ? argv[1] : "";

	/* lead time 5m + 10m = 15 min, threshold 80 %, horizon 2 h */
	if (!strcmp(c, "up")) {
		fc(&f, 70000, 90000, 90000);
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("no scale-up at 70% in 15 min", !v.up);
		fc(&f, 88000, 90000, 90000);
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("scale-up at 88% in 15 min", v.up);
		/* 88000 / 0.8 = 110000: 10000 MB more */
		check("sized to cover the forecast", v.need_mb > 9999 &&
			v.need_mb < 10001);
		memset(&f, 0, sizeof f);
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("no forecast, no scale-up", !v.up &&
			strstr(v.reason, "no forecast"));
		/* quiet (pp-sim): the same verdicts, a reason only for the
		 * one that acts */
		fc(&f, 70000, 90000, 90000);
		pp_predictive_up(cfg, &f, 100000, 1, &v);
		check("quiet: no scale-up, no reason", !v.up && !v.reason[0]);
		fc(&f, 88000, 90000, 90000);
		pp_predictive_up(cfg, &f, 100000, 1, &v);
		check("quiet: a scale-up says why", v.up &&
			strstr(v.reason, "forecast 88000 MB"));
	} else if (!strcmp(c, "urgency")) {
		/* crosses 80 % only at 15 min: medium */
		fc(&f, 82000, 82000, 82000);
		f.at[0].horizon_s = 900;
		f.n = 1;
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("medium when the shortfall comes after boot",
			!strcmp(v.urgency, "high") ||
			!strcmp(v.urgency, "medium"));
		/* over capacity before a server could boot: critical */
		fc(&f, 120000, 120000, 120000);
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("critical when it overruns capacity before boot",
			!strcmp(v.urgency, "critical"));
		fc(&f, 60000, 85000, 85000);
		f.at[0].horizon_s = 300;
		f.at[1].horizon_s = 900;
		pp_predictive_up(cfg, &f, 100000, 0, &v);
		check("medium when the crossing comes after the boot time",
			!strcmp(v.urgency, "medium") && v.shortfall_in == 900);
	} else if (!strcmp(c, "veto")) {
		fc(&f, 50000, 60000, 70000);
		pp_predictive_veto(cfg, &f, 80000, 85, 0, &v);
		check("veto when the load comes back over 85% in 2 h",
			v.veto && v.shortfall_in > 3600);
		fc(&f, 50000, 55000, 60000);
		pp_predictive_veto(cfg, &f, 80000, 85, 0, &v);
		check("no veto when it stays under", !v.veto);
		pp_predictive_veto(cfg, &f, 80000, 85, 1, &v);
		check("quiet: no veto, no reason", !v.veto && !v.reason[0]);
		fc(&f, 50000, 60000, 70000);
		pp_predictive_veto(cfg, &f, 80000, 85, 1, &v);
		check("quiet: a veto says why", v.veto &&
			strstr(v.reason, "after removal"));
		fc(&f, 50000, 55000, 60000);
		memset(&f, 0, sizeof f);
		pp_predictive_veto(cfg, &f, 80000, 85, 0, &v);
		check("no veto without a forecast", !v.veto);
	} else {
		pp_config_free(cfg);
		return 2;
	}
	pp_config_free(cfg);
	return failed;
}
