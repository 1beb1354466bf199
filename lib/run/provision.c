/* pp-provision's work: the one place that changes the cloud.
 *
 * The invariant is "no orphans": every server we create is in the
 * registry or findable by our labels at every instant. So a server is
 * registered ("provisioning") right after its create succeeds and
 * before any wait; a failed registration deletes it again; a server
 * that never runs is deleted before its node is forgotten; and a run
 * about to create first adopts our servers that the registry lacks
 * (a run killed between create and register leaves exactly those).
 *
 * The registry is shared with the platform and pp-drain: its lock is
 * held for one read-check-write at a time, never across a wait, except
 * around a delete, which must not race a new placement on the node and
 * is bounded well below the other writers' lock timeout. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "run/cli.h"
#include "cloud/cloud.h"
#include "conf/config.h"
#include "base/json.h"
#include "doc/doc.h"
#include "store/events.h"
#include "store/metrics.h"
#include "run/provision.h"
#include "store/registry.h"
#include "store/state.h"
#include "base/util.h"
#include "run/provision_int.h"

/* ---- the run ---------------------------------------------------------- */

static json_object *
dry_requests(struct run *x)
{
	json_object *all = pp_cloud_requests_json(x->cloud);
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *q = json_object_array_get_idx(all, i);

		if (pp_jbool(q, "sent", 1))
			continue;
		json_object_array_add(out, json_object_get(q));
		if (pp_verbosity >= 0)
			fprintf(stderr, "%s: dry run: %s %s%s%s\n",
				pp_progname, pp_jstr(q, "method", "?"),
				pp_jstr(q, "path", "?"),
				pp_jget(q, "body") ? " " : "",
				pp_jget(q, "body") ?
				json_object_to_json_string_ext(pp_jget(q,
				"body"), JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE) : "");
	}
	json_object_put(all);
	return out;
}

static json_object *
section(struct run *x)
{
	json_object *p = json_object_new_object();

	pp_prov_add_str(p, "action", x->action);
	pp_prov_add_str(p, "status", x->status ? x->status : (x->errors ?
		"failed" : x->dry_run ? "dry_run" : "done"));
	json_object_object_add(p, "dry_run",
		json_object_new_boolean(x->dry_run));
	pp_prov_add_str(p, "provider", x->cloud ? x->cloud->ops->name : NULL);
	json_object_object_add(p, "errors", json_object_new_int(x->errors));
	json_object_object_add(p, "servers", json_object_get(x->servers));
	json_object_object_add(p, "refusals", json_object_get(x->refusals));
	if (x->dry_run && x->cloud)
		json_object_object_add(p, "requests", dry_requests(x));
	pp_prov_add_str(p, "reason", x->reason[0] ? x->reason : NULL);
	return p;
}

static void
open_cloud(struct run *x, int needed)
{
	x->cloud = pp_cloud_open(x->cfg, x->o->state_dir, &x->cloud_err);
	if (!x->cloud) {
		if (needed)
			pp_die(!strcmp(x->cloud_err.code, "config") ?
				PP_EXIT_USAGE : PP_EXIT_FAIL, "cannot use the "
				"cloud: %s", x->cloud_err.message);
		pp_warn("cannot use the cloud: %s; until it can, "
			PP_NO_CLOUD_PROVISION, x->cloud_err.message);
		return;
	}
	pp_cloud_set_dry_run(x->cloud, x->dry_run);
	x->frozen = !strcmp(x->cloud->ops->name, "local") &&
		pp_opt.now_arg != NULL;
}

