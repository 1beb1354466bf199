/* The headroom policy: keep K free slots for the largest game server.
 *
 * Aggregate capacity cannot see fragmentation: a fleet at 65 % with
 * 90 GB free can still refuse a 16 GB game server when no node has a
 * 16 GB hole. This policy counts the free slots of the slot size (the
 * configured slot_ram_mb, else the largest game server seen within
 * `memory`) on ready and booting nodes, each node on its own, with the
 * placement module's fit (pp_engine_slots), and scales up when fewer
 * than K remain: enough servers of the worker type to restore K. It
 * is the cluster-autoscaler's pending-pod signal plus headroom, taken
 * before the start is refused.
 *
 * Its floor binds every scale-down: the engine's victim choice and the
 * unneeded rule never remove a node that would leave fewer than K free
 * slots, plus down_slots (pp_headroom_floor): a removal that leaves
 * exactly K is bought back at the next large start. With `lead`, the
 * slots of the rise the forecast expects within it (its value at the
 * lead less the RAM allocated now, rounded up to slots) come on top of
 * K while demand rises (pp_headroom_wanted); lead_margin_mb keeps them
 * in the floor until the forecast falls that far. With `step_window`,
 * the slots of the rise allocated RAM took within it up to now (the
 * forecast's step_mb) less step_margin_mb come on top too: a step no
 * forecast saw buys for what it has taken at once, where the fleet
 * running full would see one slot missing a cycle (the game servers
 * that cannot start are not in the registry). With a slot size the spare pool counts
 * only spares that hold a slot, and new nodes are sized to hold one.
 *
 * State (its entry under "policies"):
 *   "slot_mb": the largest game server seen, "slot_seen_at": RFC3339
 * A larger size replaces the one kept, the same size renews its time
 * (every ten minutes at most); a kept size older than `memory` gives
 * way to the largest seen now. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/forecast.h"
#include "engine/settings.h"
#include "base/util.h"

static const struct pp_conf_value profile_default[] = {
	{"enabled", "true"},
	/* one slot while demand falls or holds, and the slots of the
	 * rise the forecast expects within 15 minutes on top while it
	 * rises: on the whole matrix 9-20 % cheaper than two fixed slots,
	 * and no cell over 0.05 % refused (two slots: one) */
	{"slots", "1"},
	{"lead", "15m"},
	/* a removal that leaves exactly K is bought back at the next
	 * large start: 20 drains a day instead of 1 */
	{"down_slots", "1"},
	/* a launch or an event no history shows: on the matrix as cheap
	 * (0.1-0.5 % more on osrs and steam) and no cell over 0.05 %; on
	 * a launch at 4x the worst refused share 0.153 % against 0.853 */
	{"step_window", "10m"},
	{NULL, NULL},
};
/* Its keys, under policies.headroom. */
#define K(f, ...) PP_KEY(struct pp_headroom_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key keys[] = {
	PP_POLICY_KEYS(struct pp_headroom_conf, "false", "15"),
	K(slots, PP_T_INT, "1", "free slots to keep on ready and "
		"booting nodes (K)"),
	K(slot_ram_mb, PP_T_INT, "0", "slot size in MB (0: the "
		"largest game server seen within memory)"),
	K(memory, PP_T_DUR, "7d", "how long the largest game server "
		"seen sets the slot size"),
	K(rise_window, PP_T_DUR, "0", "keep slots for the largest rise "
		"of allocated RAM within this window seen at this time of "
		"day in the last week (0: off)"),
	K(max_slots, PP_T_INT, "4", "at most this many slots for a rise"),
	K(down_slots, PP_T_INT, "0", "a scale-down leaves this many free "
		"slots more than wanted"),
	K(lead, PP_T_DUR, "0", "while the forecast rises within this "
		"time, keep the slots the rise takes on top of K (0: off)"),
	K(lead_margin_mb, PP_T_INT, "0", "a scale-down keeps the "
		"rise's slots until the forecast is this many MB under a "
		"rise"),
	K(step_window, PP_T_DUR, "0", "keep the slots of the rise of "
		"allocated RAM within this window, seen now, on top of K "
		"(0: off)"),
	K(step_margin_mb, PP_T_INT, "32768", "the step's first MB take "
		"no slot (churn, not a step)"),
	{.path = NULL},
};
#undef K

static const struct pp_conf_section section = {
	"headroom", "keep free slots for the largest game server",
	sizeof(struct pp_headroom_conf), keys, profile_default,
};

const struct pp_headroom_conf *
pp_headroom_conf(const struct pp_config *cfg)
{
	return pp_policy_settings(cfg, &pp_policy_headroom);
}

