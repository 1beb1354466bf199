/* The decision engine: policy registration and the rules that combine
 * the policies' verdicts into one action (DESIGN section 4); the
 * context is in ctx.c, the scale-down choice in placement.c. No I/O
 * here: pp-decide and pp-sim share this code. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "engine/enode.h"
#include "engine/internal.h"
#include "engine/placement.h"
#include "doc/fleet.h"
#include "store/decide_mem.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "base/util.h"

void
pp_say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The registered policies: one line per policy. Their keys stand in
 * the config (and in pp-config's output) in this order. */
static const struct pp_policy *const registered[] = {
	&pp_policy_reactive,
	&pp_policy_spare,
	&pp_policy_unneeded,
	&pp_policy_headroom,
	&pp_policy_predictive,
};
#define NREGISTERED (sizeof registered / sizeof registered[0])

/* The table's config sections, for the config loader. */
static size_t
sections(const struct pp_conf_section **out)
{
	for (size_t i = 0; i < NREGISTERED; i++)
		out[i] = registered[i]->conf;
	return NREGISTERED;
}

struct pp_config *
pp_engine_config_load(const char *path, char *err, size_t errlen)
{
	const struct pp_conf_section *s[NREGISTERED];

	return pp_config_load(path, s, sections(s), err, errlen);
}

struct pp_config *
pp_engine_config_parse(const char *yaml, size_t len, const char *name,
	char *err, size_t errlen)
{
	const struct pp_conf_section *s[NREGISTERED];

	return pp_config_parse(yaml, len, name, s, sections(s), err, errlen);
}

void
pp_engine_config_keys(FILE *f)
{
	const struct pp_conf_section *s[NREGISTERED];

	pp_config_dump_keys(s, sections(s), f);
}

const void *
pp_policy_settings(const struct pp_config *cfg, const struct pp_policy *p)
{
	const void *s = pp_config_section(cfg, p->conf);

	if (!s)
		pp_die(PP_EXIT_FAIL, "internal: the config was loaded without "
			"the keys of policy '%s'", p->name);
	return s;
}

int
pp_policy_enabled(const struct pp_config *cfg, const struct pp_policy *p)
{
	return ((const struct pp_policy_conf *)pp_policy_settings(cfg,
		p))->enabled;
}

long
pp_policy_priority(const struct pp_config *cfg, const struct pp_policy *p)
{
	return ((const struct pp_policy_conf *)pp_policy_settings(cfg,
		p))->priority;
}

const char *
pp_action_name(int a)
{
	static const char *n[] = {"none", "scale_up", "provision_spare",
		"scale_down", "uncordon"};

	return a >= 0 && a <= PP_ACT_UNCORDON ? n[a] : "none";
}

const char *
pp_urgency_name(int u)
{
	static const char *n[] = {"low", "medium", "high", "critical"};

	return u >= 0 && u <= PP_URG_CRITICAL ? n[u] : "low";
}

const char *
pp_verdict_name(int v)
{
	static const char *n[] = {"none", "up", "down", "veto", "off"};

	return v >= 0 && v <= PP_V_OFF ? n[v] : "none";
}

size_t
pp_engine_policies(const struct pp_config *cfg,
	const struct pp_policy **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < NREGISTERED && n < max; i++)
		out[n++] = registered[i];
	if (!cfg)
		return n;
	/* insertion sort: stable, so equal priorities keep table order */
	for (size_t i = 1; i < n; i++) {
		const struct pp_policy *p = out[i];
		long pr = pp_policy_priority(cfg, p);
		size_t j = i;

		while (j > 0 && pp_policy_priority(cfg, out[j - 1]) < pr) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = p;
	}
	return n;
}

time_t
pp_jtime(json_object *o, const char *key)
{
	const char *s = pp_jstr(o, key, NULL);
	time_t t;

	if (!s || pp_parse_time(s, &t) < 0)
		return 0;
	return t;
}

void
pp_figure_num(struct pp_verdict *v, const char *key, double value,
	int digits)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			pp_jnew_double(value, digits));
}

