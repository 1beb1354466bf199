/* pp-provision's work: the one place that changes the cloud.
 *
 * The invariant is "no orphans": every server we create is in the
 * registry or findable by our labels at every instant. So a server is
 * registered ("provisioning") right after its create succeeds and
 * before any wait; a failed registration deletes it again; a server
 * that never runs is deleted before its node is forgotten; and a run
 * about to create first adopts our servers that the registry lacks
 * (a run killed between create and register leaves exactly those).
 *
 * The registry is shared with the platform and pp-drain: its lock is
 * held for one read-check-write at a time, never across a wait, except
 * around a delete, which must not race a new placement on the node and
 * is bounded well below the other writers' lock timeout. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "run/cli.h"
#include "cloud/cloud.h"
#include "cloud/cloudinit.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "store/decide_mem.h"
#include "store/events.h"
#include "cloud/labels.h"
#include "store/metrics.h"
#include "run/provision.h"
#include "cloud/reconcile.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "store/state.h"
#include "base/util.h"

/* Longest a delete may hold the registry lock: other writers wait 30 s
 * for it. */
#define DELETE_LOCK_BUDGET 20.0
/* Attempts at a fresh random name after a name collision. */
#define NAME_TRIES 3
#define SUFFIX_LEN 6
/* A decision asking for more is not one we trust. */
#define MAX_COUNT 100

struct waiter {
	char *node, *server_id;
	double t0;            /* pp_monotonic() at the create request */
	json_object *entry;   /* its entry in the section */
	int done;
};

struct run {
	const struct pp_config *cfg;
	const struct pp_provision_opts *o;
	json_object *doc;
	char *rpath, *spath;
	int dry_run;
	const char *action;
	const char *why;      /* decision.reason */
	time_t now;
	double m0;
	struct pp_cloud *cloud;
	struct pp_cloud_error cloud_err;
	struct pp_catalog cat;
	int have_cat;
	json_object *servers; /* the section's per-server entries */
	json_object *refusals; /* new refusals: key -> {until, code} */
	json_object *state_refusals; /* as read from the state file */
	int errors;
	int acted;            /* the decision's action did something */
	int touched;          /* anything at all to report */
	int frozen;           /* local provider on --now: no boot here */
	const char *status;
	char reason[768];
	size_t nw;
	struct waiter *w;
};

