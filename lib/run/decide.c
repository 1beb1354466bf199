/* pp-decide around the engine: the state file (locked, replaced
 * atomically, never touched by a dry run), events, counters and the
 * readable explanation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "run/decide.h"
#include "base/json.h"
#include "doc/doc.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "store/cost.h"
#include "store/counters.h"
#include "store/decide_mem.h"
#include "store/events.h"
#include "store/metrics.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "store/orphans.h"
#include "store/state.h"
#include "base/util.h"

#define LOCK_TIMEOUT 30.0

static void
open_state(struct pp_state *st, const char *path,
	const struct pp_decide_opts *o)
{
	char err[768];
	int rc = pp_state_open(st, path, o->dry_run ? 0 : PP_LOCK_EX, err,
		sizeof err);

	if (rc == -2)
		pp_die(PP_EXIT_FAIL, "%s", err);
	if (rc == -3 || (rc == -1 && pp_state_database()))
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (rc == -1 && !o->reset_state)
		pp_die(PP_EXIT_USAGE, "%s", err);
	if (rc == -1) {
		/* a corrupt file, replaced on purpose */
		pp_warn("state file '%s' is unreadable or corrupt: starting "
			"fresh (--reset-state)", path);
		st->path = pp_xstrdup(path);
		st->root = json_object_new_object();
		json_object_object_add(st->root, "version",
			json_object_new_int(PP_STATE_VERSION));
		if (!o->dry_run && pp_lock(&st->lock, path, PP_LOCK_EX,
		    LOCK_TIMEOUT) < 0)
			pp_die(PP_EXIT_FAIL, "cannot lock state file '%s': %s",
				path, pp_lock_strerror(errno));
	}
	if (o->reset_state)
		json_object_object_del(st->root, "decide");
}

/* A configured type the catalog no longer has, or marks deprecated
 * (the config's word), is skipped by the engine; say so once per run.
 * So is one deprecated in a configured location, by the API there or
 * at the top level: ordered there until its unavailable_after (a note,
 * a warning in its last 30 days), skipped there after. */
static void
warn_types(const struct pp_config *cfg, const struct pp_engine_ctx *ctx)
{
	struct pp_catalog own;
	const struct pp_catalog *cat = ctx->catalog;

	if (!cat) {
		pp_catalog_from_config(cfg, &own);
		cat = &own;
	}
	for (size_t i = 0; i < cfg->cloud.server_types.n; i++) {
		const char *name = cfg->cloud.server_types.v[i];
		const struct pp_server_type *t = pp_catalog_find(cat, name);

		if (!t)
			pp_warn("server type '%s' is not in the catalog: "
				"skipped", name);
		else if (t->deprecated)
			pp_warn("server type '%s' is deprecated: skipped",
				name);
		for (size_t j = 0; t && !t->deprecated &&
		    j < cfg->cloud.locations.n; j++) {
			const char *loc = cfg->cloud.locations.v[j];
			const struct pp_price *p = pp_type_price(t, loc);
			char ts[PP_TIME_LEN];

			if (!p || !p->available || !p->unavailable_after)
				continue;
			pp_format_time(p->unavailable_after, ts, sizeof ts);
			/* a warning in its last 30 days: months of them
			 * would keep pp_last_run_warnings (and its alert)
			 * up for a type that is still fine to order */
			if (ctx->now <= p->unavailable_after &&
			    p->unavailable_after - ctx->now > 30 * 86400)
				pp_note("server type '%s' is deprecated in "
					"'%s': ordered there until %s", name,
					loc, ts);
			else if (ctx->now <= p->unavailable_after)
				pp_warn("server type '%s' is deprecated in "
					"'%s': ordered there until %s", name,
					loc, ts);
			else
				pp_warn("server type '%s' is deprecated in "
					"'%s' and no longer orderable there "
					"(since %s): skipped there", name, loc,
					ts);
		}
	}
	if (cat == &own)
		pp_catalog_free(&own);
}

/* New nodes of a type too small for what they should hold (the
 * engine buys the largest one rather than nothing), and headroom slots
 * no type holds: said, as someone has to change the fleet or the
 * allowed types. A warning (counted: PpscaleToolWarns) when new nodes
 * miss the largest game server running, or a size the config sets; a
 * note when they miss only a slot sized by game servers seen (a huge
 * one remembered for the headroom's memory), which refuses no player
 * and would otherwise warn every run for days. */
static void
say(int warn, const char *msg)
{
	if (warn)
		pp_warn("%s", msg);
	else
		pp_note("%s", msg);
}

