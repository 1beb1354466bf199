/* pp-provision's deletes: a server that did not boot, and the
 * scale-down of a drained node. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/cloud.h"
#include "cloud/labels.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "store/events.h"
#include "store/registry.h"
#include "base/util.h"
#include "run/drainrun.h"
#include "run/provision.h"
#include "run/provision_int.h"

/* ---- deleting ------------------------------------------------------ */

/* The way back for server s, ours by its managed_by label but out of
 * our view by its pool label (cloud.pool unset or changed on a running
 * install): "; if it is this install's, ..." naming the hcloud command
 * that relabels it into our pool, or "" when its labels say nothing of
 * the kind (its cloud.label_key label changed: no command to guess).
 * The command alone, "hcloud server ...", also goes to cmd (cmdlen;
 * "" when none) unless cmd is NULL. */
void
pp_prov_relabel_hint(struct run *x, const struct pp_server *s, char *hint,
	size_t len, char *cmd, size_t cmdlen)
{
	const char *pool = pp_strmap_get(&s->labels, "pool");
	const char *v = pp_strmap_get(&s->labels, x->cfg->cloud.label_key);
	char relabel[200];

	*hint = '\0';
	if (cmd)
		*cmd = '\0';
	if (!v || strcmp(v, x->cfg->cloud.label_value))
		return;
	if (pool && (!x->cfg->cloud.pool || strcmp(pool, x->cfg->cloud.pool))) {
		if (x->cfg->cloud.pool)
			snprintf(relabel, sizeof relabel, "hcloud server "
				"add-label --overwrite %s pool=%s", s->id,
				x->cfg->cloud.pool);
		else
			snprintf(relabel, sizeof relabel, "hcloud server "
				"remove-label %s pool", s->id);
		snprintf(hint, len, "; if it is this install's, set "
			"cloud.pool back to '%s', or relabel it ('%s')", pool,
			relabel);
	} else if (!pool && x->cfg->cloud.pool) {
		/* a pool set on an install that ran without one */
		snprintf(relabel, sizeof relabel, "hcloud server add-label "
			"%s pool=%s", s->id, x->cfg->cloud.pool);
		snprintf(hint, len, "; if it is this install's, unset "
			"cloud.pool again, or relabel it ('%s')", relabel);
	} else {
		return;
	}
	if (cmd)
		snprintf(cmd, cmdlen, "%s", relabel);
}

/* The delete guard: before any DELETE the server's current labels must
 * say it is ours and of our pool, and its name must be the node's.
 * 0 when it may be deleted, 1 when it is gone already, 2 when it is
 * being deleted already (status "deleting": a second DELETE would be
 * refused, 423 locked, and it is going all the same), -1 with err
 * (code "not_ours" for a refusal, which is never retried; "protected"
 * when the cloud would refuse the delete: no DELETE is sent). */
int
pp_prov_guard(struct run *x, const char *id, const char *name,
	struct pp_cloud_error *err)
{
	struct pp_server s;
	char why[400], hint[400] = "";
	int ok;

	if (pp_cloud_get(x->cloud, id, &s, err) < 0)
		return strcmp(err->code, "not_found") ? -1 : 1;
	if (s.status && !strcmp(s.status, "deleting")) {
		pp_server_free(&s);
		return 2;
	}
	ok = pp_cloud_is_ours(x->cfg, &s, name, why, sizeof why);
	if (ok && s.delete_protected) {
		pp_cloud_error_set(err, "protected", 423, 0, "server %s is "
			"delete-protected in the cloud (lift it with 'hcloud "
			"server disable-protection %s delete')", id, id);
		pp_server_free(&s);
		return -1;
	}
	if (ok) {
		pp_server_free(&s);
		return 0;
	}
	/* cloud.pool unset or changed on a running install: its own
	 * servers are out of its view until relabelled */
	pp_prov_relabel_hint(x, &s, hint, sizeof hint, NULL, 0);
	/* kept as read: a scale-down tells a stranded node by it */
	if (x->have_refused)
		pp_server_free(&x->refused);
	x->refused = s;
	x->have_refused = 1;
	pp_cloud_error_set(err, "not_ours", 0, 0, "refusing to delete: %s%s",
		why, hint);
	pp_prov_loud("%s", err->message);
	return -1;
}

/* This run's list of our servers no longer holds a server deleted:
 * nothing later in the run may adopt it. */
static void
mark_gone(struct run *x, const char *id)
{
	for (size_t i = 0; i < x->ours.n; i++) {
		if (strcmp(x->ours.v[i].id, id))
			continue;
		free(x->ours.v[i].status);
		x->ours.v[i].status = pp_xstrdup("deleting");
	}
}