static void
set_reason(struct run *x, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_reason(struct run *x, const char *status, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof x->reason, fmt, ap);
	va_end(ap);
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* ---- events ------------------------------------------------------- */

static void
event(struct run *x, const char *type, const char *node,
	const char *server_id, const char *stype, const char *loc,
	const char *result, const char *reason)
{
	json_object *extra;

	if (x->dry_run)
		return;
	extra = json_object_new_object();
	add_str(extra, "server_id", server_id);
	add_str(extra, "server_type", stype);
	add_str(extra, "location", loc);
	pp_event_node(type, node, x->action, result, reason, extra);
}

/* ---- section entries ---------------------------------------------- */

static json_object *
entry(struct run *x, const char *op, const char *node, const char *id,
	const char *name, const char *type, const char *loc,
	const char *role)
{
	json_object *e = json_object_new_object();

	add_str(e, "op", op);
	add_str(e, "node", node);
	add_str(e, "server_id", id);
	add_str(e, "name", name);
	add_str(e, "server_type", type);
	add_str(e, "location", loc);
	add_str(e, "role", role);
	add_str(e, "status", NULL);
	add_str(e, "ipv4", NULL);
	add_str(e, "private_ip", NULL);
	json_object_object_add(e, "seconds_to_running", NULL);
	json_object_object_add(e, "error", NULL);
	json_object_array_add(x->servers, e);
	x->touched = 1;
	return e;
}

static void
entry_error(struct run *x, json_object *e, const char *code,
	const char *message)
{
	json_object *o = json_object_new_object();

	add_str(o, "code", code);
	add_str(o, "message", message);
	json_object_object_add(e, "error", o);
	x->errors++;
}

static void
entry_ips(json_object *e, const struct pp_server *s)
{
	add_str(e, "ipv4", s->ipv4);
	add_str(e, "private_ip", s->private_ip);
}

/* ---- the registry ------------------------------------------------- */

static int
reg_open(struct run *x, struct pp_registry *r, int mode, char *err,
	size_t errlen)
{
	return pp_registry_open(r, x->rpath, mode, err, errlen);
}

/* The node for a new or adopted server (DESIGN section 3). */
static json_object *
node_json(struct run *x, const struct pp_server *s, const char *role,
	const char *status)
{
	const struct pp_server_type *t = x->have_cat && s->type ?
		pp_catalog_find(&x->cat, s->type) : NULL;
	const struct pp_price *p = t && s->location ?
		pp_type_price(t, s->location) : NULL;
	long long total = t ? (long long)(t->memory_gb * 1024 + 0.5) : 0;
	long long reserved = x->cfg->cloud.reserved_ram_mb;
	json_object *n = json_object_new_object();
	json_object *labels = json_object_new_object();
	json_object *cl = json_object_new_object();
	char ts[PP_TIME_LEN];

	if (reserved > total)
		reserved = total;
	add_str(n, "id", s->name);
	add_str(n, "kind", "cloud");
	add_str(n, "status", status);
	add_str(n, "role", role);
	json_object_object_add(n, "total_ram_mb",
		json_object_new_int64(total));
	json_object_object_add(n, "reserved_ram_mb",
		json_object_new_int64(reserved));
	add_str(n, "ip", s->ipv4 ? s->ipv4 : s->private_ip);
	if (s->private_ip)
		add_str(n, "private_ip", s->private_ip);
	add_str(n, "location", s->location);
	for (size_t i = 0; i < s->labels.n; i++)
		add_str(labels, s->labels.keys[i], s->labels.vals[i]);
	json_object_object_add(n, "labels", labels);
	add_str(cl, "provider", x->cloud->ops->name);
	add_str(cl, "server_id", s->id);
	add_str(cl, "server_type", s->type);
	add_str(cl, "server_name", s->name);
	json_object_object_add(cl, "hourly_cost_eur",
		pp_jnew_double(p ? p->hourly_eur : 0, 4));
	add_str(cl, "created_at", pp_format_time(s->created ? s->created :
		x->now, ts, sizeof ts));
	json_object_object_add(n, "cloud", cl);
	json_object_object_add(n, "containers", json_object_new_array());
	return n;
}

/* Adds a node; 1 when a node of that id or server is there already
 * (another run registered it), -1 with err on failure. */
static int
reg_add(struct run *x, json_object *node, char *err, size_t errlen)
{
	struct pp_registry r;
	const char *id = pp_jstr(node, "id", "");
	const char *sid = pp_jstr(pp_jget(node, "cloud"), "server_id", "");
	int rc = reg_open(x, &r, PP_LOCK_EX, err, errlen);

	if (rc < 0) {
		json_object_put(node);
		return -1;
	}
	for (size_t i = 0; i < r.nnodes; i++) {
		if (!strcmp(r.nodes[i].id, id) || (r.nodes[i].server_id &&
		    !strcmp(r.nodes[i].server_id, sid))) {
			json_object_put(node);
			pp_registry_close(&r);
			return 1;
		}
	}
	json_object_array_add(pp_registry_nodes(&r), node);
	if (pp_registry_save(&r) < 0) {
		snprintf(err, errlen, "cannot write registry '%s': %s",
			x->rpath, strerror(errno));
		pp_registry_close(&r);
		return -1;
	}
	pp_registry_close(&r);
	return 0;
}

/* Finds node id whose server is server_id, under the lock r holds. */
static struct pp_node *
our_node(struct pp_registry *r, const char *id, const char *server_id)
{
	struct pp_node *n = pp_registry_find(r, id);

	if (!n || !n->server_id || strcmp(n->server_id, server_id))
		return NULL;
	return n;
}

/* Marks a provisioning node ready with its addresses. 0, 1 when the
 * node is gone or no longer provisioning (someone else acted), -1. */
static int
reg_ready(struct run *x, const char *id, const struct pp_server *s,
	char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_node *n;
	int rc = reg_open(x, &r, PP_LOCK_EX, err, errlen);

	if (rc < 0)
		return -1;
	n = our_node(&r, id, s->id);
	if (!n || n->status != PP_ST_PROVISIONING) {
		pp_registry_close(&r);
		return 1;
	}
	pp_node_set_status(n, PP_ST_READY);
	if (s->ipv4 || s->private_ip)
		add_str(n->obj, "ip", s->ipv4 ? s->ipv4 : s->private_ip);
	if (s->private_ip)
		add_str(n->obj, "private_ip", s->private_ip);
	if (pp_registry_save(&r) < 0) {
		snprintf(err, errlen, "cannot write registry '%s': %s",
			x->rpath, strerror(errno));
		pp_registry_close(&r);
		return -1;
	}
	pp_registry_close(&r);
	return 0;
}

/* Forgets a node whose server is gone. Refuses (1) while any game
 * server is recorded on it. */
static int
reg_remove(struct run *x, const char *id, const char *server_id, char *err,
	size_t errlen)
{
	struct pp_registry r;
	struct pp_node *n;
	int rc = reg_open(x, &r, PP_LOCK_EX, err, errlen);

	if (rc < 0)
		return -1;
	n = our_node(&r, id, server_id);
	if (!n) {
		pp_registry_close(&r);
		return 0;
	}
	if (n->ncontainers) {
		snprintf(err, errlen, "node '%s' has %zu game server(s) "
			"recorded on it", id, n->ncontainers);
		pp_registry_close(&r);
		return 1;
	}
	pp_registry_remove(&r, id);
	if (pp_registry_save(&r) < 0) {
		snprintf(err, errlen, "cannot write registry '%s': %s",
			x->rpath, strerror(errno));
		pp_registry_close(&r);
		return -1;
	}
	pp_registry_close(&r);
	return 0;
}

/* ---- refusals ----------------------------------------------------- */

static int
refused(struct run *x, const char *type, const char *loc)
{
	return pp_refusal_active(x->refusals, type, loc, x->now) ||
		pp_refusal_active(x->state_refusals, type, loc, x->now);
}

static void
add_refusal(struct run *x, const char *type, const char *loc,
	const struct pp_cloud_error *err)
{
	char ts[PP_TIME_LEN];
	time_t until = x->now + x->cfg->cloud.refusal_ttl;

	pp_refusal_add(x->refusals, type, loc, until, err->code,
		err->message);
	pp_error("%s refused in '%s' (%s): avoided until %s", type, loc,
		err->code, pp_format_time(until, ts, sizeof ts));
	if (!x->dry_run) {
		json_object *f = json_object_new_object();

		add_str(f, "server_type", type);
		add_str(f, "location", loc);
		add_str(f, "code", err->code);
		add_str(f, "until", ts);
		pp_event_node("cloud.refused", NULL, x->action, "refused",
			err->message, f);
	}
}

/* The state file: new refusals in, expired ones out, and the scaling
 * counter; the lock is held only for this. */
static void
update_state(struct run *x, const char *result)
{
	struct pp_state st;
	char err[768];
	int rc;

	if (x->dry_run)
		return;
	rc = pp_state_open(&st, x->spath, PP_LOCK_EX, err, sizeof err);
	if (rc < 0) {
		pp_warn("%s; refusals and counters not recorded", err);
		x->errors += json_object_object_length(x->refusals) > 0;
		pp_state_close(&st);
		return;
	}
	pp_refusals_merge(st.root, x->refusals, x->now);
	if (result) {
		pp_metrics_count_scaling(&st, x->action, result);
		pp_decide_mem_set_result(pp_decide_mem_make(st.root),
			x->action, result);
	}
	if (pp_state_save(&st) < 0) {
		pp_warn("cannot write state file '%s':", x->spath);
		x->errors++;
	}
	pp_metrics_state(&st);
	pp_state_close(&st);
}

static void
read_refusals(struct run *x)
{
	struct pp_state st;
	char err[768];

	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0) {
		pp_warn("%s; ignoring earlier refusals", err);
		pp_state_close(&st);
		return;
	}
	x->state_refusals = json_object_get(pp_refusals_of(st.root));
	pp_state_close(&st);
}

