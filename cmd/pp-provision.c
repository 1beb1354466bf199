/* pp-provision: the one tool that changes the cloud.
 *
 * Reads the document on stdin and acts on its decision: on scale_up and
 * provision_spare it adopts our unregistered servers, then creates the
 * rest (cloud-init rendered per node), recording each node as
 * provisioning before its create is sent and its server id as soon as
 * it is known, waits until it runs and marks it ready; on a scale_down
 * whose drain section says the node is empty it deletes the server
 * (through the delete guard: our labels, our pool, the node's name)
 * and removes the node. On every run it converges our pool (orphans
 * older than cloud.orphan_grace adopted or deleted, nodes whose server
 * is gone removed) and finishes nodes left provisioning by earlier
 * runs. Adds the "provision" section and writes the document to
 * stdout.
 *
 * Changes: the cloud (servers created and deleted), the registry
 * (nodes added, marked ready, removed), STATE_DIR/state.json
 * ("refusals", counters), STATE_DIR/ratelimit.json, the events file
 * and the metrics textfile.
 * --dry-run changes nothing and prints the requests it would send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "run/failure.h"

enum { PP_OPT_DELETE_ORPHANS = PP_OPT_TOOL, PP_OPT_DELETE_ORPHAN };

/* What a run that dies before it could act must still record. */
static struct {
	const struct pp_config *cfg;
	const char *state_dir;
	char action[32];
} acting;

/* A scaling action that dies (no token, no template, ...) costs
 * players or money like one that fails while acting: count it and send
 * the event. Registered after pp_metrics_init, so it runs before the
 * metrics are published. */
static void
failed_on_exit(void)
{
	if (pp_die_status() && acting.action[0])
		pp_scaling_failed(acting.cfg, acting.state_dir, acting.action,
			"provision", pp_die_message());
}

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-provision [-pqv] [-c FILE] [--now TIME] "
		"[--registry PATH]\n"
		"                    [--state-dir DIR] [--dry-run] "
		"[--delete-orphans]\n"
		"                    [--delete-orphan ID]... < document\n\n"
		"Creates, registers and deletes cloud servers as the "
		"document's decision says,\n"
		"and adds the provision section. Every cycle, whatever the "
		"decision, it also\n"
		"converges the pool: a server with our labels the registry "
		"lacks is, after\n"
		"cloud.orphan_grace, adopted when the decision wants capacity "
		"and deleted\n"
		"otherwise; a node whose server is gone is forgotten; a new "
		"node becomes ready\n"
		"once the platform marks it (cloud.ready_check), or is "
		"deleted past\n"
		"cloud.join_timeout (held instead once it has joined before). "
		"When more than\n"
		"cloud.orphan_delete_max such servers are found at once, "
		"none is deleted: the\n"
		"registry may have lost their nodes; nor is one that a "
		"registry node named (the\n"
		"state remembers which), nor any when the listing looks like "
		"another project's\n"
		"(then a scale-up is refused). Such servers are deleted only "
		"as a person says:\n"
		"--delete-orphans, or --delete-orphan for the ones named "
		"(after the decision).\n\n"
		PP_REGISTRY_HELP
		PP_STATE_DIR_HELP
		"      --dry-run       print the API requests it would send "
		"(tokens redacted)\n"
		"                      on stderr; send only reads, change no file\n"
		"      --delete-orphans\n"
		"                      delete the servers of ours the registry "
		"lacks, even\n"
		"                      more than cloud.orphan_delete_max, "
		"and ones that\n"
		"                      registry nodes named (this run only)\n"
		"      --delete-orphan ID\n"
		"                      delete that server (ID or name) as "
		"--delete-orphans\n"
		"                      would, whatever holds it and the "
		"decision; the others\n"
		"                      as usual; repeatable; exit 1 when one "
		"is not deleted\n"
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
		{"delete-orphans", no_argument, 0, PP_OPT_DELETE_ORPHANS},
		{"delete-orphan", required_argument, 0, PP_OPT_DELETE_ORPHAN},
		{0, 0, 0, 0},
	};
	struct pp_provision_opts o = {0};
	const struct pp_config *cfg;
	json_object *doc;
	int c, status;

	pp_setprogname(argv[0]);
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
		case PP_OPT_DELETE_ORPHANS:
			o.delete_orphans = 1;
			break;
		case PP_OPT_DELETE_ORPHAN:
			if (!*optarg)
				pp_die(PP_EXIT_USAGE, "--delete-orphan needs "
					"a server id or name");
			o.delete_ids = pp_xreallocarray(o.delete_ids,
				o.ndelete_ids + 1, sizeof *o.delete_ids);
			o.delete_ids[o.ndelete_ids++] = optarg;
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	o.dry_run = pp_opt.dry_run;
	cfg = pp_start();
	pp_catch_signals();
	/* before reading anything: a run that dies is published too */
	if (!o.dry_run)
		pp_metrics_init(cfg, o.state_dir);
	doc = pp_doc_read_lean(pp_pretty());
	/* shadow mode (pp-decide --shadow): send nothing to the cloud,
	 * change no file; the run is still published */
	if (pp_jbool(json_object_object_get(doc, "decision"), "shadow", 0))
		o.dry_run = 1;
	{
		json_object *dec = json_object_object_get(doc, "decision");
		const char *a = pp_jstr(dec, "action", "none");

		if (!o.dry_run && !pp_jbool(dec, "dry_run", 0) &&
		    (!strcmp(a, "scale_up") || !strcmp(a, "provision_spare") ||
		    !strcmp(a, "scale_down"))) {
			acting.cfg = cfg;
			acting.state_dir = o.state_dir;
			snprintf(acting.action, sizeof acting.action, "%s", a);
			atexit(failed_on_exit);
		}
	}
	status = pp_provision_run(cfg, &o, doc);
	if (pp_doc_write(doc, pp_pretty()) < 0)
		status = PP_EXIT_FAIL;
	json_object_put(doc);
	free(o.delete_ids);
	/* the run is published before stdout closes: the next tool of
	 * the cycle cannot finish, and judge the cycle, before it */
	status = pp_flush_stdout(status);
	pp_metrics_exit(NULL, status);
	return pp_finish_stdout(status);
}
