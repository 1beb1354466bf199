/* Fuzzes the state file: parse, then let the engine read and update
 * its "decide" section and its "refusals" over a small fixed fleet,
 * as pp-decide does; then the metric counters. */
#include <stdlib.h>

#include "fuzz.h"

static const char fleet[] = "{\"version\":1,\"nodes\":["
	"{\"id\":\"d1\",\"kind\":\"dedicated\",\"status\":\"ready\","
	"\"role\":\"worker\",\"usable_ram_mb\":16384,"
	"\"allocated_ram_mb\":15000,\"containers\":3},"
	"{\"id\":\"c1\",\"kind\":\"cloud\",\"status\":\"ready\","
	"\"role\":\"spare\",\"usable_ram_mb\":7680,\"allocated_ram_mb\":0,"
	"\"server_type\":\"cx32\",\"location\":\"nbg1\","
	"\"created_at\":\"2026-11-27T17:10:00Z\",\"hourly_cost_eur\":0.0128,"
	"\"containers\":0}]}";

static struct pp_config *cfg;
static json_object *doc;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	struct pp_state s = {0};
	json_object *dec;
	int dry;

	if (!cfg) {
		FUZZ_INIT();
		cfg = pp_engine_config_parse("profile: seed\n", 14, "fuzz", err,
			sizeof err);
		doc = pp_json_parse(fleet, sizeof fleet - 1, err, sizeof err);
		if (!cfg || !doc)
			abort();
	}
	s.root = pp_state_parse((const char *)data, size, "fuzz", err,
		sizeof err);
	if (!s.root)
		return 0;
	/* both the read-only and the updating path, as lib/run/decide.c */
	for (dry = 1; dry >= 0; dry--) {
		dec = pp_engine_decide(cfg, doc, pp_decide_mem_make(s.root),
			pp_refusals_of(s.root), FUZZ_NOW, dry,
			err, sizeof err);
		json_object_put(dec);
	}
	pp_state_count(&s, "pp_decisions_total", "action=\"none\"", 1);
	(void)pp_json_string(s.root, 0);
	json_object_put(s.root);
	return 0;
}
