/* What pp-fleetstats asks of the cloud: the server-type catalog (cached,
 * because the API budget of 3600 requests an hour is shared and cron
 * runs us every minute) and the comparison of the registry with the
 * servers that carry our label. A cloud that cannot be reached never
 * stops the document: it says what was skipped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cloud/reconcile.h"
#include "store/orphans.h"
#include "base/util.h"

#define CACHE_MAX (8u * 1024 * 1024)

static const char *
provider_name(const struct pp_config *cfg, struct pp_cloud *cloud)
{
	if (cloud)
		return cloud->ops->name;
	return cfg->cloud.provider ? cfg->cloud.provider : "local";
}

static const char *const image_states[] = {
	[PP_IMAGE_UNKNOWN] = "unknown", [PP_IMAGE_OK] = "ok",
	[PP_IMAGE_DEPRECATED] = "deprecated", [PP_IMAGE_MISSING] = "missing",
	[PP_IMAGE_NOT_AVAILABLE] = "not_available",
	[PP_IMAGE_OTHER_ARCH] = "other_architecture"
};

/* STATE_DIR/catalog.json as read: its text (root), and its "image",
 * what the provider said of cloud.image (for cloud.architecture) when
 * it was last looked up (checked_at; a cache without one looked it up
 * with the catalog's fetch). */
struct cache {
	json_object *root;
	int ours;             /* its image is this config's */
	struct pp_image_check img;    /* when ours */
	time_t checked_at;
};

static void
image_from_cache(struct cache *c, const struct pp_config *cfg,
	time_t fetched_at)
{
	json_object *i = pp_jget(c->root, "image");
	const char *st = pp_jstr(i, "state", "");

	memset(&c->img, 0, sizeof c->img);
	c->ours = i && !strcmp(pp_jstr(i, "key", ""), cfg->cloud.image ?
		cfg->cloud.image : "") && !strcmp(pp_jstr(i, "architecture",
		""), cfg->cloud.architecture ? cfg->cloud.architecture : "");
	if (!c->ours)
		return;
	for (size_t k = 0; k < sizeof image_states / sizeof *image_states;
	    k++)
		if (!strcmp(st, image_states[k]))
			c->img.state = (enum pp_image_state)k;
	if (c->img.state == PP_IMAGE_DEPRECATED &&
	    pp_parse_time(pp_jstr(i, "deprecated", ""), &c->img.deprecated) < 0)
		c->img.deprecated = 0;
	c->img.by_id = pp_jbool(i, "by_id", 0);
	snprintf(c->img.status, sizeof c->img.status, "%s",
		pp_jstr(i, "status", ""));
	snprintf(c->img.architecture, sizeof c->img.architecture, "%s",
		pp_jstr(i, "image_architecture", ""));
	if (pp_parse_time(pp_jstr(i, "checked_at", ""), &c->checked_at) < 0)
		c->checked_at = fetched_at;
}

static json_object *
image_json(const struct pp_config *cfg, const struct pp_image_check *img,
	time_t checked_at)
{
	json_object *i = json_object_new_object();
	char when[PP_TIME_LEN];

	json_object_object_add(i, "key", json_object_new_string(
		cfg->cloud.image ? cfg->cloud.image : ""));
	json_object_object_add(i, "architecture", json_object_new_string(
		cfg->cloud.architecture ? cfg->cloud.architecture : ""));
	json_object_object_add(i, "state",
		json_object_new_string(image_states[img->state]));
	if (img->state == PP_IMAGE_DEPRECATED && img->deprecated)
		json_object_object_add(i, "deprecated", json_object_new_string(
			pp_format_time(img->deprecated, when, sizeof when)));
	if (img->state == PP_IMAGE_NOT_AVAILABLE)
		json_object_object_add(i, "status",
			json_object_new_string(img->status));
	if (img->state == PP_IMAGE_OTHER_ARCH)
		json_object_object_add(i, "image_architecture",
			json_object_new_string(img->architecture));
	if (img->by_id)
		json_object_object_add(i, "by_id",
			json_object_new_boolean(1));
	json_object_object_add(i, "checked_at", json_object_new_string(
		pp_format_time(checked_at, when, sizeof when)));
	return i;
}

/* Reads the cache; 1 fresh, 0 stale (still loaded), -1 none. c (NULL:
 * not wanted) gets its text and what it says of this config's image. */
static int
read_cache(const char *path, const struct pp_config *cfg,
	const char *provider, time_t now, struct pp_catalog *cat,
	struct cache *c)
{
	long ttl = cfg->cloud.catalog_ttl;
	char msg[256];
	char *text;
	size_t len;
	json_object *o;

