/* ppscale's library: one include for the tools. Each area has its own
 * header, named after its source file, so that a reader (and a second
 * developer working at the same time) finds an area in one place. */
#ifndef PP_H
#define PP_H

#include "util.h"
#include "doc.h"
#include "cli.h"
#include "config.h"
#include "registry.h"
#include "fleet.h"
#include "history.h"
#include "state.h"
#include "events.h"
#include "http.h"
#include "labels.h"
#include "cloud.h"
#include "reconcile.h"
#include "fleetstats.h"
#include "forecast.h"
#include "catalog.h"
#include "engine.h"
#include "enode.h"
#include "jscan.h"
#include "decide.h"
#include "metrics.h"
#include "status.h"
#include "template.h"
#include "cloudinit.h"
#include "hook.h"
#include "drain.h"
#include "drainrun.h"
#include "provision.h"

#endif
