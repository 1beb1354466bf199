/* pp-fleetstats: starts the pipe document.
 *
 * Reads the node registry (a file, or an http/https/file URL read-only),
 * appends one sample to the history store in the state directory, and
 * writes a new document with version, generated_at, fleet, nodes and
 * history to stdout. Adds server_types, the catalog from the cloud
 * provider (cached in the state directory for cloud.catalog_ttl), and
 * with --reconcile (or cloud.reconcile) a reconciliation section: our
 * servers the registry lacks (orphans) and registry nodes whose server
 * is gone (lost). Reads nothing on stdin; changes nothing in the cloud.
 * Unless --no-record or --dry-run, also saves the document as
 * STATE_DIR/last.json (for pp-status), and updates the metrics textfile
 * when metrics.textfile is set.
 *
 * With --import-history SOURCE it does none of that: it merges samples
 * of allocated RAM from a CSV or a Prometheus query_range answer into
 * the history store (a warm start for the forecast) and prints what it
 * did. */
#include <stdio.h>
#include <stdlib.h>

#include "pp.h"

enum { OPT_NO_RECORD = PP_OPT_TOOL, OPT_RECONCILE, OPT_IMPORT };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-fleetstats [-pqv] [-c FILE] [--now TIME] "
		"[--registry PATH|URL]\n"
		"                     [--state-dir DIR] [--no-record] "
		"[--dry-run]\n"
		"                     [--reconcile] [--import-history "
		"CSV|URL|-]\n\n"
		"Reads the node registry and writes the fleet document "
		"to stdout.\n\n"
		"  -r, --registry PATH registry file or http(s)/file URL "
		"(default: config,\n"
		"                      else STATE_DIR/registry.json)\n"
		PP_STATE_DIR_HELP
		"      --no-record     do not append a history sample, save the\n"
		"                      snapshot or update metrics\n"
		"      --reconcile     compare the registry with the cloud "
		"(default:\n"
		"                      cloud.reconcile)\n"
		"      --dry-run       the same as --no-record, and no catalog "
		"cache or\n"
		"                      rate-limit budget written: nothing on "
		"disk changes\n"
		"      --import-history SOURCE\n"
		"                      only merge past samples (CSV "
		"time,allocated_ram_mb,\n"
		"                      or a Prometheus query_range URL) into "
		"the history\n"
		"                      store and print a summary\n"
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
		{"no-record", no_argument, 0, OPT_NO_RECORD},
		{"reconcile", no_argument, 0, OPT_RECONCILE},
		{"import-history", required_argument, 0, OPT_IMPORT},
		{0, 0, 0, 0},
	};
	struct pp_fleetstats_opts o = {0};
	const struct pp_config *cfg;
	json_object *doc;
	const char *import = NULL;
	int c, status = PP_EXIT_OK;

	pp_setprogname(argv[0]);
	o.record = 1;
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS "r:",
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
		case OPT_NO_RECORD:
			o.record = 0;
			break;
		case OPT_RECONCILE:
			o.reconcile = 1;
			break;
		case OPT_IMPORT:
			import = optarg;
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	if (pp_opt.dry_run)
		o.record = 0;
	cfg = pp_start();
	if (import) {
		if (!o.record && !pp_opt.dry_run)
			pp_die(PP_EXIT_USAGE, "--import-history writes the "
				"store: use --dry-run to only look");
		if (o.registry || o.reconcile)
			pp_die(PP_EXIT_USAGE, "--import-history reads no "
				"registry: drop --registry and --reconcile");
		doc = pp_history_load_source(cfg, o.state_dir, import,
			o.record);
		if (pp_doc_write(doc, pp_pretty()) < 0)
			status = PP_EXIT_FAIL;
		json_object_put(doc);
		return pp_finish_stdout(status);
	}
	if (o.record) {
		char *events = pp_events_path(cfg, o.state_dir);

		pp_events_init(cfg, events);
		free(events);
		pp_metrics_init(cfg, o.state_dir);
	}
	doc = pp_fleetstats(cfg, &o);
	if (pp_doc_write(doc, pp_pretty()) < 0)
		status = PP_EXIT_FAIL;
	json_object_put(doc);
	/* the run is published before stdout closes: the next tool of
	 * the cycle cannot finish, and judge the cycle, before it */
	status = pp_flush_stdout(status);
	pp_metrics_exit(NULL, status);
	return pp_finish_stdout(status);
}