void
pp_figure_int(struct pp_verdict *v, const char *key, long long value)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			json_object_new_int64(value));
}

void
pp_figure_str(struct pp_verdict *v, const char *key, const char *s)
{
	if (v->figures)
		json_object_object_add(v->figures, key,
			s ? json_object_new_string(s) : NULL);
}
void
pp_verdict_say(const struct pp_engine_ctx *c, struct pp_verdict *v,
	const char *fmt, ...)
{
	va_list ap;

	if (c->lean && v->verdict == PP_V_NONE) {
		v->reason[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}

/* ---- combining ----------------------------------------------------- */

/* The cloud node the pipeline is draining (the largest, if more):
 * continued, or uncordoned when load comes back. A node an operator
 * drains by hand for maintenance is not the pipeline's, nor is one
 * pp-provision is deleting because its server did not boot or join
 * (draining_by expire): neither. */
static const struct pp_enode *
draining_node(const struct pp_engine_ctx *c)
{
	const struct pp_enode *best = NULL;

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];

		if (pp_engine_ours(c, n) && n->status == PP_ST_DRAINING &&
		    !n->maintenance && !n->expiring && (!best || n->usable_mb > best->usable_mb ||
		    (n->usable_mb == best->usable_mb &&
		    strcmp(n->id, best->id) < 0)))
			best = n;
	}
	return best;
}

/* Why this ppscale cannot delete node n's server (n not ours): for a
 * reason. */
static void
not_ours_why(const struct pp_engine_ctx *c, const struct pp_enode *n,
	char *buf, size_t len)
{
	if (n->kind != PP_KIND_CLOUD)
		pp_say(buf, len, "a dedicated node");
	else if (n->no_server)
		pp_say(buf, len, "a cloud node without a server id");
	else if (n->stranded)
		pp_say(buf, len, "its server no longer carries our labels, "
			"as pp-provision reported: stranded");
	else
		pp_say(buf, len, "provider '%s', not cloud.provider '%s'",
			n->provider ? n->provider : "", c->cfg->cloud.provider ?
			c->cfg->cloud.provider : "");
}

/* A node a scale-down drained that this ppscale cannot delete (a
 * dedicated one, another provider's, one without a server: drained
 * before pp-drain refused those, or before cloud.provider changed; one
 * whose server was relabelled out of our pool, cloud.pool changed):
 * nothing would ever finish its drain, and it would stay out of
 * service for good. The pipeline returns it. */
static int
stranded(const struct pp_engine_ctx *c, const struct pp_enode *n)
{
	return n->status == PP_ST_DRAINING && n->draining_by &&
		!strcmp(n->draining_by, "scale_down") && !pp_engine_ours(c, n);
}

static const struct pp_enode *
stranded_node(const struct pp_engine_ctx *c)
{
	for (size_t i = 0; i < c->nnodes; i++)
		if (stranded(c, &c->nodes[i]))
			return &c->nodes[i];
	return NULL;
}

/* Every draining node this decision does not act on, and why the
 * pipeline leaves it as it is (this cycle, or for good). */
static json_object *
drains_left(const struct pp_engine_ctx *c, const struct pp_decision *d)
{
	json_object *a = NULL;

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];
		json_object *o;
		char why[320], what[160];

		if (n->status != PP_ST_DRAINING || !n->id ||
		    ((d->action == PP_ACT_SCALE_DOWN ||
		    d->action == PP_ACT_UNCORDON) && !strcmp(d->node, n->id)))
			continue;
		not_ours_why(c, n, what, sizeof what);
		if (n->maintenance)
			pp_say(why, sizeof why, "drained by hand for "
				"maintenance: the pipeline neither finishes nor "
				"returns it ('pp-drain --node %s --uncordon' "
				"does)", n->id);
		else if (n->expiring)
			pp_say(why, sizeof why, "pp-provision is deleting it: "
				"its server did not boot or join in time");
		else if (stranded(c, n))
			pp_say(why, sizeof why, "a scale-down drained it, but "
				"this ppscale cannot delete it (%s): a later "
				"cycle returns it to service", what);
		else if (!pp_engine_ours(c, n))
			pp_say(why, sizeof why, "not drained by this ppscale's "
				"pipeline, nor its to delete (%s): left as it "
				"is ('pp-drain --node %s --uncordon' returns it)",
				what, n->id);
		else
			pp_say(why, sizeof why, "the pipeline finishes one "
				"drain at a time: continued after %s",
				d->node[0] ? d->node : "the current one");
		if (!a)
			a = json_object_new_array();
		o = json_object_new_object();
		json_object_object_add(o, "node",
			json_object_new_string(n->id));
		json_object_object_add(o, "draining_by", n->draining_by ?
			json_object_new_string(n->draining_by) : NULL);
		json_object_object_add(o, "why", json_object_new_string(why));
		json_object_array_add(a, o);
	}
	return a;
}

