/* The local provider's file (cloud.json): what the strict scanner's
 * reading (cloud/cloud_lscan.c) takes, json-c reads the same way: the
 * same servers, fields and labels, and a server cut out of the text
 * leaves json-c's array without that element. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cloud/cloud_lscan.h"

static const char *const keys[LCF_N] = {
	"id", "name", "server_type", "location", "ipv4", "private_ip",
	"created", "ready_at", "labels"
};

static void
same_server(const struct lc_srv *v, json_object *s)
{
	json_object *labels = pp_jget(s, "labels");
	struct pp_strmap m = {0};
	size_t n = 0;

	for (int f = 0; f < LCF_LABELS; f++) {
		const char *js = pp_jstr(s, keys[f], NULL);
		char *ls = pp_lc_field(v, f, NULL);

		if (!js != !ls || (js && strcmp(js, ls)))
			abort();
		free(ls);
	}
	pp_lc_labels(v, &m);
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, val) {
			const char *got = pp_strmap_get(&m, k);

			if (!got || strcmp(got, json_object_get_string(val)))
				abort();
			n++;
		}
	}
	if (n != m.n)
		abort();
	pp_strmap_clear(&m);
}

/* Cutting server i out of the text leaves the other elements. */
static void
same_without(const struct lc_text *t, const char *text, size_t len,
	json_object *a, size_t i)
{
	char err[256], *cut;
	size_t n;
	json_object *root, *b;

	cut = pp_lc_without(t, text, len, i, &n);
	root = pp_json_parse(cut, n, err, sizeof err);
	free(cut);
	b = pp_jget(root, "servers");
	if (!json_object_is_type(b, json_type_array) ||
	    json_object_array_length(b) + 1 != json_object_array_length(a))
		abort();
	for (size_t j = 0, k = 0; j < json_object_array_length(a); j++) {
		if (j == i)
			continue;
		if (!json_object_equal(json_object_array_get_idx(a, j),
		    json_object_array_get_idx(b, k++)))
			abort();
	}
	json_object_put(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct lc_text t;
	json_object *root, *a;
	char err[256], *text;

	if (!init) {
		FUZZ_INIT();
		init = 1;
	}
	if (size > (1u << 20))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pp_lc_scan(text, size, &t) == 0) {
		/* what the scanner takes, json-c takes too */
		root = pp_json_parse(text, size, err, sizeof err);
		a = pp_jget(root, "servers");
		if (!root || !json_object_is_type(a, json_type_array) ||
		    json_object_array_length(a) != t.n)
			abort();
		for (size_t i = 0; i < t.n; i++)
			same_server(&t.v[i], json_object_array_get_idx(a, i));
		if (t.n) {
			same_without(&t, text, size, a, 0);
			same_without(&t, text, size, a, t.n - 1);
		}
		json_object_put(root);
		pp_lc_text_free(&t);
	}
	free(text);
	return 0;
}
