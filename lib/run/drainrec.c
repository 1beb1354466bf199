/* pp-drain's moves that were carried out but could not be recorded
 * (the registry's lock not granted, a full disk, a database refusing
 * the write): the registry then says the game server is still on the
 * node drained, while it runs on the target. They are kept in the
 * state (store/unrecorded.h: the state file, or the control database
 * both hosts share) until a later run records them, and no node they
 * name is reported empty meanwhile: pp-provision deletes the server of
 * an empty node, and with it a game server the registry does not show
 * there. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hook.h"
#include "base/json.h"
#include "conf/config.h"
#include "base/util.h"
#include "run/drain_int.h"
#include "run/drainrun.h"
#include "store/events.h"
#include "store/registry.h"
#include "store/state.h"
#include "store/unrecorded.h"

/* This pp-drain as an intent's owner: its host's name and its state
 * directory, resolved (two spellings of one directory are one owner);
 * *dir is the caller's to free. */
static void
self_owner(const struct run *x, char *host, size_t hlen, char **dir)
{
	if (gethostname(host, hlen) < 0)
		snprintf(host, hlen, "localhost");
	host[hlen - 1] = '\0';
	*dir = realpath(x->sdir, NULL);
	if (!*dir)
		*dir = pp_xstrdup(x->sdir);
}

/* 1 when entry i of sec (its at) is an intent a pp-drain of another
 * host, or of another state directory, wrote and may still be running
 * (own set): its node and target locks are files there, which this
 * one cannot see, so the move counts as under way until the longest
 * its hook runs (drain.move_timeout) and FOREIGN_INTENT_SLACK have
 * passed since the hook started; after that it is settled as any move
 * whose pp-drain has ended. Only with the state in the control
 * database: a state file is one state directory's, and its intents
 * carry no owner. */
static int
foreign_live(const struct run *x, json_object *sec, size_t i, time_t at,
	struct pp_intent_info *own)
{
	char host[256], *dir;
	int other;

	if (!pp_state_database() || !pp_unrecorded_is_intent(sec, i) ||
	    pp_unrecorded_owner(sec, i, own) < 0)
		return 0;
	self_owner(x, host, sizeof host, &dir);
	other = strcmp(own->host, host) || strcmp(own->state_dir, dir);
	free(dir);
	return other && pp_dr_run_now(x) < at +
		(time_t)x->cfg->drain.move_timeout + FOREIGN_INTENT_SLACK;
}

/* The first live foreign intent of sec off from or onto to (either
 * NULL: any), and the RAM of all of them (*ram, when given): 1 with
 * who set, or 0. */
static int
foreign_in(const struct run *x, json_object *sec, const char *from,
	const char *to, char *who, size_t len, long long *ram)
{
	struct pp_intent_info own;
	const char *s, *f, *t;
	time_t at;
	int found = 0;

	for (size_t i = 0; sec && i < json_object_array_length(sec); i++) {
		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0 ||
		    (from && strcmp(f, from)) || (to && strcmp(t, to)) ||
		    !foreign_live(x, sec, i, at, &own))
			continue;
		if (!found && len)
			snprintf(who, len, "game server '%s' (a pp-drain on "
				"host '%s', pid %ld, state directory '%s', is "
				"moving it from '%s' to '%s')", s, own.host,
				own.pid, own.state_dir, f, t);
		found = 1;
		if (ram)
			*ram += own.ram_mb;
	}
	return found;
}

int
pp_dr_write_intent(struct run *x, const struct pp_move *m, long long room,
	char *err, size_t errlen)
{
	struct pp_state st;
	struct pp_intent_info own = {0};
	char serr[768], host[256], *dir = NULL, who[768];
	long long ram = 0;
	int rc = 0;

	if (pp_state_open(&st, x->spath, PP_LOCK_EX, serr, sizeof serr) < 0) {
		snprintf(err, errlen, "%s", serr);
		return -1;
	}
	if (pp_state_database()) {
		/* the other host's moves onto the target are checked under
		 * the state's lock, which its pp-drain writes them under:
		 * two moves onto one target are serialised across hosts
		 * as the target's lock serialises them on one */
		if (foreign_in(x, pp_unrecorded_of(st.root), NULL, m->to, who,
		    sizeof who, &ram) && m->ram_mb > room - ram) {
			snprintf(err, errlen, "target '%s' has %lld MB free "
				"beside the moves onto it another host has "
				"under way (%s), '%s' needs %lld MB", m->to,
				room - ram > 0 ? room - ram : 0, who,
				m->server, m->ram_mb);
			pp_state_close(&st);
			return -2;
		}
		self_owner(x, host, sizeof host, &dir);
		own.host = host;
		own.state_dir = dir;
		own.pid = (long)getpid();
		own.ram_mb = m->ram_mb;
	}
	/* beside any intent of the game server onto another target (one
	 * not run again): until the registry shows where it is, it may
	 * be on either */
	pp_unrecorded_add_intent(st.root, m->server, m->from, m->to,
		pp_dr_run_now(x), dir ? &own : NULL);
	if (pp_state_save(&st) < 0) {
		snprintf(err, errlen, "cannot write state file '%s': %s",
			x->spath, strerror(errno));
		rc = -1;
	}
	pp_state_close(&st);
	free(dir);
	return rc;
}

