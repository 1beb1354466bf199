/* metrics.c: the Prometheus textfile, assembled from every tool's part */
#ifndef PP_METRICS_H
#define PP_METRICS_H

#include <json-c/json.h>

struct pp_config;
struct pp_state;

/* Design: each contribution is a "part" kept as JSON in
 * STATE_DIR/metrics/PART.json ("fleet", "counters", "run.TOOL",
 * "tool.TOOL"). Publishing writes the caller's parts, then, under an
 * exclusive lock (STATE_DIR/metrics/parts.lock), re-renders the whole
 * textfile from all parts and replaces it by rename: the file
 * node_exporter reads is always complete, with HELP and TYPE once per
 * family, whichever tool ran last. The "counters" part merges by taking
 * the larger value per series (counters only grow, and two tools may
 * have read the state at different moments). Families and HELP/TYPE live in
 * one table in metrics.c.
 *
 * Use (all calls are no-ops unless pp_metrics_init was called and
 * metrics.textfile is set; none of them fails the tool):
 *     pp_metrics_init(cfg, state_dir_flag);   only for a real run, not
 *                                             a dry run
 *     pp_metrics_fleet(doc);                  gauges from the document
 *     pp_metrics_state(&state);               counters from the state
 *     pp_metrics_run(NULL, status == 0);      publish; last-run gauges
 * A tool that exits through pp_die after pp_metrics_init publishes
 * pp_last_run_success 0 from an atexit handler. */
void pp_metrics_init(const struct pp_config *cfg, const char *state_flag);
/* pp_fleet_* from doc's "fleet" and "nodes", pp_forecast_ram_mb from
 * "forecast". */
void pp_metrics_fleet(json_object *doc);
/* pp_scaling_events_total and other counters from the state file's
 * "counters" section (as kept by pp_state_count). */
void pp_metrics_counters(json_object *counters);
void pp_metrics_state(struct pp_state *s);
/* The same from the state file at path, read without a lock (the file
 * is replaced by rename, so a reader always sees a whole version): for
 * tools that do not hold the state themselves. */
void pp_metrics_state_file(const char *path);
/* Counts one scaling action in the state (the caller saves it):
 * counters.pp_scaling_events_total["action=A,result=R"] += 1.
 * result is "success", "failed" or "skipped". */
void pp_metrics_count_scaling(struct pp_state *s, const char *action,
	const char *result);
/* A tool's own extra sample; family must be in the table in metrics.c.
 * labels as "k=v,k=v" (values without ',' or '='), may be "". */
void pp_metrics_add(const char *family, const char *labels, double value);
/* pp_last_run_timestamp_seconds, pp_last_run_success,
 * pp_last_success_timestamp_seconds and pp_last_run_duration_seconds
 * for tool (NULL: the program name), then
 * publishes. Returns 0, or -1 after a warning. */
int pp_metrics_run(const char *tool, int success);

/* Renders the textfile text from the parts directory (tests). Caller
 * frees. */
char *pp_metrics_render(const char *parts_dir);

#endif
