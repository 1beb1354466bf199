/* pp-drain's work. The registry is the truth and other writers (the
 * platform, other pp-drains, pp-provision) change it at any time, so
 * its lock is held only for a read-check-write, never while a hook
 * runs, and every move is checked against a fresh read just before it
 * starts and recorded under the lock just after it ends. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/placement.h"
#include "run/drainrun.h"
#include "store/events.h"
#include "base/hook.h"
#include "store/registry.h"
#include "base/util.h"

enum mode { M_SCALE_DOWN, M_MAINTENANCE, M_UNCORDON };
static const char *mode_names[] = {"scale_down", "maintenance",
	"uncordon"};

/* How long a move waits for another pp-drain's move onto the same
 * target, beyond the move timeout. */
#define TARGET_LOCK_SLACK 30

struct run {
	const struct pp_config *cfg;
	const struct pp_drain_opts *o;
	char *rpath, *sdir;
	const char *node;
	enum mode mode;
	int manual;           /* --node */
	int dry_run;
	const char *why;      /* decision.reason */
	time_t t0;            /* pp_now() at start */
	double m0;            /* pp_monotonic() at start */
	struct pp_lock nodelock;
	int passes;
	int stop;             /* a pass found no point in another */
	int changed;          /* cordoned or moved something */
	int gone;             /* the node is not in the registry */

	const char *status;
	char reason[768];
	int empty;
	long remaining;
	time_t since;         /* draining_since (now when not yet) */
	int recorded;         /* since is in the registry */
	json_object *planned, *moved, *failed, *skipped, *waiting;
};

/* --now is where the clock starts; it runs on from there, so that a
 * --wait with --now still sees grace times pass. */
static time_t
run_now(const struct run *x)
{
	return x->t0 + (time_t)(pp_monotonic() - x->m0);
}

static void
set_status(struct run *x, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_status(struct run *x, const char *status, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof x->reason, fmt, ap);
	va_end(ap);
}

static json_object *
fields(const char *node)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "node", json_object_new_string(node));
	return f;
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void
event(struct run *x, const char *type, json_object *f)
{
	if (x->dry_run) {
		json_object_put(f);
		return;
	}
	pp_event(type, f);
}

/* A file name for a per-node lock: the id with anything outside
 * [A-Za-z0-9._-] replaced, so an id cannot point outside the dir. */
static char *
lock_path(const char *dir, const char *prefix, const char *id)
{
	char *p = pp_xasprintf("%s/%s%s", dir, prefix, id);
	char *s = p + strlen(dir) + 1 + strlen(prefix);

	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			*s = '_';
	return p;
}

static void
open_registry(struct run *x, struct pp_registry *r, int mode)
{
	char err[768];
	int rc = pp_registry_open(r, x->rpath, mode, err, sizeof err);

	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", err);
}

/* Like open_registry, but for recording a move that has happened:
 * failing is reported, not fatal, so the document still says what
 * was done. */
static int
try_open_registry(struct run *x, struct pp_registry *r, int mode, char *err,
	size_t errlen)
{
	return pp_registry_open(r, x->rpath, mode, err, errlen) < 0 ? -1 : 0;
}

static struct pp_container *
find_container(struct pp_node *n, const char *id)
{
	for (size_t i = 0; n && i < n->ncontainers; i++)
		if (!strcmp(n->containers[i].id, id))
			return &n->containers[i];
	return NULL;
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
	    mode_names[x->mode] : NULL) < 0 || pp_registry_save(r) < 0)
		pp_die(PP_EXIT_FAIL, "cannot mark node '%s' draining in "
			"registry '%s':", id, x->rpath);
	x->since = now;
	if (was != PP_ST_DRAINING) {
		json_object *f = fields(id);

		x->changed = 1;
		pp_note("node '%s' is now draining (%s)", id,
			mode_names[x->mode]);
		add_str(f, "by", mode_names[x->mode]);
		add_str(f, "reason", x->why);
		json_object_object_add(f, "containers",
			json_object_new_int64((long long)nc));
		event(x, "node.draining", f);
	}
}