int
pp_dr_foreign_move(struct run *x, const char *from, const char *to,
	char *who, size_t len)
{
	struct pp_state st;
	char err[768];
	int found = 0;

	if (!pp_state_database())
		return 0;
	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0)
		pp_warn("%s", err);
	else
		found = foreign_in(x, pp_unrecorded_of(st.root), from, to,
			who, len, NULL);
	pp_state_close(&st);
	return found;
}

/* One state write: the moves with keep[i] 1 kept as carried out and
 * not recorded, the others' entries (their intents) dropped; with 2
 * (recorded on its target), every entry of the game server off the
 * node it left: its intents onto other targets too. */
static void
settle_entries(struct run *x, const char *const *server,
	const char *const *from, const char *const *to,
	const unsigned char *keep, size_t n)
{
	struct pp_state st;
	char err[768];
	time_t now = pp_dr_run_now(x);
	int kept = 0;

	for (size_t i = 0; i < n; i++)
		kept |= keep[i] == 1;
	if (pp_state_open(&st, x->spath, PP_LOCK_EX, err, sizeof err) < 0) {
		/* an intent left there is resolved by a later run, and
		 * keeps no node from being empty once the registry has
		 * the game server elsewhere */
		pp_warn("%s%s", err, kept ? ": the unrecorded moves are not "
			"kept for the next run" : "");
		pp_state_close(&st);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] == 1)
			pp_unrecorded_add(st.root, server[i], from[i], to[i],
				now);
		else if (keep[i] == 2)
			pp_unrecorded_drop_off(st.root, server[i], from[i]);
		else
			pp_unrecorded_drop(st.root, server[i], from[i],
				to[i]);
	}
	if (pp_state_save(&st) < 0)
		pp_warn("cannot write state file '%s'%s:", x->spath, kept ?
			": the unrecorded moves are not kept for the next run"
			: "");
	pp_state_close(&st);
}

void
pp_dr_settle_moves(struct run *x, const struct done_move *d, size_t n,
	const unsigned char *keep)
{
	const char **s = pp_xcalloc(n ? n : 1, sizeof *s);
	const char **f = pp_xcalloc(n ? n : 1, sizeof *f);
	const char **t = pp_xcalloc(n ? n : 1, sizeof *t);

	for (size_t i = 0; i < n; i++) {
		s[i] = d[i].server;
		f[i] = d[i].from;
		t[i] = d[i].to;
	}
	if (n)
		settle_entries(x, s, f, t, keep, n);
	free(s);
	free(f);
	free(t);
}

void
pp_dr_drop_intent(struct run *x, const char *server, const char *from,
	const char *to)
{
	unsigned char keep = 0;

	settle_entries(x, &server, &from, &to, &keep, 1);
}

/* The section of the state at spath as it is now (a reference the
 * caller puts), or NULL: 0, or -1 with err when the state cannot be
 * read. */
static int
read_section_at(const char *spath, json_object **sec, char *err,
	size_t errlen)
{
	struct pp_state st;
	int rc = 0;

	*sec = NULL;
	if (pp_state_open(&st, spath, 0, err, errlen) < 0)
		rc = -1;
	else if (pp_unrecorded_count(st.root))
		*sec = json_object_get(pp_unrecorded_of(st.root));
	pp_state_close(&st);
	return rc;
}

/* The section as it is now (a reference the caller puts), or NULL. */
static json_object *
read_section(struct run *x)
{
	json_object *sec;
	char err[768];

	if (read_section_at(x->spath, &sec, err, sizeof err) < 0)
		pp_warn("%s", err);
	return sec;
}

/* Takes the lock at dir/prefix+id without waiting, our pid in it as
 * pp-drain's node lock has; -1 when another holds it. */
static int
try_lock(struct run *x, const char *prefix, const char *id, struct pp_lock *l)
{
	char *path = pp_dr_lock_path(x->sdir, prefix, id);
	int rc = pp_lock(l, path, PP_LOCK_EX, 0);

	if (rc == 0 && !strcmp(prefix, "drain-") && ftruncate(l->fd, 0) == 0)
		dprintf(l->fd, "%ld\n", (long)getpid());
	free(path);
	return rc;
}

/* RAM the intents run again in this replay move onto nodes, not yet
 * recorded (record_kept records them together). */
struct onto {
	const char *to;
	long long ram;
};

static long long
pending_ram(const struct onto *p, size_t n, const char *to)
{
	long long ram = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].to, to))
			ram += p[i].ram;
	return ram;
}

/* 1 (err set) when target to could not take game server c now, pend MB
 * of moves onto it not yet recorded: a move pp-drain would not
 * start (its RAM as pp-fleetstats counts it: pp_dr_cap_ram). */
static int
target_unfit(struct run *x, struct pp_node *to, const struct pp_container *c,
	long long pend, char *err, size_t len)
{
	long long ram = pp_container_ram(c);
	long long room;

	pp_dr_cap_ram(x, to);
	room = pp_node_free_ram(to) - pend;

	if (!pp_drain_target_ok(to))
		snprintf(err, len, "'%s' is %s", to->id,
			pp_status_name(to->status));
	else if (ram > room)
		snprintf(err, len, "'%s' has %lld MB free, '%s' needs %lld MB",
			to->id, room > 0 ? room : 0, c->id, ram);
	else
		return 0;
	return 1;
}

