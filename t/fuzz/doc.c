/* Fuzzes the pipe document: the whole-text and the streaming parser
 * must agree, and whatever parses goes through what pp-decide does
 * with it (engine context, every policy, the decision, the external
 * forecast reader) in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static struct pp_config *cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], serr[512];
	json_object *doc, *sdoc, *state, *dec;
	struct pp_forecast fc;
	FILE *f;

	if (!cfg) {
		FUZZ_INIT();
		cfg = pp_config_parse("profile: seed\n", 14, "fuzz", err,
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
