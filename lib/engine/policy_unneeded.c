/* The unneeded-node policy: remove a cloud node the fleet does not need,
 * at the end of its paid hour.
 *
 * A ready cloud node is unneeded when the fleet without it stays under
 * `utilisation` percent (allocated / (ready + provisioning RAM minus
 * the node's)) and its game servers fit on the other ready nodes; an
 * idle spare only while the pool has more spares than it wants. Each
 * node's unneeded-since time is kept in the state; a cycle in which the
 * node is not unneeded clears it, so a dip restarts the hold. A node
 * unneeded for `hold` is removed only within `billing_window` of the
 * end of its paid hour (hourly billing from creation): until then it
 * is paid for anyway and serves as free headroom. Of several, the one
 * the engine would pick first goes: a surplus spare, then the least
 * used, then the one whose paid hour ends soonest. With
 * `hold_after_up`, the hold is that long while the last scale-up is
 * less than that long ago: a removal soon after a purchase is the
 * likeliest to be bought back (a flap, each a drain).
 *
 * A cloud node the platform marked unhealthy that holds no game server
 * (none recorded, stopped ones included) is capacity nobody can use
 * and a bill: unhealthy and empty for `unhealthy_after`, it goes as an
 * unneeded one does (first of all, in the same billing window), with
 * no capacity or fit to check, since it is counted in neither.
 *
 * State (its entry under "policies"):
 *   "unneeded_since": {"<node id>": RFC3339, ...}
 *
 * The fit check walks every node, so at most MAX_CHECKS nodes are
 * checked in one cycle (the least used first); the rest count as not
 * unneeded this cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "engine/placement.h"
#include "doc/fleet.h"
#include "base/util.h"

#define MAX_CHECKS 16

static const struct pp_conf_value profile_default[] = {
	{"enabled", "true"},
	/* under reactive's 90: a removal never brings a scale-up */
	{"utilisation", "85"},
	/* a node goes only near its paid hour's end anyway */
	{"hold", "5m"},
	{"billing_window", "10m"},
	{NULL, NULL},
};
/* Its keys, under policies.unneeded. */
#define K(f, ...) PP_KEY(struct pp_unneeded_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key keys[] = {
	PP_POLICY_KEYS(struct pp_unneeded_conf, "false", "8"),
	K(utilisation, PP_T_DOUBLE, "70", "a node is unneeded "
		"when the fleet without it stays under this capacity percent",
		.range = PP_PERCENT_ABOVE_0),
	K(hold, PP_T_DUR, "10m", "how long a node must stay unneeded "
		"without a break"),
	K(billing_window, PP_T_DUR, "10m", "remove only this "
		"close to the end of the node's paid hour (0: any time)"),
	K(hold_after_up, PP_T_DUR, "0", "while the last scale-up is "
		"less than this long ago, the hold is this long (0: off)"),
	K(unhealthy_after, PP_T_DUR, "30m", "remove a cloud node that "
		"holds no game server and has been unhealthy this long "
		"(0: never)"),
	{.path = NULL},
};
#undef K

static const struct pp_conf_section section = {
	"unneeded", "remove a node the fleet does not need",
	sizeof(struct pp_unneeded_conf), keys, profile_default,
};

const struct pp_unneeded_conf *
pp_unneeded_conf(const struct pp_config *cfg)
{
	return pp_policy_settings(cfg, &pp_policy_unneeded);
}

long
pp_unneeded_hold(const struct pp_unneeded_conf *u, time_t last_up,
	time_t now)
{
	/* a scale-up after now (a --now in the past) counts as recent,
	 * as in pp_unneeded_held_at */
	if (u->hold_after_up > u->hold && last_up &&
	    now - last_up < u->hold_after_up)
		return u->hold_after_up;
	return u->hold;
}

time_t
pp_unneeded_held_at(const struct pp_unneeded_conf *u, time_t since,
	time_t last_up)
{
	time_t at = since + u->hold;

	if (u->hold_after_up > u->hold && last_up) {
		/* the longer hold lasts until the scale-up is that old */
		time_t t = (last_up < since ? last_up : since) +
			u->hold_after_up;

		if (t > at)
			at = t;
	}
	return at;
}

/* First the engine's removal key, so that both sort alike and name the
 * same node first. */
struct cand {
	struct pp_removal_key key;  /* idle spare, utilisation, seconds
				     * left in its paid hour, id */
	const struct pp_enode *n;
	double after;       /* fleet capacity % without it */
	int unneeded;
	int sick;           /* unhealthy and empty: unneeded as it is */
	long for_s;         /* unneeded this long (should_down) */
};

/* A scan's result: should_down leaves it to update() (v->scratch). */
struct scanned {
	size_t n;
	struct cand l[];
};

