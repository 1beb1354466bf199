/* pp-fleetstats: registry -> document (version, generated_at, fleet,
 * nodes, history, forecast). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "run/cli.h"
#include "cloud/cloud.h"
#include "conf/config.h"
#include "doc/cloudram.h"
#include "doc/doc.h"
#include "doc/fleet.h"
#include "run/fleetstats.h"
#include "engine/forecast.h"
#include "store/history.h"
#include "store/metrics.h"
#include "store/orphans.h"
#include "cloud/reconcile.h"
#include "store/registry.h"
#include "store/state.h"
#include "base/util.h"

/* The state pp-provision wrote (its protected_orphans and
 * stranded_servers sections: the servers it reported once and leaves
 * alone), NULL when it cannot be read: then each is a warning, and no
 * node is marked stranded here (pp-decide reads the state itself, so
 * its choice does not hang on this mark). Read without waiting for the
 * lock: a run that holds it must not stall every pp-fleetstats. */
static json_object *
known_reported(const struct pp_config *cfg,
	const struct pp_fleetstats_opts *o)
{
	char *spath = pp_state_path(cfg, o->state_dir, "state.json");
	json_object *root;
	char err[768];

	if (pp_state_snapshot(spath, &root, err, sizeof err) < 0)
		pp_warn("%s; no node is marked stranded in the document, "
			"and the state's counters are not in the metrics",
			err);
	free(spath);
	return root;
}

/* Said on every run while it holds, from the cached look-up (no request
 * of its own): the operator must change cloud.image before Hetzner
 * removes the image, and a warning once per catalog_ttl would never
 * hold the warnings alert (PpscaleToolWarns: 30 minutes of runs that
 * warn) long enough to fire. */
static void
warn_image(const struct pp_config *cfg, const struct pp_image_check *img,
	time_t now)
{
	/* as the look-up takes an unset one (hz_image) */
	const char *arch = cfg->cloud.architecture && *cfg->cloud.architecture ?
		cfg->cloud.architecture : "x86";
	char when[PP_TIME_LEN];

	if (img->state == PP_IMAGE_DEPRECATED && img->deprecated)
		/* the API's time may lie ahead: deprecated from then on */
		pp_warn("image '%s' (cloud.image) is deprecated %s %s: "
			"Hetzner removes deprecated images, and then every "
			"create fails; set cloud.image to a current image "
			"('hcloud image list --type system')",
			cfg->cloud.image, img->deprecated > now ? "as of" :
			"since", pp_format_time(img->deprecated, when,
			sizeof when));
	else if (img->state == PP_IMAGE_DEPRECATED)
		pp_warn("image '%s' (cloud.image) is deprecated: Hetzner "
			"removes deprecated images, and then every create "
			"fails; set cloud.image to a current image ('hcloud "
			"image list --type system')", cfg->cloud.image);
	else if (img->state == PP_IMAGE_MISSING)
		/* an id names one image, of whatever architecture */
		pp_warn("image '%s' (cloud.image) is not found%s%s: every "
			"create will fail; set cloud.image to an existing "
			"image ('hcloud image list --type system')",
			cfg->cloud.image, img->by_id ? "" :
			" for architecture ", img->by_id ? "" : arch);
	else if (img->state == PP_IMAGE_NOT_AVAILABLE)
		pp_warn("image '%s' (cloud.image) is not available (status "
			"'%s'): every create fails while it is; set "
			"cloud.image to an available image ('hcloud image "
			"list')", cfg->cloud.image, img->status);
	else if (img->state == PP_IMAGE_OTHER_ARCH)
		pp_warn("image '%s' (cloud.image) is for architecture %s, "
			"not %s (cloud.architecture): every create will "
			"fail; set cloud.image to an image for %s, or "
			"cloud.architecture to %s", cfg->cloud.image,
			img->architecture, arch, arch, img->architecture);
}

/* Two nodes naming one cloud server (a platform's copy of a row under
 * a new id): the file registry takes it, pp-provision refuses to delete
 * the server of either while it holds, and the operator must remove the
 * row; said once a run, the first pair named. */
static void
warn_dup_servers(const struct pp_config *cfg, const struct pp_registry *r)
{
	const struct pp_node *a, *b;
	size_t n = pp_registry_dup_servers(r, cfg->cloud.provider, &a, &b);

	if (!n)
		return;
	if (n == 1)
		pp_warn("nodes '%s' and '%s' name the same cloud server %s: "
			"pp-provision refuses to delete it while they do; "
			"remove the duplicated row from the registry", a->id,
			b->id, a->server_id);
	else
		pp_warn("nodes '%s' and '%s' name the same cloud server %s "
			"(and %zu more node%s a server another node names): "
			"pp-provision refuses to delete these servers while "
			"they do; remove the duplicated rows from the "
			"registry", a->id, b->id, a->server_id, n - 1,
			n == 2 ? " names" : "s name");
}