/* A game server moved back from t to the node its intent left (f),
 * where the registry has it: that intent (f -> t) is settled, and the
 * move back's own (t -> f); nothing to record. Not its intents onto
 * other targets: it may have reached one of them instead (the hook
 * moved it from wherever it was, but nothing says so), and each stays,
 * keeping its target from counting empty, until its own move or move
 * back runs. */
static void
drop_moved_back(struct run *x, const char *s, const char *f, const char *t)
{
	struct pp_state st;
	char err[768];

	if (pp_state_open(&st, x->spath, PP_LOCK_EX, err, sizeof err) < 0) {
		pp_warn("%s", err);
	} else {
		pp_unrecorded_drop(st.root, s, f, t);
		pp_unrecorded_drop(st.root, s, t, f);
		if (pp_state_save(&st) < 0)
			pp_warn("cannot write state file '%s':", x->spath);
	}
	pp_state_close(&st);
}

/* What resolve_intent did with an intent: whether another intent of
 * the same game server may be tried after it. */
enum resolved {
	R_NEXT,     /* not run (its target cannot take it, or the game
	             * server is off the node it left): try another, or
	             * (may_back) a move back */
	R_DONE      /* run again, under way, or not known: no other */
};

/* An intent left by a pp-drain that ended before its move was settled
 * (killed while its hook ran, or a hook whose outcome it could not
 * know): the game server may run on the target or still on the node it
 * left. The move is run again, as pp-drain runs one (the hook takes a
 * game server already on the target as success), under the node's and
 * the target's locks, which are left to the caller (l[0], l[1]) so
 * that the move stays locked until record_kept has recorded it. Not
 * while another process holds either lock: its hook may still run.
 * Nor onto a target that could not take it now (not ready, or without
 * the room: a move pp-drain would not start): the intent is kept, so
 * that neither node counts empty, and settles once the registry has
 * the game server off the node it left (that node's drain moves it to
 * a target that fits and records it there), or the target can take it
 * again, or an operator settles it (pp_drain_settle); unless the node
 * it left can take it (ready, its RAM counted there): it is moved back
 * there, since while the target's drain waits for it nothing else
 * would. That only with may_back: the replay first tries every intent
 * of a game server for a target that can take it, and moves it back
 * only when none can. pend: the moves run again so far. A game server
 * with several intents (replay) has one run again at most. */
