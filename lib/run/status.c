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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "base/json.h"
#include "store/counters.h"
#include "store/decide_mem.h"
#include "store/state.h"
#include "engine/engine.h"
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


/* Reads a JSON file; a missing file is NULL without an error. */
static int
load_json(const char *path, const char *what, json_object **out, char *err,
	size_t errlen)
{
	char jerr[256];
	size_t len;
	char *text = pp_read_file(path, 64u << 20, &len);

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

static json_object *
policy(const char *name, int enabled, long prio, long cooldown,
	json_object *decide, time_t now)
{
	json_object *p = json_object_new_object();
	time_t last = pp_decide_mem_policy_last(decide, name);

	json_object_object_add(p, "name", json_object_new_string(name));
	json_object_object_add(p, "enabled",
		json_object_new_boolean(enabled));
	json_object_object_add(p, "priority", json_object_new_int64(prio));
	json_object_object_add(p, "last_action_at", jtime_or_null(last));
	json_object_object_add(p, "cooldown", cooldown > 0 ?
		window("cooldown", "pause after the policy's own action",
			last, cooldown, now) : NULL);
	return p;
}

json_object *
pp_status_collect(const struct pp_config *cfg, const char *state_flag,
	int nactions, char *err, size_t errlen)
{
	char *spath = pp_state_path(cfg, state_flag, "state.json");
	char *lpath = pp_state_path(cfg, state_flag, "last.json");
	json_object *state = NULL, *last = NULL, *st, *decide, *a, *fleet;
	json_object *policies, *windows, *acts, *drains, *spares;
	time_t now = pp_now();
	time_t below, up;

	if (load_json(spath, "state file", &state, err, errlen) < 0 ||
	    load_json(lpath, "snapshot", &last, err, errlen) < 0) {
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

	policies = json_object_new_array();
	json_object_array_add(policies, policy("reactive",
		cfg->reactive.enabled, cfg->reactive.priority,
		cfg->reactive.cooldown, decide, now));
	json_object_array_add(policies, policy("spare", cfg->spare.enabled,
		cfg->spare.priority, 0, decide, now));
	json_object_array_add(policies, policy("predictive",
		cfg->predictive.enabled, cfg->predictive.priority, 0, decide,
		now));
	json_object_object_add(st, "policies", policies);

	windows = json_object_new_array();
	below = jtime(pp_decide_mem_policy(decide, "reactive", 0),
		"below_since");
	json_object_array_add(windows, window("reactive.down_window",
		"capacity must stay below the scale-down threshold",
		below, cfg->reactive.down_window, now));
	up = pp_decide_mem_last_up(decide);
	json_object_array_add(windows, window("reactive.down_after_up",
		"no scale-down this soon after a scale-up", up,
		cfg->reactive.down_after_up, now));
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
	} else {
		json_object_object_add(st, "fleet", NULL);
	}

	spares = json_object_new_object();
	json_object_object_add(spares, "wanted", json_object_new_int64(
		cfg->spare.enabled ? spares_wanted(cfg, now) : 0));
	json_object_object_add(spares, "present", fleet && pp_jget(fleet,
		"spares") ? json_object_get(pp_jget(fleet, "spares")) : NULL);
	json_object_object_add(st, "spares", spares);

	drains = json_object_new_array();
	{
		json_object *nodes = pp_jget(last, "nodes");

		for (size_t i = 0; nodes && json_object_is_type(nodes,
		     json_type_array) && i < json_object_array_length(nodes);
		     i++) {
			json_object *n = json_object_array_get_idx(nodes, i);
			json_object *d;

			if (strcmp(pp_jstr(n, "status", ""), "draining"))
				continue;
			d = json_object_new_object();
			json_object_object_add(d, "node",
				json_object_new_string(pp_jstr(n, "id", "")));
			json_object_object_add(d, "containers",
				json_object_new_int64(pp_jint(n, "containers",
				0)));
			json_object_object_add(d, "allocated_ram_mb",
				json_object_new_int64(pp_jint(n,
				"allocated_ram_mb", 0)));
			json_object_object_add(d, "players",
				json_object_new_int64(pp_jint(n, "players",
				0)));
			json_object_array_add(drains, d);
		}
	}
	json_object_object_add(st, "drains", drains);
	{
		json_object *c = pp_counters_of(state);

		json_object_object_add(st, "counters",
			c ? json_object_get(c) : json_object_new_object());
	}
	json_object_put(state);
	json_object_put(last);
	free(spath);
	free(lpath);
	return st;
}

/* "1h05m", "4m30s", "45s" */
static void
fmt_dur(char *buf, size_t len, long long s)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
}