/* ---- deleting ------------------------------------------------------ */

/* Deletes a server; a server already gone counts as deleted. */
static int
delete_server(struct run *x, const char *id, struct pp_cloud_error *err)
{
	if (pp_cloud_delete(x->cloud, id, err) == 0)
		return 0;
	if (!strcmp(err->code, "not_found")) {
		pp_warn("server %s was already gone", id);
		return 0;
	}
	return -1;
}

/* A server that did not boot: delete it, then forget its node (in
 * that order: a node without a server is harmless, a server without a
 * node bills). A boot that failed in this run is this run's failure;
 * one from an earlier run (ours is the cleanup) is not. */
static void
expire(struct run *x, const char *node, const char *server_id,
	const char *type, const char *loc, json_object *e, const char *why,
	int ours)
{
	struct pp_cloud_error err;
	char msg[768];
	int rc;

	pp_warn("node '%s' (server %s): %s: deleting it", node, server_id,
		why);
	if (delete_server(x, server_id, &err) < 0) {
		snprintf(msg, sizeof msg, "%s; deleting the server failed: %s",
			why, err.message);
		entry_error(x, e, err.code, msg);
		add_str(e, "status", "provisioning");
		event(x, PP_EV_SCALING_FAILED, node, server_id, type, loc,
			"failed", msg);
		return;
	}
	entry_error(x, e, "boot_timeout", why);
	if (!ours)
		x->errors--;
	if (x->dry_run) {
		add_str(e, "status", "dry_run");
		return;
	}
	rc = reg_remove(x, node, server_id, msg, sizeof msg);
	if (rc != 0) {
		pp_warn("%s", msg);
		x->errors++;
	}
	add_str(e, "status", "deleted");
	event(x, PP_EV_SCALING_FAILED, node, server_id, type, loc, "failed",
		why);
	event(x, PP_EV_NODE_REMOVED, node, server_id, type, loc, "success",
		why);
}

/* ---- ready ---------------------------------------------------------- */

/* why: the reason its node.added event gives */
static void
promote(struct run *x, const char *node, const struct pp_server *s,
	json_object *e, const char *why)
{
	char err[768];
	int rc;

	entry_ips(e, s);
	if (x->dry_run) {
		add_str(e, "status", "dry_run");
		return;
	}
	rc = reg_ready(x, node, s, err, sizeof err);
	if (rc < 0) {
		pp_warn("node '%s' runs but cannot be marked ready: %s", node,
			err);
		entry_error(x, e, "registry", err);
		add_str(e, "status", "provisioning");
		return;
	}
	add_str(e, "status", "ready");
	if (rc == 0) {
		pp_note("node '%s' (server %s, %s) is ready at %s", node,
			s->id, s->location ? s->location : "?",
			s->ipv4 ? s->ipv4 : "?");
		event(x, PP_EV_NODE_ADDED, node, s->id, s->type, s->location,
			"success", why);
	}
}

/* ---- nodes still provisioning from earlier runs --------------------- */

struct pend {
	char *node, *server_id, *type, *loc;
	const char *role;
	time_t created;
};

static void
pending_step(struct run *x, int must)
{
	struct pp_registry r;
	struct pend *p = NULL;
	size_t np = 0;
	char err[768];

	if (reg_open(x, &r, 0, err, sizeof err) < 0) {
		if (must)
			pp_die(PP_EXIT_USAGE, "%s", err);
		pp_warn("%s", err);
		return;
	}
	for (size_t i = 0; i < r.nnodes; i++) {
		const struct pp_node *n = &r.nodes[i];

		if (n->kind != PP_KIND_CLOUD || n->status !=
		    PP_ST_PROVISIONING || !n->server_id || !*n->server_id ||
		    (n->provider && strcmp(n->provider,
		    x->cloud->ops->name)))
			continue;
		p = pp_xreallocarray(p, np + 1, sizeof *p);
		p[np].node = pp_xstrdup(n->id);
		p[np].server_id = pp_xstrdup(n->server_id);
		p[np].type = n->server_type ? pp_xstrdup(n->server_type) :
			NULL;
		p[np].loc = n->location ? pp_xstrdup(n->location) : NULL;
		p[np].created = n->created_at;
		p[np].role = pp_role_name(n->role);
		np++;
	}
	pp_registry_close(&r);
	for (size_t i = 0; i < np && !pp_interrupted(); i++) {
		struct pp_server s;
		struct pp_cloud_error cerr;
		json_object *e;
		long long age = p[i].created && p[i].created <= x->now ?
			(long long)(x->now - p[i].created) : 0;

		if (pp_cloud_get(x->cloud, p[i].server_id, &s, &cerr) < 0) {
			if (strcmp(cerr.code, "not_found")) {
				pp_warn("node '%s': cannot look at server %s: "
					"%s", p[i].node, p[i].server_id,
					cerr.message);
				continue;
			}
			e = entry(x, "forget", p[i].node, p[i].server_id,
				p[i].node, p[i].type, p[i].loc, p[i].role);
			pp_warn("node '%s' was provisioning but its server %s "
				"is gone: removing the node", p[i].node,
				p[i].server_id);
			if (x->dry_run) {
				add_str(e, "status", "dry_run");
			} else if (reg_remove(x, p[i].node, p[i].server_id,
			    err, sizeof err) != 0) {
				entry_error(x, e, "registry", err);
			} else {
				add_str(e, "status", "removed");
				event(x, PP_EV_NODE_REMOVED, p[i].node,
					p[i].server_id, p[i].type, p[i].loc,
					"success", "its server is gone");
			}
			continue;
		}
		if (s.status && !strcmp(s.status, "running")) {
			e = entry(x, "promote", p[i].node, s.id, s.name,
				s.type, s.location, p[i].role);
			json_object_object_add(e, "seconds_to_running",
				json_object_new_int64(age));
			promote(x, p[i].node, &s, e, "its server, created by "
				"an earlier run, is running now");
		} else if (age > x->cfg->cloud.boot_timeout) {
			char why[256];

			snprintf(why, sizeof why, "not running %lld s after "
				"its creation (status '%s'; cloud.boot_timeout "
				"%ld s)", age, s.status ? s.status : "?",
				x->cfg->cloud.boot_timeout);
			e = entry(x, "expire", p[i].node, s.id, s.name, s.type,
				s.location, p[i].role);
			expire(x, p[i].node, s.id, s.type, s.location, e, why,
				0);
		} else {
			pp_debug("node '%s' is still booting (%s, %lld s)",
				p[i].node, s.status ? s.status : "?", age);
		}
		pp_server_free(&s);
	}
	for (size_t i = 0; i < np; i++) {
		free(p[i].node);
		free(p[i].server_id);
		free(p[i].type);
		free(p[i].loc);
	}
	free(p);
}

