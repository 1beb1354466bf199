/* Fuzzes the pipe document: the whole-text and the streaming parser
 * must agree, and whatever parses goes through what pp-decide does
 * with it (engine context, every policy, the decision, the external
 * forecast reader) in memory.
 *
 * The lean reader (pp_doc_parse_lean: nodes kept as text, read without
 * json-c) must never take a text json-c refuses, and where it takes one
 * the decision and the document written must be json-c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static struct pp_config *cfg;

static char *
decide(json_object *doc, char *err, size_t errlen)
{
	json_object *state = json_object_new_object();
	json_object *dec = pp_engine_decide(cfg, doc, state,
		pp_jget(doc, "refusals"), FUZZ_NOW, 0, err, errlen);
	char *s = strdup(dec ? pp_json_string(dec, 0) : err);

	json_object_put(dec);
	json_object_put(state);
	return s;
}

static int
same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* the engine's nodes, read both ways */
static void
same_nodes(json_object *doc, json_object *lean)
{
	struct pp_enodes a, b;
	size_t bad_a, bad_b;
	int ra = pp_enodes_read(&a, pp_jget(doc, "nodes"), &bad_a);
	int rb = pp_enodes_read(&b, pp_jget(lean, "nodes"), &bad_b);

	if (ra != rb || (ra < 0 && bad_a != bad_b) || a.n != b.n) {
		fprintf(stderr, "node readers differ: %d/%d at %zu/%zu, "
			"%zu/%zu nodes\n", ra, rb, bad_a, bad_b, a.n, b.n);
		abort();
	}
	for (size_t i = 0; i < a.n; i++) {
		const struct pp_enode *x = &a.v[i], *y = &b.v[i];
		int same = same_str(x->id, y->id) &&
			same_str(x->server_type, y->server_type) &&
			same_str(x->location, y->location) &&
			x->kind == y->kind && x->status == y->status &&
			x->role == y->role && x->usable_mb == y->usable_mb &&
			x->allocated_mb == y->allocated_mb &&
			x->largest_mb == y->largest_mb &&
			x->containers == y->containers &&
			x->hourly_eur == y->hourly_eur &&
			x->created_at == y->created_at &&
			x->ncontainer_mb == y->ncontainer_mb;

		for (size_t j = 0; same && j < x->ncontainer_mb; j++)
			same = x->container_mb[j] == y->container_mb[j];
		if (!same) {
			fprintf(stderr, "node %zu read differently\n", i);
			abort();
		}
	}
	pp_enodes_free(&a);
	pp_enodes_free(&b);
}

/* lean against json-c */
static void
lean_agrees(const uint8_t *data, size_t size, json_object *doc)
{
	char err[512], lerr[512], *a, *b, *written;
	json_object *lean = pp_doc_parse_lean((const char *)data, size);
	json_object *again;

	if (!lean)
		return;
	if (!doc) {
		fprintf(stderr, "lean reader took what json-c refuses\n");
		abort();
	}
	if (json_object_is_type(pp_jget(doc, "nodes"), json_type_array))
		same_nodes(doc, lean);
	a = decide(doc, err, sizeof err);
	b = decide(lean, lerr, sizeof lerr);
	if (strcmp(a, b)) {
		fprintf(stderr, "decisions differ:\n%s\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	written = strdup(pp_json_string(lean, 0));
	again = pp_json_parse(written, strlen(written), err, sizeof err);
	if (!again || strcmp(pp_json_string(again, 0),
	    pp_json_string(doc, 0))) {
		fprintf(stderr, "lean document differs:\n%s\n", written);
		abort();
	}
	free(written);
	json_object_put(again);
	json_object_put(lean);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], serr[512];
	json_object *doc, *sdoc, *state, *dec;
	struct pp_forecast fc;
	FILE *f;

	if (!cfg) {
		FUZZ_INIT();
		cfg = pp_engine_config_parse("profile: seed\n", 14, "fuzz", err,
			sizeof err);
		if (!cfg)
			abort();
	}
	doc = pp_json_parse((const char *)data, size, err, sizeof err);
	/* fmemopen of 0 bytes fails on older glibc: nothing to compare */
	f = size ? fmemopen((void *)data, size, "r") : NULL;
	if (f) {
		sdoc = pp_json_parse_stream(f, PP_DOC_MAX, NULL, serr,
			sizeof serr);
		fclose(f);
		/* the two readers accept the same texts */
		if (!doc != !sdoc) {
			fprintf(stderr, "parsers disagree: '%s' / '%s'\n",
				doc ? "ok" : err, sdoc ? "ok" : serr);
			abort();
		}
		json_object_put(sdoc);
	}
	lean_agrees(data, size, doc);
	if (!doc)
		return 0;
	state = json_object_new_object();
	dec = pp_engine_decide(cfg, doc, state, pp_jget(doc, "refusals"),
		FUZZ_NOW, 0, err, sizeof err);
	if (dec)
		(void)pp_json_string(dec, 1);
	json_object_put(dec);
	json_object_put(state);
	if (pp_jget(doc, "forecast") &&
	    pp_forecast_from_json(pp_jget(doc, "forecast"), &fc, err,
	    sizeof err) == 0) {
		json_object *o = pp_forecast_json(&fc);

		(void)pp_forecast_value(&fc, 3600);
		json_object_put(o);
	}
	json_object_put(doc);
	return 0;
}
