/* reconcile.c: the provider's server-type catalog through a cache, and
 * the registry compared with the cloud (pp-fleetstats) */
#ifndef PP_RECONCILE_H
#define PP_RECONCILE_H

#include <time.h>
#include <json-c/json.h>

#include "conf/catalog.h"
#include "cloud/cloud.h"
#include "conf/config.h"
#include "store/registry.h"

/* The catalog: from STATE_DIR/catalog.json while younger than
 * cloud.catalog_ttl and from the same provider (source "cache"), else
 * from the provider (then cached unless write_cache is 0). When the
 * provider fails: the stale cache, else the configured catalog (source
 * "config"), with a warning; never an error. cloud may be NULL.
 * With image (NULL: not wanted, and no request made for it), a
 * provider that looks images up (hetzner) has cloud.image looked up
 * once per catalog_ttl, with the catalog's fetch or alone, and the
 * answer cached with the catalog; a cache of another image, or that
 * knows nothing of it (a failed look-up), has it looked up on the next
 * run. *image gets it, PP_IMAGE_UNKNOWN when nothing is known. Without
 * image, a fetch keeps the cache's image as it was. */
void pp_catalog_get(const struct pp_config *cfg, struct pp_cloud *cloud,
	const char *state_dir, int write_cache, struct pp_catalog *cat,
	struct pp_image_check *image);

/* The catalog without the network, quietly: STATE_DIR/catalog.json of
 * the configured provider at any age, else the configured catalog.
 * Writes nothing. For pp-drain, which needs a type's memory only (the
 * same in every catalog) and must not wait on the API, spend its
 * request budget or need its token for a manual drain. */
void pp_catalog_local(const struct pp_config *cfg, const char *state_dir,
	struct pp_catalog *cat);

/* Compares the registry with the servers carrying our label.
 *   {"status": "ok", "provider", "selector", "servers": N,
 *    "orphans": [{"server_id", "name", "status", "server_type",
 *                 "location", "created_at", "age_seconds", "pending",
 *                 "usable_ram_mb"}],
 *    "lost": [{"node", "server_id", "status"[, "stranded": true]}],
 *    "pending_ram_mb": N}
 * or {"status": "skipped", "reason": "..."} when cloud is NULL (reason
 * why_no_cloud) or cannot be listed. Orphans younger than
 * cloud.boot_timeout are pending capacity: *pending_ram_mb gets their
 * usable RAM. Nodes without a cloud id or of another provider are left
 * alone. Each orphan and each lost node is a warning, except an orphan
 * in the protected_orphans and a lost node whose server is in the
 * stranded_servers of reported (the state's root, store/orphans.h;
 * NULL: none): pp-provision said so when it first found it, and it is
 * said only with -v; such a lost node is "stranded" (its server is
 * there, with another pool's labels, not gone). */
json_object *pp_reconcile(const struct pp_config *cfg,
	struct pp_cloud *cloud, const char *why_no_cloud,
	const struct pp_registry *reg, const struct pp_catalog *cat,
	json_object *reported, time_t now, long long *pending_ram_mb);

#endif
