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
 *     pp_metrics_exit(NULL, status);          publish; last-run gauges
 * Every tool calls pp_metrics_init right after loading its config,
 * before it reads anything, so a tool that then exits through pp_die
 * (bad stdin, a corrupt state file) publishes pp_last_run_success 0
 * and its exit status from an atexit handler. */
void pp_metrics_init(const struct pp_config *cfg, const char *state_flag);
/* pp_fleet_* from doc's "fleet" and "nodes", orphans and lost nodes
 * from "reconciliation", pp_forecast_allocated_ram_bytes from
 * "forecast". RAM in bytes, capacity as a 0-1 ratio (base units). */
void pp_metrics_fleet(json_object *doc);
/* pp_scaling_events_total and other counters from the state file's
 * "counters" section (as kept by pp_state_count); pp_metrics_state and
 * pp_metrics_state_root add the state's gauges (pp_cloud_refusals). */
void pp_metrics_counters(json_object *counters);
void pp_metrics_state(struct pp_state *s);
/* The same from a state's root as read without the lock
 * (pp_state_snapshot: the file is replaced by rename, so a reader
 * always sees a whole version), for tools that do not hold the state
 * themselves; NULL (it could not be read, which the reader said):
 * nothing. */
void pp_metrics_state_root(json_object *root);
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
/* The same with the exit status (pp_last_run_exit_code). When tool is
 * the pipeline's last (pp-provision), succeeded, and the other tools'
 * last runs did too, also pp_cycle_last_success_timestamp_seconds. */
int pp_metrics_exit(const char *tool, int status);

/* Renders the textfile text from the parts directory (tests). Caller
 * frees. */
char *pp_metrics_render(const char *parts_dir);

#endif
