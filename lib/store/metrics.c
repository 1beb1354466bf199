/* The Prometheus textfile. Every tool contributes parts (see metrics.h);
 * the textfile is re-rendered from all parts under one lock and replaced
 * by rename, so node_exporter never reads a torn or partial file and no
 * tool can drop another tool's families. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "store/counters.h"
#include "store/metrics.h"
#include "store/refusals.h"
#include "store/state.h"
#include "base/util.h"

#define MB 1048576.0

struct family {
	const char *name, *type, *help;
};

/* Every family any tool may write. A part naming another family is
 * ignored, so a typo cannot produce an invalid file. */
static const struct family families[] = {
	{"pp_build_info", "gauge",
		"The ppscale version that last published, as a label."},
	{"pp_fleet_capacity_ratio", "gauge",
		"Allocated RAM over the usable RAM of ready nodes (0-1)."},
	{"pp_fleet_ram_bytes", "gauge",
		"Fleet RAM in bytes by state (total, allocated, free, "
		"pending)."},
	{"pp_fleet_nodes", "gauge", "Nodes by kind, status and role."},
	{"pp_fleet_spares", "gauge", "Ready idle cloud spares."},
	{"pp_fleet_players", "gauge", "Players on all nodes."},
	{"pp_fleet_hourly_cost_eur", "gauge",
		"Hourly cost of the cloud nodes in EUR."},
	{"pp_forecast_allocated_ram_bytes", "gauge",
		"Forecast allocated RAM in bytes by horizon in seconds."},
	{"pp_reconcile_orphan_servers", "gauge",
		"Servers with our label that the registry lacks (they bill)."},
	{"pp_reconcile_lost_nodes", "gauge",
		"Registry nodes whose server is gone."},
	{"pp_cloud_refusals", "gauge",
		"Orders the cloud refused that are still being avoided."},
	{"pp_cloud_listed", "gauge",
		"1 if the tool's last run could list our servers in the "
		"cloud, 0 if it could not (no reconciliation that run)."},
	{"pp_scaling_events_total", "counter",
		"Scaling actions by action and result."},
	{"pp_scaling_blocked_total", "counter",
		"Cycles in which a policy wanted capacity that could not be "
		"ordered, by action and reason."},
	{"pp_decisions_total", "counter",
		"Decisions of pp-decide by action and policy."},
	{"pp_last_run_timestamp_seconds", "gauge",
		"When the tool last finished, as a UNIX time."},
	{"pp_last_run_success", "gauge",
		"1 if the tool's last run succeeded, else 0."},
	{"pp_last_success_timestamp_seconds", "gauge",
		"When the tool last finished successfully, as a UNIX time."},
	{"pp_last_run_warnings", "gauge",
		"How many warnings and errors the tool's last run gave "
		"(-q hides them from stderr, not from this count)."},
	{"pp_last_run_duration_seconds", "gauge",
		"How long the tool's last run took."},
	{"pp_last_run_exit_code", "gauge",
		"The exit status of the tool's last run: 0 done, 1 failed "
		"while acting, 2 bad usage or bad input."},
	{"pp_cycle_last_success_timestamp_seconds", "gauge",
		"When pp-provision last succeeded with every tool of the "
		"pipeline's last run successful, as a UNIX time."},
};

/* The tools of one cycle, in order; the last one closes it. */
static const char *const cycle_tools[] = {"pp-fleetstats", "pp-decide",
	"pp-drain", "pp-provision"};
#define NCYCLE (sizeof cycle_tools / sizeof cycle_tools[0])
#define NFAMILIES (sizeof families / sizeof families[0])

static struct {
	int on;         /* initialised with a textfile */
	int done;       /* pp_metrics_run has published */
	int publishing; /* guards against pp_die inside publishing */
	char *textfile;
	char *dir;      /* parts directory */
	json_object *pending; /* part name -> array of [family, labels, v] */
	char *carry;    /* run part whose last success time to keep */
	int closes_cycle; /* this run may close a successful cycle */
	double started;
} m;

static const struct family *
find_family(const char *name)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (!strcmp(families[i].name, name))
			return &families[i];
	return NULL;
}