long long
pp_headroom_memory(const struct pp_config *cfg, json_object *decide_state,
	time_t now)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(cfg);
	json_object *mine = pp_jget(pp_jget(decide_state, "policies"),
		"headroom");
	time_t at = pp_jtime(mine, "slot_seen_at");
	long long mb = pp_jint(mine, "slot_mb", 0);

	if (!headroom->on.enabled || !at || mb <= 0 ||
	    now - at > headroom->memory)
		return 0;
	return mb;
}

long
pp_headroom_rise_window(const struct pp_config *cfg)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(cfg);

	return headroom->on.enabled ? headroom->rise_window : 0;
}

long
pp_headroom_step_window(const struct pp_config *cfg)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(cfg);

	return headroom->on.enabled ? headroom->step_window : 0;
}

/* The slots the step now running takes (its rise within step_window
 * less step_margin_mb, rounded up), 0 when off or none. */
static long
step_slots(const struct pp_engine_ctx *c)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(c->cfg);
	double over = c->step_mb - (double)headroom->step_margin_mb;

	if (headroom->step_window <= 0 || c->step_mb < 0 || over <= 0 ||
	    c->slot_mb <= 0)
		return 0;
	return (long)ceil(over / (double)c->slot_mb);
}

long
pp_headroom_lead(const struct pp_config *cfg)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(cfg);

	return headroom->on.enabled ? headroom->lead : 0;
}

int
pp_headroom_lead_rise(const struct pp_engine_ctx *c, double *rise)
{
	long lead = pp_headroom_lead(c->cfg);
	const struct pp_forecast *fp = c->fc;
	struct pp_forecast f;
	char err[128];
	double v;

	*rise = 0;
	if (lead <= 0)
		return 0;
	if (!fp) {
		/* pp-decide: the document's forecast, which pp-fleetstats
		 * computes at the lead too (pp_forecast_horizons) */
		if (!c->forecast || pp_forecast_from_json(c->forecast, &f,
		    err, sizeof err) < 0)
			return 0;
		fp = &f;
	}
	v = pp_forecast_value(fp, lead);
	if (v < 0)
		return 0;
	*rise = v - (double)c->allocated_mb;
	return 1;
}

/* K with the slots a rise of rise_mb takes on top (rounded up), at
 * most max_slots (never under K). */
static long
lead_extra(const struct pp_headroom_conf *headroom, double rise_mb,
	long long slot_mb)
{
	long k = headroom->slots;

	if (rise_mb <= 0)
		return k;
	/* demand on the way up: the slots the rise takes before a server
	 * ordered now is ready */
	k += (long)ceil(rise_mb / (double)slot_mb);
	if (k > headroom->max_slots)
		k = headroom->max_slots > headroom->slots ?
			headroom->max_slots : headroom->slots;
	return k;
}

long
pp_headroom_wanted(const struct pp_engine_ctx *c)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(c->cfg);
	long k = headroom->slots, r;

	if (!headroom->on.enabled || c->slot_mb <= 0)
		return 0;
	if (c->lead_known)
		k = lead_extra(headroom, c->lead_rise_mb, c->slot_mb);
	r = step_slots(c);
	if (r > 0) {
		/* a step running now that no forecast saw: room for its
		 * next minutes at once, not one slot a boot */
		k += r;
		if (k > headroom->max_slots)
			k = headroom->max_slots > headroom->slots ?
				headroom->max_slots : headroom->slots;
	}
	if (headroom->rise_window <= 0 || c->rise_mb <= 0)
		return k;
	/* a rise of a few MB over whole slots is churn, not a slot */
	r = (long)ceil((c->rise_mb - 1024) / (double)c->slot_mb);
	if (r > headroom->max_slots)
		r = headroom->max_slots;
	return r > k ? r : k;
}

long
pp_headroom_floor(const struct pp_engine_ctx *c)
{
	const struct pp_headroom_conf *headroom = pp_headroom_conf(c->cfg);
	long k = c->slots_wanted;

	/* no type holds a slot: no node bought holds one, and keeping
	 * slots no cloud node provides would keep every node bought for
	 * the peaks (the largest type, by the other policies) for good */
	if (k <= 0 || pp_engine_slot_unbuyable(c))
		return 0;
	if (c->lead_known && headroom->lead_margin_mb > 0) {
		/* the rise's slots stay until the forecast is lead_margin_mb
		 * under a rise: a forecast that wavers about flat demand
		 * does not remove a node and buy it back */
		long d = lead_extra(headroom, c->lead_rise_mb +
			(double)headroom->lead_margin_mb, c->slot_mb);

		if (d > k)
			k = d;
	}
	return k + headroom->down_slots;
}

