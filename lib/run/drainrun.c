/* pp-drain's work. The registry is the truth and other writers (the
 * platform, other pp-drains, pp-provision) change it at any time, so
 * its lock is held only for a read-check-write, never while a hook
 * runs, and every move is checked against a fresh read just before it
 * starts; the moves carried out are recorded under the lock together,
 * in one rewrite per node (drainmove.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/reconcile.h"
#include "conf/config.h"
#include "base/json.h"
#include "doc/cloudram.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "engine/placement.h"
#include "run/cli.h"
#include "run/drainrun.h"
#include "store/events.h"
#include "base/hook.h"
#include "store/registry.h"
#include "base/util.h"
#include "run/drain_int.h"

const char *const pp_dr_mode_names[] = {"scale_down", "maintenance",
	"uncordon"};

/* --now is where the clock starts; it runs on from there, so that a
 * --wait with --now still sees grace times pass. */
time_t
pp_dr_run_now(const struct run *x)
{
	return x->t0 + (time_t)(pp_monotonic() - x->m0);
}

void
pp_dr_set_status(struct run *x, const char *status, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof x->reason, fmt, ap);
	va_end(ap);
}

json_object *
pp_dr_fields(const char *node)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "node", json_object_new_string(node));
	return f;
}

void
pp_dr_add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

void
pp_dr_event(struct run *x, const char *type, json_object *f)
{
	if (x->dry_run) {
		json_object_put(f);
		return;
	}
	pp_event(type, f);
}

/* A file name for a per-node lock: the id with anything outside
 * [A-Za-z0-9._-] replaced, so an id cannot point outside the dir. */
char *
pp_dr_lock_path(const char *dir, const char *prefix, const char *id)
{
	char *p = pp_xasprintf("%s/%s%s", dir, prefix, id);
	char *s = p + strlen(dir) + 1 + strlen(prefix);

	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			*s = '_';
	return p;
}

void
pp_dr_open_registry(struct run *x, struct pp_registry *r, int mode)
{
	char err[768];
	int rc = pp_registry_open(r, x->rpath, mode, err, sizeof err);

	if (rc < 0 && x->ndone)
		pp_dr_flush_moves(x);   /* what was moved is recorded first */
	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", err);
}

/* Like open_registry, but for recording a move that has happened:
 * failing is reported, not fatal, so the document still says what
 * was done. */
int
pp_dr_try_open_registry(struct run *x, struct pp_registry *r, int mode, char *err,
	size_t errlen)
{
	if (pp_registry_open(r, x->rpath, mode, err, errlen) < 0) {
		/* a failed open may hold its path */
		pp_registry_close(r);
		return -1;
	}
	return 0;
}

struct pp_container *
pp_dr_find_container(struct pp_node *n, const char *id)
{
	for (size_t i = 0; n && i < n->ncontainers; i++)
		if (!strcmp(n->containers[i].id, id))
			return &n->containers[i];
	return NULL;
}

const struct pp_catalog *
pp_dr_catalog(struct run *x)
{
	json_object *st = x->doc ? pp_jget(x->doc, "server_types") : NULL;
	char msg[256];

	if (x->have_cat)
		return &x->cat;
	x->have_cat = 1;
	/* those pp-fleetstats capped the document's nodes with, for
	 * pp-decide */
	if (st && pp_catalog_from_json(st, &x->cat, msg, sizeof msg) == 0)
		return &x->cat;
	if (st)
		pp_catalog_free(&x->cat);
	/* --node, or a document without them: pp-fleetstats' cache or the
	 * config, never the API (a type's memory is the same in each) */
	pp_catalog_local(x->cfg, x->o->state_dir, &x->cat);
	return &x->cat;
}

void
pp_dr_cap_ram(struct run *x, struct pp_node *n)
{
	if (n)
		pp_node_cap_ram(n, pp_dr_catalog(x), 0);
}

/* Marks the node draining (no new placements) and records since when
 * and why, in the registry where the platform and pp-decide see it.
 * The registry is open with PP_LOCK_EX; r is re-indexed on return. */
static void
cordon(struct run *x, struct pp_registry *r, const char *id, time_t now)
{
	struct pp_node *n = pp_registry_find(r, id);
	int was = n->status;
	size_t nc = n->ncontainers;

	x->recorded = 1;
	if (was == PP_ST_DRAINING && n->draining_since) {
		x->since = n->draining_since;
		return;
	}
	if (pp_registry_mark_draining(r, id, now, was != PP_ST_DRAINING ?
	    pp_dr_mode_names[x->mode] : NULL) < 0 || pp_registry_save(r) < 0)
		pp_die(PP_EXIT_FAIL, "cannot mark node '%s' draining in "
			"registry '%s':", id, x->rshow);
	x->since = now;
	if (was != PP_ST_DRAINING) {
		json_object *f = pp_dr_fields(id);

		x->changed = 1;
		pp_note("node '%s' is now draining (%s)", id,
			pp_dr_mode_names[x->mode]);
		pp_dr_add_str(f, "by", pp_dr_mode_names[x->mode]);
		pp_dr_add_str(f, "reason", x->why);
		json_object_object_add(f, "containers",
			json_object_new_int64((long long)nc));
		pp_dr_event(x, "node.draining", f);
	}
}