static void
at_exit(void)
{
	if (m.on && !m.done && !m.publishing)
		pp_metrics_exit(NULL, pp_die_status() ? pp_die_status() :
			PP_EXIT_FAIL);
	json_object_put(m.pending);
	free(m.textfile);
	free(m.dir);
	free(m.carry);
	memset(&m, 0, sizeof m);
}

void
pp_metrics_init(const struct pp_config *cfg, const char *state_flag)
{
	static int registered;

	if (!cfg || !cfg->metrics.textfile || !*cfg->metrics.textfile)
		return;
	if (!registered) {
		atexit(at_exit);
		registered = 1;
	}
	json_object_put(m.pending);
	free(m.textfile);
	free(m.dir);
	m.textfile = pp_xstrdup(cfg->metrics.textfile);
	m.dir = pp_state_path(cfg, state_flag, "metrics");
	m.pending = json_object_new_object();
	m.started = pp_monotonic();
	m.done = 0;
	m.on = 1;
}

/* The part's sample list, emptied: a part is always replaced whole. */
static json_object *
part(const char *name)
{
	json_object *a = json_object_new_array();

	json_object_object_add(m.pending, name, a);
	return a;
}

static void
sample(json_object *part, const char *family, const char *labels,
	double v)
{
	json_object *s = json_object_new_array_ext(3);

	json_object_array_add(s, json_object_new_string(family));
	json_object_array_add(s, json_object_new_string(labels));
	json_object_array_add(s, json_object_new_double(v));
	json_object_array_add(part, s);
}

void
pp_metrics_fleet(json_object *doc)
{
	static const char *const kinds[] = {"dedicated", "cloud"};
	static const char *const statuses[] = {"provisioning", "ready",
		"draining", "unhealthy"};
	static const char *const roles[] = {"worker", "spare"};
	static const char *const ram[] = {"total", "allocated", "free",
		"pending"};
	long counts[2][4][2] = {{{0}}};
	json_object *fleet = pp_jget(doc, "fleet");
	json_object *nodes = pp_jget(doc, "nodes");
	json_object *fc = pp_jget(doc, "forecast");
	json_object *p;

	if (!m.on || !fleet)
		return;
	p = part("fleet");
	sample(p, "pp_fleet_capacity_ratio", "",
		pp_jdouble(fleet, "capacity_percent", 0) / 100);
	for (size_t i = 0; i < 4; i++) {
		char key[32], labels[32];

		snprintf(key, sizeof key, "%s_ram_mb", ram[i]);
		snprintf(labels, sizeof labels, "state=%s", ram[i]);
		sample(p, "pp_fleet_ram_bytes", labels,
			pp_jdouble(fleet, key, 0) * MB);
	}
	sample(p, "pp_fleet_hourly_cost_eur", "",
		pp_jdouble(fleet, "hourly_cost_eur", 0));
	sample(p, "pp_fleet_spares", "", pp_jdouble(fleet, "spares", 0));
	sample(p, "pp_fleet_players", "", pp_jdouble(fleet, "players", 0));

	/* every combination, zeros included: an alert on "no ready
	 * cloud node" needs a 0, not an absent series */
	if (pp_jget(fleet, "roles")) {
		/* the fleet's own breakdown: the nodes section may be raw */
		for (int k = 0; k < 2; k++)
			for (int s = 0; s < 4; s++)
				for (int r = 0; r < 2; r++) {
					char path[64];

					snprintf(path, sizeof path,
						"roles.%s.%s.%s", roles[r],
						kinds[k], statuses[s]);
					counts[k][s][r] = (long)
						json_object_get_int64(pp_jpath(
						fleet, path));
				}
	} else if (nodes && json_object_is_type(nodes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(nodes); i++) {
			json_object *n = json_object_array_get_idx(nodes, i);
			const char *k = pp_jstr(n, "kind", "");
			const char *s = pp_jstr(n, "status", "");
			const char *r = pp_jstr(n, "role", "");
			int ki = -1, si = -1, ri = -1;

			for (int j = 0; j < 2; j++)
				if (!strcmp(k, kinds[j]))
					ki = j;
			for (int j = 0; j < 4; j++)
				if (!strcmp(s, statuses[j]))
					si = j;
			for (int j = 0; j < 2; j++)
				if (!strcmp(r, roles[j]))
					ri = j;
			if (ki >= 0 && si >= 0 && ri >= 0)
				counts[ki][si][ri]++;
		}
	}
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 4; s++)
			for (int r = 0; r < 2; r++) {
				char labels[96];

				snprintf(labels, sizeof labels,
					"kind=%s,status=%s,role=%s", kinds[k],
					statuses[s], roles[r]);
				sample(p, "pp_fleet_nodes", labels,
					(double)counts[k][s][r]);
			}

	/* orphans and lost nodes, when pp-fleetstats reconciled */
	{
		json_object *r = pp_jget(doc, "reconciliation");
		json_object *o = pp_jget(r, "orphans");
		json_object *l = pp_jget(r, "lost");

		if (r && !strcmp(pp_jstr(r, "status", ""), "ok")) {
			sample(p, "pp_reconcile_orphan_servers", "", o &&
				json_object_is_type(o, json_type_array) ?
				(double)json_object_array_length(o) : 0);
			sample(p, "pp_reconcile_lost_nodes", "", l &&
				json_object_is_type(l, json_type_array) ?
				(double)json_object_array_length(l) : 0);
		}
	}
	/* the forecast: "at": [{"horizon_s", "allocated_ram_mb"}, ...] */
	{
		json_object *a = pp_jget(fc, "at");

		for (size_t i = 0; a && json_object_is_type(a,
		     json_type_array) && i < json_object_array_length(a);
		     i++) {
			json_object *e = json_object_array_get_idx(a, i);
			json_object *v = pp_jget(e, "allocated_ram_mb");
			char labels[64];

			if (!pp_jget(e, "horizon_s") || !v ||
			    json_object_is_type(v, json_type_null))
				continue;
			snprintf(labels, sizeof labels, "horizon_seconds=%lld",
				pp_jint(e, "horizon_s", 0));
			sample(p, "pp_forecast_allocated_ram_bytes", labels,
				json_object_get_double(v) * MB);
		}
	}
}