static enum resolved
resolve_intent(struct run *x, const char *s, const char *f, const char *t,
	int may_back, struct pp_lock l[2], struct onto *pend, size_t *npend)
{
	const struct pp_config *cfg = x->cfg;
	struct pp_registry r;
	struct pp_node *to, *from;
	struct pp_container *c;
	struct pp_hook_status hs;
	struct pp_move m;
	char err[768], why[768], *desc, **argv, *to_ip;
	const char *hf = f, *ht = t;
	int keep[2], back;
	unsigned char kept;
	long long ram;

	l[0].fd = l[1].fd = -1;
	if (pp_mkdirs(x->sdir, 0755) < 0 || try_lock(x, "drain-", f, &l[0]) < 0 ||
	    try_lock(x, "drain-target-", t, &l[1]) < 0) {
		pp_unlock(&l[0]);
		pp_note("game server '%s': the move from '%s' to '%s' a "
			"pp-drain began is still under way; neither node is "
			"empty until it is settled", s, f, t);
		return R_DONE;
	}
	if (pp_dr_try_open_registry(x, &r, PP_REG_LAZY, err, sizeof err) < 0) {
		pp_warn("game server '%s': the move from '%s' to '%s' a "
			"pp-drain began is not settled: %s", s, f, t, err);
		x->unrecorded++;
		return R_DONE;
	}
	to = pp_registry_find(&r, t);
	from = pp_registry_find(&r, f);
	c = pp_dr_find_container(from, s);
	/* recorded, or a node gone: record_kept drops it */
	if (!to || !c || cfg->drain.move_command.n == 0) {
		pp_registry_close(&r);
		pp_unlock(&l[0]);
		pp_unlock(&l[1]);
		return R_NEXT;
	}
	ram = pp_container_ram(c);
	back = target_unfit(x, to, c, pending_ram(pend, *npend, t), err,
		sizeof err);
	if (back && !may_back) {
		/* another intent of it may fit; else the move back pass
		 * says why it is not run */
		pp_registry_close(&r);
		pp_unlock(&l[0]);
		pp_unlock(&l[1]);
		return R_NEXT;
	} else if (back && pp_drain_target_ok(from)) {
		/* the node it left can take it (its RAM is counted there):
		 * moved back, else nothing moves it while the target's
		 * drain waits for it */
		snprintf(why, sizeof why, "%s", err);
		to = from;
	} else if (back) {
		if (from->status == PP_ST_DRAINING)
			pp_note("game server '%s': the move from '%s' to '%s' "
				"a pp-drain began is not run again: %s; neither "
				"node is empty until the registry has '%s' off "
				"'%s' (a drain of '%s' moves it where it fits) "
				"or '%s' can take it", s, f, t, err, s, f, f, t);
		else
			/* no drain of f re-plans it */
			pp_note("game server '%s': the move from '%s' to '%s' "
				"a pp-drain began is not run again: %s and '%s' "
				"is %s; neither node is empty until either can "
				"take it, or by hand: pp-drain --settle %s --on "
				"NODE", s, f, t, err, f,
				pp_status_name(from->status), s);
		pp_registry_close(&r);
		/* another intent of it, or its source's, may take them */
		pp_unlock(&l[0]);
		pp_unlock(&l[1]);
		return R_NEXT;
	}
	to_ip = pp_xstrdup(to->ip ? to->ip : "");
	pp_registry_close(&r);
	if (back) {
		/* the move back's own intent, as any move's: from the
		 * target it may have reached */
		hf = t;
		ht = f;
		memset(&m, 0, sizeof m);
		m.server = (char *)s;
		m.from = (char *)hf;
		m.to = (char *)ht;
		m.ram_mb = ram;
		/* its RAM is counted on the node it left: no room check */
		if (pp_dr_write_intent(x, &m, LLONG_MAX, err,
		    sizeof err) < 0) {
			pp_warn("game server '%s': the move from '%s' to '%s' "
				"a pp-drain began is not settled: not moved "
				"back to '%s': the move cannot be written to "
				"the state first: %s", s, f, t, f, err);
			x->no_intent++;
			free(to_ip);
			return R_DONE;
		}
	}
	{
		const struct pp_hook_var vars[] = {
			{"server", s}, {"from", hf}, {"to", ht},
			{"to_ip", to_ip},
		};

		argv = pp_hook_argv(cfg->drain.move_command.v,
			cfg->drain.move_command.n, vars,
			sizeof vars / sizeof *vars);
	}
	desc = pp_hook_describe(argv);
	if (back)
		pp_note("game server '%s': the move from '%s' to '%s' a "
			"pp-drain began is settled by moving it back to '%s', "
			"where the registry has it (%s): %s", s, f, t, f, why,
			desc);
	else
		pp_note("game server '%s': the move from '%s' to '%s' a "
			"pp-drain began was not settled; moving it again: %s",
			s, f, t, desc);
	free(desc);
	keep[0] = l[0].fd;
	keep[1] = l[1].fd;
	if (pp_hook_run_at(argv, (double)cfg->drain.move_timeout, keep, 2, 0,
	    NULL, NULL, &hs, err, sizeof err) == 0) {
		if (back) {
			/* where the registry has it: nothing to record */
			drop_moved_back(x, s, f, t);
		} else {
			/* carried out: record_kept records it */
			kept = 1;
			settle_entries(x, &s, &f, &t, &kept, 1);
			pend[*npend].to = t;
			pend[(*npend)++].ram = ram;
		}
	} else {
		json_object *e = pp_dr_fields(hf);

		pp_warn("cannot move game server '%s' to '%s': move hook "
			"failed: %s", s, ht, err);
		pp_dr_add_str(e, "server", s);
		pp_dr_add_str(e, "to", ht);
		pp_dr_add_str(e, "error", err);
		pp_dr_event(x, "drain.move_failed", e);
		/* the hook says the game server is not where it was sent:
		 * for a move again, it is where the registry has it; for
		 * a move back, it may be on either node still, and the
		 * intent it settles stays. One killed or timed out may
		 * have moved it, and stays to be settled */
		if (hs.kind == PP_HOOK_EXITED || hs.kind == PP_HOOK_CANNOT_RUN)
			pp_dr_drop_intent(x, s, hf, ht);
		else
			x->unsettled++;
	}
	pp_hook_argv_free(argv);
	free(to_ip);
	return R_DONE;
}

/* Records the carried-out moves kept in the state; drops those
 * recorded since and the intents whose game server is no longer
 * recorded where it came from (or a node of it gone), leaves the other
 * intents. */
