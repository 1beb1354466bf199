/* regtool: registry operations for the tests.
 *   regtool touch FILE NODE STATUS   set a node's status (locked write)
 *   regtool flip FILE N              rewrite the registry N times,
 *                                    toggling a field, as fast as it can;
 *                                    SIGTERM ends it after the rewrite
 *                                    in progress (a kill in the middle
 *                                    reads as a leak under valgrind)
 *   regtool splice FILE NODE NEW     remove NODE and add a provisioning
 *                                    node NEW, in one write
 *   regtool twice FILE NODE CMD      print NODE's total_ram_mb, run the
 *                                    shell command CMD, print it again
 *                                    (one process: the second open may
 *                                    use what the first one read)
 *   regtool lazy FILE NODE STATUS    as touch, opened PP_REG_LAZY; prints
 *                                    "lazy" or "whole" (how it was read)
 *                                    and the nodes indexed
 *   regtool named FILE NODE          opened PP_REG_LAZY, the other node
 *                                    naming NODE's server (the configured
 *                                    provider "local"): prints "lazy" or
 *                                    "whole", the nodes indexed and that
 *                                    node's id, "-" for none or
 *                                    "unreadable"
 *   regtool shown PATH               print PATH as the registry's
 *                                    messages name it (and pp-drain's) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct pp_registry r;
	char err[512];

	pp_setprogname(argv[0]);
	if (argc == 3 && !strcmp(argv[1], "shown")) {
		char *shown = pp_registry_shown(argv[2]);

		printf("%s\n", shown);
		free(shown);
		return 0;
	}
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
	if (argc == 5 && !strcmp(argv[1], "lazy")) {
		size_t indexed = 0;
		int lazy;

		if (pp_registry_open(&r, argv[2], PP_LOCK_EX | PP_REG_LAZY,
		    err, sizeof err) < 0)
			pp_die(2, "%s", err);
		lazy = r.lazy;
		if (pp_status_parse(argv[4]) < 0 || pp_registry_set_status(&r,
		    argv[3], pp_status_parse(argv[4])) < 0)
			pp_die(2, "no node '%s' or bad status", argv[3]);
		for (size_t i = 0; i < r.nnodes; i++)
			indexed += !r.nodes[i].lazy;
		printf("%s %zu\n", lazy ? "lazy" : "whole", indexed);
		if (pp_registry_save(&r) < 0)
			pp_die(1, "cannot save:");
		pp_registry_close(&r);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "named")) {
		const struct pp_node *o;
		struct pp_node *n;
		size_t indexed = 0;
		int lazy, rc;

		if (pp_registry_open(&r, argv[2], PP_LOCK_EX | PP_REG_LAZY,
		    err, sizeof err) < 0)
			pp_die(2, "%s", err);
		lazy = r.lazy;
		n = pp_registry_find(&r, argv[3]);
		if (!n)
			pp_die(2, "no node '%s'", argv[3]);
		rc = pp_registry_server_named(&r, n->provider, n->server_id,
			"local", n->id, &o);
		for (size_t i = 0; i < r.nnodes; i++)
			indexed += !r.nodes[i].lazy;
		printf("%s %zu %s\n", lazy ? "lazy" : "whole", indexed,
			rc < 0 ? "unreadable" : rc ? o->id : "-");
		pp_registry_close(&r);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "flip")) {
		long n = atol(argv[3]);
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		for (long i = 0; i < n && !stop; i++) {
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
	if (argc == 5 && !strcmp(argv[1], "splice")) {
		json_object *o = json_object_new_object();

		if (pp_registry_open(&r, argv[2], PP_LOCK_EX, err,
		    sizeof err) < 0)
			pp_die(2, "%s", err);
		if (pp_registry_remove(&r, argv[3]) < 0)
			pp_die(2, "no node '%s'", argv[3]);
		json_object_object_add(o, "id", json_object_new_string(argv[4]));
		json_object_object_add(o, "kind", json_object_new_string("cloud"));
		json_object_object_add(o, "status",
			json_object_new_string("provisioning"));
		json_object_object_add(o, "total_ram_mb",
			json_object_new_int(8192));
		json_object_array_add(pp_registry_nodes(&r), o);
		if (pp_registry_save(&r) < 0)
			pp_die(1, "cannot save:");
		pp_registry_close(&r);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "twice")) {
		for (int i = 0; i < 2; i++) {
			struct pp_node *n;

			if (i && system(argv[4]) != 0)
				pp_die(1, "command failed");
			if (pp_registry_open(&r, argv[2], 0, err,
			    sizeof err) < 0)
				pp_die(2, "%s", err);
			n = pp_registry_find(&r, argv[3]);
			if (!n)
				pp_die(2, "no node '%s'", argv[3]);
			printf("%lld\n", n->total_ram_mb);
			pp_registry_close(&r);
		}
		return 0;
	}
	fprintf(stderr, "usage: regtool touch FILE NODE STATUS | "
		"flip FILE N | splice FILE NODE NEW | twice FILE NODE CMD | "
		"lazy FILE NODE STATUS | named FILE NODE | shown PATH\n");
	return 2;
}