/* Sets the node back to ready in r (open with PP_LOCK_EX) and says so
 * in a node.uncordoned event whose reason is why. */
static void
set_ready(struct run *x, struct pp_registry *r, const char *why)
{
	json_object *f = pp_dr_fields(x->node);

	if (pp_registry_uncordon(r, x->node) < 0 || pp_registry_save(r) < 0)
		pp_die(PP_EXIT_FAIL, "cannot set node '%s' back to ready in "
			"registry '%s':", x->node, x->rshow);
	x->changed = 1;
	pp_dr_add_str(f, "reason", why);
	json_object_object_add(f, "containers",
		json_object_new_int64(x->remaining));
	pp_dr_event(x, "node.uncordoned", f);
}

/* Returns a node a scale-down drained to service (the registry open
 * with PP_LOCK_EX, or read only in a dry run), saying so in the
 * reason: one whose game servers no longer fit elsewhere, or (stranded)
 * one pp-provision cannot delete, refused (the reason says why), so
 * that nothing can finish its drain. */
static void
give_back(struct run *x, struct pp_registry *r, int stranded)
{
	static const struct {
		const char *dry, *done, *note;
	} why[2] = {
		{"a scale-down that does not fit leaves its node in service",
		 "a scale-down that does not fit leaves its node in service",
		 "its game servers no longer fit elsewhere"},
		{"nothing can finish its drain",
		 "nothing can finish the drain a scale-down began",
		 "its scale-down drain cannot be finished"},
	};
	size_t len = strlen(x->reason);
	/* the refusal before a stranded one's names the node already */
	char *who = stranded ? pp_xstrdup("it") :
		pp_xasprintf("node '%s'", x->node);

	if (x->dry_run) {
		snprintf(x->reason + len, sizeof x->reason - len, "; a real "
			"run would set %s back to ready: %s", who,
			why[stranded].dry);
		free(who);
		return;
	}
	snprintf(x->reason + len, sizeof x->reason - len, "; %s is ready "
		"again: %s", who, why[stranded].done);
	free(who);
	set_ready(x, r, x->reason);
	if (!stranded) {
		x->recorded = 0;
		x->stop = 1;  /* --wait: no pass after it */
	}
	pp_note("node '%s' is ready again: %s", x->node, why[stranded].note);
}

/* Why this node must not be drained now, or NULL. was: the node's
 * status in the document the decision came from, -1 when unknown or
 * on a later pass. */
