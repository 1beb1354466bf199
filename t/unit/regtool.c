/* regtool: registry operations for the tests.
 *   regtool touch FILE NODE STATUS   set a node's status (locked write)
 *   regtool flip FILE N              rewrite the registry N times,
 *                                    toggling a field, as fast as it can */
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	struct pp_registry r;
	char err[512];

	pp_setprogname(argv[0]);
	if (argc == 5 && !strcmp(argv[1], "touch")) {
		struct pp_node *n;

		if (pp_registry_open(&r, argv[2], PP_LOCK_EX, err,
		    sizeof err) < 0)
			pp_die(2, "%s", err);
		n = pp_registry_find(&r, argv[3]);
		if (!n || pp_status_parse(argv[4]) < 0)
			pp_die(2, "no node '%s' or bad status", argv[3]);
		pp_node_set_status(n, pp_status_parse(argv[4]));
		if (pp_registry_save(&r) < 0)
			pp_die(1, "cannot save:");
		pp_registry_close(&r);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "flip")) {
		long n = atol(argv[3]);

		for (long i = 0; i < n; i++) {
			if (pp_registry_open(&r, argv[2], PP_LOCK_EX, err,
			    sizeof err) < 0)
				pp_die(2, "%s", err);
			pp_node_set_status(&r.nodes[0], i % 2 ?
				PP_ST_READY : PP_ST_DRAINING);
			if (pp_registry_save(&r) < 0)
				pp_die(1, "cannot save:");
			pp_registry_close(&r);
		}
		return 0;
	}
	fprintf(stderr, "usage: regtool touch FILE NODE STATUS | "
		"flip FILE N\n");
	return 2;
}