/* How long a pipeline drain may run before it is said to be overdue:
 * drain.player_grace (game servers with players are left that long)
 * and then drain.deadline; 0 (no such warning) when drain.deadline is
 * 0. Its text in lim, "drain.player_grace 10m + drain.deadline 30m". */
long
pp_drain_overdue_after(const struct pp_config *cfg, char *lim, size_t len)
{
	char g[24], dl[24];

	if (cfg->drain.deadline <= 0)
		return 0;
	pp_format_config_duration(cfg->drain.player_grace, g, sizeof g);
	pp_format_config_duration(cfg->drain.deadline, dl, sizeof dl);
	snprintf(lim, len, "drain.player_grace %s + drain.deadline %s", g,
		dl);
	return cfg->drain.player_grace + cfg->drain.deadline;
}

/* A drain continued for longer than its players' grace and then
 * drain.deadline: the node is billed and holds no capacity while its
 * moves fail or its game servers stay. Said in the reason (pp-decide
 * warns with it); still continued, as returning the node would start
 * a new drain later. */
static void
overdue(const struct pp_engine_ctx *c, const struct pp_enode *dn,
	struct pp_decision *d)
{
	time_t since = dn->draining_since;
	char age[32], lim[96];
	long after = pp_drain_overdue_after(c->cfg, lim, sizeof lim);
	size_t len;

	if (!since || !after || c->now - since <= after)
		return;
	d->overdue_s = (long long)(c->now - since);
	pp_format_duration(d->overdue_s, age, sizeof age);
	len = strlen(d->reason);
	pp_say(d->reason + len, sizeof d->reason - len, "; it has drained "
		"for %s, longer than %s: pp-drain's messages say what holds "
		"it", age, lim);
}

/* The decision: node goes back to work (its reason is the caller's). */
static void
uncordon(struct pp_decision *d, const struct pp_enode *n)
{
	d->action = PP_ACT_UNCORDON;
	d->count = 1;
	d->role = PP_ROLE_WORKER;
	pp_say(d->node, sizeof d->node, "%s", n->id);
}

static void
set_winner(struct pp_decision *d, const struct pp_evaluation *e)
{
	d->policy = e->policy;
	d->priority = e->priority;
	d->urgency = e->v.urgency;
}

/* Limits clip a scale-up; returns the count allowed. */
static long
clip(const struct pp_engine_ctx *c, const struct pp_choice *ch, long want,
	struct pp_decision *d)
{
	const struct pp_config *cfg = c->cfg;
	long by_nodes = cfg->limits.max_cloud_nodes - c->cloud_nodes;
	long by_money = want;
	long allow = want;

