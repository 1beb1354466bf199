/* pp-drain's moves: each checked against a fresh read of the registry
 * just before its hook runs (never under the registry's lock), and the
 * moves carried out recorded together in one locked rewrite (per node,
 * or sooner: RECORD_BATCH_SECONDS), their targets' locks held until
 * then so that no other pp-drain counts the same free RAM. */
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
#include "store/state.h"
#include "base/util.h"
#include "run/drain_int.h"

void
pp_dr_add_waiting(struct run *x, const char *server, long long players,
	time_t until)
{
	json_object *w = json_object_new_object();

	pp_dr_add_str(w, "server", server);
	json_object_object_add(w, "players", json_object_new_int64(players));
	json_object_object_add(w, "until", pp_jnew_time(until));
	json_object_array_add(x->waiting, w);
}

void
pp_dr_add_problem(json_object *list, const char *server, const char *to,
	const char *key, const char *text)
{
	json_object *o = json_object_new_object();

	pp_dr_add_str(o, "server", server);
	pp_dr_add_str(o, "to", to);
	pp_dr_add_str(o, key, text);
	json_object_array_add(list, o);
}

int
pp_dr_in_grace(const struct run *x, long long players, time_t now)
{
	return players > 0 && now < x->since + x->cfg->drain.player_grace;
}

/* Records the moves carried out since the last flush, in one locked
 * read-check-write of the registry, then lets their targets go. Each
 * move ends in moved or failed, with its event. */
void
pp_dr_flush_moves(struct run *x)
{
	struct pp_registry r;
	char rerr[768], err[1024];
	int opened, saved = 0;
	size_t recorded = 0;

	if (!x->ndone)
		return;
	opened = pp_dr_try_open_registry(x, &r, PP_LOCK_EX | PP_REG_LAZY,
		rerr, sizeof rerr) == 0;
	for (size_t i = 0; opened && i < x->ndone; i++) {
		struct done_move *d = &x->done[i];
		struct pp_node *from = pp_registry_find(&r, d->from);

		d->secs = -1;   /* recorded (or already) unless set below */
		if (!pp_dr_find_container(from, d->server)) {
			/* the platform (or the hook) has recorded it already */
			pp_debug("game server '%s' is no longer recorded on "
				"'%s'", d->server, d->from);
			continue;
		}
		if (!pp_registry_find(&r, d->to)) {
			d->secs = -2;
			continue;
		}
		pp_registry_move(&r, d->from, d->to, d->server);
		recorded++;
	}
	if (opened && !recorded) {
		/* the platform recorded every move itself: the registry
		 * is not rewritten for nothing */
		pp_registry_close(&r);
		saved = 1;
	} else if (opened) {
		/* nothing reads this registry again: written, cached */
		saved = pp_registry_commit(&r) == 0;
		if (!saved)
			snprintf(rerr, sizeof rerr, "cannot save registry "
				"'%s': %s", x->rshow, strerror(errno));
	}
	{
		/* before the targets are let go: the moves not recorded
		 * are kept (a drain of a target that takes its lock after
		 * this sees them: settle), the others' intents dropped:
		 * with the game server's intents onto other targets, once
		 * the registry has it elsewhere */
		unsigned char *keep = pp_xcalloc(x->ndone, 1);

		for (size_t i = 0; i < x->ndone; i++)
			keep[i] = x->done[i].secs == -2 ? 0 :
				!opened || !saved ? 1 : 2;
		pp_dr_settle_moves(x, x->done, x->ndone, keep);
		free(keep);
	}
	for (size_t i = 0; i < x->ndone; i++) {
		struct done_move *d = &x->done[i];
		json_object *f = pp_dr_fields(d->from);

		pp_dr_add_str(f, "server", d->server);
		pp_dr_add_str(f, "to", d->to);
		if (!opened || !saved || d->secs == -2) {
			if (d->secs == -2)
				snprintf(err, sizeof err, "moved, but target "
					"'%s' is gone from the registry: '%s' "
					"stays recorded on '%s'", d->to,
					d->server, d->from);
			else
				snprintf(err, sizeof err, "moved, but not "
					"recorded: %s", rerr);
			pp_warn("game server '%s': %s", d->server, err);
			x->unrecorded++;
			pp_dr_add_problem(x->failed, d->server, d->to, "error", err);
			pp_dr_add_str(f, "error", err);
			pp_dr_event(x, "drain.move_failed", f);
		} else {
			json_object *mv = pp_move_json(&d->m);

			x->changed = 1;
			json_object_object_add(mv, "seconds",
				pp_jnew_double(d->t, 1));
			json_object_array_add(x->moved, mv);
			json_object_object_add(f, "ram_mb",
				json_object_new_int64(d->m.ram_mb));
			json_object_object_add(f, "seconds",
				pp_jnew_double(d->t, 1));
			pp_dr_event(x, "server.moved", f);
		}
		pp_unlock(&d->tl);
		free(d->server);
		free(d->from);
		free(d->to);
		free(d->to_ip);
	}
	x->ndone = 0;
}