/* ---- waiting for new servers ---------------------------------------- */

static void
add_waiter(struct run *x, const char *node, const char *server_id,
	double t0, json_object *e)
{
	x->w = pp_xreallocarray(x->w, x->nw + 1, sizeof *x->w);
	x->w[x->nw].node = pp_xstrdup(node);
	x->w[x->nw].server_id = pp_xstrdup(server_id);
	x->w[x->nw].t0 = t0;
	x->w[x->nw].entry = e;
	x->w[x->nw].done = 0;
	x->nw++;
}

/* Polls every new server until it runs, up to cloud.boot_timeout from
 * its create; one that does not is deleted. On the local provider with
 * --now the clock stands still: one look, and what is not running yet
 * stays provisioning for a later run. */
static void
wait_all(struct run *x)
{
	double timeout = (double)x->cfg->cloud.boot_timeout;
	double poll = x->cfg->cloud.poll_interval > 0 ?
		x->cfg->cloud.poll_interval : 1;
	size_t left = x->nw;

	if (x->dry_run || !left)
		return;
	for (;;) {
		double nowm, next;

		for (size_t i = 0; i < x->nw; i++) {
			struct waiter *w = &x->w[i];
			struct pp_server s;
			struct pp_cloud_error err;

			if (w->done)
				continue;
			if (pp_cloud_get(x->cloud, w->server_id, &s,
			    &err) < 0) {
				if (!strcmp(err.code, "not_found")) {
					char msg[768];

					w->done = 1;
					left--;
					entry_error(x, w->entry, err.code,
						"the server disappeared while "
						"booting");
					add_str(w->entry, "status", "deleted");
					if (reg_remove(x, w->node,
					    w->server_id, msg, sizeof msg))
						pp_warn("%s", msg);
				} else {
					pp_debug("server %s: %s", w->server_id,
						err.message);
				}
				continue;
			}
			if (s.status && !strcmp(s.status, "running")) {
				w->done = 1;
				left--;
				json_object_object_add(w->entry,
					"seconds_to_running",
					pp_jnew_double(pp_monotonic() - w->t0,
					1));
				promote(x, w->node, &s, w->entry, x->why);
			}
			pp_server_free(&s);
		}
		if (!left)
			return;
		if (x->frozen || pp_interrupted()) {
			for (size_t i = 0; i < x->nw; i++) {
				if (x->w[i].done)
					continue;
				add_str(x->w[i].entry, "status",
					"provisioning");
				pp_note("node '%s' is still booting; a later "
					"run marks it ready", x->w[i].node);
			}
			if (x->frozen)
				set_reason(x, "pending", "%zu server(s) still "
					"booting: the --now clock stands "
					"still, a later run marks them ready",
					left);
			return;
		}
		nowm = pp_monotonic();
		next = nowm + poll;
		for (size_t i = 0; i < x->nw; i++) {
			struct waiter *w = &x->w[i];
			char why[256];

			if (w->done || nowm - w->t0 < timeout)
				continue;
			w->done = 1;
			left--;
			snprintf(why, sizeof why, "not running %.0f s after "
				"its creation (cloud.boot_timeout)", timeout);
			expire(x, w->node, w->server_id, pp_jstr(w->entry,
				"server_type", NULL), pp_jstr(w->entry,
				"location", NULL), w->entry, why, 1);
		}
		if (!left)
			return;
		for (size_t i = 0; i < x->nw; i++)
			if (!x->w[i].done && x->w[i].t0 + timeout < next)
				next = x->w[i].t0 + timeout;
		pp_sleep(next - pp_monotonic());
	}
}

/* ---- adopting orphans ------------------------------------------------ */

static int
prefixed(const struct pp_config *cfg, const char *name)
{
	const char *p = cfg->cloud.name_prefix ? cfg->cloud.name_prefix : "";

	return name && !strncmp(name, p, strlen(p)) &&
		strlen(name) > strlen(p);
}

static int
booting_or_running(const char *st)
{
	static const char *ok[] = {"initializing", "starting", "running"};

	for (size_t i = 0; st && i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(st, ok[i]))
			return 1;
	return 0;
}

/* Registers our servers that the registry lacks. Returns how many of
 * them are capacity (booting or running), or -1 when the cloud cannot
 * be listed (then nothing may be created: we would not know what
 * exists). */
