/* pp-cycle: runs one scaling cycle (any command: the pipeline) only
 * when no other cycle of the pool is running, on this host or, with
 * control.database set, on any control host.
 *
 * Reads nothing on stdin itself (the command inherits it). Changes:
 * STATE_DIR/pipeline.lock (without control.database), or holds a
 * PostgreSQL advisory lock for as long as the command runs. Exits 75
 * without running the command when another cycle holds the lock, else
 * with the command's status. The command runs in a process group of
 * its own, and the lock is held until every process of it has ended. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "run/cycle.h"

enum { OPT_KILL_AFTER = PP_OPT_TOOL };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-cycle [-qv] [-c FILE] [--state-dir DIR] "
		"[--now TIME]\n"
		"                [--kill-after DURATION] [--] COMMAND "
		"[ARG...]\n\n"
		"Runs COMMAND (the scaling cycle) while holding the pool's "
		"cycle lock: the\n"
		"database's advisory lock with control.database set (one "
		"cycle on any control\n"
		"host), else STATE_DIR/pipeline.lock (one on this host). "
		"Exit 75 when another\n"
		"cycle holds it, 1 when the database cannot be reached (the "
		"command does not\n"
		"run) or the lock's session is lost, 2 on bad usage or a "
		"bad configuration,\n"
		"127 when COMMAND cannot be run, else COMMAND's exit status "
		"(128 + N when\n"
		"signal N ended it).\n\n"
		PP_STATE_DIR_HELP
		"      --kill-after DUR kill what of COMMAND still runs DUR "
		"after SIGTERM\n"
		"                      (default 60s)\n"
		PP_TEXT_HELP_NO_CLOCK);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_TEXT_LONGOPTS,
		PP_STATE_DIR_LONGOPT,
		{"kill-after", required_argument, 0, OPT_KILL_AFTER},
		{0, 0, 0, 0},
	};
	const char *state_dir = NULL;
	const struct pp_config *cfg;
	long kill_after = 60;
	int c;

	pp_setprogname(argv[0]);
	/* '+': options end at COMMAND, whose own options are its own */
	while ((c = getopt_long(argc, argv, "+" PP_TEXT_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		if (c == PP_OPT_STATE_DIR) {
			state_dir = optarg;
		} else if (c == OPT_KILL_AFTER) {
			kill_after = pp_parse_duration(optarg);
			if (kill_after <= 0)
				pp_die(PP_EXIT_USAGE, "bad --kill-after '%s': "
					"expected a duration such as 30s or "
					"2m", optarg);
		} else {
			pp_bad_option(usage, argv, longopts);
		}
	}
	if (optind >= argc) {
		pp_warn("a command to run is required");
		pp_usage_error(usage);
	}
	cfg = pp_start();
	return pp_cycle_run(cfg, state_dir, argv + optind, kill_after);
}
