/* pp-status: the seed's /api/conductor/scaling/status as a command.
 *
 * Everything here is read-only and tolerant: the state file's sections
 * may be absent (no decision yet). Each is read through the module that
 * owns it (lib/store/decide_mem.h, refusals.h, counters.h), so this
 * file knows no key of the state file itself. What it reads:
 *   state.json  the decide memory (last decision, recent decisions,
 *               each policy's last action), refusals, counters;
 *   last.json   the last document pp-fleetstats wrote. */
#include <errno.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/cloud.h"
#include "conf/config.h"
#include "base/json.h"
#include "doc/doc.h"
#include "store/cost.h"
#include "store/counters.h"
#include "store/offsrv.h"
#include "store/orphans.h"
#include "store/refusals.h"
#include "store/unrecorded.h"
#include "store/decide_mem.h"
#include "store/events.h"
#include "store/state.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "run/status.h"
#include "base/util.h"

/* The spare pool's target now, by the engine's own schedule code. */
static long
spares_wanted(const struct pp_config *cfg, time_t now)
{
	struct pp_engine_ctx ctx;
	long n;

	pp_engine_ctx_init(&ctx, cfg, now);
	pp_engine_ctx_prepare(&ctx, NULL);
	n = pp_spare_target(&ctx);
	pp_engine_ctx_free(&ctx);
	return n;
}

/* A time field as RFC 3339 text or UNIX seconds; 0 when absent. */
static time_t
jtime(json_object *o, const char *key)
{
	json_object *v = pp_jget(o, key);
	time_t t;

	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int))
		return (time_t)json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string) &&
	    pp_parse_time(json_object_get_string(v), &t) == 0)
		return t;
	return 0;
}

static json_object *
jtime_or_null(time_t t)
{
	return t ? pp_jnew_time(t) : NULL;
}


/* Reads a JSON file; a missing file is NULL without an error. A
 * version newer than maxver is refused, as its own reader does: read
 * as ours, it showed as no decision or no snapshot yet. */