static void
should_up(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	long k = c->slots_wanted, per, need;
	char rise[160] = "";

	(void)p;
	(void)mine;
	pp_figure_int(v, "slot_mb", c->slot_mb);
	pp_figure_int(v, "free_slots", c->slots);
	pp_figure_int(v, "slots_wanted", k);
	pp_figure_int(v, "slots", pp_headroom_conf(c->cfg)->slots);
	pp_figure_num(v, "rise_mb", c->rise_mb, 0);
	if (c->lead_known)
		pp_figure_num(v, "lead_rise_mb", c->lead_rise_mb, 0);
	if (pp_headroom_step_window(c->cfg) > 0)
		pp_figure_num(v, "step_mb", c->step_mb, 0);
	pp_figure_int(v, "largest_now_mb", c->largest_mb);
	pp_figure_int(v, "remembered_mb", c->slot_memory_mb);
	pp_figure_int(v, "small_spares", c->spares_small);
	if (c->slot_mb <= 0) {
		pp_verdict_say(c, v, "no slot size yet (no "
			"game server seen, slot_ram_mb unset)");
		return;
	}
	/* the reason's tail; pp-sim (lean) reads no reason of a verdict
	 * that does not act */
	if (k > pp_headroom_conf(c->cfg)->slots &&
	    (!c->lean || c->slots < k)) {
		size_t n = 0;

		if (c->lead_known && c->lead_rise_mb > 0)
			n = (size_t)snprintf(rise, sizeof rise, " for a "
				"rise of %.0f MB forecast within %ld min",
				c->lead_rise_mb,
				pp_headroom_conf(c->cfg)->lead / 60);
		if (step_slots(c) > 0 && n < sizeof rise)
			n += (size_t)snprintf(rise + n, sizeof rise - n,
				"%s a rise of %.0f MB within the last %ld min",
				n ? " and" : " for", c->step_mb,
				pp_headroom_conf(c->cfg)->step_window / 60);
		if (!n)
			snprintf(rise, sizeof rise, " for a rise of %.0f MB "
				"seen at this time of day", c->rise_mb);
	}
	if (c->slots >= k) {
		pp_verdict_say(c, v, "%ld free slot%s of "
			"%lld MB on ready and booting nodes, %ld wanted%s",
			c->slots, c->slots == 1 ? "" : "s", c->slot_mb, k,
			rise);
		return;
	}
	/* no type holds a slot: buying cannot make one, and a node that
	 * cannot hold the slot is no answer to this policy */
	if (pp_engine_slot_unbuyable(c)) {
		pp_verdict_say(c, v, "%ld free slot%s of %lld MB on ready "
			"and booting nodes, %ld wanted%s; but no allowed "
			"type holds a slot (the largest, %s, %lld MB "
			"usable): none bought", c->slots, c->slots == 1 ?
			"" : "s", c->slot_mb, k, rise, c->worker_type.type,
			c->worker_type.usable_mb);
		return;
	}
	per = c->worker_type.ok && c->worker_type.usable_mb >= c->slot_mb ?
		(long)(c->worker_type.usable_mb / c->slot_mb) : 1;
	need = (k - c->slots + per - 1) / per;
	pp_figure_int(v, "slots_per_new_node", per);
	v->verdict = PP_V_UP;
	v->action = PP_ACT_SCALE_UP;
	/* none left: the next start of that size is refused */
	v->urgency = c->slots <= 0 ? PP_URG_HIGH : PP_URG_MEDIUM;
	v->count = need;
	pp_verdict_say(c, v, "%ld free slot%s of %lld MB "
		"on ready and booting nodes, %ld wanted%s", c->slots,
		c->slots == 1 ? "" : "s", c->slot_mb, k, rise);
}

static void
update(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, const struct pp_verdict *v,
	const struct pp_decision_view *d)
{
	long long kept = pp_jint(mine, "slot_mb", 0);
	time_t at = pp_jtime(mine, "slot_seen_at");

	(void)p;
	(void)v;
	(void)d;
	if (c->largest_mb <= 0)
		return;
	/* the same size seen again renews its time, at most every ten
	 * minutes (a time written every cycle costs pp-sim dearly) */
	if (c->largest_mb > kept || !at ||
	    c->now - at > pp_headroom_conf(c->cfg)->memory ||
	    (c->largest_mb == kept && c->now - at >= 600)) {
		json_object_object_add(mine, "slot_mb",
			json_object_new_int64(c->largest_mb));
		json_object_object_add(mine, "slot_seen_at",
			pp_jnew_time(c->now));
	}
}

const struct pp_policy pp_policy_headroom = {
	.name = "headroom",
	.conf = &section,
	.should_scale_up = should_up,
	.should_scale_down = NULL,
	.update = update,
};
