/* A scaling action that failed before it could act (see failure.h). */
#include <stdlib.h>

#include "base/json.h"
#include "base/util.h"
#include "conf/config.h"
#include "run/failure.h"
#include "store/decide_mem.h"
#include "store/events.h"
#include "store/metrics.h"
#include "store/state.h"

void
pp_scaling_failed(const struct pp_config *cfg, const char *state_flag,
	const char *action, const char *stage, const char *reason)
{
	char *spath = pp_state_path(cfg, state_flag, "state.json");
	char *epath = pp_events_path(cfg, state_flag);
	json_object *f = json_object_new_object();
	struct pp_state st;
	char err[768];

	if (pp_state_open(&st, spath, PP_LOCK_EX, err, sizeof err) < 0) {
		pp_warn("%s; the failure is not counted", err);
	} else {
		pp_metrics_count_scaling(&st, action, "failed");
		pp_decide_mem_set_result(pp_decide_mem_make(st.root), action,
			"failed");
		if (pp_state_save(&st) < 0)
			pp_warn("cannot write state file '%s':", spath);
		pp_metrics_state(&st);
		pp_state_close(&st);
	}
	pp_events_init(cfg, epath);
	json_object_object_add(f, "action", json_object_new_string(action));
	json_object_object_add(f, "result", json_object_new_string("failed"));
	json_object_object_add(f, "stage", json_object_new_string(stage));
	json_object_object_add(f, "reason", json_object_new_string(reason));
	pp_event(PP_EV_SCALING_FAILED, f);
	free(spath);
	free(epath);
}
