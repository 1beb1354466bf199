/* Reads a document on stdin and publishes its metrics as pp-fleetstats
 * does (for documents with sections pp-fleetstats does not yet write). */
#include "pp.h"

int
main(int argc, char **argv)
{
	const struct pp_config *cfg;
	json_object *doc;

	(void)argc;
	pp_setprogname(argv[0]);
	cfg = pp_start();
	pp_metrics_init(cfg, NULL);
	doc = pp_doc_read();
	pp_metrics_fleet(doc);
	json_object_put(doc);
	return pp_metrics_run(NULL, 1) < 0;
}
