/* pp-registry's body: the platform's side of the registry protocol
 * (ppscale-registry(5)) done once, correctly: every edit is a
 * read-modify-write under the exclusive lock, checked against what the
 * registry holds at that moment (a node ppscale has marked draining
 * takes no new game server), landed by rename. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "base/util.h"
#include "conf/config.h"
#include "doc/doc.h"
#include "store/regcheck.h"
#include "store/registry.h"
#include "run/cli.h"
#include "run/regedit.h"

/* A refusal is an error, shown even with -q (pp_warn is not). */
static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(-1, fmt, ap);
	va_end(ap);
}

static const char *cstates[] = {"starting", "running", "stopping",
	"stopped"};

/* enum pp_cstate of s, or -1 */
static int
cstate_of(const char *s)
{
	for (size_t i = 0; s && i < sizeof cstates / sizeof *cstates; i++)
		if (!strcmp(s, cstates[i]))
			return (int)i;
	return -1;
}

static int
cstate_ok(const char *s)
{
	return cstate_of(s) >= 0;
}

static struct pp_container *
find_server(struct pp_node *n, const char *id)
{
	for (size_t i = 0; i < n->ncontainers; i++)
		if (!strcmp(n->containers[i].id, id))
			return &n->containers[i];
	return NULL;
}

static int
show(const char *rpath, const struct pp_regedit *e)
{
	struct pp_registry r;
	struct pp_node *n;
	char err[768];
	int rc = pp_registry_open(&r, rpath, 0, err, sizeof err);

	if (rc < 0) {
		fail("%s", err);
		pp_registry_close(&r);
		return rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
	}
	n = e->node ? pp_registry_find(&r, e->node) : NULL;
	if (e->node && !n) {
		fail("no node '%s' in registry '%s'", e->node, r.path);
		pp_registry_close(&r);
		return PP_EXIT_FAIL;
	}
	if (n) {
		rc = pp_doc_write(pp_registry_node_object(n), pp_pretty()) < 0 ?
			PP_EXIT_FAIL : PP_EXIT_OK;
	} else {
		/* the whole file as the registry reads it */
		size_t len;
		char *text = pp_registry_render(&r, &len);
		json_object *root = text ? pp_json_parse(text, len, err,
			sizeof err) : NULL;

		free(text);
		if (!root) {
			fail("cannot show registry '%s': %s", r.path, err);
			pp_registry_close(&r);
			return PP_EXIT_FAIL;
		}
		rc = pp_doc_write(root, pp_pretty()) < 0 ?
			PP_EXIT_FAIL : PP_EXIT_OK;
		json_object_put(root);
	}
	pp_registry_close(&r);
	return rc;
}

/* Adds every node of the registry file to r: all or none, and none
 * whose id r has already. 0 or an exit status with the reason in msg. */
static int
import(struct pp_registry *r, const char *file, char *msg, size_t len)
{
	struct pp_registry src;
	struct stat a, b;
	char err[400];
	int rc;

	/* reading it would wait for the lock this edit holds */
	if (r->path && stat(r->path, &a) == 0 && stat(file, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		snprintf(msg, len, "'%s' is the registry itself: nothing to "
			"import", file);
		return PP_EXIT_USAGE;
	}
	rc = pp_registry_open(&src, file, 0, err, sizeof err);
	if (rc < 0) {
		snprintf(msg, len, "%s", err);
		pp_registry_close(&src);
		return rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
	}
	for (size_t i = 0; i < src.nnodes && !rc; i++)
		if (pp_registry_find(r, src.nodes[i].id)) {
			snprintf(msg, len, "node '%s' of '%s' is in the "
				"registry already", src.nodes[i].id, file);
			rc = PP_EXIT_FAIL;
		}
	for (size_t i = 0; i < src.nnodes && !rc; i++) {
		struct pp_node *n = pp_registry_find(&src, src.nodes[i].id);
		json_object *o = n ? pp_registry_node_object(n) : NULL;
		const char *t = o ? json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN) : NULL;
		json_object *copy = t ? pp_json_parse(t, strlen(t), err,
			sizeof err) : NULL;

		if (!copy) {
			snprintf(msg, len, "cannot copy node '%s' of '%s'",
				src.nodes[i].id, file);
			rc = PP_EXIT_FAIL;
			break;
		}
		if (pp_registry_add(r, copy) != 0) {
			snprintf(msg, len, "node '%s' of '%s' (or its server) "
				"is in the registry already", src.nodes[i].id,
				file);
			rc = PP_EXIT_FAIL;
		}
	}
	pp_registry_close(&src);
	return rc;
}

/* The edit itself, on the open registry; 0 or an exit status with the
 * reason in msg. */
