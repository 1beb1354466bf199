/* The reactive policy: scale on the capacity in use now.
 *
 * Capacity here is allocated / (ready + provisioning RAM): a VM still
 * booting already counts, so it never triggers a second scale-up. Up
 * above up_threshold (strictly), with urgency medium, high above
 * urgency_high, critical above urgency_critical; at high and critical
 * the count is what brings capacity back under the threshold with the
 * chosen type. Down after down_window continuously below
 * down_threshold, and not within down_after_up of any scale-up. A
 * cooldown follows each of its own actions (a scale-up's only holds
 * scale-ups: see cooldown_left). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "store/decide_mem.h"
#include "store/registry.h"
#include "doc/fleet.h"
#include "base/util.h"

/* The default profile: what pp-sim showed cheapest at the refused-starts
 * target on the README's backtest (profile: seed keeps the rows'). */
static const struct pp_conf_value profile_default[] = {
	/* the headroom's slots see fragmentation; capacity percent
	 * only has to see the bulk */
	{"up_threshold", "90"},
	/* scale-down is the unneeded rule's: billing-aware, held */
	{"down_threshold", "0"},
	{"down_window", "10m"},
	{"down_margin", "5"},
	{NULL, NULL},
};
/* Its keys, under policies.reactive. */
#define K(f, ...) PP_KEY(struct pp_reactive_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key keys[] = {
	PP_POLICY_KEYS(struct pp_reactive_conf, "true", "10"),
	K(up_threshold, PP_T_DOUBLE, "85", "scale up above "
		"this capacity percent", .range = PP_PERCENT_ABOVE_0),
	K(down_threshold, PP_T_DOUBLE, "30", "scale down "
		"below this capacity percent", .range = PP_PERCENT,
		.at_most = "up_threshold", .strict = 1),
	K(cooldown, PP_T_DUR, "5m", "pause after its own action"),
	K(down_window, PP_T_DUR, "20m", "how long capacity must "
		"stay below down_threshold"),
	K(down_after_up, PP_T_DUR, "10m", "no scale-down this "
		"soon after a scale-up"),
	K(urgency_high, PP_T_DOUBLE, "90", "high urgency above "
		"this percent", .range = PP_PERCENT_ABOVE_0,
		.at_most = "urgency_critical"),
	K(urgency_critical, PP_T_DOUBLE, "95", "critical "
		"urgency above this percent", .range = PP_PERCENT_ABOVE_0),
	K(down_margin, PP_T_DOUBLE, "10", "after a removal the "
		"fleet stays this many points under up_threshold",
		.range = PP_PERCENT),
	{.path = NULL},
};
#undef K

static const struct pp_conf_section section = {
	"reactive", "scale on current capacity",
	sizeof(struct pp_reactive_conf), keys, profile_default,
};

const struct pp_reactive_conf *
pp_reactive_conf(const struct pp_config *cfg)
{
	return pp_policy_settings(cfg, &pp_policy_reactive);
}

/* Seconds of cooldown left after this policy's own last action; none
 * after one that failed (pp-provision created nothing), so the next
 * cycle retries. A scale-up (up) waits only after a scale-up: neither
 * its own scale-down (a drain it would go on with while load comes
 * back) nor a draining node it took back (a fraction of the need,
 * perhaps) keeps it from buying. An action dated after now (a clock
 * stepped back, or a run with a later --now) holds nothing: its
 * cooldown would last the whole step. */
static long
cooldown_left(const struct pp_engine_ctx *c, json_object *mine, int up)
{
	time_t last = pp_jtime(mine, "last_action_at");
	long left;

	if (!last || last > c->now || pp_decide_mem_policy_failed(mine))
		return 0;
	if (up && strcmp(pp_jstr(mine, "last_action", "scale_up"),
	    "scale_up"))
		return 0;
	left = (long)(last + pp_reactive_conf(c->cfg)->cooldown - c->now);
	return left > 0 ? left : 0;
}

/* Smallest n with allocated / (capacity + n * usable) under the
 * threshold. */
static long
size_count(const struct pp_engine_ctx *c)
{
	double up = pp_reactive_conf(c->cfg)->up_threshold;
	long long have = c->total_mb + c->pending_mb;
	long long usable = c->worker_type.usable_mb;
	long n;

	if (!c->worker_type.ok || usable <= 0 || up <= 0)
		return 1;
	/* need have + n * usable > allocated * 100 / up */
	n = (long)pp_dclamp(floor(((double)c->allocated_mb * 100.0 / up -
		(double)have) / (double)usable) + 1, 1, PP_RAM_MAX_MB);
	if (n < 1)
		n = 1;
	while (n > 1 && pp_capacity_percent(c->allocated_mb,
	    have + (n - 1) * usable) < up)
		n--;
	while (pp_capacity_percent(c->allocated_mb, have + n * usable) >= up)
		n++;
	return n;
}