	text = pp_read_file(path, CACHE_MAX, &len);
	if (!text)
		return -1;
	o = pp_json_parse(text, len, msg, sizeof msg);
	free(text);
	if (!o || strcmp(pp_jstr(o, "provider", ""), provider) ||
	    pp_catalog_from_json(o, cat, msg, sizeof msg) < 0) {
		json_object_put(o);
		return -1;
	}
	if (c) {
		c->root = o;
		image_from_cache(c, cfg, cat->fetched_at);
	} else {
		json_object_put(o);
	}
	free(cat->source);
	cat->source = pp_xstrdup("cache");
	return cat->fetched_at <= now && now - cat->fetched_at < ttl;
}

static void
write_cache(const char *path, json_object *o)
{
	const char *s = pp_json_string(o, 0);
	char *dir = pp_dirname(path);
	struct pp_lock l;

	if (pp_mkdirs(dir, 0755) < 0) {
		pp_warn("cannot cache the server types in '%s':", path);
	} else if (pp_lock(&l, path, PP_LOCK_EX, 5) < 0) {
		pp_warn("cannot cache the server types in '%s': %s", path,
			pp_lock_strerror(errno));
	} else {
		if (pp_write_atomic(path, s, strlen(s), 0644) < 0)
			pp_warn("cannot write '%s':", path);
		pp_unlock(&l);
	}
	free(dir);
}

/* Looks cloud.image up into c; 1 when c's image is to be cached anew.
 * A look-up that fails keeps what the cache knew of this image for
 * another catalog_ttl: cached as unknown, a deprecated or missing image
 * would go unwarned. Nothing known (unknown) is never fresh: the next
 * run looks again, and says again when it cannot. An image not
 * available is looked up on every run: the same answer again, or none,
 * writes nothing. */
static int
look_image(const struct pp_config *cfg, struct pp_cloud *cloud,
	time_t now, struct cache *c)
{
	struct pp_image_check img;
	struct pp_cloud_error err;
	int was_na = c->ours && c->img.state == PP_IMAGE_NOT_AVAILABLE;

	if (pp_cloud_image(cloud, &img, &err) < 0) {
		pp_warn("cannot look up image '%s' (cloud.image): %s",
			cfg->cloud.image, err.message);
		if (!c->ours || c->img.state == PP_IMAGE_UNKNOWN || was_na)
			return 0;
	} else {
		int same = was_na && img.state == PP_IMAGE_NOT_AVAILABLE &&
			!strcmp(img.status, c->img.status);

		c->img = img;
		c->ours = 1;
		if (same)
			return 0;
	}
	c->checked_at = now;
	return 1;
}

/* The cache as read (c->root) with c's image in place of its own,
 * written back: the image looked up alone. */
static void
cache_image(const char *path, const struct pp_config *cfg, struct cache *c)
{
	json_object_object_add(c->root, "image",
		image_json(cfg, &c->img, c->checked_at));
	write_cache(path, c->root);
}

void
pp_catalog_get(const struct pp_config *cfg, struct pp_cloud *cloud,
	const char *state_dir, int write, struct pp_catalog *cat,
	struct pp_image_check *image)
{
	char *path = pp_state_path(cfg, state_dir, "catalog.json");
	const char *prov = provider_name(cfg, cloud);
	long ttl = cfg->cloud.catalog_ttl;
	struct pp_catalog cached;
	struct pp_cloud_error err;
	struct cache c = {0};
	/* a provider that looks images up does it once per catalog_ttl,
	 * with the catalog's fetch or on its own: the cache keeps what it
	 * found for the runs in between. Without image (pp-provision) the
	 * cache's image is kept as it is, and no request made for it. */
	int looks = image && cloud && cloud->ops->image && cfg->cloud.image &&
		*cfg->cloud.image;
	time_t now = pp_now();
	int rc = read_cache(path, cfg, prov, now, &cached, &c);
	/* nothing known, or an image not available yet (a snapshot
	 * still being made): looked up again on every run, so its warning
	 * ends with the run after it becomes available */
	int img_fresh = c.ours && c.img.state != PP_IMAGE_UNKNOWN &&
		c.img.state != PP_IMAGE_NOT_AVAILABLE &&
		c.checked_at <= now && now - c.checked_at < ttl;

