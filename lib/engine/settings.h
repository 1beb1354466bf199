/* settings.h: the policies' settings as the config loads them. Each
 * policy declares its keys (rows of lib/conf/keys.h) next to its code
 * and hands them to the engine's table through pp_policy.conf; every
 * settings struct begins with struct pp_policy_conf. Declared here are
 * only the settings that code outside the policy's own file reads; a
 * policy whose settings nobody else reads keeps its struct to itself. */
#ifndef PP_ENGINE_SETTINGS_H
#define PP_ENGINE_SETTINGS_H

#include "conf/config.h"
#include "conf/keys.h"

/* What the engine reads of every policy. */
struct pp_policy_conf {
	int enabled;
	long priority;
};

/* The two rows every policy has, first in its table. */
#define PP_POLICY_KEYS(st, enabled_def, priority_def) \
	PP_KEY(st, on.enabled, "enabled", PP_T_BOOL, enabled_def, \
		"on or off"), \
	PP_KEY(st, on.priority, "priority", PP_T_INT, priority_def, \
		"priority")

struct pp_reactive_conf {
	struct pp_policy_conf on;
	double up_threshold;
	double down_threshold;
	long cooldown;
	long down_window;
	long down_after_up;
	double urgency_high;
	double urgency_critical;
	double down_margin;
};

struct pp_spare_conf {
	struct pp_policy_conf on;
	long min_spares;
	long max_spares;
	struct pp_schedule schedule;
	char *type_choice;       /* new spares, as cloud.type_choice */
};

struct pp_unneeded_conf {
	struct pp_policy_conf on;
	double utilisation;      /* fleet % without the node */
	long hold;               /* unneeded this long, unbroken */
	long billing_window;     /* removed only this near its paid
				  * hour's end; 0: any time */
	long hold_after_up;      /* the hold within this long of a
				  * scale-up, when longer; 0: off */
	long unhealthy_after;    /* an empty cloud node unhealthy this
				  * long goes; 0: never */
};

struct pp_headroom_conf {
	struct pp_policy_conf on;
	long slots;              /* K: free slots to keep */
	long slot_ram_mb;        /* slot size; 0: the largest game
				  * server seen within memory */
	long memory;             /* how long a size seen counts */
	long rise_window;        /* slots for the largest rise seen within
				  * this at this time of day; 0 off */
	long max_slots;          /* at most this many for a rise */
	long down_slots;         /* a scale-down leaves this many more */
	long lead;               /* the slots the forecast's rise within
				  * this takes come on top of K; 0 off */
	long lead_margin_mb;     /* scale-downs count that rise this
				  * many MB higher */
	long step_window;        /* the slots of the rise seen within
				  * this, now, come on top; 0 off */
	long step_margin_mb;     /* less this many MB of it */
};

struct pp_predictive_conf {
	struct pp_policy_conf on;
	double threshold;
	long horizon;
	long provisioning_time;
	long margin;
};

const struct pp_reactive_conf *pp_reactive_conf(const struct pp_config *c);
const struct pp_spare_conf *pp_spare_conf(const struct pp_config *c);
const struct pp_unneeded_conf *pp_unneeded_conf(const struct pp_config *c);
/* The unneeded rule's hold at now: hold_after_up while the last
 * scale-up (0: none) is less than that long ago, else hold. */
long pp_unneeded_hold(const struct pp_unneeded_conf *u, time_t last_up,
	time_t now);
/* When a node unneeded since `since` has been held long enough: after
 * hold, but not before hold_after_up unless the last scale-up is that
 * long past by then. */
time_t pp_unneeded_held_at(const struct pp_unneeded_conf *u, time_t since,
	time_t last_up);
const struct pp_headroom_conf *pp_headroom_conf(const struct pp_config *c);
/* The headroom's rise window, 0 when the policy or the rise is off. */
long pp_headroom_rise_window(const struct pp_config *c);
/* The headroom's step window, 0 when the policy or the step is off. */
long pp_headroom_step_window(const struct pp_config *c);
/* The headroom's lead (a forecast horizon), 0 when off. */
long pp_headroom_lead(const struct pp_config *c);
const struct pp_predictive_conf *pp_predictive_conf(
	const struct pp_config *c);

#endif