static void
record_kept(struct run *x)
{
	struct pp_registry r;
	struct pp_state st;
	json_object *sec = read_section(x);
	const char *s, *f, *t;
	char err[768];
	size_t n = sec ? json_object_array_length(sec) : 0, recorded = 0;
	unsigned char *done;
	time_t at;

	if (!n) {
		json_object_put(sec);
		return;
	}
	if (pp_dr_try_open_registry(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    sizeof err) < 0) {
		size_t moved = 0;

		for (size_t i = 0; i < n; i++)
			moved += !pp_unrecorded_is_intent(sec, i) &&
				pp_unrecorded_get(sec, i, &s, &f, &t, &at) == 0;
		if (moved)
			pp_warn("%zu move%s carried out earlier still not "
				"recorded: %s", moved, moved == 1 ? "" : "s",
				err);
		x->unrecorded += (long)moved;
		json_object_put(sec);
		return;
	}
	done = pp_xcalloc(n, 1);
	/* the moves carried out first, then the intents: an intent of a
	 * game server recorded elsewhere by the first pass is settled */
	for (int pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < n; i++) {
		struct pp_node *from;

		if (pp_unrecorded_is_intent(sec, i) != pass ||
		    pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0)
			continue;
		from = pp_registry_find(&r, f);
		/* recorded since (by the platform, or elsewhere), or one of
		 * its nodes is gone: nothing left to record */
		if (!pp_dr_find_container(from, s) ||
		    !pp_registry_find(&r, t)) {
			done[i] = 1;
			continue;
		}
		/* under way, or its outcome unknown: not ours to record */
		if (pass)
			continue;
		pp_registry_move(&r, f, t, s);
		done[i] = 2;
		recorded++;
	}
	if (!recorded) {
		pp_registry_close(&r);
	} else if (pp_registry_commit(&r) < 0) {
		pp_warn("%zu move%s carried out earlier still not recorded: "
			"cannot save registry '%s':", recorded,
			recorded == 1 ? "" : "s", x->rshow);
		x->unrecorded += (long)recorded;
		free(done);
		json_object_put(sec);
		return;
	}
	if (pp_state_open(&st, x->spath, PP_LOCK_EX, err, sizeof err) < 0) {
		pp_warn("%s", err);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (!done[i] || pp_unrecorded_get(sec, i, &s, &f, &t,
			    &at) < 0)
				continue;
			pp_unrecorded_drop(st.root, s, f, t);
			if (done[i] == 2) {
				json_object *e = pp_dr_fields(f);

				pp_note("game server '%s', moved to '%s' "
					"earlier, is recorded there now", s, t);
				pp_dr_add_str(e, "server", s);
				pp_dr_add_str(e, "to", t);
				json_object_object_add(e, "late",
					json_object_new_boolean(1));
				pp_dr_event(x, "server.moved", e);
			}
		}
		if (pp_state_save(&st) < 0)
			pp_warn("cannot write state file '%s':", x->spath);
	}
	pp_state_close(&st);
	free(done);
	json_object_put(sec);
}

void
pp_dr_replay(struct run *x)
{
	json_object *sec = read_section(x);
	size_t n = sec ? json_object_array_length(sec) : 0, nl = 0;
	struct pp_lock *l = pp_xcalloc(2 * (n ? n : 1), sizeof *l);
	struct onto *pend = pp_xcalloc(n ? n : 1, sizeof *pend);
	unsigned char *done = pp_xcalloc(n ? n : 1, 1);
	size_t npend = 0;
	const char *s, *f, *t, *s2, *f2, *t2;
	struct pp_intent_info own;
	time_t at;

	/* newest first (a later intent is added last): of a game server's
	 * intents, the first one it can be moved by is run again, and no
	 * other (the registry shows where it is once that is recorded);
	 * only a game server none of whose targets can take it is moved
	 * back to the node it left (the second pass), from one target a
	 * run */
	for (int may_back = 0; may_back < 2; may_back++)
	for (size_t i = n; i-- > 0 && !pp_interrupted();) {
		if (done[i] || !pp_unrecorded_is_intent(sec, i) ||
		    pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0)
			continue;
		if (foreign_live(x, sec, i, at, &own)) {
			/* its locks are that host's: neither run again
			 * nor dropped while it may still run, as one whose
			 * lock a process here holds (resolve_intent) */
			pp_note("game server '%s': the move from '%s' to '%s' "
				"a pp-drain on host '%s' (pid %ld, state "
				"directory '%s') began may still be under way; "
				"neither node is empty until it is settled", s,
				f, t, own.host, own.pid, own.state_dir);
		} else if (resolve_intent(x, s, f, t, may_back, &l[nl], pend,
		    &npend) == R_NEXT) {
			continue;
		} else {
			nl += 2;
		}
		for (size_t j = 0; j < n; j++)
			if (pp_unrecorded_get(sec, j, &s2, &f2, &t2, &at) == 0 &&
			    !strcmp(s2, s))
				done[j] = 1;
	}
	free(done);
	free(pend);
	json_object_put(sec);
	record_kept(x);
	for (size_t i = 0; i < nl; i++)
		pp_unlock(&l[i]);
	free(l);
}

/* The first entry of sec naming node (from or to) whose game server
 * is still where the registry had it before the move: its index, or -1
 * when none. */
static long
unrecorded_entry(json_object *sec, struct pp_registry *r, const char *node)
{
	const char *s, *f, *t;
	time_t at;

	for (size_t i = 0; sec && i < json_object_array_length(sec); i++) {
		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0 ||
		    (strcmp(f, node) && strcmp(t, node)))
			continue;
		if (pp_dr_find_container(pp_registry_find(r, f), s))
			return (long)i;
	}
	return -1;
}

int
pp_drain_unrecorded_on(const char *spath, struct pp_registry *r,
	const char *node, char *server, size_t len, int *intent, char *err,
	size_t errlen)
{
	json_object *sec;
	const char *s, *f, *t;
	time_t at;
	long i;

	if (read_section_at(spath, &sec, err, errlen) < 0)
		return -1;
	i = unrecorded_entry(sec, r, node);
	if (i >= 0 && pp_unrecorded_get(sec, (size_t)i, &s, &f, &t, &at) == 0) {
		snprintf(server, len, "%s", s);
		*intent = pp_unrecorded_is_intent(sec, (size_t)i);
	}
	json_object_put(sec);
	return i >= 0;
}