int
pp_provision_run(const struct pp_config *cfg,
	const struct pp_provision_opts *o, json_object *doc)
{
	struct run x;
	json_object *dec = pp_jget(doc, "decision");
	const char *action = pp_decision_action(doc);
	const char *result = NULL;
	char old[640];
	int up, down;

	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.o = o;
	x.doc = doc;
	x.now = pp_now();
	x.m0 = pp_monotonic();
	x.action = action ? action : "none";
	x.why = pp_jstr(dec, "reason", NULL);
	x.dry_run = o->dry_run || pp_jbool(dec, "dry_run", 0);
	up = !strcmp(x.action, "scale_up") ||
		!strcmp(x.action, "provision_spare");
	down = !strcmp(x.action, "scale_down");
	/* servers are not bought on old figures (a decision replayed by
	 * hand); what every run does (converge, boots, orphans) still is.
	 * A scale-down is not judged by age here: it deletes only a node
	 * pp-drain's own section says it emptied (pp-drain judged the
	 * decision's age when it started), and the registry is read again
	 * under its lock, so a drain that took longer than the limit
	 * still ends in its delete */
	if (up && pp_doc_too_old(doc, old, sizeof old)) {
		pp_prov_set_reason(&x, "refused", "decision '%s' not carried "
			"out: %s", x.action, old);
		x.errors++;
		x.stale = 1;
		up = 0;
	}
	x.rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	x.spath = pp_state_path(cfg, o->state_dir, "state.json");
	x.servers = json_object_new_array();
	x.refusals = json_object_new_object();
	if (!x.dry_run) {
		char *events = pp_events_path(cfg, o->state_dir);

		pp_events_init(cfg, events);
		free(events);
		pp_metrics_init(cfg, o->state_dir);
	}
	x.named_done = pp_xcalloc(o->ndelete_ids + 1, 1);
	open_cloud(&x, up || down);
	if (x.cloud)
		pp_prov_list_ours(&x);
	/* a cloud it cannot reach is only a warning when there is nothing
	 * to do, and -q hides warnings: this is what an alert can see */
	if (!x.dry_run)
		pp_metrics_add("pp_cloud_listed", "tool=pp-provision",
			x.have_ours);
	if (x.cloud) {
		pp_prov_converge(&x, up, down ? pp_jstr(dec, "node", NULL) :
			NULL);
		pp_prov_pending_step(&x, up || down);
		if (up && x.other_msg[0]) {
			/* its servers would be made in a project whose
			 * listing is not ours, and disarm the check */
			pp_prov_set_reason(&x, "refused", "decision '%s' not "
				"carried out: %s", x.action, x.other_msg);
			x.errors++;
			up = 0;
		}
		if (up) {
			pp_prov_read_refusals(&x);
			pp_prov_load_catalog(&x);
			pp_prov_scale_up(&x, dec);
		} else if (down) {
			pp_prov_scale_down(&x, dec);
		}
	}
	if (x.cloud)
		pp_prov_named_delete(&x);
	/* what converge could not look at (no cloud, no listing, no
	 * registry, a stop): said, each an error */
	for (size_t j = 0; j < o->ndelete_ids; j++)
		if (x.named_done[j] == PP_NAMED_PENDING)
			pp_prov_named_refuse(&x, o->delete_ids[j], NULL,
				"not_looked_at", "this run was stopped before "
				"its delete");
		else if (x.named_done[j] != PP_NAMED_DONE)
			pp_prov_named_refuse(&x, o->delete_ids[j], NULL,
				"not_looked_at", "this run could not look at "
				"our servers (%s)", pp_interrupted() ?
				"it was stopped" : !x.cloud ? "no cloud" :
				!x.have_ours ? x.ours_err : "the registry "
				"could not be read");
	if (pp_interrupted()) {
		x.errors++;
		if (!x.status || strcmp(x.status, "interrupted"))
			pp_prov_set_reason(&x, "interrupted", "interrupted: "
				"nodes still booting stay provisioning; the "
				"next run finishes them");
	}
	if (x.acted)
		result = x.errors ? "failed" : x.status &&
			!strcmp(x.status, "refused") ? "skipped" : "success";
	else if (x.touched && down)
		result = "skipped";
	pp_prov_update_state(&x, result);
	if (x.touched || x.acted || x.stale ||
	    json_object_object_length(x.refusals))
		json_object_object_add(doc, "provision", section(&x));
	if (x.errors)
		pp_error("%s: %d error(s): %s", x.action, x.errors,
			x.reason[0] ? x.reason : "see the provision section");
	for (size_t i = 0; i < x.nw; i++) {
		free(x.w[i].node);
		free(x.w[i].server_id);
	}
	free(x.w);
	for (size_t i = 0; i < x.nprobes; i++) {
		free(x.probe_node[i]);
		free((char *)x.probes[i].url);
	}
	free(x.probe_node);
	free(x.probes);
	pp_server_list_free(&x.ours);
	pp_prov_doc_nodes_free(&x);
	json_object_put(x.servers);
	json_object_put(x.refusals);
	json_object_put(x.state_refusals);
	json_object_put(x.prot_now);
	json_object_put(x.prot_entries);
	json_object_put(x.foreign_now);
	json_object_put(x.foreign_entries);
	json_object_put(x.stranded_now);
	json_object_put(x.stranded_entries);
	json_object_put(x.stranded_unseen);
	json_object_put(x.stranded_said);
	if (x.have_refused)
		pp_server_free(&x.refused);
	json_object_put(x.nodesrv_now);
	json_object_put(x.former);
	free(x.named_done);
	free(x.named_del);
	json_object_put(x.joined_mem);
	json_object_put(x.off_prev);
	json_object_put(x.off_now);
	if (x.have_cat)
		pp_catalog_free(&x.cat);
	pp_cloud_close(x.cloud);
	free(x.rpath);
	free(x.spath);
	return x.errors ? PP_EXIT_FAIL : PP_EXIT_OK;
}
