/* sim.c: pp-sim, a trace replayed through the decision engine with a
 * simulated cloud and platform */
#ifndef PP_SIM_H
#define PP_SIM_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

struct pp_config;

#define PP_SIM_MAXMIX 16

/* --strategy: the engine's policies, or a comparison (sim_compare.c) */
enum {
	PP_STRAT_SHIPPED, PP_STRAT_TARGET, PP_STRAT_CA, PP_STRAT_CA_HEADROOM
};

struct pp_sim_opts {
	const char *trace;      /* path or "-" */
	const char *svg;        /* --svg FILE, or NULL */
	double peak_ratio;      /* trace peak = this x dedicated capacity */
	long dedicated_nodes;   /* dedicated base: count ... */
	double dedicated_gb;    /* ... of this size */
	long long dedicated_reserved_mb;
	long boot_s;            /* cloud boot delay */
	long step_s;            /* simulation step */
	long cycle_s;           /* how often the engine decides */
	long drain_s;           /* a removed node drains this long before
				 * its game servers move */
	long max_gap_s;         /* longer holes are reported */
	double session_min;     /* mean game-server session, 0: no churn */
	unsigned long long seed;
	size_t nmix;            /* game-server sizes and weights */
	long mix_mb[PP_SIM_MAXMIX];
	double mix_w[PP_SIM_MAXMIX];
	int progress;           /* 1: a progress line on stderr */
	int no_static;          /* skip the static-fleet reference */
	long warmup_s;          /* players' figures count from then on */
	int strategy;           /* PP_STRAT_*: who decides */
	double target_pct;      /* target tracking's utilisation */
	int interpolate;        /* 1: ramp between samples; 0: hold each
				 * sample until the next */
	double scale_pct;       /* scale this percentile of the steps'
				 * demand to peak_ratio (100: the max) */
};

void pp_sim_defaults(struct pp_sim_opts *o);
/* "1:15,2:25,4:30,8:20,16:10" (GB:weight); -1 when malformed. */
int pp_sim_parse_mix(struct pp_sim_opts *o, const char *s);
/* "2x64" (count x GB); -1 when malformed. */
int pp_sim_parse_dedicated(struct pp_sim_opts *o, const char *s);

/* "shipped", "target", "ca", "ca-headroom" to PP_STRAT_*; -1 unknown. */
int pp_sim_parse_strategy(const char *s);
const char *pp_sim_strategy_name(int strategy);

/* Runs the simulation; returns the report (see pp-sim(1)) and prints
 * the summary on stderr. Dies with status 2 on a bad trace, 1 when the
 * SVG cannot be written. */
json_object *pp_sim_run(const struct pp_config *cfg,
	const struct pp_sim_opts *o);

#endif