/* Deletes a server through the guard; a server already gone counts as
 * deleted, unless the listing looked like another project's. */
int
pp_prov_delete_server(struct run *x, const char *id, const char *name,
	struct pp_cloud_error *err)
{
	int rc = pp_prov_guard(x, id, name, err);
	struct pp_server s;
	struct pp_cloud_error gerr;

	if (rc < 0)
		return -1;
	if (rc == 0 && pp_cloud_delete(x->cloud, id, err) == 0) {
		mark_gone(x, id);
		return 0;
	}
	if ((rc == 1 || (rc == 0 && !strcmp(err->code, "not_found"))) &&
	    x->other_msg[0]) {
		/* not found in what looks like another project: not gone
		 * for all we know, and what follows a delete (its node
		 * removed) must not */
		pp_cloud_error_set(err, "other_project", 0, 0, "server %s "
			"not found: %s", id, x->other_msg);
		return -1;
	}
	if (rc == 1 || (rc == 0 && !strcmp(err->code, "not_found"))) {
		pp_warn("server %s was already gone", id);
		mark_gone(x, id);
		return 0;
	}
	/* locked: an action runs on it; when that is a delete begun
	 * since the guard looked (someone else's), it is going */
	if (rc == 0 && !strcmp(err->code, "locked") &&
	    pp_cloud_get(x->cloud, id, &s, &gerr) == 0) {
		if (s.status && !strcmp(s.status, "deleting"))
			rc = 2;
		pp_server_free(&s);
	}
	if (rc == 2) {
		/* a delete of an earlier run, or of a person, still runs:
		 * no second DELETE (the API answers 423 locked), and what
		 * follows a delete (the node removed) may follow */
		pp_note("server %s is being deleted already", id);
		memset(err, 0, sizeof *err);
		mark_gone(x, id);
		return 0;
	}
	return -1;
}

/* The delete refused because another node names the server
 * (pp_prov_reg_shared): a registry's error that no later cycle mends,
 * loud like the delete guard's refusal (exit 1). */
static void
refused_shared(struct run *x, json_object *e, const char *node,
	const char *sid, const char *type, const char *loc, const char *msg)
{
	pp_warn("refusing to delete: %s", msg);
	pp_prov_add_str(e, "status", "refused");
	pp_prov_entry_error(x, e, "duplicate_server", msg);
	pp_prov_event(x, PP_EV_SCALING_FAILED, node, sid, type, loc,
		"refused", msg);
}

/* A server that did not boot: delete it, then forget its node (in
 * that order: a node without a server is harmless, a server without a
 * node bills). The list of booting nodes is a snapshot (the document,
 * or an earlier read): the registry is looked at again under its lock,
 * so a node the platform has marked ready or placed a game server on
 * since is never deleted. Still provisioning and empty, the node is
 * marked draining by expire and that mark committed before the delete:
 * the platform can then neither mark it ready nor place on it while its
 * server goes, even if the lock is lost meanwhile (a PostgreSQL session
 * ended by a restart or a failover frees its row locks). A run that
 * fails after the mark leaves the node marked; a later run finishes the
 * delete (PP_EXPIRE_RESUMED). A boot that failed in this run is this
 * run's failure; one from an earlier run (ours is the cleanup) is
 * not. */
