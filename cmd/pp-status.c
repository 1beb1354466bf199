/* pp-status: the scaling status, for operators and scripts.
 *
 * Reads STATE_DIR/state.json (pp-decide's memory and the counters) and
 * STATE_DIR/last.json (the last document pp-fleetstats recorded), both
 * optional, and prints which policies are on, cooldowns and windows with
 * the time left, the last actions, capacity and cost, spares wanted and
 * present, and drains in progress: a table, or JSON with --json. Reads
 * nothing on stdin, changes nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "pp.h"

enum { OPT_JSON = PP_OPT_TOOL };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-status [-pqv] [-c FILE] [--now TIME] "
		"[--state-dir DIR] [--json]\n"
		"                 [-n COUNT]\n\n"
		"Prints the scaling status from the state file and the last "
		"snapshot.\n\n"
		"      --json          print JSON instead of the table\n"
		"  -n, --actions COUNT how many last actions to show "
		"(default 5)\n"
		PP_STATE_DIR_HELP
		PP_COMMON_HELP);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		PP_STATE_DIR_LONGOPT,
		{"json", no_argument, 0, OPT_JSON},
		{"actions", required_argument, 0, 'n'},
		{0, 0, 0, 0},
	};
	const char *state_dir = NULL;
	const struct pp_config *cfg;
	json_object *st;
	char err[768], *end;
	int c, json = 0, status = PP_EXIT_OK;
	long nactions = 5;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS "n:",
	    longopts, NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case PP_OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'n':
			nactions = strtol(optarg, &end, 10);
			if (*end || end == optarg || nactions < 0 ||
			    nactions > 1000)
				pp_die(PP_EXIT_USAGE, "bad --actions '%s': "
					"expected 0 to 1000", optarg);
			break;
		default:
			pp_usage_error(usage);
		}
	}
	pp_no_operands(argc, argv, usage);
	cfg = pp_start();
	st = pp_status_collect(cfg, state_dir, (int)nactions, err,
		sizeof err);
	if (!st)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (json) {
		if (pp_doc_write(st, pp_pretty()) < 0)
			status = PP_EXIT_FAIL;
	} else {
		pp_status_print(stdout, st);
	}
	json_object_put(st);
	return pp_finish_stdout(status);
}