static void
warn_short(const struct pp_engine_ctx *c, const struct pp_decision *d)
{
	const struct pp_choice *ch = d->action == PP_ACT_PROVISION_SPARE ?
		&c->spare_type : &c->worker_type;
	int configured = pp_headroom_conf(c->cfg)->slot_ram_mb > 0;
	char msg[256];

	if ((d->action == PP_ACT_SCALE_UP ||
	    d->action == PP_ACT_PROVISION_SPARE) && ch->ok &&
	    ch->short_mb > 0) {
		snprintf(msg, sizeof msg, "no allowed server type holds %s "
			"(%lld MB): buying %s, the largest (%lld MB usable)",
			pp_engine_need_name(c, ch->short_mb), ch->short_mb,
			ch->type, ch->usable_mb);
		say(configured || c->largest_mb > ch->usable_mb ||
			c->cfg->cloud.min_usable_ram_mb > ch->usable_mb, msg);
	}
	if (pp_headroom_conf(c->cfg)->on.enabled &&
	    pp_engine_slot_unbuyable(c) && c->slots < c->slots_wanted) {
		snprintf(msg, sizeof msg, "headroom: no allowed server type "
			"holds a slot of %lld MB (the largest, %s, holds %lld "
			"MB): no server is bought for slots", c->slot_mb,
			c->worker_type.type, c->worker_type.usable_mb);
		say(configured, msg);
	}
}

/* The cost section's servers: the cloud nodes whose server was made
 * (they have its creation time), at their hourly price, capped at their
 * type's monthly price in their location as the catalog gives it. */
static void
accrue_cost(const struct pp_config *cfg, const struct pp_engine_ctx *ctx,
	json_object *root, time_t now)
{
	struct pp_catalog own;
	const struct pp_catalog *cat = ctx->catalog;
	struct pp_cost_server *s = pp_xcalloc(ctx->nnodes ? ctx->nnodes : 1,
		sizeof *s);
	size_t n = 0;

	if (!cat) {
		pp_catalog_from_config(cfg, &own);
		cat = &own;
	}
	for (size_t i = 0; i < ctx->nnodes; i++) {
		const struct pp_enode *e = &ctx->nodes[i];
		const struct pp_server_type *t;
		const struct pp_price *p = NULL;

		if (e->kind != PP_KIND_CLOUD || e->created_at <= 0 ||
		    !(e->hourly_eur > 0))
			continue;
		t = e->server_type ? pp_catalog_find(cat, e->server_type) :
			NULL;
		if (t && e->location)
			p = pp_type_price(t, e->location);
		s[n++] = (struct pp_cost_server){e->id, e->created_at,
			e->hourly_eur, p ? p->monthly_eur : 0};
	}
	pp_cost_accrue(root, s, n, now);
	free(s);
	if (cat == &own)
		pp_catalog_free(&own);
}

/* A policy wanted capacity that cannot be ordered (no allowed type
 * fits, or a limit is reached): the action it wanted and why not, or
 * NULL. Players are turned away while this lasts. */
static const char *
blocked(const struct pp_decision *d, const char **why)
{
	if (d->action != PP_ACT_NONE || !d->policy)
		return NULL;
	for (size_t i = 0; i < d->neval; i++)
		if (d->eval[i].policy == d->policy &&
		    d->eval[i].v.verdict == PP_V_UP) {
			*why = d->clip_limit[0] ? d->clip_limit :
				"no_server_type";
			return pp_action_name(d->eval[i].v.action);
		}
	return NULL;
}

/* An event, marked when pp-decide runs in shadow mode. */
static void
event(const char *type, json_object *fields, int shadow)
{
	if (shadow)
		json_object_object_add(fields, "shadow",
			json_object_new_boolean(1));
	pp_event(type, fields);
}

static void
emit_events(const struct pp_config *cfg, const char *state_dir,
	json_object *dec, const char *blocked_action, const char *why,
	const char *policy, int shadow)
{
	static const char *keys[] = {"action", "policy", "urgency", "count",
		"server_type", "location", "node", "role", "reason"};
	char *path = pp_events_path(cfg, state_dir);
	json_object *f = json_object_new_object();
	json_object *clipped = pp_jget(dec, "clipped");

	pp_events_init(cfg, path);
	free(path);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_object_add(f, keys[i],
			json_object_get(pp_jget(dec, keys[i])));
	if (clipped) {
		json_object *c = json_object_new_object();

		json_object_object_foreach(clipped, k, v)
			json_object_object_add(c, k, json_object_get(v));
		json_object_object_add(c, "policy",
			json_object_get(pp_jget(dec, "policy")));
		json_object_object_add(c, "reason",
			json_object_get(pp_jget(dec, "reason")));
		event("scaling.clipped", c, shadow);
	}
	if (blocked_action) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "action",
			json_object_new_string(blocked_action));
		json_object_object_add(b, "result",
			json_object_new_string("failed"));
		json_object_object_add(b, "stage",
			json_object_new_string("decide"));
		json_object_object_add(b, "kind", json_object_new_string(why));
		json_object_object_add(b, "policy", policy ?
			json_object_new_string(policy) : NULL);
		json_object_object_add(b, "reason",
			json_object_get(pp_jget(dec, "reason")));
		event("scaling.failed", b, shadow);
	}
	if (strcmp(pp_jstr(dec, "action", "none"), "none") &&
	    !pp_jbool(dec, "continued", 0))
		event("scaling.triggered", f, shadow);
	else
		json_object_put(f);
}

