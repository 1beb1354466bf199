/* cloudram.c: a cloud node's RAM against the memory of its server type:
 * the figure pp-fleetstats counts (for pp-decide and pp-status) and
 * pp-drain plans with */
#ifndef PP_CLOUDRAM_H
#define PP_CLOUDRAM_H

#include <stddef.h>

#include "conf/catalog.h"
#include "store/registry.h"

/* What pp_node_cap_ram warns about (or'ed): an over-report it caps, a
 * total under half the type's memory, which it takes as it is. */
#define PP_RAM_WARN_OVER  1
#define PP_RAM_WARN_UNDER 2

/* A cloud node's total_ram_mb more than 5 % over the memory of its
 * cloud.server_type in cat counts as that memory: n's total_ram_mb,
 * reserved_ram_mb (at most that) and usable_ram_mb change in memory
 * only, never in the registry's text, which pp_registry_save writes.
 * Returns 1 when n was capped, else 0 (a dedicated node, a type cat
 * does not list, a figure within the margin). */
int pp_node_cap_ram(struct pp_node *n, const struct pp_catalog *cat,
	int warn);
/* The same for every indexed node of r (not those a PP_REG_LAZY open
 * has not found yet: pp_registry_index_all first); the count capped. */
size_t pp_registry_cap_ram(struct pp_registry *r,
	const struct pp_catalog *cat, int warn);

#endif