static int
edit(struct pp_registry *r, const struct pp_regedit *e, char *msg,
	size_t len)
{
	struct pp_node *n;
	struct pp_container *c;
	int st;

	/* import names no node: looking one up compared with NULL */
	if (e->op == PP_RE_IMPORT)
		return import(r, e->file, msg, len);
	n = pp_registry_find(r, e->node);
	if (!n) {
		snprintf(msg, len, "no node '%s' in the registry", e->node);
		return PP_EXIT_FAIL;
	}
	switch (e->op) {
	case PP_RE_STATUS:
		st = pp_status_parse(e->status);
		/* draining is ppscale's: returning such a node to ready
		 * would undo a drain in progress (pp-drain --uncordon) */
		if (n->status == PP_ST_DRAINING && st != PP_ST_DRAINING &&
		    n->draining_by && !strcmp(n->draining_by,
		    PP_DRAIN_BY_EXPIRE)) {
			snprintf(msg, len, "node '%s' is draining: "
				"pp-provision is deleting its server, which did "
				"not boot or join in time", n->id);
			return PP_EXIT_FAIL;
		}
		if (n->status == PP_ST_DRAINING && st != PP_ST_DRAINING) {
			snprintf(msg, len, "node '%s' is draining: ppscale "
				"owns it until it is removed or returned "
				"(pp-drain --node %s --uncordon)", n->id, n->id);
			return PP_EXIT_FAIL;
		}
		pp_registry_set_status(r, e->node, st);
		return 0;
	case PP_RE_PLACE:
		for (size_t i = 0; i < r->nnodes; i++) {
			if (find_server(&r->nodes[i], e->server)) {
				snprintf(msg, len, "game server '%s' is "
					"already on node '%s'", e->server,
					r->nodes[i].id);
				return PP_EXIT_FAIL;
			}
		}
		if (n->status != PP_ST_READY) {
			snprintf(msg, len, "node '%s' is %s: it takes no new "
				"game servers", n->id,
				pp_status_name(n->status));
			return PP_EXIT_FAIL;
		}
		if (strcmp(e->state ? e->state : "running", "stopped") &&
		    n->allocated_ram_mb + e->ram_mb > n->usable_ram_mb) {
			snprintf(msg, len, "game server '%s' (%lld MB) does "
				"not fit on node '%s' (%lld of %lld MB free)",
				e->server, e->ram_mb, n->id,
				n->usable_ram_mb - n->allocated_ram_mb,
				n->usable_ram_mb);
			return PP_EXIT_FAIL;
		}
		pp_registry_place(r, e->node, e->server, e->ram_mb,
			e->state ? cstate_of(e->state) : PP_CS_RUNNING,
			e->players);
		return 0;
	case PP_RE_REMOVE:
	case PP_RE_SET:
		c = find_server(n, e->server);
		if (!c) {
			snprintf(msg, len, "no game server '%s' on node '%s'",
				e->server, n->id);
			return PP_EXIT_FAIL;
		}
		if (e->op == PP_RE_REMOVE)
			pp_registry_unplace(r, e->node, e->server);
		else
			pp_registry_set_container(r, e->node, e->server,
				e->ram_mb, cstate_of(e->state), e->players);
		return 0;
	}
	snprintf(msg, len, "unknown edit");
	return PP_EXIT_USAGE;
}

static int
check_args(const struct pp_regedit *e)
{
	if (e->node && pp_regcheck_id(e->node) < 0)
		pp_die(PP_EXIT_USAGE, "bad node id '%s': letters, digits, "
			"'.', '_', '-', not starting with '-'", e->node);
	if (e->server && pp_regcheck_id(e->server) < 0)
		pp_die(PP_EXIT_USAGE, "bad game server id '%s': letters, "
			"digits, '.', '_', '-', not starting with '-'",
			e->server);
	if (e->state && !cstate_ok(e->state))
		pp_die(PP_EXIT_USAGE, "bad --state '%s': expected starting, "
			"running, stopping or stopped", e->state);
	if (e->op == PP_RE_STATUS) {
		int st = pp_status_parse(e->status);

		if (st < 0)
			pp_die(PP_EXIT_USAGE, "bad status '%s': expected "
				"ready or unhealthy", e->status);
		if (st != PP_ST_READY && st != PP_ST_UNHEALTHY)
			pp_die(PP_EXIT_USAGE, "status '%s' is ppscale's to "
				"set, not the platform's (the platform sets "
				"ready or unhealthy)", e->status);
	}
	return 0;
}

int
pp_regedit_run(const struct pp_config *cfg, const char *state_dir,
	const char *registry, const struct pp_regedit *e)
{
	struct pp_registry r;
	char err[768], msg[768], *rpath;
	int rc;

	check_args(e);
	rpath = pp_registry_path(cfg, state_dir, registry);
	if (e->op == PP_RE_SHOW) {
		rc = show(rpath, e);
		free(rpath);
		return rc;
	}
	rc = pp_registry_open(&r, rpath, PP_LOCK_EX, err, sizeof err);
	if (rc < 0) {
		fail("%s", err);
		pp_registry_close(&r);
		free(rpath);
		return rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
	}
	rc = edit(&r, e, msg, sizeof msg);
	if (rc) {
		fail("%s: %s", rpath, msg);
	} else if (pp_registry_save(&r) < 0) {
		fail("cannot write registry '%s':", rpath);
		rc = PP_EXIT_FAIL;
	} else {
		pp_debug("%s: done", rpath);
	}
	pp_registry_close(&r);
	free(rpath);
	return rc;
}
