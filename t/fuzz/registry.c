/* Fuzzes the node registry: parse and index, then what pp-fleetstats
 * makes of it (fleet figures, node summaries, tree and raw).
 *
 * The registry is read two ways: by the strict scanner from its text
 * (pp_registry_parse_text) and by json-c into a tree
 * (pp_registry_parse_tree). Where the scanner takes a text, json-c
 * must take it too and the two must index it the same, down to every
 * field and every message; and an edit (a status set, a node removed,
 * a node added) must write the same registry whichever way it was read:
 * the spliced text, read back by json-c, is json-c's edited tree.
 * The node summaries pp-fleetstats writes by hand must be json-c's
 * serialisation of the same summaries, to the byte. The lazy reading
 * (PP_REG_LAZY, for a file a stamp says was checked) stays within any
 * bytes, and on text the scanner indexes gives the same index node by
 * node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "store/registry_int.h"

static int
same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void
same_index(const struct pp_registry *a, const struct pp_registry *b)
{
	if (a->nnodes != b->nnodes) {
		fprintf(stderr, "readers differ: %zu/%zu nodes\n", a->nnodes,
			b->nnodes);
		abort();
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct pp_node *x = &a->nodes[i], *y = &b->nodes[i];
		int same = same_str(x->id, y->id) && x->kind == y->kind &&
			x->status == y->status && x->role == y->role &&
			x->total_ram_mb == y->total_ram_mb &&
			x->reserved_ram_mb == y->reserved_ram_mb &&
			same_str(x->ip, y->ip) &&
			same_str(x->location, y->location) &&
			x->has_cloud == y->has_cloud &&
			same_str(x->provider, y->provider) &&
			same_str(x->server_id, y->server_id) &&
			same_str(x->server_type, y->server_type) &&
			same_str(x->server_name, y->server_name) &&
			!memcmp(&x->hourly_cost_eur, &y->hourly_cost_eur,
			sizeof x->hourly_cost_eur) &&
			x->created_at == y->created_at &&
			x->draining_since == y->draining_since &&
			same_str(x->draining_by, y->draining_by) &&
			x->ncontainers == y->ncontainers &&
			x->allocated_ram_mb == y->allocated_ram_mb &&
			x->largest_container_mb == y->largest_container_mb &&
			x->largest_allocated_mb == y->largest_allocated_mb &&
			x->players == y->players && x->stopped == y->stopped;

		for (size_t j = 0; same && j < x->ncontainers; j++) {
			const struct pp_container *c = &x->containers[j];
			const struct pp_container *d = &y->containers[j];

			same = same_str(c->id, d->id) &&
				c->ram_mb == d->ram_mb &&
				c->state == d->state &&
				c->players == d->players;
		}
		if (!same) {
			fprintf(stderr, "node %zu read differently\n", i);
			abort();
		}
	}
}

/* the same edits through the registry API, applied: the index made
 * from the splice must be the index of the text written */
static char *
edited(struct pp_registry *r)
{
	struct pp_registry f;
	struct pp_node *n;
	json_object *o;
	size_t len;
	char *text, err[256];
	char *id = r->nnodes ? strdup(r->nodes[0].id) : NULL;
	int rc, frc;

	n = id ? pp_registry_find(r, id) : NULL;
	if (n) {
		/* each node-level edit, and its index at once */
		pp_registry_mark_draining(r, id, 1795802400, "maintenance");
		if (n->status != PP_ST_DRAINING ||
		    n->draining_since != 1795802400 ||
		    strcmp(n->draining_by, "maintenance")) {
			fprintf(stderr, "mark_draining not in the index\n");
			abort();
		}
		if (pp_registry_place(r, id, "gs-fuzz", 512, PP_CS_RUNNING,
		    3) < 0 || !n->ncontainers || strcmp(
		    n->containers[n->ncontainers - 1].id, "gs-fuzz")) {
			fprintf(stderr, "place not in the index\n");
			abort();
		}
		pp_registry_set_container(r, id, "gs-fuzz", -1,
			PP_CS_STOPPED, 0);
		if (r->nnodes > 2) {
			const char *to = r->nodes[1].id;

			if (pp_registry_move(r, id, to, "gs-fuzz") < 0) {
				fprintf(stderr, "move failed\n");
				abort();
			}
		} else {
			pp_registry_unplace(r, id, "gs-fuzz");
		}
	}
	if (r->nnodes > 1)
		pp_registry_remove(r, r->nodes[r->nnodes - 1].id);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string("new-1"));
	json_object_object_add(o, "kind", json_object_new_string("cloud"));
	json_object_object_add(o, "status",
		json_object_new_string("provisioning"));
	json_object_object_add(o, "total_ram_mb", json_object_new_int(1));
	pp_registry_add(r, o);
	free(id);
	rc = pp_registry_apply(r, &text, &len);
	memset(&f, 0, sizeof f);
	frc = pp_registry_parse(&f, text, len, "fuzz", err, sizeof err);
	if (rc != frc) {
		fprintf(stderr, "applied edits index %d, their text %d\n",
			rc, frc);
		abort();
	}
	if (rc == 0)
		same_index(r, &f);
	pp_registry_close(&f);
	/* as json-c reads it, written compact */
	o = pp_json_parse(text, len, err, sizeof err);
	if (!o) {
		fprintf(stderr, "edited registry is not JSON: %s\n%s\n", err,
			text);
		abort();
	}
	free(text);
	text = strdup(pp_json_string(o, 0));
	json_object_put(o);
	return text;
}