static long
adopt(struct run *x, const char *role)
{
	struct pp_server_list l;
	struct pp_cloud_error err;
	struct pp_registry r;
	char *sel = pp_cloud_selector(x->cfg);
	char msg[768];
	long usable = 0;

	if (pp_cloud_list(x->cloud, sel, &l, &err) < 0) {
		free(sel);
		set_reason(x, "failed", "cannot list our servers before "
			"creating: %s", err.message);
		x->errors++;
		return -1;
	}
	free(sel);
	if (reg_open(x, &r, 0, msg, sizeof msg) < 0)
		pp_die(PP_EXIT_USAGE, "%s", msg);
	for (size_t i = 0; i < l.n; i++) {
		struct pp_server *s = &l.v[i];
		const char *pool = pp_strmap_get(&s->labels, "pool");
		const char *lrole = pp_strmap_get(&s->labels, "role");
		int known = 0, rc;
		json_object *e;
		const char *st;

		for (size_t j = 0; j < r.nnodes && !known; j++)
			known = (r.nodes[j].server_id &&
				!strcmp(r.nodes[j].server_id, s->id)) ||
				(s->name && !strcmp(r.nodes[j].id, s->name));
		if (known || !prefixed(x->cfg, s->name) ||
		    (x->cfg->cloud.pool && pool &&
		    strcmp(pool, x->cfg->cloud.pool)))
			continue;
		if (!lrole || (strcmp(lrole, "worker") &&
		    strcmp(lrole, "spare")))
			lrole = role;
		st = s->status && !strcmp(s->status, "running") ? "ready" :
			"provisioning";
		e = entry(x, "adopt", s->name, s->id, s->name, s->type,
			s->location, lrole);
		entry_ips(e, s);
		pp_warn("adopting server '%s' (id %s, %s): it carries our "
			"labels but is not in the registry", s->name, s->id,
			s->status ? s->status : "?");
		if (booting_or_running(s->status))
			usable++;
		if (x->dry_run) {
			add_str(e, "status", "dry_run");
			continue;
		}
		rc = reg_add(x, node_json(x, s, lrole, st), msg, sizeof msg);
		if (rc < 0) {
			entry_error(x, e, "registry", msg);
			continue;
		}
		add_str(e, "status", st);
		event(x, PP_EV_NODE_PROVISIONING, s->name, s->id, s->type,
			s->location, "success", "adopted an unregistered "
			"server of ours");
		if (!strcmp(st, "ready"))
			event(x, PP_EV_NODE_ADDED, s->name, s->id, s->type,
				s->location, "success", "adopted");
		else if (booting_or_running(s->status))
			add_waiter(x, s->name, s->id, pp_monotonic(), e);
	}
	pp_registry_close(&r);
	pp_server_list_free(&l);
	return usable;
}

/* ---- creating ----------------------------------------------------- */

static void
random_name(const struct pp_config *cfg, char *buf, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[SUFFIX_LEN];
	char sfx[SUFFIX_LEN + 1];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, rnd, sizeof rnd) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof rnd) {
		/* no urandom: still unlikely to collide, and a collision
		 * is a uniqueness_error that gets a new name */
		srand((unsigned)(pp_monotonic() * 1e6) ^ (unsigned)getpid());
		for (size_t i = 0; i < sizeof rnd; i++)
			rnd[i] = (unsigned char)rand();
	}
	for (size_t i = 0; i < SUFFIX_LEN; i++)
		sfx[i] = set[rnd[i] % (sizeof set - 1)];
	sfx[SUFFIX_LEN] = '\0';
	snprintf(buf, len, "%s%s", cfg->cloud.name_prefix ?
		cfg->cloud.name_prefix : "", sfx);
}

/* Where to try: the decision's location, then the configured ones
 * that have not refused this type lately and (when the catalog knows
 * the type) sell it there. */
static struct pp_strlist
locations(struct run *x, const char *type, const char *first)
{
	struct pp_strlist l = {0};
	const struct pp_server_type *t = x->have_cat ?
		pp_catalog_find(&x->cat, type) : NULL;

	l.v = pp_xcalloc(x->cfg->cloud.locations.n + 1, sizeof *l.v);
	if (first && *first)
		l.v[l.n++] = pp_xstrdup(first);
	for (size_t i = 0; i < x->cfg->cloud.locations.n; i++) {
		const char *loc = x->cfg->cloud.locations.v[i];
		const struct pp_price *p = t ? pp_type_price(t, loc) : NULL;

		if ((first && !strcmp(loc, first)) || refused(x, type, loc) ||
		    refused(x, NULL, loc) || (t && (!p || !p->available)))
			continue;
		l.v[l.n++] = pp_xstrdup(loc);
	}
	return l;
}