/* Why this node must not be drained now, or NULL. */
static const char *
refusal(struct run *x, const struct pp_node *n, char *buf, size_t len)
{
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
	if (n->status == PP_ST_PROVISIONING) {
		snprintf(buf, len, "node '%s' is still provisioning", n->id);
		return buf;
	}
	if (x->mode == M_SCALE_DOWN && n->status == PP_ST_UNHEALTHY) {
		snprintf(buf, len, "node '%s' is unhealthy: a scale-down "
			"drains only ready or draining nodes (for "
			"maintenance: pp-drain --node %s)", n->id, n->id);
		return buf;
	}
	return NULL;
}

static void
add_waiting(struct run *x, const char *server, long long players,
	time_t until)
{
	json_object *w = json_object_new_object();

	add_str(w, "server", server);
	json_object_object_add(w, "players", json_object_new_int64(players));
	json_object_object_add(w, "until", pp_jnew_time(until));
	json_object_array_add(x->waiting, w);
}

static void
add_problem(json_object *list, const char *server, const char *to,
	const char *key, const char *text)
{
	json_object *o = json_object_new_object();

	add_str(o, "server", server);
	add_str(o, "to", to);
	add_str(o, key, text);
	json_object_array_add(list, o);
}

static int
in_grace(const struct run *x, long long players, time_t now)
{
	return players > 0 && now < x->since + x->cfg->drain.player_grace;
}

/* Records a move that the hook has carried out. */
static int
record_move(struct run *x, const struct pp_move *m, char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_node *from, *to;
	char rerr[768];

	if (try_open_registry(x, &r, PP_LOCK_EX, rerr, sizeof rerr) < 0) {
		snprintf(err, errlen, "moved, but not recorded: %s", rerr);
		return -1;
	}
	from = pp_registry_find(&r, m->from);
	to = pp_registry_find(&r, m->to);
	if (!find_container(from, m->server)) {
		/* the platform (or the hook) has recorded it already */
		pp_debug("game server '%s' is no longer recorded on '%s'",
			m->server, m->from);
		pp_registry_close(&r);
		return 0;
	}
	if (!to) {
		snprintf(err, errlen, "moved, but target '%s' is gone from "
			"the registry: '%s' stays recorded on '%s'", m->to,
			m->server, m->from);
		pp_registry_close(&r);
		return -1;
	}
	pp_registry_move(&r, m->from, m->to, m->server);
	/* nothing reads this registry again: written, not re-indexed */
	if (pp_registry_commit(&r) < 0) {
		snprintf(err, errlen, "moved, but cannot save registry '%s': "
			"%s", x->rpath, strerror(errno));
		return -1;
	}
	return 0;
}

/* One move: re-check against a fresh registry, run the hook, record.
 * Moves onto one target are serialised across pp-drain processes by
 * a lock per target, so two drains never both count the same free
 * RAM. */
