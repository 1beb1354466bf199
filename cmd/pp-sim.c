/* pp-sim: backtests the scaling policies on a demand trace.
 *
 * Reads a trace (CSV "time,value", a file or - for stdin), replays it
 * through the decision engine and policies of pp-decide, in process,
 * with a simulated cloud and platform, and writes a JSON report to
 * stdout (a readable summary goes to stderr). Reads no pipe document
 * and changes nothing outside --svg FILE. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pp.h"
#include "run/sim.h"

enum {
	OPT_PEAK_RATIO = PP_OPT_TOOL, OPT_DEDICATED, OPT_BOOT, OPT_STEP,
	OPT_CYCLE, OPT_MIX, OPT_SESSION, OPT_SEED, OPT_SVG, OPT_MAX_GAP,
	OPT_NO_STATIC, OPT_NO_PROGRESS, OPT_INTERPOLATE, OPT_SCALE_PCT, OPT_DRAIN,
	OPT_WARMUP, OPT_STRATEGY, OPT_TARGET
};

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-sim [-pqv] [-c FILE] [--now TIME] "
		"[--peak-ratio X] [--dedicated NxGB]\n"
		"              [--boot DUR] [--step DUR] [--cycle DUR] "
		"[--mix GB:W,...]\n"
		"              [--session DUR] [--seed N] [--max-gap DUR] "
		"[--svg FILE]\n"
		"              [--no-static] [--no-progress] [--interpolate]\n"
		"              [--scale-percentile P] [--drain DUR] "
		"[--warmup DUR]\n"
		"              [--strategy NAME] [--target P] TRACE\n\n"
		"Replays a demand trace (CSV time,value; - for stdin) through "
		"the scaling\npolicies with a simulated cloud and writes a "
		"JSON report to stdout.\n\n"
		"      --peak-ratio X    trace peak needs X times the "
		"dedicated RAM (2.5)\n"
		"      --dedicated NxGB  dedicated base: N nodes of GB each "
		"(2x64)\n"
		"      --boot DUR        cloud boot delay (3m)\n"
		"      --step DUR        simulation step (1m)\n"
		"      --cycle DUR       how often the engine decides (2m, "
		"the shipped cron's)\n"
		"      --mix GB:W,...    game-server sizes and weights\n"
		"                        (1:15,2:25,4:30,8:20,16:10)\n"
		"      --session DUR     mean game-server session, 0: no "
		"churn (2h)\n"
		"      --seed N          random seed of sizes and sessions "
		"(1)\n"
		"      --max-gap DUR     longer holes in the trace are "
		"reported (3h)\n"
		"      --svg FILE        draw demand, capacity and actions\n"
		"      --no-static       skip the static-fleet references\n"
		"      --interpolate     ramp between samples (default: hold "
		"each sample\n"
		"                        until the next)\n"
		"      --scale-percentile P  scale the trace's P-th percentile "
		"of steps to\n"
		"                        the --peak-ratio, not its maximum "
		"(100)\n"
		"      --drain DUR       a removed node drains this long "
		"before its game\n"
		"                        servers move and it goes (2m)\n"
		"      --warmup DUR      players' figures count from then on; "
		"the cold start\n"
		"                        with no cloud node is not counted "
		"(1h)\n"
		"      --strategy NAME   who decides: shipped (the engine), "
		"target,\n"
		"                        ca or ca-headroom (comparisons)\n"
		"      --target P        target tracking's utilisation "
		"percent (70)\n"
		"      --no-progress     no progress line on stderr\n"
		PP_COMMON_HELP_NO_CLOCK
		"\n-v logs each scaling action and drain on stderr; -vv each "
		"refused game server\ntoo.\n");
}

static long
duration(const char *opt, const char *arg, int zero_ok)
{
	long d = pp_parse_duration(arg);

	if (d < 0 || (!zero_ok && d == 0))
		pp_die(PP_EXIT_USAGE, "--%s: bad duration '%s'", opt, arg);
	return d;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		{"peak-ratio", required_argument, 0, OPT_PEAK_RATIO},
		{"dedicated", required_argument, 0, OPT_DEDICATED},
		{"boot", required_argument, 0, OPT_BOOT},
		{"step", required_argument, 0, OPT_STEP},
		{"cycle", required_argument, 0, OPT_CYCLE},
		{"mix", required_argument, 0, OPT_MIX},
		{"session", required_argument, 0, OPT_SESSION},
		{"seed", required_argument, 0, OPT_SEED},
		{"max-gap", required_argument, 0, OPT_MAX_GAP},
		{"svg", required_argument, 0, OPT_SVG},
		{"no-static", no_argument, 0, OPT_NO_STATIC},
		{"interpolate", no_argument, 0, OPT_INTERPOLATE},
		{"scale-percentile", required_argument, 0, OPT_SCALE_PCT},
		{"drain", required_argument, 0, OPT_DRAIN},
		{"warmup", required_argument, 0, OPT_WARMUP},
		{"strategy", required_argument, 0, OPT_STRATEGY},
		{"target", required_argument, 0, OPT_TARGET},
		{"no-progress", no_argument, 0, OPT_NO_PROGRESS},
		{0, 0, 0, 0},
	};
	struct pp_sim_opts o;
	const struct pp_config *cfg;
	json_object *r;
	char *end;
	int c, status = PP_EXIT_OK;

	pp_setprogname(argv[0]);
	pp_sim_defaults(&o);
	o.progress = isatty(2);
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_PEAK_RATIO:
			o.peak_ratio = strtod(optarg, &end);
			if (end == optarg || *end || !(o.peak_ratio > 0) ||
			    o.peak_ratio > 1000)
				pp_die(PP_EXIT_USAGE, "--peak-ratio: expected a "
					"positive number, not '%s'", optarg);
			break;
		case OPT_DEDICATED:
			if (pp_sim_parse_dedicated(&o, optarg) < 0)
				pp_die(PP_EXIT_USAGE, "--dedicated: expected "
					"COUNTxGB such as 2x64, not '%s'",
					optarg);
			break;
		case OPT_BOOT:
			o.boot_s = duration("boot", optarg, 1);
			break;
		case OPT_STEP:
			o.step_s = duration("step", optarg, 0);
			break;
		case OPT_CYCLE:
			o.cycle_s = duration("cycle", optarg, 0);
			break;
		case OPT_MIX:
			if (pp_sim_parse_mix(&o, optarg) < 0)
				pp_die(PP_EXIT_USAGE, "--mix: expected GB:WEIGHT"
					",... such as 2:50,8:50, not '%s'",
					optarg);
			break;
		case OPT_SESSION:
			o.session_min = (double)duration("session", optarg,
				1) / 60.0;
			break;
		case OPT_SEED:
			o.seed = strtoull(optarg, &end, 10);
			if (end == optarg || *end)
				pp_die(PP_EXIT_USAGE, "--seed: expected a "
					"number, not '%s'", optarg);
			break;
		case OPT_MAX_GAP:
			o.max_gap_s = duration("max-gap", optarg, 0);
			break;
		case OPT_SVG:
			o.svg = optarg;
			break;
		case OPT_NO_STATIC:
			o.no_static = 1;
			break;
		case OPT_NO_PROGRESS:
			o.progress = 0;
			break;
		case OPT_INTERPOLATE:
			o.interpolate = 1;
			break;
		case OPT_SCALE_PCT:
			o.scale_pct = strtod(optarg, &end);
			if (end == optarg || *end || !(o.scale_pct >= 50) ||
			    o.scale_pct > 100)
				pp_die(PP_EXIT_USAGE, "--scale-percentile: "
					"expected a number from 50 to 100, not "
					"'%s'", optarg);
			break;
		case OPT_DRAIN:
			o.drain_s = duration("drain", optarg, 1);
			break;
		case OPT_WARMUP:
			o.warmup_s = duration("warmup", optarg, 1);
			break;
		case OPT_STRATEGY:
			o.strategy = pp_sim_parse_strategy(optarg);
			if (o.strategy < 0)
				pp_die(PP_EXIT_USAGE, "--strategy: expected "
					"shipped, target, ca or ca-headroom, not "
					"'%s'", optarg);
			break;
		case OPT_TARGET:
			o.target_pct = strtod(optarg, &end);
			if (end == optarg || *end || !(o.target_pct >= 10) ||
			    o.target_pct > 100)
				pp_die(PP_EXIT_USAGE, "--target: expected a "
					"percent from 10 to 100, not '%s'", optarg);
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	if (optind != argc - 1) {
		pp_warn(optind < argc ? "one trace expected" :
			"no trace given");
		pp_usage_error(usage);
	}
	o.trace = argv[optind];
	if (pp_verbosity < 0)
		o.progress = 0;
	cfg = pp_start();
	r = pp_sim_run(cfg, &o);
	if (pp_doc_write(r, pp_pretty()) < 0)
		status = PP_EXIT_FAIL;
	json_object_put(r);
	return pp_finish_stdout(status);
}