static int
load_json(const char *path, const char *what, int maxver, json_object **out,
	char *err, size_t errlen)
{
	char jerr[256];
	size_t len;
	char *text = pp_read_file(path, 64u << 20, &len);
	json_object *v;

	*out = NULL;
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
			strerror(errno));
		return -1;
	}
	*out = pp_json_parse(text, len, jerr, sizeof jerr);
	free(text);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		snprintf(err, errlen, "%s '%s' is corrupt: %s", what, path,
			*out ? "not a JSON object" : jerr);
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	v = pp_jget(*out, "version");
	if (v && (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) > maxver)) {
		snprintf(err, errlen, "%s '%s' has unsupported version '%s'",
			what, path, json_object_get_string(v));
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static json_object *
window(const char *name, const char *what, time_t since, long secs,
	time_t now)
{
	json_object *w = json_object_new_object();
	time_t until = since ? since + secs : 0;

	json_object_object_add(w, "name", json_object_new_string(name));
	json_object_object_add(w, "what", json_object_new_string(what));
	json_object_object_add(w, "seconds", json_object_new_int64(secs));
	json_object_object_add(w, "since", jtime_or_null(since));
	json_object_object_add(w, "until", jtime_or_null(until));
	json_object_object_add(w, "left_seconds", since ?
		json_object_new_int64(until > now ? until - now : 0) : NULL);
	json_object_object_add(w, "active", json_object_new_boolean(
		since && until > now));
	return w;
}

/* When an unneeded node goes: once held for `hold` (hold_after_up
 * until that long after the last scale-up), within the last
 * billing_window seconds of a paid hour (hourly from created). */
static time_t
goes_at(time_t since, const struct pp_unneeded_conf *u, time_t last_up,
	time_t created, int sick)
{
	time_t ready = sick ? since + u->unhealthy_after :
		pp_unneeded_held_at(u, since, last_up);
	long bw = u->billing_window, left;

	if (!created || bw <= 0 || ready < created)
		return ready;
	left = 3600 - (long)((ready - created) % 3600);
	return left <= bw ? ready : ready + left - bw;
}

/* The unneeded policy's holds: each node it has found unneeded, since
 * when, and when it would go. An unhealthy one (it holds no game
 * server, or the policy would not hold it) waits unhealthy_after. */
static json_object *
unneeded_holds(const struct pp_config *cfg, json_object *mine,
	time_t last_up, json_object *last, time_t now)
{
	const struct pp_unneeded_conf *unneeded = pp_unneeded_conf(cfg);
	json_object *since = pp_jget(mine, "unneeded_since");
	json_object *nodes = pp_jget(last, "nodes");
	json_object *a = json_object_new_array();

	if (!since || !json_object_is_type(since, json_type_object))
		return a;
	json_object_object_foreach(since, id, v) {
		json_object *h = json_object_new_object();
		time_t t, created = 0;
		int sick = 0;

		if (!json_object_is_type(v, json_type_string) ||
		    pp_parse_time(json_object_get_string(v), &t) < 0) {
			json_object_put(h);
			continue;
		}
		for (size_t i = 0; nodes && json_object_is_type(nodes,
		     json_type_array) && i < json_object_array_length(nodes);
		     i++) {
			json_object *n = json_object_array_get_idx(nodes, i);

			if (strcmp(pp_jstr(n, "id", ""), id))
				continue;
			created = jtime(n, "created_at");
			sick = !strcmp(pp_jstr(n, "status", ""), "unhealthy");
		}
		json_object_object_add(h, "node", json_object_new_string(id));
		json_object_object_add(h, "since", pp_jnew_time(t));
		json_object_object_add(h, "for_seconds",
			json_object_new_int64(now > t ? now - t : 0));
		json_object_object_add(h, "unhealthy",
			json_object_new_boolean(sick));
		json_object_object_add(h, "hold_seconds",
			json_object_new_int64(sick ? unneeded->unhealthy_after :
			pp_unneeded_hold(unneeded, last_up, now)));
		json_object_object_add(h, "billing_window_seconds",
			json_object_new_int64(unneeded->billing_window));
		json_object_object_add(h, "goes_at", pp_jnew_time(goes_at(t,
			unneeded, last_up, created, sick)));
		json_object_array_add(a, h);
	}
	return a;
}

/* The engine's own spare figures on the snapshot (have 0: none). */
struct spares_seen {
	int have;
	long spares, small;
	long long slot_mb;
	json_object *drains_left;   /* the decision's, a reference */
};

/* Every policy of the engine's table, in its order, with what it says
 * now: the engine run as `pp-decide --dry-run` would, on the last
 * snapshot and the decide memory; *seen gets its spare figures. */
static json_object *
policies_json(const struct pp_config *cfg, json_object *state,
	json_object *decide, json_object *last, time_t now,
	struct spares_seen *seen)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(cfg);
	const struct pp_policy *pols[32];
	struct pp_engine_ctx ctx;
	struct pp_decision d;
	json_object *a = json_object_new_array();
	json_object *mem = NULL;
	char err[512];
	int have = 0;
	size_t n = pp_engine_policies(cfg, pols, 32);

	memset(&d, 0, sizeof d);
	if (last && pp_engine_ctx_from_doc(&ctx, cfg, last,
	    pp_refusals_of(state), now, err, sizeof err) == 0) {
		/* the stranded nodes pp-decide marks from the state */
		pp_engine_ctx_strand(&ctx, pp_stranded_of(state));
		/* the slot size pp-decide remembers, as it recalls it */
		pp_engine_ctx_recall(&ctx, decide, pp_refusals_of(state));
		/* a copy: a dry run must not touch what we print */
		if (!decide || json_object_deep_copy(decide, &mem, NULL) < 0)
			mem = json_object_new_object();
		pp_engine_run(&ctx, mem, 1, &d);
		have = 1;
		seen->have = 1;
		seen->spares = ctx.spares;
		seen->small = ctx.spares_small;
		seen->slot_mb = ctx.slot_mb;
		seen->drains_left = json_object_get(d.drains_left);
	}
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_new_object();
		const char *name = pols[i]->name;
		time_t lastat = pp_decide_mem_policy_last(decide, name);
		const struct pp_evaluation *e = NULL;

		for (size_t k = 0; have && k < d.neval; k++)
			if (d.eval[k].policy == pols[i])
				e = &d.eval[k];
		json_object_object_add(p, "name", json_object_new_string(name));
		json_object_object_add(p, "enabled",
			json_object_new_boolean(pp_policy_enabled(cfg,
			pols[i])));
		json_object_object_add(p, "priority",
			json_object_new_int64(pp_policy_priority(cfg,
			pols[i])));
		json_object_object_add(p, "verdict", e ?
			json_object_new_string(pp_verdict_name(e->v.verdict)) :
			NULL);
		json_object_object_add(p, "reason", json_object_new_string(e ?
			e->v.reason : last ? err : "no snapshot yet"));
		json_object_object_add(p, "last_action_at",
			jtime_or_null(lastat));
		/* reactive is the policy with a cooldown of its own */
		json_object_object_add(p, "cooldown", !strcmp(name,
			"reactive") && reactive->cooldown > 0 ?
			window("cooldown", "pause after the policy's own "
			"action", lastat, reactive->cooldown, now) : NULL);
		if (!strcmp(name, "unneeded"))
			json_object_object_add(p, "holds", unneeded_holds(cfg,
				pp_decide_mem_policy(decide, name, 0),
				pp_decide_mem_last_up(decide), last, now));
		json_object_array_add(a, p);
	}
	if (have) {
		pp_decision_free(&d);
		pp_engine_ctx_free(&ctx);
		json_object_put(mem);
	}
	return a;
}

/* How many events after the snapshot the status shows, and how much of
 * the events file's end it reads for them. */
#define SINCE_MAX 20
#define SINCE_TAIL (4L << 20)
#define SINCE_ROWS 20000L

/* The snapshot's nodes in one status: id, kind, game servers, RAM and
 * players on each. */
static json_object *
nodes_in(json_object *last, const char *status)
{
	json_object *nodes = pp_jget(last, "nodes");
	json_object *out = json_object_new_array();

	for (size_t i = 0; nodes && json_object_is_type(nodes,
	     json_type_array) && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);
		json_object *d;

		if (strcmp(pp_jstr(n, "status", ""), status))
			continue;
		d = json_object_new_object();
		json_object_object_add(d, "node",
			json_object_new_string(pp_jstr(n, "id", "")));
		json_object_object_add(d, "kind",
			json_object_new_string(pp_jstr(n, "kind", "")));
		json_object_object_add(d, "containers",
			json_object_new_int64(pp_jint(n, "containers", 0)));
		json_object_object_add(d, "allocated_ram_mb",
			json_object_new_int64(pp_jint(n, "allocated_ram_mb",
			0)));
		json_object_object_add(d, "players",
			json_object_new_int64(pp_jint(n, "players", 0)));
		json_object_array_add(out, d);
	}
	return out;
}