/* The lazy reading of the same bytes; full: the scanner's index of
 * them, or NULL when it did not take them. */
static void
lazy_check(const uint8_t *data, size_t size, const struct pp_registry *full)
{
	struct pp_registry z;

	/* the lazy reading's skip, 64 bytes at a step, ends where the
	 * byte-by-byte one ends, from every object or array in the
	 * input and within its bytes (ASan: the copy is exactly size) */
	for (size_t i = 0, k = 0; i < size && k < 64; i++) {
		if (data[i] != '{' && data[i] != '[')
			continue;
		k++;
		for (int base = 0; base <= 2; base += 2) {
			char *c = pp_xmalloc(size - i ? size - i : 1);
			const char *a, *b;

			memcpy(c, data + i, size - i);
			a = pp_rg_block_end(c, c + (size - i), base, 1);
			b = pp_rg_block_end(c, c + (size - i), base, 0);
			if (a != b) {
				fprintf(stderr, "block_end at %zu: %td vs %td\n",
					i, a ? a - c : -1, b ? b - c : -1);
				abort();
			}
			free(c);
		}
	}
	memset(&z, 0, sizeof z);
	z.lock.fd = -1;
	z.path = pp_xstrdup("fuzz");
	z.text = pp_rg_copy_text((const char *)data, size);
	z.len = size;
	if (pp_rg_load_lazy(&z) == 0) {
		int all = 1;

		for (size_t i = 0; i < z.nnodes; i++)
			if (pp_rg_index_lazy(&z, &z.nodes[i]) < 0)
				all = 0;
		if (full && !all) {
			fprintf(stderr, "a node the scanner indexed is not "
				"indexed lazily\n");
			abort();
		}
		if (full)
			same_index(full, &z);
	}
	pp_rg_free_index(&z);
	free(z.text);
	free(z.path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_registry r, t;
	struct pp_fleet fl;
	char err[1024], terr[1024];
	int rc, trc;

	FUZZ_INIT();
	memset(&r, 0, sizeof r);
	memset(&t, 0, sizeof t);
	rc = pp_registry_parse_text(&r, (const char *)data, size, "fuzz",
		err, sizeof err);
	trc = pp_registry_parse_tree(&t, (const char *)data, size, "fuzz",
		terr, sizeof terr);
	lazy_check(data, size, rc == 0 && r.text ? &r : NULL);
	/* what pp-fleetstats makes of it, before the edits below */
	if (trc == 0) {
		json_object *a, *b, *strand = json_object_new_object();

		pp_fleet_compute(&t, 0, 0, &fl);
		a = pp_fleet_json(&fl);
		(void)pp_json_string(a, 0);
		json_object_put(a);
		/* every other node's server marked stranded: both ways
		 * of the mark are compared */
		for (size_t i = 0; i < t.nnodes; i += 2)
			if (t.nodes[i].server_id && *t.nodes[i].server_id)
				json_object_object_add(strand,
					t.nodes[i].server_id,
					json_object_new_boolean(1));
		/* the summaries written by hand are json-c's to the byte */
		a = pp_nodes_raw(&t, FUZZ_NOW, strand);
		b = pp_nodes_json(&t, FUZZ_NOW, strand);
		json_object_put(strand);
		(void)pp_json_string(b, 1);
		if (strcmp(pp_jraw_text(a), pp_json_string(b, 0))) {
			fprintf(stderr, "node summaries differ:\n%s\n%s\n",
				pp_jraw_text(a), pp_json_string(b, 0));
			abort();
		}
		json_object_put(a);
		json_object_put(b);
		for (size_t i = 0; i < t.nnodes; i++)
			(void)pp_billing_minute(&t.nodes[i], FUZZ_NOW);
	}
	if (rc != -3) {
		if (rc != trc || (rc < 0 && strcmp(err, terr))) {
			fprintf(stderr, "readers differ: %d '%s' / %d '%s'\n",
				rc, rc ? err : "", trc, trc ? terr : "");
			abort();
		}
		if (rc == 0) {
			char *a, *b;

			same_index(&r, &t);
			a = edited(&r);
			b = edited(&t);
			if (strcmp(a, b)) {
				fprintf(stderr, "edits differ:\n%s\n%s\n", a,
					b);
				abort();
			}
			free(a);
			free(b);
		}
	}
	pp_registry_close(&r);
	pp_registry_close(&t);
	return 0;
}
