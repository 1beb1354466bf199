/* pp-drain: empties a node before it goes away.
 *
 * In the pipeline it reads the document on stdin and acts on its
 * decision: on scale_down it cordons decision.node in the registry
 * (status draining), plans a home for each of its game servers and
 * moves them through the configured move hook, recording each move in
 * the registry; on uncordon it sets the node back to ready. Any other
 * decision passes through unchanged. It adds the "drain" section and
 * writes the document to stdout.
 *
 * With --node it drains (or, with --uncordon, returns) one node by
 * hand, dedicated ones included, reads nothing on stdin and writes a
 * new document holding the "drain" section.
 *
 * Changes: the registry (node status, draining_since, draining_by,
 * containers moved between nodes), the events file, lock files
 * STATE_DIR/drain-*.lock, and the state's unrecorded_moves (moves
 * carried out that the registry could not record). Runs the move
 * hook.
 *
 * With --settle SERVER --on NODE an operator settles the moves of a
 * game server pp-drain keeps in the state: it records the game server
 * on NODE in the registry if it is not there, drops the moves, and
 * reads and writes no document. */
#include <stdio.h>
#include <stdlib.h>

#include "pp.h"

enum {
	OPT_NODE = PP_OPT_TOOL, OPT_UNCORDON, OPT_WAIT, OPT_DEADLINE,
	OPT_INTERVAL, OPT_SETTLE, OPT_ON
};

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-drain [-pqv] [-c FILE] [--now TIME] "
		"[--registry PATH]\n"
		"                [--state-dir DIR] [--dry-run] [--wait] "
		"[--deadline DURATION]\n"
		"                [--interval SECONDS] < document\n\n"
		"       pp-drain --node ID [--uncordon] [-pqv] [-c FILE] "
		"[--now TIME]\n"
		"                [--registry PATH] [--state-dir DIR] "
		"[--dry-run] [--wait]\n"
		"                [--deadline DURATION] [--interval SECONDS]"
		"\n\n"
		"       pp-drain --settle SERVER --on NODE [-pqv] [-c FILE] "
		"[--now TIME]\n"
		"                [--registry PATH] [--state-dir DIR] "
		"[--dry-run]\n\n"
		"Drains the node a scale_down decision names (document on "
		"stdin), or returns\n"
		"it to service on uncordon; with --node, drains any node by "
		"hand;\n"
		"with --settle, settles by hand the moves of a game server "
		"that pp-drain\n"
		"began and could not settle.\n\n"
		PP_REGISTRY_HELP
		PP_STATE_DIR_HELP
		"  -n, --node ID       drain this node by hand (maintenance;\n"
		"                      dedicated nodes too); reads no document "
		"on stdin\n"
		"      --uncordon      with --node: set the node back to "
		"ready\n"
		"      --dry-run       print the plan, change nothing, run no "
		"hook\n"
		"  -w, --wait          repeat until the node is empty or the "
		"deadline passes,\n"
		"                      with progress on stderr\n"
		"      --deadline DUR  how long --wait waits (default: "
		"drain.deadline)\n"
		"      --interval SECS pause between passes with --wait "
		"(default 5,\n"
		"                      at most 3600)\n"
		"      --settle SERVER drop every move of this game server "
		"pp-drain keeps as\n"
		"                      begun or not recorded (pp-status: "
		"unsettled), once you\n"
		"                      have seen where it runs; reads no "
		"document, writes none\n"
		"      --on NODE       with --settle: the node it runs on, "
		"recorded there in\n"
		"                      the registry if it is not\n"
		PP_COMMON_HELP);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		PP_DRYRUN_LONGOPT,
		PP_REGISTRY_LONGOPT,
		PP_STATE_DIR_LONGOPT,
		{"node", required_argument, 0, 'n'},
		{"uncordon", no_argument, 0, OPT_UNCORDON},
		{"wait", no_argument, 0, 'w'},
		{"deadline", required_argument, 0, OPT_DEADLINE},
		{"interval", required_argument, 0, OPT_INTERVAL},
		{"settle", required_argument, 0, OPT_SETTLE},
		{"on", required_argument, 0, OPT_ON},
		{0, 0, 0, 0},
	};
	struct pp_drain_opts o = {0};
	const struct pp_config *cfg;
	json_object *doc;
	char *end;
	int c, status;

	pp_setprogname(argv[0]);
	o.deadline = -1;
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS "r:n:w",
	    longopts, NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case 'r':
			o.registry = optarg;
			break;
		case PP_OPT_STATE_DIR:
			o.state_dir = optarg;
			break;
		case 'n':
			if (!*optarg)
				pp_die(PP_EXIT_USAGE, "empty --node");
			o.node = optarg;
			break;
		case OPT_SETTLE:
			if (!*optarg)
				pp_die(PP_EXIT_USAGE, "empty --settle");
			o.settle = optarg;
			break;
		case OPT_ON:
			if (!*optarg)
				pp_die(PP_EXIT_USAGE, "empty --on");
			o.on = optarg;
			break;
		case OPT_UNCORDON:
			o.uncordon = 1;
			break;
		case 'w':
			o.wait = 1;
			break;
		case OPT_DEADLINE:
			o.deadline = pp_parse_duration(optarg);
			if (o.deadline < 0)
				pp_die(PP_EXIT_USAGE, "bad --deadline '%s': "
					"expected a duration such as 90s, 30m "
					"or 2h", optarg);
			break;
		case OPT_INTERVAL:
			o.interval = strtod(optarg, &end);
			if (end == optarg || *end || !(o.interval > 0) ||
			    o.interval > 3600)
				pp_die(PP_EXIT_USAGE, "bad --interval '%s': "
					"expected seconds above 0, at most 3600",
					optarg);
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	if (o.uncordon && !o.node)
		pp_die(PP_EXIT_USAGE, "--uncordon needs --node ID (in the "
			"pipeline, the decision says uncordon)");
	if (o.on && !o.settle)
		pp_die(PP_EXIT_USAGE, "--on needs --settle SERVER");
	if (o.settle && !o.on)
		pp_die(PP_EXIT_USAGE, "--settle needs --on NODE: the node "
			"the game server runs on");
	if (o.settle && (o.node || o.wait || o.deadline >= 0 ||
	    o.interval > 0))
		pp_die(PP_EXIT_USAGE, "--settle takes no --node, --uncordon, "
			"--wait, --deadline or --interval");
	o.dry_run = pp_opt.dry_run;
	cfg = pp_start();
	/* an operator's edit of the state and registry, as pp-registry's:
	 * no document, no run published */
	if (o.settle)
		return pp_finish_stdout(pp_drain_settle(cfg, &o));
	pp_catch_signals();
	/* before reading anything: a run that dies is published too */
	if (!o.dry_run)
		pp_metrics_init(cfg, o.state_dir);
	doc = o.node ? pp_doc_new(pp_now()) : pp_doc_read_lean(pp_pretty());
	/* shadow mode (pp-decide --shadow): plan, cordon nothing, move
	 * nothing; the run is still published */
	if (pp_jbool(json_object_object_get(doc, "decision"), "shadow", 0))
		o.dry_run = 1;
	status = pp_drain_run(cfg, &o, doc);
	if (pp_doc_write(doc, pp_pretty()) < 0)
		status = PP_EXIT_FAIL;
	json_object_put(doc);
	/* the run is published before stdout closes: the next tool of
	 * the cycle cannot finish, and judge the cycle, before it */
	status = pp_flush_stdout(status);
	pp_metrics_exit(NULL, status);
	return pp_finish_stdout(status);
}
