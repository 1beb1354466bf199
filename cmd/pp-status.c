/* pp-status: the scaling status, for operators and scripts.
 *
 * Reads STATE_DIR/state.json (pp-decide's memory and the counters) and
 * STATE_DIR/last.json (the last document pp-fleetstats recorded), both
 * optional, and prints which policies are on, cooldowns and windows with
 * the time left, the last actions, capacity and cost, spares wanted and
 * present, drains in progress, and what pp-drain and pp-provision did
 * after the snapshot (the events file, or ppscale_events with
 * control.database): a table, or JSON with --json. Reads
 * nothing on stdin, changes nothing. A state directory that is missing
 * or holds no state, or a snapshot older than --max-age, is warned
 * about on stderr (even under -q) and exits PP_STATUS_UNTRUSTED (3)
 * after the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

enum { OPT_JSON = PP_OPT_TOOL, OPT_MAX_AGE };
/* The report is printed but should not be believed (see above). */
enum { PP_STATUS_UNTRUSTED = 3 };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-status [-pqv] [-c FILE] [--now TIME] "
		"[--state-dir DIR] [--json]\n"
		"                 [-n COUNT] [--max-age DURATION]\n\n"
		"Prints the scaling status from the state file, the last "
		"snapshot and the\n"
		"events pp-drain and pp-provision recorded after it.\n\n"
		"      --json          print JSON instead of the table\n"
		"  -n, --actions COUNT how many last actions to show "
		"(default 5)\n"
		"      --max-age DUR   a snapshot older than this is stale: "
		"warn, exit 3\n"
		"                      (default 10m; 0: never)\n"
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
		{"max-age", required_argument, 0, OPT_MAX_AGE},
		{0, 0, 0, 0},
	};
	const char *state_dir = NULL;
	const struct pp_config *cfg;
	json_object *st;
	char err[768], *end;
	int c, json = 0, status = PP_EXIT_OK;
	long nactions = 5, max_age = 600;

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
		case OPT_MAX_AGE:
			max_age = strcmp(optarg, "0") ?
				pp_parse_duration(optarg) : 0;
			if (max_age < 0)
				pp_die(PP_EXIT_USAGE, "bad --max-age '%s': "
					"expected a duration such as 10m",
					optarg);
			break;
		case 'n':
			nactions = strtol(optarg, &end, 10);
			if (*end || end == optarg || nactions < 0 ||
			    nactions > 1000)
				pp_die(PP_EXIT_USAGE, "bad --actions '%s': "
					"expected 0 to 1000", optarg);
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	cfg = pp_start();
	st = pp_status_collect(cfg, state_dir, (int)nactions, max_age, err,
		sizeof err);
	if (!st)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (json) {
		if (pp_doc_write(st, pp_pretty()) < 0)
			status = PP_EXIT_FAIL;
	} else {
		pp_status_print(stdout, st);
	}
	{
		json_object *w = json_object_object_get(st, "warnings");

		for (size_t i = 0; i < json_object_array_length(w); i++)
			pp_error("%s", json_object_get_string(
				json_object_array_get_idx(w, i)));
		if (json_object_array_length(w) && status == PP_EXIT_OK)
			status = PP_STATUS_UNTRUSTED;
	}
	json_object_put(st);
	return pp_finish_stdout(status);
}
