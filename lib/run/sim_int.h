/* sim_int.h: what pp-sim's own files share (sim.c, sim_demand.c,
 * sim_platform.c, sim_loop.c, sim_report.c, sim_svg.c); nothing else
 * includes it */
#ifndef PP_SIM_INT_H
#define PP_SIM_INT_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "conf/catalog.h"
#include "engine/engine.h"
#include "engine/forecast.h"
#include "store/history.h"
#include "run/sim.h"

#define WEEK (7 * 86400L)
#define FLAP_WINDOW 1800L
#define RING 512

/* the demand (sim_demand.c) */
struct gap {
	time_t from, to;
};

struct demand {
	time_t t0;
	long step;
	size_t n;
	float *raw;        /* trace value at each step */
	unsigned char *ingap; /* 1: inside a long gap */
	double peak;
	size_t rows;
	time_t first, last;
	size_t ngaps;
	struct gap *gaps;
	double median_interval;
};

void pp_sim_demand_load(struct demand *d, const struct pp_sim_opts *o);
void pp_sim_demand_free(struct demand *d);
/* The pct-th percentile of the steps' values outside long gaps (the
 * maximum at 100). */
double pp_sim_demand_percentile(const struct demand *d, double pct);

/* the platform (sim_platform.c) */
enum { N_GONE = -1 };

struct snode {
	char id[32];
	int kind, status, role;
	const struct pp_server_type *type;
	double hourly, monthly;
	long long usable, used;
	time_t created, ready_at, drain_at;
	time_t low_since;       /* --strategy ca: under 50 % since */
	long nserv;
};

struct server {
	long mb;
	int node;
	time_t end;
};

struct rng {
	unsigned long long s;
};

struct platform {
	const struct pp_sim_opts *o;
	size_t nn, ncap;
	struct snode *n;
	size_t ns, scap;
	struct server *s;
	long long running_mb;
	struct rng size_rng, stop_rng, life_rng;
	long next_mb;
	double wsum;
	/* game servers refused and waiting to start, oldest first */
	size_t nwait, wcap;
	long *wait;
	long long wait_mb;
	/* counters: attempts (a waiting server tries every step) and game
	 * servers (each counted once) */
	long long starts, refused;
	long long servers, refused_servers;
	double waited_server_min;
	long refusal_steps;
	double unmet_gb_min;
	int refused_now;
	/* game servers moved by drains: each one a live game server
	 * migrated, which its players feel */
	long long moves;
	/* a reference run (the static fleets): its refusals are not the
	 * run's, so -vv does not name them */
	int quiet;
};

void pp_sim_platform_init(struct platform *p, const struct pp_sim_opts *o);
void pp_sim_platform_free(struct platform *p);
int pp_sim_add_node(struct platform *p, const struct pp_server_type *t,
	double hourly, double monthly, long long reserved, int role,
	time_t now, long boot, long serial);
void pp_sim_platform_step(struct platform *p, double demand_mb, time_t now,
	long step);
long pp_sim_evacuate(struct platform *p, int k);
/* Forgets the nodes that are gone (billed), so that each step walks
 * only the fleet there is: a month of scale-ups and downs left
 * hundreds behind. Node indices change: call it between steps. */
void pp_sim_compact(struct platform *p);

/* the simulation and its references (sim_loop.c) */
struct static_ref {
	const char *type;
	long count;
	double cost;            /* -1: no type can */
	long long refused;      /* starts it refuses */
};

struct act {
	time_t t;
	int kind;
	long count;
};

struct svgbin {
	double demand, ready, pending;
	int set;
};

struct sim {
	const struct pp_config *cfg;
	const struct pp_sim_opts *o;
	struct demand d;
	struct pp_catalog cat;
	struct pp_type_memo types; /* the engine's type choices */
	double scale;           /* MB per trace unit */
	double scale_base;      /* the trace value scaled to peak_ratio */
	long long ded_mb;
	struct platform p;
	struct pp_history hist;
	/* sums kept between steps: the forecast's level corrections and
	 * the 24-hour window (the history only grows between prunes) */
	struct pp_forecast_memo fmemo;
	struct pp_window_memo w24memo;
	json_object *state;
	long serial;
	/* costs */
	double cost, node_hours;
	long peak_cloud;
	long actions[5];
	long flaps;
	time_t last_up, last_down;
	size_t nacts, actcap;
	struct act *acts;
	/* forecast error */
	double fc1[RING], fc2[RING];
	long fcmin1[RING], fcmin2[RING];
	double pv1[RING], pv2[RING];   /* persistence: the value then */
	double ape1, ape2, nape1, nape2, pape1, pape2;
	long nerr1, nerr2;
	char method[48];
	/* references */
	double oracle;
	const char *static_type;
	long static_count;
	double static_cost;
	struct static_ref stat0, stateq; /* zero and equal refusals */
	long big_mb;            /* the largest game-server size */
	time_t tt_last_in;      /* target tracking's last scale-in */
	/* the picture */
	size_t nbins;
	struct svgbin *bins;
	double ymax;
};

void pp_sim_main_run(struct sim *S);
double pp_sim_best_eur_per_gb(const struct sim *S);
void pp_sim_oracle_run(struct sim *S);
void pp_sim_static_run(struct sim *S);

/* the comparison strategies (sim_compare.c): the decision in place of
 * the engine's, on a prepared context */
void pp_sim_strategy_decide(struct sim *S, const struct pp_engine_ctx *c,
	struct pp_decision *d);

/* the report (sim_report.c) and the picture (sim_svg.c) */
double pp_sim_ratio(double a, double b);
json_object *pp_sim_report(struct sim *S, double elapsed);
void pp_sim_summary(struct sim *S, json_object *r);
void pp_sim_write_svg(struct sim *S);

#endif