	if (rc == 1) {
		*cat = cached;
		if (looks && !img_fresh && look_image(cfg, cloud, now, &c) &&
		    write)
			cache_image(path, cfg, &c);
	} else if (cloud && pp_cloud_server_types(cloud, cat, &err) == 0) {
		json_object *o = pp_catalog_json(cat);
		json_object *old = pp_jget(c.root, "image");

		if (rc == 0)
			pp_catalog_free(&cached);
		json_object_object_add(o, "provider",
			json_object_new_string(prov));
		if (looks && !img_fresh && look_image(cfg, cloud, now, &c))
			json_object_object_add(o, "image",
				image_json(cfg, &c.img, c.checked_at));
		else if (old)
			json_object_object_add(o, "image",
				json_object_get(old));
		if (write)
			write_cache(path, o);
		json_object_put(o);
	} else {
		if (cloud)
			pp_warn("cannot get the server types: %s",
				err.message);
		/* the image on its own, as with a fresh catalog, when the
		 * API answered (a refusal, not an outage: with no answer, a
		 * 429 or a 5xx the look-up would fail the same way after as
		 * long a wait); a stale cache keeps the catalog it has,
		 * with the image's answer */
		if (looks && !img_fresh && err.http_status > 0 &&
		    err.http_status != 429 && !err.retryable &&
		    look_image(cfg, cloud, now, &c) && rc == 0 && write)
			cache_image(path, cfg, &c);
		if (rc == 0) {
			pp_warn("using the server types cached at '%s', "
				"older than cloud.catalog_ttl", path);
			*cat = cached;
		} else {
			pp_warn("using the server types from the config");
			pp_catalog_from_config(cfg, cat);
		}
	}
	if (image) {
		memset(image, 0, sizeof *image);
		if (looks && c.ours)
			*image = c.img;
	}
	json_object_put(c.root);
	free(path);
}

void
pp_catalog_local(const struct pp_config *cfg, const char *state_dir,
	struct pp_catalog *cat)
{
	char *path = pp_state_path(cfg, state_dir, "catalog.json");

	if (read_cache(path, cfg, provider_name(cfg, NULL), pp_now(), cat,
	    NULL) < 0)
		pp_catalog_from_config(cfg, cat);
	free(path);
}

static json_object *
skipped(const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("skipped"));
	json_object_object_add(o, "reason", json_object_new_string(why));
	return o;
}