/* Counters an alert takes increase() of start at an explicit 0: the
 * first failure must be an increase, not a new series. */
static void
zero_counters(json_object *p)
{
	static const char *const acts[] = {"scale_up", "provision_spare",
		"scale_down"};
	static const char *const results[] = {"success", "failed",
		"skipped"};
	static const char *const reasons[] = {"no_server_type",
		"max_cloud_nodes", "placement_group_limit", "max_hourly_eur"};
	char labels[96];

	for (size_t a = 0; a < 3; a++)
		for (size_t r = 0; r < 3; r++) {
			snprintf(labels, sizeof labels, "action=%s,result=%s",
				acts[a], results[r]);
			sample(p, "pp_scaling_events_total", labels, 0);
		}
	for (size_t a = 0; a < 2; a++)
		for (size_t r = 0; r < sizeof reasons / sizeof *reasons; r++) {
			snprintf(labels, sizeof labels, "action=%s,reason=%s",
				acts[a], reasons[r]);
			sample(p, "pp_scaling_blocked_total", labels, 0);
		}
}

void
pp_metrics_counters(json_object *counters)
{
	json_object *p;

	if (!m.on)
		return;
	p = part("counters");
	zero_counters(p);
	if (!counters || !json_object_is_type(counters, json_type_object))
		return;
	json_object_object_foreach(counters, name, series) {
		const struct family *f = find_family(name);

		if (!f || strcmp(f->type, "counter") ||
		    !json_object_is_type(series, json_type_object))
			continue;
		json_object_object_foreach(series, labels, v)
			sample(p, name, labels, json_object_get_double(v));
	}
}

/* The state's gauges: the refusals still in force. */
static void
state_gauges(json_object *root)
{
	json_object *p;

	if (!m.on)
		return;
	p = part("state");
	sample(p, "pp_cloud_refusals", "", (double)pp_refusals_active_count(
		pp_refusals_of(root), pp_now()));
}

void
pp_metrics_state(struct pp_state *s)
{
	if (s && s->root) {
		pp_metrics_counters(pp_counters_of(s->root));
		state_gauges(s->root);
	}
}