/* The snapshot's cloud nodes whose server the cloud refuses to delete
 * (cloud.delete_protected): ids. */
static json_object *
nodes_protected(json_object *last)
{
	json_object *nodes = pp_jget(last, "nodes");
	json_object *out = json_object_new_array();

	for (size_t i = 0; nodes && json_object_is_type(nodes,
	     json_type_array) && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (pp_jbool(n, "delete_protected", 0))
			json_object_array_add(out, json_object_new_string(
				pp_jstr(n, "id", "")));
	}
	return out;
}

/* Servers pp-provision last found and left for a person, each said
 * loudly only once: our unregistered servers the cloud refuses to
 * delete (the state's protected_orphans, pp_porphans_of) and servers
 * carrying our labels that are not ours (foreign_servers,
 * pp_foreign_of). Both bill until someone acts. */
static json_object *
servers_left(json_object *sec)
{
	json_object *out = json_object_new_array();

	if (!sec)
		return out;
	json_object_object_foreach(sec, id, v) {
		json_object *o = json_object_new_object();
		json_object *name = pp_jget(v, "name");
		json_object *since = pp_jget(v, "since");

		json_object_object_add(o, "server_id",
			json_object_new_string(id));
		json_object_object_add(o, "name", name ?
			json_object_get(name) : NULL);
		json_object_object_add(o, "since", since ?
			json_object_get(since) : NULL);
		json_object_array_add(out, o);
	}
	return out;
}

/* The servers of registry nodes that no longer carry our labels
 * (the state's stranded_servers, pp_stranded_of): pp-provision leaves
 * them with their nodes and says so once. Each with "relabel", the
 * command pp-provision gave for it (after a change of cloud.pool), kept
 * in the state as it alone knew the labels: null when it gave none (a
 * changed cloud.label_key label, which no command of ours undoes, or an
 * entry written before the field was); and "labels", the label
 * selector of this install's servers (pp_cloud_selector), which they
 * must match again. */
static json_object *
servers_stranded(const struct pp_config *cfg, json_object *sec)
{
	json_object *out = servers_left(sec);
	char *sel = pp_cloud_selector(cfg);

	for (size_t i = 0; i < json_object_array_length(out); i++) {
		json_object *o = json_object_array_get_idx(out, i);
		const char *cmd = pp_stranded_relabel(sec,
			pp_jstr(o, "server_id", ""));

		json_object_object_add(o, "relabel", cmd ?
			json_object_new_string(cmd) : NULL);
		json_object_object_add(o, "labels",
			json_object_new_string(sel));
	}
	free(sel);
	return out;
}

/* One line of the text report for servers_left's list a (none: no
 * line): the label, each server, then what they are. */
static void
servers_left_line(FILE *f, json_object *a, const char *label,
	const char *what)
{
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		fprintf(f, "%s%s (id %s) since %s", i ? ", " : label,
			pp_jstr(o, "name", "?"), pp_jstr(o, "server_id", "?"),
			pp_jstr(o, "since", "?"));
	}
	if (n)
		fprintf(f, ": %s\n", what);
}

/* The servers pp-provision holds because a registry node named them
 * and none names them now (the state's node_servers entries with a
 * held_since): server_id, node (the one it was) and since (when first
 * held). They bill, and may hold players the registry no longer shows. */
static json_object *
servers_held(json_object *state)
{
	json_object *sec = pp_nodesrv_of(state);
	json_object *out = json_object_new_array();

	if (!sec)
		return out;
	json_object_object_foreach(sec, id, v) {
		time_t held = pp_nodesrv_held(sec, id);
		json_object *o, *node = pp_jget(v, "name");

		if (!held)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "server_id",
			json_object_new_string(id));
		json_object_object_add(o, "node", node ?
			json_object_get(node) : NULL);
		json_object_object_add(o, "since", pp_jnew_time(held));
		json_object_array_add(out, o);
	}
	return out;
}

/* The servers of earlier runs' nodes pp-provision last saw off with
 * nothing running (its state's off_servers), read through the
 * section's owner. */
static json_object *
servers_off(json_object *state)
{
	json_object *sec = pp_offsrv_of(state);
	json_object *out = json_object_new_array();

	if (!sec)
		return out;
	json_object_object_foreach(sec, id, v) {
		json_object *o = json_object_new_object();
		json_object *node = pp_jget(v, "node");
		struct pp_offsrv e;

		(void)pp_offsrv_get(sec, id, &e);
		json_object_object_add(o, "server_id",
			json_object_new_string(id));
		json_object_object_add(o, "node", node &&
			json_object_is_type(node, json_type_string) ?
			json_object_get(node) : NULL);
		json_object_object_add(o, "since", e.since ?
			pp_jnew_time(e.since) : NULL);
		json_object_object_add(o, "at", e.at ? pp_jnew_time(e.at) :
			NULL);
		json_object_object_add(o, "looks",
			json_object_new_int64(e.looks));
		/* one whose time cannot be read was powered on all the
		 * same (offsrv.c): true then */
		json_object_object_add(o, "powered_on", e.powered_on > 1 ?
			pp_jnew_time(e.powered_on) : e.powered_on ?
			json_object_new_boolean(1) : NULL);
		json_object_array_add(out, o);
	}
	return out;
}

/* pp-fleetstats' own events are in the snapshot, pp-decide's are its
 * decision: the others are what happened after the snapshot. */