json_object *
pp_fleetstats(const struct pp_config *cfg, const struct pp_fleetstats_opts *o)
{
	char err[768];
	struct pp_registry reg;
	struct pp_fleet fleet;
	struct pp_history hist;
	struct pp_sample sample;
	time_t now = pp_now();
	char *rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	char *hpath = pp_state_path(cfg, o->state_dir, "history");
	json_object *doc, *recon = NULL, *known;
	struct pp_catalog cat;
	struct pp_image_check img;
	struct pp_cloud *cloud;
	struct pp_cloud_error cerr;
	long long orphan_mb = 0;
	int rc;

	/* Before the registry: a server the state's node_servers names
	 * had its node row written before its create was sent, so the
	 * registry read after it has that row, unless it is lost (then
	 * reconciling counts it as no capacity on its way, was_node);
	 * read the other way round, a run in between would have a new
	 * server taken for a lost node's. Read whether reconciling or
	 * not: the nodes whose servers pp-provision found outside our
	 * labels are marked in the document, so pp-decide never picks one
	 * to remove (the delete guard would refuse it after its drain,
	 * every cycle). */
	known = known_reported(cfg, o);
	/* the index is all this needs: the text is not held */
	rc = pp_registry_open(&reg, rpath, PP_REG_INDEX_ONLY, err,
		sizeof err);
	if (rc < 0) {
		json_object_put(known);
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", err);
	}

	/* The cloud is optional here: when it cannot be opened or reached
	 * the document still goes out, built from the registry. Say why,
	 * reconciling or not: otherwise a token file with a bad mode shows
	 * only as server types taken from the config. */
	cloud = pp_cloud_open(cfg, o->state_dir, &cerr);
	if (!cloud)
		pp_warn("cannot use the cloud: %s", cerr.message);
	else
		/* a dry run keeps no rate-limit budget on disk either */
		pp_cloud_set_dry_run(cloud, pp_opt.dry_run);
	pp_catalog_get(cfg, cloud, o->state_dir, !pp_opt.dry_run, &cat,
		&img);
	warn_image(cfg, &img, now);
	/* before the figures and the nodes' summaries are made of them:
	 * pp-status, pp-decide and pp-drain see the same RAM */
	pp_registry_cap_ram(&reg, &cat, PP_RAM_WARN_OVER | PP_RAM_WARN_UNDER);
	warn_dup_servers(cfg, &reg);
	/* a node past cloud.join_timeout is no pending capacity, as for
	 * pp-decide */
	pp_fleet_compute(&reg, now, cfg->cloud.join_timeout, &fleet);
	if (o->reconcile || cfg->cloud.reconcile) {
		recon = pp_reconcile(cfg, cloud, cerr.message, &reg, &cat,
			known, now, &orphan_mb);
		fleet.pending_ram_mb += orphan_mb;
	}
	pp_cloud_close(cloud);
	sample = (struct pp_sample){now, fleet.allocated_ram_mb,
		fleet.total_ram_mb, fleet.pending_ram_mb};
	rc = pp_history_record(&hist, hpath, &sample, cfg->history.retention,
		o->record, err, sizeof err);
	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_USAGE : PP_EXIT_FAIL, "%s", err);

	doc = pp_doc_new(now);
	json_object_object_add(doc, "fleet", pp_fleet_json(&fleet));
	json_object_object_add(doc, "nodes", pp_pretty() ?
		pp_nodes_json(&reg, now, pp_stranded_of(known)) :
		pp_nodes_raw(&reg, now, pp_stranded_of(known)));
	json_object_object_add(doc, "history", pp_history_json(&hist, now));
	json_object_object_add(doc, "forecast",
		pp_forecast_section(cfg, &hist, now));
	json_object_object_add(doc, "server_types", pp_catalog_json(&cat));
	pp_catalog_free(&cat);
	if (recon)
		json_object_object_add(doc, "reconciliation", recon);

	if (o->record) {
		pp_fleetstats_save_last(cfg, o->state_dir, doc);
		pp_metrics_fleet(doc);
		/* the state read once, above: a corrupt one is one warning */
		pp_metrics_state_root(known);
	}
	json_object_put(known);

	pp_history_free(&hist);
	pp_registry_close(&reg);
	free(rpath);
	free(hpath);
	return doc;
}

int
pp_fleetstats_save_last(const struct pp_config *cfg, const char *state_flag,
	json_object *doc)
{
	char *path = pp_state_path(cfg, state_flag, "last.json");
	struct pp_lock lock;
	int rc = -1;

	if (pp_lock(&lock, path, PP_LOCK_EX, 10) < 0) {
		pp_warn("cannot lock snapshot '%s': %s", path,
			pp_lock_strerror(errno));
	} else {
		/* the text and its newline from where they are: printf's
		 * "%s\n" of the 5 MB snapshot was a seventh of
		 * pp-fleetstats at 10,000 nodes, json-c's copy of the
		 * nodes' text another 5 MB */
		struct iovec line[4];
		size_t n = pp_doc_pieces(doc, line);

		line[n].iov_base = (void *)(uintptr_t)"\n";
		line[n++].iov_len = 1;
		rc = pp_write_atomicv(path, line, n, 0644);
		if (rc < 0)
			pp_warn("cannot write snapshot '%s':", path);
		pp_unlock(&lock);
	}
	free(path);
	return rc;
}