/* A document too old to act on: none, and why. Nothing is recorded
 * (the memory's windows, counters and cost are the fleet's now, which
 * this document does not show). */
static int
decide_stale(json_object *doc, const struct pp_decide_opts *o)
{
	struct pp_decision d;
	json_object *dec;
	char why[480];

	if (!pp_doc_too_old(doc, why, sizeof why))
		return -1;
	memset(&d, 0, sizeof d);
	d.dry_run = o->dry_run;
	snprintf(d.reason, sizeof d.reason, "nothing decided: %s", why);
	dec = pp_decision_json(&d);
	if (o->shadow)
		json_object_object_add(dec, "shadow",
			json_object_new_boolean(1));
	pp_warn("%s", d.reason);
	if (o->explain)
		pp_decide_explain(stderr, dec);
	json_object_object_add(doc, "decision", dec);
	return PP_EXIT_FAIL;
}

/* A drain continued past drain.player_grace and then drain.deadline
 * (pp_drain_overdue_after): said every run while it lasts (counted:
 * PpscaleToolWarns), since nothing else tells an operator that the
 * node bills and holds no capacity. */
static void
warn_overdue(const struct pp_config *cfg, const struct pp_decision *d)
{
	char age[32], lim[96];

	if (!d->overdue_s)
		return;
	pp_format_duration(d->overdue_s, age, sizeof age);
	pp_drain_overdue_after(cfg, lim, sizeof lim);
	pp_warn("node '%s' has drained for %s, longer than %s: it is "
		"billed and holds no capacity while its game "
		"servers stay on it; pp-drain's messages say what holds "
		"them (a failing move hook, a game server with nowhere to "
		"go, a move to settle with 'pp-drain --settle SERVER --on "
		"NODE'); 'pp-registry show %s' lists them, and 'pp-drain "
		"--node %s --uncordon' returns the node to service",
		d->node, age, lim, d->node, d->node);
}

