/* Drives lib/store/metrics.c the way pp-decide, pp-provision and pp-drain
 * will, for t/6100-metrics.bats.
 *
 *   metrics [--now TIME] count ACTION RESULT [N]
 *       counts N scaling actions in STATE_DIR/state.json under its lock
 *       and publishes the counters and this run
 *   metrics [--now TIME] die
 *       initialises the metrics and dies with status 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	const struct pp_config *cfg;
	struct pp_state st;
	char err[512], *path;
	int rc;

	pp_setprogname("pp-unit-metrics");
	if (argc > 2 && !strcmp(argv[1], "--now")) {
		pp_opt.now_arg = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: metrics count ACTION RESULT [N] | "
			"die\n");
		return 2;
	}
	cfg = pp_start();
	pp_metrics_init(cfg, NULL);
	if (!strcmp(argv[1], "die"))
		pp_die(PP_EXIT_FAIL, "dying on purpose");
	if (strcmp(argv[1], "count") || argc < 4)
		return 2;
	path = pp_state_path(cfg, NULL, "state.json");
	rc = pp_state_open(&st, path, PP_LOCK_EX, err, sizeof err);
	free(path);
	if (rc < 0)
		pp_die(rc == -2 ? 1 : 2, "%s", err);
	for (int i = 0; i < (argc > 4 ? atoi(argv[4]) : 1); i++)
		pp_metrics_count_scaling(&st, argv[2], argv[3]);
	if (pp_state_save(&st) < 0)
		pp_die(1, "cannot save state:");
	pp_metrics_state(&st);
	pp_state_close(&st);
	return pp_metrics_run(NULL, 1) < 0;
}