	if (ch->hourly_eur > 0) {
		double room = cfg->limits.max_hourly_eur - c->cloud_hourly_eur;

		by_money = room <= 0 ? 0 : (long)pp_dclamp(
			floor(room / ch->hourly_eur + 1e-9), 0, want);
	}
	if (by_nodes < allow) {
		allow = by_nodes < 0 ? 0 : by_nodes;
		pp_say(d->clip_limit, sizeof d->clip_limit,
			"max_cloud_nodes");
	}
	/* every create names the group, and a full one refuses it */
	if (cfg->cloud.placement_group && cfg->cloud.placement_group_limit -
	    c->cloud_nodes < allow) {
		long by_group = cfg->cloud.placement_group_limit -
			c->cloud_nodes;

		allow = by_group < 0 ? 0 : by_group;
		pp_say(d->clip_limit, sizeof d->clip_limit,
			"placement_group_limit");
	}
	if (by_money < allow) {
		allow = by_money;
		pp_say(d->clip_limit, sizeof d->clip_limit,
			"max_hourly_eur");
	}
	if (allow < want) {
		d->clipped = 1;
		d->clip_requested = want;
		d->clip_allowed = allow;
	}
	return allow;
}

static void
limit_text(const struct pp_engine_ctx *c, const struct pp_decision *d,
	char *buf, size_t len)
{
	if (!strcmp(d->clip_limit, "max_cloud_nodes"))
		pp_say(buf, len, "limits.max_cloud_nodes %ld (%ld cloud "
			"nodes now)", c->cfg->limits.max_cloud_nodes,
			c->cloud_nodes);
	else if (!strcmp(d->clip_limit, "placement_group_limit"))
		pp_say(buf, len, "cloud.placement_group_limit %ld: placement "
			"group %s holds no more (%ld cloud nodes now)",
			c->cfg->cloud.placement_group_limit,
			c->cfg->cloud.placement_group, c->cloud_nodes);
	else
		pp_say(buf, len, "limits.max_hourly_eur %.2f (%.4f EUR/h "
			"now)", c->cfg->limits.max_hourly_eur,
			c->cloud_hourly_eur);
}

/* Seconds after a scale-up in which a document may not show what it
 * bought yet: pp-provision records its nodes after pp-drain and a list
 * of the cloud's servers, a second or two after pp-decide. */
#define STALE_DOC_GRACE 10

/* A document made before, or right after, the last scale-up may not
 * hold what that bought (a snapshot replayed, or two cycles overlapping
 * without the pipeline lock, the second one's pp-fleetstats read before
 * the first one's pp-provision wrote): buying on it buys the same
 * servers again. 1 (the reason said) when so; the next cycle's
 * document decides. Taking back a draining node is no purchase: it
 * goes on. */
static int
stale_doc(const struct pp_engine_ctx *c, const struct pp_evaluation *e,
	struct pp_decision *d)
{
	time_t made = c->doc ? pp_jtime(c->doc, "generated_at") : 0;
	char at[PP_TIME_LEN], up[PP_TIME_LEN];

	/* (a scale-up dated after now is a clock stepped back: no
	 * document could be newer) */
	if (!made || !c->last_scale_up ||
	    made >= c->last_scale_up + STALE_DOC_GRACE ||
	    c->last_scale_up > c->now || draining_node(c))
		return 0;
	pp_say(d->reason, sizeof d->reason, "%s: %s; but the document "
		"(generated_at %s) is not %d s newer than the last scale-up "
		"(%s), whose servers it may not show: nothing is bought on it",
		e->policy->name, e->v.reason, pp_format_time(made, at,
		sizeof at), STALE_DOC_GRACE, pp_format_time(c->last_scale_up,
		up, sizeof up));
	return 1;
}

int
pp_engine_slot_unbuyable(const struct pp_engine_ctx *c)
{
	return c->worker_type.ok && c->worker_type.usable_mb < c->slot_mb;
}

const char *
pp_engine_need_name(const struct pp_engine_ctx *c, long long mb)
{
	if (mb == c->largest_mb)
		return "the largest game server";
	if (mb == c->slot_mb)
		return "the headroom's slot";
	return "cloud.min_usable_ram_mb";
}

static void
decide_up(const struct pp_engine_ctx *c, const struct pp_evaluation *e,
	struct pp_decision *d)
{
	const struct pp_verdict *v = &e->v;
	const struct pp_enode *dn = draining_node(c);
	const struct pp_choice *ch;
	long want = v->count > 0 ? v->count : 1, allow;
	char lim[160], tail[160] = "";

