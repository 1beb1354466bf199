/* cloudctl: drives the cloud provider interface from the tests.
 *
 *   cloudctl [-c FILE] [--now T] [--dry-run] [--state-dir DIR] COMMAND ...
 *     create NAME TYPE LOCATION [KEY=VALUE...]  (labels; default ours)
 *     list [SELECTOR]   get ID   delete ID   status ID
 *     wait ID SECONDS   types    cost TYPE LOCATION
 *     match SELECTOR [KEY=VALUE...]   (selector parser only, no cloud)
 *     healthurl NAME IP PRIVATE_IP   (cloud.health_url expanded; "-" for
 *                                     an unknown address; no cloud)
 *
 * Prints one JSON object: {"result", "error" (null or {code, http_status,
 * message, retryable}), "requests" (HTTP requests sent), "waited"
 * (seconds slept in backoff, rate-limit waits and polls), "log" (the
 * request log)}. Exit 0 when the operation worked, 1 when it failed, 2
 * when the provider could not be opened or on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

enum { OPT_STATE_DIR = PP_OPT_TOOL };

static void
usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: cloudctl [-c FILE] [--now "
		"TIME] [--dry-run] [--state-dir DIR] COMMAND [ARG...]\n");
	exit(status);
}

static void
labels_from(char **argv, int argc, struct pp_strmap *m)
{
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq)
			usage(2);
		*eq = '\0';
		pp_strmap_set(m, argv[i], eq + 1);
		*eq = '=';
	}
}

static json_object *
list_json(const struct pp_server_list *l)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(a, pp_server_json(&l->v[i]));
	return a;
}

static int
match(int argc, char **argv)
{
	struct pp_selector sel;
	struct pp_strmap m = {0};
	char err[256];
	int rc;

	if (argc < 1)
		usage(2);
	if (pp_selector_parse(argv[0], &sel, err, sizeof err) < 0) {
		printf("{\"error\": \"%s\"}\n", err);
		return 2;
	}
	labels_from(argv + 1, argc - 1, &m);
	rc = pp_selector_match(&sel, &m);
	printf("%s\n", rc ? "true" : "false");
	pp_selector_free(&sel);
	pp_strmap_clear(&m);
	return rc ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_COMMON_LONGOPTS,
		PP_DRYRUN_LONGOPT,
		{"state-dir", required_argument, 0, OPT_STATE_DIR},
		{0, 0, 0, 0},
	};
	const char *state_dir = NULL, *cmd;
	const struct pp_config *cfg;
	struct pp_cloud *cloud;
	struct pp_cloud_error err;
	json_object *out, *result = NULL;
	int c, rc = -1;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, "+" PP_COMMON_SHORTOPTS,
	    longopts, NULL)) != -1) {
		if (pp_common_opt(c, optarg, usage))
			continue;
		if (c == OPT_STATE_DIR)
			state_dir = optarg;
		else
			usage(2);
	}
	if (optind >= argc)
		usage(2);
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "match"))
		return match(argc, argv);
	cfg = pp_start();
	if (!strcmp(cmd, "healthurl") && argc == 3) {
		char *url = pp_cloud_health_url(cfg, argv[0],
			strcmp(argv[1], "-") ? argv[1] : NULL,
			strcmp(argv[2], "-") ? argv[2] : NULL);

		printf("%s\n", url ? url : "none");
		free(url);
		return 0;
	}
	cloud = pp_cloud_open(cfg, state_dir, &err);
	if (!cloud) {
		out = json_object_new_object();
		json_object_object_add(out, "error", pp_cloud_error_json(&err));
		printf("%s\n", pp_json_string(out, 0));
		json_object_put(out);
		pp_warn("%s", err.message);
		return 2;
	}
	pp_cloud_set_dry_run(cloud, pp_opt.dry_run);

	if (!strcmp(cmd, "create") && argc >= 3) {
		struct pp_strmap labels = {0};
		struct pp_server_spec spec = {0};
		struct pp_server s;

		if (argc > 3)
			labels_from(argv + 3, argc - 3, &labels);
		else
			pp_cloud_labels(cfg, "worker", &labels);
		spec.name = argv[0];
		spec.type = argv[1];
		spec.location = argv[2];
		spec.image = cfg->cloud.image;
		spec.labels = &labels;
		spec.ssh_keys = &cfg->cloud.ssh_keys;
		spec.networks = &cfg->cloud.networks;
		spec.firewalls = &cfg->cloud.firewalls;
		spec.placement_group = cfg->cloud.placement_group;
		rc = pp_cloud_create(cloud, &spec, &s, &err);
		if (s.id)
			result = pp_server_json(&s);
		pp_server_free(&s);
		pp_strmap_clear(&labels);
	} else if (!strcmp(cmd, "list") && argc <= 1) {
		struct pp_server_list l;

		rc = pp_cloud_list(cloud, argc ? argv[0] : "", &l, &err);
		if (rc == 0)
			result = list_json(&l);
		pp_server_list_free(&l);
	} else if ((!strcmp(cmd, "get") && argc == 1) ||
	    (!strcmp(cmd, "wait") && argc == 2)) {
		struct pp_server s;

		rc = !strcmp(cmd, "get") ?
			pp_cloud_get(cloud, argv[0], &s, &err) :
			pp_cloud_wait_ready(cloud, argv[0], atof(argv[1]), &s,
			&err);
		if (s.id)
			result = pp_server_json(&s);
		pp_server_free(&s);
	} else if (!strcmp(cmd, "status") && argc == 1) {
		char st[64];

		rc = pp_cloud_status(cloud, argv[0], st, sizeof st, &err);
		if (rc == 0)
			result = json_object_new_string(st);
	} else if (!strcmp(cmd, "delete") && argc == 1) {
		rc = pp_cloud_delete(cloud, argv[0], &err);
	} else if (!strcmp(cmd, "types") && argc == 0) {
		struct pp_catalog cat;

		rc = pp_cloud_server_types(cloud, &cat, &err);
		if (rc == 0)
			result = pp_catalog_json(&cat);
		pp_catalog_free(&cat);
	} else if (!strcmp(cmd, "cost") && argc == 2) {
		double eur;

		rc = pp_cloud_hourly_cost(cloud, argv[0], argv[1], &eur, &err);
		if (rc == 0)
			result = pp_jnew_double(eur, 5);
	} else {
		pp_cloud_close(cloud);
		usage(2);
	}

	out = json_object_new_object();
	json_object_object_add(out, "result", result);
	json_object_object_add(out, "error", rc == 0 ? NULL :
		pp_cloud_error_json(&err));
	json_object_object_add(out, "requests",
		json_object_new_int64(cloud->http_requests));
	json_object_object_add(out, "waited",
		pp_jnew_double(cloud->waited, 2));
	json_object_object_add(out, "log", pp_cloud_requests_json(cloud));
	printf("%s\n", pp_json_string(out, 0));
	json_object_put(out);
	if (rc < 0)
		pp_warn("%s", err.message);
	pp_cloud_close(cloud);
	return pp_finish_stdout(rc == 0 ? 0 : 1);
}