void
pp_prov_expire(struct run *x, const char *node, const char *server_id,
	const char *type, const char *loc, json_object *e, const char *code,
	const char *why, int ours)
{
	struct pp_registry r;
	struct pp_cloud_error err;
	char msg[768];
	int rc, mine = 0, held = 0;

	if (!x->dry_run) {
		rc = pp_prov_reg_expire_open(x, &r, node, server_id, &mine,
			msg, sizeof msg);
		if (rc == 3) {
			refused_shared(x, e, node, server_id, type, loc, msg);
			return;
		}
		if (rc > 0) {
			/* the agent joined late: the node is the platform's */
			pp_note("%s (%s)", msg, why);
			pp_prov_add_str(e, "status", rc == 1 ? "joined" :
				"kept");
			return;
		}
		if (rc < 0) {
			snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
				"; server %s is not deleted without a look at "
				"its node (%s)", server_id, why);
			pp_warn("%s", msg);
			pp_prov_entry_error(x, e, "registry", msg);
			pp_prov_add_str(e, "status", "provisioning");
			return;
		}
		if (mine == 1 && (pp_registry_mark_draining(&r, node, x->now,
		    PP_DRAIN_BY_EXPIRE) < 0 || pp_registry_commit(&r) < 0)) {
			snprintf(msg, sizeof msg, "%s; server %s is not "
				"deleted: node '%s' cannot be marked draining in "
				"registry '%s': %s", why, server_id, node,
				x->rpath, strerror(errno));
			pp_warn("%s", msg);
			pp_prov_entry_error(x, e, "registry", msg);
			pp_prov_add_str(e, "status", "provisioning");
			return;
		}
		if (mine == 2) {
			pp_registry_close(&r);
		} else if (!mine) {
			/* no node of it: the lock stays held so that no run
			 * records the server meanwhile; the deadline keeps
			 * that short */
			held = 1;
			pp_cloud_set_deadline(x->cloud, pp_monotonic() +
				DELETE_LOCK_BUDGET);
		}
	}
	pp_warn("node '%s' (server %s): %s: deleting it", node, server_id,
		why);
	rc = pp_prov_delete_server(x, server_id, node, &err);
	if (held) {
		pp_cloud_set_deadline(x->cloud, 0);
		pp_registry_close(&r);
	}
	if (rc < 0) {
		snprintf(msg, sizeof msg, "%s; deleting the server failed: "
			"%s%s", why, err.message, mine ? "; the node stays "
			"draining (expire) and a later run deletes it" : "");
		pp_warn("node '%s': %s", node, msg);
		pp_prov_entry_error(x, e, err.code, msg);
		pp_prov_add_str(e, "status", mine ? "draining" :
			"provisioning");
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, server_id, type,
			loc, "failed", msg);
		return;
	}
	pp_prov_entry_error(x, e, code, why);
	if (!(ours & PP_EXPIRE_RESUMED))
		x->boots_failed++;
	if (!(ours & PP_EXPIRE_OURS))
		x->errors--;
	if (x->dry_run) {
		pp_prov_add_str(e, "status", "dry_run");
		return;
	}
	if (mine && pp_prov_reg_remove(x, node, server_id, msg,
	    sizeof msg) != 0) {
		pp_warn("server %s deleted, but node '%s' cannot be removed "
			"from registry '%s': %s; a later run removes it",
			server_id, node, x->rpath, msg);
		x->errors++;
	}
	pp_prov_add_str(e, "status", "deleted");
	if (!(ours & PP_EXPIRE_RESUMED))
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, server_id, type,
			loc, "failed", why);
	pp_prov_event(x, PP_EV_NODE_REMOVED, node, server_id, type, loc,
		"success", why);
}

/* ---- scale-down -------------------------------------------------------- */

/* A delete refused for a reason the next cycle acts on (delete
 * protection, a server relabelled out of our pool): the entry refused,
 * no error of the run; msg gets what is said. */
static void
refused_kept(struct run *x, json_object *e, const char *node,
	const struct pp_cloud_error *err, char *msg, size_t len)
{
	snprintf(msg, len, "node '%s' is not removed: %s; the next cycle "
		"returns it to service", node, err->message);
	pp_prov_add_str(e, "status", "refused");
	json_object_object_add(e, "error", pp_cloud_error_json(err));
	pp_prov_set_reason(x, "refused", "%s", msg);
}

/* The drain the document reports is not the one the registry has:
 * the node has been returned to service and drained again since (a
 * document replayed after a later cycle began another drain, whose own
 * pp-drain says when that one is done). since: the document's
 * drain.draining_since, 0 when it has none. 1 with msg when they
 * differ. */
static int
other_drain(const struct pp_node *n, time_t since, char *msg, size_t len)
{
	char a[PP_TIME_LEN], b[PP_TIME_LEN];

	if (since == n->draining_since)
		return 0;
	if (since)
		pp_format_time(since, a, sizeof a);
	if (n->draining_since)
		pp_format_time(n->draining_since, b, sizeof b);
	snprintf(msg, len, "node '%s' has been draining %s%s, but the "
		"document's drain %s%s: the document is of another drain than "
		"the one under way", n->id, n->draining_since ? "since " : "",
		n->draining_since ? b : "with no start recorded",
		since ? "began " : "", since ? a : "records no start");
	return 1;
}

/* A game server on its way onto the node, which its delete would take
 * with it: a pp-drain holds the node's target lock (a move onto it
 * under way), or the state keeps a move onto it that the registry does
 * not show yet (pp-drain's own checks before it calls a node empty).
 * When none, tl holds the target lock shared until the caller lets it
 * go: no move onto the node starts meanwhile. 1 with msg when the
 * delete waits. */