	/* a drain nothing can finish is capacity to take back too */
	if (!dn)
		dn = stranded_node(c);
	set_winner(d, e);
	if (v->action == PP_ACT_SCALE_UP && dn) {
		uncordon(d, dn);
		pp_say(d->reason, sizeof d->reason, "%s: %s; stop draining "
			"%s (%lld MB) before buying a server",
			e->policy->name, v->reason, dn->id, dn->usable_mb);
		return;
	}
	ch = v->action == PP_ACT_PROVISION_SPARE ? &c->spare_type :
		&c->worker_type;
	d->role = v->action == PP_ACT_PROVISION_SPARE ? PP_ROLE_SPARE :
		PP_ROLE_WORKER;
	if (!ch->ok) {
		d->action = PP_ACT_NONE;
		pp_say(d->reason, sizeof d->reason, "%s wants %ld x %s "
			"(%s) but %s", e->policy->name, want,
			pp_action_name(v->action), v->reason, ch->why);
		return;
	}
	pp_say(d->server_type, sizeof d->server_type, "%s", ch->type);
	pp_say(d->location, sizeof d->location, "%s", ch->location);
	allow = clip(c, ch, want, d);
	if (allow <= 0) {
		limit_text(c, d, lim, sizeof lim);
		d->action = PP_ACT_NONE;
		d->count = 0;
		pp_say(d->reason, sizeof d->reason, "%s wants %ld x %s "
			"(%s) but %s is reached", e->policy->name, want,
			ch->type, v->reason, lim);
		return;
	}
	d->action = v->action;
	d->count = allow;
	if (ch->short_mb > 0)
		pp_say(tail, sizeof tail, "; no allowed type holds %s (%lld "
			"MB): %s, the largest (%lld MB usable)",
			pp_engine_need_name(c, ch->short_mb), ch->short_mb,
			ch->type, ch->usable_mb);
	if (d->clipped) {
		limit_text(c, d, lim, sizeof lim);
		pp_say(d->reason, sizeof d->reason, "%s: %s; %ld x %s "
			"wanted, clipped to %ld by %s%s", e->policy->name,
			v->reason, want, ch->type, allow, lim, tail);
	} else {
		pp_say(d->reason, sizeof d->reason, "%s: %s%s",
			e->policy->name, v->reason, tail);
	}
}

static void
decide_down(const struct pp_engine_ctx *c, const struct pp_evaluation *ev,
	size_t nev, long keep_spares, struct pp_decision *d)
{
	const struct pp_evaluation *w = NULL, *veto = NULL;
	const struct pp_enode *victim;
	char why[320];

	for (size_t i = 0; i < nev; i++) {
		if (ev[i].v.verdict == PP_V_DOWN && !w)
			w = &ev[i];
		if (ev[i].v.verdict == PP_V_VETO && !veto)
			veto = &ev[i];
	}
	if (!w)
		return;
	/* the veto keeps capacity a forecast peak needs; an unhealthy
	 * node with nothing on it is none */
	for (size_t i = 0; veto && w->v.node && i < c->nnodes; i++)
		if (!strcmp(c->nodes[i].id, w->v.node) &&
		    pp_engine_sick(c, &c->nodes[i]))
			veto = NULL;
	if (veto) {
		pp_say(d->reason, sizeof d->reason, "%s wants a scale-down "
			"(%s) but %s vetoes it: %s", w->policy->name,
			w->v.reason, veto->policy->name, veto->v.reason);
		return;
	}
	d->candidates = json_object_new_array();
	victim = pp_engine_choose_victim(c, &w->v, keep_spares,
		d->candidates, why, sizeof why);
	if (!victim) {
		pp_say(d->reason, sizeof d->reason, "%s wants a scale-down "
			"(%s) but no node can go: %s", w->policy->name,
			w->v.reason, why);
		return;
	}
	set_winner(d, w);
	d->action = PP_ACT_SCALE_DOWN;
	d->count = 1;
	d->role = victim->role;
	pp_say(d->node, sizeof d->node, "%s", victim->id);
	pp_say(d->reason, sizeof d->reason, "%s: %s; remove %s",
		w->policy->name, w->v.reason, victim->id);
}