void
pp_metrics_state_root(json_object *root)
{
	if (!m.on || !root)
		return;
	/* an empty one is a state file not made yet: its counters are
	 * zero, and it holds no refusal to gauge */
	pp_metrics_counters(pp_counters_of(root));
	if (json_object_object_length(root))
		state_gauges(root);
}

void
pp_metrics_count_scaling(struct pp_state *s, const char *action,
	const char *result)
{
	char *labels = pp_xasprintf("action=%s,result=%s", action, result);

	pp_state_count(s, "pp_scaling_events_total", labels, 1);
	free(labels);
}

void
pp_metrics_add(const char *family, const char *labels, double value)
{
	char *name;
	json_object *p;

	if (!m.on)
		return;
	if (!find_family(family)) {
		pp_warn("internal: unknown metric family '%s'", family);
		return;
	}
	name = pp_xasprintf("tool.%s", pp_progname);
	p = pp_jget(m.pending, name);
	if (!p)
		p = part(name);
	sample(p, family, labels ? labels : "", value);
	free(name);
}

/* "k=v,k=v" -> k="v",k="v" with Prometheus escaping; -1 if malformed.
 * A value already in quotes (k="v", as pp-decide keeps its counter's
 * labels) is taken without them. */
static int
render_labels(struct pp_buf *b, const char *labels)
{
	const char *s = labels;
	int first = 1;

	while (*s) {
		size_t kn = strcspn(s, "=,");
		const char *v;
		size_t vn;
		int quoted;

		if (kn == 0 || s[kn] != '=' ||
		    !(isalpha((unsigned char)*s) || *s == '_'))
			return -1;
		for (size_t i = 0; i < kn; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_')
				return -1;
		v = s + kn + 1;
		vn = strcspn(v, ",");
		quoted = vn >= 2 && v[0] == '"' && v[vn - 1] == '"';
		pp_buf_addstr(b, first ? "{" : ",");
		pp_buf_add(b, s, kn);
		pp_buf_addstr(b, "=\"");
		for (size_t i = quoted; i < vn - quoted; i++) {
			if (v[i] == '\\' || v[i] == '"')
				pp_buf_add(b, "\\", 1);
			if (v[i] == '\n')
				pp_buf_addstr(b, "\\n");
			else
				pp_buf_add(b, v + i, 1);
		}
		pp_buf_addstr(b, "\"");
		first = 0;
		s = v + vn;
		if (*s == ',')
			s++;
	}
	if (!first)
		pp_buf_addstr(b, "}");
	return 0;
}

static void
render_value(struct pp_buf *b, double v)
{
	if (isnan(v))
		pp_buf_addstr(b, "NaN");
	else if (isinf(v))
		pp_buf_addstr(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		pp_buf_printf(b, "%.0f", v);
	else
		pp_buf_printf(b, "%.10g", v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the parts, sorted, so the output is stable. */
static char **
list_parts(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".json"))
			continue;
		v = pp_xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = pp_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

char *
pp_metrics_render(const char *dir)
{
	json_object *by[NFAMILIES];
	struct pp_buf b = {0};
	size_t nparts;
	char **parts = list_parts(dir, &nparts);

	for (size_t i = 0; i < NFAMILIES; i++)
		by[i] = json_object_new_object();
	for (size_t i = 0; i < nparts; i++) {
		char *path = pp_xasprintf("%s/%s", dir, parts[i]);
		char err[256];
		size_t len;
		char *text = pp_read_file(path, 4u << 20, &len);
		json_object *a = text ? pp_json_parse(text, len, err,
			sizeof err) : NULL;

		if (!a || !json_object_is_type(a, json_type_array)) {
			pp_warn("ignoring metrics part '%s': %s", path,
				text ? "not a list of samples" :
				strerror(errno));
		} else {
			for (size_t j = 0; j < json_object_array_length(a);
			     j++) {
				json_object *s = json_object_array_get_idx(a,
					j);
				const char *fam = json_object_get_string(
					json_object_array_get_idx(s, 0));
				const char *lab = json_object_get_string(
					json_object_array_get_idx(s, 1));
				json_object *v = json_object_array_get_idx(s,
					2);
				const struct family *f = fam ?
					find_family(fam) : NULL;

				if (!f || !lab || !v)
					continue;
				/* a later part wins for the same series */
				json_object_object_add(by[f - families], lab,
					json_object_get(v));
			}
		}
		json_object_put(a);
		free(text);
		free(path);
		free(parts[i]);
	}
	free(parts);
	pp_buf_addstr(&b, "");
	for (size_t i = 0; i < NFAMILIES; i++) {
		const struct family *f = &families[i];
		size_t n = 0;
		char **keys;

		json_object_object_foreach(by[i], k0, v0) {
			(void)k0;
			(void)v0;
			n++;
		}
		if (!n) {
			json_object_put(by[i]);
			continue;
		}
		keys = pp_xcalloc(n, sizeof *keys);
		n = 0;
		json_object_object_foreach(by[i], k1, v1) {
			(void)v1;
			keys[n++] = k1;
		}
		qsort(keys, n, sizeof *keys, cmp_str);
		pp_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name,
			f->help, f->name, f->type);
		for (size_t j = 0; j < n; j++) {
			struct pp_buf line = {0};

			pp_buf_addstr(&line, f->name);
			if (render_labels(&line, keys[j]) < 0) {
				pp_warn("ignoring metric %s with bad labels "
					"'%s'", f->name, keys[j]);
				pp_buf_free(&line);
				continue;
			}
			pp_buf_addstr(&line, " ");
			render_value(&line, json_object_get_double(
				pp_jget(by[i], keys[j])));
			pp_buf_addstr(&b, line.s);
			pp_buf_addstr(&b, "\n");
			pp_buf_free(&line);
		}
		free(keys);
		json_object_put(by[i]);
	}
	return b.s;
}

/* A failed run keeps the time of the last success from the part it
 * replaces: "no successful run for 10 minutes" needs it. */
static void
carry_success(void)
{
	char *path = pp_xasprintf("%s/%s.json", m.dir, m.carry);
	char err[256];
	size_t len;
	char *text = pp_read_file(path, 1u << 20, &len);
	json_object *old = text ? pp_json_parse(text, len, err, sizeof err) :
		NULL;
	json_object *p = pp_jget(m.pending, m.carry);

	if (old && p && json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			json_object *s = json_object_array_get_idx(old, i);
			const char *fam = json_object_get_string(
				json_object_array_get_idx(s, 0));

			if (fam && !strcmp(fam,
			    "pp_last_success_timestamp_seconds"))
				json_object_array_add(p, json_object_get(s));
		}
	}
	json_object_put(old);
	free(text);
	free(path);
}

/* Two tools publish counters read at different moments; the older
 * read must not lower a counter the other already published. Counters
 * only grow, so the larger value is the newer one. */
static void
merge_counters(void)
{
	char *path = pp_xasprintf("%s/counters.json", m.dir);
	char err[256];
	size_t len;
	char *text = pp_read_file(path, 4u << 20, &len);
	json_object *old = text ? pp_json_parse(text, len, err, sizeof err) :
		NULL;
	json_object *p = pp_jget(m.pending, "counters");

	if (old && p && json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			json_object *o = json_object_array_get_idx(old, i);
			const char *of = json_object_get_string(
				json_object_array_get_idx(o, 0));
			const char *ol = json_object_get_string(
				json_object_array_get_idx(o, 1));
			double ov = json_object_get_double(
				json_object_array_get_idx(o, 2));
			int found = 0;

			if (!of || !ol)
				continue;
			for (size_t j = 0; j < json_object_array_length(p);
			     j++) {
				json_object *n = json_object_array_get_idx(p,
					j);

				if (strcmp(of, json_object_get_string(
				    json_object_array_get_idx(n, 0))) ||
				    strcmp(ol, json_object_get_string(
				    json_object_array_get_idx(n, 1))))
					continue;
				found = 1;
				if (json_object_get_double(
				    json_object_array_get_idx(n, 2)) < ov)
					json_object_array_put_idx(n, 2,
						json_object_new_double(ov));
			}
			if (!found)
				json_object_array_add(p, json_object_get(o));
		}
	}
	json_object_put(old);
	free(text);
	free(path);
}