static const char *
refusal(struct run *x, const struct pp_node *n, int was, char *buf,
	size_t len)
{
	const char *mine = x->cfg->cloud.provider;

	if (x->passes > 0 && n->status != PP_ST_DRAINING) {
		x->stop = 1;
		snprintf(buf, len, "node '%s' was set to %s while draining; "
			"drain stopped", n->id, pp_status_name(n->status));
		return buf;
	}
	if (x->mode == M_SCALE_DOWN && n->kind == PP_KIND_DEDICATED) {
		snprintf(buf, len, "node '%s' is dedicated: a scale-down never "
			"drains a dedicated node (for maintenance: pp-drain "
			"--node %s)", n->id, n->id);
		return buf;
	}
	/* pp-provision could not delete it: its game servers would move
	 * for nothing, and nothing would finish the drain (pp-decide never
	 * picks such a node; a document written by hand might) */
	if (x->mode == M_SCALE_DOWN && (!n->server_id || !*n->server_id)) {
		snprintf(buf, len, "node '%s' has no server id: a scale-down "
			"never drains a node pp-provision cannot delete (for "
			"maintenance: pp-drain --node %s)", n->id, n->id);
		return buf;
	}
	if (x->mode == M_SCALE_DOWN && n->provider && mine && *mine &&
	    strcmp(n->provider, mine)) {
		snprintf(buf, len, "node '%s' belongs to provider '%s', not "
			"'%s' (cloud.provider): a scale-down never drains a "
			"node pp-provision cannot delete (for maintenance: "
			"pp-drain --node %s)", n->id, n->provider, mine, n->id);
		return buf;
	}
	if (n->status == PP_ST_PROVISIONING) {
		snprintf(buf, len, "node '%s' is still provisioning", n->id);
		return buf;
	}
	if (n->status == PP_ST_DRAINING && n->draining_by &&
	    !strcmp(n->draining_by, PP_DRAIN_BY_EXPIRE)) {
		snprintf(buf, len, "node '%s' is being deleted by "
			"pp-provision: its server did not boot or join in time",
			n->id);
		return buf;
	}
	if (x->mode == M_SCALE_DOWN && n->status == PP_ST_DRAINING &&
	    n->draining_by && !strcmp(n->draining_by, "maintenance")) {
		snprintf(buf, len, "node '%s' is drained by hand for "
			"maintenance: the pipeline neither finishes nor "
			"deletes it ('pp-drain --node %s --uncordon' returns "
			"it)", n->id, n->id);
		return buf;
	}
	/* pp-provision could not delete it: its game servers would move
	 * for nothing, and the drain would stand every cycle */
	if (x->mode == M_SCALE_DOWN && n->delete_protected) {
		snprintf(buf, len, "node '%s' is delete-protected in the "
			"cloud (cloud.delete_protected): a scale-down could "
			"not remove its server", n->id);
		return buf;
	}
	/* a scale-down of an unhealthy node (the unneeded rule's
	 * unhealthy_after) was decided for a node that adds nothing: one
	 * the platform has since returned is capacity the decision never
	 * weighed, and its game servers are not to be moved for it */
	if (x->mode == M_SCALE_DOWN && was == PP_ST_UNHEALTHY &&
	    n->status != PP_ST_UNHEALTHY) {
		snprintf(buf, len, "node '%s' was unhealthy when the "
			"scale-down was decided and is %s now: the next cycle "
			"decides again", n->id, pp_status_name(n->status));
		return buf;
	}
	/* "continue draining" was decided without a new scale-down's
	 * checks (the fit, the capacity left, the floors): a node returned
	 * to service since (pp-drain --node --uncordon) is not taken out
	 * again on its strength */
	if (x->mode == M_SCALE_DOWN && was == PP_ST_DRAINING &&
	    n->status != PP_ST_DRAINING) {
		snprintf(buf, len, "node '%s' was draining when the scale-down "
			"was decided and is %s now: someone returned it, and "
			"the next cycle decides again", n->id,
			pp_status_name(n->status));
		return buf;
	}
	/* an unhealthy node with nothing on it is retired (the unneeded
	 * rule's unhealthy_after): cordoned, it is empty at once */
	if (x->mode == M_SCALE_DOWN && n->status == PP_ST_UNHEALTHY &&
	    n->ncontainers) {
		snprintf(buf, len, "node '%s' is unhealthy with %zu game "
			"server%s recorded on it: a scale-down drains only "
			"ready or draining nodes, or an unhealthy one that "
			"holds none (for maintenance: pp-drain --node %s)",
			n->id, n->ncontainers, n->ncontainers == 1 ? "" : "s",
			n->id);
		return buf;
	}
	return NULL;
}


static void
reset_pass(struct run *x)
{
	json_object_put(x->planned);
	json_object_put(x->failed);
	json_object_put(x->skipped);
	json_object_put(x->waiting);
	x->planned = json_object_new_array();
	x->failed = json_object_new_array();
	x->skipped = json_object_new_array();
	x->waiting = json_object_new_array();
	x->status = NULL;
	x->reason[0] = '\0';
}

static void
plan_waiting(struct run *x, const struct pp_plan *p, time_t now)
{
	for (size_t i = 0; i < p->n; i++)
		if (pp_dr_in_grace(x, p->moves[i].players, now))
			pp_dr_add_waiting(x, p->moves[i].server,
				p->moves[i].players,
				x->since + x->cfg->drain.player_grace);
}

/* The game servers recorded on the node; unrec: a game server whose
 * move onto (or off) the node is carried out but not recorded, "" when
 * none. */
static long
count_on(struct run *x, int *missing, char *unrec, size_t len, int *intent,
	char *how, size_t hlen)
{
	struct pp_registry r;
	struct pp_node *n;
	long c;

	pp_dr_open_registry(x, &r, PP_REG_LAZY);
	n = pp_registry_find(&r, x->node);
	*missing = !n;
	c = n ? (long)n->ncontainers : 0;
	unrec[0] = '\0';
	if (n && !c)
		pp_dr_unrecorded_on(x, &r, x->node, unrec, len, intent, how,
			hlen);
	pp_registry_close(&r);
	return c;
}

/* how: what settles the move (pp_dr_unrecorded_on) */
static void
set_unrecorded_status(struct run *x, const char *server, int intent,
	const char *how)
{
	if (intent)
		pp_dr_set_status(x, "in_progress", "%sno game server recorded "
			"on '%s', but a pp-drain that has ended was moving game "
			"server '%s' onto or off it and nothing says whether it "
			"moved; %s", x->dry_run ? "dry run: " : "", x->node,
			server, how);
	else
		pp_dr_set_status(x, "in_progress", "%sno game server recorded "
			"on '%s', but game server '%s' was moved onto or off it "
			"and the registry could not record the move; %s",
			x->dry_run ? "dry run: " : "", x->node, server, how);
}

