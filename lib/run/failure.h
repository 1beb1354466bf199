/* failure.c: a scaling action that failed before it could act (no
 * token, no template, a bad document): counted, marked on the decision
 * and sent as an event, like a failure while acting */
#ifndef PP_FAILURE_H
#define PP_FAILURE_H

struct pp_config;

/* Records that action ("scale_up", ...) failed at stage ("provision")
 * with reason: counters.pp_scaling_events_total{action, result=failed}
 * and the decide memory's result (under the state lock), then a
 * scaling.failed event. Warns, never dies. */
void pp_scaling_failed(const struct pp_config *cfg, const char *state_flag,
	const char *action, const char *stage, const char *reason);

#endif
