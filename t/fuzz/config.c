/* Fuzzes the YAML config: any text either loads or is refused with a
 * message; what loads is used the way the tools use it (the catalog,
 * the resolved paths). */
#include <stdlib.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_config *c;
	struct pp_catalog cat;
	char err[1024];

	FUZZ_INIT();
	c = pp_engine_config_parse((const char *)data, size, "fuzz", err,
		sizeof err);
	if (!c)
		return 0;
	pp_catalog_from_config(c, &cat);
	json_object_put(pp_catalog_json(&cat));
	pp_catalog_free(&cat);
	free(pp_state_path(c, NULL, "state.json"));
	free(pp_registry_path(c, NULL, NULL));
	pp_config_free(c);
	return 0;
}