static void
summarise(struct run *x)
{
	size_t nw = json_object_array_length(x->waiting);
	size_t nf = json_object_array_length(x->failed);
	size_t ns = json_object_array_length(x->skipped);
	struct pp_buf b = {0};

	pp_buf_printf(&b, "%ld game server%s left on '%s'", x->remaining,
		x->remaining == 1 ? "" : "s", x->node);
	if (nw) {
		char ts[PP_TIME_LEN];

		pp_format_time(x->since + x->cfg->drain.player_grace, ts,
			sizeof ts);
		pp_buf_printf(&b, ", %zu waiting for players until %s", nw,
			ts);
	}
	if (nf)
		pp_buf_printf(&b, ", %zu move%s failed (retried next cycle)",
			nf, nf == 1 ? "" : "s");
	if (ns)
		pp_buf_printf(&b, ", %zu re-planned next cycle", ns);
	pp_dr_set_status(x, "in_progress", "%s", b.s);
	pp_buf_free(&b);
}

/* Whether another pp-drain is moving a game server onto the node: it
 * holds the node's target lock from its check that the node is ready
 * until the move is recorded, and the registry shows the game server
 * there only then. When not, l holds the lock shared (it creates no
 * file), so that no move onto the node starts until it is let go; a
 * move that starts after that sees the node draining. A pp-drain of
 * another control host holds its own host's lock: the caller of
 * pp-drain asks for its intents in the control database too
 * (moving_onto, pp_dr_foreign_move; pp-provision reads every intent
 * naming the node, pp_drain_unrecorded_on). */
int
pp_drain_moving_onto(const char *sdir, const char *node, struct pp_lock *l)
{
	char *path = pp_dr_lock_path(sdir, "drain-target-", node);
	int rc = pp_lock(l, path, PP_LOCK_SH, 0);

	free(path);
	return rc < 0;
}

static int
moving_onto(struct run *x, struct pp_lock *l)
{
	return pp_drain_moving_onto(x->sdir, x->node, l) ||
		pp_dr_foreign_move(x, NULL, x->node, NULL, 0);
}

/* The end of a pass (the node cordoned, r closed): empty only when no
 * game server is recorded on the node and none is on its way onto it,
 * since pp-provision deletes the server of an empty node, and with it
 * a game server whose move onto it is not recorded yet. */
static void
settle(struct run *x)
{
	struct pp_lock l;
	char unrec[256], how[640];
	int missing, intent = 0, inbound = moving_onto(x, &l);

	x->remaining = count_on(x, &missing, unrec, sizeof unrec, &intent,
		how, sizeof how);
	pp_unlock(&l);
	if (missing) {
		x->gone = x->stop = 1;
		pp_dr_set_status(x, "refused", "node '%s' was removed from the "
			"registry while draining", x->node);
	} else if (x->remaining == 0 && unrec[0] && !inbound && !x->status) {
		set_unrecorded_status(x, unrec, intent, how);
		/* nothing settles it unaided: the drain would wait for
		 * ever, and whoever runs it must hear of it */
		if (intent == 2) {
			x->stuck = 1;
			pp_warn("node '%s': %s", x->node, x->reason);
		}
	} else if (x->remaining == 0 && !x->stop && !inbound && !unrec[0]) {
		/* a node returned to service meanwhile is not "empty": that
		 * would invite its deletion */
		x->empty = 1;
		pp_dr_set_status(x, "empty", "node '%s' holds no game servers",
			x->node);
	} else if (x->remaining == 0 && inbound && !x->status) {
		pp_dr_set_status(x, "in_progress", "no game server left on "
			"'%s', but another pp-drain is moving one onto it; "
			"the next cycle looks again", x->node);
	} else if (!x->status) {
		summarise(x);
	}
}