static void
do_move(struct run *x, const struct pp_move *planned)
{
	const struct pp_config *cfg = x->cfg;
	struct pp_move m = *planned;
	struct pp_registry r;
	struct pp_node *from, *to;
	struct pp_container *c;
	struct pp_lock tl = {-1};
	char err[1024], *tpath, *desc, *to_ip = NULL;
	char **argv;
	time_t now = run_now(x);
	double t;

	tpath = lock_path(x->sdir, "drain-target-", m.to);
	if (pp_lock(&tl, tpath, PP_LOCK_EX, (double)cfg->drain.move_timeout +
	    TARGET_LOCK_SLACK) < 0) {
		snprintf(err, sizeof err, "another pp-drain is still moving "
			"onto '%s' (%s); re-planned next cycle", m.to,
			strerror(errno));
		add_problem(x->skipped, m.server, m.to, "reason", err);
		free(tpath);
		return;
	}
	free(tpath);

	open_registry(x, &r, 0);
	from = pp_registry_find(&r, m.from);
	to = pp_registry_find(&r, m.to);
	c = find_container(from, m.server);
	if (!from || from->status != PP_ST_DRAINING) {
		x->stop = 1;
		set_status(x, "in_progress", "node '%s' is no longer "
			"draining; drain stopped", m.from);
		goto out;
	}
	if (!c) {
		add_problem(x->skipped, m.server, m.to, "reason",
			"no longer recorded on the node");
		goto out;
	}
	if (in_grace(x, c->players, now)) {
		add_waiting(x, m.server, c->players, x->since +
			cfg->drain.player_grace);
		goto out;
	}
	if (!to || !pp_drain_target_ok(to)) {
		snprintf(err, sizeof err, "target '%s' is no longer ready; "
			"re-planned next cycle", m.to);
		add_problem(x->skipped, m.server, m.to, "reason", err);
		goto out;
	}
	if (pp_container_ram(c) > pp_node_free_ram(to)) {
		snprintf(err, sizeof err, "target '%s' has %lld MB free now, "
			"'%s' needs %lld MB; re-planned next cycle", m.to,
			pp_node_free_ram(to), m.server, pp_container_ram(c));
		add_problem(x->skipped, m.server, m.to, "reason", err);
		goto out;
	}
	m.ram_mb = pp_container_ram(c);
	m.state = c->state;
	m.players = c->players;
	to_ip = pp_xstrdup(to->ip ? to->ip : "");
	m.to_ip = to_ip;
	pp_registry_close(&r);

	{
		const struct pp_hook_var vars[] = {
			{"server", m.server}, {"from", m.from}, {"to", m.to},
			{"to_ip", m.to_ip},
		};

		argv = pp_hook_argv(cfg->drain.move_command.v,
			cfg->drain.move_command.n, vars,
			sizeof vars / sizeof *vars);
	}
	desc = pp_hook_describe(argv);
	pp_note("moving game server '%s' from '%s' to '%s': %s", m.server,
		m.from, m.to, desc);
	free(desc);
	t = pp_monotonic();
	if (pp_hook_run(argv, (double)cfg->drain.move_timeout, err,
	    sizeof err) < 0) {
		json_object *f = fields(m.from);

		pp_warn("cannot move game server '%s' to '%s': move hook "
			"failed: %s", m.server, m.to, err);
		add_problem(x->failed, m.server, m.to, "error", err);
		add_str(f, "server", m.server);
		add_str(f, "to", m.to);
		add_str(f, "error", err);
		event(x, "drain.move_failed", f);
	} else if (record_move(x, &m, err, sizeof err) < 0) {
		json_object *f = fields(m.from);

		pp_warn("game server '%s': %s", m.server, err);
		add_problem(x->failed, m.server, m.to, "error", err);
		add_str(f, "server", m.server);
		add_str(f, "to", m.to);
		add_str(f, "error", err);
		event(x, "drain.move_failed", f);
	} else {
		json_object *mv = pp_move_json(&m), *f = fields(m.from);
		double secs = pp_monotonic() - t;

		x->changed = 1;
		json_object_object_add(mv, "seconds", pp_jnew_double(secs, 1));
		json_object_array_add(x->moved, mv);
		add_str(f, "server", m.server);
		add_str(f, "to", m.to);
		json_object_object_add(f, "ram_mb", json_object_new_int64(
			m.ram_mb));
		json_object_object_add(f, "seconds", pp_jnew_double(secs, 1));
		event(x, "server.moved", f);
	}
	pp_hook_argv_free(argv);
	free(to_ip);
	pp_unlock(&tl);
	return;
out:
	pp_registry_close(&r);
	pp_unlock(&tl);
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
		if (in_grace(x, p->moves[i].players, now))
			add_waiting(x, p->moves[i].server,
				p->moves[i].players,
				x->since + x->cfg->drain.player_grace);
}

static long
count_on(struct run *x, int *missing)
{
	struct pp_registry r;
	struct pp_node *n;
	long c;

	open_registry(x, &r, 0);
	n = pp_registry_find(&r, x->node);
	*missing = !n;
	c = n ? (long)n->ncontainers : 0;
	pp_registry_close(&r);
	return c;
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
	set_status(x, "in_progress", "%s", b.s);
	pp_buf_free(&b);
}

