/* The flags every tool shares, and the start-up they imply. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/cli.h"
#include "base/json.h"
#include "conf/config.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "base/util.h"
#include "store/state.h"

struct pp_options pp_opt;

static struct pp_config *loaded;

static void
free_loaded(void)
{
	pp_config_free(loaded);
	loaded = NULL;
}

/* An empty value is a mistake (a variable that expanded to nothing),
 * not a request for the default: -c '' would check the built-in
 * defaults and call them valid. */
static void
nonempty(int c, const char *arg)
{
	const char *name = c == 'c' ? "--config" : c == 'r' ? "--registry" :
		c == PP_OPT_STATE_DIR ? "--state-dir" : NULL;

	if (name && arg && !*arg)
		pp_die(PP_EXIT_USAGE, "empty %s: give a value, or leave the "
			"option out for the default", name);
}

int
pp_common_opt(int c, const char *arg, void (*usage)(int))
{
	nonempty(c, arg);
	switch (c) {
	case 'c':
		pp_opt.config_path = arg;
		return 1;
	case PP_OPT_NOW:
		pp_opt.now_arg = arg;
		return 1;
	case PP_OPT_DRY_RUN:
		pp_opt.dry_run = 1;
		return 1;
	case 'p':
		pp_opt.pretty = 1;
		return 1;
	case 'q':
		pp_verbosity = -1;
		return 1;
	case 'v':
		if (pp_verbosity < 0)
			pp_verbosity = 0;
		pp_verbosity++;
		return 1;
	case 'h':
		usage(PP_EXIT_OK);
		/* help that could not be written is a failure (>/dev/full),
		 * said as every other write to stdout says it */
		exit(pp_finish_stdout(PP_EXIT_OK));
	case PP_OPT_VERSION:
		printf("%s (ppscale) %s\n", pp_progname, PP_VERSION);
		exit(pp_finish_stdout(PP_EXIT_OK));
	}
	return 0;
}

/* A typo gets the synopsis (usage() up to its first empty line) and a
 * pointer to --help, not the whole help. usage() writes to stderr, so
 * its text is caught in a temporary file. */
_Noreturn void
pp_usage_error(void (*usage)(int))
{
	FILE *tmp = tmpfile();
	int saved = tmp ? dup(2) : -1;
	char line[512];

	if (saved >= 0 && dup2(fileno(tmp), 2) >= 0) {
		usage(PP_EXIT_USAGE);
		fflush(stderr);
		dup2(saved, 2);
		rewind(tmp);
		while (fgets(line, sizeof line, tmp) && line[0] != '\n')
			fputs(line, stderr);
	} else {
		usage(PP_EXIT_USAGE);
	}
	if (saved >= 0)
		close(saved);
	if (tmp)
		fclose(tmp);
	fprintf(stderr, "try '%s --help' for more information\n",
		pp_progname);
	exit(PP_EXIT_USAGE);
}

_Noreturn void
pp_bad_option(void (*usage)(int), char **argv, const struct option *longopts)
{
	const char *bad = optind > 0 ? argv[optind - 1] : NULL;
	const char *cands[64], *near;
	char word[64];
	size_t n = 0, len;

	/* a long option getopt did not know (optopt 0; a short one sets
	 * it, and then argv[optind - 1] may be an earlier argument):
	 * "--name" or "--name=value" (a known one that lacks its value
	 * is not a typo) */
	if (bad && !optopt && !strncmp(bad, "--", 2) &&
	    (len = strcspn(bad + 2, "=")) &&
	    len < sizeof word) {
		memcpy(word, bad + 2, len);
		word[len] = '\0';
		for (; longopts[n].name && n < 64; n++) {
			cands[n] = longopts[n].name;
			if (!strcmp(cands[n], word))
				break;
		}
		near = !longopts[n].name ? pp_nearest(word, cands, n) : NULL;
		if (near)
			fprintf(stderr, "%s: did you mean '--%s'?\n",
				pp_progname, near);
	}
	pp_usage_error(usage);
}

void
pp_no_operands(int argc, char **argv, void (*usage)(int))
{
	if (optind < argc) {
		pp_warn("unexpected argument '%s'", argv[optind]);
		pp_usage_error(usage);
	}
}

const struct pp_config *
pp_start(void)
{
	char err[512];
	const char *path = pp_opt.config_path;
	int must_exist = 1;

	pp_no_core_dumps();
#ifdef __GLIBC__
	/* A document is a million small objects freed at once; glibc's
	 * fastbins make that free pass dominate the run (perf: 25 % in
	 * malloc_consolidate at 10,000 nodes). */
	mallopt(M_MXFAST, 0);
#endif
	if (pp_opt.now_arg) {
		time_t t;

		if (pp_parse_time(pp_opt.now_arg, &t) < 0)
			pp_die(PP_EXIT_USAGE, "bad --now '%s': expected RFC "
				"3339 time such as 2026-11-27T18:00:00Z",
				pp_opt.now_arg);
		/* what the files hold: a sample or a time stamp outside
		 * them is one their readers refuse (a history set aside
		 * for a typo of the year) */
		if (t <= 0 || t > PP_TIME_MAX)
			pp_die(PP_EXIT_USAGE, "bad --now '%s': outside "
				"1970-01-01 to 9999-12-31 (UTC)",
				pp_opt.now_arg);
		pp_set_now(t);
	}
	if (!path || !*path) {
		path = getenv("PP_CONFIG");
		if (!path || !*path) {
			path = PP_CONFIG_DEFAULT;
			must_exist = 0;
		}
	}
	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT) {
		pp_debug("no config file '%s': using built-in defaults",
			path);
		path = NULL;
	}
	loaded = pp_engine_config_load(path, err, sizeof err);
	if (!loaded)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (loaded->state_dir && *loaded->state_dir && getenv("PP_STATE_DIR")
	    && *getenv("PP_STATE_DIR") &&
	    strcmp(getenv("PP_STATE_DIR"), loaded->state_dir) != 0)
		pp_debug("the config's state_dir '%s' overrides $PP_STATE_DIR "
			"'%s' (--state-dir overrides both)", loaded->state_dir,
			getenv("PP_STATE_DIR"));
	/* two control hosts: the state lives in their database */
	if (loaded->control.database && *loaded->control.database)
		pp_state_use_database(loaded->control.database,
			loaded->cloud.pool);
	atexit(free_loaded);
	return loaded;
}

int
pp_pretty(void)
{
	return pp_opt.pretty || isatty(1);
}

const char *
pp_decision_action(json_object *doc)
{
	json_object *dec = pp_jget(doc, "decision");
	json_object *a = pp_jget(dec, "action");
	const char *action;

	if (dec && !json_object_is_type(dec, json_type_object))
		pp_die(PP_EXIT_USAGE, "bad document on stdin: the decision is "
			"not an object");
	if (!a)
		return NULL;
	if (!json_object_is_type(a, json_type_string))
		pp_die(PP_EXIT_USAGE, "bad document on stdin: the decision "
			"action is not a string");
	action = json_object_get_string(a);
	for (int i = PP_ACT_NONE; i <= PP_ACT_UNCORDON; i++)
		if (!strcmp(action, pp_action_name(i)))
			return action;
	pp_die(PP_EXIT_USAGE, "bad document on stdin: unknown decision "
		"action '%s'", action);
}