static void
free_strlist(struct pp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* A failed create that still left a server (the create action timed
 * out, or the provider could not delete a server whose create failed):
 * delete it, or failing that keep it registered so it is never an
 * orphan. Returns 1 when it is registered and worth waiting for. */
static int
leftover(struct run *x, struct pp_server *s, const char *role,
	const struct pp_cloud_error *cerr, json_object *e)
{
	struct pp_server g;
	struct pp_cloud_error err;
	char msg[768];

	if (!s->id || x->dry_run)
		return 0;
	if (pp_cloud_get(x->cloud, s->id, &g, &err) < 0 &&
	    !strcmp(err.code, "not_found"))
		return 0;
	pp_server_free(&g);
	if (!strcmp(cerr->code, "timeout") ||
	    !strcmp(cerr->code, "action_unknown")) {
		/* it was made; the boot wait decides its fate */
		if (reg_add(x, node_json(x, s, role, "provisioning"), msg,
		    sizeof msg) < 0) {
			pp_warn("%s", msg);
		} else {
			json_object_object_add(e, "error", NULL);
			return 1;
		}
	}
	if (delete_server(x, s->id, &err) == 0)
		return 0;
	pp_warn("server '%s' (id %s) failed to be created and cannot be "
		"deleted (%s): registering it so it is not lost", s->name,
		s->id, err.message);
	if (reg_add(x, node_json(x, s, role, "provisioning"), msg,
	    sizeof msg) < 0)
		pp_warn("%s; server %s carries our labels: the next "
			"pp-provision adopts it", msg, s->id);
	return 0;
}

/* Creates one server and registers it. Returns 0, -1 after a failure
 * (recorded), -2 when no further create should be tried either. */
static int
create_one(struct run *x, const char *type, const char *first_loc,
	const char *role)
{
	struct pp_strmap labels = {0};
	struct pp_strlist locs = locations(x, type, first_loc);
	struct pp_server_spec spec;
	struct pp_server s;
	struct pp_cloud_error err;
	json_object *e, *tried = json_object_new_array();
	char name[128], msg[768];
	char *ud = NULL;
	size_t udlen;
	int status, rc = -1, stop = 0, made = 0;
	double t0 = 0;

	memset(&s, 0, sizeof s);
	memset(&err, 0, sizeof err);
	memset(&spec, 0, sizeof spec);
	pp_cloud_labels(x->cfg, role, &labels);
	random_name(x->cfg, name, sizeof name);
	e = entry(x, "create", name, NULL, name, type, NULL, role);
	json_object_object_add(e, "tried", tried);
	if (!locs.n) {
		add_str(e, "status", "failed");
		entry_error(x, e, "resource_unavailable", "no location left "
			"to try: every configured one refused this type "
			"lately");
		goto out;
	}
	for (int attempt = 0; attempt < NAME_TRIES && !made; attempt++) {
		if (attempt) {
			random_name(x->cfg, name, sizeof name);
			add_str(e, "node", name);
			add_str(e, "name", name);
		}
		pp_cloudinit_free(ud);
		ud = pp_cloudinit_render(x->cfg, name, NULL, x->dry_run,
			&udlen, &status, msg, sizeof msg);
		if (!ud) {
			if (status == PP_EXIT_USAGE)
				pp_die(PP_EXIT_USAGE, "cannot render cloud-init "
					"for '%s': %s", name, msg);
			add_str(e, "status", "failed");
			entry_error(x, e, "cloud_init", msg);
			stop = 1;
			goto out;
		}
		memset(&spec, 0, sizeof spec);
		spec.name = name;
		spec.type = type;
		spec.image = x->cfg->cloud.image;
		spec.user_data = ud;
		spec.labels = &labels;
		spec.ssh_keys = &x->cfg->cloud.ssh_keys;
		spec.networks = &x->cfg->cloud.networks;
		spec.firewalls = &x->cfg->cloud.firewalls;
		spec.placement_group = x->cfg->cloud.placement_group;
		for (size_t i = 0; i < locs.n && !made; i++) {
			json_object *t = json_object_new_object();

			spec.location = locs.v[i];
			t0 = pp_monotonic();
			pp_server_free(&s);
			if (pp_cloud_create(x->cloud, &spec, &s, &err) == 0) {
				made = 1;
				add_str(t, "location", locs.v[i]);
				add_str(t, "code", NULL);
				json_object_array_add(tried, t);
				break;
			}
			add_str(t, "location", locs.v[i]);
			add_str(t, "code", err.code);
			json_object_array_add(tried, t);
			pp_warn("cannot create server '%s' (%s) in '%s': %s",
				name, type, locs.v[i], err.message);
			if (!strcmp(err.code, "resource_unavailable")) {
				add_refusal(x, type, locs.v[i], &err);
				continue;
			}
			break;
		}
		if (made || strcmp(err.code, "uniqueness_error") || s.id)
			break;
	}
	if (!made) {
		add_str(e, "location", spec.location);
		add_str(e, "server_id", s.id);
		add_str(e, "status", "failed");
		entry_error(x, e, err.code, err.message);
		if (!strcmp(err.code, "resource_limit_exceeded") ||
		    !strcmp(err.code, "unauthorized") ||
		    !strcmp(err.code, "forbidden") ||
		    !strcmp(err.code, "rate_limit_exceeded"))
			stop = 1;
		event(x, PP_EV_SCALING_FAILED, name, s.id, type,
			spec.location, "failed", err.message);
		if (leftover(x, &s, role, &err, e)) {
			add_str(e, "status", "provisioning");
			add_waiter(x, name, s.id, t0, e);
		}
		goto out;
	}
	add_str(e, "server_id", s.id);
	add_str(e, "location", s.location ? s.location : spec.location);
	entry_ips(e, &s);
	if (x->dry_run) {
		add_str(e, "status", "dry_run");
		rc = 0;
		goto out;
	}
	/* the step in hand: registered, or undone */
	if (reg_add(x, node_json(x, &s, role, "provisioning"), msg,
	    sizeof msg) != 0) {
		struct pp_cloud_error derr;

		pp_warn("server '%s' (id %s) created but not registered: %s; "
			"deleting it", name, s.id, msg);
		if (delete_server(x, s.id, &derr) < 0)
			pp_warn("cannot delete server %s: %s; it carries our "
				"labels: the next pp-provision adopts it", s.id,
				derr.message);
		add_str(e, "status", "deleted");
		entry_error(x, e, "registry", msg);
		event(x, PP_EV_SCALING_FAILED, name, s.id, type, s.location,
			"failed", msg);
		stop = 1;
		goto out;
	}
	add_str(e, "status", "provisioning");
	pp_note("created server '%s' (id %s, %s in %s), registered as "
		"provisioning", name, s.id, type, s.location);
	event(x, PP_EV_NODE_PROVISIONING, name, s.id, type, s.location,
		"success", x->why);
	add_waiter(x, name, s.id, t0, e);
	rc = 0;
out:
	pp_cloudinit_free(ud);
	pp_server_free(&s);
	pp_strmap_clear(&labels);
	free_strlist(&locs);
	return rc < 0 && stop ? -2 : rc;
}

static void
load_catalog(struct run *x)
{
	json_object *st = pp_jget(x->doc, "server_types");
	char msg[256];

	if (st && pp_catalog_from_json(st, &x->cat, msg, sizeof msg) == 0) {
		x->have_cat = 1;
		return;
	}
	if (st)
		pp_catalog_free(&x->cat);
	pp_catalog_get(x->cfg, x->cloud, x->o->state_dir, !x->dry_run,
		&x->cat);
	x->have_cat = 1;
}

static void
scale_up(struct run *x, json_object *dec)
{
	const char *type = pp_jstr(dec, "server_type", NULL);
	const char *loc = pp_jstr(dec, "location", NULL);
	const char *role = pp_jstr(dec, "role", NULL);
	long long count = pp_jint(dec, "count", 0);
	long adopted, made = 0, failed = 0;

	if (!strcmp(x->action, "provision_spare"))
		role = "spare";
	else if (!role || (strcmp(role, "worker") && strcmp(role, "spare")))
		role = "worker";
	if (!type || !*type)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"names no server_type", x->action);
	if (count < 1 || count > MAX_COUNT)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"has count %lld (expected 1 to %d)", x->action, count,
			MAX_COUNT);
	if (!pp_catalog_find(&x->cat, type))
		pp_die(PP_EXIT_USAGE, "bad document on stdin: server type "
			"'%s' is not in the catalog", type);
	x->acted = 1;
	adopted = adopt(x, role);
	if (adopted < 0)
		return;
	if (adopted)
		pp_note("adopted %ld server(s) of ours; %lld more to create",
			adopted, count > adopted ? count - adopted : 0);
	for (long long i = adopted; i < count; i++) {
		int rc;

		if (pp_interrupted()) {
			set_reason(x, "interrupted", "interrupted after %ld "
				"of %lld server(s)", made, count - adopted);
			x->errors++;
			break;
		}
		rc = create_one(x, type, loc, role);
		if (rc == 0) {
			made++;
			continue;
		}
		failed++;
		/* what failed once (every location refused, a limit) fails
		 * again: no retry storm */
		break;
	}
	wait_all(x);
	if (!x->status) {
		if (failed && (made || adopted))
			set_reason(x, "partial", "%ld of %lld server(s) in "
				"place; a create failed", made + adopted,
				count);
		else if (failed)
			set_reason(x, "failed", "no server created");
		else
			set_reason(x, x->dry_run ? "dry_run" : "done",
				"%ld created, %ld adopted", made, adopted);
	}
}

