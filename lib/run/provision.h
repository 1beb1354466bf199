/* provision.c: pp-provision's work: create, adopt, wait for, register
 * and delete cloud servers (the run here; its steps in provision_*.c) */
#ifndef PP_PROVISION_H
#define PP_PROVISION_H

#include <json-c/json.h>

struct pp_config;

struct pp_provision_opts {
	const char *registry;   /* --registry, else config, else state dir */
	const char *state_dir;  /* --state-dir */
	int dry_run;            /* record the requests, send none */
	int delete_orphans;     /* --delete-orphans: past cloud.orphan_delete_max */
	/* --delete-orphan ID (each): that server alone, as --delete-orphans
	 * would, whatever holds it and whatever the decision; one not
	 * deleted is an error of the run */
	const char **delete_ids;
	size_t ndelete_ids;
};

/* Acts on the document's decision and adds the "provision" section
 * (see pp-provision(1)) whenever it did or would do anything:
 *
 *   every run: registry nodes still "provisioning" are promoted to
 *     "ready" once their server runs, forgotten when their server is
 *     gone, and deleted and forgotten once older than
 *     cloud.boot_timeout;
 *   scale_up, provision_spare: adopts our unregistered servers
 *     (orphans), then creates the rest of decision.count, registers
 *     each right after its create, waits until running and marks it
 *     ready;
 *   scale_down: when doc.drain says decision.node is empty and the
 *     registry, re-read under its lock, agrees, deletes the server and
 *     removes the node;
 *   uncordon, none: nothing more.
 *
 * Returns the exit status (0 done, 1 a failure while acting, partial
 * success included). Dies with 2 on bad input. */
int pp_provision_run(const struct pp_config *cfg,
	const struct pp_provision_opts *o, json_object *doc);

#endif
