/* Drives lib/store/events.c for t/6000-events.bats.
 *
 *   events [--now TIME] emit TYPE FIELDS_JSON [TYPE FIELDS_JSON ...]
 *       with the config from $PP_CONFIG, emits each event as pp-x would
 *   events redact URL
 *       prints pp_url_redact(URL) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	const struct pp_config *cfg;
	char *path;

	pp_setprogname("pp-unit-events");
	if (argc > 2 && !strcmp(argv[1], "--now")) {
		pp_opt.now_arg = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc == 3 && !strcmp(argv[1], "redact")) {
		char *r = pp_url_redact(argv[2]);

		puts(r);
		free(r);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "emit") || argc % 2) {
		fprintf(stderr, "usage: events emit TYPE JSON ... | "
			"redact URL\n");
		return 2;
	}
	cfg = pp_start();
	path = pp_events_path(cfg, NULL);
	pp_events_init(cfg, path);
	free(path);
	for (int i = 2; i + 1 < argc; i += 2) {
		char err[256];
		json_object *f = NULL;

		if (*argv[i + 1]) {
			f = pp_json_parse(argv[i + 1], strlen(argv[i + 1]),
				err, sizeof err);
			if (!f)
				pp_die(2, "bad fields '%s': %s", argv[i + 1],
					err);
		}
		pp_event(argv[i], f);
	}
	return 0;
}
