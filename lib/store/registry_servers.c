/* Nodes that name the same cloud server. The PostgreSQL backend has a
 * unique index on (provider, server_id); the file has none, and the
 * platform writes it too: a row it copies under a new id names the
 * server of the node it copied, and deleting the copy's server (the
 * copy holds no game server, so it drains at once) would take the
 * other node's players with it. pp-provision asks before every delete,
 * pp-fleetstats warns. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/registry.h"
#include "store/registry_int.h"

/* The provider a node's server is of: its own, else the configured
 * (as pp-provision reads a node's cloud.provider). */
static const char *
provider_of(const char *provider, const char *dflt)
{
	return provider ? provider : dflt ? dflt : "";
}

/* Whether node n names server sid of provider (an effective one). */
static int
names(const struct pp_node *n, const char *sid, const char *provider,
	const char *dflt)
{
	return !n->removed && n->server_id && !strcmp(n->server_id, sid) &&
		!strcmp(provider_of(n->provider, dflt), provider);
}

/* Whether a node not indexed yet may name sid: its text holds sid's
 * bytes, or an escape (a string the text spells another way). Only
 * such nodes are indexed: a lazy open stays lazy, its look at the
 * others a memmem of their text. */
static int
may_name(const struct pp_node *n, const char *sid, size_t len)
{
	return memmem(n->text, n->text_len, sid, len) ||
		memchr(n->text, '\\', n->text_len);
}

int
pp_registry_server_named(struct pp_registry *r, const char *provider,
	const char *server_id, const char *dflt, const char *except,
	const struct pp_node **other)
{
	const char *p = provider_of(provider, dflt);
	size_t len = server_id ? strlen(server_id) : 0;

	*other = NULL;
	if (!len)
		return 0;
	for (size_t i = 0; i < r->nnodes; i++) {
		struct pp_node *n = &r->nodes[i];

		if (n->removed || (except && !strcmp(n->id, except)))
			continue;
		if (n->lazy && !may_name(n, server_id, len))
			continue;
		/* the stamp lied: the node cannot be told apart */
		if (n->lazy && pp_rg_index_lazy(r, n) < 0)
			return -1;
		if (names(n, server_id, p, dflt)) {
			*other = n;
			return 1;
		}
	}
	return 0;
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *q = (const unsigned char *)s; *q; q++)
		h = (h ^ *q) * 1099511628211ULL;
	return h;
}

size_t
pp_registry_dup_servers(const struct pp_registry *r, const char *dflt,
	const struct pp_node **a, const struct pp_node **b)
{
	size_t cap = 16, mask, dups = 0;
	const struct pp_node **set;

	*a = *b = NULL;
	while (cap < 2 * r->nnodes)
		cap <<= 1;
	mask = cap - 1;
	set = pp_xcalloc(cap, sizeof *set);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];
		const char *p = provider_of(n->provider, dflt);
		size_t j;

		if (n->lazy || n->removed || !n->server_id || !*n->server_id)
			continue;
		for (j = (size_t)hash(n->server_id) & mask; set[j];
		    j = (j + 1) & mask)
			if (names(set[j], n->server_id, p, dflt))
				break;
		if (!set[j]) {
			set[j] = n;
			continue;
		}
		if (!dups++) {
			*a = set[j];
			*b = n;
		}
	}
	free(set);
	return dups;
}