json_object *
pp_reconcile(const struct pp_config *cfg, struct pp_cloud *cloud,
	const char *why_no_cloud, const struct pp_registry *reg,
	const struct pp_catalog *cat, json_object *reported, time_t now,
	long long *pending_ram_mb)
{
	struct pp_server_list l;
	struct pp_cloud_error err;
	char *sel;
	json_object *o, *orphans, *lost, *foreign;
	long long pending = 0;

	*pending_ram_mb = 0;
	if (!cloud) {
		pp_warn("reconciliation skipped: %s", why_no_cloud);
		return skipped(why_no_cloud);
	}
	sel = pp_cloud_selector(cfg);
	if (pp_cloud_list(cloud, sel, &l, &err) < 0) {
		pp_warn("reconciliation skipped: %s", err.message);
		free(sel);
		return skipped(err.message);
	}
	orphans = json_object_new_array();
	lost = json_object_new_array();
	foreign = json_object_new_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct pp_server *s = &l.v[i];
		const struct pp_server_type *t;
		json_object *so;
		int known = 0, young;
		json_object *was;
		char why[512];
		long long age, mb = 0;

		/* a node is named after its server and recorded before
		 * the create is sent: one whose create's answer was lost
		 * has no server id yet, and its server is not an orphan
		 * (nor pending capacity a second time) */
		for (size_t j = 0; j < reg->nnodes && !known; j++)
			known = (reg->nodes[j].has_cloud &&
				reg->nodes[j].server_id &&
				!strcmp(reg->nodes[j].server_id, s->id)) ||
				(s->name && !strcmp(reg->nodes[j].id, s->name));
		if (known)
			continue;
		/* being deleted (by pp-provision, whose registry has let
		 * its node go, or by a person): still listed with its
		 * labels until its delete action ends, then gone; not an
		 * orphan nor a foreign server, nor capacity */
		if (s->status && !strcmp(s->status, "deleting")) {
			pp_debug("server '%s' (id %s) is being deleted",
				s->name ? s->name : "?", s->id);
			continue;
		}
		if (!pp_cloud_is_ours(cfg, s, NULL, why, sizeof why)) {
			/* pp-provision says it when it first sees it: not an
			 * orphan, nor capacity on its way */
			so = json_object_new_object();
			json_object_object_add(so, "server_id",
				json_object_new_string(s->id));
			json_object_object_add(so, "name", s->name ?
				json_object_new_string(s->name) : NULL);
			json_object_object_add(so, "reason",
				json_object_new_string(why));
			json_object_array_add(foreign, so);
			pp_note("server '%s' (id %s) carries our labels but is "
				"not ours: %s", s->name ? s->name : "?", s->id,
				why);
			continue;
		}
		age = s->created && s->created <= now ?
			(long long)(now - s->created) : 0;
		/* a server a registry node named (pp-provision's memory,
		 * the state's node_servers) whose node the registry lost:
		 * held by pp-provision, never adopted, so no capacity on
		 * its way however young */
		was = pp_jget(pp_nodesrv_of(reported), s->id);
		/* a server we are still creating and registering is
		 * capacity on its way, not garbage */
		young = !was && age < cfg->cloud.boot_timeout &&
			strcmp(s->status ? s->status : "", "off");
		t = s->type ? pp_catalog_find(cat, s->type) : NULL;
		if (t) {
			mb = pp_type_usable_mb(t, cfg->cloud.reserved_ram_mb);
		} else if (s->type_memory_gb > 0) {
			/* a type no longer listed: the server tells */
			struct pp_server_type own = {.memory_gb =
				s->type_memory_gb};

			mb = pp_type_usable_mb(&own,
				cfg->cloud.reserved_ram_mb);
		}
		if (young)
			pending += mb;
		so = pp_server_json(s);
		json_object_object_del(so, "id");
		json_object_object_del(so, "created");
		json_object_object_del(so, "ipv4");
		json_object_object_del(so, "private_ip");
		json_object_object_del(so, "labels");
		json_object_object_add(so, "server_id",
			json_object_new_string(s->id));
		json_object_object_add(so, "created_at", s->created ?
			pp_jnew_time(s->created) : NULL);
		json_object_object_add(so, "age_seconds",
			json_object_new_int64(age));
		json_object_object_add(so, "pending",
			json_object_new_boolean(young));
		json_object_object_add(so, "usable_ram_mb",
			json_object_new_int64(mb));
		if (was)
			json_object_object_add(so, "was_node",
				json_object_get(pp_jget(was, "name")));
		json_object_array_add(orphans, so);
		/* one pp-provision reported when it found it delete-protected
		 * is no news every cycle: the document, the metrics and
		 * pp-status show it every time */
		if (was)
			pp_warn("orphan server '%s' (id %s, %s, age %lld s) "
				"was registry node '%s' and no node names it "
				"now: the registry may have lost the node; "
				"pp-provision neither deletes nor adopts it",
				s->name, s->id, s->status, age,
				pp_jstr(was, "name", "?"));
		else if (pp_porphan_since(pp_porphans_of(reported), s->id))
			pp_debug("orphan server '%s' (id %s, %s, age %lld s) "
				"carries our label but is not in the registry; "
				"delete-protected, reported by pp-provision",
				s->name, s->id, s->status, age);
		else
			pp_warn("orphan server '%s' (id %s, %s, age %lld s) "
				"carries our label but is not in the registry",
				s->name, s->id, s->status, age);
	}
	for (size_t j = 0; j < reg->nnodes; j++) {
		const struct pp_node *n = &reg->nodes[j];
		int found = 0, strand;
		json_object *lo;

		if (!n->has_cloud || !n->server_id || !*n->server_id ||
		    (n->provider && strcmp(n->provider, cloud->ops->name)))
			continue;
		for (size_t i = 0; i < l.n && !found; i++)
			found = !strcmp(l.v[i].id, n->server_id);
		if (found)
			continue;
		lo = json_object_new_object();
		json_object_object_add(lo, "node",
			json_object_new_string(n->id));
		json_object_object_add(lo, "server_id",
			json_object_new_string(n->server_id));
		json_object_object_add(lo, "status", json_object_new_string(
			pp_status_name(n->status)));
		strand = pp_porphan_since(pp_stranded_of(reported),
			n->server_id) != 0;
		if (strand)
			json_object_object_add(lo, "stranded",
				json_object_new_boolean(1));
		json_object_array_add(lost, lo);
		/* a server pp-provision found outside our labels (a pool
		 * change) and reported once: no news every cycle */
		if (strand)
			pp_debug("node '%s' is lost: no server %s carries our "
				"label; its server does not carry our labels, "
				"reported by pp-provision", n->id,
				n->server_id);
		else
			pp_warn("node '%s' is lost: no server %s carries our "
				"label", n->id, n->server_id);
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "provider",
		json_object_new_string(cloud->ops->name));
	json_object_object_add(o, "selector", json_object_new_string(sel));
	json_object_object_add(o, "servers", json_object_new_int64(
		(long long)l.n));
	json_object_object_add(o, "orphans", orphans);
	json_object_object_add(o, "lost", lost);
	json_object_object_add(o, "foreign", foreign);
	json_object_object_add(o, "pending_ram_mb",
		json_object_new_int64(pending));
	*pending_ram_mb = pending;
	pp_server_list_free(&l);
	free(sel);
	return o;
}