/* ---- scale-down -------------------------------------------------------- */

static void
scale_down(struct run *x, json_object *dec)
{
	const char *node = pp_jstr(dec, "node", NULL);
	json_object *drain = pp_jget(x->doc, "drain");
	struct pp_registry r;
	struct pp_cloud_error err;
	struct pp_node *n;
	json_object *e;
	char msg[768];
	char *sid, *type, *loc;
	int rc;

	if (!node || !*node)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision "
			"'scale_down' names no node");
	if (!drain || strcmp(pp_jstr(drain, "node", ""), node) ||
	    !pp_jbool(drain, "empty", 0)) {
		set_reason(x, "skipped", "node '%s' is not drained yet "
			"(drain: %s)", node, drain ? pp_jstr(drain, "status",
			"?") : "no drain section");
		x->touched = 1;
		return;
	}
	x->acted = 1;
	rc = reg_open(x, &r, x->dry_run ? 0 : PP_LOCK_EX, msg, sizeof msg);
	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", msg);
	n = pp_registry_find(&r, node);
	if (!n) {
		pp_warn("node '%s' is not in the registry: nothing to delete",
			node);
		set_reason(x, "done", "node '%s' was already removed", node);
		x->touched = 1;
		pp_registry_close(&r);
		return;
	}
	e = entry(x, "delete", node, n->server_id, n->server_name,
		n->server_type, n->location, pp_role_name(n->role));
	if (n->kind != PP_KIND_CLOUD || !n->server_id || !*n->server_id)
		snprintf(msg, sizeof msg, "node '%s' is not a cloud node "
			"with a server id", node);
	else if (n->provider && strcmp(n->provider, x->cloud->ops->name))
		snprintf(msg, sizeof msg, "node '%s' belongs to provider "
			"'%s', not '%s'", node, n->provider,
			x->cloud->ops->name);
	else if (n->status != PP_ST_DRAINING)
		snprintf(msg, sizeof msg, "node '%s' is %s, not draining",
			node, pp_status_name(n->status));
	else if (n->ncontainers)
		snprintf(msg, sizeof msg, "node '%s' still has %zu game "
			"server(s) recorded on it (%zu stopped)", node,
			n->ncontainers, n->stopped);
	else
		msg[0] = '\0';
	if (msg[0]) {
		pp_warn("refusing to delete: %s", msg);
		add_str(e, "status", "refused");
		set_reason(x, "refused", "%s", msg);
		event(x, PP_EV_SCALING_FAILED, node, n->server_id,
			n->server_type, n->location, "refused", msg);
		pp_registry_close(&r);
		return;
	}
	sid = pp_xstrdup(n->server_id);
	type = n->server_type ? pp_xstrdup(n->server_type) : NULL;
	loc = n->location ? pp_xstrdup(n->location) : NULL;
	/* the lock stays held: nothing may land on the node between the
	 * check and the delete; the deadline keeps that short */
	pp_cloud_set_deadline(x->cloud, pp_monotonic() + DELETE_LOCK_BUDGET);
	rc = pp_cloud_delete(x->cloud, sid, &err);
	pp_cloud_set_deadline(x->cloud, 0);
	if (rc < 0 && !strcmp(err.code, "not_found")) {
		pp_warn("server %s of node '%s' was already gone; removing "
			"the node", sid, node);
		rc = 0;
	}
	if (rc < 0) {
		add_str(e, "status", "failed");
		entry_error(x, e, err.code, err.message);
		set_reason(x, "failed", "cannot delete server %s of node "
			"'%s': %s", sid, node, err.message);
		event(x, PP_EV_SCALING_FAILED, node, sid, type, loc, "failed",
			err.message);
	} else if (x->dry_run) {
		add_str(e, "status", "dry_run");
		set_reason(x, "dry_run", "would delete server %s and remove "
			"node '%s'", sid, node);
	} else {
		pp_registry_remove(&r, node);
		if (pp_registry_save(&r) < 0) {
			snprintf(msg, sizeof msg, "server %s deleted, but node "
				"'%s' cannot be removed from registry '%s': %s",
				sid, node, x->rpath, strerror(errno));
			pp_warn("%s", msg);
			add_str(e, "status", "deleted");
			entry_error(x, e, "registry", msg);
			set_reason(x, "failed", "%s", msg);
		} else {
			add_str(e, "status", "removed");
			set_reason(x, "done", "deleted server %s, removed node "
				"'%s'", sid, node);
			pp_note("deleted server %s, removed node '%s'", sid,
				node);
			event(x, PP_EV_NODE_REMOVED, node, sid, type, loc,
				"success", x->why);
		}
	}
	pp_registry_close(&r);
	free(sid);
	free(type);
	free(loc);
}

