/* histtool: drives the history store for the tests.
 *   histtool fill FILE START STEP_SECONDS COUNT
 * records COUNT samples STEP seconds apart through pp_history_record. */
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	char err[512];
	time_t t;

	pp_setprogname(argv[0]);
	if (argc != 6 || strcmp(argv[1], "fill") ||
	    pp_parse_time(argv[3], &t) < 0) {
		fprintf(stderr, "usage: histtool fill FILE START STEP N\n");
		return 2;
	}
	for (long i = 0; i < atol(argv[5]); i++) {
		struct pp_history h;
		struct pp_sample s = {t + i * atol(argv[4]), i, 100, 0};

		pp_set_now(s.t);
		if (pp_history_record(&h, argv[2], &s, 15 * 86400, 1, err,
		    sizeof err) < 0)
			pp_die(1, "%s", err);
		pp_history_free(&h);
	}
	return 0;
}
