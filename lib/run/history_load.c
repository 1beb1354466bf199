/* pp-fleetstats --import-history: a warm start for the forecast. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "conf/config.h"
#include "engine/forecast.h"
#include "run/history_load.h"
#include "store/history_import.h"
#include "store/state.h"

json_object *
pp_history_load_source(const struct pp_config *cfg, const char *state_flag,
	const char *source, int write)
{
	char err[768], t1[PP_TIME_LEN], t2[PP_TIME_LEN], gaps[80];
	struct pp_history imp;
	struct pp_import_stats st = {0};
	struct pp_import_source src;
	size_t len;
	int transient;
	char *text = pp_history_import_read(source, &len, err, sizeof err,
		&transient);
	char *hpath, *shown;
	json_object *o;
	int rc;

	if (!text)
		pp_die(transient ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", err);
	/* as pp_http_get names it: a URL's user:password@ and query
	 * (access_token=...) end up in cron mail and the journal */
	shown = pp_url_shown(source);
	if (pp_history_import_parse(&imp, text, len, &src, err,
	    sizeof err) < 0) {
		char msg[1024];

		snprintf(msg, sizeof msg, "history source '%s' (%s): %s",
			shown, src.format, err);
		free(text);
		free(shown);
		free(src.infos);
		/* a partial answer is no bad input: the next may be whole */
		pp_die(src.incomplete ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s",
			msg);
	}
	if (src.infos)
		pp_warn("history source '%s' (%s): %s", shown, src.format,
			src.infos);
	free(src.infos);
	free(text);
	free(shown);
	hpath = pp_state_path(cfg, state_flag, "history");
	rc = pp_history_import(hpath, &imp, pp_now(), cfg->history.retention,
		write, &st, err, sizeof err);
	if (rc < 0) {
		pp_history_free(&imp);
		free(hpath);
		pp_die(rc == -2 ? PP_EXIT_USAGE : PP_EXIT_FAIL, "%s", err);
	}
	pp_history_free(&imp);
	gaps[0] = '\0';
	if (src.gaps)
		snprintf(gaps, sizeof gaps, "; %zu gaps (NaN, +Inf or -Inf) "
			"skipped", src.gaps);
	if (st.imported) {
		pp_note("%s %zu of %zu samples (%s to %s, %lld to %lld MB, "
			"at most %ld s apart) into %s%s%s%s",
			write ? "imported" : "would import", st.imported,
			st.read, pp_format_time(st.first, t1, sizeof t1),
			pp_format_time(st.last, t2, sizeof t2), st.min_mb,
			st.max_mb, st.max_spacing,
			pp_state_database() ? "the database's history of pool '"
			: "'", pp_state_database() ? pp_state_pool() : hpath,
			"'", gaps);
		/* a step of 3660 s imports "successfully" and gives no
		 * forecast: nothing is interpolated across the holes */
		if (st.typical_spacing > PP_FORECAST_MAX_GAP)
			pp_warn("the history has steps of %ld s beside "
				"imported samples, more than the forecast "
				"interpolates across (%ld s): ask for a "
				"smaller step (step=60)", st.typical_spacing,
				PP_FORECAST_MAX_GAP);
		else if (st.max_spacing > PP_FORECAST_MAX_GAP)
			pp_warn("the history has a hole of %ld s before %s "
				"beside imported samples (the source has none "
				"there), more than the forecast interpolates "
				"across (%ld s): the forecast has no profile "
				"there", st.max_spacing, pp_format_time(
				st.widest_at, t1, sizeof t1),
				PP_FORECAST_MAX_GAP);
	} else
		pp_warn("nothing to import: of %zu samples %zu are after "
			"--now, %zu older than history.retention, %zu in "
			"minutes the store already has%s", st.read, st.future,
			st.old, st.own, gaps);
	o = json_object_new_object();
	json_object_object_add(o, "source_format",
		json_object_new_string(src.format));
	json_object_object_add(o, "read", json_object_new_int64((long long)st.read));
	json_object_object_add(o, "imported",
		json_object_new_int64((long long)st.imported));
	json_object_object_add(o, "skipped_own",
		json_object_new_int64((long long)st.own));
	json_object_object_add(o, "skipped_future",
		json_object_new_int64((long long)st.future));
	json_object_object_add(o, "skipped_old",
		json_object_new_int64((long long)st.old));
	json_object_object_add(o, "skipped_gaps",
		json_object_new_int64((long long)src.gaps));
	json_object_object_add(o, "min_mb", st.imported ?
		json_object_new_int64(st.min_mb) : NULL);
	json_object_object_add(o, "max_mb", st.imported ?
		json_object_new_int64(st.max_mb) : NULL);
	json_object_object_add(o, "max_spacing_s", st.imported ?
		json_object_new_int64(st.max_spacing) : NULL);
	json_object_object_add(o, "first", st.imported ?
		pp_jnew_time(st.first) : NULL);
	json_object_object_add(o, "last", st.imported ?
		pp_jnew_time(st.last) : NULL);
	json_object_object_add(o, "samples",
		json_object_new_int64((long long)st.samples));
	json_object_object_add(o, "written",
		json_object_new_boolean(write && st.imported));
	free(hpath);
	return o;
}