static void
summarise_none(const struct pp_engine_ctx *c, const struct pp_evaluation *ev,
	size_t nev, struct pp_decision *d)
{
	struct pp_buf b = {0};

	pp_buf_printf(&b, "no policy wants a change (capacity %.2f%%",
		c->effective_pct);
	for (size_t i = 0; i < nev; i++)
		if (ev[i].enabled && ev[i].v.reason[0])
			pp_buf_printf(&b, "; %s: %s", ev[i].policy->name,
				ev[i].v.reason);
	pp_buf_addstr(&b, ")");
	pp_say(d->reason, sizeof d->reason, "%s", b.s);
	pp_buf_free(&b);
}

static void
record(const struct pp_engine_ctx *c, json_object *st,
	const struct pp_decision *d)
{
	struct pp_decide_entry e = {pp_action_name(d->action),
		d->policy ? d->policy->name : NULL, d->count, d->node,
		d->reason, c->now};

	pp_decide_mem_count(st);
	if (d->action == PP_ACT_NONE || d->continued)
		return;
	pp_decide_mem_record(st, &e);
}

void
pp_engine_run(const struct pp_engine_ctx *ctx, json_object *decide_state,
	int dry_run, struct pp_decision *d)
{
	const struct pp_policy *pols[32];
	json_object *mem[32];
	struct pp_engine_ctx c = *ctx;
	json_object *scratch = NULL, *policies;
	const struct pp_evaluation *up = NULL;
	const struct pp_enode *dn, *sn;
	long keep_spares = 0;
	size_t n;

	memset(d, 0, sizeof *d);
	d->dry_run = dry_run;
	if (!decide_state)
		decide_state = scratch = json_object_new_object();
	c.last_scale_up = pp_decide_mem_last_up(decide_state);
	c.last_scale_down = pp_decide_mem_last_down(decide_state);
	n = pp_engine_policies(c.cfg, pols, 32);
	d->eval = pp_xcalloc(n, sizeof *d->eval);
	d->neval = n;
	policies = pp_decide_mem_policies(decide_state);
	for (size_t i = 0; i < n; i++) {
		struct pp_evaluation *e = &d->eval[i];
		json_object *mine = pp_decide_mem_policy_in(policies,
			pols[i]->name);
		json_object *empty = NULL;

		mem[i] = mine;
		e->policy = pols[i];
		e->priority = pp_policy_priority(c.cfg, pols[i]);
		e->enabled = pp_policy_enabled(c.cfg, pols[i]);
		if (!e->enabled) {
			e->v.verdict = PP_V_OFF;
			pp_say(e->v.reason, sizeof e->v.reason,
				"switched off in the config");
			continue;
		}
		if (!mine)
			mine = empty = json_object_new_object();
		e->v.figures = c.lean ? NULL : json_object_new_object();
		if (pols[i]->should_scale_up)
			pols[i]->should_scale_up(pols[i], &c, mine, &e->v);
		if (e->v.verdict != PP_V_UP && pols[i]->should_scale_down)
			pols[i]->should_scale_down(pols[i], &c, mine, &e->v);
		json_object_put(empty);
		if (e->v.keep_spares > keep_spares)
			keep_spares = e->v.keep_spares;
		if (e->v.verdict == PP_V_UP && !up)
			up = e;
	}
	dn = draining_node(&c);
	sn = stranded_node(&c);
	if (up && stale_doc(&c, up, d)) {
		/* nothing on a document that misses the last purchase */
	} else if (up) {
		decide_up(&c, up, d);
	} else if (sn) {
		char what[160];

		not_ours_why(&c, sn, what, sizeof what);
		uncordon(d, sn);
		pp_say(d->reason, sizeof d->reason, "stop draining %s: a "
			"scale-down drained it, but this ppscale cannot delete "
			"it (%s), so nothing would finish the drain", sn->id,
			what);
	} else if (dn && dn->delete_protected) {
		/* its delete would be refused: it goes back to work */
		uncordon(d, dn);
		pp_say(d->reason, sizeof d->reason, "stop draining %s: its "
			"server is delete-protected in the cloud, so a "
			"scale-down could not remove it", dn->id);
	} else if (dn) {
		/* a drain in progress is continued, not replaced */
		d->action = PP_ACT_SCALE_DOWN;
		d->count = 1;
		d->continued = 1;
		d->role = dn->role;
		pp_say(d->node, sizeof d->node, "%s", dn->id);
		pp_say(d->reason, sizeof d->reason, "continue draining %s "
			"(a drain in progress is finished, not replaced)",
			dn->id);
		overdue(&c, dn, d);
	} else {
		decide_down(&c, d->eval, n, keep_spares, d);
	}
	/* lean (pp-sim): nobody reads why nothing happened */
	if (d->action == PP_ACT_NONE && !d->reason[0] && !c.lean)
		summarise_none(&c, d->eval, n, d);
	if (!c.lean)
		d->drains_left = drains_left(&c, d);
	d->keep_spares = keep_spares;
	if (!dry_run) {
		struct pp_decision_view view = {d->action, d->policy};
		for (size_t i = 0; i < n; i++)
			if (d->eval[i].enabled && pols[i]->update)
				pols[i]->update(pols[i], &c, mem[i] ? mem[i] :
					pp_decide_mem_policy(decide_state,
					pols[i]->name, 1),
					&d->eval[i].v, &view);
		record(&c, decide_state, d);
	}
	json_object_put(scratch);
}