static int
after_snapshot(json_object *event)
{
	const char *tool = pp_jstr(event, "tool", "");

	return strcmp(tool, "pp-fleetstats") && strcmp(tool, "pp-decide");
}

/* What happened after the snapshot, from the events file (with two
 * control hosts, the database's events: both hosts'): what pp-drain
 * and pp-provision did in the snapshot's cycle and since (the snapshot
 * is taken before them). Newest first. */
static json_object *
since_snapshot(const struct pp_config *cfg, const char *state_flag,
	time_t gen, char *err, size_t errlen)
{
	char *path;
	long more = 0;
	json_object *all, *o, *shown;

	if (pp_state_database()) {
		path = pp_xasprintf("ppscale_events (pool %s)",
			pp_state_pool());
		all = pp_events_since_db(gen, after_snapshot, SINCE_MAX,
			SINCE_ROWS, &more, err, errlen);
	} else {
		path = pp_events_path(cfg, state_flag);
		all = pp_events_since(path, gen, after_snapshot, SINCE_MAX,
			SINCE_TAIL, &more, err, errlen);
	}
	if (!all) {
		free(path);
		return NULL;
	}
	shown = json_object_new_array();
	for (size_t n = json_object_array_length(all); n > 0; n--)
		json_object_array_add(shown, json_object_get(
			json_object_array_get_idx(all, n - 1)));
	json_object_put(all);
	o = json_object_new_object();
	json_object_object_add(o, "source", json_object_new_string(path));
	json_object_object_add(o, "events", shown);
	json_object_object_add(o, "more", json_object_new_int64(more));
	free(path);
	return o;
}

/* Whether dir holds any file a pipeline writes (the snapshot is asked
 * of its reader: a last.json that holds none is no state). The
 * registry is not one: the platform writes it, and a directory set up
 * for a pipeline that never ran holds it. */
static int
dir_state(const char *dir)
{
	static const char *const names[] = {"state.json", "history",
		"events.jsonl"};
	DIR *d = opendir(dir);
	struct dirent *e;
	int any = 0;

	if (!d)
		return -1;
	while (!any && (e = readdir(d)) != NULL)
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			if (!strcmp(e->d_name, names[i]))
				any = 1;
	closedir(d);
	return any;
}