static void
drain_pass(struct run *x)
{
	struct pp_registry r;
	struct pp_node *n;
	struct pp_plan plan;
	struct pp_node *dnodes = NULL;
	char buf[512];
	const char *why;
	time_t now = pp_dr_run_now(x);
	size_t nc, ndnodes = 0, ndoc = 0;
	int lazy, was = -1;

	reset_pass(x);
	/* read before the registry's lock is taken */
	pp_dr_catalog(x);
	/* the first pass of a cycle plans from the document's nodes (read
	 * by pp-fleetstats just before) and reads only the nodes it uses;
	 * a later pass (--wait) or a document without them, the registry
	 * whole */
	lazy = !x->dry_run && x->passes == 0 && x->doc &&
		pp_dr_doc_nodes(x->doc, x->node, &dnodes, &ndnodes, &ndoc,
		&was) == 0;
	if (!lazy && x->passes == 0)
		was = pp_dr_doc_status(x->doc, x->node);
	pp_dr_open_registry(x, &r, x->dry_run ? 0 :
		PP_LOCK_EX | (lazy ? PP_REG_LAZY : 0));
	n = pp_registry_find(&r, x->node);
	if (!n) {
		x->gone = x->stop = 1;
		pp_dr_set_status(x, "refused", "node '%s' is not in the registry",
			x->node);
		pp_registry_close(&r);
		pp_dr_doc_nodes_free(dnodes, ndnodes);
		return;
	}
	why = refusal(x, n, was, buf, sizeof buf);
	if (why) {
		pp_dr_set_status(x, x->stop ? "in_progress" : "refused", "%s", why);
		x->stop = 1;
		x->remaining = (long)n->ncontainers;
		/* one a scale-down drained before that refusal held (or
		 * before cloud.provider changed) is returned: nothing would
		 * ever finish its drain */
		if (x->mode == M_SCALE_DOWN && n->status == PP_ST_DRAINING &&
		    n->draining_by && !strcmp(n->draining_by, "scale_down") &&
		    (n->kind == PP_KIND_DEDICATED || !n->server_id ||
		    !*n->server_id || (n->provider && x->cfg->cloud.provider &&
		    *x->cfg->cloud.provider &&
		    strcmp(n->provider, x->cfg->cloud.provider))))
			give_back(x, &r, 1);
		pp_registry_close(&r);
		pp_dr_doc_nodes_free(dnodes, ndnodes);
		return;
	}
	x->recorded = n->status == PP_ST_DRAINING && n->draining_since;
	x->since = x->recorded ? n->draining_since : now;
	/* read lazily (the registry's stamp said it was checked whole),
	 * and the document is a view of it: every node once, this one
	 * among them; else the plan reads every node of the registry */
	if (dnodes && r.lazy && ndnodes == ndoc && ndoc == r.nnodes) {
		pp_dr_plan_doc(&r, n, dnodes, ndnodes, &plan);
	} else {
		if (r.lazy && pp_registry_index_all(&r) < 0)
			pp_die(PP_EXIT_USAGE, "registry '%s' cannot be read "
				"whole", x->rshow);
		/* the RAM pp-fleetstats counts, as the document's nodes
		 * have it: a move planned onto RAM that does not exist
		 * would fail at the platform */
		pp_registry_cap_ram(&r, pp_dr_catalog(x), x->ram_warned ? 0 :
			PP_RAM_WARN_OVER);
		x->ram_warned = 1;
		pp_drain_plan(&r, x->node, &plan);
	}
	pp_dr_doc_nodes_free(dnodes, ndnodes);
	for (size_t i = 0; i < plan.n; i++)
		json_object_array_add(x->planned,
			pp_move_json(&plan.moves[i]));
	nc = n->ncontainers;
	x->remaining = (long)nc;
	if (nc == 0 && x->dry_run) {
		struct pp_lock l;
		char unrec[256], how[640];
		int intent = 0;

		if (moving_onto(x, &l)) {
			pp_dr_set_status(x, "in_progress", "dry run: no game "
				"server left on '%s', but another pp-drain is "
				"moving one onto it", x->node);
		} else if (pp_dr_unrecorded_on(x, &r, x->node, unrec,
		    sizeof unrec, &intent, how, sizeof how)) {
			set_unrecorded_status(x, unrec, intent, how);
			/* exits as the real run would (settle) */
			if (intent == 2) {
				x->stuck = 1;
				pp_warn("node '%s': %s", x->node, x->reason);
			}
		} else {
			x->empty = 1;
			pp_dr_set_status(x, "empty", "node '%s' holds no game "
				"servers", x->node);
		}
		pp_unlock(&l);
		goto done;
	}
	if (nc == 0) {
		cordon(x, &r, x->node, now);
		pp_plan_free(&plan);
		pp_registry_close(&r);
		settle(x);
		return;
	}
	if (!plan.ok) {
		/* an operator taking a machine down wants it cordoned even
		 * while its game servers have nowhere to go; a scale-down
		 * that cannot finish leaves the capacity in service */
		if (!x->dry_run && x->mode == M_MAINTENANCE)
			cordon(x, &r, x->node, now);
		pp_dr_set_status(x, "blocked", "nothing moved: %s", plan.reason);
		/* nor one a scale-down drained before the other nodes filled
		 * up: the decision continues a drain in progress every cycle,
		 * and this one would stand for good, billed and taking no
		 * game server; a later scale-down checks the fit first */
		if (x->mode == M_SCALE_DOWN && n->status == PP_ST_DRAINING)
			give_back(x, &r, 0);
		if (x->passes == 0) {
			json_object *f = pp_dr_fields(x->node);

			pp_dr_add_str(f, "reason", plan.reason);
			pp_dr_event(x, "drain.blocked", f);
		}
		goto done;
	}
	if (x->dry_run && x->cfg->drain.move_command.n == 0) {
		/* what the real run would do: cordon, then stop short */
		plan_waiting(x, &plan, now);
		/* the warning and the document name the node already */
		pp_dr_set_status(x, "blocked", "dry run: drain.move_command is not "
			"configured: a real run would cordon the node and "
			"could not move its %zu game server%s", nc,
			nc == 1 ? "" : "s");
		goto done;
	}
	if (x->dry_run) {
		plan_waiting(x, &plan, now);
		pp_dr_set_status(x, "planned", "dry run: would move %zu game "
			"server%s off '%s' (%zu waiting for players)", plan.n,
			plan.n == 1 ? "" : "s", x->node,
			json_object_array_length(x->waiting));
		goto done;
	}
	cordon(x, &r, x->node, now);
	pp_registry_close(&r);
	if (x->cfg->drain.move_command.n == 0) {
		plan_waiting(x, &plan, now);
		pp_dr_set_status(x, "blocked", "drain.move_command is not "
			"configured: pp-drain cannot move its %zu game "
			"server%s (the node stays draining until they are "
			"moved or stopped and removed by other means)",
			nc, nc == 1 ? "" : "s");
		pp_plan_free(&plan);
		return;
	}
	for (size_t i = 0; i < plan.n && !x->stop && !pp_interrupted(); i++)
		pp_dr_do_move(x, &plan.moves[i]);
	pp_dr_flush_moves(x);
	pp_plan_free(&plan);
	settle(x);
	return;
done:
	pp_plan_free(&plan);
	pp_registry_close(&r);
}

