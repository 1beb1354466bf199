/* pp-cloudinit: renders the user data pp-provision would send.
 *
 * Reads the config's cloud_init section, its template and the join token
 * (file or command). Writes the user data to stdout with the join token
 * replaced by "<redacted>" (the token command is then not run), or, with
 * --output, the exact user data to a file of mode 0600. Reads nothing on
 * stdin and changes nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

enum { OPT_NODE = PP_OPT_TOOL, OPT_HOSTNAME };

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-cloudinit [-qv] [-c FILE] [--now TIME] --node ID "
		"[--hostname NAME]\n"
		"                    [-o FILE]\n\n"
		"Renders the cloud-init user data for a new node. stdout "
		"gets it with the join\n"
		"token redacted; --output writes the exact user data.\n\n"
		"      --node ID       the node id (required)\n"
		"      --hostname NAME host name or FQDN (default: the node "
		"id)\n"
		"  -o, --output FILE   write the exact user data, join token "
		"included, to\n"
		"                      FILE (mode 0600) instead of the "
		"redacted copy to stdout\n"
		PP_TEXT_HELP);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_TEXT_LONGOPTS,
		{"node", required_argument, 0, OPT_NODE},
		{"hostname", required_argument, 0, OPT_HOSTNAME},
		{"output", required_argument, 0, 'o'},
		{0, 0, 0, 0},
	};
	const char *node = NULL, *hostname = NULL, *output = NULL;
	const struct pp_config *cfg;
	char err[1024] = "";
	char *data;
	size_t len = 0;
	int c, status;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_TEXT_SHORTOPTS "o:",
	    longopts, NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_NODE:
			node = optarg;
			break;
		case OPT_HOSTNAME:
			hostname = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			pp_bad_option(usage, argv, longopts);
		}
	}
	pp_no_operands(argc, argv, usage);
	if (!node) {
		pp_warn("--node is required");
		pp_usage_error(usage);
	}
	if (output && !*output)
		pp_die(PP_EXIT_USAGE, "--output needs a file name");
	cfg = pp_start();
	data = pp_cloudinit_render(cfg, node, hostname, output == NULL, &len,
		&status, err, sizeof err);
	if (!data)
		pp_die(status, "%s", err);
	pp_debug("user data for node '%s': %zu of %d bytes", node, len,
		PP_CLOUDINIT_MAX);
	status = PP_EXIT_OK;
	if (output) {
		if (pp_write_atomic(output, data, len, 0600) < 0) {
			pp_warn("cannot write '%s':", output);
			status = PP_EXIT_FAIL;
		}
	} else if (fwrite(data, 1, len, stdout) != len) {
		status = PP_EXIT_FAIL;
	}
	pp_cloudinit_free(data);
	return pp_finish_stdout(status);
}
