/* pp-drain's plan from the document (issue 17): pp-fleetstats put every
 * node's status, kind, role, usable (a cloud node's capped at its
 * server type's memory: doc/cloudram.h) and allocated RAM in the
 * document's node list, which is what the plan needs of the targets (their
 * addresses, for the hook's {to_ip}, are read fresh from the registry
 * for the chosen targets only). The node drained is read from the registry itself (its game
 * servers as they are now), and the registry is then opened lazily:
 * only that node and the targets of the moves are indexed. The plan is
 * pp_drain_plan's own (engine/placement.c), on those nodes; every move
 * is still checked against a fresh read of its nodes before its hook
 * (drainmove.c), so a document older than the registry costs a move
 * re-planned next cycle, never a move onto a node without room. */
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "engine/enode.h"
#include "engine/placement.h"
#include "run/drain_int.h"
#include "store/registry.h"

/* The document's nodes as the plan sees them (n[0] left for the node
 * drained), or -1 when the document has no such list or the engine's
 * reading of it (pp_enodes_read, the lean text or the tree) refuses
 * it: then the registry is read whole. Addresses are not in the list:
 * pp_dr_plan_doc takes them from the registry. *ndoc: the list's
 * length (*nout is that when skip is in it once); *skip_status: skip's
 * status in it, -1 when it is not there. */
int
pp_dr_doc_nodes(json_object *doc, const char *skip, struct pp_node **out,
	size_t *nout, size_t *ndoc, int *skip_status)
{
	json_object *list = pp_jget(doc, "nodes");
	struct pp_enodes set;
	struct pp_node *nodes;
	size_t bad, k = 1;

	*skip_status = -1;
	memset(&set, 0, sizeof set);
	if (!list || pp_enodes_read(&set, list, &bad) < 0) {
		pp_enodes_free(&set);
		return -1;
	}
	nodes = pp_xcalloc(set.n + 1, sizeof *nodes);
	for (size_t i = 0; i < set.n; i++) {
		const struct pp_enode *e = &set.v[i];
		struct pp_node *n = &nodes[k];

		if (!strcmp(e->id, skip)) {
			*skip_status = e->status;
			continue;
		}
		/* the plan's copies are made before set goes */
		n->id = pp_xstrdup(e->id);
		n->kind = e->kind;
		n->status = e->status;
		n->role = e->role;
		n->usable_ram_mb = e->usable_mb;
		n->allocated_ram_mb = e->allocated_mb;
		k++;
	}
	*ndoc = set.n;
	pp_enodes_free(&set);
	*out = nodes;
	*nout = k;
	return 0;
}

int
pp_dr_doc_status(json_object *doc, const char *id)
{
	json_object *list = doc ? pp_jget(doc, "nodes") : NULL;
	struct pp_enodes set;
	size_t bad;
	int st = -1;

	memset(&set, 0, sizeof set);
	if (list && pp_enodes_read(&set, list, &bad) == 0)
		for (size_t i = 0; i < set.n && st < 0; i++)
			if (!strcmp(set.v[i].id, id))
				st = set.v[i].status;
	pp_enodes_free(&set);
	return st;
}

void
pp_dr_doc_nodes_free(struct pp_node *nodes, size_t n)
{
	for (size_t i = 1; nodes && i < n; i++)
		free((char *)nodes[i].id);
	free(nodes);
}

/* The plan for src (found in r) onto the document's nodes (from
 * pp_dr_doc_nodes; nodes[0] is overwritten); each target's address is
 * read from r, which indexes only those nodes. */
void
pp_dr_plan_doc(struct pp_registry *r, const struct pp_node *src,
	struct pp_node *nodes, size_t n, struct pp_plan *p)
{
	struct pp_registry view;

	memset(&view, 0, sizeof view);
	nodes[0] = *src;
	view.nodes = nodes;
	view.nnodes = n;
	pp_drain_plan(&view, src->id, p);
	for (size_t i = 0; i < p->n; i++) {
		const struct pp_node *t = pp_registry_find(r, p->moves[i].to);

		if (t && t->ip) {
			free(p->moves[i].to_ip);
			p->moves[i].to_ip = pp_xstrdup(t->ip);
		}
	}
}