/* The unhealthy cloud nodes that hold no game server first (the
 * policy's unhealthy_after on), then the ready cloud nodes, sorted,
 * with `unneeded` set on those that are unneeded now. The block is the
 * caller's to free. */
static struct scanned *
scan(const struct pp_engine_ctx *c)
{
	const struct pp_config *cfg = c->cfg;
	long keep = pp_spare_conf(cfg)->on.enabled ? pp_spare_target(c) : 0;
	long keep_slots = pp_headroom_floor(c);
	long long have = c->total_mb + c->pending_mb;
	struct scanned *sc = pp_xcalloc(1, sizeof *sc +
		(c->nnodes ? c->nnodes : 1) * sizeof sc->l[0]);
	struct cand *l = sc->l;
	size_t n = 0, sick = 0, checks = 0;

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (!pp_engine_sick(c, e))
			continue;
		l[n].key = pp_removal_key_of(c, e);
		l[n].n = e;
		l[n].after = c->effective_pct;
		l[n].sick = 1;
		l[n].unneeded = c->cloud_nodes - 1 >=
			cfg->limits.min_cloud_nodes;
		n++;
	}
	sick = n;
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *e = &c->nodes[i];

		if (!pp_engine_removable(c, e) || e->status != PP_ST_READY)
			continue;
		l[n].key = pp_removal_key_of(c, e);
		l[n].n = e;
		l[n].after = pp_capacity_percent(c->allocated_mb,
			have - e->usable_mb);
		n++;
	}
	qsort(l, sick, sizeof *l, pp_removal_qsort_cmp);
	qsort(l + sick, n - sick, sizeof *l, pp_removal_qsort_cmp);
	for (size_t i = sick; i < n; i++) {
		char why[256];

		if (pp_engine_counted_spare(c, l[i].n) && c->spares - 1 < keep)
			continue;
		if (!(l[i].after < pp_unneeded_conf(cfg)->utilisation))
			continue;
		if (c->cloud_nodes - 1 < cfg->limits.min_cloud_nodes)
			continue;
		if (checks >= MAX_CHECKS)
			break;
		checks++;
		/* the slot count moves the node's game servers first and
		 * is -1 when they do not fit: one fit, not two (and none
		 * when even the bound says too few) */
		l[i].unneeded = keep_slots > 0 ?
			pp_engine_slots_most(c, l[i].n) >= keep_slots &&
			pp_engine_slots(c, l[i].n) >= keep_slots :
			pp_engine_fits_elsewhere(c, l[i].n, why, sizeof why);
	}
	sc->n = n;
	return sc;
}

static int
in_window(const struct pp_engine_ctx *c, const struct cand *k)
{
	long w = pp_unneeded_conf(c->cfg)->billing_window;

	/* an unknown creation time (3601): no hour to wait for */
	return w <= 0 || k->key.left > 3600 || k->key.left <= w;
}