/* The target lock of a move, held from its check to its record. A lock
 * this run holds already for an earlier move onto the same target, not
 * recorded yet, stays that move's (tl is left unset: nothing for this
 * move to let go, until flush_during hands it over); one another
 * pp-drain holds makes the moves carried out so far recorded first (so
 * that two drains never wait on each other's targets), then is waited
 * for. */
static int
target_lock(struct run *x, const char *to, struct pp_lock *tl)
{
	char *tpath;
	int rc;

	for (size_t i = 0; i < x->ndone; i++) {
		if (!strcmp(x->done[i].to, to) && x->done[i].tl.fd >= 0) {
			tl->fd = -1;
			return 0;
		}
	}
	tpath = pp_dr_lock_path(x->sdir, "drain-target-", to);
	rc = pp_lock(tl, tpath, PP_LOCK_EX, 0);
	if (rc < 0 && x->ndone) {
		pp_dr_flush_moves(x);
		rc = pp_lock(tl, tpath, PP_LOCK_EX, 0);
	}
	if (rc < 0)
		rc = pp_lock(tl, tpath, PP_LOCK_EX,
			(double)x->cfg->drain.move_timeout + TARGET_LOCK_SLACK);
	free(tpath);
	return rc;
}

/* The descriptor of the lock this run holds on target to: the move's
 * own, or that of an earlier move onto it not recorded yet; -1 when
 * none. */
static int
target_fd(const struct run *x, const char *to, const struct pp_lock *tl)
{
	if (tl->fd >= 0)
		return tl->fd;
	for (size_t i = 0; i < x->ndone; i++)
		if (!strcmp(x->done[i].to, to) && x->done[i].tl.fd >= 0)
			return x->done[i].tl.fd;
	return -1;
}

/* RAM moved onto node id by this run and not yet recorded. */
static long long
pending_onto(const struct run *x, const char *id)
{
	long long ram = 0;

	for (size_t i = 0; i < x->ndone; i++)
		if (!strcmp(x->done[i].to, id))
			ram += x->done[i].m.ram_mb;
	return ram;
}

/* Records the moves carried out so far while the move onto to (its
 * lock tl) is under way. A lock on to that one of them holds, because
 * target_lock gave this move none, passes to this move first: the
 * flush lets the recorded moves' locks go, and the target stays locked
 * until this move is recorded. */
static void
flush_during(struct run *x, const char *to, struct pp_lock *tl)
{
	for (size_t i = 0; tl->fd < 0 && i < x->ndone; i++) {
		if (!strcmp(x->done[i].to, to) && x->done[i].tl.fd >= 0) {
			*tl = x->done[i].tl;
			x->done[i].tl.fd = -1;
		}
	}
	pp_dr_flush_moves(x);
}

struct flush_arg {
	struct run *x;
	const char *to;
	struct pp_lock *tl;
};

/* pp_hook_run_at's call: the hook is slow, and the moves before it
 * are not kept from the registry until it ends. */
static void
flush_while_hook(void *p)
{
	struct flush_arg *a = p;

	flush_during(a->x, a->to, a->tl);
}

/* With the state in the control database (two control hosts), whether
 * the target is still ready once the move's intent is written: another
 * host's pp-drain cannot see our target lock (a file of this host), and
 * it cordons a node under the registry's lock before it reads the
 * intents; so a target ready after the intent is in the state is one
 * whose drain there sees the move, and one cordoned in between is seen
 * here. 1 when ready (or with the state in a file, where the target
 * lock serialises), 0 with err set (the move is skipped). */