static void
uncordon(struct run *x)
{
	struct pp_registry r;
	struct pp_node *n;
	const char *by;

	reset_pass(x);
	pp_dr_open_registry(x, &r, x->dry_run ? 0 : PP_LOCK_EX);
	n = pp_registry_find(&r, x->node);
	if (!n) {
		x->gone = 1;
		pp_dr_set_status(x, "refused", "node '%s' is not in the registry",
			x->node);
		goto out;
	}
	x->remaining = (long)n->ncontainers;
	by = n->draining_by ? n->draining_by : "";
	if (n->status == PP_ST_READY) {
		pp_dr_set_status(x, "uncordoned", "node '%s' is already ready",
			x->node);
	} else if (n->status != PP_ST_DRAINING) {
		pp_dr_set_status(x, "refused", "node '%s' is %s; only a draining "
			"node can be uncordoned", x->node,
			pp_status_name(n->status));
	} else if (!strcmp(by, PP_DRAIN_BY_EXPIRE)) {
		pp_dr_set_status(x, "refused", "node '%s' is being deleted by "
			"pp-provision: its server did not boot or join in time",
			x->node);
	} else if (!x->manual && !strcmp(by, "maintenance")) {
		pp_dr_set_status(x, "refused", "node '%s' is drained for "
			"maintenance; only 'pp-drain --node %s --uncordon' "
			"returns it to service", x->node, x->node);
	} else if (x->dry_run) {
		pp_dr_set_status(x, "uncordoned", "dry run: would set node '%s' "
			"back to ready", x->node);
	} else {
		set_ready(x, &r, x->why);
		pp_note("node '%s' is ready again", x->node);
		pp_dr_set_status(x, "uncordoned", "node '%s' is ready again",
			x->node);
	}
out:
	pp_registry_close(&r);
}

/* Takes the node's drain lock without waiting. Returns 0, or -1 when
 * another pp-drain holds it (status busy). */