static void
drain_pass(struct run *x)
{
	struct pp_registry r;
	struct pp_node *n;
	struct pp_plan plan;
	char buf[512];
	const char *why;
	time_t now = run_now(x);
	size_t nc;
	int missing;

	reset_pass(x);
	open_registry(x, &r, x->dry_run ? 0 : PP_LOCK_EX);
	n = pp_registry_find(&r, x->node);
	if (!n) {
		x->gone = x->stop = 1;
		set_status(x, "refused", "node '%s' is not in the registry",
			x->node);
		pp_registry_close(&r);
		return;
	}
	why = refusal(x, n, buf, sizeof buf);
	if (why) {
		set_status(x, x->stop ? "in_progress" : "refused", "%s", why);
		x->stop = 1;
		x->remaining = (long)n->ncontainers;
		pp_registry_close(&r);
		return;
	}
	x->recorded = n->status == PP_ST_DRAINING && n->draining_since;
	x->since = x->recorded ? n->draining_since : now;
	pp_drain_plan(&r, x->node, &plan);
	for (size_t i = 0; i < plan.n; i++)
		json_object_array_add(x->planned,
			pp_move_json(&plan.moves[i]));
	nc = n->ncontainers;
	x->remaining = (long)nc;
	if (nc == 0) {
		if (!x->dry_run)
			cordon(x, &r, x->node, now);
		x->empty = 1;
		set_status(x, "empty", "node '%s' holds no game servers",
			x->node);
		goto done;
	}
	if (!plan.ok) {
		/* an operator taking a machine down wants it cordoned even
		 * while its game servers have nowhere to go; a scale-down
		 * that cannot finish leaves the capacity in service */
		if (!x->dry_run && x->mode == M_MAINTENANCE)
			cordon(x, &r, x->node, now);
		set_status(x, "blocked", "nothing moved: %s", plan.reason);
		if (x->passes == 0) {
			json_object *f = fields(x->node);

			add_str(f, "reason", plan.reason);
			event(x, "drain.blocked", f);
		}
		goto done;
	}
	if (x->dry_run && x->cfg->drain.move_command.n == 0) {
		/* what the real run would do: cordon, then stop short */
		plan_waiting(x, &plan, now);
		set_status(x, "blocked", "dry run: drain.move_command is not "
			"configured: a real run would cordon '%s' and could "
			"not move its %zu game server%s", x->node, nc,
			nc == 1 ? "" : "s");
		goto done;
	}
	if (x->dry_run) {
		plan_waiting(x, &plan, now);
		set_status(x, "planned", "dry run: would move %zu game "
			"server%s off '%s' (%zu waiting for players)", plan.n,
			plan.n == 1 ? "" : "s", x->node,
			json_object_array_length(x->waiting));
		goto done;
	}
	cordon(x, &r, x->node, now);
	pp_registry_close(&r);
	if (x->cfg->drain.move_command.n == 0) {
		plan_waiting(x, &plan, now);
		set_status(x, "blocked", "drain.move_command is not "
			"configured: pp-drain cannot move the %zu game "
			"server%s on '%s' (the node stays draining until they "
			"are moved or stopped and removed by other means)",
			nc, nc == 1 ? "" : "s", x->node);
		pp_plan_free(&plan);
		return;
	}
	for (size_t i = 0; i < plan.n && !x->stop && !pp_interrupted(); i++)
		do_move(x, &plan.moves[i]);
	pp_plan_free(&plan);
	x->remaining = count_on(x, &missing);
	if (missing) {
		x->gone = x->stop = 1;
		set_status(x, "refused", "node '%s' was removed from the "
			"registry while draining", x->node);
	} else if (x->remaining == 0 && !x->stop) {
		/* a node returned to service meanwhile is not "empty": that
		 * would invite its deletion */
		x->empty = 1;
		set_status(x, "empty", "node '%s' holds no game servers",
			x->node);
	} else if (!x->status) {
		summarise(x);
	}
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
	open_registry(x, &r, x->dry_run ? 0 : PP_LOCK_EX);
	n = pp_registry_find(&r, x->node);
	if (!n) {
		x->gone = 1;
		set_status(x, "refused", "node '%s' is not in the registry",
			x->node);
		goto out;
	}
	x->remaining = (long)n->ncontainers;
	by = n->draining_by ? n->draining_by : "";
	if (n->status == PP_ST_READY) {
		set_status(x, "uncordoned", "node '%s' is already ready",
			x->node);
	} else if (n->status != PP_ST_DRAINING) {
		set_status(x, "refused", "node '%s' is %s; only a draining "
			"node can be uncordoned", x->node,
			pp_status_name(n->status));
	} else if (!x->manual && !strcmp(by, "maintenance")) {
		set_status(x, "refused", "node '%s' is drained for "
			"maintenance; only 'pp-drain --node %s --uncordon' "
			"returns it to service", x->node, x->node);
	} else if (x->dry_run) {
		set_status(x, "uncordoned", "dry run: would set node '%s' "
			"back to ready", x->node);
	} else {
		json_object *f = fields(x->node);

		if (pp_registry_uncordon(&r, x->node) < 0 ||
		    pp_registry_save(&r) < 0)
			pp_die(PP_EXIT_FAIL, "cannot set node '%s' back to "
				"ready in registry '%s':", x->node, x->rpath);
		x->changed = 1;
		pp_note("node '%s' is ready again", x->node);
		set_status(x, "uncordoned", "node '%s' is ready again",
			x->node);
		add_str(f, "reason", x->why);
		json_object_object_add(f, "containers", json_object_new_int64(
			x->remaining));
		event(x, "node.uncordoned", f);
	}
out:
	pp_registry_close(&r);
}

