/* pp-registry: the platform's edits of the node registry, done under
 * the registry's protocol (ppscale-registry(5)).
 *
 * Reads nothing on stdin. "show" prints a node (or the registry) as
 * JSON on stdout; "place", "remove", "set" and "status" change the
 * registry file under its exclusive lock and write it by temp file and
 * rename, refusing what the registry's state forbids at that moment
 * (a node ppscale drains takes no new game server). Changes: the
 * registry file and its lock file, or the rows of a PostgreSQL
 * registry; nothing else. "import FILE" adds every node of a registry
 * file, in one edit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "run/regedit.h"

enum { OPT_PLAYERS = PP_OPT_TOOL, OPT_STATE, OPT_RAM };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-registry [-pqv] [-c FILE] [--now TIME] "
		"[--registry PATH]\n"
		"                   [--state-dir DIR] COMMAND [ARG...]\n\n"
		"       pp-registry [options] show [NODE]\n"
		"       pp-registry [options] place NODE SERVER RAM_MB "
		"[--players N]\n"
		"                   [--state STATE]\n"
		"       pp-registry [options] remove NODE SERVER\n"
		"       pp-registry [options] set NODE SERVER [--players N] "
		"[--state STATE]\n"
		"                   [--ram MB]\n"
		"       pp-registry [options] status NODE ready|unhealthy\n"
		"       pp-registry [options] import FILE\n\n"
		"Edits the node registry as the platform does, under its "
		"lock (see\n"
		"ppscale-registry(5)): places and removes game servers, sets "
		"their players\n"
		"and state and a node's status, shows a node as JSON; import "
		"adds the nodes\n"
		"of a registry file (moving to a PostgreSQL registry).\n\n"
		"      --players N     players on the game server\n"
		"      --state STATE   starting, running (default), stopping "
		"or stopped\n"
		"      --ram MB        RAM the game server holds (set)\n"
		PP_REGISTRY_HELP
		PP_STATE_DIR_HELP
		PP_COMMON_HELP_NO_CLOCK);
}

static long long
number(const char *what, const char *s, long long max)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (end == s || *end || v < 0 || v > max)
		pp_die(PP_EXIT_USAGE, "bad %s '%s': expected an integer from "
			"0 to %lld", what, s, max);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		PP_STATE_DIR_LONGOPT,
		PP_REGISTRY_LONGOPT,
		{"players", required_argument, 0, OPT_PLAYERS},
		{"state", required_argument, 0, OPT_STATE},
		{"ram", required_argument, 0, OPT_RAM},
		{0, 0, 0, 0},
	};
	struct pp_regedit e = {.ram_mb = -1, .players = -1};
	const char *state_dir = NULL, *registry = NULL, *cmd;
	const struct pp_config *cfg;
	int c, nargs, want;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS "r:",
	    longopts, NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case PP_OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case 'r':
			registry = optarg;
			break;
		case OPT_PLAYERS:
			e.players = number("--players", optarg,
				PP_PLAYERS_MAX);
			break;
		case OPT_STATE:
			e.state = optarg;
			break;
		case OPT_RAM:
			e.ram_mb = number("--ram", optarg, PP_RAM_MAX_MB);
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	if (optind >= argc) {
		pp_warn("no command: expected show, place, remove, set, "
			"status or import");
		usage(PP_EXIT_USAGE);
		return PP_EXIT_USAGE;
	}
	cmd = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(cmd, "show")) {
		e.op = PP_RE_SHOW;
		want = nargs <= 1 ? nargs : -1;
	} else if (!strcmp(cmd, "place")) {
		e.op = PP_RE_PLACE;
		want = 3;
	} else if (!strcmp(cmd, "remove")) {
		e.op = PP_RE_REMOVE;
		want = 2;
	} else if (!strcmp(cmd, "set")) {
		e.op = PP_RE_SET;
		want = 2;
	} else if (!strcmp(cmd, "status")) {
		e.op = PP_RE_STATUS;
		want = 2;
	} else if (!strcmp(cmd, "import")) {
		e.op = PP_RE_IMPORT;
		want = 1;
	} else {
		pp_warn("unexpected argument '%s': expected a command: "
			"show, place, remove, set, status or import", cmd);
		usage(PP_EXIT_USAGE);
		return PP_EXIT_USAGE;
	}
	if (nargs != want) {
		pp_warn("%s: wrong number of operands", cmd);
		usage(PP_EXIT_USAGE);
		return PP_EXIT_USAGE;
	}
	if ((e.op != PP_RE_PLACE && e.op != PP_RE_SET && (e.players >= 0 ||
	    e.state)) || (e.op != PP_RE_SET && e.ram_mb >= 0))
		pp_die(PP_EXIT_USAGE, "%s takes no --players, --state or "
			"--ram%s", cmd, e.op == PP_RE_PLACE ?
			" (RAM_MB is an operand)" : "");
	if (e.op == PP_RE_IMPORT)
		e.file = argv[optind];
	else if (nargs >= 1)
		e.node = argv[optind];
	if (e.op == PP_RE_STATUS)
		e.status = argv[optind + 1];
	else if (nargs >= 2)
		e.server = argv[optind + 1];
	if (e.op == PP_RE_PLACE) {
		e.ram_mb = number("RAM_MB", argv[optind + 2], PP_RAM_MAX_MB);
	}
	if (e.op == PP_RE_SET && e.players < 0 && !e.state && e.ram_mb < 0)
		pp_die(PP_EXIT_USAGE, "set: nothing to set (--players, "
			"--state or --ram)");
	cfg = pp_start();
	return pp_finish_stdout(pp_regedit_run(cfg, state_dir, registry, &e));
}