/* ---- the run ---------------------------------------------------------- */

static json_object *
dry_requests(struct run *x)
{
	json_object *all = pp_cloud_requests_json(x->cloud);
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *q = json_object_array_get_idx(all, i);

		if (pp_jbool(q, "sent", 1))
			continue;
		json_object_array_add(out, json_object_get(q));
		if (pp_verbosity >= 0)
			fprintf(stderr, "%s: dry run: %s %s%s%s\n",
				pp_progname, pp_jstr(q, "method", "?"),
				pp_jstr(q, "path", "?"),
				pp_jget(q, "body") ? " " : "",
				pp_jget(q, "body") ?
				json_object_to_json_string_ext(pp_jget(q,
				"body"), JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE) : "");
	}
	json_object_put(all);
	return out;
}

static json_object *
section(struct run *x)
{
	json_object *p = json_object_new_object();

	add_str(p, "action", x->action);
	add_str(p, "status", x->status ? x->status : (x->errors ? "failed" :
		x->dry_run ? "dry_run" : "done"));
	json_object_object_add(p, "dry_run",
		json_object_new_boolean(x->dry_run));
	add_str(p, "provider", x->cloud ? x->cloud->ops->name : NULL);
	json_object_object_add(p, "errors", json_object_new_int(x->errors));
	json_object_object_add(p, "servers", json_object_get(x->servers));
	json_object_object_add(p, "refusals", json_object_get(x->refusals));
	if (x->dry_run && x->cloud)
		json_object_object_add(p, "requests", dry_requests(x));
	add_str(p, "reason", x->reason[0] ? x->reason : NULL);
	return p;
}

static void
open_cloud(struct run *x, int needed)
{
	x->cloud = pp_cloud_open(x->cfg, x->o->state_dir, &x->cloud_err);
	if (!x->cloud) {
		if (needed)
			pp_die(!strcmp(x->cloud_err.code, "config") ?
				PP_EXIT_USAGE : PP_EXIT_FAIL, "cannot use the "
				"cloud: %s", x->cloud_err.message);
		pp_warn("cannot use the cloud: %s; nodes still provisioning "
			"are left as they are", x->cloud_err.message);
		return;
	}
	pp_cloud_set_dry_run(x->cloud, x->dry_run);
	x->frozen = !strcmp(x->cloud->ops->name, "local") &&
		pp_opt.now_arg != NULL;
}

int
pp_provision_run(const struct pp_config *cfg,
	const struct pp_provision_opts *o, json_object *doc)
{
	struct run x;
	json_object *dec = pp_jget(doc, "decision");
	const char *result = NULL;
	int up, down;

	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.o = o;
	x.doc = doc;
	x.now = pp_now();
	x.m0 = pp_monotonic();
	x.action = pp_jstr(dec, "action", "none");
	x.why = pp_jstr(dec, "reason", NULL);
	x.dry_run = o->dry_run || pp_jbool(dec, "dry_run", 0);
	up = !strcmp(x.action, "scale_up") ||
		!strcmp(x.action, "provision_spare");
	down = !strcmp(x.action, "scale_down");
	if (dec && !up && !down && strcmp(x.action, "uncordon") &&
	    strcmp(x.action, "none"))
		pp_die(PP_EXIT_USAGE, "bad document on stdin: unknown "
			"decision action '%s'", x.action);
	x.rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	x.spath = pp_state_path(cfg, o->state_dir, "state.json");
	x.servers = json_object_new_array();
	x.refusals = json_object_new_object();
	if (!x.dry_run) {
		char *events = pp_events_path(cfg, o->state_dir);

		pp_events_init(cfg, events);
		free(events);
		pp_metrics_init(cfg, o->state_dir);
	}
	open_cloud(&x, up || down);
	if (x.cloud) {
		pending_step(&x, up || down);
		if (up) {
			read_refusals(&x);
			load_catalog(&x);
			scale_up(&x, dec);
		} else if (down) {
			scale_down(&x, dec);
		}
	}
	if (pp_interrupted()) {
		x.errors++;
		if (!x.status || strcmp(x.status, "interrupted"))
			set_reason(&x, "interrupted", "interrupted: nodes "
				"still booting stay provisioning; the next "
				"run finishes them");
	}
	if (x.acted)
		result = x.errors ? "failed" : x.status &&
			!strcmp(x.status, "refused") ? "skipped" : "success";
	else if (x.touched && down)
		result = "skipped";
	update_state(&x, result);
	if (x.touched || x.acted || json_object_object_length(x.refusals))
		json_object_object_add(doc, "provision", section(&x));
	if (x.errors)
		pp_error("%s: %d error(s): %s", x.action, x.errors,
			x.reason[0] ? x.reason : "see the provision section");
	for (size_t i = 0; i < x.nw; i++) {
		free(x.w[i].node);
		free(x.w[i].server_id);
	}
	free(x.w);
	json_object_put(x.servers);
	json_object_put(x.refusals);
	json_object_put(x.state_refusals);
	if (x.have_cat)
		pp_catalog_free(&x.cat);
	pp_cloud_close(x.cloud);
	free(x.rpath);
	free(x.spath);
	return x.errors ? PP_EXIT_FAIL : PP_EXIT_OK;
}
