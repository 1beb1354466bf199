/* pp-drain's moves that were carried out but could not be recorded
 * (the registry's lock not granted, a full disk, a database refusing
 * the write): the registry then says the game server is still on the
 * node drained, while it runs on the target. They are kept in the
 * state (store/unrecorded.h: the state file, or the control database
 * both hosts share) until a later run records them, and no node they
 * name is reported empty meanwhile: pp-provision deletes the server of
 * an empty node, and with it a game server the registry does not show
 * there. */
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "run/drain_int.h"
#include "run/drainrun.h"
#include "store/events.h"
#include "store/registry.h"
#include "store/state.h"
#include "store/unrecorded.h"

void
pp_dr_keep_unrecorded(struct run *x, const struct done_move *d, size_t n)
{
	struct pp_state st;
	char err[768];
	time_t now = pp_dr_run_now(x);

	if (pp_state_open(&st, x->spath, PP_LOCK_EX, err, sizeof err) < 0) {
		pp_warn("%s: the unrecorded moves are not kept for the next "
			"run", err);
		pp_state_close(&st);
		return;
	}
	for (size_t i = 0; i < n; i++)
		pp_unrecorded_add(st.root, d[i].server, d[i].from, d[i].to,
			now);
	if (pp_state_save(&st) < 0)
		pp_warn("cannot write state file '%s': the unrecorded moves "
			"are not kept for the next run:", x->spath);
	pp_state_close(&st);
}

/* The section as it is now (a reference the caller puts), or NULL. */
static json_object *
read_section(struct run *x)
{
	struct pp_state st;
	char err[768];
	json_object *sec = NULL;

	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0) {
		pp_warn("%s", err);
	} else if (pp_unrecorded_count(st.root)) {
		sec = json_object_get(pp_unrecorded_of(st.root));
	}
	pp_state_close(&st);
	return sec;
}

void
pp_dr_replay(struct run *x)
{
	struct pp_registry r;
	struct pp_state st;
	json_object *sec = read_section(x);
	const char *s, *f, *t;
	char err[768];
	size_t n = sec ? json_object_array_length(sec) : 0, recorded = 0;
	unsigned char *done;
	time_t at;

	if (!n)
		return;
	if (pp_dr_try_open_registry(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    sizeof err) < 0) {
		pp_warn("%zu move%s carried out earlier still not recorded: "
			"%s", n, n == 1 ? "" : "s", err);
		x->unrecorded += (long)n;
		json_object_put(sec);
		return;
	}
	done = pp_xcalloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		struct pp_node *from;

		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0)
			continue;
		done[i] = 1;
		from = pp_registry_find(&r, f);
		/* recorded since (by the platform, or elsewhere), or one of
		 * its nodes is gone: nothing left to record */
		if (!pp_dr_find_container(from, s) || !pp_registry_find(&r, t))
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
			recorded == 1 ? "" : "s", x->rpath);
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

int
pp_dr_unrecorded_on(struct run *x, struct pp_registry *r, const char *node,
	char *server, size_t len)
{
	json_object *sec = read_section(x);
	const char *s, *f, *t;
	time_t at;
	int found = 0;

	for (size_t i = 0; sec && !found && i < json_object_array_length(sec);
	    i++) {
		if (pp_unrecorded_get(sec, i, &s, &f, &t, &at) < 0 ||
		    (strcmp(f, node) && strcmp(t, node)))
			continue;
		/* still where the registry had it before the move */
		if (pp_dr_find_container(pp_registry_find(r, f), s)) {
			snprintf(server, len, "%s", s);
			found = 1;
		}
	}
	json_object_put(sec);
	return found;
}