int
pp_dr_unrecorded_on(struct run *x, struct pp_registry *r, const char *node,
	char *server, size_t len, int *intent, char *how, size_t hlen)
{
	json_object *sec = read_section(x);
	const char *s, *f, *t;
	struct pp_container *c;
	struct pp_node *to, *from;
	char why[512];
	time_t at;
	long i = unrecorded_entry(sec, r, node);
	int found = 0;

	if (i >= 0 && pp_unrecorded_get(sec, (size_t)i, &s, &f, &t, &at) == 0) {
		from = pp_registry_find(r, f);
		c = pp_dr_find_container(from, s);
		snprintf(server, len, "%s", s);
		*intent = pp_unrecorded_is_intent(sec, (size_t)i);
		found = 1;
		to = pp_registry_find(r, t);
		if (!*intent)
			snprintf(how, hlen, "pp-drain records it once the "
				"registry can be written");
		else if (!to || !target_unfit(x, to, c, 0, why, sizeof why))
			snprintf(how, hlen, "the next pp-drain that acts "
				"settles the move");
		else if (pp_drain_target_ok(from))
			snprintf(how, hlen, "the next pp-drain that acts "
				"settles the move: %s, and it moves '%s' back to "
				"'%s', where the registry has it", why, s, f);
		else if (from->status == PP_ST_DRAINING)
			snprintf(how, hlen, "it is not moved again while %s: "
				"it settles once the registry has '%s' off '%s' "
				"(a drain of '%s' moves it where it fits) or "
				"'%s' can take it, or by hand: pp-drain --settle "
				"%s --on NODE", why, s, f, f, t, s);
		else {
			/* no drain of f re-plans it, and pp-drain moves it
			 * nowhere: nothing settles it unaided */
			*intent = 2;
			snprintf(how, hlen, "it is not moved again while %s "
				"and '%s' is %s: it settles once either can take "
				"it, or by hand: pp-drain --settle %s --on NODE",
				why, f, pp_status_name(from->status), s);
		}
	}
	json_object_put(sec);
	return found;
}

/* The node locks --settle holds: each node's drain- and drain-target-
 * lock at most once (a second one of ours would be refused). */
struct held {
	struct pp_lock *l;
	char **name;
	size_t n;
};

static int
held_has(const struct held *h, const char *prefix, const char *id)
{
	size_t np = strlen(prefix);

	for (size_t i = 0; i < h->n; i++)
		if (!strncmp(h->name[i], prefix, np) &&
		    !strcmp(h->name[i] + np, id))
			return 1;
	return 0;
}

static int
hold(struct run *x, struct held *h, const char *prefix, const char *id)
{
	if (held_has(h, prefix, id))
		return 0;
	h->l = pp_xreallocarray(h->l, h->n + 1, sizeof *h->l);
	h->name = pp_xreallocarray(h->name, h->n + 1, sizeof *h->name);
	if (try_lock(x, prefix, id, &h->l[h->n]) < 0)
		return -1;
	h->name[h->n++] = pp_xasprintf("%s%s", prefix, id);
	return 0;
}

static void
release(struct held *h)
{
	for (size_t i = 0; i < h->n; i++) {
		pp_unlock(&h->l[i]);
		free(h->name[i]);
	}
	free(h->l);
	free(h->name);
}

/* Takes the lock of each node the moves of srv in sec name that h does
 * not hold yet: the node a move of it leaves, and its target. 0, or -1
 * with *busy (a copy) the node whose lock another process holds. */
static int
lock_moves(struct run *x, json_object *sec, const char *srv, struct held *h,
	char **busy)
{
	size_t n = sec ? json_object_array_length(sec) : 0;
	const char *s, *f, *t;
	time_t at;

	for (size_t i = 0; i < n; i++) {
		struct pp_intent_info own;

		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0 ||
		    strcmp(s, srv))
			continue;
		/* another host's, whose locks are files there */
		if (foreign_live(x, sec, i, at, &own)) {
			*busy = pp_xstrdup(f);
			return -1;
		}
		if (hold(x, h, "drain-", f) < 0) {
			*busy = pp_xstrdup(f);
			return -1;
		}
		if (hold(x, h, "drain-target-", t) < 0) {
			*busy = pp_xstrdup(t);
			return -1;
		}
	}
	return 0;
}

/* Whether the moves of srv in sec are any (*any) and name node on. */
static int
names_node(json_object *sec, const char *srv, const char *on, int *any)
{
	size_t n = sec ? json_object_array_length(sec) : 0;
	const char *s, *f, *t;
	time_t at;
	int named = 0;

	*any = 0;
	for (size_t i = 0; i < n; i++) {
		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0 ||
		    strcmp(s, srv))
			continue;
		*any = 1;
		named |= !strcmp(f, on) || !strcmp(t, on);
	}
	return named;
}

/* With no move of srv to settle: the exit status, after a look at the
 * registry. --on naming a node the registry lacks is bad input all the
 * same (a mistyped node is not "nothing to do"), said as when there
 * are moves. */
static int
nothing_to_settle(struct run *x, const char *srv, const char *on)
{
	struct pp_registry r;
	char err[768];
	int rc = pp_registry_open(&r, x->rpath, PP_REG_LAZY, err, sizeof err);

	if (rc < 0) {
		/* a failed open may hold its path */
		pp_registry_close(&r);
		pp_warn("game server '%s': not settled: %s", srv, err);
		return rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
	}
	if (!pp_registry_find(&r, on)) {
		/* r.path, not the URL given: a password in it stays out */
		pp_warn("game server '%s': no node '%s' in registry '%s': not "
			"settled", srv, on, r.path);
		pp_registry_close(&r);
		return PP_EXIT_USAGE;
	}
	pp_registry_close(&r);
	pp_note("game server '%s': no move of it to settle", srv);
	return PP_EXIT_OK;
}