static void
figures(const struct pp_engine_ctx *c, json_object *mine,
	struct pp_verdict *v)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(c->cfg);
	time_t below = pp_jtime(mine, "below_since");

	pp_figure_num(v, "capacity_percent", c->capacity_pct, 3);
	pp_figure_num(v, "effective_percent", c->effective_pct, 3);
	pp_figure_int(v, "allocated_ram_mb", c->allocated_mb);
	pp_figure_int(v, "total_ram_mb", c->total_mb);
	pp_figure_int(v, "pending_ram_mb", c->pending_mb);
	pp_figure_num(v, "up_threshold", reactive->up_threshold, 2);
	pp_figure_num(v, "down_threshold", reactive->down_threshold, 2);
	pp_figure_int(v, "cooldown_left_s", cooldown_left(c, mine,
		c->effective_pct > reactive->up_threshold));
	if (below && c->effective_pct < reactive->down_threshold) {
		char buf[PP_TIME_LEN];

		pp_figure_str(v, "below_since", pp_format_time(below, buf,
			sizeof buf));
		pp_figure_int(v, "below_for_s", (long long)(c->now - below));
	} else {
		pp_figure_str(v, "below_since", NULL);
		pp_figure_int(v, "below_for_s", 0);
	}
	pp_figure_int(v, "down_window_s", reactive->down_window);
	pp_figure_int(v, "since_scale_up_s", c->last_scale_up ?
		(long long)(c->now - c->last_scale_up) : -1);
}

static void
should_up(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(c->cfg);
	double pct = c->effective_pct;
	long cd = cooldown_left(c, mine, 1);

	(void)p;
	if (v->figures)
		figures(c, mine, v);
	if (!(pct > reactive->up_threshold))
		return;
	if (cd > 0) {
		pp_verdict_say(c, v, "capacity %.2f%% > "
			"%.1f%% but cooldown: %lds left after its last action",
			pct, reactive->up_threshold, cd);
		return;
	}
	v->verdict = PP_V_UP;
	v->action = PP_ACT_SCALE_UP;
	if (pct > reactive->urgency_critical)
		v->urgency = PP_URG_CRITICAL;
	else if (pct > reactive->urgency_high)
		v->urgency = PP_URG_HIGH;
	else
		v->urgency = PP_URG_MEDIUM;
	v->count = v->urgency >= PP_URG_HIGH ? size_count(c) : 1;
	if (v->urgency == PP_URG_MEDIUM)
		pp_verdict_say(c, v, "capacity %.2f%% > "
			"%.1f%% (urgency medium)", pct,
			reactive->up_threshold);
	else if (c->worker_type.ok)
		pp_verdict_say(c, v, "capacity %.2f%% > "
			"%.1f%% (urgency %s: %ld x %s bring it under "
			"%.1f%%)", pct, reactive->up_threshold,
			pp_urgency_name(v->urgency), v->count,
			c->worker_type.type, reactive->up_threshold);
	else	/* no type to count in: the engine says why */
		pp_verdict_say(c, v, "capacity %.2f%% > "
			"%.1f%% (urgency %s)", pct, reactive->up_threshold,
			pp_urgency_name(v->urgency));
}

static void
should_down(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	const struct pp_reactive_conf *reactive = pp_reactive_conf(c->cfg);
	double pct = c->effective_pct;
	time_t below = pp_jtime(mine, "below_since");
	long cd = cooldown_left(c, mine, 0);
	long for_s, since_up;

	(void)p;
	/* above it should_up answered (a cooldown) */
	if (pct > reactive->up_threshold)
		return;
	if (!(pct < reactive->down_threshold)) {
		pp_verdict_say(c, v, "capacity %.2f%% "
			"between %.1f%% and %.1f%%", pct,
			reactive->down_threshold,
			reactive->up_threshold);
		return;
	}
	/* no record yet: this cycle starts the window */
	for_s = below ? (long)(c->now - below) : 0;
	if (for_s < reactive->down_window) {
		pp_verdict_say(c, v, "capacity %.2f%% < "
			"%.1f%% for %ld of %ld min (the window must pass "
			"without a break)", pct, reactive->down_threshold,
			for_s / 60, reactive->down_window / 60);
		return;
	}
	since_up = c->last_scale_up ? (long)(c->now - c->last_scale_up) : -1;
	if (since_up >= 0 && since_up < reactive->down_after_up) {
		pp_verdict_say(c, v, "capacity %.2f%% < "
			"%.1f%% for %ld min, but the last scale-up was %ld "
			"min ago (down_after_up %ld min)", pct,
			reactive->down_threshold, for_s / 60,
			since_up / 60, reactive->down_after_up / 60);
		return;
	}
	if (cd > 0) {
		pp_verdict_say(c, v, "capacity %.2f%% < "
			"%.1f%% but cooldown: %lds left after its last action",
			pct, reactive->down_threshold, cd);
		return;
	}
	v->verdict = PP_V_DOWN;
	v->urgency = PP_URG_LOW;
	v->count = 1;
	pp_verdict_say(c, v, "capacity %.2f%% < %.1f%% for "
		"%ld min", pct, reactive->down_threshold, for_s / 60);
}

/* Keeps the down window's since-when: set on the first cycle below the
 * threshold, cleared by any cycle at or above it. */
static void
update(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, const struct pp_verdict *v,
	const struct pp_decision_view *d)
{
	(void)p;
	(void)v;
	(void)d;
	if (c->effective_pct < pp_reactive_conf(c->cfg)->down_threshold) {
		if (!pp_jtime(mine, "below_since"))
			json_object_object_add(mine, "below_since",
				pp_jnew_time(c->now));
	} else {
		json_object_object_add(mine, "below_since", NULL);
	}
}

const struct pp_policy pp_policy_reactive = {
	.name = "reactive",
	.conf = &section,
	.should_scale_up = should_up,
	.should_scale_down = should_down,
	.update = update,
};