json_object *
pp_status_collect(const struct pp_config *cfg, const char *state_flag,
	int nactions, long max_age, char *err, size_t errlen)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(cfg);
	char *spath = pp_state_path(cfg, state_flag, "state.json");
	char *lpath = pp_state_path(cfg, state_flag, "last.json");
	json_object *state = NULL, *last = NULL, *st, *decide, *a, *fleet;
	json_object *policies, *windows, *acts, *drains, *spares;
	struct spares_seen seen = {0, 0, 0, 0, NULL};
	time_t now = pp_now();
	time_t below, up;

	if (pp_state_database()) {
		/* two control hosts: the state is the database's row */
		struct pp_state sst;

		if (pp_state_open(&sst, spath, 0, err, errlen) < 0) {
			free(spath);
			free(lpath);
			return NULL;
		}
		state = json_object_get(sst.root);
		free(spath);
		spath = pp_xstrdup(sst.path);
		pp_state_close(&sst);
	} else if (load_json(spath, "state file", PP_STATE_VERSION,
	    &state, err, errlen) < 0) {
		free(spath);
		free(lpath);
		return NULL;
	}
	if (load_json(lpath, "snapshot", PP_DOC_VERSION, &last, err,
	    errlen) < 0) {
		json_object_put(state);
		free(spath);
		free(lpath);
		return NULL;
	}
	decide = pp_decide_mem_of(state);
	st = json_object_new_object();
	json_object_object_add(st, "now", pp_jnew_time(now));
	json_object_object_add(st, "state_file",
		json_object_new_string(spath));
	json_object_object_add(st, "snapshot_file",
		json_object_new_string(lpath));

	/* the last decision */
	a = pp_decide_mem_recent(decide);
	{
		json_object *d = pp_decide_mem_last(decide);

		json_object_object_add(st, "decision",
			d ? json_object_get(d) : NULL);
	}
	json_object_object_add(st, "decisions",
		json_object_new_int64(pp_decide_mem_decisions(decide)));

	policies = policies_json(cfg, state, decide, last, now, &seen);
	json_object_object_add(st, "policies", policies);

	windows = json_object_new_array();
	below = jtime(pp_decide_mem_policy(decide, "reactive", 0),
		"below_since");
	json_object_array_add(windows, window("reactive.down_window",
		"capacity must stay below the scale-down threshold",
		below, reactive->down_window, now));
	up = pp_decide_mem_last_up(decide);
	json_object_array_add(windows, window("reactive.down_after_up",
		"no scale-down this soon after a scale-up", up,
		reactive->down_after_up, now));
	json_object_object_add(st, "windows", windows);

	acts = json_object_new_array();
	if (a) {
		size_t n = json_object_array_length(a);
		size_t from = n > (size_t)nactions ? n - (size_t)nactions : 0;

		/* newest first, as an operator reads them */
		for (size_t i = n; i > from; i--)
			json_object_array_add(acts, json_object_get(
				json_object_array_get_idx(a, i - 1)));
	}
	json_object_object_add(st, "last_actions", acts);

	fleet = pp_jget(last, "fleet");
	if (fleet) {
		json_object *f = json_object_new_object();
		time_t gen = jtime(last, "generated_at");
		static const char *const keys[] = {"capacity_percent",
			"total_ram_mb", "allocated_ram_mb", "free_ram_mb",
			"pending_ram_mb", "hourly_cost_eur", "spares",
			"players"};

		json_object_object_add(f, "generated_at", jtime_or_null(gen));
		json_object_object_add(f, "age_seconds", gen ?
			json_object_new_int64(now - gen) : NULL);
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			json_object *v = pp_jget(fleet, keys[i]);

			json_object_object_add(f, keys[i],
				v ? json_object_get(v) : NULL);
		}
		json_object_object_add(st, "fleet", f);
		if (gen) {
			char eerr[512];
			json_object *since = since_snapshot(cfg, state_flag,
				gen, eerr, sizeof eerr);

			/* a section less, not a report to distrust */
			if (!since)
				pp_warn("%s", eerr);
			json_object_object_add(st, "since_snapshot", since);
		} else {
			json_object_object_add(st, "since_snapshot", NULL);
		}
	} else {
		json_object_object_add(st, "fleet", NULL);
		json_object_object_add(st, "since_snapshot", NULL);
	}

	spares = json_object_new_object();
	json_object_object_add(spares, "wanted", json_object_new_int64(
		pp_spare_conf(cfg)->on.enabled ? spares_wanted(cfg, now) : 0));
	/* as the engine counts them: an idle spare too small for the
	 * headroom's slot is not one (pp-decide's small_spares) */
	json_object_object_add(spares, "present", seen.have ?
		json_object_new_int64(seen.spares) : fleet && pp_jget(fleet,
		"spares") ? json_object_get(pp_jget(fleet, "spares")) : NULL);
	json_object_object_add(spares, "too_small", seen.have ?
		json_object_new_int64(seen.small) : NULL);
	json_object_object_add(spares, "slot_mb", seen.have && seen.slot_mb >
		0 ? json_object_new_int64(seen.slot_mb) : NULL);
	json_object_object_add(st, "spares", spares);

	drains = nodes_in(last, "draining");
	/* the ones the pipeline leaves as they are say why: a drain by
	 * hand stays for good, and nothing else says so */
	for (size_t i = 0; i < json_object_array_length(drains); i++) {
		json_object *e = json_object_array_get_idx(drains, i);
		json_object *l = seen.drains_left;

		for (size_t k = 0; l && k < json_object_array_length(l); k++) {
			json_object *o = json_object_array_get_idx(l, k);

			if (!strcmp(pp_jstr(o, "node", ""), pp_jstr(e, "node",
			    "")))
				json_object_object_add(e, "left",
					json_object_get(pp_jget(o, "why")));
		}
	}
	json_object_put(seen.drains_left);
	json_object_object_add(st, "drains", drains);
	{
		json_object *u = pp_unrecorded_of(state);

		json_object_object_add(st, "unrecorded_moves", u ?
			json_object_get(u) : json_object_new_array());
	}
	/* no capacity, and the pipeline leaves them alone: a cloud one
	 * bills until someone looks (PpscaleCloudNodeUnhealthy) */
	json_object_object_add(st, "unhealthy", nodes_in(last, "unhealthy"));
	/* kept however unneeded: the cloud would refuse the delete */
	json_object_object_add(st, "delete_protected", nodes_protected(last));
	json_object_object_add(st, "protected_orphans",
		servers_left(pp_porphans_of(state)));
	json_object_object_add(st, "foreign_servers",
		servers_left(pp_foreign_of(state)));
	json_object_object_add(st, "held_servers", servers_held(state));
	json_object_object_add(st, "stranded_servers",
		servers_stranded(cfg, pp_stranded_of(state)));
	json_object_object_add(st, "off_servers", servers_off(state));
	{
		json_object *c = pp_counters_of(state);

		json_object_object_add(st, "counters",
			c ? json_object_get(c) : json_object_new_object());
	}
	{
		json_object *c = json_object_new_object();
		double today, month;
		int any = pp_cost_accrued(state, now, &today, &month) == 0;

		json_object_object_add(c, "rate_eur_h", fleet && pp_jget(fleet,
			"hourly_cost_eur") ? json_object_get(pp_jget(fleet,
			"hourly_cost_eur")) : NULL);
		json_object_object_add(c, "today_eur", any ?
			pp_jnew_double(today, 4) : NULL);
		json_object_object_add(c, "month_eur", any ?
			pp_jnew_double(month, 4) : NULL);
		json_object_object_add(st, "cost", c);
	}
	{
		json_object *w = json_object_new_array();
		char *dir = pp_state_dir(cfg, state_flag);
		int ds = dir_state(dir);
		time_t gen = jtime(last, "generated_at");
		char msg[1024], d1[32], d2[32], t1[PP_TIME_LEN], t2[PP_TIME_LEN];

		msg[0] = '\0';
		if (ds == 0 && gen)
			ds = 1;
		if (ds < 0) {
			snprintf(msg, sizeof msg, "state directory '%s' "
				"cannot be read: %s (a mistyped --state-dir?)",
				dir, strerror(errno));
		} else if (ds == 0) {
			snprintf(msg, sizeof msg, "state directory '%s' holds "
				"no state: no pipeline has run with it", dir);
		} else if (last && max_age > 0 && gen && now - gen > max_age) {
			pp_format_duration(now - gen, d1, sizeof d1);
			pp_format_duration(max_age, d2, sizeof d2);
			snprintf(msg, sizeof msg, "the snapshot is %s old "
				"(more than %s): is pp-fleetstats running?",
				d1, d2);
		} else if (last && gen && gen - now > PP_DOC_AHEAD_S) {
			/* as the pipeline's tools say of such a document */
			pp_format_duration(gen - now, d1, sizeof d1);
			snprintf(msg, sizeof msg, "the snapshot was generated "
				"at %s, %s after this tool's clock (%s): a "
				"clock set back, or --now before the snapshot's "
				"time?", pp_format_time(gen, t1, sizeof t1), d1,
				pp_format_time(now, t2, sizeof t2));
		}
		if (msg[0])
			json_object_array_add(w, json_object_new_string(msg));
		free(dir);
		json_object_object_add(st, "warnings", w);
	}
	json_object_put(state);
	json_object_put(last);
	free(spath);
	free(lpath);
	return st;
}

