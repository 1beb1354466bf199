/* pp-decide: the decision engine in the pipe.
 *
 * Reads the document (from pp-fleetstats) on stdin, runs the policies
 * (reactive, spare pool, and whatever else is registered in
 * lib/engine/engine.c) and writes the document with "decision" added to
 * stdout. Keeps its memory in the "decide" section of
 * STATE_DIR/state.json and appends scaling events; --dry-run decides
 * from the same state and writes nothing; --shadow keeps the state and
 * marks the decision so that the tools after it act on nothing. Never
 * calls the cloud. */
#include <stdio.h>
#include <stdlib.h>

#include "pp.h"

enum { OPT_EXPLAIN = PP_OPT_TOOL, OPT_RESET_STATE, OPT_SHADOW };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-decide [-pqv] [-c FILE] [--now TIME] "
		"[--dry-run] [--explain]\n"
		"                 [--reset-state] [--shadow] [--state-dir DIR] "
		"< document\n\n"
		"Runs the scaling policies over the fleet document on stdin "
		"and writes it\nto stdout with the decision added.\n\n"
		"      --dry-run       decide from the current state, write "
		"nothing (no state,\n"
		"                      no events)\n"
		"      --explain       print every policy's verdict, figures "
		"and reason as a\n"
		"                      table on stderr\n"
		"      --shadow        shadow mode: keep the memory, events and "
		"metrics as\n"
		"                      usual, but mark the decision so that "
		"pp-drain and\n"
		"                      pp-provision act on nothing\n"
		"      --reset-state   forget pp-decide's memory (cooldowns, "
		"down window) and\n"
		"                      start fresh; replaces a corrupt state "
		"file\n"
		PP_STATE_DIR_HELP
		PP_COMMON_HELP);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		PP_DRYRUN_LONGOPT,
		{"explain", no_argument, 0, OPT_EXPLAIN},
		{"reset-state", no_argument, 0, OPT_RESET_STATE},
		{"shadow", no_argument, 0, OPT_SHADOW},
		PP_STATE_DIR_LONGOPT,
		{0, 0, 0, 0},
	};
	struct pp_decide_opts o = {0};
	const struct pp_config *cfg;
	json_object *doc;
	int c, status = PP_EXIT_OK;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_EXPLAIN:
			o.explain = 1;
			break;
		case OPT_RESET_STATE:
			o.reset_state = 1;
			break;
		case OPT_SHADOW:
			o.shadow = 1;
			break;
		case PP_OPT_STATE_DIR:
			o.state_dir = optarg;
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	o.dry_run = pp_opt.dry_run;
	cfg = pp_start();
	/* before reading anything: a run that dies is published too */
	if (!o.dry_run)
		pp_metrics_init(cfg, o.state_dir);
	doc = pp_doc_read_lean(pp_pretty());
	status = pp_decide(cfg, doc, &o);
	if (pp_doc_write(doc, pp_pretty()) < 0)
		status = PP_EXIT_FAIL;
	json_object_put(doc);
	/* the run is published before stdout closes: the next tool of
	 * the cycle cannot finish, and judge the cycle, before it */
	status = pp_flush_stdout(status);
	pp_metrics_exit(NULL, status);
	return pp_finish_stdout(status);
}