/* The last run's success of tool, from its part on disk; -1 if none. */
static int
run_success(const char *tool)
{
	char *path = pp_xasprintf("%s/run.%s.json", m.dir, tool);
	char err[256];
	size_t len;
	char *text = pp_read_file(path, 1u << 20, &len);
	json_object *a = text ? pp_json_parse(text, len, err, sizeof err) :
		NULL;
	int ok = -1;

	for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++) {
		json_object *s = json_object_array_get_idx(a, i);
		const char *fam = json_object_get_string(
			json_object_array_get_idx(s, 0));

		if (fam && !strcmp(fam, "pp_last_run_success"))
			ok = json_object_get_double(
				json_object_array_get_idx(s, 2)) == 1;
	}
	json_object_put(a);
	free(text);
	free(path);
	return ok;
}

/* The last tool of the pipeline succeeded: the cycle did when every
 * other tool's last run did too. */
static void
close_cycle(void)
{
	for (size_t i = 0; i + 1 < NCYCLE; i++)
		if (run_success(cycle_tools[i]) != 1)
			return;
	sample(part("cycle"), "pp_cycle_last_success_timestamp_seconds", "",
		(double)pp_now());
}

static int
publish(void)
{
	struct pp_lock lock = {-1};
	char *lockpath = pp_xasprintf("%s/parts", m.dir);
	char *text = NULL, *tdir = pp_dirname(m.textfile);
	int rc = -1;

	if (pp_mkdirs(m.dir, 0755) < 0) {
		pp_warn("cannot create metrics directory '%s':", m.dir);
		goto out;
	}
	if (pp_lock(&lock, lockpath, PP_LOCK_EX, 10) < 0) {
		pp_warn("cannot lock metrics directory '%s': %s", m.dir,
			pp_lock_strerror(errno));
		goto out;
	}
	if (m.carry)
		carry_success();
	if (pp_jget(m.pending, "counters"))
		merge_counters();
	if (m.closes_cycle)
		close_cycle();
	json_object_object_foreach(m.pending, name, samples) {
		char *path = pp_xasprintf("%s/%s.json", m.dir, name);
		const char *s = pp_json_string(samples, 0);

		if (strchr(name, '/') ||
		    pp_write_atomic(path, s, strlen(s), 0644) < 0) {
			pp_warn("cannot write metrics part '%s':", path);
			free(path);
			goto out;
		}
		free(path);
	}
	text = pp_metrics_render(m.dir);
	if (pp_mkdirs(tdir, 0755) < 0 ||
	    pp_write_atomic(m.textfile, text, strlen(text), 0644) < 0) {
		pp_warn("cannot write metrics textfile '%s':", m.textfile);
		goto out;
	}
	rc = 0;
out:
	pp_unlock(&lock);
	free(text);
	free(tdir);
	free(lockpath);
	return rc;
}