static const char *
str_or(json_object *o, const char *key, const char *def)
{
	json_object *v = pp_jget(o, key);

	return v ? json_object_get_string(v) : def;
}

static void
window_text(char *buf, size_t len, json_object *w)
{
	char d[32];

	if (!w || !pp_jget(w, "since")) {
		snprintf(buf, len, "-");
	} else if (pp_jbool(w, "active", 0)) {
		pp_format_duration(pp_jint(w, "left_seconds", 0), d, sizeof d);
		snprintf(buf, len, "%s left", d);
	} else {
		snprintf(buf, len, "over");
	}
}

static void
print_window(FILE *f, json_object *w)
{
	char d[32];

	if (!w || !pp_jget(w, "since")) {
		fputs("-", f);
		return;
	}
	if (pp_jbool(w, "active", 0)) {
		pp_format_duration(pp_jint(w, "left_seconds", 0), d, sizeof d);
		fprintf(f, "%s left", d);
	} else {
		fputs("over", f);
	}
}

/* The entries of unrecorded_moves that are intents (or are not), on
 * one line led by lead and ended by tail. */
static void
print_moves(FILE *f, json_object *unrec, int intents, const char *lead,
	const char *tail)
{
	size_t n = 0;

	for (size_t i = 0; unrec && i < json_object_array_length(unrec);
	     i++) {
		json_object *e = json_object_array_get_idx(unrec, i);
		const char *st = pp_jstr(e, "state", NULL);

		if ((st && !strcmp(st, "intent")) != intents)
			continue;
		fprintf(f, "%s%s (%s -> %s at %s)", n++ ? ", " : lead,
			pp_jstr(e, "server", "?"), pp_jstr(e, "from", "?"),
			pp_jstr(e, "to", "?"), pp_jstr(e, "at", "?"));
	}
	if (n)
		fprintf(f, "%s\n", tail);
}

/* What pp-drain and pp-provision did after the snapshot, newest first. */
static void
print_since(FILE *f, json_object *since)
{
	json_object *ev = pp_jget(since, "events");
	long long more = pp_jint(since, "more", 0);

	if (!since)
		return;
	fputs("\nAFTER THE SNAPSHOT\n", f);
	if (!ev || json_object_array_length(ev) == 0) {
		fputs("none\n", f);
		return;
	}
	fprintf(f, "%-20s  %-17s %-11s %-8s %s\n", "TIME", "EVENT", "NODE",
		"RESULT", "WHAT");
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		json_object *e = json_object_array_get_idx(ev, i);
		const char *type = pp_jstr(e, "server_type", NULL);
		const char *loc = pp_jstr(e, "location", NULL);
		const char *id = pp_jstr(e, "server_id", NULL);
		const char *why = pp_jstr(e, "reason", NULL);

		fprintf(f, "%-20s  %-17s %-11s %-8s ", str_or(e, "time", "?"),
			str_or(e, "type", "?"), str_or(e, "node", "-"),
			str_or(e, "result", "-"));
		if (type)
			fprintf(f, "%s%s%s%s%s: ", type, loc ? " in " : "",
				loc ? loc : "", id ? ", server " : "",
				id ? id : "");
		fprintf(f, "%s\n", why ? why : "-");
	}
	if (more > 0)
		fprintf(f, "and %lld earlier (pp-status --json lists %d; the "
			"events file has them all)\n", more, SINCE_MAX);
}