static int
target_still_ready(struct run *x, const char *id, char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_node *to;
	char rerr[768];
	int ok;

	if (!pp_state_database())
		return 1;
	if (pp_dr_try_open_registry(x, &r, PP_REG_LAZY, rerr,
	    sizeof rerr) < 0) {
		snprintf(err, errlen, "target '%s' cannot be looked at again "
			"(%s)", id, rerr);
		return 0;
	}
	to = pp_registry_find(&r, id);
	ok = to && pp_drain_target_ok(to);
	pp_registry_close(&r);
	if (!ok)
		snprintf(err, errlen, "target '%s' is no longer ready", id);
	return ok;
}

/* One move: re-check against a fresh registry, run the hook, record.
 * Moves onto one target are serialised across pp-drain processes by
 * a lock per target, so two drains never both count the same free
 * RAM. */
void
pp_dr_do_move(struct run *x, const struct pp_move *planned)
{
	const struct pp_config *cfg = x->cfg;
	struct pp_move m = *planned;
	struct pp_registry r;
	struct pp_node *from, *to;
	struct pp_container *c;
	struct pp_lock tl = {-1};
	struct pp_hook_status hs;
	char err[1024], *desc, *to_ip = NULL;
	char **argv;
	time_t now = pp_dr_run_now(x);
	double t;
	long long room;
	int rc;
	struct flush_arg fa = {x, m.to, &tl};

	if (target_lock(x, m.to, &tl) < 0) {
		snprintf(err, sizeof err, "another pp-drain is still moving "
			"onto '%s' (%s); re-planned next cycle", m.to,
			strerror(errno));
		pp_dr_add_problem(x->skipped, m.server, m.to, "reason", err);
		return;
	}

	pp_dr_open_registry(x, &r, PP_REG_LAZY);
	from = pp_registry_find(&r, m.from);
	to = pp_registry_find(&r, m.to);
	pp_dr_cap_ram(x, to);
	c = pp_dr_find_container(from, m.server);
	if (!from || from->status != PP_ST_DRAINING) {
		x->stop = 1;
		pp_dr_set_status(x, "in_progress", "node '%s' is no longer "
			"draining; drain stopped", m.from);
		goto out;
	}
	if (!c) {
		pp_dr_add_problem(x->skipped, m.server, m.to, "reason",
			"no longer recorded on the node");
		goto out;
	}
	if (pp_dr_in_grace(x, c->players, now)) {
		pp_dr_add_waiting(x, m.server, c->players, x->since +
			cfg->drain.player_grace);
		goto out;
	}
	if (!to || !pp_drain_target_ok(to)) {
		snprintf(err, sizeof err, "target '%s' is no longer ready; "
			"re-planned next cycle", m.to);
		pp_dr_add_problem(x->skipped, m.server, m.to, "reason", err);
		goto out;
	}
	if (pp_container_ram(c) > pp_node_free_ram(to) - pending_onto(x, m.to)) {
		snprintf(err, sizeof err, "target '%s' has %lld MB free now, "
			"'%s' needs %lld MB; re-planned next cycle", m.to,
			pp_node_free_ram(to) - pending_onto(x, m.to), m.server,
			pp_container_ram(c));
		pp_dr_add_problem(x->skipped, m.server, m.to, "reason", err);
		goto out;
	}
	m.ram_mb = pp_container_ram(c);
	m.state = c->state;
	m.players = c->players;
	to_ip = pp_xstrdup(to->ip ? to->ip : "");
	m.to_ip = to_ip;
	room = pp_node_free_ram(to) - pending_onto(x, m.to);
	pp_registry_close(&r);
	/* the move is in the state before its hook starts: a pp-drain
	 * killed while the hook runs leaves it there, and until a later
	 * run settles it neither node counts empty (pp-provision would
	 * delete a server the game server may run on) */
	rc = pp_dr_write_intent(x, &m, room, err, sizeof err);
	if (rc == 0 && !target_still_ready(x, m.to, err, sizeof err)) {
		/* the game server stays where it is, recorded there */
		pp_dr_drop_intent(x, m.server, m.from, m.to);
		rc = -2;
	}
	if (rc == -2) {
		char msg[1280];

		snprintf(msg, sizeof msg, "%s; re-planned next cycle", err);
		pp_dr_add_problem(x->skipped, m.server, m.to, "reason", msg);
		free(to_ip);
		pp_unlock(&tl);
		return;
	} else if (rc < 0) {
		json_object *f = pp_dr_fields(m.from);
		char msg[1280];

		snprintf(msg, sizeof msg, "not moved: the move cannot be "
			"written to the state first: %s", err);
		pp_warn("game server '%s': %s", m.server, msg);
		pp_dr_add_problem(x->failed, m.server, m.to, "error", msg);
		pp_dr_add_str(f, "server", m.server);
		pp_dr_add_str(f, "to", m.to);
		pp_dr_add_str(f, "error", msg);
		pp_dr_event(x, "drain.move_failed", f);
		x->no_intent = x->stop = 1;
		free(to_ip);
		pp_unlock(&tl);
		return;
	}

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
	/* moves carried out wait RECORD_BATCH_SECONDS at most, whether
	 * this hook is quick, slow or not started yet */
	if (x->ndone && pp_monotonic() - x->batch_t0 >= RECORD_BATCH_SECONDS)
		flush_during(x, m.to, &tl);
	t = pp_monotonic();
	{
		/* the hook holds the node's lock and its target's with us:
		 * a hook that outlives a pp-drain killed by SIGKILL keeps
		 * the next run off the node (busy) and the target from
		 * counting empty until it ends, so that no second move of
		 * the same game server starts beside it */
		int keep[2] = {x->nodelock.fd, target_fd(x, m.to, &tl)};

		rc = pp_hook_run_at(argv, (double)cfg->drain.move_timeout,
			keep, 2, x->batch_t0 + RECORD_BATCH_SECONDS,
			x->ndone ? flush_while_hook : NULL, &fa, &hs, err,
			sizeof err);
	}
	if (rc < 0) {
		json_object *f = pp_dr_fields(m.from);

		/* an exit status says the game server did not move (the
		 * hook contract): not onto this target, which leaves the
		 * intent of an earlier move of it onto another as
		 * unsettled as it was; a hook timed out or killed may have
		 * moved it, and its intent stays for a later run to
		 * settle */
		if (hs.kind == PP_HOOK_EXITED || hs.kind == PP_HOOK_CANNOT_RUN)
			pp_dr_drop_intent(x, m.server, m.from, m.to);
		else
			x->unsettled++;

		pp_warn("cannot move game server '%s' to '%s': move hook "
			"failed: %s", m.server, m.to, err);
		pp_dr_add_problem(x->failed, m.server, m.to, "error", err);
		pp_dr_add_str(f, "server", m.server);
		pp_dr_add_str(f, "to", m.to);
		pp_dr_add_str(f, "error", err);
		pp_dr_event(x, "drain.move_failed", f);
	} else {
		/* recorded with the node's other moves (flush_moves) */
		struct done_move *d;

		x->done = pp_xreallocarray(x->done, x->ndone + 1,
			sizeof *x->done);
		d = &x->done[x->ndone++];
		d->m = m;
		d->server = pp_xstrdup(m.server);
		d->from = pp_xstrdup(m.from);
		d->to = pp_xstrdup(m.to);
		d->m.server = d->server;
		d->m.from = d->from;
		d->m.to = d->to;
		d->to_ip = pp_xstrdup(m.to_ip);
		d->m.to_ip = d->to_ip;
		d->tl = tl;
		tl.fd = -1;
		d->t = pp_monotonic() - t;
		d->secs = -1;
		if (x->ndone == 1)
			x->batch_t0 = pp_monotonic();
	}
	pp_hook_argv_free(argv);
	free(to_ip);
	pp_unlock(&tl);
	if (x->ndone && pp_monotonic() - x->batch_t0 >= RECORD_BATCH_SECONDS)
		pp_dr_flush_moves(x);
	return;
out:
	pp_registry_close(&r);
	pp_unlock(&tl);
}
