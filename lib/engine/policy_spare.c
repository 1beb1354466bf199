/* The spare-pool policy: keep a few warm, empty cloud nodes for sudden
 * rushes.
 *
 * A spare is a ready cloud node with role spare and no game server
 * holding RAM. The target comes from the schedule (first row matching
 * the local weekday and hour; holidays count as Saturdays), bounded by
 * min_spares and max_spares. Below the target it asks for the
 * shortfall of the smallest type that fits (spares still provisioning
 * count); above max_spares it names a surplus spare for removal. Its
 * target is also the floor every scale-down respects. */
#include <stdio.h>

#include "conf/config.h"
#include "engine/engine.h"
#include "engine/settings.h"
#include "engine/placement.h"
#include "doc/fleet.h"
#include "base/util.h"

static const struct pp_conf_value profile_default[] = {
	/* the headroom's free slots are the spare room: an idle node
	 * kept beside them cost more for the same refusals (make
	 * bench-policy); switched on, one spare at all hours */
	{"enabled", "false"},
	{"schedule", "1"},
	/* a cx53 spare costs 0.028 EUR/h, the smallest (cpx52) 0.044 */
	{"type_choice", "cheapest"},
	{NULL, NULL},
};
/* Its keys, under policies.spare. */
#define K(f, ...) PP_KEY(struct pp_spare_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key keys[] = {
	PP_POLICY_KEYS(struct pp_spare_conf, "true", "5"),
	K(min_spares, PP_T_INT, "0", "never fewer spares",
		.at_most = "max_spares"),
	K(max_spares, PP_T_INT, "5", "never more spares"),
	K(schedule, PP_T_SCHEDULE, "builtin", "spares by weekday "
		"and hour; first matching row wins"),
	K(type_choice, PP_T_STR, "smallest_fit", "type of new "
		"spares: cheapest_per_gb, smallest_fit or cheapest",
		.choices = PP_CHOICES("cheapest_per_gb", "smallest_fit",
		"cheapest")),
	{.path = NULL},
};
#undef K

static const struct pp_conf_section section = {
	"spare", "keep warm spares",
	sizeof(struct pp_spare_conf), keys, profile_default,
};

const struct pp_spare_conf *
pp_spare_conf(const struct pp_config *cfg)
{
	return pp_policy_settings(cfg, &pp_policy_spare);
}

static const char *const days[] = {"Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday"};

/* Index of the schedule row in force, -1 when none matches. */
static long
rule_index(const struct pp_engine_ctx *c)
{
	const struct pp_spare_conf *spare = pp_spare_conf(c->cfg);

	for (size_t i = 0; i < spare->schedule.n; i++) {
		const struct pp_spare_rule *r = &spare->schedule.rule[i];

		if ((r->days & (1u << c->weekday)) && c->hour >= r->from_hour &&
		    c->hour < r->to_hour)
			return (long)i;
	}
	return -1;
}

long
pp_spare_target(const struct pp_engine_ctx *c)
{
	const struct pp_spare_conf *spare = pp_spare_conf(c->cfg);
	long i = rule_index(c);
	long t = i < 0 ? spare->min_spares : spare->schedule.rule[i].spares;

	if (t > spare->max_spares)
		t = spare->max_spares;
	if (t < spare->min_spares)
		t = spare->min_spares;
	return t;
}

static void
figures(const struct pp_engine_ctx *c, long target, struct pp_verdict *v)
{
	const struct pp_spare_conf *spare = pp_spare_conf(c->cfg);

	pp_figure_int(v, "spares", c->spares);
	pp_figure_int(v, "spares_provisioning", c->spares_pending);
	pp_figure_int(v, "target", target);
	pp_figure_int(v, "min_spares", spare->min_spares);
	pp_figure_int(v, "max_spares", spare->max_spares);
	pp_figure_int(v, "schedule_row", rule_index(c));
	pp_figure_str(v, "weekday", days[c->weekday]);
	pp_figure_int(v, "local_hour", c->hour);
	pp_figure_int(v, "holiday", c->holiday);
}

static void
should_up(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	long target = pp_spare_target(c);
	long have = c->spares + c->spares_pending;

	(void)p;
	(void)mine;
	figures(c, target, v);
	v->keep_spares = target;
	if (have >= target)
		return;
	v->verdict = PP_V_UP;
	v->action = PP_ACT_PROVISION_SPARE;
	v->urgency = c->spares ? PP_URG_LOW : PP_URG_MEDIUM;
	v->count = target - have;
	pp_verdict_say(c, v, "%ld spare%s (%ld "
		"provisioning), %ld wanted on %s %02d:00%s", c->spares,
		c->spares == 1 ? "" : "s", c->spares_pending, target,
		days[c->weekday], c->hour, c->holiday ? " (holiday)" : "");
}

/* The surplus spare whose paid hour ends soonest. */
static const struct pp_enode *
surplus(const struct pp_engine_ctx *c)
{
	const struct pp_enode *best = NULL;
	long bleft = 0;

	for (size_t i = 0; i < c->nnodes; i++) {
		const struct pp_enode *n = &c->nodes[i];
		long left;

		if (!pp_idle_spare(n->kind, n->status, n->role,
		    n->allocated_mb))
			continue;
		left = pp_engine_paid_left(n, c->now);
		if (!best || left < bleft) {
			best = n;
			bleft = left;
		}
	}
	return best;
}

static void
should_down(const struct pp_policy *p, const struct pp_engine_ctx *c,
	json_object *mine, struct pp_verdict *v)
{
	const struct pp_spare_conf *spare = pp_spare_conf(c->cfg);
	long target = pp_spare_target(c);
	const struct pp_enode *n;

	(void)p;
	(void)mine;
	if (c->spares <= spare->max_spares) {
		pp_verdict_say(c, v, "%ld spare%s, %ld "
			"wanted on %s %02d:00%s", c->spares,
			c->spares == 1 ? "" : "s", target, days[c->weekday],
			c->hour, c->holiday ? " (holiday)" : "");
		return;
	}
	n = surplus(c);
	if (!n)
		return;
	v->verdict = PP_V_DOWN;
	v->urgency = PP_URG_LOW;
	v->count = c->spares - spare->max_spares;
	v->node = n->id;
	pp_verdict_say(c, v, "%ld spares > max_spares %ld",
		c->spares, spare->max_spares);
}

const struct pp_policy pp_policy_spare = {
	.name = "spare",
	.conf = &section,
	.should_scale_up = should_up,
	.should_scale_down = should_down,
	.update = NULL,
};
