/* Fuzzes the Hetzner API answers: servers, server types, actions and
 * error bodies, read the way the client reads them. The first byte
 * picks the HTTP status, so error answers are covered too. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long status[] = {200, 201, 404, 409, 422, 429, 500,
		503};
	struct pp_server_list l = {0};
	struct pp_catalog cat = {0};
	struct pp_cloud_error err;

	FUZZ_INIT();
	if (size < 1)
		return 0;
	(void)pp_hetzner_parse_answer(status[data[0] % 8],
		(const char *)data + 1, size - 1, &l, &cat, &err);
	for (size_t i = 0; i < l.n; i++)
		json_object_put(pp_server_json(&l.v[i]));
	json_object_put(pp_cloud_error_json(&err));
	pp_server_list_free(&l);
	pp_catalog_free(&cat);
	return 0;
}