/* pp-drain --settle: an operator who has seen where a game server runs
 * says so. Every move of it kept in the state is dropped, and the
 * registry records it on that node if it does not already. Not while a
 * pp-drain or a hook holds a lock of its moves' nodes: it may still be
 * moving it.
 *
 * The moves are read first to find the nodes to lock, and again under
 * those locks and the state's exclusive lock (held from before the
 * registry is written to after the state is): a pp-drain that wrote a
 * move of it in between has ended (its node's lock was granted), and
 * the new nodes its moves name are locked then too, or the settle is
 * refused with nothing changed. No move can be added after that read
 * (a pp-drain writes one under the state's lock), so what is dropped
 * is every move of it.
 *
 * The registry is written before the state: a state write that fails
 * then leaves the game server recorded where it runs and its moves
 * kept, which keep every node they name from counting empty until the
 * next pp-drain that acts settles them from the registry (or --settle
 * runs again). The other way round, a registry write that failed would
 * leave the game server recorded on a node it has left, its moves gone,
 * and the node it runs on free to count empty and be deleted. */
int
pp_drain_settle(const struct pp_config *cfg, const struct pp_drain_opts *o)
{
	struct run x;
	struct pp_registry r;
	struct pp_state st;
	struct held h = {0};
	json_object *sec, *cur;
	const char *s, *f, *t, *srv = o->settle, *on = o->on;
	const char *from = NULL;
	char err[768], *busy = NULL, *was = NULL;
	size_t n;
	time_t at;
	int any, status = PP_EXIT_OK, rc, recorded = 0, e;
	size_t off_on = 0;

	memset(&x, 0, sizeof x);
	memset(&st, 0, sizeof st);
	st.lock.fd = -1;
	x.cfg = cfg;
	x.o = o;
	x.dry_run = o->dry_run;
	x.t0 = pp_now();
	/* pp_dr_run_now: the age of another host's moves */
	x.m0 = pp_monotonic();
	x.rpath = pp_registry_path(cfg, o->state_dir, o->registry);
	x.rshow = pp_registry_shown(x.rpath);
	x.sdir = pp_state_dir(cfg, o->state_dir);
	x.spath = pp_state_path(cfg, o->state_dir, "state.json");
	if ((rc = pp_state_open(&st, x.spath, 0, err, sizeof err)) < 0) {
		pp_state_close(&st);
		pp_warn("game server '%s': not settled: %s", srv, err);
		/* a lock not granted in time passes; a corrupt state or a
		 * lock file that cannot be opened is bad input */
		status = rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
		sec = NULL;
		goto out;
	}
	sec = pp_unrecorded_count(st.root) ?
		json_object_get(pp_unrecorded_of(st.root)) : NULL;
	pp_state_close(&st);
	if (!names_node(sec, srv, on, &any) && any) {
		pp_warn("game server '%s': its moves name no node '%s' (see "
			"pp-status): not settled", srv, on);
		status = PP_EXIT_USAGE;
		goto out;
	}
	if (!any) {
		status = nothing_to_settle(&x, srv, on);
		goto out;
	}
	if (!x.dry_run && pp_mkdirs(x.sdir, 0755) < 0) {
		pp_warn("game server '%s': not settled: cannot create state "
			"directory '%s':", srv, x.sdir);
		status = PP_EXIT_FAIL;
		goto out;
	}
	if (!x.dry_run && lock_moves(&x, sec, srv, &h, &busy) < 0)
		goto at_work;
	if ((rc = pp_registry_open(&r, x.rpath, x.dry_run ? PP_REG_LAZY :
	    PP_LOCK_EX | PP_REG_LAZY, err, sizeof err)) < 0) {
		/* a failed open may hold its path */
		pp_registry_close(&r);
		pp_warn("game server '%s': not settled: %s", srv, err);
		status = rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
		goto out;
	}
	if (!pp_registry_find(&r, on)) {
		pp_warn("game server '%s': no node '%s' in registry '%s': not "
			"settled", srv, on, r.path);
		pp_registry_close(&r);
		status = PP_EXIT_USAGE;
		goto out;
	}
	cur = sec;
	if (!x.dry_run) {
		/* after the registry's lock, as every pp-drain takes them */
		if ((rc = pp_state_open(&st, x.spath, PP_LOCK_EX, err,
		    sizeof err)) < 0) {
			pp_registry_close(&r);
			pp_warn("game server '%s': not settled: %s", srv, err);
			status = rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE;
			goto out;
		}
		cur = pp_unrecorded_of(st.root);
		if (lock_moves(&x, cur, srv, &h, &busy) < 0) {
			pp_registry_close(&r);
			pp_state_close(&st);
			goto at_work;
		}
		if (!names_node(cur, srv, on, &any) && any) {
			pp_registry_close(&r);
			pp_state_close(&st);
			pp_warn("game server '%s': its moves name no node '%s' "
				"now (a pp-drain settled some meanwhile; see "
				"pp-status): not settled", srv, on);
			status = PP_EXIT_USAGE;
			goto out;
		}
		if (!any) {
			pp_registry_close(&r);
			pp_state_close(&st);
			pp_note("game server '%s': no move of it to settle "
				"(a pp-drain settled them meanwhile)", srv);
			goto out;
		}
	}
	/* where the registry has it, of the nodes its moves name */
	n = cur ? json_object_array_length(cur) : 0;
	for (size_t i = 0; i < n && !from; i++) {
		if (pp_unrecorded_get(cur, i, &s, &f, &t, &at) < 0 ||
		    strcmp(s, srv))
			continue;
		if (pp_dr_find_container(pp_registry_find(&r, f), srv))
			from = f;
		else if (pp_dr_find_container(pp_registry_find(&r, t), srv))
			from = t;
	}
	if (from && strcmp(from, on)) {
		pp_note("%sgame server '%s': recording it on '%s' (the registry "
			"had it on '%s')", x.dry_run ? "dry run: " : "", srv,
			on, from);
		was = pp_xstrdup(from);
		if (x.dry_run) {
			pp_registry_close(&r);
		} else if (pp_registry_move(&r, from, on, srv) < 0) {
			pp_registry_close(&r);
			pp_state_close(&st);
			pp_warn("game server '%s': not settled: it cannot be "
				"recorded on '%s'", srv, on);
			status = PP_EXIT_FAIL;
			goto out;
		} else if (pp_registry_commit(&r) < 0) {
			e = errno;
			pp_state_close(&st);
			pp_warn("game server '%s': not settled: cannot save "
				"registry '%s': %s; nothing changed", srv,
				x.rshow, strerror(e));
			status = PP_EXIT_FAIL;
			goto out;
		} else {
			recorded = 1;
		}
	} else {
		if (!from)
			pp_note("game server '%s': the registry has it on none "
				"of the nodes its moves name; left as it is",
				srv);
		pp_registry_close(&r);
	}
	if (x.dry_run) {
		pp_note("dry run: game server '%s': its moves would be dropped",
			srv);
		goto out;
	}
	/* every move of it: each one's nodes are locked now */
	cur = pp_unrecorded_of(st.root);
	n = cur ? json_object_array_length(cur) : 0;
	for (size_t i = 0; i < n; i++)
		if (pp_unrecorded_get(cur, i, &s, &f, &t, &at) == 0 &&
		    !strcmp(s, srv) && !strcmp(f, on))
			off_on++;
	for (;;) {
		char *off = NULL;

		cur = pp_unrecorded_of(st.root);
		n = cur ? json_object_array_length(cur) : 0;
		for (size_t i = 0; i < n && !off; i++)
			if (pp_unrecorded_get(cur, i, &s, &f, &t, &at) == 0 &&
			    !strcmp(s, srv))
				off = pp_xstrdup(f);
		if (!off)
			break;
		pp_unrecorded_drop_off(st.root, srv, off);
		free(off);
	}
	if (pp_state_save(&st) < 0) {
		e = errno;
		if (recorded && !off_on)
			/* pp_dr_unrecorded_on: a move counts while the game
			 * server is recorded on the node it left */
			pp_warn("game server '%s': recorded on '%s' in registry "
				"'%s', but its moves are kept: cannot write state "
				"file '%s': %s; they keep no node from counting "
				"empty (the registry has '%s' off the nodes they "
				"leave), and the next pp-drain that acts drops "
				"them", srv, on, x.rshow, x.spath, strerror(e),
				srv);
		else if (recorded)
			pp_warn("game server '%s': recorded on '%s' in registry "
				"'%s', but its moves are kept: cannot write state "
				"file '%s': %s; the next pp-drain that acts drops "
				"those off other nodes, and settles those off "
				"'%s', which keep their nodes from counting empty "
				"until then, as any move a pp-drain began; or run "
				"this again", srv, on, x.rshow, x.spath,
				strerror(e), on);
		else
			pp_warn("game server '%s': not settled: cannot write "
				"state file '%s': %s; nothing changed", srv,
				x.spath, strerror(e));
		status = PP_EXIT_FAIL;
	} else {
		pp_note("game server '%s': settled on '%s'", srv, on);
	}
	pp_state_close(&st);
	if (recorded) {
		/* after the state's lock: the events may live beside it */
		json_object *ev = pp_dr_fields(was);
		char *events = pp_events_path(cfg, o->state_dir);

		pp_events_init(cfg, events);
		free(events);
		pp_dr_add_str(ev, "server", srv);
		pp_dr_add_str(ev, "to", on);
		json_object_object_add(ev, "settled",
			json_object_new_boolean(1));
		pp_dr_event(&x, "server.moved", ev);
	}
	goto out;
at_work:
	pp_warn("game server '%s': a pp-drain or its move hook is still at "
		"work on '%s': not settled; run it again once it has ended",
		srv, busy);
	status = PP_EXIT_FAIL;
out:
	release(&h);
	free(busy);
	free(was);
	json_object_put(sec);
	free(x.rpath);
	free(x.rshow);
	free(x.sdir);
	free(x.spath);
	return status;
}
