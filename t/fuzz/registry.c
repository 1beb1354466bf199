/* Fuzzes the node registry: parse and index, then what pp-fleetstats
 * makes of it (fleet figures, node summaries, tree and raw). */
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_registry r;
	struct pp_fleet fl;
	char err[1024];

	FUZZ_INIT();
	memset(&r, 0, sizeof r);
	if (pp_registry_parse(&r, (const char *)data, size, "fuzz", err,
	    sizeof err) == 0) {
		json_object *a, *b;

		pp_fleet_compute(&r, &fl);
		a = pp_fleet_json(&fl);
		b = pp_nodes_json(&r, FUZZ_NOW);
		(void)pp_json_string(a, 0);
		(void)pp_json_string(b, 0);
		json_object_put(a);
		json_object_put(b);
		a = pp_nodes_raw(&r, FUZZ_NOW);
		(void)pp_json_string(a, 0);
		json_object_put(a);
		for (size_t i = 0; i < r.nnodes; i++)
			(void)pp_billing_minute(&r.nodes[i], FUZZ_NOW);
	}
	pp_registry_close(&r);
	return 0;
}