static void
should_down(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	const struct pp_unneeded_conf *unneeded = pp_unneeded_conf(c->cfg);
	json_object *since = pp_jget(mine, "unneeded_since");
	struct scanned *sc = scan(c);
	struct cand *l = sc->l, *go = NULL;
	size_t n = sc->n;
	long count = 0, held = 0, wait_hold = -1, wait_bill = -1, sick = 0;
	long hold = pp_unneeded_hold(unneeded, c->last_scale_up, c->now);

	(void)p;
	for (size_t i = 0; i < n; i++) {
		time_t t;
		long for_s;

		if (!l[i].unneeded)
			continue;
		count++;
		sick += l[i].sick;
		/* no record yet: this cycle starts the hold */
		t = pp_jtime(since, l[i].n->id);
		for_s = t ? (long)(c->now - t) : 0;
		l[i].for_s = for_s;
		t = l[i].sick ? c->now - for_s + unneeded->unhealthy_after :
			pp_unneeded_held_at(unneeded, c->now - for_s,
			c->last_scale_up);
		if (t > c->now) {
			long w = (long)(t - c->now);

			if (wait_hold < 0 || w < wait_hold)
				wait_hold = w;
			continue;
		}
		held++;
		if (!in_window(c, &l[i])) {
			long w = l[i].key.left - unneeded->billing_window;

			if (wait_bill < 0 || w < wait_bill)
				wait_bill = w;
			continue;
		}
		if (!go)
			go = &l[i];
	}
	pp_figure_int(v, "unneeded_nodes", count);
	pp_figure_int(v, "held_nodes", held);
	pp_figure_int(v, "unhealthy_empty_nodes", sick);
	pp_figure_num(v, "utilisation", unneeded->utilisation, 2);
	pp_figure_int(v, "hold_s", hold);
	pp_figure_int(v, "billing_window_s", unneeded->billing_window);
	if (go) {
		v->verdict = PP_V_DOWN;
		v->urgency = PP_URG_LOW;
		v->count = 1;
		v->node = go->n->id;
		if (go->sick)
			pp_verdict_say(c, v, "%s unhealthy with no game "
				"server for %ld min (unhealthy_after %ld min), "
				"%ld s left in its paid hour", go->n->id,
				go->for_s / 60, unneeded->unhealthy_after / 60,
				go->key.left > 3600 ? -1 : go->key.left);
		else
			pp_verdict_say(c, v, "%s unneeded for %ld "
				"min (fleet without it %.2f%% < %.1f%%), %ld s "
				"left in its paid hour", go->n->id,
				go->for_s / 60, go->after,
				unneeded->utilisation, go->key.left > 3600 ?
				-1 : go->key.left);
	} else if (!count) {
		pp_verdict_say(c, v, "no cloud node is "
			"unneeded (the fleet without any one stays at or over "
			"%.1f%%, or its game servers do not fit elsewhere)",
			unneeded->utilisation);
	} else if (held) {
		pp_verdict_say(c, v, "%ld node%s unneeded; "
			"kept as paid-for headroom until %ld s before the "
			"end of its paid hour (in %ld s)", count,
			count == 1 ? "" : "s", unneeded->billing_window,
			wait_bill);
	} else if (sick == count) {
		pp_verdict_say(c, v, "%ld unhealthy node%s with no game "
			"server, for less than unhealthy_after of %ld min (%ld "
			"s to go)", count, count == 1 ? "" : "s",
			unneeded->unhealthy_after / 60, wait_hold);
	} else if (hold != unneeded->hold) {
		pp_verdict_say(c, v, "%ld node%s unneeded, "
			"for less than the hold of %ld min (hold_after_up: "
			"the last scale-up was %ld min ago) (%ld s to go)",
			count, count == 1 ? "" : "s", hold / 60,
			(long)(c->now - c->last_scale_up) / 60, wait_hold);
	} else {
		pp_verdict_say(c, v, "%ld node%s unneeded, "
			"for less than the hold of %ld min (%ld s to go)",
			count, count == 1 ? "" : "s",
			unneeded->hold / 60, wait_hold);
	}
	/* update() reads the same scan (cand.n points into ctx) */
	free(v->scratch);
	v->scratch = sc;
}

/* 1 when the since-map old is the one update() would build from sc:
 * the unneeded nodes' ids in sc's order, each with a time as
 * pp_jnew_time writes it (so the same text). */
static int
unchanged(json_object *old, const struct scanned *sc)
{
	struct json_object_iterator it, end;
	size_t i = 0;

	if (!old || !json_object_is_type(old, json_type_object))
		return 0;
	it = json_object_iter_begin(old);
	end = json_object_iter_end(old);
	for (;; json_object_iter_next(&it), i++) {
		json_object *v;
		const char *s;
		time_t t;

		while (i < sc->n && !sc->l[i].unneeded)
			i++;
		if (json_object_iter_equal(&it, &end))
			return i == sc->n;
		if (i == sc->n || strcmp(json_object_iter_peek_name(&it),
		    sc->l[i].n->id))
			return 0;
		v = json_object_iter_peek_value(&it);
		s = v && json_object_is_type(v, json_type_string) ?
			json_object_get_string(v) : NULL;
		/* "YYYY-MM-DDTHH:MM:SSZ" of a year from 1000 and a second
		 * under 60, a time: pp_jnew_time writes it back the same */
		if (!s || json_object_get_string_len(v) != 20 ||
		    s[0] == '0' || s[10] != 'T' || s[17] > '5' ||
		    s[19] != 'Z' || pp_parse_time(s, &t) < 0 || !t)
			return 0;
	}
}

/* Keeps each unneeded node's since-when; a node that is not unneeded
 * this cycle (or is gone) loses its entry. */
static void
update(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, const struct pp_verdict *v,
	const struct pp_decision_view *d)
{
	json_object *old = pp_jget(mine, "unneeded_since");
	json_object *fresh;
	struct scanned *own = v->scratch ? NULL : scan(c);
	const struct scanned *sc = own ? own : v->scratch;
	const struct cand *l = sc->l;

	(void)p;
	(void)d;
	if (unchanged(old, sc)) {
		/* already what a rebuild would make: most cycles */
		free(own);
		return;
	}
	fresh = json_object_new_object();
	for (size_t i = 0; i < sc->n; i++) {
		time_t t;

		if (!l[i].unneeded)
			continue;
		t = pp_jtime(old, l[i].n->id);
		json_object_object_add(fresh, l[i].n->id,
			pp_jnew_time(t ? t : c->now));
	}
	free(own);
	json_object_object_add(mine, "unneeded_since", fresh);
}

const struct pp_policy pp_policy_unneeded = {
	.name = "unneeded",
	.conf = &section,
	.should_scale_up = NULL,
	.should_scale_down = should_down,
	.update = update,
};
