/* enode.c: the document's nodes as the engine sees them (struct
 * pp_enode), read from json-c objects or, for a document read by
 * pp_doc_read_lean, straight from the nodes' compact text. */
#ifndef PP_ENODE_H
#define PP_ENODE_H

#include <stddef.h>
#include <json-c/json.h>

#include "engine/engine.h"

struct pp_enodes {
	struct pp_enode *v;
	size_t n;
	long long *ram;          /* the nodes' container_mb lists */
	char *strings;           /* from text: the nodes' strings */
	json_object *tree;       /* a text json-c had to parse after all */
	const char *not_number;  /* the key, when pp_enodes_read gave -3 */
};

/* Reads the document's "nodes" (a list, or the text of a lean
 * document); the nodes borrow strings from `nodes` (keep it alive).
 * 0; -1 when node *bad has no id or no known status; -2 when one of its
 * figures is out of range; -3 when one (set->not_number) is not a
 * number. Either way set is to be freed. */
int pp_enodes_read(struct pp_enodes *set, json_object *nodes, size_t *bad);
void pp_enodes_free(struct pp_enodes *set);

#endif