static int
inbound(struct run *x, struct pp_registry *r, const char *node,
	struct pp_lock *tl, char *msg, size_t len)
{
	char *sdir = pp_state_dir(x->cfg, x->o->state_dir);
	char server[256], err[640];
	int intent = 0, rc;

	rc = pp_drain_moving_onto(sdir, node, tl);
	free(sdir);
	if (rc) {
		snprintf(msg, len, "a pp-drain is moving a game server onto "
			"node '%s'", node);
		return 1;
	}
	rc = pp_drain_unrecorded_on(x->spath, r, node, server, sizeof server,
		&intent, err, sizeof err);
	if (rc < 0)
		snprintf(msg, len, "the moves of game servers onto node '%s' "
			"cannot be read: %s", node, err);
	else if (rc && intent)
		snprintf(msg, len, "a pp-drain was moving game server '%s' "
			"onto or off node '%s' and nothing says yet where it "
			"is", server, node);
	else if (rc)
		snprintf(msg, len, "game server '%s' was moved onto or off "
			"node '%s' and the registry does not record it yet",
			server, node);
	if (rc)
		pp_unlock(tl);
	return rc != 0;
}

void
pp_prov_scale_down(struct run *x, json_object *dec)
{
	const char *node = pp_jstr(dec, "node", NULL);
	json_object *drain = pp_jget(x->doc, "drain");
	struct pp_registry r;
	struct pp_cloud_error err;
	struct pp_lock tl = {-1};
	struct pp_node *n;
	json_object *e;
	const char *since_s;
	char msg[768];
	char *sid, *type, *loc;
	time_t since = 0;
	int rc, by_down, shared = 0;

	if (!node || !*node)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision "
			"'scale_down' names no node");
	if (!drain || strcmp(pp_jstr(drain, "node", ""), node) ||
	    !pp_jbool(drain, "empty", 0)) {
		pp_prov_set_reason(x, "skipped", "node '%s' is not drained yet "
			"(drain: %s)", node, drain ? pp_jstr(drain, "status",
			"?") : "no drain section");
		x->touched = 1;
		return;
	}
	since_s = pp_jstr(drain, "draining_since", NULL);
	if (since_s && pp_parse_time(since_s, &since) < 0)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: drain."
			"draining_since '%s' is not a time", since_s);
	x->acted = 1;
	rc = pp_prov_reg_open(x, &r, x->dry_run ? 0 :
		PP_LOCK_EX | PP_REG_LAZY, msg, sizeof msg);
	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", msg);
	n = pp_registry_find(&r, node);
	if (!n) {
		pp_warn("node '%s' is not in the registry: nothing to delete",
			node);
		pp_prov_set_reason(x, "done", "node '%s' was already removed",
			node);
		x->touched = 1;
		pp_registry_close(&r);
		return;
	}
	e = pp_prov_entry(x, "delete", node, n->server_id, n->server_name,
		n->server_type, n->location, pp_role_name(n->role));
	if (n->kind != PP_KIND_CLOUD || !n->server_id || !*n->server_id)
		snprintf(msg, sizeof msg, "node '%s' is not a cloud node "
			"with a server id", node);
	else if (n->provider && strcmp(n->provider, x->cloud->ops->name))
		snprintf(msg, sizeof msg, "node '%s' belongs to provider "
			"'%s', not '%s'", node, n->provider,
			x->cloud->ops->name);
	/* before the node's own state: whatever that is, the server is
	 * another node's too */
	else if (pp_prov_reg_shared(x, &r, node, n->provider, n->server_id,
	    msg, sizeof msg))
		shared = 1;
	else if (n->status != PP_ST_DRAINING)
		snprintf(msg, sizeof msg, "node '%s' is %s, not draining",
			node, pp_status_name(n->status));
	else if (n->draining_by && !strcmp(n->draining_by, "maintenance"))
		snprintf(msg, sizeof msg, "node '%s' is drained by hand for "
			"maintenance, not by a scale-down", node);
	else if (n->draining_by && !strcmp(n->draining_by,
	    PP_DRAIN_BY_EXPIRE))
		snprintf(msg, sizeof msg, "node '%s' is being deleted because "
			"its server did not boot or join, not by a scale-down",
			node);
	else if (n->ncontainers)
		snprintf(msg, sizeof msg, "node '%s' still has %zu game "
			"server(s) recorded on it (%zu stopped)", node,
			n->ncontainers, n->stopped);
	else if (!other_drain(n, since, msg, sizeof msg) &&
	    !inbound(x, &r, node, &tl, msg, sizeof msg))
		msg[0] = '\0';
	if (shared) {
		refused_shared(x, e, node, n->server_id, n->server_type,
			n->location, msg);
		pp_prov_set_reason(x, "refused", "%s", msg);
		pp_registry_close(&r);
		return;
	}
	if (msg[0]) {
		pp_warn("refusing to delete: %s", msg);
		pp_prov_add_str(e, "status", "refused");
		pp_prov_set_reason(x, "refused", "%s", msg);
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, n->server_id,
			n->server_type, n->location, "refused", msg);
		pp_registry_close(&r);
		return;
	}
	sid = pp_xstrdup(n->server_id);
	type = n->server_type ? pp_xstrdup(n->server_type) : NULL;
	loc = n->location ? pp_xstrdup(n->location) : NULL;
	by_down = n->draining_by && !strcmp(n->draining_by, "scale_down");
	/* the lock stays held: nothing may land on the node between the
	 * check and the delete; the deadline keeps that short */
	pp_cloud_set_deadline(x->cloud, pp_monotonic() + DELETE_LOCK_BUDGET);
	rc = pp_prov_delete_server(x, sid, n->server_name ? n->server_name :
		node, &err);
	pp_cloud_set_deadline(x->cloud, 0);
	if (rc < 0 && !strcmp(err.code, "not_found")) {
		pp_warn("server %s of node '%s' was already gone; removing "
			"the node", sid, node);
		rc = 0;
	}
	if (rc < 0 && !strcmp(err.code, "protected")) {
		/* lifted only by hand: recorded on the node, whose drain the
		 * next cycle stops (the engine never removes such a node) */
		refused_kept(x, e, node, &err, msg, sizeof msg);
		pp_prov_loud("%s", msg);
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, sid, type, loc,
			"refused", msg);
		if (!x->dry_run && !n->delete_protected &&
		    (pp_registry_set_protected(&r, node, 1) < 0 ||
		    pp_registry_save(&r) < 0))
			pp_warn("cannot record delete protection on node '%s' "
				"in registry '%s'", node, x->rpath);
	} else if (rc < 0 && !strcmp(err.code, "not_ours") && by_down &&
	    x->have_refused && !strcmp(x->refused.id, sid) &&
	    pp_prov_strand(x, node, &x->refused)) {
		/* its server relabelled out of our pool (cloud.pool changed)
		 * since the drain began: stranded, recorded and said once,
		 * like the protected branch no error of the run; the next
		 * cycle's document marks the node, and pp-decide returns it
		 * to service instead of draining it again every cycle */
		refused_kept(x, e, node, &err, msg, sizeof msg);
		pp_note("%s", msg);
	} else if (rc < 0 && !strcmp(err.code, "not_ours")) {
		/* a stale or mistyped server id: never delete what is not
		 * ours, and say so loudly (exit 1) */
		pp_prov_add_str(e, "status", "refused");
		pp_prov_entry_error(x, e, err.code, err.message);
		pp_prov_set_reason(x, "refused", "node '%s': %s", node,
			err.message);
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, sid, type, loc,
			"refused", err.message);
	} else if (rc < 0) {
		pp_prov_add_str(e, "status", "failed");
		pp_prov_entry_error(x, e, err.code, err.message);
		pp_prov_set_reason(x, "failed", "cannot delete server %s of "
			"node '%s': %s", sid, node, err.message);
		pp_prov_event(x, PP_EV_SCALING_FAILED, node, sid, type, loc,
			"failed", err.message);
	} else if (x->dry_run) {
		pp_prov_add_str(e, "status", "dry_run");
		pp_prov_set_reason(x, "dry_run", "would delete server %s and "
			"remove node '%s'", sid, node);
	} else {
		pp_registry_remove(&r, node);
		if (pp_registry_save(&r) < 0) {
			snprintf(msg, sizeof msg, "server %s deleted, but node "
				"'%s' cannot be removed from registry '%s': %s",
				sid, node, x->rpath, strerror(errno));
			pp_warn("%s", msg);
			pp_prov_add_str(e, "status", "deleted");
			pp_prov_entry_error(x, e, "registry", msg);
			pp_prov_set_reason(x, "failed", "%s", msg);
		} else {
			pp_prov_add_str(e, "status", "removed");
			pp_prov_set_reason(x, "done", "deleted server %s, "
				"removed node '%s'", sid, node);
			pp_note("deleted server %s, removed node '%s'", sid,
				node);
			pp_prov_event(x, PP_EV_NODE_REMOVED, node, sid, type,
				loc, "success", x->why);
		}
	}
	pp_registry_close(&r);
	pp_unlock(&tl);
	free(sid);
	free(type);
	free(loc);
}