static const char *
str_or(json_object *o, const char *key, const char *def)
{
	json_object *v = pp_jget(o, key);

	return v ? json_object_get_string(v) : def;
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
		fmt_dur(d, sizeof d, pp_jint(w, "left_seconds", 0));
		fprintf(f, "%s left", d);
	} else {
		fputs("over", f);
	}
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
	json_object *sp = pp_jget(st, "spares");
	char d[32];

	fprintf(f, "ppscale status at %s\n\n", pp_jstr(st, "now", "?"));
	if (fleet) {
		fmt_dur(d, sizeof d, pp_jint(fleet, "age_seconds", 0));
		fprintf(f, "snapshot   %s (%s ago)\n",
			str_or(fleet, "generated_at", "?"), d);
		fprintf(f, "capacity   %.2f %%  (%lld of %lld MB allocated, "
			"%lld MB provisioning)\n",
			pp_jdouble(fleet, "capacity_percent", 0),
			pp_jint(fleet, "allocated_ram_mb", 0),
			pp_jint(fleet, "total_ram_mb", 0),
			pp_jint(fleet, "pending_ram_mb", 0));
		fprintf(f, "cost       %.4f EUR/hour (cloud nodes)\n",
			pp_jdouble(fleet, "hourly_cost_eur", 0));
	} else {
		fprintf(f, "snapshot   none yet (pp-fleetstats has not "
			"recorded a run)\n");
	}
	fprintf(f, "spares     %s present, %lld wanted now\n",
		str_or(sp, "present", "?"), pp_jint(sp, "wanted", 0));
	fputs("drains     ", f);
	if (!drains || json_object_array_length(drains) == 0)
		fputs("none", f);
	for (size_t i = 0; drains && i < json_object_array_length(drains);
	     i++) {
		json_object *e = json_object_array_get_idx(drains, i);

		fprintf(f, "%s%s (%lld game servers, %lld MB, %lld players "
			"left)", i ? ", " : "", pp_jstr(e, "node", "?"),
			pp_jint(e, "containers", 0),
			pp_jint(e, "allocated_ram_mb", 0),
			pp_jint(e, "players", 0));
	}
	fputs("\n", f);
	if (dec)
		fprintf(f, "decision   %s by %s at %s: %s\n",
			pp_jstr(dec, "action", "?"),
			str_or(dec, "policy", "-"), str_or(dec, "at", "?"),
			str_or(dec, "reason", "-"));
	else
		fputs("decision   no decision yet\n", f);

	fprintf(f, "\n%-11s %-4s %-5s %s\n", "POLICY", "ON", "PRIO",
		"COOLDOWN");
	for (size_t i = 0; pol && i < json_object_array_length(pol); i++) {
		json_object *p = json_object_array_get_idx(pol, i);

		fprintf(f, "%-11s %-4s %-5lld ", pp_jstr(p, "name", "?"),
			pp_jbool(p, "enabled", 0) ? "yes" : "no",
			pp_jint(p, "priority", 0));
		print_window(f, pp_jget(p, "cooldown"));
		fputs("\n", f);
	}

	fprintf(f, "\n%-24s %-10s %s\n", "WINDOW", "LENGTH", "STATE");
	for (size_t i = 0; win && i < json_object_array_length(win); i++) {
		json_object *w = json_object_array_get_idx(win, i);

		fmt_dur(d, sizeof d, pp_jint(w, "seconds", 0));
		fprintf(f, "%-24s %-10s ", pp_jstr(w, "name", "?"), d);
		if (pp_jget(w, "since"))
			fprintf(f, "since %s, ", pp_jstr(w, "since", "?"));
		print_window(f, w);
		fputs("\n", f);
	}

	fputs("\nLAST ACTIONS\n", f);
	if (!acts || json_object_array_length(acts) == 0) {
		fputs("no decision yet\n", f);
		return;
	}
	fprintf(f, "%-20s  %-17s %-10s %-8s %s\n", "TIME", "ACTION",
		"POLICY", "RESULT", "REASON");
	for (size_t i = 0; i < json_object_array_length(acts); i++) {
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
		fprintf(f, "%-20s  %-17s %-10s %-8s %s\n",
			str_or(e, "at", "?"), act,
			str_or(e, "policy", "-"), str_or(e, "result", "-"),
			str_or(e, "reason", "-"));
	}
}