void
pp_decision_free(struct pp_decision *d)
{
	for (size_t i = 0; i < d->neval; i++) {
		json_object_put(d->eval[i].v.figures);
		free(d->eval[i].v.scratch);
	}
	free(d->eval);
	json_object_put(d->candidates);
	json_object_put(d->drains_left);
	memset(d, 0, sizeof *d);
}

static json_object *
str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

json_object *
pp_decision_json(const struct pp_decision *d)
{
	json_object *o = json_object_new_object();
	json_object *evs = json_object_new_array_ext((int)d->neval);
	int acting = d->action != PP_ACT_NONE;

	json_object_object_add(o, "action", json_object_new_string(
		pp_action_name(d->action)));
	json_object_object_add(o, "policy", d->policy && acting ?
		json_object_new_string(d->policy->name) : NULL);
	json_object_object_add(o, "priority", d->policy && acting ?
		json_object_new_int64(d->priority) : NULL);
	json_object_object_add(o, "urgency", acting ?
		json_object_new_string(pp_urgency_name(d->urgency)) : NULL);
	json_object_object_add(o, "count", json_object_new_int64(d->count));
	json_object_object_add(o, "server_type", str_or_null(d->server_type));
	json_object_object_add(o, "location", str_or_null(d->location));
	json_object_object_add(o, "node", str_or_null(d->node));
	json_object_object_add(o, "role", acting ?
		json_object_new_string(pp_role_name(d->role)) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	json_object_object_add(o, "dry_run",
		json_object_new_boolean(d->dry_run));
	json_object_object_add(o, "continued",
		json_object_new_boolean(d->continued));
	if (d->clipped) {
		json_object *cl = json_object_new_object();

		json_object_object_add(cl, "limit",
			json_object_new_string(d->clip_limit));
		json_object_object_add(cl, "requested",
			json_object_new_int64(d->clip_requested));
		json_object_object_add(cl, "allowed",
			json_object_new_int64(d->clip_allowed));
		json_object_object_add(o, "clipped", cl);
	}
	if (d->candidates)
		json_object_object_add(o, "candidates",
			json_object_get(d->candidates));
	if (d->drains_left)
		json_object_object_add(o, "drains_left",
			json_object_get(d->drains_left));
	for (size_t i = 0; i < d->neval; i++) {
		const struct pp_evaluation *e = &d->eval[i];
		json_object *eo = json_object_new_object();
		int v = e->v.verdict;

		json_object_object_add(eo, "policy",
			json_object_new_string(e->policy->name));
		json_object_object_add(eo, "enabled",
			json_object_new_boolean(e->enabled));
		json_object_object_add(eo, "priority",
			json_object_new_int64(e->priority));
		json_object_object_add(eo, "verdict",
			json_object_new_string(pp_verdict_name(v)));
		json_object_object_add(eo, "action", v == PP_V_UP ?
			json_object_new_string(pp_action_name(e->v.action)) :
			NULL);
		json_object_object_add(eo, "urgency", v == PP_V_UP ||
			v == PP_V_DOWN ? json_object_new_string(
			pp_urgency_name(e->v.urgency)) : NULL);
		json_object_object_add(eo, "count",
			json_object_new_int64(e->v.count));
		json_object_object_add(eo, "node", str_or_null(e->v.node));
		json_object_object_add(eo, "reason",
			json_object_new_string(e->v.reason));
		json_object_object_add(eo, "figures", e->v.figures ?
			json_object_get(e->v.figures) :
			json_object_new_object());
		json_object_array_add(evs, eo);
	}
	json_object_object_add(o, "evaluations", evs);
	return o;
}

json_object *
pp_engine_decide(const struct pp_config *cfg, json_object *doc,
	json_object *decide_state, json_object *refusals, time_t now,
	int dry_run, char *err, size_t errlen)
{
	struct pp_engine_ctx ctx;
	struct pp_decision d;
	json_object *o;

	if (pp_engine_ctx_from_doc(&ctx, cfg, doc, refusals, now, err,
	    errlen) < 0)
		return NULL;
	pp_engine_ctx_recall(&ctx, decide_state, refusals);
	pp_engine_run(&ctx, decide_state, dry_run, &d);
	o = pp_decision_json(&d);
	pp_engine_figures(&ctx, &d, o);
	pp_decision_free(&d);
	pp_engine_ctx_free(&ctx);
	return o;
}

void
pp_engine_figures(const struct pp_engine_ctx *c, const struct pp_decision *d,
	json_object *o)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "capacity_percent",
		pp_jnew_double(c->capacity_pct, 3));
	json_object_object_add(f, "effective_percent",
		pp_jnew_double(c->effective_pct, 3));
	json_object_object_add(f, "allocated_ram_mb",
		json_object_new_int64(c->allocated_mb));
	json_object_object_add(f, "total_ram_mb",
		json_object_new_int64(c->total_mb));
	json_object_object_add(f, "pending_ram_mb",
		json_object_new_int64(c->pending_mb));
	json_object_object_add(f, "cloud_nodes",
		json_object_new_int64(c->cloud_nodes));
	json_object_object_add(f, "cloud_hourly_eur",
		pp_jnew_double(c->cloud_hourly_eur, 4));
	json_object_object_add(f, "spares", json_object_new_int64(c->spares));
	json_object_object_add(f, "spares_wanted",
		json_object_new_int64(d->keep_spares));
	json_object_object_add(f, "largest_game_server_mb",
		json_object_new_int64(c->largest_mb));
	json_object_object_add(f, "slot_mb", json_object_new_int64(
		c->slot_mb));
	json_object_object_add(f, "free_slots", json_object_new_int64(
		c->slots));
	json_object_object_add(f, "local_date", json_object_new_string(
		c->local_date));
	json_object_object_add(f, "local_hour", json_object_new_int(c->hour));
	json_object_object_add(f, "weekday", json_object_new_int(c->weekday));
	json_object_object_add(f, "holiday",
		json_object_new_boolean(c->holiday));
	json_object_object_add(f, "worker_type", c->worker_type.ok ?
		json_object_new_string(c->worker_type.type) : NULL);
	json_object_object_add(f, "spare_type", c->spare_type.ok ?
		json_object_new_string(c->spare_type.type) : NULL);
	json_object_object_add(o, "figures", f);
}
