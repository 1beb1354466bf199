/* A cloud node's total_ram_mb, written by the platform, against the
 * memory of its server type. The platform may report MemTotal, a bit
 * under the nominal memory: only more than 5 % over it is wrong (5 %
 * also lets through a platform counting MB as 10^6 bytes: 4 GiB is
 * 4295 such MB, 4.9 % over 4096). Over-reported RAM counts as the
 * type's memory: RAM that does not exist would hide a needed scale-up
 * (pp-fleetstats, whose figures pp-decide reads), and pp-drain would
 * plan a game server's move onto it, which the platform then refuses.
 * The warning is for the platform's report to be fixed. Under half
 * the type's memory is only a warning: the node may well have less to
 * give, and counting less buys servers but turns no player away. A
 * type the catalog does not list is not checked. */
#include "doc/cloudram.h"
#include "base/util.h"

int
pp_node_cap_ram(struct pp_node *n, const struct pp_catalog *cat, int warn)
{
	const struct pp_server_type *t;
	long long type_mb;

	if (n->lazy || n->kind != PP_KIND_CLOUD || !n->server_type)
		return 0;
	t = pp_catalog_find(cat, n->server_type);
	if (!t)
		return 0;
	type_mb = pp_type_usable_mb(t, 0);
	if (n->total_ram_mb > type_mb + type_mb / 20) {
		if (warn & PP_RAM_WARN_OVER)
			pp_warn("cloud node '%s' reports total_ram_mb %lld, "
				"over the %lld MB of its server type '%s': "
				"counting %lld", n->id, n->total_ram_mb,
				type_mb, n->server_type, type_mb);
		n->total_ram_mb = type_mb;
		if (n->reserved_ram_mb > type_mb)
			n->reserved_ram_mb = type_mb;
		n->usable_ram_mb = type_mb - n->reserved_ram_mb;
		return 1;
	}
	if (n->total_ram_mb < type_mb / 2 && (warn & PP_RAM_WARN_UNDER))
		pp_warn("cloud node '%s' reports total_ram_mb %lld, under "
			"half the %lld MB of its server type '%s'", n->id,
			n->total_ram_mb, type_mb, n->server_type);
	return 0;
}

size_t
pp_registry_cap_ram(struct pp_registry *r, const struct pp_catalog *cat,
	int warn)
{
	size_t capped = 0;

	for (size_t i = 0; i < r->nnodes; i++)
		capped += (size_t)pp_node_cap_ram(&r->nodes[i], cat, warn);
	return capped;
}