int
pp_metrics_exit(const char *tool, int status)
{
	char *name, *labels;
	json_object *p;
	int rc;

	if (!m.on || m.done)
		return 0;
	m.publishing = 1;
	if (!tool)
		tool = pp_progname;
	name = pp_xasprintf("run.%s", tool);
	labels = pp_xasprintf("tool=%s", tool);
	p = part(name);
	sample(p, "pp_last_run_timestamp_seconds", labels, (double)pp_now());
	sample(p, "pp_last_run_success", labels, status == 0 ? 1 : 0);
	sample(p, "pp_last_run_exit_code", labels, status);
	sample(p, "pp_last_run_warnings", labels, (double)pp_warnings());
	if (status == 0)
		sample(p, "pp_last_success_timestamp_seconds", labels,
			(double)pp_now());
	else
		m.carry = pp_xstrdup(name);
	sample(p, "pp_last_run_duration_seconds", labels,
		round((pp_monotonic() - m.started) * 1000) / 1000);
	sample(part("build"), "pp_build_info", "version=" PP_VERSION, 1);
	m.closes_cycle = status == 0 &&
		!strcmp(tool, cycle_tools[NCYCLE - 1]);
	free(name);
	free(labels);
	rc = publish();
	m.done = 1;
	m.publishing = 0;
	return rc;
}

int
pp_metrics_run(const char *tool, int success)
{
	return pp_metrics_exit(tool, success ? PP_EXIT_OK : PP_EXIT_FAIL);
}
