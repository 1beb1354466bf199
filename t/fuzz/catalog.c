/* Fuzzes the server-type catalog as the document and the catalog cache
 * carry it: read, write back, look up. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_catalog cat = {0};
	json_object *o;
	char err[512];

	FUZZ_INIT();
	o = pp_json_parse((const char *)data, size, err, sizeof err);
	if (!o)
		return 0;
	if (pp_catalog_from_json(o, &cat, err, sizeof err) == 0) {
		json_object *back = pp_catalog_json(&cat);

		(void)pp_json_string(back, 0);
		json_object_put(back);
		for (size_t i = 0; i < cat.n; i++) {
			(void)pp_type_price(&cat.t[i], "nbg1");
			(void)pp_type_usable_mb(&cat.t[i], 512);
			(void)pp_catalog_find(&cat, cat.t[i].name);
		}
		pp_catalog_free(&cat);
	}
	json_object_put(o);
	return 0;
}