void
pp_status_print(FILE *f, json_object *st)
{
	json_object *fleet = pp_jget(st, "fleet");
	json_object *dec = pp_jget(st, "decision");
	json_object *pol = pp_jget(st, "policies");
	json_object *win = pp_jget(st, "windows");
	json_object *acts = pp_jget(st, "last_actions");
	json_object *drains = pp_jget(st, "drains");
	json_object *unrec = pp_jget(st, "unrecorded_moves");
	json_object *unh = pp_jget(st, "unhealthy");
	json_object *prot = pp_jget(st, "delete_protected");
	json_object *porph = pp_jget(st, "protected_orphans");
	json_object *foreign = pp_jget(st, "foreign_servers");
	json_object *held = pp_jget(st, "held_servers");
	json_object *strand = pp_jget(st, "stranded_servers");
	json_object *off = pp_jget(st, "off_servers");
	json_object *sp = pp_jget(st, "spares");
	long long decided = pp_jint(st, "decisions", 0);
	char d[32];

	json_object *warn = pp_jget(st, "warnings");
	json_object *cost = pp_jget(st, "cost");

	fprintf(f, "ppscale status at %s\n\n", pp_jstr(st, "now", "?"));
	for (size_t i = 0; warn && i < json_object_array_length(warn); i++)
		fprintf(f, "WARNING    %s\n", json_object_get_string(
			json_object_array_get_idx(warn, i)));
	if (fleet) {
		long long age = pp_jint(fleet, "age_seconds", 0);

		pp_format_duration(age < 0 ? -age : age, d, sizeof d);
		fprintf(f, "snapshot   %s (%s %s)\n",
			str_or(fleet, "generated_at", "?"), d, age < 0 ?
			"after this tool's clock" : "ago");
		fprintf(f, "capacity   %.2f %%  (%lld of %lld MB allocated, "
			"%lld MB provisioning)\n",
			pp_jdouble(fleet, "capacity_percent", 0),
			pp_jint(fleet, "allocated_ram_mb", 0),
			pp_jint(fleet, "total_ram_mb", 0),
			pp_jint(fleet, "pending_ram_mb", 0));
		fprintf(f, "cost       %.4f EUR/hour (cloud nodes)",
			pp_jdouble(fleet, "hourly_cost_eur", 0));
		if (pp_jget(cost, "today_eur"))
			fprintf(f, "; %.2f EUR today, %.2f EUR this month "
				"(UTC, estimated)", pp_jdouble(cost,
				"today_eur", 0), pp_jdouble(cost, "month_eur",
				0));
		fputc('\n', f);
	} else {
		fprintf(f, "snapshot   none yet (pp-fleetstats has not "
			"recorded a run)\n");
	}
	fprintf(f, "spares     %s present", str_or(sp, "present", "?"));
	if (pp_jint(sp, "too_small", 0) > 0)
		fprintf(f, " (and %lld idle, too small for a %lld MB slot)",
			pp_jint(sp, "too_small", 0), pp_jint(sp, "slot_mb", 0));
	fprintf(f, ", %lld wanted now\n", pp_jint(sp, "wanted", 0));
	fputs("drains     ", f);
	if (!drains || json_object_array_length(drains) == 0)
		fputs("none", f);
	for (size_t i = 0; drains && i < json_object_array_length(drains);
	     i++) {
		json_object *e = json_object_array_get_idx(drains, i);

		fprintf(f, "%s%s (%lld game servers, %lld MB, %lld players "
			"left%s%s)", i ? ", " : "", pp_jstr(e, "node", "?"),
			pp_jint(e, "containers", 0),
			pp_jint(e, "allocated_ram_mb", 0),
			pp_jint(e, "players", 0), pp_jget(e, "left") ? "; " :
			"", pp_jstr(e, "left", ""));
	}
	fputs("\n", f);
	print_moves(f, unrec, 0, "unrecorded ", ": moved, but the registry "
		"could not record it; the next pp-drain that acts records it");
	print_moves(f, unrec, 1, "unsettled  ", ": a pp-drain that ended "
		"was moving it (or one is moving it now); neither node is "
		"empty until a pp-drain that acts settles it (it moves it "
		"again once the target can take it, or back to the node it "
		"left while that one can), or, once you have seen where it "
		"runs, pp-drain --settle SERVER --on NODE");
	for (size_t i = 0; unh && i < json_object_array_length(unh); i++) {
		json_object *e = json_object_array_get_idx(unh, i);

		fprintf(f, "%s%s (%s, %lld game servers, %lld MB, %lld "
			"players)", i ? ", " : "unhealthy  ", pp_jstr(e, "node",
			"?"), pp_jstr(e, "kind", "?"), pp_jint(e, "containers",
			0), pp_jint(e, "allocated_ram_mb", 0), pp_jint(e,
			"players", 0));
		if (i + 1 == json_object_array_length(unh))
			fputs(": no capacity, left alone by the pipeline\n", f);
	}
	for (size_t i = 0; prot && i < json_object_array_length(prot); i++) {
		fprintf(f, "%s%s", i ? ", " : "protected  ",
			json_object_get_string(json_object_array_get_idx(prot,
			i)));
		if (i + 1 == json_object_array_length(prot))
			fputs(": delete-protected in the cloud, never removed "
				"until the protection is lifted\n", f);
	}
	servers_left_line(f, porph, "orphans    ", "carries our labels, in "
		"no registry node, delete-protected in the cloud: billed until "
		"the protection is lifted (then deleted) or it is adopted");
	servers_left_line(f, foreign, "foreign    ", "carries our labels but "
		"is not ours (another pool, or a name without "
		"cloud.name_prefix): neither adopted nor deleted; relabel, "
		"rename or delete it by hand");
	for (size_t i = 0; held && i < json_object_array_length(held); i++) {
		json_object *o = json_object_array_get_idx(held, i);

		fprintf(f, "held       id %s since %s: was registry node '%s', "
			"which the registry no longer has; billed, and any game "
			"servers on it are not in the registry: neither "
			"deleted nor adopted until the node is back in the "
			"registry or a person deletes it (pp-provision "
			"--delete-orphan %s, or by hand)\n",
			pp_jstr(o, "server_id", "?"), pp_jstr(o, "since", "?"),
			pp_jstr(o, "node", "?"), pp_jstr(o, "server_id", "?"));
	}
	for (size_t i = 0; strand && i < json_object_array_length(strand);
	     i++) {
		json_object *o = json_object_array_get_idx(strand, i);
		const char *cmd = pp_jstr(o, "relabel", NULL);

		fprintf(f, "stranded   %s (id %s) since %s: a registry node's "
			"server that no longer carries our labels", pp_jstr(o,
			"name", "?"), pp_jstr(o, "server_id", "?"),
			pp_jstr(o, "since", "?"));
		if (cmd)
			fprintf(f, " (most often after a change of "
				"cloud.pool): left alone with its node; if it "
				"is this install's, set cloud.pool back, or "
				"relabel it ('%s')\n", cmd);
		else
			fprintf(f, ": left alone with its node; if it is "
				"this install's, set its labels back by hand to "
				"match %s (cloud.label_key=cloud.label_value "
				"and the pool; pp-provision recorded no command "
				"for it)\n", pp_jstr(o, "labels", "?"));
	}
	for (size_t i = 0; off && i < json_object_array_length(off); i++) {
		json_object *o = json_object_array_get_idx(off, i);
		json_object *pw = pp_jget(o, "powered_on");
		long long looks = pp_jint(o, "looks", 0);

		fprintf(f, "off        %s (server %s) since %s, %lld look%s "
			"in a row", pp_jstr(o, "node", "?"), pp_jstr(o,
			"server_id", "?"), pp_jstr(o, "since", "?"), looks,
			looks == 1 ? "" : "s");
		if (pw)
			fprintf(f, " since its power-on at %s: still off; "
				"pp-provision deletes it as a failed boot if "
				"it stays so\n", json_object_is_type(pw,
				json_type_string) ? json_object_get_string(pw) :
				"?");
		else
			fputs(": still booting from an earlier run, off with "
				"nothing running; pp-provision powers it on "
				"once if it stays so\n", f);
	}
	if (dec)
		fprintf(f, "decision   %s%s by %s at %s: %s\n",
			pp_jstr(dec, "action", "?"), pp_jbool(dec, "shadow", 0) ?
			" (shadow)" : "", str_or(dec, "policy", "-"),
			str_or(dec, "at", "?"), str_or(dec, "reason", "-"));
	else if (decided > 0)
		fprintf(f, "decision   none acted: nothing to do in the %lld "
			"cycle%s decided\n", decided, decided == 1 ? "" : "s");
	else
		fputs("decision   no decision yet\n", f);

	fprintf(f, "\n%-11s %-4s %-5s %-8s %-11s %s\n", "POLICY", "ON",
		"PRIO", "VERDICT", "COOLDOWN", "WHY");
	for (size_t i = 0; pol && i < json_object_array_length(pol); i++) {
		json_object *p = json_object_array_get_idx(pol, i);
		json_object *holds = pp_jget(p, "holds");
		char cd[48];

		window_text(cd, sizeof cd, pp_jget(p, "cooldown"));
		fprintf(f, "%-11s %-4s %-5lld %-8s %-11s %s\n",
			pp_jstr(p, "name", "?"),
			pp_jbool(p, "enabled", 0) ? "yes" : "no",
			pp_jint(p, "priority", 0),
			str_or(p, "verdict", "-"), cd,
			str_or(p, "reason", "-"));
		for (size_t k = 0; holds && k < json_object_array_length(holds);
		     k++) {
			json_object *h = json_object_array_get_idx(holds, k);
			const char *at = pp_jstr(h, "goes_at", "");

			fprintf(f, "  %s %s for %lld of %lld min, then "
				"the last %lld min of its paid hour at %.5s\n",
				pp_jstr(h, "node", "?"), pp_jbool(h, "unhealthy",
				0) ? "unhealthy and empty" : "unneeded",
				pp_jint(h, "for_seconds", 0) / 60,
				pp_jint(h, "hold_seconds", 0) / 60,
				pp_jint(h, "billing_window_seconds", 0) / 60,
				strlen(at) > 11 ? at + 11 : "?");
		}
	}

	fprintf(f, "\n%-24s %-10s %s\n", "WINDOW", "LENGTH", "STATE");
	for (size_t i = 0; win && i < json_object_array_length(win); i++) {
		json_object *w = json_object_array_get_idx(win, i);

		pp_format_duration(pp_jint(w, "seconds", 0), d, sizeof d);
		fprintf(f, "%-24s %-10s ", pp_jstr(w, "name", "?"), d);
		if (pp_jget(w, "since"))
			fprintf(f, "since %s, ", pp_jstr(w, "since", "?"));
		print_window(f, w);
		fputs("\n", f);
	}

	fputs("\nLAST ACTIONS\n", f);
	if (!acts || json_object_array_length(acts) == 0)
		fputs(decided > 0 ? "none yet\n" : "no decision yet\n", f);
	else
		fprintf(f, "%-20s  %-22s %-10s %-8s %s\n", "TIME", "ACTION",
			"POLICY", "RESULT", "REASON");
	for (size_t i = 0; acts && i < json_object_array_length(acts); i++) {
		json_object *e = json_object_array_get_idx(acts, i);
		char act[64];

		if (pp_jget(e, "node"))
			snprintf(act, sizeof act, "%s %s",
				pp_jstr(e, "action", "?"),
				str_or(e, "node", ""));
		else if (pp_jint(e, "count", 0) > 1)
			snprintf(act, sizeof act, "%s x%lld",
				pp_jstr(e, "action", "?"),
				pp_jint(e, "count", 0));
		else
			snprintf(act, sizeof act, "%s",
				pp_jstr(e, "action", "?"));
		fprintf(f, "%-20s  %-22s %-10s %-8s %s\n",
			str_or(e, "at", "?"), act,
			str_or(e, "policy", "-"), str_or(e, "result",
			pp_jbool(e, "shadow", 0) ? "shadow" : "-"),
			str_or(e, "reason", "-"));
	}
	print_since(f, pp_jget(st, "since_snapshot"));
}