static int
lock_node(struct run *x)
{
	char *path = pp_dr_lock_path(x->sdir, "drain-", x->node);
	char *lp, *holder;
	size_t len;
	int e;

	if (pp_mkdirs(x->sdir, 0755) < 0)
		pp_die(PP_EXIT_FAIL, "cannot create state directory '%s':",
			x->sdir);
	if (pp_lock(&x->nodelock, path, PP_LOCK_EX, 0) == 0) {
		char who[768];

		free(path);
		/* a pp-drain of another control host holds that host's
		 * lock of the node while it moves a game server off it */
		if (pp_dr_foreign_move(x, x->node, NULL, who, sizeof who)) {
			pp_unlock(&x->nodelock);
			pp_dr_set_status(x, "busy", "another pp-drain is working "
				"on node '%s': %s", x->node, who);
			return -1;
		}
		/* who holds it, for the one that finds it taken */
		if (ftruncate(x->nodelock.fd, 0) == 0)
			dprintf(x->nodelock.fd, "%ld\n", (long)getpid());
		return 0;
	}
	e = errno;
	if (e != EWOULDBLOCK && e != ETIMEDOUT && e != EAGAIN)
		pp_die(PP_EXIT_FAIL, "cannot lock '%s.lock': %s", path,
			strerror(e));
	lp = pp_xasprintf("%s.lock", path);
	holder = pp_read_file(lp, 64, &len);
	if (holder)
		holder[strcspn(holder, "\n")] = '\0';
	if (holder && *holder && kill((pid_t)atol(holder), 0) < 0 &&
	    errno == ESRCH)
		/* the lock outlived its pp-drain: held by the move hook it
		 * ran (drainmove.c), which still runs */
		pp_dr_set_status(x, "busy", "the move hook of a pp-drain that "
			"has ended (pid %s) still runs on node '%s'; the node "
			"is drained again once it has ended", holder, x->node);
	else if (holder && *holder)
		pp_dr_set_status(x, "busy", "another pp-drain (pid %s) is working "
			"on node '%s'", holder, x->node);
	else
		pp_dr_set_status(x, "busy", "another pp-drain is working on node "
			"'%s'", x->node);
	free(holder);
	free(lp);
	free(path);
	return -1;
}

static json_object *
section(struct run *x)
{
	json_object *d = json_object_new_object();

	pp_dr_add_str(d, "node", x->node);
	pp_dr_add_str(d, "action", pp_dr_mode_names[x->mode]);
	pp_dr_add_str(d, "status", x->status);
	json_object_object_add(d, "empty", json_object_new_boolean(x->empty));
	json_object_object_add(d, "dry_run",
		json_object_new_boolean(x->dry_run));
	json_object_object_add(d, "draining_since", x->recorded ?
		pp_jnew_time(x->since) : NULL);
	json_object_object_add(d, "remaining",
		json_object_new_int64(x->remaining));
	json_object_object_add(d, "planned", json_object_get(x->planned));
	json_object_object_add(d, "moved", json_object_get(x->moved));
	json_object_object_add(d, "failed", json_object_get(x->failed));
	json_object_object_add(d, "skipped", json_object_get(x->skipped));
	json_object_object_add(d, "waiting", json_object_get(x->waiting));
	pp_dr_add_str(d, "reason", x->reason);
	return d;
}

static int
terminal(const struct run *x)
{
	return x->stop || x->empty || !strcmp(x->status, "refused") ||
		!strcmp(x->status, "busy") ||
		!strcmp(x->status, "uncordoned");
}

static void
progress(const struct run *x, double left)
{
	pp_note("node '%s': %s: %s (%zu moved so far; deadline in %.0f s)",
		x->node, x->status, x->reason,
		json_object_array_length(x->moved), left > 0 ? left : 0);
}

static void
drain_loop(struct run *x)
{
	long deadline = x->o->deadline >= 0 ? x->o->deadline :
		x->cfg->drain.deadline;
	double end = x->m0 + (double)deadline;
	double interval = x->o->interval > 0 ? x->o->interval : 5;

	for (;;) {
		double left;

		drain_pass(x);
		x->passes++;
		if (!x->o->wait || x->dry_run || terminal(x) ||
		    pp_interrupted())
			break;
		left = end - pp_monotonic();
		progress(x, left);
		if (left <= 0) {
			size_t n = strlen(x->reason);

			snprintf(x->reason + n, sizeof x->reason - n,
				"; deadline of %ld s passed", deadline);
			break;
		}
		pp_sleep(interval < left ? interval : left);
		if (pp_interrupted())
			break;
	}
	if (x->empty && x->changed) {
		json_object *f = pp_dr_fields(x->node);

		pp_dr_add_str(f, "by", pp_dr_mode_names[x->mode]);
		pp_dr_event(x, "node.drained", f);
	}
}

/* --node names a node the registry has: a mistyped id is refused
 * before anything is written (a drain lock, an event, the document). */
static void
check_known(struct run *x)
{
	struct pp_registry r;

	pp_dr_open_registry(x, &r, 0);
	if (!pp_registry_find(&r, x->node)) {
		char *path = pp_xstrdup(r.path);

		pp_registry_close(&r);
		pp_die(PP_EXIT_USAGE, "no node '%s' in registry '%s'",
			x->node, path);
	}
	pp_registry_close(&r);
}

/* The reason on stderr, led by the node: most refusals start with
 * it already ("node 'x' is still provisioning"), and are not given it
 * twice. */
static void
warn_reason(const struct run *x)
{
	char *lead = pp_xasprintf("node '%s' ", x->node);

	if (!strncmp(x->reason, lead, strlen(lead)))
		pp_warn("%s", x->reason);
	else
		pp_warn("node '%s': %s", x->node, x->reason);
	free(lead);
}

