/* ppscale's library: one include for the tools. Each area has its own
 * header, named after its source file, so that a reader (and a second
 * developer working at the same time) finds an area in one place. */
#ifndef PP_H
#define PP_H

#include "base/util.h"
#include "base/datadir.h"
#include "base/json.h"
#include "doc/doc.h"
#include "run/cli.h"
#include "conf/config.h"
#include "store/registry.h"
#include "doc/fleet.h"
#include "store/history.h"
#include "store/state.h"
#include "store/cost.h"
#include "store/counters.h"
#include "store/decide_mem.h"
#include "store/refusals.h"
#include "store/events.h"
#include "base/http.h"
#include "cloud/labels.h"
#include "cloud/cloud.h"
#include "cloud/reconcile.h"
#include "run/fleetstats.h"
#include "run/history_load.h"
#include "engine/forecast.h"
#include "conf/catalog.h"
#include "engine/engine.h"
#include "engine/enode.h"
#include "base/jscan.h"
#include "run/decide.h"
#include "store/metrics.h"
#include "run/status.h"
#include "base/template.h"
#include "cloud/cloudinit.h"
#include "base/hook.h"
#include "engine/placement.h"
#include "run/drainrun.h"
#include "run/provision.h"

#endif