/* Takes the node's drain lock without waiting. Returns 0, or -1 when
 * another pp-drain holds it (status busy). */
static int
lock_node(struct run *x)
{
	char *path = lock_path(x->sdir, "drain-", x->node);
	char *lp, *holder;
	size_t len;
	int e;

	if (pp_mkdirs(x->sdir, 0755) < 0)
		pp_die(PP_EXIT_FAIL, "cannot create state directory '%s':",
			x->sdir);
	if (pp_lock(&x->nodelock, path, PP_LOCK_EX, 0) == 0) {
		/* who holds it, for the one that finds it taken */
		if (ftruncate(x->nodelock.fd, 0) == 0)
			dprintf(x->nodelock.fd, "%ld\n", (long)getpid());
		free(path);
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
	if (holder && *holder)
		set_status(x, "busy", "another pp-drain (pid %s) is working "
			"on node '%s'", holder, x->node);
	else
		set_status(x, "busy", "another pp-drain is working on node "
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

	add_str(d, "node", x->node);
	add_str(d, "action", mode_names[x->mode]);
	add_str(d, "status", x->status);
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
	add_str(d, "reason", x->reason);
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
		json_object *f = fields(x->node);

		add_str(f, "by", mode_names[x->mode]);
		event(x, "node.drained", f);
	}
}

static int
exit_status(const struct run *x)
{
	if (pp_interrupted())
		return PP_EXIT_FAIL;
	if (!x->manual)
		return PP_EXIT_OK;
	if (x->gone)
		return PP_EXIT_USAGE;
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
		const char *action = pp_jstr(dec, "action", NULL);

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
		if (pp_jbool(dec, "dry_run", 0))
			x.dry_run = 1;
		x.why = pp_jstr(dec, "reason", NULL);
	}
	x.rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	x.sdir = pp_state_dir(cfg, o->state_dir);
	events = cfg->events.file && *cfg->events.file ?
		pp_xstrdup(cfg->events.file) :
		pp_state_path(cfg, o->state_dir, "events.jsonl");
	pp_events_init(cfg, x.dry_run ? NULL : events);
	free(events);
	x.moved = json_object_new_array();
	reset_pass(&x);

	if (x.mode == M_UNCORDON) {
		uncordon(&x);
	} else if (!x.dry_run && lock_node(&x) < 0) {
		pp_warn("%s", x.reason);
	} else {
		drain_loop(&x);
	}
	if (!strcmp(x.status, "refused") || !strcmp(x.status, "blocked"))
		pp_warn("node '%s': %s", x.node, x.reason);
	if (!strcmp(x.status, "refused") && !x.dry_run) {
		json_object *f = fields(x.node);

		add_str(f, "action", mode_names[x.mode]);
		add_str(f, "reason", x.reason);
		event(&x, "drain.refused", f);
	}
	json_object_object_add(doc, "drain", section(&x));
	status = exit_status(&x);
	pp_unlock(&x.nodelock);
	json_object_put(x.planned);
	json_object_put(x.moved);
	json_object_put(x.failed);
	json_object_put(x.skipped);
	json_object_put(x.waiting);
	free(x.rpath);
	free(x.sdir);
	return status;
}