static int
exit_status(const struct run *x)
{
	/* the registry is wrong about where a game server runs, or may
	 * be (a hook timed out mid-move, in this run or an earlier one's
	 * re-run): the next cycle's figures are off, and whoever runs
	 * this must hear of it and run it again */
	if (pp_interrupted() || x->unrecorded || x->no_intent ||
	    x->unsettled || x->stuck)
		return PP_EXIT_FAIL;
	if (!x->manual)
		return PP_EXIT_OK;
	/* the node was there when the run began (check_known): a node
	 * removed while it drained is a failure while acting, not bad
	 * usage */
	if (x->gone)
		return PP_EXIT_FAIL;
	if (!strcmp(x->status, "empty") || !strcmp(x->status, "uncordoned")
	    || !strcmp(x->status, "planned"))
		return PP_EXIT_OK;
	if (!strcmp(x->status, "in_progress") && !x->o->wait &&
	    json_object_array_length(x->failed) == 0)
		return PP_EXIT_OK;
	return PP_EXIT_FAIL;
}

int
pp_drain_run(const struct pp_config *cfg, const struct pp_drain_opts *o,
	json_object *doc)
{
	struct run x;
	char *events;
	int status;

	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.o = o;
	x.nodelock.fd = -1;
	x.dry_run = o->dry_run;
	x.t0 = pp_now();
	x.m0 = pp_monotonic();
	if (o->node) {
		x.manual = 1;
		x.node = o->node;
		x.mode = o->uncordon ? M_UNCORDON : M_MAINTENANCE;
		x.why = o->uncordon ? "returned to service by hand" :
			"maintenance drain by hand";
	} else {
		json_object *dec = pp_jget(doc, "decision");
		/* as pp-provision: an action no tool knows is a bad
		 * document, not nothing to drain */
		const char *action = pp_decision_action(doc);

		if (!action || (strcmp(action, "scale_down") &&
		    strcmp(action, "uncordon"))) {
			pp_debug("decision '%s': nothing to drain",
				action ? action : "(none)");
			return PP_EXIT_OK;
		}
		x.mode = strcmp(action, "uncordon") ? M_SCALE_DOWN :
			M_UNCORDON;
		x.node = pp_jstr(dec, "node", NULL);
		if (!x.node || !*x.node)
			pp_die(PP_EXIT_USAGE, "bad document on stdin: decision "
				"'%s' names no node", action);
		/* a decision made on old figures (replayed by hand) */
		if (pp_doc_too_old(doc, x.reason, sizeof x.reason)) {
			pp_warn("decision '%s' of node '%s' not carried out: "
				"%s", action, x.node, x.reason);
			return PP_EXIT_FAIL;
		}
		if (pp_jbool(dec, "dry_run", 0))
			x.dry_run = 1;
		x.why = pp_jstr(dec, "reason", NULL);
		x.doc = doc;
	}
	x.rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	x.rshow = pp_registry_shown(x.rpath);
	x.sdir = pp_state_dir(cfg, o->state_dir);
	x.spath = pp_state_path(cfg, o->state_dir, "state.json");
	if (x.manual)
		check_known(&x);
	events = pp_events_path(cfg, o->state_dir);
	pp_events_init(cfg, x.dry_run ? NULL : events);
	free(events);
	x.moved = json_object_new_array();
	reset_pass(&x);
	/* moves an earlier run carried out and could not record: the
	 * registry is put right first */
	if (!x.dry_run)
		pp_dr_replay(&x);

	if (x.mode == M_UNCORDON) {
		uncordon(&x);
	} else if (!x.dry_run && lock_node(&x) < 0) {
		pp_warn("%s", x.reason);
	} else {
		drain_loop(&x);
	}
	if (!strcmp(x.status, "refused") || !strcmp(x.status, "blocked"))
		warn_reason(&x);
	if (!strcmp(x.status, "refused") && !x.dry_run) {
		json_object *f = pp_dr_fields(x.node);

		pp_dr_add_str(f, "action", pp_dr_mode_names[x.mode]);
		pp_dr_add_str(f, "reason", x.reason);
		pp_dr_event(&x, "drain.refused", f);
	}
	json_object_object_add(doc, "drain", section(&x));
	status = exit_status(&x);
	pp_unlock(&x.nodelock);
	json_object_put(x.planned);
	json_object_put(x.moved);
	json_object_put(x.failed);
	json_object_put(x.skipped);
	json_object_put(x.waiting);
	free(x.done);
	free(x.rpath);
	free(x.rshow);
	free(x.sdir);
	free(x.spath);
	if (x.have_cat)
		pp_catalog_free(&x.cat);
	return status;
}