int
pp_decide(const struct pp_config *cfg, json_object *doc,
	const struct pp_decide_opts *o)
{
	char err[512], labels[160];
	char *path;
	struct pp_state st;
	struct pp_engine_ctx ctx;
	struct pp_decision d;
	json_object *dec;
	const char *bl, *why = NULL;

	if (decide_stale(doc, o) >= 0)
		return PP_EXIT_FAIL;
	path = pp_state_path(cfg, o->state_dir, "state.json");
	open_state(&st, path, o);
	if (pp_engine_ctx_from_doc(&ctx, cfg, doc, pp_refusals_of(st.root),
	    pp_now(), err, sizeof err) < 0)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: %s", err);
	pp_engine_ctx_strand(&ctx, pp_stranded_of(st.root));
	pp_engine_ctx_recall(&ctx, pp_jget(st.root, "decide"),
		pp_jget(st.root, "refusals"));
	warn_types(cfg, &ctx);
	pp_engine_run(&ctx, pp_decide_mem_make(st.root), o->dry_run,
		&d);
	dec = pp_decision_json(&d);
	pp_engine_figures(&ctx, &d, dec);
	warn_short(&ctx, &d);
	warn_overdue(cfg, &d);
	if (o->shadow) {
		/* what it would have done: pp-drain and pp-provision act on
		 * nothing (they read this flag), the memory is kept */
		json_object_object_add(dec, "shadow",
			json_object_new_boolean(1));
		if (!o->dry_run)
			pp_decide_mem_flag(pp_decide_mem_make(st.root),
				pp_now(), "shadow");
	}
	bl = blocked(&d, &why);
	if (!o->dry_run) {
		snprintf(labels, sizeof labels, "action=\"%s\",policy=\"%s\"",
			pp_action_name(d.action), d.policy && d.action ?
			d.policy->name : "");
		pp_state_count(&st, "pp_decisions_total", labels, 1);
		if (bl) {
			snprintf(labels, sizeof labels, "action=%s,reason=%s",
				bl, why);
			pp_state_count(&st, "pp_scaling_blocked_total",
				labels, 1);
		}
		accrue_cost(cfg, &ctx, st.root, pp_now());
		if (pp_state_save(&st) < 0)
			pp_die(PP_EXIT_FAIL, "cannot write state file '%s':",
				path);
		pp_metrics_state(&st);
	}
	pp_state_close(&st);
	if (!o->dry_run)
		emit_events(cfg, o->state_dir, dec, bl, why,
			d.policy ? d.policy->name : NULL, o->shadow);
	/* capacity is wanted and cannot be had: said even under -q, so
	 * the cron mail reaches someone */
	if (bl)
		pp_error("%s%s cannot happen: %s", bl, o->dry_run ?
			" (dry run)" : "", pp_jstr(dec, "reason", ""));
	if (d.action != PP_ACT_NONE)
		pp_note("%s%s: %s", pp_jstr(dec, "action", "none"),
			o->dry_run ? " (dry run)" : o->shadow ? " (shadow)" : "",
			pp_jstr(dec, "reason", ""));
	else
		pp_debug("none: %s", pp_jstr(dec, "reason", ""));
	pp_decision_free(&d);
	pp_engine_ctx_free(&ctx);
	if (o->explain)
		pp_decide_explain(stderr, dec);
	json_object_object_add(doc, "decision", dec);
	free(path);
	return PP_EXIT_OK;
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void
print_figures(FILE *f, json_object *fig)
{
	int col = 4;

	/* k=v pairs a space apart, lines of at most 78 columns (a pair
	 * longer than that alone on its line), no space at a line's end */
	fputs("    ", f);
	json_object_object_foreach(fig, k, v) {
		const char *s = v ? json_object_get_string(v) : "null";
		int w = (int)(strlen(k) + strlen(s) + 1);

		if (col > 4 && col + 1 + w > 78) {
			fputs("\n    ", f);
			col = 4;
		} else if (col > 4) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%s=%s", k, s);
		col += w;
	}
	fputc('\n', f);
}

void
pp_decide_explain(FILE *f, json_object *dec)
{
	json_object *evs = pp_jget(dec, "evaluations");
	json_object *cands = pp_jget(dec, "candidates");
	json_object *fig = pp_jget(dec, "figures");
	size_t n = evs ? json_object_array_length(evs) : 0;

	fprintf(f, "%-12s %4s  %-7s %-8s %5s  %s\n", "POLICY", "PRIO",
		"VERDICT", "URGENCY", "COUNT", "REASON");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(evs, i);

		fprintf(f, "%-12s %4lld  %-7s %-8s %5lld  %s\n",
			pp_jstr(e, "policy", "?"), pp_jint(e, "priority", 0),
			pp_jstr(e, "verdict", "?"),
			or_dash(pp_jstr(e, "urgency", NULL)),
			pp_jint(e, "count", 0), pp_jstr(e, "reason", ""));
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(evs, i);
		json_object *ef = pp_jget(e, "figures");

		if (!ef || !json_object_object_length(ef))
			continue;
		fprintf(f, "  %s:\n", pp_jstr(e, "policy", "?"));
		print_figures(f, ef);
	}
	if (fig) {
		fputs("  fleet:\n", f);
		print_figures(f, fig);
	}
	if (cands && json_object_array_length(cands)) {
		fputs("SCALE-DOWN CANDIDATES (in order of preference)\n", f);
		for (size_t i = 0; i < json_object_array_length(cands); i++) {
			json_object *c = json_object_array_get_idx(cands, i);

			fprintf(f, "  %-20s %-3s %s\n",
				pp_jstr(c, "node", "?"),
				pp_jbool(c, "ok", 0) ? "yes" : "no",
				pp_jstr(c, "why", ""));
		}
	}
	fprintf(f, "DECISION: %s", pp_jstr(dec, "action", "none"));
	if (pp_jstr(dec, "node", NULL))
		fprintf(f, " %s", pp_jstr(dec, "node", NULL));
	if (pp_jint(dec, "count", 0) && strcmp(pp_jstr(dec, "action", ""),
	    "scale_down") && strcmp(pp_jstr(dec, "action", ""), "uncordon"))
		fprintf(f, " %lld x %s in %s", pp_jint(dec, "count", 0),
			or_dash(pp_jstr(dec, "server_type", NULL)),
			or_dash(pp_jstr(dec, "location", NULL)));
	fprintf(f, "%s\n  %s\n", pp_jbool(dec, "dry_run", 0) ?
		" (dry run: nothing written)" : "",
		pp_jstr(dec, "reason", ""));
}
